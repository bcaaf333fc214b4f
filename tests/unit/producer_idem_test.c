/* Idempotence recovery (KIP-360) against the in-process mock, when the
 * broker wrote a batch but its answer was lost: that batch may only ever
 * be sent again with the producer id, epoch and sequence it was written
 * with, or the broker takes it as new records. Two ways the producer used
 * to break that rule:
 *   - an epoch bump asked for by another partition (a real sequence gap
 *     there) renumbered every partition's unacknowledged batches;
 *   - a batch given up after delivery.timeout.ms (outcome unknown) bumped
 *     the epoch and renumbered the batches after it, which the broker had
 *     also written.
 * Each test counts the records in the mock's log: a duplicate shows up as
 * a high watermark above the records produced. */
#include "mock_util.h"

#include <stdatomic.h>

#include "kfk.h"

#define N_RECS 64

typedef struct tally {
    atomic_int times[N_RECS];
    int32_t partition[N_RECS];
    int64_t offset[N_RECS];
    kfk_err err[N_RECS];
    atomic_int reports;
} tally;

static void on_report(void *opaque, const kfk_delivery_report *r)
{
    tally *t = opaque;
    int i = (int)(intptr_t)r->opaque - 1;
    ck_assert(i >= 0 && i < N_RECS);
    atomic_fetch_add(&t->times[i], 1);
    t->partition[i] = r->partition;
    t->offset[i] = r->offset;
    t->err[i] = r->err;
    atomic_fetch_add(&t->reports, 1);
}

static kfk_producer *producer_for(kfk_mock_cluster *mc, tally *t, const char *delivery_timeout)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    const char *kv[] = {"bootstrap.servers",
                        kfk_mock_cluster_bootstrap(mc),
                        "linger.ms",
                        "1",
                        "retry.backoff.ms",
                        "10",
                        "request.timeout.ms",
                        "300",
                        "delivery.timeout.ms",
                        delivery_timeout,
                        NULL};
    for (const char **p = kv; p[0]; p += 2)
        ck_assert_msg(kfk_conf_set(conf, p[0], p[1], err, sizeof(err)) == 0, "%s", err);
    if (getenv("KFK_TEST_DEBUG")) kfk_conf_set(conf, "log.level", "debug", NULL, 0);
    kfk_conf_set_dr_cb(conf, on_report, t);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "kfk_producer_new: %s", err);
    return p;
}

/* Records [from, to) to partition part of topic. */
static void produce_range(kfk_producer *p, const char *topic, int32_t part, int from, int to)
{
    for (int i = from; i < to; i++) {
        char value[32];
        int n = snprintf(value, sizeof(value), "record-%d", i);
        kfk_record rec = {
            .topic = topic, .partition = part, .value = value, .value_len = (size_t)n};
        kfk_err err = kfk_produce(p, &rec, (void *)(intptr_t)(i + 1));
        ck_assert_msg(err == KFK_OK, "produce %d: %s", i, kfk_err_str(err));
    }
}

/* Serves reports until cond() holds, failing after 15 s. */
static void wait_until(kfk_producer *p, bool (*cond)(void *), void *arg, const char *what)
{
    int64_t deadline = ktime_mono_ms() + 15000;
    while (!cond(arg)) {
        ck_assert_msg(ktime_mono_ms() < deadline, "timed out waiting for %s", what);
        kfk_producer_poll(p, 10);
    }
}

typedef struct count_at_least {
    kfk_mock_cluster *mc;
    int32_t broker;
    int64_t n;
} count_at_least;

static bool produce_requests_reached(void *arg)
{
    count_at_least *c = arg;
    return kfk_mock_broker_request_count(c->mc, c->broker, KP_PRODUCE_KEY) >= c->n;
}

typedef struct reports_reached {
    tally *t;
    int n;
} reports_reached;

static bool reports_reached_n(void *arg)
{
    reports_reached *r = arg;
    return atomic_load(&r->t->reports) >= r->n;
}

static int64_t high_watermark(kfk_mock_cluster *mc, const char *topic, int32_t part)
{
    int64_t hw = -1;
    ck_assert_int_eq(kfk_mock_partition_offsets(mc, topic, part, NULL, &hw), KFK_OK);
    return hw;
}

/* Records [from, to) went to part, each reported once and successfully,
 * at consecutive offsets from first_offset. */
