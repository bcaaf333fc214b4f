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
 *     the auto commit before a revocation;
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
#include "kpoll.h"
#include "proto/gen/consumer_group_heartbeat.h"
#include "proto/gen/heartbeat.h"
#include "proto/gen/join_group.h"
#include "proto/gen/leave_group.h"
#include "proto/gen/offset_commit.h"

#define NP 4
#define WAIT_MS 20000

static kfk_mock_cluster *mc;

typedef struct member {
    kfk_consumer *c;
    int owned;
    int assigned, assigned_empty, revoked, lost;
    int commits;
    kfk_err commit_err;
    size_t commit_entries;    /* in the last commit callback's list */
    int64_t commit_offset;    /* its first entry's offset */
    kfk_err commit_entry_err; /* and that entry's own error */
} member;

static void on_rebalance(void *opaque, kfk_consumer *c, kfk_rebalance_event ev,
                         const kfk_partition_list *parts)
{
    (void)c;
    member *m = opaque;
    if (ev == KFK_REBALANCE_ASSIGNED) {
        m->assigned++;
        m->assigned_empty += kfk_partition_list_count(parts) == 0;
        m->owned += (int)kfk_partition_list_count(parts);
    } else {
        ck_assert_uint_gt(kfk_partition_list_count(parts), 0); /* only ASSIGNED comes empty */
        m->owned -= (int)kfk_partition_list_count(parts);
        if (ev == KFK_REBALANCE_REVOKED)
            m->revoked++;
        else
            m->lost++;
    }
}

static void on_commit(void *opaque, kfk_consumer *consumer, kfk_err err,
                      const kfk_partition_list *offsets)
{
    member *m = opaque;
    ck_assert_ptr_eq(consumer, m->c);
    m->commits++;
    m->commit_err = err;
    m->commit_entries = kfk_partition_list_count(offsets);
    m->commit_offset = kfk_partition_list_offset(offsets, 0);
    m->commit_entry_err = kfk_partition_list_error(offsets, 0);
}

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

static void member_start(member *m, opts o)
{
    memset(m, 0, sizeof(*m));
    kfk_conf *conf = kfk_conf_new();
    const char *kv[][2] = {
        {"bootstrap.servers", kfk_mock_cluster_bootstrap(mc)},
        {"group.id", "g"},
        {"log.level", "crit"},
        {"group.protocol", o.protocol ? o.protocol : "classic"},
        {"retry.backoff.ms", "50"},
        {"default.api.timeout.ms", "10000"},
        {"enable.auto.commit", o.auto_commit ? "true" : "false"},
        {"auto.commit.interval.ms", "600000"}, /* only the commit before a revocation */
    };
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        ck_assert_int_eq(kfk_conf_set(conf, kv[i][0], kv[i][1], NULL, 0), KFK_OK);
    if (!o.protocol) {
        const char *ckv[][2] = {
            {"session.timeout.ms", o.session_ms ? o.session_ms : "100000"},
            {"heartbeat.interval.ms", o.heartbeat_ms ? o.heartbeat_ms : "60000"},
            {"partition.assignment.strategy", o.strategy ? o.strategy : "range"},
        };
        for (size_t i = 0; i < sizeof(ckv) / sizeof(ckv[0]); i++)
            ck_assert_int_eq(kfk_conf_set(conf, ckv[i][0], ckv[i][1], NULL, 0), KFK_OK);
    }
    if (o.max_poll_ms)
        ck_assert_int_eq(kfk_conf_set(conf, "max.poll.interval.ms", o.max_poll_ms, NULL, 0), 0);
    if (o.instance) ck_assert_int_eq(kfk_conf_set(conf, "group.instance.id", o.instance, NULL, 0), 0);
    kfk_conf_set_rebalance_cb(conf, on_rebalance, m);
    kfk_conf_set_commit_cb(conf, on_commit, m);
    char err[256];
    m->c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(m->c != NULL, "%s", err);
    const char *names[] = {o.topic ? o.topic : "t"};
    ck_assert_int_eq(kfk_consumer_subscribe(m->c, names, 1), KFK_OK);
}

/* Polls m until cond holds (WAIT_MS at most). */
#define POLL_UNTIL(m, cond) KPOLL_UNTIL((m)->c, WAIT_MS, cond)

static kfk_err commit_p0(member *m, int64_t offset, int async)
{
    return kpl_commit(m->c, "t", 0, offset, async);
}

static int64_t committed_p0(member *m)
{
    int64_t offset;
    ck_assert_int_eq(kpl_committed(m->c, "t", 0, &offset, WAIT_MS), KFK_OK);
    return offset;
}

/* Polls until m's position on every partition of t is known
 * (auto.offset.reset on an empty topic), so that an auto commit has
 * something to commit. */
static void positions_known(member *m)
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
static void classic_joined(member *m, opts o)
{
    member_start(m, o);
    POLL_UNTIL(m, m->owned == NP);
    ck_assert_int_eq(m->assigned, 1);
    kfk_mock_reset_request_counts(mc);
}

