/* The monotonic clock for kfk_produce, cheaper than one clock_gettime per
 * record.
 *
 * Every record needs the time (its CreateTime, a new batch's linger
 * start), at ms precision. clock_gettime costs ~40 ns in a VM, a sixth of
 * the producer's CPU per 100 B record; reading the TSC costs a third of
 * that. So each thread keeps its last real reading and the TSC value at
 * that moment, and reuses the reading while fewer TSC ticks than
 * KFC_REUSE_US have passed: a timestamp is then at most that late, well
 * inside the ms Kafka stores. The ticks per microsecond are measured
 * from the first KFC_CALIBRATE_MS of real readings; until then, and
 * where there is no TSC (non-x86) or it goes backwards (another core's
 * TSC), every call reads the real clock. */
#ifndef KFK_PRODUCER_FASTCLOCK_H
#define KFK_PRODUCER_FASTCLOCK_H

#include <stdatomic.h>
#include <stdint.h>

#include "base/time.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define KFC_HAVE_TSC 1
#endif

#define KFC_REUSE_US 200
#define KFC_CALIBRATE_MS 50

#ifdef KFC_HAVE_TSC
/* TSC ticks in KFC_REUSE_US once measured, 0 before. */
static _Atomic uint64_t kfc_reuse_ticks;
static _Atomic uint64_t kfc_cal_tsc;
static _Atomic int64_t kfc_cal_ns;
static _Thread_local uint64_t kfc_last_tsc;
static _Thread_local int64_t kfc_last_ns;

/* A real reading at tsc; measures the TSC rate once enough time passed. */
static inline int64_t kfc_read(uint64_t tsc)
{
    int64_t ns = ktime_mono_ns();
    kfc_last_tsc = tsc;
    kfc_last_ns = ns;
    if (atomic_load_explicit(&kfc_reuse_ticks, memory_order_relaxed) == 0) {
        int64_t ns0 = atomic_load(&kfc_cal_ns);
        if (ns0 == 0) {
            atomic_store(&kfc_cal_tsc, tsc);
            atomic_store(&kfc_cal_ns, ns);
        } else if (ns - ns0 >= KFC_CALIBRATE_MS * KTIME_NS_PER_MS) {
            uint64_t ticks = tsc - atomic_load(&kfc_cal_tsc);
            double per_us = (double)ticks / ((double)(ns - ns0) / 1000.0);
            if (per_us >= 1.0 && per_us < 1e5) /* a sane rate, else keep reading */
                atomic_store(&kfc_reuse_ticks, (uint64_t)(per_us * KFC_REUSE_US));
        }
    }
    return ns;
}

/* Monotonic ns, at most KFC_REUSE_US late. */
static inline int64_t kfc_now_ns(void)
{
    uint64_t tsc = __rdtsc();
    uint64_t reuse = atomic_load_explicit(&kfc_reuse_ticks, memory_order_relaxed);
    if (reuse && tsc - kfc_last_tsc < reuse) return kfc_last_ns;
    return kfc_read(tsc);
}
#else
static inline int64_t kfc_now_ns(void)
{
    return ktime_mono_ns();
}
#endif

#endif
