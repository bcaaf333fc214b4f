/* Interceptors and delivery reports against a cluster (the mock, and
 * real Kafka with KFK_TEST_BOOTSTRAP):
 *   - on_send sees every record kfk_produce took, on_acknowledgement
 *     every report with its error (purged records, a record refused by
 *     kfk_produce after on_send), two interceptors in the order added,
 *     and an interceptor's error changes nothing;
 *   - on_consume sees every consumed record before the application,
 *     on_commit every commit (synchronous and asynchronous) with the
 *     offsets and result;
 *   - a producer whose application polls reports only when kfk_produce
 *     says the buffer is full gets many times buffer.memory through, each
 *     record reported once, with the bytes counted staying bounded. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "kfk.h"

#define NPARTS 3
#define RECORDS 3000

typedef struct counts {
    int id;
    atomic_int sends, acks, acks_ok, acks_purged, acks_other, consumed, commits, commit_errs;
    atomic_int order_errors; /* a hook ran before the one added first */
    atomic_int *last;        /* the id of the interceptor that ran last */
    int64_t committed_sum;   /* offsets of the last commit, summed */
    int *seen;               /* per record id: how often on_consume saw it */
} counts;

static kfk_err on_send(void *opaque, kfk_producer *p, const kfk_record *rec)
{
    (void)p;
    counts *c = opaque;
    ck_assert(rec && rec->topic);
    atomic_fetch_add(&c->sends, 1);
    if (c->id == 2 && atomic_load(c->last) != 1) atomic_fetch_add(&c->order_errors, 1);
    atomic_store(c->last, c->id);
    return c->id == 2 ? KFK_ERR_STATE : KFK_OK; /* logged and ignored */
}

static kfk_err on_ack(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)p;
    counts *c = opaque;
    atomic_fetch_add(&c->acks, 1);
    if (r->err == KFK_OK)
        atomic_fetch_add(&c->acks_ok, 1);
    else if (r->err == KFK_ERR_PURGED)
        atomic_fetch_add(&c->acks_purged, 1);
    else
        atomic_fetch_add(&c->acks_other, 1);
    return KFK_OK;
}

static kfk_err on_consume(void *opaque, kfk_consumer *k, kfk_message *const *msgs, size_t n)
{
    (void)k;
    counts *c = opaque;
    for (size_t i = 0; i < n; i++) {
        if (kfk_message_error(msgs[i])) continue;
        int id = kclus_record_id(msgs[i]);
        ck_assert(id >= 0 && id < RECORDS);
        c->seen[id]++;
        atomic_fetch_add(&c->consumed, 1);
    }
    return KFK_OK;
}

static kfk_err on_commit(void *opaque, kfk_consumer *k, kfk_err err,
                         const kfk_partition_list *offsets)
{
    (void)k;
    counts *c = opaque;
    atomic_fetch_add(&c->commits, 1);
    if (err) atomic_fetch_add(&c->commit_errs, 1);
    int64_t sum = 0;
    for (size_t i = 0; i < kfk_partition_list_count(offsets); i++)
        sum += kfk_partition_list_offset(offsets, i);
    c->committed_sum = sum;
    return KFK_OK;
}

static atomic_int reports;
static void on_report(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)opaque;
    (void)p;
    (void)r;
    atomic_fetch_add(&reports, 1);
}

