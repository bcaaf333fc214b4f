/* share_bench: kfk's share consumer (KIP-932) and librdkafka's side by
 * side, same broker, same records, one line per number of consumers:
 *
 *   bench share size=100 records=1000000 partitions=4 consumers=K rounds=R tls=0 kfk=V rdk=V
 *     kfk_msgs_s=N rdk_msgs_s=N msgs_ratio=R kfk_ns_msg=N rdk_ns_msg=N cpu_ratio=R
 *     kfk_rss_mb=N rdk_rss_mb=N kfk_redelivered=N rdk_redelivered=N
 *
 * (on one line). A topic of 4 partitions is loaded once per run with kfk's
 * producer (text-like values, no key). Then, per round and per K (1 and
 * 4), each client reads all of it in a share group of its own, made fresh
 * for that run and set to share.auto.offset.reset=earliest (a GROUP
 * config, through kfk's admin; on the mock, kfk_mock's setter), with K
 * consumers in one process spawned fresh, one thread and one consumer
 * each (neither client's share consumer may be shared by threads), in
 * implicit acknowledgement mode (every record accepted by the next poll
 * or the close). Both clients run at their defaults, which agree:
 * max.poll.records 500, fetch.max.bytes 50 MiB, fetch.max.wait.ms 500,
 * fetch.min.bytes 1.
 *
 * Every record is checked: a run counts only when the distinct
 * partition:offset pairs received reach the record count. The clock and
 * the process's CPU (getrusage, every thread) run from the first record
 * any consumer gets to the one that completes the set; joining the group
 * and closing are outside. Records delivered more than once (a lock that
 * passed, a session lost) are counted and shown, not counted as progress.
 *
 * The clients alternate (kfk first in the first round, librdkafka in the
 * second, and so on) and each figure is the median of that client's clean
 * rounds.
 *
 * librdkafka's share consumer (rd_kafka_share_*, a preview in librdkafka 2.16) is
 * looked up at run time (dlsym), so the benchmark builds against an older
 * librdkafka and runs against a newer one picked by LD_LIBRARY_PATH; with
 * none, only kfk runs and the line says rdk=none.
 *
 *   build/bench/share_bench [-b BOOTSTRAP] [-n RECORDS] [-s SIZE] [-k CONSUMERS] [-S CAFILE]
 *   BENCH_QUICK=1: one round (default 3; BENCH_RUNS=N sets it)
 *   BENCH_ONLY=kfk: skip librdkafka
 *   one client alone: share_bench -C kfk|rdk -b BOOTSTRAP -t TOPIC -g GROUP -n RECORDS -k K
 *     3>/dev/null (the group must read from the earliest offset)
 *
 * A benchmark, never a test: nothing here asserts a figure. */
#include <dlfcn.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "kfk.h"
#include "kfk_admin.h"
#include "kfk_mock.h"

#define PARTITIONS 4
#define MAX_CONSUMERS 16
#define MAX_ROUNDS 9
/* A run where no consumer gets a record for this long gives up. */
#define STALL_MS 30000
/* Each poll's wait: short, so that a consumer sees the set complete. */
#define POLL_MS 100

typedef struct result {
    double msgs_s, ns_msg, rss_mb;
    long distinct, redelivered, ack_failed;
    int failed;
} result;

/* --- librdkafka's share consumer, found at run time ------------------------------- */

typedef struct rd_kafka_share_s rd_kafka_share_t;
typedef struct rd_kafka_messages_s rd_kafka_messages_t;
typedef struct rd_kafka_share_partition_offsets_list_s rdks_list;
typedef struct rd_kafka_share_partition_offsets_s rdks_entry;
typedef void(rdks_ack_cb)(rd_kafka_share_t *rks, rdks_list *list, rd_kafka_resp_err_t err,
                          void *opaque);

