/* Reading legacy v0/v1 message sets, built here by hand from the protocol
 * docs: plain messages, compressed wrappers (relative offsets in v1,
 * absolute in v0), timestamps and their types, CRC-32 checks, and mixes of
 * legacy entries with v2 batches in one Fetch blob. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../common/ktest.h"
#include "codec/codec.h"
#include "proto/batch.h"

#define S(str) ((kslice){(const uint8_t *)(str), sizeof(str) - 1})
#define NUL ((kslice){NULL, 0})

static void put_bytes32(kbuf *b, kslice s)
{
    kwrite_i32(b, s.ptr ? (int32_t)s.len : -1);
    if (s.ptr) kbuf_append(b, s.ptr, s.len);
}

/* Appends offset, size, crc, magic, attributes, [timestamp], key, value. */
static void put_msg(kbuf *b, int64_t offset, int8_t magic, uint8_t attrs, int64_t ts, kslice key,
                    kslice value)
{
    kwrite_i64(b, offset);
    size_t size_at = b->len;
    kwrite_i32(b, 0);
    kwrite_u32(b, 0);
    size_t magic_at = b->len;
    kwrite_i8(b, magic);
    kwrite_u8(b, attrs);
    if (magic == 1) kwrite_i64(b, ts);
    put_bytes32(b, key);
    put_bytes32(b, value);
    kput_u32(b->data + size_at, (uint32_t)(b->len - size_at - 4));
    uint32_t crc = (uint32_t)crc32(0, b->data + magic_at, (uInt)(b->len - magic_at));
    kput_u32(b->data + magic_at - 4, crc);
}

/* Three inner messages with the given offsets, compressed into a wrapper. */
static void put_wrapper(kbuf *b, int64_t wrapper_offset, int8_t magic, kcodec codec,
                        uint8_t ts_type_bit, int64_t wrapper_ts, const int64_t inner[3])
{
    kbuf set = {0}, z = {0};
    put_msg(&set, inner[0], magic, 0, 111, S("k0"), S("first"));
    put_msg(&set, inner[1], magic, 0, 222, NUL, S(""));
    put_msg(&set, inner[2], magic, 0, 333, S("k2"), NUL);
    ck_assert_int_eq(kcodec_compress(codec, -1, set.data, set.len, &z), KFK_OK);
    put_msg(b, wrapper_offset, magic, (uint8_t)(codec | ts_type_bit), wrapper_ts, NUL,
            (kslice){z.data, z.len});
    kbuf_free(&set);
    kbuf_free(&z);
}

typedef struct result {
    int n;
    krecord recs[16];
    kfk_err err;
    bool truncated;
    kbuf scratch;
} result;

static void read_all(result *res, const kbuf *b, int64_t start, bool crcs)
{
    kbatch_read_opts opts = {.start_offset = start, .check_crcs = crcs};
    krecords_iter it;
    krecords_iter_init(&it, b->data, b->len, &opts, &res->scratch);
    res->n = 0;
    while (res->n < 16 && krecords_iter_next(&it, &res->recs[res->n], NULL))
        res->n++;
    res->err = it.err;
    res->truncated = it.truncated;
}

