/* Consumer groups through the public API against a cluster (the mock,
 * then real Kafka): subscribe and read a fresh topic whole, commit sync
 * and async, committed(), a new member resuming at the committed offsets,
 * a regex subscription, and two members splitting the partitions with
 * range and with cooperative-sticky (where the partitions a member keeps
 * are never revoked). Each test makes its own topics and group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kplist.h"
#include "kwire_client.h"

#define TIMEOUT_MS 60000
#define NPARTS 4
#define MAXP 16

/* What one member saw: its rebalance events and the records it read. */
typedef struct member {
    kfk_consumer *c;
    const char *topic;
    bool owned[MAXP];
    int assigned_events, revoked_events, lost_events;
    bool revoked_ever[MAXP];
    int commits_ok, commits_failed;
    int *seen; /* per record id: how often read */
    int n_seen;
} member;

/* Entry i's partition when it is of topic want (and < MAXP), else -1. */
static int part_of(const kfk_partition_list *parts, size_t i, const char *want)
{
    int32_t p = kfk_partition_list_partition(parts, i);
    return strcmp(kfk_partition_list_topic(parts, i), want) == 0 && p < MAXP ? p : -1;
}

static void on_rebalance(void *opaque, kfk_consumer *c, kfk_rebalance_event ev,
                         const kfk_partition_list *parts)
{
    member *m = opaque;
    ck_assert_ptr_eq(c, m->c);
    for (size_t i = 0; i < kfk_partition_list_count(parts); i++) {
        int p = part_of(parts, i, m->topic);
        if (p < 0) continue;
        if (ev == KFK_REBALANCE_ASSIGNED) {
            ck_assert_msg(!m->owned[p], "partition %d assigned twice", p);
            m->owned[p] = true;
        } else {
            ck_assert_msg(m->owned[p], "partition %d revoked but not owned", p);
            m->owned[p] = false;
            if (ev == KFK_REBALANCE_REVOKED) m->revoked_ever[p] = true;
        }
    }
    if (ev == KFK_REBALANCE_ASSIGNED) m->assigned_events++;
    if (ev == KFK_REBALANCE_REVOKED) m->revoked_events++;
    if (ev == KFK_REBALANCE_LOST) m->lost_events++;
}

static void on_commit(void *opaque, kfk_consumer *consumer, kfk_err err,
                      const kfk_partition_list *offsets)
{
    (void)consumer;
    member *m = opaque;
    ck_assert_uint_gt(kfk_partition_list_count(offsets), 0);
    if (err)
        m->commits_failed++;
    else
        m->commits_ok++;
}

static const char *instance_id;  /* for the next member_new; NULL: dynamic */
static const char *max_poll_ms;  /* for the next member_new; NULL: the default */
static const char *meta_max_age; /* for the next member_new; NULL: the default */

static kfk_consumer *member_new(member *m, const char *group, const char *topic, int n_records,
                                const char *strategy, bool auto_commit)
{
    memset(m, 0, sizeof(*m));
    m->topic = topic;
    m->n_seen = n_records;
    m->seen = calloc((size_t)n_records, sizeof(int));
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "auto.offset.reset", "earliest");
    kclus_set(conf, "enable.auto.commit", auto_commit ? "true" : "false");
    kclus_set(conf, "auto.commit.interval.ms", "200");
    kclus_set(conf, "session.timeout.ms", "10000");
    kclus_set(conf, "heartbeat.interval.ms", "500");
    kclus_set(conf, "fetch.max.wait.ms", "100");
    if (strategy) kclus_set(conf, "partition.assignment.strategy", strategy);
    if (instance_id) kclus_set(conf, "group.instance.id", instance_id);
    if (max_poll_ms) kclus_set(conf, "max.poll.interval.ms", max_poll_ms);
    if (meta_max_age) kclus_set(conf, "metadata.max.age.ms", meta_max_age);
    kfk_conf_set_rebalance_cb(conf, on_rebalance, m);
    kfk_conf_set_commit_cb(conf, on_commit, m);
    char err[256];
    m->c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(m->c != NULL, "%s", err);
    return m->c;
}

