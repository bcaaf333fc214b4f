/* The fetcher on a multi-node cluster: a partition's leader moves while
 * the consumer reads, and the consumer goes on at the new leader with no
 * gap and no duplicate; KIP-392: a consumer with client.rack fetches from
 * the replica in its rack that the leader names (preferred read replica)
 * and gets every record from there.
 *
 * Against the mock (KFK_TEST_MOCK=1) each test runs its own in-process
 * 3-broker kfk_mock cluster, which it can steer (kfk_mock_partition_set_leader,
 * kfk_mock_broker_set_rack) and whose request counters it reads. Against
 * real Kafka it needs a cluster of 3 or more nodes in KFK_TEST_CLUSTER3
 * (the single node of KFK_TEST_BOOTSTRAP cannot move a leader), whose
 * brokers have broker.rack set and
 * replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector:
 *   tools/kafka start --brokers 3 --dir /tmp/kfk-racks --racks
 * Leaders move there with consumer_leader_move.py (kafka-python's admin:
 * a replica reorder and a preferred election). Without KFK_TEST_CLUSTER3
 * the real-Kafka run is skipped (exit 77, counted as skipped). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "consumer/consumer_int.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "kplist.h"
#include "proto/gen/fetch.h"

#define NPARTS 3
#define PER_PHASE 300 /* records per produce phase, spread over the partitions */

/* --- the cluster under test: an in-process mock or KFK_TEST_CLUSTER3 ------------------ */

typedef struct cluster {
    kfk_mock_cluster *mock; /* NULL: real Kafka */
    const char *bootstrap;
} cluster;

static cluster cluster_start(void)
{
    cluster cl = {0};
    if (kclus_is_mock()) {
        cl.mock = kfk_mock_cluster_new(3);
        ck_assert_ptr_nonnull(cl.mock);
        cl.bootstrap = kfk_mock_cluster_bootstrap(cl.mock);
    } else {
        cl.bootstrap = getenv("KFK_TEST_CLUSTER3");
        ck_assert_msg(cl.bootstrap != NULL, "KFK_TEST_CLUSTER3 unset");
    }
    return cl;
}

static void cluster_stop(cluster *cl)
{
    kfk_mock_cluster_destroy(cl->mock);
}

static void create_topic(const cluster *cl, const char *topic)
{
    if (cl->mock)
        ck_assert_int_eq(kfk_mock_topic_create(cl->mock, topic, NPARTS, 3), KFK_OK);
    else
        kclus_create_topic(cl->bootstrap, topic, NPARTS, 3);
}

