/* The producer's public API against the in-process mock cluster: every
 * record delivered exactly once and in per-partition order in every codec,
 * read back with keys, values and headers; faults (NOT_LEADER, timeouts,
 * dropped connections, leader moves) lose and duplicate nothing; queue
 * full, purge, destroy without flush and delivery.timeout.ms expiry each
 * give exactly one report per record. */
#include "mt_conn.h"

#include <pthread.h>
#include <stdatomic.h>

#include "kfk.h"
#include "ktally.h"

#define N_PARTS 4

/* What the reports said about each record. */
static kfk_producer *producer_for(kfk_mock_cluster *mc, ktally *t, const char *const *kv)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), err, sizeof(err)),
        0);
    if (getenv("KFK_TEST_DEBUG")) kfk_conf_set(conf, "log.level", "debug", NULL, 0);
    for (; kv && kv[0]; kv += 2)
        ck_assert_msg(kfk_conf_set(conf, kv[0], kv[1], err, sizeof(err)) == 0, "%s", err);
    kfk_conf_set_dr_cb(conf, ktally_on_report, t);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "kfk_producer_new: %s", err);
    return p;
}

static kfk_err produce_one(kfk_producer *p, const char *topic, int i, int32_t partition)
{
    char key[16], value[64], hv[16];
    snprintf(key, sizeof(key), "k%d", i % 97);
    int vlen = snprintf(value, sizeof(value), "value-%d-", i);
    memset(value + vlen, 'x', (size_t)(i % 20)); /* sizes vary */
    vlen += i % 20;
    snprintf(hv, sizeof(hv), "%d", i);
    kfk_header h[2] = {{"n", hv, strlen(hv)}, {"null", NULL, 0}};
    kfk_record rec = {
        .topic = topic,
        .partition = partition,
        .key = key,
        .key_len = strlen(key),
        .value = value,
        .value_len = (size_t)vlen,
        .headers = h,
        .n_headers = 2,
        .timestamp_ms = 1700000000000 + i,
    };
    return kfk_produce(p, &rec, (void *)(intptr_t)(i + 1));
}

/* Produces n records; the first one may have to wait for metadata. */
static void produce_n(kfk_producer *p, const char *topic, int n)
{
    for (int i = 0; i < n; i++) {
        kfk_err err = produce_one(p, topic, i, KFK_PARTITION_ANY);
        ck_assert_msg(err == KFK_OK, "produce %d: %s", i, kfk_err_str(err));
    }
}

/* Every record reported once, successfully, with offsets that follow the
 * production order within each partition. Returns records per partition. */
static void check_delivered(const ktally *t, int64_t *per_part)
{
    int64_t next[N_PARTS] = {0};
    for (int i = 0; i < t->n; i++) {
        ck_assert_msg(atomic_load(&t->times[i]) == 1, "record %d reported %d times", i,
                      atomic_load(&t->times[i]));
        ck_assert_msg(t->err[i] == KFK_OK, "record %d: %s", i, kfk_err_str(t->err[i]));
        int32_t part = t->partition[i];
        ck_assert(part >= 0 && part < N_PARTS);
        ck_assert_msg(t->offset[i] == next[part], "record %d at %lld, expected %lld", i,
                      (long long)t->offset[i], (long long)next[part]);
        next[part]++;
    }
    for (int k = 0; k < N_PARTS; k++)
        per_part[k] = next[k];
}

/* Reads partition part back and checks each record against the one the
 * reports placed at its offset. */
