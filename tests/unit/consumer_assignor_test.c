/* The range and roundrobin assignors give exactly what Java's RangeAssignor
 * and RoundRobinAssignor give: 400 seeded random groups, half with racks
 * (KIP-881), whose expected
 * assignments Java computed (tests/data/consumer/assign.txt, from
 * tools/golden/assignor-vectors), plus the examples of Java's docs and the
 * edges of the shared group model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "consumer/assignor.h"
#include "ktest.h"

#define MAX_MEMBERS 16
#define MAX_TOPICS 16

#define MAX_PARTS 16
#define MAX_RACKS 4

typedef struct group {
    kc_member members[MAX_MEMBERS];
    kslice subs[MAX_MEMBERS][MAX_TOPICS];
    int32_t n_members;
    kc_topic topics[MAX_TOPICS];
    int32_t n_topics;
    kc_replica_racks replicas[MAX_TOPICS][MAX_PARTS];
    kslice racks[MAX_TOPICS][MAX_PARTS][MAX_RACKS];
} group;

static kslice S(const char *s)
{
    return kwire_cstr(s);
}

/* Adds a member; topics is a comma-separated list (modified in place). */
static void add_member(group *g, const char *id, const char *instance, char *topics)
{
    kc_member *m = &g->members[g->n_members];
    kp_consumer_protocol_subscription_init(&m->sub);
    m->member_id = S(id);
    m->sub.rack_id = (kslice){NULL, 0};
    m->group_instance_id = instance ? S(instance) : (kslice){NULL, 0};
    m->sub.topics = g->subs[g->n_members];
    for (char *save, *t = strtok_r(topics, ",", &save); t; t = strtok_r(NULL, ",", &save))
        g->subs[g->n_members][m->sub.n_topics++] = S(t);
    g->n_members++;
}

static void add_topic(group *g, const char *name, int32_t partitions)
{
    g->topics[g->n_topics++] = (kc_topic){S(name), partitions, NULL};
}

/* racks: per partition, comma-separated: "-" for none or "r0+r1". */
static void set_replica_racks(group *g, int32_t t, char *racks)
{
    int32_t p = 0;
    g->topics[t].replica_racks = g->replicas[t];
    for (char *s1, *part = strtok_r(racks, ",", &s1); part && p < MAX_PARTS;
         part = strtok_r(NULL, ",", &s1), p++) {
        kc_replica_racks *r = &g->replicas[t][p];
        r->racks = g->racks[t][p];
        r->n = 0;
        for (char *s2, *rk = strtok_r(part, "+", &s2); rk && r->n < MAX_RACKS;
             rk = strtok_r(NULL, "+", &s2))
            if (strcmp(rk, "-") != 0) g->racks[t][p][r->n++] = S(rk);
    }
}

/* "t:0,1;u:2", or "-" for nothing, as AssignorVectors.java prints. */
static void text_of(const kp_consumer_protocol_assignment *m, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    if (m->n_assigned_partitions == 0) n += (size_t)snprintf(out, cap, "-");
    for (int32_t i = 0; i < m->n_assigned_partitions && n < cap; i++) {
        const kp_consumer_protocol_assignment_topic_partition *tp = &m->assigned_partitions[i];
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s:", i ? ";" : "", (int)tp->topic.len,
                              (const char *)tp->topic.ptr);
        for (int32_t j = 0; j < tp->n_partitions && n < cap; j++)
            n += (size_t)snprintf(out + n, cap - n, "%s%d", j ? "," : "", tp->partitions[j]);
    }
}

static const char *assigned_text(const char *assignor, group *g, const char *id)
{
    static char text[4096];
    kp_consumer_protocol_assignment out[MAX_MEMBERS];
    karena a = KARENA_INIT;
    const kc_assignor *as = kc_assignor_find(assignor);
    ck_assert_ptr_nonnull(as);
    ck_assert_int_eq(as->assign(g->members, g->n_members, g->topics, g->n_topics, out, &a), 0);
    text[0] = 0;
    for (int32_t i = 0; i < g->n_members; i++)
        if (kwire_eq(g->members[i].member_id, S(id))) text_of(&out[i], text, sizeof(text));
    karena_free(&a);
    return text;
}

/* --- Java's answers ------------------------------------------------------ */

