/* Offsets and records through the admin client and the consumer, against
 * the cluster under test (KFK_TEST_BOOTSTRAP; mock or real Kafka) and an
 * in-process mock for what needs one (old versions, a leader move):
 *   - records with known timestamps: earliest, latest, by timestamp, max
 *     timestamp, earliest local and latest tiered give the exact offsets
 *     and timestamps; an unknown partition or topic in the same call
 *     fails alone; a timestamp after the last record gives offset -1;
 *   - the consumer's query_watermarks and offsets_for_times agree;
 *   - read_committed with a transaction still open gives the last stable
 *     offset, below the end;
 *   - delete records: the new low watermark, earliest moves there, a
 *     consumer asking below it gets OFFSET_OUT_OF_RANGE (or resets to it);
 *     beyond the end is OFFSET_OUT_OF_RANGE for that partition alone;
 *   - a spec the leader's version cannot serve fails alone with
 *     UNSUPPORTED_VERSION; a leader move is followed;
 *   - bad arguments are refused with the right last error. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "../common/ktxn.h"
#include "kfk.h"
#include "kfk_mock.h"

#define TIMEOUT_MS 30000

static const kfk_admin_options opts = {.timeout_ms = TIMEOUT_MS};
static const kfk_admin_options committed_opts = {.timeout_ms = TIMEOUT_MS,
                                                 .flags = KFK_ADMIN_READ_COMMITTED};

static kfk_admin *admin_on(const char *bootstrap)
{
    char err[512];
    kfk_admin *a = kfk_admin_new(kclus_conf(bootstrap), err, sizeof(err));
    ck_assert_msg(a != NULL, "kfk_admin_new: %s", err);
    return a;
}

static kfk_consumer *consumer_on(const char *bootstrap, const char *isolation, const char *reset)
{
    kfk_conf *conf = kclus_conf(bootstrap);
    kclus_set(conf, "isolation.level", isolation);
    kclus_set(conf, "auto.offset.reset", reset);
    char err[512];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "kfk_consumer_new: %s", err);
    return c;
}

typedef struct dr_count {
    int ok, failed;
    kfk_err last;
} dr_count;

static void on_report(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)p;
    dr_count *d = opaque;
    if (r->err) {
        d->failed++;
        d->last = r->err;
    } else {
        d->ok++;
    }
}

/* Produces n records to topic/partition, record i with timestamp ts[i]
 * and value "<i>", and waits until all are delivered. */
