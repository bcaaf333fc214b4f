/* OffsetCommit and OffsetFetch: committed offsets of groups, with Kafka's
 * checks of who may commit:
 *  - classic groups (ClassicGroup.validateOffsetCommit): generation -1
 *    commits (simple consumers, admin) while the group is Empty; otherwise
 *    the member (and its static instance) must be known and its generation
 *    current, and no commit while CompletingRebalance
 *    (REBALANCE_IN_PROGRESS); an unknown group takes only generation -1
 *    commits (and is created by them), else GROUP_ID_NOT_FOUND;
 *  - KIP-848 consumer groups: the member must be known (UNKNOWN_MEMBER_ID)
 *    and send its epoch (STALE_MEMBER_EPOCH); from Kafka 4.3 (KIP-1251) an
 *    older epoch still commits partitions the member owns.
 * Topics must exist (UNKNOWN_TOPIC_OR_PARTITION, or UNKNOWN_TOPIC_ID from
 * v10, where topics go by id). OffsetFetch answers -1 for partitions
 * without a commit; from v8 it takes several groups, from v9 a consumer
 * group member's id and epoch are checked. Loop thread, mc->lock held. */
#include <string.h>

#include "mock/groups.h"
#include "mock/txn.h"
#include "proto/api.h"
#include "proto/gen/offset_commit.h"
#include "proto/gen/offset_fetch.h"

#define METADATA_MAX_BYTES 4096 /* offset.metadata.max.bytes */

static const kslice null_str = {NULL, 0};
static const int32_t no_parts[1]; /* an empty list, told apart from "all" */

/* ----------------------------------------------------------- validation */

static kfk_err validate_classic(mock_group *g, kslice member_id, kslice instance_id,
                                int32_t generation)
{
    if (generation < 0 && g->state == MOCK_GROUP_EMPTY) return KFK_OK;
    if (generation >= 0 || member_id.len || instance_id.ptr) {
        if (instance_id.ptr) {
            mock_group_member *s = mock_group_member_find_instance(g, instance_id);
            if (!s) return KFK_ERR_UNKNOWN_MEMBER_ID;
            if (!kwire_eq(kwire_cstr(s->member_id), member_id)) return KFK_ERR_FENCED_INSTANCE_ID;
        }
        mock_group_member *m = mock_group_member_find(g, member_id);
        if (!m || m->pending) return KFK_ERR_UNKNOWN_MEMBER_ID;
        if (generation != g->generation_id) return KFK_ERR_ILLEGAL_GENERATION;
    } else if (g->state != MOCK_GROUP_EMPTY) {
        return KFK_ERR_UNKNOWN_MEMBER_ID;
    }
    if (g->state == MOCK_GROUP_COMPLETING_REBALANCE) return KFK_ERR_REBALANCE_IN_PROGRESS;
    return KFK_OK;
}

/* Group-level checks; *member gets the KIP-848 member when its epoch is
 * behind (the partitions then decide, KIP-1251). */
static kfk_err validate_commit(mock_req *req, const kp_offset_commit_request *r, mock_group **gp,
                               mock_group_member **lagging)
{
    *lagging = NULL;
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, r->group_id);
    if (err) return err;
    int32_t gen = r->generation_id_or_member_epoch;
    mock_group *g = *gp = mock_group_find(req->mc, r->group_id);
    if (!g) {
        if (gen >= 0) return KFK_ERR_GROUP_ID_NOT_FOUND;
        g = *gp = mock_group_get(req->mc, r->group_id, MOCK_GROUP_CLASSIC, &err);
        return g ? KFK_OK : err;
    }
    if (g->type == MOCK_GROUP_CLASSIC)
        return validate_classic(g, r->member_id, r->group_instance_id, gen);
    if (gen < 0 && g->n_members == 0) return KFK_OK;
    mock_group_member *m = mock_group_member_find(g, r->member_id);
    if (!m) return KFK_ERR_UNKNOWN_MEMBER_ID;
    if (req->version < 9) return KFK_ERR_UNSUPPORTED_VERSION; /* no epochs before v9 */
    if (gen > m->member_epoch) return KFK_ERR_STALE_MEMBER_EPOCH;
    if (gen < m->member_epoch) *lagging = m;
    return KFK_OK;
}

static const mock_group_tp *tp_find(const mock_group_tp *v, int32_t n, const kuuid *topic_id,
                                    int32_t partition)
{
    for (int32_t i = 0; i < n; i++)
        if (v[i].partition == partition && memcmp(&v[i].topic_id, topic_id, sizeof(*topic_id)) == 0)
            return &v[i];
    return NULL;
}

/* KIP-1251 (Kafka 4.3): an epoch older than the member's commits a
 * partition the member holds (assigned or being revoked) if the partition
 * was already its at that epoch. */
