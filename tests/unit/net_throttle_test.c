/* KIP-219 quota throttling: a broker whose answers carry throttle_time_ms
 * gets nothing new on that connection until the time has passed; the
 * records wait and are all delivered. Without throttling the same load
 * takes many more requests, which shows the pause comes from the client. */
#include <check.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "proto/gen/produce.h"

#define RUN_MS 2000
#define THROTTLE_MS 400

static atomic_int ok, failed, throttled_cbs, odd_cbs;

/* On an I/O thread: counts, and the test thread checks. */
static kfk_producer *_Atomic throttled_producer;

static void on_throttle(void *opaque, void *handle, const char *broker, int32_t broker_id,
                        int throttle_ms)
{
    (void)opaque;
    bool as_expected = strstr(broker, "/1") && broker_id == 1 && throttle_ms == THROTTLE_MS &&
                       handle == atomic_load(&throttled_producer);
    atomic_fetch_add(as_expected ? &throttled_cbs : &odd_cbs, 1);
}

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *dr)
{
    (void)producer;
    (void)opaque;
    atomic_fetch_add(dr->err ? &failed : &ok, 1);
}

/* Produces for RUN_MS with broker 1 throttling at throttle_ms; returns
 * how many Produce requests broker 1 got meanwhile. */
static int64_t produce_requests_while_throttled(int throttle_ms)
{
    atomic_store(&ok, 0);
    atomic_store(&failed, 0);
    atomic_store(&throttled_cbs, 0);
    atomic_store(&odd_cbs, 0);
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    kfk_conf *conf = kfk_conf_new();
    const char *kv[][2] = {{"bootstrap.servers", kfk_mock_cluster_bootstrap(mc)},
                           {"linger.ms", "0"},
                           {"max.in.flight.requests.per.connection", "1"},
                           {"log.level", "crit"}};
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        ck_assert_int_eq(kfk_conf_set(conf, kv[i][0], kv[i][1], NULL, 0), KFK_OK);
    kfk_conf_set_dr_cb(conf, on_report, NULL);
    kfk_conf_set_throttle_cb(conf, on_throttle, NULL);
    kfk_producer *p = kfk_producer_new(conf, NULL, 0);
    ck_assert_ptr_nonnull(p);
    atomic_store(&throttled_producer, p); /* the callback gets it as its handle */
    kfk_record r = {.topic = "t", .partition = 0, .value = "v", .value_len = 1};
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_OK); /* connected, metadata known */
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(kfk_mock_broker_set_throttle(mc, 1, throttle_ms), KFK_OK);
    int64_t before = kfk_mock_broker_request_count(mc, 1, KFK_MOCK_API_PRODUCE);
    int n = 1;
    int64_t start = ktime_mono_ms();
    while (ktime_mono_ms() - start < RUN_MS) {
        ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_OK);
        n++;
        kfk_producer_poll(p, 1); /* paces the loop, serves reports */
    }
    int64_t requests = kfk_mock_broker_request_count(mc, 1, KFK_MOCK_API_PRODUCE) - before;
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    ck_assert_int_eq(atomic_load(&ok), n);
    ck_assert_int_eq(atomic_load(&failed), 0);
    kfk_producer_destroy(p);
    kfk_mock_cluster_destroy(mc);
    return requests;
}

START_TEST(test_a_throttled_broker_gets_nothing_new_until_the_time_passed)
{
    int64_t throttled = produce_requests_while_throttled(THROTTLE_MS);
    ck_assert_int_ge(atomic_load(&throttled_cbs), 2); /* the application heard of it */
    ck_assert_int_eq(atomic_load(&odd_cbs), 0);
    /* one request per throttle period, and the one answered at the start */
    ck_assert_msg(throttled <= RUN_MS / THROTTLE_MS + 2, "%lld requests",
                  (long long)throttled);
    int64_t free_running = produce_requests_while_throttled(0);
    ck_assert_int_eq(atomic_load(&throttled_cbs), 0);
    ck_assert_msg(free_running > 3 * (RUN_MS / THROTTLE_MS + 2), "%lld requests unthrottled",
                  (long long)free_running);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("net_throttle");
    TCase *tc = tcase_create("throttle");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_throttled_broker_gets_nothing_new_until_the_time_passed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
