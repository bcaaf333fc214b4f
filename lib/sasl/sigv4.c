/* AWS Signature Version 4. The rules below are AWS's published ones; the
 * test suite in tests/data/sigv4 (AWS's own vectors) pins each of them. */
#include "sasl/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- small helpers --------------------------------------------------------- */

static void hex_lower(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static kfk_err sha256_hex(const void *p, size_t n, char out[65])
{
    uint8_t md[32];
    unsigned int md_len = 0;
    if (!EVP_Digest(p, n, md, &md_len, EVP_sha256(), NULL) || md_len != 32)
        return KFK_ERR_NO_MEMORY;
    hex_lower(md, 32, out);
    return KFK_OK;
}

static kfk_err hmac256(const uint8_t *key, size_t key_len, const void *p, size_t n, uint8_t out[32])
{
    unsigned int len = 0;
    if (key_len > INT32_MAX) return KFK_ERR_INVALID_ARG;
    if (!HMAC(EVP_sha256(), key, (int)key_len, p, n, out, &len) || len != 32)
        return KFK_ERR_NO_MEMORY;
    return KFK_OK;
}

static int put_str(kbuf *b, const char *s)
{
    return kbuf_append(b, s, strlen(s));
}

static int put_char(kbuf *b, char c)
{
    return kbuf_append(b, &c, 1);
}

/* Detaches b's bytes as a NUL-terminated string, or NULL (b is then freed). */
static char *take_str(kbuf *b)
{
    if (put_char(b, '\0')) {
        kbuf_free(b);
        return NULL;
    }
    size_t len;
    return (char *)kbuf_take(b, &len);
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int ksigv4_uri_encode(kbuf *out, const char *s, size_t len, bool keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            if (put_char(out, (char)c)) return -1;
        } else {
            char esc[3] = {'%', digits[c >> 4], digits[c & 15]};
            if (kbuf_append(out, esc, 3)) return -1;
        }
    }
    return 0;
}

/* --- time ------------------------------------------------------------------ */

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian), by
 * eras of 400 years (146097 days), each starting on March 1st. */
static void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468; /* days from 0000-03-01 to 1970-01-01 */
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put_digits(char *out, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
}

kfk_err ksigv4_amz_date(int64_t time_s, char out[17])
{
    /* 0000-01-01 .. 9999-12-31 */
    if (time_s < -62167219200LL || time_s > 253402300799LL) return KFK_ERR_INVALID_ARG;
    int64_t days = time_s >= 0 ? time_s / 86400 : -((-time_s + 86399) / 86400);
    int64_t sod = time_s - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    put_digits(out, (unsigned)y, 4);
    put_digits(out + 4, m, 2);
    put_digits(out + 6, d, 2);
    out[8] = 'T';
    put_digits(out + 9, (unsigned)(sod / 3600), 2);
    put_digits(out + 11, (unsigned)(sod / 60 % 60), 2);
    put_digits(out + 13, (unsigned)(sod % 60), 2);
    out[15] = 'Z';
    out[16] = '\0';
    return KFK_OK;
}

/* --- canonical URI --------------------------------------------------------- */

/* Removes dot segments (RFC 3986 5.2.4) and empty segments from a path,
 * then encodes each segment. A path ending in '/', "/." or "/.." keeps a
 * trailing '/' unless it normalises to the root. */
static int put_normalised_path(kbuf *out, const char *path)
{
    size_t n = strlen(path), nseg = 0;
    typedef struct {
        const char *p;
        size_t len;
    } seg;
    seg *segs = malloc((n / 2 + 1) * sizeof(*segs));
    if (!segs) return -1;
    bool trailing = false;
    for (const char *p = path; *p;) {
        if (*p == '/') {
            p++;
            trailing = true;
            continue;
        }
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 1 && p[0] == '.') {
            trailing = true;
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (nseg) nseg--;
            trailing = true;
        } else {
            segs[nseg++] = (seg){p, len};
            trailing = false;
        }
        p += len;
    }
    int rc = put_char(out, '/');
    for (size_t i = 0; i < nseg && !rc; i++) {
        if (i) rc = put_char(out, '/');
        if (!rc) rc = ksigv4_uri_encode(out, segs[i].p, segs[i].len, false);
    }
    if (!rc && trailing && nseg) rc = put_char(out, '/');
    free(segs);
    return rc;
}

