/* The admin client's consumer-group calls against a cluster
 * (KFK_TEST_BOOTSTRAP: the mock, then real Kafka): a classic group and a
 * KIP-848 consumer group, each with a kfk consumer that committed its
 * offsets, are listed with their type and state (and filtered by both),
 * described with their members and assignments, and deleted once their
 * members left (NON_EMPTY_GROUP before); unknown group ids fail alone;
 * a broker whose ListGroups fails is reported while the others' groups
 * are listed (an in-process mock, in both runs); bad arguments are
 * refused. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kclus.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "kmember.h"

#define TIMEOUT_MS 30000
#define NPARTS 4
#define NRECORDS 20

static const kfk_admin_options opts = {.timeout_ms = TIMEOUT_MS};

/* Two groups on one topic: classic (JoinGroup) and consumer (KIP-848),
 * each one member that consumed every record and committed. */
typedef struct fixture {
    char topic[128], classic[128], consumer[128];
    kmember mc, m8;
    bool mc_up, m8_up;
} fixture;

static void member_start(kmember *m, const char *group, const char *topic, const char *protocol)
{
    const char *const kv[][2] = {
        {"group.protocol", protocol},
        {"auto.offset.reset", "earliest"},
        {"enable.auto.commit", "false"},
        {NULL},
    };
    kmember_start(m, kmember_conf(NULL, group, kv, NULL),
                  &(kmember_opts){.topic = topic, .thread = true});
}

static bool settled(kmember *m)
{
    kmember_state s = kmember_snapshot(m);
    ck_assert_msg(!s.group_err, "group error %s", kfk_err_str(s.group_err));
    return s.owned == NPARTS && s.consumed >= NRECORDS;
}

static void fixture_up(fixture *f, const char *what)
{
    memset(f, 0, sizeof(*f));
    char name[96];
    snprintf(name, sizeof(name), "%s-t", what);
    ktest_unique_topic(f->topic, sizeof(f->topic), name);
    snprintf(name, sizeof(name), "%s-classic", what);
    ktest_unique_topic(f->classic, sizeof(f->classic), name);
    snprintf(name, sizeof(name), "%s-848", what);
    ktest_unique_topic(f->consumer, sizeof(f->consumer), name);
    kclus_create_topic(NULL, f->topic, NPARTS, -1);
    kclus_produce(NULL, f->topic, NPARTS, 0, NRECORDS);
    member_start(&f->mc, f->classic, f->topic, "classic");
    member_start(&f->m8, f->consumer, f->topic, "consumer");
    f->mc_up = f->m8_up = true;
    KMEMBER_UNTIL(TIMEOUT_MS, settled(&f->mc) && settled(&f->m8), &f->mc, &f->m8);
    ck_assert_int_eq(kfk_consumer_commit(f->mc.c, NULL, false), KFK_OK);
    ck_assert_int_eq(kfk_consumer_commit(f->m8.c, NULL, false), KFK_OK);
}

static void member_leave(fixture *f, bool classic)
{
    kmember *m = classic ? &f->mc : &f->m8;
    bool *up = classic ? &f->mc_up : &f->m8_up;
    if (!*up) return;
    kmember_close(m);
    kmember_destroy(m);
    *up = false;
}

static void fixture_down(fixture *f)
{
    member_leave(f, true);
    member_leave(f, false);
    kclus_delete_topic(NULL, f->topic);
}

/* The index of group in a list result, or -1. */
static long find(const kfk_admin_result *r, const char *group)
{
    for (size_t i = 0; i < kfk_admin_result_count(r); i++)
        if (kfk_admin_result_name(r, i) && strcmp(kfk_admin_result_name(r, i), group) == 0)
            return (long)i;
    return -1;
}

