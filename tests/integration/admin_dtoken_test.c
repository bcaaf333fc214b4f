/* Delegation tokens through the admin client, against real Kafka started
 * with tools/kafka start --sasl (the mock serves no delegation token API:
 * SKIP there). The admin logs in as the super user admin over
 * SASL_PLAINTEXT, as brokers let only SASL sessions handle tokens. A
 * token created for alice is described (all tokens, and by owner), logs
 * in through SCRAM with tokenauth (sasl.scram.tokenauth and
 * sasl.jaas.config's tokenauth) and produces, is renewed to a new expiry
 * and, once expired, is gone from the listing and logs in no more. The
 * broker's errors come back per call: a wrong HMAC, a renewer of another
 * principal type, a session that is not SASL. */
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

/* A configuration for the SASL_PLAINTEXT listener with mechanism. */
static kfk_conf *sasl_conf(const char *mechanism)
{
    char bootstrap[128];
    ck_assert(ksec_env_value("KFK_TEST_SASL_PLAINTEXT", bootstrap, sizeof(bootstrap)));
    kfk_conf *c = kclus_conf(bootstrap);
    kclus_set(c, "security.protocol", "SASL_PLAINTEXT");
    kclus_set(c, "sasl.mechanism", mechanism);
    return c;
}

static kfk_admin *admin_new(kfk_conf *conf)
{
    char err[512];
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    ck_assert_msg(a != NULL, "kfk_admin_new: %s", err);
    return a;
}

/* The super user admin, over SASL_PLAINTEXT with SCRAM-SHA-256. */
static kfk_admin *super_admin(void)
{
    char user[64], password[64];
    ck_assert(ksec_env_value("KFK_TEST_SASL_ADMIN_USER", user, sizeof(user)));
    ck_assert(ksec_env_value("KFK_TEST_SASL_ADMIN_PASSWORD", password, sizeof(password)));
    kfk_conf *c = sasl_conf("SCRAM-SHA-256");
    kclus_set(c, "sasl.username", user);
    kclus_set(c, "sasl.password", password);
    return admin_new(c);
}

/* Describes the cluster with a client made from conf: the outcome of
 * logging in. */
static kfk_err describe_cluster_with(kfk_conf *conf)
{
    kfk_admin *a = admin_new(conf);
    kfk_metadata *md = NULL;
    kfk_err err = kfk_admin_describe_cluster(a, &(kfk_admin_options){.timeout_ms = 10000}, &md);
    if (!err) ck_assert_uint_ge(kfk_metadata_broker_count(md), 1);
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
    return err;
}

/* How a token logs in. */
typedef enum login_way { WITH_PROPERTY, WITH_JAAS, WITHOUT_TOKENAUTH } login_way;

static kfk_conf *token_conf(const char *mechanism, const char *id, const char *hmac_b64,
                            login_way way)
{
    kfk_conf *c = sasl_conf(mechanism);
    if (way == WITH_JAAS) {
        char jaas[512];
        snprintf(jaas, sizeof(jaas),
                 "org.apache.kafka.common.security.scram.ScramLoginModule required "
                 "username=\"%s\" password=\"%s\" tokenauth=\"true\";",
                 id, hmac_b64);
        kclus_set(c, "sasl.jaas.config", jaas);
    } else {
        kclus_set(c, "sasl.username", id);
        kclus_set(c, "sasl.password", hmac_b64);
        if (way == WITH_PROPERTY) kclus_set(c, "sasl.scram.tokenauth", "true");
    }
    return c;
}

/* Logs in with the token until the outcome is want: a broker learns of a
 * token a moment after the controller made it. */
static void await_token_login(const char *mechanism, const char *id, const char *hmac_b64,
                              login_way way, kfk_err want)
{
    int64_t end = kclus_now_ms() + 60000;
    kfk_err e;
    while ((e = describe_cluster_with(token_conf(mechanism, id, hmac_b64, way))) != want &&
           kclus_now_ms() < end)
        kclus_nap(200);
    ck_assert_msg(e == want, "login with token %s (%s): %s, wanted %s", id, mechanism,
                  kfk_err_name(e), kfk_err_name(want));
}

