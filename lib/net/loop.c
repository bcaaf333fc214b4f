#include "net/loop.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/time.h"

/* ThreadSanitizer has no interceptor for epoll_pwait2: it would lose the
 * happens-before it draws from epoll_ctl to the wait, and could not deliver
 * a signal to a thread blocked in it. Under TSan the loop waits in ms. */
#if defined(__SANITIZE_THREAD__)
#define KLOOP_NO_PWAIT2 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KLOOP_NO_PWAIT2 1
#endif
#endif

enum { LOOP_MAX_EVENTS = 64 };

struct kloop {
    int epfd;
    kio wake; /* the eventfd other threads write to */
    pthread_t thread;
    bool started;
    bool quit;       /* loop thread: leave after this iteration */
    bool local_work; /* loop thread: it posted to its own inbox */
    int64_t now_ns;  /* loop thread: time of the last wake-up */
    ktimer_heap timers;
    kloop_hooks hooks; /* all NULL but for a hooked loop */
    klogger log;
    char name[16];

    pthread_mutex_t lock; /* protects the inbox and stopping */
    ktask *inbox_head;
    ktask **inbox_tail;
    bool stopping;
};

/* Which loop, if any, the current thread runs. */
static _Thread_local kloop *current_loop;

static void wake_drain(kio *io, uint32_t events);

kloop *kloop_new(const char *name, const klogger *log)
{
    kloop *l = calloc(1, sizeof(*l));
    if (!l) return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    l->wake.fn = wake_drain;
    l->inbox_tail = &l->inbox_head;
    if (log)
        l->log = *log;
    else
        klogger_init(&l->log, NULL, NULL, KLOG_DEFAULT_LEVEL);
    snprintf(l->name, sizeof(l->name), "%s", name);
    pthread_mutex_init(&l->lock, NULL);
    if (l->epfd < 0 || l->wake.fd < 0 || kloop_io_add(l, &l->wake, EPOLLIN)) {
        kloop_free(l);
        return NULL;
    }
    l->now_ns = ktime_mono_ns();
    return l;
}

void kloop_free(kloop *l)
{
    if (!l) return;
    if (l->epfd >= 0) close(l->epfd);
    if (l->wake.fd >= 0) close(l->wake.fd);
    ktimer_heap_free(&l->timers);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

/* Takes the whole inbox and runs it, oldest first, again while tasks keep
 * posting to their own loop. Once the loop is stopping it drains until the
 * inbox is empty and then lets the loop quit. */
static void run_inbox(kloop *l)
{
    for (;;) {
        l->local_work = false;
        pthread_mutex_lock(&l->lock);
        ktask *t = l->inbox_head;
        l->inbox_head = NULL;
        l->inbox_tail = &l->inbox_head;
        bool stopping = l->stopping;
        pthread_mutex_unlock(&l->lock);
        if (!t) {
            l->quit = stopping;
            return;
        }
        while (t) {
            ktask *next = t->next;
            t->next = NULL;
            t->fn(t);
            t = next;
        }
        if (!stopping && !l->local_work) return;
    }
}

static void wake_drain(kio *io, uint32_t events)
{
    (void)events;
    uint64_t v;
    /* Nonblocking: EAGAIN only means another wake-up already drained it. */
    ssize_t n = read(io->fd, &v, sizeof(v));
    (void)n;
}

/* Nanoseconds until the earliest timer is due: -1 for none, 0 when one
 * is due already. Taken now, not at the last wake-up (callbacks ran
 * since). */
static int64_t time_left_ns(kloop *l)
{
    ktimer *t = ktimer_heap_peek(&l->timers);
    if (!t) return -1;
    int64_t left = t->deadline_ns - ktime_mono_ns();
    return left > 0 ? left : 0;
}

/* Waits for events for up to left_ns (-1: no limit), in nanoseconds where
 * the kernel takes them (epoll_pwait2): with epoll_wait's milliseconds,
 * rounded up so as not to spin, a 1 ms timer fired after up to 2 ms. */
static int wait_ns(kloop *l, struct epoll_event *ev, int64_t left_ns)
{
    if (left_ns <= 0) return epoll_wait(l->epfd, ev, LOOP_MAX_EVENTS, left_ns < 0 ? -1 : 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35)) && \
    !defined(KLOOP_NO_PWAIT2)
    static atomic_bool no_pwait2; /* a kernel older than 5.11 */
    if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
        struct timespec ts = {.tv_sec = left_ns / KTIME_NS_PER_S,
                              .tv_nsec = left_ns % KTIME_NS_PER_S};
        int n = epoll_pwait2(l->epfd, ev, LOOP_MAX_EVENTS, &ts, NULL);
        if (n >= 0 || errno != ENOSYS) return n;
        atomic_store_explicit(&no_pwait2, true, memory_order_relaxed);
    }
