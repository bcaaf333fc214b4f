/* Idempotence (KIP-98) and its recovery (KIP-360).
 *
 * The producer gets its id and epoch with InitProducerId, a kcall to any
 * broker; senders drain nothing until it answered. Sequences are given at
 * drain time by the accumulator, per partition, and a batch keeps its
 * producer id, epoch and sequence across retries: the broker recognises a
 * retry of a batch it already wrote as a duplicate only by that triple.
 *
 * Recovery follows Java's TransactionManager for an idempotent producer.
 * A partition asks for an epoch bump when the broker reports a real gap
 * (OUT_OF_ORDER_SEQUENCE_NUMBER for the batch right after the last
 * acknowledged one, UNKNOWN_PRODUCER_ID with a log start offset) or when
 * a batch every attempt of which was refused is given up. The bump is
 * local (epoch + 1, which the broker accepts starting at sequence 0):
 * draining stops until nothing is in flight, then only the partitions
 * that asked are renumbered from 0. Every other partition keeps retrying
 * its batches with their old epoch and sequences and takes new batches
 * only once those are done, then starts at sequence 0 in the new epoch.
 * An exhausted epoch (Short.MAX_VALUE) cannot go up: as Java's
 * TransactionManager.bumpIdempotentProducerEpoch, the producer then asks
 * for a new producer id with InitProducerId instead, and the same rules
 * apply with the new id in place of the new epoch (see pid_renew).
 * A batch given up while its outcome is unknown (an attempt timed out or
 * its connection dropped) is never renumbered, nor is anything after it:
 * its partition is "unresolved", takes no new batches, and is settled when
 * its remaining batches are answered: a later acknowledged batch proves
 * it was written; a gap right after it, or nothing acknowledged after it
 * once everything is answered, proves it was not and asks for a bump. */
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/time.h"
#include "producer/producer_int.h"
#include "producer/txn.h"

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
static void bump_finish(kfk_producer *p, int64_t pid, int16_t epoch);

static void pid_retry(ktimer *t)
{
    kfk_producer *p = container_of(t, kfk_producer, pid_retry_timer);
    if (!atomic_load(&p->closing)) pid_send(p);
}

static void pid_retry_arm(ktask *t)
{
    kfk_producer *p = container_of(t, kfk_producer, pid_retry_task);
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
    if (r->producer_id < 0 || r->producer_epoch < 0) {
        klog(kclient_log(p->client), KFK_LOG_WARNING, "producer",
             "InitProducerId answered producer id %lld epoch %d; trying again",
             (long long)r->producer_id, r->producer_epoch);
        kloop_post(kclient_bg_loop(p->client), &p->pid_retry_task);
        return;
    }
    atomic_store(&p->producer_epoch, r->producer_epoch);
    atomic_store(&p->producer_id, r->producer_id);
    klog(kclient_log(p->client), KFK_LOG_DEBUG, "producer", "producer id %lld epoch %d",
         (long long)r->producer_id, r->producer_epoch);
    /* A new id for an exhausted epoch: the bump it stood for ends here. */
    if (atomic_load(&p->bump) == 2) bump_finish(p, r->producer_id, r->producer_epoch);
    kick_queued(p);
}

