/* Decoding compressed batches into a chunk's blocks, and the pool chunks
 * recycle their memory through: batches are decompressed back to back into
 * blocks that never move (every record of every batch stays readable), a
 * batch larger than a block gets a buffer of its own, a corrupt batch ends
 * the chunk with what came before it, and a pool hands the memory of a
 * released chunk to the next one and outlives its maker while chunks hold
 * its memory. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "consumer/consumer_int.h"

/* Record i's value: "v<i>" and then pad bytes of filler (compressible). */
static size_t value_of(int64_t i, size_t pad, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "v%lld", (long long)i);
    size_t len = (size_t)n + pad;
    ck_assert_uint_le(len, cap);
    for (size_t k = (size_t)n; k < len; k++)
        buf[k] = (char)('a' + (i + (int64_t)k) % 7);
    return len;
}

/* Appends a batch of n records at base to log. */
static void add_batch(kbuf *log, int64_t base, int n, size_t pad, kcodec codec)
{
    kbuf scratch = {0};
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &scratch, base, 1000, -1, -1, -1, 0, 0), 0);
    char *v = malloc(pad + 32);
    for (int i = 0; i < n; i++) {
        size_t len = value_of(base + i, pad, v, pad + 32);
        ck_assert_int_eq(kbatch_writer_append(&w, 1000, (kslice){NULL, 0}, (kslice){(const uint8_t *)v, len},
                                              NULL, 0),
                         0);
    }
    free(v);
    kslice out;
    ck_assert_int_eq(kbatch_writer_finish(&w, codec, -1, log, &out), 0);
    if (codec == KCODEC_NONE) ck_assert_int_eq(kbuf_append(log, out.ptr, out.len), 0);
    kbuf_free(&scratch);
}

static kchunk *decode(kbuf *log, int64_t fetch_offset, kchunk_pool *pool, kfk_err want_err)
{
    static kcpart p = {.topic = "t", .partition = 0};
    kp_fetch_response_partition_data pd;
    kp_fetch_response_partition_data_init(&pd);
    pd.records = (kslice){log->data, log->len};
    krbuf *frame = krbuf_new(1);
    kdecode_opts o = {.fetch_offset = fetch_offset, .check_crcs = true, .pool = pool};
    kchunk *ch = NULL;
    int64_t next;
    ck_assert_int_eq(kchunk_decode(&p, 0, &pd, frame, &o, &ch, &next), want_err);
    krbuf_unref(frame);
    return ch;
}

/* The chunk holds offsets first..first+n-1 with their values. */
static void expect_records(const kchunk *ch, int64_t first, int n, size_t pad)
{
    ck_assert_ptr_nonnull(ch);
    ck_assert_int_eq(ch->n, n);
    char *want = malloc(pad + 32);
    for (int i = 0; i < n; i++) {
        const kfk_message *m = &ch->msgs[i];
        ck_assert_int_eq(kfk_message_offset(m), first + i);
        size_t wl = value_of(first + i, pad, want, pad + 32), vl;
        const void *v = kfk_message_value(m, &vl);
        ck_assert_uint_eq(vl, wl);
        ck_assert(memcmp(v, want, wl) == 0);
    }
    free(want);
}

/* 40 batches of 100 records of ~300 bytes: ~1.2 MiB decompressed, more
 * than one block; every codec, with and without a pool. */
static void many_batches(kcodec codec, bool pooled)
{
    kbuf log = {0};
    for (int b = 0; b < 40; b++)
        add_batch(&log, b * 100, 100, 300, codec);
    kchunk_pool *pool = pooled ? kchunk_pool_new() : NULL;
    if (pooled) ck_assert_ptr_nonnull(pool);
    kchunk *ch = decode(&log, 0, pool, KFK_OK);
    expect_records(ch, 0, 4000, 300);
    ck_assert_int_ge(ch->n_bufs, 2); /* the first block filled up */
    kchunk_unref(ch);
    kchunk_pool_unref(pool);
    kbuf_free(&log);
}

