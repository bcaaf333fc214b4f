/* The record accumulator; see accumulator.h for the model. */
#include "producer/accumulator.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/time.h"

/* The smallest record the wire allows (length, attributes, timestamp and
 * offset deltas, key and value lengths, header count: a byte each). A
 * batch with less room than this left is full: seal it now, so the sender
 * can take it without waiting for the next append to find out. */
#define MIN_RECORD_BYTES 7

#define CACHE_LINE 64

/* Freed batches kept for reuse, so steady-state appends never allocate. */
#define POOL_MAX 64
/* Freed batches whose buffers grew past batch.size, kept for the next
 * batches of backed-up partitions (see grow_hint). */
#define BIG_POOL_MAX 8
/* A new batch's buffer and report array: see grown_cap. */
#define BUF_INITIAL 1024
#define MSGS_INITIAL 16

/* How far an open batch may grow, when max.request.size is not lower: the
 * broker's default message.max.bytes takes a batch this large, where a
 * larger max.request.size (set to allow large records) may not be. */
#define GROW_MAX (1 << 20)

struct kaccum_part {
    pthread_mutex_t lock; /* protects the fields below but ctx, and the queued batches */
    kaccum_batch *head;   /* oldest first; only the tail may be unsealed (the open batch) */
    kaccum_batch *tail;
    int32_t next_sequence;
    bool hold_new;     /* drain only re-enqueued batches (kaccum_part_hold_new) */
    bool no_grow;      /* open batches stay within batch.size (kaccum_part_stop_growing) */
    /* The bound the partition's last drained batch grew to (0: it did not
     * grow): a batch opened while the partition is backed up starts with
     * it, rather than growing to it by steps that copy its buffer. */
    size_t grow_hint;
    uint64_t drained;  /* batches drained so far: the next drained_nth - 1 */
    atomic_int queued; /* batches in the queue; written under lock, read without */
    atomic_int out;    /* batches drained and not yet released or re-enqueued */
    void *ctx;         /* the caller's; set once */
    kaccum_part *next; /* in kaccum.parts, under kaccum.mem_lock */
};

struct kaccum {
    kaccum_conf conf;
    size_t writer_max; /* a batch's bound: batch.size capped by max.request.size; 1 for
                        * batch.size 0, so each record goes alone */
    size_t grow_max;   /* how far a backed-up partition's open batch may grow (see
                        * try_grow); writer_max when batches never grow */
    uint32_t msgs_initial;
    atomic_int flushing;    /* flushes in progress */
    atomic_bool closing;    /* kaccum_close was called */
    atomic_bool held;       /* kaccum_set_held: nothing may be sent now */
    atomic_int mem_waiters; /* appends blocked for memory: drain sends everything */

    pthread_mutex_t mem_lock; /* protects reserved, pool, pool_n, pooled_bytes, parts and the
                               * report blocks' fields below */
    pthread_cond_t mem_freed; /* signalled when reserved drops or closing is set */
    int64_t reserved;         /* bytes of buffer.memory held by batches */
    kaccum_batch *pool;       /* released batches, linked by next */
    size_t pool_n;
    kaccum_batch *big_pool; /* released batches with buffers over normal_cap */
    size_t big_pool_n;
    size_t pooled_bytes; /* buffer capacity held by both pools */
    kaccum_part *parts;  /* every partition, for destroy */

    int64_t report_bytes;   /* bytes of buffer.memory held by taken report blocks */
    kaccum_msgs *msgs_pool; /* given-back report blocks, linked by next */
    size_t msgs_pool_n;
    _Atomic uint32_t msgs_hint; /* records in the last batch done: new blocks' size */
};

/* ---------------------------------------------------------------- lists */

static void list_push(kaccum_list *l, kaccum_batch *b)
{
    b->next = NULL;
    if (l->tail)
        l->tail->next = b;
    else
        l->head = b;
    l->tail = b;
    l->n++;
}

kaccum_batch *kaccum_list_pop(kaccum_list *l)
{
    kaccum_batch *b = l->head;
    if (!b) return NULL;
    l->head = b->next;
    if (!l->head) l->tail = NULL;
    l->n--;
    b->next = NULL;
    return b;
}

/* ---------------------------------------------------------- lifecycle */

/* ------------------------------------------------------ report blocks */

static kaccum_msgs *msgs_block(kaccum_msg *m)
{
    return m ? (kaccum_msgs *)((char *)m - offsetof(kaccum_msgs, m)) : NULL;
}

static size_t msgs_bytes(const kaccum_msgs *m)
{
    return sizeof(*m) + (size_t)m->cap * sizeof(m->m[0]);
}

/* Gives b's msgs room for cap entries, keeping those in use. */
static int msgs_resize(kaccum_batch *b, uint32_t cap)
{
    kaccum_msgs *m = realloc(msgs_block(b->msgs), sizeof(*m) + (size_t)cap * sizeof(m->m[0]));
    if (!m) return -1;
    m->cap = cap;
    b->msgs = m->m;
    b->msgs_cap = cap;
    return 0;
}

static void batch_free(kaccum_batch *b)
{
    kbuf_free(&b->buf);
    kbuf_free(&b->out);
    free(msgs_block(b->msgs));
    free(b);
}

static bool conf_ok(const kaccum_conf *c)
{
    return c->batch_size >= 0 && c->batch_size <= INT32_MAX && c->linger_ms >= 0 &&
           c->max_block_ms >= 0 && c->max_record_bytes >= 0 && c->buffer_memory >= c->batch_size &&
           c->buffer_memory > 0;
}

