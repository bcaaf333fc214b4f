/* The mock cluster's lifecycle and its metadata and admin APIs over real
 * loopback sockets: ApiVersions (and its v0 error answer), Metadata,
 * CreateTopics, DeleteTopics, CreatePartitions, FindCoordinator and
 * InitProducerId, against the rules of Kafka 4.3. */
#include "mt_conn.h"

static kfk_mock_cluster *mc;

static void setup(void)
{
    mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
    mc = NULL;
}

START_TEST(test_bootstrap_names_every_broker_in_order)
{
    char want[256] = "";
    for (int id = 1; id <= 3; id++) {
        int port = kfk_mock_broker_port(mc, id);
        ck_assert_int_gt(port, 0);
        size_t len = strlen(want);
        snprintf(want + len, sizeof(want) - len, "%s127.0.0.1:%d", id > 1 ? "," : "", port);
    }
    ck_assert_str_eq(kfk_mock_cluster_bootstrap(mc), want);
    ck_assert_int_eq(kfk_mock_broker_port(mc, 0), -1);
    ck_assert_int_eq(kfk_mock_broker_port(mc, 4), -1);
}
END_TEST

START_TEST(test_new_refuses_bad_broker_counts)
{
    ck_assert_ptr_null(kfk_mock_cluster_new(0));
    ck_assert_ptr_null(kfk_mock_cluster_new(KFK_MOCK_MAX_BROKERS + 1));
    kfk_mock_cluster_destroy(NULL);
}
END_TEST

static void api_versions(mt_conn *c, int16_t v, kp_api_versions_response *resp)
{
    kp_api_versions_request req;
    kp_api_versions_request_init(&req);
    req.client_software_name = kwire_cstr("kfk-test");
    req.client_software_version = kwire_cstr("0.1.0");
    mt_call(c, KP_API_VERSIONS_KEY, v, &req, resp);
}

static const kp_api_versions_response_api_version *find_key(const kp_api_versions_response *r,
                                                            int16_t key)
{
    for (int32_t i = 0; i < r->n_api_keys; i++)
        if (r->api_keys[i].api_key == key) return &r->api_keys[i];
    return NULL;
}

START_TEST(test_api_versions_advertises_the_served_apis_at_every_version)
{
    static const int16_t served[] = {0,  1,  2,  3,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                     18, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31,
                                     32, 33, 37, 42, 43, 44, 46, 47, 55, 57, 60, 61, 65,
                                     66, 68, 69, 74, 75, 76, 77, 78, 79, 90, 91, 92};
    mt_conn c;
    mt_open(&c, mc, 2);
    for (int16_t v = 0; v <= KP_API_VERSIONS_MAX_VERSION; v++) {
        kp_api_versions_response resp;
        api_versions(&c, v, &resp);
        ck_assert_int_eq(resp.error_code, 0);
        ck_assert_int_eq(resp.n_api_keys, (int)(sizeof(served) / sizeof(served[0])));
        for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++) {
            const kproto_api *api = kproto_api_get(served[i]);
            const kp_api_versions_response_api_version *av = find_key(&resp, served[i]);
            ck_assert_ptr_nonnull(av);
            ck_assert_int_eq(av->min_version, api->min_version);
            ck_assert_int_eq(av->max_version, api->max_stable_version);
        }
        if (v >= 3) ck_assert_int_ge(resp.finalized_features_epoch, 0);
    }
    mt_close(&c);
}
END_TEST

START_TEST(test_api_versions_rejects_a_bad_software_name)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_api_versions_request req;
    kp_api_versions_request_init(&req);
    req.client_software_name = kwire_cstr("-bad name");
    req.client_software_version = kwire_cstr("1");
    kp_api_versions_response resp;
    mt_call(&c, KP_API_VERSIONS_KEY, 3, &req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_INVALID_REQUEST);
    ck_assert_int_eq(resp.n_api_keys, 0);
    mt_close(&c);
}
END_TEST

/* KIP-511: a version the broker does not know gets a v0 answer with error
 * 35 and its own ApiVersions range, whatever header the request had. */
