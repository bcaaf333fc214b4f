/* The transaction manager against the embedded mock cluster, where the
 * coordinator's answers can be chosen:
 *   - transaction version 1 joins partitions with AddPartitionsToTxn
 *     (several per request) and ends with EndTxn v4 at the same epoch;
 *     version 2 sends no AddPartitionsToTxn and bumps the epoch at every
 *     end;
 *   - retriable coordinator errors (NOT_COORDINATOR, COORDINATOR_LOAD_IN_
 *     PROGRESS, CONCURRENT_TRANSACTIONS) are retried inside the call;
 *   - a commit that timed out is taken up by the next call;
 *   - a refused partition makes the transaction abortable, and after the
 *     abort the next one commits;
 *   - a sequence error (UNKNOWN_PRODUCER_ID) aborts, and version 1 then
 *     bumps the epoch with InitProducerId (KIP-360);
 *   - an authorization failure at init is fatal, through error_cb;
 *   - closing with a transaction open aborts it;
 *   - while the last transaction's markers are being written, the next
 *     one's partitions wait to join (DescribeTransactions says when the
 *     markers are done), instead of being refused; a broker without
 *     DescribeTransactions still gets them, through retries. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "../common/ktest.h"
#include "../common/ktxn.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "proto/gen/add_partitions_to_txn.h"
#include "proto/gen/end_txn.h"
#include "proto/gen/init_producer_id.h"
#include "proto/gen/produce.h"

#define NP 3

static kfk_mock_cluster *mc;
static const char *bs;
static const char *const linger[] = {"linger.ms", "5", NULL};

static void setup(void)
{
    mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "a", NP, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "b", NP, 1), KFK_OK);
    bs = kfk_mock_cluster_bootstrap(mc);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
}

/* The committed and aborted records read_committed sees in a and b. */
static void expect_visible(int committed, int aborted)
{
    const char *topics[] = {"a", "b"};
    const char *tags[] = {"committed", "aborted"};
    int n[2] = {0};
    ktxn_count(bs, topics, 2, NP, "read_committed", tags, n, 2);
    ck_assert_int_eq(n[0], committed);
    ck_assert_int_eq(n[1], aborted);
}

static void one_of_each(kfk_producer *p)
{
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, "a", NP, "aborted", 6);
    ktxn_produce(p, "b", NP, "aborted", 6);
    ck_assert_int_eq(kfk_producer_flush(p, KTXN_TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(kfk_producer_abort_transaction(p, KTXN_TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, "a", NP, "committed", 6);
    ktxn_produce(p, "b", NP, "committed", 6);
    ck_assert_int_eq(kfk_producer_commit_transaction(p, KTXN_TIMEOUT_MS), KFK_OK);
}

START_TEST(test_version_1_adds_partitions_in_batches)
{
    ck_assert_int_eq(kfk_mock_set_transaction_version(mc, 1), KFK_OK);
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(bs, "tv1", &rs, true, linger);
    kfk_mock_reset_request_counts(mc);
    one_of_each(p);
    int64_t adds = kfk_mock_request_count(mc, KFK_MOCK_API_ADD_PARTITIONS_TO_TXN);
    /* 6 partitions per transaction, each added once, several at a time */
    ck_assert_int_ge(adds, 2);
    ck_assert_int_lt(adds, 12);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_END_TXN), 2);
    ck_assert_int_eq(rs.ok, 24);
    kfk_producer_destroy(p);
    expect_visible(12, 0);
}
END_TEST

START_TEST(test_version_2_adds_partitions_through_produce)
{
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(bs, "tv2", &rs, true, linger);
    kfk_mock_reset_request_counts(mc);
    one_of_each(p);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_ADD_PARTITIONS_TO_TXN), 0);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_END_TXN), 2);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_INIT_PRODUCER_ID), 0);
    ck_assert_int_eq(rs.ok, 24);
    /* a second producer sees the epoch after two bumps plus its own */
    ktxn_reports rs2 = {0};
    kfk_producer *q = ktxn_producer(bs, "tv2", &rs2, true, linger);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, "a", NP, "zombie", 3);
    ck_assert_int_ne(kfk_producer_commit_transaction(p, KTXN_TIMEOUT_MS), KFK_OK);
    kfk_producer_destroy(q);
    kfk_producer_destroy(p);
    expect_visible(12, 0);
}
END_TEST

START_TEST(test_coordinator_errors_are_retried_within_the_call)
{
    ck_assert_int_eq(kfk_mock_set_transaction_version(mc, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_INIT_PRODUCER_ID, 2,
                                          KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS),
                     KFK_OK);
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(bs, "retried", &rs, true, linger);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_ADD_PARTITIONS_TO_TXN, 2,
                                          KFK_ERR_CONCURRENT_TRANSACTIONS),
                     KFK_OK);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_END_TXN, 2, KFK_ERR_NOT_COORDINATOR),
                     KFK_OK);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, "a", NP, "committed", 9);
    kfk_err e = kfk_producer_commit_transaction(p, KTXN_TIMEOUT_MS);
    ck_assert_msg(e == KFK_OK, "commit: %s", kfk_err_name(e));
    ck_assert_int_eq(rs.ok, 9);
    kfk_producer_destroy(p);
    expect_visible(9, 0);
}
END_TEST