kaccum *kaccum_new(const kaccum_conf *conf)
{
    if (!conf_ok(conf)) return NULL;
    kaccum *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->conf = *conf;
    int64_t max = conf->batch_size;
    /* A batch over max.request.size could never be sent. With the cap, a
     * record that fits an open batch is within max.request.size, so only
     * a record needing a new batch must be checked against it. */
    if (conf->max_record_bytes > 0 && max > conf->max_record_bytes) max = conf->max_record_bytes;
    a->writer_max = max > 0 ? (size_t)max : 1;
    int64_t grow = conf->max_record_bytes > 0 && conf->max_record_bytes < GROW_MAX
                       ? conf->max_record_bytes
                       : GROW_MAX;
    a->grow_max = conf->grow && max > 0 && grow > max ? (size_t)grow : a->writer_max;
    /* Small, as the buffer starts (see grown_cap): the array doubles, and
     * pooled batches keep what they grew to. */
    a->msgs_initial = MSGS_INITIAL;
    atomic_init(&a->flushing, 0);
    atomic_init(&a->closing, false);
    atomic_init(&a->mem_waiters, 0);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    /* max.block.ms is a duration: measure it on the monotonic clock. */
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&a->mem_freed, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&a->mem_lock, NULL);
    return a;
}

static void free_queue(kaccum_batch *b)
{
    while (b) {
        kaccum_batch *next = b->next;
        batch_free(b);
        b = next;
    }
}

void kaccum_destroy(kaccum *a)
{
    if (!a) return;
    for (kaccum_part *p = a->parts, *next; p; p = next) {
        next = p->next;
        free_queue(p->head);
        pthread_mutex_destroy(&p->lock);
        free(p);
    }
    kaccum_trim(a);
    pthread_mutex_destroy(&a->mem_lock);
    pthread_cond_destroy(&a->mem_freed);
    free(a);
}

