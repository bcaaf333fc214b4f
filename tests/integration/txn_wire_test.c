/* The transaction coordinator at the wire, against whatever cluster
 * KFK_TEST_BOOTSTRAP names (tests/run-integration: the mock, then real
 * Kafka), with the same assertions for both: this is what keeps the mock's
 * transactions honest. Raw requests over blocking connections
 * (tests/common/mt_conn.h's client): fencing, commit and abort markers,
 * the last stable offset and aborted transactions in read_committed
 * fetches, InitProducerId aborting an open transaction, Produce outside
 * the transaction, transaction version 2's epoch bumps, and transactional
 * offsets. Real Kafka writes markers after answering EndTxn, so what
 * depends on them is awaited. */
#include "../common/kcoord.h"
#include "base/time.h"
#include "kfk.h"
#include "ktxn_wire.h"
#include "kwire_client.h"

#define TIMEOUT_MS 30000

static char topic[128];
static char txn_id[128];
static mt_conn tc; /* the transaction coordinator */
static mt_conn lc; /* partition 0's leader */
static kbuf buf;

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
    ck_assert_int_eq(
        kfk_admin_create_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &res),
        KFK_OK);
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
    if (kfk_admin_delete_topics(a, &name, 1, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS},
                                &res) == KFK_OK)
        kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}

/* ------------------------------------------------------------ requests */

static bool retriable(int16_t err)
{
    return ktw_busy(err) || err == KFK_ERR_NOT_ENOUGH_REPLICAS;
}

static int32_t txn_timeout_ms = 60000;

static int16_t init_once(ktw_pid *out)
{
    return ktw_init_producer_id(&tc, 5, txn_id, txn_timeout_ms, out);
}

/* InitProducerId, retried while the coordinator is busy. */
static ktw_pid init(void)
{
    ktw_pid pe;
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    int16_t err;
    while (retriable(err = init_once(&pe)) && mt_now_ms() < deadline)
        usleep(20 * 1000);
    ck_assert_int_eq(err, 0);
    return pe;
}

/* AddPartitionsToTxn of partitions parts[0..n) of the topic; their
 * errors in errs. */
static void add_parts(int16_t v, ktw_pid pe, const int32_t *parts, int n, int16_t *errs)
{
    ktw_add_partitions(&tc, v, txn_id, pe, topic, parts, n, errs);
}

static int16_t add_part_v(int16_t v, ktw_pid pe)
{
    int32_t part = 0;
    int16_t err;
    add_parts(v, pe, &part, 1, &err);
    return err;
}

/* AddPartitionsToTxn v3, retried while the last end completes. */
static int16_t add_part(ktw_pid pe)
{
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    int16_t err;
    while (retriable(err = add_part_v(3, pe)) && mt_now_ms() < deadline)
        usleep(20 * 1000);
    return err;
}

static int16_t end_once(int16_t v, ktw_pid pe, bool commit, ktw_pid *out)
{
    return ktw_end_txn(&tc, v, txn_id, pe, commit, out);
}

/* EndTxn, retried while the last end's markers go out. */
static int16_t end_v(int16_t v, ktw_pid pe, bool commit, ktw_pid *out)
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
static kslice txn_batch(int n, ktw_pid pe, int32_t seq)
{
    return ktw_batch(&buf, n, pe, seq, ktime_wall_ms(), 0);
}

static int16_t produce_once(int16_t v, kslice records)
{
    return ktw_produce(&lc, v, txn_id, topic, 0, records, NULL);
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
    return ktw_list_latest(&lc, topic, 0, isolation);
}

/* Markers go out after EndTxn answers: waits for the LSO to get there. */
static void await_lso(int64_t want)
{
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    while (list_latest(1) != want && mt_now_ms() < deadline)
        usleep(20 * 1000);
    ck_assert_int_eq(list_latest(1), want);
}

static void expect_marker(int64_t offset, ktw_pid pe, bool commit)
{
    ktw_expect_marker(fetch(offset, 0), offset, pe, commit, NULL, NULL);
}

static int16_t finalized_txn_version(void)
{
    return ktw_transaction_version(&tc);
}

/* ---------------------------------------------------------------- tests */

