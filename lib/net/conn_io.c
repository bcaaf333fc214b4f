/* A connection's requests and bytes: queues, encoding into the output
 * buffer, writing, reading frames and matching them to requests. The
 * state transitions these trigger are in conn.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/container_of.h"
#include "base/rw.h"
#include "base/time.h"
#include "net/conn_int.h"
#include "proto/api.h"

/* Reads per readiness event before yielding to the loop's other sockets. */
enum { READS_PER_EVENT = 8 };

void kreq_queue_init(kreq_queue *q)
{
    q->head = NULL;
    q->tail = &q->head;
    q->n = 0;
}

void kreq_queue_push(kreq_queue *q, kreq *r)
{
    r->next = NULL;
    *q->tail = r;
    q->tail = &r->next;
    q->n++;
}

kreq *kreq_queue_pop(kreq_queue *q)
{
    kreq *r = q->head;
    if (!r) return NULL;
    q->head = r->next;
    if (!q->head) q->tail = &q->head;
    q->n--;
    r->next = NULL;
    return r;
}

static inline kconn_state state_of(const kconn *c)
{
    return (kconn_state)atomic_load_explicit(&c->state, memory_order_relaxed);
}

void kconn_complete(kconn *c, kreq *r, kfk_err err, void *resp, karena *arena)
{
    /* The connection's own: their outcome is the state machine's. */
    if (r == &c->av_req || r == &c->sasl_req) return;
    if (r->flags & KREQ_F_STAND_IN) { /* its request was completed already */
        free(r);
        return;
    }
    atomic_fetch_sub_explicit(&c->load, 1, memory_order_relaxed);
    r->done(r, err, resp, arena);
}

void kconn_fail_queue(kconn *c, kreq_queue *q, kfk_err err)
{
    /* Detach first: callbacks may queue new requests meanwhile. */
    kreq_queue mine = *q;
    if (!mine.head) return;
    kreq_queue_init(q);
    kreq *r;
    while ((r = kreq_queue_pop(&mine)))
        kconn_complete(c, r, err, NULL, NULL);
}

/* --- submission ----------------------------------------------------------------- */

static void accept_request(kconn *c, kreq *r)
{
    kreq_queue_push(&c->pending, r);
    if (r->deadline_ns && (!c->req_deadline_ns || r->deadline_ns < c->req_deadline_ns)) {
        c->req_deadline_ns = r->deadline_ns;
        kconn_arm_timer(c);
    }
    switch (state_of(c)) {
    case KCONN_DOWN:
        kconn_wake(c);
        break;
    case KCONN_READY:
    case KCONN_BACKOFF: /* the flush fails it: no reentrant callback */
    case KCONN_CLOSED:
        kconn_schedule_flush(c);
        break;
    default: /* goes out once READY */
        break;
    }
}

static void prepare(kconn *c, kreq *r)
{
    r->conn = c;
    r->version = -1;
    r->frame = NULL;
    atomic_fetch_add_explicit(&c->load, 1, memory_order_relaxed);
}

static void submit_task(ktask *t)
{
    kreq *r = container_of(t, kreq, task);
    kconn *c = r->conn;
    accept_request(c, r);
    kconn_maybe_free(c);
}

void kconn_submit(kconn *c, kreq *r)
{
    prepare(c, r);
    r->task.fn = submit_task;
    if (kloop_post(c->loop, &r->task) < 0) {
        atomic_fetch_sub_explicit(&c->load, 1, memory_order_relaxed);
        r->done(r, KFK_ERR_DESTROYED, NULL, NULL);
    }
}

void kconn_send(kconn *c, kreq *r)
{
    prepare(c, r);
    accept_request(c, r);
}

/* --- flushing ------------------------------------------------------------------- */

void kconn_schedule_flush(kconn *c)
{
    kconn_group *g = c->group;
    if (!c->dirty) {
        c->dirty = true;
        c->next_dirty = g->dirty;
        g->dirty = c;
    }
    /* A refused post means the loop is stopping; close_all completes all. */
    if (!g->flush_queued && kloop_post(g->loop, &g->flush_task) == 0) g->flush_queued = true;
}

void kconn_undirty(kconn *c)
{
    if (!c->dirty) return;
    for (kconn **p = &c->group->dirty; *p; p = &(*p)->next_dirty) {
        if (*p == c) {
            *p = c->next_dirty;
            break;
        }
    }
    c->dirty = false;
}

