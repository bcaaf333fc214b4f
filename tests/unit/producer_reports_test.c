/* Delivery reports against the in-process mock: none is lost when
 * allocations fail on the I/O threads that complete batches, and reports
 * the application has not polled stay counted under buffer.memory, so a
 * producer that does not poll is held to it instead of growing a queue.
 *
 * The allocation failures come from malloc, calloc and realloc defined
 * here in front of glibc's (the test binary's own definitions win over
 * the C library's): while failing is on, every FAIL_EVERY-th allocation
 * on a kfk I/O thread (kfk-io-N) returns NULL. Sanitizer builds bring
 * their own malloc: there the test runs without refused allocations. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "kfk.h"
#include "kfk_mock.h"
#include "ktally.h"
#include "ktest.h"
#include "mt_conn.h"

#define FAIL_EVERY 7

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define INJECT 0
#else
#define INJECT 1
#endif

static atomic_bool failing;
static atomic_long failed; /* allocations refused so far */

#if INJECT
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static _Thread_local int io_thread; /* 0: not known yet, 1: kfk-io, -1: other named thread */
static _Thread_local unsigned long allocs;

static bool fail_here(void)
{
    if (!atomic_load_explicit(&failing, memory_order_relaxed)) return false;
    if (!io_thread) {
        char name[16] = {0};
        prctl(PR_GET_NAME, name, 0, 0, 0);
        if (!strncmp(name, "kfk-io-", 7))
            io_thread = 1;
        else if (!strncmp(name, "kfk-", 4))
            io_thread = -1;
    }
    if (io_thread != 1 || ++allocs % FAIL_EVERY) return false;
    atomic_fetch_add_explicit(&failed, 1, memory_order_relaxed);
    return true;
}

void *malloc(size_t n)
{
    return fail_here() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    return fail_here() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    return fail_here() ? NULL : __libc_realloc(p, n);
}
#endif

static kfk_producer *producer_for(kfk_mock_cluster *mc, ktally *t, const char *const *kv)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), err, sizeof(err)),
        0);
    for (; kv && kv[0]; kv += 2)
        ck_assert_msg(kfk_conf_set(conf, kv[0], kv[1], err, sizeof(err)) == 0, "%s", err);
    if (t) kfk_conf_set_dr_cb(conf, ktally_on_report, t);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "kfk_producer_new: %s", err);
    return p;
}

static kfk_err produce_one(kfk_producer *p, int i)
{
    char value[100];
    memset(value, 'v', sizeof(value));
    kfk_record rec = {
        .topic = "t", .partition = KFK_PARTITION_ANY, .value = value, .value_len = sizeof(value)};
    return kfk_produce(p, &rec, (void *)(intptr_t)(i + 1));
}

static void check_each_once(const ktally *t)
{
    for (int i = 0; i < t->n; i++)
        ck_assert_msg(atomic_load(&t->times[i]) == 1, "record %d reported %d times", i,
                      atomic_load(&t->times[i]));
    ck_assert_int_eq(atomic_load(&t->reports), t->n);
}

/* Every record gets one report while the I/O threads that build
 * requests, read answers and complete batches see allocations fail: a
 * failure may delay a batch (a retry) or fail it, never lose its report. */
