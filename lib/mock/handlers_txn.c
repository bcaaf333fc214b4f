/* The transaction coordinator's client APIs: AddPartitionsToTxn (v0-3
 * from producers; v4+ batched, verify_only as partition leaders send it
 * for KIP-890's verification), AddOffsetsToTxn and EndTxn, with the checks
 * and errors of Kafka's TransactionCoordinator:
 *  - the transactional id must live on this broker (NOT_COORDINATOR);
 *  - an unknown id or another producer id is INVALID_PRODUCER_ID_MAPPING,
 *    another epoch PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2 of
 *    each API, whose clients do not know PRODUCER_FENCED);
 *  - AddPartitionsToTxn with a partition that does not exist fails that
 *    one with UNKNOWN_TOPIC_OR_PARTITION and the others with
 *    OPERATION_NOT_ATTEMPTED, and adds nothing;
 *  - while the markers of an end are pending (kfk_mock_set_txn_marker_delay)
 *    the transaction is PrepareCommit/PrepareAbort: AddPartitionsToTxn,
 *    AddOffsetsToTxn and the same EndTxn again get CONCURRENT_TRANSACTIONS;
 *  - EndTxn commits or aborts an Ongoing transaction; the same request
 *    again after it completed succeeds (a retry), the opposite one and
 *    ending an Empty transaction are INVALID_TXN_STATE. EndTxn v5 is
 *    transaction version 2 (KIP-890): every end bumps the epoch, the
 *    markers carry the new epoch, the answer the new producer id and
 *    epoch; a retry comes one epoch behind; aborting with no transaction
 *    open is allowed (it bumps too);
 *  - DescribeTransactions reports each id's state by Kafka's names, and
 *    TRANSACTIONAL_ID_NOT_FOUND for an id it does not know.
 * Loop thread, mc->lock held. */
#include <string.h>

#include "mock/mock.h"
#include "mock/txn.h"
#include "proto/gen/all.h"

typedef kp_add_partitions_to_txn_request_add_partitions_to_txn_topic apt_topic;
typedef kp_add_partitions_to_txn_request_add_partitions_to_txn_transaction apt_txn;
typedef kp_add_partitions_to_txn_response_add_partitions_to_txn_topic_result apt_result;
typedef kp_add_partitions_to_txn_response_add_partitions_to_txn_partition_result apt_part;
typedef kp_add_partitions_to_txn_response_add_partitions_to_txn_result apt_txn_result;

/* The coordinator's checks shared by the three APIs; *tp gets the
 * transaction when they pass. any_epoch: the caller checks the epoch. */
static kfk_err txn_lookup(mock_req *req, kslice id, int64_t producer_id, int16_t epoch,
                          bool any_epoch, mock_txn **tp)
{
    *tp = NULL;
    if (req->inject) return req->inject;
    if (!id.len) return KFK_ERR_INVALID_REQUEST;
    if (mock_coordinator(req->mc, 1, id) != req->broker->id) return KFK_ERR_NOT_COORDINATOR;
    mock_txn *t = mock_txn_find(req->mc, id);
    kfk_err err = mock_txn_check_producer(t, producer_id, any_epoch && t ? t->epoch : epoch);
    *tp = t;
    return err;
}

static kfk_err old_fenced(const mock_req *req, kfk_err err)
{
    return err == KFK_ERR_PRODUCER_FENCED && req->version < 2 ? KFK_ERR_INVALID_PRODUCER_EPOCH
                                                              : err;
}

/* ---------------------------------------------------- AddPartitionsToTxn */

static bool partition_exists(mock_req *req, kslice topic, int32_t partition)
{
    mock_topic *t = mock_topic_find(req->mc, topic);
    return t && mock_partition_find(t, partition);
}

/* The per-partition errors when the transaction itself passed. */
static kfk_err partition_error(mock_req *req, mock_txn *t, bool verify_only, bool any_unknown,
                               kslice topic, int32_t partition)
{
    if (!partition_exists(req, topic, partition)) return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (any_unknown) return KFK_ERR_OPERATION_NOT_ATTEMPTED;
    if (verify_only)
        return t->state == MOCK_TXN_ONGOING && mock_txn_has_partition(t, topic, partition)
                   ? KFK_OK
                   : KFK_ERR_INVALID_TXN_STATE;
    return mock_txn_add_partition(t, topic, partition) ? KFK_ERR_UNKNOWN_SERVER_ERROR : KFK_OK;
}

