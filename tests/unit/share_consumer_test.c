/* The share consumer (lib/share) against the in-process mock, where the
 * broker's share settings can be changed (kfk_mock_set_share_*): records
 * held past their acquisition lock go to another member with delivery
 * count 2; a record released up to the delivery count limit is archived,
 * never delivered again; a wakeup ends a poll blocked in another thread;
 * a group error that cannot clear reaches poll, and subscribing again
 * recovers; a cluster without share groups is named as such;
 * acknowledgement batches on the wire (runs of offsets, one type per run
 * when all agree). The share groups start at the log's start
 * (share.auto.offset.reset earliest), so records produced before the
 * members join count. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../common/ktest.h"
#include "kclus.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "share/share_int.h"

#define TIMEOUT_MS 30000

static kfk_mock_cluster *mc;
static const char *bootstrap;

static void setup(void)
{
    mc = kfk_mock_cluster_new(2);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_set_share_auto_offset_reset(mc, "earliest"), KFK_OK);
    bootstrap = kfk_mock_cluster_bootstrap(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
}

static kfk_share_consumer *member(const char *mode)
{
    kfk_conf *conf = kclus_conf(bootstrap);
    kclus_set(conf, "group.id", "g");
    kclus_set(conf, "share.acknowledgement.mode", mode);
    char err[256];
    kfk_share_consumer *sc = kfk_share_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(sc, "%s", err);
    const char *topics[] = {"t"};
    ck_assert_int_eq(kfk_share_consumer_subscribe(sc, topics, 1), KFK_OK);
    return sc;
}

static kfk_message *poll_record(kfk_share_consumer *sc)
{
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    for (;;) {
        ck_assert_msg(kclus_now_ms() < end, "no record came");
        kfk_message *m = kfk_share_consumer_poll(sc, 200);
        ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_OK);
        if (m) return m;
    }
}

START_TEST(test_records_held_past_their_lock_go_to_another_member)
{
    ck_assert_int_eq(kfk_mock_set_share_record_lock_duration(mc, 300), KFK_OK);
    kclus_produce(bootstrap, "t", 1, 0, 1);
    kfk_share_consumer *a = member("explicit");
    kfk_message *m = poll_record(a);
    ck_assert_int_eq(kclus_record_id(m), 0);
    ck_assert_int_eq(kfk_message_delivery_count(m), 1);
    /* a holds it, unacknowledged, without polling; b gets it once the
     * lock passed. */
    kfk_share_consumer *b = member("explicit");
    kfk_message *m2 = poll_record(b);
    ck_assert_int_eq(kclus_record_id(m2), 0);
    ck_assert_int_eq(kfk_message_delivery_count(m2), 2);
    ck_assert_int_eq(kfk_share_consumer_acknowledge(b, m2, KFK_SHARE_ACK_ACCEPT), KFK_OK);
    ck_assert_int_eq(kfk_share_consumer_commit_sync(b, TIMEOUT_MS), KFK_OK);
    /* a's acknowledgement comes too late: the record is b's now. */
    ck_assert_int_eq(kfk_share_consumer_acknowledge(a, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
    ck_assert_int_eq(kfk_share_consumer_commit_sync(a, TIMEOUT_MS), KFK_ERR_INVALID_RECORD_STATE);
    kfk_message_release(m);
    kfk_message_release(m2);
    kfk_share_consumer_destroy(a);
    kfk_share_consumer_destroy(b);
}
END_TEST

START_TEST(test_released_up_to_the_limit_is_archived)
{
    ck_assert_int_eq(kfk_mock_set_share_delivery_count_limit(mc, 2), KFK_OK);
    kclus_produce(bootstrap, "t", 1, 0, 1);
    kfk_share_consumer *sc = member("explicit");
    for (int i = 1; i <= 2; i++) {
        kfk_message *m = poll_record(sc);
        ck_assert_int_eq(kfk_message_delivery_count(m), i);
        ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_RELEASE), KFK_OK);
        kfk_message_release(m);
    }
    /* The next record is the first to come: record 0 is archived. */
    kclus_produce(bootstrap, "t", 1, 2, 1);
    kfk_message *m = poll_record(sc);
    ck_assert_int_eq(kclus_record_id(m), 2);
    ck_assert_int_eq(kfk_message_delivery_count(m), 1);
    ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
    kfk_message_release(m);
    ck_assert_int_eq(kfk_share_consumer_close(sc, TIMEOUT_MS), KFK_OK);
    kfk_share_consumer_destroy(sc);
}
END_TEST

/* Polls sc, which must hand out no record, until a poll fails; its error. */
static kfk_err first_poll_error(kfk_share_consumer *sc)
{
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    kfk_err err = KFK_OK;
    while (!err) {
        ck_assert_msg(kclus_now_ms() < end, "no error reached poll");
        ck_assert_ptr_null(kfk_share_consumer_poll(sc, 200));
        err = kfk_share_consumer_poll_error(sc);
    }
    return err;
}

