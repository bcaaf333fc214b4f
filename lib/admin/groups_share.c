/* Share groups (KIP-932): describing them (ShareGroupDescribe), each
 * asked of its coordinator, one request per group, all at once (the
 * results are the consumer groups' descriptions, so the
 * kfk_admin_result_group_* accessors read them); and their start offsets:
 * reading (DescribeShareGroupOffsets), setting (AlterShareGroupOffsets)
 * and deleting them per topic (DeleteShareGroupOffsets), each one request
 * to the group's coordinator. */
#include <stdlib.h>
#include <string.h>

#include "admin/groups_int.h"
#include "proto/gen/alter_share_group_offsets.h"
#include "proto/gen/delete_share_group_offsets.h"
#include "proto/gen/describe_share_group_offsets.h"
#include "proto/gen/share_group_describe.h"

static int add_assignment(ktplist *l, const kp_share_group_describe_response_assignment *a)
{
    for (int32_t t = 0; t < a->n_topic_partitions; t++) {
        const kp_share_group_describe_response_topic_partitions *tp = &a->topic_partitions[t];
        char *topic = kagroup_strdup(tp->topic_name);
        if (!topic) return -1;
        for (int32_t p = 0; p < tp->n_partitions; p++)
            if (ktplist_add(l, topic, tp->partitions[p]) < 0) {
                free(topic);
                return -1;
            }
        free(topic);
    }
    ktplist_sort(l);
    return 0;
}

static int member_from(kagroup_member *x, const kp_share_group_describe_response_member *gm)
{
    x->member_id = kagroup_strdup(gm->member_id);
    x->client_id = kagroup_strdup(gm->client_id);
    x->host = kagroup_strdup(gm->client_host);
    x->epoch = gm->member_epoch;
    if (!x->member_id || !x->client_id || !x->host) return -1;
    return add_assignment(&x->assignment, &gm->assignment);
}

static kagroup_desc *from_share(const kp_share_group_describe_response_described_group *g,
                                int32_t coordinator, bool ops)
{
    kagroup_desc *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->head.protocol_type = strdup("share");
    d->protocol = kagroup_strdup(g->assignor_name);
    d->head.coordinator = coordinator;
    d->head.type = KFK_GROUP_TYPE_SHARE;
    d->head.state = kagroup_state_parse(g->group_state);
    d->group_epoch = g->group_epoch;
    d->assignment_epoch = g->assignment_epoch;
    d->authorized_operations = ops && g->authorized_operations != INT32_MIN
                                   ? (int64_t)(uint32_t)g->authorized_operations
                                   : -1;
    size_t n = g->n_members > 0 ? (size_t)g->n_members : 0;
    bool ok = d->head.protocol_type && d->protocol &&
              (!n || (d->members = calloc(n, sizeof(*d->members))));
    for (size_t m = 0; ok && m < n; m++)
        ok = member_from(&d->members[d->n_members++], &g->members[m]) == 0;
    if (!ok) {
        kagroup_desc_free(d);
        return NULL;
    }
    return d;
}

static void share_body(void *body, kslice *id, bool ops)
{
    kp_share_group_describe_request *b = body;
    kp_share_group_describe_request_init(b);
    b->group_ids = id;
    b->n_group_ids = 1;
    b->include_authorized_operations = ops;
}

static kfk_err share_error(const void *resp, kslice *msg)
{
    const kp_share_group_describe_response *r = resp;
    if (r->n_groups < 1) return KFK_ERR_MALFORMED;
    *msg = r->groups[0].error_message;
    return (kfk_err)r->groups[0].error_code;
}

static void *share_describe(const void *resp, int32_t coordinator, bool ops)
{
    return from_share(&((const kp_share_group_describe_response *)resp)->groups[0], coordinator,
                      ops);
}

static const kagroup_each_api share_api = {
    .client = &kp_share_group_describe_client,
    .body_size = sizeof(kp_share_group_describe_request),
    .body_init = share_body,
    .group_error = share_error,
    .describe = share_describe,
    .kind = KADMIN_KIND_GROUP_DESCRIPTIONS,
    .detail_free = kagroup_desc_free,
};

kfk_err kfk_admin_describe_share_groups(kfk_admin *admin, const char *const *group_ids, size_t n,
                                        const kfk_admin_options *options, kfk_admin_result **result)
{
    return kagroup_describe_each(admin, "kfk_admin_describe_share_groups", &share_api, group_ids, n,
                                 options, result);
}

