/* SASL against the cluster under test (tests/common/ksec.h): records
 * produced and read back with every mechanism over SASL_PLAINTEXT and
 * SASL_SSL, consumer groups of both protocols over SASL_SSL, and the ways
 * authentication fails, with the error the application sees, how long it
 * took, and that no secret reached the reason. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/kclus.h"
#include "../common/ksec.h"
#include "../common/ktest.h"
#include "kfk.h"

#define N_BIG 100000
#define N_SMALL 2000

static void roundtrip(ksec_listener l, const char *mech, const char *what, int n)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), what);
    ksec_create_topic(l, topic, 3);
    ksec_roundtrip(ksec_conf(l, mech), ksec_conf(l, mech), topic, 3, n);
}

START_TEST(test_plain_over_sasl_ssl)
{
    roundtrip(KSEC_SASL_SSL, "PLAIN", "plain-ssl", N_BIG);
}
END_TEST

START_TEST(test_plain_over_sasl_plaintext)
{
    roundtrip(KSEC_SASL_PLAINTEXT, "PLAIN", "plain-pt", N_BIG);
}
END_TEST

START_TEST(test_scram_sha_256_over_sasl_ssl)
{
    roundtrip(KSEC_SASL_SSL, "SCRAM-SHA-256", "scram256-ssl", N_BIG);
}
END_TEST

START_TEST(test_scram_sha_512_over_sasl_ssl)
{
    roundtrip(KSEC_SASL_SSL, "SCRAM-SHA-512", "scram512-ssl", N_BIG);
}
END_TEST

START_TEST(test_scram_over_sasl_plaintext)
{
    roundtrip(KSEC_SASL_PLAINTEXT, "SCRAM-SHA-256", "scram256-pt", N_BIG);
    roundtrip(KSEC_SASL_PLAINTEXT, "SCRAM-SHA-512", "scram512-pt", N_BIG);
}
END_TEST

START_TEST(test_oauthbearer_with_unsecured_tokens)
{
    roundtrip(KSEC_SASL_SSL, "OAUTHBEARER", "oauth-ssl", N_BIG);
    roundtrip(KSEC_SASL_PLAINTEXT, "OAUTHBEARER", "oauth-pt", N_SMALL);
}
END_TEST

static atomic_int token_fetches;

/* The application's token: an unsecured JWT for KSEC_USER, valid an hour,
 * as an identity provider's would be (the broker's unsecured validator
 * checks its claims, not a signature). */
static kfk_err app_token(void *opaque, char *token, size_t size, int64_t *expiry_ms, char *errstr,
                         size_t errlen)
{
    (void)opaque, (void)errstr, (void)errlen;
    static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    time_t now = time(NULL);
    char claims[128];
    int n = snprintf(claims, sizeof(claims), "{\"sub\":\"%s\",\"iat\":%lld,\"exp\":%lld}",
                     KSEC_USER, (long long)now, (long long)now + 3600);
    /* "eyJhbGciOiJub25lIn0" is {"alg":"none"} */
    size_t at = (size_t)snprintf(token, size, "eyJhbGciOiJub25lIn0.");
    for (int i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)claims[i] << 16;
        if (i + 1 < n) v |= (uint32_t)(unsigned char)claims[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)claims[i + 2];
        for (int k = 0; k < 4 && k <= (n - i) * 4 / 3; k++)
            token[at++] = b64url[(v >> (18 - 6 * k)) & 63];
    }
    token[at++] = '.';
    token[at] = '\0';
    *expiry_ms = ((int64_t)now + 3600) * 1000;
    atomic_fetch_add(&token_fetches, 1);
    return KFK_OK;
}

START_TEST(test_oauthbearer_with_the_applications_token)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "oauth-app");
    ksec_create_topic(KSEC_SASL_SSL, topic, 3);
    kfk_conf *confs[2];
    for (int i = 0; i < 2; i++) {
        confs[i] = ksec_conf(KSEC_SASL_SSL, NULL);
        kclus_set(confs[i], "sasl.mechanism", "OAUTHBEARER");
        kfk_conf_set_oauthbearer_token_cb(confs[i], app_token, NULL);
    }
    ksec_roundtrip(confs[0], confs[1], topic, 3, N_SMALL);
    ck_assert_int_eq(atomic_load(&token_fetches), 2); /* one per client, at creation */
}
END_TEST