kaccum_part *kaccum_part_new(kaccum *a, void *ctx)
{
    /* A cache line (or more) of its own, so threads appending to different
     * partitions do not bounce each other's lock lines. */
    size_t size = (sizeof(kaccum_part) + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    kaccum_part *p = aligned_alloc(CACHE_LINE, size);
    if (!p) return NULL;
    memset(p, 0, size);
    atomic_init(&p->queued, 0);
    atomic_init(&p->out, 0);
    pthread_mutex_init(&p->lock, NULL);
    p->ctx = ctx;
    pthread_mutex_lock(&a->mem_lock);
    p->next = a->parts;
    a->parts = p;
    pthread_mutex_unlock(&a->mem_lock);
    return p;
}

/* Changes p->queued, p->lock held: only lock holders write it. */
static void queued_add(kaccum_part *p, int n)
{
    atomic_store_explicit(&p->queued, atomic_load_explicit(&p->queued, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

int kaccum_part_queued(kaccum_part *p)
{
    return atomic_load_explicit(&p->queued, memory_order_relaxed);
}

void kaccum_part_backlog(kaccum_part *p, int64_t *records, int64_t *bytes)
{
    int64_t n = 0, size = 0;
    pthread_mutex_lock(&p->lock);
    for (const kaccum_batch *b = p->head; b; b = b->next) {
        n += kaccum_batch_count(b);
        size += (int64_t)kaccum_batch_size(b);
    }
    pthread_mutex_unlock(&p->lock);
    *records = n;
    *bytes = size;
}

int64_t kaccum_part_oldest_ms(kaccum_part *p)
{
    pthread_mutex_lock(&p->lock);
    int64_t at = p->head ? p->head->created_ms : INT64_MAX;
    pthread_mutex_unlock(&p->lock);
    return at;
}

void *kaccum_part_ctx(const kaccum_part *p)
{
    return p->ctx;
}

void kaccum_part_set_sequence(kaccum_part *p, int32_t next_sequence)
{
    pthread_mutex_lock(&p->lock);
    p->next_sequence = next_sequence;
    pthread_mutex_unlock(&p->lock);
}

void kaccum_part_stop_growing(kaccum_part *p)
{
    pthread_mutex_lock(&p->lock);
    p->no_grow = true;
    pthread_mutex_unlock(&p->lock);
}

void kaccum_part_hold_new(kaccum_part *p, bool hold)
{
    pthread_mutex_lock(&p->lock);
    p->hold_new = hold;
    pthread_mutex_unlock(&p->lock);
}

/* p's batch the drain would take next: its head, unless new batches are
 * held and the head is one. p->lock held. */
static kaccum_batch *drainable_head(const kaccum_part *p)
{
    kaccum_batch *b = p->head;
    return b && p->hold_new && !b->drained_nth ? NULL : b;
}

int64_t kaccum_report_bytes(kaccum *a)
{
    pthread_mutex_lock(&a->mem_lock);
    int64_t r = a->report_bytes;
    pthread_mutex_unlock(&a->mem_lock);
    return r;
}

int64_t kaccum_reserved_bytes(kaccum *a)
{
    pthread_mutex_lock(&a->mem_lock);
    int64_t r = a->reserved + a->report_bytes;
    pthread_mutex_unlock(&a->mem_lock);
    return r;
}

void kaccum_set_held(kaccum *a, bool held)
{
    atomic_store_explicit(&a->held, held, memory_order_relaxed);
}

void kaccum_flush_begin(kaccum *a)
{
    atomic_fetch_add(&a->flushing, 1);
}

void kaccum_flush_end(kaccum *a)
{
    atomic_fetch_sub(&a->flushing, 1);
}

void kaccum_close(kaccum *a)
{
    atomic_store(&a->closing, true);
    pthread_mutex_lock(&a->mem_lock);
    pthread_cond_broadcast(&a->mem_freed);
    pthread_mutex_unlock(&a->mem_lock);
}

/* ------------------------------------------------------------- memory */

/* Whether `bytes` more would go past buffer.memory; mem_lock held. */
static bool mem_short(const kaccum *a, int64_t bytes)
{
    return a->reserved + a->report_bytes + bytes > a->conf.buffer_memory;
}

/* Waits, mem_lock held, until `bytes` fit in buffer.memory, the deadline
 * passes or the accumulator closes. */
static kfk_err wait_for_memory(kaccum *a, int64_t bytes, bool reports_served)
{
    if (a->conf.max_block_ms == 0) return KFK_ERR_QUEUE_FULL;
    /* max.block.ms may be up to INT64_MAX: cap the wait at ~146 years. */
    int64_t wait_ns = a->conf.max_block_ms > INT64_MAX / 4 / KTIME_NS_PER_MS
                          ? INT64_MAX / 4
                          : a->conf.max_block_ms * KTIME_NS_PER_MS;
    int64_t deadline_ns = ktime_mono_ns() + wait_ns;
    struct timespec ts = {(time_t)(deadline_ns / KTIME_NS_PER_S),
                          (long)(deadline_ns % KTIME_NS_PER_S)};
    atomic_fetch_add(&a->mem_waiters, 1);
    int rc = 0;
    /* Report blocks go back only when the application polls, maybe on
     * this very thread: wait only while batches could make the room. */
    while (a->reserved + a->report_bytes + bytes > a->conf.buffer_memory &&
           (reports_served || a->report_bytes + bytes <= a->conf.buffer_memory) &&
           !atomic_load(&a->closing) && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&a->mem_freed, &a->mem_lock, &ts);
    atomic_fetch_sub(&a->mem_waiters, 1);
    if (atomic_load(&a->closing)) return KFK_ERR_DESTROYED;
    return mem_short(a, bytes) ? KFK_ERR_QUEUE_FULL : KFK_OK;
}

static size_t batch_capacity(const kaccum_batch *b)
{
    return b->buf.cap + b->out.cap;
}

static void unreserve(kaccum *a, int64_t bytes)
{
    pthread_mutex_lock(&a->mem_lock);
    a->reserved -= bytes;
    if (atomic_load(&a->mem_waiters) > 0) pthread_cond_broadcast(&a->mem_freed);
    pthread_mutex_unlock(&a->mem_lock);
}

/* Reserves `extra` more bytes of buffer.memory for b when there is room
 * now; never waits. */
static bool reserve_more(kaccum *a, kaccum_batch *b, int64_t extra)
{
    if (extra <= 0) return true;
    pthread_mutex_lock(&a->mem_lock);
    bool ok = !mem_short(a, extra);
    if (ok) a->reserved += extra;
    pthread_mutex_unlock(&a->mem_lock);
    if (ok) b->reserved += extra;
    return ok;
}

/* The capacity a buffer grows to for `need` more bytes, within bound
 * where it can. A batch's buffer starts small and grows by half, not to
 * batch.size at once nor by doubling: with many partitions each getting
 * a few records, a batch.size buffer per partition (or one left up to
 * half empty by doubling) would hold far more memory than the records.
 * Pooled batches keep their capacity, so a busy partition's appends
 * reallocate nothing. */
static size_t grown_cap(const kbuf *buf, size_t need, size_t bound)
{
    size_t want = buf->len + need;
    size_t cap = buf->cap + buf->cap / 2;
    if (cap < want) cap = want;
    if (cap > bound) cap = bound > want ? bound : want;
    return cap;
}

static int buf_resize(kbuf *buf, size_t cap)
{
    if (buf->len == 0) { /* nothing to keep: no copy of the old bytes */
        free(buf->data);
        buf->data = NULL;
        buf->cap = 0;
    }
    uint8_t *p = realloc(buf->data, cap);
    if (!p) return -1;
    buf->data = p;
    buf->cap = cap;
    return 0;
}

/* Grows open batch b's buffer to at least cap bytes, reserving what it
 * takes past b's reservation first: 0, or -1 when out of memory, or 1
 * when buffer.memory has no room for it now. A batch reserves what its
 * buffer holds, so that buffer.memory counts the memory records take: a
 * batch with one record holds 1 KiB of it, not batch.size. */
static int batch_resize(kaccum *a, kaccum_batch *b, size_t cap)
{
    int64_t extra = (int64_t)cap - b->reserved;
    if (!reserve_more(a, b, extra)) return 1;
    if (b->buf.cap >= cap || buf_resize(&b->buf, cap) == 0) return 0;
    if (extra > 0) {
        unreserve(a, extra);
        b->reserved -= extra;
    }
    return -1;
}

/* Makes room in open batch b's buffer for `need` more bytes, within bound
 * where it can; as batch_resize returns. */
static int batch_room(kaccum *a, kaccum_batch *b, size_t need, size_t bound)
{
    if (b->buf.cap - b->buf.len >= need) return 0;
    return batch_resize(a, b, grown_cap(&b->buf, need, bound));
}

/* Readies a fresh or pooled batch, `reserved` bytes of buffer.memory
 * held for it: its buffer takes them at once (a pooled one may hold them
 * already). */
static int batch_prepare(kaccum *a, kaccum_batch *b, int64_t reserved)
{
    kbuf_reset(&b->buf);
    kbuf_reset(&b->out);
    if (b->buf.cap < (size_t)reserved && buf_resize(&b->buf, (size_t)reserved)) return -1;
    /* As many entries as the last done batch had: report blocks leave
     * with their batches, and a fresh one grown by doubling would be
     * copied at each step. Empty, so replaced rather than copied. */
    uint32_t want = atomic_load_explicit(&a->msgs_hint, memory_order_relaxed);
    if (want < a->msgs_initial) want = a->msgs_initial;
    if (b->msgs_cap < want) {
        free(msgs_block(b->msgs));
        b->msgs = NULL;
        b->msgs_cap = 0;
        if (msgs_resize(b, want)) return -1;
    }
    b->reserved = reserved;
    return 0;
}

/* Capacity up to which a released batch goes to the normal pool: a
 * batch.size buffer and the slack of its growth. */
static size_t normal_cap(const kaccum *a)
{
    return 4 * (a->writer_max > 4096 ? a->writer_max : 4096);
}

/* Takes a pooled batch for a reservation of `bytes`, mem_lock held: a big
 * one only for a big reservation, whose buffer it fits without a copy. */
static kaccum_batch *pool_take(kaccum *a, int64_t bytes)
{
    kaccum_batch *b;
    if ((size_t)bytes > normal_cap(a) && (b = a->big_pool)) {
        a->big_pool = b->next;
        a->big_pool_n--;
    } else if ((b = a->pool)) {
        a->pool = b->next;
        a->pool_n--;
    } else {
        return NULL;
    }
    a->pooled_bytes -= batch_capacity(b);
    return b;
}

/* Reserves `bytes` of buffer.memory and takes a batch from the pool (or
 * allocates one) whose buffer holds at least that much. May block. A
 * larger `hint` (a backed-up partition's, see grow_hint) is reserved
 * instead when buffer.memory has room for it then, and bounds the batch;
 * it never makes the append wait longer. */
static kfk_err batch_get(kaccum *a, int64_t bytes, int64_t hint, const kaccum_rec *rec,
                         kaccum_batch **out)
{
    bool served = false, waking = false;
    if (kaccum_reserved_bytes(a) + bytes > a->conf.buffer_memory) { /* may wait: no lock held */
        if (rec->reports_served) served = rec->reports_served(rec->reports_ctx);
        if (rec->waiting && a->conf.max_block_ms > 0) {
            atomic_fetch_add(&a->mem_waiters, 1); /* every batch is ready from now */
            waking = true;
            rec->waiting(rec->reports_ctx);
        }
    }
    pthread_mutex_lock(&a->mem_lock);
    kfk_err err = KFK_OK;
    if (mem_short(a, bytes)) err = wait_for_memory(a, bytes, served);
    if (!err && hint > bytes && !mem_short(a, hint)) bytes = hint;
    bool grown = (size_t)bytes > a->writer_max; /* bounded by its reservation */
    kaccum_batch *b = NULL;
    kaccum_msgs *m = NULL;
    if (!err) {
        b = pool_take(a, bytes);
        /* A pooled buffer larger than the reservation: all of it is
         * reserved when there is room (a grown batch may then fill it),
         * else it is dropped, so that no buffer holds more than is
         * counted. */
        if (b && b->buf.cap > (size_t)bytes) {
            if (!mem_short(a, (int64_t)b->buf.cap))
                bytes = (int64_t)b->buf.cap;
            else
                kbuf_free(&b->buf);
        }
        a->reserved += bytes;
        if ((!b || !b->msgs) && (m = a->msgs_pool)) {
            a->msgs_pool = m->next;
            a->msgs_pool_n--;
        }
    }
    pthread_mutex_unlock(&a->mem_lock);
    if (waking) atomic_fetch_sub(&a->mem_waiters, 1);
    if (err) return err;
    if (!b) b = calloc(1, sizeof(*b));
    if (b && m) {
        b->msgs = m->m;
        b->msgs_cap = m->cap;
    } else {
        free(m);
    }
    if (b && batch_prepare(a, b, bytes)) {
        batch_free(b);
        b = NULL;
    }
    if (b) b->bound = grown ? (size_t)bytes : a->writer_max;
    if (!b) {
        unreserve(a, bytes);
        return KFK_ERR_NO_MEMORY;
    }
    *out = b;
    return KFK_OK;
}

/* b is back from the sender (answered, or going back in the queue). */
static void batch_back(kaccum_batch *b)
{
    if (!b->sent) return;
    b->sent = false;
    atomic_fetch_sub_explicit(&b->part->out, 1, memory_order_relaxed);
}

void kaccum_batch_release(kaccum *a, kaccum_batch *b)
{
    batch_back(b);
    pthread_mutex_lock(&a->mem_lock);
    a->reserved -= b->reserved;
    b->reserved = 0;
    if (atomic_load(&a->mem_waiters) > 0) pthread_cond_broadcast(&a->mem_freed);
    /* Pool the batch only while reserved plus pooled bytes stay within
     * buffer.memory, as Java's BufferPool counts its free list: the pool
     * must not hold the memory the bound is meant to cap. New batches come
     * from the pool first, so memory grows only when the pool is empty. */
    size_t cap = batch_capacity(b);
    bool normal = b->buf.cap <= normal_cap(a), big = !normal && b->buf.cap <= a->grow_max;
    bool room = a->reserved + (int64_t)(a->pooled_bytes + cap) <= a->conf.buffer_memory;
    if (room && normal && a->pool_n < POOL_MAX) {
        b->next = a->pool;
        a->pool = b;
        a->pool_n++;
        a->pooled_bytes += cap;
        b = NULL;
    } else if (room && big && a->big_pool_n < BIG_POOL_MAX) {
        b->next = a->big_pool;
        a->big_pool = b;
        a->big_pool_n++;
        a->pooled_bytes += cap;
        b = NULL;
    }
    pthread_mutex_unlock(&a->mem_lock);
    if (b) batch_free(b);
}

void kaccum_trim(kaccum *a)
{
    pthread_mutex_lock(&a->mem_lock);
    kaccum_batch *pool = a->pool, *big = a->big_pool;
    kaccum_msgs *msgs = a->msgs_pool;
    a->pool = a->big_pool = NULL;
    a->pool_n = a->big_pool_n = 0;
    a->pooled_bytes = 0;
    a->msgs_pool = NULL;
    a->msgs_pool_n = 0;
    pthread_mutex_unlock(&a->mem_lock);
    free_queue(pool);
    free_queue(big);
    for (kaccum_msgs *m = msgs, *next; m; m = next) {
        next = m->next;
        free(m);
    }
}

/* ------------------------------------------------------------- append */

/* kfk_err values are all >= -1 or <= -100: this one is internal. */
#define NEED_BATCH ((kfk_err)(-99))

/* Whether p is backed up, p->lock held: batches queued ahead of open (its
 * open batch, or NULL) wait for the sender, the accumulator is held, or a
 * batch of p is still unanswered. */
static bool backed_up(kaccum *a, const kaccum_part *p, const kaccum_batch *open)
{
    return p->head != open || atomic_load_explicit(&a->held, memory_order_relaxed) ||
           atomic_load_explicit(&p->out, memory_order_relaxed) > 0;
}

/* Lets p's open batch b take `need` more bytes past its bound, p->lock
 * held. Only while p is backed up: batches queued ahead of b wait for the
 * sender (all of max.in.flight.requests.per.connection is in use), the
 * accumulator is held, or p's last batch is still unanswered, so its
 * records arrive faster than the broker acknowledges them. Growing b
 * instead sends the records in fewer, larger batches (and requests), as
 * librdkafka and franz-go size batches; a partition whose answers come
 * back before batch.size fills still gets batch.size batches, and a
 * growing batch still goes at linger.ms. The bound doubles, at most to
 * grow_max, and only with buffer.memory to spare: this never blocks. */
static bool try_grow(kaccum *a, kaccum_part *p, kaccum_batch *b, size_t need)
{
    size_t limit = b->w.max_bytes, size = kaccum_batch_size(b);
    if (!backed_up(a, p, b) || p->no_grow || limit >= a->grow_max || size + need > a->grow_max)
        return false;
    size_t next = limit * 2 < size + need ? size + need : limit * 2;
    if (next > a->grow_max) next = a->grow_max;
    /* The buffer takes the new bound at once: growing it by half
     * (batch_room) or by doubling (the writer's kbuf) would copy the batch
     * more often, or hold more than the reservation counts. */
    if (batch_resize(a, b, next) != 0) return false;
    b->w.max_bytes = next;
    return true;
}

/* Seals p's open batch b when no further record could fit (and it may
 * not grow). */
static void seal_if_full(kaccum *a, kaccum_part *p, kaccum_batch *b, kaccum_appended *res)
{
    /* Every batch is begun with writer_max (>= 1) as its bound; growing
     * raises it. */
    if (kaccum_batch_size(b) + MIN_RECORD_BYTES > b->w.max_bytes &&
        !try_grow(a, p, b, MIN_RECORD_BYTES)) {
        b->sealed = true;
        res->ready = true;
    }
}

/* Writes rec into batch b, which has room for its report entry. */
static kfk_err write_record(kaccum_batch *b, const kaccum_rec *rec)
{
    kfk_err err = kbatch_writer_append(&b->w, rec->timestamp, rec->key, rec->value, rec->headers,
                                       rec->n_headers);
    if (!err) b->msgs[b->w.count - 1] = (kaccum_msg){rec->opaque, rec->timestamp};
    return err;
}

/* Bytes rec would add to batch b. */
static size_t record_size(const kaccum_batch *b, const kaccum_rec *rec)
{
    /* Unsigned: the delta wraps as the batch writer's does. */
    int64_t ts_delta = (int64_t)((uint64_t)rec->timestamp - (uint64_t)b->w.base_timestamp);
    return kbatch_record_size(b->w.count, ts_delta, rec->key, rec->value, rec->headers,
                              rec->n_headers);
}

/* Appends to p's open batch, p->lock held. NEED_BATCH when there is no
 * open batch or the record does not fit (the open batch is then sealed). */
static kfk_err append_to_open(kaccum *a, kaccum_part *p, const kaccum_rec *rec,
                              kaccum_appended *res)
{
    kaccum_batch *b = p->tail;
    if (!b || b->sealed) return NEED_BATCH;
    if (b->w.count == (int32_t)b->msgs_cap && msgs_resize(b, b->msgs_cap * 2))
        return KFK_ERR_NO_MEMORY;
    /* Room within the batch's bound; past it the writer refuses the
     * record (TOO_LARGE) and try_grow decides. No record without headers
     * has more than 64 bytes of framing. */
    size_t need = rec->key.len + rec->value.len + 64;
    if (rec->n_headers || b->buf.cap - b->buf.len < need) {
        size_t exact = record_size(b, rec);
        int room =
            b->buf.len + exact <= b->w.max_bytes ? batch_room(a, b, exact, b->w.max_bytes) : 0;
        if (room < 0) return KFK_ERR_NO_MEMORY;
        if (room > 0) { /* no memory to grow: a new batch waits for it */
            b->sealed = true;
            res->ready = true;
            return NEED_BATCH;
        }
    }
    size_t before = b->buf.len;
    kfk_err err = write_record(b, rec);
    if (err == KFK_ERR_TOO_LARGE && try_grow(a, p, b, record_size(b, rec)))
        err = write_record(b, rec);
    if (err == KFK_ERR_TOO_LARGE) {
        b->sealed = true;
        res->ready = true;
        return NEED_BATCH;
    }
    if (err) return err;
    res->bytes = b->buf.len - before;
    seal_if_full(a, p, b, res);
    res->batch_full = b->sealed;
    return KFK_OK;
}

/* Starts batch b with rec as its first record and queues it on p, p->lock
 * held. */
static kfk_err open_batch(kaccum *a, kaccum_part *p, kaccum_batch *b, const kaccum_rec *rec,
                          int64_t now_ms, kaccum_appended *res)
{
    kfk_err err = kbatch_writer_begin(&b->w, &b->buf, 0, rec->timestamp, KBATCH_NO_PRODUCER_ID, -1,
                                      KBATCH_NO_SEQUENCE, a->conf.batch_flags, b->bound);
    if (!err) err = write_record(b, rec);
    if (err) return err;
    b->part = p;
    b->created_ms = now_ms;
    b->base_sequence = KBATCH_NO_SEQUENCE;
    b->retry_at_ms = 0;
    b->drained_nth = 0;
    b->drained_sub = 0;
    b->producer_id = -1;
    b->producer_epoch = -1;
    b->sends = 0;
    b->maybe_written = false;
    b->seq_reset = false;
    b->sealed = false;
    b->sent = false;
    b->next = NULL;
    if (p->tail)
        p->tail->next = b;
    else
        p->head = b;
    p->tail = b;
    queued_add(p, 1);
    res->bytes = kaccum_batch_size(b);
    res->new_batch = true;
    seal_if_full(a, p, b, res);
    res->batch_full = b->sealed;
    return KFK_OK;
}

/* The slow path: reserve memory for a new batch without p->lock (this may
 * block), then take the lock again. Another thread may have opened a batch
 * meanwhile; the record goes there if it fits, and ours goes back. */
static kfk_err append_new_batch(kaccum *a, kaccum_part *p, const kaccum_rec *rec, int64_t now_ms,
                                size_t hint, kaccum_appended *res)
{
    int64_t need = KBATCH_HEADER_SIZE + (int64_t)kbatch_record_size(0, 0, rec->key, rec->value,
                                                                    rec->headers, rec->n_headers);
    if ((a->conf.max_record_bytes && need > a->conf.max_record_bytes) ||
        need > a->conf.buffer_memory)
        return KFK_ERR_TOO_LARGE;
    kaccum_batch *b;
    /* A batch reserves its buffer's first size; more as it grows. */
    int64_t size = a->writer_max < BUF_INITIAL ? (int64_t)a->writer_max : BUF_INITIAL;
    kfk_err err = batch_get(a, need > size ? need : size, (int64_t)hint, rec, &b);
    if (err) return err;
    pthread_mutex_lock(&p->lock);
    kaccum_appended mid = *res;
    if (atomic_load(&a->closing))
        err = KFK_ERR_DESTROYED;
    else if ((err = append_to_open(a, p, rec, &mid)) == NEED_BATCH &&
             !(err = open_batch(a, p, b, rec, now_ms, &mid)))
        b = NULL; /* queued: p owns it now */
    pthread_mutex_unlock(&p->lock);
    if (b) kaccum_batch_release(a, b);
    if (!err) *res = mid;
    return err;
}

kfk_err kaccum_append(kaccum *a, kaccum_part *p, const kaccum_rec *rec, int64_t now_ms,
                      kaccum_appended *res)
{
    *res = (kaccum_appended){0};
    if (atomic_load_explicit(&a->closing, memory_order_relaxed)) return KFK_ERR_DESTROYED;
    pthread_mutex_lock(&p->lock);
    kfk_err err = append_to_open(a, p, rec, res);
    size_t hint = err == NEED_BATCH && !p->no_grow && backed_up(a, p, NULL) ? p->grow_hint : 0;
    pthread_mutex_unlock(&p->lock);
    if (err != NEED_BATCH) return err;
    return append_new_batch(a, p, rec, now_ms, hint, res);
}

/* -------------------------------------------------------------- drain */

/* Kafka's sequence arithmetic: sequences wrap from INT32_MAX to 0
 * (DefaultRecordBatch.incrementSequence). */
static int32_t sequence_add(int32_t seq, int32_t n)
{
    return seq > INT32_MAX - n ? n - (INT32_MAX - seq) - 1 : seq + n;
}

/* Whether everything queued is ready whatever its age. */
static bool all_ready(kaccum *a)
{
    return atomic_load(&a->flushing) > 0 || atomic_load(&a->closing) ||
           atomic_load(&a->mem_waiters) > 0;
}

bool kaccum_all_ready(kaccum *a)
{
    return all_ready(a);
}

/* When the partition's head batch b will be ready: Java's
 * RecordAccumulator.ready(), where a batch in retry backoff waits even
 * through a flush. */
static int64_t batch_ready_at(const kaccum *a, const kaccum_batch *b, int64_t now_ms, bool all)
{
    if (b->retry_at_ms > now_ms) return b->retry_at_ms;
    if (b->sealed || all) return now_ms;
    /* linger.ms may be up to INT64_MAX: saturate rather than wrap. */
    int64_t at = b->created_ms > INT64_MAX - a->conf.linger_ms ? INT64_MAX
                                                               : b->created_ms + a->conf.linger_ms;
    return at > now_ms ? at : now_ms;
}

/* Takes p's head batch, p->lock held. */
static kaccum_batch *take_head(kaccum_part *p)
{
    queued_add(p, -1);
    kaccum_batch *b = p->head;
    p->head = b->next;
    if (!p->head) p->tail = NULL;
    b->next = NULL;
    b->sealed = true;
    return b;
}

/* The bound growing would have reached for a batch of `size` bytes (the
 * doubling try_grow does), or 0 when it fits batch.size: what the next
 * batch of a backed-up partition reserves, so that a slower partition's
 * hint shrinks with its batches. */
static size_t grown_bound(const kaccum *a, size_t size)
{
    if (size <= a->writer_max || a->grow_max <= a->writer_max) return 0;
    size_t bound = a->writer_max;
    while (bound < size && bound < a->grow_max)
        bound = bound * 2 < a->grow_max ? bound * 2 : a->grow_max;
    return bound;
}

/* Takes p's head batch into out when it may go now (ready, or lingering
 * when ride is set) and fits (the first one, got 0, always does). */
static bool drain_one(kaccum *a, kaccum_part *p, int64_t now_ms, bool all, bool ride,
                      size_t max_bytes, size_t got, size_t *bytes, kaccum_list *out)
{
    pthread_mutex_lock(&p->lock);
    kaccum_batch *b = drainable_head(p);
    int64_t at = b ? batch_ready_at(a, b, now_ms, all) : INT64_MAX;
    /* a lingering batch rides along, one in retry backoff never does */
    bool ready = b && (at <= now_ms || (ride && b->retry_at_ms <= now_ms));
    bool fits = ready && (got == 0 || *bytes + kaccum_batch_size(b) <= max_bytes);
    if (fits) {
        take_head(p);
        b->sent = true;
        p->grow_hint = grown_bound(a, kaccum_batch_size(b));
        atomic_fetch_add_explicit(&p->out, 1, memory_order_relaxed);
        if (!b->drained_nth) {
            b->base_sequence = p->next_sequence;
            p->next_sequence = sequence_add(p->next_sequence, b->w.count);
            b->drained_nth = ++p->drained;
        }
    }
    pthread_mutex_unlock(&p->lock);
    if (!fits) return false;
    *bytes += kaccum_batch_size(b);
    list_push(out, b);
    return true;
}

size_t kaccum_drain(kaccum *a, kaccum_part *const *parts, size_t n, size_t start, int64_t now_ms,
                    size_t max_bytes, kaccum_list *out)
{
    bool all = all_ready(a);
    size_t got = 0, bytes = 0, first = n;
    /* Once a batch is ready the request goes to the broker anyway: the
     * partitions' batches still lingering join it (as Java's drain does),
     * rather than each taking a request of its own moments later. Those
     * passed over before the first ready one get a second visit. */
    for (size_t i = 0; i < n + (got ? first : 0); i++) {
        if (!drain_one(a, parts[(start + i) % n], now_ms, all, got > 0, max_bytes, got, &bytes,
                       out))
            continue;
        if (got++ == 0) first = i;
    }
    return got;
}

int64_t kaccum_next_ready_ms(kaccum *a, kaccum_part *const *parts, size_t n, int64_t now_ms)
{
    bool all = all_ready(a);
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < n && next > now_ms; i++) {
        pthread_mutex_lock(&parts[i]->lock);
        kaccum_batch *b = drainable_head(parts[i]);
        if (b) {
            int64_t at = batch_ready_at(a, b, now_ms, all);
            if (at < next) next = at;
        }
        pthread_mutex_unlock(&parts[i]->lock);
    }
    return next;
}

int64_t kaccum_oldest_ms(kaccum *a, kaccum_part *const *parts, size_t n)
{
    (void)a;
    int64_t oldest = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&parts[i]->lock);
        if (parts[i]->head && parts[i]->head->created_ms < oldest)
            oldest = parts[i]->head->created_ms;
        pthread_mutex_unlock(&parts[i]->lock);
    }
    return oldest;
}

/* Whether x went out before y: drain order, then (pieces of one split
 * batch) record order. */
static bool drained_before(const kaccum_batch *x, const kaccum_batch *y)
{
    return x->drained_nth < y->drained_nth ||
           (x->drained_nth == y->drained_nth && x->drained_sub < y->drained_sub);
}

void kaccum_reenqueue(kaccum *a, kaccum_batch *b, int64_t retry_at_ms)
{
    (void)a;
    kaccum_part *p = b->part;
    batch_back(b);
    b->retry_at_ms = retry_at_ms;
    pthread_mutex_lock(&p->lock);
    /* Before the first batch drained after it, or never drained. */
    kaccum_batch **at = &p->head;
    while (*at && (*at)->drained_nth && drained_before(*at, b))
        at = &(*at)->next;
    b->next = *at;
    *at = b;
    if (!b->next) p->tail = b;
    queued_add(p, 1);
    pthread_mutex_unlock(&p->lock);
}

size_t kaccum_expire(kaccum *a, kaccum_part *const *parts, size_t n, int64_t now_ms,
                     int64_t timeout_ms, kaccum_list *out)
{
    (void)a;
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
        kaccum_part *p = parts[i];
        pthread_mutex_lock(&p->lock);
        /* Java's hasReachedDeliveryTimeout: timeout <= now - created. */
        while (p->head && now_ms - p->head->created_ms >= timeout_ms) {
            list_push(out, take_head(p));
            got++;
        }
        pthread_mutex_unlock(&p->lock);
    }
    return got;
}

