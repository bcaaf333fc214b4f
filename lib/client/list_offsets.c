/* ListOffsets for any set of partitions (client/leaders.h), shared by
 * kfk_admin_list_offsets and the consumer's watermark and time lookups. */
#include <stdint.h>
#include <string.h>

#include "base/time.h"
#include "client/leaders.h"
#include "proto/gen/list_offsets.h"

typedef kp_list_offsets_request_list_offsets_topic lo_topic;
typedef kp_list_offsets_request_list_offsets_partition lo_part;
typedef kp_list_offsets_response_list_offsets_partition_response lo_answer;

typedef struct lo_ctx {
    bool read_committed;
} lo_ctx;

int16_t klist_offsets_version_for(int64_t spec, bool read_committed)
{
    switch (spec) {
    case KFK_OFFSET_MAX_TIMESTAMP:
        return 7;
    case KFK_OFFSET_EARLIEST_LOCAL:
        return 8;
    case KFK_OFFSET_LATEST_TIERED:
        return 9;
    default:
        if (spec < KFK_OFFSET_BEGINNING) return -1;
        return read_committed ? 2 : 1; /* isolation_level came in v2 */
    }
}

static int16_t lo_min_version(const kleader_run *run, const ktp *e)
{
    const lo_ctx *x = run->opaque;
    return klist_offsets_version_for(e->offset, x->read_committed);
}

static void *lo_build(kleader_run *run, kleader_group *g)
{
    const lo_ctx *x = run->opaque;
    karena *a = &g->arena;
    kp_list_offsets_request *r = karena_alloc(a, sizeof(*r));
    lo_topic *t = karena_alloc(a, g->n * sizeof(*t));
    lo_part *p = karena_alloc(a, g->n * sizeof(*p));
    if (!r || !t || !p) return NULL;
    kp_list_offsets_request_init(r);
    r->replica_id = -1;
    r->isolation_level = x->read_committed ? 1 : 0;
    int64_t left_ms = (run->deadline_ns - ktime_mono_ns()) / KTIME_NS_PER_MS;
    r->timeout_ms = left_ms > INT32_MAX ? INT32_MAX : left_ms < 0 ? 0 : (int32_t)left_ms;
    r->topics = t;
    /* The group's entries come sorted by topic: one topic entry per run. */
    for (size_t k = 0; k < g->n; k++) {
        const ktp *e = &run->v[g->idx[k]];
        if (!r->n_topics ||
            !(t[r->n_topics - 1].name.len == strlen(e->topic) &&
              memcmp(t[r->n_topics - 1].name.ptr, e->topic, t[r->n_topics - 1].name.len) == 0)) {
            lo_topic *nt = &t[r->n_topics++];
            kp_list_offsets_request_list_offsets_topic_init(nt);
            nt->name = kwire_cstr(e->topic);
            nt->partitions = &p[k];
        }
        kp_list_offsets_request_list_offsets_partition_init(&p[k]);
        p[k].partition_index = e->partition;
        p[k].timestamp = e->offset;
        t[r->n_topics - 1].n_partitions++;
    }
    return r;
}

/* The entry of g for topic/partition, or NULL. */
static ktp *entry_of(kleader_run *run, kleader_group *g, kslice topic, int32_t partition)
{
    for (size_t k = 0; k < g->n; k++) {
        ktp *e = &run->v[g->idx[k]];
        if (e->partition == partition && topic.len == strlen(e->topic) &&
            memcmp(topic.ptr, e->topic, topic.len) == 0)
            return e;
    }
    return NULL;
}

static void lo_take(kleader_run *run, kleader_group *g, const void *resp, int16_t version)
{
    const kp_list_offsets_response *r = resp;
    for (int32_t i = 0; i < r->n_topics; i++) {
        const kp_list_offsets_response_list_offsets_topic_response *t = &r->topics[i];
        for (int32_t k = 0; k < t->n_partitions; k++) {
            const lo_answer *a = &t->partitions[k];
            ktp *e = entry_of(run, g, t->name, a->partition_index);
            if (!e || e->err != KFK_ERR_MALFORMED) continue; /* not asked, or twice */
            e->err = (kfk_err)a->error_code;
            if (e->err) continue;
            e->offset = a->offset;
            e->timestamp = a->timestamp < 0 ? -1 : a->timestamp;
            e->leader_epoch = version >= 4 && a->leader_epoch >= 0 ? a->leader_epoch : -1;
        }
    }
}

static const kleader_ops lo_ops = {
    .api = &kp_list_offsets_client,
    .min_version = lo_min_version,
    .build = lo_build,
    .take = lo_take,
};

kfk_err kclient_list_offsets(kclient *c, ktp *v, size_t n, bool read_committed, int64_t deadline_ns)
{
    lo_ctx x = {.read_committed = read_committed};
    kleader_run run = {
        .client = c, .ops = &lo_ops, .opaque = &x, .v = v, .n = n, .deadline_ns = deadline_ns};
    return kleader_run_all(&run);
}
