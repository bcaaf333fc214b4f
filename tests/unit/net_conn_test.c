/* A broker connection against a scripted peer on loopback: negotiation
 * (including the KIP-511 downgrade), pipelining within the in-flight
 * limit, deadlines, failures and backoff, idle reaping, big frames,
 * sources, and exactly-once completion on shutdown. The peer is a thread
 * in this file that speaks just enough of the protocol (lib/proto) and
 * misbehaves on request. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "net/conn.h"
#include "net/conn_int.h"
#include "proto/api.h"
#include "proto/gen/all.h"

/* --- the scripted peer ---------------------------------------------------- */

enum { PEER_MAX_CONNS = 8 };

typedef struct peer {
    int listen_fd;
    int port;
    pthread_t thread;
    atomic_bool stop;
    /* script, set before the client connects */
    int av_max;          /* highest ApiVersions version it knows */
    int omit_key;        /* an API it does not offer (-1: none) */
    atomic_bool silent;  /* never answer Metadata */
    int hold;            /* answer Metadata in bursts of this many (0: at once) */
    int metadata_topics; /* topics in each Metadata answer */
    int rcvbuf;          /* SO_RCVBUF of accepted connections; 0: default */
    atomic_int corrupt;  /* how Metadata answers are broken: a peer_corruption */
    atomic_bool stall;   /* answers wait (in order) until it is cleared */
    /* observations */
    atomic_int accepted;
    atomic_int eofs;             /* connections the client closed */
    atomic_int requests;         /* Metadata requests seen */
    atomic_int max_held;         /* most Metadata requests unanswered at once */
    atomic_int av_versions_seen; /* bit v: ApiVersions asked at v */
    atomic_int null_client_ids;  /* request headers with a null client_id */
} peer;

/* Hostile answers to Metadata. */
enum peer_corruption {
    PEER_SOUND,
    PEER_WRONG_CORRELATION, /* the id of no request in flight */
    PEER_HUGE_SIZE,         /* a frame size of 2 GiB - 1 */
    PEER_NEGATIVE_SIZE,     /* a frame size of -1 */
    PEER_SHORT_FRAME,       /* the size cuts the body off mid-field (framing intact) */
};

typedef struct pconn {
    int fd;
    kbuf in;
    kbuf out;
    int held;
} pconn;

static void peer_api_versions(peer *p, const kp_request_header *h, kbuf *out)
{
    kp_api_versions_response r;
    kp_api_versions_response_init(&r);
    size_t n;
    const kproto_api *apis = kproto_api_list(&n);
    kp_api_versions_response_api_version keys[128];
    int k = 0;
    int16_t v = h->request_api_version;
    atomic_fetch_or(&p->av_versions_seen, 1 << v);
    if (v > p->av_max) {
        /* KIP-511: answer in v0 with only ApiVersions' own range. */
        r.error_code = KFK_ERR_UNSUPPORTED_VERSION;
        keys[k++] =
            (kp_api_versions_response_api_version){KP_API_VERSIONS_KEY, 0, (int16_t)p->av_max};
        v = 0;
    } else {
        for (size_t i = 0; i < n && k < 128; i++)
            if (apis[i].key != p->omit_key)
                keys[k++] = (kp_api_versions_response_api_version){apis[i].key, apis[i].min_version,
                                                                   apis[i].max_version};
    }
    r.api_keys = keys;
    r.n_api_keys = k;
    ck_assert_int_eq(kproto_write_response(out, KP_API_VERSIONS_KEY, v, h->correlation_id, &r), 0);
}

static void peer_metadata(peer *p, const kp_request_header *h, kbuf *out)
{
    kp_metadata_response r;
    kp_metadata_response_init(&r);
    kp_metadata_response_broker b;
    kp_metadata_response_broker_init(&b);
    b.node_id = 1;
    b.host = kwire_cstr("127.0.0.1");
    b.port = p->port;
    r.brokers = &b;
    r.n_brokers = 1;
    r.controller_id = 1;
    r.cluster_id = kwire_cstr("scripted");
    kp_metadata_response_topic *t = NULL;
    char(*names)[48] = NULL;
    if (p->metadata_topics) {
        t = calloc((size_t)p->metadata_topics, sizeof(*t));
        names = calloc((size_t)p->metadata_topics, sizeof(*names));
        for (int i = 0; i < p->metadata_topics; i++) {
            kp_metadata_response_topic_init(&t[i]);
            snprintf(names[i], sizeof(names[i]), "topic-with-a-long-name-%08d", i);
            t[i].name = kwire_cstr(names[i]);
        }
        r.topics = t;
        r.n_topics = p->metadata_topics;
    }
    int bad = atomic_load(&p->corrupt);
    size_t at = out->len;
    int32_t cid = bad == PEER_WRONG_CORRELATION ? h->correlation_id + 1000 : h->correlation_id;
    ck_assert_int_eq(kproto_write_response(out, KP_METADATA_KEY, h->request_api_version, cid, &r),
                     0);
    static const uint8_t sizes[][4] = {
        [PEER_HUGE_SIZE] = {0x7f, 0xff, 0xff, 0xff},
        [PEER_NEGATIVE_SIZE] = {0xff, 0xff, 0xff, 0xff},
        [PEER_SHORT_FRAME] = {0, 0, 0, 6}, /* the header and two bytes of a field */
    };
    if (bad >= PEER_HUGE_SIZE) {
        memcpy(out->data + at, sizes[bad], 4);
        if (bad == PEER_SHORT_FRAME) out->len = at + 4 + 6;
    }
    free(t);
    free(names);
}

