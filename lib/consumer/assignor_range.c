/* The "range" assignor, as Java's RangeAssignor: topic by topic, the
 * subscribers in member order (static members first, by group instance
 * id; then by member id) each take a contiguous range of partitions, and
 * the first (partitions % subscribers) of them one extra.
 *
 * Rack-aware (KIP-881, Java 3.5+): when members name racks and some topic
 * has replicas in those racks unevenly, members first take partitions with
 * a replica in their own rack, within the same per-member quotas; topics
 * with the same subscribers and partition count ("co-partitioned") hand
 * out partition p of all of them to one member, so joins stay local. What
 * is left then goes out in ranges as above. Java does the same steps in
 * the same order, so the result is Java's exactly. */
#include <string.h>

#include "consumer/assignor_int.h"

/* One topic's state while assigning, as Java keeps it. */
typedef struct range_topic {
    int32_t t;
    int32_t *subs; /* subscribers in member order */
    int32_t n_subs;
    int32_t *n_assigned; /* by position in subs */
    int32_t per;         /* partitions every subscriber gets */
    int32_t extra_left;  /* subscribers that may still take one more */
    int has_member_racks;
    int needs_racks;
} range_topic;

static kslice member_rack(const kc_group *g, int32_t m)
{
    return g->members[m].sub.rack_id;
}

static int max_assignable(const range_topic *rt, int32_t i)
{
    int32_t n = rt->per + (rt->extra_left > 0) - rt->n_assigned[i];
    return n > 0 ? n : 0;
}

static void on_assigned(range_topic *rt, int32_t i, int32_t n)
{
    rt->n_assigned[i] += n;
    if (rt->n_assigned[i] > rt->per) rt->extra_left--;
}

static int replica_in(const kc_topic *meta, int32_t p, kslice rack)
{
    if (!meta->replica_racks) return 0;
    const kc_replica_racks *r = &meta->replica_racks[p];
    for (int32_t i = 0; i < r->n; i++)
        if (kwire_eq(r->racks[i], rack)) return 1;
    return 0;
}

/* A member without a rack matches every partition. */
static int racks_match(const kc_group *g, const range_topic *rt, int32_t i, int32_t p)
{
    kslice rack = member_rack(g, rt->subs[i]);
    return !rack.ptr || replica_in(&g->meta[rt->t], p, rack);
}

/* Each subscriber in order takes up to its quota of the partitions still
 * free (that match its rack, when match is set). */
static void assign_ranges(kc_group *g, range_topic *rt, int match)
{
    int32_t first = g->first[rt->t], count = g->count[rt->t];
    for (int32_t i = 0; i < rt->n_subs; i++) {
        int32_t limit = max_assignable(rt, i), n = 0;
        for (int32_t p = 0; p < count && n < limit; p++) {
            if (g->assigned[first + p] >= 0 || (match && !racks_match(g, rt, i, p))) continue;
            g->assigned[first + p] = rt->subs[i];
            n++;
        }
        if (n) on_assigned(rt, i, n);
    }
}

/* --- when racks matter -------------------------------------------------- */

static int has_rack(const kslice *set, int32_t n, kslice rack)
{
    for (int32_t i = 0; i < n; i++)
        if (kwire_eq(set[i], rack)) return 1;
    return 0;
}

/* Java's rule: members have racks, some replica is in one of them, and not
 * every partition has replicas in every rack (then racks change nothing).
 * racks: scratch for the distinct racks of the topic's replicas. */
static int needs_racks(const kc_group *g, const range_topic *rt, kslice *racks, int32_t cap)
{
    const kc_topic *meta = &g->meta[rt->t];
    if (!rt->has_member_racks || !meta->replica_racks) return 0;
    int32_t n = 0, overlap = 0;
    for (int32_t p = 0; p < meta->partitions; p++)
        for (int32_t i = 0; i < meta->replica_racks[p].n; i++)
            if (n < cap && !has_rack(racks, n, meta->replica_racks[p].racks[i]))
                racks[n++] = meta->replica_racks[p].racks[i];
    for (int32_t i = 0; i < rt->n_subs; i++) {
        kslice r = member_rack(g, rt->subs[i]);
        overlap |= r.ptr && has_rack(racks, n, r);
    }
    if (!overlap) return 0;
    /* Each partition's racks are a subset of all racks: equal when every
     * rack appears in it. */
    for (int32_t p = 0; p < meta->partitions; p++)
        for (int32_t i = 0; i < n; i++)
            if (!replica_in(meta, p, racks[i])) return 1;
    return 0;
}

static int same_subscribers(const range_topic *a, const range_topic *b)
{
    if (a->n_subs != b->n_subs) return 0;
    for (int32_t i = 0; i < a->n_subs; i++)
        if (a->subs[i] != b->subs[i]) return 0;
    return 1;
}

/* Java groups topics by subscribers, then by the number of partitions it
 * knows racks for: all of them when a subscriber has a rack, else none. */
static int32_t rack_key(const kc_group *g, const range_topic *rt)
{
    return rt->has_member_racks ? g->count[rt->t] : 0;
}

