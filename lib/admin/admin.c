/* The admin handle, synchronous waits, results and topic specs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "base/partition_list.h"

kfk_admin *kfk_admin_new(kfk_conf *conf, char *errstr, size_t errlen)
{
    kfk_admin *a = calloc(1, sizeof(*a));
    if (!a) {
        if (errstr && errlen) snprintf(errstr, errlen, "out of memory");
        kfk_conf_destroy(conf);
        return NULL;
    }
    a->client = kclient_new(conf, KCONF_ADMIN, a, errstr, errlen);
    if (!a->client) {
        free(a);
        return NULL;
    }
    return a;
}

const char *kfk_admin_last_error(const kfk_admin *admin)
{
    return admin ? kclient_last_error(admin->client) : "";
}

kfk_err kadmin_invalid(kfk_admin *a, const char *fn, const char *what)
{
    kclient_error_set(a->client, "%s: %s", fn, what);
    return KFK_ERR_INVALID_ARG;
}

kfk_err kadmin_parts_ok(kfk_admin *a, const char *fn, const kfk_partition_list *parts)
{
    kfk_err err = parts ? ktp_check_unique(parts->v, (size_t)parts->n) : KFK_OK;
    if (err != KFK_ERR_INVALID_ARG) return err;
    return kadmin_invalid(a, fn,
                          "parts has an entry without a topic, a negative partition, or a "
                          "partition twice");
}

static const char *flag_name(unsigned bit)
{
    switch (bit) {
    case KFK_ADMIN_VALIDATE_ONLY:
        return "KFK_ADMIN_VALIDATE_ONLY";
    case KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS:
        return "KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS";
    case KFK_ADMIN_INCLUDE_SYNONYMS:
        return "KFK_ADMIN_INCLUDE_SYNONYMS";
    case KFK_ADMIN_INCLUDE_DOCUMENTATION:
        return "KFK_ADMIN_INCLUDE_DOCUMENTATION";
    case KFK_ADMIN_READ_COMMITTED:
        return "KFK_ADMIN_READ_COMMITTED";
    case KFK_ADMIN_REQUIRE_STABLE:
        return "KFK_ADMIN_REQUIRE_STABLE";
    default:
        return NULL;
    }
}

kfk_err kadmin_opts_check(kfk_admin *a, const char *fn, const kfk_admin_options *options,
                          unsigned allowed, kadmin_opts *out)
{
    static const kfk_admin_options defaults;
    const kfk_admin_options *o = options ? options : &defaults;
    char what[128];
    if (o->timeout_ms < 0) {
        snprintf(what, sizeof(what), "options->timeout_ms is %d; use 0 for the default",
                 o->timeout_ms);
        return kadmin_invalid(a, fn, what);
    }
    for (size_t i = 0; i < sizeof(o->reserved) / sizeof(o->reserved[0]); i++)
        if (o->reserved[i]) return kadmin_invalid(a, fn, "options->reserved is not all zero");
    unsigned extra = o->flags & ~allowed;
    if (extra) {
        unsigned bit = extra & -extra;
        const char *name = flag_name(bit);
        if (name)
            snprintf(what, sizeof(what), "%s does not apply to this operation", name);
        else
            snprintf(what, sizeof(what), "options->flags has the unknown bit 0x%x", bit);
        return kadmin_invalid(a, fn, what);
    }
    out->timeout_ms = o->timeout_ms
                          ? o->timeout_ms
                          : (int)kconf_i64(kclient_conf(a->client), KCONF_DEFAULT_API_TIMEOUT_MS);
    out->deadline_ns = kclient_deadline(out->timeout_ms);
    out->flags = o->flags;
    return KFK_OK;
}

kfk_err kadmin_end(kfk_admin *a, const char *fn, kfk_err err, int timeout_ms,
                   const kfk_admin_result *res)
{
    return kadmin_end_named(a, fn, err, timeout_ms, res, "topic");
}

kfk_err kadmin_end_named(kfk_admin *a, const char *fn, kfk_err err, int timeout_ms,
                         const kfk_admin_result *res, const char *item)
{
    for (size_t i = 0; err && res && i < res->n; i++) {
        const kadmin_entry *e = &res->e[i];
        if (!e->err) continue;
        kclient_error_set(a->client, "%s: %s \"%.200s\": %s%s%.200s", fn, item,
                          e->name ? e->name : "", kfk_err_str(e->err),
                          e->msg ? "; the broker says: " : "", e->msg ? e->msg : "");
        return kclient_error_end(a->client, err);
    }
    if (err == KFK_ERR_TIMED_OUT)
        kclient_error_set(a->client, "%s: no answer within timeout_ms (%d ms)", fn, timeout_ms);
    else if (err && err != KFK_ERR_NO_MEMORY && err != KFK_ERR_INVALID_ARG)
        kclient_error_set(a->client, "%s: %s", fn, kfk_err_str(err));
    return kclient_error_end(a->client, err);
}

void kfk_admin_destroy(kfk_admin *admin)
{
    if (!admin || kclient_forked(admin->client)) return; /* the parent's: left alone */
    kclient_destroy(admin->client);
    free(admin);
}

