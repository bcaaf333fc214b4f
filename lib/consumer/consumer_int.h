/* What the files of the consumer's data path share: the handle, the state
 * of each assigned partition, the per-broker fetchers and the chunks of
 * fetched messages that poll hands out.
 *
 * Threads and locks:
 *   - c->lock protects the assignment (c->parts and every kcpart field not
 *     marked otherwise) and the chunk queue. The I/O threads
 *     take it once per Fetch they build and once per partition of a
 *     response they queue; the application takes it per poll call that
 *     has to wait for a chunk, and in assign/seek/pause. Never per message.
 *   - c->poll_lock serialises application threads that poll: it protects
 *     the chunk being handed out (c->cur). Only application threads take it.
 *   - A fetcher's fields are its I/O thread's alone (it is attached to its
 *     broker's connection and only that loop runs pull and completions).
 *   - kcpart.gen and kcpart.consumed are atomics so poll can check a message
 *     against a seek, pause or unassign without c->lock.
 * No user callback runs on an I/O thread or with a lock held. */
#ifndef KFK_CONSUMER_CONSUMER_INT_H
#define KFK_CONSUMER_CONSUMER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/partition_list.h"
#include "base/wakefd.h"
#include "client/client.h"
#include "kfk.h"
#include "proto/batch.h"
#include "proto/gen/fetch.h"
#include "proto/gen/list_offsets.h"

/* ListOffsets timestamps with a meaning (KIP-79). */
#define KOFFSET_LATEST (-1)
#define KOFFSET_EARLIEST (-2)

typedef enum kcpart_state {
    KCP_NEED_RESET,     /* position unknown: ListOffsets with reset_ts to start */
    KCP_RESETTING,      /* that ListOffsets is in flight */
    KCP_FETCHING,       /* position known: fetchers include it */
    KCP_FAILED,         /* auto.offset.reset=none hit: stopped until a seek */
    KCP_NEED_COMMITTED, /* group assignment: waiting for the committed offset (group.c) */
} kcpart_state;

/* apply_offset: start at the group's committed offset (OffsetFetch), else
 * where auto.offset.reset says. Internal only. */
#define KOFFSET_COMMITTED (-3)

typedef struct kchunk kchunk;
typedef struct kchunk_pool kchunk_pool;

/* The fetched bytes a consumer holds: chunks queued for poll, and those
 * handed out in messages the application has not released yet; fetching
 * pauses while they reach max (fetch.queue.max.bytes). Shared with the
 * chunks, which may outlive the consumer. */
typedef struct kheld {
    atomic_int refs;
    _Atomic size_t bytes;
    size_t max;
    pthread_mutex_t lock;   /* guards c */
    struct kfk_consumer *c; /* to wake its fetchers; NULL once destroyed */
} kheld;

/* One assigned partition. Never freed before the consumer (a ListOffsets
 * or a fetch may still point at it after unassign); removed ones go to
 * c->retired. */
