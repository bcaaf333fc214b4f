/* Creating, describing and deleting ACL bindings. Each call is one
 * request to any broker (a KRaft broker forwards it to the controller);
 * the kcall retries lost connections. Every entry of the result carries a
 * list of bindings (acl_list), its strings in the list's arena. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "proto/arena.h"
#include "proto/gen/create_acls.h"
#include "proto/gen/delete_acls.h"
#include "proto/gen/describe_acls.h"

/* --- names -------------------------------------------------------------------------- */

#define NAME_AT(tab, v) ((unsigned)(v) < sizeof(tab) / sizeof(tab[0]) ? tab[v] : NULL)

const char *kfk_acl_resource_type_name(kfk_acl_resource_type type)
{
    static const char *const names[] = {
        "UNKNOWN",          "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID",
        "DELEGATION_TOKEN", "USER"};
    return NAME_AT(names, type);
}

const char *kfk_acl_pattern_type_name(kfk_acl_pattern_type type)
{
    static const char *const names[] = {"UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED"};
    return NAME_AT(names, type);
}

const char *kfk_acl_operation_name(kfk_acl_operation op)
{
    static const char *const names[] = {"UNKNOWN",
                                        "ANY",
                                        "ALL",
                                        "READ",
                                        "WRITE",
                                        "CREATE",
                                        "DELETE",
                                        "ALTER",
                                        "DESCRIBE",
                                        "CLUSTER_ACTION",
                                        "DESCRIBE_CONFIGS",
                                        "ALTER_CONFIGS",
                                        "IDEMPOTENT_WRITE",
                                        "CREATE_TOKENS",
                                        "DESCRIBE_TOKENS",
                                        "TWO_PHASE_COMMIT"};
    return NAME_AT(names, op);
}

const char *kfk_acl_permission_type_name(kfk_acl_permission_type type)
{
    static const char *const names[] = {"UNKNOWN", "ANY", "DENY", "ALLOW"};
    return NAME_AT(names, type);
}

/* "TOPIC:LITERAL:t User:alice@* WRITE ALLOW"; a filter's NULL strings
 * read "(any)". NULL when out of memory. */
static char *binding_label(const kfk_acl_binding *b)
{
#define OR_ANY(s) ((s) ? (s) : "(any)")
#define NAME_OR(f, v) (f(v) ? f(v) : "?")
    const char *fmt = "%s:%s:%s %s@%s %s %s";
    int len = snprintf(NULL, 0, fmt, NAME_OR(kfk_acl_resource_type_name, b->resource_type),
                       NAME_OR(kfk_acl_pattern_type_name, b->pattern_type),
                       OR_ANY(b->resource_name), OR_ANY(b->principal), OR_ANY(b->host),
                       NAME_OR(kfk_acl_operation_name, b->operation),
                       NAME_OR(kfk_acl_permission_type_name, b->permission_type));
    char *s = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (s)
        snprintf(s, (size_t)len + 1, fmt, NAME_OR(kfk_acl_resource_type_name, b->resource_type),
                 NAME_OR(kfk_acl_pattern_type_name, b->pattern_type), OR_ANY(b->resource_name),
                 OR_ANY(b->principal), OR_ANY(b->host),
                 NAME_OR(kfk_acl_operation_name, b->operation),
                 NAME_OR(kfk_acl_permission_type_name, b->permission_type));
    return s;
#undef OR_ANY
#undef NAME_OR
}

/* --- checking the caller's bindings and filters ------------------------------------- */

/* A binding to create takes concrete values only; a filter also the
 * _ANY ones (and MATCH), and NULL strings. */
static const char *binding_problem(const kfk_acl_binding *b, bool filter)
{
    int lo = filter ? 1 : 2;
    for (size_t i = 0; i < sizeof(b->reserved) / sizeof(b->reserved[0]); i++)
        if (b->reserved[i]) return "reserved is not all zero";
    if ((int)b->resource_type < lo || b->resource_type > KFK_ACL_RESOURCE_USER)
        return filter ? "resource_type is not a type or ANY"
                      : "resource_type is not a concrete type";
    if ((int)b->pattern_type < (filter ? 1 : 3) || b->pattern_type > KFK_ACL_PATTERN_PREFIXED)
        return filter ? "pattern_type is not a pattern type"
                      : "pattern_type is not LITERAL or PREFIXED";
    if ((int)b->operation < lo || b->operation > KFK_ACL_OP_TWO_PHASE_COMMIT)
        return filter ? "operation is not an operation or ANY" : "operation is not a concrete one";
    if ((int)b->permission_type < lo || b->permission_type > KFK_ACL_PERMISSION_ALLOW)
        return filter ? "permission_type is not DENY, ALLOW or ANY"
                      : "permission_type is not DENY or ALLOW";
    if (!filter && (!b->resource_name || !b->principal || !b->host))
        return "resource_name, principal or host is NULL";
    return NULL;
}