size_t kaccum_purge(kaccum *a, kaccum_part *const *parts, size_t n, kaccum_list *out)
{
    (void)a;
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
        kaccum_part *p = parts[i];
        pthread_mutex_lock(&p->lock);
        kaccum_batch *b = p->head;
        p->head = p->tail = NULL;
        atomic_store_explicit(&p->queued, 0, memory_order_relaxed);
        pthread_mutex_unlock(&p->lock);
        while (b) {
            kaccum_batch *next = b->next;
            b->sealed = true;
            list_push(out, b);
            got++;
            b = next;
        }
    }
    return got;
}

kfk_err kaccum_batch_finish(kaccum_batch *b, int64_t producer_id, int16_t producer_epoch,
                            kcodec codec, int level, kslice *wire)
{
    b->w.producer_id = producer_id < 0 ? KBATCH_NO_PRODUCER_ID : producer_id;
    b->w.producer_epoch = producer_id < 0 ? -1 : producer_epoch;
    b->w.base_sequence = producer_id < 0 ? KBATCH_NO_SEQUENCE : b->base_sequence;
    kbuf_reset(&b->out);
    return kbatch_writer_finish(&b->w, codec, level, &b->out, wire);
}

/* ------------------------------------------------------------- split */

/* Appends rec, read from a batch, to w. */
static kfk_err copy_record(kbatch_writer *w, const krecord *rec)
{
    krecord_header stack[8], *h = stack;
    size_t n = rec->header_count > 0 ? (size_t)rec->header_count : 0;
    if (n > 8 && !(h = malloc(n * sizeof(*h)))) return KFK_ERR_NO_MEMORY;
    krecord_header_iter it = krecord_headers(rec);
    for (size_t i = 0; i < n && krecord_header_next(&it, &h[i]); i++)
        ;
    kfk_err err = kbatch_writer_append(w, rec->timestamp, rec->key, rec->value, h, n);
    if (h != stack) free(h);
    return err;
}

