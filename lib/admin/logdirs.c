/* Log directories: DescribeLogDirs to every broker at once, each broker's
 * directories with the replicas they hold; AlterReplicaLogDirs to each
 * broker named, moving its replicas between its directories. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/groups_int.h"
#include "base/partition_list.h"
#include "proto/arena.h"
#include "proto/gen/alter_replica_log_dirs.h"
#include "proto/gen/describe_log_dirs.h"

typedef kp_describe_log_dirs_response_describe_log_dirs_result ld_result;
typedef kp_describe_log_dirs_request_describable_log_dir_topic ld_topic;

typedef struct log_dir {
    int32_t broker;
    const char *path; /* NULL: the broker did not answer */
    kfk_err err;
    int64_t total_bytes, usable_bytes;
    kfk_log_dir_replica *replicas;
    size_t n_replicas;
} log_dir;

struct kfk_log_dirs {
    karena arena;
    log_dir *v;
    size_t n, cap;
    bool oom;
};

static const char *arena_name(karena *a, kslice s)
{
    char *p = karena_alloc(a, s.len + 1);
    if (p) {
        memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
    }
    return p;
}

static log_dir *add_dir(kfk_log_dirs *d, int32_t broker)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        log_dir *v = realloc(d->v, cap * sizeof(*v));
        if (!v) return NULL;
        d->v = v;
        d->cap = cap;
    }
    log_dir *e = &d->v[d->n++];
    memset(e, 0, sizeof(*e));
    e->broker = broker;
    e->total_bytes = e->usable_bytes = -1;
    return e;
}

static bool take_dir(kfk_log_dirs *d, int32_t broker, const ld_result *x)
{
    log_dir *e = add_dir(d, broker);
    if (!e || !(e->path = arena_name(&d->arena, x->log_dir))) return false;
    e->err = (kfk_err)x->error_code;
    e->total_bytes = x->total_bytes;
    e->usable_bytes = x->usable_bytes;
    size_t n = 0;
    for (int32_t t = 0; t < x->n_topics; t++)
        n += x->topics[t].n_partitions > 0 ? (size_t)x->topics[t].n_partitions : 0;
    e->replicas = karena_alloc(&d->arena, n * sizeof(*e->replicas));
    if (!e->replicas) return false;
    for (int32_t t = 0; t < x->n_topics; t++) {
        const char *name = arena_name(&d->arena, x->topics[t].name);
        if (!name) return false;
        for (int32_t k = 0; k < x->topics[t].n_partitions; k++) {
            const kp_describe_log_dirs_response_describe_log_dirs_partition *p =
                &x->topics[t].partitions[k];
            kfk_log_dir_replica *r = &e->replicas[e->n_replicas++];
            memset(r, 0, sizeof(*r));
            r->topic = name;
            r->partition = p->partition_index;
            r->size = p->partition_size;
            r->offset_lag = p->offset_lag;
            r->is_future = p->is_future_key;
        }
    }
    return true;
}

/* One broker's answer (kadmin_fanout_fn): its directories, or one entry
 * with its failure. */
static void take_broker(void *opaque, int32_t broker, kfk_err err, void *resp)
{
    kfk_log_dirs *d = opaque;
    const kp_describe_log_dirs_response *r = resp;
    if (!err && r && r->error_code) err = (kfk_err)r->error_code;
    if (err || !r) {
        log_dir *e = add_dir(d, broker);
        if (e)
            e->err = err ? err : KFK_ERR_UNKNOWN_SERVER_ERROR;
        else
            d->oom = true;
        return;
    }
    for (int32_t i = 0; i < r->n_results; i++)
        if (!take_dir(d, broker, &r->results[i])) d->oom = true;
}

static int build(kp_describe_log_dirs_request *r, const kfk_partition_list *parts,
                 ld_topic **topics, int32_t **ids)
{
    size_t n = (size_t)parts->n;
    ld_topic *t = *topics = calloc(n ? n : 1, sizeof(*t));
    int32_t *p = *ids = calloc(n ? n : 1, sizeof(*p));
    if (!t || !p) return -1;
    int32_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(parts->v[k].topic, parts->v[i].topic) == 0;
        if (seen) continue;
        kp_describe_log_dirs_request_describable_log_dir_topic_init(&t[nt]);
        t[nt].topic = kwire_cstr(parts->v[i].topic);
        t[nt].partitions = p;
        for (size_t k = i; k < n; k++)
            if (strcmp(parts->v[k].topic, parts->v[i].topic) == 0) {
                *p++ = parts->v[k].partition;
                t[nt].n_partitions++;
            }
        nt++;
    }
    r->topics = t;
    r->n_topics = nt;
    return 0;
}