void kconn_group_flush(ktask *t)
{
    kconn_group *g = container_of(t, kconn_group, flush_task);
    g->flush_queued = false;
    kconn *c;
    while ((c = g->dirty)) {
        g->dirty = c->next_dirty;
        c->dirty = false;
        kconn_flush(c);
        kconn_arm_timer(c);
        kconn_maybe_free(c);
    }
}

kfk_err kconn_send_now(kconn *c, kreq *r, int16_t version)
{
    int32_t id = c->next_correlation_id;
    c->next_correlation_id = id == INT32_MAX ? 1 : id + 1;
    /* Never a null client id: ZooKeeper-era brokers (2.x) keep it in the
     * group's metadata record and fail every SyncGroup on a null one. */
    const char *client_id = c->cfg->client_id ? c->cfg->client_id : "";
    size_t before = c->out.len;
    uint64_t gathered = c->gather.total;
    c->out.gather = r->flags & KREQ_F_GATHER ? &c->gather : NULL;
    int rc = kproto_write_client_request(&c->out, r->api, version, id, kwire_cstr(client_id),
                                         r->body);
    c->out.gather = NULL;
    if (rc) return (kfk_err)rc;
    uint64_t frame = (c->out.len - before) + (c->gather.total - gathered);
    c->wire_queued += frame;
    kstat_add(&c->stats.tx, 1);
    kstat_add(&c->stats.tx_bytes, frame);
    r->sent_ns = kloop_now(c->loop);
    r->version = version;
    r->correlation_id = id;
    if (r->flags & KREQ_F_NO_RESPONSE) {
        r->wire_end = c->wire_queued;
        kreq_queue_push(&c->unacked, r);
    } else {
        kreq_queue_push(&c->inflight, r);
    }
    return KFK_OK;
}

static int room(const kconn *c)
{
    return c->cfg->max_in_flight - c->inflight.n - c->unacked.n;
}

static void complete_written(kconn *c);

/* Drops the bytes already written from the front of c->out. */
static void compact_out(kconn *c)
{
    complete_written(c);
    kconn_out_compact(c);
}

/* Encodes pending requests while the in-flight limit allows. */
static void encode_pending(kconn *c, int64_t now)
{
    kreq *r;
    compact_out(c);
    while (room(c) > 0 && (r = kreq_queue_pop(&c->pending))) {
        if (r->deadline_ns && r->deadline_ns <= now) {
            kconn_complete(c, r, KFK_ERR_TIMED_OUT, NULL, NULL);
            continue;
        }
        int16_t v = kversions_pick(&c->versions, r->api_key, r->min_version, r->max_version);
        kfk_err err = v < 0 ? KFK_ERR_UNSUPPORTED_VERSION : kconn_send_now(c, r, v);
        if (err) kconn_complete(c, r, err, NULL, NULL);
    }
}

void kconn_flush(kconn *c)
{
    kconn_state s = state_of(c);
    if (s == KCONN_BACKOFF || s == KCONN_CLOSED) {
        /* A broker that refused TLS or authentication refuses this request
         * too: say so rather than a retriable transport error. */
        kfk_err err = s == KCONN_CLOSED ? KFK_ERR_DESTROYED
                      : c->refused      ? c->refused
                                        : KFK_ERR_TRANSPORT;
        kconn_fail_queue(c, &c->pending, err);
        kconn_stats_queues(c);
        return;
    }
    /* KIP-368: while the connection authenticates again, what is queued
     * waits; the responses to what is in flight still come in. */
    if (s != KCONN_READY || c->reauthenticating) return;
    int64_t now = kloop_now(c->loop);
    /* KIP-219: a broker over a quota answered at once and asked for
     * quiet; what was encoded before still goes out. */
    if (c->throttle_until_ns > now) {
        kconn_write(c);
        return;
    }
    c->throttle_until_ns = 0;
    encode_pending(c, now);
    /* Sources fill what room is left, then their requests are encoded too. */
    for (ksource *src = c->sources; src && room(c) - c->pending.n > 0; src = src->next) {
        src->pull(src, c, room(c) - c->pending.n);
        encode_pending(c, now);
    }
    kconn_stats_queues(c);
    kconn_write(c);
}

/* --- writing -------------------------------------------------------------------- */

