/* The principal a client certificate gives, proven by the broker's
 * authorizer (StandardAuthorizer, as tools/kafka --sasl sets it up): an
 * ACL on a topic for User:CN=kfk-client lets kfk-client's certificate
 * write and read it, and leaves kfk-other's with
 * TOPIC_AUTHORIZATION_FAILED. The ACL is made with a raw CreateAcls on the
 * PLAINTEXT listener, whose ANONYMOUS principal is a super user there.
 * The mock has no authorizer; it says which principal it saw. */
#include <stdint.h>
#include <stdio.h>

#include "../common/kclus.h"
#include "../common/ksec.h"
#include "kfk_mock.h"
#include "kwire_client.h"
#include "mt_conn.h"

enum { RESOURCE_TOPIC = 2, PATTERN_LITERAL = 3, OP_ALL = 2, PERMISSION_ALLOW = 3 };

static void allow_all_on_topic(const char *topic, const char *principal)
{
    mt_conn c = {0};
    c.fd = kwire_connect(ktest_bootstrap(), 10000);
    ck_assert_int_ge(c.fd, 0);
    kp_create_acls_request_acl_creation acl = {
        .resource_type = RESOURCE_TOPIC,
        .resource_name = kwire_cstr(topic),
        .resource_pattern_type = PATTERN_LITERAL,
        .principal = kwire_cstr(principal),
        .host = kwire_cstr("*"),
        .operation = OP_ALL,
        .permission_type = PERMISSION_ALLOW,
    };
    kp_create_acls_request req = {.creations = &acl, .n_creations = 1};
    kp_create_acls_response resp;
    mt_call(&c, KP_CREATE_ACLS_KEY, 3, &req, &resp);
    ck_assert_int_eq(resp.n_results, 1);
    ck_assert_msg(resp.results[0].error_code == 0, "CreateAcls: %d %.*s",
                  resp.results[0].error_code, (int)resp.results[0].error_message.len,
                  resp.results[0].error_message.ptr);
    mt_close(&c);
}

static kfk_conf *as(const char *who)
{
    char cert[64], key[64];
    snprintf(cert, sizeof(cert), "%s.pem", who);
    snprintf(key, sizeof(key), "%s.key", who);
    kfk_conf *c = kclus_conf(ksec_bootstrap(KSEC_MTLS));
    kclus_set(c, "security.protocol", "SSL");
    kclus_set(c, "ssl.truststore.location", ksec_file("ca.pem"));
    kclus_set(c, "ssl.certificate.location", ksec_file(cert));
    kclus_set(c, "ssl.key.location", ksec_file(key));
    return c;
}

START_TEST(test_the_certificate_is_the_principal)
{
    if (ksec_is_mock()) { /* no authorizer: ask the mock whom it saw */
        ksec_create_topic(KSEC_MTLS, "mock-principal", 1);
        ksec_roundtrip(as("client"), as("client"), "mock-principal", 1, 10);
        char who[128];
        ck_assert_int_eq(kfk_mock_last_principal(ksec_mock(KSEC_MTLS), who, sizeof(who)), KFK_OK);
        ck_assert_str_eq(who, "User:CN=kfk-client");
        return;
    }
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "acl");
    ksec_create_topic(KSEC_MTLS, topic, 1);
    allow_all_on_topic(topic, "User:CN=kfk-client");

    ksec_roundtrip(as("client"), as("client"), topic, 1, 1000);

    char err[512];
    kfk_conf *conf = as("other");
    kclus_set(conf, "max.block.ms", "10000");
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    kfk_record rec = {.topic = topic, .partition = KFK_PARTITION_ANY, .value = "x", .value_len = 1};
    int64_t t0 = kclus_now_ms();
    kfk_err e = kfk_produce(p, &rec, NULL);
    int64_t took = kclus_now_ms() - t0;
    kfk_producer_destroy(p);
    ck_assert_msg(took < 5000, "the refusal took %lld ms of max.block.ms", (long long)took);
    ck_assert_msg(e == KFK_ERR_TOPIC_AUTHORIZATION_FAILED, "kfk-other's produce: %s",
                  kfk_err_name(e));
}
END_TEST

static Suite *security_acl_suite(void)
{
    Suite *s = suite_create("security_acl");
    TCase *tc = tcase_create("mtls");
    tcase_add_checked_fixture(tc, ksec_setup, ksec_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_the_certificate_is_the_principal);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *why = NULL;
    if (!ksec_available(&why)) {
        printf("SKIP: security_acl: %s\n", why);
        return KTEST_SKIP;
    }
    return ktest_run(security_acl_suite());
}