static bool any_unknown_partition(mock_req *req, const apt_topic *topics, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        for (int32_t k = 0; k < topics[i].n_partitions; k++)
            if (!partition_exists(req, topics[i].name, topics[i].partitions[k])) return true;
    return false;
}

/* One transaction's partitions: results mirror topics. -1: no memory. */
static int add_partitions(mock_req *req, kslice id, int64_t producer_id, int16_t epoch,
                          bool verify_only, const apt_topic *topics, int32_t n, apt_result **out)
{
    n = n > 0 ? n : 0;
    apt_result *res = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*res));
    if (!res) return -1;
    mock_txn *t;
    kfk_err err = old_fenced(req, txn_lookup(req, id, producer_id, epoch, false, &t));
    if (!err && mock_txn_preparing(t)) err = KFK_ERR_CONCURRENT_TRANSACTIONS; /* markers pending */
    bool unknown = !err && any_unknown_partition(req, topics, n);
    for (int32_t i = 0; i < n; i++) {
        int32_t np = topics[i].n_partitions > 0 ? topics[i].n_partitions : 0;
        kp_add_partitions_to_txn_response_add_partitions_to_txn_topic_result_init(&res[i]);
        res[i].name = topics[i].name;
        res[i].results_by_partition =
            karena_alloc(req->arena, (size_t)(np ? np : 1) * sizeof(apt_part));
        if (!res[i].results_by_partition) return -1;
        res[i].n_results_by_partition = np;
        for (int32_t k = 0; k < np; k++) {
            int32_t part = topics[i].partitions[k];
            kfk_err e =
                err ? err : partition_error(req, t, verify_only, unknown, topics[i].name, part);
            res[i].results_by_partition[k] = (apt_part){part, (int16_t)e};
        }
    }
    *out = res;
    return 0;
}

/* v4+: a batch of transactions, as brokers send it. */
static int add_partitions_batched(mock_req *req, const kp_add_partitions_to_txn_request *r,
                                  kp_add_partitions_to_txn_response *resp)
{
    int32_t n = r->n_transactions > 0 ? r->n_transactions : 0;
    apt_txn_result *res = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*res));
    if (!res) return -1;
    for (int32_t i = 0; i < n; i++) {
        const apt_txn *tx = &r->transactions[i];
        kp_add_partitions_to_txn_response_add_partitions_to_txn_result_init(&res[i]);
        res[i].transactional_id = tx->transactional_id;
        if (add_partitions(req, tx->transactional_id, tx->producer_id, tx->producer_epoch,
                           tx->verify_only, tx->topics, tx->n_topics, &res[i].topic_results))
            return -1;
        res[i].n_topic_results = tx->n_topics > 0 ? tx->n_topics : 0;
    }
    resp->results_by_transaction = res;
    resp->n_results_by_transaction = n;
    return 0;
}

int mock_handle_add_partitions_to_txn(mock_req *req)
{
    kp_add_partitions_to_txn_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_add_partitions_to_txn_response resp;
    kp_add_partitions_to_txn_response_init(&resp);
    if (req->version >= 4) {
        if (req->inject)
            resp.error_code = (int16_t)req->inject;
        else if (add_partitions_batched(req, &r, &resp))
            return MOCK_CLOSE;
        return mock_respond(req, &resp);
    }
    if (add_partitions(req, r.v3_and_below_transactional_id, r.v3_and_below_producer_id,
                       r.v3_and_below_producer_epoch, false, r.v3_and_below_topics,
                       r.n_v3_and_below_topics, &resp.results_by_topic_v3_and_below))
        return MOCK_CLOSE;
    resp.n_results_by_topic_v3_and_below =
        r.n_v3_and_below_topics > 0 ? r.n_v3_and_below_topics : 0;
    return mock_respond(req, &resp);
}

/* ------------------------------------------------------- AddOffsetsToTxn */

