/* scale_bench: how kfk's and librdkafka's costs grow with the cluster, side
 * by side, against a mock cluster of 50 brokers and 10,000 partitions (10
 * topics "scale-0".."scale-9" of 1,000 partitions each, leaders spread
 * round-robin, so 200 per broker). Cases, each a line:
 *
 *   idle=producer: a producer that has written one record to every
 *     partition (metadata of all, connections to all 50 brokers, every
 *     report checked) then sits idle for -d seconds, its application
 *     calling poll with up to 1 s timeouts: CPU ms per second and RSS;
 *   idle=consumer: a consumer assigned all 10,000 partitions at their end
 *     (nothing to fetch), once every partition has reported its end
 *     (partition EOF on for both, so that every leader has been fetched
 *     from), idle for -d seconds while polling, as above;
 *   produce: 100 B records explicitly partitioned round-robin over all
 *     10,000 partitions, after one warm-up record to each, every report
 *     checked: msgs/s and CPU ns per record;
 *   queue: 1,000,000 records of 100 B (100 per partition) queued with
 *     linger.ms 900000 and a buffer large enough, so that none is sent:
 *     RSS growth per record minus the record's 100 B, from a baseline
 *     taken after malloc_trim (the heap the warm-up freed is resident).
 *
 * Each client at its defaults but for what the producer benchmarks set for
 * both (acks=all, idempotence on, librdkafka's socket.nagle.disable) and,
 * for the queue case, the linger and buffer settings that keep records in.
 *
 * The mock runs in a process of its own (this binary, -M), each client in
 * a fresh one (-C kfk|rdk), so getrusage and RSS are the client's own.
 * Clients run alternately, kfk first, BENCH_RUNS times each (default 2);
 * figures are the medians (with two runs, their mean).
 *
 *   build/bench/scale_bench [-d IDLE_S] [-n PRODUCE_RECORDS] [-q QUEUED] [-x CASE]
 *   BENCH_QUICK=1: 3 s idle, 500,000 records produced
 *   one client alone (against `mockd --brokers 50 --topic scale-0:1000 ...`):
 *     build/bench/scale_bench -C kfk -M produce -b BOOTSTRAP -n N -d S 3>/dev/null
 *
 * A benchmark, never a test: nothing here asserts a figure. */
#include <librdkafka/rdkafka.h>
#include <malloc.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "kfk.h"
#include "kfk_mock.h"

#define BROKERS 50
#define TOPICS 10
#define PER_TOPIC 1000
#define PARTITIONS (TOPICS * PER_TOPIC)
#define SIZE 100

extern char **environ;

typedef struct result {
    double cpu_ms_s, msgs_s, ns_msg, rss_mb, queue_b;
    long failed;
} result;

static char topics[TOPICS][16];
static long n_ok, n_failed;

static void topics_init(void)
{
    for (int t = 0; t < TOPICS; t++)
        snprintf(topics[t], sizeof(topics[t]), "scale-%d", t);
}

/* Record i's partition: round-robin over all of them. */
static const char *topic_of(long i)
{
    return topics[(i % PARTITIONS) / PER_TOPIC];
}

static int32_t partition_of(long i)
{
    return (int32_t)(i % PER_TOPIC);
}

static void delivered(intptr_t i, bool failed)
{
    (void)i;
    if (failed)
        n_failed++;
    else
        n_ok++;
}

/* Idles for secs seconds calling poll(timeout) with at most 1 s at a time;
 * CPU ms per second of the whole process into r. */
static void idle(double secs, void (*poll)(void *client, int timeout_ms), void *client, result *r)
{
    int64_t t0 = bench_now_ns(), c0 = bench_cpu_ns(), end = t0 + (int64_t)(secs * 1e9);
    for (int64_t now = t0; now < end; now = bench_now_ns()) {
        int64_t left_ms = (end - now) / 1000000 + 1;
        poll(client, left_ms > 1000 ? 1000 : (int)left_ms);
    }
    double dt = (double)(bench_now_ns() - t0) / 1e9;
    r->cpu_ms_s = (double)(bench_cpu_ns() - c0) / 1e6 / dt;
    r->rss_mb = bench_rss_kb() / 1024.0;
}

/* RSS before the queue case's records, after giving the heap the warm-up
 * freed back to the OS: otherwise the records would first fill that
 * resident free memory and the growth would read low. */
static long queue_baseline_kb(void)
{
    malloc_trim(0);
    return bench_rss_kb();
}

