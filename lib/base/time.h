/* Clocks. Deadlines and intervals use the monotonic clock, which never
 * jumps when the wall clock is set; only timestamps that leave the process
 * (record timestamps, log lines) use the wall clock. */
#ifndef KFK_BASE_TIME_H
#define KFK_BASE_TIME_H

#include <stdint.h>
#include <time.h>

#define KTIME_NS_PER_MS 1000000LL
#define KTIME_NS_PER_S 1000000000LL

/* Monotonic time in nanoseconds since an arbitrary start. */
static inline int64_t ktime_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * KTIME_NS_PER_S + ts.tv_nsec;
}

/* Monotonic time in milliseconds since an arbitrary start. */
static inline int64_t ktime_mono_ms(void)
{
    return ktime_mono_ns() / KTIME_NS_PER_MS;
}

/* Wall-clock time in nanoseconds since the Unix epoch. */
static inline int64_t ktime_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * KTIME_NS_PER_S + ts.tv_nsec;
}

/* The wall clock's lead over the monotonic one, in ns, from two readings
 * taken back to back: add it to a monotonic time to get the wall time. */
static inline int64_t ktime_wall_offset_ns(void)
{
    int64_t mono = ktime_mono_ns();
    return ktime_wall_ns() - mono;
}

/* Wall-clock time in milliseconds since the Unix epoch, as Kafka's record
 * timestamps count it. */
static inline int64_t ktime_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / KTIME_NS_PER_MS;
}

#endif