static void check_read_back(kfk_mock_cluster *mc, const char *topic, int32_t part, const ktally *t,
                            int64_t count)
{
    int *at = malloc((size_t)(count ? count : 1) * sizeof(*at));
    for (int i = 0; i < t->n; i++)
        if (t->partition[i] == part) at[t->offset[i]] = i;
    int64_t hw = -1;
    ck_assert_int_eq(kfk_mock_partition_offsets(mc, topic, part, NULL, &hw), 0);
    ck_assert_int_eq(hw, count); /* nothing duplicated */
    mt_conn c;
    int32_t leader = 1;
    bool opened = false;
    int64_t off = 0;
    for (int tries = 0; off < count && tries < 1000; tries++) {
        /* The leader may have moved: try each broker. */
        if (!opened) {
            mt_open(&c, mc, leader);
            opened = true;
        }
        mt_fetch f;
        mt_fetch_init(&f, topic, (kuuid){0}, part, off, 0);
        kp_fetch_response resp;
        mt_call(&c, KP_FETCH_KEY, 12, &f.req, &resp);
        const kp_fetch_response_partition_data *pd = &resp.responses[0].partitions[0];
        if (pd->error_code) {
            mt_close(&c);
            opened = false;
            leader = leader % 3 + 1;
            continue;
        }
        kbuf scratch = {0};
        kbatch_read_opts opts = {.start_offset = off, .check_crcs = true};
        krecords_iter it;
        krecords_iter_init(&it, pd->records.ptr, pd->records.len, &opts, &scratch);
        krecord rec;
        while (krecords_iter_next(&it, &rec, NULL)) {
            ck_assert_int_eq(rec.offset, off);
            int i = at[off];
            char want[64];
            int wl = snprintf(want, sizeof(want), "value-%d-", i);
            ck_assert_int_eq(rec.value.len, (size_t)(wl + i % 20));
            ck_assert(!memcmp(rec.value.ptr, want, (size_t)wl));
            ck_assert_int_eq(rec.timestamp, 1700000000000 + i);
            snprintf(want, sizeof(want), "k%d", i % 97);
            ck_assert(rec.key.len == strlen(want) && !memcmp(rec.key.ptr, want, rec.key.len));
            ck_assert_int_eq(rec.header_count, 2);
            krecord_header_iter hi = krecord_headers(&rec);
            krecord_header h;
            ck_assert(krecord_header_next(&hi, &h));
            snprintf(want, sizeof(want), "%d", i);
            ck_assert(h.value.len == strlen(want) && !memcmp(h.value.ptr, want, h.value.len));
            ck_assert(krecord_header_next(&hi, &h));
            ck_assert(h.value.ptr == NULL);
            off++;
        }
        ck_assert_msg(it.err == KFK_OK, "records: %s", kfk_err_str(it.err));
        kbuf_free(&scratch);
    }
    if (opened) mt_close(&c);
    ck_assert_int_eq(off, count);
    free(at);
}

static void run_codec(const char *codec, int n)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", N_PARTS, 3), 0);
    ktally t;
    ktally_init(&t, n);
    const char *kv[] = {"compression.type", codec, "linger.ms", "2", NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    produce_n(p, "t", n);
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    ck_assert_int_eq(atomic_load(&t.reports), n);
    int64_t per[N_PARTS];
    check_delivered(&t, per);
    for (int k = 0; k < N_PARTS; k++)
        check_read_back(mc, "t", k, &t, per[k]);
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&t.reports), n);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}

START_TEST(test_every_codec_delivers_each_record_once_in_order)
{
    static const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    run_codec(codecs[_i], 20000);
}
END_TEST

/* Produces n records while fault() injects trouble halfway. */
static void run_faulty(void (*fault)(kfk_mock_cluster *mc), const char *const *kv, int n)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", N_PARTS, 3), 0);
    ktally t;
    ktally_init(&t, n);
    kfk_producer *p = producer_for(mc, &t, kv);
    produce_n(p, "t", n / 2);
    kfk_producer_poll(p, 0);
    fault(mc);
    for (int i = n / 2; i < n; i++)
        ck_assert_int_eq(produce_one(p, "t", i, KFK_PARTITION_ANY), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 60000), KFK_OK);
    int64_t per[N_PARTS];
    check_delivered(&t, per);
    for (int k = 0; k < N_PARTS; k++)
        check_read_back(mc, "t", k, &t, per[k]);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}

static void fault_not_leader(kfk_mock_cluster *mc)
{
    kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 3, KFK_ERR_NOT_LEADER_OR_FOLLOWER);
}
static void fault_timeouts(kfk_mock_cluster *mc)
{
    kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 2, KFK_ERR_REQUEST_TIMED_OUT);
    kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 1, KFK_ERR_TIMED_OUT); /* no answer */
}
static void fault_drops(kfk_mock_cluster *mc)
{
    kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 2, KFK_ERR_TRANSPORT);
    for (int b = 1; b <= 3; b++)
        kfk_mock_broker_drop_connections(mc, b);
}
static void fault_leader_moves(kfk_mock_cluster *mc)
{
    for (int k = 0; k < N_PARTS; k++)
        kfk_mock_partition_set_leader(mc, "t", k, (k + 1) % 3 + 1);
}
/* A broker that has not caught up with a new topic (or a moved partition)
 * answers Produce v13 with UNKNOWN_TOPIC_ID: stale metadata, retriable. */
static void fault_topic_id(kfk_mock_cluster *mc)
{
    kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 2, KFK_ERR_UNKNOWN_TOPIC_ID);
    kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 1, KFK_ERR_INCONSISTENT_TOPIC_ID);
}
static void fault_sequence(kfk_mock_cluster *mc)
{
    kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 2, KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 1, KFK_ERR_UNKNOWN_PRODUCER_ID);
}

