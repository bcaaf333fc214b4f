#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/crc32c.h"

typedef uint32_t crc_fn(uint32_t crc, const void *p, size_t n);

/* The implementations to check: software always, hardware when the CPU
 * has it, and the dispatcher. */
static size_t impls(crc_fn **out)
{
    size_t n = 0;
    out[n++] = kcrc32c_sw;
    out[n++] = kcrc32c;
    if (kcrc32c_hw_available()) out[n++] = kcrc32c_hw;
    return n;
}

/* RFC 3720 (iSCSI) appendix B.4 test patterns. */
START_TEST(test_rfc3720_vectors)
{
    uint8_t zeros[32], ones[32], up[32], down[32];
    memset(zeros, 0, sizeof(zeros));
    memset(ones, 0xff, sizeof(ones));
    for (int i = 0; i < 32; i++) {
        up[i] = (uint8_t)i;
        down[i] = (uint8_t)(31 - i);
    }
    crc_fn *fns[3];
    size_t n = impls(fns);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(fns[i](0, zeros, 32), 0x8A9136AA);
        ck_assert_uint_eq(fns[i](0, ones, 32), 0x62A8AB43);
        ck_assert_uint_eq(fns[i](0, up, 32), 0x46DD794E);
        ck_assert_uint_eq(fns[i](0, down, 32), 0x113FDB5C);
    }
}
END_TEST

START_TEST(test_check_value_of_123456789)
{
    crc_fn *fns[3];
    size_t n = impls(fns);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(fns[i](0, "123456789", 9), 0xE3069283);
}
END_TEST

START_TEST(test_empty_input_leaves_crc_unchanged)
{
    crc_fn *fns[3];
    size_t n = impls(fns);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(fns[i](0, "", 0), 0);
        ck_assert_uint_eq(fns[i](0xE3069283, "", 0), 0xE3069283);
        ck_assert_uint_eq(fns[i](0, NULL, 0), 0);
    }
}
END_TEST

START_TEST(test_hw_matches_sw_for_every_length_and_alignment)
{
    if (!kcrc32c_hw_available()) return; /* nothing to compare on this CPU */
    enum { MAX_LEN = 1024, MAX_ALIGN = 16 };
    uint8_t *buf = malloc(MAX_LEN + MAX_ALIGN);
    ktest_fill(buf, MAX_LEN + MAX_ALIGN, 1);
    for (size_t align = 0; align < MAX_ALIGN; align++)
        for (size_t len = 0; len <= MAX_LEN; len++) {
            uint32_t seed = (uint32_t)(len * 2654435761u);
            ck_assert_uint_eq(kcrc32c_hw(seed, buf + align, len),
                              kcrc32c_sw(seed, buf + align, len));
        }
    free(buf);
}
END_TEST

/* Lengths around the hardware path's three-block strides (3 x 256 and
 * 3 x 8192 bytes) and well past them, where blocks are combined. */
START_TEST(test_hw_matches_sw_on_long_buffers)
{
    if (!kcrc32c_hw_available()) return;
    enum { MAX_LEN = 200000 };
    static const size_t lens[] = {767,   768,   769,   1535,  1536,  24575,  24576,
                                  24577, 25343, 25344, 49152, 50000, 123457, MAX_LEN};
    uint8_t *buf = malloc(MAX_LEN + 8);
    ktest_fill(buf, MAX_LEN + 8, 3);
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        for (size_t align = 0; align < 8; align++) {
            const uint8_t *p = buf + align;
            ck_assert_msg(kcrc32c_hw(7, p, lens[i]) == kcrc32c_sw(7, p, lens[i]),
                          "len %zu align %zu", lens[i], align);
        }
    free(buf);
}
END_TEST

/* Each length in its own exact-size allocation, so ASan catches any read
 * past the end in the word-at-a-time loops. */
START_TEST(test_no_implementation_reads_past_the_end)
{
    crc_fn *fns[3];
    size_t n = impls(fns);
    for (size_t len = 0; len <= 40; len++) {
        uint8_t *p = malloc(len ? len : 1);
        ktest_fill(p, len, len);
        uint32_t want = kcrc32c_sw(0, p, len);
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_eq(fns[i](0, p, len), want);
        free(p);
    }
}
END_TEST

START_TEST(test_crc_of_concatenation_equals_chained_crc)
{
    enum { LEN = 300 };
    uint8_t buf[LEN];
    ktest_fill(buf, LEN, 2);
    crc_fn *fns[3];
    size_t n = impls(fns);
    for (size_t i = 0; i < n; i++) {
        uint32_t whole = fns[i](0, buf, LEN);
        for (size_t cut = 0; cut <= LEN; cut++)
            ck_assert_uint_eq(fns[i](fns[i](0, buf, cut), buf + cut, LEN - cut), whole);
    }
}
END_TEST

static void *crc_first_call(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)kcrc32c(0, "123456789", 9);
}

/* Each Check test runs in a fresh process, so these threads race on the
 * very first call, which resolves the implementation. */
START_TEST(test_first_calls_from_many_threads_agree)
{
    enum { THREADS = 8 };
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, crc_first_call, NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        void *crc;
        ck_assert_int_eq(pthread_join(t[i], &crc), 0);
        ck_assert_uint_eq((uintptr_t)crc, 0xE3069283);
    }
}
END_TEST

static Suite *crc32c_suite(void)
{
    Suite *s = suite_create("base_crc32c");
    TCase *tc = tcase_create("crc32c");
    tcase_add_test(tc, test_rfc3720_vectors);
    tcase_add_test(tc, test_check_value_of_123456789);
    tcase_add_test(tc, test_empty_input_leaves_crc_unchanged);
    tcase_add_test(tc, test_hw_matches_sw_for_every_length_and_alignment);
    tcase_add_test(tc, test_hw_matches_sw_on_long_buffers);
    tcase_add_test(tc, test_no_implementation_reads_past_the_end);
    tcase_add_test(tc, test_crc_of_concatenation_equals_chained_crc);
    tcase_add_test(tc, test_first_calls_from_many_threads_agree);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(crc32c_suite());
}
