/* Decoding one partition of a Fetch answer into messages, without a
 * broker: read_committed hides records of aborted transactions (by the
 * answer's aborted_transactions list, in any order) and every control
 * record; read_uncommitted hides control records only; records below the
 * fetch offset are skipped; check.crcs catches a corrupted batch. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "consumer/consumer_int.h"

/* Appends a batch of n records "v<offset>" at base to log. */
static void add_batch(kbuf *log, int64_t base, int n, int64_t pid, bool txn, kcodec codec)
{
    kbuf scratch = {0};
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &scratch, base, 1000, pid, pid < 0 ? -1 : 0,
                                         pid < 0 ? -1 : 0, txn ? KBATCH_ATTR_TRANSACTIONAL : 0, 0),
                     0);
    for (int i = 0; i < n; i++) {
        char v[32];
        snprintf(v, sizeof(v), "v%lld", (long long)(base + i));
        ck_assert_int_eq(
            kbatch_writer_append(&w, 1000 + i, (kslice){NULL, 0}, kwire_cstr(v), NULL, 0), 0);
    }
    kslice out;
    ck_assert_int_eq(kbatch_writer_finish(&w, codec, -1, log, &out), 0);
    if (codec == KCODEC_NONE) ck_assert_int_eq(kbuf_append(log, out.ptr, out.len), 0);
    kbuf_free(&scratch);
}

static void add_marker(kbuf *log, int64_t offset, int64_t pid, kcontrol_type type)
{
    ck_assert_int_eq(kbatch_write_control(log, offset, 2000, pid, 0, type, 1), 0);
}

/* The log: 0-2 txn pid 7 (aborted), 3-4 plain, 5-6 txn pid 8 (lz4),
 * 7 ABORT pid 7, 8 COMMIT pid 8, 9-10 txn pid 7 again, 11 marker pid 7. */
static void build_log(kbuf *log, kcontrol_type last_marker)
{
    add_batch(log, 0, 3, 7, true, KCODEC_NONE);
    add_batch(log, 3, 2, -1, false, KCODEC_NONE);
    add_batch(log, 5, 2, 8, true, KCODEC_LZ4);
    add_marker(log, 7, 7, KCONTROL_ABORT);
    add_marker(log, 8, 8, KCONTROL_COMMIT);
    add_batch(log, 9, 2, 7, true, KCODEC_NONE);
    add_marker(log, 11, 7, last_marker);
}

/* Decodes log from fetch_offset and checks the offsets that come out. */
static void expect(kbuf *log, const kp_fetch_response_aborted_transaction *ab, int n_ab,
                   bool committed, int64_t fetch_offset, const int64_t *want, int n_want)
{
    kcpart p = {.topic = "t", .partition = 0};
    kp_fetch_response_partition_data pd;
    kp_fetch_response_partition_data_init(&pd);
    pd.records = (kslice){log->data, log->len};
    pd.aborted_transactions = (kp_fetch_response_aborted_transaction *)ab;
    pd.n_aborted_transactions = n_ab;
    krbuf *frame = krbuf_new(1);
    kdecode_opts o = {
        .fetch_offset = fetch_offset, .read_committed = committed, .check_crcs = true};
    kchunk *ch;
    int64_t next;
    ck_assert_int_eq(kchunk_decode(&p, 0, &pd, frame, &o, &ch, &next), KFK_OK);
    krbuf_unref(frame);
    ck_assert_int_eq(next, 12); /* past the markers too */
    ck_assert_ptr_nonnull(ch);
    ck_assert_int_eq(ch->n, n_want);
    for (int i = 0; i < n_want; i++) {
        kfk_message *m = &ch->msgs[i];
        ck_assert_int_eq(kfk_message_offset(m), want[i]);
        char v[32];
        int len = snprintf(v, sizeof(v), "v%lld", (long long)want[i]);
        size_t vl;
        const void *val = kfk_message_value(m, &vl);
        ck_assert(vl == (size_t)len && !memcmp(val, v, vl));
        ck_assert_str_eq(kfk_message_topic(m), "t");
    }
    kchunk_unref(ch);
}

START_TEST(test_read_committed_hides_aborted_and_control_records)
{
    kbuf log = {0};
    build_log(&log, KCONTROL_COMMIT);
    kp_fetch_response_aborted_transaction ab[] = {{7, 0}};
    int64_t want[] = {3, 4, 5, 6, 9, 10};
    expect(&log, ab, 1, true, 0, want, 6);
    kbuf_free(&log);
}
END_TEST

