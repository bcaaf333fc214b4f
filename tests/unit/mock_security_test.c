/* The mock cluster's TLS and SASL listeners (kfk_mock_cluster_new_secure)
 * against raw OpenSSL clients and raw Kafka frames: TLS and mTLS
 * handshakes, SaslHandshake, PLAIN, SCRAM-SHA-256/512 computed here,
 * OAUTHBEARER unsecured JWTs, the pre-authentication gate, injected
 * failures and KIP-368 session lifetimes, as Kafka 4.3 behaves. */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <time.h>

#include "../common/kcerts.h"
#include "mt_conn.h"

static kcerts *pki;
static kfk_mock_cluster *mc;

static void pki_setup(void)
{
    pki = kcerts_new();
    ck_assert_ptr_nonnull(pki);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
    mc = NULL;
    kcerts_free(pki);
    pki = NULL;
}

static kfk_mock_cluster *start(const char *protocol, const char *client_ca, int lifetime_ms)
{
    kfk_mock_security sec = {.protocol = protocol,
                             .cert_pem = pki->server_cert,
                             .key_pem = pki->server_key,
                             .client_ca_pem = client_ca,
                             .session_lifetime_ms = lifetime_ms};
    mc = kfk_mock_cluster_new_secure(1, &sec);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_user_add(mc, "PLAIN", "alice", "alice-secret"), 0);
    ck_assert_int_eq(kfk_mock_user_add(mc, "SCRAM-SHA-256", "alice", "alice-256"), 0);
    ck_assert_int_eq(kfk_mock_user_add(mc, "SCRAM-SHA-512", "alice", "alice-512"), 0);
    ck_assert_int_eq(kfk_mock_user_add(mc, "PLAIN", "bob", "bob-secret"), 0);
    return mc;
}

/* ------------------------------------------------- a TLS-capable client */

typedef struct sconn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl; /* NULL: plaintext */
    int32_t next_cid;
    int tls_error; /* the reason of a failed handshake (SSL_R_...) */
    kbuf frame, resp;
    karena arena;
} sconn;

static X509 *pem_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return x;
}

static EVP_PKEY *pem_key(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return k;
}

/* Connects to broker 1, with TLS when tls (trusting the test CA, checking
 * the name localhost, presenting cert/key when given). Returns 0, or -1
 * when the TLS handshake fails. */
static int s_open(sconn *c, bool tls, const char *cert, const char *key)
{
    memset(c, 0, sizeof(*c));
    c->fd = mt_dial(kfk_mock_broker_port(mc, 1));
    ck_assert_int_ge(c->fd, 0);
    if (!tls) return 0;
    c->ctx = SSL_CTX_new(TLS_client_method());
    X509 *ca = pem_cert(pki->ca_cert);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c->ctx), ca);
    X509_free(ca);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    if (cert) {
        X509 *x = pem_cert(cert);
        EVP_PKEY *k = pem_key(key);
        ck_assert_int_eq(SSL_CTX_use_certificate(c->ctx, x), 1);
        ck_assert_int_eq(SSL_CTX_use_PrivateKey(c->ctx, k), 1);
        X509_free(x);
        EVP_PKEY_free(k);
    }
    c->ssl = SSL_new(c->ctx);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, "localhost");
    SSL_set1_host(c->ssl, "localhost");
    int rc = SSL_connect(c->ssl) == 1 ? 0 : -1;
    if (rc) c->tls_error = ERR_GET_REASON(ERR_peek_last_error());
    ERR_clear_error();
    return rc;
}

static void s_close(sconn *c)
{
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    if (c->fd >= 0) close(c->fd);
    kbuf_free(&c->frame);
    kbuf_free(&c->resp);
    karena_free(&c->arena);
    c->fd = -1;
}