static kfk_admin_result *list(kfk_admin *a, const kfk_group_filter *filter)
{
    kfk_admin_result *r = NULL;
    kfk_err err = kfk_admin_list_groups(a, filter, &opts, &r);
    ck_assert_msg(err == KFK_OK, "list_groups: %s (%s)", kfk_err_str(err), kfk_admin_last_error(a));
    for (size_t i = 0; i < kfk_admin_result_count(r); i++) {
        ck_assert_ptr_nonnull(kfk_admin_result_name(r, i));
        ck_assert_int_eq(kfk_admin_result_error(r, i), KFK_OK);
        ck_assert_int_ge(kfk_admin_result_group_coordinator(r, i), 0);
    }
    return r;
}

/* Whether the unfiltered listing shows group in state. */
static bool listed_in(kfk_admin *a, const char *group, kfk_group_state state)
{
    kfk_admin_result *r = list(a, NULL);
    long i = find(r, group);
    bool ok = i >= 0 && kfk_admin_result_group_state(r, (size_t)i) == state;
    kfk_admin_result_destroy(r);
    return ok;
}

static void await_listed(kfk_admin *a, fixture *f, const char *group, kfk_group_state state)
{
    KMEMBER_UNTIL(TIMEOUT_MS, listed_in(a, group, state), &f->mc, &f->m8);
}

START_TEST(test_list_shows_both_types_and_filters_them)
{
    fixture f;
    fixture_up(&f, "agl");
    kfk_admin *a = kclus_admin(NULL);
    await_listed(a, &f, f.classic, KFK_GROUP_STATE_STABLE);
    await_listed(a, &f, f.consumer, KFK_GROUP_STATE_STABLE);

    kfk_admin_result *r = list(a, NULL);
    long c = find(r, f.classic), k = find(r, f.consumer);
    ck_assert(c >= 0 && k >= 0);
    ck_assert_int_eq(kfk_admin_result_group_type(r, (size_t)c), KFK_GROUP_TYPE_CLASSIC);
    ck_assert_int_eq(kfk_admin_result_group_type(r, (size_t)k), KFK_GROUP_TYPE_CONSUMER);
    ck_assert_str_eq(kfk_admin_result_group_protocol_type(r, (size_t)c), "consumer");
    ck_assert_str_eq(kfk_admin_result_group_protocol_type(r, (size_t)k), "consumer");
    /* Accessors of another result kind, or out of range, say none. */
    ck_assert_ptr_null(kfk_admin_result_group_protocol(r, (size_t)c));
    ck_assert_int_eq(kfk_admin_result_group_type(r, kfk_admin_result_count(r)),
                     KFK_GROUP_TYPE_UNKNOWN);
    kfk_admin_result_destroy(r);

    const kfk_group_type t_consumer[] = {KFK_GROUP_TYPE_CONSUMER};
    r = list(a, &(kfk_group_filter){.types = t_consumer, .n_types = 1});
    ck_assert(find(r, f.consumer) >= 0 && find(r, f.classic) < 0);
    for (size_t i = 0; i < kfk_admin_result_count(r); i++)
        ck_assert_int_eq(kfk_admin_result_group_type(r, i), KFK_GROUP_TYPE_CONSUMER);
    kfk_admin_result_destroy(r);

    const kfk_group_type t_classic[] = {KFK_GROUP_TYPE_CLASSIC};
    r = list(a, &(kfk_group_filter){.types = t_classic, .n_types = 1});
    ck_assert(find(r, f.classic) >= 0 && find(r, f.consumer) < 0);
    kfk_admin_result_destroy(r);

    const kfk_group_state s_empty[] = {KFK_GROUP_STATE_EMPTY, KFK_GROUP_STATE_DEAD};
    r = list(a, &(kfk_group_filter){.states = s_empty, .n_states = 2});
    ck_assert(find(r, f.classic) < 0 && find(r, f.consumer) < 0);
    kfk_admin_result_destroy(r);

    const kfk_group_state s_stable[] = {KFK_GROUP_STATE_STABLE};
    r = list(a, &(kfk_group_filter){
                    .states = s_stable, .n_states = 1, .types = t_classic, .n_types = 1});
    ck_assert(find(r, f.classic) >= 0 && find(r, f.consumer) < 0);
    kfk_admin_result_destroy(r);

    kfk_admin_destroy(a);
    fixture_down(&f);
}
END_TEST