static void produce_at(const char *topic, int32_t partition, const int64_t *ts, int n)
{
    kfk_conf *conf = kclus_conf(NULL);
    dr_count d = {0};
    kfk_conf_set_dr_cb(conf, on_report, &d);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    for (int i = 0; i < n; i++) {
        char v[24];
        int len = snprintf(v, sizeof(v), "%d", i);
        kfk_record r = {.topic = topic,
                        .partition = partition,
                        .value = v,
                        .value_len = (size_t)len,
                        .timestamp_ms = ts[i]};
        ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_OK);
    }
    ck_assert_int_eq(kfk_producer_flush(p, TIMEOUT_MS), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_msg(d.ok == n, "%d of %d delivered (%s)", d.ok, n, kfk_err_str(d.last));
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t add(kfk_partition_list *l, const char *topic, int32_t partition, int64_t spec)
{
    ck_assert_int_eq(kfk_partition_list_add(l, topic, partition), KFK_OK);
    size_t i = kfk_partition_list_count(l) - 1;
    ck_assert_int_eq(kfk_partition_list_set_offset(l, i, spec), KFK_OK);
    return i;
}

static void expect(const kfk_partition_list *l, size_t i, kfk_err err, int64_t offset,
                   int64_t timestamp)
{
    ck_assert_msg(kfk_partition_list_error(l, i) == err, "entry %zu: %s, want %s", i,
                  kfk_err_name(kfk_partition_list_error(l, i)), kfk_err_name(err));
    ck_assert_msg(kfk_partition_list_offset(l, i) == offset, "entry %zu: offset %lld, want %lld", i,
                  (long long)kfk_partition_list_offset(l, i), (long long)offset);
    ck_assert_msg(kfk_partition_list_timestamp(l, i) == timestamp,
                  "entry %zu: timestamp %lld, want %lld", i,
                  (long long)kfk_partition_list_timestamp(l, i), (long long)timestamp);
}

/* The one offset spec of topic/partition, asserting success. */
static int64_t lookup(kfk_admin *a, const char *topic, int32_t partition, int64_t spec,
                      const kfk_admin_options *o)
{
    kfk_partition_list *l = kfk_partition_list_new(1);
    add(l, topic, partition, spec);
    kfk_err err = kfk_admin_list_offsets(a, l, o);
    ck_assert_msg(err == KFK_OK, "list offsets: %s (%s)", kfk_err_str(err),
                  kfk_admin_last_error(a));
    int64_t off = kfk_partition_list_offset(l, 0);
    kfk_partition_list_destroy(l);
    return off;
}

/* Partition 0: 10 records one second apart from t0, but record 5 is the
 * newest (t0 + 100 s); partition 1: 4 records one second apart. */
#define N0 10
#define N1 4
#define MAX_AT 5

static void timed_topic(char *topic, size_t size, int64_t *t0)
{
    ktest_unique_topic(topic, size, "offsets");
    kclus_create_topic(NULL, topic, 2, -1);
    *t0 = (wall_ms() - 2 * 3600 * 1000) / 1000 * 1000; /* in the past: brokers take it */
    int64_t ts[N0];
    for (int i = 0; i < N0; i++)
        ts[i] = *t0 + i * 1000;
    ts[MAX_AT] = *t0 + 100000;
    produce_at(topic, 0, ts, N0);
    produce_at(topic, 1, ts, N1);
}

START_TEST(test_list_offsets_by_every_spec)
{
    char topic[128], ghost[160];
    int64_t t0;
    timed_topic(topic, sizeof(topic), &t0);
    snprintf(ghost, sizeof(ghost), "%s-never-made", topic);
    kfk_admin *a = admin_on(NULL);
    kfk_partition_list *l = kfk_partition_list_new(0);
    size_t beg = add(l, topic, 0, KFK_OFFSET_BEGINNING);
    size_t end = add(l, topic, 0, KFK_OFFSET_END);
    size_t at0 = add(l, topic, 0, t0);
    size_t mid = add(l, topic, 0, t0 + 3500); /* between records 3 and 4 */
    size_t max = add(l, topic, 0, KFK_OFFSET_MAX_TIMESTAMP);
    size_t local = add(l, topic, 0, KFK_OFFSET_EARLIEST_LOCAL);
    size_t tiered = add(l, topic, 0, KFK_OFFSET_LATEST_TIERED);
    size_t end1 = add(l, topic, 1, KFK_OFFSET_END);
    size_t late1 = add(l, topic, 1, t0 + N1 * 1000); /* after the last record */
    size_t last1 = add(l, topic, 1, t0 + (N1 - 1) * 1000);
    size_t nopart = add(l, topic, 7, KFK_OFFSET_END);
    size_t notopic = add(l, ghost, 0, KFK_OFFSET_END);

    kfk_err err = kfk_admin_list_offsets(a, l, &opts);
    ck_assert_int_eq(err, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "partition 7"));
    expect(l, beg, KFK_OK, 0, -1);
    expect(l, end, KFK_OK, N0, -1);
    expect(l, at0, KFK_OK, 0, t0);
    expect(l, mid, KFK_OK, 4, t0 + 4000);
    expect(l, max, KFK_OK, MAX_AT, t0 + 100000);
    ck_assert_int_eq(kfk_partition_list_error(l, local), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_offset(l, local), 0); /* no tiered storage */
    expect(l, tiered, KFK_OK, -1, -1);
    expect(l, end1, KFK_OK, N1, -1);
    expect(l, late1, KFK_OK, -1, -1);
    expect(l, last1, KFK_OK, N1 - 1, t0 + (N1 - 1) * 1000);
    /* The failed ones keep their spec. */
    expect(l, nopart, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION, KFK_OFFSET_END, -1);
    expect(l, notopic, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION, KFK_OFFSET_END, -1);
    ck_assert_int_ge(kfk_partition_list_leader_epoch(l, end), 0);

    /* The consumer's lookups agree. */
    kfk_consumer *c = consumer_on(NULL, "read_uncommitted", "earliest");
    int64_t low = -7, high = -7;
    ck_assert_int_eq(kfk_consumer_query_watermarks(c, topic, 0, &low, &high, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(low, 0);
    ck_assert_int_eq(high, N0);
    ck_assert_int_eq(kfk_consumer_query_watermarks(c, topic, 1, &low, &high, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(low, 0);
    ck_assert_int_eq(high, N1);
    low = high = -7;
    ck_assert_int_eq(kfk_consumer_query_watermarks(c, topic, 9, &low, &high, TIMEOUT_MS),
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(low, -7);
    ck_assert_ptr_nonnull(strstr(kfk_consumer_last_error(c), "partition 9"));

    kfk_partition_list *t = kfk_partition_list_new(0);
    add(t, topic, 0, t0 + 3500);
    add(t, topic, 1, t0 + N1 * 1000);
    add(t, topic, 0, t0);
    ck_assert_int_eq(kfk_consumer_offsets_for_times(c, t, TIMEOUT_MS), KFK_OK);
    expect(t, 0, KFK_OK, 4, t0 + 4000);
    expect(t, 1, KFK_OK, -1, -1);
    expect(t, 2, KFK_OK, 0, t0);
    kfk_partition_list_destroy(t);
    kfk_consumer_destroy(c);
    kfk_partition_list_destroy(l);
    kfk_admin_destroy(a);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_read_committed_stops_at_an_open_transaction)
{
    char topic[128], id[160];
    ktest_unique_topic(topic, sizeof(topic), "offsets-txn");
    snprintf(id, sizeof(id), "%s-id", topic);
    kclus_create_topic(NULL, topic, 1, -1);
    kclus_produce(NULL, topic, 1, 0, 3);
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(NULL, id, &rs, true, NULL);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, topic, 1, "open", 2);
    ck_assert_int_eq(kfk_producer_flush(p, TIMEOUT_MS), KFK_OK);

    kfk_admin *a = admin_on(NULL);
    ck_assert_int_eq(lookup(a, topic, 0, KFK_OFFSET_END, &opts), 5);
    ck_assert_int_eq(lookup(a, topic, 0, KFK_OFFSET_END, &committed_opts), 3);
    int64_t low, high;
    kfk_consumer *rc = consumer_on(NULL, "read_committed", "earliest");
    ck_assert_int_eq(kfk_consumer_query_watermarks(rc, topic, 0, &low, &high, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(low, 0);
    ck_assert_int_eq(high, 3);
    kfk_consumer *ru = consumer_on(NULL, "read_uncommitted", "earliest");
    ck_assert_int_eq(kfk_consumer_query_watermarks(ru, topic, 0, &low, &high, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(high, 5);

    /* Once it ends (markers may come a moment after), the LSO is the end. */
    ck_assert_int_eq(kfk_producer_abort_transaction(p, TIMEOUT_MS), KFK_OK);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    while (lookup(a, topic, 0, KFK_OFFSET_END, &committed_opts) != 6) {
        ck_assert_msg(kclus_now_ms() < deadline, "the LSO never reached the abort marker");
        kclus_nap(50);
    }
    kfk_consumer_destroy(ru);
    kfk_consumer_destroy(rc);
    kfk_producer_destroy(p);
    kfk_admin_destroy(a);
    kclus_delete_topic(NULL, topic);
}
END_TEST

/* Polls c until a message of topic/partition comes; returns it. */
static kfk_message *next_of(kfk_consumer *c)
{
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    for (;;) {
        kfk_message *m = kfk_consumer_poll(c, 200);
        if (m) return m;
        ck_assert_msg(kclus_now_ms() < deadline, "nothing came");
    }
}

static kfk_consumer *assigned_at(const char *topic, int32_t partition, int64_t offset,
                                 const char *reset)
{
    kfk_consumer *c = consumer_on(NULL, "read_uncommitted", reset);
    kfk_partition_list *l = kfk_partition_list_new(1);
    add(l, topic, partition, offset);
    ck_assert_int_eq(kfk_consumer_assign(c, l), KFK_OK);
    kfk_partition_list_destroy(l);
    return c;
}

START_TEST(test_delete_records_moves_the_log_start)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "offsets-del");
    kclus_create_topic(NULL, topic, 2, -1);
    kclus_produce(NULL, topic, 2, 0, 20); /* 10 records in each partition */
    kfk_admin *a = admin_on(NULL);

    kfk_partition_list *l = kfk_partition_list_new(0);
    add(l, topic, 0, 4);
    add(l, topic, 1, KFK_OFFSET_END);
    add(l, topic, 5, 1);
    kfk_err err = kfk_admin_delete_records(a, l, &opts);
    ck_assert_int_eq(err, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "partition 5"));
    expect(l, 0, KFK_OK, 4, -1);
    expect(l, 1, KFK_OK, 10, -1);
    expect(l, 2, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION, 1, -1);
    kfk_partition_list_destroy(l);

    /* Beyond the end fails for that partition alone; lower changes nothing. */
    l = kfk_partition_list_new(0);
    add(l, topic, 0, 11);
    add(l, topic, 1, 2);
    ck_assert_int_eq(kfk_admin_delete_records(a, l, &opts), KFK_ERR_OFFSET_OUT_OF_RANGE);
    expect(l, 0, KFK_ERR_OFFSET_OUT_OF_RANGE, 11, -1);
    expect(l, 1, KFK_OK, 10, -1);
    kfk_partition_list_destroy(l);

    ck_assert_int_eq(lookup(a, topic, 0, KFK_OFFSET_BEGINNING, &opts), 4);
    ck_assert_int_eq(lookup(a, topic, 0, KFK_OFFSET_EARLIEST_LOCAL, &opts), 4);
    ck_assert_int_eq(lookup(a, topic, 0, KFK_OFFSET_END, &opts), 10);
    ck_assert_int_eq(lookup(a, topic, 1, KFK_OFFSET_BEGINNING, &opts), 10);
    /* Every record is newer than 0: the first one left. */
    ck_assert_int_eq(lookup(a, topic, 0, 0, &opts), 4);

    kfk_consumer *c = assigned_at(topic, 0, 1, "earliest");
    int64_t low, high;
    ck_assert_int_eq(kfk_consumer_query_watermarks(c, topic, 0, &low, &high, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(low, 4);
    ck_assert_int_eq(high, 10);
    /* Asked for offset 1: reset to the new start, record 8 (8 % 2 == 0). */
    kfk_message *m = next_of(c);
    ck_assert_int_eq(kfk_message_error(m), KFK_OK);
    ck_assert_int_eq(kfk_message_offset(m), 4);
    ck_assert_int_eq(kclus_record_id(m), 8);
    kfk_message_release(m);
    kfk_consumer_destroy(c);

    c = assigned_at(topic, 0, 1, "none");
    m = next_of(c);
    ck_assert_int_eq(kfk_message_error(m), KFK_ERR_OFFSET_OUT_OF_RANGE);
    ck_assert_int_eq(kfk_message_offset(m), 1);
    kfk_message_release(m);
    kfk_consumer_destroy(c);
    kfk_admin_destroy(a);
    kclus_delete_topic(NULL, topic);
}
END_TEST

/* A compacted topic keeps its records: POLICY_VIOLATION, as Kafka's. */
START_TEST(test_delete_records_refuses_a_compacted_topic)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "offsets-compact");
    kfk_admin *a = admin_on(NULL);
    kfk_new_topic *t = kfk_new_topic_new(topic, 1, -1);
    ck_assert_int_eq(kfk_new_topic_set_config(t, "cleanup.policy", "compact"), KFK_OK);
    kfk_admin_result *res;
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, &opts, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    kfk_partition_list *l = kfk_partition_list_new(1);
    add(l, topic, 0, KFK_OFFSET_END);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    kfk_err err;
    /* Until every broker knows the new topic. */
    while ((err = kfk_admin_delete_records(a, l, &opts)) == KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
        ck_assert_msg(kclus_now_ms() < deadline, "%s never appeared", topic);
        kclus_nap(50);
    }
    ck_assert_msg(err == KFK_ERR_POLICY_VIOLATION, "%s", kfk_admin_last_error(a));
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), topic));
    ck_assert_int_eq(kfk_partition_list_offset(l, 0), KFK_OFFSET_END);
    kfk_partition_list_destroy(l);
    kfk_admin_destroy(a);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    kfk_admin *a = admin_on(NULL);
    kfk_partition_list *l = kfk_partition_list_new(0);
    ck_assert_int_eq(kfk_admin_list_offsets(NULL, l, &opts), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_delete_records(NULL, l, &opts), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_list_offsets(a, l, &opts), KFK_OK); /* empty: nothing to do */
    ck_assert_int_eq(kfk_admin_list_offsets(a, NULL, &opts), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "kfk_admin_list_offsets: parts is NULL"));
    ck_assert_int_eq(kfk_admin_delete_records(a, NULL, &opts), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(
        strstr(kfk_admin_last_error(a), "kfk_admin_delete_records: parts is NULL"));

    add(l, "t", 0, -6);
    ck_assert_int_eq(kfk_admin_list_offsets(a, l, &opts), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "offset -6"));
    ck_assert_int_eq(kfk_partition_list_error(l, 0), KFK_OK); /* nothing was sent */
    kfk_partition_list_set_offset(l, 0, KFK_OFFSET_BEGINNING);
    ck_assert_int_eq(kfk_admin_delete_records(a, l, &opts), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "neither an offset nor KFK_OFFSET_END"));
    kfk_partition_list_set_offset(l, 0, 3);
    add(l, "t", 0, 5);
    ck_assert_int_eq(kfk_admin_delete_records(a, l, &opts), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "or a partition twice"));

    kfk_admin_options o = {.timeout_ms = TIMEOUT_MS, .flags = KFK_ADMIN_VALIDATE_ONLY};
    ck_assert_int_eq(kfk_admin_list_offsets(a, l, &o), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "KFK_ADMIN_VALIDATE_ONLY"));
    ck_assert_int_eq(kfk_admin_delete_records(a, l, &committed_opts), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "KFK_ADMIN_READ_COMMITTED"));
    kfk_admin_options r = {.reserved = {&o}};
    ck_assert_int_eq(kfk_admin_list_offsets(a, l, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "reserved"));
    ck_assert_int_eq(kfk_partition_list_error(l, 0), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_offset(l, 0), 3);

    kfk_consumer *c = consumer_on(NULL, "read_uncommitted", "earliest");
    int64_t low, high;
    ck_assert_int_eq(kfk_consumer_query_watermarks(NULL, "t", 0, &low, &high, 100),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_query_watermarks(c, "t", 0, NULL, &high, 100),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_consumer_last_error(c), "low or high is NULL"));
    ck_assert_int_eq(kfk_consumer_query_watermarks(c, "", 0, &low, &high, 100),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_query_watermarks(c, "t", -1, &low, &high, 100),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_offsets_for_times(c, NULL, 100), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_consumer_last_error(c), "parts is NULL"));
    kfk_partition_list_set_offset(l, 0, -9);
    ck_assert_int_eq(kfk_consumer_offsets_for_times(c, l, 100), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_consumer_last_error(c), "offset -9"));
    kfk_consumer_destroy(c);

    ck_assert_int_eq(kfk_partition_list_timestamp(NULL, 0), -1);
    ck_assert_int_eq(kfk_partition_list_timestamp(l, 99), -1);
    ck_assert_int_eq(kfk_partition_list_timestamp(l, 0), -1);
    ck_assert_int_eq(kfk_partition_list_set_timestamp(l, 99, 5), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_partition_list_set_timestamp(l, 0, 5), KFK_OK);
    kfk_partition_list *copy = kfk_partition_list_copy(l);
    ck_assert_int_eq(kfk_partition_list_timestamp(copy, 0), 5);
    kfk_partition_list_destroy(copy);
    kfk_partition_list_destroy(l);
    kfk_admin_destroy(a);
}
END_TEST

