/* Idempotent production while a broker of a real 3-node cluster is killed
 * (-9) and restarted (tests/chaos/run starts the cluster): every record
 * is reported once and successfully, and each partition holds exactly the
 * records produced to it, in production order, with no gap and no
 * duplicate (the reports' offsets run 0, 1, 2, ... in production order,
 * and the partition's end offset equals their count). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "kfk.h"
#include "kwire_client.h"

#define VICTIM 2
#define N_PARTS 6
#define N_RECORDS 300000

typedef struct report {
    atomic_int times;
    int32_t partition;
    int64_t offset;
    kfk_err err;
} report;

static void on_report(void *opaque, const kfk_delivery_report *r)
{
    report *x = &((report *)opaque)[(intptr_t)r->opaque];
    atomic_fetch_add(&x->times, 1);
    x->partition = r->partition;
    x->offset = r->offset;
    x->err = r->err;
}

static void kafka(const char *cmd, int node)
{
    const char *dir = getenv("KFK_CHAOS_DIR");
    char line[1024];
    snprintf(line, sizeof(line), "tools/kafka %s %d --dir '%s' >&2", cmd, node, dir);
    ck_assert_msg(system(line) == 0, "%s failed", line);
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
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, 60000, &res), KFK_OK);
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
    if (i % 1000 == 0) kfk_producer_poll(p, 0);
}

START_TEST(test_idempotent_production_survives_a_broker_restart)
{
    char topic[128];
    snprintf(topic, sizeof(topic), "kfk-chaos-producer-%d-%ld", (int)getpid(), (long)time(NULL));
    topic_create(topic);
    report *reports = calloc(N_RECORDS, sizeof(*reports));
    kfk_conf *conf = conf_for();
    kfk_conf_set(conf, "linger.ms", "5", NULL, 0);
    kfk_conf_set(conf, "request.timeout.ms", "10000", NULL, 0);
    kfk_conf_set_dr_cb(conf, on_report, reports);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);

    for (int i = 0; i < N_RECORDS; i++) {
        if (i == N_RECORDS / 3) kafka("kill", VICTIM);
        if (i == 2 * N_RECORDS / 3) kafka("restart", VICTIM);
        produce(p, topic, i);
    }
    ck_assert_int_eq(kfk_producer_flush(p, 180000), KFK_OK);
    kfk_producer_destroy(p);

    int64_t next[N_PARTS] = {0};
    for (int i = 0; i < N_RECORDS; i++) {
        report *x = &reports[i];
        ck_assert_msg(atomic_load(&x->times) == 1, "record %d: %d reports", i,
                      atomic_load(&x->times));
        ck_assert_msg(x->err == KFK_OK, "record %d: %s", i, kfk_err_str(x->err));
        ck_assert(x->partition >= 0 && x->partition < N_PARTS);
        ck_assert_msg(x->offset == next[x->partition], "record %d at %lld, expected %lld", i,
                      (long long)x->offset, (long long)next[x->partition]);
        next[x->partition]++;
    }
    /* The partitions' end offsets: nothing more was written (no duplicate). */
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "kcat -b '%s' -C -t '%s' -e -q -f '%%p\\n' 2>/dev/null | wc -l",
             ktest_bootstrap(), topic);
    FILE *f = popen(cmd, "r");
    long total = -1;
    ck_assert(f && fscanf(f, "%ld", &total) == 1);
    pclose(f);
    ck_assert_int_eq(total, N_RECORDS);
    free(reports);
}
END_TEST

static Suite *producer_restart_suite(void)
{
    Suite *s = suite_create("producer_restart");
    TCase *tc = tcase_create("restart");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_idempotent_production_survives_a_broker_restart);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_bootstrap() || !getenv("KFK_CHAOS_DIR")) {
        fprintf(stderr, "needs tests/chaos/run (KFK_TEST_BOOTSTRAP, KFK_CHAOS_DIR): skipped\n");
        return 0;
    }
    return ktest_run(producer_restart_suite());
}
