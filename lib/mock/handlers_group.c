/* The classic group protocol, following Kafka's group coordinator
 * (GroupMetadataManager, ClassicGroup):
 *  - JoinGroup: a member without an id gets one; from v4 it must come back
 *    with it (MEMBER_ID_REQUIRED, KIP-394) unless it is static. A join
 *    starts a rebalance (PreparingRebalance) that lasts until every known
 *    member has rejoined or the largest rebalance timeout passes; then the
 *    generation goes up, dynamic members that did not rejoin are dropped,
 *    the protocol is chosen by vote among those every member supports, and
 *    all parked JoinGroups are answered at once, the leader's with every
 *    member's metadata (CompletingRebalance);
 *  - SyncGroup: followers wait for the leader's, which hands out the
 *    assignments (Stable);
 *  - Heartbeat: REBALANCE_IN_PROGRESS while preparing a rebalance;
 *  - LeaveGroup (a batch from v3) and session expiry remove members and
 *    start a rebalance;
 *  - static members (KIP-345): a join with a known group.instance.id and
 *    no member id takes over the old member (whose requests then get
 *    FENCED_INSTANCE_ID), without a rebalance when the group is Stable and
 *    its protocol does not change.
 * Parked requests hold their connection (Kafka mutes the channel too) and
 * are answered through mock_group_answer. Loop thread, mc->lock held. */
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/time.h"
#include "mock/groups.h"
#include "proto/api.h"
#include "proto/gen/heartbeat.h"
#include "proto/gen/join_group.h"
#include "proto/gen/leave_group.h"
#include "proto/gen/sync_group.h"

#define MEMBER_ID_MAX 512
#define CLIENT_HOST "/127.0.0.1"

static const kslice null_str = {NULL, 0};

static kslice str_or_empty(const char *s)
{
    return s ? kwire_cstr(s) : KWIRE_EMPTY;
}

/* A string that is nullable only from some version: null there, "" before. */
static kslice opt_str(const char *s, bool nullable)
{
    return s ? kwire_cstr(s) : nullable ? null_str : KWIRE_EMPTY;
}

static bool is_leader(const mock_group *g, const mock_group_member *m)
{
    return g->leader_id && strcmp(g->leader_id, m->member_id) == 0;
}

static mock_group_member *leader_of(mock_group *g)
{
    return g->leader_id ? mock_group_member_find(g, kwire_cstr(g->leader_id)) : NULL;
}

/* ------------------------------------------------------------- protocols */

static const mock_group_protocol *member_protocol(const mock_group_member *m, const char *name)
{
    for (int32_t i = 0; name && i < m->n_protocols; i++)
        if (strcmp(m->protocols[i].name, name) == 0) return &m->protocols[i];
    return NULL;
}

static bool member_supports(const mock_group_member *m, kslice name)
{
    for (int32_t i = 0; i < m->n_protocols; i++)
        if (kwire_eq(kwire_cstr(m->protocols[i].name), name)) return true;
    return false;
}

static size_t real_members(const mock_group *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_members; i++)
        n += !g->members[i]->pending;
    return n;
}

/* Whether every member but self supports protocol name. */
static bool all_support(const mock_group *g, const mock_group_member *self, kslice name)
{
    for (size_t i = 0; i < g->n_members; i++) {
        const mock_group_member *o = g->members[i];
        if (o != self && !o->pending && !member_supports(o, name)) return false;
    }
    return true;
}

/* ClassicGroup.supportsProtocols: an empty group takes any non-empty
 * protocol type and list; otherwise the type must match and one of the
 * protocols be supported by all members. */
static bool supports_protocols(const mock_group *g, const mock_group_member *self,
                               const kp_join_group_request *r)
{
    if (r->protocol_type.len == 0 || r->n_protocols <= 0) return false;
    if (real_members(g) == (self && !self->pending ? 1u : 0u)) return true;
    if (!g->protocol_type || !kwire_eq(kwire_cstr(g->protocol_type), r->protocol_type))
        return false;
    for (int32_t i = 0; i < r->n_protocols; i++)
        if (all_support(g, self, r->protocols[i].name)) return true;
    return false;
}

