/* Leader epochs of consumed records across a leader move: records written
 * before the move carry the epoch metadata reported then, records written
 * after it the new (higher) one, and commits of the positions store the
 * epoch of the last record polled: the old epoch after the first records,
 * the new one after the last (read back with a raw OffsetFetch).
 *
 * As consumer_fetch_move_test: against the mock (KFK_TEST_MOCK=1) an
 * in-process 3-broker kfk_mock cluster moves the leader
 * (kfk_mock_partition_set_leader); against real Kafka it needs the 3-node
 * cluster in KFK_TEST_CLUSTER3, where consumer_leader_move.py moves it.
 * Without KFK_TEST_CLUSTER3 the real-Kafka run is skipped (exit 77). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/kcommitted.h"
#include "../common/ktest.h"
#include "consumer/consumer_int.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "kplist.h"

#define BEFORE 30 /* records before the move */
#define AFTER 30  /* and after it */

/* Partition 0's leader and epoch (-1 both while metadata has none). */
static int32_t epoch_of(const char *bs, const char *topic, int32_t *leader)
{
    int32_t epoch;
    kclus_partition_leader(bs, topic, 0, leader, &epoch);
    return epoch;
}

/* Waits until metadata names leader want (any: -1) with an epoch above
 * after; returns that epoch. A broker may answer from metadata a little
 * behind the controller's. */
static int32_t wait_epoch(const char *bs, const char *topic, int32_t want, int32_t after)
{
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    for (;;) {
        int32_t leader;
        int32_t e = epoch_of(bs, topic, &leader);
        if (leader >= 0 && (want < 0 || leader == want) && e > after) return e;
        ck_assert_msg(kclus_now_ms() < deadline, "%s: leader %d epoch %d, waiting for %d above %d",
                      topic, (int)leader, (int)e, (int)want, (int)after);
        kclus_nap(50);
    }
}

static void move_leader(kfk_mock_cluster *mock, const char *bs, const char *topic, int32_t to)
{
    if (mock) {
        ck_assert_int_eq(kfk_mock_partition_set_leader(mock, topic, 0, to), KFK_OK);
        return;
    }
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "python3 tests/integration/consumer_leader_move.py '%s' '%s' 0:%d",
             bs, topic, (int)to);
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

START_TEST(test_records_and_commits_follow_the_leader_epoch)
{
    kfk_mock_cluster *mock = NULL;
    const char *bs;
    if (kclus_is_mock()) {
        mock = kfk_mock_cluster_new(3);
        ck_assert_ptr_nonnull(mock);
        bs = kfk_mock_cluster_bootstrap(mock);
    } else {
        bs = getenv("KFK_TEST_CLUSTER3");
    }
    char topic[128], group[160];
    ktest_unique_topic(topic, sizeof(topic), "epoch-move");
    snprintf(group, sizeof(group), "%s-g", topic);
    if (mock)
        ck_assert_int_eq(kfk_mock_topic_create(mock, topic, 1, 3), KFK_OK);
    else
        kclus_create_topic(bs, topic, 1, 3);

    int32_t e1 = wait_epoch(bs, topic, -1, -1), leader;
    kclus_produce(bs, topic, 1, 0, BEFORE);
    ck_assert_int_eq(epoch_of(bs, topic, &leader), e1); /* no move meanwhile */
    int32_t to = leader % 3 + 1; /* brokers 1..3, RF 3: every broker is a replica */
    move_leader(mock, bs, topic, to);
    int32_t e2 = wait_epoch(bs, topic, to, e1);
    kclus_produce(bs, topic, 1, BEFORE, AFTER);

    kfk_conf *conf = kclus_conf(bs);
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "enable.auto.commit", "false");
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_int_eq(kpl_assign_one(c, topic, 0, KFK_OFFSET_BEGINNING), KFK_OK);
    int64_t next = 0, deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    kfk_message *first = NULL; /* held, so that its chunk stays the same object */
    bool one_answer = true;
    while (next < BEFORE + AFTER) {
        ck_assert_msg(kclus_now_ms() < deadline, "%lld of %d records", (long long)next,
                      BEFORE + AFTER);
        kfk_message *m = kfk_consumer_poll(c, 200);
        if (!m) continue;
        ck_assert_msg(kfk_message_error(m) == KFK_OK, "poll: %s",
                      kfk_err_str(kfk_message_error(m)));
        ck_assert_int_eq(kfk_message_offset(m), next);
        ck_assert_int_eq(kclus_record_id(m), next);
        int32_t want = next < BEFORE ? e1 : e2;
        ck_assert_msg(kfk_message_leader_epoch(m) == want, "offset %lld: epoch %d, expected %d",
                      (long long)next, (int)kfk_message_leader_epoch(m), (int)want);
        if (!first)
            first = m;
        else
            one_answer = one_answer && m->chunk == first->chunk;
        if (m != first) kfk_message_release(m);
        if (++next == BEFORE) kcommitted_check(c, bs, group, topic, BEFORE, e1);
    }
    /* Whether both epochs came in one Fetch answer is the broker's choice. */
    printf("epoch-move: epochs %d and %d in %s\n", (int)e1, (int)e2,
           one_answer ? "one Fetch answer" : "several Fetch answers");
    kfk_message_release(first);
    kcommitted_check(c, bs, group, topic, BEFORE + AFTER, e2);
    kfk_consumer_destroy(c);
    if (mock)
        kfk_mock_cluster_destroy(mock);
    else
        kclus_delete_topic(bs, topic);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("consumer_epoch_move_integration");
    TCase *tc = tcase_create("cluster");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_records_and_commits_follow_the_leader_epoch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!kclus_is_mock() && !getenv("KFK_TEST_CLUSTER3")) {
        printf("SKIP: real Kafka needs a 3-node cluster in KFK_TEST_CLUSTER3\n");
        return KTEST_SKIP;
    }
    return ktest_run(suite());
}