/* --- DescribeShareGroupOffsets ------------------------------------------------------- */

static kfk_err dsgo_check(kcall *call, void *resp)
{
    (void)call;
    const kp_describe_share_group_offsets_response *r = resp;
    kfk_err err = r->n_groups > 0 ? (kfk_err)r->groups[0].error_code : KFK_OK;
    return kcoordinator_error(err) ? err : KFK_OK;
}

static void dsgo_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kagroup_offs *op = call->opaque;
    const kp_describe_share_group_offsets_response *r = resp;
    if (!err && r->n_groups < 1) err = KFK_ERR_MALFORMED;
    if (!err) err = r->groups[0].error_code;
    for (int32_t t = 0; !err && t < r->groups[0].n_topics; t++) {
        const kp_describe_share_group_offsets_response_topic *x = &r->groups[0].topics[t];
        for (int32_t p = 0; !err && p < x->n_partitions; p++) {
            const kp_describe_share_group_offsets_response_partition *y = &x->partitions[p];
            ktp *e = kagroup_entry_for(op, x->topic_name, y->partition_index);
            if (!e) {
                if (op->all) err = KFK_ERR_NO_MEMORY;
                continue;
            }
            e->err = (kfk_err)y->error_code;
            e->offset = y->start_offset < 0 ? KFK_OFFSET_INVALID : y->start_offset;
            e->leader_epoch = y->leader_epoch;
            e->has_end = y->lag >= 0; /* v1+ */
            e->end_offset = -1;
            e->lag = y->lag;
        }
    }
    op->err = err;
    kadmin_wait_done(&op->w);
}

static kfk_err describe_offsets(kfk_admin *a, const char *group_id, ktplist *parts, bool all,
                                const kadmin_opts *o)
{
    kagroup_split s;
    kagroup_offs op = {.parts = parts, .all = all};
    if (kagroup_split_init(&s, parts, sizeof(kp_describe_share_group_offsets_request_topic),
                           sizeof(int32_t)) == 0) {
        kp_describe_share_group_offsets_request_topic *topics = s.topics;
        int32_t *idx = s.parts;
        kp_describe_share_group_offsets_request body;
        kp_describe_share_group_offsets_request_group g;
        kp_describe_share_group_offsets_request_init(&body);
        kp_describe_share_group_offsets_request_group_init(&g);
        g.group_id = kwire_cstr(group_id);
        g.topics = all ? NULL : topics;
        g.n_topics = all ? -1 : s.n_runs;
        body.groups = &g;
        body.n_groups = 1;
        for (int r = 0; r < s.n_runs; r++) {
            kp_describe_share_group_offsets_request_topic_init(&topics[r]);
            topics[r].topic_name = kwire_cstr(s.runs[r].topic);
            topics[r].partitions = &idx[s.runs[r].start];
            topics[r].n_partitions = s.runs[r].n;
            for (int i = s.runs[r].start; i < s.runs[r].start + s.runs[r].n; i++)
                idx[i] = s.sorted.v[i].partition;
        }
        kcall_init(&op.call, &kp_describe_share_group_offsets_client, &body, dsgo_done, &op);
        op.call.check = dsgo_check;
        kagroup_offs_run(a, &op, group_id, o->deadline_ns);
    } else {
        op.err = KFK_ERR_NO_MEMORY;
    }
    kagroup_split_free(&s);
    if (!op.err && all) ktplist_sort(parts);
    return op.err;
}

/* --- AlterShareGroupOffsets ---------------------------------------------------------- */

static kfk_err asgo_check(kcall *call, void *resp)
{
    (void)call;
    kfk_err err = ((const kp_alter_share_group_offsets_response *)resp)->error_code;
    return kcoordinator_error(err) ? err : KFK_OK;
}

static void asgo_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kagroup_offs *op = call->opaque;
    const kp_alter_share_group_offsets_response *r = resp;
    if (!err) err = r->error_code;
    for (int32_t t = 0; !err && t < r->n_responses; t++) {
        const kp_alter_share_group_offsets_response_topic *x = &r->responses[t];
        for (int32_t p = 0; p < x->n_partitions; p++) {
            ktp *e = kagroup_entry_for(op, x->topic_name, x->partitions[p].partition_index);
            if (e) e->err = (kfk_err)x->partitions[p].error_code;
        }
    }
    op->err = err;
    kadmin_wait_done(&op->w);
}