static void check_reports(const tally *t, int32_t part, int from, int to, int step,
                          int64_t first_offset)
{
    int64_t want = first_offset;
    for (int i = from; i < to; i += step) {
        ck_assert_msg(atomic_load(&t->times[i]) == 1, "record %d reported %d times", i,
                      atomic_load(&t->times[i]));
        ck_assert_msg(t->err[i] == KFK_OK, "record %d: %s", i, kfk_err_str(t->err[i]));
        ck_assert_int_eq(t->partition[i], part);
        ck_assert_msg(t->offset[i] == want, "record %d at offset %lld, expected %lld", i,
                      (long long)t->offset[i], (long long)want);
        want++;
    }
}

/* Partition 0 (leader: broker 1) has a batch written whose answer never
 * comes back in time; meanwhile partition 1 (broker 2) reports a real
 * sequence gap, which bumps the epoch. Partition 0's batch must be sent
 * again with its old epoch and sequence: the broker then knows it. */
START_TEST(test_lost_answer_is_not_renumbered_by_a_bump_elsewhere)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 3), KFK_OK);
    tally *t = calloc(1, sizeof(*t));
    kfk_producer *p = producer_for(mc, t, "30000");
    /* Records 0..19: even ones to partition 0, odd ones to 1. */
    for (int i = 0; i < 20; i++)
        produce_range(p, "t", i % 2, i, i + 1);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(high_watermark(mc, "t", 0), 10);

    int64_t sent = kfk_mock_broker_request_count(mc, 1, KP_PRODUCE_KEY);
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 1, 600), KFK_OK); /* written, answer late */
    ck_assert_int_eq(
        kfk_mock_broker_push_errors(mc, 2, KP_PRODUCE_KEY, 1, KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER),
        KFK_OK);
    for (int i = 20; i < 40; i++)
        produce_range(p, "t", i % 2, i, i + 1);
    /* The first attempt and one retry reached broker 1: the retry came
     * after the bump (it waited for the first attempt to time out). */
    count_at_least c = {mc, 1, sent + 2};
    wait_until(p, produce_requests_reached, &c, "a retry on broker 1");
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 1, 0), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);

    ck_assert_int_eq(high_watermark(mc, "t", 0), 20);
    ck_assert_int_eq(high_watermark(mc, "t", 1), 20);
    check_reports(t, 0, 0, 40, 2, 0);
    check_reports(t, 1, 1, 40, 2, 0);
    kfk_producer_destroy(p);
    free(t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Batch A is written but every answer is late until delivery.timeout.ms
 * gives it up; batch B, sent after it on the same partition, was written
 * too. B must go again as it was (the broker answers with its first
 * offsets), not renumbered in a new epoch. */
START_TEST(test_given_up_batch_with_unknown_outcome_renumbers_nothing)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    tally *t = calloc(1, sizeof(*t));
    kfk_producer *p = producer_for(mc, t, "4000");
    produce_range(p, "t", 0, 0, 10);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);

    int64_t sent = kfk_mock_broker_request_count(mc, 1, KP_PRODUCE_KEY);
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 1, 600), KFK_OK);
    produce_range(p, "t", 0, 10, 20); /* A */
    /* Three attempts of A timed out (each also waits for ApiVersions on
     * a new connection: about 1 s): B is created, and expires, well after
     * A. */
    count_at_least c = {mc, 1, sent + 3};
    wait_until(p, produce_requests_reached, &c, "A's retries");
    produce_range(p, "t", 0, 20, 30); /* B */
    reports_reached r = {t, 20};
    wait_until(p, reports_reached_n, &r, "A given up");
    for (int i = 10; i < 20; i++)
        ck_assert_msg(t->err[i] == KFK_ERR_TIMED_OUT, "record %d: %s", i, kfk_err_str(t->err[i]));
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 1, 0), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);

    ck_assert_int_eq(high_watermark(mc, "t", 0), 30); /* A once (unreported), B once */
    check_reports(t, 0, 0, 10, 1, 0);
    check_reports(t, 0, 20, 30, 1, 20);

    /* The partition settled: later records go on as usual. */
    produce_range(p, "t", 0, 30, 40);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    check_reports(t, 0, 30, 40, 1, 30);
    ck_assert_int_eq(high_watermark(mc, "t", 0), 40);
    kfk_producer_destroy(p);
    free(t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static Suite *idem_suite(void)
{
    Suite *s = suite_create("producer_idem");
    TCase *tc = tcase_create("lost answers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_lost_answer_is_not_renumbered_by_a_bump_elsewhere);
    tcase_add_test(tc, test_given_up_batch_with_unknown_outcome_renumbers_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(idem_suite());
}
