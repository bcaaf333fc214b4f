/* kfk_partition_list: what a list holds and owns, the one rule for a NULL
 * list or an index out of range, copies, and kfk_consumer_committed
 * filling the caller's list (against the embedded mock cluster), so that
 * results never depend on another thread's call. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kplist.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kfk_mock.h"

#define WAIT_MS 20000

START_TEST(test_add_and_read_back)
{
    kfk_partition_list *l = kfk_partition_list_new(0);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(kfk_partition_list_count(l), 0);
    char topic[] = "orders";
    ck_assert_int_eq(kfk_partition_list_add(l, topic, 3), KFK_OK);
    topic[0] = 'X'; /* the list has its own copy */
    ck_assert_uint_eq(kfk_partition_list_count(l), 1);
    ck_assert_str_eq(kfk_partition_list_topic(l, 0), "orders");
    ck_assert_int_eq(kfk_partition_list_partition(l, 0), 3);
    /* a new entry's defaults */
    ck_assert_int_eq(kfk_partition_list_offset(l, 0), KFK_OFFSET_INVALID);
    ck_assert_ptr_null(kfk_partition_list_metadata(l, 0));
    ck_assert_int_eq(kfk_partition_list_leader_epoch(l, 0), -1);
    ck_assert_int_eq(kfk_partition_list_error(l, 0), KFK_OK);
    /* setters */
    ck_assert_int_eq(kfk_partition_list_set_offset(l, 0, 42), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_offset(l, 0), 42);
    ck_assert_int_eq(kfk_partition_list_set_offset(l, 0, KFK_OFFSET_BEGINNING), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_offset(l, 0), KFK_OFFSET_BEGINNING);
    ck_assert_int_eq(kfk_partition_list_set_leader_epoch(l, 0, 7), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_leader_epoch(l, 0), 7);
    ck_assert_int_eq(kfk_partition_list_set_leader_epoch(l, 0, -9), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_leader_epoch(l, 0), -1);
    /* many entries, beyond the initial room, keep their order */
    for (int32_t p = 0; p < 100; p++)
        ck_assert_int_eq(kfk_partition_list_add(l, p % 2 ? "b" : "a", p), KFK_OK);
    ck_assert_uint_eq(kfk_partition_list_count(l), 101);
    ck_assert_str_eq(kfk_partition_list_topic(l, 1), "a");
    ck_assert_str_eq(kfk_partition_list_topic(l, 100), "b");
    ck_assert_int_eq(kfk_partition_list_partition(l, 100), 99);
    kfk_partition_list_destroy(l);
}
END_TEST