/* The member of description i owns every partition of topic. */
static void check_member(const kfk_admin_result *r, size_t i, const char *topic, bool kip848)
{
    ck_assert_uint_eq(kfk_admin_result_group_member_count(r, i), 1);
    ck_assert_ptr_nonnull(kfk_admin_result_group_member_id(r, i, 0));
    ck_assert_ptr_nonnull(kfk_admin_result_group_member_client_id(r, i, 0));
    ck_assert_ptr_nonnull(kfk_admin_result_group_member_host(r, i, 0));
    ck_assert_ptr_null(kfk_admin_result_group_member_instance_id(r, i, 0));
    const kfk_partition_list *l = kfk_admin_result_group_member_assignment(r, i, 0);
    ck_assert_uint_eq(kfk_partition_list_count(l), NPARTS);
    for (int32_t p = 0; p < NPARTS; p++)
        ck_assert_int_ge(kfk_partition_list_find(l, topic, p), 0);
    const kfk_partition_list *t = kfk_admin_result_group_member_target_assignment(r, i, 0);
    if (kip848) {
        ck_assert_uint_eq(kfk_partition_list_count(t), NPARTS);
        ck_assert_int_ge(kfk_admin_result_group_member_epoch(r, i, 0), 1);
    } else {
        ck_assert_ptr_null(t);
        ck_assert_int_eq(kfk_admin_result_group_member_epoch(r, i, 0), -1);
    }
    ck_assert_ptr_null(kfk_admin_result_group_member_id(r, i, 1));
}

/* Describes both groups and an unknown one, until both are Stable. */
static kfk_err describe3(kfk_admin *a, fixture *f, const char *unknown, kfk_admin_result **r)
{
    const char *ids[] = {f->classic, f->consumer, unknown};
    kfk_admin_options o = {.timeout_ms = TIMEOUT_MS,
                           .flags = KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS};
    return kfk_admin_describe_groups(a, ids, 3, &o, r);
}

static bool both_stable(kfk_admin *a, fixture *f, const char *unknown)
{
    kfk_admin_result *r = NULL;
    describe3(a, f, unknown, &r);
    bool ok = kfk_admin_result_group_state(r, 0) == KFK_GROUP_STATE_STABLE &&
              kfk_admin_result_group_state(r, 1) == KFK_GROUP_STATE_STABLE &&
              kfk_partition_list_count(kfk_admin_result_group_member_assignment(r, 1, 0)) == NPARTS;
    kfk_admin_result_destroy(r);
    return ok;
}

START_TEST(test_describe_shows_members_and_assignments)
{
    fixture f;
    fixture_up(&f, "agd");
    kfk_admin *a = kclus_admin(NULL);
    char unknown[128];
    ktest_unique_topic(unknown, sizeof(unknown), "agd-nosuch");
    KMEMBER_UNTIL(TIMEOUT_MS, both_stable(a, &f, unknown), &f.mc, &f.m8);

    kfk_admin_result *r = NULL;
    kfk_err err = describe3(a, &f, unknown, &r);
    ck_assert_int_eq(err, KFK_ERR_GROUP_ID_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), unknown));
    ck_assert_uint_eq(kfk_admin_result_count(r), 3);
    ck_assert_str_eq(kfk_admin_result_name(r, 0), f.classic);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(r, 1), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(r, 2), KFK_ERR_GROUP_ID_NOT_FOUND);

    ck_assert_int_eq(kfk_admin_result_group_type(r, 0), KFK_GROUP_TYPE_CLASSIC);
    ck_assert_str_eq(kfk_admin_result_group_protocol_type(r, 0), "consumer");
    ck_assert_str_ne(kfk_admin_result_group_protocol(r, 0), "");
    ck_assert_int_eq(kfk_admin_result_group_epoch(r, 0), -1);
    ck_assert_int_ge(kfk_admin_result_group_coordinator(r, 0), 0);
    check_member(r, 0, f.topic, false);

    ck_assert_int_eq(kfk_admin_result_group_type(r, 1), KFK_GROUP_TYPE_CONSUMER);
    ck_assert_str_ne(kfk_admin_result_group_protocol(r, 1), "");
    ck_assert_int_ge(kfk_admin_result_group_epoch(r, 1), 1);
    ck_assert_int_ge(kfk_admin_result_group_assignment_epoch(r, 1), 1);
    check_member(r, 1, f.topic, true);

    /* DESCRIBE (8) at least: the test's principal may describe groups. */
    for (size_t i = 0; i < 2; i++) {
        int64_t ops = kfk_admin_result_group_authorized_operations(r, i);
        ck_assert_msg(ops > 0 && (ops & (1 << 8)), "group %zu: operations %lld", i, (long long)ops);
    }
    ck_assert_uint_eq(kfk_admin_result_group_member_count(r, 2), 0);
    kfk_admin_result_destroy(r);

    /* Without the flag no operations come. */
    const char *ids[] = {f.classic};
    ck_assert_int_eq(kfk_admin_describe_groups(a, ids, 1, &opts, &r), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_group_authorized_operations(r, 0), -1);
    kfk_admin_result_destroy(r);

    kfk_admin_destroy(a);
    fixture_down(&f);
}
END_TEST

