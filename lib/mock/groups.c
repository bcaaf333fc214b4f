/* The group registry: groups by id, their members and committed offsets,
 * session timers, and answering requests a group kept parked. See
 * groups.h. Loop thread (or a control function), mc->lock held. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/time.h"
#include "mock/groups.h"

#define DEFAULT_MIN_SESSION_MS 6000    /* group.min.session.timeout.ms */
#define DEFAULT_MAX_SESSION_MS 1800000 /* group.max.session.timeout.ms */
#define DEFAULT_CONSUMER_SESSION_MS 45000
#define DEFAULT_CONSUMER_HB_MS 5000

char *mock_strdup_slice(kslice s)
{
    char *p = malloc(s.len + 1);
    if (!p) return NULL;
    if (s.len) memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

static bool eq_cstr(const char *a, kslice b)
{
    return a && kwire_eq(kwire_cstr(a), b);
}

const char *mock_group_state_name(mock_group_state s)
{
    switch (s) {
    case MOCK_GROUP_EMPTY:
        return "Empty";
    case MOCK_GROUP_PREPARING_REBALANCE:
        return "PreparingRebalance";
    case MOCK_GROUP_COMPLETING_REBALANCE:
        return "CompletingRebalance";
    case MOCK_GROUP_ASSIGNING:
        return "Assigning";
    case MOCK_GROUP_RECONCILING:
        return "Reconciling";
    case MOCK_GROUP_STABLE:
        return "Stable";
    case MOCK_GROUP_DEAD:
        return "Dead";
    }
    return "Unknown";
}

void mock_groups_init(mock_groups *gs)
{
    memset(gs, 0, sizeof(*gs));
    gs->min_session_ms = DEFAULT_MIN_SESSION_MS;
    gs->max_session_ms = DEFAULT_MAX_SESSION_MS;
    gs->consumer_session_ms = DEFAULT_CONSUMER_SESSION_MS;
    gs->consumer_hb_ms = DEFAULT_CONSUMER_HB_MS;
}

kfk_err kfk_mock_set_group_session_timeouts(kfk_mock_cluster *mc, int min_ms, int max_ms)
{
    if (!mc || min_ms <= 0 || max_ms < min_ms) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->groups.min_session_ms = min_ms;
    mc->groups.max_session_ms = max_ms;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}

kfk_err kfk_mock_set_consumer_group_timeouts(kfk_mock_cluster *mc, int session_ms, int heartbeat_ms)
{
    if (!mc || heartbeat_ms <= 0 || session_ms <= heartbeat_ms) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->groups.consumer_session_ms = session_ms;
    mc->groups.consumer_hb_ms = heartbeat_ms;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}

kfk_err mock_group_coordinator_check(mock_req *req, kslice group_id)
{
    if (!group_id.ptr || group_id.len == 0) return KFK_ERR_INVALID_GROUP_ID;
    int32_t id = mock_coordinator(req->mc, 0, group_id);
    if (id < 0) return KFK_ERR_COORDINATOR_NOT_AVAILABLE;
    return id == req->broker->id ? KFK_OK : KFK_ERR_NOT_COORDINATOR;
}

/* ---------------------------------------------------------------- members */

static void protocols_free(mock_group_member *m)
{
    for (int32_t i = 0; i < m->n_protocols; i++) {
        free(m->protocols[i].name);
        free(m->protocols[i].metadata);
    }
    free(m->protocols);
    m->protocols = NULL;
    m->n_protocols = 0;
}

static void member_free(mock_group_member *m)
{
    if (m->ext_free && m->ext) m->ext_free(m->ext);
    free(m->member_id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    free(m->protocol_type);
    protocols_free(m);
    free(m->assignment);
    for (int32_t i = 0; i < m->n_subscribed_topic_names; i++)
        free(m->subscribed_topic_names[i]);
    free(m->subscribed_topic_names);
    free(m->subscribed_topic_regex);
    free(m->server_assignor);
    free(m->rack_id);
    free(m->assigned);
    free(m->pending_revocation);
    free(m);
}

mock_group_member *mock_group_member_find(mock_group *g, kslice member_id)
{
    for (size_t i = 0; i < g->n_members; i++)
        if (eq_cstr(g->members[i]->member_id, member_id)) return g->members[i];
    return NULL;
}

mock_group_member *mock_group_member_find_instance(mock_group *g, kslice instance_id)
{
    if (!instance_id.ptr) return NULL;
    for (size_t i = 0; i < g->n_members; i++)
        if (eq_cstr(g->members[i]->instance_id, instance_id)) return g->members[i];
    return NULL;
}

static void on_session_timer(mock_cluster *mc, mock_timer *t)
{
    mock_group_member *m = container_of(t, mock_group_member, session_timer);
    if (m->on_expire) m->on_expire(mc, m);
}

mock_group_member *mock_group_member_add(mock_group *g, kslice member_id)
{
    if (g->n_members == g->cap_members) {
        size_t cap = g->cap_members ? g->cap_members * 2 : 8;
        mock_group_member **v = realloc(g->members, cap * sizeof(*v));
        if (!v) return NULL;
        g->members = v;
        g->cap_members = cap;
    }
    mock_group_member *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    if (!(m->member_id = mock_strdup_slice(member_id))) {
        free(m);
        return NULL;
    }
    m->group = g;
    m->session_timer.fn = on_session_timer;
    g->members[g->n_members++] = m;
    return m;
}

void mock_group_member_remove(mock_cluster *mc, mock_group_member *m)
{
    mock_group *g = m->group;
    mock_timer_stop(mc, &m->session_timer);
    for (size_t i = 0; i < g->n_members; i++) {
        if (g->members[i] != m) continue;
        memmove(&g->members[i], &g->members[i + 1], (g->n_members - i - 1) * sizeof(m));
        g->n_members--;
        break;
    }
    member_free(m);
}

void mock_group_member_id_new(char *out, size_t out_len, kslice prefix)
{
    uint8_t u[16];
    mock_random(u, sizeof(u));
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* a version 4 UUID, as Java's randomUUID */
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    char hex[37];
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) hex[k++] = '-';
        k += (size_t)snprintf(hex + k, sizeof(hex) - k, "%02x", u[i]);
    }
    hex[k] = '\0';
    snprintf(out, out_len, "%.*s%s%s", (int)prefix.len, prefix.ptr ? (const char *)prefix.ptr : "",
             prefix.len ? "-" : "", hex);
}

