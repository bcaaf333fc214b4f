/* What an OffsetCommit's errors do to a subscribed consumer, against the
 * embedded mock cluster with fault injection, as Java's consumer does
 * (kafka-clients 4.3):
 *   - classic (ConsumerCoordinator.OffsetCommitResponseHandler):
 *     ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID fail the commit, lose the
 *     partitions (LOST) and rejoin at once, not at the next heartbeat
 *     (heartbeat.interval.ms is longer than any test here: the mock must
 *     see no Heartbeat at all); REBALANCE_IN_PROGRESS fails the commit and
 *     rejoins; FENCED_INSTANCE_ID is fatal;
 *   - consumer (KIP-848, CommitRequestManager): STALE_MEMBER_EPOCH fails a
 *     commit the application made, and is retried with the newest epoch by
 *     the auto commit before a revocation; a commit made before a fence
 *     is never sent with the epoch of the member rejoined;
 *   - every completed rebalance runs ASSIGNED, an empty one too
 *     (onJoinComplete / the KIP-848 reconciliation). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/kplist.h"
#include "../common/ktest.h"
#include "base/time.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "kmember.h"
#include "proto/gen/consumer_group_heartbeat.h"
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
    ck_assert_int_eq(kfk_mock_set_group_session_timeouts(mc, 1000, 120000), KFK_OK);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
    mc = NULL;
}

typedef struct opts {
    const char *protocol; /* group.protocol */
    const char *strategy; /* classic */
    const char *instance;
    const char *topic;
    const char *heartbeat_ms; /* classic; NULL: longer than any test */
    const char *session_ms;   /* classic; NULL: longer than any test */
    const char *max_poll_ms;  /* NULL: the default */
    bool auto_commit;
} opts;

/* A member of group "g" subscribed to o.topic ("t" by default). */
static void member_start(kmember *m, opts o)
{
    bool classic = !o.protocol;
    const char *const kv[][2] = {
        {"log.level", "crit"},
        {"group.protocol", classic ? "classic" : o.protocol},
        {"retry.backoff.ms", "50"},
        {"default.api.timeout.ms", "10000"},
        {"enable.auto.commit", o.auto_commit ? "true" : "false"},
        {"auto.commit.interval.ms", "600000"}, /* only the commit before a revocation */
        {"session.timeout.ms", !classic       ? NULL
                               : o.session_ms ? o.session_ms
                                              : "100000"},
        {"heartbeat.interval.ms", !classic         ? NULL
                                  : o.heartbeat_ms ? o.heartbeat_ms
                                                   : "60000"},
        {"partition.assignment.strategy", !classic     ? NULL
                                          : o.strategy ? o.strategy
                                                       : "range"},
        {"max.poll.interval.ms", o.max_poll_ms},
        {"group.instance.id", o.instance},
        {NULL},
    };
    kmember_start(m, kmember_conf(kfk_mock_cluster_bootstrap(mc), "g", kv, NULL),
                  &(kmember_opts){.topic = o.topic ? o.topic : "t"});
}

/* Polls m until cond holds (WAIT_MS at most). */
#define POLL_UNTIL(m, cond) KMEMBER_UNTIL(WAIT_MS, cond, m)

static kfk_err commit_p0(kmember *m, int64_t offset, int async)
{
    return kpl_commit(m->c, "t", 0, offset, async);
}

static int64_t committed_p0(kmember *m)
{
    int64_t offset;
    ck_assert_int_eq(kpl_committed(m->c, "t", 0, &offset, WAIT_MS), KFK_OK);
    return offset;
}

/* Polls until m's position on every partition of t is known
 * (auto.offset.reset on an empty topic), so that an auto commit has
 * something to commit. */
static void positions_known(kmember *m)
{
    int64_t until = ktime_mono_ms() + WAIT_MS;
    for (bool known = false; !known;) {
        ck_assert(ktime_mono_ms() < until);
        kfk_message *msg = kfk_consumer_poll(m->c, 20);
        if (msg) kfk_message_release(msg);
        known = true;
        for (int p = 0; known && p < NP; p++) {
            int64_t pos;
            known = kfk_consumer_position(m->c, "t", p, &pos) == KFK_OK && pos >= 0;
        }
    }
}

/* Starts a classic member, waits for its assignment and forgets the
 * request counts of getting there. */