static int co_partitioned_ok(const kc_group *g, range_topic **grp, int32_t n, int32_t i, int32_t p)
{
    for (int32_t k = 0; k < n; k++)
        if (!racks_match(g, grp[k], i, p) || max_assignable(grp[k], i) == 0) return 0;
    return 1;
}

/* Partition p of every topic in grp to the first remaining member whose
 * rack matches all of them and who has room in all of them. */
static void assign_co_partitioned(kc_group *g, range_topic **grp, int32_t n, int32_t parts,
                                  uint8_t *done)
{
    int32_t n_subs = grp[0]->n_subs, remaining = n_subs;
    memset(done, 0, (size_t)n_subs);
    for (int32_t p = 0; p < parts && remaining > 0; p++) {
        int32_t i = 0;
        while (i < n_subs && (done[i] || !co_partitioned_ok(g, grp, n, i, p)))
            i++;
        if (i == n_subs) continue;
        int room = 0;
        for (int32_t k = 0; k < n; k++) {
            g->assigned[g->first[grp[k]->t] + p] = grp[k]->subs[i];
            on_assigned(grp[k], i, 1);
            room |= max_assignable(grp[k], i) > 0;
        }
        if (!room) {
            done[i] = 1;
            remaining--;
        }
    }
}

static void assign_with_racks(kc_group *g, range_topic *rts, range_topic **grp, uint8_t *seen,
                              uint8_t *done)
{
    for (int32_t t = 0; t < g->n_topics; t++) {
        if (seen[t]) continue;
        int32_t n = 0;
        for (int32_t u = t; u < g->n_topics; u++) {
            if (!seen[u] && same_subscribers(&rts[t], &rts[u]) &&
                rack_key(g, &rts[t]) == rack_key(g, &rts[u])) {
                seen[u] = 1;
                grp[n++] = &rts[u];
            }
        }
        if (n > 1)
            assign_co_partitioned(g, grp, n, rack_key(g, &rts[t]), done);
        else if (rts[t].needs_racks)
            assign_ranges(g, &rts[t], 1);
    }
}

/* --- the assignor ------------------------------------------------------- */

static int topic_init(kc_group *g, range_topic *rt, int32_t t)
{
    rt->t = t;
    rt->subs = kc_group_alloc(g, (size_t)g->n_members, sizeof(int32_t));
    rt->n_assigned = kc_group_alloc(g, (size_t)g->n_members, sizeof(int32_t));
    if (!rt->subs || !rt->n_assigned) return KFK_ERR_NO_MEMORY;
    for (int32_t i = 0; i < g->n_members; i++) {
        int32_t m = g->order[i];
        if (kc_group_subscribed(g, m, t)) {
            rt->subs[rt->n_subs++] = m;
            rt->has_member_racks |= member_rack(g, m).ptr != NULL;
        }
    }
    rt->per = rt->n_subs ? g->count[t] / rt->n_subs : 0;
    rt->extra_left = rt->n_subs ? g->count[t] % rt->n_subs : 0;
    return 0;
}

/* Room for the distinct racks of any one topic's replicas. */
static int32_t rack_room(const kc_group *g)
{
    int64_t most = 1;
    for (int32_t t = 0; t < g->n_topics; t++) {
        int64_t n = 0;
        for (int32_t p = 0; g->meta[t].replica_racks && p < g->count[t]; p++)
            n += g->meta[t].replica_racks[p].n > 0 ? g->meta[t].replica_racks[p].n : 0;
        most = n > most ? n : most;
    }
    return most > INT32_MAX ? INT32_MAX : (int32_t)most;
}

static int range_run(kc_group *g)
{
    int32_t n = g->n_topics, cap = rack_room(g);
    range_topic *rts = kc_group_alloc(g, (size_t)n, sizeof(*rts));
    range_topic **grp = kc_group_alloc(g, (size_t)n, sizeof(*grp));
    uint8_t *seen = kc_group_alloc(g, (size_t)n, 1);
    uint8_t *done = kc_group_alloc(g, (size_t)g->n_members, 1);
    kslice *racks = kc_group_alloc(g, (size_t)cap, sizeof(kslice));
    if (!rts || !grp || !seen || !done || !racks) return KFK_ERR_NO_MEMORY;
    int any_racks = 0;
    for (int32_t t = 0; t < n; t++) {
        if (topic_init(g, &rts[t], t)) return KFK_ERR_NO_MEMORY;
        rts[t].needs_racks = needs_racks(g, &rts[t], racks, cap);
        any_racks |= rts[t].needs_racks;
    }
    if (any_racks) assign_with_racks(g, rts, grp, seen, done);
    for (int32_t t = 0; t < n; t++)
        assign_ranges(g, &rts[t], 0);
    return 0;
}

static int range_assign(const kc_member *members, int32_t n_members, const kc_topic *topics,
                        int32_t n_topics, kp_consumer_protocol_assignment *out, karena *a)
{
    kc_group g;
    int err = kc_group_build(&g, members, n_members, topics, n_topics);
    if (!err) err = range_run(&g);
    if (!err) err = kc_group_output(&g, out, a);
    kc_group_free(&g);
    return err;
}

const kc_assignor kc_assignor_range = {
    .name = "range",
    .rebalance = KC_REBALANCE_EAGER,
    .user_data = NULL,
    .assign = range_assign,
};
