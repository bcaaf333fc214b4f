/* producer_bench: kfk and librdkafka producing side by side, same broker,
 * acks=all and idempotence on for both, librdkafka with
 * socket.nagle.disable=true (kfk sets TCP_NODELAY), text-like values.
 * batch=defaults: each client at its own defaults otherwise (kfk: Java's
 * batch.size 16 KiB, linger.ms 5; librdkafka: batch.size 1 MB, linger.ms
 * 5). batch=N: equal settings, batch.size N, linger.ms 5 and 32 MiB of
 * buffer for both. One line per case:
 *
 *   bench produce size=100 codec=none batch=defaults tls=0 kfk=0.1.0 rdk=2.16.1 kfk_msgs_s=N
 *     rdk_msgs_s=N msgs_ratio=R kfk_ns_msg=N rdk_ns_msg=N cpu_ratio=R kfk_p50_ms=N
 *     rdk_p50_ms=N kfk_p99_ms=N rdk_p99_ms=N kfk_rss_mb=N rdk_rss_mb=N
 *
 * (on one line). Each client runs in a process of its own, spawned fresh
 * (posix_spawn of this binary with -C kfk|rdk), so getrusage and the peak
 * RSS (VmHWM) count that client only (not the mock, which lives in the
 * parent, nor the other client). Each client runs BENCH_RUNS times (3 by
 * default), in the order kfk rdk rdk kfk kfk rdk ..., each run to a topic
 * of its own; each figure on the line is the median of that client's runs.
 * Against a real broker (-b) each case first has rounds of both clients
 * that are not measured, in the same alternating order: WARM_RUNS, and in
 * the first case as many as WARM_FIRST_S seconds take (warm=N on the line:
 * the unmeasured rounds), so that the broker's JVM has compiled its
 * produce path before the runs that count.
 * Every record must be reported delivered, once: a line ending in "(some
 * records failed)" had a run with a failed or missing report, or a client
 * process that died. Without -b the cluster is an in-process mock of 1
 * broker with CRC checks off.
 *
 * -S CAFILE runs both clients over TLS (tls=1 on the line): kfk with
 * security.protocol=SSL and ssl.truststore.location=CAFILE, librdkafka with
 * security.protocol=ssl and ssl.ca.location=CAFILE; -b must then name the
 * broker's SSL listener (the mock has no TLS).
 *
 *   cc -O2 -g -std=c11 -D_GNU_SOURCE -Iinclude -Ilib -o build/producer_bench \
 *      bench/producer_bench.c build/libkfk.a -lrdkafka $(pkg-config --libs libkfk deps) -lpthread
 *   build/producer_bench [-b BOOTSTRAP] [-S CAFILE] [-n RECORDS] [-s SIZE -z CODEC -B BATCH]
 *   (-B 0, or no -B: each client's defaults)
 *   BENCH_QUICK=1: 100 B none and lz4 at the defaults, 100 B none at 16 KiB
 *   BENCH_RUNS=N: N runs per client and case (3)
 *   BENCH_WARM=N: at least N unmeasured rounds per case against a real
 *       broker (2); BENCH_WARM_S=S: rounds for S seconds in the first case
 *       (30); BENCH_NO_WARM=1: none
 *   BENCH_KFK_SET=name=value,...: kfk's producers get these properties last
 *   BENCH_KFK_STATS=1: kfk's statistics documents to stderr (with
 *       BENCH_KFK_SET=statistics.interval.ms=N)
 *   one client alone: producer_bench -C kfk|rdk -b BOOTSTRAP -t TOPIC -n RECORDS -s SIZE
 *       -z CODEC -B BATCH 3>/dev/null
 *
 * A benchmark, never a test: nothing here asserts a figure. */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "kfk.h"
#include "kfk_mock.h"

#define PARTITIONS 4
/* Latency is sampled on every 64th record (15,625 samples in 1M), so that
 * reading the clock (two reads of ~25 ns each here) adds under 1 ns to the
 * clients' CPU per record. */
#define LAT_EVERY_MASK 63

typedef struct bcase {
    int size;
    const char *codec;
    int batch; /* batch.size for both; 0: each client's defaults */
} bcase;

typedef struct result {
    double msgs_s, ns_msg, p50_ms, p99_ms, rss_mb;
    long failed; /* records reported failed, or never reported */
} result;

#define MAX_RUNS 16
#define WARM_RUNS 2     /* unmeasured rounds per case against a real broker */
#define WARM_FIRST_S 30 /* and seconds of them in the first case */
#define MAX_WARM 200

