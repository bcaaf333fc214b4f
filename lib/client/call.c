/* Calls: routing, retries and parking.
 *
 * A kcall is owned by one thread at a time and moves between them, so it
 * needs no lock: the starting thread routes it and submits it to a
 * connection; the connection's I/O thread completes the request and
 * either finishes the call or hands it to kfk-bg, which holds calls that
 * wait (for their retry backoff, or parked until metadata or a
 * coordinator lookup can route them) and sends them again. */
#include <stdlib.h>

#include "base/container_of.h"
#include "base/err.h"
#include "base/time.h"
#include "client/client_int.h"
#include "net/backoff.h"
#include "proto/api.h"

enum {
    STAGE_IDLE,    /* not started, or done */
    STAGE_SENT,    /* a request is with a connection */
    STAGE_PARKED,  /* kfk-bg: no route yet */
    STAGE_BACKOFF, /* kfk-bg: waiting to retry */
};

/* What a call that cannot be routed waits for. */
typedef enum need { NEED_METADATA, NEED_COORDINATOR } need;

static void route_and_send(kcall *call);
static void on_response(kreq *r, kfk_err err, void *resp, karena *arena);

void kcall_init(kcall *call, const kproto_client *api, const void *body, kcall_done_fn *done,
                void *opaque)
{
    *call = (kcall){0};
    call->api = api;
    call->api_key = api->key;
    call->max_version = -1;
    call->body = body;
    call->route = KROUTE_ANY;
    call->done = done;
    call->opaque = opaque;
    call->sent_to = INT32_MIN;
    call->version = -1;
}

static void finish(kcall *call, kfk_err err, void *resp, karena *arena)
{
    call->stage = STAGE_IDLE;
    call->done(call, err, resp, arena);
}

/* --- the kfk-bg list --------------------------------------------------------- */

static void bg_link(kclient *c, kcall *call)
{
    call->prev = NULL;
    call->next = c->bg_calls;
    if (call->next) call->next->prev = call;
    c->bg_calls = call;
}

static void bg_unlink(kclient *c, kcall *call)
{
    if (call->prev)
        call->prev->next = call->next;
    else
        c->bg_calls = call->next;
    if (call->next) call->next->prev = call->prev;
    call->prev = call->next = NULL;
    kloop_timer_disarm(c->bg, &call->timer);
}

/* Hands call to kfk-bg to run fn there; finishes it when bg is gone. */
static void to_bg(kcall *call, void (*fn)(ktask *))
{
    call->task.fn = fn;
    if (kloop_post(call->client->bg, &call->task) < 0) finish(call, KFK_ERR_DESTROYED, NULL, NULL);
}

static kcall *call_of_task(ktask *t)
{
    return container_of(t, kcall, task);
}

static kcall *call_of_timer(ktimer *t)
{
    return container_of(t, kcall, timer);
}

/* --- routing ------------------------------------------------------------------- */

/* The broker for call, referenced, or NULL with *why set. *err gets a
 * terminal error when the call cannot be routed at all. */
static kbroker *route(kclient *c, kcall *call, need *why, kfk_err *err)
{
    int32_t id = -1, epoch;
    *why = NEED_METADATA;
    switch (call->route) {
    case KROUTE_ANY:
        return kclient_least_loaded(c);
    case KROUTE_BROKER:
        id = call->broker_id;
        break;
    case KROUTE_LEADER:
        if (kmeta_leader(&c->meta, call->topic, call->partition, &id, &epoch) < 0) return NULL;
        break;
    case KROUTE_CONTROLLER:
        id = kmeta_controller(&c->meta);
        break;
    case KROUTE_COORDINATOR: {
        *why = NEED_COORDINATOR;
        id = kcoord_lookup(c, call->coord_type, call->coord_key, err);
        kbroker *b = id >= 0 ? kclient_broker(c, id) : NULL;
        if (id >= 0 && !b) {
            /* The coordinator named a broker that has since left: look
             * again, or the call would park until its deadline. */
            kclient_coordinator_invalidate(c, call->coord_type, call->coord_key);
            kcoord_lookup(c, call->coord_type, call->coord_key, err);
        }
        return b;
    }
    }
    return id >= 0 || call->route == KROUTE_BROKER ? kclient_broker(c, id) : NULL;
}

