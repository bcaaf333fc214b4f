/* kfk_admin_update_features changing a feature level for real, on an
 * embedded mock cluster no other test shares: the new level and a new
 * features epoch show in the next describe; an update out of range
 * changes nothing. */
#include <check.h>
#include <string.h>

#include "kfk.h"
#include "kfk_mock.h"
#include "ktest.h"

static const kfk_admin_options opts = {.timeout_ms = 20000};

/* transaction.version's finalized level and the features epoch. */
static int16_t txn_level(kfk_admin *a, int64_t *epoch)
{
    kfk_admin_result *r;
    ck_assert_int_eq(kfk_admin_describe_features(a, &opts, &r), KFK_OK);
    int16_t level = -1;
    for (size_t i = 0; i < kfk_admin_result_count(r); i++)
        if (strcmp(kfk_admin_result_name(r, i), "transaction.version") == 0) {
            level = kfk_admin_result_feature_finalized_level(r, i);
            *epoch = kfk_admin_result_features_epoch(r, i);
        }
    kfk_admin_result_destroy(r);
    return level;
}

START_TEST(test_a_level_changes_and_an_invalid_one_does_not)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), NULL, 0), KFK_OK);
    kfk_admin *a = kfk_admin_new(conf, NULL, 0);
    int64_t epoch0, epoch1, epoch2;
    ck_assert_int_eq(txn_level(a, &epoch0), 2);

    kfk_feature_update down = {.feature = "transaction.version",
                               .max_version_level = 1,
                               .upgrade_type = KFK_FEATURE_SAFE_DOWNGRADE};
    kfk_admin_result *r;
    ck_assert_int_eq(kfk_admin_update_features(a, &down, 1, &opts, &r), KFK_OK);
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(txn_level(a, &epoch1), 1);
    ck_assert_int_gt(epoch1, epoch0);

    kfk_feature_update up = {.feature = "transaction.version",
                             .max_version_level = 3,
                             .upgrade_type = KFK_FEATURE_UPGRADE};
    ck_assert_int_eq(kfk_admin_update_features(a, &up, 1, &opts, &r),
                     KFK_ERR_INVALID_UPDATE_VERSION);
    ck_assert_str_eq(kfk_admin_result_message(r, 0),
                     "transaction.version supports levels 0 to 2, not 3");
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(txn_level(a, &epoch2), 1);
    ck_assert_int_eq(epoch2, epoch1);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static Suite *admin_features_suite(void)
{
    Suite *s = suite_create("admin_features");
    TCase *tc = tcase_create("features");
    tcase_add_test(tc, test_a_level_changes_and_an_invalid_one_does_not);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(admin_features_suite());
}
