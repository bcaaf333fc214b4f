#include "base/hist.h"

#include <string.h>

static int bucket_of(uint64_t v)
{
    if (v < 16) return (int)v;
    int e = 63 - __builtin_clzll(v); /* 4 and up */
    int idx = 16 + (e - 4) * 8 + (int)((v >> (e - 3)) & 7);
    return idx < KHIST_BUCKETS ? idx : KHIST_BUCKETS - 1;
}

/* The middle of bucket i's range: what a percentile falling in it reads. */
static int64_t bucket_value(int i)
{
    if (i < 16) return i;
    int e = (i - 16) / 8 + 4, sub = (i - 16) % 8;
    int64_t lo = ((int64_t)(8 + sub)) << (e - 3);
    int64_t width = (int64_t)1 << (e - 3);
    return lo + width / 2;
}

void khist_record(khist *h, int64_t v)
{
    if (v < 0) v = 0;
    atomic_fetch_add_explicit(&h->cnt, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum, (uint64_t)v, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->buckets[bucket_of((uint64_t)v)], 1, memory_order_relaxed);
    if (v == INT64_MAX) v--;
    int64_t m = atomic_load_explicit(&h->min_plus1, memory_order_relaxed);
    while ((m == 0 || v + 1 < m) &&
           !atomic_compare_exchange_weak_explicit(&h->min_plus1, &m, v + 1, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
    m = atomic_load_explicit(&h->max, memory_order_relaxed);
    while (v > m && !atomic_compare_exchange_weak_explicit(&h->max, &m, v, memory_order_relaxed,
                                                           memory_order_relaxed)) {
    }
}

/* The value below which fraction q of the n recorded values lie, from the
 * bucket counts (which may add up to a little more or less than cnt while
 * others record). Clamped to [min, max], which are exact. */
static int64_t percentile(const uint32_t *b, uint64_t n, double q, int64_t min, int64_t max)
{
    uint64_t rank = (uint64_t)(q * (double)n + 0.5), seen = 0;
    if (rank < 1) rank = 1;
    int64_t v = max;
    for (int i = 0; i < KHIST_BUCKETS; i++) {
        seen += b[i];
        if (seen >= rank) {
            v = bucket_value(i);
            break;
        }
    }
    return v < min ? min : v > max ? max : v;
}

/* Reads h, emptying it when take is set (an exchange per word, so no
 * value recorded meanwhile is lost: it counts in the next read). */
static void read_hist(khist *h, khist_view *out, bool take)
{
    memset(out, 0, sizeof(*out));
    uint32_t b[KHIST_BUCKETS];
    uint64_t n = 0;
    for (int i = 0; i < KHIST_BUCKETS; i++) {
        b[i] = take ? atomic_exchange_explicit(&h->buckets[i], 0, memory_order_relaxed)
                    : atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
        n += b[i];
    }
    int64_t cnt = (int64_t)(take ? atomic_exchange_explicit(&h->cnt, 0, memory_order_relaxed)
                                 : kstat_get(&h->cnt));
    int64_t sum = (int64_t)(take ? atomic_exchange_explicit(&h->sum, 0, memory_order_relaxed)
                                 : kstat_get(&h->sum));
    int64_t min1 = take ? atomic_exchange_explicit(&h->min_plus1, 0, memory_order_relaxed)
                        : atomic_load_explicit(&h->min_plus1, memory_order_relaxed);
    int64_t max = take ? atomic_exchange_explicit(&h->max, 0, memory_order_relaxed)
                       : atomic_load_explicit(&h->max, memory_order_relaxed);
    if (cnt <= 0 || n == 0) return;
    out->cnt = cnt;
    out->sum = sum;
    out->min = min1 - 1;
    out->max = max;
    if (out->min < 0 || out->min > out->max) out->min = out->max; /* read mid-record */
    out->avg = out->sum / cnt;
    out->p50 = percentile(b, n, 0.50, out->min, out->max);
    out->p75 = percentile(b, n, 0.75, out->min, out->max);
    out->p90 = percentile(b, n, 0.90, out->min, out->max);
    out->p95 = percentile(b, n, 0.95, out->min, out->max);
    out->p99 = percentile(b, n, 0.99, out->min, out->max);
    out->p99_99 = percentile(b, n, 0.9999, out->min, out->max);
}

void khist_read(const khist *h, khist_view *out)
{
    read_hist((khist *)h, out, false);
}

void khist_take(khist *h, khist_view *out)
{
    read_hist(h, out, true);
}

void kwhist_read(kwhist *h, khist_view *all, khist_view *win, bool close_window)
{
    khist_read(&h->all, all);
    read_hist(&h->win, win, close_window);
}
