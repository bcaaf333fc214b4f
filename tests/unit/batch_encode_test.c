/* Writing v2 record batches: the exact bytes against the spec, round trips
 * through the reader for every codec, the batch.size limit, the KIP-360
 * producer rewrite and control batches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/crc32c.h"
#include "proto/batch.h"

#define S(str) ((kslice){(const uint8_t *)(str), sizeof(str) - 1})
#define NUL ((kslice){NULL, 0})

static bool slice_eq(kslice a, kslice b)
{
    if (!a.ptr || !b.ptr) return !a.ptr && !b.ptr;
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* A batch written by hand from the protocol docs, field by field. */
/* clang-format off */
static const uint8_t hand_batch[] = {
    0, 0, 0, 0, 0, 0, 0, 5,             /* baseOffset 5 */
    0, 0, 0, 73,                        /* batchLength: 85 - 12 */
    0xff, 0xff, 0xff, 0xff,             /* partitionLeaderEpoch -1 */
    2,                                  /* magic */
    0xff, 0xe2, 0xc5, 0xa0,             /* CRC-32C of bytes 21..84 (computed in Python) */
    0x00, 0x10,                         /* attributes: transactional, no codec */
    0, 0, 0, 1,                         /* lastOffsetDelta */
    0, 0, 0, 0, 0, 0, 0x03, 0xe8,       /* baseTimestamp 1000 */
    0, 0, 0, 0, 0, 0, 0x03, 0xe8,       /* maxTimestamp 1000 */
    0, 0, 0, 0, 0, 0, 0x12, 0x34,       /* producerId */
    0, 7,                               /* producerEpoch */
    0, 0, 0, 42,                        /* baseSequence */
    0, 0, 0, 2,                         /* record count */
    /* record 0: length 9, attrs, tsDelta 0, offsetDelta 0, key "k", value "v1", 0 headers */
    0x12, 0x00, 0x00, 0x00, 0x02, 'k', 0x04, 'v', '1', 0x00,
    /* record 1: length 13, attrs, tsDelta -10, offsetDelta 1, key null, value "",
     * 2 headers: "h"="x", "n"=null */
    0x1a, 0x00, 0x13, 0x02, 0x01, 0x00, 0x04, 0x02, 'h', 0x02, 'x', 0x02, 'n', 0x01,
};
/* clang-format on */

START_TEST(test_uncompressed_batch_matches_hand_built_bytes)
{
    kbuf buf = {0};
    kbatch_writer w;
    ck_assert_int_eq(
        kbatch_writer_begin(&w, &buf, 5, 1000, 0x1234, 7, 42, KBATCH_ATTR_TRANSACTIONAL, 0),
        KFK_OK);
    ck_assert_int_eq(kbatch_writer_append(&w, 1000, S("k"), S("v1"), NULL, 0), KFK_OK);
    krecord_header h[2] = {{S("h"), S("x")}, {S("n"), NUL}};
    ck_assert_int_eq(kbatch_writer_append(&w, 990, NUL, S(""), h, 2), KFK_OK);
    ck_assert_uint_eq(kbatch_writer_size(&w), sizeof(hand_batch));
    kslice out;
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &out), KFK_OK);
    ck_assert_ptr_eq(out.ptr, buf.data);
    ck_assert_uint_eq(out.len, sizeof(hand_batch));
    ck_assert_mem_eq(out.ptr, hand_batch, sizeof(hand_batch));
    kbuf_free(&buf);
}
END_TEST

