/* lib/codec: round trips, levels, limits and corrupt input for every codec.
 * Wire-format details and the Java-made vectors are in codec_format_test.c
 * and codec_vectors_test.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "codec/codec.h"

static const kcodec all_codecs[] = {KCODEC_NONE, KCODEC_GZIP, KCODEC_SNAPPY, KCODEC_LZ4,
                                    KCODEC_ZSTD};
static const kcodec real_codecs[] = {KCODEC_GZIP, KCODEC_SNAPPY, KCODEC_LZ4, KCODEC_ZSTD};
#define N_ALL (sizeof(all_codecs) / sizeof(all_codecs[0]))
#define N_REAL (sizeof(real_codecs) / sizeof(real_codecs[0]))

enum data_kind { RANDOM, TEXT, ZEROS };

/* Bytes of the given kind: random ones do not compress, TEXT compresses
 * about as well as typical JSON records, ZEROS as well as anything can. */
static uint8_t *make_data(enum data_kind kind, size_t n, uint64_t seed)
{
    uint8_t *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    if (kind == RANDOM) {
        ktest_fill(p, n, seed);
    } else if (kind == ZEROS) {
        memset(p, 0, n);
    } else {
        static const char *const words[] = {"{\"id\":", "\"user\":", "\"kafka\"", ",", "}",
                                            "\"ts\":", "1700000000", "true", " ", "\n"};
        uint8_t r[1];
        size_t i = 0;
        while (i < n) {
            ktest_fill(r, 1, seed++);
            const char *w = words[r[0] % 10];
            for (size_t k = 0; w[k] && i < n; k++)
                p[i++] = (uint8_t)w[k];
        }
    }
    return p;
}

/* Compresses and decompresses data after some bytes already in the
 * buffers (codecs append), and checks everything comes back. */
static void roundtrip(kcodec c, int level, const uint8_t *data, size_t n)
{
    kbuf z = {0}, back = {0};
    kbuf_append(&z, "zz", 2);
    kbuf_append(&back, "bb", 2);
    ck_assert_msg(kcodec_compress_level(c, level, data, n, &z) == KFK_OK, "%s level %d, %zu bytes",
                  kcodec_name(c), level, n);
    ck_assert_int_eq(memcmp(z.data, "zz", 2), 0);
    kfk_err err = kcodec_decompress(c, z.data + 2, z.len - 2, &back, n);
    ck_assert_msg(err == KFK_OK, "%s level %d, %zu bytes: err %d", kcodec_name(c), level, n, err);
    ck_assert_uint_eq(back.len, n + 2);
    ck_assert_int_eq(memcmp(back.data, "bb", 2), 0);
    ck_assert_msg(n == 0 || memcmp(back.data + 2, data, n) == 0, "%s: bytes differ",
                  kcodec_name(c));
    kbuf_free(&z);
    kbuf_free(&back);
}

static void teardown(void) { kcodec_thread_cleanup(); }

/* --- round trips ---------------------------------------------------------- */

static const size_t sizes[] = {0,         1,         2,         100,       4095,
                               32 * 1024 - 1, 32 * 1024, 32 * 1024 + 1, 64 * 1024 - 1, 64 * 1024,
                               64 * 1024 + 1, 96 * 1024 + 7};

START_TEST(test_roundtrip_every_codec_size_and_kind)
{
    kcodec c = all_codecs[_i];
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (int kind = RANDOM; kind <= ZEROS; kind++) {
            uint8_t *d = make_data(kind, sizes[s], sizes[s] * 3 + (uint64_t)kind);
            roundtrip(c, KCODEC_LEVEL_DEFAULT, d, sizes[s]);
            free(d);
        }
    }
}
END_TEST

START_TEST(test_roundtrip_one_mebibyte)
{
    kcodec c = all_codecs[_i];
    size_t n = 1024 * 1024;
    for (int kind = RANDOM; kind <= ZEROS; kind++) {
        uint8_t *d = make_data(kind, n, 99 + (uint64_t)kind);
        roundtrip(c, KCODEC_LEVEL_DEFAULT, d, n);
        roundtrip(c, KCODEC_LEVEL_DEFAULT, d, n - 3);
        free(d);
    }
}
END_TEST