static bool lagging_commit_ok(const mock_group_member *m, int32_t epoch, const kuuid *topic_id,
                              int32_t partition)
{
    const mock_group_tp *tp = tp_find(m->assigned, m->n_assigned, topic_id, partition);
    if (!tp) tp = tp_find(m->pending_revocation, m->n_pending_revocation, topic_id, partition);
    return tp && epoch >= tp->assigned_epoch;
}

/* ---------------------------------------------------------- OffsetCommit */

static mock_topic *request_topic(mock_req *req, const kp_offset_commit_request_topic *rt)
{
    return req->version >= 10 ? mock_topic_find_id(req->mc, &rt->topic_id)
                              : mock_topic_find(req->mc, rt->name);
}

/* Kafka checks an older epoch partition by partition
 * (ConsumerGroup.createAssignmentEpochValidator), but one partition that
 * fails throws out of the whole commit: every partition of a topic that
 * exists then gets STALE_MEMBER_EPOCH and nothing is written. */
static bool lagging_commit_refused(mock_req *req, const kp_offset_commit_request *r,
                                   const mock_group_member *lagging)
{
    for (int32_t i = 0; lagging && i < r->n_topics; i++) {
        const kp_offset_commit_request_topic *rt = &r->topics[i];
        mock_topic *t = request_topic(req, rt);
        if (!t) continue; /* refused before the coordinator sees it */
        for (int32_t k = 0; k < rt->n_partitions; k++) {
            const kp_offset_commit_request_partition *p = &rt->partitions[k];
            if (p->committed_metadata.len > METADATA_MAX_BYTES) continue;
            if (!lagging_commit_ok(lagging, r->generation_id_or_member_epoch, &t->id,
                                   p->partition_index))
                return true;
        }
    }
    return false;
}

static kfk_err commit_one(mock_req *req, mock_group *g, mock_topic *t,
                          const kp_offset_commit_request_partition *p)
{
    if (!t)
        return req->version >= 10 ? KFK_ERR_UNKNOWN_TOPIC_ID : KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (!mock_partition_find(t, p->partition_index)) return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (p->committed_metadata.len > METADATA_MAX_BYTES) return KFK_ERR_OFFSET_METADATA_TOO_LARGE;
    /* Kafka keeps "" for a null metadata. */
    kslice md = p->committed_metadata.ptr ? p->committed_metadata : KWIRE_EMPTY;
    int32_t epoch = req->version >= 6 ? p->committed_leader_epoch : -1;
    kfk_err err = mock_group_offset_set(g, kwire_cstr(t->name), p->partition_index,
                                        p->committed_offset, epoch, md);
    return err ? KFK_ERR_UNKNOWN_SERVER_ERROR : KFK_OK;
}

int mock_handle_offset_commit(mock_req *req)
{
    kp_offset_commit_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    if (req->version < 7) r.group_instance_id = null_str;
    mock_group *g = NULL;
    mock_group_member *lagging;
    kfk_err group_err = validate_commit(req, &r, &g, &lagging);
    bool stale = !group_err && lagging_commit_refused(req, &r, lagging);
    kp_offset_commit_response resp;
    kp_offset_commit_response_init(&resp);
    int32_t nt = r.n_topics > 0 ? r.n_topics : 0;
    resp.topics = karena_alloc(req->arena, (size_t)(nt ? nt : 1) * sizeof(*resp.topics));
    if (!resp.topics) return MOCK_CLOSE;
    resp.n_topics = nt;
    for (int32_t i = 0; i < nt; i++) {
        const kp_offset_commit_request_topic *rt = &r.topics[i];
        kp_offset_commit_response_topic *ot = &resp.topics[i];
        kp_offset_commit_response_topic_init(ot);
        ot->name = rt->name;
        ot->topic_id = rt->topic_id;
        int32_t np = rt->n_partitions > 0 ? rt->n_partitions : 0;
        ot->partitions = karena_alloc(req->arena, (size_t)(np ? np : 1) * sizeof(*ot->partitions));
        if (!ot->partitions) return MOCK_CLOSE;
        ot->n_partitions = np;
        mock_topic *t = request_topic(req, rt);
        for (int32_t k = 0; k < np; k++) {
            kp_offset_commit_response_partition *op = &ot->partitions[k];
            op->partition_index = rt->partitions[k].partition_index;
            kfk_err e = group_err;
            if (!e && stale && t) e = KFK_ERR_STALE_MEMBER_EPOCH;
            op->error_code = (int16_t)(e ? e : commit_one(req, g, t, &rt->partitions[k]));
        }
    }
    return mock_respond(req, &resp);
}

/* ----------------------------------------------------------- OffsetFetch */

