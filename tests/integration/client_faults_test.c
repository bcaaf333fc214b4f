/* The client core and the admin client under faults injected into an
 * in-process mock cluster (include/kfk_mock.h): slow brokers and request
 * deadlines, brokers going down and coming back, dropped connections,
 * retriable and terminal errors, coordinators not yet available, leaders
 * moving. Each test starts its own mock cluster, whatever
 * KFK_TEST_BOOTSTRAP says: the faults need the mock's controls. */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "client/client.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "proto/gen/all.h"

static int64_t ms_since(int64_t start_ns)
{
    return (ktime_mono_ns() - start_ns) / KTIME_NS_PER_MS;
}

static kfk_conf *conf_for(kfk_mock_cluster *mc, const char *const *kv)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), err, sizeof(err)),
        0);
    /* Quick reconnects keep the tests short. */
    kfk_conf_set(conf, "reconnect.backoff.ms", "20", NULL, 0);
    kfk_conf_set(conf, "reconnect.backoff.max.ms", "200", NULL, 0);
    kfk_conf_set(conf, "retry.backoff.ms", "20", NULL, 0);
    kfk_conf_set(conf, "retry.backoff.max.ms", "200", NULL, 0);
    kfk_conf_set(conf, "log.level", getenv("KFK_TEST_DEBUG") ? "debug" : "err", NULL, 0);
    for (; kv && kv[0]; kv += 2)
        ck_assert_msg(kfk_conf_set(conf, kv[0], kv[1], err, sizeof(err)) == 0, "%s", err);
    return conf;
}