START_TEST(test_a_group_error_that_cannot_clear_reaches_poll)
{
    ck_assert_int_eq(kfk_mock_push_errors(mc, KP_SHARE_GROUP_HEARTBEAT_KEY, 1,
                                          KFK_ERR_GROUP_AUTHORIZATION_FAILED),
                     KFK_OK);
    kfk_share_consumer *sc = member("implicit");
    kfk_err err = first_poll_error(sc);
    ck_assert_int_eq(err, KFK_ERR_GROUP_AUTHORIZATION_FAILED);
    ck_assert_msg(strstr(kfk_share_consumer_last_error(sc), "ShareGroupHeartbeat"), "%s",
                  kfk_share_consumer_last_error(sc));
    /* Subscribing again tries again (the error was one answer). */
    const char *topics[] = {"t"};
    ck_assert_int_eq(kfk_share_consumer_subscribe(sc, topics, 1), KFK_OK);
    kclus_produce(bootstrap, "t", 1, 0, 1);
    kfk_message *m = poll_record(sc);
    ck_assert_int_eq(kclus_record_id(m), 0);
    kfk_message_release(m);
    kfk_share_consumer_destroy(sc);
}
END_TEST

START_TEST(test_a_cluster_without_share_groups_is_named)
{
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KP_SHARE_GROUP_HEARTBEAT_KEY, 1, KFK_ERR_UNSUPPORTED_VERSION),
        KFK_OK);
    kfk_share_consumer *sc = member("implicit");
    kfk_err err = first_poll_error(sc);
    ck_assert_int_eq(err, KFK_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(kfk_share_consumer_last_error(sc), "does not serve share groups"), "%s",
                  kfk_share_consumer_last_error(sc));
    kfk_share_consumer_destroy(sc);
}
END_TEST

static void *wake_later(void *arg)
{
    kfk_share_consumer *sc = arg;
    int fd = kfk_share_consumer_wakeup_fd(sc);
    ck_assert_int_ge(fd, 0);
    kfk_share_consumer_wakeup(sc);
    return NULL;
}

START_TEST(test_wakeup_ends_a_blocked_poll)
{
    kfk_share_consumer *sc = member("implicit");
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, wake_later, sc), 0);
    /* No record comes: only the wakeup ends this poll. */
    ck_assert_ptr_null(kfk_share_consumer_poll(sc, -1));
    ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_OK);
    pthread_join(t, NULL);
    kfk_share_consumer_destroy(sc);
}
END_TEST

START_TEST(test_ack_batches_are_runs_of_offsets)
{
    kshare_acks a = {0};
    const int64_t offs[] = {7, 3, 4, 5, 9};
    const int8_t types[] = {1, 1, 1, 1, 3};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(kshare_acks_add(&a, offs[i], types[i]), 0);
    ck_assert_int_eq(kshare_acks_add(&a, 8, 2), 0);
    kshare_acks_sort(&a);
    karena arena = KARENA_INIT;
    int32_t n = 0;
    kp_share_fetch_request_acknowledgement_batch *b = kshare_acks_batches(&a, &arena, &n);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(b[0].first_offset, 3); /* 3..5 accepted: one type */
    ck_assert_int_eq(b[0].last_offset, 5);
    ck_assert_int_eq(b[0].n_acknowledge_types, 1);
    ck_assert_int_eq(b[0].acknowledge_types[0], 1);
    ck_assert_int_eq(b[1].first_offset, 7); /* 7, 8, 9: accept, release, reject */
    ck_assert_int_eq(b[1].last_offset, 9);
    ck_assert_int_eq(b[1].n_acknowledge_types, 3);
    ck_assert_int_eq(b[1].acknowledge_types[0], 1);
    ck_assert_int_eq(b[1].acknowledge_types[1], 2);
    ck_assert_int_eq(b[1].acknowledge_types[2], 3);
    karena_free(&arena);
    kshare_acks_free(&a);
}
END_TEST

static Suite *share_consumer_suite(void)
{
    Suite *s = suite_create("share_consumer");
    TCase *tc = tcase_create("mock");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_records_held_past_their_lock_go_to_another_member);
    tcase_add_test(tc, test_released_up_to_the_limit_is_archived);
    tcase_add_test(tc, test_wakeup_ends_a_blocked_poll);
    tcase_add_test(tc, test_a_group_error_that_cannot_clear_reaches_poll);
    tcase_add_test(tc, test_a_cluster_without_share_groups_is_named);
    suite_add_tcase(s, tc);
    TCase *pure = tcase_create("acks");
    tcase_add_test(pure, test_ack_batches_are_runs_of_offsets);
    suite_add_tcase(s, pure);
    return s;
}

int main(void)
{
    return ktest_run(share_consumer_suite());
}
