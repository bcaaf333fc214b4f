/* Delivery reports: batches that are done (acknowledged, failed, expired,
 * purged) wait in one queue until the application's thread serves them
 * in kfk_producer_poll, so user callbacks never run on kfk threads or
 * with a kfk lock held. A batch's buffer.memory goes back when it is done:
 * the queue holds a copy of its records' report data. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/time.h"
#include "producer/producer_int.h"
#include "producer/txn.h"

/* A report block for n records: a pooled one when it is big enough. */
static kdr *kdr_get(kfk_producer *p, int32_t n)
{
    kdr *d = NULL;
    pthread_mutex_lock(&p->dr_lock);
    if (p->dr_pool) {
        d = p->dr_pool;
        p->dr_pool = d->next;
        p->dr_pool_n--;
    }
    pthread_mutex_unlock(&p->dr_lock);
    if (d && d->cap >= n) return d;
    free(d);
    /* Round up, so blocks fit the next batches of about the same size. */
    int32_t cap = n < 16 ? 16 : n + n / 4;
    d = malloc(sizeof(*d) + (size_t)cap * sizeof(d->msgs[0]));
    if (d) d->cap = cap;
    return d;
}

void kdr_pool_free(kfk_producer *p)
{
    while (p->dr_pool) {
        kdr *d = p->dr_pool;
        p->dr_pool = d->next;
        free(d);
    }
    p->dr_pool_n = 0;
}

void kdr_batch_done(kfk_producer *p, kaccum_batch *b, kfk_err err, int64_t base_offset,
                    int64_t log_append_ms)
{
    int32_t n = kaccum_batch_count(b);
    /* Before the report counts as served: a commit waiting for the
     * records must see the transaction fail first. */
    if (err && p->txn) ktxn_batch_failed(p, err);
    if (!err) kprod_stats_acked(b);
    kdr *d = p->dr_cb ? kdr_get(p, n) : NULL;
    if (d) {
        int32_t cap = d->cap;
        *d = (kdr){.part = kaccum_part_ctx(b->part),
                   .err = err,
                   .base_offset = base_offset,
                   .log_append_ms = log_append_ms,
                   .n = n,
                   .cap = cap};
        memcpy(d->msgs, b->msgs, (size_t)n * sizeof(d->msgs[0]));
    }
    kaccum_batch_release(p->accum, b);
    pthread_mutex_lock(&p->dr_lock);
    if (d) {
        if (p->dr_tail)
            p->dr_tail->next = d;
        else
            p->dr_head = d;
        p->dr_tail = d;
        kwakefd_signal(&p->wake);
    } else {
        /* No callback (or no memory for the reports): the records are
         * done; counting them keeps flush from waiting for nothing. */
        atomic_fetch_sub(&p->outstanding, n);
    }
    pthread_cond_broadcast(&p->dr_cond);
    pthread_mutex_unlock(&p->dr_lock);
}

void kdr_batch_abandon(kfk_producer *p, kaccum_batch *b, kfk_err err)
{
    kpart *pp = kaccum_part_ctx(b->part);
    bool gap = false, bump = false;
    pthread_mutex_lock(&pp->lock);
    for (int i = 0; i < pp->n_unacked; i++)
        if (pp->unacked[i] == b) gap = true;
    /* Its sequences leave a gap before later batches, or reached the
     * broker: idempotence decides what the partition does next. */
    if (gap && p->idempotent) bump = kidem_given_up(pp, b);
    kidem_unacked_remove(pp, b);
    bool kick = gap && pp->n_unacked == 0;
    pthread_mutex_unlock(&pp->lock);
    if (bump) kidem_request_bump(p, pp);
    /* Sequences the broker never acknowledged: a transactional producer
     * starts its next transaction in a new epoch (KIP-360). */
    if (gap && p->txn) ktxn_bump_needed(p);
    kdr_batch_done(p, b, err, -1, -1);
    if (kick) ksender_kick_part(p, pp); /* the partition settles at the next pull */
}

int64_t kdr_expire(kfk_producer *p)
{
    kpart **parts;
    int n = kprod_all_parts(p, &parts);
    int64_t oldest = INT64_MAX;
    if (n <= 0) {
        free(parts);
        return oldest;
    }
    kaccum_part **aps = malloc((size_t)n * sizeof(*aps));
    if (aps) {
        for (int i = 0; i < n; i++)
            aps[i] = parts[i]->ap;
        kaccum_list l = {0};
        kaccum_expire(p->accum, aps, (size_t)n, ktime_mono_ms(), p->delivery_timeout_ms, &l);
        for (kaccum_batch *b; (b = kaccum_list_pop(&l));)
            kdr_batch_abandon(p, b, KFK_ERR_TIMED_OUT);
        oldest = kaccum_oldest_ms(p->accum, aps, (size_t)n);
    } else {
        oldest = ktime_mono_ms(); /* try again in delivery.timeout.ms */
    }
    free(aps);
    free(parts);
    return oldest;
}

/* Serves d's reports; d is not freed. */
static void serve_one(kfk_producer *p, kdr *d)
{
    kfk_delivery_report r = {
        .topic = d->part->topic->name, .partition = d->part->id, .err = d->err};
    for (int32_t i = 0; i < d->n; i++) {
        r.offset = d->err || d->base_offset < 0 ? -1 : d->base_offset + i;
        r.timestamp_ms = d->log_append_ms >= 0 ? d->log_append_ms : d->msgs[i].timestamp;
        r.opaque = d->msgs[i].opaque;
        p->dr_cb(p->dr_opaque, p, &r);
    }
    atomic_fetch_sub(&p->outstanding, d->n);
}

static void deadline_ts(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Waits for reports or for outstanding to move; dr_lock held. */
static void wait_reports(kfk_producer *p, int timeout_ms)
{
    if (timeout_ms == 0) return;
    if (timeout_ms < 0) {
        pthread_cond_wait(&p->dr_cond, &p->dr_lock);
        return;
    }
    struct timespec ts;
    deadline_ts(&ts, timeout_ms);
    pthread_cond_timedwait(&p->dr_cond, &p->dr_lock, &ts);
}

int kdr_serve(kfk_producer *p, int timeout_ms)
{
    pthread_mutex_lock(&p->dr_lock);
    if (!p->dr_head) wait_reports(p, timeout_ms);
    kdr *d = p->dr_head;
    p->dr_head = p->dr_tail = NULL;
    kwakefd_clear(&p->wake);
    pthread_mutex_unlock(&p->dr_lock);
    int served = 0;
    kdr *keep = NULL, *drop = NULL;
    for (int kept = 0; d;) {
        kdr *next = d->next;
        served += d->n;
        serve_one(p, d);
        kdr **to = kept++ < KDR_POOL_MAX ? &keep : &drop;
        d->next = *to;
        *to = d;
        d = next;
    }
    while (drop) {
        kdr *next = drop->next;
        free(drop);
        drop = next;
    }
    /* Back to the pool, up to KDR_POOL_MAX blocks in all. */
    pthread_mutex_lock(&p->dr_lock);
    while (keep && p->dr_pool_n < KDR_POOL_MAX) {
        kdr *next = keep->next;
        keep->next = p->dr_pool;
        p->dr_pool = keep;
        p->dr_pool_n++;
        keep = next;
    }
    pthread_mutex_unlock(&p->dr_lock);
    while (keep) {
        kdr *next = keep->next;
        free(keep);
        keep = next;
    }
    return served;
}
