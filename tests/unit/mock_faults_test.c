/* Fault injection in the mock: pushed errors in the right fields and then
 * success, closed and unanswered requests, request counts, leader moves
 * with KIP-951 hints, response latency, dropped connections, brokers going
 * down and up, destroy with clients still connected, and control calls
 * from other threads while requests flow (run it under TSan). */
#include <pthread.h>

#include "mt_conn.h"

static kfk_mock_cluster *mc;
static kbuf buf;

static void setup(void)
{
    mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 3, 2), 0); /* p0: 1,2  p1: 2,3  p2: 3,1 */
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
    kbuf_free(&buf);
}

/* kfk_mock.h names every API the fault injection takes, with the
 * protocol's key, and no other. */
START_TEST(test_public_api_constants_are_the_keys_the_mock_serves)
{
    static const struct {
        int16_t pub, key;
    } named[] = {
        {KFK_MOCK_API_PRODUCE, KP_PRODUCE_KEY},
        {KFK_MOCK_API_FETCH, KP_FETCH_KEY},
        {KFK_MOCK_API_LIST_OFFSETS, KP_LIST_OFFSETS_KEY},
        {KFK_MOCK_API_METADATA, KP_METADATA_KEY},
        {KFK_MOCK_API_OFFSET_COMMIT, KP_OFFSET_COMMIT_KEY},
        {KFK_MOCK_API_OFFSET_FETCH, KP_OFFSET_FETCH_KEY},
        {KFK_MOCK_API_FIND_COORDINATOR, KP_FIND_COORDINATOR_KEY},
        {KFK_MOCK_API_JOIN_GROUP, KP_JOIN_GROUP_KEY},
        {KFK_MOCK_API_HEARTBEAT, KP_HEARTBEAT_KEY},
        {KFK_MOCK_API_LEAVE_GROUP, KP_LEAVE_GROUP_KEY},
        {KFK_MOCK_API_SYNC_GROUP, KP_SYNC_GROUP_KEY},
        {KFK_MOCK_API_DESCRIBE_GROUPS, KP_DESCRIBE_GROUPS_KEY},
        {KFK_MOCK_API_LIST_GROUPS, KP_LIST_GROUPS_KEY},
        {KFK_MOCK_API_SASL_HANDSHAKE, KP_SASL_HANDSHAKE_KEY},
        {KFK_MOCK_API_API_VERSIONS, KP_API_VERSIONS_KEY},
        {KFK_MOCK_API_CREATE_TOPICS, KP_CREATE_TOPICS_KEY},
        {KFK_MOCK_API_DELETE_TOPICS, KP_DELETE_TOPICS_KEY},
        {KFK_MOCK_API_DELETE_RECORDS, KP_DELETE_RECORDS_KEY},
        {KFK_MOCK_API_INIT_PRODUCER_ID, KP_INIT_PRODUCER_ID_KEY},
        {KFK_MOCK_API_ADD_PARTITIONS_TO_TXN, KP_ADD_PARTITIONS_TO_TXN_KEY},
        {KFK_MOCK_API_ADD_OFFSETS_TO_TXN, KP_ADD_OFFSETS_TO_TXN_KEY},
        {KFK_MOCK_API_END_TXN, KP_END_TXN_KEY},
        {KFK_MOCK_API_WRITE_TXN_MARKERS, KP_WRITE_TXN_MARKERS_KEY},
        {KFK_MOCK_API_TXN_OFFSET_COMMIT, KP_TXN_OFFSET_COMMIT_KEY},
        {KFK_MOCK_API_DESCRIBE_ACLS, KP_DESCRIBE_ACLS_KEY},
        {KFK_MOCK_API_CREATE_ACLS, KP_CREATE_ACLS_KEY},
        {KFK_MOCK_API_DELETE_ACLS, KP_DELETE_ACLS_KEY},
        {KFK_MOCK_API_SASL_AUTHENTICATE, KP_SASL_AUTHENTICATE_KEY},
        {KFK_MOCK_API_CREATE_PARTITIONS, KP_CREATE_PARTITIONS_KEY},
        {KFK_MOCK_API_ELECT_LEADERS, KP_ELECT_LEADERS_KEY},
        {KFK_MOCK_API_LIST_PARTITION_REASSIGNMENTS, KP_LIST_PARTITION_REASSIGNMENTS_KEY},
        {KFK_MOCK_API_DESCRIBE_QUORUM, KP_DESCRIBE_QUORUM_KEY},
        {KFK_MOCK_API_UPDATE_FEATURES, KP_UPDATE_FEATURES_KEY},
        {KFK_MOCK_API_DESCRIBE_CLUSTER, KP_DESCRIBE_CLUSTER_KEY},
        {KFK_MOCK_API_DESCRIBE_PRODUCERS, KP_DESCRIBE_PRODUCERS_KEY},
        {KFK_MOCK_API_DESCRIBE_TRANSACTIONS, KP_DESCRIBE_TRANSACTIONS_KEY},
        {KFK_MOCK_API_LIST_TRANSACTIONS, KP_LIST_TRANSACTIONS_KEY},
        {KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT, KP_CONSUMER_GROUP_HEARTBEAT_KEY},
        {KFK_MOCK_API_DELETE_GROUPS, KP_DELETE_GROUPS_KEY},
        {KFK_MOCK_API_OFFSET_DELETE, KP_OFFSET_DELETE_KEY},
        {KFK_MOCK_API_CONSUMER_GROUP_DESCRIBE, KP_CONSUMER_GROUP_DESCRIBE_KEY},
        {KFK_MOCK_API_DESCRIBE_TOPIC_PARTITIONS, KP_DESCRIBE_TOPIC_PARTITIONS_KEY},
        {KFK_MOCK_API_DESCRIBE_CONFIGS, KP_DESCRIBE_CONFIGS_KEY},
        {KFK_MOCK_API_ALTER_CONFIGS, KP_ALTER_CONFIGS_KEY},
        {KFK_MOCK_API_INCREMENTAL_ALTER_CONFIGS, KP_INCREMENTAL_ALTER_CONFIGS_KEY},
        {KFK_MOCK_API_LIST_CONFIG_RESOURCES, KP_LIST_CONFIG_RESOURCES_KEY},
        {KFK_MOCK_API_SHARE_GROUP_HEARTBEAT, KP_SHARE_GROUP_HEARTBEAT_KEY},
        {KFK_MOCK_API_SHARE_GROUP_DESCRIBE, KP_SHARE_GROUP_DESCRIBE_KEY},
        {KFK_MOCK_API_SHARE_FETCH, KP_SHARE_FETCH_KEY},
        {KFK_MOCK_API_SHARE_ACKNOWLEDGE, KP_SHARE_ACKNOWLEDGE_KEY},
        {KFK_MOCK_API_DESCRIBE_SHARE_GROUP_OFFSETS, KP_DESCRIBE_SHARE_GROUP_OFFSETS_KEY},
        {KFK_MOCK_API_ALTER_SHARE_GROUP_OFFSETS, KP_ALTER_SHARE_GROUP_OFFSETS_KEY},
        {KFK_MOCK_API_DELETE_SHARE_GROUP_OFFSETS, KP_DELETE_SHARE_GROUP_OFFSETS_KEY},
    };
    size_t n = sizeof(named) / sizeof(named[0]), accepted = 0;
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(named[i].pub, named[i].key);
    for (int k = 0; k < 1000; k++) {
        if (kfk_mock_push_errors(mc, (int16_t)k, 1, KFK_ERR_UNKNOWN_SERVER_ERROR) != KFK_OK)
            continue;
        accepted++;
        bool found = false;
        for (size_t i = 0; i < n; i++)
            found = found || named[i].pub == k;
        ck_assert_msg(found, "the mock takes API key %d, which kfk_mock.h does not name", k);
    }
    ck_assert_uint_eq(accepted, n);
    kfk_mock_clear_errors(mc);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_ANY), 0);
}
END_TEST

