/* The statistics writers (JSON and Prometheus), the histogram behind rtt
 * and batch sizes, the interval, and statistics.interval.ms's range. The
 * JSON is checked by parsing it with Python's json module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "client/stats.h"

/* A document by hand: one broker, one topic with two partitions (one
 * with every field omitted but its leader), a group; a client.id that
 * needs escaping in both formats and is not even UTF-8. */
static const char *CLIENT_ID = "a\"b\\c\nd\x01\xff\xc3\xa9";

static void make_doc(kstats_doc *d)
{
    memset(d, 0, sizeof(*d));
    for (int i = 0; i < KST__COUNT; i++)
        d->top[i] = KSTATS_NONE;
    d->type = "producer";
    d->client_id = CLIENT_ID;
    snprintf(d->name, sizeof(d->name), "%s#producer-1", CLIENT_ID);
    d->ts_us = 123;
    d->time_s = 1700000000;
    d->age_us = 5;
    d->top[KST_TXMSGS] = 42;
    d->top[KST_MSG_CNT] = 0;
    d->brokers = calloc(1, sizeof(*d->brokers));
    d->n_brokers = 1;
    kstats_broker *b = &d->brokers[0];
    snprintf(b->name, sizeof(b->name), "localhost:9092/1");
    b->nodeid = 1;
    b->source = "learned";
    b->state = "UP";
    b->tx = 7;
    b->txbytes = 700;
    b->rx = 6;
    b->rtt = (khist_view){
        .cnt = 6, .sum = 600, .min = 50, .max = 200, .avg = 100, .p50 = 90, .p95 = 190, .p99 = 200};
    b->rtt_all = b->rtt;
    b->rtt_all.p95 = 195; /* Prometheus shows the whole life's, JSON the window */
    kstats_topic *t = kstats_topic_get(d, "orders.v1");
    t->batches = true;
    t->batchcnt = (khist_view){.cnt = 2, .sum = 42, .min = 20, .max = 22, .avg = 21};
    t->uncompressed_bytes = 1000;
    t->compressed_bytes = 250;
    kstats_part *p = kstats_part_add(t, 0);
    p->f[KSP_LEADER] = 1;
    p->f[KSP_MSGQ_CNT] = 0;
    p->f[KSP_TXMSGS] = 42;
    p = kstats_part_add(t, 1);
    p->f[KSP_LEADER] = -1;
    ck_assert_ptr_eq(kstats_topic_get(d, "orders.v1"), t);
    d->have_cgrp = true;
    d->cgrp = (kstats_cgrp){.state = "up",
                            .stateage_ms = 10,
                            .rebalance_age_ms = KSTATS_NONE,
                            .rebalance_cnt = 1,
                            .rebalance_reason = "",
                            .assignment_size = 2};
}

/* Runs python3 with script on text (stdin) and returns its stdout. */
static char *python(const char *script, const char *text)
{
    char in[] = "/tmp/kfk-stats-unit-XXXXXX";
    int fd = mkstemp(in);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "python3 -c '%s' < %s", script, in);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    static char out[4096];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    unlink(in);
    ck_assert_msg(rc == 0, "python3 failed on:\n%s", text);
    return out;
}

START_TEST(test_json_parses_and_escapes_names)
{
    kstats_doc d;
    make_doc(&d);
    kbuf out = {0};
    ck_assert_int_eq(kstats_json(&d, &out), KFK_OK);
    ck_assert_uint_eq(strlen((char *)out.data), out.len);
    const char *got = python("import json,sys; d=json.load(sys.stdin); "
                             "print(ascii(d[\"client_id\"])); "
                             "t=d[\"topics\"][\"orders.v1\"]; p=t[\"partitions\"]; "
                             "print(d[\"txmsgs\"], d[\"tx\"], d[\"tx_bytes\"], "
                             "d[\"brokers\"][\"localhost:9092/1\"][\"rtt\"][\"p95\"]); "
                             "print(sorted(p[\"1\"]), sorted(p[\"0\"])); "
                             "print(t[\"compression_ratio\"], t[\"batchcnt\"][\"sum\"], "
                             "d[\"cgrp\"][\"assignment_size\"]); "
                             "print(\"msg_size\" in d, \"rebalance_age\" in d[\"cgrp\"])",
                             (const char *)out.data);
    ck_assert_str_eq(got, "'a\"b\\\\c\\nd\\x01\\ufffd\\xe9'\n"
                          "42 7 700 190\n"
                          "['leader', 'partition'] ['leader', 'msgq_cnt', 'partition', 'txmsgs']\n"
                          "0.25 42 2\n"
                          "False False\n");
    kbuf_free(&out);
    kstats_doc_free(&d);
}
END_TEST

