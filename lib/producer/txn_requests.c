/* The transaction manager's requests: each op of txn.h is one kcall,
 * routed to the transaction coordinator of the transactional id (the
 * group coordinator for TxnOffsetCommit), retried by kcall on retriable
 * errors (coordinator moves and loads, CONCURRENT_TRANSACTIONS) until
 * the waiting call's deadline. Bodies are built on kfk-bg and live in
 * ktxn_bodies until the answer. */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/time.h"
#include "producer/txn.h"
#include "proto/gen/add_offsets_to_txn.h"
#include "proto/gen/add_partitions_to_txn.h"
#include "proto/gen/describe_transactions.h"
#include "proto/gen/end_txn.h"
#include "proto/gen/txn_offset_commit.h"

typedef kp_add_partitions_to_txn_request_add_partitions_to_txn_topic add_topic;
typedef kp_add_partitions_to_txn_response_add_partitions_to_txn_topic_result add_result;

typedef struct ktxn_bodies {
    kp_init_producer_id_request init;
    kp_add_partitions_to_txn_request add;
    add_topic *add_topics;
    int32_t *add_parts;
    kp_add_offsets_to_txn_request add_offsets;
    kp_txn_offset_commit_request offsets;
    kp_txn_offset_commit_request_topic *offsets_topics;
    kp_txn_offset_commit_request_partition *offsets_parts;
    kp_end_txn_request end;
    /* ktxn_settle's probe, independent of the one-at-a-time slots */
    kcall settle;
    kp_describe_transactions_request settle_body;
    kslice settle_id;
    bool settle_busy; /* kfk-bg's */
} ktxn_bodies;

/* Frees the arrays of the request that was in flight (one at a time). */
static void bodies_release(ktxn_bodies *b)
{
    free(b->add_topics);
    free(b->add_parts);
    free(b->offsets_topics);
    free(b->offsets_parts);
    b->add_topics = NULL;
    b->add_parts = NULL;
    b->offsets_topics = NULL;
    b->offsets_parts = NULL;
}

/* --- answers -------------------------------------------------------------------------- */

static kfk_err init_check(kcall *call, void *resp)
{
    (void)call;
    return ((kp_init_producer_id_response *)resp)->error_code;
}

/* The first partition's error; OPERATION_NOT_ATTEMPTED (the others'
 * failures stopped it) only when nothing else failed. */
static kfk_err add_parts_check(kcall *call, void *resp)
{
    (void)call;
    const kp_add_partitions_to_txn_response *r = resp;
    kfk_err first = KFK_OK;
    for (int32_t i = 0; i < r->n_results_by_topic_v3_and_below; i++) {
        const add_result *t = &r->results_by_topic_v3_and_below[i];
        for (int32_t j = 0; j < t->n_results_by_partition; j++) {
            kfk_err e = t->results_by_partition[j].partition_error_code;
            if (e && e != KFK_ERR_OPERATION_NOT_ATTEMPTED) return e;
            if (e && !first) first = e;
        }
    }
    return first;
}

static kfk_err add_offsets_check(kcall *call, void *resp)
{
    (void)call;
    return ((kp_add_offsets_to_txn_response *)resp)->error_code;
}

static kfk_err offsets_check(kcall *call, void *resp)
{
    (void)call;
    const kp_txn_offset_commit_response *r = resp;
    for (int32_t i = 0; i < r->n_topics; i++)
        for (int32_t j = 0; j < r->topics[i].n_partitions; j++)
            if (r->topics[i].partitions[j].error_code) return r->topics[i].partitions[j].error_code;
    return KFK_OK;
}

static kfk_err end_check(kcall *call, void *resp)
{
    (void)call;
    return ((kp_end_txn_response *)resp)->error_code;
}

/* The partitions of an AddPartitionsToTxn answered: joined (their
 * batches may drain now), or back in the queue to join. */
static void parts_added(ktxn *t, bool ok)
{
    pthread_mutex_lock(&t->lock);
    if (ok) atomic_store(&t->started, true);
    size_t need = t->n_pending + t->n_adding;
    if (!ok && need > t->cap_pending) {
        kpart **v = realloc(t->pending, need * sizeof(*v));
        if (v) {
            t->pending = v;
            t->cap_pending = need;
        }
    }
    for (size_t i = 0; i < t->n_adding; i++) {
        kpart *pp = t->adding[i];
        if (ok)
            atomic_store_explicit(&pp->txn_added, t->adding_serial, memory_order_release);
        else if (t->n_pending < t->cap_pending && t->adding_serial == atomic_load(&t->serial))
            t->pending[t->n_pending++] = pp; /* to join again: the transaction goes on */
    }
    size_t n = t->n_adding;
    t->n_adding = 0;
    pthread_mutex_unlock(&t->lock);
    /* adding is kfk-bg's and this answer's alone until the next send */
    for (size_t i = 0; ok && i < n; i++)
        ksender_kick_part(t->p, t->adding[i]);
}

