/* Timers for an event loop: a binary min-heap of ktimer pointers ordered
 * by deadline. Each loop owns one heap; connections and client state
 * machines embed a ktimer each, so arming one never allocates once the
 * heap has room for every timer that exists. The loop sleeps in
 * epoll_wait until the earliest deadline, so nothing polls to find work.
 *
 * Not thread-safe: a heap and its timers belong to one loop thread. */
#ifndef KFK_NET_TIMER_H
#define KFK_NET_TIMER_H

#include <stddef.h>
#include <stdint.h>

typedef struct ktimer ktimer;

/* Called when the timer's deadline has passed; the timer is disarmed
 * first, so the callback may re-arm it. */
typedef void ktimer_fn(ktimer *t);

/* A zeroed ktimer is disarmed, so timers inside calloc'd structs are safe
 * to disarm before they were ever armed. */
struct ktimer {
    int64_t deadline_ns; /* monotonic (ktime_mono_ns) */
    size_t heap_pos;     /* position in the heap plus one; KTIMER_IDLE when disarmed */
    ktimer_fn *fn;
};

#define KTIMER_IDLE ((size_t)0)

/* Sets t up disarmed, to call fn. */
static inline void ktimer_init(ktimer *t, ktimer_fn *fn)
{
    t->deadline_ns = 0;
    t->heap_pos = KTIMER_IDLE;
    t->fn = fn;
}

static inline int ktimer_armed(const ktimer *t)
{
    return t->heap_pos != KTIMER_IDLE;
}

typedef struct ktimer_heap {
    ktimer **v;
    size_t n, cap;
} ktimer_heap;

/* Arms t for deadline_ns, or moves it there when it is already armed.
 * Returns 0, or -1 when the heap cannot grow (t is then unchanged). */
int ktimer_heap_arm(ktimer_heap *h, ktimer *t, int64_t deadline_ns);

/* Disarms t; a no-op when it is not armed. */
void ktimer_heap_disarm(ktimer_heap *h, ktimer *t);

/* The timer with the earliest deadline, or NULL when none is armed. */
static inline ktimer *ktimer_heap_peek(const ktimer_heap *h)
{
    return h->n ? h->v[0] : NULL;
}

/* Disarms and returns the earliest timer whose deadline is <= now_ns, or
 * NULL when none is due. */
ktimer *ktimer_heap_pop_due(ktimer_heap *h, int64_t now_ns);

/* Frees the heap's array; the timers themselves stay their owners'. */
void ktimer_heap_free(ktimer_heap *h);

#endif
