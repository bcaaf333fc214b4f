/* Describing and altering client quotas. Describe asks any broker; alter
 * goes to the controller (KRaft brokers forward it). An entity is a set of
 * (type, name) components, labelled "type=name,..." sorted by type, a
 * default entity's name reading "<default>": the label names a result's
 * entry and matches an answer to its alteration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "proto/arena.h"
#include "proto/gen/alter_client_quotas.h"
#include "proto/gen/describe_client_quotas.h"

/* One (type, name) pair; name NULL: the default entity. */
typedef struct quota_pair {
    char *type, *name;
} quota_pair;

/* A growable array of quota_pair. */
typedef struct pairs {
    quota_pair *v;
    size_t n, cap;
} pairs;

static void pairs_free(pairs *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].type);
        free(p->v[i].name);
    }
    free(p->v);
}

/* Appends (a, b) copied (b may be NULL). KFK_OK or KFK_ERR_NO_MEMORY. */
static kfk_err pairs_add(pairs *p, const char *a, const char *b)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4;
        quota_pair *v = realloc(p->v, cap * sizeof(*v));
        if (!v) return KFK_ERR_NO_MEMORY;
        p->v = v;
        p->cap = cap;
    }
    quota_pair x = {strdup(a), b ? strdup(b) : NULL};
    if (!x.type || (b && !x.name)) {
        free(x.type);
        free(x.name);
        return KFK_ERR_NO_MEMORY;
    }
    p->v[p->n++] = x;
    return KFK_OK;
}

/* --- entity labels ------------------------------------------------------------------------ */

typedef struct label_part {
    kslice type, name;
} label_part;

static int cmp_part(const void *x, const void *y)
{
    const label_part *a = x, *b = y;
    size_t n = a->type.len < b->type.len ? a->type.len : b->type.len;
    int c = n ? memcmp(a->type.ptr, b->type.ptr, n) : 0;
    return c ? c : (a->type.len > b->type.len) - (a->type.len < b->type.len);
}

/* The label of the n parts (sorted in place); NULL when out of memory. */
static char *label_of(label_part *p, size_t n)
{
    qsort(p, n, sizeof(*p), cmp_part);
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += p[i].type.len + (p[i].name.ptr ? p[i].name.len : 9) + 2;
    char *s = malloc(len), *w = s;
    if (!s) return NULL;
    for (size_t i = 0; i < n; i++) {
        w += sprintf(w, "%s%.*s=", i ? "," : "", (int)p[i].type.len, (const char *)p[i].type.ptr);
        if (p[i].name.ptr)
            w += sprintf(w, "%.*s", (int)p[i].name.len, (const char *)p[i].name.ptr);
        else
            w += sprintf(w, "<default>");
    }
    *w = '\0';
    return s;
}

static char *label_of_pairs(const pairs *e)
{
    label_part *p = calloc(e->n ? e->n : 1, sizeof(*p));
    if (!p) return NULL;
    for (size_t i = 0; i < e->n; i++)
        p[i] = (label_part){kwire_cstr(e->v[i].type), kwire_cstr(e->v[i].name)};
    char *s = label_of(p, e->n);
    free(p);
    return s;
}

/* --- filters ---------------------------------------------------------------------------- */

struct kfk_quota_filter {
    bool strict;
    pairs comp;    /* (entity type, name) */
    int8_t *match; /* per component */
    size_t cap_match;
};

kfk_quota_filter *kfk_quota_filter_new(bool strict)
{
    kfk_quota_filter *f = calloc(1, sizeof(*f));
    if (f) f->strict = strict;
    return f;
}

