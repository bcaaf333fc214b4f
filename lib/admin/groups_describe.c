/* Describing groups, each asked of its coordinator: ConsumerGroupDescribe
 * first, then DescribeGroups for the groups that turn out to be classic
 * (or when the broker has no KIP-848), as the Java admin client does. One
 * request per group, all at once; each round is a fan of kcalls. */
#include <stdlib.h>
#include <string.h>

#include "admin/groups_int.h"
#include "consumer/protocol.h"
#include "proto/gen/consumer_group_describe.h"
#include "proto/gen/describe_groups.h"

typedef struct desc_op desc_op;

typedef struct desc_call {
    kcall call;
    desc_op *op;
    size_t i;
    kslice id;
    bool classic; /* the next round asks DescribeGroups */
    union {
        kp_consumer_group_describe_request cgd;
        kp_describe_groups_request dg;
    } body;
} desc_call;

struct desc_op {
    kagroup_fan fan;
    kfk_admin_result *res;
    bool ops; /* include authorized operations */
};

/* What the broker sent for the operations: -1 when it sent none. */
static int64_t operations(int32_t v)
{
    return v == INT32_MIN ? -1 : (int64_t)(uint32_t)v;
}

static kagroup_desc *desc_new(kslice protocol_type, kslice protocol, int32_t coordinator)
{
    kagroup_desc *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->head.protocol_type = kagroup_strdup(protocol_type);
    d->protocol = kagroup_strdup(protocol);
    d->head.coordinator = coordinator;
    d->group_epoch = d->assignment_epoch = -1;
    if (!d->head.protocol_type || !d->protocol) {
        kagroup_desc_free(d);
        return NULL;
    }
    return d;
}

static int member_strings(kagroup_member *x, kslice id, kslice instance, kslice client, kslice host)
{
    x->member_id = kagroup_strdup(id);
    x->instance_id = instance.ptr ? kagroup_strdup(instance) : NULL;
    x->client_id = kagroup_strdup(client);
    x->host = kagroup_strdup(host);
    x->epoch = -1;
    bool ok = x->member_id && x->client_id && x->host && (x->instance_id || !instance.ptr);
    return ok ? 0 : -1;
}

/* Sets entry i's outcome and detail (d may be NULL); on the I/O thread,
 * each entry written by its own call only. */
static void finish_entry(desc_op *op, size_t i, kfk_err err, kslice msg, kagroup_desc *d)
{
    kadmin_result_set(op->res, i, err, msg);
    if (op->res->e[i].detail) kagroup_desc_free(op->res->e[i].detail);
    op->res->e[i].detail = d;
}

/* --- KIP-848: ConsumerGroupDescribe -------------------------------------------------- */

