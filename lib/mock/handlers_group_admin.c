/* The group APIs only admin clients send: ConsumerGroupDescribe,
 * DeleteGroups and OffsetDelete, over the group registry, with the
 * errors Kafka's group coordinator gives. Loop thread, mc->lock held. */
#include <stdio.h>
#include <string.h>

#include "mock/groups.h"
#include "proto/api.h"
#include "proto/gen/consumer_group_describe.h"
#include "proto/gen/delete_groups.h"
#include "proto/gen/offset_delete.h"

/* READ, DELETE and DESCRIBE (AclOperation codes 3, 6, 8), as in
 * handlers_group_list.c. */
#define GROUP_OPERATIONS ((1 << 3) | (1 << 6) | (1 << 8))

static kslice str_or_empty(const char *s)
{
    return s ? kwire_cstr(s) : KWIRE_EMPTY;
}

static const kslice null_str = {NULL, 0};

/* --- ConsumerGroupDescribe ---------------------------------------------------------- */

/* tps by topic id, grouped by topic name as the broker sends them. */
static int fill_assignment(mock_req *req, const mock_group_tp *tps, int32_t n,
                           kp_consumer_group_describe_response_assignment *out)
{
    kp_consumer_group_describe_response_assignment_init(out);
    out->topic_partitions =
        karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*out->topic_partitions));
    if (!out->topic_partitions) return -1;
    for (int32_t i = 0; i < n; i++) {
        kp_consumer_group_describe_response_topic_partitions *tp = NULL;
        for (int32_t k = 0; k < out->n_topic_partitions && !tp; k++)
            if (!memcmp(&out->topic_partitions[k].topic_id, &tps[i].topic_id, sizeof(kuuid)))
                tp = &out->topic_partitions[k];
        if (!tp) {
            const mock_topic *t = mock_topic_find_id(req->mc, &tps[i].topic_id);
            if (!t) continue; /* deleted meanwhile */
            tp = &out->topic_partitions[out->n_topic_partitions++];
            kp_consumer_group_describe_response_topic_partitions_init(tp);
            tp->topic_id = tps[i].topic_id;
            tp->topic_name = kwire_cstr(t->name);
            tp->partitions = karena_alloc(req->arena, (size_t)n * sizeof(int32_t));
            if (!tp->partitions) return -1;
        }
        tp->partitions[tp->n_partitions++] = tps[i].partition;
    }
    return 0;
}

static int cgd_member(mock_req *req, const mock_group_member *m,
                      kp_consumer_group_describe_response_member *dm)
{
    kp_consumer_group_describe_response_member_init(dm);
    dm->member_id = kwire_cstr(m->member_id);
    dm->instance_id = m->instance_id ? kwire_cstr(m->instance_id) : null_str;
    dm->rack_id = m->rack_id ? kwire_cstr(m->rack_id) : null_str;
    dm->member_epoch = m->member_epoch;
    dm->client_id = str_or_empty(m->client_id);
    dm->client_host = str_or_empty(m->client_host);
    dm->subscribed_topic_regex =
        m->subscribed_topic_regex ? kwire_cstr(m->subscribed_topic_regex) : null_str;
    int32_t ns = m->n_subscribed_topic_names;
    dm->subscribed_topic_names = karena_alloc(req->arena, (size_t)(ns ? ns : 1) * sizeof(kslice));
    if (!dm->subscribed_topic_names) return -1;
    for (int32_t i = 0; i < ns; i++)
        dm->subscribed_topic_names[i] = kwire_cstr(m->subscribed_topic_names[i]);
    dm->n_subscribed_topic_names = ns;
    dm->member_type = 1; /* consumer protocol, not upgraded from classic */
    int32_t nt;
    const mock_group_tp *target = mock_consumer_member_target(m, &nt);
    return fill_assignment(req, m->assigned, m->n_assigned, &dm->assignment) ||
                   fill_assignment(req, target, nt, &dm->target_assignment)
               ? -1
               : 0;
}

static int cgd_one(mock_req *req, kslice id, bool ops,
                   kp_consumer_group_describe_response_described_group *dg)
{
    kp_consumer_group_describe_response_described_group_init(dg);
    dg->group_id = id;
    dg->group_state = KWIRE_EMPTY;
    dg->assignor_name = KWIRE_EMPTY;
    dg->error_message = null_str;
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, id);
    const mock_group *g = err ? NULL : mock_group_find(req->mc, id);
    if (!err && (!g || g->type != MOCK_GROUP_CONSUMER)) {
        char *msg = karena_alloc(req->arena, id.len + 40);
        if (!msg) return -1;
        snprintf(msg, id.len + 40,
                 g ? "Group %.*s is not a consumer group." : "Group %.*s not found.", (int)id.len,
                 (const char *)id.ptr);
        dg->error_message = kwire_cstr(msg);
        err = KFK_ERR_GROUP_ID_NOT_FOUND;
    }
    if (err) {
        dg->error_code = (int16_t)err;
        return 0;
    }
    dg->group_state = kwire_cstr(mock_group_state_name(g->state));
    dg->group_epoch = g->group_epoch;
    dg->assignment_epoch = g->assignment_epoch;
    const char *assignor = g->n_members ? g->members[0]->server_assignor : NULL;
    dg->assignor_name = kwire_cstr(assignor ? assignor : "uniform");
    if (ops) dg->authorized_operations = GROUP_OPERATIONS;
    dg->members =
        karena_alloc(req->arena, (g->n_members ? g->n_members : 1) * sizeof(*dg->members));
    if (!dg->members) return -1;
    for (size_t i = 0; i < g->n_members; i++)
        if (cgd_member(req, g->members[i], &dg->members[dg->n_members++])) return -1;
    return 0;
}