/* An in-process mock whose brokers serve ListOffsets up to v7: max
 * timestamp works, earliest local (v8) and latest tiered (v9) fail alone
 * with UNSUPPORTED_VERSION and a last error that says why. */
START_TEST(test_a_spec_too_new_for_the_leader_fails_alone)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "old", 1, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_set_api_version_range(mc, KFK_MOCK_API_LIST_OFFSETS, 1, 7), KFK_OK);
    kfk_admin *a = admin_on(kfk_mock_cluster_bootstrap(mc));
    kfk_partition_list *l = kfk_partition_list_new(0);
    add(l, "old", 0, KFK_OFFSET_END);
    add(l, "old", 0, KFK_OFFSET_EARLIEST_LOCAL);
    add(l, "old", 0, KFK_OFFSET_MAX_TIMESTAMP);
    add(l, "old", 0, KFK_OFFSET_LATEST_TIERED);
    ck_assert_int_eq(kfk_admin_list_offsets(a, l, &opts), KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "KFK_OFFSET_EARLIEST_LOCAL needs "
                                                          "ListOffsets v8"));
    expect(l, 0, KFK_OK, 0, -1);
    expect(l, 1, KFK_ERR_UNSUPPORTED_VERSION, KFK_OFFSET_EARLIEST_LOCAL, -1);
    expect(l, 2, KFK_OK, -1, -1); /* an empty log has no max */
    expect(l, 3, KFK_ERR_UNSUPPORTED_VERSION, KFK_OFFSET_LATEST_TIERED, -1);
    kfk_partition_list_destroy(l);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* The leader moves after the admin learned it: NOT_LEADER_OR_FOLLOWER
 * sends it to the new one; retriable errors are retried. */
