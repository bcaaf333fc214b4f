/* The side-by-side benchmarks' common parts; see harness.h. */
#include "harness.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

const char *bench_tls_ca;

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t bench_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static long status_kb(const char *format)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, format, &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

long bench_peak_rss_kb(void)
{
    return status_kb("VmHWM: %ld kB");
}

long bench_rss_kb(void)
{
    return status_kb("VmRSS: %ld kB");
}

void bench_kset(kfk_conf *conf, const char *name, const char *value)
{
    char err[512];
    if (kfk_conf_set(conf, name, value, err, sizeof(err)) != KFK_OK) {
        fprintf(stderr, "kfk %s: %s\n", name, err);
        exit(1);
    }
}

void bench_rset(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char err[512];
    if (rd_kafka_conf_set(conf, name, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "librdkafka %s: %s\n", name, err);
        exit(1);
    }
}

kfk_conf *bench_kfk_conf(const char *bootstrap)
{
    kfk_conf *conf = kfk_conf_new();
    bench_kset(conf, "bootstrap.servers", bootstrap);
    if (bench_tls_ca) {
        bench_kset(conf, "security.protocol", "SSL");
        bench_kset(conf, "ssl.truststore.location", bench_tls_ca);
    }
    return conf;
}

void bench_rdk_tls(rd_kafka_conf_t *conf)
{
    if (!bench_tls_ca) return;
    bench_rset(conf, "security.protocol", "ssl");
    bench_rset(conf, "ssl.ca.location", bench_tls_ca);
}

static kfk_admin *admin_for(const char *bootstrap)
{
    char err[512];
    return kfk_admin_new(bench_kfk_conf(bootstrap), err, sizeof(err));
}

void bench_make_topic(kfk_mock_cluster *mc, const char *bootstrap, const char *name, int partitions)
{
    if (mc) {
        kfk_mock_topic_create(mc, name, partitions, 1);
        return;
    }
    kfk_admin *a = admin_for(bootstrap);
    kfk_new_topic *t = kfk_new_topic_new(name, partitions, -1);
    kfk_admin_result *res = NULL;
    if (a) kfk_admin_create_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = 30000}, &res);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    kfk_admin_destroy(a);
}

void bench_drop_topic(const char *bootstrap, const char *name)
{
    kfk_admin *a = admin_for(bootstrap);
    kfk_admin_result *res = NULL;
    if (a) kfk_admin_delete_topics(a, &name, 1, &(kfk_admin_options){.timeout_ms = 30000}, &res);
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}

int bench_self_path(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0) return -1;
    buf[n] = 0;
    return 0;
}

