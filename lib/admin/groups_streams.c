/* Streams groups (KIP-1071): describing them (StreamsGroupDescribe), each
 * asked of its group coordinator, one request per group, all at once. The
 * detail starts with the consumer groups' description, so the
 * kfk_admin_result_group_* accessors read the state, epochs and members'
 * ids; the topology and the members' streams fields (process, endpoint,
 * tags, tasks) are copied into an arena the detail owns. */
#include <stdlib.h>
#include <string.h>

#include "admin/groups_int.h"
#include "proto/arena.h"
#include "proto/gen/streams_group_describe.h"

typedef kp_streams_group_describe_response_described_group sg_group;
typedef kp_streams_group_describe_response_member sg_member;
typedef kp_streams_group_describe_response_topic_info sg_topic;
typedef kp_streams_group_describe_response_task_ids sg_task_ids;
typedef kp_streams_group_describe_response_task_offset sg_task_offset;

typedef struct st_sub {
    kfk_streams_subtopology pub; /* first: the caller holds &pub */
    kfk_streams_topic_info *changelog, *repartition_source;
} st_sub;

typedef struct st_tasks {
    const char *subtopology;
    const int32_t *partitions;
    size_t n;
} st_tasks;

typedef struct st_offset {
    const char *subtopology;
    int32_t partition;
    int64_t offset;
} st_offset;

typedef struct st_member {
    kfk_streams_member pub; /* first */
    st_tasks *tasks[2][3];  /* [target][kfk_streams_task_type] */
    size_t n_tasks[2][3];
    st_offset *offsets[2]; /* [0] task offsets, [1] task end offsets */
    size_t n_offsets[2];
} st_member;

/* The detail of a KADMIN_KIND_STREAMS_GROUP_DESCRIPTIONS entry. */
typedef struct st_desc {
    kagroup_desc base; /* first: the shared accessors read it */
    karena arena;      /* everything below */
    int32_t topology_epoch;
    st_sub *subs;
    size_t n_subs;
    st_member *members; /* base.n_members */
} st_desc;

static void st_desc_free(void *detail)
{
    st_desc *d = detail;
    karena_free(&d->arena);
    kagroup_desc_free(&d->base); /* frees d */
}

