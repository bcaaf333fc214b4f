#include "ksec.h"

#include <check.h>
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kcerts.h"
#include "kclus.h"
#include "kfk_mock.h"
#include "kplist.h"

static bool mock;
static char dir[512];
static char bootstrap[KSEC__COUNT][128];
static int64_t reauth_ms;
static char key_password[64], store_password[64];
static kfk_mock_cluster *clusters[KSEC__COUNT];

/* The mock's sessions on the SASL_PLAINTEXT listener, as tools/kafka sets
 * connections.max.reauth.ms there. */
#define MOCK_REAUTH_MS 5000
#define MOCK_PASSWORD "kfk-test-secret"

bool ksec_is_mock(void)
{
    return mock;
}

struct kfk_mock_cluster *ksec_mock(ksec_listener l)
{
    return clusters[l];
}

const char *ksec_key_password(void)
{
    return key_password;
}

const char *ksec_store_password(void)
{
    return store_password;
}

static const char *const protocols[KSEC__COUNT] = {
    [KSEC_SSL] = "SSL",
    [KSEC_MTLS] = "SSL",
    [KSEC_SASL_SSL] = "SASL_SSL",
    [KSEC_SASL_PLAINTEXT] = "SASL_PLAINTEXT",
};

/* --- real Kafka: the file tools/kafka writes -------------------------------------- */

/* The value of KEY=VALUE in the env file, or NULL. */
static bool env_value(const char *file, const char *key, char *out, size_t outlen)
{
    FILE *f = fopen(file, "r");
    if (!f) return false;
    char line[1024];
    size_t kl = strlen(key);
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, kl) != 0 || line[kl] != '=') continue;
        char *v = line + kl + 1;
        v[strcspn(v, "\r\n")] = '\0';
        if (*v == '"' && strlen(v) >= 2 && v[strlen(v) - 1] == '"') {
            v[strlen(v) - 1] = '\0';
            v++;
        }
        snprintf(out, outlen, "%s", v);
        found = true;
    }
    fclose(f);
    return found;
}

bool ksec_env_value(const char *key, char *out, size_t outlen)
{
    const char *file = getenv("KFK_TEST_KAFKA_ENV");
    return !kclus_is_mock() && file && env_value(file, key, out, outlen);
}

bool ksec_available(const char **why)
{
    if (kclus_is_mock()) return true;
    const char *file = getenv("KFK_TEST_KAFKA_ENV");
    if (!file || access(file, R_OK)) {
        *why = "KFK_TEST_KAFKA_ENV names no readable file: start Kafka with tools/kafka --sasl";
        return false;
    }
    return true;
}

bool ksec_kerberos(ksec_krb5 *k, const char **why)
{
    if (kclus_is_mock()) {
        *why = "GSSAPI needs a Kerberos KDC, which the mock cluster lacks";
        return false;
    }
    const char *file = getenv("KFK_TEST_KAFKA_ENV");
    if (!file || access(file, R_OK)) {
        *why = "KFK_TEST_KAFKA_ENV names no readable file: start Kafka with tools/kafka --kerberos";
        return false;
    }
    if (!env_value(file, "KRB5_CONFIG", k->config, sizeof(k->config)) ||
        !env_value(file, "KFK_TEST_KRB5_SERVICE_NAME", k->service, sizeof(k->service)) ||
        !env_value(file, "KFK_TEST_KRB5_CLIENT_PRINCIPAL", k->principal, sizeof(k->principal)) ||
        !env_value(file, "KFK_TEST_KRB5_CLIENT_KEYTAB", k->keytab, sizeof(k->keytab))) {
        *why = "the Kafka of KFK_TEST_KAFKA_ENV has no KDC: start it with tools/kafka --kerberos";
        return false;
    }
    return true;
}

