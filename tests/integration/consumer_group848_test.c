/* Consumer groups with group.protocol=consumer (KIP-848) against a cluster
 * (KFK_TEST_BOOTSTRAP: the mock, then real Kafka): the broker's assignor
 * spreads a 12-partition topic over two and then three members, each
 * partition owned exactly once; only the partitions that move are revoked
 * (KIP-848 is incremental: a partition that stays is never revoked); a
 * member that closes leaves and its partitions move to the others;
 * commits survive a restart; a regex subscription is resolved by the
 * broker, RE2/J syntax included, and one it refuses is a group error.
 * Each test makes its own topics and deletes them. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kclus.h"
#include "kfk.h"
#include "kmember.h"
#include "kplist.h"
#include "kwire_client.h"

#define TIMEOUT_MS 60000
#define NPARTS 12

/* n records into each of nparts partitions of topic, numbered on from first. */
static void produce(const char *topic, int nparts, int first, int n)
{
    kclus_produce(NULL, topic, nparts, first * nparts, n * nparts);
}

/* A member of group subscribed to topic (or to regex, when not NULL),
 * polled by a thread of its own; extra: more settings for kmember_conf
 * (may be NULL). */
static void member_start(kmember *m, const char *group, const char *topic, const char *regex,
                         bool auto_commit, const char *const (*extra)[2])
{
    const char *const kv[][2] = {
        {"group.protocol", "consumer"},
        {"auto.offset.reset", "earliest"},
        {"enable.auto.commit", auto_commit ? "true" : "false"},
        {NULL},
    };
    kmember_start(m, kmember_conf(NULL, group, kv, extra),
                  &(kmember_opts){.topic = regex ? NULL : topic, .pattern = regex, .thread = true});
}

/* Closes (leaving the group) and frees the member. */
static void member_stop(kmember *m)
{
    kmember_close(m);
    kmember_destroy(m);
}

/* A snapshot of m, failing the test on a group error. */
static kmember_state snapshot(kmember *m, int who)
{
    kmember_state s = kmember_snapshot(m);
    ck_assert_msg(!s.group_err, "member %d: group error %s", who, kfk_err_str(s.group_err));
    ck_assert_msg(!s.bad[0], "member %d: %s", who, s.bad);
    return s;
}

/* True when the n members own every partition of topic exactly once,
 * NPARTS / n each (the broker's assignors balance a 12-partition topic
 * evenly over 2 or 3 members, so this is the end of the rebalance). */
static bool balanced(const char *topic, kmember *const *ms, int n, char *why, size_t why_len)
{
    int owners[NPARTS] = {0};
    for (int i = 0; i < n; i++) {
        kmember_state s = snapshot(ms[i], i);
        int count = 0;
        for (int p = 0; p < NPARTS; p++)
            if (kmember_part_of(&s, topic, p).owned) owners[p]++, count++;
        if (count != NPARTS / n) {
            snprintf(why, why_len, "member %d owns %d partitions", i, count);
            return false;
        }
    }
    for (int p = 0; p < NPARTS; p++)
        if (owners[p] != 1) {
            snprintf(why, why_len, "partition %d has %d owners", p, owners[p]);
            return false;
        }
    return true;
}

static void wait_balanced(const char *topic, kmember *const *ms, int n)
{
    char why[128] = "";
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    while (!balanced(topic, ms, n, why, sizeof(why)))
        ck_assert_msg(kmember_round_list(ms, (size_t)n, deadline),
                      "no balanced assignment over %d members: %s", n, why);
}

/* Across a rebalance from before to now: a partition a member kept was
 * never revoked or lost, one it gave up was revoked exactly once. */
static void check_only_moves_revoked(const char *topic, kmember *m, const kmember_state *before,
                                     int who)
{
    kmember_state now = snapshot(m, who);
    for (int p = 0; p < NPARTS; p++) {
        kmember_part b = kmember_part_of(before, topic, p), n = kmember_part_of(&now, topic, p);
        int revoked = n.revoked - b.revoked;
        ck_assert_msg(n.lost == b.lost, "member %d lost partition %d", who, p);
        if (b.owned && n.owned)
            ck_assert_msg(revoked == 0, "member %d kept partition %d but it was revoked", who, p);
        if (b.owned && !n.owned)
            ck_assert_msg(revoked == 1, "member %d gave up partition %d, revoked %d times", who, p,
                          revoked);
    }
}

