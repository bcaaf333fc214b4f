/* producer_bench: kfk and librdkafka producing side by side, same broker,
 * same settings (acks=all, idempotence on, linger.ms=5, 32 MiB of
 * buffer), one line per case:
 *
 *   bench produce size=100 codec=none batch=16384 tls=0 kfk_msgs_s=N rdk_msgs_s=N msgs_ratio=R
 *     kfk_ns_msg=N rdk_ns_msg=N cpu_ratio=R kfk_p50_ms=N rdk_p50_ms=N kfk_p99_ms=N
 *     rdk_p99_ms=N kfk_rss_mb=N rdk_rss_mb=N
 *
 * (on one line). Each client runs in a child process of its own, so
 * getrusage and the peak RSS count that client only (not the mock, which
 * lives in the parent, nor the other client). Without -b the cluster is
 * an in-process mock of 1 broker with CRC checks off.
 *
 * -S CAFILE runs both clients over TLS (tls=1 on the line): kfk with
 * security.protocol=SSL and ssl.truststore.location=CAFILE, librdkafka with
 * security.protocol=ssl and ssl.ca.location=CAFILE; -b must then name the
 * broker's SSL listener (the mock has no TLS).
 *
 *   cc -O2 -g -std=c11 -D_GNU_SOURCE -Iinclude -Ilib -o build/producer_bench \
 *      bench/producer_bench.c build/libkfk.a -lrdkafka $(pkg-config --libs libkfk deps) -lpthread
 *   build/producer_bench [-b BOOTSTRAP] [-S CAFILE] [-n RECORDS]
 *   BENCH_QUICK=1: 100 B none and lz4
 *
 * A benchmark, never a test: nothing here asserts a figure. */
#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kfk.h"
#include "kfk_mock.h"

#define PARTITIONS 4
/* Latency is sampled on every 16th record, so that reading the clock costs
 * the clients' CPU figures little. */
#define LAT_EVERY_MASK 15

typedef struct bcase {
    int size;
    const char *codec;
    int batch;
} bcase;

typedef struct result {
    double msgs_s, ns_msg, p50_ms, p99_ms, rss_mb;
    long failed;
} result;

/* Shared by the delivery callbacks of whichever client runs. */
static int64_t *sent_ns, *lat_ns;
static long n_lat, n_failed;
/* -S: the CA file both clients trust, and TLS on; NULL: plaintext. */
static const char *tls_ca;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static void delivered(intptr_t i, int failed)
{
    if (failed) {
        n_failed++;
        return;
    }
    if (i >= 0 && (i & LAT_EVERY_MASK) == 0) lat_ns[n_lat++] = now_ns() - sent_ns[i];
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void finish(result *r, long n, int64_t t0, int64_t c0)
{
    int64_t dt = now_ns() - t0, dc = cpu_ns() - c0;
    r->msgs_s = (double)n * 1e9 / (double)dt;
    r->ns_msg = (double)dc / (double)n;
    qsort(lat_ns, (size_t)n_lat, sizeof(*lat_ns), cmp64);
    r->p50_ms = n_lat ? lat_ns[n_lat / 2] / 1e6 : -1;
    r->p99_ms = n_lat ? lat_ns[n_lat * 99 / 100] / 1e6 : -1;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->rss_mb = ru.ru_maxrss / 1024.0;
    r->failed = n_failed;
}

/* --- kfk --------------------------------------------------------------------------- */

/* TLS for every kfk client of the run (the producers and the admin). */
static void kfk_set_tls(kfk_conf *conf)
{
    char err[512];
    if (!tls_ca) return;
    if (kfk_conf_set(conf, "security.protocol", "SSL", err, sizeof(err)) != KFK_OK ||
        kfk_conf_set(conf, "ssl.truststore.location", tls_ca, err, sizeof(err)) != KFK_OK) {
        fprintf(stderr, "kfk TLS: %s\n", err);
        exit(1);
    }
}

static void kfk_dr(void *opaque, const kfk_delivery_report *r)
{
    (void)opaque;
    delivered((intptr_t)r->opaque, r->err != KFK_OK);
}

static void run_kfk(const char *bootstrap, const char *topic, const bcase *c, long n, result *r)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512], batch[32];
    snprintf(batch, sizeof(batch), "%d", c->batch);
    kfk_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    kfk_conf_set(conf, "acks", "all", err, sizeof(err));
    kfk_conf_set(conf, "linger.ms", "5", err, sizeof(err));
    kfk_conf_set(conf, "batch.size", batch, err, sizeof(err));
    kfk_conf_set(conf, "compression.type", c->codec, err, sizeof(err));
    kfk_set_tls(conf);
    kfk_conf_set_dr_cb(conf, kfk_dr, NULL);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    if (!p) {
        fprintf(stderr, "kfk: %s\n", err);
        exit(1);
    }
    char *value = calloc(1, (size_t)c->size);
    kfk_record rec = {.topic = topic,
                      .partition = KFK_PARTITION_ANY,
                      .value = value,
                      .value_len = (size_t)c->size};
    kfk_produce(p, &rec, (void *)(intptr_t)-1); /* metadata and producer id */
    kfk_producer_flush(p, 30000);
    int64_t t0 = now_ns(), c0 = cpu_ns();
    for (long i = 0; i < n; i++) {
        if ((i & LAT_EVERY_MASK) == 0) sent_ns[i] = now_ns();
        kfk_err e;
        while ((e = kfk_produce(p, &rec, (void *)(intptr_t)i)) == KFK_ERR_QUEUE_FULL)
            kfk_producer_poll(p, 1);
        if (e) n_failed++;
        if ((i & 1023) == 0) kfk_producer_poll(p, 0);
    }
    kfk_producer_flush(p, 120000);
    finish(r, n, t0, c0);
    kfk_producer_destroy(p);
    free(value);
}

