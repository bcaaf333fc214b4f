/* The senders' sets of partitions with queued data (sender.c): a pull
 * visits only the partitions kicked to its sender (a new batch, a retry,
 * a settled partition) and those still holding data, and skips its visit
 * while nothing is due. Against the in-process mock, records spread
 * thinly over many partitions of several brokers must all arrive, once,
 * in each partition's order: through the linger timer, through flush
 * with a long linger, after retries, and after the leaders move while
 * records wait. */
#include "mt_conn.h"

#include <stdatomic.h>

#include "kfk.h"
#include "ktally.h"
#include "producer/producer_int.h"

#define N_PARTS 30
#define ROUNDS 8
#define N_RECS (N_PARTS * ROUNDS)

static kfk_producer *producer_for(kfk_mock_cluster *mc, ktally *t, const char *linger,
                                  const char *in_flight)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    const char *kv[] = {"bootstrap.servers",
                        kfk_mock_cluster_bootstrap(mc),
                        "linger.ms",
                        linger,
                        "max.in.flight.requests.per.connection",
                        in_flight,
                        "retry.backoff.ms",
                        "10",
                        NULL};
    for (const char **p = kv; p[0]; p += 2)
        ck_assert_msg(kfk_conf_set(conf, p[0], p[1], err, sizeof(err)) == 0, "%s", err);
    if (getenv("KFK_TEST_DEBUG")) kfk_conf_set(conf, "log.level", "debug", NULL, 0);
    kfk_conf_set_dr_cb(conf, ktally_on_report, t);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "kfk_producer_new: %s", err);
    return p;
}

static kfk_mock_cluster *cluster(void)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "sparse", N_PARTS, 1), KFK_OK);
    return mc;
}

/* Record i goes to partition i % N_PARTS: round-robin, one record per
 * partition per round. poll_between: serve reports after each round, so
 * rounds meet senders with empty sets as well as busy ones. */
static void produce_rounds(kfk_producer *p, int from_round, int to_round, bool poll_between)
{
    for (int r = from_round; r < to_round; r++) {
        for (int part = 0; part < N_PARTS; part++) {
            int i = r * N_PARTS + part;
            char value[32];
            int n = snprintf(value, sizeof(value), "record-%d", i);
            kfk_record rec = {
                .topic = "sparse", .partition = part, .value = value, .value_len = (size_t)n};
            kfk_err err = kfk_produce(p, &rec, (void *)(intptr_t)(i + 1));
            ck_assert_msg(err == KFK_OK, "produce %d: %s", i, kfk_err_str(err));
        }
        if (poll_between) kfk_producer_poll(p, 2);
    }
}

/* Serves reports until n have come, failing after 20 s. */
static void wait_reports(kfk_producer *p, ktally *t, int n)
{
    int64_t deadline = ktime_mono_ms() + 20000;
    while (atomic_load(&t->reports) < n) {
        ck_assert_msg(ktime_mono_ms() < deadline, "timed out: %d of %d reports",
                      atomic_load(&t->reports), n);
        kfk_producer_poll(p, 10);
    }
}

/* Rounds [0, rounds) each reported once, successfully, and each
 * partition's records at consecutive offsets from 0 in produce order. */
static void check_all(kfk_mock_cluster *mc, const ktally *t, int rounds)
{
    for (int part = 0; part < N_PARTS; part++) {
        for (int r = 0; r < rounds; r++) {
            int i = r * N_PARTS + part;
            ck_assert_msg(atomic_load(&t->times[i]) == 1, "record %d reported %d times", i,
                          atomic_load(&t->times[i]));
            ck_assert_msg(t->err[i] == KFK_OK, "record %d: %s", i, kfk_err_str(t->err[i]));
            ck_assert_int_eq(t->partition[i], part);
            ck_assert_msg(t->offset[i] == r, "record %d at offset %lld, expected %d", i,
                          (long long)t->offset[i], r);
        }
        int64_t hw = -1;
        ck_assert_int_eq(kfk_mock_partition_offsets(mc, "sparse", part, NULL, &hw), KFK_OK);
        ck_assert_int_eq(hw, rounds);
    }
}

/* linger.ms 5 and one request in flight per partition: the linger timer
 * and answers (which free in-flight room) drive the sends, with no flush
 * until every report has come. */