typedef struct kcpart {
    kfk_consumer *consumer;
    char *topic;
    int32_t partition;
    kuuid topic_id; /* zero until metadata names it */
    kcpart_state state;
    bool assigned;
    bool paused;
    int64_t position;   /* the next offset to fetch */
    int32_t last_epoch; /* KIP-320: leader epoch of the last batch fetched; -1 */
    int64_t reset_ts;   /* NEED_RESET: what ListOffsets asks for */
    int32_t preferred;  /* KIP-392 read replica; -1: the leader */
    int64_t eof_at;     /* an EOF was queued at this position; -1: none */
    int64_t high_watermark;
    /* The fetchers' copy of the partition's leader (c->lock), good while
     * the metadata's version + 1 is leader_ver (0: none taken yet), so
     * that building a Fetch does not look up every assigned partition. */
    uint64_t leader_ver;
    int32_t leader, leader_epoch; /* leader -1: none known */
    atomic_uint gen;           /* bumped by seek, pause, unassign: drops older data */
    atomic_llong consumed;     /* the next offset poll hands out (position()) */
    atomic_int consumed_epoch; /* the position's leader epoch, commits carry it: that of
                                * the last message polled (or of a committed offset or
                                * ListOffsets answer started at); -1: unknown */

    /* consumer groups (group*.c) */
    bool revoking;         /* REVOKED queued: not fetched, removed after the callback */
    bool committed_busy;   /* an OffsetFetch for it is in flight */
    int64_t committed_pos; /* the last offset committed or fetched; KFK_OFFSET_INVALID */

    /* statistics (stats.c; c->lock): what the fetches brought */
    bool fetched;       /* a fetch answered: high_watermark and log_start are real */
    int64_t log_start;  /* the log start offset the last answer gave (-1: none) */
    int64_t rx_records; /* records queued for the application */
    int64_t rx_bytes;   /* bytes of the record batches they came in */

    /* ListOffsets (offsets.c); the call owns these while in flight */
    kcall call;
    bool call_busy;
    unsigned call_gen;
    kp_list_offsets_request lo_req;
    kp_list_offsets_request_list_offsets_topic lo_topic;
    kp_list_offsets_request_list_offsets_partition lo_part;
} kcpart;

/* KIP-227: what one broker's fetch session holds, by partition. */
typedef struct ksess_entry {
    kcpart *part;
    int64_t offset;     /* fetch offset last sent */
    int32_t epoch;      /* current leader epoch last sent */
    int32_t last_epoch; /* last fetched epoch (KIP-320) last sent */
    unsigned gen;       /* the partition's gen when last sent */
    bool keep;          /* scratch while building a request */
} ksess_entry;

typedef struct kfetch_session {
    int32_t id;    /* 0: none; the next request is full */
    int32_t epoch; /* of the next request */
    ksess_entry *e;
    int n, cap;
    int hint; /* where the last ksess_find found its entry */
} kfetch_session;

/* One broker's fetcher: a ksource on that broker's connection. */
typedef struct kfetcher {
    ksource src; /* first: pull gets &src */
    kfk_consumer *c;
    kbroker *b;
    ktask task, detach_task;
    bool attached, detached;     /* loop thread */
    bool replaced, close_detach; /* c->lock */
    bool inflight;
    int64_t backoff_until_ns; /* after partition errors, no Fetch before this */
    ktimer backoff;           /* kicks the connection when the backoff ends */
    kreq req;
    kp_fetch_request body;
    kchunk_pool *pool; /* memory its chunks recycle; NULL: plain malloc */
    kfetch_session sess;
    /* the request being built and what it points to */
    kp_fetch_request_fetch_topic *topics;
    kp_fetch_request_fetch_partition *parts;
    kp_fetch_request_forgotten_topic *forgotten;
    int32_t *forgotten_ids;
    int cap_topics, cap_parts, cap_forgotten, cap_forgotten_topics;
    int64_t requests, full_requests; /* counters, for tests */
    /* The assigned partitions this broker leads or is preferred for, in
     * assignment order (c->lock): a request looks at these alone, so its
     * cost does not grow with the whole assignment. Good while the
     * metadata's version + 1 is mine_meta (0: never built) and the
     * consumer's route_gen is mine_route. */
    kcpart **mine;
    int n_mine, cap_mine;
    uint64_t mine_meta, mine_route;
} kfetcher;

struct kfk_message {
    kchunk *chunk;
    const char *topic;
    int32_t partition;
    int8_t timestamp_type;
    int16_t delivery_count; /* share consumer (lib/share): times delivered; else 0 */
    kfk_err err;
    int64_t offset;
    int64_t timestamp;
    int32_t header_count;
    kslice key, value, headers;
};

/* Messages msgs[from] up to the next run's from came in batches written
 * under partition leader epoch epoch (-1: the old formats, without one).
 * Kept per run, not per message: an epoch changes rarely, and the data
 * path then stores and checks nothing per message for it. */