static int add_assignment(ktplist *l, const kp_consumer_group_describe_response_assignment *a)
{
    for (int32_t t = 0; t < a->n_topic_partitions; t++) {
        const kp_consumer_group_describe_response_topic_partitions *tp = &a->topic_partitions[t];
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

static kagroup_desc *from_consumer(const kp_consumer_group_describe_response_described_group *g,
                                   int32_t coordinator, bool ops)
{
    kagroup_desc *d = desc_new(kwire_cstr(KC_PROTOCOL_TYPE), g->assignor_name, coordinator);
    size_t n = g->n_members > 0 ? (size_t)g->n_members : 0;
    if (d && n && !(d->members = calloc(n, sizeof(*d->members)))) {
        kagroup_desc_free(d);
        return NULL;
    }
    if (!d) return NULL;
    d->head.type = KFK_GROUP_TYPE_CONSUMER;
    d->head.state = kagroup_state_parse(g->group_state);
    d->group_epoch = g->group_epoch;
    d->assignment_epoch = g->assignment_epoch;
    d->authorized_operations = ops ? operations(g->authorized_operations) : -1;
    for (size_t m = 0; m < n; m++) {
        const kp_consumer_group_describe_response_member *gm = &g->members[m];
        kagroup_member *x = &d->members[d->n_members++];
        if (member_strings(x, gm->member_id, gm->instance_id, gm->client_id, gm->client_host) ||
            add_assignment(&x->assignment, &gm->assignment) ||
            add_assignment(&x->target, &gm->target_assignment)) {
            kagroup_desc_free(d);
            return NULL;
        }
        x->has_target = true;
        x->epoch = gm->member_epoch;
    }
    return d;
}

static kfk_err cgd_check(kcall *call, void *resp)
{
    (void)call;
    const kp_consumer_group_describe_response *r = resp;
    kfk_err err = r->n_groups > 0 ? (kfk_err)r->groups[0].error_code : KFK_OK;
    return kcoordinator_error(err) ? err : KFK_OK;
}

static void cgd_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    desc_call *dc = (desc_call *)call;
    desc_op *op = dc->op;
    const kp_consumer_group_describe_response *r = resp;
    if (err == KFK_ERR_UNSUPPORTED_VERSION) {
        dc->classic = true; /* a broker before KIP-848 */
    } else if (err || r->n_groups < 1) {
        finish_entry(op, dc->i, err ? err : KFK_ERR_MALFORMED, (kslice){0}, NULL);
    } else if (r->groups[0].error_code == KFK_ERR_GROUP_ID_NOT_FOUND) {
        dc->classic = true; /* not a KIP-848 group: perhaps a classic one */
    } else if (r->groups[0].error_code == KFK_ERR_UNSUPPORTED_VERSION) {
        /* Kafka 3.x with the consumer protocol off answers each group so */
        dc->classic = true;
    } else if (r->groups[0].error_code) {
        finish_entry(op, dc->i, (kfk_err)r->groups[0].error_code, r->groups[0].error_message, NULL);
    } else {
        kagroup_desc *d = from_consumer(&r->groups[0], call->sent_to, op->ops);
        finish_entry(op, dc->i, d ? KFK_OK : KFK_ERR_NO_MEMORY, (kslice){0}, d);
    }
    kagroup_fan_done(&op->fan);
}

/* --- classic: DescribeGroups ---------------------------------------------------------- */

/* A "consumer" protocol member's assignment bytes, decoded as the
 * consumer decodes its own; unreadable bytes leave the list empty. */
static int classic_assignment(ktplist *l, kslice bytes, karena *arena)
{
    kp_consumer_protocol_assignment a;
    if (kc_assignment_decode(&a, bytes, arena, NULL)) return 0;
    for (int32_t t = 0; t < a.n_assigned_partitions; t++) {
        const kp_consumer_protocol_assignment_topic_partition *tp = &a.assigned_partitions[t];
        char *topic = kagroup_strdup(tp->topic);
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

static kagroup_desc *from_classic(const kp_describe_groups_response_described_group *g,
                                  int32_t coordinator, bool ops, karena *arena)
{
    kagroup_desc *d = desc_new(g->protocol_type, g->protocol_data, coordinator);
    size_t n = g->n_members > 0 ? (size_t)g->n_members : 0;
    if (d && n && !(d->members = calloc(n, sizeof(*d->members)))) {
        kagroup_desc_free(d);
        return NULL;
    }
    if (!d) return NULL;
    d->head.type = KFK_GROUP_TYPE_CLASSIC;
    d->head.state = kagroup_state_parse(g->group_state);
    d->authorized_operations = ops ? operations(g->authorized_operations) : -1;
    bool consumer = strcmp(d->head.protocol_type, KC_PROTOCOL_TYPE) == 0;
    for (size_t m = 0; m < n; m++) {
        const kp_describe_groups_response_described_group_member *gm = &g->members[m];
        kagroup_member *x = &d->members[d->n_members++];
        if (member_strings(x, gm->member_id, gm->group_instance_id, gm->client_id,
                           gm->client_host) ||
            (consumer && classic_assignment(&x->assignment, gm->member_assignment, arena))) {
            kagroup_desc_free(d);
            return NULL;
        }
    }
    return d;
}

static kfk_err dg_check(kcall *call, void *resp)
{
    (void)call;
    const kp_describe_groups_response *r = resp;
    kfk_err err = r->n_groups > 0 ? (kfk_err)r->groups[0].error_code : KFK_OK;
    return kcoordinator_error(err) ? err : KFK_OK;
}

static void dg_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    desc_call *dc = (desc_call *)call;
    desc_op *op = dc->op;
    const kp_describe_groups_response *r = resp;
    if (err || r->n_groups < 1) {
        finish_entry(op, dc->i, err ? err : KFK_ERR_MALFORMED, (kslice){0}, NULL);
    } else if (r->groups[0].error_code) {
        finish_entry(op, dc->i, (kfk_err)r->groups[0].error_code, r->groups[0].error_message, NULL);
    } else if (kagroup_state_parse(r->groups[0].group_state) == KFK_GROUP_STATE_DEAD) {
        /* Before v6 (KIP-1043) an unknown group is described Dead. */
        finish_entry(op, dc->i, KFK_ERR_GROUP_ID_NOT_FOUND, (kslice){0}, NULL);
    } else {
        kagroup_desc *d = from_classic(&r->groups[0], call->sent_to, op->ops, arena);
        finish_entry(op, dc->i, d ? KFK_OK : KFK_ERR_NO_MEMORY, (kslice){0}, d);
    }
    kagroup_fan_done(&op->fan);
}

/* --- the rounds ------------------------------------------------------------------------- */

/* Sends the round's request for every call with classic == want_classic. */
static void run_round(kfk_admin *a, desc_op *op, desc_call *calls, kcall **ptrs, size_t n,
                      bool want_classic, int64_t deadline_ns)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        desc_call *dc = &calls[i];
        if (dc->classic != want_classic) continue;
        if (want_classic) {
            kp_describe_groups_request_init(&dc->body.dg);
            dc->body.dg.groups = &dc->id;
            dc->body.dg.n_groups = 1;
            dc->body.dg.include_authorized_operations = op->ops;
            kcall_init(&dc->call, &kp_describe_groups_client, &dc->body.dg, dg_done, NULL);
            dc->call.check = dg_check;
            /* Authorized operations came with v3 (Kafka 2.3). */
            if (op->ops && dc->call.min_version < 3) dc->call.min_version = 3;
        } else {
            kp_consumer_group_describe_request_init(&dc->body.cgd);
            dc->body.cgd.group_ids = &dc->id;
            dc->body.cgd.n_group_ids = 1;
            dc->body.cgd.include_authorized_operations = op->ops;
            kcall_init(&dc->call, &kp_consumer_group_describe_client, &dc->body.cgd, cgd_done,
                       NULL);
            dc->call.check = cgd_check;
        }
        dc->call.route = KROUTE_COORDINATOR;
        dc->call.coord_type = 0;
        dc->call.coord_key = op->res->e[i].name;
        dc->call.deadline_ns = deadline_ns;
        ptrs[k++] = &dc->call;
    }
    if (k) kagroup_fan_run(a, &op->fan, ptrs, k);
}

