/* The share consumer (KIP-932) against a cluster (KFK_TEST_BOOTSTRAP: the
 * mock, then real Kafka): four members of one share group on a
 * 2-partition topic all get records and, accepting everything, process
 * each record exactly once; released records come back with delivery
 * count 2; rejected ones never come back; explicit mode refuses a poll
 * while records are unacknowledged (and RENEW is refused); the
 * acknowledgement callback reports the offsets committed.
 *
 * A new share group starts at the log's end (share.auto.offset.reset
 * latest), from when its partitions are first fetched. So each test first
 * produces probe records until its members have seen one from every
 * partition, and only then the records it counts. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "kclus.h"
#include "kfk.h"

#define TIMEOUT_MS 60000
#define PROBE_BASE 1000000

static kfk_share_consumer *share_new(const char *group, bool explicit_mode, int max_records,
                                     kfk_share_ack_cb *cb, void *opaque)
{
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "share.acknowledgement.mode", explicit_mode ? "explicit" : "implicit");
    char n[16];
    snprintf(n, sizeof(n), "%d", max_records);
    kclus_set(conf, "max.poll.records", n);
    if (cb) kfk_conf_set_share_ack_cb(conf, cb, opaque);
    char err[256];
    kfk_share_consumer *sc = kfk_share_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(sc, "kfk_share_consumer_new: %s", err);
    return sc;
}

static void subscribe(kfk_share_consumer *sc, const char *topic)
{
    const char *topics[] = {topic};
    ck_assert_int_eq(kfk_share_consumer_subscribe(sc, topics, 1), KFK_OK);
}

/* Polls sc once; a probe is acknowledged (explicit mode) and released,
 * and NULL returned in its place; *probed gets its partition's bit. */
static kfk_message *poll_one(kfk_share_consumer *sc, int timeout_ms, bool explicit_mode,
                             unsigned *probed)
{
    kfk_message *m = kfk_share_consumer_poll(sc, timeout_ms);
    if (!m) {
        kfk_err err = kfk_share_consumer_poll_error(sc);
        ck_assert_msg(err == KFK_OK, "poll: %s: %s", kfk_err_name(err),
                      kfk_share_consumer_last_error(sc));
        return NULL;
    }
    ck_assert_int_eq(kfk_message_error(m), KFK_OK);
    if (kclus_record_id(m) < PROBE_BASE) return m;
    if (probed) *probed |= 1u << kfk_message_partition(m);
    if (explicit_mode)
        ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
    kfk_message_release(m);
    return NULL;
}

/* Produces probes until the members saw one from each of the topic's
 * partitions: the group's share-partitions exist from then on. */
static void await_fetching(kfk_share_consumer **scs, int n, bool explicit_mode, const char *topic,
                           int32_t partitions)
{
    unsigned probed = 0, all = (1u << partitions) - 1;
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    for (int round = 0; probed != all; round++) {
        ck_assert_msg(kclus_now_ms() < end, "no probe came back from partitions 0x%x",
                      ~probed & all);
        kclus_produce(NULL, topic, partitions, PROBE_BASE + round * partitions, partitions);
        for (int i = 0; i < n; i++) {
            kfk_message *m = poll_one(scs[i], 200, explicit_mode, &probed);
            ck_assert_msg(!m, "a counted record before any was produced");
        }
    }
}

START_TEST(test_four_members_each_get_records_each_processed_once)
{
    enum { MEMBERS = 4, PARTS = 2, MAX_RECORDS = 5, PER_ROUND = 10 };
    char topic[128], group[160];
    ktest_unique_topic(topic, sizeof(topic), "share4");
    snprintf(group, sizeof(group), "%s-g", topic);
    kclus_create_topic(NULL, topic, PARTS, -1);
    kfk_share_consumer *scs[MEMBERS];
    for (int i = 0; i < MEMBERS; i++) {
        scs[i] = share_new(group, false, MAX_RECORDS, NULL, NULL);
        subscribe(scs[i], topic);
    }
    await_fetching(scs, MEMBERS, false, topic, PARTS);

    /* Rounds of small batches (a share fetch acquires whole batches),
     * until every member got records; then drain. */
    enum { MAX_IDS = 100000 };
    int *seen = calloc(MAX_IDS, sizeof(int));
    int got[MEMBERS] = {0}, produced = 0, distinct = 0;
    int64_t end = kclus_now_ms() + 2 * TIMEOUT_MS;
    bool all_got = false;
    int round = 0;
    while (!all_got || distinct < produced) {
        ck_assert_msg(kclus_now_ms() < end, "members got %d %d %d %d; %d of %d records", got[0],
                      got[1], got[2], got[3], distinct, produced);
        if (!all_got && produced + PER_ROUND < MAX_IDS) {
            kclus_produce(NULL, topic, PARTS, produced, PER_ROUND);
            produced += PER_ROUND;
        }
        /* Which of two parked fetches of a partition an append serves is
         * the broker's choice (the mock: the last parked); the order
         * turns so that it is not always the same member. */
        round++;
        for (int j = 0; j < MEMBERS; j++) {
            int i = (j + round) % MEMBERS;
            kfk_message *m;
            while ((m = poll_one(scs[i], 50, false, NULL))) {
                int id = kclus_record_id(m);
                ck_assert_msg(id >= 0 && id < produced, "record id %d", id);
                ck_assert_int_eq(kfk_message_delivery_count(m), 1);
                if (seen[id]++ == 0) distinct++;
                got[i]++;
                kfk_message_release(m);
            }
        }
        all_got = got[0] && got[1] && got[2] && got[3];
    }
    for (int i = 0; i < MEMBERS; i++)
        ck_assert_int_eq(kfk_share_consumer_commit_sync(scs[i], TIMEOUT_MS), KFK_OK);
    for (int id = 0; id < produced; id++)
        ck_assert_msg(seen[id] == 1, "record %d processed %d times", id, seen[id]);
    /* Nothing comes again: every record was accepted. */
    for (int i = 0; i < MEMBERS; i++) {
        kfk_message *m = poll_one(scs[i], 300, false, NULL);
        ck_assert_msg(!m, "record %d came again", m ? kclus_record_id(m) : -1);
    }
    for (int i = 0; i < MEMBERS; i++) {
        ck_assert_int_eq(kfk_share_consumer_close(scs[i], TIMEOUT_MS), KFK_OK);
        kfk_share_consumer_destroy(scs[i]);
    }
    fprintf(stderr, "share4: %d records; members got %d %d %d %d\n", produced, got[0], got[1],
            got[2], got[3]);
    free(seen);
    kclus_delete_topic(NULL, topic);
}
END_TEST