kfk_err kfk_quota_filter_add(kfk_quota_filter *filter, const char *entity_type,
                             kfk_quota_match match, const char *name)
{
    if (!filter || !entity_type || match < KFK_QUOTA_MATCH_EXACT || match > KFK_QUOTA_MATCH_ANY ||
        (match == KFK_QUOTA_MATCH_EXACT) != (name != NULL))
        return KFK_ERR_INVALID_ARG;
    if (filter->comp.n == filter->cap_match) {
        size_t cap = filter->cap_match ? filter->cap_match * 2 : 4;
        int8_t *m = realloc(filter->match, cap);
        if (!m) return KFK_ERR_NO_MEMORY;
        filter->match = m;
        filter->cap_match = cap;
    }
    kfk_err err = pairs_add(&filter->comp, entity_type, name);
    if (!err) filter->match[filter->comp.n - 1] = (int8_t)match;
    return err;
}

void kfk_quota_filter_destroy(kfk_quota_filter *filter)
{
    if (!filter) return;
    pairs_free(&filter->comp);
    free(filter->match);
    free(filter);
}

/* --- describe --------------------------------------------------------------------------- */

/* An entry's detail: its entity and values, strings in the arena. */
typedef struct quota_info {
    karena arena;
    size_t n_entity, n_values;
    label_part *entity; /* NUL-terminated strings; name.ptr NULL: default */
    const char **keys;
    double *values;
} quota_info;

static void quota_info_free(void *p)
{
    quota_info *q = p;
    karena_free(&q->arena);
    free(q);
}

static kslice arena_cstr(karena *a, kslice s)
{
    if (!s.ptr) return s;
    char *p = karena_alloc(a, s.len + 1);
    if (!p) return (kslice){NULL, 0};
    memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return (kslice){(const uint8_t *)p, s.len};
}

static quota_info *info_new(const kp_describe_client_quotas_response_entry_data *e)
{
    quota_info *q = calloc(1, sizeof(*q));
    if (!q) return NULL;
    q->n_entity = e->n_entity > 0 ? (size_t)e->n_entity : 0;
    q->n_values = e->n_values > 0 ? (size_t)e->n_values : 0;
    q->entity = karena_alloc(&q->arena, q->n_entity * sizeof(*q->entity));
    q->keys = karena_alloc(&q->arena, q->n_values * sizeof(*q->keys));
    q->values = karena_alloc(&q->arena, q->n_values * sizeof(*q->values));
    bool ok = q->entity && q->keys && q->values;
    for (size_t k = 0; ok && k < q->n_entity; k++) {
        q->entity[k].type = arena_cstr(&q->arena, e->entity[k].entity_type);
        q->entity[k].name = arena_cstr(&q->arena, e->entity[k].entity_name);
        ok = q->entity[k].type.ptr && (q->entity[k].name.ptr || !e->entity[k].entity_name.ptr);
    }
    for (size_t j = 0; ok && j < q->n_values; j++) {
        q->keys[j] = (const char *)arena_cstr(&q->arena, e->values[j].key).ptr;
        q->values[j] = e->values[j].value;
        ok = q->keys[j] != NULL;
    }
    if (!ok) {
        quota_info_free(q);
        return NULL;
    }
    return q;
}

typedef struct quota_op {
    kadmin_wait w;
    kcall call;
    kfk_admin_result *res;
    kfk_err err;
    char msg[256]; /* describe: the broker's message about err; "" for none */
} quota_op;

static kfk_err take_entry(kfk_admin_result *res,
                          const kp_describe_client_quotas_response_entry_data *e)
{
    quota_info *q = info_new(e);
    if (!q) return KFK_ERR_NO_MEMORY;
    char *label = label_of(q->entity, q->n_entity);
    int rc = label ? kadmin_result_append(res, label, KFK_OK) : -1;
    free(label);
    if (rc) {
        quota_info_free(q);
        return KFK_ERR_NO_MEMORY;
    }
    res->e[res->n - 1].detail = q;
    return KFK_OK;
}