static int cmp_dir(const void *a, const void *b)
{
    const log_dir *x = a, *y = b;
    if (x->broker != y->broker) return x->broker < y->broker ? -1 : 1;
    if (!x->path || !y->path) return !x->path - !y->path;
    return strcmp(x->path, y->path);
}

kfk_err kfk_admin_describe_log_dirs(kfk_admin *admin, const kfk_partition_list *parts,
                                    const kfk_admin_options *options, kfk_log_dirs **out)
{
    static const char fn[] = "kfk_admin_describe_log_dirs";
    if (out) *out = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (err) return kclient_error_end(admin->client, err);
    if (!out) return kadmin_invalid(admin, fn, "out is NULL");
    if ((err = kadmin_parts_ok(admin, fn, parts))) return err;
    kfk_log_dirs *d = calloc(1, sizeof(*d));
    if (!d) return kclient_error_end(admin->client, KFK_ERR_NO_MEMORY);
    kp_describe_log_dirs_request req;
    kp_describe_log_dirs_request_init(&req);
    req.n_topics = -1; /* null: every partition */
    ld_topic *topics = NULL;
    int32_t *ids = NULL;
    if (parts && build(&req, parts, &topics, &ids)) {
        err = KFK_ERR_NO_MEMORY;
    } else {
        err = kadmin_each_broker(admin, &kp_describe_log_dirs_client, &req, NULL, 0, &o,
                                 take_broker, d);
        if (d->oom) err = KFK_ERR_NO_MEMORY;
    }
    free(topics);
    free(ids);
    if (err == KFK_ERR_NO_MEMORY || (err && d->n == 0)) {
        kfk_log_dirs_destroy(d);
        return kadmin_end(admin, fn, err, o.timeout_ms, NULL);
    }
    if (d->n) qsort(d->v, d->n, sizeof(*d->v), cmp_dir);
    *out = d;
    for (size_t i = 0; err && i < d->n; i++)
        if (d->v[i].err && !d->v[i].path) {
            kclient_error_set(admin->client, "%s: broker %d: %s", fn, (int)d->v[i].broker,
                              kfk_err_str(d->v[i].err));
            return kclient_error_end(admin->client, err);
        }
    return kadmin_end(admin, fn, err, o.timeout_ms, NULL);
}

static const log_dir *dir_at(const kfk_log_dirs *d, size_t i)
{
    return d && i < d->n ? &d->v[i] : NULL;
}

size_t kfk_log_dirs_count(const kfk_log_dirs *d)
{
    return d ? d->n : 0;
}

int32_t kfk_log_dirs_broker(const kfk_log_dirs *d, size_t i)
{
    const log_dir *e = dir_at(d, i);
    return e ? e->broker : -1;
}

const char *kfk_log_dirs_path(const kfk_log_dirs *d, size_t i)
{
    const log_dir *e = dir_at(d, i);
    return e ? e->path : NULL;
}

kfk_err kfk_log_dirs_error(const kfk_log_dirs *d, size_t i)
{
    const log_dir *e = dir_at(d, i);
    return e ? e->err : KFK_ERR_INVALID_ARG;
}

int64_t kfk_log_dirs_total_bytes(const kfk_log_dirs *d, size_t i)
{
    const log_dir *e = dir_at(d, i);
    return e ? e->total_bytes : -1;
}

int64_t kfk_log_dirs_usable_bytes(const kfk_log_dirs *d, size_t i)
{
    const log_dir *e = dir_at(d, i);
    return e ? e->usable_bytes : -1;
}

size_t kfk_log_dirs_replica_count(const kfk_log_dirs *d, size_t i)
{
    const log_dir *e = dir_at(d, i);
    return e ? e->n_replicas : 0;
}

const kfk_log_dir_replica *kfk_log_dirs_replica(const kfk_log_dirs *d, size_t i, size_t j)
{
    const log_dir *e = dir_at(d, i);
    return e && j < e->n_replicas ? &e->replicas[j] : NULL;
}

void kfk_log_dirs_destroy(kfk_log_dirs *d)
{
    if (!d) return;
    karena_free(&d->arena);
    free(d->v);
    free(d);
}

/* --- AlterReplicaLogDirs ------------------------------------------------------------ */

typedef kp_alter_replica_log_dirs_request_alter_replica_log_dir ar_dir;
typedef kp_alter_replica_log_dirs_request_alter_replica_log_dir_topic ar_topic;