static int s_write(sconn *c, const uint8_t *p, size_t n)
{
    if (!c->ssl) return mt_write_all(c->fd, p, n);
    while (n) {
        int w = SSL_write(c->ssl, p, (int)n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int s_read(sconn *c, uint8_t *p, size_t n)
{
    if (!c->ssl) return mt_read_all(c->fd, p, n);
    while (n) {
        int r = SSL_read(c->ssl, p, (int)n);
        if (r <= 0) {
            ERR_clear_error();
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Reads one size-prefixed frame into c->resp; -1 on EOF or error. */
static int s_recv_frame(sconn *c)
{
    uint8_t hdr[4];
    if (s_read(c, hdr, 4)) return -1;
    uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    kbuf_reset(&c->resp);
    uint8_t *p = kbuf_extend(&c->resp, n);
    return p && (n == 0 || !s_read(c, p, n)) ? 0 : -1;
}

/* A round trip: 0, or -1 when the broker closed the connection. */
static int s_call(sconn *c, int16_t key, int16_t version, const void *req, void *resp)
{
    karena_reset(&c->arena);
    int32_t cid = ++c->next_cid;
    kbuf_reset(&c->frame);
    ck_assert_int_eq(
        kproto_write_request(&c->frame, key, version, cid, kwire_cstr("mock-test"), req), 0);
    if (s_write(c, c->frame.data, c->frame.len) || s_recv_frame(c)) return -1;
    kreader r = kreader_of(c->resp.data, c->resp.len);
    kp_response_header h;
    ck_assert_int_eq(kproto_read_response_header(&r, key, version, &h), 0);
    ck_assert_int_eq(h.correlation_id, cid);
    ck_assert_int_eq(kproto_response_decode(key, version, resp, &r, &c->arena), 0);
    ck_assert_int_eq(kreader_left(&r), 0);
    return 0;
}

/* True when the broker closes the connection within a second. */
static bool s_closed(sconn *c)
{
    uint8_t b;
    if (c->ssl) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (!SSL_pending(c->ssl) && poll(&p, 1, 1000) <= 0) return false;
        int r = SSL_read(c->ssl, &b, 1);
        ERR_clear_error();
        return r <= 0;
    }
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (poll(&p, 1, 1000) <= 0) return false;
    return recv(c->fd, &b, 1, 0) <= 0;
}

static int api_versions(sconn *c, kp_api_versions_response *resp)
{
    kp_api_versions_request req;
    kp_api_versions_request_init(&req);
    req.client_software_name = kwire_cstr("kfk-test");
    req.client_software_version = kwire_cstr("0.1.0");
    return s_call(c, KP_API_VERSIONS_KEY, 3, &req, resp);
}

static int metadata(sconn *c)
{
    kp_metadata_request req;
    kp_metadata_request_init(&req);
    req.n_topics = -1;
    kp_metadata_response resp;
    return s_call(c, KP_METADATA_KEY, 12, &req, &resp);
}

static int16_t handshake(sconn *c, int16_t version, const char *mech,
                         kp_sasl_handshake_response *out)
{
    kp_sasl_handshake_request req;
    kp_sasl_handshake_request_init(&req);
    req.mechanism = kwire_cstr(mech);
    kp_sasl_handshake_response resp;
    ck_assert_int_eq(s_call(c, KP_SASL_HANDSHAKE_KEY, version, &req, &resp), 0);
    if (out) *out = resp;
    return resp.error_code;
}

static void authenticate(sconn *c, int16_t version, kslice bytes,
                         kp_sasl_authenticate_response *resp)
{
    kp_sasl_authenticate_request req;
    kp_sasl_authenticate_request_init(&req);
    req.auth_bytes = bytes;
    ck_assert_int_eq(s_call(c, KP_SASL_AUTHENTICATE_KEY, version, &req, resp), 0);
}

static kslice plain_msg(char *buf, size_t size, const char *user, const char *password)
{
    int n = snprintf(buf, size, "%c%s%c%s", 0, user, 0, password);
    return (kslice){(const uint8_t *)buf, (size_t)n};
}

/* Handshake and PLAIN; returns the SaslAuthenticate error code. */
static int16_t plain_login(sconn *c, const char *user, const char *password,
                           kp_sasl_authenticate_response *out)
{
    ck_assert_int_eq(handshake(c, 1, "PLAIN", NULL), 0);
    char buf[256];
    kp_sasl_authenticate_response resp;
    authenticate(c, 2, plain_msg(buf, sizeof(buf), user, password), &resp);
    if (out) *out = resp;
    return resp.error_code;
}

/* ------------------------------------------------------------------ TLS */

START_TEST(test_tls_handshake_with_the_ca_serves_api_versions)
{
    start("SSL", NULL, 0);
    sconn c;
    ck_assert_int_eq(s_open(&c, true, NULL, NULL), 0);
    ck_assert_int_eq(SSL_get_verify_result(c.ssl), X509_V_OK);
    kp_api_versions_response resp;
    ck_assert_int_eq(api_versions(&c, &resp), 0);
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_gt(resp.n_api_keys, 10);
    for (int32_t i = 0; i < resp.n_api_keys; i++) /* SSL alone: no SASL */
        ck_assert_int_ne(resp.api_keys[i].api_key, KP_SASL_HANDSHAKE_KEY);
    ck_assert_int_eq(metadata(&c), 0);
    char principal[64];
    ck_assert_int_eq(kfk_mock_last_principal(mc, principal, sizeof(principal)), 0);
    ck_assert_str_eq(principal, "User:ANONYMOUS");
    s_close(&c);
}
END_TEST

START_TEST(test_tls_serves_both_tls12_and_tls13)
{
    start("SSL", NULL, 0);
    static const int versions[] = {TLS1_2_VERSION, TLS1_3_VERSION};
    for (size_t i = 0; i < 2; i++) {
        int v = versions[i];
        sconn c;
        memset(&c, 0, sizeof(c));
        c.fd = mt_dial(kfk_mock_broker_port(mc, 1));
        c.ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_min_proto_version(c.ctx, v);
        SSL_CTX_set_max_proto_version(c.ctx, v);
        c.ssl = SSL_new(c.ctx);
        SSL_set_fd(c.ssl, c.fd);
        ck_assert_int_eq(SSL_connect(c.ssl), 1);
        ck_assert_int_eq(SSL_version(c.ssl), v);
        kp_api_versions_response resp;
        ck_assert_int_eq(api_versions(&c, &resp), 0);
        s_close(&c);
    }
}
END_TEST

START_TEST(test_tls_carries_large_requests_and_responses)
{
    start("SSL", NULL, 0);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "big", 1, 1), 0);
    sconn c;
    ck_assert_int_eq(s_open(&c, true, NULL, NULL), 0);
    kbuf batch = {0};
    kbuf_reset(&batch);
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &batch, 0, 1000, -1, -1, -1, 0, 0), 0);
    static char value[100000];
    memset(value, 'x', sizeof(value));
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(kbatch_writer_append(&w, 1000 + i, kwire_cstr("k"),
                                              (kslice){(const uint8_t *)value, sizeof(value)}, NULL,
                                              0),
                         0);
    kslice records;
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &records), 0);
    kuuid zero = {{0}};
    mt_produce_req p;
    mt_produce_req_init(&p, NULL, "big", zero, 0, records, -1);
    kp_produce_response presp;
    ck_assert_int_eq(s_call(&c, KP_PRODUCE_KEY, 9, &p.req, &presp), 0);
    ck_assert_int_eq(presp.responses[0].partition_responses[0].error_code, 0);
    mt_fetch f;
    mt_fetch_init(&f, "big", zero, 0, 0, 100);
    f.part.partition_max_bytes = 1 << 22;
    f.req.max_bytes = 1 << 22;
    kp_fetch_response fresp;
    ck_assert_int_eq(s_call(&c, KP_FETCH_KEY, 12, &f.req, &fresp), 0);
    ck_assert_int_eq(mt_count_records(fresp.responses[0].partitions[0].records, 0), 5);
    kbuf_free(&batch);
    s_close(&c);
}
END_TEST

