/* Creating and deleting topics and adding partitions: one request for all
 * the topics, then again for those the broker asks to retry
 * (kadmin_topic_retriable), until each has a final answer or the call's
 * deadline passes. Connection-level retries happen inside the kcall. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "admin/admin_int.h"
#include "base/time.h"
#include "proto/gen/create_partitions.h"
#include "proto/gen/create_topics.h"
#include "proto/gen/delete_topics.h"

typedef struct topic_op topic_op;

/* A topic to grow, and where its new partitions go. */
struct kfk_new_partitions {
    char *topic;
    int32_t count;
    kp_create_partitions_request_create_partitions_assignment *as; /* one per new partition */
    size_t n, cap;
};

/* What differs between the three APIs. */
typedef struct topic_api {
    const kproto_client *client;
    /* Fills the request for the entries of op->todo; -1 when out of memory. */
    int (*build)(topic_op *op, int32_t timeout_ms);
    /* Calls take(op, name, error, message) for each topic of the answer. */
    void (*each)(topic_op *op, const void *resp);
} topic_api;

struct topic_op {
    const topic_api *api;
    kfk_admin_result *res;
    bool *todo;     /* send in the next round */
    bool *answered; /* this round */
    size_t n;
    kfk_new_topic *const *new_topics; /* create */
    const int32_t *counts;            /* create partitions */
    kfk_new_partitions *const *grow;  /* create partitions with assignments */
    const uint8_t *const *ids;        /* delete by id: 16 bytes each */
    bool old_delete;                  /* DeleteTopics v1-5 (brokers before 2.8) */
    bool downgraded;                  /* the last round switched to old_delete */
    bool validate_only;               /* create, create partitions */
    kadmin_wait w;
    kcall call;
    union {
        kp_create_topics_request create;
        kp_delete_topics_request del;
        kp_create_partitions_request parts;
    } body;
    void *arrays[3]; /* freed after each round */
};

/* Records the answer about the topic named name; its index, or -1 when
 * no entry still waiting has that name. */
static ssize_t take(topic_op *op, kslice name, int16_t code, kslice msg)
{
    for (size_t i = 0; i < op->n; i++) {
        const char *want = op->res->e[i].name;
        if (!op->todo[i] || op->answered[i] || strlen(want) != name.len ||
            memcmp(want, name.ptr, name.len) != 0)
            continue;
        op->answered[i] = true;
        kadmin_result_set(op->res, i, (kfk_err)code, msg);
        return (ssize_t)i;
    }
    return -1;
}

/* --- CreateTopics ----------------------------------------------------------------- */

static int build_create(topic_op *op, int32_t timeout_ms)
{
    kp_create_topics_request *r = &op->body.create;
    kp_create_topics_request_init(r);
    size_t n_cfg = 0, n_as = 0;
    for (size_t i = 0; i < op->n; i++) {
        n_cfg += op->todo[i] ? op->new_topics[i]->n_configs / 2 : 0;
        n_as += op->todo[i] ? op->new_topics[i]->n_assign : 0;
    }
    kp_create_topics_request_creatable_topic *t = calloc(op->n, sizeof(*t));
    kp_create_topics_request_creatable_topic_config *cfg = calloc(n_cfg + 1, sizeof(*cfg));
    kp_create_topics_request_creatable_replica_assignment *as = calloc(n_as + 1, sizeof(*as));
    op->arrays[0] = t;
    op->arrays[1] = cfg;
    op->arrays[2] = as;
    if (!t || !cfg || !as) return -1;
    int32_t k = 0;
    for (size_t i = 0; i < op->n; i++) {
        if (!op->todo[i]) continue;
        const kfk_new_topic *nt = op->new_topics[i];
        kp_create_topics_request_creatable_topic_init(&t[k]);
        t[k].name = kwire_cstr(nt->name);
        t[k].num_partitions = nt->partitions;
        t[k].replication_factor = nt->replication_factor;
        t[k].configs = cfg;
        t[k].n_configs = (int32_t)(nt->n_configs / 2);
        t[k].assignments = as;
        t[k].n_assignments = (int32_t)nt->n_assign;
        for (size_t p = 0; p < nt->n_assign; p++, as++) {
            kp_create_topics_request_creatable_replica_assignment_init(as);
            as->partition_index = nt->assign[p].partition;
            as->broker_ids = nt->assign[p].brokers;
            as->n_broker_ids = (int32_t)nt->assign[p].n;
        }
        for (size_t c = 0; c < nt->n_configs; c += 2, cfg++) {
            kp_create_topics_request_creatable_topic_config_init(cfg);
            cfg->name = kwire_cstr(nt->configs[c]);
            cfg->value = kwire_cstr(nt->configs[c + 1]);
        }
        k++;
    }
    r->topics = t;
    r->n_topics = k;
    r->timeout_ms = timeout_ms;
    r->validate_only = op->validate_only;
    return 0;
}

