/* The cluster's own state: its finalized features (ApiVersions, as Java's
 * describeFeatures asks any broker), changing them (UpdateFeatures, at the
 * controller) and the KRaft metadata quorum (DescribeQuorum, which any
 * broker forwards to the active controller). */
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "proto/gen/api_versions.h"
#include "proto/gen/describe_quorum.h"
#include "proto/gen/update_features.h"

static char *slice_dup(kslice s)
{
    return strndup(s.ptr ? (const char *)s.ptr : "", s.ptr ? s.len : 0);
}

/* --- features ------------------------------------------------------------------- */

typedef struct feature_detail {
    int16_t supported_min, supported_max; /* -1: not supported */
    int16_t finalized_max;                /* 0: not finalized */
    int64_t epoch;
} feature_detail;

typedef struct features_op {
    kfk_admin_result *res;
    kfk_err err;
    kadmin_wait w;
    kcall call;
} features_op;

/* The entry for name, added if new; NULL when out of memory. */
static feature_detail *feature_for(kfk_admin_result *r, kslice name, int64_t epoch)
{
    for (size_t i = 0; i < r->n; i++)
        if (strlen(r->e[i].name) == name.len && memcmp(r->e[i].name, name.ptr, name.len) == 0)
            return r->e[i].detail;
    char *s = slice_dup(name);
    feature_detail *d = calloc(1, sizeof(*d));
    if (!s || !d || kadmin_result_append(r, s, KFK_OK) < 0) {
        free(s);
        free(d);
        return NULL;
    }
    free(s);
    *d = (feature_detail){.supported_min = -1, .supported_max = -1, .epoch = epoch};
    r->e[r->n - 1].detail = d;
    return d;
}

static int take_features(kfk_admin_result *r, const kp_api_versions_response *v)
{
    for (int32_t i = 0; i < v->n_supported_features; i++) {
        const kp_api_versions_response_supported_feature_key *f = &v->supported_features[i];
        feature_detail *d = feature_for(r, f->name, v->finalized_features_epoch);
        if (!d) return -1;
        d->supported_min = f->min_version;
        d->supported_max = f->max_version;
    }
    for (int32_t i = 0; i < v->n_finalized_features; i++) {
        const kp_api_versions_response_finalized_feature_key *f = &v->finalized_features[i];
        feature_detail *d = feature_for(r, f->name, v->finalized_features_epoch);
        if (!d) return -1;
        d->finalized_max = f->max_version_level;
    }
    return 0;
}

static void features_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    features_op *op = call->opaque;
    const kp_api_versions_response *v = resp;
    op->err = err ? err : (kfk_err)v->error_code;
    if (!op->err && take_features(op->res, v) < 0) op->err = KFK_ERR_NO_MEMORY;
    kadmin_wait_done(&op->w);
}

kfk_err kfk_admin_describe_features(kfk_admin *admin, const kfk_admin_options *options,
                                    kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_describe_features";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (err) return kclient_error_end(admin->client, err);
    features_op op = {.res = kadmin_result_new(NULL, 0)};
    if (!op.res) return kadmin_end(admin, fn, KFK_ERR_NO_MEMORY, o.timeout_ms, NULL);
    op.res->kind = KADMIN_KIND_FEATURES;
    op.res->detail_free = free;
    kp_api_versions_request body;
    kp_api_versions_request_init(&body);
    body.client_software_name = kwire_cstr("kfk");
    body.client_software_version = kwire_cstr(kfk_version_str());
    kadmin_wait_init(&op.w);
    kcall_init(&op.call, &kp_api_versions_client, &body, features_done, &op);
    op.call.min_version = 3; /* features came with v3 (Kafka 2.7) */
    op.call.deadline_ns = o.deadline_ns;
    kadmin_run(admin, &op.call, &op.w);
    kadmin_wait_destroy(&op.w);
    if (op.err) {
        kfk_admin_result_destroy(op.res);
        return kadmin_end(admin, fn, op.err, o.timeout_ms, NULL);
    }
    *result = op.res;
    return kadmin_end(admin, fn, KFK_OK, o.timeout_ms, op.res);
}

static const feature_detail *feature_at(const kfk_admin_result *r, size_t i)
{
    return kadmin_result_detail(r, i, KADMIN_KIND_FEATURES);
}

int16_t kfk_admin_result_feature_finalized_level(const kfk_admin_result *result, size_t i)
{
    const feature_detail *d = feature_at(result, i);
    return d ? d->finalized_max : -1;
}

int16_t kfk_admin_result_feature_supported_min(const kfk_admin_result *result, size_t i)
{
    const feature_detail *d = feature_at(result, i);
    return d ? d->supported_min : -1;
}