START_TEST(test_tls_carries_out_requests_sent_before_the_peer_closed)
{
    start("SSL", NULL, 0);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    sconn c;
    ck_assert_int_eq(s_open(&c, true, NULL, NULL), 0);
    kbuf batch = {0};
    kuuid zero = {{0}};
    mt_produce_req p;
    mt_produce_req_init(&p, NULL, "t", zero, 0, mt_batch(&batch, 3, 1000, -1, -1, -1), 0);
    ck_assert_int_eq(kproto_write_request(&c.frame, KP_PRODUCE_KEY, 9, 1, kwire_cstr("t"), &p.req),
                     0);
    ck_assert_int_eq(s_write(&c, c.frame.data, c.frame.len), 0);
    SSL_shutdown(c.ssl);
    s_close(&c);
    int64_t hw = 0;
    for (int i = 0; i < 200 && hw < 3; i++) {
        usleep(10 * 1000);
        ck_assert_int_eq(kfk_mock_partition_offsets(mc, "t", 0, NULL, &hw), 0);
    }
    ck_assert_int_eq(hw, 3);
    kbuf_free(&batch);
}
END_TEST

START_TEST(test_mtls_refuses_a_client_without_a_certificate)
{
    start("SSL", pki->ca_cert, 0);
    sconn c;
    /* TLS 1.3 clients finish before the server has checked them: the
     * refusal shows on the first read. */
    bool refused = s_open(&c, true, NULL, NULL) != 0;
    if (!refused) {
        kp_api_versions_response resp;
        refused = api_versions(&c, &resp) != 0;
    }
    ck_assert(refused);
    s_close(&c);
}
END_TEST

START_TEST(test_mtls_accepts_a_ca_signed_client_as_its_subject)
{
    start("SSL", pki->ca_cert, 0);
    sconn c;
    ck_assert_int_eq(s_open(&c, true, pki->client_cert, pki->client_key), 0);
    kp_api_versions_response resp;
    ck_assert_int_eq(api_versions(&c, &resp), 0);
    char principal[64];
    kfk_mock_last_principal(mc, principal, sizeof(principal));
    ck_assert_str_eq(principal, "User:CN=kfk-client");
    s_close(&c);
}
END_TEST

START_TEST(test_mtls_refuses_a_certificate_of_another_ca)
{
    start("SSL", pki->ca_cert, 0);
    sconn c;
    bool refused = s_open(&c, true, pki->rogue_server_cert, pki->rogue_server_key) != 0;
    if (!refused) {
        kp_api_versions_response resp;
        refused = api_versions(&c, &resp) != 0;
    }
    ck_assert(refused);
    s_close(&c);
}
END_TEST

