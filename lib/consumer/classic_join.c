/* The classic protocol's data: the subscription each JoinGroup carries
 * (one protocol per assignor of partition.assignment.strategy, Java's
 * ConsumerProtocol bytes), the copy of JoinGroup's answer, the leader's
 * assignment over the group's subscriptions and the metadata, and the
 * member's take of SyncGroup's answer. All on kfk-bg, except
 * classic_copy_join (I/O thread, while the join is in flight). */
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "consumer/classic_int.h"

/* A ktplist (sorted) grouped by topic, from a; NULL when out of memory. */
static kp_consumer_protocol_subscription_topic_partition *group_by_topic(const ktplist *l,
                                                                         karena *a, int32_t *n)
{
    kp_consumer_protocol_subscription_topic_partition *v =
        karena_alloc(a, sizeof(*v) * (size_t)(l->n ? l->n : 1));
    int32_t *parts = karena_alloc(a, sizeof(int32_t) * (size_t)(l->n ? l->n : 1));
    if (!v || !parts) return NULL;
    int32_t k = 0;
    for (int i = 0; i < l->n; i++) {
        if (k == 0 || strcmp((const char *)v[k - 1].topic.ptr, l->v[i].topic) != 0) {
            v[k].topic = kwire_cstr(l->v[i].topic);
            v[k].partitions = &parts[i];
            v[k].n_partitions = 0;
            k++;
        }
        parts[i] = l->v[i].partition;
        v[k - 1].n_partitions++;
    }
    *n = k;
    return v;
}

void classic_free_requests(classic *cl)
{
    for (int i = 0; i < cl->n_protos; i++)
        kbuf_free(&cl->proto_meta[i]);
    free(cl->proto_meta);
    free(cl->protos);
    cl->proto_meta = NULL;
    cl->protos = NULL;
    cl->n_protos = 0;
    for (int i = 0; i < cl->n_sync_bufs; i++)
        kbuf_free(&cl->sync_bufs[i]);
    free(cl->sync_bufs);
    free(cl->sync_assign);
    cl->sync_bufs = NULL;
    cl->sync_assign = NULL;
    cl->n_sync_bufs = 0;
}

int classic_build_join(classic *cl)
{
    kgroup *g = cl->g;
    for (int i = 0; i < cl->n_protos; i++)
        kbuf_free(&cl->proto_meta[i]);
    free(cl->proto_meta);
    free(cl->protos);
    cl->n_protos = 0;
    cl->protos = calloc((size_t)g->n_strategies, sizeof(*cl->protos));
    cl->proto_meta = calloc((size_t)g->n_strategies, sizeof(*cl->proto_meta));
    if (!cl->protos || !cl->proto_meta) return -1;
    karena a = KARENA_INIT;
    const ktplist *topics = kgroup_topics(g);
    kslice *names = karena_alloc(&a, sizeof(kslice) * (size_t)(topics->n ? topics->n : 1));
    kc_member_state st = {0};
    st.owned = group_by_topic(kgroup_owned(g), &a, &st.n_owned);
    st.previous = group_by_topic(&cl->previous, &a, &st.n_previous);
    if (!names || !st.owned || !st.previous) {
        karena_free(&a);
        return -1;
    }
    for (int i = 0; i < topics->n; i++)
        names[i] = kwire_cstr(topics->v[i].topic);
    st.topics = names;
    st.n_topics = topics->n;
    st.generation = cl->previous_generation;
    st.rack_id = g->rack ? kwire_cstr(g->rack) : (kslice){0};
    int err = 0;
    for (int i = 0; i < g->n_strategies && !err; i++) {
        const kc_assignor *as = kc_assignor_find(g->strategies[i]);
        if (!as) continue;
        err = kc_assignor_metadata(as, &st, &cl->proto_meta[cl->n_protos]);
        kp_join_group_request_protocol *p = &cl->protos[cl->n_protos];
        kp_join_group_request_protocol_init(p);
        p->name = kwire_cstr(as->name);
        p->metadata = (kslice){cl->proto_meta[cl->n_protos].data, cl->proto_meta[cl->n_protos].len};
        cl->n_protos++;
    }
    karena_free(&a);
    if (err) return -1;
    kp_join_group_request *q = &cl->join_req;
    kp_join_group_request_init(q);
    q->group_id = kwire_cstr(g->group_id);
    q->session_timeout_ms = g->session_timeout_ms;
    q->rebalance_timeout_ms = g->max_poll_interval_ms;
    q->member_id = kwire_cstr(cl->member_id);
    q->group_instance_id = g->instance_id ? kwire_cstr(g->instance_id) : (kslice){0};
    q->protocol_type = kwire_cstr(KC_PROTOCOL_TYPE);
    q->protocols = cl->protos;
    q->n_protocols = cl->n_protos;
    return 0;
}

