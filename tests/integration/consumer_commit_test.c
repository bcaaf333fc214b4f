/* Offsets of a consumer group, with group.protocol classic and
 * consumer (KIP-848):
 *   - consume part, commit, close: committed() returns the positions and a
 *     new member of the group resumes exactly there (no record again, none
 *     skipped);
 *   - offsets and metadata committed by hand come back from committed(),
 *     and a subscriber starts from them;
 *   - enable.auto.commit commits on close;
 *   - an async commit reports to the commit callback from poll;
 *   - with no committed offset, auto.offset.reset earliest starts at the
 *     beginning, latest at the end, and none gives KFK_ERR_NO_OFFSET
 *     through poll.
 * Against the mock (tests/run-integration's mockd) and real Kafka. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kmember.h"
#include "kplist.h"
#include "kwire_client.h"

#define NPARTS 4
#define RECORDS 400 /* 100 per partition */

static const char *const protocols[] = {"classic", "consumer"};

/* A subscribed member of group over topic (NULL: no subscription);
 * extra: more settings for kmember_conf (may be NULL). */
static kfk_consumer *member(kmember *k, int proto, const char *group, const char *topic,
                            const char *reset, bool auto_commit, const char *const (*extra)[2])
{
    const char *const kv[][2] = {
        {"group.protocol", protocols[proto]},
        {"auto.offset.reset", reset},
        {"enable.auto.commit", auto_commit ? "true" : "false"},
        {"auto.commit.interval.ms", "600000"}, /* only close commits */
        {"fetch.max.wait.ms", "100"},
        {NULL},
    };
    kmember_start(k, kmember_conf(NULL, group, kv, extra), &(kmember_opts){.topic = topic});
    return k->c;
}

/* Polls n records; each partition's offsets must go on from next[p]
 * without a gap, holding the records kclus_produce wrote there. */
static void consume(kfk_consumer *c, int64_t next[NPARTS], int n)
{
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    for (int got = 0; got < n;) {
        ck_assert_msg(kclus_now_ms() < deadline, "%d of %d records", got, n);
        kfk_message *m = kfk_consumer_poll(c, 200);
        if (!m) continue;
        ck_assert_msg(kfk_message_error(m) == KFK_OK, "poll: %s",
                      kfk_err_str(kfk_message_error(m)));
        int32_t p = kfk_message_partition(m);
        ck_assert(p >= 0 && p < NPARTS);
        ck_assert_msg(kfk_message_offset(m) == next[p], "partition %d: offset %lld, expected %lld",
                      p, (long long)kfk_message_offset(m), (long long)next[p]);
        ck_assert_int_eq(kclus_record_id(m), next[p] * NPARTS + p);
        next[p]++;
        got++;
        kfk_message_release(m);
    }
}

/* No record comes within ms. */
static void expect_nothing(kfk_consumer *c, int ms)
{
    int64_t end = kclus_now_ms() + ms;
    while (kclus_now_ms() < end) {
        kfk_message *m = kfk_consumer_poll(c, 100);
        ck_assert_msg(m == NULL, "unexpected: %d/%lld (%s)", m ? kfk_message_partition(m) : -1,
                      m ? (long long)kfk_message_offset(m) : -1LL,
                      m ? kfk_err_str(kfk_message_error(m)) : "");
    }
}

/* The group's committed offsets of topic's partitions (metadata into
 * meta[] when not NULL). */
static void committed(kfk_consumer *c, const char *topic, int64_t off[NPARTS],
                      char meta[NPARTS][32])
{
    kfk_partition_list *l = kpl_range(topic, NPARTS, 12345);
    kfk_err e = kfk_consumer_committed(c, l, KCLUS_TIMEOUT_MS);
    ck_assert_msg(e == KFK_OK, "committed: %s", kfk_err_str(e));
    for (size_t p = 0; p < NPARTS; p++) {
        ck_assert_str_eq(kfk_partition_list_topic(l, p), topic);
        ck_assert_int_eq(kfk_partition_list_partition(l, p), p);
        ck_assert_int_eq(kfk_partition_list_error(l, p), KFK_OK);
        off[p] = kfk_partition_list_offset(l, p);
        const char *md = kfk_partition_list_metadata(l, p);
        if (meta) snprintf(meta[p], 32, "%s", md ? md : "(null)");
    }
    kfk_partition_list_destroy(l);
}

static void setup(char *topic, char *group, size_t n, const char *what)
{
    ktest_unique_topic(topic, n, what);
    snprintf(group, n, "%s-g", topic);
    kclus_create_topic(NULL, topic, NPARTS, -1);
    kclus_produce(NULL, topic, NPARTS, 0, RECORDS);
}

static void finish(kmember *k, const char *topic)
{
    kmember_close(k);
    kmember_destroy(k);
    kclus_delete_topic(NULL, topic);
}

/* --- tests ------------------------------------------------------------------------- */