START_TEST(test_prometheus_families_are_typed_once_and_labels_escaped)
{
    kstats_doc d;
    make_doc(&d);
    kbuf out = {0};
    ck_assert_int_eq(kstats_prometheus(&d, &out), KFK_OK);
    const char *text = (const char *)out.data;
    /* Labels: the value escaped as the exposition format wants. */
    ck_assert_ptr_nonnull(
        strstr(text, "kafka_producer_record_send_total{client_id=\"a\\\"b\\\\c\\nd"));
    ck_assert_ptr_nonnull(strstr(text, "kafka_producer_topic_record_send_total{client_id="));
    ck_assert_ptr_nonnull(strstr(text, ",topic=\"orders.v1\",partition=\"0\"} 42\n"));
    ck_assert_ptr_nonnull(strstr(text, "kafka_producer_topic_compression_rate"));
    ck_assert_ptr_nonnull(
        strstr(text, ",broker=\"localhost:9092/1\",node_id=\"1\",quantile=\"0.95\"} 0.000195\n"));
    ck_assert_ptr_nonnull(strstr(text, "kafka_consumer_coordinator_assigned_partitions{"));
    /* Omitted fields give no sample; partition 1 has only a leader. */
    ck_assert_ptr_null(strstr(text, "partition=\"1\"} 0\n"));
    ck_assert_ptr_null(strstr(text, "kafka_producer_buffer_used_bytes"));
    /* Each family has one TYPE line, before its samples, and every other
     * line is a sample: name{labels} value. */
    const char *got =
        python("import re,sys\n"
               "seen=set(); typed=set(); n=0\n"
               "for l in sys.stdin:\n"
               "  l=l.rstrip(\"\\n\")\n"
               "  if l.startswith(\"# TYPE \"):\n"
               "    f=l.split()[2]; assert f not in typed, f; typed.add(f); continue\n"
               "  if l.startswith(\"#\"): continue\n"
               "  m=re.match(r\"^([a-z_]+)\\{(.*)\\} (\\S+)$\", l); assert m, l\n"
               "  fam=re.sub(r\"_(sum|count)$\",\"\",m.group(1)) if m.group(1) not in typed else "
               "m.group(1)\n"
               "  assert fam in typed, l; float(m.group(3)); n+=1\n"
               "print(n > 20)",
               text);
    ck_assert_str_eq(got, "True\n");
    kbuf_free(&out);
    kstats_doc_free(&d);
}
END_TEST

START_TEST(test_a_stats_cb_document_closes_the_window)
{
    kwhist h = {0};
    khist_view all, win;
    for (int i = 1; i <= 10; i++)
        kwhist_record(&h, i * 100);
    kwhist_read(&h, &all, &win, false); /* on demand: the window stays open */
    ck_assert_int_eq(win.cnt, 10);
    kwhist_read(&h, &all, &win, true); /* a stats_cb document: closes it */
    ck_assert_int_eq(win.cnt, 10);
    ck_assert_int_eq(win.max, 1000);
    kwhist_read(&h, &all, &win, true);
    ck_assert_int_eq(win.cnt, 0);
    ck_assert_int_eq(win.max, 0);
    kwhist_record(&h, 7);
    kwhist_read(&h, &all, &win, true);
    ck_assert_int_eq(win.cnt, 1);
    ck_assert_int_eq(win.min, 7);
    ck_assert_int_eq(win.max, 7);
    ck_assert_int_eq(all.cnt, 11);
    ck_assert_int_eq(all.min, 7);
    ck_assert_int_eq(all.max, 1000);
    ck_assert_int_eq(all.sum, 5507);
}
END_TEST

START_TEST(test_copy_out_says_the_size_needed)
{
    kbuf text = {0};
    kbuf_append(&text, "{}", 2);
    size_t len = 2;
    char buf[8];
    ck_assert_int_eq(kstats_copy_out(&text, buf, &len), KFK_ERR_TOO_LARGE);
    ck_assert_uint_eq(len, 3);
    ck_assert_int_eq(kstats_copy_out(&text, NULL, &len), KFK_ERR_TOO_LARGE);
    ck_assert_int_eq(kstats_copy_out(&text, buf, &len), KFK_OK);
    ck_assert_str_eq(buf, "{}");
    kbuf_free(&text);
}
END_TEST

START_TEST(test_histogram_percentiles_within_a_bucket)
{
    khist h = {0};
    khist_view v;
    khist_read(&h, &v);
    ck_assert_int_eq(v.cnt, 0);
    ck_assert_int_eq(v.max, 0);
    for (int i = 1; i <= 1000; i++)
        khist_record(&h, i);
    khist_read(&h, &v);
    ck_assert_int_eq(v.cnt, 1000);
    ck_assert_int_eq(v.min, 1);
    ck_assert_int_eq(v.max, 1000);
    ck_assert_int_eq(v.sum, 500500);
    ck_assert_int_eq(v.avg, 500);
    /* Buckets are 12.5% wide: each percentile lands within that. */
    ck_assert_int_ge(v.p50, 500 * 7 / 8);
    ck_assert_int_le(v.p50, 500 * 9 / 8);
    ck_assert_int_ge(v.p99, 990 * 7 / 8);
    ck_assert_int_le(v.p99, 1000);
    ck_assert_int_le(v.p50, v.p95);
    khist_record(&h, 0);
    khist_record(&h, -5); /* counted as 0 */
    khist_read(&h, &v);
    ck_assert_int_eq(v.min, 0);
    ck_assert_int_eq(v.cnt, 1002);
}
END_TEST