/* One partition's answer, shared by the v1-7 and v8+ shapes. */
typedef struct fetched {
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    kslice metadata;
    int16_t error;
} fetched;

/* stable_group: the group's id when the request wants stable offsets
 * (KIP-447 require_stable), null otherwise. */
static fetched fetch_one(mock_req *req, mock_group *g, kslice stable_group, const mock_topic *t,
                         kslice name, int32_t partition, bool by_id)
{
    fetched f = {partition, -1, -1, KWIRE_EMPTY, 0};
    if (by_id && !t) {
        f.error = KFK_ERR_UNKNOWN_TOPIC_ID;
        return f;
    }
    if (stable_group.ptr &&
        mock_txn_offset_pending(req->mc, stable_group, t ? kwire_cstr(t->name) : name, partition)) {
        f.error = KFK_ERR_UNSTABLE_OFFSET_COMMIT;
        return f;
    }
    const mock_group_offset *o =
        g ? mock_group_offset_find(g, t ? kwire_cstr(t->name) : name, partition) : NULL;
    if (o) {
        f.offset = o->offset;
        f.leader_epoch = o->leader_epoch;
        f.metadata = (kslice){(const uint8_t *)(o->metadata ? o->metadata : ""), o->metadata_len};
    }
    return f;
}

/* A requested topic, or one of the group's when all are asked for. */
typedef struct want_topic {
    kslice name;
    kuuid id;
    const int32_t *parts; /* NULL: every committed partition of the topic */
    int32_t n_parts;
} want_topic;

/* The distinct topics the group has offsets for, in first-commit order. */
static int all_topics(mock_req *req, mock_group *g, want_topic **out, int32_t *n)
{
    *n = 0;
    *out = NULL;
    if (!g || !g->n_offsets) return 0;
    want_topic *v = karena_alloc(req->arena, g->n_offsets * sizeof(*v));
    if (!v) return -1;
    for (size_t i = 0; i < g->n_offsets; i++) {
        kslice name = kwire_cstr(g->offsets[i].topic);
        bool seen = false;
        for (int32_t k = 0; k < *n && !seen; k++)
            seen = kwire_eq(v[k].name, name);
        if (seen) continue;
        mock_topic *t = mock_topic_find(req->mc, name);
        v[(*n)++] = (want_topic){name, t ? t->id : (kuuid){{0}}, NULL, 0};
    }
    *out = v;
    return 0;
}

/* The partitions to answer for w: its list, or the committed ones. */
static int topic_parts(mock_req *req, mock_group *g, const want_topic *w, const int32_t **parts,
                       int32_t *n)
{
    *parts = w->parts;
    *n = w->n_parts;
    if (w->parts) return 0;
    int32_t *v = karena_alloc(req->arena, (g->n_offsets ? g->n_offsets : 1) * sizeof(*v));
    if (!v) return -1;
    *n = 0;
    for (size_t i = 0; i < g->n_offsets; i++)
        if (kwire_eq(kwire_cstr(g->offsets[i].topic), w->name)) v[(*n)++] = g->offsets[i].partition;
    *parts = v;
    return 0;
}

/* KIP-848 (v9+): a member fetching its group's offsets must be current. */
static kfk_err validate_fetch(mock_group *g, kslice member_id, int32_t member_epoch)
{
    if (!g || g->type != MOCK_GROUP_CONSUMER) return KFK_OK;
    if (member_epoch < 0 && !member_id.ptr) return KFK_OK;
    mock_group_member *m = mock_group_member_find(g, member_id);
    if (!m) return KFK_ERR_UNKNOWN_MEMBER_ID;
    return member_epoch == m->member_epoch ? KFK_OK : KFK_ERR_STALE_MEMBER_EPOCH;
}