/* The commit's EndTxn keeps meeting CONCURRENT_TRANSACTIONS past the
 * call's timeout: RETRY, and the next call finishes the same commit. */
START_TEST(test_a_timed_out_commit_is_taken_up_again)
{
    ktxn_reports rs = {0};
    const char *const slow[] = {"linger.ms", "5", "retry.backoff.ms", "100", NULL};
    kfk_producer *p = ktxn_producer(bs, "again", &rs, true, slow);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, "b", NP, "committed", 6);
    ck_assert_int_eq(kfk_producer_flush(p, KTXN_TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_END_TXN, 20, KFK_ERR_CONCURRENT_TRANSACTIONS),
        KFK_OK);
    kfk_err e = kfk_producer_commit_transaction(p, 300);
    ck_assert_int_eq(e, KFK_ERR_TIMED_OUT);
    ck_assert_int_eq(kfk_producer_txn_action(p, e), KFK_TXN_RETRY);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_ERR_STATE); /* still committing */
    kfk_mock_clear_errors(mc);
    e = kfk_producer_commit_transaction(p, KTXN_TIMEOUT_MS);
    ck_assert_msg(e == KFK_OK, "commit again: %s", kfk_err_name(e));
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ck_assert_int_eq(kfk_producer_abort_transaction(p, KTXN_TIMEOUT_MS), KFK_OK);
    kfk_producer_destroy(p);
    expect_visible(6, 0);
}
END_TEST

START_TEST(test_a_refused_partition_makes_the_transaction_abortable)
{
    ck_assert_int_eq(kfk_mock_set_transaction_version(mc, 1), KFK_OK);
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(bs, "refused", &rs, true, linger);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_ADD_PARTITIONS_TO_TXN, 1,
                                          KFK_ERR_TOPIC_AUTHORIZATION_FAILED),
                     KFK_OK);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    /* One record: the refusal may come back before a second one. */
    ktxn_produce(p, "a", 1, "aborted", 1);
    kfk_err e = kfk_producer_commit_transaction(p, KTXN_TIMEOUT_MS);
    ck_assert_int_eq(e, KFK_ERR_TOPIC_AUTHORIZATION_FAILED);
    ck_assert_int_eq(kfk_producer_txn_action(p, e), KFK_TXN_ABORT);
    kfk_record r = {.topic = "a", .value = "x", .value_len = 1};
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_ERR_STATE); /* until aborted */
    ck_assert_int_eq(kfk_producer_abort_transaction(p, KTXN_TIMEOUT_MS), KFK_OK);
    kfk_producer_poll(p, 0);
    ck_assert_int_eq(rs.aborted, 1); /* held back, never sent */
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, "a", NP, "committed", 3);
    ck_assert_int_eq(kfk_producer_commit_transaction(p, KTXN_TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(rs.ok, 3);
    ck_assert_int_eq(rs.fatal_cb, 0);
    kfk_producer_destroy(p);
    expect_visible(3, 0);
}
END_TEST

/* UNKNOWN_PRODUCER_ID on a batch: the transaction aborts, then
 * (version 1) InitProducerId with the current id and epoch bumps it. */
static void sequence_error_bumps(int16_t version, int64_t init_after_abort)
{
    ck_assert_int_eq(kfk_mock_set_transaction_version(mc, version), KFK_OK);
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(bs, "kip360", &rs, true, linger);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 1, KFK_ERR_UNKNOWN_PRODUCER_ID),
                     KFK_OK);
    ktxn_produce(p, "a", 1, "aborted", 1);
    kfk_err e = kfk_producer_commit_transaction(p, KTXN_TIMEOUT_MS);
    ck_assert_int_eq(e, KFK_ERR_UNKNOWN_PRODUCER_ID);
    ck_assert_int_eq(kfk_producer_txn_action(p, e), KFK_TXN_ABORT);
    kfk_mock_reset_request_counts(mc);
    ck_assert_int_eq(kfk_producer_abort_transaction(p, KTXN_TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_INIT_PRODUCER_ID), init_after_abort);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, "a", NP, "committed", 6);
    ck_assert_int_eq(kfk_producer_commit_transaction(p, KTXN_TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(rs.ok, 6);
    ck_assert_int_eq(rs.other, 1);
    kfk_producer_destroy(p);
    expect_visible(6, 0);
}

START_TEST(test_a_sequence_error_aborts_and_bumps_the_epoch_v1)
{
    sequence_error_bumps(1, 1);
}
END_TEST

START_TEST(test_a_sequence_error_aborts_and_bumps_the_epoch_v2)
{
    sequence_error_bumps(2, 0); /* EndTxn v5 bumps it */
}
END_TEST

START_TEST(test_an_unauthorized_transactional_id_is_fatal)
{
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_INIT_PRODUCER_ID, 1,
                                          KFK_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
                     KFK_OK);
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(bs, "denied", &rs, false, linger);
    kfk_err e = kfk_producer_init_transactions(p, KTXN_TIMEOUT_MS);
    ck_assert_int_eq(e, KFK_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    ck_assert_int_eq(kfk_producer_txn_action(p, e), KFK_TXN_FATAL);
    ck_assert_int_eq(rs.fatal_cb, 1);
    ck_assert_int_eq(rs.fatal_err, KFK_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), e);
    kfk_producer_destroy(p);
}
END_TEST

