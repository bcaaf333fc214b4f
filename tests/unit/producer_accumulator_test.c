/* The record accumulator: batching, linger, batch.size edges, ordering,
 * buffer.memory with max.block.ms, flush, close and purge. Time is passed
 * in explicitly; the only real waits are a blocked append's own. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "producer/accumulator.h"

#define T0 1000 /* a fake monotonic now, in ms */
#define TS 1700000000000LL

static kaccum_conf conf_of(int64_t batch_size, int64_t linger_ms, int64_t memory, int64_t block_ms)
{
    return (kaccum_conf){.batch_size = batch_size,
                         .linger_ms = linger_ms,
                         .buffer_memory = memory,
                         .max_block_ms = block_ms};
}

static uint8_t value_bytes[1 << 16];

static kaccum_batch *drain_one(kaccum *a, kaccum_part *p, int64_t now);

/* A keyless record of n value bytes whose opaque is id. */
static kaccum_rec rec_of(size_t n, uintptr_t id)
{
    return (kaccum_rec){
        .timestamp = TS + (int64_t)id, .value = {value_bytes, n}, .opaque = (void *)id};
}

/* Bytes a record of n value bytes takes as record i of a batch. */
static size_t rec_size(size_t n, int32_t i, int64_t ts_delta)
{
    return kbatch_record_size(i, ts_delta, (kslice){NULL, 0}, (kslice){value_bytes, n}, NULL, 0);
}

static kaccum_appended append_ok(kaccum *a, kaccum_part *p, size_t n, uintptr_t id, int64_t now)
{
    kaccum_rec r = rec_of(n, id);
    kaccum_appended res;
    ck_assert_int_eq(kaccum_append(a, p, &r, now, &res), KFK_OK);
    return res;
}

/* Checks that b holds records first..first+count-1 in order, both in its
 * report array and in its wire bytes, then releases it. */
static void check_batch(kaccum *a, kaccum_batch *b, uintptr_t first, int32_t count)
{
    ck_assert_int_eq(kaccum_batch_count(b), count);
    for (int32_t i = 0; i < count; i++) {
        ck_assert_ptr_eq(b->msgs[i].opaque, (void *)(first + (uintptr_t)i));
        ck_assert_int_eq(b->msgs[i].timestamp, TS + (int64_t)(first + (uintptr_t)i));
    }
    kslice wire;
    ck_assert_int_eq(kaccum_batch_finish(b, -1, -1, KCODEC_NONE, -1, &wire), KFK_OK);
    kreader r = kreader_of(wire.ptr, wire.len);
    kbatch hdr;
    ck_assert_int_eq(kbatch_parse_header(&r, &hdr), KFK_OK);
    ck_assert_int_eq(kbatch_verify_crc(&hdr), KFK_OK);
    ck_assert_int_eq(hdr.record_count, count);
    ck_assert_int_eq(hdr.base_sequence, -1);
    kbatch_read_opts opts = {0};
    kbuf scratch = {0};
    krecord_iter it;
    ck_assert_int_eq(krecord_iter_init(&it, &hdr, &opts, &scratch), KFK_OK);
    krecord rec;
    for (int32_t i = 0; i < count; i++) {
        ck_assert(krecord_iter_next(&it, &rec));
        ck_assert_int_eq(rec.timestamp, TS + (int64_t)(first + (uintptr_t)i));
        ck_assert_ptr_null(rec.key.ptr);
    }
    ck_assert(!krecord_iter_next(&it, &rec));
    kbuf_free(&scratch);
    kaccum_batch_release(a, b);
}

START_TEST(test_records_wait_for_linger)
{
    kaccum_conf c = conf_of(16384, 5, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    kaccum_appended res = append_ok(a, p, 100, 0, T0);
    ck_assert(res.new_batch && !res.ready && !res.batch_full);
    ck_assert_int_eq(res.bytes, KBATCH_HEADER_SIZE + rec_size(100, 0, 0));
    res = append_ok(a, p, 100, 1, T0 + 2);
    ck_assert(!res.new_batch && !res.ready);
    ck_assert_int_eq(res.bytes, rec_size(100, 1, 1));
    append_ok(a, p, 100, 2, T0 + 4);
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_next_ready_ms(a, &p, 1, T0 + 4), T0 + 5);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0 + 4, 1 << 20, &out), 0);
    ck_assert_int_eq(kaccum_next_ready_ms(a, &p, 1, T0 + 5), T0 + 5);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0 + 5, 1 << 20, &out), 1);
    check_batch(a, kaccum_list_pop(&out), 0, 3);
    ck_assert_int_eq(kaccum_next_ready_ms(a, &p, 1, T0 + 5), INT64_MAX);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 0);
    kaccum_destroy(a);
}
END_TEST

/* batch.size for exactly k records of n bytes (same timestamp delta rules
 * as rec_of with ids from 0). */
static int64_t size_for(int k, size_t n)
{
    int64_t size = KBATCH_HEADER_SIZE;
    for (int i = 0; i < k; i++)
        size += (int64_t)rec_size(n, i, i);
    return size;
}

/* A batch's buffer and report array start small and grow with its
 * records, never past batch.size: a partition that gets a few records
 * holds memory for those, not for a full batch. The records stay whole
 * across the reallocations; a pooled batch keeps what it grew to. */
