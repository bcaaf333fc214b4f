/* A broker of a real 3-node cluster killed (-9) and restarted under a
 * running client (tests/chaos/run starts the cluster): calls keep
 * working on the other brokers, leaders move off the dead one, the client
 * reconnects to it once it is back, and nothing leaks: the fd and thread
 * counts return to where they were. */
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "client/client.h"
#include "kfk.h"
#include "kwire_client.h"
#include "proto/gen/metadata.h"

static void kafka(const char *cmd, int node)
{
    const char *dir = getenv("KFK_CHAOS_DIR");
    ck_assert_msg(dir != NULL, "KFK_CHAOS_DIR unset: run through tests/chaos/run");
    char line[1024];
    snprintf(line, sizeof(line), "tools/kafka %s %d --dir '%s' >&2", cmd, node, dir);
    ck_assert_msg(system(line) == 0, "%s failed", line);
}

static kfk_conf *conf_for(void)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", ktest_bootstrap(), err, sizeof(err)),
                     0);
    kfk_conf_set(conf, "log.level", getenv("KFK_TEST_DEBUG") ? "debug" : "warning", NULL, 0);
    return conf;
}

typedef struct outcome {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    kfk_err err;
    int32_t sent_to;
} outcome;

static void on_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)resp;
    (void)arena;
    outcome *o = call->opaque;
    pthread_mutex_lock(&o->lock);
    o->err = err;
    o->sent_to = call->sent_to;
    o->done = true;
    pthread_cond_broadcast(&o->cond);
    pthread_mutex_unlock(&o->lock);
}

/* Metadata sent to broker `to` (or any broker, to < 0), waited for. */
static kfk_err metadata_to(kclient *c, int32_t to, int timeout_ms)
{
    kp_metadata_request body;
    kp_metadata_request_init(&body);
    body.n_topics = 0;
    outcome o = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0, 0};
    kcall call;
    kcall_init(&call, &kp_metadata_client, &body, on_done, &o);
    call.route = to < 0 ? KROUTE_ANY : KROUTE_BROKER;
    call.broker_id = to;
    call.deadline_ns = kclient_deadline(timeout_ms);
    kcall_start(c, &call);
    pthread_mutex_lock(&o.lock);
    while (!o.done)
        pthread_cond_wait(&o.cond, &o.lock);
    pthread_mutex_unlock(&o.lock);
    return o.err;
}

/* Every partition of topic has a live leader other than `not`. */
static bool leaders_avoid(kfk_admin *a, const char *topic, int32_t not )
{
    kfk_metadata *md;
    if (kfk_admin_list_topics(a, &topic, 1, &(kfk_admin_options){.timeout_ms = 5000}, &md))
        return false;
    bool ok = kfk_metadata_partition_count(md, 0) == 3;
    for (size_t p = 0; ok && p < 3; p++) {
        int32_t l = kfk_metadata_partition_leader(md, 0, p);
        ok = l >= 0 && l != not ;
    }
    kfk_metadata_destroy(md);
    return ok;
}

#define EVENTUALLY(cond, secs, what)                                                               \
    do {                                                                                           \
        int64_t until_ = ktime_mono_ns() + (int64_t)(secs)*KTIME_NS_PER_S;                         \
        while (!(cond)) {                                                                          \
            ck_assert_msg(ktime_mono_ns() < until_, "timed out waiting: %s", what);                \
            struct timespec ts_ = {0, 100 * 1000 * 1000};                                          \
            nanosleep(&ts_, NULL);                                                                 \
        }                                                                                          \
    } while (0)

START_TEST(test_broker_killed_and_restarted_under_a_client)
{
    enum { VICTIM = 2 };
    /* Warm-up, so that what a first client opens for good (resolver
     * files, sanitizer threads) is in the baseline. */
    char err[512];
    kfk_admin *warm = kfk_admin_new(conf_for(), err, sizeof(err));
    kfk_metadata *md;
    ck_assert_int_eq(
        kfk_admin_describe_cluster(warm, &(kfk_admin_options){.timeout_ms = 20000}, &md), KFK_OK);
    kfk_metadata_destroy(md);
    kfk_admin_destroy(warm);
    int fds = ktest_count_dir("/proc/self/fd"), threads = ktest_count_dir("/proc/self/task");

    kfk_admin *a = kfk_admin_new(conf_for(), err, sizeof(err));
    kclient *c = kclient_new(conf_for(), KCONF_CONSUMER, NULL, err, sizeof(err));
    ck_assert_ptr_nonnull(c);
    char topic[128];
    snprintf(topic, sizeof(topic), "kfk-chaos-%d-%lld", (int)getpid(), (long long)ktime_mono_ns());
    kfk_new_topic *t = kfk_new_topic_new(topic, 3, 3);
    kfk_admin_result *res;
    ck_assert_int_eq(
        kfk_admin_create_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = 30000}, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    EVENTUALLY(leaders_avoid(a, topic, -1), 30, "leaders for the new topic");
    ck_assert_int_eq(metadata_to(c, VICTIM, 10000), KFK_OK); /* connected to the victim */

    kafka("kill", VICTIM);
    /* Requests to the others keep working while the victim is dead. */
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(metadata_to(c, -1, 10000), KFK_OK);
    EVENTUALLY(leaders_avoid(a, topic, VICTIM), 30, "leaders off the killed broker");
    /* A call to the dead broker waits for it until its deadline. */
    ck_assert_int_eq(metadata_to(c, VICTIM, 1000), KFK_ERR_TIMED_OUT);

    kafka("restart", VICTIM);
    /* Reconnected with backoff, the call to it succeeds again. */
    EVENTUALLY(metadata_to(c, VICTIM, 2000) == KFK_OK, 60, "the restarted broker to answer");
    EVENTUALLY(leaders_avoid(a, topic, -1), 30, "leaders for every partition");

    const char *name = topic;
    ck_assert_int_eq(
        kfk_admin_delete_topics(a, &name, 1, &(kfk_admin_options){.timeout_ms = 30000}, &res),
        KFK_OK);
    kfk_admin_result_destroy(res);
    kclient_destroy(c);
    kfk_admin_destroy(a);
    ck_assert_int_eq(ktest_count_dir("/proc/self/fd"), fds);
    ck_assert_int_eq(ktest_count_dir("/proc/self/task"), threads);
}
END_TEST

static Suite *chaos_suite(void)
{
    Suite *s = suite_create("client_restart");
    TCase *tc = tcase_create("restart");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_broker_killed_and_restarted_under_a_client);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(chaos_suite());
}