/* Handles whole frames in c->in; returns -1 to close the connection. */
static int peer_handle(peer *p, pconn *c)
{
    size_t pos = 0;
    while (c->in.len - pos >= 4) {
        const uint8_t *f = c->in.data + pos;
        uint32_t size =
            ((uint32_t)f[0] << 24) | ((uint32_t)f[1] << 16) | ((uint32_t)f[2] << 8) | f[3];
        if (c->in.len - pos - 4 < size) break;
        kreader r = kreader_of(f + 4, size);
        kp_request_header h;
        if (kproto_read_request_header(&r, &h)) return -1;
        if (!h.client_id.ptr) atomic_fetch_add(&p->null_client_ids, 1);
        pos += 4 + size;
        if (h.request_api_key == KP_API_VERSIONS_KEY) {
            peer_api_versions(p, &h, &c->out);
        } else if (h.request_api_key == KP_METADATA_KEY) {
            atomic_fetch_add(&p->requests, 1);
            if (atomic_load(&p->silent)) continue;
            c->held++;
            if (c->held > atomic_load(&p->max_held)) atomic_store(&p->max_held, c->held);
            peer_metadata(p, &h, &c->out);
        } /* anything else: no answer */
    }
    memmove(c->in.data, c->in.data + pos, c->in.len - pos);
    c->in.len -= pos;
    return 0;
}

static void peer_flush(peer *p, pconn *c, bool idle)
{
    /* With hold, answers wait until `hold` requests are pending or the
     * client has gone quiet: that shows how many it pipelines. */
    if (p->hold && c->held < p->hold && !idle) return;
    if (atomic_load(&p->stall)) return;
    size_t off = 0;
    while (off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += (size_t)n;
    }
    c->out.len = 0;
    c->held = 0;
}

static void *peer_main(void *arg)
{
    peer *p = arg;
    pconn conns[PEER_MAX_CONNS];
    int n = 0;
    while (!atomic_load(&p->stop)) {
        struct pollfd pf[PEER_MAX_CONNS + 1];
        pf[0] = (struct pollfd){p->listen_fd, POLLIN, 0};
        for (int i = 0; i < n; i++)
            pf[i + 1] = (struct pollfd){conns[i].fd, POLLIN, 0};
        int rc = poll(pf, (nfds_t)n + 1, 50);
        if (pf[0].revents & POLLIN) {
            int fd = accept(p->listen_fd, NULL, NULL);
            if (fd >= 0 && n < PEER_MAX_CONNS) {
                if (p->rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &p->rcvbuf, sizeof(p->rcvbuf));
                conns[n++] = (pconn){fd, {0}, {0}, 0};
                atomic_fetch_add(&p->accepted, 1);
            } else if (fd >= 0) {
                close(fd);
            }
        }
        for (int i = n - 1; i >= 0; i--) {
            pconn *c = &conns[i];
            bool dead = false;
            if (i + 1 < (int)(sizeof(pf) / sizeof(pf[0])) && pf[i + 1].revents) {
                kbuf_reserve(&c->in, 65536);
                ssize_t got = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
                if (got <= 0) {
                    dead = true;
                    atomic_fetch_add(&p->eofs, 1);
                } else {
                    c->in.len += (size_t)got;
                    dead = peer_handle(p, c) < 0;
                }
            }
            if (!dead) peer_flush(p, c, rc == 0);
            if (dead) {
                close(c->fd);
                kbuf_free(&c->in);
                kbuf_free(&c->out);
                conns[i] = conns[--n];
            }
        }
    }
    for (int i = 0; i < n; i++) {
        close(conns[i].fd);
        kbuf_free(&conns[i].in);
        kbuf_free(&conns[i].out);
    }
    return NULL;
}

static peer *peer_start(void)
{
    peer *p = calloc(1, sizeof(*p));
    p->av_max = KP_API_VERSIONS_MAX_VERSION;
    p->omit_key = -1;
    p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(p->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(p->listen_fd, 16), 0);
    socklen_t len = sizeof(a);
    getsockname(p->listen_fd, (struct sockaddr *)&a, &len);
    p->port = ntohs(a.sin_port);
    return p;
}