/* Deletes group until it is no longer NON_EMPTY_GROUP (the coordinator
 * takes a moment to see the group empty after its last member left). */
static void delete_when_empty(kfk_admin *a, fixture *f, const char *group)
{
    char unknown[128];
    ktest_unique_topic(unknown, sizeof(unknown), "agx-nosuch");
    const char *ids[] = {group, unknown};
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    for (;;) {
        kfk_admin_result *r = NULL;
        kfk_err err = kfk_admin_delete_groups(a, ids, 2, &opts, &r);
        ck_assert_uint_eq(kfk_admin_result_count(r), 2);
        kfk_err e0 = kfk_admin_result_error(r, 0);
        ck_assert_int_eq(kfk_admin_result_error(r, 1), KFK_ERR_GROUP_ID_NOT_FOUND);
        kfk_admin_result_destroy(r);
        if (e0 == KFK_OK) {
            ck_assert_int_eq(err, KFK_ERR_GROUP_ID_NOT_FOUND);
            return;
        }
        ck_assert_msg(e0 == KFK_ERR_NON_EMPTY_GROUP, "delete %s: %s", group, kfk_err_str(e0));
        ck_assert_msg(ktime_mono_ms() < deadline, "%s never became deletable", group);
        kclus_nap(100); /* polling the broker's state, with a deadline */
        (void)f;
    }
}

static bool gone(kfk_admin *a, const char *group)
{
    kfk_admin_result *r = list(a, NULL);
    bool ok = find(r, group) < 0;
    kfk_admin_result_destroy(r);
    return ok;
}

START_TEST(test_delete_fails_while_members_then_succeeds)
{
    fixture f;
    fixture_up(&f, "agx");
    kfk_admin *a = kclus_admin(NULL);
    const char *ids[] = {f.classic, f.consumer};
    kfk_admin_result *r = NULL;
    ck_assert_int_eq(kfk_admin_delete_groups(a, ids, 2, &opts, &r), KFK_ERR_NON_EMPTY_GROUP);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_ERR_NON_EMPTY_GROUP);
    ck_assert_int_eq(kfk_admin_result_error(r, 1), KFK_ERR_NON_EMPTY_GROUP);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), f.classic));
    kfk_admin_result_destroy(r);
    ck_assert(!gone(a, f.classic) && !gone(a, f.consumer));

    member_leave(&f, true);
    delete_when_empty(a, &f, f.classic);
    ck_assert(gone(a, f.classic));
    ck_assert(!gone(a, f.consumer));

    member_leave(&f, false);
    delete_when_empty(a, &f, f.consumer);
    ck_assert(gone(a, f.consumer));

    /* Gone for describe too. */
    ck_assert_int_eq(kfk_admin_describe_groups(a, ids, 1, &opts, &r), KFK_ERR_GROUP_ID_NOT_FOUND);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
    fixture_down(&f);
}
END_TEST