/* One client's producer calls, so both clients run the same case body. */
typedef struct producer_ops {
    void *h;
    void (*put)(void *h, long i); /* produce record i, polling while the queue is full */
    void (*poll)(void *h, int timeout_ms);
    void (*flush)(void *h, int timeout_ms);
} producer_ops;

/* One record to every partition, flushed: metadata and connections. */
static void producer_warm(const producer_ops *o, const char *who)
{
    for (long i = 0; i < PARTITIONS; i++)
        o->put(o->h, i);
    o->flush(o->h, 60000);
    if (n_ok != PARTITIONS)
        fprintf(stderr, "%s warm-up: %ld of %d delivered\n", who, n_ok, PARTITIONS);
}

/* mode pidle: idle for secs; queue: n records queued behind a long
 * linger, then the process exits with its result (a destroy would wait
 * out the linger); else n records produced and flushed. */
static void producer_run(const producer_ops *o, const char *mode, long n, double secs, result *r)
{
    if (!strcmp(mode, "pidle")) {
        idle(secs, o->poll, o->h, r);
    } else if (!strcmp(mode, "queue")) {
        long rss0 = queue_baseline_kb();
        for (long i = 0; i < n; i++)
            o->put(o->h, i);
        r->queue_b = (double)(bench_rss_kb() - rss0) * 1024 / (double)n - SIZE;
        r->rss_mb = bench_rss_kb() / 1024.0;
        r->failed = n_failed + (n_ok != PARTITIONS);
        _exit(bench_write_result(r, sizeof(*r)));
    } else {
        int64_t t0 = bench_now_ns(), c0 = bench_cpu_ns();
        for (long i = 0; i < n; i++) {
            o->put(o->h, i);
            if ((i & 1023) == 0) o->poll(o->h, 0);
        }
        o->flush(o->h, 120000);
        r->msgs_s = (double)n * 1e9 / (double)(bench_now_ns() - t0);
        r->ns_msg = (double)(bench_cpu_ns() - c0) / (double)n;
        r->rss_mb = bench_peak_rss_kb() / 1024.0;
    }
    r->failed = n_failed + (n_ok != PARTITIONS + (r->msgs_s > 0 ? n : 0));
}

/* --- kfk --------------------------------------------------------------------------- */

static void kfk_put(void *p, long i)
{
    kfk_record rec = {.topic = topic_of(i),
                      .partition = partition_of(i),
                      .value = bench_value(i, SIZE),
                      .value_len = SIZE};
    kfk_err e;
    while ((e = kfk_produce(p, &rec, (void *)(intptr_t)i)) == KFK_ERR_QUEUE_FULL)
        kfk_producer_poll(p, 1);
    if (e) n_failed++;
}

static void kfk_poll_p(void *p, int timeout_ms)
{
    kfk_producer_poll(p, timeout_ms);
}

static void kfk_flush(void *p, int timeout_ms)
{
    kfk_producer_flush(p, timeout_ms);
}

static void kfk_poll_c(void *c, int timeout_ms)
{
    kfk_message *m = kfk_consumer_poll(c, timeout_ms);
    if (m && kfk_message_error(m) != KFK_ERR_PARTITION_EOF) n_failed++;
    kfk_message_release(m);
}

static void kfk_producer_case(const char *bootstrap, const char *mode, long n, double secs,
                              result *r)
{
    kfk_conf *conf = bench_kfk_producer_conf(bootstrap);
    if (!strcmp(mode, "queue")) {
        bench_kset(conf, "linger.ms", "900000");
        bench_kset(conf, "delivery.timeout.ms", "2000000");
        bench_kset(conf, "buffer.memory", "2147483648");
    }
    kfk_producer *p = bench_kfk_producer(conf, delivered);
    producer_ops o = {p, kfk_put, kfk_poll_p, kfk_flush};
    producer_warm(&o, "kfk");
    producer_run(&o, mode, n, secs, r);
    kfk_producer_destroy(p);
}

