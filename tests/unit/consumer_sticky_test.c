/* The sticky and cooperative-sticky assignors over many seeded random
 * groups that change between rebalances (members join and leave, change
 * subscriptions, topics grow). Each round goes through the real bytes:
 * kc_assignor_metadata, kc_subscription_decode, assign. Checked: every
 * partition of a subscribed topic goes to exactly one subscriber; balance
 * (no partition could go to a subscriber with two fewer); stickiness (with
 * identical subscriptions no more moves than the minimum); cooperative
 * two-phase (no partition reaches a new owner in the round its old owner,
 * still in the group, gives it up; the next round completes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/assignor.h"
#include "ktest.h"

#define MAX_M 12
#define MAX_T 5
#define MAX_P 24

typedef struct sim {
    uint64_t rng;
    int identical; /* everyone subscribes to every topic */
    int32_t n_topics;
    char names[MAX_T][16];
    int32_t count[MAX_T];
    int alive[MAX_M];
    char ids[MAX_M][24];
    uint8_t sub[MAX_M][MAX_T];
    int32_t gen[MAX_M];
    int32_t owner[MAX_T][MAX_P]; /* member slot holding the partition, -1 */
    int32_t next_id;
    int racks; /* members in racks r0-r2 (or none), replicas in racks */
    const char *rack[MAX_M];
    kc_replica_racks replicas[MAX_T][MAX_P];
    kslice replica_rack[MAX_T][MAX_P][3];
} sim;

static const char *const RACKS[] = {"r0", "r1", "r2"};

static uint32_t rnd(sim *s, uint32_t n)
{
    s->rng = s->rng * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(s->rng >> 33) % n;
}

static void join(sim *s)
{
    for (int m = 0; m < MAX_M; m++) {
        if (s->alive[m]) continue;
        s->alive[m] = 1;
        s->gen[m] = -1;
        snprintf(s->ids[m], sizeof(s->ids[m]), "member-%03d", s->next_id++ % 1000);
        for (int t = 0; t < MAX_T; t++)
            s->sub[m][t] = s->identical || rnd(s, 2);
        s->sub[m][rnd(s, (uint32_t)s->n_topics)] = 1;
        uint32_t r = rnd(s, 4);
        s->rack[m] = s->racks && r < 3 ? RACKS[r] : NULL;
        return;
    }
}

static int n_alive(const sim *s)
{
    int n = 0;
    for (int m = 0; m < MAX_M; m++)
        n += s->alive[m];
    return n;
}

/* A member leaves (what it held is no one's) or another change. */
static void mutate(sim *s)
{
    uint32_t what = rnd(s, 4);
    int m = (int)rnd(s, MAX_M);
    if (what == 0 || n_alive(s) < 2) {
        join(s);
    } else if (what == 1 && s->alive[m]) {
        s->alive[m] = 0;
        for (int t = 0; t < MAX_T; t++)
            for (int p = 0; p < MAX_P; p++)
                if (s->owner[t][p] == m) s->owner[t][p] = -1;
    } else if (what == 2 && s->alive[m] && !s->identical) {
        s->sub[m][rnd(s, (uint32_t)s->n_topics)] ^= 1;
    } else {
        int t = (int)rnd(s, (uint32_t)s->n_topics);
        if (s->count[t] < MAX_P) s->count[t]++;
    }
}

/* --- one rebalance through the wire format --------------------------------- */

typedef struct rebalance {
    kc_member members[MAX_M];
    int32_t slot[MAX_M]; /* member index -> sim slot */
    int32_t n;
    kp_consumer_protocol_assignment out[MAX_M];
    int32_t got[MAX_T][MAX_P]; /* slot assigned, -1 */
    karena a;
    kbuf bufs[MAX_M];
} rebalance;

static void member_metadata(const sim *s, int m, const kc_assignor *as, kbuf *b, karena *a)
{
    kslice topics[MAX_T];
    kp_consumer_protocol_subscription_topic_partition owned[MAX_T];
    int32_t parts[MAX_T][MAX_P];
    int32_t nt = 0, no = 0;
    for (int t = 0; t < s->n_topics; t++) {
        if (s->sub[m][t]) topics[nt++] = kwire_cstr(s->names[t]);
        kp_consumer_protocol_subscription_topic_partition *tp = &owned[no];
        kp_consumer_protocol_subscription_topic_partition_init(tp);
        tp->topic = kwire_cstr(s->names[t]);
        tp->partitions = parts[no];
        for (int p = 0; p < s->count[t]; p++)
            if (s->owner[t][p] == m) parts[no][tp->n_partitions++] = p;
        no += tp->n_partitions > 0;
    }
    /* Eager members revoked everything before joining: only the user data
     * remembers what they had. */
    int eager = as->rebalance == KC_REBALANCE_EAGER;
    kslice rack = s->rack[m] ? kwire_cstr(s->rack[m]) : (kslice){NULL, 0};
    kc_member_state st = {topics, nt, owned, eager ? 0 : no, owned, no, s->gen[m], rack};
    ck_assert_int_eq(kc_assignor_metadata(as, &st, b), 0);
    (void)a;
}