START_TEST(test_sparse_records_arrive_through_linger_and_answers)
{
    kfk_mock_cluster *mc = cluster();
    ktally *t = ktally_new(N_RECS);
    kfk_producer *p = producer_for(mc, t, "5", "1");
    produce_rounds(p, 0, ROUNDS, true);
    wait_reports(p, t, N_RECS);
    check_all(mc, t, ROUNDS);
    kfk_producer_destroy(p);
    ktally_destroy(t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* A linger far beyond the test: only flush sends, and it must find every
 * partition (the senders skip their visits while nothing is due). Then a
 * second lot after the sets emptied. */
START_TEST(test_flush_sends_records_a_long_linger_holds)
{
    kfk_mock_cluster *mc = cluster();
    ktally *t = ktally_new(N_RECS);
    kfk_producer *p = producer_for(mc, t, "600000", "5");
    produce_rounds(p, 0, ROUNDS / 2, false);
    ck_assert_int_eq(kfk_producer_flush(p, 20000), KFK_OK);
    ck_assert_int_eq(atomic_load(&t->reports), N_RECS / 2);
    produce_rounds(p, ROUNDS / 2, ROUNDS, false);
    ck_assert_int_eq(kfk_producer_flush(p, 20000), KFK_OK);
    ck_assert_int_eq(atomic_load(&t->reports), N_RECS);
    check_all(mc, t, ROUNDS);
    kfk_producer_destroy(p);
    ktally_destroy(t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Refused Produce requests: their batches go back to the queues (a retry
 * kicks the partition back into its sender's set) and arrive in order. */
START_TEST(test_retried_partitions_are_sent_again)
{
    kfk_mock_cluster *mc = cluster();
    ktally *t = ktally_new(N_RECS);
    kfk_producer *p = producer_for(mc, t, "5", "5");
    produce_rounds(p, 0, 1, false);
    wait_reports(p, t, N_PARTS); /* metadata and connections in place */
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 4, KFK_ERR_NOT_ENOUGH_REPLICAS),
                     KFK_OK);
    produce_rounds(p, 1, ROUNDS, true);
    wait_reports(p, t, N_RECS);
    check_all(mc, t, ROUNDS);
    kfk_producer_destroy(p);
    ktally_destroy(t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Every leader moves to the next broker while records wait out a long
 * linger: the old leaders refuse them, and the new leaders' senders must
 * take the partitions (routes rebuilt, retries kicked to them). */
START_TEST(test_records_follow_moved_leaders)
{
    kfk_mock_cluster *mc = cluster();
    ktally *t = ktally_new(N_RECS);
    kfk_producer *p = producer_for(mc, t, "600000", "5");
    produce_rounds(p, 0, 1, false);
    ck_assert_int_eq(kfk_producer_flush(p, 20000), KFK_OK);
    produce_rounds(p, 1, ROUNDS, false);
    for (int part = 0; part < N_PARTS; part++)
        ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "sparse", part, 1 + (part + 1) % 3),
                         KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 20000), KFK_OK);
    ck_assert_int_eq(atomic_load(&t->reports), N_RECS);
    check_all(mc, t, ROUNDS);
    kfk_producer_destroy(p);
    ktally_destroy(t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* How many of p's senders send to broker id, and how many were retired
 * and have let go of their connections (their broker reference, so that
 * it can retire) and partition arrays. */
static void count_senders(kfk_producer *p, int32_t id, int *live, int *retired)
{
    *live = *retired = 0;
    pthread_mutex_lock(&p->senders_lock);
    for (ksender *s = p->senders; s; s = s->next) {
        if (s->broker_id == id && !s->detached) (*live)++;
        if (s->broker_id == INT32_MIN && s->detached && !s->broker && !s->parts && !s->active)
            (*retired)++;
    }
    pthread_mutex_unlock(&p->senders_lock);
}

/* A broker that leaves the cluster takes its sender with it (the
 * partitions kicked to it go to their new leaders' senders); when it comes
 * back, a new sender serves it. Records flow throughout. */
START_TEST(test_departed_broker_sender_retires)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "sparse", N_PARTS, 3), KFK_OK);
    ktally *t = ktally_new(N_RECS);
    kfk_producer *p = producer_for(mc, t, "5", "5");
    produce_rounds(p, 0, 2, false);
    ck_assert_int_eq(kfk_producer_flush(p, 20000), KFK_OK);
    int live, retired;
    count_senders(p, 1, &live, &retired);
    ck_assert_int_eq(live, 1);
    ck_assert_int_eq(retired, 0);

    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, true), KFK_OK);
    produce_rounds(p, 2, 5, false);
    ck_assert_int_eq(kfk_producer_flush(p, 20000), KFK_OK);
    int64_t deadline = ktime_mono_ms() + 20000;
    for (count_senders(p, 1, &live, &retired); live || !retired;
         count_senders(p, 1, &live, &retired)) {
        ck_assert_msg(ktime_mono_ms() < deadline, "broker 1's sender: %d live, %d retired", live,
                      retired);
        kfk_producer_poll(p, 10);
    }

    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, false), KFK_OK);
    for (int part = 0; part < N_PARTS; part += 3)
        ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "sparse", part, 1), KFK_OK);
    produce_rounds(p, 5, ROUNDS, false);
    ck_assert_int_eq(kfk_producer_flush(p, 20000), KFK_OK);
    ck_assert_int_eq(atomic_load(&t->reports), N_RECS);
    count_senders(p, 1, &live, &retired);
    ck_assert_int_eq(live, 1);
    check_all(mc, t, ROUNDS);
    kfk_producer_destroy(p);
    ktally_destroy(t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static Suite *sender_set_suite(void)
{
    Suite *s = suite_create("producer_sender_set");
    TCase *tc = tcase_create("sparse partitions");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_sparse_records_arrive_through_linger_and_answers);
    tcase_add_test(tc, test_flush_sends_records_a_long_linger_holds);
    tcase_add_test(tc, test_retried_partitions_are_sent_again);
    tcase_add_test(tc, test_records_follow_moved_leaders);
    tcase_add_test(tc, test_departed_broker_sender_retires);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(sender_set_suite());
}