START_TEST(test_interval_claims_each_document_once)
{
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(kfk_conf_set(conf, "statistics.interval.ms", "1000", NULL, 0), KFK_OK);
    kstats_timer t;
    kstats_timer_init(&t, conf);
    ck_assert_int_eq(t.interval_ns, 0); /* no callback: off */
    ck_assert(!kstats_due(&t, INT64_MAX));
    ck_assert_int_eq(kstats_wake_ns(&t, 77), 77);
    kfk_conf_set_stats_cb(conf, (kfk_stats_cb *)(void *)1, NULL);
    int64_t start = ktime_mono_ns();
    kstats_timer_init(&t, conf);
    int64_t due = atomic_load(&t.due_ns);
    ck_assert_int_ge(due, start + 1000 * KTIME_NS_PER_MS);
    ck_assert(!kstats_due(&t, due - 1));
    ck_assert_int_eq(kstats_wake_ns(&t, INT64_MAX), due);
    ck_assert_int_eq(kstats_wake_ns(&t, due - 5), due - 5);
    ck_assert(kstats_due(&t, due));
    ck_assert(!kstats_due(&t, due)); /* claimed: a second poller gets none */
    ck_assert_int_eq(atomic_load(&t.due_ns), due + 1000 * KTIME_NS_PER_MS);
    /* A poll an hour late: the next one an interval from then, not a burst. */
    int64_t late = due + 3600 * KTIME_NS_PER_S;
    ck_assert(kstats_due(&t, late));
    ck_assert(!kstats_due(&t, late + 1));
    ck_assert_int_eq(atomic_load(&t.due_ns), late + 1000 * KTIME_NS_PER_MS);
    kfk_conf_destroy(conf);
}
END_TEST

START_TEST(test_interval_out_of_range_is_refused)
{
    kfk_conf *conf = kfk_conf_new();
    char err[256];
    ck_assert_int_eq(kfk_conf_set(conf, "statistics.interval.ms", "-1", err, sizeof(err)),
                     KFK_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "statistics.interval.ms"));
    ck_assert_int_eq(kfk_conf_set(conf, "statistics.interval.ms", "86400001", err, sizeof(err)),
                     KFK_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "statistics.interval.ms"));
    ck_assert_int_eq(kfk_conf_set(conf, "statistics.interval.ms", "often", err, sizeof(err)),
                     KFK_ERR_CONFIG);
    ck_assert_int_eq(kfk_conf_set(conf, "statistics.interval.ms", "86400000", err, sizeof(err)),
                     KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "statistics.interval.ms", "0", err, sizeof(err)), KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "stats_cb", "x", err, sizeof(err)), KFK_ERR_CONFIG);
    char buf[16];
    size_t len = sizeof(buf);
    ck_assert_int_eq(kfk_conf_get(conf, "stats_cb", buf, &len), KFK_OK);
    ck_assert_str_eq(buf, "");
    kfk_conf_set_stats_cb(conf, (kfk_stats_cb *)(void *)1, NULL);
    len = sizeof(buf);
    ck_assert_int_eq(kfk_conf_get(conf, "stats_cb", buf, &len), KFK_OK);
    ck_assert_str_eq(buf, "[set]");
    kfk_conf_destroy(conf);
}
END_TEST

START_TEST(test_null_handles_are_refused)
{
    size_t len = 0;
    ck_assert_int_eq(kfk_producer_stats_json(NULL, NULL, &len), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_producer_stats_prometheus(NULL, NULL, &len), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_stats_json(NULL, NULL, &len), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_stats_prometheus(NULL, NULL, &len), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_stats_json(NULL, NULL, &len), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_stats_prometheus(NULL, NULL, &len), KFK_ERR_INVALID_ARG);
    kfk_conf_set_stats_cb(NULL, NULL, NULL); /* no crash */
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("client_stats");
    TCase *tc = tcase_create("stats");
    tcase_add_test(tc, test_json_parses_and_escapes_names);
    tcase_add_test(tc, test_prometheus_families_are_typed_once_and_labels_escaped);
    tcase_add_test(tc, test_copy_out_says_the_size_needed);
    tcase_add_test(tc, test_a_stats_cb_document_closes_the_window);
    tcase_add_test(tc, test_histogram_percentiles_within_a_bucket);
    tcase_add_test(tc, test_interval_claims_each_document_once);
    tcase_add_test(tc, test_interval_out_of_range_is_refused);
    tcase_add_test(tc, test_null_handles_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(stats_suite());
}