static const char *const fast_retry[] = {
    "linger.ms", "1", "retry.backoff.ms", "10", "request.timeout.ms", "2000", NULL};

START_TEST(test_not_leader_loses_and_duplicates_nothing)
{
    run_faulty(fault_not_leader, fast_retry, 20000);
}
END_TEST

START_TEST(test_timeouts_lose_and_duplicate_nothing)
{
    run_faulty(fault_timeouts, fast_retry, 20000);
}
END_TEST

START_TEST(test_dropped_connections_lose_and_duplicate_nothing)
{
    run_faulty(fault_drops, fast_retry, 20000);
}
END_TEST

START_TEST(test_leader_moves_keep_order)
{
    run_faulty(fault_leader_moves, fast_retry, 20000);
}
END_TEST

START_TEST(test_unknown_topic_ids_are_retried)
{
    run_faulty(fault_topic_id, fast_retry, 20000);
}
END_TEST

START_TEST(test_sequence_errors_bump_the_epoch_and_retry)
{
    run_faulty(fault_sequence, fast_retry, 20000);
}
END_TEST

/* retries bounds how often a batch is sent again after a retriable
 * error: past it the record fails with the broker's error, well before
 * delivery.timeout.ms; within it the record gets through. */
START_TEST(test_retries_bounds_the_sends_of_a_batch)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    ktally t;
    ktally_init(&t, 2);
    kfk_producer *p =
        producer_for(mc, &t,
                     (const char *const[]){"linger.ms", "0", "retry.backoff.ms", "10", "retries",
                                           "1", "delivery.timeout.ms", "60000", NULL});
    ck_assert_int_eq(produce_one(p, "t", 0, 0), KFK_OK); /* the first waits for metadata */
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(t.err[0], KFK_OK);

    kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 2, KFK_ERR_NOT_ENOUGH_REPLICAS);
    int64_t before = kfk_mock_request_count(mc, KFK_MOCK_API_PRODUCE);
    ck_assert_int_eq(produce_one(p, "t", 1, 0), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(atomic_load(&t.times[1]), 1);
    ck_assert_int_eq(t.err[1], KFK_ERR_NOT_ENOUGH_REPLICAS);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_PRODUCE) - before, 2);

    kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 1, KFK_ERR_NOT_ENOUGH_REPLICAS);
    atomic_store(&t.times[1], 0);
    ck_assert_int_eq(produce_one(p, "t", 1, 0), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(atomic_load(&t.times[1]), 1);
    ck_assert_int_eq(t.err[1], KFK_OK);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Answers slower than request.timeout.ms: the brokers write each batch,
 * the client gives up on the answer and sends it again, and the broker
 * must see the retry as the duplicate it is (same epoch and sequences)
 * and answer with the original offset. */
START_TEST(test_retries_of_written_batches_are_not_duplicated)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", N_PARTS, 3), 0);
    ktally t;
    ktally_init(&t, 20000);
    const char *kv[] = {"linger.ms", "1", "retry.backoff.ms", "10", "request.timeout.ms",
                        "300",       NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    produce_n(p, "t", t.n / 2);
    for (int b = 1; b <= 3; b++)
        kfk_mock_broker_set_rtt(mc, b, 600);
    for (int i = t.n / 2; i < t.n; i++)
        ck_assert_int_eq(produce_one(p, "t", i, KFK_PARTITION_ANY), KFK_OK);
    kfk_producer_poll(p, 1500); /* the slow spell: several timed-out attempts */
    for (int b = 1; b <= 3; b++)
        kfk_mock_broker_set_rtt(mc, b, 0);
    ck_assert_int_eq(kfk_producer_flush(p, 60000), KFK_OK);
    int64_t per[N_PARTS];
    check_delivered(&t, per);
    for (int k = 0; k < N_PARTS; k++)
        check_read_back(mc, "t", k, &t, per[k]);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Produce v13 names topics by id (KIP-516); a broker that stops at v12
 * gets names. Every other test here runs at v13 (the mock's newest). */
START_TEST(test_produce_falls_back_to_topic_names_below_v13)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", N_PARTS, 3), 0);
    ck_assert_int_eq(kfk_mock_set_api_version_range(mc, KFK_MOCK_API_PRODUCE, 3, 12), KFK_OK);
    ktally t;
    ktally_init(&t, 2000);
    kfk_producer *p = producer_for(mc, &t, fast_retry);
    produce_n(p, "t", t.n);
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    int64_t per[N_PARTS];
    check_delivered(&t, per);
    for (int k = 0; k < N_PARTS; k++)
        check_read_back(mc, "t", k, &t, per[k]);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Records queued while their partition has no leader go once it has one
 * again: the producer asks for metadata until then and re-routes on the
 * answer (no polling timer). */
START_TEST(test_records_wait_out_a_partition_without_leader)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(2); /* broker 2 answers Metadata meanwhile */
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    ktally t;
    ktally_init(&t, 200);
    kfk_producer *p = producer_for(mc, &t, fast_retry);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(produce_one(p, "t", i, 0), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, true), KFK_OK);
    for (int i = 100; i < 200; i++)
        ck_assert_int_eq(produce_one(p, "t", i, 0), KFK_OK);
    kfk_producer_poll(p, 300); /* the leader stays away a while */
    ck_assert_int_eq(atomic_load(&t.reports), 100);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, false), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 20000), KFK_OK);
    int64_t per[N_PARTS];
    check_delivered(&t, per);
    check_read_back(mc, "t", 0, &t, per[0]);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* A flush that runs out of time says, in a warning, what each partition
 * still holding records waits for: here a leader, its broker being down. */