/* Whether the request names the same protocols and metadata, in order. */
static bool protocols_match(const mock_group_member *m, const kp_join_group_request *r)
{
    if (m->n_protocols != r->n_protocols) return false;
    for (int32_t i = 0; i < r->n_protocols; i++) {
        const mock_group_protocol *p = &m->protocols[i];
        kslice md = r->protocols[i].metadata;
        if (!kwire_eq(kwire_cstr(p->name), r->protocols[i].name) || p->metadata_len != md.len ||
            (md.len && memcmp(p->metadata, md.ptr, md.len) != 0))
            return false;
    }
    return true;
}

/* A member's vote: its first protocol that every member supports. */
static const char *member_vote(const mock_group *g, const mock_group_member *m)
{
    for (int32_t p = 0; p < m->n_protocols; p++)
        if (all_support(g, NULL, kwire_cstr(m->protocols[p].name))) return m->protocols[p].name;
    return NULL;
}

/* ClassicGroup.selectProtocol: the protocol with the most votes (ties:
 * the one voted for by the earlier member). */
static const char *select_protocol(const mock_group *g)
{
    const char *best = NULL;
    size_t best_votes = 0;
    for (size_t i = 0; i < g->n_members; i++) {
        const char *cand = g->members[i]->pending ? NULL : member_vote(g, g->members[i]);
        if (!cand) continue;
        size_t votes = 0;
        for (size_t k = 0; k < g->n_members; k++) {
            const char *v = g->members[k]->pending ? NULL : member_vote(g, g->members[k]);
            votes += v && strcmp(v, cand) == 0;
        }
        if (votes > best_votes) {
            best = cand;
            best_votes = votes;
        }
    }
    return best;
}

/* --------------------------------------------------------------- members */

static int set_protocols(mock_group_member *m, const kp_join_group_request *r)
{
    mock_group_protocol *v = calloc((size_t)(r->n_protocols > 0 ? r->n_protocols : 1), sizeof(*v));
    if (!v) return -1;
    for (int32_t i = 0; i < r->n_protocols; i++) {
        kslice md = r->protocols[i].metadata;
        v[i].name = mock_strdup_slice(r->protocols[i].name);
        v[i].metadata = malloc(md.len ? md.len : 1);
        v[i].metadata_len = md.len;
        if (!v[i].name || !v[i].metadata) {
            for (int32_t k = 0; k <= i; k++) {
                free(v[k].name);
                free(v[k].metadata);
            }
            free(v);
            return -1;
        }
        if (md.len) memcpy(v[i].metadata, md.ptr, md.len);
    }
    for (int32_t i = 0; i < m->n_protocols; i++) {
        free(m->protocols[i].name);
        free(m->protocols[i].metadata);
    }
    free(m->protocols);
    m->protocols = v;
    m->n_protocols = r->n_protocols;
    return 0;
}

static void on_member_expire(mock_cluster *mc, mock_group_member *m);

/* Takes the join request's description of the member. */
static int fill_member(mock_req *req, mock_group_member *m, const kp_join_group_request *r)
{
    char *client = mock_strdup_slice(req->client_id);
    char *host = strdup(CLIENT_HOST);
    char *type = mock_strdup_slice(r->protocol_type);
    if (!client || !host || !type || set_protocols(m, r)) {
        free(client);
        free(host);
        free(type);
        return -1;
    }
    free(m->client_id);
    free(m->client_host);
    free(m->protocol_type);
    m->client_id = client;
    m->client_host = host;
    m->protocol_type = type;
    m->session_timeout_ms = r->session_timeout_ms;
    m->rebalance_timeout_ms = r->rebalance_timeout_ms;
    m->on_expire = on_member_expire;
    return 0;
}

static void park(mock_group_park *p, mock_req *req)
{
    *p = (mock_group_park){true, req->conn, req->version, req->correlation_id};
}

/* --------------------------------------------------------------- answers */

/* The answer for the current generation; members (malloc'd, the caller
 * frees resp->members) for the leader when with_members. */