static kfk_admin *admin_for(kfk_mock_cluster *mc, const char *const *kv)
{
    char err[512];
    kfk_admin *a = kfk_admin_new(conf_for(mc, kv), err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    return a;
}

static size_t broker_count(kfk_admin *a)
{
    kfk_metadata *md;
    if (kfk_admin_describe_cluster(a, &(kfk_admin_options){.timeout_ms = 5000}, &md)) return 0;
    size_t n = kfk_metadata_broker_count(md);
    kfk_metadata_destroy(md);
    return n;
}

/* Waits (bounded) until the cluster lists want brokers. */
static void await_brokers(kfk_admin *a, size_t want)
{
    int64_t start = ktime_mono_ns();
    while (broker_count(a) != want) {
        ck_assert_msg(ms_since(start) < 15000, "the cluster never listed %zu brokers", want);
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* --- deadlines --------------------------------------------------------------- */

START_TEST(test_slow_broker_times_out_at_the_deadline)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    kfk_admin *a = admin_for(mc, (const char *const[]){"request.timeout.ms", "1000", NULL});
    kfk_metadata *md;
    ck_assert_int_eq(
        kfk_admin_list_topics(a, NULL, 0, &(kfk_admin_options){.timeout_ms = 5000}, &md),
        KFK_OK); /* connected */
    kfk_metadata_destroy(md);
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 1, 3000), KFK_OK);
    int64_t start = ktime_mono_ns();
    ck_assert_int_eq(
        kfk_admin_list_topics(a, NULL, 0, &(kfk_admin_options){.timeout_ms = 1000}, &md),
        KFK_ERR_TIMED_OUT);
    int64_t ms = ms_since(start);
    ck_assert_int_ge(ms, 1000);
    ck_assert_int_lt(ms, 2000);
    ck_assert_ptr_null(md);
    /* A longer call: each request times out at request.timeout.ms and is
     * sent again until the call's own deadline. */
    start = ktime_mono_ns();
    ck_assert_int_eq(
        kfk_admin_list_topics(a, NULL, 0, &(kfk_admin_options){.timeout_ms = 2500}, &md),
        KFK_ERR_TIMED_OUT);
    ms = ms_since(start);
    ck_assert_int_ge(ms, 2500);
    ck_assert_int_lt(ms, 3500);
    ck_assert_int_ge(kfk_mock_request_count(mc, KFK_MOCK_API_METADATA), 3);
    /* Fast again: the client recovers. */
    kfk_mock_broker_set_rtt(mc, 1, 0);
    ck_assert_int_eq(
        kfk_admin_list_topics(a, NULL, 0, &(kfk_admin_options){.timeout_ms = 5000}, &md), KFK_OK);
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* --- brokers going away ------------------------------------------------------------ */

START_TEST(test_broker_down_and_back_leaves_no_fds_or_threads)
{
    /* Warm up: sanitizer runtimes start a thread of their own with the
     * first thread the process creates. */
    kfk_mock_cluster_destroy(kfk_mock_cluster_new(1));
    int fds = ktest_count_dir("/proc/self/fd"), threads = ktest_count_dir("/proc/self/task");
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 3, 3), KFK_OK);
    int mock_fds = ktest_count_dir("/proc/self/fd"), mock_threads = ktest_count_dir("/proc/self/task");
    kfk_admin *a = admin_for(mc, NULL);
    await_brokers(a, 3);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 2, true), KFK_OK);
    await_brokers(a, 2);
    kfk_metadata *md;
    const char *t = "t";
    ck_assert_int_eq(kfk_admin_list_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = 5000}, &md),
                     KFK_OK);
    for (size_t p = 0; p < kfk_metadata_partition_count(md, 0); p++)
        ck_assert_int_ne(kfk_metadata_partition_leader(md, 0, p), 2);
    kfk_metadata_destroy(md);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 2, false), KFK_OK);
    await_brokers(a, 3);
    /* Every connection dropped at once: the next calls reconnect. */
    for (int32_t b = 1; b <= 3; b++)
        kfk_mock_broker_drop_connections(mc, b);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(
            kfk_admin_list_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = 5000}, &md), KFK_OK);
        kfk_metadata_destroy(md);
    }
    ck_assert_int_ge(ktest_count_dir("/proc/self/fd"), mock_fds);
    kfk_admin_destroy(a);
    /* The mock closes its side of each connection when it sees the EOF. */
    int64_t start = ktime_mono_ns();
    while (ktest_count_dir("/proc/self/fd") != mock_fds) {
        ck_assert_msg(ms_since(start) < 2000, "%d fds, %d before the client",
                      ktest_count_dir("/proc/self/fd"), mock_fds);
        struct timespec pause = {0, 5 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    ck_assert_int_eq(ktest_count_dir("/proc/self/task"), mock_threads);
    kfk_mock_cluster_destroy(mc);
    ck_assert_int_eq(ktest_count_dir("/proc/self/fd"), fds);
    ck_assert_int_eq(ktest_count_dir("/proc/self/task"), threads);
}
END_TEST

START_TEST(test_whole_cluster_down_then_up)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(2);
    kfk_admin *a = admin_for(mc, NULL);
    await_brokers(a, 2);
    kfk_mock_broker_set_down(mc, 1, true);
    kfk_mock_broker_set_down(mc, 2, true);
    kfk_metadata *md;
    int64_t start = ktime_mono_ns();
    ck_assert_int_eq(
        kfk_admin_list_topics(a, NULL, 0, &(kfk_admin_options){.timeout_ms = 800}, &md),
        KFK_ERR_TIMED_OUT);
    ck_assert_int_ge(ms_since(start), 800);
    kfk_mock_broker_set_down(mc, 1, false);
    kfk_mock_broker_set_down(mc, 2, false);
    /* Reconnects with backoff (at most 200 ms here) and works again. */
    ck_assert_int_eq(
        kfk_admin_list_topics(a, NULL, 0, &(kfk_admin_options){.timeout_ms = 5000}, &md), KFK_OK);
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static atomic_int no_brokers_reports;

static void count_no_brokers(void *opaque, void *handle, kfk_err err, const char *reason)
{
    (void)handle;
    (void)opaque;
    ck_assert_ptr_nonnull(strstr(reason, "all brokers are down"));
    if (err == KFK_ERR_NO_BROKERS) atomic_fetch_add(&no_brokers_reports, 1);
}

/* Whole cluster down: error_cb hears KFK_ERR_NO_BROKERS once per outage,
 * however many reconnects fail during it. */
START_TEST(test_all_brokers_down_is_reported_once_per_outage)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(2);
    kfk_conf *conf = conf_for(mc, NULL);
    kfk_conf_set_error_cb(conf, count_no_brokers, NULL);
    char err[256];
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    await_brokers(a, 2);
    kfk_metadata *md;
    for (int outage = 1; outage <= 2; outage++) {
        kfk_mock_broker_set_down(mc, 1, true);
        kfk_mock_broker_set_down(mc, 2, true);
        /* several failed reconnects (backoff at most 200 ms here) */
        ck_assert_int_eq(
            kfk_admin_list_topics(a, NULL, 0, &(kfk_admin_options){.timeout_ms = 1500}, &md),
            KFK_ERR_TIMED_OUT);
        ck_assert_int_eq(atomic_load(&no_brokers_reports), outage);
        kfk_mock_broker_set_down(mc, 1, false);
        kfk_mock_broker_set_down(mc, 2, false);
        ck_assert_int_eq(
            kfk_admin_list_topics(a, NULL, 0, &(kfk_admin_options){.timeout_ms = 5000}, &md),
            KFK_OK);
        kfk_metadata_destroy(md);
        ck_assert_int_eq(atomic_load(&no_brokers_reports), outage);
    }
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* --- injected errors ------------------------------------------------------------------ */

static kfk_err create(kfk_admin *a, const char *name, kfk_admin_result **res)
{
    kfk_new_topic *t = kfk_new_topic_new(name, 2, -1);
    kfk_err err = kfk_admin_create_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = 5000}, res);
    kfk_new_topic_destroy(t);
    return err;
}

