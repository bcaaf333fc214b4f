/* kconf_validate: the rules across properties that a client checks when it
 * is created. Where a rule comes from the Java client, the comment gives
 * what Java 4.3.1 did with the same settings (ProducerConfig,
 * ConsumerConfig, KafkaProducer). */
#include <stdio.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/conf.h"

static char err[512];

/* The log lines a conf's callback received, joined by newlines. */
static char logged[4096];

static void capture_log(void *opaque, void *handle, kfk_log_level level, const char *facility,
                        const char *message)
{
    (void)handle;
    (void)opaque, (void)level;
    size_t n = strlen(logged);
    snprintf(logged + n, sizeof(logged) - n, "%s: %s\n", facility, message);
}

/* A conf with a bootstrap server and the test's log capture. */
static kfk_conf *new_conf(void)
{
    kfk_conf *c = kfk_conf_new();
    ck_assert_int_eq(kfk_conf_set(c, "bootstrap.servers", "localhost:9092", NULL, 0), KFK_OK);
    kfk_conf_set_log_cb(c, capture_log, NULL);
    logged[0] = '\0';
    return c;
}

static void set(kfk_conf *c, const char *name, const char *value)
{
    ck_assert_msg(kfk_conf_set(c, name, value, err, sizeof(err)) == KFK_OK, "%s: %s", name, err);
}

static kfk_err validate(kfk_conf *c, kconf_client client)
{
    err[0] = '\0';
    return kconf_validate(c, client, err, sizeof(err));
}

/* Validates a fresh conf with the given name/value pairs for client and
 * expects msg ("" for success). */
static void expect(kconf_client client, const char *msg, const char *const *kv)
{
    kfk_conf *c = new_conf();
    for (; kv[0]; kv += 2)
        set(c, kv[0], kv[1]);
    kfk_err e = validate(c, client);
    ck_assert_msg(msg[0] ? e == KFK_ERR_CONFIG : e == KFK_OK, "%d: %s", e, err);
    ck_assert_str_eq(err, msg);
    kfk_conf_destroy(c);
}

#define EXPECT(client, msg, ...) expect(client, msg, (const char *const[]){__VA_ARGS__, NULL})

/* --- every client ------------------------------------------------------------- */

START_TEST(test_bootstrap_servers_is_required)
{
    kfk_conf *c = kfk_conf_new();
    ck_assert_int_eq(validate(c, KCONF_ADMIN), KFK_ERR_CONFIG);
    ck_assert_str_eq(err, "bootstrap.servers is required: set it to host:port of one or more "
                          "brokers");
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_each_client_gets_its_own_javas_defaults)
{
    /* Java: connections.max.idle.ms is 300000 for admin, 540000 otherwise.
     * receive.buffer.bytes is -1 (the OS autotunes) for every client, where
     * Java has 32768 for producers and 65536 otherwise. */
    static const struct {
        kconf_client client;
        int64_t rcvbuf, idle;
    } want[] = {
        {KCONF_PRODUCER, -1, 540000},
        {KCONF_CONSUMER, -1, 540000},
        {KCONF_ADMIN, -1, 300000},
    };
    for (size_t i = 0; i < 3; i++) {
        kfk_conf *c = new_conf();
        ck_assert_int_eq(validate(c, want[i].client), KFK_OK);
        ck_assert_int_eq(kconf_i64(c, KCONF_RECEIVE_BUFFER_BYTES), want[i].rcvbuf);
        ck_assert_int_eq(kconf_i64(c, KCONF_CONNECTIONS_MAX_IDLE_MS), want[i].idle);
        kfk_conf_destroy(c);
    }
    /* What the application set stays. */
    kfk_conf *c = new_conf();
    set(c, "receive.buffer.bytes", "65536");
    ck_assert_int_eq(validate(c, KCONF_PRODUCER), KFK_OK);
    ck_assert_int_eq(kconf_i64(c, KCONF_RECEIVE_BUFFER_BYTES), 65536);
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_backoff_ceilings_never_sit_below_their_base)
{
    kfk_conf *c = new_conf();
    set(c, "retry.backoff.ms", "5000");
    set(c, "reconnect.backoff.ms", "3000");
    set(c, "socket.connection.setup.timeout.ms", "60000");
    ck_assert_int_eq(validate(c, KCONF_ADMIN), KFK_OK);
    ck_assert_int_eq(kconf_i64(c, KCONF_RETRY_BACKOFF_MAX_MS), 5000);
    ck_assert_int_eq(kconf_i64(c, KCONF_RECONNECT_BACKOFF_MAX_MS), 3000);
    ck_assert_int_eq(kconf_i64(c, KCONF_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS), 60000);
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_properties_of_other_clients_are_ignored_with_a_warning)
{
    kfk_conf *c = new_conf();
    set(c, "linger.ms", "10");
    set(c, "retries", "3");
    ck_assert_int_eq(validate(c, KCONF_CONSUMER), KFK_OK);
    ck_assert_str_eq(logged, "conf: retries is a producer and admin property; a consumer "
                             "ignores it\n"
                             "conf: linger.ms is a producer property; a consumer ignores it\n");
    kfk_conf_destroy(c);
}
END_TEST

