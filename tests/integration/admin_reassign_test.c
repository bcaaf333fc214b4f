/* Partition reassignments on a real 3-node cluster (KFK_TEST_CLUSTER3):
 * one replica of a partition moves to another broker, a cancel with no
 * move in progress and an unknown partition fail on their own, and the
 * listing shows no move once the new replica set is in place; replicas
 * reordered, a preferred election moves the leader. The mock cluster
 * moves no replicas, so the suite skips there. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "kfk.h"

#define TIMEOUT_MS 20000

static const kfk_admin_options opts = {.timeout_ms = TIMEOUT_MS};

static kfk_admin *admin_new(void)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", getenv("KFK_TEST_CLUSTER3"), err, sizeof(err)), 0);
    kfk_admin *a = kfk_admin_new(conf, err, sizeof(err));
    ck_assert_msg(a != NULL, "kfk_admin_new: %s", err);
    return a;
}

/* Whether partition p of topic has exactly the replicas want, in order. */
static bool replicas_are(kfk_admin *a, const char *topic, int32_t p, const int32_t *want, size_t n)
{
    kfk_metadata *md;
    ck_assert_int_eq(kfk_admin_list_topics(a, &topic, 1, &opts, &md), KFK_OK);
    bool ok = false;
    for (size_t i = 0;
         kfk_metadata_topic_error(md, 0) == KFK_OK && i < kfk_metadata_partition_count(md, 0);
         i++) {
        if (kfk_metadata_partition_id(md, 0, i) != p) continue;
        size_t nr;
        const int32_t *r = kfk_metadata_partition_replicas(md, 0, i, &nr);
        ok = nr == n && memcmp(r, want, n * sizeof(*r)) == 0 &&
             kfk_metadata_partition_leader(md, 0, i) >= 0;
    }
    kfk_metadata_destroy(md);
    return ok;
}

