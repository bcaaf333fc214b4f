/* Consumer groups in the mock: the classic protocol (join with member id
 * required, leader and protocol choice, sync, heartbeats, rebalances on
 * join, leave, session expiry and rebalance timeout, static membership),
 * DescribeGroups/ListGroups, the coordinator FindCoordinator names, and
 * committed offsets with the generation and epoch checks of both group
 * types. Members are blocking connections; a parked JoinGroup or SyncGroup
 * is sent, others act, then its answer is read. */
#include <pthread.h>

#include "kgroup_wire.h"
#include "mock/groups.h"
#include "mock/mock.h"

#define JOIN_V 9
#define SYNC_V 5
#define HB_V 4
#define LEAVE_V 5
#define SESSION_MS 10000
#define REBALANCE_MS 10000

static kfk_mock_cluster *mc;

static void setup(void)
{
    mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 4, 1), 0);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
}

/* ------------------------------------------------------------ helpers */

/* A group member over its own connection to the coordinator. */
typedef kgm member;

static void member_open(member *m, const char *group, const char *instance)
{
    memset(m, 0, sizeof(*m));
    m->group = group;
    m->instance = instance;
    m->generation = -1;
    mt_open(&m->c, mc, mt_group_coordinator(mc, group));
}

/* A JoinGroup offering protocols (names, comma-separated); the metadata
 * of each is "<name>@<tag>". */
static void join_send(member *m, const char *protocols, const char *tag)
{
    kgm_join_send(m, JOIN_V, protocols, tag, SESSION_MS, REBALANCE_MS);
}

static int join_recv(member *m)
{
    return kgm_join_recv(m, JOIN_V);
}

/* A dynamic member's first join: MEMBER_ID_REQUIRED, then the real one
 * (sent, not read: it may park). */
static void join_new(member *m, const char *protocols, const char *tag)
{
    join_send(m, protocols, tag);
    ck_assert_int_eq(join_recv(m), KFK_ERR_MEMBER_ID_REQUIRED);
    ck_assert_int_gt(strlen(m->id), 0);
    join_send(m, protocols, tag);
}

static void sync_send(member *m, member **assign_to, const char **assignments, int n)
{
    kgm_sync_send(m, SYNC_V, m->protocol, assign_to, assignments, n);
}

static int sync_recv(member *m)
{
    return kgm_sync_recv(m, SYNC_V, m->protocol);
}

static int heartbeat_as(member *m, const char *member_id, int32_t generation)
{
    return kgm_heartbeat_as(&m->c, HB_V, m->group, generation, member_id, m->instance);
}

static int heartbeat(member *m)
{
    return heartbeat_as(m, m->id, m->generation);
}

/* Heartbeats (pacing them) until the answer is want or deadline_ms pass. */
static bool heartbeat_until(member *m, int want, int deadline_ms)
{
    return kgm_heartbeat_until(m, HB_V, want, deadline_ms);
}

/* One member alone: joined and synced to a Stable group. */
static void solo(member *m, const char *group, const char *assignment)
{
    member_open(m, group, NULL);
    join_new(m, "range", "a");
    ck_assert_int_eq(join_recv(m), 0);
    member *to[] = {m};
    sync_send(m, to, &assignment, 1);
    ck_assert_int_eq(sync_recv(m), 0);
}

/* Two members, a the leader, Stable with assignments "A" and "B". */
static void pair(member *a, member *b, const char *group)
{
    solo(a, group, "A0");
    member_open(b, group, NULL);
    join_new(b, "range", "b"); /* parks: a must rejoin */
    ck_assert_int_eq(heartbeat(a), KFK_ERR_REBALANCE_IN_PROGRESS);
    join_send(a, "range", "a");
    ck_assert_int_eq(join_recv(a), 0);
    ck_assert_int_eq(join_recv(b), 0);
    sync_send(b, NULL, NULL, 0);
    member *to[] = {a, b};
    const char *as[] = {"A", "B"};
    sync_send(a, to, as, 2);
    ck_assert_int_eq(sync_recv(a), 0);
    ck_assert_int_eq(sync_recv(b), 0);
}

static void member_close(member *m)
{
    mt_close(&m->c);
}

/* ------------------------------------------------------------- joining */

START_TEST(test_first_join_requires_a_member_id_then_leads_alone)
{
    member a;
    member_open(&a, "g1", NULL);
    join_send(&a, "range,roundrobin", "a");
    ck_assert_int_eq(join_recv(&a), KFK_ERR_MEMBER_ID_REQUIRED);
    ck_assert_ptr_nonnull(strstr(a.id, "mock-test-")); /* client id prefix */
    join_send(&a, "range,roundrobin", "a");
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(a.generation, 1);
    ck_assert_str_eq(a.leader, a.id);
    ck_assert_str_eq(a.protocol, "range");
    ck_assert_int_eq(a.n_members, 1);
    ck_assert_str_eq(a.member_ids[0], a.id);
    ck_assert_str_eq(a.metadata[0], "range@a");
    /* Heartbeats are fine while the assignment is awaited. */
    ck_assert_int_eq(heartbeat(&a), 0);
    member *to[] = {&a};
    const char *as[] = {"all"};
    sync_send(&a, to, as, 1);
    ck_assert_int_eq(sync_recv(&a), 0);
    ck_assert_str_eq(a.assignment, "all");
    ck_assert_int_eq(heartbeat(&a), 0);
    member_close(&a);
}
END_TEST

START_TEST(test_two_members_rebalance_and_each_gets_its_assignment)
{
    member a, b;
    pair(&a, &b, "g2");
    ck_assert_int_eq(a.generation, 2);
    ck_assert_int_eq(b.generation, 2);
    ck_assert_str_eq(a.leader, a.id); /* the leader stays */
    ck_assert_str_eq(b.leader, a.id);
    ck_assert_int_eq(a.n_members, 2);
    ck_assert_int_eq(b.n_members, 0); /* followers see no members */
    for (int i = 0; i < 2; i++) {
        const char *want = strcmp(a.member_ids[i], a.id) == 0 ? "range@a" : "range@b";
        ck_assert_str_eq(a.metadata[i], want);
    }
    ck_assert_str_eq(a.assignment, "A");
    ck_assert_str_eq(b.assignment, "B");
    ck_assert_int_eq(heartbeat(&a), 0);
    ck_assert_int_eq(heartbeat(&b), 0);
    /* A follower rejoining unchanged gets the current generation. */
    join_send(&b, "range", "b");
    ck_assert_int_eq(join_recv(&b), 0);
    ck_assert_int_eq(b.generation, 2);
    ck_assert_int_eq(heartbeat(&a), 0);
    member_close(&a);
    member_close(&b);
}
END_TEST

