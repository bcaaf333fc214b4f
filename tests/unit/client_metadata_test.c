/* The metadata cache: updates from Metadata answers, leader epochs only
 * moving forward, KIP-951 hints, deleted topics, copy on write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "client/metadata.h"

typedef kp_metadata_response_topic rtopic;
typedef kp_metadata_response_partition rpart;

static int32_t replicas[] = {1, 2, 3};

/* A response with one topic of n partitions, leaders 1.., epoch e. */
static void one_topic(kp_metadata_response *r, rtopic *t, rpart *p, const char *name, int n,
                      int32_t leader, int32_t epoch)
{
    kp_metadata_response_init(r);
    kp_metadata_response_topic_init(t);
    t->name = kwire_cstr(name);
    t->topic_id.b[0] = 7;
    for (int i = 0; i < n; i++) {
        kp_metadata_response_partition_init(&p[i]);
        p[i].partition_index = n - 1 - i; /* any order */
        p[i].leader_id = leader;
        p[i].leader_epoch = epoch;
        p[i].replica_nodes = replicas;
        p[i].n_replica_nodes = 3;
        p[i].isr_nodes = replicas;
        p[i].n_isr_nodes = 2;
    }
    t->partitions = p;
    t->n_partitions = n;
    r->topics = t;
    r->n_topics = 1;
    r->controller_id = 2;
    r->cluster_id = kwire_cstr("cluster-x");
}

START_TEST(test_update_fills_topics_by_partition_id)
{
    kmeta m;
    kmeta_init(&m);
    kp_metadata_response r;
    rtopic t;
    rpart p[4];
    one_topic(&r, &t, p, "orders", 4, 1, 5);
    ck_assert_int_eq(kmeta_update(&m, &r, false), 1);
    kmeta_topic *x = kmeta_topic_get(&m, "orders");
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(x->n_partitions, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(x->partitions[i].id, i);
        ck_assert_int_eq(x->partitions[i].leader, 1);
        ck_assert_int_eq(x->partitions[i].n_replicas, 3);
        ck_assert_int_eq(x->partitions[i].isr[1], 2);
    }
    ck_assert_int_eq(x->id.b[0], 7);
    ck_assert_int_eq(kmeta_controller(&m), 2);
    char *id = kmeta_cluster_id(&m);
    ck_assert_str_eq(id, "cluster-x");
    free(id);
    /* The same answer again changes nothing. */
    uint64_t v = atomic_load(&m.version);
    ck_assert_int_eq(kmeta_update(&m, &r, false), 0);
    ck_assert_uint_eq(atomic_load(&m.version), v);
    kmeta_topic_unref(x);
    kmeta_free(&m);
}
END_TEST

START_TEST(test_older_leader_epoch_does_not_overwrite_newer)
{
    kmeta m;
    kmeta_init(&m);
    kp_metadata_response r;
    rtopic t;
    rpart p[2];
    one_topic(&r, &t, p, "t", 2, 3, 10);
    kmeta_update(&m, &r, false);
    one_topic(&r, &t, p, "t", 2, 1, 9); /* a lagging broker's view */
    p[0].leader_epoch = 11;             /* partition 1 did move on */
    p[0].leader_id = 2;
    kmeta_update(&m, &r, false);
    int32_t leader, epoch;
    ck_assert_int_eq(kmeta_leader(&m, "t", 0, &leader, &epoch), 0);
    ck_assert_int_eq(leader, 3);
    ck_assert_int_eq(epoch, 10);
    ck_assert_int_eq(kmeta_leader(&m, "t", 1, &leader, &epoch), 0);
    ck_assert_int_eq(leader, 2);
    ck_assert_int_eq(epoch, 11);
    kmeta_free(&m);
}
END_TEST

START_TEST(test_leader_hint_applies_only_when_newer)
{
    kmeta m;
    kmeta_init(&m);
    kp_metadata_response r;
    rtopic t;
    rpart p[3];
    one_topic(&r, &t, p, "t", 3, 1, 4);
    kmeta_update(&m, &r, false);
    kmeta_topic *before = kmeta_topic_get(&m, "t");
    ck_assert_int_eq(kmeta_leader_hint(&m, "t", 2, 3, 4), 0); /* same epoch */
    ck_assert_int_eq(kmeta_leader_hint(&m, "t", 2, 3, 5), 1);
    ck_assert_int_eq(kmeta_leader_hint(&m, "t", 7, 3, 9), 0); /* no such partition */
    ck_assert_int_eq(kmeta_leader_hint(&m, "u", 0, 3, 9), 0); /* no such topic */
    int32_t leader, epoch;
    kmeta_leader(&m, "t", 2, &leader, &epoch);
    ck_assert_int_eq(leader, 3);
    ck_assert_int_eq(epoch, 5);
    /* Copy on write: a reader's old reference is unchanged and intact. */
    ck_assert_int_eq(before->partitions[2].leader, 1);
    ck_assert_int_eq(before->partitions[2].replicas[2], 3);
    kmeta_topic_unref(before);
    kmeta_topic *after = kmeta_topic_get(&m, "t");
    ck_assert_int_eq(after->partitions[2].n_replicas, 3);
    ck_assert_int_eq(after->partitions[0].leader, 1);
    kmeta_topic_unref(after);
    kmeta_free(&m);
}
END_TEST