START_TEST(test_batch_buffer_grows_with_its_records)
{
    kaccum_conf c = conf_of(16384, 1000, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    append_ok(a, p, 100, 0, T0);
    kaccum_list out = {0};
    kaccum_flush_begin(a);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 1);
    kaccum_flush_end(a);
    kaccum_batch *b = kaccum_list_pop(&out);
    ck_assert_uint_le(b->buf.cap, 2048);
    ck_assert_uint_le(b->msgs_cap, 64);
    check_batch(a, b, 0, 1);
    /* Fill a batch exactly to batch.size: every record goes in, in order,
     * and the buffer never outgrows the batch. */
    int k = 0;
    while (size_for(k + 1, 100) <= c.batch_size)
        k++;
    for (int i = 0; i < k; i++) {
        kaccum_appended res = append_ok(a, p, 100, 100 + (uintptr_t)i, T0 + i);
        ck_assert(!res.ready || i == k - 1);
        ck_assert_int_eq(kaccum_part_queued(p), 1);
    }
    kaccum_flush_begin(a);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0 + k, 1 << 20, &out), 1);
    kaccum_flush_end(a);
    b = kaccum_list_pop(&out);
    ck_assert_int_eq(kaccum_batch_count(b), k);
    ck_assert_uint_le(b->buf.cap, (size_t)c.batch_size);
    size_t grown = b->buf.cap;
    ck_assert_uint_ge(grown, kaccum_batch_size(b));
    for (int32_t i = 0; i < k; i++)
        ck_assert_int_eq(b->msgs[i].timestamp, TS + 100 + i);
    kaccum_batch_release(a, b);
    /* The pooled batch comes back with its capacity for the next one. */
    append_ok(a, p, 100, 1000, T0 + k);
    kaccum_flush_begin(a);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0 + k, 1 << 20, &out), 1);
    kaccum_flush_end(a);
    b = kaccum_list_pop(&out);
    ck_assert_uint_eq(b->buf.cap, grown);
    check_batch(a, b, 1000, 1);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 0);
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_exactly_full_batch_is_ready_at_once)
{
    kaccum_conf c = conf_of(size_for(5, 100), 1000, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    for (uintptr_t i = 0; i < 4; i++)
        ck_assert(!append_ok(a, p, 100, i, T0).ready);
    kaccum_appended res = append_ok(a, p, 100, 4, T0);
    ck_assert(res.ready && res.batch_full && !res.new_batch);
    ck_assert_int_eq(kaccum_next_ready_ms(a, &p, 1, T0), T0);
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 1);
    kaccum_batch *b = kaccum_list_pop(&out);
    ck_assert_int_eq(kaccum_batch_size(b), c.batch_size);
    check_batch(a, b, 0, 5);
    res = append_ok(a, p, 100, 5, T0); /* the next record opens a new batch */
    ck_assert(res.new_batch && !res.ready);
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_one_byte_over_starts_the_next_batch)
{
    kaccum_conf c = conf_of(size_for(5, 100) - 1, 1000, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    for (uintptr_t i = 0; i < 4; i++)
        append_ok(a, p, 100, i, T0);
    kaccum_appended res = append_ok(a, p, 100, 4, T0 + 1);
    ck_assert(res.ready && res.new_batch && !res.batch_full);
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0 + 1, 1 << 20, &out), 1);
    check_batch(a, kaccum_list_pop(&out), 0, 4);
    /* The new batch lingers from its own first record. */
    ck_assert_int_eq(kaccum_next_ready_ms(a, &p, 1, T0 + 1), T0 + 1001);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0 + 1001, 1 << 20, &out), 1);
    kaccum_batch *b = kaccum_list_pop(&out);
    ck_assert_int_eq(b->msgs[0].timestamp, TS + 4);
    kaccum_batch_release(a, b);
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_giant_record_gets_a_batch_of_its_own)
{
    kaccum_conf c = conf_of(1000, 1000, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    append_ok(a, p, 100, 0, T0);
    kaccum_appended res = append_ok(a, p, 5000, 1, T0);
    ck_assert(res.ready && res.new_batch && res.batch_full);
    int64_t giant = KBATCH_HEADER_SIZE + (int64_t)rec_size(5000, 0, 0);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 1000 + giant);
    append_ok(a, p, 100, 2, T0);
    ck_assert_int_eq(kaccum_part_queued(p), 3);
    kaccum_list out = {0};
    /* One batch per partition per drain, oldest first. */
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 1);
    check_batch(a, kaccum_list_pop(&out), 0, 1);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 1);
    kaccum_batch *b = kaccum_list_pop(&out);
    ck_assert_int_eq(kaccum_batch_size(b), giant);
    check_batch(a, b, 1, 1);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 0); /* not lingered */
    ck_assert_int_eq(kaccum_part_queued(p), 1);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 1000);
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_record_over_the_limits_is_refused)
{
    kaccum_conf c = conf_of(1000, 0, 4000, 0);
    c.max_record_bytes = 3000;
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    kaccum_rec r = rec_of(3500, 0);
    kaccum_appended res;
    ck_assert_int_eq(kaccum_append(a, p, &r, T0, &res), KFK_ERR_TOO_LARGE);
    c.max_record_bytes = 0;
    kaccum *b = kaccum_new(&c);
    kaccum_part *q = kaccum_part_new(b, NULL);
    r = rec_of(4500, 0);
    ck_assert_int_eq(kaccum_append(b, q, &r, T0, &res), KFK_ERR_TOO_LARGE);
    ck_assert_int_eq(kaccum_reserved_bytes(b), 0);
    kaccum_destroy(a);
    kaccum_destroy(b);
}
END_TEST

START_TEST(test_batch_size_zero_sends_every_record_alone)
{
    kaccum_conf c = conf_of(0, 1000, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    for (uintptr_t i = 0; i < 3; i++)
        ck_assert(append_ok(a, p, 10, i, T0).ready);
    kaccum_list out = {0};
    for (uintptr_t i = 0; i < 3; i++) {
        ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 1);
        check_batch(a, kaccum_list_pop(&out), i, 1);
    }
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_partitions_keep_order_and_sequences)
{
    kaccum_conf c = conf_of(size_for(3, 50), 0, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *parts[2] = {kaccum_part_new(a, (void *)1), kaccum_part_new(a, (void *)2)};
    ck_assert_ptr_eq(kaccum_part_ctx(parts[1]), (void *)2);
    kaccum_part_set_sequence(parts[1], INT32_MAX - 1); /* wraps after 2 */
    /* Records 0..8 into each partition: 3 full batches each. */
    for (uintptr_t i = 0; i < 9; i++) {
        append_ok(a, parts[0], 50, i, T0);
        append_ok(a, parts[1], 50, 100 + i, T0);
    }
    const int32_t seq1[] = {INT32_MAX - 1, 1, 4};
    for (int round = 0; round < 3; round++) {
        kaccum_list out = {0};
        ck_assert_int_eq(kaccum_drain(a, parts, 2, (size_t)round, T0, 1 << 20, &out), 2);
        kaccum_batch *first = kaccum_list_pop(&out), *second = kaccum_list_pop(&out);
        /* The start index rotates which partition comes first. */
        kaccum_batch *b0 = round % 2 ? second : first, *b1 = round % 2 ? first : second;
        ck_assert_ptr_eq(b0->part, parts[0]);
        ck_assert_int_eq(b0->base_sequence, 3 * round);
        ck_assert_int_eq(b1->base_sequence, seq1[round]);
        check_batch(a, b0, (uintptr_t)(3 * round), 3);
        check_batch(a, b1, (uintptr_t)(100 + 3 * round), 3);
    }
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_drain_respects_max_bytes_but_takes_one)
{
    kaccum_conf c = conf_of(1000, 0, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *parts[3];
    for (int i = 0; i < 3; i++) {
        parts[i] = kaccum_part_new(a, NULL);
        append_ok(a, parts[i], 800, (uintptr_t)i, T0);
    }
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, parts, 3, 0, T0, 100, &out), 1);
    ck_assert_int_eq(kaccum_drain(a, parts, 3, 0, T0, 2000, &out), 2);
    ck_assert_int_eq(out.n, 3);
    for (int i = 0; i < 3; i++) {
        kaccum_batch *b = kaccum_list_pop(&out);
        ck_assert_ptr_eq(b->part, parts[i]);
        kaccum_batch_release(a, b);
    }
    kaccum_destroy(a);
}
END_TEST