START_TEST(test_compressible_input_shrinks)
{
    kcodec c = real_codecs[_i];
    size_t n = 64 * 1024;
    uint8_t *d = make_data(TEXT, n, 5);
    kbuf z = {0};
    ck_assert_int_eq(kcodec_compress(c, -1, d, n, &z), KFK_OK);
    ck_assert_msg(z.len < n / 2, "%s: %zu -> %zu", kcodec_name(c), n, z.len);
    kbuf_free(&z);
    free(d);
}
END_TEST

/* --- levels ----------------------------------------------------------------- */

START_TEST(test_every_level_bound_round_trips)
{
    kcodec c = real_codecs[_i];
    size_t n = 40000;
    uint8_t *d = make_data(TEXT, n, 11);
    int lo, hi, def;
    if (kcodec_level_range(c, &lo, &hi, &def)) {
        int levels[] = {lo, lo + 1, def, hi - 1, hi, KCODEC_LEVEL_DEFAULT};
        for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
            ck_assert(kcodec_level_valid(c, levels[i]));
            roundtrip(c, levels[i], d, n);
        }
    } else {
        ck_assert_int_eq(c, KCODEC_SNAPPY);
        ck_assert(kcodec_level_valid(c, 12345)); /* ignored */
        roundtrip(c, 7, d, n);
    }
    free(d);
}
END_TEST

START_TEST(test_level_ranges_are_the_java_clients)
{
    int lo, hi, def;
    ck_assert(kcodec_level_range(KCODEC_GZIP, &lo, &hi, &def));
    ck_assert_int_eq(lo, 1);
    ck_assert_int_eq(hi, 9);
    ck_assert_int_eq(def, -1);
    ck_assert(kcodec_level_range(KCODEC_LZ4, &lo, &hi, &def));
    ck_assert_int_eq(lo, 1);
    ck_assert_int_eq(hi, 17);
    ck_assert_int_eq(def, 9);
    ck_assert(kcodec_level_range(KCODEC_ZSTD, &lo, &hi, &def));
    ck_assert_int_eq(lo, -131072);
    ck_assert_int_eq(hi, 22);
    ck_assert_int_eq(def, 3);
    ck_assert(!kcodec_level_range(KCODEC_SNAPPY, &lo, &hi, &def));
    ck_assert(!kcodec_level_range(KCODEC_NONE, NULL, NULL, NULL));
}
END_TEST

START_TEST(test_out_of_range_levels_are_refused)
{
    static const struct {
        kcodec c;
        int level;
    } bad[] = {
        {KCODEC_GZIP, 0},   {KCODEC_GZIP, 10},      {KCODEC_GZIP, -2},
        {KCODEC_LZ4, 0},    {KCODEC_LZ4, 18},       {KCODEC_LZ4, -1},
        {KCODEC_ZSTD, 23},  {KCODEC_ZSTD, -131073}, {KCODEC_ZSTD, INT_MAX},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!kcodec_level_valid(bad[i].c, bad[i].level), "%s %d",
                      kcodec_name(bad[i].c), bad[i].level);
        kbuf z = {0};
        kbuf_append(&z, "x", 1);
        ck_assert_int_eq(kcodec_compress_level(bad[i].c, bad[i].level, (const uint8_t *)"abc", 3,
                                               &z),
                         KFK_ERR_INVALID_ARG);
        ck_assert_uint_eq(z.len, 1);
        kbuf_free(&z);
    }
    ck_assert(kcodec_level_valid(KCODEC_GZIP, -1)); /* Deflater.DEFAULT_COMPRESSION */
    ck_assert(kcodec_level_valid(KCODEC_ZSTD, -1));
    ck_assert(kcodec_level_valid(KCODEC_ZSTD, 0));
    ck_assert(!kcodec_level_valid((kcodec)9, KCODEC_LEVEL_DEFAULT));
}
END_TEST

