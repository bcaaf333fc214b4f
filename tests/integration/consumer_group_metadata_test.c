/* A consumer's group metadata and transactional offsets (KIP-447) against
 * the cluster KFK_TEST_BOOTSTRAP names (tests/run-integration: the mock,
 * then real Kafka), with group.protocol classic and consumer (KIP-848):
 *   - after joining, kfk_consumer_get_group_metadata gives the group id, a
 *     positive generation (member epoch) and the member id; the group
 *     coordinator accepts a TxnOffsetCommit that carries them and refuses
 *     one with another generation;
 *   - while that transaction is open, a read_committed member of the
 *     group waits for it: committed() times out and its assigned
 *     partition delivers nothing (no reset to auto.offset.reset); when
 *     the transaction commits, it starts at the transaction's offset. A
 *     read_uncommitted consumer meanwhile gets the offset committed before
 *     it at once.
 * The transaction is driven with raw requests (InitProducerId,
 * AddOffsetsToTxn, TxnOffsetCommit, EndTxn), as txn_wire_test does. */
#include "../common/kclus.h"
#include "../common/kcoord.h"
#include "kfk.h"
#include "kplist.h"
#include "ktxn_wire.h"
#include "kwire_client.h"

#define RECORDS 10
#define TXN_OFFSET 4 /* what the transaction commits */

static const char *const protocols[] = {"classic", "consumer"};

static char topic[128], group[128], txn_id[128];
static mt_conn tc; /* the transaction coordinator */
static mt_conn gc; /* the group coordinator */

/* --- raw transactional requests -------------------------------------------------------- */

/* A transaction with the group's offsets in it: InitProducerId, then
 * AddOffsetsToTxn, each retried while the coordinator is busy. */
static ktw_pid begin_with_offsets(void)
{
    ktw_pid pe;
    int64_t deadline = mt_now_ms() + KCLUS_TIMEOUT_MS;
    int16_t err;
    while (ktw_busy(err = ktw_init_producer_id(&tc, 5, txn_id, 60000, &pe)) &&
           mt_now_ms() < deadline)
        kclus_nap(20);
    ck_assert_int_eq(err, 0);
    while (ktw_busy(err = ktw_add_offsets(&tc, txn_id, pe, group)) && mt_now_ms() < deadline)
        kclus_nap(20);
    ck_assert_int_eq(err, 0);
    return pe;
}

static void commit_txn(ktw_pid pe)
{
    int64_t deadline = mt_now_ms() + KCLUS_TIMEOUT_MS;
    int16_t err;
    while (ktw_busy(err = ktw_end_txn(&tc, 4, txn_id, pe, true, NULL)) && mt_now_ms() < deadline)
        kclus_nap(20);
    ck_assert_int_eq(err, 0);
}

/* TxnOffsetCommit v3 (KIP-447's member fields) of TXN_OFFSET for
 * partition 0, as member md (with generation gen); its error. */
static int16_t txn_offset_commit(ktw_pid pe, const kfk_consumer_group_metadata *md, int32_t gen)
{
    ktw_offset o = {.txn = txn_id,
                    .group = kfk_consumer_group_metadata_group_id(md),
                    .member = kfk_consumer_group_metadata_member_id(md),
                    .instance = kfk_consumer_group_metadata_group_instance_id(md),
                    .generation = gen,
                    .topic = topic,
                    .partition = 0,
                    .offset = TXN_OFFSET};
    return ktw_txn_offset_commit(&gc, 3, pe, &o);
}

/* --- consumers ----------------------------------------------------------------------- */

/* A consumer of the group; api_timeout_ms NULL: the default. */
static kfk_consumer *consumer(int proto, const char *isolation, const char *api_timeout_ms)
{
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "group.protocol", protocols[proto]);
    kclus_set(conf, "isolation.level", isolation);
    kclus_set(conf, "auto.offset.reset", "earliest");
    kclus_set(conf, "enable.auto.commit", "false");
    kclus_set(conf, "fetch.max.wait.ms", "100");
    if (api_timeout_ms) kclus_set(conf, "default.api.timeout.ms", api_timeout_ms);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

static size_t assignment_size(kfk_consumer *c)
{
    return kpl_assigned(c);
}

static void subscribe(kfk_consumer *c)
{
    const char *names[] = {topic};
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_OK);
}

/* Polls c until it owns the partition; quiet: fails on any message. */
static void await_assignment(kfk_consumer *c, bool quiet)
{
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    while (assignment_size(c) == 0) {
        ck_assert_msg(kclus_now_ms() < deadline, "no assignment");
        kfk_message *m = kfk_consumer_poll(c, 100);
        ck_assert_msg(!quiet || m == NULL, "offset %lld polled while the offsets are pending",
                      m ? (long long)kfk_message_offset(m) : -1LL);
        kfk_message_release(m);
    }
}

/* The first message c polls within the timeout; fails on none or an
 * error. The caller releases it. */
static kfk_message *first_message(kfk_consumer *c)
{
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    for (;;) {
        ck_assert_msg(kclus_now_ms() < deadline, "no message");
        kfk_message *m = kfk_consumer_poll(c, 200);
        if (!m) continue;
        ck_assert_msg(kfk_message_error(m) == KFK_OK, "poll: %s",
                      kfk_err_str(kfk_message_error(m)));
        return m;
    }
}

/* The group's committed offset of partition 0 as c sees it. */
static kfk_err committed(kfk_consumer *c, int timeout_ms, int64_t *offset)
{
    kfk_partition_list *l = kpl_one(topic, 0, 12345);
    kfk_err err = kfk_consumer_committed(c, l, timeout_ms);
    *offset = kfk_partition_list_offset(l, 0);
    kfk_partition_list_destroy(l);
    return err;
}