typedef struct ar_op ar_op;

/* A move and its index in the caller's array, sorted by broker, path,
 * topic and partition so that each broker's request is a run. */
typedef struct ar_item {
    const kfk_replica_log_dir *m;
    size_t i;
} ar_item;

/* One broker's request: the moves v[0..n-1], sorted by path, then
 * topic. */
typedef struct ar_call {
    kcall call;
    ar_op *op;
    const ar_item *v;
    size_t n;
    kp_alter_replica_log_dirs_request body;
    ar_dir *dirs;
    ar_topic *topics;
    int32_t *parts;
} ar_call;

struct ar_op {
    kagroup_fan fan;
    kfk_admin_result *res;
};

static int cmp_move(const void *a, const void *b)
{
    const kfk_replica_log_dir *x = ((const ar_item *)a)->m, *y = ((const ar_item *)b)->m;
    int c;
    if (x->broker != y->broker) return x->broker < y->broker ? -1 : 1;
    if ((c = strcmp(x->path, y->path))) return c;
    if ((c = strcmp(x->topic, y->topic))) return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

/* Fills c's body from its moves: one dir per path, one topic per name
 * within it. */
static int ar_build(ar_call *c)
{
    c->dirs = calloc(c->n, sizeof(*c->dirs));
    c->topics = calloc(c->n, sizeof(*c->topics));
    c->parts = calloc(c->n, sizeof(*c->parts));
    if (!c->dirs || !c->topics || !c->parts) return -1;
    ar_dir *d = NULL;
    ar_topic *t = NULL;
    int32_t nd = 0, nt = 0;
    for (size_t k = 0; k < c->n; k++) {
        const kfk_replica_log_dir *m = c->v[k].m;
        const kfk_replica_log_dir *prev = k ? c->v[k - 1].m : NULL;
        if (!prev || strcmp(prev->path, m->path)) {
            d = &c->dirs[nd++];
            kp_alter_replica_log_dirs_request_alter_replica_log_dir_init(d);
            d->path = kwire_cstr(m->path);
            d->topics = &c->topics[nt];
            prev = NULL;
        }
        if (!prev || strcmp(prev->topic, m->topic)) {
            t = &c->topics[nt++];
            kp_alter_replica_log_dirs_request_alter_replica_log_dir_topic_init(t);
            t->name = kwire_cstr(m->topic);
            t->partitions = &c->parts[k];
            d->n_topics++;
        }
        c->parts[k] = m->partition;
        t->n_partitions++;
    }
    kp_alter_replica_log_dirs_request_init(&c->body);
    c->body.dirs = c->dirs;
    c->body.n_dirs = nd;
    return 0;
}

/* On the I/O thread; each call writes its own broker's entries only. */
static void ar_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    ar_call *c = (ar_call *)call;
    kfk_admin_result *res = c->op->res;
    const kp_alter_replica_log_dirs_response *r = resp;
    for (size_t k = 0; k < c->n; k++)
        kadmin_result_set(res, c->v[k].i, err ? err : KFK_ERR_UNKNOWN_SERVER_ERROR,
                          err ? (kslice){0} : kwire_cstr("the broker's answer left it out"));
    for (int32_t t = 0; !err && t < r->n_results; t++) {
        const kp_alter_replica_log_dirs_response_alter_replica_log_dir_topic_result *x =
            &r->results[t];
        for (int32_t p = 0; p < x->n_partitions; p++)
            for (size_t k = 0; k < c->n; k++) {
                const kfk_replica_log_dir *m = c->v[k].m;
                if (m->partition == x->partitions[p].partition_index &&
                    kwire_eq(x->topic_name, kwire_cstr(m->topic)))
                    kadmin_result_set(res, c->v[k].i, (kfk_err)x->partitions[p].error_code,
                                      (kslice){0});
            }
    }
    kagroup_fan_done(&c->op->fan);
}

