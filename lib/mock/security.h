/* The mock cluster's listener security: the TLS transport (tls.c), SASL
 * authentication (sasl.c, sasl_scram.c, sasl_oauthbearer.c) and the state
 * each keeps per cluster and per connection.
 *
 * Threads: mock_security is part of the cluster, under mc->lock; a
 * mock_session belongs to its connection and so to the loop thread. */
#ifndef KFK_MOCK_SECURITY_H
#define KFK_MOCK_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "kfk.h"
#include "kfk_mock.h"
#include "proto/wire.h"

struct ssl_st;
struct ssl_ctx_st;
typedef struct mock_conn mock_conn;

/* SASL mechanisms, as bits of a set. */
enum {
    MOCK_MECH_PLAIN = 1,
    MOCK_MECH_SCRAM_SHA_256 = 2,
    MOCK_MECH_SCRAM_SHA_512 = 4,
    MOCK_MECH_OAUTHBEARER = 8,
};
#define MOCK_MECH_ALL 15
#define MOCK_MAX_MECHS 4

/* Its name, or NULL for anything but one bit of the set. */
const char *mock_mech_name(int mech);
/* The mechanism named by s[0..len), 0 for none. */
int mock_mech_parse(const char *s, size_t len);

#define MOCK_SCRAM_MAX_KEY 64 /* SHA-512 */
#define MOCK_SCRAM_ITERATIONS 4096
#define MOCK_PRINCIPAL_MAX 256

/* A user of one mechanism. SCRAM users keep only salted credentials. */
typedef struct mock_user {
    int mech;
    char *name;
    char *password; /* PLAIN only */
    uint8_t salt[16];
    uint8_t stored_key[MOCK_SCRAM_MAX_KEY];
    uint8_t server_key[MOCK_SCRAM_MAX_KEY];
    int iterations;
} mock_user;

/* The cluster's security settings and counters (mc->lock). */
typedef struct mock_security {
    bool tls, sasl;
    struct ssl_ctx_st *tls_ctx;
    int mechs[MOCK_MAX_MECHS]; /* enabled, in the order configured */
    int n_mechs;
    int64_t session_lifetime_ms;
    mock_user *users;
    size_t n_users, cap_users;
    int fail_handshakes;
    int fail_authentications;
    int authentications;
    char last_principal[MOCK_PRINCIPAL_MAX];
} mock_security;

/* Sets sec up from the public settings (already checked not NULL).
 * KFK_OK, KFK_ERR_INVALID_ARG or KFK_ERR_NO_MEMORY; mock_security_free
 * cleans up after either. */
kfk_err mock_security_init(mock_security *sec, const kfk_mock_security *conf);
void mock_security_free(mock_security *sec);
bool mock_security_has_mech(const mock_security *sec, int mech);
/* A user of mech by name, or NULL. */
const mock_user *mock_user_find(const mock_security *sec, int mech, kslice name);

/* ---------------------------------------------------------------- sessions */

typedef enum mock_sasl_state {
    MOCK_SASL_NONE,         /* no handshake yet */
    MOCK_SASL_AUTHENTICATE, /* handshake done: SaslAuthenticate next */
    MOCK_SASL_DONE,         /* authenticated, no exchange under way */
} mock_sasl_state;

/* A SCRAM exchange between its client-first and client-final. */
typedef struct mock_scram {
    int mech;
    char *client_first_bare;
    char *server_first;
    char *gs2_header;
    char *user;
    uint8_t stored_key[MOCK_SCRAM_MAX_KEY];
    uint8_t server_key[MOCK_SCRAM_MAX_KEY];
} mock_scram;

/* One connection's security state. */
typedef struct mock_session {
    struct ssl_st *ssl; /* NULL: plaintext */
    bool tls_done;      /* the handshake finished */
    bool fail_handshake;
    bool tls_failed;      /* a fatal TLS error: no close_notify */
    bool tls_want_write;  /* the TLS engine waits for the socket to drain */
    size_t tls_retry_len; /* the length of a TLS write to repeat */
    uint8_t *tls_bounce;  /* gathers small writes into one TLS record */

    mock_sasl_state sasl_state;
    bool legacy;        /* SaslHandshake v0: raw SASL tokens follow */
    bool authenticated; /* has been, at least once */
    bool bad_reauth_mech;
    int mech;          /* the mechanism of the exchange under way */
    int authed_mech;   /* the mechanism of the authenticated session */
    int64_t expiry_ns; /* 0: the session does not expire */
    char principal[MOCK_PRINCIPAL_MAX];
    char tls_principal[MOCK_PRINCIPAL_MAX];
    mock_scram scram;
    char *oauth_error; /* a token refused, waiting for the client's %x01 */
} mock_session;

