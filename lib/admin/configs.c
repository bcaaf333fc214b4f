/* Config resources: describing, altering (incrementally and the legacy
 * full replace) and listing them. A call groups its resources by
 * destination (a BROKER or BROKER_LOGGER resource goes to its broker, the
 * others to any broker, as the Java admin client routes them), sends one
 * request per destination at once and waits for all; each answer fills
 * the entries of its own resources only. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "proto/arena.h"
#include "proto/gen/alter_configs.h"
#include "proto/gen/create_topics.h"
#include "proto/gen/describe_configs.h"
#include "proto/gen/incremental_alter_configs.h"
#include "proto/gen/list_config_resources.h"

typedef struct cfg_change {
    char *name;
    char *value; /* NULL: none */
    kfk_alter_config_op op;
} cfg_change;

struct kfk_config_resource {
    kfk_config_resource_type type;
    char *name;
    cfg_change *v;
    size_t n, cap;
};

/* --- names ------------------------------------------------------------------------ */

const char *kfk_config_resource_type_name(kfk_config_resource_type type)
{
    switch (type) {
    case KFK_CONFIG_RESOURCE_TOPIC:
        return "TOPIC";
    case KFK_CONFIG_RESOURCE_BROKER:
        return "BROKER";
    case KFK_CONFIG_RESOURCE_BROKER_LOGGER:
        return "BROKER_LOGGER";
    case KFK_CONFIG_RESOURCE_CLIENT_METRICS:
        return "CLIENT_METRICS";
    case KFK_CONFIG_RESOURCE_GROUP:
        return "GROUP";
    default:
        return "UNKNOWN";
    }
}

const char *kfk_config_source_name(kfk_config_source source)
{
    static const char *const names[] = {
        "UNKNOWN",
        "DYNAMIC_TOPIC_CONFIG",
        "DYNAMIC_BROKER_CONFIG",
        "DYNAMIC_DEFAULT_BROKER_CONFIG",
        "STATIC_BROKER_CONFIG",
        "DEFAULT_CONFIG",
        "DYNAMIC_BROKER_LOGGER_CONFIG",
        "DYNAMIC_CLIENT_METRICS_CONFIG",
        "DYNAMIC_GROUP_CONFIG",
    };
    unsigned s = (unsigned)source;
    return s < sizeof(names) / sizeof(names[0]) ? names[s] : "UNKNOWN";
}

const char *kfk_config_type_name(kfk_config_type type)
{
    static const char *const names[] = {"UNKNOWN", "BOOLEAN", "STRING", "INT",   "SHORT",
                                        "LONG",    "DOUBLE",  "LIST",   "CLASS", "PASSWORD"};
    unsigned t = (unsigned)type;
    return t < sizeof(names) / sizeof(names[0]) ? names[t] : "UNKNOWN";
}

static bool type_known(kfk_config_resource_type type)
{
    return strcmp(kfk_config_resource_type_name(type), "UNKNOWN") != 0;
}

/* --- resources ------------------------------------------------------------------------ */

kfk_config_resource *kfk_config_resource_new(kfk_config_resource_type type, const char *name)
{
    if (!name || !type_known(type)) return NULL;
    kfk_config_resource *r = calloc(1, sizeof(*r));
    if (!r || !(r->name = strdup(name))) {
        free(r);
        return NULL;
    }
    r->type = type;
    return r;
}

kfk_err kfk_config_resource_add(kfk_config_resource *res, const char *name, kfk_alter_config_op op,
                                const char *value)
{
    if (!res || !name || (unsigned)op > KFK_ALTER_CONFIG_SUBTRACT) return KFK_ERR_INVALID_ARG;
    if (!value && op != KFK_ALTER_CONFIG_DELETE) return KFK_ERR_INVALID_ARG;
    if (res->n == res->cap) {
        size_t cap = res->cap ? res->cap * 2 : 4;
        cfg_change *v = realloc(res->v, cap * sizeof(*v));
        if (!v) return KFK_ERR_NO_MEMORY;
        res->v = v;
        res->cap = cap;
    }
    cfg_change c = {strdup(name), value && op != KFK_ALTER_CONFIG_DELETE ? strdup(value) : NULL,
                    op};
    if (!c.name || (value && op != KFK_ALTER_CONFIG_DELETE && !c.value)) {
        free(c.name);
        free(c.value);
        return KFK_ERR_NO_MEMORY;
    }
    res->v[res->n++] = c;
    return KFK_OK;
}

