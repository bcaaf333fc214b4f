/* The record accumulator: per-partition queues of record batches that
 * application threads append to and I/O threads drain.
 *
 * A record is written once, in its final wire form, into its partition's
 * open batch (a kbatch_writer over a kbuf that starts small and grows by
 * half up to batch.size, so thinly spread records hold little memory), and
 * its delivery-report data (opaque, timestamp) goes into the batch's
 * compact array. Batches and their buffers are pooled, so steady-state
 * appends allocate nothing. A record that does not fit seals the open
 * batch and starts the next; a record larger than batch.size gets a batch
 * of its own.
 *
 * A batch is ready to drain when it is sealed (full), when linger.ms has
 * passed since its first record, or when a flush, close or a producer
 * blocked for buffer memory wants everything out now (Java treats a
 * blocked allocation the same way: waiting longer would only starve it).
 * Compression is not done here: the I/O thread does it when it finishes
 * a drained batch (kaccum_batch_finish), off the application's thread.
 *
 * Memory: buffer.memory bounds the bytes reserved by all batches not yet
 * released (a batch reserves max(batch.size, its first record) when it
 * opens, as Java's BufferPool does; batch.size is capped at
 * max.request.size) plus the report blocks taken from done batches and
 * not yet given back (kaccum_batch_take_msgs). An append that needs a new
 * batch past the bound fails at once with KFK_ERR_QUEUE_FULL when
 * max.block.ms is 0, else waits up to max.block.ms for memory to come
 * back, then fails with KFK_ERR_QUEUE_FULL. When the report blocks alone
 * leave no room it fails at once, unless the caller says that another
 * thread serves reports (kaccum_rec.reports_served): only the
 * application's poll gives them back, and the thread that would poll may
 * be the one waiting. (Unlike Java's pool, the waiters are not served in
 * arrival order: all wake and race.)
 *
 * A batch's life, for the sender: kaccum_drain -> kaccum_batch_finish ->
 * send -> either delivery reports (b->msgs, or its whole block taken with
 * kaccum_batch_take_msgs) and kaccum_batch_release, or kaccum_reenqueue
 * for a retry (it keeps its place and sequence).
 * kaccum_expire and kaccum_purge hand back queued batches to be failed.
 *
 * Ownership: the kaccum owns every kaccum_part and every batch still in a
 * partition's queue. A drained, expired or purged batch belongs to the
 * caller until it hands it back with kaccum_batch_release or
 * kaccum_reenqueue.
 *
 * Threads: kaccum_append may be called from any number of threads at
 * once; each partition has a mutex held only while a record is written
 * (never while blocking for memory). Drain, purge, next_ready_ms and
 * release may run on other threads at the same time. Clocks: `now_ms`
 * arguments are the monotonic clock in ms (ktime_mono_ms()), passed in so
 * tests can drive time; only the max.block.ms wait reads the real clock. */
#ifndef KFK_PRODUCER_ACCUMULATOR_H
#define KFK_PRODUCER_ACCUMULATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "codec/codec.h"
#include "kfk.h"
#include "proto/batch.h"

typedef struct kaccum kaccum;
typedef struct kaccum_part kaccum_part;

/* What the accumulator takes from the producer's configuration. */
typedef struct kaccum_conf {
    int64_t batch_size;       /* batch.size; 0: every record alone */
    int64_t linger_ms;        /* linger.ms */
    int64_t buffer_memory;    /* buffer.memory */
    int64_t max_block_ms;     /* max.block.ms */
    int64_t max_record_bytes; /* max.request.size: a larger record is TOO_LARGE, and batches
                               * stay within it (0: no bound) */
    uint16_t batch_flags;     /* KBATCH_ATTR_TRANSACTIONAL for a transactional producer, or 0 */
    bool grow;                /* a backed-up partition's open batch may grow past batch_size, up
                               * to max_record_bytes or 1 MiB, the lower */
} kaccum_conf;

/* A record to append. key/value ptr NULL: null. Everything is copied. */
typedef struct kaccum_rec {
    int64_t timestamp; /* ms since the epoch (CreateTime) */
    kslice key;
    kslice value;
    const krecord_header *headers;
    size_t n_headers;
    void *opaque; /* the application's per-record pointer, for its delivery report */
    /* Asked (with reports_ctx) only before an append would wait for
     * memory: whether another thread will serve reports, so that the
     * append may also wait for report blocks to come back, not only for
     * batches. NULL: no. */
    bool (*reports_served)(void *reports_ctx);
    /* Called (with reports_ctx, no lock held) before an append waits for
     * memory, once drain takes every batch (see kaccum_all_ready): the
     * caller wakes its senders, since lingering batches may hold the
     * memory the append waits for. NULL: nothing to wake. */
    void (*waiting)(void *reports_ctx);
    void *reports_ctx;
} kaccum_rec;

