/* The "sticky" and "cooperative-sticky" assignors (Java's StickyAssignor
 * and CooperativeStickyAssignor, KIP-54 and KIP-429), our own algorithm
 * with the properties Java's promise:
 *   - every partition of a subscribed topic goes to exactly one of its
 *     subscribers;
 *   - balanced: no partition could move to another of its subscribers
 *     that has at least two fewer (so max - min <= 1 when everyone
 *     subscribes to the same topics);
 *   - sticky: a partition stays with its previous owner unless balance
 *     needs it elsewhere, and the fewest partitions move;
 *   - a partition claimed by two members goes by the higher generation;
 *     two claims in one generation void both (as Java does);
 *   - cooperative: a partition whose owner is still in the group but must
 *     give it up is withheld from everyone this round; the owner revokes
 *     it, rejoins, and the next round hands it on (KIP-429's two phases).
 * Previous ownership comes from the subscription's owned_partitions and
 * generation_id (v1+/v2+) for cooperative-sticky, and from the user data
 * (StickyAssignorUserData) for the eager "sticky", as in Java. */
#include "consumer/assignor_int.h"

typedef struct sticky {
    kc_group *g;
    int cooperative;
    int32_t *claim;     /* per partition: highest-generation claimant, -1 none */
    int32_t *claim_gen; /* that claim's generation */
    uint8_t *contested; /* claimed twice in claim_gen */
    int32_t *rank;      /* per member: its position in g->order */
    int32_t *load;      /* per member: partitions assigned */
    int32_t *n_subs;    /* per topic: subscribers */
    uint8_t *kept;      /* per partition: still with its claimant */
} sticky;

/* --- what each member owned -------------------------------------------- */

static void claim_one(sticky *s, int32_t m, int32_t gen, kslice topic, int32_t partition)
{
    int32_t t = kc_group_topic(s->g, topic);
    if (t < 0 || partition < 0 || partition >= s->g->count[t]) return;
    int32_t p = s->g->first[t] + partition;
    if (s->claim[p] < 0 || gen > s->claim_gen[p]) {
        s->claim[p] = m;
        s->claim_gen[p] = gen;
        s->contested[p] = 0;
    } else if (gen == s->claim_gen[p] && s->claim[p] != m) {
        s->contested[p] = 1;
    }
}

/* cooperative-sticky: owned_partitions, and the generation from v2's
 * field or else from the user data (members from before v2). */
static void claims_cooperative(sticky *s, int32_t m)
{
    const kp_consumer_protocol_subscription *sub = &s->g->members[m].sub;
    int32_t gen = sub->generation_id >= 0 ? sub->generation_id
                                          : kc_cooperative_user_data_decode(sub->user_data);
    for (int32_t i = 0; i < sub->n_owned_partitions; i++) {
        const kp_consumer_protocol_subscription_topic_partition *tp = &sub->owned_partitions[i];
        for (int32_t j = 0; j < tp->n_partitions; j++)
            claim_one(s, m, gen, tp->topic, tp->partitions[j]);
    }
}

/* sticky: the user data's previous assignment; unreadable user data claims
 * nothing (the member then just gets a fresh share). */
static int claims_eager(sticky *s, int32_t m)
{
    kp_sticky_assignor_user_data d;
    int err = kc_sticky_user_data_decode(&d, s->g->members[m].sub.user_data, &s->g->scratch);
    if (err == KFK_ERR_NO_MEMORY) return err;
    if (err) return 0;
    for (int32_t i = 0; i < d.n_previous_assignment; i++) {
        const kp_sticky_assignor_user_data_topic_partition *tp = &d.previous_assignment[i];
        for (int32_t j = 0; j < tp->n_partitions; j++)
            claim_one(s, m, d.generation, tp->topic, tp->partitions[j]);
    }
    return 0;
}

static int sticky_init(sticky *s, kc_group *g, int cooperative)
{
    s->g = g;
    s->cooperative = cooperative;
    s->claim = kc_group_alloc(g, (size_t)g->n_parts, sizeof(int32_t));
    s->claim_gen = kc_group_alloc(g, (size_t)g->n_parts, sizeof(int32_t));
    s->contested = kc_group_alloc(g, (size_t)g->n_parts, 1);
    s->kept = kc_group_alloc(g, (size_t)g->n_parts, 1);
    s->rank = kc_group_alloc(g, (size_t)g->n_members, sizeof(int32_t));
    s->load = kc_group_alloc(g, (size_t)g->n_members, sizeof(int32_t));
    s->n_subs = kc_group_alloc(g, (size_t)g->n_topics, sizeof(int32_t));
    if (!s->claim || !s->claim_gen || !s->contested || !s->kept || !s->rank || !s->load ||
        !s->n_subs)
        return KFK_ERR_NO_MEMORY;
    for (int32_t p = 0; p < g->n_parts; p++)
        s->claim[p] = -1;
    for (int32_t i = 0; i < g->n_members; i++)
        s->rank[g->order[i]] = i;
    for (int32_t m = 0; m < g->n_members; m++)
        for (int32_t t = 0; t < g->n_topics; t++)
            s->n_subs[t] += kc_group_subscribed(g, m, t);
    for (int32_t m = 0; m < g->n_members; m++) {
        if (!cooperative) {
            int err = claims_eager(s, m);
            if (err) return err;
        } else {
            claims_cooperative(s, m);
        }
    }
    return 0;
}

