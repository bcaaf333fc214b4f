/* lib/codec wire formats: the exact framing bytes we write, and the other
 * framings producers write that we must read (raw snappy, concatenated
 * streams, zstd frames without a content size, legacy LZ4 headers). */
#include <stdlib.h>
#include <string.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "../common/ktest.h"
#include "codec/codec.h"

static uint8_t *text(size_t n, uint64_t seed)
{
    uint8_t *p = malloc(n ? n : 1);
    ktest_fill(p, n, seed);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)('a' + p[i] % 6); /* compressible, not trivially */
    return p;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void expect_decodes_to(kcodec c, const uint8_t *z, size_t zn, const uint8_t *want,
                              size_t n)
{
    kbuf out = {0};
    ck_assert_int_eq(kcodec_decompress(c, z, zn, &out, n), KFK_OK);
    ck_assert_uint_eq(out.len, n);
    ck_assert(n == 0 || memcmp(out.data, want, n) == 0);
    kbuf_free(&out);
}

static void teardown(void) { kcodec_thread_cleanup(); }

/* --- snappy ------------------------------------------------------------------ */

START_TEST(test_snappy_xerial_header_bytes_are_exact)
{
    static const uint8_t header[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0,
                                       0,    0,   0,   1,   0,   0,   0,   1};
    uint8_t *d = text(100, 1);
    kbuf z = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_SNAPPY, -1, d, 100, &z), KFK_OK);
    ck_assert_int_eq(memcmp(z.data, header, 16), 0);
    /* one block: its big-endian length covers exactly the rest */
    ck_assert_uint_eq(be32(z.data + 16), z.len - 20);
    size_t ulen;
    ck_assert_int_eq(snappy_uncompressed_length((char *)z.data + 20, z.len - 20, &ulen), 0);
    ck_assert_uint_eq(ulen, 100);
    kbuf_free(&z);

    ck_assert_int_eq(kcodec_compress(KCODEC_SNAPPY, -1, NULL, 0, &z), KFK_OK);
    ck_assert_uint_eq(z.len, 16); /* empty input: the header alone, as Java */
    ck_assert_int_eq(memcmp(z.data, header, 16), 0);
    kbuf_free(&z);
    free(d);
}
END_TEST

START_TEST(test_snappy_blocks_hold_32_kib_of_input_each)
{
    static const size_t sizes[] = {32768, 32769, 65536, 100000};
    for (size_t s = 0; s < 4; s++) {
        size_t n = sizes[s];
        uint8_t *d = text(n, n);
        kbuf z = {0};
        ck_assert_int_eq(kcodec_compress(KCODEC_SNAPPY, -1, d, n, &z), KFK_OK);
        size_t pos = 16, covered = 0, blocks = 0;
        while (pos < z.len) {
            ck_assert_uint_le(pos + 4, z.len);
            uint32_t clen = be32(z.data + pos);
            ck_assert_uint_le(pos + 4 + clen, z.len);
            size_t ulen;
            ck_assert_int_eq(
                snappy_uncompressed_length((char *)z.data + pos + 4, clen, &ulen), 0);
            size_t expect = n - covered < 32768 ? n - covered : 32768;
            ck_assert_uint_eq(ulen, expect);
            covered += ulen;
            pos += 4 + clen;
            blocks++;
        }
        ck_assert_uint_eq(covered, n);
        ck_assert_uint_eq(blocks, (n + 32767) / 32768);
        kbuf_free(&z);
        free(d);
    }
}
END_TEST

START_TEST(test_snappy_raw_block_is_accepted)
{
    size_t n = 50000;
    uint8_t *d = text(n, 2);
    size_t zn = snappy_max_compressed_length(n);
    char *z = malloc(zn);
    ck_assert_int_eq(snappy_compress((char *)d, n, z, &zn), SNAPPY_OK);
    expect_decodes_to(KCODEC_SNAPPY, (uint8_t *)z, zn, d, n);
    /* the raw block is bounded by max_out too */
    kbuf out = {0};
    ck_assert_int_eq(kcodec_decompress(KCODEC_SNAPPY, (uint8_t *)z, zn, &out, n - 1),
                     KFK_ERR_TOO_LARGE);
    kbuf_free(&out);
    /* a raw block of nothing */
    zn = snappy_max_compressed_length(0);
    ck_assert_int_eq(snappy_compress("", 0, z, &zn), SNAPPY_OK);
    expect_decodes_to(KCODEC_SNAPPY, (uint8_t *)z, zn, NULL, 0);
    free(z);
    free(d);
}
END_TEST