/* --- security ---------------------------------------------------------------------- */

START_TEST(test_sasl_password_mechanisms_need_credentials)
{
    EXPECT(KCONF_PRODUCER,
           "sasl.mechanism=PLAIN needs sasl.username and sasl.password (or sasl.jaas.config)",
           "security.protocol", "SASL_SSL", "sasl.mechanism", "plain", "sasl.username", "u");
    EXPECT(KCONF_CONSUMER,
           "sasl.mechanism=SCRAM-SHA-512 needs sasl.username and sasl.password (or "
           "sasl.jaas.config)",
           "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512");
    EXPECT(KCONF_ADMIN, "", "security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
           "sasl.username", "u", "sasl.password", "p");
    /* Without SASL the credentials are not needed. */
    EXPECT(KCONF_ADMIN, "", "security.protocol", "SSL", "sasl.mechanism", "PLAIN");
}
END_TEST

START_TEST(test_jaas_credentials_move_to_username_and_password)
{
    kfk_conf *c = new_conf();
    set(c, "security.protocol", "SASL_SSL");
    set(c, "sasl.mechanism", "SCRAM-SHA-256");
    set(c, "sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule "
        "required username=\"alice\" password=\"secret\";");
    ck_assert_int_eq(validate(c, KCONF_PRODUCER), KFK_OK);
    ck_assert_str_eq(kconf_str(c, KCONF_SASL_USERNAME), "alice");
    ck_assert_str_eq(kconf_str(c, KCONF_SASL_PASSWORD), "secret");
    kfk_conf_destroy(c);

    EXPECT(KCONF_PRODUCER,
           "set either sasl.jaas.config or sasl.username and sasl.password, not both",
           "sasl.jaas.config", "M required username=a password=b;", "sasl.username", "a");
}
END_TEST

#define SCRAM_JAAS "org.apache.kafka.common.security.scram.ScramLoginModule required "
#define TOKENAUTH_REFUSED                                                                          \
    "sasl.scram.tokenauth (or tokenauth in sasl.jaas.config) is for kfk's SCRAM-SHA-256 and "      \
    "SCRAM-SHA-512 over SASL_PLAINTEXT or SASL_SSL, not "