int bench_spawn(char *const argv[], void *result, size_t len)
{
    int fds[2];
    if (pipe(fds) < 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    /* Closing the read end first: it may be BENCH_RESULT_FD itself. */
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_adddup2(&fa, fds[1], BENCH_RESULT_FD);
    pid_t pid;
    int e = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    int rc = -1;
    if (e == 0) {
        int status = 0;
        ssize_t got = read(fds[0], result, len);
        waitpid(pid, &status, 0);
        if (got == (ssize_t)len && WIFEXITED(status) && WEXITSTATUS(status) == 0) rc = 0;
    }
    close(fds[0]);
    return rc;
}

int bench_write_result(const void *result, size_t len)
{
    return write(BENCH_RESULT_FD, result, len) == (ssize_t)len ? 0 : 1;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int64_t bench_percentile(int64_t *v, size_t n, int pct)
{
    return bench_permille(v, n, pct * 10);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *v, int n)
{
    if (n <= 0) return -1;
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bench_env_count(const char *name, int dflt, int min, int max)
{
    const char *e = getenv(name);
    int n = e ? atoi(e) : dflt;
    return n >= min && n <= max ? n : dflt;
}

int bench_runs(int dflt, int max)
{
    return bench_env_count("BENCH_RUNS", dflt, 1, max);
}

int64_t bench_permille(int64_t *v, size_t n, int pm)
{
    if (!n) return -1;
    qsort(v, n, sizeof(*v), cmp64);
    return v[n * (size_t)pm / 1000];
}

/* Text-like bytes: words from a small vocabulary, so that the codecs find
 * about what they find in logs or JSON (zeros would make decompression
 * free). Record i's value starts at a varying place in the pool. */
char *bench_text_pool(size_t len)
{
    static const char *words[] = {"kafka", "record", "value", "offset", "stream", "event",
                                  "user",  "id",     "time",  "status", "ok",     "request",
                                  "42",    "1979",   "x",     "data"};
    char *p = malloc(len);
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; i < len;) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        const char *w = words[s % 16];
        for (; *w && i < len; w++)
            p[i++] = *w;
        if (i < len) p[i++] = (s >> 8) % 5 ? ' ' : (char)('0' + (s >> 16) % 10);
    }
    return p;
}

/* --- producing --------------------------------------------------------------------- */

#define VALUE_POOL_LEN (1 << 20)
static char *value_pool;

int bench_values_init(void)
{
    if (!value_pool) value_pool = bench_text_pool(VALUE_POOL_LEN);
    return value_pool ? 0 : -1;
}

const char *bench_value(long i, int size)
{
    /* A mask, not a modulo: a 64-bit division per record would cost each
     * client's CPU figure a few ns of the bench's own. */
    (void)size;
    return value_pool + ((size_t)i * 131 & (VALUE_POOL_LEN / 2 - 1));
}

static bench_dr_fn *dr_target;

static void kfk_dr(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)opaque;
    (void)producer;
    dr_target((intptr_t)r->opaque, r->err != KFK_OK);
}

static void rdk_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    dr_target((intptr_t)m->_private, m->err != 0);
}

kfk_conf *bench_kfk_producer_conf(const char *bootstrap)
{
    kfk_conf *conf = bench_kfk_conf(bootstrap);
    bench_kset(conf, "acks", "all");
    bench_kset(conf, "enable.idempotence", "true");
    return conf;
}

rd_kafka_conf_t *bench_rdk_producer_conf(const char *bootstrap)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bench_rset(conf, "bootstrap.servers", bootstrap);
    bench_rset(conf, "acks", "all");
    bench_rset(conf, "enable.idempotence", "true");
    bench_rset(conf, "socket.nagle.disable", "true"); /* as kfk's TCP_NODELAY */
    bench_rdk_tls(conf);
    return conf;
}

/* BENCH_KFK_SET="name=value,name=value": properties set on kfk's producers
 * last, for trying other settings than the case's. A line run with it is
 * not at kfk's defaults. */
static void set_from_env(kfk_conf *conf)
{
    const char *e = getenv("BENCH_KFK_SET");
    if (!e || !*e) return;
    char *copy = strdup(e), *save = NULL;
    if (!copy) exit(1);
    for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "BENCH_KFK_SET: %s is not name=value\n", kv);
            exit(1);
        }
        *eq = '\0';
        bench_kset(conf, kv, eq + 1);
    }
    free(copy);
}

/* BENCH_KFK_STATS=1: each statistics document (statistics.interval.ms,
 * set with BENCH_KFK_SET) goes to stderr, one line each. */
static void stats_to_stderr(void *opaque, void *handle, const char *json, size_t len)
{
    (void)opaque;
    (void)handle;
    fprintf(stderr, "%.*s\n", (int)len, json);
}

kfk_producer *bench_kfk_producer(kfk_conf *conf, bench_dr_fn *dr)
{
    char err[512];
    dr_target = dr;
    set_from_env(conf);
    if (getenv("BENCH_KFK_STATS")) kfk_conf_set_stats_cb(conf, stats_to_stderr, NULL);
    kfk_conf_set_dr_cb(conf, kfk_dr, NULL);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    if (!p) {
        fprintf(stderr, "kfk: %s\n", err);
        exit(1);
    }
    return p;
}

