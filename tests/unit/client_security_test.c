/* A client refuses TLS and SASL settings it cannot use when it is
 * created, naming the property at fault, instead of failing later on
 * every connection. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "client/client.h"
#include "ktest.h"

static kclient *client_with(const char *const *kv, char *errstr, size_t errlen)
{
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", errstr, errlen),
                     KFK_OK);
    for (; kv[0]; kv += 2)
        ck_assert_msg(kfk_conf_set(conf, kv[0], kv[1], errstr, errlen) == KFK_OK, "%s: %s", kv[0],
                      errstr);
    return kclient_new(conf, KCONF_ADMIN, NULL, errstr, errlen);
}

static void expect_refused(const char *const *kv, const char *want)
{
    char errstr[512] = "";
    kclient *c = client_with(kv, errstr, sizeof(errstr));
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(errstr, want), "errstr \"%s\" lacks \"%s\"", errstr, want);
}

static void expect_accepted(const char *const *kv)
{
    char errstr[512] = "";
    kclient *c = client_with(kv, errstr, sizeof(errstr));
    ck_assert_msg(c != NULL, "%s", errstr);
    kclient_destroy(c);
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

START_TEST(test_every_security_protocol_is_accepted)
{
    expect_accepted(KV("security.protocol", "PLAINTEXT"));
    expect_accepted(KV("security.protocol", "SSL"));
    expect_accepted(KV("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                       "sasl.username", "u", "sasl.password", "p"));
    expect_accepted(KV("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN", "sasl.username",
                       "u", "sasl.password", "p"));
}
END_TEST

START_TEST(test_unreadable_tls_files_name_their_property)
{
    expect_refused(KV("security.protocol", "SSL", "ssl.truststore.location", "/nonexistent/ca.pem"),
                   "ssl.truststore.location: cannot read /nonexistent/ca.pem");
    expect_refused(KV("security.protocol", "SSL", "ssl.keystore.location", "/nonexistent/ks.pem",
                      "ssl.keystore.type", "PEM"),
                   "ssl.keystore.location: cannot read /nonexistent/ks.pem");
    expect_refused(KV("security.protocol", "SSL", "ssl.certificate.location", "/nonexistent/c.pem",
                      "ssl.key.location", "/nonexistent/k.pem"),
                   "ssl.certificate.location: cannot read /nonexistent/c.pem");
    expect_refused(KV("security.protocol", "SSL", "ssl.truststore.certificates", "not PEM"),
                   "ssl.truststore.certificates holds no PEM certificate");
    expect_refused(KV("security.protocol", "SSL", "ssl.crl.location", "/nonexistent/crl.pem"),
                   "ssl.crl.location: no CRL in /nonexistent/crl.pem");
}
END_TEST

START_TEST(test_versions_and_ciphers_are_checked)
{
    expect_refused(KV("security.protocol", "SSL", "ssl.cipher.suites", "TLS_NO_SUCH_SUITE"),
                   "ssl.cipher.suites: OpenSSL has no cipher suite TLS_NO_SUCH_SUITE");
    expect_refused(KV("security.protocol", "SSL", "ssl.enabled.protocols", "TLSv1.3",
                      "ssl.protocol", "TLSv1.2"),
                   "leave no TLS version to negotiate");
    expect_refused(KV("security.protocol", "SSL", "ssl.enabled.protocols", "TLSv1.3",
                      "ssl.cipher.suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
                   "ssl.cipher.suites names no suite of the versions in ssl.enabled.protocols");
    /* IANA names (Java's) and OpenSSL names both work. */
    expect_accepted(KV("security.protocol", "SSL", "ssl.cipher.suites",
                       "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,ECDHE-ECDSA-AES256-GCM-SHA384,"
                       "TLS_AES_128_GCM_SHA256"));
}
END_TEST

START_TEST(test_unknown_sasl_mechanisms_are_refused)
{
    expect_refused(KV("security.protocol", "SASL_SSL", "sasl.mechanism", "NOPE"),
                   "sasl.mechanism=NOPE is not a mechanism kfk knows");
}
END_TEST

#define GSSAPI "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "GSSAPI"
#define KRB5_JAAS "com.sun.security.auth.module.Krb5LoginModule required "

START_TEST(test_gssapi_settings_that_would_be_ignored_are_refused)
{
    expect_refused(KV("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN", "sasl.username",
                      "u", "sasl.password", "p", "sasl.kerberos.keytab", "/etc/krb5.keytab"),
                   "sasl.kerberos.keytab is set, but sasl.mechanism is not kfk's GSSAPI");
    expect_refused(KV("security.protocol", "SSL", "sasl.kerberos.service.name", "kafka"),
                   "sasl.kerberos.service.name is set");
    expect_refused(KV(GSSAPI, "sasl.kerberos.principal", "me@R"),
                   "sasl.kerberos.principal is used only with a key tab");
    expect_refused(KV(GSSAPI, "sasl.kerberos.kinit.cmd", "/bin/kinit"),
                   "sasl.kerberos.kinit.cmd is used only with a key tab");
    expect_refused(KV(GSSAPI, "sasl.kerberos.min.time.before.relogin", "1000"),
                   "sasl.kerberos.min.time.before.relogin is used only with a key tab");
    expect_refused(KV(GSSAPI, "sasl.username", "u", "sasl.password", "p"),
                   "sasl.username and sasl.password are not used by GSSAPI");
}
END_TEST