/* Per-record delivery-report data, in append order: record i of a batch
 * has offset base_offset + i once the broker acknowledges it. */
typedef struct kaccum_msg {
    void *opaque;
    int64_t timestamp;
} kaccum_msg;

/* The block a batch's msgs array lives in. When the batch is done the
 * producer takes the whole block for its delivery-report queue
 * (kaccum_batch_take_msgs) and fills in the header, so a report needs no
 * allocation and no copy; kaccum_msgs_give hands it back once the reports
 * were served. From take to give its bytes count under buffer.memory. */
typedef struct kaccum_msgs {
    struct kaccum_msgs *next; /* the holder's: a queue or the pool */
    void *part;               /* the holder's: the partition context */
    int64_t base_offset;
    int64_t log_append_ms;
    int32_t err;
    int32_t n;    /* entries in use */
    uint32_t cap; /* entries allocated */
    kaccum_msg m[];
} kaccum_msgs;

/* A batch. The fields are for the holder of a drained batch to read; the
 * accumulator writes them while the batch is queued. */
typedef struct kaccum_batch kaccum_batch;
struct kaccum_batch {
    kaccum_batch *next;    /* link in a partition queue or a kaccum_list */
    kaccum_part *part;     /* the partition it belongs to */
    kbatch_writer w;       /* over buf; w.count records */
    kbuf buf;              /* the batch, uncompressed, in wire form */
    kbuf out;              /* the compressed batch after kaccum_batch_finish */
    kaccum_msg *msgs;      /* w.count entries, the m of a kaccum_msgs block */
    uint32_t msgs_cap;     /* allocated entries */
    int64_t created_ms;    /* when its first record was appended (now_ms) */
    int64_t reserved;      /* bytes of buffer.memory it holds: its buffer's capacity or more
                            * (the halves of a split batch share the whole's) */
    size_t bound;          /* the writer's bound at open: batch.size, its first record, or a
                            * backed-up partition's grow_hint */
    int64_t retry_at_ms;   /* re-enqueued: not ready before this */
    uint64_t drained_nth;  /* its place in the partition's drain order (0: never drained) */
    uint32_t drained_sub;  /* split from a drained batch: the index there of its first record,
                            * which orders the pieces of one drained_nth */
    int32_t base_sequence; /* set at its first drain from the partition's next sequence */
    /* The producer id and epoch its sequences belong to: the sender's,
     * kept with the sequence across retries (the accumulator only clears
     * them at open). */
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t sends;      /* Produce requests that took it out (retries bounds them) */
    bool maybe_written; /* an attempt ended without an answer: the broker may hold it */
    bool seq_reset;     /* renumbered by an epoch bump (KIP-360) */
    bool sealed;        /* no more records go in */
    bool sent;          /* drained, and neither released nor re-enqueued since */
};

static inline int32_t kaccum_batch_count(const kaccum_batch *b)
{
    return b->w.count;
}

static inline size_t kaccum_batch_size(const kaccum_batch *b)
{
    return kbatch_writer_size(&b->w);
}

/* A list of batches, linked through their next fields; zero is empty. */
typedef struct kaccum_list {
    kaccum_batch *head, *tail;
    size_t n;
} kaccum_list;

/* Removes and returns the first batch, or NULL. */
kaccum_batch *kaccum_list_pop(kaccum_list *l);

/* Creates an accumulator. Returns NULL when memory runs out or conf is
 * invalid (negative sizes, buffer.memory below batch.size). */
kaccum *kaccum_new(const kaccum_conf *conf);

/* Frees a and every partition and queued batch (without delivery
 * reports: purge first to report them). Batches the caller still holds
 * must have been released. */
void kaccum_destroy(kaccum *a);

/* Adds a partition queue; ctx is the caller's (its topic-partition
 * object), returned by kaccum_part_ctx. NULL when memory runs out. */
kaccum_part *kaccum_part_new(kaccum *a, void *ctx);
void *kaccum_part_ctx(const kaccum_part *p);

/* How many batches wait in p's queue (the open one included): the queue
 * length KIP-794's adaptive partitioning weighs (kpartitioner_set_load).
 * A lock-free snapshot; any thread. */