START_TEST(test_batches_fill_blocks_and_stay_readable)
{
    static const kcodec codecs[] = {KCODEC_GZIP, KCODEC_SNAPPY, KCODEC_LZ4, KCODEC_ZSTD};
    many_batches(codecs[_i / 2], _i % 2);
}
END_TEST

START_TEST(test_a_batch_larger_than_a_block_gets_its_own_buffer)
{
    kbuf log = {0};
    add_batch(&log, 0, 10, 100, KCODEC_LZ4);
    add_batch(&log, 10, 3000, 1000, KCODEC_LZ4); /* ~3 MiB */
    add_batch(&log, 3010, 10, 100, KCODEC_LZ4);
    kchunk_pool *pool = kchunk_pool_new();
    kchunk *ch = decode(&log, 0, pool, KFK_OK);
    ck_assert_int_eq(ch->n, 3020);
    char want[1100];
    for (int i = 0; i < 3020; i++) {
        size_t pad = i >= 10 && i < 3010 ? 1000 : 100;
        size_t wl = value_of(i, pad, want, sizeof(want)), vl;
        const void *v = kfk_message_value(&ch->msgs[i], &vl);
        ck_assert_uint_eq(vl, wl);
        ck_assert(memcmp(v, want, wl) == 0);
    }
    kchunk_unref(ch);
    kchunk_pool_unref(pool);
    kbuf_free(&log);
}
END_TEST

START_TEST(test_mixed_codecs_and_a_fetch_offset_inside_a_batch)
{
    kbuf log = {0};
    add_batch(&log, 0, 10, 20, KCODEC_ZSTD);
    add_batch(&log, 10, 10, 20, KCODEC_NONE);
    add_batch(&log, 20, 10, 20, KCODEC_LZ4);
    kchunk_pool *pool = kchunk_pool_new();
    kchunk *ch = decode(&log, 5, pool, KFK_OK);
    expect_records(ch, 5, 25, 20);
    kchunk_unref(ch);
    kchunk_pool_unref(pool);
    kbuf_free(&log);
}
END_TEST

START_TEST(test_a_corrupt_batch_ends_the_chunk_after_what_came_before)
{
    kbuf log = {0};
    add_batch(&log, 0, 10, 20, KCODEC_LZ4);
    size_t second = log.len;
    add_batch(&log, 10, 10, 20, KCODEC_LZ4);
    /* Break the second batch's LZ4 frame magic (no CRC check here). */
    memset(log.data + second + KBATCH_HEADER_SIZE, 0, 4);
    kchunk_pool *pool = kchunk_pool_new();
    static kcpart p = {.topic = "t", .partition = 0};
    kp_fetch_response_partition_data pd;
    kp_fetch_response_partition_data_init(&pd);
    pd.records = (kslice){log.data, log.len};
    kdecode_opts o = {.fetch_offset = 0, .pool = pool};
    kchunk *ch = NULL;
    int64_t next;
    krbuf *frame = krbuf_new(1);
    ck_assert_int_eq(kchunk_decode(&p, 0, &pd, frame, &o, &ch, &next), KFK_OK);
    expect_records(ch, 0, 10, 20);
    ck_assert_int_eq(next, 10); /* the broken batch is fetched again */
    kchunk_unref(ch);
    /* Alone, the broken batch is the partition's error. */
    pd.records = (kslice){log.data + second, log.len - second};
    o.fetch_offset = 10;
    ck_assert_int_eq(kchunk_decode(&p, 0, &pd, frame, &o, &ch, &next), KFK_ERR_COMPRESSION);
    ck_assert_ptr_null(ch);
    krbuf_unref(frame);
    kchunk_pool_unref(pool);
    kbuf_free(&log);
}
END_TEST

START_TEST(test_the_pool_recycles_a_released_chunks_memory)
{
    kbuf log = {0};
    for (int b = 0; b < 4; b++)
        add_batch(&log, b * 100, 100, 50, KCODEC_ZSTD);
    kchunk_pool *pool = kchunk_pool_new();
    kchunk *a = decode(&log, 0, pool, KFK_OK);
    ck_assert_int_eq(a->n_bufs, 1);
    void *msgs = a->msgs, *block = a->bufs[0].data;
    kchunk_unref(a);
    kchunk *b = decode(&log, 0, pool, KFK_OK);
    ck_assert_ptr_eq(b->msgs, msgs);
    ck_assert_ptr_eq(b->bufs[0].data, block);
    expect_records(b, 0, 400, 50);
    kchunk_unref(b);
    kchunk_pool_unref(pool);
    kbuf_free(&log);
}
END_TEST

