/* The transaction coordinator at the wire, against whatever cluster
 * KFK_TEST_BOOTSTRAP names (tests/run-integration: the mock, then real
 * Kafka), with the same assertions for both: this is what keeps the mock's
 * transactions honest. Raw requests over blocking connections
 * (tests/unit/mock_util.h's client): fencing, commit and abort markers,
 * the last stable offset and aborted transactions in read_committed
 * fetches, InitProducerId aborting an open transaction, Produce outside
 * the transaction, transaction version 2's epoch bumps, and transactional
 * offsets. Real Kafka writes markers after answering EndTxn, so what
 * depends on them is awaited. */
#include "../common/kcoord.h"
#include "../unit/mock_util.h"
#include "base/time.h"
#include "kfk.h"
#include "kwire_client.h"

#define TIMEOUT_MS 30000

static char topic[128];
static char txn_id[128];
static mt_conn tc; /* the transaction coordinator */
static mt_conn lc; /* partition 0's leader */
static kbuf buf;

typedef struct pid_epoch {
    int64_t id;
    int16_t epoch;
} pid_epoch;

/* ------------------------------------------------------------- cluster */

static int bootstrap_port(void)
{
    const char *bs = ktest_bootstrap();
    const char *colon = strchr(bs, ':');
    ck_assert_ptr_nonnull(colon);
    return atoi(colon + 1);
}

static kfk_admin *admin(void)
{
    kfk_conf *conf = kfk_conf_new();
    char err[256];
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", ktest_bootstrap(), err, sizeof(err)),
                     0);
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    return a;
}

/* Partition 0's leader's port, once it has one. */
static int create_topic(void)
{
    kfk_admin *a = admin();
    kfk_new_topic *t = kfk_new_topic_new(topic, 1, -1);
    kfk_admin_result *res;
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, TIMEOUT_MS, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    kfk_admin_destroy(a);
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    for (;;) {
        mt_conn b = {.fd = mt_dial(bootstrap_port())};
        ck_assert_int_ge(b.fd, 0);
        kp_metadata_response md;
        mt_metadata(&b, 12, topic, &md);
        int port = -1;
        if (md.n_topics == 1 && !md.topics[0].error_code && md.topics[0].n_partitions == 1) {
            int32_t leader = md.topics[0].partitions[0].leader_id;
            for (int32_t i = 0; i < md.n_brokers; i++)
                if (md.brokers[i].node_id == leader) port = md.brokers[i].port;
        }
        mt_close(&b);
        if (port > 0) return port;
        ck_assert_msg(mt_now_ms() < deadline, "%s has no leader", topic);
        usleep(50 * 1000);
    }
}

static void delete_topic(void)
{
    kfk_admin *a = admin();
    const char *name = topic;
    kfk_admin_result *res;
    if (kfk_admin_delete_topics(a, &name, 1, TIMEOUT_MS, &res) == KFK_OK)
        kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}

/* ------------------------------------------------------------ requests */

static bool retriable(int16_t err)
{
    return err == KFK_ERR_CONCURRENT_TRANSACTIONS || err == KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
           err == KFK_ERR_NOT_ENOUGH_REPLICAS;
}

static int32_t txn_timeout_ms = 60000;

static int16_t init_once(pid_epoch *out)
{
    kp_init_producer_id_request req;
    kp_init_producer_id_request_init(&req);
    req.transactional_id = kwire_cstr(txn_id);
    req.transaction_timeout_ms = txn_timeout_ms;
    kp_init_producer_id_response resp;
    mt_call(&tc, KP_INIT_PRODUCER_ID_KEY, 5, &req, &resp);
    if (out) *out = (pid_epoch){resp.producer_id, resp.producer_epoch};
    return resp.error_code;
}

