/* partitioner.availability.timeout.ms: when a partition's leader stops
 * taking records (here: a broker answering after 4 s, one request in
 * flight), keyless records stop going to its partitions once their
 * batches have waited for the timeout, and go to the healthy broker's;
 * every record is still delivered once the slow broker answers. Without
 * the timeout the adaptive partitioner only sends less there. */
#include <check.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kfk.h"
#include "kfk_mock.h"

#define N_PARTS 4
#define WARM_MIN 1000
#define LATE 20000
#define MAX_RECORDS 1000000

typedef struct run {
    int32_t partition[MAX_RECORDS]; /* by record index, from the reports */
    atomic_int ok, failed;
} run;

static run *the_run;

static void record_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *dr)
{
    (void)producer;
    (void)opaque;
    int i = (int)(intptr_t)dr->opaque - 1;
    if (dr->err) {
        atomic_fetch_add(&the_run->failed, 1);
        return;
    }
    the_run->partition[i] = dr->partition;
    atomic_fetch_add(&the_run->ok, 1);
}

static kfk_err produce_keyless(kfk_producer *p, const char *v, size_t len, int i)
{
    kfk_record r = {.topic = "t", .partition = KFK_PARTITION_ANY, .value = v, .value_len = len};
    return kfk_produce(p, &r, (void *)(intptr_t)(i + 1));
}

/* Produces keyless records with broker 2 (leader of partitions 2 and 3)
 * stalled from the start; returns how many of the LATE records produced
 * after a second went to broker 2's partitions (their count in *late). */
static int late_records_on_the_stalled_broker(const char *timeout_ms, int *late)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(2);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", N_PARTS, 1), KFK_OK);
    for (int k = 0; k < N_PARTS; k++)
        ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "t", k, k < 2 ? 1 : 2), KFK_OK);
    the_run = calloc(1, sizeof(*the_run));
    kfk_conf *conf = kfk_conf_new();
    const char *kv[][2] = {{"bootstrap.servers", kfk_mock_cluster_bootstrap(mc)},
                           {"partitioner.availability.timeout.ms", timeout_ms},
                           {"max.in.flight.requests.per.connection", "1"},
                           {"linger.ms", "5"},
                           {"batch.size", "2048"},
                           {"log.level", "crit"}};
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        ck_assert_int_eq(kfk_conf_set(conf, kv[i][0], kv[i][1], NULL, 0), KFK_OK);
    kfk_conf_set_dr_cb(conf, record_report, NULL);
    kfk_producer *p = kfk_producer_new(conf, NULL, 0);
    ck_assert_ptr_nonnull(p);
    char v[100];
    memset(v, 'x', sizeof(v));
    kfk_record warm = {.topic = "t", .partition = 0, .value = v, .value_len = 1};
    ck_assert_int_eq(kfk_produce(p, &warm, (void *)(intptr_t)1), KFK_OK); /* metadata */
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 2, 4000), KFK_OK);
    /* 1 s of records at a few thousand a second lets the stall show, then
     * LATE records more, at any pace. */
    int n = 1;
    int64_t start = ktime_mono_ms();
    while (ktime_mono_ms() - start < 1000 || n < WARM_MIN) {
        ck_assert_int_eq(produce_keyless(p, v, sizeof(v), n), KFK_OK);
        if (++n % 16 == 0) kfk_producer_poll(p, 1);
    }
    int first_late = n;
    for (int i = 0; i < LATE; i++, n++)
        ck_assert_int_eq(produce_keyless(p, v, sizeof(v), n), KFK_OK);
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 2, 0), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 60000), KFK_OK);
    ck_assert_int_eq(atomic_load(&the_run->ok), n);
    ck_assert_int_eq(atomic_load(&the_run->failed), 0);
    int on_stalled = 0;
    for (int i = first_late; i < n; i++)
        on_stalled += the_run->partition[i] >= 2;
    *late = n - first_late;
    kfk_producer_destroy(p);
    kfk_mock_cluster_destroy(mc);
    free(the_run);
    return on_stalled;
}

START_TEST(test_keyless_records_skip_a_stalled_broker_after_the_timeout)
{
    int late;
    int on_stalled = late_records_on_the_stalled_broker("200", &late);
    /* At most the sticky batch that was open when the stall was noticed. */
    ck_assert_msg(on_stalled * 100 <= late, "%d of %d late records went to the stalled broker",
                  on_stalled, late);
}
END_TEST

START_TEST(test_without_the_timeout_the_stalled_broker_still_gets_records)
{
    int late;
    int on_stalled = late_records_on_the_stalled_broker("0", &late);
    ck_assert_msg(on_stalled > 0, "no late record went to the stalled broker");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("producer_availability");
    TCase *tc = tcase_create("availability");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_keyless_records_skip_a_stalled_broker_after_the_timeout);
    tcase_add_test(tc, test_without_the_timeout_the_stalled_broker_still_gets_records);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