/* A group member of `protocol` over SASL_SSL with SCRAM reads every
 * record of a topic. */
static void group_reads_all(const char *protocol)
{
    char topic[128], group[160];
    ktest_unique_topic(topic, sizeof(topic), protocol);
    snprintf(group, sizeof(group), "%s-group", topic);
    ksec_create_topic(KSEC_SASL_SSL, topic, 3);
    /* Produced and read back by assignment first: every record is there. */
    ksec_roundtrip(ksec_conf(KSEC_SASL_SSL, "SCRAM-SHA-512"), ksec_conf(KSEC_SASL_SSL, "PLAIN"),
                   topic, 3, N_SMALL);
    kfk_conf *conf = ksec_conf(KSEC_SASL_SSL, "SCRAM-SHA-512");
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "group.protocol", protocol);
    kclus_set(conf, "auto.offset.reset", "earliest");
    char err[512];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    const char *topics[] = {topic};
    ck_assert_int_eq(kfk_consumer_subscribe(c, topics, 1), KFK_OK);
    char *seen = calloc(N_SMALL, 1);
    int got = 0;
    int64_t deadline = kclus_now_ms() + 90000;
    while (got < N_SMALL && kclus_now_ms() < deadline) {
        kfk_message *m = kfk_consumer_poll(c, 500);
        if (!m) continue;
        ck_assert_msg(kfk_message_error(m) == KFK_OK, "%s", kfk_err_name(kfk_message_error(m)));
        int id = kclus_record_id(m);
        ck_assert_msg(id >= 0 && id < N_SMALL && !seen[id], "record %d twice or unknown", id);
        seen[id] = 1;
        got++;
        kfk_message_release(m);
    }
    ck_assert_int_eq(got, N_SMALL);
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 0), KFK_OK);
    kfk_consumer_destroy(c);
    free(seen);
}

START_TEST(test_a_classic_group_over_sasl_ssl)
{
    group_reads_all("classic");
}
END_TEST

START_TEST(test_a_kip848_group_over_sasl_ssl)
{
    group_reads_all("consumer");
}
END_TEST

/* --- re-authentication (KIP-368) ------------------------------------------------ */

static atomic_int reauths, lost;

static void count_log(void *opaque, void *handle, kfk_log_level level, const char *facility,
                      const char *msg)
{
    (void)handle;
    (void)opaque, (void)level, (void)facility;
    if (strstr(msg, "re-authenticating")) atomic_fetch_add(&reauths, 1);
    if (strstr(msg, "connection lost")) atomic_fetch_add(&lost, 1);
}

typedef struct reauth_tally {
    atomic_int ok, failed;
} reauth_tally;

static void on_reauth_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    reauth_tally *t = opaque;
    atomic_fetch_add(r->err ? &t->failed : &t->ok, 1);
}

/* Produces steadily for 20 s over a listener whose sessions last
 * ksec_reauth_ms: the connection authenticates again and again, nothing
 * is lost, no request fails, no connection drops. */
START_TEST(test_sessions_are_renewed_without_losing_a_record)
{
    int64_t life = ksec_reauth_ms();
    ck_assert_msg(life > 0 && life <= 10000,
                  "the SASL_PLAINTEXT listener's session lifetime is %lld", (long long)life);
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "reauth");
    ksec_create_topic(KSEC_SASL_PLAINTEXT, topic, 3);
    reauth_tally t = {0};
    kfk_conf *conf = ksec_conf(KSEC_SASL_PLAINTEXT, "SCRAM-SHA-256");
    kclus_set(conf, "log.level", "debug");
    kfk_conf_set_log_cb(conf, count_log, NULL);
    kfk_conf_set_dr_cb(conf, on_reauth_report, &t);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    int n = 0;
    int64_t end = kclus_now_ms() + 20000;
    while (kclus_now_ms() < end) {
        char v[16];
        int len = snprintf(v, sizeof(v), "%d", n);
        kfk_record rec = {
            .topic = topic, .partition = KFK_PARTITION_ANY, .value = v, .value_len = (size_t)len};
        ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
        n++;
        kfk_producer_poll(p, 0);
        kclus_nap(1); /* a steady trickle, not a burst */
    }
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&t.failed), 0);
    ck_assert_int_eq(atomic_load(&t.ok), n);
    /* At least one renewal per session on the producer's connection. */
    ck_assert_msg(atomic_load(&reauths) >= (int)(20000 / life) - 1, "%d re-authentications",
                  atomic_load(&reauths));
    ck_assert_int_eq(atomic_load(&lost), 0);
}
END_TEST

