/* SCRAM client (see scram.h). The names follow RFC 5802, section 3. */
#include "sasl/scram.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

/* The longest server message read: real ones are under 200 bytes. */
#define MAX_MSG 4096
#define MAX_HASH 64 /* SHA-512 */

struct kscram {
    const EVP_MD *md;
    size_t hlen;
    char *user, *password;
    char nonce[48];               /* ours, printable */
    char *first_bare;             /* client-first-message-bare */
    bool tokenauth;               /* the user is a delegation token's id */
    uint8_t server_sig[MAX_HASH]; /* expected in server-final */
    int state;                    /* 0: new, 1: first sent, 2: final sent */
};

kscram *kscram_new(int bits, const char *user, const char *password)
{
    if (bits != 256 && bits != 512) return NULL;
    kscram *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->md = bits == 256 ? EVP_sha256() : EVP_sha512();
    s->hlen = (size_t)EVP_MD_get_size(s->md);
    s->user = strdup(user);
    s->password = strdup(password);
    if (!s->user || !s->password) {
        kscram_free(s);
        return NULL;
    }
    return s;
}

void kscram_set_nonce(kscram *s, const char *nonce)
{
    snprintf(s->nonce, sizeof(s->nonce), "%s", nonce);
}

void kscram_set_tokenauth(kscram *s)
{
    s->tokenauth = true;
}

void kscram_free(kscram *s)
{
    if (!s) return;
    if (s->password) OPENSSL_cleanse(s->password, strlen(s->password));
    OPENSSL_cleanse(s->server_sig, sizeof(s->server_sig));
    free(s->password);
    free(s->user);
    free(s->first_bare);
    free(s);
}

/* --- helpers ------------------------------------------------------------------ */

static int fail(int err, char *errstr, size_t errlen, const char *why)
{
    snprintf(errstr, errlen, "%s", why);
    return err;
}

static int append(kbuf *out, const void *p, size_t n)
{
    return kbuf_append(out, p, n) ? KFK_ERR_NO_MEMORY : 0;
}

static int append_str(kbuf *out, const char *s)
{
    return append(out, s, strlen(s));
}

/* Base64 of n bytes into a fresh string; NULL when out of memory. */
static char *b64(const uint8_t *p, size_t n)
{
    char *s = malloc(4 * ((n + 2) / 3) + 1);
    if (s) EVP_EncodeBlock((unsigned char *)s, p, (int)n);
    return s;
}

static bool b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* Decodes base64 text (strict: no white space, padding only at the end)
 * into out (at most cap bytes). Returns the length, or -1. */
static int unb64(const char *text, uint8_t *out, size_t cap)
{
    size_t n = strlen(text), pad = 0;
    while (pad < 2 && pad < n && text[n - 1 - pad] == '=')
        pad++;
    if (n == 0 || n % 4) return -1;
    for (size_t i = 0; i < n - pad; i++)
        if (!b64_char(text[i])) return -1;
    size_t len = n / 4 * 3 - pad;
    uint8_t *tmp = len <= cap ? malloc(n / 4 * 3) : NULL;
    if (!tmp) return -1;
    int got = EVP_DecodeBlock(tmp, (const unsigned char *)text, (int)n);
    if (got >= 0) memcpy(out, tmp, len);
    free(tmp);
    return got < 0 ? -1 : (int)len;
}

static void hmac(const kscram *s, const uint8_t *key, size_t klen, const void *msg, size_t mlen,
                 uint8_t *out)
{
    unsigned int n = 0;
    HMAC(s->md, key, (int)klen, msg, mlen, out, &n);
}

/* --- client-first --------------------------------------------------------------- */

/* saslname: ',' and '=' escaped (RFC 5802, 5.1). */
static int append_saslname(kbuf *out, const char *user)
{
    for (const char *p = user; *p; p++) {
        int rc = *p == ','   ? append_str(out, "=2C")
                 : *p == '=' ? append_str(out, "=3D")
                             : append(out, p, 1);
        if (rc) return rc;
    }
    return 0;
}

/* 32 random bytes as printable text (base64 without '+' '/' '='). */
static int make_nonce(kscram *s)
{
    uint8_t raw[24];
    if (RAND_bytes(raw, sizeof(raw)) != 1) return KFK_ERR_NO_MEMORY;
    char *t = b64(raw, sizeof(raw));
    if (!t) return KFK_ERR_NO_MEMORY;
    for (char *p = t; *p; p++)
        if (*p == '+' || *p == '/' || *p == '=') *p = 'x';
    snprintf(s->nonce, sizeof(s->nonce), "%s", t);
    free(t);
    return 0;
}