static int put_canonical_uri(kbuf *out, const ksigv4_request *req)
{
    const char *path = req->path && *req->path ? req->path : "/";
    if (req->raw_path) return ksigv4_uri_encode(out, path, strlen(path), true);
    return put_normalised_path(out, path);
}

/* --- canonical query ------------------------------------------------------- */

typedef struct enc_param {
    kbuf key, value; /* encoded */
} enc_param;

static int cmp_bytes(const kbuf *a, const kbuf *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->data, b->data, n) : 0;
    if (c) return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

static int cmp_enc_param(const void *a, const void *b)
{
    const enc_param *x = a, *y = b;
    int c = cmp_bytes(&x->key, &y->key);
    return c ? c : cmp_bytes(&x->value, &y->value);
}

/* Encodes each key and value, sorts by encoded key then value (byte order)
 * and writes k=v pairs joined by '&'. Two parameter lists: the request's
 * and the signer's. */
static kfk_err put_canonical_query(kbuf *out, const ksigv4_param *a, size_t na,
                                   const ksigv4_param *b, size_t nb)
{
    size_t n = na + nb;
    if (!n) return KFK_OK;
    enc_param *e = calloc(n, sizeof(*e));
    if (!e) return KFK_ERR_NO_MEMORY;
    kfk_err err = KFK_OK;
    for (size_t i = 0; i < n && !err; i++) {
        const ksigv4_param *p = i < na ? &a[i] : &b[i - na];
        if (!p->key || !p->value) {
            err = KFK_ERR_INVALID_ARG;
        } else if (ksigv4_uri_encode(&e[i].key, p->key, strlen(p->key), false) ||
                   ksigv4_uri_encode(&e[i].value, p->value, strlen(p->value), false)) {
            err = KFK_ERR_NO_MEMORY;
        }
    }
    if (!err) {
        qsort(e, n, sizeof(*e), cmp_enc_param);
        for (size_t i = 0; i < n && !err; i++) {
            if ((i && put_char(out, '&')) || kbuf_append(out, e[i].key.data, e[i].key.len) ||
                put_char(out, '=') || kbuf_append(out, e[i].value.data, e[i].value.len))
                err = KFK_ERR_NO_MEMORY;
        }
    }
    for (size_t i = 0; i < n; i++) {
        kbuf_free(&e[i].key);
        kbuf_free(&e[i].value);
    }
    free(e);
    return err;
}

/* --- canonical headers ----------------------------------------------------- */

typedef struct lc_header {
    char *name; /* lower-cased copy */
    const char *value;
    size_t order; /* position in the request: repeated names keep it */
} lc_header;

