/* Client connections of the mock brokers: reading request frames,
 * handling them one after another (a request that waits, a long-poll
 * Fetch, holds back the ones behind it, as Kafka mutes a channel), and
 * writing the queued responses in order with sendmsg, each once its rtt
 * delay is over. TLS listeners read and write through tls.c instead of
 * read() and sendmsg(). Loop thread only. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/container_of.h"
#include "base/time.h"
#include "mock/groups.h"
#include "mock/mock.h"

#define READ_CHUNK (256 << 10)
#define MAX_IOV 64

struct mock_conn {
    kio io; /* the loop hands us &io; io.events: what we watch for */
    mock_cluster *mc;
    mock_broker *broker;
    mock_conn *prev, *next; /* the broker's connections, or the closed list */
    kbuf in;
    size_t in_off; /* bytes of `in` already handled */
    mock_out *out_head, *out_tail;
    size_t out_bytes;
    mock_timer send_timer; /* the head response's rtt delay */
    bool parked;           /* a request waits for its answer */
    bool want_write;       /* the socket was full */
    bool closing;          /* close once the output is written */
    karena arena;
    mock_session sess;
};

static void conn_process(mock_conn *c);

mock_broker *mock_conn_broker(mock_conn *c)
{
    return c->broker;
}

karena *mock_conn_arena(mock_conn *c)
{
    return &c->arena;
}

mock_session *mock_conn_session(mock_conn *c)
{
    return &c->sess;
}

/* ---------------------------------------------------------------- output */

mock_out *mock_out_new(mock_req *req)
{
    mock_out *o = calloc(1, sizeof(*o));
    if (o) o->send_at_ns = req->recv_ns + (int64_t)req->broker->rtt_ms * 1000000;
    return o;
}

int mock_out_seg(mock_out *o, krbuf *ref, size_t off, size_t len)
{
    if (o->n_segs == o->cap_segs) {
        size_t cap = o->cap_segs ? o->cap_segs * 2 : 16;
        mock_seg *s = realloc(o->segs, cap * sizeof(*s));
        if (!s) return KFK_ERR_NO_MEMORY;
        o->segs = s;
        o->cap_segs = cap;
    }
    o->segs[o->n_segs++] = (mock_seg){ref ? krbuf_ref(ref) : NULL, off, len};
    o->len += len;
    return 0;
}

void mock_out_free(mock_out *o)
{
    for (size_t i = 0; i < o->n_segs; i++)
        if (o->segs[i].ref) krbuf_unref(o->segs[i].ref);
    free(o->segs);
    kbuf_free(&o->head);
    free(o);
}

void mock_conn_send(mock_conn *c, mock_out *o)
{
    if (!o->segs) o->len = o->head.len;
    if (c->io.fd < 0) {
        mock_out_free(o);
        return;
    }
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
    c->out_bytes += o->len;
}

/* ---------------------------------------------------------------- epoll */

static void conn_update_events(mock_conn *c)
{
    if (c->io.fd < 0) return;
    uint32_t ev = EPOLLRDHUP;
    if (!c->parked && !c->closing && c->out_bytes < MOCK_OUT_HIGH_WATER) ev |= EPOLLIN;
    if (c->want_write || c->sess.tls_want_write) ev |= EPOLLOUT;
    kloop_io_mod(c->mc->loop, &c->io, ev);
}

/* --------------------------------------------------------------- writing */

static size_t out_iov(mock_out *o, struct iovec *iov, size_t max)
{
    if (!o->segs) {
        iov[0] = (struct iovec){o->head.data + o->seg_off, o->head.len - o->seg_off};
        return 1;
    }
    size_t n = 0;
    for (size_t i = o->seg_i; i < o->n_segs && n < max; i++) {
        const mock_seg *s = &o->segs[i];
        const uint8_t *base = s->ref ? s->ref->data : o->head.data;
        size_t skip = i == o->seg_i ? o->seg_off : 0;
        iov[n++] = (struct iovec){(void *)(base + s->off + skip), s->len - skip};
    }
    return n;
}

/* Moves write progress on by n bytes; frees responses fully written. */
static void out_advance(mock_conn *c, size_t n)
{
    c->out_bytes -= n;
    while (n) {
        mock_out *o = c->out_head;
        size_t n_segs = o->segs ? o->n_segs : 1;
        while (n && o->seg_i < n_segs) {
            size_t seg_len = o->segs ? o->segs[o->seg_i].len : o->head.len;
            size_t take = seg_len - o->seg_off < n ? seg_len - o->seg_off : n;
            o->seg_off += take;
            n -= take;
            if (o->seg_off == seg_len) {
                o->seg_i++;
                o->seg_off = 0;
            }
        }
        if (o->seg_i < n_segs) break;
        c->out_head = o->next;
        if (!c->out_head) c->out_tail = NULL;
        mock_out_free(o);
    }
}