static void classic_joined(kmember *m, opts o)
{
    member_start(m, o);
    POLL_UNTIL(m, m->st.owned == NP);
    ck_assert_int_eq(m->st.assigned, 1);
    kfk_mock_reset_request_counts(mc);
}

/* --- classic ----------------------------------------------------------------------------- */

START_TEST(test_classic_illegal_generation_rejoins_at_once)
{
    kmember m;
    classic_joined(&m, (opts){0});
    char id[256];
    kfk_consumer_member_id(m.c, id, sizeof(id));
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_ILLEGAL_GENERATION),
        KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 0), KFK_ERR_ILLEGAL_GENERATION);
    POLL_UNTIL(&m, m.st.lost == 1 && m.st.assigned == 2 && m.st.owned == NP);
    ck_assert_int_eq(m.st.revoked, 0);
    ck_assert_int_ge(kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP), 1);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT), 0);
    char again[256];
    kfk_consumer_member_id(m.c, again, sizeof(again));
    ck_assert_str_eq(id, again); /* Java keeps the member id on ILLEGAL_GENERATION */
    /* The new generation commits. */
    ck_assert_int_eq(commit_p0(&m, 6, 0), KFK_OK);
    ck_assert_int_eq(committed_p0(&m), 6);
    kmember_destroy(&m);
}
END_TEST

START_TEST(test_classic_unknown_member_rejoins_with_a_new_id)
{
    /* The broker still holds the id the fault injection disowned: the new
     * one's join completes when that one's session (6 s) ends. */
    kmember m;
    classic_joined(&m, (opts){.session_ms = "6000", .heartbeat_ms = "5000"});
    char id[256];
    kfk_consumer_member_id(m.c, id, sizeof(id));
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_UNKNOWN_MEMBER_ID), KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 0), KFK_ERR_UNKNOWN_MEMBER_ID);
    POLL_UNTIL(&m, kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP) >= 1);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT), 0);
    POLL_UNTIL(&m, m.st.lost == 1 && m.st.assigned == 2 && m.st.owned == NP);
    char again[256];
    kfk_consumer_member_id(m.c, again, sizeof(again));
    ck_assert_str_ne(id, again);
    kmember_destroy(&m);
}
END_TEST

START_TEST(test_classic_async_commit_reports_and_rejoins)
{
    kmember m;
    classic_joined(&m, (opts){0});
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_ILLEGAL_GENERATION),
        KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 1), KFK_OK);
    POLL_UNTIL(&m, m.st.commits == 1 && m.st.lost == 1 && m.st.assigned == 2 && m.st.owned == NP);
    ck_assert_int_eq(m.st.commit_err, KFK_ERR_ILLEGAL_GENERATION);
    /* the callback's list: what was committed, each with its own result */
    ck_assert_uint_eq(m.st.commit_entries, 1);
    ck_assert_int_eq(m.st.commit_offset, 5);
    ck_assert_int_eq(m.st.commit_entry_err, KFK_ERR_ILLEGAL_GENERATION);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT), 0);
    kmember_destroy(&m);
}
END_TEST

START_TEST(test_classic_rebalance_in_progress_rejoins)
{
    kmember m;
    classic_joined(&m, (opts){0});
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_REBALANCE_IN_PROGRESS),
        KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 0), KFK_ERR_REBALANCE_IN_PROGRESS);
    /* eager: an orderly rebalance, nothing lost */
    POLL_UNTIL(&m, m.st.revoked == 1 && m.st.assigned == 2 && m.st.owned == NP);
    ck_assert_int_eq(m.st.lost, 0);
    ck_assert_int_ge(kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP), 1);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT), 0);
    kmember_destroy(&m);
}
END_TEST

START_TEST(test_classic_fenced_instance_commit_is_fatal)
{
    kmember m;
    classic_joined(&m, (opts){.instance = "inst-1"});
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_FENCED_INSTANCE_ID),
        KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 0), KFK_ERR_FENCED_INSTANCE_ID);
    POLL_UNTIL(&m, m.st.group_err != KFK_OK);
    ck_assert_int_eq(m.st.group_err, KFK_ERR_FENCED_INSTANCE_ID);
    ck_assert_int_eq(m.st.lost, 1);
    ck_assert_int_eq(m.st.owned, 0);
    ck_assert_int_eq(commit_p0(&m, 6, 0), KFK_ERR_FENCED_INSTANCE_ID);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_OFFSET_COMMIT), 1);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP), 0);
    kmember_destroy(&m);
}
END_TEST

