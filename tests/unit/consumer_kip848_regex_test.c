/* Regex subscriptions with group.protocol=consumer (KIP-848) against the
 * in-process mock: the broker resolves the regex, so
 *  - the regex a heartbeat carries is the subscription's even when the
 *    client re-matches its subscription (a metadata refresh) between
 *    building the heartbeat and sending it (the request owns its strings);
 *  - the client does not judge the regex: an RE2/J pattern POSIX does not
 *    know (\d, \w) is sent as it is and resolved by the broker, and one the
 *    broker refuses is INVALID_REGULAR_EXPRESSION, handed out by poll as a
 *    group error;
 *  - the classic protocol matches on the client, reading \d, \w and (?i)
 *    as Java does, and refuses what it cannot compile. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kfk.h"
#include "kfk_mock.h"
#include "kmember.h"
#include "ktest.h"
#include "proto/gen/find_coordinator.h"

#define WAIT_MS 20000

static kfk_mock_cluster *mc;

static void setup(void)
{
    mc = kfk_mock_cluster_new(3);
    ck_assert_ptr_nonnull(mc);
    /* Sessions far longer than any wait: nothing moves by expiry. */
    ck_assert_int_eq(kfk_mock_set_consumer_group_timeouts(mc, 60000, 100), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "ra", 2, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "rb", 3, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "r7", 1, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "other", 2, 1), KFK_OK);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
}

static kfk_conf *conf_of(const char *protocol)
{
    const char *const kv[][2] = {{"group.protocol", protocol}, {NULL}};
    return kmember_conf(kfk_mock_cluster_bootstrap(mc), "rg", kv, NULL);
}

static kfk_consumer *new_consumer(const char *protocol)
{
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf_of(protocol), err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

/* A member subscribed to regex, polled by a thread of its own. */
static void start_with(kmember *m, const char *protocol, const char *regex)
{
    kmember_start(m, conf_of(protocol), &(kmember_opts){.pattern = regex, .thread = true});
}

static void start(kmember *m, const char *regex)
{
    start_with(m, "consumer", regex);
}

/* Whether m owns exactly ra, rb, r7 and other partitions as given; fails
 * the test on a group error. */
static bool owns(kmember *m, int ra, int rb, int r7, int other)
{
    kmember_state s = kmember_snapshot(m);
    ck_assert_msg(!s.group_err, "group error %s", kfk_err_name(s.group_err));
    ck_assert_msg(!s.bad[0], "%s", s.bad);
    int a = kmember_state_owned(&s, "ra"), b = kmember_state_owned(&s, "rb");
    int r = kmember_state_owned(&s, "r7");
    return a == ra && b == rb && r == r7 && kmember_state_owned(&s, NULL) - a - b - r == other;
}

/* The flaky integration test's cause, made certain: the join heartbeat is
 * built at once, but waits for the coordinator lookup (here: refused a few
 * times) before it is encoded. Meanwhile the all-topics metadata arrives,
 * the poll re-matches the subscription and the core replaces its copy of
 * the regex. The join must still carry "r[a-z]", not freed memory (which
 * the allocator hands to the next small string: a topic name, so that the
 * broker assigned one topic, or nothing, and never anything else). */
START_TEST(test_join_carries_the_regex_when_the_subscription_is_rematched_before_it_is_sent)
{
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_FIND_COORDINATOR, 4,
                                          KFK_ERR_COORDINATOR_NOT_AVAILABLE),
                     KFK_OK);
    kmember m;
    start(&m, "r[a-z]");
    KMEMBER_UNTIL(WAIT_MS, owns(&m, 2, 3, 0, 0), &m);
    kmember_destroy(&m);
}
END_TEST

/* \d is RE2/J (and Java), not POSIX: the client sends it unjudged and
 * the broker resolves it. */
START_TEST(test_re2_classes_are_left_to_the_broker)
{
    kmember m;
    start(&m, "r\\d");
    KMEMBER_UNTIL(WAIT_MS, owns(&m, 0, 0, 1, 0), &m);
    kmember_destroy(&m);
    start(&m, "(?i)R\\w");
    KMEMBER_UNTIL(WAIT_MS, owns(&m, 2, 3, 1, 0), &m);
    kmember_destroy(&m);
    start(&m, "r\\D");
    KMEMBER_UNTIL(WAIT_MS, owns(&m, 2, 3, 0, 0), &m);
    kmember_destroy(&m);
    start(&m, "r[\\da]");
    KMEMBER_UNTIL(WAIT_MS, owns(&m, 2, 0, 1, 0), &m);
    kmember_destroy(&m);
}
END_TEST

/* A regex the broker refuses: subscribe takes it, the heartbeat gets
 * INVALID_REGULAR_EXPRESSION, and poll hands it out as a group error (as
 * Java's poll throws InvalidRegularExpression); nothing is assigned. */
START_TEST(test_regex_the_broker_refuses_is_a_group_error)
{
    kmember m;
    start(&m, "(");
    KMEMBER_UNTIL(WAIT_MS, kmember_group_err(&m) != KFK_OK, &m);
    ck_assert_int_eq(kmember_group_err(&m), KFK_ERR_INVALID_REGULAR_EXPRESSION);
    ck_assert_int_eq(kmember_owned(&m, NULL), 0);
    kmember_destroy(&m);
}
END_TEST

/* Classic matches on the client, with Java's meaning of the classes and
 * of (?i) (java.util.regex, as Java's classic subscribe(Pattern)), not
 * POSIX's, which reads \d as a plain d. */
START_TEST(test_classic_matches_java_classes)
{
    kmember m;
    start_with(&m, "classic", "r\\d");
    KMEMBER_UNTIL(WAIT_MS, owns(&m, 0, 0, 1, 0), &m);
    kmember_destroy(&m);
    start_with(&m, "classic", "(?i)R\\w");
    KMEMBER_UNTIL(WAIT_MS, owns(&m, 2, 3, 1, 0), &m);
    kmember_destroy(&m);
}
END_TEST

/* Classic matches on the client: a regex it cannot compile, or whose
 * syntax it would misread (\b), is refused by subscribe itself. */
START_TEST(test_classic_refuses_a_regex_it_cannot_compile)
{
    kfk_consumer *c = new_consumer("classic");
    ck_assert_int_eq(kfk_consumer_subscribe_pattern(c, "("), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_subscribe_pattern(c, "r\\b"), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_subscribe_pattern(c, "r[ab]"), KFK_OK);
    kfk_consumer_destroy(c);
    c = new_consumer("consumer");
    ck_assert_int_eq(kfk_consumer_subscribe_pattern(c, "("), KFK_OK);
    ck_assert_int_eq(kfk_consumer_subscribe_pattern(c, ""), KFK_ERR_INVALID_ARG);
    char **subs;
    size_t n;
    ck_assert_int_eq(kfk_consumer_subscription(c, &subs, &n), KFK_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(subs[0], "(");
    kfk_topic_names_free(subs, n);
    kfk_consumer_destroy(c);
}
END_TEST

static Suite *kip848_regex_suite(void)
{
    Suite *s = suite_create("consumer_kip848_regex");
    TCase *tc = tcase_create("mock");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_join_carries_the_regex_when_the_subscription_is_rematched_before_it_is_sent);
    tcase_add_test(tc, test_re2_classes_are_left_to_the_broker);
    tcase_add_test(tc, test_regex_the_broker_refuses_is_a_group_error);
    tcase_add_test(tc, test_classic_matches_java_classes);
    tcase_add_test(tc, test_classic_refuses_a_regex_it_cannot_compile);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(kip848_regex_suite());
}