static char unflushed_line[512];
static kfk_log_level unflushed_level;
static pthread_mutex_t unflushed_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_unflushed_log(void *opaque, void *handle, kfk_log_level level, const char *facility,
                             const char *message)
{
    (void)opaque;
    (void)handle;
    (void)facility;
    pthread_mutex_lock(&unflushed_lock);
    if (strstr(message, "flush timed out: ")) {
        snprintf(unflushed_line, sizeof(unflushed_line), "%s", message);
        unflushed_level = level;
    }
    pthread_mutex_unlock(&unflushed_lock);
}

START_TEST(test_a_flush_out_of_time_says_what_waits)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(2);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    ktally t;
    ktally_init(&t, 20);
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), NULL, 0), KFK_OK);
    kfk_conf_set_dr_cb(conf, ktally_on_report, &t);
    kfk_conf_set_log_cb(conf, on_unflushed_log, NULL);
    ck_assert_int_eq(kfk_conf_set(conf, "log.level", "debug", NULL, 0), KFK_OK);
    char err[256];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    ck_assert_int_eq(produce_one(p, "t", 0, 0), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK); /* the leader is known */
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, true), KFK_OK);
    for (int i = 1; i < 20; i++)
        ck_assert_int_eq(produce_one(p, "t", i, 0), KFK_OK);
    /* A short flush timing out is routine (a binding's slice): debug. */
    ck_assert_int_eq(kfk_producer_flush(p, 300), KFK_ERR_TIMED_OUT);
    ck_assert_ptr_nonnull(strstr(kfk_producer_last_error(p), "19 records still without"));
    pthread_mutex_lock(&unflushed_lock);
    ck_assert_int_eq(unflushed_level, KFK_LOG_DEBUG);
    unflushed_line[0] = '\0';
    pthread_mutex_unlock(&unflushed_lock);
    /* One given a second or more: a warning saying what waits. */
    ck_assert_int_eq(kfk_producer_flush(p, 1000), KFK_ERR_TIMED_OUT);
    pthread_mutex_lock(&unflushed_lock);
    ck_assert_int_eq(unflushed_level, KFK_LOG_WARNING);
    ck_assert_msg(strstr(unflushed_line, "flush timed out: t [0] holds batches: 1 queued, 0 in "
                                         "flight, 0 unacknowledged; leader -1"),
                  "%s", unflushed_line);
    pthread_mutex_unlock(&unflushed_lock);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, false), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 20000), KFK_OK);
    ck_assert_int_eq(atomic_load(&t.reports), 20);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* CreateTime stamped by the producer (no timestamp given): each report's
 * timestamp lies between the wall clock read just before and just after
 * its kfk_produce call (within the ms Kafka stores), also once the fast
 * per-thread clock (lib/producer/fastclock.h) has calibrated. */
#define TS_RECORDS 4000
static int64_t ts_reported[TS_RECORDS];

