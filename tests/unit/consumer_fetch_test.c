/* The consumer's fetch path against an in-process 3-broker mock cluster:
 * records in every codec come back intact and in order, poll_batch,
 * seeks (offset, beginning, end, timestamp), position, pause/resume,
 * auto.offset.reset, KIP-227 sessions going incremental and recovering
 * from session errors, leader moves without loss or duplicates, messages
 * outliving the consumer. Test data goes in with proto-level Produce. */
#include <pthread.h>

#include "consumer/consumer_int.h"
#include "kplist.h"
#include "mt_conn.h"

#define WAIT_MS 10000

static kfk_mock_cluster *mc;

static void setup(void)
{
    mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
}

/* --- test data ------------------------------------------------------------------ */

/* Record i: every 9th key null, every 13th value null, i % 4 headers (the
 * third with a null value), timestamp 1700000000000 + i * 1000. */
typedef struct trec {
    char key[32], value[128], hk[4][24], hv[4][32];
    kslice k, v;
    krecord_header h[4];
    size_t n_headers;
    int64_t ts;
} trec;

#define TS0 1700000000000LL

static void make_rec(trec *r, int i)
{
    snprintf(r->key, sizeof(r->key), "key-%d", i);
    int n = snprintf(r->value, sizeof(r->value), "value-%d-", i);
    for (; n < 20 + (i * 37) % 100; n++)
        r->value[n] = (char)('a' + (i + n) % 26);
    r->value[n] = '\0';
    r->k = i % 9 == 0 ? (kslice){NULL, 0} : kwire_cstr(r->key);
    r->v = i % 13 == 0 ? (kslice){NULL, 0} : kwire_cstr(r->value);
    r->n_headers = (size_t)(i % 4);
    for (size_t h = 0; h < r->n_headers; h++) {
        snprintf(r->hk[h], sizeof(r->hk[h]), "h%zu", h);
        snprintf(r->hv[h], sizeof(r->hv[h]), "v%d.%zu", i, h);
        r->h[h].key = kwire_cstr(r->hk[h]);
        r->h[h].value = h == 2 ? (kslice){NULL, 0} : kwire_cstr(r->hv[h]);
    }
    r->ts = TS0 + (int64_t)i * 1000;
}

/* Produces records first..first+n-1 as one batch in codec to the
 * partition's leader (whichever broker takes it). */
static void produce(const char *topic, int32_t partition, kcodec codec, int first, int n)
{
    kbuf plain = {0}, packed = {0};
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &plain, 0, TS0, -1, -1, -1, 0, 0), 0);
    for (int i = first; i < first + n; i++) {
        trec r;
        make_rec(&r, i);
        ck_assert_int_eq(kbatch_writer_append(&w, r.ts, r.k, r.v, r.h, r.n_headers), 0);
    }
    kslice batch;
    ck_assert_int_eq(kbatch_writer_finish(&w, codec, -1, &packed, &batch), 0);
    bool done = false;
    for (int32_t b = 1; b <= 3 && !done; b++) {
        mt_conn c;
        if (!mt_try_open(&c, mc, b)) continue; /* down */
        done = mt_produce(&c, topic, partition, batch)->error_code == 0;
        mt_close(&c);
    }
    ck_assert_msg(done, "no broker took the batch for %s-%d", topic, partition);
    kbuf_free(&plain);
    kbuf_free(&packed);
}

