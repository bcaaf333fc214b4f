/* Counters and histograms for statistics (lib/client/stats.c reads them).
 *
 * They are atomics so that the thread that renders statistics may read
 * them while the threads that count keep going, without a lock and
 * without a data race (TSan). Two ways to add:
 *   - kstat_add: for a counter only one thread ever writes (a
 *     connection's, on its I/O thread): a relaxed load and a relaxed
 *     store, which compile to the plain add a non-atomic counter would
 *     be; no bus lock.
 *   - kstat_add_shared: for a counter several threads write (a topic's,
 *     from the I/O threads of several brokers): a relaxed fetch_add.
 *     Used per batch or per request, never per record.
 * Readers use relaxed loads: each figure is exact when read, but two
 * figures read one after the other may belong to slightly different
 * moments, which is what a statistics snapshot can promise anyway. */
#ifndef KFK_BASE_HIST_H
#define KFK_BASE_HIST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef _Atomic uint64_t kstat;

static inline void kstat_add(kstat *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static inline void kstat_add_shared(kstat *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline uint64_t kstat_get(const kstat *c)
{
    return atomic_load_explicit((kstat *)c, memory_order_relaxed);
}

/* Values 0..15 get a bucket each; above, each power of two is cut into
 * 8 buckets (12.5% wide), up to 2^43 (what is larger lands in the last). */
#define KHIST_BUCKETS (16 + 40 * 8)

/* A histogram of non-negative values since it was zeroed: exact count,
 * sum, min and max, and percentiles to within a bucket's width. Zero
 * (calloc, memset or {0}) is empty. Any number of threads may record at
 * once (relaxed read-modify-writes: per request or per batch, not per
 * record). */
typedef struct khist {
    kstat cnt, sum;
    _Atomic int64_t min_plus1; /* the least value + 1; 0: none yet */
    _Atomic int64_t max;
    _Atomic uint32_t buckets[KHIST_BUCKETS];
} khist;

void khist_record(khist *h, int64_t v);

/* A copy of a histogram's figures at one time; cnt 0: nothing recorded
 * (then the others are 0). */
typedef struct khist_view {
    int64_t cnt, sum, min, max, avg, p50, p75, p90, p95, p99, p99_99;
} khist_view;

void khist_read(const khist *h, khist_view *out);

/* The same, and empties h: what was recorded since the last reset. A
 * value recorded meanwhile lands in this read or the next one. */
void khist_take(khist *h, khist_view *out);

/* A histogram kept twice: over its whole life (for Prometheus, whose
 * summaries are cumulative) and over a window that each stats_cb
 * document closes (librdkafka's rolling windows, which its dashboards
 * expect). */
typedef struct kwhist {
    khist all, win;
} kwhist;

static inline void kwhist_record(kwhist *h, int64_t v)
{
    khist_record(&h->all, v);
    khist_record(&h->win, v);
}

/* Reads both; close_window: empties the window (the stats_cb's reads). */
void kwhist_read(kwhist *h, khist_view *all, khist_view *win, bool close_window);

#endif
