/* The KIP-848 protocol's pure parts (lib/consumer/kip848_plan.c): target
 * assignments resolved from topic ids to names, the reconciliation plan
 * (only what moves is revoked or added), which optional heartbeat fields
 * go out (all on a join or after a failure, else only the changed ones),
 * and KIP-1082 member ids. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/time.h"
#include "consumer/kip848.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "kmember.h"
#include "ktest.h"

static kuuid uuid_of(uint8_t b)
{
    kuuid u = {{0}};
    u.b[15] = b;
    return u;
}

/* Topic ids 1 and 2 are "a" and "b"; 3 is unknown. */
static const char *lookup(void *opaque, const kuuid *id)
{
    int *calls = opaque;
    (*calls)++;
    switch (id->b[15]) {
    case 1:
        return "a";
    case 2:
        return "b";
    default:
        return NULL;
    }
}

/* "a:0,b:1" style text of a list. */
static const char *text(const ktplist *l)
{
    static char buf[512];
    buf[0] = '\0';
    for (int i = 0; i < l->n; i++) {
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof(buf) - n, "%s%s:%d", i ? "," : "", l->v[i].topic,
                 (int)l->v[i].partition);
    }
    return buf;
}

static void target_of(k848_target *t, kp_consumer_group_heartbeat_response_topic_partitions *tps,
                      int n)
{
    kp_consumer_group_heartbeat_response_assignment a = {tps, n};
    ck_assert_int_eq(k848_target_copy(t, &a), 0);
}

START_TEST(test_resolve_names_ids_and_sorts)
{
    int32_t pa[] = {2, 0}, pb[] = {1};
    kp_consumer_group_heartbeat_response_topic_partitions tps[] = {{uuid_of(2), pb, 1},
                                                                   {uuid_of(1), pa, 2}};
    k848_target t = {0};
    target_of(&t, tps, 2);
    pa[0] = 99; /* the copy is the target's own */
    ktplist out = {0};
    int calls = 0;
    ck_assert_int_eq(k848_resolve(&t, lookup, &calls, &out), 0);
    ck_assert_str_eq(text(&out), "a:0,a:2,b:1");
    ck_assert_int_eq(calls, 2);
    ktplist_free(&out);
    k848_target_free(&t);
}
END_TEST

START_TEST(test_resolve_counts_unknown_topic_ids_and_keeps_the_rest)
{
    int32_t p[] = {0, 1};
    kp_consumer_group_heartbeat_response_topic_partitions tps[] = {{uuid_of(3), p, 2},
                                                                   {uuid_of(1), p, 1}};
    k848_target t = {0};
    target_of(&t, tps, 2);
    ktplist out = {0};
    ktplist_add(&out, "stale", 7); /* cleared first */
    int calls = 0;
    ck_assert_int_eq(k848_resolve(&t, lookup, &calls, &out), 1);
    ck_assert_str_eq(text(&out), "a:0");
    ktplist_free(&out);
    k848_target_free(&t);
}

END_TEST

START_TEST(test_empty_target_resolves_to_nothing)
{
    k848_target t = {0};
    target_of(&t, NULL, 0);
    ktplist out = {0};
    int calls = 0;
    ck_assert_int_eq(k848_resolve(&t, lookup, &calls, &out), 0);
    ck_assert_int_eq(out.n, 0);
    ktplist_free(&out);
    k848_target_free(&t);
}
END_TEST