static bool slice_eq(kslice a, kslice b)
{
    if (!a.ptr || !b.ptr) return !a.ptr && !b.ptr;
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Record i of r against inner message kv of put_wrapper. */
static void check_rec(const result *r, int i, int kv, int64_t offset, int64_t ts, int8_t ts_type)
{
    static const kslice keys[3] = {S("k0"), NUL, S("k2")};
    static const kslice values[3] = {S("first"), S(""), NUL};
    const krecord *rec = &r->recs[i];
    ck_assert_int_eq(rec->offset, offset);
    ck_assert_int_eq(rec->timestamp, ts);
    ck_assert_int_eq(rec->timestamp_type, ts_type);
    ck_assert(slice_eq(rec->key, keys[kv]));
    ck_assert(slice_eq(rec->value, values[kv]));
    ck_assert_int_eq(rec->header_count, 0);
    ck_assert(!rec->control);
}

static void check_inner(const result *r, int i, int64_t offset, int64_t ts, int8_t ts_type)
{
    check_rec(r, i, i, offset, ts, ts_type);
}

START_TEST(test_v0_plain_messages)
{
    kbuf b = {0};
    put_msg(&b, 10, 0, 0, 0, S("k0"), S("first"));
    put_msg(&b, 11, 0, 0, 0, NUL, S(""));
    put_msg(&b, 12, 0, 0, 0, S("k2"), NUL);
    result r = {0};
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert_int_eq(r.n, 3);
    for (int i = 0; i < 3; i++)
        check_inner(&r, i, 10 + i, -1, KTS_NONE);
    read_all(&r, &b, 12, true);
    ck_assert_int_eq(r.n, 1);
    ck_assert_int_eq(r.recs[0].offset, 12);
    kbuf_free(&b);
    kbuf_free(&r.scratch);
}
END_TEST

START_TEST(test_v1_plain_messages_keep_their_timestamp_type)
{
    kbuf b = {0};
    put_msg(&b, 0, 1, 0, 111, S("k0"), S("first"));
    put_msg(&b, 1, 1, 0x08, 222, NUL, S(""));
    put_msg(&b, 2, 1, 0, -1, S("k2"), NUL);
    result r = {0};
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert_int_eq(r.n, 3);
    check_inner(&r, 0, 0, 111, KTS_CREATE_TIME);
    check_inner(&r, 1, 1, 222, KTS_LOG_APPEND_TIME);
    check_inner(&r, 2, 2, -1, KTS_CREATE_TIME);
    kbuf_free(&b);
    kbuf_free(&r.scratch);
}
END_TEST

START_TEST(test_v1_wrapper_relative_offsets_every_codec)
{
    static const kcodec codecs[] = {KCODEC_GZIP, KCODEC_SNAPPY, KCODEC_LZ4};
    kbuf b = {0};
    static const int64_t rel[3] = {0, 1, 2};
    put_wrapper(&b, 52, 1, codecs[_i], 0, 999, rel);
    result r = {0};
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert_int_eq(r.n, 3);
    check_inner(&r, 0, 50, 111, KTS_CREATE_TIME);
    check_inner(&r, 1, 51, 222, KTS_CREATE_TIME);
    check_inner(&r, 2, 52, 333, KTS_CREATE_TIME);
    read_all(&r, &b, 51, true);
    ck_assert_int_eq(r.n, 2);
    ck_assert_int_eq(r.recs[0].offset, 51);
    kbuf_free(&b);
    kbuf_free(&r.scratch);
}
END_TEST

START_TEST(test_v1_wrapper_log_append_time_overrides_inner)
{
    kbuf b = {0};
    static const int64_t rel[3] = {0, 1, 2};
    put_wrapper(&b, 7, 1, KCODEC_GZIP, 0x08, 424242, rel);
    result r = {0};
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert_int_eq(r.n, 3);
    for (int i = 0; i < 3; i++)
        check_inner(&r, i, 5 + i, 424242, KTS_LOG_APPEND_TIME);
    kbuf_free(&b);
    kbuf_free(&r.scratch);
}
END_TEST

START_TEST(test_v1_wrapper_offset_zero_means_inner_offsets)
{
    kbuf b = {0};
    static const int64_t rel[3] = {0, 1, 2};
    put_wrapper(&b, 0, 1, KCODEC_GZIP, 0, 0, rel);
    result r = {0};
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(r.recs[2].offset, 2);
    kbuf_free(&b);
    kbuf_free(&r.scratch);
}
END_TEST

START_TEST(test_v0_wrapper_absolute_offsets)
{
    kbuf b = {0};
    static const int64_t abs_offsets[3] = {7, 8, 9};
    put_wrapper(&b, 9, 0, KCODEC_GZIP, 0, 0, abs_offsets);
    result r = {0};
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert_int_eq(r.n, 3);
    for (int i = 0; i < 3; i++)
        check_inner(&r, i, 7 + i, -1, KTS_NONE);
    kbuf_free(&b);
    kbuf_free(&r.scratch);
}
END_TEST

/* Offset of the LZ4 frame header checksum byte in a frame at p. */
static size_t lz4_hc_at(const uint8_t *p)
{
    return 6 + ((p[4] & 0x08) ? 8 : 0) + ((p[4] & 0x01) ? 4 : 0);
}

START_TEST(test_v0_lz4_ignores_broken_header_checksum)
{
    /* KAFKA-3160: v0 producers wrote a wrong LZ4 header checksum; readers
     * must ignore it for v0 and only for v0. */
    for (int8_t magic = 0; magic <= 1; magic++) {
        kbuf b = {0};
        static const int64_t offs[3] = {0, 1, 2};
        put_wrapper(&b, 2, magic, KCODEC_LZ4, 0, 0, offs);
        size_t value_at = 12 + 4 + 2 + (magic ? 8 : 0) + 4 + 4; /* after the null key */
        uint8_t *frame = b.data + value_at;
        ck_assert_mem_eq(frame, "\x04\x22\x4d\x18", 4);
        frame[lz4_hc_at(frame)] ^= 0x5a;
        size_t crc_from = 16;
        kput_u32(b.data + 12, (uint32_t)crc32(0, b.data + crc_from, (uInt)(b.len - crc_from)));
        result r = {0};
        read_all(&r, &b, 0, true);
        ck_assert_int_eq(r.err, magic == 0 ? KFK_OK : KFK_ERR_COMPRESSION);
        ck_assert_int_eq(r.n, magic == 0 ? 3 : 0);
        kbuf_free(&b);
        kbuf_free(&r.scratch);
    }
}
END_TEST

START_TEST(test_legacy_crc_checks)
{
    kbuf b = {0};
    put_msg(&b, 0, 1, 0, 5, S("k"), S("plain"));
    put_msg(&b, 1, 0, 0, 0, S("k"), S("plain v0"));
    result r = {0};
    b.data[b.len - 1] ^= 1; /* inside the second entry's value */
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_ERR_CRC);
    ck_assert_int_eq(r.n, 1);
    read_all(&r, &b, 0, false);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert_int_eq(r.n, 2);
    kbuf_free(&b);
    kbuf_free(&r.scratch);
}
END_TEST