/* InitProducerId, retried while the coordinator is busy. */
static pid_epoch init(void)
{
    pid_epoch pe;
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    int16_t err;
    while (retriable(err = init_once(&pe)) && mt_now_ms() < deadline)
        usleep(20 * 1000);
    ck_assert_int_eq(err, 0);
    return pe;
}

/* AddPartitionsToTxn of partitions parts[0..n) of the topic; their
 * errors in errs. */
static void add_parts(int16_t v, pid_epoch pe, const int32_t *parts, int n, int16_t *errs)
{
    kp_add_partitions_to_txn_request req;
    kp_add_partitions_to_txn_request_init(&req);
    kp_add_partitions_to_txn_request_add_partitions_to_txn_topic t;
    kp_add_partitions_to_txn_request_add_partitions_to_txn_topic_init(&t);
    t.name = kwire_cstr(topic);
    t.partitions = (int32_t *)parts;
    t.n_partitions = n;
    req.v3_and_below_transactional_id = kwire_cstr(txn_id);
    req.v3_and_below_producer_id = pe.id;
    req.v3_and_below_producer_epoch = pe.epoch;
    req.v3_and_below_topics = &t;
    req.n_v3_and_below_topics = 1;
    kp_add_partitions_to_txn_response resp;
    mt_call(&tc, KP_ADD_PARTITIONS_TO_TXN_KEY, v, &req, &resp);
    ck_assert_int_eq(resp.results_by_topic_v3_and_below[0].n_results_by_partition, n);
    for (int i = 0; i < n; i++) { /* Kafka answers in its own order */
        errs[i] = -1;
        for (int k = 0; k < n; k++) {
            const kp_add_partitions_to_txn_response_add_partitions_to_txn_partition_result *r =
                &resp.results_by_topic_v3_and_below[0].results_by_partition[k];
            if (r->partition_index == parts[i]) errs[i] = r->partition_error_code;
        }
    }
}

static int16_t add_part_v(int16_t v, pid_epoch pe)
{
    int32_t part = 0;
    int16_t err;
    add_parts(v, pe, &part, 1, &err);
    return err;
}

/* AddPartitionsToTxn v3, retried while the last end completes. */
static int16_t add_part(pid_epoch pe)
{
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    int16_t err;
    while (retriable(err = add_part_v(3, pe)) && mt_now_ms() < deadline)
        usleep(20 * 1000);
    return err;
}

static int16_t end_once(int16_t v, pid_epoch pe, bool commit, pid_epoch *out)
{
    kp_end_txn_request req;
    kp_end_txn_request_init(&req);
    req.transactional_id = kwire_cstr(txn_id);
    req.producer_id = pe.id;
    req.producer_epoch = pe.epoch;
    req.committed = commit;
    kp_end_txn_response resp;
    mt_call(&tc, KP_END_TXN_KEY, v, &req, &resp);
    if (out) *out = (pid_epoch){resp.producer_id, resp.producer_epoch};
    return resp.error_code;
}

/* EndTxn, retried while the last end's markers go out. */
static int16_t end_v(int16_t v, pid_epoch pe, bool commit, pid_epoch *out)
{
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    int16_t err;
    while ((err = end_once(v, pe, commit, out)) == KFK_ERR_CONCURRENT_TRANSACTIONS &&
           mt_now_ms() < deadline)
        usleep(20 * 1000);
    return err;
}

/* Timestamps from the wall clock: a broker rolls a segment whose first
 * record looks older than log.roll.ms at the next append, and deletes it
 * once it looks older than the retention, taking the records a test
 * reads back with it. */
static kslice txn_batch(int n, pid_epoch pe, int32_t seq)
{
    kbuf_reset(&buf);
    kbatch_writer w;
    int64_t now = ktime_wall_ms();
    ck_assert_int_eq(
        kbatch_writer_begin(&w, &buf, 0, now, pe.id, pe.epoch, seq, KBATCH_ATTR_TRANSACTIONAL, 0),
        0);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(kbatch_writer_append(&w, now, kwire_cstr("k"), kwire_cstr("v"), NULL, 0),
                         0);
    kslice out;
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &out), 0);
    return out;
}

