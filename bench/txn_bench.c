/* txn_bench: kfk and librdkafka producing in transactions side by side,
 * same broker, one line per case:
 *
 *   bench txn size=100 every=1000 records=1000000 batch=defaults tls=0 kfk=0.1.0 rdk=2.16.0
 * kfk_msgs_s=N rdk_msgs_s=N msgs_ratio=R kfk_ns_msg=N rdk_ns_msg=N cpu_ratio=R kfk_commit_p50_ms=N
 *     rdk_commit_p50_ms=N kfk_commit_p99_ms=N rdk_commit_p99_ms=N kfk_rss_mb=N rdk_rss_mb=N
 *
 * (on one line). Each client writes `records` keyless records of `size`
 * bytes to a topic of 4 partitions, committing a transaction every `every`
 * records: begin, produce `every` records, commit (which sends what is
 * still queued, then ends the transaction). batch=defaults leaves each
 * client at its own defaults but for transactional.id (and acks=all and
 * idempotence, which transactions imply; set explicitly for both);
 * batch=N gives both batch.size N, linger.ms 5 and 32 MiB of buffer (kfk
 * buffer.memory; librdkafka queue.buffering.max.kbytes, with
 * queue.buffering.max.messages out of the way).
 *
 * Every delivery report is checked: after each commit every record of the
 * transaction must have been reported delivered, and the line says so
 * when a record failed, went unreported, or a transactional call failed
 * (the child prints the error and its class on stderr, and stops).
 *
 * Each client runs in a process of its own, spawned fresh (posix_spawn of
 * this binary with -C kfk|rdk), so that getrusage CPU and the peak RSS
 * (VmHWM) are its own, not the mock's, which lives in the parent. The
 * clock and CPU run from the first timed begin to the last commit's
 * return; init_transactions and one warm-up transaction of one record
 * (metadata, coordinator, producer id) come before. The commit latency is
 * the time commit_transaction takes, per transaction. Each client runs
 * twice, in the order kfk rdk rdk kfk; the line shows each client's faster
 * run. Without -b the cluster is an in-process mock of 1 broker (CRC
 * checks off).
 *
 *   build/bench/txn_bench [-b BOOTSTRAP] [-S CAFILE] [-n RECORDS] [-e EVERY] [-s SIZE]
 *       [-B BATCH]
 *   -e EVERY runs just that case (at defaults; with -B BATCH, at equal settings)
 *   BENCH_QUICK=1: both commit intervals at defaults, fewer records
 *   BENCH_ONLY=kfk: skip librdkafka; BENCH_RUNS=1: each client once, kfk first
 *
 * A benchmark, never a test: nothing here asserts a figure. */
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
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
/* How long a transactional call may take, and a full queue may stay full,
 * before the run is given up as stalled. */
#define CALL_TIMEOUT_MS 60000

typedef struct tcase {
    long every; /* records per transaction */
    int batch;  /* 0: each client's defaults; else batch.size for both */
} tcase;

typedef struct result {
    double msgs_s, ns_msg, rss_mb, commit_p50_ms, commit_p99_ms;
    long acked;      /* records reported delivered */
    long failed;     /* records reported failed */
    long early;      /* commits that returned before every record was reported */
    char error[160]; /* the transactional call that failed and why; "" if none */
} result;

/* What the child was asked to do. */
typedef struct targs {
    const char *bootstrap, *topic;
    long n, every;
    int size, batch;
} targs;

/* Error text for a person: truncation is fine. */
__attribute__((format(printf, 3, 4))) static void say(char *dst, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, len, fmt, ap);
    va_end(ap);
}

/* Set by the delivery callbacks. */
static long n_acked, n_failed;
static char first_dr_error[96];

static void delivered(int failed, const char *why)
{
    if (!failed) {
        n_acked++;
        return;
    }
    if (!n_failed++) say(first_dr_error, sizeof(first_dr_error), "%s", why);
}

/* One client's transactional calls, so that one loop drives both. Each
 * returns 0, or -1 with the failure in err. */
typedef struct client_ops {
    int (*begin)(void *h, char *err, size_t len);
    /* 0: queued; 1: the queue is full; -1: refused (err says why). */
    int (*produce)(void *h, char *err, size_t len);
    void (*poll)(void *h, int timeout_ms);
    int (*commit)(void *h, char *err, size_t len);
} client_ops;

/* Produces one record, waiting while the queue is full (at most
 * CALL_TIMEOUT_MS). */