static void kfk_consumer_case(const char *bootstrap, double secs, result *r)
{
    char err[512];
    kfk_consumer *c = kfk_consumer_new(bench_kfk_conf(bootstrap), err, sizeof(err));
    kfk_partition_list *list = kfk_partition_list_new(PARTITIONS);
    if (!c || !list) {
        fprintf(stderr, "kfk consumer: %s\n", c ? "no memory" : err);
        exit(1);
    }
    kfk_consumer_report_eof(c, true);
    for (size_t i = 0; i < PARTITIONS; i++) {
        kfk_partition_list_add(list, topic_of((long)i), partition_of((long)i));
        kfk_partition_list_set_offset(list, i, KFK_OFFSET_END);
    }
    kfk_consumer_assign(c, list);
    kfk_partition_list_destroy(list);
    static bool eof[PARTITIONS];
    long n_eof = 0;
    for (int64_t end = bench_now_ns() + 120 * (int64_t)1000000000;
         n_eof < PARTITIONS && bench_now_ns() < end;) {
        kfk_message *m = kfk_consumer_poll(c, 1000);
        if (m && kfk_message_error(m) == KFK_ERR_PARTITION_EOF) {
            long t = atol(kfk_message_topic(m) + strlen("scale-"));
            long i = t * PER_TOPIC + kfk_message_partition(m);
            if (t >= 0 && t < TOPICS && !eof[i]) eof[i] = true, n_eof++;
        }
        kfk_message_release(m);
    }
    if (n_eof < PARTITIONS) fprintf(stderr, "kfk: %ld of %d partitions reached\n", n_eof, PARTITIONS);
    idle(secs, kfk_poll_c, c, r);
    r->failed = n_failed + (n_eof < PARTITIONS);
    kfk_consumer_close(c, 10000);
    kfk_consumer_destroy(c);
}

/* --- librdkafka ---------------------------------------------------------------------- */

static void rdk_put(void *rk, long i)
{
    rd_kafka_resp_err_t e;
    while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic_of(i)),
                                  RD_KAFKA_V_PARTITION(partition_of(i)),
                                  RD_KAFKA_V_VALUE((void *)bench_value(i, SIZE), SIZE),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_OPAQUE((void *)(intptr_t)i), RD_KAFKA_V_END)) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 1);
    if (e) n_failed++;
}

static void rdk_poll_p(void *rk, int timeout_ms)
{
    rd_kafka_poll(rk, timeout_ms);
}

static void rdk_flush(void *rk, int timeout_ms)
{
    rd_kafka_flush(rk, timeout_ms);
}

static void rdk_poll_c(void *rk, int timeout_ms)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, timeout_ms);
    if (m && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) n_failed++;
    if (m) rd_kafka_message_destroy(m);
}

static void rdk_producer_case(const char *bootstrap, const char *mode, long n, double secs,
                              result *r)
{
    rd_kafka_conf_t *conf = bench_rdk_producer_conf(bootstrap);
    if (!strcmp(mode, "queue")) {
        bench_rset(conf, "linger.ms", "900000");
        bench_rset(conf, "message.timeout.ms", "2000000");
        bench_rset(conf, "queue.buffering.max.kbytes", "2097152");
        bench_rset(conf, "queue.buffering.max.messages", "10000000");
    }
    rd_kafka_t *rk = bench_rdk_producer(conf, delivered);
    producer_ops o = {rk, rdk_put, rdk_poll_p, rdk_flush};
    producer_warm(&o, "rdk");
    producer_run(&o, mode, n, secs, r);
    rd_kafka_destroy(rk);
}

static void rdk_consumer_case(const char *bootstrap, double secs, result *r)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    bench_rset(conf, "bootstrap.servers", bootstrap);
    bench_rset(conf, "enable.partition.eof", "true");
    /* librdkafka's consumer poll wants one, even with assign. */
    char group[64];
    snprintf(group, sizeof(group), "scale-bench-%d", (int)getpid());
    bench_rset(conf, "group.id", group);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "librdkafka consumer: %s\n", err);
        exit(1);
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(PARTITIONS);
    for (long i = 0; i < PARTITIONS; i++)
        rd_kafka_topic_partition_list_add(list, topic_of(i), partition_of(i))->offset =
            RD_KAFKA_OFFSET_END;
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    static bool eof[PARTITIONS];
    long n_eof = 0;
    for (int64_t end = bench_now_ns() + 120 * (int64_t)1000000000;
         n_eof < PARTITIONS && bench_now_ns() < end;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (m && m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            long t = atol(rd_kafka_topic_name(m->rkt) + strlen("scale-"));
            long i = t * PER_TOPIC + m->partition;
            if (t >= 0 && t < TOPICS && !eof[i]) eof[i] = true, n_eof++;
        } else if (m && m->err && n_failed++ < 3) {
            fprintf(stderr, "rdk consumer: %s\n", rd_kafka_message_errstr(m));
        }
        if (m) rd_kafka_message_destroy(m);
    }
    if (n_eof < PARTITIONS) fprintf(stderr, "rdk: %ld of %d partitions reached\n", n_eof, PARTITIONS);
    idle(secs, rdk_poll_c, rk, r);
    r->failed = n_failed + (n_eof < PARTITIONS);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* --- the mock's process -------------------------------------------------------------- */

