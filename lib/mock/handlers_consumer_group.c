/* ConsumerGroupHeartbeat (KIP-848) in the mock: the broker side of the
 * consumer group protocol, modelled on Kafka's GroupMetadataManager and
 * CurrentAssignmentBuilder, small enough to read.
 *
 *  - The group epoch grows whenever membership, a subscription, or the
 *    partitions of a subscribed topic change; the target assignment is
 *    then recomputed (assignment epoch = group epoch) by one server-side
 *    assignor: a range split of each topic's partitions over the members
 *    subscribed to it, in member id order. "uniform" and "range" (and
 *    null, the default) all select it; any other name is
 *    UNSUPPORTED_ASSIGNOR.
 *  - Each member converges on its target one heartbeat at a time: a
 *    member that owns partitions its target lacks keeps its epoch and is
 *    asked to revoke them (UNREVOKED_PARTITIONS) until a heartbeat's owned
 *    partitions no longer list them; a partition still owned (assigned or
 *    pending revocation) by another member is withheld
 *    (UNRELEASED_PARTITIONS) until that member lets it go. Only then does
 *    the member's epoch reach the assignment epoch.
 *  - Epochs: a heartbeat with a newer epoch than the member's, or an older
 *    one that is not its previous epoch with owned partitions inside its
 *    assignment, gets FENCED_MEMBER_EPOCH; an unknown member id
 *    UNKNOWN_MEMBER_ID. Epoch -1 leaves; -2 (static members) keeps the
 *    member and its partitions until its session expires or the same
 *    group.instance.id rejoins.
 *  - Sessions: group.consumer.session.timeout.ms after the last heartbeat
 *    the member is removed; so is one that has not revoked what it was
 *    asked to within its rebalance timeout.
 * Loop thread, mc->lock held. */
#include <stdlib.h>
#include <string.h>

#include "base/regex.h"
#include "base/time.h"
#include "mock/groups.h"
#include "mock/mock.h"
#include "proto/gen/consumer_group_heartbeat.h"

/* Per member: the target assignment. */
typedef struct cg_member {
    mock_group_tp *target;
    int32_t n_target;
    int64_t revoking_since_ns; /* entered UNREVOKED_PARTITIONS; 0: not there */
} cg_member;

/* Per group: what the subscribed topics looked like at the last epoch. */
typedef struct cg_group {
    uint64_t meta_hash;
} cg_group;

/* A heartbeat's outcome. */
typedef struct cg_answer {
    kfk_err err;
    const char *msg;
} cg_answer;

static void cg_member_free(void *p)
{
    cg_member *x = p;
    free(x->target);
    free(x);
}

const mock_group_tp *mock_consumer_member_target(const mock_group_member *m, int32_t *n)
{
    const cg_member *x = m->ext_free == cg_member_free ? m->ext : NULL;
    *n = x ? x->n_target : 0;
    return x ? x->target : NULL;
}

static cg_member *ext_of(mock_group_member *m)
{
    if (!m->ext) {
        m->ext = calloc(1, sizeof(cg_member));
        if (m->ext) m->ext_free = cg_member_free;
    }
    return m->ext;
}

static cg_group *gext_of(mock_group *g)
{
    if (!g->ext) {
        g->ext = calloc(1, sizeof(cg_group));
        if (g->ext) g->ext_free = free;
    }
    return g->ext;
}

/* --- partition sets ------------------------------------------------------------------ */

static bool tp_eq(const mock_group_tp *a, const mock_group_tp *b)
{
    return a->partition == b->partition && memcmp(a->topic_id.b, b->topic_id.b, 16) == 0;
}

static bool tp_in(const mock_group_tp *v, int32_t n, const mock_group_tp *tp)
{
    for (int32_t i = 0; i < n; i++)
        if (tp_eq(&v[i], tp)) return true;
    return false;
}

