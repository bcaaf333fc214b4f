/* kclient: the core every kfk handle (producer, consumer, admin) stands on.
 *
 * It owns the configuration, the logger, the I/O threads (one loop each,
 * started as brokers appear, up to io.threads or one per core), the
 * background loop, the broker registry, the metadata cache and its
 * refresh, and calls: requests with routing and retries.
 *
 * Threads, as built:
 *   kfk-io-N   (1..io.threads) each owns the connections of the brokers
 *              assigned to it, for their whole life, and runs request
 *              completions. Broker k (in order of discovery) goes to loop
 *              k mod N; bootstrap connections live on loop 0.
 *   kfk-bg     timers and slow state machines: metadata refresh every
 *              metadata.max.age.ms and on demand, calls waiting for
 *              metadata or a coordinator, retry backoffs. Metadata answers
 *              are applied on the I/O thread that received them (the cache
 *              has its own short mutex), so bg never parses big responses.
 *   kfk-resolve  started on the first host name that is not a numeric
 *              address; does getaddrinfo so no loop ever blocks on DNS.
 *
 * A kcall is the unit of work: an API request plus where it goes
 * (a broker, a partition's leader, any broker, the controller, a
 * coordinator) and until when it may be retried. The caller owns the
 * kcall (embed it; no allocation per call) and its request body, and gets
 * exactly one completion.
 *
 * How the producer and the consumer are meant to sit on this:
 *   - Control requests (InitProducerId, FindCoordinator-routed group and
 *     transaction calls, ListOffsets, OffsetCommit...) are kcalls: routing,
 *     retries and deadlines come with them.
 *   - The data path (Produce, Fetch) does not go through kcall or any
 *     client lock: attach a ksource (net/conn.h) to each broker's
 *     connection, on that connection's loop thread (post a task to
 *     kconn_loop(b->conn)). The loop pulls requests from the source when
 *     the connection is READY and has in-flight room, encodes them and
 *     writes many with one send; kconn_kick() from the application thread
 *     says a batch is ready (linger expired, batch full). Completions run
 *     on the same I/O thread, which owns that broker's partitions' state.
 *     Fetch uses KREQ_F_KEEP_FRAME to keep record bytes zero-copy.
 *   - Hold a kbroker reference while a source is attached to its
 *     connection, and detach (on the loop thread) before releasing it: the
 *     connection retires when the last reference goes. When
 *     kclient_brokers_version() moves, look the brokers up again: one may
 *     have been replaced (same id, new address: a new connection).
 *   - Read partitions and leaders from the cache (kmeta_topic_get), keep
 *     the references, and look again when kmeta.version moves. Feed
 *     KIP-951 current_leader and node_endpoints of Produce and Fetch
 *     answers to kclient_leader_hint and kclient_node_endpoint, and ask
 *     for kclient_refresh on NOT_LEADER_OR_FOLLOWER and friends. */
#ifndef KFK_CLIENT_CLIENT_H
#define KFK_CLIENT_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/log.h"
#include "client/metadata.h"
#include "kfk.h"
#include "net/conn.h"
#include "proto/gen/fetch.h"
#include "proto/gen/produce.h"

typedef struct kclient kclient;
typedef struct kbroker kbroker;
typedef struct kcall kcall;

/* --- life cycle ------------------------------------------------------------ */

/* A client for a producer, consumer or admin handle (type is one of
 * KCONF_PRODUCER, KCONF_CONSUMER, KCONF_ADMIN); handle is that public
 * handle (NULL in tests), which callbacks receive. Takes conf in every case:
 * on failure it is destroyed too. Validates conf for type, starts the
 * background loop and I/O loop 0, registers the bootstrap brokers and
 * starts a first metadata refresh. Returns NULL with a message in errstr
 * on a bad configuration or when threads or memory cannot be had. */
kclient *kclient_new(kfk_conf *conf, kconf_client type, void *handle, char *errstr, size_t errlen);

/* Stops every thread, completing every request and call in progress with
 * KFK_ERR_DESTROYED (their callbacks run during this call, on kfk
 * threads), and frees everything. Blocks until the threads are joined.
 * Call once, from a thread that is not one of the client's. */
void kclient_destroy(kclient *c);