static void group_name(char *out, size_t n, const char *what)
{
    ktest_unique_topic(out, n, what);
}

START_TEST(test_partitions_spread_over_members_and_move_when_one_leaves)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "g848-spread");
    group_name(group, sizeof(group), "g848-spread-group");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    produce(topic, NPARTS, 0, 5);

    kmember a, b, c;
    kmember *ms[3] = {&a, &b, &c};
    member_start(&a, group, topic, NULL, true, NULL);
    wait_balanced(topic, ms, 1);
    member_start(&b, group, topic, NULL, true, NULL);
    wait_balanced(topic, ms, 2);

    /* A third member: only what moves to it is revoked from the others. */
    kmember_state before_a = snapshot(&a, 0), before_b = snapshot(&b, 1);
    member_start(&c, group, topic, NULL, true, NULL);
    wait_balanced(topic, ms, 3);
    check_only_moves_revoked(topic, &a, &before_a, 0);
    check_only_moves_revoked(topic, &b, &before_b, 1);

    /* c leaves: its partitions go to a and b, which keep theirs. */
    before_a = snapshot(&a, 0);
    before_b = snapshot(&b, 1);
    kmember_state before_c = snapshot(&c, 2);
    member_stop(&c);
    wait_balanced(topic, ms, 2);
    check_only_moves_revoked(topic, &a, &before_a, 0);
    check_only_moves_revoked(topic, &b, &before_b, 1);
    kmember_state now_a = snapshot(&a, 0), now_b = snapshot(&b, 1);
    for (int p = 0; p < NPARTS; p++)
        if (kmember_part_of(&before_c, topic, p).owned)
            ck_assert_msg(kmember_part_of(&now_a, topic, p).owned !=
                              kmember_part_of(&now_b, topic, p).owned,
                          "partition %d of the leaver", p);

    member_stop(&a);
    member_stop(&b);
    kclus_delete_topic(NULL, topic);
}
END_TEST

/* Waits until m has polled up to `end` in each of topic's partitions. */
static void wait_consumed(kmember *m, const char *topic, int nparts, int64_t end)
{
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    for (;;) {
        kmember_state s = snapshot(m, 0);
        int done = 0;
        for (int p = 0; p < nparts; p++)
            done += kmember_part_of(&s, topic, p).next_offset >= end;
        if (done == nparts) return;
        ck_assert_msg(kmember_round(deadline, m), "%d of %d partitions consumed to %lld", done,
                      nparts, (long long)end);
    }
}

START_TEST(test_commit_and_restart_resumes_at_the_committed_offset)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "g848-commit");
    group_name(group, sizeof(group), "g848-commit-group");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    produce(topic, NPARTS, 0, 10);

    kmember a;
    member_start(&a, group, topic, NULL, false, NULL);
    wait_consumed(&a, topic, NPARTS, 10);
    /* The poll thread may be in a poll; commit the positions from here. */
    ck_assert_int_eq(kfk_consumer_commit(a.c, NULL, 0), KFK_OK);
    member_stop(&a);

    produce(topic, NPARTS, 10, 5);
    kmember b;
    member_start(&b, group, topic, NULL, false, NULL);
    wait_consumed(&b, topic, NPARTS, 15);
    kmember_state s = kmember_snapshot(&b);
    for (int p = 0; p < NPARTS; p++) {
        int64_t first = kmember_part_of(&s, topic, p).first_offset;
        ck_assert_msg(first == 10, "partition %d restarted at %lld, not 10", p, (long long)first);
    }

    kfk_partition_list *l = kpl_range(topic, NPARTS, KFK_OFFSET_INVALID);
    ck_assert_int_eq(kfk_consumer_committed(b.c, l, TIMEOUT_MS), KFK_OK);
    for (size_t p = 0; p < NPARTS; p++)
        ck_assert_int_eq(kfk_partition_list_offset(l, p), 10);
    kfk_partition_list_destroy(l);
    member_stop(&b);
    kclus_delete_topic(NULL, topic);
}
END_TEST

/* Waits until m owns n1 partitions of t1 and n2 of other topics. */
static void wait_regex_assignment(kmember *m, const char *regex, const char *t1, int n1, int n2)
{
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    for (;;) {
        kmember_state s = snapshot(m, 0);
        int got1 = kmember_state_owned(&s, t1), got2 = kmember_state_owned(&s, NULL) - got1;
        if (got1 == n1 && got2 == n2) return;
        ck_assert_msg(kmember_round(deadline, m), "regex %s: %d of %s, %d others", regex, got1, t1,
                      got2);
    }
}

