/* The producer's statistics: what it counts as batches are acknowledged,
 * the document it gathers for stats_cb and the *_stats_* calls, and the
 * poll that delivers it.
 *
 * Where each figure comes from, and why reading it is safe from the
 * application's thread while the I/O threads work:
 *   - acknowledged records and bytes (per partition) and batch sizes (per
 *     topic): atomics the I/O threads add to, once per batch
 *     (kprod_stats_acked, from kdr_batch_done);
 *   - msgq_cnt/msgq_bytes: the accumulator's queue, walked under the
 *     partition's accumulator lock (kaccum_part_backlog), as a drain does;
 *   - xmit_msgq_cnt/bytes: the partition's unacked list, under pp->lock;
 *   - replyq: the report queue, under dr_lock;
 *   - msg_cnt: the outstanding atomic; msg_size: the accumulator's
 *     reservation, under its memory lock;
 *   - leaders: the metadata cache (its own lock).
 * Nothing here runs on the produce path: kfk_produce costs the same with
 * statistics on or off. */
#include <stdlib.h>

#include "base/time.h"
#include "client/stats.h"
#include "producer/producer_int.h"

void kprod_stats_acked(kaccum_batch *b)
{
    kpart *pp = kaccum_part_ctx(b->part);
    int32_t n = kaccum_batch_count(b);
    size_t raw = kaccum_batch_size(b);
    /* The compressed form, when the batch was compressed (b->out holds
     * it until the batch is released). */
    size_t wire = b->out.len ? b->out.len : raw;
    kstat_add_shared(&pp->acked_records, (uint64_t)n);
    kstat_add_shared(&pp->acked_bytes, raw);
    kptopic *t = pp->topic;
    kwhist_record(&t->batch_bytes, (int64_t)raw);
    kwhist_record(&t->batch_records, n);
    kstat_add_shared(&t->raw_bytes, raw);
    kstat_add_shared(&t->wire_bytes, wire);
}

static int64_t reports_waiting(kfk_producer *p)
{
    int64_t n = 0;
    pthread_mutex_lock(&p->dr_lock);
    for (const kaccum_msgs *d = p->dr_head; d; d = d->next)
        n += d->n;
    pthread_mutex_unlock(&p->dr_lock);
    return n;
}

static void read_part(kfk_producer *p, kpart *pp, kstats_part *sp)
{
    int32_t leader, epoch;
    if (kmeta_leader(kclient_meta(p->client), pp->topic->name, pp->id, &leader, &epoch) < 0)
        leader = -1;
    sp->f[KSP_LEADER] = leader;
    kaccum_part_backlog(pp->ap, &sp->f[KSP_MSGQ_CNT], &sp->f[KSP_MSGQ_BYTES]);
    int64_t n = 0, bytes = 0;
    pthread_mutex_lock(&pp->lock);
    for (int i = 0; i < pp->n_unacked; i++) {
        n += kaccum_batch_count(pp->unacked[i]);
        bytes += (int64_t)kaccum_batch_size(pp->unacked[i]);
    }
    pthread_mutex_unlock(&pp->lock);
    sp->f[KSP_XMIT_MSGQ_CNT] = n;
    sp->f[KSP_XMIT_MSGQ_BYTES] = bytes;
    sp->f[KSP_TXMSGS] = (int64_t)kstat_get(&pp->acked_records);
    sp->f[KSP_TXBYTES] = (int64_t)kstat_get(&pp->acked_bytes);
}

static void read_topic(kptopic *t, kstats_topic *st, bool close_windows)
{
    st->batches = true;
    kwhist_read(&t->batch_bytes, &st->batchsize_all, &st->batchsize, close_windows);
    kwhist_read(&t->batch_records, &st->batchcnt_all, &st->batchcnt, close_windows);
    st->uncompressed_bytes = (int64_t)kstat_get(&t->raw_bytes);
    st->compressed_bytes = (int64_t)kstat_get(&t->wire_bytes);
}

