/* The share consumer (KIP-932) against a cluster (KFK_TEST_BOOTSTRAP: the
 * mock, then real Kafka): four members of one share group on a
 * 2-partition topic all get records and, accepting everything, process
 * each record exactly once; released records come back with delivery
 * count 2; rejected ones never come back; explicit mode refuses a poll
 * while records are unacknowledged; the acknowledgement callback reports
 * the offsets committed; poll_batch hands out at most its max, in offset
 * order per partition, and the next call accepts the batch; a record
 * renewed (KIP-1222) before its lock passes stays with its member past
 * that time, and released then comes to another member with delivery
 * count 2 (renewals are no deliveries), which accepts it.
 *
 * The renewal test needs a short acquisition lock: against the mock it
 * runs its own in-process cluster (kfk_mock_set_share_record_lock_duration);
 * against real Kafka it sets the group config share.record.lock.duration.ms
 * (the brokers' group.share.min.record.lock.duration.ms must allow 1000).
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
#include "kfk_mock.h"

#define TIMEOUT_MS 60000
#define PROBE_BASE 1000000

/* The cluster the helpers use: NULL (KFK_TEST_BOOTSTRAP) but while a test
 * runs its own mock. */
static const char *bs;

static kfk_share_consumer *share_new(const char *group, bool explicit_mode, int max_records,
                                     kfk_share_ack_cb *cb, void *opaque)
{
    kfk_conf *conf = kclus_conf(bs);
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
        kclus_produce(bs, topic, partitions, PROBE_BASE + round * partitions, partitions);
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

/* --- poll_batch ------------------------------------------------------------------------ */

typedef struct tp_offset {
    int32_t partition;
    int64_t offset;
} tp_offset;

/* The offsets the acknowledgement callback reported, with KFK_OK or not. */
typedef struct reported {
    tp_offset v[256];
    int n;
    kfk_err err;
} reported;

static void on_report(void *opaque, kfk_share_consumer *sc, const char *topic, int32_t partition,
                      const int64_t *offsets, size_t n, kfk_err err)
{
    (void)sc;
    (void)topic;
    reported *r = opaque;
    if (err) r->err = err;
    for (size_t i = 0; i < n && r->n < 256; i++)
        r->v[r->n++] = (tp_offset){partition, offsets[i]};
}

static int times_reported(const reported *r, tp_offset t)
{
    int k = 0;
    for (int i = 0; i < r->n; i++)
        k += r->v[i].partition == t.partition && r->v[i].offset == t.offset;
    return k;
}

START_TEST(test_poll_batch_hands_out_at_most_max_in_order_and_the_next_call_accepts)
{
    enum { PARTS = 2, N = 40, MAX = 7 };
    char topic[128], group[160];
    ktest_unique_topic(topic, sizeof(topic), "sharebatch");
    snprintf(group, sizeof(group), "%s-g", topic);
    kclus_create_topic(NULL, topic, PARTS, -1);
    reported rep = {0};
    kfk_share_consumer *sc = share_new(group, false, 500, on_report, &rep);
    subscribe(sc, topic);
    await_fetching(&sc, 1, false, topic, PARTS);
    kclus_produce(NULL, topic, PARTS, 0, N);
    tp_offset got[N];
    int seen[N] = {0}, n_got = 0, batches = 0;
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    while (n_got < N) {
        ck_assert_msg(kclus_now_ms() < end, "%d of %d records", n_got, N);
        kfk_message *msgs[MAX + 1];
        size_t n = kfk_share_consumer_poll_batch(sc, msgs, MAX, 200);
        ck_assert_msg(kfk_share_consumer_poll_error(sc) == KFK_OK, "%s",
                      kfk_share_consumer_last_error(sc));
        ck_assert_uint_le(n, MAX);
        int64_t last[PARTS] = {-1, -1};
        batches += n > 0;
        for (size_t i = 0; i < n; i++) {
            int32_t p = kfk_message_partition(msgs[i]);
            int64_t off = kfk_message_offset(msgs[i]);
            ck_assert_msg(off > last[p], "partition %d: offset %lld after %lld", (int)p,
                          (long long)off, (long long)last[p]);
            last[p] = off;
            int id = kclus_record_id(msgs[i]);
            if (id < PROBE_BASE) {
                ck_assert_msg(id >= 0 && id < N && !seen[id]++, "record %d", id);
                got[n_got++] = (tp_offset){p, off};
            }
            kfk_message_release(msgs[i]);
        }
    }
    ck_assert_int_ge(batches, (N + MAX - 1) / MAX);
    /* No commit, no close: the calls after the last batch accept it (and
     * the callback reports every record once, from a later call). */
    end = kclus_now_ms() + TIMEOUT_MS;
    for (int done = 0; done < N;) {
        ck_assert_msg(kclus_now_ms() < end, "%d of %d records reported accepted", done, N);
        kfk_message *m;
        ck_assert_uint_eq(kfk_share_consumer_poll_batch(sc, &m, 1, 100), 0);
        ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_OK);
        done = 0;
        for (int i = 0; i < N; i++)
            done += times_reported(&rep, got[i]) == 1;
    }
    ck_assert_int_eq(rep.err, KFK_OK);
    ck_assert_int_eq(kfk_share_consumer_close(sc, TIMEOUT_MS), KFK_OK);
    kfk_share_consumer_destroy(sc);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_poll_batch_in_explicit_mode_refuses_while_unacknowledged)
{
    char topic[128];
    kfk_share_consumer *sc = explicit_member(topic, sizeof(topic), "sharebexp", NULL, NULL);
    kclus_produce(NULL, topic, 1, 0, 3);
    kfk_message *msgs[8];
    size_t n = 0;
    int counted = 0;
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    while (!counted) {
        ck_assert_msg(kclus_now_ms() < end, "no record came");
        n = kfk_share_consumer_poll_batch(sc, msgs, 8, 500);
        ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_OK);
        for (size_t i = 0; i < n; i++)
            counted += kclus_record_id(msgs[i]) < PROBE_BASE;
        /* a batch of probes only: accept them, poll again */
        for (size_t i = 0; !counted && i < n; i++) {
            ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, msgs[i], KFK_SHARE_ACK_ACCEPT),
                             KFK_OK);
            kfk_message_release(msgs[i]);
        }
    }
    /* All but the last acknowledged: the next call refuses, naming one. */
    for (size_t i = 0; i + 1 < n; i++)
        ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, msgs[i], KFK_SHARE_ACK_ACCEPT), KFK_OK);
    kfk_message *more[8];
    ck_assert_uint_eq(kfk_share_consumer_poll_batch(sc, more, 8, 0), 0);
    ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_ERR_STATE);
    ck_assert_msg(strstr(kfk_share_consumer_last_error(sc), "1 record handed out"), "%s",
                  kfk_share_consumer_last_error(sc));
    ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, msgs[n - 1], KFK_SHARE_ACK_ACCEPT), KFK_OK);
    size_t k = kfk_share_consumer_poll_batch(sc, more, 8, 0);
    ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_OK);
    for (size_t i = 0; i < n; i++)
        kfk_message_release(msgs[i]);
    for (size_t i = 0; i < k; i++) {
        ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, more[i], KFK_SHARE_ACK_ACCEPT), KFK_OK);
        kfk_message_release(more[i]);
    }
    ck_assert_int_eq(kfk_share_consumer_close(sc, TIMEOUT_MS), KFK_OK);
    kfk_share_consumer_destroy(sc);
    kclus_delete_topic(NULL, topic);
}
END_TEST