START_TEST(test_target_equal_ignores_order)
{
    int32_t p01[] = {0, 1}, p10[] = {1, 0}, p0[] = {0};
    kp_consumer_group_heartbeat_response_topic_partitions x[] = {{uuid_of(1), p01, 2},
                                                                 {uuid_of(2), p0, 1}};
    kp_consumer_group_heartbeat_response_topic_partitions y[] = {{uuid_of(2), p0, 1},
                                                                 {uuid_of(1), p10, 2}};
    kp_consumer_group_heartbeat_response_topic_partitions z[] = {{uuid_of(1), p01, 2},
                                                                 {uuid_of(3), p0, 1}};
    k848_target a = {0}, b = {0}, c = {0}, e = {0}, f = {0};
    target_of(&a, x, 2);
    target_of(&b, y, 2);
    target_of(&c, z, 2);
    target_of(&e, NULL, 0);
    target_of(&f, x, 1);
    ck_assert(k848_target_equal(&a, &b));
    ck_assert(!k848_target_equal(&a, &c)); /* another topic id */
    ck_assert(!k848_target_equal(&a, &f)); /* a partition fewer */
    ck_assert(!k848_target_equal(&f, &a));
    ck_assert(k848_target_equal(&e, &e));
    ck_assert(!k848_target_equal(&e, &a));
    k848_target_free(&a);
    k848_target_free(&b);
    k848_target_free(&c);
    k848_target_free(&f);
}
END_TEST

START_TEST(test_plan_revokes_and_adds_only_what_moves)
{
    ktplist owned = {0}, target = {0}, revoke = {0}, add = {0};
    ktplist_add(&owned, "a", 0);
    ktplist_add(&owned, "a", 1);
    ktplist_add(&owned, "b", 0);
    ktplist_add(&target, "a", 1);
    ktplist_add(&target, "b", 0);
    ktplist_add(&target, "b", 1);
    ck_assert_int_eq(k848_plan(&owned, &target, &revoke, &add), 0);
    ck_assert_str_eq(text(&revoke), "a:0");
    ck_assert_str_eq(text(&add), "b:1");
    /* Reconciled: nothing moves any more. */
    ck_assert_int_eq(k848_plan(&target, &target, &revoke, &add), 0);
    ck_assert_int_eq(revoke.n, 0);
    ck_assert_int_eq(add.n, 0);
    ktplist_free(&owned);
    ktplist_free(&target);
    ktplist_free(&revoke);
    ktplist_free(&add);
}
END_TEST

START_TEST(test_plan_from_nothing_and_to_nothing)
{
    ktplist none = {0}, some = {0}, revoke = {0}, add = {0};
    ktplist_add(&some, "a", 3);
    ck_assert_int_eq(k848_plan(&none, &some, &revoke, &add), 0);
    ck_assert_str_eq(text(&add), "a:3");
    ck_assert_int_eq(revoke.n, 0);
    ck_assert_int_eq(k848_plan(&some, &none, &revoke, &add), 0);
    ck_assert_str_eq(text(&revoke), "a:3");
    ck_assert_int_eq(add.n, 0);
    ktplist_free(&some);
    ktplist_free(&revoke);
    ktplist_free(&add);
}
END_TEST

static ktplist names(const char *a, const char *b)
{
    ktplist l = {0};
    if (a) ktplist_add(&l, a, -1);
    if (b) ktplist_add(&l, b, -1);
    return l;
}

START_TEST(test_join_sends_every_field_then_only_changes)
{
    k848_sent s = {0};
    ktplist t1 = names("a", "b");
    k848_sub sub = {&t1, NULL, 0};
    k848_fields f = k848_fields_for(&s, &sub, true);
    ck_assert(f.topics && f.owned && f.join_fields);
    ck_assert(!f.regex); /* v0 brokers have no regex field */
    ck_assert_int_eq(k848_sent_update(&s, &sub, f), 0);

    f = k848_fields_for(&s, &sub, false);
    ck_assert(!f.topics && !f.owned && !f.join_fields && !f.regex);

    sub.owned_ver = 1; /* a reconciliation changed the owned partitions */
    f = k848_fields_for(&s, &sub, false);
    ck_assert(f.owned && !f.topics && !f.join_fields);
    k848_sent_update(&s, &sub, f);

    ktplist t2 = names("a", NULL);
    sub.topics = &t2;
    f = k848_fields_for(&s, &sub, false);
    ck_assert(f.topics && !f.owned);
    k848_sent_update(&s, &sub, f);
    ck_assert(!k848_fields_for(&s, &sub, false).topics);

    /* After a failed heartbeat everything goes again. */
    s.valid = false;
    f = k848_fields_for(&s, &sub, false);
    ck_assert(f.topics && f.owned && f.join_fields);
    ktplist_free(&t1);
    ktplist_free(&t2);
    k848_sent_free(&s);
}
END_TEST

