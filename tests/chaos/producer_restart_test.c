/* Idempotent production while a broker of a real 3-node cluster fails
 * (tests/chaos/run starts the cluster, or names one): killed (-9) and
 * restarted, or hung (SIGSTOP: its connections stay open and answer
 * nothing, past request.timeout.ms) and resumed. The producer writes at a
 * steady pace for the whole run: before the fault, while the node is away
 * (its partitions' batches in flight when it fails, then queued until new
 * leaders are known), across its return and after it. Then every record
 * must be reported once and successfully, each
 * partition must hold exactly the records produced to it, in production
 * order, with no gap and no duplicate: the reports' offsets run 0, 1, 2,
 * ... in production order, and a read-back with kcat finds each record
 * once, at the partition and offset its report gave. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "kclus.h"
#include "kfk.h"
#include "kwire_client.h"

#define VICTIM 2
#define N_PARTS 6
#define RATE 20000        /* records per second, paced */
#define BEFORE_MS 2000    /* producing before the kill */
#define DOWN_MS 6000      /* a killed node stays down this long (failover included) */
#define HUNG_MS 12000     /* a paused node hangs this long: past request.timeout.ms */
#define AFTER_MS 4000     /* producing after the restart returned */
#define MAX_RECORDS 2000000

typedef struct report {
    atomic_int times;
    int32_t partition;
    int64_t offset;
    kfk_err err;
} report;

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    report *x = &((report *)opaque)[(intptr_t)r->opaque];
    atomic_fetch_add(&x->times, 1);
    x->partition = r->partition;
    x->offset = r->offset;
    x->err = r->err;
}

static kfk_conf *conf_for(void)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", ktest_bootstrap(), err, sizeof(err)),
                     0);
    if (getenv("KFK_TEST_DEBUG")) kfk_conf_set(conf, "log.level", "debug", NULL, 0);
    return conf;
}

static void topic_create(const char *name)
{
    char err[512];
    kfk_admin *a = kfk_admin_new(conf_for(), err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    kfk_new_topic *t = kfk_new_topic_new(name, N_PARTS, 3);
    kfk_admin_result *res = NULL;
    ck_assert_int_eq(
        kfk_admin_create_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = 60000}, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    kfk_admin_destroy(a);
}

static void produce(kfk_producer *p, const char *topic, int i)
{
    char key[32], value[64];
    snprintf(key, sizeof(key), "k%d", i % 1000);
    snprintf(value, sizeof(value), "value-%d", i);
    kfk_record rec = {.topic = topic,
                      .partition = KFK_PARTITION_ANY,
                      .key = key,
                      .key_len = strlen(key),
                      .value = value,
                      .value_len = strlen(value)};
    kfk_err err = kfk_produce(p, &rec, (void *)(intptr_t)i);
    ck_assert_msg(err == KFK_OK, "produce %d: %s", i, kfk_err_str(err));
}

/* A fault: the tools/kafka commands that start and end it, and how long
 * it lasts. */
typedef struct fault {
    const char *down, *up;
    int64_t down_ms;
} fault;

static const fault KILL = {"kill", "restart", DOWN_MS}, HANG = {"pause", "resume", HUNG_MS};

/* The fault schedule, on its own thread so production goes on while
 * tools/kafka kills and restarts (a restart waits for the port). */
typedef struct chaos {
    const fault *f;
    pthread_t thread;
    atomic_int produced;          /* records produced so far (main thread) */
    int at_kill, at_restart;      /* produced when the node died / was back */
    atomic_bool done;             /* the restart returned */
    bool failed;                  /* tools/kafka kill or restart failed */
    int64_t done_ms;
} chaos;

static void *chaos_main(void *arg)
{
    chaos *c = arg;
    kclus_nap(BEFORE_MS);
    c->failed |= kclus_kafka(c->f->down, VICTIM) != 0;
    c->at_kill = atomic_load(&c->produced);
    kclus_nap((int)(c->f->down_ms));
    c->failed |= kclus_kafka(c->f->up, VICTIM) != 0;
    c->at_restart = atomic_load(&c->produced);
    c->done_ms = kclus_now_ms();
    atomic_store(&c->done, true);
    return NULL;
}

/* Reads the topic back with kcat and checks each record against its
 * report: found once, at the partition and offset reported. */
static void check_read_back(const char *topic, const report *reports, int n)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "kcat -b '%s' -C -t '%s' -e -q -f '%%p %%o %%s\\n' 2>/dev/null",
             ktest_bootstrap(), topic);
    FILE *f = popen(cmd, "r");
    ck_assert(f != NULL);
    unsigned char *seen = calloc((size_t)n, 1);
    int lines = 0, p, idx;
    long long off;
    while (fscanf(f, "%d %lld value-%d\n", &p, &off, &idx) == 3) {
        ck_assert_msg(idx >= 0 && idx < n, "read back record %d of %d", idx, n);
        ck_assert_msg(!seen[idx], "record %d read back twice (duplicate)", idx);
        seen[idx] = 1;
        ck_assert_msg(p == reports[idx].partition && off == reports[idx].offset,
                      "record %d read at %d/%lld, reported at %d/%lld", idx, p, off,
                      reports[idx].partition, (long long)reports[idx].offset);
        lines++;
    }
    ck_assert_int_eq(pclose(f), 0);
    ck_assert_msg(lines == n, "read back %d records of %d", lines, n);
    free(seen);
}