START_TEST(test_hand_built_bytes_parse_field_by_field)
{
    kreader r = kreader_of(hand_batch, sizeof(hand_batch));
    kbatch b;
    ck_assert_int_eq(kbatch_parse_header(&r, &b), KFK_OK);
    ck_assert_uint_eq(kreader_left(&r), 0);
    ck_assert_int_eq(b.base_offset, 5);
    ck_assert_int_eq(b.last_offset, 6);
    ck_assert_int_eq(b.length, 73);
    ck_assert_int_eq(b.partition_leader_epoch, -1);
    ck_assert_uint_eq(b.crc, 0xffe2c5a0u);
    ck_assert_int_eq(b.codec, KCODEC_NONE);
    ck_assert(b.transactional && !b.control && !b.has_delete_horizon);
    ck_assert_int_eq(b.timestamp_type, KTS_CREATE_TIME);
    ck_assert_int_eq(b.producer_id, 0x1234);
    ck_assert_int_eq(b.producer_epoch, 7);
    ck_assert_int_eq(b.base_sequence, 42);
    ck_assert_int_eq(b.record_count, 2);
    ck_assert_int_eq(kbatch_verify_crc(&b), KFK_OK);

    kbatch_read_opts opts = {0};
    krecord_iter it;
    krecord rec;
    ck_assert_int_eq(krecord_iter_init(&it, &b, &opts, NULL), KFK_OK);
    ck_assert(krecord_iter_next(&it, &rec));
    ck_assert_int_eq(rec.offset, 5);
    ck_assert_int_eq(rec.timestamp, 1000);
    ck_assert(slice_eq(rec.key, S("k")) && slice_eq(rec.value, S("v1")));
    ck_assert_int_eq(rec.header_count, 0);
    ck_assert(krecord_iter_next(&it, &rec));
    ck_assert_int_eq(rec.offset, 6);
    ck_assert_int_eq(rec.timestamp, 990);
    ck_assert(rec.key.ptr == NULL);
    ck_assert(rec.value.ptr != NULL && rec.value.len == 0);
    krecord_header_iter hi = krecord_headers(&rec);
    krecord_header h;
    ck_assert(krecord_header_next(&hi, &h));
    ck_assert(slice_eq(h.key, S("h")) && slice_eq(h.value, S("x")));
    ck_assert(krecord_header_next(&hi, &h));
    ck_assert(slice_eq(h.key, S("n")) && h.value.ptr == NULL);
    ck_assert(!krecord_header_next(&hi, &h));
    ck_assert(!krecord_iter_next(&it, &rec));
    ck_assert_int_eq(it.err, KFK_OK);
}
END_TEST

/* --- round trips -------------------------------------------------------- */

typedef struct gen_rec {
    int64_t ts;
    kslice key, value;
    krecord_header h[3];
    size_t nh;
    uint8_t kbuf[16], vbuf[700];
} gen_rec;

/* Record i of a varied set: null/empty keys and values, 0-3 headers (one
 * with a null value), timestamps that jump backwards, negative and huge. */
static void gen(int i, gen_rec *g)
{
    static const int64_t ts_base[] = {1700000000000LL, -5, INT64_MAX / 2, 0};
    g->ts = ts_base[i % 4] + (i % 3 == 2 ? -i * 1000LL : i * 7LL);
    int kl = snprintf((char *)g->kbuf, sizeof(g->kbuf), "key-%d", i);
    g->key = i % 5 == 0 ? NUL : (kslice){g->kbuf, (size_t)(i % 11 == 3 ? 0 : kl)};
    size_t vl = (size_t)(i * 37) % sizeof(g->vbuf);
    ktest_fill(g->vbuf, vl, (uint64_t)i);
    g->value = i % 13 == 4 ? NUL : (kslice){g->vbuf, i % 17 == 6 ? 0 : vl};
    g->nh = (size_t)i % 4;
    static const char *names[] = {"a", "bb", ""};
    for (size_t h = 0; h < g->nh; h++) {
        g->h[h].key = (kslice){(const uint8_t *)names[h], strlen(names[h])};
        g->h[h].value = h == 1 ? NUL : (kslice){g->vbuf, h * 3 < vl ? h * 3 : vl};
    }
}

static void write_batch(kbuf *buf, int n, int64_t base_offset, kcodec codec, kbuf *out,
                        kslice *batch)
{
    kbatch_writer w;
    gen_rec g;
    gen(0, &g);
    ck_assert_int_eq(kbatch_writer_begin(&w, buf, base_offset, g.ts, 99, 3, 1000, 0, 0), KFK_OK);
    for (int i = 0; i < n; i++) {
        gen(i, &g);
        ck_assert_int_eq(kbatch_writer_append(&w, g.ts, g.key, g.value, g.h, g.nh), KFK_OK);
    }
    ck_assert_int_eq(kbatch_writer_count(&w), n);
    ck_assert_int_eq(kbatch_writer_finish(&w, codec, -1, out, batch), KFK_OK);
}

