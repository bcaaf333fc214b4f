/* The admin client's topic calls beyond the basics, against a cluster
 * (KFK_TEST_BOOTSTRAP): topics created on chosen brokers and the configs
 * they got, topics deleted by id, partitions added on chosen brokers,
 * leader elections, no reassignment listed for a fresh topic. */
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

/* The topic's metadata once all its partitions have a leader (NULL
 * partitions: once it is gone); fails after 30 s. */
static kfk_metadata *await_topic(kfk_admin *a, const char *name, bool gone)
{
    time_t start = time(NULL);
    for (;;) {
        kfk_metadata *md;
        ck_assert_int_eq(kfk_admin_list_topics(a, &name, 1, &opts, &md), KFK_OK);
        kfk_err err = kfk_metadata_topic_error(md, 0);
        bool ok = gone ? err == KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION
                       : err == KFK_OK && kfk_metadata_partition_count(md, 0) > 0;
        for (size_t p = 0; ok && !gone && p < kfk_metadata_partition_count(md, 0); p++)
            ok = kfk_metadata_partition_leader(md, 0, p) >= 0;
        if (ok) return md;
        kfk_metadata_destroy(md);
        ck_assert_msg(time(NULL) - start < 30, "%s never became %s", name, gone ? "gone" : "ready");
        nanosleep(&(struct timespec){0, 100 * 1000000}, NULL);
    }
}

static void delete_topic(kfk_admin *a, const char *name)
{
    kfk_admin_result *res;
    ck_assert_int_eq(kfk_admin_delete_topics(a, &name, 1, &opts, &res), KFK_OK);
    kfk_admin_result_destroy(res);
}

/* The config named name of entry i, or NULL. */
static const kfk_config_entry *config_of(const kfk_admin_result *res, size_t i, const char *name)
{
    for (size_t j = 0; j < kfk_admin_result_config_count(res, i); j++) {
        const kfk_config_entry *e = kfk_admin_result_config(res, i, j);
        if (strcmp(e->name, name) == 0) return e;
    }
    return NULL;
}

