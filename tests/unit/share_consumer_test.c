/* The share consumer (lib/share) against the in-process mock, where the
 * broker's share settings can be changed (kfk_mock_set_share_*): records
 * held past their acquisition lock go to another member with delivery
 * count 2; a record released up to the delivery count limit is archived,
 * never delivered again; a wakeup ends a poll blocked in another thread;
 * a group error that cannot clear reaches poll, and subscribing again
 * recovers; a cluster without share groups is named as such;
 * acknowledgement batches on the wire (runs of offsets, one type per run
 * when all agree). The share groups start at the log's start
 * (share.auto.offset.reset earliest), so records produced before the
 * members join count. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../common/ktest.h"
#include "kclus.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "share/share_int.h"

#define TIMEOUT_MS 30000

static kfk_mock_cluster *mc;
static const char *bootstrap;

static void setup(void)
{
    mc = kfk_mock_cluster_new(2);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_set_share_auto_offset_reset(mc, "earliest"), KFK_OK);
    bootstrap = kfk_mock_cluster_bootstrap(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
}

static kfk_share_consumer *member_with(const char *mode, const char *max_poll_records,
                                       kfk_share_ack_cb *cb, void *opaque)
{
    kfk_conf *conf = kclus_conf(bootstrap);
    kclus_set(conf, "group.id", "g");
    kclus_set(conf, "share.acknowledgement.mode", mode);
    if (max_poll_records) kclus_set(conf, "max.poll.records", max_poll_records);
    if (cb) kfk_conf_set_share_ack_cb(conf, cb, opaque);
    char err[256];
    kfk_share_consumer *sc = kfk_share_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(sc, "%s", err);
    const char *topics[] = {"t"};
    ck_assert_int_eq(kfk_share_consumer_subscribe(sc, topics, 1), KFK_OK);
    return sc;
}

static kfk_share_consumer *member(const char *mode)
{
    return member_with(mode, NULL, NULL, NULL);
}

static kfk_message *poll_record(kfk_share_consumer *sc)
{
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    for (;;) {
        ck_assert_msg(kclus_now_ms() < end, "no record came");
        kfk_message *m = kfk_share_consumer_poll(sc, 200);
        ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_OK);
        if (m) return m;
    }
}

START_TEST(test_records_held_past_their_lock_go_to_another_member)
{
    ck_assert_int_eq(kfk_mock_set_share_record_lock_duration(mc, 300), KFK_OK);
    kclus_produce(bootstrap, "t", 1, 0, 1);
    kfk_share_consumer *a = member("explicit");
    ck_assert_int_eq(kfk_share_consumer_acquisition_lock_timeout_ms(a), -1);
    kfk_message *m = poll_record(a);
    ck_assert_int_eq(kclus_record_id(m), 0);
    ck_assert_int_eq(kfk_message_delivery_count(m), 1);
    ck_assert_int_eq(kfk_share_consumer_acquisition_lock_timeout_ms(a), 300);
    /* a holds it, unacknowledged, without polling; b gets it once the
     * lock passed. */
    kfk_share_consumer *b = member("explicit");
    kfk_message *m2 = poll_record(b);
    ck_assert_int_eq(kclus_record_id(m2), 0);
    ck_assert_int_eq(kfk_message_delivery_count(m2), 2);
    ck_assert_int_eq(kfk_share_consumer_acknowledge(b, m2, KFK_SHARE_ACK_ACCEPT), KFK_OK);
    ck_assert_int_eq(kfk_share_consumer_commit_sync(b, TIMEOUT_MS), KFK_OK);
    /* a's acknowledgement comes too late: the record is b's now. */
    ck_assert_int_eq(kfk_share_consumer_acknowledge(a, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
    ck_assert_int_eq(kfk_share_consumer_commit_sync(a, TIMEOUT_MS), KFK_ERR_INVALID_RECORD_STATE);
    kfk_message_release(m);
    kfk_message_release(m2);
    kfk_share_consumer_destroy(a);
    kfk_share_consumer_destroy(b);
}
END_TEST

START_TEST(test_released_up_to_the_limit_is_archived)
{
    ck_assert_int_eq(kfk_mock_set_share_delivery_count_limit(mc, 2), KFK_OK);
    kclus_produce(bootstrap, "t", 1, 0, 1);
    kfk_share_consumer *sc = member("explicit");
    for (int i = 1; i <= 2; i++) {
        kfk_message *m = poll_record(sc);
        ck_assert_int_eq(kfk_message_delivery_count(m), i);
        ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_RELEASE), KFK_OK);
        kfk_message_release(m);
    }
    /* The next record is the first to come: record 0 is archived. */
    kclus_produce(bootstrap, "t", 1, 2, 1);
    kfk_message *m = poll_record(sc);
    ck_assert_int_eq(kclus_record_id(m), 2);
    ck_assert_int_eq(kfk_message_delivery_count(m), 1);
    ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
    kfk_message_release(m);
    ck_assert_int_eq(kfk_share_consumer_close(sc, TIMEOUT_MS), KFK_OK);
    kfk_share_consumer_destroy(sc);
}
END_TEST