static void each_create(topic_op *op, const void *resp)
{
    const kp_create_topics_response *r = resp;
    for (int32_t i = 0; i < r->n_topics; i++) {
        const kp_create_topics_response_creatable_topic_result *t = &r->topics[i];
        ssize_t at = take(op, t->name, t->error_code, t->error_message);
        if (at < 0 || t->error_code) continue;
        /* The configs stay unknown on NO_MEMORY: the topic was created all the same. */
        (void)kadmin_configs_set_created(op->res, (size_t)at, t->configs, t->n_configs);
    }
}

static const topic_api create_api = {&kp_create_topics_client, build_create, each_create};

/* --- DeleteTopics ------------------------------------------------------------------ */

static int build_delete(topic_op *op, int32_t timeout_ms)
{
    kp_delete_topics_request *r = &op->body.del;
    kp_delete_topics_request_init(r);
    kp_delete_topics_request_delete_topic_state *t = calloc(op->n, sizeof(*t));
    kslice *names = calloc(op->n, sizeof(*names));
    op->arrays[0] = t;
    op->arrays[1] = names;
    if (!t || !names) return -1;
    int32_t k = 0;
    for (size_t i = 0; i < op->n; i++) {
        if (!op->todo[i]) continue;
        kp_delete_topics_request_delete_topic_state_init(&t[k]);
        if (op->ids) {
            t[k].name = (kslice){NULL, 0};
            memcpy(t[k].topic_id.b, op->ids[i], sizeof(t[k].topic_id.b));
            k++;
            continue;
        }
        t[k].name = kwire_cstr(op->res->e[i].name);
        names[k++] = kwire_cstr(op->res->e[i].name);
    }
    if (op->ids) { /* only v6+ names topics by id */
        r->topics = t;
        r->n_topics = k;
        r->timeout_ms = timeout_ms;
        op->call.min_version = 6;
        return 0;
    }
    /* v6+ takes topics; v1-5 topic_names, which v6 ignores. A broker
     * before 2.8 cannot take topics, so the retry leaves them out. */
    if (!op->old_delete) {
        r->topics = t;
        r->n_topics = k;
    }
    r->topic_names = names;
    r->n_topic_names = k;
    r->timeout_ms = timeout_ms;
    op->call.max_version = op->old_delete ? 5 : -1;
    return 0;
}

/* An answer about a topic named by id: the entry of that id takes the
 * broker's name for it, when the broker gave one. */
static void take_id(topic_op *op, const kp_delete_topics_response_deletable_topic_result *x)
{
    for (size_t i = 0; i < op->n; i++) {
        if (!op->todo[i] || op->answered[i] || memcmp(op->ids[i], x->topic_id.b, 16) != 0) continue;
        op->answered[i] = true;
        kadmin_result_set(op->res, i, (kfk_err)x->error_code, x->error_message);
        char *name = x->name.ptr ? strndup((const char *)x->name.ptr, x->name.len) : NULL;
        if (name) {
            free(op->res->e[i].name);
            op->res->e[i].name = name;
        }
        return;
    }
}

static void each_delete(topic_op *op, const void *resp)
{
    const kp_delete_topics_response *r = resp;
    for (int32_t i = 0; i < r->n_responses; i++) {
        if (op->ids)
            take_id(op, &r->responses[i]);
        else
            take(op, r->responses[i].name, r->responses[i].error_code,
                 r->responses[i].error_message);
    }
}

static const topic_api delete_api = {&kp_delete_topics_client, build_delete, each_delete};

/* --- CreatePartitions ---------------------------------------------------------------- */

