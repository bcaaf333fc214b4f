/* The KIP-848 protocol's pure parts (lib/consumer/kip848_plan.c): target
 * assignments resolved from topic ids to names, the reconciliation plan
 * (only what moves is revoked or added), which optional heartbeat fields
 * go out (all on a join or after a failure, else only the changed ones),
 * and KIP-1082 member ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/kip848.h"
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

static Suite *consumer_kip848_suite(void)
{
    Suite *s = suite_create("consumer_kip848");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_resolve_names_ids_and_sorts);
    tcase_add_test(tc, test_resolve_counts_unknown_topic_ids_and_keeps_the_rest);
    tcase_add_test(tc, test_empty_target_resolves_to_nothing);
    tcase_add_test(tc, test_plan_revokes_and_adds_only_what_moves);
    tcase_add_test(tc, test_plan_from_nothing_and_to_nothing);
    tcase_add_test(tc, test_join_sends_every_field_then_only_changes);
    tcase_add_test(tc, test_switching_between_regex_and_names_sends_both);
    tcase_add_test(tc, test_member_ids_are_java_uuid_strings_and_differ);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(consumer_kip848_suite());
}
