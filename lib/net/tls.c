/* One connection's TLS session over a non-blocking socket (see tls.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "net/tls_int.h"

struct ktls {
    SSL *ssl;
    const ktls_ctx *ctx;
    const char *broker;   /* "host:port/node", the connection's, for the callback */
    char app_reason[256]; /* why the application's callback refused */
};

static pthread_once_t index_once = PTHREAD_ONCE_INIT;
static int index_value = -1;

static void make_index(void)
{
    index_value = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* The SSL's ex_data slot that points back to its ktls, for the verify
 * callback. */
static int ssl_index(void)
{
    pthread_once(&index_once, make_index);
    return index_value;
}

int ktls_verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    ktls *t = ssl ? SSL_get_ex_data(ssl, ssl_index()) : NULL;
    if (!t || !t->ctx->verify_cb) return preverify_ok;
    X509 *cert = X509_STORE_CTX_get_current_cert(store);
    unsigned char *der = NULL;
    int der_len = cert ? i2d_X509(cert, &der) : -1;
    if (der_len < 0) return 0;
    char reason[sizeof(t->app_reason)] = "";
    bool ok =
        t->ctx->verify_cb(t->ctx->verify_opaque, t->broker, X509_STORE_CTX_get_error_depth(store),
                          preverify_ok != 0, der, (size_t)der_len, reason, sizeof(reason));
    OPENSSL_free(der);
    if (ok) {
        X509_STORE_CTX_set_error(store, X509_V_OK);
        return 1;
    }
    snprintf(t->app_reason, sizeof(t->app_reason), "%s",
             *reason ? reason : "refused by the certificate verify callback");
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

static bool is_ip_literal(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

ktls *ktls_new(ktls_ctx *ctx, int fd, const char *host, const char *broker_name)
{
    ktls *t = calloc(1, sizeof(*t));
    if (!t || !(t->ssl = SSL_new(ctx->ctx))) {
        free(t);
        return NULL;
    }
    t->ctx = ctx;
    t->broker = broker_name;
    SSL_set_ex_data(t->ssl, ssl_index(), t);
    bool ip = is_ip_literal(host);
    /* SNI takes host names only (RFC 6066). */
    if (!ip) SSL_set_tlsext_host_name(t->ssl, host);
    if (ctx->verify_hostname) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);
        /* As Java's HTTPS check: the name must match a DNS SAN (or the CN
         * when there is no SAN), an address an IP SAN, no partial
         * wildcards. */
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        int ok =
            ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) : X509_VERIFY_PARAM_set1_host(vp, host, 0);
        if (!ok) {
            ktls_free(t);
            return NULL;
        }
    }
    SSL_set_fd(t->ssl, fd);
    SSL_set_connect_state(t->ssl);
    return t;
}

void ktls_free(ktls *t)
{
    if (!t) return;
    SSL_free(t->ssl);
    free(t);
}

/* The reason a call failed with SSL_get_error() == err, into errstr. */
static void reason(ktls *t, int err, int saved_errno, char *errstr, size_t errlen)
{
    long vr = SSL_get_verify_result(t->ssl);
    unsigned long e = ERR_peek_last_error();
    if (vr == X509_V_ERR_APPLICATION_VERIFICATION && t->app_reason[0]) {
        snprintf(errstr, errlen, "certificate verify failed: %s", t->app_reason);
    } else if (vr != X509_V_OK && e && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        snprintf(errstr, errlen, "certificate verify failed: %s",
                 X509_verify_cert_error_string(vr));
    } else if (err == SSL_ERROR_SSL && e) {
        const char *r = ERR_reason_error_string(e);
        snprintf(errstr, errlen, "%s", r ? r : "TLS error");
    } else if (err == SSL_ERROR_ZERO_RETURN) {
        snprintf(errstr, errlen, "closed by the broker (TLS close_notify)");
    } else if (saved_errno) {
        snprintf(errstr, errlen, "%s", strerror(saved_errno));
    } else {
        snprintf(errstr, errlen, "closed by the broker");
    }
    ERR_clear_error();
}

/* Maps the outcome of an SSL call that returned rc <= 0 to KTLS_WANT_*,
 * KTLS_ERR_TLS or KTLS_ERR_SOCKET with the reason. */
static int outcome(ktls *t, int rc, char *errstr, size_t errlen)
{
    int saved_errno = errno;
    int err = SSL_get_error(t->ssl, rc);
    if (err == SSL_ERROR_WANT_READ) return KTLS_WANT_READ;
    if (err == SSL_ERROR_WANT_WRITE) return KTLS_WANT_WRITE;
    if (err == SSL_ERROR_SYSCALL && (saved_errno == EINTR)) return KTLS_WANT_READ;
    reason(t, err, err == SSL_ERROR_SYSCALL ? saved_errno : 0, errstr, errlen);
    return err == SSL_ERROR_SSL ? KTLS_ERR_TLS : KTLS_ERR_SOCKET;
}

int ktls_handshake(ktls *t, char *errstr, size_t errlen)
{
    ERR_clear_error();
    errno = 0;
    int rc = SSL_do_handshake(t->ssl);
    if (rc == 1) return KTLS_OK;
    int o = outcome(t, rc, errstr, errlen);
    return o < 0 ? -1 : o;
}

ssize_t ktls_write(ktls *t, const void *p, size_t n, int *want, char *errstr, size_t errlen)
{
    ERR_clear_error();
    errno = 0;
    size_t done = 0;
    if (SSL_write_ex(t->ssl, p, n, &done) == 1) return (ssize_t)done;
    int o = outcome(t, 0, errstr, errlen);
    if (o < 0) return o;
    *want = o;
    return 0;
}

ssize_t ktls_read(ktls *t, void *p, size_t n, int *want, char *errstr, size_t errlen)
{
    ERR_clear_error();
    errno = 0;
    size_t done = 0;
    if (SSL_read_ex(t->ssl, p, n, &done) == 1) return (ssize_t)done;
    int o = outcome(t, 0, errstr, errlen);
    if (o < 0) return o;
    *want = o;
    return 0;
}

bool ktls_has_pending(const ktls *t)
{
    return SSL_has_pending(t->ssl) == 1;
}

void ktls_describe(const ktls *t, char *buf, size_t len)
{
    snprintf(buf, len, "%s %s", SSL_get_version(t->ssl), SSL_get_cipher_name(t->ssl));
}