static int16_t produce_once(int16_t v, kslice records)
{
    kp_produce_request req;
    kp_produce_request_init(&req);
    kp_produce_request_topic_produce_data td;
    kp_produce_request_topic_produce_data_init(&td);
    kp_produce_request_partition_produce_data pd;
    kp_produce_request_partition_produce_data_init(&pd);
    pd.records = records;
    td.name = kwire_cstr(topic);
    td.partition_data = &pd;
    td.n_partition_data = 1;
    req.transactional_id = kwire_cstr(txn_id);
    req.acks = -1;
    req.timeout_ms = 5000;
    req.topic_data = &td;
    req.n_topic_data = 1;
    kp_produce_response resp;
    mt_call(&lc, KP_PRODUCE_KEY, v, &req, &resp);
    return resp.responses[0].partition_responses[0].error_code;
}

/* Produce, retried while a new partition's leader gets ready. */
static int16_t produce_v(int16_t v, kslice records)
{
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    int16_t err;
    while ((err = produce_once(v, records)) == KFK_ERR_NOT_LEADER_OR_FOLLOWER &&
           mt_now_ms() < deadline)
        usleep(50 * 1000);
    return err;
}

static const kp_fetch_response_partition_data *fetch(int64_t offset, int8_t isolation)
{
    static kp_fetch_response resp;
    mt_fetch f;
    kuuid zero = {{0}};
    mt_fetch_init(&f, topic, zero, 0, offset, 0);
    f.req.isolation_level = isolation;
    f.req.min_bytes = 0;
    f.req.replica_id = -1;
    mt_call(&lc, KP_FETCH_KEY, 12, &f.req, &resp);
    const kp_fetch_response_partition_data *pd = &resp.responses[0].partitions[0];
    ck_assert_msg(pd->error_code == 0,
                  "fetch at %lld: %s (high watermark %lld, last stable %lld, log start %lld)",
                  (long long)offset, kfk_err_name(pd->error_code), (long long)pd->high_watermark,
                  (long long)pd->last_stable_offset, (long long)pd->log_start_offset);
    return pd;
}

static int64_t list_latest(int8_t isolation)
{
    kp_list_offsets_request req;
    kp_list_offsets_request_init(&req);
    kp_list_offsets_request_list_offsets_topic t;
    kp_list_offsets_request_list_offsets_topic_init(&t);
    kp_list_offsets_request_list_offsets_partition p;
    kp_list_offsets_request_list_offsets_partition_init(&p);
    p.timestamp = -1;
    t.name = kwire_cstr(topic);
    t.partitions = &p;
    t.n_partitions = 1;
    req.replica_id = -1;
    req.isolation_level = isolation;
    req.topics = &t;
    req.n_topics = 1;
    kp_list_offsets_response resp;
    mt_call(&lc, KP_LIST_OFFSETS_KEY, 7, &req, &resp);
    ck_assert_int_eq(resp.topics[0].partitions[0].error_code, 0);
    return resp.topics[0].partitions[0].offset;
}

/* Markers go out after EndTxn answers: waits for the LSO to get there. */
static void await_lso(int64_t want)
{
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    while (list_latest(1) != want && mt_now_ms() < deadline)
        usleep(20 * 1000);
    ck_assert_int_eq(list_latest(1), want);
}