START_TEST(test_protocol_is_chosen_by_vote_among_common_ones)
{
    member a, b, c;
    member_open(&a, "g3", NULL);
    member_open(&b, "g3", NULL);
    member_open(&c, "g3", NULL);
    join_new(&a, "range,roundrobin", "a");
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_str_eq(a.protocol, "range");
    join_new(&b, "roundrobin,range", "b");
    join_new(&c, "sticky,roundrobin", "c");
    join_send(&a, "range,roundrobin", "a");
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(join_recv(&b), 0);
    ck_assert_int_eq(join_recv(&c), 0);
    /* Only roundrobin is common to all three. */
    ck_assert_str_eq(a.protocol, "roundrobin");
    ck_assert_str_eq(c.protocol, "roundrobin");
    ck_assert_int_eq(a.n_members, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_ptr_nonnull(strstr(a.metadata[i], "roundrobin@"));
    /* A member sharing no protocol with the group is refused. */
    member d;
    member_open(&d, "g3", NULL);
    join_send(&d, "cooperative-sticky", "d");
    ck_assert_int_eq(join_recv(&d), KFK_ERR_INCONSISTENT_GROUP_PROTOCOL);
    member_close(&a);
    member_close(&b);
    member_close(&c);
    member_close(&d);
}
END_TEST

START_TEST(test_votes_pick_the_majority_protocol)
{
    member m[3];
    const char *prefs[] = {"range,roundrobin", "roundrobin,range", "roundrobin,range"};
    for (int i = 0; i < 3; i++)
        member_open(&m[i], "g-vote", NULL);
    join_new(&m[0], prefs[0], "0");
    ck_assert_int_eq(join_recv(&m[0]), 0);
    join_new(&m[1], prefs[1], "1");
    join_new(&m[2], prefs[2], "2");
    join_send(&m[0], prefs[0], "0");
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(join_recv(&m[i]), 0);
        ck_assert_str_eq(m[i].protocol, "roundrobin"); /* two votes to one */
        member_close(&m[i]);
    }
}
END_TEST

START_TEST(test_join_outside_session_bounds_and_at_the_wrong_broker_fails)
{
    member a;
    member_open(&a, "g4", NULL);
    kgm_join_send(&a, JOIN_V, "range", "a", 5999, REBALANCE_MS);
    ck_assert_int_eq(join_recv(&a), KFK_ERR_INVALID_SESSION_TIMEOUT);
    kgm_join_send(&a, JOIN_V, "range", "a", 1800001, REBALANCE_MS);
    ck_assert_int_eq(join_recv(&a), KFK_ERR_INVALID_SESSION_TIMEOUT);
    /* No protocols: refused, and the group it would have made is not kept. */
    kp_join_group_request jr;
    kp_join_group_request_init(&jr);
    jr.group_id = kwire_cstr("g4");
    jr.session_timeout_ms = SESSION_MS;
    jr.member_id = KWIRE_EMPTY;
    jr.protocol_type = kwire_cstr("consumer");
    kp_join_group_response jresp;
    mt_call(&a.c, KP_JOIN_GROUP_KEY, JOIN_V, &jr, &jresp);
    ck_assert_int_eq(jresp.error_code, KFK_ERR_INCONSISTENT_GROUP_PROTOCOL);
    kslice gid = kwire_cstr("g4");
    kp_describe_groups_request dr;
    kp_describe_groups_request_init(&dr);
    dr.groups = &gid;
    dr.n_groups = 1;
    kp_describe_groups_response dresp;
    mt_call(&a.c, KP_DESCRIBE_GROUPS_KEY, 6, &dr, &dresp);
    ck_assert_int_eq(dresp.groups[0].error_code, KFK_ERR_GROUP_ID_NOT_FOUND);
    member_close(&a);
    int32_t coord = mt_group_coordinator(mc, "g4");
    member w;
    memset(&w, 0, sizeof(w));
    w.group = "g4";
    mt_open(&w.c, mc, coord % 3 + 1);
    join_send(&w, "range", "w");
    ck_assert_int_eq(join_recv(&w), KFK_ERR_NOT_COORDINATOR);
    ck_assert_int_eq(heartbeat_as(&w, "x", 1), KFK_ERR_NOT_COORDINATOR);
    member_close(&w);
}
END_TEST

