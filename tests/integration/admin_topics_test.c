/* The admin client against a cluster (KFK_TEST_BOOTSTRAP): create, list,
 * grow and delete topics; the broker's own errors for bad names and
 * duplicates; cluster description; deadlines; many threads at once. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "kfk.h"
#include "kwire_client.h"

#define TIMEOUT_MS 20000

static kfk_admin *admin_for(const char *bootstrap)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)), 0);
    if (getenv("KFK_TEST_DEBUG")) kfk_conf_set(conf, "log.level", "debug", NULL, 0);
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    ck_assert_msg(a != NULL, "kfk_admin_new: %s", err);
    return a;
}

static kfk_err create_one(kfk_admin *a, const char *name, int32_t partitions,
                          kfk_admin_result **res)
{
    kfk_new_topic *t = kfk_new_topic_new(name, partitions, -1);
    ck_assert_int_eq(kfk_new_topic_set_config(t, "retention.ms", "3600000"), KFK_OK);
    kfk_err err =
        kfk_admin_create_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, res);
    kfk_new_topic_destroy(t);
    return err;
}

static void delete_one(kfk_admin *a, const char *name)
{
    kfk_admin_result *res;
    kfk_err err =
        kfk_admin_delete_topics(a, &name, 1, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &res);
    ck_assert_msg(err == KFK_OK, "delete %s: %s", name, kfk_err_str(err));
    kfk_admin_result_destroy(res);
}

/* Lists topic until it has `partitions` partitions that all have a
 * leader (brokers learn of a new topic just after the controller), or
 * until it is gone when partitions is 0. */
static void await_topic(kfk_admin *a, const char *name, size_t partitions)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        kfk_metadata *md;
        ck_assert_int_eq(
            kfk_admin_list_topics(a, &name, 1, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &md),
            KFK_OK);
        ck_assert_uint_eq(kfk_metadata_topic_count(md), 1);
        ck_assert_str_eq(kfk_metadata_topic_name(md, 0), name);
        bool ok;
        if (partitions == 0) {
            ok = kfk_metadata_topic_error(md, 0) == KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        } else {
            ok = kfk_metadata_topic_error(md, 0) == KFK_OK &&
                 kfk_metadata_partition_count(md, 0) == partitions;
            for (size_t p = 0; ok && p < partitions; p++) {
                size_t nr, ni;
                ok = kfk_metadata_partition_id(md, 0, p) == (int32_t)p &&
                     kfk_metadata_partition_leader(md, 0, p) >= 0 &&
                     kfk_metadata_partition_replicas(md, 0, p, &nr) && nr >= 1 &&
                     kfk_metadata_partition_isr(md, 0, p, &ni) && ni >= 1;
            }
        }
        kfk_metadata_destroy(md);
        if (ok) return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        ck_assert_msg(now.tv_sec - start.tv_sec < 30, "%s never reached %zu partitions", name,
                      partitions);
        struct timespec pause = {0, 50 * 1000 * 1000}; /* poll the broker, not a race */
        nanosleep(&pause, NULL);
    }
}

