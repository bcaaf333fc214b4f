/* The transactional producer against real Kafka and the mock cluster:
 *   - records of two topics, three partitions each, in an aborted and a
 *     committed transaction: a read_committed consumer sees exactly the
 *     committed ones, a read_uncommitted one all of them; every record
 *     gets one delivery report; records an abort had not sent yet get
 *     KFK_ERR_TXN_ABORTED;
 *   - zombie fencing: a second producer with the same transactional.id
 *     fences the first, whose next transaction call fails fatally (and
 *     error_cb hears it); nothing the first wrote after the fence is
 *     visible to read_committed;
 *   - consumer offsets sent with a transaction (KIP-447) are the group's
 *     committed offsets once it commits, and not after it aborts;
 *   - calls outside their state: KFK_ERR_STATE, classified as usage.
 * With KFK_TEST_CLUSTER3 set (real Kafka: .ci/run formats that cluster
 * with transaction.version=1) the suite runs again there, for the
 * AddPartitionsToTxn protocol. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "../common/ktxn.h"
#include "kfk.h"
#include "kplist.h"

#define NP 3
#define PER_TXN 60
#define TIMEOUT_MS KTXN_TIMEOUT_MS

static const char *bs; /* NULL: KFK_TEST_BOOTSTRAP */
static const char *const linger5[] = {"linger.ms", "5", NULL};

START_TEST(test_commit_and_abort_across_topics)
{
    char t1[128], t2[128], id[160];
    ktest_unique_topic(t1, sizeof(t1), "txn-a");
    ktest_unique_topic(t2, sizeof(t2), "txn-b");
    snprintf(id, sizeof(id), "%s-id", t1);
    kclus_create_topic(bs, t1, NP, -1);
    kclus_create_topic(bs, t2, NP, -1);
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(bs, id, &rs, true, linger5);

    /* Sent, then aborted: in the log, behind an abort marker. */
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, t1, NP, "aborted", PER_TXN / 2);
    ktxn_produce(p, t2, NP, "aborted", PER_TXN / 2);
    ck_assert_int_eq(kfk_producer_flush(p, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(kfk_producer_abort_transaction(p, TIMEOUT_MS), KFK_OK);

    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, t1, NP, "committed", PER_TXN / 2);
    ktxn_produce(p, t2, NP, "committed", PER_TXN / 2);
    kfk_err e = kfk_producer_commit_transaction(p, TIMEOUT_MS);
    ck_assert_msg(e == KFK_OK, "commit: %s", kfk_err_name(e));
    ck_assert_int_eq(rs.ok, 2 * PER_TXN);
    ck_assert_int_eq(rs.other + rs.aborted, 0);
    kfk_producer_destroy(p);

    const char *topics[] = {t1, t2};
    const char *tags[] = {"committed", "aborted"};
    int rc[2] = {0}, ru[2] = {0};
    ktxn_count_settled(bs, topics, 2, NP, tags, rc, 2);
    ck_assert_int_eq(rc[0], PER_TXN);
    ck_assert_int_eq(rc[1], 0);
    ktxn_count(bs, topics, 2, NP, "read_uncommitted", tags, ru, 2);
    ck_assert_int_eq(ru[0], PER_TXN);
    ck_assert_int_eq(ru[1], PER_TXN);
    kclus_delete_topic(bs, t1);
    kclus_delete_topic(bs, t2);
}
END_TEST

/* Records still lingering when the abort comes never leave: each gets
 * KFK_ERR_TXN_ABORTED, and the next transaction goes on. */
