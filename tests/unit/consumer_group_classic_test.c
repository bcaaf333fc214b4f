/* The classic group protocol against the embedded mock cluster, with the
 * mock's fault injection reaching the paths a healthy broker never takes:
 * a Heartbeat answering UNKNOWN_MEMBER_ID (partitions LOST, joined anew),
 * REBALANCE_IN_PROGRESS (eager: everything revoked and assigned again;
 * cooperative: nothing revoked), coordinator errors on JoinGroup and
 * OffsetCommit (retried), FENCED_INSTANCE_ID (fatal), and LeaveGroup sent
 * by dynamic members only (KIP-345). */
#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "kmember.h"
#include "kplist.h"
#include "proto/gen/heartbeat.h"
#include "proto/gen/join_group.h"
#include "proto/gen/leave_group.h"
#include "proto/gen/offset_commit.h"

#define NP 4
#define WAIT_MS 20000

static kfk_mock_cluster *mc;

static void setup(void)
{
    mc = kfk_mock_cluster_new(1);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", NP, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_set_group_session_timeouts(mc, 1000, 60000), KFK_OK);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
    mc = NULL;
}

/* A member of group "g" subscribed to "t". */
static void member_start(kmember *m, const char *strategy, const char *instance)
{
    const char *const kv[][2] = {
        {"log.level", "crit"},
        {"session.timeout.ms", "6000"},
        {"heartbeat.interval.ms", "100"},
        {"retry.backoff.ms", "50"},
        {"default.api.timeout.ms", "10000"},
        {"partition.assignment.strategy", strategy},
        {"group.instance.id", instance},
        {NULL},
    };
    kmember_start(m, kmember_conf(kfk_mock_cluster_bootstrap(mc), "g", kv, NULL),
                  &(kmember_opts){.topic = "t"});
}

/* Polls m until cond holds (WAIT_MS at most). */
#define POLL_UNTIL(m, cond) KMEMBER_UNTIL(WAIT_MS, cond, m)

START_TEST(test_unknown_member_loses_and_rejoins)
{
    kmember m;
    member_start(&m, "range", NULL);
    POLL_UNTIL(&m, m.st.owned == NP);
    char first[256], cut[5];
    size_t len = kfk_consumer_member_id(m.c, first, sizeof(first));
    ck_assert_uint_eq(len, strlen(first));
    ck_assert_uint_gt(len, sizeof(cut)); /* copied as snprintf copies */
    ck_assert_uint_eq(kfk_consumer_member_id(m.c, cut, sizeof(cut)), len);
    ck_assert_int_eq(strncmp(cut, first, sizeof(cut) - 1), 0);
    ck_assert_uint_eq(strlen(cut), sizeof(cut) - 1);
    ck_assert_uint_eq(kfk_consumer_member_id(m.c, NULL, 0), len);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_HEARTBEAT, 1, KFK_ERR_UNKNOWN_MEMBER_ID),
                     KFK_OK);
    POLL_UNTIL(&m, m.st.lost == 1 && m.st.owned == NP);
    ck_assert_int_eq(m.st.revoked, 0);
    char second[256];
    kfk_consumer_member_id(m.c, second, sizeof(second));
    ck_assert_str_ne(first, second); /* joined anew with an empty id */
    kmember_destroy(&m);
}
END_TEST

START_TEST(test_rebalance_in_progress_eager_revokes_all)
{
    kmember m;
    member_start(&m, "range", NULL);
    POLL_UNTIL(&m, m.st.owned == NP);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_HEARTBEAT, 1, KFK_ERR_REBALANCE_IN_PROGRESS), KFK_OK);
    POLL_UNTIL(&m, m.st.revoked == 1 && m.st.assigned == 2 && m.st.owned == NP);
    ck_assert_int_eq(m.st.lost, 0);
    kmember_destroy(&m);
}
END_TEST

/* While the application has not yet run REVOKED (it is not polling), the
 * member keeps heartbeating, so a slow callback does not cost the session. */
START_TEST(test_heartbeats_go_on_while_revoking)
{
    kmember m;
    member_start(&m, "range", NULL);
    POLL_UNTIL(&m, m.st.owned == NP);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_HEARTBEAT, 1, KFK_ERR_REBALANCE_IN_PROGRESS), KFK_OK);
    int64_t hb = kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT);
    int64_t until = ktime_mono_ms() + WAIT_MS;
    while (kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT) < hb + 10 && ktime_mono_ms() < until)
        nanosleep(&(struct timespec){0, 20000000}, NULL); /* no poll: the revocation waits */
    ck_assert_int_ge(kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT), hb + 10);
    ck_assert_int_eq(m.st.revoked, 0);
    POLL_UNTIL(&m, m.st.revoked == 1 && m.st.assigned == 2 && m.st.owned == NP);
    ck_assert_int_eq(m.st.lost, 0);
    kmember_destroy(&m);
}
END_TEST

