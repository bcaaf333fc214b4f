/* TLS for broker connections, on OpenSSL 3.
 *
 * A ktls_ctx is built once per client from its ssl.* settings (trust
 * store, key store, versions, ciphers, CRL, host name check) and shared by
 * every connection; building it reads the files, so a bad path or
 * password is a configuration error when the client is created, not a
 * failed connection later. A ktls is one connection's session over a
 * non-blocking socket the caller owns: every call returns at once, saying
 * whether it needs the socket readable or writable to go on.
 *
 * Threads: a ktls_ctx is immutable once built and may be used from every
 * I/O thread; a ktls belongs to its connection's loop thread. */
#ifndef KFK_NET_TLS_H
#define KFK_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kfk.h"

typedef struct ktls_ctx ktls_ctx;
typedef struct ktls ktls;

/* The settings a ktls_ctx is built from; strings are NULL or "" when
 * unset. Java's property names, with librdkafka's where Java has none. */
typedef struct ktls_config {
    const char *truststore_location;     /* PEM file, directory of PEM, or PKCS#12 */
    const char *truststore_type;         /* "PEM", "PKCS12"; NULL: from the file */
    const char *truststore_password;     /* PKCS#12 */
    const char *truststore_certificates; /* PEM text */
    const char *keystore_location;       /* PEM (key and chain) or PKCS#12 */
    const char *keystore_type;           /* "PEM", "PKCS12"; NULL: from the file */
    const char *keystore_password;       /* PKCS#12 */
    const char *keystore_certificate_chain; /* PEM text */
    const char *keystore_key;               /* PEM text */
    const char *certificate_location;       /* PEM chain file (librdkafka's name) */
    const char *key_location;               /* PEM key file (librdkafka's name) */
    const char *key_password;               /* for an encrypted PEM key */
    const char *crl_location;               /* PEM CRLs, checked for the whole chain */
    const char *cipher_suites;              /* comma list, IANA or OpenSSL names */
    int min_version, max_version;           /* TLS1_2_VERSION, TLS1_3_VERSION */
    bool verify_hostname;                   /* ssl.endpoint.identification.algorithm=https */
    kfk_ssl_cert_verify_cb *verify_cb;      /* NULL: OpenSSL's verdict stands */
    void *verify_opaque;
} ktls_config;

/* Builds the shared context. NULL with the reason in errstr (naming the
 * property at fault) when a file cannot be read, a password is wrong or
 * a setting is refused. */
ktls_ctx *ktls_ctx_new(const ktls_config *cfg, char *errstr, size_t errlen);
void ktls_ctx_free(ktls_ctx *ctx);

/* What a call needs before it can go on, or why it failed: TLS itself
 * (an alert from the broker, a bad record) or the socket under it (an
 * error, or the broker closing). */
enum {
    KTLS_OK = 0,
    KTLS_WANT_READ = 1,
    KTLS_WANT_WRITE = 2,
    KTLS_ERR_TLS = -1,
    KTLS_ERR_SOCKET = -2,
};

/* A session over fd to host (SNI and the host name check use it). NULL
 * when out of memory. */
ktls *ktls_new(ktls_ctx *ctx, int fd, const char *host, const char *broker_name);
void ktls_free(ktls *t);

/* Moves the handshake on. Returns KTLS_OK once it is done, KTLS_WANT_*,
 * or -1 with the reason in errstr: OpenSSL's certificate verify error
 * ("certificate verify failed: hostname mismatch"), the broker's alert,
 * or the socket's error. */
int ktls_handshake(ktls *t, char *errstr, size_t errlen);

/* Writes up to n bytes. Returns bytes written (> 0), or 0 with *want set
 * (KTLS_WANT_*), or KTLS_ERR_* with the reason in errstr. */
ssize_t ktls_write(ktls *t, const void *p, size_t n, int *want, char *errstr, size_t errlen);

/* Reads up to n bytes. Returns bytes read (> 0), 0 with *want set, or
 * KTLS_ERR_* with the reason in errstr. */
ssize_t ktls_read(ktls *t, void *p, size_t n, int *want, char *errstr, size_t errlen);

/* Whether OpenSSL holds bytes already taken from the socket: epoll will
 * not report them, so the reader must go on. */
bool ktls_has_pending(const ktls *t);

/* The negotiated version and cipher, for logs ("TLSv1.3 TLS_AES_256_GCM_SHA384"). */
void ktls_describe(const ktls *t, char *buf, size_t len);

#endif