START_TEST(test_fail_handshakes_fails_the_next_handshakes_only)
{
    start("SSL", NULL, 0);
    kfk_mock_fail_handshakes(mc, 2);
    for (int i = 0; i < 2; i++) {
        sconn c;
        ck_assert_int_ne(s_open(&c, true, NULL, NULL), 0);
        ck_assert_int_eq(c.tls_error, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
        s_close(&c);
    }
    sconn c;
    ck_assert_int_eq(s_open(&c, true, NULL, NULL), 0);
    kp_api_versions_response resp;
    ck_assert_int_eq(api_versions(&c, &resp), 0);
    s_close(&c);
}
END_TEST

START_TEST(test_new_secure_refuses_bad_settings)
{
    kfk_mock_security sec = {.protocol = "TLS"};
    ck_assert_ptr_null(kfk_mock_cluster_new_secure(1, &sec));
    sec = (kfk_mock_security){.protocol = "SSL"}; /* no certificate */
    ck_assert_ptr_null(kfk_mock_cluster_new_secure(1, &sec));
    sec = (kfk_mock_security){.protocol = "SSL",
                              .cert_pem = pki->server_cert,
                              .key_pem = pki->client_key}; /* not its key */
    ck_assert_ptr_null(kfk_mock_cluster_new_secure(1, &sec));
    sec = (kfk_mock_security){.protocol = "SASL_PLAINTEXT", .sasl_mechanisms = "GSSAPI"};
    ck_assert_ptr_null(kfk_mock_cluster_new_secure(1, &sec));
    sec = (kfk_mock_security){.protocol = "SASL_PLAINTEXT", .client_ca_pem = pki->ca_cert};
    ck_assert_ptr_null(kfk_mock_cluster_new_secure(1, &sec));
    ck_assert_int_eq(kfk_mock_authentications(NULL), -1);
}
END_TEST

/* ------------------------------------------------------- SaslHandshake */

START_TEST(test_sasl_handshake_lists_the_enabled_mechanisms)
{
    kfk_mock_security sec = {.protocol = "SASL_PLAINTEXT",
                             .sasl_mechanisms = "SCRAM-SHA-512, PLAIN"};
    mc = kfk_mock_cluster_new_secure(1, &sec);
    sconn c;
    s_open(&c, false, NULL, NULL);
    kp_api_versions_response av;
    ck_assert_int_eq(api_versions(&c, &av), 0);
    int sasl_keys = 0;
    for (int32_t i = 0; i < av.n_api_keys; i++) {
        if (av.api_keys[i].api_key == KP_SASL_HANDSHAKE_KEY) {
            ck_assert_int_eq(av.api_keys[i].max_version, 1);
            sasl_keys++;
        }
        if (av.api_keys[i].api_key == KP_SASL_AUTHENTICATE_KEY) {
            ck_assert_int_eq(av.api_keys[i].max_version, 2);
            sasl_keys++;
        }
    }
    ck_assert_int_eq(sasl_keys, 2);
    kp_sasl_handshake_response resp;
    ck_assert_int_eq(handshake(&c, 1, "PLAIN", &resp), 0);
    ck_assert_int_eq(resp.n_mechanisms, 2);
    ck_assert(kwire_eq(resp.mechanisms[0], kwire_cstr("SCRAM-SHA-512")));
    ck_assert(kwire_eq(resp.mechanisms[1], kwire_cstr("PLAIN")));
    s_close(&c);

    s_open(&c, false, NULL, NULL);
    ck_assert_int_eq(handshake(&c, 1, "OAUTHBEARER", &resp), KFK_ERR_UNSUPPORTED_SASL_MECHANISM);
    ck_assert_int_eq(resp.n_mechanisms, 2);
    ck_assert(s_closed(&c));
    s_close(&c);
}
END_TEST

START_TEST(test_plaintext_clusters_do_not_speak_sasl)
{
    mc = kfk_mock_cluster_new(1);
    sconn c;
    s_open(&c, false, NULL, NULL);
    kp_api_versions_response av;
    ck_assert_int_eq(api_versions(&c, &av), 0);
    for (int32_t i = 0; i < av.n_api_keys; i++) {
        ck_assert_int_ne(av.api_keys[i].api_key, KP_SASL_HANDSHAKE_KEY);
        ck_assert_int_ne(av.api_keys[i].api_key, KP_SASL_AUTHENTICATE_KEY);
    }
    kp_sasl_handshake_request req;
    kp_sasl_handshake_request_init(&req);
    req.mechanism = kwire_cstr("PLAIN");
    kp_sasl_handshake_response resp;
    ck_assert_int_ne(s_call(&c, KP_SASL_HANDSHAKE_KEY, 1, &req, &resp), 0);
    s_close(&c);
}
END_TEST

START_TEST(test_metadata_before_authentication_closes_the_connection)
{
    start("SASL_PLAINTEXT", NULL, 0);
    sconn c;
    s_open(&c, false, NULL, NULL);
    kp_api_versions_response av;
    ck_assert_int_eq(api_versions(&c, &av), 0);
    ck_assert_int_ne(metadata(&c), 0);
    s_close(&c);
    /* Also between the handshake and SaslAuthenticate. */
    s_open(&c, false, NULL, NULL);
    ck_assert_int_eq(handshake(&c, 1, "PLAIN", NULL), 0);
    ck_assert_int_ne(metadata(&c), 0);
    s_close(&c);
    /* And SaslAuthenticate without a handshake. */
    s_open(&c, false, NULL, NULL);
    char buf[64];
    kp_sasl_authenticate_request req;
    kp_sasl_authenticate_request_init(&req);
    req.auth_bytes = plain_msg(buf, sizeof(buf), "alice", "alice-secret");
    kp_sasl_authenticate_response resp;
    ck_assert_int_ne(s_call(&c, KP_SASL_AUTHENTICATE_KEY, 2, &req, &resp), 0);
    s_close(&c);
    ck_assert_int_eq(kfk_mock_authentications(mc), 0);
}
END_TEST

/* ---------------------------------------------------------------- PLAIN */

START_TEST(test_plain_accepts_the_right_password)
{
    start("SASL_PLAINTEXT", NULL, 0);
    sconn c;
    s_open(&c, false, NULL, NULL);
    kp_sasl_authenticate_response resp;
    ck_assert_int_eq(plain_login(&c, "alice", "alice-secret", &resp), 0);
    ck_assert_int_eq(resp.auth_bytes.len, 0);
    ck_assert_int_eq(resp.session_lifetime_ms, 0);
    ck_assert_int_eq(metadata(&c), 0);
    ck_assert_int_eq(kfk_mock_authentications(mc), 1);
    char principal[64];
    kfk_mock_last_principal(mc, principal, sizeof(principal));
    ck_assert_str_eq(principal, "User:alice");
    s_close(&c);
}
END_TEST

START_TEST(test_plain_refuses_a_wrong_password_or_user)
{
    start("SASL_PLAINTEXT", NULL, 0);
    const char *creds[][2] = {{"alice", "bob-secret"}, {"carol", "alice-secret"}};
    for (int i = 0; i < 2; i++) {
        sconn c;
        s_open(&c, false, NULL, NULL);
        kp_sasl_authenticate_response resp;
        ck_assert_int_eq(plain_login(&c, creds[i][0], creds[i][1], &resp),
                         KFK_ERR_SASL_AUTHENTICATION_FAILED);
        ck_assert(kwire_eq(resp.error_message,
                           kwire_cstr("Authentication failed: Invalid username or password")));
        ck_assert(s_closed(&c));
        s_close(&c);
    }
    ck_assert_int_eq(kfk_mock_authentications(mc), 0);
}
END_TEST

START_TEST(test_plain_over_a_v0_handshake_uses_raw_tokens)
{
    start("SASL_PLAINTEXT", NULL, 0);
    sconn c;
    s_open(&c, false, NULL, NULL);
    ck_assert_int_eq(handshake(&c, 0, "PLAIN", NULL), 0);
    char buf[64];
    kslice tok = plain_msg(buf, sizeof(buf), "bob", "bob-secret");
    uint8_t hdr[4] = {0, 0, 0, (uint8_t)tok.len};
    ck_assert_int_eq(s_write(&c, hdr, 4), 0);
    ck_assert_int_eq(s_write(&c, tok.ptr, tok.len), 0);
    ck_assert_int_eq(s_recv_frame(&c), 0);
    ck_assert_int_eq(c.resp.len, 0);
    ck_assert_int_eq(metadata(&c), 0);
    s_close(&c);
}
END_TEST

/* ---------------------------------------------------------------- SCRAM */

typedef struct scram_client {
    const EVP_MD *md;
    char nonce[64];
    char first_bare[256];
    char server_first[256];
    uint8_t salted[64];
    size_t n;
} scram_client;

static size_t b64_decode(uint8_t *out, const char *s, size_t len)
{
    int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
    ck_assert_int_ge(n, 0);
    while (len && s[len - 1] == '=') {
        n--;
        len--;
    }
    return (size_t)n;
}

static void hmac(const EVP_MD *md, const uint8_t *key, size_t key_len, const char *msg,
                 uint8_t *out)
{
    unsigned len;
    ck_assert_ptr_nonnull(
        HMAC(md, key, (int)key_len, (const uint8_t *)msg, strlen(msg), out, &len));
}

/* Sends client-first, reads server-first; 0 or the error code. */
static int16_t scram_first(sconn *c, scram_client *sc, const char *mech, const char *user)
{
    sc->md = !strcmp(mech, "SCRAM-SHA-512") ? EVP_sha512() : EVP_sha256();
    sc->n = (size_t)EVP_MD_get_size(sc->md);
    uint8_t raw[18];
    RAND_bytes(raw, sizeof(raw));
    EVP_EncodeBlock((unsigned char *)sc->nonce, raw, sizeof(raw));
    snprintf(sc->first_bare, sizeof(sc->first_bare), "n=%s,r=%s", user, sc->nonce);
    char first[300];
    snprintf(first, sizeof(first), "n,,%s", sc->first_bare);
    ck_assert_int_eq(handshake(c, 1, mech, NULL), 0);
    kp_sasl_authenticate_response resp;
    authenticate(c, 2, kwire_cstr(first), &resp);
    if (resp.error_code) return resp.error_code;
    ck_assert_int_lt(resp.auth_bytes.len, sizeof(sc->server_first));
    memcpy(sc->server_first, resp.auth_bytes.ptr, resp.auth_bytes.len);
    sc->server_first[resp.auth_bytes.len] = '\0';
    return 0;
}

/* Sends client-final with password (nonce_tweak: corrupt the nonce) and
 * checks the server signature of a success; returns the error code. */
static int16_t scram_final(sconn *c, scram_client *sc, const char *password, bool nonce_tweak,
                           kp_sasl_authenticate_response *out)
{
    char nonce[128], salt_b64[64];
    int iterations = 0;
    ck_assert_int_eq(
        sscanf(sc->server_first, "r=%127[^,],s=%63[^,],i=%d", nonce, salt_b64, &iterations), 3);
    ck_assert_int_eq(iterations, 4096);
    ck_assert_int_eq(strncmp(nonce, sc->nonce, strlen(sc->nonce)), 0);
    ck_assert_int_gt(strlen(nonce), strlen(sc->nonce));
    uint8_t salt[64];
    size_t salt_len = b64_decode(salt, salt_b64, strlen(salt_b64));
    ck_assert_int_eq(PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len,
                                       iterations, sc->md, (int)sc->n, sc->salted),
                     1);
    if (nonce_tweak) nonce[strlen(nonce) - 1] ^= 1;
    char without_proof[200], auth_message[800];
    snprintf(without_proof, sizeof(without_proof), "c=biws,r=%s", nonce);
    snprintf(auth_message, sizeof(auth_message), "%s,%s,%s", sc->first_bare, sc->server_first,
             without_proof);
    uint8_t client_key[64], stored_key[64], client_sig[64], proof[64];
    hmac(sc->md, sc->salted, sc->n, "Client Key", client_key);
    unsigned len;
    EVP_Digest(client_key, sc->n, stored_key, &len, sc->md, NULL);
    hmac(sc->md, stored_key, sc->n, auth_message, client_sig);
    for (size_t i = 0; i < sc->n; i++)
        proof[i] = client_key[i] ^ client_sig[i];
    char proof_b64[100], final[400];
    EVP_EncodeBlock((unsigned char *)proof_b64, proof, (int)sc->n);
    snprintf(final, sizeof(final), "%s,p=%s", without_proof, proof_b64);
    kp_sasl_authenticate_response resp;
    authenticate(c, 2, kwire_cstr(final), &resp);
    if (out) *out = resp;
    if (resp.error_code) return resp.error_code;
    /* The server proves it knows the credentials too. */
    uint8_t server_key[64], server_sig[64];
    hmac(sc->md, sc->salted, sc->n, "Server Key", server_key);
    hmac(sc->md, server_key, sc->n, auth_message, server_sig);
    char want[120];
    strcpy(want, "v=");
    EVP_EncodeBlock((unsigned char *)want + 2, server_sig, (int)sc->n);
    ck_assert(kwire_eq(resp.auth_bytes, kwire_cstr(want)));
    return 0;
}