static void peer_run(peer *p)
{
    ck_assert_int_eq(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

static void peer_stop(peer *p)
{
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    close(p->listen_fd);
    free(p);
}

/* --- the client side -------------------------------------------------------- */

typedef struct harness {
    kloop *loop;
    kconn_group *group;
    kconn_config cfg;
    kresolver *resolver;
    kconn *conn;
} harness;

/* socket.connection.setup.timeout.ms for the next harness. */
static int64_t next_setup_timeout_ms = 10000;
/* send.buffer.bytes for the next harness (0: the OS default). */
static int next_sndbuf;
/* client.id for the next harness (NULL: unset). */
static const char *next_client_id = "net-conn-test";

static void harness_start_idle(harness *h, int port, int max_in_flight, int64_t idle_ms)
{
    kconn_config_defaults(&h->cfg);
    h->cfg.idle_ms = idle_ms;
    h->cfg.setup_timeout_ms = h->cfg.setup_timeout_max_ms = next_setup_timeout_ms;
    next_setup_timeout_ms = 10000;
    h->cfg.sndbuf = next_sndbuf;
    next_sndbuf = 0;
    h->cfg.client_id = next_client_id;
    next_client_id = "net-conn-test";
    h->cfg.max_in_flight = max_in_flight;
    h->cfg.backoff_ms = 100;
    h->cfg.backoff_max_ms = 200;
    h->cfg.log.level = getenv("KFK_TEST_DEBUG") ? KFK_LOG_DEBUG : KFK_LOG_ERR;
    h->resolver = kresolver_new(&h->cfg.log);
    h->cfg.resolver = h->resolver;
    h->loop = kloop_new("kfk-test-io", &h->cfg.log);
    ck_assert_ptr_nonnull(h->loop);
    h->group = kconn_group_new(h->loop, &h->cfg);
    ck_assert_int_eq(kloop_start(h->loop), 0);
    h->conn = kconn_new(h->group, 1, "127.0.0.1", port, NULL);
    ck_assert_ptr_nonnull(h->conn);
}

static void harness_start(harness *h, int port, int max_in_flight)
{
    harness_start_idle(h, port, max_in_flight, -1);
}

static kconn_group *final_group;
static void close_all_task(ktask *t)
{
    (void)t;
    kconn_group_close_all(final_group, KFK_ERR_DESTROYED);
}

static void harness_stop(harness *h)
{
    ktask final = {.fn = close_all_task};
    final_group = h->group;
    kloop_stop(h->loop, &final);
    kconn_group_free(h->group);
    kloop_free(h->loop);
    kresolver_free(h->resolver);
}

/* Completions, recorded for the test thread. */
typedef struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    int per_err[4]; /* OK, TIMED_OUT, TRANSPORT, other */
    int order_ok;
    int next_expected;
    int64_t last_done_ns;
    int last_version;
    int metadata_topics;
    krbuf *kept;
} waiter;

static waiter W = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static void waiter_reset(void)
{
    pthread_mutex_lock(&W.lock);
    W.done = 0;
    memset(W.per_err, 0, sizeof(W.per_err));
    W.order_ok = 1;
    W.next_expected = 0;
    W.last_version = -1;
    W.metadata_topics = -1;
    pthread_mutex_unlock(&W.lock);
}

typedef struct call {
    kreq req;
    kp_metadata_request body;
    int index;
    kfk_err err;
    int times_done;
} call;

static void on_done(kreq *r, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    call *c = r->opaque;
    pthread_mutex_lock(&W.lock);
    c->err = err;
    c->times_done++;
    W.per_err[err == KFK_OK              ? 0
              : err == KFK_ERR_TIMED_OUT ? 1
              : err == KFK_ERR_TRANSPORT ? 2
                                         : 3]++;
    if (err == KFK_OK) {
        if (c->index != W.next_expected) W.order_ok = 0;
        W.next_expected = c->index + 1;
        W.last_version = r->version;
        W.metadata_topics = resp ? ((kp_metadata_response *)resp)->n_topics : -1;
        if (r->frame && !W.kept) W.kept = krbuf_ref(r->frame);
    }
    W.last_done_ns = ktime_mono_ns();
    W.done++;
    pthread_cond_broadcast(&W.cond);
    pthread_mutex_unlock(&W.lock);
}

static void call_init(call *c, int index, int64_t timeout_ms)
{
    memset(c, 0, sizeof(*c));
    c->index = index;
    kp_metadata_request_init(&c->body);
    c->body.n_topics = 0; /* brokers only */
    kreq_init(&c->req, &kp_metadata_client, &c->body,
              ktime_mono_ns() + timeout_ms * KTIME_NS_PER_MS, on_done, c);
}

/* Waits until `n` completions were recorded, for at most timeout_ms. */
static int wait_done(int n, int timeout_ms)
{
    int64_t deadline = ktime_mono_ns() + (int64_t)timeout_ms * KTIME_NS_PER_MS;
    pthread_mutex_lock(&W.lock);
    while (W.done < n && ktime_mono_ns() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&W.cond, &W.lock, &ts);
    }
    int done = W.done;
    pthread_mutex_unlock(&W.lock);
    return done;
}