static void member_free(member *m)
{
    if (m->c) kfk_consumer_destroy(m->c);
    free(m->seen);
    m->c = NULL;
}

/* Polls once (up to ms) and counts the record read. */
static int poll_one(member *m, int ms)
{
    kfk_message *msg = kfk_consumer_poll(m->c, ms);
    if (!msg) return 0;
    kfk_err err = kfk_message_error(msg);
    ck_assert_msg(err == KFK_OK, "poll: %s", kfk_err_str(err));
    if (strcmp(kfk_message_topic(msg), m->topic) == 0) {
        int id = kclus_record_id(msg);
        ck_assert_int_ge(id, 0);
        if (id < m->n_seen) m->seen[id]++;
    }
    kfk_message_release(msg);
    return 1;
}

static int distinct_seen(const member *m, int first, int n)
{
    int k = 0;
    for (int i = first; i < first + n && i < m->n_seen; i++)
        k += m->seen[i] > 0;
    return k;
}

static int owned_count(const member *m)
{
    int k = 0;
    for (int p = 0; p < MAXP; p++)
        k += m->owned[p];
    return k;
}

/* Committed offsets of every partition, summed (KFK_OFFSET_INVALID: 0). */
static int64_t committed_sum(kfk_consumer *c, const char *topic)
{
    kfk_partition_list *l = kpl_range(topic, NPARTS, KFK_OFFSET_INVALID);
    kfk_err err = kfk_consumer_committed(c, l, TIMEOUT_MS);
    ck_assert_msg(err == KFK_OK, "committed: %s", kfk_err_str(err));
    int64_t sum = 0;
    for (size_t p = 0; p < NPARTS; p++)
        if (kfk_partition_list_offset(l, p) >= 0) sum += kfk_partition_list_offset(l, p);
    kfk_partition_list_destroy(l);
    return sum;
}