int mock_handle_add_offsets_to_txn(mock_req *req)
{
    kp_add_offsets_to_txn_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_add_offsets_to_txn_response resp;
    kp_add_offsets_to_txn_response_init(&resp);
    mock_txn *t;
    kfk_err err = txn_lookup(req, r.transactional_id, r.producer_id, r.producer_epoch, false, &t);
    if (!err && mock_txn_preparing(t)) err = KFK_ERR_CONCURRENT_TRANSACTIONS;
    if (!err && !r.group_id.len) err = KFK_ERR_INVALID_GROUP_ID;
    /* Kafka adds the group's __consumer_offsets partition to the
     * transaction; the mock keeps the group itself. */
    if (!err && mock_txn_add_group(t, r.group_id)) err = KFK_ERR_UNKNOWN_SERVER_ERROR;
    resp.error_code = (int16_t)old_fenced(req, err);
    return mock_respond(req, &resp);
}

/* ---------------------------------------------------------------- EndTxn */

/* The answer to an end (commit or not) of a transaction that is ending
 * or ended already: the same end again succeeds (or waits for its
 * markers), the other one is refused; other states answer otherwise. */
static kfk_err end_again(const mock_txn *t, bool commit, kfk_err otherwise)
{
    switch (t->state) {
    case MOCK_TXN_COMPLETE_COMMIT:
        return commit ? KFK_OK : KFK_ERR_INVALID_TXN_STATE;
    case MOCK_TXN_COMPLETE_ABORT:
        return commit ? KFK_ERR_INVALID_TXN_STATE : KFK_OK;
    case MOCK_TXN_PREPARE_COMMIT:
        return commit ? KFK_ERR_CONCURRENT_TRANSACTIONS : KFK_ERR_INVALID_TXN_STATE;
    case MOCK_TXN_PREPARE_ABORT:
        return commit ? KFK_ERR_INVALID_TXN_STATE : KFK_ERR_CONCURRENT_TRANSACTIONS;
    default:
        return otherwise;
    }
}

static kfk_err end_v1(mock_txn *t, bool commit)
{
    if (t->state != MOCK_TXN_ONGOING) return end_again(t, commit, KFK_ERR_INVALID_TXN_STATE);
    mock_txn_end(t, commit, t->epoch);
    return KFK_OK;
}

/* KIP-890: the end bumps the epoch; at exhaustion the next producer id
 * takes over at epoch 0. */
static void end_and_bump(mock_cluster *mc, mock_txn *t, bool commit)
{
    int16_t next = (int16_t)(t->epoch + 1);
    mock_txn_end(t, commit, next);
    t->last_epoch = t->epoch;
    t->epoch = next;
    if (t->epoch >= MOCK_EPOCH_EXHAUSTED) {
        t->prev_producer_id = t->producer_id;
        t->producer_id = mc->next_producer_id++;
        t->epoch = 0;
        t->last_epoch = -1;
    }
}

/* Transaction version 2: a request one epoch behind is a retry of the
 * end that bumped it, answered again when the result is the same, and
 * INVALID_TXN_STATE when not; so also after the coordinator aborted on
 * its own (a timeout), as Kafka 4.3 answers. */
static kfk_err end_v2_retry(const mock_txn *t, bool commit)
{
    return end_again(t, commit, KFK_ERR_PRODUCER_FENCED);
}

static kfk_err end_v2(mock_cluster *mc, mock_txn *t, int16_t epoch, bool commit)
{
    if (epoch != t->epoch)
        return epoch == t->epoch - 1 ? end_v2_retry(t, commit) : KFK_ERR_PRODUCER_FENCED;
    switch (t->state) {
    case MOCK_TXN_ONGOING:
        end_and_bump(mc, t, commit);
        return KFK_OK;
    case MOCK_TXN_EMPTY:
    case MOCK_TXN_COMPLETE_COMMIT:
    case MOCK_TXN_COMPLETE_ABORT:
        /* Aborting with nothing open still bumps the epoch: a producer
         * may abort after a failed send whose partition never joined. */
        if (commit) return KFK_ERR_INVALID_TXN_STATE;
        end_and_bump(mc, t, commit);
        return KFK_OK;
    default:
        return KFK_ERR_CONCURRENT_TRANSACTIONS;
    }
}