/* Lingering batches join a request that a ready one starts, wherever
 * they stand in the visiting order; one waiting out a retry does not. */
START_TEST(test_lingering_batches_ride_along_with_a_ready_one)
{
    kaccum_conf c = conf_of(1000, 60000, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *parts[4];
    for (int i = 0; i < 4; i++)
        parts[i] = kaccum_part_new(a, NULL);
    append_ok(a, parts[0], 10, 0, T0); /* lingering */
    append_ok(a, parts[3], 10, 1, T0); /* lingering, then retried */
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, parts, 4, 0, T0, 1 << 20, &out), 0);
    ck_assert_int_eq(kaccum_drain(a, &parts[3], 1, 0, T0 + 60000, 1 << 20, &out), 1);
    kaccum_reenqueue(a, kaccum_list_pop(&out), T0 + 60100);
    append_ok(a, parts[2], 1000, 2, T0); /* full: ready */
    append_ok(a, parts[1], 10, 3, T0);   /* lingering */
    ck_assert_int_eq(kaccum_drain(a, parts, 4, 1, T0 + 1, 1 << 20, &out), 3);
    bool seen[4] = {false};
    for (kaccum_batch *b; (b = kaccum_list_pop(&out));) {
        seen[(uintptr_t)b->msgs[0].opaque] = true;
        kaccum_batch_release(a, b);
    }
    ck_assert(seen[0] && !seen[1] && seen[2] && seen[3]);
    ck_assert_int_eq(kaccum_drain(a, parts, 4, 0, T0 + 60100, 1 << 20, &out), 1); /* the retry */
    kaccum_batch_release(a, kaccum_list_pop(&out));
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_flush_and_close_make_everything_ready)
{
    kaccum_conf c = conf_of(16384, 60000, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    append_ok(a, p, 10, 0, T0);
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 0);
    kaccum_flush_begin(a);
    ck_assert_int_eq(kaccum_next_ready_ms(a, &p, 1, T0), T0);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 1);
    kaccum_flush_end(a);
    append_ok(a, p, 10, 1, T0);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 0);
    kaccum_close(a);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 1);
    kaccum_rec r = rec_of(10, 2);
    kaccum_appended res;
    ck_assert_int_eq(kaccum_append(a, p, &r, T0, &res), KFK_ERR_DESTROYED);
    check_batch(a, kaccum_list_pop(&out), 0, 1);
    check_batch(a, kaccum_list_pop(&out), 1, 1);
    kaccum_destroy(a);
}
END_TEST

/* Appends records of 100 value bytes with ids from *id, the first opening
 * a batch, until one more opens a batch behind it; returns how many
 * records the first batch took. */
static int32_t fill_first_batch(kaccum *a, kaccum_part *p, uintptr_t *id)
{
    int32_t n = 0;
    for (;;) {
        kaccum_appended res = append_ok(a, p, 100, (*id)++, T0);
        if (res.new_batch && n > 0) return n;
        n++;
    }
}

/* Purges p's queued batches and releases them, as the sender would. */
static void release_queued(kaccum *a, kaccum_part *p)
{
    kaccum_list out = {0};
    kaccum_purge(a, &p, 1, &out);
    for (kaccum_batch *x; (x = kaccum_list_pop(&out));)
        kaccum_batch_release(a, x);
}

/* An accumulator whose batches may grow from batch_size to max_record
 * (within memory bytes of buffer.memory), and its one partition. */
static kaccum *growing_accum(int64_t batch_size, int64_t max_record, int64_t memory,
                             kaccum_part **p)
{
    kaccum_conf c = conf_of(batch_size, 0, memory, 0);
    c.max_record_bytes = max_record;
    c.grow = true;
    kaccum *a = kaccum_new(&c);
    *p = kaccum_part_new(a, NULL);
    return a;
}

/* A partition whose batches wait for the sender grows its open batch past
 * batch.size, up to max.request.size; one that keeps up does not. */
START_TEST(test_a_backed_up_partition_grows_its_open_batch)
{
    kaccum_part *p;
    kaccum *a = growing_accum(1000, 8000, 1 << 20, &p);
    uintptr_t id = 0;
    int32_t first = fill_first_batch(a, p, &id); /* nothing queued ahead: batch.size */
    ck_assert_int_gt(first, 5);
    for (int i = 0; i < 5 * first; i++)
        append_ok(a, p, 100, id++, T0); /* behind the first: grows */
    ck_assert_int_eq(kaccum_part_queued(p), 2);
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 1);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 1);
    kaccum_batch *b1 = kaccum_list_pop(&out), *b2 = kaccum_list_pop(&out);
    ck_assert_uint_le(kaccum_batch_size(b1), 1000);
    ck_assert_uint_gt(kaccum_batch_size(b2), 4 * kaccum_batch_size(b1));
    ck_assert_uint_le(kaccum_batch_size(b2), 8000);
    check_batch(a, b1, 0, first);
    check_batch(a, b2, (uintptr_t)first, 5 * first + 1);
    /* Drained: the next batch has nothing ahead of it and keeps batch.size. */
    int32_t again = fill_first_batch(a, p, &id);
    ck_assert_int_eq(again, first);
    kaccum_destroy(a);
}
END_TEST

/* While a partition's last batch is unanswered (drained, not released)
 * its open batch grows even with nothing queued ahead of it; once the
 * answer came (released, or re-enqueued for a retry), batch.size again. */
START_TEST(test_an_unanswered_batch_lets_the_next_grow)
{
    kaccum_part *p;
    kaccum *a = growing_accum(1000, 8000, 1 << 20, &p);
    uintptr_t id = 0;
    int32_t first = fill_first_batch(a, p, &id);
    kaccum_batch *b1 = drain_one(a, p, T0); /* sent; the batch after it is the head */
    for (int i = 0; i < 3 * first; i++)
        append_ok(a, p, 100, id++, T0);
    ck_assert_int_eq(kaccum_part_queued(p), 1);
    kaccum_batch *b2 = drain_one(a, p, T0);
    ck_assert_int_eq(kaccum_batch_count(b2), 3 * first + 1); /* all of them, in one */
    ck_assert_uint_gt(kaccum_batch_size(b2), 2 * 1000);
    check_batch(a, b1, 0, first);
    kaccum_reenqueue(a, b2, T0); /* answered with a retriable error */
    b2 = drain_one(a, p, T0);
    check_batch(a, b2, (uintptr_t)first, 3 * first + 1);
    ck_assert_int_eq(fill_first_batch(a, p, &id), first);
    release_queued(a, p);
    kaccum_destroy(a);
}
END_TEST

