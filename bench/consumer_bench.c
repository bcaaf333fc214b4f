/* consumer_bench: kfk and librdkafka consuming side by side, same broker,
 * same data, same fetch settings, one line per case:
 *
 *   bench consume size=100 codec=none settings=equal tls=0 kfk=0.1.0 rdk=2.16.0 kfk_msgs_s=N
 *     rdk_msgs_s=N msgs_ratio=R kfk_ns_msg=N rdk_ns_msg=N cpu_ratio=R kfk_rss_mb=N rdk_rss_mb=N
 *
 * (on one line). Each case loads a topic of 4 partitions once with kfk's
 * producer (batch.size 16384, linger.ms 5, the case's codec; values are
 * text-like bytes that compress about 3:1, no key), then each client reads
 * all of it from the beginning with manual assignment (kfk_consumer_assign
 * / rd_kafka_assign) through its batch poll (kfk_consumer_poll_batch /
 * rd_kafka_consume_batch_queue, 1024 at a time), touching every value's
 * first byte. Each client runs in a process of its own, spawned fresh
 * (posix_spawn, so the parent's memory, which holds the mock's log, is not
 * counted): getrusage deltas and the peak RSS (VmHWM) are that client's
 * alone.
 * The clock and CPU count run from the assign to the last message. Each
 * client reads the data twice, in the order kfk rdk rdk kfk, and the line
 * shows each one's faster run.
 *
 * Fetch settings, the same for both: fetch.min.bytes=1,
 * fetch.max.wait.ms=500, fetch.max.bytes=50 MiB,
 * max.partition.fetch.bytes=1 MiB, 64 MiB of prefetch (kfk
 * fetch.queue.max.bytes; librdkafka queued.max.messages.kbytes),
 * check.crcs=false (librdkafka's default; -c turns it on for both), and
 * the socket receive buffer left to the OS (librdkafka's default; kfk's,
 * like Java's, is 64 KiB, which costs it about 1.7x the CPU per 1 KiB
 * record here; -r BYTES sets SO_RCVBUF for both).
 *
 * Without -b the cluster is an in-process mock of 1 broker (CRC checks off,
 * retention large enough for every case).
 *
 * -S CAFILE runs everything over TLS (tls=1 on the line): kfk (loader,
 * admin, consumer) with security.protocol=SSL and
 * ssl.truststore.location=CAFILE, librdkafka with security.protocol=ssl and
 * ssl.ca.location=CAFILE; -b must then name the broker's SSL listener (the
 * mock has no TLS).
 *
 *   build/bench/consumer_bench [-b BOOTSTRAP] [-n RECORDS] [-s SIZE -z CODEC] [-c] [-k] [-r BYTES]
 *       [-S CAFILE]
 *   -k keeps each case's topic (for profiling one client alone:
 *   consumer_bench -C kfk|rdk -b BOOTSTRAP -t TOPIC -n RECORDS 3>/dev/null)
 *   BENCH_QUICK=1: 100 B none and lz4, 2M records each
 *   BENCH_ONLY=kfk: skip librdkafka (profiling)
 *   BENCH_RUNS=1: each client once (kfk first) instead of twice
 *
 * A benchmark, never a test: nothing here asserts a figure. */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "kfk.h"
#include "kfk_mock.h"

#define PARTITIONS 4
#define POLL_MAX 1024
/* A client that gets nothing for this long gives up (the line says so). */
#define STALL_MS 30000

typedef struct bcase {
    int size;
    const char *codec;
} bcase;

typedef struct result {
    double msgs_s, ns_msg, rss_mb;
    long got;
    int failed;
} result;

static int check_crcs, keep_topic;
static long rcvbuf; /* -r: SO_RCVBUF for both; 0: the OS's default (autotuning) */

static void finish(result *r, long n, int64_t t0, int64_t c0)
{
    int64_t dt = bench_now_ns() - t0, dc = bench_cpu_ns() - c0;
    r->got = n;
    r->msgs_s = n ? (double)n * 1e9 / (double)dt : 0;
    r->ns_msg = n ? (double)dc / (double)n : 0;
    r->rss_mb = bench_peak_rss_kb() / 1024.0;
}

