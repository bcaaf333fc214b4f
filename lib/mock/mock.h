/* The mock cluster's internals, shared by the files of lib/mock.
 *
 * Threads and locking: one loop thread, a kloop (net/loop.h) started in
 * cluster.c, owns every socket and connection. mc->lock protects all
 * cluster state (brokers' flags, topics, logs, producer state, error
 * queues, counters); the loop holds it whenever it is awake (the kloop's
 * hooks take it) and releases it to sleep, and the public control
 * functions take it for their short changes. Connection structs
 * (mock_conn, mock_out) belong to the loop thread alone; control functions
 * that must touch sockets leave a request in the broker and call
 * mock_loop_sync, which waits until the loop has carried it out. */
#ifndef KFK_MOCK_MOCK_H
#define KFK_MOCK_MOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/rw.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "mock/security.h"
#include "net/loop.h"
#include "proto/arena.h"
#include "proto/wire.h"

#define MOCK_MAX_API 128               /* API keys are below this */
#define MOCK_MAX_FRAME (100 << 20)     /* socket.request.max.bytes */
#define MOCK_MAX_MESSAGE_BYTES 1048588 /* message.max.bytes: one batch */
#define MOCK_OUT_HIGH_WATER (64 << 20) /* stop reading past this much unsent output */
#define MOCK_PRODUCER_BATCHES 5        /* batches kept per producer for dedup */
#define MOCK_PARTITION_PAGE_LIMIT 2000 /* max.request.partition.size.limit */
/* The operations a cluster without an authorizer grants, as bits of ACL
 * operation codes: on a topic READ, WRITE, CREATE, DELETE, ALTER,
 * DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS; on the cluster CREATE, ALTER,
 * DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS,
 * IDEMPOTENT_WRITE. */
#define MOCK_TOPIC_ALL_OPS 0xdf8
#define MOCK_CLUSTER_ALL_OPS 0x1fa0
#define MOCK_DEFAULT_RETENTION ((size_t)256 << 20)

typedef struct kfk_mock_cluster mock_cluster;
typedef struct mock_conn mock_conn;
typedef struct mock_fetch_wait mock_fetch_wait;
typedef struct mock_fetch_session mock_fetch_session;
typedef struct mock_share_wait mock_share_wait; /* share.h */
typedef struct mock_group mock_group; /* groups.h */
typedef struct mock_group_member mock_group_member;

/* The consumer group registry (groups.h has its functions). */
/* Broker settings of share groups (KIP-932; share.h). */
typedef struct mock_share_conf {
    int32_t lock_ms;        /* group.share.record.lock.duration.ms */
    int32_t delivery_limit; /* group.share.delivery.count.limit */
    int32_t session_ms;     /* group.share.session.timeout.ms */
    int32_t hb_ms;          /* group.share.heartbeat.interval.ms */
    bool earliest;          /* share.auto.offset.reset=earliest (default latest) */
} mock_share_conf;

typedef struct mock_groups {
    mock_group **v;
    size_t n, cap;
    mock_conn **unpark; /* answered parked connections to resume, loop-only */
    size_t n_unpark, cap_unpark;
    int32_t min_session_ms, max_session_ms;      /* group.{min,max}.session.timeout.ms */
    int32_t consumer_session_ms, consumer_hb_ms; /* group.consumer.* (KIP-848) */
    struct mock_group_conf *confs;               /* group configs set (group_conf.c) */
    size_t n_confs, cap_confs;
} mock_groups;

/* ------------------------------------------------------------------ loop */

/* A one-shot timer of the cluster's kloop (timer.c) whose callback gets
 * the cluster, which the structs holding timers (groups, members) do not
 * point to. Zeroed, it is disarmed. */
typedef struct mock_timer {
    ktimer kt;
    mock_cluster *mc;
    void (*fn)(mock_cluster *mc, struct mock_timer *t);
} mock_timer;

/* Arms t (re-arms it if armed). Returns 0, or -1 when out of memory. The
 * loop thread, or a control function: mc->lock is what guards the heap. */
int mock_timer_start(mock_cluster *mc, mock_timer *t, int64_t deadline_ns);
void mock_timer_stop(mock_cluster *mc, mock_timer *t);

/* From a control function, with mc->lock held: wakes the loop and waits
 * (releasing the lock meanwhile) until it has applied broker requests
 * (drop_pending, down) and fetch wake-ups. */
void mock_loop_sync(mock_cluster *mc);
/* Wakes the loop unless it is the caller (lock held). */
void mock_loop_poke(mock_cluster *mc);

/* --------------------------------------------------------------- brokers */