START_TEST(test_jaas_tokenauth_sets_scram_tokenauth)
{
    /* Java's ScramLoginModule takes tokenauth in any case. */
    kfk_conf *c = new_conf();
    set(c, "security.protocol", "SASL_SSL");
    set(c, "sasl.mechanism", "SCRAM-SHA-512");
    set(c, "sasl.jaas.config", SCRAM_JAAS "username=\"id\" password=\"hmac\" tokenauth=\"TRUE\";");
    ck_assert_int_eq(validate(c, KCONF_CONSUMER), KFK_OK);
    ck_assert(kconf_bool(c, KCONF_SASL_SCRAM_TOKENAUTH));
    ck_assert_str_eq(kconf_str(c, KCONF_SASL_USERNAME), "id");
    kfk_conf_destroy(c);

    c = new_conf();
    set(c, "security.protocol", "SASL_SSL");
    set(c, "sasl.mechanism", "SCRAM-SHA-256");
    set(c, "sasl.jaas.config", SCRAM_JAAS "username=a password=b tokenauth=false;");
    ck_assert_int_eq(validate(c, KCONF_CONSUMER), KFK_OK);
    ck_assert(!kconf_bool(c, KCONF_SASL_SCRAM_TOKENAUTH));
    kfk_conf_destroy(c);

    /* Said twice, it must agree. */
    EXPECT(KCONF_ADMIN, "", "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-256",
           "sasl.scram.tokenauth", "true", "sasl.jaas.config",
           SCRAM_JAAS "username=a password=b tokenauth=true;");
    EXPECT(KCONF_ADMIN,
           "sasl.jaas.config's tokenauth and sasl.scram.tokenauth disagree: set one of them",
           "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-256",
           "sasl.scram.tokenauth", "false", "sasl.jaas.config",
           SCRAM_JAAS "username=a password=b tokenauth=true;");
}
END_TEST

START_TEST(test_scram_tokenauth_is_for_scram_only)
{
    kfk_conf *c = new_conf();
    set(c, "security.protocol", "SASL_PLAINTEXT");
    set(c, "sasl.mechanism", "scram-sha-256");
    set(c, "sasl.username", "token-id");
    set(c, "sasl.password", "hmac");
    set(c, "sasl.scram.tokenauth", "true");
    ck_assert_int_eq(validate(c, KCONF_PRODUCER), KFK_OK);
    ck_assert(kconf_bool(c, KCONF_SASL_SCRAM_TOKENAUTH));
    kfk_conf_destroy(c);

    EXPECT(KCONF_PRODUCER, TOKENAUTH_REFUSED "sasl.mechanism=PLAIN with security.protocol=SASL_SSL",
           "security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN", "sasl.username", "u",
           "sasl.password", "p", "sasl.scram.tokenauth", "true");
    EXPECT(KCONF_CONSUMER,
           TOKENAUTH_REFUSED "sasl.mechanism=SCRAM-SHA-512 with security.protocol=SSL",
           "security.protocol", "SSL", "sasl.mechanism", "SCRAM-SHA-512", "sasl.scram.tokenauth",
           "true");
    EXPECT(KCONF_ADMIN,
           TOKENAUTH_REFUSED "sasl.mechanism=PLAIN with security.protocol=SASL_PLAINTEXT",
           "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.jaas.config",
           "org.apache.kafka.common.security.plain.PlainLoginModule required username=u "
           "password=p tokenauth=true;");
    /* false is the default, and fine anywhere. */
    EXPECT(KCONF_ADMIN, "", "sasl.scram.tokenauth", "false");
}
END_TEST

#define OB "security.protocol", "SASL_SSL", "sasl.mechanism", "OAUTHBEARER"
#define URL "sasl.oauthbearer.token.endpoint.url"
#define CID "sasl.oauthbearer.client.credentials.client.id"
#define CSECRET "sasl.oauthbearer.client.credentials.client.secret"

START_TEST(test_oidc_jaas_options_move_to_their_properties)
{
    kfk_conf *c = new_conf();
    set(c, "security.protocol", "SASL_SSL");
    set(c, "sasl.mechanism", "OAUTHBEARER");
    set(c, URL, "https://idp.example/token");
    set(c, "sasl.jaas.config",
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
        "clientId=\"app\" clientSecret=\"s3cret\" scope=\"kafka\";");
    ck_assert_int_eq(validate(c, KCONF_PRODUCER), KFK_OK);
    ck_assert_str_eq(kconf_str(c, KCONF_SASL_OAUTHBEARER_CLIENT_ID), "app");
    ck_assert_str_eq(kconf_str(c, KCONF_SASL_OAUTHBEARER_CLIENT_SECRET), "s3cret");
    ck_assert_str_eq(kconf_str(c, KCONF_SASL_OAUTHBEARER_SCOPE), "kafka");
    kfk_conf_destroy(c);
    EXPECT(KCONF_PRODUCER,
           "set either " CID " or the clientId option of sasl.jaas.config, not both", OB, URL,
           "https://h/t", CID, "a", "sasl.jaas.config", "M required clientId=b;");
}
END_TEST

