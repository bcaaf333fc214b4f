/* The TLS transport of the mock's SSL and SASL_SSL listeners: a
 * non-blocking OpenSSL server on each connection's socket, which conn.c
 * reads and writes through instead of read() and sendmsg(). Loop thread,
 * except mock_tls_ctx_new and _free, which run at cluster creation and
 * destruction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mock/security.h"

#define TLS_RECORD 16384 /* the most plaintext one TLS record carries */

/* ------------------------------------------------------------- contexts */

static int use_chain(SSL_CTX *ctx, const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    if (!bio) return -1;
    X509 *leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    int rc = leaf && SSL_CTX_use_certificate(ctx, leaf) == 1 ? 0 : -1;
    X509_free(leaf);
    X509 *extra;
    while (!rc && (extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
        if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1) { /* takes extra on success */
            X509_free(extra);
            rc = -1;
        }
    ERR_clear_error(); /* the end of the PEM text */
    BIO_free(bio);
    return rc;
}

static int use_key(SSL_CTX *ctx, const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    int rc = key && SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1
                 ? 0
                 : -1;
    EVP_PKEY_free(key);
    BIO_free(bio);
    return rc;
}

static int trust_client_ca(SSL_CTX *ctx, const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    if (!bio) return -1;
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    int n = 0;
    X509 *ca;
    while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        if (X509_STORE_add_cert(store, ca) == 1) n++;
        X509_NAME *name = X509_NAME_dup(X509_get_subject_name(ca));
        if (names && name)
            sk_X509_NAME_push(names, name);
        else
            X509_NAME_free(name);
        X509_free(ca);
    }
    ERR_clear_error();
    BIO_free(bio);
    if (names) SSL_CTX_set_client_CA_list(ctx, names); /* takes names */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    return n ? 0 : -1;
}

/* kfk_mock_fail_handshakes: a connection marked to fail stops at its
 * ClientHello with a handshake_failure alert. */
static int on_client_hello(SSL *ssl, int *alert, void *arg)
{
    (void)arg;
    mock_session *s = SSL_get_app_data(ssl);
    if (s && s->fail_handshake) {
        *alert = SSL_AD_HANDSHAKE_FAILURE;
        return SSL_CLIENT_HELLO_ERROR;
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

struct ssl_ctx_st *mock_tls_ctx_new(const char *cert_pem, const char *key_pem,
                                    const char *client_ca_pem)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Each connection is its own session: no tickets to keep track of. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_client_hello_cb(ctx, on_client_hello, NULL);
    if (use_chain(ctx, cert_pem) || use_key(ctx, key_pem) ||
        (client_ca_pem && trust_client_ca(ctx, client_ca_pem))) {
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    return ctx;
}

void mock_tls_ctx_free(struct ssl_ctx_st *ctx)
{
    SSL_CTX_free(ctx);
}

/* ---------------------------------------------------------- connections */

int mock_tls_start(mock_session *s, struct ssl_ctx_st *ctx, int fd, bool fail_handshake)
{
    s->ssl = SSL_new(ctx);
    if (!s->ssl || SSL_set_fd(s->ssl, fd) != 1) {
        SSL_free(s->ssl);
        s->ssl = NULL;
        ERR_clear_error();
        return -1;
    }
    s->fail_handshake = fail_handshake;
    SSL_set_app_data(s->ssl, s);
    SSL_set_accept_state(s->ssl);
    return 0;
}

void mock_tls_stop(mock_session *s)
{
    SSL_free(s->ssl);
    s->ssl = NULL;
}

void mock_tls_close_notify(mock_session *s)
{
    /* One try, without waiting for the peer's: the socket closes next.
     * Never after a fatal error, which OpenSSL forbids. */
    if (s->tls_done && !s->tls_failed) SSL_shutdown(s->ssl);
    ERR_clear_error();
}

ssize_t mock_tls_read(mock_session *s, void *p, size_t n)
{
    ERR_clear_error();
    int got = SSL_read(s->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
    if (!s->tls_done && SSL_is_init_finished(s->ssl)) s->tls_done = true;
    if (got > 0) return got;
    switch (SSL_get_error(s->ssl, got)) {
    case SSL_ERROR_WANT_READ:
        return 0;
    case SSL_ERROR_WANT_WRITE: /* the handshake's own output is stuck */
        s->tls_want_write = true;
        return 0;
    case SSL_ERROR_ZERO_RETURN: /* the peer's close_notify */
        return -1;
    default: /* a failed handshake, a broken record or socket */
        s->tls_failed = true;
        ERR_clear_error();
        return -1;
    }
}

ssize_t mock_tls_writev(mock_session *s, const struct iovec *iov, size_t n)
{
    /* A write that would block must be repeated with the same bytes; the
     * queue only grows at its end, so the same length gathers them. */
    size_t want = s->tls_retry_len;
    if (!want)
        for (size_t i = 0; i < n && want < TLS_RECORD; i++)
            want += iov[i].iov_len;
    if (want > TLS_RECORD) want = TLS_RECORD;
    const void *src = iov[0].iov_base;
    if (iov[0].iov_len < want) {
        if (!s->tls_bounce && !(s->tls_bounce = malloc(TLS_RECORD))) {
            errno = ENOMEM;
            return -1;
        }
        size_t len = 0;
        for (size_t i = 0; i < n && len < want; i++) {
            size_t take = iov[i].iov_len < want - len ? iov[i].iov_len : want - len;
            memcpy(s->tls_bounce + len, iov[i].iov_base, take);
            len += take;
        }
        src = s->tls_bounce;
    }
    ERR_clear_error();
    int w = SSL_write(s->ssl, src, (int)want);
    if (w > 0) {
        s->tls_retry_len = 0;
        return w;
    }
    int err = SSL_get_error(s->ssl, w);
    ERR_clear_error();
    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
        s->tls_retry_len = want;
        errno = EAGAIN;
        return -1;
    }
    s->tls_failed = true;
    errno = EPIPE;
    return -1;
}

void mock_tls_principal(mock_session *s, char *out, size_t size)
{
    X509 *peer = SSL_get1_peer_certificate(s->ssl);
    snprintf(out, size, "User:ANONYMOUS");
    if (!peer) return;
    BIO *bio = BIO_new(BIO_s_mem());
    /* RFC 2253, as Java's X500Principal.getName() prints it. */
    if (bio && X509_NAME_print_ex(bio, X509_get_subject_name(peer), 0, XN_FLAG_RFC2253) >= 0) {
        char *text;
        long len = BIO_get_mem_data(bio, &text);
        snprintf(out, size, "User:%.*s", (int)len, text);
    }
    BIO_free(bio);
    X509_free(peer);
}