int16_t kfk_admin_result_feature_supported_max(const kfk_admin_result *result, size_t i)
{
    const feature_detail *d = feature_at(result, i);
    return d ? d->supported_max : -1;
}

int64_t kfk_admin_result_features_epoch(const kfk_admin_result *result, size_t i)
{
    const feature_detail *d = feature_at(result, i);
    return d ? d->epoch : -1;
}

/* --- UpdateFeatures -------------------------------------------------------------------- */

typedef struct update_op {
    kfk_admin_result *res;
    kfk_err err;
    kadmin_wait w;
    kcall call;
} update_op;

static void update_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    update_op *op = call->opaque;
    const kp_update_features_response *r = resp;
    op->err = err;
    if (resp) {
        /* v2 drops the per-feature results: the top-level outcome is
         * every feature's. */
        for (size_t i = 0; i < op->res->n; i++)
            kadmin_result_set(op->res, i, (kfk_err)r->error_code, r->error_message);
        for (int32_t k = 0; !r->error_code && k < r->n_results; k++)
            for (size_t i = 0; i < op->res->n; i++)
                if (strlen(op->res->e[i].name) == r->results[k].feature.len &&
                    memcmp(op->res->e[i].name, r->results[k].feature.ptr,
                           r->results[k].feature.len) == 0)
                    kadmin_result_set(op->res, i, (kfk_err)r->results[k].error_code,
                                      r->results[k].error_message);
    }
    kadmin_wait_done(&op->w);
}

static kfk_err check_updates(kfk_admin *a, const char *fn, const kfk_feature_update *u, size_t n)
{
    if (!u && n) return kadmin_invalid(a, fn, "updates is NULL with n > 0");
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof(u[i].reserved) / sizeof(u[i].reserved[0]); k++)
            if (u[i].reserved[k]) return kadmin_invalid(a, fn, "an update's reserved is not zero");
        if (!u[i].feature || !*u[i].feature)
            return kadmin_invalid(a, fn, "an update's feature is NULL or empty");
        if (u[i].max_version_level < 0)
            return kadmin_invalid(a, fn, "an update's max_version_level is negative");
        if (u[i].upgrade_type < KFK_FEATURE_UPGRADE ||
            u[i].upgrade_type > KFK_FEATURE_UNSAFE_DOWNGRADE)
            return kadmin_invalid(a, fn,
                                  "an update's upgrade_type is not a kfk_feature_upgrade_type");
    }
    return KFK_OK;
}

static kfk_err update_features(kfk_admin *a, const kfk_feature_update *u, size_t n,
                               const kadmin_opts *o, kfk_admin_result *res)
{
    kp_update_features_request_feature_update_key *keys = calloc(n + 1, sizeof(*keys));
    if (!keys) return KFK_ERR_NO_MEMORY;
    bool downgrade = false;
    for (size_t i = 0; i < n; i++) {
        kp_update_features_request_feature_update_key_init(&keys[i]);
        keys[i].feature = kwire_cstr(u[i].feature);
        keys[i].max_version_level = u[i].max_version_level;
        keys[i].upgrade_type = (int8_t)u[i].upgrade_type;
        downgrade |= u[i].upgrade_type != KFK_FEATURE_UPGRADE;
    }
    kp_update_features_request body;
    kp_update_features_request_init(&body);
    body.feature_updates = keys;
    body.n_feature_updates = (int32_t)n;
    body.validate_only = o->flags & KFK_ADMIN_VALIDATE_ONLY;
    int64_t left_ms = (o->deadline_ns - kclient_deadline(0)) / 1000000;
    body.timeout_ms = (int32_t)(left_ms > 0 && left_ms < INT32_MAX ? left_ms : 1);
    update_op op = {.res = res};
    kadmin_wait_init(&op.w);
    kcall_init(&op.call, &kp_update_features_client, &body, update_done, &op);
    op.call.route = KROUTE_CONTROLLER;
    op.call.deadline_ns = o->deadline_ns;
    /* v0 said "downgrade" with a flag v1 replaced by the upgrade type;
     * brokers old enough to speak only v0 get no downgrades from kfk. */
    if (body.validate_only || downgrade) op.call.min_version = 1;
    kadmin_run(a, &op.call, &op.w);
    kadmin_wait_destroy(&op.w);
    free(keys);
    return op.err;
}

