/* lib/codec against bytes the Apache Kafka 4.3.1 Java client wrote
 * (tests/data/codec, made by tools/golden/codec-vectors): every vector
 * decodes to its plaintext byte for byte, and our framing matches theirs
 * where the format leaves no choice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>

#include "../common/ktest.h"
#include "codec/codec.h"

#define DATA "tests/data/codec/"

typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

static blob load(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), DATA "%s", name);
    blob b;
    b.p = (uint8_t *)ktest_read_file(path, &b.n);
    ck_assert_msg(b.p != NULL, "cannot read %s (run from the repo root)", path);
    return b;
}

static void drop(blob *b) { free(b->p); }

static const char *const sizes[] = {"small", "large"};

static const struct {
    kcodec c;
    const char *file; /* java-FILE-SIZE.bin */
} vectors[] = {
    {KCODEC_GZIP, "gzip"},
    {KCODEC_SNAPPY, "snappy"},
    {KCODEC_LZ4, "lz4"},
    {KCODEC_ZSTD, "zstd"},
};
#define N_VECTORS (sizeof(vectors) / sizeof(vectors[0]))

static void expect_decodes(kfk_err (*dec)(kcodec, const blob *, kbuf *), kcodec c,
                           const char *file, const char *size)
{
    char name[64];
    snprintf(name, sizeof(name), "java-%s-%s.bin", file, size);
    blob z = load(name);
    snprintf(name, sizeof(name), "plain-%s.txt", size);
    blob plain = load(name);
    kbuf out = {0};
    ck_assert_msg(dec(c, &z, &out) == KFK_OK, "java-%s-%s", file, size);
    ck_assert_uint_eq(out.len, plain.n);
    ck_assert_msg(memcmp(out.data, plain.p, plain.n) == 0, "java-%s-%s: bytes differ", file,
                  size);
    kbuf_free(&out);
    drop(&z);
    drop(&plain);
}

static kfk_err dec_normal(kcodec c, const blob *z, kbuf *out)
{
    return kcodec_decompress(c, z->p, z->n, out, 1 << 20);
}

static kfk_err dec_legacy(kcodec c, const blob *z, kbuf *out)
{
    (void)c;
    return kcodec_lz4_decompress_legacy(z->p, z->n, out, 1 << 20);
}

static void teardown(void) { kcodec_thread_cleanup(); }

START_TEST(test_java_client_vectors_decode_exactly)
{
    for (size_t s = 0; s < 2; s++)
        expect_decodes(dec_normal, vectors[_i].c, vectors[_i].file, sizes[s]);
}
END_TEST

START_TEST(test_v0_lz4_with_broken_header_checksum_needs_the_legacy_decoder)
{
    for (size_t s = 0; s < 2; s++) {
        char name[64];
        snprintf(name, sizeof(name), "java-lz4-v0-%s.bin", sizes[s]);
        blob v0 = load(name);
        snprintf(name, sizeof(name), "java-lz4-%s.bin", sizes[s]);
        blob v2 = load(name);
        /* Same frame but for the header checksum byte (KAFKA-3160). */
        ck_assert_uint_eq(v0.n, v2.n);
        ck_assert_uint_ne(v0.p[6], v2.p[6]);
        ck_assert_int_eq(memcmp(v0.p + 7, v2.p + 7, v0.n - 7), 0);

        kbuf out = {0};
        ck_assert_int_eq(kcodec_decompress(KCODEC_LZ4, v0.p, v0.n, &out, 1 << 20),
                         KFK_ERR_COMPRESSION);
        ck_assert_uint_eq(out.len, 0);
        kbuf_free(&out);
        expect_decodes(dec_legacy, KCODEC_LZ4, "lz4-v0", sizes[s]);
        /* A correct checksum is fine for the legacy decoder too. */
        expect_decodes(dec_legacy, KCODEC_LZ4, "lz4", sizes[s]);
        drop(&v0);
        drop(&v2);
    }
}
END_TEST

