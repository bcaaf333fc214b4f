/* SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) on the server
 * side, with Kafka's rules: an unknown user fails at the client-first
 * message, the client-final must repeat the combined nonce exactly and
 * the channel binding of its own gs2 header, and the proof is checked in
 * constant time. Users are kept as salted credentials only. Loop thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mock/mock.h"

#define NONCE_BYTES 18 /* 24 base64 characters */

static const EVP_MD *scram_md(int mech)
{
    return mech == MOCK_MECH_SCRAM_SHA_512 ? EVP_sha512() : EVP_sha256();
}

static int hmac(const EVP_MD *md, const uint8_t *key, size_t key_len, const void *msg,
                size_t msg_len, uint8_t *out)
{
    unsigned len = 0;
    return HMAC(md, key, (int)key_len, msg, msg_len, out, &len) ? 0 : -1;
}

int mock_scram_credentials(mock_user *u, const char *password)
{
    const EVP_MD *md = scram_md(u->mech);
    size_t n = (size_t)EVP_MD_get_size(md);
    uint8_t salted[MOCK_SCRAM_MAX_KEY], client_key[MOCK_SCRAM_MAX_KEY];
    unsigned len = 0;
    int rc = PKCS5_PBKDF2_HMAC(password, (int)strlen(password), u->salt, sizeof(u->salt),
                               u->iterations, md, (int)n, salted) == 1 &&
                     !hmac(md, salted, n, "Client Key", 10, client_key) &&
                     EVP_Digest(client_key, n, u->stored_key, &len, md, NULL) == 1 &&
                     !hmac(md, salted, n, "Server Key", 10, u->server_key)
                 ? 0
                 : -1;
    OPENSSL_cleanse(salted, sizeof(salted));
    OPENSSL_cleanse(client_key, sizeof(client_key));
    return rc;
}

void mock_scram_reset(mock_scram *sc)
{
    free(sc->client_first_bare);
    free(sc->server_first);
    free(sc->gs2_header);
    free(sc->user);
    OPENSSL_cleanse(sc, sizeof(*sc));
}

