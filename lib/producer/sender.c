/* The sender: one per broker, a ksource on the broker's connection, so it
 * runs on that connection's I/O thread. When the connection has room it
 * drains ready batches of the partitions the broker leads (one batch per
 * partition per request, many partitions per request), finishes them
 * (producer id, epoch, sequence; compression) and sends Produce. Answers
 * come back on the same thread: reports go to the application's queue,
 * retriable failures back into the accumulator (in drain order) to be
 * drained again by whichever broker leads the partition then. */
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/err.h"
#include "base/time.h"
#include "producer/producer_int.h"
#include "producer/txn.h"
#include "proto/gen/produce.h"

/* A Produce request in flight and what it carries. */
typedef struct kpreq {
    kreq req;
    kfk_producer *p;
    ksender *s;       /* the sender it went out on */
    uint64_t routing; /* kprod_routing_version when it went out */
    kp_produce_request body;
    int n;
    kaccum_batch **batches; /* grouped by topic */
    kp_produce_request_topic_produce_data *topics;
    kp_produce_request_partition_produce_data *pdata;
} kpreq;

#define PART_OF(b) ((kpart *)kaccum_part_ctx((b)->part))

/* Errors after which a batch is sent again, until delivery.timeout.ms:
 * those Kafka classes as retriable (stale metadata such as NOT_LEADER or
 * UNKNOWN_TOPIC_ID, replication shortfalls, timeouts) and the client's own
 * transport failures, which the error table marks the same way. */
static bool retriable(kfk_err err)
{
    return err != KFK_ERR_QUEUE_FULL && kerr_retriable(err);
}

/* --- outcomes ------------------------------------------------------------------------ */

/* Errors after which the broker may have written the batch: no answer
 * (timeout, dropped connection), or a replication timeout after the
 * leader's append. Its sequences must not be given to other records. */
static bool outcome_unknown(kfk_err err)
{
    return err == KFK_ERR_TIMED_OUT || err == KFK_ERR_TRANSPORT ||
           err == KFK_ERR_NETWORK_EXCEPTION || err == KFK_ERR_REQUEST_TIMED_OUT ||
           err == KFK_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND;
}

static int32_t seq_after(int32_t base, int32_t count)
{
    int64_t next = (int64_t)base + count;
    return (int32_t)(next > INT32_MAX ? next - INT32_MAX - 1 : next);
}

static void batch_ok(kfk_producer *p, kpart *pp, kaccum_batch *b, int64_t off, int64_t lat)
{
    kidem_unacked_remove(pp, b);
    pp->acked_next_seq = seq_after(b->base_sequence, kaccum_batch_count(b));
    pp->acked_any = true;
    bool settle = pp->held && pp->n_unacked == 0; /* held-back batches may go now */
    pthread_mutex_unlock(&pp->lock);
    kdr_batch_done(p, b, KFK_OK, off, lat);
    if (settle) ksender_kick_part(p, pp);
}

/* The broker refused b as too large (MESSAGE_TOO_LARGE: over the topic's
 * max.message.bytes). Like Java, kfk splits it and sends the halves; a
 * half still too large splits again, down to one record, which then fails
 * with the broker's error. The partition's batches no longer grow past
 * batch.size, since the topic takes less than they grew to. The halves
 * keep b's place and sequences, so nothing behind them is renumbered.
 * false when b cannot be split (one record, out of memory). */
static bool split_too_large(kfk_producer *p, kpart *pp, kaccum_batch *b, int64_t now)
{
    kaccum_part_stop_growing(b->part);
    if (kaccum_batch_count(b) < 2) return false;
    size_t bytes = kaccum_batch_size(b);
    pthread_mutex_lock(&pp->lock);
    kaccum_batch *t = NULL;
    bool ok = !kidem_unacked_room(pp) && !kaccum_split(p->accum, b, &t);
    if (ok) (void)kidem_unacked_insert(pp, t, b);
    pthread_mutex_unlock(&pp->lock);
    if (!ok) return false;
    klog(kclient_log(p->client), KFK_LOG_INFO, "producer",
         "%s [%d]: the broker refused a batch of %d records (%zu bytes) as too large; sending "
         "it as two, and batches stay within batch.size from now on",
         pp->topic->name, pp->id, kaccum_batch_count(b) + kaccum_batch_count(t), bytes);
    kaccum_reenqueue(p->accum, t, now);
    kaccum_reenqueue(p->accum, b, now);
    kprod_expiry_note(p, b->created_ms);
    ksender_kick_part(p, pp);
    return true;
}

