/* The broker registry: bootstrap entries, the brokers Metadata names, and
 * least-loaded selection. The array is sorted by id and guarded by
 * kclient.lock; brokers themselves are immutable but for their refcount. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "net/sock.h"

static kbroker *broker_new(kclient *c, int32_t id, const char *host, int port, kslice rack)
{
    kio_thread *io = kclient_io_for_broker(c, id < 0);
    kbroker *b = calloc(1, sizeof(*b));
    if (!io || !b || !(b->host = strdup(host))) goto fail;
    if (rack.ptr && !(b->rack = strndup((const char *)rack.ptr, rack.len))) goto fail;
    atomic_init(&b->refcnt, 1);
    b->id = id;
    b->port = port;
    b->client = c;
    /* opaque is the client, not b: a retired connection outlives b. */
    b->group = io->group;
    b->conn = kconn_new(io->group, id, host, port, c);
    if (!b->conn) goto fail;
    return b;
fail:
    if (b) {
        free(b->host);
        free(b->rack);
        free(b);
    }
    return NULL;
}

void kbroker_unref(kbroker *b)
{
    if (!b || atomic_fetch_sub_explicit(&b->refcnt, 1, memory_order_acq_rel) != 1) return;
    /* Requests submitted through earlier references were posted before
     * this, so they reach the connection before it retires. */
    kconn_retire(b->conn);
    kconn *coord = atomic_load_explicit(&b->coord_conn, memory_order_acquire);
    if (coord) kconn_retire(coord);
    free(b->host);
    free(b->rack);
    free(b);
}

kconn *kbroker_coord_conn(kbroker *b)
{
    kconn *k = atomic_load_explicit(&b->coord_conn, memory_order_acquire);
    if (k) return k;
    if (b->id < 0) return b->conn;
    /* The Java client's node id for a coordinator connection: it shows in
     * the connection's log lines and keeps it apart from b's own. */
    k = kconn_new(b->group, INT32_MAX - b->id, b->host, b->port, b->client);
    if (!k) return b->conn;
    kconn *none = NULL;
    if (atomic_compare_exchange_strong_explicit(&b->coord_conn, &none, k, memory_order_acq_rel,
                                                memory_order_acquire))
        return k;
    kconn_retire(k); /* another thread made one first; k never carried a request */
    return none;
}

static kbroker *broker_ref(kbroker *b)
{
    atomic_fetch_add_explicit(&b->refcnt, 1, memory_order_relaxed);
    return b;
}