static kfk_err check_all(kfk_admin *a, const char *fn, const kfk_acl_binding *const *v, size_t n,
                         bool filter, const char *what)
{
    if (!v && n)
        return kadmin_invalid(a, fn,
                              filter ? "filters is NULL with n > 0" : "acls is NULL with n > 0");
    for (size_t i = 0; i < n; i++) {
        const char *p = v[i] ? binding_problem(v[i], filter) : NULL;
        if (p || !v[i]) {
            char msg[128];
            snprintf(msg, sizeof(msg), "%s[%zu]%s%s", what, i, p ? ": " : " is NULL", p ? p : "");
            return kadmin_invalid(a, fn, msg);
        }
    }
    return KFK_OK;
}

/* --- the bindings an entry carries ------------------------------------------------- */

typedef struct acl_list {
    karena arena; /* the strings */
    size_t n;
    kfk_acl_binding *v;
    kfk_err *err;
} acl_list;

static void acl_list_free(void *p)
{
    acl_list *l = p;
    karena_free(&l->arena);
    free(l->v);
    free(l->err);
    free(l);
}

static acl_list *acl_list_new(size_t cap)
{
    acl_list *l = calloc(1, sizeof(*l));
    if (!l) return NULL;
    l->v = calloc(cap ? cap : 1, sizeof(*l->v));
    l->err = calloc(cap ? cap : 1, sizeof(*l->err));
    if (!l->v || !l->err) {
        acl_list_free(l);
        return NULL;
    }
    return l;
}

static const char *arena_str(karena *a, kslice s)
{
    char *p = karena_alloc(a, s.len + 1);
    if (p) {
        if (s.len) memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
    }
    return p;
}

/* Appends a binding (strings copied); -1 when out of memory. */
static int acl_list_add(acl_list *l, int8_t type, kslice name, int8_t pattern, kslice principal,
                        kslice host, int8_t op, int8_t perm, kfk_err err)
{
    kfk_acl_binding *b = &l->v[l->n];
    *b = (kfk_acl_binding){
        .resource_type = (kfk_acl_resource_type)type,
        .resource_name = arena_str(&l->arena, name),
        .pattern_type = (kfk_acl_pattern_type)pattern,
        .principal = arena_str(&l->arena, principal),
        .host = arena_str(&l->arena, host),
        .operation = (kfk_acl_operation)op,
        .permission_type = (kfk_acl_permission_type)perm,
    };
    if (!b->resource_name || !b->principal || !b->host) return -1;
    l->err[l->n++] = err;
    return 0;
}

/* A result for the n bindings or filters of v, each entry named after
 * its binding and of kind ACLS. */
static kfk_admin_result *acl_result_new(const kfk_acl_binding *const *v, size_t n)
{
    char **names = calloc(n ? n : 1, sizeof(*names));
    kfk_admin_result *r = NULL;
    bool ok = names != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = (names[i] = binding_label(v[i])) != NULL;
    if (ok) r = kadmin_result_new((const char *const *)names, n);
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    if (r) {
        r->kind = KADMIN_KIND_ACLS;
        r->detail_free = acl_list_free;
    }
    return r;
}

/* --- one request --------------------------------------------------------------------- */

typedef struct acl_op {
    kadmin_wait w;
    kcall call;
    kfk_admin_result *res;
    kfk_err err; /* the whole request's */
    void (*take)(struct acl_op *op, const void *resp);
} acl_op;

static void acl_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    acl_op *op = call->opaque;
    op->err = err;
    if (!err && resp) op->take(op, resp);
    kadmin_wait_done(&op->w);
}

static kfk_err acl_run(kfk_admin *a, acl_op *op, const kproto_client *api, const void *body,
                       int64_t deadline_ns)
{
    kadmin_wait_init(&op->w);
    kcall_init(&op->call, api, body, acl_done, op);
    op->call.route = KROUTE_ANY;
    op->call.deadline_ns = deadline_ns;
    kadmin_run(a, &op->call, &op->w);
    kadmin_wait_destroy(&op->w);
    return op->err;
}

/* Runs one request for result *res (built by the caller), then hands it
 * over or frees it. */