/* --- librdkafka ---------------------------------------------------------------------- */

static void rdk_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    delivered((intptr_t)m->_private, m->err != 0);
}

static void rdk_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char err[512];
    if (rd_kafka_conf_set(conf, name, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "librdkafka %s: %s\n", name, err);
        exit(1);
    }
}

static void run_rdk(const char *bootstrap, const char *topic, const bcase *c, long n, result *r)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512], batch[32];
    snprintf(batch, sizeof(batch), "%d", c->batch);
    rdk_set(conf, "bootstrap.servers", bootstrap);
    rdk_set(conf, "acks", "all");
    rdk_set(conf, "enable.idempotence", "true");
    rdk_set(conf, "linger.ms", "5");
    rdk_set(conf, "batch.size", batch);
    rdk_set(conf, "compression.codec", c->codec);
    rdk_set(conf, "queue.buffering.max.kbytes", "32768"); /* kfk's buffer.memory */
    rdk_set(conf, "queue.buffering.max.messages", "10000000");
    if (tls_ca) {
        rdk_set(conf, "security.protocol", "ssl");
        rdk_set(conf, "ssl.ca.location", tls_ca);
    }
    rd_kafka_conf_set_dr_msg_cb(conf, rdk_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "librdkafka: %s\n", err);
        exit(1);
    }
    char *value = calloc(1, (size_t)c->size);
    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(value, (size_t)c->size),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                      RD_KAFKA_V_OPAQUE((void *)(intptr_t)-1), RD_KAFKA_V_END);
    rd_kafka_flush(rk, 30000);
    int64_t t0 = now_ns(), c0 = cpu_ns();
    for (long i = 0; i < n; i++) {
        if ((i & LAT_EVERY_MASK) == 0) sent_ns[i] = now_ns();
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                      RD_KAFKA_V_VALUE(value, (size_t)c->size),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_OPAQUE((void *)(intptr_t)i), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 1);
        if (e) n_failed++;
        if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 120000);
    finish(r, n, t0, c0);
    rd_kafka_destroy(rk);
    free(value);
}

/* --- running ----------------------------------------------------------------------- */

/* Runs one client in a child process; its result comes back by pipe. */
static result run_child(int rdk, const char *bootstrap, const char *topic, const bcase *c, long n)
{
    int fds[2];
    result r = {0};
    if (pipe(fds) < 0) exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        sent_ns = malloc((size_t)n * sizeof(*sent_ns));
        lat_ns = malloc((size_t)n * sizeof(*lat_ns));
        /* Touched now, not during the timed run: the page faults of the
         * bench's own bookkeeping are no client's cost. */
        if (sent_ns) memset(sent_ns, 0, (size_t)n * sizeof(*sent_ns));
        if (lat_ns) memset(lat_ns, 0, (size_t)n * sizeof(*lat_ns));
        if (rdk)
            run_rdk(bootstrap, topic, c, n, &r);
        else
            run_kfk(bootstrap, topic, c, n, &r);
        ssize_t w = write(fds[1], &r, sizeof(r));
        _exit(w == (ssize_t)sizeof(r) ? 0 : 1);
    }
    close(fds[1]);
    if (read(fds[0], &r, sizeof(r)) != (ssize_t)sizeof(r)) r.failed = -1;
    close(fds[0]);
    waitpid(pid, NULL, 0);
    return r;
}