static struct {
    rd_kafka_share_t *(*consumer_new)(rd_kafka_conf_t *conf, char *errstr, size_t len);
    rd_kafka_resp_err_t (*subscribe)(rd_kafka_share_t *rks,
                                     const rd_kafka_topic_partition_list_t *topics);
    rd_kafka_error_t *(*poll)(rd_kafka_share_t *rks, int timeout_ms, rd_kafka_messages_t **out);
    size_t (*count)(const rd_kafka_messages_t *msgs);
    rd_kafka_message_t *(*get)(const rd_kafka_messages_t *msgs, size_t i);
    void (*destroy_msgs)(rd_kafka_messages_t *msgs);
    rd_kafka_error_t *(*close)(rd_kafka_share_t *rks);
    /* Its return value differs between versions: not read. */
    void (*destroy)(rd_kafka_share_t *rks);
    rd_kafka_error_t *(*set_ack_cb)(rd_kafka_share_t *rks, rdks_ack_cb *cb, void *opaque);
    size_t (*list_count)(const rdks_list *list);
    const rdks_entry *(*list_get)(const rdks_list *list, size_t i);
    const rd_kafka_topic_partition_t *(*entry_partition)(const rdks_entry *e);
    size_t (*entry_offsets_cnt)(const rdks_entry *e);
} rdks;

/* True when the librdkafka loaded has a share consumer. */
static bool rdk_share_load(void)
{
#define RDKS_SYM(field, name)                                                                      \
    do {                                                                                           \
        void *p = dlsym(RTLD_DEFAULT, name);                                                       \
        if (!p) return false;                                                                      \
        memcpy(&rdks.field, &p, sizeof(p));                                                        \
    } while (0)
    RDKS_SYM(consumer_new, "rd_kafka_share_consumer_new");
    RDKS_SYM(subscribe, "rd_kafka_share_subscribe");
    RDKS_SYM(poll, "rd_kafka_share_poll");
    RDKS_SYM(count, "rd_kafka_messages_count");
    RDKS_SYM(get, "rd_kafka_messages_get");
    RDKS_SYM(destroy_msgs, "rd_kafka_messages_destroy");
    RDKS_SYM(close, "rd_kafka_share_consumer_close");
    RDKS_SYM(destroy, "rd_kafka_share_destroy");
    RDKS_SYM(set_ack_cb, "rd_kafka_share_set_acknowledgement_commit_cb");
    RDKS_SYM(list_count, "rd_kafka_share_partition_offsets_list_count");
    RDKS_SYM(list_get, "rd_kafka_share_partition_offsets_list_get");
    RDKS_SYM(entry_partition, "rd_kafka_share_partition_offsets_partition");
    RDKS_SYM(entry_offsets_cnt, "rd_kafka_share_partition_offsets_offsets_cnt");
#undef RDKS_SYM
    return true;
}

/* --- what a child's consumers share ----------------------------------------------- */

static struct {
    const char *bootstrap, *topic, *group, *client;
    long n;
    int size;
    _Atomic(uint64_t) *seen[PARTITIONS]; /* one bit per offset, n bits each */
    atomic_long distinct, redelivered, bad, ack_failed;
    atomic_bool done, failed;
    atomic_llong t_first, c_first, t_last, c_last, t_progress;
} run;

/* Marks partition:offset received; ends the run when it completes the set. */
static void seen(int32_t partition, int64_t offset, size_t len)
{
    if (run.t_first == 0) {
        long long zero = 0, now = bench_now_ns(), cpu = bench_cpu_ns();
        if (atomic_compare_exchange_strong(&run.t_first, &zero, now)) run.c_first = cpu;
    }
    if (partition < 0 || partition >= PARTITIONS || offset < 0 || offset >= run.n ||
        len != (size_t)run.size) {
        run.bad++;
        return;
    }
    uint64_t bit = (uint64_t)1 << (offset & 63);
    if (atomic_fetch_or(&run.seen[partition][offset >> 6], bit) & bit) {
        run.redelivered++;
        return;
    }
    if (atomic_fetch_add(&run.distinct, 1) + 1 == run.n) {
        run.c_last = bench_cpu_ns();
        run.t_last = bench_now_ns();
        run.done = true;
    }
}