START_TEST(test_pushed_errors_fail_n_requests_then_they_succeed)
{
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 2, KFK_ERR_NOT_ENOUGH_REPLICAS),
                     0);
    mt_conn c;
    mt_open(&c, mc, 1);
    kslice b = mt_batch(&buf, 1, 0, -1, -1, -1);
    for (int i = 0; i < 2; i++) {
        const kp_produce_response_partition_produce_response *r = mt_produce(&c, "t", 0, b);
        ck_assert_int_eq(r->error_code, KFK_ERR_NOT_ENOUGH_REPLICAS);
        ck_assert_int_eq(r->base_offset, -1);
    }
    ck_assert_int_eq(mt_produce(&c, "t", 0, b)->error_code, 0);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_PRODUCE), 3);
    ck_assert_int_eq(kfk_mock_broker_request_count(mc, 1, KFK_MOCK_API_PRODUCE), 3);
    ck_assert_int_eq(kfk_mock_broker_request_count(mc, 2, KFK_MOCK_API_PRODUCE), 0);
    int64_t hw;
    kfk_mock_partition_offsets(mc, "t", 0, NULL, &hw);
    ck_assert_int_eq(hw, 1); /* the failed requests appended nothing */
    ck_assert_int_eq(kfk_mock_push_errors(mc, KP_INITIALIZE_SHARE_GROUP_STATE_KEY, 1, 1),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 0, 1), KFK_ERR_INVALID_ARG);
    mt_close(&c);
}
END_TEST