START_TEST(test_negative_level_in_kcodec_compress_means_default)
{
    kcodec c = real_codecs[_i];
    uint8_t *d = make_data(TEXT, 50000, 3);
    kbuf a = {0}, b = {0};
    ck_assert_int_eq(kcodec_compress(c, -7, d, 50000, &a), KFK_OK);
    ck_assert_int_eq(kcodec_compress_level(c, KCODEC_LEVEL_DEFAULT, d, 50000, &b), KFK_OK);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_int_eq(memcmp(a.data, b.data, a.len), 0);
    kbuf_free(&a);
    kbuf_free(&b);
    free(d);
}
END_TEST

START_TEST(test_higher_levels_compress_harder)
{
    /* Proves the level reaches the library rather than being dropped. */
    static const struct {
        kcodec c;
        int fast, strong;
    } cases[] = {{KCODEC_GZIP, 1, 9}, {KCODEC_LZ4, 9, 12}, {KCODEC_ZSTD, -50, 19}};
    uint8_t *d = make_data(TEXT, 200000, 17);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kbuf fast = {0}, strong = {0};
        ck_assert_int_eq(kcodec_compress_level(cases[i].c, cases[i].fast, d, 200000, &fast), 0);
        ck_assert_int_eq(kcodec_compress_level(cases[i].c, cases[i].strong, d, 200000, &strong),
                         0);
        ck_assert_msg(strong.len < fast.len, "%s: %zu !< %zu", kcodec_name(cases[i].c),
                      strong.len, fast.len);
        kbuf_free(&fast);
        kbuf_free(&strong);
    }
    free(d);
}
END_TEST

/* --- names and unknown codecs ------------------------------------------------ */

START_TEST(test_names_round_trip_and_unknown_codec_is_refused)
{
    for (size_t i = 0; i < N_ALL; i++) {
        kcodec c;
        ck_assert(kcodec_from_name(kcodec_name(all_codecs[i]), &c));
        ck_assert_int_eq(c, all_codecs[i]);
    }
    ck_assert_str_eq(kcodec_name(KCODEC_SNAPPY), "snappy");
    ck_assert_ptr_null(kcodec_name((kcodec)5));
    ck_assert_ptr_null(kcodec_name((kcodec)-1));
    kcodec c = KCODEC_GZIP;
    ck_assert(!kcodec_from_name("GZIP", &c));
    ck_assert(!kcodec_from_name("lz4 ", &c));
    ck_assert(!kcodec_from_name(NULL, &c));
    ck_assert_int_eq(c, KCODEC_GZIP);

    kbuf b = {0};
    ck_assert_int_eq(kcodec_compress((kcodec)5, -1, (const uint8_t *)"a", 1, &b),
                     KFK_ERR_UNSUPPORTED);
    ck_assert_int_eq(kcodec_decompress((kcodec)7, (const uint8_t *)"a", 1, &b, 100),
                     KFK_ERR_UNSUPPORTED);
    ck_assert_uint_eq(b.len, 0);
    kbuf_free(&b);
}
END_TEST

/* --- limits ------------------------------------------------------------------ */

START_TEST(test_max_out_is_enforced)
{
    kcodec c = all_codecs[_i];
    size_t n = 1024 * 1024;
    uint8_t *zeros = make_data(ZEROS, n, 0);
    kbuf z = {0}, out = {0};
    ck_assert_int_eq(kcodec_compress(c, -1, zeros, n, &z), KFK_OK);
    kbuf_append(&out, "keep", 4);

    ck_assert_int_eq(kcodec_decompress(c, z.data, z.len, &out, 1000), KFK_ERR_TOO_LARGE);
    ck_assert_uint_eq(out.len, 4);
    /* The guard must not have allocated the whole output first. */
    ck_assert_uint_lt(out.cap, n / 2);
    ck_assert_int_eq(kcodec_decompress(c, z.data, z.len, &out, n - 1), KFK_ERR_TOO_LARGE);
    ck_assert_uint_eq(out.len, 4);
    ck_assert_int_eq(kcodec_decompress(c, z.data, z.len, &out, 0), KFK_ERR_TOO_LARGE);
    ck_assert_int_eq(kcodec_decompress(c, z.data, z.len, &out, n), KFK_OK);
    ck_assert_uint_eq(out.len, n + 4);
    ck_assert_int_eq(memcmp(out.data, "keep", 4), 0);
    ck_assert_int_eq(memcmp(out.data + 4, zeros, n), 0);
    ck_assert_int_eq(kcodec_decompress(c, z.data, z.len, &out, SIZE_MAX), KFK_OK);
    ck_assert_uint_eq(out.len, 2 * n + 4);
    kbuf_free(&z);
    kbuf_free(&out);
    free(zeros);
}
END_TEST