static void describe_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    quota_op *op = call->opaque;
    const kp_describe_client_quotas_response *r = resp;
    op->err = err ? err : (kfk_err)r->error_code;
    if (!err && r->error_code && r->error_message.ptr)
        snprintf(op->msg, sizeof(op->msg), "%.*s", (int)r->error_message.len,
                 (const char *)r->error_message.ptr);
    for (int32_t i = 0; !op->err && i < r->n_entries; i++)
        op->err = take_entry(op->res, &r->entries[i]);
    kadmin_wait_done(&op->w);
}

/* *said: the last error now holds the broker's message. */
static kfk_err describe(kfk_admin *a, const kfk_quota_filter *f, const kadmin_opts *o,
                        kfk_admin_result **result, bool *said)
{
    quota_op op = {.res = kadmin_result_new(NULL, 0)};
    size_t n = f->comp.n;
    kp_describe_client_quotas_request_component_data *c = calloc(n ? n : 1, sizeof(*c));
    kfk_err err = op.res && c ? KFK_OK : KFK_ERR_NO_MEMORY;
    if (!err) {
        op.res->kind = KADMIN_KIND_QUOTAS;
        op.res->detail_free = quota_info_free;
        for (size_t i = 0; i < n; i++) {
            kp_describe_client_quotas_request_component_data_init(&c[i]);
            c[i].entity_type = kwire_cstr(f->comp.v[i].type);
            c[i].match_type = f->match[i];
            c[i].match = kwire_cstr(f->comp.v[i].name);
        }
        kp_describe_client_quotas_request body;
        kp_describe_client_quotas_request_init(&body);
        body.components = c;
        body.n_components = (int32_t)n;
        body.strict = f->strict;
        kadmin_wait_init(&op.w);
        kcall_init(&op.call, &kp_describe_client_quotas_client, &body, describe_done, &op);
        op.call.route = KROUTE_ANY;
        op.call.deadline_ns = o->deadline_ns;
        kadmin_run(a, &op.call, &op.w);
        kadmin_wait_destroy(&op.w);
        err = op.err;
    }
    free(c);
    if (err) {
        kfk_admin_result_destroy(op.res);
        *said = op.msg[0] != '\0';
        if (*said)
            kclient_error_set(a->client,
                              "kfk_admin_describe_client_quotas: %s; the broker says: %s",
                              kfk_err_str(err), op.msg);
        return err;
    }
    *result = op.res;
    return KFK_OK;
}

kfk_err kfk_admin_describe_client_quotas(kfk_admin *admin, const kfk_quota_filter *filter,
                                         const kfk_admin_options *options,
                                         kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_describe_client_quotas";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err && !filter) err = kadmin_invalid(admin, fn, "filter is NULL");
    bool said = false;
    if (!err) err = describe(admin, filter, &o, result, &said);
    if (said) return kclient_error_end(admin->client, err);
    return kadmin_end(admin, fn, err, o.timeout_ms, NULL);
}

static const quota_info *quota_at(const kfk_admin_result *r, size_t i)
{
    return kadmin_result_detail(r, i, KADMIN_KIND_QUOTAS);
}

size_t kfk_admin_result_quota_entity_count(const kfk_admin_result *result, size_t i)
{
    const quota_info *q = quota_at(result, i);
    return q ? q->n_entity : 0;
}

const char *kfk_admin_result_quota_entity_type(const kfk_admin_result *result, size_t i, size_t k)
{
    const quota_info *q = quota_at(result, i);
    return q && k < q->n_entity ? (const char *)q->entity[k].type.ptr : NULL;
}

const char *kfk_admin_result_quota_entity_name(const kfk_admin_result *result, size_t i, size_t k)
{
    const quota_info *q = quota_at(result, i);
    return q && k < q->n_entity ? (const char *)q->entity[k].name.ptr : NULL;
}

size_t kfk_admin_result_quota_count(const kfk_admin_result *result, size_t i)
{
    const quota_info *q = quota_at(result, i);
    return q ? q->n_values : 0;
}