START_TEST(test_pushed_errors_land_where_each_response_has_them)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kfk_mock_push_errors(mc, KFK_MOCK_API_METADATA, 1, KFK_ERR_LEADER_NOT_AVAILABLE);
    kp_metadata_response md;
    mt_metadata(&c, 12, "t", &md);
    ck_assert_int_eq(md.topics[0].error_code, KFK_ERR_LEADER_NOT_AVAILABLE);

    kfk_mock_push_errors(mc, KFK_MOCK_API_API_VERSIONS, 1, KFK_ERR_UNKNOWN_SERVER_ERROR);
    kp_api_versions_request av;
    kp_api_versions_request_init(&av);
    kp_api_versions_response ar;
    mt_call(&c, KP_API_VERSIONS_KEY, 2, &av, &ar);
    ck_assert_int_eq(ar.error_code, KFK_ERR_UNKNOWN_SERVER_ERROR);

    kfk_mock_push_errors(mc, KFK_MOCK_API_FETCH, 1, KFK_ERR_FETCH_SESSION_ID_NOT_FOUND);
    kfk_mock_push_errors(mc, KFK_MOCK_API_FETCH, 1, KFK_ERR_KAFKA_STORAGE_ERROR);
    mt_fetch f;
    mt_fetch_init(&f, "t", mt_topic_id(mc, "t"), 0, 0, 0);
    kp_fetch_response fr;
    mt_call(&c, KP_FETCH_KEY, 16, &f.req, &fr);
    ck_assert_int_eq(fr.error_code, KFK_ERR_FETCH_SESSION_ID_NOT_FOUND);
    ck_assert_int_eq(fr.n_responses, 0);
    mt_call(&c, KP_FETCH_KEY, 16, &f.req, &fr);
    ck_assert_int_eq(fr.error_code, 0);
    ck_assert_int_eq(fr.responses[0].partitions[0].error_code, KFK_ERR_KAFKA_STORAGE_ERROR);

    kfk_mock_push_errors(mc, KFK_MOCK_API_FIND_COORDINATOR, 1,
                         KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    kp_find_coordinator_request fc;
    kp_find_coordinator_request_init(&fc);
    kslice key = kwire_cstr("g");
    fc.coordinator_keys = &key;
    fc.n_coordinator_keys = 1;
    kp_find_coordinator_response fcr;
    mt_call(&c, KP_FIND_COORDINATOR_KEY, 6, &fc, &fcr);
    ck_assert_int_eq(fcr.coordinators[0].error_code, KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    mt_close(&c);
}
END_TEST

START_TEST(test_broker_errors_go_first_and_only_to_that_broker)
{
    kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 1, KFK_ERR_REQUEST_TIMED_OUT);
    kfk_mock_broker_push_errors(mc, 2, KFK_MOCK_API_PRODUCE, 1, KFK_ERR_NOT_ENOUGH_REPLICAS);
    mt_conn c1, c2;
    mt_open(&c1, mc, 1);
    mt_open(&c2, mc, 2);
    kslice b = mt_batch(&buf, 1, 0, -1, -1, -1);
    ck_assert_int_eq(mt_produce(&c2, "t", 1, b)->error_code, KFK_ERR_NOT_ENOUGH_REPLICAS);
    ck_assert_int_eq(mt_produce(&c2, "t", 1, b)->error_code, KFK_ERR_REQUEST_TIMED_OUT);
    ck_assert_int_eq(mt_produce(&c1, "t", 0, b)->error_code, 0);
    kfk_mock_broker_push_errors(mc, 1, KFK_MOCK_API_PRODUCE, 5, KFK_ERR_NOT_ENOUGH_REPLICAS);
    kfk_mock_clear_errors(mc);
    ck_assert_int_eq(mt_produce(&c1, "t", 0, b)->error_code, 0);
    ck_assert_int_eq(kfk_mock_broker_push_errors(mc, 9, KFK_MOCK_API_PRODUCE, 1, 1),
                     KFK_ERR_INVALID_ARG);
    mt_close(&c1);
    mt_close(&c2);
}
END_TEST