START_TEST(test_snappy_concatenated_xerial_streams_are_read_whole)
{
    uint8_t *a = text(40000, 3), *b = text(1000, 4);
    kbuf z = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_SNAPPY, -1, a, 40000, &z), KFK_OK);
    ck_assert_int_eq(kcodec_compress(KCODEC_SNAPPY, -1, b, 1000, &z), KFK_OK);
    uint8_t *both = malloc(41000);
    memcpy(both, a, 40000);
    memcpy(both + 40000, b, 1000);
    expect_decodes_to(KCODEC_SNAPPY, z.data, z.len, both, 41000);
    kbuf_free(&z);
    free(both);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_snappy_bad_block_lengths_are_errors)
{
    uint8_t *d = text(1000, 5);
    kbuf z = {0}, out = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_SNAPPY, -1, d, 1000, &z), KFK_OK);
    uint32_t clen = be32(z.data + 16);
    static const uint32_t bad[] = {0, 1, 0x7fffffff, 0x80000000u, 0xffffffffu};
    for (size_t i = 0; i < 5; i++) {
        uint8_t *p = z.data + 16;
        p[0] = (uint8_t)(bad[i] >> 24), p[1] = (uint8_t)(bad[i] >> 16);
        p[2] = (uint8_t)(bad[i] >> 8), p[3] = (uint8_t)bad[i];
        ck_assert_int_eq(kcodec_decompress(KCODEC_SNAPPY, z.data, z.len, &out, 1 << 20),
                         KFK_ERR_COMPRESSION);
        ck_assert_uint_eq(out.len, 0);
    }
    /* one byte shorter than the block says */
    z.data[16] = (uint8_t)(clen >> 24), z.data[17] = (uint8_t)(clen >> 16);
    z.data[18] = (uint8_t)(clen >> 8), z.data[19] = (uint8_t)clen;
    ck_assert_int_eq(kcodec_decompress(KCODEC_SNAPPY, z.data, z.len - 1, &out, 1 << 20),
                     KFK_ERR_COMPRESSION);
    ck_assert_int_eq(kcodec_decompress(KCODEC_SNAPPY, z.data, z.len, &out, 1 << 20), KFK_OK);
    kbuf_free(&out);
    kbuf_free(&z);
    free(d);
}
END_TEST

/* --- gzip ---------------------------------------------------------------------- */

START_TEST(test_gzip_writes_a_gzip_stream_zlib_reads)
{
    size_t n = 70000;
    uint8_t *d = text(n, 6);
    kbuf z = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_GZIP, -1, d, n, &z), KFK_OK);
    ck_assert_int_eq(memcmp(z.data, "\x1f\x8b\x08", 3), 0); /* magic, deflate */
    /* trailer: CRC-32 and length, little-endian */
    uint32_t crc = (uint32_t)crc32(0, d, (uInt)n);
    const uint8_t *t = z.data + z.len - 8;
    ck_assert_uint_eq((uint32_t)t[0] | t[1] << 8 | t[2] << 16 | (uint32_t)t[3] << 24, crc);
    ck_assert_uint_eq((uint32_t)t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24, n);
    kbuf_free(&z);
    free(d);
}
END_TEST

START_TEST(test_gzip_concatenated_members_are_read_whole)
{
    uint8_t *a = text(5000, 7), *b = text(3000, 8);
    kbuf z = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_GZIP, 1, a, 5000, &z), KFK_OK);
    ck_assert_int_eq(kcodec_compress(KCODEC_GZIP, 9, b, 3000, &z), KFK_OK);
    uint8_t *both = malloc(8000);
    memcpy(both, a, 5000);
    memcpy(both + 5000, b, 3000);
    expect_decodes_to(KCODEC_GZIP, z.data, z.len, both, 8000);
    kbuf_free(&z);
    free(both);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_gzip_refuses_zlib_and_raw_deflate)
{
    uint8_t *d = text(1000, 9);
    uLongf zn = compressBound(1000);
    uint8_t *z = malloc(zn);
    ck_assert_int_eq(compress(z, &zn, d, 1000), Z_OK); /* zlib wrapper */
    kbuf out = {0};
    ck_assert_int_eq(kcodec_decompress(KCODEC_GZIP, z, zn, &out, 1 << 20), KFK_ERR_COMPRESSION);
    ck_assert_int_eq(kcodec_decompress(KCODEC_GZIP, z + 2, zn - 2, &out, 1 << 20),
                     KFK_ERR_COMPRESSION);
    ck_assert_uint_eq(out.len, 0);
    kbuf_free(&out);
    free(z);
    free(d);
}
END_TEST

/* --- lz4 ----------------------------------------------------------------------- */

