/* The client core against a cluster (KFK_TEST_BOOTSTRAP): bootstrap to
 * real broker ids, a dead bootstrap address, routing to the controller,
 * any broker and a partition's leader, a call timing out at its deadline,
 * coordinator lookup, coordinator calls on a connection of their own, and
 * no thread or fd left behind. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "client/client.h"
#include "kwire_client.h"
#include "proto/gen/all.h"

/* --- helpers --------------------------------------------------------------- */

static kclient *client_for(const char *bootstrap, kconf_client type)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)), 0);
    kfk_conf_set(conf, "client.id", "kfk-client-it", NULL, 0);
    if (getenv("KFK_TEST_DEBUG")) kfk_conf_set(conf, "log.level", "debug", NULL, 0);
    kclient *c = kclient_new(conf, type, NULL, err, sizeof(err));
    ck_assert_msg(c != NULL, "kclient_new: %s", err);
    return c;
}

/* One call's outcome, waited for by the test thread. */
typedef struct outcome {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    int times;
    kfk_err err;
    int32_t sent_to;
    int64_t done_ns;
    int32_t n_brokers;
    int16_t error_code;
    int32_t coordinator; /* FindCoordinator's node id */
} outcome;

static void outcome_init(outcome *o)
{
    memset(o, 0, sizeof(*o));
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->cond, NULL);
}

static void wait_outcome(outcome *o, int timeout_ms)
{
    int64_t deadline = ktime_mono_ns() + (int64_t)timeout_ms * KTIME_NS_PER_MS;
    pthread_mutex_lock(&o->lock);
    while (!o->done && ktime_mono_ns() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec++;
        pthread_cond_timedwait(&o->cond, &o->lock, &ts);
    }
    bool done = o->done;
    pthread_mutex_unlock(&o->lock);
    ck_assert_msg(done, "the call never completed");
}

static void on_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    outcome *o = call->opaque;
    pthread_mutex_lock(&o->lock);
    o->err = err;
    o->times++;
    o->sent_to = call->sent_to;
    o->done_ns = ktime_mono_ns();
    if (resp && call->api_key == KP_METADATA_KEY)
        o->n_brokers = ((kp_metadata_response *)resp)->n_brokers;
    if (resp && call->api_key == KP_FETCH_KEY) {
        const kp_fetch_response *f = resp;
        o->error_code = f->n_responses > 0 && f->responses[0].n_partitions > 0
                            ? f->responses[0].partitions[0].error_code
                            : f->error_code;
    }
    if (resp && call->api_key == KP_FIND_COORDINATOR_KEY) {
        o->error_code = ((kp_find_coordinator_response *)resp)->coordinators[0].error_code;
        o->coordinator = ((kp_find_coordinator_response *)resp)->coordinators[0].node_id;
    }
    o->done = true;
    pthread_cond_broadcast(&o->cond);
    pthread_mutex_unlock(&o->lock);
}

static kfk_err metadata_call(kclient *c, kroute route, int32_t broker, outcome *o)
{
    kp_metadata_request body;
    kp_metadata_request_init(&body);
    body.n_topics = 0;
    kcall call;
    kcall_init(&call, &kp_metadata_client, &body, on_done, o);
    call.route = route;
    call.broker_id = broker;
    call.deadline_ns = kclient_deadline(15000);
    outcome_init(o);
    kcall_start(c, &call);
    wait_outcome(o, 20000);
    return o->err;
}

/* --- tests -------------------------------------------------------------------- */

START_TEST(test_bootstrap_gives_way_to_the_real_brokers)
{
    kclient *c = client_for(ktest_bootstrap(), KCONF_ADMIN);
    ck_assert_int_eq(kclient_refresh_wait(c, 15000), KFK_OK);
    kbroker **v;
    int n = kclient_brokers(c, &v);
    ck_assert_int_ge(n, 1);
    for (int i = 0; i < n; i++) {
        ck_assert_int_ge(v[i]->id, 0);
        kbroker_unref(v[i]);
    }
    free(v);
    ck_assert_int_ge(kmeta_controller(kclient_meta(c)), 0);
    char *cluster = kmeta_cluster_id(kclient_meta(c));
    ck_assert_ptr_nonnull(cluster);
    free(cluster);
    kclient_destroy(c);
}
END_TEST