static void on_answer(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    ktxn *t = call->opaque;
    ktxn_op op = (ktxn_op)((ktxn_slot *)call - t->slot);
    ktxn_bodies *b = t->bodies;
    if (op == KTXN_OP_INIT && !err) {
        const kp_init_producer_id_response *r = resp;
        pthread_mutex_lock(&t->lock);
        t->tv2 = call->txn_version >= 2;
        ktxn_set_producer(t, r->producer_id, r->producer_epoch);
        pthread_mutex_unlock(&t->lock);
        klog(kclient_log(t->p->client), KFK_LOG_INFO, "txn",
             "\"%s\": producer id %lld epoch %d, transaction version %d", t->id,
             (long long)r->producer_id, r->producer_epoch, t->tv2 ? 2 : 1);
    }
    if (op == KTXN_OP_ADD_PARTS) parts_added(t, !err);
    bodies_release(b);
    if (op == KTXN_OP_END && !err && resp) {
        const kp_end_txn_response *r = resp;
        if (r->producer_id >= 0) { /* transaction version 2: the bumped epoch */
            pthread_mutex_lock(&t->lock);
            ktxn_set_producer(t, r->producer_id, r->producer_epoch);
            pthread_mutex_unlock(&t->lock);
        }
        /* before the waiting call learns of the end and produces more */
        ktxn_settle(t);
    }
    ktxn_finished(t, op, err);
}

/* --- requests --------------------------------------------------------------------------- */

static void call_setup(ktxn *t, ktxn_op op, const kproto_client *api, const void *body,
                       kcall_check_fn *chk)
{
    ktxn_slot *s = &t->slot[op];
    kcall_init(&s->call, api, body, on_answer, t);
    s->call.route = KROUTE_COORDINATOR;
    s->call.coord_type = 1;
    s->call.coord_key = t->id;
    s->call.check = chk;
    int64_t deadline = s->deadline_ms;
    if (op == KTXN_OP_ADD_PARTS) deadline = ktime_mono_ms() + t->p->delivery_timeout_ms;
    s->call.deadline_ns = deadline * KTIME_NS_PER_MS;
}

static kfk_err send_init(ktxn *t, ktxn_bodies *b)
{
    kp_init_producer_id_request_init(&b->init);
    b->init.transactional_id = kwire_cstr(t->id);
    b->init.transaction_timeout_ms = t->timeout_ms;
    pthread_mutex_lock(&t->lock);
    bool bump = t->bump_needed;
    pthread_mutex_unlock(&t->lock);
    if (bump) { /* KIP-360: the same producer id, a new epoch */
        b->init.producer_id = atomic_load(&t->p->producer_id);
        b->init.producer_epoch = atomic_load(&t->p->producer_epoch);
    }
    call_setup(t, KTXN_OP_INIT, &kp_init_producer_id_client, &b->init, init_check);
    return KFK_OK;
}

