/* The producer's statistics against the in-process mock: throttling
 * (KIP-219) and round trips reach the broker's histograms, each throttle
 * counted as kfk_throttle_cb hears of it; acknowledged records reach the
 * partition's counters. And the wake-up fds of an idle producer and
 * consumer say when a stats_cb document is due. */
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "kfk.h"
#include "kfk_mock.h"

#define THROTTLE_MS 50
#define RTT_MS 30

static atomic_int throttles;

static void on_throttle(void *opaque, void *handle, const char *broker, int32_t broker_id,
                        int throttle_ms)
{
    (void)opaque, (void)handle, (void)broker, (void)broker_id;
    if (throttle_ms == THROTTLE_MS) atomic_fetch_add(&throttles, 1);
}

static char *stats(kfk_producer *p, kfk_err (*fn)(kfk_producer *, char *, size_t *))
{
    size_t len = 0;
    ck_assert_int_eq(fn(p, NULL, &len), KFK_ERR_TOO_LARGE);
    len += 4096;
    char *buf = malloc(len);
    ck_assert_int_eq(fn(p, buf, &len), KFK_OK);
    return buf;
}

/* The integer after "key": within the text after "within". */
static long long field(const char *json, const char *within, const char *key)
{
    const char *at = strstr(json, within);
    ck_assert_msg(at != NULL, "no %s in %s", within, json);
    char k[64];
    snprintf(k, sizeof(k), "\"%s\":", key);
    const char *v = strstr(at, k);
    ck_assert_msg(v != NULL, "no %s after %s", key, within);
    return atoll(v + strlen(k));
}

static void produce_one(kfk_producer *p)
{
    kfk_record r = {.topic = "t", .partition = 0, .value = "v", .value_len = 1};
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
}

START_TEST(test_throttles_and_round_trips_reach_the_broker_histograms)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), NULL, 0), KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "linger.ms", "0", NULL, 0), KFK_OK);
    kfk_conf_set_throttle_cb(conf, on_throttle, NULL);
    kfk_producer *p = kfk_producer_new(conf, NULL, 0);
    ck_assert_ptr_nonnull(p);
    produce_one(p); /* connected, metadata known */

    ck_assert_int_eq(kfk_mock_broker_set_throttle(mc, 1, THROTTLE_MS), KFK_OK);
    for (int i = 0; i < 3; i++)
        produce_one(p);
    /* The answer to this one carries no throttle, and comes after every
     * answer that did on the connection, so all were counted by now. */
    ck_assert_int_eq(kfk_mock_broker_set_throttle(mc, 1, 0), KFK_OK);
    produce_one(p);
    int cbs = atomic_load(&throttles);
    ck_assert_int_ge(cbs, 3);

    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 1, RTT_MS), KFK_OK);
    produce_one(p);
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 1, 0), KFK_OK);

    char *json = stats(p, kfk_producer_stats_json);
    const char *b = "/1\":{";
    ck_assert_int_eq(field(json, b, "nodeid"), 1);
    const char *thr = strstr(strstr(json, b), "\"throttle\":");
    ck_assert_int_eq(field(thr, "", "max"), THROTTLE_MS);
    ck_assert_int_eq(field(thr, "", "sum"), (long long)THROTTLE_MS * cbs);
    ck_assert_int_ge(field(thr, "", "cnt"), cbs);
    const char *rtt = strstr(strstr(json, b), "\"rtt\":");
    ck_assert_int_ge(field(rtt, "", "max"), RTT_MS * 1000);
    ck_assert_int_ge(field(rtt, "", "cnt"), 6);
    ck_assert_int_eq(field(json, "\"partitions\":", "txmsgs"), 6);
    ck_assert_int_eq(field(json, "\"partitions\":", "msgq_cnt"), 0);
    ck_assert_int_eq(field(json, "\"name\":", "txmsgs"), 6);
    free(json);

    char *prom = stats(p, kfk_producer_stats_prometheus);
    char want[128];
    snprintf(want, sizeof(want), "node_id=\"1\"} %d.000\n", THROTTLE_MS);
    const char *max = strstr(prom, "kafka_producer_node_produce_throttle_time_max{");
    ck_assert_ptr_nonnull(max);
    ck_assert_ptr_nonnull(strstr(max, want));
    free(prom);
    kfk_producer_destroy(p);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static atomic_int docs;

static void on_stats(void *opaque, void *handle, const char *json, size_t len)
{
    (void)opaque, (void)handle;
    if (len && json[0] == '{') atomic_fetch_add(&docs, 1);
}

static kfk_conf *stats_conf(kfk_mock_cluster *mc)
{
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), NULL, 0), KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "statistics.interval.ms", "300", NULL, 0), KFK_OK);
    kfk_conf_set_stats_cb(conf, on_stats, NULL);
    return conf;
}

static bool readable(int fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, timeout_ms) == 1;
}

/* An event loop that waits on fd alone and polls with timeout 0 when it
 * is readable: each wake-up brings a document, and fd is readable only
 * when one is due (a poll with nothing to deliver would be a busy loop). */
static void wakes_for_documents(int fd, void (*poll0)(void *), void *handle)
{
    ck_assert_int_ge(fd, 0);
    atomic_store(&docs, 0);
    for (int i = 1; i <= 3; i++) {
        ck_assert_msg(readable(fd, 10000), "no wake-up for document %d", i);
        poll0(handle);
        ck_assert_int_eq(atomic_load(&docs), i);
        if (readable(fd, 0)) { /* late enough that the next is due already */
            poll0(handle);
            ck_assert_int_eq(atomic_load(&docs), ++i);
        }
    }
}

static void producer_poll0(void *p)
{
    ck_assert_int_eq(kfk_producer_poll(p, 0), 0);
}

static void consumer_poll0(void *c)
{
    ck_assert_ptr_null(kfk_consumer_poll(c, 0));
}

START_TEST(test_wakeup_fds_say_when_a_document_is_due)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_ptr_nonnull(mc);
    kfk_producer *p = kfk_producer_new(stats_conf(mc), NULL, 0);
    ck_assert_ptr_nonnull(p);
    wakes_for_documents(kfk_producer_wakeup_fd(p), producer_poll0, p);
    kfk_producer_destroy(p);
    kfk_consumer *c = kfk_consumer_new(stats_conf(mc), NULL, 0);
    ck_assert_ptr_nonnull(c);
    wakes_for_documents(kfk_consumer_wakeup_fd(c), consumer_poll0, c);
    kfk_consumer_destroy(c);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("producer_stats");
    TCase *tc = tcase_create("stats");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_throttles_and_round_trips_reach_the_broker_histograms);
    tcase_add_test(tc, test_wakeup_fds_say_when_a_document_is_due);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
