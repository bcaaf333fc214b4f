/* OAUTHBEARER messages and token reading. Kafka's rules, from its
 * OAuthBearerClientInitialResponse and OAuthBearerSaslServer: the client
 * message is "n," [authzid] "," %x01 "auth=Bearer " token, then %x01
 * key=value per extension, then %x01 %x01 (Kafka clients send no authzid);
 * extension keys match [A-Za-z]+ and "auth" is reserved; values match
 * [\x21-\x7E \t\r\n]+. On failure the broker answers a JSON object with
 * "status" and, when it has them, "scope" and "openid-configuration"
 * (RFC 7628 3.2.2), and waits for the client's lone %x01. */
#include "sasl/oauthbearer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sasl/json.h"

/* --- the client's message -------------------------------------------------- */

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

kfk_err koauth_ext_check(const char *key, const char *value)
{
    if (!key || !*key || !value || !*value || strcmp(key, "auth") == 0) return KFK_ERR_INVALID_ARG;
    for (const char *k = key; *k; k++)
        if (!is_alpha(*k)) return KFK_ERR_INVALID_ARG;
    for (const char *v = value; *v; v++) {
        unsigned char c = (unsigned char)*v;
        if (!((c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t' || c == '\r' || c == '\n'))
            return KFK_ERR_INVALID_ARG;
    }
    return KFK_OK;
}

/* RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" /
 * "/" ) *"=". */
static bool is_b64token(const char *t)
{
    size_t n = 0;
    for (; t[n] && t[n] != '='; n++) {
        char c = t[n];
        if (!(is_alpha(c) || (c >= '0' && c <= '9') || strchr("-._~+/", c))) return false;
    }
    if (n == 0) return false;
    for (; t[n]; n++)
        if (t[n] != '=') return false;
    return true;
}

kfk_err koauth_client_first(const char *token, const koauth_ext *ext, size_t ext_count, kbuf *out)
{
    if (!token || !is_b64token(token) || strlen(token) > KOAUTH_MAX_TOKEN_BYTES ||
        (ext_count && !ext))
        return KFK_ERR_INVALID_ARG;
    for (size_t i = 0; i < ext_count; i++) {
        if (koauth_ext_check(ext[i].key, ext[i].value)) return KFK_ERR_INVALID_ARG;
        for (size_t j = 0; j < i; j++)
            if (strcmp(ext[i].key, ext[j].key) == 0) return KFK_ERR_INVALID_ARG;
    }
    size_t old_len = out->len;
    int rc = kbuf_append(out,
                         "n,,\x01"
                         "auth=Bearer ",
                         16) ||
             kbuf_append(out, token, strlen(token));
    for (size_t i = 0; i < ext_count && !rc; i++)
        rc = kbuf_append(out, "\x01", 1) || kbuf_append(out, ext[i].key, strlen(ext[i].key)) ||
             kbuf_append(out, "=", 1) || kbuf_append(out, ext[i].value, strlen(ext[i].value));
    if (!rc) rc = kbuf_append(out, "\x01\x01", 2);
    if (rc) {
        out->len = old_len;
        return KFK_ERR_NO_MEMORY;
    }
    return KFK_OK;
}

/* --- the broker's error answer --------------------------------------------- */

/* Appends s[0..n) to reason at *at, printable ASCII only, truncating. */
static void put_clean(char *reason, size_t reason_len, size_t *at, const void *s, size_t n)
{
    const unsigned char *p = s;
    for (size_t i = 0; i < n && *at + 1 < reason_len; i++)
        reason[(*at)++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    reason[*at] = '\0';
}

static void put_text(char *reason, size_t reason_len, size_t *at, const char *s)
{
    put_clean(reason, reason_len, at, s, strlen(s));
}

/* Decodes member key of the answer into *out; KFK_OK with out->len 0 when
 * it is absent. */
static kfk_err answer_member(const void *buf, size_t len, const char *key, kbuf *out, bool *present)
{
    kjson_value v;
    kfk_err err = kjson_object_get(buf, len, key, &v);
    *present = !err && v.type != KJSON_NONE;
    if (err || !*present) return err;
    return kjson_string(&v, out);
}

kfk_err koauth_error_reason(const void *buf, size_t len, char *reason, size_t reason_len)
{
    if (!reason_len) reason = NULL;
    kbuf status = {0}, scope = {0}, oidc = {0};
    bool has_status = false, has_scope = false, has_oidc = false;
    kfk_err err = buf ? answer_member(buf, len, "status", &status, &has_status) : KFK_ERR_MALFORMED;
    if (!err) err = answer_member(buf, len, "scope", &scope, &has_scope);
    if (!err) err = answer_member(buf, len, "openid-configuration", &oidc, &has_oidc);
    if (!err && (!has_status || status.len == 0)) err = KFK_ERR_MALFORMED;
    if (err && err != KFK_ERR_NO_MEMORY) err = KFK_ERR_MALFORMED;
    size_t at = 0;
    if (reason && err) {
        reason[0] = '\0';
        put_text(reason, reason_len, &at, "malformed OAUTHBEARER error answer from the broker");
        if (buf && len) {
            put_text(reason, reason_len, &at, ": ");
            put_clean(reason, reason_len, &at, buf, len < 128 ? len : 128);
        }
    } else if (reason) {
        reason[0] = '\0';
        put_clean(reason, reason_len, &at, status.data, status.len);
        if (has_scope) {
            put_text(reason, reason_len, &at, " (scope: ");
            put_clean(reason, reason_len, &at, scope.data, scope.len);
            put_text(reason, reason_len, &at, ")");
        }
        if (has_oidc) {
            put_text(reason, reason_len, &at, " (openid-configuration: ");
            put_clean(reason, reason_len, &at, oidc.data, oidc.len);
            put_text(reason, reason_len, &at, ")");
        }
    }
    kbuf_free(&status);
    kbuf_free(&scope);
    kbuf_free(&oidc);
    return err;
}

/* --- reading a JWT --------------------------------------------------------- */

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* Decodes base64url (padding optional) into *out. */
static kfk_err b64url_decode(const char *s, size_t n, kbuf *out)
{
    while (n && s[n - 1] == '=')
        n--;
    if (n % 4 == 1) return KFK_ERR_MALFORMED;
    uint8_t *o = kbuf_extend(out, n / 4 * 3 + 2);
    if (!o) return KFK_ERR_NO_MEMORY;
    out->len -= n / 4 * 3 + 2;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value(s[i]);
        if (v < 0) return KFK_ERR_MALFORMED;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data[out->len++] = (uint8_t)(acc >> bits);
        }
    }
    return KFK_OK;
}

static kfk_err claim_time(const char *json, size_t len, const char *name, bool *has, int64_t *ms)
{
    kjson_value v;
    kfk_err err = kjson_object_get(json, len, name, &v);
    if (err || v.type == KJSON_NONE) return err;
    err = kjson_number_scaled(&v, 3, ms);
    *has = !err;
    return err;
}

static kfk_err claim_principal(const char *json, size_t len, const char *name, char **out)
{
    kjson_value v;
    kfk_err err = kjson_object_get(json, len, name, &v);
    if (err || v.type == KJSON_NONE) return err;
    kbuf s = {0};
    err = kjson_string(&v, &s);
    if (!err && kbuf_append(&s, "", 1)) err = KFK_ERR_NO_MEMORY;
    if (!err) {
        size_t n;
        *out = (char *)kbuf_take(&s, &n);
    }
    kbuf_free(&s);
    return err;
}

/* Decodes one part of the token and checks it is a JSON object. */
static kfk_err decode_part(const char *p, size_t n, kbuf *json)
{
    kfk_err err = b64url_decode(p, n, json);
    kjson_value unused;
    if (!err) err = kjson_object_get((const char *)json->data, json->len, "", &unused);
    return err;
}

void koauth_claims_free(koauth_claims *c)
{
    free(c->principal);
    memset(c, 0, sizeof(*c));
}

/* The token's claims object, decoded into *claims, the header checked. */
static kfk_err decode_claims(const char *token, size_t len, kbuf *claims)
{
    if (!token || len > KOAUTH_MAX_TOKEN_BYTES) return KFK_ERR_MALFORMED;
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token))) return KFK_ERR_MALFORMED;
    /* The signature is not checked, but must be base64url like the rest. */
    for (const char *p = dot2 + 1; p < token + len; p++)
        if (b64url_value(*p) < 0 && *p != '=') return KFK_ERR_MALFORMED;
    kbuf header = {0};
    kfk_err err = decode_part(token, (size_t)(dot1 - token), &header);
    if (!err) err = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1), claims);
    kbuf_free(&header);
    return err;
}