START_TEST(test_restart_resumes_at_the_committed_offset)
{
    char topic[128], group[160];
    setup(topic, group, sizeof(topic), "commit-restart");
    kmember n1, n2;
    kfk_consumer *c = member(&n1, _i, group, topic, "earliest", false, NULL);
    int64_t next[NPARTS] = {0};
    consume(c, next, RECORDS / 2);
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 0), KFK_OK);
    int64_t got[NPARTS];
    committed(c, topic, got, NULL);
    for (int p = 0; p < NPARTS; p++) /* a partition not read from has no commit, or 0 */
        ck_assert_msg(got[p] == next[p] || (next[p] == 0 && got[p] == KFK_OFFSET_INVALID),
                      "partition %d: committed %lld, position %lld", p, (long long)got[p],
                      (long long)next[p]);
    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK);
    kmember_destroy(&n1);

    c = member(&n2, _i, group, topic, "earliest", false, NULL);
    int64_t again[NPARTS];
    committed(c, topic, again, NULL);
    for (int p = 0; p < NPARTS; p++)
        ck_assert_int_eq(again[p], got[p]);
    consume(c, next, RECORDS - RECORDS / 2); /* from exactly where the first stopped */
    expect_nothing(c, 500);
    finish(&n2, topic);
}
END_TEST

START_TEST(test_offsets_committed_by_hand_come_back_with_metadata)
{
    char topic[128], group[160];
    setup(topic, group, sizeof(topic), "commit-hand");
    kmember n;
    kfk_consumer *c = member(&n, _i, group, NULL, "earliest", false, NULL);
    kfk_partition_list *l = kpl_one(topic, 0, 7);
    ck_assert_int_eq(kfk_partition_list_set_metadata(l, 0, "meta-a"), KFK_OK);
    kpl_add(l, topic, 2, 31);
    ck_assert_int_eq(kfk_consumer_commit(c, l, 0), KFK_OK);
    kfk_partition_list_destroy(l);
    int64_t off[NPARTS];
    char meta[NPARTS][32];
    committed(c, topic, off, meta);
    ck_assert_int_eq(off[0], 7);
    ck_assert_str_eq(meta[0], "meta-a");
    ck_assert_int_eq(off[1], KFK_OFFSET_INVALID);
    ck_assert_int_eq(off[2], 31);
    ck_assert_int_eq(off[3], KFK_OFFSET_INVALID);
    kmember_destroy(&n);

    /* A subscriber starts from them, and elsewhere where the reset says. */
    c = member(&n, _i, group, topic, "earliest", false, NULL);
    int64_t next[NPARTS] = {7, 0, 31, 0};
    consume(c, next, RECORDS - 7 - 31);
    expect_nothing(c, 500);
    finish(&n, topic);
}
END_TEST

START_TEST(test_auto_commit_commits_on_close)
{
    char topic[128], group[160];
    setup(topic, group, sizeof(topic), "commit-auto");
    kmember n1, n2;
    kfk_consumer *c = member(&n1, _i, group, topic, "earliest", true, NULL);
    int64_t next[NPARTS] = {0};
    consume(c, next, 100);
    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK); /* the interval is 10 minutes */
    kmember_destroy(&n1);

    c = member(&n2, _i, group, topic, "earliest", false, NULL);
    int64_t off[NPARTS];
    committed(c, topic, off, NULL);
    for (int p = 0; p < NPARTS; p++) /* a partition not read from has no commit, or 0 */
        ck_assert_msg(off[p] == next[p] || (next[p] == 0 && off[p] == KFK_OFFSET_INVALID),
                      "partition %d: committed %lld, position %lld", p, (long long)off[p],
                      (long long)next[p]);
    consume(c, next, RECORDS - 100);
    expect_nothing(c, 500);
    finish(&n2, topic);
}
END_TEST

START_TEST(test_async_commit_reports_to_the_callback)
{
    char topic[128], group[160];
    setup(topic, group, sizeof(topic), "commit-async");
    kmember n;
    kfk_consumer *c = member(&n, _i, group, topic, "earliest", false, NULL);
    int64_t next[NPARTS] = {0};
    consume(c, next, RECORDS);
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 1), KFK_OK);
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    while (n.st.commits == 0) {
        ck_assert_msg(kclus_now_ms() < deadline, "no commit callback");
        kfk_message *m = kfk_consumer_poll(c, 100);
        ck_assert_ptr_null(m);
    }
    ck_assert_int_eq(n.st.commits, 1);
    ck_assert_int_eq(n.st.commit_err, KFK_OK);
    ck_assert_int_eq(n.st.commit_entries, NPARTS);
    int64_t off[NPARTS];
    committed(c, topic, off, NULL);
    for (int p = 0; p < NPARTS; p++)
        ck_assert_int_eq(off[p], RECORDS / NPARTS);
    finish(&n, topic);
}
END_TEST

/* Polls until all NPARTS partitions are assigned and their positions are
 * known (the reset's ListOffsets answered); fails on a record. */
static void wait_positions(kfk_consumer *c, const char *topic, kmember *n, int64_t want)
{
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    for (;;) {
        kfk_message *m = kfk_consumer_poll(c, 100);
        ck_assert_msg(m == NULL, "a record before any was produced");
        bool known = n->st.owned == NPARTS;
        for (int32_t p = 0; known && p < NPARTS; p++) {
            int64_t pos;
            known = kfk_consumer_position(c, topic, p, &pos) == KFK_OK && pos == want;
        }
        if (known) return;
        ck_assert_msg(kclus_now_ms() < deadline, "%d partitions assigned, positions unknown",
                      n->st.owned);
    }
}