/* Polls an atomic condition with a deadline (the peer has no condvar). */
#define WAIT_UNTIL(cond, timeout_ms)                                                               \
    do {                                                                                           \
        int64_t until_ = ktime_mono_ns() + (int64_t)(timeout_ms)*KTIME_NS_PER_MS;                  \
        while (!(cond) && ktime_mono_ns() < until_) {                                              \
            struct timespec ts_ = {0, 2 * 1000 * 1000};                                            \
            nanosleep(&ts_, NULL);                                                                 \
        }                                                                                          \
        ck_assert_msg((cond), "timed out waiting for " #cond);                                     \
    } while (0)

/* A request after the connection failed: during the reconnect backoff
 * requests fail fast (TRANSPORT), so it is sent again, as a client
 * would, for up to 5 s. Its final result. */
static kfk_err call_again(harness *h)
{
    int64_t deadline = ktime_mono_ns() + 5000 * KTIME_NS_PER_MS;
    call d;
    do {
        waiter_reset();
        call_init(&d, 0, 2000);
        kconn_submit(h->conn, &d.req);
        ck_assert_int_eq(wait_done(1, 3000), 1);
    } while (d.err == KFK_ERR_TRANSPORT && ktime_mono_ns() < deadline);
    return d.err;
}

/* --- tests -------------------------------------------------------------------- */

START_TEST(test_negotiates_then_answers_a_request)
{
    peer *p = peer_start();
    peer_run(p);
    harness h;
    harness_start(&h, p->port, 5);
    waiter_reset();
    call c;
    call_init(&c, 0, 5000);
    kconn_submit(h.conn, &c.req);
    ck_assert_int_eq(wait_done(1, 5000), 1);
    ck_assert_int_eq(c.err, KFK_OK);
    ck_assert_int_eq(W.last_version, KP_METADATA_MAX_VERSION);
    ck_assert_int_eq(kconn_state_get(h.conn), KCONN_READY);
    ck_assert_int_eq(kconn_load(h.conn), 0);
    harness_stop(&h);
    ck_assert_int_eq(c.times_done, 1);
    peer_stop(p);
}
END_TEST

START_TEST(test_unset_client_id_is_sent_as_an_empty_string)
{
    peer *p = peer_start();
    peer_run(p);
    harness h;
    next_client_id = NULL;
    harness_start(&h, p->port, 5);
    waiter_reset();
    call c;
    call_init(&c, 0, 5000);
    kconn_submit(h.conn, &c.req);
    ck_assert_int_eq(wait_done(1, 5000), 1);
    ck_assert_int_eq(c.err, KFK_OK);
    harness_stop(&h);
    int requests = atomic_load(&p->requests), null_ids = atomic_load(&p->null_client_ids);
    ck_assert_int_ge(requests, 1);
    ck_assert_int_eq(null_ids, 0);
    peer_stop(p);
}
END_TEST

START_TEST(test_old_broker_gets_api_versions_at_its_version)
{
    peer *p = peer_start();
    p->av_max = 2;
    peer_run(p);
    harness h;
    harness_start(&h, p->port, 5);
    waiter_reset();
    call c;
    call_init(&c, 0, 5000);
    kconn_submit(h.conn, &c.req);
    ck_assert_int_eq(wait_done(1, 5000), 1);
    ck_assert_int_eq(c.err, KFK_OK);
    /* asked at our newest first, then at v2, on the same connection */
    ck_assert_int_eq(atomic_load(&p->av_versions_seen),
                     (1 << KP_API_VERSIONS_MAX_VERSION) | (1 << 2));
    ck_assert_int_eq(atomic_load(&p->accepted), 1);
    harness_stop(&h);
    peer_stop(p);
}
END_TEST

START_TEST(test_api_the_broker_lacks_fails_with_unsupported_version)
{
    peer *p = peer_start();
    p->omit_key = KP_METADATA_KEY;
    peer_run(p);
    harness h;
    harness_start(&h, p->port, 5);
    waiter_reset();
    call c;
    call_init(&c, 0, 5000);
    kconn_submit(h.conn, &c.req);
    ck_assert_int_eq(wait_done(1, 5000), 1);
    ck_assert_int_eq(c.err, KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_int_eq(c.req.version, -1);
    harness_stop(&h);
    peer_stop(p);
}
END_TEST

START_TEST(test_pipelines_up_to_max_in_flight_and_keeps_order)
{
    enum { N = 23, MAX_IN_FLIGHT = 5 };
    peer *p = peer_start();
    p->hold = MAX_IN_FLIGHT + 1; /* never reached: answers go when the client stops sending */
    peer_run(p);
    harness h;
    harness_start(&h, p->port, MAX_IN_FLIGHT);
    waiter_reset();
    call c[N];
    for (int i = 0; i < N; i++) {
        call_init(&c[i], i, 10000);
        kconn_submit(h.conn, &c[i].req);
    }
    ck_assert_int_eq(wait_done(N, 10000), N);
    ck_assert_int_eq(W.per_err[0], N);
    ck_assert(W.order_ok);
    ck_assert_int_eq(atomic_load(&p->max_held), MAX_IN_FLIGHT);
    harness_stop(&h);
    peer_stop(p);
}
END_TEST

START_TEST(test_request_times_out_at_its_deadline_and_the_connection_closes)
{
    peer *p = peer_start();
    atomic_store(&p->silent, true);
    peer_run(p);
    harness h;
    harness_start(&h, p->port, 5);
    waiter_reset();
    call c;
    int64_t start = ktime_mono_ns();
    call_init(&c, 0, 300);
    kconn_submit(h.conn, &c.req);
    ck_assert_int_eq(wait_done(1, 5000), 1);
    int64_t elapsed_ms = (W.last_done_ns - start) / KTIME_NS_PER_MS;
    ck_assert_int_eq(c.err, KFK_ERR_TIMED_OUT);
    ck_assert_int_ge(elapsed_ms, 300);
    ck_assert_int_lt(elapsed_ms, 3000); /* not the 5 s wait; room for load */
    WAIT_UNTIL(atomic_load(&p->eofs) == 1, 5000); /* closed, as the Java client does */
    /* The next request reconnects (after the backoff) and gets its answer. */
    atomic_store(&p->silent, false);
    ck_assert_int_eq(call_again(&h), KFK_OK);
    ck_assert_int_eq(atomic_load(&p->accepted), 2);
    harness_stop(&h);
    peer_stop(p);
}
END_TEST

/* A request whose own deadline passes in flight, before its wire
 * deadline, is given up alone: it ends with TIMED_OUT at its deadline, the
 * connection stays up, and the late answer is dropped in its turn, so the
 * next request gets its own answer. */
START_TEST(test_a_request_given_up_in_flight_keeps_the_connection)
{
    peer *p = peer_start();
    peer_run(p);
    harness h;
    harness_start(&h, p->port, 5);
    ck_assert_int_eq(call_again(&h), KFK_OK); /* the connection is up */
    atomic_store(&p->stall, true);
    waiter_reset();
    call a, b;
    int64_t start = ktime_mono_ns();
    call_init(&a, 0, 300);
    a.req.wire_deadline_ns = start + 20000 * KTIME_NS_PER_MS;
    kconn_submit(h.conn, &a.req);
    ck_assert_int_eq(wait_done(1, 5000), 1);
    ck_assert_int_eq(a.err, KFK_ERR_TIMED_OUT);
    ck_assert_int_ge((W.last_done_ns - start) / KTIME_NS_PER_MS, 300);
    WAIT_UNTIL(atomic_load(&p->requests) == 2, 5000);
    call_init(&b, 1, 10000);
    kconn_submit(h.conn, &b.req);
    WAIT_UNTIL(atomic_load(&p->requests) == 3, 5000);
    atomic_store(&p->stall, false); /* a's answer, then b's */
    ck_assert_int_eq(wait_done(2, 10000), 2);
    ck_assert_int_eq(b.err, KFK_OK);
    ck_assert_int_eq(a.times_done, 1);
    ck_assert_int_eq(atomic_load(&p->accepted), 1);
    ck_assert_int_eq(atomic_load(&p->eofs), 0);
    harness_stop(&h);
    peer_stop(p);
}
END_TEST

/* No answer by the wire deadline either: then the connection is bad, and
 * it closes (the request itself ended at its own deadline). */
START_TEST(test_no_answer_by_the_wire_deadline_closes_the_connection)
{
    peer *p = peer_start();
    atomic_store(&p->silent, true);
    peer_run(p);
    harness h;
    harness_start(&h, p->port, 5);
    waiter_reset();
    call a;
    int64_t start = ktime_mono_ns();
    call_init(&a, 0, 200);
    a.req.wire_deadline_ns = start + 600 * KTIME_NS_PER_MS;
    kconn_submit(h.conn, &a.req);
    ck_assert_int_eq(wait_done(1, 5000), 1);
    ck_assert_int_eq(a.err, KFK_ERR_TIMED_OUT);
    WAIT_UNTIL(atomic_load(&p->eofs) == 1, 5000);
    ck_assert_int_ge((ktime_mono_ns() - start) / KTIME_NS_PER_MS, 600);
    ck_assert_int_eq(a.times_done, 1);
    harness_stop(&h);
    peer_stop(p);
}
END_TEST

/* A hostile answer fails its request with KFK_ERR_MALFORMED or
 * KFK_ERR_TRANSPORT well before its deadline (a huge size is refused, not
 * waited for), and the next request gets a sound answer. A broken frame
 * closes the connection (what follows cannot be trusted to be framed);
 * a frame whose body does not decode leaves the stream in step, and
 * the connection serves on. */
static void hostile_answer(enum peer_corruption how, bool closes)
{
    peer *p = peer_start();
    atomic_store(&p->corrupt, how);
    peer_run(p);
    harness h;
    harness_start(&h, p->port, 5);
    waiter_reset();
    call c;
    call_init(&c, 0, 20000);
    kconn_submit(h.conn, &c.req);
    ck_assert_int_eq(wait_done(1, 10000), 1);
    ck_assert_msg(c.err == KFK_ERR_MALFORMED || c.err == KFK_ERR_TRANSPORT, "corruption %d: %s",
                  (int)how, kfk_err_str(c.err));
    ck_assert_int_eq(c.times_done, 1);
    if (closes) WAIT_UNTIL(atomic_load(&p->eofs) == 1, 5000);
    atomic_store(&p->corrupt, PEER_SOUND);
    ck_assert_int_eq(call_again(&h), KFK_OK);
    ck_assert_int_eq(atomic_load(&p->accepted), closes ? 2 : 1);
    harness_stop(&h);
    peer_stop(p);
}

START_TEST(test_a_wrong_correlation_id_fails_the_connection)
{
    hostile_answer(PEER_WRONG_CORRELATION, true);
}
END_TEST

START_TEST(test_a_huge_frame_size_is_refused_not_awaited)
{
    hostile_answer(PEER_HUGE_SIZE, true);
}
END_TEST

START_TEST(test_a_negative_frame_size_is_refused)
{
    hostile_answer(PEER_NEGATIVE_SIZE, true);
}
END_TEST

START_TEST(test_a_body_cut_short_is_malformed)
{
    hostile_answer(PEER_SHORT_FRAME, false);
}
END_TEST

START_TEST(test_refused_connect_fails_requests_and_backs_off)
{
    peer *p = peer_start(); /* listening socket closed below: a dead port */
    int port = p->port;
    close(p->listen_fd);
    p->listen_fd = -1;
    harness h;
    harness_start(&h, port, 5);
    waiter_reset();
    call c;
    call_init(&c, 0, 5000);
    kconn_submit(h.conn, &c.req);
    ck_assert_int_eq(wait_done(1, 5000), 1);
    ck_assert_int_eq(c.err, KFK_ERR_TRANSPORT);
    ck_assert_int_eq(kconn_state_get(h.conn), KCONN_BACKOFF);
    /* In backoff, a request fails at once rather than waiting. */
    waiter_reset();
    int64_t start = ktime_mono_ns();
    call_init(&c, 0, 5000);
    kconn_submit(h.conn, &c.req);
    ck_assert_int_eq(wait_done(1, 5000), 1);
    ck_assert_int_eq(c.err, KFK_ERR_TRANSPORT);
    ck_assert_int_lt((ktime_mono_ns() - start) / KTIME_NS_PER_MS, 80);
    /* After the backoff it is DOWN and tries again on demand. */
    WAIT_UNTIL(kconn_state_get(h.conn) == KCONN_DOWN, 2000);
    harness_stop(&h);
    free(p);
}
END_TEST

START_TEST(test_connect_that_hangs_fails_at_the_setup_timeout)
{
    /* A listener with a full accept queue drops SYNs: connect hangs. */
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(lfd, 0), 0);
    socklen_t len = sizeof(a);
    getsockname(lfd, (struct sockaddr *)&a, &len);
    int filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(filler, (struct sockaddr *)&a, sizeof(a)), 0);
    harness h;
    next_setup_timeout_ms = 300;
    harness_start(&h, ntohs(a.sin_port), 5);
    waiter_reset();
    call c;
    int64_t start = ktime_mono_ns();
    call_init(&c, 0, 5000);
    kconn_submit(h.conn, &c.req);
    ck_assert_int_eq(wait_done(1, 5000), 1);
    int64_t ms = (W.last_done_ns - start) / KTIME_NS_PER_MS;
    ck_assert_int_eq(c.err, KFK_ERR_TRANSPORT);
    ck_assert_int_ge(ms, 300 * 8 / 10); /* the timeout has 20% jitter */
    ck_assert_int_lt(ms, 3000); /* the connect timeout, not the request's 5 s */
    ck_assert_int_eq(kconn_state_get(h.conn), KCONN_BACKOFF);
    harness_stop(&h);
    close(filler);
    close(lfd);
}
END_TEST

