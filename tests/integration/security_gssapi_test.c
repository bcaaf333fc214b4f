/* SASL GSSAPI (Kerberos) against real Kafka started with tools/kafka
 * --kerberos: records produced and read back over SASL_PLAINTEXT and
 * SASL_SSL, logging in from a key tab (sasl.kerberos.* or Java's JAAS
 * line) or from a ticket cache filled beforehand; KIP-368 renewals; and
 * the ways it fails,
 * with the error the application sees and how long that took. The mock
 * cluster has no Kerberos: there the suite reports SKIP. */
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

static ksec_krb5 krb;
static char ccache[256];

/* GSSAPI on listener l, logging in from the client's key tab. */
static kfk_conf *keytab_conf(ksec_listener l)
{
    kfk_conf *conf = ksec_conf(l, NULL);
    kclus_set(conf, "sasl.mechanism", "GSSAPI");
    kclus_set(conf, "sasl.kerberos.service.name", krb.service);
    kclus_set(conf, "sasl.kerberos.keytab", krb.keytab);
    kclus_set(conf, "sasl.kerberos.principal", krb.principal);
    return conf;
}

/* The same, as a Java client.properties says it. */
static kfk_conf *jaas_conf(ksec_listener l)
{
    kfk_conf *conf = ksec_conf(l, NULL);
    char jaas[1024];
    snprintf(jaas, sizeof(jaas),
             "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true "
             "storeKey=true keyTab=\"%s\" principal=\"%s\" serviceName=\"%s\";",
             krb.keytab, krb.principal, krb.service);
    kclus_set(conf, "sasl.mechanism", "GSSAPI");
    kclus_set(conf, "sasl.jaas.config", jaas);
    return conf;
}

static void roundtrip(kfk_conf *(*conf_of)(ksec_listener), ksec_listener l, const char *what,
                      int n)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), what);
    ksec_create_topic(l, topic, 3);
    ksec_roundtrip(conf_of(l), conf_of(l), topic, 3, n);
}

START_TEST(test_keytab_login_over_sasl_plaintext)
{
    roundtrip(keytab_conf, KSEC_SASL_PLAINTEXT, "gssapi-pt", N_BIG);
}
END_TEST

START_TEST(test_jaas_keytab_login_over_sasl_ssl)
{
    roundtrip(jaas_conf, KSEC_SASL_SSL, "gssapi-ssl", N_BIG);
}
END_TEST

/* No key tab: kfk uses the ticket the cache already holds. */
static kfk_conf *cache_conf(ksec_listener l)
{
    kfk_conf *conf = ksec_conf(l, NULL);
    kclus_set(conf, "sasl.mechanism", "GSSAPI");
    return conf;
}

START_TEST(test_ticket_cache_login)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "kinit -k -t '%s' '%s'", krb.keytab, krb.principal);
    ck_assert_int_eq(system(cmd), 0);
    roundtrip(cache_conf, KSEC_SASL_SSL, "gssapi-cache", N_SMALL);
}
END_TEST

static atomic_int reauths, lost;

static void count_log(void *opaque, void *handle, kfk_log_level level, const char *facility,
                      const char *msg)
{
    (void)handle;
    (void)opaque, (void)level, (void)facility;
    if (strstr(msg, "re-authenticating")) atomic_fetch_add(&reauths, 1);
    if (strstr(msg, "connection lost")) atomic_fetch_add(&lost, 1);
}

static atomic_int delivered_ok, delivered_failed;

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    (void)opaque;
    atomic_fetch_add(r->err ? &delivered_failed : &delivered_ok, 1);
}

/* KIP-368 with GSSAPI: each renewal runs its steps on the worker while
 * the connection stays READY; nothing fails and no connection drops. */