static int build_parts(topic_op *op, int32_t timeout_ms)
{
    kp_create_partitions_request *r = &op->body.parts;
    kp_create_partitions_request_init(r);
    kp_create_partitions_request_create_partitions_topic *t = calloc(op->n, sizeof(*t));
    op->arrays[0] = t;
    if (!t) return -1;
    int32_t k = 0;
    for (size_t i = 0; i < op->n; i++) {
        if (!op->todo[i]) continue;
        kp_create_partitions_request_create_partitions_topic_init(&t[k]);
        t[k].name = kwire_cstr(op->res->e[i].name);
        t[k].count = op->grow ? op->grow[i]->count : op->counts[i];
        t[k].n_assignments = -1; /* null: the controller places the new replicas */
        if (op->grow && op->grow[i]->n) {
            t[k].assignments = op->grow[i]->as;
            t[k].n_assignments = (int32_t)op->grow[i]->n;
        }
        k++;
    }
    r->topics = t;
    r->n_topics = k;
    r->timeout_ms = timeout_ms;
    r->validate_only = op->validate_only;
    return 0;
}

static void each_parts(topic_op *op, const void *resp)
{
    const kp_create_partitions_response *r = resp;
    for (int32_t i = 0; i < r->n_results; i++)
        take(op, r->results[i].name, r->results[i].error_code, r->results[i].error_message);
}

static const topic_api parts_api = {&kp_create_partitions_client, build_parts, each_parts};

/* --- the rounds -------------------------------------------------------------------- */

/* On an I/O thread: records the answer, or the call's failure. */
static void round_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    topic_op *op = call->opaque;
    memset(op->answered, 0, op->n * sizeof(bool));
    op->downgraded = false;
    if (err == KFK_ERR_UNSUPPORTED_VERSION && op->api == &delete_api && !op->old_delete &&
        !op->ids) {
        op->old_delete = op->downgraded = true; /* the next round leaves out what v1-5 lack */
    } else if (resp && !err) {
        op->api->each(op, resp);
        for (size_t i = 0; i < op->n; i++)
            op->todo[i] = op->answered[i] && kadmin_topic_retriable(op->res->e[i].err);
    } else {
        for (size_t i = 0; i < op->n; i++) {
            if (op->todo[i]) kadmin_result_set(op->res, i, err, (kslice){0});
            op->todo[i] = false;
        }
    }
    kadmin_wait_done(&op->w);
}

static bool any(const bool *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i]) return true;
    return false;
}

static void free_arrays(topic_op *op)
{
    for (size_t i = 0; i < 3; i++) {
        free(op->arrays[i]);
        op->arrays[i] = NULL;
    }
}

static kfk_err run_rounds(kfk_admin *a, topic_op *op, int64_t deadline)
{
    const kfk_conf *conf = kclient_conf(a->client);
    int64_t backoff_ms = kconf_i64(conf, KCONF_RETRY_BACKOFF_MS);
    kadmin_wait_init(&op->w);
    kfk_err err = KFK_OK;
    int32_t retries_left = kadmin_retries(a);
    for (int round = 0; any(op->todo, op->n); round++) {
        int64_t left_ms = (deadline - ktime_mono_ns()) / KTIME_NS_PER_MS;
        if (left_ms <= 0) break; /* the entries still to do keep KFK_ERR_TIMED_OUT */
        /* A round after a downgrade is the same request again, not a retry. */
        if (round && !op->downgraded && retries_left-- <= 0) break; /* they keep their error */
        if (round && backoff_ms > 0) { /* the broker asked to retry: give it a moment */
            int64_t ms = backoff_ms < left_ms ? backoff_ms : left_ms;
            struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
            nanosleep(&ts, NULL);
        }
        kcall_init(&op->call, op->api->client, &op->body, round_done, op);
        op->call.route = KROUTE_CONTROLLER;
        op->call.deadline_ns = deadline;
        if (op->api->build(op, (int32_t)(left_ms > INT32_MAX ? INT32_MAX : left_ms)) < 0) {
            err = KFK_ERR_NO_MEMORY;
            free_arrays(op);
            break;
        }
        kadmin_run(a, &op->call, &op->w);
        free_arrays(op);
    }
    kadmin_wait_destroy(&op->w);
    return err;
}

