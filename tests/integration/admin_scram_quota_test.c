/* SCRAM credentials and client quotas through the admin client, against
 * real Kafka (the mock serves neither API: SKIP there). A SCRAM-SHA-256
 * user created through kfk logs in with a kfk client on the
 * SASL_PLAINTEXT listener, is described with its mechanism and
 * iterations, and can no longer log in once deleted. Quotas set for a
 * user are read back, validate-only changes nothing, and removing them
 * leaves nothing to describe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ksec.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kwire_client.h"

#define TIMEOUT_MS 20000

static const kfk_admin_options opts = {.timeout_ms = TIMEOUT_MS};

static kfk_admin *admin_new(kfk_conf *conf)
{
    char err[512];
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    ck_assert_msg(a != NULL, "kfk_admin_new: %s", err);
    return a;
}

/* --- SCRAM -------------------------------------------------------------------------------- */

/* Describes the cluster as user over SASL_PLAINTEXT with SCRAM-SHA-256. */
static kfk_err login(const char *user, const char *password)
{
    char bootstrap[128];
    ck_assert(ksec_env_value("KFK_TEST_SASL_PLAINTEXT", bootstrap, sizeof(bootstrap)));
    kfk_conf *c = kclus_conf(bootstrap);
    kclus_set(c, "security.protocol", "SASL_PLAINTEXT");
    kclus_set(c, "sasl.mechanism", "SCRAM-SHA-256");
    kclus_set(c, "sasl.username", user);
    kclus_set(c, "sasl.password", password);
    kfk_admin *a = admin_new(c);
    kfk_metadata *md = NULL;
    kfk_err err = kfk_admin_describe_cluster(a, &(kfk_admin_options){.timeout_ms = 10000}, &md);
    if (!err) ck_assert_uint_ge(kfk_metadata_broker_count(md), 1);
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
    return err;
}

/* Logs in until the outcome is want: a broker learns of a credential a
 * moment after the controller stored it. */
static void await_login(const char *user, const char *password, kfk_err want)
{
    int64_t end = kclus_now_ms() + 60000;
    kfk_err e;
    while ((e = login(user, password)) != want && kclus_now_ms() < end)
        kclus_nap(200);
    ck_assert_msg(e == want, "login as %s: %s, wanted %s", user, kfk_err_name(e),
                  kfk_err_name(want));
}

/* Describes user until its error is want (and, when KFK_OK, it has a
 * credential). */
static kfk_admin_result *await_described(kfk_admin *a, const char *user, kfk_err want)
{
    int64_t end = kclus_now_ms() + 30000;
    for (;;) {
        kfk_admin_result *r;
        kfk_err err = kfk_admin_describe_user_scram_credentials(a, &user, 1, &opts, &r);
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_eq(kfk_admin_result_count(r), 1);
        ck_assert_str_eq(kfk_admin_result_name(r, 0), user);
        if (err == want) return r;
        ck_assert_msg(kclus_now_ms() < end, "describe %s: %s, wanted %s", user, kfk_err_name(err),
                      kfk_err_name(want));
        kfk_admin_result_destroy(r);
        kclus_nap(100);
    }
}

