/* The cluster's features and metadata quorum against a cluster
 * (KFK_TEST_BOOTSTRAP): what describe reports, a validate-only change that
 * changes nothing, an unknown feature refused, the quorum's leader among
 * its voters. Real changes of a feature level are left to the unit test on
 * an embedded mock: on a shared broker they would change what the other
 * suites run against. */
#include <string.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "kfk.h"

static const kfk_admin_options opts = {.timeout_ms = 30000};

static long feature(const kfk_admin_result *r, const char *name)
{
    for (size_t i = 0; i < kfk_admin_result_count(r); i++)
        if (strcmp(kfk_admin_result_name(r, i), name) == 0) return (long)i;
    return -1;
}

START_TEST(test_features_are_described)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_admin_result *r;
    ck_assert_int_eq(kfk_admin_describe_features(a, &opts, &r), KFK_OK);
    long mv = feature(r, "metadata.version"), tv = feature(r, "transaction.version");
    ck_assert_int_ge(mv, 0);
    ck_assert_int_ge(tv, 0);
    int16_t level = kfk_admin_result_feature_finalized_level(r, (size_t)mv);
    ck_assert_int_gt(level, 0);
    ck_assert_int_le(kfk_admin_result_feature_supported_min(r, (size_t)mv), level);
    ck_assert_int_ge(kfk_admin_result_feature_supported_max(r, (size_t)mv), level);
    ck_assert_int_ge(kfk_admin_result_feature_supported_max(r, (size_t)tv), 2);
    ck_assert_int_ge(kfk_admin_result_features_epoch(r, (size_t)mv), 0);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_validate_only_changes_nothing_and_unknown_features_fail)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_admin_result *r;
    ck_assert_int_eq(kfk_admin_describe_features(a, &opts, &r), KFK_OK);
    long tv = feature(r, "transaction.version");
    ck_assert_int_ge(tv, 0);
    int16_t level = kfk_admin_result_feature_finalized_level(r, (size_t)tv);
    kfk_admin_result_destroy(r);
    ck_assert_int_gt(level, 0);

    kfk_feature_update down = {.feature = "transaction.version",
                               .max_version_level = (int16_t)(level - 1),
                               .upgrade_type = KFK_FEATURE_SAFE_DOWNGRADE};
    kfk_admin_options check = {.timeout_ms = 30000, .flags = KFK_ADMIN_VALIDATE_ONLY};
    ck_assert_int_eq(kfk_admin_update_features(a, &down, 1, &check, &r), KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_count(r), 1);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_OK);
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(kfk_admin_describe_features(a, &opts, &r), KFK_OK);
    ck_assert_int_eq(
        kfk_admin_result_feature_finalized_level(r, (size_t)feature(r, "transaction.version")),
        level);
    kfk_admin_result_destroy(r);

    kfk_feature_update unknown = {.feature = "kfk.no.such.feature",
                                  .max_version_level = 1,
                                  .upgrade_type = KFK_FEATURE_UPGRADE};
    ck_assert_int_eq(kfk_admin_update_features(a, &unknown, 1, &check, &r),
                     KFK_ERR_INVALID_UPDATE_VERSION);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_ERR_INVALID_UPDATE_VERSION);
    ck_assert_ptr_nonnull(kfk_admin_result_message(r, 0));
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_quorum_leader_is_a_voter)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_admin_result *r;
    ck_assert_int_eq(kfk_admin_describe_quorum(a, &opts, &r), KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_count(r), 1);
    ck_assert_str_eq(kfk_admin_result_name(r, 0), "__cluster_metadata");
    int32_t leader = kfk_admin_result_quorum_leader_id(r, 0);
    ck_assert_int_ge(leader, 0);
    ck_assert_int_gt(kfk_admin_result_quorum_leader_epoch(r, 0), 0);
    ck_assert_int_ge(kfk_admin_result_quorum_high_watermark(r, 0), 0);
    size_t nv = kfk_admin_result_quorum_replica_count(r, 0, true);
    ck_assert_uint_ge(nv, 1);
    bool found = false;
    for (size_t j = 0; j < nv; j++)
        found = found || kfk_admin_result_quorum_replica(r, 0, true, j)->replica_id == leader;
    ck_assert(found);
    ck_assert_ptr_null(kfk_admin_result_quorum_replica(r, 0, true, nv));
    ck_assert_int_eq(kfk_admin_result_quorum_leader_id(r, 1), -1);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_admin_result *r = (void *)1;
    kfk_feature_update bad = {.feature = "transaction.version", .max_version_level = 1};
    ck_assert_int_eq(kfk_admin_update_features(a, &bad, 1, &opts, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(kfk_admin_last_error(a), "kfk_admin_update_features: an update's upgrade_type "
                                              "is not a kfk_feature_upgrade_type");
    bad = (kfk_feature_update){.max_version_level = 1, .upgrade_type = KFK_FEATURE_UPGRADE};
    ck_assert_int_eq(kfk_admin_update_features(a, &bad, 1, &opts, &r), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_update_features(a, NULL, 1, &opts, &r), KFK_ERR_INVALID_ARG);
    kfk_admin_options v = {.flags = KFK_ADMIN_VALIDATE_ONLY};
    ck_assert_int_eq(kfk_admin_describe_quorum(a, &v, &r), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_describe_features(a, &v, &r), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_describe_features(NULL, NULL, &r), KFK_ERR_INVALID_ARG);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *admin_cluster_suite(void)
{
    Suite *s = suite_create("admin_cluster");
    TCase *tc = tcase_create("cluster");
    tcase_add_test(tc, test_features_are_described);
    tcase_add_test(tc, test_validate_only_changes_nothing_and_unknown_features_fail);
    tcase_add_test(tc, test_quorum_leader_is_a_voter);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(admin_cluster_suite());
}