START_TEST(test_retriable_errors_are_retried)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    kfk_admin *a = admin_for(mc, (const char *const[]){"request.timeout.ms", "500", NULL});
    kfk_admin_result *res;
    kfk_metadata *md;
    ck_assert_int_eq(
        kfk_admin_list_topics(a, NULL, 0, &(kfk_admin_options){.timeout_ms = 5000}, &md), KFK_OK);
    kfk_metadata_destroy(md);

    /* The controller moved, twice: the topic goes again. */
    kfk_mock_reset_request_counts(mc);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_CREATE_TOPICS, 2, KFK_ERR_NOT_CONTROLLER), KFK_OK);
    ck_assert_int_eq(create(a, "retried", &res), KFK_OK);
    kfk_admin_result_destroy(res);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_CREATE_TOPICS), 3);

    /* The connection closes under a request: sent again on a new one.
     * (CreateTopics: the client's own refreshes send Metadata too.) */
    kfk_mock_reset_request_counts(mc);
    kfk_mock_push_errors(mc, KFK_MOCK_API_CREATE_TOPICS, 2, KFK_ERR_TRANSPORT);
    ck_assert_int_eq(create(a, "after-transport", &res), KFK_OK);
    kfk_admin_result_destroy(res);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_CREATE_TOPICS), 3);

    /* No answer at all: the request times out and is sent again. */
    kfk_mock_reset_request_counts(mc);
    kfk_mock_push_errors(mc, KFK_MOCK_API_CREATE_TOPICS, 1, KFK_ERR_TIMED_OUT);
    int64_t start = ktime_mono_ns();
    ck_assert_int_eq(create(a, "after-timeout", &res), KFK_OK);
    kfk_admin_result_destroy(res);
    ck_assert_int_ge(ms_since(start), 500);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_CREATE_TOPICS), 2);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* retries bounds both kinds of retry: a topic the controller asks to
 * send again, and a request whose connection failed. */
START_TEST(test_retries_bounds_the_admin_retries)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    kfk_admin *a = admin_for(mc, (const char *const[]){"retries", "1", NULL});
    kfk_admin_result *res;
    kfk_mock_push_errors(mc, KFK_MOCK_API_CREATE_TOPICS, 2, KFK_ERR_NOT_CONTROLLER);
    ck_assert_int_eq(create(a, "moved", &res), KFK_ERR_NOT_CONTROLLER);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_ERR_NOT_CONTROLLER);
    kfk_admin_result_destroy(res);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_CREATE_TOPICS), 2);

    kfk_mock_reset_request_counts(mc);
    kfk_mock_push_errors(mc, KFK_MOCK_API_CREATE_TOPICS, 2, KFK_ERR_TRANSPORT);
    ck_assert_int_eq(create(a, "dropped", &res), KFK_ERR_TRANSPORT);
    kfk_admin_result_destroy(res);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_CREATE_TOPICS), 2);
    kfk_admin_destroy(a);

    a = admin_for(mc, (const char *const[]){"retries", "0", NULL});
    kfk_mock_reset_request_counts(mc);
    kfk_mock_push_errors(mc, KFK_MOCK_API_CREATE_TOPICS, 1, KFK_ERR_NOT_CONTROLLER);
    ck_assert_int_eq(create(a, "moved", &res), KFK_ERR_NOT_CONTROLLER);
    kfk_admin_result_destroy(res);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_CREATE_TOPICS), 1);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_terminal_errors_surface_at_once)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    kfk_admin *a = admin_for(mc, NULL);
    kfk_admin_result *res;
    kfk_mock_push_errors(mc, KFK_MOCK_API_CREATE_TOPICS, 1, KFK_ERR_POLICY_VIOLATION);
    int64_t start = ktime_mono_ns();
    ck_assert_int_eq(create(a, "refused", &res), KFK_ERR_POLICY_VIOLATION);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_ERR_POLICY_VIOLATION);
    kfk_admin_result_destroy(res);
    ck_assert_int_lt(ms_since(start), 2000);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_CREATE_TOPICS), 1);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* --- calls through the client core ------------------------------------------------------ */