/* m's assignment has n partitions, each of topic a or b. */
static void check_assigned_topics(kmember *m, size_t n, const char *a, const char *b)
{
    kfk_partition_list *l = kfk_consumer_assignment(m->c);
    ck_assert_uint_eq(kfk_partition_list_count(l), n);
    for (size_t i = 0; i < kfk_partition_list_count(l); i++) {
        const char *t = kfk_partition_list_topic(l, i);
        ck_assert_msg(!strcmp(t, a) || !strcmp(t, b), "assigned %s", t);
    }
    kfk_partition_list_destroy(l);
}

START_TEST(test_regex_subscription_is_resolved_by_the_broker)
{
    char prefix[128], t1[160], t2[160], other[128], group[128], regex[200];
    ktest_unique_topic(prefix, sizeof(prefix), "g848-re");
    snprintf(t1, sizeof(t1), "%s-a", prefix);
    snprintf(t2, sizeof(t2), "%s-b", prefix);
    ktest_unique_topic(other, sizeof(other), "g848-other");
    group_name(group, sizeof(group), "g848-re-group");
    snprintf(regex, sizeof(regex), "%s-.*", prefix);
    kclus_create_topic(NULL, t1, 3, -1);
    kclus_create_topic(NULL, t2, 2, -1);
    kclus_create_topic(NULL, other, 2, -1);
    produce(t1, 3, 0, 1);
    produce(t2, 2, 0, 1);

    kmember a;
    member_start(&a, group, t1, regex, true, NULL);
    /* t1's, and of any other topic (t2 or, wrongly, other) */
    wait_regex_assignment(&a, regex, t1, 3, 2);
    /* The other topic is not matched: what it holds of other topics is t2. */
    check_assigned_topics(&a, 5, t1, t2);
    member_stop(&a);
    kclus_delete_topic(NULL, t1);
    kclus_delete_topic(NULL, t2);
    kclus_delete_topic(NULL, other);
}
END_TEST

/* The broker, not the client, judges a KIP-848 regex: \d is RE2/J (not
 * POSIX), and a broker resolves it. */
START_TEST(test_re2_regex_is_resolved_by_the_broker)
{
    char prefix[128], t1[160], t22[160], tx[160], group[128], regex[200];
    ktest_unique_topic(prefix, sizeof(prefix), "g848-re2");
    snprintf(t1, sizeof(t1), "%s-1", prefix);
    snprintf(t22, sizeof(t22), "%s-22", prefix);
    snprintf(tx, sizeof(tx), "%s-x", prefix);
    group_name(group, sizeof(group), "g848-re2-group");
    snprintf(regex, sizeof(regex), "%s-\\d+", prefix);
    kclus_create_topic(NULL, t1, 2, -1);
    kclus_create_topic(NULL, t22, 1, -1);
    kclus_create_topic(NULL, tx, 1, -1);

    kmember a;
    member_start(&a, group, t1, regex, true, NULL);
    wait_regex_assignment(&a, regex, t1, 2, 1);
    check_assigned_topics(&a, 3, t1, t22);
    member_stop(&a);
    kclus_delete_topic(NULL, t1);
    kclus_delete_topic(NULL, t22);
    kclus_delete_topic(NULL, tx);
}
END_TEST

/* Waits until poll has handed m the group error want, and no other. */
static void wait_group_error(kmember *m, kfk_err want)
{
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    for (kfk_err err = KFK_OK; err != want;) {
        ck_assert_msg(kmember_round(deadline, m), "no %s", kfk_err_name(want));
        err = kmember_group_err(m);
        ck_assert_msg(err == KFK_OK || err == want, "got %s", kfk_err_str(err));
    }
}

/* A regex the broker cannot compile: subscribe takes it, poll hands out
 * INVALID_REGULAR_EXPRESSION as a group error. */
START_TEST(test_invalid_regex_is_a_group_error_from_the_broker)
{
    char group[128];
    group_name(group, sizeof(group), "g848-badre-group");
    kmember a;
    member_start(&a, group, "unused", "(", true, NULL);
    wait_group_error(&a, KFK_ERR_INVALID_REGULAR_EXPRESSION);
    member_stop(&a);
}
END_TEST

static int count_owned(kmember *m, const char *topic)
{
    kmember_state s = snapshot(m, 0);
    return kmember_state_owned(&s, topic);
}

