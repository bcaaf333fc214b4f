/* Routing one request frame to its handler: the request header, the
 * versions the cluster serves, SASL's gate, request counts, injected
 * errors, and encoding the handler's response. Loop thread, mc->lock
 * held. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "mock/mock.h"
#include "mock/share.h"
#include "proto/api.h"
#include "proto/gen/all.h"

static const struct {
    int16_t key;
    mock_handler *fn;
} handlers[] = {
    {KP_PRODUCE_KEY, mock_handle_produce},
    {KP_FETCH_KEY, mock_handle_fetch},
    {KP_LIST_OFFSETS_KEY, mock_handle_list_offsets},
    {KP_DELETE_RECORDS_KEY, mock_handle_delete_records},
    {KP_METADATA_KEY, mock_handle_metadata},
    {KP_FIND_COORDINATOR_KEY, mock_handle_find_coordinator},
    {KP_API_VERSIONS_KEY, mock_handle_api_versions},
    {KP_CREATE_TOPICS_KEY, mock_handle_create_topics},
    {KP_DELETE_TOPICS_KEY, mock_handle_delete_topics},
    {KP_INIT_PRODUCER_ID_KEY, mock_handle_init_producer_id},
    {KP_CREATE_PARTITIONS_KEY, mock_handle_create_partitions},
    {KP_ELECT_LEADERS_KEY, mock_handle_elect_leaders},
    {KP_LIST_PARTITION_REASSIGNMENTS_KEY, mock_handle_list_partition_reassignments},
    {KP_JOIN_GROUP_KEY, mock_handle_join_group},
    {KP_SYNC_GROUP_KEY, mock_handle_sync_group},
    {KP_HEARTBEAT_KEY, mock_handle_heartbeat},
    {KP_LEAVE_GROUP_KEY, mock_handle_leave_group},
    {KP_DESCRIBE_GROUPS_KEY, mock_handle_describe_groups},
    {KP_LIST_GROUPS_KEY, mock_handle_list_groups},
    {KP_OFFSET_COMMIT_KEY, mock_handle_offset_commit},
    {KP_OFFSET_FETCH_KEY, mock_handle_offset_fetch},
    {KP_CONSUMER_GROUP_HEARTBEAT_KEY, mock_handle_consumer_group_heartbeat},
    {KP_CONSUMER_GROUP_DESCRIBE_KEY, mock_handle_consumer_group_describe},
    {KP_DELETE_GROUPS_KEY, mock_handle_delete_groups},
    {KP_SHARE_GROUP_HEARTBEAT_KEY, mock_handle_share_group_heartbeat},
    {KP_SHARE_GROUP_DESCRIBE_KEY, mock_handle_share_group_describe},
    {KP_SHARE_FETCH_KEY, mock_handle_share_fetch},
    {KP_SHARE_ACKNOWLEDGE_KEY, mock_handle_share_acknowledge},
    {KP_DESCRIBE_SHARE_GROUP_OFFSETS_KEY, mock_handle_describe_share_group_offsets},
    {KP_ALTER_SHARE_GROUP_OFFSETS_KEY, mock_handle_alter_share_group_offsets},
    {KP_DELETE_SHARE_GROUP_OFFSETS_KEY, mock_handle_delete_share_group_offsets},
    {KP_OFFSET_DELETE_KEY, mock_handle_offset_delete},
    {KP_ADD_PARTITIONS_TO_TXN_KEY, mock_handle_add_partitions_to_txn},
    {KP_ADD_OFFSETS_TO_TXN_KEY, mock_handle_add_offsets_to_txn},
    {KP_END_TXN_KEY, mock_handle_end_txn},
    {KP_TXN_OFFSET_COMMIT_KEY, mock_handle_txn_offset_commit},
    {KP_DESCRIBE_TRANSACTIONS_KEY, mock_handle_describe_transactions},
    {KP_LIST_TRANSACTIONS_KEY, mock_handle_list_transactions},
    {KP_DESCRIBE_TOPIC_PARTITIONS_KEY, mock_handle_describe_topic_partitions},
    {KP_DESCRIBE_CLUSTER_KEY, mock_handle_describe_cluster},
    {KP_UPDATE_FEATURES_KEY, mock_handle_update_features},
    {KP_DESCRIBE_QUORUM_KEY, mock_handle_describe_quorum},
    {KP_DESCRIBE_PRODUCERS_KEY, mock_handle_describe_producers},
    {KP_WRITE_TXN_MARKERS_KEY, mock_handle_write_txn_markers},
    {KP_DESCRIBE_CONFIGS_KEY, mock_handle_describe_configs},
    {KP_ALTER_CONFIGS_KEY, mock_handle_alter_configs},
    {KP_INCREMENTAL_ALTER_CONFIGS_KEY, mock_handle_incremental_alter_configs},
    {KP_LIST_CONFIG_RESOURCES_KEY, mock_handle_list_config_resources},
    {KP_CREATE_ACLS_KEY, mock_handle_create_acls},
    {KP_DESCRIBE_ACLS_KEY, mock_handle_describe_acls},
    {KP_DELETE_ACLS_KEY, mock_handle_delete_acls},
    {KP_SASL_HANDSHAKE_KEY, mock_handle_sasl_handshake},
    {KP_SASL_AUTHENTICATE_KEY, mock_handle_sasl_authenticate},
};

mock_handler *mock_handler_for(int16_t key)
{
    for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
        if (handlers[i].key == key) return handlers[i].fn;
    return NULL;
}

void mock_api_init(mock_cluster *mc)
{
    for (int k = 0; k < MOCK_MAX_API; k++) {
        const kproto_api *api = mock_handler_for((int16_t)k) ? kproto_api_get((int16_t)k) : NULL;
        mc->api_min[k] = api ? api->min_version : 0;
        /* Like a broker without unstable.api.versions.enable. */
        mc->api_max[k] = api ? api->max_stable_version : -1;
    }
    /* Only SASL listeners speak SASL. */
    if (!mc->sec.sasl)
        mc->api_max[KP_SASL_HANDSHAKE_KEY] = mc->api_max[KP_SASL_AUTHENTICATE_KEY] = -1;
}