static int join_result(const mock_group *g, const mock_group_member *m, int16_t v,
                       bool with_members, bool skip_assignment, const char *leader,
                       kp_join_group_response *resp)
{
    kp_join_group_response_init(resp);
    resp->generation_id = g->generation_id;
    resp->protocol_type = opt_str(g->protocol_type, v >= 7);
    resp->protocol_name = opt_str(g->protocol_name, v >= 7);
    resp->leader = str_or_empty(leader);
    resp->member_id = kwire_cstr(m->member_id);
    resp->skip_assignment = skip_assignment;
    resp->members = NULL;
    resp->n_members = 0;
    if (!with_members) return 0;
    resp->members = calloc(g->n_members ? g->n_members : 1, sizeof(*resp->members));
    if (!resp->members) return -1;
    for (size_t i = 0; i < g->n_members; i++) {
        const mock_group_member *o = g->members[i];
        if (o->pending) continue;
        const mock_group_protocol *p = member_protocol(o, g->protocol_name);
        kp_join_group_response_member *rm = &resp->members[resp->n_members++];
        kp_join_group_response_member_init(rm);
        rm->member_id = kwire_cstr(o->member_id);
        rm->group_instance_id = o->instance_id ? kwire_cstr(o->instance_id) : null_str;
        rm->metadata = p ? (kslice){p->metadata, p->metadata_len} : KWIRE_EMPTY;
    }
    return 0;
}

static void join_error_resp(kp_join_group_response *resp, int16_t v, kslice member_id, kfk_err err)
{
    kp_join_group_response_init(resp);
    resp->error_code = (int16_t)err;
    resp->generation_id = -1;
    resp->protocol_type = null_str;
    resp->protocol_name = opt_str(NULL, v >= 7);
    resp->leader = KWIRE_EMPTY;
    resp->member_id = member_id.ptr ? member_id : KWIRE_EMPTY;
}

static int join_error(mock_req *req, kslice member_id, kfk_err err)
{
    kp_join_group_response resp;
    join_error_resp(&resp, req->version, member_id, err);
    return mock_respond(req, &resp);
}

/* Answers m's parked JoinGroup for the current generation. */
static void answer_join(mock_cluster *mc, mock_group *g, mock_group_member *m, bool with_members,
                        bool skip_assignment, const char *leader)
{
    kp_join_group_response resp;
    if (join_result(g, m, m->join.version, with_members, skip_assignment, leader, &resp)) {
        join_error_resp(&resp, m->join.version, kwire_cstr(m->member_id),
                        KFK_ERR_UNKNOWN_SERVER_ERROR);
    }
    mock_group_answer(mc, &m->join, KP_JOIN_GROUP_KEY, &resp);
    free(resp.members);
}

static void answer_join_error(mock_cluster *mc, mock_group_member *m, kfk_err err)
{
    if (!m->join.waiting) return;
    kp_join_group_response resp;
    join_error_resp(&resp, m->join.version, kwire_cstr(m->member_id), err);
    mock_group_answer(mc, &m->join, KP_JOIN_GROUP_KEY, &resp);
}

static void sync_resp(const mock_group *g, const mock_group_member *m, kfk_err err,
                      kp_sync_group_response *resp)
{
    kp_sync_group_response_init(resp);
    resp->error_code = (int16_t)err;
    resp->protocol_type = err ? null_str : opt_str(g->protocol_type, true);
    resp->protocol_name = err ? null_str : opt_str(g->protocol_name, true);
    resp->assignment =
        !err && m && m->assignment ? (kslice){m->assignment, m->assignment_len} : KWIRE_EMPTY;
}

static void answer_sync(mock_cluster *mc, mock_group *g, mock_group_member *m, kfk_err err)
{
    if (!m->sync.waiting) return;
    kp_sync_group_response resp;
    sync_resp(g, m, err, &resp);
    mock_group_answer(mc, &m->sync, KP_SYNC_GROUP_KEY, &resp);
}

/* ---------------------------------------------------------- rebalancing */

static void complete_join(mock_cluster *mc, mock_group *g);
static void on_sync_timer(mock_cluster *mc, mock_timer *t);

static bool all_joined(const mock_group *g)
{
    for (size_t i = 0; i < g->n_members; i++)
        if (g->members[i]->pending || !g->members[i]->join.waiting) return false;
    return true;
}

static void maybe_complete_join(mock_cluster *mc, mock_group *g)
{
    if (g->state == MOCK_GROUP_PREPARING_REBALANCE && all_joined(g)) complete_join(mc, g);
}

static void on_join_timer(mock_cluster *mc, mock_timer *t)
{
    mock_group *g = container_of(t, mock_group, join_timer);
    if (g->state == MOCK_GROUP_PREPARING_REBALANCE) complete_join(mc, g);
}

static void clear_assignment(mock_group_member *m)
{
    free(m->assignment);
    m->assignment = NULL;
    m->assignment_len = 0;
}

