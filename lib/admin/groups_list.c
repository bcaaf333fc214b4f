/* Listing groups: ListGroups to every broker at once (a broker lists only
 * the groups it coordinates; kadmin_each_broker), the answers merged into
 * one result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/groups_int.h"
#include "proto/gen/list_groups.h"

typedef struct list_op {
    kfk_admin_result *res;
    bool out_of_memory;
} list_op;

/* An entry for one listed group or one failed broker (name NULL). */
static int add_entry(kfk_admin_result *res, kslice name, kfk_err err, int32_t broker,
                     const kp_list_groups_response_listed_group *g)
{
    kagroup_head *h = calloc(1, sizeof(*h));
    char *id = name.ptr ? kagroup_strdup(name) : NULL;
    if (h) h->protocol_type = kagroup_strdup(g ? g->protocol_type : KWIRE_EMPTY);
    if (!h || !h->protocol_type || (name.ptr && !id) || kadmin_result_append(res, id, err) < 0) {
        free(id);
        if (h) kagroup_head_free(h);
        return -1;
    }
    free(id);
    h->coordinator = broker;
    if (g) {
        h->type = kagroup_type_parse(g->group_type);
        h->state = kagroup_state_parse(g->group_state);
    }
    res->e[res->n - 1].detail = h;
    return 0;
}

/* One broker's answer (kadmin_each_broker calls it one at a time). A
 * broker that cannot filter fails with UNSUPPORTED_VERSION: the request
 * does not encode at a version without the filter fields. */
static kfk_err list_check(kcall *call, void *resp)
{
    (void)call;
    return kadmin_coordinator_busy((kfk_err)((const kp_list_groups_response *)resp)->error_code);
}

static void list_one(void *opaque, int32_t broker, kfk_err err, void *resp)
{
    list_op *op = opaque;
    const kp_list_groups_response *r = resp;
    if (!err) err = (kfk_err)r->error_code;
    int rc = 0;
    if (err) {
        rc = add_entry(op->res, (kslice){0}, err, broker, NULL);
    } else {
        for (int32_t i = 0; rc == 0 && i < r->n_groups; i++)
            rc = add_entry(op->res, r->groups[i].group_id, KFK_OK, broker, &r->groups[i]);
    }
    if (rc) op->out_of_memory = true;
}

static kfk_err filter_ok(kfk_admin *a, const char *fn, const kfk_group_filter *f)
{
    if (!f) return KFK_OK;
    for (size_t i = 0; i < sizeof(f->reserved) / sizeof(f->reserved[0]); i++)
        if (f->reserved[i]) return kadmin_invalid(a, fn, "filter->reserved is not all zero");
    if (f->n_states && !f->states) return kadmin_invalid(a, fn, "filter->states is NULL");
    if (f->n_types && !f->types) return kadmin_invalid(a, fn, "filter->types is NULL");
    for (size_t i = 0; i < f->n_states; i++)
        if (f->states[i] <= KFK_GROUP_STATE_UNKNOWN || f->states[i] > KFK_GROUP_STATE_NOT_READY)
            return kadmin_invalid(a, fn, "filter->states holds an unknown state");
    for (size_t i = 0; i < f->n_types; i++)
        if (f->types[i] <= KFK_GROUP_TYPE_UNKNOWN || f->types[i] > KFK_GROUP_TYPE_STREAMS)
            return kadmin_invalid(a, fn, "filter->types holds an unknown type");
    return KFK_OK;
}

static kfk_err list_all(kfk_admin *a, const kfk_group_filter *f, const kadmin_opts *o,
                        kfk_admin_result **result)
{
    size_t ns = f ? f->n_states : 0, nt = f ? f->n_types : 0;
    list_op op = {.res = kadmin_result_new(NULL, 0)};
    kslice *names = calloc(ns + nt + 1, sizeof(*names));
    if (!op.res || !names) {
        kfk_admin_result_destroy(op.res);
        free(names);
        return KFK_ERR_NO_MEMORY;
    }
    op.res->kind = KADMIN_KIND_GROUPS;
    op.res->detail_free = kagroup_head_free;
    kp_list_groups_request body;
    kp_list_groups_request_init(&body);
    for (size_t i = 0; i < ns; i++)
        names[i] = kwire_cstr(kfk_group_state_name(f->states[i]));
    for (size_t i = 0; i < nt; i++)
        names[ns + i] = kwire_cstr(kfk_group_type_name(f->types[i]));
    body.states_filter = names, body.n_states_filter = (int32_t)ns;
    body.types_filter = names + ns, body.n_types_filter = (int32_t)nt;
    kfk_err err =
        kadmin_each_broker(a, &kp_list_groups_client, &body, list_check, 0, o, list_one, &op);
    free(names);
    /* A broker's failure is an entry; only not knowing the brokers fails
     * the call as a whole. */
    if (op.out_of_memory || (err && op.res->n == 0)) {
        kfk_admin_result_destroy(op.res);
        return op.out_of_memory ? KFK_ERR_NO_MEMORY : err;
    }
    kadmin_result_failures_last(op.res);
    *result = op.res;
    return kadmin_result_status(op.res);
}

kfk_err kfk_admin_list_groups(kfk_admin *admin, const kfk_group_filter *filter,
                              const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_list_groups";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err) err = filter_ok(admin, fn, filter);
    if (err) return kclient_error_end(admin->client, err);
    err = list_all(admin, filter, &o, result);
    return kagroup_end(admin, fn, err, o.timeout_ms, *result);
}
