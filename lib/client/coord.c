/* Coordinators: which broker coordinates a group or a transactional id,
 * looked up with FindCoordinator (v4+ with a key list, KIP-699; v0-3 with
 * one key for older brokers) and cached until a call says it moved. Calls
 * routed to a coordinator park until its lookup completes. */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "client/client_int.h"

static void start_lookup(kclient *c, kcoord *e);

/* The error of the first (only) coordinator in the answer. */
static kfk_err answer_error(const kcoord *e, const kp_find_coordinator_response *r)
{
    if (e->old_format) return (kfk_err)r->error_code;
    return r->n_coordinators ? (kfk_err)r->coordinators[0].error_code : KFK_ERR_MALFORMED;
}

/* COORDINATOR_NOT_AVAILABLE and the like retry inside the lookup call,
 * with its backoff, instead of making every parked call look again. */
static kfk_err lookup_check(kcall *call, void *resp)
{
    return answer_error(call->opaque, resp);
}

static void lookup_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kcoord *e = call->opaque;
    kclient *c = call->client;
    if (err == KFK_ERR_UNSUPPORTED_VERSION && !e->old_format) {
        e->old_format = true; /* a broker before KIP-699 */
        start_lookup(c, e);
        return;
    }
    int32_t node = -1;
    if (!err) {
        const kp_find_coordinator_response *r = resp;
        kslice host = e->old_format ? r->host : r->coordinators[0].host;
        int32_t port = e->old_format ? r->port : r->coordinators[0].port;
        node = e->old_format ? r->node_id : r->coordinators[0].node_id;
        /* The answer carries the address: no Metadata round trip needed. */
        kclient_node_endpoint(c, node, host, port, (kslice){0});
    }
    pthread_mutex_lock(&c->lock);
    e->lookup_running = false;
    e->node_id = node;
    e->failed = kerr_retriable(err) ? KFK_OK : err;
    pthread_mutex_unlock(&c->lock);
    if (err)
        klog(&c->log, KFK_LOG_INFO, "coordinator", "coordinator of \"%s\" not found: %s", e->key,
             kfk_err_str(err));
    kclient_reroute_soon(c);
}

static void start_lookup(kclient *c, kcoord *e)
{
    kp_find_coordinator_request_init(&e->body);
    e->body.key_type = e->type;
    kcall_init(&e->lookup, &kp_find_coordinator_client, &e->body, lookup_done, e);
    if (e->old_format) {
        e->body.key = e->key_slice;
        e->lookup.max_version = 3;
    } else {
        e->body.coordinator_keys = &e->key_slice;
        e->body.n_coordinator_keys = 1;
        e->lookup.min_version = 4;
    }
    e->lookup.check = lookup_check;
    e->lookup.deadline_ns = kclient_deadline((int)c->request_timeout_ms);
    kcall_start(c, &e->lookup);
}

static kcoord *find(kclient *c, int8_t type, const char *key)
{
    for (kcoord *e = c->coords; e; e = e->next)
        if (e->type == type && strcmp(e->key, key) == 0) return e;
    return NULL;
}

int32_t kcoord_lookup(kclient *c, int8_t type, const char *key, kfk_err *err)
{
    pthread_mutex_lock(&c->lock);
    kcoord *e = find(c, type, key);
    if (!e) {
        size_t len = strlen(key);
        e = calloc(1, sizeof(*e) + len + 1);
        if (!e) {
            pthread_mutex_unlock(&c->lock);
            *err = KFK_ERR_NO_MEMORY;
            return -1;
        }
        memcpy(e->key, key, len + 1);
        e->key_slice = (kslice){(const uint8_t *)e->key, len};
        e->type = type;
        e->node_id = -1;
        e->next = c->coords;
        c->coords = e;
    }
    int32_t id = e->node_id;
    bool start = false;
    if (id < 0 && e->failed) {
        *err = e->failed; /* reported to the calls parked on it, then forgotten */
        e->failed = KFK_OK;
    } else if (id < 0 && !e->lookup_running) {
        e->lookup_running = start = true;
    }
    pthread_mutex_unlock(&c->lock);
    if (start) start_lookup(c, e);
    return id;
}

void kclient_coordinator_invalidate(kclient *c, int8_t type, const char *key)
{
    pthread_mutex_lock(&c->lock);
    kcoord *e = find(c, type, key);
    if (e && !e->lookup_running) e->node_id = -1;
    pthread_mutex_unlock(&c->lock);
}

void kcoord_free_all(kclient *c)
{
    while (c->coords) {
        kcoord *e = c->coords;
        c->coords = e->next;
        free(e);
    }
}
