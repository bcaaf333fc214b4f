/* The admin client's streams-group (KIP-1071) calls against a cluster
 * (KFK_TEST_BOOTSTRAP: the mock, then real Kafka). Where the cluster serves
 * streams groups (streams.version finalized; Kafka 4.2+ by default), a
 * streams group made by a raw StreamsGroupHeartbeat member with a small
 * topology (one subtopology reading a topic, with a changelog) is
 * described with its state, epochs, topology and the member's streams
 * fields and tasks, while an unknown group fails alone with
 * GROUP_ID_NOT_FOUND; list groups finds it by type. Where it serves none
 * (the mock, which has no streams groups), every group fails with
 * UNSUPPORTED_VERSION. Bad arguments are refused. */
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

/* The cluster's finalized streams.version; 0 when none. */
static int16_t streams_level(kfk_admin *a)
{
    kfk_admin_result *r = NULL;
    kfk_err err = kfk_admin_describe_features(a, &opts, &r);
    ck_assert_msg(err == KFK_OK, "describe_features: %s", kfk_err_str(err));
    int16_t level = 0;
    for (size_t i = 0; i < kfk_admin_result_count(r); i++)
        if (strcmp(kfk_admin_result_name(r, i), "streams.version") == 0)
            level = kfk_admin_result_feature_finalized_level(r, i);
    kfk_admin_result_destroy(r);
    fprintf(stderr, "streams.version: finalized level %d\n", (int)level);
    return level;
}

/* A streams-group member over raw StreamsGroupHeartbeat v0 requests. */
typedef struct streams_member {
    mt_conn c;
    const char *group, *topic;
    char id[40], process[40], changelog[200];
    int32_t epoch;
    kp_streams_group_heartbeat_request_task_ids owned[4]; /* the active tasks it holds */
    int32_t owned_parts[4][NPARTS];
    int32_t n_owned;
    char owned_ids[4][16];
    int n_assigned; /* active partitions in the last assignment */
} streams_member;

static void random_hex(char *out, uint64_t salt)
{
    uint8_t raw[16];
    ktest_fill(raw, sizeof(raw), (uint64_t)kclus_now_ms() ^ (uint64_t)getpid() ^ salt);
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(&out[2 * i], 3, "%02x", raw[i]);
}

/* Keeps the active tasks of resp (when it sends them) as the member's. */
static void take_tasks(streams_member *m, const kp_streams_group_heartbeat_response *resp)
{
    if (resp->n_active_tasks < 0) return; /* unchanged */
    m->n_owned = 0;
    m->n_assigned = 0;
    for (int32_t t = 0; t < resp->n_active_tasks && t < 4; t++) {
        const kp_streams_group_heartbeat_response_task_ids *x = &resp->active_tasks[t];
        kp_streams_group_heartbeat_request_task_ids *y = &m->owned[m->n_owned];
        snprintf(m->owned_ids[m->n_owned], sizeof(m->owned_ids[0]), "%.*s",
                 (int)x->subtopology_id.len, (const char *)x->subtopology_id.ptr);
        y->subtopology_id = kwire_cstr(m->owned_ids[m->n_owned]);
        y->n_partitions = x->n_partitions < NPARTS ? x->n_partitions : NPARTS;
        for (int32_t p = 0; p < y->n_partitions; p++)
            m->owned_parts[m->n_owned][p] = x->partitions[p];
        y->partitions = m->owned_parts[m->n_owned];
        m->n_assigned += y->n_partitions;
        m->n_owned++;
    }
}

/* One heartbeat at epoch; the join (epoch 0) sends the topology and the
 * member's streams fields. Returns the error code. */
