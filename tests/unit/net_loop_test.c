/* The event loop: tasks from many threads run once each, in posting
 * order per thread, on the loop's thread; posts from the loop itself;
 * timers in deadline order; stop runs what was queued, then the final
 * task, and refuses later posts; a hooked loop's mutex and pass_end. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "net/loop.h"

typedef struct item {
    ktask task;
    int producer, seq;
} item;

enum { PRODUCERS = 4, PER_PRODUCER = 20000 };

static kloop *L;
static int last_seq[PRODUCERS];
static atomic_int ran, out_of_order, off_thread;

static void count_task(ktask *t)
{
    item *it = (item *)t;
    if (!kloop_on_thread(L)) atomic_fetch_add(&off_thread, 1);
    if (it->seq != last_seq[it->producer] + 1) /* loop thread only: no lock */
        atomic_fetch_add(&out_of_order, 1);
    last_seq[it->producer] = it->seq;
    atomic_fetch_add(&ran, 1);
}

static void *producer(void *arg)
{
    item *items = arg;
    for (int i = 0; i < PER_PRODUCER; i++)
        ck_assert_int_eq(kloop_post(L, &items[i].task), 0);
    return NULL;
}

static ktask final_task;
static atomic_int final_ran, ran_at_final;
static void on_final(ktask *t)
{
    (void)t;
    atomic_store(&ran_at_final, atomic_load(&ran));
    atomic_fetch_add(&final_ran, 1);
}

START_TEST(test_tasks_from_many_threads_run_once_in_order)
{
    L = kloop_new("kfk-test-loop", NULL);
    ck_assert_int_eq(kloop_start(L), 0);
    static item items[PRODUCERS][PER_PRODUCER];
    pthread_t th[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++) {
        last_seq[p] = -1;
        for (int i = 0; i < PER_PRODUCER; i++)
            items[p][i] = (item){{NULL, count_task}, p, i};
        pthread_create(&th[p], NULL, producer, items[p]);
    }
    for (int p = 0; p < PRODUCERS; p++)
        pthread_join(th[p], NULL);
    final_task.fn = on_final;
    kloop_stop(L, &final_task); /* everything posted before runs first */
    ck_assert_int_eq(atomic_load(&ran), PRODUCERS * PER_PRODUCER);
    ck_assert_int_eq(atomic_load(&ran_at_final), PRODUCERS * PER_PRODUCER);
    ck_assert_int_eq(atomic_load(&final_ran), 1);
    ck_assert_int_eq(atomic_load(&out_of_order), 0);
    ck_assert_int_eq(atomic_load(&off_thread), 0);
    ktask late = {NULL, count_task};
    ck_assert_int_eq(kloop_post(L, &late), -1);
    kloop_free(L);
}
END_TEST

/* Timers: fire in deadline order, re-arm from the callback, disarm. */
typedef struct tick {
    ktimer t;
    int id;
} tick;

static int fired[8], n_fired;
static tick ticks[4];
static atomic_bool timers_done;

static void on_tick(ktimer *t)
{
    tick *k = (tick *)t;
    fired[n_fired++] = k->id;
    if (k->id == 0 && n_fired == 1) /* re-arm itself once */
        kloop_timer_arm(L, &k->t, kloop_now(L) + 50 * KTIME_NS_PER_MS);
    if (n_fired == 4) atomic_store(&timers_done, true);
}

static void arm_task(ktask *t)
{
    (void)t;
    int64_t now = kloop_now(L);
    int64_t at[4] = {10, 60, 20, 40}; /* ms: 0, 2, 3, then 0 again at 60+; 1 disarmed */
    for (int i = 0; i < 4; i++) {
        ticks[i].id = i;
        ktimer_init(&ticks[i].t, on_tick);
        kloop_timer_arm(L, &ticks[i].t, now + at[i] * KTIME_NS_PER_MS);
    }
    kloop_timer_disarm(L, &ticks[1].t);
}

START_TEST(test_timers_fire_in_deadline_order)
{
    L = kloop_new("kfk-test-loop", NULL);
    ck_assert_int_eq(kloop_start(L), 0);
    ktask arm = {NULL, arm_task};
    kloop_post(L, &arm);
    int64_t until = ktime_mono_ns() + 5 * KTIME_NS_PER_S;
    while (!atomic_load(&timers_done) && ktime_mono_ns() < until) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kloop_stop(L, NULL); /* joins: fired[] is safe to read after */
    ck_assert_int_eq(n_fired, 4);
    ck_assert_int_eq(fired[0], 0);
    ck_assert_int_eq(fired[1], 2);
    ck_assert_int_eq(fired[2], 3);
    ck_assert_int_eq(fired[3], 0); /* re-armed from its own callback */
    kloop_free(L);
}
END_TEST

/* Posts from the loop's own thread run before it sleeps again. */
static atomic_int chain;
static ktask chain_task;
static void chain_fn(ktask *t)
{
    if (atomic_fetch_add(&chain, 1) < 999) kloop_post(L, t);
}