START_TEST(test_our_snappy_header_and_blocks_match_the_java_clients)
{
    blob plain = load("plain-large.txt");
    blob java = load("java-snappy-large.bin");
    kbuf ours = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_SNAPPY, -1, plain.p, plain.n, &ours), KFK_OK);
    ck_assert_int_eq(memcmp(ours.data, java.p, 16), 0);
    /* Walk both streams: same number of blocks, each holding the same
     * stretch of input (32 KiB, the last one the rest). */
    size_t po = 16, pj = 16, blocks = 0;
    while (po < ours.len && pj < java.n) {
        uint32_t lo = (uint32_t)ours.data[po] << 24 | ours.data[po + 1] << 16 |
                      ours.data[po + 2] << 8 | ours.data[po + 3];
        uint32_t lj = (uint32_t)java.p[pj] << 24 | java.p[pj + 1] << 16 | java.p[pj + 2] << 8 |
                      java.p[pj + 3];
        size_t uo, uj;
        ck_assert_int_eq(snappy_uncompressed_length((char *)ours.data + po + 4, lo, &uo), 0);
        ck_assert_int_eq(snappy_uncompressed_length((char *)java.p + pj + 4, lj, &uj), 0);
        ck_assert_uint_eq(uo, uj);
        ck_assert_uint_eq(uo, blocks < 2 ? 32768 : 70000 - 2 * 32768);
        po += 4 + lo;
        pj += 4 + lj;
        blocks++;
    }
    ck_assert_uint_eq(blocks, 3);
    ck_assert_uint_eq(po, ours.len);
    ck_assert_uint_eq(pj, java.n);
    kbuf_free(&ours);
    drop(&plain);
    drop(&java);
}
END_TEST

START_TEST(test_our_lz4_frame_header_matches_the_java_clients)
{
    blob plain = load("plain-small.txt");
    blob java = load("java-lz4-small.bin");
    kbuf ours = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_LZ4, -1, plain.p, plain.n, &ours), KFK_OK);
    /* magic, FLG 0x60, BD 0x40, and so the same header checksum */
    ck_assert_int_eq(memcmp(ours.data, java.p, 7), 0);
    ck_assert_int_eq(memcmp(ours.data, "\x04\x22\x4d\x18\x60\x40\x82", 7), 0);
    /* ... and the same end mark: a zero block size, no content checksum */
    ck_assert_int_eq(memcmp(ours.data + ours.len - 4, "\0\0\0\0", 4), 0);
    ck_assert_int_eq(memcmp(java.p + java.n - 4, "\0\0\0\0", 4), 0);
    kbuf_free(&ours);
    drop(&plain);
    drop(&java);
}
END_TEST

START_TEST(test_java_zstd_frames_carry_no_content_size)
{
    /* So their decoding takes the streaming path; frame header descriptor
     * bits 6-7 (size flag) and 5 (single segment) are all clear. */
    for (size_t s = 0; s < 2; s++) {
        char name[64];
        snprintf(name, sizeof(name), "java-zstd-%s.bin", sizes[s]);
        blob z = load(name);
        ck_assert_int_eq(memcmp(z.p, "\x28\xb5\x2f\xfd", 4), 0);
        ck_assert_uint_eq(z.p[4] & 0xe0, 0);
        drop(&z);
    }
}
END_TEST

START_TEST(test_java_vectors_respect_max_out)
{
    blob plain = load("plain-large.txt");
    for (size_t i = 0; i < N_VECTORS; i++) {
        char name[64];
        snprintf(name, sizeof(name), "java-%s-large.bin", vectors[i].file);
        blob z = load(name);
        kbuf out = {0};
        ck_assert_int_eq(kcodec_decompress(vectors[i].c, z.p, z.n, &out, plain.n - 1),
                         KFK_ERR_TOO_LARGE);
        ck_assert_uint_eq(out.len, 0);
        ck_assert_int_eq(kcodec_decompress(vectors[i].c, z.p, z.n, &out, plain.n), KFK_OK);
        kbuf_free(&out);
        drop(&z);
    }
    drop(&plain);
}
END_TEST

static Suite *vectors_suite(void)
{
    Suite *s = suite_create("codec_vectors");
    TCase *tc = tcase_create("java");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_loop_test(tc, test_java_client_vectors_decode_exactly, 0, N_VECTORS);
    tcase_add_test(tc, test_v0_lz4_with_broken_header_checksum_needs_the_legacy_decoder);
    tcase_add_test(tc, test_our_snappy_header_and_blocks_match_the_java_clients);
    tcase_add_test(tc, test_our_lz4_frame_header_matches_the_java_clients);
    tcase_add_test(tc, test_java_zstd_frames_carry_no_content_size);
    tcase_add_test(tc, test_java_vectors_respect_max_out);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ktest_run(vectors_suite()); }