static void prepare_rebalance(mock_cluster *mc, mock_group *g)
{
    /* Members waiting for the leader's assignment learn it is void. */
    if (g->state == MOCK_GROUP_COMPLETING_REBALANCE)
        for (size_t i = 0; i < g->n_members; i++)
            answer_sync(mc, g, g->members[i], KFK_ERR_REBALANCE_IN_PROGRESS);
    int32_t timeout_ms = 1;
    for (size_t i = 0; i < g->n_members; i++) {
        clear_assignment(g->members[i]);
        if (g->members[i]->rebalance_timeout_ms > timeout_ms)
            timeout_ms = g->members[i]->rebalance_timeout_ms;
    }
    g->state = MOCK_GROUP_PREPARING_REBALANCE;
    g->join_timer.fn = on_join_timer;
    if (mock_timer_start(mc, &g->join_timer, ktime_mono_ns() + (int64_t)timeout_ms * 1000000)) {
        complete_join(mc, g); /* no memory for a timer: do not wait */
        return;
    }
    maybe_complete_join(mc, g);
}

/* Kafka's maybePrepareRebalanceOrCompleteJoin. */
static void rebalance_or_complete(mock_cluster *mc, mock_group *g)
{
    if (g->state == MOCK_GROUP_PREPARING_REBALANCE)
        maybe_complete_join(mc, g);
    else
        prepare_rebalance(mc, g);
}

static void remove_member(mock_cluster *mc, mock_group *g, mock_group_member *m, kfk_err err)
{
    answer_join_error(mc, m, err);
    answer_sync(mc, g, m, err);
    if (is_leader(g, m)) {
        free(g->leader_id);
        g->leader_id = NULL;
    }
    mock_group_member_remove(mc, m);
}

/* After members left: what the rest of the group does. */
static void after_removal(mock_cluster *mc, mock_group *g)
{
    if (g->state == MOCK_GROUP_STABLE || g->state == MOCK_GROUP_COMPLETING_REBALANCE ||
        g->state == MOCK_GROUP_PREPARING_REBALANCE)
        rebalance_or_complete(mc, g);
}

static int set_leader(mock_group *g, const char *member_id)
{
    char *id = member_id ? strdup(member_id) : NULL;
    if (member_id && !id) return -1;
    free(g->leader_id);
    g->leader_id = id;
    return 0;
}

/* The leader stays if it rejoined; otherwise the first member that did. */
static void elect_leader(mock_group *g)
{
    mock_group_member *l = leader_of(g);
    if (l && l->join.waiting) return;
    for (size_t i = 0; i < g->n_members; i++) {
        mock_group_member *m = g->members[i];
        if (!m->pending && m->join.waiting) {
            set_leader(g, m->member_id);
            return;
        }
    }
}

static void complete_join(mock_cluster *mc, mock_group *g)
{
    mock_timer_stop(mc, &g->join_timer);
    for (size_t i = g->n_members; i-- > 0;) {
        mock_group_member *m = g->members[i];
        if (!m->pending && !m->join.waiting && !m->instance_id)
            remove_member(mc, g, m, KFK_ERR_UNKNOWN_MEMBER_ID);
    }
    g->generation_id++;
    free(g->protocol_name);
    g->protocol_name = NULL;
    if (real_members(g) == 0) {
        g->state = MOCK_GROUP_EMPTY;
        set_leader(g, NULL);
        return;
    }
    elect_leader(g);
    const char *proto = select_protocol(g);
    g->protocol_name = proto ? strdup(proto) : NULL;
    g->state = MOCK_GROUP_COMPLETING_REBALANCE;
    int32_t timeout_ms = 1;
    for (size_t i = 0; i < g->n_members; i++) {
        mock_group_member *m = g->members[i];
        m->sync_due = !m->pending;
        if (!m->pending && m->rebalance_timeout_ms > timeout_ms)
            timeout_ms = m->rebalance_timeout_ms;
    }
    g->sync_generation = g->generation_id;
    g->sync_timer.fn = on_sync_timer;
    /* Without memory for the timer, silent members stay until their
     * session expires instead. */
    mock_timer_start(mc, &g->sync_timer, ktime_mono_ns() + (int64_t)timeout_ms * 1000000);
    for (size_t i = 0; i < g->n_members; i++) {
        mock_group_member *m = g->members[i];
        if (m->pending || !m->join.waiting) continue;
        mock_group_member_touch(mc, m);
        answer_join(mc, g, m, is_leader(g, m), false, g->leader_id);
    }
}

