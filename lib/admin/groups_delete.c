/* Deleting groups: DeleteGroups to each group's coordinator, one request
 * per group, all at once. */
#include <stdlib.h>

#include "admin/groups_int.h"
#include "proto/gen/delete_groups.h"

typedef struct del_op del_op;

typedef struct del_call {
    kcall call;
    del_op *op;
    size_t i;
    kslice id;
    kp_delete_groups_request body;
} del_call;

struct del_op {
    kagroup_fan fan;
    kfk_admin_result *res;
};

static kfk_err del_check(kcall *call, void *resp)
{
    (void)call;
    const kp_delete_groups_response *r = resp;
    kfk_err err = r->n_results > 0 ? (kfk_err)r->results[0].error_code : KFK_OK;
    return kcoordinator_error(err) ? err : KFK_OK;
}

static void del_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    del_call *dc = (del_call *)call;
    const kp_delete_groups_response *r = resp;
    kslice msg = {0}; /* the broker's own words, from version 3 */
    if (!err) err = r->n_results > 0 ? (kfk_err)r->results[0].error_code : KFK_ERR_MALFORMED;
    if (r && r->n_results > 0) msg = r->results[0].error_message;
    kadmin_result_set(dc->op->res, dc->i, err, msg);
    kagroup_fan_done(&dc->op->fan);
}

static kfk_err delete_all(kfk_admin *a, const char *const *ids, size_t n, const kadmin_opts *o,
                          kfk_admin_result **result)
{
    del_op op = {.res = kadmin_result_new(ids, n)};
    del_call *calls = calloc(n ? n : 1, sizeof(*calls));
    kcall **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
    if (!op.res || !calls || !ptrs) {
        kfk_admin_result_destroy(op.res);
        free(calls), free(ptrs);
        return KFK_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < n; i++) {
        del_call *dc = &calls[i];
        *dc = (del_call){.op = &op, .i = i, .id = kwire_cstr(op.res->e[i].name)};
        kp_delete_groups_request_init(&dc->body);
        dc->body.groups_names = &dc->id;
        dc->body.n_groups_names = 1;
        kcall_init(&dc->call, &kp_delete_groups_client, &dc->body, del_done, NULL);
        dc->call.check = del_check;
        dc->call.route = KROUTE_COORDINATOR;
        dc->call.coord_type = 0;
        dc->call.coord_key = op.res->e[i].name;
        dc->call.deadline_ns = o->deadline_ns;
        ptrs[i] = &dc->call;
    }
    if (n) kagroup_fan_run(a, &op.fan, ptrs, n);
    free(calls), free(ptrs);
    *result = op.res;
    return kadmin_result_status(op.res);
}

kfk_err kfk_admin_delete_groups(kfk_admin *admin, const char *const *group_ids, size_t n,
                                const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_delete_groups";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err) err = kagroup_ids_ok(admin, fn, group_ids, n, result);
    if (err) return kclient_error_end(admin->client, err);
    err = delete_all(admin, group_ids, n, &o, result);
    return kagroup_end(admin, fn, err, o.timeout_ms, *result);
}
