/* DescribeConfigs, IncrementalAlterConfigs and AlterConfigs for topics
 * (a topic's overrides live in its mock_topic) and brokers (a fixed set of
 * static configs with Kafka's defaults), with the codes and messages a
 * KRaft broker answers with; DescribeConfigs and IncrementalAlterConfigs
 * for groups too (group_conf.c: the two share group configs the mock
 * serves). Other resource types are refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/groups.h"
#include "mock/mock.h"
#include "proto/gen/all.h"

enum { T_BOOLEAN = 1, T_STRING = 2, T_INT = 3, T_LONG = 5, T_LIST = 7 };
enum { S_TOPIC = 1, S_STATIC_BROKER = 4, S_DEFAULT = 5, S_DYNAMIC_GROUP = 8 };
enum { R_TOPIC = 2, R_BROKER = 4, R_GROUP = 32 };
enum { OP_SET, OP_DELETE, OP_APPEND, OP_SUBTRACT };

/* A config Kafka knows: its default, type, and for a topic config the
 * broker config it falls back to. */
typedef struct cfg_def {
    const char *name;
    const char *def; /* NULL: null */
    int8_t type;
    const char *synonym; /* topic configs: the broker's config */
    const char *doc;
    bool read_only; /* broker configs */
} cfg_def;

static const cfg_def topic_defs[] = {
    {"cleanup.policy", "delete", T_LIST, "log.cleanup.policy",
     "The retention policy to use on log segments: delete, compact, or both.", false},
    {"compression.type", "producer", T_STRING, "compression.type",
     "The final compression type for a topic.", false},
    {"delete.retention.ms", "86400000", T_LONG, "log.cleaner.delete.retention.ms",
     "How long delete tombstones are retained for compacted topics.", false},
    {"max.message.bytes", "1048588", T_INT, "message.max.bytes",
     "The largest record batch size allowed by Kafka.", false},
    {"min.insync.replicas", "1", T_INT, "min.insync.replicas",
     "The minimum number of replicas that must acknowledge a write with acks=all.", false},
    {"retention.bytes", "-1", T_LONG, "log.retention.bytes",
     "The maximum size a partition can grow to before old segments are discarded.", false},
    {"retention.ms", "604800000", T_LONG, "log.retention.ms",
     "The maximum time a log is retained before old segments are discarded.", false},
    {"segment.bytes", "1073741824", T_INT, "log.segment.bytes",
     "The segment file size for the log.", false},
    {"segment.ms", "604800000", T_LONG, "log.roll.ms",
     "The period after which Kafka forces the log to roll.", false},
    {"unclean.leader.election.enable", "false", T_BOOLEAN, "unclean.leader.election.enable",
     "Whether replicas not in the ISR may be elected leader as a last resort.", false},
};

static const cfg_def broker_defs[] = {
    {"broker.id", NULL, T_INT, NULL, "The broker id.", true},
    {"compression.type", "producer", T_STRING, NULL, "The final compression type.", false},
    {"default.replication.factor", "1", T_INT, NULL,
     "The replication factor for automatically created topics.", true},
    {"log.cleanup.policy", "delete", T_LIST, NULL, "The default cleanup policy.", false},
    {"log.retention.bytes", "-1", T_LONG, NULL, "The maximum size of the log.", false},
    {"log.retention.hours", "168", T_INT, NULL,
     "The number of hours to keep a log file before deleting it.", true},
    {"message.max.bytes", "1048588", T_INT, NULL, "The largest record batch size allowed.", false},
    {"min.insync.replicas", "1", T_INT, NULL, "The default minimum ISR size.", false},
    {"num.partitions", "1", T_INT, NULL, "The default number of partitions per topic.", true},
};

/* The group configs the mock serves (group_conf.c); their defaults are
 * the cluster's settings. */
static const cfg_def group_defs[] = {
    {"share.auto.offset.reset", NULL, T_STRING, NULL,
     "Where a new share-partition starts: the log's start (earliest) or end (latest).", false},
    {"share.record.lock.duration.ms", NULL, T_INT, NULL,
     "How long a member holds the records it acquired before they go to another.", false},
};

#define N_TOPIC_DEFS (sizeof(topic_defs) / sizeof(topic_defs[0]))
#define N_GROUP_DEFS (sizeof(group_defs) / sizeof(group_defs[0]))
#define N_BROKER_DEFS (sizeof(broker_defs) / sizeof(broker_defs[0]))