/* Where "consumed" is kept, so the compiler cannot drop the reads. */
static volatile unsigned sink;

/* --- kfk ------------------------------------------------------------------------- */

static void consume_kfk(const char *bootstrap, const char *topic, long n, result *r)
{
    kfk_conf *conf = bench_kfk_conf(bootstrap);
    char err[512];
    bench_kset(conf, "fetch.min.bytes", "1");
    bench_kset(conf, "fetch.max.wait.ms", "500");
    bench_kset(conf, "fetch.max.bytes", "52428800");
    bench_kset(conf, "max.partition.fetch.bytes", "1048576");
    bench_kset(conf, "fetch.queue.max.bytes", "67108864");
    bench_kset(conf, "check.crcs", check_crcs ? "true" : "false");
    char mp[16];
    snprintf(mp, sizeof(mp), "%d", POLL_MAX); /* librdkafka's batch poll has no cap */
    bench_kset(conf, "max.poll.records", mp);
    char rb[32];
    snprintf(rb, sizeof(rb), "%ld", rcvbuf > 0 ? rcvbuf : -1L); /* -1: the OS's */
    bench_kset(conf, "receive.buffer.bytes", rb);
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "kfk: %s\n", err);
        exit(1);
    }
    kfk_partition_list *list = kfk_partition_list_new(PARTITIONS);
    for (int i = 0; list && i < PARTITIONS; i++)
        if (kfk_partition_list_add(list, topic, i) ||
            kfk_partition_list_set_offset(list, (size_t)i, KFK_OFFSET_BEGINNING)) {
            kfk_partition_list_destroy(list);
            list = NULL;
        }
    if (!list) {
        fprintf(stderr, "kfk assign: out of memory\n");
        exit(1);
    }
    int64_t t0 = bench_now_ns(), c0 = bench_cpu_ns(), last = t0;
    kfk_err ae = kfk_consumer_assign(c, list);
    kfk_partition_list_destroy(list);
    if (ae) {
        fprintf(stderr, "kfk assign: %s\n", kfk_err_str(ae));
        exit(1);
    }
    kfk_message *msgs[POLL_MAX];
    long got = 0;
    unsigned acc = 0;
    while (got < n) {
        size_t k = kfk_consumer_poll_batch(c, msgs, POLL_MAX, 1000);
        for (size_t i = 0; i < k; i++) {
            if (kfk_message_error(msgs[i]) == KFK_OK) {
                size_t len;
                const unsigned char *v = kfk_message_value(msgs[i], &len);
                acc += (unsigned)len + (v && len ? v[0] : 0);
                got++;
            } else {
                fprintf(stderr, "kfk: %s\n", kfk_err_str(kfk_message_error(msgs[i])));
            }
            kfk_message_release(msgs[i]);
        }
        int64_t now = bench_now_ns();
        if (k) last = now;
        if (now - last > (int64_t)STALL_MS * 1000000) {
            r->failed = 1;
            break;
        }
    }
    finish(r, got, t0, c0);
    sink = acc;
    kfk_consumer_destroy(c);
}

/* --- librdkafka ------------------------------------------------------------------ */