static void complete_written(kconn *c)
{
    while (c->unacked.head && c->unacked.head->wire_end <= c->wire_sent) {
        kreq *r = kreq_queue_pop(&c->unacked);
        kconn_complete(c, r, KFK_OK, NULL, NULL);
    }
}

/* A TLS read or write failed. An alert right after the handshake is the
 * broker refusing this client (TLS 1.3 brokers report a missing or
 * unknown client certificate only then): a TLS failure, not a lost
 * connection. */
static void tls_failed(kconn *c, int how, const char *why)
{
    kconn_state s = state_of(c);
    if (how == KTLS_ERR_TLS && (s == KCONN_API_VERSIONS || s == KCONN_SASL)) {
        char msg[320];
        snprintf(msg, sizeof(msg), "TLS: %s", why);
        kconn_fail_security(c, KFK_ERR_TLS, msg);
        return;
    }
    kconn_fail(c, KFK_ERR_TRANSPORT, why);
}

/* Pieces of output written by one sendmsg. */
enum { IOV_PER_WRITE = 16 };

/* One write of what is left through the socket or TLS (its first piece
 * only: TLS encrypts from there anyway). Returns bytes written, 0 when the
 * socket is full, or -1 when the connection failed. */
static ssize_t send_some(kconn *c)
{
    struct iovec iov[IOV_PER_WRITE];
    int n = kconn_out_iov(c, iov, c->tls ? 1 : IOV_PER_WRITE);
    if (c->tls) {
        char why[256];
        int want;
        ssize_t w = ktls_write(c->tls, iov[0].iov_base, iov[0].iov_len, &want, why, sizeof(why));
        c->tls_write_wants_in = w == 0 && want == KTLS_WANT_READ;
        if (w < 0) tls_failed(c, (int)w, why);
        return w < 0 ? -1 : w;
    }
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    for (;;) {
        ssize_t w = sendmsg(c->io.fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) return w;
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        kstat_add(&c->stats.tx_errs, 1);
        kconn_fail(c, KFK_ERR_TRANSPORT, w < 0 ? strerror(errno) : "send returned 0");
        return -1;
    }
}

int kconn_write(kconn *c)
{
    /* One sendmsg carries every request encoded since the last write
     * (up to IOV_PER_WRITE pieces). */
    while (!kconn_out_done(c)) {
        ssize_t n = send_some(c);
        if (n < 0) return -1;
        if (n == 0) break;
        kconn_out_advance(c, (size_t)n);
        c->last_active_ns = kloop_now(c->loop);
    }
    /* Writability matters while output waits, unless TLS waits for input
     * first (then the next read event writes again), or a TLS read waits
     * for it. */
    bool wait_out = !kconn_out_done(c) && !c->tls_write_wants_in;
    kloop_io_mod(c->loop, &c->io, wait_out || c->tls_read_wants_out ? EPOLLIN | EPOLLOUT : EPOLLIN);
    complete_written(c);
    if (kconn_out_done(c)) kconn_out_reset(c); /* callbacks may have queued, not encoded */
    return 0;
}

/* --- reading -------------------------------------------------------------------- */

void kconn_reset_buffers(kconn *c)
{
    kconn_out_reset(c);
    c->rbuf.len = 0;
    c->rpos = 0;
    if (c->big) {
        krbuf_unref(c->big);
        c->big = NULL;
    }
    c->big_have = 0;
    karena_reset(&c->arena);
}

static int handle_api_versions(kconn *c, kreader *rd)
{
    kp_api_versions_response resp;
    /* KIP-511: a broker that does not know our version answers in v0,
     * with UNSUPPORTED_VERSION first: peek at the error to decode it. */
    int16_t v = c->av_req.version;
    if (kreader_left(rd) >= 2 &&
        (int16_t)((rd->p[0] << 8) | rd->p[1]) == KFK_ERR_UNSUPPORTED_VERSION)
        v = 0;
    int rc = kp_api_versions_response_decode(&resp, v, rd, &c->arena);
    if (rc) {
        kconn_fail(c, KFK_ERR_MALFORMED, "ApiVersions response does not decode");
        return -1;
    }
    kconn_on_api_versions(c, &resp);
    karena_reset(&c->arena);
    return state_of(c) == KCONN_BACKOFF ? -1 : 0;
}