int kaccum_part_queued(kaccum_part *p);

/* Records and bytes (batches' uncompressed sizes) in p's queue, the open
 * batch included, for statistics. Any thread; takes p's lock briefly. */
void kaccum_part_backlog(kaccum_part *p, int64_t *records, int64_t *bytes);

/* When the oldest batch in p's queue got its first record (now_ms clock),
 * INT64_MAX for an empty queue. Any thread; takes p's lock briefly. */
int64_t kaccum_part_oldest_ms(kaccum_part *p);

/* Sets the sequence the partition's next drained batch starts at
 * (KIP-360: after an epoch bump sequences restart at 0). */
void kaccum_part_set_sequence(kaccum_part *p, int32_t next_sequence);

/* While hold is set, drains and kaccum_next_ready_ms skip p's batches
 * that were never drained: only re-enqueued ones (retries, which keep
 * their sequences) may go. Idempotence sets it while a partition's
 * sequence state is unsettled (an epoch change waiting for older batches,
 * a batch given up with its outcome unknown). */
void kaccum_part_hold_new(kaccum_part *p, bool hold);

/* What an append did, for the caller to act on. */
typedef struct kaccum_appended {
    size_t bytes;    /* bytes the record added, for the sticky partitioner */
    bool new_batch;  /* it opened a batch: a new linger deadline to wake for */
    bool ready;      /* a batch became full: wake the sender now */
    bool batch_full; /* no unfilled open batch is left (the sticky switch may happen) */
} kaccum_appended;

/* Appends rec to p's open batch (opening one if needed) at now_ms.
 * Returns KFK_OK and fills *res; KFK_ERR_TOO_LARGE when the record alone
 * is over max_record_bytes or buffer.memory; KFK_ERR_QUEUE_FULL when
 * buffer memory stayed short for max.block.ms (at once when 0);
 * KFK_ERR_DESTROYED after kaccum_close; KFK_ERR_INVALID_ARG for lengths
 * the wire cannot carry; KFK_ERR_NO_MEMORY. Nothing is appended on error.
 * May block up to max.block.ms, only when a new batch is needed. */
kfk_err kaccum_append(kaccum *a, kaccum_part *p, const kaccum_rec *rec, int64_t now_ms,
                      kaccum_appended *res);

/* Moves to out at most one batch from each of parts[0..n), visiting them
 * from parts[start % n] on (callers rotate start so that a request that
 * fills up does not always leave out the same partitions), while the
 * batches' total size stays within max_bytes (the first is always taken).
 * Nothing when no head batch is ready; else the ready ones and, since the
 * request goes anyway, those still within linger.ms (not those waiting
 * out a retry backoff).
 * Each batch drained for the first time is sealed and gets its base
 * sequence: the partition's next sequence, which then advances by its
 * record count (wrapping at INT32_MAX as Kafka does); a re-enqueued batch
 * keeps the one it has. Returns the number drained. */
size_t kaccum_drain(kaccum *a, kaccum_part *const *parts, size_t n, size_t start, int64_t now_ms,
                    size_t max_bytes, kaccum_list *out);

/* Puts a drained batch back at the front of its partition's queue, to be
 * drained again (to a new leader, after NOT_LEADER_OR_FOLLOWER or a lost
 * connection) no earlier than retry_at_ms: the retry backoff. Batches go
 * back in the order they were first drained, whatever order they come
 * back in, so a partition's records keep their order (and sequences)
 * across retries; the partition sends nothing newer before them. */
void kaccum_reenqueue(kaccum *a, kaccum_batch *b, int64_t retry_at_ms);

/* Splits b, a drained batch the caller holds with at least two records,
 * at its middle record: b keeps the first half, *second gets the rest (a
 * new batch, the caller's too). The pieces keep b's place in the drain
 * order, its producer id, epoch, creation time and sends; the second's
 * base sequence follows the first's records, so the partition's later
 * batches keep theirs. b's buffer.memory reservation is shared between
 * them. For a batch the broker refused as too large (MESSAGE_TOO_LARGE).
 * Returns KFK_OK; KFK_ERR_STATE for fewer than two records;
 * KFK_ERR_NO_MEMORY (b is then unchanged). */
kfk_err kaccum_split(kaccum *a, kaccum_batch *b, kaccum_batch **second);

/* From now on p's open batches stay within batch.size: the broker refused
 * one that grew past it. Any thread. */
void kaccum_part_stop_growing(kaccum_part *p);