/* Kafka's expirePendingSync: members that sent no SyncGroup within the
 * rebalance timeout of their generation are removed. */
static void on_sync_timer(mock_cluster *mc, mock_timer *t)
{
    mock_group *g = container_of(t, mock_group, sync_timer);
    if (g->generation_id != g->sync_generation ||
        (g->state != MOCK_GROUP_COMPLETING_REBALANCE && g->state != MOCK_GROUP_STABLE))
        return;
    size_t before = g->n_members;
    for (size_t i = g->n_members; i-- > 0;)
        if (!g->members[i]->pending && g->members[i]->sync_due)
            remove_member(mc, g, g->members[i], KFK_ERR_UNKNOWN_MEMBER_ID);
    if (g->n_members != before) prepare_rebalance(mc, g);
}

static void on_member_expire(mock_cluster *mc, mock_group_member *m)
{
    mock_group *g = m->group;
    if (m->pending) { /* never came back with its member id */
        mock_group_member_remove(mc, m);
        maybe_complete_join(mc, g);
        return;
    }
    /* A member whose JoinGroup or SyncGroup is parked cannot heartbeat. */
    if (m->join.waiting || m->sync.waiting) {
        mock_group_member_touch(mc, m);
        return;
    }
    remove_member(mc, g, m, KFK_ERR_UNKNOWN_MEMBER_ID);
    after_removal(mc, g);
}

/* ------------------------------------------------------------ JoinGroup */

static int join_and_rebalance(mock_req *req, mock_group *g, mock_group_member *m)
{
    /* The first member decides the group's protocol type. */
    if (real_members(g) == 1 || !g->protocol_type) {
        char *type = strdup(m->protocol_type);
        if (!type) return join_error(req, kwire_cstr(m->member_id), KFK_ERR_UNKNOWN_SERVER_ERROR);
        free(g->protocol_type);
        g->protocol_type = type;
    }
    answer_join_error(req->mc, m, KFK_ERR_REBALANCE_IN_PROGRESS); /* an older join */
    park(&m->join, req);
    mock_group_member_touch(req->mc, m);
    rebalance_or_complete(req->mc, g);
    return MOCK_PARKED;
}

/* KIP-345: a static member rejoining without its member id takes over the
 * old one's place (and assignment) under a new id. */
static int static_rejoin(mock_req *req, mock_group *g, mock_group_member *m, const char *new_id,
                         const kp_join_group_request *r)
{
    mock_cluster *mc = req->mc;
    answer_join_error(mc, m, KFK_ERR_FENCED_INSTANCE_ID);
    answer_sync(mc, g, m, KFK_ERR_FENCED_INSTANCE_ID);
    char *old_leader = g->leader_id ? strdup(g->leader_id) : NULL;
    char *id = strdup(new_id);
    if (!id || (g->leader_id && !old_leader) || fill_member(req, m, r) ||
        (is_leader(g, m) && set_leader(g, id))) {
        free(id);
        free(old_leader);
        return join_error(req, null_str, KFK_ERR_UNKNOWN_SERVER_ERROR);
    }
    free(m->member_id);
    m->member_id = id;
    park(&m->join, req);
    mock_group_member_touch(mc, m);
    if (g->state == MOCK_GROUP_STABLE) {
        const char *proto = select_protocol(g);
        if (proto && g->protocol_name && strcmp(proto, g->protocol_name) == 0) {
            /* No rebalance. From v9 a returning leader skips assigning. */
            bool lead = is_leader(g, m);
            if (req->version >= 9)
                answer_join(mc, g, m, lead, lead, g->leader_id);
            else
                answer_join(mc, g, m, false, false, old_leader);
            free(old_leader);
            return MOCK_PARKED;
        }
        prepare_rebalance(mc, g);
    } else if (g->state == MOCK_GROUP_COMPLETING_REBALANCE) {
        prepare_rebalance(mc, g);
    } else {
        maybe_complete_join(mc, g);
    }
    free(old_leader);
    return MOCK_PARKED;
}

