/* ShareGroupHeartbeat (KIP-932) in the mock: membership of share groups
 * and their assignment.
 *
 *  - A member names itself (a client-made member id), joins with epoch 0
 *    and its subscribed topics, heartbeats with its current epoch, and
 *    leaves with -1. An unknown member id gets UNKNOWN_MEMBER_ID, an epoch
 *    other than the member's FENCED_MEMBER_EPOCH.
 *  - The group epoch grows whenever the assignment changes (membership,
 *    subscriptions, partition counts). The assignor ("simple") spreads each
 *    subscribed topic's partitions over the members subscribed to it in
 *    member id order; with more members than partitions the extra members
 *    share partitions, as several members of a share group may read one
 *    partition. No reconciliation: a member takes its new assignment, and
 *    the group epoch as its member epoch, on its next heartbeat.
 *  - A member's session ends group.share.session.timeout.ms after its last
 *    heartbeat; leaving or expiring closes its share sessions, which
 *    releases the records it held.
 *  - A group id that names a group of another type is GROUP_ID_NOT_FOUND.
 * Loop thread, mc->lock held. */
#include <stdlib.h>
#include <string.h>

#include "mock/share.h"
#include "proto/gen/share_group_heartbeat.h"

#define SHARE_CLIENT_HOST "/127.0.0.1"

typedef struct sg_answer {
    kfk_err err;
    const char *msg;
} sg_answer;

static void share_group_free(void *p)
{
    mock_share_group *sg = p;
    for (size_t i = 0; i < sg->n_parts; i++) {
        free(sg->parts[i]->recs);
        free(sg->parts[i]);
    }
    free(sg->parts);
    for (size_t i = 0; i < sg->n_sessions; i++) {
        free(sg->sessions[i]->member_id);
        free(sg->sessions[i]->tps);
        free(sg->sessions[i]);
    }
    free(sg->sessions);
    free(sg);
}

mock_share_group *mock_share_group_of(mock_group *g)
{
    if (!g->ext) {
        mock_share_group *sg = calloc(1, sizeof(mock_share_group));
        if (!sg) return NULL;
        sg->group = g;
        g->ext = sg;
        g->ext_free = share_group_free;
    }
    return g->ext_free == share_group_free ? g->ext : NULL;
}

int32_t mock_share_lock_ms(mock_cluster *mc, const mock_share_group *sg)
{
    return mock_group_conf_share_lock_ms(mc, kwire_cstr(sg->group->group_id));
}

/* --- the assignor --------------------------------------------------------------- */

static bool subscribes(const mock_group_member *m, const char *topic)
{
    for (int32_t i = 0; i < m->n_subscribed_topic_names; i++)
        if (strcmp(m->subscribed_topic_names[i], topic) == 0) return true;
    return false;
}

static int by_member_id(const void *a, const void *b)
{
    const mock_group_member *x = *(mock_group_member *const *)a;
    const mock_group_member *y = *(mock_group_member *const *)b;
    return strcmp(x->member_id, y->member_id);
}

typedef struct target {
    mock_group_tp *v;
    int32_t n, cap;
} target;

static int target_push(target *t, const kuuid *id, int32_t partition)
{
    if (t->n == t->cap) {
        int32_t c = t->cap ? 2 * t->cap : 8;
        mock_group_tp *nv = realloc(t->v, (size_t)c * sizeof(*nv));
        if (!nv) return -1;
        t->v = nv;
        t->cap = c;
    }
    t->v[t->n++] = (mock_group_tp){.topic_id = *id, .partition = partition};
    return 0;
}

/* Adds topic t's partitions to the targets of the members (sorted) that
 * subscribe to it. */
static int assign_topic(const mock_topic *t, mock_group_member **ms, size_t n, target *tg)
{
    size_t k = 0;
    size_t *sub = malloc((n ? n : 1) * sizeof(*sub)); /* indexes of subscribers */
    if (!sub) return -1;
    for (size_t i = 0; i < n; i++)
        if (subscribes(ms[i], t->name)) sub[k++] = i;
    int rc = 0;
    if (k && t->n_parts) {
        size_t rounds = k > (size_t)t->n_parts ? k : (size_t)t->n_parts;
        for (size_t j = 0; j < rounds && !rc; j++)
            rc = target_push(&tg[sub[j % k]], &t->id, (int32_t)(j % (size_t)t->n_parts));
    }
    free(sub);
    return rc;
}

static bool same_set(const mock_group_tp *a, int32_t na, const mock_group_tp *b, int32_t nb)
{
    if (na != nb) return false;
    for (int32_t i = 0; i < na; i++) {
        bool found = false;
        for (int32_t j = 0; j < nb && !found; j++)
            found = a[i].partition == b[j].partition &&
                    memcmp(a[i].topic_id.b, b[j].topic_id.b, 16) == 0;
        if (!found) return false;
    }
    return true;
}

/* The share-partitions of a new assignment start now, so that
 * share.auto.offset.reset=latest means "from when the group got them". */
