/* A small, strict HTTP/1.1 client for the one request kfk makes outside
 * Kafka's protocol: the POST to an OAuth token endpoint. One request per
 * connection ("Connection: close"), over a blocking-with-deadline socket,
 * with TLS through lib/net's ktls (certificate and host name verified).
 *
 * The answer comes from a server kfk does not control: the parser bounds
 * every read, caps the whole answer at KHTTP_MAX_RESPONSE_BYTES, and
 * refuses anything ambiguous (Content-Length with Transfer-Encoding,
 * differing Content-Lengths, folded headers, bare LF line ends) rather
 * than guess.
 *
 * Threads: khttp_parse_response and khttp_url_parse are pure (any
 * thread); khttp_post blocks its caller up to the timeouts given. */
#ifndef KFK_NET_HTTP_H
#define KFK_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "kfk.h"
#include "net/tls.h"

#define KHTTP_MAX_RESPONSE_BYTES (1u << 20)
#define KHTTP_MAX_HEADER_BYTES (64u * 1024)

/* An http:// or https:// URL, split. */
typedef struct khttp_url {
    bool tls;
    char host[256]; /* without brackets for an IPv6 literal */
    int port;
    char target[2048]; /* path and query, "/" when the URL has none */
} khttp_url;

/* Splits url. Refuses user info ("user@host"), fragments, spaces and
 * control characters, and ports outside 1..65535. Returns KFK_OK or
 * KFK_ERR_CONFIG with the reason in errstr (the URL is not quoted: it may
 * carry secrets in its query). */
kfk_err khttp_url_parse(const char *url, khttp_url *out, char *errstr, size_t errlen);

/* A parsed answer. body is malloc'd (NUL-terminated, body.len excludes the
 * NUL); reason is the status line's text, sanitised to printable ASCII. */
typedef struct khttp_response {
    int status;
    char reason[64];
    kbuf body;
} khttp_response;
void khttp_response_free(khttp_response *r);

enum {
    KHTTP_DONE = 0,
    KHTTP_MORE = 1, /* the answer so far is well-formed but incomplete */
    KHTTP_BAD = -1, /* malformed, or over the caps */
};

/* Parses the bytes received so far, buf[0..len); eof says the server has
 * closed. Returns KHTTP_DONE with *out filled (the caller frees it),
 * KHTTP_MORE (nothing to free), or KHTTP_BAD with the reason in errstr
 * (nothing to free). Bytes after a complete answer are ignored. */
int khttp_parse_response(const char *buf, size_t len, bool eof, khttp_response *out, char *errstr,
                         size_t errlen);

/* One request's settings. */
typedef struct khttp_request {
    const khttp_url *url;
    const char *authorization; /* the whole header value, or NULL */
    const char *content_type;
    const char *body;
    size_t body_len;
    int connect_timeout_ms; /* resolving, connecting and the TLS handshake */
    int read_timeout_ms;    /* from the request sent to the answer complete */
    ktls_ctx *tls;          /* required for https */
} khttp_request;

/* Sends a POST and reads the answer into *out. Returns KFK_OK (any status:
 * the caller judges it), KFK_ERR_TRANSPORT (could not resolve, connect,
 * send or read in time), KFK_ERR_TLS (handshake or certificate) or
 * KFK_ERR_MALFORMED (the answer is not HTTP), with the reason in errstr;
 * never the authorization or body. Blocks up to both timeouts. */
kfk_err khttp_post(const khttp_request *req, khttp_response *out, char *errstr, size_t errlen);

#endif
