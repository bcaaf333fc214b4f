/* make demo: produce and consume through an embedded mock cluster and print
 * the throughput of each half.
 *
 * It starts a 3-broker kfk_mock_cluster in this process, creates a topic of
 * 6 partitions, produces DEMO_MESSAGES (default 1,000,000) records of
 * DEMO_SIZE (default 100) bytes with keys, waits for every delivery report,
 * then reads them all back with a consumer assigned to every partition and
 * checks that each partition's offsets are contiguous. The figures are
 * wall-clock msgs/s and this process's CPU time per message (getrusage),
 * which includes the mock broker's: a demo, not a benchmark (see bench/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kfk.h"
#include "kfk_mock.h"

#define PARTITIONS 6
#define TOPIC "kfk-demo"

typedef struct meter {
    struct timespec wall;
    struct rusage cpu;
} meter;

static void meter_start(meter *m)
{
    clock_gettime(CLOCK_MONOTONIC, &m->wall);
    getrusage(RUSAGE_SELF, &m->cpu);
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

/* Prints one result line: msgs/s, MB/s and CPU ns per message. */
static void meter_report(const meter *m, const char *what, long n, size_t size)
{
    struct timespec now;
    struct rusage ru;
    clock_gettime(CLOCK_MONOTONIC, &now);
    getrusage(RUSAGE_SELF, &ru);
    double wall = (double)(now.tv_sec - m->wall.tv_sec) + (double)(now.tv_nsec - m->wall.tv_nsec) / 1e9;
    double cpu = tv_s(ru.ru_utime) - tv_s(m->cpu.ru_utime) + tv_s(ru.ru_stime) - tv_s(m->cpu.ru_stime);
    printf("%-8s %ld msgs of %zu B in %.2f s: %.0f msgs/s, %.1f MB/s, %.0f ns CPU/msg\n", what, n,
           size, wall, (double)n / wall, (double)n * (double)size / wall / 1e6, cpu * 1e9 / (double)n);
}

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : def;
}

static kfk_conf *conf_for(const char *bootstrap)
{
    char errstr[256];
    kfk_conf *conf = kfk_conf_new();
    if (!conf || kfk_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr))) {
        fprintf(stderr, "demo: %s\n", conf ? errstr : "out of memory");
        exit(1);
    }
    return conf;
}

typedef struct produce_state {
    long delivered;
    long failed;
    kfk_err first_err;
} produce_state;

static void on_delivery(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    produce_state *s = opaque;
    if (r->err == KFK_OK) {
        s->delivered++;
    } else if (s->failed++ == 0) {
        s->first_err = r->err;
    }
}

static int produce(const char *bootstrap, long n, size_t size)
{
    char errstr[256];
    produce_state st = {0};
    kfk_conf *conf = conf_for(bootstrap);
    kfk_conf_set_dr_cb(conf, on_delivery, &st);
    kfk_producer *p = kfk_producer_new(conf, errstr, sizeof(errstr));
    if (!p) {
        fprintf(stderr, "demo: producer: %s\n", errstr);
        return -1;
    }
    char *value = malloc(size);
    memset(value, 'v', size);
    meter m;
    meter_start(&m);
    for (long i = 0; i < n; i++) {
        char key[24];
        int klen = snprintf(key, sizeof(key), "key-%ld", i);
        kfk_record rec = {.topic = TOPIC, .partition = KFK_PARTITION_ANY, .key = key,
                          .key_len = (size_t)klen, .value = value, .value_len = size};
        kfk_err err;
        while ((err = kfk_produce(p, &rec, NULL)) == KFK_ERR_QUEUE_FULL)
            kfk_producer_poll(p, 10); /* serve reports: that frees queue room */
        if (err) {
            fprintf(stderr, "demo: kfk_produce: %s\n", kfk_err_str(err));
            break;
        }
        if ((i & 1023) == 0)
            kfk_producer_poll(p, 0);
    }
    kfk_err err = kfk_producer_flush(p, 60000);
    meter_report(&m, "produced", st.delivered, size);
    kfk_producer_destroy(p);
    free(value);
    if (err || st.failed || st.delivered != n) {
        fprintf(stderr, "demo: flush %s; %ld delivered, %ld failed (first: %s)\n",
                kfk_err_str(err), st.delivered, st.failed, kfk_err_str(st.first_err));
        return -1;
    }
    return 0;
}

static int consume(const char *bootstrap, long n, size_t size)
{
    char errstr[256];
    kfk_consumer *c = kfk_consumer_new(conf_for(bootstrap), errstr, sizeof(errstr));
    if (!c) {
        fprintf(stderr, "demo: consumer: %s\n", errstr);
        return -1;
    }
    kfk_partition_list *list = kfk_partition_list_new(PARTITIONS);
    kfk_err err = list ? KFK_OK : KFK_ERR_NO_MEMORY;
    for (int i = 0; i < PARTITIONS && !err; i++)
        if (!(err = kfk_partition_list_add(list, TOPIC, i)))
            err = kfk_partition_list_set_offset(list, (size_t)i, KFK_OFFSET_BEGINNING);
    if (!err) err = kfk_consumer_assign(c, list);
    kfk_partition_list_destroy(list);
    if (err) {
        fprintf(stderr, "demo: assign: %s\n", kfk_err_str(err));
        kfk_consumer_destroy(c);
        return -1;
    }
    int64_t next[PARTITIONS] = {0};
    long got = 0, gaps = 0, idle_polls = 0;
    kfk_message *msgs[1024];
    meter m;
    meter_start(&m);
    while (got < n && idle_polls < 50) { /* 50 empty polls of 100 ms: give up */
        size_t k = kfk_consumer_poll_batch(c, msgs, 1024, 100);
        idle_polls = k ? 0 : idle_polls + 1;
        for (size_t i = 0; i < k; i++) {
            if (kfk_message_error(msgs[i]) == KFK_OK) {
                int32_t part = kfk_message_partition(msgs[i]);
                int64_t off = kfk_message_offset(msgs[i]);
                gaps += off != next[part];
                next[part] = off + 1;
                got++;
            }
            kfk_message_release(msgs[i]);
        }
    }
    meter_report(&m, "consumed", got, size);
    kfk_consumer_close(c, -1);
    kfk_consumer_destroy(c);
    if (got != n || gaps) {
        fprintf(stderr, "demo: consumed %ld of %ld, %ld offset gaps\n", got, n, gaps);
        return -1;
    }
    return 0;
}

int main(void)
{
    long n = env_long("DEMO_MESSAGES", 1000000);
    size_t size = (size_t)env_long("DEMO_SIZE", 100);
    printf("kfk %s demo: %ld messages of %zu B through an embedded 3-broker mock cluster\n",
           kfk_version_str(), n, size);
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    if (!mc || kfk_mock_topic_create(mc, TOPIC, PARTITIONS, 3)) {
        fprintf(stderr, "demo: cannot start the mock cluster\n");
        return 1;
    }
    const char *bootstrap = kfk_mock_cluster_bootstrap(mc);
    int rc = produce(bootstrap, n, size) || consume(bootstrap, n, size);
    kfk_mock_cluster_destroy(mc);
    if (!rc)
        printf("every message delivered once and read back in order\n");
    return rc ? 1 : 0;
}
