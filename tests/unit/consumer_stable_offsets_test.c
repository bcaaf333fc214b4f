/* Which committed offsets a consumer of a group asks for (KIP-447),
 * against the embedded mock cluster, with a transaction that commits
 * offsets for the group driven by raw requests:
 *   - read_committed asks for stable offsets: while the transaction is
 *     open, committed() times out; read_uncommitted gets the offset
 *     committed before at once;
 *   - a coordinator without OffsetFetch v7 (Kafka before 2.5) cannot be
 *     asked for stable offsets: read_committed takes the offsets as they
 *     are (Java's default), and asks for stable ones again once the
 *     coordinator answers at v7. */
#include "ktxn_wire.h"

#include "kfk.h"
#include "kplist.h"

#define WAIT_MS 10000

static kfk_mock_cluster *mc;
static mt_conn bc; /* broker 1: every coordinator of a one-broker cluster */

static void setup(void)
{
    mc = kfk_mock_cluster_new(1);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    mt_open(&bc, mc, 1);
    /* Records 0..9, so that the offsets committed here are in range. */
    kbuf buf = {0};
    ck_assert_int_eq(mt_produce(&bc, "t", 0, mt_batch(&buf, 10, 1000, -1, -1, -1))->error_code, 0);
    kbuf_free(&buf);
}

static void teardown(void)
{
    mt_close(&bc);
    kfk_mock_cluster_destroy(mc);
    mc = NULL;
}

/* --- a transaction with offsets, by raw requests ------------------------------------------ */

static ktw_pid txn_begin(void)
{
    ktw_pid pe;
    ck_assert_int_eq(ktw_init_producer_id(&bc, 5, "txn", 60000, &pe), 0);
    ck_assert_int_eq(ktw_add_offsets(&bc, "txn", pe, "g"), 0);
    return pe;
}

/* TxnOffsetCommit of offset for t/0, from outside the group. */
static void txn_commit_offset(ktw_pid pe, int64_t offset)
{
    ktw_offset o = {.txn = "txn",
                    .group = "g",
                    .member = "",
                    .generation = -1,
                    .topic = "t",
                    .partition = 0,
                    .offset = offset};
    ck_assert_int_eq(ktw_txn_offset_commit(&bc, 3, pe, &o), 0);
}

static void txn_end(ktw_pid pe)
{
    ck_assert_int_eq(ktw_end_txn(&bc, 4, "txn", pe, true, NULL), 0);
}

/* --- consumers ------------------------------------------------------------------------ */

static kfk_consumer *consumer(const char *isolation)
{
    kfk_conf *conf = kfk_conf_new();
    const char *kv[][2] = {
        {"bootstrap.servers", kfk_mock_cluster_bootstrap(mc)},
        {"group.id", "g"},
        {"log.level", "crit"},
        {"retry.backoff.ms", "20"},
        {"enable.auto.commit", "false"},
        {"isolation.level", isolation},
    };
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        ck_assert_int_eq(kfk_conf_set(conf, kv[i][0], kv[i][1], NULL, 0), KFK_OK);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

/* The group's committed offset of t/0 as c sees it within timeout_ms. */
static kfk_err committed(kfk_consumer *c, int timeout_ms, int64_t *offset)
{
    return kpl_committed(c, "t", 0, offset, timeout_ms);
}

/* Commits offset for t/0 outside any transaction. */
static void commit(kfk_consumer *c, int64_t offset)
{
    ck_assert_int_eq(kpl_commit(c, "t", 0, offset, 0), KFK_OK);
}

/* The offset of the first record c polls as a member of the group. */
static int64_t first_offset(kfk_consumer *c)
{
    const char *names[] = {"t"};
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_OK);
    int64_t until = ktime_mono_ms() + WAIT_MS;
    for (;;) {
        ck_assert_msg(ktime_mono_ms() < until, "no record");
        kfk_message *m = kfk_consumer_poll(c, 20);
        if (!m) continue;
        ck_assert_int_eq(kfk_message_error(m), KFK_OK);
        int64_t off = kfk_message_offset(m);
        kfk_message_release(m);
        return off;
    }
}

/* --- tests ---------------------------------------------------------------------------- */

START_TEST(test_only_read_committed_waits_for_txn_offsets)
{
    kfk_consumer *rc = consumer("read_committed"), *ru = consumer("read_uncommitted");
    commit(ru, 3);
    ktw_pid pe = txn_begin();
    txn_commit_offset(pe, 5);
    int64_t off;
    ck_assert_int_eq(committed(ru, WAIT_MS, &off), KFK_OK);
    ck_assert_int_eq(off, 3);
    ck_assert_int_eq(committed(rc, 300, &off), KFK_ERR_TIMED_OUT);
    txn_end(pe);
    ck_assert_int_eq(committed(rc, WAIT_MS, &off), KFK_OK);
    ck_assert_int_eq(off, 5);
    kfk_consumer_destroy(ru);
    kfk_consumer_destroy(rc);
}
END_TEST

START_TEST(test_old_coordinator_gives_read_committed_the_offsets_as_they_are)
{
    ck_assert_int_eq(kfk_mock_set_api_version_range(mc, KFK_MOCK_API_OFFSET_FETCH, 0, 6), KFK_OK);
    kfk_consumer *member = consumer("read_committed"), *other = consumer("read_committed");
    commit(member, 3);
    ck_assert_int_eq(first_offset(member), 3); /* the assignment's OffsetFetch */
    int64_t off;
    ck_assert_int_eq(committed(other, WAIT_MS, &off), KFK_OK);
    ck_assert_int_eq(off, 3);
    kfk_consumer_destroy(other);
    kfk_consumer_destroy(member);
}
END_TEST

START_TEST(test_read_committed_asks_for_stable_offsets_again_after_an_upgrade)
{
    ck_assert_int_eq(kfk_mock_set_api_version_range(mc, KFK_MOCK_API_OFFSET_FETCH, 0, 6), KFK_OK);
    kfk_consumer *rc = consumer("read_committed");
    commit(rc, 3);
    int64_t off;
    ck_assert_int_eq(committed(rc, WAIT_MS, &off), KFK_OK);
    ck_assert_int_eq(kfk_mock_set_api_version_range(mc, KFK_MOCK_API_OFFSET_FETCH, 0, INT16_MAX),
                     KFK_OK);
    ck_assert_int_eq(kfk_mock_broker_drop_connections(mc, 1), KFK_OK); /* new ApiVersions */
    mt_close(&bc);
    mt_open(&bc, mc, 1);
    ktw_pid pe = txn_begin();
    txn_commit_offset(pe, 5);
    /* The first answer at v7 comes to a request without require_stable;
     * after it, they ask again. */
    ck_assert_int_eq(committed(rc, WAIT_MS, &off), KFK_OK);
    ck_assert_int_eq(off, 3);
    ck_assert_int_eq(committed(rc, 300, &off), KFK_ERR_TIMED_OUT);
    txn_end(pe);
    ck_assert_int_eq(committed(rc, WAIT_MS, &off), KFK_OK);
    ck_assert_int_eq(off, 5);
    kfk_consumer_destroy(rc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("consumer_stable_offsets");
    TCase *t = tcase_create("stable");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_only_read_committed_waits_for_txn_offsets);
    tcase_add_test(t, test_old_coordinator_gives_read_committed_the_offsets_as_they_are);
    tcase_add_test(t, test_read_committed_asks_for_stable_offsets_again_after_an_upgrade);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
