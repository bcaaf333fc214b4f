/* kfk_producer_wakeup_fd and kfk_consumer_wakeup_fd against a cluster
 * (KFK_TEST_BOOTSTRAP): the descriptor is readable exactly while a poll
 * has work (delivery reports; messages; a closed consumer), and a poll
 * that takes the work makes it quiet again. Event loops (the Python
 * binding's asyncio layer) wait on it instead of polling on a timer. */
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "../common/ktest.h"
#include "kfk.h"
#include "kwire_client.h"

#define WAIT_MS 30000

static kfk_conf *conf_for(void)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", ktest_bootstrap(), err, sizeof(err)),
                     0);
    return conf;
}

static void topic_create(const char *name)
{
    char err[512];
    kfk_admin *a = kfk_admin_new(conf_for(), err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    kfk_new_topic *t = kfk_new_topic_new(name, 1, -1);
    kfk_admin_result *res = NULL;
    ck_assert_int_eq(
        kfk_admin_create_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = 30000}, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    kfk_admin_destroy(a);
}

static bool readable(int fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

static int reports;
static void on_report(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)opaque, (void)p;
    ck_assert_int_eq(r->err, KFK_OK);
    reports++;
}

static void produce_n(const char *topic, int n)
{
    kfk_conf *conf = conf_for();
    kfk_conf_set_dr_cb(conf, on_report, NULL);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    int fd = kfk_producer_wakeup_fd(p);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(kfk_producer_wakeup_fd(p), fd);
    ck_assert(!readable(fd, 0));
    reports = 0;
    for (int i = 0; i < n; i++) {
        kfk_record rec = {.topic = topic, .partition = 0, .value = "v", .value_len = 1};
        ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
    }
    while (reports < n) {
        ck_assert_msg(readable(fd, WAIT_MS), "no wake-up with %d of %d reports", reports, n);
        ck_assert_int_gt(kfk_producer_poll(p, 0), 0);
        ck_assert(!readable(fd, 0));
    }
    ck_assert_int_eq(reports, n);
    kfk_producer_destroy(p);
}

START_TEST(test_producer_fd_is_readable_while_reports_wait)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "wakefd-p");
    topic_create(topic);
    produce_n(topic, 10);
}
END_TEST

START_TEST(test_consumer_fd_is_readable_while_messages_wait)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "wakefd-c");
    topic_create(topic);
    produce_n(topic, 5);
    char err[512];
    kfk_conf *conf = conf_for();
    ck_assert_int_eq(kfk_conf_set(conf, "max.poll.records", "2", err, sizeof(err)), KFK_OK);
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    int fd = kfk_consumer_wakeup_fd(c);
    ck_assert_int_ge(fd, 0);
    ck_assert(!readable(fd, 0));
    kfk_partition_list *l = kfk_partition_list_new(1);
    kfk_partition_list_add(l, topic, 0);
    kfk_partition_list_set_offset(l, 0, KFK_OFFSET_BEGINNING);
    ck_assert_int_eq(kfk_consumer_assign(c, l), KFK_OK);
    kfk_partition_list_destroy(l);
    int got = 0;
    while (got < 5) {
        ck_assert_msg(readable(fd, WAIT_MS), "no wake-up with %d of 5 messages", got);
        /* A poll that fills its batch may leave work behind (the fd then
         * stays readable): poll until a poll finds nothing. */
        kfk_message *m[2];
        size_t n;
        while ((n = kfk_consumer_poll_batch(c, m, 2, 0)) > 0) {
            for (size_t i = 0; i < n; i++) {
                ck_assert_int_eq(kfk_message_error(m[i]), KFK_OK);
                ck_assert_int_eq(kfk_message_offset(m[i]), got);
                got++;
                kfk_message_release(m[i]);
            }
        }
    }
    /* Everything taken, nothing more to fetch: quiet. */
    ck_assert(!readable(fd, 0));
    ck_assert_int_eq(kfk_consumer_close(c, 10000), KFK_OK);
    ck_assert(readable(fd, 0));
    kfk_consumer_destroy(c);
}
END_TEST

static Suite *wakeup_fd_suite(void)
{
    Suite *s = suite_create("wakeup_fd");
    TCase *tc = tcase_create("wakeup_fd");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_producer_fd_is_readable_while_reports_wait);
    tcase_add_test(tc, test_consumer_fd_is_readable_while_messages_wait);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(wakeup_fd_suite());
}