START_TEST(test_rebalance_in_progress_cooperative_keeps_all)
{
    kmember m;
    member_start(&m, "cooperative-sticky", NULL);
    POLL_UNTIL(&m, m.st.owned == NP);
    int64_t joins = kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_HEARTBEAT, 1, KFK_ERR_REBALANCE_IN_PROGRESS), KFK_OK);
    POLL_UNTIL(&m, kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP) > joins &&
                       kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT) > 0 && m.st.owned == NP);
    /* rejoined, and a heartbeat of the new generation went through */
    int64_t hb = kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT);
    POLL_UNTIL(&m, kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT) > hb + 1);
    ck_assert_int_eq(m.st.revoked, 0);
    ck_assert_int_eq(m.st.lost, 0);
    ck_assert_int_eq(m.st.owned, NP);
    kmember_destroy(&m);
}
END_TEST

START_TEST(test_coordinator_errors_are_retried)
{
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_JOIN_GROUP, 2, KFK_ERR_COORDINATOR_NOT_AVAILABLE),
        KFK_OK);
    kmember m;
    member_start(&m, "range", NULL);
    POLL_UNTIL(&m, m.st.owned == NP);
    ck_assert_int_ge(kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP), 3);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_NOT_COORDINATOR),
                     KFK_OK);
    ck_assert_int_eq(kpl_commit(m.c, "t", 2, 0, 0), KFK_OK);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_OFFSET_COMMIT), 2);
    kmember_destroy(&m);
}
END_TEST

static atomic_int errors_heard;
static atomic_int last_error_heard;

static void count_errors(void *opaque, void *handle, kfk_err err, const char *reason)
{
    (void)opaque, (void)handle, (void)reason;
    atomic_store(&last_error_heard, err);
    atomic_fetch_add(&errors_heard, 1);
}

/* An error JoinGroup or SyncGroup has no plan for reaches poll and
 * error_cb once for a run of it (Java's poll throws it), and the member
 * keeps joining until the broker relents. */
static void unexpected_error_run(kfk_mock_api api)
{
    atomic_store(&errors_heard, 0);
    ck_assert_int_eq(kfk_mock_push_errors(mc, api, 3, KFK_ERR_UNKNOWN_SERVER_ERROR), KFK_OK);
    const char *const kv[][2] = {
        {"log.level", "crit"}, {"retry.backoff.ms", "20"}, {"retry.backoff.max.ms", "100"}, {NULL}};
    kfk_conf *conf = kmember_conf(kfk_mock_cluster_bootstrap(mc), "g", kv, NULL);
    kfk_conf_set_error_cb(conf, count_errors, NULL);
    kmember m;
    kmember_start(&m, conf, &(kmember_opts){.topic = "t"});
    POLL_UNTIL(&m, m.st.owned == NP && m.st.group_err != KFK_OK);
    ck_assert_int_eq(m.st.group_err, KFK_ERR_UNKNOWN_SERVER_ERROR);
    ck_assert_int_ge(kfk_mock_request_count(mc, api), 4);
    ck_assert_int_eq(atomic_load(&errors_heard), 1);
    ck_assert_int_eq(atomic_load(&last_error_heard), KFK_ERR_UNKNOWN_SERVER_ERROR);
    kmember_destroy(&m);
}

START_TEST(test_unexpected_join_error_reaches_poll_and_joins_again)
{
    unexpected_error_run(KFK_MOCK_API_JOIN_GROUP);
}
END_TEST

START_TEST(test_unexpected_sync_error_reaches_poll_and_joins_again)
{
    unexpected_error_run(KFK_MOCK_API_SYNC_GROUP);
}
END_TEST

START_TEST(test_fenced_instance_is_fatal)
{
    kmember m;
    member_start(&m, "range", "inst-1");
    POLL_UNTIL(&m, m.st.owned == NP);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_HEARTBEAT, 1, KFK_ERR_FENCED_INSTANCE_ID), KFK_OK);
    POLL_UNTIL(&m, m.st.group_err != KFK_OK);
    ck_assert_int_eq(m.st.group_err, KFK_ERR_FENCED_INSTANCE_ID);
    ck_assert_int_eq(m.st.lost, 1);
    ck_assert_int_eq(m.st.owned, 0);
    ck_assert_int_eq(kpl_commit(m.c, "t", 0, 1, 0), KFK_ERR_FENCED_INSTANCE_ID);
    kmember_destroy(&m);
}
END_TEST

START_TEST(test_only_dynamic_members_send_leave_group)
{
    kmember m;
    member_start(&m, "range", "inst-1");
    POLL_UNTIL(&m, m.st.owned == NP);
    ck_assert_int_eq(kfk_consumer_close(m.c, -1), KFK_OK);
    ck_assert_int_eq(m.st.revoked, 1);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_LEAVE_GROUP), 0);
    kmember_destroy(&m);

    kmember d;
    member_start(&d, "range", NULL);
    POLL_UNTIL(&d, d.st.owned == NP);
    ck_assert_int_eq(kfk_consumer_close(d.c, -1), KFK_OK);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_LEAVE_GROUP), 1);
    kmember_destroy(&d);
}
END_TEST