/* Polls sc, which must hand out no record, until a poll fails; its error. */
static kfk_err first_poll_error(kfk_share_consumer *sc)
{
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    kfk_err err = KFK_OK;
    while (!err) {
        ck_assert_msg(kclus_now_ms() < end, "no error reached poll");
        ck_assert_ptr_null(kfk_share_consumer_poll(sc, 200));
        err = kfk_share_consumer_poll_error(sc);
    }
    return err;
}

START_TEST(test_a_group_error_that_cannot_clear_reaches_poll)
{
    ck_assert_int_eq(kfk_mock_push_errors(mc, KP_SHARE_GROUP_HEARTBEAT_KEY, 1,
                                          KFK_ERR_GROUP_AUTHORIZATION_FAILED),
                     KFK_OK);
    kfk_share_consumer *sc = member("implicit");
    kfk_err err = first_poll_error(sc);
    ck_assert_int_eq(err, KFK_ERR_GROUP_AUTHORIZATION_FAILED);
    ck_assert_msg(strstr(kfk_share_consumer_last_error(sc), "ShareGroupHeartbeat"), "%s",
                  kfk_share_consumer_last_error(sc));
    /* Subscribing again tries again (the error was one answer). */
    const char *topics[] = {"t"};
    ck_assert_int_eq(kfk_share_consumer_subscribe(sc, topics, 1), KFK_OK);
    kclus_produce(bootstrap, "t", 1, 0, 1);
    kfk_message *m = poll_record(sc);
    ck_assert_int_eq(kclus_record_id(m), 0);
    kfk_message_release(m);
    kfk_share_consumer_destroy(sc);
}
END_TEST

START_TEST(test_a_cluster_without_share_groups_is_named)
{
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KP_SHARE_GROUP_HEARTBEAT_KEY, 1, KFK_ERR_UNSUPPORTED_VERSION),
        KFK_OK);
    kfk_share_consumer *sc = member("implicit");
    kfk_err err = first_poll_error(sc);
    ck_assert_int_eq(err, KFK_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(kfk_share_consumer_last_error(sc), "does not serve share groups"), "%s",
                  kfk_share_consumer_last_error(sc));
    kfk_share_consumer_destroy(sc);
}
END_TEST

static void *wake_later(void *arg)
{
    kfk_share_consumer *sc = arg;
    int fd = kfk_share_consumer_wakeup_fd(sc);
    ck_assert_int_ge(fd, 0);
    kfk_share_consumer_wakeup(sc);
    return NULL;
}