static void park_task(ktask *t);

static void send_to(kcall *call, kbroker *b)
{
    kclient *c = call->client;
    int64_t attempt_ms = call->attempt_timeout_ms ? call->attempt_timeout_ms : c->request_timeout_ms;
    int64_t wire_deadline = ktime_mono_ns() + attempt_ms * KTIME_NS_PER_MS;
    int64_t deadline = wire_deadline < call->deadline_ns ? wire_deadline : call->deadline_ns;
    kreq *r = &call->req;
    kreq_init(r, call->api, call->body, deadline, on_response, call);
    /* The call's end gives up its request; only no answer within the
     * request timeout says the connection is bad. */
    r->wire_deadline_ns = wire_deadline;
    r->min_version = call->min_version;
    r->max_version = call->max_version;
    r->flags = call->req_flags;
    call->sent_to = b->id;
    call->attempts++;
    call->stage = STAGE_SENT;
    /* Coordinator calls have a connection of their own (see kbroker). */
    kconn *conn = call->route == KROUTE_COORDINATOR ? kbroker_coord_conn(b) : b->conn;
    kconn_submit(conn, r); /* may complete the call before it returns */
}

static void route_and_send(kcall *call)
{
    kclient *c = call->client;
    if (kclient_destroying(c)) {
        finish(call, KFK_ERR_DESTROYED, NULL, NULL);
        return;
    }
    if (ktime_mono_ns() >= call->deadline_ns) {
        finish(call, KFK_ERR_TIMED_OUT, NULL, NULL);
        return;
    }
    need why;
    kfk_err err = KFK_OK;
    kbroker *b = route(c, call, &why, &err);
    if (b) {
        send_to(call, b);
        kbroker_unref(b);
    } else if (err) {
        call->last_err = err;
        finish(call, err, NULL, NULL);
    } else {
        call->stage = STAGE_PARKED;
        to_bg(call, park_task);
    }
}

/* bg: routing information changed, or a retry or park timer fired. */
static void bg_timer(ktimer *t)
{
    kcall *call = call_of_timer(t);
    kclient *c = call->client;
    bg_unlink(c, call);
    if (call->stage == STAGE_PARKED && ktime_mono_ns() >= call->deadline_ns) {
        finish(call, KFK_ERR_TIMED_OUT, NULL, NULL);
        return;
    }
    route_and_send(call);
}

/* bg: one more try (routing may have changed since the call left its
 * thread), then wait for news or the deadline. */
static void park_task(ktask *t)
{
    kcall *call = call_of_task(t);
    kclient *c = call->client;
    need why;
    kfk_err err = KFK_OK;
    kbroker *b = route(c, call, &why, &err);
    if (b) {
        send_to(call, b);
        kbroker_unref(b);
        return;
    }
    if (err) {
        call->last_err = err;
        finish(call, err, NULL, NULL);
        return;
    }
    bg_link(c, call);
    ktimer_init(&call->timer, bg_timer);
    kloop_timer_arm(c->bg, &call->timer, call->deadline_ns);
    if (why == NEED_METADATA) kclient_refresh(c, "a call has no route");
}

static void backoff_task(ktask *t)
{
    kcall *call = call_of_task(t);
    kclient *c = call->client;
    kbackoff b = {c->retry_backoff_ms, c->retry_backoff_max_ms, KBACKOFF_JITTER};
    int64_t wait_ms = call->quick_err && call->last_err == call->quick_err
                          ? call->quick_backoff_ms
                          : kbackoff_ms(&b, (uint32_t)(call->attempts - 1));
    int64_t at = ktime_mono_ns() + wait_ms * KTIME_NS_PER_MS;
    /* The last retry waits for the deadline itself, so a call that keeps
     * failing ends at its deadline, not before. */
    if (at > call->deadline_ns) at = call->deadline_ns;
    bg_link(c, call);
    ktimer_init(&call->timer, bg_timer);
    kloop_timer_arm(c->bg, &call->timer, at);
}