/* While the accumulator is held even a partition's first batch grows:
 * nothing is sent before it is let go. */
START_TEST(test_a_held_accumulator_grows_the_first_batch)
{
    kaccum_part *p;
    kaccum *a = growing_accum(1000, 8000, 1 << 20, &p);
    uintptr_t id = 0;
    int32_t first = fill_first_batch(a, p, &id); /* and one record in the next */
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 1);
    kaccum_batch_release(a, kaccum_list_pop(&out));
    kaccum_set_held(a, true);
    for (int i = 0; i < 3 * first; i++)
        append_ok(a, p, 100, id++, T0);
    ck_assert_int_eq(kaccum_part_queued(p), 1); /* the head batch, grown */
    kaccum_set_held(a, false);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 1);
    kaccum_batch *b = kaccum_list_pop(&out);
    ck_assert_uint_gt(kaccum_batch_size(b), 2 * 1000);
    check_batch(a, b, (uintptr_t)first, 3 * first + 1);
    /* let go: the next first batch keeps batch.size */
    ck_assert_int_eq(fill_first_batch(a, p, &id), first);
    kaccum_destroy(a);
}
END_TEST

/* A backed-up partition's next batch starts with the bound its last
 * drained batch grew to, its buffer that large at once, so it takes its
 * records without growing; once nothing of it is unanswered, batch.size. */
START_TEST(test_a_backed_up_partition_starts_its_next_batch_grown)
{
    kaccum_part *p;
    kaccum *a = growing_accum(1000, 8000, 1 << 20, &p);
    uintptr_t id = 0;
    int32_t first = fill_first_batch(a, p, &id);
    kaccum_batch *b1 = drain_one(a, p, T0); /* unanswered from here on */
    for (int i = 0; i < 3 * first; i++)
        append_ok(a, p, 100, id++, T0);
    kaccum_batch *b2 = drain_one(a, p, T0); /* grew past 2000 bytes: bound 4000 */
    ck_assert_uint_gt(kaccum_batch_size(b2), 2000);
    ck_assert_uint_le(kaccum_batch_size(b2), 4000);
    int64_t before = kaccum_reserved_bytes(a);
    uintptr_t third = id;
    kaccum_appended res = append_ok(a, p, 100, id++, T0);
    ck_assert(res.new_batch);
    ck_assert_int_eq(kaccum_reserved_bytes(a) - before, 4000);
    for (int i = 0; i < 3 * first; i++)
        append_ok(a, p, 100, id++, T0);
    kaccum_batch *b3 = drain_one(a, p, T0);
    ck_assert_uint_eq(b3->w.max_bytes, 4000);
    ck_assert_uint_eq(b3->buf.cap, 4000); /* never reallocated */
    check_batch(a, b1, 0, first);
    check_batch(a, b2, (uintptr_t)first, 3 * first + 1);
    check_batch(a, b3, third, 3 * first + 1);
    kaccum_trim(a); /* the pooled grown batches go */
    ck_assert_int_eq(fill_first_batch(a, p, &id), first);
    release_queued(a, p);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 0);
    kaccum_destroy(a);
}
END_TEST

/* A pooled grown buffer larger than a new batch's hint is reserved
 * whole, never held beyond what buffer.memory counts. */
START_TEST(test_a_pooled_grown_buffer_is_counted_whole)
{
    kaccum_part *p;
    kaccum *a = growing_accum(16384, 1 << 20, 8 << 20, &p);
    uintptr_t id = 0;
    fill_first_batch(a, p, &id);
    kaccum_batch *b1 = drain_one(a, p, T0); /* unanswered: p stays backed up */
    for (int i = 0; i < 1500; i++)
        append_ok(a, p, 100, id++, T0);
    kaccum_batch *b2 = drain_one(a, p, T0); /* about 165 KB: hint 256 KiB */
    ck_assert_uint_eq(b2->buf.cap, 256 << 10);
    append_ok(a, p, 100, id++, T0); /* b3, reserved 256 KiB */
    kaccum_batch_release(a, b2);    /* to the pool of grown batches */
    for (int i = 0; i < 700; i++)
        append_ok(a, p, 100, id++, T0);
    kaccum_batch *b3 = drain_one(a, p, T0); /* about 77 KB: hint 128 KiB */
    int64_t before = kaccum_reserved_bytes(a);
    append_ok(a, p, 100, id++, T0); /* b4 takes b2's 256 KiB buffer */
    ck_assert_int_eq(kaccum_reserved_bytes(a) - before, 256 << 10);
    kaccum_batch *b4 = drain_one(a, p, T0);
    ck_assert_uint_eq(b4->w.max_bytes, 256 << 10);
    ck_assert_uint_eq(b4->buf.cap, 256 << 10);
    kaccum_batch_release(a, b1);
    kaccum_batch_release(a, b3);
    kaccum_batch_release(a, b4);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 0);
    kaccum_destroy(a);
}
END_TEST

/* Growing never takes memory past buffer.memory, and never blocks. */
START_TEST(test_a_batch_grows_only_within_buffer_memory)
{
    kaccum_part *p;
    kaccum *a = growing_accum(1000, 8000, 2500, &p);
    uintptr_t id = 0;
    int32_t first = fill_first_batch(a, p, &id);
    for (int i = 0; i < first - 1; i++)
        append_ok(a, p, 100, id++, T0);
    /* The second batch is as full as the first: no memory to grow. */
    kaccum_rec r = rec_of(100, id);
    kaccum_appended res;
    ck_assert_int_eq(kaccum_append(a, p, &r, T0, &res), KFK_ERR_QUEUE_FULL);
    ck_assert_int_le(kaccum_reserved_bytes(a), 2500);
    ck_assert_int_eq(kaccum_part_queued(p), 2);
    kaccum_destroy(a);
}
END_TEST

/* With a max.request.size above 1 MiB (set to let large records through),
 * a batch still grows to 1 MiB at most: what a broker takes by default. */
