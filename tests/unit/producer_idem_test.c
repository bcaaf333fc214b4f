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
#include "mt_conn.h"

#include <stdatomic.h>

#include "kfk.h"
#include "ktally.h"

#define N_RECS 64

static kfk_producer *producer_for(kfk_mock_cluster *mc, ktally *t, const char *delivery_timeout)
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
    kfk_conf_set_dr_cb(conf, ktally_on_report, t);
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
    return kfk_mock_broker_request_count(c->mc, c->broker, KFK_MOCK_API_PRODUCE) >= c->n;
}

typedef struct reports_reached {
    ktally *t;
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
static void check_reports(const ktally *t, int32_t part, int from, int to, int step,
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
    ktally *t = ktally_new(N_RECS);
    kfk_producer *p = producer_for(mc, t, "30000");
    /* Records 0..19: even ones to partition 0, odd ones to 1. */
    for (int i = 0; i < 20; i++)
        produce_range(p, "t", i % 2, i, i + 1);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(high_watermark(mc, "t", 0), 10);

    int64_t sent = kfk_mock_broker_request_count(mc, 1, KFK_MOCK_API_PRODUCE);
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 1, 600), KFK_OK); /* written, answer late */
    ck_assert_int_eq(kfk_mock_broker_push_errors(mc, 2, KFK_MOCK_API_PRODUCE, 1,
                                                 KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER),
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
    ktally_destroy(t);
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
    ktally *t = ktally_new(N_RECS);
    kfk_producer *p = producer_for(mc, t, "4000");
    produce_range(p, "t", 0, 0, 10);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);

    int64_t sent = kfk_mock_broker_request_count(mc, 1, KFK_MOCK_API_PRODUCE);
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
    ktally_destroy(t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* --- epoch exhaustion ------------------------------------------------------------------ */

/* A partition's log as the broker holds it: per record, its value's
 * number and its batch's producer id, epoch and (record) sequence. */
typedef struct logged {
    int n;
    int rec[N_RECS];
    int64_t pid[N_RECS];
    int16_t epoch[N_RECS];
    int32_t seq[N_RECS];
} logged;

static void read_log(kfk_mock_cluster *mc, const char *topic, int32_t part, int32_t leader,
                     logged *out)
{
    memset(out, 0, sizeof(*out));
    kuuid id = mt_topic_id(mc, topic);
    mt_conn c;
    mt_open(&c, mc, leader);
    mt_fetch f;
    mt_fetch_init(&f, topic, id, part, 0, 0);
    kp_fetch_response resp;
    mt_call(&c, KP_FETCH_KEY, 16, &f.req, &resp);
    ck_assert_int_eq(resp.responses[0].partitions[0].error_code, 0);
    kslice records = resp.responses[0].partitions[0].records;
    kbuf scratch = {0};
    kbatch_read_opts opts = {.start_offset = 0, .check_crcs = true};
    krecords_iter it;
    krecords_iter_init(&it, records.ptr, records.len, &opts, &scratch);
    krecord rec;
    const kbatch *b;
    while (krecords_iter_next(&it, &rec, &b)) {
        ck_assert_int_lt(out->n, N_RECS);
        ck_assert_int_eq(rec.offset, out->n); /* the log has no holes */
        char value[32] = {0};
        memcpy(value, rec.value.ptr, rec.value.len < 31 ? rec.value.len : 31);
        ck_assert_msg(sscanf(value, "record-%d", &out->rec[out->n]) == 1, "value %s", value);
        out->pid[out->n] = b->producer_id;
        out->epoch[out->n] = b->producer_epoch;
        out->seq[out->n] = b->base_sequence + (int32_t)(rec.offset - b->base_offset);
        out->n++;
    }
    ck_assert_msg(it.err == KFK_OK, "records: %s", kfk_err_str(it.err));
    kbuf_free(&scratch);
    mt_close(&c);
}

/* Log records [from, to) hold records first, first + step, ... under
 * producer id pid and epoch, at sequences from seq0 on. */
static void check_logged(const logged *l, int from, int to, int first, int step, int64_t pid,
                         int16_t epoch, int32_t seq0)
{
    ck_assert_int_le(to, l->n);
    for (int i = from; i < to; i++) {
        ck_assert_msg(l->rec[i] == first + (i - from) * step, "offset %d holds record %d", i,
                      l->rec[i]);
        ck_assert_msg(l->pid[i] == pid && l->epoch[i] == epoch,
                      "offset %d: producer id %lld epoch %d, expected %lld epoch %d", i,
                      (long long)l->pid[i], l->epoch[i], (long long)pid, epoch);
        ck_assert_msg(l->seq[i] == seq0 + (i - from), "offset %d: sequence %d, expected %d", i,
                      l->seq[i], seq0 + (i - from));
    }
}

static int64_t init_pid_requests(kfk_mock_cluster *mc)
{
    return kfk_mock_request_count(mc, KFK_MOCK_API_INIT_PRODUCER_ID);
}

/* A gap at epoch 32766 bumps locally to 32767 (no request); the next gap
 * finds the epoch exhausted (Short.MAX_VALUE): the producer asks for a
 * new producer id, as Java does, and goes on under it from sequence 0
 * rather than wrapping to epoch 0, which the broker would refuse. */
START_TEST(test_exhausted_epoch_gets_a_new_producer_id)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_set_next_producer_epoch(mc, -1), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_mock_set_next_producer_epoch(mc, INT16_MAX - 1), KFK_OK);
    ktally *t = ktally_new(N_RECS);
    kfk_producer *p = producer_for(mc, t, "30000");
    produce_range(p, "t", 0, 0, 10);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(init_pid_requests(mc), 1);

    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 1, KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER),
        KFK_OK);
    produce_range(p, "t", 0, 10, 20);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(init_pid_requests(mc), 1); /* 32766 -> 32767 is local */

    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_PRODUCE, 1, KFK_ERR_UNKNOWN_PRODUCER_ID),
                     KFK_OK);
    produce_range(p, "t", 0, 20, 30);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(init_pid_requests(mc), 2);
    produce_range(p, "t", 0, 30, 40);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(init_pid_requests(mc), 2);

    check_reports(t, 0, 0, 40, 1, 0);
    ck_assert_int_eq(high_watermark(mc, "t", 0), 40);
    logged *l = calloc(1, sizeof(*l));
    read_log(mc, "t", 0, 1, l);
    ck_assert_int_eq(l->n, 40);
    int64_t first = l->pid[0];
    check_logged(l, 0, 10, 0, 1, first, INT16_MAX - 1, 0);
    check_logged(l, 10, 20, 10, 1, first, INT16_MAX, 0);
    ck_assert_int_ne(l->pid[20], first);
    check_logged(l, 20, 40, 20, 1, l->pid[20], 0, 0);
    kfk_producer_destroy(p);
    free(l);
    ktally_destroy(t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Partition 1 (broker 2) reports a real gap at epoch 32767 while
 * partition 0's batch (broker 1) was written but its answer is lost. The
 * new producer id renumbers partition 1 only: partition 0's batch goes
 * again with the old id, epoch and sequence (the broker knows it: no
 * duplicate), and only its later batches move to the new id, from 0. */
START_TEST(test_new_producer_id_renumbers_only_the_partition_with_the_gap)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 3), KFK_OK);
    ck_assert_int_eq(kfk_mock_set_next_producer_epoch(mc, INT16_MAX), KFK_OK);
    ktally *t = ktally_new(N_RECS);
    kfk_producer *p = producer_for(mc, t, "30000");
    for (int i = 0; i < 20; i++)
        produce_range(p, "t", i % 2, i, i + 1);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);

    int64_t sent = kfk_mock_broker_request_count(mc, 1, KFK_MOCK_API_PRODUCE);
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 1, 600), KFK_OK); /* written, answer late */
    for (int i = 20; i < 40; i += 2)
        produce_range(p, "t", 0, i, i + 1);
    count_at_least c = {mc, 1, sent + 1};
    wait_until(p, produce_requests_reached, &c, "partition 0's batch on broker 1");
    ck_assert_int_eq(kfk_mock_broker_push_errors(mc, 2, KFK_MOCK_API_PRODUCE, 1,
                                                 KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER),
                     KFK_OK);
    for (int i = 21; i < 40; i += 2)
        produce_range(p, "t", 1, i, i + 1);
    c.n = sent + 2; /* a retry, after the new producer id */
    wait_until(p, produce_requests_reached, &c, "a retry on broker 1");
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 1, 0), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    produce_range(p, "t", 0, 40, 42);
    produce_range(p, "t", 1, 42, 44);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    /* At least one more: sent to the slow broker 1, it times out and goes
     * to another broker. */
    ck_assert_int_ge(init_pid_requests(mc), 2);

    ck_assert_int_eq(high_watermark(mc, "t", 0), 22);
    ck_assert_int_eq(high_watermark(mc, "t", 1), 22);
    check_reports(t, 0, 0, 40, 2, 0);
    check_reports(t, 1, 1, 40, 2, 0);
    check_reports(t, 0, 40, 42, 1, 20);
    check_reports(t, 1, 42, 44, 1, 20);
    logged *l = calloc(1, sizeof(*l));
    read_log(mc, "t", 1, 2, l);
    int64_t old = l->pid[0];
    check_logged(l, 0, 10, 1, 2, old, INT16_MAX, 0);
    int64_t renewed = l->pid[10];
    ck_assert_int_ne(renewed, old);
    check_logged(l, 10, 20, 21, 2, renewed, 0, 0);
    check_logged(l, 20, 22, 42, 1, renewed, 0, 10);

    read_log(mc, "t", 0, 1, l);
    ck_assert_int_eq(l->n, 22);
    /* Records 0..38 (even) in order, once each; the lost answer's batch
     * (record 20 on) kept the old id; whatever came after it under the
     * new id starts at sequence 0. */
    int split = 10;
    while (split < 20 && l->pid[split] == old)
        split++;
    ck_assert_int_gt(split, 10);
    check_logged(l, 0, split, 0, 2, old, INT16_MAX, 0);
    check_logged(l, split, 20, 2 * split, 2, renewed, 0, 0);
    check_logged(l, 20, 22, 40, 1, renewed, 0, 20 - split);
    kfk_producer_destroy(p);
    free(l);
    ktally_destroy(t);
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
    tc = tcase_create("epoch exhaustion");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_exhausted_epoch_gets_a_new_producer_id);
    tcase_add_test(tc, test_new_producer_id_renumbers_only_the_partition_with_the_gap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(idem_suite());
}