/* The commit before an eager revocation finds the generation gone: as
 * Java's onJoinPrepare, the partitions are then LOST, not REVOKED. */
START_TEST(test_classic_commit_before_revocation_finds_the_generation_gone)
{
    kmember m;
    member_start(&m, (opts){.heartbeat_ms = "100", .auto_commit = true});
    POLL_UNTIL(&m, m.st.owned == NP);
    positions_known(&m);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_ILLEGAL_GENERATION),
        KFK_OK);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_HEARTBEAT, 1, KFK_ERR_REBALANCE_IN_PROGRESS), KFK_OK);
    POLL_UNTIL(&m, m.st.lost == 1 && m.st.assigned == 2 && m.st.owned == NP);
    ck_assert_int_eq(m.st.revoked, 0);
    kmember_destroy(&m);
}
END_TEST

/* A member that left for max.poll.interval.ms has no generation: as
 * Java's sendOffsetCommitRequest, its commit fails unsent (sent with
 * generation -1, the coordinator of the now empty group would take it). */
START_TEST(test_classic_commit_without_a_generation_is_not_sent)
{
    kmember m;
    classic_joined(&m, (opts){.max_poll_ms = "500"});
    int64_t until = ktime_mono_ms() + WAIT_MS;
    while (kfk_mock_request_count(mc, KFK_MOCK_API_LEAVE_GROUP) < 1) {
        ck_assert(ktime_mono_ms() < until);
        struct timespec ts = {0, 10 * 1000000}; /* not polling is the point */
        nanosleep(&ts, NULL);
    }
    ck_assert_int_eq(commit_p0(&m, 5, 0), KFK_ERR_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_OFFSET_COMMIT), 0);
    /* The next poll rejoins; then commits go out again. */
    POLL_UNTIL(&m, m.st.lost == 1 && m.st.assigned == 2 && m.st.owned == NP);
    ck_assert_int_eq(commit_p0(&m, 6, 0), KFK_OK);
    ck_assert_int_eq(committed_p0(&m), 6);
    kmember_destroy(&m);
}
END_TEST

/* Every completed rebalance runs ASSIGNED, an empty one too, eager or
 * cooperative. */
static void empty_rebalances(const char *strategy)
{
    kmember m;
    member_start(&m, (opts){.strategy = strategy, .topic = "none", .heartbeat_ms = "100"});
    POLL_UNTIL(&m, m.st.assigned == 1);
    ck_assert_int_eq(m.st.assigned_empty, 1);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_HEARTBEAT, 1, KFK_ERR_REBALANCE_IN_PROGRESS), KFK_OK);
    POLL_UNTIL(&m, m.st.assigned == 2);
    ck_assert_int_eq(m.st.assigned_empty, 2);
    ck_assert_int_eq(m.st.revoked + m.st.lost, 0);
    kmember_destroy(&m);
}

START_TEST(test_classic_eager_reports_every_empty_assignment)
{
    empty_rebalances("range");
}
END_TEST

START_TEST(test_classic_cooperative_reports_every_empty_assignment)
{
    empty_rebalances("cooperative-sticky");
}
END_TEST

/* --- KIP-848 ------------------------------------------------------------------------------- */

START_TEST(test_kip848_stale_epoch_fails_an_application_commit)
{
    kmember m;
    member_start(&m, (opts){.protocol = "consumer"});
    POLL_UNTIL(&m, m.st.owned == NP);
    kfk_mock_reset_request_counts(mc);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_STALE_MEMBER_EPOCH),
        KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 0), KFK_ERR_STALE_MEMBER_EPOCH);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_OFFSET_COMMIT), 1); /* no retry */
    ck_assert_int_eq(m.st.lost + m.st.revoked, 0); /* membership is the heartbeat's */
    ck_assert_int_eq(commit_p0(&m, 6, 0), KFK_OK);
    kmember_destroy(&m);
}
END_TEST