START_TEST(test_shutdown_completes_every_request_once_with_destroyed)
{
    enum { N = 12 };
    peer *p = peer_start();
    atomic_store(&p->silent, true);
    peer_run(p);
    harness h;
    harness_start(&h, p->port, 5);
    waiter_reset();
    call c[N];
    for (int i = 0; i < N; i++) {
        call_init(&c[i], i, 60000);
        kconn_submit(h.conn, &c[i].req);
    }
    WAIT_UNTIL(atomic_load(&p->requests) == 5, 5000);
    harness_stop(&h);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(c[i].times_done, 1);
        ck_assert_int_eq(c[i].err, KFK_ERR_DESTROYED);
    }
    /* After the loop stopped, a submit completes at once, on this thread. */
    peer_stop(p);
}
END_TEST

START_TEST(test_idle_connection_is_closed_and_reopened_on_demand)
{
    peer *p = peer_start();
    peer_run(p);
    harness h;
    harness_start_idle(&h, p->port, 5, 200);
    waiter_reset();
    call c;
    call_init(&c, 0, 5000);
    kconn_submit(h.conn, &c.req);
    ck_assert_int_eq(wait_done(1, 5000), 1);
    WAIT_UNTIL(atomic_load(&p->eofs) == 1, 3000);
    /* The peer sees the close before the loop thread, which closed the
     * socket first, has marked the connection DOWN. */
    WAIT_UNTIL(kconn_state_get(h.conn) == KCONN_DOWN, 3000);
    waiter_reset();
    call_init(&c, 0, 5000);
    kconn_submit(h.conn, &c.req);
    ck_assert_int_eq(wait_done(1, 5000), 1);
    ck_assert_int_eq(c.err, KFK_OK);
    ck_assert_int_eq(atomic_load(&p->accepted), 2);
    harness_stop(&h);
    peer_stop(p);
}
END_TEST