typedef struct kepoch_run {
    int32_t from, epoch;
} kepoch_run;

/* The messages one Fetch brought for one partition (or one error). Messages
 * are slots of msgs; each handed-out message holds a reference, as does
 * the queue until poll has handed out the last one. */
struct kchunk {
    kchunk *next;
    atomic_int refs;
    kcpart *part; /* for poll's checks only while the consumer lives */
    unsigned gen;
    size_t bytes;         /* counted in held from queueing until freed */
    kheld *held;          /* NULL: not counted (never queued) */
    krbuf *frame;         /* the response bytes, or NULL */
    kchunk_pool *pool;    /* where msgs and bufs go back to; NULL: free them */
    kbuf *bufs;           /* decompressed batches */
    int n_bufs, cap_bufs;
    int n, cap, pos; /* messages, slots, the next to hand out */
    kfk_message *msgs;
    kepoch_run *runs; /* by from, none empty; &run0 until a second one; none: -1 */
    int n_runs, cap_runs;
    int next_run, run_at; /* poll: the run starting next, at msgs[run_at]; INT_MAX: none */
    kepoch_run run0;
    char topic[]; /* the messages' topic */
};

struct kfk_consumer {
    kclient *client;
    pthread_mutex_t lock; /* see the top of this file */
    pthread_cond_t cond;  /* a chunk was queued, or woken */
    kcpart **parts;
    int n_parts, cap_parts;
    /* Bumped when the assignment or a partition's preferred replica
     * changes: the fetchers' lists of their partitions are then stale. */
    uint64_t route_gen;
    kcpart **retired;
    int n_retired, cap_retired;
    kchunk *head, *tail; /* queued chunks, in order */
    kheld *held;         /* fetch.queue.max.bytes: queued and unreleased bytes */
    atomic_bool closing; /* written under lock; polls read it without */
    bool report_eof;
    atomic_bool reset_wanted;

    pthread_mutex_t poll_lock;
    kchunk *cur;
    int64_t starved_since; /* poll_lock: see held_check; 0: not starved */
    bool starved_warned;   /* poll_lock */

    /* fetchers: c->lock guards the array; each is its loop's */
    kfetcher **fetchers;
    int n_fetchers, cap_fetchers;
    pthread_mutex_t sync_lock; /* sync_fetchers: one at a time; then c->lock */
    uint64_t brokers_version;  /* sync_lock */
    atomic_uint_fast64_t meta_version;
    int detach_left; /* close: fetchers still attached */

    /* configuration, read once */
    int32_t min_bytes, max_bytes, max_wait_ms, part_max_bytes;
    size_t max_poll_records;
    const kconf_icpt *icpt; /* interceptors (the client's conf), in order */
    int n_icpt;
    atomic_long icpt_errors; /* errors they returned (the log shows some) */
    int8_t isolation;
    bool check_crcs;
    int reset_policy; /* KCONF_RESET_* */
    char *rack;
    int64_t request_timeout_ms;
    int64_t retry_backoff_ms;

    /* Connections refused by TLS or authentication reach poll as error
     * messages of this partition; one waits at a time. */
    kcpart conn_err_part;
    atomic_bool conn_err_queued;

    /* consumer groups (group.c); NULL without group.id */
    struct kgroup *group;
    bool group_wake; /* c->lock: group events wait to be served by poll */
    kwakefd wake;    /* c->lock: readable while a poll has work (kfk_consumer_wakeup_fd) */
};

/* Sets p's KIP-392 read replica (-1: the leader; c->lock held), telling the
 * fetchers when it moves. */
static inline void kcpart_set_preferred(kfk_consumer *c, kcpart *p, int32_t id)
{
    if (p->preferred == id) return;
    p->preferred = id;
    c->route_gen++;
}

/* Statistics: a fetch answer for p (c->lock held) brought ch (NULL:
 * nothing for the application). Per chunk, never per record. */