/* --- RENEW (KIP-1222) -------------------------------------------------------------------- */

#define LOCK_MS 1000

/* Sets the group's share.record.lock.duration.ms on real Kafka and waits
 * until the broker describes it so. */
static void set_group_lock(const char *group)
{
    static const kfk_admin_options opts = {.timeout_ms = TIMEOUT_MS};
    kfk_admin *a = kclus_admin(NULL);
    kfk_config_resource *r = kfk_config_resource_new(KFK_CONFIG_RESOURCE_GROUP, group);
    ck_assert_int_eq(
        kfk_config_resource_add(r, "share.record.lock.duration.ms", KFK_ALTER_CONFIG_SET, "1000"),
        KFK_OK);
    kfk_admin_result *res = NULL;
    ck_assert_msg(kfk_admin_incremental_alter_configs(a, &r, 1, &opts, &res) == KFK_OK, "%s",
                  kfk_admin_last_error(a));
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_OK);
    kfk_admin_result_destroy(res);
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    for (bool set = false; !set; kclus_nap(50)) {
        ck_assert_msg(kclus_now_ms() < end, "share.record.lock.duration.ms never took");
        ck_assert_int_eq(kfk_admin_describe_configs(a, &r, 1, &opts, &res), KFK_OK);
        for (size_t i = 0; i < kfk_admin_result_config_count(res, 0); i++) {
            const kfk_config_entry *e = kfk_admin_result_config(res, 0, i);
            set = set || (!strcmp(e->name, "share.record.lock.duration.ms") && e->value &&
                          !strcmp(e->value, "1000"));
        }
        kfk_admin_result_destroy(res);
    }
    kfk_config_resource_destroy(r);
    kfk_admin_destroy(a);
}

