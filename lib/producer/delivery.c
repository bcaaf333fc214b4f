/* Delivery reports: batches that are done (acknowledged, failed, expired,
 * purged) wait in one queue until the application's thread serves them
 * in kfk_producer_poll, so user callbacks never run on kfk threads or
 * with a kfk lock held. A done batch's buffer goes back at once; its
 * report block (the records' opaques and timestamps) moves into the queue
 * as it is, so queueing a report never allocates and cannot fail, and
 * its bytes count under buffer.memory until the reports are served. */
#include <stdlib.h>
#include <time.h>

#include "base/time.h"
#include "producer/producer_int.h"
#include "producer/txn.h"

void kdr_batch_done(kfk_producer *p, kaccum_batch *b, kfk_err err, int64_t base_offset,
                    int64_t log_append_ms)
{
    int32_t n = kaccum_batch_count(b);
    /* Before the report counts as served: a commit waiting for the
     * records must see the transaction fail first. */
    if (err && p->txn) ktxn_batch_failed(p, err);
    if (!err) kprod_stats_acked(b);
    kaccum_msgs *d = NULL;
    if (p->dr_cb || p->n_icpt) {
        d = kaccum_batch_take_msgs(p->accum, b);
        d->part = kaccum_part_ctx(b->part);
        d->err = err;
        d->base_offset = base_offset;
        d->log_append_ms = log_append_ms;
        d->next = NULL;
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
        /* No one to tell: the records are done; counting them keeps
         * flush from waiting for nothing. */
        if (atomic_fetch_sub(&p->outstanding, n) == n) kprod_quiet_note(p);
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
    kaccum_list l = {0};
    int64_t oldest = INT64_MAX;
    kprod_expire_parts(p, ktime_mono_ms(), &l, &oldest);
    for (kaccum_batch *b; (b = kaccum_list_pop(&l));)
        kdr_batch_abandon(p, b, KFK_ERR_TIMED_OUT);
    return oldest;
}

/* Serves d's reports, then gives d back. */
static inline void report_at(const kaccum_msgs *d, int64_t base, int32_t i, kfk_delivery_report *r)
{
    r->offset = base < 0 ? -1 : base + i;
    r->timestamp_ms = d->log_append_ms >= 0 ? d->log_append_ms : d->m[i].timestamp;
    r->opaque = d->m[i].opaque;
}

static void serve_one(kfk_producer *p, kaccum_msgs *d)
{
    kpart *pp = d->part;
    kfk_delivery_report r = {.topic = pp->topic->name, .partition = pp->id, .err = d->err};
    int32_t n = d->n;
    int64_t base = d->err ? -1 : d->base_offset;
    /* Read once: the callbacks may touch any memory. Without
     * interceptors a block queues only for a dr_cb. */
    kfk_dr_cb *cb = p->dr_cb;
    void *cb_opaque = p->dr_opaque;
    if (!p->n_icpt) {
        for (int32_t i = 0; i < n; i++) {
            report_at(d, base, i, &r);
            cb(cb_opaque, p, &r);
        }
    } else {
        for (int32_t i = 0; i < n; i++) {
            report_at(d, base, i, &r);
            kicpt_on_ack(p, &r);
            if (cb) cb(cb_opaque, p, &r);
        }
    }
    kaccum_msgs_give(p->accum, d);
    if (atomic_fetch_sub(&p->outstanding, n) == n) kprod_quiet_note(p);
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

static _Thread_local int serving_here;

bool kdr_served_elsewhere(void *arg)
{
    kfk_producer *p = arg;
    uintptr_t by = atomic_load(&p->served_by);
    return atomic_load(&p->serving) > serving_here || (by && by != (uintptr_t)pthread_self());
}

int kdr_serve(kfk_producer *p, int timeout_ms)
{
    int nested = serving_here;
    if (!nested) atomic_fetch_add(&p->serving, 1);
    serving_here = 1;
    atomic_store_explicit(&p->served_by, (uintptr_t)pthread_self(), memory_order_relaxed);
    pthread_mutex_lock(&p->dr_lock);
    if (!p->dr_head) wait_reports(p, timeout_ms);
    kaccum_msgs *d = p->dr_head;
    p->dr_head = p->dr_tail = NULL;
    kwakefd_clear(&p->wake);
    pthread_mutex_unlock(&p->dr_lock);
    int served = 0;
    while (d) {
        kaccum_msgs *next = d->next;
        served += d->n;
        serve_one(p, d);
        d = next;
    }
    if (!nested) {
        serving_here = 0;
        atomic_fetch_sub(&p->serving, 1);
    }
    return served;
}