START_TEST(test_api_versions_too_new_gets_a_v0_error)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    static const uint8_t frame[] = {0, 0, 0, 15, 0, 18, 0, 9, 0, 0, 0, 77, 0, 1, 'p', 0, 0, 0, 0};
    ck_assert_int_eq(mt_write_all(c.fd, frame, sizeof(frame)), 0);
    ck_assert_int_eq(mt_recv_frame(&c), 0);
    static const uint8_t want[] = {0, 0, 0, 77, 0, 35, 0, 0,
                                   0, 1, 0, 18, 0, 0,  0, KP_API_VERSIONS_MAX_VERSION};
    ck_assert_uint_eq(c.resp.len, sizeof(want));
    ck_assert(!memcmp(c.resp.data, want, sizeof(want)));
    mt_close(&c);
}
END_TEST

START_TEST(test_version_range_narrows_what_is_served)
{
    ck_assert_int_eq(kfk_mock_set_api_version_range(mc, KFK_MOCK_API_PRODUCE, 3, 8), 0);
    ck_assert_int_eq(kfk_mock_set_api_version_range(mc, KFK_MOCK_API_FIND_COORDINATOR, 0, -1), 0);
    ck_assert_int_eq(kfk_mock_set_api_version_range(mc, KP_INITIALIZE_SHARE_GROUP_STATE_KEY, 0, 1),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_mock_set_api_version_range(mc, KFK_MOCK_API_FETCH, 16, 8),
                     KFK_ERR_INVALID_ARG);
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_api_versions_response resp;
    api_versions(&c, 4, &resp);
    ck_assert_int_eq(find_key(&resp, KP_PRODUCE_KEY)->max_version, 8);
    ck_assert_ptr_null(find_key(&resp, KP_FIND_COORDINATOR_KEY));
    /* Produce v9 is now out of range: the broker closes the connection. */
    kp_produce_request req;
    kp_produce_request_init(&req);
    mt_send(&c, KP_PRODUCE_KEY, 9, &req);
    ck_assert(mt_closed(&c, MT_TIMEOUT_MS));
    mt_close(&c);
}
END_TEST

START_TEST(test_an_unimplemented_api_closes_the_connection)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    /* A share coordinator's broker-to-broker API: never the mock's. */
    kp_initialize_share_group_state_request req;
    kp_initialize_share_group_state_request_init(&req);
    mt_send(&c, KP_INITIALIZE_SHARE_GROUP_STATE_KEY, 0, &req);
    ck_assert(mt_closed(&c, MT_TIMEOUT_MS));
    mt_close(&c);
    ck_assert_int_eq(kfk_mock_request_count(mc, KP_INITIALIZE_SHARE_GROUP_STATE_KEY), 1);
}
END_TEST

/* ------------------------------------------------------------- metadata */

START_TEST(test_metadata_lists_live_brokers_and_topics)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "alpha", 6, 2), 0);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "beta", 1, -1), 0);
    mt_conn c;
    mt_open(&c, mc, 3);
    for (int16_t v = 0; v <= KP_METADATA_MAX_VERSION; v++) {
        kp_metadata_response resp;
        mt_metadata(&c, v, NULL, &resp);
        ck_assert_int_eq(resp.n_brokers, 3);
        ck_assert_int_eq(resp.n_topics, 2);
        for (int32_t i = 0; i < resp.n_brokers; i++)
            ck_assert_int_eq(resp.brokers[i].port,
                             kfk_mock_broker_port(mc, resp.brokers[i].node_id));
        if (v >= 2) ck_assert_uint_eq(resp.cluster_id.len, 22);
        if (v >= 1) ck_assert_int_ge(resp.controller_id, 1);
        const kp_metadata_response_topic *t = &resp.topics[0];
        ck_assert(kwire_eq(t->name, kwire_cstr("alpha")));
        ck_assert_int_eq(t->n_partitions, 6);
        for (int32_t p = 0; p < 6; p++) { /* leaders round-robin, RF 2 */
            ck_assert_int_eq(t->partitions[p].leader_id, p % 3 + 1);
            ck_assert_int_eq(t->partitions[p].n_replica_nodes, 2);
            ck_assert_int_eq(t->partitions[p].n_isr_nodes, 2);
        }
        ck_assert_int_eq(resp.topics[1].partitions[0].n_replica_nodes, 3); /* default RF */
    }
    mt_close(&c);
}
END_TEST

