/* The unsecured JWT of Kafka's OAuthBearerUnsecuredLoginCallbackHandler.
 * Its rules, from Kafka's source: header {"alg":"none"}; claims exp, iat,
 * then the configured ones; iat and exp are reserved; an option named just
 * the prefix (unsecuredLoginStringClaim_ with nothing after) is ignored;
 * the principal and scope claim names are trimmed, blank means the
 * default; the token is base64url without padding, "header.claims." with
 * an empty signature; the principal claim must be a non-blank string and
 * the scope claim a string or a list.
 *
 * List claims split the value after its first character on that
 * character, the way Java's String.split does: trailing empty elements
 * are dropped, and if the list had any empty element (the text starts or
 * ends with the delimiter, or holds it twice in a row) one "" is appended
 * at the end; a list of nothing but delimiters is an error, as in Java.
 *
 * Where Java is looser or broken we are strict: number claims must be JSON
 * numbers (Java takes anything Double.valueOf does, "NaN" included),
 * strings are escaped as JSON requires (Java's escaping breaks values that
 * hold both quote and backslash), the lifetime must be a non-negative
 * integer, and every delimiter is literal (Java fails on '*', '+', '?'
 * and ')'). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sasl/json.h"
#include "sasl/oauthbearer.h"

#define PREFIX "unsecuredLogin"
#define OPT_PRINCIPAL PREFIX "PrincipalClaimName"
#define OPT_SCOPE PREFIX "ScopeClaimName"
#define OPT_LIFETIME PREFIX "LifetimeSeconds"
#define OPT_EXTENSION PREFIX "Extension_"

typedef enum claim_kind { CLAIM_STRING, CLAIM_NUMBER, CLAIM_LIST } claim_kind;

static const struct {
    const char *prefix;
    claim_kind kind;
} claim_prefixes[] = {
    {PREFIX "StringClaim_", CLAIM_STRING},
    {PREFIX "NumberClaim_", CLAIM_NUMBER},
    {PREFIX "ListClaim_", CLAIM_LIST},
};

typedef struct claim {
    const char *key; /* the option's name */
    const char *name;
    const char *value;
    claim_kind kind;
} claim;

typedef struct builder {
    const char *principal_name, *scope_name, *lifetime;
    claim *claims;
    size_t nclaims;
    const koauth_option **ext;
    size_t next;
    char *errstr;
    size_t errlen;
} builder;

static kfk_err fail(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static kfk_err fail(builder *b, const char *fmt, ...)
{
    if (b->errstr && b->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->errstr, b->errlen, fmt, ap);
        va_end(ap);
    }
    return KFK_ERR_CONFIG;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* s without leading and trailing blanks, as a pointer and length. */
static const char *trim(const char *s, size_t *len)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_space(s[n - 1]))
        n--;
    *len = n;
    return s;
}

/* --- sorting the options --------------------------------------------------- */

static kfk_err add_claim(builder *b, const koauth_option *o, const char *name, claim_kind kind)
{
    if (strcmp(name, "iat") == 0 || strcmp(name, "exp") == 0)
        return fail(b, "unsecured OAUTHBEARER: cannot set the '%s' claim explicitly", name);
    for (size_t i = 0; i < b->nclaims; i++) {
        if (strcmp(b->claims[i].name, name) != 0) continue;
        if (strcmp(b->claims[i].key, o->key) != 0)
            return fail(b, "unsecured OAUTHBEARER: claim '%s' is set by two options", name);
        b->claims[i].value = o->value; /* a repeated option: the last counts */
        return KFK_OK;
    }
    b->claims[b->nclaims++] = (claim){o->key, name, o->value, kind};
    return KFK_OK;
}

static kfk_err add_extension(builder *b, const koauth_option *o)
{
    const char *name = o->key + strlen(OPT_EXTENSION);
    if (koauth_ext_check(name, o->value))
        return fail(b, "unsecured OAUTHBEARER: extension '%s' has an invalid name or value", name);
    for (size_t i = 0; i < b->next; i++) {
        if (strcmp(b->ext[i]->key, o->key) == 0) {
            b->ext[i] = o;
            return KFK_OK;
        }
    }
    b->ext[b->next++] = o;
    return KFK_OK;
}

static kfk_err sort_option(builder *b, const koauth_option *o)
{
    if (!o->key || !o->value) return KFK_ERR_INVALID_ARG;
    if (strcmp(o->key, OPT_PRINCIPAL) == 0) {
        b->principal_name = o->value;
        return KFK_OK;
    }
    if (strcmp(o->key, OPT_SCOPE) == 0) {
        b->scope_name = o->value;
        return KFK_OK;
    }
    if (strcmp(o->key, OPT_LIFETIME) == 0) {
        b->lifetime = o->value;
        return KFK_OK;
    }
    if (starts_with(o->key, OPT_EXTENSION)) return add_extension(b, o);
    for (size_t i = 0; i < sizeof(claim_prefixes) / sizeof(claim_prefixes[0]); i++) {
        const char *p = claim_prefixes[i].prefix;
        if (starts_with(o->key, p) && o->key[strlen(p)])
            return add_claim(b, o, o->key + strlen(p), claim_prefixes[i].kind);
    }
    return KFK_OK;
}