static void check_rec(const kfk_message *m, int i)
{
    trec r;
    make_rec(&r, i);
    size_t len;
    const void *p = kfk_message_key(m, &len);
    ck_assert_int_eq(p == NULL, r.k.ptr == NULL);
    if (p) ck_assert(len == r.k.len && !memcmp(p, r.k.ptr, len));
    p = kfk_message_value(m, &len);
    ck_assert_int_eq(p == NULL, r.v.ptr == NULL);
    if (p) ck_assert(len == r.v.len && !memcmp(p, r.v.ptr, len));
    kfk_timestamp_type tt;
    ck_assert_int_eq(kfk_message_timestamp(m, &tt), r.ts);
    ck_assert_int_eq(tt, KFK_TIMESTAMP_CREATE_TIME);
    ck_assert_uint_eq(kfk_message_header_count(m), r.n_headers);
    for (size_t h = 0; h < r.n_headers; h++) {
        const char *name;
        size_t nlen, vlen;
        const void *val;
        ck_assert_int_eq(kfk_message_header(m, h, &name, &nlen, &val, &vlen), KFK_OK);
        ck_assert(nlen == r.h[h].key.len && !memcmp(name, r.h[h].key.ptr, nlen));
        ck_assert_int_eq(val == NULL, r.h[h].value.ptr == NULL);
        if (val) ck_assert(vlen == r.h[h].value.len && !memcmp(val, r.h[h].value.ptr, vlen));
    }
    ck_assert_int_eq(kfk_message_header(m, r.n_headers, NULL, NULL, NULL, NULL),
                     KFK_ERR_INVALID_ARG);
}

/* --- consumer helpers ---------------------------------------------------------------- */

/* What the consumer logged under facility "fetch" (consumer_logged). */
typedef struct fetch_log {
    pthread_mutex_t lock;
    int warnings, resumed;
    char last[512];
} fetch_log;

static void on_fetch_log(void *opaque, void *handle, kfk_log_level level, const char *facility,
                         const char *message)
{
    (void)handle;
    fetch_log *fl = opaque;
    if (strcmp(facility, "fetch") != 0) return;
    pthread_mutex_lock(&fl->lock);
    if (level == KFK_LOG_WARNING) {
        fl->warnings++;
        snprintf(fl->last, sizeof(fl->last), "%s", message);
    } else if (strstr(message, "fetching resumed")) {
        fl->resumed++;
    }
    pthread_mutex_unlock(&fl->lock);
}

static int fetch_log_count(fetch_log *fl, const int *n)
{
    pthread_mutex_lock(&fl->lock);
    int v = *n;
    pthread_mutex_unlock(&fl->lock);
    return v;
}

static kfk_consumer *consumer_logged(const char *const *props, fetch_log *fl)
{
    kfk_conf *conf = kfk_conf_new();
    char err[256];
    if (fl) {
        kfk_conf_set_log_cb(conf, on_fetch_log, fl);
        ck_assert_int_eq(kfk_conf_set(conf, "log.level", "6", err, sizeof(err)), 0);
    }
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), err, sizeof(err)),
        0);
    ck_assert_int_eq(kfk_conf_set(conf, "fetch.max.wait.ms", "100", err, sizeof(err)), 0);
    for (; props && props[0]; props += 2)
        ck_assert_msg(kfk_conf_set(conf, props[0], props[1], err, sizeof(err)) == 0, "%s", err);
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "kfk_consumer_new: %s", err);
    return c;
}

static kfk_consumer *consumer(const char *const *props)
{
    return consumer_logged(props, NULL);
}

static void assign(kfk_consumer *c, const char *topic, int32_t nparts, int64_t offset)
{
    ck_assert_int_eq(kpl_assign(c, topic, nparts, offset), KFK_OK);
}

/* The next message with a record (errors fail the test), within WAIT_MS. */
static kfk_message *next_record(kfk_consumer *c)
{
    kfk_message *m = kfk_consumer_poll(c, WAIT_MS);
    ck_assert_msg(m != NULL, "no message within %d ms", WAIT_MS);
    ck_assert_msg(kfk_message_error(m) == KFK_OK, "message error %s",
                  kfk_err_str(kfk_message_error(m)));
    return m;
}

/* Reads n records of one partition and checks they are first..first+n-1. */
static void expect_range(kfk_consumer *c, int first, int n)
{
    for (int i = first; i < first + n; i++) {
        kfk_message *m = next_record(c);
        ck_assert_int_eq(kfk_message_offset(m), i);
        check_rec(m, i);
        kfk_message_release(m);
    }
}

/* True when no message comes within ms (a negative check: bounded). */
static bool quiet_for(kfk_consumer *c, int ms)
{
    kfk_message *m = kfk_consumer_poll(c, ms);
    if (m) kfk_message_release(m);
    return m == NULL;
}

/* Polls (expecting nothing) until the partition's position is known, and
 * returns it: seeks to the end and the latest reset look it up in the
 * background. */