START_TEST(test_gssapi_key_tab_settings_are_checked)
{
    expect_refused(KV(GSSAPI, "sasl.kerberos.keytab", "/etc/krb5.keytab"),
                   "sasl.kerberos.keytab needs sasl.kerberos.principal");
    expect_refused(KV(GSSAPI, "sasl.kerberos.keytab", "/nonexistent/k.keytab",
                      "sasl.kerberos.principal", "me@R"),
                   "sasl.kerberos.keytab (or sasl.jaas.config's keyTab) /nonexistent/k.keytab: No "
                   "such file");
    expect_refused(KV(GSSAPI, "sasl.jaas.config", KRB5_JAAS "useKeyTab=true principal=\"me@R\";"),
                   "sasl.jaas.config has useKeyTab=true but no keyTab");
    expect_refused(KV(GSSAPI, "sasl.jaas.config", KRB5_JAAS "keyTab=\"/k\" principal=\"me@R\";"),
                   "sasl.jaas.config names a keyTab but lacks useKeyTab=true");
    expect_refused(KV(GSSAPI, "sasl.kerberos.service.name", "kafka", "sasl.jaas.config",
                      KRB5_JAAS "serviceName=\"other\";"),
                   "sasl.jaas.config's serviceName and sasl.kerberos.service.name disagree");
    expect_refused(KV(GSSAPI, "sasl.kerberos.keytab", "/a", "sasl.kerberos.principal", "me@R",
                      "sasl.jaas.config",
                      KRB5_JAAS "useKeyTab=true keyTab=\"/b\" principal=\"me@R\";"),
                   "sasl.jaas.config's keyTab and sasl.kerberos.keytab disagree");
}
END_TEST

/* No key tab: the ticket cache is used as it is, at connection time. */
START_TEST(test_gssapi_with_a_ticket_cache_is_accepted)
{
    expect_accepted(KV(GSSAPI));
    expect_accepted(KV(GSSAPI, "sasl.kerberos.service.name", "kafka"));
    expect_accepted(KV(GSSAPI, "sasl.jaas.config",
                       KRB5_JAAS "useTicketCache=true serviceName=\"kafka\";"));
}
END_TEST

START_TEST(test_oauthbearer_needs_a_token_source)
{
    expect_refused(KV("security.protocol", "SASL_SSL", "sasl.mechanism", "OAUTHBEARER"),
                   "sasl.mechanism=OAUTHBEARER needs kfk_conf_set_oauthbearer_token_cb, or "
                   "sasl.jaas.config with OAuthBearerLoginModule's unsecuredLoginStringClaim_sub");
    expect_accepted(KV("security.protocol", "SASL_SSL", "sasl.mechanism", "OAUTHBEARER",
                       "sasl.jaas.config",
                       "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                       "required unsecuredLoginStringClaim_sub=\"alice\";"));
}
END_TEST

static int token_calls;

static kfk_err failing_token(void *opaque, char *token, size_t size, int64_t *expiry_ms,
                             char *errstr, size_t errlen)
{
    (void)opaque, (void)token, (void)size, (void)expiry_ms;
    token_calls++;
    snprintf(errstr, errlen, "the identity provider is down");
    return KFK_ERR_AUTH;
}

static kfk_err good_token(void *opaque, char *token, size_t size, int64_t *expiry_ms, char *errstr,
                          size_t errlen)
{
    (void)opaque, (void)errstr, (void)errlen;
    token_calls++;
    snprintf(token, size, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.");
    *expiry_ms = INT64_MAX / 2;
    return KFK_OK;
}

/* The first token is fetched when the client is created; a callback that
 * fails makes the creation fail with its reason. */
START_TEST(test_the_token_callback_runs_at_creation)
{
    char errstr[512] = "";
    for (int good = 0; good < 2; good++) {
        kfk_conf *conf = kfk_conf_new();
        kfk_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", NULL, 0);
        kfk_conf_set(conf, "security.protocol", "SASL_PLAINTEXT", NULL, 0);
        kfk_conf_set(conf, "sasl.mechanism", "OAUTHBEARER", NULL, 0);
        kfk_conf_set_oauthbearer_token_cb(conf, good ? good_token : failing_token, NULL);
        token_calls = 0;
        kclient *c = kclient_new(conf, KCONF_ADMIN, NULL, errstr, sizeof(errstr));
        ck_assert_int_eq(token_calls, 1);
        if (good) {
            ck_assert_msg(c != NULL, "%s", errstr);
            kclient_destroy(c);
        } else {
            ck_assert_ptr_null(c);
            ck_assert_str_eq(errstr, "OAUTHBEARER token callback: the identity provider is down");
        }
    }
}
END_TEST

static Suite *client_security_suite(void)
{
    Suite *s = suite_create("client_security");
    TCase *tc = tcase_create("settings");
    tcase_add_test(tc, test_every_security_protocol_is_accepted);
    tcase_add_test(tc, test_unreadable_tls_files_name_their_property);
    tcase_add_test(tc, test_versions_and_ciphers_are_checked);
    tcase_add_test(tc, test_unknown_sasl_mechanisms_are_refused);
    tcase_add_test(tc, test_oauthbearer_needs_a_token_source);
    tcase_add_test(tc, test_gssapi_settings_that_would_be_ignored_are_refused);
    tcase_add_test(tc, test_gssapi_key_tab_settings_are_checked);
    tcase_add_test(tc, test_gssapi_with_a_ticket_cache_is_accepted);
    tcase_add_test(tc, test_the_token_callback_runs_at_creation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(client_security_suite());
}
