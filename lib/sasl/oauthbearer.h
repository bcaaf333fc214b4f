/* SASL mechanism OAUTHBEARER (RFC 7628) as Kafka speaks it: the client's
 * initial message with SASL extensions, the broker's JSON error answer,
 * the unsecured JWT that Kafka's OAuthBearerUnsecuredLoginCallbackHandler
 * makes from sasl.jaas.config options (for tests and development
 * clusters), and a reader for the exp and subject claims of any JWT, to
 * schedule the token's refresh.
 *
 * Pure functions: no I/O, no clock (the caller passes the time), no global
 * state; any thread may call them and none blocks. Token contents and the
 * broker's answer are untrusted: every reader bounds its reads and reports
 * KFK_ERR_MALFORMED. */
#ifndef KFK_SASL_OAUTHBEARER_H
#define KFK_SASL_OAUTHBEARER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "kfk.h"

#define KOAUTH_MECHANISM "OAUTHBEARER"
/* After the broker's error answer the client sends this one byte (RFC
 * 7628 3.2.3: a lone kvsep) and the broker then fails the exchange. */
#define KOAUTH_KVSEP '\x01'
/* Longest token the readers accept. */
#define KOAUTH_MAX_TOKEN_BYTES (1u << 20)

/* A SASL extension: key [A-Za-z]+ but not "auth", value one or more of
 * %x21-7E, space, tab, CR, LF (RFC 7628 3.1, as Kafka checks them). */
typedef struct koauth_ext {
    const char *key;
    const char *value;
} koauth_ext;

/* KFK_OK when key and value may be sent as an extension, else
 * KFK_ERR_INVALID_ARG. */
kfk_err koauth_ext_check(const char *key, const char *value);

/* Appends the client's initial message, "n,,\x01auth=Bearer <token>"
 * then "\x01key=value" per extension (in the order given) and
 * "\x01\x01", to *out. token must be an RFC 6750 b64token (base64url JWTs
 * are). Returns KFK_OK, KFK_ERR_INVALID_ARG (bad token, bad or repeated
 * extension; *out unchanged) or KFK_ERR_NO_MEMORY. */
kfk_err koauth_client_first(const char *token, const koauth_ext *ext, size_t ext_count, kbuf *out);

/* Turns the broker's error answer ({"status":"invalid_token","scope":...,
 * "openid-configuration":...}) into one printable line in reason (always
 * NUL-terminated when reason_len > 0, truncated to fit). Returns KFK_OK, or
 * KFK_ERR_MALFORMED when the answer is not such an object (reason then
 * says so and quotes the start of it, sanitised). */
kfk_err koauth_error_reason(const void *buf, size_t len, char *reason, size_t reason_len);

/* What koauth_jwt_claims() found. */
typedef struct koauth_claims {
    bool has_exp, has_iat;
    int64_t exp_ms; /* the exp claim (seconds, maybe fractional) in ms */
    int64_t iat_ms;
    char *principal; /* malloc'd; NULL when the claim is absent */
} koauth_claims;

/* Reads a JWS compact token (header.payload.signature, base64url, the
 * signature may be empty): checks both JSON parts are objects and takes
 * exp, iat and the string claim principal_claim (NULL: "sub"). Verifies
 * no signature: the result only schedules refreshes. Returns KFK_OK,
 * KFK_ERR_MALFORMED (bad encoding, bad JSON, a claim of the wrong type)
 * or KFK_ERR_NO_MEMORY; *out holds nothing to free on error. */
kfk_err koauth_jwt_claims(const char *token, size_t len, const char *principal_claim,
                          koauth_claims *out);
void koauth_claims_free(koauth_claims *c);

/* The kjson_type of the token's claim named claim (KJSON_NONE when
 * absent) into *type. Returns KFK_OK, KFK_ERR_MALFORMED (not a JWS compact
 * token of JSON objects) or KFK_ERR_NO_MEMORY. */
kfk_err koauth_jwt_claim_type(const char *token, size_t len, const char *claim, int *type);

/* One sasl.jaas.config option (see kconf_jaas_foreach). */
typedef struct koauth_option {
    const char *key;
    const char *value;
} koauth_option;

/* An unsecured token and what goes with it; everything malloc'd and owned
 * by the struct (the ext strings too), freed by koauth_unsecured_free. */
typedef struct koauth_unsecured {
    char *token;     /* "<header>.<claims>." */
    char *principal; /* the principal claim's value */
    int64_t iat_ms, exp_ms;
    koauth_ext *ext; /* from unsecuredLoginExtension_<key> options */
    size_t ext_count;
} koauth_unsecured;

/* Builds the unsecured JWT OAuthBearerUnsecuredLoginCallbackHandler makes
 * from the options: header {"alg":"none"}; claims "exp" (iat plus
 * unsecuredLoginLifetimeSeconds, default 3600), "iat" (now_ms, in seconds),
 * then one per unsecuredLoginStringClaim_<name>, unsecuredLoginNumberClaim_
 * <name> and unsecuredLoginListClaim_<name> (first character of the value
 * is the list's delimiter) in option order. The principal claim
 * (unsecuredLoginPrincipalClaimName, default "sub") must be a non-blank
 * string claim; the scope claim (unsecuredLoginScopeClaimName, default
 * "scope") if present a string or list. Other options are ignored; a
 * repeated option counts once, its last value. Returns KFK_OK,
 * KFK_ERR_CONFIG (message in errstr, never quoting values) or
 * KFK_ERR_NO_MEMORY; *out holds nothing to free on error. */
kfk_err koauth_unsecured_token(const koauth_option *opts, size_t n, int64_t now_ms,
                               koauth_unsecured *out, char *errstr, size_t errlen);
void koauth_unsecured_free(koauth_unsecured *u);

#endif
