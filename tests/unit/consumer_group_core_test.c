/* The consumer-group core without a broker: a fake protocol stands in for
 * classic/KIP-848 and drives the seam of lib/consumer/group.h on kfk-bg
 * (kgroup_assign, _revoke, _lost, _fatal), while the test checks what the
 * application sees through the public API: rebalance callbacks from poll,
 * in order, with REVOKED before the partitions go; revoke_done only after
 * the callback; LOST dropping at once; fatal errors through poll and
 * commit; close and unsubscribe leaving; max.poll.interval.ms leaving and
 * the next poll rejoining; subscriptions sorted and deduplicated. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "consumer/consumer_int.h"
#include "consumer/group.h"
#include "kplist.h"

/* --- the fake protocol -------------------------------------------------------------- */

static struct fake {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int subscription_changed, revoke_done, leave, poll_timeout;
    int n_topics;
    char first_topic[64];
} fake = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static void fake_bump(int *counter)
{
    pthread_mutex_lock(&fake.lock);
    (*counter)++;
    pthread_cond_broadcast(&fake.cond);
    pthread_mutex_unlock(&fake.lock);
}

static int fake_init(kgroup *g)
{
    g->proto_state = &fake;
    return 0;
}

static void fake_subscription_changed(kgroup *g)
{
    const ktplist *t = kgroup_topics(g);
    pthread_mutex_lock(&fake.lock);
    fake.n_topics = t->n;
    strncpy(fake.first_topic, t->n ? t->v[0].topic : "", sizeof(fake.first_topic) - 1);
    pthread_mutex_unlock(&fake.lock);
    fake_bump(&fake.subscription_changed);
}

static void fake_revoke_done(kgroup *g)
{
    (void)g;
    fake_bump(&fake.revoke_done);
}

static void fake_leave(kgroup *g)
{
    fake_bump(&fake.leave);
    kgroup_left(g);
}

static void fake_poll_timeout(kgroup *g)
{
    fake_bump(&fake.poll_timeout);
    (void)g;
}

static void fake_destroy(kgroup *g)
{
    g->proto_state = NULL;
}

static const kgroup_proto fake_proto = {
    .name = "fake",
    .init = fake_init,
    .subscription_changed = fake_subscription_changed,
    .revoke_done = fake_revoke_done,
    .leave = fake_leave,
    .poll_timeout = fake_poll_timeout,
    .destroy = fake_destroy,
};

/* Waits until *counter reaches n (at most 5 s); returns its value. */
static int wait_count(int *counter, int n)
{
    int64_t deadline = ktime_mono_ns() + 5000000000LL;
    pthread_mutex_lock(&fake.lock);
    while (*counter < n && ktime_mono_ns() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20000000;
        if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
        pthread_cond_timedwait(&fake.cond, &fake.lock, &ts);
    }
    int v = *counter;
    pthread_mutex_unlock(&fake.lock);
    return v;
}

static int count(int *counter)
{
    pthread_mutex_lock(&fake.lock);
    int v = *counter;
    pthread_mutex_unlock(&fake.lock);
    return v;
}

/* --- running protocol calls on kfk-bg ------------------------------------------------- */

typedef enum { DO_NOTHING, DO_ASSIGN, DO_REVOKE, DO_LOST, DO_FATAL, DO_READ_REGEX } bg_op;

typedef struct bg_job {
    ktask task;
    kgroup *g;
    bg_op op;
    ktplist parts;
    char regex[64];
    bool done;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} bg_job;

static void bg_job_run(ktask *t)
{
    bg_job *j = (bg_job *)t;
    switch (j->op) {
    case DO_ASSIGN:
        kgroup_assign(j->g, &j->parts);
        break;
    case DO_REVOKE:
        kgroup_revoke(j->g, &j->parts);
        break;
    case DO_LOST:
        kgroup_lost(j->g, &j->parts);
        break;
    case DO_FATAL:
        kgroup_fatal(j->g, KFK_ERR_FENCED_INSTANCE_ID, "fenced by a test");
        break;
    case DO_READ_REGEX: {
        const char *re = kgroup_regex(j->g);
        strncpy(j->regex, re ? re : "", sizeof(j->regex) - 1);
        break;
    }
    case DO_NOTHING:
        break;
    }
    pthread_mutex_lock(&j->lock);
    j->done = true;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
}

/* Runs op on kfk-bg over partitions "t"/p for each p in ps (ending with
 * -1) and waits for it. Being a task, it also waits for every task posted
 * before it (a barrier). */