/* Writes what is due; arms the timer for what is not yet. */
static void conn_flush(mock_conn *c)
{
    int64_t now = ktime_mono_ns();
    c->want_write = false;
    while (c->io.fd >= 0 && c->out_head && c->out_head->send_at_ns <= now) {
        struct iovec iov[MAX_IOV];
        size_t n = 0, total = 0;
        for (mock_out *o = c->out_head; o && n < MAX_IOV && o->send_at_ns <= now; o = o->next)
            n += out_iov(o, iov + n, MAX_IOV - n);
        for (size_t i = 0; i < n; i++)
            total += iov[i].iov_len;
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
        ssize_t w =
            c->sess.ssl ? mock_tls_writev(&c->sess, iov, n) : sendmsg(c->io.fd, &msg, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->want_write = true;
            break;
        }
        if (w < 0) {
            mock_conn_close(c);
            return;
        }
        out_advance(c, (size_t)w);
        if ((size_t)w < total && !c->sess.ssl) { /* TLS writes a record at a time */
            c->want_write = true;
            break;
        }
    }
    if (c->out_head && c->out_head->send_at_ns > now && !c->want_write)
        mock_timer_start(c->mc, &c->send_timer, c->out_head->send_at_ns);
    if (c->closing && !c->out_head && c->io.fd >= 0) {
        mock_conn_close(c);
        return;
    }
    conn_update_events(c);
}

static void on_send_timer(mock_cluster *mc, mock_timer *t)
{
    (void)mc;
    mock_conn *c = container_of(t, mock_conn, send_timer);
    conn_flush(c);
    conn_process(c); /* output may have dropped below the high-water mark */
}

/* --------------------------------------------------------------- reading */

/* Handles the whole frames in `in`, until one parks or output backs up. */
static void conn_process(mock_conn *c)
{
    while (c->io.fd >= 0 && !c->parked && !c->closing && c->out_bytes < MOCK_OUT_HIGH_WATER) {
        size_t avail = c->in.len - c->in_off;
        if (avail < 4) break;
        int32_t size =
            (int32_t)((uint32_t)c->in.data[c->in_off] << 24 |
                      (uint32_t)c->in.data[c->in_off + 1] << 16 |
                      (uint32_t)c->in.data[c->in_off + 2] << 8 | c->in.data[c->in_off + 3]);
        if (size < 0 || size > MOCK_MAX_FRAME) {
            mock_conn_close(c);
            return;
        }
        if (avail - 4 < (size_t)size) break;
        const uint8_t *frame = c->in.data + c->in_off + 4;
        c->in_off += 4 + (size_t)size;
        karena_reset(&c->arena);
        int rc = mock_dispatch(c, frame, (size_t)size);
        if (rc == MOCK_CLOSE) {
            mock_conn_close(c);
            return;
        }
        if (rc == MOCK_PARKED) c->parked = true;
    }
    /* A parked request points into `in`: keep it in place until answered. */
    if (!c->parked && c->in_off) {
        memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
        c->in.len -= c->in_off;
        c->in_off = 0;
    }
    conn_flush(c);
}

/* Called after each TLS read: notes a handshake that has just finished. */
static void tls_check_handshake(mock_conn *c, bool was_done)
{
    if (was_done || !c->sess.tls_done) return;
    mock_tls_principal(&c->sess, c->sess.tls_principal, sizeof(c->sess.tls_principal));
    mock_security *sec = &c->mc->sec;
    if (!sec->sasl) memcpy(sec->last_principal, c->sess.tls_principal, sizeof(sec->last_principal));
}

/* OpenSSL may hold decrypted bytes epoll knows nothing of: read until it
 * wants more from the socket. */
static void conn_read_tls(mock_conn *c)
{
    c->sess.tls_want_write = false;
    size_t before = c->in.len;
    bool end = false;
    while (!end) {
        if (kbuf_reserve(&c->in, READ_CHUNK)) {
            mock_conn_close(c);
            return;
        }
        bool was_done = c->sess.tls_done;
        ssize_t n = mock_tls_read(&c->sess, c->in.data + c->in.len, c->in.cap - c->in.len);
        tls_check_handshake(c, was_done);
        if (n <= 0) {
            end = n < 0;
            break;
        }
        c->in.len += (size_t)n;
    }
    /* Requests that came before the peer's close are still carried out,
     * as on plaintext connections. */
    if (c->in.len > before) conn_process(c);
    if (end) mock_conn_close(c);
}