/* --- writing the claims ---------------------------------------------------- */

/* Milliseconds as JSON seconds: "1700000000" or "1700000000.123". */
static int put_seconds(kbuf *out, int64_t ms)
{
    char s[40];
    int n = snprintf(s, sizeof(s), "%lld", (long long)(ms / 1000));
    int frac = (int)(ms % 1000);
    if (frac) {
        n += snprintf(s + n, sizeof(s) - (size_t)n, ".%03d", frac);
        while (s[n - 1] == '0')
            n--;
    }
    return kbuf_append(out, s, (size_t)n);
}

/* Bytes in the UTF-8 character at s (1 for a bad lead byte). */
static size_t utf8_len(const char *s)
{
    unsigned char c = (unsigned char)*s;
    size_t n = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) return 1;
    return n;
}

static kfk_err put_list(builder *b, kbuf *out, const claim *c)
{
    const char *v = c->value;
    size_t dlen = utf8_len(v);
    if (strlen(v) <= dlen) return kbuf_append(out, "[]", 2) ? KFK_ERR_NO_MEMORY : KFK_OK;
    const char *delim = v, *text = v + dlen, *end = text + strlen(text);
    /* Java's split keeps inner and leading empty elements, drops trailing. */
    while (end - text >= (ptrdiff_t)dlen && memcmp(end - dlen, delim, dlen) == 0)
        end -= dlen;
    if (end == text)
        return fail(b, "unsecured OAUTHBEARER: list claim '%s' has no elements", c->name);
    bool empty_element =
        strncmp(text, delim, dlen) == 0 || strncmp(v + strlen(v) - dlen, delim, dlen) == 0;
    char twice[9];
    memcpy(twice, delim, dlen);
    memcpy(twice + dlen, delim, dlen);
    twice[2 * dlen] = '\0';
    if (strstr(text, twice)) empty_element = true;
    int rc = kbuf_append(out, "[", 1);
    for (const char *p = text; !rc && p <= end;) {
        const char *q = p;
        while (q < end && !(end - q >= (ptrdiff_t)dlen && memcmp(q, delim, dlen) == 0))
            q++;
        rc = (p > text && kbuf_append(out, ",", 1)) || kjson_put_string(out, p, (size_t)(q - p));
        p = q + dlen;
    }
    if (!rc && empty_element) rc = kbuf_append(out, ",\"\"", 3);
    if (!rc) rc = kbuf_append(out, "]", 1);
    return rc ? KFK_ERR_NO_MEMORY : KFK_OK;
}

static kfk_err put_claim(builder *b, kbuf *out, const claim *c)
{
    if (kbuf_append(out, ",", 1) || kjson_put_string(out, c->name, strlen(c->name)) ||
        kbuf_append(out, ":", 1))
        return KFK_ERR_NO_MEMORY;
    size_t n;
    const char *v;
    switch (c->kind) {
    case CLAIM_STRING:
        return kjson_put_string(out, c->value, strlen(c->value)) ? KFK_ERR_NO_MEMORY : KFK_OK;
    case CLAIM_NUMBER:
        v = trim(c->value, &n);
        if (!kjson_is_number(v, n))
            return fail(b, "unsecured OAUTHBEARER: number claim '%s' is not a number", c->name);
        return kbuf_append(out, v, n) ? KFK_ERR_NO_MEMORY : KFK_OK;
    case CLAIM_LIST:
        return put_list(b, out, c);
    }
    return KFK_ERR_INVALID_ARG;
}

static const claim *find_claim(const builder *b, const char *name, size_t len)
{
    for (size_t i = 0; i < b->nclaims; i++)
        if (strlen(b->claims[i].name) == len && memcmp(b->claims[i].name, name, len) == 0)
            return &b->claims[i];
    return NULL;
}

static kfk_err parse_lifetime(builder *b, int64_t *seconds)
{
    const char *s = b->lifetime ? b->lifetime : "3600";
    int64_t v = 0;
    if (*s == '+') s++;
    if (!*s) return fail(b, "unsecured OAUTHBEARER: " OPT_LIFETIME " is not a whole number");
    for (; *s; s++) {
        /* Up to 10^12 s: exp in ms then fits an int64_t with room. */
        if (*s < '0' || *s > '9' || v > 100000000000LL)
            return fail(b, "unsecured OAUTHBEARER: " OPT_LIFETIME
                           " must be a whole number of seconds up to 10^12");
        v = v * 10 + (*s - '0');
    }
    *seconds = v;
    return KFK_OK;
}

/* --- the token ------------------------------------------------------------- */

static int put_b64url(kbuf *out, const uint8_t *p, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        char q[4] = {abc[v >> 18], abc[v >> 12 & 63], abc[v >> 6 & 63], abc[v & 63]};
        if (kbuf_append(out, q, n - i >= 3 ? 4 : n - i + 1)) return -1;
    }
    return 0;
}