/* Every JoinGroup version: v0-3 join at once, v4+ need the id first. */
START_TEST(test_join_sync_heartbeat_leave_at_every_version)
{
    for (int16_t v = 0; v <= 9; v++) {
        char group[32];
        snprintf(group, sizeof(group), "gv%d", v);
        member a;
        member_open(&a, group, NULL);
        kgm_join_send(&a, v, "range", "a", SESSION_MS, REBALANCE_MS);
        int err = kgm_join_recv(&a, v);
        if (v >= 4) {
            ck_assert_int_eq(err, KFK_ERR_MEMBER_ID_REQUIRED);
            kgm_join_send(&a, v, "range", "a", SESSION_MS, REBALANCE_MS);
            err = kgm_join_recv(&a, v);
        }
        ck_assert_int_eq(err, 0);
        ck_assert_int_eq(a.generation, 1);
        ck_assert_str_eq(a.leader, a.id);
        ck_assert_str_eq(a.protocol, "range");
        int16_t sv = v < 5 ? v : 5, hv = v < 4 ? v : 4, lv = v < 5 ? v : 5;
        kp_sync_group_request_assignment as = {kwire_cstr(a.id), kwire_cstr("x")};
        kp_sync_group_request sr;
        kp_sync_group_request_init(&sr);
        sr.group_id = kwire_cstr(group);
        sr.generation_id = 1;
        sr.member_id = kwire_cstr(a.id);
        sr.assignments = &as;
        sr.n_assignments = 1;
        kp_sync_group_response sresp;
        mt_call(&a.c, KP_SYNC_GROUP_KEY, sv, &sr, &sresp);
        ck_assert_int_eq(sresp.error_code, 0);
        ck_assert(kwire_eq(sresp.assignment, kwire_cstr("x")));
        kp_heartbeat_request hr;
        kp_heartbeat_request_init(&hr);
        hr.group_id = kwire_cstr(group);
        hr.generation_id = 1;
        hr.member_id = kwire_cstr(a.id);
        kp_heartbeat_response hresp;
        mt_call(&a.c, KP_HEARTBEAT_KEY, hv, &hr, &hresp);
        ck_assert_int_eq(hresp.error_code, 0);
        kp_leave_group_request lr;
        kp_leave_group_request_init(&lr);
        kp_leave_group_request_member_identity id;
        kp_leave_group_request_member_identity_init(&id);
        id.member_id = kwire_cstr(a.id);
        lr.group_id = kwire_cstr(group);
        if (lv >= 3) {
            lr.members = &id;
            lr.n_members = 1;
        } else {
            lr.member_id = kwire_cstr(a.id);
        }
        kp_leave_group_response lresp;
        mt_call(&a.c, KP_LEAVE_GROUP_KEY, lv, &lr, &lresp);
        ck_assert_int_eq(lresp.error_code, 0);
        if (lv >= 3) {
            ck_assert_int_eq(lresp.n_members, 1);
            ck_assert_int_eq(lresp.members[0].error_code, 0);
        }
        /* The group is empty now: the member is gone. */
        mt_call(&a.c, KP_HEARTBEAT_KEY, hv, &hr, &hresp);
        ck_assert_int_eq(hresp.error_code, KFK_ERR_UNKNOWN_MEMBER_ID);
        member_close(&a);
    }
}
END_TEST

/* ----------------------------------------------------------- heartbeats */

START_TEST(test_heartbeat_errors_name_what_is_wrong)
{
    member a;
    solo(&a, "g5", "x");
    ck_assert_int_eq(heartbeat_as(&a, a.id, a.generation + 1), KFK_ERR_ILLEGAL_GENERATION);
    ck_assert_int_eq(heartbeat_as(&a, "nobody", a.generation), KFK_ERR_UNKNOWN_MEMBER_ID);
    member other = a;
    other.group = "no-such-group";
    mt_open(&other.c, mc, mt_group_coordinator(mc, "no-such-group"));
    ck_assert_int_eq(heartbeat(&other), KFK_ERR_UNKNOWN_MEMBER_ID);
    mt_close(&other.c);
    ck_assert_int_eq(heartbeat(&a), 0);
    member_close(&a);
}
END_TEST

/* ----------------------------------------------------- leaving, expiry */

START_TEST(test_leave_starts_a_rebalance_and_unknown_leavers_are_named)
{
    member a, b;
    pair(&a, &b, "g6");
    kp_leave_group_request lr;
    kp_leave_group_request_init(&lr);
    kp_leave_group_request_member_identity ids[2];
    kp_leave_group_request_member_identity_init(&ids[0]);
    kp_leave_group_request_member_identity_init(&ids[1]);
    ids[0].member_id = kwire_cstr(b.id);
    ids[1].member_id = kwire_cstr("ghost");
    lr.group_id = kwire_cstr("g6");
    lr.members = ids;
    lr.n_members = 2;
    kp_leave_group_response lresp;
    mt_call(&b.c, KP_LEAVE_GROUP_KEY, LEAVE_V, &lr, &lresp);
    ck_assert_int_eq(lresp.error_code, 0);
    ck_assert_int_eq(lresp.n_members, 2);
    ck_assert_int_eq(lresp.members[0].error_code, 0);
    ck_assert_int_eq(lresp.members[1].error_code, KFK_ERR_UNKNOWN_MEMBER_ID);
    ck_assert(kwire_eq(lresp.members[1].member_id, kwire_cstr("ghost")));
    ck_assert_int_eq(heartbeat(&a), KFK_ERR_REBALANCE_IN_PROGRESS);
    join_send(&a, "range", "a");
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(a.generation, 3);
    ck_assert_int_eq(a.n_members, 1);
    ck_assert_int_eq(heartbeat(&b), KFK_ERR_UNKNOWN_MEMBER_ID);
    /* Leaving a group that does not exist: per member from v3, else at
     * the top (as Kafka answers). */
    mt_close(&b.c);
    mt_open(&b.c, mc, mt_group_coordinator(mc, "g6-none"));
    lr.group_id = kwire_cstr("g6-none");
    lr.n_members = 1;
    mt_call(&b.c, KP_LEAVE_GROUP_KEY, LEAVE_V, &lr, &lresp);
    ck_assert_int_eq(lresp.error_code, 0);
    ck_assert_int_eq(lresp.members[0].error_code, KFK_ERR_UNKNOWN_MEMBER_ID);
    lr.member_id = kwire_cstr(b.id);
    lr.members = NULL;
    lr.n_members = 0;
    mt_call(&b.c, KP_LEAVE_GROUP_KEY, 2, &lr, &lresp);
    ck_assert_int_eq(lresp.error_code, KFK_ERR_UNKNOWN_MEMBER_ID);
    member_close(&a);
    member_close(&b);
}
END_TEST

