/* Group configs (KIP-848, KIP-932): the dynamic configs of a GROUP
 * resource that IncrementalAlterConfigs sets, by group id (groups.h).
 * Kafka validates a group's whole set of configs against the broker's
 * bounds; the mock serves the two share group configs its share groups
 * use and refuses the other names (and by_duration resets) with
 * INVALID_CONFIG, so that a test never believes a setting took effect
 * when it did not. Its bounds for share.record.lock.duration.ms are the
 * widest a Kafka broker can be started with
 * (group.share.min.record.lock.duration.ms 1000,
 * group.share.max.record.lock.duration.ms 3600000). Messages are Kafka
 * 4.3.1's.
 *
 * Loop thread, mc->lock held. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/groups.h"

#define LOCK_MIN_MS 1000
#define LOCK_MAX_MS 3600000

enum { OP_SET, OP_DELETE, OP_APPEND, OP_SUBTRACT };

/* One group's configs; 0 and -1: not set. */
typedef struct mock_group_conf {
    char *group_id;
    int32_t share_lock_ms;
    int8_t share_earliest; /* 1 earliest, 0 latest, -1 unset */
} mock_group_conf;

/* The rest of Kafka 4.3.1's group configs, which the mock does not serve. */
static const char *const unserved[] = {"consumer.session.timeout.ms",
                                       "consumer.heartbeat.interval.ms",
                                       "consumer.assignment.interval.ms",
                                       "share.session.timeout.ms",
                                       "share.heartbeat.interval.ms",
                                       "share.assignment.interval.ms",
                                       "share.isolation.level",
                                       "share.delivery.count.limit",
                                       "share.partition.max.record.locks",
                                       "share.renew.acknowledge.enable",
                                       "streams.session.timeout.ms",
                                       "streams.heartbeat.interval.ms",
                                       "streams.assignment.interval.ms",
                                       "streams.num.standby.replicas",
                                       "streams.initial.rebalance.delay.ms"};

static mock_group_conf *conf_find(mock_groups *gs, kslice group_id)
{
    for (size_t i = 0; i < gs->n_confs; i++)
        if (kwire_eq(kwire_cstr(gs->confs[i].group_id), group_id)) return &gs->confs[i];
    return NULL;
}

static mock_group_conf *conf_get(mock_groups *gs, kslice group_id)
{
    mock_group_conf *c = conf_find(gs, group_id);
    if (c) return c;
    if (gs->n_confs == gs->cap_confs) {
        size_t cap = gs->cap_confs ? 2 * gs->cap_confs : 8;
        mock_group_conf *v = realloc(gs->confs, cap * sizeof(*v));
        if (!v) return NULL;
        gs->confs = v;
        gs->cap_confs = cap;
    }
    char *id = mock_strdup_slice(group_id);
    if (!id) return NULL;
    c = &gs->confs[gs->n_confs++];
    *c = (mock_group_conf){id, 0, -1};
    return c;
}

int32_t mock_group_conf_share_lock_ms(mock_cluster *mc, kslice group_id)
{
    const mock_group_conf *c = conf_find(&mc->groups, group_id);
    return c && c->share_lock_ms ? c->share_lock_ms : mc->share.lock_ms;
}

bool mock_group_conf_share_earliest(mock_cluster *mc, kslice group_id)
{
    const mock_group_conf *c = conf_find(&mc->groups, group_id);
    return c && c->share_earliest >= 0 ? c->share_earliest == 1 : mc->share.earliest;
}

const char *mock_group_conf_value(mock_cluster *mc, kslice group_id, const char *name, char *buf,
                                  size_t n, bool *set)
{
    const mock_group_conf *c = conf_find(&mc->groups, group_id);
    if (strcmp(name, "share.record.lock.duration.ms") == 0) {
        *set = c && c->share_lock_ms;
        snprintf(buf, n, "%d", (int)mock_group_conf_share_lock_ms(mc, group_id));
        return buf;
    }
    if (strcmp(name, "share.auto.offset.reset") == 0) {
        *set = c && c->share_earliest >= 0;
        return mock_group_conf_share_earliest(mc, group_id) ? "earliest" : "latest";
    }
    return NULL;
}

static bool is_unserved(kslice name)
{
    for (size_t i = 0; i < sizeof(unserved) / sizeof(unserved[0]); i++)
        if (kwire_eq(kwire_cstr(unserved[i]), name)) return true;
    return false;
}