typedef struct delivered {
    int ok, failed;
    kfk_err last;
} delivered;

static void on_delivery(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    delivered *d = opaque;
    if (r->err) {
        d->failed++;
        d->last = r->err;
    } else {
        d->ok++;
    }
}

/* A producer logged in with the token writes a record (the topic is
 * created on first use). */
static void produce_with_token(const char *id, const char *hmac_b64)
{
    char topic[200];
    ktest_unique_topic(topic, sizeof(topic), "dtoken");
    kfk_conf *c = token_conf("SCRAM-SHA-512", id, hmac_b64, WITH_PROPERTY);
    delivered d = {0};
    kfk_conf_set_dr_cb(c, on_delivery, &d);
    char err[256];
    kfk_producer *p = kfk_producer_new(c, err, sizeof(err));
    ck_assert_msg(p != NULL, "kfk_producer_new: %s", err);
    kfk_record rec = {.topic = topic, .partition = KFK_PARTITION_ANY, .value = "v", .value_len = 1};
    ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_msg(d.ok == 1, "delivered %d, failed %d (%s)", d.ok, d.failed, kfk_err_name(d.last));
    kclus_delete_topic(ktest_bootstrap(), topic);
}

/* The index of token id in r; -1 when absent. */
static long find_token(const kfk_admin_result *r, const char *id)
{
    for (size_t i = 0; i < kfk_admin_result_count(r); i++)
        if (strcmp(kfk_admin_result_name(r, i), id) == 0) return (long)i;
    return -1;
}

/* Describes the tokens of owners (NULL: all) until token id is listed
 * (present) or not, and, when present and expiry_ms >= 0, has that expiry
 * time. Returns the last result (the caller frees it) and *at the index. */
static kfk_admin_result *await_listed(kfk_admin *a, const char *const *owners, size_t n,
                                      const char *id, bool present, int64_t expiry_ms, long *at)
{
    int64_t end = kclus_now_ms() + 30000;
    for (;;) {
        kfk_admin_result *r;
        kfk_err err = kfk_admin_describe_delegation_tokens(a, owners, n, &opts, &r);
        ck_assert_msg(err == KFK_OK, "describe: %s (%s)", kfk_err_name(err),
                      kfk_admin_last_error(a));
        long i = find_token(r, id);
        bool done = (i >= 0) == present;
        if (done && i >= 0 && expiry_ms >= 0)
            done = kfk_admin_result_token_expiry_timestamp_ms(r, (size_t)i) == expiry_ms;
        if (done) {
            if (at) *at = i;
            return r;
        }
        ck_assert_msg(kclus_now_ms() < end, "token %s is %slisted", id, present ? "not " : "");
        kfk_admin_result_destroy(r);
        kclus_nap(100);
    }
}

/* The token kfk_admin_create_delegation_token made, copied out. */
typedef struct token {
    char id[64], b64[128];
    uint8_t hmac[128];
    size_t hmac_len;
    int64_t expiry_ms;
} token;