static void pid_send(kfk_producer *p)
{
    kp_init_producer_id_request_init(&p->pid_req);
    /* Idempotent only: no transactional id, and (as Java) the largest
     * timeout, which the broker ignores without a transactional id. The
     * request's producer id and epoch stay -1: a broker answers a
     * non-transactional request with a new id at epoch 0 either way. */
    p->pid_req.transactional_id = (kslice){NULL, 0};
    p->pid_req.transaction_timeout_ms = INT32_MAX;
    kcall_init(&p->pid_call, &kp_init_producer_id_client, &p->pid_req, pid_done, p);
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

int kidem_unacked_room(kpart *pp)
{
    if (pp->n_unacked == pp->cap_unacked) {
        int cap = pp->cap_unacked ? pp->cap_unacked * 2 : KPROD_MAX_UNACKED;
        kaccum_batch **v = realloc(pp->unacked, (size_t)cap * sizeof(*v));
        if (!v) return -1;
        pp->unacked = v;
        pp->cap_unacked = cap;
    }
    return 0;
}

int kidem_unacked_insert(kpart *pp, kaccum_batch *b, const kaccum_batch *after)
{
    if (kidem_unacked_room(pp)) return -1;
    int at = pp->n_unacked;
    for (int i = 0; after && i < pp->n_unacked; i++)
        if (pp->unacked[i] == after) at = i + 1;
    memmove(&pp->unacked[at + 1], &pp->unacked[at], (size_t)(pp->n_unacked - at) * sizeof(b));
    pp->unacked[at] = b;
    pp->n_unacked++;
    return 0;
}

/* --- sequence state (KIP-360, as Java's TransactionManager) ---------------------------- */

/* True when a comes before b, sequences wrapping at INT32_MAX. */
static bool seq_before(int32_t a, int32_t b)
{
    int64_t d = (int64_t)b - a;
    if (d < 0) d += (int64_t)INT32_MAX + 1;
    return d > 0 && d < ((int64_t)1 << 30);
}

static int32_t seq_after(int32_t base, int32_t count)
{
    int64_t next = (int64_t)base + count;
    return (int32_t)(next > INT32_MAX ? next - INT32_MAX - 1 : next);
}

bool kidem_seq_error_bumps(const kpart *pp, const kaccum_batch *b, kfk_err err,
                           int64_t log_start_offset)
{
    if (err == KFK_ERR_UNKNOWN_PRODUCER_ID) {
        /* The broker lost the producer's state. Without a log start
         * offset it is in transition: retry as is. A batch renumbered by
         * a bump shares the answer its partition already acted on. */
        return log_start_offset >= 0 && !b->seq_reset;
    }
    if (err != KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER) return false;
    /* A gap is real only right after the last acknowledged batch (or
     * right after a given-up one) and with no older batch unanswered; any
     * other batch waits for the ones before it to resolve. Renumbering
     * never reaches a batch before the one that proved the gap. */
    if (pp->n_unacked == 0 || pp->unacked[0] != b) return false;
    if (pp->unresolved) return b->base_sequence == pp->unresolved_next;
    return !b->seq_reset && b->base_sequence == pp->acked_next_seq;
}

bool kidem_given_up(kpart *pp, const kaccum_batch *b)
{
    bool unknown = b->maybe_written;
    for (int i = 0; i < pp->n_unacked; i++)
        unknown |= pp->unacked[i]->maybe_written;
    if (unknown) {
        /* Its sequences may be in the log: renumbering what follows could
         * write those batches twice. Later answers decide (Java's
         * markSequenceUnresolved). */
        int32_t next = seq_after(b->base_sequence, kaccum_batch_count(b));
        if (!pp->unresolved || seq_before(pp->unresolved_next, next)) pp->unresolved_next = next;
        pp->unresolved = true;
        return false;
    }
    /* Refused at every attempt, and nothing else unacknowledged can be in
     * the log: nothing after it was written either (the broker takes
     * sequences only in order). */
    pp->rewrite = true;
    return true;
}

bool kidem_part_settle(kfk_producer *p, kpart *pp)
{
    bool bump = false;
    if (pp->n_unacked == 0 && pp->inflight == 0) {
        if (pp->unresolved) {
            /* Everything answered: if a later batch was acknowledged the
             * given-up one was written; otherwise there is a gap, and with
             * nothing left to renumber a bump is safe. */
            pp->unresolved = false;
            if (seq_before(pp->acked_next_seq, pp->unresolved_next)) pp->rewrite = bump = true;
        }
        int64_t pid = atomic_load(&p->producer_id);
        int16_t epoch = atomic_load(&p->producer_epoch);
        if (!pp->rewrite && (pp->pid != pid || pp->epoch != epoch)) {
            pp->pid = pid;
            pp->epoch = epoch;
            pp->acked_next_seq = 0;
            pp->acked_any = false;
            kaccum_part_set_sequence(pp->ap, 0);
        }
    }
    /* A partition still waiting to be renumbered asked while a bump was
     * under way, after that bump had passed it: it asks again. */
    if (pp->rewrite) bump = true;
    bool hold = pp->unresolved || pp->rewrite || pp->pid != atomic_load(&p->producer_id) ||
                pp->epoch != atomic_load(&p->producer_epoch);
    if (hold != pp->held) {
        kaccum_part_hold_new(pp->ap, hold);
        pp->held = hold;
    }
    return bump;
}

void kidem_batch_numbered(const kpart *pp, kaccum_batch *b)
{
    b->producer_id = pp->pid;
    b->producer_epoch = pp->epoch;
}

/* Renumbers from 0, under pid and epoch, the unacknowledged batches of
 * the partitions that asked for a bump. The others keep their batches'
 * producer id, epoch and sequences: a batch that may have been written
 * must be retried exactly as it was, or the broker would take it again;
 * they move to the new pair once settled (kidem_part_settle). Nothing is
 * in flight and no pull runs. */
static void rewrite_parts(kfk_producer *p, int64_t pid, int16_t epoch)
{
    kpart **parts;
    int n = kprod_all_parts(p, &parts);
    for (int i = 0; i < n; i++) {
        kpart *pp = parts[i];
        pthread_mutex_lock(&pp->lock);
        if (pp->rewrite) {
            int32_t seq = 0;
            for (int j = 0; j < pp->n_unacked; j++) {
                kaccum_batch *b = pp->unacked[j];
                b->base_sequence = seq;
                b->producer_id = pid;
                b->producer_epoch = epoch;
                b->seq_reset = true;
                seq = seq_after(seq, kaccum_batch_count(b));
            }
            pp->pid = pid;
            pp->epoch = epoch;
            pp->acked_next_seq = 0;
            pp->acked_any = false;
            pp->unresolved = false;
            pp->rewrite = false;
            kaccum_part_set_sequence(pp->ap, seq);
            klog(kclient_log(p->client), KFK_LOG_INFO, "producer",
                 "%s [%d]: %d unacknowledged batches renumbered from 0 under producer id %lld "
                 "epoch %d (KIP-360)",
                 pp->topic->name, pp->id, pp->n_unacked, (long long)pid, epoch);
        }
        pthread_mutex_unlock(&pp->lock);
    }
    free(parts);
}

/* The bump (p->bump is 2) is done: renumber, then let pulls go again. */
static void bump_finish(kfk_producer *p, int64_t pid, int16_t epoch)
{
    rewrite_parts(p, pid, epoch);
    atomic_store(&p->bump, 0);
}

/* An exhausted epoch: the producer id is given up and a new one asked
 * for (Java: resetIdempotentProducerId, then InitProducerId from
 * bumpIdempotentEpochAndResetIdIfNeeded). Pulls stay stopped until it
 * comes (producer id -1, bump 2); pid_done then renumbers the partitions
 * that asked under the new id. Java renumbers them at once under "no
 * producer id" (-1), so their retries would go out without idempotence;
 * kfk waits for the new id instead. Other partitions' batches keep the
 * old id and epoch, which the brokers still know. */
static void pid_renew(kfk_producer *p)
{
    klog(kclient_log(p->client), KFK_LOG_INFO, "producer",
         "producer id %lld: epoch %d exhausted; asking for a new producer id",
         (long long)atomic_load(&p->producer_id), INT16_MAX);
    atomic_store(&p->producer_id, -1);
    pid_send(p);
}

/* Nothing is in flight and no pull runs: the epoch goes up (a bump the
 * broker accepts at sequence 0) and the partitions that asked for it are
 * renumbered. Returns false when the bump goes on asynchronously: the
 * epoch was exhausted and a new producer id is on its way. */
static bool bump_now(kfk_producer *p)
{
    int16_t epoch = atomic_load(&p->producer_epoch);
    if (epoch == INT16_MAX) { /* never wrap: the broker refuses an older epoch */
        pid_renew(p);
        return false;
    }
    epoch = (int16_t)(epoch + 1);
    atomic_store(&p->producer_epoch, epoch);
    bump_finish(p, atomic_load(&p->producer_id), epoch);
    return true;
}

static void try_bump(kfk_producer *p)
{
    if (atomic_load(&p->closing)) return; /* nothing goes out any more */
    if (atomic_load(&p->bump) != 1 || atomic_load(&p->inflight_guard) != 0) return;
    int one = 1;
    if (!atomic_compare_exchange_strong(&p->bump, &one, 2)) return;
    if (atomic_load(&p->inflight_guard) != 0) { /* a pull slipped in: its end retries */
        atomic_store(&p->bump, 1);
        if (atomic_load(&p->inflight_guard) == 0) try_bump(p);
        return;
    }
    if (bump_now(p) && !atomic_load(&p->closing)) kick_queued(p);
}

void kidem_request_bump(kfk_producer *p, kpart *pp)
{
    /* A transactional producer's epoch is its coordinator's to bump. */
    if (p->txn) {
        ktxn_bump_needed(p);
        return;
    }
    /* A closing producer sends nothing more; and after kclient_destroy
     * there is no client left to log through. */
    if (atomic_load(&p->closing)) return;
    klog(kclient_log(p->client), KFK_LOG_INFO, "producer",
         "%s [%d]: sequence gap; bumping the producer epoch (KIP-360)", pp->topic->name, pp->id);
    int zero = 0;
    atomic_compare_exchange_strong(&p->bump, &zero, 1);
    try_bump(p);
}

void kidem_reset_all(kfk_producer *p)
{
    int64_t pid = atomic_load(&p->producer_id);
    int16_t epoch = atomic_load(&p->producer_epoch);
    kpart **parts;
    int n = kprod_all_parts(p, &parts);
    for (int i = 0; i < n; i++) {
        kpart *pp = parts[i];
        pthread_mutex_lock(&pp->lock);
        if (pp->n_unacked == 0 && pp->inflight == 0) {
            pp->pid = pid;
            pp->epoch = epoch;
            pp->acked_next_seq = 0;
            pp->acked_any = false;
            pp->unresolved = pp->rewrite = false;
            kaccum_part_set_sequence(pp->ap, 0);
        }
        pthread_mutex_unlock(&pp->lock);
    }
    free(parts);
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
