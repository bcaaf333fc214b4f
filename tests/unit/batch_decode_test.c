/* Reading v2 record batches from a Fetch `records` blob: CRC checks, cut-off
 * trailing batches, the fetch offset, and hostile input of every shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/crc32c.h"
#include "proto/batch.h"

#define S(str) ((kslice){(const uint8_t *)(str), sizeof(str) - 1})
#define NUL ((kslice){NULL, 0})

static void recrc(uint8_t *p, size_t len)
{
    kput_u32(p + 17, kcrc32c(0, p + KBATCH_CRC_START, len - KBATCH_CRC_START));
}

/* Appends a batch of n records "v<i>" at offsets base..base+n-1. */
static kslice add_batch(kbuf *buf, int64_t base, int n, kcodec codec, kbuf *cbuf)
{
    kbuf tmp = {0};
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &tmp, base, 1000, -1, -1, -1, 0, 0), KFK_OK);
    for (int i = 0; i < n; i++) {
        char v[16];
        int len = snprintf(v, sizeof(v), "v%d", (int)(base + i));
        ck_assert_int_eq(
            kbatch_writer_append(&w, 1000 + i, NUL, (kslice){(uint8_t *)v, (size_t)len}, NULL, 0),
            KFK_OK);
    }
    kslice b;
    ck_assert_int_eq(kbatch_writer_finish(&w, codec, -1, cbuf, &b), KFK_OK);
    size_t at = buf->len;
    kbuf_append(buf, b.ptr, b.len);
    kbuf_free(&tmp);
    if (cbuf) kbuf_reset(cbuf);
    return (kslice){buf->data + at, b.len};
}

/* A batch around hand-written record bytes, CRC set. */
static size_t raw_batch(uint8_t *out, int64_t base, uint16_t attrs, int32_t count,
                        const uint8_t *recs, size_t recs_len)
{
    size_t total = KBATCH_HEADER_SIZE + recs_len;
    memset(out, 0, KBATCH_HEADER_SIZE);
    kput_u64(out, (uint64_t)base);
    kput_u32(out + 8, (uint32_t)(total - 12));
    out[16] = 2;
    kput_u16(out + 21, attrs);
    kput_u32(out + 23, (uint32_t)(count > 0 ? count - 1 : 0));
    kput_u64(out + 43, (uint64_t)-1);
    kput_u32(out + 57, (uint32_t)count);
    memcpy(out + KBATCH_HEADER_SIZE, recs, recs_len);
    recrc(out, total);
    return total;
}

typedef struct result {
    int n;
    int64_t offsets[64];
    kfk_err err;
    bool truncated;
} result;

static result read_all(const uint8_t *p, size_t len, int64_t start, bool crcs, size_t max)
{
    kbatch_read_opts opts = {.start_offset = start, .check_crcs = crcs, .max_bytes = max};
    kbuf scratch = {0};
    krecords_iter it;
    krecords_iter_init(&it, p, len, &opts, &scratch);
    result res = {0};
    krecord rec;
    while (krecords_iter_next(&it, &rec, NULL))
        if (res.n < 64) res.offsets[res.n++] = rec.offset;
    res.err = it.err;
    res.truncated = it.truncated;
    kbuf_free(&scratch);
    return res;
}

START_TEST(test_crc_mismatch_detected_only_when_checking)
{
    kbuf buf = {0};
    kslice b = add_batch(&buf, 0, 3, KCODEC_NONE, NULL);
    ((uint8_t *)b.ptr)[b.len - 2] ^= 0x01; /* a value byte of the last record */
    result r = read_all(buf.data, buf.len, 0, true, 0);
    ck_assert_int_eq(r.err, KFK_ERR_CRC);
    ck_assert_int_eq(r.n, 0);
    r = read_all(buf.data, buf.len, 0, false, 0);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert_int_eq(r.n, 3);
    kbuf_free(&buf);
}
END_TEST

