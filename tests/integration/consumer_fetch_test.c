/* The consumer against a cluster (KFK_TEST_BOOTSTRAP: the mock, then real
 * Kafka): what kfk_produce wrote in every codec, with keys, headers and
 * timestamps, comes back intact with contiguous offsets per partition;
 * seek to a timestamp, pause/resume, auto.offset.reset=none, and fetch
 * sessions going incremental after the first full Fetch. Each test makes
 * its own topic and deletes it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "consumer/consumer_int.h"
#include "kclus.h"
#include "kfk.h"
#include "kplist.h"
#include "kwire_client.h"

#define TIMEOUT_MS 20000
#define NPARTS 3
/* Record i's timestamp is ts0 + i s, ts0 an hour ago, so that every one
 * is in the recent past: the broker's time-based retention (7 days by
 * default) deletes older records whenever its periodic check comes in
 * the middle of a test. */
static int64_t ts0;

/* --- test data: record i goes to partition i % NPARTS ----------------------------- */

typedef struct trec {
    char key[32], value[96], hv[3][24];
    kfk_header h[3];
    size_t n_headers;
    bool null_key, null_value;
} trec;

static void make_rec(trec *r, int i)
{
    snprintf(r->key, sizeof(r->key), "key-%d", i);
    int n = snprintf(r->value, sizeof(r->value), "value-%d-", i);
    for (; n < 20 + (i * 37) % 70; n++)
        r->value[n] = (char)('a' + (i + n) % 26);
    r->value[n] = '\0';
    r->null_key = i % 9 == 0;
    r->null_value = i % 13 == 0;
    r->n_headers = (size_t)(i % 4 == 3 ? 3 : i % 4);
    static const char *names[] = {"h0", "h1", "h2"};
    for (size_t h = 0; h < r->n_headers; h++) {
        snprintf(r->hv[h], sizeof(r->hv[h]), "v%d.%zu", i, h);
        r->h[h] = (kfk_header){names[h], h == 2 ? NULL : r->hv[h], h == 2 ? 0 : strlen(r->hv[h])};
    }
}

typedef struct reports {
    int ok, failed;
    kfk_err last;
} reports;

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    reports *rep = opaque;
    if (r->err) {
        rep->failed++;
        rep->last = r->err;
    } else {
        rep->ok++;
    }
}

