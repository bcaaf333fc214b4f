/* kfk_admin_describe_topics against the embedded mock cluster with a
 * page limit of a few partitions: topics that span pages come out whole,
 * in name order, partitions in id order, however the pages cut them. */
#include <check.h>
#include <stdio.h>

#include "kfk.h"
#include "kfk_mock.h"
#include "ktest.h"

static const kfk_admin_options opts = {.timeout_ms = 20000};

static kfk_admin *admin_for(kfk_mock_cluster *mc)
{
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), NULL, 0), KFK_OK);
    kfk_admin *a = kfk_admin_new(conf, NULL, 0);
    ck_assert_ptr_nonnull(a);
    return a;
}

/* Topic t of md is name with n partitions 0..n-1, each with a leader. */
static void expect_topic(const kfk_metadata *md, size_t t, const char *name, size_t n)
{
    ck_assert_str_eq(kfk_metadata_topic_name(md, t), name);
    ck_assert_int_eq(kfk_metadata_topic_error(md, t), KFK_OK);
    ck_assert_uint_eq(kfk_metadata_partition_count(md, t), n);
    for (size_t p = 0; p < n; p++) {
        ck_assert_int_eq(kfk_metadata_partition_id(md, t, p), (int32_t)p);
        ck_assert_int_ge(kfk_metadata_partition_leader(md, t, p), 0);
        size_t n_elr = 99;
        ck_assert_ptr_nonnull(kfk_metadata_partition_eligible_leaders(md, t, p, &n_elr));
        ck_assert_uint_eq(n_elr, 0);
    }
}

static void run_with_limit(int32_t limit)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_set_partition_page_limit(mc, limit), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "c", 1, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "a", 5, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "b", 2, 1), KFK_OK);
    kfk_admin *a = admin_for(mc);
    kfk_metadata *md;
    ck_assert_int_eq(kfk_admin_describe_topics(a, NULL, 0, &opts, &md), KFK_OK);
    ck_assert_uint_eq(kfk_metadata_topic_count(md), 3);
    expect_topic(md, 0, "a", 5);
    expect_topic(md, 1, "b", 2);
    expect_topic(md, 2, "c", 1);
    ck_assert_int_eq(kfk_metadata_topic_authorized_operations(md, 0), INT32_MIN);
    kfk_metadata_destroy(md);

    const char *names[] = {"c", "nope", "a"};
    kfk_admin_options with_ops = opts;
    with_ops.flags = KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS;
    ck_assert_int_eq(kfk_admin_describe_topics(a, names, 3, &with_ops, &md),
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_uint_eq(kfk_metadata_topic_count(md), 3);
    expect_topic(md, 0, "a", 5);
    expect_topic(md, 1, "c", 1);
    ck_assert_str_eq(kfk_metadata_topic_name(md, 2), "nope");
    ck_assert_int_eq(kfk_metadata_topic_error(md, 2), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_ne(kfk_metadata_topic_authorized_operations(md, 0) & (1 << 3), 0); /* READ */
    ck_assert_str_eq(kfk_admin_last_error(a),
                     "kfk_admin_describe_topics: topic \"nope\": UNKNOWN_TOPIC_OR_PARTITION: "
                     "this broker does not host the topic or partition");
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}

START_TEST(test_pages_of_one_partition)
{
    run_with_limit(1);
}
END_TEST

START_TEST(test_pages_that_cut_topics)
{
    run_with_limit(3);
}
END_TEST

START_TEST(test_one_page)
{
    run_with_limit(2000);
}
END_TEST

START_TEST(test_page_limit_is_checked)
{
    ck_assert_int_eq(kfk_mock_set_partition_page_limit(NULL, 5), KFK_ERR_INVALID_ARG);
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_set_partition_page_limit(mc, 0), KFK_ERR_INVALID_ARG);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static Suite *admin_describe_pages_suite(void)
{
    Suite *s = suite_create("admin_describe_pages");
    TCase *tc = tcase_create("pages");
    tcase_add_test(tc, test_pages_of_one_partition);
    tcase_add_test(tc, test_pages_that_cut_topics);
    tcase_add_test(tc, test_one_page);
    tcase_add_test(tc, test_page_limit_is_checked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(admin_describe_pages_suite());
}