static kfk_err token_cb(void *o, char *t, size_t n, int64_t *exp, char *e, size_t el)
{
    (void)o, (void)t, (void)n, (void)exp, (void)e, (void)el;
    return KFK_OK;
}

START_TEST(test_oidc_endpoint_and_another_token_source_exclude_each_other)
{
    kfk_conf *c = new_conf();
    set(c, "security.protocol", "SASL_SSL");
    set(c, "sasl.mechanism", "OAUTHBEARER");
    set(c, URL, "file:///t");
    kfk_conf_set_oauthbearer_token_cb(c, token_cb, NULL);
    ck_assert_int_eq(validate(c, KCONF_PRODUCER), KFK_ERR_CONFIG);
    ck_assert_str_eq(err, URL " and kfk_conf_set_oauthbearer_token_cb both supply tokens: use one");
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_oidc_settings_the_login_would_not_use_are_refused)
{
    EXPECT(KCONF_PRODUCER, "", OB, URL, "https://h/t", CID, "a", CSECRET, "b");
    EXPECT(KCONF_PRODUCER, "", OB, URL, "file:///run/token.jwt");
    EXPECT(KCONF_PRODUCER,
           URL " needs " CID " and " CSECRET " (or the clientId and clientSecret options of "
               "sasl.jaas.config)",
           OB, URL, "https://h/t", CID, "a");
    EXPECT(KCONF_PRODUCER, URL " is set, but sasl.mechanism=PLAIN (it is for OAUTHBEARER)",
           "security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN", "sasl.username", "u",
           "sasl.password", "p", URL, "https://h/t");
    EXPECT(KCONF_PRODUCER, URL " must be an https://, http:// or file:// URL", OB, URL, "ftp://h/t",
           CID, "a", CSECRET, "b");
    EXPECT(KCONF_PRODUCER, CID " is set, but " URL " is a file:// URL, which needs no credentials",
           OB, URL, "file:///t", CID, "a");
    EXPECT(KCONF_CONSUMER, CID " is set, but it is only used with " URL ", which is not", OB, CID,
           "a");
    EXPECT(KCONF_CONSUMER,
           "sasl.login.read.timeout.ms is set, but it is only used with " URL ", which is not", OB,
           "sasl.login.read.timeout.ms", "5000");
    EXPECT(KCONF_ADMIN,
           URL " is set, but security.protocol=SSL uses no SASL (SASL_PLAINTEXT or "
               "SASL_SSL do)",
           "security.protocol", "SSL", URL, "https://h/t");
}
END_TEST

START_TEST(test_client_certificate_and_key_go_together)
{
    const char *msg =
        "ssl.certificate.location and ssl.key.location go together: set both or neither";
    EXPECT(KCONF_ADMIN, msg, "ssl.certificate.location", "/c.pem");
    EXPECT(KCONF_ADMIN, msg, "ssl.key.location", "/k.pem");
    EXPECT(KCONF_ADMIN, "", "security.protocol", "SSL", "ssl.certificate.location", "/c.pem",
           "ssl.key.location", "/k.pem");
    EXPECT(KCONF_ADMIN,
           "ssl.keystore.certificate.chain and ssl.keystore.key go together: set both or neither",
           "security.protocol", "SSL", "ssl.keystore.certificate.chain", "-----BEGIN");
    EXPECT(KCONF_ADMIN,
           "set one of ssl.keystore.location, ssl.keystore.certificate.chain and "
           "ssl.certificate.location, not several",
           "security.protocol", "SSL", "ssl.keystore.location", "/ks.p12",
           "ssl.certificate.location", "/c.pem", "ssl.key.location", "/k.pem");
    EXPECT(KCONF_ADMIN, "ssl.ca.location is another name for ssl.truststore.location: set one",
           "security.protocol", "SSL", "ssl.ca.location", "/ca.pem", "ssl.truststore.location",
           "/ca.pem");
}
END_TEST

