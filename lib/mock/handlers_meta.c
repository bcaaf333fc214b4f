/* ApiVersions and Metadata. */
#include <stdio.h>
#include <string.h>

#include "mock/mock.h"
#include "proto/gen/all.h"

/* KIP-584 features, at Kafka 4.3's levels: metadata.version,
 * transaction.version (KIP-890), finalized at the cluster's level
 * (kfk_mock_set_transaction_version), and share.version (KIP-932: share
 * groups, share.h), finalized at 1 as a new 4.3 cluster does.
 * group.version (KIP-848) belongs here once the mock implements all it
 * promises. */
static const struct {
    const char *name;
    int16_t min_version, max_version, finalized; /* finalized -1: the cluster's */
} features[] = {
    {"metadata.version", 7, 30, 30},
    {"transaction.version", 0, 2, -1},
    {"share.version", 0, 1, 1},
};
#define N_FEATURES ((int32_t)(sizeof(features) / sizeof(features[0])))

/* KIP-511: name and version must look like "[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?". */
static bool software_field_ok(kslice s)
{
    if (!s.ptr || s.len == 0) return false;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        bool inner = c == '-' || c == '.';
        if (!alnum && (!inner || i == 0 || i == s.len - 1)) return false;
    }
    return true;
}

static void add_features(mock_req *req, kp_api_versions_response *resp)
{
    kp_api_versions_response_supported_feature_key *sup =
        karena_alloc(req->arena, N_FEATURES * sizeof(*sup));
    kp_api_versions_response_finalized_feature_key *fin =
        karena_alloc(req->arena, N_FEATURES * sizeof(*fin));
    if (!sup || !fin) return;
    int32_t n_fin = 0;
    for (int32_t i = 0; i < N_FEATURES; i++) {
        sup[i] = (kp_api_versions_response_supported_feature_key){
            kwire_cstr(features[i].name), features[i].min_version, features[i].max_version};
        int16_t level = features[i].finalized >= 0 ? features[i].finalized : req->mc->txn_version;
        if (level == 0) continue; /* Kafka lists no feature finalized at level 0 */
        fin[n_fin++] = (kp_api_versions_response_finalized_feature_key){
            kwire_cstr(features[i].name), level, level};
    }
    resp->supported_features = sup;
    resp->n_supported_features = N_FEATURES;
    resp->finalized_features = fin;
    resp->n_finalized_features = n_fin;
    resp->finalized_features_epoch = req->mc->features_epoch;
}

int mock_handle_api_versions(mock_req *req)
{
    kp_api_versions_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_api_versions_response resp;
    kp_api_versions_response_init(&resp);
    if (req->inject) {
        resp.error_code = (int16_t)req->inject;
        return mock_respond(req, &resp);
    }
    if (req->version >= 3 && (!software_field_ok(r.client_software_name) ||
                              !software_field_ok(r.client_software_version))) {
        resp.error_code = KFK_ERR_INVALID_REQUEST;
        return mock_respond(req, &resp);
    }
    kp_api_versions_response_api_version *keys =
        karena_alloc(req->arena, MOCK_MAX_API * sizeof(*keys));
    if (!keys) return MOCK_CLOSE;
    int32_t n = 0;
    for (int k = 0; k < MOCK_MAX_API; k++)
        if (req->mc->api_max[k] >= 0)
            keys[n++] = (kp_api_versions_response_api_version){(int16_t)k, req->mc->api_min[k],
                                                               req->mc->api_max[k]};
    resp.api_keys = keys;
    resp.n_api_keys = n;
    if (req->version >= 3) add_features(req, &resp);
    return mock_respond(req, &resp);
}

/* --------------------------------------------------------------- Metadata */

typedef kp_metadata_response_topic md_topic;
typedef kp_metadata_response_partition md_part;

static int fill_brokers(mock_req *req, kp_metadata_response *resp)
{
    mock_cluster *mc = req->mc;
    kp_metadata_response_broker *b =
        karena_alloc(req->arena, (size_t)mc->n_brokers * sizeof(*b));
    if (!b) return -1;
    int32_t n = 0;
    for (int i = 0; i < mc->n_brokers; i++) {
        if (mc->brokers[i].down) continue; /* only live brokers are registered */
        kp_metadata_response_broker_init(&b[n]);
        b[n].node_id = mc->brokers[i].id;
        b[n].host = kwire_cstr("127.0.0.1");
        b[n].port = mc->brokers[i].port;
        n++;
    }
    resp->brokers = b;
    resp->n_brokers = n;
    resp->cluster_id = kwire_cstr(mc->cluster_id);
    resp->controller_id = mock_coordinator(mc, 0, kwire_cstr("controller"));
    return 0;
}

static int32_t *live_replicas(mock_req *req, const mock_partition *p, int32_t *n, bool live)
{
    int32_t *out = karena_alloc(req->arena, (size_t)p->n_replicas * sizeof(*out));
    *n = 0;
    if (!out) return NULL;
    for (int32_t i = 0; i < p->n_replicas; i++) {
        mock_broker *b = mock_broker_get(req->mc, p->replicas[i]);
        if ((b && !b->down) == live) out[(*n)++] = p->replicas[i];
    }
    return out;
}