static int join_new_member(mock_req *req, const kp_join_group_request *r)
{
    kfk_err err;
    mock_group *g = mock_group_get(req->mc, r->group_id, MOCK_GROUP_CLASSIC, &err);
    if (!g) return join_error(req, KWIRE_EMPTY, err);
    if (!supports_protocols(g, NULL, r)) {
        mock_group_drop_if_unused(req->mc, g);
        return join_error(req, KWIRE_EMPTY, KFK_ERR_INCONSISTENT_GROUP_PROTOCOL);
    }
    bool is_static = r->group_instance_id.ptr != NULL;
    char id[MEMBER_ID_MAX];
    mock_group_member_id_new(id, sizeof(id), is_static ? r->group_instance_id : req->client_id);
    if (is_static) {
        mock_group_member *old = mock_group_member_find_instance(g, r->group_instance_id);
        if (old) return static_rejoin(req, g, old, id, r);
    }
    mock_group_member *m = mock_group_member_add(g, kwire_cstr(id));
    if (!m || fill_member(req, m, r) ||
        (is_static && !(m->instance_id = mock_strdup_slice(r->group_instance_id)))) {
        if (m) mock_group_member_remove(req->mc, m);
        mock_group_drop_if_unused(req->mc, g);
        return join_error(req, KWIRE_EMPTY, KFK_ERR_UNKNOWN_SERVER_ERROR);
    }
    if (!is_static && req->version >= 4) {
        m->pending = true; /* until it rejoins with the id; expires like a session */
        mock_group_member_touch(req->mc, m);
        return join_error(req, kwire_cstr(id), KFK_ERR_MEMBER_ID_REQUIRED);
    }
    return join_and_rebalance(req, g, m);
}

/* Kafka's validateMember: a static member's instance must map to this id. */
static kfk_err validate_member(mock_group *g, kslice member_id, kslice instance_id,
                               mock_group_member **out)
{
    *out = NULL;
    if (instance_id.ptr) {
        mock_group_member *s = mock_group_member_find_instance(g, instance_id);
        if (!s) return KFK_ERR_UNKNOWN_MEMBER_ID;
        if (!kwire_eq(kwire_cstr(s->member_id), member_id)) return KFK_ERR_FENCED_INSTANCE_ID;
    }
    mock_group_member *m = mock_group_member_find(g, member_id);
    if (!m || m->pending) return KFK_ERR_UNKNOWN_MEMBER_ID;
    *out = m;
    return KFK_OK;
}

/* The current generation again, for a member that may have missed it. */
static int join_current(mock_req *req, mock_group *g, mock_group_member *m, bool with_members)
{
    kp_join_group_response resp;
    if (join_result(g, m, req->version, with_members, false, g->leader_id, &resp)) {
        free(resp.members);
        return join_error(req, kwire_cstr(m->member_id), KFK_ERR_UNKNOWN_SERVER_ERROR);
    }
    mock_group_member_touch(req->mc, m);
    int rc = mock_respond(req, &resp);
    free(resp.members);
    return rc;
}

static int join_existing_member(mock_req *req, const kp_join_group_request *r)
{
    mock_group *g = mock_group_find(req->mc, r->group_id);
    if (!g || g->type != MOCK_GROUP_CLASSIC)
        return join_error(req, r->member_id, KFK_ERR_UNKNOWN_MEMBER_ID);
    mock_group_member *m = mock_group_member_find(g, r->member_id);
    if (!supports_protocols(g, m, r))
        return join_error(req, r->member_id, KFK_ERR_INCONSISTENT_GROUP_PROTOCOL);
    if (m && m->pending) {
        m->pending = false;
        if (fill_member(req, m, r)) {
            remove_member(req->mc, g, m, KFK_ERR_UNKNOWN_MEMBER_ID);
            return join_error(req, r->member_id, KFK_ERR_UNKNOWN_SERVER_ERROR);
        }
        return join_and_rebalance(req, g, m);
    }
    kfk_err err = validate_member(g, r->member_id, r->group_instance_id, &m);
    if (err) return join_error(req, r->member_id, err);
    bool same = protocols_match(m, r);
    switch (g->state) {
    case MOCK_GROUP_COMPLETING_REBALANCE:
        if (same) return join_current(req, g, m, is_leader(g, m));
        break;
    case MOCK_GROUP_STABLE:
        /* A leader's join forces a rebalance (topic metadata changed). */
        if (same && !is_leader(g, m)) return join_current(req, g, m, false);
        break;
    case MOCK_GROUP_PREPARING_REBALANCE:
        break;
    default:
        return join_error(req, r->member_id, KFK_ERR_UNKNOWN_MEMBER_ID);
    }
    if (fill_member(req, m, r)) return join_error(req, r->member_id, KFK_ERR_UNKNOWN_SERVER_ERROR);
    return join_and_rebalance(req, g, m);
}