/* --- assigning ---------------------------------------------------------- */

/* The subscriber of topic t with the fewest partitions; ties go to the
 * first in member order. */
static int32_t least_loaded(const sticky *s, int32_t t)
{
    const kc_group *g = s->g;
    int32_t best = -1;
    for (int32_t i = 0; i < g->n_members; i++) {
        int32_t m = g->order[i];
        if (kc_group_subscribed(g, m, t) && (best < 0 || s->load[m] < s->load[best])) best = m;
    }
    return best;
}

static void give(sticky *s, int32_t p, int32_t m)
{
    if (s->g->assigned[p] >= 0) s->load[s->g->assigned[p]]--;
    s->g->assigned[p] = m;
    s->load[m]++;
}

/* Phase 1: every uncontested claim its claimant still subscribes to. */
static void keep_claims(sticky *s)
{
    kc_group *g = s->g;
    for (int32_t p = 0; p < g->n_parts; p++) {
        int32_t m = s->claim[p];
        if (m >= 0 && !s->contested[p] && kc_group_subscribed(g, m, g->part_topic[p])) {
            give(s, p, m);
            s->kept[p] = 1;
        }
    }
}

/* Phase 2: the rest, fewest subscribers first (they have the fewest
 * places to go), each to its least loaded subscriber. */
static int place_rest(sticky *s)
{
    kc_group *g = s->g;
    int32_t max_subs = 0;
    for (int32_t t = 0; t < g->n_topics; t++)
        max_subs = s->n_subs[t] > max_subs ? s->n_subs[t] : max_subs;
    /* Counting order by subscriber count keeps this linear per level. */
    for (int32_t level = 1; level <= max_subs; level++)
        for (int32_t p = 0; p < g->n_parts; p++)
            if (g->assigned[p] < 0 && s->n_subs[g->part_topic[p]] == level)
                give(s, p, least_loaded(s, g->part_topic[p]));
    return 0;
}

/* One balancing move: from the most loaded member that can give a
 * partition to a subscriber with at least two fewer, its first such
 * partition not kept from before (moving those costs no stickiness), else
 * its first kept one. Returns 0 when no move exists: balanced. */
static int move_one(sticky *s, int32_t *to)
{
    kc_group *g = s->g;
    for (int32_t t = 0; t < g->n_topics; t++)
        to[t] = least_loaded(s, t);
    int32_t best_p = -1;
    for (int32_t p = 0; p < g->n_parts; p++) {
        int32_t a = g->assigned[p], b = to[g->part_topic[p]];
        if (a < 0 || s->load[a] - s->load[b] < 2) continue;
        if (best_p < 0) {
            best_p = p;
            continue;
        }
        int32_t cur = g->assigned[best_p];
        if (s->load[a] > s->load[cur] ||
            (s->load[a] == s->load[cur] &&
             (s->rank[a] < s->rank[cur] || (a == cur && s->kept[best_p] && !s->kept[p]))))
            best_p = p;
    }
    if (best_p < 0) return 0;
    give(s, best_p, to[g->part_topic[best_p]]);
    s->kept[best_p] = 0;
    return 1;
}

/* --- the common case: everyone subscribes to everything ------------------ */

static int all_identical(const kc_group *g)
{
    for (size_t i = 0; i < (size_t)g->n_members * (size_t)g->n_topics; i++)
        if (!g->subscribed[i]) return 0;
    return 1;
}

/* Balances in one pass instead of move by move: with N partitions and M
 * members, (N % M) members may keep N / M + 1 and the rest N / M. Those
 * slots go to the members that own the most (fewest moves), each member
 * keeps its lowest partitions up to its quota, and everything else fills
 * the members below quota in member order. Runs after keep_claims. */
