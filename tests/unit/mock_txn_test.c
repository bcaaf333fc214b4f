/* The mock's transaction coordinator: InitProducerId fencing and timeouts,
 * AddPartitionsToTxn, AddOffsetsToTxn, EndTxn (transaction versions 1 and
 * 2), TxnOffsetCommit, and what transactions do to the logs: markers, the
 * last stable offset, read_committed Fetch and ListOffsets. */
#include "ktxn_wire.h"

#define TXN "tx-1"
#define TOPIC "t"

static kfk_mock_cluster *mc;
static kbuf buf;
static mt_conn tc; /* to TXN's coordinator */

static void setup(void)
{
    mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, TOPIC, 2, 1), 0);
    /* Every partition led by the coordinator: one connection does it all. */
    int32_t coord = kfk_mock_txn_coordinator(mc, TXN);
    ck_assert(coord >= 1 && coord <= 3);
    for (int32_t p = 0; p < 2; p++)
        ck_assert_int_eq(kfk_mock_partition_set_leader(mc, TOPIC, p, coord), 0);
    mt_open(&tc, mc, coord);
}

static void teardown(void)
{
    mt_close(&tc);
    kfk_mock_cluster_destroy(mc);
    kbuf_free(&buf);
}

/* ------------------------------------------------------------- requests */

static ktw_pid init(void)
{
    ktw_pid pe;
    ck_assert_int_eq(ktw_init_producer_id(&tc, 5, TXN, 60000, &pe), 0);
    return pe;
}

/* AddPartitionsToTxn (v0-3) of TOPIC's partitions parts[0..n); the error
 * of partition index i in *errs. */
static void add_parts_v(int16_t v, ktw_pid pe, const char *topic, const int32_t *parts, int n,
                        int16_t *errs)
{
    ktw_add_partitions(&tc, v, TXN, pe, topic, parts, n, errs);
}

static int16_t add_part(ktw_pid pe, int32_t partition)
{
    int16_t err;
    add_parts_v(3, pe, TOPIC, &partition, 1, &err);
    return err;
}

static int16_t end_v(int16_t v, ktw_pid pe, bool commit, ktw_pid *out)
{
    return ktw_end_txn(&tc, v, TXN, pe, commit, out);
}

/* A transactional batch of n records. */
static kslice txn_batch(int n, ktw_pid pe, int32_t seq)
{
    return ktw_batch(&buf, n, pe, seq, 1000, 1);
}

/* A transactional Produce at version v; the partition's error, and its
 * base offset in *base. */
static int16_t produce_v(int16_t v, int32_t partition, kslice records, int64_t *base)
{
    return ktw_produce(&tc, v, TXN, TOPIC, partition, records, base);
}

static int16_t produce(int32_t partition, kslice records)
{
    return produce_v(11, partition, records, NULL);
}

/* Fetch of one partition with an isolation level, at v12. */
static const kp_fetch_response_partition_data *fetch(int32_t partition, int64_t offset,
                                                     int8_t isolation)
{
    static kp_fetch_response resp;
    mt_fetch f;
    kuuid zero = {{0}};
    mt_fetch_init(&f, TOPIC, zero, partition, offset, 0);
    f.req.isolation_level = isolation;
    f.req.min_bytes = 0;
    mt_call(&tc, KP_FETCH_KEY, 12, &f.req, &resp);
    ck_assert_int_eq(resp.responses[0].n_partitions, 1);
    return &resp.responses[0].partitions[0];
}

static int64_t list_latest(int32_t partition, int8_t isolation)
{
    return ktw_list_latest(&tc, TOPIC, partition, isolation);
}

static int64_t hw(int32_t partition)
{
    int64_t end;
    ck_assert_int_eq(kfk_mock_partition_offsets(mc, TOPIC, partition, NULL, &end), 0);
    return end;
}

/* The batch at offset of partition (read_uncommitted) must be a control
 * batch of pe with a marker of the given type. */
static void expect_marker(int32_t partition, int64_t offset, ktw_pid pe, bool commit)
{
    int32_t records;
    size_t value_len;
    ktw_expect_marker(fetch(partition, offset, 0), offset, pe, commit, &records, &value_len);
    ck_assert_int_eq(records, 1);
    ck_assert_uint_eq(value_len, 6); /* version 0, coordinator epoch */
}

/* ---------------------------------------------------------------- tests */