int mock_handle_join_group(mock_req *req)
{
    kp_join_group_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    if (req->version == 0) r.rebalance_timeout_ms = r.session_timeout_ms; /* v0 has none */
    if (req->version < 5) r.group_instance_id = null_str;
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, r.group_id);
    const mock_groups *gs = &req->mc->groups;
    if (!err &&
        (r.session_timeout_ms < gs->min_session_ms || r.session_timeout_ms > gs->max_session_ms))
        err = KFK_ERR_INVALID_SESSION_TIMEOUT;
    if (err) return join_error(req, r.member_id, err);
    if (r.member_id.len == 0) return join_new_member(req, &r);
    return join_existing_member(req, &r);
}

/* ------------------------------------------------------------ SyncGroup */

static int sync_error(mock_req *req, kfk_err err)
{
    kp_sync_group_response resp;
    sync_resp(NULL, NULL, err, &resp);
    return mock_respond(req, &resp);
}

/* The leader's SyncGroup: every member's assignment (empty when the
 * leader gave none), then everyone waiting gets theirs. */
static void leader_assign(mock_cluster *mc, mock_group *g, const kp_sync_group_request *r)
{
    for (size_t i = 0; i < g->n_members; i++)
        clear_assignment(g->members[i]);
    for (int32_t i = 0; i < r->n_assignments; i++) {
        mock_group_member *m = mock_group_member_find(g, r->assignments[i].member_id);
        kslice a = r->assignments[i].assignment;
        if (!m || m->pending) continue;
        clear_assignment(m);
        if (a.len && (m->assignment = malloc(a.len))) {
            memcpy(m->assignment, a.ptr, a.len);
            m->assignment_len = a.len;
        }
    }
    g->state = MOCK_GROUP_STABLE;
    for (size_t i = 0; i < g->n_members; i++)
        answer_sync(mc, g, g->members[i], KFK_OK);
}

int mock_handle_sync_group(mock_req *req)
{
    kp_sync_group_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    if (req->version < 3) r.group_instance_id = null_str;
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, r.group_id);
    if (err) return sync_error(req, err);
    mock_group *g = mock_group_find(req->mc, r.group_id);
    if (!g || g->type != MOCK_GROUP_CLASSIC) return sync_error(req, KFK_ERR_UNKNOWN_MEMBER_ID);
    mock_group_member *m;
    if ((err = validate_member(g, r.member_id, r.group_instance_id, &m)))
        return sync_error(req, err);
    if (r.generation_id != g->generation_id) return sync_error(req, KFK_ERR_ILLEGAL_GENERATION);
    if (req->version >= 5 &&
        ((r.protocol_type.ptr && !kwire_eq(r.protocol_type, str_or_empty(g->protocol_type))) ||
         (r.protocol_name.ptr && !kwire_eq(r.protocol_name, str_or_empty(g->protocol_name)))))
        return sync_error(req, KFK_ERR_INCONSISTENT_GROUP_PROTOCOL);
    if (g->state == MOCK_GROUP_COMPLETING_REBALANCE || g->state == MOCK_GROUP_STABLE)
        m->sync_due = false;
    switch (g->state) {
    case MOCK_GROUP_PREPARING_REBALANCE:
        return sync_error(req, KFK_ERR_REBALANCE_IN_PROGRESS);
    case MOCK_GROUP_COMPLETING_REBALANCE:
        answer_sync(req->mc, g, m, KFK_ERR_REBALANCE_IN_PROGRESS); /* an older sync */
        park(&m->sync, req);
        mock_group_member_touch(req->mc, m);
        if (is_leader(g, m)) leader_assign(req->mc, g, &r);
        return MOCK_PARKED;
    case MOCK_GROUP_STABLE: {
        mock_group_member_touch(req->mc, m);
        kp_sync_group_response resp;
        sync_resp(g, m, KFK_OK, &resp);
        return mock_respond(req, &resp);
    }
    default:
        return sync_error(req, KFK_ERR_UNKNOWN_MEMBER_ID);
    }
}

/* ------------------------------------------------------------ Heartbeat */

static int heartbeat_answer(mock_req *req, kfk_err err)
{
    kp_heartbeat_response resp;
    kp_heartbeat_response_init(&resp);
    resp.error_code = (int16_t)err;
    return mock_respond(req, &resp);
}