START_TEST(test_wakeup_ends_a_blocked_poll)
{
    kfk_share_consumer *sc = member("implicit");
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, wake_later, sc), 0);
    /* No record comes: only the wakeup ends this poll. */
    ck_assert_ptr_null(kfk_share_consumer_poll(sc, -1));
    ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_OK);
    pthread_join(t, NULL);
    kfk_share_consumer_destroy(sc);
}
END_TEST

/* poll_batch until it hands out records (asserting they come in time). */
static size_t poll_batch(kfk_share_consumer *sc, kfk_message **msgs, size_t max)
{
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    for (;;) {
        ck_assert_msg(kclus_now_ms() < end, "no record came");
        size_t n = kfk_share_consumer_poll_batch(sc, msgs, max, 200);
        ck_assert_msg(kfk_share_consumer_poll_error(sc) == KFK_OK, "%s",
                      kfk_share_consumer_last_error(sc));
        if (n) return n;
    }
}

START_TEST(test_poll_batch_hands_out_at_most_max_in_offset_order)
{
    enum { N = 20 };
    kclus_produce(bootstrap, "t", 1, 0, N);
    /* max.poll.records 6 bounds a batch asked for 8; a fetch acquires 6 */
    kfk_share_consumer *sc = member_with("implicit", "6", NULL, NULL);
    kfk_message *msgs[8];
    int seen[N] = {0}, got = 0, batches = 0;
    while (got < N) {
        size_t n = poll_batch(sc, msgs, 8);
        ck_assert_uint_le(n, 6);
        batches++;
        for (size_t i = 0; i < n; i++) {
            if (i) ck_assert_int_gt(kfk_message_offset(msgs[i]), kfk_message_offset(msgs[i - 1]));
            int id = kclus_record_id(msgs[i]);
            ck_assert_msg(id >= 0 && id < N && !seen[id], "record %d", id);
            seen[id]++;
            got++;
            kfk_message_release(msgs[i]);
        }
    }
    ck_assert_int_ge(batches, 4); /* 20 records, at most 6 a batch */
    ck_assert_uint_eq(kfk_share_consumer_poll_batch(sc, msgs, 0, 0), 0);
    ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_share_consumer_close(sc, TIMEOUT_MS), KFK_OK);
    kfk_share_consumer_destroy(sc);
}
END_TEST

typedef struct acked {
    int64_t offsets[64];
    int n;
    kfk_err err;
} acked;

static void on_ack(void *opaque, kfk_share_consumer *sc, const char *topic, int32_t partition,
                   const int64_t *offsets, size_t n, kfk_err err)
{
    (void)sc;
    (void)topic;
    (void)partition;
    acked *a = opaque;
    if (err) a->err = err;
    for (size_t i = 0; i < n && a->n < 64; i++)
        a->offsets[a->n++] = offsets[i];
}

START_TEST(test_poll_batch_accepts_the_last_batch_on_the_next_call)
{
    kclus_produce(bootstrap, "t", 1, 0, 5);
    acked a = {0};
    kfk_share_consumer *sc = member_with("implicit", NULL, on_ack, &a);
    kfk_message *msgs[10];
    size_t n = poll_batch(sc, msgs, 10);
    for (size_t i = 0; i < n; i++)
        kfk_message_release(msgs[i]);
    ck_assert_int_eq(a.n, 0);
    /* The next calls accept the batch with their ShareFetch; a later one
     * runs the callback. No commit, no close. */
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    while (a.n < (int)n) {
        ck_assert_msg(kclus_now_ms() < end, "%d of %zu acknowledgements reported", a.n, n);
        ck_assert_uint_eq(kfk_share_consumer_poll_batch(sc, msgs, 10, 100), 0);
        ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_OK);
    }
    ck_assert_int_eq(a.err, KFK_OK);
    ck_assert_int_eq(a.n, (int)n);
    kfk_share_consumer_destroy(sc);
}
END_TEST