static int by_topic(const void *x, const void *y)
{
    const kpart *a = *(kpart *const *)x, *b = *(kpart *const *)y;
    if (a->topic != b->topic) return (uintptr_t)a->topic < (uintptr_t)b->topic ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Takes the queued partitions into one AddPartitionsToTxn, by topic. */
static kfk_err send_add_parts(ktxn *t, ktxn_bodies *b)
{
    pthread_mutex_lock(&t->lock);
    size_t n = t->n_pending;
    kpart **v = realloc(t->adding, (n ? n : 1) * sizeof(*v));
    b->add_topics = calloc(n ? n : 1, sizeof(*b->add_topics));
    b->add_parts = malloc((n ? n : 1) * sizeof(*b->add_parts));
    if (v) t->adding = v;
    if (!v || !b->add_topics || !b->add_parts) {
        pthread_mutex_unlock(&t->lock);
        return KFK_ERR_NO_MEMORY; /* on_answer frees them */
    }
    memcpy(t->adding, t->pending, n * sizeof(*v));
    t->n_adding = n;
    t->adding_serial = atomic_load(&t->serial);
    t->n_pending = 0;
    pthread_mutex_unlock(&t->lock);
    qsort(t->adding, n, sizeof(*t->adding), by_topic);
    kp_add_partitions_to_txn_request_init(&b->add);
    b->add.v3_and_below_transactional_id = kwire_cstr(t->id);
    b->add.v3_and_below_producer_id = atomic_load(&t->p->producer_id);
    b->add.v3_and_below_producer_epoch = atomic_load(&t->p->producer_epoch);
    b->add.v3_and_below_topics = b->add_topics;
    add_topic *cur = NULL;
    for (size_t i = 0; i < n; i++) {
        kpart *pp = t->adding[i];
        if (!cur || i == 0 || t->adding[i - 1]->topic != pp->topic) {
            cur = &b->add_topics[b->add.n_v3_and_below_topics++];
            kp_add_partitions_to_txn_request_add_partitions_to_txn_topic_init(cur);
            cur->name = kwire_cstr(pp->topic->name);
            cur->partitions = &b->add_parts[i];
        }
        cur->partitions[cur->n_partitions++] = pp->id;
    }
    call_setup(t, KTXN_OP_ADD_PARTS, &kp_add_partitions_to_txn_client, &b->add, add_parts_check);
    kcall *c = &t->slot[KTXN_OP_ADD_PARTS].call;
    c->max_version = 3; /* v4+ are the brokers' own */
    /* The previous transaction's markers are being written: they take
     * milliseconds, and the whole transaction waits for this answer
     * (Java retries after 20 ms too). */
    c->quick_err = KFK_ERR_CONCURRENT_TRANSACTIONS;
    c->quick_backoff_ms = 20;
    return KFK_OK;
}

static kfk_err send_add_offsets(ktxn *t, ktxn_bodies *b)
{
    kp_add_offsets_to_txn_request_init(&b->add_offsets);
    b->add_offsets.transactional_id = kwire_cstr(t->id);
    b->add_offsets.producer_id = atomic_load(&t->p->producer_id);
    b->add_offsets.producer_epoch = atomic_load(&t->p->producer_epoch);
    b->add_offsets.group_id = kwire_cstr(t->offsets.group_id);
    call_setup(t, KTXN_OP_ADD_OFFSETS, &kp_add_offsets_to_txn_client, &b->add_offsets,
               add_offsets_check);
    return KFK_OK;
}

/* TxnOffsetCommit to the group's coordinator, with the member's
 * generation (KIP-447); version 5 with transaction version 2, where it
 * adds the group to the transaction itself. */
static kfk_err send_offsets(ktxn *t, ktxn_bodies *b)
{
    const ktxn_offsets *o = &t->offsets;
    size_t n = (size_t)o->tps.n;
    b->offsets_topics = calloc(n, sizeof(*b->offsets_topics));
    b->offsets_parts = calloc(n, sizeof(*b->offsets_parts));
    if (!b->offsets_topics || !b->offsets_parts) return KFK_ERR_NO_MEMORY;
    kp_txn_offset_commit_request *r = &b->offsets;
    kp_txn_offset_commit_request_init(r);
    r->transactional_id = kwire_cstr(t->id);
    r->group_id = kwire_cstr(o->group_id);
    r->producer_id = atomic_load(&t->p->producer_id);
    r->producer_epoch = atomic_load(&t->p->producer_epoch);
    r->generation_id_or_member_epoch = o->generation_id;
    r->member_id = kwire_cstr(o->member_id);
    r->group_instance_id = kwire_cstr(o->instance_id);
    r->topics = b->offsets_topics;
    for (size_t i = 0; i < n; i++) { /* a topic per run of equal names */
        const ktp *tp = &o->tps.v[i];
        kp_txn_offset_commit_request_topic *cur = r->n_topics ? &r->topics[r->n_topics - 1] : NULL;
        if (!cur || strcmp(o->tps.v[i - 1].topic, tp->topic)) {
            cur = &r->topics[r->n_topics++];
            kp_txn_offset_commit_request_topic_init(cur);
            cur->name = kwire_cstr(tp->topic);
            cur->partitions = &b->offsets_parts[i];
        }
        kp_txn_offset_commit_request_partition *pp = &cur->partitions[cur->n_partitions++];
        kp_txn_offset_commit_request_partition_init(pp);
        pp->partition_index = tp->partition;
        pp->committed_offset = tp->offset;
        pp->committed_leader_epoch = tp->leader_epoch;
        pp->committed_metadata = kwire_cstr(tp->metadata);
    }
    call_setup(t, KTXN_OP_OFFSETS, &kp_txn_offset_commit_client, r, offsets_check);
    kcall *c = &t->slot[KTXN_OP_OFFSETS].call;
    c->coord_type = 0;
    c->coord_key = o->group_id;
    if (t->tv2) c->min_version = 5;
    c->max_version = 5; /* v6 names topics by id */
    return KFK_OK;
}

static kfk_err send_end(ktxn *t, ktxn_bodies *b)
{
    kp_end_txn_request_init(&b->end);
    b->end.transactional_id = kwire_cstr(t->id);
    b->end.producer_id = atomic_load(&t->p->producer_id);
    b->end.producer_epoch = atomic_load(&t->p->producer_epoch);
    pthread_mutex_lock(&t->lock);
    b->end.committed = t->commit;
    pthread_mutex_unlock(&t->lock);
    call_setup(t, KTXN_OP_END, &kp_end_txn_client, &b->end, end_check);
    kcall *c = &t->slot[KTXN_OP_END].call;
    if (t->tv2)
        c->min_version = 5; /* the version that bumps the epoch */
    else
        c->max_version = 4;
    return KFK_OK;
}

kfk_err ktxn_send(ktxn *t, ktxn_op op)
{
    ktxn_bodies *b = t->bodies;
    kfk_err err;
    switch (op) {
    case KTXN_OP_INIT:
        err = send_init(t, b);
        break;
    case KTXN_OP_ADD_PARTS:
        err = send_add_parts(t, b);
        break;
    case KTXN_OP_ADD_OFFSETS:
        err = send_add_offsets(t, b);
        break;
    case KTXN_OP_OFFSETS:
        err = send_offsets(t, b);
        break;
    default:
        err = send_end(t, b);
        break;
    }
    if (err) {
        if (op == KTXN_OP_ADD_PARTS) parts_added(t, false);
        bodies_release(b);
        return err;
    }
    kcall_start(t->p->client, &t->slot[op].call);
    return KFK_OK;
}

/* --- settling: after EndTxn, until the markers are written ------------------------------ */

/* DescribeTransactions asked again at once, before every millisecond */
#define SETTLE_EAGER 4

/* The states the coordinator leaves once the markers are written; while
 * in them it refuses to add partitions (CONCURRENT_TRANSACTIONS). */
static bool still_ending(kslice state)
{
    static const char *const ending[] = {"PrepareCommit", "PrepareAbort", "PrepareEpochFence"};
    for (size_t i = 0; i < sizeof(ending) / sizeof(ending[0]); i++)
        if (state.len == strlen(ending[i]) && !memcmp(state.ptr, ending[i], state.len)) return true;
    return false;
}

/* Still ending: CONCURRENT_TRANSACTIONS, which kcall asks again after
 * quick_backoff_ms. */
static kfk_err settle_check(kcall *call, void *resp)
{
    const kp_describe_transactions_response *r = resp;
    if (r->n_transaction_states < 1) return KFK_OK;
    const kp_describe_transactions_response_transaction_state *st = &r->transaction_states[0];
    if (st->error_code) return st->error_code;
    if (!still_ending(st->transaction_state)) return KFK_OK;
    /* One node writes its markers within a round trip or two: ask again
     * at once a few times, then every millisecond (a cluster replicating
     * them takes longer). */
    call->quick_backoff_ms = call->attempts < SETTLE_EAGER ? 0 : 1;
    return KFK_ERR_CONCURRENT_TRANSACTIONS;
}

/* Complete, or no answer in time, or an error (a broker without the API,
 * a principal without Describe): the records go either way, and at worst
 * wait at their leader. */
static void settle_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)resp;
    (void)arena;
    ktxn *t = call->opaque;
    ktxn_bodies *b = t->bodies;
    b->settle_busy = false;
    ktxn_settled(t, err == KFK_ERR_DESTROYED);
}