START_TEST(test_a_batch_grows_to_1_mib_at_most)
{
    kaccum_part *p;
    kaccum *a = growing_accum(1000, 8 << 20, 64 << 20, &p);
    uintptr_t id = 0;
    fill_first_batch(a, p, &id);
    kaccum_appended res;
    do
        res = append_ok(a, p, 100, id++, T0);
    while (!res.new_batch); /* the second batch is full: a third opens */
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 8 << 20, &out), 1);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 8 << 20, &out), 1);
    kaccum_batch_release(a, kaccum_list_pop(&out));
    kaccum_batch *b2 = kaccum_list_pop(&out);
    ck_assert_uint_le(kaccum_batch_size(b2), 1 << 20);
    ck_assert_uint_gt(kaccum_batch_size(b2), (1 << 20) - 200);
    kaccum_batch_release(a, b2);
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_queue_full_at_once_without_max_block)
{
    kaccum_conf c = conf_of(1000, 0, 2000, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *parts[3] = {kaccum_part_new(a, NULL), kaccum_part_new(a, NULL),
                             kaccum_part_new(a, NULL)};
    append_ok(a, parts[0], 10, 0, T0);
    append_ok(a, parts[1], 10, 1, T0);
    append_ok(a, parts[1], 10, 2, T0); /* fits the open batch: no memory needed */
    kaccum_rec r = rec_of(10, 3);
    kaccum_appended res;
    int64_t t = ktime_mono_ms();
    ck_assert_int_eq(kaccum_append(a, parts[2], &r, T0, &res), KFK_ERR_QUEUE_FULL);
    ck_assert_int_lt(ktime_mono_ms() - t, 1000);
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, parts, 1, 0, T0, 1 << 20, &out), 1);
    kaccum_batch_release(a, kaccum_list_pop(&out));
    ck_assert_int_eq(kaccum_append(a, parts[2], &r, T0, &res), KFK_OK);
    kaccum_destroy(a);
}
END_TEST

/* A batch reserves what its buffer holds: 1 KiB at first, more as it
 * grows. buffer.memory then holds an open batch for many more partitions
 * than it has batch.size buffers (64 KiB here: four of 16 KiB). */
START_TEST(test_a_batch_reserves_what_its_buffer_holds)
{
    enum { N = 40 };
    kaccum_conf c = conf_of(16384, 60000, 64 << 10, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *parts[N];
    for (int i = 0; i < N; i++) {
        parts[i] = kaccum_part_new(a, NULL);
        if (i > 0) append_ok(a, parts[i], 100, 100000 + (uintptr_t)i, T0);
    }
    ck_assert_int_eq(kaccum_reserved_bytes(a), (N - 1) * 1024);
    uintptr_t id = 0;
    int32_t n = fill_first_batch(a, parts[0], &id); /* and one record in the next */
    kaccum_batch *b = drain_one(a, parts[0], T0);
    ck_assert_uint_gt(b->buf.cap, 8192);
    ck_assert_uint_le(b->buf.cap, 16384);
    ck_assert_int_eq(b->reserved, (int64_t)b->buf.cap);
    ck_assert_int_eq(kaccum_reserved_bytes(a), N * 1024 + (int64_t)b->buf.cap);
    check_batch(a, b, 0, n);
    for (int i = 0; i < N; i++)
        release_queued(a, parts[i]);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 0);
    kaccum_destroy(a);
}
END_TEST

/* A batch whose buffer cannot grow within buffer.memory is sealed where it
 * is; the record then waits for a new batch's memory like any other. */
START_TEST(test_a_batch_that_cannot_grow_is_sealed)
{
    kaccum_conf c = conf_of(4096, 60000, 4096, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL), *q = kaccum_part_new(a, NULL);
    kaccum_appended res = append_ok(a, p, 100, 1000, T0);
    uintptr_t id = 0;
    kaccum_rec r;
    kfk_err err;
    do {
        r = rec_of(100, id++);
        err = kaccum_append(a, q, &r, T0, &res);
    } while (err == KFK_OK);
    /* q's buffer grew by half to 2304, not to 3456; its next batch's
     * 1 KiB does not fit either */
    ck_assert_int_eq(err, KFK_ERR_QUEUE_FULL);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 1024 + 2304);
    ck_assert_int_eq(kaccum_part_queued(q), 1);
    kaccum_batch *b = drain_one(a, q, T0); /* sealed: ready before linger.ms */
    ck_assert_uint_le(kaccum_batch_size(b), 2304);
    check_batch(a, b, 0, (int32_t)(id - 1));
    ck_assert_int_eq(kaccum_append(a, q, &r, T0, &res), KFK_OK);
    release_queued(a, p);
    release_queued(a, q);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 0);
    kaccum_destroy(a);
}
END_TEST

struct blocked {
    kaccum *a;
    kaccum_part *p;
    kfk_err err;
};

static void *append_blocking(void *arg)
{
    struct blocked *bl = arg;
    kaccum_rec r = rec_of(10, 7);
    kaccum_appended res;
    bl->err = kaccum_append(bl->a, bl->p, &r, T0, &res);
    return NULL;
}

/* Waits, without sleeping, until an append is blocked for memory: then
 * kaccum_next_ready_ms calls every batch ready (Java's "exhausted"). */
static void await_blocked(kaccum *a, kaccum_part *p)
{
    int64_t deadline = ktime_mono_ms() + 10000;
    while (kaccum_next_ready_ms(a, &p, 1, T0) != T0) {
        ck_assert_int_lt(ktime_mono_ms(), deadline);
        sched_yield();
    }
}