static kfk_err alter_offsets(kfk_admin *a, const char *group_id, ktplist *parts,
                             const kadmin_opts *o)
{
    kagroup_split s;
    kagroup_offs op = {.parts = parts};
    if (kagroup_split_init(&s, parts, sizeof(kp_alter_share_group_offsets_request_topic),
                           sizeof(kp_alter_share_group_offsets_request_partition)) == 0) {
        kp_alter_share_group_offsets_request_topic *topics = s.topics;
        kp_alter_share_group_offsets_request_partition *ps = s.parts;
        kp_alter_share_group_offsets_request body;
        kp_alter_share_group_offsets_request_init(&body);
        body.group_id = kwire_cstr(group_id);
        body.topics = topics;
        body.n_topics = s.n_runs;
        for (int r = 0; r < s.n_runs; r++) {
            kp_alter_share_group_offsets_request_topic_init(&topics[r]);
            topics[r].topic_name = kwire_cstr(s.runs[r].topic);
            topics[r].partitions = &ps[s.runs[r].start];
            topics[r].n_partitions = s.runs[r].n;
            for (int i = s.runs[r].start; i < s.runs[r].start + s.runs[r].n; i++) {
                ps[i].partition_index = s.sorted.v[i].partition;
                ps[i].start_offset = s.sorted.v[i].offset;
            }
        }
        kcall_init(&op.call, &kp_alter_share_group_offsets_client, &body, asgo_done, &op);
        op.call.check = asgo_check;
        kagroup_offs_run(a, &op, group_id, o->deadline_ns);
    } else {
        op.err = KFK_ERR_NO_MEMORY;
    }
    kagroup_split_free(&s);
    return op.err;
}

/* --- DeleteShareGroupOffsets --------------------------------------------------------- */

typedef struct del_op {
    kadmin_wait w;
    kcall call;
    kfk_admin_result *res;
    kfk_err err; /* the call's, or the group's */
} del_op;

static kfk_err dlsgo_check(kcall *call, void *resp)
{
    (void)call;
    kfk_err err = ((const kp_delete_share_group_offsets_response *)resp)->error_code;
    return kcoordinator_error(err) ? err : KFK_OK;
}

static bool same(kslice s, const char *name)
{
    return s.ptr && s.len == strlen(name) && memcmp(s.ptr, name, s.len) == 0;
}

/* A group-level error goes to every topic; a topic the answer omits is
 * MALFORMED. */
static void dlsgo_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    del_op *op = call->opaque;
    const kp_delete_share_group_offsets_response *r = resp;
    kslice msg = {0};
    if (!err && r->error_code) {
        err = r->error_code;
        msg = r->error_message;
    }
    for (size_t i = 0; i < op->res->n; i++) {
        kadmin_result_set(op->res, i, err ? err : KFK_ERR_MALFORMED, msg);
        for (int32_t t = 0; !err && t < r->n_responses; t++) {
            const kp_delete_share_group_offsets_response_topic *x = &r->responses[t];
            if (same(x->topic_name, op->res->e[i].name))
                kadmin_result_set(op->res, i, (kfk_err)x->error_code, x->error_message);
        }
    }
    op->err = err;
    kadmin_wait_done(&op->w);
}

static kfk_err delete_offsets(kfk_admin *a, const char *group_id, kfk_admin_result *res,
                              const kadmin_opts *o)
{
    kp_delete_share_group_offsets_request_topic *topics =
        calloc(res->n ? res->n : 1, sizeof(*topics));
    if (!topics) return KFK_ERR_NO_MEMORY;
    del_op op = {.res = res};
    kp_delete_share_group_offsets_request body;
    kp_delete_share_group_offsets_request_init(&body);
    body.group_id = kwire_cstr(group_id);
    body.topics = topics;
    body.n_topics = (int32_t)res->n;
    for (size_t i = 0; i < res->n; i++)
        topics[i].topic_name = kwire_cstr(res->e[i].name);
    kcall_init(&op.call, &kp_delete_share_group_offsets_client, &body, dlsgo_done, &op);
    op.call.check = dlsgo_check;
    op.call.route = KROUTE_COORDINATOR;
    op.call.coord_type = 0;
    op.call.coord_key = group_id;
    op.call.deadline_ns = o->deadline_ns;
    kadmin_wait_init(&op.w);
    kadmin_run(a, &op.call, &op.w);
    kadmin_wait_destroy(&op.w);
    free(topics);
    return op.err;
}

