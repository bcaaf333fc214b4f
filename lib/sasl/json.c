/* A validating reader for one JSON object (RFC 8259) and a string writer.
 * Bounded by length and depth; the input need not be NUL-terminated. */
#include "sasl/json.h"

#include <string.h>

typedef struct reader {
    const char *p, *end;
} reader;

static void skip_ws(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = is_digit(c)            ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* At an opening quote: moves past the closing one; *body and *len get the text
 * between. */
static bool read_string(reader *r, const char **body, size_t *len)
{
    if (r->p >= r->end || *r->p != '"') return false;
    const char *start = ++r->p;
    while (r->p < r->end) {
        unsigned char c = (unsigned char)*r->p;
        if (c == '"') {
            *body = start;
            *len = (size_t)(r->p - start);
            r->p++;
            return true;
        }
        if (c < 0x20) return false;
        if (c == '\\') {
            if (r->end - r->p < 2) return false;
            char e = r->p[1];
            if (e == 'u') {
                if (r->end - r->p < 6 || hex4(r->p + 2) < 0) return false;
                r->p += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0') return false;
            r->p += 2;
            continue;
        }
        r->p++;
    }
    return false;
}

static bool read_digits(reader *r)
{
    const char *start = r->p;
    while (r->p < r->end && is_digit(*r->p))
        r->p++;
    return r->p > start;
}

static bool read_number(reader *r)
{
    if (r->p < r->end && *r->p == '-') r->p++;
    if (r->p < r->end && *r->p == '0') {
        r->p++;
    } else if (!read_digits(r)) {
        return false;
    }
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (!read_digits(r)) return false;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
        if (!read_digits(r)) return false;
    }
    return true;
}

bool kjson_is_number(const char *s, size_t len)
{
    reader r = {s, s + len};
    return s && len && read_number(&r) && r.p == r.end;
}

static bool read_literal(reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) return false;
    r->p += n;
    return true;
}

static bool read_value(reader *r, int depth, kjson_value *v);

/* At '{' or '[': reads the whole container. For an object, calls back on
 * each member at the top level only (member != NULL). */
typedef bool member_fn(void *arg, const char *name, size_t name_len, const kjson_value *v);

static bool read_container(reader *r, int depth, member_fn *member, void *arg)
{
    if (depth >= KJSON_MAX_DEPTH) return false;
    bool object = *r->p == '{';
    char close = object ? '}' : ']';
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return true;
    }
    for (;;) {
        const char *name = NULL;
        size_t name_len = 0;
        if (object) {
            if (!read_string(r, &name, &name_len)) return false;
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':') return false;
            r->p++;
            skip_ws(r);
        }
        kjson_value v;
        if (!read_value(r, depth + 1, &v)) return false;
        if (member && !member(arg, name, name_len, &v)) return false;
        skip_ws(r);
        if (r->p >= r->end) return false;
        if (*r->p == close) {
            r->p++;
            return true;
        }
        if (*r->p != ',') return false;
        r->p++;
        skip_ws(r);
    }
}

static bool read_value(reader *r, int depth, kjson_value *v)
{
    if (r->p >= r->end) return false;
    const char *start = r->p;
    char c = *r->p;
    bool ok;
    if (c == '"') {
        v->type = KJSON_STRING;
        return read_string(r, &v->p, &v->len);
    } else if (c == '{' || c == '[') {
        v->type = c == '{' ? KJSON_OBJECT : KJSON_ARRAY;
        ok = read_container(r, depth, NULL, NULL);
    } else if (c == '-' || is_digit(c)) {
        v->type = KJSON_NUMBER;
        ok = read_number(r);
    } else if (c == 't') {
        v->type = KJSON_TRUE;
        ok = read_literal(r, "true");
    } else if (c == 'f') {
        v->type = KJSON_FALSE;
        ok = read_literal(r, "false");
    } else if (c == 'n') {
        v->type = KJSON_NULL;
        ok = read_literal(r, "null");
    } else {
        return false;
    }
    v->p = start;
    v->len = (size_t)(r->p - start);
    return ok;
}

/* --- strings --------------------------------------------------------------- */

static int put_utf8(kbuf *out, unsigned cp)
{
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xC0 | cp >> 6);
        b[1] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xE0 | cp >> 12);
        b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | cp >> 18);
        b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        b[3] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return kbuf_append(out, b, n);
}

