/* What the files of lib/producer share: the producer handle, its topics
 * and partitions, the per-broker senders, delivery reports and the
 * idempotence state.
 *
 * Who touches what:
 *   application threads  kfk_produce: topic lookup (read lock), partition
 *                        choice, kaccum_append, a kick of the leader's
 *                        connection when a batch opens or fills.
 *   I/O threads          one ksender per broker, attached as a ksource to
 *                        that broker's connection: drains the partitions
 *                        the broker leads, finishes (compresses) batches,
 *                        sends Produce, handles answers: delivery reports
 *                        into the report queue, retries back into the
 *                        accumulator.
 *   kfk-bg               after each metadata refresh: re-routing (kicks of
 *                        queued partitions' leaders); a timer at the
 *                        earliest delivery.timeout.ms deadline: expiry.
 *   poll/flush/destroy   serve the report queue: user callbacks run there.
 *
 * Ordering: a partition has at most max_in_flight batches drained and not
 * yet acknowledged (kpart.unacked, in drain order); the accumulator puts
 * retried batches back in drain order, so records keep their order and
 * sequences across retries. Two more rules keep a newer batch from
 * reaching a broker before an older one that failed: a partition's
 * batches in flight all go through one sender (a new leader drains it
 * once the old one's requests are answered), and an idempotent partition
 * sends one batch at a time until its first is acknowledged in the epoch
 * (a broker with no state for the producer takes any sequence first). */
#ifndef KFK_PRODUCER_PRODUCER_INT_H
#define KFK_PRODUCER_PRODUCER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/wakefd.h"
#include "base/conf.h"
#include "client/client.h"
#include "codec/codec.h"
#include "kfk.h"
#include "producer/accumulator.h"
#include "producer/partitioner.h"
#include "proto/gen/init_producer_id.h"

/* The most batches a partition sends at once (max.in.flight): the
 * protocol's limit for idempotent producers. Batches split after a
 * MESSAGE_TOO_LARGE may take a partition's unacked list past it; they go
 * out before anything newer. */
#define KPROD_MAX_UNACKED 5

typedef struct kptopic kptopic;
typedef struct ksender ksender;
typedef struct ktxn ktxn;

/* One partition of a topic the producer writes to. */
typedef struct kpart {
    kptopic *topic;
    int32_t id;
    kaccum_part *ap;
    pthread_mutex_t lock; /* protects the fields below */
    int inflight;         /* batches in requests not yet answered */
    /* The sender those requests went out on. Another sender (a new
     * leader, a replaced connection) waits until they are answered: were
     * newer batches to reach a broker first, the older ones' sequences
     * would leave a gap nothing could fill. */
    const ksender *inflight_sender;
    int n_unacked, cap_unacked;
    kaccum_batch **unacked;                   /* drained, not yet done, drain order */
    int32_t acked_next_seq;                   /* the sequence the broker expects next */
    /* A batch was acknowledged in this epoch. Until then the broker may
     * hold no state for the producer and would take any sequence first:
     * one batch at a time, so a retried first batch cannot be overtaken. */
    bool acked_any;
    /* Idempotence (idempotence.c): the producer id and epoch the
     * partition's sequences belong to (-1: none yet). After an epoch bump
     * that did not rewrite the partition it keeps the old pair until its
     * unacknowledged batches are done; only then do new batches start at
     * sequence 0 in the new epoch (Java: hasStaleProducerIdAndEpoch). */
    int64_t pid;
    int16_t epoch;
    bool rewrite;            /* a bump that renumbers this partition is pending */
    bool unresolved;         /* a batch given up with its outcome unknown (Java's */
    int32_t unresolved_next; /* partitionsWithUnresolvedSequences): the sequence after it */
    bool held;               /* kaccum_part_hold_new is set */
    /* When a batch of it last left for its leader (partitioner.
     * availability.timeout.ms). Written by its sender, read anywhere. */
    _Atomic int64_t drain_ms;
    /* Transactions, version 1 (txn.c): the transaction (ktxn.serial) in
     * which the partition was queued to join, and joined. */
    _Atomic uint32_t txn_seen, txn_added;
    /* Statistics (stats.c): records and bytes acknowledged. Written by
     * whichever I/O thread completes a batch, so shared adds, per batch. */
    kstat acked_records, acked_bytes;
    /* The senders' sets of partitions with queued data (sender.c): a
     * kick pushes the partition on its sender's stack once (kicked_to,
     * the sender whose stack holds it, then kick_next, written by the
     * pusher that set kicked_to and read by the sender that pops it); the
     * sender whose active set holds it and the pull that last visited it
     * (sender_visit) are under lock. */
    _Atomic(const struct ksender *) kicked_to;
    struct kpart *kick_next;
    const ksender *active_in;
    const ksender *visit_by;
    uint64_t visit_n;
} kpart;

