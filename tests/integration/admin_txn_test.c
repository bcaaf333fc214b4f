/* Transactions seen through the admin client, against a cluster
 * (KFK_TEST_BOOTSTRAP): a kfk transactional producer's open transaction
 * is listed on its coordinator and described with its partitions; its
 * producer shows on the partition's leader with the transaction's first
 * offset; an abort the admin writes ends the transaction on that
 * partition: no open transaction shows there any more, and its records
 * stay aborted though the producer commits afterwards; filters and bad
 * arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "../common/ktxn.h"
#include "kfk.h"

#define TIMEOUT_MS 30000

static const kfk_admin_options opts = {.timeout_ms = TIMEOUT_MS};

/* A fresh topic of 2 partitions and a transactional producer with an open
 * transaction holding n records in each of them. */
typedef struct open_txn {
    char topic[128], id[160];
    ktxn_reports rs;
    kfk_producer *p;
} open_txn;

static void open_txn_start(open_txn *o, const char *what, int n)
{
    memset(o, 0, sizeof(*o));
    ktest_unique_topic(o->topic, sizeof(o->topic), what);
    snprintf(o->id, sizeof(o->id), "%s-txn", o->topic);
    kclus_create_topic(NULL, o->topic, 2, -1);
    o->p = ktxn_producer(NULL, o->id, &o->rs, true, (const char *const[]){"linger.ms", "0", NULL});
    /* A committed transaction first, of one record at offset 0 of
     * partition 0 (its marker at offset 1): with transaction version 2
     * (the clusters these tests run on) the commit bumps the epoch, so an
     * older one exists to be refused. */
    ck_assert_int_eq(kfk_producer_begin_transaction(o->p), KFK_OK);
    ktxn_produce(o->p, o->topic, 1, "c", 1);
    ck_assert_int_eq(kfk_producer_commit_transaction(o->p, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(kfk_producer_begin_transaction(o->p), KFK_OK);
    ktxn_produce(o->p, o->topic, 2, "h", 2 * n);
    ck_assert_int_eq(kfk_producer_flush(o->p, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(o->rs.ok, 1 + 2 * n);
}

static void open_txn_end(open_txn *o)
{
    kfk_producer_destroy(o->p);
    kclus_delete_topic(NULL, o->topic);
}

/* The entry for id in a listing; -1 when it is not there. */
static long find(const kfk_admin_result *r, const char *id)
{
    for (size_t i = 0; i < kfk_admin_result_count(r); i++)
        if (strcmp(kfk_admin_result_name(r, i), id) == 0) return (long)i;
    return -1;
}

START_TEST(test_open_transaction_is_listed_and_described)
{
    open_txn o;
    open_txn_start(&o, "adm-txn-list", 3);
    kfk_admin *a = kclus_admin(NULL);

    const char *ongoing[] = {"Ongoing"};
    kfk_transaction_filter f = {.states = ongoing, .n_states = 1};
    kfk_admin_result *r;
    ck_assert_int_eq(kfk_admin_list_transactions(a, &f, &opts, &r), KFK_OK);
    long i = find(r, o.id);
    ck_assert_int_ge(i, 0);
    ck_assert_str_eq(kfk_admin_result_transaction_state(r, (size_t)i), "Ongoing");
    int64_t pid = kfk_admin_result_transaction_producer_id(r, (size_t)i);
    ck_assert_int_ge(pid, 0);
    ck_assert_int_ge(kfk_admin_result_transaction_coordinator(r, (size_t)i), 0);
    ck_assert_int_eq(kfk_admin_result_producers_partition(r, (size_t)i), -1);
    ck_assert_uint_eq(kfk_admin_result_producer_count(r, (size_t)i), 0);
    kfk_admin_result_destroy(r);

    /* Only other states: not listed. A producer id filter and an id
     * pattern: listed alone. */
    const char *done[] = {"CompleteCommit", "CompleteAbort"};
    f = (kfk_transaction_filter){.states = done, .n_states = 2};
    ck_assert_int_eq(kfk_admin_list_transactions(a, &f, &opts, &r), KFK_OK);
    ck_assert_int_eq(find(r, o.id), -1);
    kfk_admin_result_destroy(r);
    char pattern[160];
    snprintf(pattern, sizeof(pattern), "%s.*", o.topic);
    f = (kfk_transaction_filter){
        .producer_ids = &pid, .n_producer_ids = 1, .transactional_id_pattern = pattern};
    ck_assert_int_eq(kfk_admin_list_transactions(a, &f, &opts, &r), KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_count(r), 1);
    ck_assert_str_eq(kfk_admin_result_name(r, 0), o.id);
    kfk_admin_result_destroy(r);

    const char *ids[] = {o.id, "kfk-it-no-such-transactional-id"};
    ck_assert_int_eq(kfk_admin_describe_transactions(a, ids, 2, &opts, &r),
                     KFK_ERR_TRANSACTIONAL_ID_NOT_FOUND);
    ck_assert_uint_eq(kfk_admin_result_count(r), 2);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_OK);
    ck_assert_str_eq(kfk_admin_result_transaction_state(r, 0), "Ongoing");
    ck_assert_int_eq(kfk_admin_result_transaction_producer_id(r, 0), pid);
    ck_assert_int_ge(kfk_admin_result_transaction_producer_epoch(r, 0), 0);
    ck_assert_int_gt(kfk_admin_result_transaction_start_ms(r, 0), 0);
    ck_assert_int_gt(kfk_admin_result_transaction_timeout_ms(r, 0), 0);
    const kfk_partition_list *parts = kfk_admin_result_transaction_partitions(r, 0);
    ck_assert_uint_eq(kfk_partition_list_count(parts), 2);
    ck_assert_int_ge(kfk_partition_list_find(parts, o.topic, 0), 0);
    ck_assert_int_ge(kfk_partition_list_find(parts, o.topic, 1), 0);
    ck_assert_int_eq(kfk_admin_result_error(r, 1), KFK_ERR_TRANSACTIONAL_ID_NOT_FOUND);
    ck_assert_ptr_null(kfk_admin_result_transaction_state(r, 1));
    ck_assert_ptr_null(kfk_admin_result_transaction_partitions(r, 1));
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "kfk-it-no-such-transactional-id"));
    kfk_admin_result_destroy(r);

    /* Committed: the coordinator completes it once the markers are written. */
    ck_assert_int_eq(kfk_producer_commit_transaction(o.p, TIMEOUT_MS), KFK_OK);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    bool complete = false;
    while (!complete && kclus_now_ms() < deadline) {
        ck_assert_int_eq(kfk_admin_describe_transactions(a, ids, 1, &opts, &r), KFK_OK);
        complete = strcmp(kfk_admin_result_transaction_state(r, 0), "CompleteCommit") == 0;
        if (complete)
            ck_assert_uint_eq(
                kfk_partition_list_count(kfk_admin_result_transaction_partitions(r, 0)), 0);
        kfk_admin_result_destroy(r);
        if (!complete) kclus_nap(50);
    }
    ck_assert(complete);
    kfk_admin_destroy(a);
    open_txn_end(&o);
}
END_TEST

/* The one producer of partition 0 with an open transaction. */
static const kfk_producer_state *open_producer(const kfk_admin_result *r)
{
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_OK);
    const kfk_producer_state *found = NULL;
    for (size_t j = 0; j < kfk_admin_result_producer_count(r, 0); j++) {
        const kfk_producer_state *s = kfk_admin_result_producer(r, 0, j);
        if (s->current_transaction_start_offset >= 0) found = s;
    }
    return found;
}