START_TEST(test_abort_fails_unsent_records)
{
    char t1[128], id[160];
    ktest_unique_topic(t1, sizeof(t1), "txn-unsent");
    snprintf(id, sizeof(id), "%s-id", t1);
    kclus_create_topic(bs, t1, NP, -1);
    ktxn_reports rs = {0};
    kfk_producer *p =
        ktxn_producer(bs, id, &rs, true, (const char *const[]){"linger.ms", "60000", NULL});
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, t1, NP, "aborted", 30);
    ck_assert_int_eq(kfk_producer_abort_transaction(p, TIMEOUT_MS), KFK_OK);
    kfk_producer_poll(p, 0);
    ck_assert_int_eq(rs.aborted + rs.ok, 30); /* one report each */
    ck_assert_int_eq(rs.other, 0);
    ck_assert_int_gt(rs.aborted, 0);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, t1, NP, "committed", 30);
    ck_assert_int_eq(kfk_producer_commit_transaction(p, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(rs.ok + rs.aborted, 60);
    kfk_producer_destroy(p);
    const char *topics[] = {t1};
    const char *tags[] = {"committed", "aborted"};
    int rc[2] = {0};
    ktxn_count_settled(bs, topics, 1, NP, tags, rc, 2);
    ck_assert_int_eq(rc[0], 30);
    ck_assert_int_eq(rc[1], 0);
    kclus_delete_topic(bs, t1);
}
END_TEST

START_TEST(test_second_producer_fences_the_first)
{
    char t1[128], id[160];
    ktest_unique_topic(t1, sizeof(t1), "txn-fence");
    snprintf(id, sizeof(id), "%s-id", t1);
    kclus_create_topic(bs, t1, NP, -1);
    ktxn_reports ra = {0}, rb = {0};
    kfk_producer *a = ktxn_producer(bs, id, &ra, true, linger5);
    ck_assert_int_eq(kfk_producer_begin_transaction(a), KFK_OK);
    ktxn_produce(a, t1, NP, "zombie", 9);
    ck_assert_int_eq(kfk_producer_flush(a, TIMEOUT_MS), KFK_OK);

    /* b fences a and aborts a's open transaction */
    kfk_producer *b = ktxn_producer(bs, id, &rb, true, linger5);
    ktxn_produce(a, t1, NP, "zombie", 9);
    kfk_err e = kfk_producer_commit_transaction(a, TIMEOUT_MS);
    ck_assert_msg(e != KFK_OK, "the fenced producer committed");
    ck_assert_msg(kfk_producer_txn_action(a, e) == KFK_TXN_FATAL, "commit: %s is not fatal",
                  kfk_err_name(e));
    ck_assert_msg(e == KFK_ERR_PRODUCER_FENCED || e == KFK_ERR_INVALID_PRODUCER_EPOCH, "commit: %s",
                  kfk_err_name(e));
    ck_assert_int_eq(ra.fatal_cb, 1);
    ck_assert_int_eq(kfk_producer_begin_transaction(a), e); /* fatal stays */
    kfk_producer_destroy(a);
    ck_assert_int_eq(ra.ok + ra.other + ra.aborted, 18); /* one report each */

    ck_assert_int_eq(kfk_producer_begin_transaction(b), KFK_OK);
    ktxn_produce(b, t1, NP, "live", 12);
    ck_assert_int_eq(kfk_producer_commit_transaction(b, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(rb.ok, 12);
    ck_assert_int_eq(rb.fatal_cb, 0);
    kfk_producer_destroy(b);

    const char *topics[] = {t1};
    const char *tags[] = {"live", "zombie"};
    int rc[2] = {0};
    ktxn_count_settled(bs, topics, 1, NP, tags, rc, 2);
    ck_assert_int_eq(rc[0], 12);
    ck_assert_int_eq(rc[1], 0);
    kclus_delete_topic(bs, t1);
}
END_TEST

/* A group member reads the topic; what it read is committed only with a
 * transaction that commits. */
START_TEST(test_offsets_commit_with_the_transaction)
{
    char t1[128], id[160], group[160];
    ktest_unique_topic(t1, sizeof(t1), "txn-offsets");
    snprintf(id, sizeof(id), "%s-id", t1);
    snprintf(group, sizeof(group), "%s-g", t1);
    kclus_create_topic(bs, t1, NP, -1);
    kclus_produce(bs, t1, NP, 0, 30);
    kfk_conf *conf = kclus_conf(bs);
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "auto.offset.reset", "earliest");
    kclus_set(conf, "enable.auto.commit", "false");
    kclus_set(conf, "isolation.level", "read_committed");
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    const char *topics[] = {t1};
    ck_assert_int_eq(kfk_consumer_subscribe(c, topics, 1), KFK_OK);
    kfk_partition_list *next = kpl_range(t1, NP, 0);
    for (size_t p = 0; p < NP; p++)
        ck_assert_int_eq(kfk_partition_list_set_metadata(next, p, "txn"), KFK_OK);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    for (int got = 0; got < 30;) {
        ck_assert_msg(kclus_now_ms() < deadline, "read %d of 30", got);
        kfk_message *m = kfk_consumer_poll(c, 200);
        if (!m) continue;
        ck_assert_int_eq(kfk_message_error(m), KFK_OK);
        kfk_partition_list_set_offset(next, (size_t)kfk_message_partition(m),
                                      kfk_message_offset(m) + 1);
        got++;
        kfk_message_release(m);
    }
    kfk_consumer_group_metadata *md = kfk_consumer_get_group_metadata(c);
    ck_assert_ptr_nonnull(md);
    ck_assert_int_ge(kfk_consumer_group_metadata_generation_id(md), 0);
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(bs, id, &rs, true, linger5);
    for (int round = 0; round < 2; round++) { /* aborted, then committed */
        ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
        ktxn_produce(p, t1, NP, round ? "committed" : "aborted", 3);
        kfk_err e = kfk_producer_send_offsets_to_transaction(p, next, md, TIMEOUT_MS);
        ck_assert_msg(e == KFK_OK, "send_offsets: %s", kfk_err_name(e));
        e = round ? kfk_producer_commit_transaction(p, TIMEOUT_MS)
                  : kfk_producer_abort_transaction(p, TIMEOUT_MS);
        ck_assert_msg(e == KFK_OK, "%s: %s", round ? "commit" : "abort", kfk_err_name(e));
        kfk_partition_list *got = kpl_range(t1, NP, 0);
        ck_assert_int_eq(kfk_consumer_committed(c, got, TIMEOUT_MS), KFK_OK);
        for (size_t q = 0; q < NP; q++) {
            int64_t want = round ? kfk_partition_list_offset(next, q) : KFK_OFFSET_INVALID;
            ck_assert_msg(kfk_partition_list_offset(got, q) == want,
                          "round %d: partition %zu committed at %lld", round, q,
                          (long long)kfk_partition_list_offset(got, q));
        }
        if (round) ck_assert_str_eq(kfk_partition_list_metadata(got, 0), "txn");
        kfk_partition_list_destroy(got);
    }
    kfk_consumer_group_metadata_destroy(md);
    kfk_partition_list_destroy(next);
    kfk_producer_destroy(p);
    kfk_consumer_destroy(c);
    kclus_delete_topic(bs, t1);
}
END_TEST

START_TEST(test_calls_out_of_state)
{
    char t1[128], id[160];
    ktest_unique_topic(t1, sizeof(t1), "txn-state");
    snprintf(id, sizeof(id), "%s-id", t1);
    kclus_create_topic(bs, t1, 1, -1);
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(bs, id, &rs, false, NULL);
    kfk_record r = {.topic = t1, .partition = 0, .value = "x", .value_len = 1};
    /* before init_transactions */
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_ERR_STATE);
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_ERR_STATE);
    ck_assert_int_eq(kfk_producer_init_transactions(p, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(kfk_producer_init_transactions(p, TIMEOUT_MS), KFK_ERR_STATE);
    /* outside a transaction */
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_ERR_STATE);
    ck_assert_int_eq(kfk_producer_txn_action(p, KFK_ERR_STATE), KFK_TXN_USAGE);
    ck_assert_int_eq(kfk_producer_commit_transaction(p, TIMEOUT_MS), KFK_ERR_STATE);
    ck_assert_int_eq(kfk_producer_abort_transaction(p, TIMEOUT_MS), KFK_ERR_STATE);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_ERR_STATE);
    /* an empty transaction commits without asking the coordinator */
    ck_assert_int_eq(kfk_producer_commit_transaction(p, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(kfk_producer_txn_action(p, KFK_OK), KFK_TXN_NONE);
    ck_assert_int_eq(kfk_producer_txn_action(p, KFK_ERR_TIMED_OUT), KFK_TXN_RETRY);
    ck_assert_int_eq(rs.fatal_cb, 0);
    kfk_producer_destroy(p);
    /* the plain producer has no transactions */
    char err[256];
    kfk_producer *plain = kfk_producer_new(kclus_conf(bs), err, sizeof(err));
    ck_assert_ptr_nonnull(plain);
    ck_assert_int_eq(kfk_producer_begin_transaction(plain), KFK_ERR_STATE);
    ck_assert_int_eq(kfk_producer_txn_action(plain, KFK_ERR_STATE), KFK_TXN_USAGE);
    kfk_producer_destroy(plain);
    kclus_delete_topic(bs, t1);
}
END_TEST

static Suite *suite(const char *name)
{
    Suite *s = suite_create(name);
    TCase *tc = tcase_create("txn");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_commit_and_abort_across_topics);
    tcase_add_test(tc, test_abort_fails_unsent_records);
    tcase_add_test(tc, test_second_producer_fences_the_first);
    tcase_add_test(tc, test_offsets_commit_with_the_transaction);
    tcase_add_test(tc, test_calls_out_of_state);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc = ktest_run(suite("txn_producer_integration"));
    if (rc || kclus_is_mock() || !getenv("KFK_TEST_CLUSTER3")) return rc;
    bs = getenv("KFK_TEST_CLUSTER3");
    return ktest_run(suite("txn_producer_integration_cluster3"));
}