/* True once kclient_destroy has begun. Any thread. */
bool kclient_destroying(const kclient *c);

/* True in a child process forked after c was made: c's threads stayed
 * in the parent, so c can neither work nor be taken down here; the
 * public calls refuse it (and destroy leaves it alone) instead of
 * waiting on threads that do not exist. NULL: false. Any thread; one
 * atomic load. */
bool kclient_forked(const kclient *c);

const kfk_conf *kclient_conf(const kclient *c);
/* The public handle given to kclient_new, for the application's callbacks. */
void *kclient_handle(const kclient *c);
const klogger *kclient_log(const kclient *c);
/* statistics.interval.ms and stats_cb (stats.h); any thread. */
struct kstats_timer *kclient_stats_timer(kclient *c);
kloop *kclient_bg_loop(const kclient *c);
/* From now on, wake(opaque) runs on kfk-bg whenever a statistics document
 * is due (and again each interval while none is claimed), so that an
 * application waiting on its handle's wake-up fd polls for it. Nothing
 * without statistics.interval.ms and a stats_cb. Called once, when the
 * handle makes its wake-up fd; wake runs until kclient_destroy. */
void kclient_stats_wake_on(kclient *c, void (*wake)(void *opaque), void *opaque);

/* --- last-error texts (last_error.c) ----------------------------------------- */

/* The longest last-error text kept, with its NUL. */
#define KLAST_ERROR_MAX 256

/* A serial for a new client, never 0 and never reused. */
uint64_t kclient_next_serial(void);

/* Sets the calling thread's last-error text for c (printf-style): why the
 * public call now running fails. NULL c: nothing. */