/* On an in-process mock of 3 brokers: groups holding offsets only (made
 * by kfk_admin_alter_group_offsets) are spread over the coordinators; the
 * broker whose ListGroups fails is reported, the others' groups listed. */
/* An admin client of mc that created the topic "agf-topic". */
static kfk_admin *mock_admin(kfk_mock_cluster *mc)
{
    kfk_conf *conf = kfk_conf_new();
    kclus_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc));
    char err_s[256];
    kfk_admin *a = kfk_admin_new(conf, err_s, sizeof(err_s));
    ck_assert_msg(a != NULL, "kfk_admin_new: %s", err_s);
    kfk_new_topic *t = kfk_new_topic_new("agf-topic", 1, 1);
    kfk_admin_result *r = NULL;
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, &opts, &r), KFK_OK);
    kfk_admin_result_destroy(r);
    kfk_new_topic_destroy(t);
    return a;
}

/* n groups "agf-group-<i>" holding an offset of agf-topic only. */
static void simple_groups(kfk_admin *a, char (*groups)[32], const char **ids, int n)
{
    for (int i = 0; i < n; i++) {
        snprintf(groups[i], sizeof(groups[i]), "agf-group-%d", i);
        ids[i] = groups[i];
        kfk_partition_list *l = kfk_partition_list_new(1);
        kfk_partition_list_add(l, "agf-topic", 0);
        kfk_partition_list_set_offset(l, 0, i);
        ck_assert_int_eq(kfk_admin_alter_group_offsets(a, ids[i], l, &opts), KFK_OK);
        kfk_partition_list_destroy(l);
    }
}

START_TEST(test_a_failing_broker_is_reported_and_the_rest_listed)
{
    enum { NG = 8 };
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    kfk_admin *a = mock_admin(mc);
    kfk_admin_result *r = NULL;
    char groups[NG][32];
    const char *ids[NG];
    simple_groups(a, groups, ids, NG);
    ck_assert_int_eq(kfk_admin_describe_groups(a, ids, NG, &opts, &r), KFK_OK);
    int32_t coord[NG];
    for (int i = 0; i < NG; i++) {
        coord[i] = kfk_admin_result_group_coordinator(r, (size_t)i);
        ck_assert_int_eq(kfk_admin_result_group_state(r, (size_t)i), KFK_GROUP_STATE_EMPTY);
        ck_assert_int_eq(kfk_admin_result_group_type(r, (size_t)i), KFK_GROUP_TYPE_CLASSIC);
        ck_assert_str_eq(kfk_admin_result_group_protocol_type(r, (size_t)i), "");
        ck_assert_uint_eq(kfk_admin_result_group_member_count(r, (size_t)i), 0);
    }
    kfk_admin_result_destroy(r);

    int32_t bad = coord[0];
    int elsewhere = 0;
    for (int i = 0; i < NG; i++)
        elsewhere += coord[i] != bad;
    ck_assert_int_gt(elsewhere, 0); /* the names spread over the coordinators */
    ck_assert_int_eq(kfk_mock_broker_push_errors(mc, bad, 16 /* ListGroups */, 1,
                                                 KFK_ERR_CLUSTER_AUTHORIZATION_FAILED),
                     KFK_OK);
    ck_assert_int_eq(kfk_admin_list_groups(a, NULL, &opts, &r),
                     KFK_ERR_CLUSTER_AUTHORIZATION_FAILED);
    char want[32];
    snprintf(want, sizeof(want), "broker %d", (int)bad);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), want));
    size_t n = kfk_admin_result_count(r);
    ck_assert_uint_ge(n, 1);
    /* The failure comes last, named by its broker. */
    ck_assert_ptr_null(kfk_admin_result_name(r, n - 1));
    ck_assert_int_eq(kfk_admin_result_error(r, n - 1), KFK_ERR_CLUSTER_AUTHORIZATION_FAILED);
    ck_assert_int_eq(kfk_admin_result_group_coordinator(r, n - 1), bad);
    for (int i = 0; i < NG; i++)
        ck_assert_msg((find(r, ids[i]) >= 0) == (coord[i] != bad), "group %d (broker %d)", i,
                      (int)coord[i]);
    kfk_admin_result_destroy(r);

    /* The next listing has every group again. */
    r = list(a, NULL);
    for (int i = 0; i < NG; i++)
        ck_assert(find(r, ids[i]) >= 0);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* On an in-process mock: a coordinator that is loading is asked again
 * until it answers; a refusal fails its group alone. */