/* --- JoinGroup's answer ------------------------------------------------------------------ */

static kslice dup_slice(karena *a, kslice s, bool *oom)
{
    if (!s.ptr) return s;
    uint8_t *p = karena_alloc(a, s.len + 1);
    if (!p) {
        *oom = true;
        return (kslice){0};
    }
    if (s.len) memcpy(p, s.ptr, s.len);
    p[s.len] = 0;
    return (kslice){p, s.len};
}

static kslice dup_str(karena *a, kslice s, bool *oom)
{
    return s.ptr ? dup_slice(a, s, oom) : dup_slice(a, kwire_cstr(""), oom);
}

kfk_err classic_copy_join(classic *cl, const kp_join_group_response *r)
{
    karena *a = &cl->join_arena;
    karena_reset(a);
    join_result *j = &cl->join_res;
    bool oom = false;
    *j = (join_result){0};
    j->generation = r->generation_id;
    j->protocol = dup_str(a, r->protocol_name, &oom);
    j->leader = dup_str(a, r->leader, &oom);
    j->member_id = dup_str(a, r->member_id, &oom);
    j->skip_assignment = r->skip_assignment;
    j->members = karena_alloc(a, sizeof(*j->members) * (size_t)(r->n_members + 1));
    if (!j->members) return KFK_ERR_NO_MEMORY;
    for (int32_t i = 0; i < r->n_members; i++) {
        kc_join_member *m = &j->members[i];
        m->member_id = dup_str(a, r->members[i].member_id, &oom);
        m->group_instance_id = dup_slice(a, r->members[i].group_instance_id, &oom);
        m->metadata = dup_slice(a, r->members[i].metadata, &oom);
    }
    j->n_members = r->n_members;
    return oom ? KFK_ERR_NO_MEMORY : KFK_OK;
}

/* --- the leader ---------------------------------------------------------------------------- */

void classic_snapshot_free(classic *cl)
{
    for (int i = 0; i < cl->n_snap; i++)
        free(cl->snap[i].name);
    free(cl->snap);
    cl->snap = NULL;
    cl->n_snap = 0;
}

static int32_t partition_count(kgroup *g, const char *name, bool *known)
{
    kmeta_topic *t = kmeta_topic_get(kclient_meta(g->client), name);
    int32_t n = t && !t->err ? t->n_partitions : 0;
    *known = t != NULL;
    if (t) kmeta_topic_unref(t);
    return n;
}

bool classic_snapshot_changed(classic *cl)
{
    for (int i = 0; i < cl->n_snap; i++) {
        bool known;
        if (partition_count(cl->g, cl->snap[i].name, &known) != cl->snap[i].partitions) return true;
    }
    return false;
}

/* The topics' partition counts, remembered as the snapshot; how many the
 * cache does not know yet into *missing. -1 when out of memory. */
static int take_counts(classic *cl, const kslice *names, int32_t n, kc_topic *out, int *missing)
{
    classic_snapshot_free(cl);
    cl->snap = calloc((size_t)(n ? n : 1), sizeof(*cl->snap));
    if (!cl->snap) return -1;
    *missing = 0;
    for (int32_t i = 0; i < n; i++) {
        char *name = strndup((const char *)names[i].ptr, names[i].len);
        if (!name) return -1;
        bool known;
        cl->snap[i] = (csnap){name, partition_count(cl->g, name, &known)};
        cl->n_snap++;
        if (!known) (*missing)++;
        out[i] = (kc_topic){.name = names[i], .partitions = cl->snap[i].partitions};
    }
    cl->snap_meta_version = atomic_load(&kclient_meta(cl->g->client)->version);
    return 0;
}

static void want_names(kgroup *g, const kslice *names, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        char *s = strndup((const char *)names[i].ptr, names[i].len);
        if (!s) continue;
        const char *p = s;
        kclient_want_topics(g->client, &p, 1);
        free(s);
    }
}

/* The SyncGroup assignments from the encoded ones. */
static int fill_sync(classic *cl, kbuf *bufs, int32_t n)
{
    cl->sync_assign = calloc((size_t)(n ? n : 1), sizeof(*cl->sync_assign));
    if (!cl->sync_assign) return -1;
    cl->sync_bufs = bufs;
    cl->n_sync_bufs = n;
    for (int32_t i = 0; i < n; i++) {
        kp_sync_group_request_assignment *sa = &cl->sync_assign[i];
        kp_sync_group_request_assignment_init(sa);
        sa->member_id = cl->join_res.members[i].member_id;
        sa->assignment = (kslice){bufs[i].data ? bufs[i].data : (const uint8_t *)"", bufs[i].len};
    }
    cl->sync_req.assignments = cl->sync_assign;
    cl->sync_req.n_assignments = n;
    return 0;
}

