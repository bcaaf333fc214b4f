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
#include "kmember.h"
#include "kplist.h"
#include "kwire_client.h"

#define TIMEOUT_MS 60000
#define NPARTS 4

/* A member and what it read: how often each record id of its topic. */
typedef struct member {
    kmember k;
    const char *topic;
    int *seen;
    int n_seen;
} member;

static void count_record(kmember *k, const kfk_message *msg)
{
    member *m = k->o.opaque;
    if (strcmp(kfk_message_topic(msg), m->topic) != 0) return;
    int id = kclus_record_id(msg);
    ck_assert_int_ge(id, 0);
    if (id < m->n_seen) m->seen[id]++;
}

/* A member of group reading topic's records 0..n_records-1; any message
 * with an error fails the test. extra: more settings for
 * kmember_conf (may be NULL). */
static kfk_consumer *member_new(member *m, const char *group, const char *topic, int n_records,
                                const char *strategy, bool auto_commit,
                                const char *const (*extra)[2])
{
    m->topic = topic;
    m->n_seen = n_records;
    m->seen = calloc((size_t)n_records, sizeof(int));
    const char *const kv[][2] = {
        {"auto.offset.reset", "earliest"},
        {"enable.auto.commit", auto_commit ? "true" : "false"},
        {"auto.commit.interval.ms", "200"},
        {"session.timeout.ms", "10000"},
        {"heartbeat.interval.ms", "500"},
        {"fetch.max.wait.ms", "100"},
        {"partition.assignment.strategy", strategy}, /* NULL: the default */
        {NULL},
    };
    kmember_start(&m->k, kmember_conf(NULL, group, kv, extra),
                  &(kmember_opts){.fail_on_error = true, .on_message = count_record, .opaque = m});
    return m->k.c;
}

/* Destroys the member; no commit callback had an empty list. */
static void member_free(member *m)
{
    kmember_destroy(&m->k);
    ck_assert_int_eq(m->k.st.commits_empty, 0);
    free(m->seen);
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
    return kmember_state_owned(&m->k.st, m->topic);
}

