/* ShareAcknowledge (KIP-932) in the mock: acknowledgements outside a
 * fetch. It needs an open share session: epoch 0 is
 * INVALID_SHARE_SESSION_EPOCH, a missing session SHARE_SESSION_NOT_FOUND,
 * and -1 acknowledges, then closes the session and releases what it still
 * holds. Each partition answers with the first error of its batches.
 * Loop thread, mc->lock held. */
#include <stdlib.h>

#include "mock/share.h"
#include "proto/gen/share_acknowledge.h"

/* ShareAcknowledge's batches go to mock_share_acknowledge as ShareFetch's:
 * both have the same fields. */
_Static_assert(sizeof(kp_share_fetch_request_acknowledgement_batch) ==
                   sizeof(kp_share_acknowledge_request_acknowledgement_batch),
               "acknowledgement batches differ");

static int ack_partitions(mock_req *req, const kp_share_acknowledge_request *r,
                          mock_share_group *sg, mock_share_session *s,
                          kp_share_acknowledge_response *resp)
{
    int32_t n = r->n_topics > 0 ? r->n_topics : 0;
    resp->responses = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp->responses));
    if (!resp->responses) return -1;
    for (int32_t i = 0; i < n; i++) {
        const kp_share_acknowledge_request_acknowledge_topic *t = &r->topics[i];
        kp_share_acknowledge_response_share_acknowledge_topic_response *rt =
            &resp->responses[resp->n_responses++];
        kp_share_acknowledge_response_share_acknowledge_topic_response_init(rt);
        rt->topic_id = t->topic_id;
        int32_t np = t->n_partitions > 0 ? t->n_partitions : 0;
        rt->partitions = karena_alloc(req->arena, (size_t)(np ? np : 1) * sizeof(*rt->partitions));
        if (!rt->partitions) return -1;
        for (int32_t k = 0; k < np; k++) {
            const kp_share_acknowledge_request_acknowledge_partition *ap = &t->partitions[k];
            kp_share_acknowledge_response_partition_data *d = &rt->partitions[rt->n_partitions++];
            kp_share_acknowledge_response_partition_data_init(d);
            d->partition_index = ap->partition_index;
            d->current_leader.leader_id = -1;
            d->current_leader.leader_epoch = -1;
            mock_partition *p = NULL;
            mock_share_part *sp = NULL;
            kfk_err err = mock_share_locate(req, sg, &t->topic_id, ap->partition_index, &p, &sp);
            if (err == KFK_ERR_NO_MEMORY) return -1;
            if (err == KFK_ERR_NOT_LEADER_OR_FOLLOWER && p && p->leader >= 0) {
                d->current_leader.leader_id = p->leader;
                d->current_leader.leader_epoch = p->leader_epoch;
            }
            if (!err)
                err = mock_share_acknowledge(req->mc, sp, s->id,
                                             (const kp_share_fetch_request_acknowledgement_batch *)
                                                 ap->acknowledgement_batches,
                                             ap->n_acknowledgement_batches, req->version >= 2,
                                             mock_share_lock_ms(req->mc, sg));
            d->error_code = (int16_t)err;
        }
    }
    return 0;
}

int mock_handle_share_acknowledge(mock_req *req)
{
    kp_share_acknowledge_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_share_acknowledge_response resp;
    kp_share_acknowledge_response_init(&resp);
    if (req->version >= 2)
        resp.acquisition_lock_timeout_ms = mock_group_conf_share_lock_ms(req->mc, r.group_id);
    mock_share_group *sg = NULL;
    mock_share_session *s = NULL;
    int32_t epoch = r.share_session_epoch;
    kfk_err err =
        req->inject ? req->inject : mock_share_group_check(req, r.group_id, r.member_id, &sg);
    /* Acknowledging needs a session: epoch 0 would open one. */
    if (!err && epoch == 0) err = KFK_ERR_INVALID_SHARE_SESSION_EPOCH;
    if (!err) err = mock_share_session_for(req, sg, r.member_id, epoch, &s);
    if (err) {
        resp.error_code = (int16_t)err;
        return mock_respond(req, &resp);
    }
    if (epoch != -1) s->next_epoch = mock_share_epoch_next(epoch);
    if (ack_partitions(req, &r, sg, s, &resp)) return MOCK_CLOSE;
    if (epoch == -1) mock_share_session_close(req->mc, sg, s);
    return mock_respond(req, &resp);
}