START_TEST(test_poll_batch_in_explicit_mode_refuses_while_unacknowledged)
{
    kclus_produce(bootstrap, "t", 1, 0, 3);
    kfk_share_consumer *sc = member("explicit");
    kfk_message *msgs[10];
    size_t n = poll_batch(sc, msgs, 10);
    ck_assert_uint_eq(n, 3);
    for (size_t i = 1; i < n; i++)
        ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, msgs[i], KFK_SHARE_ACK_ACCEPT), KFK_OK);
    ck_assert_uint_eq(kfk_share_consumer_poll_batch(sc, msgs + n, 5, 0), 0);
    ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_ERR_STATE);
    ck_assert_msg(strstr(kfk_share_consumer_last_error(sc), "1 record handed out"), "%s",
                  kfk_share_consumer_last_error(sc));
    ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, msgs[0], KFK_SHARE_ACK_ACCEPT), KFK_OK);
    ck_assert_uint_eq(kfk_share_consumer_poll_batch(sc, msgs + n, 5, 0), 0);
    ck_assert_int_eq(kfk_share_consumer_poll_error(sc), KFK_OK);
    for (size_t i = 0; i < n; i++)
        kfk_message_release(msgs[i]);
    ck_assert_int_eq(kfk_share_consumer_close(sc, TIMEOUT_MS), KFK_OK);
    kfk_share_consumer_destroy(sc);
}
END_TEST

