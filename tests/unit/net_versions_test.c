/* ApiVersions negotiation: common ranges, caller limits, and the KIP-511
 * retry version. */
#include "../common/ktest.h"
#include "net/versions.h"
#include "proto/api.h"
#include "proto/gen/metadata.h"
#include "proto/gen/produce.h"

static kp_api_versions_response make_resp(kp_api_versions_response_api_version *keys, int n)
{
    kp_api_versions_response r;
    kp_api_versions_response_init(&r);
    r.api_keys = keys;
    r.n_api_keys = n;
    return r;
}

START_TEST(test_picks_the_highest_version_both_support)
{
    kp_api_versions_response_api_version keys[] = {
        {KP_METADATA_KEY, 0, 9}, /* an older broker */
        {KP_PRODUCE_KEY, 3, 99}, /* a newer one */
        {KP_API_VERSIONS_KEY, 0, 3},
    };
    kp_api_versions_response r = make_resp(keys, 3);
    kversions vs;
    kversions_from_response(&vs, &r);
    ck_assert_int_eq(kversions_pick(&vs, KP_METADATA_KEY, 0, -1), 9);
    ck_assert_int_eq(kversions_pick(&vs, KP_PRODUCE_KEY, 0, -1),
                     kproto_api_get(KP_PRODUCE_KEY)->max_stable_version);
    ck_assert_int_eq(kversions_pick(&vs, KP_API_VERSIONS_KEY, 0, -1), 3);
}
END_TEST

START_TEST(test_caller_limits_narrow_the_range)
{
    kp_api_versions_response_api_version keys[] = {{KP_METADATA_KEY, 0, 12}};
    kp_api_versions_response r = make_resp(keys, 1);
    kversions vs;
    kversions_from_response(&vs, &r);
    ck_assert_int_eq(kversions_pick(&vs, KP_METADATA_KEY, 0, 4), 4);
    ck_assert_int_eq(kversions_pick(&vs, KP_METADATA_KEY, 10, -1), 12);
    ck_assert_int_eq(kversions_pick(&vs, KP_METADATA_KEY, 13, -1), -1);
}
END_TEST

START_TEST(test_apis_the_broker_or_we_lack_are_unusable)
{
    kp_api_versions_response_api_version keys[] = {
        {KP_METADATA_KEY, 0, 12},
        {1000, 0, 5},             /* a key out of our table's range */
        {120, 0, 5},              /* a key we do not know */
        {KP_PRODUCE_KEY, 50, 60}, /* no overlap with ours */
    };
    kp_api_versions_response r = make_resp(keys, 4);
    kversions vs;
    kversions_from_response(&vs, &r);
    ck_assert_int_eq(kversions_pick(&vs, 1 /* Fetch: not offered */, 0, -1), -1);
    ck_assert_int_eq(kversions_pick(&vs, 120, 0, -1), -1);
    ck_assert_int_eq(kversions_pick(&vs, KP_PRODUCE_KEY, 0, -1), -1);
    ck_assert_int_eq(kversions_pick(&vs, -1, 0, -1), -1);
    ck_assert_int_eq(kversions_pick(&vs, 5000, 0, -1), -1);
}
END_TEST

START_TEST(test_finalized_transaction_version_is_kept)
{
    kp_api_versions_response_api_version keys[] = {{KP_METADATA_KEY, 0, 12}};
    kp_api_versions_response r = make_resp(keys, 1);
    kversions vs;
    kversions_from_response(&vs, &r);
    ck_assert_int_eq(vs.txn_version, 0); /* no features: a broker before KIP-584 */
    kp_api_versions_response_finalized_feature_key f[] = {
        {{(const uint8_t *)"metadata.version", 16}, 27, 1},
        {{(const uint8_t *)"transaction.version", 19}, 2, 0},
    };
    r.finalized_features = f;
    r.n_finalized_features = 2;
    kversions_from_response(&vs, &r);
    ck_assert_int_eq(vs.txn_version, 2);
}
END_TEST

START_TEST(test_api_versions_retry_uses_the_brokers_newest)
{
    kp_api_versions_response_api_version keys[] = {{KP_API_VERSIONS_KEY, 0, 2}};
    kp_api_versions_response r = make_resp(keys, 1);
    ck_assert_int_eq(kversions_api_versions_retry(&r), 2);
    kp_api_versions_response none = make_resp(NULL, 0);
    ck_assert_int_eq(kversions_api_versions_retry(&none), 0);
    kp_api_versions_response_api_version other[] = {{KP_METADATA_KEY, 0, 2}};
    kp_api_versions_response no_av = make_resp(other, 1);
    ck_assert_int_eq(kversions_api_versions_retry(&no_av), -1);
}
END_TEST

static Suite *versions_suite(void)
{
    Suite *s = suite_create("net_versions");
    TCase *tc = tcase_create("negotiate");
    tcase_add_test(tc, test_picks_the_highest_version_both_support);
    tcase_add_test(tc, test_caller_limits_narrow_the_range);
    tcase_add_test(tc, test_apis_the_broker_or_we_lack_are_unusable);
    tcase_add_test(tc, test_api_versions_retry_uses_the_brokers_newest);
    tcase_add_test(tc, test_finalized_transaction_version_is_kept);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(versions_suite());
}