/* One explicit member on a 1-partition topic with its probe done. */
static kfk_share_consumer *explicit_member(char *topic, size_t n, const char *what,
                                           kfk_share_ack_cb *cb, void *opaque)
{
    char group[160];
    ktest_unique_topic(topic, n, what);
    snprintf(group, sizeof(group), "%s-g", topic);
    kclus_create_topic(NULL, topic, 1, -1);
    kfk_share_consumer *sc = share_new(group, true, 500, cb, opaque);
    subscribe(sc, topic);
    await_fetching(&sc, 1, true, topic, 1);
    return sc;
}

/* Polls until a counted record comes (asserting it does in time). */
static kfk_message *next_counted(kfk_share_consumer *sc)
{
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    for (;;) {
        ck_assert_msg(kclus_now_ms() < end, "no record came");
        kfk_message *m = poll_one(sc, 500, true, NULL);
        if (m) return m;
    }
}

START_TEST(test_released_records_come_back_with_delivery_count_2)
{
    enum { N = 10 };
    char topic[128];
    kfk_share_consumer *sc = explicit_member(topic, sizeof(topic), "sharerel", NULL, NULL);
    kclus_produce(NULL, topic, 1, 0, N);
    int count[N] = {0}, second = 0;
    while (second < N) {
        kfk_message *m = next_counted(sc);
        int id = kclus_record_id(m);
        ck_assert_msg(id >= 0 && id < N, "record id %d", id);
        int16_t dc = kfk_message_delivery_count(m);
        count[id]++;
        if (count[id] == 1) {
            ck_assert_int_eq(dc, 1);
            ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_RELEASE), KFK_OK);
        } else {
            ck_assert_msg(count[id] == 2, "record %d delivered %d times", id, count[id]);
            ck_assert_int_eq(dc, 2);
            ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
            second++;
        }
        kfk_message_release(m);
    }
    ck_assert_int_eq(kfk_share_consumer_commit_sync(sc, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(kfk_share_consumer_close(sc, TIMEOUT_MS), KFK_OK);
    kfk_share_consumer_destroy(sc);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_rejected_records_never_come_back)
{
    enum { N = 10 };
    char topic[128];
    kfk_share_consumer *sc = explicit_member(topic, sizeof(topic), "sharerej", NULL, NULL);
    kclus_produce(NULL, topic, 1, 0, N);
    for (int got = 0; got < N; got++) {
        kfk_message *m = next_counted(sc);
        int id = kclus_record_id(m);
        ck_assert_msg(id >= 0 && id < N, "record id %d", id);
        ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_REJECT), KFK_OK);
        kfk_message_release(m);
    }
    ck_assert_int_eq(kfk_share_consumer_commit_sync(sc, TIMEOUT_MS), KFK_OK);
    /* Records after them: a rejected one made available again would come
     * first (a share-partition hands out its lowest offsets first). */
    kclus_produce(NULL, topic, 1, N, N);
    for (int got = 0; got < N; got++) {
        kfk_message *m = next_counted(sc);
        int id = kclus_record_id(m);
        ck_assert_msg(id >= N && id < 2 * N, "record %d came back after REJECT", id);
        ck_assert_int_eq(kfk_message_delivery_count(m), 1);
        ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
        kfk_message_release(m);
    }
    ck_assert_int_eq(kfk_share_consumer_close(sc, TIMEOUT_MS), KFK_OK);
    kfk_share_consumer_destroy(sc);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_explicit_mode_refuses_a_poll_with_records_unacknowledged)
{
    char topic[128];
    kfk_share_consumer *sc = explicit_member(topic, sizeof(topic), "shareexp", NULL, NULL);
    kclus_produce(NULL, topic, 1, 0, 2);
    kfk_message *m = next_counted(sc);
    ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_RENEW),
                     KFK_ERR_UNSUPPORTED);
    ck_assert_ptr_null(kfk_share_consumer_poll(sc, 0));
    ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_ERR_STATE);
    ck_assert_msg(strstr(kfk_share_consumer_last_error(sc), "not acknowledged"), "%s",
                  kfk_share_consumer_last_error(sc));
    ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
    kfk_message_release(m);
    m = next_counted(sc); /* allowed now */
    ck_assert_int_eq(kclus_record_id(m), 1);
    ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
    /* Its acknowledgement goes with the next poll: a second one is late. */
    ck_assert_ptr_null(kfk_share_consumer_poll(sc, 0));
    ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_OK);
    ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_REJECT), KFK_ERR_STATE);
    kfk_message_release(m);
    ck_assert_int_eq(kfk_share_consumer_close(sc, TIMEOUT_MS), KFK_OK);
    ck_assert_ptr_null(kfk_share_consumer_poll(sc, 0));
    kfk_share_consumer_destroy(sc);
    kclus_delete_topic(NULL, topic);
}
END_TEST