START_TEST(test_lz4_frame_is_the_kafka_layout)
{
    size_t n = 200000;
    uint8_t *d = malloc(n);
    ktest_fill(d, n, 10); /* incompressible: blocks are stored raw */
    kbuf z = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_LZ4, -1, d, n, &z), KFK_OK);
    ck_assert_int_eq(memcmp(z.data, "\x04\x22\x4d\x18\x60\x40\x82", 7), 0);
    /* 64 KiB blocks: 3 full ones and the rest, each flagged uncompressed */
    size_t pos = 7, covered = 0;
    for (;;) {
        uint32_t bs = (uint32_t)z.data[pos] | z.data[pos + 1] << 8 | z.data[pos + 2] << 16 |
                      (uint32_t)z.data[pos + 3] << 24;
        pos += 4;
        if (bs == 0)
            break;
        ck_assert_uint_eq(bs & 0x80000000u, 0x80000000u);
        size_t len = bs & 0x7fffffff;
        ck_assert_uint_eq(len, n - covered < 65536 ? n - covered : 65536);
        covered += len;
        pos += len;
    }
    ck_assert_uint_eq(covered, n);
    ck_assert_uint_eq(pos, z.len); /* no content checksum after the end mark */
    expect_decodes_to(KCODEC_LZ4, z.data, z.len, d, n);
    kbuf_free(&z);
    free(d);
}
END_TEST

START_TEST(test_lz4_frames_from_other_writers_are_read)
{
    /* Linked blocks, checksums and a content size: all legal in a frame. */
    size_t n = 300000;
    uint8_t *d = text(n, 11);
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.blockSizeID = LZ4F_max256KB;
    prefs.frameInfo.blockMode = LZ4F_blockLinked;
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    prefs.frameInfo.contentSize = n;
    size_t cap = LZ4F_compressFrameBound(n, &prefs);
    uint8_t *z = malloc(cap * 2);
    size_t zn = LZ4F_compressFrame(z, cap, d, n, &prefs);
    ck_assert(!LZ4F_isError(zn));
    expect_decodes_to(KCODEC_LZ4, z, zn, d, n);
    expect_decodes_to(KCODEC_LZ4, z, zn, d, n);
    kbuf out = {0};
    ck_assert_int_eq(kcodec_lz4_decompress_legacy(z, zn, &out, n), KFK_OK);
    ck_assert_uint_eq(out.len, n);
    /* a flipped content checksum is caught */
    z[zn - 1] ^= 1;
    ck_assert_int_eq(kcodec_decompress(KCODEC_LZ4, z, zn, &out, n), KFK_ERR_COMPRESSION);
    ck_assert_uint_eq(out.len, n);
    z[zn - 1] ^= 1;
    /* two frames back to back */
    memcpy(z + zn, z, zn);
    ck_assert_int_eq(kcodec_decompress(KCODEC_LZ4, z, 2 * zn, &out, 3 * n), KFK_OK);
    ck_assert_uint_eq(out.len, 3 * n);
    ck_assert_int_eq(memcmp(out.data + 2 * n, d, n), 0);
    kbuf_free(&out);
    free(z);
    free(d);
}
END_TEST

START_TEST(test_lz4_legacy_ignores_only_the_header_checksum)
{
    uint8_t *d = text(5000, 12);
    kbuf z = {0}, out = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_LZ4, -1, d, 5000, &z), KFK_OK);
    for (int hc = 0; hc < 256; hc++) {
        z.data[6] = (uint8_t)hc;
        ck_assert_int_eq(kcodec_lz4_decompress_legacy(z.data, z.len, &out, 5000), KFK_OK);
        ck_assert_uint_eq(out.len, 5000);
        ck_assert_int_eq(memcmp(out.data, d, 5000), 0);
        out.len = 0;
    }
    /* but the rest of the header is still checked */
    uint8_t saved = z.data[4];
    z.data[4] = 0x20; /* version 0 */
    ck_assert_int_eq(kcodec_lz4_decompress_legacy(z.data, z.len, &out, 5000),
                     KFK_ERR_COMPRESSION);
    z.data[4] = saved;
    z.data[5] = 0x41; /* reserved BD bit */
    ck_assert_int_eq(kcodec_lz4_decompress_legacy(z.data, z.len, &out, 5000),
                     KFK_ERR_COMPRESSION);
    /* block size ids below 4 (liblz4 would allocate from them blindly) */
    for (int id = 0; id < 4; id++) {
        z.data[5] = (uint8_t)(id << 4);
        ck_assert_int_eq(kcodec_lz4_decompress_legacy(z.data, z.len, &out, 5000),
                         KFK_ERR_COMPRESSION);
    }
    z.data[5] = 0x40;
    z.data[4] |= 0x02; /* reserved FLG bit */
    ck_assert_int_eq(kcodec_lz4_decompress_legacy(z.data, z.len, &out, 5000),
                     KFK_ERR_COMPRESSION);
    z.data[4] = saved;
    z.data[0] ^= 1; /* magic */
    ck_assert_int_eq(kcodec_lz4_decompress_legacy(z.data, z.len, &out, 5000),
                     KFK_ERR_COMPRESSION);
    z.data[0] ^= 1;
    for (size_t len = 0; len < z.len; len++)
        ck_assert_int_eq(kcodec_lz4_decompress_legacy(z.data, len, &out, 5000),
                         KFK_ERR_COMPRESSION);
    ck_assert_int_eq(kcodec_lz4_decompress_legacy(z.data, z.len, &out, 4999), KFK_ERR_TOO_LARGE);
    ck_assert_uint_eq(out.len, 0);
    kbuf_free(&out);
    kbuf_free(&z);
    free(d);
}
END_TEST