static void consume_rdk(const char *bootstrap, const char *topic, long n, result *r)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512], group[64];
    snprintf(group, sizeof(group), "bench-rdk-%d", (int)getpid());
    bench_rset(conf, "bootstrap.servers", bootstrap);
    /* The consumer queue needs a group; assign() uses no group protocol. */
    bench_rset(conf, "group.id", group);
    bench_rset(conf, "enable.auto.commit", "false");
    bench_rset(conf, "enable.auto.offset.store", "false");
    bench_rset(conf, "fetch.min.bytes", "1");
    bench_rset(conf, "fetch.wait.max.ms", "500");
    bench_rset(conf, "fetch.max.bytes", "52428800");
    bench_rset(conf, "max.partition.fetch.bytes", "1048576");
    bench_rset(conf, "queued.max.messages.kbytes", "65536");
    bench_rset(conf, "check.crcs", check_crcs ? "true" : "false");
    char rb[32];
    snprintf(rb, sizeof(rb), "%ld", rcvbuf > 0 ? rcvbuf : 0L); /* 0: the OS's */
    bench_rset(conf, "socket.receive.buffer.bytes", rb);
    bench_rdk_tls(conf);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "librdkafka: %s\n", err);
        exit(1);
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(PARTITIONS);
    for (int i = 0; i < PARTITIONS; i++)
        rd_kafka_topic_partition_list_add(list, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    int64_t t0 = bench_now_ns(), c0 = bench_cpu_ns(), last = t0;
    rd_kafka_resp_err_t re = rd_kafka_assign(rk, list);
    if (re) {
        fprintf(stderr, "librdkafka assign: %s\n", rd_kafka_err2str(re));
        exit(1);
    }
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_message_t *msgs[POLL_MAX];
    long got = 0;
    unsigned acc = 0;
    while (got < n) {
        ssize_t k = rd_kafka_consume_batch_queue(q, 1000, msgs, POLL_MAX);
        for (ssize_t i = 0; i < k; i++) {
            if (!msgs[i]->err) {
                const unsigned char *v = msgs[i]->payload;
                acc += (unsigned)msgs[i]->len + (v && msgs[i]->len ? v[0] : 0);
                got++;
            } else if (msgs[i]->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                fprintf(stderr, "librdkafka: %s\n", rd_kafka_err2str(msgs[i]->err));
            }
            rd_kafka_message_destroy(msgs[i]);
        }
        int64_t now = bench_now_ns();
        if (k > 0) last = now;
        if (now - last > (int64_t)STALL_MS * 1000000) {
            r->failed = 1;
            break;
        }
    }
    finish(r, got, t0, c0);
    sink = acc;
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* --- loading ------------------------------------------------------------------------ */

/* --- running ----------------------------------------------------------------------- */

/* Runs one client in a fresh process (this binary with -C), which writes
 * its result to BENCH_RESULT_FD. */
static result run_child(const char *self, const char *client, const char *bootstrap,
                        const char *topic, long n)
{
    result r = {.failed = 1};
    char n_s[32];
    snprintf(n_s, sizeof(n_s), "%ld", n);
    char rb_s[32];
    snprintf(rb_s, sizeof(rb_s), "-r%ld", rcvbuf);
    char *argv[16] = {(char *)self, "-C", (char *)client, "-b", (char *)bootstrap,
                      "-t", (char *)topic, "-n", n_s, rb_s};
    int argc = 10;
    if (check_crcs) argv[argc++] = "-c";
    if (bench_tls_ca) argv[argc++] = "-S", argv[argc++] = (char *)bench_tls_ca;
    if (bench_spawn(argv, &r, sizeof(r))) r.failed = 1;
    return r;
}

static int child_main(const char *client, const char *bootstrap, const char *topic, long n)
{
    result r = {0};
    if (!strcmp(client, "kfk"))
        consume_kfk(bootstrap, topic, n, &r);
    else
        consume_rdk(bootstrap, topic, n, &r);
    return bench_write_result(&r, sizeof(r));
}

static void run_case(const char *self, kfk_mock_cluster *mc, const char *bootstrap,
                     const bcase *c, long n)
{
    char topic[128];
    snprintf(topic, sizeof(topic), "bench-consume-%d-%s-%d", c->size, c->codec, (int)getpid());
    bench_make_topic(mc, bootstrap, topic, PARTITIONS);
    if (bench_load_topic(bootstrap, topic, n, c->size, c->codec)) {
        bench_drop_topic(bootstrap, topic);
        return;
    }
    /* Twice each, kfk rdk rdk kfk: the first read after the load runs
     * while the broker is still busy with it, which would otherwise always
     * fall to the same client. Each client's faster run counts. */
    const char *only = getenv("BENCH_ONLY");
    bool rdk_too = !(only && !strcmp(only, "kfk"));
    int runs = getenv("BENCH_RUNS") ? atoi(getenv("BENCH_RUNS")) : 2;
    result k = {.failed = 1}, r = {.msgs_s = 1, .ns_msg = 1, .got = n};
    if (rdk_too) r.failed = 1, r.msgs_s = 0;
    for (int i = 0; i < (runs == 1 ? 1 : 2); i++) {
        bool kfk_first = i == 0;
        for (int j = 0; j < 2; j++) {
            bool is_kfk = (j == 0) == kfk_first;
            if (!is_kfk && !rdk_too) continue;
            result x = run_child(self, is_kfk ? "kfk" : "rdk", bootstrap, topic, n);
            result *best = is_kfk ? &k : &r;
            if (best->failed || (!x.failed && x.msgs_s > best->msgs_s)) *best = x;
        }
    }
    if (keep_topic)
        fprintf(stderr, "# kept topic %s (%ld records)\n", topic, n);
    else
        bench_drop_topic(bootstrap, topic);
    printf("bench consume size=%d codec=%s settings=equal tls=%d kfk=%s rdk=%s kfk_msgs_s=%.0f "
           "rdk_msgs_s=%.0f msgs_ratio=%.2f kfk_ns_msg=%.0f rdk_ns_msg=%.0f cpu_ratio=%.2f "
           "kfk_rss_mb=%.0f rdk_rss_mb=%.0f%s\n",
           c->size, c->codec, bench_tls_ca != NULL, kfk_version_str(), rd_kafka_version_str(),
           k.msgs_s, r.msgs_s, k.msgs_s / r.msgs_s, k.ns_msg, r.ns_msg, k.ns_msg / r.ns_msg,
           k.rss_mb, r.rss_mb,
           k.failed || r.failed || k.got != n || r.got != n ? " (a client did not get every record)"
                                                            : "");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *client = NULL, *topic = NULL;
    long n_arg = 0;
    bcase one = {0}; /* -s SIZE -z CODEC: run just this case */
    for (int opt; (opt = getopt(argc, argv, "b:n:s:z:ckr:C:t:S:")) != -1;) {
        if (opt == 'b')
            bootstrap = optarg;
        else if (opt == 'n')
            n_arg = atol(optarg);
        else if (opt == 's')
            one.size = atoi(optarg);
        else if (opt == 'z')
            one.codec = optarg;
        else if (opt == 'c')
            check_crcs = 1;
        else if (opt == 'k')
            keep_topic = 1;
        else if (opt == 'r')
            rcvbuf = atol(optarg);
        else if (opt == 'C')
            client = optarg;
        else if (opt == 't')
            topic = optarg;
        else if (opt == 'S')
            bench_tls_ca = optarg;
        else
            return 2;
    }
    if (client) return bootstrap && topic && n_arg > 0 ? child_main(client, bootstrap, topic, n_arg)
                                                       : 2;
    char self[4096];
    if (bench_self_path(self, sizeof(self))) return 1;
    kfk_mock_cluster *mc;
    int rc = bench_cluster(&bootstrap, &mc);
    if (rc) return rc;
    if (mc) kfk_mock_set_retention_bytes(mc, (size_t)16 << 30);
    static const bcase all[] = {
        {100, "none"},  {100, "lz4"},  {100, "zstd"},
        {1024, "none"}, {1024, "lz4"}, {1024, "zstd"},
    };
    const bcase *cases = all;
    int quick = getenv("BENCH_QUICK") != NULL;
    size_t n_cases = quick ? 2 : sizeof(all) / sizeof(all[0]);
    if (one.size) {
        if (!one.codec) one.codec = "none";
        cases = &one;
        n_cases = 1;
    }
    for (size_t i = 0; i < n_cases; i++) {
        /* 10M records of 100 B; of 1 KiB, 2M (10M would be 10 GiB to keep
         * in the mock's memory and to load per case). */
        long n = cases[i].size <= 100 ? 10000000 : 2000000;
        if (quick) n = 2000000;
        if (n_arg) n = n_arg;
        run_case(self, mc, bootstrap, &cases[i], n);
    }
    kfk_mock_cluster_destroy(mc);
    return 0;
}