/* A batch's answer (err KFK_OK: acknowledged at off). I/O thread, or the
 * destroying thread. */
static void batch_result(kfk_producer *p, kaccum_batch *b, kfk_err err, int64_t off, int64_t lat,
                         int64_t log_start)
{
    kpart *pp = PART_OF(b);
    int64_t now = ktime_mono_ms();
    pthread_mutex_lock(&pp->lock);
    if (--pp->inflight == 0) pp->inflight_sender = NULL;
    if (err == KFK_OK || err == KFK_ERR_DUPLICATE_SEQUENCE_NUMBER) {
        batch_ok(p, pp, b, err ? -1 : off, lat); /* a duplicate was written before */
        kidem_inflight_done(p);
        return;
    }
    if (outcome_unknown(err)) b->maybe_written = true;
    bool split = err == KFK_ERR_MESSAGE_TOO_LARGE && now - b->created_ms < p->delivery_timeout_ms &&
                 !atomic_load(&p->closing) && !(p->txn && ktxn_failing(p));
    if (split) {
        pthread_mutex_unlock(&pp->lock);
        split = split_too_large(p, pp, b, now);
        if (split) {
            kidem_inflight_done(p);
            return;
        }
        pthread_mutex_lock(&pp->lock);
    }
    bool seq_err = p->idempotent && (err == KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER ||
                                     err == KFK_ERR_UNKNOWN_PRODUCER_ID);
    bool bump = seq_err && kidem_seq_error_bumps(pp, b, err, log_start);
    if (bump) pp->rewrite = true;
    bool expired = now - b->created_ms >= p->delivery_timeout_ms;
    int32_t acked_next = pp->acked_next_seq;
    pthread_mutex_unlock(&pp->lock);
    klog(kclient_log(p->client), seq_err ? KFK_LOG_INFO : KFK_LOG_DEBUG, "producer",
         "%s [%d]: batch at sequence %d epoch %d (broker expects %d after the last ack) "
         "failed: %s",
         pp->topic->name, pp->id, b->base_sequence, b->producer_epoch, acked_next,
         kfk_err_name(err));
    /* A transaction ending badly retries nothing; a transactional
     * producer's sequence errors abort the transaction (KIP-360). */
    bool again = (seq_err || retriable(err)) && !expired;
    if (b->sends > p->max_retries) again = false; /* retries: sends after the first */
    if (p->txn && (seq_err || ktxn_failing(p))) again = false;
    if (atomic_load(&p->closing)) {
        kdr_batch_abandon(p, b, KFK_ERR_DESTROYED);
    } else if (again) {
        if (bump) kidem_request_bump(p, pp);
        kaccum_reenqueue(p->accum, b, now + p->retry_backoff_ms);
        kprod_expiry_note(p, b->created_ms);
        ksender_kick_part(p, pp);
    } else {
        /* A bump asked for above is the partition's either way. */
        if (bump) kidem_request_bump(p, pp);
        bool timed_out = (seq_err || retriable(err)) && expired;
        kdr_batch_abandon(p, b, timed_out ? KFK_ERR_TIMED_OUT : err);
    }
    kidem_inflight_done(p);
}

/* The answer for pp's batch: topics are named (v3-12) or given by id
 * (v13+, the id the request carried for pp's topic). */