static int16_t streams_beat(streams_member *m, int32_t epoch)
{
    kp_streams_group_heartbeat_request req;
    kp_streams_group_heartbeat_request_init(&req);
    req.group_id = kwire_cstr(m->group);
    req.member_id = kwire_cstr(m->id);
    req.member_epoch = epoch;
    kslice sources[] = {kwire_cstr(m->topic)};
    kp_streams_group_heartbeat_request_topic_info changelog = {
        .name = kwire_cstr(m->changelog), .partitions = 0, .replication_factor = 0};
    kp_streams_group_heartbeat_request_subtopology sub = {.subtopology_id = kwire_cstr("0"),
                                                          .source_topics = sources,
                                                          .n_source_topics = 1,
                                                          .state_changelog_topics = &changelog,
                                                          .n_state_changelog_topics = 1};
    kp_streams_group_heartbeat_request_topology topo = {
        .epoch = 1, .subtopologies = &sub, .n_subtopologies = 1};
    kp_streams_group_heartbeat_request_endpoint endpoint = {.host = kwire_cstr("app.host"),
                                                            .port = 8080};
    kp_streams_group_heartbeat_request_key_value tag = {kwire_cstr("zone"), kwire_cstr("z1")};
    if (epoch == 0) {
        req.rebalance_timeout_ms = TIMEOUT_MS;
        req.topology = &topo;
        req.process_id = kwire_cstr(m->process);
        req.user_endpoint = &endpoint;
        req.client_tags = &tag;
        req.n_client_tags = 1;
        req.rack_id = kwire_cstr("rack-s");
        req.n_active_tasks = req.n_standby_tasks = req.n_warmup_tasks = 0;
    } else if (epoch > 0) {
        req.active_tasks = m->owned;
        req.n_active_tasks = m->n_owned;
        req.n_standby_tasks = req.n_warmup_tasks = 0;
    }
    kp_streams_group_heartbeat_response resp;
    mt_call(&m->c, KP_STREAMS_GROUP_HEARTBEAT_KEY, 0, &req, &resp);
    if (resp.error_code) {
        fprintf(stderr, "StreamsGroupHeartbeat: %d %.*s\n", resp.error_code,
                (int)resp.error_message.len, (const char *)resp.error_message.ptr);
        return resp.error_code;
    }
    m->epoch = resp.member_epoch;
    take_tasks(m, &resp);
    return 0;
}

/* Joins and heartbeats until the member holds every partition's task. */
static void streams_join(streams_member *m, const char *group, const char *topic)
{
    memset(m, 0, sizeof(*m));
    m->group = group;
    m->topic = topic;
    random_hex(m->id, 1);
    random_hex(m->process, 2);
    snprintf(m->changelog, sizeof(m->changelog), "%s-store-changelog", group);
    kcoord_open(&m->c, NULL, 0, group, NULL);
    int64_t end = kclus_now_ms() + 2 * TIMEOUT_MS;
    int16_t err;
    /* Kafka 4.3 fails a join with UNKNOWN_SERVER_ERROR while the
     * coordinator's metadata does not show the new source topic yet (it
     * maps the user endpoint to the topic's partitions): join again. */
    while ((err = streams_beat(m, 0)) == -1 && kclus_now_ms() < end)
        kclus_nap(200);
    ck_assert_int_eq(err, 0);
    while (m->n_assigned < NPARTS) {
        ck_assert_msg(kclus_now_ms() < end, "holds %d tasks", m->n_assigned);
        kclus_nap(200); /* the coordinator assigns in its own time */
        ck_assert_int_eq(streams_beat(m, m->epoch), 0);
    }
    ck_assert_int_eq(streams_beat(m, m->epoch), 0); /* reports what it holds */
}

static void streams_leave(streams_member *m)
{
    streams_beat(m, -1);
    mt_close(&m->c);
}

/* The partitions of tasks of type in m's (target) assignment. */
static size_t tasks_of(const kfk_streams_member *x, bool target, kfk_streams_task_type type)
{
    size_t total = 0;
    for (size_t j = 0; j < kfk_streams_member_task_count(x, target, type); j++) {
        const int32_t *parts;
        size_t n;
        ck_assert_str_eq(kfk_streams_member_task(x, target, type, j, &parts, &n), "0");
        for (size_t k = 0; k < n; k++)
            ck_assert(parts[k] >= 0 && parts[k] < NPARTS);
        total += n;
    }
    return total;
}

static void check_topology(const kfk_admin_result *r, const streams_member *m)
{
    ck_assert_int_eq(kfk_admin_result_streams_group_topology_epoch(r, 1), 1);
    ck_assert_uint_eq(kfk_admin_result_streams_group_subtopology_count(r, 1), 1);
    const kfk_streams_subtopology *s = kfk_admin_result_streams_group_subtopology(r, 1, 0);
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_null(kfk_admin_result_streams_group_subtopology(r, 1, 1));
    ck_assert_str_eq(s->id, "0");
    ck_assert_uint_eq(s->n_source_topics, 1);
    ck_assert_str_eq(s->source_topics[0], m->topic);
    ck_assert_uint_eq(s->n_repartition_sink_topics, 0);
    ck_assert_uint_eq(s->n_repartition_source_topics, 0);
    ck_assert_uint_eq(s->n_state_changelog_topics, 1);
    const kfk_streams_topic_info *c = kfk_streams_subtopology_changelog_topic(s, 0);
    ck_assert_str_eq(c->name, m->changelog);
    ck_assert_ptr_null(kfk_streams_subtopology_changelog_topic(s, 1));
    ck_assert_ptr_null(kfk_streams_subtopology_repartition_source_topic(s, 0));
}

