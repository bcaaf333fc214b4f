/* The pure half of the HTTP client (see http.h): splitting the endpoint's
 * URL, and reading the server's answer. RFC 9112 is the grammar; where it
 * lets a client be lenient (bare LF, obs-fold, TE plus Content-Length),
 * this parser refuses, because an answer that two parsers could read two
 * ways is either broken or hostile. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/http.h"

/* --- the URL ------------------------------------------------------------------ */

static kfk_err url_err(char *errstr, size_t errlen, const char *why)
{
    snprintf(errstr, errlen, "sasl.oauthbearer.token.endpoint.url: %s", why);
    return KFK_ERR_CONFIG;
}

static bool url_chars_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '#') return false;
    return true;
}

/* host[:port] or [v6]:port of authority[0..len) into out. */
static kfk_err split_authority(const char *a, size_t len, khttp_url *out, char *errstr,
                               size_t errlen)
{
    const char *host = a, *port = NULL;
    size_t host_len = len;
    if (len && a[0] == '[') {
        const char *close = memchr(a, ']', len);
        if (!close) return url_err(errstr, errlen, "unclosed [ in the host");
        host = a + 1;
        host_len = (size_t)(close - host);
        if (close + 1 < a + len) {
            if (close[1] != ':') return url_err(errstr, errlen, "junk after the [IPv6] host");
            port = close + 2;
        }
    } else {
        const char *colon = memchr(a, ':', len);
        if (colon) {
            host_len = (size_t)(colon - a);
            port = colon + 1;
        }
    }
    if (!host_len || host_len >= sizeof(out->host)) return url_err(errstr, errlen, "bad host");
    memcpy(out->host, host, host_len);
    out->host[host_len] = '\0';
    if (!port) return KFK_OK;
    size_t port_len = (size_t)(a + len - port);
    int p = 0;
    for (size_t i = 0; i < port_len; i++) {
        if (port[i] < '0' || port[i] > '9' || p > 65535) return url_err(errstr, errlen, "bad port");
        p = p * 10 + (port[i] - '0');
    }
    if (!port_len || p < 1 || p > 65535) return url_err(errstr, errlen, "bad port");
    out->port = p;
    return KFK_OK;
}

kfk_err khttp_url_parse(const char *url, khttp_url *out, char *errstr, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!url_chars_ok(url))
        return url_err(errstr, errlen, "spaces, control characters or a fragment in the URL");
    const char *rest;
    if (strncasecmp(url, "https://", 8) == 0) {
        out->tls = true;
        out->port = 443;
        rest = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        out->port = 80;
        rest = url + 7;
    } else {
        return url_err(errstr, errlen, "not an http:// or https:// URL");
    }
    size_t auth_len = strcspn(rest, "/?");
    if (memchr(rest, '@', auth_len))
        return url_err(errstr, errlen, "user info in the URL (give credentials as properties)");
    kfk_err err = split_authority(rest, auth_len, out, errstr, errlen);
    if (err) return err;
    const char *target = rest + auth_len;
    int n = snprintf(out->target, sizeof(out->target), "%s%s", *target == '/' ? "" : "/", target);
    if (n < 0 || (size_t)n >= sizeof(out->target)) return url_err(errstr, errlen, "path too long");
    return KFK_OK;
}

/* --- the answer ----------------------------------------------------------------- */

void khttp_response_free(khttp_response *r)
{
    kbuf_free(&r->body);
    memset(r, 0, sizeof(*r));
}

/* A cursor over the received bytes. */
typedef struct cur {
    const char *p, *end;
} cur;

/* The next line (without its CRLF) into *line, *n; 1 when found, 0 when
 * the CRLF has not arrived yet, -1 for a bare LF or a NUL. */
static int next_line(cur *c, const char **line, size_t *n)
{
    for (const char *q = c->p; q < c->end; q++) {
        if (*q == '\0') return -1;
        if (*q == '\n') return -1;
        if (*q == '\r') {
            if (q + 1 == c->end) return 0;
            if (q[1] != '\n') return -1;
            *line = c->p;
            *n = (size_t)(q - c->p);
            c->p = q + 2;
            return 1;
        }
    }
    return 0;
}

