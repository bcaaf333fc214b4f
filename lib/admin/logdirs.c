/* Log directories: DescribeLogDirs to every broker at once, each broker's
 * directories with the replicas they hold. */
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "base/partition_list.h"
#include "proto/arena.h"
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
    if (parts && ktp_check_unique(parts->v, (size_t)parts->n))
        return kadmin_invalid(admin, fn,
                              "parts has an entry without a topic, a negative "
                              "partition, or a partition twice");
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