START_TEST(test_all_topics_answer_drops_deleted_topics)
{
    enum { N = 300 };
    kmeta m;
    kmeta_init(&m);
    static rtopic t[N];
    static char names[N][32];
    rpart p[1];
    kp_metadata_response r;
    one_topic(&r, &t[0], p, "x", 1, 1, 1);
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "topic-%d", i);
        t[i] = t[0];
        t[i].name = kwire_cstr(names[i]);
    }
    r.topics = t;
    r.n_topics = N;
    ck_assert_int_eq(kmeta_update(&m, &r, true), N);
    /* Every third topic disappears from the next full answer. */
    static rtopic keep[N];
    int n = 0;
    for (int i = 0; i < N; i++)
        if (i % 3) keep[n++] = t[i];
    r.topics = keep;
    r.n_topics = n;
    ck_assert_int_eq(kmeta_update(&m, &r, true), N - n);
    for (int i = 0; i < N; i++) {
        kmeta_topic *x = kmeta_topic_get(&m, names[i]);
        if (i % 3)
            ck_assert_msg(x != NULL, "%s lost", names[i]);
        else
            ck_assert_msg(x == NULL, "%s kept", names[i]);
        kmeta_topic_unref(x);
    }
    kmeta_forget(&m, names[1]);
    ck_assert_ptr_null(kmeta_topic_get(&m, names[1]));
    kmeta_free(&m);
}
END_TEST

START_TEST(test_topic_errors_keep_partitions_only_while_transient)
{
    kmeta m;
    kmeta_init(&m);
    kp_metadata_response r;
    rtopic t;
    rpart p[2];
    one_topic(&r, &t, p, "t", 2, 1, 1);
    kmeta_update(&m, &r, false);
    t.error_code = KFK_ERR_LEADER_NOT_AVAILABLE;
    t.n_partitions = 0;
    kmeta_update(&m, &r, false);
    kmeta_topic *x = kmeta_topic_get(&m, "t");
    ck_assert_int_eq(x->err, KFK_ERR_LEADER_NOT_AVAILABLE);
    ck_assert_int_eq(x->n_partitions, 2);
    kmeta_topic_unref(x);
    t.error_code = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    kmeta_update(&m, &r, false);
    x = kmeta_topic_get(&m, "t");
    ck_assert_int_eq(x->err, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(x->n_partitions, 0);
    int32_t leader, epoch;
    ck_assert_int_eq(kmeta_leader(&m, "t", 0, &leader, &epoch), -1);
    kmeta_topic_unref(x);
    kmeta_free(&m);
}
END_TEST

START_TEST(test_gaps_in_partition_ids_have_no_leader)
{
    kmeta m;
    kmeta_init(&m);
    kp_metadata_response r;
    rtopic t;
    rpart p[2];
    one_topic(&r, &t, p, "t", 2, 1, 1);
    p[0].partition_index = 3; /* partitions 1 and 3 only */
    kmeta_update(&m, &r, false);
    kmeta_topic *x = kmeta_topic_get(&m, "t");
    ck_assert_int_eq(x->n_partitions, 4);
    ck_assert_int_eq(x->partitions[2].leader, -1);
    ck_assert_int_eq(x->partitions[2].err, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(x->partitions[3].leader, 1);
    kmeta_topic_unref(x);
    kmeta_free(&m);
}
END_TEST

static Suite *metadata_suite(void)
{
    Suite *s = suite_create("client_metadata");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, test_update_fills_topics_by_partition_id);
    tcase_add_test(tc, test_older_leader_epoch_does_not_overwrite_newer);
    tcase_add_test(tc, test_leader_hint_applies_only_when_newer);
    tcase_add_test(tc, test_all_topics_answer_drops_deleted_topics);
    tcase_add_test(tc, test_topic_errors_keep_partitions_only_while_transient);
    tcase_add_test(tc, test_gaps_in_partition_ids_have_no_leader);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(metadata_suite());
}