int mock_handle_heartbeat(mock_req *req)
{
    kp_heartbeat_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    if (req->version < 3) r.group_instance_id = null_str;
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, r.group_id);
    if (err) return heartbeat_answer(req, err);
    mock_group *g = mock_group_find(req->mc, r.group_id);
    if (!g || g->type != MOCK_GROUP_CLASSIC)
        return heartbeat_answer(req, KFK_ERR_UNKNOWN_MEMBER_ID);
    mock_group_member *m;
    if ((err = validate_member(g, r.member_id, r.group_instance_id, &m)))
        return heartbeat_answer(req, err);
    if (r.generation_id != g->generation_id)
        return heartbeat_answer(req, KFK_ERR_ILLEGAL_GENERATION);
    switch (g->state) {
    case MOCK_GROUP_PREPARING_REBALANCE:
        mock_group_member_touch(req->mc, m);
        return heartbeat_answer(req, KFK_ERR_REBALANCE_IN_PROGRESS);
    case MOCK_GROUP_COMPLETING_REBALANCE:
    case MOCK_GROUP_STABLE:
        mock_group_member_touch(req->mc, m);
        return heartbeat_answer(req, KFK_OK);
    default:
        return heartbeat_answer(req, KFK_ERR_UNKNOWN_MEMBER_ID);
    }
}

/* ----------------------------------------------------------- LeaveGroup */

/* Removes one leaving member; its error. */
static kfk_err leave_one(mock_cluster *mc, mock_group *g, kslice member_id, kslice instance_id)
{
    mock_group_member *m;
    if (instance_id.ptr) {
        m = mock_group_member_find_instance(g, instance_id);
        if (!m) return KFK_ERR_UNKNOWN_MEMBER_ID;
        /* An empty member id leaves by instance alone (admin removal). */
        if (member_id.len && !kwire_eq(kwire_cstr(m->member_id), member_id))
            return KFK_ERR_FENCED_INSTANCE_ID;
    } else {
        m = mock_group_member_find(g, member_id);
        if (!m) return KFK_ERR_UNKNOWN_MEMBER_ID;
    }
    remove_member(mc, g, m, KFK_ERR_UNKNOWN_MEMBER_ID);
    return KFK_OK;
}

int mock_handle_leave_group(mock_req *req)
{
    kp_leave_group_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_leave_group_response resp;
    kp_leave_group_response_init(&resp);
    kp_leave_group_request_member_identity one = {r.member_id, null_str, null_str};
    kp_leave_group_request_member_identity *ids = req->version >= 3 ? r.members : &one;
    int32_t n = req->version >= 3 ? r.n_members : 1;
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, r.group_id);
    mock_group *g = err ? NULL : mock_group_find(req->mc, r.group_id);
    if (g && g->type != MOCK_GROUP_CLASSIC) g = NULL;
    /* An unknown group: v3+ names each member unknown, older versions say
     * it at the top. */
    if (!err && !g && req->version < 3) err = KFK_ERR_UNKNOWN_MEMBER_ID;
    if (err) {
        resp.error_code = (int16_t)err;
        return mock_respond(req, &resp);
    }
    if (req->version >= 3) {
        resp.members = karena_alloc(req->arena, (size_t)(n > 0 ? n : 1) * sizeof(*resp.members));
        if (!resp.members) return MOCK_CLOSE;
        resp.n_members = n;
    }
    size_t before = g ? real_members(g) : 0;
    for (int32_t i = 0; i < n; i++) {
        kfk_err e = g ? leave_one(req->mc, g, ids[i].member_id, ids[i].group_instance_id)
                      : KFK_ERR_UNKNOWN_MEMBER_ID;
        if (req->version < 3) {
            resp.error_code = (int16_t)e;
            continue;
        }
        kp_leave_group_response_member_response *mr = &resp.members[i];
        kp_leave_group_response_member_response_init(mr);
        mr->member_id = ids[i].member_id;
        mr->group_instance_id = ids[i].group_instance_id;
        mr->error_code = (int16_t)e;
    }
    if (!g) return mock_respond(req, &resp);
    /* Pending members (KIP-394) leave without a rebalance. */
    if (real_members(g) != before)
        after_removal(req->mc, g);
    else
        maybe_complete_join(req->mc, g);
    return mock_respond(req, &resp);
}
