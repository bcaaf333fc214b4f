/* Consumer groups with group.protocol=consumer (KIP-848) against a cluster
 * (KFK_TEST_BOOTSTRAP: the mock, then real Kafka): the broker's assignor
 * spreads a 12-partition topic over two and then three members, each
 * partition owned exactly once; only the partitions that move are revoked
 * (KIP-848 is incremental: a partition that stays is never revoked); a
 * member that closes leaves and its partitions move to the others;
 * commits survive a restart; a regex subscription is resolved by the
 * broker, RE2/J syntax included, and one it refuses is a group error.
 * Each test makes its own topics and deletes them. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kclus.h"
#include "kfk.h"
#include "kplist.h"
#include "kwire_client.h"

#define TIMEOUT_MS 60000
#define NPARTS 12
#define MAXP 16

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    int *ok = opaque;
    if (!r->err) (*ok)++;
}

/* n records into each of nparts partitions. */
static void produce(const char *topic, int nparts, int n)
{
    kfk_conf *conf = kclus_conf(NULL);
    int ok = 0;
    kfk_conf_set_dr_cb(conf, on_report, &ok);
    char err[256];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    for (int part = 0; part < nparts; part++)
        for (int i = 0; i < n; i++) {
            char v[32];
            snprintf(v, sizeof(v), "%d-%d", part, i);
            kfk_record rec = {
                .topic = topic, .partition = part, .value = v, .value_len = strlen(v)};
            ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
        }
    ck_assert_int_eq(kfk_producer_flush(p, TIMEOUT_MS), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_int_eq(ok, nparts * n);
}

/* --- a member: a consumer and the thread that polls it -------------------------------- */

typedef struct member {
    kfk_consumer *c;
    pthread_t th;
    atomic_bool stop;
    atomic_bool paused;   /* the application stops polling */
    const char *topic;    /* partitions of other topics count under index by name order */
    pthread_mutex_t lock; /* protects what follows */
    bool owned[MAXP * 2];
    int revoked[MAXP * 2];
    int lost[MAXP * 2];
    int64_t first_offset[MAXP * 2]; /* first message polled per partition, -1: none */
    int64_t next_offset[MAXP * 2];  /* last polled + 1 */
    int consumed;
    kfk_err fatal;
    char bad[128]; /* what the callbacks saw go wrong; "" when nothing */
} member;

/* Partitions of t (the member's topic) are 0..; a second topic's are MAXP.. */
static int slot(member *m, const char *topic, int32_t partition)
{
    int base = strcmp(topic, m->topic) == 0 ? 0 : MAXP;
    return partition >= 0 && partition < MAXP ? base + partition : -1;
}

static void on_rebalance(void *opaque, kfk_consumer *c, kfk_rebalance_event ev,
                         const kfk_partition_list *parts)
{
    (void)c;
    member *m = opaque;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < kfk_partition_list_count(parts); i++) {
        int s = slot(m, kfk_partition_list_topic(parts, i), kfk_partition_list_partition(parts, i));
        if (s < 0) continue;
        if (ev == KFK_REBALANCE_ASSIGNED) {
            if (m->owned[s]) snprintf(m->bad, sizeof(m->bad), "partition %d assigned twice", s);
            m->owned[s] = true;
        } else {
            if (!m->owned[s])
                snprintf(m->bad, sizeof(m->bad), "partition %d revoked but not owned", s);
            m->owned[s] = false;
            if (ev == KFK_REBALANCE_REVOKED) m->revoked[s]++;
            if (ev == KFK_REBALANCE_LOST) m->lost[s]++;
        }
    }
    pthread_mutex_unlock(&m->lock);
}

