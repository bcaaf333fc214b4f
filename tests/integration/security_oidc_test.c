/* OAUTHBEARER with kfk's own OIDC login (sasl.oauthbearer.token.endpoint.url):
 * records produced and read back over SASL_SSL with tokens from a token
 * endpoint, tokens refreshed (and sessions re-authenticated) while records
 * flow, and the ways the login fails: a wrong secret, an endpoint that is
 * down, one whose certificate is not trusted, one that answers nonsense.
 * Against the mock the endpoint is tests/common/koidc's, in this process;
 * against real Kafka (tools/kafka start --oidc) it is
 * tools/kafka.d/oidc-server.py, and the listener checks the tokens'
 * RS256 signatures against its JWKS. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kcerts.h"
#include "../common/kclus.h"
#include "../common/koidc.h"
#include "../common/ksec.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kfk_mock.h"

#define N_BIG 100000
#define CLIENT_ID "kfk-client"
#define CLIENT_SECRET "kfk-client-secret"
#define WRONG_SECRET "not-the-secret-42"

static char bootstrap[256], token_url[256], client_id[128], client_secret[128], ca[640];
static koidc_server *server; /* the mock's endpoint */
static kcerts *pki;          /* the mock's endpoint certificates */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char *buf = calloc(1, 65536);
    ck_assert_uint_gt(fread(buf, 1, 65535, f), 0);
    fclose(f);
    return buf;
}

static koidc_server *start_endpoint(int lifetime_s, bool malformed, bool rogue)
{
    char *cert = slurp(ksec_file(rogue ? "rogue-server.pem" : "server.pem"));
    char *key = slurp(ksec_file(rogue ? "rogue-server.key" : "server.key"));
    koidc_server_config cfg = {cert, key, CLIENT_ID, CLIENT_SECRET, lifetime_s, malformed};
    koidc_server *s = koidc_server_start(&cfg);
    ck_assert_ptr_nonnull(s);
    free(cert);
    free(key);
    return s;
}

static void setup(void)
{
    ksec_setup();
    snprintf(ca, sizeof(ca), "%s", ksec_file("ca.pem"));
    if (ksec_is_mock()) {
        server = start_endpoint(3600, false, false);
        snprintf(bootstrap, sizeof(bootstrap), "%s", ksec_bootstrap(KSEC_SASL_SSL));
        snprintf(token_url, sizeof(token_url), "%s", koidc_server_url(server));
        snprintf(client_id, sizeof(client_id), CLIENT_ID);
        snprintf(client_secret, sizeof(client_secret), CLIENT_SECRET);
        return;
    }
    ck_assert(ksec_env_value("KFK_TEST_SASL_OIDC", bootstrap, sizeof(bootstrap)));
    ck_assert(ksec_env_value("KFK_TEST_OIDC_TOKEN_URL", token_url, sizeof(token_url)));
    ck_assert(ksec_env_value("KFK_TEST_OIDC_CLIENT_ID", client_id, sizeof(client_id)));
    ck_assert(ksec_env_value("KFK_TEST_OIDC_CLIENT_SECRET", client_secret, sizeof(client_secret)));
}

static void teardown(void)
{
    koidc_server_stop(server);
    server = NULL;
    kcerts_free(pki);
    pki = NULL;
    ksec_teardown();
}

/* A client of the OIDC listener logging in at url with secret; the
 * endpoint's CA given in sasl.jaas.config's ssl.* options, as Java takes
 * it, unless trust_endpoint is false (then the system's CAs). */
