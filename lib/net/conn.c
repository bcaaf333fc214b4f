/* The connection state machine (see conn.h): one function per transition.
 * Framing, request queues and socket I/O are in conn_io.c. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "base/container_of.h"
#include "base/time.h"
#include "net/backoff.h"
#include "net/conn_int.h"

static const char *const state_names[] = {
    [KCONN_DOWN] = "DOWN",
    [KCONN_RESOLVING] = "RESOLVING",
    [KCONN_CONNECTING] = "CONNECTING",
    [KCONN_TLS] = "TLS",
    [KCONN_API_VERSIONS] = "API_VERSIONS",
    [KCONN_SASL] = "SASL",
    [KCONN_READY] = "READY",
    [KCONN_BACKOFF] = "BACKOFF",
    [KCONN_CLOSED] = "CLOSED",
};

const char *kconn_state_name(kconn_state s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

void kconn_config_defaults(kconn_config *cfg)
{
    *cfg = (kconn_config){0};
    cfg->software_name = "kfk";
    cfg->software_version = KFK_VERSION_STR;
    cfg->setup_timeout_ms = 10000;
    cfg->setup_timeout_max_ms = 30000;
    cfg->backoff_ms = 50;
    cfg->backoff_max_ms = 1000;
    cfg->idle_ms = 540000;
    cfg->max_in_flight = 5;
    cfg->frame_max_bytes = 100 * 1024 * 1024;
    klogger_init(&cfg->log, NULL, NULL, KLOG_DEFAULT_LEVEL);
}

static inline kconn_state state_of(const kconn *c)
{
    return (kconn_state)atomic_load_explicit(&c->state, memory_order_relaxed);
}

static void set_state(kconn *c, kconn_state s)
{
    kconn_state from = state_of(c);
    if (from == s) return;
    atomic_store_explicit(&c->state, s, memory_order_relaxed);
    kconn_stats_state(&c->stats, from, s, kloop_now(c->loop));
    klog(&c->cfg->log, KFK_LOG_DEBUG, "broker", "%s: %s -> %s", c->name, kconn_state_name(from),
         kconn_state_name(s));
    if (c->cfg->on_state) c->cfg->on_state(c->opaque, c, from, s);
}

/* --- timers ---------------------------------------------------------------- */

static int64_t earliest(int64_t a, int64_t b)
{
    if (!a) return b;
    if (!b) return a;
    return a < b ? a : b;
}

static int64_t reauth_deadline(const kconn *c)
{
    return state_of(c) == KCONN_READY && !c->reauthenticating ? c->reauth_at_ns : 0;
}

static bool has_requests(const kconn *c)
{
    return c->pending.n || c->inflight.n || c->unacked.n;
}

static int64_t idle_deadline(const kconn *c)
{
    if (state_of(c) != KCONN_READY || c->cfg->idle_ms < 0 || has_requests(c)) return 0;
    return c->last_active_ns + c->cfg->idle_ms * KTIME_NS_PER_MS;
}

void kconn_arm_timer(kconn *c)
{
    int64_t d = earliest(earliest(c->state_deadline_ns, c->req_deadline_ns), idle_deadline(c));
    d = earliest(d, reauth_deadline(c));
    d = earliest(d, c->sasl_work_deadline_ns);
    d = earliest(d, c->throttle_until_ns);
    if (!d)
        kloop_timer_disarm(c->loop, &c->timer);
    else if (!ktimer_armed(&c->timer) || c->timer.deadline_ns != d)
        kloop_timer_arm(c->loop, &c->timer, d);
}

/* --- transitions ------------------------------------------------------------ */

static void close_socket(kconn *c)
{
    if (c->resolve_job) {
        kresolver_cancel(c->cfg->resolver, c->resolve_job);
        c->resolve_job = NULL;
    }
    if (c->io.fd >= 0) {
        kloop_io_del(c->loop, &c->io);
        close(c->io.fd);
        c->io.fd = -1;
    }
    ktls_free(c->tls);
    c->tls = NULL;
    c->tls_read_wants_out = c->tls_write_wants_in = false;
    kconn_sasl_reset(c);
    c->reauthenticating = false;
    c->reauth_at_ns = 0;
    c->throttle_until_ns = 0;
    kconn_reset_buffers(c);
}

static int64_t setup_deadline(const kconn *c)
{
    kbackoff b = {c->cfg->setup_timeout_ms, c->cfg->setup_timeout_max_ms, KBACKOFF_JITTER};
    return kloop_now(c->loop) + kbackoff_ms(&b, c->failures) * KTIME_NS_PER_MS;
}