static void *poll_thread(void *arg)
{
    member *m = arg;
    while (!atomic_load(&m->stop)) {
        if (atomic_load(&m->paused)) {
            kclus_nap(10); /* not polling, on purpose */
            continue;
        }
        kfk_message *msg = kfk_consumer_poll(m->c, 100);
        if (!msg) continue;
        kfk_err err = kfk_message_error(msg);
        pthread_mutex_lock(&m->lock);
        if (!err) {
            int s = slot(m, kfk_message_topic(msg), kfk_message_partition(msg));
            if (s >= 0) {
                if (m->first_offset[s] < 0) m->first_offset[s] = kfk_message_offset(msg);
                m->next_offset[s] = kfk_message_offset(msg) + 1;
            }
            m->consumed++;
        } else if (err != KFK_ERR_PARTITION_EOF && !*kfk_message_topic(msg)) {
            m->fatal = err; /* a group error: the member cannot go on */
        }
        pthread_mutex_unlock(&m->lock);
        kfk_message_release(msg);
    }
    return NULL;
}

/* Extra properties for a member: NULL-terminated name/value pairs. */
static const char *const *extra_props;

static void member_start(member *m, const char *group, const char *topic, const char *regex,
                         bool auto_commit)
{
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    m->topic = topic;
    for (int i = 0; i < MAXP * 2; i++)
        m->first_offset[i] = -1;
    kfk_conf *conf = kclus_conf(NULL);
    char err[256];
    ck_assert_int_eq(kfk_conf_set(conf, "group.id", group, err, sizeof(err)), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "group.protocol", "consumer", err, sizeof(err)), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err)), 0);
    ck_assert_int_eq(
        kfk_conf_set(conf, "enable.auto.commit", auto_commit ? "true" : "false", err, sizeof(err)),
        0);
    for (const char *const *kv = extra_props; kv && kv[0]; kv += 2)
        ck_assert_msg(kfk_conf_set(conf, kv[0], kv[1], err, sizeof(err)) == 0, "%s", err);
    kfk_conf_set_rebalance_cb(conf, on_rebalance, m);
    m->c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(m->c != NULL, "%s", err);
    if (regex) {
        ck_assert_int_eq(kfk_consumer_subscribe_pattern(m->c, regex), KFK_OK);
    } else {
        const char *topics[] = {topic};
        ck_assert_int_eq(kfk_consumer_subscribe(m->c, topics, 1), KFK_OK);
    }
    ck_assert_int_eq(pthread_create(&m->th, NULL, poll_thread, m), 0);
}

/* Closes (leaving the group) and frees the member. */
static void member_stop(member *m)
{
    atomic_store(&m->stop, true);
    pthread_join(m->th, NULL);
    ck_assert_int_eq(kfk_consumer_close(m->c, -1), KFK_OK);
    kfk_consumer_destroy(m->c);
    pthread_mutex_destroy(&m->lock);
}

typedef struct snap {
    bool owned[MAXP * 2];
    int revoked[MAXP * 2];
    int lost[MAXP * 2];
    kfk_err fatal;
    char bad[128];
} snap;

static snap snapshot(member *m)
{
    snap s;
    pthread_mutex_lock(&m->lock);
    memcpy(s.owned, m->owned, sizeof(s.owned));
    memcpy(s.revoked, m->revoked, sizeof(s.revoked));
    memcpy(s.lost, m->lost, sizeof(s.lost));
    s.fatal = m->fatal;
    memcpy(s.bad, m->bad, sizeof(s.bad));
    pthread_mutex_unlock(&m->lock);
    return s;
}

/* True when the n members own every partition of the topic exactly once,
 * NPARTS / n each (the broker's assignors balance a 12-partition topic
 * evenly over 2 or 3 members, so this is the end of the rebalance). */