rd_kafka_t *bench_rdk_producer(rd_kafka_conf_t *conf, bench_dr_fn *dr)
{
    char err[512];
    dr_target = dr;
    rd_kafka_conf_set_dr_msg_cb(conf, rdk_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "librdkafka: %s\n", err);
        exit(1);
    }
    return rk;
}

kfk_err bench_kfk_produce(kfk_producer *p, const char *topic, const void *value, size_t len,
                          intptr_t i)
{
    kfk_record rec = {
        .topic = topic, .partition = KFK_PARTITION_ANY, .value = value, .value_len = len};
    kfk_err e;
    while ((e = kfk_produce(p, &rec, (void *)i)) == KFK_ERR_QUEUE_FULL)
        kfk_producer_poll(p, 1);
    return e;
}

rd_kafka_resp_err_t bench_rdk_produce(rd_kafka_t *rk, const char *topic, const void *value,
                                      size_t len, intptr_t i)
{
    rd_kafka_resp_err_t e;
    while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE((void *)value, len),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_OPAQUE((void *)i), RD_KAFKA_V_END)) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 1);
    return e;
}

void bench_kfk_warm_up(kfk_producer *p, const char *topic, int size)
{
    bench_kfk_produce(p, topic, bench_value(0, size), (size_t)size, -1);
    kfk_producer_flush(p, 30000);
}

void bench_rdk_warm_up(rd_kafka_t *rk, const char *topic, int size)
{
    bench_rdk_produce(rk, topic, bench_value(0, size), (size_t)size, -1);
    rd_kafka_flush(rk, 30000);
}

/* --- loading a topic ---------------------------------------------------------- */

static long load_failed;

static void load_dr(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    (void)opaque;
    if (r->err) load_failed++;
}

int bench_load_topic(const char *bootstrap, const char *topic, long n, int size, const char *codec)
{
    kfk_conf *conf = bench_kfk_conf(bootstrap);
    char err[512];
    bench_kset(conf, "acks", "all");
    bench_kset(conf, "linger.ms", "5");
    bench_kset(conf, "batch.size", "16384");
    bench_kset(conf, "compression.type", codec);
    kfk_conf_set_dr_cb(conf, load_dr, NULL);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    if (!p) {
        fprintf(stderr, "kfk producer: %s\n", err);
        return -1;
    }
    size_t pool_len = (size_t)1 << 20;
    char *pool = bench_text_pool(pool_len);
    if (!pool) {
        kfk_producer_destroy(p);
        return -1;
    }
    load_failed = 0;
    for (long i = 0; i < n; i++) {
        size_t at = ((size_t)i * 7919) % (pool_len - (size_t)size);
        kfk_record rec = {.topic = topic,
                          .partition = KFK_PARTITION_ANY,
                          .value = pool + at,
                          .value_len = (size_t)size};
        kfk_err e;
        while ((e = kfk_produce(p, &rec, NULL)) == KFK_ERR_QUEUE_FULL)
            kfk_producer_poll(p, 1);
        if (e) load_failed++;
        if ((i & 1023) == 0) kfk_producer_poll(p, 0);
    }
    kfk_err e = kfk_producer_flush(p, 300000);
    kfk_producer_destroy(p);
    free(pool);
    if (e || load_failed) {
        fprintf(stderr, "loading %s: %ld records failed (%s)\n", topic, load_failed,
                kfk_err_str(e));
        return -1;
    }
    return 0;
}

int bench_cluster(const char **bootstrap, kfk_mock_cluster **mc)
{
    *mc = NULL;
    if (bench_tls_ca && !*bootstrap) {
        fprintf(stderr, "-S needs -b BOOTSTRAP (a TLS listener): the mock has no TLS\n");
        return 2;
    }
    if (*bootstrap) return 0;
    if (!(*mc = kfk_mock_cluster_new(1))) {
        fprintf(stderr, "the mock cluster did not start\n");
        return 1;
    }
    kfk_mock_set_check_crcs(*mc, false);
    *bootstrap = kfk_mock_cluster_bootstrap(*mc);
    return 0;
}