/* Polls each member until a batch brings record 0; *holder gets who has
 * it. Record 1 is left unacknowledged where it came (*z_at; -1: not yet):
 * a member holding it without renewing lets its lock pass. Probes are
 * accepted. */
static kfk_message *first_holder(kfk_share_consumer **m, int *holder, kfk_message **z, int *z_at)
{
    kfk_message *x = NULL;
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    for (int round = 0; !x; round++) {
        ck_assert_msg(kclus_now_ms() < end, "record 0 never came");
        int i = round % 2;
        kfk_message *msgs[8];
        size_t n = kfk_share_consumer_poll_batch(m[i], msgs, 8, 200);
        ck_assert_msg(kfk_share_consumer_poll_error(m[i]) == KFK_OK, "%s",
                      kfk_share_consumer_last_error(m[i]));
        for (size_t k = 0; k < n; k++) {
            int id = kclus_record_id(msgs[k]);
            if (id == 0) {
                x = msgs[k];
                *holder = i;
            } else if (id == 1) {
                *z = msgs[k];
                *z_at = i;
            } else {
                ck_assert_int_ge(id, PROBE_BASE);
                ck_assert_int_eq(
                    kfk_share_consumer_acknowledge(m[i], msgs[k], KFK_SHARE_ACK_ACCEPT), KFK_OK);
                kfk_message_release(msgs[k]);
            }
        }
        if (*z_at == i && !x) { /* the other has record 0 coming: done with 1 */
            ck_assert_int_eq(kfk_share_consumer_acknowledge(m[i], *z, KFK_SHARE_ACK_ACCEPT),
                             KFK_OK);
            kfk_message_release(*z);
            *z = NULL;
        }
    }
    return x;
}

/* The other member polls through three lock durations while the holder
 * renews record 0 each quarter of one; record 0 must not come to it.
 * Record 1, if the holder got it too and holds it unrenewed (z_held),
 * must come (its lock passed: delivery count 2): the other member was
 * fetching all along. */
static void renew_while_other_polls(kfk_share_consumer *holder, kfk_message *x,
                                    kfk_share_consumer *other, bool z_held, int *renewals)
{
    int64_t t0 = kclus_now_ms(), renewed = t0, end = t0 + TIMEOUT_MS;
    bool z_back = !z_held;
    while (kclus_now_ms() - t0 < 3 * LOCK_MS || !z_back) {
        ck_assert_msg(kclus_now_ms() < end, "record 1's lock never passed");
        kfk_message *msgs[8];
        size_t n = kfk_share_consumer_poll_batch(other, msgs, 8, 100);
        ck_assert_msg(kfk_share_consumer_poll_error(other) == KFK_OK, "%s",
                      kfk_share_consumer_last_error(other));
        for (size_t k = 0; k < n; k++) {
            int id = kclus_record_id(msgs[k]);
            ck_assert_msg(id != 0, "the renewed record went to the other member after %lld ms",
                          (long long)(kclus_now_ms() - t0));
            if (id == 1 && z_held) {
                ck_assert_int_eq(kfk_message_delivery_count(msgs[k]), 2);
                z_back = true;
                fprintf(stderr, "sharerenew: the unrenewed record moved after %lld ms\n",
                        (long long)(kclus_now_ms() - t0));
            }
            ck_assert_int_eq(kfk_share_consumer_acknowledge(other, msgs[k], KFK_SHARE_ACK_ACCEPT),
                             KFK_OK);
            kfk_message_release(msgs[k]);
        }
        if (kclus_now_ms() - renewed < LOCK_MS / 4) continue;
        ck_assert_int_eq(kfk_share_consumer_acknowledge(holder, x, KFK_SHARE_ACK_RENEW), KFK_OK);
        kfk_err err = kfk_share_consumer_commit_sync(holder, TIMEOUT_MS);
        ck_assert_msg(err == KFK_OK, "renewal %d, %lld ms in: %s: %s", *renewals + 1,
                      (long long)(kclus_now_ms() - t0), kfk_err_name(err),
                      kfk_share_consumer_last_error(holder));
        renewed = kclus_now_ms();
        ++*renewals;
    }
}

