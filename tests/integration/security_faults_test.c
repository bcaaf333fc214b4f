/* A broker that refuses one TLS handshake or one authentication, then
 * lets the client in (the mock's fault injection): the call that met the
 * refusal fails with it at once, error_cb hears why, and once
 * reconnect.backoff.ms has passed a call succeeds on a new connection,
 * with no restart. Mock only: a real
 * broker cannot be told to refuse once. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ksec.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kfk_mock.h"

static atomic_int errors;
static char first_reason[512];

static void on_error(void *opaque, void *handle, kfk_err err, const char *reason)
{
    (void)handle;
    (void)opaque, (void)err;
    if (atomic_fetch_add(&errors, 1) == 0) snprintf(first_reason, sizeof(first_reason), "%s", reason);
}

static void refused_once_then_admitted(ksec_listener l, const char *mech, kfk_err want,
                                       const char *because)
{
    kfk_conf *conf = ksec_conf(l, mech);
    kclus_set(conf, "reconnect.backoff.ms", "200");
    kclus_set(conf, "reconnect.backoff.max.ms", "200");
    kfk_conf_set_error_cb(conf, on_error, NULL);
    char err[512];
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    kfk_metadata *md = NULL;
    int64_t t0 = kclus_now_ms();
    ck_assert_int_eq(kfk_admin_describe_cluster(a, &(kfk_admin_options){.timeout_ms = 20000}, &md),
                     want);
    ck_assert_int_lt(kclus_now_ms() - t0, 10000);
    ck_assert_int_eq(atomic_load(&errors), 1);
    ck_assert_msg(strstr(first_reason, because), "reason: %s", first_reason);
    /* Within reconnect.backoff.ms of the refusal calls meet it again, as
     * Java's do; after it, a new connection gets in. */
    kfk_err e;
    int64_t deadline = kclus_now_ms() + 10000;
    while ((e = kfk_admin_describe_cluster(a, &(kfk_admin_options){.timeout_ms = 20000}, &md)) ==
               want &&
           kclus_now_ms() < deadline)
        kclus_nap(50);
    ck_assert_int_eq(e, KFK_OK);
    ck_assert_uint_eq(kfk_metadata_broker_count(md), 1);
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
    ck_assert_int_eq(atomic_load(&errors), 1);
}

START_TEST(test_one_failed_handshake)
{
    kfk_mock_fail_handshakes(ksec_mock(KSEC_SSL), 1);
    refused_once_then_admitted(KSEC_SSL, NULL, KFK_ERR_TLS, "TLS handshake failed: ");
}
END_TEST

START_TEST(test_one_failed_authentication)
{
    kfk_mock_fail_authentications(ksec_mock(KSEC_SASL_SSL), 1);
    refused_once_then_admitted(KSEC_SASL_SSL, "SCRAM-SHA-512", KFK_ERR_AUTH,
                               "SASL SCRAM-SHA-512 authentication failed: Authentication failed");
    ck_assert_int_ge(kfk_mock_authentications(ksec_mock(KSEC_SASL_SSL)), 1);
}
END_TEST

static Suite *security_faults_suite(void)
{
    Suite *s = suite_create("security_faults");
    TCase *tc = tcase_create("refused once");
    tcase_add_checked_fixture(tc, ksec_setup, ksec_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_one_failed_handshake);
    tcase_add_test(tc, test_one_failed_authentication);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!kclus_is_mock()) {
        printf("SKIP: security_faults: fault injection is the mock cluster's\n");
        return KTEST_SKIP;
    }
    return ktest_run(security_faults_suite());
}