static const cfg_def *topic_def(kslice name)
{
    for (size_t i = 0; i < N_TOPIC_DEFS; i++)
        if (kwire_eq(kwire_cstr(topic_defs[i].name), name)) return &topic_defs[i];
    return NULL;
}

static const char *topic_value(const mock_topic *t, const char *name)
{
    for (int32_t i = 0; i < t->n_configs; i++)
        if (strcmp(t->configs[i].name, name) == 0) return t->configs[i].value;
    return NULL;
}

static bool has_override(const mock_topic *t, const char *name)
{
    for (int32_t i = 0; i < t->n_configs; i++)
        if (strcmp(t->configs[i].name, name) == 0) return true;
    return false;
}

/* ------------------------------------------------------------- describe */

typedef kp_describe_configs_request_describe_configs_resource dc_res;
typedef kp_describe_configs_response_describe_configs_result dc_result;
typedef kp_describe_configs_response_describe_configs_resource_result dc_config;
typedef kp_describe_configs_response_describe_configs_synonym dc_synonym;

static bool wanted(const dc_res *r, const char *name)
{
    if (r->n_configuration_keys < 0 || !r->configuration_keys) return true;
    for (int32_t i = 0; i < r->n_configuration_keys; i++)
        if (kwire_eq(r->configuration_keys[i], kwire_cstr(name))) return true;
    return false;
}

static void describe_entry(mock_req *req, const kp_describe_configs_request *rq, dc_config *c,
                           const cfg_def *d, kslice value, int8_t source, int32_t n_syn,
                           const dc_synonym *syn)
{
    kp_describe_configs_response_describe_configs_resource_result_init(c);
    c->name = kwire_cstr(d->name);
    c->value = value;
    c->config_source = source;
    c->read_only = d->read_only;
    c->config_type = d->type;
    c->documentation = rq->include_documentation ? kwire_cstr(d->doc) : (kslice){0};
    if (rq->include_synonyms && n_syn > 0) {
        dc_synonym *s = karena_alloc(req->arena, (size_t)n_syn * sizeof(*s));
        if (s) {
            memcpy(s, syn, (size_t)n_syn * sizeof(*s));
            c->synonyms = s;
            c->n_synonyms = n_syn;
        }
    }
}

static kslice maybe(const char *s)
{
    return s ? kwire_cstr(s) : (kslice){0};
}

static void describe_topic(mock_req *req, const kp_describe_configs_request *rq, const dc_res *r,
                           dc_result *out)
{
    mock_topic *t = mock_topic_find(req->mc, r->resource_name);
    if (!t) {
        out->error_code = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        out->error_message = mock_msgf(req, "The topic '%.*s' does not exist.",
                                       (int)r->resource_name.len, r->resource_name.ptr);
        return;
    }
    dc_config *v = karena_alloc(req->arena, N_TOPIC_DEFS * sizeof(*v));
    if (!v) return;
    int32_t n = 0;
    for (size_t i = 0; i < N_TOPIC_DEFS; i++) {
        const cfg_def *d = &topic_defs[i];
        if (!wanted(r, d->name)) continue;
        bool set = has_override(t, d->name);
        dc_synonym syn[2];
        int32_t n_syn = 0;
        if (set)
            syn[n_syn++] =
                (dc_synonym){kwire_cstr(d->name), maybe(topic_value(t, d->name)), S_TOPIC};
        syn[n_syn++] = (dc_synonym){kwire_cstr(d->synonym), maybe(d->def), S_DEFAULT};
        describe_entry(req, rq, &v[n++], d, set ? maybe(topic_value(t, d->name)) : maybe(d->def),
                       set ? S_TOPIC : S_DEFAULT, n_syn, syn);
    }
    out->configs = v;
    out->n_configs = n;
}

static void describe_broker(mock_req *req, const kp_describe_configs_request *rq, const dc_res *r,
                            dc_result *out)
{
    char id[16];
    snprintf(id, sizeof(id), "%d", (int)req->broker->id);
    if (r->resource_name.len == 0) return; /* cluster defaults: the mock has no dynamic ones */
    if (!kwire_eq(r->resource_name, kwire_cstr(id))) {
        out->error_code = KFK_ERR_INVALID_REQUEST;
        out->error_message = mock_msgf(req,
                                       "Unexpected broker id, expected %s or empty string, but "
                                       "received %.*s",
                                       id, (int)r->resource_name.len, r->resource_name.ptr);
        return;
    }
    dc_config *v = karena_alloc(req->arena, N_BROKER_DEFS * sizeof(*v));
    kslice idv = mock_msgf(req, "%s", id);
    if (!v) return;
    int32_t n = 0;
    for (size_t i = 0; i < N_BROKER_DEFS; i++) {
        const cfg_def *d = &broker_defs[i];
        if (!wanted(r, d->name)) continue;
        bool is_id = strcmp(d->name, "broker.id") == 0;
        dc_synonym syn = {kwire_cstr(d->name), is_id ? idv : maybe(d->def),
                          is_id ? S_STATIC_BROKER : S_DEFAULT};
        describe_entry(req, rq, &v[n++], d, syn.value, syn.source, 1, &syn);
    }
    out->configs = v;
    out->n_configs = n;
}