START_TEST(test_sessions_are_renewed_over_gssapi)
{
    int64_t life = ksec_reauth_ms();
    ck_assert_msg(life > 0 && life <= 10000, "session lifetime %lld", (long long)life);
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "gssapi-reauth");
    ksec_create_topic(KSEC_SASL_PLAINTEXT, topic, 3);
    kfk_conf *conf = keytab_conf(KSEC_SASL_PLAINTEXT);
    kclus_set(conf, "log.level", "debug");
    kfk_conf_set_log_cb(conf, count_log, NULL);
    kfk_conf_set_dr_cb(conf, on_report, NULL);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    int n = 0;
    int64_t run_ms = 3 * life, end = kclus_now_ms() + run_ms;
    while (kclus_now_ms() < end) {
        kfk_record rec = {.topic = topic, .partition = KFK_PARTITION_ANY, .value = "v",
                          .value_len = 1};
        ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
        n++;
        kfk_producer_poll(p, 0);
        kclus_nap(1);
    }
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&delivered_failed), 0);
    ck_assert_int_eq(atomic_load(&delivered_ok), n);
    ck_assert_msg(atomic_load(&reauths) >= 2, "%d re-authentications", atomic_load(&reauths));
    ck_assert_int_eq(atomic_load(&lost), 0);
}
END_TEST

static kfk_conf *wrong_principal(void)
{
    kfk_conf *conf = keytab_conf(KSEC_SASL_SSL);
    kclus_set(conf, "sasl.kerberos.principal", "kfk-nobody@KFK.TEST");
    return conf;
}

START_TEST(test_a_principal_the_keytab_lacks_fails)
{
    ksec_expect_refused(wrong_principal, KFK_ERR_AUTH, "kinit for kfk-nobody@KFK.TEST failed",
                        NULL);
}
END_TEST

/* The broker's key tab holds no key for the client's principal. */
static kfk_conf *wrong_keytab(void)
{
    kfk_conf *conf = keytab_conf(KSEC_SASL_PLAINTEXT);
    char path[600];
    snprintf(path, sizeof(path), "%s", krb.keytab);
    char *slash = strrchr(path, '/');
    ck_assert_ptr_nonnull(slash);
    snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "kafka.keytab");
    kclus_set(conf, "sasl.kerberos.keytab", path);
    return conf;
}

START_TEST(test_a_keytab_without_the_principal_fails)
{
    ksec_expect_refused(wrong_keytab, KFK_ERR_AUTH, "kinit for", NULL);
}
END_TEST

static kfk_conf *unknown_service(void)
{
    kfk_conf *conf = keytab_conf(KSEC_SASL_SSL);
    kclus_set(conf, "sasl.kerberos.service.name", "kfk-no-such-service");
    return conf;
}

START_TEST(test_an_unknown_service_name_fails)
{
    ksec_expect_refused(unknown_service, KFK_ERR_AUTH, "SASL GSSAPI", NULL);
}
END_TEST

static Suite *security_gssapi_suite(void)
{
    Suite *s = suite_create("security_gssapi");
    TCase *tc = tcase_create("roundtrip");
    tcase_add_checked_fixture(tc, ksec_setup, ksec_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_keytab_login_over_sasl_plaintext);
    tcase_add_test(tc, test_jaas_keytab_login_over_sasl_ssl);
    tcase_add_test(tc, test_ticket_cache_login);
    tcase_add_test(tc, test_sessions_are_renewed_over_gssapi);
    suite_add_tcase(s, tc);
    tc = tcase_create("failures");
    tcase_add_checked_fixture(tc, ksec_setup, ksec_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_principal_the_keytab_lacks_fails);
    tcase_add_test(tc, test_a_keytab_without_the_principal_fails);
    tcase_add_test(tc, test_an_unknown_service_name_fails);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *why = NULL;
    if (!ksec_kerberos(&krb, &why)) {
        printf("SKIP: security_gssapi: %s\n", why);
        return KTEST_SKIP;
    }
    /* The realm's krb5.conf, and a ticket cache of this run's own, so the
     * tests neither read nor spoil the user's; set before any thread. */
    snprintf(ccache, sizeof(ccache), "/tmp/kfk-gssapi-%d.ccache", (int)getpid());
    char ccname[300];
    snprintf(ccname, sizeof(ccname), "FILE:%s", ccache);
    setenv("KRB5_CONFIG", krb.config, 1);
    setenv("KRB5CCNAME", ccname, 1);
    int rc = ktest_run(security_gssapi_suite());
    unlink(ccache);
    return rc;
}