kfk_err kfk_admin_update_features(kfk_admin *admin, const kfk_feature_update *updates, size_t n,
                                  const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_update_features";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, KFK_ADMIN_VALIDATE_ONLY, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err) err = check_updates(admin, fn, updates, n);
    if (err) return kclient_error_end(admin->client, err);
    const char **names = calloc(n + 1, sizeof(*names));
    for (size_t i = 0; names && i < n; i++)
        names[i] = updates[i].feature;
    kfk_admin_result *res = names ? kadmin_result_new(names, n) : NULL;
    free(names);
    if (!res) return kadmin_end(admin, fn, KFK_ERR_NO_MEMORY, o.timeout_ms, NULL);
    err = update_features(admin, updates, n, &o, res);
    if (err == KFK_ERR_NO_MEMORY ||
        (err && err != KFK_ERR_TIMED_OUT && !kadmin_result_status(res))) {
        kfk_admin_result_destroy(res);
        return kadmin_end(admin, fn, err, o.timeout_ms, NULL);
    }
    *result = res;
    return kadmin_end_named(admin, fn, kadmin_result_status(res), o.timeout_ms, res, "feature");
}

/* --- DescribeQuorum -------------------------------------------------------------------- */

/* A controller's endpoints (DescribeQuorum v2's nodes); name and host
 * of each are owned. */
typedef struct quorum_node {
    int32_t node_id;
    kfk_raft_voter_endpoint *endpoints;
    size_t n_endpoints;
} quorum_node;

typedef struct quorum_detail {
    int32_t leader_id, leader_epoch;
    int64_t high_watermark;
    kfk_replica_state *voters, *observers;
    size_t n_voters, n_observers;
    quorum_node *nodes;
    size_t n_nodes;
} quorum_detail;

static void quorum_detail_free(void *p)
{
    quorum_detail *d = p;
    for (size_t i = 0; i < d->n_nodes; i++) {
        for (size_t k = 0; k < d->nodes[i].n_endpoints; k++) {
            free((char *)d->nodes[i].endpoints[k].name);
            free((char *)d->nodes[i].endpoints[k].host);
        }
        free(d->nodes[i].endpoints);
    }
    free(d->nodes);
    free(d->voters);
    free(d->observers);
    free(d);
}

/* Copies the response's nodes into d; -1 when out of memory (what was
 * copied is d's, for quorum_detail_free). */
static int take_nodes(quorum_detail *d, const kp_describe_quorum_response *r)
{
    size_t n = r->n_nodes > 0 ? (size_t)r->n_nodes : 0;
    d->nodes = calloc(n + 1, sizeof(*d->nodes));
    if (!d->nodes) return -1;
    for (size_t i = 0; i < n; i++) {
        const kp_describe_quorum_response_node *src = &r->nodes[i];
        quorum_node *q = &d->nodes[d->n_nodes++];
        q->node_id = src->node_id;
        size_t ne = src->n_listeners > 0 ? (size_t)src->n_listeners : 0;
        q->endpoints = calloc(ne + 1, sizeof(*q->endpoints));
        if (!q->endpoints) return -1;
        for (size_t k = 0; k < ne; k++) {
            kfk_raft_voter_endpoint *e = &q->endpoints[q->n_endpoints++];
            e->name = slice_dup(src->listeners[k].name);
            e->host = slice_dup(src->listeners[k].host);
            e->port = src->listeners[k].port;
            if (!e->name || !e->host) return -1;
        }
    }
    return 0;
}

static kfk_replica_state *replicas(const kp_describe_quorum_response_replica_state *v, int32_t n,
                                   size_t *out_n)
{
    *out_n = n > 0 ? (size_t)n : 0;
    kfk_replica_state *out = calloc(*out_n + 1, sizeof(*out));
    for (size_t i = 0; out && i < *out_n; i++) {
        out[i] = (kfk_replica_state){.replica_id = v[i].replica_id,
                                     .log_end_offset = v[i].log_end_offset,
                                     .last_fetch_ms = v[i].last_fetch_timestamp,
                                     .last_caught_up_ms = v[i].last_caught_up_timestamp};
        memcpy(out[i].directory_id, v[i].replica_directory_id.b, sizeof(out[i].directory_id));
    }
    return out;
}

typedef struct quorum_op {
    kfk_admin_result *res;
    kfk_err err;
    kadmin_wait w;
    kcall call;
} quorum_op;

static kfk_err quorum_check(kcall *call, void *resp)
{
    (void)call;
    return (kfk_err)((const kp_describe_quorum_response *)resp)->error_code;
}