static int64_t known_position(kfk_consumer *c, const char *topic, int32_t partition)
{
    int64_t pos = KFK_OFFSET_INVALID;
    int64_t deadline = mt_now_ms() + WAIT_MS;
    while (mt_now_ms() < deadline) {
        ck_assert_int_eq(kfk_consumer_position(c, topic, partition, &pos), KFK_OK);
        if (pos != KFK_OFFSET_INVALID) return pos;
        ck_assert(quiet_for(c, 10));
    }
    ck_abort_msg("the position of %s-%d stayed unknown", topic, (int)partition);
    return pos;
}

/* --- tests ---------------------------------------------------------------------------------- */

START_TEST(test_consumes_every_codec_intact_and_in_order)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    kcodec codecs[] = {KCODEC_NONE, KCODEC_GZIP, KCODEC_SNAPPY, KCODEC_LZ4, KCODEC_ZSTD};
    for (int k = 0; k < 5; k++)
        produce("t", 0, codecs[k], k * 60, 60);
    kfk_consumer *c = consumer(NULL);
    assign(c, "t", 1, KFK_OFFSET_BEGINNING);
    expect_range(c, 0, 300);
    int64_t pos;
    ck_assert_int_eq(kfk_consumer_position(c, "t", 0, &pos), KFK_OK);
    ck_assert_int_eq(pos, 300);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_poll_batch_and_release_after_destroy)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    produce("t", 0, KCODEC_LZ4, 0, 100);
    kfk_consumer *c = consumer(NULL);
    assign(c, "t", 1, 0);
    kfk_message *msgs[100];
    size_t got = 0;
    int64_t deadline = mt_now_ms() + WAIT_MS;
    while (got < 100 && mt_now_ms() < deadline)
        got += kfk_consumer_poll_batch(c, msgs + got, 100 - got, 1000);
    ck_assert_uint_eq(got, 100);
    kfk_consumer_destroy(c);
    /* Released after destroy and out of order: the bytes are still there. */
    for (size_t i = 0; i < got; i += 2) {
        check_rec(msgs[i], (int)i);
        kfk_message_release(msgs[i]);
    }
    for (size_t i = 1; i < got; i += 2) {
        check_rec(msgs[i], (int)i);
        kfk_message_release(msgs[i]);
    }
}
END_TEST

/* max.poll.records caps a batch poll below its max argument (Java: the
 * records one poll() returns), and the rest follow in order. */