START_TEST(test_switching_between_regex_and_names_sends_both)
{
    k848_sent s = {0};
    k848_sub sub = {NULL, "kfk-.*", 0};
    k848_fields f = k848_fields_for(&s, &sub, true);
    ck_assert(f.regex && f.topics);
    k848_sent_update(&s, &sub, f);
    ck_assert_str_eq(s.regex, "kfk-.*");
    ck_assert(!k848_fields_for(&s, &sub, false).regex);

    sub.regex = "other.*";
    ck_assert(k848_fields_for(&s, &sub, false).regex);

    ktplist t = names("a", NULL);
    k848_sub by_name = {&t, NULL, 0};
    f = k848_fields_for(&s, &by_name, false);
    ck_assert(f.regex && f.topics); /* the regex is cleared with "" */
    k848_sent_update(&s, &by_name, f);
    ck_assert_ptr_null(s.regex);
    ck_assert(!k848_fields_for(&s, &by_name, false).regex);
    ktplist_free(&t);
    k848_sent_free(&s);
}
END_TEST

START_TEST(test_member_ids_are_java_uuid_strings_and_differ)
{
    char a[23], b[23];
    k848_member_id(a);
    k848_member_id(b);
    ck_assert_uint_eq(strlen(a), 22);
    ck_assert_str_ne(a, b);
    for (int i = 0; i < 22; i++)
        ck_assert_msg(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                             a[i]) != NULL,
                      "%s", a);
}
END_TEST

/* --- the protocol against the in-process mock ----------------------------------------- */

#define WAIT_MS 20000
#define MPARTS 4

static kfk_mock_cluster *mc;