/* FindCoordinator v4 for a transactional id; the error in *err. */
static int32_t find_txn_coordinator(mt_conn *c, const char *id, int16_t *err)
{
    kp_find_coordinator_request req;
    kp_find_coordinator_request_init(&req);
    kslice k = kwire_cstr(id);
    req.key_type = 1;
    req.coordinator_keys = &k;
    req.n_coordinator_keys = 1;
    kp_find_coordinator_response resp;
    mt_call(c, KP_FIND_COORDINATOR_KEY, 4, &req, &resp);
    ck_assert_int_eq(resp.n_coordinators, 1);
    *err = resp.coordinators[0].error_code;
    return resp.coordinators[0].node_id;
}

START_TEST(test_txn_apis_answer_only_on_the_coordinator)
{
    ktw_pid pe = init();
    int32_t coord = kfk_mock_txn_coordinator(mc, TXN);
    int16_t ferr;
    ck_assert_int_eq(find_txn_coordinator(&tc, TXN, &ferr), coord);
    ck_assert_int_eq(ferr, 0);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_FIND_COORDINATOR, 1,
                                          KFK_ERR_COORDINATOR_NOT_AVAILABLE),
                     0);
    find_txn_coordinator(&tc, TXN, &ferr);
    ck_assert_int_eq(ferr, KFK_ERR_COORDINATOR_NOT_AVAILABLE);
    mt_conn other;
    mt_open(&other, mc, coord % 3 + 1);
    ck_assert_int_eq(ktw_init_producer_id(&other, 5, TXN, 60000, NULL), KFK_ERR_NOT_COORDINATOR);
    kp_end_txn_request req;
    kp_end_txn_request_init(&req);
    req.transactional_id = kwire_cstr(TXN);
    req.producer_id = pe.id;
    req.producer_epoch = pe.epoch;
    kp_end_txn_response resp;
    mt_call(&other, KP_END_TXN_KEY, 4, &req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_NOT_COORDINATOR);
    mt_close(&other);
    /* Its coordinator down, another broker takes the id over, state and all. */
    mt_close(&tc);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, coord, true), 0);
    int32_t next = kfk_mock_txn_coordinator(mc, TXN);
    ck_assert_int_ne(next, coord);
    mt_open(&tc, mc, next);
    ck_assert_int_eq(find_txn_coordinator(&tc, TXN, &ferr), next);
    ck_assert_int_eq(end_v(4, pe, true, NULL), KFK_ERR_INVALID_TXN_STATE); /* Empty */
    ktw_pid pe2;
    ck_assert_int_eq(ktw_init_producer_id(&tc, 5, TXN, 60000, &pe2), 0);
    ck_assert_int_eq(pe2.id, pe.id);
    ck_assert_int_eq(pe2.epoch, pe.epoch + 1);
}
END_TEST