static void scram_login_ok(sconn *c, const char *mech, const char *user, const char *password)
{
    scram_client sc;
    ck_assert_int_eq(scram_first(c, &sc, mech, user), 0);
    ck_assert_int_eq(scram_final(c, &sc, password, false, NULL), 0);
}

START_TEST(test_scram_sha_256_and_512_authenticate)
{
    start("SASL_PLAINTEXT", NULL, 0);
    const char *mechs[][2] = {{"SCRAM-SHA-256", "alice-256"}, {"SCRAM-SHA-512", "alice-512"}};
    for (int i = 0; i < 2; i++) {
        sconn c;
        s_open(&c, false, NULL, NULL);
        scram_login_ok(&c, mechs[i][0], "alice", mechs[i][1]);
        ck_assert_int_eq(metadata(&c), 0);
        s_close(&c);
    }
    ck_assert_int_eq(kfk_mock_authentications(mc), 2);
}
END_TEST

START_TEST(test_scram_refuses_a_wrong_password)
{
    start("SASL_PLAINTEXT", NULL, 0);
    sconn c;
    s_open(&c, false, NULL, NULL);
    scram_client sc;
    ck_assert_int_eq(scram_first(&c, &sc, "SCRAM-SHA-256", "alice"), 0);
    kp_sasl_authenticate_response resp;
    /* The 512 password is not the 256 one: users are per mechanism. */
    ck_assert_int_eq(scram_final(&c, &sc, "alice-512", false, &resp),
                     KFK_ERR_SASL_AUTHENTICATION_FAILED);
    ck_assert(kwire_eq(resp.error_message,
                       kwire_cstr("Authentication failed during authentication due to invalid "
                                  "credentials with SASL mechanism SCRAM-SHA-256")));
    ck_assert(s_closed(&c));
    s_close(&c);
}
END_TEST