static void check_member(const kfk_admin_result *r, const streams_member *m)
{
    ck_assert_uint_eq(kfk_admin_result_group_member_count(r, 1), 1);
    ck_assert_str_eq(kfk_admin_result_group_member_id(r, 1, 0), m->id);
    const kfk_streams_member *x = kfk_admin_result_streams_group_member(r, 1, 0);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_null(kfk_admin_result_streams_group_member(r, 1, 1));
    ck_assert_str_eq(x->member_id, m->id);
    ck_assert_ptr_null(x->instance_id);
    ck_assert_str_eq(x->rack_id, "rack-s");
    ck_assert_str_eq(x->client_id, "mock-test"); /* mt_conn's client id */
    ck_assert_ptr_nonnull(x->client_host);
    ck_assert_int_eq(x->member_epoch, m->epoch);
    ck_assert_int_eq(x->topology_epoch, 1);
    ck_assert_str_eq(x->process_id, m->process);
    ck_assert_str_eq(x->endpoint_host, "app.host");
    ck_assert_uint_eq(x->endpoint_port, 8080);
    ck_assert_uint_eq(x->n_client_tags, 1);
    ck_assert_str_eq(x->client_tag_keys[0], "zone");
    ck_assert_str_eq(x->client_tag_values[0], "z1");
    ck_assert(!x->is_classic);
    ck_assert_uint_eq(tasks_of(x, true, KFK_STREAMS_TASK_ACTIVE), NPARTS);
    ck_assert_uint_eq(tasks_of(x, false, KFK_STREAMS_TASK_ACTIVE), NPARTS);
    ck_assert_uint_eq(tasks_of(x, false, KFK_STREAMS_TASK_STANDBY), 0);
    ck_assert_uint_eq(tasks_of(x, true, KFK_STREAMS_TASK_WARMUP), 0);
    ck_assert_ptr_null(kfk_streams_member_task(x, false, KFK_STREAMS_TASK_ACTIVE, 9, NULL, NULL));
    ck_assert_uint_eq(kfk_streams_member_task_count(x, false, (kfk_streams_task_type)7), 0);
    ck_assert_int_eq(kfk_streams_member_task_offset(x, true, 99, NULL, NULL), -1);
}

/* list groups with a streams type filter finds group, as a streams group. */
static void check_listed(kfk_admin *a, const char *group)
{
    kfk_group_type streams = KFK_GROUP_TYPE_STREAMS;
    kfk_group_filter f = {.types = &streams, .n_types = 1};
    kfk_admin_result *r = NULL;
    ck_assert_int_eq(kfk_admin_list_groups(a, &f, &opts, &r), KFK_OK);
    bool found = false;
    for (size_t i = 0; i < kfk_admin_result_count(r); i++) {
        ck_assert_int_eq(kfk_admin_result_group_type(r, i), KFK_GROUP_TYPE_STREAMS);
        found |= strcmp(kfk_admin_result_name(r, i), group) == 0;
    }
    ck_assert_msg(found, "list groups (type streams) misses %s", group);
    kfk_admin_result_destroy(r);
}