static bool served(const mock_cluster *mc, int16_t key, int16_t version)
{
    return key >= 0 && key < MOCK_MAX_API && mc->api_max[key] >= 0 && version >= mc->api_min[key] &&
           version <= mc->api_max[key];
}

kfk_err mock_errq_pop(mock_cluster *mc, int32_t broker_id, int16_t key)
{
    /* A broker's own pushes go first, then cluster-wide ones, each FIFO. */
    for (int pass = 0; pass < 2; pass++) {
        int32_t want = pass == 0 ? broker_id : 0;
        for (size_t i = 0; i < mc->n_errq; i++) {
            mock_errq_item *it = &mc->errq[i];
            if (it->api_key != key || it->broker_id != want) continue;
            kfk_err err = it->err;
            if (--it->left == 0) {
                memmove(it, it + 1, (mc->n_errq - i - 1) * sizeof(*it));
                mc->n_errq--;
            }
            return err;
        }
    }
    return KFK_OK;
}

int mock_decode(mock_req *req, void *m)
{
    int rc = kproto_request_decode(req->key, req->version, m, &req->body, req->arena);
    return rc ? MOCK_CLOSE : MOCK_DONE;
}

/* kfk_mock_broker_set_throttle: the answer, with the broker's throttle. */
static const void *throttled(mock_req *req, const void *resp)
{
    const kproto_api *api = kproto_api_get(req->key);
    int32_t ms = req->broker->throttle_ms;
    if (!ms || !api || api->throttle_offset < 0) return resp;
    void *copy = karena_alloc(req->arena, api->response_size);
    if (!copy) return resp;
    memcpy(copy, resp, api->response_size);
    memcpy((char *)copy + api->throttle_offset, &ms, sizeof(ms));
    return copy;
}

kslice mock_msgf(mock_req *req, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) return (kslice){0};
    size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
    char *p = karena_alloc(req->arena, len);
    if (!p) return (kslice){0};
    memcpy(p, buf, len);
    return (kslice){(const uint8_t *)p, len};
}

int mock_respond(mock_req *req, const void *resp)
{
    resp = throttled(req, resp);
    mock_out *o = mock_out_new(req);
    if (!o) return MOCK_CLOSE;
    if (kproto_write_response(&o->head, req->key, req->version, req->correlation_id, resp)) {
        mock_out_free(o);
        return MOCK_CLOSE;
    }
    mock_conn_send(req->conn, o);
    return MOCK_DONE;
}

/* KIP-511: an ApiVersions version the broker does not know still gets an
 * answer, in v0, naming the versions it does. */
static int api_versions_unsupported(mock_req *req)
{
    kp_api_versions_response resp;
    kp_api_versions_response_init(&resp);
    kp_api_versions_response_api_version av = {KP_API_VERSIONS_KEY,
                                               req->mc->api_min[KP_API_VERSIONS_KEY],
                                               req->mc->api_max[KP_API_VERSIONS_KEY]};
    resp.error_code = KFK_ERR_UNSUPPORTED_VERSION;
    resp.api_keys = &av;
    resp.n_api_keys = 1;
    req->version = 0;
    return mock_respond(req, &resp);
}

static void count(mock_cluster *mc, mock_broker *b, int16_t key)
{
    (void)mc;
    if (key >= 0 && key < MOCK_MAX_API) b->requests[key]++;
}

int mock_dispatch(mock_conn *c, const uint8_t *frame, size_t len)
{
    mock_broker *b = mock_conn_broker(c);
    mock_session *s = mock_conn_session(c);
    if (s->legacy && s->sasl_state == MOCK_SASL_AUTHENTICATE)
        return mock_sasl_legacy_token(c, frame, len);
    mock_req req = {.mc = b->mc, .broker = b, .conn = c, .arena = mock_conn_arena(c)};
    req.recv_ns = ktime_mono_ns();
    kreader r = kreader_of(frame, len);
    if (len < 8) return MOCK_CLOSE;
    req.key = (int16_t)(frame[0] << 8 | frame[1]);
    req.version = (int16_t)(frame[2] << 8 | frame[3]);
    req.correlation_id = (int32_t)((uint32_t)frame[4] << 24 | (uint32_t)frame[5] << 16 |
                                   (uint32_t)frame[6] << 8 | frame[7]);
    count(req.mc, b, req.key);
    /* Kafka closes a connection that sends anything else before it has
     * authenticated, or after its session expired (KIP-368). */
    if (req.mc->sec.sasl && !mock_sasl_permits(s, req.key, req.recv_ns)) return MOCK_CLOSE;
    if (req.key == KP_API_VERSIONS_KEY && !served(req.mc, req.key, req.version) &&
        req.version > req.mc->api_max[req.key])
        return api_versions_unsupported(&req);
    /* Kafka closes the connection for an API or version it does not serve. */
    if (!served(req.mc, req.key, req.version)) return MOCK_CLOSE;
    kp_request_header h;
    if (kproto_read_request_header(&r, &h)) return MOCK_CLOSE;
    req.client_id = h.client_id;
    req.body = r;
    req.inject = mock_errq_pop(req.mc, b->id, req.key);
    if (req.inject == KFK_ERR_TRANSPORT) return MOCK_CLOSE;
    if (req.inject == KFK_ERR_TIMED_OUT) return MOCK_DONE; /* swallowed */
    return mock_handler_for(req.key)(&req);
}