START_TEST(test_producer_hooks_count_sends_and_acknowledgements)
{
    char topic[160];
    ktest_unique_topic(topic, sizeof(topic), "icpt-p");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    atomic_int last = 0;
    counts a = {.id = 1, .last = &last}, b = {.id = 2, .last = &last};
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "max.block.ms", "2000");
    const kfk_interceptor ops = {.on_send = on_send, .on_acknowledgement = on_ack};
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, &ops, &a), KFK_OK);
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, &ops, &b), KFK_OK);
    kfk_interceptor bad = {.on_send = on_send, .reserved = {(void (*)(void))on_send}};
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, &bad, &a), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, &(kfk_interceptor){0}, &a),
                     KFK_ERR_INVALID_ARG);
    kfk_conf_set_dr_cb(conf, on_report, NULL);
    atomic_store(&reports, 0);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    for (int i = 0; i < RECORDS; i++) {
        kfk_record rec = {
            .topic = topic, .partition = KFK_PARTITION_ANY, .value = "v", .value_len = 1};
        ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
    }
    ck_assert_int_eq(kfk_producer_flush(p, 60000), KFK_OK);
    /* Refused after on_send: acknowledged with kfk_produce's error. */
    kfk_record bad_rec = {.topic = "", .partition = KFK_PARTITION_ANY};
    ck_assert_int_eq(kfk_produce(p, &bad_rec, NULL), KFK_ERR_INVALID_TOPIC_EXCEPTION);
    ck_assert_int_eq(atomic_load(&a.sends), RECORDS + 1);
    ck_assert_int_eq(atomic_load(&b.sends), RECORDS + 1);
    ck_assert_int_eq(atomic_load(&a.order_errors) + atomic_load(&b.order_errors), 0);
    ck_assert_int_eq(atomic_load(&a.acks_ok), RECORDS);
    ck_assert_int_eq(atomic_load(&a.acks_other), 1); /* the refused record */
    ck_assert_int_eq(atomic_load(&b.acks), RECORDS + 1);
    ck_assert_int_eq(atomic_load(&reports), RECORDS); /* no report for the refused one */
    kfk_producer_destroy(p);

    /* Purged records, and interceptors without a dr_cb: reports still
     * queue for the acknowledgements. */
    counts c = {.id = 1, .last = &last};
    conf = kclus_conf(NULL);
    kclus_set(conf, "linger.ms", "600000");
    kclus_set(conf, "batch.size", "1000000");
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, &ops, &c), KFK_OK);
    p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    for (int i = 0; i < 100; i++) {
        kfk_record rec = {.topic = topic, .partition = i % NPARTS, .value = "v", .value_len = 1};
        ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
    }
    ck_assert_int_eq(kfk_producer_purge(p), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    ck_assert_int_eq(atomic_load(&c.sends), 100);
    ck_assert_int_eq(atomic_load(&c.acks_purged), 100);
    ck_assert_int_eq(atomic_load(&c.acks), 100);
    kfk_producer_destroy(p);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static kfk_consumer *consumer_for(const char *group, counts *c)
{
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "enable.auto.commit", "false");
    kclus_set(conf, "auto.offset.reset", "earliest");
    kclus_set(conf, "fetch.max.wait.ms", "100");
    const kfk_interceptor ops = {.on_consume = on_consume, .on_commit = on_commit};
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, &ops, c), KFK_OK);
    char err[512];
    kfk_consumer *k = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(k != NULL, "%s", err);
    return k;
}

START_TEST(test_consumer_hooks_see_records_and_commits)
{
    char topic[160], group[160];
    ktest_unique_topic(topic, sizeof(topic), "icpt-c");
    ktest_unique_topic(group, sizeof(group), "icpt-g");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    kclus_produce(NULL, topic, NPARTS, 0, RECORDS);
    counts c = {.id = 1};
    c.seen = calloc(RECORDS, sizeof(int));
    kfk_consumer *k = consumer_for(group, &c);
    kfk_partition_list *l = kfk_partition_list_new(NPARTS);
    for (int i = 0; i < NPARTS; i++)
        kfk_partition_list_add(l, topic, i);
    ck_assert_int_eq(kfk_consumer_assign(k, l), KFK_OK);
    int got = 0;
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    kfk_message *msgs[100];
    while (got < RECORDS && kclus_now_ms() < deadline) {
        size_t n = kfk_consumer_poll_batch(k, msgs, 100, 200);
        for (size_t i = 0; i < n; i++) {
            if (!kfk_message_error(msgs[i])) {
                int id = kclus_record_id(msgs[i]);
                ck_assert_msg(c.seen[id] == 1, "record %d: on_consume saw it %d times", id,
                              c.seen[id]);
                got++;
            }
            kfk_message_release(msgs[i]);
        }
    }
    ck_assert_int_eq(got, RECORDS);
    ck_assert_int_eq(atomic_load(&c.consumed), RECORDS);
    /* A synchronous commit of the positions: the hook runs before it returns. */
    ck_assert_int_eq(kfk_consumer_commit(k, NULL, false), KFK_OK);
    ck_assert_int_eq(atomic_load(&c.commits), 1);
    ck_assert_int_eq(atomic_load(&c.commit_errs), 0);
    ck_assert_int_eq(c.committed_sum, RECORDS);
    /* An asynchronous one, of given offsets: the hook runs from poll. */
    for (int i = 0; i < NPARTS; i++)
        kfk_partition_list_set_offset(l, (size_t)i, 1);
    ck_assert_int_eq(kfk_consumer_commit(k, l, true), KFK_OK);
    deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    while (atomic_load(&c.commits) < 2 && kclus_now_ms() < deadline) {
        kfk_message *m = kfk_consumer_poll(k, 100);
        if (m) kfk_message_release(m);
    }
    ck_assert_int_eq(atomic_load(&c.commits), 2);
    ck_assert_int_eq(atomic_load(&c.commit_errs), 0);
    ck_assert_int_eq(c.committed_sum, NPARTS);
    kfk_partition_list_destroy(l);
    kfk_consumer_close(k, 10000);
    kfk_consumer_destroy(k);
    free(c.seen);
    kclus_delete_topic(NULL, topic);
}
END_TEST