static void check_records(kslice batch, int n, int64_t base_offset, kcodec codec)
{
    kbatch_read_opts opts = {.check_crcs = true};
    kbuf scratch = {0};
    krecords_iter it;
    krecords_iter_init(&it, batch.ptr, batch.len, &opts, &scratch);
    krecord rec;
    const kbatch *b = NULL;
    int i = 0;
    for (; krecords_iter_next(&it, &rec, &b); i++) {
        gen_rec g;
        gen(i, &g);
        ck_assert_int_eq(b->codec, codec);
        ck_assert_int_eq(rec.offset, base_offset + i);
        ck_assert_int_eq(rec.timestamp, g.ts);
        ck_assert(slice_eq(rec.key, g.key));
        ck_assert(slice_eq(rec.value, g.value));
        ck_assert_int_eq(rec.header_count, (int)g.nh);
        krecord_header_iter hi = krecord_headers(&rec);
        krecord_header h;
        for (size_t k = 0; k < g.nh; k++) {
            ck_assert(krecord_header_next(&hi, &h));
            ck_assert(slice_eq(h.key, g.h[k].key) && slice_eq(h.value, g.h[k].value));
        }
        ck_assert(!krecord_header_next(&hi, &h));
    }
    ck_assert_int_eq(it.err, KFK_OK);
    ck_assert(!it.truncated);
    ck_assert_int_eq(i, n);
    ck_assert_int_eq(b->producer_id, 99);
    ck_assert_int_eq(b->producer_epoch, 3);
    ck_assert_int_eq(b->base_sequence, 1000);
    ck_assert_int_eq(b->last_offset, base_offset + n - 1);
    kbuf_free(&scratch);
}

START_TEST(test_round_trip_every_codec)
{
    static const kcodec codecs[] = {KCODEC_NONE, KCODEC_GZIP, KCODEC_SNAPPY, KCODEC_LZ4,
                                    KCODEC_ZSTD};
    kcodec codec = codecs[_i];
    kbuf buf = {0}, out = {0};
    kslice batch;
    write_batch(&buf, 1000, 1LL << 40, codec, &out, &batch);
    if (codec != KCODEC_NONE) ck_assert_ptr_eq(batch.ptr, out.data);
    check_records(batch, 1000, 1LL << 40, codec);
    kbuf_free(&buf);
    kbuf_free(&out);
}
END_TEST

START_TEST(test_max_timestamp_is_largest_not_last)
{
    kbuf buf = {0};
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &buf, 0, 500, -1, -1, -1, 0, 0), KFK_OK);
    int64_t ts[] = {500, 900, -20, 700};
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(kbatch_writer_append(&w, ts[i], S("k"), S("v"), NULL, 0), KFK_OK);
    kslice out;
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &out), KFK_OK);
    kreader r = kreader_of(out.ptr, out.len);
    kbatch b;
    ck_assert_int_eq(kbatch_parse_header(&r, &b), KFK_OK);
    ck_assert_int_eq(b.max_timestamp, 900);
    ck_assert_int_eq(b.base_timestamp, 500);
    ck_assert_int_eq(b.last_offset_delta, 3);
    ck_assert_int_eq(b.producer_id, -1);
    kbuf_free(&buf);
}
END_TEST

START_TEST(test_record_size_predicts_growth)
{
    kbuf buf = {0};
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &buf, 0, 0, -1, -1, -1, 0, 0), KFK_OK);
    ck_assert_uint_eq(kbatch_writer_size(&w), KBATCH_HEADER_SIZE);
    for (int i = 0; i < 200; i++) {
        gen_rec g;
        gen(i, &g);
        size_t before = kbatch_writer_size(&w);
        size_t want = kbatch_record_size(i, g.ts, g.key, g.value, g.h, g.nh);
        ck_assert_int_eq(kbatch_writer_append(&w, g.ts, g.key, g.value, g.h, g.nh), KFK_OK);
        ck_assert_uint_eq(kbatch_writer_size(&w) - before, want);
    }
    kbuf_free(&buf);
}
END_TEST