static int init_parts(mock_cluster *mc, mock_group *g, const target *t)
{
    mock_share_group *sg = mock_share_group_of(g);
    if (!sg) return -1;
    for (int32_t i = 0; i < t->n; i++) {
        mock_topic *tp = mock_topic_find_id(mc, &t->v[i].topic_id);
        mock_partition *p = tp ? mock_partition_find(tp, t->v[i].partition) : NULL;
        if (p && !mock_share_part_get(mc, sg, p)) return -1;
    }
    return 0;
}

/* Recomputes every member's assignment; bumps the group epoch when it
 * changed (or force). */
static int reassign(mock_cluster *mc, mock_group *g, bool force)
{
    size_t n = g->n_members;
    mock_group_member **ms = malloc((n ? n : 1) * sizeof(*ms));
    target *tg = calloc(n ? n : 1, sizeof(*tg));
    int rc = ms && tg ? 0 : -1;
    if (!rc) {
        memcpy(ms, g->members, n * sizeof(*ms));
        qsort(ms, n, sizeof(*ms), by_member_id);
        for (size_t i = 0; i < mc->n_topics && !rc; i++)
            rc = assign_topic(mc->topics[i], ms, n, tg);
    }
    bool changed = force;
    for (size_t i = 0; i < n && !rc && !changed; i++)
        changed = !same_set(tg[i].v, tg[i].n, ms[i]->assigned, ms[i]->n_assigned);
    for (size_t i = 0; i < n && !rc && changed; i++) {
        rc = init_parts(mc, g, &tg[i]);
        free(ms[i]->assigned);
        ms[i]->assigned = tg[i].v;
        ms[i]->n_assigned = tg[i].n;
        tg[i].v = NULL;
    }
    if (!rc && changed) g->assignment_epoch = ++g->group_epoch;
    for (size_t i = 0; tg && i < n; i++)
        free(tg[i].v);
    free(tg);
    free(ms);
    g->state = g->n_members ? MOCK_GROUP_STABLE : MOCK_GROUP_EMPTY;
    return rc;
}

/* --- members -------------------------------------------------------------------- */

static void remove_member(mock_cluster *mc, mock_group_member *m)
{
    mock_group *g = m->group;
    mock_share_member_gone(mc, g, m->member_id);
    mock_group_member_remove(mc, m);
    reassign(mc, g, true);
}

static void on_expire(mock_cluster *mc, mock_group_member *m)
{
    remove_member(mc, m);
}

static bool same_subscription(const mock_group_member *m, const kslice *names, int32_t n)
{
    if (m->n_subscribed_topic_names != n) return false;
    for (int32_t i = 0; i < n; i++) {
        const char *s = m->subscribed_topic_names[i];
        if (strlen(s) != names[i].len || memcmp(s, names[i].ptr, names[i].len) != 0) return false;
    }
    return true;
}

static int set_subscription(mock_group_member *m, const kslice *names, int32_t n)
{
    char **v = calloc(n ? (size_t)n : 1, sizeof(*v));
    if (!v) return -1;
    for (int32_t i = 0; i < n; i++)
        if (!(v[i] = mock_strdup_slice(names[i]))) {
            while (i--)
                free(v[i]);
            free(v);
            return -1;
        }
    for (int32_t i = 0; i < m->n_subscribed_topic_names; i++)
        free(m->subscribed_topic_names[i]);
    free(m->subscribed_topic_names);
    m->subscribed_topic_names = v;
    m->n_subscribed_topic_names = n;
    return 0;
}

/* Keeps the rack the request names (a null one changes nothing). */
static int set_rack(mock_group_member *m, kslice rack_id)
{
    if (!rack_id.ptr) return 0;
    char *rack = mock_strdup_slice(rack_id);
    if (!rack) return -1;
    free(m->rack_id);
    m->rack_id = rack;
    return 0;
}

static mock_group_member *join(mock_req *req, mock_group *g, kslice member_id)
{
    mock_group_member *m = mock_group_member_find(g, member_id);
    if (m) return m;
    m = mock_group_member_add(g, member_id);
    if (!m) return NULL;
    m->client_id = mock_strdup_slice(req->client_id);
    m->client_host = strdup(SHARE_CLIENT_HOST);
    if (!m->client_id || !m->client_host) {
        mock_group_member_remove(req->mc, m);
        return NULL;
    }
    m->on_expire = on_expire;
    m->session_timeout_ms = req->mc->share.session_ms;
    return m;
}

static sg_answer validate(const kp_share_group_heartbeat_request *r)
{
    if (!r->group_id.len) return (sg_answer){KFK_ERR_INVALID_REQUEST, "GroupId can't be empty."};
    if (!r->member_id.len) return (sg_answer){KFK_ERR_INVALID_REQUEST, "MemberId can't be empty."};
    if (r->member_epoch < -1)
        return (sg_answer){KFK_ERR_INVALID_REQUEST, "MemberEpoch is invalid."};
    if (r->member_epoch == 0 && (!r->subscribed_topic_names || !r->n_subscribed_topic_names))
        return (sg_answer){KFK_ERR_INVALID_REQUEST,
                           "SubscribedTopicNames must be set in first request."};
    return (sg_answer){KFK_OK, NULL};
}