static kfk_conf *oidc_conf_at(const char *boot, const char *url, const char *secret,
                              bool trust_endpoint)
{
    kfk_conf *conf = kclus_conf(boot);
    kclus_set(conf, "security.protocol", "SASL_SSL");
    kclus_set(conf, "ssl.truststore.location", ca);
    kclus_set(conf, "sasl.mechanism", "OAUTHBEARER");
    kclus_set(conf, "sasl.oauthbearer.token.endpoint.url", url);
    kclus_set(conf, "sasl.oauthbearer.client.credentials.client.id", client_id);
    kclus_set(conf, "sasl.oauthbearer.client.credentials.client.secret", secret);
    kclus_set(conf, "sasl.oauthbearer.scope", "kafka");
    kclus_set(conf, "sasl.login.retry.backoff.ms", "50");
    kclus_set(conf, "sasl.login.retry.backoff.max.ms", "400");
    char jaas[1024];
    snprintf(jaas, sizeof(jaas),
             "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required%s%s%s;",
             trust_endpoint ? " ssl.truststore.location=\"" : "", trust_endpoint ? ca : "",
             trust_endpoint ? "\"" : "");
    kclus_set(conf, "sasl.jaas.config", jaas);
    return conf;
}

static kfk_conf *oidc_conf(void)
{
    return oidc_conf_at(bootstrap, token_url, client_secret, true);
}

START_TEST(test_records_over_sasl_ssl_with_oidc_tokens)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "oidc");
    ksec_create_topic(KSEC_SASL_SSL, topic, 3);
    ksec_roundtrip(oidc_conf(), oidc_conf(), topic, 3, N_BIG);
}
END_TEST

/* Produces n records to topic at an even pace over ms, then flushes:
 * every one must be delivered without error. */
static atomic_int delivered, failed;

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    (void)opaque;
    atomic_fetch_add(r->err ? &failed : &delivered, 1);
}

static void produce_paced(kfk_conf *conf, const char *topic, int n, int ms)
{
    kfk_conf_set_dr_cb(conf, on_report, NULL);
    char err[512] = "";
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    for (int i = 0; i < n; i++) {
        char v[16];
        int len = snprintf(v, sizeof(v), "%d", i);
        kfk_record rec = {
            .topic = topic, .partition = KFK_PARTITION_ANY, .value = v, .value_len = (size_t)len};
        ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
        if (i % (n / 50) == 0) {
            kfk_producer_poll(p, 0);
            kclus_nap(ms / 50);
        }
    }
    ck_assert_int_eq(kfk_producer_flush(p, 60000), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&failed), 0);
    ck_assert_int_eq(atomic_load(&delivered), n);
}

START_TEST(test_short_lived_tokens_are_refreshed_and_sessions_renewed)
{
    char life[16] = "";
    int lifetime_s = 4;
    if (!ksec_is_mock()) {
        ck_assert(ksec_env_value("KFK_TEST_OIDC_TOKEN_LIFETIME_S", life, sizeof(life)));
        lifetime_s = atoi(life);
        /* A refresh must happen within the test: never a silent pass. */
        ck_assert_msg(lifetime_s <= 20,
                      "tokens live %d s here; the refresh test needs tools/kafka start --oidc "
                      "--oidc-token-lifetime 10 or less",
                      lifetime_s);
    }
    koidc_server *srv = ksec_is_mock() ? start_endpoint(lifetime_s, false, false) : NULL;
    kfk_mock_cluster *cl = NULL;
    const char *boot = bootstrap;
    if (srv) { /* a cluster whose sessions end with the token, so they must be renewed */
        char *cert = slurp(ksec_file("server.pem")), *key = slurp(ksec_file("server.key"));
        kfk_mock_security sec = {
            .protocol = "SASL_SSL", .cert_pem = cert, .key_pem = key, .session_lifetime_ms = 60000};
        cl = kfk_mock_cluster_new_secure(1, &sec);
        ck_assert_ptr_nonnull(cl);
        free(cert);
        free(key);
        boot = kfk_mock_cluster_bootstrap(cl);
    }
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "oidc-refresh");
    if (cl)
        ck_assert_int_eq(kfk_mock_topic_create(cl, topic, 3, -1), KFK_OK);
    else
        ksec_create_topic(KSEC_SASL_SSL, topic, 3);
    kfk_conf *conf =
        oidc_conf_at(boot, srv ? koidc_server_url(srv) : token_url, client_secret, true);
    kclus_set(conf, "sasl.login.refresh.buffer.seconds", "0");
    kclus_set(conf, "sasl.login.refresh.min.period.seconds", "0");
    kclus_set(conf, "sasl.login.refresh.window.factor", "0.5");
    int run_ms = lifetime_s * 1000 * 3;
    produce_paced(conf, topic, 20000, run_ms);
    /* 0.5-0.55 of 4 s between fetches over 12 s: at least 4 tokens */
    if (srv) ck_assert_int_ge(koidc_server_tokens(srv), 4);
    ksec_read_back(oidc_conf_at(boot, srv ? koidc_server_url(srv) : token_url, client_secret, true),
                   topic, 3, 20000);
    koidc_server_stop(srv);
    kfk_mock_cluster_destroy(cl);
}
END_TEST