/* With the coordinator gone, close gives its commit and LeaveGroup the
 * timeout together, not default.api.timeout.ms (10 s here) each, and says
 * they did not finish. */
START_TEST(test_close_with_the_coordinator_down_keeps_to_its_timeout)
{
    kmember m;
    member_start(&m, "range", NULL);
    POLL_UNTIL(&m, m.st.owned == NP);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, true), KFK_OK);
    int64_t start = ktime_mono_ms();
    ck_assert_int_eq(kfk_consumer_close(m.c, 1500), KFK_ERR_TIMED_OUT);
    int64_t took = ktime_mono_ms() - start;
    ck_assert_int_eq(m.st.owned, 0); /* the callback ran all the same */
    kmember_destroy(&m);
    int64_t total = ktime_mono_ms() - start;
    /* 1.5 s, and a margin for a loaded machine far below the 30 s that
     * three 10 s steps would take */
    ck_assert_msg(took >= 1400 && took < 5000, "close took %lld ms", (long long)took);
    ck_assert_msg(total < 8000, "close and destroy took %lld ms", (long long)total);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, false), KFK_OK);
}
END_TEST

/* A subscription that changes while a JoinGroup is out: the member joins
 * again with the new topics as soon as that one answers, and gets them. */
START_TEST(test_subscription_change_during_join)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "u", NP, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 1, 150), KFK_OK);
    kmember m;
    member_start(&m, "range", NULL); /* subscribes to t */
    /* the second JoinGroup (KIP-394: the first only gets an id) is out */
    int64_t until = ktime_mono_ms() + WAIT_MS;
    while (kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP) < 2 && ktime_mono_ms() < until)
        kfk_message_release(kfk_consumer_poll(m.c, 1));
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP), 2);
    const char *both[] = {"t", "u"};
    ck_assert_int_eq(kfk_consumer_subscribe(m.c, both, 2), KFK_OK);
    int64_t t0 = ktime_mono_ms();
    POLL_UNTIL(&m, m.st.owned == 2 * NP);
    ck_assert_int_lt(ktime_mono_ms() - t0, 5000); /* under the 6 s session */
    kmember_destroy(&m);
}
END_TEST

/* The coordinator's broker going down: commits and membership move on
 * to the next coordinator. Each broker goes down in turn, so one of them
 * is the group's coordinator whatever the mock picked. */
START_TEST(test_coordinator_moves)
{
    kfk_mock_cluster_destroy(mc);
    mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", NP, 3), KFK_OK);
    ck_assert_int_eq(kfk_mock_set_group_session_timeouts(mc, 1000, 60000), KFK_OK);
    kmember m;
    member_start(&m, "cooperative-sticky", NULL);
    POLL_UNTIL(&m, m.st.owned == NP);
    for (int32_t b = 1; b <= 3; b++) { /* the mock numbers brokers from 1 */
        ck_assert_int_eq(kfk_mock_broker_set_down(mc, b, true), KFK_OK);
        ck_assert_int_eq(kpl_commit(m.c, "t", 1, 10 + b, 0), KFK_OK);
        int64_t q;
        ck_assert_int_eq(kpl_committed(m.c, "t", 1, &q, WAIT_MS), KFK_OK);
        ck_assert_int_eq(q, 10 + b);
        ck_assert_int_eq(kfk_mock_broker_set_down(mc, b, false), KFK_OK);
        kfk_message *msg = kfk_consumer_poll(m.c, 50);
        kfk_message_release(msg);
    }
    /* still a member: a heartbeat of it goes through after all that */
    int64_t hb = kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT);
    POLL_UNTIL(&m, kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT) > hb + 2);
    ck_assert_int_eq(m.st.owned, NP);
    kmember_destroy(&m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("consumer_group_classic");
    TCase *tc = tcase_create("classic");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_unknown_member_loses_and_rejoins);
    tcase_add_test(tc, test_rebalance_in_progress_eager_revokes_all);
    tcase_add_test(tc, test_rebalance_in_progress_cooperative_keeps_all);
    tcase_add_test(tc, test_heartbeats_go_on_while_revoking);
    tcase_add_test(tc, test_coordinator_errors_are_retried);
    tcase_add_test(tc, test_unexpected_join_error_reaches_poll_and_joins_again);
    tcase_add_test(tc, test_unexpected_sync_error_reaches_poll_and_joins_again);
    tcase_add_test(tc, test_fenced_instance_is_fatal);
    tcase_add_test(tc, test_only_dynamic_members_send_leave_group);
    tcase_add_test(tc, test_coordinator_moves);
    tcase_add_test(tc, test_close_with_the_coordinator_down_keeps_to_its_timeout);
    tcase_add_test(tc, test_subscription_change_during_join);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