START_TEST(test_read_committed_takes_unsorted_aborted_lists)
{
    kbuf log = {0};
    build_log(&log, KCONTROL_ABORT);
    /* pid 7 aborted twice; the broker's list order is not relied on. */
    kp_fetch_response_aborted_transaction ab[] = {{7, 9}, {7, 0}};
    int64_t want[] = {3, 4, 5, 6};
    expect(&log, ab, 2, true, 0, want, 4);
    kbuf_free(&log);
}
END_TEST

START_TEST(test_read_uncommitted_hides_control_records_only)
{
    kbuf log = {0};
    build_log(&log, KCONTROL_ABORT);
    kp_fetch_response_aborted_transaction ab[] = {{7, 0}};
    int64_t want[] = {0, 1, 2, 3, 4, 5, 6, 9, 10};
    expect(&log, ab, 1, false, 0, want, 9);
    kbuf_free(&log);
}
END_TEST

START_TEST(test_records_below_the_fetch_offset_are_skipped)
{
    kbuf log = {0};
    build_log(&log, KCONTROL_COMMIT);
    int64_t want[] = {6, 9, 10};
    expect(&log, NULL, 0, true, 6, want, 3);
    kbuf_free(&log);
}
END_TEST

START_TEST(test_crc_check_reports_a_corrupted_batch)
{
    kbuf log = {0};
    add_batch(&log, 0, 3, -1, false, KCODEC_NONE);
    log.data[log.len - 2] ^= 0x40; /* a byte of the last record's value */
    kcpart p = {.topic = "t", .partition = 0};
    kp_fetch_response_partition_data pd;
    kp_fetch_response_partition_data_init(&pd);
    pd.records = (kslice){log.data, log.len};
    krbuf *frame = krbuf_new(1);
    kdecode_opts o = {.fetch_offset = 0, .check_crcs = true};
    kchunk *ch;
    int64_t next;
    ck_assert_int_eq(kchunk_decode(&p, 0, &pd, frame, &o, &ch, &next), KFK_ERR_CRC);
    ck_assert_ptr_null(ch);
    o.check_crcs = false;
    ck_assert_int_eq(kchunk_decode(&p, 0, &pd, frame, &o, &ch, &next), KFK_OK);
    ck_assert_int_eq(ch->n, 3);
    ck_assert_int_eq(next, 3);
    kchunk_unref(ch);
    krbuf_unref(frame);
    kbuf_free(&log);
}
END_TEST

START_TEST(test_empty_records_give_no_chunk)
{
    kcpart p = {.topic = "t", .partition = 0};
    kp_fetch_response_partition_data pd;
    kp_fetch_response_partition_data_init(&pd);
    kdecode_opts o = {.fetch_offset = 5};
    kchunk *ch = (kchunk *)1;
    int64_t next;
    ck_assert_int_eq(kchunk_decode(&p, 0, &pd, NULL, &o, &ch, &next), KFK_OK);
    ck_assert_ptr_null(ch);
    ck_assert_int_eq(next, 5);
}
END_TEST

START_TEST(test_last_batch_leader_epoch_comes_out)
{
    kbuf log = {0};
    add_batch(&log, 0, 2, -1, false, KCODEC_NONE);
    size_t second = log.len;
    add_batch(&log, 2, 2, -1, false, KCODEC_NONE);
    kbatch_set_partition_leader_epoch(log.data, 4);
    kbatch_set_partition_leader_epoch(log.data + second, 6); /* KIP-320 */
    kcpart p = {.topic = "t", .partition = 0};
    kp_fetch_response_partition_data pd;
    kp_fetch_response_partition_data_init(&pd);
    pd.records = (kslice){log.data, log.len};
    krbuf *frame = krbuf_new(1);
    kdecode_opts o = {.fetch_offset = 0, .check_crcs = true, .last_epoch = -1};
    kchunk *ch;
    int64_t next;
    ck_assert_int_eq(kchunk_decode(&p, 0, &pd, frame, &o, &ch, &next), KFK_OK);
    ck_assert_int_eq(o.last_epoch, 6);
    ck_assert_int_eq(ch->n, 4);
    kchunk_unref(ch);
    krbuf_unref(frame);
    kbuf_free(&log);
}
END_TEST

static Suite *consumer_fetch_filter_suite(void)
{
    Suite *s = suite_create("consumer_fetch_filter");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, test_read_committed_hides_aborted_and_control_records);
    tcase_add_test(tc, test_read_committed_takes_unsorted_aborted_lists);
    tcase_add_test(tc, test_read_uncommitted_hides_control_records_only);
    tcase_add_test(tc, test_records_below_the_fetch_offset_are_skipped);
    tcase_add_test(tc, test_crc_check_reports_a_corrupted_batch);
    tcase_add_test(tc, test_empty_records_give_no_chunk);
    tcase_add_test(tc, test_last_batch_leader_epoch_comes_out);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(consumer_fetch_filter_suite());
}