START_TEST(test_max_poll_records_caps_a_batch_poll)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    produce("t", 0, KCODEC_NONE, 0, 100);
    kfk_consumer *c = consumer((const char *const[]){"max.poll.records", "7", NULL});
    assign(c, "t", 1, 0);
    kfk_message *msgs[100];
    size_t got = 0;
    int64_t deadline = mt_now_ms() + WAIT_MS;
    while (got < 100 && mt_now_ms() < deadline) {
        size_t k = kfk_consumer_poll_batch(c, msgs + got, 100 - got, 1000);
        ck_assert_uint_le(k, 7);
        got += k;
    }
    ck_assert_uint_eq(got, 100);
    for (size_t i = 0; i < got; i++) {
        check_rec(msgs[i], (int)i);
        kfk_message_release(msgs[i]);
    }
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_seek_to_offset_beginning_end_and_timestamp)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    produce("t", 0, KCODEC_NONE, 0, 50);
    kfk_consumer *c = consumer(NULL);
    assign(c, "t", 1, 10);
    expect_range(c, 10, 5);
    ck_assert_int_eq(kfk_consumer_seek(c, "t", 0, 40), KFK_OK);
    expect_range(c, 40, 3);
    ck_assert_int_eq(kfk_consumer_seek_to_beginning(c, "t", 0), KFK_OK);
    expect_range(c, 0, 2);
    ck_assert_int_eq(kfk_consumer_seek_to_timestamp(c, "t", 0, TS0 + 25 * 1000 - 1), KFK_OK);
    expect_range(c, 25, 2);
    ck_assert_int_eq(kfk_consumer_seek_to_end(c, "t", 0), KFK_OK);
    ck_assert_int_eq(known_position(c, "t", 0), 50);
    produce("t", 0, KCODEC_NONE, 50, 5);
    expect_range(c, 50, 5);
    ck_assert_int_eq(kfk_consumer_seek(c, "nope", 0, 1), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_pause_holds_back_and_resume_continues)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 1), 0);
    produce("t", 0, KCODEC_NONE, 0, 20);
    produce("t", 1, KCODEC_NONE, 0, 20);
    kfk_consumer *c = consumer(NULL);
    ck_assert_int_eq(kpl_assign_one(c, "t", 0, 0), KFK_OK);
    expect_range(c, 0, 5);
    ck_assert_int_eq(kfk_consumer_pause(c, "t", 0), KFK_OK);
    ck_assert(quiet_for(c, 300));
    int64_t pos;
    ck_assert_int_eq(kfk_consumer_position(c, "t", 0, &pos), KFK_OK);
    ck_assert_int_eq(pos, 5);
    ck_assert_int_eq(kfk_consumer_resume(c, "t", 0), KFK_OK);
    expect_range(c, 5, 15);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_paused_partition_gives_nothing_while_another_flows)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 1), 0);
    produce("t", 0, KCODEC_NONE, 0, 10);
    kfk_consumer *c = consumer(NULL);
    assign(c, "t", 2, 0);
    ck_assert_int_eq(kfk_consumer_pause(c, "t", 0), KFK_OK);
    produce("t", 1, KCODEC_NONE, 0, 10);
    for (int i = 0; i < 10; i++) {
        kfk_message *m = next_record(c);
        ck_assert_int_eq(kfk_message_partition(m), 1);
        kfk_message_release(m);
    }
    ck_assert(quiet_for(c, 300));
    ck_assert_int_eq(kfk_consumer_resume(c, "t", 0), KFK_OK);
    expect_range(c, 0, 10);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_reset_earliest_and_latest)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    produce("t", 0, KCODEC_NONE, 0, 10);
    const char *earliest[] = {"auto.offset.reset", "earliest", NULL};
    kfk_consumer *c = consumer(earliest);
    assign(c, "t", 1, KFK_OFFSET_INVALID);
    expect_range(c, 0, 10);
    kfk_consumer_destroy(c);

    c = consumer(NULL); /* latest */
    assign(c, "t", 1, KFK_OFFSET_INVALID);
    ck_assert_int_eq(known_position(c, "t", 0), 10);
    produce("t", 0, KCODEC_NONE, 10, 3);
    expect_range(c, 10, 3);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_out_of_range_resets_or_reports)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    produce("t", 0, KCODEC_NONE, 0, 10);
    const char *earliest[] = {"auto.offset.reset", "earliest", NULL};
    kfk_consumer *c = consumer(earliest);
    assign(c, "t", 1, 1000);
    expect_range(c, 0, 10);
    kfk_consumer_destroy(c);

    const char *none[] = {"auto.offset.reset", "none", NULL};
    c = consumer(none);
    assign(c, "t", 1, 1000);
    kfk_message *m = kfk_consumer_poll(c, WAIT_MS);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(kfk_message_error(m), KFK_ERR_OFFSET_OUT_OF_RANGE);
    ck_assert_str_eq(kfk_message_topic(m), "t");
    ck_assert_int_eq(kfk_message_offset(m), 1000);
    kfk_message_release(m);
    ck_assert(quiet_for(c, 200)); /* stopped until a seek */
    ck_assert_int_eq(kfk_consumer_seek(c, "t", 0, 3), KFK_OK);
    expect_range(c, 3, 7);
    /* No offset and no policy: an error, not a guess. */
    assign(c, "t", 1, KFK_OFFSET_INVALID); /* kept: position stays */
    kfk_consumer_unassign(c);
    assign(c, "t", 1, KFK_OFFSET_INVALID);
    m = kfk_consumer_poll(c, WAIT_MS);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(kfk_message_error(m), KFK_ERR_NO_OFFSET);
    kfk_message_release(m);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_partition_eof_reported_once_per_end)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    produce("t", 0, KCODEC_NONE, 0, 3);
    kfk_consumer *c = consumer(NULL);
    kfk_consumer_report_eof(c, true);
    assign(c, "t", 1, 0);
    expect_range(c, 0, 3);
    kfk_message *m = kfk_consumer_poll(c, WAIT_MS);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(kfk_message_error(m), KFK_ERR_PARTITION_EOF);
    ck_assert_int_eq(kfk_message_offset(m), 3);
    kfk_message_release(m);
    ck_assert(quiet_for(c, 300));
    produce("t", 0, KCODEC_NONE, 3, 1);
    expect_range(c, 3, 1);
    m = kfk_consumer_poll(c, WAIT_MS);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(kfk_message_error(m), KFK_ERR_PARTITION_EOF);
    ck_assert_int_eq(kfk_message_offset(m), 4);
    kfk_message_release(m);
    kfk_consumer_destroy(c);
}
END_TEST