/* A group's configs, whether or not the group exists (as Kafka). */
static void describe_group(mock_req *req, const kp_describe_configs_request *rq, const dc_res *r,
                           dc_result *out)
{
    dc_config *v = karena_alloc(req->arena, N_GROUP_DEFS * sizeof(*v));
    if (!v) return;
    int32_t n = 0;
    for (size_t i = 0; i < N_GROUP_DEFS; i++) {
        const cfg_def *d = &group_defs[i];
        if (!wanted(r, d->name)) continue;
        char buf[16];
        bool set = false;
        const char *val =
            mock_group_conf_value(req->mc, r->resource_name, d->name, buf, sizeof(buf), &set);
        dc_synonym syn = {kwire_cstr(d->name), mock_msgf(req, "%s", val),
                          set ? S_DYNAMIC_GROUP : S_DEFAULT};
        describe_entry(req, rq, &v[n++], d, syn.value, syn.source, 1, &syn);
    }
    out->configs = v;
    out->n_configs = n;
}

int mock_handle_describe_configs(mock_req *req)
{
    kp_describe_configs_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    int32_t n = r.n_resources > 0 ? r.n_resources : 0;
    dc_result *res = karena_alloc(req->arena, (size_t)n * sizeof(*res));
    if (!res) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        const dc_res *x = &r.resources[i];
        kp_describe_configs_response_describe_configs_result_init(&res[i]);
        res[i].resource_type = x->resource_type;
        res[i].resource_name = x->resource_name;
        res[i].error_message = (kslice){0};
        if (req->inject)
            res[i].error_code = (int16_t)req->inject;
        else if (x->resource_type == R_TOPIC)
            describe_topic(req, &r, x, &res[i]);
        else if (x->resource_type == R_BROKER)
            describe_broker(req, &r, x, &res[i]);
        else if (x->resource_type == R_GROUP)
            describe_group(req, &r, x, &res[i]);
        else {
            res[i].error_code = KFK_ERR_INVALID_REQUEST;
            res[i].error_message = mock_msgf(req, "Unsupported resource type %d", x->resource_type);
        }
    }
    kp_describe_configs_response resp;
    kp_describe_configs_response_init(&resp);
    resp.results = res;
    resp.n_results = n;
    return mock_respond(req, &resp);
}

/* ---------------------------------------------------------------- alter */

/* A topic's overrides being changed: name/value pairs, malloc'd. */
typedef struct cfg_set {
    mock_config *v;
    int32_t n, cap;
} cfg_set;

static void set_free(cfg_set *s)
{
    for (int32_t i = 0; i < s->n; i++) {
        free(s->v[i].name);
        free(s->v[i].value);
    }
    free(s->v);
    *s = (cfg_set){0};
}

static int32_t set_find(const cfg_set *s, const char *name)
{
    for (int32_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0) return i;
    return -1;
}

static void set_remove(cfg_set *s, const char *name)
{
    int32_t i = set_find(s, name);
    if (i < 0) return;
    free(s->v[i].name);
    free(s->v[i].value);
    s->v[i] = s->v[--s->n];
}

/* Sets name to value (both copied). -1 when out of memory. */
static int set_put(cfg_set *s, const char *name, const char *value)
{
    char *v = strdup(value);
    if (!v) return -1;
    int32_t i = set_find(s, name);
    if (i >= 0) {
        free(s->v[i].value);
        s->v[i].value = v;
        return 0;
    }
    if (s->n == s->cap) {
        int32_t cap = s->cap ? s->cap * 2 : 8;
        mock_config *p = realloc(s->v, (size_t)cap * sizeof(*p));
        if (!p) {
            free(v);
            return -1;
        }
        s->v = p;
        s->cap = cap;
    }
    s->v[s->n] = (mock_config){strdup(name), v};
    if (!s->v[s->n].name) {
        free(v);
        return -1;
    }
    s->n++;
    return 0;
}