const char *kfk_admin_result_quota_key(const kfk_admin_result *result, size_t i, size_t j)
{
    const quota_info *q = quota_at(result, i);
    return q && j < q->n_values ? q->keys[j] : NULL;
}

double kfk_admin_result_quota_value(const kfk_admin_result *result, size_t i, size_t j)
{
    const quota_info *q = quota_at(result, i);
    return q && j < q->n_values ? q->values[j] : -1;
}

/* --- alterations ------------------------------------------------------------------------ */

struct kfk_quota_alteration {
    pairs entity;
    pairs ops;      /* (key, NULL) */
    double *values; /* per op */
    bool *remove;   /* per op */
    size_t cap_ops;
};

kfk_quota_alteration *kfk_quota_alteration_new(void)
{
    return calloc(1, sizeof(kfk_quota_alteration));
}

kfk_err kfk_quota_alteration_entity(kfk_quota_alteration *alteration, const char *entity_type,
                                    const char *name)
{
    if (!alteration || !entity_type) return KFK_ERR_INVALID_ARG;
    return pairs_add(&alteration->entity, entity_type, name);
}

static kfk_err add_op(kfk_quota_alteration *x, const char *key, double value, bool remove)
{
    if (!x || !key) return KFK_ERR_INVALID_ARG;
    if (x->ops.n == x->cap_ops) {
        size_t cap = x->cap_ops ? x->cap_ops * 2 : 4;
        double *v = realloc(x->values, cap * sizeof(*v));
        if (v) x->values = v;
        bool *r = v ? realloc(x->remove, cap * sizeof(*r)) : NULL;
        if (!r) return KFK_ERR_NO_MEMORY;
        x->remove = r;
        x->cap_ops = cap;
    }
    kfk_err err = pairs_add(&x->ops, key, NULL);
    if (!err) {
        x->values[x->ops.n - 1] = value;
        x->remove[x->ops.n - 1] = remove;
    }
    return err;
}

kfk_err kfk_quota_alteration_set(kfk_quota_alteration *alteration, const char *key, double value)
{
    return add_op(alteration, key, value, false);
}

kfk_err kfk_quota_alteration_remove(kfk_quota_alteration *alteration, const char *key)
{
    return add_op(alteration, key, 0, true);
}

void kfk_quota_alteration_destroy(kfk_quota_alteration *alteration)
{
    if (!alteration) return;
    pairs_free(&alteration->entity);
    pairs_free(&alteration->ops);
    free(alteration->values);
    free(alteration->remove);
    free(alteration);
}

/* --- alter ------------------------------------------------------------------------------- */

typedef struct alter_op {
    kadmin_wait w;
    kcall call;
    kfk_admin_result *res;
    bool *answered;
    kfk_err err;
} alter_op;

static void take_alter(alter_op *op, const kp_alter_client_quotas_response_entry_data *e)
{
    size_t n = e->n_entity > 0 ? (size_t)e->n_entity : 0;
    label_part *p = calloc(n ? n : 1, sizeof(*p));
    for (size_t k = 0; p && k < n; k++)
        p[k] = (label_part){e->entity[k].entity_type, e->entity[k].entity_name};
    char *label = p ? label_of(p, n) : NULL;
    free(p);
    if (!label) {
        op->err = KFK_ERR_NO_MEMORY;
        return;
    }
    for (size_t i = 0; i < op->res->n; i++)
        if (!op->answered[i] && strcmp(op->res->e[i].name, label) == 0) {
            op->answered[i] = true;
            kadmin_result_set(op->res, i, (kfk_err)e->error_code, e->error_message);
            break;
        }
    free(label);
}

static void alter_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    alter_op *op = call->opaque;
    op->err = err;
    const kp_alter_client_quotas_response *r = resp;
    for (int32_t i = 0; !err && !op->err && i < r->n_entries; i++)
        take_alter(op, &r->entries[i]);
    kadmin_wait_done(&op->w);
}