/* Decodes body[0..len), which read_string() accepted. */
static kfk_err unescape(const char *p, size_t len, kbuf *out)
{
    const char *end = p + len;
    while (p < end) {
        if (*p != '\\') {
            const char *q = p;
            while (q < end && *q != '\\')
                q++;
            if (kbuf_append(out, p, (size_t)(q - p))) return KFK_ERR_NO_MEMORY;
            p = q;
            continue;
        }
        char e = p[1];
        p += 2;
        if (e != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            char c = to[strchr(from, e) - from];
            if (kbuf_append(out, &c, 1)) return KFK_ERR_NO_MEMORY;
            continue;
        }
        unsigned cp = (unsigned)hex4(p);
        p += 4;
        if (cp == 0) return KFK_ERR_MALFORMED;
        if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
            int lo = hex4(p + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
                p += 6;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        if (put_utf8(out, cp)) return KFK_ERR_NO_MEMORY;
    }
    return KFK_OK;
}

kfk_err kjson_string(const kjson_value *v, kbuf *out)
{
    if (!v || v->type != KJSON_STRING) return KFK_ERR_MALFORMED;
    return unescape(v->p, v->len, out);
}

int kjson_put_string(kbuf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (kbuf_append(out, "\"", 1)) return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            if (c >= 0x20) {
                n = 0;
            } else {
                memcpy(esc + 1, "u00", 3);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                n = 6;
            }
        }
        if (n ? kbuf_append(out, esc, n) : kbuf_append(out, &s[i], 1)) return -1;
    }
    return kbuf_append(out, "\"", 1);
}

/* --- objects --------------------------------------------------------------- */

typedef struct find_state {
    const char *key;
    kjson_value *out;
    kbuf name;
    kfk_err err;
} find_state;

static bool find_member(void *arg, const char *name, size_t name_len, const kjson_value *v)
{
    find_state *st = arg;
    if (st->out->type != KJSON_NONE) return true;
    kbuf_reset(&st->name);
    kfk_err err = unescape(name, name_len, &st->name);
    if (err == KFK_ERR_NO_MEMORY) {
        st->err = err;
        return false;
    }
    size_t n = strlen(st->key);
    /* An empty name leaves name.data NULL: memcmp must not see it. */
    if (!err && st->name.len == n && (n == 0 || memcmp(st->name.data, st->key, n) == 0))
        *st->out = *v;
    return true;
}

kfk_err kjson_object_get(const char *json, size_t len, const char *key, kjson_value *out)
{
    out->type = KJSON_NONE;
    out->p = NULL;
    out->len = 0;
    if (!json) return KFK_ERR_MALFORMED;
    reader r = {json, json + len};
    find_state st = {key, out, {0}, KFK_OK};
    skip_ws(&r);
    bool ok = r.p < r.end && *r.p == '{' && read_container(&r, 0, find_member, &st);
    kbuf_free(&st.name);
    if (st.err) return st.err;
    skip_ws(&r);
    if (!ok || r.p != r.end) {
        out->type = KJSON_NONE;
        return KFK_ERR_MALFORMED;
    }
    return KFK_OK;
}

/* --- numbers --------------------------------------------------------------- */

kfk_err kjson_number_scaled(const kjson_value *v, int pow10, int64_t *out)
{
    if (!v || v->type != KJSON_NUMBER) return KFK_ERR_MALFORMED;
    const char *p = v->p, *end = v->p + v->len;
    bool neg = p < end && *p == '-';
    if (neg) p++;
    uint64_t m = 0;
    int64_t exp10 = pow10;
    /* Digits past 18 significant ones only shift the exponent: they are
     * below the truncation for any result that fits. */
    bool frac = false;
    for (; p < end && (is_digit(*p) || *p == '.'); p++) {
        if (*p == '.') {
            frac = true;
            continue;
        }
        if (m < 100000000000000000ULL) {
            m = m * 10 + (uint64_t)(*p - '0');
            if (frac) exp10--;
        } else if (!frac) {
            exp10++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = p < end && *p == '-';
        if (p < end && (*p == '+' || *p == '-')) p++;
        int64_t e = 0;
        for (; p < end; p++)
            if (e < 100000) e = e * 10 + (*p - '0');
        exp10 += eneg ? -e : e;
    }
    for (; m && exp10 < 0; exp10++)
        m /= 10;
    for (; m && exp10 > 0; exp10--) {
        if (m > (uint64_t)INT64_MAX / 10) return KFK_ERR_MALFORMED;
        m *= 10;
    }
    if (m > (uint64_t)INT64_MAX) return KFK_ERR_MALFORMED;
    *out = neg ? -(int64_t)m : (int64_t)m;
    return KFK_OK;
}