START_TEST(test_append_refuses_past_max_bytes_but_takes_first)
{
    kbuf buf = {0};
    kbatch_writer w;
    uint8_t big[300] = {0};
    ck_assert_int_eq(kbatch_writer_begin(&w, &buf, 0, 0, -1, -1, -1, 0, 200), KFK_OK);
    /* The first record is taken whatever its size: a batch must make progress. */
    ck_assert_int_eq(kbatch_writer_append(&w, 0, NUL, (kslice){big, 300}, NULL, 0), KFK_OK);
    size_t size = kbatch_writer_size(&w);
    ck_assert_int_eq(kbatch_writer_append(&w, 0, NUL, (kslice){big, 1}, NULL, 0),
                     KFK_ERR_TOO_LARGE);
    ck_assert_uint_eq(kbatch_writer_size(&w), size); /* nothing written */
    ck_assert_int_eq(kbatch_writer_count(&w), 1);
    kbuf_reset(&buf);

    ck_assert_int_eq(kbatch_writer_begin(&w, &buf, 0, 0, -1, -1, -1, 0, 100), KFK_OK);
    int n = 0;
    while (kbatch_writer_append(&w, 0, NUL, (kslice){big, 10}, NULL, 0) == KFK_OK)
        n++;
    ck_assert_uint_le(kbatch_writer_size(&w), 100);
    ck_assert_uint_gt(
        kbatch_writer_size(&w) + kbatch_record_size(n, 0, NUL, (kslice){big, 10}, NULL, 0), 100);
    kbuf_free(&buf);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    kbuf buf = {0}, out = {0};
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &buf, 0, 0, -1, -1, -1, 0x01, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kbatch_writer_begin(&w, &buf, 0, 0, -1, -1, -1, 0, 0), KFK_OK);
    kslice batch;
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &batch), KFK_ERR_STATE);
    ck_assert_int_eq(kbatch_writer_append(&w, 0, (kslice){NULL, 3}, NUL, NULL, 0),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kbatch_writer_append(&w, 0, NUL, NUL, NULL, 2), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kbatch_writer_append(&w, 0, NUL, NUL, NULL, 0), KFK_OK);
    ck_assert_int_eq(kbatch_writer_finish(&w, (kcodec)7, -1, &out, &batch), KFK_ERR_UNSUPPORTED);
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_GZIP, -1, NULL, &batch), KFK_ERR_INVALID_ARG);
    kbuf_free(&buf);
    kbuf_free(&out);
}
END_TEST

START_TEST(test_batch_appends_after_existing_bytes)
{
    kbuf buf = {0};
    kbuf_append(&buf, "prefix", 6);
    kbatch_writer w;
    ck_assert_int_eq(
        kbatch_writer_begin(&w, &buf, 5, 1000, 0x1234, 7, 42, KBATCH_ATTR_TRANSACTIONAL, 0),
        KFK_OK);
    ck_assert_int_eq(kbatch_writer_append(&w, 1000, S("k"), S("v1"), NULL, 0), KFK_OK);
    krecord_header h[2] = {{S("h"), S("x")}, {S("n"), NUL}};
    ck_assert_int_eq(kbatch_writer_append(&w, 990, NUL, S(""), h, 2), KFK_OK);
    kslice out;
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &out), KFK_OK);
    ck_assert_ptr_eq(out.ptr, buf.data + 6);
    ck_assert_mem_eq(buf.data, "prefix", 6);
    ck_assert_mem_eq(out.ptr, hand_batch, sizeof(hand_batch));
    kbuf_free(&buf);
}
END_TEST

/* --- KIP-360 rewrite ---------------------------------------------------- */