START_TEST(test_a_silent_member_expires_after_its_session_timeout)
{
    ck_assert_int_eq(kfk_mock_set_group_session_timeouts(mc, 1, 60000), 0);
    member a, b;
    member_open(&a, "g7", NULL);
    member_open(&b, "g7", NULL);
    kgm_join_send(&a, JOIN_V, "range", "a", 300, REBALANCE_MS);
    ck_assert_int_eq(join_recv(&a), KFK_ERR_MEMBER_ID_REQUIRED);
    kgm_join_send(&a, JOIN_V, "range", "a", 300, REBALANCE_MS);
    ck_assert_int_eq(join_recv(&a), 0);
    kgm_join_send(&b, JOIN_V, "range", "b", 300, REBALANCE_MS);
    ck_assert_int_eq(join_recv(&b), KFK_ERR_MEMBER_ID_REQUIRED);
    kgm_join_send(&b, JOIN_V, "range", "b", 300, REBALANCE_MS);
    kgm_join_send(&a, JOIN_V, "range", "a", 300, REBALANCE_MS);
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(join_recv(&b), 0);
    ck_assert_int_eq(a.n_members, 2);
    sync_send(&b, NULL, NULL, 0);
    member *to[] = {&a, &b};
    const char *as[] = {"A", "B"};
    sync_send(&a, to, as, 2);
    ck_assert_int_eq(sync_recv(&a), 0);
    ck_assert_int_eq(sync_recv(&b), 0);
    /* b goes quiet; a keeps heartbeating and learns of the rebalance. */
    int64_t t0 = mt_now_ms();
    ck_assert(heartbeat_until(&a, KFK_ERR_REBALANCE_IN_PROGRESS, 5000));
    ck_assert_int_ge(mt_now_ms() - t0, 250);
    kgm_join_send(&a, JOIN_V, "range", "a", 300, REBALANCE_MS);
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(a.n_members, 1);
    ck_assert_int_eq(a.generation, 3);
    ck_assert_int_eq(heartbeat(&b), KFK_ERR_UNKNOWN_MEMBER_ID);
    member_close(&a);
    member_close(&b);
}
END_TEST

START_TEST(test_members_that_do_not_rejoin_in_time_are_dropped)
{
    member a, b, c;
    member_open(&a, "g8", NULL);
    member_open(&b, "g8", NULL);
    member_open(&c, "g8", NULL);
    join_new(&a, "range", "a");
    ck_assert_int_eq(join_recv(&a), 0);
    kgm_join_send(&b, JOIN_V, "range", "b", SESSION_MS, 400);
    ck_assert_int_eq(join_recv(&b), KFK_ERR_MEMBER_ID_REQUIRED);
    kgm_join_send(&b, JOIN_V, "range", "b", SESSION_MS, 400);
    kgm_join_send(&a, JOIN_V, "range", "a", SESSION_MS, 400);
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(join_recv(&b), 0);
    ck_assert_int_eq(a.generation, 2);
    /* c joins; only a rejoins: after the rebalance timeout b is out. */
    int64_t t0 = mt_now_ms();
    kgm_join_send(&c, JOIN_V, "range", "c", SESSION_MS, 400);
    ck_assert_int_eq(join_recv(&c), KFK_ERR_MEMBER_ID_REQUIRED);
    kgm_join_send(&c, JOIN_V, "range", "c", SESSION_MS, 400);
    kgm_join_send(&a, JOIN_V, "range", "a", SESSION_MS, 400);
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(join_recv(&c), 0);
    ck_assert_int_ge(mt_now_ms() - t0, 350);
    ck_assert_int_eq(a.generation, 3);
    ck_assert_int_eq(a.n_members, 2);
    ck_assert_int_eq(heartbeat_as(&b, b.id, 3), KFK_ERR_UNKNOWN_MEMBER_ID);
    member_close(&a);
    member_close(&b);
    member_close(&c);
}
END_TEST

START_TEST(test_a_member_that_never_syncs_is_removed_after_the_rebalance_timeout)
{
    member a, b;
    member_open(&a, "g-nosync", NULL);
    member_open(&b, "g-nosync", NULL);
    kgm_join_send(&a, JOIN_V, "range", "a", SESSION_MS, 400);
    ck_assert_int_eq(join_recv(&a), KFK_ERR_MEMBER_ID_REQUIRED);
    kgm_join_send(&a, JOIN_V, "range", "a", SESSION_MS, 400);
    ck_assert_int_eq(join_recv(&a), 0);
    kgm_join_send(&b, JOIN_V, "range", "b", SESSION_MS, 400);
    ck_assert_int_eq(join_recv(&b), KFK_ERR_MEMBER_ID_REQUIRED);
    kgm_join_send(&b, JOIN_V, "range", "b", SESSION_MS, 400);
    kgm_join_send(&a, JOIN_V, "range", "a", SESSION_MS, 400);
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(join_recv(&b), 0);
    int64_t t0 = mt_now_ms();
    member *to[] = {&a, &b};
    const char *as[] = {"A", "B"};
    sync_send(&a, to, as, 2);
    ck_assert_int_eq(sync_recv(&a), 0);
    /* b never syncs (its session is long): it is dropped, a must rejoin. */
    ck_assert(heartbeat_until(&a, KFK_ERR_REBALANCE_IN_PROGRESS, 5000));
    ck_assert_int_ge(mt_now_ms() - t0, 350);
    ck_assert_int_eq(heartbeat(&b), KFK_ERR_UNKNOWN_MEMBER_ID);
    kgm_join_send(&a, JOIN_V, "range", "a", SESSION_MS, 400);
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(a.n_members, 1);
    member_close(&a);
    member_close(&b);
}
END_TEST

START_TEST(test_a_parked_joiner_that_disconnects_still_counts)
{
    member a, b;
    solo(&a, "g9", "x");
    member_open(&b, "g9", NULL);
    join_new(&b, "range", "b");
    member_close(&b); /* its JoinGroup stays parked, its answer is lost */
    join_send(&a, "range", "a");
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(a.n_members, 2);
    member_close(&a);
}
END_TEST

/* ------------------------------------------------------ static members */