void mock_session_free(mock_session *s);

/* --------------------------------------------------------------------- TLS */

/* A server context from PEM text; NULL on any error. */
struct ssl_ctx_st *mock_tls_ctx_new(const char *cert_pem, const char *key_pem,
                                    const char *client_ca_pem);
void mock_tls_ctx_free(struct ssl_ctx_st *ctx);
/* Starts the server side of TLS on a new connection's fd. -1 on error. */
int mock_tls_start(mock_session *s, struct ssl_ctx_st *ctx, int fd, bool fail_handshake);
/* Sends close_notify (best effort) before the socket closes. */
void mock_tls_close_notify(mock_session *s);
/* Frees the connection's TLS state (sends nothing). */
void mock_tls_stop(mock_session *s);
/* Reads decrypted bytes (driving the handshake first): > 0 bytes, 0 when
 * nothing more is available now, -1 when the connection must close. */
ssize_t mock_tls_read(mock_session *s, void *p, size_t n);
/* Writes (a prefix of) iov[0..n): bytes written, or -1 with errno EAGAIN
 * when the socket is full, another errno when the connection is dead. */
ssize_t mock_tls_writev(mock_session *s, const struct iovec *iov, size_t n);
/* The handshake just finished: the principal "User:<RFC 2253 subject>" of
 * the client certificate, or "User:ANONYMOUS" without one. */
void mock_tls_principal(mock_session *s, char *out, size_t size);

/* -------------------------------------------------------------------- SASL */

/* What a mechanism's step made of a client message. */
typedef enum mock_sasl_step {
    MOCK_STEP_CONTINUE, /* out: a challenge; the exchange goes on */
    MOCK_STEP_DONE,     /* out: the last server message; principal set */
    MOCK_STEP_FAIL,     /* error: the message for the client */
} mock_sasl_step;

typedef struct mock_sasl_result {
    kslice out;        /* in the request's arena or static */
    const char *error; /* static or in the arena */
    char principal[MOCK_PRINCIPAL_MAX];
    int64_t credential_expiry_ms; /* wall clock; 0: none */
} mock_sasl_result;

struct karena;
mock_sasl_step mock_sasl_plain(const mock_security *sec, kslice in, mock_sasl_result *r);
mock_sasl_step mock_sasl_scram(const mock_security *sec, mock_session *s, kslice in,
                               struct karena *arena, mock_sasl_result *r);
mock_sasl_step mock_sasl_oauthbearer(mock_session *s, kslice in, mock_sasl_result *r);
/* Kafka's message for a failure it does not explain to the client. */
const char *mock_sasl_generic_error(struct karena *arena, const mock_session *s);

/* Computes SCRAM credentials for password into u (mech, salt set). 0 or -1. */
int mock_scram_credentials(mock_user *u, const char *password);
void mock_scram_reset(mock_scram *sc);

/* Whether a connection of a SASL listener may send api_key now. */
bool mock_sasl_permits(const mock_session *s, int16_t api_key, int64_t now_ns);
/* Handles a raw SASL token after a v0 handshake: MOCK_DONE or MOCK_CLOSE. */
int mock_sasl_legacy_token(mock_conn *c, const uint8_t *frame, size_t len);

/* Base64 (standard alphabet, padded) of p[0..n) into out (4 * ((n + 2) / 3) + 1 bytes). */
void mock_base64_encode(char *out, const uint8_t *p, size_t n);
/* Decodes base64 or base64url, padded or not; -1 on bad input. out holds
 * at least 3 * (len / 4) + 3 bytes. Returns the byte count. */
ssize_t mock_base64_decode(uint8_t *out, const char *s, size_t len);

#endif