START_TEST(test_metadata_by_name_and_by_id)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "gamma", 2, 1), 0);
    kuuid id = mt_topic_id(mc, "gamma");
    ck_assert(!kuuid_is_zero(&id));
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_metadata_response resp;
    mt_metadata(&c, 12, "nope", &resp);
    ck_assert_int_eq(resp.topics[0].error_code, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    mt_metadata(&c, 12, "bad/name", &resp);
    ck_assert_int_eq(resp.topics[0].error_code, KFK_ERR_INVALID_TOPIC_EXCEPTION);

    kp_metadata_request req;
    kp_metadata_request_init(&req);
    kp_metadata_request_topic t[2];
    kp_metadata_request_topic_init(&t[0]);
    kp_metadata_request_topic_init(&t[1]);
    t[0].topic_id = id;
    t[0].name = (kslice){NULL, 0};
    t[1].name = (kslice){NULL, 0};
    ktest_fill(t[1].topic_id.b, 16, 99);
    req.topics = t;
    req.n_topics = 2;
    mt_call(&c, KP_METADATA_KEY, 12, &req, &resp);
    ck_assert_int_eq(resp.n_topics, 2);
    ck_assert_int_eq(resp.topics[0].error_code, 0);
    ck_assert(kwire_eq(resp.topics[0].name, kwire_cstr("gamma")));
    ck_assert_int_eq(resp.topics[1].error_code, KFK_ERR_UNKNOWN_TOPIC_ID);
    mt_close(&c);
}
END_TEST

START_TEST(test_metadata_auto_creates_only_when_enabled)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_metadata_request req;
    kp_metadata_request_init(&req);
    kp_metadata_request_topic t;
    kp_metadata_request_topic_init(&t);
    t.name = kwire_cstr("auto");
    req.topics = &t;
    req.n_topics = 1;
    req.allow_auto_topic_creation = true;
    kp_metadata_response resp;
    mt_call(&c, KP_METADATA_KEY, 12, &req, &resp);
    ck_assert_int_eq(resp.topics[0].error_code, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kfk_mock_set_auto_create_topics(mc, true, 4), 0);
    mt_call(&c, KP_METADATA_KEY, 12, &req, &resp);
    ck_assert_int_eq(resp.topics[0].error_code, 0);
    ck_assert_int_eq(resp.topics[0].n_partitions, 4);
    mt_close(&c);
}
END_TEST

/* -------------------------------------------------------------- topics */

typedef kp_create_topics_request_creatable_topic ct_topic;

static void ct_init(ct_topic *t, const char *name, int32_t partitions, int16_t rf)
{
    kp_create_topics_request_creatable_topic_init(t);
    t->name = kwire_cstr(name);
    t->num_partitions = partitions;
    t->replication_factor = rf;
}

static void create_topics(mt_conn *c, ct_topic *t, int32_t n, bool validate_only,
                          kp_create_topics_response *resp)
{
    kp_create_topics_request req;
    kp_create_topics_request_init(&req);
    req.topics = t;
    req.n_topics = n;
    req.validate_only = validate_only;
    mt_call(c, KP_CREATE_TOPICS_KEY, 7, &req, resp);
    ck_assert_int_eq(resp->n_topics, n);
}