START_TEST(test_transport_and_timeout_errors_act_on_the_connection)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kfk_mock_push_errors(mc, KFK_MOCK_API_METADATA, 1, KFK_ERR_TIMED_OUT);
    kfk_mock_push_errors(mc, KFK_MOCK_API_METADATA, 1, KFK_ERR_TRANSPORT);
    kp_metadata_request md;
    kp_metadata_request_init(&md);
    md.n_topics = -1;
    mt_send(&c, KP_METADATA_KEY, 12, &md); /* swallowed */
    kp_api_versions_request av;
    kp_api_versions_request_init(&av);
    int32_t cid = mt_send(&c, KP_API_VERSIONS_KEY, 3, &av);
    kp_api_versions_response ar;
    ck_assert_int_eq(mt_recv(&c, KP_API_VERSIONS_KEY, 3, &ar), cid);
    mt_send(&c, KP_METADATA_KEY, 12, &md); /* closes */
    ck_assert(mt_closed(&c, MT_TIMEOUT_MS));
    mt_close(&c);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_METADATA), 2);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_ANY), 3);
    kfk_mock_reset_request_counts(mc);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_ANY), 0);
}
END_TEST

/* --------------------------------------------------------------- leaders */

START_TEST(test_a_moved_leader_answers_not_leader_with_hints)
{
    mt_conn old, new;
    mt_open(&old, mc, 1);
    mt_open(&new, mc, 3);
    kslice b = mt_batch(&buf, 1, 0, -1, -1, -1);
    ck_assert_int_eq(mt_produce(&old, "t", 0, b)->error_code, 0);
    ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "t", 0, 3), 0);
    kuuid zero = {{0}};
    kp_produce_response resp;
    const kp_produce_response_partition_produce_response *r =
        mt_produce_v(&old, 12, NULL, "t", zero, 0, b, -1, &resp);
    ck_assert_int_eq(r->error_code, KFK_ERR_NOT_LEADER_OR_FOLLOWER);
    ck_assert_int_eq(r->current_leader.leader_id, 3);
    ck_assert_int_eq(r->current_leader.leader_epoch, 1);
    ck_assert_int_eq(resp.n_node_endpoints, 1);
    ck_assert_int_eq(resp.node_endpoints[0].node_id, 3);
    ck_assert_int_eq(resp.node_endpoints[0].port, kfk_mock_broker_port(mc, 3));
    r = mt_produce_v(&old, 9, NULL, "t", zero, 0, b, -1, &resp); /* before KIP-951: no hints */
    ck_assert_int_eq(r->error_code, KFK_ERR_NOT_LEADER_OR_FOLLOWER);
    ck_assert_int_eq(r->current_leader.leader_id, -1);
    ck_assert_int_eq(mt_produce(&new, "t", 0, b)->base_offset, 1);

    kp_metadata_response md;
    mt_metadata(&new, 12, "t", &md);
    ck_assert_int_eq(md.topics[0].partitions[0].leader_id, 3);
    ck_assert_int_eq(md.topics[0].partitions[0].leader_epoch, 1);
    ck_assert_int_eq(md.topics[0].partitions[0].n_replica_nodes, 3);
    ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "t", 9, 3),
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "t", 0, 4), KFK_ERR_INVALID_ARG);
    mt_close(&old);
    mt_close(&new);
}
END_TEST