START_TEST(test_create_list_grow_delete_round_trip)
{
    kfk_admin *a = admin_for(ktest_bootstrap());
    char name[128];
    ktest_unique_topic(name, sizeof(name), "roundtrip");
    kfk_admin_result *res;
    kfk_err err = create_one(a, name, 3, &res);
    ck_assert_msg(err == KFK_OK, "create: %s (%s)", kfk_err_str(err),
                  kfk_admin_result_message(res, 0) ? kfk_admin_result_message(res, 0) : "");
    ck_assert_uint_eq(kfk_admin_result_count(res), 1);
    ck_assert_str_eq(kfk_admin_result_name(res, 0), name);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_OK);
    kfk_admin_result_destroy(res);
    await_topic(a, name, 3);

    /* Every topic: ours is among them. */
    kfk_metadata *md;
    ck_assert_int_eq(
        kfk_admin_list_topics(a, NULL, 0, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &md),
        KFK_OK);
    bool found = false;
    for (size_t t = 0; t < kfk_metadata_topic_count(md); t++) {
        if (t)
            ck_assert_int_lt(
                strcmp(kfk_metadata_topic_name(md, t - 1), kfk_metadata_topic_name(md, t)), 0);
        if (strcmp(kfk_metadata_topic_name(md, t), name) == 0) {
            found = true;
            ck_assert_ptr_nonnull(kfk_metadata_topic_id(md, t));
            ck_assert(!kfk_metadata_topic_is_internal(md, t));
        }
    }
    ck_assert(found);
    ck_assert_uint_ge(kfk_metadata_broker_count(md), 1);
    kfk_metadata_destroy(md);

    const char *names[] = {name};
    int32_t counts[] = {5};
    err = kfk_admin_create_partitions(a, names, counts, 1,
                                      &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &res);
    ck_assert_msg(err == KFK_OK, "create partitions: %s", kfk_err_str(err));
    kfk_admin_result_destroy(res);
    await_topic(a, name, 5);

    delete_one(a, name);
    await_topic(a, name, 0);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_invalid_topic_name_gives_the_brokers_error)
{
    kfk_admin *a = admin_for(ktest_bootstrap());
    kfk_admin_result *res;
    kfk_err err = create_one(a, "no spaces allowed!", 1, &res);
    ck_assert_int_eq(err, KFK_ERR_INVALID_TOPIC_EXCEPTION);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_ERR_INVALID_TOPIC_EXCEPTION);
    ck_assert_ptr_nonnull(kfk_admin_result_message(res, 0)); /* the broker says why */
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_duplicate_topic_gives_topic_already_exists)
{
    kfk_admin *a = admin_for(ktest_bootstrap());
    char name[128];
    ktest_unique_topic(name, sizeof(name), "dup");
    kfk_admin_result *res;
    ck_assert_int_eq(create_one(a, name, 1, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    ck_assert_int_eq(create_one(a, name, 1, &res), KFK_ERR_TOPIC_ALREADY_EXISTS);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_ERR_TOPIC_ALREADY_EXISTS);
    kfk_admin_result_destroy(res);
    delete_one(a, name);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_mixed_outcomes_come_per_topic_in_order)
{
    kfk_admin *a = admin_for(ktest_bootstrap());
    char good[128], missing[128];
    ktest_unique_topic(good, sizeof(good), "mixed");
    ktest_unique_topic(missing, sizeof(missing), "missing");
    kfk_new_topic *t[2] = {kfk_new_topic_new(good, 1, -1), kfk_new_topic_new("bad/name", 1, -1)};
    kfk_admin_result *res;
    kfk_err err =
        kfk_admin_create_topics(a, t, 2, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &res);
    ck_assert_int_eq(err, KFK_ERR_INVALID_TOPIC_EXCEPTION); /* the first failure */
    ck_assert_uint_eq(kfk_admin_result_count(res), 2);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(res, 1), KFK_ERR_INVALID_TOPIC_EXCEPTION);
    ck_assert_str_eq(kfk_admin_result_name(res, 1), "bad/name");
    ck_assert_ptr_null(kfk_admin_result_name(res, 2));
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t[0]);
    kfk_new_topic_destroy(t[1]);
    const char *del[] = {good, missing};
    err = kfk_admin_delete_topics(a, del, 2, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &res);
    ck_assert_int_eq(err, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(res, 1), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_describe_cluster_names_brokers_and_controller)
{
    kfk_admin *a = admin_for(ktest_bootstrap());
    kfk_metadata *md;
    ck_assert_int_eq(
        kfk_admin_describe_cluster(a, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &md), KFK_OK);
    ck_assert_uint_ge(kfk_metadata_broker_count(md), 1);
    ck_assert_int_ge(kfk_metadata_controller_id(md), 0);
    ck_assert_ptr_nonnull(kfk_metadata_cluster_id(md));
    ck_assert_uint_eq(kfk_metadata_topic_count(md), 0);
    bool bootstrap_listed = false;
    for (size_t b = 0; b < kfk_metadata_broker_count(md); b++) {
        char hp[300];
        snprintf(hp, sizeof(hp), "%s:%d", kfk_metadata_broker_host(md, b),
                 kfk_metadata_broker_port(md, b));
        bootstrap_listed |= strstr(ktest_bootstrap(), hp) != NULL;
    }
    ck_assert(bootstrap_listed);
    /* Out of range reads are harmless. */
    ck_assert_int_eq(kfk_metadata_broker_id(md, 1000), -1);
    ck_assert_ptr_null(kfk_metadata_topic_name(md, 0));
    ck_assert_ptr_null(kfk_metadata_partition_replicas(md, 0, 0, NULL));
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
}
END_TEST