START_TEST(test_coordinator_errors_retry_or_fail_per_group)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    kfk_admin *a = mock_admin(mc);
    char groups[2][32];
    const char *ids[2];
    simple_groups(a, groups, ids, 2);

    int64_t before = kfk_mock_request_count(mc, KFK_MOCK_API_CONSUMER_GROUP_DESCRIBE);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_CONSUMER_GROUP_DESCRIBE, 2,
                                          KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS),
                     KFK_OK);
    kfk_admin_result *r = NULL;
    ck_assert_int_eq(kfk_admin_describe_groups(a, ids, 1, &opts, &r), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_group_state(r, 0), KFK_GROUP_STATE_EMPTY);
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_CONSUMER_GROUP_DESCRIBE) - before, 3);

    /* OffsetDelete to a broker that is not the coordinator (any more). */
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_DELETE, 1, KFK_ERR_NOT_COORDINATOR), KFK_OK);
    kfk_partition_list *l = kfk_partition_list_new(1);
    kfk_partition_list_add(l, "agf-topic", 0);
    ck_assert_int_eq(kfk_admin_delete_group_offsets(a, ids[1], l, &opts), KFK_OK);
    kfk_partition_list_destroy(l);
    ck_assert_int_eq(kfk_admin_list_group_offsets(a, ids[1], NULL, &opts, &l), KFK_OK);
    ck_assert_uint_eq(kfk_partition_list_count(l), 0);
    kfk_partition_list_destroy(l);

    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_DELETE_GROUPS, 1, KFK_ERR_GROUP_AUTHORIZATION_FAILED),
        KFK_OK);
    ck_assert_int_eq(kfk_admin_delete_groups(a, ids, 1, &opts, &r),
                     KFK_ERR_GROUP_AUTHORIZATION_FAILED);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), ids[0]));
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(kfk_admin_delete_groups(a, ids, 2, &opts, &r), KFK_OK);
    kfk_admin_result_destroy(r);
    r = list(a, NULL);
    ck_assert(find(r, ids[0]) < 0 && find(r, ids[1]) < 0);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* On an in-process mock: a broker that answers ConsumerGroupDescribe
 * with UNSUPPORTED_VERSION in each group (Kafka 3.x when its consumer
 * protocol is off) is asked with DescribeGroups instead. */
START_TEST(test_groups_refused_by_consumer_group_describe_are_described_as_classic)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    kfk_admin *a = mock_admin(mc);
    char groups[1][32];
    const char *ids[1];
    simple_groups(a, groups, ids, 1);
    int64_t before = kfk_mock_request_count(mc, KFK_MOCK_API_DESCRIBE_GROUPS);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_CONSUMER_GROUP_DESCRIBE, 1,
                                          KFK_ERR_UNSUPPORTED_VERSION),
                     KFK_OK);
    kfk_admin_result *r = NULL;
    ck_assert_int_eq(kfk_admin_describe_groups(a, ids, 1, &opts, &r), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_group_type(r, 0), KFK_GROUP_TYPE_CLASSIC);
    ck_assert_int_eq(kfk_admin_result_group_state(r, 0), KFK_GROUP_STATE_EMPTY);
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_DESCRIBE_GROUPS) - before, 1);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static void refused(kfk_admin *a, kfk_err err, const char *what)
{
    ck_assert_int_eq(err, KFK_ERR_INVALID_ARG);
    ck_assert_msg(strstr(kfk_admin_last_error(a), what), "last error \"%s\" lacks \"%s\"",
                  kfk_admin_last_error(a), what);
}

