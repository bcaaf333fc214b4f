/* Log directories against real Kafka (KFK_TEST_BOOTSTRAP): each broker's
 * directories, with the replicas of a new topic in them, and a replica
 * moved from one directory of its broker to another. The mock cluster has
 * no log directories, nor has a broker with a single one anything to move
 * between (tools/kafka start --log-dirs 2 gives it two), so the suite
 * skips there. */
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
    kfk_admin *a = kclus_admin(NULL);
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

/* The directory of broker's replica topic-partition in d and whether it is
 * still a future one; NULL when d has none. */
static const char *dir_of(const kfk_log_dirs *d, const char *topic, int32_t partition,
                          int32_t *broker, bool *future)
{
    for (size_t i = 0; i < kfk_log_dirs_count(d); i++)
        for (size_t j = 0; j < kfk_log_dirs_replica_count(d, i); j++) {
            const kfk_log_dir_replica *r = kfk_log_dirs_replica(d, i, j);
            if (strcmp(r->topic, topic) != 0 || r->partition != partition) continue;
            *broker = kfk_log_dirs_broker(d, i);
            *future = r->is_future;
            if (!r->is_future) return kfk_log_dirs_path(d, i);
        }
    return NULL;
}

/* A directory of broker in d other than path; NULL when it has none. */
static const char *other_dir(const kfk_log_dirs *d, int32_t broker, const char *path)
{
    for (size_t i = 0; i < kfk_log_dirs_count(d); i++)
        if (kfk_log_dirs_broker(d, i) == broker && kfk_log_dirs_error(d, i) == KFK_OK &&
            strcmp(kfk_log_dirs_path(d, i), path) != 0)
            return kfk_log_dirs_path(d, i);
    return NULL;
}

/* Polls until broker's replica topic-0 is in dir (no future replica left
 * anywhere), or fails after 60 s. */
static void wait_in_dir(kfk_admin *a, const char *topic, const char *dir)
{
    kfk_partition_list *parts = kfk_partition_list_new(1);
    kfk_partition_list_add(parts, topic, 0);
    time_t start = time(NULL);
    for (;;) {
        kfk_log_dirs *d;
        ck_assert_int_eq(kfk_admin_describe_log_dirs(a, parts, &opts, &d), KFK_OK);
        int32_t broker = -1;
        bool future = false;
        const char *now = dir_of(d, topic, 0, &broker, &future);
        bool there = now && !future && strcmp(now, dir) == 0;
        kfk_log_dirs_destroy(d);
        if (there) break;
        ck_assert_msg(time(NULL) - start < 60, "%s-0 never got to %s", topic, dir);
        nanosleep(&(struct timespec){0, 100 * 1000000}, NULL);
    }
    kfk_partition_list_destroy(parts);
}