static void run_round(sim *s, const kc_assignor *as, rebalance *r)
{
    memset(r, 0, sizeof(*r));
    kc_topic topics[MAX_T];
    for (int t = 0; t < s->n_topics; t++)
        topics[t] =
            (kc_topic){kwire_cstr(s->names[t]), s->count[t], s->racks ? s->replicas[t] : NULL};
    for (int m = 0; m < MAX_M; m++) {
        if (!s->alive[m]) continue;
        kc_member *km = &r->members[r->n];
        member_metadata(s, m, as, &r->bufs[r->n], &r->a);
        ck_assert_int_eq(kc_subscription_decode(&km->sub,
                                                (kslice){r->bufs[r->n].data, r->bufs[r->n].len},
                                                &r->a, NULL),
                         0);
        km->member_id = kwire_cstr(s->ids[m]);
        r->slot[r->n++] = m;
    }
    ck_assert_int_eq(as->assign(r->members, r->n, topics, s->n_topics, r->out, &r->a), 0);
    for (int t = 0; t < MAX_T; t++)
        for (int p = 0; p < MAX_P; p++)
            r->got[t][p] = -1;
    for (int i = 0; i < r->n; i++) {
        for (int32_t j = 0; j < r->out[i].n_assigned_partitions; j++) {
            const kp_consumer_protocol_assignment_topic_partition *tp =
                &r->out[i].assigned_partitions[j];
            int t = 0;
            while (t < s->n_topics && !kwire_eq(tp->topic, kwire_cstr(s->names[t])))
                t++;
            ck_assert_int_lt(t, s->n_topics);
            ck_assert_msg(s->sub[r->slot[i]][t], "a partition of an unsubscribed topic");
            for (int32_t k = 0; k < tp->n_partitions; k++) {
                int p = tp->partitions[k];
                ck_assert(p >= 0 && p < s->count[t]);
                ck_assert_msg(r->got[t][p] < 0, "a partition assigned twice");
                r->got[t][p] = r->slot[i];
            }
        }
    }
}

static void round_free(rebalance *r)
{
    for (int i = 0; i < MAX_M; i++)
        kbuf_free(&r->bufs[i]);
    karena_free(&r->a);
}

/* --- the properties ---------------------------------------------------------- */

static int subscribed_by_anyone(const sim *s, int t)
{
    for (int m = 0; m < MAX_M; m++)
        if (s->alive[m] && s->sub[m][t]) return 1;
    return 0;
}

/* Returns how many partitions went unassigned; fails on any other gap. */
static int check_coverage(const sim *s, const rebalance *r, int cooperative)
{
    int withheld = 0;
    for (int t = 0; t < s->n_topics; t++) {
        for (int p = 0; p < s->count[t]; p++) {
            if (r->got[t][p] >= 0 || !subscribed_by_anyone(s, t)) continue;
            int old = s->owner[t][p];
            /* Only the cooperative assignor leaves a partition out, and only
             * while a member still in the group must revoke it first. */
            ck_assert_msg(cooperative && old >= 0, "partition %s-%d unassigned", s->names[t], p);
            withheld++;
        }
    }
    return withheld;
}

static void check_two_phase(const sim *s, const rebalance *r)
{
    for (int t = 0; t < s->n_topics; t++)
        for (int p = 0; p < s->count[t]; p++) {
            int old = s->owner[t][p], now = r->got[t][p];
            ck_assert_msg(old < 0 || now < 0 || old == now,
                          "%s-%d moved from %s to %s in one round", s->names[t], p, s->ids[old],
                          s->ids[now]);
        }
}