START_TEST(test_truncated_trailing_batch_stops_cleanly)
{
    kbuf buf = {0}, cbuf = {0};
    kslice a = add_batch(&buf, 0, 3, KCODEC_NONE, NULL);
    add_batch(&buf, 3, 4, KCODEC_LZ4, &cbuf);
    for (size_t cut = 1; cut <= buf.len; cut++) {
        result r = read_all(buf.data, cut, 0, true, 0);
        ck_assert_int_eq(r.err, KFK_OK);
        int want = cut < a.len ? 0 : cut < buf.len ? 3 : 7;
        ck_assert_int_eq(r.n, want);
        ck_assert(r.truncated == (cut != a.len && cut != buf.len));
    }
    kbuf_free(&buf);
    kbuf_free(&cbuf);
}
END_TEST

START_TEST(test_records_before_fetch_offset_are_skipped)
{
    kbuf buf = {0}, cbuf = {0};
    add_batch(&buf, 100, 10, KCODEC_NONE, NULL);
    kslice z = add_batch(&buf, 110, 10, KCODEC_ZSTD, &cbuf);
    result r = read_all(buf.data, buf.len, 105, true, 0);
    ck_assert_int_eq(r.n, 15);
    ck_assert_int_eq(r.offsets[0], 105);
    ck_assert_int_eq(r.offsets[14], 119);
    r = read_all(buf.data, buf.len, 117, true, 0);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(r.offsets[0], 117);
    /* A batch wholly below the offset is not even decompressed. */
    ((uint8_t *)z.ptr)[KBATCH_HEADER_SIZE + 2] ^= 0xff;
    r = read_all(buf.data, buf.len, 120, false, 0);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert_int_eq(r.n, 0);
    r = read_all(buf.data, buf.len, 119, false, 0);
    ck_assert_int_eq(r.err, KFK_ERR_COMPRESSION);
    kbuf_free(&buf);
    kbuf_free(&cbuf);
}
END_TEST

START_TEST(test_decompressed_size_is_capped)
{
    kbuf tmp = {0}, cbuf = {0};
    static uint8_t zeros[1 << 16];
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &tmp, 0, 0, -1, -1, -1, 0, 0), KFK_OK);
    for (int i = 0; i < 64; i++)
        ck_assert_int_eq(kbatch_writer_append(&w, 0, NUL, (kslice){zeros, sizeof(zeros)}, NULL, 0),
                         KFK_OK);
    kslice b;
    for (kcodec c = KCODEC_GZIP; c <= KCODEC_ZSTD; c++) {
        kbuf_reset(&cbuf);
        ck_assert_int_eq(kbatch_writer_finish(&w, c, -1, &cbuf, &b), KFK_OK);
        ck_assert_uint_lt(b.len, 1 << 20);
        result r = read_all(b.ptr, b.len, 0, true, 1 << 20);
        ck_assert_int_eq(r.err, KFK_ERR_TOO_LARGE);
        r = read_all(b.ptr, b.len, 0, true, 8 << 20);
        ck_assert_int_eq(r.err, KFK_OK);
        ck_assert_int_eq(r.n, 64);
    }
    kbuf_free(&tmp);
    kbuf_free(&cbuf);
}
END_TEST

START_TEST(test_log_append_time_uses_max_timestamp)
{
    kbuf buf = {0};
    kslice b = add_batch(&buf, 0, 3, KCODEC_NONE, NULL);
    uint8_t *p = (uint8_t *)b.ptr;
    p[22] |= KBATCH_ATTR_LOG_APPEND_TIME;
    kput_u64(p + 35, 777777);
    recrc(p, b.len);
    kbatch_read_opts opts = {.check_crcs = true};
    krecords_iter it;
    krecords_iter_init(&it, buf.data, buf.len, &opts, NULL);
    krecord rec;
    int n = 0;
    while (krecords_iter_next(&it, &rec, NULL)) {
        ck_assert_int_eq(rec.timestamp, 777777);
        ck_assert_int_eq(rec.timestamp_type, KTS_LOG_APPEND_TIME);
        n++;
    }
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(it.err, KFK_OK);
    kbuf_free(&buf);
}
END_TEST