START_TEST(test_security_settings_without_their_protocol_are_refused)
{
    EXPECT(KCONF_ADMIN,
           "ssl.truststore.location is set, but security.protocol=PLAINTEXT uses no TLS (SSL or "
           "SASL_SSL do)",
           "ssl.truststore.location", "/ca.pem");
    EXPECT(KCONF_PRODUCER,
           "ssl.keystore.location is set, but security.protocol=SASL_PLAINTEXT uses no TLS (SSL "
           "or SASL_SSL do)",
           "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.username", "u",
           "sasl.password", "p", "ssl.keystore.location", "/ks.p12");
    EXPECT(KCONF_CONSUMER,
           "sasl.username is set, but security.protocol=SSL uses no SASL (SASL_PLAINTEXT or "
           "SASL_SSL do)",
           "security.protocol", "SSL", "sasl.username", "u", "sasl.password", "p");
}
END_TEST

static kfk_err app_start(void *o, const char *h, void **st, char *e, size_t el)
{
    (void)o, (void)h, (void)st, (void)e, (void)el;
    return KFK_OK;
}
static kfk_err app_step(void *o, void *st, const unsigned char *in, size_t il,
                        const unsigned char **out, size_t *ol, bool *done, char *e, size_t el)
{
    (void)o, (void)st, (void)in, (void)il, (void)out, (void)ol, (void)e, (void)el;
    *done = true;
    return KFK_OK;
}
static void app_end(void *o, void *st)
{
    (void)o, (void)st;
}

START_TEST(test_an_application_mechanism_brings_its_own_credentials)
{
    static const kfk_sasl_mechanism mine = {"PLAIN", app_start, app_step, app_end, NULL};
    static const kfk_sasl_mechanism nameless = {"", app_start, app_step, app_end, NULL};
    kfk_conf *c = new_conf();
    ck_assert_int_eq(kfk_conf_set_sasl_mechanism(c, &nameless), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_conf_set_sasl_mechanism(c, NULL), KFK_ERR_INVALID_ARG);
    set(c, "security.protocol", "SASL_SSL");
    set(c, "sasl.mechanism", "PLAIN");
    ck_assert_int_eq(validate(c, KCONF_ADMIN), KFK_ERR_CONFIG);
    ck_assert_int_eq(kfk_conf_set_sasl_mechanism(c, &mine), KFK_OK);
    ck_assert_int_eq(validate(c, KCONF_ADMIN), KFK_OK);
    kfk_conf_destroy(c);
}
END_TEST

/* --- producer ----------------------------------------------------------------------- */

static bool idempotent_after(const char *const *kv)
{
    kfk_conf *c = new_conf();
    for (; kv[0]; kv += 2)
        set(c, kv[0], kv[1]);
    ck_assert_msg(validate(c, KCONF_PRODUCER) == KFK_OK, "%s", err);
    bool idem = kconf_bool(c, KCONF_ENABLE_IDEMPOTENCE);
    kfk_conf_destroy(c);
    return idem;
}

#define IDEMPOTENT(...) idempotent_after((const char *const[]){__VA_ARGS__, NULL})