static kfk_err gather(kfk_producer *p, kstats_doc *d, bool close_windows)
{
    kfk_err err = kstats_doc_init(d, p->client, close_windows);
    if (err) return err;
    d->top[KST_REPLYQ] = reports_waiting(p);
    d->top[KST_MSG_CNT] = (int64_t)atomic_load(&p->outstanding);
    d->top[KST_MSG_SIZE] = kaccum_reserved_bytes(p->accum);
    d->top[KST_MSG_SIZE_MAX] = kconf_i64(p->conf, KCONF_BUFFER_MEMORY);
    int64_t txmsgs = 0, txbytes = 0;
    kpart **parts;
    int n = kprod_all_parts(p, &parts);
    if (n < 0) return KFK_ERR_NO_MEMORY;
    for (int i = 0; i < n && !err; i++) {
        kpart *pp = parts[i];
        kstats_topic *st = kstats_topic_get(d, pp->topic->name);
        kstats_part *sp = st ? kstats_part_add(st, pp->id) : NULL;
        if (!sp) {
            err = KFK_ERR_NO_MEMORY;
            break;
        }
        if (!st->batches) read_topic(pp->topic, st, close_windows);
        read_part(p, pp, sp);
        txmsgs += sp->f[KSP_TXMSGS];
        txbytes += sp->f[KSP_TXBYTES];
    }
    free(parts);
    d->top[KST_TXMSGS] = txmsgs;
    d->top[KST_TXMSG_BYTES] = txbytes;
    return err;
}

typedef kfk_err render_fn(const kstats_doc *d, kbuf *out);

/* close_windows: for the stats_cb, whose documents each close a window
 * of the histograms; the on-demand calls leave it open. */
static kfk_err render(kfk_producer *p, render_fn *fn, kbuf *out, bool close_windows)
{
    kstats_doc d;
    kfk_err err = gather(p, &d, close_windows);
    if (!err) err = fn(&d, out);
    kstats_doc_free(&d);
    return err;
}

void kprod_stats_tick(kfk_producer *p)
{
    kstats_timer *t = kclient_stats_timer(p->client);
    if (!t->interval_ns || !kstats_due(t, ktime_mono_ns())) return;
    kbuf out = {0};
    if (render(p, kstats_json, &out, true) == KFK_OK)
        t->cb(t->opaque, kclient_handle(p->client), (const char *)out.data, out.len);
    kbuf_free(&out);
}

int kprod_poll(kfk_producer *p, int timeout_ms)
{
    kstats_timer *t = kclient_stats_timer(p->client);
    if (!t->interval_ns) return kdr_serve(p, timeout_ms);
    int64_t now = ktime_mono_ns();
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : now + (int64_t)timeout_ms * KTIME_NS_PER_MS;
    for (;;) {
        /* Wait for reports, but no longer than until the next document
         * is due, so a poll that waits long still delivers on time. */
        int64_t wake = kstats_wake_ns(t, deadline);
        int64_t left_ms = wake == INT64_MAX ? -1
                          : wake <= now     ? 0
                                            : (wake - now + KTIME_NS_PER_MS - 1) / KTIME_NS_PER_MS;
        int served = kdr_serve(p, left_ms > INT32_MAX ? INT32_MAX : (int)left_ms);
        kprod_stats_tick(p);
        now = ktime_mono_ns();
        if (served || now >= deadline) return served;
    }
}

static kfk_err stats_call(kfk_producer *p, render_fn *fn, char *buf, size_t *len)
{
    if (!p || !len) return KFK_ERR_INVALID_ARG;
    if (kclient_forked(p->client)) return KFK_ERR_STATE;
    kbuf out = {0};
    kfk_err err = render(p, fn, &out, false);
    if (!err) err = kstats_copy_out(&out, buf, len);
    kbuf_free(&out);
    return err;
}

kfk_err kfk_producer_stats_json(kfk_producer *p, char *buf, size_t *len)
{
    return stats_call(p, kstats_json, buf, len);
}

kfk_err kfk_producer_stats_prometheus(kfk_producer *p, char *buf, size_t *len)
{
    return stats_call(p, kstats_prometheus, buf, len);
}
