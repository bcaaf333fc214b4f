/* Describing topics and the cluster against a cluster
 * (KFK_TEST_BOOTSTRAP): DescribeTopicPartitions agrees with Metadata on a
 * fresh topic, every topic is found when none is named, an unknown topic
 * fails alone, and authorized operations come only when asked for. */
#include <stdio.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "kfk.h"

#define OP_READ (1 << 3)
#define OP_WRITE (1 << 4)
#define OP_DESCRIBE (1 << 8)

static const kfk_admin_options opts = {.timeout_ms = 30000};
static const kfk_admin_options with_ops = {.timeout_ms = 30000,
                                           .flags = KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS};

static long topic_index(const kfk_metadata *md, const char *name)
{
    for (size_t t = 0; t < kfk_metadata_topic_count(md); t++)
        if (strcmp(kfk_metadata_topic_name(md, t), name) == 0) return (long)t;
    return -1;
}

START_TEST(test_describe_agrees_with_metadata)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "adm-describe");
    kclus_create_topic(NULL, topic, 3, -1);
    kfk_admin *a = kclus_admin(NULL);
    const char *names[] = {topic, "kfk-it-no-such-topic-here"};
    kfk_metadata *md, *ref;
    /* Metadata first, until every partition has its leader. */
    int64_t deadline = kclus_now_ms() + 30000;
    bool ready = false;
    while (!ready && kclus_now_ms() < deadline) {
        ck_assert_int_eq(kfk_admin_list_topics(a, names, 1, &opts, &ref), KFK_OK);
        ready = kfk_metadata_partition_count(ref, 0) == 3;
        for (size_t p = 0; ready && p < 3; p++)
            ready = kfk_metadata_partition_leader(ref, 0, p) >= 0;
        if (!ready) {
            kfk_metadata_destroy(ref);
            kclus_nap(50);
        }
    }
    ck_assert(ready);
    ck_assert_int_eq(kfk_admin_describe_topics(a, names, 2, &opts, &md),
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_uint_eq(kfk_metadata_topic_count(md), 2);
    long t = topic_index(md, topic), u = topic_index(md, names[1]);
    ck_assert_int_ge(t, 0);
    ck_assert_int_eq(kfk_metadata_topic_error(md, (size_t)u), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kfk_metadata_topic_error(md, (size_t)t), KFK_OK);
    ck_assert_mem_eq(kfk_metadata_topic_id(md, (size_t)t), kfk_metadata_topic_id(ref, 0), 16);
    ck_assert_uint_eq(kfk_metadata_partition_count(md, (size_t)t), 3);
    ck_assert_uint_eq(kfk_metadata_broker_count(md), 0);
    for (size_t p = 0; p < 3; p++) {
        ck_assert_int_eq(kfk_metadata_partition_id(md, (size_t)t, p), (int32_t)p);
        ck_assert_int_eq(kfk_metadata_partition_leader(md, (size_t)t, p),
                         kfk_metadata_partition_leader(ref, 0, p));
        size_t nr, nr_ref, n_isr;
        const int32_t *r = kfk_metadata_partition_replicas(md, (size_t)t, p, &nr);
        const int32_t *r_ref = kfk_metadata_partition_replicas(ref, 0, p, &nr_ref);
        ck_assert_uint_eq(nr, nr_ref);
        ck_assert_mem_eq(r, r_ref, nr * sizeof(int32_t));
        ck_assert_ptr_nonnull(kfk_metadata_partition_isr(md, (size_t)t, p, &n_isr));
        ck_assert_uint_ge(n_isr, 1);
    }
    ck_assert_int_eq(kfk_metadata_topic_authorized_operations(md, (size_t)t), INT32_MIN);
    kfk_metadata_destroy(md);
    kfk_metadata_destroy(ref);

    /* An empty list of names: no topics (not every one). */
    ck_assert_int_eq(kfk_admin_describe_topics(a, names, 0, &opts, &md), KFK_OK);
    ck_assert_uint_eq(kfk_metadata_topic_count(md), 0);
    kfk_metadata_destroy(md);

    /* No names: every topic, this one among them. */
    ck_assert_int_eq(kfk_admin_describe_topics(a, NULL, 0, &opts, &md), KFK_OK);
    t = topic_index(md, topic);
    ck_assert_int_ge(t, 0);
    ck_assert_uint_eq(kfk_metadata_partition_count(md, (size_t)t), 3);
    kfk_metadata_destroy(md);

    /* Asked for: what the caller may do with the topic. */
    ck_assert_int_eq(kfk_admin_describe_topics(a, names, 1, &with_ops, &md), KFK_OK);
    int32_t ops = kfk_metadata_topic_authorized_operations(md, 0);
    ck_assert_int_ne(ops, INT32_MIN);
    ck_assert_int_eq(ops & (OP_READ | OP_WRITE | OP_DESCRIBE), OP_READ | OP_WRITE | OP_DESCRIBE);
    kfk_metadata_destroy(md);
    ck_assert_int_eq(kfk_admin_list_topics(a, names, 1, &with_ops, &md), KFK_OK);
    ck_assert_int_eq(kfk_metadata_topic_authorized_operations(md, 0), ops);
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
    kclus_delete_topic(NULL, topic);
}
END_TEST

START_TEST(test_cluster_authorized_operations_come_when_asked)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_metadata *md;
    ck_assert_int_eq(kfk_admin_describe_cluster(a, &opts, &md), KFK_OK);
    ck_assert_int_eq(kfk_metadata_cluster_authorized_operations(md), INT32_MIN);
    ck_assert_uint_ge(kfk_metadata_broker_count(md), 1);
    kfk_metadata_destroy(md);
    ck_assert_int_eq(kfk_admin_describe_cluster(a, &with_ops, &md), KFK_OK);
    int32_t ops = kfk_metadata_cluster_authorized_operations(md);
    ck_assert_int_ne(ops, INT32_MIN);
    ck_assert_int_ne(ops & OP_DESCRIBE, 0);
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_metadata *md = (void *)1;
    const char *names[] = {""};
    ck_assert_int_eq(kfk_admin_describe_topics(a, names, 1, &opts, &md), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(md);
    ck_assert_str_eq(kfk_admin_last_error(a),
                     "kfk_admin_describe_topics: an entry of names is NULL or empty");
    ck_assert_int_eq(kfk_admin_describe_topics(a, NULL, 1, &opts, &md), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_describe_topics(a, NULL, 0, &opts, NULL), KFK_ERR_INVALID_ARG);
    kfk_admin_options v = {.flags = KFK_ADMIN_VALIDATE_ONLY};
    ck_assert_int_eq(kfk_admin_describe_topics(a, NULL, 0, &v, &md), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_describe_topics(NULL, NULL, 0, &opts, &md), KFK_ERR_INVALID_ARG);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *admin_describe_suite(void)
{
    Suite *s = suite_create("admin_describe");
    TCase *tc = tcase_create("describe");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_describe_agrees_with_metadata);
    tcase_add_test(tc, test_cluster_authorized_operations_come_when_asked);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(admin_describe_suite());
}
