/* Idempotence (KIP-98) and its recovery (KIP-360).
 *
 * The producer gets its id and epoch with InitProducerId, a kcall to any
 * broker; senders drain nothing until it answered. Sequences are given at
 * drain time by the accumulator, per partition. When the broker reports a
 * sequence gap it cannot explain (OUT_OF_ORDER_SEQUENCE_NUMBER for the
 * batch right after the last acknowledged one, UNKNOWN_PRODUCER_ID), or
 * when a batch that took sequences is given up (expired, failed), the
 * producer bumps its epoch as the Java client does for an idempotent,
 * non-transactional producer: locally, epoch + 1, which the broker
 * accepts when the new epoch starts at sequence 0. Draining stops, the
 * requests in flight finish, then every partition's unacknowledged
 * batches are renumbered from 0 in order and go again with the new epoch
 * (kaccum_batch_finish rewrites their headers). */
#include <stdlib.h>

#include "base/time.h"
#include "producer/producer_int.h"

static void kick_queued(kfk_producer *p)
{
    kpart **parts;
    int n = kprod_all_parts(p, &parts);
    for (int i = 0; i < n; i++)
        if (kaccum_part_queued(parts[i]->ap) > 0) ksender_kick_part(p, parts[i]);
    free(parts);
}

/* --- InitProducerId ---------------------------------------------------------------- */

static kfk_err pid_check(kcall *call, void *resp)
{
    (void)call;
    return ((kp_init_producer_id_response *)resp)->error_code;
}

static void pid_send(kfk_producer *p);

static void pid_retry(ktimer *t)
{
    kfk_producer *p = (kfk_producer *)((char *)t - offsetof(kfk_producer, pid_retry_timer));
    if (!atomic_load(&p->closing)) pid_send(p);
}

static void pid_retry_arm(ktask *t)
{
    kfk_producer *p = (kfk_producer *)((char *)t - offsetof(kfk_producer, pid_retry_task));
    kloop_timer_arm(kclient_bg_loop(p->client), &p->pid_retry_timer,
                    ktime_mono_ns() + p->retry_backoff_ms * KTIME_NS_PER_MS);
}

static void pid_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kfk_producer *p = call->opaque;
    if (err == KFK_ERR_DESTROYED || atomic_load(&p->closing)) return;
    if (err) {
        klog(kclient_log(p->client), KFK_LOG_WARNING, "producer",
             "InitProducerId failed: %s; trying again", kfk_err_str(err));
        kloop_post(kclient_bg_loop(p->client), &p->pid_retry_task);
        return;
    }
    const kp_init_producer_id_response *r = resp;
    atomic_store(&p->producer_epoch, r->producer_epoch);
    atomic_store(&p->producer_id, r->producer_id);
    klog(kclient_log(p->client), KFK_LOG_DEBUG, "producer", "producer id %lld epoch %d",
         (long long)r->producer_id, r->producer_epoch);
    kick_queued(p);
}

static void pid_send(kfk_producer *p)
{
    kp_init_producer_id_request_init(&p->pid_req);
    p->pid_req.transactional_id = (kslice){NULL, 0}; /* idempotent only: null */
    p->pid_req.transaction_timeout_ms = kconf_int(p->conf, KCONF_TRANSACTION_TIMEOUT_MS);
    kcall_init(&p->pid_call, KP_INIT_PRODUCER_ID_KEY, &p->pid_req, pid_done, p);
    p->pid_call.route = KROUTE_ANY;
    p->pid_call.check = pid_check;
    p->pid_call.deadline_ns = kclient_deadline((int)p->request_timeout_ms * 2);
    kcall_start(p->client, &p->pid_call);
}

void kidem_start(kfk_producer *p)
{
    ktimer_init(&p->pid_retry_timer, pid_retry);
    p->pid_retry_task.fn = pid_retry_arm;
    pid_send(p);
}

void kidem_stop(kfk_producer *p)
{
    /* The retry timer checks closing; the bg loop stops with the client. */
    (void)p;
}

/* --- unacknowledged batches ------------------------------------------------------ */

void kidem_unacked_remove(kpart *pp, kaccum_batch *b)
{
    for (int i = 0; i < pp->n_unacked; i++) {
        if (pp->unacked[i] != b) continue;
        for (int j = i + 1; j < pp->n_unacked; j++)
            pp->unacked[j - 1] = pp->unacked[j];
        pp->n_unacked--;
        return;
    }
}

/* --- epoch bump (KIP-360) ----------------------------------------------------------- */

/* Nothing is in flight and no pull runs: renumber every partition. */
static void bump_now(kfk_producer *p)
{
    int16_t epoch = atomic_load(&p->producer_epoch);
    atomic_store(&p->producer_epoch, (int16_t)(epoch == INT16_MAX ? 0 : epoch + 1));
    kpart **parts;
    int n = kprod_all_parts(p, &parts);
    for (int i = 0; i < n; i++) {
        kpart *pp = parts[i];
        pthread_mutex_lock(&pp->lock);
        int32_t seq = 0;
        for (int j = 0; j < pp->n_unacked; j++) {
            pp->unacked[j]->base_sequence = seq;
            seq += kaccum_batch_count(pp->unacked[j]);
        }
        pp->acked_next_seq = 0;
        pp->acked_any = false;
        kaccum_part_set_sequence(pp->ap, seq);
        pthread_mutex_unlock(&pp->lock);
    }
    free(parts);
    klog(kclient_log(p->client), KFK_LOG_INFO, "producer",
         "bumped the producer epoch to %d after a sequence gap (KIP-360)",
         atomic_load(&p->producer_epoch));
}

static void try_bump(kfk_producer *p)
{
    if (atomic_load(&p->bump) != 1 || atomic_load(&p->inflight_guard) != 0) return;
    int one = 1;
    if (!atomic_compare_exchange_strong(&p->bump, &one, 2)) return;
    if (atomic_load(&p->inflight_guard) != 0) { /* a pull slipped in: its end retries */
        atomic_store(&p->bump, 1);
        if (atomic_load(&p->inflight_guard) == 0) try_bump(p);
        return;
    }
    bump_now(p);
    atomic_store(&p->bump, 0);
    if (!atomic_load(&p->closing)) kick_queued(p);
}

void kidem_request_bump(kfk_producer *p)
{
    /* A closing producer sends nothing more; and after kclient_destroy
     * there is no client left to log through. */
    if (atomic_load(&p->closing)) return;
    int zero = 0;
    atomic_compare_exchange_strong(&p->bump, &zero, 1);
    try_bump(p);
}

bool kidem_pull_begin(kfk_producer *p)
{
    if (p->idempotent && atomic_load(&p->producer_id) < 0) return false;
    atomic_fetch_add(&p->inflight_guard, 1);
    if (atomic_load(&p->bump) != 0) {
        kidem_pull_end(p);
        return false;
    }
    return true;
}

void kidem_pull_end(kfk_producer *p)
{
    if (atomic_fetch_sub(&p->inflight_guard, 1) == 1) try_bump(p);
}

void kidem_inflight_add(kfk_producer *p, int n)
{
    atomic_fetch_add(&p->inflight_guard, n);
}

void kidem_inflight_done(kfk_producer *p)
{
    if (atomic_fetch_sub(&p->inflight_guard, 1) == 1) try_bump(p);
}
