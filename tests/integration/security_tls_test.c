/* TLS against the cluster under test (tests/common/ksec.h): records
 * produced and read back over SSL and over mTLS with every way of giving
 * the client its certificate, and each way a handshake can fail, with the
 * error code and reason the application sees and the time it took. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/kclus.h"
#include "../common/ksec.h"
#include "../common/ktest.h"
#include "kfk.h"

#define N_BIG 100000
#define N_SMALL 2000

static void roundtrip(kfk_conf *(*make)(void), const char *what, int n)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), what);
    ksec_create_topic(KSEC_MTLS, topic, 3);
    ksec_roundtrip(make(), make(), topic, 3, n);
}

/* --- records over TLS ---------------------------------------------------------- */

static kfk_conf *ssl_conf(void)
{
    return ksec_conf(KSEC_SSL, NULL);
}

START_TEST(test_ssl_carries_every_record)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "tls");
    ksec_create_topic(KSEC_SSL, topic, 3);
    ksec_roundtrip(ssl_conf(), ssl_conf(), topic, 3, N_BIG);
}
END_TEST

static kfk_conf *mtls_pem_files(void)
{
    return ksec_conf(KSEC_MTLS, NULL); /* ssl.certificate.location, ssl.key.location */
}

/* Java's PEM key store: the key and the chain in one file. */
static char keystore_pem[256];

static kfk_conf *mtls_pem_keystore(void)
{
    if (!keystore_pem[0]) {
        snprintf(keystore_pem, sizeof(keystore_pem), "/tmp/kfk-ksec-keystore-%d.pem",
                 (int)getpid());
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "cat '%s' '%s' > '%s'", ksec_file("client.key"),
                 ksec_file("client.pem"), keystore_pem);
        ck_assert_int_eq(system(cmd), 0);
    }
    kfk_conf *c = kclus_conf(ksec_bootstrap(KSEC_MTLS));
    kclus_set(c, "security.protocol", "SSL");
    kclus_set(c, "ssl.truststore.location", ksec_file("ca.pem"));
    kclus_set(c, "ssl.keystore.location", keystore_pem);
    return c;
}

static kfk_conf *mtls_p12(void)
{
    kfk_conf *c = kclus_conf(ksec_bootstrap(KSEC_MTLS));
    kclus_set(c, "security.protocol", "SSL");
    kclus_set(c, "ssl.truststore.location", ksec_file("truststore.p12"));
    kclus_set(c, "ssl.truststore.password", ksec_store_password());
    kclus_set(c, "ssl.keystore.location", ksec_file("client.p12"));
    kclus_set(c, "ssl.keystore.password", ksec_store_password());
    return c;
}

static kfk_conf *mtls_encrypted_key(void)
{
    kfk_conf *c = kclus_conf(ksec_bootstrap(KSEC_MTLS));
    kclus_set(c, "security.protocol", "SSL");
    kclus_set(c, "ssl.ca.location", ksec_file("ca.pem"));
    kclus_set(c, "ssl.certificate.location", ksec_file("client.pem"));
    kclus_set(c, "ssl.key.location", ksec_file("client-encrypted.key"));
    kclus_set(c, "ssl.key.password", ksec_key_password());
    return c;
}

static kfk_conf *mtls_in_memory(void)
{
    char *ca = ktest_read_file(ksec_file("ca.pem"), NULL);
    char *crt = ktest_read_file(ksec_file("client.pem"), NULL);
    char *key = ktest_read_file(ksec_file("client.key"), NULL);
    ck_assert(ca && crt && key);
    kfk_conf *c = kclus_conf(ksec_bootstrap(KSEC_MTLS));
    kclus_set(c, "security.protocol", "SSL");
    kclus_set(c, "ssl.truststore.certificates", ca);
    kclus_set(c, "ssl.keystore.certificate.chain", crt);
    kclus_set(c, "ssl.keystore.key", key);
    free(ca);
    free(crt);
    free(key);
    return c;
}

START_TEST(test_mtls_with_pem_files_carries_every_record)
{
    roundtrip(mtls_pem_files, "mtls-pem", N_BIG);
}
END_TEST

START_TEST(test_mtls_with_a_pem_key_store)
{
    roundtrip(mtls_pem_keystore, "mtls-keystore", N_SMALL);
    unlink(keystore_pem);
}
END_TEST

START_TEST(test_mtls_with_pkcs12_stores)
{
    roundtrip(mtls_p12, "mtls-p12", N_SMALL);
}
END_TEST

START_TEST(test_mtls_with_an_encrypted_key)
{
    roundtrip(mtls_encrypted_key, "mtls-enc", N_SMALL);
}
END_TEST

START_TEST(test_mtls_with_pem_text_in_the_configuration)
{
    roundtrip(mtls_in_memory, "mtls-mem", N_SMALL);
}
END_TEST

/* --- failures -------------------------------------------------------------------- */

static void expect_connects(kfk_conf *conf)
{
    char err[512];
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    kfk_metadata *md = NULL;
    ck_assert_int_eq(kfk_admin_describe_cluster(a, &(kfk_admin_options){.timeout_ms = 20000}, &md),
                     KFK_OK);
    ck_assert_uint_ge(kfk_metadata_broker_count(md), 1);
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
}

/* The broker's certificate names localhost and 127.0.0.1; "127.1" reaches
 * the same address under a name it does not hold. */