START_TEST(test_a_replica_moves_to_another_broker)
{
    kfk_admin *a = admin_new();
    kfk_metadata *cl;
    ck_assert_int_eq(kfk_admin_list_topics(a, NULL, 0, &opts, &cl), KFK_OK);
    ck_assert_uint_ge(kfk_metadata_broker_count(cl), 3);
    int32_t b[3];
    for (size_t i = 0; i < 3; i++)
        b[i] = kfk_metadata_broker_id(cl, i);
    kfk_metadata_destroy(cl);

    char name[128];
    ktest_unique_topic(name, sizeof(name), "reassign");
    kfk_new_topic *t = kfk_new_topic_new(name, -1, -1);
    for (int32_t p = 0; p < 3; p++) {
        int32_t r[2] = {b[p], b[(p + 1) % 3]};
        ck_assert_int_eq(kfk_new_topic_set_replica_assignment(t, p, r, 2), KFK_OK);
    }
    kfk_admin_result *res;
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, &opts, &res), KFK_OK);
    kfk_new_topic_destroy(t);
    kfk_admin_result_destroy(res);
    int32_t before[2] = {b[0], b[1]};
    time_t start = time(NULL);
    while (!replicas_are(a, name, 0, before, 2)) {
        ck_assert_msg(time(NULL) - start < 30, "%s never got its leaders", name);
        nanosleep(&(struct timespec){0, 100 * 1000000}, NULL);
    }

    /* Partition 0 moves its second replica from b[1] to b[2]. */
    int32_t after[2] = {b[0], b[2]};
    kfk_partition_list *parts = kfk_partition_list_new(3);
    kfk_partition_list_add(parts, name, 0);
    kfk_partition_list_add(parts, name, 1); /* cancel: none in progress */
    kfk_partition_list_add(parts, name, 9); /* no such partition */
    const int32_t *replicas[3] = {after, NULL, after};
    size_t n_replicas[3] = {2, 0, 2};
    kfk_err err = kfk_admin_alter_partition_reassignments(a, parts, replicas, n_replicas, &opts);
    ck_assert_int_eq(kfk_partition_list_error(parts, 0), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_error(parts, 1), KFK_ERR_NO_REASSIGNMENT_IN_PROGRESS);
    ck_assert_int_eq(kfk_partition_list_error(parts, 2), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(err, KFK_ERR_NO_REASSIGNMENT_IN_PROGRESS);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "partition 1"));
    kfk_partition_list_destroy(parts);

    parts = kfk_partition_list_new(3);
    for (int32_t p = 0; p < 3; p++)
        kfk_partition_list_add(parts, name, p);
    start = time(NULL);
    for (;;) {
        kfk_reassignment_list *l;
        ck_assert_int_eq(kfk_admin_list_partition_reassignments(a, parts, &opts, &l), KFK_OK);
        size_t n = kfk_reassignment_list_count(l);
        for (size_t i = 0; i < n; i++) { /* only partition 0 may be moving */
            ck_assert_str_eq(kfk_reassignment_list_topic(l, i), name);
            ck_assert_int_eq(kfk_reassignment_list_partition(l, i), 0);
            size_t na, nr;
            const int32_t *adding = kfk_reassignment_list_adding(l, i, &na);
            kfk_reassignment_list_removing(l, i, &nr);
            ck_assert_uint_eq(na, 1);
            ck_assert_int_eq(adding[0], b[2]);
        }
        ck_assert_ptr_null(kfk_reassignment_list_topic(l, n));
        kfk_reassignment_list_destroy(l);
        if (n == 0 && replicas_are(a, name, 0, after, 2)) break;
        ck_assert_msg(time(NULL) - start < 60, "partition 0 of %s never moved", name);
        nanosleep(&(struct timespec){0, 200 * 1000000}, NULL);
    }
    int32_t p1[2] = {b[1], b[2]};
    ck_assert(replicas_are(a, name, 1, p1, 2)); /* the others stay */
    kfk_partition_list_destroy(parts);

    ck_assert_int_eq(kfk_admin_alter_partition_reassignments(a, NULL, NULL, NULL, NULL),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_list_partition_reassignments(a, NULL, NULL, NULL),
                     KFK_ERR_INVALID_ARG);
    const char *names[1] = {name};
    ck_assert_int_eq(kfk_admin_delete_topics(a, names, 1, &opts, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}
END_TEST

/* Partition p's leader, -1 when it has none or is not known. */
static int32_t leader_of(kfk_admin *a, const char *topic, int32_t p)
{
    kfk_metadata *md;
    ck_assert_int_eq(kfk_admin_list_topics(a, &topic, 1, &opts, &md), KFK_OK);
    int32_t leader = -1;
    for (size_t i = 0;
         kfk_metadata_topic_error(md, 0) == KFK_OK && i < kfk_metadata_partition_count(md, 0); i++)
        if (kfk_metadata_partition_id(md, 0, i) == p)
            leader = kfk_metadata_partition_leader(md, 0, i);
    kfk_metadata_destroy(md);
    return leader;
}

/* Reordering a partition's replicas keeps its leader (still a replica);
 * a preferred election then moves leadership to the new first replica. */
START_TEST(test_a_preferred_election_moves_the_leader)
{
    kfk_admin *a = admin_new();
    kfk_metadata *cl;
    ck_assert_int_eq(kfk_admin_list_topics(a, NULL, 0, &opts, &cl), KFK_OK);
    int32_t b0 = kfk_metadata_broker_id(cl, 0), b1 = kfk_metadata_broker_id(cl, 1);
    kfk_metadata_destroy(cl);

    char name[128];
    ktest_unique_topic(name, sizeof(name), "elect3");
    kfk_new_topic *t = kfk_new_topic_new(name, -1, -1);
    int32_t first[2] = {b0, b1}, reordered[2] = {b1, b0};
    ck_assert_int_eq(kfk_new_topic_set_replica_assignment(t, 0, first, 2), KFK_OK);
    kfk_admin_result *res;
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, &opts, &res), KFK_OK);
    kfk_new_topic_destroy(t);
    kfk_admin_result_destroy(res);
    time_t start = time(NULL);
    while (!replicas_are(a, name, 0, first, 2) || leader_of(a, name, 0) != b0) {
        ck_assert_msg(time(NULL) - start < 30, "%s never got its leader", name);
        nanosleep(&(struct timespec){0, 100 * 1000000}, NULL);
    }

    kfk_partition_list *parts = kfk_partition_list_new(1);
    kfk_partition_list_add(parts, name, 0);
    const int32_t *replicas[1] = {reordered};
    size_t n_replicas[1] = {2};
    ck_assert_int_eq(kfk_admin_alter_partition_reassignments(a, parts, replicas, n_replicas, &opts),
                     KFK_OK);
    start = time(NULL);
    while (!replicas_are(a, name, 0, reordered, 2)) {
        ck_assert_msg(time(NULL) - start < 60, "%s was never reordered", name);
        nanosleep(&(struct timespec){0, 100 * 1000000}, NULL);
    }
    ck_assert_int_eq(leader_of(a, name, 0), b0); /* not the preferred replica any more */

    ck_assert_int_eq(kfk_admin_elect_leaders(a, KFK_ELECTION_PREFERRED, parts, &opts, NULL),
                     KFK_OK);
    ck_assert_int_eq(kfk_partition_list_error(parts, 0), KFK_OK);
    start = time(NULL);
    while (leader_of(a, name, 0) != b1) {
        ck_assert_msg(time(NULL) - start < 30, "%s: the election did not move the leader", name);
        nanosleep(&(struct timespec){0, 100 * 1000000}, NULL);
    }
    /* Led by its preferred replica now: a second election is not needed. */
    ck_assert_int_eq(kfk_admin_elect_leaders(a, KFK_ELECTION_PREFERRED, parts, &opts, NULL),
                     KFK_OK);
    ck_assert_int_eq(kfk_partition_list_error(parts, 0), KFK_ERR_ELECTION_NOT_NEEDED);
    kfk_partition_list_destroy(parts);

    const char *names[1] = {name};
    ck_assert_int_eq(kfk_admin_delete_topics(a, names, 1, &opts, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("admin_reassign");
    TCase *tc = tcase_create("reassign");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_replica_moves_to_another_broker);
    tcase_add_test(tc, test_a_preferred_election_moves_the_leader);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (kclus_is_mock()) {
        printf("SKIP: the mock cluster moves no replicas; real Kafka only\n");
        return KTEST_SKIP;
    }
    if (!getenv("KFK_TEST_CLUSTER3")) {
        printf("SKIP: reassignments need a 3-node cluster in KFK_TEST_CLUSTER3\n");
        return KTEST_SKIP;
    }
    return ktest_run(suite());
}