static void try_address(kconn *c);

/* RESOLVING -> CONNECTING, or a failure when the name did not resolve. */
static void on_resolved(void *opaque, int gai_err, const kaddrs *addrs)
{
    kconn *c = opaque;
    c->resolve_job = NULL;
    if (gai_err) {
        kconn_fail(c, KFK_ERR_RESOLVE, gai_strerror(gai_err));
        return;
    }
    c->addrs = *addrs;
    c->addr_idx = 0;
    try_address(c);
}

/* DOWN or BACKOFF -> RESOLVING, or straight to CONNECTING for a numeric
 * address, which resolves without DNS. */
static void start_connect(kconn *c)
{
    c->state_deadline_ns = setup_deadline(c);
    c->addr_idx = 0;
    if (ksock_resolve(c->host, c->port, 1, &c->addrs) == 0) {
        try_address(c);
        return;
    }
    if (!c->cfg->resolver) {
        kconn_fail(c, KFK_ERR_RESOLVE, "not a numeric address, and no resolver");
        return;
    }
    c->resolve_job = kresolver_lookup(c->cfg->resolver, c->host, c->port, c->loop, on_resolved, c);
    if (!c->resolve_job) {
        kconn_fail(c, KFK_ERR_NO_MEMORY, "cannot start resolving");
        return;
    }
    set_state(c, KCONN_RESOLVING);
    kconn_arm_timer(c);
}

/* -> CONNECTING to addrs[addr_idx], or the next address that takes a
 * socket; a failure when none does. */
static void try_address(kconn *c)
{
    int err = 0;
    for (; c->addr_idx < c->addrs.n; c->addr_idx++) {
        const struct sockaddr *sa = (const struct sockaddr *)&c->addrs.addr[c->addr_idx];
        int fd = ksock_connect(sa, c->addrs.len[c->addr_idx], c->cfg->sndbuf, c->cfg->rcvbuf);
        if (fd < 0) {
            err = -fd;
            continue;
        }
        c->io.fd = fd;
        if (kloop_io_add(c->loop, &c->io, EPOLLOUT) < 0) {
            err = errno;
            close(fd);
            c->io.fd = -1;
            continue;
        }
        set_state(c, KCONN_CONNECTING);
        kconn_arm_timer(c);
        return;
    }
    kconn_fail(c, KFK_ERR_TRANSPORT, strerror(err ? err : EHOSTUNREACH));
}

/* A connect to one address failed or timed out: the next address, if
 * there is one, else a failure. */
static void connect_failed(kconn *c, const char *why)
{
    if (state_of(c) == KCONN_CONNECTING && c->addr_idx + 1 < c->addrs.n) {
        char addr[64];
        ksock_addr_str((const struct sockaddr *)&c->addrs.addr[c->addr_idx], addr, sizeof(addr));
        klog(&c->cfg->log, KFK_LOG_DEBUG, "broker", "%s: connect to %s failed: %s", c->name, addr,
             why);
        close_socket(c);
        c->addr_idx++;
        c->state_deadline_ns = setup_deadline(c);
        try_address(c);
        return;
    }
    kconn_fail(c, KFK_ERR_TRANSPORT, why);
}

static void send_api_versions(kconn *c, int16_t version)
{
    kreq_init(&c->av_req, &kp_api_versions_client, &c->av_body, c->state_deadline_ns, NULL, c);
    kp_api_versions_request_init(&c->av_body);
    if (version >= 3) {
        c->av_body.client_software_name = kwire_cstr(c->cfg->software_name);
        c->av_body.client_software_version = kwire_cstr(c->cfg->software_version);
    }
    kfk_err err = kconn_send_now(c, &c->av_req, version);
    if (err) {
        kconn_fail(c, err, "cannot encode ApiVersions");
        return;
    }
    set_state(c, KCONN_API_VERSIONS);
    kconn_write(c);
}

static void start_api_versions(kconn *c)
{
    kloop_io_mod(c->loop, &c->io, EPOLLIN);
    /* KIP-511: ask at our newest version; an older broker says which it
     * knows (kconn_on_api_versions). */
    send_api_versions(c, KP_API_VERSIONS_MAX_VERSION);
}

/* TLS -> TLS while the handshake needs the socket, API_VERSIONS once it
 * is done, or a failure. */