static int produce_one(const client_ops *ops, void *h, char *err, size_t len)
{
    int rc = ops->produce(h, err, len);
    if (rc != 1) return rc;
    int64_t give_up = bench_now_ns() + (int64_t)CALL_TIMEOUT_MS * 1000000;
    while ((rc = ops->produce(h, err, len)) == 1) {
        ops->poll(h, 1);
        if (bench_now_ns() > give_up) {
            say(err, len, "produce: queue full for %d ms", CALL_TIMEOUT_MS);
            return -1;
        }
    }
    return rc;
}

/* One transaction of `records` records. */
static int one_txn(const client_ops *ops, void *h, long records, int64_t *commit_ns, char *err,
                   size_t len)
{
    char why[128] = "";
    if (ops->begin(h, why, sizeof(why))) {
        say(err, len, "begin_transaction: %s", why);
        return -1;
    }
    for (long i = 0; i < records; i++) {
        if (produce_one(ops, h, why, sizeof(why))) {
            say(err, len, "produce: %s", why);
            return -1;
        }
        if ((i & 1023) == 0) ops->poll(h, 0);
    }
    int64_t t = bench_now_ns();
    int rc = ops->commit(h, why, sizeof(why));
    *commit_ns = bench_now_ns() - t;
    if (rc) say(err, len, "commit_transaction: %s", why);
    return rc;
}

/* The warm-up transaction, then a->n records in transactions of a->every,
 * timed. */
static void run_txns(const client_ops *ops, void *h, const targs *a, result *r)
{
    int64_t warm_ns;
    char err[sizeof(r->error)];
    if (one_txn(ops, h, 1, &warm_ns, err, sizeof(err))) {
        say(r->error, sizeof(r->error), "warm-up transaction: %s", err);
        return;
    }
    long n_txn = (a->n + a->every - 1) / a->every, done = 0, expect_acked = 1;
    int64_t *commit_ns = calloc((size_t)n_txn, sizeof(*commit_ns));
    if (!commit_ns) {
        say(r->error, sizeof(r->error), "out of memory");
        return;
    }
    int64_t t0 = bench_now_ns(), c0 = bench_cpu_ns();
    for (long t = 0; t < n_txn; t++, done++) {
        long records = a->every < a->n - t * a->every ? a->every : a->n - t * a->every;
        if (one_txn(ops, h, records, &commit_ns[t], err, sizeof(err))) {
            say(r->error, sizeof(r->error), "transaction %ld of %ld: %s", t + 1, n_txn, err);
            break;
        }
        expect_acked += records;
        /* Both clients serve the delivery reports before commit returns. */
        if (n_acked + n_failed < expect_acked) r->early++;
    }
    int64_t dt = bench_now_ns() - t0, dc = bench_cpu_ns() - c0;
    long sent = done < n_txn ? done * a->every : a->n;
    r->msgs_s = sent ? (double)sent * 1e9 / (double)dt : 0;
    r->ns_msg = sent ? (double)dc / (double)sent : 0;
    r->commit_p50_ms = done ? bench_percentile(commit_ns, (size_t)done, 50) / 1e6 : -1;
    r->commit_p99_ms = done ? bench_percentile(commit_ns, (size_t)done, 99) / 1e6 : -1;
    free(commit_ns);
}

/* --- kfk --------------------------------------------------------------------------- */

typedef struct kfk_client {
    kfk_producer *p;
    kfk_record rec;
} kfk_client;

static void kfk_dr(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    (void)opaque;
    delivered(r->err != KFK_OK, kfk_err_str(r->err));
}

static const char *kfk_action_name(kfk_txn_action a)
{
    switch (a) {
    case KFK_TXN_NONE:
        return "none";
    case KFK_TXN_RETRY:
        return "retry";
    case KFK_TXN_ABORT:
        return "abort";
    case KFK_TXN_FATAL:
        return "fatal";
    case KFK_TXN_USAGE:
        return "usage";
    }
    return "?";
}

static int kfk_failed(kfk_client *c, kfk_err e, char *err, size_t len)
{
    if (e == KFK_OK) return 0;
    say(err, len, "%s (%d, %s)", kfk_err_str(e), (int)e,
        kfk_action_name(kfk_producer_txn_action(c->p, e)));
    return -1;
}

static int kfk_begin(void *h, char *err, size_t len)
{
    kfk_client *c = h;
    return kfk_failed(c, kfk_producer_begin_transaction(c->p), err, len);
}

