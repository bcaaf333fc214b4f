#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/rw.h"

static const int32_t i32_edges[] = {0,  1,   -1,  2,    -2,   63,   -63,   64,        -64,
                                    65, 127, 128, -128, 8191, 8192, -8192, INT32_MAX, INT32_MIN};
static const int64_t i64_edges[] = {0,         1,         -1,          63,        64,
                                    -64,       -65,       INT32_MAX,   INT32_MIN, INT64_MAX,
                                    INT64_MIN, 1LL << 62, -(1LL << 62)};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* A reader over an exact-size heap copy of p[0..n), so ASan catches any
 * read past its end. Free *copy afterwards. */
static kreader exact_reader(const void *p, size_t n, uint8_t **copy)
{
    *copy = malloc(n ? n : 1);
    if (n) memcpy(*copy, p, n);
    return kreader_of(*copy, n);
}

START_TEST(test_zigzag_known_encodings)
{
    ck_assert_uint_eq(kzigzag_enc32(0), 0);
    ck_assert_uint_eq(kzigzag_enc32(-1), 1);
    ck_assert_uint_eq(kzigzag_enc32(1), 2);
    ck_assert_uint_eq(kzigzag_enc32(-2), 3);
    ck_assert_uint_eq(kzigzag_enc32(63), 126);
    ck_assert_uint_eq(kzigzag_enc32(-64), 127);
    ck_assert_uint_eq(kzigzag_enc32(64), 128);
    ck_assert_uint_eq(kzigzag_enc32(INT32_MAX), 0xFFFFFFFEu);
    ck_assert_uint_eq(kzigzag_enc32(INT32_MIN), 0xFFFFFFFFu);
    ck_assert_uint_eq(kzigzag_enc64(-1), 1);
    ck_assert_uint_eq(kzigzag_enc64(INT64_MAX), UINT64_MAX - 1);
    ck_assert_uint_eq(kzigzag_enc64(INT64_MIN), UINT64_MAX);
}
END_TEST

START_TEST(test_zigzag_round_trips_at_the_edges)
{
    for (size_t i = 0; i < N_OF(i32_edges); i++)
        ck_assert_int_eq(kzigzag_dec32(kzigzag_enc32(i32_edges[i])), i32_edges[i]);
    for (size_t i = 0; i < N_OF(i64_edges); i++)
        ck_assert_int_eq(kzigzag_dec64(kzigzag_enc64(i64_edges[i])), i64_edges[i]);
}
END_TEST

static void assert_bytes(const kbuf *b, const uint8_t *want, size_t n)
{
    ck_assert_uint_eq(b->len, n);
    ck_assert_int_eq(memcmp(b->data, want, n), 0);
}