/* The heartbeat's effect on the group: the member (NULL when it left or
 * on error, in *ans). */
static mock_group_member *heartbeat(mock_req *req, const kp_share_group_heartbeat_request *r,
                                    sg_answer *ans)
{
    mock_cluster *mc = req->mc;
    *ans = validate(r);
    if (ans->err) return NULL;
    if ((ans->err = mock_group_coordinator_check(req, r->group_id))) return NULL;
    mock_group *g = mock_group_find(mc, r->group_id);
    if (g && g->type != MOCK_GROUP_SHARE) {
        *ans = (sg_answer){KFK_ERR_GROUP_ID_NOT_FOUND, "Group is not a share group."};
        return NULL;
    }
    mock_group_member *m = g ? mock_group_member_find(g, r->member_id) : NULL;
    if (r->member_epoch != 0 && !m) {
        *ans = (sg_answer){KFK_ERR_UNKNOWN_MEMBER_ID, "Member is not in the group."};
        return NULL;
    }
    if (r->member_epoch == -1) {
        remove_member(mc, m);
        return NULL;
    }
    if (m && r->member_epoch != 0 && r->member_epoch != m->member_epoch) {
        *ans = (sg_answer){KFK_ERR_FENCED_MEMBER_EPOCH, "The member epoch is not current."};
        return NULL;
    }
    if (!g && !(g = mock_group_get(mc, r->group_id, MOCK_GROUP_SHARE, &ans->err))) return NULL;
    bool new_member = !m;
    if (!m && !(m = join(req, g, r->member_id))) {
        *ans = (sg_answer){KFK_ERR_NO_MEMORY, NULL};
        return NULL;
    }
    bool sub_changed = r->subscribed_topic_names && !same_subscription(m, r->subscribed_topic_names,
                                                                       r->n_subscribed_topic_names);
    if ((sub_changed &&
         set_subscription(m, r->subscribed_topic_names, r->n_subscribed_topic_names)) ||
        set_rack(m, r->rack_id) || mock_group_member_touch(mc, m) ||
        reassign(mc, g, new_member || sub_changed)) {
        *ans = (sg_answer){KFK_ERR_NO_MEMORY, NULL};
        return NULL;
    }
    return m;
}

static int respond_assignment(mock_req *req, kp_share_group_heartbeat_response *resp,
                              const mock_group_member *m)
{
    kp_share_group_heartbeat_response_assignment *a = karena_alloc(req->arena, sizeof(*a));
    int32_t n = m->n_assigned;
    kp_share_group_heartbeat_response_topic_partitions *tps =
        karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*tps));
    int32_t *parts = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(int32_t));
    if (!a || !tps || !parts) return -1;
    kp_share_group_heartbeat_response_assignment_init(a);
    a->topic_partitions = tps;
    int32_t used = 0;
    for (int32_t i = 0; i < n; i++) {
        kp_share_group_heartbeat_response_topic_partitions *t = NULL;
        for (int32_t k = 0; k < a->n_topic_partitions && !t; k++)
            if (!memcmp(tps[k].topic_id.b, m->assigned[i].topic_id.b, 16)) t = &tps[k];
        if (!t) {
            /* One run of parts per topic: count its partitions first. */
            t = &tps[a->n_topic_partitions++];
            kp_share_group_heartbeat_response_topic_partitions_init(t);
            t->topic_id = m->assigned[i].topic_id;
            t->partitions = parts + used;
            for (int32_t k = i; k < n; k++)
                if (!memcmp(m->assigned[k].topic_id.b, t->topic_id.b, 16)) used++;
        }
        t->partitions[t->n_partitions++] = m->assigned[i].partition;
    }
    resp->assignment = a;
    return 0;
}

int mock_handle_share_group_heartbeat(mock_req *req)
{
    kp_share_group_heartbeat_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_share_group_heartbeat_response resp;
    kp_share_group_heartbeat_response_init(&resp);
    if (req->inject) {
        resp.error_code = (int16_t)req->inject;
        return mock_respond(req, &resp);
    }
    sg_answer ans;
    mock_group_member *m = heartbeat(req, &r, &ans);
    resp.error_code = (int16_t)ans.err;
    resp.error_message = ans.msg ? mock_errmsg(ans.msg) : (kslice){NULL, 0};
    if (ans.err) return mock_respond(req, &resp);
    resp.member_id = r.member_id;
    resp.member_epoch = -1;
    resp.heartbeat_interval_ms = req->mc->share.hb_ms;
    if (!m) return mock_respond(req, &resp); /* left */
    mock_group *g = m->group;
    /* The member takes the group's current assignment (and epoch) now. */
    bool send = r.member_epoch == 0 || m->member_epoch != g->group_epoch;
    m->member_epoch = g->group_epoch;
    resp.member_epoch = m->member_epoch;
    if (send && respond_assignment(req, &resp, m) < 0) return MOCK_CLOSE;
    return mock_respond(req, &resp);
}