/* The metadata of topic as the cluster reports it now. */
static kfk_metadata *describe(const cluster *cl, const char *topic)
{
    char err[256];
    kfk_admin *a = kfk_admin_new(kclus_conf(cl->bootstrap), err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    kfk_metadata *md = NULL;
    const char *names[] = {topic};
    kfk_err e = kfk_admin_list_topics(a, names, 1,
                                      &(kfk_admin_options){.timeout_ms = KCLUS_TIMEOUT_MS}, &md);
    ck_assert_msg(e == KFK_OK, "describe %s: %s", topic, kfk_err_str(e));
    kfk_admin_destroy(a);
    return md;
}

/* The partition's leader. Each call may ask another broker, and a KRaft
 * broker learns a new topic's leaders a little after the one that said it
 * was ready: wait for a leader rather than read -1. */
static int32_t leader_of(const cluster *cl, const char *topic, int32_t p)
{
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    for (;;) {
        kfk_metadata *md = describe(cl, topic);
        int32_t l = kfk_metadata_topic_count(md) == 1 && !kfk_metadata_topic_error(md, 0) &&
                            (size_t)p < kfk_metadata_partition_count(md, 0)
                        ? kfk_metadata_partition_leader(md, 0, (size_t)p)
                        : -1;
        kfk_metadata_destroy(md);
        if (l >= 0) return l;
        ck_assert_msg(kclus_now_ms() < deadline, "%s/%d has no leader", topic, (int)p);
        kclus_nap(50);
    }
}

/* Moves each partition's leadership to another replica; returns the new
 * leaders in to[]. */
static void move_leaders(const cluster *cl, const char *topic, int32_t to[NPARTS])
{
    for (int32_t p = 0; p < NPARTS; p++) {
        int32_t from = leader_of(cl, topic, p);
        ck_assert_int_ge(from, 0);
        to[p] = from % 3 + 1; /* brokers 1..3, RF 3: every broker is a replica */
    }
    if (cl->mock) {
        for (int32_t p = 0; p < NPARTS; p++)
            ck_assert_int_eq(kfk_mock_partition_set_leader(cl->mock, topic, p, to[p]), KFK_OK);
        return;
    }
    char cmd[1024];
    int n =
        snprintf(cmd, sizeof(cmd), "python3 tests/integration/consumer_leader_move.py '%s' '%s'",
                 cl->bootstrap, topic);
    for (int32_t p = 0; p < NPARTS; p++)
        n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " %d:%d", p, to[p]);
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

/* --- consuming ----------------------------------------------------------------------- */

static kfk_consumer *consumer(const cluster *cl, const char *rack)
{
    kfk_conf *conf = kclus_conf(cl->bootstrap);
    kclus_set(conf, "auto.offset.reset", "earliest");
    kclus_set(conf, "fetch.max.wait.ms", "100");
    kclus_set(conf, "max.partition.fetch.bytes", "2048"); /* several fetches per phase */
    if (rack) kclus_set(conf, "client.rack", rack);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

static void assign_all(kfk_consumer *c, const char *topic)
{
    ck_assert_int_eq(kpl_assign(c, topic, NPARTS, KFK_OFFSET_BEGINNING), KFK_OK);
}

/* Polls until next[] has reached upto records in total, checking that
 * every partition's offsets come contiguously from where they were and
 * that record ids follow (record i is offset i / NPARTS of partition
 * i % NPARTS when every phase writes a multiple of NPARTS records). */
static void consume_upto(kfk_consumer *c, int64_t next[NPARTS], int64_t upto)
{
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    for (;;) {
        int64_t total = 0;
        for (int p = 0; p < NPARTS; p++)
            total += next[p];
        if (total >= upto) break;
        ck_assert_msg(kclus_now_ms() < deadline, "%lld of %lld records after %d ms",
                      (long long)total, (long long)upto, KCLUS_TIMEOUT_MS);
        kfk_message *m = kfk_consumer_poll(c, 200);
        if (!m) continue;
        ck_assert_msg(kfk_message_error(m) == KFK_OK, "poll: %s",
                      kfk_err_str(kfk_message_error(m)));
        int32_t p = kfk_message_partition(m);
        ck_assert(p >= 0 && p < NPARTS);
        ck_assert_msg(kfk_message_offset(m) == next[p], "partition %d: offset %lld, expected %lld",
                      p, (long long)kfk_message_offset(m), (long long)next[p]);
        ck_assert_int_eq(kclus_record_id(m), next[p] * NPARTS + p);
        next[p]++;
        kfk_message_release(m);
    }
}

/* Fetch requests the consumer sent to broker id (its fetcher's counter). */
static int64_t fetches_to(kfk_consumer *c, int32_t id)
{
    int64_t n = 0;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < c->n_fetchers; i++)
        if (c->fetchers[i]->b->id == id) n += c->fetchers[i]->requests;
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* --- tests ----------------------------------------------------------------------------- */

START_TEST(test_leader_move_during_consumption_keeps_offsets_contiguous)
{
    cluster cl = cluster_start();
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "fetch-move");
    create_topic(&cl, topic);
    kclus_produce(cl.bootstrap, topic, NPARTS, 0, PER_PHASE);
    kfk_consumer *c = consumer(&cl, NULL);
    assign_all(c, topic);
    int64_t next[NPARTS] = {0};
    consume_upto(c, next, PER_PHASE / 2); /* the rest is fetched or in flight */

    int32_t to[NPARTS];
    move_leaders(&cl, topic, to);
    for (int32_t p = 0; p < NPARTS; p++)
        ck_assert_int_eq(leader_of(&cl, topic, p), to[p]);
    kclus_produce(cl.bootstrap, topic, NPARTS, PER_PHASE, PER_PHASE);
    int64_t before[4] = {0};
    for (int32_t b = 1; b <= 3; b++)
        before[b] = fetches_to(c, b);
    consume_upto(c, next, 2 * PER_PHASE);
    for (int p = 0; p < NPARTS; p++)
        ck_assert_int_eq(next[p], 2 * PER_PHASE / NPARTS);
    /* Nothing more: no record comes twice after the move. */
    kfk_message *m = kfk_consumer_poll(c, 500);
    ck_assert_msg(m == NULL, "an extra message at %d/%lld", m ? kfk_message_partition(m) : -1,
                  m ? (long long)kfk_message_offset(m) : -1LL);
    /* The new leaders served the second phase. */
    for (int32_t p = 0; p < NPARTS; p++)
        ck_assert_int_gt(fetches_to(c, to[p]), before[to[p]]);
    kfk_consumer_destroy(c);
    if (cl.mock)
        kfk_mock_topic_delete(cl.mock, topic);
    else
        kclus_delete_topic(cl.bootstrap, topic);
    cluster_stop(&cl);
}
END_TEST

/* Racks: the mock's brokers 1..3 get racks r1..r3; real brokers must have
 * them already. Returns the rack of broker id, or NULL. */
static const char *rack_of(const cluster *cl, const char *topic, int32_t id, char *buf, size_t n)
{
    if (cl->mock) {
        snprintf(buf, n, "r%d", id);
        return buf;
    }
    kfk_metadata *md = describe(cl, topic);
    const char *rack = NULL;
    for (size_t b = 0; b < kfk_metadata_broker_count(md); b++)
        if (kfk_metadata_broker_id(md, b) == id && kfk_metadata_broker_rack(md, b)) {
            snprintf(buf, n, "%s", kfk_metadata_broker_rack(md, b));
            rack = buf;
        }
    kfk_metadata_destroy(md);
    return rack;
}

START_TEST(test_fetches_from_the_replica_in_the_clients_rack)
{
    cluster cl = cluster_start();
    if (cl.mock)
        for (int32_t b = 1; b <= 3; b++) {
            char r[8];
            snprintf(r, sizeof(r), "r%d", b);
            ck_assert_int_eq(kfk_mock_broker_set_rack(cl.mock, b, r), KFK_OK);
        }
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "fetch-rack");
    create_topic(&cl, topic);
    /* The consumer lives in the rack of a broker that leads partition 0
     * and follows the others, which it must then read from there. */
    int32_t near = leader_of(&cl, topic, 0);
    char rack[64];
    ck_assert_msg(rack_of(&cl, topic, near, rack, sizeof(rack)) != NULL,
                  "broker %d has no rack: start the cluster with broker.rack set", near);
    kclus_produce(cl.bootstrap, topic, NPARTS, 0, PER_PHASE);
    kfk_consumer *c = consumer(&cl, rack);
    assign_all(c, topic);
    int64_t next[NPARTS] = {0};
    consume_upto(c, next, PER_PHASE);

    /* From now on only the near broker should see fetches: the leaders
     * of the other partitions named it as their preferred read replica. */
    int64_t before[4] = {0};
    for (int32_t b = 1; b <= 3; b++)
        before[b] = fetches_to(c, b);
    if (cl.mock) kfk_mock_reset_request_counts(cl.mock);
    kclus_produce(cl.bootstrap, topic, NPARTS, PER_PHASE, PER_PHASE);
    consume_upto(c, next, 2 * PER_PHASE);
    int64_t far = 0;
    for (int32_t b = 1; b <= 3; b++)
        if (b != near) far += fetches_to(c, b) - before[b];
    ck_assert_msg(far == 0, "%lld fetches went to brokers outside rack %s", (long long)far, rack);
    ck_assert_int_gt(fetches_to(c, near), before[near]);
    if (cl.mock) {
        for (int32_t b = 1; b <= 3; b++)
            if (b != near)
                ck_assert_int_eq(kfk_mock_broker_request_count(cl.mock, b, KFK_MOCK_API_FETCH), 0);
        ck_assert_int_gt(kfk_mock_broker_request_count(cl.mock, near, KFK_MOCK_API_FETCH), 0);
    }
    kfk_consumer_destroy(c);
    if (cl.mock)
        kfk_mock_topic_delete(cl.mock, topic);
    else
        kclus_delete_topic(cl.bootstrap, topic);
    cluster_stop(&cl);
}
END_TEST

static Suite *fetch_move_suite(void)
{
    Suite *s = suite_create("consumer_fetch_move_integration");
    TCase *tc = tcase_create("cluster");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_leader_move_during_consumption_keeps_offsets_contiguous);
    tcase_add_test(tc, test_fetches_from_the_replica_in_the_clients_rack);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!kclus_is_mock() && !getenv("KFK_TEST_CLUSTER3")) {
        printf("SKIP: real Kafka needs a 3-node cluster with racks in KFK_TEST_CLUSTER3 "
               "(tools/kafka start --brokers 3 --racks --dir DIR)\n");
        return KTEST_SKIP;
    }
    return ktest_run(fetch_move_suite());
}
