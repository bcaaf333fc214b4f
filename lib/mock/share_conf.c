/* The share group settings of a mock cluster (kfk_mock.h): control
 * functions, any thread; they take mc->lock. */
#include <string.h>

#include "mock/mock.h"

kfk_err kfk_mock_set_share_record_lock_duration(kfk_mock_cluster *mc, int ms)
{
    if (!mc || ms <= 0) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->share.lock_ms = ms;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}

kfk_err kfk_mock_set_share_delivery_count_limit(kfk_mock_cluster *mc, int limit)
{
    if (!mc || limit < 2 || limit > 10) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->share.delivery_limit = limit;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}

kfk_err kfk_mock_set_share_group_timeouts(kfk_mock_cluster *mc, int session_ms, int heartbeat_ms)
{
    if (!mc || heartbeat_ms <= 0 || session_ms <= heartbeat_ms) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->share.session_ms = session_ms;
    mc->share.hb_ms = heartbeat_ms;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}

kfk_err kfk_mock_set_share_auto_offset_reset(kfk_mock_cluster *mc, const char *reset)
{
    if (!mc || !reset) return KFK_ERR_INVALID_ARG;
    bool earliest = strcmp(reset, "earliest") == 0;
    if (!earliest && strcmp(reset, "latest") != 0) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->share.earliest = earliest;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}