/* Shared by the delivery callbacks of whichever client runs. */
static int64_t *sent_ns, *lat_ns;
static long n_lat, n_ok;

static void delivered(intptr_t i, bool failed)
{
    if (failed) return; /* counted as not delivered: n - n_ok */
    if (i >= 0) n_ok++;
    if (i >= 0 && (i & LAT_EVERY_MASK) == 0) lat_ns[n_lat++] = bench_now_ns() - sent_ns[i];
}

static void finish(result *r, long n, int64_t t0, int64_t c0)
{
    int64_t dt = bench_now_ns() - t0, dc = bench_cpu_ns() - c0;
    r->msgs_s = (double)n * 1e9 / (double)dt;
    r->ns_msg = (double)dc / (double)n;
    r->p50_ms = n_lat ? bench_percentile(lat_ns, (size_t)n_lat, 50) / 1e6 : -1;
    r->p99_ms = n_lat ? bench_percentile(lat_ns, (size_t)n_lat, 99) / 1e6 : -1;
    r->rss_mb = bench_peak_rss_kb() / 1024.0;
    r->failed = n - n_ok; /* failed, or not reported at all */
}

/* --- kfk --------------------------------------------------------------------------- */

static void run_kfk(const char *bootstrap, const char *topic, const bcase *c, long n, result *r)
{
    kfk_conf *conf = bench_kfk_producer_conf(bootstrap);
    char batch[32];
    snprintf(batch, sizeof(batch), "%d", c->batch);
    if (c->batch) {
        bench_kset(conf, "linger.ms", "5");
        bench_kset(conf, "batch.size", batch);
        bench_kset(conf, "buffer.memory", "33554432");
    }
    bench_kset(conf, "compression.type", c->codec);
    kfk_producer *p = bench_kfk_producer(conf, delivered);
    bench_kfk_warm_up(p, topic, c->size);
    int64_t t0 = bench_now_ns(), c0 = bench_cpu_ns();
    for (long i = 0; i < n; i++) {
        if ((i & LAT_EVERY_MASK) == 0) sent_ns[i] = bench_now_ns();
        bench_kfk_produce(p, topic, bench_value(i, c->size), (size_t)c->size, i);
        if ((i & 1023) == 0) kfk_producer_poll(p, 0);
    }
    kfk_producer_flush(p, 120000);
    finish(r, n, t0, c0);
    kfk_producer_destroy(p);
}

/* --- librdkafka ---------------------------------------------------------------------- */

static void run_rdk(const char *bootstrap, const char *topic, const bcase *c, long n, result *r)
{
    rd_kafka_conf_t *conf = bench_rdk_producer_conf(bootstrap);
    char batch[32];
    snprintf(batch, sizeof(batch), "%d", c->batch);
    if (c->batch) {
        bench_rset(conf, "linger.ms", "5");
        bench_rset(conf, "batch.size", batch);
        bench_rset(conf, "queue.buffering.max.kbytes", "32768"); /* kfk's buffer.memory */
        bench_rset(conf, "queue.buffering.max.messages", "10000000");
    }
    bench_rset(conf, "compression.codec", c->codec);
    rd_kafka_t *rk = bench_rdk_producer(conf, delivered);
    bench_rdk_warm_up(rk, topic, c->size);
    int64_t t0 = bench_now_ns(), c0 = bench_cpu_ns();
    for (long i = 0; i < n; i++) {
        if ((i & LAT_EVERY_MASK) == 0) sent_ns[i] = bench_now_ns();
        bench_rdk_produce(rk, topic, bench_value(i, c->size), (size_t)c->size, i);
        if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 120000);
    finish(r, n, t0, c0);
    rd_kafka_destroy(rk);
}

/* --- running ----------------------------------------------------------------------- */

/* In the child: one client's run; its result goes to BENCH_RESULT_FD. */
static int child_main(const char *client, const char *bootstrap, const char *topic, const bcase *c,
                      long n)
{
    result r = {0};
    sent_ns = malloc((size_t)n * sizeof(*sent_ns));
    lat_ns = malloc((size_t)n * sizeof(*lat_ns));
    if (!sent_ns || !lat_ns || bench_values_init()) return 1;
    /* Touched now, not during the timed run: the page faults of the
     * bench's own bookkeeping are no client's cost. */
    memset(sent_ns, 0, (size_t)n * sizeof(*sent_ns));
    memset(lat_ns, 0, (size_t)n * sizeof(*lat_ns));
    if (!strcmp(client, "rdk"))
        run_rdk(bootstrap, topic, c, n, &r);
    else
        run_kfk(bootstrap, topic, c, n, &r);
    return bench_write_result(&r, sizeof(r));
}