static kfk_err acl_finish(acl_op *op, kfk_err err, kfk_admin_result **result)
{
    if (!err) err = op->err;
    if (err) {
        kfk_admin_result_destroy(op->res);
        return err;
    }
    *result = op->res;
    return kadmin_result_status(op->res);
}

/* --- CreateAcls ---------------------------------------------------------------------- */

static void take_create(acl_op *op, const void *resp)
{
    const kp_create_acls_response *r = resp;
    for (int32_t i = 0; i < r->n_results && (size_t)i < op->res->n; i++)
        kadmin_result_set(op->res, (size_t)i, (kfk_err)r->results[i].error_code,
                          r->results[i].error_message);
}

static kfk_err create_acls(kfk_admin *a, const kfk_acl_binding *const *acls, size_t n,
                           const kadmin_opts *o, kfk_admin_result **result)
{
    acl_op op = {.take = take_create, .res = acl_result_new(acls, n)};
    kp_create_acls_request_acl_creation *c = calloc(n ? n : 1, sizeof(*c));
    kfk_err err = op.res && c ? KFK_OK : KFK_ERR_NO_MEMORY;
    for (size_t i = 0; !err && i < n; i++) {
        const kfk_acl_binding *b = acls[i];
        acl_list *l = acl_list_new(1);
        op.res->e[i].detail = l;
        if (!l ||
            acl_list_add(l, (int8_t)b->resource_type, kwire_cstr(b->resource_name),
                         (int8_t)b->pattern_type, kwire_cstr(b->principal), kwire_cstr(b->host),
                         (int8_t)b->operation, (int8_t)b->permission_type, KFK_OK))
            err = KFK_ERR_NO_MEMORY;
        kp_create_acls_request_acl_creation_init(&c[i]);
        c[i].resource_type = (int8_t)b->resource_type;
        c[i].resource_name = kwire_cstr(b->resource_name);
        c[i].resource_pattern_type = (int8_t)b->pattern_type;
        c[i].principal = kwire_cstr(b->principal);
        c[i].host = kwire_cstr(b->host);
        c[i].operation = (int8_t)b->operation;
        c[i].permission_type = (int8_t)b->permission_type;
    }
    if (!err && n) {
        kp_create_acls_request body;
        kp_create_acls_request_init(&body);
        body.creations = c;
        body.n_creations = (int32_t)n;
        acl_run(a, &op, &kp_create_acls_client, &body, o->deadline_ns);
    }
    free(c);
    return acl_finish(&op, err, result);
}

kfk_err kfk_admin_create_acls(kfk_admin *admin, const kfk_acl_binding *const *acls, size_t n,
                              const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_create_acls";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err) err = check_all(admin, fn, acls, n, false, "acls");
    if (!err) err = create_acls(admin, acls, n, &o, result);
    return kadmin_end_named(admin, fn, err, o.timeout_ms, result ? *result : NULL, "ACL binding");
}

/* --- DescribeAcls -------------------------------------------------------------------- */

static void take_describe(acl_op *op, const void *resp)
{
    const kp_describe_acls_response *r = resp;
    size_t total = 0;
    for (int32_t i = 0; i < r->n_resources; i++)
        total += r->resources[i].n_acls > 0 ? (size_t)r->resources[i].n_acls : 0;
    acl_list *l = acl_list_new(total);
    if (!l) {
        op->err = KFK_ERR_NO_MEMORY;
        return;
    }
    op->res->e[0].detail = l;
    kadmin_result_set(op->res, 0, (kfk_err)r->error_code, r->error_message);
    for (int32_t i = 0; i < r->n_resources; i++) {
        const kp_describe_acls_response_describe_acls_resource *res = &r->resources[i];
        for (int32_t j = 0; j < res->n_acls; j++) {
            const kp_describe_acls_response_acl_description *d = &res->acls[j];
            if (acl_list_add(l, res->resource_type, res->resource_name, res->pattern_type,
                             d->principal, d->host, d->operation, d->permission_type, KFK_OK)) {
                op->err = KFK_ERR_NO_MEMORY;
                return;
            }
        }
    }
}