START_TEST(test_lz4_failed_frame_does_not_poison_the_next)
{
    /* A frame that states a content size and fails (here: cut short, or an
     * end mark where 130 bytes were promised) must not break the next
     * frame on this thread: liblz4 1.9.4's reset forgets to clear it. */
    static const uint8_t promised[] = {0x04, 0x22, 0x4d, 0x18, 0x58, 0x40, 0x82, 0, 0, 0,
                                       0,    0,    0,    0,    0,    0,    0,    0, 0};
    uint8_t *d = text(3000, 17);
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.contentSize = 3000;
    size_t cap = LZ4F_compressFrameBound(3000, &prefs);
    uint8_t *sized = malloc(cap);
    size_t sized_n = LZ4F_compressFrame(sized, cap, d, 3000, &prefs);
    ck_assert(!LZ4F_isError(sized_n));
    kbuf plain = {0}, out = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_LZ4, -1, d, 3000, &plain), KFK_OK);

    for (int round = 0; round < 3; round++) {
        if (round == 0)
            ck_assert_int_eq(kcodec_lz4_decompress_legacy(promised, sizeof(promised), &out, 1000),
                             KFK_ERR_COMPRESSION);
        else if (round == 1)
            ck_assert_int_eq(kcodec_decompress(KCODEC_LZ4, sized, sized_n / 2, &out, 5000),
                             KFK_ERR_COMPRESSION);
        else
            ck_assert_int_eq(kcodec_decompress(KCODEC_LZ4, sized, sized_n, &out, 2000),
                             KFK_ERR_TOO_LARGE);
        ck_assert_uint_eq(out.len, 0);
        ck_assert_int_eq(kcodec_decompress(KCODEC_LZ4, plain.data, plain.len, &out, 3000),
                         KFK_OK);
        ck_assert_uint_eq(out.len, 3000);
        out.len = 0;
    }
    kbuf_free(&plain);
    kbuf_free(&out);
    free(sized);
    free(d);
}
END_TEST

/* --- zstd ---------------------------------------------------------------------- */

/* A frame as a streaming writer (zstd-jni) makes it: no content size. */
static size_t zstd_stream_frame(const uint8_t *d, size_t n, uint8_t *z, size_t cap, int level)
{
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    ZSTD_inBuffer ib = {d, n, 0};
    ZSTD_outBuffer ob = {z, cap, 0};
    /* Input handed over before the end directive leaves the size unknown. */
    ck_assert(!ZSTD_isError(ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_continue)));
    size_t rc;
    do {
        rc = ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_end);
        ck_assert(!ZSTD_isError(rc));
    } while (rc != 0);
    ZSTD_freeCCtx(cctx);
    ck_assert_uint_eq(ZSTD_getFrameContentSize(z, ob.pos), ZSTD_CONTENTSIZE_UNKNOWN);
    return ob.pos;
}

START_TEST(test_zstd_frames_without_content_size_are_read)
{
    size_t n = 1 << 20;
    uint8_t *d = text(n, 13);
    size_t cap = ZSTD_compressBound(n) * 2;
    uint8_t *z = malloc(cap);
    size_t zn = zstd_stream_frame(d, n, z, cap, 3);
    expect_decodes_to(KCODEC_ZSTD, z, zn, d, n);
    kbuf out = {0};
    ck_assert_int_eq(kcodec_decompress(KCODEC_ZSTD, z, zn, &out, n - 1), KFK_ERR_TOO_LARGE);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_uint_lt(out.cap, n + n / 2);
    for (size_t len = 0; len < zn; len += 97)
        ck_assert_int_eq(kcodec_decompress(KCODEC_ZSTD, z, len, &out, n), KFK_ERR_COMPRESSION);
    kbuf_free(&out);
    free(z);
    free(d);
}
END_TEST