static int cmp_lc_header(const void *a, const void *b)
{
    const lc_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A value trimmed, with each run of blanks inside made one space. */
static int put_trimmed(kbuf *out, const char *v)
{
    while (is_blank(*v))
        v++;
    bool blank = false;
    for (; *v; v++) {
        if (is_blank(*v)) {
            blank = true;
            continue;
        }
        if ((blank && put_char(out, ' ')) || put_char(out, *v)) return -1;
        blank = false;
    }
    return 0;
}

static kfk_err lower_copy(const char *s, char **out)
{
    size_t n = strlen(s);
    if (n == 0) return KFK_ERR_INVALID_ARG;
    char *c = malloc(n + 1);
    if (!c) return KFK_ERR_NO_MEMORY;
    for (size_t i = 0; i <= n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == ':' || (ch && ch <= ' ')) {
            free(c);
            return KFK_ERR_INVALID_ARG;
        }
        c[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    *out = c;
    return KFK_OK;
}

/* Writes "name:v1,v2\n" per distinct lower-cased name, sorted, to *canon
 * and the names joined by ';' to *signed_names. */
static kfk_err put_canonical_headers(kbuf *canon, kbuf *signed_names, const ksigv4_header *hs,
                                     size_t n)
{
    if (!n) return KFK_ERR_INVALID_ARG; /* at least Host is always signed */
    lc_header *h = calloc(n, sizeof(*h));
    if (!h) return KFK_ERR_NO_MEMORY;
    kfk_err err = KFK_OK;
    for (size_t i = 0; i < n && !err; i++) {
        if (!hs[i].name || !hs[i].value)
            err = KFK_ERR_INVALID_ARG;
        else
            err = lower_copy(hs[i].name, &h[i].name);
        h[i].value = hs[i].value;
        h[i].order = i;
    }
    if (!err) qsort(h, n, sizeof(*h), cmp_lc_header);
    for (size_t i = 0; i < n && !err; i++) {
        bool first = i == 0 || strcmp(h[i - 1].name, h[i].name) != 0;
        bool last = i + 1 == n || strcmp(h[i + 1].name, h[i].name) != 0;
        if (first && ((i && put_char(signed_names, ';')) || put_str(signed_names, h[i].name) ||
                      put_str(canon, h[i].name) || put_char(canon, ':')))
            err = KFK_ERR_NO_MEMORY;
        else if (!first && put_char(canon, ','))
            err = KFK_ERR_NO_MEMORY;
        else if (put_trimmed(canon, h[i].value) || (last && put_char(canon, '\n')))
            err = KFK_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < n; i++)
        free(h[i].name);
    free(h);
    return err;
}

/* --- signing --------------------------------------------------------------- */

kfk_err ksigv4_signing_key(const char *secret_key, const char *date8, const char *region,
                           const char *service, uint8_t key[32])
{
    if (!secret_key || !date8 || strlen(date8) != 8 || !region || !*region || !service || !*service)
        return KFK_ERR_INVALID_ARG;
    size_t n = strlen(secret_key);
    uint8_t *k0 = malloc(n + 4);
    if (!k0) return KFK_ERR_NO_MEMORY;
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret_key, n);
    uint8_t k1[32], k2[32], k3[32];
    kfk_err err = hmac256(k0, n + 4, date8, 8, k1);
    if (!err) err = hmac256(k1, 32, region, strlen(region), k2);
    if (!err) err = hmac256(k2, 32, service, strlen(service), k3);
    if (!err) err = hmac256(k3, 32, "aws4_request", 12, key);
    OPENSSL_cleanse(k0, n + 4);
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    OPENSSL_cleanse(k3, sizeof(k3));
    free(k0);
    return err;
}

void ksigv4_signed_free(ksigv4_signed *s)
{
    free(s->canonical_request);
    free(s->string_to_sign);
    free(s->amz_date);
    free(s->credential);
    free(s->signed_headers);
    free(s->signature);
    free(s->authorization);
    free(s->query);
    memset(s, 0, sizeof(*s));
}

static bool valid_scope_part(const char *s)
{
    if (!s || !*s) return false;
    for (; *s; s++)
        if (*s == '/' || (unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f) return false;
    return true;
}

static kfk_err check_inputs(const ksigv4_request *req, const ksigv4_creds *creds,
                            const ksigv4_scope *scope)
{
    if (!req || !creds || !scope || !req->method || !*req->method) return KFK_ERR_INVALID_ARG;
    if (!valid_scope_part(creds->access_key) || !creds->secret_key || !*creds->secret_key)
        return KFK_ERR_INVALID_ARG;
    if (!valid_scope_part(scope->region) || !valid_scope_part(scope->service))
        return KFK_ERR_INVALID_ARG;
    if (req->query_count && !req->query) return KFK_ERR_INVALID_ARG;
    if (req->header_count && !req->headers) return KFK_ERR_INVALID_ARG;
    if (req->payload_len && !req->payload) return KFK_ERR_INVALID_ARG;
    return KFK_OK;
}

/* Fills amz_date and credential of *out. */
static kfk_err fill_credential(const ksigv4_creds *creds, const ksigv4_scope *scope,
                               ksigv4_signed *out)
{
    char date[17];
    kfk_err err = ksigv4_amz_date(scope->time_s, date);
    if (err) return err;
    out->amz_date = strdup(date);
    kbuf c = {0};
    if (put_str(&c, creds->access_key) || put_char(&c, '/') || kbuf_append(&c, date, 8) ||
        put_char(&c, '/') || put_str(&c, scope->region) || put_char(&c, '/') ||
        put_str(&c, scope->service) || put_str(&c, "/aws4_request")) {
        kbuf_free(&c);
        return KFK_ERR_NO_MEMORY;
    }
    out->credential = take_str(&c);
    return out->amz_date && out->credential ? KFK_OK : KFK_ERR_NO_MEMORY;
}

/* Builds the canonical request from req plus the signer's extra query
 * parameters, then the string to sign and the signature. amz_date and
 * credential of *out are set already. */
static kfk_err sign_common(const ksigv4_request *req, const ksigv4_param *extra, size_t nextra,
                           const ksigv4_creds *creds, const ksigv4_scope *scope, ksigv4_signed *out)
{
    kbuf creq = {0}, headers = {0}, names = {0}, sts = {0};
    char hash[65];
    kfk_err err = put_canonical_headers(&headers, &names, req->headers, req->header_count);
    if (!err) {
        if (put_str(&creq, req->method) || put_char(&creq, '\n') || put_canonical_uri(&creq, req) ||
            put_char(&creq, '\n'))
            err = KFK_ERR_NO_MEMORY;
    }
    if (!err) err = put_canonical_query(&creq, req->query, req->query_count, extra, nextra);
    if (!err && req->payload_hash) {
        if (!*req->payload_hash || strlen(req->payload_hash) > 64)
            err = KFK_ERR_INVALID_ARG;
        else
            memcpy(hash, req->payload_hash, strlen(req->payload_hash) + 1);
    } else if (!err) {
        err = sha256_hex(req->payload_len ? req->payload : "", req->payload_len, hash);
    }
    if (!err && (put_char(&creq, '\n') || kbuf_append(&creq, headers.data, headers.len) ||
                 put_char(&creq, '\n') || kbuf_append(&creq, names.data, names.len) ||
                 put_char(&creq, '\n') || put_str(&creq, hash)))
        err = KFK_ERR_NO_MEMORY;
    if (!err) err = sha256_hex(creq.data, creq.len, hash);
    /* The scope is the credential after the access key and its '/'. */
    const char *cscope = out->credential + strlen(creds->access_key) + 1;
    if (!err && (put_str(&sts, KSIGV4_ALGORITHM "\n") || put_str(&sts, out->amz_date) ||
                 put_char(&sts, '\n') || put_str(&sts, cscope) || put_char(&sts, '\n') ||
                 put_str(&sts, hash)))
        err = KFK_ERR_NO_MEMORY;
    uint8_t key[32], sig[32];
    char date8[9];
    memcpy(date8, out->amz_date, 8);
    date8[8] = '\0';
    if (!err)
        err = ksigv4_signing_key(creds->secret_key, date8, scope->region, scope->service, key);
    if (!err) err = hmac256(key, 32, sts.data, sts.len, sig);
    OPENSSL_cleanse(key, sizeof(key));
    if (!err) {
        hex_lower(sig, 32, hash);
        out->signature = strdup(hash);
        out->signed_headers = take_str(&names);
        out->canonical_request = take_str(&creq);
        out->string_to_sign = take_str(&sts);
        if (!out->signature || !out->signed_headers || !out->canonical_request ||
            !out->string_to_sign)
            err = KFK_ERR_NO_MEMORY;
    }
    kbuf_free(&creq);
    kbuf_free(&headers);
    kbuf_free(&names);
    kbuf_free(&sts);
    return err;
}

kfk_err ksigv4_sign_header(const ksigv4_request *req, const ksigv4_creds *creds,
                           const ksigv4_scope *scope, ksigv4_signed *out)
{
    memset(out, 0, sizeof(*out));
    kfk_err err = check_inputs(req, creds, scope);
    if (!err) err = fill_credential(creds, scope, out);
    if (!err) err = sign_common(req, NULL, 0, creds, scope, out);
    kbuf a = {0};
    if (!err && (put_str(&a, KSIGV4_ALGORITHM " Credential=") || put_str(&a, out->credential) ||
                 put_str(&a, ", SignedHeaders=") || put_str(&a, out->signed_headers) ||
                 put_str(&a, ", Signature=") || put_str(&a, out->signature) ||
                 !(out->authorization = take_str(&a))))
        err = KFK_ERR_NO_MEMORY;
    kbuf_free(&a);
    if (err) ksigv4_signed_free(out);
    return err;
}

/* The names of the signed headers, as the presigned query carries them. */
static kfk_err signed_header_names(const ksigv4_request *req, char **out)
{
    kbuf canon = {0}, names = {0};
    kfk_err err = put_canonical_headers(&canon, &names, req->headers, req->header_count);
    kbuf_free(&canon);
    if (!err && !(*out = take_str(&names))) err = KFK_ERR_NO_MEMORY;
    kbuf_free(&names);
    return err;
}

kfk_err ksigv4_presign(const ksigv4_request *req, const ksigv4_creds *creds,
                       const ksigv4_scope *scope, int64_t expires_s, ksigv4_signed *out)
{
    memset(out, 0, sizeof(*out));
    /* AWS caps a presigned URL's lifetime at seven days. */
    if (expires_s < 1 || expires_s > 604800) return KFK_ERR_INVALID_ARG;
    kfk_err err = check_inputs(req, creds, scope);
    for (size_t i = 0; !err && i < req->query_count; i++)
        if (req->query[i].key && strncasecmp(req->query[i].key, "X-Amz-", 6) == 0)
            err = KFK_ERR_INVALID_ARG;
    char *names = NULL;
    if (!err) err = fill_credential(creds, scope, out);
    if (!err) err = signed_header_names(req, &names);
    if (err) {
        ksigv4_signed_free(out);
        return err;
    }
    char expires[24];
    snprintf(expires, sizeof(expires), "%lld", (long long)expires_s);
    ksigv4_param extra[6] = {
        {"X-Amz-Algorithm", KSIGV4_ALGORITHM}, {"X-Amz-Credential", out->credential},
        {"X-Amz-Date", out->amz_date},         {"X-Amz-Expires", expires},
        {"X-Amz-SignedHeaders", names},
    };
    size_t nextra = 5;
    /* The token is part of what is signed, as AWS's presigners do. */
    if (creds->session_token && *creds->session_token)
        extra[nextra++] = (ksigv4_param){"X-Amz-Security-Token", creds->session_token};
    err = sign_common(req, extra, nextra, creds, scope, out);
    kbuf q = {0};
    if (!err && (put_canonical_query(&q, req->query, req->query_count, extra, nextra) ||
                 put_str(&q, "&X-Amz-Signature=") || put_str(&q, out->signature) ||
                 !(out->query = take_str(&q))))
        err = err ? err : KFK_ERR_NO_MEMORY;
    kbuf_free(&q);
    free(names);
    if (err) ksigv4_signed_free(out);
    return err;
}