static void on_bg(kfk_consumer *c, bg_op op, const int *ps, char *regex_out)
{
    bg_job j = {.g = c->group, .op = op};
    j.task.fn = bg_job_run;
    pthread_mutex_init(&j.lock, NULL);
    pthread_cond_init(&j.cond, NULL);
    for (int i = 0; ps && ps[i] >= 0; i++)
        ck_assert_int_eq(ktplist_add(&j.parts, "t", ps[i]), 0);
    ck_assert_int_eq(kloop_post(kclient_bg_loop(c->client), &j.task), 0);
    pthread_mutex_lock(&j.lock);
    while (!j.done)
        pthread_cond_wait(&j.cond, &j.lock);
    pthread_mutex_unlock(&j.lock);
    if (regex_out) strcpy(regex_out, j.regex);
    ktplist_free(&j.parts);
    pthread_mutex_destroy(&j.lock);
    pthread_cond_destroy(&j.cond);
}

/* --- the application's side ------------------------------------------------------------ */

typedef struct seen {
    kfk_consumer *c;
    int events[16];
    int counts[16]; /* partitions per event */
    int n;
    size_t assigned_in_revoke; /* kfk_consumer_assignment size inside REVOKED */
    int revoke_done_in_revoke;
    int64_t last_ns;
} seen;

static void on_rebalance(void *opaque, kfk_consumer *c, kfk_rebalance_event ev,
                         const kfk_partition_list *parts)
{
    seen *s = opaque;
    ck_assert_ptr_eq(c, s->c);
    ck_assert_int_lt(s->n, 16);
    s->events[s->n] = ev;
    s->counts[s->n++] = (int)kfk_partition_list_count(parts);
    s->last_ns = ktime_mono_ns();
    if (ev == KFK_REBALANCE_REVOKED) {
        s->assigned_in_revoke = kpl_assigned(c);
        s->revoke_done_in_revoke = count(&fake.revoke_done);
    }
}

static void reset_fake(void)
{
    pthread_mutex_lock(&fake.lock);
    fake.subscription_changed = fake.revoke_done = fake.leave = fake.poll_timeout = 0;
    fake.n_topics = 0;
    fake.first_topic[0] = 0;
    pthread_mutex_unlock(&fake.lock);
}

/* A consumer of group "g" for a port nothing listens on, with the fake
 * protocol in place of classic's. */
static kfk_consumer *group_consumer(seen *s, const char *max_poll_ms)
{
    reset_fake();
    memset(s, 0, sizeof(*s));
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", NULL, 0), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "log.level", "crit", NULL, 0), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "group.id", "g", NULL, 0), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "default.api.timeout.ms", "1000", NULL, 0), 0);
    if (max_poll_ms)
        ck_assert_int_eq(kfk_conf_set(conf, "max.poll.interval.ms", max_poll_ms, NULL, 0), 0);
    kfk_conf_set_rebalance_cb(conf, on_rebalance, s);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    kgroup *g = c->group;
    ck_assert_ptr_nonnull(g);
    ck_assert_str_eq(g->proto->name, "classic");
    g->proto->destroy(g); /* idle: nothing of it is running */
    g->proto = &fake_proto;
    ck_assert_int_eq(fake_proto.init(g), 0);
    s->c = c;
    return c;
}

static size_t assignment_size(kfk_consumer *c)
{
    return kpl_assigned(c);
}

static void subscribe_t(kfk_consumer *c)
{
    const char *names[] = {"t"};
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_OK);
    ck_assert_int_eq(wait_count(&fake.subscription_changed, 1), 1);
}

/* --- tests ---------------------------------------------------------------------------------- */

START_TEST(test_ktplist_keeps_and_sorts)
{
    ktplist l = {0};
    ck_assert_int_eq(ktplist_add(&l, "b", 2), 0);
    ck_assert_int_eq(ktplist_add(&l, "a", 9), 0);
    ck_assert_int_eq(ktplist_add(&l, "b", 1), 0);
    ck_assert(ktplist_has(&l, "b", 1));
    ck_assert(!ktplist_has(&l, "b", 3));
    ck_assert_int_eq(l.v[0].offset, KFK_OFFSET_INVALID);
    ktplist_sort(&l);
    ck_assert_str_eq(l.v[0].topic, "a");
    ck_assert_int_eq(l.v[1].partition, 1);
    ck_assert_int_eq(l.v[2].partition, 2);
    ck_assert(ktplist_remove(&l, "b", 1));
    ck_assert(!ktplist_remove(&l, "b", 1));
    ck_assert_int_eq(l.n, 2);
    l.v[0].metadata = strdup("owned by the list");
    ktplist_free(&l);
    ck_assert_int_eq(l.n, 0);
}
END_TEST