int mock_group_member_touch(mock_cluster *mc, mock_group_member *m)
{
    int64_t now = ktime_mono_ns();
    m->last_heartbeat_ns = now;
    return mock_timer_start(mc, &m->session_timer, now + (int64_t)m->session_timeout_ms * 1000000);
}

/* ----------------------------------------------------------------- groups */

static void classic_clear(mock_group *g)
{
    free(g->protocol_type);
    free(g->protocol_name);
    free(g->leader_id);
    g->protocol_type = g->protocol_name = g->leader_id = NULL;
}

static void group_free(mock_cluster *mc, mock_group *g)
{
    while (g->n_members)
        mock_group_member_remove(mc, g->members[g->n_members - 1]);
    free(g->members);
    mock_timer_stop(mc, &g->join_timer);
    mock_timer_stop(mc, &g->sync_timer);
    for (size_t i = 0; i < g->n_offsets; i++) {
        free(g->offsets[i].topic);
        free(g->offsets[i].metadata);
    }
    free(g->offsets);
    classic_clear(g);
    if (g->ext_free && g->ext) g->ext_free(g->ext);
    free(g->group_id);
    free(g);
}

void mock_groups_free(mock_cluster *mc)
{
    mock_groups *gs = &mc->groups;
    for (size_t i = 0; i < gs->n; i++)
        group_free(mc, gs->v[i]);
    free(gs->v);
    free(gs->unpark);
    mock_group_confs_free(gs);
    gs->v = NULL;
    gs->unpark = NULL;
    gs->n = gs->n_unpark = 0;
}

void mock_group_drop_if_unused(mock_cluster *mc, mock_group *g)
{
    if (g->n_members || g->n_offsets || g->state != MOCK_GROUP_EMPTY || g->generation_id ||
        g->group_epoch)
        return;
    mock_groups *gs = &mc->groups;
    for (size_t i = 0; i < gs->n; i++) {
        if (gs->v[i] != g) continue;
        gs->v[i] = gs->v[--gs->n];
        group_free(mc, g);
        return;
    }
}

void mock_group_delete(mock_cluster *mc, mock_group *g)
{
    mock_groups *gs = &mc->groups;
    for (size_t i = 0; i < gs->n; i++) {
        if (gs->v[i] != g) continue;
        gs->v[i] = gs->v[--gs->n];
        group_free(mc, g);
        return;
    }
}

mock_group *mock_group_find(mock_cluster *mc, kslice group_id)
{
    for (size_t i = 0; i < mc->groups.n; i++)
        if (eq_cstr(mc->groups.v[i]->group_id, group_id)) return mc->groups.v[i];
    return NULL;
}

static mock_group *group_add(mock_cluster *mc, kslice group_id, mock_group_type type)
{
    mock_groups *gs = &mc->groups;
    if (gs->n == gs->cap) {
        size_t cap = gs->cap ? gs->cap * 2 : 16;
        mock_group **v = realloc(gs->v, cap * sizeof(*v));
        if (!v) return NULL;
        gs->v = v;
        gs->cap = cap;
    }
    mock_group *g = calloc(1, sizeof(*g));
    if (!g) return NULL;
    if (!(g->group_id = mock_strdup_slice(group_id))) {
        free(g);
        return NULL;
    }
    g->type = type;
    g->state = MOCK_GROUP_EMPTY;
    gs->v[gs->n++] = g;
    return g;
}

