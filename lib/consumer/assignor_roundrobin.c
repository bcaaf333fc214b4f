/* The "roundrobin" assignor, as Java's RoundRobinAssignor: every partition
 * in (topic, partition) order goes to the next member in member order
 * (static members first, by group instance id; then by member id),
 * cycling, and skipping members not subscribed to its topic. */
#include "consumer/assignor_int.h"

static int roundrobin_assign(const kc_member *members, int32_t n_members, const kc_topic *topics,
                             int32_t n_topics, kp_consumer_protocol_assignment *out, karena *a)
{
    kc_group g;
    int err = kc_group_build(&g, members, n_members, topics, n_topics);
    int32_t next = 0; /* position in g.order */
    for (int32_t p = 0; !err && p < g.n_parts; p++) {
        /* Ends: every assignable topic has a subscriber. */
        while (!kc_group_subscribed(&g, g.order[next], g.part_topic[p]))
            next = (next + 1) % n_members;
        g.assigned[p] = g.order[next];
        next = (next + 1) % n_members;
    }
    if (!err) err = kc_group_output(&g, out, a);
    kc_group_free(&g);
    return err;
}

const kc_assignor kc_assignor_roundrobin = {
    .name = "roundrobin",
    .rebalance = KC_REBALANCE_EAGER,
    .user_data = NULL,
    .assign = roundrobin_assign,
};