START_TEST(test_big_response_decodes_and_its_frame_can_be_kept)
{
    peer *p = peer_start();
    p->metadata_topics = 5000; /* about 250 KiB: more than the read buffer */
    peer_run(p);
    harness h;
    harness_start(&h, p->port, 5);
    waiter_reset();
    call c[3];
    for (int i = 0; i < 3; i++) {
        call_init(&c[i], i, 5000);
        if (i == 1) c[i].req.flags = KREQ_F_KEEP_FRAME;
        kconn_submit(h.conn, &c[i].req);
    }
    ck_assert_int_eq(wait_done(3, 5000), 3);
    ck_assert_int_eq(W.per_err[0], 3);
    ck_assert_int_eq(W.metadata_topics, 5000);
    ck_assert_ptr_nonnull(W.kept);
    ck_assert_uint_gt(W.kept->len, 200000);
    krbuf_unref(W.kept);
    W.kept = NULL;
    harness_stop(&h);
    peer_stop(p);
}
END_TEST

/* A source that sends one request per pull until it has sent `want`. */
typedef struct src {
    ksource s;
    call calls[8];
    int want, sent, max_room;
} src;

/* Reads the connection's output buffer capacity on its own loop thread. */
typedef struct out_probe {
    ktask task;
    kconn *conn;
    atomic_size_t cap;
    atomic_bool done;
} out_probe;