START_TEST(test_a_leader_move_is_followed)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "moving", 3, 3), KFK_OK);
    kfk_admin *a = admin_on(kfk_mock_cluster_bootstrap(mc));
    kfk_partition_list *l = kfk_partition_list_new(0);
    for (int32_t p = 0; p < 3; p++)
        add(l, "moving", p, KFK_OFFSET_END);
    ck_assert_int_eq(kfk_admin_list_offsets(a, l, &opts), KFK_OK);
    int64_t before = kfk_mock_request_count(mc, KFK_MOCK_API_LIST_OFFSETS);
    ck_assert_int_eq(before, 3); /* one per leader */
    int32_t leader, epoch;
    ck_assert(kclus_partition_leader(kfk_mock_cluster_bootstrap(mc), "moving", 0, &leader, &epoch));
    ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "moving", 0, leader % 3 + 1), KFK_OK);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_LIST_OFFSETS, 1, KFK_ERR_LEADER_NOT_AVAILABLE),
        KFK_OK);
    for (int32_t p = 0; p < 3; p++)
        kfk_partition_list_set_offset(l, (size_t)p, KFK_OFFSET_BEGINNING);
    kfk_err err = kfk_admin_list_offsets(a, l, &opts);
    ck_assert_msg(err == KFK_OK, "%s", kfk_admin_last_error(a));
    for (size_t p = 0; p < 3; p++)
        expect(l, p, KFK_OK, 0, -1);
    ck_assert_int_gt(kfk_mock_request_count(mc, KFK_MOCK_API_LIST_OFFSETS), before + 3);

    /* DeleteRecords on an empty log: the start stays 0; a leader that
     * moved is followed there too. */
    ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "moving", 1, leader % 3 + 1), KFK_OK);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_DELETE_RECORDS, 1, KFK_ERR_NOT_LEADER_OR_FOLLOWER),
        KFK_OK);
    for (int32_t p = 0; p < 3; p++)
        kfk_partition_list_set_offset(l, (size_t)p, KFK_OFFSET_END);
    /* The first request answered NOT_LEADER_OR_FOLLOWER for its
     * partitions: success means they were sent again. */
    err = kfk_admin_delete_records(a, l, &opts);
    ck_assert_msg(err == KFK_OK, "%s", kfk_admin_last_error(a));
    for (size_t p = 0; p < 3; p++)
        expect(l, p, KFK_OK, 0, -1);
    kfk_partition_list_destroy(l);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static Suite *offsets_suite(void)
{
    Suite *s = suite_create("admin_offsets");
    TCase *tc = tcase_create("offsets");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_list_offsets_by_every_spec);
    tcase_add_test(tc, test_read_committed_stops_at_an_open_transaction);
    tcase_add_test(tc, test_delete_records_moves_the_log_start);
    tcase_add_test(tc, test_delete_records_refuses_a_compacted_topic);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    tcase_add_test(tc, test_a_spec_too_new_for_the_leader_fails_alone);
    tcase_add_test(tc, test_a_leader_move_is_followed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(offsets_suite());
}