/* -M mock: the cluster, "bootstrap=..." on stdout, served until stdin ends. */
static int mock_main(void)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(BROKERS);
    if (!mc) return 1;
    kfk_mock_set_check_crcs(mc, false);
    for (int t = 0; t < TOPICS; t++)
        if (kfk_mock_topic_create(mc, topics[t], PER_TOPIC, 1) != KFK_OK) return 1;
    printf("bootstrap=%s\n", kfk_mock_cluster_bootstrap(mc));
    fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof(buf)) > 0) {
    }
    kfk_mock_cluster_destroy(mc);
    return 0;
}

typedef struct mockd {
    pid_t pid;
    int in; /* its stdin: closing it stops the mock */
    char bootstrap[4096];
} mockd;

/* Starts the mock's process; bootstrap gets its first three brokers. */
static int mock_start(const char *self, mockd *m)
{
    int in[2], out[2];
    if (pipe(in) || pipe(out)) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *argv[] = {(char *)self, "-M", "mock", NULL};
    int e = posix_spawn(&m->pid, self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    m->in = in[1];
    FILE *f = fdopen(out[0], "r");
    char line[4096] = "";
    if (e || !f || !fgets(line, sizeof(line), f) || strncmp(line, "bootstrap=", 10)) return -1;
    fclose(f);
    char *s = line + 10, *cut = s;
    for (int i = 0; i < 3 && cut; i++)
        cut = strchr(cut + 1, ',');
    if (cut) *cut = 0;
    s[strcspn(s, "\n")] = 0;
    snprintf(m->bootstrap, sizeof(m->bootstrap), "%s", s);
    return 0;
}

static void mock_stop(mockd *m)
{
    close(m->in);
    waitpid(m->pid, NULL, 0);
}

/* --- running ----------------------------------------------------------------------- */

static int child_main(const char *client, const char *mode, const char *bootstrap, long n,
                      double secs)
{
    result r = {0};
    if (bench_values_init()) return 1;
    bool rdk = !strcmp(client, "rdk");
    if (!strcmp(mode, "cidle"))
        rdk ? rdk_consumer_case(bootstrap, secs, &r) : kfk_consumer_case(bootstrap, secs, &r);
    else if (rdk)
        rdk_producer_case(bootstrap, mode, n, secs, &r);
    else
        kfk_producer_case(bootstrap, mode, n, secs, &r);
    return bench_write_result(&r, sizeof(r));
}

static result run_child(const char *self, const char *client, const char *mode,
                        const char *bootstrap, long n, double secs)
{
    char n_s[32], d_s[32];
    snprintf(n_s, sizeof(n_s), "%ld", n);
    snprintf(d_s, sizeof(d_s), "%g", secs);
    char *argv[] = {(char *)self, "-C", (char *)client, "-M", (char *)mode, "-b",
                    (char *)bootstrap, "-n", n_s, "-d", d_s, NULL};
    result r = {0};
    if (bench_spawn(argv, &r, sizeof(r))) r.failed = -1;
    return r;
}

/* The median of each figure over n runs; failed if any run failed. */
static result median(const result *rs, int n)
{
    double v[5][64];
    for (int i = 0; i < n; i++) {
        v[0][i] = rs[i].cpu_ms_s, v[1][i] = rs[i].msgs_s, v[2][i] = rs[i].ns_msg;
        v[3][i] = rs[i].rss_mb, v[4][i] = rs[i].queue_b;
    }
    result m = {.cpu_ms_s = bench_median(v[0], n),
                .msgs_s = bench_median(v[1], n),
                .ns_msg = bench_median(v[2], n),
                .rss_mb = bench_median(v[3], n),
                .queue_b = bench_median(v[4], n)};
    for (int i = 0; i < n; i++)
        if (rs[i].failed) m.failed = rs[i].failed;
    return m;
}

/* Both clients, alternately (kfk first, then rdk first, ...), runs each. */
static void run_both(const char *self, const char *mode, const char *bootstrap, long n,
                     double secs, int runs, result *k, result *r)
{
    result ks[64], rs[64];
    for (int i = 0; i < runs; i++) {
        bool kfk_first = i % 2 == 0;
        if (kfk_first) ks[i] = run_child(self, "kfk", mode, bootstrap, n, secs);
        rs[i] = run_child(self, "rdk", mode, bootstrap, n, secs);
        if (!kfk_first) ks[i] = run_child(self, "kfk", mode, bootstrap, n, secs);
    }
    *k = median(ks, runs);
    *r = median(rs, runs);
}

static const char *failures(const result *k, const result *r)
{
    return k->failed && r->failed ? " (both: some records or partitions failed)"
           : k->failed            ? " (kfk: some records or partitions failed)"
           : r->failed            ? " (rdk: some records or partitions failed)"
                                  : "";
}

static void print_head(const char *what, int runs)
{
    printf("bench scale %s brokers=%d partitions=%d runs=%d kfk=%s rdk=%s", what, BROKERS,
           PARTITIONS, runs, kfk_version_str(), rd_kafka_version_str());
}

static void idle_case(const char *self, const char *bootstrap, bool consumer, double secs, int runs)
{
    result k, r;
    run_both(self, consumer ? "cidle" : "pidle", bootstrap, 0, secs, runs, &k, &r);
    print_head(consumer ? "idle=consumer" : "idle=producer", runs);
    printf(" seconds=%g kfk_cpu_ms_s=%.2f rdk_cpu_ms_s=%.2f cpu_ratio=%.3f kfk_rss_mb=%.1f "
           "rdk_rss_mb=%.1f rss_ratio=%.2f%s\n",
           secs, k.cpu_ms_s, r.cpu_ms_s, k.cpu_ms_s / r.cpu_ms_s, k.rss_mb, r.rss_mb,
           k.rss_mb / r.rss_mb, failures(&k, &r));
    fflush(stdout);
}

static void produce_case(const char *self, const char *bootstrap, long n, int runs)
{
    result k, r;
    run_both(self, "produce", bootstrap, n, 0, runs, &k, &r);
    print_head("produce", runs);
    printf(" size=%d records=%ld kfk_msgs_s=%.0f rdk_msgs_s=%.0f msgs_ratio=%.2f kfk_ns_msg=%.0f "
           "rdk_ns_msg=%.0f cpu_ratio=%.2f kfk_rss_mb=%.0f rdk_rss_mb=%.0f%s\n",
           SIZE, n, k.msgs_s, r.msgs_s, k.msgs_s / r.msgs_s, k.ns_msg, r.ns_msg,
           k.ns_msg / r.ns_msg, k.rss_mb, r.rss_mb, failures(&k, &r));
    fflush(stdout);
}

static void queue_case(const char *self, const char *bootstrap, long n, int runs)
{
    result k, r;
    run_both(self, "queue", bootstrap, n, 0, runs, &k, &r);
    print_head("queue", runs);
    printf(" size=%d records=%ld kfk_extra_b_rec=%.1f rdk_extra_b_rec=%.1f extra_ratio=%.2f "
           "kfk_rss_mb=%.0f rdk_rss_mb=%.0f%s\n",
           SIZE, n, k.queue_b, r.queue_b, k.queue_b / r.queue_b, k.rss_mb, r.rss_mb,
           failures(&k, &r));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *client = NULL, *mode = NULL, *only = NULL;
    bool quick = getenv("BENCH_QUICK") != NULL;
    long n = quick ? 500000 : 2000000, queued = 1000000;
    double secs = quick ? 3 : 10;
    for (int opt; (opt = getopt(argc, argv, "b:C:M:n:q:d:x:")) != -1;) {
        if (opt == 'b')
            bootstrap = optarg;
        else if (opt == 'C')
            client = optarg;
        else if (opt == 'M')
            mode = optarg;
        else if (opt == 'n')
            n = atol(optarg);
        else if (opt == 'q')
            queued = atol(optarg);
        else if (opt == 'd')
            secs = atof(optarg);
        else if (opt == 'x')
            only = optarg;
        else
            return 2;
    }
    topics_init();
    if (mode && !strcmp(mode, "mock")) return mock_main();
    if (client) return mode && bootstrap && n >= 0 ? child_main(client, mode, bootstrap, n, secs) : 2;
    int runs = bench_runs(2, 64);
    if (n < 1 || queued < 1 || secs <= 0) return 2;
    char self[4096];
    mockd m;
    if (bench_self_path(self, sizeof(self)) || mock_start(self, &m)) {
        fprintf(stderr, "scale_bench: the mock cluster did not start\n");
        return 1;
    }
    if (!only || !strcmp(only, "idle")) {
        idle_case(self, m.bootstrap, false, secs, runs);
        idle_case(self, m.bootstrap, true, secs, runs);
    }
    if (!only || !strcmp(only, "produce")) produce_case(self, m.bootstrap, n, runs);
    if (!only || !strcmp(only, "queue")) queue_case(self, m.bootstrap, queued, runs);
    mock_stop(&m);
    return 0;
}