START_TEST(test_varints_encode_to_the_known_bytes)
{
    kbuf b = {0};
    kwrite_uvarint(&b, 300);
    assert_bytes(&b, (const uint8_t[]){0xAC, 0x02}, 2);
    kbuf_reset(&b);
    kwrite_varint32(&b, -1);
    assert_bytes(&b, (const uint8_t[]){0x01}, 1);
    kbuf_reset(&b);
    kwrite_varint32(&b, 63);
    assert_bytes(&b, (const uint8_t[]){0x7E}, 1);
    kbuf_reset(&b);
    kwrite_varint32(&b, 64);
    assert_bytes(&b, (const uint8_t[]){0x80, 0x01}, 2);
    kbuf_reset(&b);
    kwrite_varint32(&b, INT32_MIN);
    assert_bytes(&b, (const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 5);
    kbuf_reset(&b);
    kwrite_varint64(&b, INT64_MIN);
    assert_bytes(&b, (const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01},
                 10);
    kbuf_free(&b);
}
END_TEST

START_TEST(test_encoded_sizes_match_bytes_written)
{
    kbuf b = {0};
    for (size_t i = 0; i < N_OF(i32_edges); i++) {
        kbuf_reset(&b);
        kwrite_varint32(&b, i32_edges[i]);
        ck_assert_uint_eq(kvarint32_size(i32_edges[i]), b.len);
    }
    for (size_t i = 0; i < N_OF(i64_edges); i++) {
        kbuf_reset(&b);
        kwrite_varint64(&b, i64_edges[i]);
        ck_assert_uint_eq(kvarint64_size(i64_edges[i]), b.len);
    }
    kbuf_free(&b);
    ck_assert_uint_eq(kvarint32_size(0), 1);
    ck_assert_uint_eq(kvarint32_size(-64), 1);
    ck_assert_uint_eq(kvarint32_size(64), 2);
    ck_assert_uint_eq(kvarint32_size(INT32_MAX), 5);
    ck_assert_uint_eq(kvarint64_size(INT64_MIN), 10);
    ck_assert_uint_eq(kuvarint_size(127), 1);
    ck_assert_uint_eq(kuvarint_size(128), 2);
    ck_assert_uint_eq(kuvarint_size(16383), 2);
    ck_assert_uint_eq(kuvarint_size(16384), 3);
    ck_assert_uint_eq(kuvarint_size(UINT32_MAX), 5);
    ck_assert_uint_eq(kuvarint_size(UINT64_MAX), 10);
}
END_TEST

START_TEST(test_varints_round_trip_through_a_buffer)
{
    kbuf b = {0};
    for (size_t i = 0; i < N_OF(i32_edges); i++)
        kwrite_varint32(&b, i32_edges[i]);
    for (size_t i = 0; i < N_OF(i64_edges); i++)
        kwrite_varint64(&b, i64_edges[i]);
    for (int shift = 0; shift < 64; shift++)
        kwrite_uvarint(&b, (1ULL << shift) - 1);
    uint8_t *copy;
    kreader r = exact_reader(b.data, b.len, &copy);
    for (size_t i = 0; i < N_OF(i32_edges); i++)
        ck_assert_int_eq(kread_varint32(&r), i32_edges[i]);
    for (size_t i = 0; i < N_OF(i64_edges); i++)
        ck_assert_int_eq(kread_varint64(&r), i64_edges[i]);
    for (int shift = 0; shift < 64; shift++)
        ck_assert_uint_eq(kread_uvarint64(&r), (1ULL << shift) - 1);
    ck_assert_int_eq(r.err, 0);
    ck_assert_uint_eq(kreader_left(&r), 0);
    free(copy);
    kbuf_free(&b);
}
END_TEST

START_TEST(test_truncated_varint_fails_without_reading_past_the_end)
{
    kbuf b = {0};
    for (size_t i = 0; i < N_OF(i64_edges); i++) {
        kbuf_reset(&b);
        kwrite_varint64(&b, i64_edges[i]);
        for (size_t cut = 0; cut < b.len; cut++) {
            uint8_t *copy;
            kreader r = exact_reader(b.data, cut, &copy);
            ck_assert_int_eq(kread_varint64(&r), 0);
            ck_assert_int_ne(r.err, 0);
            ck_assert_uint_eq(kreader_left(&r), 0);
            free(copy);
        }
    }
    kbuf_free(&b);
}
END_TEST

START_TEST(test_overlong_varint_fails)
{
    static const uint8_t six[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    static const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                     0x80, 0x80, 0x80, 0x80, 0x00};
    uint8_t *copy;
    kreader r = exact_reader(six, sizeof(six), &copy);
    ck_assert_uint_eq(kread_uvarint32(&r), 0);
    ck_assert_int_ne(r.err, 0);
    free(copy);
    r = exact_reader(eleven, sizeof(eleven), &copy);
    ck_assert_uint_eq(kread_uvarint64(&r), 0);
    ck_assert_int_ne(r.err, 0);
    free(copy);
    /* ... while the longest legal forms still read. */
    r = exact_reader((const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 5, &copy);
    ck_assert_uint_eq(kread_uvarint32(&r), UINT32_MAX);
    ck_assert_int_eq(r.err, 0);
    free(copy);
}
END_TEST

START_TEST(test_big_endian_integers_round_trip)
{
    kbuf b = {0};
    kwrite_i8(&b, -2);
    kwrite_i16(&b, -300);
    kwrite_i32(&b, INT32_MIN);
    kwrite_i64(&b, INT64_MIN + 5);
    kwrite_u32(&b, 0x01020304);
    ck_assert_uint_eq(b.len, 1 + 2 + 4 + 8 + 4);
    ck_assert_int_eq(memcmp(b.data + 15, "\x01\x02\x03\x04", 4), 0); /* network order */
    uint8_t *copy;
    kreader r = exact_reader(b.data, b.len, &copy);
    ck_assert_int_eq(kread_i8(&r), -2);
    ck_assert_int_eq(kread_i16(&r), -300);
    ck_assert_int_eq(kread_i32(&r), INT32_MIN);
    ck_assert_int_eq(kread_i64(&r), INT64_MIN + 5);
    ck_assert_uint_eq(kread_u32(&r), 0x01020304);
    ck_assert_int_eq(r.err, 0);
    free(copy);
    kbuf_free(&b);
}
END_TEST

START_TEST(test_short_fixed_read_fails_and_later_reads_return_zero)
{
    uint8_t *copy;
    kreader r = exact_reader("\x7f\x7f\x7f", 3, &copy);
    ck_assert_uint_eq(kread_u32(&r), 0);
    ck_assert_int_ne(r.err, 0);
    ck_assert_uint_eq(kreader_left(&r), 0);
    ck_assert_uint_eq(kread_u8(&r), 0);
    ck_assert_ptr_null(kreader_take(&r, 1));
    ck_assert_int_ne(r.err, 0);
    free(copy);
}
END_TEST

START_TEST(test_take_hands_out_bytes_in_order)
{
    kreader r = kreader_of("abcdef", 6);
    ck_assert_int_eq(memcmp(kreader_take(&r, 2), "ab", 2), 0);
    ck_assert_int_eq(memcmp(kreader_take(&r, 4), "cdef", 4), 0);
    ck_assert_ptr_nonnull(kreader_take(&r, 0));
    ck_assert_ptr_null(kreader_take(&r, 1));
    ck_assert_int_ne(r.err, 0);
}
END_TEST

static Suite *rw_suite(void)
{
    Suite *s = suite_create("base_rw");
    TCase *tc = tcase_create("varint");
    tcase_add_test(tc, test_zigzag_known_encodings);
    tcase_add_test(tc, test_zigzag_round_trips_at_the_edges);
    tcase_add_test(tc, test_varints_encode_to_the_known_bytes);
    tcase_add_test(tc, test_encoded_sizes_match_bytes_written);
    tcase_add_test(tc, test_varints_round_trip_through_a_buffer);
    tcase_add_test(tc, test_truncated_varint_fails_without_reading_past_the_end);
    tcase_add_test(tc, test_overlong_varint_fails);
    suite_add_tcase(s, tc);
    tc = tcase_create("fixed");
    tcase_add_test(tc, test_big_endian_integers_round_trip);
    tcase_add_test(tc, test_short_fixed_read_fails_and_later_reads_return_zero);
    tcase_add_test(tc, test_take_hands_out_bytes_in_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(rw_suite());
}