/* --- classic ----------------------------------------------------------------------------- */

START_TEST(test_classic_illegal_generation_rejoins_at_once)
{
    member m;
    classic_joined(&m, (opts){0});
    char id[256];
    kfk_consumer_member_id(m.c, id, sizeof(id));
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_ILLEGAL_GENERATION),
        KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 0), KFK_ERR_ILLEGAL_GENERATION);
    POLL_UNTIL(&m, m.lost == 1 && m.assigned == 2 && m.owned == NP);
    ck_assert_int_eq(m.revoked, 0);
    ck_assert_int_ge(kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP), 1);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT), 0);
    char again[256];
    kfk_consumer_member_id(m.c, again, sizeof(again));
    ck_assert_str_eq(id, again); /* Java keeps the member id on ILLEGAL_GENERATION */
    /* The new generation commits. */
    ck_assert_int_eq(commit_p0(&m, 6, 0), KFK_OK);
    ck_assert_int_eq(committed_p0(&m), 6);
    kfk_consumer_destroy(m.c);
}
END_TEST

START_TEST(test_classic_unknown_member_rejoins_with_a_new_id)
{
    /* The broker still holds the id the fault injection disowned: the new
     * one's join completes when that one's session (6 s) ends. */
    member m;
    classic_joined(&m, (opts){.session_ms = "6000", .heartbeat_ms = "5000"});
    char id[256];
    kfk_consumer_member_id(m.c, id, sizeof(id));
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_UNKNOWN_MEMBER_ID), KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 0), KFK_ERR_UNKNOWN_MEMBER_ID);
    POLL_UNTIL(&m, kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP) >= 1);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT), 0);
    POLL_UNTIL(&m, m.lost == 1 && m.assigned == 2 && m.owned == NP);
    char again[256];
    kfk_consumer_member_id(m.c, again, sizeof(again));
    ck_assert_str_ne(id, again);
    kfk_consumer_destroy(m.c);
}
END_TEST

START_TEST(test_classic_async_commit_reports_and_rejoins)
{
    member m;
    classic_joined(&m, (opts){0});
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_ILLEGAL_GENERATION),
        KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 1), KFK_OK);
    POLL_UNTIL(&m, m.commits == 1 && m.lost == 1 && m.assigned == 2 && m.owned == NP);
    ck_assert_int_eq(m.commit_err, KFK_ERR_ILLEGAL_GENERATION);
    /* the callback's list: what was committed, each with its own result */
    ck_assert_uint_eq(m.commit_entries, 1);
    ck_assert_int_eq(m.commit_offset, 5);
    ck_assert_int_eq(m.commit_entry_err, KFK_ERR_ILLEGAL_GENERATION);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT), 0);
    kfk_consumer_destroy(m.c);
}
END_TEST

START_TEST(test_classic_rebalance_in_progress_rejoins)
{
    member m;
    classic_joined(&m, (opts){0});
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_REBALANCE_IN_PROGRESS),
        KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 0), KFK_ERR_REBALANCE_IN_PROGRESS);
    /* eager: an orderly rebalance, nothing lost */
    POLL_UNTIL(&m, m.revoked == 1 && m.assigned == 2 && m.owned == NP);
    ck_assert_int_eq(m.lost, 0);
    ck_assert_int_ge(kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP), 1);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_HEARTBEAT), 0);
    kfk_consumer_destroy(m.c);
}
END_TEST

START_TEST(test_classic_fenced_instance_commit_is_fatal)
{
    member m;
    classic_joined(&m, (opts){.instance = "inst-1"});
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_FENCED_INSTANCE_ID),
        KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 0), KFK_ERR_FENCED_INSTANCE_ID);
    kfk_err seen = KFK_OK;
    int64_t until = ktime_mono_ms() + WAIT_MS;
    while (!seen && ktime_mono_ms() < until) {
        kfk_message *msg = kfk_consumer_poll(m.c, 20);
        if (msg && kfk_message_partition(msg) < 0) seen = kfk_message_error(msg);
        kfk_message_release(msg);
    }
    ck_assert_int_eq(seen, KFK_ERR_FENCED_INSTANCE_ID);
    ck_assert_int_eq(m.lost, 1);
    ck_assert_int_eq(m.owned, 0);
    ck_assert_int_eq(commit_p0(&m, 6, 0), KFK_ERR_FENCED_INSTANCE_ID);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_OFFSET_COMMIT), 1);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_JOIN_GROUP), 0);
    kfk_consumer_destroy(m.c);
}
END_TEST

/* The commit before an eager revocation finds the generation gone: as
 * Java's onJoinPrepare, the partitions are then LOST, not REVOKED. */