START_TEST(test_attribute_bits_parse)
{
    uint8_t rec[] = {0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 'v', 0x00};
    uint8_t p[128];
    size_t n = raw_batch(p, 0, 0x40 | 0x20 | 0x10 | 0x08, 1, rec, sizeof(rec));
    kreader r = kreader_of(p, n);
    kbatch b;
    ck_assert_int_eq(kbatch_parse_header(&r, &b), KFK_OK);
    ck_assert(b.has_delete_horizon && b.control && b.transactional);
    ck_assert_int_eq(b.timestamp_type, KTS_LOG_APPEND_TIME);
    ck_assert_int_eq(b.codec, KCODEC_NONE);
    for (int c = 0; c <= 7; c++) {
        raw_batch(p, 0, (uint16_t)c, 1, rec, sizeof(rec));
        r = kreader_of(p, n);
        ck_assert_int_eq(kbatch_parse_header(&r, &b), c <= 4 ? KFK_OK : KFK_ERR_UNSUPPORTED);
    }
}
END_TEST

START_TEST(test_compacted_offset_gaps_are_kept)
{
    /* Three records with offset deltas 0, 5, 9, as the log cleaner leaves them. */
    /* clang-format off */
    uint8_t recs[] = {
        0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 'a', 0x00,
        0x0e, 0x00, 0x02, 0x0a, 0x01, 0x02, 'b', 0x00,
        0x0e, 0x00, 0x04, 0x12, 0x01, 0x02, 'c', 0x00,
    };
    /* clang-format on */
    uint8_t p[128];
    size_t n = raw_batch(p, 50, 0, 3, recs, sizeof(recs));
    kput_u32(p + 23, 9); /* lastOffsetDelta */
    recrc(p, n);
    result r = read_all(p, n, 0, true, 0);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(r.offsets[0], 50);
    ck_assert_int_eq(r.offsets[1], 55);
    ck_assert_int_eq(r.offsets[2], 59);
    r = read_all(p, n, 52, true, 0);
    ck_assert_int_eq(r.n, 2);
    ck_assert_int_eq(r.offsets[0], 55);
}
END_TEST

/* Record bytes that must each be refused. */
static const struct {
    const char *what;
    int32_t count;
    uint8_t bytes[16];
    size_t len;
} bad_records[] = {
    {"negative record length", 1, {0x01}, 1},
    {"record length past the batch", 1, {0xfe, 0xff, 0xff, 0xff, 0x0f, 0, 0}, 7},
    {"empty record", 1, {0x00}, 1},
    {"key length -2", 1, {0x0a, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00}, 7},
    {"key length past record", 1, {0x0a, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00}, 7},
    {"value length huge", 1, {0x0e, 0x00, 0x00, 0x00, 0x01, 0xfe, 0xff, 0xff, 0xff, 0x0f}, 10},
    {"negative header count", 1, {0x0c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01}, 7},
    {"header count huge", 1, {0x14, 0, 0, 0, 0x01, 0, 0xfe, 0xff, 0xff, 0xff, 0x0f}, 11},
    {"negative header key length", 1, {0x0e, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01, 0x00}, 9},
    {"header value length -2", 1, {0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03}, 9},
    {"bytes left inside record", 1, {0x0e, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}, 8},
    {"record shorter than its length", 1, {0x0c, 0x00, 0x00, 0x00, 0x01, 0x00}, 6},
    {"count above records", 2, {0x0c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}, 7},
    {"count below records", 0, {0x0c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}, 7},
    {"negative count", -1, {0x0c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}, 7},
    {"overlong varint", 1, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80}, 6},
};

