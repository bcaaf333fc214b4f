/* lib/codec/bufpool: reuse, caps, threads, and pooled decompression. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "codec/bufpool.h"
#include "codec/codec.h"

START_TEST(test_returned_buffer_is_handed_out_again_empty)
{
    kbufpool *pool = kbufpool_new(4, 1 << 20);
    kbuf b;
    ck_assert_int_eq(kbufpool_get(pool, 1000, &b), 0);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_ge(b.cap, 1000);
    kbuf_append(&b, "hello", 5);
    uint8_t *mem = b.data;
    kbufpool_put(pool, &b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.cap, 0);

    ck_assert_int_eq(kbufpool_get(pool, 10, &b), 0);
    ck_assert_ptr_eq(b.data, mem);
    ck_assert_uint_eq(b.len, 0);
    kbufpool_stats st;
    kbufpool_get_stats(pool, &st);
    ck_assert_uint_eq(st.hits, 1);
    ck_assert_uint_eq(st.misses, 1);
    ck_assert_uint_eq(st.idle, 0);
    kbufpool_put(pool, &b);
    kbufpool_destroy(pool);
}
END_TEST

START_TEST(test_idle_buffer_grows_to_the_asked_capacity)
{
    kbufpool *pool = kbufpool_new(2, 1 << 20);
    kbuf b;
    kbufpool_get(pool, 16, &b);
    kbufpool_put(pool, &b);
    ck_assert_int_eq(kbufpool_get(pool, 100000, &b), 0);
    ck_assert_uint_ge(b.cap, 100000);
    kbufpool_put(pool, &b);
    kbufpool_destroy(pool);
}
END_TEST

START_TEST(test_pool_keeps_at_most_max_idle_buffers)
{
    kbufpool *pool = kbufpool_new(2, 1 << 20);
    kbuf b[4];
    for (int i = 0; i < 4; i++)
        kbufpool_get(pool, 100, &b[i]);
    for (int i = 0; i < 4; i++)
        kbufpool_put(pool, &b[i]); /* the last two are freed: LSan checks */
    kbufpool_stats st;
    kbufpool_get_stats(pool, &st);
    ck_assert_uint_eq(st.idle, 2);
    ck_assert_uint_ge(st.idle_bytes, 200);
    kbufpool_destroy(pool);
}
END_TEST

START_TEST(test_oversized_buffers_are_freed_not_kept)
{
    kbufpool *pool = kbufpool_new(4, 4096);
    kbuf b;
    kbufpool_get(pool, 5000, &b);
    kbufpool_put(pool, &b);
    kbufpool_stats st;
    kbufpool_get_stats(pool, &st);
    ck_assert_uint_eq(st.idle, 0);
    /* A buffer that grew while on loan is judged by its size on return. */
    kbufpool_get(pool, 100, &b);
    kbuf_reserve(&b, 10000);
    kbufpool_put(pool, &b);
    kbufpool_get_stats(pool, &st);
    ck_assert_uint_eq(st.idle, 0);
    kbufpool_destroy(pool);
}
END_TEST

START_TEST(test_zero_sized_pool_and_empty_buffers)
{
    kbufpool *pool = kbufpool_new(0, 0);
    ck_assert_ptr_nonnull(pool);
    kbuf b = {0};
    kbufpool_put(pool, &b); /* a zeroed buffer is a no-op */
    kbufpool_get(pool, 64, &b);
    kbufpool_put(pool, &b);
    kbufpool_destroy(pool);
    kbufpool_destroy(NULL);
}
END_TEST

static void *churn(void *arg)
{
    kbufpool *pool = arg;
    for (int i = 0; i < 2000; i++) {
        kbuf b;
        ck_assert_int_eq(kbufpool_get(pool, 64 + (size_t)i % 500, &b), 0);
        memset(b.data, i & 0xff, 64);
        b.len = 64;
        kbufpool_put(pool, &b);
    }
    return NULL;
}

START_TEST(test_threads_share_a_pool)
{
    kbufpool *pool = kbufpool_new(3, 1 << 16);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, churn, pool);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    kbufpool_stats st;
    kbufpool_get_stats(pool, &st);
    ck_assert_uint_eq(st.hits + st.misses, 8000);
    ck_assert_uint_le(st.idle, 3);
    kbufpool_destroy(pool);
}
END_TEST

START_TEST(test_pooled_decompression_reuses_buffers)
{
    kbufpool *pool = kbufpool_new(2, 1 << 20);
    uint8_t plain[20000];
    ktest_fill(plain, sizeof(plain), 3);
    memset(plain + 5000, 'a', 10000);
    kbuf z = {0};
    ck_assert_int_eq(kcodec_compress(KCODEC_ZSTD, -1, plain, sizeof(plain), &z), KFK_OK);

    kbuf out;
    ck_assert_int_eq(kcodec_decompress_pooled(pool, KCODEC_ZSTD, z.data, z.len, 1 << 20, &out),
                     KFK_OK);
    ck_assert_uint_eq(out.len, sizeof(plain));
    ck_assert_int_eq(memcmp(out.data, plain, sizeof(plain)), 0);
    uint8_t *mem = out.data;
    kbufpool_put(pool, &out);

    ck_assert_int_eq(kcodec_decompress_pooled(pool, KCODEC_ZSTD, z.data, z.len, 1 << 20, &out),
                     KFK_OK);
    ck_assert_ptr_eq(out.data, mem);
    kbufpool_put(pool, &out);

    /* On error the buffer goes straight back. */
    ck_assert_int_eq(kcodec_decompress_pooled(pool, KCODEC_ZSTD, z.data, z.len, 100, &out),
                     KFK_ERR_TOO_LARGE);
    ck_assert_ptr_null(out.data);
    ck_assert_int_eq(kcodec_decompress_pooled(pool, KCODEC_GZIP, z.data, z.len, 1 << 20, &out),
                     KFK_ERR_COMPRESSION);
    kbufpool_stats st;
    kbufpool_get_stats(pool, &st);
    ck_assert_uint_eq(st.idle, 1);
    ck_assert_uint_eq(st.misses, 1);
    kbuf_free(&z);
    kbufpool_destroy(pool);
    kcodec_thread_cleanup();
}
END_TEST

static Suite *bufpool_suite(void)
{
    Suite *s = suite_create("codec_bufpool");
    TCase *tc = tcase_create("pool");
    tcase_add_test(tc, test_returned_buffer_is_handed_out_again_empty);
    tcase_add_test(tc, test_idle_buffer_grows_to_the_asked_capacity);
    tcase_add_test(tc, test_pool_keeps_at_most_max_idle_buffers);
    tcase_add_test(tc, test_oversized_buffers_are_freed_not_kept);
    tcase_add_test(tc, test_zero_sized_pool_and_empty_buffers);
    tcase_add_test(tc, test_threads_share_a_pool);
    tcase_add_test(tc, test_pooled_decompression_reuses_buffers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ktest_run(bufpool_suite()); }