void kfk_config_resource_destroy(kfk_config_resource *res)
{
    if (!res) return;
    for (size_t i = 0; i < res->n; i++) {
        free(res->v[i].name);
        free(res->v[i].value);
    }
    free(res->v);
    free(res->name);
    free(res);
}

/* --- result details ---------------------------------------------------------------- */

typedef struct cfg_item {
    kfk_config_entry pub;
    kfk_config_synonym *synonyms;
} cfg_item;

/* An entry's detail: its resource's type and, once described, its
 * configs; one arena holds them all. */
typedef struct cfg_detail {
    karena arena;
    kfk_config_resource_type type;
    cfg_item *items;
    size_t n;
} cfg_detail;

static void detail_free(void *p)
{
    cfg_detail *d = p;
    karena_free(&d->arena);
    free(d);
}

int kadmin_configs_result_init(kfk_admin_result *r, kfk_config_resource_type type)
{
    cfg_detail **d = calloc(r->n ? r->n : 1, sizeof(*d));
    if (!d) return -1;
    for (size_t i = 0; i < r->n; i++) {
        if (!(d[i] = calloc(1, sizeof(**d)))) {
            while (i--)
                free(d[i]);
            free(d);
            return -1;
        }
        d[i]->type = type;
    }
    for (size_t i = 0; i < r->n; i++)
        r->e[i].detail = d[i];
    free(d);
    r->kind = KADMIN_KIND_CONFIGS;
    r->detail_free = detail_free;
    return 0;
}

static kfk_admin_result *result_new(kfk_config_resource *const *res, size_t n)
{
    const char **names = calloc(n ? n : 1, sizeof(*names));
    if (!names) return NULL;
    for (size_t i = 0; i < n; i++)
        names[i] = res[i]->name;
    kfk_admin_result *r = kadmin_result_new(names, n);
    free(names);
    if (r && kadmin_configs_result_init(r, KFK_CONFIG_RESOURCE_UNKNOWN)) {
        kfk_admin_result_destroy(r);
        return NULL;
    }
    for (size_t i = 0; r && i < n; i++)
        ((cfg_detail *)r->e[i].detail)->type = res[i]->type;
    return r;
}

static const char *arena_str(karena *a, kslice s)
{
    if (!s.ptr) return NULL;
    char *p = karena_alloc(a, s.len + 1);
    if (p) {
        memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
    }
    return p;
}

typedef kp_describe_configs_response_describe_configs_resource_result dc_config;

static int fill_item(karena *a, cfg_item *it, const dc_config *c)
{
    it->pub.name = arena_str(a, c->name);
    it->pub.value = arena_str(a, c->value);
    it->pub.source =
        c->config_source < 0 ? KFK_CONFIG_SOURCE_UNKNOWN : (kfk_config_source)c->config_source;
    it->pub.type = (kfk_config_type)c->config_type;
    it->pub.read_only = c->read_only;
    it->pub.sensitive = c->is_sensitive;
    it->pub.is_default = it->pub.source == KFK_CONFIG_SOURCE_DEFAULT_CONFIG;
    it->pub.documentation = arena_str(a, c->documentation);
    size_t ns = c->n_synonyms > 0 ? (size_t)c->n_synonyms : 0;
    it->pub.synonym_count = ns;
    it->synonyms = karena_alloc(a, ns * sizeof(kfk_config_synonym));
    if (!it->pub.name || (c->value.ptr && !it->pub.value) || !it->synonyms) return -1;
    if (c->documentation.ptr && !it->pub.documentation) return -1;
    for (size_t k = 0; k < ns; k++) {
        const kp_describe_configs_response_describe_configs_synonym *s = &c->synonyms[k];
        it->synonyms[k] = (kfk_config_synonym){arena_str(a, s->name), arena_str(a, s->value),
                                               (kfk_config_source)s->source};
        if (!it->synonyms[k].name || (s->value.ptr && !it->synonyms[k].value)) return -1;
    }
    return 0;
}

static kfk_err fill_detail(cfg_detail *d, const dc_config *configs, int32_t n)
{
    d->n = n > 0 ? (size_t)n : 0;
    d->items = karena_alloc(&d->arena, d->n * sizeof(cfg_item));
    if (!d->items) return KFK_ERR_NO_MEMORY;
    memset(d->items, 0, d->n * sizeof(cfg_item));
    for (size_t j = 0; j < d->n; j++)
        if (fill_item(&d->arena, &d->items[j], &configs[j])) return KFK_ERR_NO_MEMORY;
    return KFK_OK;
}

