/* The "sticky" and "cooperative-sticky" assignors (Java's StickyAssignor
 * and CooperativeStickyAssignor, KIP-54 and KIP-429), our own algorithm
 * with the properties Java's promise:
 *   - every partition of a subscribed topic goes to exactly one of its
 *     subscribers;
 *   - balanced: no partition could move to another of its subscribers
 *     that has at least two fewer (so max - min <= 1 when everyone
 *     subscribes to the same topics);
 *   - sticky: a partition stays with its previous owner unless balance
 *     needs it elsewhere; when everyone subscribes to the same topics, no
 *     more partitions move than balance needs (with mixed subscriptions
 *     the moves are greedy, from the most loaded member first);
 *   - a partition claimed by two members goes by the higher generation;
 *     two claims in one generation void both (as Java does);
 *   - cooperative: a partition whose owner is still in the group but must
 *     give it up is withheld from everyone this round; the owner revokes
 *     it, rejoins, and the next round hands it on (KIP-429's two phases).
 *   - racks (KIP-881): a partition that has to go somewhere new goes to a
 *     member in a rack holding one of its replicas when balance allows.
 *     Unlike Java, which ranks locality above stickiness, a partition
 *     never moves only to become local: moving costs a revocation (and,
 *     cooperatively, a second rebalance) for a saving in cross-rack
 *     traffic that the next natural move gets anyway.
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

/* The subscriber of p's topic with the fewest partitions; among those, the
 * first in member order with a replica of p in its rack, else the first. */
static int32_t least_loaded_local(const sticky *s, int32_t p)
{
    const kc_group *g = s->g;
    int32_t t = g->part_topic[p], best = -1, local = -1;
    for (int32_t i = 0; i < g->n_members; i++) {
        int32_t m = g->order[i];
        if (!kc_group_subscribed(g, m, t)) continue;
        if (best < 0 || s->load[m] < s->load[best]) best = m;
        if (kc_group_rack_local(g, m, p) && (local < 0 || s->load[m] < s->load[local])) local = m;
    }
    return local >= 0 && s->load[local] == s->load[best] ? local : best;
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
                give(s, p, least_loaded_local(s, p));
    return 0;
}

/* --- balancing mixed subscriptions ----------------------------------------
 *
 * One move at a time: from the most loaded member that can give a
 * partition to a subscriber with at least two fewer, its first such
 * partition not kept from before (moving those costs no stickiness), else
 * its first kept one, to that topic's least loaded subscriber (ties: member
 * order). Until no move exists: balanced. Heaps keep each step at about
 * O(topics log members + one topic's partitions). */

typedef struct heap {
    int32_t *h; /* members */
    int32_t n;
    int32_t *pos; /* pos[m * stride]: m's index in h */
    int32_t stride;
    int max; /* most loaded on top, else least loaded; ties: member order */
} heap;

static int heap_before(const sticky *s, const heap *hp, int32_t a, int32_t b)
{
    if (s->load[a] != s->load[b])
        return hp->max ? s->load[a] > s->load[b] : s->load[a] < s->load[b];
    return s->rank[a] < s->rank[b];
}

static void heap_set(heap *hp, int32_t i, int32_t m)
{
    hp->h[i] = m;
    hp->pos[(size_t)m * (size_t)hp->stride] = i;
}

