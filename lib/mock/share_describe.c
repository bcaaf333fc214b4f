/* ShareGroupDescribe (KIP-932) in the mock: a share group's state, epochs
 * and members with their assignments, from the group registry. A group
 * that is missing or of another type is GROUP_ID_NOT_FOUND. Loop thread,
 * mc->lock held. */
#include <stdio.h>
#include <string.h>

#include "mock/share.h"
#include "proto/gen/share_group_describe.h"

/* READ, DELETE, DESCRIBE: what a cluster without an authorizer grants on a
 * group. */
#define SHARE_GROUP_OPERATIONS ((1 << 3) | (1 << 6) | (1 << 8))

static kslice str_or_empty(const char *s)
{
    return s ? kwire_cstr(s) : KWIRE_EMPTY;
}

static int fill_assignment(mock_req *req, const mock_group_tp *tps, int32_t n,
                           kp_share_group_describe_response_assignment *out)
{
    kp_share_group_describe_response_assignment_init(out);
    out->topic_partitions =
        karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*out->topic_partitions));
    int32_t *parts = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(int32_t));
    if (!out->topic_partitions || !parts) return -1;
    for (int32_t i = 0; i < n; i++) {
        kp_share_group_describe_response_topic_partitions *t = NULL;
        for (int32_t k = 0; k < out->n_topic_partitions && !t; k++)
            if (!memcmp(out->topic_partitions[k].topic_id.b, tps[i].topic_id.b, 16))
                t = &out->topic_partitions[k];
        if (!t) {
            t = &out->topic_partitions[out->n_topic_partitions++];
            kp_share_group_describe_response_topic_partitions_init(t);
            t->topic_id = tps[i].topic_id;
            mock_topic *topic = mock_topic_find_id(req->mc, &tps[i].topic_id);
            t->topic_name = str_or_empty(topic ? topic->name : NULL);
            t->partitions = parts;
            for (int32_t k = i; k < n; k++)
                if (!memcmp(tps[k].topic_id.b, t->topic_id.b, 16)) parts++;
        }
        t->partitions[t->n_partitions++] = tps[i].partition;
    }
    return 0;
}

static int describe_member(mock_req *req, const mock_group_member *m,
                           kp_share_group_describe_response_member *dm)
{
    kp_share_group_describe_response_member_init(dm);
    dm->member_id = kwire_cstr(m->member_id);
    dm->rack_id = m->rack_id ? kwire_cstr(m->rack_id) : (kslice){NULL, 0};
    dm->member_epoch = m->member_epoch;
    dm->client_id = str_or_empty(m->client_id);
    dm->client_host = str_or_empty(m->client_host);
    int32_t ns = m->n_subscribed_topic_names;
    dm->subscribed_topic_names = karena_alloc(req->arena, (size_t)(ns ? ns : 1) * sizeof(kslice));
    if (!dm->subscribed_topic_names) return -1;
    for (int32_t i = 0; i < ns; i++)
        dm->subscribed_topic_names[i] = kwire_cstr(m->subscribed_topic_names[i]);
    dm->n_subscribed_topic_names = ns;
    return fill_assignment(req, m->assigned, m->n_assigned, &dm->assignment);
}

static int describe_group(mock_req *req, kslice id, bool ops,
                          kp_share_group_describe_response_described_group *dg)
{
    kp_share_group_describe_response_described_group_init(dg);
    dg->group_id = id;
    dg->group_state = KWIRE_EMPTY;
    dg->assignor_name = KWIRE_EMPTY;
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, id);
    const mock_group *g = err ? NULL : mock_group_find(req->mc, id);
    if (!err && (!g || g->type != MOCK_GROUP_SHARE)) {
        char *msg = karena_alloc(req->arena, id.len + 40);
        if (!msg) return -1;
        snprintf(msg, id.len + 40, g ? "Group %.*s is not a share group." : "Group %.*s not found.",
                 (int)id.len, (const char *)id.ptr);
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
    dg->assignor_name = kwire_cstr("simple");
    if (ops) dg->authorized_operations = SHARE_GROUP_OPERATIONS;
    dg->members =
        karena_alloc(req->arena, (g->n_members ? g->n_members : 1) * sizeof(*dg->members));
    if (!dg->members) return -1;
    for (size_t i = 0; i < g->n_members; i++)
        if (describe_member(req, g->members[i], &dg->members[dg->n_members++])) return -1;
    return 0;
}

int mock_handle_share_group_describe(mock_req *req)
{
    kp_share_group_describe_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_share_group_describe_response resp;
    kp_share_group_describe_response_init(&resp);
    int32_t n = r.n_group_ids > 0 ? r.n_group_ids : 0;
    resp.groups = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp.groups));
    if (!resp.groups) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++)
        if (describe_group(req, r.group_ids[i], r.include_authorized_operations,
                           &resp.groups[resp.n_groups++]))
            return MOCK_CLOSE;
    return mock_respond(req, &resp);
}