static kfk_err describe(kfk_admin *a, const char *const *ids, size_t n, const kadmin_opts *o,
                        kfk_admin_result **result)
{
    desc_op op = {.res = kadmin_result_new(ids, n),
                  .ops = o->flags & KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS};
    desc_call *calls = calloc(n ? n : 1, sizeof(*calls));
    kcall **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
    if (!op.res || !calls || !ptrs) {
        kfk_admin_result_destroy(op.res);
        free(calls), free(ptrs);
        return KFK_ERR_NO_MEMORY;
    }
    op.res->kind = KADMIN_KIND_GROUP_DESCRIPTIONS;
    op.res->detail_free = kagroup_desc_free;
    for (size_t i = 0; i < n; i++)
        calls[i] = (desc_call){.op = &op, .i = i, .id = kwire_cstr(op.res->e[i].name)};
    run_round(a, &op, calls, ptrs, n, false, o->deadline_ns);
    run_round(a, &op, calls, ptrs, n, true, o->deadline_ns);
    free(calls), free(ptrs);
    *result = op.res;
    return kadmin_result_status(op.res);
}

kfk_err kfk_admin_describe_groups(kfk_admin *admin, const char *const *group_ids, size_t n,
                                  const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_describe_groups";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err =
        kadmin_opts_check(admin, fn, options, KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS, &o);
    if (!err) err = kagroup_ids_ok(admin, fn, group_ids, n, result);
    if (err) return kclient_error_end(admin->client, err);
    err = describe(admin, group_ids, n, &o, result);
    return kagroup_end(admin, fn, err, o.timeout_ms, *result);
}