START_TEST(test_dead_bootstrap_address_does_not_block)
{
    /* Port 1 on loopback refuses at once; the client must move on. */
    char list[1024];
    snprintf(list, sizeof(list), "127.0.0.1:1,%s", ktest_bootstrap());
    int64_t start = ktime_mono_ns();
    kclient *c = client_for(list, KCONF_ADMIN);
    for (int i = 0; i < 5; i++) { /* whichever it tries first, each works */
        outcome o;
        ck_assert_int_eq(metadata_call(c, KROUTE_ANY, 0, &o), KFK_OK);
        ck_assert_int_eq(o.times, 1);
    }
    ck_assert_int_lt((ktime_mono_ns() - start) / KTIME_NS_PER_MS, 10000);
    kclient_destroy(c);
}
END_TEST

START_TEST(test_calls_route_to_controller_and_to_a_named_broker)
{
    kclient *c = client_for(ktest_bootstrap(), KCONF_ADMIN);
    outcome o;
    ck_assert_int_eq(metadata_call(c, KROUTE_CONTROLLER, 0, &o), KFK_OK);
    int32_t controller = kmeta_controller(kclient_meta(c));
    ck_assert_int_eq(o.sent_to, controller);
    ck_assert_int_ge(o.n_brokers, 1);
    ck_assert_int_eq(metadata_call(c, KROUTE_BROKER, controller, &o), KFK_OK);
    ck_assert_int_eq(o.sent_to, controller);
    /* A broker that does not exist: the call waits for metadata that
     * never names it, until its deadline. */
    kp_metadata_request body;
    kp_metadata_request_init(&body);
    body.n_topics = 0;
    kcall call;
    kcall_init(&call, &kp_metadata_client, &body, on_done, &o);
    call.route = KROUTE_BROKER;
    call.broker_id = 4242;
    call.deadline_ns = kclient_deadline(700);
    outcome_init(&o);
    int64_t start = ktime_mono_ns();
    kcall_start(c, &call);
    wait_outcome(&o, 5000);
    ck_assert_int_eq(o.err, KFK_ERR_TIMED_OUT);
    ck_assert_int_ge((o.done_ns - start) / KTIME_NS_PER_MS, 700);
    ck_assert_int_lt((o.done_ns - start) / KTIME_NS_PER_MS, 1700);
    kclient_destroy(c);
}
END_TEST

START_TEST(test_coordinator_lookup_routes_a_call)
{
    kclient *c = client_for(ktest_bootstrap(), KCONF_ADMIN);
    char group[64];
    snprintf(group, sizeof(group), "kfk-it-group-%d", (int)getpid());
    kp_find_coordinator_request body;
    kp_find_coordinator_request_init(&body);
    kslice key = kwire_cstr(group);
    body.coordinator_keys = &key;
    body.n_coordinator_keys = 1;
    kcall call;
    outcome o;
    kcall_init(&call, &kp_find_coordinator_client, &body, on_done, &o);
    call.min_version = 4;
    call.route = KROUTE_COORDINATOR;
    call.coord_type = 0;
    call.coord_key = group;
    call.deadline_ns = kclient_deadline(20000);
    outcome_init(&o);
    kcall_start(c, &call);
    wait_outcome(&o, 25000);
    ck_assert_msg(o.err == KFK_OK, "%s", kfk_err_str(o.err));
    ck_assert_int_ge(o.sent_to, 0);
    kclient_destroy(c);
}
END_TEST

/* Creates a one-partition topic with a call to the controller and waits
 * until the cache knows its leader. */
static void create_topic(kclient *c, const char *name)
{
    kp_create_topics_request req;
    kp_create_topics_request_init(&req);
    kp_create_topics_request_creatable_topic t;
    kp_create_topics_request_creatable_topic_init(&t);
    t.name = kwire_cstr(name);
    t.num_partitions = 1;
    t.replication_factor = -1;
    req.topics = &t;
    req.n_topics = 1;
    req.timeout_ms = 15000;
    kcall call;
    outcome o;
    kcall_init(&call, &kp_create_topics_client, &req, on_done, &o);
    call.route = KROUTE_CONTROLLER;
    call.deadline_ns = kclient_deadline(20000);
    outcome_init(&o);
    kcall_start(c, &call);
    wait_outcome(&o, 25000);
    ck_assert_msg(o.err == KFK_OK, "CreateTopics: %s", kfk_err_str(o.err));
    const char *names[] = {name};
    kclient_want_topics(c, names, 1);
    int64_t deadline = ktime_mono_ns() + 20 * KTIME_NS_PER_S;
    int32_t leader = -1, epoch;
    while (kmeta_leader(kclient_meta(c), name, 0, &leader, &epoch) < 0) {
        ck_assert_msg(ktime_mono_ns() < deadline, "no leader for %s", name);
        kclient_refresh_wait(c, 5000);
    }
}