static int tp_push(mock_group_tp **v, int32_t *n, int32_t *cap, mock_group_tp tp)
{
    if (*n == *cap) {
        int32_t c = *cap ? 2 * *cap : 16;
        mock_group_tp *nv = realloc(*v, (size_t)c * sizeof(*nv));
        if (!nv) return -1;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = tp;
    return 0;
}

static bool same_set(const mock_group_tp *a, int32_t na, const mock_group_tp *b, int32_t nb)
{
    if (na != nb) return false;
    for (int32_t i = 0; i < na; i++)
        if (!tp_in(b, nb, &a[i])) return false;
    return true;
}

/* Whether a member other than self holds tp (assigned or being revoked). */
static bool held_by_other(mock_group *g, mock_group_member *self, const mock_group_tp *tp)
{
    for (size_t i = 0; i < g->n_members; i++) {
        mock_group_member *o = g->members[i];
        if (o == self) continue;
        if (tp_in(o->assigned, o->n_assigned, tp) ||
            tp_in(o->pending_revocation, o->n_pending_revocation, tp))
            return true;
    }
    return false;
}

/* --- subscriptions --------------------------------------------------------------------- */

/* Kafka matches SubscribedTopicRegex with RE2/J; the mock has POSIX ERE
 * through kregex_compile, which translates the common part of the syntax
 * (base/regex.h). What it does not speak is INVALID_REGULAR_EXPRESSION
 * here though Kafka may take it. */

/* A member's compiled regex (whole-name match), or false for none or one
 * that does not compile (validated when it was set). */
static bool compile(const mock_group_member *m, regex_t *re)
{
    if (!m->subscribed_topic_regex || !*m->subscribed_topic_regex) return false;
    const char *s = m->subscribed_topic_regex;
    return kregex_compile(re, s, strlen(s), true) == KREGEX_OK;
}

static bool subscribes(const mock_group_member *m, const regex_t *re, const mock_topic *t)
{
    for (int32_t i = 0; i < m->n_subscribed_topic_names; i++)
        if (strcmp(m->subscribed_topic_names[i], t->name) == 0) return true;
    return re && regexec(re, t->name, 0, NULL, 0) == 0;
}

/* Per member, per topic: subscribed or not. Row-major, members x topics.
 * NULL when out of memory. */
static bool *subscription_matrix(mock_cluster *mc, mock_group *g)
{
    size_t nt = mc->n_topics, nm = g->n_members;
    bool *s = calloc(nm * nt + 1, sizeof(bool));
    if (!s) return NULL;
    for (size_t i = 0; i < nm; i++) {
        regex_t re;
        bool has_re = compile(g->members[i], &re);
        for (size_t j = 0; j < nt; j++)
            s[i * nt + j] = subscribes(g->members[i], has_re ? &re : NULL, mc->topics[j]);
        if (has_re) regfree(&re);
    }
    return s;
}

/* A hash of the subscribed topics' ids and partition counts. */
static uint64_t meta_hash(mock_cluster *mc, mock_group *g, const bool *sub)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t j = 0; j < mc->n_topics; j++) {
        bool any = false;
        for (size_t i = 0; i < g->n_members && !any; i++)
            any = sub[i * mc->n_topics + j];
        if (!any) continue;
        const mock_topic *t = mc->topics[j];
        for (int k = 0; k < 16; k++)
            h = (h ^ t->id.b[k]) * 1099511628211ull;
        h = (h ^ (uint64_t)t->n_parts) * 1099511628211ull;
    }
    return h;
}

/* --- the assignor -------------------------------------------------------------------------- */

static mock_group *sort_group; /* qsort has no context argument; loop thread only */

static int by_member_id(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return strcmp(sort_group->members[x]->member_id, sort_group->members[y]->member_id);
}

/* Range over each topic's subscribers in member id order; sets every
 * member's target. Returns 0 or -1 when out of memory. */
static int assign(mock_cluster *mc, mock_group *g, const bool *sub)
{
    size_t nm = g->n_members, nt = mc->n_topics;
    size_t *order = malloc((nm + 1) * sizeof(*order));
    int32_t *caps = calloc(nm + 1, sizeof(int32_t));
    if (!order || !caps) goto oom;
    for (size_t i = 0; i < nm; i++) {
        cg_member *x = ext_of(g->members[i]);
        if (!x) goto oom;
        free(x->target);
        x->target = NULL;
        x->n_target = 0;
        order[i] = i;
    }
    sort_group = g;
    qsort(order, nm, sizeof(*order), by_member_id);
    for (size_t j = 0; j < nt; j++) {
        const mock_topic *t = mc->topics[j];
        int32_t n_subs = 0;
        for (size_t i = 0; i < nm; i++)
            n_subs += sub[i * nt + j];
        if (!n_subs) continue;
        int32_t per = t->n_parts / n_subs, extra = t->n_parts % n_subs, next = 0, k = 0;
        for (size_t i = 0; i < nm; i++) {
            size_t mi = order[i];
            if (!sub[mi * nt + j]) continue;
            int32_t count = per + (k++ < extra ? 1 : 0);
            cg_member *x = g->members[mi]->ext;
            for (int32_t p = 0; p < count; p++, next++)
                if (tp_push(&x->target, &x->n_target, &caps[mi], (mock_group_tp){t->id, next}))
                    goto oom;
        }
    }
    free(order);
    free(caps);
    g->assignment_epoch = g->group_epoch;
    return 0;
oom:
    free(order);
    free(caps);
    return -1;
}

