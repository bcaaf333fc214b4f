/* What conn.c (the state machine) and conn_io.c (framing, requests,
 * socket reads and writes) share. Nothing outside lib/net includes this. */
#ifndef KFK_NET_CONN_INT_H
#define KFK_NET_CONN_INT_H

#include <sys/uio.h>

#include "net/conn.h"
#include "net/sock.h"
#include "net/versions.h"
#include "proto/gen/api_versions.h"
#include "proto/gen/sasl_authenticate.h"
#include "proto/gen/sasl_handshake.h"

/* Frames up to this size are read into the connection's read buffer and
 * decoded there; larger ones get a buffer of their own. */
#define KCONN_RBUF_BYTES (64 * 1024)

/* A FIFO of requests linked through kreq.next. */
typedef struct kreq_queue {
    kreq *head;
    kreq **tail;
    int n;
} kreq_queue;

/* Per-loop state. Its tasks batch work across connections: requests that
 * arrive in one pass of the inbox are encoded and written by one flush
 * per connection, after the pass. */
struct kconn_group {
    kloop *loop;
    const kconn_config *cfg;
    kconn *conns;      /* loop thread: every live connection */
    kconn *dirty;      /* loop thread: connections to flush */
    ktask flush_task;  /* flushes the dirty list */
    bool flush_queued; /* loop thread: flush_task is in the inbox */
    ktask kick_task;   /* pulls sources of kicked connections */
    atomic_bool kick_queued;
};

struct kconn {
    kconn_group *group;
    kloop *loop;
    const kconn_config *cfg;
    kconn *prev, *next; /* in group->conns */
    kconn *next_dirty;  /* in group->dirty */
    bool dirty;
    int32_t node_id;
    int port;
    char *host;
    char name[80]; /* for logs: "host:port/node" */
    void *opaque;  /* for cfg->on_state */

    _Atomic int state;  /* kconn_state; written on the loop thread only */
    _Atomic int load;   /* submitted and not yet completed */
    atomic_bool kicked; /* a source has work; the group's kick task will look */
    bool retiring;      /* free once idle */
    bool want_connect;  /* a source has work: connect even with no request */

    kio io;
    ktimer timer;
    ktask adopt_task, retire_task;

    kresolve_job *resolve_job;
    kaddrs addrs;
    int addr_idx;
    uint32_t failures;         /* consecutive failed attempts, for backoff */
    kfk_err refused;           /* KFK_ERR_TLS or KFK_ERR_AUTH: why the last attempt failed */
    int64_t state_deadline_ns; /* connect timeout or end of backoff; 0: none */
    int64_t last_active_ns;    /* last byte in or out, for idle reaping */
    int64_t req_deadline_ns;   /* <= every queued request's deadline; 0: none */
    int64_t throttle_until_ns; /* KIP-219: send nothing new before this; 0: none */
    kconn_stats stats;         /* written on the loop thread only */

    kreq_queue pending;  /* not yet sent */
    kreq_queue inflight; /* sent, awaiting responses, in send order */
    kreq_queue unacked;  /* KREQ_F_NO_RESPONSE, encoded, not fully written */
    ksource *sources;
    int32_t next_correlation_id;

    /* Output (conn_out.c): encoded frames not yet written, in out, with
     * the record batches of KREQ_F_GATHER requests left in place and
     * written from there: gather.v[i] goes right before out byte at. */
    kbuf out;
    size_t out_sent;      /* bytes of out already written */
    kgather gather;       /* sorted by at */
    size_t ext_head;      /* gather.v[] before this are written */
    size_t ext_sent;      /* bytes of gather.v[ext_head] written */
    uint64_t wire_queued; /* bytes ever encoded for this connection */
    uint64_t wire_sent;   /* bytes ever written */
    kbuf rbuf;       /* bytes read and not yet consumed */
    size_t rpos;     /* start of the first unconsumed frame in rbuf */
    krbuf *big;      /* a frame being read into its own buffer */
    size_t big_have; /* bytes of big filled */
    karena arena;    /* decoded responses, reset after each */

    kversions versions;
    kreq av_req; /* the connection's own ApiVersions request */
    kp_api_versions_request av_body;

    ktls *tls;               /* NULL: plaintext */
    bool tls_read_wants_out; /* a TLS read needs the socket writable */
    bool tls_write_wants_in; /* a TLS write needs the socket readable */

    /* SASL (conn_sasl.c): the connection's own requests, one at a time */
    kreq sasl_req;
    kp_sasl_handshake_request sasl_hs;
    kp_sasl_authenticate_request sasl_auth;
    unsigned char *sasl_msg; /* the mechanism's last message, being sent */
    size_t sasl_msg_len;
    void *sasl_state;        /* the mechanism's, between start and end */
    bool sasl_started;
    kwork *sasl_work;              /* a may_block mechanism's call on the worker; NULL: none */
    int64_t sasl_work_deadline_ns; /* when to give up on sasl_work; 0: none */
    bool reauthenticating;   /* KIP-368: READY, new requests held back */
    int64_t reauth_at_ns;    /* when to authenticate again; 0: never */
};

/* Statistics on a state change: when, and READY gained or lost. Loop
 * thread. */
static inline void kconn_stats_state(kconn_stats *st, kconn_state from, kconn_state to,
                                     int64_t now_ns)
{
    atomic_store_explicit(&st->state_since_ns, now_ns, memory_order_relaxed);
    if (to == KCONN_READY) kstat_add(&st->connects, 1);
    if (from == KCONN_READY) kstat_add(&st->disconnects, 1);
}