/* Java's file:// endpoint: the token is read from a file, and read again
 * at each refresh. Unsecured tokens are what the mock takes. */
START_TEST(test_a_token_from_a_file)
{
    if (!ksec_is_mock()) return; /* real brokers want the endpoint's signed tokens */
    char path[700], url[720], topic[128];
    snprintf(path, sizeof(path), "%s", ksec_file("token.jwt"));
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    /* {"alg":"none"} . {"sub":"kfk-client","exp":4102444800} . */
    fprintf(f, "  eyJhbGciOiJub25lIn0.eyJzdWIiOiJrZmstY2xpZW50IiwiZXhwIjo0MTAyNDQ0ODAwfQ.\n");
    fclose(f);
    snprintf(url, sizeof(url), "file://%s", path);
    kfk_conf *conf = kclus_conf(bootstrap);
    kclus_set(conf, "security.protocol", "SASL_SSL");
    kclus_set(conf, "ssl.truststore.location", ca);
    kclus_set(conf, "sasl.mechanism", "OAUTHBEARER");
    kclus_set(conf, "sasl.oauthbearer.token.endpoint.url", url);
    ktest_unique_topic(topic, sizeof(topic), "oidc-file");
    ksec_create_topic(KSEC_SASL_SSL, topic, 1);
    kfk_conf *cconf = kfk_conf_dup(conf);
    ksec_roundtrip(conf, cconf, topic, 1, 1000);
}
END_TEST

static char refresh_error[512];
static atomic_int refresh_errors;

static void on_error(void *opaque, void *handle, kfk_err err, const char *reason)
{
    (void)handle;
    (void)opaque, (void)err;
    if (strncmp(reason, "OAUTHBEARER", 11) != 0 || atomic_load(&refresh_errors)) return;
    snprintf(refresh_error, sizeof(refresh_error), "%s", reason);
    atomic_fetch_add(&refresh_errors, 1);
}

/* The endpoint goes away after the client started: the failed refresh
 * reaches the error callback, and the token the client has keeps
 * serving. */
START_TEST(test_a_failed_refresh_is_reported_and_the_token_serves_on)
{
    if (!ksec_is_mock()) return; /* the real endpoint is not ours to stop */
    koidc_server *srv = start_endpoint(8, false, false);
    char topic[128], err[512];
    ktest_unique_topic(topic, sizeof(topic), "oidc-down");
    ksec_create_topic(KSEC_SASL_SSL, topic, 1);
    kfk_conf *conf = oidc_conf_at(bootstrap, koidc_server_url(srv), client_secret, true);
    kclus_set(conf, "sasl.login.refresh.buffer.seconds", "0");
    kclus_set(conf, "sasl.login.refresh.min.period.seconds", "0");
    kclus_set(conf, "sasl.login.refresh.window.factor", "0.5");
    kfk_conf_set_error_cb(conf, on_error, NULL);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    koidc_server_stop(srv);
    int64_t deadline = kclus_now_ms() + 7000; /* the refresh is due after 4-4.4 s */
    while (!atomic_load(&refresh_errors) && kclus_now_ms() < deadline)
        kclus_nap(50);
    ck_assert_msg(atomic_load(&refresh_errors) == 1, "no refresh error reported");
    ck_assert_msg(strstr(refresh_error, "OAUTHBEARER login: token endpoint") &&
                      strstr(refresh_error, "cannot connect"),
                  "%s", refresh_error);
    kfk_record rec = {.topic = topic, .partition = KFK_PARTITION_ANY, .value = "0", .value_len = 1};
    ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    kfk_producer_destroy(p);
}
END_TEST

