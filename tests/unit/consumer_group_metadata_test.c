/* Consumer group metadata (KIP-447): kfk_consumer_group_metadata_new, the
 * accessors and destroy, NULL handling, and what
 * kfk_consumer_get_group_metadata reports of a consumer against the
 * embedded mock cluster: the group, no member before the first join, the
 * join's generation (classic) or member epoch (KIP-848) and member id
 * after it, group.instance.id; and that a member that lost its place
 * keeps offering its last generation and member id until it joins again,
 * never the (-1, "") that the coordinator takes unchecked. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "kplist.h"
#include "proto/gen/consumer_group_heartbeat.h"
#include "proto/gen/join_group.h"
#include "proto/gen/offset_commit.h"

#define WAIT_MS 20000

/* --- the metadata on its own --------------------------------------------------------------- */

START_TEST(test_new_has_the_group_and_no_member)
{
    kfk_consumer_group_metadata *md = kfk_consumer_group_metadata_new("orders");
    ck_assert_ptr_nonnull(md);
    ck_assert_str_eq(kfk_consumer_group_metadata_group_id(md), "orders");
    ck_assert_int_eq(kfk_consumer_group_metadata_generation_id(md), -1);
    ck_assert_str_eq(kfk_consumer_group_metadata_member_id(md), "");
    ck_assert_ptr_null(kfk_consumer_group_metadata_group_instance_id(md));
    kfk_consumer_group_metadata_destroy(md);
}
END_TEST

START_TEST(test_new_copies_the_group_id)
{
    char id[] = "payments";
    kfk_consumer_group_metadata *md = kfk_consumer_group_metadata_new(id);
    ck_assert_ptr_nonnull(md);
    id[0] = 'X';
    ck_assert_str_eq(kfk_consumer_group_metadata_group_id(md), "payments");
    ck_assert_ptr_ne(kfk_consumer_group_metadata_group_id(md), id);
    kfk_consumer_group_metadata_destroy(md);
}
END_TEST

START_TEST(test_new_refuses_a_null_or_empty_group_id)
{
    ck_assert_ptr_null(kfk_consumer_group_metadata_new(NULL));
    ck_assert_ptr_null(kfk_consumer_group_metadata_new(""));
}
END_TEST

START_TEST(test_accessors_of_null)
{
    ck_assert_ptr_null(kfk_consumer_group_metadata_group_id(NULL));
    ck_assert_int_eq(kfk_consumer_group_metadata_generation_id(NULL), -1);
    ck_assert_ptr_null(kfk_consumer_group_metadata_member_id(NULL));
    ck_assert_ptr_null(kfk_consumer_group_metadata_group_instance_id(NULL));
    kfk_consumer_group_metadata_destroy(NULL);
    ck_assert_ptr_null(kfk_consumer_get_group_metadata(NULL));
}
END_TEST

/* --- a consumer's ---------------------------------------------------------------------------- */

static kfk_mock_cluster *mc;

static void setup(void)
{
    mc = kfk_mock_cluster_new(1);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_set_group_session_timeouts(mc, 1000, 120000), KFK_OK);
    ck_assert_int_eq(kfk_mock_set_consumer_group_timeouts(mc, 10000, 200), KFK_OK);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
    mc = NULL;
}

static void set(kfk_conf *conf, const char *name, const char *value)
{
    ck_assert_int_eq(kfk_conf_set(conf, name, value, NULL, 0), KFK_OK);
}

/* A consumer of the mock; group NULL: none. protocol NULL: classic. */
static kfk_consumer *consumer(const char *group, const char *protocol, const char *instance)
{
    kfk_conf *conf = kfk_conf_new();
    set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc));
    set(conf, "log.level", "crit");
    set(conf, "retry.backoff.ms", "50");
    set(conf, "enable.auto.commit", "false");
    if (group) set(conf, "group.id", group);
    if (instance) set(conf, "group.instance.id", instance);
    set(conf, "group.protocol", protocol ? protocol : "classic");
    if (!protocol) set(conf, "heartbeat.interval.ms", "60000"); /* no heartbeat in a test */
    if (!protocol) set(conf, "session.timeout.ms", "100000");
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

static int assignment_size(kfk_consumer *c)
{
    return (int)kpl_assigned(c);
}

/* Subscribes c to t and polls until it owns both partitions. */
static void join(kfk_consumer *c)
{
    const char *names[] = {"t"};
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_OK);
    int64_t until = ktime_mono_ms() + WAIT_MS;
    while (assignment_size(c) < 2) {
        ck_assert_msg(ktime_mono_ms() < until, "no assignment");
        kfk_message *m = kfk_consumer_poll(c, 20);
        kfk_message_release(m);
    }
}

/* Checks that md is c's membership: group, a generation (epoch) above 0
 * and c's member id; returns the generation. */
