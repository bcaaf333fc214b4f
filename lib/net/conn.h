/* One connection to one broker, and the group of connections one I/O
 * thread owns.
 *
 * A kconn lives on one loop (one I/O thread) for its whole life; all its
 * state is touched only there, without locks. Other threads talk to it by
 * posting: kconn_submit() queues a request from any thread, kconn_kick()
 * wakes its sources, kconn_retire() closes it. Its state and load can be
 * read from any thread (atomics) for routing decisions.
 *
 * The state machine, one function per transition in conn.c:
 *
 *   DOWN --request--> RESOLVING --addresses--> CONNECTING --connected-->
 *   [TLS] --> API_VERSIONS --negotiated--> [SASL] --> READY
 *   any failure --> BACKOFF --timer--> DOWN, or CONNECTING when work waits
 *   READY --idle for connections.max.idle.ms--> DOWN
 *   retired --> CLOSED (freed once its requests are done)
 *
 * TLS runs when cfg->tls is set (tls.h), SASL when cfg->sasl is
 * (conn_sasl.c): SaslHandshake, then SaslAuthenticate rounds driven by the
 * mechanism. A failure in either completes every queued request with
 * KFK_ERR_TLS or KFK_ERR_AUTH, reports the reason through cfg->on_error,
 * and backs off like any failed connect. KIP-368: when the broker gives
 * the session a lifetime, the connection authenticates again before it
 * ends, holding back new requests (not failing any) while it does.
 *
 * Requests queue while the connection comes up and go out when it is
 * READY, up to max.in.flight.requests.per.connection at a time, encoded
 * into one output buffer written with one send() for many requests. A
 * failure completes every queued and in-flight request with the error;
 * higher layers decide whether to retry and where. A request submitted
 * while the connection backs off fails at once with KFK_ERR_TRANSPORT
 * (KFK_ERR_TLS or KFK_ERR_AUTH when that is why the last attempt failed), as
 * the Java client fails requests to a node it cannot reach, so routing
 * can pick another broker instead of waiting. A request whose deadline
 * passes while in flight completes with KFK_ERR_TIMED_OUT and the
 * connection is closed (its response could still arrive and nothing could
 * match it); one that times out before it was sent just completes. */
#ifndef KFK_NET_CONN_H
#define KFK_NET_CONN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/hist.h"
#include "base/log.h"
#include "net/loop.h"
#include "net/req.h"
#include "net/resolver.h"
#include "net/tls.h"
#include "net/worker.h"

typedef enum kconn_state {
    KCONN_DOWN,         /* no socket; connects when work arrives */
    KCONN_RESOLVING,    /* waiting for the resolver thread */
    KCONN_CONNECTING,   /* TCP connect in progress */
    KCONN_TLS,          /* TLS handshake */
    KCONN_API_VERSIONS, /* ApiVersions sent, waiting for the answer */
    KCONN_SASL,         /* SASL handshake and authentication */
    KCONN_READY,        /* carrying requests */
    KCONN_BACKOFF,      /* failed; waiting before the next attempt */
    KCONN_CLOSED,       /* retired: finishing its requests, then freed */
} kconn_state;

/* "DOWN", "READY", ... */
const char *kconn_state_name(kconn_state s);

typedef struct kconn_group kconn_group;

/* Settings shared by every connection of a client; the client owns it and
 * keeps it alive and unchanged until every group is freed. */
typedef struct kconn_config {
    const char *client_id;     /* request header client_id; NULL: "" */
    const char *software_name; /* ApiVersions v3+ (KIP-511) */
    const char *software_version;
    int64_t setup_timeout_ms;     /* socket.connection.setup.timeout.ms */
    int64_t setup_timeout_max_ms; /* socket.connection.setup.timeout.max.ms */
    int64_t backoff_ms;           /* reconnect.backoff.ms */
    int64_t backoff_max_ms;       /* reconnect.backoff.max.ms */
    int64_t idle_ms;              /* connections.max.idle.ms; -1: never */
    int max_in_flight;            /* max.in.flight.requests.per.connection */
    int sndbuf, rcvbuf;           /* send/receive.buffer.bytes; <= 0: OS default */
    size_t frame_max_bytes;       /* larger responses close the connection */
    kresolver *resolver;          /* for names that are not numeric addresses */
    ktls_ctx *tls;                /* NULL: plaintext */
    const kfk_sasl_mechanism *sasl; /* NULL: no SASL */
    kworker *worker;                /* runs sasl's calls when it may_block */
    klogger log;
    /* Optional, on the loop thread: a connection failed TLS (KFK_ERR_TLS)
     * or authentication (KFK_ERR_AUTH); reason holds no secret. */
    void (*on_error)(void *opaque, kconn *c, kfk_err err, const char *reason);
    /* Optional, on the loop thread: a broker's answer asked for quiet
     * (KIP-219); c sends nothing new for throttle_ms. */
    void (*on_throttle)(void *opaque, kconn *c, int throttle_ms);
    /* Optional, on the loop thread: a connection changed state. */
    void (*on_state)(void *opaque, kconn *c, kconn_state from, kconn_state to);
} kconn_config;