static void mock_setup(void)
{
    mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
    /* A session far longer than any wait below: whatever moves, moves
     * because of a heartbeat, never because a session expired. */
    ck_assert_int_eq(kfk_mock_set_consumer_group_timeouts(mc, 60000, 100), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", MPARTS, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "u", 2, 1), KFK_OK);
}

static void mock_teardown(void)
{
    kfk_mock_cluster_destroy(mc);
}

/* A member of group "g" subscribed to topic, polled by a thread of its
 * own; extra: more settings for kmember_conf (may be NULL). */
static void t_start(kmember *m, const char *instance_id, const char *topic,
                    const char *const (*extra)[2])
{
    const char *const kv[][2] = {
        {"group.protocol", "consumer"}, {"group.instance.id", instance_id}, {NULL}};
    kmember_start(m, kmember_conf(kfk_mock_cluster_bootstrap(mc), "g", kv, extra),
                  &(kmember_opts){.topic = topic, .thread = true});
}

/* The partitions of t that m and n own now are split evenly. */
static bool split(kmember *m, kmember *n)
{
    return kmember_owned(m, "t") == MPARTS / 2 && kmember_owned(n, "t") == MPARTS / 2;
}

START_TEST(test_fenced_member_loses_its_partitions_and_rejoins)
{
    static const kfk_err codes[] = {KFK_ERR_FENCED_MEMBER_EPOCH, KFK_ERR_UNKNOWN_MEMBER_ID};
    kmember a;
    t_start(&a, NULL, "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&a, "t") == MPARTS, &a);
    char id[256];
    kfk_consumer_member_id(a.c, id, sizeof(id));
    ck_assert_uint_eq(strlen(id), 22); /* KIP-1082: the client's own UUID */
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(
            kfk_mock_push_errors(mc, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT, 1, codes[i]), KFK_OK);
        /* LOST for every partition, then the rejoin (epoch 0, same member
         * id) gets them back. */
        KMEMBER_UNTIL(WAIT_MS, kmember_snapshot(&a).parts_lost == MPARTS * (i + 1), &a);
        KMEMBER_UNTIL(WAIT_MS, kmember_owned(&a, "t") == MPARTS, &a);
        kmember_state s = kmember_snapshot(&a);
        ck_assert_int_eq(s.parts_revoked, 0);
        ck_assert_int_eq(s.parts_assigned, MPARTS * (i + 2));
        char again[256];
        kfk_consumer_member_id(a.c, again, sizeof(again));
        ck_assert_str_eq(again, id); /* the rejoin keeps the member id */
    }
    kmember_destroy(&a);
}
END_TEST

START_TEST(test_close_leaves_and_partitions_move_before_the_session_ends)
{
    kmember a, b;
    t_start(&a, NULL, "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&a, "t") == MPARTS, &a);
    t_start(&b, NULL, "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, split(&a, &b), &a, &b);
    /* The session is 60 s: only the leave heartbeat can move them this soon. */
    kmember_destroy(&a);
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&b, "t") == MPARTS, &b);
    ck_assert_int_eq(kmember_snapshot(&b).parts_revoked, 0);
    kmember_destroy(&b);
}
END_TEST

START_TEST(test_static_member_gets_its_partitions_back_after_a_restart)
{
    kmember a, b;
    t_start(&a, "ia", "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&a, "t") == MPARTS, &a);
    t_start(&b, "ib", "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, split(&a, &b), &a, &b);
    kmember_state had = kmember_snapshot(&a);
    /* Epoch -2: the broker keeps a's partitions for its session. */
    kmember_destroy(&a);
    t_start(&a, "ia", "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&a, "t") == MPARTS / 2, &a, &b);
    kmember_state now = kmember_snapshot(&a);
    for (int p = 0; p < MPARTS; p++)
        ck_assert_int_eq(kmember_part_of(&now, "t", p).owned, kmember_part_of(&had, "t", p).owned);
    /* b never saw them: nothing of its was revoked, nothing added. */
    kmember_state sb = kmember_snapshot(&b);
    ck_assert_int_eq(sb.parts_revoked, 0);
    ck_assert_int_eq(sb.parts_assigned, MPARTS / 2);
    kmember_destroy(&a);
    kmember_destroy(&b);
}
END_TEST

START_TEST(test_new_subscription_revokes_the_old_topic_and_assigns_the_new)
{
    kmember a;
    t_start(&a, NULL, "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&a, "t") == MPARTS, &a);
    const char *u = "u";
    ck_assert_int_eq(kfk_consumer_subscribe(a.c, &u, 1), KFK_OK);
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&a, "u") == 2 && kmember_owned(&a, NULL) == 2, &a);
    ck_assert_int_eq(kmember_snapshot(&a).parts_lost, 0);
    kmember_destroy(&a);
}
END_TEST

START_TEST(test_regex_matching_nothing_yet_joins_and_picks_up_a_new_topic)
{
    kmember a;
    t_start(&a, NULL, "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&a, "t") == MPARTS, &a);
    /* Switch to a regex that matches no topic yet: the broker resolves it. */
    ck_assert_int_eq(kfk_consumer_subscribe_pattern(a.c, "v[0-9]+"), KFK_OK);
    KMEMBER_UNTIL(WAIT_MS,
                  kmember_owned(&a, NULL) == 0 && kmember_snapshot(&a).parts_revoked == MPARTS, &a);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "v1", 2, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "xv1", 2, 1), KFK_OK); /* whole names only */
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&a, "v1") == 2, &a);
    kfk_partition_list *l = kfk_consumer_assignment(a.c);
    ck_assert_uint_eq(kfk_partition_list_count(l), 2);
    for (size_t i = 0; i < kfk_partition_list_count(l); i++)
        ck_assert_str_eq(kfk_partition_list_topic(l, i), "v1");
    kfk_partition_list_destroy(l);
    kmember_destroy(&a);
}
END_TEST

