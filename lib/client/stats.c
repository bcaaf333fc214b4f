/* Statistics documents: gathering the client's part (brokers, times),
 * the topic and partition tables the producer and consumer fill, and the
 * interval. The renderers are in stats_render.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/time.h"
#include "client/client_int.h"

/* --- the interval -------------------------------------------------------------- */

void kstats_timer_init(kstats_timer *t, const kfk_conf *conf)
{
    void *opaque = NULL;
    t->cb = (kfk_stats_cb *)kconf_cb(conf, KCONF_STATS_CB, &opaque);
    t->opaque = opaque;
    int64_t ms = kconf_i64(conf, KCONF_STATISTICS_INTERVAL_MS);
    t->interval_ns = t->cb ? ms * KTIME_NS_PER_MS : 0;
    atomic_store_explicit(&t->due_ns, t->interval_ns ? ktime_mono_ns() + t->interval_ns : 0,
                          memory_order_relaxed);
}

bool kstats_due(kstats_timer *t, int64_t now_ns)
{
    if (!t->interval_ns) return false;
    int64_t due = atomic_load_explicit(&t->due_ns, memory_order_relaxed);
    if (now_ns < due) return false;
    /* The next one an interval after this one was due, unless this poll
     * came so late that it would be due at once again: then an interval
     * from now. A document is never delivered twice for one due time:
     * only the thread whose exchange succeeds delivers it. */
    int64_t next = due + t->interval_ns;
    if (next <= now_ns) next = now_ns + t->interval_ns;
    return atomic_compare_exchange_strong_explicit(&t->due_ns, &due, next, memory_order_relaxed,
                                                   memory_order_relaxed);
}

int64_t kstats_wake_ns(const kstats_timer *t, int64_t deadline_ns)
{
    if (!t->interval_ns) return deadline_ns;
    int64_t due = atomic_load_explicit(&((kstats_timer *)t)->due_ns, memory_order_relaxed);
    return due < deadline_ns ? due : deadline_ns;
}

static void stats_wake_fired(ktimer *t)
{
    kclient *c = container_of(t, kclient, stats_wake_timer);
    int64_t now = ktime_mono_ns();
    int64_t due = atomic_load_explicit(&c->stats.due_ns, memory_order_relaxed);
    if (now >= due) {
        c->stats_wake(c->stats_wake_opaque);
        due = now + c->stats.interval_ns; /* a poll moves due_ns on about as far */
    }
    kloop_timer_arm(c->bg, t, due);
}

static void stats_wake_arm(ktask *t)
{
    kclient *c = container_of(t, kclient, stats_wake_task);
    stats_wake_fired(&c->stats_wake_timer);
}

void kclient_stats_wake_on(kclient *c, void (*wake)(void *opaque), void *opaque)
{
    if (!c->stats.interval_ns || c->stats_wake) return;
    c->stats_wake = wake;
    c->stats_wake_opaque = opaque;
    ktimer_init(&c->stats_wake_timer, stats_wake_fired);
    c->stats_wake_task.fn = stats_wake_arm;
    if (kloop_post(c->bg, &c->stats_wake_task) < 0) c->stats_wake = NULL;
}

/* --- the document ---------------------------------------------------------------- */

static const char *state_name(kconn_state s)
{
    /* librdkafka's names for the corresponding broker states, so that
     * dashboards that look for "UP" keep working. */
    switch (s) {
    case KCONN_READY:
        return "UP";
    case KCONN_RESOLVING:
    case KCONN_CONNECTING:
        return "CONNECT";
    case KCONN_TLS:
        return "SSL_HANDSHAKE";
    case KCONN_API_VERSIONS:
        return "APIVERSION_QUERY";
    case KCONN_SASL:
        return "AUTH_HANDSHAKE";
    case KCONN_BACKOFF:
        return "TRY_CONNECT";
    case KCONN_DOWN:
    case KCONN_CLOSED:
        break;
    }
    return "DOWN";
}

/* One connection's figures. The kbroker reference the caller holds keeps
 * conn alive; every figure is an atomic its I/O thread writes. */
static void read_conn(kstats_broker *out, kconn *conn, int32_t nodeid, const char *source,
                      int64_t now_ns, bool close_windows)
{
    kconn_stats *st = kconn_stats_get(conn);
    snprintf(out->name, sizeof(out->name), "%s", kconn_name(conn));
    out->nodeid = nodeid;
    out->source = source;
    out->state = state_name(kconn_state_get(conn));
    int64_t since =
        atomic_load_explicit((_Atomic int64_t *)&st->state_since_ns, memory_order_relaxed);
    out->stateage_us = since && now_ns > since ? (now_ns - since) / 1000 : 0;
    out->outbuf_cnt = atomic_load_explicit((_Atomic int *)&st->outbuf_cnt, memory_order_relaxed);
    out->waitresp_cnt =
        atomic_load_explicit((_Atomic int *)&st->waitresp_cnt, memory_order_relaxed);
    out->tx = (int64_t)kstat_get(&st->tx);
    out->txbytes = (int64_t)kstat_get(&st->tx_bytes);
    out->txerrs = (int64_t)kstat_get(&st->tx_errs);
    out->rx = (int64_t)kstat_get(&st->rx);
    out->rxbytes = (int64_t)kstat_get(&st->rx_bytes);
    out->rxerrs = (int64_t)kstat_get(&st->rx_errs);
    out->connects = (int64_t)kstat_get(&st->connects);
    out->disconnects = (int64_t)kstat_get(&st->disconnects);
    kwhist_read(&st->rtt_us, &out->rtt_all, &out->rtt, close_windows);
    kwhist_read(&st->throttle_ms, &out->throttle_all, &out->throttle, close_windows);
}

