/* Log directories against real Kafka (KFK_TEST_BOOTSTRAP): each broker's
 * directories, with the replicas of a new topic in them. The mock cluster
 * has no log directories, so the suite skips there. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kwire_client.h"

#define TIMEOUT_MS 20000

static const kfk_admin_options opts = {.timeout_ms = TIMEOUT_MS};

static kfk_admin *admin_new(void)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", ktest_bootstrap(), err, sizeof(err)),
                     0);
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    ck_assert_msg(a != NULL, "kfk_admin_new: %s", err);
    return a;
}

/* How many replicas of topic the directories of d hold. */
static size_t replicas_of(const kfk_log_dirs *d, const char *topic)
{
    size_t n = 0;
    for (size_t i = 0; i < kfk_log_dirs_count(d); i++)
        for (size_t j = 0; j < kfk_log_dirs_replica_count(d, i); j++) {
            const kfk_log_dir_replica *r = kfk_log_dirs_replica(d, i, j);
            if (strcmp(r->topic, topic) != 0) continue;
            ck_assert_int_ge(r->partition, 0);
            ck_assert_int_lt(r->partition, 2);
            ck_assert_int_ge(r->size, 0);
            ck_assert(!r->is_future);
            n++;
        }
    return n;
}

START_TEST(test_directories_hold_the_replicas_of_a_new_topic)
{
    kfk_admin *a = admin_new();
    char name[128];
    ktest_unique_topic(name, sizeof(name), "logdirs");
    kfk_new_topic *t = kfk_new_topic_new(name, 2, 1);
    kfk_admin_result *res;
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, &opts, &res), KFK_OK);
    kfk_new_topic_destroy(t);
    kfk_admin_result_destroy(res);

    kfk_partition_list *parts = kfk_partition_list_new(3);
    kfk_partition_list_add(parts, name, 0);
    kfk_partition_list_add(parts, name, 1);
    kfk_partition_list_add(parts, name, 5); /* none: left out */
    time_t start = time(NULL);
    for (;;) { /* the brokers create the replicas just after the controller */
        kfk_log_dirs *d;
        ck_assert_int_eq(kfk_admin_describe_log_dirs(a, parts, &opts, &d), KFK_OK);
        ck_assert_uint_ge(kfk_log_dirs_count(d), 1);
        for (size_t i = 0; i < kfk_log_dirs_count(d); i++) {
            ck_assert_int_ge(kfk_log_dirs_broker(d, i), 0);
            ck_assert_ptr_nonnull(kfk_log_dirs_path(d, i));
            ck_assert_int_eq(kfk_log_dirs_error(d, i), KFK_OK);
            ck_assert_int_gt(kfk_log_dirs_total_bytes(d, i), 0);
            ck_assert_int_ge(kfk_log_dirs_usable_bytes(d, i), 0);
            ck_assert_int_le(kfk_log_dirs_usable_bytes(d, i), kfk_log_dirs_total_bytes(d, i));
        }
        size_t n = kfk_log_dirs_count(d);
        ck_assert_ptr_null(kfk_log_dirs_path(d, n));
        ck_assert_ptr_null(kfk_log_dirs_replica(d, n, 0));
        ck_assert_int_eq(kfk_log_dirs_error(d, n), KFK_ERR_INVALID_ARG);
        size_t found = replicas_of(d, name);
        kfk_log_dirs_destroy(d);
        if (found == 2) break;
        ck_assert_msg(time(NULL) - start < 30, "the replicas of %s never showed", name);
        nanosleep(&(struct timespec){0, 100 * 1000000}, NULL);
    }
    kfk_log_dirs *all;
    ck_assert_int_eq(kfk_admin_describe_log_dirs(a, NULL, &opts, &all), KFK_OK);
    ck_assert_uint_eq(replicas_of(all, name), 2);
    kfk_log_dirs_destroy(all);
    kfk_partition_list_add(parts, name, 0);
    ck_assert_int_eq(kfk_admin_describe_log_dirs(a, parts, &opts, &all), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(all);
    ck_assert_int_eq(kfk_admin_describe_log_dirs(a, NULL, &opts, NULL), KFK_ERR_INVALID_ARG);
    kfk_partition_list_destroy(parts);
    const char *names[1] = {name};
    ck_assert_int_eq(kfk_admin_delete_topics(a, names, 1, &opts, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("admin_logdirs");
    TCase *tc = tcase_create("logdirs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_directories_hold_the_replicas_of_a_new_topic);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (kclus_is_mock()) {
        printf(
            "SKIP: the mock cluster has no log directories (DescribeLogDirs); real Kafka only\n");
        return KTEST_SKIP;
    }
    return ktest_run(suite());
}