static int balance_identical(sticky *s)
{
    kc_group *g = s->g;
    int32_t n = g->n_members, floor = g->n_parts / n, extra = g->n_parts % n;
    int32_t *by_load = kc_group_alloc(g, (size_t)n, sizeof(int32_t));
    int32_t *bucket = kc_group_alloc(g, (size_t)g->n_parts + 2, sizeof(int32_t));
    int32_t *quota = kc_group_alloc(g, (size_t)n, sizeof(int32_t));
    int32_t *held = kc_group_alloc(g, (size_t)n, sizeof(int32_t)); /* kept so far */
    if (!by_load || !bucket || !quota || !held) return KFK_ERR_NO_MEMORY;
    /* Counting sort, most owned first, member order within a count. */
    for (int32_t m = 0; m < n; m++)
        bucket[g->n_parts - s->load[m] + 1]++;
    for (int32_t i = 1; i <= g->n_parts + 1; i++)
        bucket[i] += bucket[i - 1];
    for (int32_t i = 0; i < n; i++) {
        int32_t m = g->order[i];
        by_load[bucket[g->n_parts - s->load[m]]++] = m;
    }
    for (int32_t i = 0; i < n; i++)
        quota[by_load[i]] = floor + (i < extra);
    for (int32_t p = 0; p < g->n_parts; p++) {
        int32_t m = g->assigned[p];
        if (m >= 0 && held[m]++ >= quota[m]) {
            g->assigned[p] = -1;
            s->kept[p] = 0;
            s->load[m]--;
        }
    }
    int32_t next = 0; /* position in g->order of the member being filled */
    for (int32_t p = 0; p < g->n_parts; p++) {
        if (g->assigned[p] >= 0) continue;
        while (s->load[g->order[next]] >= quota[g->order[next]])
            next++;
        give(s, p, g->order[next]);
    }
    return 0;
}

/* Cooperative phase one: a partition leaving an owner that is still here
 * goes to nobody until that owner has revoked it. */
static void withhold_moving(sticky *s)
{
    kc_group *g = s->g;
    for (int32_t p = 0; p < g->n_parts; p++) {
        int32_t owner = s->claim[p];
        if (owner >= 0 && (s->contested[p] || owner != g->assigned[p])) g->assigned[p] = -1;
    }
}

static int sticky_run(const kc_member *members, int32_t n_members, const kc_topic *topics,
                      int32_t n_topics, kp_consumer_protocol_assignment *out, karena *a,
                      int cooperative)
{
    kc_group g;
    sticky s;
    int err = kc_group_build(&g, members, n_members, topics, n_topics);
    if (!err) err = sticky_init(&s, &g, cooperative);
    int32_t *to = err ? NULL : kc_group_alloc(&g, (size_t)g.n_topics, sizeof(int32_t));
    if (!err && !to) err = KFK_ERR_NO_MEMORY;
    if (!err) {
        keep_claims(&s);
        if (g.n_members > 0 && all_identical(&g)) {
            err = balance_identical(&s);
        } else {
            place_rest(&s);
            while (move_one(&s, to))
                ;
        }
    }
    if (!err) {
        if (cooperative) withhold_moving(&s);
        err = kc_group_output(&g, out, a);
    }
    kc_group_free(&g);
    return err;
}

static int sticky_assign(const kc_member *members, int32_t n_members, const kc_topic *topics,
                         int32_t n_topics, kp_consumer_protocol_assignment *out, karena *a)
{
    return sticky_run(members, n_members, topics, n_topics, out, a, 0);
}

static int cooperative_assign(const kc_member *members, int32_t n_members, const kc_topic *topics,
                              int32_t n_topics, kp_consumer_protocol_assignment *out, karena *a)
{
    return sticky_run(members, n_members, topics, n_topics, out, a, 1);
}

/* --- user data ---------------------------------------------------------- */

/* StickyAssignorUserData v1: the last assignment and its generation. The
 * two topic-partition types are the same shape; copy to stay in C rules. */
static int sticky_user_data(const kc_member_state *st, kbuf *out)
{
    karena a = KARENA_INIT;
    kp_sticky_assignor_user_data d;
    kp_sticky_assignor_user_data_init(&d);
    d.generation = st->generation;
    d.n_previous_assignment = st->n_previous > 0 ? st->n_previous : 0;
    d.previous_assignment =
        karena_alloc(&a, sizeof(*d.previous_assignment) * (size_t)d.n_previous_assignment);
    int err = d.previous_assignment ? 0 : KFK_ERR_NO_MEMORY;
    for (int32_t i = 0; !err && i < d.n_previous_assignment; i++) {
        kp_sticky_assignor_user_data_topic_partition *tp = &d.previous_assignment[i];
        kp_sticky_assignor_user_data_topic_partition_init(tp);
        tp->topic = st->previous[i].topic;
        tp->partitions = st->previous[i].partitions;
        tp->n_partitions = st->previous[i].n_partitions;
    }
    if (!err) err = kc_sticky_user_data_encode(&d, out);
    karena_free(&a);
    return err;
}

/* The generation alone, for leaders that read subscriptions before v2. */
static int cooperative_user_data(const kc_member_state *st, kbuf *out)
{
    return kc_cooperative_user_data_encode(st->generation, out);
}

const kc_assignor kc_assignor_sticky = {
    .name = "sticky",
    .rebalance = KC_REBALANCE_EAGER,
    .user_data = sticky_user_data,
    .assign = sticky_assign,
};

const kc_assignor kc_assignor_cooperative_sticky = {
    .name = "cooperative-sticky",
    .rebalance = KC_REBALANCE_COOPERATIVE,
    .user_data = cooperative_user_data,
    .assign = cooperative_assign,
};
