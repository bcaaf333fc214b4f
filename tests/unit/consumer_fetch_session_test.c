/* The client half of KIP-227 fetch sessions, without a broker: the first
 * request is full (id 0, epoch 0), the broker's id then opens epochs 1,
 * 2, ... which wrap to 1; session errors and failed requests start over
 * with a full request, as does an incremental request answered with id 0
 * (the broker closed the session); a broker that gives id 0 to a full
 * request keeps every request full;
 * a partition is carried again only when its offset or epoch changed. */
#include <check.h>
#include <stdlib.h>

#include "../common/ktest.h"
#include "consumer/consumer_int.h"

START_TEST(test_full_then_incremental_epochs)
{
    kfetch_session s = {0};
    ck_assert_int_eq(s.id, 0);
    ck_assert_int_eq(s.epoch, 0);
    ksess_answered(&s, 77, KFK_OK, true);
    ck_assert_int_eq(s.id, 77);
    ck_assert_int_eq(s.epoch, 1);
    ksess_answered(&s, 77, KFK_OK, false);
    ck_assert_int_eq(s.epoch, 2);
    s.epoch = INT32_MAX;
    ksess_answered(&s, 77, KFK_OK, false);
    ck_assert_int_eq(s.epoch, 1); /* wraps past INT32_MAX to 1, never 0 */
    ksess_free(&s);
}
END_TEST

START_TEST(test_session_errors_start_over)
{
    kfetch_session s = {0};
    kcpart p = {.partition = 0};
    ksess_answered(&s, 5, KFK_OK, true);
    ck_assert_int_eq(ksess_put(&s, &p, 10, 3, -1, 0), 0);
    ksess_answered(&s, 0, KFK_ERR_INVALID_FETCH_SESSION_EPOCH, false);
    ck_assert_int_eq(s.id, 0);
    ck_assert_int_eq(s.epoch, 0);
    ck_assert_int_eq(s.n, 0);
    ksess_answered(&s, 6, KFK_OK, true);
    ksess_answered(&s, 0, KFK_ERR_TRANSPORT, false);
    ck_assert_int_eq(s.id, 0);
    ksess_free(&s);
}
END_TEST

START_TEST(test_a_session_the_broker_closed_starts_over)
{
    kfetch_session s = {0};
    kcpart p = {.partition = 0};
    ksess_answered(&s, 9, KFK_OK, true);
    ck_assert_int_eq(ksess_put(&s, &p, 10, 3, -1, 0), 0);
    ksess_answered(&s, 0, KFK_OK, false); /* an incremental request, answered sessionless */
    ck_assert_int_eq(s.id, 0);
    ck_assert_int_eq(s.epoch, 0);
    ck_assert_int_eq(s.n, 0);
    ck_assert(ksess_changed(&s, &p, 10, 3, -1)); /* the next (full) request carries p */
    ksess_free(&s);
}
END_TEST

START_TEST(test_no_session_from_the_broker_keeps_requests_full)
{
    kfetch_session s = {0};
    ksess_answered(&s, 0, KFK_OK, true);
    ck_assert_int_eq(s.id, 0);
    ck_assert_int_eq(s.epoch, 0);
    ksess_answered(&s, 0, KFK_OK, true);
    ck_assert_int_eq(s.epoch, 0);
    ksess_free(&s);
}
END_TEST

START_TEST(test_only_changed_partitions_are_carried_again)
{
    kfetch_session s = {0};
    kcpart a = {.partition = 0}, b = {.partition = 1};
    ck_assert(ksess_changed(&s, &a, 0, 1, -1)); /* not in the session yet */
    ck_assert_int_eq(ksess_put(&s, &a, 0, 1, -1, 0), 0);
    ck_assert_int_eq(ksess_put(&s, &b, 5, 1, -1, 0), 0);
    ck_assert(!ksess_changed(&s, &a, 0, 1, -1));
    ck_assert(ksess_changed(&s, &a, 7, 1, -1)); /* new fetch offset */
    ck_assert(ksess_changed(&s, &b, 5, 2, -1)); /* new leader epoch */
    ck_assert(ksess_changed(&s, &b, 5, 1, 3));  /* new last fetched epoch */
    ck_assert_int_eq(ksess_put(&s, &a, 7, 1, -1, 4), 0);
    ck_assert_int_eq(s.n, 2); /* updated in place */
    ksess_entry *e = ksess_find(&s, &a);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->offset, 7);
    ck_assert_uint_eq(e->gen, 4);
    ksess_free(&s);
}
END_TEST

START_TEST(test_many_partitions_grow_the_session)
{
    kfetch_session s = {0};
    kcpart *parts = calloc(1000, sizeof(*parts));
    for (int i = 0; i < 1000; i++) {
        parts[i].partition = i;
        ck_assert_int_eq(ksess_put(&s, &parts[i], i, 0, -1, 0), 0);
    }
    ck_assert_int_eq(s.n, 1000);
    for (int i = 0; i < 1000; i += 97)
        ck_assert_int_eq(ksess_find(&s, &parts[i])->offset, i);
    ksess_free(&s);
    free(parts);
}
END_TEST

/* Finds start where the last one stopped: any order must still find the
 * right entry, and a partition that is not in the session none. */
START_TEST(test_find_in_any_order)
{
    kfetch_session s = {0};
    kcpart parts[50] = {0}, absent = {.partition = 99};
    for (int i = 0; i < 50; i++) {
        parts[i].partition = i;
        ck_assert_int_eq(ksess_put(&s, &parts[i], i, 0, -1, 0), 0);
    }
    for (int i = 0; i < 50; i++) /* in order, as requests walk them */
        ck_assert_int_eq(ksess_find(&s, &parts[i])->offset, i);
    for (int i = 49; i >= 0; i -= 3) /* backwards, skipping */
        ck_assert_int_eq(ksess_find(&s, &parts[i])->offset, i);
    ck_assert_ptr_null(ksess_find(&s, &absent));
    ck_assert(ksess_changed(&s, &absent, 0, 0, -1));
    ck_assert_int_eq(ksess_find(&s, &parts[49])->offset, 49);
    ksess_reset(&s); /* the last find's place is now past the end */
    ck_assert_ptr_null(ksess_find(&s, &parts[49]));
    ck_assert_int_eq(ksess_put(&s, &parts[3], 30, 0, -1, 0), 0);
    ck_assert_int_eq(ksess_find(&s, &parts[3])->offset, 30);
    ck_assert_int_eq(s.n, 1);
    ksess_free(&s);
}
END_TEST

static Suite *consumer_fetch_session_suite(void)
{
    Suite *s = suite_create("consumer_fetch_session");
    TCase *tc = tcase_create("session");
    tcase_add_test(tc, test_full_then_incremental_epochs);
    tcase_add_test(tc, test_session_errors_start_over);
    tcase_add_test(tc, test_a_session_the_broker_closed_starts_over);
    tcase_add_test(tc, test_no_session_from_the_broker_keeps_requests_full);
    tcase_add_test(tc, test_only_changed_partitions_are_carried_again);
    tcase_add_test(tc, test_many_partitions_grow_the_session);
    tcase_add_test(tc, test_find_in_any_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(consumer_fetch_session_suite());
}