static void make_topic(kfk_mock_cluster *mc, const char *bootstrap, const char *name)
{
    if (mc) {
        kfk_mock_topic_create(mc, name, PARTITIONS, 1);
        return;
    }
    char err[512];
    kfk_conf *conf = kfk_conf_new();
    kfk_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    kfk_set_tls(conf);
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    kfk_new_topic *t = kfk_new_topic_new(name, PARTITIONS, -1);
    kfk_admin_result *res = NULL;
    if (a) kfk_admin_create_topics(a, &t, 1, 30000, &res);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    kfk_admin_destroy(a);
}

static void run_case(kfk_mock_cluster *mc, const char *bootstrap, const bcase *c, long n)
{
    char tk[128], tr[128];
    snprintf(tk, sizeof(tk), "bench-kfk-%d-%s-%d-%d", c->size, c->codec, c->batch, (int)getpid());
    snprintf(tr, sizeof(tr), "bench-rdk-%d-%s-%d-%d", c->size, c->codec, c->batch, (int)getpid());
    make_topic(mc, bootstrap, tk);
    make_topic(mc, bootstrap, tr);
    result k = run_child(0, bootstrap, tk, c, n);
    /* BENCH_ONLY=kfk skips librdkafka (for profiling kfk alone). */
    const char *only = getenv("BENCH_ONLY");
    result r = only && !strcmp(only, "kfk") ? (result){.msgs_s = 1, .ns_msg = 1}
                                            : run_child(1, bootstrap, tr, c, n);
    printf("bench produce size=%d codec=%s batch=%d tls=%d kfk_msgs_s=%.0f rdk_msgs_s=%.0f "
           "msgs_ratio=%.2f kfk_ns_msg=%.0f rdk_ns_msg=%.0f cpu_ratio=%.2f kfk_p50_ms=%.1f "
           "rdk_p50_ms=%.1f kfk_p99_ms=%.1f rdk_p99_ms=%.1f kfk_rss_mb=%.0f rdk_rss_mb=%.0f"
           "%s\n",
           c->size, c->codec, c->batch, tls_ca != NULL, k.msgs_s, r.msgs_s, k.msgs_s / r.msgs_s,
           k.ns_msg, r.ns_msg, k.ns_msg / r.ns_msg, k.p50_ms, r.p50_ms, k.p99_ms, r.p99_ms,
           k.rss_mb, r.rss_mb, k.failed || r.failed ? " (some records failed)" : "");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL;
    long n_arg = 0;
    bcase one = {0}; /* -s SIZE -z CODEC -B BATCH: run just this case */
    for (int opt; (opt = getopt(argc, argv, "b:n:s:z:B:S:")) != -1;) {
        if (opt == 'b')
            bootstrap = optarg;
        else if (opt == 'n')
            n_arg = atol(optarg);
        else if (opt == 's')
            one.size = atoi(optarg);
        else if (opt == 'z')
            one.codec = optarg;
        else if (opt == 'B')
            one.batch = atoi(optarg);
        else if (opt == 'S')
            tls_ca = optarg;
        else
            return 2;
    }
    if (tls_ca && !bootstrap) {
        fprintf(stderr, "-S needs -b BOOTSTRAP (a TLS listener): the mock has no TLS\n");
        return 2;
    }
    kfk_mock_cluster *mc = NULL;
    if (!bootstrap) {
        mc = kfk_mock_cluster_new(1);
        kfk_mock_set_check_crcs(mc, false);
        kfk_mock_set_retention_bytes(mc, (size_t)64 << 20);
        bootstrap = kfk_mock_cluster_bootstrap(mc);
    }
    static const bcase all[] = {
        {100, "none", 16384},   {100, "lz4", 16384},   {100, "zstd", 16384},
        {100, "none", 1048576}, {100, "lz4", 1048576}, {100, "zstd", 1048576},
        {1024, "none", 16384},  {1024, "lz4", 16384},  {1024, "zstd", 16384},
        {10240, "none", 16384}, {10240, "lz4", 16384}, {10240, "zstd", 16384},
    };
    const bcase *cases = all;
    size_t n_cases = getenv("BENCH_QUICK") ? 2 : sizeof(all) / sizeof(all[0]);
    if (one.size) {
        if (!one.codec) one.codec = "none";
        if (!one.batch) one.batch = 16384;
        cases = &one;
        n_cases = 1;
    }
    for (size_t i = 0; i < n_cases; i++) {
        long n = n_arg ? n_arg : (long)(200L << 20) / cases[i].size;
        if (n > 2000000) n = 2000000;
        if (getenv("BENCH_QUICK") && !n_arg) n = 1000000;
        run_case(mc, bootstrap, &cases[i], n);
    }
    kfk_mock_cluster_destroy(mc);
    return 0;
}