START_TEST(test_classic_commit_before_revocation_finds_the_generation_gone)
{
    member m;
    member_start(&m, (opts){.heartbeat_ms = "100", .auto_commit = true});
    POLL_UNTIL(&m, m.owned == NP);
    positions_known(&m);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_ILLEGAL_GENERATION),
        KFK_OK);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_HEARTBEAT, 1, KFK_ERR_REBALANCE_IN_PROGRESS), KFK_OK);
    POLL_UNTIL(&m, m.lost == 1 && m.assigned == 2 && m.owned == NP);
    ck_assert_int_eq(m.revoked, 0);
    kfk_consumer_destroy(m.c);
}
END_TEST

/* A member that left for max.poll.interval.ms has no generation: as
 * Java's sendOffsetCommitRequest, its commit fails unsent (sent with
 * generation -1, the coordinator of the now empty group would take it). */
START_TEST(test_classic_commit_without_a_generation_is_not_sent)
{
    member m;
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
    POLL_UNTIL(&m, m.lost == 1 && m.assigned == 2 && m.owned == NP);
    ck_assert_int_eq(commit_p0(&m, 6, 0), KFK_OK);
    ck_assert_int_eq(committed_p0(&m), 6);
    kfk_consumer_destroy(m.c);
}
END_TEST

/* Every completed rebalance runs ASSIGNED, an empty one too, eager or
 * cooperative. */
static void empty_rebalances(const char *strategy)
{
    member m;
    member_start(&m, (opts){.strategy = strategy, .topic = "none", .heartbeat_ms = "100"});
    POLL_UNTIL(&m, m.assigned == 1);
    ck_assert_int_eq(m.assigned_empty, 1);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_HEARTBEAT, 1, KFK_ERR_REBALANCE_IN_PROGRESS), KFK_OK);
    POLL_UNTIL(&m, m.assigned == 2);
    ck_assert_int_eq(m.assigned_empty, 2);
    ck_assert_int_eq(m.revoked + m.lost, 0);
    kfk_consumer_destroy(m.c);
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
    member m;
    member_start(&m, (opts){.protocol = "consumer"});
    POLL_UNTIL(&m, m.owned == NP);
    kfk_mock_reset_request_counts(mc);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_STALE_MEMBER_EPOCH),
        KFK_OK);
    ck_assert_int_eq(commit_p0(&m, 5, 0), KFK_ERR_STALE_MEMBER_EPOCH);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_OFFSET_COMMIT), 1); /* no retry */
    ck_assert_int_eq(m.lost + m.revoked, 0); /* membership is the heartbeat's */
    ck_assert_int_eq(commit_p0(&m, 6, 0), KFK_OK);
    kfk_consumer_destroy(m.c);
}
END_TEST

START_TEST(test_kip848_commit_before_revocation_retries_stale_epoch)
{
    member a, b;
    member_start(&a, (opts){.protocol = "consumer", .auto_commit = true});
    POLL_UNTIL(&a, a.owned == NP);
    positions_known(&a);
    int assigned = a.assigned, assigned_empty = a.assigned_empty;
    kfk_mock_reset_request_counts(mc);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_STALE_MEMBER_EPOCH),
        KFK_OK);
    member_start(&b, (opts){.protocol = "consumer"});
    int64_t end = ktime_mono_ms() + WAIT_MS;
    while (!(a.revoked == 1 && b.owned == NP - a.owned && a.owned > 0) && ktime_mono_ms() < end) {
        kfk_message *msg = kfk_consumer_poll(a.c, 10);
        if (msg) kfk_message_release(msg);
        msg = kfk_consumer_poll(b.c, 10);
        if (msg) kfk_message_release(msg);
    }
    ck_assert_int_eq(a.revoked, 1);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_OFFSET_COMMIT), 2);
    ck_assert_int_eq(a.lost, 0);
    /* Java's reconciliation: REVOKED, then ASSIGNED with nothing added. */
    POLL_UNTIL(&a, a.assigned == assigned + 1);
    ck_assert_int_eq(a.assigned_empty, assigned_empty + 1);
    kfk_consumer_destroy(b.c);
    kfk_consumer_destroy(a.c);
}
END_TEST

START_TEST(test_kip848_reports_an_empty_first_assignment_once)
{
    member m;
    member_start(&m, (opts){.protocol = "consumer", .topic = "none"});
    POLL_UNTIL(&m, m.assigned == 1);
    ck_assert_int_eq(m.assigned_empty, 1);
    /* A failed heartbeat sends every field; the broker repeats the same
     * target: no new rebalance. */
    kfk_mock_reset_request_counts(mc);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT, 1,
                                          KFK_ERR_UNKNOWN_SERVER_ERROR),
                     KFK_OK);
    POLL_UNTIL(&m, kfk_mock_request_count(mc, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT) >= 3);
    ck_assert_int_eq(m.assigned, 1);
    kfk_consumer_destroy(m.c);
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
    tcase_add_test(tc, test_kip848_reports_an_empty_first_assignment_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
