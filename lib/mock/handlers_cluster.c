/* The cluster-level APIs of a KRaft controller, as the mock plays one:
 *  - UpdateFeatures changes transaction.version within its supported
 *    range, in either direction (the mock keeps no metadata a downgrade
 *    would lose); any other feature, or a level out of range, is
 *    INVALID_UPDATE_VERSION with a message naming it. v0-1 answer per
 *    feature; v2 answers once, for all, as Kafka does. Nothing changes
 *    unless every update is valid, nor with validate_only;
 *  - DescribeQuorum: the controller is the single voter and leader of
 *    __cluster_metadata (epoch 1); the other live brokers observe.
 * Loop thread, mc->lock held. */
#include <stdio.h>
#include <string.h>

#include "mock/mock.h"
#include "proto/gen/all.h"

static int16_t check_update(const kp_update_features_request_feature_update_key *u, char *msg,
                            size_t len)
{
    static const char txn[] = "transaction.version";
    if (u->feature.len != sizeof(txn) - 1 || memcmp(u->feature.ptr, txn, u->feature.len) != 0) {
        snprintf(msg, len, "the mock cannot change feature %.*s", (int)u->feature.len,
                 (const char *)u->feature.ptr);
        return KFK_ERR_INVALID_UPDATE_VERSION;
    }
    if (u->max_version_level < 0 || u->max_version_level > 2) {
        snprintf(msg, len, "transaction.version supports levels 0 to 2, not %d",
                 u->max_version_level);
        return KFK_ERR_INVALID_UPDATE_VERSION;
    }
    return 0;
}

int mock_handle_update_features(mock_req *req)
{
    kp_update_features_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_update_features_response resp;
    kp_update_features_response_init(&resp);
    resp.results =
        karena_alloc(req->arena, ((size_t)r.n_feature_updates + 1) * sizeof(*resp.results));
    char *msgs = karena_alloc(req->arena, ((size_t)r.n_feature_updates + 1) * 128);
    if (!resp.results || !msgs) return MOCK_CLOSE;
    int16_t first = (int16_t)req->inject;
    int32_t first_i = -1;
    for (int32_t i = 0; i < r.n_feature_updates; i++) {
        kp_update_features_response_updatable_feature_result *res = &resp.results[i];
        kp_update_features_response_updatable_feature_result_init(res);
        res->feature = r.feature_updates[i].feature;
        char *m = msgs + (size_t)i * 128;
        res->error_code =
            req->inject ? (int16_t)req->inject : check_update(&r.feature_updates[i], m, 128);
        if (res->error_code && !req->inject) res->error_message = kwire_cstr(m);
        if (res->error_code && first_i < 0) {
            first = res->error_code;
            first_i = i;
        }
    }
    resp.n_results = r.n_feature_updates;
    if (req->version >= 2 && first) { /* one answer for all */
        resp.error_code = first;
        if (first_i >= 0) resp.error_message = resp.results[first_i].error_message;
    }
    for (int32_t i = 0; !first && !r.validate_only && i < r.n_feature_updates; i++) {
        mock_cluster *mc = req->mc; /* as kfk_mock_set_transaction_version, lock held */
        if (mc->txn_version != r.feature_updates[i].max_version_level) mc->features_epoch++;
        mc->txn_version = r.feature_updates[i].max_version_level;
    }
    return mock_respond(req, &resp);
}

static kp_describe_quorum_response_replica_state replica(int32_t id)
{
    kp_describe_quorum_response_replica_state s;
    kp_describe_quorum_response_replica_state_init(&s);
    s.replica_id = id;
    s.log_end_offset = 0;
    return s;
}

int mock_handle_describe_quorum(mock_req *req)
{
    kp_describe_quorum_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    mock_cluster *mc = req->mc;
    kp_describe_quorum_response resp;
    kp_describe_quorum_response_init(&resp);
    kp_describe_quorum_response_topic_data *td = karena_alloc(req->arena, sizeof(*td));
    kp_describe_quorum_response_partition_data *pd = karena_alloc(req->arena, sizeof(*pd));
    kp_describe_quorum_response_replica_state *voters = karena_alloc(req->arena, sizeof(*voters));
    kp_describe_quorum_response_replica_state *obs =
        karena_alloc(req->arena, ((size_t)mc->n_brokers + 1) * sizeof(*obs));
    if (!td || !pd || !voters || !obs) return MOCK_CLOSE;
    resp.error_code = (int16_t)req->inject;
    kp_describe_quorum_response_topic_data_init(td);
    td->topic_name = kwire_cstr("__cluster_metadata");
    kp_describe_quorum_response_partition_data_init(pd);
    int32_t controller = mock_coordinator(mc, 0, kwire_cstr("controller"));
    pd->leader_id = controller;
    pd->leader_epoch = 1;
    pd->high_watermark = 0;
    voters[0] = replica(controller);
    pd->current_voters = voters;
    pd->n_current_voters = 1;
    for (int i = 0; i < mc->n_brokers; i++)
        if (!mc->brokers[i].down && mc->brokers[i].id != controller)
            obs[pd->n_observers++] = replica(mc->brokers[i].id);
    pd->observers = obs;
    td->partitions = pd;
    td->n_partitions = 1;
    resp.topics = td;
    resp.n_topics = 1;
    return mock_respond(req, &resp);
}