START_TEST(test_a_static_member_takes_over_its_instance_and_fences_the_old_id)
{
    member a, b;
    member_open(&a, "g10", "inst-a");
    join_send(&a, "range", "a"); /* static: no MEMBER_ID_REQUIRED */
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_ptr_nonnull(strstr(a.id, "inst-a-"));
    member *to[] = {&a};
    const char *as[] = {"mine"};
    sync_send(&a, to, as, 1);
    ck_assert_int_eq(sync_recv(&a), 0);
    /* The same instance restarts without its id: no rebalance. */
    member_open(&b, "g10", "inst-a");
    join_send(&b, "range", "a");
    ck_assert_int_eq(join_recv(&b), 0);
    ck_assert_str_ne(b.id, a.id);
    ck_assert_int_eq(b.generation, a.generation);
    ck_assert_str_eq(b.leader, b.id);
    ck_assert_int_eq(b.n_members, 1); /* v9: the leader skips assigning */
    ck_assert_int_eq(heartbeat(&a), KFK_ERR_FENCED_INSTANCE_ID);
    ck_assert_int_eq(heartbeat(&b), 0);
    sync_send(&b, NULL, NULL, 0);
    ck_assert_int_eq(sync_recv(&b), 0);
    ck_assert_str_eq(b.assignment, "mine"); /* kept from the old id */
    /* The old id cannot leave for the new one. */
    kp_leave_group_request lr;
    kp_leave_group_request_init(&lr);
    kp_leave_group_request_member_identity id;
    kp_leave_group_request_member_identity_init(&id);
    id.member_id = kwire_cstr(a.id);
    id.group_instance_id = kwire_cstr("inst-a");
    lr.group_id = kwire_cstr("g10");
    lr.members = &id;
    lr.n_members = 1;
    kp_leave_group_response lresp;
    mt_call(&a.c, KP_LEAVE_GROUP_KEY, LEAVE_V, &lr, &lresp);
    ck_assert_int_eq(lresp.members[0].error_code, KFK_ERR_FENCED_INSTANCE_ID);
    ck_assert_int_eq(heartbeat(&b), 0);
    member_close(&a);
    member_close(&b);
}
END_TEST

START_TEST(test_a_static_rejoin_fences_the_old_members_parked_join)
{
    member a, b, c;
    member_open(&a, "g11", "inst-a");
    join_send(&a, "range", "a");
    ck_assert_int_eq(join_recv(&a), 0);
    member_open(&c, "g11", NULL);
    join_new(&c, "range", "c"); /* rebalance: a must rejoin */
    join_send(&a, "range", "a");
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(join_recv(&c), 0);
    sync_send(&c, NULL, NULL, 0);
    member *to[] = {&a, &c};
    const char *as[] = {"A", "C"};
    sync_send(&a, to, as, 2);
    ck_assert_int_eq(sync_recv(&a), 0);
    ck_assert_int_eq(sync_recv(&c), 0);
    /* a rejoins (parks: its leader join starts a rebalance), then its
     * instance comes back under a new id. */
    join_send(&a, "range", "a");
    member_open(&b, "g11", "inst-a");
    join_send(&b, "range", "a");
    ck_assert_int_eq(join_recv(&a), KFK_ERR_FENCED_INSTANCE_ID);
    join_send(&c, "range", "c");
    ck_assert_int_eq(join_recv(&b), 0);
    ck_assert_int_eq(join_recv(&c), 0);
    ck_assert_int_eq(b.n_members, 2);
    ck_assert_str_eq(b.leader, b.id);
    member_close(&a);
    member_close(&b);
    member_close(&c);
}
END_TEST

/* ------------------------------------------------ describe, list, faults */

static int commit(mt_conn *c, const char *group, int32_t gen, const char *member_id,
                  int32_t partition, int64_t offset);
static kp_offset_fetch_response_group fetch_v(mt_conn *c, int16_t v, const char *group,
                                              const char *member_id, int32_t epoch,
                                              int32_t partition);

START_TEST(test_describe_and_list_show_state_members_and_assignments)
{
    member a, b;
    pair(&a, &b, "g12");
    mt_conn c;
    mt_open(&c, mc, mt_group_coordinator(mc, "g12"));
    kp_describe_groups_request dr;
    kp_describe_groups_request_init(&dr);
    kslice ids[] = {kwire_cstr("g12"), kwire_cstr("nope")};
    dr.groups = ids;
    dr.n_groups = 2;
    kp_describe_groups_response dresp;
    mt_call(&c, KP_DESCRIBE_GROUPS_KEY, 5, &dr, &dresp);
    ck_assert_int_eq(dresp.n_groups, 2);
    const kp_describe_groups_response_described_group *g = &dresp.groups[0];
    ck_assert_int_eq(g->error_code, 0);
    ck_assert(kwire_eq(g->group_state, kwire_cstr("Stable")));
    ck_assert(kwire_eq(g->protocol_type, kwire_cstr("consumer")));
    ck_assert(kwire_eq(g->protocol_data, kwire_cstr("range")));
    ck_assert_int_eq(g->n_members, 2);
    for (int i = 0; i < 2; i++) {
        bool is_a = kwire_eq(g->members[i].member_id, kwire_cstr(a.id));
        ck_assert(kwire_eq(g->members[i].member_assignment, kwire_cstr(is_a ? "A" : "B")));
        ck_assert(
            kwire_eq(g->members[i].member_metadata, kwire_cstr(is_a ? "range@a" : "range@b")));
        ck_assert(kwire_eq(g->members[i].client_id, kwire_cstr("mock-test")));
    }
    if (mt_group_coordinator(mc, "nope") == mt_group_coordinator(mc, "g12"))
        ck_assert(kwire_eq(dresp.groups[1].group_state, kwire_cstr("Dead")));
    dr.n_groups = 1;
    dr.groups = &ids[1];
    mt_close(&c);
    mt_open(&c, mc, mt_group_coordinator(mc, "nope"));
    mt_call(&c, KP_DESCRIBE_GROUPS_KEY, 6, &dr, &dresp);
    ck_assert_int_eq(dresp.groups[0].error_code, KFK_ERR_GROUP_ID_NOT_FOUND);
    ck_assert(kwire_eq(dresp.groups[0].group_state, kwire_cstr("Dead")));
    mt_close(&c);

    /* Every broker lists the groups it coordinates; together, all. */
    int found = 0;
    for (int32_t id = 1; id <= 3; id++) {
        mt_open(&c, mc, id);
        kp_list_groups_request lr;
        kp_list_groups_request_init(&lr);
        kslice states[] = {kwire_cstr("stable")};
        lr.states_filter = states;
        lr.n_states_filter = 1;
        kp_list_groups_response lresp;
        mt_call(&c, KP_LIST_GROUPS_KEY, 5, &lr, &lresp);
        ck_assert_int_eq(lresp.error_code, 0);
        for (int32_t i = 0; i < lresp.n_groups; i++) {
            ck_assert_int_eq(id, mt_group_coordinator(mc, "g12"));
            ck_assert(kwire_eq(lresp.groups[i].group_id, kwire_cstr("g12")));
            ck_assert(kwire_eq(lresp.groups[i].group_type, kwire_cstr("classic")));
            found++;
        }
        mt_close(&c);
    }
    ck_assert_int_eq(found, 1);
    member_close(&a);
    member_close(&b);
}
END_TEST

