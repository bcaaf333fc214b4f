/* metadata.max.idle.ms: a topic the producer stopped writing to leaves
 * the set of topics its metadata refreshes ask for, no sooner than the
 * idle time, while a topic still written to stays; a record for the idle
 * topic brings it back and is delivered. */
#include <check.h>
#include <stdatomic.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "client/client.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "producer/producer_int.h"

static atomic_int ok, failed;

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *dr)
{
    (void)producer;
    (void)opaque;
    atomic_fetch_add(dr->err ? &failed : &ok, 1);
}

static kfk_err produce(kfk_producer *p, const char *topic)
{
    kfk_record r = {.topic = topic, .partition = KFK_PARTITION_ANY, .value = "v", .value_len = 1};
    return kfk_produce(p, &r, NULL);
}

START_TEST(test_an_idle_topic_leaves_the_metadata_and_comes_back)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "quiet", 2, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "busy", 2, 1), KFK_OK);
    kfk_conf *conf = kfk_conf_new();
    const char *kv[][2] = {{"bootstrap.servers", kfk_mock_cluster_bootstrap(mc)},
                           {"metadata.max.idle.ms", "5000"}, /* the least Java allows */
                           {"metadata.max.age.ms", "200"},   /* refreshes check for idleness */
                           {"linger.ms", "1"},
                           {"log.level", "crit"}};
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        ck_assert_int_eq(kfk_conf_set(conf, kv[i][0], kv[i][1], NULL, 0), KFK_OK);
    kfk_conf_set_dr_cb(conf, on_report, NULL);
    kfk_producer *p = kfk_producer_new(conf, NULL, 0);
    ck_assert_ptr_nonnull(p);
    kclient *c = p->client;

    int64_t start = ktime_mono_ms();
    ck_assert_int_eq(produce(p, "quiet"), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert(kclient_wants_topic(c, "quiet"));
    int sent = 1;
    while (kclient_wants_topic(c, "quiet") && ktime_mono_ms() - start < 30000) {
        ck_assert_int_eq(produce(p, "busy"), KFK_OK); /* one batch each time */
        sent++;
        kfk_producer_poll(p, 100);
    }
    int64_t idle_after = ktime_mono_ms() - start;
    ck_assert_msg(!kclient_wants_topic(c, "quiet"), "quiet never went idle");
    ck_assert_msg(idle_after >= 5000, "idle after %lld ms", (long long)idle_after);
    ck_assert(kclient_wants_topic(c, "busy"));

    ck_assert_int_eq(produce(p, "quiet"), KFK_OK); /* back */
    sent++;
    ck_assert(kclient_wants_topic(c, "quiet"));
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(atomic_load(&ok), sent);
    ck_assert_int_eq(atomic_load(&failed), 0);
    kfk_producer_destroy(p);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("producer_idle");
    TCase *tc = tcase_create("idle");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_an_idle_topic_leaves_the_metadata_and_comes_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