/* A response's throttle_time_ms. Brokers since Kafka 2.0 (ApiVersions v2,
 * KIP-219) answer a client over its quota at once and expect it to send
 * nothing more on the connection for that long, as Java does; older ones
 * delayed the answer themselves, so it is only noted. */
static void note_throttle(kconn *c, const kproto_api *api, const void *resp)
{
    if (api->throttle_offset < 0) return;
    int32_t ms;
    memcpy(&ms, (const char *)resp + api->throttle_offset, sizeof(ms));
    kwhist_record(&c->stats.throttle_ms, ms);
    if (ms <= 0 || c->versions.hi[KP_API_VERSIONS_KEY] < 2) return;
    if (c->cfg->on_throttle) c->cfg->on_throttle(c->opaque, c, ms);
    int64_t until = kloop_now(c->loop) + (int64_t)ms * KTIME_NS_PER_MS;
    if (until <= c->throttle_until_ns) return;
    c->throttle_until_ns = until;
    klog(&c->cfg->log, KFK_LOG_DEBUG, "broker", "%s: throttled for %d ms (%s quota)", c->name, ms,
         api->name);
    kconn_arm_timer(c);
}

/* One response frame (without its size prefix). owner holds the bytes
 * when they are in a buffer of their own. Returns 0, or -1 when the
 * connection failed. */
static int handle_frame(kconn *c, const uint8_t *data, size_t len, krbuf *owner)
{
    kreq *r = c->inflight.head;
    if (!r) {
        kconn_fail(c, KFK_ERR_TRANSPORT, "a response nobody asked for");
        return -1;
    }
    kreader rd = kreader_of(data, len);
    kp_response_header h;
    kstat_add(&c->stats.rx, 1);
    kstat_add(&c->stats.rx_bytes, len + 4);
    kwhist_record(&c->stats.rtt_us, (kloop_now(c->loop) - r->sent_ns) / 1000);
    if (kproto_read_response_header(&rd, r->api_key, r->version, &h) ||
        h.correlation_id != r->correlation_id) {
        kstat_add(&c->stats.rx_errs, 1);
        /* Responses come in request order; anything else means the
         * stream is not what we think it is. */
        kconn_fail(c, KFK_ERR_TRANSPORT, "response correlation id mismatch");
        return -1;
    }
    kreq_queue_pop(&c->inflight);
    kconn_stats_queues(c);
    if (r->flags & KREQ_F_STAND_IN) { /* the answer to a request given up */
        free(r);
        return 0;
    }
    if (r == &c->av_req) return handle_api_versions(c, &rd);
    if (r == &c->sasl_req) {
        int rc = kconn_sasl_on_response(c, &rd);
        karena_reset(&c->arena);
        return rc;
    }
    const kproto_api *api = kproto_api_get(r->api_key);
    void *resp = karena_alloc(&c->arena, api->response_size);
    int rc = resp ? r->api->decode_response(resp, r->version, &rd, &c->arena) : KFK_ERR_NO_MEMORY;
    r->frame = owner;
    if (rc) {
        kstat_add(&c->stats.rx_errs, 1);
        klog(&c->cfg->log, KFK_LOG_WARNING, "broker", "%s: %s v%d response: %s", c->name, api->name,
             r->version, kfk_err_str(rc));
        kconn_complete(c, r, rc == KFK_ERR_NO_MEMORY ? KFK_ERR_NO_MEMORY : KFK_ERR_MALFORMED, NULL,
                       NULL);
    } else {
        note_throttle(c, api, resp);
        kconn_complete(c, r, KFK_OK, resp, &c->arena);
    }
    karena_reset(&c->arena);
    return 0;
}

static int finish_big(kconn *c)
{
    krbuf *b = c->big;
    c->big = NULL;
    c->big_have = 0;
    int rc = handle_frame(c, b->data, b->len, b);
    krbuf_unref(b);
    return rc;
}

/* Decodes every whole frame in rbuf; moves a frame that needs a buffer of
 * its own there. Returns 0, or -1 when the connection failed. */