static void check_balance(const sim *s, const rebalance *r)
{
    int load[MAX_M] = {0};
    for (int t = 0; t < s->n_topics; t++)
        for (int p = 0; p < s->count[t]; p++)
            if (r->got[t][p] >= 0) load[r->got[t][p]]++;
    for (int t = 0; t < s->n_topics; t++)
        for (int p = 0; p < s->count[t]; p++)
            for (int m = 0; m < MAX_M; m++) {
                int a = r->got[t][p];
                ck_assert_msg(a < 0 || !s->alive[m] || !s->sub[m][t] || load[a] - load[m] < 2,
                              "%s-%d could go from %s (%d) to %s (%d)", s->names[t], p, s->ids[a],
                              load[a], s->ids[m], load[m]);
            }
}

static int cmp_desc(const void *x, const void *y)
{
    return *(const int *)y - *(const int *)x;
}

/* With identical subscriptions: the moves no balanced assignment avoids.
 * Members with the most keep ceil(N/M) where (N % M) of them can. */
static int min_moves(const sim *s, int *moves, const rebalance *r)
{
    int owned[MAX_M], k = 0, total = 0;
    *moves = 0;
    for (int m = 0; m < MAX_M; m++) {
        if (!s->alive[m]) continue;
        owned[k] = 0;
        for (int t = 0; t < s->n_topics; t++)
            for (int p = 0; p < s->count[t]; p++) {
                owned[k] += s->owner[t][p] == m;
                *moves += s->owner[t][p] == m && r->got[t][p] != m;
            }
        k++;
    }
    for (int t = 0; t < s->n_topics; t++)
        total += s->count[t];
    qsort(owned, (size_t)k, sizeof(int), cmp_desc);
    int need = 0, floor = total / k, extra = total % k;
    for (int i = 0; i < k; i++) {
        int keep = floor + (i < extra);
        need += owned[i] > keep ? owned[i] - keep : 0;
    }
    return need;
}

static void adopt(sim *s, const rebalance *r, int32_t generation)
{
    memcpy(s->owner, r->got, sizeof(s->owner));
    for (int m = 0; m < MAX_M; m++)
        s->gen[m] = generation;
}

/* --- driving it ------------------------------------------------------------------ */

static void simulate(const kc_assignor *as, uint64_t seed, int identical)
{
    static sim s;
    static rebalance r;
    /* Zeroed, every partition starts owned by slot 0 (generation -1): the
     * first round takes a group from one member that held everything. */
    memset(&s, 0, sizeof(s));
    s.rng = seed;
    s.identical = identical;
    s.racks = seed % 2 == 0;
    s.n_topics = 1 + (int32_t)rnd(&s, MAX_T);
    for (int t = 0; t < s.n_topics; t++) {
        snprintf(s.names[t], sizeof(s.names[t]), "t%d", t);
        s.count[t] = 1 + (int32_t)rnd(&s, MAX_P - 4);
        for (int p = 0; p < MAX_P; p++) {
            kc_replica_racks *rr = &s.replicas[t][p];
            rr->racks = s.replica_rack[t][p];
            rr->n = 0;
            for (int k = 0; k < 3; k++)
                if (rnd(&s, 3) == 0) s.replica_rack[t][p][rr->n++] = kwire_cstr(RACKS[k]);
        }
    }
    for (int i = 0, n = 1 + (int)rnd(&s, 6); i < n; i++)
        join(&s);
    int coop = as->rebalance == KC_REBALANCE_COOPERATIVE;
    int32_t generation = 1;
    for (int step = 0; step < 12; step++) {
        run_round(&s, as, &r);
        int withheld = check_coverage(&s, &r, coop);
        if (coop) check_two_phase(&s, &r);
        if (identical) {
            int moves, need = min_moves(&s, &moves, &r);
            ck_assert_msg(moves <= need, "seed %llu step %d: %d moves, %d needed",
                          (unsigned long long)seed, step, moves, need);
        }
        /* Cooperative: members revoke and rejoin until nothing is withheld. */
        for (int extra = 0; withheld && extra < 4; extra++) {
            adopt(&s, &r, generation++);
            round_free(&r);
            run_round(&s, as, &r);
            withheld = check_coverage(&s, &r, coop);
            check_two_phase(&s, &r);
            ck_assert_msg(!identical || !withheld, "identical subscriptions need one more round");
        }
        ck_assert_int_eq(withheld, 0);
        check_balance(&s, &r);
        adopt(&s, &r, generation++);
        round_free(&r);
        mutate(&s);
    }
}