typedef struct mock_broker {
    kio listener; /* fd -1 while down */
    mock_cluster *mc;
    int32_t id;
    int port;
    bool down;
    bool drop_pending; /* close every connection at the next loop pass */
    bool fetch_wake;   /* re-check this broker's parked fetches */
    int rtt_ms;
    int throttle_ms; /* KIP-219: put in every response that has the field */
    char rack[64];          /* "": none; KIP-392 replica selection (handlers_fetch.c) */
    mock_conn *conns;       /* loop thread */
    mock_fetch_wait *waits; /* parked fetches, loop thread */
    mock_share_wait *share_waits; /* parked ShareFetches, loop thread */
    mock_fetch_session *sessions;
    int32_t n_sessions;
    int64_t requests[MOCK_MAX_API];
} mock_broker;

/* Opens (on) or closes the broker's listening socket; the port stays the
 * same. KFK_OK or KFK_ERR_TRANSPORT. */
kfk_err mock_broker_listen(mock_broker *b, bool on);

/* ------------------------------------------------------------ partitions */

/* One stored batch. The bytes are refcounted so that a Fetch response being
 * written keeps them alive after retention or a delete drops them. */
typedef struct mock_batch {
    krbuf *buf; /* the whole v2 batch, base offset rewritten */
    int64_t base_offset;
    int64_t last_offset;
    int64_t max_timestamp;
    int64_t pos; /* bytes appended to the log before this batch */
} mock_batch;

