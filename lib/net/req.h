/* A request to a broker, as lib/net carries it.
 *
 * The caller owns the kreq (embedded in its own object, so submitting
 * costs no allocation), fills the fields under "caller", and hands it to
 * kconn_submit() or kconn_send(). The connection's I/O thread picks the
 * version (the highest both sides speak within [min_version,
 * max_version]), encodes body at send time, matches the response by
 * correlation id, decodes it into the connection's arena and calls done,
 * exactly once, whatever happens:
 *
 *   done(req, KFK_OK, resp, arena)   resp is the decoded kp_<api>_response
 *   done(req, err, NULL, NULL)       KFK_ERR_TIMED_OUT at deadline_ns
 *       (a request in flight then closes the connection, unless its
 *       wire_deadline_ns is later: see there), KFK_ERR_TRANSPORT
 *       (connection failed or closed), KFK_ERR_TLS or KFK_ERR_AUTH (the
 *       broker refused the connection), KFK_ERR_RESOLVE,
 *       KFK_ERR_UNSUPPORTED_VERSION (no common version), KFK_ERR_MALFORMED
 *       (the response did not decode), KFK_ERR_DESTROYED (client going
 *       away), or an encoder error (KFK_ERR_INVALID_ARG, ...).
 *
 * done runs on the connection's I/O thread (or, only while the client is
 * being destroyed, on the thread that submitted). It must be quick and
 * must not block: it holds up every connection of that thread. Higher
 * layers copy what they need or hand off to their own queues. resp, the
 * arena and every slice in resp are valid only during the call, except:
 * with KREQ_F_KEEP_FRAME the response bytes are in req->frame, and the
 * callback may keep them with krbuf_ref() (slices into them stay valid as
 * long as the reference). Once done runs the kreq is the caller's again;
 * it may be submitted anew from within done. */
#ifndef KFK_NET_REQ_H
#define KFK_NET_REQ_H

#include <stdint.h>

#include "base/buf.h"
#include "kfk.h"
#include "net/loop.h"
#include "proto/arena.h"
#include "proto/gen/api_client.h"

typedef struct kreq kreq;
typedef struct kconn kconn;

typedef void kreq_done_fn(kreq *req, kfk_err err, void *resp, karena *arena);

enum {
    /* The broker sends no response (Produce with acks=0): done runs with
     * KFK_OK and resp NULL once the request is written. */
    KREQ_F_NO_RESPONSE = 1 << 0,
    /* Put the response bytes in a refcounted buffer (req->frame). */
    KREQ_F_KEEP_FRAME = 1 << 1,
    /* lib/net private: a stand-in for a request given up in flight */
    KREQ_F_STAND_IN = 1 << 2,
    /* Write the body's long byte fields (record batches) from where they
     * are instead of copying them: they must stay unchanged until done
     * runs. */
    KREQ_F_GATHER = 1 << 3,
};

struct kreq {
    /* caller: set before submitting */
    const kproto_client *api; /* kp_<api>_client */
    int16_t api_key;          /* api's key, as kreq_init sets it */
    int16_t min_version; /* lowest acceptable version; 0: any */
    int16_t max_version; /* highest acceptable; -1: our newest */
    uint16_t flags;      /* KREQ_F_* */
    const void *body;    /* kp_<api>_request; unchanged until done */
    int64_t deadline_ns; /* absolute, ktime_mono_ns() clock */
    /* Optional, later than deadline_ns: how long the broker may take to
     * answer. A request whose deadline_ns passes while it is in flight
     * ends then with KFK_ERR_TIMED_OUT, but its connection stays up and
     * drops the answer when it comes, unless none came by this time: a
     * caller's short deadline is no reason to cut off every other request
     * on the connection. 0: deadline_ns is also the network's. */
    int64_t wire_deadline_ns;
    kreq_done_fn *done;
    void *opaque;

    /* lib/net: valid when done runs */
    int16_t version; /* the version sent; -1 when it never went out */
    krbuf *frame;    /* KREQ_F_KEEP_FRAME: the response frame, borrowed */

    /* lib/net private */
    ktask task; /* carries the kreq to its connection's loop */
    kreq *next;
    kconn *conn;
    int32_t correlation_id;
    uint64_t wire_end; /* KREQ_F_NO_RESPONSE: its last byte's place in the connection's output */
    int64_t sent_ns; /* when it was encoded (loop clock): its round trip starts */
};

/* Sets r up with the caller fields zeroed and max_version -1. */
static inline void kreq_init(kreq *r, const kproto_client *api, const void *body,
                             int64_t deadline_ns, kreq_done_fn *done, void *opaque)
{
    *r = (kreq){0};
    r->api = api;
    r->api_key = api->key;
    r->max_version = -1;
    r->body = body;
    r->deadline_ns = deadline_ns;
    r->done = done;
    r->opaque = opaque;
    r->version = -1;
}

#endif
