/* The consumer API's edges, without a broker: bad configurations give
 * NULL and a reason, NULL handles and arguments give errors instead of
 * crashes, a consumer with nothing assigned polls nothing within its
 * timeout, and calls on partitions it does not have say so. */
#include <check.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kfk.h"
#include "kplist.h"

/* A consumer for a port nothing listens on: enough for API checks. */
static kfk_consumer *offline_consumer(void)
{
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", NULL, 0), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "log.level", "crit", NULL, 0), 0);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

START_TEST(test_new_refuses_a_bad_configuration)
{
    char err[256] = "";
    ck_assert_ptr_null(kfk_consumer_new(NULL, err, sizeof(err)));
    ck_assert(err[0]);
    kfk_conf *conf = kfk_conf_new(); /* no bootstrap.servers */
    err[0] = '\0';
    ck_assert_ptr_null(kfk_consumer_new(conf, err, sizeof(err)));
    ck_assert_msg(strstr(err, "bootstrap.servers") != NULL, "%s", err);
    conf = kfk_conf_new();
    ck_assert_ptr_null(kfk_consumer_new(conf, NULL, 0)); /* no errstr: still fine */
}
END_TEST

START_TEST(test_null_handles_and_arguments_are_errors)
{
    int64_t off;
    kfk_message *m[1];
    ck_assert_int_eq(kfk_consumer_assign(NULL, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_unassign(NULL), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(kfk_consumer_assignment(NULL));
    ck_assert_int_eq(kfk_consumer_committed(NULL, NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(kfk_consumer_poll(NULL, 0));
    ck_assert_uint_eq(kfk_consumer_poll_batch(NULL, m, 1, 0), 0);
    ck_assert_int_eq(kfk_consumer_seek(NULL, "t", 0, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_position(NULL, "t", 0, &off), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_pause(NULL, "t", 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_close(NULL, -1), KFK_ERR_INVALID_ARG);
    kfk_consumer_report_eof(NULL, true);
    kfk_consumer_destroy(NULL);
    kfk_message_release(NULL);
    kfk_partition_list_destroy(NULL);

    kfk_consumer *c = offline_consumer();
    kfk_partition_list *empty = kfk_partition_list_new(0);
    ck_assert_int_eq(kfk_consumer_assign(c, empty), KFK_OK);
    ck_assert_int_eq(kfk_consumer_committed(c, NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_committed(c, empty, 0), KFK_ERR_CONFIG); /* no group.id */
    kfk_partition_list_destroy(empty);
    ck_assert_uint_eq(kfk_consumer_poll_batch(c, NULL, 1, 0), 0);
    ck_assert_uint_eq(kfk_consumer_poll_batch(c, m, 0, 0), 0);
    ck_assert_int_eq(kfk_consumer_seek(c, NULL, 0, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_seek(c, "t", 0, -5), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_seek_to_timestamp(c, "t", 0, -1), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_position(c, "t", 0, NULL), KFK_ERR_INVALID_ARG);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_unassigned_partitions_are_unknown)
{
    kfk_consumer *c = offline_consumer();
    int64_t off;
    ck_assert_int_eq(kfk_consumer_seek(c, "t", 0, 5), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kfk_consumer_seek_to_end(c, "t", 0), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kfk_consumer_position(c, "t", 0, &off), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kfk_consumer_pause(c, "t", 0), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kfk_consumer_resume(c, "t", 0), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kpl_assign_one(c, "t", 0, 42), KFK_OK);
    ck_assert_int_eq(kfk_consumer_position(c, "t", 0, &off), KFK_OK);
    ck_assert_int_eq(off, 42);
    ck_assert_int_eq(kfk_consumer_position(c, "t", 1, &off), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_poll_with_nothing_assigned_times_out)
{
    kfk_consumer *c = offline_consumer();
    int64_t t0 = ktime_mono_ms();
    ck_assert_ptr_null(kfk_consumer_poll(c, 100));
    int64_t waited = ktime_mono_ms() - t0;
    ck_assert_int_ge(waited, 90);
    ck_assert_int_lt(waited, 5000);
    ck_assert_ptr_null(kfk_consumer_poll(c, 0));
    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK);
    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK); /* twice is fine */
    kfk_consumer_destroy(c);
}
END_TEST

static void *poll_forever(void *arg)
{
    return kfk_consumer_poll(arg, -1);
}

START_TEST(test_a_waiting_poll_does_not_hold_up_others)
{
    kfk_consumer *c = offline_consumer();
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, poll_forever, c), 0);
    for (int i = 0; i < 20; i++) {
        int64_t t0 = ktime_mono_ms();
        ck_assert_ptr_null(kfk_consumer_poll(c, 10));
        /* Held up, it would wait for the other poll: forever. */
        ck_assert_int_lt(ktime_mono_ms() - t0, 10000);
    }
    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    void *got = (void *)1;
    ck_assert_int_eq(pthread_timedjoin_np(th, &got, &deadline), 0);
    ck_assert_ptr_null(got);
    kfk_consumer_destroy(c);
}
END_TEST

static Suite *consumer_api_suite(void)
{
    Suite *s = suite_create("consumer_api");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, test_new_refuses_a_bad_configuration);
    tcase_add_test(tc, test_null_handles_and_arguments_are_errors);
    tcase_add_test(tc, test_unassigned_partitions_are_unknown);
    tcase_add_test(tc, test_poll_with_nothing_assigned_times_out);
    tcase_add_test(tc, test_a_waiting_poll_does_not_hold_up_others);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(consumer_api_suite());
}