START_TEST(test_kip848_commit_before_revocation_retries_stale_epoch)
{
    kmember a, b;
    member_start(&a, (opts){.protocol = "consumer", .auto_commit = true});
    POLL_UNTIL(&a, a.st.owned == NP);
    positions_known(&a);
    int assigned = a.st.assigned, assigned_empty = a.st.assigned_empty;
    kfk_mock_reset_request_counts(mc);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_STALE_MEMBER_EPOCH),
        KFK_OK);
    member_start(&b, (opts){.protocol = "consumer"});
    int64_t end = ktime_mono_ms() + WAIT_MS;
    while (!(a.st.revoked == 1 && b.st.owned == NP - a.st.owned && a.st.owned > 0) &&
           kmember_round(end, &a, &b)) {
    }
    ck_assert_int_eq(a.st.revoked, 1);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_OFFSET_COMMIT), 2);
    ck_assert_int_eq(a.st.lost, 0);
    /* Java's reconciliation: REVOKED, then ASSIGNED with nothing added. */
    POLL_UNTIL(&a, a.st.assigned == assigned + 1);
    ck_assert_int_eq(a.st.assigned_empty, assigned_empty + 1);
    kmember_destroy(&b);
    kmember_destroy(&a);
}
END_TEST

/* A commit made before the member was fenced, whose turn comes after it
 * rejoined (an earlier commit held the queue, retrying), is not sent with
 * the new epoch: it fails as the epoch it was made in would have. */
START_TEST(test_kip848_commit_made_before_a_fence_is_not_sent_after_it)
{
    ck_assert_int_eq(kfk_mock_set_consumer_group_timeouts(mc, 30000, 100), KFK_OK);
    kmember m;
    member_start(&m, (opts){.protocol = "consumer"});
    POLL_UNTIL(&m, m.st.owned == NP);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1000000,
                                          KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS),
                     KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 1), KFK_OK); /* in flight, retrying */
    ck_assert_int_eq(commit_p0(&m, 6, 1), KFK_OK); /* queued behind it */
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT, 1,
                                          KFK_ERR_FENCED_MEMBER_EPOCH),
                     KFK_OK);
    POLL_UNTIL(&m, m.st.lost == 1 && m.st.owned == NP);
    ck_assert_int_eq(m.st.commits, 0);
    kfk_mock_clear_errors(mc);
    POLL_UNTIL(&m, m.st.commits == 2);
    /* The first went out with the epoch it was made in, which the
     * coordinator judges (KIP-1251); the second was never sent. */
    ck_assert_int_eq(m.st.commit_err, KFK_ERR_STALE_MEMBER_EPOCH);
    ck_assert_int_eq(m.st.commit_offset, 6);
    ck_assert_int_lt(committed_p0(&m), 6);
    kmember_destroy(&m);
}
END_TEST

START_TEST(test_kip848_reports_an_empty_first_assignment_once)
{
    kmember m;
    member_start(&m, (opts){.protocol = "consumer", .topic = "none"});
    POLL_UNTIL(&m, m.st.assigned == 1);
    ck_assert_int_eq(m.st.assigned_empty, 1);
    /* A failed heartbeat sends every field; the broker repeats the same
     * target: no new rebalance. */
    kfk_mock_reset_request_counts(mc);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT, 1,
                                          KFK_ERR_UNKNOWN_SERVER_ERROR),
                     KFK_OK);
    POLL_UNTIL(&m, kfk_mock_request_count(mc, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT) >= 3);
    ck_assert_int_eq(m.st.assigned, 1);
    kmember_destroy(&m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("consumer_commit_errors");
    TCase *tc = tcase_create("commit_errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_classic_illegal_generation_rejoins_at_once);
    tcase_add_test(tc, test_classic_unknown_member_rejoins_with_a_new_id);
    tcase_add_test(tc, test_classic_async_commit_reports_and_rejoins);
    tcase_add_test(tc, test_classic_rebalance_in_progress_rejoins);
    tcase_add_test(tc, test_classic_fenced_instance_commit_is_fatal);
    tcase_add_test(tc, test_classic_commit_before_revocation_finds_the_generation_gone);
    tcase_add_test(tc, test_classic_commit_without_a_generation_is_not_sent);
    tcase_add_test(tc, test_classic_eager_reports_every_empty_assignment);
    tcase_add_test(tc, test_classic_cooperative_reports_every_empty_assignment);
    tcase_add_test(tc, test_kip848_stale_epoch_fails_an_application_commit);
    tcase_add_test(tc, test_kip848_commit_before_revocation_retries_stale_epoch);
    tcase_add_test(tc, test_kip848_commit_made_before_a_fence_is_not_sent_after_it);
    tcase_add_test(tc, test_kip848_reports_an_empty_first_assignment_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
