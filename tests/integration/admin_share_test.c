/* The admin client's share-group (KIP-932) calls against a cluster
 * (KFK_TEST_BOOTSTRAP: the mock, then real Kafka). Where the cluster has
 * share groups (share.version finalized), a share group made by a raw
 * ShareGroupHeartbeat member is described with its state, epochs,
 * assignor and the member's assignment, while an unknown group and a
 * consumer group fail alone with GROUP_ID_NOT_FOUND. Where it has none
 * (the mock, a broker without share.version), every group fails with
 * UNSUPPORTED_VERSION. A share group's start offsets are refused while
 * a member is in, then set (an unknown topic's entry failing alone), read
 * back with their lag, and deleted per topic. Bad arguments are refused. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "kclus.h"
#include "kcoord.h"
#include "kfk.h"

#define TIMEOUT_MS 30000
#define NPARTS 2

static const kfk_admin_options opts = {.timeout_ms = TIMEOUT_MS};

/* The cluster's finalized share.version; 0 when none. */
static int16_t share_level(kfk_admin *a)
{
    kfk_admin_result *r = NULL;
    kfk_err err = kfk_admin_describe_features(a, &opts, &r);
    ck_assert_msg(err == KFK_OK, "describe_features: %s", kfk_err_str(err));
    int16_t level = 0;
    for (size_t i = 0; i < kfk_admin_result_count(r); i++)
        if (strcmp(kfk_admin_result_name(r, i), "share.version") == 0)
            level = kfk_admin_result_feature_finalized_level(r, i);
    kfk_admin_result_destroy(r);
    fprintf(stderr, "share.version: finalized level %d\n", (int)level);
    return level;
}

/* A share-group member over raw ShareGroupHeartbeat v1 requests. */
typedef struct share_member {
    mt_conn c;
    const char *group, *topic;
    char id[40];
    int32_t epoch;
    int n_assigned; /* partitions in the last assignment sent */
} share_member;

static int16_t share_beat(share_member *m, int32_t epoch)
{
    kp_share_group_heartbeat_request req;
    kp_share_group_heartbeat_request_init(&req);
    kslice names[] = {kwire_cstr(m->topic)};
    req.group_id = kwire_cstr(m->group);
    req.member_id = kwire_cstr(m->id);
    req.member_epoch = epoch;
    if (epoch == 0) {
        req.subscribed_topic_names = names;
        req.n_subscribed_topic_names = 1;
    }
    kp_share_group_heartbeat_response resp;
    mt_call(&m->c, KP_SHARE_GROUP_HEARTBEAT_KEY, 1, &req, &resp);
    if (resp.error_code) return resp.error_code;
    m->epoch = resp.member_epoch;
    if (resp.assignment) {
        m->n_assigned = 0;
        for (int32_t t = 0; t < resp.assignment->n_topic_partitions; t++)
            m->n_assigned += resp.assignment->topic_partitions[t].n_partitions;
    }
    return 0;
}

/* Joins and heartbeats until the member owns every partition. */
static void share_join(share_member *m, const char *group, const char *topic)
{
    memset(m, 0, sizeof(*m));
    m->group = group;
    m->topic = topic;
    uint8_t raw[16]; /* KIP-1082: the client names itself */
    ktest_fill(raw, sizeof(raw), (uint64_t)kclus_now_ms() ^ (uint64_t)getpid());
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(&m->id[2 * i], 3, "%02x", raw[i]);
    kcoord_open(&m->c, NULL, 0, group, NULL);
    ck_assert_int_eq(share_beat(m, 0), 0);
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    while (m->n_assigned < NPARTS) {
        ck_assert_msg(kclus_now_ms() < end, "owns %d partitions", m->n_assigned);
        kclus_nap(100); /* the coordinator assigns in its own time */
        ck_assert_int_eq(share_beat(m, m->epoch), 0);
    }
}

static void share_leave(share_member *m)
{
    share_beat(m, -1);
    mt_close(&m->c);
}