START_TEST(test_blocked_append_succeeds_when_memory_is_freed)
{
    kaccum_conf c = conf_of(1000, 60000, 1000, 30000);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL), *q = kaccum_part_new(a, NULL);
    append_ok(a, p, 10, 0, T0);
    struct blocked bl = {a, q, KFK_ERR_STATE};
    pthread_t th;
    int64_t t = ktime_mono_ms();
    pthread_create(&th, NULL, append_blocking, &bl);
    await_blocked(a, p);
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 1);
    kaccum_batch_release(a, kaccum_list_pop(&out));
    pthread_join(th, NULL);
    ck_assert_int_eq(bl.err, KFK_OK);
    ck_assert_int_lt(ktime_mono_ms() - t, 30000);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 1000);
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_blocked_append_times_out_with_queue_full)
{
    kaccum_conf c = conf_of(1000, 0, 1000, 50);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL), *q = kaccum_part_new(a, NULL);
    append_ok(a, p, 10, 0, T0);
    int64_t t = ktime_mono_ns();
    struct blocked bl = {a, q, KFK_ERR_STATE};
    append_blocking(&bl);
    ck_assert_int_eq(bl.err, KFK_ERR_QUEUE_FULL);
    ck_assert_int_ge(ktime_mono_ns() - t, 50 * KTIME_NS_PER_MS);
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_close_wakes_a_blocked_append)
{
    /* The largest max.block.ms and linger.ms the configuration allows. */
    kaccum_conf c = conf_of(1000, INT64_MAX, 1000, INT64_MAX);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL), *q = kaccum_part_new(a, NULL);
    append_ok(a, p, 10, 0, T0);
    struct blocked bl = {a, q, KFK_ERR_STATE};
    pthread_t th;
    pthread_create(&th, NULL, append_blocking, &bl);
    await_blocked(a, p);
    kaccum_close(a);
    pthread_join(th, NULL);
    ck_assert_int_eq(bl.err, KFK_ERR_DESTROYED);
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_purge_returns_everything_exactly_once)
{
    kaccum_conf c = conf_of(size_for(4, 30), 60000, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *parts[3];
    uintptr_t id = 0;
    for (int i = 0; i < 3; i++) {
        parts[i] = kaccum_part_new(a, NULL);
        for (int k = 0; k < 4 * i + 2; k++) /* 2, 6, 10 records: open batches last */
            append_ok(a, parts[i], 30, id++, T0);
    }
    kaccum_list out = {0};
    /* the full heads, and partition 0's open batch along with them */
    ck_assert_int_eq(kaccum_drain(a, parts, 3, 0, T0, 1 << 20, &out), 3);
    ck_assert_int_eq(kaccum_purge(a, parts, 3, &out), 3);
    ck_assert_int_eq(kaccum_purge(a, parts, 3, &out), 0);
    ck_assert_int_eq(kaccum_part_queued(parts[2]), 0);
    ck_assert_int_eq(kaccum_next_ready_ms(a, parts, 3, T0), INT64_MAX);
    bool seen[18] = {false};
    kaccum_batch *b;
    size_t records = 0;
    while ((b = kaccum_list_pop(&out))) {
        for (int32_t i = 0; i < kaccum_batch_count(b); i++) {
            uintptr_t r = (uintptr_t)b->msgs[i].opaque;
            ck_assert(!seen[r]);
            seen[r] = true;
            records++;
        }
        kaccum_batch_release(a, b);
    }
    ck_assert_int_eq(records, 18);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 0);
    kaccum_destroy(a);
}
END_TEST

static kaccum_batch *drain_one(kaccum *a, kaccum_part *p, int64_t now)
{
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, now, 1 << 20, &out), 1);
    return kaccum_list_pop(&out);
}

/* Parses a finished batch and checks its producer fields and records. */
static void check_wire(kslice wire, int64_t pid, int16_t epoch, int32_t seq, kcodec codec)
{
    kreader r = kreader_of(wire.ptr, wire.len);
    kbatch hdr;
    ck_assert_int_eq(kbatch_parse_header(&r, &hdr), KFK_OK);
    ck_assert_int_eq(kbatch_verify_crc(&hdr), KFK_OK);
    ck_assert_int_eq(hdr.producer_id, pid);
    ck_assert_int_eq(hdr.producer_epoch, epoch);
    ck_assert_int_eq(hdr.base_sequence, seq);
    ck_assert_int_eq(hdr.codec, codec);
    ck_assert_int_eq(hdr.record_count, 10);
    kbatch_read_opts opts = {0};
    kbuf scratch = {0};
    krecord_iter it;
    ck_assert_int_eq(krecord_iter_init(&it, &hdr, &opts, &scratch), KFK_OK);
    krecord rec;
    for (int i = 0; i < 10; i++) {
        ck_assert(krecord_iter_next(&it, &rec));
        ck_assert(rec.value.len == 1000 && memcmp(rec.value.ptr, value_bytes, 1000) == 0);
    }
    ck_assert(!krecord_iter_next(&it, &rec));
    kbuf_free(&scratch);
}

START_TEST(test_finish_sets_producer_fields_and_compresses)
{
    kaccum_conf c = conf_of(16384, 0, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    kaccum_part_set_sequence(p, 41);
    memset(value_bytes, 'x', 1000);
    for (uintptr_t i = 0; i < 10; i++)
        append_ok(a, p, 1000, i, T0);
    kaccum_batch *b = drain_one(a, p, T0);
    kslice wire;
    ck_assert_int_eq(kaccum_batch_finish(b, 9001, 3, KCODEC_LZ4, -1, &wire), KFK_OK);
    ck_assert_int_lt(wire.len, kaccum_batch_size(b) / 4);
    check_wire(wire, 9001, 3, 41, KCODEC_LZ4);
    /* A retry after a KIP-360 epoch bump: new epoch, sequences from 0. */
    b->base_sequence = 0;
    ck_assert_int_eq(kaccum_batch_finish(b, 9001, 4, KCODEC_LZ4, -1, &wire), KFK_OK);
    check_wire(wire, 9001, 4, 0, KCODEC_LZ4);
    /* Not idempotent, uncompressed: no producer fields, finished in place. */
    ck_assert_int_eq(kaccum_batch_finish(b, -1, 7, KCODEC_NONE, -1, &wire), KFK_OK);
    ck_assert_ptr_eq(wire.ptr, b->buf.data);
    check_wire(wire, -1, -1, -1, KCODEC_NONE);
    kaccum_batch_release(a, b);
    memset(value_bytes, 0, 1000);
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_bad_configuration_is_refused)
{
    kaccum_conf c = conf_of(1000, 0, 999, 0);
    ck_assert_ptr_null(kaccum_new(&c));
    c = conf_of(-1, 0, 1000, 0);
    ck_assert_ptr_null(kaccum_new(&c));
    c = conf_of(1000, -5, 1000, 0);
    ck_assert_ptr_null(kaccum_new(&c));
}
END_TEST

START_TEST(test_reenqueued_batches_keep_order_and_sequences)
{
    kaccum_conf c = conf_of(size_for(2, 20), 0, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    kaccum_part_set_sequence(p, 10);
    for (uintptr_t i = 0; i < 6; i++)
        append_ok(a, p, 20, i, T0);
    kaccum_batch *b1 = drain_one(a, p, T0), *b2 = drain_one(a, p, T0), *b3 = drain_one(a, p, T0);
    ck_assert_int_eq(b3->base_sequence, 14);
    append_ok(a, p, 20, 6, T0); /* an open batch behind the retries */
    /* They come back out of order; they must go out in order. */
    kaccum_reenqueue(a, b3, T0 + 100);
    kaccum_reenqueue(a, b1, T0 + 100);
    ck_assert_int_eq(kaccum_part_queued(p), 3);
    ck_assert_int_eq(kaccum_next_ready_ms(a, &p, 1, T0), T0 + 100);
    kaccum_flush_begin(a); /* backoff holds even through a flush, as in Java */
    ck_assert_int_eq(kaccum_next_ready_ms(a, &p, 1, T0), T0 + 100);
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0 + 99, 1 << 20, &out), 0);
    kaccum_flush_end(a);
    ck_assert_ptr_eq(drain_one(a, p, T0 + 100), b1);
    kaccum_reenqueue(a, b2, T0 + 100);
    ck_assert_ptr_eq(drain_one(a, p, T0 + 100), b2);
    ck_assert_ptr_eq(drain_one(a, p, T0 + 100), b3);
    kaccum_batch *b4 = drain_one(a, p, T0 + 100);
    ck_assert_int_eq(b1->base_sequence, 10);
    ck_assert_int_eq(b2->base_sequence, 12);
    ck_assert_int_eq(b3->base_sequence, 14);
    ck_assert_int_eq(b4->base_sequence, 16);
    check_batch(a, b1, 0, 2);
    check_batch(a, b2, 2, 2);
    check_batch(a, b3, 4, 2);
    check_batch(a, b4, 6, 1);
    kaccum_destroy(a);
}
END_TEST

