/* Micro-benchmark of the record accumulator: nanoseconds per append of a
 * keyless 100-byte record, one thread, default batch.size (16384) and
 * buffer.memory. Ready batches are drained and released on the same
 * thread as they fill, so the figure includes that share of the work but
 * no compression or I/O (finishing does fill in the header and CRC-32C).
 * Not a test: nothing asserts on the time.
 *
 * Build and run from the repo root (no Makefile needed):
 *   cc -O2 -g -std=c11 -D_GNU_SOURCE -Iinclude -Ilib -o /tmp/accum_bench \
 *      bench/accum_bench.c $(find lib/base lib/proto lib/codec lib/producer -name '*.c') \
 *      $(pkg-config --cflags --libs zlib libzstd liblz4 snappy) -lpthread -lm
 *   /tmp/accum_bench [records] [value_bytes] [partitions] [threads] [codec]
 * Prints one line: bench accum_append size=N partitions=N threads=N
 * ns_append=X (best of 5 runs; with threads, wall time x threads / records,
 * so contention shows as a larger figure) plus the bare
 * kbatch_writer_append cost for contrast. With a codec (none, gzip,
 * snappy, lz4, zstd) the drained batches are compressed too, as the I/O
 * thread will: the figure then counts that share per record. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/time.h"
#include "producer/accumulator.h"

static uint8_t value[1 << 20];

static kcodec bench_codec = KCODEC_NONE;

static void drain_ready(kaccum *a, kaccum_part **parts, size_t n, int64_t now)
{
    kaccum_list out = {0};
    kaccum_drain(a, parts, n, 0, now, SIZE_MAX, &out);
    kaccum_batch *b;
    while ((b = kaccum_list_pop(&out))) {
        kslice wire;
        if (kaccum_batch_finish(b, -1, -1, bench_codec, -1, &wire) != KFK_OK) {
            fprintf(stderr, "finish failed\n");
            exit(1);
        }
        kaccum_batch_release(a, b);
    }
}

struct appender {
    kaccum *a;
    kaccum_part **parts;
    size_t n_parts, first, stride; /* thread t appends to partitions t, t + stride, ... */
    long n;
    size_t vlen;
};

static void *append_loop(void *arg)
{
    struct appender *ap = arg;
    int64_t ts = ktime_wall_ms(), now = ktime_mono_ms();
    for (long i = 0; i < ap->n; i++) {
        kaccum_rec r = {.timestamp = ts, .value = {value, ap->vlen}, .opaque = (void *)i};
        kaccum_appended res;
        kaccum_part *p = ap->parts[(ap->first + (size_t)i * ap->stride) % ap->n_parts];
        if (kaccum_append(ap->a, p, &r, now, &res) != KFK_OK) {
            fprintf(stderr, "append failed\n");
            exit(1);
        }
        if (res.ready) drain_ready(ap->a, &p, 1, now);
    }
    return NULL;
}

/* Wall-clock ns per append per thread: threads append n records in all,
 * thread t to partitions t, t + threads, ... (mod partitions): with as
 * many partitions as threads each has its own, with one they all share. */
static double run_accum(long n, size_t vlen, size_t n_parts, size_t threads)
{
    kaccum_conf c = {.batch_size = 16384,
                     .linger_ms = 5,
                     .buffer_memory = 32 << 20,
                     .max_block_ms = 0,
                     .max_record_bytes = 1 << 20};
    kaccum *a = kaccum_new(&c);
    kaccum_part *parts[64];
    for (size_t i = 0; i < n_parts; i++)
        parts[i] = kaccum_part_new(a, NULL);
    struct appender ap[64];
    pthread_t th[64];
    int64_t t0 = ktime_mono_ns();
    for (size_t t = 0; t < threads; t++) {
        ap[t] = (struct appender){a, parts, n_parts, t, threads, n / (long)threads, vlen};
        if (threads == 1)
            append_loop(&ap[t]);
        else
            pthread_create(&th[t], NULL, append_loop, &ap[t]);
    }
    for (size_t t = 0; threads > 1 && t < threads; t++)
        pthread_join(th[t], NULL);
    double ns = (double)(ktime_mono_ns() - t0) * (double)threads / (double)n;
    kaccum_close(a);
    drain_ready(a, parts, n_parts, ktime_mono_ms());
    kaccum_destroy(a);
    return ns;
}

/* The floor: kbatch_writer_append alone into a reused buffer. */
static double run_writer(long n, size_t vlen)
{
    kbuf buf = {0};
    kbatch_writer w;
    int64_t ts = ktime_wall_ms();
    int64_t t0 = ktime_mono_ns();
    kbatch_writer_begin(&w, &buf, 0, ts, -1, -1, -1, 0, 16384);
    for (long i = 0; i < n; i++) {
        if (kbatch_writer_append(&w, ts, (kslice){NULL, 0}, (kslice){value, vlen}, NULL, 0)) {
            kbuf_reset(&buf);
            kbatch_writer_begin(&w, &buf, 0, ts, -1, -1, -1, 0, 16384);
            kbatch_writer_append(&w, ts, (kslice){NULL, 0}, (kslice){value, vlen}, NULL, 0);
        }
    }
    double ns = (double)(ktime_mono_ns() - t0) / (double)n;
    kbuf_free(&buf);
    return ns;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000;
    size_t vlen = argc > 2 ? (size_t)atol(argv[2]) : 100;
    size_t parts = argc > 3 ? (size_t)atol(argv[3]) : 1;
    size_t threads = argc > 4 ? (size_t)atol(argv[4]) : 1;
    if (argc > 5 && !kcodec_from_name(argv[5], &bench_codec)) return 2;
    if (vlen > sizeof(value) || parts < 1 || parts > 64 || threads < 1 || threads > 64) return 2;
    for (size_t i = 0; i < vlen; i++)
        value[i] = (uint8_t)('a' + i % 26);
    double best = 1e18, best_w = 1e18;
    for (int run = 0; run < 5; run++) {
        double ns = run_accum(n, vlen, parts, threads), nw = run_writer(n, vlen);
        if (ns < best) best = ns;
        if (nw < best_w) best_w = nw;
    }
    printf("bench accum_append size=%zu partitions=%zu threads=%zu codec=%s ns_append=%.1f "
           "writer_only_ns=%.1f\n",
           vlen, parts, threads, kcodec_name(bench_codec), best, best_w);
    return 0;
}