static const kp_produce_response_partition_produce_response *
find_answer(const kpreq *r, const kp_produce_response *resp, const kpart *pp)
{
    size_t len = strlen(pp->topic->name);
    const kuuid *id = NULL;
    for (int32_t i = 0; i < r->body.n_topic_data && !id; i++)
        if (r->topics[i].name.len == len && !memcmp(r->topics[i].name.ptr, pp->topic->name, len))
            id = &r->topics[i].topic_id;
    for (int32_t i = 0; i < resp->n_responses; i++) {
        const kp_produce_response_topic_produce_response *t = &resp->responses[i];
        bool same = t->name.len ? t->name.len == len && !memcmp(t->name.ptr, pp->topic->name, len)
                                : id && !kuuid_is_zero(id) && !memcmp(t->topic_id.b, id->b, 16);
        if (!same) continue;
        for (int32_t j = 0; j < t->n_partition_responses; j++)
            if (t->partition_responses[j].index == pp->id) return &t->partition_responses[j];
    }
    return NULL;
}

static void produce_done(kreq *req, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kpreq *r = req->opaque;
    kfk_producer *p = r->p;
    const kp_produce_response *pr = resp;
    /* The answer frees in-flight room: the next pull looks again. Were
     * the partitions' leaders to have moved meanwhile, their new senders
     * wait for this answer (inflight_sender), so they are woken too. */
    atomic_store(&r->s->wake, true);
    bool moved = atomic_load(&r->s->retired) || kprod_routing_version(p) != r->routing;
    if (pr) kclient_produce_hints(p->client, pr);
    if (err == KFK_ERR_TRANSPORT || err == KFK_ERR_TIMED_OUT)
        kclient_refresh(p->client, "produce: connection failed");
    for (int i = 0; i < r->n; i++) {
        kaccum_batch *b = r->batches[i];
        kpart *pp = PART_OF(b); /* b may be released below */
        /* A request that never went out (its connection was down) is no
         * attempt; as in Java, waiting for a broker spends no retry. */
        if (req->version >= 0) b->sends++;
        const kp_produce_response_partition_produce_response *a =
            err || !pr ? NULL : find_answer(r, pr, pp);
        if (err || !pr)
            batch_result(p, b, err, -1, -1, -1);
        else if (!a)
            batch_result(p, b, KFK_ERR_NETWORK_EXCEPTION, -1, -1, -1);
        else
            batch_result(p, b, a->error_code, a->base_offset, a->log_append_time_ms,
                         a->log_start_offset);
        if (moved && kaccum_part_queued(pp->ap) > 0) ksender_kick_part(p, pp);
    }
    free(r);
}

/* --- requests ------------------------------------------------------------------------ */

