#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/buf.h"

START_TEST(test_zeroed_kbuf_is_empty_and_appendable)
{
    kbuf b = {0};
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(kbuf_append(&b, "abc", 3), 0);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_uint_ge(b.cap, 3);
    ck_assert_int_eq(memcmp(b.data, "abc", 3), 0);
    kbuf_free(&b);
}
END_TEST

START_TEST(test_append_grows_and_keeps_earlier_bytes)
{
    enum { TOTAL = 100000 };
    uint8_t *want = malloc(TOTAL);
    ktest_fill(want, TOTAL, 7);
    kbuf b = {0};
    for (size_t off = 0, chunk = 1; off < TOTAL; off += chunk, chunk = chunk * 3 % 997 + 1) {
        size_t n = off + chunk > TOTAL ? TOTAL - off : chunk;
        ck_assert_int_eq(kbuf_append(&b, want + off, n), 0);
    }
    ck_assert_uint_eq(b.len, TOTAL);
    ck_assert_int_eq(memcmp(b.data, want, TOTAL), 0);
    kbuf_free(&b);
    free(want);
}
END_TEST

START_TEST(test_append_of_nothing_accepts_null)
{
    kbuf b = {0};
    ck_assert_int_eq(kbuf_append(&b, NULL, 0), 0);
    ck_assert_uint_eq(b.len, 0);
    kbuf_free(&b);
}
END_TEST

START_TEST(test_reserve_makes_room_without_changing_length)
{
    kbuf b = {0};
    kbuf_append(&b, "xy", 2);
    ck_assert_int_eq(kbuf_reserve(&b, 5000), 0);
    ck_assert_uint_eq(b.len, 2);
    ck_assert_uint_ge(b.cap - b.len, 5000);
    uint8_t *data = b.data;
    ck_assert_int_eq(kbuf_reserve(&b, 5000), 0);
    ck_assert_ptr_eq(b.data, data); /* room already there: no realloc */
    kbuf_free(&b);
}
END_TEST

START_TEST(test_grow_refuses_size_overflow_and_leaves_buffer_intact)
{
    kbuf b = {0};
    kbuf_append(&b, "0123456789", 10);
    kbuf before = b;
    ck_assert_int_eq(kbuf_grow(&b, SIZE_MAX), -1);
    ck_assert_int_eq(kbuf_grow(&b, SIZE_MAX - 9), -1);
    ck_assert_ptr_eq(b.data, before.data);
    ck_assert_uint_eq(b.len, before.len);
    ck_assert_uint_eq(b.cap, before.cap);
    ck_assert_int_eq(memcmp(b.data, "0123456789", 10), 0);
    kbuf_free(&b);
}
END_TEST

START_TEST(test_extend_hands_out_fresh_bytes_at_the_end)
{
    kbuf b = {0};
    kbuf_append(&b, "ab", 2);
    uint8_t *p = kbuf_extend(&b, 3);
    ck_assert_ptr_nonnull(p);
    memcpy(p, "cde", 3);
    ck_assert_uint_eq(b.len, 5);
    ck_assert_int_eq(memcmp(b.data, "abcde", 5), 0);
    kbuf_free(&b);
}
END_TEST

START_TEST(test_reset_empties_but_keeps_capacity)
{
    kbuf b = {0};
    kbuf_append(&b, "abc", 3);
    size_t cap = b.cap;
    kbuf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, cap);
    kbuf_free(&b);
}
END_TEST

START_TEST(test_take_detaches_bytes_and_empties_buffer)
{
    kbuf b = {0};
    kbuf_append(&b, "hello", 5);
    size_t len = 0;
    uint8_t *p = kbuf_take(&b, &len);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(memcmp(p, "hello", 5), 0);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    ck_assert_int_eq(kbuf_append(&b, "x", 1), 0); /* still usable */
    kbuf_free(&b);
    free(p);
}
END_TEST

