/* The transaction manager's states and the application's calls (see
 * txn.h). Requests go out from kfk-bg, one at a time (drive); the
 * application's thread waits on ktxn.cond for the outcome it asked for. */
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/err.h"
#include "base/time.h"
#include "consumer/group_metadata.h"
#include "producer/txn.h"

static ktxn_state state_of(const ktxn *t)
{
    return (ktxn_state)atomic_load(&t->state);
}

static void set_state(ktxn *t, ktxn_state s)
{
    atomic_store(&t->state, (int)s);
    pthread_cond_broadcast(&t->cond);
}

/* --- errors --------------------------------------------------------------------- */

/* Errors no transaction recovers from (Java's fatal and application-
 * recoverable classes of KIP-1050: the producer must go). */
static bool fatal_error(kfk_err err)
{
    switch (err) {
    case KFK_ERR_PRODUCER_FENCED:
    case KFK_ERR_INVALID_PRODUCER_EPOCH:
    case KFK_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case KFK_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case KFK_ERR_TRANSACTION_COORDINATOR_FENCED:
    case KFK_ERR_INVALID_TXN_STATE:
    case KFK_ERR_INVALID_TRANSACTION_TIMEOUT:
    case KFK_ERR_UNSUPPORTED_VERSION:
    case KFK_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case KFK_ERR_UNSUPPORTED:
    case KFK_ERR_NO_COMMON_VERSION:
    case KFK_ERR_AUTH:
    case KFK_ERR_TLS:
        return true;
    default:
        return false;
    }
}

/* Errors after which the producer id's sequences are unknown to the
 * broker: the abort must also bump the epoch (KIP-360). */
static bool bump_error(kfk_err err)
{
    return err == KFK_ERR_UNKNOWN_PRODUCER_ID || err == KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER ||
           err == KFK_ERR_INVALID_PRODUCER_ID_MAPPING;
}

/* Fails every record still queued with err (their reports follow).
 * Lock not held. */
static void fail_queued(kfk_producer *p, kfk_err err)
{
    kaccum_list l = {0};
    kprod_purge_parts(p, &l);
    for (kaccum_batch *b; (b = kaccum_list_pop(&l));)
        kdr_batch_abandon(p, b, err);
}

/* The failure err of a coordinator request (request) or of a record moves
 * the state on. Lock held. */
static void fail_locked(ktxn *t, kfk_err err, bool request)
{
    ktxn_state s = state_of(t);
    if (s == KTXN_FATAL || err == KFK_ERR_DESTROYED) return;
    /* A request out of time is for the caller to try again; a record
     * that timed out is lost to the transaction. */
    if (request && err == KFK_ERR_TIMED_OUT) return;
    if (fatal_error(err)) {
        t->err = err;
        /* No broadcast yet: waiters wake once error_cb heard it. */
        atomic_store(&t->state, KTXN_FATAL);
        return;
    }
    if (bump_error(err)) t->bump_needed = true;
    /* An abort under way ends what it ends; only a transaction that could
     * still commit becomes abortable, with its first error. */
    if (s == KTXN_IN_TXN || s == KTXN_COMMITTING) {
        t->err = err;
        set_state(t, KTXN_ABORTABLE);
        klog(kclient_log(t->p->client), KFK_LOG_WARNING, "txn",
             "transaction of \"%s\" must be aborted: %s", t->id, kfk_err_str(err));
    }
}

/* After a failure moved the state from before: a transaction that can no
 * longer commit sends nothing more (Java's abortUndrainedBatches), so a
 * commit waiting for its records ends now. Lock not held. */
static void failed_from(ktxn *t, ktxn_state before)
{
    ktxn_state now = state_of(t);
    if (now == before) return;
    if (now == KTXN_FATAL) {
        /* t->err is set once, before FATAL, and never changes after */
        kclient_fatal(t->p->client, t->err, "transactional producer \"%s\": %s", t->id,
                      kfk_err_str(t->err));
        pthread_mutex_lock(&t->lock);
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        fail_queued(t->p, t->err);
    }
    if (now == KTXN_ABORTABLE) fail_queued(t->p, KFK_ERR_TXN_ABORTED);
}