static int bad(char *errstr, size_t errlen, const char *why)
{
    snprintf(errstr, errlen, "the token endpoint's answer is not valid HTTP: %s", why);
    return KHTTP_BAD;
}

/* "HTTP/1.x NNN reason" */
static int status_line(const char *s, size_t n, khttp_response *out, char *errstr, size_t errlen)
{
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
        return bad(errstr, errlen, "no HTTP/1.x status line");
    int st = 0;
    for (int i = 9; i < 12; i++) {
        if (s[i] < '0' || s[i] > '9') return bad(errstr, errlen, "bad status code");
        st = st * 10 + (s[i] - '0');
    }
    if (st < 100 || (n > 12 && s[12] != ' ')) return bad(errstr, errlen, "bad status code");
    out->status = st;
    size_t j = 0;
    for (size_t i = 13; i < n && j + 1 < sizeof(out->reason); i++)
        out->reason[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out->reason[j] = '\0';
    return KHTTP_DONE;
}

/* What the headers say about the body. */
typedef struct framing {
    bool chunked;
    bool has_length;
    uint64_t length;
} framing;

static bool is_tchar(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool name_is(const char *s, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

static int content_length(const char *v, size_t n, framing *f, char *errstr, size_t errlen)
{
    uint64_t len = 0;
    if (!n) return bad(errstr, errlen, "empty Content-Length");
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return bad(errstr, errlen, "bad Content-Length");
        len = len * 10 + (uint64_t)(v[i] - '0');
        if (len > KHTTP_MAX_RESPONSE_BYTES) return bad(errstr, errlen, "body over the size cap");
    }
    if (f->has_length && f->length != len) return bad(errstr, errlen, "differing Content-Lengths");
    f->has_length = true;
    f->length = len;
    return KHTTP_DONE;
}

/* One "name: value" line. */
static int header_line(const char *s, size_t n, framing *f, char *errstr, size_t errlen)
{
    if (s[0] == ' ' || s[0] == '\t') return bad(errstr, errlen, "folded header line");
    size_t i = 0;
    while (i < n && is_tchar(s[i]))
        i++;
    if (i == 0 || i == n || s[i] != ':') return bad(errstr, errlen, "bad header line");
    const char *v = s + i + 1, *end = s + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vn = (size_t)(end - v);
    for (size_t k = 0; k < vn; k++)
        if ((unsigned char)v[k] < 0x20 && v[k] != '\t')
            return bad(errstr, errlen, "bad header value");
    if (name_is(s, i, "Content-Length")) return content_length(v, vn, f, errstr, errlen);
    if (name_is(s, i, "Transfer-Encoding")) {
        if (f->chunked || !name_is(v, vn, "chunked"))
            return bad(errstr, errlen, "a Transfer-Encoding other than chunked");
        f->chunked = true;
    }
    return KHTTP_DONE;
}

/* head()'s result when the head is complete (c is past the blank line). */
#define HEAD_DONE 2

/* The status line and headers: HEAD_DONE, KHTTP_MORE or KHTTP_BAD. */
static int head(cur *c, khttp_response *out, framing *f, char *errstr, size_t errlen)
{
    const char *line;
    size_t n;
    const char *start = c->p;
    int r = next_line(c, &line, &n);
    if (r < 0) return bad(errstr, errlen, "bad line end");
    if (r == 0) goto incomplete;
    if (status_line(line, n, out, errstr, errlen)) return KHTTP_BAD;
    for (;;) {
        r = next_line(c, &line, &n);
        if (r < 0) return bad(errstr, errlen, "bad line end");
        if (r == 0) goto incomplete;
        if (n == 0) break;
        if (header_line(line, n, f, errstr, errlen)) return KHTTP_BAD;
        if ((size_t)(c->p - start) > KHTTP_MAX_HEADER_BYTES)
            return bad(errstr, errlen, "headers over the size cap");
    }
    if (f->chunked && f->has_length)
        return bad(errstr, errlen, "both Content-Length and Transfer-Encoding");
    if (out->status < 200) return bad(errstr, errlen, "an interim (1xx) answer");
    return HEAD_DONE;
incomplete:
    if ((size_t)(c->end - start) > KHTTP_MAX_HEADER_BYTES)
        return bad(errstr, errlen, "headers over the size cap");
    return KHTTP_MORE;
}

/* A chunk-size line: hex digits, then maybe ";ext". */
static int chunk_size(const char *s, size_t n, uint64_t *size, char *errstr, size_t errlen)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; i < n; i++) {
        char ch = s[i];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (d < 0) break;
        v = v * 16 + (uint64_t)d;
        if (v > KHTTP_MAX_RESPONSE_BYTES) return bad(errstr, errlen, "chunk over the size cap");
    }
    if (i == 0 || (i < n && s[i] != ';' && s[i] != ' ' && s[i] != '\t'))
        return bad(errstr, errlen, "bad chunk size");
    *size = v;
    return KHTTP_DONE;
}