/* Rewrites the records of the finished batch `wire` into two batches: the
 * first k into w1 over buf1, the rest into w2 over buf2. */
static kfk_err rewrite_halves(kslice wire, int32_t k, uint16_t flags, kbatch_writer *w1, kbuf *buf1,
                              kbatch_writer *w2, kbuf *buf2)
{
    kreader r = kreader_of(wire.ptr, wire.len);
    kbatch hdr;
    krecord_iter it;
    kbuf scratch = {0}; /* unused: the batch is not compressed */
    if (kbatch_parse_header(&r, &hdr) ||
        krecord_iter_init(&it, &hdr, &(kbatch_read_opts){0}, &scratch))
        return KFK_ERR_MALFORMED;
    kfk_err err = KFK_OK;
    krecord rec;
    for (int32_t i = 0; !err && i < hdr.record_count; i++) {
        if (!krecord_iter_next(&it, &rec)) {
            err = KFK_ERR_MALFORMED;
            break;
        }
        kbatch_writer *w = i < k ? w1 : w2;
        if (i == 0 || i == k)
            err = kbatch_writer_begin(w, i < k ? buf1 : buf2, 0, rec.timestamp,
                                      KBATCH_NO_PRODUCER_ID, -1, KBATCH_NO_SEQUENCE, flags, 0);
        if (!err) err = copy_record(w, &rec);
    }
    kbuf_free(&scratch);
    return err;
}