/* Polls until record id comes (delivered dc times), asserting no other
 * counted record comes first, and accepts it. */
static kfk_err other_takes(kfk_share_consumer *sc, int id, int dc)
{
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    for (;;) {
        ck_assert_msg(kclus_now_ms() < end, "record %d never came", id);
        kfk_message *m = poll_one(sc, 200, true, NULL);
        if (!m) continue;
        ck_assert_int_eq(kclus_record_id(m), id);
        ck_assert_int_eq(kfk_message_delivery_count(m), dc);
        ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
        kfk_message_release(m);
        return kfk_share_consumer_commit_sync(sc, TIMEOUT_MS);
    }
}

START_TEST(test_a_renewed_record_stays_with_its_member_and_keeps_its_delivery_count)
{
    char topic[128], group[160];
    ktest_unique_topic(topic, sizeof(topic), "sharerenew");
    snprintf(group, sizeof(group), "%s-g", topic);
    kfk_mock_cluster *mock = NULL;
    if (kclus_is_mock()) {
        mock = kfk_mock_cluster_new(1);
        ck_assert_ptr_nonnull(mock);
        ck_assert_int_eq(kfk_mock_set_share_record_lock_duration(mock, LOCK_MS), KFK_OK);
        bs = kfk_mock_cluster_bootstrap(mock);
    } else {
        set_group_lock(group);
    }
    kclus_create_topic(bs, topic, 1, -1);
    kfk_share_consumer *m[2];
    for (int i = 0; i < 2; i++) {
        m[i] = share_new(group, true, 500, NULL, NULL);
        subscribe(m[i], topic);
    }
    await_fetching(m, 2, true, topic, 1);
    kclus_produce(bs, topic, 1, 0, 2);
    int holder = -1, z_at = -1, renewals = 0;
    kfk_message *z = NULL;
    kfk_message *x = first_holder(m, &holder, &z, &z_at);
    kfk_share_consumer *other = m[1 - holder];
    /* The answers name the group's lock duration. */
    ck_assert_int_eq(kfk_share_consumer_acquisition_lock_timeout_ms(m[holder]), LOCK_MS);
    renew_while_other_polls(m[holder], x, other, z != NULL, &renewals);
    ck_assert_int_ge(renewals, 8);
    /* Still the holder's three lock times on: releasing it works. */
    ck_assert_int_eq(kfk_share_consumer_acknowledge(m[holder], x, KFK_SHARE_ACK_RELEASE), KFK_OK);
    ck_assert_int_eq(kfk_share_consumer_commit_sync(m[holder], TIMEOUT_MS), KFK_OK);
    kfk_message_release(x);
    /* The other member gets it, delivered twice: renewals are no
     * deliveries. It accepts it; then a later record comes, record 0
     * never again. */
    ck_assert_int_eq(other_takes(other, 0, 2), KFK_OK);
    kclus_produce(bs, topic, 1, 2, 1);
    ck_assert_int_eq(other_takes(other, 2, 1), KFK_OK);
    if (z) kfk_message_release(z); /* the holder's lock on it passed */
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(kfk_share_consumer_close(m[i], TIMEOUT_MS), KFK_OK);
        kfk_share_consumer_destroy(m[i]);
    }
    fprintf(stderr, "sharerenew: %d renewals over %d ms locks\n", renewals, LOCK_MS);
    kclus_delete_topic(bs, topic);
    bs = NULL;
    kfk_mock_cluster_destroy(mock);
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
    tcase_add_test(tc, test_poll_batch_hands_out_at_most_max_in_order_and_the_next_call_accepts);
    tcase_add_test(tc, test_poll_batch_in_explicit_mode_refuses_while_unacknowledged);
    tcase_add_test(tc, test_a_renewed_record_stays_with_its_member_and_keeps_its_delivery_count);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(share_consumer_suite());
}