static bool balanced(member **ms, int n, char *why, size_t why_len)
{
    int owners[NPARTS] = {0};
    for (int i = 0; i < n; i++) {
        snap s = snapshot(ms[i]);
        ck_assert_msg(!s.fatal, "member %d: group error %s", i, kfk_err_str(s.fatal));
        ck_assert_msg(!s.bad[0], "member %d: %s", i, s.bad);
        int count = 0;
        for (int p = 0; p < NPARTS; p++)
            if (s.owned[p]) owners[p]++, count++;
        if (count != NPARTS / n) {
            snprintf(why, why_len, "member %d owns %d partitions", i, count);
            return false;
        }
    }
    for (int p = 0; p < NPARTS; p++)
        if (owners[p] != 1) {
            snprintf(why, why_len, "partition %d has %d owners", p, owners[p]);
            return false;
        }
    return true;
}

static void wait_balanced(member **ms, int n)
{
    char why[128] = "";
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    while (!balanced(ms, n, why, sizeof(why))) {
        ck_assert_msg(ktime_mono_ms() < deadline, "no balanced assignment over %d members: %s", n,
                      why);
        kclus_nap(20); /* between looks at the callbacks' record */
    }
}

/* Across a rebalance from before to now: a partition a member kept was
 * never revoked or lost, one it gave up was revoked exactly once. */
static void check_only_moves_revoked(member *m, const snap *before, int who)
{
    snap now = snapshot(m);
    for (int p = 0; p < NPARTS; p++) {
        int revoked = now.revoked[p] - before->revoked[p];
        ck_assert_msg(now.lost[p] == before->lost[p], "member %d lost partition %d", who, p);
        if (before->owned[p] && now.owned[p])
            ck_assert_msg(revoked == 0, "member %d kept partition %d but it was revoked", who, p);
        if (before->owned[p] && !now.owned[p])
            ck_assert_msg(revoked == 1, "member %d gave up partition %d, revoked %d times", who, p,
                          revoked);
    }
}

static void group_name(char *out, size_t n, const char *what)
{
    ktest_unique_topic(out, n, what);
}

START_TEST(test_partitions_spread_over_members_and_move_when_one_leaves)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "g848-spread");
    group_name(group, sizeof(group), "g848-spread-group");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    produce(topic, NPARTS, 5);

    member a, b, c;
    member *ms[3] = {&a, &b, &c};
    member_start(&a, group, topic, NULL, true);
    wait_balanced(ms, 1);
    member_start(&b, group, topic, NULL, true);
    wait_balanced(ms, 2);

    /* A third member: only what moves to it is revoked from the others. */
    snap before_a = snapshot(&a), before_b = snapshot(&b);
    member_start(&c, group, topic, NULL, true);
    wait_balanced(ms, 3);
    check_only_moves_revoked(&a, &before_a, 0);
    check_only_moves_revoked(&b, &before_b, 1);

    /* c leaves: its partitions go to a and b, which keep theirs. */
    before_a = snapshot(&a);
    before_b = snapshot(&b);
    snap before_c = snapshot(&c);
    member_stop(&c);
    wait_balanced(ms, 2);
    check_only_moves_revoked(&a, &before_a, 0);
    check_only_moves_revoked(&b, &before_b, 1);
    snap now_a = snapshot(&a), now_b = snapshot(&b);
    for (int p = 0; p < NPARTS; p++)
        if (before_c.owned[p])
            ck_assert_msg(now_a.owned[p] != now_b.owned[p], "partition %d of the leaver", p);

    member_stop(&a);
    member_stop(&b);
    kclus_delete_topic(NULL, topic);
}
END_TEST

/* Waits until m has polled up to `end` in each of the topic's partitions. */
static void wait_consumed(member *m, int nparts, int64_t end)
{
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    for (;;) {
        int done = 0;
        pthread_mutex_lock(&m->lock);
        ck_assert_msg(!m->fatal, "group error %s", kfk_err_str(m->fatal));
        for (int p = 0; p < nparts; p++)
            done += m->next_offset[p] >= end;
        pthread_mutex_unlock(&m->lock);
        if (done == nparts) return;
        ck_assert_msg(ktime_mono_ms() < deadline, "%d of %d partitions consumed to %lld", done,
                      nparts, (long long)end);
        kclus_nap(20);
    }
}