static void conn_read(mock_conn *c)
{
    if (c->sess.ssl) {
        conn_read_tls(c);
        return;
    }
    size_t want = READ_CHUNK;
    if (c->in.len - c->in_off >= 4) { /* make room for the whole next frame */
        const uint8_t *p = c->in.data + c->in_off;
        size_t size = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        if (size <= MOCK_MAX_FRAME && size + 4 > c->in.len - c->in_off)
            want = size + 4 - (c->in.len - c->in_off);
    }
    if (want < READ_CHUNK) want = READ_CHUNK;
    if (kbuf_reserve(&c->in, want)) {
        mock_conn_close(c);
        return;
    }
    ssize_t n = read(c->io.fd, c->in.data + c->in.len, c->in.cap - c->in.len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {
        mock_conn_close(c);
        return;
    }
    c->in.len += (size_t)n;
    conn_process(c);
}

static void on_conn_event(kio *io, uint32_t events)
{
    mock_conn *c = container_of(io, mock_conn, io);
    if (io->fd < 0) return; /* closed earlier in this pass; freed at its end */
    /* A peer that sent and then closed still gets its requests carried
     * out (acks=0 produce): read while there is something to read, and
     * close once the read finds the end. */
    bool readable = (events & EPOLLIN) && (c->io.events & EPOLLIN);
    if ((events & EPOLLERR) || ((events & (EPOLLHUP | EPOLLRDHUP)) && !readable)) {
        mock_conn_close(c);
        return;
    }
    if (events & EPOLLOUT) {
        bool tls_retry = c->sess.tls_want_write;
        conn_flush(c);
        conn_process(c);
        if (tls_retry && c->io.fd >= 0 && !c->parked && !c->closing) readable = true;
    }
    if (readable && c->io.fd >= 0 && !c->parked && !c->closing) conn_read(c);
}

/* --------------------------------------------------------- accept, close */

static int conn_start_tls(mock_cluster *mc, mock_conn *c)
{
    mock_security *sec = &mc->sec;
    if (!sec->tls) return 0;
    bool fail = sec->fail_handshakes > 0;
    if (fail) sec->fail_handshakes--;
    return mock_tls_start(&c->sess, sec->tls_ctx, c->io.fd, fail);
}

void mock_conn_accept(kio *io, uint32_t events)
{
    (void)events;
    mock_broker *b = container_of(io, mock_broker, listener);
    mock_cluster *mc = b->mc;
    if (io->fd < 0) return; /* set down after the loop's epoll_wait returned */
    for (int i = 0; i < 64; i++) {
        int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        mock_conn *c = b->down ? NULL : calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->io.fd = fd;
        c->io.fn = on_conn_event;
        c->mc = mc;
        c->broker = b;
        c->send_timer.fn = on_send_timer;
        if (conn_start_tls(mc, c) || kloop_io_add(mc->loop, &c->io, EPOLLIN | EPOLLRDHUP)) {
            mock_session_free(&c->sess);
            close(fd);
            free(c);
            continue;
        }
        c->next = b->conns;
        if (b->conns) b->conns->prev = c;
        b->conns = c;
    }
}

/* After a failed handshake the client may already have sent its first
 * request (TLS 1.3 clients do, before the server has judged their
 * certificate). Closing with those bytes unread would send a reset that
 * can overtake the alert just written; as Kafka's broker, let the alert
 * arrive: end our side, then read what came before closing. */
static void drain(int fd)
{
    shutdown(fd, SHUT_WR);
    char buf[4096];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

void mock_conn_close(mock_conn *c)
{
    if (c->io.fd < 0) return;
    mock_cluster *mc = c->mc;
    if (c->parked) {
        mock_fetch_wait_cancel_conn(c);
        mock_share_wait_cancel_conn(c);
        mock_groups_conn_closed(mc, c);
    }
    mock_timer_stop(mc, &c->send_timer);
    kloop_io_del(mc->loop, &c->io);
    if (c->sess.ssl) mock_tls_close_notify(&c->sess);
    if (c->sess.tls_failed) drain(c->io.fd);
    close(c->io.fd);
    c->io.fd = -1;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->broker->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = NULL;
    c->next = mc->closed;
    mc->closed = c;
}

void mock_conn_close_after_send(mock_conn *c)
{
    c->closing = true;
}

void mock_conn_unpark(mock_conn *c)
{
    c->parked = false;
    conn_process(c);
}

void mock_conns_free_closed(mock_cluster *mc)
{
    while (mc->closed) {
        mock_conn *c = mc->closed;
        mc->closed = c->next;
        while (c->out_head) {
            mock_out *o = c->out_head;
            c->out_head = o->next;
            mock_out_free(o);
        }
        kbuf_free(&c->in);
        karena_free(&c->arena);
        mock_session_free(&c->sess);
        free(c);
    }
}