START_TEST(test_reset_latest_starts_at_the_end)
{
    char topic[128], group[160];
    setup(topic, group, sizeof(topic), "reset-latest");
    kmember n;
    kfk_consumer *c = member(&n, _i, group, topic, "latest", false, NULL);
    wait_positions(c, topic, &n, RECORDS / NPARTS);
    kclus_produce(NULL, topic, NPARTS, RECORDS, 40);
    int64_t next[NPARTS];
    for (int p = 0; p < NPARTS; p++)
        next[p] = RECORDS / NPARTS;
    consume(c, next, 40);
    expect_nothing(c, 500);
    finish(&n, topic);
}
END_TEST

START_TEST(test_reset_earliest_starts_at_the_beginning)
{
    char topic[128], group[160];
    setup(topic, group, sizeof(topic), "reset-earliest");
    kmember n;
    kfk_consumer *c = member(&n, _i, group, topic, "earliest", false, NULL);
    int64_t next[NPARTS] = {0};
    consume(c, next, RECORDS);
    expect_nothing(c, 500);
    finish(&n, topic);
}
END_TEST

START_TEST(test_reset_none_reports_no_offset_through_poll)
{
    char topic[128], group[160];
    setup(topic, group, sizeof(topic), "reset-none");
    kmember n;
    kfk_consumer *c = member(&n, _i, group, topic, "none", false, NULL);
    bool reported[NPARTS] = {false};
    int left = NPARTS;
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    while (left) {
        ck_assert_msg(kclus_now_ms() < deadline, "%d partitions not reported", left);
        kfk_message *m = kfk_consumer_poll(c, 100);
        if (!m) continue;
        kfk_err e = kfk_message_error(m);
        ck_assert_msg(e == KFK_ERR_NO_OFFSET, "poll gave %s at %d/%lld, not KFK_ERR_NO_OFFSET",
                      kfk_err_str(e), kfk_message_partition(m), (long long)kfk_message_offset(m));
        ck_assert_str_eq(kfk_message_topic(m), topic);
        int32_t p = kfk_message_partition(m);
        ck_assert(p >= 0 && p < NPARTS);
        if (!reported[p]) left--;
        reported[p] = true;
        kfk_message_release(m);
    }
    /* Nothing is fetched until the application seeks. */
    expect_nothing(c, 500);
    ck_assert_int_eq(kfk_consumer_seek(c, topic, 1, 5), KFK_OK);
    int64_t next[NPARTS] = {0, 5, 0, 0};
    consume(c, next, RECORDS / NPARTS - 5);
    finish(&n, topic);
}
END_TEST

/* A member's synchronous commit must not wait behind its fetcher's long
 * poll: a broker answers the requests of one connection in order, so the
 * Java client talks to its group coordinator over a connection of its own
 * (AbstractCoordinator: node id Integer.MAX_VALUE - id). With nothing to
 * fetch and fetch.max.wait.ms 3000, each commit should take a round trip,
 * not up to 3 s. */
START_TEST(test_sync_commit_does_not_wait_behind_a_long_poll)
{
    char topic[128], group[160];
    setup(topic, group, sizeof(topic), "commit-latency");
    static const char *const long_poll[][2] = {{"fetch.max.wait.ms", "3000"}, {NULL}};
    kmember n;
    kfk_consumer *c = member(&n, _i, group, topic, "earliest", false, long_poll);
    int64_t next[NPARTS] = {0};
    consume(c, next, RECORDS); /* now every Fetch waits 3 s for data */
    for (int k = 0; k < 3; k++) {
        int64_t t0 = kclus_now_ms();
        ck_assert_int_eq(kpl_commit(c, topic, 0, 10 + k, 0), KFK_OK);
        int64_t took = kclus_now_ms() - t0;
        ck_assert_msg(took < 1000, "commit %d took %lld ms (fetch.max.wait.ms 3000)", k,
                      (long long)took);
    }
    finish(&n, topic);
}
END_TEST

static Suite *commit_suite(void)
{
    Suite *s = suite_create("consumer_commit_integration");
    TCase *tc = tcase_create("offsets");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_restart_resumes_at_the_committed_offset, 0, 2);
    tcase_add_loop_test(tc, test_offsets_committed_by_hand_come_back_with_metadata, 0, 2);
    tcase_add_loop_test(tc, test_auto_commit_commits_on_close, 0, 2);
    tcase_add_loop_test(tc, test_async_commit_reports_to_the_callback, 0, 2);
    tcase_add_loop_test(tc, test_reset_latest_starts_at_the_end, 0, 2);
    tcase_add_loop_test(tc, test_reset_earliest_starts_at_the_beginning, 0, 2);
    tcase_add_loop_test(tc, test_reset_none_reports_no_offset_through_poll, 0, 2);
    tcase_add_loop_test(tc, test_sync_commit_does_not_wait_behind_a_long_poll, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(commit_suite());
}