START_TEST(test_create_topics_validates_like_kafka)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "exists", 1, 1), 0);
    mt_conn c;
    mt_open(&c, mc, 2);
    ct_topic t[9];
    ct_init(&t[0], "ok", 3, 2);
    ct_init(&t[1], "bad name", 1, 1);
    ct_init(&t[2], "exists", 1, 1);
    ct_init(&t[3], "twice", 1, 1);
    ct_init(&t[4], "twice", 1, 1);
    ct_init(&t[5], "zero-parts", 0, 1);
    ct_init(&t[6], "zero-rf", 1, 0);
    ct_init(&t[7], "big-rf", 1, 4);
    ct_init(&t[8], "exists", 1, 1);
    t[8].name = kwire_cstr("exist_s"); /* no collision: only '.' vs '_' collide */
    kp_create_topics_response resp;
    create_topics(&c, t, 9, false, &resp);
    static const int16_t want[] = {0, 17, 36, 42, 42, 37, 38, 38, 0};
    for (int i = 0; i < 9; i++)
        ck_assert_msg(resp.topics[i].error_code == want[i], "topic %d: %d, want %d", i,
                      resp.topics[i].error_code, want[i]);
    ck_assert_int_eq(resp.topics[0].num_partitions, 3);
    ck_assert_int_eq(resp.topics[0].replication_factor, 2);
    ck_assert(!kuuid_is_zero(&resp.topics[0].topic_id));
    ck_assert_ptr_null(resp.topics[0].error_message.ptr);
    ck_assert_ptr_nonnull(resp.topics[1].error_message.ptr);
    kuuid id = resp.topics[0].topic_id, got = mt_topic_id(mc, "ok");
    ck_assert(!memcmp(id.b, got.b, 16));

    /* '.' and '_' collide in metric names: Kafka refuses the pair. */
    ck_assert_int_eq(kfk_mock_topic_create(mc, "ex_ists", 1, 1), 0);
    ct_init(&t[0], "ex.ists", 1, 1);
    create_topics(&c, t, 1, false, &resp);
    ck_assert_int_eq(resp.topics[0].error_code, KFK_ERR_INVALID_TOPIC_EXCEPTION);
    mt_close(&c);
}
END_TEST

START_TEST(test_create_topics_validate_only_and_assignments)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    ct_topic t;
    ct_init(&t, "dry", 2, 1);
    kp_create_topics_response resp;
    create_topics(&c, &t, 1, true, &resp);
    ck_assert_int_eq(resp.topics[0].error_code, 0);
    ck_assert_int_eq(kfk_mock_partition_offsets(mc, "dry", 0, NULL, NULL),
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);

    int32_t r0[] = {3, 1}, r1[] = {2, 3}, bad[] = {1, 9};
    kp_create_topics_request_creatable_replica_assignment a[2];
    a[0] = (kp_create_topics_request_creatable_replica_assignment){0, r0, 2};
    a[1] = (kp_create_topics_request_creatable_replica_assignment){1, r1, 2};
    ct_init(&t, "placed", -1, -1);
    t.assignments = a;
    t.n_assignments = 2;
    create_topics(&c, &t, 1, false, &resp);
    ck_assert_int_eq(resp.topics[0].error_code, 0);
    kp_metadata_response md;
    mt_metadata(&c, 12, "placed", &md);
    ck_assert_int_eq(md.topics[0].partitions[0].leader_id, 3);
    ck_assert_int_eq(md.topics[0].partitions[1].leader_id, 2);

    a[1].broker_ids = bad;
    ct_init(&t, "misplaced", -1, -1);
    t.assignments = a;
    t.n_assignments = 2;
    create_topics(&c, &t, 1, false, &resp);
    ck_assert_int_eq(resp.topics[0].error_code, KFK_ERR_INVALID_REPLICA_ASSIGNMENT);
    ct_init(&t, "both", 2, -1);
    t.assignments = a;
    t.n_assignments = 2;
    create_topics(&c, &t, 1, false, &resp);
    ck_assert_int_eq(resp.topics[0].error_code, KFK_ERR_INVALID_REQUEST);
    mt_close(&c);
}
END_TEST

