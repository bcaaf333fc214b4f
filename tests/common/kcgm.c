/* A KIP-848 group member over raw requests: see kcgm.h. */
#include "kcgm.h"

#include <check.h>
#include <string.h>

static bool uuid_is_zero(const kuuid *u)
{
    static const kuuid zero = {{0}};
    return memcmp(u->b, zero.b, sizeof(zero.b)) == 0;
}

static void keep_assignment(kcgm *m, const kp_consumer_group_heartbeat_response_assignment *a)
{
    m->assigned = 0;
    for (int32_t i = 0; i < a->n_topic_partitions; i++) {
        const kp_consumer_group_heartbeat_response_topic_partitions *t = &a->topic_partitions[i];
        if (uuid_is_zero(&m->tid)) m->tid = t->topic_id;
        ck_assert_msg(memcmp(t->topic_id.b, m->tid.b, sizeof(m->tid.b)) == 0,
                      "%s: assigned another topic than %s", m->id, m->topic);
        for (int32_t j = 0; j < t->n_partitions; j++) {
            int32_t p = t->partitions[j];
            ck_assert_msg(p >= 0 && p < 32, "%s: partition %d", m->id, (int)p);
            m->assigned |= 1u << p;
        }
    }
}

int16_t kcgm_heartbeat(kcgm *m, int16_t v, const kcgm_hb *o)
{
    kp_consumer_group_heartbeat_request req;
    kp_consumer_group_heartbeat_request_init(&req);
    req.group_id = kwire_cstr(m->group);
    req.member_id = kwire_cstr(o->member_id ? o->member_id : m->id);
    req.member_epoch = o->epoch;
    req.instance_id = kwire_cstr(m->instance);
    kslice names[] = {kwire_cstr(m->topic)};
    if (o->full) {
        req.rebalance_timeout_ms = o->rebalance_ms ? o->rebalance_ms : 30000;
        req.subscribed_topic_names = o->regex ? NULL : names;
        req.n_subscribed_topic_names = o->regex ? 0 : 1;
    }
    req.subscribed_topic_regex = kwire_cstr(o->regex);
    req.server_assignor = kwire_cstr(o->assignor);
    int32_t parts[32];
    kp_consumer_group_heartbeat_request_topic_partitions tp = {m->tid, parts, 0};
    if (o->owned >= 0) {
        for (int p = 0; p < 32; p++)
            if ((unsigned)o->owned & (1u << p)) parts[tp.n_partitions++] = p;
        req.topic_partitions = &tp; /* none: an empty list */
        req.n_topic_partitions = tp.n_partitions ? 1 : 0;
    }
    kp_consumer_group_heartbeat_response resp;
    mt_call(&m->c, KP_CONSUMER_GROUP_HEARTBEAT_KEY, v, &req, &resp);
    m->got = resp.assignment != NULL;
    if (resp.error_code) return resp.error_code;
    m->epoch = resp.member_epoch;
    m->interval_ms = resp.heartbeat_interval_ms;
    if (resp.assignment) keep_assignment(m, resp.assignment);
    return 0;
}