START_TEST(test_pushed_errors_answer_group_requests)
{
    member a;
    member_open(&a, "g13", NULL);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_JOIN_GROUP, 1, KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS),
        0);
    join_send(&a, "range", "a");
    ck_assert_int_eq(join_recv(&a), KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    join_new(&a, "range", "a");
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_HEARTBEAT, 1, KFK_ERR_NOT_COORDINATOR),
                     0);
    ck_assert_int_eq(heartbeat(&a), KFK_ERR_NOT_COORDINATOR);
    ck_assert_int_eq(heartbeat(&a), 0);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_SYNC_GROUP, 1, KFK_ERR_COORDINATOR_NOT_AVAILABLE), 0);
    sync_send(&a, NULL, NULL, 0);
    ck_assert_int_eq(sync_recv(&a), KFK_ERR_COORDINATOR_NOT_AVAILABLE);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1,
                                          KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS),
                     0);
    ck_assert_int_eq(commit(&a.c, "g13", a.generation, a.id, 0, 1),
                     KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_FETCH, 1, KFK_ERR_NOT_COORDINATOR), 0);
    ck_assert_int_eq(fetch_v(&a.c, 9, "g13", NULL, -1, 0).error_code, KFK_ERR_NOT_COORDINATOR);
    kp_offset_fetch_response_group g = fetch_v(&a.c, 9, "g13", NULL, -1, 0);
    ck_assert_int_eq(g.error_code, 0);
    ck_assert_int_eq(g.topics[0].partitions[0].committed_offset, -1); /* nothing was stored */
    member_close(&a);
}
END_TEST

/* -------------------------------------------------------------- offsets */

static void commit_v(mt_conn *c, int16_t v, const char *group, int32_t gen, const char *member_id,
                     const char *topic, int32_t partition, int64_t offset, const char *md,
                     kp_offset_commit_response *resp)
{
    kp_offset_commit_request_partition p;
    kp_offset_commit_request_partition_init(&p);
    p.partition_index = partition;
    p.committed_offset = offset;
    p.committed_leader_epoch = 7;
    p.committed_metadata = md ? kwire_cstr(md) : (kslice){NULL, 0};
    kp_offset_commit_request_topic t;
    kp_offset_commit_request_topic_init(&t);
    t.name = kwire_cstr(topic);
    t.topic_id = mt_topic_id(mc, topic);
    t.partitions = &p;
    t.n_partitions = 1;
    kp_offset_commit_request req;
    kp_offset_commit_request_init(&req);
    req.group_id = kwire_cstr(group);
    req.generation_id_or_member_epoch = gen;
    req.member_id = kwire_cstr(member_id);
    req.topics = &t;
    req.n_topics = 1;
    mt_call(c, KP_OFFSET_COMMIT_KEY, v, &req, resp);
    ck_assert_int_eq(resp->n_topics, 1);
    ck_assert_int_eq(resp->topics[0].n_partitions, 1);
    ck_assert_int_eq(resp->topics[0].partitions[0].partition_index, partition);
}

static int commit(mt_conn *c, const char *group, int32_t gen, const char *member_id,
                  int32_t partition, int64_t offset)
{
    kp_offset_commit_response resp;
    commit_v(c, 9, group, gen, member_id, "t", partition, offset, "md", &resp);
    return resp.topics[0].partitions[0].error_code;
}

/* OffsetFetch v8+ of one partition (or all, partition < 0). */
static kp_offset_fetch_response_group fetch_v(mt_conn *c, int16_t v, const char *group,
                                              const char *member_id, int32_t epoch,
                                              int32_t partition)
{
    kp_offset_fetch_request_topics t;
    kp_offset_fetch_request_topics_init(&t);
    t.name = kwire_cstr("t");
    t.topic_id = mt_topic_id(mc, "t");
    t.partition_indexes = &partition;
    t.n_partition_indexes = 1;
    kp_offset_fetch_request_group g;
    kp_offset_fetch_request_group_init(&g);
    g.group_id = kwire_cstr(group);
    g.member_id = member_id ? kwire_cstr(member_id) : (kslice){NULL, 0};
    g.member_epoch = epoch;
    g.topics = partition >= 0 ? &t : NULL;
    g.n_topics = partition >= 0 ? 1 : -1;
    kp_offset_fetch_request req;
    kp_offset_fetch_request_init(&req);
    req.groups = &g;
    req.n_groups = 1;
    kp_offset_fetch_response resp;
    mt_call(c, KP_OFFSET_FETCH_KEY, v, &req, &resp);
    ck_assert_int_eq(resp.n_groups, 1);
    ck_assert(kwire_eq(resp.groups[0].group_id, kwire_cstr(group)));
    return resp.groups[0];
}