START_TEST(test_sticky_properties_hold_over_random_rebalances)
{
    for (uint64_t seed = 1; seed <= 150; seed++) {
        simulate(&kc_assignor_sticky, seed, 1);
        simulate(&kc_assignor_sticky, seed, 0);
    }
}
END_TEST

START_TEST(test_cooperative_properties_hold_over_random_rebalances)
{
    for (uint64_t seed = 1; seed <= 150; seed++) {
        simulate(&kc_assignor_cooperative_sticky, seed, 1);
        simulate(&kc_assignor_cooperative_sticky, seed, 0);
    }
}
END_TEST

/* --- generation conflicts -------------------------------------------------- */

/* Two members, both on topic "t" with 2 partitions; each claims partition 0
 * in the given generation (cooperative: owned_partitions + generation_id;
 * eager: the v1 user data). Returns who got partition 0: 0, 1, or -1. */
static int conflict(const kc_assignor *as, int32_t gen0, int32_t gen1)
{
    static int32_t zero[] = {0};
    kslice topic = kwire_cstr("t");
    kp_consumer_protocol_subscription_topic_partition claim = {topic, zero, 1};
    int32_t gens[2] = {gen0, gen1};
    kc_member members[2];
    kbuf bufs[2] = {{0}, {0}};
    karena a = KARENA_INIT;
    int eager = as->rebalance == KC_REBALANCE_EAGER;
    for (int i = 0; i < 2; i++) {
        kc_member_state st = {&topic, 1, &claim, eager ? 0 : 1, &claim, 1, gens[i], {NULL, 0}};
        ck_assert_int_eq(kc_assignor_metadata(as, &st, &bufs[i]), 0);
        ck_assert_int_eq(
            kc_subscription_decode(&members[i].sub, (kslice){bufs[i].data, bufs[i].len}, &a, NULL),
            0);
        members[i].member_id = kwire_cstr(i ? "m1" : "m0");
        members[i].group_instance_id = (kslice){NULL, 0};
    }
    kc_topic topics[] = {{topic, 2}};
    kp_consumer_protocol_assignment out[2];
    ck_assert_int_eq(as->assign(members, 2, topics, 1, out, &a), 0);
    int who = -1;
    for (int i = 0; i < 2; i++)
        for (int32_t j = 0; j < out[i].n_assigned_partitions; j++)
            for (int32_t k = 0; k < out[i].assigned_partitions[j].n_partitions; k++)
                if (out[i].assigned_partitions[j].partitions[k] == 0) who = i;
    for (int i = 0; i < 2; i++)
        kbuf_free(&bufs[i]);
    karena_free(&a);
    return who;
}

START_TEST(test_higher_generation_claim_wins)
{
    ck_assert_int_eq(conflict(&kc_assignor_sticky, 4, 5), 1);
    ck_assert_int_eq(conflict(&kc_assignor_sticky, 5, 4), 0);
    ck_assert_int_eq(conflict(&kc_assignor_cooperative_sticky, 4, 5), 1);
    ck_assert_int_eq(conflict(&kc_assignor_cooperative_sticky, 5, 4), 0);
    /* No generation (-1) loses to any. */
    ck_assert_int_eq(conflict(&kc_assignor_cooperative_sticky, 7, -1), 0);
}
END_TEST

START_TEST(test_claims_in_one_generation_void_each_other)
{
    /* Eager: both gave everything up, so someone simply gets it. */
    ck_assert_int_ne(conflict(&kc_assignor_sticky, 5, 5), -1);
    /* Cooperative: both may still be consuming it; nobody gets it until
     * both have revoked it. */
    ck_assert_int_eq(conflict(&kc_assignor_cooperative_sticky, 5, 5), -1);
}
END_TEST

/* A cooperative member from before subscription v2 sends its generation
 * in the user data; owned_partitions (v1) still says what it holds. */