START_TEST(test_fencing_markers_and_the_lso)
{
    ktw_pid old = init();
    ktw_pid pe = init();
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
    ktw_pid old = init();
    ck_assert_int_eq(add_part(old), 0);
    ck_assert_int_eq(produce_v(11, txn_batch(3, old, 0)), 0);
    ck_assert_int_eq(init_once(NULL), KFK_ERR_CONCURRENT_TRANSACTIONS);
    ktw_pid now = init();
    ck_assert_int_eq(now.epoch, old.epoch + 2);
    await_lso(4);
    expect_marker(3, (ktw_pid){old.id, (int16_t)(old.epoch + 1)}, false);
    ck_assert_int_eq(end_v(4, old, false, NULL), KFK_ERR_PRODUCER_FENCED);
}
END_TEST

START_TEST(test_kip360_bumps_and_unknown_partitions)
{
    ktw_pid pe = init();
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
    ktw_pid now = {resp.producer_id, resp.producer_epoch};

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
    ktw_pid pe = init();
    ck_assert_int_eq(produce_v(11, txn_batch(1, pe, 0)), KFK_ERR_TRANSACTION_ABORTABLE);
    ck_assert_int_eq(produce_v(10, txn_batch(1, pe, 0)), KFK_ERR_INVALID_TXN_STATE);
    if (finalized_txn_version() < 2) return;
    /* Transaction version 2: Produce v12 adds the partition itself. */
    ck_assert_int_eq(produce_v(12, txn_batch(2, pe, 0)), 0);
    ktw_pid next;
    ck_assert_int_eq(end_v(5, pe, true, &next), 0);
    ck_assert_int_eq(next.id, pe.id);
    ck_assert_int_eq(next.epoch, pe.epoch + 1);
    await_lso(3);
    expect_marker(2, next, true);
    ktw_pid again;
    ck_assert_int_eq(end_v(5, pe, true, &again), 0);
    ck_assert_int_eq(again.epoch, next.epoch);
    ck_assert_int_eq(end_v(5, pe, false, NULL), KFK_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(end_v(5, next, true, NULL), KFK_ERR_INVALID_TXN_STATE);
    ktw_pid after;
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
    ktw_pid pe = init();
    txn_timeout_ms = 60000;
    ck_assert_int_eq(add_part(pe), 0);
    ck_assert_int_eq(produce_v(11, txn_batch(2, pe, 0)), 0);
    await_lso(3);
    expect_marker(2, (ktw_pid){pe.id, (int16_t)(pe.epoch + 1)}, false);
    ck_assert_int_eq(end_v(4, pe, true, NULL), KFK_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(end_v(4, pe, false, NULL), KFK_ERR_PRODUCER_FENCED);
    /* EndTxn v5 takes a request one epoch behind for a retry of the end
     * that bumped it: the abort succeeds, the commit is the wrong end. */
    ck_assert_int_eq(end_v(5, pe, true, NULL), KFK_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(end_v(5, pe, false, NULL), 0);
    ck_assert_int_eq(fetch(0, 1)->n_aborted_transactions, 1);
}
END_TEST

static int16_t add_offsets(ktw_pid pe, const char *group)
{
    return ktw_add_offsets(&tc, txn_id, pe, group);
}

static int16_t txn_commit(mt_conn *c, int16_t v, ktw_pid pe, const char *group, int64_t offset,
                          int32_t generation, const char *member)
{
    ktw_offset o = {.txn = txn_id,
                    .group = group,
                    .member = member,
                    .generation = generation,
                    .topic = topic,
                    .partition = 0,
                    .offset = offset};
    return ktw_txn_offset_commit(c, v, pe, &o);
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
    ktw_pid pe = init();
    ck_assert_int_eq(txn_commit(&gc, 3, pe, group, 42, -1, ""), KFK_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(txn_commit(&gc, 4, pe, group, 42, -1, ""), KFK_ERR_TRANSACTION_ABORTABLE);
    ck_assert_int_eq(add_offsets(pe, group), 0);
    ck_assert_int_eq(txn_commit(&gc, 3, pe, group, 42, 3, "nobody"), KFK_ERR_ILLEGAL_GENERATION);
    ktw_pid stale = {pe.id, (int16_t)(pe.epoch + 1)};
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
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(txn_wire_suite());
}