void ktxn_settle(ktxn *t)
{
    ktxn_bodies *b = t->bodies;
    if (b->settle_busy) return; /* the probe in flight ends this wait too */
    b->settle_busy = true;
    atomic_store_explicit(&t->settling, true, memory_order_release);
    if (t->tv2) kaccum_set_held(t->p->accum, true);
    b->settle_id = kwire_cstr(t->id);
    kp_describe_transactions_request_init(&b->settle_body);
    b->settle_body.transactional_ids = &b->settle_id;
    b->settle_body.n_transactional_ids = 1;
    kcall *c = &b->settle;
    kcall_init(c, &kp_describe_transactions_client, &b->settle_body, settle_done, t);
    c->route = KROUTE_COORDINATOR;
    c->coord_type = 1;
    c->coord_key = t->id;
    c->check = settle_check;
    c->quick_err = KFK_ERR_CONCURRENT_TRANSACTIONS; /* settle_check sets the backoff */
    c->quick_backoff_ms = 0;
    c->deadline_ns = (ktime_mono_ms() + 100) * KTIME_NS_PER_MS;
    kcall_start(t->p->client, c);
}

kfk_err ktxn_requests_new(ktxn *t)
{
    t->bodies = calloc(1, sizeof(ktxn_bodies));
    return t->bodies ? KFK_OK : KFK_ERR_NO_MEMORY;
}

void ktxn_requests_free(ktxn *t)
{
    ktxn_bodies *b = t->bodies;
    if (!b) return;
    bodies_release(b);
    free(b);
    t->bodies = NULL;
}