void kconn_tls_step(kconn *c)
{
    char why[256];
    int rc = ktls_handshake(c->tls, why, sizeof(why));
    if (rc == KTLS_OK) {
        char desc[96];
        ktls_describe(c->tls, desc, sizeof(desc));
        klog(&c->cfg->log, KFK_LOG_DEBUG, "broker", "%s: TLS established: %s", c->name, desc);
        start_api_versions(c);
    } else if (rc > 0) {
        kloop_io_mod(c->loop, &c->io, rc == KTLS_WANT_WRITE ? EPOLLIN | EPOLLOUT : EPOLLIN);
    } else {
        char msg[384];
        snprintf(msg, sizeof(msg), "TLS handshake failed: %s%s", why,
                 strstr(why, "unexpected eof")
                     ? " (the broker closed the connection: does this listener speak TLS?)"
                     : "");
        kconn_fail_security(c, KFK_ERR_TLS, msg);
    }
}

/* CONNECTING -> TLS, or API_VERSIONS without TLS, once the socket is
 * writable and connected. */
void kconn_on_connect_done(kconn *c)
{
    int err = ksock_error(c->io.fd);
    if (err) {
        connect_failed(c, strerror(err));
        return;
    }
    c->last_active_ns = kloop_now(c->loop);
    if (!c->cfg->tls) {
        start_api_versions(c);
        return;
    }
    c->tls = ktls_new(c->cfg->tls, c->io.fd, c->host, c->name);
    if (!c->tls) {
        kconn_fail(c, KFK_ERR_NO_MEMORY, "cannot start a TLS session");
        return;
    }
    set_state(c, KCONN_TLS);
    kconn_tls_step(c);
}

/* API_VERSIONS or SASL -> READY; a re-authenticated connection sends
 * what it held back. */
void kconn_become_ready(kconn *c)
{
    c->failures = 0;
    c->state_deadline_ns = 0;
    c->reauthenticating = false;
    set_state(c, KCONN_READY);
    kconn_flush(c);
    kconn_arm_timer(c);
}

void kconn_fail_security(kconn *c, kfk_err err, const char *why)
{
    klog(&c->cfg->log, KFK_LOG_ERR, "broker", "%s: %s", c->name, why);
    if (c->cfg->on_error) c->cfg->on_error(c->opaque, c, err, why);
    kconn_fail(c, err, why);
}

/* API_VERSIONS -> API_VERSIONS at an older version, or READY, or a
 * failure. */
void kconn_on_api_versions(kconn *c, const kp_api_versions_response *resp)
{
    if (resp->error_code == KFK_ERR_UNSUPPORTED_VERSION) {
        int16_t v = kversions_api_versions_retry(resp);
        if (v < 0 || v >= c->av_req.version) {
            kconn_fail(c, KFK_ERR_NO_COMMON_VERSION, "no ApiVersions version in common");
            return;
        }
        klog(&c->cfg->log, KFK_LOG_DEBUG, "broker", "%s: ApiVersions v%d unsupported, using v%d",
             c->name, c->av_req.version, v);
        send_api_versions(c, v);
        return;
    }
    if (resp->error_code) {
        kconn_fail(c, (kfk_err)resp->error_code, "ApiVersions failed");
        return;
    }
    kversions_from_response(&c->versions, resp);
    if (!c->cfg->sasl) {
        kconn_become_ready(c);
        return;
    }
    set_state(c, KCONN_SASL);
    kconn_sasl_start(c);
}

/* Any state with a socket or a lookup -> BACKOFF (or freed, when
 * retiring): every queued request completes with err. */
void kconn_fail(kconn *c, kfk_err err, const char *why)
{
    kconn_state from = state_of(c);
    int level = from == KCONN_READY ? KFK_LOG_WARNING : KFK_LOG_INFO;
    klog(&c->cfg->log, level, "broker", "%s: %s in state %s: %s", c->name,
         from == KCONN_READY ? "connection lost" : "connect failed", kconn_state_name(from), why);
    close_socket(c);
    c->refused = err == KFK_ERR_TLS || err == KFK_ERR_AUTH ? err : KFK_OK;
    kbackoff b = {c->cfg->backoff_ms, c->cfg->backoff_max_ms, KBACKOFF_JITTER};
    c->state_deadline_ns = kloop_now(c->loop) + kbackoff_ms(&b, c->failures) * KTIME_NS_PER_MS;
    c->failures++;
    set_state(c, KCONN_BACKOFF);
    /* In BACKOFF, requests that callbacks send now fail at the next flush
     * instead of re-entering them here. */
    kconn_fail_queue(c, &c->inflight, err);
    kconn_fail_queue(c, &c->unacked, err);
    kconn_fail_queue(c, &c->pending, err);
    kconn_stats_queues(c);
    c->req_deadline_ns = 0;
    kconn_arm_timer(c);
}