void kcall_reroute_parked(kclient *c)
{
    kcall *parked = NULL;
    for (kcall *call = c->bg_calls, *next; call; call = next) {
        next = call->next;
        if (call->stage != STAGE_PARKED) continue;
        bg_unlink(c, call);
        call->next = parked;
        parked = call;
    }
    while (parked) {
        kcall *call = parked;
        parked = call->next;
        call->next = NULL;
        route_and_send(call);
    }
}

void kcall_fail_bg(kclient *c, kfk_err err)
{
    while (c->bg_calls) {
        kcall *call = c->bg_calls;
        bg_unlink(c, call);
        finish(call, err, NULL, NULL);
    }
}

static void reroute_task(ktask *t)
{
    kclient *c = container_of(t, kclient, reroute_task);
    atomic_store(&c->reroute_queued, false);
    kcall_reroute_parked(c);
}

void kclient_reroute_soon(kclient *c)
{
    if (!atomic_exchange(&c->reroute_queued, true) && kloop_post(c->bg, &c->reroute_task) < 0)
        atomic_store(&c->reroute_queued, false);
}

void kcall_init_client(kclient *c)
{
    c->reroute_task.fn = reroute_task;
}

/* --- completion ------------------------------------------------------------------ */

/* Errors that say the client's picture of the cluster is stale. */
static bool stale_metadata(kfk_err err)
{
    switch (err) {
    case KFK_ERR_NOT_LEADER_OR_FOLLOWER:
    case KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION:
    case KFK_ERR_LEADER_NOT_AVAILABLE:
    case KFK_ERR_FENCED_LEADER_EPOCH:
    case KFK_ERR_UNKNOWN_LEADER_EPOCH:
    case KFK_ERR_KAFKA_STORAGE_ERROR:
    case KFK_ERR_NOT_CONTROLLER:
    case KFK_ERR_BROKER_NOT_AVAILABLE:
    case KFK_ERR_REPLICA_NOT_AVAILABLE:
    case KFK_ERR_UNKNOWN_TOPIC_ID:
        return true;
    default:
        return false;
    }
}

static void learn_from(kclient *c, kcall *call, kfk_err err)
{
    if (stale_metadata(err) || (err == KFK_ERR_TRANSPORT && call->route != KROUTE_ANY))
        kclient_refresh(c, kfk_err_name(err));
    if (call->route == KROUTE_COORDINATOR &&
        (err == KFK_ERR_NOT_COORDINATOR || err == KFK_ERR_COORDINATOR_NOT_AVAILABLE ||
         err == KFK_ERR_TRANSPORT))
        kclient_coordinator_invalidate(c, call->coord_type, call->coord_key);
}

static void on_response(kreq *r, kfk_err err, void *resp, karena *arena)
{
    kcall *call = r->opaque;
    kclient *c = call->client;
    call->version = r->version;
    call->txn_version = r->conn ? kconn_txn_version(r->conn) : 0;
    if (!err && call->check) err = call->check(call, resp);
    call->last_err = err;
    if (!err) {
        finish(call, KFK_OK, resp, arena);
        return;
    }
    learn_from(c, call, err);
    /* A request that never went out (its connection was down) is no
     * attempt: waiting for a broker spends no retry, as in Java. */
    if (r->version >= 0) call->failed_sends++;
    bool retry = kerr_retriable(err) && !call->no_retry &&
                 (call->max_retries <= 0 || call->failed_sends <= call->max_retries) &&
                 !kclient_destroying(c);
    if (!retry) {
        finish(call, err, resp, arena);
        return;
    }
    klog(&c->log, KFK_LOG_DEBUG, "call", "%s to broker %d: %s; retrying",
         kproto_api_get(call->api_key) ? kproto_api_get(call->api_key)->name : "?", call->sent_to,
         kfk_err_name(err));
    call->stage = STAGE_BACKOFF;
    to_bg(call, backoff_task);
}

void kcall_start(kclient *c, kcall *call)
{
    call->client = c;
    call->attempts = 0;
    call->failed_sends = 0;
    call->last_err = KFK_OK;
    call->sent_to = INT32_MIN;
    call->version = -1;
    if (!call->deadline_ns)
        call->deadline_ns = ktime_mono_ns() + c->request_timeout_ms * KTIME_NS_PER_MS;
    route_and_send(call);
}