static void expect_marker(int64_t offset, pid_epoch pe, bool commit)
{
    const kp_fetch_response_partition_data *pd = fetch(offset, 0);
    kreader r = kreader_of(pd->records.ptr, pd->records.len);
    kbatch b;
    ck_assert_int_eq(kbatch_parse_header(&r, &b), 0);
    ck_assert_int_eq(b.base_offset, offset);
    ck_assert(b.control && b.transactional);
    ck_assert_int_eq(b.producer_id, pe.id);
    ck_assert_int_eq(b.producer_epoch, pe.epoch);
    kbuf scratch = {0};
    kbatch_read_opts opts = {.start_offset = 0, .check_crcs = true};
    krecord_iter it;
    krecord rec;
    ck_assert_int_eq(krecord_iter_init(&it, &b, &opts, &scratch), 0);
    ck_assert(krecord_iter_next(&it, &rec));
    ck_assert_uint_eq(rec.key.len, 4);
    ck_assert_int_eq(rec.key.ptr[3], commit ? 1 : 0);
    kbuf_free(&scratch);
}

static int16_t finalized_txn_version(void)
{
    kp_api_versions_request req;
    kp_api_versions_request_init(&req);
    req.client_software_name = kwire_cstr("kfk-test");
    req.client_software_version = kwire_cstr("0.1.0");
    kp_api_versions_response resp;
    mt_call(&tc, KP_API_VERSIONS_KEY, 3, &req, &resp);
    for (int32_t i = 0; i < resp.n_finalized_features; i++)
        if (kwire_eq(resp.finalized_features[i].name, kwire_cstr("transaction.version")))
            return resp.finalized_features[i].max_version_level;
    return 0;
}

/* ---------------------------------------------------------------- tests */

