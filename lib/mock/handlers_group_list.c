/* DescribeGroups and ListGroups over the group registry. A broker lists
 * and describes the groups it coordinates, as each Kafka broker knows only
 * the groups of the __consumer_offsets partitions it leads. Loop thread,
 * mc->lock held. */
#include <strings.h>

#include "mock/groups.h"
#include "proto/api.h"
#include "proto/gen/describe_groups.h"
#include "proto/gen/list_groups.h"

/* READ, DELETE and DESCRIBE (AclOperation codes 3, 6, 8): what the mock's
 * unauthenticated clients may do with a group. */
#define GROUP_OPERATIONS ((1 << 3) | (1 << 6) | (1 << 8))

static const kslice null_str = {NULL, 0};

static kslice str_or_empty(const char *s)
{
    return s ? kwire_cstr(s) : KWIRE_EMPTY;
}

static const char *type_name(mock_group_type t)
{
    return t == MOCK_GROUP_SHARE ? "share" : t == MOCK_GROUP_CONSUMER ? "consumer" : "classic";
}

/* ClassicGroup.summary: members' metadata and assignments only when
 * Stable, the protocol name too. */
static int describe_members(mock_req *req, const mock_group *g,
                            kp_describe_groups_response_described_group *dg)
{
    bool stable = g->state == MOCK_GROUP_STABLE;
    dg->members =
        karena_alloc(req->arena, (g->n_members ? g->n_members : 1) * sizeof(*dg->members));
    if (!dg->members) return -1;
    for (size_t i = 0; i < g->n_members; i++) {
        const mock_group_member *m = g->members[i];
        if (m->pending) continue;
        kp_describe_groups_response_described_group_member *dm = &dg->members[dg->n_members++];
        kp_describe_groups_response_described_group_member_init(dm);
        dm->member_id = kwire_cstr(m->member_id);
        dm->group_instance_id = m->instance_id ? kwire_cstr(m->instance_id) : null_str;
        dm->client_id = str_or_empty(m->client_id);
        dm->client_host = str_or_empty(m->client_host);
        dm->member_metadata = KWIRE_EMPTY;
        dm->member_assignment = KWIRE_EMPTY;
        if (!stable) continue;
        for (int32_t p = 0; p < m->n_protocols; p++)
            if (g->protocol_name && strcmp(m->protocols[p].name, g->protocol_name) == 0)
                dm->member_metadata =
                    (kslice){m->protocols[p].metadata, m->protocols[p].metadata_len};
        if (m->assignment) dm->member_assignment = (kslice){m->assignment, m->assignment_len};
    }
    return 0;
}

static int describe_one(mock_req *req, kslice id, bool ops,
                        kp_describe_groups_response_described_group *dg)
{
    kp_describe_groups_response_described_group_init(dg);
    dg->group_id = id;
    dg->group_state = KWIRE_EMPTY;
    dg->protocol_type = KWIRE_EMPTY;
    dg->protocol_data = KWIRE_EMPTY;
    dg->error_message = null_str;
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, id);
    if (err) {
        dg->error_code = (int16_t)err;
        return 0;
    }
    const mock_group *g = mock_group_find(req->mc, id);
    if (!g || g->type != MOCK_GROUP_CLASSIC) {
        /* An unknown group is described Dead; v6 also says why (KIP-1043). */
        dg->group_state = kwire_cstr(mock_group_state_name(MOCK_GROUP_DEAD));
        if (req->version >= 6) {
            dg->error_code = KFK_ERR_GROUP_ID_NOT_FOUND;
            dg->error_message =
                kwire_cstr(g ? "Group is not a classic group." : "Group not found.");
        }
        return 0;
    }
    dg->group_state = kwire_cstr(mock_group_state_name(g->state));
    dg->protocol_type = str_or_empty(g->protocol_type);
    if (g->state == MOCK_GROUP_STABLE) dg->protocol_data = str_or_empty(g->protocol_name);
    if (ops) dg->authorized_operations = GROUP_OPERATIONS;
    return describe_members(req, g, dg);
}

int mock_handle_describe_groups(mock_req *req)
{
    kp_describe_groups_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_describe_groups_response resp;
    kp_describe_groups_response_init(&resp);
    int32_t n = r.n_groups > 0 ? r.n_groups : 0;
    resp.groups = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp.groups));
    if (!resp.groups) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++)
        if (describe_one(req, r.groups[i], req->version >= 3 && r.include_authorized_operations,
                         &resp.groups[i]))
            return MOCK_CLOSE;
    resp.n_groups = n;
    return mock_respond(req, &resp);
}

/* Whether s is one of the filter's names (case-insensitive, as Kafka
 * parses them); an empty filter takes everything. */
static bool filter_has(const kslice *filter, int32_t n, const char *s)
{
    if (n <= 0) return true;
    for (int32_t i = 0; i < n; i++)
        if (filter[i].len == strlen(s) &&
            strncasecmp((const char *)filter[i].ptr, s, filter[i].len) == 0)
            return true;
    return false;
}

int mock_handle_list_groups(mock_req *req)
{
    kp_list_groups_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_list_groups_response resp;
    kp_list_groups_response_init(&resp);
    if (req->inject) {
        resp.error_code = (int16_t)req->inject;
        return mock_respond(req, &resp);
    }
    mock_cluster *mc = req->mc;
    resp.groups =
        karena_alloc(req->arena, (mc->groups.n ? mc->groups.n : 1) * sizeof(*resp.groups));
    if (!resp.groups) return MOCK_CLOSE;
    for (size_t i = 0; i < mc->groups.n; i++) {
        const mock_group *g = mc->groups.v[i];
        if (mock_coordinator(mc, 0, kwire_cstr(g->group_id)) != req->broker->id) continue;
        const char *state = mock_group_state_name(g->state);
        if (req->version >= 4 && !filter_has(r.states_filter, r.n_states_filter, state)) continue;
        if (req->version >= 5 && !filter_has(r.types_filter, r.n_types_filter, type_name(g->type)))
            continue;
        kp_list_groups_response_listed_group *lg = &resp.groups[resp.n_groups++];
        kp_list_groups_response_listed_group_init(lg);
        lg->group_id = kwire_cstr(g->group_id);
        lg->protocol_type = g->type == MOCK_GROUP_CLASSIC ? str_or_empty(g->protocol_type)
                                                          : kwire_cstr(type_name(g->type));
        lg->group_state = kwire_cstr(state);
        lg->group_type = kwire_cstr(type_name(g->type));
    }
    return mock_respond(req, &resp);
}