/* Zeroed room for n elements of size each in a; NULL when out of memory. */
static void *zalloc(karena *a, size_t n, size_t size)
{
    void *p = karena_alloc(a, n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

/* A copy of s in a; for a null s, NULL when nullable, else "". Sets *oom
 * when out of memory. */
static const char *copy(karena *a, kslice s, bool nullable, bool *oom)
{
    if (!s.ptr && nullable) return NULL;
    char *p = karena_alloc(a, s.len + 1);
    if (!p) {
        *oom = true;
        return NULL;
    }
    if (s.len) memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

static const char *const *copy_names(karena *a, const kslice *v, int32_t n, bool *oom)
{
    const char **out = zalloc(a, n > 0 ? (size_t)n : 0, sizeof(*out));
    if (!out) *oom = true;
    for (int32_t k = 0; out && k < n; k++)
        out[k] = copy(a, v[k], false, oom);
    return out;
}

static kfk_streams_topic_info *copy_topics(karena *a, const sg_topic *v, int32_t n, bool *oom)
{
    kfk_streams_topic_info *out = zalloc(a, n > 0 ? (size_t)n : 0, sizeof(*out));
    if (!out) *oom = true;
    for (int32_t k = 0; out && k < n; k++) {
        kfk_streams_topic_info *t = &out[k];
        t->name = copy(a, v[k].name, false, oom);
        t->partitions = v[k].partitions;
        t->replication_factor = v[k].replication_factor;
        size_t nc = v[k].n_topic_configs > 0 ? (size_t)v[k].n_topic_configs : 0;
        const char **names = zalloc(a, nc, sizeof(*names));
        const char **values = zalloc(a, nc, sizeof(*values));
        if (!names || !values) *oom = true;
        for (size_t c = 0; names && values && c < nc; c++) {
            names[c] = copy(a, v[k].topic_configs[c].key, false, oom);
            values[c] = copy(a, v[k].topic_configs[c].value, false, oom);
        }
        t->config_names = names;
        t->config_values = values;
        t->n_configs = nc;
    }
    return out;
}

static void copy_topology(st_desc *d, const sg_group *g, bool *oom)
{
    d->topology_epoch = -1;
    if (!g->topology) return;
    const kp_streams_group_describe_response_topology *t = g->topology;
    d->topology_epoch = t->epoch;
    size_t n = t->n_subtopologies > 0 ? (size_t)t->n_subtopologies : 0;
    if (!(d->subs = zalloc(&d->arena, n, sizeof(*d->subs)))) *oom = true;
    for (size_t s = 0; d->subs && s < n; s++) {
        const kp_streams_group_describe_response_subtopology *x = &t->subtopologies[s];
        st_sub *y = &d->subs[d->n_subs++];
        y->pub.id = copy(&d->arena, x->subtopology_id, false, oom);
        y->pub.source_topics = copy_names(&d->arena, x->source_topics, x->n_source_topics, oom);
        y->pub.n_source_topics = x->n_source_topics > 0 ? (size_t)x->n_source_topics : 0;
        y->pub.repartition_sink_topics =
            copy_names(&d->arena, x->repartition_sink_topics, x->n_repartition_sink_topics, oom);
        y->pub.n_repartition_sink_topics =
            x->n_repartition_sink_topics > 0 ? (size_t)x->n_repartition_sink_topics : 0;
        y->changelog =
            copy_topics(&d->arena, x->state_changelog_topics, x->n_state_changelog_topics, oom);
        y->pub.n_state_changelog_topics =
            x->n_state_changelog_topics > 0 ? (size_t)x->n_state_changelog_topics : 0;
        y->repartition_source = copy_topics(&d->arena, x->repartition_source_topics,
                                            x->n_repartition_source_topics, oom);
        y->pub.n_repartition_source_topics =
            x->n_repartition_source_topics > 0 ? (size_t)x->n_repartition_source_topics : 0;
    }
}

static st_tasks *copy_tasks(karena *a, const sg_task_ids *v, int32_t n, size_t *count, bool *oom)
{
    *count = n > 0 ? (size_t)n : 0;
    st_tasks *out = zalloc(a, *count, sizeof(*out));
    if (!out) *oom = true;
    for (size_t k = 0; out && k < *count; k++) {
        size_t np = v[k].n_partitions > 0 ? (size_t)v[k].n_partitions : 0;
        int32_t *parts = karena_alloc(a, np * sizeof(*parts));
        if (!parts) *oom = true;
        if (parts && np) memcpy(parts, v[k].partitions, np * sizeof(*parts));
        out[k] = (st_tasks){copy(a, v[k].subtopology_id, false, oom), parts, np};
    }
    return out;
}

static st_offset *copy_offsets(karena *a, const sg_task_offset *v, int32_t n, size_t *count,
                               bool *oom)
{
    *count = n > 0 ? (size_t)n : 0;
    st_offset *out = zalloc(a, *count, sizeof(*out));
    if (!out) *oom = true;
    for (size_t k = 0; out && k < *count; k++)
        out[k] = (st_offset){copy(a, v[k].subtopology_id, false, oom), v[k].partition, v[k].offset};
    return out;
}

static void copy_assignment(karena *a, st_member *y, int target,
                            const kp_streams_group_describe_response_assignment *x, bool *oom)
{
    y->tasks[target][KFK_STREAMS_TASK_ACTIVE] = copy_tasks(
        a, x->active_tasks, x->n_active_tasks, &y->n_tasks[target][KFK_STREAMS_TASK_ACTIVE], oom);
    y->tasks[target][KFK_STREAMS_TASK_STANDBY] =
        copy_tasks(a, x->standby_tasks, x->n_standby_tasks,
                   &y->n_tasks[target][KFK_STREAMS_TASK_STANDBY], oom);
    y->tasks[target][KFK_STREAMS_TASK_WARMUP] = copy_tasks(
        a, x->warmup_tasks, x->n_warmup_tasks, &y->n_tasks[target][KFK_STREAMS_TASK_WARMUP], oom);
}

/* Member m: its shared part (base.members[m], malloc'd strings as
 * kagroup_desc_free expects) and its streams part (in the arena). */
static void copy_member(st_desc *d, size_t m, const sg_member *x, bool *oom)
{
    karena *a = &d->arena;
    kagroup_member *b = &d->base.members[m];
    b->member_id = kagroup_strdup(x->member_id);
    b->instance_id = x->instance_id.ptr ? kagroup_strdup(x->instance_id) : NULL;
    b->client_id = kagroup_strdup(x->client_id);
    b->host = kagroup_strdup(x->client_host);
    b->epoch = x->member_epoch;
    if (!b->member_id || !b->client_id || !b->host || (x->instance_id.ptr && !b->instance_id))
        *oom = true;
    st_member *y = &d->members[m];
    kfk_streams_member *p = &y->pub;
    p->member_id = copy(a, x->member_id, false, oom);
    p->instance_id = copy(a, x->instance_id, true, oom);
    p->rack_id = copy(a, x->rack_id, true, oom);
    p->client_id = copy(a, x->client_id, false, oom);
    p->client_host = copy(a, x->client_host, false, oom);
    p->member_epoch = x->member_epoch;
    p->topology_epoch = x->topology_epoch;
    p->process_id = copy(a, x->process_id, false, oom);
    if (x->user_endpoint) {
        p->endpoint_host = copy(a, x->user_endpoint->host, false, oom);
        p->endpoint_port = x->user_endpoint->port;
    }
    size_t nt = x->n_client_tags > 0 ? (size_t)x->n_client_tags : 0;
    const char **keys = zalloc(a, nt, sizeof(*keys)), **values = zalloc(a, nt, sizeof(*values));
    if (!keys || !values) *oom = true;
    for (size_t k = 0; keys && values && k < nt; k++) {
        keys[k] = copy(a, x->client_tags[k].key, false, oom);
        values[k] = copy(a, x->client_tags[k].value, false, oom);
    }
    p->client_tag_keys = keys;
    p->client_tag_values = values;
    p->n_client_tags = nt;
    p->is_classic = x->is_classic;
    y->offsets[0] = copy_offsets(a, x->task_offsets, x->n_task_offsets, &y->n_offsets[0], oom);
    y->offsets[1] =
        copy_offsets(a, x->task_end_offsets, x->n_task_end_offsets, &y->n_offsets[1], oom);
    copy_assignment(a, y, 0, &x->assignment, oom);
    copy_assignment(a, y, 1, &x->target_assignment, oom);
}

static st_desc *from_streams(const sg_group *g, int32_t coordinator, bool ops)
{
    st_desc *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    bool oom = false;
    d->base.head.protocol_type = strdup("streams");
    d->base.protocol = strdup("");
    d->base.head.coordinator = coordinator;
    d->base.head.type = KFK_GROUP_TYPE_STREAMS;
    d->base.head.state = kagroup_state_parse(g->group_state);
    d->base.group_epoch = g->group_epoch;
    d->base.assignment_epoch = g->assignment_epoch;
    d->base.authorized_operations = ops && g->authorized_operations != INT32_MIN
                                        ? (int64_t)(uint32_t)g->authorized_operations
                                        : -1;
    if (!d->base.head.protocol_type || !d->base.protocol) oom = true;
    copy_topology(d, g, &oom);
    size_t n = g->n_members > 0 ? (size_t)g->n_members : 0;
    if (n && !oom) {
        d->base.members = calloc(n, sizeof(*d->base.members));
        d->members = zalloc(&d->arena, n, sizeof(*d->members));
        oom = !d->base.members || !d->members;
    }
    for (size_t m = 0; !oom && m < n; m++) {
        d->base.n_members++;
        copy_member(d, m, &g->members[m], &oom);
    }
    if (oom) {
        st_desc_free(d);
        return NULL;
    }
    return d;
}

static void st_body(void *body, kslice *id, bool ops)
{
    kp_streams_group_describe_request *b = body;
    kp_streams_group_describe_request_init(b);
    b->group_ids = id;
    b->n_group_ids = 1;
    b->include_authorized_operations = ops;
}

static kfk_err st_error(const void *resp, kslice *msg)
{
    const kp_streams_group_describe_response *r = resp;
    if (r->n_groups < 1) return KFK_ERR_MALFORMED;
    *msg = r->groups[0].error_message;
    return (kfk_err)r->groups[0].error_code;
}

static void *st_describe(const void *resp, int32_t coordinator, bool ops)
{
    return from_streams(&((const kp_streams_group_describe_response *)resp)->groups[0], coordinator,
                        ops);
}

static const kagroup_each_api streams_api = {
    .client = &kp_streams_group_describe_client,
    .body_size = sizeof(kp_streams_group_describe_request),
    .body_init = st_body,
    .group_error = st_error,
    .describe = st_describe,
    .kind = KADMIN_KIND_STREAMS_GROUP_DESCRIPTIONS,
    .detail_free = st_desc_free,
};

kfk_err kfk_admin_describe_streams_groups(kfk_admin *admin, const char *const *group_ids, size_t n,
                                          const kfk_admin_options *options,
                                          kfk_admin_result **result)
{
    return kagroup_describe_each(admin, "kfk_admin_describe_streams_groups", &streams_api,
                                 group_ids, n, options, result);
}

/* --- accessors ------------------------------------------------------------------------ */

static const st_desc *st_at(const kfk_admin_result *r, size_t i)
{
    return kadmin_result_detail(r, i, KADMIN_KIND_STREAMS_GROUP_DESCRIPTIONS);
}

int32_t kfk_admin_result_streams_group_topology_epoch(const kfk_admin_result *result, size_t i)
{
    const st_desc *d = st_at(result, i);
    return d ? d->topology_epoch : -1;
}

size_t kfk_admin_result_streams_group_subtopology_count(const kfk_admin_result *result, size_t i)
{
    const st_desc *d = st_at(result, i);
    return d ? d->n_subs : 0;
}

const kfk_streams_subtopology *
kfk_admin_result_streams_group_subtopology(const kfk_admin_result *result, size_t i, size_t s)
{
    const st_desc *d = st_at(result, i);
    return d && s < d->n_subs ? &d->subs[s].pub : NULL;
}

const kfk_streams_topic_info *
kfk_streams_subtopology_changelog_topic(const kfk_streams_subtopology *s, size_t j)
{
    const st_sub *x = (const st_sub *)s;
    return x && j < s->n_state_changelog_topics ? &x->changelog[j] : NULL;
}

const kfk_streams_topic_info *
kfk_streams_subtopology_repartition_source_topic(const kfk_streams_subtopology *s, size_t j)
{
    const st_sub *x = (const st_sub *)s;
    return x && j < s->n_repartition_source_topics ? &x->repartition_source[j] : NULL;
}

const kfk_streams_member *kfk_admin_result_streams_group_member(const kfk_admin_result *result,
                                                                size_t i, size_t m)
{
    const st_desc *d = st_at(result, i);
    return d && m < d->base.n_members ? &d->members[m].pub : NULL;
}

static bool task_args_ok(const kfk_streams_member *m, kfk_streams_task_type type)
{
    return m && (unsigned)type <= KFK_STREAMS_TASK_WARMUP;
}

size_t kfk_streams_member_task_count(const kfk_streams_member *m, bool target,
                                     kfk_streams_task_type type)
{
    const st_member *x = (const st_member *)m;
    return task_args_ok(m, type) ? x->n_tasks[target][type] : 0;
}

const char *kfk_streams_member_task(const kfk_streams_member *m, bool target,
                                    kfk_streams_task_type type, size_t j,
                                    const int32_t **partitions, size_t *n)
{
    const st_member *x = (const st_member *)m;
    const st_tasks *t =
        task_args_ok(m, type) && j < x->n_tasks[target][type] ? &x->tasks[target][type][j] : NULL;
    if (partitions) *partitions = t ? t->partitions : NULL;
    if (n) *n = t ? t->n : 0;
    return t ? t->subtopology : NULL;
}

size_t kfk_streams_member_task_offset_count(const kfk_streams_member *m, bool end)
{
    const st_member *x = (const st_member *)m;
    return x ? x->n_offsets[end] : 0;
}

int64_t kfk_streams_member_task_offset(const kfk_streams_member *m, bool end, size_t j,
                                       const char **subtopology, int32_t *partition)
{
    const st_member *x = (const st_member *)m;
    const st_offset *o = x && j < x->n_offsets[end] ? &x->offsets[end][j] : NULL;
    if (subtopology) *subtopology = o ? o->subtopology : NULL;
    if (partition) *partition = o ? o->partition : -1;
    return o ? o->offset : -1;
}
