/* CreateTopics, DeleteTopics and CreatePartitions, with the validation a
 * KRaft controller applies and the error codes it answers with. Any broker
 * handles them (Kafka forwards them to the controller). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock.h"
#include "proto/gen/all.h"

typedef kp_create_topics_request_creatable_topic ct_topic;
typedef kp_create_topics_response_creatable_topic_result ct_result;

#define NULL_SLICE ((kslice){NULL, 0})

/* How often name occurs in a list of n slices reached through get(i). */
static int count_name(kslice name, const void *base, size_t stride, size_t off, int32_t n)
{
    int c = 0;
    for (int32_t i = 0; i < n; i++) {
        const kslice *s = (const kslice *)((const char *)base + (size_t)i * stride + off);
        c += kwire_eq(*s, name);
    }
    return c;
}

/* Replica lists must name existing brokers, each once. */
static bool replicas_ok(mock_cluster *mc, const int32_t *ids, int32_t n)
{
    if (n <= 0) return false;
    for (int32_t i = 0; i < n; i++) {
        if (!mock_broker_get(mc, ids[i])) return false;
        for (int32_t k = 0; k < i; k++)
            if (ids[k] == ids[i]) return false;
    }
    return true;
}

/* --------------------------------------------------------------- create */

static kfk_err check_assignments(mock_req *req, const ct_topic *t, kslice *msg)
{
    for (int32_t i = 0; i < t->n_assignments; i++) {
        const kp_create_topics_request_creatable_replica_assignment *a = &t->assignments[i];
        if (a->partition_index != i) {
            *msg = mock_msgf(req, "Partitions should be a consecutive 0-based integer sequence");
            return KFK_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        if (!replicas_ok(req->mc, a->broker_ids, a->n_broker_ids)) {
            *msg = mock_msgf(req, "The manual partition assignment includes a broker that is "
                                  "not registered or a duplicate");
            return KFK_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
    }
    return KFK_OK;
}

static kfk_err check_create(mock_req *req, const ct_topic *t, int32_t *n_parts, int32_t *rf,
                            kslice *msg)
{
    mock_cluster *mc = req->mc;
    char buf[256];
    kfk_err err = mock_topic_name_check(mc, t->name, buf, sizeof(buf));
    if (err) {
        *msg = mock_msgf(req, "%s", buf);
        return err;
    }
    if (mock_topic_find(mc, t->name)) {
        *msg = mock_msgf(req, "Topic '%.*s' already exists.", (int)t->name.len, t->name.ptr);
        return KFK_ERR_TOPIC_ALREADY_EXISTS;
    }
    for (int32_t i = 0; i < t->n_configs; i++) {
        err = mock_topic_config_check(req, t->configs[i].name, t->configs[i].value, msg);
        if (err) return err;
    }
    if (t->n_assignments > 0) {
        if (t->num_partitions != -1 || t->replication_factor != -1) {
            *msg = mock_msgf(req, "A manual partition assignment was specified, but "
                                  "numPartitions or replicationFactor was not set to -1.");
            return KFK_ERR_INVALID_REQUEST;
        }
        *n_parts = t->n_assignments;
        *rf = t->assignments[0].n_broker_ids;
        return check_assignments(req, t, msg);
    }
    *n_parts = t->num_partitions == -1 ? 1 : t->num_partitions;
    *rf = t->replication_factor == -1 ? mock_default_rf(mc) : t->replication_factor;
    if (*n_parts <= 0) {
        *msg = mock_msgf(req, "Number of partitions was set to an invalid non-positive value.");
        return KFK_ERR_INVALID_PARTITIONS;
    }
    if (*rf <= 0) {
        *msg = mock_msgf(req, "Replication factor must be larger than 0, or -1 to use the "
                              "default value.");
        return KFK_ERR_INVALID_REPLICATION_FACTOR;
    }
    int32_t up = mock_brokers_up(mc);
    if (*rf > up) {
        *msg = mock_msgf(req,
                         "Unable to replicate the partition %d time(s): The target "
                         "replication factor of %d cannot be reached because only %d "
                         "broker(s) are registered.",
                         *rf, *rf, up);
        return KFK_ERR_INVALID_REPLICATION_FACTOR;
    }
    return KFK_OK;
}

static kfk_err store_configs(mock_topic *t, const ct_topic *ct)
{
    if (ct->n_configs <= 0) return KFK_OK;
    t->configs = calloc((size_t)ct->n_configs, sizeof(*t->configs));
    if (!t->configs) return KFK_ERR_NO_MEMORY;
    for (int32_t i = 0; i < ct->n_configs; i++) {
        const kp_create_topics_request_creatable_topic_config *c = &ct->configs[i];
        mock_config *mcfg = &t->configs[t->n_configs++];
        mcfg->name = strndup((const char *)c->name.ptr, c->name.len);
        mcfg->value = c->value.ptr ? strndup((const char *)c->value.ptr, c->value.len) : NULL;
        if (!mcfg->name || (c->value.ptr && !mcfg->value)) return KFK_ERR_NO_MEMORY;
    }
    return KFK_OK;
}

/* The configs a created topic reports (v5+): those set at creation. */
static void report_configs(mock_req *req, const ct_topic *ct, ct_result *res)
{
    kp_create_topics_response_creatable_topic_configs *cfg =
        karena_alloc(req->arena, (size_t)(ct->n_configs > 0 ? ct->n_configs : 0) * sizeof(*cfg));
    if (!cfg) return;
    for (int32_t i = 0; i < ct->n_configs; i++) {
        kp_create_topics_response_creatable_topic_configs_init(&cfg[i]);
        cfg[i].name = ct->configs[i].name;
        cfg[i].value = ct->configs[i].value;
        cfg[i].config_source = 1; /* DYNAMIC_TOPIC_CONFIG */
    }
    res->configs = cfg;
    res->n_configs = ct->n_configs > 0 ? ct->n_configs : 0;
}

static void create_one(mock_req *req, const kp_create_topics_request *r, const ct_topic *ct,
                       ct_result *res)
{
    kp_create_topics_response_creatable_topic_result_init(res);
    res->name = ct->name;
    res->error_message = NULL_SLICE;
    int32_t n_parts = 0, rf = 0;
    kfk_err err = req->inject;
    if (!err &&
        count_name(ct->name, r->topics, sizeof(*ct), offsetof(ct_topic, name), r->n_topics) > 1) {
        err = KFK_ERR_INVALID_REQUEST;
        res->error_message = mock_msgf(req, "Found multiple entries for topic %.*s.",
                                       (int)ct->name.len, ct->name.ptr);
    }
    if (!err) err = check_create(req, ct, &n_parts, &rf, &res->error_message);
    if (err) {
        res->error_code = (int16_t)err;
        return;
    }
    res->num_partitions = n_parts;
    res->replication_factor = (int16_t)rf;
    report_configs(req, ct, res);
    if (r->validate_only) { /* Kafka names an id even for a dry run */
        mock_random(res->topic_id.b, 16);
        return;
    }
    const int32_t **assigned = NULL;
    int32_t *n_assigned = NULL;
    if (ct->n_assignments > 0) {
        assigned = karena_alloc(req->arena, (size_t)n_parts * sizeof(*assigned));
        n_assigned = karena_alloc(req->arena, (size_t)n_parts * sizeof(*n_assigned));
        if (!assigned || !n_assigned) err = KFK_ERR_NO_MEMORY;
        for (int32_t i = 0; !err && i < n_parts; i++) {
            assigned[i] = ct->assignments[i].broker_ids;
            n_assigned[i] = ct->assignments[i].n_broker_ids;
        }
    }
    mock_topic *t = err ? NULL
                        : mock_topic_add(req->mc, ct->name, n_parts, rf,
                                         (const int32_t *const *)assigned, n_assigned);
    if (t && store_configs(t, ct)) {
        mock_topic_remove(req->mc, t);
        t = NULL;
    }
    if (!t) {
        res->error_code = KFK_ERR_UNKNOWN_SERVER_ERROR;
        return;
    }
    res->topic_id = t->id;
}

int mock_handle_create_topics(mock_req *req)
{
    kp_create_topics_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_create_topics_response resp;
    kp_create_topics_response_init(&resp);
    int32_t n = r.n_topics > 0 ? r.n_topics : 0;
    ct_result *res = karena_alloc(req->arena, (size_t)n * sizeof(*res));
    if (!res) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++)
        create_one(req, &r, &r.topics[i], &res[i]);
    resp.topics = res;
    resp.n_topics = n;
    return mock_respond(req, &resp);
}

/* --------------------------------------------------------------- delete */

typedef kp_delete_topics_response_deletable_topic_result dt_result;

static void delete_one(mock_req *req, kslice name, const kuuid *id, int dups, dt_result *res)
{
    kp_delete_topics_response_deletable_topic_result_init(res);
    res->name = name;
    res->error_message = NULL_SLICE;
    if (id) res->topic_id = *id;
    mock_topic *t = name.ptr ? mock_topic_find(req->mc, name) : mock_topic_find_id(req->mc, id);
    if (req->inject) {
        res->error_code = (int16_t)req->inject;
    } else if (dups > 1) {
        res->error_code = KFK_ERR_INVALID_REQUEST;
        res->error_message = mock_msgf(req, "Duplicate topic in request.");
    } else if (!t) {
        res->error_code = name.ptr ? KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION : KFK_ERR_UNKNOWN_TOPIC_ID;
    } else {
        res->topic_id = t->id;
        if (!name.ptr) res->name = mock_msgf(req, "%s", t->name);
        mock_topic_remove(req->mc, t);
    }
}

int mock_handle_delete_topics(mock_req *req)
{
    kp_delete_topics_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    bool by_state = req->version >= 6;
    int32_t n = by_state ? r.n_topics : r.n_topic_names;
    if (n < 0) n = 0;
    dt_result *res = karena_alloc(req->arena, (size_t)n * sizeof(*res));
    if (!res) return MOCK_CLOSE;
    /* Duplicates are counted before anything is deleted. */
    int *dups = karena_alloc(req->arena, (size_t)n * sizeof(*dups));
    if (!dups) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        kslice name = by_state ? r.topics[i].name : r.topic_names[i];
        dups[i] = 0;
        for (int32_t k = 0; k < n; k++) {
            kslice other = by_state ? r.topics[k].name : r.topic_names[k];
            if (name.ptr
                    ? kwire_eq(name, other)
                    : !other.ptr && !memcmp(r.topics[k].topic_id.b, r.topics[i].topic_id.b, 16))
                dups[i]++;
        }
    }
    for (int32_t i = 0; i < n; i++) {
        if (by_state)
            delete_one(req, r.topics[i].name, &r.topics[i].topic_id, dups[i], &res[i]);
        else
            delete_one(req, r.topic_names[i], NULL, dups[i], &res[i]);
    }
    kp_delete_topics_response resp;
    kp_delete_topics_response_init(&resp);
    resp.responses = res;
    resp.n_responses = n;
    return mock_respond(req, &resp);
}