START_TEST(test_scram_refuses_a_tampered_nonce)
{
    start("SASL_PLAINTEXT", NULL, 0);
    sconn c;
    s_open(&c, false, NULL, NULL);
    scram_client sc;
    ck_assert_int_eq(scram_first(&c, &sc, "SCRAM-SHA-512", "alice"), 0);
    ck_assert_int_eq(scram_final(&c, &sc, "alice-512", true, NULL),
                     KFK_ERR_SASL_AUTHENTICATION_FAILED);
    ck_assert(s_closed(&c));
    s_close(&c);
    ck_assert_int_eq(kfk_mock_authentications(mc), 0);
}
END_TEST

START_TEST(test_scram_refuses_an_unknown_user_at_client_first)
{
    start("SASL_PLAINTEXT", NULL, 0);
    sconn c;
    s_open(&c, false, NULL, NULL);
    scram_client sc;
    /* As Kafka: the credential lookup fails the first message. */
    ck_assert_int_eq(scram_first(&c, &sc, "SCRAM-SHA-256", "mallory"),
                     KFK_ERR_SASL_AUTHENTICATION_FAILED);
    ck_assert(s_closed(&c));
    s_close(&c);
}
END_TEST

START_TEST(test_scram_over_tls_authenticates)
{
    start("SASL_SSL", NULL, 0);
    sconn c;
    ck_assert_int_eq(s_open(&c, true, NULL, NULL), 0);
    kp_api_versions_response av;
    ck_assert_int_eq(api_versions(&c, &av), 0);
    scram_login_ok(&c, "SCRAM-SHA-512", "alice", "alice-512");
    ck_assert_int_eq(metadata(&c), 0);
    char principal[64];
    kfk_mock_last_principal(mc, principal, sizeof(principal));
    ck_assert_str_eq(principal, "User:alice");
    s_close(&c);
}
END_TEST

/* ---------------------------------------------------------- OAUTHBEARER */

static void b64url(char *out, const char *s)
{
    int n = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)strlen(s));
    while (n && out[n - 1] == '=')
        out[--n] = '\0';
    for (int i = 0; i < n; i++)
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
}

/* "n,,\x01auth=Bearer <unsecured JWT for sub expiring at exp>\x01\x01" */
static kslice oauth_msg(char *buf, size_t size, const char *sub, int64_t exp)
{
    char header[64], payload[256], h64[128], p64[400];
    snprintf(header, sizeof(header), "{\"alg\":\"none\"}");
    snprintf(payload, sizeof(payload), "{\"iat\":%lld,\"sub\":\"%s\",\"exp\":%lld}",
             (long long)time(NULL) - 10, sub, (long long)exp);
    b64url(h64, header);
    b64url(p64, payload);
    int n = snprintf(buf, size,
                     "n,,\x01"
                     "auth=Bearer %s.%s.\x01"
                     "traceId=42\x01\x01",
                     h64, p64);
    return (kslice){(const uint8_t *)buf, (size_t)n};
}

