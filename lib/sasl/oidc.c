/* OAuth 2 client_credentials messages (see oidc.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sasl/json.h"
#include "sasl/oauthbearer.h"
#include "sasl/oidc.h"

/* --- the request ---------------------------------------------------------------- */

/* application/x-www-form-urlencoded: unreserved bytes as they are, space
 * as '+', everything else %XX. */
static int put_form(kbuf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char enc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
        bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '*';
        int r = plain       ? kbuf_append(out, s, 1)
                : ch == ' ' ? kbuf_append(out, "+", 1)
                            : kbuf_append(out, enc, 3);
        if (r) return -1;
    }
    return 0;
}

kfk_err koidc_form_body(const char *scope, kbuf *out)
{
    static const char grant[] = "grant_type=client_credentials";
    if (kbuf_append(out, grant, sizeof(grant) - 1)) return KFK_ERR_NO_MEMORY;
    if (scope && *scope && (kbuf_append(out, "&scope=", 7) || put_form(out, scope)))
        return KFK_ERR_NO_MEMORY;
    return KFK_OK;
}

kfk_err koidc_basic_auth(const char *id, const char *secret, bool urlencode, kbuf *out)
{
    kbuf plain = {0};
    int r = urlencode ? put_form(&plain, id) : kbuf_append(&plain, id, strlen(id));
    if (!r) r = kbuf_append(&plain, ":", 1);
    if (!r) r = urlencode ? put_form(&plain, secret) : kbuf_append(&plain, secret, strlen(secret));
    size_t enc_len = 4 * ((plain.len + 2) / 3);
    uint8_t *dst = r ? NULL : kbuf_extend(out, 6 + enc_len + 1);
    if (dst) {
        memcpy(dst, "Basic ", 6);
        EVP_EncodeBlock(dst + 6, plain.data, (int)plain.len);
        out->len--; /* the NUL EVP_EncodeBlock wrote stays, outside len */
    }
    if (plain.data) explicit_bzero(plain.data, plain.len);
    kbuf_free(&plain);
    return dst ? KFK_OK : KFK_ERR_NO_MEMORY;
}

/* --- the token ------------------------------------------------------------------ */

void koidc_token_free(koidc_token *t)
{
    if (t->token) explicit_bzero(t->token, strlen(t->token));
    free(t->token);
    free(t->principal);
    memset(t, 0, sizeof(*t));
}

static kfk_err malformed(char *errstr, size_t errlen, const char *why)
{
    snprintf(errstr, errlen, "the token endpoint's token is not one Kafka accepts: %s", why);
    return KFK_ERR_MALFORMED;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return false;
    return true;
}

/* Java's login checks of the claims koauth_jwt_claims read. */
static kfk_err check_claims(const koauth_claims *c, int scope_type, const koidc_claim_names *names,
                            int64_t now_ms, char *errstr, size_t errlen)
{
    char why[160];
    if (!c->has_exp) return malformed(errstr, errlen, "no exp claim");
    if (c->exp_ms <= now_ms) return malformed(errstr, errlen, "it has expired (check the clocks)");
    if (!c->principal || blank(c->principal)) {
        snprintf(why, sizeof(why), "no \"%.64s\" claim (the subject)", names->sub);
        return malformed(errstr, errlen, why);
    }
    if (scope_type != KJSON_NONE && scope_type != KJSON_STRING && scope_type != KJSON_ARRAY) {
        snprintf(why, sizeof(why), "its \"%.64s\" claim is neither a string nor a list",
                 names->scope);
        return malformed(errstr, errlen, why);
    }
    return KFK_OK;
}