START_TEST(test_empty_payload_round_trips_with_zero_max_out)
{
    kcodec c = all_codecs[_i];
    kbuf z = {0}, out = {0};
    ck_assert_int_eq(kcodec_compress(c, -1, NULL, 0, &z), KFK_OK);
    ck_assert_int_eq(kcodec_decompress(c, z.data, z.len, &out, 0), KFK_OK);
    ck_assert_uint_eq(out.len, 0);
    kbuf_free(&z);
    kbuf_free(&out);
}
END_TEST

START_TEST(test_empty_input_is_not_a_stream)
{
    kcodec c = real_codecs[_i];
    kbuf out = {0};
    ck_assert_int_eq(kcodec_decompress(c, (const uint8_t *)"", 0, &out, 100),
                     KFK_ERR_COMPRESSION);
    ck_assert_uint_eq(out.len, 0);
    kbuf_free(&out);
}
END_TEST

/* --- corrupt input ----------------------------------------------------------- */

/* A decode of damaged input may fail, or (for codecs without checksums over
 * the data) succeed with other bytes; it must never crash, never report an
 * unexpected error, never exceed max_out, and leave out alone on error. */
static kfk_err try_decode(kcodec c, const uint8_t *p, size_t n, size_t max_out)
{
    kbuf out = {0};
    kbuf_append(&out, "pre", 3);
    kfk_err err = kcodec_decompress(c, p, n, &out, max_out);
    ck_assert_msg(err == KFK_OK || err == KFK_ERR_COMPRESSION || err == KFK_ERR_TOO_LARGE,
                  "%s: unexpected error %d", kcodec_name(c), err);
    if (err)
        ck_assert_uint_eq(out.len, 3);
    else
        ck_assert_uint_le(out.len - 3, max_out);
    ck_assert_int_eq(memcmp(out.data, "pre", 3), 0);
    kbuf_free(&out);
    return err;
}

static void compress_small(kcodec c, kbuf *z, uint8_t **plain, size_t *n)
{
    *n = 300;
    *plain = make_data(TEXT, *n, 21);
    ck_assert_int_eq(kcodec_compress(c, -1, *plain, *n, z), KFK_OK);
}

START_TEST(test_bit_flips_anywhere_never_crash)
{
    kcodec c = real_codecs[_i];
    kbuf z = {0};
    uint8_t *plain;
    size_t n;
    compress_small(c, &z, &plain, &n);
    uint8_t *bad = malloc(z.len);
    size_t detected = 0;
    for (size_t bit = 0; bit < z.len * 8; bit++) {
        memcpy(bad, z.data, z.len);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (try_decode(c, bad, z.len, 4096) != KFK_OK)
            detected++;
        else if (c == KCODEC_GZIP)
            /* gzip's CRC-32 and length cover the deflate data and trailer:
             * only header fields nobody checks (FTEXT, mtime, XFL, OS) and
             * the padding bits after the final block, in the last byte
             * before the 8-byte trailer, may flip unnoticed. */
            ck_assert_msg(bit / 8 < 10 || bit / 8 == z.len - 9,
                          "gzip: flip at bit %zu of %zu went unnoticed", bit, z.len * 8);
    }
    ck_assert_uint_gt(detected, 0);
    free(bad);
    free(plain);
    kbuf_free(&z);
}
END_TEST

START_TEST(test_truncation_at_every_length_is_an_error)
{
    kcodec c = real_codecs[_i];
    kbuf z = {0};
    uint8_t *plain;
    size_t n;
    compress_small(c, &z, &plain, &n);
    for (size_t len = 0; len < z.len; len++) {
        kfk_err err = try_decode(c, z.data, len, 4096);
        /* The xerial header alone is a valid (empty) snappy stream. */
        if (c == KCODEC_SNAPPY && len == 16)
            ck_assert_int_eq(err, KFK_OK);
        else
            ck_assert_msg(err == KFK_ERR_COMPRESSION, "%s cut at %zu of %zu: %d",
                          kcodec_name(c), len, z.len, err);
    }
    free(plain);
    kbuf_free(&z);
}
END_TEST

