/* Describing groups one request per group, each to its coordinator, all
 * at once: what share and streams group descriptions have in common. The
 * API-specific parts (the request body, the group's error, its
 * description) come from a kagroup_each_api. */
#include <stdlib.h>

#include "admin/groups_int.h"

typedef struct each_op {
    kagroup_fan fan;
    const kagroup_each_api *api;
    kfk_admin_result *res;
    bool ops; /* include authorized operations */
} each_op;

typedef struct each_call {
    kcall call; /* first: the done handler gets it */
    each_op *op;
    size_t i;
    kslice id;
} each_call;

static kfk_err each_check(kcall *call, void *resp)
{
    const each_call *ec = (const each_call *)call;
    kslice msg;
    kfk_err err = ec->op->api->group_error(resp, &msg);
    return kcoordinator_error(err) ? err : KFK_OK;
}

/* On the I/O thread; each call writes its own entry only. */
static void each_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    each_call *ec = (each_call *)call;
    each_op *op = ec->op;
    void *d = NULL;
    kslice msg = {0};
    if (!err) err = op->api->group_error(resp, &msg);
    if (!err && !(d = op->api->describe(resp, call->sent_to, op->ops))) err = KFK_ERR_NO_MEMORY;
    kadmin_result_set(op->res, ec->i, err, msg);
    op->res->e[ec->i].detail = d;
    kagroup_fan_done(&op->fan);
}

static kfk_err describe(kfk_admin *a, const kagroup_each_api *api, const char *const *ids, size_t n,
                        const kadmin_opts *o, kfk_admin_result **result)
{
    each_op op = {.api = api,
                  .res = kadmin_result_new(ids, n),
                  .ops = o->flags & KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS};
    each_call *calls = calloc(n ? n : 1, sizeof(*calls));
    kcall **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
    char *bodies = calloc(n ? n : 1, api->body_size);
    if (!op.res || !calls || !ptrs || !bodies) {
        kfk_admin_result_destroy(op.res);
        free(calls), free(ptrs), free(bodies);
        return KFK_ERR_NO_MEMORY;
    }
    op.res->kind = api->kind;
    op.res->detail_free = api->detail_free;
    for (size_t i = 0; i < n; i++) {
        each_call *ec = &calls[i];
        void *body = bodies + i * api->body_size;
        *ec = (each_call){.op = &op, .i = i, .id = kwire_cstr(op.res->e[i].name)};
        api->body_init(body, &ec->id, op.ops);
        kcall_init(&ec->call, api->client, body, each_done, NULL);
        ec->call.check = each_check;
        ec->call.route = KROUTE_COORDINATOR;
        ec->call.coord_type = 0; /* these groups live in the group coordinator */
        ec->call.coord_key = op.res->e[i].name;
        ec->call.deadline_ns = o->deadline_ns;
        ptrs[i] = &ec->call;
    }
    if (n) kagroup_fan_run(a, &op.fan, ptrs, n);
    free(calls), free(ptrs), free(bodies);
    *result = op.res;
    return kadmin_result_status(op.res);
}

kfk_err kagroup_describe_each(kfk_admin *a, const char *fn, const kagroup_each_api *api,
                              const char *const *ids, size_t n, const kfk_admin_options *options,
                              kfk_admin_result **result)
{
    if (result) *result = NULL;
    if (!a) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(a, fn, options, KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS, &o);
    if (!err) err = kagroup_ids_ok(a, fn, ids, n, result);
    if (err) return kclient_error_end(a->client, err);
    err = describe(a, api, ids, n, &o, result);
    return kagroup_end(a, fn, err, o.timeout_ms, *result);
}
