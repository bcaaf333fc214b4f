/* The client side of SCRAM (RFC 5802) with SHA-256 (RFC 7677) or
 * SHA-512, as Kafka's SCRAM-SHA-256 and SCRAM-SHA-512 use it: no channel
 * binding ("n,,"), the user name escaped, the password taken as its UTF-8
 * bytes without SASLprep (as Java's client does). Pure: no I/O, no
 * threads; one kscram per authentication.
 *
 * Guards against a hostile or broken broker: the server nonce must extend
 * ours, the salt must be base64, the iteration count must be within
 * Kafka's bounds (4096..16384: lower is weak, higher would let a broker
 * make the I/O thread hash for seconds), mandatory extensions are
 * refused, and the server's signature is compared in constant time. */
#ifndef KFK_SASL_SCRAM_H
#define KFK_SASL_SCRAM_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "kfk.h"

/* Kafka's bounds for SCRAM iterations (ScramMechanism's minimum, the
 * controller's maximum for stored credentials). */
#define KSCRAM_MIN_ITERATIONS 4096
#define KSCRAM_MAX_ITERATIONS 16384

typedef struct kscram kscram;

/* A client for user and password with SHA-`bits` (256 or 512); both
 * strings are copied. NULL when out of memory or bits is neither. */
kscram *kscram_new(int bits, const char *user, const char *password);

/* Test hook: the client nonce to use instead of a random one (printable,
 * no comma). Before kscram_client_first. */
void kscram_set_nonce(kscram *s, const char *nonce);

/* Logs in with a delegation token (KIP-48): user is the token's id,
 * password its HMAC in base64, and client-first-message carries Kafka's
 * extension "tokenauth=true". Before kscram_client_first. */
void kscram_set_tokenauth(kscram *s);

/* Appends client-first-message to out. 0 or KFK_ERR_NO_MEMORY. */
int kscram_client_first(kscram *s, kbuf *out);

/* Reads server-first-message and appends client-final-message (with the
 * proof) to out. 0, KFK_ERR_MALFORMED (it does not parse), KFK_ERR_AUTH
 * (it parses but may not be accepted: our nonce not extended, too few or
 * too many iterations, a mandatory extension, a server error "e=") with
 * the reason in errstr, or KFK_ERR_NO_MEMORY. */
int kscram_client_final(kscram *s, const uint8_t *msg, size_t len, kbuf *out, char *errstr,
                        size_t errlen);

/* Checks server-final-message: 0 when it carries the signature only a
 * server that knows the password can make; KFK_ERR_AUTH (a wrong
 * signature, or "e=" with the server's reason) or KFK_ERR_MALFORMED with
 * the reason in errstr. */
int kscram_server_final(kscram *s, const uint8_t *msg, size_t len, char *errstr, size_t errlen);

/* Hi(password, salt, iterations) of RFC 5802 (PBKDF2-HMAC) with
 * SHA-`bits` (256 or 512): the salted password a broker stores, into out
 * (at least 64 bytes); *out_len gets its length. 0, KFK_ERR_INVALID_ARG
 * (bits), or KFK_ERR_NO_MEMORY. */
int kscram_salted_password(int bits, const char *password, const uint8_t *salt, size_t salt_len,
                           int32_t iterations, uint8_t *out, size_t *out_len);

/* Frees s, wiping the password and the keys. NULL is a no-op. */
void kscram_free(kscram *s);

#endif