/* --- the public offsets calls -------------------------------------------------------- */

kfk_err kfk_admin_list_share_group_offsets(kfk_admin *admin, const char *group_id,
                                           const kfk_partition_list *parts,
                                           const kfk_admin_options *options,
                                           kfk_partition_list **out)
{
    static const char fn[] = "kfk_admin_list_share_group_offsets";
    if (out) *out = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !out) err = kadmin_invalid(admin, fn, "out is NULL");
    if (!err) err = kagroup_offsets_args_ok(admin, fn, group_id, parts, true, false);
    if (err) return kclient_error_end(admin->client, err);
    ktplist *l = parts ? kfk_partition_list_copy(parts) : kfk_partition_list_new(0);
    if (!l) return kadmin_end(admin, fn, KFK_ERR_NO_MEMORY, o.timeout_ms, NULL);
    for (int i = 0; i < l->n; i++) {
        l->v[i].offset = KFK_OFFSET_INVALID;
        l->v[i].leader_epoch = -1;
        l->v[i].err = KFK_OK;
        l->v[i].has_end = false;
        ktplist_set_metadata(l, i, NULL);
    }
    err = describe_offsets(admin, group_id, l, parts == NULL, &o);
    if (err) {
        kfk_partition_list_destroy(l);
        return kagroup_parts_end(admin, fn, err, o.timeout_ms, group_id, NULL);
    }
    *out = l;
    return kagroup_parts_end(admin, fn, kagroup_first_error(l), o.timeout_ms, group_id, l);
}

kfk_err kfk_admin_alter_share_group_offsets(kfk_admin *admin, const char *group_id,
                                            kfk_partition_list *offsets,
                                            const kfk_admin_options *options)
{
    static const char fn[] = "kfk_admin_alter_share_group_offsets";
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err) err = kagroup_offsets_args_ok(admin, fn, group_id, offsets, false, true);
    if (err) return kclient_error_end(admin->client, err);
    kagroup_set_all(offsets, KFK_ERR_TIMED_OUT); /* until answered */
    err = alter_offsets(admin, group_id, offsets, &o);
    if (err) kagroup_set_all(offsets, err);
    err = err ? err : kagroup_first_error(offsets);
    return kagroup_parts_end(admin, fn, err, o.timeout_ms, group_id, offsets);
}

kfk_err kfk_admin_delete_share_group_offsets(kfk_admin *admin, const char *group_id,
                                             const char *const *topics, size_t n,
                                             const kfk_admin_options *options,
                                             kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_delete_share_group_offsets";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err && (!group_id || !group_id[0]))
        err = kadmin_invalid(admin, fn, "group_id is NULL or empty");
    if (!err && (!topics || !n)) err = kadmin_invalid(admin, fn, "no topics");
    for (size_t i = 0; !err && i < n; i++)
        if (!topics[i] || !topics[i][0])
            err = kadmin_invalid(admin, fn, "a topic is NULL or empty");
    for (size_t i = 0; !err && i < n; i++)
        for (size_t j = 0; !err && j < i; j++)
            if (strcmp(topics[i], topics[j]) == 0)
                err = kadmin_invalid(admin, fn, "a topic is named twice");
    if (err) return kclient_error_end(admin->client, err);
    kfk_admin_result *res = kadmin_result_new(topics, n);
    if (!res) return kadmin_end(admin, fn, KFK_ERR_NO_MEMORY, o.timeout_ms, NULL);
    res->kind = KADMIN_KIND_PLAIN;
    err = delete_offsets(admin, group_id, res, &o);
    if (err == KFK_ERR_NO_MEMORY) {
        kfk_admin_result_destroy(res);
        return kadmin_end(admin, fn, err, o.timeout_ms, NULL);
    }
    *result = res;
    /* A group-level error names the group; else the first failed topic. */
    if (err) return kagroup_parts_end(admin, fn, err, o.timeout_ms, group_id, NULL);
    return kadmin_end(admin, fn, kadmin_result_status(res), o.timeout_ms, res);
}
