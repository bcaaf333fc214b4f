/* An event loop: one thread, one epoll set, one timer heap, and an inbox
 * other threads post tasks to.
 *
 * Everything registered with a loop (file descriptors, timers, the
 * objects behind them) is touched only by the loop's thread, so it needs
 * no locks (a loop with kloop_hooks shares them under its owner's mutex
 * instead). Other threads reach it by posting a ktask: kloop_post() links
 * it into the inbox under a short mutex and, when the inbox was empty,
 * writes the loop's eventfd; the loop takes the whole inbox at once and
 * runs the tasks in the order they were posted. The loop sleeps in
 * epoll_wait until an fd is ready, a task arrives or the earliest timer is
 * due; nothing polls.
 *
 * Every posted task runs exactly once, on the loop thread, in the order
 * of posting; a post made once kloop_stop() has begun fails instead. */
#ifndef KFK_NET_LOOP_H
#define KFK_NET_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"
#include "net/timer.h"

typedef struct kloop kloop;
typedef struct ktask ktask;
typedef struct kio kio;

/* A unit of work for a loop's thread. Embed it in the object it works on;
 * a task is in at most one inbox at a time. */
struct ktask {
    ktask *next;
    void (*fn)(ktask *t);
};

/* A file descriptor watched by a loop; fn gets the epoll events. */
struct kio {
    int fd;
    uint32_t events; /* EPOLLIN, EPOLLOUT, ... as registered */
    void (*fn)(kio *io, uint32_t events);
};

/* A new loop with its epoll set and eventfd, not yet running; name shows
 * in logs and as the thread's name. NULL on failure (fds or memory). */
kloop *kloop_new(const char *name, const klogger *log);

/* For a loop whose state other threads also change directly, under a
 * mutex of the owner's, instead of posting tasks (the mock cluster): the
 * loop thread holds that mutex (lock) whenever it is awake, from the
 * return of epoll_wait through the fds' callbacks, the due timers, the
 * inbox and pass_end, to the moment it has read the next timer's deadline
 * (unlock), and releases it only while it sleeps. pass_end runs after
 * every pass, woken by anything, with the mutex held: the place for work
 * the other threads leave behind (then they call kloop_wake). A thread
 * holding the mutex may also arm and disarm the loop's timers and add,
 * change and delete its fds; a timer armed earlier than the loop's sleep
 * needs a kloop_wake. kloop_stop must be called without the mutex, which
 * the last pass takes. lock and unlock are both set or both NULL. */
typedef struct kloop_hooks {
    void (*lock)(void *arg);
    void (*unlock)(void *arg);
    void (*pass_end)(void *arg);
    void *arg;
} kloop_hooks;

/* Sets the hooks (copied) of a loop not yet started. A loop without them
 * pays a NULL test per pass and none of the locking. */
void kloop_set_hooks(kloop *l, const kloop_hooks *h);

/* Starts the loop's thread. Returns 0 or -1. */
int kloop_start(kloop *l);

/* Stops the loop: final (may be NULL) runs on the loop's thread after
 * every task posted before it and before the thread exits; then the
 * thread is joined. Posts made after kloop_stop() began fail. Call from
 * any thread but the loop's own, once. A loop that never started runs
 * the queued tasks and final on the calling thread. */
void kloop_stop(kloop *l, ktask *final);

/* Frees a stopped (or never started) loop. */
void kloop_free(kloop *l);

/* Queues t to run on the loop's thread. Any thread, including the loop's
 * own (the task then runs before the loop next sleeps). Returns 0, or -1
 * when the loop is stopping: t was not queued and stays the caller's. */
int kloop_post(kloop *l, ktask *t);

/* Makes the loop do a pass (and run pass_end) soon without posting a
 * task. Any thread. */
void kloop_wake(kloop *l);

/* True on the loop's own thread. */
bool kloop_on_thread(const kloop *l);

/* The loop thread's cached monotonic time in ns, refreshed each time the
 * loop wakes; cheap enough to read per request. Loop thread only. */
int64_t kloop_now(const kloop *l);

/* Watching fds (loop thread only, or a hooked loop's mutex held). Each
 * returns 0 or -1 (errno set). */
int kloop_io_add(kloop *l, kio *io, uint32_t events);
int kloop_io_mod(kloop *l, kio *io, uint32_t events);
void kloop_io_del(kloop *l, kio *io);

/* Arms t for deadline_ns on this loop (loop thread only, or a hooked
 * loop's mutex held); moving an armed timer is allowed. Returns 0 or -1
 * when out of memory. */
int kloop_timer_arm(kloop *l, ktimer *t, int64_t deadline_ns);
void kloop_timer_disarm(kloop *l, ktimer *t);

/* The loop's logger and name. */
const klogger *kloop_log(const kloop *l);
const char *kloop_name(const kloop *l);

#endif