static void on_ts_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    (void)opaque;
    int i = (int)(intptr_t)r->opaque;
    ck_assert(i >= 0 && i < TS_RECORDS && r->err == KFK_OK);
    ts_reported[i] = r->timestamp_ms;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_record_timestamps_follow_the_wall_clock)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), NULL, 0), 0);
    kfk_conf_set_dr_cb(conf, on_ts_report, NULL);
    char err[256];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    static int64_t lo[TS_RECORDS], hi[TS_RECORDS];
    for (int i = 0; i < TS_RECORDS; i++) {
        kfk_record rec = {.topic = "t", .partition = 0, .value = "v", .value_len = 1};
        lo[i] = wall_ms();
        ck_assert_int_eq(kfk_produce(p, &rec, (void *)(intptr_t)i), KFK_OK);
        hi[i] = wall_ms();
        if (i % 40 == 0) kfk_producer_poll(p, 2); /* spread over ~200 ms */
    }
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    for (int i = 0; i < TS_RECORDS; i++)
        ck_assert_msg(ts_reported[i] >= lo[i] - 1 && ts_reported[i] <= hi[i] + 1,
                      "record %d: timestamp %lld outside [%lld, %lld]", i,
                      (long long)ts_reported[i], (long long)lo[i], (long long)hi[i]);
    kfk_producer_destroy(p);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_queue_full_at_once_with_max_block_zero)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    ktally t;
    ktally_init(&t, 100000);
    const char *kv[] = {"buffer.memory", "65536", "batch.size", "16384", "max.block.ms", "0",
                        "linger.ms",     "60000", NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    /* max.block.ms 0 does not wait for metadata: ask until it came. */
    int64_t deadline = mt_now_ms() + 10000;
    kfk_err err;
    while ((err = produce_one(p, "t", 0, 0)) == KFK_ERR_TIMED_OUT && mt_now_ms() < deadline)
        kfk_producer_poll(p, 10);
    ck_assert_int_eq(err, KFK_OK);
    kfk_mock_broker_set_down(mc, 1, true);
    int i = 1;
    int64_t t0 = mt_now_ms();
    while (i < t.n && (err = produce_one(p, "t", i, 0)) == KFK_OK)
        i++;
    ck_assert_int_eq(err, KFK_ERR_QUEUE_FULL);
    ck_assert(mt_now_ms() - t0 < 2000); /* it did not block */
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&t.reports), i); /* each accepted record, once */
    for (int k = 0; k < i; k++) {
        ck_assert_int_eq(atomic_load(&t.times[k]), 1);
        ck_assert(t.err[k] == KFK_ERR_DESTROYED || t.err[k] == KFK_OK);
    }
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* max.block.ms as Java's send: 0 never waits, so the first record to a
 * topic whose metadata has not come fails with TIMED_OUT and a later one
 * passes; a partition the metadata does not show is waited for up to
 * max.block.ms, then TIMED_OUT; so is an unknown topic. */
START_TEST(test_max_block_covers_missing_metadata)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 1), 0);
    ktally t;
    ktally_init(&t, 100);
    const char *kv0[] = {"max.block.ms", "0", NULL};
    kfk_producer *p = producer_for(mc, &t, kv0);
    int64_t t0 = mt_now_ms();
    ck_assert_int_eq(produce_one(p, "t", 0, 0), KFK_ERR_TIMED_OUT);
    ck_assert(mt_now_ms() - t0 < 500); /* it did not wait */
    int64_t deadline = mt_now_ms() + 10000;
    kfk_err err;
    while ((err = produce_one(p, "t", 0, 0)) == KFK_ERR_TIMED_OUT && mt_now_ms() < deadline)
        kfk_producer_poll(p, 10);
    ck_assert_int_eq(err, KFK_OK);
    t0 = mt_now_ms();
    ck_assert_int_eq(produce_one(p, "t", 1, 2), KFK_ERR_TIMED_OUT); /* no partition 2 */
    ck_assert(mt_now_ms() - t0 < 500);
    ck_assert_int_eq(produce_one(p, "t", 1, -5), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&t.reports), 1);
    ck_assert_int_eq(t.err[0], KFK_OK);

    const char *kv300[] = {"max.block.ms", "300", NULL};
    p = producer_for(mc, &t, kv300);
    ck_assert_int_eq(produce_one(p, "t", 2, 1), KFK_OK); /* waits for the metadata */
    t0 = mt_now_ms();
    ck_assert_int_eq(produce_one(p, "t", 3, 7), KFK_ERR_TIMED_OUT);
    int64_t waited = mt_now_ms() - t0;
    ck_assert_msg(waited >= 290 && waited < 3000, "waited %lld ms", (long long)waited);
    t0 = mt_now_ms();
    ck_assert_int_eq(produce_one(p, "no-such-topic", 4, KFK_PARTITION_ANY), KFK_ERR_TIMED_OUT);
    waited = mt_now_ms() - t0;
    ck_assert_msg(waited >= 290 && waited < 3000, "waited %lld ms", (long long)waited);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&t.reports), 2);
    ck_assert_int_eq(t.err[2], KFK_OK);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Reports not yet polled count under buffer.memory: a producer that
 * polls only when kfk_produce says the queue is full gets through 20x
 * buffer.memory (producer_reports_test has the rest of the rule). */