START_TEST(test_zstd_concatenated_and_skippable_frames_are_read)
{
    uint8_t *a = text(20000, 14), *b = text(7000, 15);
    kbuf z = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_ZSTD, -1, a, 20000, &z), KFK_OK);
    /* a skippable frame: magic 0x184D2A50, little-endian length, payload */
    kbuf_append(&z, "\x50\x2a\x4d\x18\x03\x00\x00\x00xyz", 11);
    kbuf_reserve(&z, ZSTD_compressBound(7000) + 64);
    z.len += zstd_stream_frame(b, 7000, z.data + z.len, z.cap - z.len, 1);
    uint8_t *both = malloc(27000);
    memcpy(both, a, 20000);
    memcpy(both + 20000, b, 7000);
    expect_decodes_to(KCODEC_ZSTD, z.data, z.len, both, 27000);
    kbuf_free(&z);
    free(both);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_zstd_lying_content_size_is_an_error)
{
    uint8_t *d = text(1000, 16);
    kbuf z = {0}, out = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_ZSTD, -1, d, 1000, &z), KFK_OK);
    ck_assert_uint_eq(ZSTD_getFrameContentSize(z.data, z.len), 1000);
    /* find the 2-byte size field (FCS 1000-256 little-endian) and shrink it */
    size_t fhd = z.data[4];
    ck_assert_uint_eq(fhd >> 6, 1);
    uint8_t *fcs = z.data + 5 + ((fhd & 0x20) ? 0 : 1) + 0;
    ck_assert_uint_eq(fcs[0] | fcs[1] << 8, 1000 - 256);
    fcs[0]--;
    ck_assert_int_eq(kcodec_decompress(KCODEC_ZSTD, z.data, z.len, &out, 1 << 20),
                     KFK_ERR_COMPRESSION);
    fcs[0] += 2;
    ck_assert_int_eq(kcodec_decompress(KCODEC_ZSTD, z.data, z.len, &out, 1 << 20),
                     KFK_ERR_COMPRESSION);
    ck_assert_uint_eq(out.len, 0);
    kbuf_free(&out);
    kbuf_free(&z);
    free(d);
}
END_TEST

START_TEST(test_level_bounds_match_the_libraries)
{
    int lo, hi, def;
    ck_assert(kcodec_level_range(KCODEC_ZSTD, &lo, &hi, &def));
    ck_assert_int_eq(lo, ZSTD_minCLevel());
    ck_assert_int_eq(hi, ZSTD_maxCLevel());
    ck_assert_int_eq(def, ZSTD_CLEVEL_DEFAULT);
    /* lz4 levels past liblz4's maximum act as that maximum, in lz4-java too */
    ck_assert(kcodec_level_range(KCODEC_LZ4, &lo, &hi, &def));
    ck_assert_int_eq(LZ4F_compressionLevel_max(), 12);
    ck_assert_int_ge(hi, LZ4F_compressionLevel_max());
}
END_TEST

static Suite *format_suite(void)
{
    Suite *s = suite_create("codec_format");
    TCase *tc = tcase_create("format");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_snappy_xerial_header_bytes_are_exact);
    tcase_add_test(tc, test_snappy_blocks_hold_32_kib_of_input_each);
    tcase_add_test(tc, test_snappy_raw_block_is_accepted);
    tcase_add_test(tc, test_snappy_concatenated_xerial_streams_are_read_whole);
    tcase_add_test(tc, test_snappy_bad_block_lengths_are_errors);
    tcase_add_test(tc, test_gzip_writes_a_gzip_stream_zlib_reads);
    tcase_add_test(tc, test_gzip_concatenated_members_are_read_whole);
    tcase_add_test(tc, test_gzip_refuses_zlib_and_raw_deflate);
    tcase_add_test(tc, test_lz4_frame_is_the_kafka_layout);
    tcase_add_test(tc, test_lz4_frames_from_other_writers_are_read);
    tcase_add_test(tc, test_lz4_legacy_ignores_only_the_header_checksum);
    tcase_add_test(tc, test_lz4_failed_frame_does_not_poison_the_next);
    tcase_add_test(tc, test_zstd_frames_without_content_size_are_read);
    tcase_add_test(tc, test_zstd_concatenated_and_skippable_frames_are_read);
    tcase_add_test(tc, test_zstd_lying_content_size_is_an_error);
    tcase_add_test(tc, test_level_bounds_match_the_libraries);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ktest_run(format_suite()); }