START_TEST(test_member_that_stops_polling_leaves_and_rejoins_when_it_polls)
{
    static const char *const quick[][2] = {{"max.poll.interval.ms", "1500"}, {NULL}};
    kmember a, b;
    t_start(&a, NULL, "t", quick);
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&a, "t") == MPARTS, &a);
    t_start(&b, NULL, "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, split(&a, &b), &a, &b);
    /* a stops polling: after max.poll.interval.ms it leaves, b takes all. */
    kmember_pause(&a, true);
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&b, "t") == MPARTS, &a, &b);
    /* a polls again: its partitions were lost, and it rejoins. */
    kmember_pause(&a, false);
    KMEMBER_UNTIL(WAIT_MS, kmember_snapshot(&a).parts_lost == MPARTS / 2, &a, &b);
    KMEMBER_UNTIL(WAIT_MS, split(&a, &b), &a, &b);
    kmember_destroy(&a);
    kmember_destroy(&b);
}
END_TEST

/* The broker that answers heartbeats now: the one whose count moved. */
static int32_t heartbeat_broker(void)
{
    int64_t before[4];
    for (int32_t id = 1; id <= 3; id++)
        before[id] = kfk_mock_broker_request_count(mc, id, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT);
    for (int64_t deadline = ktime_mono_ms() + WAIT_MS; ktime_mono_ms() < deadline;) {
        nanosleep(&(struct timespec){0, 20000000}, NULL); /* between looks */
        for (int32_t id = 1; id <= 3; id++)
            if (kfk_mock_broker_request_count(mc, id, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT) >
                before[id])
                return id;
    }
    ck_abort_msg("no heartbeats");
    return -1;
}

START_TEST(test_coordinator_failover_keeps_the_assignment)
{
    kmember a, b;
    t_start(&a, NULL, "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&a, "t") == MPARTS, &a);
    t_start(&b, NULL, "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, split(&a, &b), &a, &b);
    int32_t coord = heartbeat_broker();
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, coord, true), KFK_OK);
    /* Heartbeats find the new coordinator, which has the group's state:
     * several rounds go by with nothing revoked or lost. */
    int32_t next = heartbeat_broker();
    ck_assert_int_ne(next, coord);
    int64_t seen = kfk_mock_broker_request_count(mc, next, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT);
    KMEMBER_UNTIL(WAIT_MS,
                  kfk_mock_broker_request_count(mc, next, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT) >=
                      seen + 6,
                  &a, &b);
    ck_assert_int_eq(kmember_owned(&a, "t"), MPARTS / 2);
    ck_assert_int_eq(kmember_owned(&b, "t"), MPARTS / 2);
    kmember_state sa = kmember_snapshot(&a), sb = kmember_snapshot(&b);
    ck_assert_int_eq(sa.parts_lost + sb.parts_lost, 0);
    ck_assert_int_eq(sa.parts_revoked + sb.parts_revoked, MPARTS / 2);
    kmember_destroy(&a);
    kmember_destroy(&b);
}
END_TEST

START_TEST(test_topic_created_after_subscribing_is_assigned)
{
    kmember a;
    t_start(&a, NULL, "w", NULL); /* no such topic yet: the member joins with nothing */
    ck_assert_int_eq(kfk_mock_topic_create(mc, "w", 3, 1), KFK_OK);
    /* The broker assigns it by topic id; the member names it once its
     * metadata knows the id. */
    int64_t deadline = ktime_mono_ms() + WAIT_MS;
    for (;;) {
        kfk_partition_list *l = kfk_consumer_assignment(a.c);
        ck_assert_ptr_nonnull(l);
        size_t n = kfk_partition_list_count(l);
        bool all = n == 3;
        for (size_t i = 0; i < n; i++)
            ck_assert_str_eq(kfk_partition_list_topic(l, i), "w");
        kfk_partition_list_destroy(l);
        if (all) break;
        ck_assert_msg(kmember_round(deadline, &a), "w is not assigned (%zu partitions)", n);
    }
    kmember_destroy(&a);
}
END_TEST