static inline void kcpart_stats_fetched(kcpart *p, const kp_fetch_response_partition_data *pd,
                                        const kchunk *ch)
{
    p->fetched = true;
    p->log_start = pd->log_start_offset;
    if (!ch) return;
    p->rx_records += ch->n;
    p->rx_bytes += (int64_t)pd->records.len;
}

/* --- stats.c --------------------------------------------------------------- */
/* Delivers the statistics document when one is due. Application thread,
 * no kfk lock held; one load when statistics are off. */
void kconsumer_stats_tick(kfk_consumer *c);
/* The deadline a poll waiting until deadline_ns should wake at instead,
 * to deliver the next document in time. */
int64_t kconsumer_stats_wake(kfk_consumer *c, int64_t deadline_ns);

/* --- consumer.c ---------------------------------------------------------- */
/* Queues a chunk (c->lock held) and wakes a waiting poll. */
void kconsumer_enqueue(kfk_consumer *c, kchunk *ch);
/* Has poll hand out err as a message with topic "" and partition -1, the
 * way Java's poll throws an error the consumer survives; while one waits
 * unpolled, the next add none. Any thread; c->lock not held. */
void kconsumer_post_error(kfk_consumer *c, kfk_err err);
/* kheld: the counter of a new consumer (NULL when out of memory); at
 * destroy, the consumer lets go of it (chunks still out keep it). */
kheld *kheld_new(kfk_consumer *c, size_t max);
void kheld_release(kheld *h);
/* Whether the consumer holds fetch.queue.max.bytes or more. Any thread. */
bool kheld_full(const kheld *h);
/* A freed chunk's bytes leave the count, and its reference on h goes. */
void kheld_drop(kheld *h, size_t bytes);
/* Kicks every fetcher's connection (any thread). */
void kconsumer_kick_all(kfk_consumer *c);
/* Does what a change asks for (any thread, no consumer lock held): offset
 * lookups wanted, fetchers for brokers the registry learnt (a Fetch answer's
 * endpoints, KIP-951), fetches for partitions that got a leader. */
void kconsumer_changed(kfk_consumer *c);
/* The partition whose topic and number match, or NULL (c->lock held). */
kcpart *kconsumer_find(kfk_consumer *c, const char *topic, int32_t partition);

/* Partition changes the group makes (any thread; each takes c->lock).
 * add: new partitions start at their offset (KOFFSET_COMMITTED for the
 * group's), partitions already assigned keep their position (and stop
 * revoking). remove: drops them; only_revoking drops only those still
 * marked revoking. stop: marks them revoking and stops fetching them.
 * add is for kfk-bg: it leaves following new brokers to the next poll. */
kfk_err kconsumer_add(kfk_consumer *c, const ktp *v, size_t n);
kfk_err kconsumer_remove(kfk_consumer *c, const ktp *v, size_t n, bool only_revoking);
void kconsumer_stop(kfk_consumer *c, const ktp *v, size_t n);
/* Sets where p starts, as assign does with an offset (c->lock held). */
void kconsumer_start_at(kfk_consumer *c, kcpart *p, int64_t offset);
/* Wakes polls waiting for messages so they serve group events. */
void kconsumer_wake(kfk_consumer *c);

/* --- offsets.c --------------------------------------------------------------- */
/* Starts ListOffsets for every partition in NEED_RESET. Any thread;
 * takes c->lock. */
void koffsets_start_resets(kfk_consumer *c);
/* Puts p into NEED_RESET for the reset policy (c->lock held); false when
 * the policy is none (then the caller reports the error). */
bool koffsets_reset_by_policy(kfk_consumer *c, kcpart *p);

/* --- fetcher.c --------------------------------------------------------------- */
kfetcher *kfetcher_new(kfk_consumer *c, kbroker *b);
/* Attaches to its broker's connection (posts to the loop). */
void kfetcher_attach(kfetcher *f);
/* Detaches on the loop; calls kconsumer_detached when done. */
void kfetcher_detach(kfetcher *f);
void kfetcher_free(kfetcher *f);
void kconsumer_detached(kfetcher *f);