START_TEST(test_scram_user_lifecycle)
{
    kfk_admin *a = admin_new(kclus_conf(ktest_bootstrap()));
    char user[200], ghost[200];
    ktest_unique_topic(user, sizeof(user), "scram");
    ktest_unique_topic(ghost, sizeof(ghost), "ghost");
    const char *password = "kfk-it-secret";

    kfk_scram_alteration up = {
        .user = user, .mechanism = KFK_SCRAM_SHA_256, .iterations = 8192, .password = password};
    kfk_scram_alteration del_ghost = {.user = ghost, .mechanism = KFK_SCRAM_SHA_512};
    kfk_admin_result *r;
    kfk_err err = kfk_admin_alter_user_scram_credentials(
        a, (const kfk_scram_alteration *[]){&up, &del_ghost}, 2, &opts, &r);
    ck_assert_msg(err == KFK_ERR_RESOURCE_NOT_FOUND, "alter: %s (%s)", kfk_err_name(err),
                  kfk_admin_last_error(a));
    ck_assert_uint_eq(kfk_admin_result_count(r), 2);
    ck_assert_str_eq(kfk_admin_result_name(r, 0), user);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(r, 1), KFK_ERR_RESOURCE_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "user \""));
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), ghost));
    kfk_admin_result_destroy(r);

    r = await_described(a, user, KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_scram_count(r, 0), 1);
    ck_assert_int_eq(kfk_admin_result_scram_mechanism(r, 0, 0), KFK_SCRAM_SHA_256);
    ck_assert_int_eq(kfk_admin_result_scram_iterations(r, 0, 0), 8192);
    ck_assert_int_eq(kfk_admin_result_scram_iterations(r, 0, 1), -1);
    kfk_admin_result_destroy(r);

    /* Every user: ours is among them. */
    ck_assert_int_eq(kfk_admin_describe_user_scram_credentials(a, NULL, 0, &opts, &r), KFK_OK);
    bool found = false;
    for (size_t i = 0; i < kfk_admin_result_count(r); i++)
        found |= strcmp(kfk_admin_result_name(r, i), user) == 0 &&
                 kfk_admin_result_scram_mechanism(r, i, 0) == KFK_SCRAM_SHA_256;
    ck_assert(found);
    kfk_admin_result_destroy(r);

    await_login(user, password, KFK_OK);
    ck_assert_int_eq(login(user, "not-the-password"), KFK_ERR_AUTH);

    kfk_scram_alteration del = {.user = user, .mechanism = KFK_SCRAM_SHA_256};
    ck_assert_int_eq(kfk_admin_alter_user_scram_credentials(
                         a, (const kfk_scram_alteration *[]){&del}, 1, &opts, &r),
                     KFK_OK);
    kfk_admin_result_destroy(r);
    r = await_described(a, user, KFK_ERR_RESOURCE_NOT_FOUND);
    ck_assert_uint_eq(kfk_admin_result_scram_count(r, 0), 0);
    kfk_admin_result_destroy(r);
    await_login(user, password, KFK_ERR_AUTH);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_scram_bad_arguments)
{
    kfk_admin *a = admin_new(kclus_conf(ktest_bootstrap()));
    kfk_admin_result *r = NULL;
    kfk_scram_alteration x = {.user = "u", .mechanism = KFK_SCRAM_SHA_512, .password = "p"};
    const kfk_scram_alteration *one[] = {&x};
    ck_assert_int_eq(kfk_admin_alter_user_scram_credentials(NULL, one, 1, NULL, &r),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_describe_user_scram_credentials(a, NULL, 0, NULL, NULL),
                     KFK_ERR_INVALID_ARG);
    x.mechanism = KFK_SCRAM_UNKNOWN;
    ck_assert_int_eq(kfk_admin_alter_user_scram_credentials(a, one, 1, NULL, &r),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "alterations[0]: mechanism"));
    x = (kfk_scram_alteration){.user = "u", .mechanism = KFK_SCRAM_SHA_256, .iterations = 4096};
    ck_assert_int_eq(kfk_admin_alter_user_scram_credentials(a, one, 1, NULL, &r),
                     KFK_ERR_INVALID_ARG); /* iterations with a deletion */
    ck_assert_ptr_null(r);
    ck_assert_int_eq(
        kfk_admin_describe_user_scram_credentials(a, (const char *[]){"u", NULL}, 2, NULL, &r),
        KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_scram_mechanism_name(KFK_SCRAM_SHA_512), "SCRAM-SHA-512");

    /* The broker refuses too few iterations. */
    char weak[200];
    ktest_unique_topic(weak, sizeof(weak), "scramweak");
    kfk_scram_alteration w = {
        .user = weak, .mechanism = KFK_SCRAM_SHA_256, .iterations = 100, .password = "p"};
    kfk_err err = kfk_admin_alter_user_scram_credentials(a, (const kfk_scram_alteration *[]){&w}, 1,
                                                         &opts, &r);
    ck_assert_msg(err == KFK_ERR_UNACCEPTABLE_CREDENTIAL, "alter: %s (%s)", kfk_err_name(err),
                  kfk_admin_last_error(a));
    ck_assert_uint_eq(kfk_admin_result_count(r), 1);
    kfk_admin_result_destroy(r);
    r = await_described(a, weak, KFK_ERR_RESOURCE_NOT_FOUND);
    kfk_admin_result_destroy(r);
    ck_assert_ptr_null(kfk_scram_mechanism_name(KFK_SCRAM_UNKNOWN));
    kfk_admin_destroy(a);
}
END_TEST

/* --- quotas ------------------------------------------------------------------------------- */

static kfk_quota_alteration *quota_for(const char *user)
{
    kfk_quota_alteration *x = kfk_quota_alteration_new();
    ck_assert_int_eq(kfk_quota_alteration_entity(x, "user", user), KFK_OK);
    return x;
}

/* The quotas describe finds for user alone; NULL strictly none. */
static kfk_admin_result *describe_user(kfk_admin *a, const char *user)
{
    kfk_quota_filter *f = kfk_quota_filter_new(true);
    ck_assert_int_eq(kfk_quota_filter_add(f, "user", KFK_QUOTA_MATCH_EXACT, user), KFK_OK);
    kfk_admin_result *r;
    kfk_err err = kfk_admin_describe_client_quotas(a, f, &opts, &r);
    kfk_quota_filter_destroy(f);
    ck_assert_msg(err == KFK_OK, "describe: %s (%s)", kfk_err_name(err), kfk_admin_last_error(a));
    return r;
}