/* --- reconciliation (CurrentAssignmentBuilder) ---------------------------------------------- */

/* Whether the owned partitions the member reported (NULL: not reported,
 * assume it still has them) hold any of its pending revocations. */
static bool still_owns_revoked(const mock_group_member *m, const mock_group_tp *owned,
                               int32_t n_owned, bool reported)
{
    if (!reported) return m->n_pending_revocation > 0;
    for (int32_t i = 0; i < m->n_pending_revocation; i++)
        if (tp_in(owned, n_owned, &m->pending_revocation[i])) return true;
    return false;
}

/* Moves m one step towards its target. Returns 0 or -1 (no memory). */
static int next_assignment(mock_group *g, mock_group_member *m)
{
    cg_member *x = ext_of(m);
    if (!x) return -1;
    mock_group_tp *assigned = NULL, *revoke = NULL;
    int32_t n_a = 0, cap_a = 0, n_r = 0, cap_r = 0;
    bool unreleased = false;
    for (int32_t i = 0; i < m->n_assigned; i++) {
        bool keep = tp_in(x->target, x->n_target, &m->assigned[i]);
        if (keep ? tp_push(&assigned, &n_a, &cap_a, m->assigned[i])
                 : tp_push(&revoke, &n_r, &cap_r, m->assigned[i]))
            goto oom;
    }
    /* Kafka gives new partitions only once nothing is left to revoke,
     * each with the target's epoch as its assignment epoch (kept ones keep
     * theirs): what OffsetCommit's older-epoch rule checks (KIP-1251). */
    for (int32_t i = 0; i < x->n_target && n_r == 0; i++) {
        if (tp_in(m->assigned, m->n_assigned, &x->target[i])) continue;
        if (held_by_other(g, m, &x->target[i])) {
            unreleased = true;
            continue;
        }
        mock_group_tp tp = x->target[i];
        tp.assigned_epoch = g->assignment_epoch;
        if (tp_push(&assigned, &n_a, &cap_a, tp)) goto oom;
    }
    free(m->assigned);
    free(m->pending_revocation);
    m->assigned = assigned;
    m->n_assigned = n_a;
    m->pending_revocation = revoke;
    m->n_pending_revocation = n_r;
    if (n_r) {
        /* Revoke first, at the current epoch. */
        if (m->state != MOCK_MEMBER_UNREVOKED_PARTITIONS) x->revoking_since_ns = ktime_mono_ns();
        m->state = MOCK_MEMBER_UNREVOKED_PARTITIONS;
        return 0;
    }
    x->revoking_since_ns = 0;
    if (m->member_epoch != g->assignment_epoch) {
        m->previous_member_epoch = m->member_epoch;
        m->member_epoch = g->assignment_epoch;
    }
    m->state = unreleased ? MOCK_MEMBER_UNRELEASED_PARTITIONS : MOCK_MEMBER_STABLE;
    return 0;
oom:
    free(assigned);
    free(revoke);
    return -1;
}

static int reconcile(mock_group *g, mock_group_member *m, const mock_group_tp *owned,
                     int32_t n_owned, bool reported)
{
    switch (m->state) {
    case MOCK_MEMBER_STABLE:
        if (m->member_epoch == g->assignment_epoch) return 0;
        return next_assignment(g, m);
    case MOCK_MEMBER_UNREVOKED_PARTITIONS:
        if (still_owns_revoked(m, owned, n_owned, reported)) return 0;
        free(m->pending_revocation);
        m->pending_revocation = NULL;
        m->n_pending_revocation = 0;
        return next_assignment(g, m);
    case MOCK_MEMBER_UNRELEASED_PARTITIONS:
        return next_assignment(g, m);
    }
    return 0;
}