static int set_copy(cfg_set *s, const mock_topic *t)
{
    for (int32_t i = 0; i < t->n_configs; i++)
        if (set_put(s, t->configs[i].name, t->configs[i].value ? t->configs[i].value : ""))
            return -1;
    return 0;
}

/* Puts s in t's place (s is emptied). */
static void set_install(cfg_set *s, mock_topic *t)
{
    for (int32_t i = 0; i < t->n_configs; i++) {
        free(t->configs[i].name);
        free(t->configs[i].value);
    }
    free(t->configs);
    t->configs = s->v;
    t->n_configs = s->n;
    *s = (cfg_set){0};
}

static bool list_has(const char *list, const char *item, size_t len)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && memcmp(p, item, len) == 0) return true;
        p += n + (p[n] == ',');
    }
    return false;
}

/* Checks value for d as Kafka's ConfigDef would; the message as Kafka's. */
static kfk_err check_value(mock_req *req, const cfg_def *d, const char *value, kslice *msg)
{
    const char *why = NULL;
    if (d->type == T_INT || d->type == T_LONG) {
        char *end;
        errno = 0;
        long long x = strtoll(value, &end, 10);
        if (!*value || *end || errno || (d->type == T_INT && (x < INT32_MIN || x > INT32_MAX)))
            why = d->type == T_INT ? "Not a number of type INT" : "Not a number of type LONG";
    } else if (d->type == T_BOOLEAN) {
        if (strcmp(value, "true") && strcmp(value, "false"))
            why = "Expected value to be either true or false";
    } else if (strcmp(d->name, "cleanup.policy") == 0) {
        for (const char *p = value; *p && !why;) {
            size_t n = strcspn(p, ",");
            if (!list_has("compact,delete", p, n)) why = "String must be one of: compact, delete";
            p += n + (p[n] == ',');
        }
    } else if (strcmp(d->name, "compression.type") == 0) {
        if (!list_has("uncompressed,zstd,lz4,snappy,gzip,producer", value, strlen(value)))
            why = "String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer";
    }
    if (!why) return KFK_OK;
    *msg = mock_msgf(req, "Invalid value %s for configuration %s: %s", value, d->name, why);
    return KFK_ERR_INVALID_CONFIG;
}

/* The list value of d in s after adding (append) or removing item list
 * value's items; malloc'd, NULL when out of memory. */
static char *list_edit(const cfg_set *s, const cfg_def *d, const char *value, bool append)
{
    int32_t i = set_find(s, d->name);
    const char *cur = i >= 0 ? s->v[i].value : d->def ? d->def : "";
    size_t cap = strlen(cur) + strlen(value) + 2;
    char *out = calloc(1, cap);
    if (!out) return NULL;
    for (const char *p = cur; *p;) { /* what stays */
        size_t n = strcspn(p, ",");
        if (n && (append || !list_has(value, p, n))) {
            if (*out) strcat(out, ",");
            strncat(out, p, n);
        }
        p += n + (p[n] == ',');
    }
    for (const char *p = value; append && *p;) { /* what comes */
        size_t n = strcspn(p, ",");
        if (n && !list_has(out, p, n)) {
            if (*out) strcat(out, ",");
            strncat(out, p, n);
        }
        p += n + (p[n] == ',');
    }
    return out;
}

static char *cstr(mock_req *req, kslice s)
{
    char *p = karena_alloc(req->arena, s.len + 1);
    if (p) {
        memcpy(p, s.ptr ? s.ptr : (const uint8_t *)"", s.len);
        p[s.len] = '\0';
    }
    return p;
}