static int fill_partitions(mock_req *req, const mock_topic *t, md_topic *mt)
{
    md_part *parts = karena_alloc(req->arena, (size_t)t->n_parts * sizeof(*parts));
    if (!parts && t->n_parts) return -1;
    for (int32_t i = 0; i < t->n_parts; i++) {
        const mock_partition *p = t->parts[i];
        md_part *mp = &parts[i];
        kp_metadata_response_partition_init(mp);
        mp->partition_index = i;
        mp->leader_id = p->leader;
        mp->leader_epoch = p->leader_epoch;
        mp->error_code = p->leader < 0 ? KFK_ERR_LEADER_NOT_AVAILABLE : 0;
        mp->replica_nodes = (int32_t *)p->replicas;
        mp->n_replica_nodes = p->n_replicas;
        mp->isr_nodes = live_replicas(req, p, &mp->n_isr_nodes, true);
        mp->offline_replicas = live_replicas(req, p, &mp->n_offline_replicas, false);
        if (!mp->isr_nodes || !mp->offline_replicas) return -1;
    }
    mt->partitions = parts;
    mt->n_partitions = t->n_parts;
    return 0;
}

static int fill_topic(mock_req *req, const kp_metadata_request *r, const mock_topic *t,
                      md_topic *mt)
{
    mt->name = kwire_cstr(t->name);
    mt->topic_id = t->id;
    if (r->include_topic_authorized_operations)
        mt->topic_authorized_operations = MOCK_TOPIC_ALL_OPS;
    if (req->inject) {
        mt->error_code = (int16_t)req->inject;
        return 0;
    }
    return fill_partitions(req, t, mt);
}

/* A requested topic: by id (v10+, name null) or by name. */
static int describe_one(mock_req *req, const kp_metadata_request *r,
                        const kp_metadata_request_topic *rt, md_topic *mt)
{
    mock_cluster *mc = req->mc;
    kp_metadata_response_topic_init(mt);
    if (!rt->name.ptr) {
        mock_topic *t = mock_topic_find_id(mc, &rt->topic_id);
        mt->topic_id = rt->topic_id;
        mt->name = (kslice){NULL, 0}; /* Kafka answers an unknown id with a null name */
        if (t) return fill_topic(req, r, t, mt);
        mt->error_code = KFK_ERR_UNKNOWN_TOPIC_ID;
        return 0;
    }
    mt->name = rt->name;
    mock_topic *t = mock_topic_find(mc, rt->name);
    char msg[256];
    if (t) return fill_topic(req, r, t, mt);
    if (mock_topic_name_check(mc, rt->name, msg, sizeof(msg))) {
        mt->error_code = KFK_ERR_INVALID_TOPIC_EXCEPTION;
        return 0;
    }
    bool create = mc->auto_create && (req->version < 4 || r->allow_auto_topic_creation);
    if (create && mock_brokers_up(mc) > 0 &&
        (t = mock_topic_add(mc, rt->name, mc->auto_create_partitions, mock_default_rf(mc), NULL,
                            NULL))) {
        /* Kafka answers LEADER_NOT_AVAILABLE while it creates the topic;
         * the mock's creation is immediate, so it answers with the topic. */
        return fill_topic(req, r, t, mt);
    }
    mt->error_code = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    return 0;
}

int mock_handle_metadata(mock_req *req)
{
    kp_metadata_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_metadata_response resp;
    kp_metadata_response_init(&resp);
    if (fill_brokers(req, &resp)) return MOCK_CLOSE;
    /* v0 has no null: an empty list means every topic there. */
    bool all = r.n_topics < 0 || (req->version == 0 && r.n_topics == 0);
    int32_t n = all ? (int32_t)req->mc->n_topics : r.n_topics;
    md_topic *topics = karena_alloc(req->arena, (size_t)n * sizeof(*topics));
    if (!topics && n) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        int rc;
        if (all) {
            kp_metadata_response_topic_init(&topics[i]);
            rc = fill_topic(req, &r, req->mc->topics[i], &topics[i]);
        } else {
            rc = describe_one(req, &r, &r.topics[i], &topics[i]);
        }
        if (rc) return MOCK_CLOSE;
    }
    resp.topics = topics;
    resp.n_topics = n;
    return mock_respond(req, &resp);
}

int mock_handle_describe_cluster(mock_req *req)
{
    kp_describe_cluster_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_metadata_response md; /* the brokers, as Metadata lists them */
    kp_metadata_response_init(&md);
    if (fill_brokers(req, &md)) return MOCK_CLOSE;
    kp_describe_cluster_response resp;
    kp_describe_cluster_response_init(&resp);
    resp.error_code = (int16_t)req->inject;
    resp.cluster_id = md.cluster_id;
    resp.controller_id = md.controller_id;
    resp.brokers = karena_alloc(req->arena, ((size_t)md.n_brokers + 1) * sizeof(*resp.brokers));
    if (!resp.brokers) return MOCK_CLOSE;
    for (int32_t i = 0; i < md.n_brokers; i++) {
        kp_describe_cluster_response_describe_cluster_broker_init(&resp.brokers[i]);
        resp.brokers[i].broker_id = md.brokers[i].node_id;
        resp.brokers[i].host = md.brokers[i].host;
        resp.brokers[i].port = md.brokers[i].port;
    }
    resp.n_brokers = md.n_brokers;
    if (r.include_cluster_authorized_operations)
        resp.cluster_authorized_operations = MOCK_CLUSTER_ALL_OPS;
    return mock_respond(req, &resp);
}