START_TEST(test_idempotence_follows_javas_rules)
{
    /* Java: default -> on; acks=1 or retries=0 alone -> silently off. */
    ck_assert(idempotent_after((const char *const[]){NULL}));
    ck_assert(!IDEMPOTENT("acks", "1"));
    ck_assert(!IDEMPOTENT("acks", "0"));
    ck_assert(!IDEMPOTENT("retries", "0"));
    ck_assert(IDEMPOTENT("acks", "-1", "max.in.flight.requests.per.connection", "5"));
    ck_assert(
        !IDEMPOTENT("enable.idempotence", "false", "max.in.flight.requests.per.connection", "6"));
    /* Java: "Must set acks to all in order to use the idempotent producer." */
    EXPECT(KCONF_PRODUCER, "enable.idempotence=true needs acks=all", "acks", "1",
           "enable.idempotence", "true");
    /* Java: "Must set retries to non-zero when using the idempotent producer." */
    EXPECT(KCONF_PRODUCER, "enable.idempotence=true needs retries > 0", "retries", "0",
           "enable.idempotence", "true");
    /* Java: "... max.in.flight.requests.per.connection must be set to at most 5",
     * whether idempotence was set or left at its default. */
    const char *mif =
        "an idempotent producer allows at most 5 requests in flight, but "
        "max.in.flight.requests.per.connection is 6 (or set enable.idempotence=false)";
    EXPECT(KCONF_PRODUCER, mif, "max.in.flight.requests.per.connection", "6");
    EXPECT(KCONF_PRODUCER, mif, "max.in.flight.requests.per.connection", "6", "enable.idempotence",
           "true");
}
END_TEST

/* partitioner.availability.timeout.ms steers only the built-in adaptive
 * partitioner: with anything else it would do nothing, so it is refused. */
START_TEST(test_availability_timeout_needs_the_adaptive_partitioner)
{
    const char *msg = "partitioner.availability.timeout.ms works only with the default "
                      "partitioner, no partitioner callback and "
                      "partitioner.adaptive.partitioning.enable=true: set it to 0 or use those";
    EXPECT(KCONF_PRODUCER, msg, "partitioner.availability.timeout.ms", "500",
           "partitioner.adaptive.partitioning.enable", "false");
    EXPECT(KCONF_PRODUCER, msg, "partitioner.availability.timeout.ms", "500", "partitioner",
           "murmur2_random");
    ck_assert(IDEMPOTENT("partitioner.availability.timeout.ms", "500"));
    ck_assert(IDEMPOTENT("partitioner.availability.timeout.ms", "0", "partitioner", "random"));
}
END_TEST

/* A transactional.id with the defaults gives an idempotent producer. */
START_TEST(test_transactional_id_is_idempotent)
{
    ck_assert(IDEMPOTENT("transactional.id", "tx"));
    ck_assert(IDEMPOTENT("transactional.id", "tx", "transaction.timeout.ms", "5000"));
    ck_assert(IDEMPOTENT("transaction.timeout.ms", "5000")); /* meaningless alone, as Java */
}
END_TEST

START_TEST(test_transactional_id_needs_idempotence)
{
    /* Java: "Cannot set a transactional.id without also enabling idempotence." */
    const char *msg =
        "transactional.id needs idempotence: enable.idempotence, acks=all and retries > 0";
    EXPECT(KCONF_PRODUCER, msg, "transactional.id", "tx", "enable.idempotence", "false");
    EXPECT(KCONF_PRODUCER, msg, "transactional.id", "tx", "acks", "1");
    EXPECT(KCONF_PRODUCER, msg, "transactional.id", "tx", "retries", "0");
}
END_TEST

START_TEST(test_delivery_timeout_covers_linger_and_one_request)
{
    /* Java's KafkaProducer: an explicit delivery.timeout.ms below
     * linger.ms + request.timeout.ms fails; a default one is raised. */
    EXPECT(KCONF_PRODUCER,
           "delivery.timeout.ms (1000) must be at least linger.ms + request.timeout.ms (30005)",
           "delivery.timeout.ms", "1000");
    EXPECT(KCONF_PRODUCER, "", "delivery.timeout.ms", "30005");

    kfk_conf *c = new_conf();
    set(c, "linger.ms", "100000");
    ck_assert_int_eq(validate(c, KCONF_PRODUCER), KFK_OK);
    ck_assert_int_eq(kconf_i64(c, KCONF_DELIVERY_TIMEOUT_MS), 130000);
    ck_assert_ptr_nonnull(strstr(logged, "delivery.timeout.ms raised to"));
    kfk_conf_destroy(c);

    c = new_conf();
    set(c, "linger.ms", "9223372036854775807");
    ck_assert_int_eq(validate(c, KCONF_PRODUCER), KFK_OK);
    ck_assert_int_eq(kconf_i64(c, KCONF_DELIVERY_TIMEOUT_MS), INT32_MAX);
    kfk_conf_destroy(c);
}
END_TEST