START_TEST(test_add_refuses_what_names_no_partition)
{
    kfk_partition_list *l = kfk_partition_list_new(4);
    ck_assert_int_eq(kfk_partition_list_add(NULL, "t", 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_partition_list_add(l, NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_partition_list_add(l, "", 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_partition_list_add(l, "t", -1), KFK_ERR_INVALID_ARG);
    ck_assert_uint_eq(kfk_partition_list_count(l), 0);
    kfk_partition_list_destroy(l);
    /* a size hint is only a hint */
    l = kfk_partition_list_new((size_t)-1);
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(kfk_partition_list_add(l, "t", 0), KFK_OK);
    kfk_partition_list_destroy(l);
}
END_TEST

START_TEST(test_find_and_repeats)
{
    kfk_partition_list *l = kfk_partition_list_new(0);
    kpl_add(l, "a", 0, 10);
    kpl_add(l, "b", 0, 20);
    kpl_add(l, "a", 1, 30);
    kpl_add(l, "a", 0, 40); /* the same partition again: kept */
    ck_assert_uint_eq(kfk_partition_list_count(l), 4);
    ck_assert_int_eq(kfk_partition_list_find(l, "a", 0), 0);
    ck_assert_int_eq(kfk_partition_list_find(l, "b", 0), 1);
    ck_assert_int_eq(kfk_partition_list_find(l, "a", 1), 2);
    ck_assert_int_eq(kfk_partition_list_find(l, "a", 2), -1);
    ck_assert_int_eq(kfk_partition_list_find(l, "c", 0), -1);
    ck_assert_int_eq(kfk_partition_list_find(l, NULL, 0), -1);
    ck_assert_int_eq(kfk_partition_list_find(NULL, "a", 0), -1);
    kfk_partition_list_destroy(l);
}
END_TEST

START_TEST(test_set_metadata_copies)
{
    kfk_partition_list *l = kpl_one("t", 0, 5);
    char md[] = "hello";
    ck_assert_int_eq(kfk_partition_list_set_metadata(l, 0, md), KFK_OK);
    md[0] = 'J';
    ck_assert_str_eq(kfk_partition_list_metadata(l, 0), "hello");
    ck_assert_ptr_ne(kfk_partition_list_metadata(l, 0), md);
    /* the entry's own string as the new value */
    ck_assert_int_eq(kfk_partition_list_set_metadata(l, 0, kfk_partition_list_metadata(l, 0)),
                     KFK_OK);
    ck_assert_str_eq(kfk_partition_list_metadata(l, 0), "hello");
    ck_assert_int_eq(kfk_partition_list_set_metadata(l, 0, ""), KFK_OK);
    ck_assert_str_eq(kfk_partition_list_metadata(l, 0), "");
    ck_assert_int_eq(kfk_partition_list_set_metadata(l, 0, NULL), KFK_OK);
    ck_assert_ptr_null(kfk_partition_list_metadata(l, 0));
    kfk_partition_list_destroy(l);
}
END_TEST

START_TEST(test_copy_is_deep_and_independent)
{
    kfk_partition_list *l = kpl_one("t", 2, 9);
    ck_assert_int_eq(kfk_partition_list_set_metadata(l, 0, "m"), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_set_leader_epoch(l, 0, 4), KFK_OK);
    kpl_add(l, "u", 0, KFK_OFFSET_END);
    kfk_partition_list *c = kfk_partition_list_copy(l);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_ne(kfk_partition_list_topic(c, 0), kfk_partition_list_topic(l, 0));
    ck_assert_ptr_ne(kfk_partition_list_metadata(c, 0), kfk_partition_list_metadata(l, 0));
    ck_assert_int_eq(kfk_partition_list_set_offset(l, 0, 100), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_set_metadata(l, 0, "changed"), KFK_OK);
    kfk_partition_list_destroy(l); /* the copy does not depend on it */
    ck_assert_uint_eq(kfk_partition_list_count(c), 2);
    ck_assert_str_eq(kfk_partition_list_topic(c, 0), "t");
    ck_assert_int_eq(kfk_partition_list_partition(c, 0), 2);
    ck_assert_int_eq(kfk_partition_list_offset(c, 0), 9);
    ck_assert_str_eq(kfk_partition_list_metadata(c, 0), "m");
    ck_assert_int_eq(kfk_partition_list_leader_epoch(c, 0), 4);
    ck_assert_str_eq(kfk_partition_list_topic(c, 1), "u");
    ck_assert_int_eq(kfk_partition_list_offset(c, 1), KFK_OFFSET_END);
    ck_assert_ptr_null(kfk_partition_list_metadata(c, 1));
    kfk_partition_list *empty = kfk_partition_list_new(0);
    kfk_partition_list *c2 = kfk_partition_list_copy(empty);
    ck_assert_ptr_nonnull(c2);
    ck_assert_uint_eq(kfk_partition_list_count(c2), 0);
    kfk_partition_list_destroy(c2);
    kfk_partition_list_destroy(empty);
    kfk_partition_list_destroy(c);
}
END_TEST

/* Every getter answers "none" and every setter KFK_ERR_INVALID_ARG, for
 * list l and index i. */
static void check_none(kfk_partition_list *l, size_t i)
{
    ck_assert_ptr_null(kfk_partition_list_topic(l, i));
    ck_assert_int_eq(kfk_partition_list_partition(l, i), -1);
    ck_assert_int_eq(kfk_partition_list_offset(l, i), KFK_OFFSET_INVALID);
    ck_assert_ptr_null(kfk_partition_list_metadata(l, i));
    ck_assert_int_eq(kfk_partition_list_leader_epoch(l, i), -1);
    ck_assert_int_eq(kfk_partition_list_error(l, i), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_partition_list_set_offset(l, i, 1), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_partition_list_set_metadata(l, i, "x"), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_partition_list_set_leader_epoch(l, i, 1), KFK_ERR_INVALID_ARG);
}

START_TEST(test_null_list_and_out_of_range_index)
{
    check_none(NULL, 0);
    ck_assert_uint_eq(kfk_partition_list_count(NULL), 0);
    ck_assert_ptr_null(kfk_partition_list_copy(NULL));
    kfk_partition_list_destroy(NULL);
    kfk_partition_list *l = kfk_partition_list_new(0);
    check_none(l, 0);
    kpl_add(l, "t", 0, 5);
    check_none(l, 1);
    check_none(l, (size_t)-1);
    /* nothing changed */
    ck_assert_uint_eq(kfk_partition_list_count(l), 1);
    ck_assert_int_eq(kfk_partition_list_offset(l, 0), 5);
    kfk_partition_list_destroy(l);
}
END_TEST

/* --- kfk_consumer_committed ------------------------------------------------------------ */

static kfk_mock_cluster *mc;

static void setup(void)
{
    mc = kfk_mock_cluster_new(1);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 1), KFK_OK);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
    mc = NULL;
}

static kfk_consumer *group_consumer(void)
{
    kfk_conf *conf = kfk_conf_new();
    const char *kv[][2] = {
        {"bootstrap.servers", kfk_mock_cluster_bootstrap(mc)},
        {"group.id", "g"},
        {"log.level", "crit"},
        {"enable.auto.commit", "false"},
    };
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        ck_assert_int_eq(kfk_conf_set(conf, kv[i][0], kv[i][1], NULL, 0), KFK_OK);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

START_TEST(test_committed_fills_the_callers_list)
{
    kfk_consumer *c = group_consumer();
    kfk_partition_list *l = kpl_one("t", 0, 7);
    ck_assert_int_eq(kfk_partition_list_set_metadata(l, 0, "seven"), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_set_leader_epoch(l, 0, 0), KFK_OK);
    ck_assert_int_eq(kfk_consumer_commit(c, l, 0), KFK_OK);
    kfk_partition_list_destroy(l);
    /* repeats are refused by commit */
    l = kpl_one("t", 1, 1);
    kpl_add(l, "t", 1, 2);
    ck_assert_int_eq(kfk_consumer_commit(c, l, 0), KFK_ERR_INVALID_ARG);
    kfk_partition_list_destroy(l);

    kfk_partition_list *q = kpl_one("t", 0, 12345);
    ck_assert_int_eq(kfk_partition_list_set_metadata(q, 0, "old"), KFK_OK);
    kpl_add(q, "t", 1, 12345); /* nothing committed */
    kpl_add(q, "t", 0, 12345); /* a repeat is filled too */
    ck_assert_int_eq(kfk_consumer_committed(c, q, WAIT_MS), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_offset(q, 0), 7);
    ck_assert_str_eq(kfk_partition_list_metadata(q, 0), "seven");
    ck_assert_int_eq(kfk_partition_list_leader_epoch(q, 0), 0);
    ck_assert_int_eq(kfk_partition_list_error(q, 0), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_offset(q, 1), KFK_OFFSET_INVALID);
    ck_assert_int_eq(kfk_partition_list_leader_epoch(q, 1), -1);
    ck_assert_int_eq(kfk_partition_list_offset(q, 2), 7);
    ck_assert_str_eq(kfk_partition_list_metadata(q, 2), "seven");
    ck_assert_ptr_ne(kfk_partition_list_metadata(q, 0), kfk_partition_list_metadata(q, 2));
    kfk_partition_list_destroy(q);
    kfk_consumer_destroy(c);
}
END_TEST

typedef struct asker {
    kfk_consumer *c;
    const char *want; /* the metadata committed for t/0 */
    int rounds;
} asker;

static void *ask_again_and_again(void *arg)
{
    asker *a = arg;
    for (int i = 0; i < a->rounds; i++) {
        kfk_partition_list *l = kpl_one("t", 0, KFK_OFFSET_INVALID);
        ck_assert_int_eq(kfk_consumer_committed(a->c, l, WAIT_MS), KFK_OK);
        ck_assert_str_eq(kfk_partition_list_metadata(l, 0), a->want);
        kfk_partition_list_destroy(l);
    }
    return NULL;
}

START_TEST(test_committed_results_survive_other_threads_calls)
{
    kfk_consumer *c = group_consumer();
    ck_assert_int_eq(kpl_commit(c, "t", 0, 3, 0), KFK_OK);
    kfk_partition_list *l = kpl_one("t", 0, 3);
    ck_assert_int_eq(kfk_partition_list_set_metadata(l, 0, "mine"), KFK_OK);
    ck_assert_int_eq(kfk_consumer_commit(c, l, 0), KFK_OK);
    kfk_partition_list_destroy(l);

    kfk_partition_list *mine = kpl_one("t", 0, KFK_OFFSET_INVALID);
    ck_assert_int_eq(kfk_consumer_committed(c, mine, WAIT_MS), KFK_OK);
    const char *md = kfk_partition_list_metadata(mine, 0);
    ck_assert_str_eq(md, "mine");
    /* other threads' calls, some at the same time as this one's */
    asker a = {c, "mine", 20};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, ask_again_and_again, &a), 0);
    ask_again_and_again(&a);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    /* the first result is still there, the same string */
    ck_assert_ptr_eq(kfk_partition_list_metadata(mine, 0), md);
    ck_assert_str_eq(md, "mine");
    ck_assert_int_eq(kfk_partition_list_offset(mine, 0), 3);
    kfk_partition_list_destroy(mine);
    kfk_consumer_destroy(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("partition_list");
    TCase *tc = tcase_create("list");
    tcase_add_test(tc, test_add_and_read_back);
    tcase_add_test(tc, test_add_refuses_what_names_no_partition);
    tcase_add_test(tc, test_find_and_repeats);
    tcase_add_test(tc, test_set_metadata_copies);
    tcase_add_test(tc, test_copy_is_deep_and_independent);
    tcase_add_test(tc, test_null_list_and_out_of_range_index);
    suite_add_tcase(s, tc);
    TCase *tcc = tcase_create("committed");
    tcase_add_checked_fixture(tcc, setup, teardown);
    tcase_set_timeout(tcc, 60);
    tcase_add_test(tcc, test_committed_fills_the_callers_list);
    tcase_add_test(tcc, test_committed_results_survive_other_threads_calls);
    suite_add_tcase(s, tcc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