START_TEST(test_close_aborts_the_open_transaction)
{
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(bs, "closing", &rs, true, linger);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, "a", NP, "aborted", 6);
    ck_assert_int_eq(kfk_producer_flush(p, KTXN_TIMEOUT_MS), KFK_OK);
    kfk_mock_reset_request_counts(mc);
    ck_assert_int_eq(kfk_producer_close(p, KTXN_TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_END_TXN), 1);
    ck_assert_int_eq(rs.ok, 6);
    expect_visible(0, 0); /* and nothing open holds read_committed back */
}
END_TEST

/* Commits a transaction of two records, then, while its markers are being
 * written (delay_ms), another of 2 x NP: returns what the second one's
 * partitions cost in Produce and AddPartitionsToTxn requests. */
static void commit_two(kfk_producer *p, ktxn_reports *rs, int64_t *produces, int64_t *adds)
{
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, "a", 1, "committed", 1); /* and the topics' metadata is known */
    ktxn_produce(p, "b", 1, "committed", 1);
    ck_assert_int_eq(kfk_producer_commit_transaction(p, KTXN_TIMEOUT_MS), KFK_OK);
    kfk_mock_reset_request_counts(mc);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, "a", NP, "committed", NP);
    ktxn_produce(p, "b", NP, "committed", NP);
    ck_assert_int_eq(kfk_producer_commit_transaction(p, KTXN_TIMEOUT_MS), KFK_OK);
    *produces = kfk_mock_request_count(mc, KFK_MOCK_API_PRODUCE);
    *adds = kfk_mock_request_count(mc, KFK_MOCK_API_ADD_PARTITIONS_TO_TXN);
    ck_assert_int_eq(rs->ok, 2 + 2 * NP);
    ck_assert_int_eq(rs->other, 0);
}

/* The second transaction's records all wait until the first one's markers
 * are written, then go in one Produce per broker (linger.ms covers them
 * all) that nothing refuses. */
static void next_transaction_waits(int version)
{
    ck_assert_int_eq(kfk_mock_set_transaction_version(mc, (int16_t)version), KFK_OK);
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(bs, "settle", &rs, true, linger);
    ck_assert_int_eq(kfk_mock_set_txn_marker_delay(mc, 50), KFK_OK);
    int64_t produces, adds;
    commit_two(p, &rs, &produces, &adds);
    ck_assert_int_le(produces, 3);
    ck_assert_int_eq(adds, version == 1 ? 1 : 0);
    ck_assert_int_ge(kfk_mock_request_count(mc, KFK_MOCK_API_DESCRIBE_TRANSACTIONS), 1);
    kfk_producer_destroy(p);
    expect_visible(2 + 2 * NP, 0);
}

START_TEST(test_the_next_transaction_waits_for_the_markers_v1)
{
    next_transaction_waits(1);
}
END_TEST

START_TEST(test_the_next_transaction_waits_for_the_markers_v2)
{
    next_transaction_waits(2);
}
END_TEST

START_TEST(test_without_describe_transactions_records_still_go)
{
    ck_assert_int_eq(kfk_mock_set_api_version_range(mc, KFK_MOCK_API_DESCRIBE_TRANSACTIONS, 0, -1),
                     KFK_OK);
    ktxn_reports rs = {0};
    kfk_producer *p = ktxn_producer(bs, "no-describe", &rs, true, linger);
    ck_assert_int_eq(kfk_mock_set_txn_marker_delay(mc, 50), KFK_OK);
    int64_t produces, adds;
    commit_two(p, &rs, &produces, &adds);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_DESCRIBE_TRANSACTIONS), 0);
    kfk_producer_destroy(p);
    expect_visible(2 + 2 * NP, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("producer_txn");
    TCase *tc = tcase_create("txn");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_version_1_adds_partitions_in_batches);
    tcase_add_test(tc, test_version_2_adds_partitions_through_produce);
    tcase_add_test(tc, test_coordinator_errors_are_retried_within_the_call);
    tcase_add_test(tc, test_a_timed_out_commit_is_taken_up_again);
    tcase_add_test(tc, test_a_refused_partition_makes_the_transaction_abortable);
    tcase_add_test(tc, test_a_sequence_error_aborts_and_bumps_the_epoch_v1);
    tcase_add_test(tc, test_a_sequence_error_aborts_and_bumps_the_epoch_v2);
    tcase_add_test(tc, test_an_unauthorized_transactional_id_is_fatal);
    tcase_add_test(tc, test_close_aborts_the_open_transaction);
    tcase_add_test(tc, test_the_next_transaction_waits_for_the_markers_v1);
    tcase_add_test(tc, test_the_next_transaction_waits_for_the_markers_v2);
    tcase_add_test(tc, test_without_describe_transactions_records_still_go);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