static void delete_topic(kclient *c, const char *name)
{
    kp_delete_topics_request req;
    kp_delete_topics_request_init(&req);
    kp_delete_topics_request_delete_topic_state t;
    kp_delete_topics_request_delete_topic_state_init(&t);
    t.name = kwire_cstr(name);
    kslice names[] = {kwire_cstr(name)};
    req.topics = &t; /* v6+ */
    req.n_topics = 1;
    req.topic_names = names; /* v1-5 */
    req.n_topic_names = 1;
    req.timeout_ms = 15000;
    kcall call;
    outcome o;
    kcall_init(&call, &kp_delete_topics_client, &req, on_done, &o);
    call.min_version = 6;
    call.route = KROUTE_CONTROLLER;
    call.deadline_ns = kclient_deadline(20000);
    outcome_init(&o);
    kcall_start(c, &call);
    wait_outcome(&o, 25000);
    ck_assert_msg(o.err == KFK_OK, "DeleteTopics: %s", kfk_err_str(o.err));
}

/* A Heartbeat of no member to group's coordinator: answered (with
 * UNKNOWN_MEMBER_ID) without any group existing. Caches the coordinator. */
static void heartbeat_call(kclient *c, const char *group, outcome *o)
{
    kp_heartbeat_request body;
    kp_heartbeat_request_init(&body);
    body.group_id = kwire_cstr(group);
    body.generation_id = -1;
    body.member_id = kwire_cstr("");
    kcall call;
    kcall_init(&call, &kp_heartbeat_client, &body, on_done, o);
    call.route = KROUTE_COORDINATOR;
    call.coord_type = 0;
    call.coord_key = group;
    call.deadline_ns = kclient_deadline(20000);
    outcome_init(o);
    kcall_start(c, &call);
    wait_outcome(o, 25000);
    ck_assert_msg(o->err == KFK_OK, "Heartbeat: %s", kfk_err_str(o->err));
}

