/* The consumer's statistics: the document it gathers for stats_cb and the
 * *_stats_* calls, and the delivery from its poll.
 *
 * Where each figure comes from, and why reading it is safe from the
 * application's thread while the I/O threads work:
 *   - partitions (positions, high watermarks, leaders, fetched counts,
 *     the fetched-message queue): c->lock, which the fetchers take for
 *     every answer they queue; the fetched counts are added there, per
 *     chunk (kcpart_stats_fetched);
 *   - app_offset: the partition's consumed atomic;
 *   - the group: its core's lock, taken after c->lock is released (the
 *     two are never held together).
 * Nothing here runs per message. */
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "client/stats.h"
#include "consumer/group_int.h"

static const char *fetch_state(const kcpart *p)
{
    /* librdkafka's names for the corresponding fetch states. */
    switch (p->state) {
    case KCP_FETCHING:
        return p->paused ? "paused" : "active";
    case KCP_NEED_RESET:
    case KCP_NEED_COMMITTED:
        return "offset-query";
    case KCP_RESETTING:
        return "offset-wait";
    case KCP_FAILED:
        break;
    }
    return "stopped";
}

static void read_part(const kcpart *p, kstats_part *sp)
{
    sp->fetch_state = fetch_state(p);
    sp->f[KSP_LEADER] = p->leader_ver ? p->leader : -1;
    sp->f[KSP_RXMSGS] = p->rx_records;
    sp->f[KSP_RXBYTES] = p->rx_bytes;
    sp->f[KSP_FETCHQ_CNT] = 0;
    sp->f[KSP_FETCHQ_SIZE] = 0;
    int64_t app = atomic_load_explicit(&((kcpart *)p)->consumed, memory_order_relaxed);
    if (app >= 0) sp->f[KSP_APP_OFFSET] = app;
    if (p->committed_pos >= 0) sp->f[KSP_COMMITTED_OFFSET] = p->committed_pos;
    if (p->fetched) {
        sp->f[KSP_HI_OFFSET] = p->high_watermark;
        if (p->log_start >= 0) sp->f[KSP_LO_OFFSET] = p->log_start;
        /* Java's records-lag: from the position the application reached
         * (the fetch position before the first message is polled). */
        int64_t from = app >= 0 ? app : p->position;
        int64_t lag = p->high_watermark - from;
        sp->f[KSP_CONSUMER_LAG] = lag > 0 ? lag : 0;
    }
}

/* The queued chunks' messages, by partition (c->lock held). The chunk a
 * poll is handing out is not counted: it is the poll's. */
static int64_t count_queue(kfk_consumer *c, kstats_part **sps)
{
    int64_t chunks = 0;
    for (const kchunk *ch = c->head; ch; ch = ch->next) {
        chunks++;
        for (int i = 0; i < c->n_parts; i++) {
            if (c->parts[i] != ch->part || !sps[i]) continue;
            sps[i]->f[KSP_FETCHQ_CNT] += ch->n - ch->pos;
            sps[i]->f[KSP_FETCHQ_SIZE] += (int64_t)ch->bytes;
            break;
        }
    }
    return chunks;
}

/* Partitions and the consumer-wide sums, under c->lock. */
static kfk_err gather_parts(kfk_consumer *c, kstats_doc *d, int64_t *assigned)
{
    kfk_err err = KFK_OK;
    int64_t rx = 0, rxb = 0;
    pthread_mutex_lock(&c->lock);
    kstats_part **sps = calloc((size_t)(c->n_parts ? c->n_parts : 1), sizeof(*sps));
    if (!sps) err = KFK_ERR_NO_MEMORY;
    for (int i = 0; !err && i < c->n_parts; i++) {
        const kcpart *p = c->parts[i];
        rx += p->rx_records;
        rxb += p->rx_bytes;
        /* Pointers into a topic's parts array move when it grows: fill
         * each entry now, find it again for the queue below. */
        kstats_topic *st = kstats_topic_get(d, p->topic);
        kstats_part *sp = st ? kstats_part_add(st, p->partition) : NULL;
        if (!sp)
            err = KFK_ERR_NO_MEMORY;
        else
            read_part(p, sp);
    }
    for (int i = 0; i < c->n_retired; i++) {
        rx += c->retired[i]->rx_records;
        rxb += c->retired[i]->rx_bytes;
    }
    if (!err) {
        for (int i = 0; i < c->n_parts; i++) {
            kstats_topic *st = kstats_topic_get(d, c->parts[i]->topic);
            for (int j = 0; st && j < st->n_parts; j++)
                if (st->parts[j].partition == c->parts[i]->partition) sps[i] = &st->parts[j];
        }
        d->top[KST_REPLYQ] = count_queue(c, sps);
    }
    *assigned = c->n_parts;
    pthread_mutex_unlock(&c->lock);
    free(sps);
    d->top[KST_RXMSGS] = rx;
    d->top[KST_RXMSG_BYTES] = rxb;
    return err;
}

