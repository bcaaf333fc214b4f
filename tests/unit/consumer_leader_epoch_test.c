/* The leader epoch of consumed records (KIP-101/320), as Java's
 * ConsumerRecord.leaderEpoch() and the committed OffsetAndMetadata have it:
 *   - decoding: each message knows its batch's partitionLeaderEpoch, also
 *     when one Fetch answer holds batches of several epochs; control
 *     batches add nothing; the old formats have none (-1);
 *   - against the in-process mock: records written before and after a
 *     leader move (an epoch bump) come in one Fetch answer, and commits of
 *     the positions carry the epoch of the last record polled: the first
 *     epoch after the first batch, the second after the second (read back
 *     with a raw OffsetFetch), for sync, async and auto commits alike;
 *     before any record, the epoch the offset lookup gave; after a seek to
 *     an offset, none; an EOF changes nothing; after the log was truncated
 *     under it (an unclean election, KIP-320's diverging epoch), the epoch
 *     that ended where the position went back to. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/kcommitted.h"
#include "../common/ktest.h"
#include "base/rw.h"
#include "consumer/consumer_int.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "kplist.h"

/* --- decoding ---------------------------------------------------------------------------- */

/* Appends a v2 batch of n records at base, written under epoch. */
static void add_batch(kbuf *log, int64_t base, int n, int32_t epoch)
{
    kbuf scratch = {0};
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &scratch, base, 1000, -1, -1, -1, 0, 0), 0);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(kbatch_writer_append(&w, 1000 + i, (kslice){NULL, 0}, kwire_cstr("v"), NULL,
                                              0),
                         0);
    size_t at = log->len;
    kslice out;
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, log, &out), 0);
    ck_assert_int_eq(kbuf_append(log, out.ptr, out.len), 0);
    kbatch_set_partition_leader_epoch(log->data + at, epoch);
    kbuf_free(&scratch);
}

/* Appends a v1 message (the old format: no leader epoch) at offset; its
 * CRC is left 0, so decode it without check.crcs. */
static void add_legacy(kbuf *log, int64_t offset)
{
    /* the message's size: crc to the end of the value */
    int fail = kwrite_i64(log, offset) | kwrite_i32(log, 4 + 1 + 1 + 8 + 4 + 4 + 1) |
               kwrite_u32(log, 0) /* crc */ | kwrite_i8(log, 1) /* magic */ |
               kwrite_i8(log, 0) /* attributes */ | kwrite_i64(log, 1000) |
               kwrite_i32(log, -1) /* null key */ | kwrite_i32(log, 1) | kwrite_u8(log, 'v');
    ck_assert_int_eq(fail, 0);
}

static kchunk *decode(kbuf *log, bool check_crcs)
{
    static kcpart p = {.topic = "t", .partition = 0};
    kp_fetch_response_partition_data pd;
    kp_fetch_response_partition_data_init(&pd);
    pd.records = (kslice){log->data, log->len};
    krbuf *frame = krbuf_new(1);
    kdecode_opts o = {.fetch_offset = 0, .check_crcs = check_crcs, .last_epoch = -1};
    kchunk *ch;
    int64_t next;
    ck_assert_int_eq(kchunk_decode(&p, 0, &pd, frame, &o, &ch, &next), KFK_OK);
    krbuf_unref(frame);
    ck_assert_ptr_nonnull(ch);
    return ch;
}