/* Called after each poll: gives up when nothing came for STALL_MS. The
 * clock is read only by polls that got nothing (t_progress 0: records
 * came since), so that kfk's poll per record does not pay for it. */
static void progress(bool got)
{
    if (got) {
        if (run.t_progress) run.t_progress = 0;
        return;
    }
    long long now = bench_now_ns();
    if (run.t_progress == 0) run.t_progress = now;
    if (now - run.t_progress > (long long)STALL_MS * 1000000) {
        run.failed = true;
        run.done = true;
    }
}

/* Where the values' bytes are kept, so the compiler cannot drop the reads. */
static volatile unsigned sink;

/* Acknowledgement outcomes: the offsets whose acceptance failed. */
static void kfk_acked(void *opaque, kfk_share_consumer *sc, const char *topic, int32_t partition,
                      const int64_t *offsets, size_t n, kfk_err err)
{
    (void)opaque, (void)sc, (void)topic, (void)partition, (void)offsets;
    if (err) run.ack_failed += (long)n;
}

static void *kfk_member(void *arg)
{
    (void)arg;
    kfk_conf *conf = bench_kfk_conf(run.bootstrap);
    kfk_conf_set_share_ack_cb(conf, kfk_acked, NULL);
    bench_kset(conf, "group.id", run.group);
    char err[512];
    kfk_share_consumer *sc = kfk_share_consumer_new(conf, err, sizeof(err));
    if (!sc) {
        fprintf(stderr, "kfk: %s\n", err);
        exit(1);
    }
    if (kfk_share_consumer_subscribe(sc, &run.topic, 1)) {
        fprintf(stderr, "kfk subscribe: %s\n", kfk_share_consumer_last_error(sc));
        exit(1);
    }
    unsigned acc = 0;
    while (!run.done) {
        kfk_message *m = kfk_share_consumer_poll(sc, POLL_MS);
        if (!m) {
            kfk_err e = kfk_share_consumer_poll_error(sc);
            if (e) fprintf(stderr, "kfk poll: %s\n", kfk_share_consumer_last_error(sc));
            progress(false);
            continue;
        }
        if (kfk_message_error(m) == KFK_OK) {
            size_t len;
            const unsigned char *v = kfk_message_value(m, &len);
            acc += v && len ? v[0] : 0;
            seen(kfk_message_partition(m), kfk_message_offset(m), len);
        } else {
            fprintf(stderr, "kfk: %s\n", kfk_err_str(kfk_message_error(m)));
        }
        kfk_message_release(m);
        progress(true);
    }
    sink += acc;
    kfk_share_consumer_close(sc, 30000);
    kfk_share_consumer_destroy(sc);
    return NULL;
}

static void rdk_acked(rd_kafka_share_t *rks, rdks_list *list, rd_kafka_resp_err_t err, void *opaque)
{
    (void)rks, (void)opaque;
    for (size_t i = 0, n = list ? rdks.list_count(list) : 0; i < n; i++) {
        const rdks_entry *e = rdks.list_get(list, i);
        if (err || rdks.entry_partition(e)->err) run.ack_failed += (long)rdks.entry_offsets_cnt(e);
    }
}