/* The partition leader epoch the batch was written under. */
static inline int32_t mock_batch_epoch(const mock_batch *b)
{
    const uint8_t *p = b->buf->data + 12; /* after base offset and length */
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

/* A partition's log: batches in offset order in buf[head, n). */
typedef struct mock_log {
    mock_batch *b;
    size_t head, n, cap;
    int64_t log_start_offset;
    int64_t end_offset; /* LEO, also the high watermark: replicas are instant */
    int64_t end_pos;    /* bytes ever appended */
    size_t bytes;       /* bytes held now */
} mock_log;

/* Appends buf (taking the reference) with offsets [base, last]. Returns 0
 * or KFK_ERR_NO_MEMORY (buf then still the caller's). */
int mock_log_append(mock_log *log, krbuf *buf, int64_t base_offset, int64_t last_offset,
                    int64_t max_timestamp);
/* Index of the batch holding offset, or of the first batch after it; n
 * when offset is past the end. */
size_t mock_log_find(const mock_log *log, int64_t offset);
/* Bytes stored from the batch holding offset to the end. */
int64_t mock_log_bytes_from(const mock_log *log, int64_t offset);
/* Bytes of the batches from the one holding from up to the one holding
 * to (a batch boundary, or the end), that one excluded. */
int64_t mock_log_bytes_between(const mock_log *log, int64_t from, int64_t to);
/* Drops the batches from offset (a batch's base offset, or the end) on;
 * returns their size. */
size_t mock_log_truncate(mock_log *log, int64_t offset);
/* Drops the oldest batch; returns its size. */
size_t mock_log_drop_oldest(mock_log *log);
/* Raises the log start offset to offset (at most the end), dropping the
 * batches wholly below it (DeleteRecords); a lower offset changes
 * nothing. */
void mock_log_delete_before(mock_log *log, int64_t offset);
void mock_log_free(mock_log *log);

/* Idempotent producer state of one producer id in one partition. */
typedef struct mock_producer_batch {
    int32_t first_seq, last_seq;
    int64_t first_offset, last_offset;
    int64_t timestamp;
} mock_producer_batch;

typedef struct mock_producer {
    int64_t producer_id;
    int16_t epoch; /* -1: none yet */
    int32_t n_batches;
    mock_producer_batch batches[MOCK_PRODUCER_BATCHES]; /* newest last */
    int64_t txn_first_offset; /* first offset of its open transaction, -1: none */
} mock_producer;

/* An aborted transaction in a partition, for read_committed fetches. */
typedef struct mock_aborted_txn {
    int64_t producer_id;
    int64_t first_offset, last_offset; /* its first batch, its ABORT marker */
} mock_aborted_txn;

typedef struct mock_topic mock_topic;

typedef struct mock_partition {
    mock_topic *topic;
    int32_t index;
    int32_t leader; /* broker id, -1: none */
    int32_t leader_epoch;
    int32_t *replicas;
    int32_t n_replicas;
    mock_log log;
    mock_producer *producers;
    size_t n_producers, cap_producers;
    mock_aborted_txn *aborted; /* in marker order */
    size_t n_aborted, cap_aborted;
} mock_partition;

typedef struct mock_config {
    char *name;
    char *value; /* NULL: null */
} mock_config;

struct mock_topic {
    char *name;
    kuuid id;
    mock_partition **parts;
    int32_t n_parts;
    mock_config *configs;
    int32_t n_configs;
};

/* ------------------------------------------------------------------ cluster */

typedef struct mock_errq_item {
    int32_t broker_id; /* 0: any broker */
    int16_t api_key;
    kfk_err err;
    int left;
} mock_errq_item;

/* A transactional id's coordinator state (txn.h). Prepare* last only
 * while the mock writes markers, which it does at once. */
typedef enum mock_txn_state {
    MOCK_TXN_EMPTY,
    MOCK_TXN_ONGOING,
    MOCK_TXN_PREPARE_COMMIT,
    MOCK_TXN_PREPARE_ABORT,
    MOCK_TXN_COMPLETE_COMMIT,
    MOCK_TXN_COMPLETE_ABORT,
} mock_txn_state;

typedef struct mock_txn mock_txn;

/* A stored ACL binding (handlers_acls.c); the mock keeps them but does
 * not enforce them. Strings are owned. */
typedef struct mock_acl {
    int8_t resource_type, pattern_type, operation, permission_type;
    char *resource_name, *principal, *host;
} mock_acl;

struct kfk_mock_cluster {
    pthread_mutex_t lock; /* protects everything not marked loop-only */
    pthread_cond_t synced;
    kloop *loop; /* its sockets and timers; the loop thread holds lock while awake */
    bool stop;
    uint64_t sync_asked, sync_done;

    int n_brokers;
    mock_broker *brokers; /* index id - 1 */
    char *bootstrap;
    char cluster_id[23];

    mock_topic **topics;
    size_t n_topics, cap_topics;

    int16_t api_min[MOCK_MAX_API]; /* served versions; max -1: not served */
    int16_t api_max[MOCK_MAX_API];
    mock_errq_item *errq;
    size_t n_errq, cap_errq;

    size_t retention_bytes;
    size_t stored_bytes;
    bool check_crcs;
    bool auto_create;
    int32_t auto_create_partitions;

    int64_t next_producer_id;
    int16_t next_producer_epoch; /* the next idempotent InitProducerId's epoch (a test knob) */
    mock_txn **txns;             /* txn.h */
    size_t n_txns, cap_txns;
    int16_t txn_version;         /* finalized transaction.version (KIP-890) */
    int64_t features_epoch;      /* ApiVersions' finalized_features_epoch */
    int32_t txn_max_timeout_ms;  /* transaction.max.timeout.ms */
    int32_t txn_marker_delay_ms; /* from EndTxn to its markers (a test knob) */
    int32_t partition_page_limit; /* max.request.partition.size.limit */
    int32_t next_session_id;
    mock_groups groups;
    mock_share_conf share;
    int32_t next_share_session_id;
    mock_acl *acls; /* in creation order */
    size_t n_acls, cap_acls;
    mock_security sec;

    mock_conn *closed; /* connections to free after this loop pass */
};

static inline mock_broker *mock_broker_get(mock_cluster *mc, int32_t id)
{
    return id >= 1 && id <= mc->n_brokers ? &mc->brokers[id - 1] : NULL;
}

/* Random bytes (getrandom, or a clock-seeded generator if it fails). */
void mock_random(void *p, size_t n);
/* The broker a group (key_type 0) or transactional id (1) maps to: a hash
 * of the key over the brokers that are up; -1 when all are down. */
int32_t mock_coordinator(mock_cluster *mc, int8_t key_type, kslice key);

/* ---------------------------------------------------------------- topics */

/* Finds a topic by name or by id; NULL when there is none. */
mock_topic *mock_topic_find(mock_cluster *mc, kslice name);
mock_topic *mock_topic_find_id(mock_cluster *mc, const kuuid *id);
mock_partition *mock_partition_find(mock_topic *t, int32_t partition);
/* KFK_OK or KFK_ERR_INVALID_TOPIC_EXCEPTION, with a reason in msg. */
kfk_err mock_topic_name_check(mock_cluster *mc, kslice name, char *msg, size_t msg_len);
/* Creates a topic (name validated by the caller) with n_parts partitions
 * of rf replicas, or with the given replica lists (assignments, n_parts of
 * them; NULL for round-robin). Returns the topic or NULL (no memory). */
mock_topic *mock_topic_add(mock_cluster *mc, kslice name, int32_t n_parts, int32_t rf,
                           const int32_t *const *assignments, const int32_t *n_assigned);
/* Adds partitions up to n_parts total; assignments as mock_topic_add. */
kfk_err mock_topic_grow(mock_cluster *mc, mock_topic *t, int32_t n_parts,
                        const int32_t *const *assignments, const int32_t *n_assigned);
void mock_topic_remove(mock_cluster *mc, mock_topic *t);
void mock_topic_free(mock_cluster *mc, mock_topic *t);
/* The replication factor CreateTopics uses for -1. */
int32_t mock_default_rf(const mock_cluster *mc);
int32_t mock_brokers_up(const mock_cluster *mc);
/* After broker_id went down or up: moves leadership of the partitions it
 * led to a live replica (or none), or gives leaderless ones a leader. */
void mock_topics_failover(mock_cluster *mc, int32_t broker_id);
/* The partition's last stable offset: where its oldest open transaction
 * starts, or the high watermark (producer_state.c). */
int64_t mock_partition_lso(const mock_partition *p);
/* Appends a validated batch copy; applies retention. Returns KFK_OK or
 * KFK_ERR_NO_MEMORY. */
kfk_err mock_partition_append(mock_cluster *mc, mock_partition *p, krbuf *batch,
                              int64_t *base_offset);
/* Marks the partition's leader so that its parked fetches look again. */
void mock_partition_wake(mock_cluster *mc, mock_partition *p);

/* --------------------------------------------------------- producer state */

/* Outcome of checking a batch against the producer state. */
typedef struct mock_seq_check {
    kfk_err err;    /* KFK_OK, OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH */
    bool duplicate; /* already appended: answer with its offsets */
    int64_t dup_base_offset;
    int64_t dup_timestamp;
} mock_seq_check;

void mock_producer_check(const mock_partition *p, int64_t producer_id, int16_t epoch,
                         int32_t first_seq, int32_t last_seq, mock_seq_check *out);
/* Records an appended batch. KFK_OK or KFK_ERR_NO_MEMORY. */
kfk_err mock_producer_update(mock_partition *p, int64_t producer_id, int16_t epoch,
                             int32_t first_seq, int32_t last_seq, int64_t first_offset,
                             int64_t last_offset, int64_t timestamp);
/* After the log was truncated at offset: transactions that started
 * there or later are no longer open in p, nor aborted ones that ended
 * there or later listed. */
void mock_producers_truncate(mock_partition *p, int64_t offset);
/* Frees the producer state and the aborted-transaction index. */
void mock_producers_free(mock_partition *p);

/* --------------------------------------------------------------- requests */

/* One request being handled. */
typedef struct mock_req {
    mock_cluster *mc;
    mock_broker *broker;
    mock_conn *conn;
    int16_t key, version;
    int32_t correlation_id;
    kslice client_id;
    kreader body;   /* the request body, after the header */
    karena *arena;  /* for decoding and for building the response */
    kfk_err inject; /* error to answer with instead of acting, 0: none */
    int64_t recv_ns;
} mock_req;

/* What a handler returns. */
#define MOCK_DONE 0     /* answered (or nothing to answer) */
#define MOCK_PARKED 1   /* kept the request; it answers later (mock_conn_unpark) */
#define MOCK_CLOSE (-1) /* close the connection */

typedef int mock_handler(mock_req *req);

mock_handler mock_handle_api_versions, mock_handle_metadata, mock_handle_create_topics,
    mock_handle_delete_topics, mock_handle_create_partitions, mock_handle_produce,
    mock_handle_fetch, mock_handle_list_offsets, mock_handle_find_coordinator,
    mock_handle_init_producer_id, mock_handle_join_group, mock_handle_sync_group,
    mock_handle_heartbeat, mock_handle_leave_group, mock_handle_describe_groups,
    mock_handle_list_groups, mock_handle_offset_commit, mock_handle_offset_fetch,
    mock_handle_consumer_group_heartbeat, /* handlers_consumer_group.c */
    mock_handle_delete_records,           /* handlers_records.c */
    mock_handle_consumer_group_heartbeat, /* handlers_consumer_group.c */
    mock_handle_consumer_group_describe, mock_handle_delete_groups,
    mock_handle_offset_delete,                                 /* handlers_group_admin.c */
    mock_handle_sasl_handshake, mock_handle_sasl_authenticate; /* sasl.c */
/* handlers_acls.c */
mock_handler mock_handle_create_acls, mock_handle_describe_acls, mock_handle_delete_acls;
void mock_acls_free(mock_cluster *mc);
/* handlers_txn.c and handlers_txn_offset.c */
mock_handler mock_handle_add_partitions_to_txn, mock_handle_add_offsets_to_txn, mock_handle_end_txn,
    mock_handle_describe_transactions, mock_handle_txn_offset_commit;
/* handlers_describe_topics.c, handlers_meta.c */
mock_handler mock_handle_describe_topic_partitions, mock_handle_describe_cluster;
mock_handler mock_handle_elect_leaders,
    mock_handle_list_partition_reassignments; /* handlers_elect.c */
/* handlers_cluster.c */
mock_handler mock_handle_update_features, mock_handle_describe_quorum;
/* handlers_txn_admin.c */
mock_handler mock_handle_list_transactions, mock_handle_describe_producers,
    mock_handle_write_txn_markers;

/* handlers_configs.c */
/* KFK_OK when name is a topic config the mock knows and value (NULL:
 * none) is valid for it; else KFK_ERR_INVALID_CONFIG with Kafka's
 * message in *msg (req's arena). */
kfk_err mock_topic_config_check(mock_req *req, kslice name, kslice value, kslice *msg);
mock_handler mock_handle_describe_configs, mock_handle_incremental_alter_configs,
    mock_handle_alter_configs, mock_handle_list_config_resources;

/* The handler of an API key, or NULL when the mock does not implement it. */
mock_handler *mock_handler_for(int16_t key);
/* Sets mc's served version ranges to everything implemented. */
void mock_api_init(mock_cluster *mc);
/* Handles one request frame (no size prefix) of c. */
int mock_dispatch(mock_conn *c, const uint8_t *frame, size_t len);
/* Encodes resp (the API's response struct) as the answer to req and queues
 * it. Returns MOCK_DONE, or MOCK_CLOSE when encoding fails. */
int mock_respond(mock_req *req, const void *resp);
/* Takes the next pushed error for (broker, key): 0 when none. */
kfk_err mock_errq_pop(mock_cluster *mc, int32_t broker_id, int16_t key);
/* Decodes the request body of req into m; MOCK_DONE or MOCK_CLOSE. */
int mock_decode(mock_req *req, void *m);

/* A Kafka error with its message, for responses. */
static inline kslice mock_errmsg(const char *s)
{
    return kwire_cstr(s);
}
/* A message formatted into the request's arena (at most 511 bytes; an
 * empty slice when out of memory). */
kslice mock_msgf(mock_req *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------ connections */

/* A response waiting to be written: bytes in head, optionally interleaved
 * with referenced stored batches (segments). */
typedef struct mock_seg {
    krbuf *ref; /* NULL: the bytes are head's */
    size_t off, len;
} mock_seg;

typedef struct mock_out {
    struct mock_out *next;
    int64_t send_at_ns;
    kbuf head;
    mock_seg *segs; /* NULL: head alone */
    size_t n_segs, cap_segs;
    size_t seg_i, seg_off; /* write progress */
    size_t len;            /* total bytes */
} mock_out;

/* A new response for req, due at its arrival plus the broker's rtt. */
mock_out *mock_out_new(mock_req *req);
/* Adds len bytes of head (from off) or of a stored batch as a segment. */
int mock_out_seg(mock_out *o, krbuf *ref, size_t off, size_t len);
/* Queues o on c (taking it) and tries to write. */
void mock_conn_send(mock_conn *c, mock_out *o);
void mock_out_free(mock_out *o);

void mock_conn_accept(kio *io, uint32_t events);
/* Closes c now (its struct is freed at the end of the loop pass). */
void mock_conn_close(mock_conn *c);
/* A parked request answered: go on with the connection's next requests. */
void mock_conn_unpark(mock_conn *c);
mock_broker *mock_conn_broker(mock_conn *c);
mock_session *mock_conn_session(mock_conn *c);
/* Handles no more requests of c and closes it once its queued responses
 * are written (a failed authentication). */
void mock_conn_close_after_send(mock_conn *c);
karena *mock_conn_arena(mock_conn *c);
void mock_conns_free_closed(mock_cluster *mc);

/* ------------------------------------------------------------ fetch waits */

/* Re-checks the parked fetches of brokers marked fetch_wake. */
void mock_fetch_wake_all(mock_cluster *mc);
/* Drops a connection's parked fetch (the connection is closing). */
void mock_fetch_wait_cancel_conn(mock_conn *c);
/* The same for parked ShareFetches (share_wait.c), and re-checking those
 * of broker b. */
void mock_share_wait_cancel_conn(mock_conn *c);
void mock_share_wake_broker(mock_broker *b);
void mock_fetch_sessions_free(mock_broker *b);

#endif
