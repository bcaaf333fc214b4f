/* OAUTHBEARER (RFC 7628) with unsecured JWTs, as Kafka's
 * OAuthBearerSaslServer with its unsecured validator: the token's header
 * must say alg "none" and carry no signature, its payload names the
 * principal in "sub" and must not have expired ("exp", seconds). A token
 * that fails validation is answered, as RFC 7628 says, with a JSON error
 * {"status":"invalid_token"} and no error code; the client then sends a
 * lone %x01 and gets SASL_AUTHENTICATION_FAILED with that JSON as the
 * message. Loop thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/time.h"
#include "mock/security.h"

#define INVALID_TOKEN "{\"status\":\"invalid_token\"}"
#define MAX_JWT_PART 8192

/* ----------------------------------------------------------- tiny JSON */

typedef struct json_val {
    char type; /* 's' string (raw, without quotes), 'n' number, 'o' anything else */
    const char *p;
    size_t len;
} json_val;

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The end of the string whose opening quote is at p, after its closing
 * quote; NULL when unterminated. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

static const char *skip_value(const char *p, const char *end)
{
    if (p >= end) return NULL;
    if (*p == '"') return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < end) {
            if (*p == '"') {
                p = skip_string(p, end);
                if (!p) return NULL;
                continue;
            }
            if (*p == '{' || *p == '[') depth++;
            if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
            p++;
        }
        return NULL;
    }
    const char *start = p;
    while (p < end && !strchr(",}] \t\r\n", *p))
        p++;
    return p > start ? p : NULL;
}

/* Finds key among the members of the top-level object js[0..len). */
static bool json_member(const char *js, size_t len, const char *key, json_val *out)
{
    const char *p = js, *end = js + len;
    p = skip_ws(p, end);
    if (p >= end || *p++ != '{') return false;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end || *p != '"') return false;
        const char *k = p + 1, *k_end = skip_string(p, end);
        if (!k_end) return false;
        p = skip_ws(k_end, end);
        if (p >= end || *p++ != ':') return false;
        p = skip_ws(p, end);
        const char *v_end = skip_value(p, end);
        if (!v_end) return false;
        if ((size_t)(k_end - 1 - k) == strlen(key) && !memcmp(k, key, strlen(key))) {
            if (*p == '"')
                *out = (json_val){'s', p + 1, (size_t)(v_end - p - 2)};
            else
                *out = (json_val){(*p == '-' || (*p >= '0' && *p <= '9')) ? 'n' : 'o', p,
                                  (size_t)(v_end - p)};
            return true;
        }
        p = skip_ws(v_end, end);
        if (p >= end || *p++ != ',') return false;
    }
}

static bool json_number(const json_val *v, double *out)
{
    char buf[64];
    if (v->type != 'n' || v->len >= sizeof(buf)) return false;
    memcpy(buf, v->p, v->len);
    buf[v->len] = '\0';
    char *end;
    *out = strtod(buf, &end);
    return *end == '\0';
}

/* ----------------------------------------------------------- the token */

/* Decodes one base64url part of the token into a malloc'd buffer. */
static char *part_decode(const char *p, size_t len, size_t *out_len)
{
    if (len > MAX_JWT_PART) return NULL;
    char *out = malloc(len + 4);
    ssize_t n = out ? mock_base64_decode((uint8_t *)out, p, len) : -1;
    if (n < 0) {
        free(out);
        return NULL;
    }
    *out_len = (size_t)n;
    return out;
}