static void *rdk_member(void *arg)
{
    (void)arg;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bench_rset(conf, "bootstrap.servers", run.bootstrap);
    bench_rset(conf, "group.id", run.group);
    bench_rdk_tls(conf);
    char err[512];
    rd_kafka_share_t *rks = rdks.consumer_new(conf, err, sizeof(err));
    if (!rks) {
        fprintf(stderr, "librdkafka: %s\n", err);
        exit(1);
    }
    rd_kafka_error_t *ae = rdks.set_ack_cb(rks, rdk_acked, NULL);
    if (ae) {
        fprintf(stderr, "librdkafka: %s\n", rd_kafka_error_string(ae));
        exit(1);
    }
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, run.topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rdks.subscribe(rks, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (se) {
        fprintf(stderr, "librdkafka subscribe: %s\n", rd_kafka_err2str(se));
        exit(1);
    }
    unsigned acc = 0;
    while (!run.done) {
        rd_kafka_messages_t *batch = NULL;
        rd_kafka_error_t *pe = rdks.poll(rks, POLL_MS, &batch);
        if (pe) {
            fprintf(stderr, "librdkafka poll: %s\n", rd_kafka_error_string(pe));
            rd_kafka_error_destroy(pe);
        }
        size_t k = batch ? rdks.count(batch) : 0;
        for (size_t i = 0; i < k; i++) {
            rd_kafka_message_t *m = rdks.get(batch, i);
            if (m->err) {
                fprintf(stderr, "librdkafka: %s\n", rd_kafka_err2str(m->err));
                continue;
            }
            const unsigned char *v = m->payload;
            acc += v && m->len ? v[0] : 0;
            seen(m->partition, m->offset, m->len);
        }
        rdks.destroy_msgs(batch);
        progress(k > 0);
    }
    sink += acc;
    rd_kafka_error_t *ce = rdks.close(rks);
    if (ce) rd_kafka_error_destroy(ce);
    rdks.destroy(rks);
    return NULL;
}

/* One client's run: K consumers, one thread each, until every record came
 * (or the run stalled). */
static int child_main(const char *client, int consumers)
{
    result r = {.failed = 1};
    bool is_kfk = !strcmp(client, "kfk");
    if (!is_kfk && !rdk_share_load()) {
        fprintf(stderr, "librdkafka %s has no share consumer\n", rd_kafka_version_str());
        return bench_write_result(&r, sizeof(r));
    }
    size_t words = ((size_t)run.n + 63) / 64;
    for (int p = 0; p < PARTITIONS; p++)
        if (!(run.seen[p] = calloc(words, sizeof(uint64_t)))) return 1;
    pthread_t th[MAX_CONSUMERS];
    for (int i = 0; i < consumers; i++)
        if (pthread_create(&th[i], NULL, is_kfk ? kfk_member : rdk_member, NULL)) return 1;
    for (int i = 0; i < consumers; i++)
        pthread_join(th[i], NULL);
    r.distinct = run.distinct;
    r.redelivered = run.redelivered;
    r.ack_failed = run.ack_failed;
    r.failed = run.failed || run.bad || run.distinct != run.n;
    if (run.bad)
        fprintf(stderr, "%s: %ld records out of range or of another size\n", client, (long)run.bad);
    if (!r.failed) {
        double dt = (double)(run.t_last - run.t_first), dc = (double)(run.c_last - run.c_first);
        r.msgs_s = (double)run.n * 1e9 / dt;
        r.ns_msg = dc / (double)run.n;
    }
    r.rss_mb = bench_peak_rss_kb() / 1024.0;
    return bench_write_result(&r, sizeof(r));
}

/* --- the parent: loading, groups, rounds ----------------------------------------- */

/* share.auto.offset.reset=earliest for group (a GROUP config): a new share
 * group starts at the log's end otherwise. */
static int group_from_earliest(const char *bootstrap, const char *group)
{
    char err[512];
    kfk_admin *a = kfk_admin_new(bench_kfk_conf(bootstrap), err, sizeof(err));
    if (!a) {
        fprintf(stderr, "kfk admin: %s\n", err);
        return -1;
    }
    kfk_config_resource *res = kfk_config_resource_new(KFK_CONFIG_RESOURCE_GROUP, group);
    kfk_admin_result *out = NULL;
    kfk_err e = res ? kfk_config_resource_add(res, "share.auto.offset.reset", KFK_ALTER_CONFIG_SET,
                                              "earliest")
                    : KFK_ERR_NO_MEMORY;
    if (!e)
        e = kfk_admin_incremental_alter_configs(a, &res, 1,
                                                &(kfk_admin_options){.timeout_ms = 30000}, &out);
    if (!e && out && kfk_admin_result_count(out) == 1) e = kfk_admin_result_error(out, 0);
    if (e) fprintf(stderr, "share.auto.offset.reset for %s: %s\n", group, kfk_err_str(e));
    kfk_admin_result_destroy(out);
    kfk_config_resource_destroy(res);
    kfk_admin_destroy(a);
    return e ? -1 : 0;
}

static result run_child(const char *self, kfk_mock_cluster *mc, const char *client,
                        const char *bootstrap, const char *topic, long n, int size, int consumers,
                        int round)
{
    result r = {.failed = 1};
    char group[160];
    snprintf(group, sizeof(group), "bench-share-%s-%d-%d-%d", client, consumers, round,
             (int)getpid());
    if (!mc && group_from_earliest(bootstrap, group)) return r;
    char n_s[32], size_s[16], k_s[16];
    snprintf(n_s, sizeof(n_s), "%ld", n);
    snprintf(size_s, sizeof(size_s), "%d", size);
    snprintf(k_s, sizeof(k_s), "%d", consumers);
    char *argv[20] = {(char *)self, "-C",          (char *)client, "-b",  (char *)bootstrap,
                      "-t",         (char *)topic, "-g",           group, "-n",
                      n_s,          "-s",          size_s,         "-k",  k_s};
    int argc = 15;
    if (bench_tls_ca) argv[argc++] = "-S", argv[argc++] = (char *)bench_tls_ca;
    if (bench_spawn(argv, &r, sizeof(r))) r.failed = 1;
    return r;
}

/* The median over a client's clean rounds; -1 when none was clean. */
static double median_of(const result *v, int n, size_t field)
{
    double x[MAX_ROUNDS];
    int m = 0;
    for (int i = 0; i < n; i++)
        if (!v[i].failed) memcpy(&x[m++], (const char *)&v[i] + field, sizeof(double));
    return m ? bench_median(x, m) : -1;
}

static void print_line(int consumers, long n, int size, int rounds, const char *rdk_version,
                       const result *k, const result *r)
{
    double km = median_of(k, rounds, offsetof(result, msgs_s));
    double rm = median_of(r, rounds, offsetof(result, msgs_s));
    double kc = median_of(k, rounds, offsetof(result, ns_msg));
    double rc = median_of(r, rounds, offsetof(result, ns_msg));
    double kr = median_of(k, rounds, offsetof(result, rss_mb));
    double rr = median_of(r, rounds, offsetof(result, rss_mb));
    long kd = 0, rd = 0, ka = 0, ra = 0;
    int kf = 0, rf = 0;
    for (int i = 0; i < rounds; i++) {
        kd += k[i].redelivered, rd += r[i].redelivered;
        ka += k[i].ack_failed, ra += r[i].ack_failed;
        kf += k[i].failed, rf += r[i].failed;
    }
    printf("bench share size=%d records=%ld partitions=%d consumers=%d rounds=%d tls=%d kfk=%s "
           "rdk=%s kfk_msgs_s=%.0f rdk_msgs_s=%.0f msgs_ratio=%.2f kfk_ns_msg=%.0f "
           "rdk_ns_msg=%.0f cpu_ratio=%.2f kfk_rss_mb=%.0f rdk_rss_mb=%.0f kfk_redelivered=%ld "
           "rdk_redelivered=%ld",
           size, n, PARTITIONS, consumers, rounds, bench_tls_ca != NULL, kfk_version_str(),
           rdk_version, km, rm, rm > 0 ? km / rm : 0, kc, rc, rc > 0 ? kc / rc : 0, kr, rr, kd, rd);
    if (kf || rf) printf(" (runs without every record: kfk %d, rdk %d)", kf, rf);
    if (ka || ra) printf(" (acknowledgements failed: kfk %ld, rdk %ld)", ka, ra);
    printf("\n");
    fflush(stdout);
}

static void run_all(const char *self, kfk_mock_cluster *mc, const char *bootstrap, long n, int size,
                    int only_k)
{
    char topic[128];
    snprintf(topic, sizeof(topic), "bench-share-%d", (int)getpid());
    bench_make_topic(mc, bootstrap, topic, PARTITIONS);
    if (bench_load_topic(bootstrap, topic, n, size, "none")) {
        bench_drop_topic(bootstrap, topic);
        return;
    }
    const char *only = getenv("BENCH_ONLY");
    bool rdk_too = !(only && !strcmp(only, "kfk")) && rdk_share_load();
    const char *rdk_version = rdk_too ? rd_kafka_version_str() : "none";
    if (!rdk_too && !(only && !strcmp(only, "kfk")))
        fprintf(stderr, "# librdkafka %s has no share consumer: kfk only (bench/README.md)\n",
                rd_kafka_version_str());
    int rounds = bench_runs(getenv("BENCH_QUICK") ? 1 : 3, MAX_ROUNDS);
    static const int ks[] = {1, 4};
    for (size_t c = 0; c < sizeof(ks) / sizeof(ks[0]); c++) {
        int consumers = only_k ? only_k : ks[c];
        result k[MAX_ROUNDS], r[MAX_ROUNDS];
        for (int i = 0; i < rounds; i++) {
            r[i] = (result){.failed = 0};
            for (int j = 0; j < 2; j++) {
                bool is_kfk = (j == 0) == (i % 2 == 0); /* kfk first in the first round */
                if (!is_kfk && !rdk_too) continue;
                result x = run_child(self, mc, is_kfk ? "kfk" : "rdk", bootstrap, topic, n, size,
                                     consumers, i);
                *(is_kfk ? &k[i] : &r[i]) = x;
                fprintf(stderr, "# round %d consumers=%d %s msgs_s=%.0f ns_msg=%.0f%s\n", i + 1,
                        consumers, is_kfk ? "kfk" : "rdk", x.msgs_s, x.ns_msg,
                        x.failed ? " (not every record)" : "");
            }
        }
        print_line(consumers, n, size, rounds, rdk_version, k, r);
        if (only_k) break;
    }
    bench_drop_topic(bootstrap, topic);
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *client = NULL;
    long n = 1000000;
    int size = 100, only_k = 0;
    for (int opt; (opt = getopt(argc, argv, "b:n:s:k:C:t:g:S:")) != -1;) {
        if (opt == 'b')
            bootstrap = optarg;
        else if (opt == 'n')
            n = atol(optarg);
        else if (opt == 's')
            size = atoi(optarg);
        else if (opt == 'k')
            only_k = atoi(optarg);
        else if (opt == 'C')
            client = optarg;
        else if (opt == 't')
            run.topic = optarg;
        else if (opt == 'g')
            run.group = optarg;
        else if (opt == 'S')
            bench_tls_ca = optarg;
        else
            return 2;
    }
    if (n <= 0 || size <= 0 || only_k < 0 || only_k > MAX_CONSUMERS) return 2;
    if (client) {
        if (!bootstrap || !run.topic || !run.group || only_k <= 0) return 2;
        run.bootstrap = bootstrap, run.n = n, run.size = size, run.client = client;
        return child_main(client, only_k);
    }
    char self[4096];
    if (bench_self_path(self, sizeof(self))) return 1;
    kfk_mock_cluster *mc;
    int rc = bench_cluster(&bootstrap, &mc);
    if (rc) return rc;
    if (mc) kfk_mock_set_share_auto_offset_reset(mc, "earliest");
    run_all(self, mc, bootstrap, n, size, only_k);
    kfk_mock_cluster_destroy(mc);
    return 0;
}