START_TEST(test_failed_allocations_on_io_threads_lose_no_report)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 4, 1), 0);
    ktally t;
    ktally_init(&t, 20000);
    const char *kv[] = {
        "linger.ms",           "1",      "batch.size", "4096", "retry.backoff.ms", "1",
        "delivery.timeout.ms", "120000", NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    ck_assert_int_eq(produce_one(p, 0), KFK_OK); /* metadata and connections first */
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    atomic_store(&failing, true);
    for (int i = 1; i < t.n; i++) {
        kfk_err err;
        while ((err = produce_one(p, i)) == KFK_ERR_QUEUE_FULL)
            kfk_producer_poll(p, 10);
        ck_assert_msg(err == KFK_OK, "produce %d: %s", i, kfk_err_str(err));
        if (i % 64 == 0) kfk_producer_poll(p, 0);
    }
    int64_t deadline = mt_now_ms() + 120000;
    while (kfk_producer_outstanding(p) > 0 && mt_now_ms() < deadline)
        kfk_producer_poll(p, 100);
    atomic_store(&failing, false);
    ck_assert_msg(!INJECT || atomic_load(&failed) > 0, "no allocation was refused");
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    check_each_once(&t);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Bytes counted now may pass buffer.memory only by the report data of
 * the batches open then: a batch of 100-byte records at batch.size 16384
 * has at most a few hundred, 16 bytes each. */
#define SLACK (4 * 16384)

/* A producer that does not poll: its reports fill buffer.memory, then
 * kfk_produce fails at once with KFK_ERR_QUEUE_FULL (max.block.ms is a
 * minute: only a poll can make room, and this thread is the poller), and
 * a poll makes room again. Nothing is lost and nothing grows past the
 * bound. */
START_TEST(test_unpolled_reports_fill_buffer_memory_and_a_poll_frees_it)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    ktally t;
    ktally_init(&t, 50000);
    const char *kv[] = {"buffer.memory", "131072", "batch.size", "16384", "linger.ms", "0",
                        "max.block.ms",  "60000",  NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    int full = 0;
    int64_t most = 0;
    for (int i = 0; i < t.n; i++) {
        kfk_err err;
        while ((err = produce_one(p, i)) == KFK_ERR_QUEUE_FULL) {
            full++;
            ck_assert(strstr(kfk_producer_last_error(p), "kfk_producer_poll"));
            kfk_producer_poll(p, 10);
        }
        ck_assert_msg(err == KFK_OK, "produce %d: %s", i, kfk_err_str(err));
        int64_t b = kfk_producer_buffered_bytes(p);
        if (b > most) most = b;
    }
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    check_each_once(&t);
    for (int i = 0; i < t.n; i++)
        ck_assert_int_eq(t.err[i], KFK_OK);
    ck_assert_msg(full > 0, "50000 records of 100 bytes never filled 128 KiB");
    ck_assert_msg(most <= 131072 + SLACK, "%lld bytes counted", (long long)most);
    ck_assert_int_eq(kfk_producer_buffered_bytes(p), 0);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Without a dr_cb nothing waits for a poll: kfk_produce blocks only for
 * the broker, and many times buffer.memory goes through with no poll. */
START_TEST(test_without_reports_blocking_for_memory_needs_no_poll)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    const char *kv[] = {"buffer.memory", "65536", "batch.size", "16384", NULL};
    kfk_producer *p = producer_for(mc, NULL, kv);
    for (int i = 0; i < 20000; i++)
        ck_assert_int_eq(produce_one(p, i), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    int64_t hw = -1;
    ck_assert_int_eq(kfk_mock_partition_offsets(mc, "t", 0, NULL, &hw), 0);
    ck_assert_int_eq(hw, 20000);
    kfk_producer_destroy(p);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

typedef struct poller {
    kfk_producer *p;
    atomic_bool stop;
} poller;

static void *poll_slowly(void *arg)
{
    poller *pl = arg;
    while (!atomic_load(&pl->stop))
        kfk_producer_poll(pl->p, 100);
    return NULL;
}

/* With another thread polling, kfk_produce waits for the reports it
 * serves instead of failing: no KFK_ERR_QUEUE_FULL at all. */
START_TEST(test_produce_waits_for_another_threads_poll)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    ktally t;
    ktally_init(&t, 30000);
    const char *kv[] = {"buffer.memory", "65536", "batch.size", "16384",
                        "max.block.ms",  "60000", NULL};
    kfk_producer *p = producer_for(mc, &t, kv);
    poller pl = {.p = p};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, poll_slowly, &pl), 0);
    int64_t most = 0;
    for (int i = 0; i < t.n; i++) {
        kfk_err err = produce_one(p, i);
        ck_assert_msg(err == KFK_OK, "produce %d: %s (%s)", i, kfk_err_str(err),
                      kfk_producer_last_error(p));
        int64_t b = kfk_producer_buffered_bytes(p);
        if (b > most) most = b;
    }
    int64_t deadline = mt_now_ms() + 30000;
    while (kfk_producer_outstanding(p) > 0 && mt_now_ms() < deadline)
        kfk_producer_poll(p, 100);
    atomic_store(&pl.stop, true);
    pthread_join(th, NULL);
    check_each_once(&t);
    ck_assert_msg(most <= 65536 + SLACK, "%lld bytes counted", (long long)most);
    kfk_producer_destroy(p);
    ktally_free(&t);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static Suite *reports_suite(void)
{
    Suite *s = suite_create("producer_reports");
    TCase *tc = tcase_create("reports");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_failed_allocations_on_io_threads_lose_no_report);
    tcase_add_test(tc, test_unpolled_reports_fill_buffer_memory_and_a_poll_frees_it);
    tcase_add_test(tc, test_without_reports_blocking_for_memory_needs_no_poll);
    tcase_add_test(tc, test_produce_waits_for_another_threads_poll);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(reports_suite());
}
