/* Coordinator lookups for wire-level tests: see kcoord.h. */
#include "kcoord.h"

#include <check.h>
#include <string.h>
#include <unistd.h>

#include "kwire_client.h"

#define TIMEOUT_MS 30000

int16_t kcoord_find(const char *bootstrap, int8_t key_type, const char *key, int32_t *node,
                    int32_t *port)
{
    mt_conn b = {0};
    b.fd = kwire_connect(bootstrap ? bootstrap : ktest_bootstrap(), TIMEOUT_MS);
    if (b.fd < 0) return KFK_ERR_TRANSPORT;
    kp_find_coordinator_request req;
    kp_find_coordinator_request_init(&req);
    kslice k = kwire_cstr(key);
    req.key_type = key_type;
    kp_find_coordinator_response resp;
    int16_t err = KFK_ERR_TRANSPORT;
    int16_t v = mt_api_version(&b, KP_FIND_COORDINATOR_KEY, 4);
    if (v >= 4) { /* batched from v4 (Kafka 3.0); one key before */
        req.coordinator_keys = &k;
        req.n_coordinator_keys = 1;
    } else {
        req.key = k;
    }
    if (v >= 1 && mt_try_call(&b, KP_FIND_COORDINATOR_KEY, v, &req, &resp) == 0) {
        if (v >= 4 && resp.n_coordinators == 1) {
            err = resp.coordinators[0].error_code;
            if (!err && node) *node = resp.coordinators[0].node_id;
            if (!err && port) *port = resp.coordinators[0].port;
        } else if (v < 4) {
            err = resp.error_code;
            if (!err && node) *node = resp.node_id;
            if (!err && port) *port = resp.port;
        }
    }
    mt_close(&b); /* resp lives in b's arena: read above */
    return err;
}

void kcoord_open(mt_conn *c, const char *bootstrap, int8_t key_type, const char *key, int32_t *node)
{
    memset(c, 0, sizeof(*c));
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    for (;;) {
        int32_t port;
        int16_t err = kcoord_find(bootstrap, key_type, key, node, &port);
        if (!err) {
            c->fd = mt_dial(port);
            ck_assert_int_ge(c->fd, 0);
            return;
        }
        ck_assert_msg(err == KFK_ERR_COORDINATOR_NOT_AVAILABLE, "FindCoordinator %s: %s", key,
                      kfk_err_name(err));
        ck_assert_int_lt(mt_now_ms(), deadline);
        usleep(100 * 1000);
    }
}
