/* ConsumerGroupHeartbeat (KIP-848) in the mock, request by request: the
 * join answers with the whole assignment, a partition moves to a new
 * member only after its old owner's heartbeat stops listing it (the old
 * owner keeps its epoch until then), epochs fence stale members, a member
 * that missed an answer may come back with its previous epoch, leaving
 * (-1) frees partitions at once, a static member's -2 keeps them, a
 * session that expires or a revocation not acknowledged within the
 * rebalance timeout removes the member, regexes match whole names, and
 * bad requests get Kafka's errors. */
#include "kcgm.h"
#include "mock/groups.h"
#include "mt_conn.h"

#define CGH_V 1
#define NP 4

static kfk_mock_cluster *mc;
static kuuid tid;

static void setup(void)
{
    mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", NP, 1), 0);
    tid = mt_topic_id(mc, "t");
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
}

/* A member over its own connection; partitions of "t" as bit masks. */
typedef kcgm cmember;
typedef kcgm_hb hb_opts;

static void member_open(cmember *m, const char *id)
{
    memset(m, 0, sizeof(*m));
    m->group = "g";
    m->topic = "t";
    m->tid = tid;
    snprintf(m->id, sizeof(m->id), "%s", id);
    mt_open(&m->c, mc, mt_group_coordinator(mc, "g"));
}

static int16_t heartbeat(cmember *m, hb_opts o)
{
    return kcgm_heartbeat(m, CGH_V, &o);
}

static int16_t join(cmember *m)
{
    return heartbeat(m, (hb_opts){.epoch = 0, .owned = 0, .full = true});
}

/* A heartbeat reporting what the member was last assigned. */
static int16_t beat(cmember *m)
{
    return heartbeat(m, (hb_opts){.epoch = m->epoch, .owned = (int)m->assigned});
}

static int bits(unsigned x)
{
    return __builtin_popcount(x);
}

START_TEST(test_join_gets_everything_and_the_heartbeat_interval)
{
    ck_assert_int_eq(kfk_mock_set_consumer_group_timeouts(mc, 10000, 321), 0);
    cmember a;
    member_open(&a, "a");
    ck_assert_int_eq(join(&a), 0);
    ck_assert(a.got);
    ck_assert_uint_eq(a.assigned, 0xf);
    ck_assert_int_gt(a.epoch, 0);
    ck_assert_int_eq(a.interval_ms, 321);
    /* Nothing changed: no assignment in the answer, same epoch. */
    int32_t e = a.epoch;
    ck_assert_int_eq(beat(&a), 0);
    ck_assert(!a.got);
    ck_assert_int_eq(a.epoch, e);
    mt_close(&a.c);
}
END_TEST

START_TEST(test_partition_moves_only_after_its_owner_lets_it_go)
{
    cmember a, b;
    member_open(&a, "a");
    member_open(&b, "b");
    ck_assert_int_eq(join(&a), 0);
    int32_t a_epoch = a.epoch;
    ck_assert_int_eq(join(&b), 0);
    /* b's share is still a's: b gets nothing yet, at the new epoch. */
    ck_assert(b.got);
    ck_assert_uint_eq(b.assigned, 0);
    ck_assert_int_gt(b.epoch, a_epoch);

    /* a is told to keep half (revoke the rest) and stays at its epoch. */
    ck_assert_int_eq(beat(&a), 0);
    ck_assert(a.got);
    ck_assert_int_eq(bits(a.assigned), 2);
    ck_assert_int_eq(a.epoch, a_epoch);
    unsigned b_share = 0xf & ~a.assigned;

    /* While a still lists them, b does not get them. */
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = a.epoch, .owned = 0xf}), 0);
    ck_assert_int_eq(a.epoch, a_epoch);
    ck_assert_int_eq(beat(&b), 0);
    ck_assert_uint_eq(b.assigned, 0);

    /* a acknowledges: it reaches the group's epoch; then b gets its share. */
    ck_assert_int_eq(beat(&a), 0);
    ck_assert_int_eq(a.epoch, b.epoch);
    ck_assert_int_eq(beat(&b), 0);
    ck_assert(b.got);
    ck_assert_uint_eq(b.assigned, b_share);
    mt_close(&a.c);
    mt_close(&b.c);
}
END_TEST

/* Kafka's CurrentAssignmentBuilder: a member with partitions to revoke
 * gets no new ones in the same step, even free ones; they come with the
 * new epoch once it has let go. */
