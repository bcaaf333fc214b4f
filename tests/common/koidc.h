/* An OAuth 2 token endpoint in the test's process, for the OIDC login
 * tests against the mock cluster: it answers POSTs of the
 * client_credentials grant (client id and secret in HTTP Basic auth) with
 * unsecured JWTs ("alg":"none", the only kind the mock broker takes) for
 * the client id, over HTTPS with a certificate of the test PKI or over
 * plain HTTP. Answers alternate between Content-Length and chunked
 * framing, so both are exercised. One thread; connections one at a time. */
#ifndef KFK_TESTS_KOIDC_H
#define KFK_TESTS_KOIDC_H

#include <stdbool.h>

typedef struct koidc_server koidc_server;

typedef struct koidc_server_config {
    const char *cert_pem, *key_pem; /* NULL: plain HTTP */
    const char *client_id, *client_secret;
    int lifetime_s; /* the tokens' exp and expires_in */
    bool malformed; /* answer 200 with a body that is not JSON */
} koidc_server_config;

/* Starts the endpoint on a free loopback port; NULL on failure. */
koidc_server *koidc_server_start(const koidc_server_config *cfg);

/* "https://127.0.0.1:PORT/token" (or http://), valid until stop. */
const char *koidc_server_url(const koidc_server *s);

/* Tokens handed out so far. Any thread. */
int koidc_server_tokens(const koidc_server *s);

/* Stops the thread and frees s; NULL is a no-op. */
void koidc_server_stop(koidc_server *s);

#endif