START_TEST(test_set_producer_equals_writing_with_new_fields)
{
    static const kcodec codecs[] = {KCODEC_NONE, KCODEC_ZSTD};
    for (int c = 0; c < 2; c++) {
        kbuf a = {0}, b = {0}, ca = {0}, cb = {0};
        kbatch_writer w;
        kslice sa, sb;
        ck_assert_int_eq(kbatch_writer_begin(&w, &a, 0, 10, 1000, 1, 5, 0, 0), KFK_OK);
        ck_assert_int_eq(kbatch_writer_append(&w, 11, S("k"), S("value"), NULL, 0), KFK_OK);
        ck_assert_int_eq(kbatch_writer_finish(&w, codecs[c], -1, &ca, &sa), KFK_OK);
        ck_assert_int_eq(kbatch_writer_begin(&w, &b, 0, 10, 2000, 9, 77, 0, 0), KFK_OK);
        ck_assert_int_eq(kbatch_writer_append(&w, 11, S("k"), S("value"), NULL, 0), KFK_OK);
        ck_assert_int_eq(kbatch_writer_finish(&w, codecs[c], -1, &cb, &sb), KFK_OK);
        ck_assert_uint_eq(sa.len, sb.len);
        ck_assert_int_eq(kbatch_set_producer((uint8_t *)sa.ptr, sa.len, 2000, 9, 77), KFK_OK);
        ck_assert_mem_eq(sa.ptr, sb.ptr, sa.len);

        kreader r = kreader_of(sa.ptr, sa.len);
        kbatch hb;
        ck_assert_int_eq(kbatch_parse_header(&r, &hb), KFK_OK);
        ck_assert_int_eq(kbatch_verify_crc(&hb), KFK_OK);
        ck_assert_int_eq(hb.producer_id, 2000);
        ck_assert_int_eq(hb.producer_epoch, 9);
        ck_assert_int_eq(hb.base_sequence, 77);
        ck_assert_int_eq(kbatch_set_producer((uint8_t *)sa.ptr, sa.len - 1, 1, 1, 1),
                         KFK_ERR_MALFORMED);
        kbuf_free(&a), kbuf_free(&b), kbuf_free(&ca), kbuf_free(&cb);
    }
}
END_TEST

START_TEST(test_broker_fields_leave_crc_valid)
{
    uint8_t copy[sizeof(hand_batch)];
    memcpy(copy, hand_batch, sizeof(copy));
    kbatch_set_base_offset(copy, 123456789);
    kbatch_set_partition_leader_epoch(copy, 17);
    kreader r = kreader_of(copy, sizeof(copy));
    kbatch b;
    ck_assert_int_eq(kbatch_parse_header(&r, &b), KFK_OK);
    ck_assert_int_eq(b.base_offset, 123456789);
    ck_assert_int_eq(b.partition_leader_epoch, 17);
    ck_assert_int_eq(kbatch_verify_crc(&b), KFK_OK);
}
END_TEST

START_TEST(test_log_append_time_rewrite)
{
    uint8_t copy[sizeof(hand_batch)];
    memcpy(copy, hand_batch, sizeof(copy));
    ck_assert_int_eq(kbatch_set_log_append_time(copy, sizeof(copy), 5555), KFK_OK);
    ck_assert_int_eq(kbatch_set_log_append_time(copy, sizeof(copy) + 1, 5555), KFK_ERR_MALFORMED);
    kreader r = kreader_of(copy, sizeof(copy));
    kbatch b;
    ck_assert_int_eq(kbatch_parse_header(&r, &b), KFK_OK);
    ck_assert_int_eq(kbatch_verify_crc(&b), KFK_OK);
    ck_assert_int_eq(b.timestamp_type, KTS_LOG_APPEND_TIME);
    ck_assert(b.transactional);
    ck_assert_int_eq(b.max_timestamp, 5555);
    kbatch_read_opts opts = {0};
    krecord_iter it;
    krecord rec;
    ck_assert_int_eq(krecord_iter_init(&it, &b, &opts, NULL), KFK_OK);
    for (int i = 0; i < 2; i++) {
        ck_assert(krecord_iter_next(&it, &rec));
        ck_assert_int_eq(rec.timestamp, 5555);
    }
}
END_TEST

/* --- control batches ---------------------------------------------------- */