kfk_err koidc_check_token(const char *token, size_t len, const koidc_claim_names *names,
                          int64_t now_ms, koidc_token *out, char *errstr, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    koauth_claims c;
    kfk_err err = koauth_jwt_claims(token, len, names->sub, &c);
    if (err == KFK_ERR_NO_MEMORY) return err;
    if (err) return malformed(errstr, errlen, "not a JWT (header.payload.signature of JSON)");
    int scope_type = KJSON_NONE;
    err = koauth_jwt_claim_type(token, len, names->scope, &scope_type);
    if (!err) err = check_claims(&c, scope_type, names, now_ms, errstr, errlen);
    if (!err) {
        out->token = strndup(token, len);
        out->principal = c.principal;
        out->expiry_ms = c.exp_ms;
        c.principal = NULL;
        if (!out->token) err = KFK_ERR_NO_MEMORY;
    }
    koauth_claims_free(&c);
    if (err) koidc_token_free(out);
    return err;
}

/* --- the answer ------------------------------------------------------------------ */

/* The string member key of the object json, sanitised into buf. */
static void member_text(const char *json, size_t len, const char *key, char *buf, size_t n)
{
    kjson_value v;
    kbuf s = {0};
    buf[0] = '\0';
    if (kjson_object_get(json, len, key, &v) || v.type != KJSON_STRING || kjson_string(&v, &s))
        goto out;
    size_t j = 0;
    for (size_t i = 0; i < s.len && j + 1 < n; i++)
        buf[j++] = (s.data[i] >= 0x20 && s.data[i] < 0x7f) ? (char)s.data[i] : '?';
    buf[j] = '\0';
out:
    kbuf_free(&s);
}

static bool retriable(int status)
{
    if (status == 408 || status == 429) return true;
    return status >= 500 && status != 501 && status != 505;
}

static kfk_err refused(int status, const char *reason, const char *body, size_t len, char *errstr,
                       size_t errlen)
{
    char error[64], desc[200];
    member_text(body, len, "error", error, sizeof(error));
    member_text(body, len, "error_description", desc, sizeof(desc));
    snprintf(errstr, errlen, "the token endpoint answered HTTP %d %s%s%s%s%s%s", status, reason,
             *error ? ": " : "", error, *desc ? " (" : "", desc, *desc ? ")" : "");
    return retriable(status) ? KFK_ERR_TRANSPORT : KFK_ERR_AUTH;
}

/* expires_in in ms, or -1 when absent, unreadable or not positive: a
 * lifetime of 0 would have the token expire as it arrives and be fetched
 * again at once, so the token's exp claim rules then. */
static int64_t expires_in_ms(const char *body, size_t len)
{
    kjson_value v;
    int64_t ms;
    if (kjson_object_get(body, len, "expires_in", &v)) return -1;
    if (v.type == KJSON_STRING && v.len > 0 && v.len < 12 && kjson_is_number(v.p, v.len))
        v.type = KJSON_NUMBER; /* some providers quote it */
    if (v.type != KJSON_NUMBER || kjson_number_scaled(&v, 3, &ms) || ms <= 0) return -1;
    return ms;
}

kfk_err koidc_read_answer(int status, const char *reason, const char *body, size_t len,
                          const koidc_claim_names *names, int64_t now_ms, koidc_token *out,
                          char *errstr, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (status != 200) return refused(status, reason, body, len, errstr, errlen);
    kjson_value v;
    kfk_err err = kjson_object_get(body, len, "access_token", &v);
    if (err == KFK_ERR_NO_MEMORY) return err;
    if (err) return malformed(errstr, errlen, "the answer is not a JSON object");
    if (v.type != KJSON_STRING || v.len == 0)
        return malformed(errstr, errlen, "the answer has no access_token string");
    kbuf tok = {0};
    err = kjson_string(&v, &tok);
    if (!err)
        err =
            koidc_check_token((const char *)tok.data, tok.len, names, now_ms, out, errstr, errlen);
    else if (err != KFK_ERR_NO_MEMORY)
        err = malformed(errstr, errlen, "the access_token string does not decode");
    if (tok.data) explicit_bzero(tok.data, tok.len);
    kbuf_free(&tok);
    int64_t in_ms = err ? -1 : expires_in_ms(body, len);
    if (in_ms >= 0 && now_ms + in_ms < out->expiry_ms) out->expiry_ms = now_ms + in_ms;
    return err;
}