mock_group *mock_group_get(mock_cluster *mc, kslice group_id, mock_group_type type, kfk_err *err)
{
    *err = KFK_OK;
    mock_group *g = mock_group_find(mc, group_id);
    if (!g) {
        g = group_add(mc, group_id, type);
        if (!g) *err = KFK_ERR_NO_MEMORY;
        return g;
    }
    if (g->type == type) return g;
    if (g->n_members) {
        *err = type == MOCK_GROUP_CLASSIC ? KFK_ERR_INCONSISTENT_GROUP_PROTOCOL
                                          : KFK_ERR_GROUP_ID_NOT_FOUND;
        return NULL;
    }
    /* An empty group changes protocol keeping its offsets, as Kafka
     * converts an empty classic group on the first KIP-848 heartbeat. */
    mock_timer_stop(mc, &g->join_timer);
    mock_timer_stop(mc, &g->sync_timer);
    classic_clear(g);
    if (g->ext_free && g->ext) g->ext_free(g->ext);
    g->ext = NULL;
    g->ext_free = NULL;
    g->type = type;
    g->state = MOCK_GROUP_EMPTY;
    g->generation_id = 0;
    g->group_epoch = g->assignment_epoch = 0;
    return g;
}

/* ---------------------------------------------------------------- offsets */

mock_group_offset *mock_group_offset_find(mock_group *g, kslice topic, int32_t partition)
{
    for (size_t i = 0; i < g->n_offsets; i++)
        if (g->offsets[i].partition == partition && eq_cstr(g->offsets[i].topic, topic))
            return &g->offsets[i];
    return NULL;
}

void mock_group_offset_remove(mock_group *g, mock_group_offset *o)
{
    free(o->topic);
    free(o->metadata);
    *o = g->offsets[--g->n_offsets];
}

kfk_err mock_group_offset_set(mock_group *g, kslice topic, int32_t partition, int64_t offset,
                              int32_t leader_epoch, kslice metadata)
{
    char *md = NULL;
    if (metadata.ptr && !(md = mock_strdup_slice(metadata))) return KFK_ERR_NO_MEMORY;
    mock_group_offset *o = mock_group_offset_find(g, topic, partition);
    if (!o) {
        if (g->n_offsets == g->cap_offsets) {
            size_t cap = g->cap_offsets ? g->cap_offsets * 2 : 16;
            mock_group_offset *v = realloc(g->offsets, cap * sizeof(*v));
            if (!v) {
                free(md);
                return KFK_ERR_NO_MEMORY;
            }
            g->offsets = v;
            g->cap_offsets = cap;
        }
        char *name = mock_strdup_slice(topic);
        if (!name) {
            free(md);
            return KFK_ERR_NO_MEMORY;
        }
        o = &g->offsets[g->n_offsets++];
        *o = (mock_group_offset){.topic = name, .partition = partition};
    }
    free(o->metadata);
    o->offset = offset;
    o->leader_epoch = leader_epoch;
    o->metadata = md;
    o->metadata_len = metadata.len;
    o->commit_ms = ktime_wall_ms();
    return KFK_OK;
}

/* ------------------------------------------------------- parked requests */

static int unpark_push(mock_groups *gs, mock_conn *c)
{
    if (gs->n_unpark == gs->cap_unpark) {
        size_t cap = gs->cap_unpark ? gs->cap_unpark * 2 : 16;
        mock_conn **v = realloc(gs->unpark, cap * sizeof(*v));
        if (!v) return -1;
        gs->unpark = v;
        gs->cap_unpark = cap;
    }
    gs->unpark[gs->n_unpark++] = c;
    return 0;
}

int mock_group_answer(mock_cluster *mc, mock_group_park *p, int16_t key, const void *resp)
{
    mock_conn *c = p->conn;
    p->waiting = false;
    p->conn = NULL;
    if (!c) return 0;
    mock_req req = {
        .mc = mc,
        .broker = mock_conn_broker(c),
        .conn = c,
        .key = key,
        .version = p->version,
        .correlation_id = p->correlation_id,
        .recv_ns = ktime_mono_ns(),
    };
    /* Resuming the connection now could run its next request while the
     * caller is half-way through a group change: resume after the pass. */
    if (mock_respond(&req, resp) != MOCK_DONE || unpark_push(&mc->groups, c)) {
        mock_conn_close(c);
        return -1;
    }
    return 0;
}

void mock_groups_unpark_all(mock_cluster *mc)
{
    mock_groups *gs = &mc->groups;
    while (gs->n_unpark) {
        mock_conn *c = gs->unpark[--gs->n_unpark];
        mock_conn_unpark(c); /* may queue more */
    }
}

void mock_groups_conn_closed(mock_cluster *mc, mock_conn *c)
{
    mock_groups *gs = &mc->groups;
    for (size_t i = 0; i < gs->n; i++) {
        mock_group *g = gs->v[i];
        for (size_t k = 0; k < g->n_members; k++) {
            mock_group_member *m = g->members[k];
            if (m->join.conn == c) m->join.conn = NULL;
            if (m->sync.conn == c) m->sync.conn = NULL;
        }
    }
    for (size_t i = 0; i < gs->n_unpark; i++)
        if (gs->unpark[i] == c) gs->unpark[i--] = gs->unpark[--gs->n_unpark];
}