/* One change to s; the error and Kafka's message otherwise. */
static kfk_err apply_one(mock_req *req, cfg_set *s, kslice name, int8_t op, kslice value,
                         kslice *msg)
{
    const cfg_def *d = topic_def(name);
    if (!d) {
        *msg = mock_msgf(req, "Unknown topic config name: %.*s", (int)name.len, name.ptr);
        return KFK_ERR_INVALID_CONFIG;
    }
    char *v = cstr(req, value);
    if (!v) return KFK_ERR_NO_MEMORY;
    if (op == OP_DELETE) {
        set_remove(s, d->name);
        return KFK_OK;
    }
    if ((op == OP_APPEND || op == OP_SUBTRACT) && d->type != T_LIST) {
        *msg = mock_msgf(req, "Can't %s to key %s because its type is not LIST.",
                         op == OP_APPEND ? "APPEND" : "SUBTRACT", d->name);
        return KFK_ERR_INVALID_CONFIG;
    }
    if (op != OP_SET && op != OP_APPEND && op != OP_SUBTRACT) {
        *msg = mock_msgf(req, "Unknown alter config operation %d", op);
        return KFK_ERR_INVALID_REQUEST;
    }
    if (!value.ptr) {
        *msg = mock_msgf(req, "Null value not supported for : %s", d->name);
        return KFK_ERR_INVALID_REQUEST;
    }
    char *nv = op == OP_SET ? strdup(v) : list_edit(s, d, v, op == OP_APPEND);
    if (!nv) return KFK_ERR_NO_MEMORY;
    kfk_err err = check_value(req, d, nv, msg);
    if (!err && set_put(s, d->name, nv)) err = KFK_ERR_NO_MEMORY;
    free(nv);
    return err;
}

/* "a, b": the names of n configs of a request, whose structs of size
 * stride all begin with the name. */
static const char *join_names(mock_req *req, const void *configs, size_t stride, int32_t n)
{
    size_t len = 1;
    for (int32_t i = 0; i < n; i++)
        len += ((const kslice *)((const char *)configs + (size_t)i * stride))->len + 2;
    char *out = karena_alloc(req->arena, len);
    if (!out) return "";
    *out = '\0';
    for (int32_t i = 0; i < n; i++) {
        const kslice *s = (const kslice *)((const char *)configs + (size_t)i * stride);
        if (i) strcat(out, ", ");
        strncat(out, (const char *)s->ptr, s->len);
    }
    return out;
}

kfk_err mock_topic_config_check(mock_req *req, kslice name, kslice value, kslice *msg)
{
    const cfg_def *d = topic_def(name);
    if (!d) {
        *msg = mock_msgf(req, "Unknown topic config name: %.*s", (int)name.len, name.ptr);
        return KFK_ERR_INVALID_CONFIG;
    }
    if (!value.ptr) return KFK_OK;
    char *v = cstr(req, value);
    return v ? check_value(req, d, v, msg) : KFK_ERR_NO_MEMORY;
}

/* A resource both alter APIs change: its topic, or why not. */
static kfk_err alter_target(mock_req *req, int8_t type, kslice name, const char *names,
                            mock_topic **t, kslice *msg)
{
    if (req->inject) return req->inject;
    if (type == R_BROKER) {
        /* The mock's broker configs are all static. */
        *msg = mock_msgf(req, "Cannot update these configs dynamically: [%s]", names);
        return KFK_ERR_INVALID_REQUEST;
    }
    if (type != R_TOPIC) {
        *msg = mock_msgf(req, "Unsupported resource type %d", type);
        return KFK_ERR_INVALID_REQUEST;
    }
    *t = mock_topic_find(req->mc, name);
    if (!*t) {
        *msg = mock_msgf(req, "The topic '%.*s' does not exist.", (int)name.len, name.ptr);
        return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    return KFK_OK;
}

typedef kp_incremental_alter_configs_request_alter_configs_resource ia_res;
typedef kp_incremental_alter_configs_response_alter_configs_resource_response ia_result;

static kfk_err incremental_one(mock_req *req, const ia_res *x, bool validate_only, kslice *msg)
{
    if (x->resource_type == R_GROUP && !req->inject)
        return mock_group_conf_alter(req, x->resource_name, x->configs, x->n_configs, validate_only,
                                     msg);
    mock_topic *t = NULL;
    const char *names = join_names(req, x->configs, sizeof(*x->configs), x->n_configs);
    kfk_err err = alter_target(req, x->resource_type, x->resource_name, names, &t, msg);
    if (err) return err;
    cfg_set s = {0};
    if (set_copy(&s, t)) err = KFK_ERR_NO_MEMORY;
    for (int32_t c = 0; !err && c < x->n_configs; c++)
        err = apply_one(req, &s, x->configs[c].name, x->configs[c].config_operation,
                        x->configs[c].value, msg);
    if (!err && !validate_only) set_install(&s, t);
    set_free(&s);
    return err;
}

int mock_handle_incremental_alter_configs(mock_req *req)
{
    kp_incremental_alter_configs_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    int32_t n = r.n_resources > 0 ? r.n_resources : 0;
    ia_result *res = karena_alloc(req->arena, (size_t)n * sizeof(*res));
    if (!res) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        kp_incremental_alter_configs_response_alter_configs_resource_response_init(&res[i]);
        res[i].resource_type = r.resources[i].resource_type;
        res[i].resource_name = r.resources[i].resource_name;
        res[i].error_message = (kslice){0};
        res[i].error_code =
            (int16_t)incremental_one(req, &r.resources[i], r.validate_only, &res[i].error_message);
    }
    kp_incremental_alter_configs_response resp;
    kp_incremental_alter_configs_response_init(&resp);
    resp.responses = res;
    resp.n_responses = n;
    return mock_respond(req, &resp);
}