static void create_token(kfk_admin *a, const kfk_delegation_token_spec *spec, token *t)
{
    kfk_admin_result *r;
    kfk_err err = kfk_admin_create_delegation_token(a, spec, &opts, &r);
    ck_assert_msg(err == KFK_OK, "create: %s (%s)", kfk_err_name(err), kfk_admin_last_error(a));
    ck_assert_uint_eq(kfk_admin_result_count(r), 1);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_OK);
    const char *id = kfk_admin_result_name(r, 0);
    ck_assert_ptr_nonnull(id);
    ck_assert_uint_gt(strlen(id), 0);
    snprintf(t->id, sizeof(t->id), "%s", id);
    const uint8_t *h = kfk_admin_result_token_hmac(r, 0, &t->hmac_len);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(t->hmac_len, 64); /* HMAC-SHA512 */
    memcpy(t->hmac, h, t->hmac_len);
    const char *b64 = kfk_admin_result_token_hmac_base64(r, 0);
    ck_assert_ptr_nonnull(b64);
    ck_assert_uint_eq(strlen(b64), 88); /* 64 bytes in base64, padded */
    snprintf(t->b64, sizeof(t->b64), "%s", b64);
    t->expiry_ms = kfk_admin_result_token_expiry_timestamp_ms(r, 0);
    int64_t issue = kfk_admin_result_token_issue_timestamp_ms(r, 0);
    int64_t max = kfk_admin_result_token_max_timestamp_ms(r, 0);
    ck_assert_int_gt(issue, 0);
    ck_assert_int_ge(t->expiry_ms, issue);
    ck_assert_int_ge(max, t->expiry_ms);
    kfk_admin_result_destroy(r);
}

START_TEST(test_token_lifecycle)
{
    kfk_admin *a = super_admin();
    const char *renewers[] = {"User:admin", "User:bob"};
    kfk_delegation_token_spec spec = {
        .owner = "User:alice", .renewers = renewers, .n_renewers = 2, .max_lifetime_ms = 7200000};
    token t;
    create_token(a, &spec, &t);

    /* Every token, then alice's: ours is there as created. */
    long i;
    kfk_admin_result *r = await_listed(a, NULL, 0, t.id, true, -1, &i);
    kfk_admin_result_destroy(r);
    const char *alice[] = {"User:alice"};
    r = await_listed(a, alice, 1, t.id, true, -1, &i);
    ck_assert_int_eq(kfk_admin_result_error(r, (size_t)i), KFK_OK);
    ck_assert_str_eq(kfk_admin_result_token_owner(r, (size_t)i), "User:alice");
    ck_assert_str_eq(kfk_admin_result_token_requester(r, (size_t)i), "User:admin");
    ck_assert_uint_eq(kfk_admin_result_token_renewer_count(r, (size_t)i), 2);
    ck_assert_str_eq(kfk_admin_result_token_renewer(r, (size_t)i, 0), "User:admin");
    ck_assert_str_eq(kfk_admin_result_token_renewer(r, (size_t)i, 1), "User:bob");
    ck_assert_ptr_null(kfk_admin_result_token_renewer(r, (size_t)i, 2));
    ck_assert_str_eq(kfk_admin_result_token_hmac_base64(r, (size_t)i), t.b64);
    ck_assert_int_eq(kfk_admin_result_token_expiry_timestamp_ms(r, (size_t)i), t.expiry_ms);
    /* max_lifetime_ms caps the token's life (the broker's default is 7 days). */
    ck_assert_int_le(kfk_admin_result_token_max_timestamp_ms(r, (size_t)i) -
                         kfk_admin_result_token_issue_timestamp_ms(r, (size_t)i),
                     7200000);
    kfk_admin_result_destroy(r);

    /* An owner that has no token: ours is not among its tokens. */
    char nobody[200], principal[220];
    ktest_unique_topic(nobody, sizeof(nobody), "nobody");
    snprintf(principal, sizeof(principal), "User:%s", nobody);
    const char *others[] = {principal};
    ck_assert_int_eq(kfk_admin_describe_delegation_tokens(a, others, 1, &opts, &r), KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_count(r), 0);
    kfk_admin_result_destroy(r);

    /* The token logs in as alice through SCRAM with tokenauth, both ways
     * of saying so and both hashes; without tokenauth it is an unknown
     * user. */
    await_token_login("SCRAM-SHA-256", t.id, t.b64, WITH_PROPERTY, KFK_OK);
    await_token_login("SCRAM-SHA-512", t.id, t.b64, WITH_JAAS, KFK_OK);
    ck_assert_int_eq(
        describe_cluster_with(token_conf("SCRAM-SHA-256", t.id, t.b64, WITHOUT_TOKENAUTH)),
        KFK_ERR_AUTH);
    produce_with_token(t.id, t.b64);

    /* A token's session may not handle tokens. */
    kfk_admin *as_token = admin_new(token_conf("SCRAM-SHA-256", t.id, t.b64, WITH_PROPERTY));
    ck_assert_int_eq(kfk_admin_create_delegation_token(as_token, NULL, &opts, &r),
                     KFK_ERR_DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
    ck_assert_uint_eq(kfk_admin_result_count(r), 1);
    ck_assert_ptr_null(kfk_admin_result_name(r, 0));
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(as_token), "the broker refused"));
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(as_token);

    /* admin renews as a renewer: the expiry moves to now + 1 hour, before
     * the 2 hours (max_lifetime_ms) the token was created with. */
    ck_assert_int_eq(kfk_admin_renew_delegation_token(a, t.hmac, t.hmac_len, 3600000, &opts, &r),
                     KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_count(r), 1);
    int64_t renewed = kfk_admin_result_token_expiry_timestamp_ms(r, 0);
    ck_assert_int_gt(renewed, 0);
    ck_assert_int_lt(renewed, t.expiry_ms);
    ck_assert_ptr_null(kfk_admin_result_token_hmac(r, 0, NULL));
    kfk_admin_result_destroy(r);
    r = await_listed(a, alice, 1, t.id, true, renewed, &i);
    kfk_admin_result_destroy(r);

    /* Expired at once: gone from the listing, and no more logins. */
    ck_assert_int_eq(kfk_admin_expire_delegation_token(a, t.hmac, t.hmac_len, -1, &opts, &r),
                     KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_OK);
    kfk_admin_result_destroy(r);
    r = await_listed(a, NULL, 0, t.id, false, -1, NULL);
    kfk_admin_result_destroy(r);
    await_token_login("SCRAM-SHA-256", t.id, t.b64, WITH_PROPERTY, KFK_ERR_AUTH);
    kfk_admin_destroy(a);
}
END_TEST