static void setup_real(void)
{
    const char *file = getenv("KFK_TEST_KAFKA_ENV");
    ck_assert_ptr_nonnull(file);
    static const char *const keys[KSEC__COUNT] = {
        [KSEC_SSL] = "KFK_TEST_SSL",
        [KSEC_MTLS] = "KFK_TEST_MTLS",
        [KSEC_SASL_SSL] = "KFK_TEST_SASL_SSL",
        [KSEC_SASL_PLAINTEXT] = "KFK_TEST_SASL_PLAINTEXT",
    };
    for (int l = 0; l < KSEC__COUNT; l++)
        ck_assert_msg(env_value(file, keys[l], bootstrap[l], sizeof(bootstrap[l])), "%s lacks %s",
                      file, keys[l]);
    ck_assert_msg(env_value(file, "KFK_TEST_TLS_DIR", dir, sizeof(dir)),
                  "%s lacks KFK_TEST_TLS_DIR", file);
    char ms[32];
    ck_assert_msg(env_value(file, "KFK_TEST_SASL_PLAINTEXT_REAUTH_MS", ms, sizeof(ms)),
                  "%s lacks KFK_TEST_SASL_PLAINTEXT_REAUTH_MS", file);
    reauth_ms = atoll(ms);
    ck_assert(env_value(file, "KFK_TEST_CLIENT_KEY_PASSWORD", key_password, sizeof(key_password)));
    ck_assert(env_value(file, "KFK_TEST_KEYSTORE_PASSWORD", store_password, sizeof(store_password)));
}

/* --- the mock: one cluster per listener, a PKI made for the run ------------------- */