static int chunked_body(cur *c, kbuf *body, char *errstr, size_t errlen)
{
    const char *line;
    size_t n;
    for (;;) {
        int r = next_line(c, &line, &n);
        if (r <= 0) return r < 0 ? bad(errstr, errlen, "bad chunk line end") : KHTTP_MORE;
        uint64_t size;
        if (chunk_size(line, n, &size, errstr, errlen)) return KHTTP_BAD;
        if (size == 0) break;
        if (body->len + size > KHTTP_MAX_RESPONSE_BYTES)
            return bad(errstr, errlen, "body over the size cap");
        if ((uint64_t)(c->end - c->p) < size + 2) return KHTTP_MORE;
        if (c->p[size] != '\r' || c->p[size + 1] != '\n')
            return bad(errstr, errlen, "chunk not followed by CRLF");
        if (kbuf_append(body, c->p, (size_t)size)) return bad(errstr, errlen, "out of memory");
        c->p += size + 2;
    }
    for (;;) { /* trailer fields, ignored, up to the blank line */
        int r = next_line(c, &line, &n);
        if (r <= 0) return r < 0 ? bad(errstr, errlen, "bad trailer line end") : KHTTP_MORE;
        if (n == 0) return KHTTP_DONE;
    }
}

static int body(cur *c, bool eof, const khttp_response *out, const framing *f, kbuf *b,
                char *errstr, size_t errlen)
{
    if (out->status == 204 || out->status == 304) return KHTTP_DONE;
    if (f->chunked) return chunked_body(c, b, errstr, errlen);
    size_t have = (size_t)(c->end - c->p);
    if (f->has_length) {
        if (have < f->length) return KHTTP_MORE;
        return kbuf_append(b, c->p, (size_t)f->length) ? bad(errstr, errlen, "out of memory")
                                                       : KHTTP_DONE;
    }
    /* No framing: the body runs to the close (we asked for one). */
    if (have > KHTTP_MAX_RESPONSE_BYTES) return bad(errstr, errlen, "body over the size cap");
    if (!eof) return KHTTP_MORE;
    return kbuf_append(b, c->p, have) ? bad(errstr, errlen, "out of memory") : KHTTP_DONE;
}

int khttp_parse_response(const char *buf, size_t len, bool eof, khttp_response *out, char *errstr,
                         size_t errlen)
{
    memset(out, 0, sizeof(*out));
    cur c = {buf, buf + len};
    framing f = {0};
    int r = head(&c, out, &f, errstr, errlen);
    if (r == HEAD_DONE) r = body(&c, eof, out, &f, &out->body, errstr, errlen);
    if (r == KHTTP_MORE && eof) r = bad(errstr, errlen, "the server closed before the end");
    if (r == KHTTP_DONE && kbuf_append(&out->body, "", 1) == 0) {
        out->body.len--; /* a NUL after the body, for the JSON reader */
        return KHTTP_DONE;
    }
    if (r == KHTTP_DONE) r = bad(errstr, errlen, "out of memory");
    kbuf_free(&out->body);
    return r;
}