kfk_err kadmin_configs_set_created(kfk_admin_result *r, size_t i,
                                   const kp_create_topics_response_creatable_topic_configs *c,
                                   int32_t n)
{
    cfg_detail *d = kadmin_result_detail(r, i, KADMIN_KIND_CONFIGS);
    if (!d) return KFK_OK;
    size_t count = n > 0 ? (size_t)n : 0;
    cfg_item *items = karena_alloc(&d->arena, count * sizeof(cfg_item));
    if (!items) return KFK_ERR_NO_MEMORY;
    memset(items, 0, count * sizeof(cfg_item));
    for (size_t j = 0; j < count; j++) {
        kfk_config_entry *e = &items[j].pub;
        e->name = arena_str(&d->arena, c[j].name);
        e->value = arena_str(&d->arena, c[j].value);
        if (!e->name || (c[j].value.ptr && !e->value)) return KFK_ERR_NO_MEMORY;
        /* CreateTopics gives no type, documentation or synonyms. */
        e->source = c[j].config_source < 0 ? KFK_CONFIG_SOURCE_UNKNOWN
                                           : (kfk_config_source)c[j].config_source;
        e->read_only = c[j].read_only;
        e->sensitive = c[j].is_sensitive;
        e->is_default = e->source == KFK_CONFIG_SOURCE_DEFAULT_CONFIG;
    }
    d->items = items;
    d->n = count;
    return KFK_OK;
}

static const cfg_detail *detail_at(const kfk_admin_result *r, size_t i)
{
    return kadmin_result_detail(r, i, KADMIN_KIND_CONFIGS);
}

kfk_config_resource_type kfk_admin_result_config_resource_type(const kfk_admin_result *result,
                                                               size_t i)
{
    const cfg_detail *d = detail_at(result, i);
    return d ? d->type : KFK_CONFIG_RESOURCE_UNKNOWN;
}

size_t kfk_admin_result_config_count(const kfk_admin_result *result, size_t i)
{
    const cfg_detail *d = detail_at(result, i);
    return d ? d->n : 0;
}

const kfk_config_entry *kfk_admin_result_config(const kfk_admin_result *result, size_t i, size_t j)
{
    const cfg_detail *d = detail_at(result, i);
    return d && j < d->n ? &d->items[j].pub : NULL;
}

const kfk_config_synonym *kfk_admin_result_config_synonym(const kfk_admin_result *result, size_t i,
                                                          size_t j, size_t k)
{
    const cfg_detail *d = detail_at(result, i);
    if (!d || j >= d->n || k >= d->items[j].pub.synonym_count) return NULL;
    return &d->items[j].synonyms[k];
}

/* --- running one request per destination ----------------------------------------- */

typedef enum cfg_api { CFG_DESCRIBE, CFG_INCREMENTAL, CFG_ALTER } cfg_api;

typedef struct cfg_op cfg_op;

/* The resources bound for one broker (-1: any), and their request. */
typedef struct cfg_dest {
    cfg_op *op;
    int32_t broker;
    size_t *idx; /* indexes into op->res */
    size_t n;
    bool *answered;
    kcall call;
    union {
        kp_describe_configs_request describe;
        kp_incremental_alter_configs_request incremental;
        kp_alter_configs_request alter;
    } body;
    void *arrays[3];
} cfg_dest;

struct cfg_op {
    cfg_api api;
    kfk_config_resource *const *res;
    size_t n;
    unsigned flags;
    kfk_admin_result *result;
    cfg_dest *dests;
    size_t n_dests;
    atomic_size_t pending;
    kadmin_wait w;
};

/* The broker a resource goes to, -1 for any; -2 when its name is not a
 * broker id. */
static int32_t destination(const kfk_config_resource *r)
{
    if (r->type != KFK_CONFIG_RESOURCE_BROKER && r->type != KFK_CONFIG_RESOURCE_BROKER_LOGGER)
        return -1;
    if (r->type == KFK_CONFIG_RESOURCE_BROKER && !r->name[0]) return -1; /* cluster default */
    char *end;
    errno = 0;
    long id = strtol(r->name, &end, 10);
    if (errno || end == r->name || *end || id < 0 || id > INT32_MAX) return -2;
    return (int32_t)id;
}