static void fail(ktxn *t, kfk_err err)
{
    pthread_mutex_lock(&t->lock);
    ktxn_state before = state_of(t);
    fail_locked(t, err, false);
    pthread_mutex_unlock(&t->lock);
    failed_from(t, before);
}

void ktxn_batch_failed(kfk_producer *p, kfk_err err)
{
    if (err == KFK_ERR_TXN_ABORTED || err == KFK_ERR_DESTROYED || err == KFK_ERR_PURGED) return;
    fail(p->txn, err);
}

void ktxn_bump_needed(kfk_producer *p)
{
    ktxn *t = p->txn;
    pthread_mutex_lock(&t->lock);
    t->bump_needed = true;
    pthread_mutex_unlock(&t->lock);
}

bool ktxn_failing(const kfk_producer *p)
{
    ktxn_state s = state_of(p->txn);
    return s == KTXN_ABORTING || s == KTXN_ABORTABLE || s == KTXN_FATAL;
}

/* --- driving requests (kfk-bg) ------------------------------------------------------- */

static bool want(ktxn *t, ktxn_op op)
{
    if (op != KTXN_OP_ADD_PARTS) return t->slot[op].want;
    ktxn_state s = state_of(t);
    return t->n_pending > 0 && (s == KTXN_IN_TXN || s == KTXN_COMMITTING) &&
           !atomic_load(&t->settling);
}

static void drive(ktxn *t)
{
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < KTXN_OP_N; i++)
        if (t->slot[i].busy) {
            pthread_mutex_unlock(&t->lock);
            return;
        }
    int op = 0;
    while (op < KTXN_OP_N && !want(t, (ktxn_op)op))
        op++;
    if (op == KTXN_OP_N || state_of(t) == KTXN_FATAL || atomic_load(&t->p->closing)) {
        pthread_mutex_unlock(&t->lock);
        return;
    }
    t->slot[op].want = false;
    t->slot[op].busy = true;
    t->slot[op].done = false;
    pthread_mutex_unlock(&t->lock);
    kfk_err err = ktxn_send(t, (ktxn_op)op);
    if (err) ktxn_finished(t, (ktxn_op)op, err);
}

static void drive_task(ktask *task)
{
    ktxn *t = container_of(task, ktxn, drive_task);
    atomic_store(&t->drive_posted, false);
    drive(t);
}

static void post_drive(ktxn *t)
{
    if (atomic_exchange(&t->drive_posted, true)) return;
    if (kloop_post(kclient_bg_loop(t->p->client), &t->drive_task) < 0)
        atomic_store(&t->drive_posted, false);
}

void ktxn_finished(ktxn *t, ktxn_op op, kfk_err err)
{
    pthread_mutex_lock(&t->lock);
    ktxn_slot *s = &t->slot[op];
    s->busy = false;
    s->done = true;
    s->err = err;
    ktxn_state before = state_of(t);
    if (err) fail_locked(t, err, true);
    if (state_of(t) != KTXN_FATAL || before == KTXN_FATAL) pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    failed_from(t, before); /* a fatal outcome: broadcast after error_cb */
    if (err != KFK_ERR_DESTROYED) post_drive(t);
}

void ktxn_settled(ktxn *t, bool destroyed)
{
    atomic_store_explicit(&t->settling, false, memory_order_release);
    kaccum_set_held(t->p->accum, false);
    if (destroyed) return;
    if (t->tv2)
        ksender_kick_all(t->p);
    else
        post_drive(t);
}

void ktxn_set_producer(ktxn *t, int64_t producer_id, int16_t epoch)
{
    atomic_store(&t->p->producer_epoch, epoch);
    atomic_store(&t->p->producer_id, producer_id);
    kidem_reset_all(t->p);
}

/* Waits on t->cond until deadline_ms (monotonic); lock held. Returns
 * true when the deadline has passed. */
static bool wait_until(ktxn *t, int64_t deadline_ms)
{
    if (ktime_mono_ms() >= deadline_ms) return true;
    struct timespec ts = {.tv_sec = deadline_ms / 1000,
                          .tv_nsec = (long)(deadline_ms % 1000) * 1000000};
    pthread_cond_timedwait(&t->cond, &t->lock, &ts); /* CLOCK_MONOTONIC */
    return false;
}