START_TEST(test_subscribe_commit_and_resume)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "sub");
    ktest_unique_topic(group, sizeof(group), "grp");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    kclus_produce(NULL, topic, NPARTS, 0, 200);

    member m;
    kfk_consumer *c = member_new(&m, group, topic, 300, NULL, false);
    const char *names[] = {topic};
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_OK);
    /* subscribe and assign exclude each other */
    ck_assert_int_eq(kpl_assign_one(c, topic, 0, KFK_OFFSET_INVALID), KFK_ERR_STATE);
    char **subs;
    size_t n_subs;
    ck_assert_int_eq(kfk_consumer_subscription(c, &subs, &n_subs), KFK_OK);
    ck_assert_uint_eq(n_subs, 1);
    ck_assert_str_eq(subs[0], topic);
    kfk_topic_names_free(subs, n_subs);

    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    while (distinct_seen(&m, 0, 200) < 200 && kclus_now_ms() < deadline)
        poll_one(&m, 100);
    ck_assert_int_eq(distinct_seen(&m, 0, 200), 200);
    ck_assert_int_eq(owned_count(&m), NPARTS);
    ck_assert_int_ge(m.assigned_events, 1);
    char mid[256];
    kfk_consumer_member_id(c, mid, sizeof(mid));
    ck_assert_msg(mid[0], "no member id");

    /* sync commit of the positions, then committed() sees them */
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 0), KFK_OK);
    ck_assert_int_eq(committed_sum(c, topic), 200);

    /* async commit: reported through the callback from poll */
    kclus_produce(NULL, topic, NPARTS, 200, 40);
    while (distinct_seen(&m, 200, 40) < 40 && kclus_now_ms() < deadline)
        poll_one(&m, 100);
    ck_assert_int_eq(distinct_seen(&m, 200, 40), 40);
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 1), KFK_OK);
    while (m.commits_ok + m.commits_failed == 0 && kclus_now_ms() < deadline)
        poll_one(&m, 100);
    ck_assert_int_eq(m.commits_ok, 1);
    ck_assert_int_eq(committed_sum(c, topic), 240);

    /* an explicit offset with metadata */
    kfk_partition_list *el = kpl_one(topic, 1, 3);
    ck_assert_int_eq(kfk_partition_list_set_metadata(el, 0, "hello"), KFK_OK);
    ck_assert_int_eq(kfk_consumer_commit(c, el, 0), KFK_OK);
    kfk_partition_list *q = kpl_one(topic, 1, KFK_OFFSET_INVALID);
    ck_assert_int_eq(kfk_consumer_committed(c, q, TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_offset(q, 0), 3);
    ck_assert_str_eq(kfk_partition_list_metadata(q, 0), "hello");
    ck_assert_int_eq(kfk_partition_list_error(q, 0), KFK_OK);
    kfk_partition_list_destroy(q);
    /* and back to where partition 1 was */
    ck_assert_int_eq(kfk_partition_list_set_offset(el, 0, 60), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_set_metadata(el, 0, NULL), KFK_OK);
    ck_assert_int_eq(kfk_consumer_commit(c, el, 0), KFK_OK);
    kfk_partition_list_destroy(el);

    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK);
    ck_assert_int_eq(m.revoked_events, 1); /* close revokes */
    member_free(&m);

    /* a new member of the group starts at the committed offsets */
    kclus_produce(NULL, topic, NPARTS, 240, 20);
    c = member_new(&m, group, topic, 300, NULL, true);
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_OK);
    deadline = kclus_now_ms() + TIMEOUT_MS;
    while (distinct_seen(&m, 240, 20) < 20 && kclus_now_ms() < deadline)
        poll_one(&m, 100);
    ck_assert_int_eq(distinct_seen(&m, 240, 20), 20);
    ck_assert_int_eq(distinct_seen(&m, 0, 240), 0);
    /* auto commit on close commits what was read */
    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK);
    member_free(&m);
    c = member_new(&m, group, topic, 300, NULL, false);
    ck_assert_int_eq(committed_sum(c, topic), 260);
    member_free(&m);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_regex_subscription)
{
    char base[96], a[128], b[128], other[128], group[128], re[160];
    ktest_unique_topic(base, sizeof(base), "re");
    ktest_unique_topic(group, sizeof(group), "grp");
    snprintf(a, sizeof(a), "%s-1", base);
    snprintf(b, sizeof(b), "%s-2", base);
    snprintf(other, sizeof(other), "x%s-1", base);
    kclus_create_topic(NULL, a, NPARTS, -1);
    kclus_create_topic(NULL, other, NPARTS, -1);
    kclus_produce(NULL, a, NPARTS, 0, 50);
    kclus_produce(NULL, other, NPARTS, 0, 50);
    /* Java's syntax (\\d is a digit, not POSIX's "d"); the whole name must match */
    snprintf(re, sizeof(re), "%s-\\d", base);

    member m;
    /* A classic consumer matches its regex against the metadata it has,
     * which it refreshes every metadata.max.age.ms (as Java's
     * subscribe(Pattern)); the default, 5 minutes, would leave a topic
     * created later unseen past the deadline. */
    meta_max_age = "500";
    kfk_consumer *c = member_new(&m, group, a, 100, NULL, false);
    meta_max_age = NULL;
    ck_assert_int_eq(kfk_consumer_subscribe_pattern(c, "(unclosed"), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_subscribe_pattern(c, re), KFK_OK);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    int total = 0, from_b = 0, from_other = 0;
    while (total < 50 && kclus_now_ms() < deadline) {
        kfk_message *msg = kfk_consumer_poll(c, 100);
        if (!msg) continue;
        ck_assert_int_eq(kfk_message_error(msg), KFK_OK);
        if (strcmp(kfk_message_topic(msg), a) == 0) total++;
        if (strcmp(kfk_message_topic(msg), other) == 0) from_other++;
        kfk_message_release(msg);
    }
    ck_assert_int_eq(total, 50);
    /* a topic created later that matches joins the subscription */
    kclus_create_topic(NULL, b, NPARTS, -1);
    kclus_produce(NULL, b, NPARTS, 0, 30);
    while (from_b < 30 && kclus_now_ms() < deadline) {
        kfk_message *msg = kfk_consumer_poll(c, 100);
        if (!msg) continue;
        ck_assert_int_eq(kfk_message_error(msg), KFK_OK);
        if (strcmp(kfk_message_topic(msg), b) == 0) from_b++;
        if (strcmp(kfk_message_topic(msg), other) == 0) from_other++;
        kfk_message_release(msg);
    }
    ck_assert_int_eq(from_b, 30);
    ck_assert_int_eq(from_other, 0);
    member_free(&m);
    kclus_delete_topic(NULL, a);
    kclus_delete_topic(NULL, b);
    kclus_delete_topic(NULL, other);
}
END_TEST