static char *dup_n(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* The value of attribute `name=` at the start of s[0..len) up to the next
 * comma; false when s does not start with it. */
static bool attr(const char *s, size_t len, char name, kslice *value)
{
    if (len < 2 || s[0] != name || s[1] != '=') return false;
    const char *comma = memchr(s + 2, ',', len - 2);
    size_t n = comma ? (size_t)(comma - s - 2) : len - 2;
    *value = (kslice){(const uint8_t *)s + 2, n};
    return true;
}

/* A saslname unescaped (=2C is ',', =3D is '='), NULL when malformed. */
static char *unescape_name(kslice name)
{
    char *out = malloc(name.len + 1);
    size_t o = 0;
    for (size_t i = 0; out && i < name.len; i++) {
        char ch = (char)name.ptr[i];
        if (ch == '=') {
            if (i + 3 > name.len) goto bad;
            if (!memcmp(name.ptr + i, "=2C", 3))
                ch = ',';
            else if (!memcmp(name.ptr + i, "=3D", 3))
                ch = '=';
            else
                goto bad;
            i += 2;
        }
        out[o++] = ch;
    }
    if (out) out[o] = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

static mock_sasl_step client_first(const mock_security *sec, mock_session *s, kslice in,
                                   mock_sasl_result *r)
{
    mock_scram *sc = &s->scram;
    const char *p = (const char *)in.ptr, *end = p + in.len;
    /* gs2-header: ("n" / "y") "," [ "a=" authzid ] "," ; "p=" asks for
     * channel binding, which Kafka does not offer. */
    if (in.len < 3 || (p[0] != 'n' && p[0] != 'y') || p[1] != ',') return MOCK_STEP_FAIL;
    const char *comma = memchr(p + 2, ',', (size_t)(end - p - 2));
    if (!comma) return MOCK_STEP_FAIL;
    kslice authzid = {(const uint8_t *)p + 4, 0};
    if (comma > p + 2) {
        if (comma - p < 4 || p[2] != 'a' || p[3] != '=') return MOCK_STEP_FAIL;
        authzid.len = (size_t)(comma - p - 4);
    }
    const char *bare = comma + 1;
    size_t bare_len = (size_t)(end - bare);
    kslice name, nonce;
    if (!attr(bare, bare_len, 'n', &name)) return MOCK_STEP_FAIL;
    const char *rest = (const char *)name.ptr + name.len;
    if (rest >= end || !attr(rest + 1, (size_t)(end - rest - 1), 'r', &nonce) || !nonce.len)
        return MOCK_STEP_FAIL;
    sc->user = unescape_name(name);
    if (!sc->user) return MOCK_STEP_FAIL;
    const mock_user *u = mock_user_find(sec, s->mech, kwire_cstr(sc->user));
    if (!u) return MOCK_STEP_FAIL;
    char *authz = authzid.len ? unescape_name(authzid) : NULL;
    bool authz_ok = !authzid.len || (authz && !strcmp(authz, sc->user));
    free(authz);
    if (!authz_ok) {
        r->error = "Authentication failed: Client requested an authorization id that is "
                   "different from username";
        return MOCK_STEP_FAIL;
    }
    size_t key_len = (size_t)EVP_MD_get_size(scram_md(s->mech));
    memcpy(sc->stored_key, u->stored_key, key_len);
    memcpy(sc->server_key, u->server_key, key_len);
    uint8_t raw[NONCE_BYTES];
    char snonce[4 * NONCE_BYTES / 3 + 1], salt[4 * ((sizeof(u->salt) + 2) / 3) + 1];
    mock_random(raw, sizeof(raw));
    mock_base64_encode(snonce, raw, sizeof(raw));
    mock_base64_encode(salt, u->salt, sizeof(u->salt));
    size_t cap = nonce.len + strlen(snonce) + strlen(salt) + 32;
    sc->server_first = malloc(cap);
    sc->client_first_bare = dup_n((const uint8_t *)bare, bare_len);
    sc->gs2_header = dup_n(in.ptr, (size_t)(bare - p));
    if (!sc->server_first || !sc->client_first_bare || !sc->gs2_header) return MOCK_STEP_FAIL;
    snprintf(sc->server_first, cap, "r=%.*s%s,s=%s,i=%d", (int)nonce.len, (const char *)nonce.ptr,
             snonce, salt, u->iterations);
    sc->mech = s->mech;
    r->out = kwire_cstr(sc->server_first);
    return MOCK_STEP_CONTINUE;
}

/* Checks the client-final's proof; fills the server signature. */
static int verify_proof(mock_scram *sc, kslice without_proof, kslice proof_b64, uint8_t *server_sig)
{
    const EVP_MD *md = scram_md(sc->mech);
    size_t n = (size_t)EVP_MD_get_size(md);
    uint8_t proof[MOCK_SCRAM_MAX_KEY + 3], sig[MOCK_SCRAM_MAX_KEY], key[MOCK_SCRAM_MAX_KEY];
    uint8_t stored[MOCK_SCRAM_MAX_KEY];
    if (proof_b64.len > 4 * (MOCK_SCRAM_MAX_KEY / 3 + 1)) return -1;
    ssize_t got = mock_base64_decode(proof, (const char *)proof_b64.ptr, proof_b64.len);
    if (got != (ssize_t)n) return -1;
    /* AuthMessage = client-first-bare "," server-first "," client-final-without-proof */
    size_t a = strlen(sc->client_first_bare), b = strlen(sc->server_first);
    size_t len = a + 1 + b + 1 + without_proof.len;
    char *auth = malloc(len);
    if (!auth) return -1;
    memcpy(auth, sc->client_first_bare, a);
    auth[a] = ',';
    memcpy(auth + a + 1, sc->server_first, b);
    auth[a + 1 + b] = ',';
    memcpy(auth + a + b + 2, without_proof.ptr, without_proof.len);
    unsigned dlen = 0;
    int rc = hmac(md, sc->stored_key, n, auth, len, sig);
    for (size_t i = 0; i < n; i++)
        key[i] = proof[i] ^ sig[i];
    if (!rc) rc = EVP_Digest(key, n, stored, &dlen, md, NULL) == 1 ? 0 : -1;
    if (!rc) rc = CRYPTO_memcmp(stored, sc->stored_key, n) ? -1 : 0;
    if (!rc) rc = hmac(md, sc->server_key, n, auth, len, server_sig);
    free(auth);
    return rc;
}

static mock_sasl_step client_final(mock_session *s, kslice in, struct karena *arena,
                                   mock_sasl_result *r)
{
    mock_scram *sc = &s->scram;
    const char *p = (const char *)in.ptr, *end = p + in.len;
    kslice cb, nonce, proof;
    if (!attr(p, in.len, 'c', &cb)) return MOCK_STEP_FAIL;
    const char *next = (const char *)cb.ptr + cb.len;
    if (next >= end || !attr(next + 1, (size_t)(end - next - 1), 'r', &nonce))
        return MOCK_STEP_FAIL;
    /* The proof comes last: ",p=" and no comma after it. */
    const char *pp = NULL;
    for (const char *q = end - 1; q > p + 2 && !pp; q--)
        if (*q == ',') pp = q;
    if (!pp || !attr(pp + 1, (size_t)(end - pp - 1), 'p', &proof)) return MOCK_STEP_FAIL;
    char cb_want[64];
    size_t gs2 = strlen(sc->gs2_header);
    if (gs2 > 45) return MOCK_STEP_FAIL;
    mock_base64_encode(cb_want, (const uint8_t *)sc->gs2_header, gs2);
    if (!kwire_eq(cb, kwire_cstr(cb_want))) return MOCK_STEP_FAIL;
    /* The combined nonce is the server-first's r= up to its first comma. */
    kslice combined = {NULL, 0};
    if (!attr(sc->server_first, strlen(sc->server_first), 'r', &combined) ||
        !kwire_eq(nonce, combined))
        return MOCK_STEP_FAIL;
    uint8_t server_sig[MOCK_SCRAM_MAX_KEY];
    kslice without_proof = {in.ptr, (size_t)(pp - p)};
    if (verify_proof(sc, without_proof, proof, server_sig)) return MOCK_STEP_FAIL;
    size_t n = (size_t)EVP_MD_get_size(scram_md(sc->mech));
    char *out = karena_alloc(arena, 2 + 4 * ((n + 2) / 3) + 1);
    if (!out) return MOCK_STEP_FAIL;
    out[0] = 'v';
    out[1] = '=';
    mock_base64_encode(out + 2, server_sig, n);
    snprintf(r->principal, sizeof(r->principal), "User:%s", sc->user);
    r->out = kwire_cstr(out);
    mock_scram_reset(sc);
    return MOCK_STEP_DONE;
}

mock_sasl_step mock_sasl_scram(const mock_security *sec, mock_session *s, kslice in,
                               struct karena *arena, mock_sasl_result *r)
{
    if (!s->scram.server_first) return client_first(sec, s, in, r);
    return client_final(s, in, arena, r);
}