/* Asks for op, unless it is in flight or its outcome waits, and waits
 * for that outcome until deadline (ms, monotonic). Lock held. Returns
 * the outcome (taken), or KFK_ERR_TIMED_OUT. */
static kfk_err run_locked(ktxn *t, ktxn_op op, int64_t deadline_ms)
{
    ktxn_slot *s = &t->slot[op];
    for (;;) {
        /* An earlier call's request that ran out of its time: again. */
        if (s->done && s->err == KFK_ERR_TIMED_OUT && ktime_mono_ms() < deadline_ms)
            s->done = false;
        if (!s->busy && !s->done && !s->want) {
            s->want = true;
            s->deadline_ms = deadline_ms;
            post_drive(t);
        }
        if (s->done) break;
        if (state_of(t) == KTXN_FATAL) return t->err;
        if (wait_until(t, deadline_ms)) return KFK_ERR_TIMED_OUT;
    }
    s->done = false;
    return s->err;
}

/* --- records ------------------------------------------------------------------------ */

kfk_err ktxn_record(kfk_producer *p, kpart *pp)
{
    ktxn *t = p->txn;
    if (state_of(t) != KTXN_IN_TXN) return KFK_ERR_STATE;
    uint32_t serial = atomic_load_explicit(&t->serial, memory_order_acquire);
    if (t->tv2) { /* Produce adds the partition: EndTxn will be needed */
        if (!atomic_load_explicit(&t->started, memory_order_relaxed))
            atomic_store(&t->started, true);
        return KFK_OK;
    }
    if (atomic_load_explicit(&pp->txn_seen, memory_order_relaxed) == serial) return KFK_OK;
    pthread_mutex_lock(&t->lock);
    if (atomic_load(&pp->txn_seen) != serial) {
        if (t->n_pending == t->cap_pending) {
            size_t cap = t->cap_pending ? t->cap_pending * 2 : 16;
            kpart **v = realloc(t->pending, cap * sizeof(*v));
            if (!v) {
                pthread_mutex_unlock(&t->lock);
                return KFK_ERR_NO_MEMORY;
            }
            t->pending = v;
            t->cap_pending = cap;
        }
        t->pending[t->n_pending++] = pp;
        atomic_store(&pp->txn_seen, serial);
    }
    pthread_mutex_unlock(&t->lock);
    post_drive(t);
    return KFK_OK;
}

bool ktxn_part_ready(const kfk_producer *p, const kpart *pp)
{
    const ktxn *t = p->txn;
    ktxn_state s = state_of(t);
    if (s == KTXN_UNINIT || s == KTXN_READY || s == KTXN_FATAL) return false;
    if (t->tv2) return !atomic_load_explicit(&t->settling, memory_order_acquire);
    return atomic_load_explicit(&pp->txn_added, memory_order_acquire) ==
           atomic_load_explicit(&t->serial, memory_order_relaxed);
}

kslice ktxn_id(const kfk_producer *p)
{
    return (kslice){(const uint8_t *)p->txn->id, strlen(p->txn->id)};
}

/* --- the application's calls ------------------------------------------------------- */

static int64_t deadline_of(int timeout_ms)
{
    return timeout_ms < 0 ? INT64_MAX / 2 : ktime_mono_ms() + timeout_ms;
}

static int left_ms(int64_t deadline_ms)
{
    int64_t left = deadline_ms - ktime_mono_ms();
    if (left > INT32_MAX) return -1;
    return left < 0 ? 0 : (int)left;
}

/* The checks every call starts with; returns t or NULL with *err set. */
static ktxn *enter(kfk_producer *p, kfk_err *err)
{
    *err = KFK_ERR_INVALID_ARG;
    if (!p) return NULL;
    *err = KFK_ERR_STATE;
    if (!p->txn || kclient_forked(p->client) || atomic_load(&p->closing)) return NULL;
    *err = KFK_OK;
    return p->txn;
}

/* The error a call returns in an ABORTABLE or FATAL state, else 0. */
static kfk_err failed(const ktxn *t)
{
    ktxn_state s = state_of(t);
    return s == KTXN_ABORTABLE || s == KTXN_FATAL ? t->err : KFK_OK;
}

