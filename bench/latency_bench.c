/* latency_bench: how long each record takes from the produce call to its
 * delivery report, kfk beside librdkafka, at a fixed rate well below
 * what either client can send (10,000 and 100,000 records/s of 100 B
 * text-like values), at linger.ms 0 and 5. Both clients are otherwise at
 * their defaults but for what every producer benchmark sets (acks=all,
 * enable.idempotence=true, librdkafka's socket.nagle.disable=true as kfk
 * sets TCP_NODELAY: bench_*_producer_conf). One line per case:
 *
 *   bench latency size=100 rate=10000 linger=5 tls=0 kfk=0.1.0 rdk=2.16.1 kfk_p50_ms=N
 *     rdk_p50_ms=N kfk_p99_ms=N rdk_p99_ms=N kfk_p999_ms=N rdk_p999_ms=N p99_ratio=R
 *     kfk_rate=N rdk_rate=N kfk_ns_msg=N rdk_ns_msg=N
 *
 * (on one line). Record i is produced when it is due, at start + i / rate
 * on an absolute schedule, so that a late wake-up does not push every
 * later record back; a client that cannot keep up shows in its achieved
 * rate (kfk_rate, rdk_rate: produce calls per second, first to last) and
 * the line then says which client fell behind. Every record's latency is
 * kept (rate x seconds of them, preallocated), none sampled. Between
 * produce calls the bench polls its client, so a report waits at most
 * about one schedule interval (100 us at 10,000/s) to be seen.
 *
 * Each client runs in a fresh process of its own (-C kfk|rdk), in the
 * order kfk rdk rdk kfk; each figure on the line is the median of that
 * client's runs. Every record must be reported delivered, once: a line
 * ending in "(some records failed)" had a run with a failed, missing or
 * repeated report. Without -b the cluster is an in-process mock.
 *
 *   build/bench/latency_bench [-b BOOTSTRAP] [-S CAFILE] [-r RATE -l LINGER_MS] [-d SECONDS]
 *   BENCH_QUICK=1: 10,000/s only, ~3 s a run; BENCH_RUNS=N: N runs per client;
 *   BENCH_ONLY=kfk: skip librdkafka
 *   one client alone: latency_bench -C kfk|rdk -b BOOTSTRAP -t TOPIC -r RATE -l LINGER_MS
 *       -d SECONDS 3>/dev/null
 *
 * A benchmark, never a test: nothing here asserts a figure. */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "kfk.h"
#include "kfk_mock.h"

#define PARTITIONS 4
#define SIZE 100
/* The longest the bench sleeps without polling its client, for rates
 * whose interval is longer. */
#define MAX_SLEEP_NS 100000
/* Below this share of the target rate a run counts as fallen behind. */
#define BEHIND_SHARE 0.99
#define MAX_RUNS 16

typedef struct lcase {
    long rate; /* records per second */
    int linger_ms;
} lcase;

typedef struct result {
    double p50_ms, p99_ms, p999_ms;
    double rate;    /* produce calls per second achieved */
    double ns_msg;  /* client CPU per record */
    double late_ms; /* the latest a produce call came after its due time */
    long delivered, failed, missing, repeated;
} result;

/* --- one client's run (in the child) ----------------------------------------------- */

enum { NOT_REPORTED, DELIVERED, FAILED };

/* Record i's produce time until its report comes, then its latency. */
static int64_t *lat_ns;
/* Record i's report so far: NOT_REPORTED, DELIVERED or FAILED. */
static unsigned char *state;
static long n_records, n_repeated, n_warm_up_failed;

static void delivered(intptr_t i, bool failed)
{
    int64_t now = bench_now_ns();
    if (i < 0) {
        n_warm_up_failed += failed;
        return;
    }
    if (i >= n_records || state[i] != NOT_REPORTED) {
        n_repeated++;
        return;
    }
    state[i] = failed ? FAILED : DELIVERED;
    if (!failed) lat_ns[i] = now - lat_ns[i];
}

/* One client, seen by the paced loop. */
typedef struct client {
    void (*poll)(void *h);
    bool (*produce)(void *h, const char *topic, long i); /* false: refused */
    void (*flush)(void *h);
    void *h;
} client;