static int by_topic(const void *a, const void *b)
{
    const kpart *x = PART_OF(*(kaccum_batch *const *)a), *y = PART_OF(*(kaccum_batch *const *)b);
    if (x->topic != y->topic) return (uintptr_t)x->topic < (uintptr_t)y->topic ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static kpreq *preq_new(ksender *s, size_t n)
{
    kfk_producer *p = s->p;
    kpreq *r = calloc(1, sizeof(*r) +
                             n * (sizeof(kaccum_batch *) + sizeof(*r->topics) + sizeof(*r->pdata)));
    if (!r) return NULL;
    r->p = p;
    r->s = s;
    r->routing = s->routing_seen;
    r->topics = (void *)(r + 1);
    r->pdata = (void *)(r->topics + n);
    r->batches = (void *)(r->pdata + n);
    return r;
}

/* Finishes b; on failure reports it. Returns true when b may go. */
static bool finish(kfk_producer *p, kaccum_batch *b, kslice *wire)
{
    /* A retry keeps the producer id, epoch and sequence of its first
     * drain (or of its renumbering by a bump). */
    int64_t pid = p->idempotent ? b->producer_id : -1;
    if (p->txn) kaccum_batch_set_transactional(b);
    kfk_err err = kaccum_batch_finish(b, pid, b->producer_epoch, p->codec, p->codec_level, wire);
    if (err) kdr_batch_abandon(p, b, err);
    return err == KFK_OK;
}

/* Fills r's body from its batches (sorted by topic). Topics carry their
 * names and, when metadata knows them, their ids: Produce v13 (KIP-516)
 * names topics by id only, so r goes at v13 only when every topic has
 * one (else v12, which every broker since 3.x serves). */
static void fill_body(kfk_producer *p, kpreq *r, const kslice *wires)
{
    bool all_ids = true;
    kp_produce_request_init(&r->body);
    r->body.acks = p->acks;
    if (p->txn) r->body.transactional_id = ktxn_id(p);
    r->body.timeout_ms = (int32_t)p->request_timeout_ms;
    r->body.topic_data = r->topics;
    kptopic *cur = NULL;
    for (int i = 0; i < r->n; i++) {
        kpart *pp = PART_OF(r->batches[i]);
        if (pp->topic != cur) {
            cur = pp->topic;
            kp_produce_request_topic_produce_data *t = &r->topics[r->body.n_topic_data++];
            kp_produce_request_topic_produce_data_init(t);
            t->name = (kslice){(const uint8_t *)cur->name, strlen(cur->name)};
            kmeta_topic *mt = kmeta_topic_get(kclient_meta(p->client), cur->name);
            if (mt) t->topic_id = mt->id;
            all_ids &= mt && !kuuid_is_zero(&t->topic_id);
            if (mt) kmeta_topic_unref(mt);
            t->partition_data = &r->pdata[i];
        }
        kp_produce_request_partition_produce_data *d = &r->pdata[i];
        kp_produce_request_partition_produce_data_init(d);
        d->index = pp->id;
        d->records = wires[i];
        r->topics[r->body.n_topic_data - 1].n_partition_data++;
    }
    r->req.max_version = all_ids ? 13 : 12;
}

static void track_drained(kaccum_batch *b, int64_t now_ms)
{
    kpart *pp = PART_OF(b);
    atomic_store_explicit(&pp->drain_ms, now_ms, memory_order_relaxed);
    pthread_mutex_lock(&pp->lock);
    bool known = false;
    for (int i = 0; i < pp->n_unacked; i++)
        known |= pp->unacked[i] == b;
    if (!known) kidem_batch_numbered(pp, b);
    /* Never allocates: a new batch drains only while fewer than
     * max.in.flight batches are unacked, and the list starts with room
     * for that many. */
    if (!known) (void)kidem_unacked_insert(pp, b, NULL);
    pthread_mutex_unlock(&pp->lock);
}

static void send_batches(ksender *s, kconn *c, kaccum_list *l, int64_t now_ms)
{
    kfk_producer *p = s->p;
    size_t n = l->n;
    kpreq *r = preq_new(s, n);
    kslice *wires = malloc((n ? n : 1) * sizeof(*wires));
    for (kaccum_batch *b; (b = kaccum_list_pop(l));) {
        track_drained(b, now_ms);
        if (!r || !wires) {
            kaccum_reenqueue(p->accum, b, now_ms + p->retry_backoff_ms);
            kprod_expiry_note(p, b->created_ms);
            continue;
        }
        r->batches[r->n++] = b;
    }
    if (!r || !wires || !r->n) {
        free(r);
        free(wires);
        return;
    }
    qsort(r->batches, (size_t)r->n, sizeof(*r->batches), by_topic);
    int kept = 0;
    for (int i = 0; i < r->n; i++)
        if (finish(p, r->batches[i], &wires[kept])) r->batches[kept++] = r->batches[i];
    r->n = kept;
    if (!kept) {
        free(r);
        free(wires);
        return;
    }
    fill_body(p, r, wires);
    free(wires);
    for (int i = 0; i < r->n; i++) {
        kpart *pp = PART_OF(r->batches[i]);
        pthread_mutex_lock(&pp->lock);
        pp->inflight++;
        pp->inflight_sender = s;
        pthread_mutex_unlock(&pp->lock);
    }
    kidem_inflight_add(p, r->n);
    int16_t max_version = r->req.max_version; /* fill_body's choice */
    kreq_init(&r->req, &kp_produce_client, &r->body,
              ktime_mono_ns() + p->request_timeout_ms * KTIME_NS_PER_MS, produce_done, r);
    r->req.max_version = max_version;
    r->req.flags |= KREQ_F_GATHER; /* the batches wait for produce_done */
    if (p->acks == 0) r->req.flags |= KREQ_F_NO_RESPONSE;
    kconn_send(c, &r->req);
}

/* --- pulling --------------------------------------------------------------------- */

/* Loop thread: the partitions this broker leads, looked up again when
 * metadata or the producer's partitions moved. Returns true when they
 * were. */
static bool sender_routes(ksender *s)
{
    kfk_producer *p = s->p;
    uint64_t v = kprod_routing_version(p);
    if (v == s->routing_seen) return false;
    kpart **all;
    int n = kprod_all_parts(p, &all);
    if (n < 0) return false;
    /* This broker's partitions to the front of all; the array is sized
     * for those, not for every partition of the producer. */
    int mine = 0;
    kmeta *m = kclient_meta(p->client);
    for (int i = 0; i < n; i++) {
        int32_t leader, epoch;
        if (kmeta_leader(m, all[i]->topic->name, all[i]->id, &leader, &epoch) == 0 &&
            leader == s->broker_id)
            all[mine++] = all[i];
    }
    if ((size_t)mine > s->cap_parts) {
        kaccum_part **a = realloc(s->parts, (size_t)mine * sizeof(*a));
        if (!a) {
            free(all);
            return false;
        }
        s->parts = a;
        s->cap_parts = (size_t)mine;
    }
    for (int i = 0; i < mine; i++)
        s->parts[i] = all[i]->ap;
    s->n_parts = (size_t)mine;
    free(all);
    s->routing_seen = v;
    return true;
}

static bool active_grow(ksender *s)
{
    size_t cap = s->cap_active ? s->cap_active * 2 : 64;
    kpart **a = realloc(s->active, cap * sizeof(*a));
    if (a) s->active = a;
    kaccum_part **e = realloc(s->eligible, cap * sizeof(*e));
    if (e) s->eligible = e;
    if (!a || !e) return false;
    s->cap_active = cap;
    return true;
}

/* Adds pp to the active set unless it is there already. */
static void active_add(ksender *s, kpart *pp)
{
    pthread_mutex_lock(&pp->lock);
    bool add = pp->active_in != s;
    if (add) pp->active_in = s;
    pthread_mutex_unlock(&pp->lock);
    if (!add) return;
    if (s->n_active == s->cap_active && !active_grow(s)) {
        pthread_mutex_lock(&pp->lock);
        pp->active_in = NULL;
        pthread_mutex_unlock(&pp->lock);
        s->rebuild = true;
        return;
    }
    s->active[s->n_active++] = pp;
}

/* Empties the active set, letting its partitions join another. */
static void active_release(ksender *s)
{
    for (size_t i = 0; i < s->n_active; i++) {
        kpart *pp = s->active[i];
        pthread_mutex_lock(&pp->lock);
        if (pp->active_in == s) pp->active_in = NULL;
        pthread_mutex_unlock(&pp->lock);
    }
    s->n_active = 0;
}

/* The active set from scratch: this broker's partitions with queued
 * data. After the routes moved (or an entry was lost). */
static void active_rebuild(ksender *s)
{
    active_release(s);
    s->rebuild = false;
    for (size_t i = 0; i < s->n_parts; i++)
        if (kaccum_part_queued(s->parts[i]) > 0) active_add(s, kaccum_part_ctx(s->parts[i]));
}

/* Any thread: puts pp on s's kick stack, unless it is on one already.
 * The pop reads kick_next before it clears kicked_to, so a push that wins
 * kicked_to again never overwrites a link still to be read. A partition
 * still on another sender's stack (its leader moved) cannot be pushed
 * here: s rebuilds its active set on its next pull instead, and finds pp
 * among the partitions it leads. The old sender lets go of pp when it
 * pulls, or when it is retired (its broker left the cluster: see
 * sender_current). */
static void kick_push(ksender *s, kpart *pp)
{
    const ksender *on = NULL;
    if (!atomic_compare_exchange_strong(&pp->kicked_to, &on, s)) {
        if (on != s) atomic_store(&s->rebuild_wanted, true);
        return;
    }
    kpart *head = atomic_load(&s->kicks);
    do
        pp->kick_next = head;
    while (!atomic_compare_exchange_weak(&s->kicks, &head, pp));
}

/* Loop thread: moves the kicked partitions into the active set. */
static void kicks_take(ksender *s)
{
    for (kpart *pp = atomic_exchange(&s->kicks, NULL), *next; pp; pp = next) {
        next = pp->kick_next;
        atomic_store(&pp->kicked_to, NULL);
        active_add(s, pp);
    }
}

/* Visits the active set: drops the partitions with nothing queued (and
 * those another sender took or listed twice), and puts in eligible those
 * that may send now: in-flight room, and a retry waiting when their
 * unacknowledged list is full. Returns how many are eligible. */
static size_t sender_visit(ksender *s)
{
    kfk_producer *p = s->p;
    size_t n = 0, kept = 0;
    s->visits++;
    for (size_t i = 0; i < s->n_active; i++) {
        kpart *pp = s->active[i];
        pthread_mutex_lock(&pp->lock);
        bool mine = pp->active_in == s && !(pp->visit_by == s && pp->visit_n == s->visits);
        /* An append after this check kicks pp back in (its queued count
         * rises before its kick). */
        bool keep = mine && kaccum_part_queued(pp->ap) > 0;
        if (mine && !keep) pp->active_in = NULL;
        pp->visit_by = s;
        pp->visit_n = s->visits;
        /* Settled even with nothing queued: a partition kicked when its
         * last batch was answered may owe a bump (an unresolved gap). */
        bool bump = mine && p->idempotent && kidem_part_settle(p, pp);
        int limit = p->idempotent && !pp->acked_any ? 1 : p->max_in_flight;
        bool ok = keep && !bump && (!p->txn || ktxn_part_ready(p, pp)) &&
                  (pp->inflight == 0 || pp->inflight_sender == s) && pp->inflight < limit &&
                  (pp->n_unacked < limit || pp->inflight < pp->n_unacked);
        pthread_mutex_unlock(&pp->lock);
        if (bump) kidem_request_bump(p, pp);
        if (keep) s->active[kept++] = pp;
        if (ok) s->eligible[n++] = pp->ap;
    }
    s->n_active = kept;
    return n;
}

/* Arms the linger timer for the next batch to become ready and tells
 * appenders (next_due) which new batches need to wake the sender. */
static void sender_arm(ksender *s, size_t n_eligible, int64_t now_ms)
{
    int64_t next = kaccum_next_ready_ms(s->p->accum, s->eligible, n_eligible, now_ms);
    if (next != INT64_MAX && next <= now_ms) next = now_ms + 1;
    atomic_store(&s->next_due, next);
    if (next == INT64_MAX) return;
    kloop_timer_arm(kconn_loop(s->broker->conn), &s->linger_timer, next * KTIME_NS_PER_MS);
}

/* Whether this pull may skip its visit: no event since the last one, the
 * same routes, and the earliest batch it found not yet due (the linger
 * timer is armed for it). Appends that opened batches due earlier set
 * wake (ksender_kick_new_batch). */
static bool sender_nothing_due(ksender *s, int64_t now_ms)
{
    if (atomic_exchange(&s->wake, false)) return false;
    return s->routing_seen == kprod_routing_version(s->p) && now_ms < atomic_load(&s->next_due) &&
           !kaccum_all_ready(s->p->accum);
}

static void sender_pull(ksource *src, kconn *c, int room)
{
    ksender *s = (ksender *)src;
    kfk_producer *p = s->p;
    if (atomic_load(&p->closing) || atomic_load(&s->retired) || !kidem_pull_begin(p)) return;
    int64_t now = ktime_mono_ms();
    kprod_publish_load(p, now);
    if (sender_nothing_due(s, now)) {
        kidem_pull_end(p);
        return;
    }
    /* Visiting: an append's new batch wakes the sender until the visit's
     * result is stored (one that this visit may have missed must). */
    atomic_store(&s->next_due, INT64_MAX);
    kicks_take(s);
    bool moved = atomic_exchange(&s->rebuild_wanted, false);
    if (sender_routes(s) || s->rebuild || moved) active_rebuild(s);
    size_t ne = 0;
    for (; room > 0; room--) {
        ne = sender_visit(s);
        kaccum_list l = {0};
        if (!ne ||
            !kaccum_drain(p->accum, s->eligible, ne, s->rotate++, now, p->max_request_bytes, &l))
            break;
        send_batches(s, c, &l, now);
    }
    if (room > 0)
        sender_arm(s, sender_visit(s), now);
    else
        atomic_store(&s->wake, true); /* the connection's next room: look again */
    kidem_pull_end(p);
}

/* --- senders' life ------------------------------------------------------------------ */

static void on_linger(ktimer *t)
{
    ksender *s = container_of(t, ksender, linger_timer);
    atomic_store(&s->wake, true);
    kconn_kick(s->broker->conn);
}

static void sender_attach(ktask *t)
{
    ksender *s = container_of(t, ksender, attach_task);
    kconn_add_source(s->broker->conn, &s->src);
    s->attached = true;
    kconn_kick(s->broker->conn);
}

static void sender_detach(ktask *t)
{
    ksender *s = container_of(t, ksender, detach_task);
    kloop_timer_disarm(kconn_loop(s->broker->conn), &s->linger_timer);
    if (s->attached) kconn_remove_source(s->broker->conn, &s->src);
    kfk_producer *p = s->p;
    /* Kicks can no longer reach s (it is retired or the producer closes):
     * those it holds go to the partitions' senders now. */
    for (kpart *pp = atomic_exchange(&s->kicks, NULL), *next; pp; pp = next) {
        next = pp->kick_next;
        atomic_store(&pp->kicked_to, NULL);
        if (kaccum_part_queued(pp->ap) > 0) ksender_kick_part(p, pp);
    }
    /* A retired sender's partitions go to their new senders' sets, and
     * its broker reference goes, so that the connection retires. The
     * struct itself stays until destroy: its requests in flight point at
     * it, and so may partitions (inflight_sender, visit_by). */
    kbroker *gone = NULL;
    if (atomic_load(&s->retired)) {
        active_release(s);
        free(s->parts);
        free(s->active);
        free(s->eligible);
        s->parts = NULL;
        s->active = NULL;
        s->eligible = NULL;
        s->n_parts = s->cap_parts = s->n_active = s->cap_active = 0;
    }
    pthread_mutex_lock(&p->senders_lock);
    s->detached = true;
    if (atomic_load(&s->retired)) {
        gone = s->broker;
        s->broker = NULL;
    }
    pthread_cond_broadcast(&p->senders_cond);
    pthread_mutex_unlock(&p->senders_lock);
    kbroker_unref(gone);
}

/* senders_lock held. */
static ksender *sender_new(kfk_producer *p, int32_t id)
{
    kbroker *b = kclient_broker(p->client, id);
    if (!b) return NULL;
    ksender *s = calloc(1, sizeof(*s));
    if (!s) {
        kbroker_unref(b);
        return NULL;
    }
    s->p = p;
    s->broker = b;
    s->broker_id = id;
    s->src.pull = sender_pull;
    s->attach_task.fn = sender_attach;
    s->detach_task.fn = sender_detach;
    ktimer_init(&s->linger_timer, on_linger);
    s->routing_seen = UINT64_MAX;
    atomic_init(&s->wake, true);
    atomic_init(&s->next_due, INT64_MAX);
    if (kloop_post(kconn_loop(b->conn), &s->attach_task) < 0) {
        kbroker_unref(b);
        free(s);
        return NULL;
    }
    s->next = p->senders;
    p->senders = s;
    return s;
}

/* senders_lock held. Whether s still sends to the registry's broker of
 * its id; if not (the broker left the cluster, or came back at a new
 * address), s is retired: never found again, and its detach hands the
 * partitions on its kick stack to their leaders' senders. A dead broker's
 * connection may never pull again to let go of them. */
static bool sender_current(kfk_producer *p, ksender *s)
{
    kbroker *now = kclient_broker(p->client, s->broker_id);
    bool same = now == s->broker;
    if (now) kbroker_unref(now);
    if (same) return true;
    s->broker_id = INT32_MIN;
    atomic_store(&s->retired, true);
    kloop_post(kconn_loop(s->broker->conn), &s->detach_task);
    return false;
}

/* senders_lock held. */
static ksender *sender_get(kfk_producer *p, int32_t id)
{
    for (ksender *s = p->senders; s; s = s->next) {
        if (s->broker_id != id || s->detached) continue;
        if (sender_current(p, s)) return s;
        break;
    }
    return sender_new(p, id);
}

void ksender_retire_departed(kfk_producer *p)
{
    pthread_mutex_lock(&p->senders_lock);
    for (ksender *s = p->senders; s; s = s->next)
        if (!s->detached && s->broker_id != INT32_MIN) sender_current(p, s);
    pthread_mutex_unlock(&p->senders_lock);
}

/* ready_ms INT64_MIN: always wake. */
static void kick_part(kfk_producer *p, kpart *pp, int64_t ready_ms)
{
    if (atomic_load(&p->closing)) return;
    int32_t leader, epoch;
    if (kmeta_leader(kclient_meta(p->client), pp->topic->name, pp->id, &leader, &epoch) < 0) {
        kclient_refresh(p->client, "producer: partition without a leader");
        return;
    }
    pthread_mutex_lock(&p->senders_lock);
    ksender *s = sender_get(p, leader);
    if (s) kick_push(s, pp);
    if (s && (ready_ms == INT64_MIN || ready_ms < atomic_load(&s->next_due))) {
        atomic_store(&s->wake, true);
        kconn_kick(s->broker->conn);
    }
    pthread_mutex_unlock(&p->senders_lock);
}

void ksender_kick_part(kfk_producer *p, kpart *pp)
{
    kick_part(p, pp, INT64_MIN);
}

void ksender_kick_new_batch(kfk_producer *p, kpart *pp, int64_t ready_ms)
{
    kick_part(p, pp, ready_ms);
}

void ksender_kick_all(kfk_producer *p)
{
    pthread_mutex_lock(&p->senders_lock);
    for (ksender *s = p->senders; s; s = s->next) {
        if (s->detached || s->broker_id == INT32_MIN) continue;
        atomic_store(&s->wake, true);
        kconn_kick(s->broker->conn);
    }
    pthread_mutex_unlock(&p->senders_lock);
}

void kprod_waking_senders(void *p)
{
    ksender_kick_all(p);
}

void ksender_stop_all(kfk_producer *p)
{
    pthread_mutex_lock(&p->senders_lock);
    for (ksender *s = p->senders; s; s = s->next)
        if (s->broker_id != INT32_MIN &&
            kloop_post(kconn_loop(s->broker->conn), &s->detach_task) < 0)
            s->detached = true;
    for (ksender *s = p->senders; s; s = s->next)
        while (!s->detached)
            pthread_cond_wait(&p->senders_cond, &p->senders_lock);
    for (ksender *s = p->senders; s; s = s->next) {
        kbroker_unref(s->broker);
        s->broker = NULL;
    }
    pthread_mutex_unlock(&p->senders_lock);
}

void ksender_free_all(kfk_producer *p)
{
    while (p->senders) {
        ksender *s = p->senders;
        p->senders = s->next;
        free(s->parts);
        free(s->active);
        free(s->eligible);
        free(s);
    }
}