/* --- membership ------------------------------------------------------------------------------ */

static void update_state(mock_group *g)
{
    if (!g->n_members) {
        g->state = MOCK_GROUP_EMPTY;
        return;
    }
    g->state = MOCK_GROUP_STABLE;
    for (size_t i = 0; i < g->n_members; i++) {
        mock_group_member *m = g->members[i];
        if (m->member_epoch >= 0 &&
            (m->state != MOCK_MEMBER_STABLE || m->member_epoch != g->assignment_epoch))
            g->state = MOCK_GROUP_RECONCILING;
    }
}

/* Recomputes the target when the group epoch moved or the subscribed
 * topics changed. */
static int refresh_target(mock_cluster *mc, mock_group *g)
{
    cg_group *ge = gext_of(g);
    bool *sub = subscription_matrix(mc, g);
    if (!ge || !sub) {
        free(sub);
        return -1;
    }
    uint64_t h = meta_hash(mc, g, sub);
    if (h != ge->meta_hash) {
        ge->meta_hash = h;
        g->group_epoch++;
    }
    int rc = 0;
    if (g->group_epoch != g->assignment_epoch) rc = assign(mc, g, sub);
    free(sub);
    return rc;
}

static void remove_member(mock_cluster *mc, mock_group_member *m)
{
    mock_group *g = m->group;
    mock_group_member_remove(mc, m);
    g->group_epoch++;
    refresh_target(mc, g);
    update_state(g);
}

static void on_expire(mock_cluster *mc, mock_group_member *m)
{
    remove_member(mc, m);
}