START_TEST(test_each_message_has_its_batchs_epoch)
{
    kbuf log = {0};
    add_batch(&log, 0, 2, 4);
    add_batch(&log, 2, 3, 4);
    size_t ctl = log.len;
    ck_assert_int_eq(kbatch_write_control(&log, 5, 2000, 9, 0, KCONTROL_COMMIT, 1), 0);
    kbatch_set_partition_leader_epoch(log.data + ctl, 5); /* hidden: adds no epoch */
    add_batch(&log, 6, 2, 6);
    add_batch(&log, 8, 1, 4); /* an epoch may come back after a truncation */
    kchunk *ch = decode(&log, true);
    static const int32_t want[] = {4, 4, 4, 4, 4, 6, 6, 4};
    ck_assert_int_eq(ch->n, 8);
    for (int i = 0; i < ch->n; i++)
        ck_assert_int_eq(kfk_message_leader_epoch(&ch->msgs[i]), want[i]);
    ck_assert_int_eq(ch->n_runs, 3); /* one per change, not per batch */
    kchunk_unref(ch);
    kbuf_free(&log);
}
END_TEST

START_TEST(test_old_formats_and_errors_have_no_epoch)
{
    kbuf log = {0};
    add_legacy(&log, 0);
    add_batch(&log, 1, 1, 3);
    kchunk *ch = decode(&log, false);
    ck_assert_int_eq(ch->n, 2);
    ck_assert_int_eq(kfk_message_leader_epoch(&ch->msgs[0]), -1);
    ck_assert_int_eq(kfk_message_leader_epoch(&ch->msgs[1]), 3);
    kchunk_unref(ch);
    kbuf_free(&log);

    kcpart p = {.topic = "t", .partition = 0};
    ch = kchunk_error(&p, 0, 7, KFK_ERR_PARTITION_EOF);
    ck_assert_ptr_nonnull(ch);
    ck_assert_int_eq(kfk_message_leader_epoch(&ch->msgs[0]), -1);
    kchunk_unref(ch);
}
END_TEST

/* --- against the mock ---------------------------------------------------------------------- */

/* The partition's leader epoch and leader, as metadata reports them. */
static int32_t epoch_of(const char *bs, const char *topic, int32_t *leader)
{
    int32_t l, epoch;
    ck_assert_msg(kclus_partition_leader(bs, topic, 0, &l, &epoch), "%s has no partition 0",
                  topic);
    if (leader) *leader = l;
    return epoch;
}

static void on_commit(void *opaque, kfk_consumer *consumer, kfk_err err,
                      const kfk_partition_list *offsets)
{
    (void)consumer;
    (void)offsets;
    ck_assert_int_eq(err, KFK_OK);
    if (opaque) ++*(int *)opaque;
}

static kfk_message *poll_one(kfk_consumer *c)
{
    kfk_message *m = kfk_consumer_poll(c, KCLUS_TIMEOUT_MS);
    ck_assert_ptr_nonnull(m);
    return m;
}

/* A mock of two brokers with one partition: records 0-4 written under
 * epoch *e1, then the leader moves (epoch *e2), then records 5-9. */
static kfk_mock_cluster *two_epochs(char *topic, size_t topic_len, char *group, size_t group_len,
                                    int32_t *e1, int32_t *e2)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(2);
    ck_assert_ptr_nonnull(mc);
    const char *bs = kfk_mock_cluster_bootstrap(mc);
    ktest_unique_topic(topic, topic_len, "lepoch");
    snprintf(group, group_len, "%s-g", topic);
    ck_assert_int_eq(kfk_mock_topic_create(mc, topic, 1, 2), KFK_OK);
    kclus_produce(bs, topic, 1, 0, 5);
    int32_t leader;
    *e1 = epoch_of(bs, topic, &leader);
    ck_assert_int_ge(*e1, 0);
    ck_assert_int_eq(kfk_mock_partition_set_leader(mc, topic, 0, leader == 1 ? 2 : 1), KFK_OK);
    *e2 = epoch_of(bs, topic, NULL);
    ck_assert_int_gt(*e2, *e1);
    kclus_produce(bs, topic, 1, 5, 5);
    return mc;
}

static kfk_consumer *consumer(const char *bs, const char *topic, const char *group,
                              bool auto_commit, int *commits)
{
    kfk_conf *conf = kclus_conf(bs);
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "enable.auto.commit", auto_commit ? "true" : "false");
    kclus_set(conf, "auto.commit.interval.ms", "600000"); /* only on close */
    kfk_conf_set_commit_cb(conf, on_commit, commits);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_int_eq(kpl_assign_one(c, topic, 0, KFK_OFFSET_BEGINNING), KFK_OK);
    return c;
}