kfk_err kaccum_split(kaccum *a, kaccum_batch *b, kaccum_batch **second)
{
    (void)a;
    int32_t n = b->w.count, k = n / 2;
    if (n < 2) return KFK_ERR_STATE;
    kaccum_batch *t = calloc(1, sizeof(*t));
    kaccum_msg *msgs = t && !msgs_resize(t, (uint32_t)(n - k)) ? t->msgs : NULL;
    kbuf first = {0};
    kbatch_writer w1, w2;
    kslice wire;
    /* Sealed again uncompressed, in place: the records in wire form. */
    kfk_err err =
        msgs ? kbatch_writer_finish(&b->w, KCODEC_NONE, -1, NULL, &wire) : KFK_ERR_NO_MEMORY;
    if (!err)
        err = rewrite_halves(wire, k, b->w.flags & KBATCH_ATTR_TRANSACTIONAL, &w1, &first, &w2,
                             &t->buf);
    if (err) {
        kbuf_free(&first);
        if (t) kbuf_free(&t->buf);
        free(msgs_block(msgs));
        free(t);
        return err == KFK_ERR_MALFORMED ? KFK_ERR_STATE : err;
    }
    memcpy(msgs, b->msgs + k, (size_t)(n - k) * sizeof(*msgs));
    kbuf_free(&b->buf);
    b->buf = first;
    b->w = w1;
    b->w.buf = &b->buf;
    kbuf_reset(&b->out); /* compressed bytes of the whole batch */
    t->w = w2;
    t->w.buf = &t->buf;
    t->part = b->part;
    t->created_ms = b->created_ms;
    t->retry_at_ms = b->retry_at_ms;
    t->drained_nth = b->drained_nth;
    t->drained_sub = b->drained_sub + (uint32_t)k;
    t->base_sequence = b->base_sequence == KBATCH_NO_SEQUENCE ? KBATCH_NO_SEQUENCE
                                                              : sequence_add(b->base_sequence, k);
    t->producer_id = b->producer_id;
    t->producer_epoch = b->producer_epoch;
    t->sends = b->sends;
    t->maybe_written = b->maybe_written;
    t->seq_reset = b->seq_reset;
    t->sealed = true;
    t->reserved = b->reserved / 2;
    b->reserved -= t->reserved;
    *second = t;
    return KFK_OK;
}