/* ---------------------------------------------------- create partitions */

typedef kp_create_partitions_request_create_partitions_topic cp_topic;
typedef kp_create_partitions_response_create_partitions_topic_result cp_result;

static kfk_err check_grow(mock_req *req, const cp_topic *ct, mock_topic *t, kslice *msg)
{
    if (!t) return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (ct->count < t->n_parts) {
        *msg = mock_msgf(req,
                         "The topic %s currently has %d partition(s); %d would not be an "
                         "increase.",
                         t->name, t->n_parts, ct->count);
        return KFK_ERR_INVALID_PARTITIONS;
    }
    if (ct->count == t->n_parts) {
        *msg = mock_msgf(req, "Topic already has %d partition(s).", t->n_parts);
        return KFK_ERR_INVALID_PARTITIONS;
    }
    if (ct->n_assignments >= 0 && ct->assignments) {
        if (ct->n_assignments != ct->count - t->n_parts) {
            *msg = mock_msgf(req,
                             "Attempted to add %d additional partition(s), but only %d "
                             "assignment(s) were specified.",
                             ct->count - t->n_parts, ct->n_assignments);
            return KFK_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        for (int32_t i = 0; i < ct->n_assignments; i++)
            if (!replicas_ok(req->mc, ct->assignments[i].broker_ids,
                             ct->assignments[i].n_broker_ids)) {
                *msg = mock_msgf(req, "The manual partition assignment includes a broker "
                                      "that is not registered or a duplicate");
                return KFK_ERR_INVALID_REPLICA_ASSIGNMENT;
            }
    }
    return KFK_OK;
}

static kfk_err grow(mock_req *req, const cp_topic *ct, mock_topic *t)
{
    int32_t n = ct->assignments ? ct->n_assignments : 0;
    const int32_t **assigned = NULL;
    int32_t *n_assigned = NULL;
    if (n > 0) {
        assigned = karena_alloc(req->arena, (size_t)n * sizeof(*assigned));
        n_assigned = karena_alloc(req->arena, (size_t)n * sizeof(*n_assigned));
        if (!assigned || !n_assigned) return KFK_ERR_NO_MEMORY;
        for (int32_t i = 0; i < n; i++) {
            assigned[i] = ct->assignments[i].broker_ids;
            n_assigned[i] = ct->assignments[i].n_broker_ids;
        }
    }
    return mock_topic_grow(req->mc, t, ct->count, n > 0 ? (const int32_t *const *)assigned : NULL,
                           n_assigned);
}

int mock_handle_create_partitions(mock_req *req)
{
    kp_create_partitions_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    int32_t n = r.n_topics > 0 ? r.n_topics : 0;
    cp_result *res = karena_alloc(req->arena, (size_t)n * sizeof(*res));
    if (!res) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        const cp_topic *ct = &r.topics[i];
        kp_create_partitions_response_create_partitions_topic_result_init(&res[i]);
        res[i].name = ct->name;
        res[i].error_message = NULL_SLICE;
        mock_topic *t = mock_topic_find(req->mc, ct->name);
        kfk_err err = req->inject;
        if (!err && count_name(ct->name, r.topics, sizeof(*ct), offsetof(cp_topic, name), n) > 1)
            err = KFK_ERR_INVALID_REQUEST;
        if (!err) err = check_grow(req, ct, t, &res[i].error_message);
        if (!err && !r.validate_only) err = grow(req, ct, t);
        res[i].error_code = (int16_t)err;
    }
    kp_create_partitions_response resp;
    kp_create_partitions_response_init(&resp);
    resp.results = res;
    resp.n_results = n;
    return mock_respond(req, &resp);
}