static void out_probe_task(ktask *t)
{
    out_probe *p = (out_probe *)t;
    atomic_store(&p->cap, p->conn->out.cap);
    atomic_store(&p->done, true);
}

START_TEST(test_output_buffer_stays_bounded_when_the_socket_never_drains)
{
    /* Big requests through small socket buffers: the writer is always
     * behind, so new requests are encoded while older ones are still
     * partly unwritten. The written prefix must be dropped, or the buffer
     * grows with every request instead of with what is in flight. */
    enum { N = 100, MAX_IN_FLIGHT = 5, TOPICS = 2000 };
    peer *p = peer_start();
    p->rcvbuf = 65536; /* not below the loopback MSS: TCP would crawl */
    peer_run(p);
    harness h;
    next_sndbuf = 65536;
    harness_start(&h, p->port, MAX_IN_FLIGHT);
    static char names[TOPICS][64];
    static kp_metadata_request_topic topics[TOPICS];
    for (int i = 0; i < TOPICS; i++) {
        snprintf(names[i], sizeof(names[i]), "a-topic-with-a-name-long-enough-to-weigh-%08d", i);
        kp_metadata_request_topic_init(&topics[i]);
        topics[i].name = kwire_cstr(names[i]);
    }
    waiter_reset();
    static call c[N];
    for (int i = 0; i < N; i++) {
        call_init(&c[i], i, 30000);
        c[i].body.topics = topics;
        c[i].body.n_topics = TOPICS;
        kconn_submit(h.conn, &c[i].req);
    }
    ck_assert_int_eq(wait_done(N, 30000), N);
    ck_assert_int_eq(W.per_err[0], N);
    ck_assert(W.order_ok);
    out_probe probe = {.task = {.fn = out_probe_task}, .conn = h.conn};
    ck_assert_int_eq(kloop_post(h.loop, &probe.task), 0);
    WAIT_UNTIL(atomic_load(&probe.done), 5000);
    /* One request is ~104 KB and at most 5 are in flight; the written
     * prefix is dropped once it is as long as what is left, so the buffer
     * never holds more than twice the in-flight bytes: within 2 MiB.
     * Appending all 100 requests would need 10 MB. */
    ck_assert_msg(atomic_load(&probe.cap) <= 2u << 20, "output buffer grew to %zu bytes",
                  atomic_load(&probe.cap));
    harness_stop(&h);
    peer_stop(p);
}
END_TEST

static void src_pull(ksource *s, kconn *c, int room)
{
    src *x = (src *)s;
    if (room > x->max_room) x->max_room = room;
    while (room-- > 0 && x->sent < x->want) {
        call_init(&x->calls[x->sent], x->sent, 5000);
        kconn_send(c, &x->calls[x->sent].req);
        x->sent++;
    }
}