START_TEST(test_offsets_round_trip_at_every_version)
{
    mt_conn c;
    mt_open(&c, mc, mt_group_coordinator(mc, "og"));
    kuuid tid = mt_topic_id(mc, "t");
    for (int16_t v = 2; v <= 10; v++) {
        kp_offset_commit_response cr;
        commit_v(&c, v, "og", -1, "", "t", v % 4, 100 + v, v == 3 ? NULL : "meta", &cr);
        ck_assert_int_eq(cr.topics[0].partitions[0].error_code, 0);
        if (v >= 10)
            ck_assert(!memcmp(&cr.topics[0].topic_id, &tid, sizeof(tid)));
        else
            ck_assert(kwire_eq(cr.topics[0].name, kwire_cstr("t")));
    }
    /* Partition 2 was last committed by v10 (offset 110), 3 by v7 (107). */
    for (int16_t v = 8; v <= 10; v++) {
        kp_offset_fetch_response_group g = fetch_v(&c, v, "og", NULL, -1, 2);
        ck_assert_int_eq(g.error_code, 0);
        ck_assert_int_eq(g.n_topics, 1);
        const kp_offset_fetch_response_partitions *p = &g.topics[0].partitions[0];
        ck_assert_int_eq(p->error_code, 0);
        ck_assert_int_eq(p->committed_offset, 110);
        ck_assert_int_eq(p->committed_leader_epoch, 7);
        ck_assert(kwire_eq(p->metadata, kwire_cstr("meta")));
        g = fetch_v(&c, v, "og", NULL, -1, -1); /* all */
        ck_assert_int_eq(g.n_topics, 1);
        ck_assert_int_eq(g.topics[0].n_partitions, 4);
        g = fetch_v(&c, v, "no-commits", NULL, -1, 1);
        if (mt_group_coordinator(mc, "no-commits") == mt_group_coordinator(mc, "og")) {
            ck_assert_int_eq(g.topics[0].partitions[0].committed_offset, -1);
            ck_assert(kwire_eq(g.topics[0].partitions[0].metadata, KWIRE_EMPTY));
        } else {
            ck_assert_int_eq(g.error_code, KFK_ERR_NOT_COORDINATOR);
        }
    }
    for (int16_t v = 1; v <= 7; v++) {
        int32_t parts[] = {3, 1};
        kp_offset_fetch_request_topic t = {kwire_cstr("t"), parts, 2};
        kp_offset_fetch_request req;
        kp_offset_fetch_request_init(&req);
        req.group_id = kwire_cstr("og");
        req.topics = &t;
        req.n_topics = 1;
        kp_offset_fetch_response resp;
        mt_call(&c, KP_OFFSET_FETCH_KEY, v, &req, &resp);
        ck_assert_int_eq(resp.error_code, 0);
        ck_assert_int_eq(resp.n_topics, 1);
        ck_assert_int_eq(resp.topics[0].n_partitions, 2);
        ck_assert_int_eq(resp.topics[0].partitions[0].committed_offset, 107);
        ck_assert_int_eq(resp.topics[0].partitions[1].committed_offset, 109);
        ck_assert_int_eq(resp.topics[0].partitions[0].committed_leader_epoch, v >= 5 ? 7 : -1);
        ck_assert(kwire_eq(resp.topics[0].partitions[0].metadata, kwire_cstr("meta")));
    }
    /* A null metadata reads back as "". */
    kp_offset_commit_response cr;
    commit_v(&c, 9, "og", -1, "", "t", 0, 5, NULL, &cr);
    kp_offset_fetch_response_group g = fetch_v(&c, 9, "og", NULL, -1, 0);
    ck_assert_int_eq(g.topics[0].partitions[0].committed_offset, 5);
    ck_assert(kwire_eq(g.topics[0].partitions[0].metadata, KWIRE_EMPTY));
    mt_close(&c);
}
END_TEST