/* Index of id in the sorted array, or -(insertion point) - 1. */
static int find(const kclient *c, int32_t id)
{
    int lo = 0, hi = c->n_brokers - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int32_t v = c->brokers[mid]->id;
        if (v == id) return mid;
        if (v < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -lo - 1;
}

static int insert_at(kclient *c, int pos, kbroker *b)
{
    if (c->n_brokers == c->cap_brokers) {
        int cap = c->cap_brokers ? c->cap_brokers * 2 : 8;
        kbroker **v = realloc(c->brokers, (size_t)cap * sizeof(*v));
        if (!v) return -1;
        c->brokers = v;
        c->cap_brokers = cap;
    }
    memmove(&c->brokers[pos + 1], &c->brokers[pos],
            (size_t)(c->n_brokers - pos) * sizeof(c->brokers[0]));
    c->brokers[pos] = b;
    c->n_brokers++;
    return 0;
}

static void remove_at(kclient *c, int pos)
{
    memmove(&c->brokers[pos], &c->brokers[pos + 1],
            (size_t)(c->n_brokers - pos - 1) * sizeof(c->brokers[0]));
    c->n_brokers--;
}

int kclient_add_bootstrap(kclient *c, char *errstr, size_t errlen)
{
    const char *list = c->bootstrap;
    if (!*list) {
        snprintf(errstr, errlen, "bootstrap.servers is empty: name at least one broker");
        return -1;
    }
    int rc = 0;
    pthread_mutex_lock(&c->lock);
    for (const char *p = list; *p && rc == 0;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char host[256];
        int port;
        if (ksock_split_hostport(p, len, host, sizeof(host), &port) < 0) {
            snprintf(errstr, errlen, "bootstrap.servers: \"%.*s\" is not host:port", (int)len, p);
            rc = -1;
            break;
        }
        int32_t id = --c->next_bootstrap_id; /* -1, -2, ... as the Java client numbers them */
        kbroker *b = broker_new(c, id, host, port, (kslice){0});
        int pos = find(c, id);
        if (!b || pos >= 0 || insert_at(c, -pos - 1, b) < 0) {
            snprintf(errstr, errlen, "out of memory");
            kbroker_unref(b);
            rc = -1;
        }
        p = comma ? comma + 1 : p + len;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void kclient_rebootstrap(kclient *c)
{
    pthread_mutex_lock(&c->lock);
    bool have_bootstrap = c->n_brokers && c->brokers[0]->id < 0; /* sorted: they come first */
    pthread_mutex_unlock(&c->lock);
    if (have_bootstrap) return;
    klog(&c->log, KFK_LOG_WARNING, "metadata",
         "no broker answered for metadata.recovery.rebootstrap.trigger.ms: "
         "starting over from bootstrap.servers");
    char err[256];
    if (kclient_add_bootstrap(c, err, sizeof(err)) < 0)
        klog(&c->log, KFK_LOG_ERR, "metadata", "rebootstrap: %s", err);
}

typedef enum upsert_kind { UPSERT_SAME, UPSERT_ADDED, UPSERT_MOVED } upsert_kind;

/* Puts a broker for (id, host, port) in the registry unless the same one
 * is there; a replaced one goes to *dropped (lock held: no logging here,
 * the log callback is the application's). */
static upsert_kind upsert(kclient *c, int32_t id, const char *host, int port, kslice rack,
                          kbroker **dropped)
{
    *dropped = NULL;
    int pos = find(c, id);
    if (pos >= 0) {
        kbroker *old = c->brokers[pos];
        if (old->port == port && strcmp(old->host, host) == 0) return UPSERT_SAME;
        kbroker *b = broker_new(c, id, host, port, rack);
        if (!b) return UPSERT_SAME;
        c->brokers[pos] = b;
        *dropped = old;
        atomic_fetch_add(&c->brokers_version, 1);
        return UPSERT_MOVED;
    }
    kbroker *b = broker_new(c, id, host, port, rack);
    if (!b) return UPSERT_SAME;
    if (insert_at(c, -pos - 1, b) < 0) {
        *dropped = b;
        return UPSERT_SAME;
    }
    atomic_fetch_add(&c->brokers_version, 1);
    return UPSERT_ADDED;
}

static void log_upsert(kclient *c, upsert_kind kind, int32_t id, const char *host, int port)
{
    if (kind == UPSERT_ADDED)
        klog(&c->log, KFK_LOG_DEBUG, "broker", "broker %d at %s:%d", id, host, port);
    else if (kind == UPSERT_MOVED)
        klog(&c->log, KFK_LOG_INFO, "broker", "broker %d moved to %s:%d", id, host, port);
}

static void host_of(kslice s, char *buf, size_t len)
{
    size_t n = s.len < len - 1 ? s.len : len - 1;
    if (n) memcpy(buf, s.ptr, n);
    buf[n] = '\0';
}

static bool listed(const kp_metadata_response *resp, int32_t id)
{
    for (int32_t i = 0; i < resp->n_brokers; i++)
        if (resp->brokers[i].node_id == id) return true;
    return false;
}

/* b left the registry: what its connections carried so far stays in the
 * statistics' totals (what they carry after is not counted), and the
 * registry's reference goes. */
static void unlist(kclient *c, kbroker *b)
{
    kstats_conn_gone(c, b->conn);
    kconn *coord = atomic_load_explicit(&b->coord_conn, memory_order_acquire);
    if (coord) kstats_conn_gone(c, coord);
    kbroker_unref(b);
}

static void keep_or_drop(kclient *c, kbroker **drop, int *n_drop, int cap, kbroker *b)
{
    if (!b) return;
    if (drop && *n_drop < cap) {
        drop[(*n_drop)++] = b;
        return;
    }
    unlist(c, b); /* no room to defer: releasing under the lock is safe, just longer */
}

/* Logs what an update did, once the lock is released. */
static void log_changes(kclient *c, const kp_metadata_response *resp, const upsert_kind *kinds,
                        kbroker **drop, int n_drop)
{
    for (int32_t i = 0; kinds && i < resp->n_brokers; i++) {
        const kp_metadata_response_broker *rb = &resp->brokers[i];
        if (kinds[i] == UPSERT_SAME) continue;
        char host[256];
        host_of(rb->host, host, sizeof(host));
        log_upsert(c, kinds[i], rb->node_id, host, rb->port);
    }
    for (int i = 0; i < n_drop; i++)
        if (drop[i]->id >= 0 && !listed(resp, drop[i]->id))
            klog(&c->log, KFK_LOG_INFO, "broker", "broker %d left the cluster", drop[i]->id);
}

void kclient_brokers_apply(kclient *c, const kp_metadata_response *resp)
{
    if (resp->n_brokers <= 0) return; /* an answer without brokers tells nothing about them */
    int n_drop = 0, cap = resp->n_brokers + 16;
    kbroker **drop = malloc((size_t)cap * sizeof(*drop));
    upsert_kind *kinds = calloc((size_t)resp->n_brokers, sizeof(*kinds));
    pthread_mutex_lock(&c->lock);
    for (int32_t i = 0; i < resp->n_brokers; i++) {
        const kp_metadata_response_broker *rb = &resp->brokers[i];
        char host[256];
        host_of(rb->host, host, sizeof(host));
        kbroker *old;
        upsert_kind kind = upsert(c, rb->node_id, host, rb->port, rb->rack, &old);
        if (kinds) kinds[i] = kind;
        keep_or_drop(c, drop, &n_drop, cap, old);
    }
    /* Brokers that left the cluster, and the bootstrap entries once the
     * real brokers are known. */
    for (int i = c->n_brokers - 1; i >= 0; i--) {
        kbroker *b = c->brokers[i];
        if (b->id >= 0 && listed(resp, b->id)) continue;
        remove_at(c, i);
        atomic_fetch_add(&c->brokers_version, 1);
        keep_or_drop(c, drop, &n_drop, cap, b);
    }
    c->have_real_brokers = true;
    pthread_mutex_unlock(&c->lock);
    log_changes(c, resp, kinds, drop, n_drop);
    for (int i = 0; i < n_drop; i++)
        unlist(c, drop[i]);
    free(drop);
    free(kinds);
}

void kclient_node_endpoint(kclient *c, int32_t id, kslice host, int32_t port, kslice rack)
{
    if (id < 0 || !host.ptr || port <= 0) return;
    char h[256];
    host_of(host, h, sizeof(h));
    kbroker *old;
    pthread_mutex_lock(&c->lock);
    upsert_kind kind = upsert(c, id, h, port, rack, &old);
    pthread_mutex_unlock(&c->lock);
    log_upsert(c, kind, id, h, port);
    kbroker_unref(old);
}

void kclient_brokers_free(kclient *c)
{
    for (int i = 0; i < c->n_brokers; i++)
        kbroker_unref(c->brokers[i]);
    free(c->brokers);
    c->brokers = NULL;
    c->n_brokers = 0;
}

uint64_t kclient_brokers_version(const kclient *c)
{
    return atomic_load(&c->brokers_version);
}

kbroker *kclient_broker(kclient *c, int32_t id)
{
    pthread_mutex_lock(&c->lock);
    int pos = find(c, id);
    kbroker *b = pos >= 0 ? broker_ref(c->brokers[pos]) : NULL;
    pthread_mutex_unlock(&c->lock);
    return b;
}

/* Lower is better: a connection ready to carry the request first. */
static int state_rank(kconn_state s)
{
    switch (s) {
    case KCONN_READY:
        return 0;
    case KCONN_DOWN:
        return 1;
    case KCONN_BACKOFF:
        return 3;
    default: /* coming up */
        return 2;
    }
}

kbroker *kclient_least_loaded(kclient *c)
{
    pthread_mutex_lock(&c->lock);
    kbroker *best = NULL;
    long best_score = 0;
    int n = c->n_brokers;
    unsigned start = n ? atomic_fetch_add(&c->rotate, 1) % (unsigned)n : 0;
    for (int i = 0; i < n; i++) {
        kbroker *b = c->brokers[(start + (unsigned)i) % (unsigned)n];
        long score = (long)state_rank(kconn_state_get(b->conn)) * 1000000 + kconn_load(b->conn);
        if (!best || score < best_score) {
            best = b;
            best_score = score;
        }
    }
    if (best) broker_ref(best);
    pthread_mutex_unlock(&c->lock);
    return best;
}

int kclient_brokers(kclient *c, kbroker ***out)
{
    pthread_mutex_lock(&c->lock);
    int n = c->n_brokers;
    kbroker **v = malloc((size_t)(n ? n : 1) * sizeof(*v));
    for (int i = 0; v && i < n; i++)
        v[i] = broker_ref(c->brokers[i]);
    pthread_mutex_unlock(&c->lock);
    *out = v;
    return v ? n : -1;
}
