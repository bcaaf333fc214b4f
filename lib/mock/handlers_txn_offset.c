/* TxnOffsetCommit: the group coordinator keeps a transaction's offsets
 * pending until its markers come; they become the group's committed
 * offsets when it commits and vanish when it aborts. Meanwhile OffsetFetch
 * answers the last committed offset, or UNSTABLE_OFFSET_COMMIT when the
 * consumer asks for stable offsets (KIP-447 require_stable). Checks, in
 * Kafka's order: the group coordinator, the producer (another producer id
 * is INVALID_PRODUCER_ID_MAPPING, another epoch INVALID_PRODUCER_EPOCH),
 * the transaction (the group added with AddOffsetsToTxn, else
 * TRANSACTION_ABORTABLE, INVALID_TXN_STATE before v4, as KIP-890's
 * verification answers), and the member (KIP-447, v3+: a known member
 * id, its static instance, and the generation, or the member epoch of a
 * KIP-848 group, else UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
 * ILLEGAL_GENERATION; a group that does not exist accepts generation -1
 * only). Loop thread, mc->lock held. */
#include "mock/groups.h"
#include "mock/mock.h"
#include "mock/txn.h"
#include "proto/gen/txn_offset_commit.h"

typedef kp_txn_offset_commit_request_topic toc_topic;
typedef kp_txn_offset_commit_response_topic toc_result;
typedef kp_txn_offset_commit_response_partition toc_part;

/* Kafka's ClassicGroup.validateOffsetCommit for a transactional commit:
 * no member named (generation -1, no member id or instance id) passes,
 * as commits of producers outside the group's membership do. */
static kfk_err check_classic(mock_group *g, const kp_txn_offset_commit_request *r)
{
    if (r->generation_id_or_member_epoch < 0 && g->state == MOCK_GROUP_EMPTY) return KFK_OK;
    if (r->generation_id_or_member_epoch < 0 && !r->member_id.len && !r->group_instance_id.ptr)
        return KFK_OK;
    if (r->group_instance_id.ptr) {
        mock_group_member *s = mock_group_member_find_instance(g, r->group_instance_id);
        if (!s) return KFK_ERR_UNKNOWN_MEMBER_ID;
        if (!kwire_eq(kwire_cstr(s->member_id), r->member_id)) return KFK_ERR_FENCED_INSTANCE_ID;
    }
    mock_group_member *m = mock_group_member_find(g, r->member_id);
    if (!m || m->pending) return KFK_ERR_UNKNOWN_MEMBER_ID;
    return r->generation_id_or_member_epoch == g->generation_id ? KFK_OK
                                                                : KFK_ERR_ILLEGAL_GENERATION;
}

/* KIP-447 (v3+). A KIP-848 group compares the member epoch; a stale one
 * is ILLEGAL_GENERATION here (TxnOffsetCommit has no STALE_MEMBER_EPOCH). */
static kfk_err check_member(mock_group *g, const kp_txn_offset_commit_request *r)
{
    if (!g) return r->generation_id_or_member_epoch < 0 ? KFK_OK : KFK_ERR_ILLEGAL_GENERATION;
    if (g->type == MOCK_GROUP_CLASSIC) return check_classic(g, r);
    if (r->generation_id_or_member_epoch < 0 && g->n_members == 0) return KFK_OK;
    mock_group_member *m = mock_group_member_find(g, r->member_id);
    if (!m) return KFK_ERR_UNKNOWN_MEMBER_ID;
    return r->generation_id_or_member_epoch == m->member_epoch ? KFK_OK
                                                               : KFK_ERR_ILLEGAL_GENERATION;
}

static kfk_err check_request(mock_req *req, const kp_txn_offset_commit_request *r, mock_txn **tp)
{
    *tp = NULL;
    if (req->inject) return req->inject;
    kfk_err err = mock_group_coordinator_check(req, r->group_id);
    if (err) return err;
    mock_txn *t = mock_txn_find(req->mc, r->transactional_id);
    if (!t || t->producer_id != r->producer_id) return KFK_ERR_INVALID_PRODUCER_ID_MAPPING;
    if (t->epoch != r->producer_epoch) return KFK_ERR_INVALID_PRODUCER_EPOCH;
    if (mock_txn_preparing(t)) return KFK_ERR_CONCURRENT_TRANSACTIONS;
    /* Transaction version 2: the group coordinator adds the group to the
     * transaction for a client that says it knows (v5+), which then sends
     * no AddOffsetsToTxn (KIP-890). */
    bool implicit = req->mc->txn_version >= 2 && req->version >= 5;
    if (implicit && !mock_txn_has_group(t, r->group_id) &&
        mock_txn_add_group(t, r->group_id))
        return KFK_ERR_UNKNOWN_SERVER_ERROR;
    /* KIP-890's verification: TRANSACTION_ABORTABLE for clients that know
     * it (v4+). */
    if (t->state != MOCK_TXN_ONGOING || !mock_txn_has_group(t, r->group_id))
        return req->version >= 4 ? KFK_ERR_TRANSACTION_ABORTABLE : KFK_ERR_INVALID_TXN_STATE;
    err = check_member(mock_group_find(req->mc, r->group_id), r);
    *tp = t;
    return err;
}

static kfk_err commit_one(mock_req *req, mock_txn *t, kfk_err err,
                          const kp_txn_offset_commit_request *r, const toc_topic *rt,
                          const kp_txn_offset_commit_request_partition *rp)
{
    if (err) return err;
    /* Version 6 names topics by id. */
    bool by_id = req->version >= 6;
    mock_topic *topic =
        by_id ? mock_topic_find_id(req->mc, &rt->topic_id) : mock_topic_find(req->mc, rt->name);
    if (!topic) return by_id ? KFK_ERR_UNKNOWN_TOPIC_ID : KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (!mock_partition_find(topic, rp->partition_index)) return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    int32_t leader_epoch = req->version >= 2 ? rp->committed_leader_epoch : -1;
    return mock_txn_add_offset(t, r->group_id, kwire_cstr(topic->name), rp->partition_index,
                               rp->committed_offset, leader_epoch, rp->committed_metadata)
               ? KFK_ERR_UNKNOWN_SERVER_ERROR
               : KFK_OK;
}

int mock_handle_txn_offset_commit(mock_req *req)
{
    kp_txn_offset_commit_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    mock_txn *t;
    kfk_err err = check_request(req, &r, &t);
    int32_t n = r.n_topics > 0 ? r.n_topics : 0;
    toc_result *topics = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*topics));
    if (!topics) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        const toc_topic *rt = &r.topics[i];
        int32_t np = rt->n_partitions > 0 ? rt->n_partitions : 0;
        kp_txn_offset_commit_response_topic_init(&topics[i]);
        topics[i].name = rt->name;
        topics[i].topic_id = rt->topic_id;
        topics[i].partitions = karena_alloc(req->arena, (size_t)(np ? np : 1) * sizeof(toc_part));
        if (!topics[i].partitions) return MOCK_CLOSE;
        topics[i].n_partitions = np;
        for (int32_t k = 0; k < np; k++) {
            const kp_txn_offset_commit_request_partition *rp = &rt->partitions[k];
            kfk_err e = commit_one(req, t, err, &r, rt, rp);
            topics[i].partitions[k] = (toc_part){rp->partition_index, (int16_t)e};
        }
    }
    kp_txn_offset_commit_response resp;
    kp_txn_offset_commit_response_init(&resp);
    resp.topics = topics;
    resp.n_topics = n;
    return mock_respond(req, &resp);
}