/* A batch the broker refused as too large splits at its middle record:
 * each piece holds its records (the report entries too), the second's
 * sequences follow the first's, they keep the batch's place before newer
 * batches whatever order they come back in, and share its memory. A
 * partition told to stop growing keeps batch.size. */
START_TEST(test_a_split_batch_keeps_its_place_and_sequences)
{
    kaccum_conf c = conf_of(size_for(4, 20), 0, 1 << 20, 0);
    c.grow = true;
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    kaccum_part_set_sequence(p, 100);
    for (uintptr_t i = 0; i < 4; i++)
        append_ok(a, p, 20, i, T0);
    kaccum_batch *b = drain_one(a, p, T0);
    kaccum_part_stop_growing(p);
    for (uintptr_t i = 4; i < 4 + 30; i++)
        append_ok(a, p, 20, i, T0); /* behind b, but may not grow: batches of 4 */
    ck_assert_int_eq(kaccum_part_queued(p), 8);
    kslice wire;
    ck_assert_int_eq(kaccum_batch_finish(b, 7, 1, KCODEC_LZ4, -1, &wire), KFK_OK);
    int64_t reserved = b->reserved;
    kaccum_batch *t = NULL;
    ck_assert_int_eq(kaccum_split(a, b, &t), KFK_OK);
    ck_assert_int_eq(b->reserved + t->reserved, reserved);
    ck_assert_int_eq(b->base_sequence, 100);
    ck_assert_int_eq(t->base_sequence, 102);
    ck_assert_int_eq(t->producer_id, b->producer_id);
    kaccum_reenqueue(a, t, T0);
    kaccum_reenqueue(a, b, T0);
    ck_assert_ptr_eq(drain_one(a, p, T0), b);
    ck_assert_ptr_eq(drain_one(a, p, T0), t);
    /* A piece splits again, down to one record. */
    kaccum_batch *u = NULL;
    ck_assert_int_eq(kaccum_split(a, t, &u), KFK_OK);
    ck_assert_int_eq(kaccum_split(a, u, &(kaccum_batch *){NULL}), KFK_ERR_STATE);
    ck_assert_int_eq(u->base_sequence, 103);
    kaccum_reenqueue(a, u, T0);
    kaccum_reenqueue(a, t, T0);
    ck_assert_ptr_eq(drain_one(a, p, T0), t);
    ck_assert_ptr_eq(drain_one(a, p, T0), u);
    kaccum_batch *next = drain_one(a, p, T0);
    ck_assert_int_eq(next->base_sequence, 104);
    check_batch(a, b, 0, 2);
    check_batch(a, t, 2, 1);
    check_batch(a, u, 3, 1);
    check_batch(a, next, 4, 4);
    release_queued(a, p);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 0);
    kaccum_destroy(a);
}
END_TEST

/* While new batches are held (an idempotent partition settling its
 * sequences), only re-enqueued batches drain, and a held new batch does
 * not count as ready (no wake-up for it). */