/* The report data of batches open when reports filled buffer.memory may
 * go past it: a few batches of 100-byte records, 16 bytes each. */
#define SLACK (8 * 16384)

static atomic_int *slow_times;
static void count_report(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)opaque;
    (void)p;
    ck_assert_msg(r->err == KFK_OK, "%s", kfk_err_str(r->err));
    atomic_fetch_add(&slow_times[(intptr_t)r->opaque], 1);
}

START_TEST(test_slow_poller_keeps_reports_within_buffer_memory)
{
    char topic[160];
    ktest_unique_topic(topic, sizeof(topic), "icpt-slow");
    kclus_create_topic(NULL, topic, 1, -1);
    enum { N = 100000, MEM = 262144 }; /* ~40x buffer.memory of records */
    slow_times = calloc(N, sizeof(*slow_times));
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "buffer.memory", "262144");
    kclus_set(conf, "batch.size", "16384");
    kfk_conf_set_dr_cb(conf, count_report, NULL);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    char value[100];
    memset(value, 'x', sizeof(value));
    int64_t most = 0, polls = 0;
    for (int i = 0; i < N; i++) {
        kfk_record rec = {
            .topic = topic, .partition = 0, .value = value, .value_len = sizeof(value)};
        kfk_err e;
        while ((e = kfk_produce(p, &rec, (void *)(intptr_t)i)) == KFK_ERR_QUEUE_FULL) {
            kfk_producer_poll(p, 10); /* the slow poller: only when told */
            polls++;
        }
        ck_assert_msg(e == KFK_OK, "produce %d: %s", i, kfk_err_str(e));
        int64_t b = kfk_producer_buffered_bytes(p);
        if (b > most) most = b;
    }
    ck_assert_int_eq(kfk_producer_flush(p, 60000), KFK_OK);
    for (int i = 0; i < N; i++)
        ck_assert_msg(atomic_load(&slow_times[i]) == 1, "record %d: %d reports", i,
                      atomic_load(&slow_times[i]));
    ck_assert_msg(polls > 0, "the reports never filled buffer.memory");
    ck_assert_msg(most <= MEM + SLACK, "%lld bytes counted, buffer.memory %d", (long long)most,
                  MEM);
    ck_assert_int_eq(kfk_producer_buffered_bytes(p), 0);
    kfk_producer_destroy(p);
    free(slow_times);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *interceptor_suite(void)
{
    Suite *s = suite_create("interceptor");
    TCase *tc = tcase_create("interceptor");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_producer_hooks_count_sends_and_acknowledgements);
    tcase_add_test(tc, test_consumer_hooks_see_records_and_commits);
    tcase_add_test(tc, test_slow_poller_keeps_reports_within_buffer_memory);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(interceptor_suite());
}