/* --- tests ------------------------------------------------------------------------------ */

/* c's metadata once it is a member: checked, then returned. */
static kfk_consumer_group_metadata *member_metadata(kfk_consumer *c)
{
    kfk_consumer_group_metadata *md = kfk_consumer_get_group_metadata(c);
    ck_assert_ptr_nonnull(md);
    ck_assert_str_eq(kfk_consumer_group_metadata_group_id(md), group);
    ck_assert_int_gt(kfk_consumer_group_metadata_generation_id(md), 0);
    char id[256];
    kfk_consumer_member_id(c, id, sizeof(id));
    ck_assert_str_ne(id, "");
    ck_assert_str_eq(kfk_consumer_group_metadata_member_id(md), id);
    ck_assert_ptr_null(kfk_consumer_group_metadata_group_instance_id(md));
    return md;
}

/* Commits TXN_OFFSET in transaction pe as member c: refused with a
 * generation that is not c's, accepted with c's. A KIP-848 broker may
 * bump the member epoch meanwhile (a new target assignment): then again
 * with the metadata as it is now. */
static void commit_as_member(kfk_consumer *c, ktw_pid pe)
{
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    for (;;) {
        kfk_consumer_group_metadata *md = member_metadata(c);
        int32_t gen = kfk_consumer_group_metadata_generation_id(md);
        ck_assert_int_ne(txn_offset_commit(pe, md, gen + 1), 0);
        int16_t err = txn_offset_commit(pe, md, gen);
        kfk_consumer_group_metadata_destroy(md);
        if (!err) return;
        ck_assert_msg(err == KFK_ERR_ILLEGAL_GENERATION || err == KFK_ERR_STALE_MEMBER_EPOCH,
                      "TxnOffsetCommit: %s", kfk_err_str(err));
        ck_assert_msg(kclus_now_ms() < deadline, "TxnOffsetCommit: %s", kfk_err_str(err));
        kfk_message_release(kfk_consumer_poll(c, 200));
    }
}

/* A member of the group commits TXN_OFFSET in a transaction, with its
 * metadata, then leaves; the transaction stays open. */
static ktw_pid offsets_pending(int proto)
{
    kfk_consumer *c = consumer(proto, "read_committed", NULL);
    kfk_consumer_group_metadata *before = kfk_consumer_get_group_metadata(c);
    ck_assert_int_eq(kfk_consumer_group_metadata_generation_id(before), -1);
    ck_assert_str_eq(kfk_consumer_group_metadata_member_id(before), "");
    kfk_consumer_group_metadata_destroy(before);
    subscribe(c);
    await_assignment(c, false);
    ktw_pid pe = begin_with_offsets();
    commit_as_member(c, pe);
    ck_assert_int_eq(kfk_consumer_close(c, KCLUS_TIMEOUT_MS), KFK_OK);
    kfk_consumer_destroy(c);
    return pe;
}

static void waits_for_pending_offsets(int proto)
{
    kclus_produce(NULL, topic, 1, 0, RECORDS);
    ktw_pid pe = offsets_pending(proto);

    int64_t off;
    kfk_consumer *ru = consumer(proto, "read_uncommitted", NULL);
    ck_assert_int_eq(committed(ru, KCLUS_TIMEOUT_MS, &off), KFK_OK);
    ck_assert_int_eq(off, KFK_OFFSET_INVALID);
    kfk_consumer_destroy(ru);

    /* A short API timeout: the assignment's OffsetFetch runs out of time
     * while the offsets are pending, and must start again, not reset. */
    kfk_consumer *rc = consumer(proto, "read_committed", "700");
    ck_assert_int_eq(committed(rc, 1000, &off), KFK_ERR_TIMED_OUT);
    subscribe(rc);
    await_assignment(rc, true);
    int64_t quiet_until = kclus_now_ms() + 2000;
    while (kclus_now_ms() < quiet_until) {
        kfk_message *m = kfk_consumer_poll(rc, 100);
        ck_assert_msg(m == NULL, "offset %lld polled while the offsets are pending",
                      m ? (long long)kfk_message_offset(m) : -1LL);
    }

    commit_txn(pe);
    kfk_message *m = first_message(rc);
    ck_assert_int_eq(kfk_message_offset(m), TXN_OFFSET);
    ck_assert_int_eq(kclus_record_id(m), TXN_OFFSET);
    kfk_message_release(m);
    ck_assert_int_eq(committed(rc, KCLUS_TIMEOUT_MS, &off), KFK_OK);
    ck_assert_int_eq(off, TXN_OFFSET);
    kfk_consumer_destroy(rc);
}

START_TEST(test_read_committed_waits_for_pending_txn_offsets)
{
    waits_for_pending_offsets(_i);
}
END_TEST

static void setup(void)
{
    ktest_unique_topic(topic, sizeof(topic), "gmd");
    ktest_unique_topic(group, sizeof(group), "gmd-group");
    ktest_unique_topic(txn_id, sizeof(txn_id), "gmd-txn");
    kclus_create_topic(NULL, topic, 1, -1);
    kcoord_open(&tc, NULL, 1, txn_id, NULL);
    kcoord_open(&gc, NULL, 0, group, NULL);
}

static void teardown(void)
{
    mt_close(&tc);
    mt_close(&gc);
    kclus_delete_topic(NULL, topic);
}

static Suite *suite(void)
{
    Suite *s = suite_create("consumer_group_metadata_integration");
    TCase *t = tcase_create("kip447");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 180);
    tcase_add_loop_test(t, test_read_committed_waits_for_pending_txn_offsets, 0, 2);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(suite());
}