START_TEST(test_hostile_record_lengths_are_malformed)
{
    uint8_t p[128];
    size_t n =
        raw_batch(p, 0, 0, bad_records[_i].count, bad_records[_i].bytes, bad_records[_i].len);
    for (int crcs = 0; crcs < 2; crcs++) {
        result r = read_all(p, n, 0, crcs, 0);
        if (r.err != KFK_ERR_MALFORMED) ck_abort_msg("%s: err %d", bad_records[_i].what, r.err);
        ck_assert_int_eq(r.n, bad_records[_i].count == 2); /* records before the bad one come out */
    }
}
END_TEST

START_TEST(test_hostile_batch_lengths)
{
    kbuf buf = {0};
    kslice b = add_batch(&buf, 0, 2, KCODEC_NONE, NULL);
    uint8_t *p = (uint8_t *)b.ptr;
    static const struct {
        uint32_t length;
        int8_t magic;
        kfk_err err;
        bool truncated;
    } cases[] = {
        {0xffffffffu, 2, KFK_ERR_MALFORMED, false}, /* negative */
        {0x80000000u, 2, KFK_ERR_MALFORMED, false}, /* INT32_MIN */
        {13, 2, KFK_ERR_MALFORMED, false},          /* below any entry */
        {48, 2, KFK_ERR_MALFORMED, false},          /* below a v2 header */
        {0x7fffffffu, 2, KFK_OK, true},             /* beyond the input: cut off */
        {0, 3, KFK_ERR_MALFORMED, false},           /* magic 3 */
        {0, -1, KFK_ERR_MALFORMED, false},          /* negative magic */
    };
    uint32_t real = (uint32_t)(b.len - 12);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kput_u32(p + 8, cases[i].length ? cases[i].length : real);
        p[16] = (uint8_t)cases[i].magic;
        result r = read_all(buf.data, buf.len, 0, false, 0);
        ck_assert_int_eq(r.err, cases[i].err);
        ck_assert(r.truncated == cases[i].truncated);
        ck_assert_int_eq(r.n, 0);
    }
    kbuf_free(&buf);
}
END_TEST

START_TEST(test_parse_header_refuses_short_input)
{
    kbuf buf = {0};
    kslice b = add_batch(&buf, 0, 2, KCODEC_NONE, NULL);
    kbatch out;
    for (size_t len = 0; len < b.len; len++) {
        kreader r = kreader_of(b.ptr, len);
        ck_assert_int_eq(kbatch_parse_header(&r, &out), KFK_ERR_MALFORMED);
        ck_assert(r.err);
    }
    kbuf_free(&buf);
}
END_TEST

START_TEST(test_corrupt_compressed_records_fail_cleanly)
{
    kbuf buf = {0}, cbuf = {0};
    for (kcodec c = KCODEC_GZIP; c <= KCODEC_ZSTD; c++) {
        kbuf_reset(&buf);
        kslice b = add_batch(&buf, 0, 20, c, &cbuf);
        /* Cut the compressed stream short, keeping the batch self-consistent. */
        size_t n = b.len - 5;
        kput_u32((uint8_t *)b.ptr + 8, (uint32_t)(n - 12));
        recrc((uint8_t *)b.ptr, n);
        result r = read_all(b.ptr, n, 0, true, 0);
        ck_assert_int_eq(r.err, KFK_ERR_COMPRESSION);
        ck_assert_int_eq(r.n, 0);
    }
    kbuf_free(&buf);
    kbuf_free(&cbuf);
}
END_TEST