kfk_txn_action kfk_producer_txn_action(kfk_producer *p, kfk_err err)
{
    if (err == KFK_OK) return KFK_TXN_NONE;
    if (!p || !p->txn) return KFK_TXN_USAGE;
    ktxn_state s = state_of(p->txn);
    if (s == KTXN_FATAL) return KFK_TXN_FATAL;
    if (s == KTXN_ABORTABLE) return KFK_TXN_ABORT;
    if (err == KFK_ERR_STATE || err == KFK_ERR_INVALID_ARG) return KFK_TXN_USAGE;
    return KFK_TXN_RETRY;
}

static kfk_err init_transactions(kfk_producer *p, int timeout_ms)
{
    kfk_err err;
    ktxn *t = enter(p, &err);
    if (!t) return err;
    pthread_mutex_lock(&t->lock);
    if (!(err = failed(t)))
        err = state_of(t) == KTXN_UNINIT ? run_locked(t, KTXN_OP_INIT, deadline_of(timeout_ms))
                                         : KFK_ERR_STATE;
    if (!err && state_of(t) == KTXN_UNINIT) set_state(t, KTXN_READY);
    pthread_mutex_unlock(&t->lock);
    return err;
}

static kfk_err begin_transaction(kfk_producer *p)
{
    kfk_err err;
    ktxn *t = enter(p, &err);
    if (!t) return err;
    pthread_mutex_lock(&t->lock);
    if (!(err = failed(t))) {
        if (state_of(t) == KTXN_READY)
            set_state(t, KTXN_IN_TXN);
        else
            err = KFK_ERR_STATE;
    }
    pthread_mutex_unlock(&t->lock);
    return err;
}

/* The transaction is over (ended by EndTxn, or never known to the
 * coordinator): the next one starts clean. Lock held. */
static void txn_over(ktxn *t)
{
    atomic_fetch_add_explicit(&t->serial, 1, memory_order_release);
    atomic_store(&t->started, false);
    t->n_pending = 0;
}

/* Ends the transaction with EndTxn when the coordinator knows it. Lock
 * held. */
static kfk_err end_locked(ktxn *t, bool commit, int64_t deadline_ms)
{
    /* A join in flight decides whether the coordinator knows it. */
    while (t->slot[KTXN_OP_ADD_PARTS].busy)
        if (wait_until(t, deadline_ms)) return KFK_ERR_TIMED_OUT;
    if (!atomic_load(&t->started) && !t->slot[KTXN_OP_END].done) {
        txn_over(t);
        return KFK_OK;
    }
    t->commit = commit;
    kfk_err err = run_locked(t, KTXN_OP_END, deadline_ms);
    if (!err) {
        txn_over(t);
        if (t->tv2) t->bump_needed = false; /* EndTxn v5 bumped the epoch */
    }
    return err;
}

static kfk_err offsets_copy(ktxn_offsets *o, const kfk_partition_list *offsets,
                            const kfk_consumer_group_metadata *g);
static void offsets_free(ktxn_offsets *o);

static kfk_err send_offsets_to_transaction(kfk_producer *p, const kfk_partition_list *offsets,
                                           const kfk_consumer_group_metadata *group, int timeout_ms)
{
    kfk_err err;
    ktxn *t = enter(p, &err);
    if (!t) return err;
    if (!offsets || !group) return KFK_ERR_INVALID_ARG;
    if (!offsets->n) return KFK_OK; /* nothing to add, as Java */
    if ((err = ktp_check_unique(offsets->v, (size_t)offsets->n))) return err;
    int64_t deadline = deadline_of(timeout_ms);
    pthread_mutex_lock(&t->lock);
    if ((err = failed(t)) || state_of(t) != KTXN_IN_TXN) {
        pthread_mutex_unlock(&t->lock);
        return err ? err : KFK_ERR_STATE;
    }
    /* A previous call's requests finish first; their outcomes are stale. */
    while (t->slot[KTXN_OP_ADD_OFFSETS].busy || t->slot[KTXN_OP_OFFSETS].busy)
        if (wait_until(t, deadline)) {
            pthread_mutex_unlock(&t->lock);
            return KFK_ERR_TIMED_OUT;
        }
    t->slot[KTXN_OP_ADD_OFFSETS].done = t->slot[KTXN_OP_OFFSETS].done = false;
    offsets_free(&t->offsets);
    err = offsets_copy(&t->offsets, offsets, group);
    if (!err && !t->tv2) err = run_locked(t, KTXN_OP_ADD_OFFSETS, deadline);
    if (!err) atomic_store(&t->started, true);
    if (!err) err = run_locked(t, KTXN_OP_OFFSETS, deadline);
    pthread_mutex_unlock(&t->lock);
    return err;
}