static int kfk_send(void *h, char *err, size_t len)
{
    kfk_client *c = h;
    kfk_err e = kfk_produce(c->p, &c->rec, NULL);
    if (e == KFK_ERR_QUEUE_FULL) return 1;
    return kfk_failed(c, e, err, len);
}

static void kfk_poll(void *h, int timeout_ms)
{
    kfk_producer_poll(((kfk_client *)h)->p, timeout_ms);
}

static int kfk_commit(void *h, char *err, size_t len)
{
    kfk_client *c = h;
    return kfk_failed(c, kfk_producer_commit_transaction(c->p, CALL_TIMEOUT_MS), err, len);
}

static void txn_kfk(const targs *a, result *r)
{
    static const client_ops ops = {kfk_begin, kfk_send, kfk_poll, kfk_commit};
    kfk_conf *conf = bench_kfk_conf(a->bootstrap);
    char id[64], err[512];
    snprintf(id, sizeof(id), "bench-txn-kfk-%d", (int)getpid());
    bench_kset(conf, "transactional.id", id);
    bench_kset(conf, "acks", "all");
    bench_kset(conf, "enable.idempotence", "true");
    if (a->batch) {
        char batch[32];
        snprintf(batch, sizeof(batch), "%d", a->batch);
        bench_kset(conf, "batch.size", batch);
        bench_kset(conf, "linger.ms", "5");
        bench_kset(conf, "buffer.memory", "33554432");
    }
    kfk_conf_set_dr_cb(conf, kfk_dr, NULL);
    kfk_client c = {.p = kfk_producer_new(conf, err, sizeof(err))};
    if (!c.p) {
        say(r->error, sizeof(r->error), "kfk_producer_new: %s", err);
        return;
    }
    char *value = calloc(1, (size_t)a->size);
    c.rec = (kfk_record){.topic = a->topic,
                         .partition = KFK_PARTITION_ANY,
                         .value = value,
                         .value_len = (size_t)a->size};
    char why[128];
    if (kfk_failed(&c, kfk_producer_init_transactions(c.p, CALL_TIMEOUT_MS), why, sizeof(why)))
        say(r->error, sizeof(r->error), "init_transactions: %s", why);
    else
        run_txns(&ops, &c, a, r);
    kfk_producer_destroy(c.p);
    free(value);
}

/* --- librdkafka ---------------------------------------------------------------------- */

typedef struct rdk_client {
    rd_kafka_t *rk;
    const char *topic;
    void *value;
    size_t size;
} rdk_client;

static void rdk_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    delivered(m->err != 0, rd_kafka_err2str(m->err));
}

/* Takes ownership of e (NULL: success). */
static int rdk_failed(rd_kafka_error_t *e, char *err, size_t len)
{
    if (!e) return 0;
    say(err, len, "%s (%s%s%s%s)", rd_kafka_error_string(e), rd_kafka_error_name(e),
        rd_kafka_error_is_retriable(e) ? ", retriable" : "",
        rd_kafka_error_txn_requires_abort(e) ? ", abort" : "",
        rd_kafka_error_is_fatal(e) ? ", fatal" : "");
    rd_kafka_error_destroy(e);
    return -1;
}

static int rdk_begin(void *h, char *err, size_t len)
{
    return rdk_failed(rd_kafka_begin_transaction(((rdk_client *)h)->rk), err, len);
}

static int rdk_send(void *h, char *err, size_t len)
{
    rdk_client *c = h;
    rd_kafka_resp_err_t e =
        rd_kafka_producev(c->rk, RD_KAFKA_V_TOPIC(c->topic), RD_KAFKA_V_VALUE(c->value, c->size),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) return 1;
    if (!e) return 0;
    say(err, len, "%s", rd_kafka_err2str(e));
    return -1;
}

static void rdk_poll(void *h, int timeout_ms)
{
    rd_kafka_poll(((rdk_client *)h)->rk, timeout_ms);
}

static int rdk_commit(void *h, char *err, size_t len)
{
    return rdk_failed(rd_kafka_commit_transaction(((rdk_client *)h)->rk, CALL_TIMEOUT_MS), err,
                      len);
}