/* Runs api for the n topics of names; the public calls' common body. */
static kfk_err topic_call(kfk_admin *a, const topic_api *api, const char *const *names, size_t n,
                          topic_op *op, const kadmin_opts *o, kfk_admin_result **result)
{
    op->api = api;
    op->n = n;
    op->res = kadmin_result_new(names, n);
    op->todo = calloc(n ? n : 1, sizeof(bool));
    op->answered = calloc(n ? n : 1, sizeof(bool));
    kfk_err err = KFK_ERR_NO_MEMORY;
    if (op->res && api == &create_api &&
        kadmin_configs_result_init(op->res, KFK_CONFIG_RESOURCE_TOPIC)) {
        kfk_admin_result_destroy(op->res);
        op->res = NULL;
    }
    if (op->res && op->todo && op->answered) {
        for (size_t i = 0; i < n; i++)
            op->todo[i] = true;
        err = run_rounds(a, op, o->deadline_ns);
    }
    free(op->todo);
    free(op->answered);
    if (err) {
        kfk_admin_result_destroy(op->res);
        return err;
    }
    *result = op->res;
    return kadmin_result_status(op->res);
}

/* KFK_OK when names holds n names and result is there; else the reason
 * goes to the last error. */
static kfk_err names_ok(kfk_admin *a, const char *fn, const char *const *names, size_t n,
                        kfk_admin_result **result)
{
    if (!result) return kadmin_invalid(a, fn, "result is NULL");
    if (!names && n) return kadmin_invalid(a, fn, "names is NULL with n > 0");
    for (size_t i = 0; i < n; i++)
        if (!names[i]) {
            char what[64];
            snprintf(what, sizeof(what), "names[%zu] is NULL", i);
            return kadmin_invalid(a, fn, what);
        }
    return KFK_OK;
}

static kfk_err create_topics(kfk_admin *admin, kfk_new_topic *const *topics, size_t n,
                             const kadmin_opts *o, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_create_topics";
    if (!result) return kadmin_invalid(admin, fn, "result is NULL");
    if (!topics && n) return kadmin_invalid(admin, fn, "topics is NULL with n > 0");
    const char **names = calloc(n ? n : 1, sizeof(*names));
    if (!names) return KFK_ERR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) {
        if (!topics[i]) {
            free(names);
            char what[64];
            snprintf(what, sizeof(what), "topics[%zu] is NULL", i);
            return kadmin_invalid(admin, fn, what);
        }
        names[i] = topics[i]->name;
    }
    topic_op op = {.new_topics = topics, .validate_only = o->flags & KFK_ADMIN_VALIDATE_ONLY};
    kfk_err err = topic_call(admin, &create_api, names, n, &op, o, result);
    free(names);
    return err;
}

kfk_err kfk_admin_create_topics(kfk_admin *admin, kfk_new_topic *const *topics, size_t n,
                                const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_create_topics";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, KFK_ADMIN_VALIDATE_ONLY, &o);
    if (!err) err = create_topics(admin, topics, n, &o, result);
    return kadmin_end(admin, fn, err, o.timeout_ms, result ? *result : NULL);
}

kfk_err kfk_admin_delete_topics(kfk_admin *admin, const char *const *names, size_t n,
                                const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_delete_topics";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err) err = names_ok(admin, fn, names, n, result);
    if (err) return kclient_error_end(admin->client, err);
    topic_op op = {0};
    err = topic_call(admin, &delete_api, names, n, &op, &o, result);
    for (size_t i = 0; *result && i < n; i++)
        if (!(*result)->e[i].err) kmeta_forget(kclient_meta(admin->client), names[i]);
    return kadmin_end(admin, fn, err, o.timeout_ms, *result);
}

kfk_err kfk_admin_create_partitions(kfk_admin *admin, const char *const *names,
                                    const int32_t *total_counts, size_t n,
                                    const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_create_partitions";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, KFK_ADMIN_VALIDATE_ONLY, &o);
    if (!err) err = names_ok(admin, fn, names, n, result);
    if (!err && !total_counts && n) err = kadmin_invalid(admin, fn, "total_counts is NULL");
    if (err) return kclient_error_end(admin->client, err);
    topic_op op = {.counts = total_counts, .validate_only = o.flags & KFK_ADMIN_VALIDATE_ONLY};
    err = topic_call(admin, &parts_api, names, n, &op, &o, result);
    return kadmin_end(admin, fn, err, o.timeout_ms, *result);
}