START_TEST(test_broker_without_kip848_is_a_group_error)
{
    ck_assert_int_eq(
        kfk_mock_set_api_version_range(mc, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT, 0, -1), KFK_OK);
    kmember a;
    t_start(&a, NULL, "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, kmember_group_err(&a) != KFK_OK, &a);
    ck_assert_int_eq(kmember_group_err(&a), KFK_ERR_UNSUPPORTED);
    ck_assert_int_eq(kmember_owned(&a, NULL), 0);
    kmember_destroy(&a);
}
END_TEST

START_TEST(test_unsubscribe_then_subscribe_rejoins)
{
    kmember a;
    t_start(&a, NULL, "t", NULL);
    KMEMBER_UNTIL(WAIT_MS, kmember_owned(&a, "t") == MPARTS, &a);
    /* Right after the unsubscribe the leave is still in flight. */
    ck_assert_int_eq(kfk_consumer_unsubscribe(a.c), KFK_OK);
    const char *t = "t";
    ck_assert_int_eq(kfk_consumer_subscribe(a.c, &t, 1), KFK_OK);
    KMEMBER_UNTIL(WAIT_MS,
                  kmember_snapshot(&a).parts_revoked == MPARTS && kmember_owned(&a, "t") == MPARTS,
                  &a);
    kmember_destroy(&a);
}
END_TEST

static Suite *consumer_kip848_suite(void)
{
    Suite *s = suite_create("consumer_kip848");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_resolve_names_ids_and_sorts);
    tcase_add_test(tc, test_resolve_counts_unknown_topic_ids_and_keeps_the_rest);
    tcase_add_test(tc, test_empty_target_resolves_to_nothing);
    tcase_add_test(tc, test_target_equal_ignores_order);
    tcase_add_test(tc, test_plan_revokes_and_adds_only_what_moves);
    tcase_add_test(tc, test_plan_from_nothing_and_to_nothing);
    tcase_add_test(tc, test_join_sends_every_field_then_only_changes);
    tcase_add_test(tc, test_switching_between_regex_and_names_sends_both);
    tcase_add_test(tc, test_member_ids_are_java_uuid_strings_and_differ);
    suite_add_tcase(s, tc);
    TCase *tm = tcase_create("mock");
    tcase_set_timeout(tm, 60);
    tcase_add_checked_fixture(tm, mock_setup, mock_teardown);
    tcase_add_test(tm, test_fenced_member_loses_its_partitions_and_rejoins);
    tcase_add_test(tm, test_close_leaves_and_partitions_move_before_the_session_ends);
    tcase_add_test(tm, test_static_member_gets_its_partitions_back_after_a_restart);
    tcase_add_test(tm, test_new_subscription_revokes_the_old_topic_and_assigns_the_new);
    tcase_add_test(tm, test_regex_matching_nothing_yet_joins_and_picks_up_a_new_topic);
    tcase_add_test(tm, test_member_that_stops_polling_leaves_and_rejoins_when_it_polls);
    tcase_add_test(tm, test_coordinator_failover_keeps_the_assignment);
    tcase_add_test(tm, test_topic_created_after_subscribing_is_assigned);
    tcase_add_test(tm, test_broker_without_kip848_is_a_group_error);
    tcase_add_test(tm, test_unsubscribe_then_subscribe_rejoins);
    suite_add_tcase(s, tm);
    return s;
}

int main(void)
{
    return ktest_run(consumer_kip848_suite());
}