typedef struct acked {
    int64_t offsets[64];
    int n;
    kfk_err err;
    int calls;
} acked;

static void on_ack(void *opaque, kfk_share_consumer *sc, const char *topic, int32_t partition,
                   const int64_t *offsets, size_t n, kfk_err err)
{
    (void)sc;
    (void)topic;
    acked *a = opaque;
    ck_assert_int_eq(partition, 0);
    a->calls++;
    if (err) a->err = err;
    for (size_t i = 0; i < n && a->n < 64; i++)
        a->offsets[a->n++] = offsets[i];
}

START_TEST(test_ack_callback_reports_the_offsets_committed)
{
    enum { N = 5 };
    char topic[128];
    acked a = {0};
    kfk_share_consumer *sc = explicit_member(topic, sizeof(topic), "sharecb", on_ack, &a);
    ck_assert_int_eq(kfk_share_consumer_commit_sync(sc, TIMEOUT_MS), KFK_OK);
    a = (acked){0}; /* the probes' */
    kclus_produce(NULL, topic, 1, 0, N);
    int64_t offsets[N];
    for (int got = 0; got < N; got++) {
        kfk_message *m = next_counted(sc);
        offsets[got] = kfk_message_offset(m);
        ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
        kfk_message_release(m);
        if (got == 1) ck_assert_int_eq(kfk_share_consumer_commit_async(sc), KFK_OK);
    }
    ck_assert_int_eq(kfk_share_consumer_commit_sync(sc, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(a.err, KFK_OK);
    /* Each record's offset, once (late probes may be reported too). */
    for (int i = 0; i < N; i++) {
        int times = 0;
        for (int k = 0; k < a.n; k++)
            times += a.offsets[k] == offsets[i];
        ck_assert_msg(times == 1, "offset %lld reported %d times", (long long)offsets[i], times);
    }
    ck_assert_int_ge(a.calls, 2); /* the async commit's, then the sync one's */
    ck_assert_int_eq(kfk_share_consumer_close(sc, TIMEOUT_MS), KFK_OK);
    kfk_share_consumer_destroy(sc);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    char err[256];
    kfk_conf *conf = kclus_conf(NULL);
    ck_assert_ptr_null(kfk_share_consumer_new(conf, err, sizeof(err)));
    ck_assert_msg(strstr(err, "group.id"), "%s", err);
    conf = kclus_conf(NULL);
    kclus_set(conf, "group.id", "g");
    kclus_set(conf, "enable.auto.commit", "false");
    ck_assert_ptr_null(kfk_share_consumer_new(conf, err, sizeof(err)));
    ck_assert_msg(strstr(err, "enable.auto.commit does not apply"), "%s", err);
    conf = kfk_conf_new();
    ck_assert_int_ne(
        kfk_conf_set(conf, "share.acknowledgement.mode", "sometimes", err, sizeof(err)), KFK_OK);
    kfk_conf_destroy(conf);
    ck_assert_ptr_null(kfk_share_consumer_poll(NULL, 0));
    ck_assert_int_eq(kfk_share_consumer_subscribe(NULL, NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_message_delivery_count(NULL), 0);
    kfk_share_consumer_destroy(NULL);
}
END_TEST

static Suite *share_consumer_suite(void)
{
    Suite *s = suite_create("share_consumer");
    TCase *tc = tcase_create("share");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    tcase_add_test(tc, test_explicit_mode_refuses_a_poll_with_records_unacknowledged);
    tcase_add_test(tc, test_ack_callback_reports_the_offsets_committed);
    tcase_add_test(tc, test_released_records_come_back_with_delivery_count_2);
    tcase_add_test(tc, test_rejected_records_never_come_back);
    tcase_add_test(tc, test_four_members_each_get_records_each_processed_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(share_consumer_suite());
}