kfk_err kfk_admin_delete_topics_by_id(kfk_admin *admin, const uint8_t *const *ids, size_t n,
                                      const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_delete_topics_by_id";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err && !ids && n) err = kadmin_invalid(admin, fn, "ids is NULL with n > 0");
    for (size_t i = 0; !err && i < n; i++) {
        static const uint8_t zero[16];
        char what[64];
        snprintf(what, sizeof(what), "ids[%zu] is %s", i, ids[i] ? "all zero" : "NULL");
        if (!ids[i] || !memcmp(ids[i], zero, 16)) err = kadmin_invalid(admin, fn, what);
    }
    if (err) return kclient_error_end(admin->client, err);
    /* Until the broker names them, the entries are named by their ids in hex. */
    char(*hex)[33] = calloc(n ? n : 1, sizeof(*hex));
    const char **names = calloc(n ? n : 1, sizeof(*names));
    if (!hex || !names) err = KFK_ERR_NO_MEMORY;
    for (size_t i = 0; !err && i < n; i++) {
        for (size_t b = 0; b < 16; b++)
            snprintf(&hex[i][2 * b], 3, "%02x", ids[i][b]);
        names[i] = hex[i];
    }
    topic_op op = {.ids = ids};
    if (!err) err = topic_call(admin, &delete_api, names, n, &op, &o, result);
    free(hex);
    free(names);
    for (size_t i = 0; *result && i < n; i++)
        if (!(*result)->e[i].err) kmeta_forget(kclient_meta(admin->client), (*result)->e[i].name);
    return kadmin_end(admin, fn, err, o.timeout_ms, *result);
}

kfk_new_partitions *kfk_new_partitions_new(const char *topic, int32_t total_count)
{
    if (!topic || total_count <= 0) return NULL;
    kfk_new_partitions *np = calloc(1, sizeof(*np));
    if (!np || !(np->topic = strdup(topic))) {
        free(np);
        return NULL;
    }
    np->count = total_count;
    return np;
}

kfk_err kfk_new_partitions_add_assignment(kfk_new_partitions *np, const int32_t *brokers, size_t n)
{
    if (!np || !brokers || n == 0 || n > INT16_MAX) return KFK_ERR_INVALID_ARG;
    if (np->n == np->cap) {
        size_t cap = np->cap ? np->cap * 2 : 4;
        void *v = realloc(np->as, cap * sizeof(*np->as));
        if (!v) return KFK_ERR_NO_MEMORY;
        np->as = v;
        np->cap = cap;
    }
    int32_t *copy = malloc(n * sizeof(*copy));
    if (!copy) return KFK_ERR_NO_MEMORY;
    memcpy(copy, brokers, n * sizeof(*copy));
    kp_create_partitions_request_create_partitions_assignment_init(&np->as[np->n]);
    np->as[np->n].broker_ids = copy;
    np->as[np->n++].n_broker_ids = (int32_t)n;
    return KFK_OK;
}

void kfk_new_partitions_destroy(kfk_new_partitions *np)
{
    if (!np) return;
    for (size_t i = 0; i < np->n; i++)
        free(np->as[i].broker_ids);
    free(np->as);
    free(np->topic);
    free(np);
}

kfk_err kfk_admin_create_partitions_assigned(kfk_admin *admin, kfk_new_partitions *const *parts,
                                             size_t n, const kfk_admin_options *options,
                                             kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_create_partitions_assigned";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(admin, fn, options, KFK_ADMIN_VALIDATE_ONLY, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err && !parts && n) err = kadmin_invalid(admin, fn, "parts is NULL with n > 0");
    for (size_t i = 0; !err && i < n; i++) {
        char what[64];
        snprintf(what, sizeof(what), "parts[%zu] is NULL", i);
        if (!parts[i]) err = kadmin_invalid(admin, fn, what);
    }
    if (err) return kclient_error_end(admin->client, err);
    const char **names = calloc(n ? n : 1, sizeof(*names));
    if (!names) return kclient_error_end(admin->client, KFK_ERR_NO_MEMORY);
    for (size_t i = 0; i < n; i++)
        names[i] = parts[i]->topic;
    topic_op op = {.grow = parts, .validate_only = o.flags & KFK_ADMIN_VALIDATE_ONLY};
    err = topic_call(admin, &parts_api, names, n, &op, &o, result);
    free(names);
    return kadmin_end(admin, fn, err, o.timeout_ms, *result);
}