static void produce_through(const fault *f)
{
    char topic[128];
    snprintf(topic, sizeof(topic), "kfk-chaos-producer-%s-%d-%ld", f->down, (int)getpid(),
             (long)time(NULL));
    topic_create(topic);
    report *reports = calloc(MAX_RECORDS, sizeof(*reports));
    kfk_conf *conf = conf_for();
    kfk_conf_set(conf, "linger.ms", "5", NULL, 0);
    kfk_conf_set(conf, "request.timeout.ms", "10000", NULL, 0);
    kfk_conf_set_dr_cb(conf, on_report, reports);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);

    chaos c = {.f = f};
    ck_assert_int_eq(pthread_create(&c.thread, NULL, chaos_main, &c), 0);
    /* Paced: RATE/1000 records every millisecond, catching up when late. */
    int n = 0;
    int64_t start = kclus_now_ms();
    for (;;) {
        int64_t t = kclus_now_ms();
        if (atomic_load(&c.done) && t - c.done_ms >= AFTER_MS) break;
        int64_t due = (t - start + 1) * RATE / 1000;
        for (; n < due && n < MAX_RECORDS; n++)
            produce(p, topic, n);
        atomic_store(&c.produced, n);
        kfk_producer_poll(p, 0);
        kclus_nap(1);
    }
    pthread_join(c.thread, NULL);
    ck_assert_msg(!c.failed, "tools/kafka %s or %s %d failed", f->down, f->up, VICTIM);
    ck_assert_int_eq(kfk_producer_flush(p, 180000), KFK_OK);
    kfk_producer_destroy(p);
    fprintf(stderr,
            "NOTE: chaos producer: %d records; %s at record %d, node back at %d, "
            "%d produced while it was away\n",
            n, f->down, c.at_kill, c.at_restart, c.at_restart - c.at_kill);
    /* Production really went on while the node was away. */
    ck_assert_int_ge(c.at_kill, RATE * BEFORE_MS / 1000 / 2);
    ck_assert_int_ge(c.at_restart - c.at_kill, RATE * f->down_ms / 1000 / 2);
    ck_assert_int_ge(n - c.at_restart, RATE * AFTER_MS / 1000 / 2);

    int64_t next[N_PARTS] = {0};
    for (int i = 0; i < n; i++) {
        report *x = &reports[i];
        ck_assert_msg(atomic_load(&x->times) == 1, "record %d: %d reports", i,
                      atomic_load(&x->times));
        ck_assert_msg(x->err == KFK_OK, "record %d: %s", i, kfk_err_str(x->err));
        ck_assert(x->partition >= 0 && x->partition < N_PARTS);
        ck_assert_msg(x->offset == next[x->partition], "record %d at %lld, expected %lld", i,
                      (long long)x->offset, (long long)next[x->partition]);
        next[x->partition]++;
    }
    check_read_back(topic, reports, n);
    free(reports);
}

START_TEST(test_idempotent_production_survives_a_broker_restart)
{
    produce_through(&KILL);
}
END_TEST

START_TEST(test_idempotent_production_survives_a_hung_broker)
{
    produce_through(&HANG);
}
END_TEST

static Suite *producer_restart_suite(void)
{
    Suite *s = suite_create("producer_restart");
    TCase *tc = tcase_create("restart");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_idempotent_production_survives_a_broker_restart);
    tcase_add_test(tc, test_idempotent_production_survives_a_hung_broker);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return kclus_chaos_main(producer_restart_suite);
}
