/* The messages of OAuth 2's client_credentials grant (RFC 6749 4.4) as
 * Kafka's Java client sends and reads them: the form body and Basic
 * Authorization of the token request, and the endpoint's JSON answer,
 * whose access_token is then checked as Java's login checks it (a JWT
 * with a subject and an expiry, a scope claim of the right shape).
 *
 * Pure: no I/O, no clock (the caller passes the time), any thread. The
 * answer is untrusted: every read is bounded and the reasons built from
 * it are sanitised; no reason ever holds the token or the secret. */
#ifndef KFK_SASL_OIDC_H
#define KFK_SASL_OIDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "kfk.h"

/* Appends "grant_type=client_credentials", then "&scope=" and the
 * form-urlencoded scope when scope is neither NULL nor "". Returns KFK_OK
 * or KFK_ERR_NO_MEMORY. */
kfk_err koidc_form_body(const char *scope, kbuf *out);

/* Appends "Basic " and base64 of "id:secret" (each form-urlencoded first
 * when urlencode, as RFC 6749 2.3.1 says and Java's
 * sasl.oauthbearer.header.urlencode does). NUL-terminated. Returns KFK_OK
 * or KFK_ERR_NO_MEMORY. The caller wipes *out. */
kfk_err koidc_basic_auth(const char *id, const char *secret, bool urlencode, kbuf *out);

/* How the login checks a token (Java's defaults: "sub", "scope"). */
typedef struct koidc_claim_names {
    const char *sub;
    const char *scope;
} koidc_claim_names;

/* A token the login accepted; malloc'd strings, freed by koidc_token_free. */
typedef struct koidc_token {
    char *token;
    char *principal;
    int64_t expiry_ms; /* ms since the Unix epoch */
} koidc_token;
void koidc_token_free(koidc_token *t);

/* Checks a token as Java's login does: a JWS compact JWT whose exp is a
 * number in the future, whose sub claim (names->sub) is a non-blank
 * string, whose iat if present is a number and whose scope claim
 * (names->scope) if present is a string or a list. now_ms: the wall clock.
 * Returns KFK_OK with *out filled, KFK_ERR_MALFORMED or KFK_ERR_NO_MEMORY
 * with the reason in errstr. */
kfk_err koidc_check_token(const char *token, size_t len, const koidc_claim_names *names,
                          int64_t now_ms, koidc_token *out, char *errstr, size_t errlen);

/* Reads the endpoint's answer: status (its HTTP status, reason the
 * status text) and body[0..len). On 200 the body must be a JSON object
 * with a string access_token (checked with koidc_check_token); an
 * expires_in (a number, or digits in a string) shortens the expiry when
 * it comes sooner than the token's exp. Returns
 *   KFK_OK                with *out filled;
 *   KFK_ERR_AUTH          the endpoint refused (4xx but 408 and 429, and
 *                         501, 505): asking again will not help;
 *   KFK_ERR_TRANSPORT     a status worth retrying (408, 429, other 5xx);
 *   KFK_ERR_MALFORMED     a 200 whose body or token is not as above;
 *   KFK_ERR_NO_MEMORY.
 * The reason in errstr quotes the endpoint's error and error_description
 * (RFC 6749 5.2) when it gave them, sanitised. */
kfk_err koidc_read_answer(int status, const char *reason, const char *body, size_t len,
                          const koidc_claim_names *names, int64_t now_ms, koidc_token *out,
                          char *errstr, size_t errlen);

#endif