static void txn_rdk(const targs *a, result *r)
{
    static const client_ops ops = {rdk_begin, rdk_send, rdk_poll, rdk_commit};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char id[64], err[512];
    snprintf(id, sizeof(id), "bench-txn-rdk-%d", (int)getpid());
    bench_rset(conf, "bootstrap.servers", a->bootstrap);
    bench_rset(conf, "transactional.id", id);
    bench_rset(conf, "acks", "all");
    bench_rset(conf, "enable.idempotence", "true");
    if (a->batch) {
        char batch[32];
        snprintf(batch, sizeof(batch), "%d", a->batch);
        bench_rset(conf, "batch.size", batch);
        bench_rset(conf, "linger.ms", "5");
        bench_rset(conf, "queue.buffering.max.kbytes", "32768"); /* kfk's buffer.memory */
        bench_rset(conf, "queue.buffering.max.messages", "10000000");
    }
    bench_rdk_tls(conf);
    rd_kafka_conf_set_dr_msg_cb(conf, rdk_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        say(r->error, sizeof(r->error), "rd_kafka_new: %s", err);
        return;
    }
    rdk_client c = {rk, a->topic, calloc(1, (size_t)a->size), (size_t)a->size};
    char why[128];
    if (rdk_failed(rd_kafka_init_transactions(rk, CALL_TIMEOUT_MS), why, sizeof(why)))
        say(r->error, sizeof(r->error), "init_transactions: %s", why);
    else
        run_txns(&ops, &c, a, r);
    rd_kafka_destroy(rk);
    free(c.value);
}

/* --- running ----------------------------------------------------------------------- */

static int child_main(const char *client, const targs *a)
{
    result r = {0};
    if (!strcmp(client, "kfk"))
        txn_kfk(a, &r);
    else
        txn_rdk(a, &r);
    r.acked = n_acked;
    r.failed = n_failed;
    r.rss_mb = bench_peak_rss_kb() / 1024.0;
    if (r.error[0]) fprintf(stderr, "%s: %s\n", client, r.error);
    if (n_failed)
        fprintf(stderr, "%s: %ld records failed, the first with %s\n", client, n_failed,
                first_dr_error);
    return bench_write_result(&r, sizeof(r));
}

static result run_child(const char *self, const char *client, const targs *a)
{
    char n_s[32], every_s[32], size_s[32], batch_s[32];
    snprintf(n_s, sizeof(n_s), "%ld", a->n);
    snprintf(every_s, sizeof(every_s), "%ld", a->every);
    snprintf(size_s, sizeof(size_s), "%d", a->size);
    snprintf(batch_s, sizeof(batch_s), "%d", a->batch);
    char *argv[20] = {(char *)self,
                      "-C",
                      (char *)client,
                      "-b",
                      (char *)a->bootstrap,
                      "-t",
                      (char *)a->topic,
                      "-n",
                      n_s,
                      "-e",
                      every_s,
                      "-s",
                      size_s,
                      "-B",
                      batch_s};
    int argc = 15;
    if (bench_tls_ca) argv[argc++] = "-S", argv[argc++] = (char *)bench_tls_ca;
    result r = {0};
    if (bench_spawn(argv, &r, sizeof(r)))
        say(r.error, sizeof(r.error), "the %s process died or said nothing", client);
    return r;
}

/* What went wrong in a run, "" if nothing: a failed call, failed records,
 * a commit that returned before its records' reports, or fewer reports
 * than records. */
static void problem(const result *x, long expect, char *out, size_t len)
{
    if (x->error[0])
        say(out, len, "%s", x->error);
    else if (x->failed || x->early || x->acked != expect)
        say(out, len,
            "%ld of %ld records acked, %ld failed; %ld commits returned before their "
            "records were reported",
            x->acked, expect, x->failed, x->early);
    else
        out[0] = 0;
}

