/* Shutdown stays bounded when no broker helps: producer close and
 * consumer close keep to their timeouts, and destroy does not wait for
 * brokers at all, with every broker down (connections refused) and with
 * every broker silent (connections accepted, nothing answered). Every
 * produced record still gets exactly one report. The bounds allow for a
 * loaded machine; each test prints the time it measured. */
#include "mt_conn.h"

#include <stdatomic.h>

#include "kfk.h"
#include "kmember.h"

#define NB 3
#define NP 3
#define RECORDS 2000
#define CLOSE_MS 1000
#define SLACK_MS 2500 /* far above the ~100 ms a quiet machine shows */
#define WAIT_MS 20000

static kfk_mock_cluster *mc;

static void setup(void)
{
    mc = kfk_mock_cluster_new(NB);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", NP, NB), KFK_OK);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
    mc = NULL;
}

/* Every broker down (refusing connections) or silent (never answering). */
static void brokers_fail(bool silent)
{
    for (int32_t b = 1; b <= NB; b++)
        ck_assert_int_eq(silent ? kfk_mock_broker_set_rtt(mc, b, 600000)
                                : kfk_mock_broker_set_down(mc, b, true),
                         KFK_OK);
}

static atomic_int reports[RECORDS];
static atomic_int n_reports;

static void on_report(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)opaque, (void)p;
    int i = (int)(intptr_t)r->opaque;
    ck_assert(i >= 0 && i < RECORDS);
    atomic_fetch_add(&reports[i], 1);
    atomic_fetch_add(&n_reports, 1);
}

static kfk_producer *producer(void)
{
    kfk_conf *conf = kfk_conf_new();
    char err[256];
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), err, sizeof(err)),
        KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "log.level", "crit", err, sizeof(err)), KFK_OK);
    kfk_conf_set_dr_cb(conf, on_report, NULL);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    for (int i = 0; i < RECORDS; i++)
        atomic_store(&reports[i], 0);
    atomic_store(&n_reports, 0);
    return p;
}

static void produce(kfk_producer *p, int from, int to)
{
    for (int i = from; i < to; i++) {
        char v[32];
        int n = snprintf(v, sizeof(v), "record-%d", i);
        kfk_record rec = {
            .topic = "t", .partition = KFK_PARTITION_ANY, .value = v, .value_len = (size_t)n};
        ck_assert_int_eq(kfk_produce(p, &rec, (void *)(intptr_t)i), KFK_OK);
    }
}

static void each_reported_once(void)
{
    ck_assert_int_eq(atomic_load(&n_reports), RECORDS);
    for (int i = 0; i < RECORDS; i++)
        ck_assert_msg(atomic_load(&reports[i]) == 1, "record %d reported %d times", i,
                      atomic_load(&reports[i]));
}

/* Half the records delivered, then every broker fails with the other
 * half queued or in flight: close gives up at its timeout. */
static void producer_close_bounded(bool silent)
{
    kfk_producer *p = producer();
    produce(p, 0, RECORDS / 2);
    ck_assert_int_eq(kfk_producer_flush(p, WAIT_MS), KFK_OK);
    brokers_fail(silent);
    produce(p, RECORDS / 2, RECORDS);
    int64_t t0 = ktime_mono_ms();
    ck_assert_int_eq(kfk_producer_close(p, CLOSE_MS), KFK_ERR_TIMED_OUT);
    int64_t took = ktime_mono_ms() - t0;
    printf("NOTE: producer close(%d ms), brokers %s: %lld ms\n", CLOSE_MS,
           silent ? "silent" : "down", (long long)took);
    ck_assert_msg(took >= CLOSE_MS - 10 && took < CLOSE_MS + SLACK_MS, "close took %lld ms",
                  (long long)took);
    each_reported_once();
}

START_TEST(test_producer_close_with_every_broker_down)
{
    producer_close_bounded(false);
}
END_TEST

START_TEST(test_producer_close_with_every_broker_silent)
{
    producer_close_bounded(true);
}
END_TEST

/* destroy waits for no broker: records in flight to silent brokers are
 * reported KFK_ERR_DESTROYED at once. */
START_TEST(test_producer_destroy_with_every_broker_silent)
{
    kfk_producer *p = producer();
    produce(p, 0, RECORDS / 2);
    ck_assert_int_eq(kfk_producer_flush(p, WAIT_MS), KFK_OK);
    brokers_fail(true);
    produce(p, RECORDS / 2, RECORDS);
    int64_t t0 = ktime_mono_ms();
    kfk_producer_destroy(p);
    int64_t took = ktime_mono_ms() - t0;
    printf("NOTE: producer destroy, brokers silent: %lld ms\n", (long long)took);
    ck_assert_msg(took < SLACK_MS, "destroy took %lld ms", (long long)took);
    each_reported_once();
}
END_TEST

/* A consumer that owns every partition, then every broker fails: close
 * (leave, commit) keeps to its timeout and destroy adds little. */
static void consumer_close_bounded(bool silent)
{
    const char *const kv[][2] = {{"log.level", "crit"}, {"enable.auto.commit", "true"}, {NULL}};
    kmember m;
    kmember_start(&m, kmember_conf(kfk_mock_cluster_bootstrap(mc), "g", kv, NULL),
                  &(kmember_opts){.topic = "t"});
    KMEMBER_UNTIL(WAIT_MS, m.st.owned == NP, &m);
    brokers_fail(silent);
    int64_t t0 = ktime_mono_ms();
    kfk_err err = kfk_consumer_close(m.c, CLOSE_MS);
    int64_t took = ktime_mono_ms() - t0;
    kmember_destroy(&m);
    int64_t total = ktime_mono_ms() - t0;
    printf("NOTE: consumer close(%d ms), brokers %s: %s in %lld ms, with destroy %lld ms\n",
           CLOSE_MS, silent ? "silent" : "down", kfk_err_name(err), (long long)took,
           (long long)total);
    ck_assert_msg(err == KFK_ERR_TIMED_OUT || err == KFK_OK, "close: %s", kfk_err_str(err));
    ck_assert_msg(took < CLOSE_MS + SLACK_MS, "close took %lld ms", (long long)took);
    ck_assert_msg(total < CLOSE_MS + 2 * SLACK_MS, "close and destroy took %lld ms",
                  (long long)total);
}

START_TEST(test_consumer_close_with_every_broker_down)
{
    consumer_close_bounded(false);
}
END_TEST

START_TEST(test_consumer_close_with_every_broker_silent)
{
    consumer_close_bounded(true);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("shutdown");
    TCase *tc = tcase_create("bounded");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_producer_close_with_every_broker_down);
    tcase_add_test(tc, test_producer_close_with_every_broker_silent);
    tcase_add_test(tc, test_producer_destroy_with_every_broker_silent);
    tcase_add_test(tc, test_consumer_close_with_every_broker_down);
    tcase_add_test(tc, test_consumer_close_with_every_broker_silent);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
