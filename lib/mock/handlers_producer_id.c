/* InitProducerId. Without a transactional id any broker hands out a fresh
 * producer id with epoch 0, whatever id and epoch the request carries (as
 * Kafka does for idempotent producers, KIP-360 included). With one, the
 * transaction coordinator keeps the id and bumps the epoch, following
 * Kafka's TransactionCoordinator:
 *  - a new transactional id gets a new producer id, epoch 0;
 *  - no expected id/epoch in the request: bump (fencing older producers);
 *  - expected id/epoch (KIP-360): they must be the current ones (bump) or,
 *    for a retried request, the epoch before the last bump (answered with
 *    the current one); else PRODUCER_FENCED;
 *  - an exhausted epoch (32766 and up) rotates to a new producer id;
 *  - an open transaction of the old producer is aborted with a bumped
 *    epoch (fencing it) and the request answered CONCURRENT_TRANSACTIONS,
 *    which clients retry; the retry then bumps again;
 *  - transaction_timeout_ms above transaction.max.timeout.ms (or not
 *    positive) is INVALID_TRANSACTION_TIMEOUT;
 *  - before v4, PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH
 *    (older clients do not know it).
 * Before either, as KafkaApis: an expected producer id without an epoch,
 * or the reverse, is INVALID_REQUEST. */
#include <stdlib.h>
#include <string.h>

#include "mock/mock.h"
#include "mock/txn.h"
#include "proto/gen/init_producer_id.h"

#define EPOCH_EXHAUSTED MOCK_EPOCH_EXHAUSTED

/* Kafka's isValidProducerId: whether a KIP-360 request names this
 * producer (the current id, or the one before a rotation at an exhausted
 * epoch). The epoch is checked when it is bumped, so an open transaction
 * is fenced on the producer id alone. */
static bool expected_ok(const mock_txn *t, int64_t want_pid, int16_t want_epoch)
{
    if (want_pid < 0 && want_epoch < 0) return true;
    return t->epoch < 0 || want_pid == t->producer_id ||
           (want_pid == t->prev_producer_id && want_epoch >= EPOCH_EXHAUSTED);
}

/* The new epoch for a request, or an error. */
static int16_t bump(mock_cluster *mc, mock_txn *t, int64_t want_pid, int16_t want_epoch)
{
    bool expected = want_pid >= 0 || want_epoch >= 0;
    if (!expected_ok(t, want_pid, want_epoch)) return KFK_ERR_PRODUCER_FENCED;
    if (t->epoch >= EPOCH_EXHAUSTED && (!expected || want_epoch == t->epoch)) {
        t->prev_producer_id = t->producer_id;
        t->producer_id = mc->next_producer_id++;
        t->epoch = 0;
        t->last_epoch = -1;
        return 0;
    }
    if (!expected) {
        t->last_epoch = -1;
        t->epoch++;
    } else if (t->epoch < 0 || want_epoch == t->epoch) {
        t->last_epoch = t->epoch;
        t->epoch++;
    } else if (want_epoch != t->last_epoch) {
        return KFK_ERR_PRODUCER_FENCED;
    } /* else a retry of the last bump: the current epoch again */
    return 0;
}

static int16_t transactional(mock_req *req, const kp_init_producer_id_request *r,
                             kp_init_producer_id_response *resp)
{
    mock_cluster *mc = req->mc;
    if (r->transactional_id.len == 0) return KFK_ERR_INVALID_REQUEST;
    if (r->transaction_timeout_ms <= 0 || r->transaction_timeout_ms > mc->txn_max_timeout_ms)
        return KFK_ERR_INVALID_TRANSACTION_TIMEOUT;
    if (mock_coordinator(mc, 1, r->transactional_id) != req->broker->id)
        return KFK_ERR_NOT_COORDINATOR;
    mock_txn *t = mock_txn_find(mc, r->transactional_id);
    if (!t && !(t = mock_txn_add(mc, r->transactional_id))) return KFK_ERR_UNKNOWN_SERVER_ERROR;
    int64_t want_pid = req->version >= 3 ? r->producer_id : -1;
    int16_t want_epoch = req->version >= 3 ? r->producer_epoch : -1;
    if (t->state == MOCK_TXN_ONGOING || mock_txn_preparing(t)) {
        if (!expected_ok(t, want_pid, want_epoch)) return KFK_ERR_PRODUCER_FENCED;
        if (t->state == MOCK_TXN_ONGOING) mock_txn_fence_abort(t);
        return KFK_ERR_CONCURRENT_TRANSACTIONS; /* retried once the markers are out */
    }
    int16_t err = bump(mc, t, want_pid, want_epoch);
    if (err) return err;
    t->timeout_ms = r->transaction_timeout_ms;
    t->state = MOCK_TXN_EMPTY;
    resp->producer_id = t->producer_id;
    resp->producer_epoch = t->epoch;
    return 0;
}

int mock_handle_init_producer_id(mock_req *req)
{
    kp_init_producer_id_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_init_producer_id_response resp;
    kp_init_producer_id_response_init(&resp);
    resp.producer_id = -1;
    resp.producer_epoch = -1;
    /* Kafka's KafkaApis checks the expected id and epoch first, for
     * idempotent producers too: both set or both -1. */
    bool half = req->version >= 3 && (r.producer_id < 0) != (r.producer_epoch < 0);
    if (req->inject) {
        resp.error_code = (int16_t)req->inject;
    } else if (half) {
        resp.error_code = KFK_ERR_INVALID_REQUEST;
    } else if (r.transactional_id.ptr) {
        resp.error_code = transactional(req, &r, &resp);
        if (resp.error_code == KFK_ERR_PRODUCER_FENCED && req->version < 4)
            resp.error_code = KFK_ERR_INVALID_PRODUCER_EPOCH;
    } else {
        mock_cluster *mc = req->mc;
        resp.producer_id = mc->next_producer_id++;
        resp.producer_epoch = mc->next_producer_epoch;
        mc->next_producer_epoch = 0;
    }
    return mock_respond(req, &resp);
}

kfk_err kfk_mock_set_next_producer_epoch(kfk_mock_cluster *mc, int16_t epoch)
{
    if (!mc || epoch < 0) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->next_producer_epoch = epoch;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}