START_TEST(test_a_replica_moves_to_another_log_dir)
{
    kfk_admin *a = kclus_admin(NULL);
    char name[128];
    ktest_unique_topic(name, sizeof(name), "logdirs-move");
    kfk_new_topic *t = kfk_new_topic_new(name, 2, 1);
    kfk_admin_result *res;
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, &opts, &res), KFK_OK);
    kfk_new_topic_destroy(t);
    kfk_admin_result_destroy(res);

    /* Where the broker put partition 0, and another directory it has. */
    int32_t broker = -1;
    bool future = false;
    char from[512] = "", to[512] = "";
    time_t start = time(NULL);
    while (!from[0]) {
        kfk_log_dirs *d;
        ck_assert_int_eq(kfk_admin_describe_log_dirs(a, NULL, &opts, &d), KFK_OK);
        const char *p = dir_of(d, name, 0, &broker, &future);
        if (p) {
            const char *o = other_dir(d, broker, p);
            ck_assert_msg(o != NULL, "broker %d has one log directory", (int)broker);
            snprintf(from, sizeof(from), "%s", p);
            snprintf(to, sizeof(to), "%s", o);
        }
        kfk_log_dirs_destroy(d);
        ck_assert_msg(from[0] || time(NULL) - start < 30, "the replica of %s never showed", name);
        if (!from[0]) nanosleep(&(struct timespec){0, 100 * 1000000}, NULL);
    }

    kfk_replica_log_dir move = {.topic = name, .partition = 0, .broker = broker, .path = to};
    kfk_replica_log_dir bad_dir = {
        .topic = name, .partition = 1, .broker = broker, .path = "/kfk-no-such-log-dir"};
    kfk_replica_log_dir no_replica = {.topic = name, .partition = 7, .broker = broker, .path = to};
    const kfk_replica_log_dir *moves[] = {&bad_dir, &move, &no_replica};
    kfk_err err = kfk_admin_alter_replica_log_dirs(a, moves, 3, &opts, &res);
    ck_assert_int_eq(err, KFK_ERR_LOG_DIR_NOT_FOUND);
    ck_assert_uint_eq(kfk_admin_result_count(res), 3);
    char want[256];
    snprintf(want, sizeof(want), "%s-1@%d", name, (int)broker);
    ck_assert_str_eq(kfk_admin_result_name(res, 0), want);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_ERR_LOG_DIR_NOT_FOUND);
    ck_assert_int_eq(kfk_admin_result_error(res, 1), KFK_OK);
    err = kfk_admin_result_error(res, 2);
    ck_assert_msg(err == KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION || err == KFK_ERR_REPLICA_NOT_AVAILABLE,
                  "a replica the broker lacks: %s", kfk_err_str(err));
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), want));
    kfk_admin_result_destroy(res);
    wait_in_dir(a, name, to);

    /* And back, alone; a move to where it is already succeeds. */
    move.path = from;
    const kfk_replica_log_dir *back[] = {&move};
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(a, back, 1, &opts, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    wait_in_dir(a, name, from);
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(a, back, 1, &opts, &res), KFK_OK);
    kfk_admin_result_destroy(res);

    /* A broker that is not there fails its own entries only. */
    kfk_replica_log_dir nowhere = {.topic = name, .partition = 0, .broker = 4242, .path = to};
    const kfk_replica_log_dir *two[] = {&nowhere, &move};
    const kfk_admin_options brief = {.timeout_ms = 8000};
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(a, two, 2, &brief, &res), KFK_ERR_TIMED_OUT);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "@4242"));
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_ERR_TIMED_OUT);
    ck_assert_int_eq(kfk_admin_result_error(res, 1), KFK_OK);
    kfk_admin_result_destroy(res);

    const char *names[1] = {name};
    ck_assert_int_eq(kfk_admin_delete_topics(a, names, 1, &opts, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_alter_replica_log_dirs_refuses_bad_arguments)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_admin_result *res = (kfk_admin_result *)1;
    kfk_replica_log_dir m = {.topic = "t", .partition = 0, .broker = 1, .path = "/d"};
    const kfk_replica_log_dir *one[] = {&m}, *twice[] = {&m, &m}, *none[] = {NULL};
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(NULL, one, 1, &opts, &res),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(a, one, 1, &opts, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(a, NULL, 1, &opts, &res),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(res);
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(a, none, 1, &opts, &res),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(a, twice, 2, &opts, &res),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "twice"));
    m.reserved[2] = &m;
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(a, one, 1, &opts, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "reserved"));
    m.reserved[2] = NULL;
    m.broker = -1;
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(a, one, 1, &opts, &res), KFK_ERR_INVALID_ARG);
    m.broker = 1;
    m.path = NULL;
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(a, one, 1, &opts, &res), KFK_ERR_INVALID_ARG);
    kfk_admin_options flags = {.flags = KFK_ADMIN_VALIDATE_ONLY};
    m.path = "/d";
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(a, one, 1, &flags, &res),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(res);
    ck_assert_int_eq(kfk_admin_alter_replica_log_dirs(a, one, 0, &opts, &res), KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_count(res), 0);
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}
END_TEST

/* How many log directories the broker with the most has; -1 when the
 * cluster did not answer. */
static int most_dirs(void)
{
    kfk_conf *conf = kfk_conf_new(); /* outside a test: no ck_assert */
    char err[512];
    if (kfk_conf_set(conf, "bootstrap.servers", ktest_bootstrap(), err, sizeof(err))) {
        kfk_conf_destroy(conf);
        return -1;
    }
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    if (!a) return -1;
    kfk_log_dirs *d;
    int most = -1;
    if (kfk_admin_describe_log_dirs(a, NULL, &opts, &d) == KFK_OK) {
        for (size_t i = 0; i < kfk_log_dirs_count(d); i++) {
            int n = 0;
            for (size_t k = 0; k < kfk_log_dirs_count(d); k++)
                n += kfk_log_dirs_broker(d, k) == kfk_log_dirs_broker(d, i);
            if (n > most) most = n;
        }
        kfk_log_dirs_destroy(d);
    }
    kfk_admin_destroy(a);
    return most;
}

static Suite *suite(void)
{
    Suite *s = suite_create("admin_logdirs");
    TCase *tc = tcase_create("logdirs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_directories_hold_the_replicas_of_a_new_topic);
    tcase_add_test(tc, test_a_replica_moves_to_another_log_dir);
    tcase_add_test(tc, test_alter_replica_log_dirs_refuses_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (kclus_is_mock()) {
        printf("SKIP: the mock cluster has no log directories (DescribeLogDirs, "
               "AlterReplicaLogDirs); real Kafka only\n");
        return KTEST_SKIP;
    }
    if (most_dirs() == 1) {
        printf("SKIP: each broker has one log directory: nothing to move a replica to "
               "(tools/kafka start --log-dirs 2)\n");
        return KTEST_SKIP;
    }
    return ktest_run(suite());
}
