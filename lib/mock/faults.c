/* The public control functions for faults and settings: pushed errors,
 * latency, dropped connections, brokers going down, served versions,
 * request counts. Each takes mc->lock for its change; those that touch
 * sockets then wait for the loop (mock_loop_sync). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock.h"
#include "proto/api.h"
#include "proto/gen/api_versions.h"

static kfk_err push(mock_cluster *mc, int32_t broker_id, int16_t api_key, size_t n, kfk_err err)
{
    if (!mc || n == 0 || n > INT_MAX || !mock_handler_for(api_key)) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    kfk_err rc = KFK_OK;
    if (broker_id && !mock_broker_get(mc, broker_id)) {
        rc = KFK_ERR_INVALID_ARG;
    } else if (mc->n_errq == mc->cap_errq) {
        size_t cap = mc->cap_errq ? mc->cap_errq * 2 : 16;
        mock_errq_item *q = realloc(mc->errq, cap * sizeof(*q));
        if (q) {
            mc->errq = q;
            mc->cap_errq = cap;
        } else {
            rc = KFK_ERR_NO_MEMORY;
        }
    }
    if (!rc) mc->errq[mc->n_errq++] = (mock_errq_item){broker_id, api_key, err, (int)n};
    pthread_mutex_unlock(&mc->lock);
    return rc;
}

kfk_err kfk_mock_push_errors(kfk_mock_cluster *mc, int16_t api_key, size_t n, kfk_err err)
{
    return push(mc, 0, api_key, n, err);
}

kfk_err kfk_mock_broker_push_errors(kfk_mock_cluster *mc, int32_t broker_id, int16_t api_key,
                                    size_t n, kfk_err err)
{
    if (broker_id <= 0) return KFK_ERR_INVALID_ARG;
    return push(mc, broker_id, api_key, n, err);
}

void kfk_mock_clear_errors(kfk_mock_cluster *mc)
{
    if (!mc) return;
    pthread_mutex_lock(&mc->lock);
    mc->n_errq = 0;
    pthread_mutex_unlock(&mc->lock);
}

kfk_err kfk_mock_broker_set_rtt(kfk_mock_cluster *mc, int32_t broker_id, int rtt_ms)
{
    if (!mc || rtt_ms < 0) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mock_broker *b = mock_broker_get(mc, broker_id);
    if (b) b->rtt_ms = rtt_ms;
    pthread_mutex_unlock(&mc->lock);
    return b ? KFK_OK : KFK_ERR_INVALID_ARG;
}

kfk_err kfk_mock_broker_set_throttle(kfk_mock_cluster *mc, int32_t broker_id, int throttle_ms)
{
    if (!mc || throttle_ms < 0) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mock_broker *b = mock_broker_get(mc, broker_id);
    if (b) b->throttle_ms = throttle_ms;
    pthread_mutex_unlock(&mc->lock);
    return b ? KFK_OK : KFK_ERR_INVALID_ARG;
}

kfk_err kfk_mock_broker_drop_connections(kfk_mock_cluster *mc, int32_t broker_id)
{
    if (!mc) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mock_broker *b = mock_broker_get(mc, broker_id);
    if (b) {
        b->drop_pending = true;
        mock_loop_sync(mc);
    }
    pthread_mutex_unlock(&mc->lock);
    return b ? KFK_OK : KFK_ERR_INVALID_ARG;
}

kfk_err kfk_mock_broker_set_down(kfk_mock_cluster *mc, int32_t broker_id, bool down)
{
    if (!mc) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mock_broker *b = mock_broker_get(mc, broker_id);
    kfk_err rc = b ? KFK_OK : KFK_ERR_INVALID_ARG;
    if (b && b->down != down) {
        rc = mock_broker_listen(b, !down);
        if (!rc) {
            b->down = down;
            mock_topics_failover(mc, broker_id);
            mock_loop_sync(mc); /* closes its connections, wakes fetches */
        }
    }
    pthread_mutex_unlock(&mc->lock);
    return rc;
}

kfk_err kfk_mock_set_api_version_range(kfk_mock_cluster *mc, int16_t api_key, int16_t min_version,
                                       int16_t max_version)
{
    const kproto_api *api = kproto_api_get(api_key);
    if (!mc || !api || !mock_handler_for(api_key)) return KFK_ERR_INVALID_ARG;
    bool off = max_version < 0;
    if (off && api_key == KP_API_VERSIONS_KEY) return KFK_ERR_INVALID_ARG;
    int16_t lo = min_version > api->min_version ? min_version : api->min_version;
    int16_t hi = max_version < api->max_stable_version ? max_version : api->max_stable_version;
    if (!off && lo > hi) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->api_min[api_key] = off ? 0 : lo;
    mc->api_max[api_key] = off ? -1 : hi;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}

static int64_t broker_count(const mock_broker *b, int16_t api_key)
{
    if (api_key >= 0) return b->requests[api_key];
    int64_t n = 0;
    for (int k = 0; k < MOCK_MAX_API; k++)
        n += b->requests[k];
    return n;
}

int64_t kfk_mock_request_count(kfk_mock_cluster *mc, int16_t api_key)
{
    if (!mc || api_key < -1 || api_key >= MOCK_MAX_API) return -1;
    int64_t n = 0;
    pthread_mutex_lock(&mc->lock);
    for (int i = 0; i < mc->n_brokers; i++)
        n += broker_count(&mc->brokers[i], api_key);
    pthread_mutex_unlock(&mc->lock);
    return n;
}

int64_t kfk_mock_broker_request_count(kfk_mock_cluster *mc, int32_t broker_id, int16_t api_key)
{
    if (!mc || api_key < -1 || api_key >= MOCK_MAX_API) return -1;
    pthread_mutex_lock(&mc->lock);
    mock_broker *b = mock_broker_get(mc, broker_id);
    int64_t n = b ? broker_count(b, api_key) : -1;
    pthread_mutex_unlock(&mc->lock);
    return n;
}

void kfk_mock_reset_request_counts(kfk_mock_cluster *mc)
{
    if (!mc) return;
    pthread_mutex_lock(&mc->lock);
    for (int i = 0; i < mc->n_brokers; i++)
        memset(mc->brokers[i].requests, 0, sizeof(mc->brokers[i].requests));
    pthread_mutex_unlock(&mc->lock);
}

kfk_err kfk_mock_set_retention_bytes(kfk_mock_cluster *mc, size_t bytes)
{
    if (!mc || !bytes) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->retention_bytes = bytes;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}

kfk_err kfk_mock_set_check_crcs(kfk_mock_cluster *mc, bool check)
{
    if (!mc) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->check_crcs = check;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}

kfk_err kfk_mock_set_auto_create_topics(kfk_mock_cluster *mc, bool enable, int32_t partitions)
{
    if (!mc || (enable && partitions <= 0)) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->auto_create = enable;
    if (enable) mc->auto_create_partitions = partitions;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}