static char *dup_slice(kslice s)
{
    char *p = malloc(s.len + 1);
    if (!p) return NULL;
    if (s.len) memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

static bool str_eq(const char *a, kslice b)
{
    if (!a || !b.ptr) return !a && !b.ptr;
    return strlen(a) == b.len && memcmp(a, b.ptr, b.len) == 0;
}

/* Takes the request's subscription and options; bumps the group epoch
 * when the subscription changed. */
static cg_answer update_member(mock_group_member *m, const kp_consumer_group_heartbeat_request *r)
{
    cg_answer no_mem = {KFK_ERR_NO_MEMORY, NULL};
    bool changed = false;
    if (r->n_subscribed_topic_names >= 0) {
        bool same = r->n_subscribed_topic_names == m->n_subscribed_topic_names;
        for (int32_t i = 0; same && i < r->n_subscribed_topic_names; i++)
            same = str_eq(m->subscribed_topic_names[i], r->subscribed_topic_names[i]);
        if (!same) {
            int32_t n = r->n_subscribed_topic_names;
            char **v = calloc((size_t)n + 1, sizeof(char *));
            if (!v) return no_mem;
            for (int32_t i = 0; i < n; i++)
                if (!(v[i] = dup_slice(r->subscribed_topic_names[i]))) {
                    while (i--)
                        free(v[i]);
                    free(v);
                    return no_mem;
                }
            for (int32_t i = 0; i < m->n_subscribed_topic_names; i++)
                free(m->subscribed_topic_names[i]);
            free(m->subscribed_topic_names);
            m->subscribed_topic_names = v;
            m->n_subscribed_topic_names = n;
            changed = true;
        }
    }
    if (r->subscribed_topic_regex.ptr) {
        kslice re = r->subscribed_topic_regex;
        if (!str_eq(m->subscribed_topic_regex, re) &&
            !(re.len == 0 && !m->subscribed_topic_regex)) {
            free(m->subscribed_topic_regex);
            m->subscribed_topic_regex = NULL;
            if (re.len && !(m->subscribed_topic_regex = dup_slice(re))) return no_mem;
            changed = true;
        }
    }
    if (r->server_assignor.ptr && !str_eq(m->server_assignor, r->server_assignor)) {
        free(m->server_assignor);
        if (!(m->server_assignor = dup_slice(r->server_assignor))) return no_mem;
    }
    if (r->rack_id.ptr && !str_eq(m->rack_id, r->rack_id)) {
        free(m->rack_id);
        if (!(m->rack_id = dup_slice(r->rack_id))) return no_mem;
    }
    if (r->rebalance_timeout_ms != -1) m->rebalance_timeout_ms = r->rebalance_timeout_ms;
    if (changed) m->group->group_epoch++;
    return (cg_answer){0};
}

/* --- validation ---------------------------------------------------------------------------- */

static cg_answer invalid(const char *msg)
{
    return (cg_answer){KFK_ERR_INVALID_REQUEST, msg};
}

static cg_answer validate(mock_req *req, const kp_consumer_group_heartbeat_request *r)
{
    if (req->version >= 1 && r->member_id.len == 0) return invalid("MemberId can't be empty.");
    if (r->instance_id.ptr && !r->instance_id.len) return invalid("InstanceId can't be empty.");
    if (r->rack_id.ptr && !r->rack_id.len) return invalid("RackId can't be empty.");
    if (r->member_epoch == 0) {
        if (r->rebalance_timeout_ms == -1)
            return invalid("RebalanceTimeoutMs must be provided in first request.");
        if (r->n_topic_partitions != 0)
            return invalid("TopicPartitions must be empty when (re-)joining.");
        bool names = r->n_subscribed_topic_names > 0;
        bool regex = r->subscribed_topic_regex.len > 0;
        if (!names && !regex)
            return invalid("SubscribedTopicNames or SubscribedTopicRegex must be set in first "
                           "request.");
    } else if (r->member_epoch == -2) {
        if (!r->instance_id.ptr) return invalid("InstanceId can't be null.");
    } else if (r->member_epoch < -2) {
        return invalid("MemberEpoch is invalid.");
    }
    if (r->server_assignor.ptr && !str_eq("uniform", r->server_assignor) &&
        !str_eq("range", r->server_assignor))
        return (cg_answer){KFK_ERR_UNSUPPORTED_ASSIGNOR, "Unsupported assignor."};
    if (r->subscribed_topic_regex.len) {
        regex_t re;
        int rc = kregex_compile(&re, (const char *)r->subscribed_topic_regex.ptr,
                                r->subscribed_topic_regex.len, false);
        if (rc == KREGEX_NO_MEM) return (cg_answer){KFK_ERR_NO_MEMORY, NULL};
        if (rc)
            return (cg_answer){KFK_ERR_INVALID_REGULAR_EXPRESSION,
                               "SubscribedTopicRegex is not a valid regular expression."};
        regfree(&re);
    }
    return (cg_answer){0};
}

/* --- the handler ---------------------------------------------------------------------------- */

/* The request's owned partitions as a flat list; *reported false when
 * null. */
static int owned_of(mock_req *req, const kp_consumer_group_heartbeat_request *r,
                    mock_group_tp **out, int32_t *n, bool *reported)
{
    *reported = r->n_topic_partitions >= 0;
    *n = 0;
    int32_t total = 0;
    for (int32_t i = 0; i < r->n_topic_partitions; i++)
        total += r->topic_partitions[i].n_partitions > 0 ? r->topic_partitions[i].n_partitions : 0;
    *out = karena_alloc(req->arena, (size_t)(total ? total : 1) * sizeof(**out));
    if (!*out) return -1;
    for (int32_t i = 0; i < r->n_topic_partitions; i++)
        for (int32_t j = 0; j < r->topic_partitions[i].n_partitions; j++)
            (*out)[(*n)++] = (mock_group_tp){r->topic_partitions[i].topic_id,
                                             r->topic_partitions[i].partitions[j]};
    return 0;
}

static bool subset(const mock_group_tp *a, int32_t na, const mock_group_tp *b, int32_t nb)
{
    for (int32_t i = 0; i < na; i++)
        if (!tp_in(b, nb, &a[i])) return false;
    return true;
}

/* Finds or makes the member a join (epoch 0) is for. */
static mock_group_member *joining_member(mock_req *req, mock_group *g,
                                         const kp_consumer_group_heartbeat_request *r,
                                         kslice member_id, cg_answer *ans)
{
    mock_cluster *mc = req->mc;
    mock_group_member *m = mock_group_member_find(g, member_id);
    mock_group_member *st = mock_group_member_find_instance(g, r->instance_id);
    if (st && st != m) {
        if (st->member_epoch != -2) {
            *ans = (cg_answer){KFK_ERR_UNRELEASED_INSTANCE_ID,
                               "Static member with this instance id is still in the group."};
            return NULL;
        }
        /* The static member is back under a new id: it takes over. */
        char *id = dup_slice(member_id);
        if (!id) {
            *ans = (cg_answer){KFK_ERR_NO_MEMORY, NULL};
            return NULL;
        }
        if (m) remove_member(mc, m);
        free(st->member_id);
        st->member_id = id;
        st->member_epoch = st->previous_member_epoch;
        return st;
    }
    if (m) {
        if (m->member_epoch == -2) m->member_epoch = m->previous_member_epoch;
        return m;
    }
    m = mock_group_member_add(g, member_id);
    if (!m || !(m->client_id = dup_slice(req->client_id)) ||
        (r->instance_id.ptr && !(m->instance_id = dup_slice(r->instance_id)))) {
        if (m) mock_group_member_remove(mc, m);
        *ans = (cg_answer){KFK_ERR_NO_MEMORY, NULL};
        return NULL;
    }
    m->on_expire = on_expire;
    m->state = MOCK_MEMBER_STABLE;
    g->group_epoch++;
    return m;
}

static cg_answer leave(mock_cluster *mc, mock_group *g,
                       const kp_consumer_group_heartbeat_request *r)
{
    mock_group_member *m = mock_group_member_find(g, r->member_id);
    if (!m && r->member_epoch == -2) m = mock_group_member_find_instance(g, r->instance_id);
    if (!m) return (cg_answer){KFK_ERR_UNKNOWN_MEMBER_ID, NULL};
    if (r->member_epoch == -2 && m->instance_id) {
        /* Keeps its partitions for its session: it may come back. */
        m->previous_member_epoch = m->member_epoch;
        m->member_epoch = -2;
        return (cg_answer){0};
    }
    remove_member(mc, m);
    return (cg_answer){0};
}

static int respond_assignment(mock_req *req, kp_consumer_group_heartbeat_response *resp,
                              const mock_group_member *m)
{
    kp_consumer_group_heartbeat_response_assignment *a = karena_alloc(req->arena, sizeof(*a));
    int32_t n = m->n_assigned;
    kp_consumer_group_heartbeat_response_topic_partitions *tps =
        karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*tps));
    int32_t *parts = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(int32_t));
    if (!a || !tps || !parts) return -1;
    kp_consumer_group_heartbeat_response_assignment_init(a);
    a->topic_partitions = tps;
    a->n_topic_partitions = 0;
    int32_t used = 0;
    for (int32_t i = 0; i < n; i++) {
        kp_consumer_group_heartbeat_response_topic_partitions *t = NULL;
        for (int32_t k = 0; k < a->n_topic_partitions && !t; k++)
            if (!memcmp(tps[k].topic_id.b, m->assigned[i].topic_id.b, 16)) t = &tps[k];
        if (!t) {
            /* Partitions of one topic go in one run: count them first. */
            t = &tps[a->n_topic_partitions++];
            kp_consumer_group_heartbeat_response_topic_partitions_init(t);
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

/* Kafka fences a member that has not revoked what it was asked to within
 * its rebalance timeout; the mock looks whenever the group hears from
 * anyone. */
static void expire_slow_revokers(mock_cluster *mc, mock_group *g)
{
    int64_t now = ktime_mono_ns();
    for (size_t i = 0; i < g->n_members;) {
        mock_group_member *m = g->members[i];
        cg_member *x = m->ext;
        if (m->state == MOCK_MEMBER_UNREVOKED_PARTITIONS && x && x->revoking_since_ns &&
            m->rebalance_timeout_ms > 0 &&
            now - x->revoking_since_ns > (int64_t)m->rebalance_timeout_ms * 1000000) {
            remove_member(mc, m); /* the member list shifted: look at i again */
            continue;
        }
        i++;
    }
}

/* Everything but the answer: returns the member (NULL after a leave or
 * an error in *ans). */
static mock_group_member *heartbeat(mock_req *req, const kp_consumer_group_heartbeat_request *r,
                                    cg_answer *ans, bool *send_assignment)
{
    mock_cluster *mc = req->mc;
    kfk_err err;
    *ans = (cg_answer){mock_group_coordinator_check(req, r->group_id), NULL};
    if (ans->err) return NULL;
    if ((*ans = validate(req, r)).err) return NULL;
    mock_group *g = mock_group_get(mc, r->group_id, MOCK_GROUP_CONSUMER, &err);
    if (!g) {
        *ans = (cg_answer){err, NULL};
        return NULL;
    }
    expire_slow_revokers(mc, g);
    if (r->member_epoch < 0) {
        *ans = leave(mc, g, r);
        update_state(g);
        return NULL;
    }
    char id[64];
    kslice member_id = r->member_id;
    if (!member_id.len) { /* v0: the broker names the member */
        mock_group_member_id_new(id, sizeof(id), KWIRE_EMPTY);
        member_id = kwire_cstr(id);
    }
    mock_group_tp *owned;
    int32_t n_owned;
    bool reported;
    if (owned_of(req, r, &owned, &n_owned, &reported) < 0) {
        *ans = (cg_answer){KFK_ERR_NO_MEMORY, NULL};
        return NULL;
    }
    mock_group_member *m;
    if (r->member_epoch == 0) {
        if (!(m = joining_member(req, g, r, member_id, ans))) return NULL;
    } else {
        m = mock_group_member_find(g, member_id);
        if (!m) {
            *ans = (cg_answer){KFK_ERR_UNKNOWN_MEMBER_ID, NULL};
            return NULL;
        }
        if (r->member_epoch > m->member_epoch ||
            (r->member_epoch < m->member_epoch &&
             (r->member_epoch != m->previous_member_epoch || !reported ||
              !subset(owned, n_owned, m->assigned, m->n_assigned)))) {
            *ans = (cg_answer){KFK_ERR_FENCED_MEMBER_EPOCH,
                               "The consumer group member has a smaller member epoch than "
                               "expected."};
            return NULL;
        }
    }
    m->session_timeout_ms = mc->groups.consumer_session_ms;
    if ((*ans = update_member(m, r)).err) return NULL;
    mock_group_member_touch(mc, m);
    if (refresh_target(mc, g) < 0) {
        *ans = (cg_answer){KFK_ERR_NO_MEMORY, NULL};
        return NULL;
    }
    mock_group_tp *before = m->n_assigned ? malloc((size_t)m->n_assigned * sizeof(*before)) : NULL;
    int32_t n_before = m->n_assigned;
    if (n_before && !before) {
        *ans = (cg_answer){KFK_ERR_NO_MEMORY, NULL};
        return NULL;
    }
    if (n_before) memcpy(before, m->assigned, (size_t)n_before * sizeof(*before));
    if (reconcile(g, m, owned, n_owned, reported) < 0) *ans = (cg_answer){KFK_ERR_NO_MEMORY, NULL};
    /* The assignment goes out on a join, on a full request (every
     * non-optional field set: the member may have missed an answer) and
     * when it changed. */
    bool full = r->rebalance_timeout_ms != -1 &&
                (r->n_subscribed_topic_names >= 0 || r->subscribed_topic_regex.ptr) && reported;
    *send_assignment =
        r->member_epoch == 0 || full || !same_set(before, n_before, m->assigned, m->n_assigned);
    free(before);
    update_state(g);
    return ans->err ? NULL : m;
}

int mock_handle_consumer_group_heartbeat(mock_req *req)
{
    kp_consumer_group_heartbeat_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_consumer_group_heartbeat_response resp;
    kp_consumer_group_heartbeat_response_init(&resp);
    if (req->inject) {
        resp.error_code = (int16_t)req->inject;
        return mock_respond(req, &resp);
    }
    cg_answer ans;
    bool send_assignment = false;
    mock_group_member *m = heartbeat(req, &r, &ans, &send_assignment);
    resp.error_code = (int16_t)ans.err;
    resp.error_message = ans.msg ? mock_errmsg(ans.msg) : (kslice){NULL, 0};
    if (ans.err) return mock_respond(req, &resp);
    resp.member_id = r.member_id;
    resp.member_epoch = r.member_epoch;
    resp.heartbeat_interval_ms = req->mc->groups.consumer_hb_ms;
    if (!m) return mock_respond(req, &resp);   /* left */
    resp.member_id = kwire_cstr(m->member_id); /* copied by the encoder before anything frees it */
    resp.member_epoch = m->member_epoch;
    if (send_assignment && respond_assignment(req, &resp, m) < 0) return MOCK_CLOSE;
    return mock_respond(req, &resp);
}