START_TEST(test_init_checks_the_transaction_timeout)
{
    ck_assert_int_eq(ktw_init_producer_id(&tc, 5, TXN, 0, NULL),
                     KFK_ERR_INVALID_TRANSACTION_TIMEOUT);
    ck_assert_int_eq(ktw_init_producer_id(&tc, 5, TXN, 900001, NULL),
                     KFK_ERR_INVALID_TRANSACTION_TIMEOUT);
    ck_assert_int_eq(ktw_init_producer_id(&tc, 5, TXN, 900000, NULL), 0);
    ck_assert_int_eq(kfk_mock_set_transaction_max_timeout(mc, 1000), 0);
    ck_assert_int_eq(ktw_init_producer_id(&tc, 5, TXN, 1001, NULL),
                     KFK_ERR_INVALID_TRANSACTION_TIMEOUT);
    ck_assert_int_eq(kfk_mock_set_transaction_max_timeout(mc, 0), KFK_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_a_new_epoch_fences_the_old_producer)
{
    ktw_pid old = init();
    ktw_pid now = init();
    ck_assert_int_eq(now.id, old.id);
    ck_assert_int_eq(now.epoch, old.epoch + 1);
    int32_t part = 0;
    int16_t err;
    add_parts_v(3, old, TOPIC, &part, 1, &err);
    ck_assert_int_eq(err, KFK_ERR_PRODUCER_FENCED);
    add_parts_v(1, old, TOPIC, &part, 1, &err); /* before v2 clients know no PRODUCER_FENCED */
    ck_assert_int_eq(err, KFK_ERR_INVALID_PRODUCER_EPOCH);
    ck_assert_int_eq(end_v(3, old, true, NULL), KFK_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(end_v(1, old, true, NULL), KFK_ERR_INVALID_PRODUCER_EPOCH);
    ktw_pid stranger = {now.id + 1000, now.epoch};
    ck_assert_int_eq(add_part(stranger, 0), KFK_ERR_INVALID_PRODUCER_ID_MAPPING);
    ck_assert_int_eq(add_part(now, 0), 0);
    ck_assert_int_eq(produce(0, txn_batch(1, old, 0)), KFK_ERR_INVALID_PRODUCER_EPOCH);
    ck_assert_int_eq(produce(0, txn_batch(1, now, 0)), 0);
    /* KIP-360 with a stale epoch: the open transaction is aborted first
     * (Kafka checks only the producer id then), the retry is fenced. */
    kp_init_producer_id_request req;
    kp_init_producer_id_request_init(&req);
    req.transactional_id = kwire_cstr(TXN);
    req.transaction_timeout_ms = 60000;
    req.producer_id = old.id;
    req.producer_epoch = old.epoch;
    kp_init_producer_id_response resp;
    mt_call(&tc, KP_INIT_PRODUCER_ID_KEY, 4, &req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_CONCURRENT_TRANSACTIONS);
    mt_call(&tc, KP_INIT_PRODUCER_ID_KEY, 4, &req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_PRODUCER_FENCED);
    mt_call(&tc, KP_INIT_PRODUCER_ID_KEY, 3, &req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_INVALID_PRODUCER_EPOCH);
}
END_TEST

START_TEST(test_init_aborts_the_open_transaction_of_the_old_producer)
{
    ktw_pid old = init();
    ck_assert_int_eq(add_part(old, 0), 0);
    ck_assert_int_eq(produce(0, txn_batch(3, old, 0)), 0);
    ck_assert_int_eq(list_latest(0, 1), 0);
    ck_assert_int_eq(ktw_init_producer_id(&tc, 5, TXN, 60000, NULL),
                     KFK_ERR_CONCURRENT_TRANSACTIONS);
    /* The abort went out with the fencing epoch. */
    ktw_pid fence = {old.id, (int16_t)(old.epoch + 1)};
    expect_marker(0, 3, fence, false);
    ck_assert_int_eq(list_latest(0, 1), 4);
    ktw_pid now = init(); /* the client's retry */
    ck_assert_int_eq(now.epoch, old.epoch + 2);
    ck_assert_int_eq(produce(0, txn_batch(1, fence, 3)), KFK_ERR_INVALID_PRODUCER_EPOCH);
}
END_TEST

START_TEST(test_commit_writes_markers_and_moves_the_lso)
{
    ktw_pid pe = init();
    int32_t parts[2] = {0, 1};
    int16_t errs[2];
    add_parts_v(3, pe, TOPIC, parts, 2, errs);
    ck_assert_int_eq(errs[0], 0);
    ck_assert_int_eq(errs[1], 0);
    ck_assert_int_eq(produce(0, txn_batch(2, pe, 0)), 0);
    ck_assert_int_eq(produce(0, txn_batch(3, pe, 2)), 0);
    /* Open: read_committed sees nothing, read_uncommitted everything. */
    const kp_fetch_response_partition_data *pd = fetch(0, 0, 1);
    ck_assert_int_eq(pd->high_watermark, 5);
    ck_assert_int_eq(pd->last_stable_offset, 0);
    ck_assert_uint_eq(pd->records.len, 0);
    ck_assert_int_eq(pd->n_aborted_transactions, 0); /* empty, not null (-1) */
    ck_assert_int_eq(mt_count_records(fetch(0, 0, 0)->records, 0), 5);
    ck_assert_int_eq(list_latest(0, 1), 0);
    ck_assert_int_eq(list_latest(0, 0), 5);

    ck_assert_int_eq(end_v(3, pe, true, NULL), 0);
    expect_marker(0, 5, pe, true);
    expect_marker(1, 0, pe, true); /* no data there: a marker all the same */
    ck_assert_int_eq(list_latest(0, 1), 6);
    ck_assert_int_eq(hw(1), 1);
    pd = fetch(0, 0, 1);
    ck_assert_int_eq(pd->last_stable_offset, 6);
    ck_assert_int_eq(pd->n_aborted_transactions, 0);
    ck_assert_int_eq(mt_count_records(pd->records, 0), 6); /* the marker is a record too */

    ck_assert_int_eq(end_v(3, pe, true, NULL), 0); /* a retry */
    ck_assert_int_eq(end_v(3, pe, false, NULL), KFK_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(hw(0), 6); /* no second marker */
}
END_TEST

START_TEST(test_abort_lists_the_aborted_transaction_in_read_committed_fetches)
{
    ktw_pid pe = init();
    ck_assert_int_eq(add_part(pe, 0), 0);
    ck_assert_int_eq(produce(0, txn_batch(2, pe, 0)), 0);
    ck_assert_int_eq(end_v(3, pe, false, NULL), 0);
    ck_assert_int_eq(end_v(3, pe, true, NULL), KFK_ERR_INVALID_TXN_STATE);
    expect_marker(0, 2, pe, false);
    ck_assert_int_eq(add_part(pe, 0), 0); /* the next transaction, committed */
    ck_assert_int_eq(produce(0, txn_batch(1, pe, 2)), 0);
    ck_assert_int_eq(end_v(3, pe, true, NULL), 0);

    const kp_fetch_response_partition_data *pd = fetch(0, 0, 1);
    ck_assert_int_eq(pd->last_stable_offset, 5);
    ck_assert_int_eq(pd->n_aborted_transactions, 1);
    ck_assert_int_eq(pd->aborted_transactions[0].producer_id, pe.id);
    ck_assert_int_eq(pd->aborted_transactions[0].first_offset, 0);
    pd = fetch(0, 1, 1); /* from inside it: still listed */
    ck_assert_int_eq(pd->n_aborted_transactions, 1);
    pd = fetch(0, 3, 1); /* past its marker: not */
    ck_assert_int_eq(pd->n_aborted_transactions, 0);
    ck_assert_int_eq(fetch(0, 0, 0)->n_aborted_transactions, -1); /* read_uncommitted: null */
}
END_TEST

static int16_t add_offsets(ktw_pid pe, const char *group);

/* Waits until partition's read_committed end reaches want. */
static void await_lso(int32_t partition, int64_t want)
{
    int64_t deadline = mt_now_ms() + 5000;
    while (list_latest(partition, 1) != want && mt_now_ms() < deadline)
        usleep(10000);
    ck_assert_int_eq(list_latest(partition, 1), want);
}

START_TEST(test_pending_markers_answer_concurrent_transactions)
{
    ck_assert_int_eq(kfk_mock_set_txn_marker_delay(mc, -1), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_mock_set_txn_marker_delay(mc, 300), 0);
    ktw_pid pe = init();
    ck_assert_int_eq(add_part(pe, 0), 0);
    ck_assert_int_eq(produce(0, txn_batch(2, pe, 0)), 0);
    ck_assert_int_eq(end_v(3, pe, true, NULL), 0); /* answered before the markers */
    ck_assert_int_eq(list_latest(0, 1), 0);
    ck_assert_int_eq(end_v(3, pe, true, NULL), KFK_ERR_CONCURRENT_TRANSACTIONS);
    ck_assert_int_eq(end_v(3, pe, false, NULL), KFK_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(add_part(pe, 1), KFK_ERR_CONCURRENT_TRANSACTIONS);
    ck_assert_int_eq(add_offsets(pe, "g"), KFK_ERR_CONCURRENT_TRANSACTIONS);
    ck_assert_int_eq(produce_v(12, 1, txn_batch(1, pe, 0), NULL), KFK_ERR_NOT_ENOUGH_REPLICAS);
    ck_assert_int_eq(ktw_init_producer_id(&tc, 5, TXN, 60000, NULL),
                     KFK_ERR_CONCURRENT_TRANSACTIONS);
    await_lso(0, 3);
    expect_marker(0, 2, pe, true);
    ck_assert_int_eq(add_part(pe, 1), 0); /* the next transaction */

    /* A new producer fences the open one; its retries wait for the abort. */
    ck_assert_int_eq(ktw_init_producer_id(&tc, 5, TXN, 60000, NULL),
                     KFK_ERR_CONCURRENT_TRANSACTIONS);
    ck_assert_int_eq(ktw_init_producer_id(&tc, 5, TXN, 60000, NULL),
                     KFK_ERR_CONCURRENT_TRANSACTIONS);
    int64_t deadline = mt_now_ms() + 5000;
    ktw_pid now = {-1, -1};
    while (ktw_init_producer_id(&tc, 5, TXN, 60000, &now) == KFK_ERR_CONCURRENT_TRANSACTIONS &&
           mt_now_ms() < deadline)
        usleep(10000);
    ck_assert_int_eq(now.epoch, pe.epoch + 2);
    expect_marker(1, 0, (ktw_pid){pe.id, (int16_t)(pe.epoch + 1)}, false);
}
END_TEST

START_TEST(test_read_committed_long_poll_waits_for_the_commit)
{
    ktw_pid pe = init();
    ck_assert_int_eq(add_part(pe, 0), 0);
    ck_assert_int_eq(produce(0, txn_batch(2, pe, 0)), 0);
    mt_conn fc;
    mt_open(&fc, mc, kfk_mock_txn_coordinator(mc, TXN));
    mt_fetch f;
    kuuid zero = {{0}};
    mt_fetch_init(&f, TOPIC, zero, 0, 0, 20000);
    f.req.isolation_level = 1;
    int64_t start = mt_now_ms();
    int32_t cid = mt_send(&fc, KP_FETCH_KEY, 12, &f.req);
    struct pollfd pfd = {.fd = fc.fd, .events = POLLIN};
    ck_assert_int_eq(poll(&pfd, 1, 200), 0); /* parked: nothing stable yet */
    ck_assert_int_eq(end_v(3, pe, true, NULL), 0);
    kp_fetch_response resp;
    ck_assert_int_eq(mt_recv(&fc, KP_FETCH_KEY, 12, &resp), cid);
    ck_assert_int_lt(mt_now_ms() - start, 10000); /* woken by the end, not the 20 s wait */
    ck_assert_int_eq(mt_count_records(resp.responses[0].partitions[0].records, 0), 3);
    mt_close(&fc);
}
END_TEST

START_TEST(test_truncating_an_open_transaction_away_frees_the_lso)
{
    ktw_pid pe = init();
    ck_assert_int_eq(add_part(pe, 0), 0);
    ck_assert_int_eq(produce(0, txn_batch(2, pe, 0)), 0);
    ck_assert_int_eq(list_latest(0, 1), 0);
    ck_assert_int_eq(kfk_mock_partition_truncate(mc, TOPIC, 0, 0), 0);
    ck_assert_int_eq(list_latest(0, 1), 0);
    ck_assert_int_eq(hw(0), 0);
    ck_assert_int_eq(produce(0, txn_batch(1, pe, 2)), 0); /* the transaction starts here again */
    ck_assert_int_eq(list_latest(0, 1), 0);
    ck_assert_int_eq(end_v(3, pe, false, NULL), 0);
    const kp_fetch_response_partition_data *pd = fetch(0, 0, 1);
    ck_assert_int_eq(pd->last_stable_offset, 2);
    ck_assert_int_eq(pd->n_aborted_transactions, 1);
    ck_assert_int_eq(pd->aborted_transactions[0].first_offset, 0);
}
END_TEST

START_TEST(test_end_txn_refuses_illegal_transitions)
{
    ktw_pid pe = init();
    ck_assert_int_eq(end_v(4, pe, true, NULL), KFK_ERR_INVALID_TXN_STATE); /* Empty */
    ck_assert_int_eq(end_v(4, pe, false, NULL), KFK_ERR_INVALID_TXN_STATE);
    /* A produce outside the transaction (without transaction version 2's
     * implicit add, Produce v12+): TRANSACTION_ABORTABLE from v11. */
    ck_assert_int_eq(produce(0, txn_batch(1, pe, 0)), KFK_ERR_TRANSACTION_ABORTABLE);
    ck_assert_int_eq(produce_v(10, 0, txn_batch(1, pe, 0), NULL), KFK_ERR_INVALID_TXN_STATE);
    /* Partitions that do not exist fail, the others are not attempted. */
    int32_t parts[2] = {0, 7};
    int16_t errs[2];
    add_parts_v(3, pe, TOPIC, parts, 2, errs);
    ck_assert_int_eq(errs[0], KFK_ERR_OPERATION_NOT_ATTEMPTED);
    ck_assert_int_eq(errs[1], KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(end_v(4, pe, true, NULL), KFK_ERR_INVALID_TXN_STATE); /* nothing added */
    add_parts_v(3, pe, "nope", parts, 1, errs);
    ck_assert_int_eq(errs[0], KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
}
END_TEST

START_TEST(test_the_coordinator_aborts_a_transaction_past_its_timeout)
{
    ktw_pid pe;
    ck_assert_int_eq(ktw_init_producer_id(&tc, 5, TXN, 200, &pe), 0);
    ck_assert_int_eq(add_part(pe, 0), 0);
    ck_assert_int_eq(produce(0, txn_batch(2, pe, 0)), 0);
    ck_assert_int_eq(list_latest(0, 1), 0);
    int64_t deadline = mt_now_ms() + 5000;
    while (list_latest(0, 1) == 0 && mt_now_ms() < deadline)
        usleep(20000);
    ck_assert_int_eq(list_latest(0, 1), 3);
    expect_marker(0, 2, (ktw_pid){pe.id, (int16_t)(pe.epoch + 1)}, false);
    ck_assert_int_eq(end_v(4, pe, true, NULL), KFK_ERR_PRODUCER_FENCED);
    /* Transaction version 2 sees a request one epoch behind as a retry:
     * the abort succeeds, a commit is the wrong end. */
    ck_assert_int_eq(end_v(5, pe, true, NULL), KFK_ERR_INVALID_TXN_STATE);
    ktw_pid now;
    ck_assert_int_eq(end_v(5, pe, false, &now), 0);
    ck_assert_int_eq(now.epoch, pe.epoch + 1);
    ck_assert_int_eq(fetch(0, 0, 1)->n_aborted_transactions, 1);
}
END_TEST

START_TEST(test_tv2_adds_partitions_on_produce_and_bumps_the_epoch_on_end)
{
    ktw_pid pe = init();
    int64_t base;
    ck_assert_int_eq(produce_v(12, 0, txn_batch(2, pe, 0), &base), 0); /* not added first */
    ck_assert_int_eq(base, 0);
    ck_assert_int_eq(list_latest(0, 1), 0);
    ktw_pid next;
    ck_assert_int_eq(end_v(5, pe, true, &next), 0);
    ck_assert_int_eq(next.id, pe.id);
    ck_assert_int_eq(next.epoch, pe.epoch + 1);
    expect_marker(0, 2, next, true); /* the marker carries the new epoch */
    ck_assert_int_eq(list_latest(0, 1), 3);
    ktw_pid again;
    ck_assert_int_eq(end_v(5, pe, true, &again), 0); /* a retry: the same answer */
    ck_assert_int_eq(again.epoch, next.epoch);
    ck_assert_int_eq(end_v(5, pe, false, NULL), KFK_ERR_INVALID_TXN_STATE); /* not what it did */
    ktw_pid older = {pe.id, (int16_t)(pe.epoch - 1)};
    ck_assert_int_eq(end_v(5, older, true, NULL), KFK_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(produce_v(12, 0, txn_batch(1, pe, 2), NULL), KFK_ERR_INVALID_PRODUCER_EPOCH);
    /* The new epoch starts its sequences over; aborting an empty
     * transaction is allowed and bumps too. */
    ck_assert_int_eq(end_v(5, next, true, NULL), KFK_ERR_INVALID_TXN_STATE);
    ktw_pid after_abort;
    ck_assert_int_eq(end_v(5, next, false, &after_abort), 0);
    ck_assert_int_eq(after_abort.epoch, next.epoch + 1);
    ck_assert_int_eq(produce_v(12, 1, txn_batch(1, after_abort, 0), NULL), 0);
    ck_assert_int_eq(end_v(5, after_abort, false, &next), 0);
    expect_marker(1, 1, next, false);
    ck_assert_int_eq(fetch(1, 0, 1)->n_aborted_transactions, 1);
}
END_TEST

static int16_t finalized_txn_version(void)
{
    return ktw_transaction_version(&tc);
}

START_TEST(test_tv1_refuses_produce_to_a_partition_not_added)
{
    ck_assert_int_eq(finalized_txn_version(), 2);
    ck_assert_int_eq(kfk_mock_set_transaction_version(mc, 1), 0);
    ck_assert_int_eq(finalized_txn_version(), 1);
    ck_assert_int_eq(kfk_mock_set_transaction_version(mc, 3), KFK_ERR_INVALID_ARG);
    ktw_pid pe = init();
    ck_assert_int_eq(produce_v(12, 0, txn_batch(1, pe, 0), NULL), KFK_ERR_TRANSACTION_ABORTABLE);
    ck_assert_int_eq(add_part(pe, 0), 0);
    ck_assert_int_eq(produce_v(12, 0, txn_batch(1, pe, 0), NULL), 0);
    ck_assert_int_eq(kfk_mock_set_transaction_version(mc, 0), 0);
    ck_assert_int_eq(finalized_txn_version(), 0); /* level 0 is not listed */
}
END_TEST

/* ------------------------------------------------------ offsets (KIP-447) */

static int16_t add_offsets(ktw_pid pe, const char *group)
{
    return ktw_add_offsets(&tc, TXN, pe, group);
}

static int16_t txn_commit(mt_conn *c, ktw_pid pe, const char *group, int64_t offset,
                          int32_t generation, const char *member)
{
    ktw_offset o = {.txn = TXN,
                    .group = group,
                    .member = member,
                    .generation = generation,
                    .topic = TOPIC,
                    .partition = 0,
                    .offset = offset};
    return ktw_txn_offset_commit(c, 3, pe, &o);
}

/* OffsetFetch v7 of TOPIC-0; the partition's error in *err. */
static int64_t offset_fetch(mt_conn *c, const char *group, bool stable, int16_t *err)
{
    kp_offset_fetch_request req;
    kp_offset_fetch_request_init(&req);
    kp_offset_fetch_request_topic t;
    kp_offset_fetch_request_topic_init(&t);
    int32_t part = 0;
    t.name = kwire_cstr(TOPIC);
    t.partition_indexes = &part;
    t.n_partition_indexes = 1;
    req.group_id = kwire_cstr(group);
    req.topics = &t;
    req.n_topics = 1;
    req.require_stable = stable;
    kp_offset_fetch_response resp;
    mt_call(c, KP_OFFSET_FETCH_KEY, 7, &req, &resp);
    *err = resp.error_code;
    if (*err) return -1;
    *err = resp.topics[0].partitions[0].error_code;
    return resp.topics[0].partitions[0].committed_offset;
}

START_TEST(test_txn_offsets_become_visible_on_commit_only)
{
    const char *group = "g-txn";
    mt_conn gc;
    int32_t gcoord = -1;
    for (int32_t b = 1; b <= 3 && gcoord < 0; b++) { /* the group's coordinator */
        mt_open(&gc, mc, b);
        int16_t err;
        offset_fetch(&gc, group, false, &err);
        if (err == 0)
            gcoord = b;
        else
            mt_close(&gc);
    }
    ck_assert_int_gt(gcoord, 0);
    ktw_pid pe = init();
    ck_assert_int_eq(txn_commit(&gc, pe, group, 42, -1, ""), KFK_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(add_offsets(pe, group), 0);
    ck_assert_int_eq(txn_commit(&gc, pe, group, 42, 3, "nobody"), KFK_ERR_ILLEGAL_GENERATION);
    ktw_pid stale = {pe.id, (int16_t)(pe.epoch - 1)};
    ck_assert_int_eq(txn_commit(&gc, stale, group, 42, -1, ""), KFK_ERR_INVALID_PRODUCER_EPOCH);
    ck_assert_int_eq(txn_commit(&gc, pe, group, 42, -1, ""), 0);
    int16_t err;
    ck_assert_int_eq(offset_fetch(&gc, group, false, &err), -1);
    ck_assert_int_eq(err, 0);
    ck_assert_int_eq(offset_fetch(&gc, group, true, &err), -1);
    ck_assert_int_eq(err, KFK_ERR_UNSTABLE_OFFSET_COMMIT);
    ck_assert_int_eq(end_v(3, pe, true, NULL), 0);
    ck_assert_int_eq(offset_fetch(&gc, group, true, &err), 42);
    ck_assert_int_eq(err, 0);

    ck_assert_int_eq(add_offsets(pe, group), 0); /* an aborted one leaves no trace */
    ck_assert_int_eq(txn_commit(&gc, pe, group, 50, -1, ""), 0);
    ck_assert_int_eq(end_v(3, pe, false, NULL), 0);
    ck_assert_int_eq(offset_fetch(&gc, group, true, &err), 42);
    mt_close(&gc);
}
END_TEST

/* Version 6 names the topic by id, and an id the cluster does not know
 * gets UNKNOWN_TOPIC_ID; the offset lands under the topic's name. */
START_TEST(test_txn_offsets_by_topic_id)
{
    const char *group = "g-txn-id";
    mt_conn gc;
    int32_t gcoord = -1;
    for (int32_t b = 1; b <= 3 && gcoord < 0; b++) {
        mt_open(&gc, mc, b);
        int16_t err;
        offset_fetch(&gc, group, false, &err);
        if (err == 0)
            gcoord = b;
        else
            mt_close(&gc);
    }
    ck_assert_int_gt(gcoord, 0);
    ktw_pid pe = init();
    ck_assert_int_eq(add_offsets(pe, group), 0);
    ktw_offset o = {.txn = TXN, .group = group, .member = "", .generation = -1, .offset = 7};
    o.topic_id.b[0] = 0x5a; /* no such topic */
    ck_assert_int_eq(ktw_txn_offset_commit(&gc, 6, pe, &o), KFK_ERR_UNKNOWN_TOPIC_ID);
    o.topic_id = mt_topic_id(mc, TOPIC);
    ck_assert_int_eq(ktw_txn_offset_commit(&gc, 6, pe, &o), 0);
    ck_assert_int_eq(end_v(3, pe, true, NULL), 0);
    int16_t err;
    ck_assert_int_eq(offset_fetch(&gc, group, true, &err), 7);
    ck_assert_int_eq(err, 0);
    mt_close(&gc);
}
END_TEST

/* ---------------------------------------------------------------- faults */

START_TEST(test_pushed_errors_reach_every_txn_api)
{
    ktw_pid pe = init();
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_ADD_PARTITIONS_TO_TXN, 1,
                                          KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS),
                     0);
    ck_assert_int_eq(add_part(pe, 0), KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    ck_assert_int_eq(add_part(pe, 0), 0);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_ADD_OFFSETS_TO_TXN, 1,
                                          KFK_ERR_CONCURRENT_TRANSACTIONS),
                     0);
    ck_assert_int_eq(add_offsets(pe, "g"), KFK_ERR_CONCURRENT_TRANSACTIONS);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_TXN_OFFSET_COMMIT, 1,
                                          KFK_ERR_COORDINATOR_NOT_AVAILABLE),
                     0);
    ck_assert_int_eq(txn_commit(&tc, pe, "g", 1, -1, ""), KFK_ERR_COORDINATOR_NOT_AVAILABLE);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_END_TXN, 1, KFK_ERR_NOT_COORDINATOR), 0);
    ck_assert_int_eq(end_v(3, pe, true, NULL), KFK_ERR_NOT_COORDINATOR);
    ck_assert_int_eq(end_v(3, pe, true, NULL), 0); /* the retry goes through */
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_END_TXN), 2);
}
END_TEST