static int union_seen(const member *a, const member *b, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += a->seen[i] > 0 || b->seen[i] > 0;
    return k;
}

/* Two members of one group: both get partitions, none twice, every record
 * read; then one closes and the other takes everything. */
static void two_members(const char *strategy, bool cooperative)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "two");
    ktest_unique_topic(group, sizeof(group), "grp");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    kclus_produce(NULL, topic, NPARTS, 0, 100);
    const char *names[] = {topic};

    member m1, m2;
    member_new(&m1, group, topic, 400, strategy, false);
    ck_assert_int_eq(kfk_consumer_subscribe(m1.c, names, 1), KFK_OK);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    while (owned_count(&m1) < NPARTS && kclus_now_ms() < deadline)
        poll_one(&m1, 100);
    ck_assert_int_eq(owned_count(&m1), NPARTS);
    int revoked_before = m1.revoked_events;

    member_new(&m2, group, topic, 400, strategy, false);
    ck_assert_int_eq(kfk_consumer_subscribe(m2.c, names, 1), KFK_OK);
    kclus_produce(NULL, topic, NPARTS, 100, 100);
    while ((owned_count(&m2) == 0 || owned_count(&m1) + owned_count(&m2) != NPARTS ||
            union_seen(&m1, &m2, 200) < 200) &&
           kclus_now_ms() < deadline) {
        poll_one(&m1, 50);
        poll_one(&m2, 50);
    }
    ck_assert_int_eq(owned_count(&m1) + owned_count(&m2), NPARTS);
    ck_assert_int_eq(owned_count(&m1), NPARTS / 2);
    for (int p = 0; p < NPARTS; p++)
        ck_assert_msg(!(m1.owned[p] && m2.owned[p]), "partition %d owned twice", p);
    ck_assert_int_eq(union_seen(&m1, &m2, 200), 200);
    ck_assert_int_gt(m1.revoked_events, revoked_before);
    if (cooperative) /* KIP-429: what m1 kept was never revoked */
        for (int p = 0; p < NPARTS; p++)
            ck_assert_msg(!(m1.owned[p] && m1.revoked_ever[p]), "kept partition %d revoked", p);

    /* m2 leaves: m1 takes its partitions back and reads what comes next */
    ck_assert_int_eq(kfk_consumer_close(m2.c, -1), KFK_OK);
    kclus_produce(NULL, topic, NPARTS, 200, 40);
    while ((owned_count(&m1) != NPARTS || distinct_seen(&m1, 200, 40) < 40) &&
           kclus_now_ms() < deadline)
        poll_one(&m1, 100);
    ck_assert_int_eq(owned_count(&m1), NPARTS);
    ck_assert_int_eq(distinct_seen(&m1, 200, 40), 40);
    member_free(&m2);
    member_free(&m1);
    kclus_delete_topic(NULL, topic);
}