START_TEST(test_loop_thread_posts_to_itself)
{
    L = kloop_new("kfk-test-loop", NULL);
    ck_assert_int_eq(kloop_start(L), 0);
    chain_task.fn = chain_fn;
    kloop_post(L, &chain_task);
    int64_t until = ktime_mono_ns() + 5 * KTIME_NS_PER_S;
    while (atomic_load(&chain) < 1000 && ktime_mono_ns() < until) {
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_assert_int_eq(atomic_load(&chain), 1000);
    kloop_stop(L, NULL);
    kloop_free(L);
}
END_TEST

START_TEST(test_a_loop_never_started_runs_its_tasks_at_stop)
{
    L = kloop_new("kfk-test-loop", NULL);
    atomic_store(&ran, 0);
    last_seq[0] = -1;
    item it = {{NULL, count_task}, 0, 0};
    kloop_post(L, &it.task);
    atomic_store(&final_ran, 0);
    final_task.fn = on_final;
    kloop_stop(L, &final_task);
    ck_assert_int_eq(atomic_load(&ran), 1);
    ck_assert_int_eq(atomic_load(&final_ran), 1);
    kloop_free(L);
}
END_TEST

/* A hooked loop holds its owner's mutex through every pass and releases
 * it only to sleep and when it stops; another thread changes the loop's
 * state under that mutex (arms a timer, leaves work) and wakes it, and
 * pass_end finds the work. */
static pthread_mutex_t hook_mu = PTHREAD_MUTEX_INITIALIZER;
static int passes, work_left, work_done, timer_fired; /* under hook_mu */
static atomic_int unlocked_callbacks;

/* On the loop thread: trylock fails only while someone holds the mutex. */
static void check_held(void)
{
    if (pthread_mutex_trylock(&hook_mu) == 0) {
        atomic_fetch_add(&unlocked_callbacks, 1);
        pthread_mutex_unlock(&hook_mu);
    }
}

static void hook_lock(void *arg)
{
    pthread_mutex_lock(arg);
}

static void hook_unlock(void *arg)
{
    pthread_mutex_unlock(arg);
}

static void hook_pass_end(void *arg)
{
    (void)arg;
    check_held();
    passes++;
    work_done += work_left;
    work_left = 0;
}

static void on_hook_timer(ktimer *t)
{
    (void)t;
    check_held();
    timer_fired++;
}

static void check_held_task(ktask *t)
{
    (void)t;
    check_held();
}

static bool lock_within(int64_t ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t at = (int64_t)ts.tv_sec * KTIME_NS_PER_S + ts.tv_nsec + ns;
    ts = (struct timespec){.tv_sec = at / KTIME_NS_PER_S, .tv_nsec = at % KTIME_NS_PER_S};
    return pthread_mutex_timedlock(&hook_mu, &ts) == 0;
}

START_TEST(test_hooked_loop_holds_the_owners_mutex_while_awake)
{
    L = kloop_new("kfk-test-loop", NULL);
    kloop_set_hooks(L, &(kloop_hooks){hook_lock, hook_unlock, hook_pass_end, &hook_mu});
    ck_assert_int_eq(kloop_start(L), 0);
    ktask task = {NULL, check_held_task};
    ck_assert_int_eq(kloop_post(L, &task), 0);

    ck_assert(lock_within(2 * KTIME_NS_PER_S)); /* the idle loop sleeps unlocked */
    static ktimer timer;
    ktimer_init(&timer, on_hook_timer);
    ck_assert_int_eq(kloop_timer_arm(L, &timer, ktime_mono_ns() + 20 * KTIME_NS_PER_MS), 0);
    work_left = 3;
    kloop_wake(L); /* its sleep had no deadline: the timer needs a new one */
    pthread_mutex_unlock(&hook_mu);

    int64_t until = ktime_mono_ns() + 5 * KTIME_NS_PER_S;
    bool done = false;
    while (!done && ktime_mono_ns() < until) {
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
        ck_assert(lock_within(2 * KTIME_NS_PER_S));
        done = work_done == 3 && timer_fired == 1;
        pthread_mutex_unlock(&hook_mu);
    }
    ck_assert(done);
    kloop_stop(L, NULL);
    ck_assert_int_eq(pthread_mutex_trylock(&hook_mu), 0); /* released as the thread ends */
    pthread_mutex_unlock(&hook_mu);
    ck_assert_int_ge(passes, 2);
    ck_assert_int_eq(atomic_load(&unlocked_callbacks), 0);
    kloop_free(L);
}
END_TEST

static Suite *loop_suite(void)
{
    Suite *s = suite_create("net_loop");
    TCase *tc = tcase_create("loop");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_tasks_from_many_threads_run_once_in_order);
    tcase_add_test(tc, test_timers_fire_in_deadline_order);
    tcase_add_test(tc, test_loop_thread_posts_to_itself);
    tcase_add_test(tc, test_a_loop_never_started_runs_its_tasks_at_stop);
    tcase_add_test(tc, test_hooked_loop_holds_the_owners_mutex_while_awake);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(loop_suite());
}