START_TEST(test_commit_and_restart_resumes_at_the_committed_offset)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "g848-commit");
    group_name(group, sizeof(group), "g848-commit-group");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    produce(topic, NPARTS, 10);

    member a;
    member_start(&a, group, topic, NULL, false);
    wait_consumed(&a, NPARTS, 10);
    /* The poll thread may be in a poll; commit the positions from here. */
    ck_assert_int_eq(kfk_consumer_commit(a.c, NULL, 0), KFK_OK);
    member_stop(&a);

    produce(topic, NPARTS, 5);
    member b;
    member_start(&b, group, topic, NULL, false);
    wait_consumed(&b, NPARTS, 15);
    pthread_mutex_lock(&b.lock);
    for (int p = 0; p < NPARTS; p++)
        ck_assert_msg(b.first_offset[p] == 10, "partition %d restarted at %lld, not 10", p,
                      (long long)b.first_offset[p]);
    pthread_mutex_unlock(&b.lock);

    kfk_partition_list *l = kpl_range(topic, NPARTS, KFK_OFFSET_INVALID);
    ck_assert_int_eq(kfk_consumer_committed(b.c, l, TIMEOUT_MS), KFK_OK);
    for (size_t p = 0; p < NPARTS; p++)
        ck_assert_int_eq(kfk_partition_list_offset(l, p), 10);
    kfk_partition_list_destroy(l);
    member_stop(&b);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_regex_subscription_is_resolved_by_the_broker)
{
    char prefix[128], t1[160], t2[160], other[128], group[128], regex[200];
    ktest_unique_topic(prefix, sizeof(prefix), "g848-re");
    snprintf(t1, sizeof(t1), "%s-a", prefix);
    snprintf(t2, sizeof(t2), "%s-b", prefix);
    ktest_unique_topic(other, sizeof(other), "g848-other");
    group_name(group, sizeof(group), "g848-re-group");
    snprintf(regex, sizeof(regex), "%s-.*", prefix);
    kclus_create_topic(NULL, t1, 3, -1);
    kclus_create_topic(NULL, t2, 2, -1);
    kclus_create_topic(NULL, other, 2, -1);
    produce(t1, 3, 1);
    produce(t2, 2, 1);

    member a;
    member_start(&a, group, t1, regex, true);
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    for (;;) {
        snap s = snapshot(&a);
        ck_assert_msg(!s.fatal, "group error %s", kfk_err_str(s.fatal));
        /* slots 0.. are t1's, MAXP.. any other topic's (t2 or, wrongly, other) */
        int n1 = 0, n2 = 0;
        for (int p = 0; p < MAXP; p++)
            n1 += s.owned[p], n2 += s.owned[MAXP + p];
        if (n1 == 3 && n2 == 2) break;
        ck_assert_msg(ktime_mono_ms() < deadline, "regex assignment: %d of %s, %d others", n1, t1,
                      n2);
        kclus_nap(20);
    }
    /* The other topic is not matched: what it holds of other topics is t2. */
    kfk_partition_list *l = kfk_consumer_assignment(a.c);
    ck_assert_uint_eq(kfk_partition_list_count(l), 5);
    for (size_t i = 0; i < kfk_partition_list_count(l); i++) {
        const char *t = kfk_partition_list_topic(l, i);
        ck_assert_msg(!strcmp(t, t1) || !strcmp(t, t2), "assigned %s", t);
    }
    kfk_partition_list_destroy(l);
    member_stop(&a);
    kclus_delete_topic(NULL, t1);
    kclus_delete_topic(NULL, t2);
    kclus_delete_topic(NULL, other);
}
END_TEST

/* The broker, not the client, judges a KIP-848 regex: \d is RE2/J (not
 * POSIX), and a broker resolves it. */
