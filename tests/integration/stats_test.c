/* Statistics against a cluster (KFK_TEST_BOOTSTRAP): a producer and a
 * consumer with statistics.interval.ms deliver documents through
 * stats_cb from their polls; after producing N records and consuming
 * them, the documents (and the Prometheus text) say so. The documents are
 * parsed and checked by stats_check.py, so they must be valid JSON. */
#include <pthread.h>
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
#define N_RECORDS 3000
#define INTERVAL_MS 100

/* What stats_cb saw; it runs on the polling thread, the test's own. */
typedef struct seen {
    int calls;
    void *handle;
    char *all; /* every document, one a line, malloc'd */
    size_t len;
} seen;

static void on_stats(void *opaque, void *handle, const char *json, size_t len)
{
    seen *s = opaque;
    s->calls++;
    s->handle = handle;
    ck_assert_uint_eq(strlen(json), len);
    ck_assert_ptr_null(memchr(json, '\n', len)); /* one document, one line */
    s->all = realloc(s->all, s->len + len + 2);
    memcpy(s->all + s->len, json, len);
    s->len += len;
    s->all[s->len++] = '\n';
    s->all[s->len] = '\0';
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static kfk_conf *conf_for(void)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", ktest_bootstrap(), err, sizeof(err)),
                     0);
    return conf;
}

static void conf_stats(kfk_conf *conf, seen *s)
{
    char err[512], v[16];
    snprintf(v, sizeof(v), "%d", INTERVAL_MS);
    ck_assert_int_eq(kfk_conf_set(conf, "statistics.interval.ms", v, err, sizeof(err)), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "client.id", "stats \"test\"\\", err, sizeof(err)), 0);
    kfk_conf_set_stats_cb(conf, on_stats, s);
}

static void check_doc(const char *kind, const char *json, const char *prom);
static char *admin_stats(kfk_admin *a, bool prom);

static void topic_admin(const char *name, bool create)
{
    char err[512];
    kfk_admin *a = kfk_admin_new(conf_for(), err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    kfk_admin_result *res = NULL;
    kfk_admin_options o = {.timeout_ms = 30000};
    if (create) {
        kfk_new_topic *t = kfk_new_topic_new(name, N_PARTS, -1);
        ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, &o, &res), KFK_OK);
        kfk_new_topic_destroy(t);
        /* The admin client's own figures: its connections. */
        char *json = admin_stats(a, false), *prom = admin_stats(a, true);
        check_doc("admin", json, prom);
        free(json);
        free(prom);
    } else {
        kfk_admin_delete_topics(a, &name, 1, &o, &res);
    }
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Runs stats_check.py on the document (and the Prometheus text). */
static void check_doc(const char *kind, const char *json, const char *prom)
{
    char jpath[64], ppath[64], cmd[256];
    snprintf(jpath, sizeof(jpath), "/tmp/kfk-stats-%d.json", (int)getpid());
    snprintf(ppath, sizeof(ppath), "/tmp/kfk-stats-%d.prom", (int)getpid());
    write_file(jpath, json);
    if (prom) write_file(ppath, prom);
    snprintf(cmd, sizeof(cmd), "python3 tests/integration/stats_check.py %s %s %d %s", kind, jpath,
             N_RECORDS, prom ? ppath : "");
    int rc = system(cmd);
    if (rc == 0) {
        unlink(jpath);
        unlink(ppath);
    }
    ck_assert_msg(rc == 0, "%s: stats_check failed on %s (kept)", kind, jpath);
}

/* A handle's *_stats_* call, through the buffer size protocol: a first
 * call with no buffer says how much is needed. */
typedef kfk_err stats_fn(void *h, char *buf, size_t *len);

static char *read_stats(stats_fn *fn, void *h)
{
    size_t len = 0;
    ck_assert_int_eq(fn(h, NULL, &len), KFK_ERR_TOO_LARGE);
    ck_assert_uint_gt(len, 1);
    for (;;) {
        size_t cap = len + 4096;
        char *buf = malloc(cap);
        len = cap;
        kfk_err err = fn(h, buf, &len);
        if (err == KFK_OK) {
            ck_assert_uint_eq(strlen(buf) + 1, len);
            return buf;
        }
        ck_assert_int_eq(err, KFK_ERR_TOO_LARGE);
        free(buf);
    }
}

static kfk_err p_json(void *h, char *b, size_t *l)
{
    return kfk_producer_stats_json(h, b, l);
}
static kfk_err p_prom(void *h, char *b, size_t *l)
{
    return kfk_producer_stats_prometheus(h, b, l);
}
static kfk_err c_json(void *h, char *b, size_t *l)
{
    return kfk_consumer_stats_json(h, b, l);
}
static kfk_err c_prom(void *h, char *b, size_t *l)
{
    return kfk_consumer_stats_prometheus(h, b, l);
}
static kfk_err a_json(void *h, char *b, size_t *l)
{
    return kfk_admin_stats_json(h, b, l);
}
static kfk_err a_prom(void *h, char *b, size_t *l)
{
    return kfk_admin_stats_prometheus(h, b, l);
}