START_TEST(test_coordinator_call_does_not_wait_behind_a_long_poll)
{
    /* A broker answers one connection's requests in order: a Heartbeat
     * sent on the connection where a Fetch is parked for 5 s would wait
     * 5 s. Coordinator calls have a connection of their own, so the
     * Heartbeat is answered while the Fetch is still parked. */
    kclient *c = client_for(ktest_bootstrap(), KCONF_CONSUMER);
    char topic[128], group[160];
    ktest_unique_topic(topic, sizeof(topic), "coordconn");
    create_topic(c, topic);
    int32_t leader = -1, epoch;
    ck_assert_int_eq(kmeta_leader(kclient_meta(c), topic, 0, &leader, &epoch), 0);
    /* A group that the topic's leader coordinates (any group, on one
     * broker; about one in three on the 3-broker mock), found and cached
     * before the Fetch goes: FindCoordinator goes to the least loaded
     * broker's own connection, which the Fetch will hold. */
    int k = 0;
    outcome ho;
    for (; k < 64; k++) {
        snprintf(group, sizeof(group), "%s-g%d", topic, k);
        heartbeat_call(c, group, &ho);
        if (ho.sent_to == leader) break;
    }
    ck_assert_msg(k < 64, "no group coordinated by broker %d", leader);
    outcome m; /* the leader's connection is up before the Fetch goes */
    ck_assert_int_eq(metadata_call(c, KROUTE_BROKER, leader, &m), KFK_OK);

    static kp_fetch_request fbody;
    static kp_fetch_request_fetch_topic ft;
    static kp_fetch_request_fetch_partition fp;
    kp_fetch_request_init(&fbody);
    fbody.max_wait_ms = 5000;
    fbody.min_bytes = 1 << 30; /* never there: parked for max_wait_ms */
    fbody.max_bytes = 1 << 20;
    kp_fetch_request_fetch_topic_init(&ft);
    kp_fetch_request_fetch_partition_init(&fp);
    fp.partition_max_bytes = 1 << 20;
    ft.topic = kwire_cstr(topic);
    ft.partitions = &fp;
    ft.n_partitions = 1;
    fbody.topics = &ft;
    fbody.n_topics = 1;
    static kcall fetch;
    static outcome fo;
    kcall_init(&fetch, &kp_fetch_client, &fbody, on_done, &fo);
    fetch.max_version = 12; /* by name */
    fetch.route = KROUTE_BROKER;
    fetch.broker_id = leader;
    fetch.deadline_ns = kclient_deadline(20000);
    outcome_init(&fo);
    kcall_start(c, &fetch);

    int64_t start = ktime_mono_ns();
    heartbeat_call(c, group, &ho);
    /* An answer (UNKNOWN_MEMBER_ID: no such member), from the leader. */
    ck_assert_msg(ho.err == KFK_OK, "Heartbeat: %s", kfk_err_str(ho.err));
    ck_assert_int_eq(ho.sent_to, leader);
    int64_t ms = (ho.done_ns - start) / KTIME_NS_PER_MS;
    ck_assert_msg(ms < 2500, "the Heartbeat took %lld ms behind a 5 s Fetch", (long long)ms);
    pthread_mutex_lock(&fo.lock);
    bool fetch_done = fo.done;
    pthread_mutex_unlock(&fo.lock);
    ck_assert_msg(!fetch_done, "the Fetch was not parked (%s)", kfk_err_str(fo.err));

    /* Two connections to the leader; the registry still has it once. */
    kbroker *b = kclient_broker(c, leader);
    ck_assert_ptr_nonnull(b);
    kconn *coord = atomic_load(&b->coord_conn);
    ck_assert_ptr_nonnull(coord);
    ck_assert_ptr_ne(coord, b->conn);
    ck_assert_int_ge(kconn_load(b->conn), 1); /* the parked Fetch */
    kbroker_unref(b);
    kbroker **v;
    int n = kclient_brokers(c, &v);
    for (int i = 0, seen = 0; i < n; i++) {
        seen += v[i]->id == leader;
        ck_assert_int_le(seen, 1);
        kbroker_unref(v[i]);
    }
    free(v);

    /* Destroy with the Fetch still parked: it completes once. */
    kclient_destroy(c);
    ck_assert_int_eq(fo.times, 1);
    ck_assert(fo.err == KFK_ERR_DESTROYED || fo.err == KFK_OK);
}
END_TEST

/* A Fetch of partition 0 of topic from its leader, as a call that may
 * take deadline_ms; waits for its outcome. */
static void fetch_call(kclient *c, const char *topic, int32_t max_wait_ms, int32_t min_bytes,
                       int deadline_ms, outcome *o)
{
    kp_fetch_request body;
    kp_fetch_request_init(&body);
    body.max_wait_ms = max_wait_ms;
    body.min_bytes = min_bytes;
    body.max_bytes = 1 << 20;
    kp_fetch_request_fetch_topic ft;
    kp_fetch_request_fetch_topic_init(&ft);
    kp_fetch_request_fetch_partition fp;
    kp_fetch_request_fetch_partition_init(&fp);
    fp.partition_max_bytes = 1 << 20;
    ft.topic = kwire_cstr(topic);
    ft.partitions = &fp;
    ft.n_partitions = 1;
    body.topics = &ft;
    body.n_topics = 1;
    kcall call;
    kcall_init(&call, &kp_fetch_client, &body, on_done, o);
    call.max_version = 12; /* by name */
    call.route = KROUTE_LEADER;
    call.topic = topic;
    call.partition = 0;
    call.deadline_ns = kclient_deadline(deadline_ms);
    outcome_init(o);
    kcall_start(c, &call);
    wait_outcome(o, deadline_ms + 5000);
}

