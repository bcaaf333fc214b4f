/* The group coordinator at the wire, against whatever cluster
 * KFK_TEST_BOOTSTRAP names (tests/run-integration: the mock, then real
 * Kafka), with the same assertions for both: this is what keeps the mock's
 * classic group protocol and offsets honest. Raw requests over blocking
 * connections (tests/common/mt_conn.h's client, which speaks to any
 * broker on 127.0.0.1): answers for unknown groups, simple commits and
 * fetches, a three-member rebalance with protocol choice by vote and
 * parked JoinGroup/SyncGroup answers, and a static member replacing its
 * old id. Session expiry is left to the unit tests: real Kafka's minimum
 * session is 6 s. */
#include "../common/kcoord.h"
#include "kcgm.h"
#include "kfk.h"
#include "kgroup_wire.h"
#include "kmember.h"
#include "kplist.h"
#include "kwire_client.h"

#define TIMEOUT_MS 30000

static char topic[128];

/* ------------------------------------------------------------- cluster */

static void create_topic(void)
{
    ktest_unique_topic(topic, sizeof(topic), "groupwire");
    kfk_conf *conf = kfk_conf_new();
    char err[256];
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", ktest_bootstrap(), err, sizeof(err)),
                     0);
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    kfk_new_topic *t = kfk_new_topic_new(topic, 4, -1);
    kfk_admin_result *res;
    ck_assert_int_eq(
        kfk_admin_create_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &res),
        KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    /* Commits name the topic: wait until every partition has a leader. */
    int64_t deadline = mt_now_ms() + TIMEOUT_MS;
    for (bool ready = false; !ready;) {
        ck_assert_msg(mt_now_ms() < deadline, "%s has no leaders", topic);
        kfk_metadata *md;
        const char *names[] = {topic};
        if (kfk_admin_list_topics(a, names, 1, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS},
                                  &md) == KFK_OK) {
            ready = kfk_metadata_topic_count(md) == 1 && !kfk_metadata_topic_error(md, 0) &&
                    kfk_metadata_partition_count(md, 0) == 4;
            for (size_t p = 0; ready && p < 4; p++)
                ready = kfk_metadata_partition_leader(md, 0, p) >= 0;
            kfk_metadata_destroy(md);
        }
        if (!ready) usleep(50 * 1000); /* between metadata polls */
    }
    kfk_admin_destroy(a);
}

static void delete_topic(void)
{
    kfk_conf *conf = kfk_conf_new();
    kfk_conf_set(conf, "bootstrap.servers", ktest_bootstrap(), NULL, 0);
    kfk_admin *a = kfk_admin_new(conf, NULL, 0);
    if (!a) return;
    const char *name = topic;
    kfk_admin_result *res;
    if (kfk_admin_delete_topics(a, &name, 1, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS},
                                &res) == KFK_OK)
        kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}

static void unique_group(char *out, size_t n, const char *what)
{
    ktest_unique_topic(out, n, what);
}

/* ------------------------------------------------------------ requests */

typedef kgm member;

static void join_send(member *m, int16_t v, const char *protocols)
{
    kgm_join_send(m, v, protocols, NULL, 10000, 10000);
}

/* A SyncGroup v5 giving to[i] "for-<i>". */
static void sync_send(member *m, const char *protocol, member **to, int n)
{
    char text[KGM_MAX_MEMBERS][16];
    const char *as[KGM_MAX_MEMBERS];
    for (int i = 0; i < n; i++) {
        snprintf(text[i], sizeof(text[i]), "for-%d", i);
        as[i] = text[i];
    }
    kgm_sync_send(m, 5, protocol, to, as, n);
}

static int sync_recv(member *m)
{
    return kgm_sync_recv(m, 5, NULL);
}

static int heartbeat_as(mt_conn *c, const char *group, int32_t gen, const char *id,
                        const char *instance)
{
    return kgm_heartbeat_as(c, 4, group, gen, id, instance);
}