static kfk_err build_token(builder *b, int64_t now_ms, int64_t exp_ms, kbuf *token)
{
    static const char header[] = "{\"alg\":\"none\"}";
    kbuf claims = {0};
    kfk_err err = KFK_OK;
    if (kbuf_append(&claims, "{\"exp\":", 7) || put_seconds(&claims, exp_ms) ||
        kbuf_append(&claims, ",\"iat\":", 7) || put_seconds(&claims, now_ms))
        err = KFK_ERR_NO_MEMORY;
    for (size_t i = 0; i < b->nclaims && !err; i++)
        err = put_claim(b, &claims, &b->claims[i]);
    if (!err && (kbuf_append(&claims, "}", 1) ||
                 put_b64url(token, (const uint8_t *)header, sizeof(header) - 1) ||
                 kbuf_append(token, ".", 1) || put_b64url(token, claims.data, claims.len) ||
                 kbuf_append(token, ".", 2))) /* the empty signature, and a NUL */
        err = KFK_ERR_NO_MEMORY;
    kbuf_free(&claims);
    return err;
}

/* Checks the principal and scope claims; *principal points at the value. */
static kfk_err check_special_claims(builder *b, const char **principal)
{
    size_t pn, sn;
    const char *pname = trim(b->principal_name ? b->principal_name : "", &pn);
    const char *sname = trim(b->scope_name ? b->scope_name : "", &sn);
    if (!pn) pname = "sub", pn = 3;
    if (!sn) sname = "scope", sn = 5;
    const claim *p = find_claim(b, pname, pn), *s = find_claim(b, sname, sn);
    size_t vlen = 0;
    if (p && p->kind == CLAIM_STRING) trim(p->value, &vlen);
    if (vlen == 0)
        return fail(b,
                    "unsecured OAUTHBEARER: the principal claim '%.*s' must be set by " PREFIX
                    "StringClaim_%.*s to a non-blank value",
                    (int)pn, pname, (int)pn, pname);
    if (s && s->kind == CLAIM_NUMBER)
        return fail(b, "unsecured OAUTHBEARER: the scope claim '%.*s' must be a string or a list",
                    (int)sn, sname);
    *principal = p->value;
    return KFK_OK;
}

void koauth_unsecured_free(koauth_unsecured *u)
{
    free(u->token);
    free(u->principal);
    for (size_t i = 0; i < u->ext_count; i++) {
        /* The struct owns these copies; koauth_ext is const for callers. */
        free((void *)u->ext[i].key);
        free((void *)u->ext[i].value);
    }
    free(u->ext);
    memset(u, 0, sizeof(*u));
}

static kfk_err copy_extensions(const builder *b, koauth_unsecured *out)
{
    if (!b->next) return KFK_OK;
    if (!(out->ext = calloc(b->next, sizeof(*out->ext)))) return KFK_ERR_NO_MEMORY;
    for (size_t i = 0; i < b->next; i++, out->ext_count++) {
        out->ext[i].key = strdup(b->ext[i]->key + strlen(OPT_EXTENSION));
        out->ext[i].value = strdup(b->ext[i]->value);
        if (!out->ext[i].key || !out->ext[i].value) {
            out->ext_count++;
            return KFK_ERR_NO_MEMORY;
        }
    }
    return KFK_OK;
}

kfk_err koauth_unsecured_token(const koauth_option *opts, size_t n, int64_t now_ms,
                               koauth_unsecured *out, char *errstr, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if ((n && !opts) || now_ms < 0 || now_ms > INT64_MAX / 2) return KFK_ERR_INVALID_ARG;
    builder b = {.errstr = errstr, .errlen = errlen};
    b.claims = calloc(n + 1, sizeof(*b.claims));
    b.ext = calloc(n + 1, sizeof(*b.ext));
    kfk_err err = b.claims && b.ext ? KFK_OK : KFK_ERR_NO_MEMORY;
    for (size_t i = 0; i < n && !err; i++)
        err = sort_option(&b, &opts[i]);
    const char *principal = NULL;
    int64_t lifetime_s = 0;
    if (!err) err = check_special_claims(&b, &principal);
    if (!err) err = parse_lifetime(&b, &lifetime_s);
    kbuf token = {0};
    if (!err) {
        out->iat_ms = now_ms;
        out->exp_ms = now_ms + lifetime_s * 1000;
        err = build_token(&b, now_ms, out->exp_ms, &token);
    }
    if (!err) {
        size_t len;
        out->token = (char *)kbuf_take(&token, &len);
        out->principal = strdup(principal);
        if (!out->principal) err = KFK_ERR_NO_MEMORY;
    }
    if (!err) err = copy_extensions(&b, out);
    kbuf_free(&token);
    free(b.claims);
    free(b.ext);
    if (err) koauth_unsecured_free(out);
    return err;
}