static const char *event_name(kgev_type t)
{
    switch (t) {
    case KGEV_ASSIGNED:
        return "assigned";
    case KGEV_REVOKED:
        return "revoked";
    case KGEV_LOST:
        return "lost";
    case KGEV_COMMIT:
        break;
    }
    return "";
}

static void gather_group(kfk_consumer *c, kstats_doc *d, int64_t assigned)
{
    if (!c->group) return;
    kgroup_core *k = c->group->core;
    int64_t now = ktime_mono_ns();
    kstats_cgrp *g = &d->cgrp;
    d->have_cgrp = true;
    pthread_mutex_lock(&k->lock);
    g->state = k->generation > 0 ? "up" : k->left ? "left" : "joining";
    g->stateage_ms = (now - k->state_since_ns) / KTIME_NS_PER_MS;
    g->rebalance_cnt = k->assigned_cnt;
    g->rebalance_age_ms =
        k->rebalance_at_ns ? (now - k->rebalance_at_ns) / KTIME_NS_PER_MS : KSTATS_NONE;
    g->rebalance_reason = k->rebalance_at_ns ? event_name(k->rebalance_type) : "";
    pthread_mutex_unlock(&k->lock);
    g->assignment_size = assigned;
}

static kfk_err gather(kfk_consumer *c, kstats_doc *d, bool close_windows)
{
    kfk_err err = kstats_doc_init(d, c->client, close_windows);
    int64_t assigned = 0;
    if (!err) err = gather_parts(c, d, &assigned);
    if (!err) gather_group(c, d, assigned);
    return err;
}

typedef kfk_err render_fn(const kstats_doc *d, kbuf *out);

/* close_windows: for the stats_cb, whose documents each close a window
 * of the histograms; the on-demand calls leave it open. */
static kfk_err render(kfk_consumer *c, render_fn *fn, kbuf *out, bool close_windows)
{
    kstats_doc d;
    kfk_err err = gather(c, &d, close_windows);
    if (!err) err = fn(&d, out);
    kstats_doc_free(&d);
    return err;
}

void kconsumer_stats_tick(kfk_consumer *c)
{
    kstats_timer *t = kclient_stats_timer(c->client);
    if (!t->interval_ns || !kstats_due(t, ktime_mono_ns())) return;
    kbuf out = {0};
    if (render(c, kstats_json, &out, true) == KFK_OK)
        t->cb(t->opaque, kclient_handle(c->client), (const char *)out.data, out.len);
    kbuf_free(&out);
}

int64_t kconsumer_stats_wake(kfk_consumer *c, int64_t deadline_ns)
{
    return kstats_wake_ns(kclient_stats_timer(c->client), deadline_ns);
}

static kfk_err stats_call(kfk_consumer *c, render_fn *fn, char *buf, size_t *len)
{
    if (!c || !len) return KFK_ERR_INVALID_ARG;
    if (kclient_forked(c->client)) return KFK_ERR_STATE;
    kbuf out = {0};
    kfk_err err = render(c, fn, &out, false);
    if (!err) err = kstats_copy_out(&out, buf, len);
    kbuf_free(&out);
    return err;
}

kfk_err kfk_consumer_stats_json(kfk_consumer *c, char *buf, size_t *len)
{
    return stats_call(c, kstats_json, buf, len);
}

kfk_err kfk_consumer_stats_prometheus(kfk_consumer *c, char *buf, size_t *len)
{
    return stats_call(c, kstats_prometheus, buf, len);
}