/* v8+: one group of the request. */
static int fetch_group(mock_req *req, const kp_offset_fetch_request_group *rg, bool stable,
                       kp_offset_fetch_response_group *og)
{
    kp_offset_fetch_response_group_init(og);
    og->group_id = rg->group_id;
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, rg->group_id);
    mock_group *g = err ? NULL : mock_group_find(req->mc, rg->group_id);
    if (!err && req->version >= 9) err = validate_fetch(g, rg->member_id, rg->member_epoch);
    if (err) {
        og->error_code = (int16_t)err;
        return 0;
    }
    bool by_id = req->version >= 10;
    want_topic *want;
    int32_t nt;
    if (rg->n_topics < 0) {
        if (all_topics(req, g, &want, &nt)) return -1;
    } else {
        nt = rg->n_topics;
        want = karena_alloc(req->arena, (size_t)(nt ? nt : 1) * sizeof(*want));
        if (!want) return -1;
        for (int32_t i = 0; i < nt; i++) {
            const kp_offset_fetch_request_topics *rt = &rg->topics[i];
            want[i] = (want_topic){rt->name, rt->topic_id, rt->partition_indexes,
                                   rt->n_partition_indexes > 0 ? rt->n_partition_indexes : 0};
            if (!want[i].parts) want[i].parts = no_parts;
        }
    }
    og->topics = karena_alloc(req->arena, (size_t)(nt ? nt : 1) * sizeof(*og->topics));
    if (!og->topics) return -1;
    og->n_topics = nt;
    for (int32_t i = 0; i < nt; i++) {
        kp_offset_fetch_response_topics *ot = &og->topics[i];
        kp_offset_fetch_response_topics_init(ot);
        ot->name = want[i].name;
        ot->topic_id = want[i].id;
        mock_topic *t = by_id ? mock_topic_find_id(req->mc, &want[i].id) : NULL;
        const int32_t *parts;
        int32_t np;
        if (topic_parts(req, g, &want[i], &parts, &np)) return -1;
        ot->partitions = karena_alloc(req->arena, (size_t)(np ? np : 1) * sizeof(*ot->partitions));
        if (!ot->partitions) return -1;
        ot->n_partitions = np;
        for (int32_t k = 0; k < np; k++) {
            fetched f = fetch_one(req, g, stable ? rg->group_id : null_str, t, want[i].name,
                                  parts[k], by_id);
            ot->partitions[k] = (kp_offset_fetch_response_partitions){
                f.partition, f.offset, f.leader_epoch, f.metadata, f.error};
        }
    }
    return 0;
}

/* v1-7: one group, errors at the top (v2+) or in every partition (v1). */
static int fetch_legacy(mock_req *req, const kp_offset_fetch_request *r,
                        kp_offset_fetch_response *resp)
{
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, r->group_id);
    mock_group *g = err ? NULL : mock_group_find(req->mc, r->group_id);
    if (err && req->version >= 2) {
        resp->error_code = (int16_t)err;
        return 0;
    }
    want_topic *want;
    int32_t nt;
    if (r->n_topics < 0) {
        if (all_topics(req, g, &want, &nt)) return -1;
    } else {
        nt = r->n_topics;
        want = karena_alloc(req->arena, (size_t)(nt ? nt : 1) * sizeof(*want));
        if (!want) return -1;
        for (int32_t i = 0; i < nt; i++) {
            const kp_offset_fetch_request_topic *rt = &r->topics[i];
            want[i] = (want_topic){rt->name,
                                   {{0}},
                                   rt->partition_indexes,
                                   rt->n_partition_indexes > 0 ? rt->n_partition_indexes : 0};
            if (!want[i].parts) want[i].parts = no_parts;
        }
    }
    resp->topics = karena_alloc(req->arena, (size_t)(nt ? nt : 1) * sizeof(*resp->topics));
    if (!resp->topics) return -1;
    resp->n_topics = nt;
    for (int32_t i = 0; i < nt; i++) {
        kp_offset_fetch_response_topic *ot = &resp->topics[i];
        kp_offset_fetch_response_topic_init(ot);
        ot->name = want[i].name;
        const int32_t *parts;
        int32_t np;
        if (topic_parts(req, g, &want[i], &parts, &np)) return -1;
        ot->partitions = karena_alloc(req->arena, (size_t)(np ? np : 1) * sizeof(*ot->partitions));
        if (!ot->partitions) return -1;
        ot->n_partitions = np;
        for (int32_t k = 0; k < np; k++) {
            kslice stable = req->version >= 7 && r->require_stable ? r->group_id : null_str;
            fetched f = fetch_one(req, g, stable, NULL, want[i].name, parts[k], false);
            if (err) f.error = (int16_t)err;
            ot->partitions[k] = (kp_offset_fetch_response_partition){
                f.partition, f.offset, f.leader_epoch, f.metadata, f.error};
        }
    }
    return 0;
}

int mock_handle_offset_fetch(mock_req *req)
{
    kp_offset_fetch_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_offset_fetch_response resp;
    kp_offset_fetch_response_init(&resp);
    if (req->version < 8) {
        if (req->version < 2 && r.n_topics < 0) r.n_topics = 0;
        return fetch_legacy(req, &r, &resp) ? MOCK_CLOSE : mock_respond(req, &resp);
    }
    int32_t n = r.n_groups > 0 ? r.n_groups : 0;
    resp.groups = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp.groups));
    if (!resp.groups) return MOCK_CLOSE;
    resp.n_groups = n;
    for (int32_t i = 0; i < n; i++)
        if (fetch_group(req, &r.groups[i], r.require_stable, &resp.groups[i])) return MOCK_CLOSE;
    return mock_respond(req, &resp);
}