static kmember_part part(const member *m, int p)
{
    return kmember_part_of(&m->k.st, m->topic, p);
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
    kfk_consumer *c = member_new(&m, group, topic, 300, NULL, false, NULL);
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
    while (distinct_seen(&m, 0, 200) < 200 && kmember_round(deadline, &m.k)) {
    }
    ck_assert_int_eq(distinct_seen(&m, 0, 200), 200);
    ck_assert_int_eq(owned_count(&m), NPARTS);
    ck_assert_int_ge(m.k.st.assigned, 1);
    char mid[256];
    kfk_consumer_member_id(c, mid, sizeof(mid));
    ck_assert_msg(mid[0], "no member id");

    /* sync commit of the positions, then committed() sees them */
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 0), KFK_OK);
    ck_assert_int_eq(committed_sum(c, topic), 200);

    /* async commit: reported through the callback from poll */
    kclus_produce(NULL, topic, NPARTS, 200, 40);
    while (distinct_seen(&m, 200, 40) < 40 && kmember_round(deadline, &m.k)) {
    }
    ck_assert_int_eq(distinct_seen(&m, 200, 40), 40);
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 1), KFK_OK);
    while (m.k.st.commits == 0 && kmember_round(deadline, &m.k)) {
    }
    ck_assert_int_eq(m.k.st.commits - m.k.st.commits_failed, 1);
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
    ck_assert_int_eq(m.k.st.revoked, 1); /* close revokes */
    member_free(&m);

    /* a new member of the group starts at the committed offsets */
    kclus_produce(NULL, topic, NPARTS, 240, 20);
    c = member_new(&m, group, topic, 300, NULL, true, NULL);
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_OK);
    deadline = kclus_now_ms() + TIMEOUT_MS;
    while (distinct_seen(&m, 240, 20) < 20 && kmember_round(deadline, &m.k)) {
    }
    ck_assert_int_eq(distinct_seen(&m, 240, 20), 20);
    ck_assert_int_eq(distinct_seen(&m, 0, 240), 0);
    /* auto commit on close commits what was read */
    ck_assert_int_eq(kfk_consumer_close(c, -1), KFK_OK);
    member_free(&m);
    c = member_new(&m, group, topic, 300, NULL, false, NULL);
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
    static const char *const meta_500[][2] = {{"metadata.max.age.ms", "500"}, {NULL}};
    kfk_consumer *c = member_new(&m, group, a, 100, NULL, false, meta_500);
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
    member_new(&m1, group, topic, 400, strategy, false, NULL);
    ck_assert_int_eq(kfk_consumer_subscribe(m1.k.c, names, 1), KFK_OK);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    while (owned_count(&m1) < NPARTS && kmember_round(deadline, &m1.k)) {
    }
    ck_assert_int_eq(owned_count(&m1), NPARTS);
    int revoked_before = m1.k.st.revoked;

    member_new(&m2, group, topic, 400, strategy, false, NULL);
    ck_assert_int_eq(kfk_consumer_subscribe(m2.k.c, names, 1), KFK_OK);
    kclus_produce(NULL, topic, NPARTS, 100, 100);
    while ((owned_count(&m2) == 0 || owned_count(&m1) + owned_count(&m2) != NPARTS ||
            union_seen(&m1, &m2, 200) < 200) &&
           kmember_round(deadline, &m1.k, &m2.k)) {
    }
    ck_assert_int_eq(owned_count(&m1) + owned_count(&m2), NPARTS);
    ck_assert_int_eq(owned_count(&m1), NPARTS / 2);
    for (int p = 0; p < NPARTS; p++)
        ck_assert_msg(!(part(&m1, p).owned && part(&m2, p).owned), "partition %d owned twice", p);
    ck_assert_int_eq(union_seen(&m1, &m2, 200), 200);
    ck_assert_int_gt(m1.k.st.revoked, revoked_before);
    if (cooperative) /* KIP-429: what m1 kept was never revoked */
        for (int p = 0; p < NPARTS; p++)
            ck_assert_msg(!(part(&m1, p).owned && part(&m1, p).revoked),
                          "kept partition %d revoked", p);

    /* m2 leaves: m1 takes its partitions back and reads what comes next */
    ck_assert_int_eq(kfk_consumer_close(m2.k.c, -1), KFK_OK);
    kclus_produce(NULL, topic, NPARTS, 200, 40);
    while ((owned_count(&m1) != NPARTS || distinct_seen(&m1, 200, 40) < 40) &&
           kmember_round(deadline, &m1.k)) {
    }
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
    const char *const as_inst[][2] = {{"group.instance.id", inst}, {NULL}};
    member s1, d;
    member_new(&s1, group, topic, 10, "range", false, as_inst);
    ck_assert_int_eq(kfk_consumer_subscribe(s1.k.c, names, 1), KFK_OK);
    member_new(&d, group, topic, 10, "range", false, NULL);
    ck_assert_int_eq(kfk_consumer_subscribe(d.k.c, names, 1), KFK_OK);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    while ((owned_count(&s1) == 0 || owned_count(&d) == 0 ||
            owned_count(&s1) + owned_count(&d) != NPARTS) &&
           kmember_round(deadline, &s1.k, &d.k)) {
    }
    ck_assert_int_eq(owned_count(&s1) + owned_count(&d), NPARTS);
    bool had[NPARTS];
    for (int p = 0; p < NPARTS; p++)
        had[p] = part(&s1, p).owned;
    int d_revoked = d.k.st.revoked;
    ck_assert_int_eq(kfk_consumer_close(s1.k.c, -1), KFK_OK); /* no LeaveGroup */
    member_free(&s1);
    member_new(&s1, group, topic, 10, "range", false, as_inst);
    ck_assert_int_eq(kfk_consumer_subscribe(s1.k.c, names, 1), KFK_OK);
    while (owned_count(&s1) == 0 && kmember_round(deadline, &s1.k, &d.k)) {
    }
    for (int p = 0; p < NPARTS; p++)
        ck_assert_msg(part(&s1, p).owned == had[p], "partition %d moved", p);
    /* give a rebalance, if one were coming, the time to show */
    int64_t settle = kclus_now_ms() + 3000;
    while (kmember_round(settle, &s1.k, &d.k)) {
    }
    ck_assert_int_eq(d.k.st.revoked, d_revoked);
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
    static const char *const quick[][2] = {{"max.poll.interval.ms", "3000"}, {NULL}};
    member_new(&a, group, topic, 10, "range", false, quick);
    member_new(&b, group, topic, 10, "range", false, quick);
    ck_assert_int_eq(kfk_consumer_subscribe(a.k.c, names, 1), KFK_OK);
    ck_assert_int_eq(kfk_consumer_subscribe(b.k.c, names, 1), KFK_OK);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    while ((owned_count(&a) == 0 || owned_count(&b) == 0) && kmember_round(deadline, &a.k, &b.k)) {
    }
    ck_assert_int_eq(owned_count(&a) + owned_count(&b), NPARTS);
    ck_assert_int_gt(owned_count(&a), 0);
    /* a stops polling */
    int64_t stopped = kclus_now_ms();
    while (owned_count(&b) != NPARTS && kmember_round(deadline, &b.k)) {
    }
    ck_assert_int_eq(owned_count(&b), NPARTS);
    ck_assert_int_ge(kclus_now_ms() - stopped, 2500); /* not before the interval */
    ck_assert_int_eq(a.k.st.lost, 0);
    while ((owned_count(&a) == 0 || owned_count(&b) == NPARTS) &&
           kmember_round(deadline, &a.k, &b.k)) {
    }
    ck_assert_int_eq(a.k.st.lost, 1);
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
    static const char *const meta_1000[][2] = {{"metadata.max.age.ms", "1000"}, {NULL}};
    member_new(&a, group, topic, 10, "range", false, meta_1000);
    ck_assert_int_eq(kfk_consumer_subscribe(a.k.c, names, 1), KFK_OK);
    int64_t deadline = kclus_now_ms() + TIMEOUT_MS;
    while (owned_count(&a) != 2 && kmember_round(deadline, &a.k)) {
    }
    ck_assert_int_eq(owned_count(&a), 2);
    char err[256];
    kfk_admin *ad = kfk_admin_new(kclus_conf(NULL), err, sizeof(err));
    ck_assert_msg(ad != NULL, "%s", err);
    int32_t total = NPARTS;
    kfk_admin_result *res = NULL;
    ck_assert_int_eq(kfk_admin_create_partitions(ad, names, &total, 1,
                                                 &(kfk_admin_options){.timeout_ms = TIMEOUT_MS},
                                                 &res),
                     KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(ad);
    while (owned_count(&a) != NPARTS && kmember_round(deadline, &a.k)) {
    }
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