START_TEST(test_subscription_is_sorted_and_unique)
{
    seen s;
    kfk_consumer *c = group_consumer(&s, NULL);
    const char *names[] = {"b", "a", "b"};
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 3), KFK_OK);
    ck_assert_int_eq(wait_count(&fake.subscription_changed, 1), 1);
    pthread_mutex_lock(&fake.lock);
    ck_assert_int_eq(fake.n_topics, 2);
    ck_assert_str_eq(fake.first_topic, "a");
    pthread_mutex_unlock(&fake.lock);
    char **subs;
    size_t n;
    ck_assert_int_eq(kfk_consumer_subscription(c, &subs, &n), KFK_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(subs[0], "a");
    ck_assert_str_eq(subs[1], "b");
    kfk_topic_names_free(subs, n);
    /* the same topics again: the protocol hears nothing new */
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 2), KFK_OK);
    on_bg(c, DO_NOTHING, NULL, NULL);
    ck_assert_int_eq(count(&fake.subscription_changed), 1);
    /* a regex: kept as given, and offered to the protocol */
    ck_assert_int_eq(kfk_consumer_subscribe_pattern(c, "a(b"), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_subscribe_pattern(c, "^x.*"), KFK_OK);
    char re[64];
    on_bg(c, DO_NOTHING, NULL, NULL);
    on_bg(c, DO_READ_REGEX, NULL, re);
    ck_assert_str_eq(re, "^x.*");
    ck_assert_int_eq(kfk_consumer_subscription(c, &subs, &n), KFK_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(subs[0], "^x.*");
    kfk_topic_names_free(subs, n);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_rebalance_events_run_in_poll_in_order)
{
    seen s;
    kfk_consumer *c = group_consumer(&s, NULL);
    subscribe_t(c);
    on_bg(c, DO_ASSIGN, (int[]){0, 1, -1}, NULL);
    ck_assert_uint_eq(assignment_size(c), 2); /* in the assignment before the callback */
    ck_assert_int_eq(s.n, 0);                 /* callbacks wait for poll */
    ck_assert_ptr_null(kfk_consumer_poll(c, 0));
    ck_assert_int_eq(s.n, 1);
    ck_assert_int_eq(s.events[0], KFK_REBALANCE_ASSIGNED);
    ck_assert_int_eq(s.counts[0], 2);

    /* REVOKED: the partition stays until the callback has run, and the
     * protocol hears revoke_done only after it */
    on_bg(c, DO_REVOKE, (int[]){0, -1}, NULL);
    ck_assert_uint_eq(assignment_size(c), 2);
    ck_assert_int_eq(count(&fake.revoke_done), 0);
    ck_assert_ptr_null(kfk_consumer_poll(c, 0));
    ck_assert_int_eq(s.n, 2);
    ck_assert_int_eq(s.events[1], KFK_REBALANCE_REVOKED);
    ck_assert_int_eq(s.counts[1], 1);
    ck_assert_uint_eq(s.assigned_in_revoke, 2);
    ck_assert_int_eq(s.revoke_done_in_revoke, 0);
    ck_assert_uint_eq(assignment_size(c), 1);
    ck_assert_int_eq(wait_count(&fake.revoke_done, 1), 1);

    /* LOST: gone at once, told at the next poll */
    on_bg(c, DO_LOST, (int[]){1, -1}, NULL);
    ck_assert_uint_eq(assignment_size(c), 0);
    ck_assert_ptr_null(kfk_consumer_poll(c, 0));
    ck_assert_int_eq(s.n, 3);
    ck_assert_int_eq(s.events[2], KFK_REBALANCE_LOST);

    /* an empty revocation needs no callback: revoke_done comes at once */
    on_bg(c, DO_REVOKE, (int[]){-1}, NULL);
    ck_assert_int_eq(wait_count(&fake.revoke_done, 2), 2);
    ck_assert_int_eq(s.n, 3);
    kfk_consumer_destroy(c);
}
END_TEST

typedef struct assigner {
    kfk_consumer *c;
    int64_t posted_ns;
} assigner;

static void *assign_later(void *arg)
{
    assigner *a = arg;
    a->posted_ns = ktime_mono_ns();
    on_bg(a->c, DO_ASSIGN, (int[]){3, -1}, NULL);
    return NULL;
}