static void run_case(const char *self, kfk_mock_cluster *mc, const char *bootstrap, const tcase *c,
                     int size, long n)
{
    char topic[128];
    snprintf(topic, sizeof(topic), "bench-txn-%ld-%d-%d", c->every, c->batch, (int)getpid());
    bench_make_topic(mc, bootstrap, topic, PARTITIONS);
    targs a = {bootstrap, topic, n, c->every, size, c->batch};
    const char *only = getenv("BENCH_ONLY");
    bool rdk_too = !(only && !strcmp(only, "kfk"));
    int runs = getenv("BENCH_RUNS") && atoi(getenv("BENCH_RUNS")) == 1 ? 1 : 2;
    /* kfk rdk rdk kfk: neither client always meets the broker first. */
    result best[2] = {{0}, {0}}; /* zeros: no run succeeded (or BENCH_ONLY=kfk) */
    char trouble[2][200] = {"", ""};
    for (int i = 0; i < runs; i++)
        for (int j = 0; j < 2; j++) {
            int is_rdk = j != i;
            if (is_rdk && !rdk_too) continue;
            result x = run_child(self, is_rdk ? "rdk" : "kfk", &a);
            char why[200];
            problem(&x, n + 1, why, sizeof(why));
            /* A run that failed is reported even when the other did not. */
            if (why[0] && !trouble[is_rdk][0])
                say(trouble[is_rdk], sizeof(trouble[is_rdk]), "%s", why);
            if (!why[0] && x.msgs_s > best[is_rdk].msgs_s) best[is_rdk] = x;
        }
    bench_drop_topic(bootstrap, topic);
    const result *k = &best[0], *r = &best[1];
    char batch[32] = "defaults";
    if (c->batch) snprintf(batch, sizeof(batch), "%d", c->batch);
    printf("bench txn size=%d every=%ld records=%ld batch=%s tls=%d kfk=%s rdk=%s kfk_msgs_s=%.0f "
           "rdk_msgs_s=%.0f msgs_ratio=%.2f kfk_ns_msg=%.0f rdk_ns_msg=%.0f cpu_ratio=%.2f "
           "kfk_commit_p50_ms=%.1f rdk_commit_p50_ms=%.1f kfk_commit_p99_ms=%.1f "
           "rdk_commit_p99_ms=%.1f kfk_rss_mb=%.0f rdk_rss_mb=%.0f",
           size, c->every, n, batch, bench_tls_ca != NULL, kfk_version_str(),
           rd_kafka_version_str(), k->msgs_s, r->msgs_s, r->msgs_s ? k->msgs_s / r->msgs_s : 0,
           k->ns_msg, r->ns_msg, r->ns_msg ? k->ns_msg / r->ns_msg : 0, k->commit_p50_ms,
           r->commit_p50_ms, k->commit_p99_ms, r->commit_p99_ms, k->rss_mb, r->rss_mb);
    for (int i = 0; i < 2; i++)
        if (trouble[i][0]) printf(" (%s: %s)", i ? "rdk" : "kfk", trouble[i]);
    printf("\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *client = NULL;
    targs a = {.size = 100};
    tcase one = {0}; /* -e EVERY [-B BATCH]: run just this case */
    for (int opt; (opt = getopt(argc, argv, "b:n:e:s:B:S:C:t:")) != -1;) {
        if (opt == 'b')
            a.bootstrap = optarg;
        else if (opt == 'n')
            a.n = atol(optarg);
        else if (opt == 'e')
            one.every = atol(optarg);
        else if (opt == 's')
            a.size = atoi(optarg);
        else if (opt == 'B')
            one.batch = atoi(optarg);
        else if (opt == 'S')
            bench_tls_ca = optarg;
        else if (opt == 'C')
            client = optarg;
        else if (opt == 't')
            a.topic = optarg;
        else
            return 2;
    }
    if (client) {
        if (!a.bootstrap || !a.topic || a.n <= 0 || one.every <= 0 || a.size <= 0) return 2;
        a.every = one.every;
        a.batch = one.batch;
        return child_main(client, &a);
    }
    char self[4096];
    if (bench_self_path(self, sizeof(self))) return 1;
    if (bench_tls_ca && !a.bootstrap) {
        fprintf(stderr, "-S needs -b BOOTSTRAP (a TLS listener): the mock has no TLS\n");
        return 2;
    }
    kfk_mock_cluster *mc = NULL;
    if (!a.bootstrap) {
        mc = kfk_mock_cluster_new(1);
        kfk_mock_set_check_crcs(mc, false);
        kfk_mock_set_retention_bytes(mc, (size_t)64 << 20);
        a.bootstrap = kfk_mock_cluster_bootstrap(mc);
    }
    printf("# kfk %s, librdkafka %s\n", kfk_version_str(), rd_kafka_version_str());
    static const tcase all[] = {{1000, 0}, {100000, 0}, {1000, 16384}, {100000, 16384}};
    const tcase *cases = all;
    int quick = getenv("BENCH_QUICK") != NULL;
    size_t n_cases = quick ? 2 : sizeof(all) / sizeof(all[0]);
    if (one.every) {
        cases = &one;
        n_cases = 1;
    }
    for (size_t i = 0; i < n_cases; i++) {
        /* 1,000 transactions of 1,000; 20 of 100,000. */
        long n = cases[i].every <= 1000 ? 1000000 : 2000000;
        if (quick) n /= 5;
        if (a.n) n = a.n;
        run_case(self, mc, a.bootstrap, &cases[i], a.size, n);
    }
    kfk_mock_cluster_destroy(mc);
    return 0;
}