START_TEST(test_two_members_range)
{
    two_members("range", false);
}
END_TEST

START_TEST(test_two_members_cooperative_sticky)
{
    two_members("cooperative-sticky", true);
}
END_TEST

/* KIP-345: a static member that restarts within the session timeout gets
 * its partitions back, and the other member sees no rebalance. */
START_TEST(test_static_member_restart)
{
    char topic[128], group[128], inst[160];
    ktest_unique_topic(topic, sizeof(topic), "static");
    ktest_unique_topic(group, sizeof(group), "grp");
    snprintf(inst, sizeof(inst), "%s-a", group);
    kclus_create_topic(NULL, topic, NPARTS, -1);
    const char *names[] = {topic};
    member s1, d;
    instance_id = inst;
    member_new(&s1, group, topic, 10, "range", false);
    instance_id = NULL;
    ck_assert_int_eq(kfk_consumer_subscribe(s1.c, names, 1), KFK_OK);
    member_new(&d, group, topic, 10, "range", false);
    ck_assert_int_eq(kfk_consumer_subscribe(d.c, names, 1), KFK_OK);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    while ((owned_count(&s1) == 0 || owned_count(&d) == 0 ||
            owned_count(&s1) + owned_count(&d) != NPARTS) &&
           kclus_now_ms() < deadline) {
        poll_one(&s1, 50);
        poll_one(&d, 50);
    }
    ck_assert_int_eq(owned_count(&s1) + owned_count(&d), NPARTS);
    bool had[MAXP];
    memcpy(had, s1.owned, sizeof(had));
    int d_revoked = d.revoked_events;
    ck_assert_int_eq(kfk_consumer_close(s1.c, -1), KFK_OK); /* no LeaveGroup */
    member_free(&s1);
    instance_id = inst;
    member_new(&s1, group, topic, 10, "range", false);
    instance_id = NULL;
    ck_assert_int_eq(kfk_consumer_subscribe(s1.c, names, 1), KFK_OK);
    while (owned_count(&s1) == 0 && kclus_now_ms() < deadline) {
        poll_one(&s1, 50);
        poll_one(&d, 50);
    }
    for (int p = 0; p < NPARTS; p++)
        ck_assert_msg(s1.owned[p] == had[p], "partition %d moved", p);
    /* give a rebalance, if one were coming, the time to show */
    int64_t settle = kclus_now_ms() + 3000;
    while (kclus_now_ms() < settle) {
        poll_one(&s1, 50);
        poll_one(&d, 50);
    }
    ck_assert_int_eq(d.revoked_events, d_revoked);
    member_free(&s1);
    member_free(&d);
    kclus_delete_topic(NULL, topic);
}
END_TEST

/* A member that stops polling for max.poll.interval.ms leaves: the other
 * takes its partitions; its next poll reports them LOST and rejoins. */
START_TEST(test_max_poll_interval)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "maxpoll");
    ktest_unique_topic(group, sizeof(group), "grp");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    const char *names[] = {topic};
    member a, b;
    max_poll_ms = "3000";
    member_new(&a, group, topic, 10, "range", false);
    member_new(&b, group, topic, 10, "range", false);
    max_poll_ms = NULL;
    ck_assert_int_eq(kfk_consumer_subscribe(a.c, names, 1), KFK_OK);
    ck_assert_int_eq(kfk_consumer_subscribe(b.c, names, 1), KFK_OK);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    while ((owned_count(&a) == 0 || owned_count(&b) == 0) && kclus_now_ms() < deadline) {
        poll_one(&a, 50);
        poll_one(&b, 50);
    }
    ck_assert_int_eq(owned_count(&a) + owned_count(&b), NPARTS);
    ck_assert_int_gt(owned_count(&a), 0);
    /* a stops polling */
    int64_t stopped = kclus_now_ms();
    while (owned_count(&b) != NPARTS && kclus_now_ms() < deadline)
        poll_one(&b, 100);
    ck_assert_int_eq(owned_count(&b), NPARTS);
    ck_assert_int_ge(kclus_now_ms() - stopped, 2500); /* not before the interval */
    ck_assert_int_eq(a.lost_events, 0);
    while ((owned_count(&a) == 0 || owned_count(&b) == NPARTS) && kclus_now_ms() < deadline) {
        poll_one(&a, 50);
        poll_one(&b, 50);
    }
    ck_assert_int_eq(a.lost_events, 1);
    ck_assert_int_gt(owned_count(&a), 0);
    ck_assert_int_eq(owned_count(&a) + owned_count(&b), NPARTS);
    member_free(&a);
    member_free(&b);
    kclus_delete_topic(NULL, topic);
}
END_TEST