/* ------------------------------------------------------------ connections */

START_TEST(test_rtt_delays_each_response_not_the_pipeline)
{
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 2, 200), 0);
    mt_conn c;
    mt_open(&c, mc, 2);
    kp_api_versions_request av;
    kp_api_versions_request_init(&av);
    kp_api_versions_response ar;
    int64_t t0 = mt_now_ms();
    mt_call(&c, KP_API_VERSIONS_KEY, 3, &av, &ar);
    ck_assert_int_ge(mt_now_ms() - t0, 195);
    t0 = mt_now_ms();
    for (int i = 0; i < 5; i++)
        mt_send(&c, KP_API_VERSIONS_KEY, 3, &av);
    for (int i = 0; i < 5; i++)
        ck_assert_int_gt(mt_recv(&c, KP_API_VERSIONS_KEY, 3, &ar), 0);
    int64_t took = mt_now_ms() - t0;
    ck_assert_msg(took >= 195 && took < 900, "5 pipelined requests took %lld ms", (long long)took);
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 2, 0), 0);
    /* The fastest of three: with the delay still set every call would take
     * 200 ms; a loaded machine may slow one, not all three. */
    int64_t fastest = INT64_MAX;
    for (int i = 0; i < 3; i++) {
        t0 = mt_now_ms();
        mt_call(&c, KP_API_VERSIONS_KEY, 3, &av, &ar);
        int64_t took_ms = mt_now_ms() - t0;
        if (took_ms < fastest) fastest = took_ms;
    }
    ck_assert_int_lt(fastest, 150);
    mt_close(&c);
}
END_TEST

START_TEST(test_drop_connections_closes_the_sockets)
{
    mt_conn a, b, other;
    mt_open(&a, mc, 1);
    mt_open(&b, mc, 1);
    mt_open(&other, mc, 2);
    kp_metadata_response md;
    mt_metadata(&a, 12, NULL, &md); /* the connections are accepted */
    mt_metadata(&b, 12, NULL, &md);
    mt_metadata(&other, 12, NULL, &md);
    ck_assert_int_eq(kfk_mock_broker_drop_connections(mc, 1), 0);
    ck_assert(mt_closed(&a, 1000));
    ck_assert(mt_closed(&b, 1000));
    mt_metadata(&other, 12, NULL, &md); /* other brokers' stay */
    mt_close(&a);
    mt_open(&a, mc, 1); /* and new ones are welcome */
    mt_metadata(&a, 12, NULL, &md);
    mt_close(&a);
    mt_close(&b);
    mt_close(&other);
}
END_TEST

