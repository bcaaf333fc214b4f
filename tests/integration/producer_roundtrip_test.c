/* The producer against a cluster (KFK_TEST_BOOTSTRAP): records with keys,
 * headers and timestamps in every codec, each reported once and in
 * per-partition order, then read back by kcat and by kafka-python
 * (producer_read.py) and compared. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "kfk.h"
#include "kwire_client.h"

#define N_PARTS 3
/* KFK_TEST_PRODUCER_RECORDS overrides it (the full run: 1000000). */
#define N_RECORDS_DEFAULT 20000
static int N_RECORDS = N_RECORDS_DEFAULT;

/* Record i's timestamp is ts0 + i: recent, or the broker's retention.ms
 * would delete the records before kcat reads them. */
static int64_t ts0;

typedef struct report {
    atomic_int times;
    int32_t partition;
    int64_t offset;
    kfk_err err;
} report;

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    report *reports = opaque;
    report *x = &reports[(intptr_t)r->opaque];
    atomic_fetch_add(&x->times, 1);
    x->partition = r->partition;
    x->offset = r->offset;
    x->err = r->err;
}

static kfk_conf *conf_for(void)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", ktest_bootstrap(), err, sizeof(err)),
                     0);
    if (getenv("KFK_TEST_DEBUG")) kfk_conf_set(conf, "log.level", "debug", NULL, 0);
    return conf;
}

static void topic_create(const char *name)
{
    char err[512];
    kfk_admin *a = kfk_admin_new(conf_for(), err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    kfk_new_topic *t = kfk_new_topic_new(name, N_PARTS, -1);
    kfk_admin_result *res = NULL;
    ck_assert_int_eq(
        kfk_admin_create_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = 30000}, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    kfk_admin_destroy(a);
}

static void topic_delete(const char *name)
{
    char err[512];
    kfk_admin *a = kfk_admin_new(conf_for(), err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    kfk_admin_result *res = NULL;
    kfk_admin_delete_topics(a, &name, 1, &(kfk_admin_options){.timeout_ms = 30000}, &res);
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}

static void record_text(int i, char *key, size_t klen, char *value, size_t vlen)
{
    snprintf(key, klen, "key%d", i % 101);
    int n = snprintf(value, vlen, "v%d-", i);
    for (int k = 0; k < i % 50 && (size_t)n + 1 < vlen; k++)
        value[n++] = (char)('a' + (i + k) % 26);
    value[n] = '\0';
}

static void produce_all(const char *topic, const char *codec, report *reports)
{
    kfk_conf *conf = conf_for();
    char err[512];
    ck_assert_int_eq(kfk_conf_set(conf, "compression.type", codec, err, sizeof(err)), 0);
    kfk_conf_set_dr_cb(conf, on_report, reports);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    for (int i = 0; i < N_RECORDS; i++) {
        char key[32], value[128], hv[16];
        record_text(i, key, sizeof(key), value, sizeof(value));
        snprintf(hv, sizeof(hv), "%d", i);
        kfk_header h = {"n", hv, strlen(hv)};
        kfk_record rec = {.topic = topic,
                          .partition = KFK_PARTITION_ANY,
                          .key = key,
                          .key_len = strlen(key),
                          .value = value,
                          .value_len = strlen(value),
                          .headers = &h,
                          .n_headers = 1,
                          .timestamp_ms = ts0 + i};
        kfk_err e = kfk_produce(p, &rec, (void *)(intptr_t)i);
        ck_assert_msg(e == KFK_OK, "produce %d: %s", i, kfk_err_str(e));
        kfk_producer_poll(p, 0);
    }
    ck_assert_int_eq(kfk_producer_close(p, 60000), KFK_OK);
}

/* Each record once, OK, in production order within its partition;
 * at[part][offset] gets the record's index. */
static void check_reports(report *reports, int **at, int64_t *count)
{
    for (int i = 0; i < N_RECORDS; i++) {
        report *x = &reports[i];
        ck_assert_msg(atomic_load(&x->times) == 1, "record %d: %d reports", i,
                      atomic_load(&x->times));
        ck_assert_msg(x->err == KFK_OK, "record %d: %s", i, kfk_err_str(x->err));
        ck_assert(x->partition >= 0 && x->partition < N_PARTS);
        ck_assert_int_eq(x->offset, count[x->partition]);
        at[x->partition][count[x->partition]++] = i;
    }
}

/* Runs cmd, a reader printing partition, offset, key, value, timestamp
 * and headers per record, tab-separated, and compares every record. */
static void check_reader(const char *cmd, int **at, const int64_t *count)
{
    FILE *f = popen(cmd, "r");
    ck_assert(f != NULL);
    char line[512];
    int64_t seen = 0, total = 0;
    for (int k = 0; k < N_PARTS; k++)
        total += count[k];
    while (fgets(line, sizeof(line), f)) {
        int part;
        long long off, ts;
        char key[64], value[256], hdr[64];
        ck_assert_msg(sscanf(line, "%d\t%lld\t%63[^\t]\t%255[^\t]\t%lld\t%63s", &part, &off, key,
                             value, &ts, hdr) == 6,
                      "kcat: %s", line);
        ck_assert(part >= 0 && part < N_PARTS && off >= 0 && off < count[part]);
        int i = at[part][off];
        char wk[32], wv[128], wh[32];
        record_text(i, wk, sizeof(wk), wv, sizeof(wv));
        snprintf(wh, sizeof(wh), "n=%d", i);
        ck_assert_str_eq(key, wk);
        ck_assert_str_eq(value, wv);
        ck_assert_str_eq(hdr, wh);
        ck_assert_int_eq(ts, ts0 + i);
        seen++;
    }
    pclose(f);
    ck_assert_int_eq(seen, total);
}

START_TEST(test_every_codec_round_trips_through_kcat)
{
    static const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    char topic[128];
    snprintf(topic, sizeof(topic), "kfk-producer-%s-%d-%ld", codecs[_i], (int)getpid(),
             (long)time(NULL));
    topic_create(topic);
    ts0 = (int64_t)time(NULL) * 1000;
    report *reports = calloc(N_RECORDS, sizeof(*reports));
    produce_all(topic, codecs[_i], reports);
    int *at[N_PARTS];
    int64_t count[N_PARTS] = {0};
    for (int k = 0; k < N_PARTS; k++)
        at[k] = calloc(N_RECORDS, sizeof(int));
    check_reports(reports, at, count);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "kcat -b '%s' -C -t '%s' -e -q -f '%%p\\t%%o\\t%%k\\t%%s\\t%%T\\t%%h\\n' 2>&1",
             ktest_bootstrap(), topic);
    check_reader(cmd, at, count);
    snprintf(cmd, sizeof(cmd), "python3 tests/integration/producer_read.py '%s' '%s' 2>&1",
             ktest_bootstrap(), topic);
    check_reader(cmd, at, count);
    for (int k = 0; k < N_PARTS; k++)
        free(at[k]);
    free(reports);
    topic_delete(topic);
}
END_TEST

static Suite *producer_suite(void)
{
    Suite *s = suite_create("producer_roundtrip");
    TCase *tc = tcase_create("roundtrip");
    const char *n_env = getenv("KFK_TEST_PRODUCER_RECORDS");
    if (n_env && atoi(n_env) > 0) N_RECORDS = atoi(n_env);
    tcase_set_timeout(tc, 180 + N_RECORDS / 500); /* kafka-python reads ~10k records/s */
    tcase_add_loop_test(tc, test_every_codec_round_trips_through_kcat, 0, 5);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(producer_suite());
}