START_TEST(test_fencing_markers_and_the_lso)
{
    pid_epoch old = init();
    pid_epoch pe = init();
    ck_assert_int_eq(pe.id, old.id);
    ck_assert_int_eq(pe.epoch, old.epoch + 1);
    ck_assert_int_eq(add_part_v(3, old), KFK_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(add_part_v(1, old), KFK_ERR_INVALID_PRODUCER_EPOCH);
    ck_assert_int_eq(end_v(4, pe, true, NULL), KFK_ERR_INVALID_TXN_STATE);

    ck_assert_int_eq(add_part(pe), 0);
    ck_assert_int_eq(produce_v(11, txn_batch(2, pe, 0)), 0);
    ck_assert_int_eq(produce_v(11, txn_batch(1, old, 0)), KFK_ERR_INVALID_PRODUCER_EPOCH);
    ck_assert_int_eq(list_latest(1), 0);
    ck_assert_int_eq(list_latest(0), 2);
    const kp_fetch_response_partition_data *pd = fetch(0, 1);
    ck_assert_int_eq(pd->last_stable_offset, 0);
    ck_assert_uint_eq(pd->records.len, 0);
    ck_assert_int_eq(pd->n_aborted_transactions, 0);
    ck_assert_int_eq(end_v(4, pe, true, NULL), 0);
    await_lso(3);
    expect_marker(2, pe, true);
    ck_assert_int_eq(end_v(4, pe, true, NULL), 0);
    ck_assert_int_eq(end_v(4, pe, false, NULL), KFK_ERR_INVALID_TXN_STATE);

    ck_assert_int_eq(add_part(pe), 0);
    ck_assert_int_eq(produce_v(11, txn_batch(1, pe, 2)), 0);
    ck_assert_int_eq(end_v(4, pe, false, NULL), 0);
    await_lso(5);
    expect_marker(4, pe, false);
    /* From where it starts (a fetch from 0 may stop before it: Kafka
     * lists the aborted transactions of the records it returns). */
    pd = fetch(3, 1);
    ck_assert_int_eq(pd->n_aborted_transactions, 1);
    ck_assert_int_eq(pd->aborted_transactions[0].producer_id, pe.id);
    ck_assert_int_eq(pd->aborted_transactions[0].first_offset, 3);
    ck_assert_int_eq(fetch(5, 1)->n_aborted_transactions, 0);
    ck_assert_int_eq(fetch(0, 0)->n_aborted_transactions, -1);
}
END_TEST

START_TEST(test_init_aborts_an_open_transaction)
{
    pid_epoch old = init();
    ck_assert_int_eq(add_part(old), 0);
    ck_assert_int_eq(produce_v(11, txn_batch(3, old, 0)), 0);
    ck_assert_int_eq(init_once(NULL), KFK_ERR_CONCURRENT_TRANSACTIONS);
    pid_epoch now = init();
    ck_assert_int_eq(now.epoch, old.epoch + 2);
    await_lso(4);
    expect_marker(3, (pid_epoch){old.id, (int16_t)(old.epoch + 1)}, false);
    ck_assert_int_eq(end_v(4, old, false, NULL), KFK_ERR_PRODUCER_FENCED);
}
END_TEST

START_TEST(test_kip360_bumps_and_unknown_partitions)
{
    pid_epoch pe = init();
    int32_t parts[2] = {0, 7};
    int16_t errs[2];
    add_parts(3, pe, parts, 2, errs);
    ck_assert_int_eq(errs[0], KFK_ERR_OPERATION_NOT_ATTEMPTED);
    ck_assert_int_eq(errs[1], KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(end_v(4, pe, false, NULL), KFK_ERR_INVALID_TXN_STATE); /* nothing added */

    kp_init_producer_id_request req;
    kp_init_producer_id_request_init(&req);
    req.transactional_id = kwire_cstr(txn_id);
    req.transaction_timeout_ms = 60000;
    req.producer_id = pe.id;
    req.producer_epoch = pe.epoch;
    kp_init_producer_id_response resp;
    mt_call(&tc, KP_INIT_PRODUCER_ID_KEY, 4, &req, &resp); /* KIP-360: bump */
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_eq(resp.producer_epoch, pe.epoch + 1);
    mt_call(&tc, KP_INIT_PRODUCER_ID_KEY, 4, &req, &resp); /* its retry */
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_eq(resp.producer_epoch, pe.epoch + 1);
    pid_epoch now = {resp.producer_id, resp.producer_epoch};

    /* With a transaction open, only the producer id is checked before the
     * fencing abort; the retry then finds the epoch stale. */
    ck_assert_int_eq(add_part(now), 0);
    req.producer_epoch = pe.epoch;
    mt_call(&tc, KP_INIT_PRODUCER_ID_KEY, 4, &req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_CONCURRENT_TRANSACTIONS);
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    do {
        mt_call(&tc, KP_INIT_PRODUCER_ID_KEY, 4, &req, &resp);
    } while (resp.error_code == KFK_ERR_CONCURRENT_TRANSACTIONS && mt_now_ms() < deadline);
    ck_assert_int_eq(resp.error_code, KFK_ERR_PRODUCER_FENCED);
    mt_call(&tc, KP_INIT_PRODUCER_ID_KEY, 3, &req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_INVALID_PRODUCER_EPOCH);
}
END_TEST

START_TEST(test_produce_outside_the_transaction)
{
    pid_epoch pe = init();
    ck_assert_int_eq(produce_v(11, txn_batch(1, pe, 0)), KFK_ERR_TRANSACTION_ABORTABLE);
    ck_assert_int_eq(produce_v(10, txn_batch(1, pe, 0)), KFK_ERR_INVALID_TXN_STATE);
    if (finalized_txn_version() < 2) return;
    /* Transaction version 2: Produce v12 adds the partition itself. */
    ck_assert_int_eq(produce_v(12, txn_batch(2, pe, 0)), 0);
    pid_epoch next;
    ck_assert_int_eq(end_v(5, pe, true, &next), 0);
    ck_assert_int_eq(next.id, pe.id);
    ck_assert_int_eq(next.epoch, pe.epoch + 1);
    await_lso(3);
    expect_marker(2, next, true);
    pid_epoch again;
    ck_assert_int_eq(end_v(5, pe, true, &again), 0);
    ck_assert_int_eq(again.epoch, next.epoch);
    ck_assert_int_eq(end_v(5, pe, false, NULL), KFK_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(end_v(5, next, true, NULL), KFK_ERR_INVALID_TXN_STATE);
    pid_epoch after;
    ck_assert_int_eq(end_v(5, next, false, &after), 0); /* aborting with nothing open */
    ck_assert_int_eq(after.epoch, next.epoch + 1);
    ck_assert_int_eq(produce_v(12, txn_batch(1, pe, 2)), KFK_ERR_INVALID_PRODUCER_EPOCH);
}
END_TEST

/* Kafka looks for expired transactions every 10 s
 * (transaction.abort.timed.out.transaction.cleanup.interval.ms); the
 * mock aborts at the deadline. */
START_TEST(test_the_coordinator_aborts_a_transaction_past_its_timeout)
{
    txn_timeout_ms = 1000;
    pid_epoch pe = init();
    txn_timeout_ms = 60000;
    ck_assert_int_eq(add_part(pe), 0);
    ck_assert_int_eq(produce_v(11, txn_batch(2, pe, 0)), 0);
    await_lso(3);
    expect_marker(2, (pid_epoch){pe.id, (int16_t)(pe.epoch + 1)}, false);
    ck_assert_int_eq(end_v(4, pe, true, NULL), KFK_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(end_v(4, pe, false, NULL), KFK_ERR_PRODUCER_FENCED);
    /* EndTxn v5 takes a request one epoch behind for a retry of the end
     * that bumped it: the abort succeeds, the commit is the wrong end. */
    ck_assert_int_eq(end_v(5, pe, true, NULL), KFK_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(end_v(5, pe, false, NULL), 0);
    ck_assert_int_eq(fetch(0, 1)->n_aborted_transactions, 1);
}
END_TEST

static int16_t add_offsets(pid_epoch pe, const char *group)
{
    kp_add_offsets_to_txn_request req;
    kp_add_offsets_to_txn_request_init(&req);
    req.transactional_id = kwire_cstr(txn_id);
    req.producer_id = pe.id;
    req.producer_epoch = pe.epoch;
    req.group_id = kwire_cstr(group);
    kp_add_offsets_to_txn_response resp;
    mt_call(&tc, KP_ADD_OFFSETS_TO_TXN_KEY, 3, &req, &resp);
    return resp.error_code;
}

static int16_t txn_commit(mt_conn *c, int16_t v, pid_epoch pe, const char *group, int64_t offset,
                          int32_t generation, const char *member)
{
    kp_txn_offset_commit_request req;
    kp_txn_offset_commit_request_init(&req);
    kp_txn_offset_commit_request_topic t;
    kp_txn_offset_commit_request_topic_init(&t);
    kp_txn_offset_commit_request_partition p;
    kp_txn_offset_commit_request_partition_init(&p);
    p.committed_offset = offset;
    t.name = kwire_cstr(topic);
    t.partitions = &p;
    t.n_partitions = 1;
    req.transactional_id = kwire_cstr(txn_id);
    req.group_id = kwire_cstr(group);
    req.producer_id = pe.id;
    req.producer_epoch = pe.epoch;
    req.generation_id = generation;
    req.member_id = kwire_cstr(member);
    req.topics = &t;
    req.n_topics = 1;
    kp_txn_offset_commit_response resp;
    mt_call(c, KP_TXN_OFFSET_COMMIT_KEY, v, &req, &resp);
    return resp.topics[0].partitions[0].error_code;
}

static int64_t offset_fetch(mt_conn *c, const char *group, bool stable, int16_t *err)
{
    kp_offset_fetch_request req;
    kp_offset_fetch_request_init(&req);
    kp_offset_fetch_request_topic t;
    kp_offset_fetch_request_topic_init(&t);
    int32_t part = 0;
    t.name = kwire_cstr(topic);
    t.partition_indexes = &part;
    t.n_partition_indexes = 1;
    req.group_id = kwire_cstr(group);
    req.topics = &t;
    req.n_topics = 1;
    req.require_stable = stable;
    kp_offset_fetch_response resp;
    mt_call(c, KP_OFFSET_FETCH_KEY, 7, &req, &resp);
    ck_assert_int_eq(resp.error_code, 0);
    *err = resp.topics[0].partitions[0].error_code;
    return resp.topics[0].partitions[0].committed_offset;
}

START_TEST(test_txn_offsets_wait_for_the_commit)
{
    char group[128];
    ktest_unique_topic(group, sizeof(group), "txnwire-g");
    mt_conn gc;
    kcoord_open(&gc, NULL, 0, group, NULL);
    pid_epoch pe = init();
    ck_assert_int_eq(txn_commit(&gc, 3, pe, group, 42, -1, ""), KFK_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(txn_commit(&gc, 4, pe, group, 42, -1, ""), KFK_ERR_TRANSACTION_ABORTABLE);
    ck_assert_int_eq(add_offsets(pe, group), 0);
    ck_assert_int_eq(txn_commit(&gc, 3, pe, group, 42, 3, "nobody"), KFK_ERR_ILLEGAL_GENERATION);
    pid_epoch stale = {pe.id, (int16_t)(pe.epoch + 1)};
    ck_assert_int_eq(txn_commit(&gc, 3, stale, group, 42, -1, ""), KFK_ERR_INVALID_PRODUCER_EPOCH);
    ck_assert_int_eq(txn_commit(&gc, 3, pe, group, 42, -1, ""), 0);
    int16_t err;
    ck_assert_int_eq(offset_fetch(&gc, group, false, &err), -1);
    ck_assert_int_eq(err, 0);
    offset_fetch(&gc, group, true, &err);
    ck_assert_int_eq(err, KFK_ERR_UNSTABLE_OFFSET_COMMIT);
    ck_assert_int_eq(end_v(4, pe, true, NULL), 0);
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    int64_t got;
    while ((got = offset_fetch(&gc, group, true, &err)) != 42 && mt_now_ms() < deadline)
        usleep(20 * 1000);
    ck_assert_int_eq(got, 42);
    ck_assert_int_eq(err, 0);
    mt_close(&gc);
}
END_TEST

static void setup(void)
{
    ktest_unique_topic(topic, sizeof(topic), "txnwire");
    ktest_unique_topic(txn_id, sizeof(txn_id), "txnwire-id");
    int leader_port = create_topic();
    kcoord_open(&tc, NULL, 1, txn_id, NULL);
    memset(&lc, 0, sizeof(lc));
    lc.fd = mt_dial(leader_port);
    ck_assert_int_ge(lc.fd, 0);
}

static void teardown(void)
{
    mt_close(&tc);
    mt_close(&lc);
    kbuf_free(&buf);
    delete_topic();
}

static Suite *txn_wire_suite(void)
{
    Suite *s = suite_create("txn_wire_integration");
    TCase *tcase = tcase_create("coordinator");
    tcase_add_checked_fixture(tcase, setup, teardown);
    tcase_set_timeout(tcase, 120);
    tcase_add_test(tcase, test_fencing_markers_and_the_lso);
    tcase_add_test(tcase, test_init_aborts_an_open_transaction);
    tcase_add_test(tcase, test_kip360_bumps_and_unknown_partitions);
    tcase_add_test(tcase, test_produce_outside_the_transaction);
    tcase_add_test(tcase, test_txn_offsets_wait_for_the_commit);
    tcase_add_test(tcase, test_the_coordinator_aborts_a_transaction_past_its_timeout);
    suite_add_tcase(s, tcase);
    return s;
}

int main(void)
{
    if (!ktest_bootstrap()) {
        printf("SKIP: KFK_TEST_BOOTSTRAP unset\n");
        return KTEST_SKIP;
    }
    return ktest_run(txn_wire_suite());
}