static int heartbeat(member *m)
{
    return kgm_heartbeat(m, 4);
}

/* Real Kafka handles connections concurrently: a rebalance another
 * connection started shows within a deadline, not at once. */
static bool heartbeat_until(member *m, int want)
{
    return kgm_heartbeat_until(m, 4, want, TIMEOUT_MS);
}

static int leave(mt_conn *c, const char *group, int16_t v, const char *id, const char *instance,
                 int16_t *member_error)
{
    kp_leave_group_request_member_identity mi;
    kp_leave_group_request_member_identity_init(&mi);
    mi.member_id = kwire_cstr(id);
    mi.group_instance_id = instance ? kwire_cstr(instance) : (kslice){NULL, 0};
    kp_leave_group_request req;
    kp_leave_group_request_init(&req);
    req.group_id = kwire_cstr(group);
    if (v >= 3) {
        req.members = &mi;
        req.n_members = 1;
    } else {
        req.member_id = kwire_cstr(id);
    }
    kp_leave_group_response resp;
    mt_call(c, KP_LEAVE_GROUP_KEY, v, &req, &resp);
    if (member_error) *member_error = resp.n_members == 1 ? resp.members[0].error_code : -1;
    return resp.error_code;
}

static int commit(mt_conn *c, const char *group, int32_t gen, const char *id, const char *t,
                  int32_t partition, int64_t offset, const char *md)
{
    kp_offset_commit_request_partition p;
    kp_offset_commit_request_partition_init(&p);
    p.partition_index = partition;
    p.committed_offset = offset;
    p.committed_leader_epoch = 3;
    p.committed_metadata = md ? kwire_cstr(md) : (kslice){NULL, 0};
    kp_offset_commit_request_topic tt;
    kp_offset_commit_request_topic_init(&tt);
    tt.name = kwire_cstr(t);
    tt.partitions = &p;
    tt.n_partitions = 1;
    kp_offset_commit_request req;
    kp_offset_commit_request_init(&req);
    req.group_id = kwire_cstr(group);
    req.generation_id_or_member_epoch = gen;
    req.member_id = kwire_cstr(id);
    req.topics = &tt;
    req.n_topics = 1;
    kp_offset_commit_response resp;
    mt_call(c, KP_OFFSET_COMMIT_KEY, 9, &req, &resp);
    return resp.topics[0].partitions[0].error_code;
}

static kp_offset_fetch_response_partitions fetch(mt_conn *c, const char *group, int32_t partition)
{
    kp_offset_fetch_request_topics t;
    kp_offset_fetch_request_topics_init(&t);
    t.name = kwire_cstr(topic);
    t.partition_indexes = &partition;
    t.n_partition_indexes = 1;
    kp_offset_fetch_request_group g;
    kp_offset_fetch_request_group_init(&g);
    g.group_id = kwire_cstr(group);
    g.topics = &t;
    g.n_topics = 1;
    kp_offset_fetch_request req;
    kp_offset_fetch_request_init(&req);
    req.groups = &g;
    req.n_groups = 1;
    kp_offset_fetch_response resp;
    mt_call(c, KP_OFFSET_FETCH_KEY, 9, &req, &resp);
    ck_assert_int_eq(resp.groups[0].error_code, 0);
    ck_assert_int_eq(resp.groups[0].n_topics, 1);
    return resp.groups[0].topics[0].partitions[0];
}

static kp_describe_groups_response_described_group describe(mt_conn *c, const char *group,
                                                            int16_t v)
{
    kslice id = kwire_cstr(group);
    kp_describe_groups_request req;
    kp_describe_groups_request_init(&req);
    req.groups = &id;
    req.n_groups = 1;
    kp_describe_groups_response resp;
    mt_call(c, KP_DESCRIBE_GROUPS_KEY, v, &req, &resp);
    ck_assert_int_eq(resp.n_groups, 1);
    return resp.groups[0];
}