static kfk_conf *by_other_name(void)
{
    kfk_conf *c = ksec_conf(KSEC_SSL, NULL);
    char other[128];
    const char *colon = strrchr(ksec_bootstrap(KSEC_SSL), ':');
    snprintf(other, sizeof(other), "127.1%s", colon);
    kclus_set(c, "bootstrap.servers", other);
    return c;
}

START_TEST(test_a_host_name_mismatch_fails_and_can_be_turned_off)
{
    ksec_expect_refused(by_other_name, KFK_ERR_TLS, "hostname mismatch", NULL);
    kfk_conf *c = by_other_name();
    kclus_set(c, "ssl.endpoint.identification.algorithm", "");
    expect_connects(c);
}
END_TEST

/* Without a trust store kfk trusts the system's CAs, which never signed
 * the test broker's certificate. */
static kfk_conf *system_trust(void)
{
    kfk_conf *c = kclus_conf(ksec_bootstrap(KSEC_SSL));
    kclus_set(c, "security.protocol", "SSL");
    return c;
}

START_TEST(test_an_unknown_ca_fails)
{
    ksec_expect_refused(system_trust, KFK_ERR_TLS, "certificate verify failed", NULL);
}
END_TEST

static kfk_conf *mtls_without_certificate(void)
{
    kfk_conf *c = kclus_conf(ksec_bootstrap(KSEC_MTLS));
    kclus_set(c, "security.protocol", "SSL");
    kclus_set(c, "ssl.truststore.location", ksec_file("ca.pem"));
    return c;
}

START_TEST(test_mtls_without_a_client_certificate_fails)
{
    /* TLS 1.3 hears of it in the broker's first answer, 1.2 during the
     * handshake: both are TLS failures. */
    ksec_expect_refused(mtls_without_certificate, KFK_ERR_TLS, "TLS", NULL);
}
END_TEST

static char crl_path[256];

static kfk_conf *with_crl(void)
{
    kfk_conf *c = ksec_conf(KSEC_SSL, NULL);
    kclus_set(c, "ssl.crl.location", crl_path);
    return c;
}

START_TEST(test_a_revoked_broker_certificate_fails)
{
    snprintf(crl_path, sizeof(crl_path), "/tmp/kfk-ksec-crl-%d.pem", (int)getpid());
    ksec_write_crl(crl_path, false);
    expect_connects(with_crl()); /* a CRL that revokes nothing */
    ksec_write_crl(crl_path, true);
    ksec_expect_refused(with_crl, KFK_ERR_TLS, "certificate revoked", NULL);
    unlink(crl_path);
}
END_TEST

static bool verify_refuse(void *opaque, const char *broker, int depth, bool ok,
                          const unsigned char *der, size_t len, char *errstr, size_t errlen)
{
    (void)opaque, (void)broker, (void)ok, (void)der, (void)len;
    if (depth > 0) return ok;
    snprintf(errstr, errlen, "the test refuses depth %d", depth);
    return false;
}

static bool verify_accept(void *opaque, const char *broker, int depth, bool ok,
                          const unsigned char *der, size_t len, char *errstr, size_t errlen)
{
    (void)broker, (void)depth, (void)ok, (void)errstr, (void)errlen;
    atomic_int *calls = opaque;
    atomic_fetch_add(calls, 1);
    return der && len > 0;
}

static kfk_conf *refusing_callback(void)
{
    kfk_conf *c = ksec_conf(KSEC_SSL, NULL);
    kfk_conf_set_ssl_cert_verify_cb(c, verify_refuse, NULL);
    return c;
}

START_TEST(test_the_verify_callback_decides)
{
    ksec_expect_refused(refusing_callback, KFK_ERR_TLS, "the test refuses depth 0", NULL);

    /* Accepting what OpenSSL refused: a CA it was not given. */
    atomic_int calls = 0;
    kfk_conf *c = system_trust();
    kfk_conf_set_ssl_cert_verify_cb(c, verify_accept, &calls);
    expect_connects(c);
    ck_assert_int_ge(atomic_load(&calls), 1);
}
END_TEST

static Suite *security_tls_suite(void)
{
    Suite *s = suite_create("security_tls");
    TCase *tc = tcase_create("records");
    tcase_add_checked_fixture(tc, ksec_setup, ksec_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_ssl_carries_every_record);
    tcase_add_test(tc, test_mtls_with_pem_files_carries_every_record);
    tcase_add_test(tc, test_mtls_with_a_pem_key_store);
    tcase_add_test(tc, test_mtls_with_pkcs12_stores);
    tcase_add_test(tc, test_mtls_with_an_encrypted_key);
    tcase_add_test(tc, test_mtls_with_pem_text_in_the_configuration);
    suite_add_tcase(s, tc);
    tc = tcase_create("failures");
    tcase_add_checked_fixture(tc, ksec_setup, ksec_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_host_name_mismatch_fails_and_can_be_turned_off);
    tcase_add_test(tc, test_an_unknown_ca_fails);
    tcase_add_test(tc, test_mtls_without_a_client_certificate_fails);
    tcase_add_test(tc, test_the_verify_callback_decides);
    tcase_add_test(tc, test_a_revoked_broker_certificate_fails);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *why = NULL;
    if (!ksec_available(&why)) {
        printf("SKIP: security_tls: %s\n", why);
        return KTEST_SKIP;
    }
    return ktest_run(security_tls_suite());
}