START_TEST(test_create_with_assignment_places_replicas_and_reports_configs)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_metadata *cl;
    ck_assert_int_eq(kfk_admin_list_topics(a, NULL, 0, &opts, &cl), KFK_OK);
    size_t nb = kfk_metadata_broker_count(cl);
    ck_assert_uint_ge(nb, 1);
    int32_t first = kfk_metadata_broker_id(cl, 0), last = kfk_metadata_broker_id(cl, nb - 1);
    kfk_metadata_destroy(cl);

    char name[128], bad[128];
    ktest_unique_topic(name, sizeof(name), "assigned");
    ktest_unique_topic(bad, sizeof(bad), "badassign");
    kfk_new_topic *t[2] = {kfk_new_topic_new(name, -1, -1), kfk_new_topic_new(bad, -1, -1)};
    /* Given out of order, and partition 1 twice: the last one counts. */
    ck_assert_int_eq(kfk_new_topic_set_replica_assignment(t[0], 1, &first, 1), KFK_OK);
    ck_assert_int_eq(kfk_new_topic_set_replica_assignment(t[0], 0, &first, 1), KFK_OK);
    ck_assert_int_eq(kfk_new_topic_set_replica_assignment(t[0], 1, &last, 1), KFK_OK);
    ck_assert_int_eq(kfk_new_topic_set_config(t[0], "retention.ms", "3600000"), KFK_OK);
    int32_t nobody = 987654;
    ck_assert_int_eq(kfk_new_topic_set_replica_assignment(t[1], 0, &nobody, 1), KFK_OK);
    kfk_admin_result *res;
    kfk_err err = kfk_admin_create_topics(a, t, 2, &opts, &res);
    kfk_new_topic_destroy(t[0]);
    kfk_new_topic_destroy(t[1]);
    ck_assert_int_eq(err, KFK_ERR_INVALID_REPLICA_ASSIGNMENT);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), bad));
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(res, 1), KFK_ERR_INVALID_REPLICA_ASSIGNMENT);
    ck_assert_int_eq(kfk_admin_result_config_resource_type(res, 0), KFK_CONFIG_RESOURCE_TOPIC);
    const kfk_config_entry *e = config_of(res, 0, "retention.ms");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->value, "3600000");
    ck_assert_int_eq(e->source, KFK_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
    if (!getenv("KFK_TEST_MOCK") || strcmp(getenv("KFK_TEST_MOCK"), "1") != 0) {
        /* A broker reports every config the topic got, defaults included. */
        e = config_of(res, 0, "cleanup.policy");
        ck_assert_ptr_nonnull(e);
        ck_assert_int_ne(e->source, KFK_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
    }
    ck_assert_uint_eq(kfk_admin_result_config_count(res, 1), 0);
    ck_assert_ptr_null(kfk_admin_result_config(res, 2, 0));
    kfk_admin_result_destroy(res);

    kfk_metadata *md = await_topic(a, name, false);
    ck_assert_uint_eq(kfk_metadata_partition_count(md, 0), 2);
    for (size_t p = 0; p < 2; p++) {
        size_t nr;
        const int32_t *r = kfk_metadata_partition_replicas(md, 0, p, &nr);
        ck_assert_uint_eq(nr, 1);
        ck_assert_int_eq(r[0], kfk_metadata_partition_id(md, 0, p) == 0 ? first : last);
    }
    kfk_metadata_destroy(md);
    delete_topic(a, name);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_assignment_needs_default_counts)
{
    kfk_new_topic *t = kfk_new_topic_new("x", 3, -1);
    int32_t b = 1;
    ck_assert_int_eq(kfk_new_topic_set_replica_assignment(t, 0, &b, 1), KFK_ERR_INVALID_ARG);
    kfk_new_topic_destroy(t);
    t = kfk_new_topic_new("x", -1, 1);
    ck_assert_int_eq(kfk_new_topic_set_replica_assignment(t, 0, &b, 1), KFK_ERR_INVALID_ARG);
    kfk_new_topic_destroy(t);
    t = kfk_new_topic_new("x", -1, -1);
    ck_assert_int_eq(kfk_new_topic_set_replica_assignment(t, -1, &b, 1), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_new_topic_set_replica_assignment(t, 0, NULL, 1), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_new_topic_set_replica_assignment(t, 0, &b, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_new_topic_set_replica_assignment(NULL, 0, &b, 1), KFK_ERR_INVALID_ARG);
    kfk_new_topic_destroy(t);
}
END_TEST

START_TEST(test_delete_by_id_names_entries_by_topic_or_hex_id)
{
    kfk_admin *a = kclus_admin(NULL);
    char name[128];
    ktest_unique_topic(name, sizeof(name), "byid");
    kfk_new_topic *t = kfk_new_topic_new(name, 2, -1);
    kfk_admin_result *res;
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, &opts, &res), KFK_OK);
    kfk_new_topic_destroy(t);
    kfk_admin_result_destroy(res);
    kfk_metadata *md = await_topic(a, name, false);
    uint8_t id[16], unknown[16];
    memcpy(id, kfk_metadata_topic_id(md, 0), 16);
    kfk_metadata_destroy(md);
    for (int i = 0; i < 16; i++)
        unknown[i] = (uint8_t)(0xa0 + i);
    const uint8_t *ids[2] = {unknown, id};
    ck_assert_int_eq(kfk_admin_delete_topics_by_id(a, ids, 2, &opts, &res),
                     KFK_ERR_UNKNOWN_TOPIC_ID);
    ck_assert_uint_eq(kfk_admin_result_count(res), 2);
    ck_assert_str_eq(kfk_admin_result_name(res, 0), "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_ERR_UNKNOWN_TOPIC_ID);
    ck_assert_str_eq(kfk_admin_result_name(res, 1), name);
    ck_assert_int_eq(kfk_admin_result_error(res, 1), KFK_OK);
    ck_assert_ptr_null(kfk_admin_result_config(res, 0, 0)); /* not a create result */
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "a0a1a2a3"));
    kfk_admin_result_destroy(res);
    kfk_metadata_destroy(await_topic(a, name, true));
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_delete_by_id_refuses_bad_arguments)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_admin_result *res = (kfk_admin_result *)1;
    uint8_t zero[16] = {0}, one[16] = {1};
    const uint8_t *ids[2] = {one, zero};
    ck_assert_int_eq(kfk_admin_delete_topics_by_id(NULL, ids, 1, NULL, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(res);
    ck_assert_int_eq(kfk_admin_delete_topics_by_id(a, ids, 2, NULL, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "ids[1] is all zero"));
    ids[1] = NULL;
    ck_assert_int_eq(kfk_admin_delete_topics_by_id(a, ids, 2, NULL, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "ids[1] is NULL"));
    ck_assert_int_eq(kfk_admin_delete_topics_by_id(a, NULL, 1, NULL, &res), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_delete_topics_by_id(a, ids, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    kfk_admin_options bad = {.flags = KFK_ADMIN_VALIDATE_ONLY};
    ck_assert_int_eq(kfk_admin_delete_topics_by_id(a, ids, 1, &bad, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(res);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_create_partitions_assigned_places_new_partitions)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_metadata *cl;
    ck_assert_int_eq(kfk_admin_list_topics(a, NULL, 0, &opts, &cl), KFK_OK);
    size_t nb = kfk_metadata_broker_count(cl);
    int32_t first = kfk_metadata_broker_id(cl, 0), last = kfk_metadata_broker_id(cl, nb - 1);
    kfk_metadata_destroy(cl);
    char name[128], other[128];
    ktest_unique_topic(name, sizeof(name), "grow");
    ktest_unique_topic(other, sizeof(other), "grow2");
    kfk_new_topic *t[2] = {kfk_new_topic_new(name, 1, 1), kfk_new_topic_new(other, 1, 1)};
    kfk_admin_result *res;
    ck_assert_int_eq(kfk_admin_create_topics(a, t, 2, &opts, &res), KFK_OK);
    kfk_new_topic_destroy(t[0]);
    kfk_new_topic_destroy(t[1]);
    kfk_admin_result_destroy(res);
    kfk_metadata_destroy(await_topic(a, name, false));
    kfk_metadata_destroy(await_topic(a, other, false));

    kfk_new_partitions *np[2] = {kfk_new_partitions_new(name, 3), kfk_new_partitions_new(other, 2)};
    ck_assert_int_eq(kfk_new_partitions_add_assignment(np[0], &last, 1), KFK_OK);
    ck_assert_int_eq(kfk_new_partitions_add_assignment(np[0], &first, 1), KFK_OK);
    /* one new partition, two assignments: the broker refuses this topic only */
    ck_assert_int_eq(kfk_new_partitions_add_assignment(np[1], &first, 1), KFK_OK);
    ck_assert_int_eq(kfk_new_partitions_add_assignment(np[1], &last, 1), KFK_OK);
    ck_assert_int_eq(kfk_new_partitions_add_assignment(np[1], NULL, 1), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_create_partitions_assigned(a, np, 2, &opts, &res),
                     KFK_ERR_INVALID_REPLICA_ASSIGNMENT);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), other));
    ck_assert_str_eq(kfk_admin_result_name(res, 0), name);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(res, 1), KFK_ERR_INVALID_REPLICA_ASSIGNMENT);
    kfk_admin_result_destroy(res);
    kfk_new_partitions_destroy(np[0]);
    kfk_new_partitions_destroy(np[1]);
    ck_assert_ptr_null(kfk_new_partitions_new(name, 0));
    ck_assert_int_eq(kfk_admin_create_partitions_assigned(a, NULL, 1, NULL, &res),
                     KFK_ERR_INVALID_ARG);

    time_t start = time(NULL);
    for (bool ok = false; !ok;) {
        kfk_metadata *md = await_topic(a, name, false);
        ok = kfk_metadata_partition_count(md, 0) == 3;
        for (size_t p = 0; ok && p < 3; p++) {
            size_t nr;
            int32_t id = kfk_metadata_partition_id(md, 0, p);
            const int32_t *r = kfk_metadata_partition_replicas(md, 0, p, &nr);
            if (id > 0) ck_assert_int_eq(r[0], id == 1 ? last : first);
        }
        kfk_metadata_destroy(md);
        ck_assert_msg(time(NULL) - start < 30, "%s never got 3 partitions", name);
        if (!ok) nanosleep(&(struct timespec){0, 100 * 1000000}, NULL);
    }
    delete_topic(a, name);
    delete_topic(a, other);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_elect_preferred_leaders_reports_each_partition)
{
    kfk_admin *a = kclus_admin(NULL);
    char name[128];
    ktest_unique_topic(name, sizeof(name), "elect");
    kfk_new_topic *t = kfk_new_topic_new(name, 2, -1);
    kfk_admin_result *res;
    ck_assert_int_eq(kfk_admin_create_topics(a, &t, 1, &opts, &res), KFK_OK);
    kfk_new_topic_destroy(t);
    kfk_admin_result_destroy(res);
    kfk_metadata_destroy(await_topic(a, name, false));

    /* A fresh topic's leaders are its preferred replicas: nothing to elect. */
    kfk_partition_list *parts = kfk_partition_list_new(3);
    kfk_partition_list_add(parts, name, 1);
    kfk_partition_list_add(parts, name, 0);
    kfk_partition_list_add(parts, name, 7);
    ck_assert_int_eq(kfk_admin_elect_leaders(a, KFK_ELECTION_PREFERRED, parts, &opts, NULL),
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "partition 7"));
    ck_assert_int_eq(kfk_partition_list_error(parts, 0), KFK_ERR_ELECTION_NOT_NEEDED);
    ck_assert_int_eq(kfk_partition_list_error(parts, 1), KFK_ERR_ELECTION_NOT_NEEDED);
    ck_assert_int_eq(kfk_partition_list_error(parts, 2), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kfk_partition_list_destroy(parts);

    parts = kfk_partition_list_new(1);
    kfk_partition_list_add(parts, name, 0);
    ck_assert_int_eq(kfk_admin_elect_leaders(a, KFK_ELECTION_UNCLEAN, parts, &opts, NULL), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_error(parts, 0), KFK_ERR_ELECTION_NOT_NEEDED);
    kfk_partition_list_add(parts, name, 0);
    ck_assert_int_eq(kfk_admin_elect_leaders(a, KFK_ELECTION_PREFERRED, parts, &opts, NULL),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_elect_leaders(a, (kfk_election_type)5, parts, &opts, NULL),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_elect_leaders(a, KFK_ELECTION_PREFERRED, NULL, &opts, NULL),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "both NULL"));
    kfk_partition_list_destroy(parts);

    /* Every partition: those listed needed an election (none of this
     * topic's, which are led by their preferred replicas). */
    kfk_partition_list *all = NULL;
    ck_assert_int_eq(kfk_admin_elect_leaders(a, KFK_ELECTION_PREFERRED, NULL, &opts, &all), KFK_OK);
    ck_assert_ptr_nonnull(all);
    ck_assert_int_lt(kfk_partition_list_find(all, name, 0), 0);
    kfk_partition_list_destroy(all);
    ck_assert_str_eq(kfk_election_type_name(KFK_ELECTION_UNCLEAN), "UNCLEAN");

    /* No reassignment of this topic is in progress. */
    kfk_reassignment_list *l = NULL;
    parts = kfk_partition_list_new(2);
    kfk_partition_list_add(parts, name, 0);
    kfk_partition_list_add(parts, name, 1);
    ck_assert_int_eq(kfk_admin_list_partition_reassignments(a, parts, &opts, &l), KFK_OK);
    ck_assert_uint_eq(kfk_reassignment_list_count(l), 0);
    ck_assert_ptr_null(kfk_reassignment_list_topic(l, 0));
    kfk_reassignment_list_destroy(l);
    ck_assert_int_eq(kfk_admin_list_partition_reassignments(a, NULL, &opts, &l), KFK_OK);
    for (size_t i = 0; i < kfk_reassignment_list_count(l); i++)
        ck_assert_str_ne(kfk_reassignment_list_topic(l, i), name);
    kfk_reassignment_list_destroy(l);
    kfk_partition_list_add(parts, name, 1);
    ck_assert_int_eq(kfk_admin_list_partition_reassignments(a, parts, &opts, &l),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(l);
    kfk_partition_list_destroy(parts);
    delete_topic(a, name);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *admin_topics2_suite(void)
{
    Suite *s = suite_create("admin_topics2");
    TCase *tc = tcase_create("topics2");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_create_with_assignment_places_replicas_and_reports_configs);
    tcase_add_test(tc, test_assignment_needs_default_counts);
    tcase_add_test(tc, test_delete_by_id_names_entries_by_topic_or_hex_id);
    tcase_add_test(tc, test_delete_by_id_refuses_bad_arguments);
    tcase_add_test(tc, test_create_partitions_assigned_places_new_partitions);
    tcase_add_test(tc, test_elect_preferred_leaders_reports_each_partition);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(admin_topics2_suite());
}