START_TEST(test_blocking_for_memory_polls_on_queue_full)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", N_PARTS, 1), 0);
    ktally t;
    ktally_init(&t, 20000);
    const char *kv[] = {"buffer.memory", "65536", "batch.size", "16384", NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    for (int i = 0; i < t.n; i++) {
        kfk_err err;
        while ((err = produce_one(p, "t", i, KFK_PARTITION_ANY)) == KFK_ERR_QUEUE_FULL)
            kfk_producer_poll(p, 10);
        ck_assert_msg(err == KFK_OK, "produce %d: %s", i, kfk_err_str(err));
    }
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    int64_t per[N_PARTS];
    check_delivered(&t, per);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* An append that waits for buffer.memory sends what is queued at once,
 * lingering batches too: here open batches of one record each hold all
 * of it, and linger.ms (60 s) is longer than max.block.ms (20 s). */
START_TEST(test_an_append_waiting_for_memory_sends_lingering_batches)
{
    enum { PARTS = 256 };
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", PARTS, 1), 0);
    ktally t;
    ktally_init(&t, PARTS);
    const char *kv[] = {"buffer.memory", "65536",        "batch.size", "16384", "linger.ms",
                        "60000",         "max.block.ms", "20000",      NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    int64_t t0 = mt_now_ms();
    for (int i = 0; i < PARTS; i++) { /* a batch each: 1 KiB of buffer.memory */
        kfk_err err;
        /* Unserved reports count too: this thread must poll for them. */
        while ((err = produce_one(p, "t", i, i)) == KFK_ERR_QUEUE_FULL)
            kfk_producer_poll(p, 10);
        ck_assert_int_eq(err, KFK_OK);
    }
    int64_t took = mt_now_ms() - t0;
    ck_assert_msg(took < 15000, "appends waited %lld ms for memory", (long long)took);
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    ck_assert_int_eq(atomic_load(&t.reports), PARTS);
    for (int i = 0; i < PARTS; i++)
        ck_assert_int_eq(t.err[i], KFK_OK);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_destroy_without_flush_reports_queued_records)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", N_PARTS, 3), 0);
    ktally t;
    ktally_init(&t, 5000);
    const char *kv[] = {"linger.ms", "60000", "batch.size", "1048576", NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    produce_n(p, "t", t.n);
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&t.reports), t.n);
    for (int i = 0; i < t.n; i++) {
        ck_assert_int_eq(atomic_load(&t.times[i]), 1);
        ck_assert_int_eq(t.err[i], KFK_ERR_DESTROYED);
    }
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_destroy_with_requests_in_flight_reports_each_once)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", N_PARTS, 3), 0);
    ktally t;
    ktally_init(&t, 20000);
    const char *kv[] = {"linger.ms", "0", NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    produce_n(p, "t", 100); /* metadata and producer id */
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    for (int b = 1; b <= 3; b++)
        kfk_mock_broker_set_rtt(mc, b, 300); /* answers come after destroy */
    for (int i = 100; i < t.n; i++)
        ck_assert_int_eq(produce_one(p, "t", i, KFK_PARTITION_ANY), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&t.reports), t.n);
    int destroyed = 0;
    for (int i = 0; i < t.n; i++) {
        ck_assert_int_eq(atomic_load(&t.times[i]), 1);
        ck_assert_msg(t.err[i] == KFK_OK || t.err[i] == KFK_ERR_DESTROYED, "record %d: %s", i,
                      kfk_err_str(t.err[i]));
        destroyed += t.err[i] == KFK_ERR_DESTROYED;
    }
    ck_assert(destroyed > 0);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_close_delivers_everything)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", N_PARTS, 3), 0);
    ktally t;
    ktally_init(&t, 10000);
    const char *kv[] = {"linger.ms", "100", NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    produce_n(p, "t", t.n);
    ck_assert_int_eq(kfk_producer_close(p, 30000), KFK_OK);
    int64_t per[N_PARTS];
    check_delivered(&t, per);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_purge_reports_unsent_records)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 1), 0);
    ktally t;
    ktally_init(&t, 1000);
    const char *kv[] = {"linger.ms", "60000", "batch.size", "1048576", NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    produce_n(p, "t", t.n);
    ck_assert_int_eq(kfk_producer_purge(p), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(atomic_load(&t.reports), t.n);
    for (int i = 0; i < t.n; i++)
        ck_assert_int_eq(t.err[i], KFK_ERR_PURGED);
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&t.reports), t.n);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* A record counts as outstanding from kfk_produce until its report was
 * served: queued, then purged with its report waiting, then served. */