/* Splits the sorted moves into one call per broker and runs them all. */
static kfk_err ar_run(kfk_admin *a, ar_op *op, const ar_item *v, size_t n, const kadmin_opts *o)
{
    size_t nb = 0;
    for (size_t k = 0; k < n; k++)
        nb += !k || v[k].m->broker != v[k - 1].m->broker;
    ar_call *calls = calloc(nb ? nb : 1, sizeof(*calls));
    kcall **ptrs = calloc(nb ? nb : 1, sizeof(*ptrs));
    kfk_err err = calls && ptrs ? KFK_OK : KFK_ERR_NO_MEMORY;
    for (size_t k = 0, b = 0; !err && k < n; b++) {
        ar_call *c = &calls[b];
        c->op = op;
        c->v = &v[k];
        while (k < n && v[k].m->broker == c->v[0].m->broker)
            k++, c->n++;
        if (ar_build(c)) err = KFK_ERR_NO_MEMORY;
        kcall_init(&c->call, &kp_alter_replica_log_dirs_client, &c->body, ar_done, NULL);
        c->call.route = KROUTE_BROKER;
        c->call.broker_id = c->v[0].m->broker;
        c->call.deadline_ns = o->deadline_ns;
        ptrs[b] = &c->call;
    }
    if (!err && nb) kagroup_fan_run(a, &op->fan, ptrs, nb);
    for (size_t b = 0; calls && b < nb; b++)
        free(calls[b].dirs), free(calls[b].topics), free(calls[b].parts);
    free(calls), free(ptrs);
    return err;
}

static kfk_err ar_args_ok(kfk_admin *a, const char *fn, const kfk_replica_log_dir *const *moves,
                          size_t n, kfk_admin_result **result)
{
    char what[128];
    if (!result) return kadmin_invalid(a, fn, "result is NULL");
    if (!moves && n) return kadmin_invalid(a, fn, "moves is NULL with n > 0");
    for (size_t i = 0; i < n; i++) {
        const kfk_replica_log_dir *m = moves[i];
        const char *bad = NULL;
        if (!m)
            bad = "is NULL";
        else if (!m->topic || !m->topic[0])
            bad = "has no topic";
        else if (m->partition < 0)
            bad = "has a negative partition";
        else if (m->broker < 0)
            bad = "has a negative broker id";
        else if (!m->path || !m->path[0])
            bad = "has no path";
        else if (m->reserved[0] || m->reserved[1] || m->reserved[2] || m->reserved[3])
            bad = "has reserved words that are not zero";
        if (bad) {
            snprintf(what, sizeof(what), "moves[%zu] %s", i, bad);
            return kadmin_invalid(a, fn, what);
        }
    }
    return KFK_OK;
}

/* The entry names, "topic-partition@broker"; NULL when out of memory. */
static char **ar_names(const kfk_replica_log_dir *const *moves, size_t n)
{
    char **names = calloc(n ? n : 1, sizeof(*names));
    for (size_t i = 0; names && i < n; i++) {
        const kfk_replica_log_dir *m = moves[i];
        size_t len = strlen(m->topic) + 32;
        if ((names[i] = malloc(len)))
            snprintf(names[i], len, "%s-%d@%d", m->topic, (int)m->partition, (int)m->broker);
    }
    return names;
}

static kfk_err ar_call_all(kfk_admin *a, const char *fn, const kfk_replica_log_dir *const *moves,
                           size_t n, const kadmin_opts *o, kfk_admin_result **result)
{
    char **names = ar_names(moves, n);
    ar_item *v = calloc(n ? n : 1, sizeof(*v));
    bool ok = names && v;
    for (size_t i = 0; ok && i < n; i++)
        ok = names[i] != NULL;
    ar_op op = {.res = ok ? kadmin_result_new((const char *const *)names, n) : NULL};
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    if (!op.res) {
        free(v);
        return KFK_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (ar_item){moves[i], i};
    if (n) qsort(v, n, sizeof(*v), cmp_move);
    kfk_err err = KFK_OK;
    for (size_t k = 1; !err && k < n; k++) {
        const kfk_replica_log_dir *x = v[k - 1].m, *y = v[k].m;
        if (x->broker == y->broker && x->partition == y->partition &&
            strcmp(x->topic, y->topic) == 0)
            err = kadmin_invalid(a, fn, "a replica (topic, partition, broker) is listed twice");
    }
    if (!err) err = ar_run(a, &op, v, n, o);
    free(v);
    if (err) {
        kfk_admin_result_destroy(op.res);
        return err;
    }
    *result = op.res;
    return kadmin_result_status(op.res);
}

kfk_err kfk_admin_alter_replica_log_dirs(kfk_admin *admin, const kfk_replica_log_dir *const *moves,
                                         size_t n, const kfk_admin_options *options,
                                         kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_alter_replica_log_dirs";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err) err = ar_args_ok(admin, fn, moves, n, result);
    if (err) return kclient_error_end(admin->client, err);
    err = ar_call_all(admin, fn, moves, n, &o, result);
    if (err == KFK_ERR_INVALID_ARG) return kclient_error_end(admin->client, err);
    return kadmin_end_named(admin, fn, err, o.timeout_ms, *result, "replica");
}