/* --- failures -------------------------------------------------------------------- */

static const char *wrong_password_mech;

static kfk_conf *wrong_password(void)
{
    kfk_conf *c = ksec_conf(KSEC_SASL_SSL, wrong_password_mech);
    kclus_set(c, "sasl.password", "not-the-password-42");
    return c;
}

START_TEST(test_a_wrong_password_fails_with_the_brokers_reason)
{
    static const char *const mechs[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
    wrong_password_mech = mechs[_i];
    ksec_expect_refused(wrong_password, KFK_ERR_AUTH, "Authentication failed",
                        "not-the-password-42");
}
END_TEST

static kfk_err no_start(void *o, const char *h, void **st, char *e, size_t el)
{
    (void)o, (void)h, (void)st, (void)e, (void)el;
    return KFK_OK;
}
static kfk_err no_step(void *o, void *st, const unsigned char *in, size_t il,
                       const unsigned char **out, size_t *ol, bool *done, char *e, size_t el)
{
    (void)o, (void)st, (void)in, (void)il, (void)out, (void)ol, (void)done;
    snprintf(e, el, "never reached");
    return KFK_ERR_AUTH;
}
static void no_end(void *o, void *st)
{
    (void)o, (void)st;
}

static kfk_conf *unknown_mechanism(void)
{
    static const kfk_sasl_mechanism mech = {"KFK-TEST-NONE", no_start, no_step, no_end, NULL};
    kfk_conf *c = ksec_conf(KSEC_SASL_SSL, NULL);
    ck_assert_int_eq(kfk_conf_set_sasl_mechanism(c, &mech), KFK_OK);
    kclus_set(c, "sasl.mechanism", "KFK-TEST-NONE");
    return c;
}

START_TEST(test_a_mechanism_the_broker_lacks_fails)
{
    ksec_expect_refused(
        unknown_mechanism, KFK_ERR_AUTH,
        "the broker does not enable SASL mechanism KFK-TEST-NONE (it offers: ", NULL);
}
END_TEST

static Suite *security_sasl_suite(void)
{
    Suite *s = suite_create("security_sasl");
    TCase *tc = tcase_create("records");
    tcase_add_checked_fixture(tc, ksec_setup, ksec_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_plain_over_sasl_ssl);
    tcase_add_test(tc, test_plain_over_sasl_plaintext);
    tcase_add_test(tc, test_scram_sha_256_over_sasl_ssl);
    tcase_add_test(tc, test_scram_sha_512_over_sasl_ssl);
    tcase_add_test(tc, test_scram_over_sasl_plaintext);
    tcase_add_test(tc, test_oauthbearer_with_unsecured_tokens);
    tcase_add_test(tc, test_oauthbearer_with_the_applications_token);
    tcase_add_test(tc, test_a_classic_group_over_sasl_ssl);
    tcase_add_test(tc, test_a_kip848_group_over_sasl_ssl);
    suite_add_tcase(s, tc);
    tc = tcase_create("reauth");
    tcase_add_checked_fixture(tc, ksec_setup, ksec_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sessions_are_renewed_without_losing_a_record);
    suite_add_tcase(s, tc);
    tc = tcase_create("failures");
    tcase_add_checked_fixture(tc, ksec_setup, ksec_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_a_wrong_password_fails_with_the_brokers_reason, 0, 3);
    tcase_add_test(tc, test_a_mechanism_the_broker_lacks_fails);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *why = NULL;
    if (!ksec_available(&why)) {
        printf("SKIP: security_sasl: %s\n", why);
        return KTEST_SKIP;
    }
    return ktest_run(security_sasl_suite());
}