static int64_t level_after(const char *type, const char *level, kconf_id id)
{
    kfk_conf *c = new_conf();
    set(c, "compression.type", type);
    set(c, "compression.level", level);
    ck_assert_msg(validate(c, KCONF_PRODUCER) == KFK_OK, "%s", err);
    int64_t v = kconf_i64(c, id);
    kfk_conf_destroy(c);
    return v;
}

START_TEST(test_compression_level_goes_to_the_selected_codec)
{
    ck_assert_int_eq(level_after("gzip", "5", KCONF_COMPRESSION_GZIP_LEVEL), 5);
    ck_assert_int_eq(level_after("gzip", "-1", KCONF_COMPRESSION_GZIP_LEVEL), -1);
    ck_assert_int_eq(level_after("lz4", "17", KCONF_COMPRESSION_LZ4_LEVEL), 17);
    ck_assert_int_eq(level_after("zstd", "-5", KCONF_COMPRESSION_ZSTD_LEVEL), -5);
    EXPECT(KCONF_PRODUCER, "compression.level for gzip must be between 1 and 9, or -1, got 0",
           "compression.type", "gzip", "compression.level", "0");
    EXPECT(KCONF_PRODUCER, "compression.level for lz4 must be between 1 and 17, got 18",
           "compression.type", "lz4", "compression.level", "18");
    EXPECT(KCONF_PRODUCER, "compression.level needs compression.type gzip, lz4 or zstd",
           "compression.level", "3");
    EXPECT(KCONF_PRODUCER, "compression.level needs compression.type gzip, lz4 or zstd",
           "compression.type", "snappy", "compression.level", "3");
    EXPECT(KCONF_PRODUCER, "compression.level and compression.zstd.level disagree: set one of them",
           "compression.type", "zstd", "compression.level", "3", "compression.zstd.level", "4");
    EXPECT(KCONF_PRODUCER, "", "compression.type", "zstd", "compression.level", "4",
           "compression.zstd.level", "4");
}
END_TEST

/* --- consumer --------------------------------------------------------------------- */

START_TEST(test_auto_commit_needs_a_group)
{
    /* Java: without group.id auto commit is off; asking for it fails with
     * "enable.auto.commit cannot be set to true when default group id
     * (null) is used." */
    kfk_conf *c = new_conf();
    ck_assert_int_eq(validate(c, KCONF_CONSUMER), KFK_OK);
    ck_assert(!kconf_bool(c, KCONF_ENABLE_AUTO_COMMIT));
    kfk_conf_destroy(c);
    c = new_conf();
    set(c, "group.id", "g");
    ck_assert_int_eq(validate(c, KCONF_CONSUMER), KFK_OK);
    ck_assert(kconf_bool(c, KCONF_ENABLE_AUTO_COMMIT));
    kfk_conf_destroy(c);
    EXPECT(KCONF_CONSUMER, "enable.auto.commit=true needs a group.id", "enable.auto.commit",
           "true");
}
END_TEST