/* An admin client for an address where nothing listens, whose calls can
 * only end at their deadline; default.api.timeout.ms is set to default_ms. */
static kfk_admin *admin_nowhere(const char *default_ms)
{
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", NULL, 0), KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "default.api.timeout.ms", default_ms, NULL, 0), KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "log.level", "crit", NULL, 0), KFK_OK);
    kfk_admin *a = kfk_admin_new(conf, NULL, 0);
    ck_assert_ptr_nonnull(a);
    return a;
}

START_TEST(test_a_call_ends_at_its_timeout)
{
    kfk_admin *a = admin_nowhere("600000");
    kfk_admin_result *res;
    kfk_new_topic *t = kfk_new_topic_new("kfk-it-never-created", 1, -1);
    kfk_admin_options quick = {.timeout_ms = 50};
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, &quick, &res), KFK_ERR_TIMED_OUT);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_ERR_TIMED_OUT);
    ck_assert_str_eq(kfk_admin_last_error(a),
                     "kfk_admin_create_topics: topic \"kfk-it-never-created\": "
                     "TIMED_OUT: the deadline passed");
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    kfk_metadata *md;
    ck_assert_int_eq(kfk_admin_list_topics(a, NULL, 0, &quick, &md), KFK_ERR_TIMED_OUT);
    ck_assert_ptr_null(md);
    ck_assert_str_eq(kfk_admin_last_error(a),
                     "kfk_admin_list_topics: no answer within timeout_ms (50 ms)");
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_no_options_means_default_api_timeout)
{
    kfk_admin *a = admin_nowhere("50");
    kfk_metadata *md;
    ck_assert_int_eq(kfk_admin_describe_cluster(a, NULL, &md), KFK_ERR_TIMED_OUT);
    ck_assert_str_eq(kfk_admin_last_error(a),
                     "kfk_admin_describe_cluster: no answer within timeout_ms (50 ms)");
    ck_assert_int_eq(kfk_admin_list_topics(a, NULL, 0, &(kfk_admin_options){0}, &md),
                     KFK_ERR_TIMED_OUT);
    ck_assert_str_eq(kfk_admin_last_error(a),
                     "kfk_admin_list_topics: no answer within timeout_ms (50 ms)");
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_options_an_operation_cannot_use_are_refused)
{
    kfk_admin *a = admin_nowhere("50");
    kfk_admin_result *res = (void *)1;
    const char *name = "kfk-it-never-deleted";
    kfk_admin_options o = {.flags = KFK_ADMIN_VALIDATE_ONLY};
    ck_assert_int_eq(kfk_admin_delete_topics(a, &name, 1, &o, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(res);
    ck_assert_str_eq(kfk_admin_last_error(a), "kfk_admin_delete_topics: "
                                              "KFK_ADMIN_VALIDATE_ONLY does not apply to this "
                                              "operation");
    o = (kfk_admin_options){.flags = 0x80000000u};
    ck_assert_int_eq(kfk_admin_delete_topics(a, &name, 1, &o, &res), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_admin_last_error(a),
                     "kfk_admin_delete_topics: options->flags has the unknown bit 0x80000000");
    o = (kfk_admin_options){.timeout_ms = -1};
    ck_assert_int_eq(kfk_admin_delete_topics(a, &name, 1, &o, &res), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_admin_last_error(a),
                     "kfk_admin_delete_topics: options->timeout_ms is -1; use 0 for the default");
    o = (kfk_admin_options){.reserved = {&o}};
    kfk_metadata *md = (void *)1;
    ck_assert_int_eq(kfk_admin_describe_cluster(a, &o, &md), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(md);
    ck_assert_str_eq(kfk_admin_last_error(a),
                     "kfk_admin_describe_cluster: options->reserved is not all zero");
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_validate_only_creates_nothing)
{
    kfk_admin *a = admin_for(ktest_bootstrap());
    char name[128];
    ktest_unique_topic(name, sizeof(name), "validate");
    kfk_new_topic *t = kfk_new_topic_new(name, 2, -1);
    kfk_admin_result *res;
    kfk_admin_options o = {.timeout_ms = TIMEOUT_MS, .flags = KFK_ADMIN_VALIDATE_ONLY};
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, &o, &res), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_OK);
    kfk_admin_result_destroy(res);
    /* Had the check created the topic, creating it now would fail with
     * TOPIC_ALREADY_EXISTS. */
    o.flags = 0;
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, &o, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    delete_one(a, name);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    kfk_admin *a = admin_for(ktest_bootstrap());
    kfk_admin_result *res = (void *)1;
    ck_assert_int_eq(
        kfk_admin_create_topics(NULL, NULL, 0, &(kfk_admin_options){.timeout_ms = 10}, &res),
        KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(res);
    kfk_new_topic *none[1] = {NULL};
    ck_assert_int_eq(
        kfk_admin_create_topics(a, none, 1, &(kfk_admin_options){.timeout_ms = 10}, &res),
        KFK_ERR_INVALID_ARG);
    const char *names[1] = {NULL};
    ck_assert_int_eq(
        kfk_admin_delete_topics(a, names, 1, &(kfk_admin_options){.timeout_ms = 10}, &res),
        KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(
        kfk_admin_delete_topics(a, NULL, 0, &(kfk_admin_options){.timeout_ms = 10}, NULL),
        KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(kfk_new_topic_new(NULL, 1, 1));
    ck_assert_int_eq(kfk_new_topic_set_config(NULL, "a", "b"), KFK_ERR_INVALID_ARG);
    ck_assert_uint_eq(kfk_admin_result_count(NULL), 0);
    kfk_admin_destroy(a);
    char err[256];
    kfk_conf *conf = kfk_conf_new(); /* no bootstrap.servers */
    ck_assert_ptr_null(kfk_admin_new(conf, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "bootstrap.servers"));
}
END_TEST

typedef struct worker {
    kfk_admin *a;
    int idx;
    kfk_err create, del;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    char name[128];
    char what[32];
    snprintf(what, sizeof(what), "thread%d", w->idx);
    ktest_unique_topic(name, sizeof(name), what);
    kfk_new_topic *t = kfk_new_topic_new(name, 1, -1);
    kfk_admin_result *res;
    w->create =
        kfk_admin_create_topics(w->a, &t, 1, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &res);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    const char *n = name;
    w->del =
        kfk_admin_delete_topics(w->a, &n, 1, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &res);
    kfk_admin_result_destroy(res);
    return NULL;
}

START_TEST(test_calls_from_many_threads_at_once)
{
    enum { N = 6 };
    kfk_admin *a = admin_for(ktest_bootstrap());
    pthread_t th[N];
    worker w[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker){a, i, -1, -1};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(w[i].create == KFK_OK, "create: %s", kfk_err_str(w[i].create));
        ck_assert_msg(w[i].del == KFK_OK, "delete: %s", kfk_err_str(w[i].del));
    }
    kfk_admin_destroy(a);
}
END_TEST

static Suite *admin_suite(void)
{
    Suite *s = suite_create("admin_topics");
    TCase *tc = tcase_create("topics");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_create_list_grow_delete_round_trip);
    tcase_add_test(tc, test_invalid_topic_name_gives_the_brokers_error);
    tcase_add_test(tc, test_duplicate_topic_gives_topic_already_exists);
    tcase_add_test(tc, test_mixed_outcomes_come_per_topic_in_order);
    tcase_add_test(tc, test_describe_cluster_names_brokers_and_controller);
    tcase_add_test(tc, test_a_call_ends_at_its_timeout);
    tcase_add_test(tc, test_no_options_means_default_api_timeout);
    tcase_add_test(tc, test_options_an_operation_cannot_use_are_refused);
    tcase_add_test(tc, test_validate_only_creates_nothing);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    tcase_add_test(tc, test_calls_from_many_threads_at_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(admin_suite());
}