static bool state_is(kp_describe_groups_response_described_group g, const char *state)
{
    return kwire_eq(g.group_state, kwire_cstr(state));
}

/* --------------------------------------------------------------- tests */

START_TEST(test_unknown_groups_get_kafkas_answers)
{
    char group[128];
    unique_group(group, sizeof(group), "gw-unknown");
    mt_conn c;
    kcoord_open(&c, NULL, 0, group, NULL);
    ck_assert_int_eq(heartbeat_as(&c, group, 1, "x", NULL), KFK_ERR_UNKNOWN_MEMBER_ID);
    member m = {.group = group};
    m.c = c;
    strcpy(m.id, "x");
    m.generation = 1;
    sync_send(&m, "range", NULL, 0);
    ck_assert_int_eq(sync_recv(&m), KFK_ERR_UNKNOWN_MEMBER_ID);
    join_send(&m, 9, "range");
    ck_assert_int_eq(kgm_join_recv(&m, 9), KFK_ERR_UNKNOWN_MEMBER_ID);
    int16_t me;
    ck_assert_int_eq(leave(&c, group, 5, "x", NULL, &me), 0);
    ck_assert_int_eq(me, KFK_ERR_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(leave(&c, group, 1, "x", NULL, NULL), KFK_ERR_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(commit(&c, group, 3, "x", topic, 0, 1, NULL), KFK_ERR_GROUP_ID_NOT_FOUND);
    kp_describe_groups_response_described_group d = describe(&c, group, 5);
    ck_assert_int_eq(d.error_code, 0);
    ck_assert(state_is(d, "Dead"));
    d = describe(&c, group, 6);
    ck_assert_int_eq(d.error_code, KFK_ERR_GROUP_ID_NOT_FOUND);
    ck_assert(state_is(d, "Dead"));
    mt_close(&c);
}
END_TEST

START_TEST(test_simple_commits_round_trip)
{
    char group[128];
    unique_group(group, sizeof(group), "gw-simple");
    mt_conn c;
    kcoord_open(&c, NULL, 0, group, NULL);
    ck_assert_int_eq(commit(&c, group, -1, "", "kfk-no-such-topic-gw", 0, 1, "m"),
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(commit(&c, group, -1, "", topic, 99, 1, "m"),
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(commit(&c, group, -1, "", topic, 0, 5, NULL), 0);
    ck_assert_int_eq(commit(&c, group, -1, "", topic, 1, 7, "meta"), 0);
    kp_offset_fetch_response_partitions p = fetch(&c, group, 0);
    ck_assert_int_eq(p.error_code, 0);
    ck_assert_int_eq(p.committed_offset, 5);
    ck_assert_int_eq(p.committed_leader_epoch, 3);
    ck_assert(kwire_eq(p.metadata, KWIRE_EMPTY)); /* null is kept as "" */
    p = fetch(&c, group, 1);
    ck_assert_int_eq(p.committed_offset, 7);
    ck_assert(kwire_eq(p.metadata, kwire_cstr("meta")));
    p = fetch(&c, group, 2);
    ck_assert_int_eq(p.committed_offset, -1);
    ck_assert_int_eq(p.committed_leader_epoch, -1);
    kp_describe_groups_response_described_group d = describe(&c, group, 5);
    ck_assert(state_is(d, "Empty"));
    mt_close(&c);
}
END_TEST

START_TEST(test_three_members_rebalance_and_vote_for_a_protocol)
{
    char group[128];
    unique_group(group, sizeof(group), "gw-three");
    member a = {.group = group}, b = {.group = group}, c = {.group = group};
    kcoord_open(&a.c, NULL, 0, group, NULL);
    kcoord_open(&b.c, NULL, 0, group, NULL);
    kcoord_open(&c.c, NULL, 0, group, NULL);
    /* v3: no member id needed; heartbeats are fine and commits are not
     * while the leader's assignment is awaited. */
    join_send(&a, 3, "range,roundrobin");
    ck_assert_int_eq(kgm_join_recv(&a, 3), 0);
    ck_assert_int_eq(a.generation, 1);
    ck_assert(a.is_leader);
    ck_assert_str_eq(a.protocol, "range");
    ck_assert_int_eq(heartbeat(&a), 0);
    ck_assert_int_eq(commit(&a.c, group, a.generation, a.id, topic, 0, 1, NULL),
                     KFK_ERR_REBALANCE_IN_PROGRESS);
    sync_send(&a, "roundrobin", NULL, 0);
    ck_assert_int_eq(sync_recv(&a), KFK_ERR_INCONSISTENT_GROUP_PROTOCOL);
    member *one[] = {&a};
    sync_send(&a, "range", one, 1);
    ck_assert_int_eq(sync_recv(&a), 0);
    ck_assert_str_eq(a.assignment, "for-0");

    /* b: MEMBER_ID_REQUIRED (v9), then a parked join until a rejoins. */
    join_send(&b, 9, "roundrobin,range");
    ck_assert_int_eq(kgm_join_recv(&b, 9), KFK_ERR_MEMBER_ID_REQUIRED);
    join_send(&b, 9, "roundrobin,range");
    ck_assert(heartbeat_until(&a, KFK_ERR_REBALANCE_IN_PROGRESS));
    ck_assert_int_eq(commit(&a.c, group, a.generation, a.id, topic, 0, 2, NULL), 0);
    join_send(&a, 3, "range,roundrobin");
    ck_assert_int_eq(kgm_join_recv(&a, 3), 0);
    ck_assert_int_eq(kgm_join_recv(&b, 9), 0);
    ck_assert_int_eq(a.generation, 2);
    ck_assert_int_eq(b.generation, 2);
    ck_assert(a.is_leader && !b.is_leader);
    ck_assert_int_eq(a.n_members, 2);
    ck_assert_int_eq(b.n_members, 0);
    /* One vote each: Kafka breaks the tie its own way; both agree. */
    ck_assert_str_eq(b.protocol, a.protocol);
    ck_assert(!strcmp(a.protocol, "range") || !strcmp(a.protocol, "roundrobin"));
    sync_send(&b, b.protocol, NULL, 0); /* the follower waits for the leader */
    member *two[] = {&a, &b};
    sync_send(&a, a.protocol, two, 2);
    ck_assert_int_eq(sync_recv(&a), 0);
    ck_assert_int_eq(sync_recv(&b), 0);
    ck_assert_str_eq(b.assignment, "for-1");

    /* c shares only roundrobin: that is the one left to choose. */
    join_send(&c, 9, "sticky");
    ck_assert_int_eq(kgm_join_recv(&c, 9), KFK_ERR_INCONSISTENT_GROUP_PROTOCOL);
    join_send(&c, 9, "roundrobin");
    ck_assert_int_eq(kgm_join_recv(&c, 9), KFK_ERR_MEMBER_ID_REQUIRED);
    join_send(&c, 9, "roundrobin");
    ck_assert(heartbeat_until(&a, KFK_ERR_REBALANCE_IN_PROGRESS));
    ck_assert(heartbeat_until(&b, KFK_ERR_REBALANCE_IN_PROGRESS));
    join_send(&a, 3, "range,roundrobin");
    join_send(&b, 9, "roundrobin,range");
    ck_assert_int_eq(kgm_join_recv(&a, 3), 0);
    ck_assert_int_eq(kgm_join_recv(&b, 9), 0);
    ck_assert_int_eq(kgm_join_recv(&c, 9), 0);
    ck_assert_int_eq(c.generation, 3);
    ck_assert_str_eq(a.protocol, "roundrobin");
    ck_assert_int_eq(a.n_members, 3);
    /* Rejoining unchanged before the sync: the same generation again, the
     * leader with the members. */
    join_send(&b, 9, "roundrobin,range");
    ck_assert_int_eq(kgm_join_recv(&b, 9), 0);
    ck_assert_int_eq(b.generation, 3);
    join_send(&a, 3, "range,roundrobin");
    ck_assert_int_eq(kgm_join_recv(&a, 3), 0);
    ck_assert_int_eq(a.generation, 3);
    ck_assert_int_eq(a.n_members, 3);
    kp_describe_groups_response_described_group d = describe(&a.c, group, 5);
    ck_assert(state_is(d, "CompletingRebalance"));
    ck_assert_int_eq(d.n_members, 3);
    member *all[] = {&a, &b, &c};
    for (int i = 0; i < 3; i++) {
        leave(&all[i]->c, group, 5, all[i]->id, NULL, NULL);
        mt_close(&all[i]->c);
    }
}
END_TEST

START_TEST(test_a_static_member_replaces_its_old_id)
{
    char group[128];
    unique_group(group, sizeof(group), "gw-static");
    member a = {.group = group, .instance = "inst"}, b = a, c = a;
    kcoord_open(&a.c, NULL, 0, group, NULL);
    kcoord_open(&b.c, NULL, 0, group, NULL);
    kcoord_open(&c.c, NULL, 0, group, NULL);
    join_send(&a, 9, "range");
    ck_assert_int_eq(kgm_join_recv(&a, 9), 0); /* static: no MEMBER_ID_REQUIRED */
    member *one[] = {&a};
    sync_send(&a, "range", one, 1);
    ck_assert_int_eq(sync_recv(&a), 0);
    ck_assert_int_eq(commit(&a.c, group, a.generation, a.id, topic, 0, 1, NULL), 0);
    ck_assert_int_eq(commit(&a.c, group, -1, "", topic, 0, 1, NULL), KFK_ERR_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(commit(&a.c, group, a.generation + 1, a.id, topic, 0, 1, NULL),
                     KFK_ERR_ILLEGAL_GENERATION);
    /* The instance restarts: a new id, the same generation, no rebalance;
     * from v9 the returning leader is told to skip assigning. */
    join_send(&b, 9, "range");
    ck_assert_int_eq(kgm_join_recv(&b, 9), 0);
    ck_assert_str_ne(b.id, a.id);
    ck_assert_int_eq(b.generation, a.generation);
    ck_assert(b.is_leader);
    ck_assert(b.skip_assignment);
    ck_assert_int_eq(b.n_members, 1);
    ck_assert_int_eq(heartbeat(&a), KFK_ERR_FENCED_INSTANCE_ID);
    ck_assert_int_eq(heartbeat(&b), 0);
    ck_assert_int_eq(heartbeat_as(&a.c, group, a.generation, a.id, NULL),
                     KFK_ERR_UNKNOWN_MEMBER_ID);
    sync_send(&b, "range", NULL, 0);
    ck_assert_int_eq(sync_recv(&b), 0);
    ck_assert_str_eq(b.assignment, "for-0"); /* the old id's */
    /* Before v9 the leader field still names the replaced id. */
    join_send(&c, 7, "range");
    ck_assert_int_eq(kgm_join_recv(&c, 7), 0);
    ck_assert_str_eq(c.leader, b.id);
    ck_assert_int_eq(c.n_members, 0);
    int16_t me;
    ck_assert_int_eq(leave(&c.c, group, 5, "", "inst", &me), 0);
    ck_assert_int_eq(me, 0);
    ck_assert(state_is(describe(&c.c, group, 5), "Empty"));
    mt_close(&a.c);
    mt_close(&b.c);
    mt_close(&c.c);
}
END_TEST

START_TEST(test_commits_from_a_generation_gone)
{
    char group[128];
    unique_group(group, sizeof(group), "gw-stalegen");
    member a = {.group = group}, b = {.group = group};
    kcoord_open(&a.c, NULL, 0, group, NULL);
    kcoord_open(&b.c, NULL, 0, group, NULL);
    join_send(&a, 3, "range");
    ck_assert_int_eq(kgm_join_recv(&a, 3), 0);
    member *one[] = {&a};
    sync_send(&a, "range", one, 1);
    ck_assert_int_eq(sync_recv(&a), 0);
    int32_t old = a.generation;
    /* b joins; a rejoins: generation old + 1, stable. */
    join_send(&b, 3, "range");
    ck_assert(heartbeat_until(&a, KFK_ERR_REBALANCE_IN_PROGRESS));
    join_send(&a, 3, "range");
    ck_assert_int_eq(kgm_join_recv(&a, 3), 0);
    ck_assert_int_eq(kgm_join_recv(&b, 3), 0);
    ck_assert_int_eq(a.generation, old + 1);
    sync_send(&b, "range", NULL, 0);
    member *two[] = {&a, &b};
    sync_send(&a, "range", two, 2);
    ck_assert_int_eq(sync_recv(&a), 0);
    ck_assert_int_eq(sync_recv(&b), 0);
    /* What a member that missed the rebalance sends (Java's consumer
     * answers it with CommitFailedException and rejoins). */
    ck_assert_int_eq(commit(&a.c, group, old, a.id, topic, 0, 5, NULL), KFK_ERR_ILLEGAL_GENERATION);
    ck_assert_int_eq(commit(&a.c, group, a.generation, a.id, topic, 0, 6, NULL), 0);
    ck_assert_int_eq(fetch(&a.c, group, 0).committed_offset, 6);
    /* b is gone: its commits are UNKNOWN_MEMBER_ID. */
    ck_assert_int_eq(leave(&b.c, group, 5, b.id, NULL, NULL), 0);
    ck_assert_int_eq(commit(&b.c, group, b.generation, b.id, topic, 1, 7, NULL),
                     KFK_ERR_UNKNOWN_MEMBER_ID);
    leave(&a.c, group, 5, a.id, NULL, NULL);
    mt_close(&a.c);
    mt_close(&b.c);
}
END_TEST

/* A kfk consumer whose group moved on without it: a raw JoinGroup and
 * SyncGroup under its member id take the group to the next generation,
 * so the consumer's commit carries a generation gone. As Java's
 * ConsumerCoordinator, the commit fails with ILLEGAL_GENERATION (Java:
 * CommitFailedException), the partitions are LOST and the consumer joins
 * again at once, keeping its member id. */
START_TEST(test_a_consumer_behind_the_group_fails_its_commit_and_rejoins)
{
    char group[128];
    unique_group(group, sizeof(group), "gw-behind");
    static const char *const kv[][2] = {
        {"log.level", "crit"},
        {"partition.assignment.strategy", "range"},
        {"session.timeout.ms", "30000"},
        {"heartbeat.interval.ms", "10000"}, /* no heartbeat notices first */
        {"enable.auto.commit", "false"},
        {NULL},
    };
    kmember k;
    kmember_start(&k, kmember_conf(NULL, group, kv, NULL), &(kmember_opts){.topic = topic});
    kfk_consumer *c = k.c;
    KMEMBER_UNTIL(TIMEOUT_MS, k.st.assigned == 1 && k.st.lost == 0 && k.st.owned == 4, &k);
    char id[256];
    kfk_consumer_member_id(c, id, sizeof(id));
    member raw = {.group = group};
    snprintf(raw.id, sizeof(raw.id), "%s", id);
    kcoord_open(&raw.c, NULL, 0, group, NULL);
    join_send(&raw, 9, "range");
    ck_assert_int_eq(kgm_join_recv(&raw, 9), 0);
    ck_assert(raw.is_leader);
    ck_assert_int_eq(raw.n_members, 1);
    member *one[] = {&raw};
    sync_send(&raw, "range", one, 1);
    ck_assert_int_eq(sync_recv(&raw), 0);

    ck_assert_int_eq(kpl_commit(c, topic, 0, 5, 0), KFK_ERR_ILLEGAL_GENERATION);
    KMEMBER_UNTIL(TIMEOUT_MS, k.st.assigned == 2 && k.st.lost == 1 && k.st.owned == 4, &k);
    char again[256];
    kfk_consumer_member_id(c, again, sizeof(again));
    ck_assert_str_eq(again, id);
    ck_assert_int_eq(kpl_commit(c, topic, 0, 5, 0), KFK_OK);
    ck_assert_int_eq(fetch(&raw.c, group, 0).committed_offset, 5);
    kfk_consumer_close(c, -1);
    kmember_destroy(&k);
    mt_close(&raw.c);
}
END_TEST

/* --------------------------------------------------------- KIP-848 */

static int cgm_count(const kcgm *m)
{
    return __builtin_popcount(m->assigned);
}

/* One heartbeat: a join (epoch 0, the subscription), a leave (epoch -1),
 * or a full one reporting the last assignment as owned. */
static int cg_beat(kcgm *m, int32_t epoch)
{
    int owned = epoch < 0 ? -1 : epoch > 0 ? (int)m->assigned : 0;
    return kcgm_heartbeat(m, 1, &(kcgm_hb){.epoch = epoch, .owned = owned, .full = epoch >= 0});
}

/* Heartbeats until m owns want partitions at an epoch above after. */
static void cg_beat_until(kcgm *m, int want, int32_t after)
{
    int64_t end = mt_now_ms() + TIMEOUT_MS;
    for (;;) {
        ck_assert_int_eq(cg_beat(m, m->epoch), 0);
        if (cgm_count(m) == want && m->epoch > after) return;
        ck_assert_msg(mt_now_ms() < end, "%s: owns %d at epoch %d, not %d above %d", m->id,
                      cgm_count(m), (int)m->epoch, want, (int)after);
        usleep(50 * 1000); /* the coordinator assigns in its own time */
    }
}

/* One OffsetCommit of parts (offset off each) as m with epoch: errors
 * into errs. */
static void cg_commit(kcgm *m, int32_t epoch, const int32_t *parts, int n, int64_t off,
                      int16_t *errs)
{
    kp_offset_commit_request_partition ps[4];
    for (int i = 0; i < n; i++) {
        kp_offset_commit_request_partition_init(&ps[i]);
        ps[i].partition_index = parts[i];
        ps[i].committed_offset = off;
        ps[i].committed_metadata = kwire_cstr("");
    }
    kp_offset_commit_request_topic tt;
    kp_offset_commit_request_topic_init(&tt);
    tt.name = kwire_cstr(topic);
    tt.partitions = ps;
    tt.n_partitions = n;
    kp_offset_commit_request req;
    kp_offset_commit_request_init(&req);
    req.group_id = kwire_cstr(m->group);
    req.generation_id_or_member_epoch = epoch;
    req.member_id = kwire_cstr(m->id);
    req.topics = &tt;
    req.n_topics = 1;
    kp_offset_commit_response resp;
    karena_reset(&m->c.arena);
    mt_call(&m->c, KP_OFFSET_COMMIT_KEY, 9, &req, &resp);
    ck_assert_int_eq(resp.n_topics, 1);
    ck_assert_int_eq(resp.topics[0].n_partitions, n);
    for (int i = 0; i < n; i++)
        errs[i] = resp.topics[0].partitions[i].error_code;
}

static int16_t cg_commit1(kcgm *m, int32_t epoch, int32_t part, int64_t off)
{
    int16_t e;
    cg_commit(m, epoch, &part, 1, off, &e);
    return e;
}

/* Kafka 4.3 (KIP-1251, ConsumerGroup.validateOffsetCommit): a commit with
 * an epoch older than the member's is taken for a partition the member
 * has held since that epoch or before; one partition that fails fails the
 * whole request with STALE_MEMBER_EPOCH. */
START_TEST(test_kip848_commits_with_an_older_member_epoch)
{
    char group[128];
    unique_group(group, sizeof(group), "gw-epoch");
    kcgm a = {.group = group, .topic = topic}, b = {.group = group, .topic = topic};
    snprintf(a.id, sizeof(a.id), "a-%s", group + strlen(group) - 12);
    snprintf(b.id, sizeof(b.id), "b-%s", group + strlen(group) - 12);
    kcoord_open(&a.c, NULL, 0, group, NULL);
    kcoord_open(&b.c, NULL, 0, group, NULL);
    ck_assert_int_eq(cg_beat(&a, 0), 0);
    cg_beat_until(&a, 4, 0);
    int32_t e1 = a.epoch;

    /* b joins: a gives up two partitions, then moves to a newer epoch. */
    ck_assert_int_eq(cg_beat(&b, 0), 0);
    cg_beat_until(&a, 2, e1);
    int32_t e2 = a.epoch;
    cg_beat_until(&b, 2, 0);
    int32_t kept = -1, gone = -1;
    for (int p = 0; p < 4; p++) {
        if ((a.assigned & (1u << p)) && kept < 0) kept = p;
        if ((b.assigned & (1u << p)) && gone < 0) gone = p;
    }
    ck_assert(kept >= 0 && gone >= 0);

    ck_assert_int_eq(cg_commit1(&a, e2, kept, 10), 0);
    ck_assert_int_eq(cg_commit1(&a, e1, kept, 11), 0); /* held since e1 */
    ck_assert_int_eq(fetch(&a.c, group, kept).committed_offset, 11);
    ck_assert_int_eq(cg_commit1(&a, e1, gone, 12), KFK_ERR_STALE_MEMBER_EPOCH);
    ck_assert_int_eq(cg_commit1(&a, e2 + 1, kept, 13), KFK_ERR_STALE_MEMBER_EPOCH);
    int32_t both[2] = {kept, gone};
    int16_t errs[2];
    cg_commit(&a, e1, both, 2, 14, errs);
    ck_assert_int_eq(errs[0], KFK_ERR_STALE_MEMBER_EPOCH);
    ck_assert_int_eq(errs[1], KFK_ERR_STALE_MEMBER_EPOCH);
    ck_assert_int_eq(fetch(&a.c, group, kept).committed_offset, 11); /* nothing written */
    /* The current epoch is not checked partition by partition. */
    ck_assert_int_eq(cg_commit1(&a, e2, gone, 15), 0);
    ck_assert_int_eq(cg_commit1(&b, b.epoch, gone, 16), 0);

    /* b leaves: a takes its partitions back at a newer epoch still. */
    ck_assert_int_eq(cg_beat(&b, -1), 0);
    cg_beat_until(&a, 4, e2);
    ck_assert_int_eq(cg_commit1(&a, e2, kept, 17), 0);
    ck_assert_int_eq(cg_commit1(&a, e2, gone, 18), KFK_ERR_STALE_MEMBER_EPOCH);
    ck_assert_int_eq(cg_commit1(&a, a.epoch, gone, 19), 0);
    /* Unknown members are refused whatever the epoch. */
    ck_assert_int_eq(cg_commit1(&b, b.epoch, gone, 20), KFK_ERR_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(cg_beat(&a, -1), 0);
    mt_close(&a.c);
    mt_close(&b.c);
}
END_TEST

static void setup(void)
{
    create_topic();
}

static void teardown(void)
{
    delete_topic();
}

static Suite *group_wire_suite(void)
{
    Suite *s = suite_create("group_wire_integration");
    TCase *tc = tcase_create("coordinator");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_unknown_groups_get_kafkas_answers);
    tcase_add_test(tc, test_simple_commits_round_trip);
    tcase_add_test(tc, test_three_members_rebalance_and_vote_for_a_protocol);
    tcase_add_test(tc, test_a_static_member_replaces_its_old_id);
    tcase_add_test(tc, test_commits_from_a_generation_gone);
    tcase_add_test(tc, test_a_consumer_behind_the_group_fails_its_commit_and_rejoins);
    tcase_add_test(tc, test_kip848_commits_with_an_older_member_epoch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(group_wire_suite());
}