/* The partitions of a topic as known at one time; replaced (never
 * changed) when the topic grows, the old array kept until destroy. */
typedef struct kpart_array {
    int32_t n;
    kpart **parts;
    struct kpart_array *older;
} kpart_array;

/* The partitions of a topic that have a leader, as last seen in
 * metadata; replaced when that changes, the old kept until destroy. */
typedef struct kavail {
    struct kavail *older;
    int32_t n;
    int32_t ids[];
} kavail;

struct kptopic {
    char *name;
    kpartitioner partitioner;
    _Atomic(kpart_array *) parts; /* NULL until metadata named its partitions */
    _Atomic(kavail *) avail;      /* for keyless records; NULL: all */
    atomic_bool missing_logged;   /* "not present in metadata" was logged */
    /* metadata.max.idle.ms (idle.c): when a batch last opened, and whether
     * the topic was dropped from the metadata the client asks for */
    _Atomic int64_t used_ms;
    atomic_bool idle;
    /* Statistics (stats.c): the batches acknowledged, their sizes before
     * and after compression. Any I/O thread, per batch. */
    kwhist batch_bytes, batch_records;
    kstat raw_bytes, wire_bytes;
};

/* One broker's sender: a ksource on its connection. */
struct ksender {
    ksource src;
    kfk_producer *p;
    kbroker *broker; /* a reference while attached */
    int32_t broker_id;
    ktask attach_task, detach_task;
    ktimer linger_timer; /* its loop: wake for the next linger or backoff expiry */
    bool attached, detached;
    atomic_bool retired; /* its broker left or moved: pulls nothing more */
    /* loop thread only: the partitions this broker leads */
    uint64_t routing_seen;
    kaccum_part **parts;
    size_t n_parts, cap_parts;
    size_t rotate;
    /* The partitions a pull visits: those of parts with queued data, and
     * those kicked to this sender (a new batch, a retry, a settled
     * partition), popped from `kicks` (any thread pushes, the loop thread
     * pops; a Treiber stack). A partition leaves `active` when its queue
     * is empty. Loop thread only, but for kicks. */
    _Atomic(kpart *) kicks;
    kpart **active;
    size_t n_active, cap_active;
    kaccum_part **eligible; /* cap_active entries */
    uint64_t visits;        /* sender_visit calls, to skip repeated entries */
    bool rebuild;           /* active lost an entry (no memory): rebuild from parts */
    /* A partition this broker now leads was kicked while still on another
     * sender's stack (its old leader's, which may never pull again): the
     * next pull rebuilds active from parts, where it is. Any thread sets. */
    atomic_bool rebuild_wanted;
    /* The pull's gate: a pull looks at the broker's partitions only when
     * something may have become drainable since the last look. `wake`
     * (any thread sets it, the loop thread clears it) says an event came:
     * a full batch, a retry, a flush, an answer, a settled partition.
     * `next_due` (written by the loop thread, read by appenders) is when
     * the last look's earliest batch becomes ready, INT64_MAX while
     * looking or when nothing waits: a new batch due earlier wakes the
     * sender, a later one is found by the linger timer at next_due. */
    atomic_bool wake;
    _Atomic int64_t next_due;
    ksender *next; /* in the producer's list */
};