static double value_of(const kfk_admin_result *r, const char *key)
{
    for (size_t j = 0; j < kfk_admin_result_quota_count(r, 0); j++)
        if (strcmp(kfk_admin_result_quota_key(r, 0, j), key) == 0)
            return kfk_admin_result_quota_value(r, 0, j);
    return -1;
}

/* Describes user until it has n quota values (0: no entry at all). */
static kfk_admin_result *await_quotas(kfk_admin *a, const char *user, size_t n)
{
    int64_t end = kclus_now_ms() + 30000;
    for (;;) {
        kfk_admin_result *r = describe_user(a, user);
        size_t got = kfk_admin_result_count(r) ? kfk_admin_result_quota_count(r, 0) : 0;
        if (got == n && kfk_admin_result_count(r) == (n ? 1 : 0)) return r;
        kfk_admin_result_destroy(r);
        ck_assert_msg(kclus_now_ms() < end, "%s has %zu quotas, not %zu", user, got, n);
        kclus_nap(100);
    }
}

START_TEST(test_quotas)
{
    kfk_admin *a = admin_new(kclus_conf(ktest_bootstrap()));
    char user[200], other[200], label[256];
    ktest_unique_topic(user, sizeof(user), "quota");
    ktest_unique_topic(other, sizeof(other), "quotabad");
    snprintf(label, sizeof(label), "user=%s", user);

    kfk_quota_alteration *set = quota_for(user);
    ck_assert_int_eq(kfk_quota_alteration_set(set, "producer_byte_rate", 1024), KFK_OK);
    ck_assert_int_eq(kfk_quota_alteration_set(set, "consumer_byte_rate", 2048), KFK_OK);
    ck_assert_int_eq(kfk_quota_alteration_set(set, "request_percentage", 50), KFK_OK);
    kfk_admin_result *r;

    /* Validate-only: accepted, and nothing changes. A real change made
     * after it is awaited: brokers apply changes in order, so once the
     * later one shows, the validate-only one would show too had it been
     * applied. */
    kfk_err err = kfk_admin_alter_client_quotas(
        a, &set, 1,
        &(kfk_admin_options){.timeout_ms = TIMEOUT_MS, .flags = KFK_ADMIN_VALIDATE_ONLY}, &r);
    ck_assert_msg(err == KFK_OK, "validate: %s (%s)", kfk_err_name(err), kfk_admin_last_error(a));
    ck_assert_str_eq(kfk_admin_result_name(r, 0), label);
    kfk_admin_result_destroy(r);
    kfk_quota_alteration *marker = quota_for(user);
    ck_assert_int_eq(kfk_quota_alteration_set(marker, "controller_mutation_rate", 10), KFK_OK);
    ck_assert_int_eq(kfk_admin_alter_client_quotas(a, &marker, 1, &opts, &r), KFK_OK);
    kfk_admin_result_destroy(r);
    r = await_quotas(a, user, 1);
    ck_assert(value_of(r, "controller_mutation_rate") == 10);
    kfk_admin_result_destroy(r);
    kfk_quota_alteration *unmark = quota_for(user);
    ck_assert_int_eq(kfk_quota_alteration_remove(unmark, "controller_mutation_rate"), KFK_OK);
    ck_assert_int_eq(kfk_admin_alter_client_quotas(a, &unmark, 1, &opts, &r), KFK_OK);
    kfk_admin_result_destroy(r);
    r = await_quotas(a, user, 0);
    kfk_admin_result_destroy(r);

    /* For real, beside an alteration with a key no quota has. */
    kfk_quota_alteration *bad = quota_for(other);
    ck_assert_int_eq(kfk_quota_alteration_set(bad, "no_such_quota", 1), KFK_OK);
    err = kfk_admin_alter_client_quotas(a, (kfk_quota_alteration *[]){set, bad}, 2, &opts, &r);
    ck_assert_int_eq(err, KFK_ERR_INVALID_REQUEST);
    ck_assert_uint_eq(kfk_admin_result_count(r), 2);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(r, 1), KFK_ERR_INVALID_REQUEST);
    kfk_admin_result_destroy(r);

    r = await_quotas(a, user, 3);
    ck_assert_str_eq(kfk_admin_result_name(r, 0), label);
    ck_assert_uint_eq(kfk_admin_result_quota_entity_count(r, 0), 1);
    ck_assert_str_eq(kfk_admin_result_quota_entity_type(r, 0, 0), "user");
    ck_assert_str_eq(kfk_admin_result_quota_entity_name(r, 0, 0), user);
    ck_assert(value_of(r, "producer_byte_rate") == 1024);
    ck_assert(value_of(r, "consumer_byte_rate") == 2048);
    ck_assert(value_of(r, "request_percentage") == 50);
    kfk_admin_result_destroy(r);

    /* A validate-only removal leaves them. */
    kfk_quota_alteration *rm = quota_for(user);
    ck_assert_int_eq(kfk_quota_alteration_remove(rm, "producer_byte_rate"), KFK_OK);
    ck_assert_int_eq(kfk_quota_alteration_remove(rm, "consumer_byte_rate"), KFK_OK);
    ck_assert_int_eq(kfk_quota_alteration_remove(rm, "request_percentage"), KFK_OK);
    ck_assert_int_eq(
        kfk_admin_alter_client_quotas(
            a, &rm, 1,
            &(kfk_admin_options){.timeout_ms = TIMEOUT_MS, .flags = KFK_ADMIN_VALIDATE_ONLY}, &r),
        KFK_OK);
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(kfk_admin_alter_client_quotas(a, &marker, 1, &opts, &r), KFK_OK);
    kfk_admin_result_destroy(r);
    r = await_quotas(a, user, 4); /* the marker came after: the 3 are still there */
    ck_assert(value_of(r, "producer_byte_rate") == 1024);
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(kfk_admin_alter_client_quotas(a, &unmark, 1, &opts, &r), KFK_OK);
    kfk_admin_result_destroy(r);

    ck_assert_int_eq(kfk_admin_alter_client_quotas(a, &rm, 1, &opts, &r), KFK_OK);
    kfk_admin_result_destroy(r);
    r = await_quotas(a, user, 0);
    kfk_admin_result_destroy(r);

    kfk_quota_alteration_destroy(set);
    kfk_quota_alteration_destroy(bad);
    kfk_quota_alteration_destroy(rm);
    kfk_quota_alteration_destroy(marker);
    kfk_quota_alteration_destroy(unmark);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_quota_bad_arguments)
{
    kfk_admin *a = admin_new(kclus_conf(ktest_bootstrap()));
    kfk_quota_filter *f = kfk_quota_filter_new(false);
    ck_assert_int_eq(kfk_quota_filter_add(f, "user", KFK_QUOTA_MATCH_EXACT, NULL),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_quota_filter_add(f, "user", KFK_QUOTA_MATCH_ANY, "x"),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_quota_filter_add(NULL, "user", KFK_QUOTA_MATCH_ANY, NULL),
                     KFK_ERR_INVALID_ARG);
    kfk_admin_result *r = NULL;
    ck_assert_int_eq(kfk_admin_describe_client_quotas(a, NULL, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_describe_client_quotas(
                         a, f, &(kfk_admin_options){.flags = KFK_ADMIN_VALIDATE_ONLY}, &r),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "KFK_ADMIN_VALIDATE_ONLY"));
    /* The broker refuses an unknown entity type (as not supported): the
     * whole call fails, with its message. */
    ck_assert_int_eq(kfk_quota_filter_add(f, "no-such-type", KFK_QUOTA_MATCH_ANY, NULL), KFK_OK);
    kfk_err err =
        kfk_admin_describe_client_quotas(a, f, &(kfk_admin_options){.timeout_ms = 20000}, &r);
    ck_assert_msg(err == KFK_ERR_UNSUPPORTED_VERSION, "describe: %s", kfk_err_name(err));
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "the broker says: "));
    ck_assert_ptr_null(r);
    kfk_quota_alteration *x = kfk_quota_alteration_new();
    ck_assert_int_eq(kfk_admin_alter_client_quotas(a, &x, 1, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "alterations[0] has no entity"));
    ck_assert_ptr_null(r);
    ck_assert_int_eq(kfk_quota_alteration_set(x, NULL, 1), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_quota_alteration_entity(x, NULL, "u"), KFK_ERR_INVALID_ARG);
    ck_assert_uint_eq(kfk_admin_result_quota_count(NULL, 0), 0);
    ck_assert_ptr_null(kfk_admin_result_quota_key(NULL, 0, 0));
    kfk_quota_alteration_destroy(x);
    kfk_quota_filter_destroy(f);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *admin_scram_quota_suite(void)
{
    Suite *s = suite_create("admin_scram_quota");
    TCase *tc = tcase_create("scram_quota");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_scram_user_lifecycle);
    tcase_add_test(tc, test_scram_bad_arguments);
    tcase_add_test(tc, test_quotas);
    tcase_add_test(tc, test_quota_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *why = NULL;
    if (kclus_is_mock()) {
        printf("SKIP: admin_scram_quota: the mock cluster serves neither SCRAM credential nor "
               "client quota APIs\n");
        return KTEST_SKIP;
    }
    if (!ksec_available(&why)) {
        printf("SKIP: admin_scram_quota: %s\n", why);
        return KTEST_SKIP;
    }
    return ktest_run(admin_scram_quota_suite());
}