static int32_t expect_member(kfk_consumer *c, const kfk_consumer_group_metadata *md,
                             const char *group)
{
    ck_assert_ptr_nonnull(md);
    ck_assert_str_eq(kfk_consumer_group_metadata_group_id(md), group);
    ck_assert_int_gt(kfk_consumer_group_metadata_generation_id(md), 0);
    char id[256];
    kfk_consumer_member_id(c, id, sizeof(id));
    ck_assert_str_ne(id, "");
    ck_assert_str_eq(kfk_consumer_group_metadata_member_id(md), id);
    return kfk_consumer_group_metadata_generation_id(md);
}

START_TEST(test_a_consumer_without_a_group_has_none)
{
    kfk_consumer *c = consumer(NULL, NULL, NULL);
    ck_assert_ptr_null(kfk_consumer_get_group_metadata(c));
    kfk_consumer_destroy(c);
}
END_TEST

START_TEST(test_before_the_first_join)
{
    kfk_consumer *c = consumer("g", NULL, "inst-1");
    kfk_consumer_group_metadata *md = kfk_consumer_get_group_metadata(c);
    ck_assert_ptr_nonnull(md);
    ck_assert_str_eq(kfk_consumer_group_metadata_group_id(md), "g");
    ck_assert_int_eq(kfk_consumer_group_metadata_generation_id(md), -1);
    ck_assert_str_eq(kfk_consumer_group_metadata_member_id(md), "");
    ck_assert_str_eq(kfk_consumer_group_metadata_group_instance_id(md), "inst-1");
    kfk_consumer_group_metadata_destroy(md);
    kfk_consumer_destroy(c);
}
END_TEST

static void after_join(const char *protocol)
{
    kfk_consumer *c = consumer("g", protocol, NULL);
    join(c);
    kfk_consumer_group_metadata *md = kfk_consumer_get_group_metadata(c);
    expect_member(c, md, "g");
    ck_assert_ptr_null(kfk_consumer_group_metadata_group_instance_id(md));
    /* A copy: it outlives the consumer. */
    kfk_consumer_destroy(c);
    ck_assert_str_eq(kfk_consumer_group_metadata_group_id(md), "g");
    kfk_consumer_group_metadata_destroy(md);
}

START_TEST(test_classic_after_join)
{
    after_join(NULL);
}
END_TEST

START_TEST(test_kip848_after_join)
{
    after_join("consumer");
}
END_TEST

START_TEST(test_static_member_reports_its_instance_id)
{
    kfk_consumer *c = consumer("g", NULL, "inst-7");
    join(c);
    kfk_consumer_group_metadata *md = kfk_consumer_get_group_metadata(c);
    expect_member(c, md, "g");
    ck_assert_str_eq(kfk_consumer_group_metadata_group_instance_id(md), "inst-7");
    kfk_consumer_group_metadata_destroy(md);
    kfk_consumer_destroy(c);
}
END_TEST

typedef struct watcher {
    kfk_consumer *c;
    atomic_bool stop;
    int snapshots, bad; /* bad: a generation without a member id, or the reverse */
} watcher;

static void *watch(void *arg)
{
    watcher *w = arg;
    while (!atomic_load(&w->stop)) {
        kfk_consumer_group_metadata *md = kfk_consumer_get_group_metadata(w->c);
        int32_t gen = kfk_consumer_group_metadata_generation_id(md);
        const char *id = kfk_consumer_group_metadata_member_id(md);
        if (!md || (gen > 0) != (id && id[0] != '\0')) w->bad++;
        w->snapshots++;
        kfk_consumer_group_metadata_destroy(md);
    }
    return NULL;
}

/* Another thread takes snapshots while the consumer joins: each is
 * before the first join (-1, "") or a join's pair, never half of each. */
static void snapshots_while_joining(const char *protocol)
{
    watcher w = {.c = consumer("g", protocol, NULL)};
    atomic_init(&w.stop, false);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, watch, &w), 0);
    join(w.c);
    atomic_store(&w.stop, true);
    pthread_join(th, NULL);
    ck_assert_int_gt(w.snapshots, 0);
    ck_assert_int_eq(w.bad, 0);
    kfk_consumer_destroy(w.c);
}

START_TEST(test_classic_snapshots_from_another_thread)
{
    snapshots_while_joining(NULL);
}
END_TEST

START_TEST(test_kip848_snapshots_from_another_thread)
{
    snapshots_while_joining("consumer");
}
END_TEST

/* ILLEGAL_GENERATION on a commit resets the generation and rejoins; the
 * JoinGroup errors hold the rejoin back. Meanwhile the metadata is the
 * old join's; then the new one's. */