START_TEST(test_new_partitions_wait_for_revocations)
{
    cmember m1, m2, m0;
    member_open(&m1, "m1");
    member_open(&m2, "m2");
    member_open(&m0, "m0");
    ck_assert_int_eq(join(&m1), 0);
    ck_assert_int_eq(join(&m2), 0);
    ck_assert_int_eq(beat(&m1), 0); /* revoke m2's half */
    ck_assert_int_eq(beat(&m1), 0); /* acknowledged */
    ck_assert_int_eq(beat(&m2), 0);
    ck_assert_uint_eq(m1.assigned, 0x3);
    ck_assert_uint_eq(m2.assigned, 0xc);
    /* m2 leaves (its partitions are free) and m0 joins: by id, m0 takes
     * 0-1 and m1 2-3. */
    ck_assert_int_eq(heartbeat(&m2, (hb_opts){.epoch = -1, .owned = -1}), 0);
    ck_assert_int_eq(join(&m0), 0);
    int32_t e1 = m1.epoch;
    ck_assert_int_eq(beat(&m1), 0);
    ck_assert(m1.got);
    ck_assert_uint_eq(m1.assigned, 0); /* revoke first; 2-3 wait */
    ck_assert_int_eq(m1.epoch, e1);
    ck_assert_int_eq(beat(&m1), 0);
    ck_assert_uint_eq(m1.assigned, 0xc);
    ck_assert_int_gt(m1.epoch, e1);
    mt_close(&m0.c);
    mt_close(&m1.c);
    mt_close(&m2.c);
}
END_TEST

START_TEST(test_epochs_fence_stale_and_unknown_members)
{
    cmember a, b;
    member_open(&a, "a");
    member_open(&b, "b");
    ck_assert_int_eq(join(&a), 0);
    int32_t e = a.epoch;
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = e + 1, .owned = -1}),
                     KFK_ERR_FENCED_MEMBER_EPOCH);
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = e, .owned = -1, .member_id = "nobody"}),
                     KFK_ERR_UNKNOWN_MEMBER_ID);
    /* b joins, a revokes and moves to the new epoch. */
    ck_assert_int_eq(join(&b), 0);
    ck_assert_int_eq(beat(&a), 0);
    ck_assert_int_eq(beat(&a), 0);
    ck_assert_int_gt(a.epoch, e);
    /* An answer lost: the previous epoch with owned partitions inside the
     * assignment is accepted; without them, or older, it is fenced. */
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = e, .owned = (int)a.assigned, .full = true}),
                     0);
    ck_assert(a.got);
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = e, .owned = -1}),
                     KFK_ERR_FENCED_MEMBER_EPOCH);
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = e, .owned = 0xf}),
                     KFK_ERR_FENCED_MEMBER_EPOCH);
    mt_close(&a.c);
    mt_close(&b.c);
}
END_TEST

START_TEST(test_leave_frees_partitions_at_once)
{
    cmember a, b;
    member_open(&a, "a");
    member_open(&b, "b");
    ck_assert_int_eq(join(&a), 0);
    ck_assert_int_eq(join(&b), 0);
    ck_assert_int_eq(beat(&a), 0);
    ck_assert_int_eq(beat(&a), 0);
    ck_assert_int_eq(beat(&b), 0);
    ck_assert_int_eq(bits(b.assigned), 2);
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = -1, .owned = -1}), 0);
    ck_assert_int_eq(a.epoch, -1);
    ck_assert_int_eq(beat(&b), 0);
    ck_assert_uint_eq(b.assigned, 0xf);
    ck_assert_int_eq(beat(&a), KFK_ERR_UNKNOWN_MEMBER_ID);
    mt_close(&a.c);
    mt_close(&b.c);
}
END_TEST

START_TEST(test_static_member_keeps_partitions_across_a_restart)
{
    cmember a, b;
    member_open(&a, "a");
    member_open(&b, "b");
    a.instance = "ia";
    b.instance = "ib";
    ck_assert_int_eq(join(&a), 0);
    ck_assert_int_eq(join(&b), 0);
    ck_assert_int_eq(beat(&a), 0);
    ck_assert_int_eq(beat(&a), 0);
    ck_assert_int_eq(beat(&b), 0);
    unsigned a_had = a.assigned, b_had = b.assigned;
    int32_t epoch = a.epoch;
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = -2, .owned = -1}), 0);
    /* b is not given a's partitions; the same instance under a new
     * member id gets them back at the same epoch. */
    ck_assert_int_eq(beat(&b), 0);
    ck_assert_uint_eq(b.assigned, b_had);
    cmember a2;
    member_open(&a2, "a2");
    a2.instance = "ia";
    ck_assert_int_eq(join(&a2), 0);
    ck_assert_uint_eq(a2.assigned, a_had);
    ck_assert_int_eq(a2.epoch, epoch);
    /* A second live member with that instance id is refused. */
    cmember a3;
    member_open(&a3, "a3");
    a3.instance = "ia";
    ck_assert_int_eq(join(&a3), KFK_ERR_UNRELEASED_INSTANCE_ID);
    mt_close(&a.c);
    mt_close(&a2.c);
    mt_close(&a3.c);
    mt_close(&b.c);
}
END_TEST