int kscram_client_first(kscram *s, kbuf *out)
{
    if (!s->nonce[0] && make_nonce(s)) return KFK_ERR_NO_MEMORY;
    kbuf bare = {0};
    int rc = append_str(&bare, "n=");
    if (!rc) rc = append_saslname(&bare, s->user);
    if (!rc) rc = append_str(&bare, ",r=");
    if (!rc) rc = append_str(&bare, s->nonce);
    /* Kafka's extension (KIP-48): the broker looks the user up among
     * delegation tokens; the bare message, extension included, is signed. */
    if (!rc && s->tokenauth) rc = append_str(&bare, ",tokenauth=true");
    if (!rc) rc = append(&bare, "", 1);
    if (!rc) rc = append_str(out, "n,,");
    if (!rc) rc = append_str(out, (const char *)bare.data);
    if (rc) {
        kbuf_free(&bare);
        return rc;
    }
    free(s->first_bare);
    s->first_bare = (char *)bare.data; /* NUL-terminated above */
    s->state = 1;
    return 0;
}

/* --- server-first, client-final ----------------------------------------------- */

typedef struct server_first {
    const char *nonce, *salt;
    long iterations;
} server_first;

/* Copies a server message into a NUL-terminated string; NULL when it is
 * empty, too long, or holds a NUL. */
static char *message_text(const uint8_t *msg, size_t len)
{
    if (!msg || len == 0 || len > MAX_MSG || memchr(msg, '\0', len)) return NULL;
    char *t = malloc(len + 1);
    if (!t) return NULL;
    memcpy(t, msg, len);
    t[len] = '\0';
    return t;
}

/* Splits text (modified in place) into r=, s=, i=, in that order, then
 * optional extensions. Returns 0 or an error with the reason. */
static int parse_server_first(char *text, server_first *sf, char *errstr, size_t errlen)
{
    if (strncmp(text, "e=", 2) == 0) {
        snprintf(errstr, errlen, "the broker refused: %.200s", text + 2);
        return KFK_ERR_AUTH;
    }
    if (strncmp(text, "m=", 2) == 0)
        return fail(KFK_ERR_AUTH, errstr, errlen,
                    "server-first-message has a mandatory extension kfk does not know");
    static const char keys[] = {'r', 's', 'i'};
    const char *vals[3];
    char *save = NULL, *attr = strtok_r(text, ",", &save);
    for (int k = 0; k < 3; k++, attr = strtok_r(NULL, ",", &save)) {
        if (!attr || attr[0] != keys[k] || attr[1] != '=' || !attr[2])
            return fail(KFK_ERR_MALFORMED, errstr, errlen,
                        "server-first-message lacks r=, s= and i= in that order");
        vals[k] = attr + 2;
    }
    char *end;
    long it = strtol(vals[2], &end, 10);
    if (*end || vals[2][0] < '0' || vals[2][0] > '9')
        return fail(KFK_ERR_MALFORMED, errstr, errlen, "server-first-message: i= is not a number");
    sf->nonce = vals[0];
    sf->salt = vals[1];
    sf->iterations = it;
    return 0;
}

/* Checks what parsed but may not be accepted. */
static int check_server_first(const kscram *s, const server_first *sf, char *errstr, size_t errlen)
{
    size_t ours = strlen(s->nonce);
    if (strncmp(sf->nonce, s->nonce, ours) != 0 || strlen(sf->nonce) == ours)
        return fail(KFK_ERR_AUTH, errstr, errlen,
                    "the broker's nonce does not extend the client's (RFC 5802)");
    for (const char *p = sf->nonce; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return fail(KFK_ERR_MALFORMED, errstr, errlen, "the broker's nonce is not printable");
    if (sf->iterations < KSCRAM_MIN_ITERATIONS || sf->iterations > KSCRAM_MAX_ITERATIONS) {
        snprintf(errstr, errlen, "the broker asks for %ld iterations; kfk takes %d to %d",
                 sf->iterations, KSCRAM_MIN_ITERATIONS, KSCRAM_MAX_ITERATIONS);
        return KFK_ERR_AUTH;
    }
    return 0;
}

/* Hi() of RFC 5802: PBKDF2-HMAC with md, as long as md's output. */
static int hi(const EVP_MD *md, const char *password, const uint8_t *salt, size_t salt_len,
              int32_t iterations, uint8_t *out)
{
    return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, (int)iterations,
                             md, EVP_MD_get_size(md), out)
               ? 0
               : KFK_ERR_NO_MEMORY;
}

int kscram_salted_password(int bits, const char *password, const uint8_t *salt, size_t salt_len,
                           int32_t iterations, uint8_t *out, size_t *out_len)
{
    if (bits != 256 && bits != 512) return KFK_ERR_INVALID_ARG;
    const EVP_MD *md = bits == 256 ? EVP_sha256() : EVP_sha512();
    *out_len = (size_t)EVP_MD_get_size(md);
    return hi(md, password, salt, salt_len, iterations, out);
}