START_TEST(test_a_down_broker_refuses_and_its_partitions_move)
{
    mt_conn a, c;
    mt_open(&a, mc, 1);
    mt_open(&c, mc, 2);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, true), 0);
    ck_assert(mt_closed(&a, 1000));
    mt_close(&a);
    ck_assert_int_eq(mt_dial(kfk_mock_broker_port(mc, 1)), -1);
    kp_metadata_response md;
    mt_metadata(&c, 12, "t", &md);
    ck_assert_int_eq(md.n_brokers, 2);
    const kp_metadata_response_partition *p0 = &md.topics[0].partitions[0];
    ck_assert_int_eq(p0->leader_id, 2); /* its follower took over */
    ck_assert_int_eq(p0->leader_epoch, 1);
    ck_assert_int_eq(p0->n_isr_nodes, 1);
    ck_assert_int_eq(p0->n_offline_replicas, 1);
    ck_assert_int_eq(mt_produce(&c, "t", 0, mt_batch(&buf, 1, 0, -1, -1, -1))->error_code, 0);

    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, false), 0);
    mt_open(&a, mc, 1); /* the same port again */
    mt_metadata(&a, 12, "t", &md);
    ck_assert_int_eq(md.n_brokers, 3);
    ck_assert_int_eq(md.topics[0].partitions[0].leader_id, 2); /* no automatic move back */
    mt_close(&a);
    mt_close(&c);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 7, true), KFK_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_a_partition_without_live_replicas_has_no_leader)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "solo", 1, 1), 0); /* on broker 1 */
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, true), 0);
    mt_conn c;
    mt_open(&c, mc, 2);
    kp_metadata_response md;
    mt_metadata(&c, 12, "solo", &md);
    ck_assert_int_eq(md.topics[0].partitions[0].leader_id, -1);
    ck_assert_int_eq(md.topics[0].partitions[0].error_code, KFK_ERR_LEADER_NOT_AVAILABLE);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, false), 0);
    mt_metadata(&c, 12, "solo", &md);
    ck_assert_int_eq(md.topics[0].partitions[0].leader_id, 1);
    ck_assert_int_eq(md.topics[0].partitions[0].leader_epoch, 2);
    mt_close(&c);
}
END_TEST

/* Destroy with idle, busy and waiting clients: nothing hangs or leaks
 * (ASan proves the latter). */
START_TEST(test_destroy_with_clients_connected)
{
    kfk_mock_cluster *m = kfk_mock_cluster_new(2);
    ck_assert_int_eq(kfk_mock_topic_create(m, "x", 1, 1), 0);
    mt_conn idle, waiting;
    mt_open(&idle, m, 1);
    mt_open(&waiting, m, 1);
    ck_assert_int_eq(mt_produce(&waiting, "x", 0, mt_batch(&buf, 3, 0, -1, -1, -1))->error_code, 0);
    mt_fetch f;
    mt_fetch_init(&f, "x", mt_topic_id(m, "x"), 0, 3, 30000);
    mt_send(&waiting, KP_FETCH_KEY, 16, &f.req);
    kfk_mock_broker_set_rtt(m, 1, 5000);
    kp_api_versions_request av;
    kp_api_versions_request_init(&av);
    mt_send(&idle, KP_API_VERSIONS_KEY, 3, &av); /* its answer is 5 s away */
    nanosleep(&(struct timespec){0, 50 * 1000000}, NULL);
    int64_t t0 = mt_now_ms();
    kfk_mock_cluster_destroy(m);
    ck_assert_int_lt(mt_now_ms() - t0, 1000);
    ck_assert(mt_closed(&idle, 1000));
    ck_assert(mt_closed(&waiting, 1000));
    mt_close(&idle);
    mt_close(&waiting);
}
END_TEST

/* ------------------------------------------------------------- threads */

static int stop_flag;

