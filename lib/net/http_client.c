/* The I/O half of the HTTP client (see http.h): one POST over a socket of
 * its own, plain or TLS, every wait bounded by poll() against a deadline.
 * It runs on the client's background thread, never on an I/O thread, so
 * blocking here stalls no broker connection. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/time.h"
#include "net/http.h"
#include "net/sock.h"

#define READ_CHUNK 16384

/* One connection to the endpoint. */
typedef struct hconn {
    int fd;
    ktls *tls;
    int64_t deadline_ns;
} hconn;

static int64_t deadline_after(int ms)
{
    return ktime_mono_ns() + (int64_t)ms * KTIME_NS_PER_MS;
}

/* Waits until fd is ready for events or the deadline passes: 1, 0 on
 * timeout, -1 on a poll error. */
static int wait_fd(int fd, short events, int64_t deadline_ns)
{
    for (;;) {
        int64_t left_ms = (deadline_ns - ktime_mono_ns()) / KTIME_NS_PER_MS;
        if (left_ms <= 0) return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, left_ms > 60000 ? 60000 : (int)left_ms);
        if (r > 0) return 1;
        if (r < 0 && errno != EINTR) return -1;
    }
}

static kfk_err timed_out(char *errstr, size_t errlen, const char *what, const khttp_url *u)
{
    snprintf(errstr, errlen, "token endpoint %s:%d: timed out %s", u->host, u->port, what);
    return KFK_ERR_TRANSPORT;
}

/* Connects to the first address that answers within the deadline. */
static kfk_err connect_tcp(hconn *h, const khttp_url *u, char *errstr, size_t errlen)
{
    kaddrs addrs;
    int gai = ksock_resolve(u->host, u->port, 0, &addrs);
    if (gai) {
        snprintf(errstr, errlen, "token endpoint %s: cannot resolve: %s", u->host,
                 gai_strerror(gai));
        return KFK_ERR_TRANSPORT;
    }
    int last = ETIMEDOUT;
    for (int i = 0; i < addrs.n; i++) {
        int fd = ksock_connect((struct sockaddr *)&addrs.addr[i], addrs.len[i], 0, 0);
        if (fd < 0) {
            last = -fd;
            continue;
        }
        int r = wait_fd(fd, POLLOUT, h->deadline_ns);
        int err = r > 0 ? ksock_error(fd) : ETIMEDOUT;
        if (!err) {
            h->fd = fd;
            return KFK_OK;
        }
        close(fd);
        last = err;
        if (r == 0) break;
    }
    if (last == ETIMEDOUT) return timed_out(errstr, errlen, "connecting", u);
    snprintf(errstr, errlen, "token endpoint %s:%d: cannot connect: %s", u->host, u->port,
             strerror(last));
    return KFK_ERR_TRANSPORT;
}

static kfk_err handshake(hconn *h, ktls_ctx *ctx, const khttp_url *u, char *errstr, size_t errlen)
{
    if (!(h->tls = ktls_new(ctx, h->fd, u->host, "the token endpoint"))) {
        snprintf(errstr, errlen, "out of memory");
        return KFK_ERR_NO_MEMORY;
    }
    for (;;) {
        char why[256] = "";
        int r = ktls_handshake(h->tls, why, sizeof(why));
        if (r == KTLS_OK) return KFK_OK;
        if (r < 0) {
            snprintf(errstr, errlen, "token endpoint %s:%d: TLS handshake failed: %s", u->host,
                     u->port, why);
            return KFK_ERR_TLS;
        }
        short ev = r == KTLS_WANT_READ ? POLLIN : POLLOUT;
        if (wait_fd(h->fd, ev, h->deadline_ns) <= 0)
            return timed_out(errstr, errlen, "in the TLS handshake", u);
    }
}

/* Sends p[0..n) whole. */
static kfk_err send_all(hconn *h, const khttp_url *u, const char *p, size_t n, char *errstr,
                        size_t errlen)
{
    while (n) {
        char why[256] = "";
        int want = KTLS_WANT_WRITE;
        ssize_t w;
        if (h->tls) {
            w = ktls_write(h->tls, p, n, &want, why, sizeof(why));
        } else {
            w = send(h->fd, p, n, MSG_NOSIGNAL);
            if (w < 0 && (errno == EAGAIN || errno == EINTR))
                w = 0;
            else if (w < 0)
                snprintf(why, sizeof(why), "%s", strerror(errno));
        }
        if (w < 0) {
            snprintf(errstr, errlen, "token endpoint %s:%d: sending failed: %s", u->host, u->port,
                     why);
            return KFK_ERR_TRANSPORT;
        }
        p += w;
        n -= (size_t)w;
        if (w == 0 &&
            wait_fd(h->fd, want == KTLS_WANT_READ ? POLLIN : POLLOUT, h->deadline_ns) <= 0)
            return timed_out(errstr, errlen, "sending the request", u);
    }
    return KFK_OK;
}

/* Reads what has arrived into b: > 0 bytes, 0 to wait (*want set), -1 at
 * the server's close, -2 on an error (reason in errstr). */
