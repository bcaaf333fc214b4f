/* Exponential backoff with jitter, as the Java client computes it for
 * reconnects, retries and connection setup timeouts: the n-th wait
 * (n = 0, 1, ...) is initial * 2^n, scaled by a random factor in
 * [1 - jitter, 1 + jitter), and never more than max. With max <= initial
 * every wait is initial, without jitter. Jitter spreads many clients'
 * retries so a recovering broker is not hit by all of them at once. */
#ifndef KFK_NET_BACKOFF_H
#define KFK_NET_BACKOFF_H

#include <stdint.h>

/* The jitter the Java client uses everywhere (20%). */
#define KBACKOFF_JITTER 0.2

typedef struct kbackoff {
    int64_t initial_ms;
    int64_t max_ms;
    double jitter; /* 0 <= jitter < 1 */
} kbackoff;

/* The wait in ms before attempt n + 1, after n + 1 failures (n >= 0).
 * Any thread (the random source is per thread). */
int64_t kbackoff_ms(const kbackoff *b, uint32_t n);

/* A uniform random double in [0, 1) from a per-thread generator seeded
 * from the clock and the thread; not for cryptography. Any thread. */
double krand_unit(void);

#endif