int mock_handle_end_txn(mock_req *req)
{
    kp_end_txn_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_end_txn_response resp;
    kp_end_txn_response_init(&resp);
    resp.producer_id = -1;
    resp.producer_epoch = -1;
    bool tv2 = req->version >= 5;
    mock_txn *t;
    /* Transaction version 2 checks the epoch itself: retries carry the
     * one before the bump. */
    kfk_err err = txn_lookup(req, r.transactional_id, r.producer_id, r.producer_epoch, tv2, &t);
    if (!err)
        err = tv2 ? end_v2(req->mc, t, r.producer_epoch, r.committed) : end_v1(t, r.committed);
    if (!err && tv2) {
        resp.producer_id = t->producer_id;
        resp.producer_epoch = t->epoch;
    }
    resp.error_code = (int16_t)old_fenced(req, err);
    return mock_respond(req, &resp);
}

/* ---------------------------------------------------- DescribeTransactions */

const char *mock_txn_state_name(mock_txn_state s)
{
    static const char *const names[] = {"Empty",        "Ongoing",        "PrepareCommit",
                                        "PrepareAbort", "CompleteCommit", "CompleteAbort"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "Dead";
}

/* The transaction's partitions, grouped by topic as the response has them. */
static int describe_topics(mock_req *req, const mock_txn *t,
                           kp_describe_transactions_response_transaction_state *st)
{
    size_t np = t->n_parts;
    kp_describe_transactions_response_topic_data *td =
        karena_alloc(req->arena, (np + 1) * sizeof(*td));
    int32_t *parts = karena_alloc(req->arena, (np + 1) * sizeof(*parts));
    if (!td || !parts) return -1;
    int32_t n = 0, used = 0;
    for (size_t i = 0; i < np; i++) {
        const char *name = t->parts[i].topic;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(t->parts[j].topic, name) == 0;
        if (seen) continue;
        int32_t first = used;
        for (size_t j = i; j < np; j++)
            if (strcmp(t->parts[j].topic, name) == 0) parts[used++] = t->parts[j].partition;
        td[n++] = (kp_describe_transactions_response_topic_data){
            .topic = kwire_cstr(name), .partitions = parts + first, .n_partitions = used - first};
    }
    st->topics = td;
    st->n_topics = n;
    return 0;
}

static int describe_one(mock_req *req, kslice id,
                        kp_describe_transactions_response_transaction_state *st)
{
    kp_describe_transactions_response_transaction_state_init(st);
    st->transactional_id = id;
    st->producer_id = -1;
    st->producer_epoch = -1;
    kfk_err err = req->inject;
    if (!err && mock_coordinator(req->mc, 1, id) != req->broker->id) err = KFK_ERR_NOT_COORDINATOR;
    mock_txn *t = err ? NULL : mock_txn_find(req->mc, id);
    if (!err && !t) err = KFK_ERR_TRANSACTIONAL_ID_NOT_FOUND;
    st->error_code = (int16_t)err;
    if (err) return 0;
    st->transaction_state = kwire_cstr(mock_txn_state_name(t->state));
    st->transaction_timeout_ms = t->timeout_ms;
    st->transaction_start_time_ms = t->state == MOCK_TXN_EMPTY ? -1 : t->start_ms;
    st->producer_id = t->producer_id;
    st->producer_epoch = t->epoch;
    return describe_topics(req, t, st);
}

int mock_handle_describe_transactions(mock_req *req)
{
    kp_describe_transactions_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_describe_transactions_response resp;
    kp_describe_transactions_response_init(&resp);
    resp.transaction_states = karena_alloc(req->arena, ((size_t)r.n_transactional_ids + 1) *
                                                           sizeof(*resp.transaction_states));
    if (!resp.transaction_states) return MOCK_CLOSE;
    for (int32_t i = 0; i < r.n_transactional_ids; i++)
        if (describe_one(req, r.transactional_ids[i], &resp.transaction_states[i]))
            return MOCK_CLOSE;
    resp.n_transaction_states = r.n_transactional_ids;
    return mock_respond(req, &resp);
}