START_TEST(test_delete_topics_by_name_and_by_id)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "d1", 1, 1), 0);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "d2", 1, 1), 0);
    kuuid id2 = mt_topic_id(mc, "d2");
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_delete_topics_request req;
    kp_delete_topics_request_init(&req);
    kslice names[2] = {kwire_cstr("d1"), kwire_cstr("nope")};
    req.topic_names = names;
    req.n_topic_names = 2;
    kp_delete_topics_response resp;
    mt_call(&c, KP_DELETE_TOPICS_KEY, 5, &req, &resp);
    ck_assert_int_eq(resp.responses[0].error_code, 0);
    ck_assert_int_eq(resp.responses[1].error_code, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);

    kp_delete_topics_request_delete_topic_state st[2];
    kp_delete_topics_request_delete_topic_state_init(&st[0]);
    kp_delete_topics_request_delete_topic_state_init(&st[1]);
    st[0].name = st[1].name = (kslice){NULL, 0};
    st[0].topic_id = id2;
    ktest_fill(st[1].topic_id.b, 16, 7);
    kp_delete_topics_request_init(&req);
    req.topics = st;
    req.n_topics = 2;
    mt_call(&c, KP_DELETE_TOPICS_KEY, 6, &req, &resp);
    ck_assert_int_eq(resp.responses[0].error_code, 0);
    ck_assert(kwire_eq(resp.responses[0].name, kwire_cstr("d2")));
    ck_assert_int_eq(resp.responses[1].error_code, KFK_ERR_UNKNOWN_TOPIC_ID);
    kp_metadata_response md;
    mt_metadata(&c, 12, NULL, &md);
    ck_assert_int_eq(md.n_topics, 0);
    mt_close(&c);
}
END_TEST

START_TEST(test_create_partitions_grows_and_refuses_shrinking)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "grow", 2, 2), 0);
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_create_partitions_request_create_partitions_topic t[3];
    for (int i = 0; i < 3; i++)
        kp_create_partitions_request_create_partitions_topic_init(&t[i]);
    t[0].name = kwire_cstr("grow");
    t[0].count = 5;
    t[0].n_assignments = -1;
    t[1].name = kwire_cstr("nope");
    t[1].count = 5;
    t[1].n_assignments = -1;
    int32_t ids[] = {2};
    kp_create_partitions_request_create_partitions_assignment one = {ids, 1};
    t[2].name = kwire_cstr("other");
    kp_create_partitions_request req;
    kp_create_partitions_request_init(&req);
    req.topics = t;
    req.n_topics = 2;
    kp_create_partitions_response resp;
    mt_call(&c, KP_CREATE_PARTITIONS_KEY, 3, &req, &resp);
    ck_assert_int_eq(resp.results[0].error_code, 0);
    ck_assert_int_eq(resp.results[1].error_code, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kp_metadata_response md;
    mt_metadata(&c, 12, "grow", &md);
    ck_assert_int_eq(md.topics[0].n_partitions, 5);
    ck_assert_int_eq(md.topics[0].partitions[4].n_replica_nodes, 2);

    t[0].count = 5; /* no increase */
    req.n_topics = 1;
    mt_call(&c, KP_CREATE_PARTITIONS_KEY, 3, &req, &resp);
    ck_assert_int_eq(resp.results[0].error_code, KFK_ERR_INVALID_PARTITIONS);
    t[0].count = 3;
    mt_call(&c, KP_CREATE_PARTITIONS_KEY, 3, &req, &resp);
    ck_assert_int_eq(resp.results[0].error_code, KFK_ERR_INVALID_PARTITIONS);
    t[0].count = 8; /* three new partitions, one assignment */
    t[0].assignments = &one;
    t[0].n_assignments = 1;
    mt_call(&c, KP_CREATE_PARTITIONS_KEY, 3, &req, &resp);
    ck_assert_int_eq(resp.results[0].error_code, KFK_ERR_INVALID_REPLICA_ASSIGNMENT);
    t[0].count = 6;
    mt_call(&c, KP_CREATE_PARTITIONS_KEY, 3, &req, &resp);
    ck_assert_int_eq(resp.results[0].error_code, 0);
    mt_metadata(&c, 12, "grow", &md);
    ck_assert_int_eq(md.topics[0].partitions[5].leader_id, 2);
    mt_close(&c);
}
END_TEST