static int consume_rbuf(kconn *c)
{
    while (c->rbuf.len - c->rpos >= 4) {
        const uint8_t *p = c->rbuf.data + c->rpos;
        uint32_t size =
            ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
        if (size < 4 || size > c->cfg->frame_max_bytes) {
            /* A TLS record (alert 0x15, handshake 0x16, version 3.x) where
             * a Kafka frame should be: a TLS listener spoken to in the
             * clear. */
            bool tls_answer = (p[0] == 0x15 || p[0] == 0x16) && p[1] == 0x03 && !c->tls;
            kconn_fail(c, KFK_ERR_TRANSPORT,
                       tls_answer ? "the broker answered with TLS: does this listener need "
                                    "security.protocol=SSL or SASL_SSL?"
                                  : "response frame size out of bounds");
            return -1;
        }
        size_t avail = c->rbuf.len - c->rpos - 4;
        bool keep = c->inflight.head && (c->inflight.head->flags & KREQ_F_KEEP_FRAME);
        if (avail >= size && !keep) {
            c->rpos += 4 + size;
            if (handle_frame(c, p + 4, size, NULL) < 0) return -1;
            continue;
        }
        if (!keep && 4 + (size_t)size <= KCONN_RBUF_BYTES)
            break; /* fits here once the rest arrives */
        c->big = krbuf_new(size);
        if (!c->big) {
            kconn_fail(c, KFK_ERR_NO_MEMORY, "no memory for a response");
            return -1;
        }
        c->big_have = avail < size ? avail : size;
        memcpy(c->big->data, p + 4, c->big_have);
        c->rpos += 4 + c->big_have;
        if (c->big_have < size) break;
        if (finish_big(c) < 0) return -1;
    }
    /* Keep the unconsumed tail (less than one frame) at the front. */
    size_t left = c->rbuf.len - c->rpos;
    if (c->rpos && left) memmove(c->rbuf.data, c->rbuf.data + c->rpos, left);
    c->rbuf.len = left;
    c->rpos = 0;
    return 0;
}

/* One TLS read, into the big frame being filled or else into rbuf.
 * Returns as read_some does. */
static ssize_t read_tls(kconn *c, size_t *asked)
{
    uint8_t *to = c->big ? c->big->data + c->big_have : c->rbuf.data + c->rbuf.len;
    size_t room = c->big ? c->big->len - c->big_have : c->rbuf.cap - c->rbuf.len;
    char why[256];
    int want = 0;
    *asked = room;
    ssize_t n = ktls_read(c->tls, to, room, &want, why, sizeof(why));
    c->tls_read_wants_out = want == KTLS_WANT_WRITE;
    if (n < 0) tls_failed(c, (int)n, why);
    return n < 0 ? -1 : n;
}

/* One read: into the big frame being filled, with whatever follows it
 * going to rbuf, or into rbuf. Returns bytes read, 0 when there is nothing
 * to read now, or -1 when the connection failed. *asked gets how many
 * bytes the read could have returned. */
static ssize_t read_some(kconn *c, size_t *asked)
{
    if (c->tls) return read_tls(c, asked);
    struct iovec iov[2];
    int n = 0;
    if (c->big) {
        iov[n++] = (struct iovec){c->big->data + c->big_have, c->big->len - c->big_have};
    }
    iov[n++] = (struct iovec){c->rbuf.data + c->rbuf.len, c->rbuf.cap - c->rbuf.len};
    *asked = iov[0].iov_len + (n > 1 ? iov[1].iov_len : 0);
    for (;;) {
        ssize_t got = readv(c->io.fd, iov, n);
        if (got > 0) return got;
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        if (got < 0) kstat_add(&c->stats.rx_errs, 1);
        kconn_fail(c, KFK_ERR_TRANSPORT, got == 0 ? "closed by the broker" : strerror(errno));
        return -1;
    }
}

static int read_in(kconn *c)
{
    if (kbuf_reserve(&c->rbuf, KCONN_RBUF_BYTES - c->rbuf.len) < 0) {
        kconn_fail(c, KFK_ERR_NO_MEMORY, "no memory for the read buffer");
        return -1;
    }
    for (int i = 0; i < READS_PER_EVENT || (c->tls && ktls_has_pending(c->tls)); i++) {
        size_t asked;
        ssize_t n = read_some(c, &asked);
        if (n <= 0) return (int)n;
        c->last_active_ns = kloop_now(c->loop);
        size_t got = (size_t)n;
        if (c->big) {
            size_t into_big = c->big->len - c->big_have;
            into_big = got < into_big ? got : into_big;
            c->big_have += into_big;
            c->rbuf.len += got - into_big;
            if (c->big_have == c->big->len && finish_big(c) < 0) return -1;
        } else {
            c->rbuf.len += got;
        }
        if (consume_rbuf(c) < 0) return -1;
        if (!c->tls && got < asked) return 0; /* the socket is drained */
    }
    return 0;
}