/* A client that keeps asking for metadata and producing to the leaders it
 * is told of, shrugging off closed connections and errors. */
static void *client_loop(void *arg)
{
    int id = (int)(intptr_t)arg;
    kbuf b = {0};
    for (int i = 0; !__atomic_load_n(&stop_flag, __ATOMIC_RELAXED) && i < 300; i++) {
        int32_t p = (int32_t)((i + id) % 3);
        mt_conn c;
        kp_metadata_request req;
        kp_metadata_request_init(&req);
        req.n_topics = -1;
        kp_metadata_response md;
        if (!mt_try_open(&c, mc, 1 + (i + id) % 3)) continue;
        int32_t leader = -1;
        if (!mt_try_call(&c, KP_METADATA_KEY, 12, &req, &md) && md.n_topics == 1)
            leader = md.topics[0].partitions[p].leader_id;
        mt_close(&c);
        if (leader < 1 || !mt_try_open(&c, mc, leader)) continue;
        kp_produce_request pr;
        kp_produce_request_init(&pr);
        kp_produce_request_topic_produce_data td;
        kp_produce_request_topic_produce_data_init(&td);
        kp_produce_request_partition_produce_data pd = {p, mt_batch(&b, 5, 0, -1, -1, -1)};
        td.name = kwire_cstr("t");
        td.partition_data = &pd;
        td.n_partition_data = 1;
        pr.acks = 1;
        pr.topic_data = &td;
        pr.n_topic_data = 1;
        kp_produce_response resp;
        mt_try_call(&c, KP_PRODUCE_KEY, 12, &pr, &resp);
        mt_close(&c);
    }
    kbuf_free(&b);
    return NULL;
}

START_TEST(test_control_calls_race_with_traffic)
{
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, client_loop, (void *)(intptr_t)i), 0);
    int64_t t0 = mt_now_ms();
    for (int i = 0; mt_now_ms() - t0 < 300; i++) {
        kfk_mock_broker_set_rtt(mc, 1 + i % 3, i % 2);
        kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 1, KFK_ERR_NOT_ENOUGH_REPLICAS);
        kfk_mock_partition_set_leader(mc, "t", i % 3, 1 + (i + 1) % 3);
        kfk_mock_request_count(mc, KFK_MOCK_API_ANY);
        int64_t hw;
        kfk_mock_partition_offsets(mc, "t", i % 3, NULL, &hw);
        if (i % 10 == 5) kfk_mock_broker_drop_connections(mc, 2);
        if (i % 20 == 7) kfk_mock_broker_set_down(mc, 3, i % 40 == 7);
    }
    kfk_mock_broker_set_down(mc, 3, false);
    __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_gt(kfk_mock_request_count(mc, KFK_MOCK_API_PRODUCE), 0);
}
END_TEST

static Suite *mock_faults_suite(void)
{
    Suite *s = suite_create("mock_faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_public_api_constants_are_the_keys_the_mock_serves);
    tcase_add_test(tc, test_pushed_errors_fail_n_requests_then_they_succeed);
    tcase_add_test(tc, test_pushed_errors_land_where_each_response_has_them);
    tcase_add_test(tc, test_broker_errors_go_first_and_only_to_that_broker);
    tcase_add_test(tc, test_transport_and_timeout_errors_act_on_the_connection);
    tcase_add_test(tc, test_a_moved_leader_answers_not_leader_with_hints);
    tcase_add_test(tc, test_rtt_delays_each_response_not_the_pipeline);
    tcase_add_test(tc, test_drop_connections_closes_the_sockets);
    tcase_add_test(tc, test_a_down_broker_refuses_and_its_partitions_move);
    tcase_add_test(tc, test_a_partition_without_live_replicas_has_no_leader);
    tcase_add_test(tc, test_destroy_with_clients_connected);
    tcase_add_test(tc, test_control_calls_race_with_traffic);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(mock_faults_suite());
}
