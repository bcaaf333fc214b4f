/* Changing the KRaft metadata quorum's voters (KIP-853: AddRaftVoter,
 * RemoveRaftVoter) and removing a broker's registration (UnregisterBroker).
 * Java's admin client sends all three to the least loaded broker, which
 * forwards them to the active controller, and so does kfk (KROUTE_ANY).
 * Each acts on one thing and reports only its error and the controller's
 * message, which the last error carries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "proto/gen/add_raft_voter.h"
#include "proto/gen/remove_raft_voter.h"
#include "proto/gen/unregister_broker.h"

/* One request and its outcome; the response's error and message are read
 * by the done handler of the API (they differ only in their types). */
typedef struct voter_op {
    kfk_err err;
    char *msg; /* the controller's message; NULL: none */
    kadmin_wait w;
    kcall call;
} voter_op;

static void op_take(voter_op *op, kfk_err err, int16_t code, kslice msg)
{
    op->err = err ? err : (kfk_err)code;
    if (op->err && msg.ptr) op->msg = strndup((const char *)msg.ptr, msg.len);
}

static void add_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    voter_op *op = call->opaque;
    const kp_add_raft_voter_response *r = resp;
    op_take(op, err, r ? r->error_code : 0, r ? r->error_message : (kslice){0});
    kadmin_wait_done(&op->w);
}

static void remove_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    voter_op *op = call->opaque;
    const kp_remove_raft_voter_response *r = resp;
    op_take(op, err, r ? r->error_code : 0, r ? r->error_message : (kslice){0});
    kadmin_wait_done(&op->w);
}

static void unregister_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    voter_op *op = call->opaque;
    const kp_unregister_broker_response *r = resp;
    op_take(op, err, r ? r->error_code : 0, r ? r->error_message : (kslice){0});
    kadmin_wait_done(&op->w);
}

/* Java retries UnregisterBroker's REQUEST_TIMED_OUT (the controller did
 * not commit in time) and nothing else the controller answers. */
static kfk_err unregister_check(kcall *call, void *resp)
{
    (void)call;
    kfk_err err = (kfk_err)((const kp_unregister_broker_response *)resp)->error_code;
    return err == KFK_ERR_REQUEST_TIMED_OUT ? err : KFK_OK;
}

/* Runs op's call, prepared by the caller, and ends public call fn: its
 * last error names what ("voter 3") and the controller's message. */
static kfk_err voter_run(kfk_admin *a, const char *fn, const kadmin_opts *o, voter_op *op,
                         const char *what)
{
    op->call.deadline_ns = o->deadline_ns;
    kadmin_run(a, &op->call, &op->w);
    kadmin_wait_destroy(&op->w);
    kfk_err err = op->err;
    bool named = err && err != KFK_ERR_TIMED_OUT && err != KFK_ERR_NO_MEMORY;
    if (named)
        kclient_error_set(a->client, "%s: %s: %s%s%.200s", fn, what, kfk_err_str(err),
                          op->msg ? "; the broker says: " : "", op->msg ? op->msg : "");
    free(op->msg);
    return named ? kclient_error_end(a->client, err) : kadmin_end(a, fn, err, o->timeout_ms, NULL);
}

/* The remaining time of o, as the request's own timeout_ms. */
static int32_t left_ms(const kadmin_opts *o)
{
    int64_t ms = (o->deadline_ns - kclient_deadline(0)) / 1000000;
    return (int32_t)(ms > 0 && ms < INT32_MAX ? ms : 1);
}

static kfk_err check_voter(kfk_admin *a, const char *fn, int32_t voter_id,
                           const uint8_t *directory_id)
{
    if (voter_id < 0) return kadmin_invalid(a, fn, "voter_id is negative");
    if (!directory_id) return kadmin_invalid(a, fn, "directory_id is NULL");
    return KFK_OK;
}