START_TEST(test_bad_arguments_are_refused)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_admin_result *r = (kfk_admin_result *)1;
    const char *ids[] = {"g", NULL};
    const char *empty[] = {""};
    ck_assert_int_eq(kfk_admin_list_groups(NULL, NULL, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(r);
    refused(a, kfk_admin_list_groups(a, NULL, NULL, NULL), "result is NULL");
    void *junk = &r;
    refused(a, kfk_admin_list_groups(a, &(kfk_group_filter){.reserved = {junk}}, NULL, &r),
            "reserved");
    const kfk_group_state bad_state[] = {(kfk_group_state)99};
    refused(
        a,
        kfk_admin_list_groups(a, &(kfk_group_filter){.states = bad_state, .n_states = 1}, NULL, &r),
        "unknown state");
    refused(a, kfk_admin_list_groups(a, &(kfk_group_filter){.n_types = 1}, NULL, &r),
            "filter->types is NULL");
    refused(
        a,
        kfk_admin_list_groups(
            a, NULL, &(kfk_admin_options){.flags = KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS}, &r),
        "KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS");
    ck_assert_ptr_null(r);

    ck_assert_int_eq(kfk_admin_describe_groups(NULL, ids, 1, NULL, &r), KFK_ERR_INVALID_ARG);
    refused(a, kfk_admin_describe_groups(a, ids, 2, NULL, &r), "group_ids[1] is NULL");
    refused(a, kfk_admin_describe_groups(a, empty, 1, NULL, &r), "group_ids[0] is empty");
    refused(a, kfk_admin_describe_groups(a, NULL, 1, NULL, &r), "group_ids is NULL");
    refused(a, kfk_admin_describe_groups(a, ids, 1, NULL, NULL), "result is NULL");
    refused(a,
            kfk_admin_describe_groups(a, ids, 1,
                                      &(kfk_admin_options){.flags = KFK_ADMIN_VALIDATE_ONLY}, &r),
            "KFK_ADMIN_VALIDATE_ONLY");
    ck_assert_int_eq(kfk_admin_delete_groups(NULL, ids, 1, NULL, &r), KFK_ERR_INVALID_ARG);
    refused(a, kfk_admin_delete_groups(a, ids, 2, NULL, &r), "group_ids[1] is NULL");
    refused(
        a,
        kfk_admin_delete_groups(
            a, ids, 1, &(kfk_admin_options){.flags = KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS}, &r),
        "KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS");
    ck_assert_ptr_null(r);

    /* Zero groups: an empty result, no request. */
    ck_assert_int_eq(kfk_admin_delete_groups(a, NULL, 0, NULL, &r), KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_count(r), 0);
    kfk_admin_result_destroy(r);

    ck_assert_str_eq(kfk_group_type_name(KFK_GROUP_TYPE_CONSUMER), "consumer");
    ck_assert_str_eq(kfk_group_state_name(KFK_GROUP_STATE_COMPLETING_REBALANCE),
                     "CompletingRebalance");
    ck_assert_str_eq(kfk_group_state_name((kfk_group_state)-1), "Unknown");
    kfk_admin_destroy(a);
}
END_TEST

static Suite *admin_groups_suite(void)
{
    Suite *s = suite_create("admin_groups");
    TCase *tc = tcase_create("groups");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    tcase_add_test(tc, test_list_shows_both_types_and_filters_them);
    tcase_add_test(tc, test_describe_shows_members_and_assignments);
    tcase_add_test(tc, test_delete_fails_while_members_then_succeeds);
    tcase_add_test(tc, test_a_failing_broker_is_reported_and_the_rest_listed);
    tcase_add_test(tc, test_coordinator_errors_retry_or_fail_per_group);
    tcase_add_test(tc, test_groups_refused_by_consumer_group_describe_are_described_as_classic);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(admin_groups_suite());
}