/* Moves an open transaction to COMMITTING or ABORTING (a call again
 * finds it there), then waits for its records: EndTxn must follow every
 * answer. An abort fails the records not sent yet, and the partitions
 * still waiting to join, first. */
static kfk_err start_ending(kfk_producer *p, bool commit, int64_t deadline)
{
    ktxn *t = p->txn;
    kfk_err err = KFK_OK;
    pthread_mutex_lock(&t->lock);
    ktxn_state s = state_of(t), to = commit ? KTXN_COMMITTING : KTXN_ABORTING;
    if (s == KTXN_FATAL || (commit && s == KTXN_ABORTABLE)) {
        err = t->err;
    } else if (s == KTXN_IN_TXN || s == to || s == KTXN_ABORTABLE) {
        set_state(t, to);
        if (!commit) t->n_pending = 0;
    } else {
        err = KFK_ERR_STATE;
    }
    pthread_mutex_unlock(&t->lock);
    if (err) return err;
    if (!commit) fail_queued(p, KFK_ERR_TXN_ABORTED);
    return kfk_producer_flush(p, left_ms(deadline));
}

static kfk_err commit_transaction(kfk_producer *p, int timeout_ms)
{
    kfk_err err;
    ktxn *t = enter(p, &err);
    if (!t) return err;
    int64_t deadline = deadline_of(timeout_ms);
    if ((err = start_ending(p, true, deadline))) return err; /* abortable if a record failed */
    pthread_mutex_lock(&t->lock);
    if (!(err = failed(t)) && !(err = end_locked(t, true, deadline)) && state_of(t) != KTXN_FATAL)
        set_state(t, KTXN_READY);
    pthread_mutex_unlock(&t->lock);
    return err;
}

static kfk_err abort_transaction(kfk_producer *p, int timeout_ms)
{
    kfk_err err;
    ktxn *t = enter(p, &err);
    if (!t) return err;
    int64_t deadline = deadline_of(timeout_ms);
    if ((err = start_ending(p, false, deadline))) return err;
    pthread_mutex_lock(&t->lock);
    if (!(err = failed(t)) && !(err = end_locked(t, false, deadline)) && t->bump_needed)
        err = run_locked(t, KTXN_OP_INIT, deadline); /* KIP-360: a new epoch */
    if (!err && t->bump_needed) t->bump_needed = false;
    if (!err && state_of(t) == KTXN_ABORTING) set_state(t, KTXN_READY);
    pthread_mutex_unlock(&t->lock);
    return err;
}

void ktxn_close(kfk_producer *p, int timeout_ms)
{
    ktxn_state s = state_of(p->txn);
    if (s != KTXN_IN_TXN && s != KTXN_ABORTABLE && s != KTXN_ABORTING) return;
    klog(kclient_log(p->client), KFK_LOG_INFO, "txn",
         "\"%s\": aborting the open transaction on close", p->txn->id);
    kfk_producer_abort_transaction(p, timeout_ms);
}