START_TEST(test_call_to_a_leader_times_out_at_its_deadline)
{
    /* A Fetch the leader parks for 10 s (min_bytes it will never have),
     * in a call that may take 600 ms: TIMED_OUT at 600 ms. */
    kclient *c = client_for(ktest_bootstrap(), KCONF_ADMIN);
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "timeout");
    create_topic(c, topic);
    /* Metadata may name the leader before the leader serves the
     * partition, which it then answers at once with an error. */
    int64_t ready_by = ktime_mono_ns() + 20 * KTIME_NS_PER_S;
    outcome o;
    do {
        ck_assert_msg(ktime_mono_ns() < ready_by, "partition 0 of %s never served", topic);
        fetch_call(c, topic, 0, 0, 5000, &o);
    } while (o.err != KFK_OK || o.error_code != 0);
    int64_t start = ktime_mono_ns();
    fetch_call(c, topic, 10000, 1 << 30, 600, &o);
    int64_t ms = (o.done_ns - start) / KTIME_NS_PER_MS;
    ck_assert_int_eq(o.err, KFK_ERR_TIMED_OUT);
    ck_assert_int_eq(o.times, 1);
    ck_assert_int_ge(ms, 600);
    ck_assert_int_lt(ms, 1600);
    /* The connection was closed, as the Java client does; the next call
     * reconnects and works. */
    outcome m;
    ck_assert_int_eq(metadata_call(c, KROUTE_ANY, 0, &m), KFK_OK);
    delete_topic(c, topic);
    kclient_destroy(c);
}
END_TEST

START_TEST(test_create_and_destroy_leave_no_threads_or_fds)
{
    /* One warm-up round: the first use may open files for good (the
     * resolver's /etc files, the log). */
    kclient *c = client_for(ktest_bootstrap(), KCONF_ADMIN);
    ck_assert_int_eq(kclient_refresh_wait(c, 15000), KFK_OK);
    kclient_destroy(c);
    int fds = ktest_count_dir("/proc/self/fd"), threads = ktest_count_dir("/proc/self/task");
    for (int i = 0; i < 5; i++) {
        c = client_for(ktest_bootstrap(), KCONF_ADMIN);
        ck_assert_int_eq(kclient_refresh_wait(c, 15000), KFK_OK);
        outcome o;
        ck_assert_int_eq(metadata_call(c, KROUTE_ANY, 0, &o), KFK_OK);
        kclient_destroy(c);
    }
    ck_assert_int_eq(ktest_count_dir("/proc/self/fd"), fds);
    ck_assert_int_eq(ktest_count_dir("/proc/self/task"), threads);
}
END_TEST

START_TEST(test_destroy_with_calls_in_flight_completes_them_once)
{
    enum { N = 20 };
    kclient *c = client_for(ktest_bootstrap(), KCONF_CONSUMER);
    static kp_fetch_request body;
    kp_fetch_request_init(&body);
    body.max_wait_ms = 10000;
    body.min_bytes = 1 << 30;
    static kcall calls[N];
    static outcome o[N];
    for (int i = 0; i < N; i++) {
        kcall_init(&calls[i], &kp_fetch_client, &body, on_done, &o[i]);
        calls[i].route = i % 2 ? KROUTE_ANY : KROUTE_BROKER;
        calls[i].broker_id = 999; /* parks: no such broker */
        calls[i].deadline_ns = kclient_deadline(60000);
        outcome_init(&o[i]);
        kcall_start(c, &calls[i]);
    }
    kclient_destroy(c);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(o[i].times, 1);
        if (i % 2) /* sent: a broker may have answered an empty fetch first */
            ck_assert(o[i].err == KFK_ERR_DESTROYED || o[i].err == KFK_OK);
        else /* parked: no such broker */
            ck_assert_int_eq(o[i].err, KFK_ERR_DESTROYED);
    }
}
END_TEST

static Suite *client_suite(void)
{
    Suite *s = suite_create("client_core");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_bootstrap_gives_way_to_the_real_brokers);
    tcase_add_test(tc, test_dead_bootstrap_address_does_not_block);
    tcase_add_test(tc, test_calls_route_to_controller_and_to_a_named_broker);
    tcase_add_test(tc, test_coordinator_lookup_routes_a_call);
    tcase_add_test(tc, test_call_to_a_leader_times_out_at_its_deadline);
    tcase_add_test(tc, test_coordinator_call_does_not_wait_behind_a_long_poll);
    tcase_add_test(tc, test_create_and_destroy_leave_no_threads_or_fds);
    tcase_add_test(tc, test_destroy_with_calls_in_flight_completes_them_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(client_suite());
}