/* Validates an unsecured JWS; fills the principal and the expiry. */
static bool token_valid(kslice token, mock_sasl_result *r)
{
    const char *p = (const char *)token.ptr, *end = p + token.len;
    const char *dot1 = memchr(p, '.', token.len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1)) : NULL;
    if (!dot2 || dot2 + 1 != end) return false; /* unsecured: no signature */
    size_t hlen = 0, plen = 0;
    char *header = part_decode(p, (size_t)(dot1 - p), &hlen);
    char *payload = part_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &plen);
    json_val alg, sub, exp, iat;
    double exp_s = 0, iat_s = 0;
    bool ok = header && payload && json_member(header, hlen, "alg", &alg) && alg.type == 's' &&
              alg.len == 4 && !memcmp(alg.p, "none", 4) &&
              json_member(payload, plen, "sub", &sub) && sub.type == 's' && sub.len &&
              sub.len < MOCK_PRINCIPAL_MAX - 6 && json_member(payload, plen, "exp", &exp) &&
              json_number(&exp, &exp_s) &&
              (!json_member(payload, plen, "iat", &iat) || json_number(&iat, &iat_s));
    int64_t now_ms = ktime_wall_ms();
    if (ok && exp_s * 1000.0 <= (double)now_ms) ok = false;
    if (ok) {
        snprintf(r->principal, sizeof(r->principal), "User:%.*s", (int)sub.len, sub.p);
        r->credential_expiry_ms = (int64_t)(exp_s * 1000.0);
    }
    free(header);
    free(payload);
    return ok;
}

/* The client's first message: gs2 header, %x01, key=value pairs each
 * ending in %x01, then %x01; auth= is "Bearer <token>". Returns the
 * token, or a null slice when the message is malformed. */
static kslice parse_client_first(kslice in, kslice *authzid)
{
    const char *p = (const char *)in.ptr, *end = p + in.len;
    kslice none = {NULL, 0}, token = none;
    *authzid = (kslice){NULL, 0};
    if (in.len < 3 || p[0] != 'n' || p[1] != ',') return none;
    const char *comma = memchr(p + 2, ',', (size_t)(end - p - 2));
    if (!comma) return none;
    if (comma > p + 2) {
        if (comma - p < 4 || memcmp(p + 2, "a=", 2)) return none;
        *authzid = (kslice){(const uint8_t *)p + 4, (size_t)(comma - p - 4)};
    }
    p = comma + 1;
    if (p >= end || *p++ != 0x01) return none;
    while (p < end && *p != 0x01) {
        const char *kv_end = memchr(p, 0x01, (size_t)(end - p));
        if (!kv_end) return none;
        if (kv_end - p > 5 && !memcmp(p, "auth=", 5)) {
            const char *v = p + 5;
            if (kv_end - v < 8 || strncasecmp(v, "bearer ", 7)) return none;
            v += 7;
            while (v < kv_end && *v == ' ')
                v++;
            token = (kslice){(const uint8_t *)v, (size_t)(kv_end - v)};
        } else if (!memchr(p, '=', (size_t)(kv_end - p))) {
            return none;
        }
        p = kv_end + 1;
    }
    if (p + 1 != end || !token.len) return none; /* the closing %x01 ends it */
    for (size_t i = 0; i < token.len; i++) {
        char ch = (char)token.ptr[i];
        if (!(ch == '-' || ch == '_' || ch == '.' || (ch >= 'a' && ch <= 'z') ||
              (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
            return none;
    }
    return token;
}

mock_sasl_step mock_sasl_oauthbearer(mock_session *s, kslice in, mock_sasl_result *r)
{
    if (in.len == 1 && in.ptr[0] == 0x01 && s->oauth_error) {
        r->error = INVALID_TOKEN; /* the error this session sent */
        free(s->oauth_error);
        s->oauth_error = NULL;
        return MOCK_STEP_FAIL;
    }
    free(s->oauth_error);
    s->oauth_error = NULL;
    kslice authzid;
    kslice token = parse_client_first(in, &authzid);
    if (!token.ptr) return MOCK_STEP_FAIL;
    if (!token_valid(token, r)) {
        s->oauth_error = strdup(INVALID_TOKEN);
        if (!s->oauth_error) return MOCK_STEP_FAIL;
        r->out = kwire_cstr(s->oauth_error);
        return MOCK_STEP_CONTINUE;
    }
    if (authzid.len && (authzid.len != strlen(r->principal + 5) ||
                        memcmp(authzid.ptr, r->principal + 5, authzid.len))) {
        r->error = "Authentication failed: Client requested an authorization id that is "
                   "different from the token's principal name";
        return MOCK_STEP_FAIL;
    }
    r->out = KWIRE_EMPTY;
    return MOCK_STEP_DONE;
}