void kconn_on_io(kio *io, uint32_t events)
{
    kconn *c = container_of(io, kconn, io);
    kconn_state s = state_of(c);
    if (s == KCONN_CONNECTING) {
        kconn_on_connect_done(c);
    } else if (s == KCONN_TLS) {
        kconn_tls_step(c);
    } else {
        int rc = 0;
        if (events & EPOLLOUT) rc = kconn_write(c);
        /* A TLS read that needed the socket writable goes on when it is. */
        bool readable = events & (EPOLLIN | EPOLLERR | EPOLLHUP);
        if (rc == 0 && (readable || ((events & EPOLLOUT) && c->tls_read_wants_out)))
            rc = read_in(c);
        if (rc == 0 && readable && c->tls_write_wants_in) rc = kconn_write(c);
        /* Responses freed in-flight slots: send what waits. */
        s = state_of(c);
        if (rc == 0 && s == KCONN_READY && (c->pending.n || c->sources))
            kconn_flush(c);
        else if (rc == 0 && (s == KCONN_API_VERSIONS || s == KCONN_SASL || s == KCONN_READY) &&
                 !kconn_out_done(c))
            kconn_write(c);
    }
    kconn_arm_timer(c);
    kconn_maybe_free(c);
}

/* --- deadlines ------------------------------------------------------------------ */

/* A stand-in for r, in flight and past its deadline but not its
 * wire_deadline_ns: it keeps r's place in the in-flight queue, to take
 * the answer and drop it. NULL when r cannot be given up so. */
static kreq *stand_in(const kreq *r, int64_t now)
{
    if (r->wire_deadline_ns <= now || (r->flags & KREQ_F_STAND_IN)) return NULL;
    kreq *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->api = r->api;
    s->api_key = r->api_key;
    s->version = r->version;
    s->flags = KREQ_F_STAND_IN;
    s->deadline_ns = r->wire_deadline_ns;
    s->conn = r->conn;
    s->correlation_id = r->correlation_id;
    s->sent_ns = r->sent_ns;
    return s;
}

/* Moves requests of q whose deadline passed to out (or, with given_up,
 * those a stand-in can replace there); returns the earliest deadline
 * among those left (0: none). */
static int64_t take_expired(kreq_queue *q, int64_t now, kreq_queue *out, kreq_queue *given_up)
{
    int64_t next = 0;
    kreq_queue keep;
    kreq_queue_init(&keep);
    kreq *r;
    while ((r = kreq_queue_pop(q))) {
        if (r->deadline_ns && r->deadline_ns <= now) {
            kreq *s = given_up ? stand_in(r, now) : NULL;
            kreq_queue_push(s ? given_up : out, r);
            if (!s) continue;
            r = s;
        }
        if (r->deadline_ns && (!next || r->deadline_ns < next)) next = r->deadline_ns;
        kreq_queue_push(&keep, r);
    }
    *q = keep;
    if (!q->head) q->tail = &q->head;
    return next;
}

static int64_t min_nonzero(int64_t a, int64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

int kconn_expire(kconn *c, int64_t now)
{
    kreq_queue expired, sent_expired, given_up;
    kreq_queue_init(&expired);
    kreq_queue_init(&sent_expired);
    kreq_queue_init(&given_up);
    int64_t next = take_expired(&c->pending, now, &expired, NULL);
    next = min_nonzero(next, take_expired(&c->inflight, now, &sent_expired, &given_up));
    next = min_nonzero(next, take_expired(&c->unacked, now, &sent_expired, NULL));
    c->req_deadline_ns = next;
    int closing = sent_expired.n > 0;
    if (closing)
        klog(&c->cfg->log, KFK_LOG_WARNING, "broker", "%s: %d request(s) timed out in flight",
             c->name, sent_expired.n);
    /* A request given up stays on the wire: what of it is gathered and not
     * yet written is copied, for its owner may free it now. */
    if (!closing && given_up.n && kconn_out_flatten(c)) closing = 1;
    kconn_fail_queue(c, &sent_expired, KFK_ERR_TIMED_OUT);
    kconn_fail_queue(c, &expired, KFK_ERR_TIMED_OUT);
    kconn_fail_queue(c, &given_up, KFK_ERR_TIMED_OUT);
    return closing;
}