/* Moves to out the batches of parts[0..n) still queued timeout_ms
 * (delivery.timeout.ms) after their first record was appended, oldest
 * first, for the caller to fail with KFK_ERR_TIMED_OUT and release.
 * Returns how many were moved. */
size_t kaccum_expire(kaccum *a, kaccum_part *const *parts, size_t n, int64_t now_ms,
                     int64_t timeout_ms, kaccum_list *out);

/* When the oldest batch queued in parts[0..n) was created (a queue's
 * head is its oldest), INT64_MAX when they are all empty. */
int64_t kaccum_oldest_ms(kaccum *a, kaccum_part *const *parts, size_t n);

/* The earliest time at which a batch of parts[0..n) will be ready: now_ms
 * if one is ready already, the first linger or retry backoff expiry
 * otherwise, INT64_MAX when they are all empty. */
int64_t kaccum_next_ready_ms(kaccum *a, kaccum_part *const *parts, size_t n, int64_t now_ms);

/* Says that the sender will take nothing for now (a transaction waits to
 * begin): while held, open batches may grow as those of a backed-up
 * partition do, so the records waiting go in fewer, larger batches. Any
 * thread. */
void kaccum_set_held(kaccum *a, bool held);

/* Whether every queued batch is ready whatever its age right now: a
 * flush, close or an append blocked for memory. Any thread. */
bool kaccum_all_ready(kaccum *a);

/* Flush: while at least one flush is in progress every batch is ready.
 * Calls nest; each begin needs an end. */
void kaccum_flush_begin(kaccum *a);
void kaccum_flush_end(kaccum *a);

/* Frees the pooled batches and report blocks: kept for a busy producer,
 * so that its appends allocate nothing, they are megabytes an idle one
 * need not hold. */
void kaccum_trim(kaccum *a);

/* Closing: appends fail with KFK_ERR_DESTROYED (also those blocked for
 * memory, which are woken), and every batch is ready. */
void kaccum_close(kaccum *a);

/* Moves every batch queued for parts[0..n) (open ones too) to out, in
 * per-partition order, so the caller can fail their records with
 * KFK_ERR_PURGED and release them. Returns how many were moved. */
size_t kaccum_purge(kaccum *a, kaccum_part *const *parts, size_t n, kaccum_list *out);

/* Finishes a drained batch for sending, in one call: fills in the header
 * with producer_id and producer_epoch (producer_id < 0: not idempotent, so
 * no sequence; else the base sequence from the drain) and, with a codec,
 * compresses it into b->out at level (< 0: the codec's default).
 * *wire is set to the bytes to send (in b->buf or b->out). Errors: those
 * of kbatch_writer_finish; the batch may be finished again after one. A
 * retried batch may be finished again too, e.g. with a new epoch and
 * b->base_sequence rewritten after a KIP-360 epoch bump. */
/* Marks b's records as part of a transaction (before finishing it). */
static inline void kaccum_batch_set_transactional(kaccum_batch *b)
{
    b->w.flags |= KBATCH_ATTR_TRANSACTIONAL;
}

kfk_err kaccum_batch_finish(kaccum_batch *b, int64_t producer_id, int16_t producer_epoch,
                            kcodec codec, int level, kslice *wire);

/* Hands a drained, expired or purged batch back once its delivery
 * reports are made: its memory returns to buffer.memory (waking blocked appends) and
 * the batch to the pool. */
void kaccum_batch_release(kaccum *a, kaccum_batch *b);

/* Bytes of buffer.memory held by report blocks taken and not given back. */
int64_t kaccum_report_bytes(kaccum *a);

/* Bytes of buffer.memory reserved right now (for tests and statistics):
 * batches' reservations plus the report blocks taken and not given back. */
int64_t kaccum_reserved_bytes(kaccum *a);

/* Takes b's report block (its records' opaques and timestamps, b's record
 * count in n) for the caller to queue; b keeps no msgs, and gets a block
 * again when it is reused (at an append, which may fail for memory: the
 * report path never allocates). The block's bytes count under
 * buffer.memory until kaccum_msgs_give. Call before releasing b. */
kaccum_msgs *kaccum_batch_take_msgs(kaccum *a, kaccum_batch *b);

/* Gives back a block from kaccum_batch_take_msgs: its bytes leave
 * buffer.memory (waking blocked appends) and it is kept for reuse or
 * freed. Any thread. */
void kaccum_msgs_give(kaccum *a, kaccum_msgs *m);

#endif