/* The proof and the server signature to expect, from AuthMessage. */
static int compute(kscram *s, const server_first *sf, const char *auth_message, uint8_t *proof,
                   char *errstr, size_t errlen)
{
    uint8_t salt[256], salted[MAX_HASH], client_key[MAX_HASH], stored_key[MAX_HASH];
    uint8_t client_sig[MAX_HASH], server_key[MAX_HASH];
    int salt_len = unb64(sf->salt, salt, sizeof(salt));
    if (salt_len <= 0)
        return fail(KFK_ERR_MALFORMED, errstr, errlen, "server-first-message: s= is not base64");
    size_t h = s->hlen;
    if (hi(s->md, s->password, salt, (size_t)salt_len, (int32_t)sf->iterations, salted))
        return fail(KFK_ERR_NO_MEMORY, errstr, errlen, "PBKDF2 failed");
    hmac(s, salted, h, "Client Key", 10, client_key);
    unsigned int n = 0;
    EVP_Digest(client_key, h, stored_key, &n, s->md, NULL);
    hmac(s, stored_key, h, auth_message, strlen(auth_message), client_sig);
    for (size_t i = 0; i < h; i++)
        proof[i] = client_key[i] ^ client_sig[i];
    hmac(s, salted, h, "Server Key", 10, server_key);
    hmac(s, server_key, h, auth_message, strlen(auth_message), s->server_sig);
    OPENSSL_cleanse(salted, sizeof(salted));
    OPENSSL_cleanse(client_key, sizeof(client_key));
    OPENSSL_cleanse(stored_key, sizeof(stored_key));
    OPENSSL_cleanse(server_key, sizeof(server_key));
    return 0;
}

int kscram_client_final(kscram *s, const uint8_t *msg, size_t len, kbuf *out, char *errstr,
                        size_t errlen)
{
    if (s->state != 1) return fail(KFK_ERR_AUTH, errstr, errlen, "SCRAM messages out of order");
    char *text = message_text(msg, len), *copy = message_text(msg, len);
    server_first sf;
    int rc = !text || !copy ? fail(KFK_ERR_MALFORMED, errstr, errlen,
                                   "server-first-message is empty, too long or holds a NUL")
                            : parse_server_first(text, &sf, errstr, errlen);
    if (!rc) rc = check_server_first(s, &sf, errstr, errlen);
    kbuf without_proof = {0}, auth = {0};
    if (!rc) rc = append_str(&without_proof, "c=biws,r=");
    if (!rc) rc = append_str(&without_proof, sf.nonce);
    /* AuthMessage = client-first-bare "," server-first "," client-final-without-proof */
    if (!rc) rc = append_str(&auth, s->first_bare);
    if (!rc) rc = append_str(&auth, ",");
    if (!rc) rc = append_str(&auth, copy);
    if (!rc) rc = append_str(&auth, ",");
    if (!rc) rc = append(&auth, without_proof.data, without_proof.len);
    if (!rc) rc = append(&auth, "", 1);
    uint8_t proof[MAX_HASH];
    if (!rc) rc = compute(s, &sf, (const char *)auth.data, proof, errstr, errlen);
    char *proof64 = rc ? NULL : b64(proof, s->hlen);
    if (!rc && !proof64) rc = KFK_ERR_NO_MEMORY;
    if (!rc) rc = append(out, without_proof.data, without_proof.len);
    if (!rc) rc = append_str(out, ",p=");
    if (!rc) rc = append_str(out, proof64);
    if (!rc) s->state = 2;
    free(proof64);
    free(text);
    free(copy);
    kbuf_free(&without_proof);
    kbuf_free(&auth);
    return rc;
}

/* --- server-final ----------------------------------------------------------------- */

int kscram_server_final(kscram *s, const uint8_t *msg, size_t len, char *errstr, size_t errlen)
{
    if (s->state != 2) return fail(KFK_ERR_AUTH, errstr, errlen, "SCRAM messages out of order");
    char *text = message_text(msg, len);
    if (!text) return fail(KFK_ERR_MALFORMED, errstr, errlen, "server-final-message is empty");
    int rc;
    if (strncmp(text, "e=", 2) == 0) {
        snprintf(errstr, errlen, "the broker refused: %.200s", text + 2);
        rc = KFK_ERR_AUTH;
    } else if (strncmp(text, "v=", 2) != 0) {
        rc = fail(KFK_ERR_MALFORMED, errstr, errlen, "server-final-message lacks v=");
    } else {
        char *comma = strchr(text + 2, ','); /* extensions may follow */
        if (comma) *comma = '\0';
        uint8_t sig[MAX_HASH + 2];
        int n = unb64(text + 2, sig, sizeof(sig));
        rc = n == (int)s->hlen && CRYPTO_memcmp(sig, s->server_sig, s->hlen) == 0
                 ? 0
                 : fail(KFK_ERR_AUTH, errstr, errlen,
                        "the broker's signature is wrong: it does not know the password");
    }
    free(text);
    return rc;
}