/* Runs one client in a fresh process (this binary with -C). */
static result run_child(const char *self, const char *client, const char *bootstrap,
                        const char *topic, const bcase *c, long n)
{
    char n_s[32], size_s[32], batch_s[32];
    snprintf(n_s, sizeof(n_s), "%ld", n);
    snprintf(size_s, sizeof(size_s), "%d", c->size);
    snprintf(batch_s, sizeof(batch_s), "%d", c->batch);
    char *argv[20] = {
        (char *)self, "-C", (char *)client, "-b", (char *)bootstrap, "-t", (char *)topic, "-n",
        n_s,          "-s", size_s,         "-z", (char *)c->codec,  "-B", batch_s};
    int argc = 15;
    if (bench_tls_ca) argv[argc++] = "-S", argv[argc++] = (char *)bench_tls_ca;
    result r = {0};
    if (bench_spawn(argv, &r, sizeof(r))) r.failed = -1;
    return r;
}

/* Each figure the median of the runs that came back. */
static result median_of(const result *runs, int n)
{
    double v[5][MAX_RUNS];
    for (int i = 0; i < n; i++) {
        v[0][i] = runs[i].msgs_s;
        v[1][i] = runs[i].ns_msg;
        v[2][i] = runs[i].p50_ms;
        v[3][i] = runs[i].p99_ms;
        v[4][i] = runs[i].rss_mb;
    }
    return (result){.msgs_s = bench_median(v[0], n),
                    .ns_msg = bench_median(v[1], n),
                    .p50_ms = bench_median(v[2], n),
                    .p99_ms = bench_median(v[3], n),
                    .rss_mb = bench_median(v[4], n)};
}

/* One run of one client, to a fresh topic; false when records failed or
 * went missing, or the process died. */
static bool run_one(const char *self, kfk_mock_cluster *mc, const char *bootstrap, const char *name,
                    const bcase *c, long n, int run, result *out)
{
    char topic[160];
    snprintf(topic, sizeof(topic), "bench-%s-%d-%s-%d-%d-%d", name, c->size, c->codec, c->batch,
             run, (int)getpid());
    bench_make_topic(mc, bootstrap, topic, PARTITIONS);
    *out = run_child(self, name, bootstrap, topic, c, n);
    bench_drop_topic(bootstrap, topic);
    if (out->failed)
        fprintf(stderr, "# %s run %d: %ld records failed or were not reported%s\n", name, run,
                out->failed > 0 ? out->failed : n, out->failed < 0 ? " (the process died)" : "");
    return out->failed == 0;
}

/* The measured runs of a case. */
typedef struct tally {
    result k[MAX_RUNS], r[MAX_RUNS];
    int nk, nr;
} tally;

static bool trouble; /* a run of the case had failed records */
static bool first_case = true;

/* One run of each client: kfk rdk in even rounds, rdk kfk in odd ones, so
 * that neither always goes first. Kept in *t unless t is NULL (warm-up). */
static void run_round(const char *self, kfk_mock_cluster *mc, const char *bootstrap, const bcase *c,
                      long n, int round, bool rdk_too, tally *t)
{
    for (int j = 0; j < 2; j++) {
        bool is_rdk = (j == 0) == (round % 2 == 1);
        if (is_rdk && !rdk_too) continue;
        result x;
        if (!run_one(self, mc, bootstrap, is_rdk ? "rdk" : "kfk", c, n, round, &x))
            trouble = true;
        else if (t)
            is_rdk ? (t->r[t->nr++] = x) : (t->k[t->nk++] = x);
    }
}