START_TEST(test_commits_to_unknown_topics_and_big_metadata_are_refused)
{
    mt_conn c;
    mt_open(&c, mc, mt_group_coordinator(mc, "og2"));
    ck_assert_int_eq(commit(&c, "og2", -1, "", 9, 1), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kp_offset_commit_request_partition p;
    kp_offset_commit_request_partition_init(&p);
    static char big[4100];
    memset(big, 'm', sizeof(big) - 1);
    p.committed_metadata = kwire_cstr(big);
    kp_offset_commit_request_topic t = {kwire_cstr("t"), {{0}}, &p, 1};
    kp_offset_commit_request req;
    kp_offset_commit_request_init(&req);
    req.group_id = kwire_cstr("og2");
    req.member_id = KWIRE_EMPTY;
    req.topics = &t;
    req.n_topics = 1;
    kp_offset_commit_response resp;
    mt_call(&c, KP_OFFSET_COMMIT_KEY, 9, &req, &resp);
    ck_assert_int_eq(resp.topics[0].partitions[0].error_code, KFK_ERR_OFFSET_METADATA_TOO_LARGE);
    t.name = kwire_cstr("missing");
    mt_call(&c, KP_OFFSET_COMMIT_KEY, 9, &req, &resp);
    ck_assert_int_eq(resp.topics[0].partitions[0].error_code, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kuuid bogus = {{1, 2, 3}};
    t.topic_id = bogus;
    mt_call(&c, KP_OFFSET_COMMIT_KEY, 10, &req, &resp);
    ck_assert_int_eq(resp.topics[0].partitions[0].error_code, KFK_ERR_UNKNOWN_TOPIC_ID);
    mt_close(&c);
}
END_TEST

START_TEST(test_classic_commits_check_generation_and_member)
{
    member a, b;
    solo(&a, "cg", "x");
    ck_assert_int_eq(commit(&a.c, "cg", a.generation, a.id, 0, 10), 0);
    ck_assert_int_eq(commit(&a.c, "cg", a.generation - 1, a.id, 0, 11), KFK_ERR_ILLEGAL_GENERATION);
    ck_assert_int_eq(commit(&a.c, "cg", a.generation, "nobody", 0, 11), KFK_ERR_UNKNOWN_MEMBER_ID);
    /* A simple commit is for groups without members. */
    ck_assert_int_eq(commit(&a.c, "cg", -1, "", 0, 11), KFK_ERR_UNKNOWN_MEMBER_ID);
    mt_conn n;
    mt_open(&n, mc, mt_group_coordinator(mc, "nogroup"));
    ck_assert_int_eq(commit(&n, "nogroup", 3, "m", 0, 11), KFK_ERR_GROUP_ID_NOT_FOUND);
    mt_close(&n);
    /* While the new generation's assignment is pending: rebalancing. */
    member_open(&b, "cg", NULL);
    join_new(&b, "range", "b");
    ck_assert_int_eq(commit(&a.c, "cg", a.generation, a.id, 0, 12), 0); /* preparing: allowed */
    join_send(&a, "range", "a");
    ck_assert_int_eq(join_recv(&a), 0);
    ck_assert_int_eq(join_recv(&b), 0);
    ck_assert_int_eq(commit(&a.c, "cg", a.generation, a.id, 0, 13), KFK_ERR_REBALANCE_IN_PROGRESS);
    kp_offset_fetch_response_group g = fetch_v(&a.c, 9, "cg", NULL, -1, 0);
    ck_assert_int_eq(g.topics[0].partitions[0].committed_offset, 12);
    member_close(&a);
    member_close(&b);
}
END_TEST

/* A KIP-848 member as the ConsumerGroupHeartbeat handler keeps it. */
static void consumer_member(const char *group, const char *id, int32_t epoch, int32_t owned)
{
    pthread_mutex_lock(&mc->lock);
    kfk_err err;
    mock_group *g = mock_group_get(mc, kwire_cstr(group), MOCK_GROUP_CONSUMER, &err);
    ck_assert_ptr_nonnull(g);
    mock_group_member *m = mock_group_member_add(g, kwire_cstr(id));
    ck_assert_ptr_nonnull(m);
    m->member_epoch = epoch;
    m->previous_member_epoch = epoch - 1;
    m->assigned = calloc(1, sizeof(*m->assigned));
    m->assigned[0].topic_id = mock_topic_find(mc, kwire_cstr("t"))->id;
    m->assigned[0].partition = owned;
    m->assigned[0].assigned_epoch = epoch - 1;
    m->n_assigned = 1;
    g->group_epoch = g->assignment_epoch = epoch;
    g->state = MOCK_GROUP_STABLE;
    pthread_mutex_unlock(&mc->lock);
}

START_TEST(test_consumer_group_commits_check_the_member_epoch)
{
    consumer_member("kg", "m1", 5, 1);
    mt_conn c;
    mt_open(&c, mc, mt_group_coordinator(mc, "kg"));
    ck_assert_int_eq(commit(&c, "kg", 5, "m1", 0, 10), 0);
    ck_assert_int_eq(commit(&c, "kg", 6, "m1", 1, 10), KFK_ERR_STALE_MEMBER_EPOCH);
    /* KIP-1251: an older epoch commits what the member still owns. */
    ck_assert_int_eq(commit(&c, "kg", 4, "m1", 1, 11), 0);
    ck_assert_int_eq(commit(&c, "kg", 4, "m1", 2, 11), KFK_ERR_STALE_MEMBER_EPOCH);
    /* ... but not from before it was assigned. */
    ck_assert_int_eq(commit(&c, "kg", 3, "m1", 1, 12), KFK_ERR_STALE_MEMBER_EPOCH);
    ck_assert_int_eq(commit(&c, "kg", 5, "m2", 0, 10), KFK_ERR_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(commit(&c, "kg", -1, "", 0, 10), KFK_ERR_UNKNOWN_MEMBER_ID);
    kp_offset_commit_response resp;
    commit_v(&c, 8, "kg", 5, "m1", "t", 0, 10, "x", &resp);
    ck_assert_int_eq(resp.topics[0].partitions[0].error_code, KFK_ERR_UNSUPPORTED_VERSION);
    kp_offset_fetch_response_group g = fetch_v(&c, 9, "kg", "m1", 5, 1);
    ck_assert_int_eq(g.error_code, 0);
    ck_assert_int_eq(g.topics[0].partitions[0].committed_offset, 11);
    ck_assert_int_eq(fetch_v(&c, 9, "kg", "m1", 4, 1).error_code, KFK_ERR_STALE_MEMBER_EPOCH);
    ck_assert_int_eq(fetch_v(&c, 9, "kg", "m9", 5, 1).error_code, KFK_ERR_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(fetch_v(&c, 9, "kg", NULL, -1, 1).error_code, 0); /* admin */
    /* A classic join cannot take over a consumer group with members. */
    member a;
    member_open(&a, "kg", NULL);
    join_send(&a, "range", "a");
    ck_assert_int_eq(join_recv(&a), KFK_ERR_INCONSISTENT_GROUP_PROTOCOL);
    member_close(&a);
    mt_close(&c);
}
END_TEST

START_TEST(test_the_coordinator_moves_when_its_broker_goes_down)
{
    member a;
    solo(&a, "mv", "x");
    ck_assert_int_eq(commit(&a.c, "mv", a.generation, a.id, 0, 42), 0);
    int32_t old = mt_group_coordinator(mc, "mv");
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, old, true), 0);
    int32_t now = mt_group_coordinator(mc, old == 1 ? "mv" : "mv");
    ck_assert_int_ne(now, old);
    mt_close(&a.c);
    mt_open(&a.c, mc, now);
    /* The group's state went along. */
    ck_assert_int_eq(heartbeat(&a), 0);
    kp_offset_fetch_response_group g = fetch_v(&a.c, 9, "mv", NULL, -1, 0);
    ck_assert_int_eq(g.topics[0].partitions[0].committed_offset, 42);
    member_close(&a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mock_group");
    TCase *tc = tcase_create("groups");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_first_join_requires_a_member_id_then_leads_alone);
    tcase_add_test(tc, test_two_members_rebalance_and_each_gets_its_assignment);
    tcase_add_test(tc, test_protocol_is_chosen_by_vote_among_common_ones);
    tcase_add_test(tc, test_votes_pick_the_majority_protocol);
    tcase_add_test(tc, test_join_outside_session_bounds_and_at_the_wrong_broker_fails);
    tcase_add_test(tc, test_join_sync_heartbeat_leave_at_every_version);
    tcase_add_test(tc, test_heartbeat_errors_name_what_is_wrong);
    tcase_add_test(tc, test_leave_starts_a_rebalance_and_unknown_leavers_are_named);
    tcase_add_test(tc, test_a_silent_member_expires_after_its_session_timeout);
    tcase_add_test(tc, test_members_that_do_not_rejoin_in_time_are_dropped);
    tcase_add_test(tc, test_a_member_that_never_syncs_is_removed_after_the_rebalance_timeout);
    tcase_add_test(tc, test_a_parked_joiner_that_disconnects_still_counts);
    tcase_add_test(tc, test_a_static_member_takes_over_its_instance_and_fences_the_old_id);
    tcase_add_test(tc, test_a_static_rejoin_fences_the_old_members_parked_join);
    tcase_add_test(tc, test_describe_and_list_show_state_members_and_assignments);
    tcase_add_test(tc, test_pushed_errors_answer_group_requests);
    tcase_add_test(tc, test_offsets_round_trip_at_every_version);
    tcase_add_test(tc, test_commits_to_unknown_topics_and_big_metadata_are_refused);
    tcase_add_test(tc, test_classic_commits_check_generation_and_member);
    tcase_add_test(tc, test_consumer_group_commits_check_the_member_epoch);
    tcase_add_test(tc, test_the_coordinator_moves_when_its_broker_goes_down);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