/* Creating a client must fail within limit_ms, with a reason holding
 * every one of want (and never secret). */
static void expect_creation_fails(kfk_conf *conf, int limit_ms, const char *secret,
                                  const char *want1, const char *want2)
{
    char err[512] = "";
    int64_t t0 = kclus_now_ms();
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    int64_t took = kclus_now_ms() - t0;
    if (p) kfk_producer_destroy(p);
    ck_assert_msg(p == NULL, "the client was created");
    ck_assert_msg(took < limit_ms, "took %lld ms: %s", (long long)took, err);
    ck_assert_msg(strstr(err, want1) != NULL, "want \"%s\" in: %s", want1, err);
    ck_assert_msg(!want2 || strstr(err, want2) != NULL, "want \"%s\" in: %s", want2, err);
    ck_assert_msg(!secret || strstr(err, secret) == NULL, "the secret leaked: %s", err);
}

START_TEST(test_a_wrong_secret_fails_with_the_endpoints_reason)
{
    expect_creation_fails(oidc_conf_at(bootstrap, token_url, WRONG_SECRET, true), 5000,
                          WRONG_SECRET, "HTTP 401", "invalid_client");
}
END_TEST

START_TEST(test_an_endpoint_that_is_down_fails_within_the_backoff)
{
    expect_creation_fails(oidc_conf_at(bootstrap, "https://127.0.0.1:1/token", client_secret, true),
                          5000, client_secret, "cannot connect", "127.0.0.1:1");
}
END_TEST

START_TEST(test_an_untrusted_endpoint_certificate_fails)
{
    expect_creation_fails(oidc_conf_at(bootstrap, token_url, client_secret, false), 5000,
                          client_secret, "TLS handshake failed", "certificate verify failed");
    if (!ksec_is_mock()) return;
    koidc_server *rogue = start_endpoint(3600, false, true);
    expect_creation_fails(oidc_conf_at(bootstrap, koidc_server_url(rogue), client_secret, true),
                          5000, client_secret, "certificate verify failed", NULL);
    koidc_server_stop(rogue);
}
END_TEST

START_TEST(test_a_malformed_answer_fails)
{
    if (!ksec_is_mock()) return; /* the real endpoint answers well */
    koidc_server *bad = start_endpoint(3600, true, false);
    expect_creation_fails(oidc_conf_at(bootstrap, koidc_server_url(bad), client_secret, true), 5000,
                          client_secret, "not a JSON object", NULL);
    koidc_server_stop(bad);
}
END_TEST

static Suite *security_oidc_suite(void)
{
    Suite *s = suite_create("security_oidc");
    TCase *tc = tcase_create("records");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_records_over_sasl_ssl_with_oidc_tokens);
    tcase_add_test(tc, test_short_lived_tokens_are_refreshed_and_sessions_renewed);
    tcase_add_test(tc, test_a_token_from_a_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("failures");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_wrong_secret_fails_with_the_endpoints_reason);
    tcase_add_test(tc, test_an_endpoint_that_is_down_fails_within_the_backoff);
    tcase_add_test(tc, test_an_untrusted_endpoint_certificate_fails);
    tcase_add_test(tc, test_a_malformed_answer_fails);
    tcase_add_test(tc, test_a_failed_refresh_is_reported_and_the_token_serves_on);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *why = NULL;
    if (!ksec_available(&why)) {
        printf("SKIP: security_oidc: %s\n", why);
        return KTEST_SKIP;
    }
    char v[256];
    if (!kclus_is_mock() && !ksec_env_value("KFK_TEST_OIDC_TOKEN_URL", v, sizeof(v))) {
        printf("SKIP: security_oidc: no token endpoint: start Kafka with tools/kafka --oidc\n");
        return KTEST_SKIP;
    }
    return ktest_run(security_oidc_suite());
}