START_TEST(test_malformed_txn_requests_close_only_their_connection)
{
    static const int16_t keys[] = {KP_ADD_PARTITIONS_TO_TXN_KEY, KP_ADD_OFFSETS_TO_TXN_KEY,
                                   KP_END_TXN_KEY, KP_TXN_OFFSET_COMMIT_KEY};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        for (int16_t v = 0; v <= 4; v++) {
            mt_conn c;
            mt_open(&c, mc, kfk_mock_txn_coordinator(mc, TXN));
            /* A header, then a body cut short: an array claiming 2^31 entries. */
            uint8_t frame[] = {0,
                               0,
                               0,
                               18,
                               (uint8_t)(keys[i] >> 8),
                               (uint8_t)keys[i],
                               0,
                               (uint8_t)v,
                               0,
                               0,
                               0,
                               1,
                               0,
                               0,
                               0,
                               1,
                               'x',
                               0x7f,
                               0xff,
                               0xff};
            frame[3] = sizeof(frame) - 4;
            ck_assert_int_eq(mt_write_all(c.fd, frame, sizeof(frame)), 0);
            ck_assert(mt_closed(&c, MT_TIMEOUT_MS));
            mt_close(&c);
        }
    }
    init(); /* the broker is still there */
}
END_TEST

static Suite *mock_txn_suite(void)
{
    Suite *s = suite_create("mock_txn");
    TCase *tc_core = tcase_create("txn");
    tcase_add_checked_fixture(tc_core, setup, teardown);
    tcase_set_timeout(tc_core, 60);
    tcase_add_test(tc_core, test_txn_apis_answer_only_on_the_coordinator);
    tcase_add_test(tc_core, test_init_checks_the_transaction_timeout);
    tcase_add_test(tc_core, test_a_new_epoch_fences_the_old_producer);
    tcase_add_test(tc_core, test_init_aborts_the_open_transaction_of_the_old_producer);
    tcase_add_test(tc_core, test_commit_writes_markers_and_moves_the_lso);
    tcase_add_test(tc_core, test_abort_lists_the_aborted_transaction_in_read_committed_fetches);
    tcase_add_test(tc_core, test_pending_markers_answer_concurrent_transactions);
    tcase_add_test(tc_core, test_read_committed_long_poll_waits_for_the_commit);
    tcase_add_test(tc_core, test_truncating_an_open_transaction_away_frees_the_lso);
    tcase_add_test(tc_core, test_end_txn_refuses_illegal_transitions);
    tcase_add_test(tc_core, test_the_coordinator_aborts_a_transaction_past_its_timeout);
    tcase_add_test(tc_core, test_tv2_adds_partitions_on_produce_and_bumps_the_epoch_on_end);
    tcase_add_test(tc_core, test_tv1_refuses_produce_to_a_partition_not_added);
    tcase_add_test(tc_core, test_txn_offsets_become_visible_on_commit_only);
    tcase_add_test(tc_core, test_txn_offsets_by_topic_id);
    tcase_add_test(tc_core, test_pushed_errors_reach_every_txn_api);
    tcase_add_test(tc_core, test_malformed_txn_requests_close_only_their_connection);
    suite_add_tcase(s, tc_core);
    return s;
}

int main(void)
{
    return ktest_run(mock_txn_suite());
}