static int group_dests(cfg_op *op)
{
    op->dests = calloc(op->n ? op->n : 1, sizeof(*op->dests));
    if (!op->dests) return -1;
    for (size_t i = 0; i < op->n; i++) {
        int32_t b = destination(op->res[i]);
        size_t d = 0;
        while (d < op->n_dests && op->dests[d].broker != b)
            d++;
        cfg_dest *dest = &op->dests[d];
        if (d == op->n_dests) {
            op->n_dests++;
            dest->op = op;
            dest->broker = b;
            dest->idx = calloc(op->n, sizeof(size_t));
            dest->answered = calloc(op->n, sizeof(bool));
            if (!dest->idx || !dest->answered) return -1;
        }
        dest->idx[dest->n++] = i;
    }
    return 0;
}

/* The first of dest's resources of type named name not yet answered. */
static ssize_t match(cfg_dest *dest, int8_t type, kslice name)
{
    for (size_t k = 0; k < dest->n; k++) {
        const kfk_config_resource *r = dest->op->res[dest->idx[k]];
        if (!dest->answered[k] && (int8_t)r->type == type && kwire_eq(kwire_cstr(r->name), name)) {
            dest->answered[k] = true;
            return (ssize_t)dest->idx[k];
        }
    }
    return -1;
}

static void take_describe(cfg_dest *dest, const kp_describe_configs_response *resp)
{
    kfk_admin_result *res = dest->op->result;
    for (int32_t i = 0; i < resp->n_results; i++) {
        const kp_describe_configs_response_describe_configs_result *x = &resp->results[i];
        ssize_t e = match(dest, x->resource_type, x->resource_name);
        if (e < 0) continue;
        kadmin_result_set(res, (size_t)e, (kfk_err)x->error_code, x->error_message);
        if (!x->error_code && fill_detail(res->e[e].detail, x->configs, x->n_configs))
            kadmin_result_set(res, (size_t)e, KFK_ERR_NO_MEMORY, (kslice){0});
    }
}

/* One resource's outcome in an IncrementalAlterConfigs or AlterConfigs
 * answer. */
static void take_alter(cfg_dest *dest, int8_t type, kslice name, int16_t code, kslice msg)
{
    ssize_t e = match(dest, type, name);
    if (e >= 0) kadmin_result_set(dest->op->result, (size_t)e, (kfk_err)code, msg);
}

static void dest_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    cfg_dest *dest = call->opaque;
    cfg_op *op = dest->op;
    if (!err && resp) {
        if (op->api == CFG_DESCRIBE) {
            take_describe(dest, resp);
        } else if (op->api == CFG_INCREMENTAL) {
            const kp_incremental_alter_configs_response *r = resp;
            for (int32_t i = 0; i < r->n_responses; i++)
                take_alter(dest, r->responses[i].resource_type, r->responses[i].resource_name,
                           r->responses[i].error_code, r->responses[i].error_message);
        } else {
            const kp_alter_configs_response *r = resp;
            for (int32_t i = 0; i < r->n_responses; i++)
                take_alter(dest, r->responses[i].resource_type, r->responses[i].resource_name,
                           r->responses[i].error_code, r->responses[i].error_message);
        }
    }
    /* Resources the answer left out keep the call's error, or a timeout. */
    for (size_t k = 0; k < dest->n; k++)
        if (!dest->answered[k] && err)
            kadmin_result_set(op->result, dest->idx[k], err, (kslice){0});
    if (atomic_fetch_sub(&op->pending, 1) == 1) kadmin_wait_done(&op->w);
}