/* What a connection counted, for statistics. Written on the connection's
 * loop thread only (kstat_add), read from any thread while a reference to
 * the connection's broker keeps it alive (kconn_stats_get). */
typedef struct kconn_stats {
    kstat tx, tx_bytes;             /* requests encoded for sending, their bytes */
    kstat tx_errs;                  /* sends that failed (the connection was lost) */
    kstat rx, rx_bytes;             /* responses read, their bytes (size prefix included) */
    kstat rx_errs;                  /* reads that failed, responses that did not decode or match */
    kstat connects;                 /* times the connection became READY */
    kstat disconnects;              /* times a READY connection went down */
    _Atomic int64_t state_since_ns; /* when state last changed (monotonic clock) */
    _Atomic int outbuf_cnt;         /* requests waiting to be sent, as of the last flush */
    _Atomic int waitresp_cnt;       /* requests sent and waiting for their response */
    kwhist rtt_us;                  /* from encoding a request to reading its response */
    kwhist throttle_ms;             /* every throttle_time_ms a response carried (0s too) */
} kconn_stats;

/* Fills cfg with the Java client's defaults. */
void kconn_config_defaults(kconn_config *cfg);

/* A group for the connections of one loop. NULL when out of memory. */
kconn_group *kconn_group_new(kloop *loop, const kconn_config *cfg);

/* Closes every connection of g for good, completing their requests with
 * err. Loop thread (typically the final task of kloop_stop). The
 * connections stay allocated, so that other threads racing to submit to
 * them see the loop refuse the post, until kconn_group_free. */
void kconn_group_close_all(kconn_group *g, kfk_err err);

/* Frees g and its connections once its loop has stopped. */
void kconn_group_free(kconn_group *g);

kloop *kconn_group_loop(const kconn_group *g);

/* A connection to node_id at host:port, DOWN, on g's loop; opaque goes to
 * cfg->on_state. Any thread: creation only allocates, the loop adopts the
 * connection with the first task it runs for it. NULL when out of memory. */
kconn *kconn_new(kconn_group *g, int32_t node_id, const char *host, int port, void *opaque);

/* Queues r on c (see req.h). Any thread. When the loop is stopping, r
 * completes with KFK_ERR_DESTROYED on the calling thread before this
 * returns. */
void kconn_submit(kconn *c, kreq *r);

/* Queues r on c from c's own loop thread, without a task hop (sources,
 * completion callbacks). */
void kconn_send(kconn *c, kreq *r);

/* Asks c to close once its queued and in-flight requests are done, then
 * free itself. Nothing may be submitted to c afterwards. Any thread;
 * a no-op when the loop is stopping (kconn_group_close_all frees c). */
void kconn_retire(kconn *c);

/* A producer of requests for one connection (the producer's batches for
 * the partitions a broker leads, the consumer's fetches): pull runs on the
 * loop thread when the connection is READY and has room for `room` more
 * in-flight requests, and sends up to that many with kconn_send(). Sources
 * are attached and detached on the loop thread. */
typedef struct ksource ksource;
struct ksource {
    ksource *next;
    void (*pull)(ksource *s, kconn *c, int room);
};
void kconn_add_source(kconn *c, ksource *s);
void kconn_remove_source(kconn *c, ksource *s);

/* Tells c that a source has work: c connects if it is DOWN and pulls when
 * it is READY. Any thread; cheap when called often (one wake-up until the
 * loop has run). */
void kconn_kick(kconn *c);

/* Any thread: a snapshot of c's state and of how many requests are
 * submitted and not yet completed (its load, for least-loaded routing). */
kconn_state kconn_state_get(const kconn *c);
int kconn_load(const kconn *c);
int32_t kconn_node_id(const kconn *c);
/* c's statistics; valid while c is (a reference to its broker). Any
 * thread: every field is an atomic (the reader may empty the histograms'
 * windows, with atomic exchanges). */
kconn_stats *kconn_stats_get(kconn *c);
/* "host:port/node", as the connection's log lines name it. */
const char *kconn_name(const kconn *c);
/* KFK_ERR_TLS or KFK_ERR_AUTH when the last attempt failed that way (the
 * broker refused this client), else KFK_OK. c's loop thread. */
kfk_err kconn_refused(const kconn *c);
kloop *kconn_loop(const kconn *c);

/* Loop thread: the version of api_key that c would send within [min,
 * max] (max -1: any), or -1 when none or c is not READY. */
int16_t kconn_version(const kconn *c, int16_t api_key, int16_t min, int16_t max);
/* Loop thread: the transaction.version c's broker finalized (KIP-890;
 * 0: none), as its last ApiVersions answer said. */
int16_t kconn_txn_version(const kconn *c);

#endif