START_TEST(test_a_waiting_poll_runs_callbacks_promptly)
{
    seen s;
    kfk_consumer *c = group_consumer(&s, NULL);
    subscribe_t(c);
    assigner a = {c, 0};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, assign_later, &a), 0);
    int64_t start = ktime_mono_ns();
    while (s.n == 0 && ktime_mono_ns() - start < 3000000000LL)
        ck_assert_ptr_null(kfk_consumer_poll(c, 3000));
    pthread_join(th, NULL);
    ck_assert_int_eq(s.n, 1);
    ck_assert_msg(s.last_ns - a.posted_ns < 1000000000LL, "callback %lld ms after the event",
                  (long long)((s.last_ns - a.posted_ns) / 1000000));
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_fatal_error_reaches_poll_and_commit)
{
    seen s;
    kfk_consumer *c = group_consumer(&s, NULL);
    subscribe_t(c);
    on_bg(c, DO_FATAL, NULL, NULL);
    kfk_message *m = kfk_consumer_poll(c, 1000);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(kfk_message_error(m), KFK_ERR_FENCED_INSTANCE_ID);
    ck_assert_int_eq(kfk_message_partition(m), -1);
    ck_assert_str_eq(kfk_message_topic(m), "");
    kfk_message_release(m);
    ck_assert_int_eq(kpl_commit(c, "t", 0, 5, 0), KFK_ERR_FENCED_INSTANCE_ID);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_close_revokes_and_leaves)
{
    seen s;
    kfk_consumer *c = group_consumer(&s, NULL);
    subscribe_t(c);
    on_bg(c, DO_ASSIGN, (int[]){0, 1, 2, -1}, NULL);
    ck_assert_ptr_null(kfk_consumer_poll(c, 0));
    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK);
    ck_assert_int_eq(count(&fake.leave), 1);
    ck_assert_int_eq(s.n, 2);
    /* no generation was ever set: the partitions count as lost, as Java */
    ck_assert_int_eq(s.events[1], KFK_REBALANCE_LOST);
    ck_assert_int_eq(s.counts[1], 3);
    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK); /* twice is fine */
    ck_assert_int_eq(count(&fake.leave), 1);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_unsubscribe_revokes_and_leaves)
{
    seen s;
    kfk_consumer *c = group_consumer(&s, NULL);
    subscribe_t(c);
    on_bg(c, DO_ASSIGN, (int[]){0, -1}, NULL);
    ck_assert_ptr_null(kfk_consumer_poll(c, 0));
    ck_assert_int_eq(kfk_consumer_unsubscribe(c), KFK_OK);
    ck_assert_int_eq(s.n, 2); /* run by unsubscribe itself */
    ck_assert_uint_eq(assignment_size(c), 0);
    ck_assert_int_eq(wait_count(&fake.leave, 1), 1);
    char **subs;
    size_t n;
    ck_assert_int_eq(kfk_consumer_subscription(c, &subs, &n), KFK_OK);
    ck_assert_uint_eq(n, 0);
    kfk_topic_names_free(subs, n);
    /* manual assignment is allowed again, and then subscribe is not */
    ck_assert_int_eq(kpl_assign_one(c, "t", 0, 0), KFK_OK);
    const char *names[] = {"t"};
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_ERR_STATE);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_poll_timeout_leaves_and_next_poll_rejoins)
{
    seen s;
    kfk_consumer *c = group_consumer(&s, "300");
    subscribe_t(c);
    ck_assert_ptr_null(kfk_consumer_poll(c, 0));
    /* no poll for max.poll.interval.ms: the protocol is told to leave */
    ck_assert_int_eq(wait_count(&fake.poll_timeout, 1), 1);
    ck_assert_int_eq(count(&fake.subscription_changed), 1);
    ck_assert_ptr_null(kfk_consumer_poll(c, 0));
    ck_assert_int_eq(wait_count(&fake.subscription_changed, 2), 2);
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_commit_of_nothing_consumed_is_done_at_once)
{
    seen s;
    kfk_consumer *c = group_consumer(&s, NULL);
    int64_t t0 = ktime_mono_ns();
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 0), KFK_OK);
    /* below default.api.timeout.ms (1 s), which a request would wait out */
    ck_assert_int_lt(ktime_mono_ns() - t0, 900000000LL);
    ck_assert_int_eq(kpl_commit(c, "t", 0, -5, 0), KFK_ERR_INVALID_ARG);
    /* the coordinator cannot be reached: a sync commit times out */
    ck_assert_int_eq(kpl_commit(c, "t", 0, 7, 0), KFK_ERR_TIMED_OUT);
    kfk_consumer_destroy(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("consumer_group_core");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_ktplist_keeps_and_sorts);
    tcase_add_test(tc, test_subscription_is_sorted_and_unique);
    tcase_add_test(tc, test_rebalance_events_run_in_poll_in_order);
    tcase_add_test(tc, test_a_waiting_poll_runs_callbacks_promptly);
    tcase_add_test(tc, test_fatal_error_reaches_poll_and_commit);
    tcase_add_test(tc, test_close_revokes_and_leaves);
    tcase_add_test(tc, test_unsubscribe_revokes_and_leaves);
    tcase_add_test(tc, test_poll_timeout_leaves_and_next_poll_rejoins);
    tcase_add_test(tc, test_commit_of_nothing_consumed_is_done_at_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