static void kfk_poll0(void *h)
{
    kfk_producer_poll(h, 0);
}
static void kfk_flush30(void *h)
{
    kfk_producer_flush(h, 30000);
}
static bool kfk_produce1(void *h, const char *topic, long i)
{
    return bench_kfk_produce(h, topic, bench_value(i, SIZE), SIZE, i) == KFK_OK;
}

static void rdk_poll0(void *h)
{
    rd_kafka_poll(h, 0);
}
static void rdk_flush30(void *h)
{
    rd_kafka_flush(h, 30000);
}
static bool rdk_produce1(void *h, const char *topic, long i)
{
    return bench_rdk_produce(h, topic, bench_value(i, SIZE), SIZE, i) == 0;
}

static void sleep_until(int64_t t_ns)
{
    struct timespec ts = {.tv_sec = t_ns / 1000000000, .tv_nsec = t_ns % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* Produces n_records at rate, record i when start + i / rate has come,
 * polling the client while it waits; then flushes. */
static void paced_run(const client *c, const char *topic, long rate, result *r)
{
    /* The bench's thread wakes when a record is due, not up to 50 us
     * later (the default timer slack); set after the client started its
     * threads, which keep their default. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    int64_t t0 = bench_now_ns(), c0 = bench_cpu_ns(), first = 0, last = 0, late = 0;
    for (long i = 0; i < n_records; i++) {
        int64_t due = t0 + i * 1000000000 / rate, now;
        for (;;) {
            c->poll(c->h);
            now = bench_now_ns();
            if (now >= due) break;
            sleep_until(due - now > MAX_SLEEP_NS ? now + MAX_SLEEP_NS : due);
        }
        if (now - due > late) late = now - due;
        lat_ns[i] = now;
        if (!i) first = now;
        last = now;
        if (!c->produce(c->h, topic, i)) state[i] = FAILED;
    }
    c->flush(c->h);
    r->ns_msg = (double)(bench_cpu_ns() - c0) / (double)n_records;
    r->rate = n_records > 1 ? (double)(n_records - 1) * 1e9 / (double)(last - first) : 0;
    r->late_ms = (double)late / 1e6;
}

/* Counts the reports and takes the percentiles of the delivered records'
 * latencies (moved to the front of lat_ns). */
static void sum_up(result *r)
{
    long n = 0;
    for (long i = 0; i < n_records; i++) {
        if (state[i] == DELIVERED) lat_ns[n++] = lat_ns[i];
        r->failed += state[i] == FAILED;
        r->missing += state[i] == NOT_REPORTED;
    }
    r->delivered = n;
    r->failed += n_warm_up_failed;
    r->repeated = n_repeated;
    r->p50_ms = bench_permille(lat_ns, (size_t)n, 500) / 1e6;
    r->p99_ms = bench_permille(lat_ns, (size_t)n, 990) / 1e6;
    r->p999_ms = bench_permille(lat_ns, (size_t)n, 999) / 1e6;
}

static void run_kfk(const char *bootstrap, const char *topic, const lcase *lc, result *r)
{
    kfk_conf *conf = bench_kfk_producer_conf(bootstrap);
    char linger[32];
    snprintf(linger, sizeof(linger), "%d", lc->linger_ms);
    bench_kset(conf, "linger.ms", linger);
    kfk_producer *p = bench_kfk_producer(conf, delivered);
    bench_kfk_warm_up(p, topic, SIZE);
    client c = {kfk_poll0, kfk_produce1, kfk_flush30, p};
    paced_run(&c, topic, lc->rate, r);
    kfk_producer_destroy(p);
}

static void run_rdk(const char *bootstrap, const char *topic, const lcase *lc, result *r)
{
    rd_kafka_conf_t *conf = bench_rdk_producer_conf(bootstrap);
    char linger[32];
    snprintf(linger, sizeof(linger), "%d", lc->linger_ms);
    bench_rset(conf, "linger.ms", linger);
    rd_kafka_t *rk = bench_rdk_producer(conf, delivered);
    bench_rdk_warm_up(rk, topic, SIZE);
    client c = {rdk_poll0, rdk_produce1, rdk_flush30, rk};
    paced_run(&c, topic, lc->rate, r);
    rd_kafka_destroy(rk);
}

/* In the child: one client's run; its result goes to BENCH_RESULT_FD. */
static int child_main(const char *name, const char *bootstrap, const char *topic, const lcase *lc,
                      int seconds)
{
    result r = {0};
    n_records = lc->rate * seconds;
    lat_ns = malloc((size_t)n_records * sizeof(*lat_ns));
    state = malloc((size_t)n_records);
    if (!lat_ns || !state || bench_values_init()) return 1;
    /* Touched now, not during the timed run: the page faults of the
     * bench's own bookkeeping are no client's cost. */
    memset(lat_ns, 0, (size_t)n_records * sizeof(*lat_ns));
    memset(state, NOT_REPORTED, (size_t)n_records);
    if (!strcmp(name, "rdk"))
        run_rdk(bootstrap, topic, lc, &r);
    else
        run_kfk(bootstrap, topic, lc, &r);
    sum_up(&r); /* after destroy: a report it still served counts too */
    if (r.failed || r.missing || r.repeated)
        fprintf(stderr, "%s: of %ld records %ld failed, %ld had no report, %ld reports repeated\n",
                name, n_records, r.failed, r.missing, r.repeated);
    return bench_write_result(&r, sizeof(r));
}

/* --- running ----------------------------------------------------------------------- */

/* Runs one client in a fresh process (this binary with -C); false when
 * the process died or said nothing. */
static bool run_child(const char *self, const char *name, const char *bootstrap, const char *topic,
                      const lcase *lc, int seconds, result *r)
{
    char rate_s[32], linger_s[32], seconds_s[32];
    snprintf(rate_s, sizeof(rate_s), "%ld", lc->rate);
    snprintf(linger_s, sizeof(linger_s), "%d", lc->linger_ms);
    snprintf(seconds_s, sizeof(seconds_s), "%d", seconds);
    char *argv[20] = {(char *)self, "-C",          (char *)name, "-b",   (char *)bootstrap,
                      "-t",         (char *)topic, "-r",         rate_s, "-l",
                      linger_s,     "-d",          seconds_s};
    int argc = 13;
    if (bench_tls_ca) argv[argc++] = "-S", argv[argc++] = (char *)bench_tls_ca;
    *r = (result){0};
    return bench_spawn(argv, r, sizeof(*r)) == 0;
}

/* Each figure the median of the client's runs that came back. */
static result median_of(const result *runs, int n)
{
    double v[5][MAX_RUNS];
    for (int i = 0; i < n; i++) {
        v[0][i] = runs[i].p50_ms;
        v[1][i] = runs[i].p99_ms;
        v[2][i] = runs[i].p999_ms;
        v[3][i] = runs[i].rate;
        v[4][i] = runs[i].ns_msg;
    }
    return (result){.p50_ms = bench_median(v[0], n),
                    .p99_ms = bench_median(v[1], n),
                    .p999_ms = bench_median(v[2], n),
                    .rate = bench_median(v[3], n),
                    .ns_msg = bench_median(v[4], n)};
}

/* A client's runs: what came back, and whether any went wrong. */
typedef struct runs {
    result got[MAX_RUNS];
    int n;
    bool trouble; /* a process died, or records failed, went missing or repeated */
    bool behind;  /* a run's rate fell short of the target */
} runs;

static void add_run(runs *rs, bool ok, const result *r, const char *name, const lcase *lc)
{
    if (!ok) {
        fprintf(stderr, "# %s: the client's process died or said nothing\n", name);
        rs->trouble = true;
        return;
    }
    rs->got[rs->n++] = *r;
    if (r->failed || r->missing || r->repeated) rs->trouble = true;
    if (r->rate < BEHIND_SHARE * (double)lc->rate) rs->behind = true;
    if (r->late_ms > 10)
        fprintf(stderr, "# %s rate=%ld linger=%d: a produce call came %.1f ms after its time\n",
                name, lc->rate, lc->linger_ms, r->late_ms);
}

static void run_case(const char *self, kfk_mock_cluster *mc, const char *bootstrap, const lcase *lc,
                     int seconds, int n_runs)
{
    char topic[128];
    snprintf(topic, sizeof(topic), "bench-latency-%ld-%d-%d", lc->rate, lc->linger_ms,
             (int)getpid());
    bench_make_topic(mc, bootstrap, topic, PARTITIONS);
    const char *only = getenv("BENCH_ONLY");
    bool rdk_too = !(only && !strcmp(only, "kfk"));
    runs k = {0}, r = {0};
    /* kfk rdk, then rdk kfk, and so on: neither client always goes first. */
    for (int i = 0; i < n_runs; i++)
        for (int j = 0; j < 2; j++) {
            bool is_rdk = (j == 0) == (i % 2 == 1);
            if (is_rdk && !rdk_too) continue;
            const char *name = is_rdk ? "rdk" : "kfk";
            result x;
            bool ok = run_child(self, name, bootstrap, topic, lc, seconds, &x);
            add_run(is_rdk ? &r : &k, ok, &x, name, lc);
        }
    bench_drop_topic(bootstrap, topic);
    result km = median_of(k.got, k.n), rm = median_of(r.got, r.n);
    printf("bench latency size=%d rate=%ld linger=%d tls=%d kfk=%s rdk=%s kfk_p50_ms=%.3f "
           "rdk_p50_ms=%.3f kfk_p99_ms=%.3f rdk_p99_ms=%.3f kfk_p999_ms=%.3f rdk_p999_ms=%.3f "
           "p99_ratio=%.2f kfk_rate=%.0f rdk_rate=%.0f kfk_ns_msg=%.0f rdk_ns_msg=%.0f",
           SIZE, lc->rate, lc->linger_ms, bench_tls_ca != NULL, kfk_version_str(),
           rd_kafka_version_str(), km.p50_ms, rm.p50_ms, km.p99_ms, rm.p99_ms, km.p999_ms,
           rm.p999_ms, rm.p99_ms > 0 ? km.p99_ms / rm.p99_ms : 0, km.rate, rm.rate, km.ns_msg,
           rm.ns_msg);
    if (k.behind || r.behind)
        printf(" (fell behind the rate: %s)", k.behind && r.behind ? "both"
                                              : k.behind           ? "kfk"
                                                                   : "rdk");
    if (k.trouble || r.trouble) printf(" (some records failed)");
    printf("\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *name = NULL, *topic = NULL;
    lcase one = {0, -1}; /* -r RATE -l LINGER_MS: run just this case */
    int seconds = 0;
    for (int opt; (opt = getopt(argc, argv, "b:r:l:d:S:C:t:")) != -1;) {
        if (opt == 'b')
            bootstrap = optarg;
        else if (opt == 'r')
            one.rate = atol(optarg);
        else if (opt == 'l')
            one.linger_ms = atoi(optarg);
        else if (opt == 'd')
            seconds = atoi(optarg);
        else if (opt == 'S')
            bench_tls_ca = optarg;
        else if (opt == 'C')
            name = optarg;
        else if (opt == 't')
            topic = optarg;
        else
            return 2;
    }
    bool quick = getenv("BENCH_QUICK") != NULL;
    if (!seconds) seconds = quick ? 3 : 10;
    if (name)
        return bootstrap && topic && one.rate > 0 && one.linger_ms >= 0 && seconds > 0
                   ? child_main(name, bootstrap, topic, &one, seconds)
                   : 2;
    if (seconds <= 0 || (one.rate > 0) != (one.linger_ms >= 0)) {
        fprintf(stderr, "-r RATE and -l LINGER_MS go together; -d takes seconds\n");
        return 2;
    }
    char self[4096];
    if (bench_self_path(self, sizeof(self))) return 1;
    int n_runs = bench_runs(2, MAX_RUNS);
    kfk_mock_cluster *mc;
    int rc = bench_cluster(&bootstrap, &mc);
    if (rc) return rc;
    if (mc) kfk_mock_set_retention_bytes(mc, (size_t)64 << 20);
    static const lcase all[] = {{10000, 0}, {10000, 5}, {100000, 0}, {100000, 5}};
    const lcase *cases = all;
    size_t n_cases = quick ? 2 : sizeof(all) / sizeof(all[0]);
    if (one.rate > 0) {
        cases = &one;
        n_cases = 1;
    }
    for (size_t i = 0; i < n_cases; i++)
        run_case(self, mc, bootstrap, &cases[i], seconds, n_runs);
    kfk_mock_cluster_destroy(mc);
    return 0;
}