/* --- fetch_session.c ----------------------------------------------------------- */
void ksess_reset(kfetch_session *s);
void ksess_free(kfetch_session *s);
ksess_entry *ksess_find(kfetch_session *s, const kcpart *p);
/* Records that p was sent at offset, leader epoch, last fetched epoch
 * and gen; -1 when out of memory. */
int ksess_put(kfetch_session *s, kcpart *p, int64_t offset, int32_t epoch, int32_t last_epoch,
              unsigned gen);
/* Whether an incremental request must carry p again: any of what the
 * broker's session caches for it changed. */
bool ksess_changed(kfetch_session *s, const kcpart *p, int64_t offset, int32_t epoch,
                   int32_t last_epoch);
/* After a response: the session id the broker gave and its error. */
void ksess_answered(kfetch_session *s, int32_t id, kfk_err err, bool full);

/* --- message.c ------------------------------------------------------------------ */
/* A pool of the memory chunks are made of (message arrays, blocks of
 * decompressed batches), so that the data path reuses pages already
 * mapped instead of faulting fresh ones in for every Fetch (page faults
 * were the largest cost after decompression). Reference counted: its
 * maker and each chunk holding its memory. NULL when out of memory. */
kchunk_pool *kchunk_pool_new(void);
void kchunk_pool_unref(kchunk_pool *pool);

/* A chunk for part with room for cap messages; NULL when out of memory. */
kchunk *kchunk_new(kcpart *p, unsigned gen, int cap);
/* A chunk of one error message at offset. */
kchunk *kchunk_error(kcpart *p, unsigned gen, int64_t offset, kfk_err err);
/* Drops a reference; the last one frees the chunk and, when it was
 * queued, takes its bytes off its consumer's held count (waking the
 * fetchers when that falls below the bound). Any thread, no consumer lock
 * held. */
void kchunk_unref(kchunk *ch);

/* read_committed (KIP-98): filters the batches of one partition by the
 * response's aborted transactions. */
typedef struct kaborted {
    kp_fetch_response_aborted_transaction *txns; /* sorted by first_offset */
    int n, next;
    int64_t *pids; /* producers whose open transaction was aborted */
    int n_pids, cap_pids;
} kaborted;

kfk_err kaborted_init(kaborted *a, const kp_fetch_response_aborted_transaction *txns, int n);
/* True when the batch's records are not for the application: a control
 * batch (which also closes its producer's transaction) or a
 * transactional batch of an aborted transaction. */
bool kaborted_skip(kaborted *a, const kbatch *b);
void kaborted_free(kaborted *a);

/* Decodes a partition's records from fetch_offset into a new chunk: data
 * records only, aborted ones filtered when read_committed. *next gets the
 * offset to fetch next. Returns KFK_OK with *out (NULL when no record was
 * for the application), or the decoding error. */
typedef struct kdecode_opts {
    int64_t fetch_offset;
    bool read_committed;
    bool check_crcs;
    int32_t last_epoch; /* out: the last batch's leader epoch; kept when none */
    kchunk_pool *pool;  /* NULL: the chunk's memory comes from malloc */
} kdecode_opts;
kfk_err kchunk_decode(kcpart *p, unsigned gen, const kp_fetch_response_partition_data *pd,
                      krbuf *frame, kdecode_opts *o, kchunk **out, int64_t *next);

/* Interceptors (interceptor.c): each one's on_consume with the n
 * messages poll is about to return, and each one's on_commit with a
 * commit's result; in the order added, an error logged. */
void kcicpt_on_consume(kfk_consumer *c, kfk_message *const *msgs, size_t n);
void kcicpt_on_commit(kfk_consumer *c, kfk_err err, const kfk_partition_list *offsets);

#endif