START_TEST(test_outstanding_counts_records_until_their_report_is_served)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 1), 0);
    ktally t;
    ktally_init(&t, 100);
    const char *kv[] = {"linger.ms", "60000", "batch.size", "1048576", NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    ck_assert_int_eq(kfk_producer_outstanding(p), 0);
    produce_n(p, "t", t.n);
    ck_assert_int_eq(kfk_producer_outstanding(p), t.n);
    ck_assert_int_eq(kfk_producer_purge(p), KFK_OK);
    ck_assert_int_eq(atomic_load(&t.reports), 0);
    ck_assert_int_eq(kfk_producer_outstanding(p), t.n); /* reports wait for a poll */
    ck_assert_int_eq(kfk_producer_poll(p, 10000), t.n);
    ck_assert_int_eq(atomic_load(&t.reports), t.n);
    ck_assert_int_eq(kfk_producer_outstanding(p), 0);
    ck_assert_int_eq(produce_one(p, "t", 0, 0), KFK_OK);
    ck_assert_int_eq(kfk_producer_outstanding(p), 1);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(kfk_producer_outstanding(p), 0);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_delivery_timeout_with_a_down_broker_reports_once)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 1), 0);
    ktally t;
    ktally_init(&t, 2000);
    const char *kv[] = {"linger.ms",
                        "5",
                        "delivery.timeout.ms",
                        "1500",
                        "request.timeout.ms",
                        "500",
                        "retry.backoff.ms",
                        "50",
                        NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    ck_assert_int_eq(produce_one(p, "t", 0, 0), KFK_OK); /* metadata */
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(t.err[0], KFK_OK);
    kfk_mock_broker_set_down(mc, 1, true);
    for (int i = 1; i < t.n; i++)
        ck_assert_int_eq(produce_one(p, "t", i, i % 2), KFK_OK);
    int64_t t0 = mt_now_ms();
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert(mt_now_ms() - t0 < 5000);
    for (int i = 1; i < t.n; i++) {
        ck_assert_int_eq(atomic_load(&t.times[i]), 1);
        ck_assert_msg(t.err[i] == KFK_ERR_TIMED_OUT, "record %d: %s", i, kfk_err_str(t.err[i]));
    }
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&t.reports), t.n);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_acks_zero_and_one_deliver)
{
    for (int a = 0; a < 2; a++) {
        kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
        ck_assert_int_eq(kfk_mock_topic_create(mc, "t", N_PARTS, 3), 0);
        ktally t;
        ktally_init(&t, 5000);
        const char *kv[] = {"acks", a ? "1" : "0", NULL};
        kfk_producer *p = producer_for(mc, &t, kv);
        produce_n(p, "t", t.n);
        ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
        int64_t total = 0;
        for (int k = 0; k < N_PARTS; k++) {
            int64_t hw;
            kfk_mock_partition_offsets(mc, "t", k, NULL, &hw);
            total += hw;
        }
        ck_assert_int_eq(total, t.n);
        for (int i = 0; i < t.n; i++) {
            ck_assert_int_eq(t.err[i], KFK_OK);
            if (!a) ck_assert_int_eq(t.offset[i], -1);
        }
        kfk_producer_destroy(p);
        ktally_free(&t);
        kfk_mock_cluster_destroy(mc);
    }
}
END_TEST