/* The broker's refusals come back as the call's entry, with the result. */
START_TEST(test_broker_errors)
{
    kfk_admin *a = super_admin();
    kfk_admin_result *r;

    /* No token has this HMAC. */
    uint8_t wrong[64];
    memset(wrong, 0x5a, sizeof(wrong));
    ck_assert_int_eq(kfk_admin_renew_delegation_token(a, wrong, sizeof(wrong), -1, &opts, &r),
                     KFK_ERR_DELEGATION_TOKEN_NOT_FOUND);
    ck_assert_uint_eq(kfk_admin_result_count(r), 1);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_ERR_DELEGATION_TOKEN_NOT_FOUND);
    ck_assert_int_eq(kfk_admin_result_token_expiry_timestamp_ms(r, 0), -1);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "kfk_admin_renew_delegation_token"));
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(kfk_admin_expire_delegation_token(a, wrong, sizeof(wrong), 0, &opts, &r),
                     KFK_ERR_DELEGATION_TOKEN_NOT_FOUND);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_ERR_DELEGATION_TOKEN_NOT_FOUND);
    kfk_admin_result_destroy(r);

    /* Renewers must be users. */
    const char *renewers[] = {"Group:ops"};
    kfk_delegation_token_spec spec = {.renewers = renewers, .n_renewers = 1};
    ck_assert_int_eq(kfk_admin_create_delegation_token(a, &spec, &opts, &r),
                     KFK_ERR_INVALID_PRINCIPAL_TYPE);
    ck_assert_uint_eq(kfk_admin_result_count(r), 1);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_ERR_INVALID_PRINCIPAL_TYPE);
    ck_assert_ptr_null(kfk_admin_result_token_owner(r, 0));
    kfk_admin_result_destroy(r);

    /* A token of the caller's own, without options: owned by admin, who
     * may expire it once the brokers know it (listed); expiring it in an
     * hour moves its expiry time. */
    token t;
    create_token(a, NULL, &t);
    const char *me[] = {"User:admin"};
    long i;
    r = await_listed(a, me, 1, t.id, true, -1, NULL);
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(kfk_admin_expire_delegation_token(a, t.hmac, t.hmac_len, 3600000, &opts, &r),
                     KFK_OK);
    int64_t expiry = kfk_admin_result_token_expiry_timestamp_ms(r, 0);
    ck_assert_int_gt(expiry, 0);
    kfk_admin_result_destroy(r);
    r = await_listed(a, me, 1, t.id, true, expiry, &i);
    ck_assert_str_eq(kfk_admin_result_token_owner(r, (size_t)i), "User:admin");
    ck_assert_uint_eq(kfk_admin_result_token_renewer_count(r, (size_t)i), 0);
    kfk_admin_result_destroy(r);
    /* Filtered by a principal that neither owns, requested nor renews it,
     * admin's token is not listed. */
    const char *alice[] = {"User:alice"};
    ck_assert_int_eq(kfk_admin_describe_delegation_tokens(a, alice, 1, &opts, &r), KFK_OK);
    ck_assert_int_eq(find_token(r, t.id), -1);
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(kfk_admin_expire_delegation_token(a, t.hmac, t.hmac_len, -1, &opts, &r),
                     KFK_OK);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);

    /* The PLAINTEXT listener's sessions are not SASL: refused. */
    a = admin_new(kclus_conf(ktest_bootstrap()));
    ck_assert_int_eq(kfk_admin_create_delegation_token(a, NULL, &opts, &r),
                     KFK_ERR_DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_ERR_DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(kfk_admin_describe_delegation_tokens(a, NULL, 0, &opts, &r),
                     KFK_ERR_DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
    ck_assert_ptr_null(r);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_bad_arguments)
{
    kfk_admin *a = admin_new(kclus_conf(ktest_bootstrap()));
    kfk_admin_result *r = (kfk_admin_result *)&r;
    uint8_t h[4] = {1, 2, 3, 4};
    ck_assert_int_eq(kfk_admin_create_delegation_token(NULL, NULL, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(kfk_admin_create_delegation_token(a, NULL, NULL, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "result is NULL"));

    kfk_delegation_token_spec spec = {.owner = "alice"};
    ck_assert_int_eq(kfk_admin_create_delegation_token(a, &spec, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "spec->owner is not a principal"));
    ck_assert_ptr_null(r);
    spec = (kfk_delegation_token_spec){.n_renewers = 1};
    ck_assert_int_eq(kfk_admin_create_delegation_token(a, &spec, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "spec->renewers is NULL"));
    const char *bad[] = {"User:"};
    spec = (kfk_delegation_token_spec){.renewers = bad, .n_renewers = 1};
    ck_assert_int_eq(kfk_admin_create_delegation_token(a, &spec, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "spec->renewers"));
    spec = (kfk_delegation_token_spec){.reserved = {&spec}};
    ck_assert_int_eq(kfk_admin_create_delegation_token(a, &spec, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "reserved"));
    kfk_admin_options flagged = {.flags = KFK_ADMIN_VALIDATE_ONLY};
    ck_assert_int_eq(kfk_admin_create_delegation_token(a, NULL, &flagged, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "KFK_ADMIN_VALIDATE_ONLY"));

    ck_assert_int_eq(kfk_admin_renew_delegation_token(a, NULL, 4, -1, NULL, &r),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "hmac is NULL or empty"));
    ck_assert_int_eq(kfk_admin_expire_delegation_token(a, h, 0, -1, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "kfk_admin_expire_delegation_token"));
    ck_assert_int_eq(kfk_admin_renew_delegation_token(a, h, 4, -1, NULL, NULL),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_expire_delegation_token(NULL, h, 4, -1, NULL, &r),
                     KFK_ERR_INVALID_ARG);

    const char *owners[] = {"User:alice", NULL};
    ck_assert_int_eq(kfk_admin_describe_delegation_tokens(a, owners, 2, NULL, &r),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "an entry of owners"));
    ck_assert_ptr_null(r);
    ck_assert_int_eq(kfk_admin_describe_delegation_tokens(a, NULL, 0, NULL, NULL),
                     KFK_ERR_INVALID_ARG);

    /* Accessors answer "none" for what is not a token result. */
    size_t len = 7;
    ck_assert_ptr_null(kfk_admin_result_token_owner(NULL, 0));
    ck_assert_ptr_null(kfk_admin_result_token_requester(NULL, 0));
    ck_assert_uint_eq(kfk_admin_result_token_renewer_count(NULL, 0), 0);
    ck_assert_ptr_null(kfk_admin_result_token_renewer(NULL, 0, 0));
    ck_assert_int_eq(kfk_admin_result_token_issue_timestamp_ms(NULL, 0), -1);
    ck_assert_int_eq(kfk_admin_result_token_expiry_timestamp_ms(NULL, 0), -1);
    ck_assert_int_eq(kfk_admin_result_token_max_timestamp_ms(NULL, 0), -1);
    ck_assert_ptr_null(kfk_admin_result_token_hmac(NULL, 0, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_null(kfk_admin_result_token_hmac_base64(NULL, 0));
    kfk_admin_destroy(a);
}
END_TEST

static Suite *admin_dtoken_suite(void)
{
    Suite *s = suite_create("admin_dtoken");
    TCase *tc = tcase_create("dtoken");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_token_lifecycle);
    tcase_add_test(tc, test_broker_errors);
    tcase_add_test(tc, test_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

/* Whether the broker serves delegation tokens: the super user may list
 * them. Runs before Check forks, and stops what it started. */
static bool tokens_enabled(const char **why)
{
    char user[64], password[64], bootstrap[128], err[256];
    if (!ksec_env_value("KFK_TEST_SASL_ADMIN_USER", user, sizeof(user)) ||
        !ksec_env_value("KFK_TEST_SASL_ADMIN_PASSWORD", password, sizeof(password)) ||
        !ksec_env_value("KFK_TEST_SASL_PLAINTEXT", bootstrap, sizeof(bootstrap))) {
        *why = "client.env names no SASL_PLAINTEXT listener and admin user";
        return false;
    }
    kfk_conf *c = kfk_conf_new();
    if (kfk_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof(err)) ||
        kfk_conf_set(c, "security.protocol", "SASL_PLAINTEXT", err, sizeof(err)) ||
        kfk_conf_set(c, "sasl.mechanism", "SCRAM-SHA-256", err, sizeof(err)) ||
        kfk_conf_set(c, "sasl.username", user, err, sizeof(err)) ||
        kfk_conf_set(c, "sasl.password", password, err, sizeof(err))) {
        kfk_conf_destroy(c);
        *why = "the admin's configuration was refused";
        return false;
    }
    kfk_admin *a = kfk_admin_new(c, err, sizeof(err));
    kfk_admin_result *r = NULL;
    kfk_err e =
        a ? kfk_admin_describe_delegation_tokens(a, NULL, 0, &opts, &r) : KFK_ERR_INVALID_ARG;
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
    if (e == KFK_ERR_DELEGATION_TOKEN_AUTH_DISABLED)
        *why = "the broker has no delegation.token.secret.key (tools/kafka start --sasl sets it)";
    return e != KFK_ERR_DELEGATION_TOKEN_AUTH_DISABLED;
}

int main(void)
{
    const char *why = NULL;
    if (kclus_is_mock()) {
        printf("SKIP: admin_dtoken: the mock cluster serves no delegation token API\n");
        return KTEST_SKIP;
    }
    if (!ksec_available(&why) || !tokens_enabled(&why)) {
        printf("SKIP: admin_dtoken: %s\n", why);
        return KTEST_SKIP;
    }
    return ktest_run(admin_dtoken_suite());
}