START_TEST(test_held_partition_drains_only_retries)
{
    kaccum_conf c = conf_of(size_for(2, 20), 0, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    for (uintptr_t i = 0; i < 4; i++)
        append_ok(a, p, 20, i, T0);
    kaccum_batch *b1 = drain_one(a, p, T0);
    kaccum_part_hold_new(p, true);
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0, 1 << 20, &out), 0);
    ck_assert_int_eq(kaccum_next_ready_ms(a, &p, 1, T0), INT64_MAX);
    kaccum_reenqueue(a, b1, T0 + 10);
    ck_assert_int_eq(kaccum_next_ready_ms(a, &p, 1, T0), T0 + 10);
    ck_assert_ptr_eq(drain_one(a, p, T0 + 10), b1);
    ck_assert_int_eq(kaccum_drain(a, &p, 1, 0, T0 + 10, 1 << 20, &out), 0);
    kaccum_part_hold_new(p, false);
    kaccum_batch *b2 = drain_one(a, p, T0 + 10);
    ck_assert_int_eq(b2->base_sequence, 2);
    check_batch(a, b1, 0, 2);
    check_batch(a, b2, 2, 2);
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_expire_takes_batches_past_delivery_timeout)
{
    kaccum_conf c = conf_of(16384, 60000, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *parts[2] = {kaccum_part_new(a, NULL), kaccum_part_new(a, NULL)};
    append_ok(a, parts[0], 10, 0, T0);
    append_ok(a, parts[1], 10, 1, T0 + 50);
    kaccum_list out = {0};
    ck_assert_int_eq(kaccum_expire(a, parts, 2, T0 + 99, 100, &out), 0);
    ck_assert_int_eq(kaccum_expire(a, parts, 2, T0 + 100, 100, &out), 1);
    ck_assert_ptr_eq(out.head->part, parts[0]);
    ck_assert_int_eq(kaccum_expire(a, parts, 2, T0 + 150, 100, &out), 1);
    check_batch(a, kaccum_list_pop(&out), 0, 1);
    check_batch(a, kaccum_list_pop(&out), 1, 1);
    ck_assert_int_eq(kaccum_reserved_bytes(a), 0);
    ck_assert(append_ok(a, parts[0], 10, 2, T0 + 150).new_batch);
    kaccum_destroy(a);
}
END_TEST

START_TEST(test_batches_stay_within_max_request_size)
{
    kaccum_conf c = conf_of(8000, 0, 1 << 20, 0);
    c.max_record_bytes = 3000;
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    for (uintptr_t i = 0; i < 6; i++)
        append_ok(a, p, 1000, i, T0);
    for (uintptr_t i = 0; i < 3; i++) {
        kaccum_batch *b = drain_one(a, p, T0);
        ck_assert_int_le(kaccum_batch_size(b), 3000);
        check_batch(a, b, 2 * i, 2);
    }
    kaccum_destroy(a);
}
END_TEST

static void check_headers(const krecord *rec)
{
    krecord_header_iter hi = krecord_headers(rec);
    krecord_header h;
    ck_assert(krecord_header_next(&hi, &h));
    ck_assert(h.key.len == 2 && memcmp(h.key.ptr, "h1", 2) == 0);
    ck_assert(h.value.len == 2 && memcmp(h.value.ptr, "v1", 2) == 0);
    ck_assert(krecord_header_next(&hi, &h));
    ck_assert(h.key.len == 2 && memcmp(h.key.ptr, "h2", 2) == 0);
    ck_assert_ptr_null(h.value.ptr);
    ck_assert(!krecord_header_next(&hi, &h));
}

START_TEST(test_records_are_written_in_final_wire_form)
{
    kaccum_conf c = conf_of(16384, 0, 1 << 20, 0);
    kaccum *a = kaccum_new(&c);
    kaccum_part *p = kaccum_part_new(a, NULL);
    const krecord_header hdrs[2] = {
        {{(const uint8_t *)"h1", 2}, {(const uint8_t *)"v1", 2}},
        {{(const uint8_t *)"h2", 2}, {NULL, 0}},
    };
    kaccum_rec recs[3] = {
        {.timestamp = TS, .key = {(const uint8_t *)"k", 1}, .value = {(const uint8_t *)"v", 1}},
        {.timestamp = TS - 5, .key = {(const uint8_t *)"", 0}, .headers = hdrs, .n_headers = 2},
        {.timestamp = TS + 9, .value = {(const uint8_t *)"", 0}},
    };
    kaccum_appended res;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(kaccum_append(a, p, &recs[i], T0, &res), KFK_OK);
    kaccum_batch *b = drain_one(a, p, T0);
    kslice wire;
    ck_assert_int_eq(kaccum_batch_finish(b, -1, -1, KCODEC_NONE, -1, &wire), KFK_OK);
    kreader r = kreader_of(wire.ptr, wire.len);
    kbatch hdr;
    ck_assert_int_eq(kbatch_parse_header(&r, &hdr), KFK_OK);
    ck_assert_int_eq(hdr.max_timestamp, TS + 9);
    kbatch_read_opts opts = {0};
    kbuf scratch = {0};
    krecord_iter it;
    ck_assert_int_eq(krecord_iter_init(&it, &hdr, &opts, &scratch), KFK_OK);
    krecord rec;
    for (int i = 0; i < 3; i++) {
        ck_assert(krecord_iter_next(&it, &rec));
        ck_assert_int_eq(rec.offset, i);
        ck_assert_int_eq(rec.timestamp, recs[i].timestamp);
        ck_assert_int_eq(rec.key.ptr == NULL, recs[i].key.ptr == NULL);
        ck_assert_int_eq(rec.key.len, recs[i].key.len);
        ck_assert_int_eq(rec.value.ptr == NULL, recs[i].value.ptr == NULL);
        ck_assert_int_eq(rec.value.len, recs[i].value.len);
        ck_assert_int_eq(rec.header_count, (int32_t)recs[i].n_headers);
        if (i == 1) check_headers(&rec);
    }
    ck_assert(!krecord_iter_next(&it, &rec));
    kbuf_free(&scratch);
    kaccum_batch_release(a, b);
    kaccum_destroy(a);
}
END_TEST

static Suite *accumulator_suite(void)
{
    Suite *s = suite_create("producer_accumulator");
    TCase *tc = tcase_create("accumulator");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_records_wait_for_linger);
    tcase_add_test(tc, test_exactly_full_batch_is_ready_at_once);
    tcase_add_test(tc, test_one_byte_over_starts_the_next_batch);
    tcase_add_test(tc, test_batch_buffer_grows_with_its_records);
    tcase_add_test(tc, test_giant_record_gets_a_batch_of_its_own);
    tcase_add_test(tc, test_record_over_the_limits_is_refused);
    tcase_add_test(tc, test_batch_size_zero_sends_every_record_alone);
    tcase_add_test(tc, test_partitions_keep_order_and_sequences);
    tcase_add_test(tc, test_drain_respects_max_bytes_but_takes_one);
    tcase_add_test(tc, test_lingering_batches_ride_along_with_a_ready_one);
    tcase_add_test(tc, test_flush_and_close_make_everything_ready);
    tcase_add_test(tc, test_queue_full_at_once_without_max_block);
    tcase_add_test(tc, test_a_batch_reserves_what_its_buffer_holds);
    tcase_add_test(tc, test_a_batch_that_cannot_grow_is_sealed);
    tcase_add_test(tc, test_blocked_append_succeeds_when_memory_is_freed);
    tcase_add_test(tc, test_blocked_append_times_out_with_queue_full);
    tcase_add_test(tc, test_close_wakes_a_blocked_append);
    tcase_add_test(tc, test_purge_returns_everything_exactly_once);
    tcase_add_test(tc, test_finish_sets_producer_fields_and_compresses);
    tcase_add_test(tc, test_reenqueued_batches_keep_order_and_sequences);
    tcase_add_test(tc, test_held_partition_drains_only_retries);
    tcase_add_test(tc, test_a_split_batch_keeps_its_place_and_sequences);
    tcase_add_test(tc, test_an_unanswered_batch_lets_the_next_grow);
    tcase_add_test(tc, test_expire_takes_batches_past_delivery_timeout);
    tcase_add_test(tc, test_batches_stay_within_max_request_size);
    tcase_add_test(tc, test_records_are_written_in_final_wire_form);
    tcase_add_test(tc, test_bad_configuration_is_refused);
    tcase_add_test(tc, test_a_backed_up_partition_grows_its_open_batch);
    tcase_add_test(tc, test_a_held_accumulator_grows_the_first_batch);
    tcase_add_test(tc, test_a_batch_grows_only_within_buffer_memory);
    tcase_add_test(tc, test_a_batch_grows_to_1_mib_at_most);
    tcase_add_test(tc, test_a_backed_up_partition_starts_its_next_batch_grown);
    tcase_add_test(tc, test_a_pooled_grown_buffer_is_counted_whole);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(accumulator_suite());
}