static void quorum_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    quorum_op *op = call->opaque;
    const kp_describe_quorum_response *r = resp;
    op->err = err;
    if (!err && (r->n_topics != 1 || r->topics[0].n_partitions != 1)) op->err = KFK_ERR_MALFORMED;
    if (!op->err) {
        const kp_describe_quorum_response_partition_data *p = &r->topics[0].partitions[0];
        quorum_detail *d = calloc(1, sizeof(*d));
        if (d) {
            *d = (quorum_detail){.leader_id = p->leader_id,
                                 .leader_epoch = p->leader_epoch,
                                 .high_watermark = p->high_watermark};
            d->voters = replicas(p->current_voters, p->n_current_voters, &d->n_voters);
            d->observers = replicas(p->observers, p->n_observers, &d->n_observers);
        }
        if (!d || !d->voters || !d->observers || take_nodes(d, r) < 0) {
            if (d) quorum_detail_free(d);
            op->err = KFK_ERR_NO_MEMORY;
        } else {
            op->res->e[0].detail = d;
            kadmin_result_set(op->res, 0, (kfk_err)p->error_code, p->error_message);
        }
    }
    kadmin_wait_done(&op->w);
}

kfk_err kfk_admin_describe_quorum(kfk_admin *admin, const kfk_admin_options *options,
                                  kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_describe_quorum";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (err) return kclient_error_end(admin->client, err);
    static const char *const names[] = {"__cluster_metadata"};
    quorum_op op = {.res = kadmin_result_new(names, 1)};
    if (!op.res) return kadmin_end(admin, fn, KFK_ERR_NO_MEMORY, o.timeout_ms, NULL);
    op.res->kind = KADMIN_KIND_QUORUM;
    op.res->detail_free = quorum_detail_free;
    int32_t part = 0;
    kp_describe_quorum_request_partition_data pd = {.partition_index = part};
    kp_describe_quorum_request_topic_data td = {
        .topic_name = kwire_cstr(names[0]), .partitions = &pd, .n_partitions = 1};
    kp_describe_quorum_request body = {.topics = &td, .n_topics = 1};
    kadmin_wait_init(&op.w);
    kcall_init(&op.call, &kp_describe_quorum_client, &body, quorum_done, &op);
    op.call.check = quorum_check;
    op.call.deadline_ns = o.deadline_ns;
    kadmin_run(admin, &op.call, &op.w);
    kadmin_wait_destroy(&op.w);
    if (op.err) {
        kfk_admin_result_destroy(op.res);
        return kadmin_end(admin, fn, op.err, o.timeout_ms, NULL);
    }
    *result = op.res;
    return kadmin_end(admin, fn, kadmin_result_status(op.res), o.timeout_ms, op.res);
}

static const quorum_detail *quorum_at(const kfk_admin_result *r, size_t i)
{
    return kadmin_result_detail(r, i, KADMIN_KIND_QUORUM);
}

int32_t kfk_admin_result_quorum_leader_id(const kfk_admin_result *result, size_t i)
{
    const quorum_detail *d = quorum_at(result, i);
    return d ? d->leader_id : -1;
}

int32_t kfk_admin_result_quorum_leader_epoch(const kfk_admin_result *result, size_t i)
{
    const quorum_detail *d = quorum_at(result, i);
    return d ? d->leader_epoch : -1;
}

int64_t kfk_admin_result_quorum_high_watermark(const kfk_admin_result *result, size_t i)
{
    const quorum_detail *d = quorum_at(result, i);
    return d ? d->high_watermark : -1;
}

size_t kfk_admin_result_quorum_replica_count(const kfk_admin_result *result, size_t i, bool voters)
{
    const quorum_detail *d = quorum_at(result, i);
    return d ? (voters ? d->n_voters : d->n_observers) : 0;
}

const kfk_replica_state *kfk_admin_result_quorum_replica(const kfk_admin_result *result, size_t i,
                                                         bool voters, size_t j)
{
    const quorum_detail *d = quorum_at(result, i);
    if (!d || j >= (voters ? d->n_voters : d->n_observers)) return NULL;
    return voters ? &d->voters[j] : &d->observers[j];
}

static const quorum_node *quorum_node_at(const kfk_admin_result *r, size_t i, int32_t node_id)
{
    const quorum_detail *d = quorum_at(r, i);
    for (size_t k = 0; d && k < d->n_nodes; k++)
        if (d->nodes[k].node_id == node_id) return &d->nodes[k];
    return NULL;
}

size_t kfk_admin_result_quorum_endpoint_count(const kfk_admin_result *result, size_t i,
                                              int32_t node_id)
{
    const quorum_node *q = quorum_node_at(result, i, node_id);
    return q ? q->n_endpoints : 0;
}

const kfk_raft_voter_endpoint *kfk_admin_result_quorum_endpoint(const kfk_admin_result *result,
                                                                size_t i, int32_t node_id, size_t k)
{
    const quorum_node *q = quorum_node_at(result, i, node_id);
    return q && k < q->n_endpoints ? &q->endpoints[k] : NULL;
}