START_TEST(test_cooperative_reads_generation_from_user_data_before_v2)
{
    static int32_t parts0[] = {0, 1}, parts1[] = {0};
    kslice topic = kwire_cstr("t");
    kp_consumer_protocol_subscription_topic_partition own0 = {topic, parts0, 2};
    kp_consumer_protocol_subscription_topic_partition own1 = {topic, parts1, 1};
    kbuf ud0 = {0}, ud1 = {0};
    ck_assert_int_eq(kc_cooperative_user_data_encode(3, &ud0), 0);
    ck_assert_int_eq(kc_cooperative_user_data_encode(2, &ud1), 0);
    kc_member members[2];
    for (int i = 0; i < 2; i++) {
        kp_consumer_protocol_subscription_init(&members[i].sub);
        members[i].sub.topics = &topic;
        members[i].sub.n_topics = 1;
        members[i].group_instance_id = (kslice){NULL, 0};
    }
    members[0].member_id = kwire_cstr("m0");
    members[0].sub.owned_partitions = &own0;
    members[0].sub.n_owned_partitions = 1;
    members[0].sub.user_data = (kslice){ud0.data, ud0.len};
    members[1].member_id = kwire_cstr("m1");
    members[1].sub.owned_partitions = &own1;
    members[1].sub.n_owned_partitions = 1;
    members[1].sub.user_data = (kslice){ud1.data, ud1.len};
    kc_topic topics[] = {{topic, 2}};
    kp_consumer_protocol_assignment out[2];
    karena a = KARENA_INIT;
    ck_assert_int_eq(kc_assignor_cooperative_sticky.assign(members, 2, topics, 1, out, &a), 0);
    /* m0's generation 3 beats m1's 2 for partition 0: m0 keeps both, m1's
     * stale claim is not an owner to wait for. Balance would move one to
     * m1, but m0 must revoke it first: this round m1 gets nothing. */
    ck_assert_int_eq(out[0].n_assigned_partitions, 1);
    ck_assert_int_eq(out[0].assigned_partitions[0].n_partitions, 1);
    ck_assert_int_eq(out[1].n_assigned_partitions, 0);
    kbuf_free(&ud0);
    kbuf_free(&ud1);
    karena_free(&a);
}
END_TEST

/* --- racks -------------------------------------------------------------- */

/* Members "a" (rack r0) and "b" (rack r1) share topic t, whose even
 * partitions have replicas only in r1 and odd ones only in r0; with
 * mixed, a third member "c" takes topic u alone (the general path). */
static void rack_group(const kc_assignor *as, int mixed, char *text_a, char *text_b)
{
    kslice t = kwire_cstr("t"), u = kwire_cstr("u");
    kslice r0[] = {kwire_cstr("r0")}, r1[] = {kwire_cstr("r1")};
    kc_replica_racks reps[4] = {{r1, 1}, {r0, 1}, {r1, 1}, {r0, 1}};
    kc_topic topics[] = {{t, 4, reps}, {u, 1, NULL}};
    kc_member ms[3];
    const char *ids[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        kp_consumer_protocol_subscription_init(&ms[i].sub);
        ms[i].member_id = kwire_cstr(ids[i]);
        ms[i].group_instance_id = (kslice){NULL, 0};
        ms[i].sub.topics = i < 2 ? &t : &u;
        ms[i].sub.n_topics = 1;
    }
    ms[0].sub.rack_id = r0[0];
    ms[1].sub.rack_id = r1[0];
    kp_consumer_protocol_assignment out[3];
    karena a = KARENA_INIT;
    ck_assert_int_eq(as->assign(ms, mixed ? 3 : 2, topics, 2, out, &a), 0);
    char *texts[] = {text_a, text_b};
    for (int i = 0; i < 2; i++) {
        texts[i][0] = 0;
        for (int32_t k = 0;
             out[i].n_assigned_partitions && k < out[i].assigned_partitions[0].n_partitions; k++)
            sprintf(texts[i] + strlen(texts[i]), "%d", out[i].assigned_partitions[0].partitions[k]);
    }
    karena_free(&a);
}

START_TEST(test_free_partitions_go_to_members_in_a_replica_rack)
{
    const kc_assignor *as[] = {&kc_assignor_sticky, &kc_assignor_cooperative_sticky};
    for (int i = 0; i < 2; i++)
        for (int mixed = 0; mixed < 2; mixed++) {
            char ta[16], tb[16];
            rack_group(as[i], mixed, ta, tb);
            ck_assert_str_eq(ta, "13");
            ck_assert_str_eq(tb, "02");
        }
}
END_TEST

static Suite *consumer_sticky_suite(void)
{
    Suite *s = suite_create("consumer_sticky");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sticky_properties_hold_over_random_rebalances);
    tcase_add_test(tc, test_cooperative_properties_hold_over_random_rebalances);
    tcase_add_test(tc, test_higher_generation_claim_wins);
    tcase_add_test(tc, test_claims_in_one_generation_void_each_other);
    tcase_add_test(tc, test_cooperative_reads_generation_from_user_data_before_v2);
    tcase_add_test(tc, test_free_partitions_go_to_members_in_a_replica_rack);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(consumer_sticky_suite());
}
