/* The "range" assignor, as Java's RangeAssignor: topic by topic, the
 * subscribers in member order (static members first, by group instance
 * id; then by member id) each take a contiguous range of partitions, and
 * the first (partitions % subscribers) of them one extra.
 *
 * Not yet: Java 3.5+'s rack-aware variant (KIP-881), which needs each
 * partition's replica racks. Without them Java falls back to exactly this. */
#include "consumer/assignor_int.h"

static void assign_topic(kc_group *g, int32_t t, int32_t *subs)
{
    int32_t n = 0;
    for (int32_t i = 0; i < g->n_members; i++)
        if (kc_group_subscribed(g, g->order[i], t))
            subs[n++] = g->order[i];
    if (n == 0)
        return;
    int32_t per = g->count[t] / n, extra = g->count[t] % n;
    for (int32_t i = 0; i < n; i++) {
        int32_t start = per * i + (i < extra ? i : extra);
        int32_t len = per + (i < extra ? 1 : 0);
        for (int32_t p = start; p < start + len; p++)
            g->assigned[g->first[t] + p] = subs[i];
    }
}

static int range_assign(const kc_member *members, int32_t n_members, const kc_topic *topics,
                        int32_t n_topics, kp_consumer_protocol_assignment *out, karena *a)
{
    kc_group g;
    int err = kc_group_build(&g, members, n_members, topics, n_topics);
    int32_t *subs = err ? NULL : kc_group_alloc(&g, (size_t)n_members, sizeof(int32_t));
    if (!err && !subs)
        err = KFK_ERR_NO_MEMORY;
    for (int32_t t = 0; !err && t < g.n_topics; t++)
        assign_topic(&g, t, subs);
    if (!err)
        err = kc_group_output(&g, out, a);
    kc_group_free(&g);
    return err;
}

const kc_assignor kc_assignor_range = {
    .name = "range",
    .rebalance = KC_REBALANCE_EAGER,
    .user_data = NULL,
    .assign = range_assign,
};