START_TEST(test_streams_group_is_described_unknown_ones_fail_alone)
{
    kfk_admin *a = kclus_admin(NULL);
    char topic[128], group[128], unknown[128];
    ktest_unique_topic(topic, sizeof(topic), "ast-t");
    ktest_unique_topic(group, sizeof(group), "ast-g");
    ktest_unique_topic(unknown, sizeof(unknown), "ast-none");
    const char *ids[] = {unknown, group};
    kfk_admin_result *r = NULL;
    if (streams_level(a) < 1) {
        /* No streams groups here: the broker refuses the API. */
        ck_assert_int_eq(kfk_admin_describe_streams_groups(a, ids, 2, &opts, &r),
                         KFK_ERR_UNSUPPORTED_VERSION);
        ck_assert_uint_eq(kfk_admin_result_count(r), 2);
        for (size_t i = 0; i < 2; i++) {
            ck_assert_str_eq(kfk_admin_result_name(r, i), ids[i]);
            ck_assert_int_eq(kfk_admin_result_error(r, i), KFK_ERR_UNSUPPORTED_VERSION);
            ck_assert_int_eq(kfk_admin_result_group_type(r, i), KFK_GROUP_TYPE_UNKNOWN);
            ck_assert_int_eq(kfk_admin_result_streams_group_topology_epoch(r, i), -1);
        }
        ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), unknown));
        kfk_admin_result_destroy(r);
        kfk_admin_destroy(a);
        return;
    }
    kclus_create_topic(NULL, topic, NPARTS, -1);
    streams_member m;
    streams_join(&m, group, topic);

    kfk_admin_options with_ops = {.timeout_ms = TIMEOUT_MS,
                                  .flags = KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS};
    ck_assert_int_eq(kfk_admin_describe_streams_groups(a, ids, 2, &with_ops, &r),
                     KFK_ERR_GROUP_ID_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), unknown));
    ck_assert_uint_eq(kfk_admin_result_count(r), 2);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_ERR_GROUP_ID_NOT_FOUND);
    ck_assert_ptr_null(kfk_admin_result_streams_group_subtopology(r, 0, 0));
    ck_assert_int_eq(kfk_admin_result_error(r, 1), KFK_OK);
    ck_assert_str_eq(kfk_admin_result_name(r, 1), group);
    ck_assert_int_eq(kfk_admin_result_group_type(r, 1), KFK_GROUP_TYPE_STREAMS);
    ck_assert_str_eq(kfk_admin_result_group_protocol_type(r, 1), "streams");
    kfk_group_state st = kfk_admin_result_group_state(r, 1);
    ck_assert_msg(st == KFK_GROUP_STATE_STABLE || st == KFK_GROUP_STATE_RECONCILING, "state %s",
                  kfk_group_state_name(st));
    ck_assert_int_ge(kfk_admin_result_group_coordinator(r, 1), 0);
    ck_assert_int_ge(kfk_admin_result_group_epoch(r, 1), 1);
    ck_assert_int_ge(kfk_admin_result_group_assignment_epoch(r, 1), 1);
    int64_t ops = kfk_admin_result_group_authorized_operations(r, 1);
    ck_assert_int_ge(ops, 0);
    ck_assert(ops & (1 << KFK_ACL_OP_DESCRIBE));
    check_topology(r, &m);
    check_member(r, &m);
    kfk_admin_result_destroy(r);

    /* Without the flag, no operations. */
    ck_assert_int_eq(kfk_admin_describe_streams_groups(a, ids + 1, 1, &opts, &r), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_group_authorized_operations(r, 0), -1);
    kfk_admin_result_destroy(r);
    check_listed(a, group);

    /* Once the member left, the group is empty; deleted, it is gone. */
    streams_leave(&m);
    ck_assert_int_eq(kfk_admin_describe_streams_groups(a, ids + 1, 1, &opts, &r), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_group_state(r, 0), KFK_GROUP_STATE_EMPTY);
    ck_assert_uint_eq(kfk_admin_result_group_member_count(r, 0), 0);
    ck_assert_ptr_null(kfk_admin_result_streams_group_member(r, 0, 0));
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(kfk_admin_delete_groups(a, ids + 1, 1, &opts, &r), KFK_OK);
    kfk_admin_result_destroy(r);
    ck_assert_int_eq(kfk_admin_describe_streams_groups(a, ids + 1, 1, &opts, &r),
                     KFK_ERR_GROUP_ID_NOT_FOUND);
    kfk_admin_result_destroy(r);
    kclus_delete_topic(NULL, topic);
    kclus_delete_topic(NULL, m.changelog); /* the coordinator made it */
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_describe_streams_groups_refuses_bad_arguments)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_admin_result *r = (kfk_admin_result *)1;
    const char *ids[] = {"g", NULL}, *empty[] = {""};
    ck_assert_int_eq(kfk_admin_describe_streams_groups(NULL, ids, 1, &opts, &r),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_describe_streams_groups(a, ids, 1, &opts, NULL),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_describe_streams_groups(a, ids, 2, &opts, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "group_ids[1]"));
    ck_assert_int_eq(kfk_admin_describe_streams_groups(a, empty, 1, &opts, &r),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_describe_streams_groups(a, NULL, 1, &opts, &r), KFK_ERR_INVALID_ARG);
    kfk_admin_options bad = {.flags = KFK_ADMIN_VALIDATE_ONLY};
    ck_assert_int_eq(kfk_admin_describe_streams_groups(a, ids, 1, &bad, &r), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_describe_streams_groups(a, NULL, 0, &opts, &r), KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_count(r), 0);
    /* Another kind of result answers "none". */
    ck_assert_int_eq(kfk_admin_result_streams_group_topology_epoch(r, 0), -1);
    ck_assert_uint_eq(kfk_admin_result_streams_group_subtopology_count(r, 0), 0);
    ck_assert_ptr_null(kfk_admin_result_streams_group_member(r, 0, 0));
    kfk_admin_result_destroy(r);
    ck_assert_ptr_null(kfk_streams_subtopology_changelog_topic(NULL, 0));
    ck_assert_uint_eq(kfk_streams_member_task_count(NULL, false, KFK_STREAMS_TASK_ACTIVE), 0);
    ck_assert_uint_eq(kfk_streams_member_task_offset_count(NULL, true), 0);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("admin_streams");
    TCase *tc = tcase_create("streams");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_streams_group_is_described_unknown_ones_fail_alone);
    tcase_add_test(tc, test_describe_streams_groups_refuses_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
