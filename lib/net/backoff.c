#include "net/backoff.h"

#include <math.h>
#include <pthread.h>

#include "base/time.h"

/* xorshift64*: tiny state, good enough spread for jitter. */
static _Thread_local uint64_t rand_state;

static uint64_t rand_next(void)
{
    if (!rand_state) {
        uint64_t seed = (uint64_t)ktime_mono_ns() ^ (uint64_t)(uintptr_t)&rand_state;
        seed ^= (uint64_t)pthread_self() * 0x9e3779b97f4a7c15u;
        rand_state = seed ? seed : 1;
    }
    uint64_t x = rand_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rand_state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

double krand_unit(void)
{
    return (double)(rand_next() >> 11) * 0x1.0p-53;
}

int64_t kbackoff_ms(const kbackoff *b, uint32_t n)
{
    if (b->max_ms <= b->initial_ms || b->initial_ms <= 0)
        return b->initial_ms > 0 ? b->initial_ms : 0;
    /* Past this many doublings the term is above max anyway; capping the
     * exponent keeps pow() finite for any n. */
    double max_exp = log2((double)b->max_ms / (double)b->initial_ms);
    double exp = n < max_exp ? (double)n : max_exp;
    double term = (double)b->initial_ms * pow(2.0, exp);
    double factor = b->jitter > 0 ? 1 - b->jitter + 2 * b->jitter * krand_unit() : 1.0;
    int64_t ms = (int64_t)(term * factor);
    return ms < b->max_ms ? ms : b->max_ms;
}