typedef struct outcome {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    kfk_err err;
    int32_t sent_to;
    int attempts;
} outcome;

static void on_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)resp;
    (void)arena;
    outcome *o = call->opaque;
    pthread_mutex_lock(&o->lock);
    o->err = err;
    o->sent_to = call->sent_to;
    o->attempts = call->attempts;
    o->done = true;
    pthread_cond_broadcast(&o->cond);
    pthread_mutex_unlock(&o->lock);
}

static void run(kclient *c, kcall *call, outcome *o)
{
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->cond, NULL);
    o->done = false;
    kcall_start(c, call);
    pthread_mutex_lock(&o->lock);
    while (!o->done)
        pthread_cond_wait(&o->cond, &o->lock); /* a call always ends by its deadline */
    pthread_mutex_unlock(&o->lock);
}

static kfk_err partition_error(kcall *call, void *resp)
{
    (void)call;
    const kp_list_offsets_response *r = resp;
    if (r->n_topics != 1 || r->topics[0].n_partitions != 1) return KFK_ERR_MALFORMED;
    return (kfk_err)r->topics[0].partitions[0].error_code;
}

START_TEST(test_leader_move_reroutes_the_call)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "moving", 1, 3), KFK_OK);
    char err[256];
    kclient *c = kclient_new(conf_for(mc, NULL), KCONF_CONSUMER, NULL, err, sizeof(err));
    ck_assert_ptr_nonnull(c);
    const char *names[] = {"moving"};
    kclient_want_topics(c, names, 1);
    kp_list_offsets_request req;
    kp_list_offsets_request_init(&req);
    req.replica_id = -1;
    kp_list_offsets_request_list_offsets_topic t;
    kp_list_offsets_request_list_offsets_topic_init(&t);
    kp_list_offsets_request_list_offsets_partition p;
    kp_list_offsets_request_list_offsets_partition_init(&p);
    p.timestamp = -1; /* latest */
    t.name = kwire_cstr("moving");
    t.partitions = &p;
    t.n_partitions = 1;
    req.topics = &t;
    req.n_topics = 1;
    kcall call;
    outcome o;
    kcall_init(&call, &kp_list_offsets_client, &req, on_done, &o);
    call.route = KROUTE_LEADER;
    call.topic = "moving";
    call.partition = 0;
    call.check = partition_error;
    call.deadline_ns = kclient_deadline(5000);
    run(c, &call, &o);
    ck_assert_int_eq(o.err, KFK_OK);
    int32_t first = o.sent_to;
    int32_t next = first % 3 + 1;
    ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "moving", 0, next), KFK_OK);
    /* The old leader answers NOT_LEADER_OR_FOLLOWER; the refresh finds the
     * new one and the call goes there. */
    call.deadline_ns = kclient_deadline(5000);
    run(c, &call, &o);
    ck_assert_int_eq(o.err, KFK_OK);
    ck_assert_int_eq(o.sent_to, next);
    ck_assert_int_ge(o.attempts, 2);
    kclient_destroy(c);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_coordinator_not_available_is_waited_out)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    char err[256];
    kclient *c = kclient_new(conf_for(mc, NULL), KCONF_CONSUMER, NULL, err, sizeof(err));
    ck_assert_ptr_nonnull(c);
    kfk_mock_push_errors(mc, KFK_MOCK_API_FIND_COORDINATOR, 3, KFK_ERR_COORDINATOR_NOT_AVAILABLE);
    kp_metadata_request body;
    kp_metadata_request_init(&body);
    body.n_topics = 0;
    kcall call;
    outcome o;
    kcall_init(&call, &kp_metadata_client, &body, on_done, &o);
    call.route = KROUTE_COORDINATOR;
    call.coord_type = 0;
    call.coord_key = "a-group";
    call.deadline_ns = kclient_deadline(5000);
    run(c, &call, &o);
    ck_assert_int_eq(o.err, KFK_OK);
    ck_assert_int_ge(o.sent_to, 1);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_FIND_COORDINATOR), 4);
    /* Cached: the next call goes straight there. */
    call.deadline_ns = kclient_deadline(5000);
    run(c, &call, &o);
    ck_assert_int_eq(o.err, KFK_OK);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_FIND_COORDINATOR), 4);
    kclient_destroy(c);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_refresh_runs_periodically_and_coalesces_triggers)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    char err[256];
    kclient *c = kclient_new(conf_for(mc, (const char *const[]){"metadata.max.age.ms", "200",
                                                                "retry.backoff.ms", "100", NULL}),
                             KCONF_ADMIN, NULL, err, sizeof(err));
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(kclient_refresh_wait(c, 5000), KFK_OK);
    /* Periodic: a refresh every 200 ms without anyone asking. */
    kfk_mock_reset_request_counts(mc);
    int64_t start = ktime_mono_ns();
    while (kfk_mock_request_count(mc, KFK_MOCK_API_METADATA) < 3) {
        ck_assert_msg(ms_since(start) < 3000, "no periodic refresh");
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    ck_assert_int_ge(ms_since(start), 400);
    kclient_destroy(c);

    /* Coalesced: a storm of triggers makes a handful of requests, spaced
     * by retry.backoff.ms, not one each. */
    c = kclient_new(conf_for(mc, (const char *const[]){"retry.backoff.ms", "100", NULL}),
                    KCONF_ADMIN, NULL, err, sizeof(err));
    ck_assert_int_eq(kclient_refresh_wait(c, 5000), KFK_OK);
    kfk_mock_reset_request_counts(mc);
    start = ktime_mono_ns();
    for (int i = 0; i < 1000; i++)
        kclient_refresh(c, "storm");
    ck_assert_int_eq(kclient_refresh_wait(c, 5000), KFK_OK);
    int64_t n = kfk_mock_request_count(mc, KFK_MOCK_API_METADATA);
    ck_assert_int_ge(n, 1);
    ck_assert_int_le(n, 1 + ms_since(start) / 100 + 1);
    kclient_destroy(c);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static bool has_bootstrap_entries(kclient *c)
{
    kbroker **v;
    int n = kclient_brokers(c, &v);
    bool found = false;
    for (int i = 0; i < n; i++) {
        found |= v[i]->id < 0;
        kbroker_unref(v[i]);
    }
    free(v);
    return found;
}

START_TEST(test_unreachable_cluster_starts_over_from_bootstrap)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    char err[256];
    kclient *c =
        kclient_new(conf_for(mc, (const char *const[]){"metadata.recovery.rebootstrap.trigger.ms",
                                                       "300", "request.timeout.ms", "200", NULL}),
                    KCONF_ADMIN, NULL, err, sizeof(err));
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(kclient_refresh_wait(c, 5000), KFK_OK);
    ck_assert(!has_bootstrap_entries(c)); /* real ids took over */
    kfk_mock_broker_set_down(mc, 1, true);
    /* The 20 s bounds only catch a client that never recovers; a sanitizer
     * build on cores shared with brokers can need several seconds. */
    int64_t start = ktime_mono_ns();
    while (!has_bootstrap_entries(c)) {
        ck_assert_msg(ms_since(start) < 20000, "never rebootstrapped");
        kclient_refresh_wait(c, 500);
    }
    ck_assert_int_ge(ms_since(start), 300);
    kfk_mock_broker_set_down(mc, 1, false);
    start = ktime_mono_ns();
    while (has_bootstrap_entries(c)) { /* a refresh succeeds: real ids again */
        ck_assert_msg(ms_since(start) < 20000, "bootstrap entries never retired");
        kclient_refresh_wait(c, 500);
    }
    kclient_destroy(c);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("client_faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_slow_broker_times_out_at_the_deadline);
    tcase_add_test(tc, test_broker_down_and_back_leaves_no_fds_or_threads);
    tcase_add_test(tc, test_whole_cluster_down_then_up);
    tcase_add_test(tc, test_all_brokers_down_is_reported_once_per_outage);
    tcase_add_test(tc, test_retriable_errors_are_retried);
    tcase_add_test(tc, test_terminal_errors_surface_at_once);
    tcase_add_test(tc, test_retries_bounds_the_admin_retries);
    tcase_add_test(tc, test_leader_move_reroutes_the_call);
    tcase_add_test(tc, test_coordinator_not_available_is_waited_out);
    tcase_add_test(tc, test_refresh_runs_periodically_and_coalesces_triggers);
    tcase_add_test(tc, test_unreachable_cluster_starts_over_from_bootstrap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(faults_suite());
}