START_TEST(test_batch_by_batch_with_own_scratch)
{
    kbuf buf = {0}, cbuf = {0};
    add_batch(&buf, 0, 3, KCODEC_GZIP, &cbuf);
    add_batch(&buf, 3, 3, KCODEC_SNAPPY, &cbuf);
    add_batch(&buf, 6, 3, KCODEC_NONE, NULL);
    kbuf bufs[3] = {{0}};
    krecord kept[9];
    int n = 0, nb = 0;
    kbatch_read_opts opts = {.check_crcs = true};
    krecords_iter it;
    krecords_iter_init(&it, buf.data, buf.len, &opts, NULL);
    const kbatch *b;
    while (krecords_iter_next_batch(&it, &b)) {
        it.scratch = &bufs[nb++]; /* each batch decompresses into its own buffer */
        while (krecords_iter_next_record(&it, &kept[n]))
            n++;
    }
    ck_assert_int_eq(it.err, KFK_OK);
    ck_assert_int_eq(n, 9);
    for (int i = 0; i < 9; i++) {
        char v[16];
        snprintf(v, sizeof(v), "v%d", i);
        ck_assert_int_eq(kept[i].offset, i);
        ck_assert_uint_eq(kept[i].value.len, strlen(v));
        ck_assert_mem_eq(kept[i].value.ptr, v, strlen(v));
    }
    for (int i = 0; i < 3; i++)
        kbuf_free(&bufs[i]);
    kbuf_free(&buf);
    kbuf_free(&cbuf);
}
END_TEST

START_TEST(test_skipping_a_batch_unread)
{
    kbuf buf = {0};
    add_batch(&buf, 0, 3, KCODEC_NONE, NULL);
    add_batch(&buf, 3, 3, KCODEC_NONE, NULL);
    kbatch_read_opts opts = {0};
    krecords_iter it;
    krecords_iter_init(&it, buf.data, buf.len, &opts, NULL);
    const kbatch *b;
    krecord rec;
    ck_assert(krecords_iter_next_batch(&it, &b));
    ck_assert(krecords_iter_next_record(&it, &rec));
    ck_assert_int_eq(rec.offset, 0);
    ck_assert(krecords_iter_next_batch(&it, &b)); /* leaves 1 and 2 unread */
    ck_assert_int_eq(b->base_offset, 3);
    ck_assert(krecords_iter_next_record(&it, &rec));
    ck_assert_int_eq(rec.offset, 3);
    ck_assert(krecords_iter_next(&it, &rec, &b));
    ck_assert_int_eq(rec.offset, 4);
    ck_assert(krecords_iter_next(&it, &rec, &b));
    ck_assert(!krecords_iter_next(&it, &rec, &b));
    ck_assert(!krecords_iter_next_batch(&it, &b));
    ck_assert(!krecords_iter_next_record(&it, &rec));
    ck_assert_int_eq(it.err, KFK_OK);
    kbuf_free(&buf);
}
END_TEST

START_TEST(test_empty_blob_is_a_clean_end)
{
    result r = read_all(NULL, 0, 0, true, 0);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert(!r.truncated);
    ck_assert_int_eq(r.n, 0);
}
END_TEST

static Suite *batch_decode_suite(void)
{
    Suite *s = suite_create("batch_decode");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_crc_mismatch_detected_only_when_checking);
    tcase_add_test(tc, test_truncated_trailing_batch_stops_cleanly);
    tcase_add_test(tc, test_records_before_fetch_offset_are_skipped);
    tcase_add_test(tc, test_decompressed_size_is_capped);
    tcase_add_test(tc, test_log_append_time_uses_max_timestamp);
    tcase_add_test(tc, test_attribute_bits_parse);
    tcase_add_test(tc, test_compacted_offset_gaps_are_kept);
    tcase_add_loop_test(tc, test_hostile_record_lengths_are_malformed, 0,
                        (int)(sizeof(bad_records) / sizeof(bad_records[0])));
    tcase_add_test(tc, test_hostile_batch_lengths);
    tcase_add_test(tc, test_parse_header_refuses_short_input);
    tcase_add_test(tc, test_corrupt_compressed_records_fail_cleanly);
    tcase_add_test(tc, test_batch_by_batch_with_own_scratch);
    tcase_add_test(tc, test_skipping_a_batch_unread);
    tcase_add_test(tc, test_empty_blob_is_a_clean_end);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(batch_decode_suite());
}
