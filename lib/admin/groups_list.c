/* Listing groups: ListGroups to every broker at once (a broker lists only
 * the groups it coordinates), the answers merged into one result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/groups_int.h"
#include "proto/gen/list_groups.h"

typedef struct list_op list_op;

typedef struct list_call {
    kcall call;
    list_op *op;
    int32_t broker;
} list_call;

struct list_op {
    kagroup_fan fan; /* its lock also guards res */
    kfk_admin_result *res;
    bool out_of_memory;
};

static kfk_err list_check(kcall *call, void *resp)
{
    (void)call;
    return (kfk_err)((kp_list_groups_response *)resp)->error_code;
}

/* An entry for one listed group or one failed broker (name NULL); under
 * the fan's lock. */
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

static void list_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    list_call *lc = (list_call *)call;
    list_op *op = lc->op;
    pthread_mutex_lock(&op->fan.lock);
    int rc = 0;
    if (err) {
        rc = add_entry(op->res, (kslice){0}, err, lc->broker, NULL);
    } else {
        const kp_list_groups_response *r = resp;
        for (int32_t i = 0; rc == 0 && i < r->n_groups; i++)
            rc = add_entry(op->res, r->groups[i].group_id, KFK_OK, lc->broker, &r->groups[i]);
    }
    if (rc) op->out_of_memory = true;
    pthread_mutex_unlock(&op->fan.lock);
    kagroup_fan_done(&op->fan);
}

/* Broker failures go after the groups, so that entries 0.. are groups. */
static void failures_last(kfk_admin_result *r)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (!r->e[i].err) {
            kadmin_entry e = r->e[i];
            memmove(&r->e[k + 1], &r->e[k], (i - k) * sizeof(e));
            r->e[k++] = e;
        }
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

static kfk_err list_all(kfk_admin *a, const kfk_group_filter *f, const kfk_metadata *md,
                        const kadmin_opts *o, kfk_admin_result **result)
{
    size_t nb = kfk_metadata_broker_count(md);
    size_t ns = f ? f->n_states : 0, nt = f ? f->n_types : 0;
    list_op op = {.res = kadmin_result_new(NULL, 0)};
    list_call *calls = calloc(nb ? nb : 1, sizeof(*calls));
    kcall **ptrs = calloc(nb ? nb : 1, sizeof(*ptrs));
    kslice *names = calloc(ns + nt + 1, sizeof(*names));
    if (!op.res || !calls || !ptrs || !names) {
        kfk_admin_result_destroy(op.res);
        free(calls), free(ptrs), free(names);
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
    for (size_t b = 0; b < nb; b++) {
        list_call *lc = &calls[b];
        kcall_init(&lc->call, &kp_list_groups_client, &body, list_done, NULL);
        lc->op = &op;
        lc->broker = kfk_metadata_broker_id(md, b);
        lc->call.route = KROUTE_BROKER;
        lc->call.broker_id = lc->broker;
        lc->call.check = list_check;
        lc->call.deadline_ns = o->deadline_ns;
        /* A broker that cannot filter must not list everything instead. */
        lc->call.min_version = nt ? 5 : ns ? 4 : 0;
        ptrs[b] = &lc->call;
    }
    kagroup_fan_run(a, &op.fan, ptrs, nb);
    free(calls), free(ptrs), free(names);
    if (op.out_of_memory) {
        kfk_admin_result_destroy(op.res);
        return KFK_ERR_NO_MEMORY;
    }
    failures_last(op.res);
    *result = op.res;
    return kadmin_result_status(op.res);
}

kfk_err kfk_admin_list_groups(kfk_admin *admin, const kfk_group_filter *filter,
                              const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_list_groups";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err) err = filter_ok(admin, fn, filter);
    if (err) return kclient_error_end(admin->client, err);
    kfk_metadata *md = NULL;
    err = kfk_admin_describe_cluster(admin, &(kfk_admin_options){.timeout_ms = o.timeout_ms}, &md);
    if (!err) err = list_all(admin, filter, md, &o, result);
    kfk_metadata_destroy(md);
    return kagroup_end(admin, fn, err, o.timeout_ms, *result);
}