static int build_describe(cfg_dest *d)
{
    kp_describe_configs_request *b = &d->body.describe;
    kp_describe_configs_request_init(b);
    size_t n_keys = 0;
    for (size_t k = 0; k < d->n; k++)
        n_keys += d->op->res[d->idx[k]]->n;
    kp_describe_configs_request_describe_configs_resource *v = calloc(d->n, sizeof(*v));
    kslice *keys = calloc(n_keys + 1, sizeof(*keys));
    d->arrays[0] = v;
    d->arrays[1] = keys;
    if (!v || !keys) return -1;
    for (size_t k = 0; k < d->n; k++) {
        const kfk_config_resource *r = d->op->res[d->idx[k]];
        kp_describe_configs_request_describe_configs_resource_init(&v[k]);
        v[k].resource_type = (int8_t)r->type;
        v[k].resource_name = kwire_cstr(r->name);
        v[k].n_configuration_keys = r->n ? (int32_t)r->n : -1; /* null: every config */
        v[k].configuration_keys = r->n ? keys : NULL;
        for (size_t c = 0; c < r->n; c++)
            *keys++ = kwire_cstr(r->v[c].name);
    }
    b->resources = v;
    b->n_resources = (int32_t)d->n;
    b->include_synonyms = d->op->flags & KFK_ADMIN_INCLUDE_SYNONYMS;
    b->include_documentation = d->op->flags & KFK_ADMIN_INCLUDE_DOCUMENTATION;
    kcall_init(&d->call, &kp_describe_configs_client, b, dest_done, d);
    return 0;
}

static int build_incremental(cfg_dest *d)
{
    kp_incremental_alter_configs_request *b = &d->body.incremental;
    kp_incremental_alter_configs_request_init(b);
    size_t n_cfg = 0;
    for (size_t k = 0; k < d->n; k++)
        n_cfg += d->op->res[d->idx[k]]->n;
    kp_incremental_alter_configs_request_alter_configs_resource *v = calloc(d->n, sizeof(*v));
    kp_incremental_alter_configs_request_alterable_config *cfg = calloc(n_cfg + 1, sizeof(*cfg));
    d->arrays[0] = v;
    d->arrays[1] = cfg;
    if (!v || !cfg) return -1;
    for (size_t k = 0; k < d->n; k++) {
        const kfk_config_resource *r = d->op->res[d->idx[k]];
        kp_incremental_alter_configs_request_alter_configs_resource_init(&v[k]);
        v[k].resource_type = (int8_t)r->type;
        v[k].resource_name = kwire_cstr(r->name);
        v[k].configs = cfg;
        v[k].n_configs = (int32_t)r->n;
        for (size_t c = 0; c < r->n; c++, cfg++) {
            kp_incremental_alter_configs_request_alterable_config_init(cfg);
            cfg->name = kwire_cstr(r->v[c].name);
            cfg->config_operation = (int8_t)r->v[c].op;
            cfg->value = r->v[c].value ? kwire_cstr(r->v[c].value) : (kslice){0};
        }
    }
    b->resources = v;
    b->n_resources = (int32_t)d->n;
    b->validate_only = d->op->flags & KFK_ADMIN_VALIDATE_ONLY;
    kcall_init(&d->call, &kp_incremental_alter_configs_client, b, dest_done, d);
    return 0;
}

static int build_alter(cfg_dest *d)
{
    kp_alter_configs_request *b = &d->body.alter;
    kp_alter_configs_request_init(b);
    size_t n_cfg = 0;
    for (size_t k = 0; k < d->n; k++)
        n_cfg += d->op->res[d->idx[k]]->n;
    kp_alter_configs_request_alter_configs_resource *v = calloc(d->n, sizeof(*v));
    kp_alter_configs_request_alterable_config *cfg = calloc(n_cfg + 1, sizeof(*cfg));
    d->arrays[0] = v;
    d->arrays[1] = cfg;
    if (!v || !cfg) return -1;
    for (size_t k = 0; k < d->n; k++) {
        const kfk_config_resource *r = d->op->res[d->idx[k]];
        kp_alter_configs_request_alter_configs_resource_init(&v[k]);
        v[k].resource_type = (int8_t)r->type;
        v[k].resource_name = kwire_cstr(r->name);
        v[k].configs = cfg;
        v[k].n_configs = (int32_t)r->n;
        for (size_t c = 0; c < r->n; c++, cfg++) {
            kp_alter_configs_request_alterable_config_init(cfg);
            cfg->name = kwire_cstr(r->v[c].name);
            cfg->value = kwire_cstr(r->v[c].value);
        }
    }
    b->resources = v;
    b->n_resources = (int32_t)d->n;
    b->validate_only = d->op->flags & KFK_ADMIN_VALIDATE_ONLY;
    kcall_init(&d->call, &kp_alter_configs_client, b, dest_done, d);
    return 0;
}