/* Sums the fetchers' request counters under the consumer's lock. */
static void fetch_counts(kfk_consumer *c, int64_t *all, int64_t *full)
{
    *all = *full = 0;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < c->n_fetchers; i++) {
        *all += c->fetchers[i]->requests;
        *full += c->fetchers[i]->full_requests;
    }
    pthread_mutex_unlock(&c->lock);
}

START_TEST(test_fetch_session_goes_incremental_and_recovers)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 3, 1), 0); /* one per broker */
    for (int32_t p = 0; p < 3; p++)
        produce("t", p, KCODEC_NONE, 0, 5);
    kfk_consumer *c = consumer(NULL);
    assign(c, "t", 3, 0);
    for (int i = 0; i < 15; i++)
        kfk_message_release(next_record(c));
    /* Idle long polls keep going out; all but the first per broker are
     * incremental. */
    ck_assert(quiet_for(c, 500));
    int64_t all, full;
    fetch_counts(c, &all, &full);
    ck_assert_int_eq(full, 3);
    ck_assert_int_gt(all, 6);
    /* The broker forgot the session: the next fetch is full again and
     * consumption goes on. */
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_FETCH, 1, KFK_ERR_FETCH_SESSION_ID_NOT_FOUND), 0);
    ck_assert(quiet_for(c, 400));
    produce("t", 0, KCODEC_NONE, 5, 5);
    expect_range(c, 5, 5);
    fetch_counts(c, &all, &full);
    ck_assert_int_eq(full, 4);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_leader_move_loses_and_repeats_nothing)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 3), 0);
    produce("t", 0, KCODEC_NONE, 0, 100);
    kfk_consumer *c = consumer(NULL);
    assign(c, "t", 1, 0);
    expect_range(c, 0, 50);
    ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "t", 0, 2), 0);
    produce("t", 0, KCODEC_NONE, 100, 50);
    expect_range(c, 50, 100);
    ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "t", 0, 3), 0);
    produce("t", 0, KCODEC_ZSTD, 150, 50);
    expect_range(c, 150, 50);
    ck_assert(quiet_for(c, 200));
    kfk_consumer_destroy(c);
}
END_TEST

/* Whether a fetcher of a broker that left has let go of its broker, its
 * buffer pool and its session (only its small struct waits for destroy). */
static bool departed_fetcher_released(kfk_consumer *c)
{
    bool found = false;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < c->n_fetchers; i++) {
        kfetcher *f = c->fetchers[i];
        if (f->replaced && !f->b && !f->pool && !f->sess.e) found = true;
    }
    pthread_mutex_unlock(&c->lock);
    return found;
}