struct kfk_producer {
    kclient *client;
    const kfk_conf *conf;
    kaccum *accum;
    /* settings read once */
    int16_t acks;
    bool idempotent;
    int max_in_flight;
    kcodec codec;
    int codec_level;
    int64_t delivery_timeout_ms, request_timeout_ms, retry_backoff_ms, max_block_ms;
    int32_t max_retries;       /* retries: how often one batch is sent again */
    int64_t max_idle_ms;       /* metadata.max.idle.ms */
    pthread_mutex_t idle_lock; /* a topic going idle or waking (idle.c) */
    size_t max_request_bytes;
    int partitioner_kind;
    bool adaptive; /* KIP-794: publish queue lengths to the partitioners */
    int64_t avail_timeout_ms; /* partitioner.availability.timeout.ms; 0: off */
    int64_t linger_ms;
    kfk_partitioner_cb *partitioner_cb;
    void *partitioner_opaque;
    kfk_dr_cb *dr_cb;
    void *dr_opaque;
    const kconf_icpt *icpt; /* interceptors, in the order added (the conf's) */
    int n_icpt;
    atomic_long icpt_errors; /* errors they returned (the log shows some) */

    /* topics: an open-addressing table by name */
    pthread_rwlock_t topics_lock; /* protects topics, n_topics, cap_topics */
    kptopic **topics;
    size_t n_topics, cap_topics;
    atomic_uint_fast64_t topics_version; /* grows when a topic or partition appears */

    /* senders, by broker */
    pthread_mutex_t senders_lock; /* protects senders and the sender list */
    ksender *senders;
    pthread_cond_t senders_cond; /* a detach finished */

    /* delivery reports */
    pthread_mutex_t dr_lock; /* protects dr_head, dr_tail, wake */
    pthread_cond_t dr_cond;  /* reports queued or outstanding went down */
    kaccum_msgs *dr_head, *dr_tail; /* the done batches' report blocks, in order */
    kwakefd wake; /* readable while reports wait (kfk_producer_wakeup_fd) */
    atomic_int_fast64_t outstanding; /* records accepted and not yet reported */
    atomic_int serving;              /* threads in kdr_serve */
    _Atomic uintptr_t served_by;     /* the thread that last served reports; 0: none yet */

    /* idempotence (KIP-98, KIP-360) */
    _Atomic int64_t producer_id; /* -1 until InitProducerId answered */
    _Atomic int16_t producer_epoch;
    /* 0, 1: a bump is wanted, 2: it is being done (or, the epoch being
     * exhausted, waits for a new producer id: producer_id is -1) */
    atomic_int bump;
    atomic_int inflight_guard; /* batches in flight + pulls in progress */
    kcall pid_call;
    kp_init_producer_id_request pid_req;
    ktimer pid_retry_timer; /* kfk-bg */
    ktask pid_retry_task;

    /* housekeeping (producer.c): event driven */
    uint64_t meta_seen;            /* kfk-bg: the metadata version last synced */
    _Atomic int64_t expiry_at_ms;  /* the expiry timer's deadline; INT64_MAX: none */
    atomic_bool expiry_posted;     /* expiry_arm_task is queued */
    ktimer expiry_timer;           /* kfk-bg */
    ktask expiry_arm_task, expiry_stop_task;
    bool expiry_stopped;           /* under senders_lock */
    atomic_bool trim_posted;       /* idle.c: trim_arm_task queued or trim_timer armed */
    _Atomic uint32_t busy_spells;  /* times outstanding rose from 0 */
    uint32_t trim_spells;          /* kfk-bg: busy_spells when trim_timer was armed */
    ktask trim_arm_task;
    ktimer trim_timer;             /* kfk-bg */
    _Atomic int64_t load_at_ms;    /* KIP-794 loads last published */

    /* wall clock ns - monotonic ns, read again when a batch opens, so a
     * record's CreateTime costs no second clock read */
    _Atomic int64_t wall_offset_ns;
    uint64_t serial; /* tells producers apart in the per-thread topic cache */

    ktxn *txn; /* transactional.id (txn.c); NULL: none */

    atomic_bool closing; /* kfk_producer_destroy began: no new work */
    atomic_int flushing; /* flushes in progress */
};

/* --- producer.c -------------------------------------------------------------------- */

/* Every partition known now; *out gets a malloc'd array (free it).
 * Returns the count, -1 when out of memory. */
int kprod_all_parts(kfk_producer *p, kpart ***out);
/* A number that moves whenever routing may have changed: metadata or the
 * producer's topics and partitions. */
uint64_t kprod_routing_version(kfk_producer *p);
/* Moves every batch queued for the producer's partitions to out (open
 * ones too), as kaccum_purge does. Allocates nothing, so it cannot fail:
 * destroy relies on it to report every record. Any thread. */