typedef kp_alter_configs_request_alter_configs_resource ac_res;
typedef kp_alter_configs_response_alter_configs_resource_response ac_result;

/* The legacy API: the topic's overrides become exactly those given. */
static kfk_err alter_one(mock_req *req, const ac_res *x, bool validate_only, kslice *msg)
{
    mock_topic *t = NULL;
    const char *names = join_names(req, x->configs, sizeof(*x->configs), x->n_configs);
    kfk_err err = alter_target(req, x->resource_type, x->resource_name, names, &t, msg);
    if (err) return err;
    cfg_set s = {0};
    for (int32_t c = 0; !err && c < x->n_configs; c++)
        if (x->configs[c].value.ptr)
            err = apply_one(req, &s, x->configs[c].name, OP_SET, x->configs[c].value, msg);
    if (!err && !validate_only) set_install(&s, t);
    set_free(&s);
    return err;
}

int mock_handle_alter_configs(mock_req *req)
{
    kp_alter_configs_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    int32_t n = r.n_resources > 0 ? r.n_resources : 0;
    ac_result *res = karena_alloc(req->arena, (size_t)n * sizeof(*res));
    if (!res) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        kp_alter_configs_response_alter_configs_resource_response_init(&res[i]);
        res[i].resource_type = r.resources[i].resource_type;
        res[i].resource_name = r.resources[i].resource_name;
        res[i].error_message = (kslice){0};
        res[i].error_code =
            (int16_t)alter_one(req, &r.resources[i], r.validate_only, &res[i].error_message);
    }
    kp_alter_configs_response resp;
    kp_alter_configs_response_init(&resp);
    resp.responses = res;
    resp.n_responses = n;
    return mock_respond(req, &resp);
}

/* ----------------------------------------------------------------- list */

typedef kp_list_config_resources_response_config_resource lc_res;

static bool list_wants(const kp_list_config_resources_request *r, int8_t type, int16_t version)
{
    if (version == 0) return type == 16;                           /* client metrics alone */
    if (r->n_resource_types <= 0) return type != 16 && type != 32; /* none of those in the mock */
    for (int32_t i = 0; i < r->n_resource_types; i++)
        if (r->resource_types[i] == type) return true;
    return false;
}

/* Topics, brokers and broker loggers; the mock has no client-metrics
 * subscriptions and does not list the groups that have configs. */
int mock_handle_list_config_resources(mock_req *req)
{
    kp_list_config_resources_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_list_config_resources_response resp;
    kp_list_config_resources_response_init(&resp);
    for (int32_t i = 0; i < r.n_resource_types; i++) {
        int8_t t = r.resource_types[i];
        if (t != R_TOPIC && t != R_BROKER && t != 8 && t != 16 && t != 32)
            resp.error_code = KFK_ERR_INVALID_REQUEST;
    }
    if (req->inject) resp.error_code = (int16_t)req->inject;
    mock_cluster *mc = req->mc;
    size_t cap = mc->n_topics + 2 * (size_t)mc->n_brokers;
    lc_res *v = karena_alloc(req->arena, cap * sizeof(*v));
    if (!v) return MOCK_CLOSE;
    int32_t n = 0;
    for (int b = 0; !resp.error_code && b < mc->n_brokers; b++) {
        kslice id = mock_msgf(req, "%d", (int)mc->brokers[b].id);
        if (list_wants(&r, 8, req->version)) v[n++] = (lc_res){id, 8};
        if (list_wants(&r, R_BROKER, req->version)) v[n++] = (lc_res){id, R_BROKER};
    }
    for (size_t i = 0; !resp.error_code && i < mc->n_topics; i++)
        if (list_wants(&r, R_TOPIC, req->version))
            v[n++] = (lc_res){kwire_cstr(mc->topics[i]->name), R_TOPIC};
    resp.config_resources = v;
    resp.n_config_resources = n;
    return mock_respond(req, &resp);
}