START_TEST(test_topic_create_api_applies_the_same_rules)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_ERR_TOPIC_ALREADY_EXISTS);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "..", 1, 1), KFK_ERR_INVALID_TOPIC_EXCEPTION);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "x", 0, 1), KFK_ERR_INVALID_PARTITIONS);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "x", 1, 4), KFK_ERR_INVALID_REPLICATION_FACTOR);
    ck_assert_int_eq(kfk_mock_topic_delete(mc, "t"), 0);
    ck_assert_int_eq(kfk_mock_topic_delete(mc, "t"), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
}
END_TEST

/* --------------------------------------------------------- coordinators */

static int32_t find_coordinator(mt_conn *c, int16_t v, int8_t type, const char *key, int16_t *err)
{
    kp_find_coordinator_request req;
    kp_find_coordinator_request_init(&req);
    kslice k = kwire_cstr(key);
    if (v < 4) {
        req.key = k;
    } else {
        req.coordinator_keys = &k;
        req.n_coordinator_keys = 1;
    }
    req.key_type = type;
    kp_find_coordinator_response resp;
    mt_call(c, KP_FIND_COORDINATOR_KEY, v, &req, &resp);
    if (v < 4) {
        *err = resp.error_code;
        if (!resp.error_code) ck_assert_int_eq(resp.port, kfk_mock_broker_port(mc, resp.node_id));
        return resp.node_id;
    }
    ck_assert_int_eq(resp.n_coordinators, 1);
    ck_assert(kwire_eq(resp.coordinators[0].key, k));
    *err = resp.coordinators[0].error_code;
    return resp.coordinators[0].node_id;
}

START_TEST(test_find_coordinator_is_stable_per_key)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    int16_t err;
    int seen[4] = {0};
    for (int i = 0; i < 30; i++) {
        char key[16];
        snprintf(key, sizeof(key), "group-%d", i);
        int32_t a = find_coordinator(&c, 3, 0, key, &err);
        ck_assert_int_eq(err, 0);
        ck_assert_int_eq(find_coordinator(&c, 6, 0, key, &err), a);
        ck_assert(a >= 1 && a <= 3);
        seen[a]++;
    }
    ck_assert(seen[1] && seen[2] && seen[3]); /* spread over the brokers */
    find_coordinator(&c, 6, 1, "txn", &err);
    ck_assert_int_eq(err, 0);
    ck_assert_int_eq(find_coordinator(&c, 6, 5, "x", &err), -1);
    ck_assert_int_eq(err, KFK_ERR_INVALID_REQUEST);
    mt_close(&c);
}
END_TEST

static void init_pid(mt_conn *c, const char *txn, int64_t pid, int16_t epoch,
                     kp_init_producer_id_response *resp)
{
    kp_init_producer_id_request req;
    kp_init_producer_id_request_init(&req);
    req.transactional_id = txn ? kwire_cstr(txn) : (kslice){NULL, 0};
    req.transaction_timeout_ms = 60000;
    req.producer_id = pid;
    req.producer_epoch = epoch;
    mt_call(c, KP_INIT_PRODUCER_ID_KEY, 5, &req, resp);
}