#endif
    int64_t ms = (left_ns + KTIME_NS_PER_MS - 1) / KTIME_NS_PER_MS;
    return epoll_wait(l->epfd, ev, LOOP_MAX_EVENTS, ms > INT_MAX ? INT_MAX : (int)ms);
}

/* Waits for events until the next timer is due. A hooked loop reads the
 * heap before it releases the owner's mutex, as other threads change the
 * heap under it. */
static int wait_events(kloop *l, struct epoll_event *ev)
{
    int64_t left_ns = time_left_ns(l);
    if (!l->hooks.unlock) return wait_ns(l, ev, left_ns);
    l->hooks.unlock(l->hooks.arg);
    int n = wait_ns(l, ev, left_ns);
    int saved = errno;
    l->hooks.lock(l->hooks.arg);
    errno = saved;
    return n;
}

static void run_timers(kloop *l)
{
    ktimer *t;
    while ((t = ktimer_heap_pop_due(&l->timers, l->now_ns)))
        t->fn(t);
}

static void run_once(kloop *l)
{
    struct epoll_event ev[LOOP_MAX_EVENTS];
    int n = wait_events(l, ev);
    l->now_ns = ktime_mono_ns();
    if (n < 0 && errno != EINTR)
        klog(&l->log, KFK_LOG_ERR, "loop", "%s: epoll_wait: %s", l->name, strerror(errno));
    bool woken = false;
    for (int i = 0; i < n; i++) {
        kio *io = ev[i].data.ptr;
        if (io == &l->wake) woken = true;
        io->fn(io, ev[i].events);
    }
    run_timers(l);
    if (woken || l->local_work) run_inbox(l);
    if (l->hooks.pass_end) l->hooks.pass_end(l->hooks.arg);
}

static void *loop_main(void *arg)
{
    kloop *l = arg;
    current_loop = l;
    pthread_setname_np(pthread_self(), l->name);
    if (l->hooks.lock) l->hooks.lock(l->hooks.arg);
    while (!l->quit)
        run_once(l);
    if (l->hooks.unlock) l->hooks.unlock(l->hooks.arg);
    current_loop = NULL;
    return NULL;
}

void kloop_set_hooks(kloop *l, const kloop_hooks *h)
{
    l->hooks = *h;
}

int kloop_start(kloop *l)
{
    if (pthread_create(&l->thread, NULL, loop_main, l)) return -1;
    l->started = true;
    return 0;
}

static void signal_wake(kloop *l)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is saturated: the loop is woken anyway. */
    ssize_t n = write(l->wake.fd, &one, sizeof(one));
    (void)n;
}

int kloop_post(kloop *l, ktask *t)
{
    bool here = kloop_on_thread(l);
    pthread_mutex_lock(&l->lock);
    if (l->stopping) {
        pthread_mutex_unlock(&l->lock);
        return -1;
    }
    bool was_empty = l->inbox_head == NULL;
    t->next = NULL;
    *l->inbox_tail = t;
    l->inbox_tail = &t->next;
    pthread_mutex_unlock(&l->lock);
    if (here)
        l->local_work = true; /* the loop checks this before it sleeps */
    else if (was_empty)
        signal_wake(l); /* a non-empty inbox already has a wake-up pending */
    return 0;
}

void kloop_stop(kloop *l, ktask *final)
{
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    if (final) {
        final->next = NULL;
        *l->inbox_tail = final;
        l->inbox_tail = &final->next;
    }
    pthread_mutex_unlock(&l->lock);
    if (!l->started) {
        current_loop = l; /* the tasks may check kloop_on_thread() */
        while (!l->quit)
            run_inbox(l);
        current_loop = NULL;
        return;
    }
    signal_wake(l);
    pthread_join(l->thread, NULL);
    l->started = false;
}

void kloop_wake(kloop *l)
{
    signal_wake(l);
}

bool kloop_on_thread(const kloop *l)
{
    return current_loop == l;
}

int64_t kloop_now(const kloop *l)
{
    return l->now_ns;
}

int kloop_io_add(kloop *l, kio *io, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = io};
    io->events = events;
    return epoll_ctl(l->epfd, EPOLL_CTL_ADD, io->fd, &ev);
}

int kloop_io_mod(kloop *l, kio *io, uint32_t events)
{
    if (io->events == events) return 0; /* skip the syscall: nothing changes */
    struct epoll_event ev = {.events = events, .data.ptr = io};
    io->events = events;
    return epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev);
}

void kloop_io_del(kloop *l, kio *io)
{
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    io->events = 0;
}

int kloop_timer_arm(kloop *l, ktimer *t, int64_t deadline_ns)
{
    return ktimer_heap_arm(&l->timers, t, deadline_ns);
}

void kloop_timer_disarm(kloop *l, ktimer *t)
{
    ktimer_heap_disarm(&l->timers, t);
}

const klogger *kloop_log(const kloop *l)
{
    return &l->log;
}

const char *kloop_name(const kloop *l)
{
    return l->name;
}