void kadmin_wait_init(kadmin_wait *w)
{
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->done = false;
}

void kadmin_wait_destroy(kadmin_wait *w)
{
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
}

void kadmin_wait_done(kadmin_wait *w)
{
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void kadmin_run(kfk_admin *a, kcall *call, kadmin_wait *w)
{
    w->done = false;
    int32_t retries = kadmin_retries(a);
    call->no_retry |= retries == 0;
    call->max_retries = retries;
    kcall_start(a->client, call);
    /* No timeout here: the call always completes, at its deadline at the
     * latest, or when the client is destroyed. */
    pthread_mutex_lock(&w->lock);
    while (!w->done)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

/* --- results ------------------------------------------------------------------ */

kfk_admin_result *kadmin_result_new(const char *const *names, size_t n)
{
    kfk_admin_result *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->e = calloc(n ? n : 1, sizeof(*r->e));
    if (!r->e) {
        free(r);
        return NULL;
    }
    r->n = r->cap = n;
    for (size_t i = 0; i < n; i++) {
        r->e[i].err = KFK_ERR_TIMED_OUT;
        if (!(r->e[i].name = strdup(names[i]))) {
            kfk_admin_result_destroy(r);
            return NULL;
        }
    }
    return r;
}

int kadmin_result_append(kfk_admin_result *r, const char *name, kfk_err err)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        kadmin_entry *e = realloc(r->e, cap * sizeof(*e));
        if (!e) return -1;
        r->e = e;
        r->cap = cap;
    }
    kadmin_entry *e = &r->e[r->n];
    *e = (kadmin_entry){.err = err};
    if (name && !(e->name = strdup(name))) return -1;
    r->n++;
    return 0;
}

void *kadmin_result_detail(const kfk_admin_result *r, size_t i, kadmin_kind kind)
{
    return r && r->kind == kind && i < r->n ? r->e[i].detail : NULL;
}

void kadmin_result_set(kfk_admin_result *r, size_t i, kfk_err err, kslice msg)
{
    kadmin_entry *e = &r->e[i];
    e->err = err;
    free(e->msg);
    e->msg = msg.ptr ? strndup((const char *)msg.ptr, msg.len) : NULL;
}

void kadmin_result_failures_last(kfk_admin_result *r)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (!r->e[i].err) {
            kadmin_entry e = r->e[i];
            memmove(&r->e[k + 1], &r->e[k], (i - k) * sizeof(e));
            r->e[k++] = e;
        }
}

kfk_err kadmin_result_status(const kfk_admin_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->e[i].err) return r->e[i].err;
    return KFK_OK;
}

size_t kfk_admin_result_count(const kfk_admin_result *result)
{
    return result ? result->n : 0;
}