static ssize_t recv_some(hconn *h, kbuf *b, int *want, char *errstr, size_t errlen)
{
    uint8_t *p = kbuf_extend(b, READ_CHUNK);
    if (!p) {
        snprintf(errstr, errlen, "out of memory");
        return -2;
    }
    b->len -= READ_CHUNK;
    ssize_t r;
    *want = KTLS_WANT_READ;
    if (h->tls) {
        r = ktls_read(h->tls, p, READ_CHUNK, want, errstr, errlen);
        if (r == KTLS_ERR_SOCKET) return -1;
        if (r < 0) return -2;
    } else {
        r = recv(h->fd, p, READ_CHUNK, 0);
        if (r == 0) return -1;
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
        if (r < 0) {
            snprintf(errstr, errlen, "%s", strerror(errno));
            return -2;
        }
    }
    b->len += (size_t)r;
    return r;
}

static kfk_err read_answer(hconn *h, const khttp_url *u, khttp_response *out, char *errstr,
                           size_t errlen)
{
    kbuf b = {0};
    kfk_err err = KFK_OK;
    for (;;) {
        char why[256] = "";
        int want;
        ssize_t r = recv_some(h, &b, &want, why, sizeof(why));
        if (r == -2) {
            snprintf(errstr, errlen, "token endpoint %s:%d: reading failed: %s", u->host, u->port,
                     why);
            err = KFK_ERR_TRANSPORT;
            break;
        }
        if (r != 0) {
            int p = khttp_parse_response((const char *)b.data, b.len, r < 0, out, errstr, errlen);
            if (p == KHTTP_DONE) break;
            if (p == KHTTP_BAD) {
                err = KFK_ERR_MALFORMED;
                break;
            }
            if (b.len > KHTTP_MAX_RESPONSE_BYTES + KHTTP_MAX_HEADER_BYTES) {
                snprintf(errstr, errlen, "token endpoint %s:%d: answer over the size cap", u->host,
                         u->port);
                err = KFK_ERR_MALFORMED;
                break;
            }
            continue;
        }
        if (h->tls && ktls_has_pending(h->tls)) continue;
        if (wait_fd(h->fd, want == KTLS_WANT_WRITE ? POLLOUT : POLLIN, h->deadline_ns) <= 0) {
            err = timed_out(errstr, errlen, "waiting for the answer", u);
            break;
        }
    }
    kbuf_free(&b);
    return err;
}

/* "host" or "host:port", brackets around an IPv6 literal (RFC 9110 7.2). */
static void host_header(const khttp_url *u, char *buf, size_t len)
{
    bool v6 = strchr(u->host, ':') != NULL;
    const char *open = v6 ? "[" : "", *close = v6 ? "]" : "";
    if (u->port == (u->tls ? 443 : 80))
        snprintf(buf, len, "%s%s%s", open, u->host, close);
    else
        snprintf(buf, len, "%s%s%s:%d", open, u->host, close, u->port);
}

/* The whole request. It holds the Authorization value: the caller wipes
 * it. */
static kfk_err build_request(const khttp_request *req, kbuf *out)
{
    char host[300], head[4096];
    host_header(req->url, host, sizeof(host));
    int n = snprintf(head, sizeof(head),
                     "POST %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n"
                     "Connection: close\r\nContent-Type: %s\r\nContent-Length: %zu\r\n",
                     req->url->target, host, req->content_type, req->body_len);
    if (n < 0 || (size_t)n >= sizeof(head) || kbuf_append(out, head, (size_t)n))
        return KFK_ERR_NO_MEMORY;
    const char *auth = req->authorization;
    if (auth && (kbuf_append(out, "Authorization: ", 15) || kbuf_append(out, auth, strlen(auth)) ||
                 kbuf_append(out, "\r\n", 2)))
        return KFK_ERR_NO_MEMORY;
    if (kbuf_append(out, "\r\n", 2) || kbuf_append(out, req->body, req->body_len))
        return KFK_ERR_NO_MEMORY;
    return KFK_OK;
}

kfk_err khttp_post(const khttp_request *req, khttp_response *out, char *errstr, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const khttp_url *u = req->url;
    hconn h = {.fd = -1, .deadline_ns = deadline_after(req->connect_timeout_ms)};
    kbuf msg = {0};
    kfk_err err = build_request(req, &msg);
    if (err) snprintf(errstr, errlen, "out of memory");
    if (!err) err = connect_tcp(&h, u, errstr, errlen);
    if (!err && u->tls) err = handshake(&h, req->tls, u, errstr, errlen);
    if (!err) {
        h.deadline_ns = deadline_after(req->read_timeout_ms);
        err = send_all(&h, u, (const char *)msg.data, msg.len, errstr, errlen);
    }
    if (!err) err = read_answer(&h, u, out, errstr, errlen);
    if (msg.data) explicit_bzero(msg.data, msg.len);
    kbuf_free(&msg);
    ktls_free(h.tls);
    if (h.fd >= 0) close(h.fd);
    return err;
}