kfk_err kfk_admin_describe_acls(kfk_admin *admin, const kfk_acl_binding *filter,
                                const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_describe_acls";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err && !filter) err = kadmin_invalid(admin, fn, "filter is NULL");
    if (!err) err = check_all(admin, fn, &filter, 1, true, "filter");
    if (!err) {
        acl_op op = {.take = take_describe, .res = acl_result_new(&filter, 1)};
        if (op.res) {
            kp_describe_acls_request body;
            kp_describe_acls_request_init(&body);
            body.resource_type_filter = (int8_t)filter->resource_type;
            body.resource_name_filter = kwire_cstr(filter->resource_name);
            body.pattern_type_filter = (int8_t)filter->pattern_type;
            body.principal_filter = kwire_cstr(filter->principal);
            body.host_filter = kwire_cstr(filter->host);
            body.operation = (int8_t)filter->operation;
            body.permission_type = (int8_t)filter->permission_type;
            acl_run(admin, &op, &kp_describe_acls_client, &body, o.deadline_ns);
        }
        err = acl_finish(&op, op.res ? KFK_OK : KFK_ERR_NO_MEMORY, result);
    }
    return kadmin_end_named(admin, fn, err, o.timeout_ms, result ? *result : NULL, "ACL filter");
}

/* --- DeleteAcls ---------------------------------------------------------------------- */

static void take_delete(acl_op *op, const void *resp)
{
    const kp_delete_acls_response *r = resp;
    for (int32_t i = 0; i < r->n_filter_results && (size_t)i < op->res->n; i++) {
        const kp_delete_acls_response_delete_acls_filter_result *fr = &r->filter_results[i];
        acl_list *l = acl_list_new(fr->n_matching_acls > 0 ? (size_t)fr->n_matching_acls : 0);
        if (!l) {
            op->err = KFK_ERR_NO_MEMORY;
            return;
        }
        op->res->e[i].detail = l;
        kadmin_result_set(op->res, (size_t)i, (kfk_err)fr->error_code, fr->error_message);
        for (int32_t j = 0; j < fr->n_matching_acls; j++) {
            const kp_delete_acls_response_delete_acls_matching_acl *m = &fr->matching_acls[j];
            if (acl_list_add(l, m->resource_type, m->resource_name, m->pattern_type, m->principal,
                             m->host, m->operation, m->permission_type, (kfk_err)m->error_code)) {
                op->err = KFK_ERR_NO_MEMORY;
                return;
            }
        }
    }
}

static kfk_err delete_acls(kfk_admin *a, const kfk_acl_binding *const *filters, size_t n,
                           const kadmin_opts *o, kfk_admin_result **result)
{
    acl_op op = {.take = take_delete, .res = acl_result_new(filters, n)};
    kp_delete_acls_request_delete_acls_filter *f = calloc(n ? n : 1, sizeof(*f));
    kfk_err err = op.res && f ? KFK_OK : KFK_ERR_NO_MEMORY;
    for (size_t i = 0; !err && i < n; i++) {
        const kfk_acl_binding *b = filters[i];
        kp_delete_acls_request_delete_acls_filter_init(&f[i]);
        f[i].resource_type_filter = (int8_t)b->resource_type;
        f[i].resource_name_filter = kwire_cstr(b->resource_name);
        f[i].pattern_type_filter = (int8_t)b->pattern_type;
        f[i].principal_filter = kwire_cstr(b->principal);
        f[i].host_filter = kwire_cstr(b->host);
        f[i].operation = (int8_t)b->operation;
        f[i].permission_type = (int8_t)b->permission_type;
    }
    if (!err && n) {
        kp_delete_acls_request body;
        kp_delete_acls_request_init(&body);
        body.filters = f;
        body.n_filters = (int32_t)n;
        acl_run(a, &op, &kp_delete_acls_client, &body, o->deadline_ns);
    }
    free(f);
    return acl_finish(&op, err, result);
}

kfk_err kfk_admin_delete_acls(kfk_admin *admin, const kfk_acl_binding *const *filters, size_t n,
                              const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_delete_acls";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err) err = check_all(admin, fn, filters, n, true, "filters");
    if (!err) err = delete_acls(admin, filters, n, &o, result);
    return kadmin_end_named(admin, fn, err, o.timeout_ms, result ? *result : NULL, "ACL filter");
}

/* --- reading ------------------------------------------------------------------------- */

size_t kfk_admin_result_acl_count(const kfk_admin_result *result, size_t i)
{
    const acl_list *l = kadmin_result_detail(result, i, KADMIN_KIND_ACLS);
    return l ? l->n : 0;
}

const kfk_acl_binding *kfk_admin_result_acl(const kfk_admin_result *result, size_t i, size_t j)
{
    const acl_list *l = kadmin_result_detail(result, i, KADMIN_KIND_ACLS);
    return l && j < l->n ? &l->v[j] : NULL;
}

kfk_err kfk_admin_result_acl_error(const kfk_admin_result *result, size_t i, size_t j)
{
    const acl_list *l = kadmin_result_detail(result, i, KADMIN_KIND_ACLS);
    return l && j < l->n ? l->err[j] : KFK_ERR_INVALID_ARG;
}