START_TEST(test_re2_regex_is_resolved_by_the_broker)
{
    char prefix[128], t1[160], t22[160], tx[160], group[128], regex[200];
    ktest_unique_topic(prefix, sizeof(prefix), "g848-re2");
    snprintf(t1, sizeof(t1), "%s-1", prefix);
    snprintf(t22, sizeof(t22), "%s-22", prefix);
    snprintf(tx, sizeof(tx), "%s-x", prefix);
    group_name(group, sizeof(group), "g848-re2-group");
    snprintf(regex, sizeof(regex), "%s-\\d+", prefix);
    kclus_create_topic(NULL, t1, 2, -1);
    kclus_create_topic(NULL, t22, 1, -1);
    kclus_create_topic(NULL, tx, 1, -1);

    member a;
    member_start(&a, group, t1, regex, true);
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    for (;;) {
        snap s = snapshot(&a);
        ck_assert_msg(!s.fatal, "group error %s", kfk_err_str(s.fatal));
        int n1 = 0, n2 = 0;
        for (int p = 0; p < MAXP; p++)
            n1 += s.owned[p], n2 += s.owned[MAXP + p];
        if (n1 == 2 && n2 == 1) break;
        ck_assert_msg(ktime_mono_ms() < deadline, "regex %s: %d of %s, %d others", regex, n1, t1,
                      n2);
        kclus_nap(20);
    }
    kfk_partition_list *l = kfk_consumer_assignment(a.c);
    ck_assert_uint_eq(kfk_partition_list_count(l), 3);
    for (size_t i = 0; i < kfk_partition_list_count(l); i++) {
        const char *t = kfk_partition_list_topic(l, i);
        ck_assert_msg(!strcmp(t, t1) || !strcmp(t, t22), "assigned %s", t);
    }
    kfk_partition_list_destroy(l);
    member_stop(&a);
    kclus_delete_topic(NULL, t1);
    kclus_delete_topic(NULL, t22);
    kclus_delete_topic(NULL, tx);
}
END_TEST

/* A regex the broker cannot compile: subscribe takes it, poll hands out
 * INVALID_REGULAR_EXPRESSION as a group error. */
START_TEST(test_invalid_regex_is_a_group_error_from_the_broker)
{
    char group[128];
    group_name(group, sizeof(group), "g848-badre-group");
    member a;
    member_start(&a, group, "unused", "(", true);
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    for (kfk_err err = KFK_OK; err != KFK_ERR_INVALID_REGULAR_EXPRESSION;) {
        ck_assert_msg(ktime_mono_ms() < deadline, "no INVALID_REGULAR_EXPRESSION");
        kclus_nap(20);
        pthread_mutex_lock(&a.lock);
        err = a.fatal;
        pthread_mutex_unlock(&a.lock);
        ck_assert_msg(err == KFK_OK || err == KFK_ERR_INVALID_REGULAR_EXPRESSION, "got %s",
                      kfk_err_str(err));
    }
    member_stop(&a);
}
END_TEST

static int count_owned(member *m)
{
    snap s = snapshot(m);
    ck_assert_msg(!s.fatal, "group error %s", kfk_err_str(s.fatal));
    int n = 0;
    for (int p = 0; p < NPARTS; p++)
        n += s.owned[p];
    return n;
}

