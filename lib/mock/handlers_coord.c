/* FindCoordinator: groups (key type 0) and transactional ids (1) map to a
 * broker by a hash of the key over the live brokers, as Kafka maps them to
 * the leader of a __consumer_offsets or __transaction_state partition.
 * v0-3 ask for one key, v4+ (KIP-699) for a batch. Share-group keys (2)
 * are INVALID_REQUEST: the mock has no share groups. */
#include "mock/mock.h"
#include "proto/gen/find_coordinator.h"

typedef struct coord {
    int16_t error;
    int32_t node_id;
    kslice host;
    int32_t port;
} coord;

static coord lookup(mock_req *req, int8_t key_type, kslice key)
{
    coord c = {0, -1, KWIRE_EMPTY, -1};
    if (req->inject) {
        c.error = (int16_t)req->inject;
    } else if (key_type != 0 && key_type != 1) {
        c.error = KFK_ERR_INVALID_REQUEST;
    } else {
        mock_broker *b = mock_broker_get(req->mc, mock_coordinator(req->mc, key_type, key));
        if (!b) {
            c.error = KFK_ERR_COORDINATOR_NOT_AVAILABLE;
        } else {
            c.node_id = b->id;
            c.host = kwire_cstr("127.0.0.1");
            c.port = b->port;
        }
    }
    return c;
}

int mock_handle_find_coordinator(mock_req *req)
{
    kp_find_coordinator_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_find_coordinator_response resp;
    kp_find_coordinator_response_init(&resp);
    int8_t key_type = req->version >= 1 ? r.key_type : 0;
    if (req->version < 4) {
        coord c = lookup(req, key_type, r.key);
        resp.error_code = c.error;
        /* Kafka says "NONE" here on success, the error's text otherwise. */
        resp.error_message = c.error ? (kslice){NULL, 0} : kwire_cstr("NONE");
        resp.node_id = c.node_id;
        resp.host = c.host;
        resp.port = c.port;
        return mock_respond(req, &resp);
    }
    int32_t n = r.n_coordinator_keys > 0 ? r.n_coordinator_keys : 0;
    kp_find_coordinator_response_coordinator *cs =
        karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*cs));
    if (!cs) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        coord c = lookup(req, key_type, r.coordinator_keys[i]);
        kp_find_coordinator_response_coordinator_init(&cs[i]);
        cs[i].key = r.coordinator_keys[i];
        cs[i].error_code = c.error;
        cs[i].error_message = (kslice){NULL, 0};
        cs[i].node_id = c.node_id;
        cs[i].host = c.host;
        cs[i].port = c.port;
    }
    resp.coordinators = cs;
    resp.n_coordinators = n;
    return mock_respond(req, &resp);
}