START_TEST(test_leader_going_down_loses_and_repeats_nothing)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 3), 0); /* led by broker 1 */
    produce("t", 0, KCODEC_NONE, 0, 50);
    kfk_consumer *c = consumer(NULL);
    assign(c, "t", 1, 0);
    expect_range(c, 0, 30);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, true), 0);
    produce("t", 0, KCODEC_SNAPPY, 50, 50);
    expect_range(c, 30, 70);
    ck_assert(quiet_for(c, 200));
    int64_t deadline = ktime_mono_ns() + WAIT_MS * (int64_t)1000000;
    while (!departed_fetcher_released(c) && ktime_mono_ns() < deadline)
        ck_assert_ptr_null(kfk_consumer_poll(c, 20));
    ck_assert(departed_fetcher_released(c));
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, false), 0);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_assignment_lists_partitions_and_positions)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 1), 0);
    kfk_consumer *c = consumer(NULL);
    assign(c, "t", 2, 7);
    kfk_partition_list *l = kfk_consumer_assignment(c);
    ck_assert_uint_eq(kfk_partition_list_count(l), 2);
    ck_assert_str_eq(kfk_partition_list_topic(l, 0), "t");
    ck_assert_int_eq(kfk_partition_list_partition(l, 1), 1);
    ck_assert_int_eq(kfk_partition_list_offset(l, 1), 7);
    kfk_partition_list_destroy(l);
    ck_assert_int_eq(kfk_consumer_unassign(c), KFK_OK);
    l = kfk_consumer_assignment(c);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(kfk_partition_list_count(l), 0);
    kfk_partition_list_destroy(l);
    kfk_partition_list *twice = kpl_one("t", 1, 0);
    kpl_add(twice, "t", 0, 0);
    kpl_add(twice, "t", 1, 5);
    ck_assert_int_eq(kfk_consumer_assign(c, twice), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_incremental_assign(c, twice), KFK_ERR_INVALID_ARG);
    kfk_partition_list_destroy(twice);
    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK);
    ck_assert_ptr_null(kfk_consumer_poll(c, 0));
    ck_assert_int_eq(kfk_consumer_assign(c, NULL), KFK_ERR_STATE);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_small_prefetch_bound_still_delivers_everything)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 3, 1), 0);
    for (int k = 0; k < 10; k++)
        for (int32_t p = 0; p < 3; p++)
            produce("t", p, KCODEC_NONE, k * 20, 20);
    const char *props[] = {"fetch.queue.max.bytes", "1", "max.partition.fetch.bytes", "1000", NULL};
    kfk_consumer *c = consumer(props);
    assign(c, "t", 3, 0);
    int64_t next[3] = {0, 0, 0};
    for (int i = 0; i < 600; i++) {
        kfk_message *m = next_record(c);
        int32_t p = kfk_message_partition(m);
        ck_assert_int_eq(kfk_message_offset(m), next[p]);
        check_rec(m, (int)next[p]++);
        kfk_message_release(m);
    }
    kfk_consumer_destroy(c);
}
END_TEST

/* Messages the application keeps count against fetch.queue.max.bytes
 * until released: holding them, it gets no more (one fetch's worth came)
 * and, once polls have come back empty for a while, a warning says why;
 * releasing them, it gets the rest, in order, and the log says fetching
 * resumed. */
START_TEST(test_unreleased_messages_hold_fetching_back)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    for (int k = 0; k < 10; k++)
        produce("t", 0, KCODEC_NONE, k * 20, 20);
    const char *props[] = {"fetch.queue.max.bytes", "1", "max.partition.fetch.bytes", "1000", NULL};
    fetch_log fl = {.lock = PTHREAD_MUTEX_INITIALIZER};
    kfk_consumer *c = consumer_logged(props, &fl);
    assign(c, "t", 1, 0);
    kfk_message *kept[200];
    int n = 0;
    for (kfk_message *m; n < 200 && (m = kfk_consumer_poll(c, n ? 500 : WAIT_MS)); n++) {
        ck_assert_int_eq(kfk_message_error(m), KFK_OK);
        ck_assert_int_eq(kfk_message_offset(m), n);
        kept[n] = m;
    }
    ck_assert_int_ge(n, 1);
    ck_assert_int_lt(n, 200); /* held back: 200 records are far over the bound */
    int64_t deadline = ktime_mono_ns() + 20 * (int64_t)1000000000;
    while (fetch_log_count(&fl, &fl.warnings) == 0 && ktime_mono_ns() < deadline)
        ck_assert_ptr_null(kfk_consumer_poll(c, 200));
    ck_assert_int_eq(fetch_log_count(&fl, &fl.warnings), 1);
    ck_assert_msg(strstr(fl.last, "fetch.queue.max.bytes") && strstr(fl.last, "not released"),
                  "warning: %s", fl.last);
    ck_assert_ptr_null(kfk_consumer_poll(c, 300));
    ck_assert_int_eq(fetch_log_count(&fl, &fl.warnings), 1); /* once per spell */
    for (int i = 0; i < n; i++)
        kfk_message_release(kept[i]);
    expect_range(c, n, 200 - n);
    ck_assert_int_eq(fetch_log_count(&fl, &fl.resumed), 1);
    kfk_consumer_destroy(c);
}
END_TEST