void kclient_error_set(const kclient *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Ends a public call on c that returns err: a failure without a text of
 * its own set during the call gets kfk_err_str(err). Returns err. */
kfk_err kclient_error_end(const kclient *c, kfk_err err);

/* The calling thread's last-error text for c; "" when none. */
const char *kclient_last_error(const kclient *c);

/* Reports an error the application should hear of that is not fatal:
 * logs it as an error and calls the application's error callback, if
 * any. The caller says when (each transition, not each retry). Any
 * thread; no lock held. */
void kclient_error(kclient *c, kfk_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports a fatal error: logs it and calls the application's error
 * callback, if any, once per client. Any thread; no lock held. */
void kclient_fatal(kclient *c, kfk_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- brokers ---------------------------------------------------------------- */

/* A broker the client knows: from metadata (id >= 0) or from
 * bootstrap.servers (ids -1, -2, ... until the first metadata answer
 * names the real ones). Refcounted; its connections are retired when the
 * last reference goes, after the broker left the cluster or the registry
 * replaced it (same id, new address).
 *
 * conn carries the data path (Produce, Fetch) and every call but those
 * routed KROUTE_COORDINATOR, which get a second connection of their own,
 * opened when the first one is sent: a broker answers one connection's
 * requests in order, so a Heartbeat or a sync OffsetCommit on conn would
 * wait behind a Fetch parked for fetch.max.wait.ms (the Java client's
 * AbstractCoordinator does the same, as node Integer.MAX_VALUE - id). */
struct kbroker {
    atomic_int refcnt;
    int32_t id;
    int port;
    char *host;
    char *rack; /* NULL: none */
    kconn *conn;
    kclient *client;
    /* private */
    kconn_group *group;          /* conn's, for coord_conn */
    kconn *_Atomic coord_conn;   /* NULL until a coordinator call needs it */
};

/* A reference to broker id, or NULL. Any thread. */
kbroker *kclient_broker(kclient *c, int32_t id);
void kbroker_unref(kbroker *b);

/* The broker that should take a request meant for any broker: a READY
 * connection before one that is down or connecting, and those before one
 * in backoff; the fewest requests in progress among equals, rotating
 * between ties. Real brokers once known, else the bootstrap list. NULL
 * when the client knows none. Any thread. */
kbroker *kclient_least_loaded(kclient *c);

/* A snapshot of the registry: *out gets an array of references (release
 * each, then free() the array). Returns the count, -1 when out of memory. */
int kclient_brokers(kclient *c, kbroker ***out);

/* Grows whenever a broker is added, replaced or removed. Any thread. */
uint64_t kclient_brokers_version(const kclient *c);

/* KIP-951: a Produce or Fetch answer carried a node endpoint; adds or
 * updates that broker in the registry. Any thread. */
void kclient_node_endpoint(kclient *c, int32_t id, kslice host, int32_t port, kslice rack);

/* --- metadata ---------------------------------------------------------------- */

/* The cache (see metadata.h); read it freely, update it only through the
 * kclient functions below. */
kmeta *kclient_meta(kclient *c);

/* Adds topic names to those the periodic refresh asks for (the producer
 * adds the topics it writes to, the consumer its subscription); copies
 * them. want_all asks for every topic (regex subscriptions). Any thread. */
void kclient_want_topics(kclient *c, const char *const *names, size_t n);
void kclient_want_all_topics(kclient *c, bool all);
/* Takes names out of that set again (the producer's idle topics); the
 * cache keeps what it knew of them. Whether name is in the set. Any
 * thread. */
void kclient_unwant_topics(kclient *c, const char *const *names, size_t n);
bool kclient_wants_topic(kclient *c, const char *name);

/* Asks for a metadata refresh soon: coalesced (any number of calls while
 * one is in flight give one more after it), and no sooner than
 * retry.backoff.ms after the previous one started. Any thread; never
 * blocks. */
void kclient_refresh(kclient *c, const char *why);

/* Calls fn(opaque) on kfk-bg after every successful metadata refresh,
 * changed or not, so a user of the cache can act on new leaders without
 * looking on a timer (the producer re-routes queued batches; while a
 * partition it needs has no leader it asks for another refresh, which
 * kclient_refresh paces). One watcher per client; fn NULL removes it.
 * Any thread; fn must not block. */
typedef void kclient_meta_watch_fn(void *opaque);
void kclient_set_meta_watch(kclient *c, kclient_meta_watch_fn *fn, void *opaque);

/* Calls fn(opaque, err) on an I/O thread each time a broker connection
 * fails TLS (KFK_ERR_TLS) or authentication (KFK_ERR_AUTH), after the
 * application's error callback. One watcher per client; fn NULL removes
 * it. Any thread; fn must not block. */
typedef void kclient_error_watch_fn(void *opaque, kfk_err err);
void kclient_set_error_watch(kclient *c, kclient_error_watch_fn *fn, void *opaque);

/* Waits until a refresh that starts after this call has completed (or
 * failed), for at most timeout_ms. Returns KFK_OK, KFK_ERR_TIMED_OUT,
 * KFK_ERR_DESTROYED, or KFK_ERR_AUTH / KFK_ERR_TLS when the refresh failed
 * because the broker refused the connection. Application threads only:
 * it blocks. */
kfk_err kclient_refresh_wait(kclient *c, int timeout_ms);

/* Takes in a Metadata answer (from the client's own refresh or from any
 * other Metadata call): brokers into the registry, topics into the cache.
 * all_topics: the request asked for every topic. Any thread. */
void kclient_metadata_apply(kclient *c, const kp_metadata_response *resp, bool all_topics);

/* KIP-951: a Produce or Fetch answer named a partition's current leader;
 * the cache takes it unless it knows a newer epoch. Any thread. */
void kclient_leader_hint(kclient *c, const char *topic, int32_t partition, int32_t leader,
                         int32_t epoch);

/* KIP-951 for a whole Produce or Fetch answer, on the I/O thread that got
 * it: node endpoints go to the registry, then each partition that failed
 * with NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH and names its current
 * leader goes to the cache, so the retry goes straight to the new leader.
 * A partition that failed for stale metadata without a usable hint asks
 * for a refresh. Returns how many partitions moved. */
int kclient_produce_hints(kclient *c, const kp_produce_response *r);
int kclient_fetch_hints(kclient *c, const kp_fetch_response *r);

/* --- calls ---------------------------------------------------------------------- */

typedef enum kroute {
    KROUTE_ANY,         /* the least loaded broker */
    KROUTE_BROKER,      /* broker_id */
    KROUTE_LEADER,      /* the leader of topic/partition */
    KROUTE_CONTROLLER,  /* the controller Metadata names (KRaft: any broker forwards) */
    KROUTE_COORDINATOR, /* the coordinator of coord_key of coord_type (FindCoordinator) */
} kroute;

/* Decides, from a response, the error that counts for retrying: KFK_OK for
 * an answer to hand to done, a retriable code to try again, anything else
 * to stop. NULL: only transport errors retry. Runs on an I/O thread. */
typedef kfk_err kcall_check_fn(kcall *call, void *resp);

/* The call's one completion. err is KFK_OK or the last error (for a call
 * that ran out of time while retrying, KFK_ERR_TIMED_OUT; call->last_err
 * has the error before it). resp is the last response when there was one
 * (also with an error, so done can read its messages), else NULL; resp
 * and arena live only during the call, as for kreq. Runs on an I/O
 * thread, on kfk-bg (timeouts), or during kclient_destroy; must be quick
 * and must not block. */
typedef void kcall_done_fn(kcall *call, kfk_err err, void *resp, karena *arena);

struct kcall {
    /* caller: set before kcall_start */
    const kproto_client *api;         /* kp_<api>_client */
    int16_t api_key;                  /* api's key, as kcall_init sets it */
    int16_t min_version, max_version; /* as in kreq; max -1: any */
    uint16_t req_flags;               /* KREQ_F_* */
    const void *body;                 /* kp_<api>_request, unchanged until done */
    kroute route;
    int32_t broker_id;     /* KROUTE_BROKER */
    const char *topic;     /* KROUTE_LEADER; the caller's, until done */
    int32_t partition;     /* KROUTE_LEADER */
    int8_t coord_type;     /* KROUTE_COORDINATOR: 0 group, 1 transaction */
    const char *coord_key; /* KROUTE_COORDINATOR; the caller's, until done */
    int64_t deadline_ns;   /* the whole call's, retries included */
    int64_t attempt_timeout_ms; /* one attempt's; 0: request.timeout.ms (JoinGroup waits
                                   for the rebalance, longer) */
    bool no_retry;         /* one attempt only */
    int32_t max_retries;   /* > 0: retriable failures sent again at most this often; 0: until
                              the deadline */
    /* After quick_err (0: none) the retry waits quick_backoff_ms, not
     * retry.backoff.ms: for a refusal that clears within milliseconds. */
    kfk_err quick_err;
    int64_t quick_backoff_ms;
    kcall_check_fn *check;
    kcall_done_fn *done;
    void *opaque;

    /* kclient: readable in done */
    int attempts;     /* requests sent */
    int failed_sends; /* requests that went out and failed (max_retries bounds them) */
    kfk_err last_err; /* the error of the last attempt */
    int32_t sent_to;  /* broker of the last attempt; INT32_MIN: none */
    int16_t version;  /* version of the last attempt */
    int16_t txn_version; /* the transaction.version its broker finalized (KIP-890) */

    /* private */
    kclient *client;
    kreq req;
    ktimer timer; /* kfk-bg: retry backoff, or the deadline while parked */
    ktask task;   /* hop to kfk-bg */
    kcall *prev, *next;
    int stage;
};

/* Sets call up for api (kp_<api>_client) with body, routed to any broker,
 * without a deadline (set one) and with done and opaque. */
void kcall_init(kcall *call, const kproto_client *api, const void *body, kcall_done_fn *done,
                void *opaque);

/* Starts call: routes it and sends it, or parks it until metadata (or a
 * coordinator) can route it. Any thread. During kclient_destroy done may
 * run before this returns. */
void kcall_start(kclient *c, kcall *call);

/* The deadline for a call that should end timeout_ms from now. */
int64_t kclient_deadline(int timeout_ms);

/* --- coordinators ------------------------------------------------------------------ */

/* Forgets the cached coordinator of key (NOT_COORDINATOR and friends);
 * the next call to it looks it up again. Any thread. */
void kclient_coordinator_invalidate(kclient *c, int8_t type, const char *key);

/* Whether err says the coordinator moved, is loading or is not there
 * yet: a call to it that a kcall check hands this error is looked up and
 * sent again. */
static inline bool kcoordinator_error(kfk_err err)
{
    return err == KFK_ERR_NOT_COORDINATOR || err == KFK_ERR_COORDINATOR_NOT_AVAILABLE ||
           err == KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS;
}

#endif
