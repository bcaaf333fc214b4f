/* What tls_ctx.c (building the context) and tls.c (sessions) share. */
#ifndef KFK_NET_TLS_INT_H
#define KFK_NET_TLS_INT_H

#include <openssl/ssl.h>

#include "net/tls.h"

struct ktls_ctx {
    SSL_CTX *ctx;
    bool verify_hostname;
    kfk_ssl_cert_verify_cb *verify_cb;
    void *verify_opaque;
};

/* OpenSSL's verify callback: hands each certificate to the application's
 * callback, if any, and keeps its reason for the handshake's error. */
int ktls_verify_cb(int preverify_ok, X509_STORE_CTX *store);

#endif