START_TEST(test_oauthbearer_accepts_an_unsecured_jwt)
{
    start("SASL_PLAINTEXT", NULL, 0);
    sconn c;
    s_open(&c, false, NULL, NULL);
    ck_assert_int_eq(handshake(&c, 1, "OAUTHBEARER", NULL), 0);
    char buf[1024];
    kp_sasl_authenticate_response resp;
    authenticate(&c, 2, oauth_msg(buf, sizeof(buf), "carol", time(NULL) + 3600), &resp);
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_eq(resp.auth_bytes.len, 0);
    ck_assert_int_eq(metadata(&c), 0);
    char principal[64];
    kfk_mock_last_principal(mc, principal, sizeof(principal));
    ck_assert_str_eq(principal, "User:carol");
    s_close(&c);
}
END_TEST

START_TEST(test_oauthbearer_refuses_an_expired_jwt_as_kafka)
{
    start("SASL_PLAINTEXT", NULL, 0);
    sconn c;
    s_open(&c, false, NULL, NULL);
    ck_assert_int_eq(handshake(&c, 1, "OAUTHBEARER", NULL), 0);
    char buf[1024];
    kp_sasl_authenticate_response resp;
    authenticate(&c, 2, oauth_msg(buf, sizeof(buf), "carol", time(NULL) - 60), &resp);
    /* RFC 7628: the error comes as a challenge, the failure after %x01. */
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert(kwire_eq(resp.auth_bytes, kwire_cstr("{\"status\":\"invalid_token\"}")));
    authenticate(&c, 2, kwire_cstr("\x01"), &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_SASL_AUTHENTICATION_FAILED);
    ck_assert(kwire_eq(resp.error_message, kwire_cstr("{\"status\":\"invalid_token\"}")));
    ck_assert(s_closed(&c));
    s_close(&c);
    ck_assert_int_eq(kfk_mock_authentications(mc), 0);
}
END_TEST

START_TEST(test_oauthbearer_refuses_a_malformed_message)
{
    start("SASL_PLAINTEXT", NULL, 0);
    sconn c;
    s_open(&c, false, NULL, NULL);
    ck_assert_int_eq(handshake(&c, 1, "OAUTHBEARER", NULL), 0);
    kp_sasl_authenticate_response resp;
    authenticate(&c, 2, kwire_cstr("n,,auth=Bearer x"), &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_SASL_AUTHENTICATION_FAILED);
    ck_assert(s_closed(&c));
    s_close(&c);
}
END_TEST

/* ------------------------------------------------------------- failures */

START_TEST(test_fail_authentications_fails_good_credentials)
{
    start("SASL_PLAINTEXT", NULL, 0);
    kfk_mock_fail_authentications(mc, 1);
    sconn c;
    s_open(&c, false, NULL, NULL);
    kp_sasl_authenticate_response resp;
    ck_assert_int_eq(plain_login(&c, "alice", "alice-secret", &resp),
                     KFK_ERR_SASL_AUTHENTICATION_FAILED);
    ck_assert(kwire_eq(resp.error_message,
                       kwire_cstr("Authentication failed during authentication due to invalid "
                                  "credentials with SASL mechanism PLAIN")));
    ck_assert(s_closed(&c));
    s_close(&c);
    s_open(&c, false, NULL, NULL);
    ck_assert_int_eq(plain_login(&c, "alice", "alice-secret", NULL), 0);
    s_close(&c);
    ck_assert_int_eq(kfk_mock_authentications(mc), 1);
}
END_TEST

/* ------------------------------------------------------------ KIP-368 */

START_TEST(test_session_lifetime_closes_an_expired_connection)
{
    start("SASL_PLAINTEXT", NULL, 300);
    sconn c;
    s_open(&c, false, NULL, NULL);
    kp_sasl_authenticate_response resp;
    ck_assert_int_eq(plain_login(&c, "alice", "alice-secret", &resp), 0);
    ck_assert_int_eq(resp.session_lifetime_ms, 300);
    ck_assert_int_eq(metadata(&c), 0);
    usleep(400 * 1000);
    ck_assert_int_ne(metadata(&c), 0);
    s_close(&c);
}
END_TEST

START_TEST(test_reauthentication_keeps_the_connection_open)
{
    start("SASL_PLAINTEXT", NULL, 300);
    sconn c;
    s_open(&c, false, NULL, NULL);
    ck_assert_int_eq(plain_login(&c, "alice", "alice-secret", NULL), 0);
    usleep(400 * 1000);
    kp_sasl_authenticate_response resp;
    ck_assert_int_eq(plain_login(&c, "alice", "alice-secret", &resp), 0);
    ck_assert_int_eq(resp.session_lifetime_ms, 300);
    ck_assert_int_eq(metadata(&c), 0);
    ck_assert_int_eq(kfk_mock_authentications(mc), 2);
    /* SCRAM re-authenticates too. */
    s_close(&c);
    s_open(&c, false, NULL, NULL);
    scram_login_ok(&c, "SCRAM-SHA-256", "alice", "alice-256");
    usleep(400 * 1000);
    scram_login_ok(&c, "SCRAM-SHA-256", "alice", "alice-256");
    ck_assert_int_eq(metadata(&c), 0);
    ck_assert_int_eq(kfk_mock_authentications(mc), 4);
    s_close(&c);
}
END_TEST