static int run_golden_line(group *g, char *line)
{
    char *save, *kw = strtok_r(line, " ", &save);
    if (strcmp(kw, "scenario") == 0) {
        memset(g, 0, sizeof(*g));
    } else if (strcmp(kw, "topic") == 0) {
        char *name = strtok_r(NULL, " ", &save);
        add_topic(g, name, atoi(strtok_r(NULL, " ", &save)));
        set_replica_racks(g, g->n_topics - 1, strtok_r(NULL, " ", &save));
    } else if (strcmp(kw, "member") == 0) {
        char *id = strtok_r(NULL, " ", &save), *inst = strtok_r(NULL, " ", &save);
        char *rack = strtok_r(NULL, " ", &save);
        add_member(g, id, strcmp(inst, "-") ? inst : NULL, strtok_r(NULL, " ", &save));
        if (strcmp(rack, "-") != 0) g->members[g->n_members - 1].sub.rack_id = S(rack);
    } else if (strcmp(kw, "expect") == 0) {
        char *assignor = strtok_r(NULL, " ", &save), *id = strtok_r(NULL, " ", &save);
        char *want = strtok_r(NULL, " ", &save);
        const char *got = assigned_text(assignor, g, id);
        if (strcmp(got, want) != 0)
            ck_abort_msg("%s for %s: got %s, Java gave %s", assignor, id, got, want);
        return 1;
    }
    return 0;
}