START_TEST(test_keyless_records_avoid_partitions_without_a_leader)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 3, 1), 0);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 2, true), 0); /* one partition leaderless */
    ktally t;
    ktally_init(&t, 3000);
    const char *kv[] = {"batch.size", "1024", "linger.ms", "1", NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    for (int i = 0; i < t.n; i++) {
        kfk_record rec = {
            .topic = "t", .partition = KFK_PARTITION_ANY, .value = "v", .value_len = 1};
        ck_assert_int_eq(kfk_produce(p, &rec, (void *)(intptr_t)(i + 1)), KFK_OK);
    }
    ck_assert_int_eq(kfk_producer_flush(p, 20000), KFK_OK);
    int used[3] = {0};
    for (int i = 0; i < t.n; i++) {
        ck_assert_int_eq(t.err[i], KFK_OK);
        used[t.partition[i]]++;
    }
    int64_t hw[3];
    for (int k = 0; k < 3; k++)
        kfk_mock_partition_offsets(mc, "t", k, NULL, &hw[k]);
    ck_assert_int_eq(hw[0] + hw[1] + hw[2], t.n);
    ck_assert_msg(!used[0] || !used[1] || !used[2], "a leaderless partition got records");
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Kafka's topic-name rules: a name the broker could never accept fails
 * kfk_produce at once, not after max.block.ms of waiting for metadata,
 * and leaves the producer fit for good records. */
START_TEST(test_invalid_topic_names_fail_at_once)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    ktally t;
    ktally_init(&t, 1);
    kfk_producer *p = producer_for(mc, &t, (const char *const[]){"max.block.ms", "60000", NULL});
    char long_name[251];
    memset(long_name, 'a', 250);
    long_name[250] = '\0';
    const char *bad[] = {"bad topic!", "", ".", "..", long_name, "caf\xc3\xa9", "a/b"};
    int64_t start = ktime_mono_ms();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(produce_one(p, bad[i], 0, KFK_PARTITION_ANY) ==
                          KFK_ERR_INVALID_TOPIC_EXCEPTION,
                      "topic \"%s\"", bad[i]);
    ck_assert_int_lt(ktime_mono_ms() - start, 30000); /* far below max.block.ms */
    ck_assert_int_eq(produce_one(p, "t", 0, KFK_PARTITION_ANY), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    ck_assert_int_eq(kfk_produce(NULL, NULL, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_producer_flush(NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_producer_poll(NULL, 0), -1);
    kfk_producer_destroy(NULL);
    kfk_conf *conf = kfk_conf_new();
    kfk_conf_set(conf, "acks", "1", NULL, 0);
    kfk_conf_set(conf, "enable.idempotence", "true", NULL, 0);
    char err[256] = "";
    ck_assert(kfk_producer_new(conf, err, sizeof(err)) == NULL);
    ck_assert(strlen(err) > 0);
    conf = kfk_conf_new();
    kfk_conf_set(conf, "bootstrap.servers", "127.0.0.1:9", NULL, 0);
    kfk_conf_set(conf, "transactional.id", "tx", NULL, 0);
    kfk_conf_set(conf, "acks", "1", NULL, 0); /* transactions need idempotence */
    ck_assert(kfk_producer_new(conf, err, sizeof(err)) == NULL);
    ck_assert_msg(strstr(err, "transactional.id") != NULL, "%s", err);
}
END_TEST

static Suite *producer_suite(void)
{
    Suite *s = suite_create("producer_api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_every_codec_delivers_each_record_once_in_order, 0, 5);
    tcase_add_test(tc, test_not_leader_loses_and_duplicates_nothing);
    tcase_add_test(tc, test_timeouts_lose_and_duplicate_nothing);
    tcase_add_test(tc, test_dropped_connections_lose_and_duplicate_nothing);
    tcase_add_test(tc, test_leader_moves_keep_order);
    tcase_add_test(tc, test_unknown_topic_ids_are_retried);
    tcase_add_test(tc, test_sequence_errors_bump_the_epoch_and_retry);
    tcase_add_test(tc, test_retries_of_written_batches_are_not_duplicated);
    tcase_add_test(tc, test_retries_bounds_the_sends_of_a_batch);
    tcase_add_test(tc, test_produce_falls_back_to_topic_names_below_v13);
    tcase_add_test(tc, test_records_wait_out_a_partition_without_leader);
    tcase_add_test(tc, test_a_flush_out_of_time_says_what_waits);
    tcase_add_test(tc, test_record_timestamps_follow_the_wall_clock);
    tcase_add_test(tc, test_queue_full_at_once_with_max_block_zero);
    tcase_add_test(tc, test_max_block_covers_missing_metadata);
    tcase_add_test(tc, test_blocking_for_memory_polls_on_queue_full);
    tcase_add_test(tc, test_destroy_without_flush_reports_queued_records);
    tcase_add_test(tc, test_destroy_with_requests_in_flight_reports_each_once);
    tcase_add_test(tc, test_an_append_waiting_for_memory_sends_lingering_batches);
    tcase_add_test(tc, test_close_delivers_everything);
    tcase_add_test(tc, test_purge_reports_unsent_records);
    tcase_add_test(tc, test_outstanding_counts_records_until_their_report_is_served);
    tcase_add_test(tc, test_delivery_timeout_with_a_down_broker_reports_once);
    tcase_add_test(tc, test_acks_zero_and_one_deliver);
    tcase_add_test(tc, test_keyless_records_avoid_partitions_without_a_leader);
    tcase_add_test(tc, test_invalid_topic_names_fail_at_once);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(producer_suite());
}
