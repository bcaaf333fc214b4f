/* KIP-951 leader hints from Produce and Fetch answers, by topic name and
 * by topic id, into the cache and the broker registry of a client that
 * has no cluster to talk to (its bootstrap address refuses). */
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "client/client.h"

static kclient *offline_client(void)
{
    kfk_conf *conf = kfk_conf_new();
    kfk_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", NULL, 0);
    kfk_conf_set(conf, "log.level", "emerg", NULL, 0);
    char err[256];
    kclient *c = kclient_new(conf, KCONF_PRODUCER, NULL, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

static int32_t replicas[] = {1, 2};

/* Tells the client of brokers 1 and 2 and topic "t" (id 0x42...) with
 * two partitions led by broker 1 at epoch 3. */
static void seed(kclient *c)
{
    kp_metadata_response r;
    kp_metadata_response_init(&r);
    kp_metadata_response_broker b[2];
    for (int i = 0; i < 2; i++) {
        kp_metadata_response_broker_init(&b[i]);
        b[i].node_id = i + 1;
        b[i].host = kwire_cstr("127.0.0.1");
        b[i].port = 1000 + i;
    }
    kp_metadata_response_topic t;
    kp_metadata_response_topic_init(&t);
    t.name = kwire_cstr("t");
    t.topic_id.b[0] = 0x42;
    kp_metadata_response_partition p[2];
    for (int i = 0; i < 2; i++) {
        kp_metadata_response_partition_init(&p[i]);
        p[i].partition_index = i;
        p[i].leader_id = 1;
        p[i].leader_epoch = 3;
        p[i].replica_nodes = replicas;
        p[i].n_replica_nodes = 2;
        p[i].isr_nodes = replicas;
        p[i].n_isr_nodes = 2;
    }
    t.partitions = p;
    t.n_partitions = 2;
    r.brokers = b;
    r.n_brokers = 2;
    r.topics = &t;
    r.n_topics = 1;
    kclient_metadata_apply(c, &r, false);
}

static int32_t leader_of(kclient *c, int32_t partition, int32_t *epoch)
{
    int32_t leader = -1;
    kmeta_leader(kclient_meta(c), "t", partition, &leader, epoch);
    return leader;
}

START_TEST(test_produce_hint_moves_the_leader_and_adds_the_broker)
{
    kclient *c = offline_client();
    seed(c);
    kp_produce_response r;
    kp_produce_response_init(&r);
    kp_produce_response_topic_produce_response t;
    kp_produce_response_topic_produce_response_init(&t);
    t.name = kwire_cstr("t");
    kp_produce_response_partition_produce_response p[2];
    for (int i = 0; i < 2; i++)
        kp_produce_response_partition_produce_response_init(&p[i]);
    p[0].index = 0;
    p[0].error_code = KFK_ERR_NOT_LEADER_OR_FOLLOWER;
    p[0].current_leader.leader_id = 3;
    p[0].current_leader.leader_epoch = 4;
    p[1].index = 1; /* succeeded: its (default) hint means nothing */
    t.partition_responses = p;
    t.n_partition_responses = 2;
    kp_produce_response_node_endpoint e;
    kp_produce_response_node_endpoint_init(&e);
    e.node_id = 3;
    e.host = kwire_cstr("127.0.0.1");
    e.port = 1003;
    r.responses = &t;
    r.n_responses = 1;
    r.node_endpoints = &e;
    r.n_node_endpoints = 1;
    ck_assert_int_eq(kclient_produce_hints(c, &r), 1);
    int32_t epoch;
    ck_assert_int_eq(leader_of(c, 0, &epoch), 3);
    ck_assert_int_eq(epoch, 4);
    ck_assert_int_eq(leader_of(c, 1, &epoch), 1);
    kbroker *b = kclient_broker(c, 3);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(b->port, 1003);
    kbroker_unref(b);
    /* The same hint again: nothing moves. */
    ck_assert_int_eq(kclient_produce_hints(c, &r), 0);
    kclient_destroy(c);
}
END_TEST

START_TEST(test_fetch_hint_by_topic_id_and_stale_epochs)
{
    kclient *c = offline_client();
    seed(c);
    kp_fetch_response r;
    kp_fetch_response_init(&r);
    kp_fetch_response_fetchable_topic_response t;
    kp_fetch_response_fetchable_topic_response_init(&t);
    t.topic_id.b[0] = 0x42; /* v13+: by id */
    kp_fetch_response_partition_data p[2];
    for (int i = 0; i < 2; i++)
        kp_fetch_response_partition_data_init(&p[i]);
    p[0].partition_index = 0;
    p[0].error_code = KFK_ERR_FENCED_LEADER_EPOCH;
    p[0].current_leader.leader_id = 2;
    p[0].current_leader.leader_epoch = 5;
    p[1].partition_index = 1;
    p[1].error_code = KFK_ERR_NOT_LEADER_OR_FOLLOWER;
    p[1].current_leader.leader_id = 2;
    p[1].current_leader.leader_epoch = 2; /* older than the cache's 3 */
    t.partitions = p;
    t.n_partitions = 2;
    r.responses = &t;
    r.n_responses = 1;
    ck_assert_int_eq(kclient_fetch_hints(c, &r), 1);
    int32_t epoch;
    ck_assert_int_eq(leader_of(c, 0, &epoch), 2);
    ck_assert_int_eq(epoch, 5);
    ck_assert_int_eq(leader_of(c, 1, &epoch), 1);
    ck_assert_int_eq(epoch, 3);
    kclient_destroy(c);
}
END_TEST

static Suite *hints_suite(void)
{
    Suite *s = suite_create("client_hints");
    TCase *tc = tcase_create("kip951");
    tcase_add_test(tc, test_produce_hint_moves_the_leader_and_adds_the_broker);
    tcase_add_test(tc, test_fetch_hint_by_topic_id_and_stale_epochs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(hints_suite());
}