/* BACKOFF -> CONNECTING when work waits, else DOWN. */
static void backoff_done(kconn *c)
{
    c->state_deadline_ns = 0;
    if (c->want_connect || c->pending.n)
        start_connect(c);
    else
        set_state(c, KCONN_DOWN);
}

/* READY -> DOWN after connections.max.idle.ms without traffic. */
static void close_idle(kconn *c)
{
    klog(&c->cfg->log, KFK_LOG_DEBUG, "broker", "%s: closing idle connection", c->name);
    close_socket(c);
    set_state(c, KCONN_DOWN);
}

void kconn_wake(kconn *c)
{
    if (state_of(c) == KCONN_DOWN) start_connect(c);
}

static void on_timer(ktimer *t)
{
    kconn *c = container_of(t, kconn, timer);
    int64_t now = kloop_now(c->loop);
    kconn_state s = state_of(c);
    if (c->req_deadline_ns && now >= c->req_deadline_ns && kconn_expire(c, now)) {
        kconn_fail(c, KFK_ERR_TRANSPORT, "a request timed out");
    } else if (c->sasl_work_deadline_ns && now >= c->sasl_work_deadline_ns) {
        kconn_fail(c, KFK_ERR_TRANSPORT, "the SASL mechanism did not answer in time");
    } else if (c->state_deadline_ns && now >= c->state_deadline_ns && s == KCONN_BACKOFF) {
        backoff_done(c);
    } else if (c->state_deadline_ns && now >= c->state_deadline_ns && s == KCONN_CONNECTING) {
        connect_failed(c, "connection setup timed out");
    } else if (c->state_deadline_ns && now >= c->state_deadline_ns && s != KCONN_READY &&
               s != KCONN_DOWN && s != KCONN_CLOSED) {
        kconn_fail(c, KFK_ERR_TRANSPORT, "connection setup timed out");
    } else if (idle_deadline(c) && now >= idle_deadline(c)) {
        close_idle(c);
    } else if (c->throttle_until_ns && now >= c->throttle_until_ns) {
        kconn_flush(c); /* the throttle is over: what waited goes now */
    } else if (reauth_deadline(c) && now >= reauth_deadline(c)) {
        klog(&c->cfg->log, KFK_LOG_DEBUG, "broker", "%s: re-authenticating (KIP-368)", c->name);
        c->reauthenticating = true;
        kconn_sasl_start(c);
    }
    kconn_arm_timer(c);
    kconn_maybe_free(c);
}

/* --- life cycle ---------------------------------------------------------------- */

/* -> CLOSED: no socket, no timer, every request completed with err. */
static void close_for_good(kconn *c, kfk_err err)
{
    set_state(c, KCONN_CLOSED);
    close_socket(c);
    /* Callbacks may queue more on a closed connection; drain until quiet. */
    while (has_requests(c)) {
        kconn_fail_queue(c, &c->inflight, err);
        kconn_fail_queue(c, &c->unacked, err);
        kconn_fail_queue(c, &c->pending, err);
    }
    c->req_deadline_ns = c->state_deadline_ns = 0;
    kloop_timer_disarm(c->loop, &c->timer);
    kconn_undirty(c);
}

static void unlink_and_free(kconn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (c->group->conns == c)
        c->group->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    kbuf_free(&c->out);
    kgather_free(&c->gather);
    kbuf_free(&c->rbuf);
    karena_free(&c->arena);
    free(c->host);
    free(c);
}

void kconn_maybe_free(kconn *c)
{
    if (!c->retiring || has_requests(c)) return;
    klog(&c->cfg->log, KFK_LOG_DEBUG, "broker", "%s: retired", c->name);
    close_for_good(c, KFK_ERR_TRANSPORT);
    unlink_and_free(c);
}

static void queue_kick_pass(kconn_group *g)
{
    if (!atomic_exchange(&g->kick_queued, true)) kloop_post(g->loop, &g->kick_task);
}

static void adopt_task(ktask *t)
{
    kconn *c = container_of(t, kconn, adopt_task);
    c->next = c->group->conns;
    if (c->next) c->next->prev = c;
    c->group->conns = c;
    /* A kick before now may have found a kick pass already queued ahead
     * of this task, which could not see c; c->kicked, left set, would
     * then make kconn_kick drop every later kick. A pass queued from here
     * on runs after what was posted before it (a source's attach). */
    if (atomic_load(&c->kicked)) queue_kick_pass(c->group);
}