/* --- life ----------------------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void offsets_free(ktxn_offsets *o)
{
    ktplist_free(&o->tps);
    free(o->group_id);
    free(o->member_id);
    free(o->instance_id);
    *o = (ktxn_offsets){0};
}

static kfk_err offsets_copy(ktxn_offsets *o, const kfk_partition_list *offsets,
                            const kfk_consumer_group_metadata *g)
{
    if (!g->group_id || !offsets->n) return KFK_ERR_INVALID_ARG;
    for (int i = 0; i < offsets->n; i++)
        if (offsets->v[i].offset < 0) return KFK_ERR_INVALID_ARG;
    o->group_id = strdup(g->group_id);
    o->member_id = strdup(g->member_id ? g->member_id : "");
    o->instance_id = dup_or_null(g->group_instance_id);
    o->generation_id = g->generation_id;
    bool ok = o->group_id && o->member_id && (o->instance_id || !g->group_instance_id) &&
              ktplist_add_all(&o->tps, offsets->v, (size_t)offsets->n) == 0;
    if (ok) return KFK_OK;
    offsets_free(o);
    return KFK_ERR_NO_MEMORY;
}

kfk_err ktxn_new(kfk_producer *p)
{
    ktxn *t = calloc(1, sizeof(*t));
    if (!t) return KFK_ERR_NO_MEMORY;
    t->p = p;
    t->id = strdup(kconf_str(p->conf, KCONF_TRANSACTIONAL_ID));
    t->timeout_ms = (int32_t)kconf_i64(p->conf, KCONF_TRANSACTION_TIMEOUT_MS);
    atomic_init(&t->state, KTXN_UNINIT);
    atomic_init(&t->serial, 1);
    t->drive_task.fn = drive_task;
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cond, &ca);
    pthread_condattr_destroy(&ca);
    p->txn = t;
    if (!t->id || ktxn_requests_new(t)) {
        ktxn_free(p);
        return KFK_ERR_NO_MEMORY;
    }
    return KFK_OK;
}

void ktxn_free(kfk_producer *p)
{
    ktxn *t = p->txn;
    if (!t) return;
    ktxn_requests_free(t);
    offsets_free(&t->offsets);
    free(t->pending);
    free(t->adding);
    free(t->id);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free(t);
    p->txn = NULL;
}

/* --- the public calls: each failure says why in the last error ------------------ */

static const char *state_name(ktxn_state s)
{
    static const char *const names[] = {"not initialized (kfk_producer_init_transactions)",
                                        "ready (no transaction open)",
                                        "in a transaction",
                                        "committing",
                                        "aborting",
                                        "abortable (abort the transaction)",
                                        "failed fatally"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static kfk_err txn_done(kfk_producer *p, const char *fn, kfk_err err)
{
    if (err == KFK_ERR_STATE && !p->txn)
        kclient_error_set(p->client, "%s: the producer has no transactional.id", fn);
    else if (err == KFK_ERR_STATE && atomic_load(&p->closing))
        kclient_error_set(p->client, "%s: the producer is closing", fn);
    else if (err == KFK_ERR_STATE && !kclient_forked(p->client))
        kclient_error_set(p->client, "%s: not valid while the transaction is %s", fn,
                          state_name(state_of(p->txn)));
    return kclient_error_end(p->client, err);
}

kfk_err kfk_producer_init_transactions(kfk_producer *p, int timeout_ms)
{
    if (!p) return KFK_ERR_INVALID_ARG;
    return txn_done(p, "kfk_producer_init_transactions", init_transactions(p, timeout_ms));
}

kfk_err kfk_producer_begin_transaction(kfk_producer *p)
{
    if (!p) return KFK_ERR_INVALID_ARG;
    return txn_done(p, "kfk_producer_begin_transaction", begin_transaction(p));
}

kfk_err kfk_producer_send_offsets_to_transaction(kfk_producer *p, const kfk_partition_list *offsets,
                                                 const kfk_consumer_group_metadata *group,
                                                 int timeout_ms)
{
    if (!p) return KFK_ERR_INVALID_ARG;
    return txn_done(p, "kfk_producer_send_offsets_to_transaction",
                    send_offsets_to_transaction(p, offsets, group, timeout_ms));
}

kfk_err kfk_producer_commit_transaction(kfk_producer *p, int timeout_ms)
{
    if (!p) return KFK_ERR_INVALID_ARG;
    return txn_done(p, "kfk_producer_commit_transaction", commit_transaction(p, timeout_ms));
}

kfk_err kfk_producer_abort_transaction(kfk_producer *p, int timeout_ms)
{
    if (!p) return KFK_ERR_INVALID_ARG;
    return txn_done(p, "kfk_producer_abort_transaction", abort_transaction(p, timeout_ms));
}