START_TEST(test_renew_is_refused_by_a_broker_without_share_fetch_v2)
{
    ck_assert_int_eq(kfk_mock_set_api_version_range(mc, KP_SHARE_FETCH_KEY, 1, 1), KFK_OK);
    ck_assert_int_eq(kfk_mock_set_api_version_range(mc, KP_SHARE_ACKNOWLEDGE_KEY, 1, 1), KFK_OK);
    kclus_produce(bootstrap, "t", 1, 0, 1);
    kfk_share_consumer *sc = member("explicit");
    kfk_message *m = poll_record(sc);
    ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_RENEW),
                     KFK_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(kfk_share_consumer_last_error(sc), "serves v1"), "%s",
                  kfk_share_consumer_last_error(sc));
    ck_assert_int_eq(kfk_share_consumer_acknowledge(sc, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
    ck_assert_int_eq(kfk_share_consumer_commit_sync(sc, TIMEOUT_MS), KFK_OK);
    kfk_message_release(m);
    kfk_share_consumer_destroy(sc);
}
END_TEST

/* A renewal keeps the record from the other member past its first lock;
 * the record stays handed out (explicit mode refuses the poll after the
 * renewing one without a final type) and keeps its delivery count. */
START_TEST(test_a_renewed_record_stays_the_members_until_released)
{
    enum { LOCK_MS = 400 };
    ck_assert_int_eq(kfk_mock_set_share_record_lock_duration(mc, LOCK_MS), KFK_OK);
    kclus_produce(bootstrap, "t", 1, 0, 1);
    kfk_share_consumer *a = member("explicit");
    kfk_message *m = poll_record(a);
    int64_t t0 = kclus_now_ms(), renewed = t0;
    kfk_share_consumer *b = member("explicit");
    /* b polls through three first lock times; a renews each quarter */
    while (kclus_now_ms() - t0 < 3 * LOCK_MS) {
        kfk_message *m2 = kfk_share_consumer_poll(b, 50);
        ck_assert_msg(!m2, "record %d went to b", m2 ? kclus_record_id(m2) : -1);
        ck_assert_int_eq(kfk_share_consumer_poll_error(b), KFK_OK);
        if (kclus_now_ms() - renewed < LOCK_MS / 4) continue;
        ck_assert_int_eq(kfk_share_consumer_acknowledge(a, m, KFK_SHARE_ACK_RENEW), KFK_OK);
        ck_assert_int_eq(kfk_share_consumer_commit_sync(a, TIMEOUT_MS), KFK_OK);
        renewed = kclus_now_ms();
    }
    /* Renewed by a poll: the poll after it wants a final type. */
    ck_assert_int_eq(kfk_share_consumer_acknowledge(a, m, KFK_SHARE_ACK_RENEW), KFK_OK);
    ck_assert_ptr_null(kfk_share_consumer_poll(a, 0));
    ck_assert_int_eq(kfk_share_consumer_poll_error(a), KFK_OK);
    ck_assert_ptr_null(kfk_share_consumer_poll(a, 0));
    ck_assert_int_eq(kfk_share_consumer_poll_error(a), KFK_ERR_STATE);
    ck_assert_int_eq(kfk_share_consumer_acknowledge(a, m, KFK_SHARE_ACK_RELEASE), KFK_OK);
    ck_assert_int_eq(kfk_share_consumer_commit_sync(a, TIMEOUT_MS), KFK_OK);
    kfk_message_release(m);
    /* Released: b gets it, delivered twice (renewals do not count). */
    m = poll_record(b);
    ck_assert_int_eq(kclus_record_id(m), 0);
    ck_assert_int_eq(kfk_message_delivery_count(m), 2);
    ck_assert_int_eq(kfk_share_consumer_acknowledge(b, m, KFK_SHARE_ACK_ACCEPT), KFK_OK);
    ck_assert_int_eq(kfk_share_consumer_commit_sync(b, TIMEOUT_MS), KFK_OK);
    kfk_message_release(m);
    kfk_share_consumer_destroy(a);
    kfk_share_consumer_destroy(b);
}
END_TEST

START_TEST(test_ack_batches_are_runs_of_offsets)
{
    kshare_acks a = {0};
    const int64_t offs[] = {7, 3, 4, 5, 9};
    const int8_t types[] = {1, 1, 1, 1, 3};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(kshare_acks_add(&a, offs[i], types[i]), 0);
    ck_assert_int_eq(kshare_acks_add(&a, 8, 2), 0);
    kshare_acks_sort(&a);
    karena arena = KARENA_INIT;
    int32_t n = 0;
    kp_share_fetch_request_acknowledgement_batch *b = kshare_acks_batches(&a, &arena, &n);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(b[0].first_offset, 3); /* 3..5 accepted: one type */
    ck_assert_int_eq(b[0].last_offset, 5);
    ck_assert_int_eq(b[0].n_acknowledge_types, 1);
    ck_assert_int_eq(b[0].acknowledge_types[0], 1);
    ck_assert_int_eq(b[1].first_offset, 7); /* 7, 8, 9: accept, release, reject */
    ck_assert_int_eq(b[1].last_offset, 9);
    ck_assert_int_eq(b[1].n_acknowledge_types, 3);
    ck_assert_int_eq(b[1].acknowledge_types[0], 1);
    ck_assert_int_eq(b[1].acknowledge_types[1], 2);
    ck_assert_int_eq(b[1].acknowledge_types[2], 3);
    karena_free(&arena);
    kshare_acks_free(&a);
}
END_TEST

START_TEST(test_a_final_type_replaces_a_pending_renewal)
{
    kshare_acks a = {0};
    ck_assert_int_eq(kshare_acks_set(&a, 5, KFK_SHARE_ACK_RENEW), 0);
    ck_assert_int_eq(kshare_acks_set(&a, 6, KFK_SHARE_ACK_ACCEPT), 0);
    ck_assert_int_eq(a.renews, 1);
    ck_assert_int_eq(kshare_acks_set(&a, 5, KFK_SHARE_ACK_REJECT), 0);
    ck_assert_int_eq(a.renews, 0);
    ck_assert_int_eq(a.n, 2);
    kshare_acks_sort(&a);
    ck_assert_int_eq(a.v[0].offset, 5);
    ck_assert_int_eq(a.v[0].type, KFK_SHARE_ACK_REJECT);
    kshare_acks_free(&a);
}
END_TEST

/* A ShareFetch partition answer with acquired ranges and no records: the
 * gaps are acknowledged one by one up to a bound, however long the
 * ranges (a hostile broker could name 2^62 offsets), and malformed ranges
 * are refused with nothing acknowledged. */
static kfk_err take_ranges(kshare_part *p, const kp_share_fetch_response_acquired_records *r,
                           int32_t n)
{
    static kfk_share_consumer sc; /* records_take reads it only for records */
    kp_share_fetch_response_partition_data pd = {
        .acquired_records = (kp_share_fetch_response_acquired_records *)r, .n_acquired_records = n};
    return kshare_records_take(&sc, p, &pd, NULL);
}

START_TEST(test_acquired_ranges_without_records_are_acknowledged_within_a_bound)
{
    kshare_part p = {0};
    kp_share_fetch_response_acquired_records small[] = {{.first_offset = 10, .last_offset = 12},
                                                        {.first_offset = 20, .last_offset = 20}};
    ck_assert_int_eq(take_ranges(&p, small, 2), KFK_OK);
    ck_assert_int_eq(p.acks.n, 4);
    ck_assert_int_eq(p.acks.v[0].offset, 10);
    ck_assert_int_eq(p.acks.v[3].offset, 20);
    ck_assert_int_eq(p.acks.v[3].type, KSHARE_ACK_GAP);
    kshare_acks_free(&p.acks);

    kp_share_fetch_response_acquired_records huge[] = {
        {.first_offset = 0, .last_offset = INT64_MAX - 1}};
    ck_assert_int_eq(take_ranges(&p, huge, 1), KFK_OK);
    ck_assert_int_eq(p.acks.n, 65536);
    ck_assert_int_eq(p.acks.v[65535].offset, 65535);
    kshare_acks_free(&p.acks);

    kp_share_fetch_response_acquired_records bad[][2] = {
        {{.first_offset = 5, .last_offset = 4}, {.first_offset = 6, .last_offset = 6}},
        {{.first_offset = -1, .last_offset = 0}, {.first_offset = 6, .last_offset = 6}},
        {{.first_offset = 0, .last_offset = 5}, {.first_offset = 5, .last_offset = 6}},
        {{.first_offset = 0, .last_offset = 1}, {.first_offset = 3, .last_offset = INT64_MAX}},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(take_ranges(&p, bad[i], 2), KFK_ERR_MALFORMED);
        ck_assert_int_eq(p.acks.n, 0);
    }
}
END_TEST

static Suite *share_consumer_suite(void)
{
    Suite *s = suite_create("share_consumer");
    TCase *tc = tcase_create("mock");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_records_held_past_their_lock_go_to_another_member);
    tcase_add_test(tc, test_released_up_to_the_limit_is_archived);
    tcase_add_test(tc, test_wakeup_ends_a_blocked_poll);
    tcase_add_test(tc, test_a_group_error_that_cannot_clear_reaches_poll);
    tcase_add_test(tc, test_a_cluster_without_share_groups_is_named);
    tcase_add_test(tc, test_poll_batch_hands_out_at_most_max_in_offset_order);
    tcase_add_test(tc, test_poll_batch_accepts_the_last_batch_on_the_next_call);
    tcase_add_test(tc, test_poll_batch_in_explicit_mode_refuses_while_unacknowledged);
    tcase_add_test(tc, test_renew_is_refused_by_a_broker_without_share_fetch_v2);
    tcase_add_test(tc, test_a_renewed_record_stays_the_members_until_released);
    suite_add_tcase(s, tc);
    TCase *pure = tcase_create("acks");
    tcase_add_test(pure, test_ack_batches_are_runs_of_offsets);
    tcase_add_test(pure, test_a_final_type_replaces_a_pending_renewal);
    tcase_add_test(pure, test_acquired_ranges_without_records_are_acknowledged_within_a_bound);
    suite_add_tcase(s, pure);
    return s;
}

int main(void)
{
    return ktest_run(share_consumer_suite());
}