START_TEST(test_commits_carry_the_epoch_of_the_last_record_polled)
{
    char topic[128], group[160];
    int32_t e1, e2;
    kfk_mock_cluster *mc = two_epochs(topic, sizeof(topic), group, sizeof(group), &e1, &e2);
    const char *bs = kfk_mock_cluster_bootstrap(mc);
    kfk_consumer *c = consumer(bs, topic, group, false, NULL);
    kfk_consumer_report_eof(c, true);

    /* Before any record: the log start's epoch, as ListOffsets gave it. */
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS, pos = KFK_OFFSET_INVALID;
    for (;;) {
        ck_assert_int_eq(kfk_consumer_position(c, topic, 0, &pos), KFK_OK);
        if (pos >= 0) break;
        ck_assert_msg(kclus_now_ms() < deadline, "the position stays unknown");
        kclus_nap(10);
    }
    kcommitted_check(c, bs, group, topic, 0, e1);

    kfk_message *first = poll_one(c); /* held: its chunk stays the same object */
    ck_assert_int_eq(kfk_message_error(first), KFK_OK);
    ck_assert_int_eq(kfk_message_offset(first), 0);
    ck_assert_int_eq(kfk_message_leader_epoch(first), e1);
    for (int64_t i = 1; i < 10; i++) {
        if (i == 5) kcommitted_check(c, bs, group, topic, 5, e1);
        kfk_message *m = poll_one(c);
        ck_assert_int_eq(kfk_message_error(m), KFK_OK);
        ck_assert_int_eq(kfk_message_offset(m), i);
        ck_assert_int_eq(kfk_message_leader_epoch(m), i < 5 ? e1 : e2);
        ck_assert_msg(m->chunk == first->chunk, "offset %lld came in another Fetch answer",
                      (long long)i); /* both epochs in one answer: what this test is for */
        kfk_message_release(m);
    }
    kfk_message_release(first);
    kfk_message *eof = poll_one(c);
    ck_assert_int_eq(kfk_message_error(eof), KFK_ERR_PARTITION_EOF);
    ck_assert_int_eq(kfk_message_leader_epoch(eof), -1);
    kfk_message_release(eof);
    kcommitted_check(c, bs, group, topic, 10, e2); /* the EOF left the epoch alone */

    /* A seek to an offset forgets the epoch (Java's seek(tp, offset)); the
     * next record brings its own. */
    ck_assert_int_eq(kfk_consumer_seek(c, topic, 0, 3), KFK_OK);
    kcommitted_check(c, bs, group, topic, 3, -1);
    kfk_message *m = poll_one(c);
    ck_assert_int_eq(kfk_message_offset(m), 3);
    ck_assert_int_eq(kfk_message_leader_epoch(m), e1);
    kfk_message_release(m);
    kcommitted_check(c, bs, group, topic, 4, e1);

    kfk_consumer_destroy(c);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Polls n records from offset first, checking their epochs. */
static void poll_records(kfk_consumer *c, int64_t first, int n, int32_t e1, int32_t e2)
{
    for (int64_t o = first; o < first + n; o++) {
        kfk_message *m = poll_one(c);
        ck_assert_int_eq(kfk_message_error(m), KFK_OK);
        ck_assert_int_eq(kfk_message_offset(m), o);
        ck_assert_int_eq(kfk_message_leader_epoch(m), o < 5 ? e1 : e2);
        kfk_message_release(m);
    }
}

START_TEST(test_async_and_auto_commits_carry_it_too)
{
    char topic[128], group[160];
    int32_t e1, e2;
    kfk_mock_cluster *mc = two_epochs(topic, sizeof(topic), group, sizeof(group), &e1, &e2);
    const char *bs = kfk_mock_cluster_bootstrap(mc);
    int commits = 0;
    kfk_consumer *c = consumer(bs, topic, group, true, &commits);
    poll_records(c, 0, 7, e1, e2);
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 1), KFK_OK);
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    while (commits == 0) { /* the callback runs from a poll once the answer is in */
        ck_assert_msg(kclus_now_ms() < deadline, "no commit callback");
        kfk_message *m = kfk_consumer_poll(c, 50);
        ck_assert_msg(m == NULL || kfk_message_offset(m) == 7, "a record out of order");
        if (m) { /* not counted as polled: seek back to it */
            kfk_message_release(m);
            ck_assert_int_eq(kfk_consumer_seek(c, topic, 0, 7), KFK_OK);
        }
    }
    int64_t off;
    ck_assert_int_eq(kcommitted_epoch(bs, group, topic, 0, &off), e2);
    ck_assert_int_eq(off, 7);
    /* Back to the first epoch: the auto commit on close carries it. */
    ck_assert_int_eq(kfk_consumer_seek(c, topic, 0, 2), KFK_OK);
    poll_records(c, 2, 2, e1, e2);
    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK);
    ck_assert_int_eq(kcommitted_epoch(bs, group, topic, 0, &off), e1);
    ck_assert_int_eq(off, 4);
    kfk_consumer_destroy(c);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_a_truncated_log_takes_the_position_back_to_where_it_diverged)
{
    char topic[128], group[160];
    int32_t e1, e2;
    kfk_mock_cluster *mc = two_epochs(topic, sizeof(topic), group, sizeof(group), &e1, &e2);
    const char *bs = kfk_mock_cluster_bootstrap(mc);
    kfk_consumer *c = consumer(bs, topic, group, false, NULL);
    poll_records(c, 0, 10, e1, e2);
    kcommitted_check(c, bs, group, topic, 10, e2);

    /* An unclean election loses 5-9 (all of e2); 5-7 are written anew
     * under e3. */
    ck_assert_int_eq(kfk_mock_partition_truncate(mc, topic, 0, 7), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_mock_partition_truncate(mc, topic, 0, 5), KFK_OK);
    int32_t e3 = epoch_of(bs, topic, NULL);
    ck_assert_int_gt(e3, e2);
    kclus_produce(bs, topic, 1, 100, 3);
    /* The next Fetch, naming e2, learns that the log's epochs up to e2
     * end at 5 with e1 (KIP-320): the position goes back there, with e1
     * (as Java's SubscriptionState takes a divergence). */
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS, pos = -1;
    for (;;) {
        ck_assert_int_eq(kfk_consumer_position(c, topic, 0, &pos), KFK_OK);
        if (pos == 5) break;
        ck_assert_msg(kclus_now_ms() < deadline, "position %lld, not back to 5", (long long)pos);
        kclus_nap(10);
    }
    kcommitted_check(c, bs, group, topic, 5, e1);
    kfk_message *m = poll_one(c);
    ck_assert_int_eq(kfk_message_error(m), KFK_OK);
    ck_assert_int_eq(kfk_message_offset(m), 5);
    ck_assert_int_eq(kclus_record_id(m), 100);
    ck_assert_int_eq(kfk_message_leader_epoch(m), e3);
    kfk_message_release(m);
    kcommitted_check(c, bs, group, topic, 6, e3);
    kfk_consumer_destroy(c);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("consumer_leader_epoch");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, test_each_message_has_its_batchs_epoch);
    tcase_add_test(tc, test_old_formats_and_errors_have_no_epoch);
    suite_add_tcase(s, tc);
    tc = tcase_create("mock");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_commits_carry_the_epoch_of_the_last_record_polled);
    tcase_add_test(tc, test_async_and_auto_commits_carry_it_too);
    tcase_add_test(tc, test_a_truncated_log_takes_the_position_back_to_where_it_diverged);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