/* How long the leader waits for the metadata of topics other members
 * subscribe to before it assigns without them (Java fetches it first). */
#define LEADER_WAIT_MS 100
#define LEADER_WAITS 20

int classic_leader_assign(classic *cl)
{
    kgroup *g = cl->g;
    join_result *j = &cl->join_res;
    const kc_assignor *as = kc_assignor_find((const char *)j->protocol.ptr);
    if (!as) return KFK_ERR_INCONSISTENT_GROUP_PROTOCOL;
    karena a = KARENA_INIT;
    kslice *names = NULL;
    int32_t n = 0;
    int err = kc_leader_topics(j->members, j->n_members, &a, &names, &n);
    kc_topic *topics = err ? NULL : karena_alloc(&a, sizeof(*topics) * (size_t)(n ? n : 1));
    int missing = 0;
    if (!err && (!topics || take_counts(cl, names, n, topics, &missing))) err = KFK_ERR_NO_MEMORY;
    if (!err && missing && cl->leader_waits++ < LEADER_WAITS) {
        want_names(g, names, n);
        kclient_refresh(g->client, "group leader");
        karena_free(&a);
        int64_t at = ktime_mono_ns() + (int64_t)LEADER_WAIT_MS * 1000000;
        kloop_timer_arm(kclient_bg_loop(g->client), &cl->join_timer, at);
        return 0;
    }
    kbuf *bufs = err ? NULL : calloc((size_t)(j->n_members ? j->n_members : 1), sizeof(*bufs));
    if (!err && !bufs) err = KFK_ERR_NO_MEMORY;
    if (!err) err = kc_leader_assign(as, j->members, j->n_members, topics, n, bufs);
    karena_free(&a);
    if (!err && fill_sync(cl, bufs, j->n_members)) err = KFK_ERR_NO_MEMORY;
    if (err && bufs) {
        for (int32_t i = 0; i < j->n_members; i++)
            kbuf_free(&bufs[i]);
        free(bufs);
        cl->sync_bufs = NULL;
        cl->n_sync_bufs = 0;
    }
    return err ? err : 1;
}

/* --- SyncGroup's answer ------------------------------------------------------------------------
 */

static int to_list(const kp_consumer_protocol_subscription_topic_partition *v, int32_t n,
                   ktplist *out)
{
    for (int32_t i = 0; i < n; i++) {
        char *t = strndup((const char *)v[i].topic.ptr, v[i].topic.len);
        if (!t) return -1;
        for (int32_t k = 0; k < v[i].n_partitions; k++)
            if (ktplist_add(out, t, v[i].partitions[k])) {
                free(t);
                return -1;
            }
        free(t);
    }
    return 0;
}

static int asg_to_list(const kp_consumer_protocol_assignment *asg, ktplist *out)
{
    for (int32_t i = 0; i < asg->n_assigned_partitions; i++) {
        const kp_consumer_protocol_assignment_topic_partition *tp = &asg->assigned_partitions[i];
        kp_consumer_protocol_subscription_topic_partition v = {tp->topic, tp->partitions,
                                                               tp->n_partitions};
        if (to_list(&v, 1, out)) return -1;
    }
    return 0;
}

int classic_take_assignment(classic *cl)
{
    kgroup *g = cl->g;
    karena a = KARENA_INIT;
    kp_consumer_protocol_assignment asg;
    kc_assignment_change ch;
    int32_t n_owned = 0;
    kp_consumer_protocol_subscription_topic_partition *owned =
        group_by_topic(kgroup_owned(g), &a, &n_owned);
    int err = owned ? 0 : KFK_ERR_NO_MEMORY;
    if (!err)
        err = kc_assignment_decode(&asg, (kslice){cl->sync_res.data, cl->sync_res.len}, &a, NULL);
    if (!err) err = kc_assignment_diff(&asg, owned, n_owned, &a, &ch);
    ktplist revoked = {0}, added = {0}, now = {0};
    if (!err && (to_list(ch.revoked, ch.n_revoked, &revoked) ||
                 to_list(ch.added, ch.n_added, &added) || asg_to_list(&asg, &now)))
        err = KFK_ERR_NO_MEMORY;
    karena_free(&a);
    if (err) {
        ktplist_free(&revoked);
        ktplist_free(&added);
        ktplist_free(&now);
        return -1;
    }
    ktplist_sort(&now);
    ktplist_free(&cl->previous);
    cl->previous = now;
    cl->previous_generation = cl->generation;
    int any_revoked = revoked.n > 0;
    if (any_revoked) kgroup_revoke(g, &revoked);
    kgroup_assign(g, &added);
    ktplist_free(&revoked);
    ktplist_free(&added);
    return any_revoked;
}