static void free_dests(cfg_op *op)
{
    for (size_t d = 0; op->dests && d < op->n_dests; d++) {
        free(op->dests[d].idx);
        free(op->dests[d].answered);
        for (size_t k = 0; k < 3; k++)
            free(op->dests[d].arrays[k]);
    }
    free(op->dests);
}

/* Starts every destination's request and waits for all of them. */
static kfk_err run_dests(kfk_admin *a, cfg_op *op, int64_t deadline_ns)
{
    static int (*const build[])(cfg_dest *) = {build_describe, build_incremental, build_alter};
    if (group_dests(op)) return KFK_ERR_NO_MEMORY;
    for (size_t d = 0; d < op->n_dests; d++)
        if (build[op->api](&op->dests[d])) return KFK_ERR_NO_MEMORY;
    int32_t retries = kadmin_retries(a);
    kadmin_wait_init(&op->w);
    atomic_store(&op->pending, op->n_dests);
    for (size_t d = 0; d < op->n_dests; d++) {
        kcall *call = &op->dests[d].call;
        call->route = op->dests[d].broker >= 0 ? KROUTE_BROKER : KROUTE_ANY;
        call->broker_id = op->dests[d].broker;
        call->deadline_ns = deadline_ns;
        call->no_retry |= retries == 0;
        call->max_retries = retries;
        kcall_start(a->client, call);
    }
    if (op->n_dests) {
        pthread_mutex_lock(&op->w.lock);
        while (!op->w.done)
            pthread_cond_wait(&op->w.cond, &op->w.lock);
        pthread_mutex_unlock(&op->w.lock);
    }
    kadmin_wait_destroy(&op->w);
    return KFK_OK;
}

/* Checks the arguments of public call fn for api. */
static kfk_err args_ok(kfk_admin *a, const char *fn, cfg_api api, kfk_config_resource *const *res,
                       size_t n, kfk_admin_result **result)
{
    char what[256];
    if (!result) return kadmin_invalid(a, fn, "result is NULL");
    if (!res && n) return kadmin_invalid(a, fn, "resources is NULL with n > 0");
    for (size_t i = 0; i < n; i++) {
        const kfk_config_resource *r = res[i];
        if (!r) {
            snprintf(what, sizeof(what), "resources[%zu] is NULL", i);
            return kadmin_invalid(a, fn, what);
        }
        if (destination(r) == -2) {
            snprintf(what, sizeof(what), "resources[%zu]: %s name \"%.40s\" is not a broker id", i,
                     kfk_config_resource_type_name(r->type), r->name);
            return kadmin_invalid(a, fn, what);
        }
        if (api == CFG_INCREMENTAL && r->n == 0) {
            snprintf(what, sizeof(what), "resources[%zu] (\"%.40s\") has no configs to change", i,
                     r->name);
            return kadmin_invalid(a, fn, what);
        }
        for (size_t c = 0; api == CFG_ALTER && c < r->n; c++)
            if (r->v[c].op != KFK_ALTER_CONFIG_SET) {
                snprintf(what, sizeof(what),
                         "resources[%zu] (\"%.40s\"): config \"%.40s\" is not a "
                         "KFK_ALTER_CONFIG_SET; this call replaces all configs",
                         i, r->name, r->v[c].name);
                return kadmin_invalid(a, fn, what);
            }
    }
    return KFK_OK;
}

static kfk_err config_call(kfk_admin *admin, const char *fn, cfg_api api, unsigned allowed,
                           kfk_config_resource *const *resources, size_t n,
                           const kfk_admin_options *options, kfk_admin_result **result)
{
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, allowed, &o);
    if (!err) err = args_ok(admin, fn, api, resources, n, result);
    if (err) return kclient_error_end(admin->client, err);
    cfg_op op = {.api = api, .res = resources, .n = n, .flags = o.flags};
    op.result = result_new(resources, n);
    err = op.result ? run_dests(admin, &op, o.deadline_ns) : KFK_ERR_NO_MEMORY;
    free_dests(&op);
    if (err) {
        kfk_admin_result_destroy(op.result);
    } else {
        *result = op.result;
        err = kadmin_result_status(op.result);
    }
    return kadmin_end_named(admin, fn, err, o.timeout_ms, *result, "resource");
}

kfk_err kfk_admin_describe_configs(kfk_admin *admin, kfk_config_resource *const *resources,
                                   size_t n, const kfk_admin_options *options,
                                   kfk_admin_result **result)
{
    return config_call(admin, "kfk_admin_describe_configs", CFG_DESCRIBE,
                       KFK_ADMIN_INCLUDE_SYNONYMS | KFK_ADMIN_INCLUDE_DOCUMENTATION, resources, n,
                       options, result);
}