START_TEST(test_chunks_outlive_the_pools_maker)
{
    kbuf log = {0};
    add_batch(&log, 0, 50, 50, KCODEC_LZ4);
    kchunk_pool *pool = kchunk_pool_new();
    kchunk *a = decode(&log, 0, pool, KFK_OK);
    kchunk *b = decode(&log, 0, pool, KFK_OK);
    kchunk_pool_unref(pool); /* the fetcher goes; its chunks stay valid */
    expect_records(a, 0, 50, 50);
    kchunk_unref(a);
    expect_records(b, 0, 50, 50);
    kchunk_unref(b); /* the last one frees the pool (ASan: no leak) */
    kbuf_free(&log);
}
END_TEST

/* A v2 batch header claiming 2^31-1 records in a batch of a few bytes (a
 * corrupt or hostile broker) sizes the chunk by the bytes present: a
 * handful of messages, not the ~100 GiB the count asks for. */
START_TEST(test_a_huge_record_count_does_not_size_the_chunk)
{
    static const kcodec codecs[] = {KCODEC_NONE, KCODEC_LZ4};
    kbuf log = {0};
    add_batch(&log, 0, 1, 0, codecs[_i]);
    enum { RECORD_COUNT_AT = 57 }; /* in the v2 batch header */
    ck_assert_uint_gt(log.len, RECORD_COUNT_AT + 4);
    memcpy(log.data + RECORD_COUNT_AT, "\x7f\xff\xff\xff", 4);
    static kcpart p = {.topic = "t", .partition = 0};
    kp_fetch_response_partition_data pd;
    kp_fetch_response_partition_data_init(&pd);
    pd.records = (kslice){log.data, log.len};
    krbuf *frame = krbuf_new(1);
    kdecode_opts o = {.fetch_offset = 0, .check_crcs = false};
    kchunk *ch = NULL;
    int64_t next;
    kfk_err err = kchunk_decode(&p, 0, &pd, frame, &o, &ch, &next);
    ck_assert_msg(err != KFK_ERR_NO_MEMORY, "the chunk was sized by the header's count");
    if (ch) {
        ck_assert_int_le(ch->cap, (int)log.len);
        kchunk_unref(ch);
    }
    krbuf_unref(frame);
    kbuf_free(&log);
}
END_TEST

/* A record at INT64_MAX is malformed: the position after it would
 * overflow. */
START_TEST(test_an_offset_at_int64_max_is_malformed)
{
    kbuf log = {0};
    add_batch(&log, INT64_MAX, 1, 0, KCODEC_NONE);
    ck_assert_ptr_null(decode(&log, 0, NULL, KFK_ERR_MALFORMED));
    kbuf_free(&log);
}
END_TEST

static Suite *consumer_chunk_pool_suite(void)
{
    Suite *s = suite_create("consumer_chunk_pool");
    TCase *tc = tcase_create("blocks");
    tcase_add_loop_test(tc, test_batches_fill_blocks_and_stay_readable, 0, 8);
    tcase_add_test(tc, test_a_batch_larger_than_a_block_gets_its_own_buffer);
    tcase_add_test(tc, test_mixed_codecs_and_a_fetch_offset_inside_a_batch);
    tcase_add_test(tc, test_a_corrupt_batch_ends_the_chunk_after_what_came_before);
    tcase_add_test(tc, test_the_pool_recycles_a_released_chunks_memory);
    tcase_add_test(tc, test_chunks_outlive_the_pools_maker);
    tcase_add_loop_test(tc, test_a_huge_record_count_does_not_size_the_chunk, 0, 2);
    tcase_add_test(tc, test_an_offset_at_int64_max_is_malformed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(consumer_chunk_pool_suite());
}