START_TEST(test_control_marker_round_trip)
{
    kbuf buf = {0};
    ck_assert_int_eq(kbatch_write_control(&buf, 40, 1234, 555, 2, KCONTROL_COMMIT, 9), KFK_OK);
    ck_assert_int_eq(kbatch_write_control(&buf, 41, 1235, 556, 3, KCONTROL_ABORT, -1), KFK_OK);
    ck_assert_int_eq(kbatch_write_control(&buf, 42, 0, 1, 1, (kcontrol_type)2, 0),
                     KFK_ERR_INVALID_ARG);
    kbatch_read_opts opts = {.check_crcs = true};
    krecords_iter it;
    krecords_iter_init(&it, buf.data, buf.len, &opts, NULL);
    krecord rec;
    const kbatch *b;
    kcontrol c;

    ck_assert(krecords_iter_next(&it, &rec, &b));
    ck_assert(b->control && b->transactional);
    ck_assert_int_eq(b->producer_id, 555);
    ck_assert_int_eq(b->producer_epoch, 2);
    ck_assert_int_eq(b->base_sequence, -1);
    ck_assert(rec.control);
    ck_assert_int_eq(rec.control_type, KCONTROL_COMMIT);
    ck_assert_int_eq(rec.offset, 40);
    ck_assert_int_eq(rec.timestamp, 1234);
    ck_assert_int_eq(kcontrol_parse(&rec, &c), KFK_OK);
    ck_assert_int_eq(c.type, KCONTROL_COMMIT);
    ck_assert_int_eq(c.key_version, 0);
    ck_assert_int_eq(c.value_version, 0);
    ck_assert_int_eq(c.coordinator_epoch, 9);
    /* the exact key and value layout: version, type / version, epoch */
    ck_assert_mem_eq(rec.key.ptr, "\0\0\0\1", 4);
    ck_assert_mem_eq(rec.value.ptr, "\0\0\0\0\0\x09", 6);

    ck_assert(krecords_iter_next(&it, &rec, &b));
    ck_assert_int_eq(rec.control_type, KCONTROL_ABORT);
    ck_assert_int_eq(kcontrol_parse(&rec, &c), KFK_OK);
    ck_assert_int_eq(c.coordinator_epoch, -1);
    ck_assert(!krecords_iter_next(&it, &rec, &b));
    ck_assert_int_eq(it.err, KFK_OK);
    kbuf_free(&buf);
}
END_TEST

START_TEST(test_control_parse_rejects_bad_keys)
{
    krecord rec = {.key = S("\0\0"), .value = S("\0\0\0\0\0\0")};
    kcontrol c;
    ck_assert_int_eq(kcontrol_parse(&rec, &c), KFK_ERR_MALFORMED);
    rec.key = S("\xff\xff\0\1"); /* negative version */
    ck_assert_int_eq(kcontrol_parse(&rec, &c), KFK_ERR_MALFORMED);
    rec.key = S("\0\1\0\1\0\0"); /* a newer version may add fields */
    ck_assert_int_eq(kcontrol_parse(&rec, &c), KFK_OK);
    rec.value = S("\0\0\0");
    ck_assert_int_eq(kcontrol_parse(&rec, &c), KFK_ERR_MALFORMED);
    rec.key = S("\0\0\0\5"); /* KRaft types carry other values */
    ck_assert_int_eq(kcontrol_parse(&rec, &c), KFK_OK);
    ck_assert_int_eq(c.type, 5);
    ck_assert_int_eq(c.value_version, -1);
}
END_TEST

static Suite *batch_encode_suite(void)
{
    Suite *s = suite_create("batch_encode");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_uncompressed_batch_matches_hand_built_bytes);
    tcase_add_test(tc, test_hand_built_bytes_parse_field_by_field);
    tcase_add_loop_test(tc, test_round_trip_every_codec, 0, 5);
    tcase_add_test(tc, test_max_timestamp_is_largest_not_last);
    tcase_add_test(tc, test_record_size_predicts_growth);
    tcase_add_test(tc, test_append_refuses_past_max_bytes_but_takes_first);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    tcase_add_test(tc, test_batch_appends_after_existing_bytes);
    tcase_add_test(tc, test_set_producer_equals_writing_with_new_fields);
    tcase_add_test(tc, test_broker_fields_leave_crc_valid);
    tcase_add_test(tc, test_log_append_time_rewrite);
    tcase_add_test(tc, test_control_marker_round_trip);
    tcase_add_test(tc, test_control_parse_rejects_bad_keys);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(batch_encode_suite());
}