kfk_err koauth_jwt_claim_type(const char *token, size_t len, const char *claim, int *type)
{
    kbuf claims = {0};
    kjson_value v = {0};
    kfk_err err = decode_claims(token, len, &claims);
    if (!err) err = kjson_object_get((const char *)claims.data, claims.len, claim, &v);
    kbuf_free(&claims);
    *type = v.type;
    return err == KFK_ERR_NO_MEMORY || !err ? err : KFK_ERR_MALFORMED;
}

kfk_err koauth_jwt_claims(const char *token, size_t len, const char *principal_claim,
                          koauth_claims *out)
{
    memset(out, 0, sizeof(*out));
    kbuf claims = {0};
    kfk_err err = decode_claims(token, len, &claims);
    const char *json = (const char *)claims.data;
    if (!err) err = claim_time(json, claims.len, "exp", &out->has_exp, &out->exp_ms);
    if (!err) err = claim_time(json, claims.len, "iat", &out->has_iat, &out->iat_ms);
    if (!err)
        err = claim_principal(json, claims.len, principal_claim ? principal_claim : "sub",
                              &out->principal);
    kbuf_free(&claims);
    if (err) {
        koauth_claims_free(out);
        return err == KFK_ERR_NO_MEMORY ? err : KFK_ERR_MALFORMED;
    }
    return KFK_OK;
}
