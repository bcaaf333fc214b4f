/* Leader epochs of consumed records on one cluster (KFK_TEST_BOOTSTRAP:
 * the mock, then real Kafka): records written to a fresh topic carry the
 * partition's leader epoch as metadata reports it (>= 0), and a commit of
 * the positions stores the last record's epoch with the offset (read back
 * with a raw OffsetFetch). The epoch changing inside one partition is
 * consumer_epoch_move_test's, on three nodes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/kcommitted.h"
#include "../common/ktest.h"
#include "../common/kwire_client.h"
#include "kfk.h"
#include "kplist.h"

#define NPARTS 2
#define RECORDS 20

/* Partition p's leader epoch once it has a leader. */
static int32_t epoch_of(const char *topic, int32_t p)
{
    char err[256];
    kfk_admin *a = kfk_admin_new(kclus_conf(NULL), err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    int32_t e = -1;
    for (;;) {
        kfk_metadata *md;
        const char *names[] = {topic};
        ck_assert_int_eq(kfk_admin_list_topics(a, names, 1,
                                               &(kfk_admin_options){.timeout_ms = KCLUS_TIMEOUT_MS},
                                               &md),
                         KFK_OK);
        if (kfk_metadata_topic_count(md) == 1 && !kfk_metadata_topic_error(md, 0) &&
            kfk_metadata_partition_count(md, 0) == NPARTS &&
            kfk_metadata_partition_leader(md, 0, (size_t)p) >= 0)
            e = kfk_metadata_partition_leader_epoch(md, 0, (size_t)p);
        kfk_metadata_destroy(md);
        if (e >= 0) break;
        ck_assert_msg(kclus_now_ms() < deadline, "%s/%d has no leader epoch", topic, (int)p);
        kclus_nap(50);
    }
    kfk_admin_destroy(a);
    return e;
}

START_TEST(test_records_of_a_fresh_topic_carry_the_leader_epoch)
{
    char topic[128], group[160];
    ktest_unique_topic(topic, sizeof(topic), "epoch");
    snprintf(group, sizeof(group), "%s-g", topic);
    kclus_create_topic(NULL, topic, NPARTS, -1);
    kclus_produce(NULL, topic, NPARTS, 0, RECORDS);
    int32_t epochs[NPARTS];
    for (int32_t p = 0; p < NPARTS; p++) {
        epochs[p] = epoch_of(topic, p);
        ck_assert_int_ge(epochs[p], 0);
    }

    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "enable.auto.commit", "false");
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_int_eq(kpl_assign(c, topic, NPARTS, KFK_OFFSET_BEGINNING), KFK_OK);
    int got = 0;
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    while (got < RECORDS) {
        ck_assert_msg(kclus_now_ms() < deadline, "%d of %d records", got, RECORDS);
        kfk_message *m = kfk_consumer_poll(c, 200);
        if (!m) continue;
        ck_assert_msg(kfk_message_error(m) == KFK_OK, "poll: %s",
                      kfk_err_str(kfk_message_error(m)));
        int32_t p = kfk_message_partition(m);
        ck_assert_msg(kfk_message_leader_epoch(m) == epochs[p],
                      "partition %d offset %lld: epoch %d, metadata says %d", (int)p,
                      (long long)kfk_message_offset(m), (int)kfk_message_leader_epoch(m),
                      (int)epochs[p]);
        got++;
        kfk_message_release(m);
    }
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 0), KFK_OK);
    for (int32_t p = 0; p < NPARTS; p++) {
        int64_t off;
        int32_t e = kcommitted_epoch(ktest_bootstrap(), group, topic, p, &off);
        ck_assert_int_eq(off, RECORDS / NPARTS);
        ck_assert_int_eq(e, epochs[p]);
    }
    kfk_consumer_destroy(c);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("consumer_epoch_integration");
    TCase *tc = tcase_create("epoch");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_records_of_a_fresh_topic_carry_the_leader_epoch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