void kprod_purge_parts(kfk_producer *p, kaccum_list *out);
/* Moves the batches queued past delivery.timeout.ms at now_ms to out, as
 * kaccum_expire does, and sets *oldest to when the oldest batch still
 * queued was created (INT64_MAX: none). Allocates nothing. */
void kprod_expire_parts(kfk_producer *p, int64_t now_ms, kaccum_list *out, int64_t *oldest);
/* Interceptors (interceptor.c): each one's on_send with rec, and each
 * one's on_acknowledgement with report, in the order they were added;
 * an error they return is logged. */
void kicpt_on_send(kfk_producer *p, const kfk_record *rec);
void kicpt_on_ack(kfk_producer *p, const kfk_delivery_report *report);
/* A batch created at created_ms is queued (opened, or put back for a
 * retry): the expiry timer must fire by its delivery.timeout.ms. Any
 * thread. */
void kprod_expiry_note(kfk_producer *p, int64_t created_ms);
/* KIP-794: publishes queue lengths to the partitioners, at most every
 * KPROD_LOAD_MS; from the senders' pulls. */
#define KPROD_LOAD_MS 50
void kprod_publish_load(kfk_producer *p, int64_t now_ms);

/* --- sender.c -------------------------------------------------------------------- */

/* Wakes the sender of pp's current leader (creating it on first use).
 * Any thread. */
void ksender_kick_part(kfk_producer *p, kpart *pp);
/* pp opened a batch that will be ready at ready_ms (its linger expiry):
 * wakes pp's sender only when that is earlier than what it waits for
 * already. Any thread, after the append. */
void ksender_kick_new_batch(kfk_producer *p, kpart *pp, int64_t ready_ms);
/* Wakes every sender. Any thread. */
void ksender_kick_all(kfk_producer *p);
/* ksender_kick_all for an append about to wait for buffer.memory (the
 * accumulator's waiting hook; p is the kfk_producer): lingering batches
 * go now rather than at linger.ms, which may be later than max.block.ms. */
void kprod_waking_senders(void *p);
/* Retires the senders of brokers that left the registry (or moved), so
 * that the partitions they were kicked for go to their new leaders. After
 * a metadata refresh; any thread. */
void ksender_retire_departed(kfk_producer *p);
/* Detaches every sender from its connection and releases its broker;
 * blocks until done. Application thread, during destroy. */
void ksender_stop_all(kfk_producer *p);
void ksender_free_all(kfk_producer *p);

/* --- delivery.c --------------------------------------------------------------------- */

/* Queues b's reports with err (KFK_OK: base_offset, log_append_ms apply)
 * for the application's poll; without a dr_cb releases b at once. The
 * caller has taken b out of its partition's unacked list. Any thread. */
void kdr_batch_done(kfk_producer *p, kaccum_batch *b, kfk_err err, int64_t base_offset,
                    int64_t log_append_ms);
/* Fails a batch that never got (or will not get) an answer: takes it out
 * of its partition's unacked list (a sequence gap: asks for an epoch
 * bump when idempotent) and reports err. Any thread. */
void kdr_batch_abandon(kfk_producer *p, kaccum_batch *b, kfk_err err);
/* Whether a thread other than this one serves reports: one is in
 * kdr_serve now, or the last one to serve them was another thread (an
 * application's poller). A kfk_produce blocked for memory may then wait
 * for reports to be served, where this thread's own poll would never
 * come. p is the kfk_producer. */
bool kdr_served_elsewhere(void *p);
/* Serves every queued report on this thread. Returns how many. */
int kdr_serve(kfk_producer *p, int timeout_ms);
/* Expires and fails queued batches past delivery.timeout.ms. Returns
 * when the oldest batch still queued was created, INT64_MAX: none. */
int64_t kdr_expire(kfk_producer *p);

/* --- idempotence.c --------------------------------------------------------------- */

/* Starts InitProducerId (idempotent producers). */
void kidem_start(kfk_producer *p);
/* Stops its retry timer; application thread, during destroy. */
void kidem_stop(kfk_producer *p);
/* Removes b from pp's unacked list; pp->lock held. */
void kidem_unacked_remove(kpart *pp, kaccum_batch *b);
/* Makes room for one more batch in pp's unacked list: 0, or -1 when out
 * of memory. Puts b into the list after `after` (NULL or absent: at the
 * end), which cannot fail after kidem_unacked_room; -1 when out of memory.
 * pp->lock held. */