const char *kfk_admin_result_name(const kfk_admin_result *result, size_t i)
{
    return result && i < result->n ? result->e[i].name : NULL;
}

kfk_err kfk_admin_result_error(const kfk_admin_result *result, size_t i)
{
    return result && i < result->n ? result->e[i].err : KFK_ERR_INVALID_ARG;
}

const char *kfk_admin_result_message(const kfk_admin_result *result, size_t i)
{
    return result && i < result->n ? result->e[i].msg : NULL;
}

void kfk_admin_result_destroy(kfk_admin_result *result)
{
    if (!result) return;
    for (size_t i = 0; i < result->n; i++) {
        free(result->e[i].name);
        free(result->e[i].msg);
        if (result->e[i].detail && result->detail_free) result->detail_free(result->e[i].detail);
    }
    free(result->e);
    free(result);
}

/* --- topic specs ----------------------------------------------------------------- */

kfk_new_topic *kfk_new_topic_new(const char *name, int32_t partitions, int16_t replication_factor)
{
    if (!name) return NULL;
    kfk_new_topic *t = calloc(1, sizeof(*t));
    if (!t || !(t->name = strdup(name))) {
        free(t);
        return NULL;
    }
    t->partitions = partitions;
    t->replication_factor = replication_factor;
    return t;
}

kfk_err kfk_new_topic_set_config(kfk_new_topic *topic, const char *name, const char *value)
{
    if (!topic || !name || !value) return KFK_ERR_INVALID_ARG;
    if (topic->n_configs + 2 > topic->cap_configs) {
        size_t cap = topic->cap_configs ? topic->cap_configs * 2 : 8;
        char **v = realloc(topic->configs, cap * sizeof(*v));
        if (!v) return KFK_ERR_NO_MEMORY;
        topic->configs = v;
        topic->cap_configs = cap;
    }
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return KFK_ERR_NO_MEMORY;
    }
    topic->configs[topic->n_configs++] = n;
    topic->configs[topic->n_configs++] = v;
    return KFK_OK;
}

kfk_err kfk_new_topic_set_replica_assignment(kfk_new_topic *topic, int32_t partition,
                                             const int32_t *brokers, size_t n)
{
    if (!topic || partition < 0 || !brokers || n == 0 || n > INT16_MAX) return KFK_ERR_INVALID_ARG;
    /* Kafka takes an assignment only in place of a count and a factor. */
    if (topic->partitions != -1 || topic->replication_factor != -1) return KFK_ERR_INVALID_ARG;
    int32_t *copy = malloc(n * sizeof(*copy));
    if (!copy) return KFK_ERR_NO_MEMORY;
    memcpy(copy, brokers, n * sizeof(*copy));
    size_t at = 0;
    while (at < topic->n_assign && topic->assign[at].partition < partition)
        at++;
    if (at < topic->n_assign && topic->assign[at].partition == partition) {
        free(topic->assign[at].brokers); /* replaced */
    } else {
        if (topic->n_assign == topic->cap_assign) {
            size_t cap = topic->cap_assign ? topic->cap_assign * 2 : 4;
            kadmin_assignment *v = realloc(topic->assign, cap * sizeof(*v));
            if (!v) {
                free(copy);
                return KFK_ERR_NO_MEMORY;
            }
            topic->assign = v;
            topic->cap_assign = cap;
        }
        memmove(&topic->assign[at + 1], &topic->assign[at],
                (topic->n_assign - at) * sizeof(*topic->assign));
        topic->n_assign++;
    }
    topic->assign[at] = (kadmin_assignment){partition, copy, n};
    return KFK_OK;
}

void kfk_new_topic_destroy(kfk_new_topic *topic)
{
    if (!topic) return;
    for (size_t i = 0; i < topic->n_assign; i++)
        free(topic->assign[i].brokers);
    free(topic->assign);
    for (size_t i = 0; i < topic->n_configs; i++)
        free(topic->configs[i]);
    free(topic->configs);
    free(topic->name);
    free(topic);
}