START_TEST(test_classic_keeps_the_last_join_until_the_next)
{
    kfk_consumer *c = consumer("g", NULL, NULL);
    join(c);
    kfk_consumer_group_metadata *md = kfk_consumer_get_group_metadata(c);
    int32_t gen = expect_member(c, md, "g");
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_JOIN_GROUP, 3, KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS),
        KFK_OK);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_ILLEGAL_GENERATION),
        KFK_OK);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_OFFSET_COMMIT, 1, KFK_ERR_ILLEGAL_GENERATION),
                     KFK_OK);
    ck_assert_int_eq(kpl_commit(c, "t", 0, 1, 0), KFK_ERR_ILLEGAL_GENERATION);
    kfk_consumer_group_metadata *during = kfk_consumer_get_group_metadata(c);
    ck_assert_int_eq(kfk_consumer_group_metadata_generation_id(during), gen);
    ck_assert_str_eq(kfk_consumer_group_metadata_member_id(during),
                     kfk_consumer_group_metadata_member_id(md));
    kfk_consumer_group_metadata_destroy(during);
    int64_t until = ktime_mono_ms() + WAIT_MS;
    int32_t now = gen;
    while (now == gen) {
        ck_assert_msg(ktime_mono_ms() < until, "no new generation");
        kfk_message_release(kfk_consumer_poll(c, 20));
        kfk_consumer_group_metadata *after = kfk_consumer_get_group_metadata(c);
        now = kfk_consumer_group_metadata_generation_id(after);
        kfk_consumer_group_metadata_destroy(after);
    }
    ck_assert_int_gt(now, gen);
    kfk_consumer_group_metadata_destroy(md);
    kfk_consumer_destroy(c);
}
END_TEST

/* A fenced KIP-848 member rejoins with epoch 0; the heartbeat errors hold
 * the rejoin back. Meanwhile the metadata keeps the last epoch, as Java's
 * reports only positive epochs. */
START_TEST(test_kip848_keeps_the_last_epoch_while_rejoining)
{
    kfk_consumer *c = consumer("g", "consumer", NULL);
    join(c);
    kfk_consumer_group_metadata *md = kfk_consumer_get_group_metadata(c);
    int32_t epoch = expect_member(c, md, "g");
    kfk_mock_reset_request_counts(mc);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT, 1,
                                          KFK_ERR_FENCED_MEMBER_EPOCH),
                     KFK_OK);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT, 5,
                                          KFK_ERR_COORDINATOR_NOT_AVAILABLE),
                     KFK_OK);
    /* The fence and at least one failed join. */
    int64_t until = ktime_mono_ms() + WAIT_MS;
    while (kfk_mock_request_count(mc, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT) < 3) {
        ck_assert_msg(ktime_mono_ms() < until, "no heartbeats");
        kfk_message_release(kfk_consumer_poll(c, 20));
    }
    kfk_consumer_group_metadata *during = kfk_consumer_get_group_metadata(c);
    ck_assert_int_eq(kfk_consumer_group_metadata_generation_id(during), epoch);
    ck_assert_str_eq(kfk_consumer_group_metadata_member_id(during),
                     kfk_consumer_group_metadata_member_id(md));
    kfk_consumer_group_metadata_destroy(during);
    /* The errors used up, and a heartbeat that joined. */
    while (kfk_mock_request_count(mc, KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT) < 8) {
        ck_assert_msg(ktime_mono_ms() < until + WAIT_MS, "no rejoin");
        kfk_message_release(kfk_consumer_poll(c, 20));
    }
    kfk_consumer_group_metadata *after = kfk_consumer_get_group_metadata(c);
    expect_member(c, after, "g");
    kfk_consumer_group_metadata_destroy(after);
    kfk_consumer_group_metadata_destroy(md);
    kfk_consumer_destroy(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("consumer_group_metadata");
    TCase *t = tcase_create("metadata");
    tcase_add_test(t, test_new_has_the_group_and_no_member);
    tcase_add_test(t, test_new_copies_the_group_id);
    tcase_add_test(t, test_new_refuses_a_null_or_empty_group_id);
    tcase_add_test(t, test_accessors_of_null);
    suite_add_tcase(s, t);
    t = tcase_create("consumer");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_a_consumer_without_a_group_has_none);
    tcase_add_test(t, test_before_the_first_join);
    tcase_add_test(t, test_classic_after_join);
    tcase_add_test(t, test_kip848_after_join);
    tcase_add_test(t, test_static_member_reports_its_instance_id);
    tcase_add_test(t, test_classic_snapshots_from_another_thread);
    tcase_add_test(t, test_kip848_snapshots_from_another_thread);
    tcase_add_test(t, test_classic_keeps_the_last_join_until_the_next);
    tcase_add_test(t, test_kip848_keeps_the_last_epoch_while_rejoining);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