/* ------------------------------------------------------ report blocks */

kaccum_msgs *kaccum_batch_take_msgs(kaccum *a, kaccum_batch *b)
{
    kaccum_msgs *m = msgs_block(b->msgs);
    m->n = b->w.count;
    atomic_store_explicit(&a->msgs_hint, (uint32_t)m->n, memory_order_relaxed);
    b->msgs = NULL;
    b->msgs_cap = 0;
    pthread_mutex_lock(&a->mem_lock);
    a->report_bytes += (int64_t)msgs_bytes(m);
    pthread_mutex_unlock(&a->mem_lock);
    return m;
}

void kaccum_msgs_give(kaccum *a, kaccum_msgs *m)
{
    pthread_mutex_lock(&a->mem_lock);
    a->report_bytes -= (int64_t)msgs_bytes(m);
    if (atomic_load(&a->mem_waiters) > 0) pthread_cond_broadcast(&a->mem_freed);
    /* Kept like batches: only while the pool stays within buffer.memory. */
    bool keep = a->msgs_pool_n < POOL_MAX &&
                a->reserved + a->report_bytes + (int64_t)(a->pooled_bytes + msgs_bytes(m)) <=
                    a->conf.buffer_memory;
    if (keep) {
        m->next = a->msgs_pool;
        a->msgs_pool = m;
        a->msgs_pool_n++;
    }
    pthread_mutex_unlock(&a->mem_lock);
    if (!keep) free(m);
}