START_TEST(test_static_member_restart_keeps_its_partitions)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "g848-static");
    group_name(group, sizeof(group), "g848-static-group");
    kclus_create_topic(NULL, topic, NPARTS, -1);

    kmember a, b;
    kmember *ms[2] = {&a, &b};
    static const char *const as_a[][2] = {{"group.instance.id", "instance-a"}, {NULL}};
    static const char *const as_b[][2] = {{"group.instance.id", "instance-b"}, {NULL}};
    member_start(&a, group, topic, NULL, true, as_a);
    wait_balanced(topic, ms, 1);
    member_start(&b, group, topic, NULL, true, as_b);
    wait_balanced(topic, ms, 2);
    kmember_state before_a = snapshot(&a, 0), before_b = snapshot(&b, 1);

    /* a leaves as a static member (epoch -2) and comes back under a new
     * member id: the broker kept its partitions for it, so b is never
     * asked to give any up nor given a's. */
    member_stop(&a);
    member_start(&a, group, topic, NULL, true, as_a);
    wait_balanced(topic, ms, 2);
    kmember_state now_a = snapshot(&a, 0), now_b = snapshot(&b, 1);
    for (int p = 0; p < NPARTS; p++) {
        ck_assert_msg(kmember_part_of(&now_a, topic, p).owned ==
                          kmember_part_of(&before_a, topic, p).owned,
                      "partition %d moved", p);
        ck_assert_int_eq(kmember_part_of(&now_b, topic, p).revoked,
                         kmember_part_of(&before_b, topic, p).revoked);
    }
    ck_assert_int_eq(count_owned(&b, topic), NPARTS / 2);
    member_stop(&a);
    member_stop(&b);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_unknown_server_assignor_is_a_group_error)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "g848-assignor");
    group_name(group, sizeof(group), "g848-assignor-group");
    kclus_create_topic(NULL, topic, 2, -1);
    static const char *const props[][2] = {{"group.remote.assignor", "no-such-assignor"}, {NULL}};
    kmember a;
    member_start(&a, group, topic, NULL, true, props);
    wait_group_error(&a, KFK_ERR_UNSUPPORTED_ASSIGNOR);
    member_stop(&a);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_member_that_stops_polling_leaves_and_rejoins)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "g848-poll");
    group_name(group, sizeof(group), "g848-poll-group");
    kclus_create_topic(NULL, topic, NPARTS, -1);

    static const char *const quick[][2] = {{"max.poll.interval.ms", "3000"}, {NULL}};
    kmember a, b;
    kmember *ms[2] = {&a, &b};
    member_start(&a, group, topic, NULL, true, quick);
    wait_balanced(topic, ms, 1);
    member_start(&b, group, topic, NULL, true, NULL);
    wait_balanced(topic, ms, 2);

    /* a stops polling: after max.poll.interval.ms it leaves the group and
     * b gets everything; when a polls again its partitions are LOST (it
     * could not commit) and it rejoins. */
    kmember_pause(&a, true);
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    while (count_owned(&b, topic) != NPARTS)
        ck_assert_msg(kmember_round(deadline, &a, &b), "b never got a's partitions");
    kmember_pause(&a, false);
    wait_balanced(topic, ms, 2);
    kmember_state sa = snapshot(&a, 0);
    int lost = 0;
    for (int p = 0; p < NPARTS; p++)
        lost += kmember_part_of(&sa, topic, p).lost;
    ck_assert_int_eq(lost, NPARTS / 2);
    member_stop(&a);
    member_stop(&b);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *consumer_group848_suite(void)
{
    Suite *s = suite_create("consumer_group848_integration");
    TCase *tc = tcase_create("cluster");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_partitions_spread_over_members_and_move_when_one_leaves);
    tcase_add_test(tc, test_regex_subscription_is_resolved_by_the_broker);
    tcase_add_test(tc, test_re2_regex_is_resolved_by_the_broker);
    tcase_add_test(tc, test_invalid_regex_is_a_group_error_from_the_broker);
    tcase_add_test(tc, test_commit_and_restart_resumes_at_the_committed_offset);
    tcase_add_test(tc, test_static_member_restart_keeps_its_partitions);
    tcase_add_test(tc, test_unknown_server_assignor_is_a_group_error);
    tcase_add_test(tc, test_member_that_stops_polling_leaves_and_rejoins);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(consumer_group848_suite());
}