static kfk_err set_lock_ms(mock_req *req, mock_group_conf *c, kslice value, kslice *msg)
{
    char v[16];
    char *end;
    long long x = -1;
    if (value.len > 0 && value.len < sizeof(v)) {
        memcpy(v, value.ptr, value.len);
        v[value.len] = '\0';
        errno = 0;
        x = strtoll(v, &end, 10);
        if (*end || errno || x < INT32_MIN || x > INT32_MAX) x = INT64_MIN;
    } else
        x = INT64_MIN;
    if (x == INT64_MIN) {
        *msg = mock_msgf(req,
                         "Invalid value %.*s for configuration share.record.lock.duration.ms: "
                         "Not a number of type INT",
                         (int)value.len, value.ptr);
        return KFK_ERR_INVALID_CONFIG;
    }
    if (x < LOCK_MIN_MS) {
        *msg =
            mock_msgf(req,
                      "Invalid value %lld for configuration share.record.lock.duration.ms: Value "
                      "must be at least %d",
                      x, LOCK_MIN_MS);
        return KFK_ERR_INVALID_CONFIG;
    }
    if (x > LOCK_MAX_MS) {
        *msg = mock_msgf(req, "share.record.lock.duration.ms must be less than or equal to "
                              "group.share.max.record.lock.duration.ms");
        return KFK_ERR_INVALID_CONFIG;
    }
    c->share_lock_ms = (int32_t)x;
    return KFK_OK;
}

static kfk_err set_reset(mock_req *req, mock_group_conf *c, kslice value, kslice *msg)
{
    if (kwire_eq(value, kwire_cstr("earliest")) || kwire_eq(value, kwire_cstr("latest"))) {
        c->share_earliest = kwire_eq(value, kwire_cstr("earliest"));
        return KFK_OK;
    }
    const char *by = "by_duration:";
    if (value.len >= strlen(by) && memcmp(value.ptr, by, strlen(by)) == 0)
        *msg = mock_msgf(req, "The mock cluster does not serve share.auto.offset.reset %.*s",
                         (int)value.len, value.ptr);
    else
        *msg =
            mock_msgf(req,
                      "Invalid value %.*s for configuration share.auto.offset.reset: Invalid value "
                      "`%.*s` for configuration share.auto.offset.reset. The value must be either "
                      "'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.",
                      (int)value.len, value.ptr, (int)value.len, value.ptr);
    return KFK_ERR_INVALID_CONFIG;
}

/* One change to c (a copy: the caller installs it when all succeed). */
static kfk_err apply_one(mock_req *req, mock_group_conf *c,
                         const kp_incremental_alter_configs_request_alterable_config *x,
                         kslice *msg)
{
    bool lock = kwire_eq(x->name, kwire_cstr("share.record.lock.duration.ms"));
    bool reset = kwire_eq(x->name, kwire_cstr("share.auto.offset.reset"));
    if (!lock && !reset) {
        *msg =
            is_unserved(x->name)
                ? mock_msgf(req, "The mock cluster does not serve the group config %.*s",
                            (int)x->name.len, x->name.ptr)
                : mock_msgf(req, "Unknown group config name: %.*s", (int)x->name.len, x->name.ptr);
        return KFK_ERR_INVALID_CONFIG;
    }
    switch (x->config_operation) {
    case OP_DELETE:
        if (lock) c->share_lock_ms = 0;
        if (reset) c->share_earliest = -1;
        return KFK_OK;
    case OP_SET:
        if (!x->value.ptr) {
            *msg = mock_msgf(req, "Null value not supported for : %.*s", (int)x->name.len,
                             x->name.ptr);
            return KFK_ERR_INVALID_REQUEST;
        }
        return lock ? set_lock_ms(req, c, x->value, msg) : set_reset(req, c, x->value, msg);
    case OP_APPEND:
    case OP_SUBTRACT:
        *msg = mock_msgf(req, "Can't %s to key %.*s because its type is not LIST.",
                         x->config_operation == OP_APPEND ? "APPEND" : "SUBTRACT", (int)x->name.len,
                         x->name.ptr);
        return KFK_ERR_INVALID_CONFIG;
    default:
        *msg = mock_msgf(req, "Unknown alter config operation %d", x->config_operation);
        return KFK_ERR_INVALID_REQUEST;
    }
}

kfk_err mock_group_conf_alter(mock_req *req, kslice group_id,
                              const kp_incremental_alter_configs_request_alterable_config *configs,
                              int32_t n, bool validate_only, kslice *msg)
{
    if (group_id.len == 0) {
        *msg = mock_msgf(req, "Group name cannot be empty");
        return KFK_ERR_INVALID_REQUEST;
    }
    const mock_group_conf *cur = conf_find(&req->mc->groups, group_id);
    mock_group_conf c = cur ? *cur : (mock_group_conf){NULL, 0, -1};
    for (int32_t i = 0; i < n; i++) {
        kfk_err err = apply_one(req, &c, &configs[i], msg);
        if (err) return err;
    }
    if (validate_only) return KFK_OK;
    mock_group_conf *dst = conf_get(&req->mc->groups, group_id);
    if (!dst) return KFK_ERR_NO_MEMORY;
    dst->share_lock_ms = c.share_lock_ms;
    dst->share_earliest = c.share_earliest;
    return KFK_OK;
}

void mock_group_confs_free(mock_groups *gs)
{
    for (size_t i = 0; i < gs->n_confs; i++)
        free(gs->confs[i].group_id);
    free(gs->confs);
    gs->confs = NULL;
    gs->n_confs = gs->cap_confs = 0;
}