/* Statistics: how many requests wait to be sent and for their answers. */
static inline void kconn_stats_queues(kconn *c)
{
    atomic_store_explicit(&c->stats.outbuf_cnt, c->pending.n, memory_order_relaxed);
    atomic_store_explicit(&c->stats.waitresp_cnt, c->inflight.n + c->unacked.n,
                          memory_order_relaxed);
}

/* conn.c: transitions that conn_io.c triggers. */
void kconn_fail(kconn *c, kfk_err err, const char *why);
void kconn_on_connect_done(kconn *c);
/* Moves the TLS handshake on when the socket is ready. */
void kconn_tls_step(kconn *c);
void kconn_on_api_versions(kconn *c, const kp_api_versions_response *resp);
void kconn_arm_timer(kconn *c);
/* Starts connecting when c is DOWN (a request or a kick arrived). */
void kconn_wake(kconn *c);
/* Frees c when it is retiring and has nothing left to do. */
void kconn_maybe_free(kconn *c);
/* API_VERSIONS or SASL -> READY; resumes a re-authenticated connection. */
void kconn_become_ready(kconn *c);
/* A TLS or authentication failure: reported, then kconn_fail. */
void kconn_fail_security(kconn *c, kfk_err err, const char *why);

/* conn_sasl.c */
/* API_VERSIONS -> SASL (or READY again after a re-authentication):
 * sends SaslHandshake. */
void kconn_sasl_start(kconn *c);
/* The answer to the connection's own SASL request. Returns 0, or -1 when
 * the connection failed. */
int kconn_sasl_on_response(kconn *c, kreader *rd);
/* Ends the mechanism's state and drops the message being sent; a call
 * running on the worker is cancelled. */
void kconn_sasl_reset(kconn *c);
/* What one call of the mechanism (start and first step, or step) gave:
 * sends the next message, or finishes. Returns 0, or -1 when the
 * connection failed. */
int kconn_sasl_stepped(kconn *c, kfk_err err, const char *why, unsigned char *out, size_t out_len,
                       bool done, int64_t lifetime_ms);
/* Calls the mechanism's step and copies the message it made (the
 * mechanism's until its next call) into *out, a buffer of kfk's own, NULL
 * for none or an empty one. */
kfk_err kconn_sasl_call_step(const kfk_sasl_mechanism *m, void *state, const uint8_t *in,
                             size_t in_len, unsigned char **out, size_t *out_len, bool *done,
                             char *why, size_t why_len);

/* conn_sasl_work.c: a may_block mechanism's calls, on cfg->worker. The
 * mechanism's state goes with the call and comes back when it is done.
 * start: call start (then step with no input); else step with in (copied).
 * Returns 0, or -1 when the connection failed. */
int kconn_sasl_offload(kconn *c, bool start, const uint8_t *in, size_t in_len,
                       int64_t lifetime_ms);
/* The call in flight will never report (kconn_sasl_reset). */
void kconn_sasl_offload_cancel(kconn *c);

/* conn_io.c */
void kreq_queue_init(kreq_queue *q);
void kreq_queue_push(kreq_queue *q, kreq *r);
kreq *kreq_queue_pop(kreq_queue *q);
/* Completes r (not in any queue) with err; the last thing done with r. */
void kconn_complete(kconn *c, kreq *r, kfk_err err, void *resp, karena *arena);
/* Completes every request of q with err. */
void kconn_fail_queue(kconn *c, kreq_queue *q, kfk_err err);
/* Encodes queued requests within the in-flight limit and writes. */
void kconn_flush(kconn *c);
/* Schedules kconn_flush to run after the tasks being run now. */
void kconn_schedule_flush(kconn *c);
/* Takes c off the group's dirty list. */
void kconn_undirty(kconn *c);
/* The group's tasks. */
void kconn_group_flush(ktask *t);
/* Socket readiness once connected. */
void kconn_on_io(kio *io, uint32_t events);
/* Writes as much of the output as the socket takes. Returns 0, or -1 when
 * the connection failed. */
int kconn_write(kconn *c);
/* Encodes r at version into the output, bypassing the pending queue and
 * the in-flight limit (ApiVersions while connecting); kconn_write sends
 * it. Returns 0 or an encoder error (r not queued). */
kfk_err kconn_send_now(kconn *c, kreq *r, int16_t version);
/* Completes queued requests whose deadline passed; returns 1 when an
 * in-flight one did (the caller must close the connection). Recomputes
 * req_deadline_ns. */
int kconn_expire(kconn *c, int64_t now_ns);
/* Drops read and write buffers' contents (the socket is gone). */
void kconn_reset_buffers(kconn *c);

/* conn_out.c: the output queue. */
/* Gathered fields are at least this long: below it a copy costs less
 * than a piece of its own in the writev. */
#define KCONN_GATHER_MIN 4096
/* Whether every encoded byte was written. */
static inline bool kconn_out_done(const kconn *c)
{
    return c->out_sent == c->out.len && c->ext_head == c->gather.n;
}
/* Up to max pieces of what is left to write, in order; returns how many. */
int kconn_out_iov(const kconn *c, struct iovec *iov, int max);
/* Notes that n more bytes were written. */
void kconn_out_advance(kconn *c, size_t n);
/* Drops written bytes from the front of out when that is cheap enough. */
void kconn_out_compact(kconn *c);
/* Copies the gathered fields not yet written into out, so that nothing
 * written later refers to memory outside the connection. Returns 0 or -1
 * when memory is exhausted. */
int kconn_out_flatten(kconn *c);
/* Empties the queue (all written, or the connection is gone). */
void kconn_out_reset(kconn *c);

#endif