static char *admin_stats(kfk_admin *a, bool prom)
{
    return read_stats(prom ? a_prom : a_json, a);
}

/* Reads the producer's statistics from another thread while it
 * produces, as a scraper would: under TSan this checks that gathering
 * races with nothing the I/O and application threads do. */
typedef struct scraper {
    kfk_producer *p;
    atomic_bool stop;
    int reads;
} scraper;

static void *scrape(void *arg)
{
    scraper *sc = arg;
    while (!atomic_load(&sc->stop) || sc->reads == 0) {
        char *prom = read_stats(p_prom, sc->p);
        free(prom);
        sc->reads++;
    }
    return NULL;
}

static void produce(const char *topic, seen *s)
{
    kfk_conf *conf = conf_for();
    char err[512];
    ck_assert_int_eq(kfk_conf_set(conf, "compression.type", "lz4", err, sizeof(err)), 0);
    conf_stats(conf, s);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    scraper sc = {.p = p};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, scrape, &sc), 0);
    for (int i = 0; i < N_RECORDS; i++) {
        char value[64];
        snprintf(value, sizeof(value), "record %d of the statistics test", i);
        kfk_record rec = {
            .topic = topic, .partition = i % N_PARTS, .value = value, .value_len = strlen(value)};
        ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
        kfk_producer_poll(p, 0);
    }
    ck_assert_int_eq(kfk_producer_flush(p, 60000), KFK_OK);
    atomic_store(&sc.stop, true);
    pthread_join(th, NULL);
    ck_assert_int_gt(sc.reads, 0);

    /* The interval: poll until two more documents came (the second was
     * rendered after the flush); never more than the elapsed time allows. */
    int64_t start = now_ms(), deadline = start + 30000;
    int before = s->calls;
    while (s->calls < before + 2 && now_ms() < deadline)
        kfk_producer_poll(p, 1000);
    int64_t elapsed = now_ms() - start;
    ck_assert_int_ge(s->calls, before + 2);
    ck_assert_int_le(s->calls - before, 1 + elapsed / INTERVAL_MS);
    ck_assert_ptr_eq(s->handle, p);

    char *prom = read_stats(p_prom, p);
    check_doc("producer", s->all, prom);
    free(prom);
    char *json = read_stats(p_json, p);
    check_doc("producer", json, NULL);
    free(json);
    kfk_producer_destroy(p);
}

static void consume(const char *topic, seen *s)
{
    kfk_conf *conf = conf_for();
    char err[512], group[160];
    snprintf(group, sizeof(group), "%s-g", topic);
    ck_assert_int_eq(kfk_conf_set(conf, "group.id", group, err, sizeof(err)), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err)), 0);
    conf_stats(conf, s);
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    const char *topics[] = {topic};
    ck_assert_int_eq(kfk_consumer_subscribe(c, topics, 1), KFK_OK);
    int got = 0;
    int64_t deadline = now_ms() + 60000;
    while (got < N_RECORDS && now_ms() < deadline) {
        kfk_message *m = kfk_consumer_poll(c, 500);
        if (!m) continue;
        if (!kfk_message_error(m)) got++;
        kfk_message_release(m);
    }
    ck_assert_int_eq(got, N_RECORDS);
    /* A document rendered after the last record was polled. */
    int before = s->calls;
    while (s->calls < before + 2 && now_ms() < deadline + 30000) {
        kfk_message *m = kfk_consumer_poll(c, 1000);
        if (m) kfk_message_release(m);
    }
    ck_assert_int_ge(s->calls, before + 2);
    ck_assert_ptr_eq(s->handle, c);
    char *prom = read_stats(c_prom, c);
    check_doc("consumer", s->all, prom);
    free(prom);
    kfk_consumer_close(c, 10000);
    kfk_consumer_destroy(c);
}

START_TEST(test_stats_count_what_was_produced_and_consumed)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "stats");
    topic_admin(topic, true);
    seen ps = {0}, cs = {0};
    produce(topic, &ps);
    consume(topic, &cs);
    free(ps.all);
    free(cs.all);
    topic_admin(topic, false);
}
END_TEST

/* statistics.interval.ms 0 (the default): stats_cb never runs, however
 * often the application polls; the on-demand calls still work. */
START_TEST(test_stats_cb_silent_without_interval)
{
    seen s = {0};
    kfk_conf *conf = conf_for();
    kfk_conf_set_stats_cb(conf, on_stats, &s);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    int64_t end = now_ms() + 3 * INTERVAL_MS;
    while (now_ms() < end)
        kfk_producer_poll(p, INTERVAL_MS / 2);
    ck_assert_int_eq(s.calls, 0);
    char *json = read_stats(p_json, p);
    ck_assert_ptr_nonnull(strstr(json, "\"type\":\"producer\""));
    free(json);
    kfk_producer_destroy(p);
    (void)c_json;
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_stats_count_what_was_produced_and_consumed);
    tcase_add_test(tc, test_stats_cb_silent_without_interval);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(stats_suite());
}