int mock_handle_consumer_group_describe(mock_req *req)
{
    kp_consumer_group_describe_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_consumer_group_describe_response resp;
    kp_consumer_group_describe_response_init(&resp);
    int32_t n = r.n_group_ids > 0 ? r.n_group_ids : 0;
    resp.groups = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp.groups));
    if (!resp.groups) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++)
        if (cgd_one(req, r.group_ids[i], r.include_authorized_operations, &resp.groups[i]))
            return MOCK_CLOSE;
    resp.n_groups = n;
    return mock_respond(req, &resp);
}

/* --- DeleteGroups --------------------------------------------------------------------- */

static kfk_err delete_one(mock_req *req, kslice id)
{
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, id);
    if (err) return err;
    mock_group *g = mock_group_find(req->mc, id);
    if (!g || g->state == MOCK_GROUP_DEAD) return KFK_ERR_GROUP_ID_NOT_FOUND;
    if (g->n_members || g->state != MOCK_GROUP_EMPTY) return KFK_ERR_NON_EMPTY_GROUP;
    mock_group_delete(req->mc, g);
    return KFK_OK;
}

int mock_handle_delete_groups(mock_req *req)
{
    kp_delete_groups_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_delete_groups_response resp;
    kp_delete_groups_response_init(&resp);
    int32_t n = r.n_groups_names > 0 ? r.n_groups_names : 0;
    resp.results = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp.results));
    if (!resp.results) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        kp_delete_groups_response_deletable_group_result *x = &resp.results[i];
        kp_delete_groups_response_deletable_group_result_init(x);
        x->group_id = r.groups_names[i];
        x->error_code = (int16_t)delete_one(req, r.groups_names[i]);
    }
    resp.n_results = n;
    return mock_respond(req, &resp);
}

/* --- OffsetDelete --------------------------------------------------------------------- */

/* Whether g's members consume topic, so its offsets must stay. A KIP-848
 * group knows its members' subscribed topic names; for a classic group
 * with members the mock does not decode their subscriptions and treats
 * every topic as subscribed. */
static bool subscribed(const mock_group *g, kslice topic)
{
    if (!g->n_members) return false;
    if (g->type == MOCK_GROUP_CLASSIC) return true;
    for (size_t i = 0; i < g->n_members; i++) {
        const mock_group_member *m = g->members[i];
        for (int32_t t = 0; t < m->n_subscribed_topic_names; t++)
            if (kwire_eq(kwire_cstr(m->subscribed_topic_names[t]), topic)) return true;
    }
    return false;
}

static int offset_delete_topic(mock_req *req, mock_group *g,
                               const kp_offset_delete_request_topic *t,
                               kp_offset_delete_response_topic *rt)
{
    kp_offset_delete_response_topic_init(rt);
    rt->name = t->name;
    int32_t n = t->n_partitions > 0 ? t->n_partitions : 0;
    rt->partitions = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*rt->partitions));
    if (!rt->partitions) return -1;
    kfk_err err = KFK_OK;
    if (!mock_topic_find(req->mc, t->name))
        err = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    else if (subscribed(g, t->name))
        err = KFK_ERR_GROUP_SUBSCRIBED_TO_TOPIC;
    for (int32_t p = 0; p < n; p++) {
        kp_offset_delete_response_partition *rp = &rt->partitions[rt->n_partitions++];
        kp_offset_delete_response_partition_init(rp);
        rp->partition_index = t->partitions[p].partition_index;
        rp->error_code = (int16_t)err;
        mock_group_offset *o = err ? NULL : mock_group_offset_find(g, t->name, rp->partition_index);
        if (o) mock_group_offset_remove(g, o);
    }
    return 0;
}

int mock_handle_offset_delete(mock_req *req)
{
    kp_offset_delete_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_offset_delete_response resp;
    kp_offset_delete_response_init(&resp);
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, r.group_id);
    mock_group *g = err ? NULL : mock_group_find(req->mc, r.group_id);
    if (!err && (!g || g->state == MOCK_GROUP_DEAD)) err = KFK_ERR_GROUP_ID_NOT_FOUND;
    if (err) {
        resp.error_code = (int16_t)err;
        return mock_respond(req, &resp);
    }
    int32_t n = r.n_topics > 0 ? r.n_topics : 0;
    resp.topics = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp.topics));
    if (!resp.topics) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++)
        if (offset_delete_topic(req, g, &r.topics[i], &resp.topics[resp.n_topics++]))
            return MOCK_CLOSE;
    return mock_respond(req, &resp);
}