/* The leader rejoins when a subscribed topic gains partitions. */
START_TEST(test_added_partitions_are_assigned)
{
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "grow");
    ktest_unique_topic(group, sizeof(group), "grp");
    kclus_create_topic(NULL, topic, 2, -1);
    const char *names[] = {topic};
    member a;
    meta_max_age = "1000";
    member_new(&a, group, topic, 10, "range", false);
    meta_max_age = NULL;
    ck_assert_int_eq(kfk_consumer_subscribe(a.c, names, 1), KFK_OK);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    while (owned_count(&a) != 2 && kclus_now_ms() < deadline)
        poll_one(&a, 100);
    ck_assert_int_eq(owned_count(&a), 2);
    char err[256];
    kfk_admin *ad = kfk_admin_new(kclus_conf(NULL), err, sizeof(err));
    ck_assert_msg(ad != NULL, "%s", err);
    int32_t total = NPARTS;
    kfk_admin_result *res = NULL;
    ck_assert_int_eq(kfk_admin_create_partitions(ad, names, &total, 1, TIMEOUT_MS, &res), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(ad);
    while (owned_count(&a) != NPARTS && kclus_now_ms() < deadline)
        poll_one(&a, 100);
    ck_assert_int_eq(owned_count(&a), NPARTS);
    member_free(&a);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_group_api_errors)
{
    kfk_conf *conf = kclus_conf(NULL);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    const char *names[] = {"t"};
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_ERR_CONFIG);
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 0), KFK_ERR_CONFIG);
    kfk_consumer_destroy(c);

    conf = kclus_conf(NULL);
    kclus_set(conf, "group.id", "g");
    c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    const char *bad[] = {""};
    ck_assert_int_eq(kfk_consumer_subscribe(c, bad, 1), KFK_ERR_INVALID_ARG);
    kfk_partition_list *l = kpl_one("t", 0, KFK_OFFSET_INVALID);
    ck_assert_int_eq(kfk_consumer_incremental_assign(c, l), KFK_OK);
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_ERR_STATE);
    ck_assert_int_eq(kfk_consumer_incremental_unassign(c, l), KFK_OK);
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_OK);
    ck_assert_int_eq(kfk_consumer_incremental_assign(c, l), KFK_ERR_STATE);
    kfk_partition_list_destroy(l);
    ck_assert_int_eq(kfk_consumer_unsubscribe(c), KFK_OK);
    kfk_consumer_destroy(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("consumer_subscribe_integration");
    TCase *tc = tcase_create("groups");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_group_api_errors);
    tcase_add_test(tc, test_subscribe_commit_and_resume);
    tcase_add_test(tc, test_regex_subscription);
    tcase_add_test(tc, test_two_members_range);
    tcase_add_test(tc, test_two_members_cooperative_sticky);
    tcase_add_test(tc, test_static_member_restart);
    tcase_add_test(tc, test_max_poll_interval);
    tcase_add_test(tc, test_added_partitions_are_assigned);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(suite());
}
