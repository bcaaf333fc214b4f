/* A consumer blocked in one long poll is woken by the work it waits on,
 * not by a timer: a partition whose leader only a later metadata refresh
 * names, and an out-of-range position reset by auto.offset.reset, both
 * deliver within the same poll, well before its timeout. */
#include <pthread.h>

#include "consumer/consumer_int.h"
#include "kplist.h"
#include "mt_conn.h"

#define LONG_POLL_MS 8000
#define PROMPT_MS 3000 /* far below LONG_POLL_MS, far above a loaded machine's lag */

static kfk_mock_cluster *mc;

static void setup(void)
{
    mc = kfk_mock_cluster_new(2);
    ck_assert_ptr_nonnull(mc);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
}

static void produce(const char *topic, int n)
{
    kbuf b = {0};
    bool done = false;
    for (int32_t id = 1; id <= 2 && !done; id++) {
        mt_conn c;
        if (!mt_try_open(&c, mc, id)) continue;
        done = mt_produce(&c, topic, 0, mt_batch(&b, n, 0, -1, -1, -1))->error_code == 0;
        mt_close(&c);
    }
    ck_assert_msg(done, "no broker took the batch for %s-0", topic);
    kbuf_free(&b);
}

static kfk_consumer *consumer(const char *reset)
{
    kfk_conf *conf = kfk_conf_new();
    char err[256];
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), err, sizeof(err)),
        0);
    ck_assert_int_eq(kfk_conf_set(conf, "fetch.max.wait.ms", "100", err, sizeof(err)), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "auto.offset.reset", reset, err, sizeof(err)), 0);
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "kfk_consumer_new: %s", err);
    return c;
}

typedef struct long_poll {
    kfk_consumer *c;
    kfk_message *m;
    int64_t took_ms;
} long_poll;

static void *poll_once(void *arg)
{
    long_poll *lp = arg;
    int64_t t0 = mt_now_ms();
    lp->m = kfk_consumer_poll(lp->c, LONG_POLL_MS);
    lp->took_ms = mt_now_ms() - t0;
    return NULL;
}

START_TEST(test_leader_named_by_a_later_refresh_wakes_the_poll)
{
    kfk_consumer *c = consumer("earliest");
    ck_assert_int_eq(kpl_assign_one(c, "late", 0, 0), KFK_OK);
    /* The topic does not exist yet: the assignment's refresh finds no leader. */
    ck_assert_int_eq(kclient_refresh_wait(c->client, 5000), KFK_OK);
    long_poll lp = {c, NULL, 0};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, poll_once, &lp), 0);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "late", 1, 1), KFK_OK);
    produce("late", 3);
    /* A refresh (as metadata.max.age.ms would make one) names the leader:
     * the poll must learn it from the refresh, not find it on a timer. */
    ck_assert_int_eq(kclient_refresh_wait(c->client, 5000), KFK_OK);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_ptr_nonnull(lp.m);
    ck_assert_msg(lp.took_ms < PROMPT_MS, "poll took %lld ms", (long long)lp.took_ms);
    ck_assert_int_eq(kfk_message_error(lp.m), KFK_OK);
    ck_assert_int_eq(kfk_message_offset(lp.m), 0);
    kfk_message_release(lp.m);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_out_of_range_reset_completes_within_one_poll)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "oor", 1, 1), KFK_OK);
    produce("oor", 5);
    kfk_consumer *c = consumer("earliest");
    ck_assert_int_eq(kpl_assign_one(c, "oor", 0, 1000), KFK_OK);
    long_poll lp = {c, NULL, 0};
    poll_once(&lp);
    ck_assert_ptr_nonnull(lp.m);
    ck_assert_msg(lp.took_ms < PROMPT_MS, "poll took %lld ms", (long long)lp.took_ms);
    ck_assert_int_eq(kfk_message_error(lp.m), KFK_OK);
    ck_assert_int_eq(kfk_message_offset(lp.m), 0); /* earliest */
    kfk_message_release(lp.m);
    kfk_consumer_destroy(c);
}
END_TEST

static Suite *consumer_wake_suite(void)
{
    Suite *s = suite_create("consumer_wake");
    TCase *tc = tcase_create("mock");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_leader_named_by_a_later_refresh_wakes_the_poll);
    tcase_add_test(tc, test_out_of_range_reset_completes_within_one_poll);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(consumer_wake_suite());
}