START_TEST(test_free_twice_is_harmless)
{
    kbuf b = {0};
    kbuf_append(&b, "x", 1);
    kbuf_free(&b);
    kbuf_free(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_krbuf_starts_with_one_reference)
{
    krbuf *rb = krbuf_new(16);
    ck_assert_ptr_nonnull(rb);
    ck_assert_uint_eq(rb->len, 16);
    ck_assert_int_eq(atomic_load(&rb->refcnt), 1);
    memset(rb->data, 0xab, 16); /* the whole length is writable */
    krbuf_unref(rb);
}
END_TEST

START_TEST(test_krbuf_lives_until_the_last_reference_goes)
{
    krbuf *rb = krbuf_new(4);
    memcpy(rb->data, "abcd", 4);
    ck_assert_ptr_eq(krbuf_ref(rb), rb);
    krbuf_ref(rb);
    ck_assert_int_eq(atomic_load(&rb->refcnt), 3);
    krbuf_unref(rb);
    krbuf_unref(rb);
    /* ASan flags this read if an early unref freed the buffer. */
    ck_assert_int_eq(memcmp(rb->data, "abcd", 4), 0);
    ck_assert_int_eq(atomic_load(&rb->refcnt), 1);
    krbuf_unref(rb); /* LSan flags a leak if this one did not free */
}
END_TEST

START_TEST(test_krbuf_unref_of_null_does_nothing)
{
    krbuf_unref(NULL);
}
END_TEST

START_TEST(test_krbuf_from_kbuf_moves_bytes_and_empties_source)
{
    kbuf b = {0};
    kbuf_append(&b, "payload", 7);
    krbuf *rb = krbuf_from_kbuf(&b);
    ck_assert_ptr_nonnull(rb);
    ck_assert_uint_eq(rb->len, 7);
    ck_assert_int_eq(memcmp(rb->data, "payload", 7), 0);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    krbuf_unref(rb);

    kbuf empty = {0};
    rb = krbuf_from_kbuf(&empty);
    ck_assert_ptr_nonnull(rb);
    ck_assert_uint_eq(rb->len, 0);
    krbuf_unref(rb);
}
END_TEST

static void *ref_unref_many(void *arg)
{
    krbuf *rb = arg;
    for (int i = 0; i < 100000; i++)
        krbuf_unref(krbuf_ref(rb));
    krbuf_unref(rb); /* the reference main took for this thread */
    return NULL;
}

START_TEST(test_krbuf_refcount_is_exact_across_threads)
{
    enum { THREADS = 4 };
    krbuf *rb = krbuf_new(8);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, ref_unref_many, krbuf_ref(rb)), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&rb->refcnt), 1);
    krbuf_unref(rb);
}
END_TEST

static Suite *buf_suite(void)
{
    Suite *s = suite_create("base_buf");
    TCase *tc = tcase_create("kbuf");
    tcase_add_test(tc, test_zeroed_kbuf_is_empty_and_appendable);
    tcase_add_test(tc, test_append_grows_and_keeps_earlier_bytes);
    tcase_add_test(tc, test_append_of_nothing_accepts_null);
    tcase_add_test(tc, test_reserve_makes_room_without_changing_length);
    tcase_add_test(tc, test_grow_refuses_size_overflow_and_leaves_buffer_intact);
    tcase_add_test(tc, test_extend_hands_out_fresh_bytes_at_the_end);
    tcase_add_test(tc, test_reset_empties_but_keeps_capacity);
    tcase_add_test(tc, test_take_detaches_bytes_and_empties_buffer);
    tcase_add_test(tc, test_free_twice_is_harmless);
    suite_add_tcase(s, tc);
    tc = tcase_create("krbuf");
    tcase_add_test(tc, test_krbuf_starts_with_one_reference);
    tcase_add_test(tc, test_krbuf_lives_until_the_last_reference_goes);
    tcase_add_test(tc, test_krbuf_unref_of_null_does_nothing);
    tcase_add_test(tc, test_krbuf_from_kbuf_moves_bytes_and_empties_source);
    tcase_add_test(tc, test_krbuf_refcount_is_exact_across_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(buf_suite());
}