int kidem_unacked_room(kpart *pp);
int kidem_unacked_insert(kpart *pp, kaccum_batch *b, const kaccum_batch *after);
/* Asks for a KIP-360 epoch bump that renumbers pp's unacknowledged
 * batches from 0 in the new epoch: draining stops until nothing is in
 * flight, then the epoch goes up (from Short.MAX_VALUE: a new producer id
 * from InitProducerId, as Java). Only for a partition where none of
 * those batches can have been written. Any thread, pp->lock not held. */
void kidem_request_bump(kfk_producer *p, kpart *pp);
/* What a failed answer means for the partition's sequences: whether it
 * asks for an epoch bump (Java's TransactionManager.canRetry for
 * OUT_OF_ORDER_SEQUENCE_NUMBER and UNKNOWN_PRODUCER_ID). pp->lock held. */
bool kidem_seq_error_bumps(const kpart *pp, const kaccum_batch *b, kfk_err err,
                           int64_t log_start_offset);
/* A batch that took sequences is given up (b was in pp's unacked list):
 * with its outcome unknown, the partition is unresolved (no new batches
 * until the rest are answered); when every attempt was refused, the
 * partition is renumbered. pp->lock held; returns true when the caller
 * must call kidem_request_bump after unlocking. */
bool kidem_given_up(kpart *pp, const kaccum_batch *b);
/* Before a drain: settles pp's sequence state once nothing of it is
 * unacknowledged (resolves or bumps an unresolved partition, moves a
 * partition to the current epoch at sequence 0) and holds back new
 * batches while it is unsettled. pp->lock held, inside a pull; returns
 * true when the caller must call kidem_request_bump after unlocking. */
bool kidem_part_settle(kfk_producer *p, kpart *pp);
/* A new batch's sequences belong to pp's producer id and epoch. */
void kidem_batch_numbered(const kpart *pp, kaccum_batch *b);
/* Around a pull: true when the pull may drain (then call
 * kidem_pull_end), false when a bump or the producer id is pending. */
bool kidem_pull_begin(kfk_producer *p);
void kidem_pull_end(kfk_producer *p);
/* Moves every partition to the producer's current id and epoch at
 * sequence 0, dropping their repair state: a transactional producer's
 * coordinator gave it a new epoch, and nothing is unacknowledged. */
void kidem_reset_all(kfk_producer *p);
/* A batch went into / came out of a request. */
void kidem_inflight_add(kfk_producer *p, int n);
void kidem_inflight_done(kfk_producer *p);

/* --- stats.c ------------------------------------------------------------------------ */

/* Counts an acknowledged batch b for statistics: its partition's records
 * and bytes, its topic's batch sizes. Any thread; a few relaxed adds per
 * batch, nothing per record. */
void kprod_stats_acked(kaccum_batch *b);
/* kfk_producer_poll: kdr_serve, waking for and delivering the statistics
 * document when one is due. */
int kprod_poll(kfk_producer *p, int timeout_ms);
/* Delivers the statistics document when one is due. Application thread,
 * no kfk lock held; one load when statistics are off. */
void kprod_stats_tick(kfk_producer *p);

/* idle.c: metadata.max.idle.ms. A topic no batch opened for that long,
 * with nothing queued or in flight, leaves the metadata the client asks
 * for (kfk-bg, after a refresh); the next record for it brings it back. */
void kprod_drop_idle_topics(kfk_producer *p, int64_t now_ms);
void kprod_topic_wake_slow(kfk_producer *p, kptopic *t);
/* idle.c: the last outstanding record's report is out (any thread). A
 * second later, if nothing is outstanding still, kfk-bg hands the memory
 * the burst freed back to the system. */
void kprod_quiet_note(kfk_producer *p);
void kprod_quiet_init(kfk_producer *p);
/* kfk-bg, at destroy (expiry_stopped set): no trim any more. */
void kprod_quiet_stop(kfk_producer *p);
static inline void kprod_topic_wake(kfk_producer *p, kptopic *t)
{
    if (atomic_load_explicit(&t->idle, memory_order_relaxed)) kprod_topic_wake_slow(p, t);
}

#endif