static void heap_up(const sticky *s, heap *hp, int32_t i)
{
    int32_t m = hp->h[i];
    while (i > 0 && heap_before(s, hp, m, hp->h[(i - 1) / 2])) {
        heap_set(hp, i, hp->h[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(hp, i, m);
}

static void heap_down(const sticky *s, heap *hp, int32_t i)
{
    int32_t m = hp->h[i];
    for (;;) {
        int32_t c = 2 * i + 1;
        if (c >= hp->n) break;
        if (c + 1 < hp->n && heap_before(s, hp, hp->h[c + 1], hp->h[c])) c++;
        if (!heap_before(s, hp, hp->h[c], m)) break;
        heap_set(hp, i, hp->h[c]);
        i = c;
    }
    heap_set(hp, i, m);
}

static void heap_push(const sticky *s, heap *hp, int32_t m)
{
    heap_set(hp, hp->n++, m);
    heap_up(s, hp, hp->n - 1);
}

static int32_t heap_pop(const sticky *s, heap *hp)
{
    int32_t top = hp->h[0];
    if (--hp->n > 0) {
        heap_set(hp, 0, hp->h[hp->n]);
        heap_down(s, hp, 0);
    }
    return top;
}

static void heap_fix(const sticky *s, heap *hp, int32_t m)
{
    int32_t i = hp->pos[(size_t)m * (size_t)hp->stride];
    heap_up(s, hp, i);
    heap_down(s, hp, hp->pos[(size_t)m * (size_t)hp->stride]);
}

typedef struct balance {
    sticky *s;
    heap *topic;     /* per topic: its subscribers, least loaded on top */
    heap donors;     /* every member, most loaded on top */
    int32_t *held;   /* held[(m * n_topics + t) * 2 + kept]: partitions */
    int32_t *popped; /* donors set aside while looking for one that can give */
} balance;

static int32_t *held(const balance *b, int32_t m, int32_t t, int kept)
{
    return &b->held[((size_t)m * (size_t)b->s->g->n_topics + (size_t)t) * 2 + (kept ? 1 : 0)];
}

static int balance_init(balance *b, sticky *s)
{
    kc_group *g = s->g;
    size_t mt = (size_t)g->n_members * (size_t)g->n_topics;
    b->s = s;
    b->topic = kc_group_alloc(g, (size_t)g->n_topics, sizeof(heap));
    b->held = kc_group_alloc(g, mt * 2, sizeof(int32_t));
    b->popped = kc_group_alloc(g, (size_t)g->n_members, sizeof(int32_t));
    int32_t *tpos = kc_group_alloc(g, mt, sizeof(int32_t));
    int32_t *slots = kc_group_alloc(g, mt + (size_t)g->n_members, sizeof(int32_t));
    int32_t *mpos = kc_group_alloc(g, (size_t)g->n_members, sizeof(int32_t));
    if (!b->topic || !b->held || !b->popped || !tpos || !slots || !mpos) return KFK_ERR_NO_MEMORY;
    for (int32_t t = 0; t < g->n_topics; t++) {
        b->topic[t] = (heap){slots, 0, tpos + t, g->n_topics, 0};
        slots += s->n_subs[t];
        for (int32_t m = 0; m < g->n_members; m++)
            if (kc_group_subscribed(g, m, t)) heap_push(s, &b->topic[t], m);
    }
    b->donors = (heap){slots, 0, mpos, 1, 1};
    for (int32_t m = 0; m < g->n_members; m++)
        heap_push(s, &b->donors, m);
    for (int32_t p = 0; p < g->n_parts; p++)
        if (g->assigned[p] >= 0) (*held(b, g->assigned[p], g->part_topic[p], s->kept[p]))++;
    return 0;
}

/* The partition member a should give, or -1 when it can give none. */
static int32_t pick(const balance *b, int32_t a)
{
    const sticky *s = b->s;
    const kc_group *g = s->g;
    int32_t kept_topic = -1;
    for (int32_t t = 0; t < g->n_topics; t++) {
        int32_t fresh = *held(b, a, t, 0), old = *held(b, a, t, 1);
        if ((!fresh && !old) || s->load[a] - s->load[b->topic[t].h[0]] < 2) continue;
        if (!fresh) {
            kept_topic = kept_topic < 0 ? t : kept_topic;
            continue;
        }
        for (int32_t p = g->first[t]; p < g->first[t] + g->count[t]; p++)
            if (g->assigned[p] == a && !s->kept[p]) return p;
    }
    if (kept_topic < 0) return -1;
    int32_t t = kept_topic;
    for (int32_t p = g->first[t]; p < g->first[t] + g->count[t]; p++)
        if (g->assigned[p] == a && s->kept[p]) return p;
    return -1;
}

/* Moves p to member to, keeping loads, heaps and counts current. */
static void move(balance *b, int32_t p, int32_t to)
{
    sticky *s = b->s;
    kc_group *g = s->g;
    int32_t from = g->assigned[p], t0 = g->part_topic[p];
    (*held(b, from, t0, s->kept[p]))--;
    (*held(b, to, t0, 0))++;
    s->kept[p] = 0;
    give(s, p, to);
    for (int32_t i = 0; i < 2; i++) {
        int32_t m = i ? to : from;
        for (int32_t t = 0; t < g->n_topics; t++)
            if (kc_group_subscribed(g, m, t)) heap_fix(s, &b->topic[t], m);
        heap_fix(s, &b->donors, m);
    }
}

/* One move; 0 when none is left. */
static int move_one(balance *b)
{
    const sticky *s = b->s;
    int32_t n_popped = 0, p = -1;
    while (b->donors.n > 0 && (p = pick(b, b->donors.h[0])) < 0)
        b->popped[n_popped++] = heap_pop(s, &b->donors);
    while (n_popped > 0)
        heap_push(s, &b->donors, b->popped[--n_popped]);
    if (p < 0) return 0;
    move(b, p, b->topic[s->g->part_topic[p]].h[0]);
    return 1;
}

/* --- the common case: everyone subscribes to everything ------------------ */

static int all_identical(const kc_group *g)
{
    for (size_t i = 0; i < (size_t)g->n_members * (size_t)g->n_topics; i++)
        if (!g->subscribed[i]) return 0;
    return 1;
}

/* Members by rack, in member order, each rack with a cursor past the
 * members that are full: the rack-local candidate for a partition is the
 * earliest cursor among its replicas' racks. */
typedef struct rack_queues {
    kslice *rack; /* distinct member racks */
    int32_t n;
    int32_t *start; /* rack i's members: members[start[i] .. start[i + 1]) */
    int32_t *members;
    int32_t *cursor;
} rack_queues;

static int32_t rack_index(const rack_queues *q, kslice rack)
{
    for (int32_t i = 0; i < q->n; i++)
        if (kwire_eq(q->rack[i], rack)) return i;
    return -1;
}

static int rack_queues_init(rack_queues *q, kc_group *g)
{
    int32_t n = g->n_members;
    q->rack = kc_group_alloc(g, (size_t)n, sizeof(kslice));
    q->start = kc_group_alloc(g, (size_t)n + 1, sizeof(int32_t));
    q->members = kc_group_alloc(g, (size_t)n, sizeof(int32_t));
    q->cursor = kc_group_alloc(g, (size_t)n + 1, sizeof(int32_t));
    if (!q->rack || !q->start || !q->members || !q->cursor) return KFK_ERR_NO_MEMORY;
    q->n = 0;
    for (int32_t m = 0; m < n; m++) {
        kslice r = g->members[m].sub.rack_id;
        if (r.ptr && rack_index(q, r) < 0) q->rack[q->n++] = r;
    }
    int32_t k = 0;
    for (int32_t i = 0; i < q->n; i++) {
        q->start[i] = q->cursor[i] = k;
        for (int32_t j = 0; j < n; j++) {
            kslice r = g->members[g->order[j]].sub.rack_id;
            if (r.ptr && kwire_eq(r, q->rack[i])) q->members[k++] = g->order[j];
        }
    }
    q->start[q->n] = k;
    return 0;
}

/* The first member in member order with room and a replica of p in its
 * rack, or -1. */
static int32_t rack_local_room(const sticky *s, rack_queues *q, const int32_t *quota, int32_t p)
{
    const kc_group *g = s->g;
    const kc_topic *meta = &g->meta[g->part_topic[p]];
    if (q->n == 0 || !meta->replica_racks) return -1;
    const kc_replica_racks *r = &meta->replica_racks[p - g->first[g->part_topic[p]]];
    int32_t best = -1;
    for (int32_t i = 0; i < r->n; i++) {
        int32_t k = rack_index(q, r->racks[i]);
        if (k < 0) continue;
        while (q->cursor[k] < q->start[k + 1] &&
               s->load[q->members[q->cursor[k]]] >= quota[q->members[q->cursor[k]]])
            q->cursor[k]++;
        if (q->cursor[k] == q->start[k + 1]) continue;
        int32_t m = q->members[q->cursor[k]];
        if (best < 0 || s->rank[m] < s->rank[best]) best = m;
    }
    return best;
}

/* Gives every free partition to a member below its quota: one in a rack
 * with a replica of it when there is one (KIP-881), else the first in
 * member order. Quotas add up to the partitions, so everyone ends on his. */
static int fill_identical(sticky *s, const int32_t *quota)
{
    kc_group *g = s->g;
    rack_queues q;
    if (rack_queues_init(&q, g)) return KFK_ERR_NO_MEMORY;
    int32_t next = 0; /* position in g->order of the first member with room */
    for (int32_t p = 0; p < g->n_parts; p++) {
        if (g->assigned[p] >= 0) continue;
        int32_t m = rack_local_room(s, &q, quota, p);
        if (m < 0) {
            while (s->load[g->order[next]] >= quota[g->order[next]])
                next++;
            m = g->order[next];
        }
        give(s, p, m);
    }
    return 0;
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
    return fill_identical(s, quota);
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
    if (!err) {
        keep_claims(&s);
        if (g.n_members > 0 && all_identical(&g)) {
            err = balance_identical(&s);
        } else {
            balance b;
            place_rest(&s);
            err = balance_init(&b, &s);
            while (!err && move_one(&b))
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