/* KFK_TEST_ONLY=name runs just that test (debugging under CK_FORK=no). */
#define ADD(tc, t)                                                                                 \
    do {                                                                                           \
        const char *only = getenv("KFK_TEST_ONLY");                                                \
        if (!only || !strcmp(only, #t)) tcase_add_test(tc, t);                                     \
    } while (0)

static void *poll_forever(void *arg)
{
    return kfk_consumer_poll(arg, -1);
}

START_TEST(test_close_wakes_a_waiting_poll)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    produce("t", 0, KCODEC_NONE, 0, 3);
    kfk_consumer *c = consumer(NULL);
    assign(c, "t", 1, KFK_OFFSET_END); /* nothing will come */
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, poll_forever, c), 0);
    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WAIT_MS / 1000;
    void *got = (void *)1;
    ck_assert_int_eq(pthread_timedjoin_np(th, &got, &deadline), 0);
    ck_assert_ptr_null(got);
    kfk_consumer_destroy(c);
}
END_TEST

/* A topic assigned after the consumer's metadata refreshes went out is
 * looked up at once: the refresh backoff paces asking again for the same
 * topics, not asking for new ones (with a 60 s backoff, a paced lookup
 * would outlast WAIT_MS). */
START_TEST(test_new_topic_metadata_skips_the_refresh_backoff)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "a", 1, 1), 0);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "b", 1, 1), 0);
    produce("a", 0, KCODEC_NONE, 0, 1);
    produce("b", 0, KCODEC_NONE, 0, 1);
    kfk_consumer *c = consumer(
        (const char *const[]){"retry.backoff.ms", "60000", "retry.backoff.max.ms", "60000", NULL});
    assign(c, "a", 1, 0);
    expect_range(c, 0, 1); /* a refresh has answered for "a" */
    kfk_partition_list *l = kpl_one("a", 0, 1);
    kpl_add(l, "b", 0, 0);
    ck_assert_int_eq(kfk_consumer_assign(c, l), KFK_OK);
    kfk_partition_list_destroy(l);
    kfk_message *m = next_record(c);
    ck_assert_str_eq(kfk_message_topic(m), "b");
    check_rec(m, 0);
    kfk_message_release(m);
    kfk_consumer_destroy(c);
}
END_TEST

static Suite *consumer_fetch_suite(void)
{
    Suite *s = suite_create("consumer_fetch");
    TCase *tc = tcase_create("mock");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    ADD(tc, test_consumes_every_codec_intact_and_in_order);
    ADD(tc, test_poll_batch_and_release_after_destroy);
    ADD(tc, test_max_poll_records_caps_a_batch_poll);
    ADD(tc, test_seek_to_offset_beginning_end_and_timestamp);
    ADD(tc, test_pause_holds_back_and_resume_continues);
    ADD(tc, test_paused_partition_gives_nothing_while_another_flows);
    ADD(tc, test_reset_earliest_and_latest);
    ADD(tc, test_out_of_range_resets_or_reports);
    ADD(tc, test_partition_eof_reported_once_per_end);
    ADD(tc, test_fetch_session_goes_incremental_and_recovers);
    ADD(tc, test_leader_move_loses_and_repeats_nothing);
    ADD(tc, test_leader_going_down_loses_and_repeats_nothing);
    ADD(tc, test_assignment_lists_partitions_and_positions);
    ADD(tc, test_small_prefetch_bound_still_delivers_everything);
    ADD(tc, test_unreleased_messages_hold_fetching_back);
    ADD(tc, test_close_wakes_a_waiting_poll);
    ADD(tc, test_new_topic_metadata_skips_the_refresh_backoff);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(consumer_fetch_suite());
}