kfk_err kfk_admin_incremental_alter_configs(kfk_admin *admin, kfk_config_resource *const *resources,
                                            size_t n, const kfk_admin_options *options,
                                            kfk_admin_result **result)
{
    return config_call(admin, "kfk_admin_incremental_alter_configs", CFG_INCREMENTAL,
                       KFK_ADMIN_VALIDATE_ONLY, resources, n, options, result);
}

kfk_err kfk_admin_alter_configs(kfk_admin *admin, kfk_config_resource *const *resources, size_t n,
                                const kfk_admin_options *options, kfk_admin_result **result)
{
    return config_call(admin, "kfk_admin_alter_configs", CFG_ALTER, KFK_ADMIN_VALIDATE_ONLY,
                       resources, n, options, result);
}

/* --- listing ------------------------------------------------------------------------ */

typedef struct list_op {
    kadmin_wait w;
    kcall call;
    kfk_err err;
    kfk_admin_result *result;
} list_op;

static kfk_err list_check(kcall *call, void *resp)
{
    (void)call;
    return (kfk_err)((kp_list_config_resources_response *)resp)->error_code;
}

static kfk_err list_take(list_op *op, const kp_list_config_resources_response *r)
{
    kfk_admin_result *res = kadmin_result_new(NULL, 0);
    if (!res) return KFK_ERR_NO_MEMORY;
    res->kind = KADMIN_KIND_CONFIGS;
    res->detail_free = detail_free;
    op->result = res;
    for (int32_t i = 0; i < r->n_config_resources; i++) {
        const kp_list_config_resources_response_config_resource *x = &r->config_resources[i];
        char *name = strndup((const char *)x->resource_name.ptr, x->resource_name.len);
        cfg_detail *d = calloc(1, sizeof(*d));
        int rc = name && d ? kadmin_result_append(res, name, KFK_OK) : -1;
        free(name);
        if (rc) {
            free(d);
            return KFK_ERR_NO_MEMORY;
        }
        d->type = (kfk_config_resource_type)x->resource_type;
        res->e[res->n - 1].detail = d;
    }
    return KFK_OK;
}

static void list_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    list_op *op = call->opaque;
    op->err = err ? err : list_take(op, resp);
    kadmin_wait_done(&op->w);
}

kfk_err kfk_admin_list_config_resources(kfk_admin *admin, const kfk_config_resource_type *types,
                                        size_t n_types, const kfk_admin_options *options,
                                        kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_list_config_resources";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err && !types && n_types)
        err = kadmin_invalid(admin, fn, "types is NULL with n_types > 0");
    if (!err && n_types > 64) err = kadmin_invalid(admin, fn, "more than 64 types");
    int8_t t8[64];
    bool metrics_only = n_types == 1;
    for (size_t i = 0; !err && i < n_types; i++) {
        if (!type_known(types[i])) {
            char what[64];
            snprintf(what, sizeof(what), "types[%zu] is %d, not a config resource type", i,
                     (int)types[i]);
            err = kadmin_invalid(admin, fn, what);
        }
        t8[i] = (int8_t)types[i];
        metrics_only &= types[i] == KFK_CONFIG_RESOURCE_CLIENT_METRICS;
    }
    if (err) return kclient_error_end(admin->client, err);
    kp_list_config_resources_request body;
    kp_list_config_resources_request_init(&body);
    body.resource_types = t8;
    body.n_resource_types = (int32_t)n_types;
    list_op op = {0};
    kadmin_wait_init(&op.w);
    kcall_init(&op.call, &kp_list_config_resources_client, &body, list_done, &op);
    /* v0 lists client-metrics resources alone: asking it for anything
     * else would answer a question that was not asked. */
    op.call.min_version = metrics_only ? 0 : 1;
    op.call.check = list_check;
    op.call.deadline_ns = o.deadline_ns;
    kadmin_run(admin, &op.call, &op.w);
    kadmin_wait_destroy(&op.w);
    if (op.err) {
        kfk_admin_result_destroy(op.result);
        op.result = NULL;
    }
    *result = op.result;
    return kadmin_end(admin, fn, op.err, o.timeout_ms, NULL);
}