START_TEST(test_group_protocols_refuse_each_others_settings)
{
    /* Java: "<name> cannot be set when group.protocol=CONSUMER" and
     * "group.remote.assignor cannot be set when group.protocol=CLASSIC". */
    EXPECT(KCONF_CONSUMER,
           "partition.assignment.strategy cannot be set with group.protocol=consumer: the broker "
           "assigns partitions; see group.remote.assignor",
           "group.id", "g", "group.protocol", "CONSUMER", "partition.assignment.strategy", "range");
    EXPECT(KCONF_CONSUMER,
           "session.timeout.ms cannot be set with group.protocol=consumer: the broker decides "
           "it (KIP-848)",
           "group.id", "g", "group.protocol", "consumer", "session.timeout.ms", "10000");
    EXPECT(KCONF_CONSUMER,
           "heartbeat.interval.ms cannot be set with group.protocol=consumer: the broker decides "
           "it (KIP-848)",
           "group.id", "g", "group.protocol", "consumer", "heartbeat.interval.ms", "1000");
    EXPECT(KCONF_CONSUMER,
           "group.remote.assignor cannot be set with group.protocol=classic: it needs "
           "group.protocol=consumer",
           "group.id", "g", "group.remote.assignor", "uniform");
    EXPECT(KCONF_CONSUMER, "", "group.id", "g", "group.protocol", "consumer",
           "group.remote.assignor", "uniform");
    EXPECT(KCONF_CONSUMER, "partition.assignment.strategy names no assignor", "group.id", "g",
           "partition.assignment.strategy", "");
}
END_TEST

START_TEST(test_heartbeat_not_below_session_timeout_is_warned_about)
{
    /* Java accepts it, so kfk does too, but says why it will go wrong. */
    kfk_conf *c = new_conf();
    set(c, "group.id", "g");
    set(c, "heartbeat.interval.ms", "50000");
    ck_assert_int_eq(validate(c, KCONF_CONSUMER), KFK_OK);
    ck_assert_str_eq(logged, "conf: heartbeat.interval.ms (50000) is not below session.timeout.ms "
                             "(45000): the member will be dropped between heartbeats\n");
    kfk_conf_destroy(c);
}
END_TEST

static Suite *conf_validate_suite(void)
{
    Suite *s = suite_create("conf_validate");
    TCase *tc = tcase_create("common");
    tcase_add_test(tc, test_bootstrap_servers_is_required);
    tcase_add_test(tc, test_each_client_gets_its_own_javas_defaults);
    tcase_add_test(tc, test_backoff_ceilings_never_sit_below_their_base);
    tcase_add_test(tc, test_properties_of_other_clients_are_ignored_with_a_warning);
    tcase_add_test(tc, test_sasl_password_mechanisms_need_credentials);
    tcase_add_test(tc, test_security_settings_without_their_protocol_are_refused);
    tcase_add_test(tc, test_an_application_mechanism_brings_its_own_credentials);
    tcase_add_test(tc, test_jaas_credentials_move_to_username_and_password);
    tcase_add_test(tc, test_jaas_tokenauth_sets_scram_tokenauth);
    tcase_add_test(tc, test_scram_tokenauth_is_for_scram_only);
    tcase_add_test(tc, test_oidc_jaas_options_move_to_their_properties);
    tcase_add_test(tc, test_oidc_settings_the_login_would_not_use_are_refused);
    tcase_add_test(tc, test_oidc_endpoint_and_another_token_source_exclude_each_other);
    tcase_add_test(tc, test_client_certificate_and_key_go_together);
    suite_add_tcase(s, tc);

    tc = tcase_create("producer");
    tcase_add_test(tc, test_idempotence_follows_javas_rules);
    tcase_add_test(tc, test_transactional_id_needs_idempotence);
    tcase_add_test(tc, test_transactional_id_is_idempotent);
    tcase_add_test(tc, test_availability_timeout_needs_the_adaptive_partitioner);
    tcase_add_test(tc, test_delivery_timeout_covers_linger_and_one_request);
    tcase_add_test(tc, test_compression_level_goes_to_the_selected_codec);
    suite_add_tcase(s, tc);

    tc = tcase_create("consumer");
    tcase_add_test(tc, test_auto_commit_needs_a_group);
    tcase_add_test(tc, test_group_protocols_refuse_each_others_settings);
    tcase_add_test(tc, test_heartbeat_not_below_session_timeout_is_warned_about);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(conf_validate_suite());
}