static void setup_mock(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kfk-ksec-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    kcerts *pki = kcerts_new();
    ck_assert_ptr_nonnull(pki);
    ck_assert_int_eq(kcerts_write(pki, dir, MOCK_PASSWORD), 0);
    snprintf(key_password, sizeof(key_password), MOCK_PASSWORD);
    snprintf(store_password, sizeof(store_password), MOCK_PASSWORD);
    static const char *const protocols_[KSEC__COUNT] = {"SSL", "SSL", "SASL_SSL", "SASL_PLAINTEXT"};
    for (int l = 0; l < KSEC__COUNT; l++) {
        bool tls = l != KSEC_SASL_PLAINTEXT;
        kfk_mock_security sec = {
            .protocol = protocols_[l],
            .cert_pem = tls ? pki->server_cert : NULL,
            .key_pem = tls ? pki->server_key : NULL,
            .client_ca_pem = l == KSEC_MTLS ? pki->ca_cert : NULL,
            .session_lifetime_ms = l == KSEC_SASL_PLAINTEXT ? MOCK_REAUTH_MS : 0,
        };
        clusters[l] = kfk_mock_cluster_new_secure(1, &sec);
        ck_assert_ptr_nonnull(clusters[l]);
        static const char *const mechs[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
        for (size_t m = 0; l >= KSEC_SASL_SSL && m < sizeof(mechs) / sizeof(mechs[0]); m++)
            ck_assert_int_eq(kfk_mock_user_add(clusters[l], mechs[m], KSEC_USER, KSEC_PASSWORD),
                             KFK_OK);
        snprintf(bootstrap[l], sizeof(bootstrap[l]), "%s", kfk_mock_cluster_bootstrap(clusters[l]));
    }
    reauth_ms = MOCK_REAUTH_MS;
    kcerts_free(pki);
}

void ksec_setup(void)
{
    mock = kclus_is_mock();
    if (mock)
        setup_mock();
    else
        setup_real();
}

/* Removes the mock's PKI directory and the files in it. */
static void remove_mock_dir(void)
{
    DIR *d = opendir(dir);
    if (!d) return;
    char path[1024];
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* The mock clusters go before the test's process exits: their threads
 * must not be serving a TLS connection while exit tears OpenSSL down. */
void ksec_teardown(void)
{
    if (!mock) return;
    for (int l = 0; l < KSEC__COUNT; l++) {
        kfk_mock_cluster_destroy(clusters[l]);
        clusters[l] = NULL;
    }
    remove_mock_dir();
}

int64_t ksec_reauth_ms(void)
{
    return reauth_ms;
}

const char *ksec_bootstrap(ksec_listener l)
{
    return bootstrap[l];
}

const char *ksec_file(const char *name)
{
    static _Thread_local char path[8][640];
    static _Thread_local int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
    return p;
}

kfk_conf *ksec_conf(ksec_listener l, const char *mechanism)
{
    kfk_conf *conf = kclus_conf(bootstrap[l]);
    kclus_set(conf, "security.protocol", protocols[l]);
    if (l != KSEC_SASL_PLAINTEXT) kclus_set(conf, "ssl.truststore.location", ksec_file("ca.pem"));
    if (l == KSEC_MTLS) {
        kclus_set(conf, "ssl.certificate.location", ksec_file("client.pem"));
        kclus_set(conf, "ssl.key.location", ksec_file("client.key"));
    }
    if (mechanism) {
        kclus_set(conf, "sasl.mechanism", mechanism);
        if (strcmp(mechanism, "OAUTHBEARER") != 0) {
            kclus_set(conf, "sasl.username", KSEC_USER);
            kclus_set(conf, "sasl.password", KSEC_PASSWORD);
        } else {
            kclus_set(conf, "sasl.jaas.config",
                      "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                      "required unsecuredLoginStringClaim_sub=\"" KSEC_USER "\";");
        }
    }
    return conf;
}

void ksec_create_topic(ksec_listener l, const char *name, int32_t partitions)
{
    if (mock) {
        ck_assert_int_eq(kfk_mock_topic_create(clusters[l], name, partitions, -1), KFK_OK);
        return;
    }
    /* Real Kafka: every listener is the same cluster; PLAINTEXT is quickest. */
    kclus_create_topic(NULL, name, partitions, -1);
}

/* --- producing and consuming ------------------------------------------------------ */

typedef struct tally {
    int n;
    atomic_int *times;
    atomic_int failed;
    kfk_err first_err;
} tally;

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    tally *t = opaque;
    intptr_t i = (intptr_t)r->opaque;
    if (i >= 0 && i < t->n) atomic_fetch_add(&t->times[i], 1);
    if (r->err && atomic_fetch_add(&t->failed, 1) == 0) t->first_err = r->err;
}

static void produce_all(kfk_conf *conf, const char *topic, int n)
{
    tally t = {.n = n, .times = calloc((size_t)n, sizeof(atomic_int))};
    ck_assert_ptr_nonnull(t.times);
    kfk_conf_set_dr_cb(conf, on_report, &t);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    for (int i = 0; i < n; i++) {
        char v[16];
        int len = snprintf(v, sizeof(v), "%d", i);
        kfk_record rec = {
            .topic = topic, .partition = KFK_PARTITION_ANY, .value = v, .value_len = (size_t)len};
        kfk_err e;
        while ((e = kfk_produce(p, &rec, (void *)(intptr_t)i)) == KFK_ERR_QUEUE_FULL)
            kfk_producer_poll(p, 100);
        ck_assert_msg(e == KFK_OK, "record %d: %s", i, kfk_err_str(e));
    }
    ck_assert_int_eq(kfk_producer_flush(p, KCLUS_TIMEOUT_MS * 2), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_msg(atomic_load(&t.failed) == 0, "%d records failed, first: %s",
                  atomic_load(&t.failed), kfk_err_str(t.first_err));
    for (int i = 0; i < n; i++)
        ck_assert_msg(atomic_load(&t.times[i]) == 1, "record %d: %d reports", i,
                      atomic_load(&t.times[i]));
    free(t.times);
}

static void consume_all(kfk_conf *conf, const char *topic, int32_t partitions, int n)
{
    char err[512];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_int_eq(kpl_assign(c, topic, partitions, KFK_OFFSET_BEGINNING), KFK_OK);
    char *seen = calloc((size_t)n, 1);
    int got = 0;
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS * 2;
    while (got < n && kclus_now_ms() < deadline) {
        kfk_message *m = kfk_consumer_poll(c, 500);
        if (!m) continue;
        kfk_err e = kfk_message_error(m);
        ck_assert_msg(!e || e == KFK_ERR_PARTITION_EOF, "consume: %s", kfk_err_str(e));
        if (!e) {
            int id = kclus_record_id(m);
            ck_assert_msg(id >= 0 && id < n && !seen[id], "record %d twice or unknown", id);
            seen[id] = 1;
            got++;
        }
        kfk_message_release(m);
    }
    ck_assert_msg(got == n, "read %d of %d records", got, n);
    kfk_consumer_close(c, -1);
    kfk_consumer_destroy(c);
    free(seen);
}

void ksec_read_back(kfk_conf *conf, const char *topic, int32_t partitions, int n)
{
    consume_all(conf, topic, partitions, n);
}

void ksec_roundtrip(kfk_conf *pconf, kfk_conf *cconf, const char *topic, int32_t partitions, int n)
{
    produce_all(pconf, topic, n);
    consume_all(cconf, topic, partitions, n);
}

/* --- refusals ---------------------------------------------------------------------- */

typedef struct seen {
    atomic_int calls;
    kfk_err err;
    char reason[512];
} seen;

static void on_error(void *opaque, void *handle, kfk_err err, const char *reason)
{
    (void)handle;
    seen *s = opaque;
    if (atomic_fetch_add(&s->calls, 1) == 0) {
        s->err = err;
        snprintf(s->reason, sizeof(s->reason), "%s", reason);
    }
}

static void check_took(const char *what, kfk_err got, kfk_err want, int64_t t0)
{
    int64_t took = kclus_now_ms() - t0;
    ck_assert_msg(got == want, "%s: %s, want %s", what, kfk_err_name(got), kfk_err_name(want));
    ck_assert_msg(took < 10000, "%s took %lld ms", what, (long long)took);
}

void ksec_expect_refused(kfk_conf *(*conf_of)(void), kfk_err want, const char *because,
                         const char *secret)
{
    seen s = {0};
    kfk_conf *conf = conf_of();
    kfk_conf_set_error_cb(conf, on_error, &s);
    char err[512];
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    kfk_metadata *md = NULL;
    int64_t t0 = kclus_now_ms();
    kfk_err e = kfk_admin_describe_cluster(a, &(kfk_admin_options){.timeout_ms = 20000}, &md);
    check_took("describe_cluster", e, want, t0);
    kfk_admin_destroy(a);
    ck_assert_msg(atomic_load(&s.calls) >= 1, "error_cb not called");
    ck_assert_int_eq(s.err, want);
    ck_assert_msg(strstr(s.reason, because), "reason \"%s\" lacks \"%s\"", s.reason, because);
    ck_assert_msg(!secret || !strstr(s.reason, secret), "reason \"%s\" shows the secret", s.reason);

    conf = conf_of();
    kclus_set(conf, "max.block.ms", "20000");
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    kfk_record rec = {.topic = "kfk-it-refused-never-created", .partition = KFK_PARTITION_ANY};
    t0 = kclus_now_ms();
    e = kfk_produce(p, &rec, NULL);
    check_took("produce", e, want, t0);
    kfk_producer_destroy(p);

    kfk_consumer *c = kfk_consumer_new(conf_of(), err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    t0 = kclus_now_ms();
    kfk_message *m = kfk_consumer_poll(c, 20000);
    ck_assert_msg(m != NULL, "poll returned nothing");
    check_took("poll", kfk_message_error(m), want, t0);
    kfk_message_release(m);
    kfk_consumer_destroy(c);
}

/* --- revocation ------------------------------------------------------------------- */

static void *read_pem(const char *path, void *(*reader)(BIO *))
{
    BIO *b = BIO_new_file(path, "r");
    ck_assert_msg(b != NULL, "cannot read %s", path);
    void *x = reader(b);
    BIO_free(b);
    ck_assert_msg(x != NULL, "no PEM in %s", path);
    return x;
}

static void *read_cert(BIO *b)
{
    return PEM_read_bio_X509(b, NULL, NULL, NULL);
}

static void *read_key(BIO *b)
{
    return PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
}

void ksec_write_crl(const char *path, bool revoke_broker)
{
    X509 *ca = read_pem(ksec_file("ca.pem"), read_cert);
    EVP_PKEY *ca_key = read_pem(ksec_file("ca.key"), read_key);
    /* tools/kafka names the broker's certificate broker.pem, kcerts server.pem */
    X509 *broker = read_pem(ksec_file(mock ? "server.pem" : "broker.pem"), read_cert);
    X509_CRL *crl = X509_CRL_new();
    ck_assert(crl && X509_CRL_set_version(crl, 1) &&
              X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)));
    ASN1_TIME *now = X509_gmtime_adj(NULL, -3600), *next = X509_gmtime_adj(NULL, 86400);
    ck_assert(X509_CRL_set1_lastUpdate(crl, now) && X509_CRL_set1_nextUpdate(crl, next));
    if (revoke_broker) {
        X509_REVOKED *r = X509_REVOKED_new();
        ck_assert(r && X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(broker)) &&
                  X509_REVOKED_set_revocationDate(r, now) && X509_CRL_add0_revoked(crl, r));
    }
    ck_assert(X509_CRL_sort(crl) && X509_CRL_sign(crl, ca_key, EVP_sha256()));
    BIO *out = BIO_new_file(path, "w");
    ck_assert(out && PEM_write_bio_X509_CRL(out, crl));
    BIO_free(out);
    ASN1_TIME_free(now);
    ASN1_TIME_free(next);
    X509_CRL_free(crl);
    X509_free(broker);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
}
