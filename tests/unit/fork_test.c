/* fork() while a producer and a consumer are busy: the child cannot use
 * the parent's handles (their threads did not come along), so they refuse
 * at once rather than hang, but new handles it creates must work, and the
 * parent's must carry on as if nothing happened. The mock cluster lives in the parent; the child
 * reaches it over TCP only. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "kplist.h"

#define CHILD_RECORDS 1000

/* Under the sanitizers the child checks only what needs no memory from
 * the allocator: that the parent's handles refuse at once. ThreadSanitizer
 * cannot start threads in the child of a multi-threaded fork (it dies), and
 * AddressSanitizer's allocator (GCC 12's) does not take its locks across
 * fork: a size class one of the parent's threads was allocating from stays
 * locked in the child, whose first malloc of that size then waits forever.
 * glibc's malloc, in the plain build, resets its locks in the child. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define CHILD_MAKES_HANDLES 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define CHILD_MAKES_HANDLES 0
#endif
#endif
#ifndef CHILD_MAKES_HANDLES
#define CHILD_MAKES_HANDLES 1
#endif

static kfk_mock_cluster *mc;

typedef struct tally {
    atomic_long ok, failed;
} tally;

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *dr)
{
    (void)producer;
    tally *t = opaque;
    if (dr->err)
        atomic_fetch_add(&t->failed, 1);
    else
        atomic_fetch_add(&t->ok, 1);
}

static kfk_conf *conf_for(void)
{
    kfk_conf *conf = kfk_conf_new();
    kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), NULL, 0);
    kfk_conf_set(conf, "log.level", "crit", NULL, 0);
    return conf;
}

static kfk_producer *producer_new(tally *t)
{
    kfk_conf *conf = conf_for();
    kfk_conf_set(conf, "linger.ms", "1", NULL, 0);
    kfk_conf_set_dr_cb(conf, on_report, t);
    return kfk_producer_new(conf, NULL, 0);
}

static kfk_consumer *consumer_from_start(const char *topic)
{
    kfk_consumer *c = kfk_consumer_new(conf_for(), NULL, 0);
    if (c && kpl_assign_one(c, topic, 0, 0) != KFK_OK) {
        kfk_consumer_destroy(c);
        return NULL;
    }
    return c;
}

static kfk_err produce(kfk_producer *p, const char *topic, long i)
{
    char v[32];
    int n = snprintf(v, sizeof(v), "record-%ld", i);
    kfk_record r = {.topic = topic, .partition = 0, .value = v, .value_len = (size_t)n};
    return kfk_produce(p, &r, NULL);
}

/* Reads n records of topic from offset 0; returns how many came. */
static long consume(kfk_consumer *c, long n)
{
    long got = 0;
    int64_t until = ktime_mono_ms() + 30000;
    while (got < n && ktime_mono_ms() < until) {
        kfk_message *m = kfk_consumer_poll(c, 100);
        if (m && !kfk_message_error(m)) got++;
        kfk_message_release(m);
    }
    return got;
}

/* What the child does: the parent's handles refuse to work (and destroy
 * leaves them alone) at once; handles of its own produce, flush and read
 * back. The exit status says which step failed (0: all went well). */
static int child_main(kfk_producer *parents_p, kfk_consumer *parents_c)
{
    if (kfk_produce(parents_p, &(kfk_record){.topic = "parent"}, NULL) != KFK_ERR_STATE) return 10;
    if (kfk_producer_flush(parents_p, 60000) != KFK_ERR_STATE) return 11;
    if (kfk_consumer_poll(parents_c, 60000) != NULL) return 12;
    if (kfk_consumer_close(parents_c, 60000) != KFK_ERR_STATE) return 13;
    kfk_producer_destroy(parents_p);
    kfk_consumer_destroy(parents_c);
    if (!CHILD_MAKES_HANDLES) return 0;
    tally t = {0};
    kfk_producer *p = producer_new(&t);
    if (!p) return 2;
    for (long i = 0; i < CHILD_RECORDS; i++)
        if (produce(p, "child", i) != KFK_OK) return 3;
    if (kfk_producer_flush(p, 30000) != KFK_OK) return 4;
    kfk_producer_destroy(p);
    if (atomic_load(&t.ok) != CHILD_RECORDS || atomic_load(&t.failed) != 0) return 5;
    kfk_consumer *c = consumer_from_start("child");
    if (!c) return 6;
    if (consume(c, CHILD_RECORDS) != CHILD_RECORDS) return 7;
    kfk_consumer_destroy(c);
    return 0;
}

typedef struct busy {
    kfk_producer *p;
    atomic_bool stop;
    long sent;
} busy;

static void *keep_producing(void *arg)
{
    busy *b = arg;
    while (!atomic_load(&b->stop)) {
        if (produce(b->p, "parent", b->sent) == KFK_OK) b->sent++;
        kfk_producer_poll(b->p, 0);
    }
    return NULL;
}

START_TEST(test_a_child_creates_its_own_handles_while_the_parent_goes_on)
{
    mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "parent", 1, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "child", 1, 1), KFK_OK);
    tally t = {0};
    busy b = {.p = producer_new(&t)};
    ck_assert_ptr_nonnull(b.p);
    kfk_consumer *c = consumer_from_start("parent");
    ck_assert_ptr_nonnull(c);
    pthread_t th;
    pthread_create(&th, NULL, keep_producing, &b);
    ck_assert_int_gt(consume(c, 100), 0); /* both are busy now */

    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) _exit(child_main(b.p, c));

    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: status %d",
                  status);
    atomic_store(&b.stop, true);
    pthread_join(th, NULL);
    ck_assert_int_eq(kfk_producer_flush(b.p, 30000), KFK_OK);
    ck_assert_int_eq(atomic_load(&t.ok), b.sent);
    ck_assert_int_eq(atomic_load(&t.failed), 0);
    kfk_producer_destroy(b.p);
    kfk_consumer_destroy(c);
    /* the parent's consumer kept up too: everything it produced reads back */
    c = consumer_from_start("parent");
    ck_assert_int_eq(consume(c, b.sent), b.sent);
    kfk_consumer_destroy(c);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fork");
    TCase *tc = tcase_create("fork");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_child_creates_its_own_handles_while_the_parent_goes_on);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