START_TEST(test_range_and_roundrobin_match_java_on_random_groups)
{
    size_t len;
    char *file = ktest_read_file("tests/data/consumer/assign.txt", &len);
    ck_assert_ptr_nonnull(file);
    static group g;
    int checked = 0;
    for (char *save, *line = strtok_r(file, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        checked += run_golden_line(&g, line);
    ck_assert_int_ge(checked, 800);
    free(file);
}
END_TEST

/* --- documented examples and edges ---------------------------------------- */

START_TEST(test_range_gives_first_members_the_extra_partitions)
{
    static group g;
    char s0[] = "t0,t1", s1[] = "t0,t1";
    memset(&g, 0, sizeof(g));
    add_member(&g, "C1", NULL, s1);
    add_member(&g, "C0", NULL, s0);
    add_topic(&g, "t0", 3);
    add_topic(&g, "t1", 3);
    ck_assert_str_eq(assigned_text("range", &g, "C0"), "t0:0,1;t1:0,1");
    ck_assert_str_eq(assigned_text("range", &g, "C1"), "t0:2;t1:2");
    ck_assert_str_eq(assigned_text("roundrobin", &g, "C0"), "t0:0,2;t1:1");
    ck_assert_str_eq(assigned_text("roundrobin", &g, "C1"), "t0:1;t1:0,2");
}
END_TEST

START_TEST(test_static_members_sort_first_by_instance_id)
{
    static group g;
    char s0[] = "t", s1[] = "t", s2[] = "t";
    memset(&g, 0, sizeof(g));
    add_member(&g, "a-dynamic", NULL, s0);
    add_member(&g, "z-member", "instance-1", s1);
    add_member(&g, "b-member", "instance-2", s2);
    add_topic(&g, "t", 3);
    ck_assert_str_eq(assigned_text("range", &g, "z-member"), "t:0");
    ck_assert_str_eq(assigned_text("range", &g, "b-member"), "t:1");
    ck_assert_str_eq(assigned_text("range", &g, "a-dynamic"), "t:2");
}
END_TEST

START_TEST(test_topics_without_metadata_or_subscribers_are_skipped)
{
    static group g;
    char s0[] = "known,unknown,empty";
    memset(&g, 0, sizeof(g));
    add_member(&g, "m", NULL, s0);
    add_topic(&g, "known", 2);
    add_topic(&g, "empty", 0);
    add_topic(&g, "nobody", 4);
    add_topic(&g, "known", 3); /* listed twice: the larger count counts */
    const char *names[] = {"range", "roundrobin", "sticky", "cooperative-sticky"};
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(assigned_text(names[i], &g, "m"), "known:0,1,2");
}
END_TEST

START_TEST(test_duplicate_member_ids_are_rejected)
{
    static group g;
    char s0[] = "t", s1[] = "t";
    memset(&g, 0, sizeof(g));
    char s2[] = "t";
    add_member(&g, "m", NULL, s0);
    add_member(&g, "a", NULL, s2);
    add_member(&g, "m", "static-1", s1); /* sorts apart from the other "m" */
    add_topic(&g, "t", 2);
    kp_consumer_protocol_assignment out[3];
    karena a = KARENA_INIT;
    const char *names[] = {"range", "roundrobin", "sticky", "cooperative-sticky"};
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(kc_assignor_find(names[i])->assign(g.members, 3, g.topics, 1, out, &a),
                         KFK_ERR_INVALID_ARG);
    karena_free(&a);
}
END_TEST

START_TEST(test_empty_group_and_no_topics_assign_nothing)
{
    static group g;
    char s0[] = "t";
    memset(&g, 0, sizeof(g));
    kp_consumer_protocol_assignment out[1];
    karena a = KARENA_INIT;
    const char *names[] = {"range", "roundrobin", "sticky", "cooperative-sticky"};
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(kc_assignor_find(names[i])->assign(NULL, 0, NULL, 0, out, &a), 0);
    add_member(&g, "m", NULL, s0);
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(assigned_text(names[i], &g, "m"), "-");
    karena_free(&a);
}
END_TEST

START_TEST(test_assignors_have_javas_names_and_protocols)
{
    ck_assert_int_eq(kc_assignor_find("range")->rebalance, KC_REBALANCE_EAGER);
    ck_assert_int_eq(kc_assignor_find("roundrobin")->rebalance, KC_REBALANCE_EAGER);
    ck_assert_int_eq(kc_assignor_find("sticky")->rebalance, KC_REBALANCE_EAGER);
    ck_assert_int_eq(kc_assignor_find("cooperative-sticky")->rebalance, KC_REBALANCE_COOPERATIVE);
    ck_assert_ptr_eq(kc_assignor_find("range"), &kc_assignor_range);
    ck_assert_ptr_eq(kc_assignor_for_conf(KCONF_ASSIGNOR_RANGE), &kc_assignor_range);
    ck_assert_ptr_eq(kc_assignor_for_conf(KCONF_ASSIGNOR_ROUNDROBIN), &kc_assignor_roundrobin);
    ck_assert_ptr_eq(kc_assignor_for_conf(KCONF_ASSIGNOR_STICKY), &kc_assignor_sticky);
    ck_assert_ptr_eq(kc_assignor_for_conf(KCONF_ASSIGNOR_COOPERATIVE_STICKY),
                     &kc_assignor_cooperative_sticky);
    ck_assert_ptr_null(kc_assignor_for_conf(-1));
}
END_TEST

/* JoinGroup's member list in, the topics to look up and SyncGroup's
 * assignment bytes out: a kfk
 * member (v3), a Java member's v0 bytes, and one whose metadata is junk. */
START_TEST(test_leader_assign_decodes_assigns_and_encodes)
{
    kslice topics_wanted[] = {S("clicks"), S("orders")};
    kc_member_state st = {topics_wanted, 2, NULL, 0, NULL, 0, -1, {NULL, 0}};
    kbuf ours = {0}, out[3] = {{0}, {0}, {0}};
    ck_assert_int_eq(kc_assignor_metadata(&kc_assignor_range, &st, &ours), 0);
    /* Java's ConsumerProtocol, v0, topics clicks and orders. */
    static const uint8_t java_v0[] = {0,   0,   0,   0,   0,    2,    0,    6,   'c',
                                      'l', 'i', 'c', 'k', 's',  0,    6,    'o', 'r',
                                      'd', 'e', 'r', 's', 0xff, 0xff, 0xff, 0xff};
    kc_join_member jm[] = {
        {S("b"), {NULL, 0}, {java_v0, sizeof(java_v0)}},
        {S("a"), {NULL, 0}, {ours.data, ours.len}},
        {S("c"), {NULL, 0}, {(const uint8_t *)"\x00\x01\x00", 3}},
    };
    kc_topic topics[] = {{S("orders"), 2, NULL}, {S("clicks"), 1, NULL}};
    karena ta = KARENA_INIT;
    kslice *needed;
    int32_t n_needed;
    ck_assert_int_eq(kc_leader_topics(jm, 3, &ta, &needed, &n_needed), 0);
    ck_assert_int_eq(n_needed, 2);
    ck_assert(kwire_eq(needed[0], S("clicks")) && kwire_eq(needed[1], S("orders")));
    karena_free(&ta);
    ck_assert_int_eq(kc_leader_assign(&kc_assignor_range, jm, 3, topics, 2, out), 0);
    const char *want[] = {"orders:1", "clicks:0;orders:0", "-"};
    const int16_t want_version[] = {0, KC_ASSIGNMENT_VERSION, 0};
    for (int i = 0; i < 3; i++) {
        karena a = KARENA_INIT;
        kp_consumer_protocol_assignment m;
        int16_t v;
        char text[256];
        ck_assert_int_eq(kc_assignment_decode(&m, (kslice){out[i].data, out[i].len}, &a, &v), 0);
        ck_assert_int_eq(v, want_version[i]);
        text_of(&m, text, sizeof(text));
        ck_assert_str_eq(text, want[i]);
        kbuf_free(&out[i]);
        karena_free(&a);
    }
    kbuf_free(&ours);
    ck_assert_int_eq(kc_leader_assign(NULL, jm, 3, topics, 2, out), KFK_ERR_INVALID_ARG);
}
END_TEST

static void parts_text(const kp_consumer_protocol_subscription_topic_partition *tp, int32_t n,
                       char *out, size_t cap)
{
    size_t k = (size_t)snprintf(out, cap, "%s", n ? "" : "-");
    for (int32_t i = 0; i < n && k < cap; i++) {
        k += (size_t)snprintf(out + k, cap - k, "%s%.*s:", i ? ";" : "", (int)tp[i].topic.len,
                              (const char *)tp[i].topic.ptr);
        for (int32_t j = 0; j < tp[i].n_partitions && k < cap; j++)
            k += (size_t)snprintf(out + k, cap - k, "%s%d", j ? "," : "", tp[i].partitions[j]);
    }
}

START_TEST(test_assignment_diff_splits_revoked_and_added)
{
    static int32_t own_orders[] = {3, 0, 3}, own_clicks[] = {7}, new_orders[] = {5, 3},
                   new_views[] = {1};
    kp_consumer_protocol_subscription_topic_partition owned[] = {{S("orders"), own_orders, 3},
                                                                 {S("clicks"), own_clicks, 1}};
    kp_consumer_protocol_assignment_topic_partition now[] = {{S("views"), new_views, 1},
                                                             {S("orders"), new_orders, 2}};
    kp_consumer_protocol_assignment m;
    kp_consumer_protocol_assignment_init(&m);
    m.assigned_partitions = now;
    m.n_assigned_partitions = 2;
    karena a = KARENA_INIT;
    kc_assignment_change c;
    char text[128];
    ck_assert_int_eq(kc_assignment_diff(&m, owned, 2, &a, &c), 0);
    parts_text(c.revoked, c.n_revoked, text, sizeof(text));
    ck_assert_str_eq(text, "clicks:7;orders:0");
    parts_text(c.added, c.n_added, text, sizeof(text));
    ck_assert_str_eq(text, "orders:5;views:1");
    /* Nothing owned, nothing assigned: no change. */
    kp_consumer_protocol_assignment_init(&m);
    ck_assert_int_eq(kc_assignment_diff(&m, NULL, 0, &a, &c), 0);
    ck_assert_int_eq(c.n_revoked + c.n_added, 0);
    karena_free(&a);
}
END_TEST

static Suite *consumer_assignor_suite(void)
{
    Suite *s = suite_create("consumer_assignor");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_range_and_roundrobin_match_java_on_random_groups);
    tcase_add_test(tc, test_range_gives_first_members_the_extra_partitions);
    tcase_add_test(tc, test_static_members_sort_first_by_instance_id);
    tcase_add_test(tc, test_topics_without_metadata_or_subscribers_are_skipped);
    tcase_add_test(tc, test_duplicate_member_ids_are_rejected);
    tcase_add_test(tc, test_empty_group_and_no_topics_assign_nothing);
    tcase_add_test(tc, test_assignors_have_javas_names_and_protocols);
    tcase_add_test(tc, test_leader_assign_decodes_assigns_and_encodes);
    tcase_add_test(tc, test_assignment_diff_splits_revoked_and_added);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(consumer_assignor_suite());
}