START_TEST(test_reauthentication_keeps_principal_and_mechanism)
{
    start("SASL_PLAINTEXT", NULL, 0);
    sconn c;
    s_open(&c, false, NULL, NULL);
    ck_assert_int_eq(plain_login(&c, "alice", "alice-secret", NULL), 0);
    kp_sasl_authenticate_response resp;
    ck_assert_int_eq(plain_login(&c, "bob", "bob-secret", &resp),
                     KFK_ERR_SASL_AUTHENTICATION_FAILED);
    ck_assert(kwire_eq(resp.error_message,
                       kwire_cstr("Cannot change principals during re-authentication from "
                                  "User.alice: User.bob")));
    ck_assert(s_closed(&c));
    s_close(&c);

    s_open(&c, false, NULL, NULL);
    ck_assert_int_eq(plain_login(&c, "alice", "alice-secret", NULL), 0);
    scram_client sc;
    ck_assert_int_eq(scram_first(&c, &sc, "SCRAM-SHA-256", "alice"),
                     KFK_ERR_SASL_AUTHENTICATION_FAILED);
    ck_assert(s_closed(&c));
    s_close(&c);
    ck_assert_int_eq(kfk_mock_authentications(mc), 2);
}
END_TEST

START_TEST(test_oauthbearer_session_is_bounded_by_the_token)
{
    start("SASL_PLAINTEXT", NULL, 3600 * 1000);
    sconn c;
    s_open(&c, false, NULL, NULL);
    ck_assert_int_eq(handshake(&c, 1, "OAUTHBEARER", NULL), 0);
    char buf[1024];
    kp_sasl_authenticate_response resp;
    authenticate(&c, 1, oauth_msg(buf, sizeof(buf), "carol", time(NULL) + 60), &resp);
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_gt(resp.session_lifetime_ms, 50 * 1000);
    ck_assert_int_le(resp.session_lifetime_ms, 60 * 1000);
    s_close(&c);
}
END_TEST

/* ---------------------------------------------------------------- kcerts */

START_TEST(test_kcerts_write_makes_files_openssl_reads)
{
    char dir[] = "/tmp/kcerts-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(kcerts_write(pki, dir, "changeit"), 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/client-encrypted.key", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, (void *)"changeit");
    fclose(f);
    ck_assert_ptr_nonnull(k);
    EVP_PKEY_free(k);
    snprintf(path, sizeof(path), "%s/client.p12", dir);
    f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    PKCS12 *p12 = d2i_PKCS12_fp(f, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(p12);
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    ck_assert_int_eq(PKCS12_parse(p12, "changeit", &key, &cert, &ca), 1);
    ck_assert_ptr_nonnull(key);
    ck_assert_ptr_nonnull(cert);
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    PKCS12_free(p12);
    const char *names[] = {
        "ca.pem",        "ca.key",       "server.pem",       "server.key",           "wrong.pem",
        "wrong.key",     "client.pem",   "client.key",       "client-encrypted.key", "other.pem",
        "other.key",     "rogue-ca.pem", "rogue-server.pem", "rogue-server.key",     "client.p12",
        "truststore.p12"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        ck_assert_int_eq(unlink(path), 0);
    }
    rmdir(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mock_security");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, pki_setup, teardown);
    tcase_add_test(tc, test_tls_handshake_with_the_ca_serves_api_versions);
    tcase_add_test(tc, test_tls_serves_both_tls12_and_tls13);
    tcase_add_test(tc, test_tls_carries_large_requests_and_responses);
    tcase_add_test(tc, test_tls_carries_out_requests_sent_before_the_peer_closed);
    tcase_add_test(tc, test_mtls_refuses_a_client_without_a_certificate);
    tcase_add_test(tc, test_mtls_accepts_a_ca_signed_client_as_its_subject);
    tcase_add_test(tc, test_mtls_refuses_a_certificate_of_another_ca);
    tcase_add_test(tc, test_fail_handshakes_fails_the_next_handshakes_only);
    tcase_add_test(tc, test_new_secure_refuses_bad_settings);
    tcase_add_test(tc, test_sasl_handshake_lists_the_enabled_mechanisms);
    tcase_add_test(tc, test_plaintext_clusters_do_not_speak_sasl);
    tcase_add_test(tc, test_metadata_before_authentication_closes_the_connection);
    tcase_add_test(tc, test_plain_accepts_the_right_password);
    tcase_add_test(tc, test_plain_refuses_a_wrong_password_or_user);
    tcase_add_test(tc, test_plain_over_a_v0_handshake_uses_raw_tokens);
    tcase_add_test(tc, test_scram_sha_256_and_512_authenticate);
    tcase_add_test(tc, test_scram_refuses_a_wrong_password);
    tcase_add_test(tc, test_scram_refuses_a_tampered_nonce);
    tcase_add_test(tc, test_scram_refuses_an_unknown_user_at_client_first);
    tcase_add_test(tc, test_scram_over_tls_authenticates);
    tcase_add_test(tc, test_oauthbearer_accepts_an_unsecured_jwt);
    tcase_add_test(tc, test_oauthbearer_refuses_an_expired_jwt_as_kafka);
    tcase_add_test(tc, test_oauthbearer_refuses_a_malformed_message);
    tcase_add_test(tc, test_fail_authentications_fails_good_credentials);
    tcase_add_test(tc, test_session_lifetime_closes_an_expired_connection);
    tcase_add_test(tc, test_reauthentication_keeps_the_connection_open);
    tcase_add_test(tc, test_reauthentication_keeps_principal_and_mechanism);
    tcase_add_test(tc, test_oauthbearer_session_is_bounded_by_the_token);
    tcase_add_test(tc, test_kcerts_write_makes_files_openssl_reads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