START_TEST(test_garbage_after_the_stream_is_an_error)
{
    kcodec c = real_codecs[_i];
    kbuf z = {0};
    uint8_t *plain;
    size_t n;
    compress_small(c, &z, &plain, &n);
    kbuf_append(&z, "\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9);
    ck_assert_int_eq(try_decode(c, z.data, z.len, 4096), KFK_ERR_COMPRESSION);
    free(plain);
    kbuf_free(&z);
}
END_TEST

START_TEST(test_random_bytes_never_crash)
{
    kcodec c = real_codecs[_i];
    uint8_t buf[512];
    for (uint64_t seed = 0; seed < 2000; seed++) {
        size_t n = 1 + seed % sizeof(buf);
        ktest_fill(buf, n, seed);
        try_decode(c, buf, n, 65536);
    }
}
END_TEST

/* --- threads ------------------------------------------------------------------ */

static void *thread_roundtrips(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    uint8_t *d = make_data(TEXT, 70000, seed);
    for (int round = 0; round < 5; round++)
        for (size_t i = 0; i < N_REAL; i++)
            roundtrip(real_codecs[i], KCODEC_LEVEL_DEFAULT, d, 70000 - (size_t)round * 999);
    free(d);
    return NULL; /* contexts freed by the thread-exit hook: LSan checks */
}

START_TEST(test_threads_compress_at_once)
{
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, thread_roundtrips, (void *)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
}
END_TEST

START_TEST(test_thread_cleanup_then_reuse)
{
    uint8_t *d = make_data(TEXT, 1000, 1);
    for (size_t i = 0; i < N_REAL; i++)
        roundtrip(real_codecs[i], KCODEC_LEVEL_DEFAULT, d, 1000);
    kcodec_thread_cleanup();
    kcodec_thread_cleanup();
    for (size_t i = 0; i < N_REAL; i++)
        roundtrip(real_codecs[i], KCODEC_LEVEL_DEFAULT, d, 1000);
    free(d);
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("roundtrip");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_loop_test(tc, test_roundtrip_every_codec_size_and_kind, 0, N_ALL);
    tcase_add_loop_test(tc, test_roundtrip_one_mebibyte, 0, N_ALL);
    tcase_add_loop_test(tc, test_compressible_input_shrinks, 0, N_REAL);
    suite_add_tcase(s, tc);

    tc = tcase_create("levels");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_loop_test(tc, test_every_level_bound_round_trips, 0, N_REAL);
    tcase_add_test(tc, test_level_ranges_are_the_java_clients);
    tcase_add_test(tc, test_out_of_range_levels_are_refused);
    tcase_add_loop_test(tc, test_negative_level_in_kcodec_compress_means_default, 0, N_REAL);
    tcase_add_test(tc, test_higher_levels_compress_harder);
    tcase_add_test(tc, test_names_round_trip_and_unknown_codec_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_loop_test(tc, test_max_out_is_enforced, 0, N_ALL);
    tcase_add_loop_test(tc, test_empty_payload_round_trips_with_zero_max_out, 0, N_ALL);
    tcase_add_loop_test(tc, test_empty_input_is_not_a_stream, 0, N_REAL);
    suite_add_tcase(s, tc);

    tc = tcase_create("corrupt");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_loop_test(tc, test_bit_flips_anywhere_never_crash, 0, N_REAL);
    tcase_add_loop_test(tc, test_truncation_at_every_length_is_an_error, 0, N_REAL);
    tcase_add_loop_test(tc, test_garbage_after_the_stream_is_an_error, 0, N_REAL);
    tcase_add_loop_test(tc, test_random_bytes_never_crash, 0, N_REAL);
    suite_add_tcase(s, tc);

    tc = tcase_create("threads");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_threads_compress_at_once);
    tcase_add_test(tc, test_thread_cleanup_then_reuse);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ktest_run(codec_suite()); }