START_TEST(test_inner_message_crc_checked_when_asked)
{
    kbuf set = {0}, z = {0}, b = {0};
    put_msg(&set, 0, 1, 0, 1, NUL, S("aaaa"));
    put_msg(&set, 1, 1, 0, 2, NUL, S("bbbb"));
    set.data[set.len - 1] ^= 1; /* inner CRC now wrong; the wrapper's is right */
    ck_assert_int_eq(kcodec_compress(KCODEC_GZIP, -1, set.data, set.len, &z), KFK_OK);
    put_msg(&b, 1, 1, KCODEC_GZIP, 0, NUL, (kslice){z.data, z.len});
    result r = {0};
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_ERR_CRC);
    ck_assert_int_eq(r.n, 1);
    read_all(&r, &b, 0, false);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert_int_eq(r.n, 2);
    kbuf_free(&set), kbuf_free(&z), kbuf_free(&b), kbuf_free(&r.scratch);
}
END_TEST

/* Wrappers that Java refuses: nested, empty, offset below its last inner. */
START_TEST(test_bad_wrappers_are_malformed)
{
    kbuf inner = {0}, z = {0}, set = {0}, b = {0};
    result r = {0};

    put_msg(&inner, 0, 1, 0, 1, NUL, S("x"));
    ck_assert_int_eq(kcodec_compress(KCODEC_GZIP, -1, inner.data, inner.len, &z), KFK_OK);
    put_msg(&set, 0, 1, KCODEC_GZIP, 0, NUL, (kslice){z.data, z.len}); /* a wrapper... */
    kbuf_reset(&z);
    ck_assert_int_eq(kcodec_compress(KCODEC_GZIP, -1, set.data, set.len, &z), KFK_OK);
    put_msg(&b, 0, 1, KCODEC_GZIP, 0, NUL, (kslice){z.data, z.len}); /* ...in a wrapper */
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_ERR_MALFORMED);

    kbuf_reset(&z), kbuf_reset(&b);
    ck_assert_int_eq(kcodec_compress(KCODEC_GZIP, -1, (const uint8_t *)"", 0, &z), KFK_OK);
    put_msg(&b, 0, 1, KCODEC_GZIP, 0, NUL, (kslice){z.data, z.len});
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_ERR_MALFORMED);

    kbuf_reset(&b);
    static const int64_t rel[3] = {0, 1, 2};
    put_wrapper(&b, 1, 1, KCODEC_GZIP, 0, 0, rel);
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_ERR_MALFORMED);

    kbuf_reset(&b);
    put_msg(&b, 0, 1, KCODEC_GZIP, 0, NUL, NUL); /* compressed, null value */
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_ERR_MALFORMED);

    kbuf_reset(&b);
    put_msg(&b, 0, 1, 4, 0, NUL, S("zstd never existed here"));
    read_all(&r, &b, 0, false);
    ck_assert_int_eq(r.err, KFK_ERR_MALFORMED);
    kbuf_free(&inner), kbuf_free(&z), kbuf_free(&set), kbuf_free(&b), kbuf_free(&r.scratch);
}
END_TEST

START_TEST(test_hostile_legacy_lengths)
{
    static const struct {
        size_t at; /* byte to overwrite, from the entry start */
        uint32_t value;
        kfk_err err;
    } cases[] = {
        {8, 0xffffffffu, KFK_ERR_MALFORMED},  /* negative size */
        {8, 13, KFK_ERR_MALFORMED},           /* below the v0 minimum */
        {8, 21, KFK_ERR_MALFORMED},           /* below the v1 minimum */
        {26, 0xfffffffeu, KFK_ERR_MALFORMED}, /* key length -2 */
        {26, 0x7fffffffu, KFK_ERR_MALFORMED}, /* key length huge */
        {30, 0x00000009u, KFK_ERR_MALFORMED}, /* value shorter than the message */
        {30, 0x80000000u, KFK_ERR_MALFORMED}, /* value length INT32_MIN */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kbuf b = {0};
        put_msg(&b, 0, 1, 0, 0, NUL, S("0123456789"));
        kput_u32(b.data + cases[i].at, cases[i].value);
        result r = {0};
        read_all(&r, &b, 0, false);
        ck_assert_int_eq(r.err, cases[i].err);
        ck_assert_int_eq(r.n, 0);
        kbuf_free(&b);
        kbuf_free(&r.scratch);
    }
}
END_TEST