static kfk_err check_endpoints(kfk_admin *a, const char *fn, const kfk_raft_voter_endpoint *e,
                               size_t n)
{
    if (!e && n) return kadmin_invalid(a, fn, "endpoints is NULL with n > 0");
    if (n > INT32_MAX) return kadmin_invalid(a, fn, "n is too large");
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof(e[i].reserved) / sizeof(e[i].reserved[0]); k++)
            if (e[i].reserved[k])
                return kadmin_invalid(a, fn, "an endpoint's reserved is not zero");
        if (!e[i].name || !*e[i].name)
            return kadmin_invalid(a, fn, "an endpoint's name is NULL or empty");
        if (!e[i].host || !*e[i].host)
            return kadmin_invalid(a, fn, "an endpoint's host is NULL or empty");
        if (e[i].port < 1 || e[i].port > 65535)
            return kadmin_invalid(a, fn, "an endpoint's port is not 1-65535");
    }
    return KFK_OK;
}

kfk_err kfk_admin_add_raft_voter(kfk_admin *admin, const char *cluster_id, int32_t voter_id,
                                 const uint8_t directory_id[16],
                                 const kfk_raft_voter_endpoint *endpoints, size_t n,
                                 const kfk_admin_options *options)
{
    static const char fn[] = "kfk_admin_add_raft_voter";
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err) err = check_voter(admin, fn, voter_id, directory_id);
    if (!err) err = check_endpoints(admin, fn, endpoints, n);
    if (err) return kclient_error_end(admin->client, err);
    kp_add_raft_voter_request_listener *l = calloc(n + 1, sizeof(*l));
    if (!l) return kadmin_end(admin, fn, KFK_ERR_NO_MEMORY, o.timeout_ms, NULL);
    for (size_t i = 0; i < n; i++) {
        kp_add_raft_voter_request_listener_init(&l[i]);
        l[i].name = kwire_cstr(endpoints[i].name);
        l[i].host = kwire_cstr(endpoints[i].host);
        l[i].port = (uint16_t)endpoints[i].port;
    }
    kp_add_raft_voter_request body;
    kp_add_raft_voter_request_init(&body);
    body.cluster_id = cluster_id ? kwire_cstr(cluster_id) : (kslice){0};
    body.timeout_ms = left_ms(&o);
    body.voter_id = voter_id;
    memcpy(body.voter_directory_id.b, directory_id, sizeof(body.voter_directory_id.b));
    body.listeners = l;
    body.n_listeners = (int32_t)n;
    voter_op op = {0};
    kadmin_wait_init(&op.w);
    kcall_init(&op.call, &kp_add_raft_voter_client, &body, add_done, &op);
    char what[32];
    snprintf(what, sizeof(what), "voter %d", (int)voter_id);
    err = voter_run(admin, fn, &o, &op, what);
    free(l);
    return err;
}

kfk_err kfk_admin_remove_raft_voter(kfk_admin *admin, const char *cluster_id, int32_t voter_id,
                                    const uint8_t directory_id[16],
                                    const kfk_admin_options *options)
{
    static const char fn[] = "kfk_admin_remove_raft_voter";
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err) err = check_voter(admin, fn, voter_id, directory_id);
    if (err) return kclient_error_end(admin->client, err);
    kp_remove_raft_voter_request body;
    kp_remove_raft_voter_request_init(&body);
    body.cluster_id = cluster_id ? kwire_cstr(cluster_id) : (kslice){0};
    body.voter_id = voter_id;
    memcpy(body.voter_directory_id.b, directory_id, sizeof(body.voter_directory_id.b));
    voter_op op = {0};
    kadmin_wait_init(&op.w);
    kcall_init(&op.call, &kp_remove_raft_voter_client, &body, remove_done, &op);
    char what[32];
    snprintf(what, sizeof(what), "voter %d", (int)voter_id);
    return voter_run(admin, fn, &o, &op, what);
}

kfk_err kfk_admin_unregister_broker(kfk_admin *admin, int32_t broker_id,
                                    const kfk_admin_options *options)
{
    static const char fn[] = "kfk_admin_unregister_broker";
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && broker_id < 0) err = kadmin_invalid(admin, fn, "broker_id is negative");
    if (err) return kclient_error_end(admin->client, err);
    kp_unregister_broker_request body;
    kp_unregister_broker_request_init(&body);
    body.broker_id = broker_id;
    voter_op op = {0};
    kadmin_wait_init(&op.w);
    kcall_init(&op.call, &kp_unregister_broker_client, &body, unregister_done, &op);
    op.call.check = unregister_check;
    char what[32];
    snprintf(what, sizeof(what), "broker %d", (int)broker_id);
    return voter_run(admin, fn, &o, &op, what);
}