/* Produces records first..first+n-1 with compression codec. */
static void produce(const char *topic, const char *codec, int first, int n)
{
    kfk_conf *conf = kclus_conf(NULL);
    reports rep = {0};
    kfk_conf_set_dr_cb(conf, on_report, &rep);
    ck_assert_int_eq(kfk_conf_set(conf, "compression.type", codec, NULL, 0), 0);
    char err[256];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    for (int i = first; i < first + n; i++) {
        trec r;
        make_rec(&r, i);
        kfk_record rec = {.topic = topic,
                          .partition = i % NPARTS,
                          .key = r.null_key ? NULL : r.key,
                          .key_len = strlen(r.key),
                          .value = r.null_value ? NULL : r.value,
                          .value_len = strlen(r.value),
                          .headers = r.h,
                          .n_headers = r.n_headers,
                          .timestamp_ms = ts0 + (int64_t)i * 1000};
        if (r.null_key) rec.key_len = 0;
        if (r.null_value) rec.value_len = 0;
        ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
    }
    ck_assert_int_eq(kfk_producer_flush(p, TIMEOUT_MS), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_msg(rep.ok == n, "%s: %d delivered, %d failed (%s)", codec, rep.ok, rep.failed,
                  kfk_err_str(rep.last));
}

static void check_rec(const kfk_message *m, int i)
{
    trec r;
    make_rec(&r, i);
    size_t len;
    const void *p = kfk_message_key(m, &len);
    if (r.null_key)
        ck_assert_ptr_null(p);
    else
        ck_assert(p && len == strlen(r.key) && !memcmp(p, r.key, len));
    p = kfk_message_value(m, &len);
    if (r.null_value)
        ck_assert_ptr_null(p);
    else
        ck_assert(p && len == strlen(r.value) && !memcmp(p, r.value, len));
    ck_assert_int_eq(kfk_message_timestamp(m, NULL), ts0 + (int64_t)i * 1000);
    ck_assert_uint_eq(kfk_message_header_count(m), r.n_headers);
    for (size_t h = 0; h < r.n_headers; h++) {
        const char *name;
        size_t nl, vl;
        const void *v;
        ck_assert_int_eq(kfk_message_header(m, h, &name, &nl, &v, &vl), KFK_OK);
        ck_assert(nl == strlen(r.h[h].name) && !memcmp(name, r.h[h].name, nl));
        ck_assert_int_eq(v == NULL, r.h[h].value == NULL);
        if (v) ck_assert(vl == r.h[h].value_len && !memcmp(v, r.h[h].value, vl));
    }
}

/* --- consumer helpers ----------------------------------------------------------------------- */

static kfk_consumer *consumer(const char *reset)
{
    kfk_conf *conf = kclus_conf(NULL);
    ck_assert_int_eq(kfk_conf_set(conf, "auto.offset.reset", reset, NULL, 0), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "fetch.max.wait.ms", "100", NULL, 0), 0);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

static void assign_all(kfk_consumer *c, const char *topic, int64_t offset)
{
    ck_assert_int_eq(kpl_assign(c, topic, NPARTS, offset), KFK_OK);
}

static kfk_message *next_record(kfk_consumer *c)
{
    kfk_message *m = kfk_consumer_poll(c, TIMEOUT_MS);
    ck_assert_msg(m != NULL, "no message within %d ms", TIMEOUT_MS);
    ck_assert_msg(kfk_message_error(m) == KFK_OK, "%s", kfk_err_str(kfk_message_error(m)));
    return m;
}

/* Consumes n records of [first, first+n) spread as produce() spreads
 * them; checks each and the per-partition offsets (from base[p]). */
static void expect_records(kfk_consumer *c, int first, int n, int64_t *next_off)
{
    int next_id[NPARTS];
    for (int p = 0; p < NPARTS; p++) {
        next_id[p] = first;
        while (next_id[p] % NPARTS != p)
            next_id[p]++;
    }
    for (int k = 0; k < n; k++) {
        kfk_message *m = next_record(c);
        int32_t p = kfk_message_partition(m);
        ck_assert_int_eq(kfk_message_offset(m), next_off[p]);
        check_rec(m, next_id[p]);
        next_off[p]++;
        next_id[p] += NPARTS;
        kfk_message_release(m);
    }
}

/* --- tests ------------------------------------------------------------------------------------ */

START_TEST(test_consumes_every_codec_intact_with_contiguous_offsets)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "cons-codecs");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    for (int k = 0; k < 5; k++)
        produce(topic, codecs[k], k * 300, 300);
    kfk_consumer *c = consumer("earliest");
    assign_all(c, topic, KFK_OFFSET_INVALID);
    int64_t off[NPARTS] = {0};
    int64_t t0 = ktime_mono_ns();
    expect_records(c, 0, 1500, off);
    double secs = (double)(ktime_mono_ns() - t0) / 1e9;
    fprintf(stderr, "consumer_fetch: 1500 records in %.3f s\n", secs);
    kfk_consumer_destroy(c);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_seek_to_timestamp_and_pause_resume)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "cons-seek");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    produce(topic, "lz4", 0, 90); /* 30 per partition */
    kfk_consumer *c = consumer("earliest");
    ck_assert_int_eq(kpl_assign_one(c, topic, 1, KFK_OFFSET_BEGINNING), KFK_OK);
    /* Record 31 is the 11th of partition 1 (ids 1, 4, 7, ...). */
    ck_assert_int_eq(kfk_consumer_seek_to_timestamp(c, topic, 1, ts0 + 31 * 1000), KFK_OK);
    kfk_message *m = next_record(c);
    ck_assert_int_eq(kfk_message_offset(m), 10);
    check_rec(m, 31);
    kfk_message_release(m);
    ck_assert_int_eq(kfk_consumer_pause(c, topic, 1), KFK_OK);
    m = kfk_consumer_poll(c, 300);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(kfk_consumer_resume(c, topic, 1), KFK_OK);
    for (int64_t off = 11; off < 30; off++) {
        m = next_record(c);
        ck_assert_int_eq(kfk_message_offset(m), off);
        check_rec(m, (int)(1 + off * NPARTS));
        kfk_message_release(m);
    }
    kfk_consumer_destroy(c);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_reset_none_reports_out_of_range)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "cons-none");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    produce(topic, "none", 0, 3);
    kfk_consumer *c = consumer("none");
    ck_assert_int_eq(kpl_assign_one(c, topic, 0, 500), KFK_OK);
    kfk_message *m = kfk_consumer_poll(c, TIMEOUT_MS);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(kfk_message_error(m), KFK_ERR_OFFSET_OUT_OF_RANGE);
    kfk_message_release(m);
    ck_assert_int_eq(kfk_consumer_seek(c, topic, 0, 0), KFK_OK);
    m = next_record(c);
    ck_assert_int_eq(kfk_message_offset(m), 0);
    check_rec(m, 0);
    kfk_message_release(m);
    kfk_consumer_destroy(c);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_fetches_after_the_first_are_incremental)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "cons-session");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    produce(topic, "none", 0, 30);
    kfk_consumer *c = consumer("earliest");
    assign_all(c, topic, KFK_OFFSET_INVALID);
    int64_t off[NPARTS] = {0};
    expect_records(c, 0, 30, off);
    ck_assert_ptr_null(kfk_consumer_poll(c, 500)); /* idle long polls go on */
    int64_t all = 0, full = 0;
    pthread_mutex_lock(&c->lock);
    int brokers = 0;
    for (int i = 0; i < c->n_fetchers; i++) {
        all += c->fetchers[i]->requests;
        full += c->fetchers[i]->full_requests;
        brokers += c->fetchers[i]->full_requests > 0;
    }
    pthread_mutex_unlock(&c->lock);
    /* One full Fetch per broker that leads a partition, then incremental. */
    ck_assert_int_eq(full, brokers);
    ck_assert_int_gt(all, full);
    kfk_consumer_destroy(c);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *consumer_fetch_suite(void)
{
    Suite *s = suite_create("consumer_fetch_integration");
    TCase *tc = tcase_create("cluster");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_consumes_every_codec_intact_with_contiguous_offsets);
    tcase_add_test(tc, test_seek_to_timestamp_and_pause_resume);
    tcase_add_test(tc, test_reset_none_reports_out_of_range);
    tcase_add_test(tc, test_fetches_after_the_first_are_incremental);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    ts0 = (ktime_wall_ms() / 1000 - 3600) * 1000;
    return ktest_run(consumer_fetch_suite());
}