START_TEST(test_mixed_magic_blob)
{
    kbuf b = {0}, tmp = {0};
    put_msg(&b, 0, 0, 0, 0, S("k0"), S("first"));
    static const int64_t rel[3] = {0, 1, 2};
    put_wrapper(&b, 3, 1, KCODEC_SNAPPY, 0, 0, rel);
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &tmp, 4, 500, -1, -1, -1, 0, 0), KFK_OK);
    ck_assert_int_eq(kbatch_writer_append(&w, 500, S("k0"), S("first"), NULL, 0), KFK_OK);
    ck_assert_int_eq(kbatch_writer_append(&w, 501, NUL, S(""), NULL, 0), KFK_OK);
    kslice v2;
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &v2), KFK_OK);
    kbuf_append(&b, v2.ptr, v2.len);
    put_msg(&b, 6, 1, 0, 600, S("k2"), NUL);
    size_t full = b.len;
    put_msg(&b, 7, 1, 0, 700, S("cut"), S("off"));
    b.len -= 3; /* the Fetch cut the last message */

    result r = {0};
    read_all(&r, &b, 0, true);
    ck_assert_int_eq(r.err, KFK_OK);
    ck_assert(r.truncated);
    ck_assert_int_eq(r.n, 7);
    check_rec(&r, 0, 0, 0, -1, KTS_NONE);
    check_rec(&r, 1, 0, 1, 111, KTS_CREATE_TIME);
    check_rec(&r, 2, 1, 2, 222, KTS_CREATE_TIME);
    check_rec(&r, 3, 2, 3, 333, KTS_CREATE_TIME);
    check_rec(&r, 4, 0, 4, 500, KTS_CREATE_TIME);
    check_rec(&r, 5, 1, 5, 501, KTS_CREATE_TIME);
    check_rec(&r, 6, 2, 6, 600, KTS_CREATE_TIME);
    b.len = full;
    read_all(&r, &b, 0, true);
    ck_assert(!r.truncated);
    kbuf_free(&b), kbuf_free(&tmp), kbuf_free(&r.scratch);
}
END_TEST

START_TEST(test_legacy_entry_as_a_batch)
{
    kbuf b = {0};
    static const int64_t rel[3] = {0, 1, 2};
    put_wrapper(&b, 20, 1, KCODEC_GZIP, 0, 999, rel);
    kreader rd = kreader_of(b.data, b.len);
    kbatch bt;
    ck_assert_int_eq(kbatch_parse_legacy(&rd, &bt), KFK_OK);
    ck_assert_uint_eq(kreader_left(&rd), 0);
    ck_assert_int_eq(bt.magic, 1);
    ck_assert_int_eq(bt.codec, KCODEC_GZIP);
    ck_assert_int_eq(bt.last_offset, 20);
    ck_assert_int_eq(bt.max_timestamp, 999);
    ck_assert_int_eq(bt.producer_id, -1);
    ck_assert(!bt.control && !bt.transactional);
    ck_assert_int_eq(kbatch_verify_crc(&bt), KFK_OK);
    kbuf_free(&b);
}
END_TEST

static Suite *batch_legacy_suite(void)
{
    Suite *s = suite_create("batch_legacy");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_v0_plain_messages);
    tcase_add_test(tc, test_v1_plain_messages_keep_their_timestamp_type);
    tcase_add_loop_test(tc, test_v1_wrapper_relative_offsets_every_codec, 0, 3);
    tcase_add_test(tc, test_v1_wrapper_log_append_time_overrides_inner);
    tcase_add_test(tc, test_v1_wrapper_offset_zero_means_inner_offsets);
    tcase_add_test(tc, test_v0_wrapper_absolute_offsets);
    tcase_add_test(tc, test_v0_lz4_ignores_broken_header_checksum);
    tcase_add_test(tc, test_legacy_crc_checks);
    tcase_add_test(tc, test_inner_message_crc_checked_when_asked);
    tcase_add_test(tc, test_bad_wrappers_are_malformed);
    tcase_add_test(tc, test_hostile_legacy_lengths);
    tcase_add_test(tc, test_mixed_magic_blob);
    tcase_add_test(tc, test_legacy_entry_as_a_batch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(batch_legacy_suite());
}