START_TEST(test_expired_session_removes_the_member)
{
    ck_assert_int_eq(kfk_mock_set_consumer_group_timeouts(mc, 300, 100), 0);
    cmember a, b;
    member_open(&a, "a");
    member_open(&b, "b");
    ck_assert_int_eq(join(&a), 0);
    ck_assert_int_eq(join(&b), 0);
    /* a goes quiet; b keeps its session alive until it owns everything. */
    int64_t deadline = mt_now_ms() + MT_TIMEOUT_MS;
    while (b.assigned != 0xf) {
        ck_assert_msg(mt_now_ms() < deadline, "b never got a's partitions");
        nanosleep(&(struct timespec){0, 50 * 1000000}, NULL); /* a heartbeat interval */
        ck_assert_int_eq(beat(&b), 0);
    }
    ck_assert_int_eq(beat(&a), KFK_ERR_UNKNOWN_MEMBER_ID);
    mt_close(&a.c);
    mt_close(&b.c);
}
END_TEST

START_TEST(test_regex_matches_whole_topic_names)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "tt", 2, 1), 0);
    cmember a;
    member_open(&a, "a");
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = 0, .owned = 0, .full = true, .regex = "t"}),
                     0);
    ck_assert_uint_eq(a.assigned, 0xf); /* t's four; not tt's (checked in heartbeat) */
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = a.epoch, .owned = -1, .regex = "t("}),
                     KFK_ERR_INVALID_REGULAR_EXPRESSION);
    mt_close(&a.c);
}
END_TEST

START_TEST(test_bad_requests_get_kafkas_errors)
{
    cmember a;
    member_open(&a, "a");
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = 0, .owned = 0}), KFK_ERR_INVALID_REQUEST);
    ck_assert_int_eq(
        heartbeat(&a, (hb_opts){.epoch = 0, .owned = 0, .full = true, .member_id = ""}),
        KFK_ERR_INVALID_REQUEST);
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = 0, .owned = 1, .full = true}),
                     KFK_ERR_INVALID_REQUEST);
    ck_assert_int_eq(
        heartbeat(&a, (hb_opts){.epoch = 0, .owned = 0, .full = true, .assignor = "sticky"}),
        KFK_ERR_UNSUPPORTED_ASSIGNOR);
    ck_assert_int_eq(
        heartbeat(&a, (hb_opts){.epoch = 0, .owned = 0, .full = true, .assignor = "range"}), 0);
    /* Another broker is not the coordinator. */
    cmember x;
    member_open(&x, "x");
    mt_close(&x.c);
    mt_open(&x.c, mc, mt_group_coordinator(mc, "g") % 3 + 1);
    ck_assert_int_eq(join(&x), KFK_ERR_NOT_COORDINATOR);
    mt_close(&x.c);
    mt_close(&a.c);
}
END_TEST

START_TEST(test_member_that_does_not_revoke_in_time_is_removed)
{
    cmember a, b;
    member_open(&a, "a");
    member_open(&b, "b");
    ck_assert_int_eq(
        heartbeat(&a, (hb_opts){.epoch = 0, .owned = 0, .full = true, .rebalance_ms = 200}), 0);
    ck_assert_int_eq(join(&b), 0);
    ck_assert_int_eq(beat(&a), 0); /* told to revoke two; a never acknowledges */
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = a.epoch, .owned = 0xf}), 0);
    int64_t deadline = mt_now_ms() + MT_TIMEOUT_MS;
    while (b.assigned != 0xf) {
        ck_assert_msg(mt_now_ms() < deadline, "a was never fenced");
        nanosleep(&(struct timespec){0, 50 * 1000000}, NULL); /* a heartbeat interval */
        ck_assert_int_eq(beat(&b), 0);
    }
    ck_assert_int_eq(heartbeat(&a, (hb_opts){.epoch = a.epoch, .owned = 0xf}),
                     KFK_ERR_UNKNOWN_MEMBER_ID);
    mt_close(&a.c);
    mt_close(&b.c);
}
END_TEST

static Suite *mock_consumer_group_suite(void)
{
    Suite *s = suite_create("mock_consumer_group");
    TCase *tc = tcase_create("kip848");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_join_gets_everything_and_the_heartbeat_interval);
    tcase_add_test(tc, test_partition_moves_only_after_its_owner_lets_it_go);
    tcase_add_test(tc, test_epochs_fence_stale_and_unknown_members);
    tcase_add_test(tc, test_leave_frees_partitions_at_once);
    tcase_add_test(tc, test_static_member_keeps_partitions_across_a_restart);
    tcase_add_test(tc, test_expired_session_removes_the_member);
    tcase_add_test(tc, test_member_that_does_not_revoke_in_time_is_removed);
    tcase_add_test(tc, test_regex_matches_whole_topic_names);
    tcase_add_test(tc, test_bad_requests_get_kafkas_errors);
    tcase_add_test(tc, test_new_partitions_wait_for_revocations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(mock_consumer_group_suite());
}