START_TEST(test_hanging_transaction_is_aborted_and_the_lso_moves)
{
    open_txn o;
    open_txn_start(&o, "adm-txn-abort", 4);
    kfk_admin *a = kclus_admin(NULL);
    kfk_partition_list *parts = kfk_partition_list_new(0);
    kfk_partition_list_add(parts, o.topic, 0);
    kfk_partition_list_add(parts, o.topic, 7); /* no such partition */
    kfk_admin_result *r;
    ck_assert_int_eq(kfk_admin_describe_producers(a, parts, &opts, &r),
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_uint_eq(kfk_admin_result_count(r), 2);
    ck_assert_str_eq(kfk_admin_result_name(r, 0), o.topic);
    ck_assert_int_eq(kfk_admin_result_producers_partition(r, 0), 0);
    ck_assert_int_eq(kfk_admin_result_producers_partition(r, 1), 7);
    ck_assert_int_eq(kfk_admin_result_error(r, 1), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    const kfk_producer_state *s = open_producer(r);
    ck_assert_ptr_nonnull(s);
    /* Another operation's accessors answer "none" on this result. */
    ck_assert_ptr_null(kfk_admin_result_transaction_state(r, 0));
    ck_assert_int_eq(kfk_admin_result_transaction_producer_id(r, 0), -1);
    ck_assert_int_eq(s->current_transaction_start_offset, 2);
    ck_assert_int_ge(s->last_sequence, 0);
    kfk_abort_transaction_spec spec = {
        .topic = o.topic,
        .partition = 0,
        .producer_id = s->producer_id,
        .producer_epoch = (int16_t)s->producer_epoch,
        .coordinator_epoch = s->coordinator_epoch,
    };
    kfk_admin_result_destroy(r);

    /* An older epoch is refused by the leader. */
    ck_assert_int_gt(spec.producer_epoch, 0);
    kfk_abort_transaction_spec stale = spec;
    stale.producer_epoch--;
    ck_assert_int_eq(kfk_admin_abort_transaction(a, &stale, &opts), KFK_ERR_INVALID_PRODUCER_EPOCH);
    ck_assert_int_eq(kfk_admin_abort_transaction(a, &spec, &opts), KFK_OK);

    kfk_partition_list *p0 = kfk_partition_list_new(0);
    kfk_partition_list_add(p0, o.topic, 0);
    ck_assert_int_eq(kfk_admin_describe_producers(a, p0, &opts, &r), KFK_OK);
    ck_assert_ptr_null(open_producer(r));
    kfk_admin_result_destroy(r);

    /* The producer's transaction is still open on partition 1; its
     * commit lets read_committed reach the end of both, where partition
     * 0's records stay aborted and partition 1's are committed. */
    ck_assert_int_eq(kfk_producer_commit_transaction(o.p, TIMEOUT_MS), KFK_OK);
    const char *topics[] = {o.topic};
    const char *tags[] = {"h"};
    int counts[1] = {0};
    ktxn_count_settled(NULL, topics, 1, 2, tags, counts, 1);
    ck_assert_int_eq(counts[0], 4); /* the 4 records of partition 1 */
    kfk_partition_list_destroy(p0);
    kfk_partition_list_destroy(parts);
    kfk_admin_destroy(a);
    open_txn_end(&o);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_admin_result *r = (void *)1;
    const char *bad[] = {"Running"};
    kfk_transaction_filter f = {.states = bad, .n_states = 1};
    ck_assert_int_eq(kfk_admin_list_transactions(a, &f, &opts, &r), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "filter->states[0] is \"Running\""));
    f = (kfk_transaction_filter){.reserved = {&f}};
    ck_assert_int_eq(kfk_admin_list_transactions(a, &f, &opts, &r), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_list_transactions(a, NULL, &opts, NULL), KFK_ERR_INVALID_ARG);
    const char *ids[] = {NULL};
    ck_assert_int_eq(kfk_admin_describe_transactions(a, ids, 1, &opts, &r), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_describe_producers(a, NULL, &opts, &r), KFK_ERR_INVALID_ARG);
    kfk_abort_transaction_spec spec = {.topic = "t", .partition = 0, .producer_id = -1};
    ck_assert_int_eq(kfk_admin_abort_transaction(a, &spec, &opts), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_admin_last_error(a),
                     "kfk_admin_abort_transaction: spec->producer_id is negative");
    /* A partition that does not exist fails at once, not at the deadline. */
    kfk_abort_transaction_spec nowhere = {.topic = "kfk-it-no-such-topic-for-abort",
                                          .producer_id = 1};
    ck_assert_int_eq(kfk_admin_abort_transaction(a, &nowhere, &opts),
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kfk_admin_options validate = {.flags = KFK_ADMIN_VALIDATE_ONLY};
    spec.producer_id = 1;
    ck_assert_int_eq(kfk_admin_abort_transaction(a, &spec, &validate), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_list_transactions(NULL, NULL, NULL, &r), KFK_ERR_INVALID_ARG);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *admin_txn_suite(void)
{
    Suite *s = suite_create("admin_txn");
    TCase *tc = tcase_create("transactions");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_open_transaction_is_listed_and_described);
    tcase_add_test(tc, test_hanging_transaction_is_aborted_and_the_lso_moves);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(admin_txn_suite());
}