START_TEST(test_init_producer_id_allocates_and_bumps)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_init_producer_id_response r1, r2;
    init_pid(&c, NULL, -1, -1, &r1);
    init_pid(&c, NULL, r1.producer_id, 0, &r2); /* idempotent: always a new id */
    ck_assert_int_eq(r1.error_code, 0);
    ck_assert_int_eq(r1.producer_epoch, 0);
    ck_assert_int_ne(r2.producer_id, r1.producer_id);
    ck_assert_int_eq(r2.producer_epoch, 0);
    init_pid(&c, NULL, r1.producer_id, -1, &r2); /* KafkaApis: both or neither */
    ck_assert_int_eq(r2.error_code, KFK_ERR_INVALID_REQUEST);
    init_pid(&c, NULL, -1, 3, &r2);
    ck_assert_int_eq(r2.error_code, KFK_ERR_INVALID_REQUEST);
    ck_assert_int_eq(kfk_mock_set_next_producer_epoch(mc, INT16_MAX), KFK_OK); /* test knob */
    init_pid(&c, NULL, -1, -1, &r2);
    ck_assert_int_eq(r2.error_code, 0);
    ck_assert_int_eq(r2.producer_epoch, INT16_MAX);
    init_pid(&c, NULL, -1, -1, &r2); /* once only */
    ck_assert_int_eq(r2.producer_epoch, 0);

    int16_t err;
    int32_t coord = find_coordinator(&c, 6, 1, "tx-a", &err);
    mt_conn tc, other;
    mt_open(&tc, mc, coord);
    mt_open(&other, mc, coord % 3 + 1);
    init_pid(&other, "tx-a", -1, -1, &r1);
    ck_assert_int_eq(r1.error_code, KFK_ERR_NOT_COORDINATOR);
    init_pid(&tc, "tx-a", -1, -1, &r1);
    ck_assert_int_eq(r1.error_code, 0);
    ck_assert_int_eq(r1.producer_epoch, 0);
    init_pid(&tc, "tx-a", -1, -1, &r2); /* a new instance fences the old */
    ck_assert_int_eq(r2.producer_id, r1.producer_id);
    ck_assert_int_eq(r2.producer_epoch, 1);
    init_pid(&tc, "tx-a", r2.producer_id, 1, &r2); /* KIP-360 bump */
    ck_assert_int_eq(r2.producer_epoch, 2);
    init_pid(&tc, "tx-a", r2.producer_id, 1, &r2); /* its retry */
    ck_assert_int_eq(r2.error_code, 0);
    ck_assert_int_eq(r2.producer_epoch, 2);
    init_pid(&tc, "tx-a", r2.producer_id, 0, &r2); /* a zombie */
    ck_assert_int_eq(r2.error_code, KFK_ERR_PRODUCER_FENCED);
    init_pid(&tc, "tx-a", r1.producer_id + 100, 2, &r2);
    ck_assert_int_eq(r2.error_code, KFK_ERR_PRODUCER_FENCED);
    init_pid(&tc, "", -1, -1, &r2);
    ck_assert_int_eq(r2.error_code, KFK_ERR_INVALID_REQUEST);
    mt_close(&tc);
    mt_close(&other);
    mt_close(&c);
}
END_TEST

static Suite *mock_suite(void)
{
    Suite *s = suite_create("mock");
    TCase *tc = tcase_create("admin");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_bootstrap_names_every_broker_in_order);
    tcase_add_test(tc, test_new_refuses_bad_broker_counts);
    tcase_add_test(tc, test_api_versions_advertises_the_served_apis_at_every_version);
    tcase_add_test(tc, test_api_versions_rejects_a_bad_software_name);
    tcase_add_test(tc, test_api_versions_too_new_gets_a_v0_error);
    tcase_add_test(tc, test_version_range_narrows_what_is_served);
    tcase_add_test(tc, test_an_unimplemented_api_closes_the_connection);
    tcase_add_test(tc, test_metadata_lists_live_brokers_and_topics);
    tcase_add_test(tc, test_metadata_by_name_and_by_id);
    tcase_add_test(tc, test_metadata_auto_creates_only_when_enabled);
    tcase_add_test(tc, test_create_topics_validates_like_kafka);
    tcase_add_test(tc, test_create_topics_validate_only_and_assignments);
    tcase_add_test(tc, test_delete_topics_by_name_and_by_id);
    tcase_add_test(tc, test_create_partitions_grows_and_refuses_shrinking);
    tcase_add_test(tc, test_topic_create_api_applies_the_same_rules);
    tcase_add_test(tc, test_find_coordinator_is_stable_per_key);
    tcase_add_test(tc, test_init_producer_id_allocates_and_bumps);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(mock_suite());
}