static void retire_task(ktask *t)
{
    kconn *c = container_of(t, kconn, retire_task);
    c->retiring = true;
    c->want_connect = false;
    kconn_maybe_free(c);
}

kconn *kconn_new(kconn_group *g, int32_t node_id, const char *host, int port, void *opaque)
{
    kconn *c = calloc(1, sizeof(*c));
    if (!c || !(c->host = strdup(host))) {
        free(c);
        return NULL;
    }
    c->group = g;
    c->loop = g->loop;
    c->cfg = g->cfg;
    c->node_id = node_id;
    c->port = port;
    c->opaque = opaque;
    snprintf(c->name, sizeof(c->name), strchr(host, ':') ? "[%s]:%d/%d" : "%s:%d/%d", host, port,
             node_id);
    c->io.fd = -1;
    c->io.fn = kconn_on_io;
    c->gather.min = KCONN_GATHER_MIN;
    atomic_store_explicit(&c->stats.state_since_ns, ktime_mono_ns(), memory_order_relaxed);
    ktimer_init(&c->timer, on_timer);
    kreq_queue_init(&c->pending);
    kreq_queue_init(&c->inflight);
    kreq_queue_init(&c->unacked);
    kversions_clear(&c->versions);
    c->next_correlation_id = 1;
    c->adopt_task.fn = adopt_task;
    c->retire_task.fn = retire_task;
    if (kloop_post(c->loop, &c->adopt_task) < 0) {
        free(c->host);
        free(c);
        return NULL;
    }
    return c;
}

void kconn_retire(kconn *c)
{
    /* A refused post means the loop is stopping: close_all frees c. */
    kloop_post(c->loop, &c->retire_task);
}

/* --- the group ------------------------------------------------------------------- */

static void group_kick(ktask *t)
{
    kconn_group *g = container_of(t, kconn_group, kick_task);
    atomic_store(&g->kick_queued, false);
    for (kconn *c = g->conns; c; c = c->next) {
        if (!atomic_exchange(&c->kicked, false)) continue;
        c->want_connect = c->sources != NULL && !c->retiring;
        if (c->want_connect) kconn_wake(c);
        if (state_of(c) == KCONN_READY) kconn_schedule_flush(c);
    }
}

kconn_group *kconn_group_new(kloop *loop, const kconn_config *cfg)
{
    kconn_group *g = calloc(1, sizeof(*g));
    if (!g) return NULL;
    g->loop = loop;
    g->cfg = cfg;
    g->flush_task.fn = kconn_group_flush;
    g->kick_task.fn = group_kick;
    return g;
}

void kconn_group_close_all(kconn_group *g, kfk_err err)
{
    for (kconn *c = g->conns; c; c = c->next)
        close_for_good(c, err);
}

void kconn_group_free(kconn_group *g)
{
    if (!g) return;
    /* Closed connections stay allocated until now: other loops' threads
     * may still have tried to submit to them while the client stopped
     * loop after loop (kconn_submit reads c->loop, then fails). */
    while (g->conns)
        unlink_and_free(g->conns);
    free(g);
}

kloop *kconn_group_loop(const kconn_group *g)
{
    return g->loop;
}

void kconn_kick(kconn *c)
{
    if (atomic_exchange(&c->kicked, true)) return;
    queue_kick_pass(c->group);
}

void kconn_add_source(kconn *c, ksource *s)
{
    s->next = c->sources;
    c->sources = s;
}

void kconn_remove_source(kconn *c, ksource *s)
{
    for (ksource **p = &c->sources; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    if (!c->sources) c->want_connect = false;
}

kconn_state kconn_state_get(const kconn *c)
{
    return state_of(c);
}

int kconn_load(const kconn *c)
{
    return atomic_load_explicit(&c->load, memory_order_relaxed);
}

kconn_stats *kconn_stats_get(kconn *c)
{
    return &c->stats;
}

const char *kconn_name(const kconn *c)
{
    return c->name;
}

kfk_err kconn_refused(const kconn *c)
{
    return c->refused;
}

int32_t kconn_node_id(const kconn *c)
{
    return c->node_id;
}

kloop *kconn_loop(const kconn *c)
{
    return c->loop;
}

int16_t kconn_version(const kconn *c, int16_t api_key, int16_t min, int16_t max)
{
    if (state_of(c) != KCONN_READY) return -1;
    return kversions_pick(&c->versions, api_key, min, max);
}

int16_t kconn_txn_version(const kconn *c)
{
    return c->versions.txn_version;
}