static kfk_err add_brokers(kstats_doc *d, kclient *c, int64_t now_ns, bool close_windows)
{
    kbroker **v;
    int n = kclient_brokers(c, &v);
    if (n < 0) return KFK_ERR_NO_MEMORY;
    /* Each broker's data connection, and its coordinator connection when
     * one was opened: up to two entries a broker. */
    d->brokers = calloc((size_t)(2 * n + 1), sizeof(*d->brokers));
    for (int i = 0; i < n; i++) {
        kbroker *b = v[i];
        if (d->brokers) {
            const char *src = b->id < 0 ? "configured" : "learned";
            read_conn(&d->brokers[d->n_brokers++], b->conn, b->id, src, now_ns, close_windows);
            kconn *coord = atomic_load(&b->coord_conn);
            if (coord)
                read_conn(&d->brokers[d->n_brokers++], coord, b->id, "logical", now_ns,
                          close_windows);
        }
        kbroker_unref(b);
    }
    free(v);
    return d->brokers ? KFK_OK : KFK_ERR_NO_MEMORY;
}

void kstats_conn_gone(kclient *c, kconn *conn)
{
    kconn_stats *st = kconn_stats_get(conn);
    atomic_fetch_add(&c->stats_gone[KSTATS_GONE_TX], (int64_t)kstat_get(&st->tx));
    atomic_fetch_add(&c->stats_gone[KSTATS_GONE_TX_BYTES], (int64_t)kstat_get(&st->tx_bytes));
    atomic_fetch_add(&c->stats_gone[KSTATS_GONE_RX], (int64_t)kstat_get(&st->rx));
    atomic_fetch_add(&c->stats_gone[KSTATS_GONE_RX_BYTES], (int64_t)kstat_get(&st->rx_bytes));
}

kfk_err kstats_doc_init(kstats_doc *d, kclient *c, bool close_windows)
{
    memset(d, 0, sizeof(*d));
    for (int i = 0; i < KST__COUNT; i++)
        d->top[i] = KSTATS_NONE;
    d->type = c->type == KCONF_PRODUCER   ? "producer"
              : c->type == KCONF_CONSUMER ? "consumer"
                                          : "admin";
    d->client_id = kconf_str(c->conf, KCONF_CLIENT_ID);
    snprintf(d->name, sizeof(d->name), "%s#%s-%llu", *d->client_id ? d->client_id : "kfk", d->type,
             (unsigned long long)c->serial);
    int64_t now = ktime_mono_ns();
    d->ts_us = now / 1000;
    d->time_s = ktime_wall_ns() / KTIME_NS_PER_S;
    d->age_us = (now - c->created_ns) / 1000;
    for (int i = 0; i < KSTATS_GONE__COUNT; i++)
        d->gone[i] = atomic_load(&c->stats_gone[i]);
    return add_brokers(d, c, now, close_windows);
}

void kstats_doc_free(kstats_doc *d)
{
    for (int i = 0; i < d->n_topics; i++) {
        free(d->topics[i].name);
        free(d->topics[i].parts);
    }
    free(d->topics);
    free(d->brokers);
    memset(d, 0, sizeof(*d));
}

kstats_topic *kstats_topic_get(kstats_doc *d, const char *name)
{
    for (int i = 0; i < d->n_topics; i++)
        if (!strcmp(d->topics[i].name, name)) return &d->topics[i];
    if (d->n_topics == d->cap_topics) {
        int cap = d->cap_topics ? 2 * d->cap_topics : 8;
        kstats_topic *t = realloc(d->topics, (size_t)cap * sizeof(*t));
        if (!t) return NULL;
        d->topics = t;
        d->cap_topics = cap;
    }
    kstats_topic *t = &d->topics[d->n_topics];
    memset(t, 0, sizeof(*t));
    if (!(t->name = strdup(name))) return NULL;
    d->n_topics++;
    return t;
}

kstats_part *kstats_part_add(kstats_topic *t, int32_t partition)
{
    if (t->n_parts == t->cap_parts) {
        int cap = t->cap_parts ? 2 * t->cap_parts : 8;
        kstats_part *v = realloc(t->parts, (size_t)cap * sizeof(*v));
        if (!v) return NULL;
        t->parts = v;
        t->cap_parts = cap;
    }
    kstats_part *p = &t->parts[t->n_parts++];
    p->partition = partition;
    p->fetch_state = NULL;
    for (int i = 0; i < KSP__COUNT; i++)
        p->f[i] = KSTATS_NONE;
    return p;
}

kfk_err kstats_copy_out(const kbuf *text, char *buf, size_t *len)
{
    size_t need = text->len + 1;
    if (!buf || *len < need) {
        *len = need;
        return KFK_ERR_TOO_LARGE;
    }
    memcpy(buf, text->data, text->len);
    buf[text->len] = '\0';
    *len = need;
    return KFK_OK;
}