START_TEST(test_static_member_restart_keeps_its_partitions)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "g848-static");
    group_name(group, sizeof(group), "g848-static-group");
    kclus_create_topic(NULL, topic, NPARTS, -1);

    member a, b;
    member *ms[2] = {&a, &b};
    static const char *const as_a[] = {"group.instance.id", "instance-a", NULL};
    static const char *const as_b[] = {"group.instance.id", "instance-b", NULL};
    extra_props = as_a;
    member_start(&a, group, topic, NULL, true);
    wait_balanced(ms, 1);
    extra_props = as_b;
    member_start(&b, group, topic, NULL, true);
    wait_balanced(ms, 2);
    snap before_a = snapshot(&a), before_b = snapshot(&b);

    /* a leaves as a static member (epoch -2) and comes back under a new
     * member id: the broker kept its partitions for it, so b is never
     * asked to give any up nor given a's. */
    member_stop(&a);
    extra_props = as_a;
    member_start(&a, group, topic, NULL, true);
    extra_props = NULL;
    wait_balanced(ms, 2);
    snap now_a = snapshot(&a), now_b = snapshot(&b);
    for (int p = 0; p < NPARTS; p++) {
        ck_assert_msg(now_a.owned[p] == before_a.owned[p], "partition %d moved", p);
        ck_assert_int_eq(now_b.revoked[p], before_b.revoked[p]);
    }
    ck_assert_int_eq(count_owned(&b), NPARTS / 2);
    member_stop(&a);
    member_stop(&b);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_unknown_server_assignor_is_a_group_error)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "g848-assignor");
    group_name(group, sizeof(group), "g848-assignor-group");
    kclus_create_topic(NULL, topic, 2, -1);
    static const char *const props[] = {"group.remote.assignor", "no-such-assignor", NULL};
    extra_props = props;
    member a;
    member_start(&a, group, topic, NULL, true);
    extra_props = NULL;
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    for (kfk_err err = KFK_OK; err != KFK_ERR_UNSUPPORTED_ASSIGNOR;) {
        ck_assert_msg(ktime_mono_ms() < deadline, "no UNSUPPORTED_ASSIGNOR");
        kclus_nap(20);
        pthread_mutex_lock(&a.lock);
        err = a.fatal;
        pthread_mutex_unlock(&a.lock);
        ck_assert_msg(err == KFK_OK || err == KFK_ERR_UNSUPPORTED_ASSIGNOR, "got %s",
                      kfk_err_str(err));
    }
    member_stop(&a);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_member_that_stops_polling_leaves_and_rejoins)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "g848-poll");
    group_name(group, sizeof(group), "g848-poll-group");
    kclus_create_topic(NULL, topic, NPARTS, -1);

    static const char *const quick[] = {"max.poll.interval.ms", "3000", NULL};
    member a, b;
    member *ms[2] = {&a, &b};
    extra_props = quick;
    member_start(&a, group, topic, NULL, true);
    extra_props = NULL;
    wait_balanced(ms, 1);
    member_start(&b, group, topic, NULL, true);
    wait_balanced(ms, 2);

    /* a stops polling: after max.poll.interval.ms it leaves the group and
     * b gets everything; when a polls again its partitions are LOST (it
     * could not commit) and it rejoins. */
    atomic_store(&a.paused, true);
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    while (count_owned(&b) != NPARTS) {
        ck_assert_msg(ktime_mono_ms() < deadline, "b never got a's partitions");
        kclus_nap(20);
    }
    atomic_store(&a.paused, false);
    wait_balanced(ms, 2);
    snap sa = snapshot(&a);
    int lost = 0;
    for (int p = 0; p < NPARTS; p++)
        lost += sa.lost[p];
    ck_assert_int_eq(lost, NPARTS / 2);
    member_stop(&a);
    member_stop(&b);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *consumer_group848_suite(void)
{
    Suite *s = suite_create("consumer_group848_integration");
    TCase *tc = tcase_create("cluster");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_partitions_spread_over_members_and_move_when_one_leaves);
    tcase_add_test(tc, test_regex_subscription_is_resolved_by_the_broker);
    tcase_add_test(tc, test_re2_regex_is_resolved_by_the_broker);
    tcase_add_test(tc, test_invalid_regex_is_a_group_error_from_the_broker);
    tcase_add_test(tc, test_commit_and_restart_resumes_at_the_committed_offset);
    tcase_add_test(tc, test_static_member_restart_keeps_its_partitions);
    tcase_add_test(tc, test_unknown_server_assignor_is_a_group_error);
    tcase_add_test(tc, test_member_that_stops_polling_leaves_and_rejoins);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(consumer_group848_suite());
}