static src the_src;
static kconn *src_conn;
static void attach_task(ktask *t)
{
    (void)t;
    kconn_add_source(src_conn, &the_src.s);
}

START_TEST(test_kick_connects_and_pulls_from_sources)
{
    peer *p = peer_start();
    peer_run(p);
    harness h;
    harness_start(&h, p->port, 3);
    waiter_reset();
    memset(&the_src, 0, sizeof(the_src));
    the_src.s.pull = src_pull;
    the_src.want = 8;
    src_conn = h.conn;
    ktask attach = {.fn = attach_task};
    kloop_post(h.loop, &attach);
    kconn_kick(h.conn);
    ck_assert_int_eq(wait_done(8, 5000), 8);
    ck_assert_int_eq(W.per_err[0], 8);
    ck_assert_int_le(the_src.max_room, 3);
    harness_stop(&h);
    peer_stop(p);
}
END_TEST

/* Holds the loop thread until the test opens the gate, so that the test
 * decides the order in which the loop then runs what was posted. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};

static void gate_task(ktask *t)
{
    (void)t;
    pthread_mutex_lock(&gate.lock);
    while (!gate.open)
        pthread_cond_wait(&gate.cond, &gate.lock);
    pthread_mutex_unlock(&gate.lock);
}

static void gate_open(void)
{
    pthread_mutex_lock(&gate.lock);
    gate.open = true;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.lock);
}

/* As a producer's sender attaches: the source, then a kick. */
static void attach_and_kick_task(ktask *t)
{
    (void)t;
    kconn_add_source(src_conn, &the_src.s);
    kconn_kick(src_conn);
}

/* A connection kicked before its loop adopted it, while the group's kick
 * pass was already queued (another connection's kick): that pass cannot
 * see it, and the kick must not be lost with it, or every later kick is
 * taken for one already under way and the connection never connects. */
START_TEST(test_kick_before_the_loop_adopts_the_connection_is_kept)
{
    peer *p = peer_start();
    peer_run(p);
    harness h;
    harness_start(&h, p->port, 3);
    waiter_reset();
    gate.open = false;
    ktask hold = {.fn = gate_task};
    ck_assert_int_eq(kloop_post(h.loop, &hold), 0);
    kconn_kick(h.conn); /* queues the group's kick pass behind the gate */
    kconn *late = kconn_new(h.group, 2, "127.0.0.1", p->port, NULL);
    ck_assert_ptr_nonnull(late); /* its adoption queues behind the pass */
    kconn_kick(late);
    memset(&the_src, 0, sizeof(the_src));
    the_src.s.pull = src_pull;
    the_src.want = 8;
    src_conn = late;
    ktask attach = {.fn = attach_and_kick_task};
    ck_assert_int_eq(kloop_post(h.loop, &attach), 0);
    gate_open();
    ck_assert_int_eq(wait_done(8, 5000), 8);
    ck_assert_int_eq(W.per_err[0], 8);
    harness_stop(&h);
    peer_stop(p);
}
END_TEST

static Suite *conn_suite(void)
{
    Suite *s = suite_create("net_conn");
    TCase *tc = tcase_create("conn");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_negotiates_then_answers_a_request);
    tcase_add_test(tc, test_unset_client_id_is_sent_as_an_empty_string);
    tcase_add_test(tc, test_old_broker_gets_api_versions_at_its_version);
    tcase_add_test(tc, test_api_the_broker_lacks_fails_with_unsupported_version);
    tcase_add_test(tc, test_pipelines_up_to_max_in_flight_and_keeps_order);
    tcase_add_test(tc, test_request_times_out_at_its_deadline_and_the_connection_closes);
    tcase_add_test(tc, test_a_request_given_up_in_flight_keeps_the_connection);
    tcase_add_test(tc, test_no_answer_by_the_wire_deadline_closes_the_connection);
    tcase_add_test(tc, test_a_wrong_correlation_id_fails_the_connection);
    tcase_add_test(tc, test_a_huge_frame_size_is_refused_not_awaited);
    tcase_add_test(tc, test_a_negative_frame_size_is_refused);
    tcase_add_test(tc, test_a_body_cut_short_is_malformed);
    tcase_add_test(tc, test_refused_connect_fails_requests_and_backs_off);
    tcase_add_test(tc, test_connect_that_hangs_fails_at_the_setup_timeout);
    tcase_add_test(tc, test_shutdown_completes_every_request_once_with_destroyed);
    tcase_add_test(tc, test_idle_connection_is_closed_and_reopened_on_demand);
    tcase_add_test(tc, test_big_response_decodes_and_its_frame_can_be_kept);
    tcase_add_test(tc, test_kick_connects_and_pulls_from_sources);
    tcase_add_test(tc, test_kick_before_the_loop_adopts_the_connection_is_kept);
    tcase_add_test(tc, test_output_buffer_stays_bounded_when_the_socket_never_drains);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(conn_suite());
}