/* The request's entries, their arrays allocated from arena. */
static kfk_err alter_build(kfk_quota_alteration *const *v, size_t n, karena *a,
                           kp_alter_client_quotas_request *body)
{
    body->entries = karena_alloc(a, (n ? n : 1) * sizeof(*body->entries));
    if (!body->entries) return KFK_ERR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) {
        const kfk_quota_alteration *x = v[i];
        kp_alter_client_quotas_request_entry_data *e = &body->entries[i];
        kp_alter_client_quotas_request_entry_data_init(e);
        e->entity = karena_alloc(a, x->entity.n * sizeof(*e->entity));
        e->ops = karena_alloc(a, x->ops.n * sizeof(*e->ops));
        if (!e->entity || !e->ops) return KFK_ERR_NO_MEMORY;
        for (size_t k = 0; k < x->entity.n; k++) {
            kp_alter_client_quotas_request_entity_data_init(&e->entity[k]);
            e->entity[k].entity_type = kwire_cstr(x->entity.v[k].type);
            e->entity[k].entity_name = kwire_cstr(x->entity.v[k].name);
        }
        for (size_t j = 0; j < x->ops.n; j++) {
            kp_alter_client_quotas_request_op_data_init(&e->ops[j]);
            e->ops[j].key = kwire_cstr(x->ops.v[j].type);
            e->ops[j].value = x->values[j];
            e->ops[j].remove = x->remove[j];
        }
        e->n_entity = (int32_t)x->entity.n;
        e->n_ops = (int32_t)x->ops.n;
    }
    body->n_entries = (int32_t)n;
    return KFK_OK;
}

static kfk_err alter(kfk_admin *a, kfk_quota_alteration *const *v, size_t n, const kadmin_opts *o,
                     kfk_admin_result **result)
{
    char **names = calloc(n ? n : 1, sizeof(*names));
    bool ok = names != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = (names[i] = label_of_pairs(&v[i]->entity)) != NULL;
    alter_op op = {.res = ok ? kadmin_result_new((const char *const *)names, n) : NULL};
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    op.answered = calloc(n ? n : 1, sizeof(bool));
    karena arena = KARENA_INIT;
    kp_alter_client_quotas_request body;
    kp_alter_client_quotas_request_init(&body);
    body.validate_only = o->flags & KFK_ADMIN_VALIDATE_ONLY;
    kfk_err err = op.res && op.answered ? alter_build(v, n, &arena, &body) : KFK_ERR_NO_MEMORY;
    if (!err && n) {
        kadmin_wait_init(&op.w);
        kcall_init(&op.call, &kp_alter_client_quotas_client, &body, alter_done, &op);
        op.call.route = KROUTE_CONTROLLER;
        op.call.deadline_ns = o->deadline_ns;
        kadmin_run(a, &op.call, &op.w);
        kadmin_wait_destroy(&op.w);
        err = op.err;
    }
    karena_free(&arena);
    free(op.answered);
    if (err) {
        kfk_admin_result_destroy(op.res);
        return err;
    }
    *result = op.res;
    return kadmin_result_status(op.res);
}

kfk_err kfk_admin_alter_client_quotas(kfk_admin *admin, kfk_quota_alteration *const *alterations,
                                      size_t n, const kfk_admin_options *options,
                                      kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_alter_client_quotas";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, KFK_ADMIN_VALIDATE_ONLY, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err && !alterations && n)
        err = kadmin_invalid(admin, fn, "alterations is NULL with n > 0");
    for (size_t i = 0; !err && i < n; i++) {
        char what[96];
        snprintf(what, sizeof(what), "alterations[%zu] %s", i,
                 alterations[i] ? "has no entity" : "is NULL");
        if (!alterations[i] || !alterations[i]->entity.n) err = kadmin_invalid(admin, fn, what);
    }
    if (!err) err = alter(admin, alterations, n, &o, result);
    return kadmin_end_named(admin, fn, err, o.timeout_ms, result ? *result : NULL, "entity");
}