START_TEST(test_share_group_is_described_unknown_ones_fail_alone)
{
    kfk_admin *a = kclus_admin(NULL);
    char topic[128], group[128], unknown[128];
    ktest_unique_topic(topic, sizeof(topic), "ash-t");
    ktest_unique_topic(group, sizeof(group), "ash-g");
    ktest_unique_topic(unknown, sizeof(unknown), "ash-none");
    const char *ids[] = {unknown, group};
    kfk_admin_result *r = NULL;
    if (share_level(a) < 1) {
        /* No share groups here: the broker refuses the API. */
        ck_assert_int_eq(kfk_admin_describe_share_groups(a, ids, 2, &opts, &r),
                         KFK_ERR_UNSUPPORTED_VERSION);
        ck_assert_uint_eq(kfk_admin_result_count(r), 2);
        for (size_t i = 0; i < 2; i++) {
            ck_assert_str_eq(kfk_admin_result_name(r, i), ids[i]);
            ck_assert_int_eq(kfk_admin_result_error(r, i), KFK_ERR_UNSUPPORTED_VERSION);
            ck_assert_int_eq(kfk_admin_result_group_type(r, i), KFK_GROUP_TYPE_UNKNOWN);
        }
        ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), unknown));
        kfk_admin_result_destroy(r);
        kfk_admin_destroy(a);
        return;
    }
    kclus_create_topic(NULL, topic, NPARTS, -1);
    share_member m;
    share_join(&m, group, topic);

    ck_assert_int_eq(kfk_admin_describe_share_groups(a, ids, 2, &opts, &r),
                     KFK_ERR_GROUP_ID_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), unknown));
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_ERR_GROUP_ID_NOT_FOUND);
    ck_assert_int_eq(kfk_admin_result_group_member_count(r, 0), 0);
    ck_assert_int_eq(kfk_admin_result_error(r, 1), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_group_type(r, 1), KFK_GROUP_TYPE_SHARE);
    ck_assert_int_eq(kfk_admin_result_group_state(r, 1), KFK_GROUP_STATE_STABLE);
    ck_assert_str_eq(kfk_admin_result_group_protocol_type(r, 1), "share");
    ck_assert_str_eq(kfk_admin_result_group_protocol(r, 1), "simple");
    ck_assert_int_ge(kfk_admin_result_group_coordinator(r, 1), 0);
    ck_assert_int_ge(kfk_admin_result_group_epoch(r, 1), 1);
    ck_assert_int_eq(kfk_admin_result_group_assignment_epoch(r, 1),
                     kfk_admin_result_group_epoch(r, 1));
    ck_assert_int_eq(kfk_admin_result_group_authorized_operations(r, 1), -1);
    ck_assert_uint_eq(kfk_admin_result_group_member_count(r, 1), 1);
    ck_assert_str_eq(kfk_admin_result_group_member_id(r, 1, 0), m.id);
    ck_assert_ptr_null(kfk_admin_result_group_member_instance_id(r, 1, 0));
    ck_assert_ptr_nonnull(kfk_admin_result_group_member_client_id(r, 1, 0));
    ck_assert_int_eq(kfk_admin_result_group_member_epoch(r, 1, 0), m.epoch);
    ck_assert_ptr_null(kfk_admin_result_group_member_target_assignment(r, 1, 0));
    const kfk_partition_list *l = kfk_admin_result_group_member_assignment(r, 1, 0);
    ck_assert_uint_eq(kfk_partition_list_count(l), NPARTS);
    for (size_t p = 0; p < NPARTS; p++) {
        ck_assert_str_eq(kfk_partition_list_topic(l, p), topic);
        ck_assert_int_eq(kfk_partition_list_partition(l, p), (int32_t)p);
    }
    kfk_admin_result_destroy(r);

    /* With the operations asked for. */
    const kfk_admin_options with_ops = {.timeout_ms = TIMEOUT_MS,
                                        .flags = KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS};
    ck_assert_int_eq(kfk_admin_describe_share_groups(a, &ids[1], 1, &with_ops, &r), KFK_OK);
    ck_assert_int_ge(kfk_admin_result_group_authorized_operations(r, 0), 0);
    ck_assert(kfk_admin_result_group_authorized_operations(r, 0) & (1 << 8)); /* DESCRIBE */
    kfk_admin_result_destroy(r);

    share_leave(&m);
    kclus_delete_topic(NULL, topic);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    kfk_admin *a = kclus_admin(NULL);
    const char *ids[] = {"g", ""};
    const char *null_id[] = {NULL};
    kfk_admin_result *r = (kfk_admin_result *)1;
    ck_assert_int_eq(kfk_admin_describe_share_groups(NULL, ids, 1, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(kfk_admin_describe_share_groups(a, ids, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "result"));
    ck_assert_int_eq(kfk_admin_describe_share_groups(a, NULL, 1, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "group_ids"));
    ck_assert_int_eq(kfk_admin_describe_share_groups(a, ids, 2, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "group_ids[1] is empty"));
    ck_assert_int_eq(kfk_admin_describe_share_groups(a, null_id, 1, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "group_ids[0] is NULL"));
    const kfk_admin_options bad = {.flags = KFK_ADMIN_REQUIRE_STABLE};
    ck_assert_int_eq(kfk_admin_describe_share_groups(a, ids, 1, &bad, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "REQUIRE_STABLE"));
    ck_assert_ptr_null(r);
    /* No groups: an empty result. */
    ck_assert_int_eq(kfk_admin_describe_share_groups(a, NULL, 0, NULL, &r), KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_count(r), 0);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
}
END_TEST

/* A list of topic's partitions 0 and 1 at offsets o0 and o1. */
static kfk_partition_list *two(const char *topic, int64_t o0, int64_t o1)
{
    kfk_partition_list *l = kfk_partition_list_new(2);
    ck_assert_int_eq(kfk_partition_list_add(l, topic, 0), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_add(l, topic, 1), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_set_offset(l, 0, o0), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_set_offset(l, 1, o1), KFK_OK);
    return l;
}

/* The group's start offsets of every partition. */
static kfk_partition_list *list_all(kfk_admin *a, const char *group)
{
    kfk_partition_list *l = NULL;
    kfk_err err = kfk_admin_list_share_group_offsets(a, group, NULL, &opts, &l);
    ck_assert_msg(err == KFK_OK, "list: %s (%s)", kfk_err_str(err), kfk_admin_last_error(a));
    return l;
}

START_TEST(test_share_offsets_are_set_read_and_deleted)
{
    kfk_admin *a = kclus_admin(NULL);
    char topic[128], group[128], unknown[128];
    ktest_unique_topic(topic, sizeof(topic), "aso-t");
    ktest_unique_topic(group, sizeof(group), "aso-g");
    ktest_unique_topic(unknown, sizeof(unknown), "aso-none");
    const char *topics[] = {topic, unknown};
    kfk_partition_list *set = two(topic, 3, 5), *l = NULL;
    kfk_admin_result *r = NULL;
    if (share_level(a) < 1) {
        ck_assert_int_eq(kfk_admin_list_share_group_offsets(a, group, NULL, &opts, &l),
                         KFK_ERR_UNSUPPORTED_VERSION);
        ck_assert_ptr_null(l);
        ck_assert_int_eq(kfk_admin_alter_share_group_offsets(a, group, set, &opts),
                         KFK_ERR_UNSUPPORTED_VERSION);
        ck_assert_int_eq(kfk_partition_list_error(set, 1), KFK_ERR_UNSUPPORTED_VERSION);
        ck_assert_int_eq(kfk_admin_delete_share_group_offsets(a, group, topics, 2, &opts, &r),
                         KFK_ERR_UNSUPPORTED_VERSION);
        ck_assert_int_eq(kfk_admin_result_error(r, 1), KFK_ERR_UNSUPPORTED_VERSION);
        kfk_admin_result_destroy(r);
        kfk_partition_list_destroy(set);
        kfk_admin_destroy(a);
        return;
    }
    kclus_create_topic(NULL, topic, NPARTS, -1);
    kclus_produce(NULL, topic, NPARTS, 0, 20); /* 10 records a partition */

    /* No such group: nothing listed; deleting fails for every topic. */
    l = list_all(a, group);
    ck_assert_uint_eq(kfk_partition_list_count(l), 0);
    kfk_partition_list_destroy(l);
    ck_assert_int_eq(kfk_admin_delete_share_group_offsets(a, group, topics, 1, &opts, &r),
                     KFK_ERR_GROUP_ID_NOT_FOUND);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_ERR_GROUP_ID_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), group));
    kfk_admin_result_destroy(r);

    /* While a member is in, the offsets cannot be set. */
    share_member m;
    share_join(&m, group, topic);
    ck_assert_int_eq(kfk_admin_alter_share_group_offsets(a, group, set, &opts),
                     KFK_ERR_NON_EMPTY_GROUP);
    ck_assert_int_eq(kfk_partition_list_error(set, 0), KFK_ERR_NON_EMPTY_GROUP);
    ck_assert_int_eq(kfk_partition_list_error(set, 1), KFK_ERR_NON_EMPTY_GROUP);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), group));
    share_leave(&m);

    /* Empty: they are, and an unknown topic's entry fails alone. */
    ck_assert_int_eq(kfk_partition_list_add(set, unknown, 0), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_set_offset(set, 2, 1), KFK_OK);
    ck_assert_int_eq(kfk_admin_alter_share_group_offsets(a, group, set, &opts),
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kfk_partition_list_error(set, 0), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_error(set, 1), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_error(set, 2), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), unknown));

    l = list_all(a, group);
    ck_assert_uint_eq(kfk_partition_list_count(l), NPARTS);
    for (size_t p = 0; p < NPARTS; p++) {
        ck_assert_str_eq(kfk_partition_list_topic(l, p), topic);
        ck_assert_int_eq(kfk_partition_list_partition(l, p), (int32_t)p);
        ck_assert_int_eq(kfk_partition_list_error(l, p), KFK_OK);
    }
    ck_assert_int_eq(kfk_partition_list_offset(l, 0), 3);
    ck_assert_int_eq(kfk_partition_list_offset(l, 1), 5);
    ck_assert_int_eq(kfk_partition_list_lag(l, 0), 7); /* v1: 10 records - 3 */
    ck_assert_int_eq(kfk_partition_list_lag(l, 1), 5);
    kfk_partition_list_destroy(l);

    /* The partitions asked for, in their order. */
    kfk_partition_list *ask = two(topic, 0, 0);
    ck_assert_int_eq(kfk_partition_list_add(ask, unknown, 0), KFK_OK);
    ck_assert_int_eq(kfk_admin_list_share_group_offsets(a, group, ask, &opts, &l), KFK_OK);
    ck_assert_uint_eq(kfk_partition_list_count(l), 3);
    ck_assert_int_eq(kfk_partition_list_offset(l, 0), 3);
    ck_assert_int_eq(kfk_partition_list_offset(l, 1), 5);
    ck_assert_int_eq(kfk_partition_list_offset(l, 2), KFK_OFFSET_INVALID);
    kfk_partition_list_destroy(l);
    kfk_partition_list_destroy(ask);

    /* Deleting: the topic's go, the unknown topic fails alone. */
    ck_assert_int_eq(kfk_admin_delete_share_group_offsets(a, group, topics, 2, &opts, &r),
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_str_eq(kfk_admin_result_name(r, 0), topic);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(r, 1), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), unknown));
    kfk_admin_result_destroy(r);
    l = list_all(a, group);
    ck_assert_uint_eq(kfk_partition_list_count(l), 0);
    kfk_partition_list_destroy(l);

    kfk_partition_list_destroy(set);
    kclus_delete_topic(NULL, topic);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_bad_offsets_arguments_are_refused)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_partition_list *l = two("t", 1, -1), *out = (kfk_partition_list *)1;
    kfk_admin_result *r = (kfk_admin_result *)1;
    const char *topics[] = {"t", "t", ""};
    ck_assert_int_eq(kfk_admin_list_share_group_offsets(NULL, "g", NULL, NULL, &out),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(kfk_admin_list_share_group_offsets(a, "", NULL, NULL, &out),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "group_id"));
    ck_assert_int_eq(kfk_admin_list_share_group_offsets(a, "g", NULL, NULL, NULL),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "out is NULL"));
    const kfk_admin_options bad = {.flags = KFK_ADMIN_REQUIRE_STABLE};
    ck_assert_int_eq(kfk_admin_list_share_group_offsets(a, "g", NULL, &bad, &out),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "REQUIRE_STABLE"));
    ck_assert_int_eq(kfk_admin_alter_share_group_offsets(a, "g", l, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "entry 1 has no offset"));
    ck_assert_int_eq(kfk_admin_alter_share_group_offsets(a, "g", NULL, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_delete_share_group_offsets(a, "g", topics, 0, NULL, &r),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "no topics"));
    ck_assert_int_eq(kfk_admin_delete_share_group_offsets(a, "g", topics, 2, NULL, &r),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "twice"));
    ck_assert_int_eq(kfk_admin_delete_share_group_offsets(a, "g", &topics[1], 2, NULL, &r),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "NULL or empty"));
    ck_assert_int_eq(kfk_admin_delete_share_group_offsets(a, NULL, topics, 1, NULL, &r),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "group_id"));
    ck_assert_int_eq(kfk_admin_delete_share_group_offsets(a, "g", topics, 1, NULL, NULL),
                     KFK_ERR_INVALID_ARG);
    kfk_partition_list_destroy(l);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *admin_share_suite(void)
{
    Suite *s = suite_create("admin_share");
    TCase *tc = tcase_create("share");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    tcase_add_test(tc, test_bad_offsets_arguments_are_refused);
    tcase_add_test(tc, test_share_offsets_are_set_read_and_deleted);
    tcase_add_test(tc, test_share_group_is_described_unknown_ones_fail_alone);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(admin_share_suite());
}