static void run_case(const char *self, kfk_mock_cluster *mc, const char *bootstrap, const bcase *c,
                     long n, int n_runs)
{
    /* BENCH_ONLY=kfk skips librdkafka (for profiling kfk alone). */
    const char *only = getenv("BENCH_ONLY");
    bool rdk_too = !(only && !strcmp(only, "kfk"));
    trouble = false;
    /* A real broker first takes unmeasured rounds of both clients: a JVM
     * that has not yet compiled its produce path is slower than either
     * client, and would make the first measured runs a test of the broker.
     * A node that has just started keeps compiling for its first half
     * minute of load, so the first case warms it for that long. */
    int warm = 0, min_warm = 0;
    int64_t warm_until = 0;
    if (!mc && !getenv("BENCH_NO_WARM")) {
        min_warm = bench_env_count("BENCH_WARM", WARM_RUNS, 0, MAX_RUNS);
        if (first_case)
            warm_until = bench_now_ns() +
                         bench_env_count("BENCH_WARM_S", WARM_FIRST_S, 0, 3600) * 1000000000LL;
    }
    first_case = false;
    for (; warm < min_warm || (warm < MAX_WARM && bench_now_ns() < warm_until); warm++)
        run_round(self, mc, bootstrap, c, n, warm, rdk_too, NULL);
    tally t = {0};
    for (int i = 0; i < n_runs; i++)
        run_round(self, mc, bootstrap, c, n, warm + i, rdk_too, &t);
    result k = median_of(t.k, t.nk),
           r = rdk_too ? median_of(t.r, t.nr) : (result){.msgs_s = 1, .ns_msg = 1};
    char batch[32] = "defaults";
    if (c->batch) snprintf(batch, sizeof(batch), "%d", c->batch);
    printf("bench produce size=%d codec=%s batch=%s tls=%d kfk=%s rdk=%s runs=%d warm=%d "
           "kfk_msgs_s=%.0f "
           "rdk_msgs_s=%.0f "
           "msgs_ratio=%.2f kfk_ns_msg=%.0f rdk_ns_msg=%.0f cpu_ratio=%.2f kfk_p50_ms=%.1f "
           "rdk_p50_ms=%.1f kfk_p99_ms=%.1f rdk_p99_ms=%.1f kfk_rss_mb=%.0f rdk_rss_mb=%.0f"
           "%s\n",
           c->size, c->codec, batch, bench_tls_ca != NULL, kfk_version_str(),
           rd_kafka_version_str(), n_runs, warm, k.msgs_s, r.msgs_s, k.msgs_s / r.msgs_s, k.ns_msg,
           r.ns_msg, k.ns_msg / r.ns_msg, k.p50_ms, r.p50_ms, k.p99_ms, r.p99_ms, k.rss_mb,
           r.rss_mb, trouble ? " (some records failed)" : "");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *client = NULL, *topic = NULL;
    long n_arg = 0;
    bcase one = {0}; /* -s SIZE -z CODEC [-B BATCH]: run just this case */
    for (int opt; (opt = getopt(argc, argv, "b:n:s:z:B:S:C:t:")) != -1;) {
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
            bench_tls_ca = optarg;
        else if (opt == 'C')
            client = optarg;
        else if (opt == 't')
            topic = optarg;
        else
            return 2;
    }
    if (client)
        return bootstrap && topic && n_arg > 0 && one.size > 0 && one.codec && one.batch >= 0
                   ? child_main(client, bootstrap, topic, &one, n_arg)
                   : 2;
    char self[4096];
    if (bench_self_path(self, sizeof(self))) return 1;
    kfk_mock_cluster *mc;
    int rc = bench_cluster(&bootstrap, &mc);
    if (rc) return rc;
    if (mc) kfk_mock_set_retention_bytes(mc, (size_t)64 << 20);
    static const bcase all[] = {
        {100, "none", 0},       {100, "lz4", 0},       {100, "none", 16384},
        {100, "lz4", 16384},    {100, "zstd", 16384},
        {100, "none", 1048576}, {100, "lz4", 1048576}, {100, "zstd", 1048576},
        {1024, "none", 16384},  {1024, "lz4", 16384},  {1024, "zstd", 16384},
        {10240, "none", 16384}, {10240, "lz4", 16384}, {10240, "zstd", 16384},
    };
    int n_runs = bench_runs(3, MAX_RUNS);
    const char *set = getenv("BENCH_KFK_SET");
    if (set && *set) printf("# kfk's producers also with %s: not its defaults\n", set);
    const bcase *cases = all;
    size_t n_cases = getenv("BENCH_QUICK") ? 3 : sizeof(all) / sizeof(all[0]);
    if (one.size) {
        if (!one.codec) one.codec = "none";
        cases = &one;
        n_cases = 1;
    }
    for (size_t i = 0; i < n_cases; i++) {
        long n = n_arg ? n_arg : (long)(200L << 20) / cases[i].size;
        if (n > 2000000) n = 2000000;
        if (getenv("BENCH_QUICK") && !n_arg) n = 1000000;
        run_case(self, mc, bootstrap, &cases[i], n, n_runs);
    }
    kfk_mock_cluster_destroy(mc);
    return 0;
}
