/* Fetch long polls and KIP-227 fetch sessions on the mock: an empty fetch
 * waits max_wait_ms, returns as soon as another connection produces, and
 * holds back the requests behind it on its connection; a fetch naming
 * its last fetched epoch learns where a truncated log diverged (KIP-320);
 * sessions open, answer incrementally, rotate and fail as Kafka's do. */
#include <pthread.h>

#include "mt_conn.h"

static kfk_mock_cluster *mc;
static kuuid tid;

static void setup(void)
{
    mc = kfk_mock_cluster_new(2);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 1), 0); /* p0 on broker 1, p1 on 2 */
    tid = mt_topic_id(mc, "t");
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
}

START_TEST(test_empty_fetch_waits_max_wait_ms)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    mt_fetch f;
    mt_fetch_init(&f, "t", tid, 0, 0, 300);
    kp_fetch_response resp;
    int64_t t0 = mt_now_ms();
    mt_call(&c, KP_FETCH_KEY, 16, &f.req, &resp);
    int64_t took = mt_now_ms() - t0;
    ck_assert_msg(took >= 290 && took < 2000, "took %lld ms", (long long)took);
    ck_assert_int_eq(resp.responses[0].partitions[0].error_code, 0);
    ck_assert_uint_eq(resp.responses[0].partitions[0].records.len, 0);
    /* max_wait_ms 0 answers at once. */
    f.req.max_wait_ms = 0;
    int64_t fastest = INT64_MAX; /* of three: load may slow one call, not all */
    for (int i = 0; i < 3; i++) {
        t0 = mt_now_ms();
        mt_call(&c, KP_FETCH_KEY, 16, &f.req, &resp);
        int64_t took_ms = mt_now_ms() - t0;
        if (took_ms < fastest) fastest = took_ms;
    }
    ck_assert_int_lt(fastest, 200);
    mt_close(&c);
}
END_TEST

typedef struct later {
    int delay_ms;
    int partition;
} later;

static void *produce_thread(void *arg)
{
    later *l = arg;
    nanosleep(&(struct timespec){0, (long)l->delay_ms * 1000000}, NULL);
    mt_conn c;
    mt_open(&c, mc, l->partition + 1);
    kbuf b = {0};
    ck_assert_int_eq(mt_produce(&c, "t", l->partition, mt_batch(&b, 3, 0, -1, -1, -1))->error_code,
                     0);
    kbuf_free(&b);
    mt_close(&c);
    return NULL;
}

static pthread_t producer;
static later later_arg;

static void produce_later(int delay_ms, int partition)
{
    later_arg = (later){delay_ms, partition};
    ck_assert_int_eq(pthread_create(&producer, NULL, produce_thread, &later_arg), 0);
}

START_TEST(test_fetch_returns_when_data_arrives)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    mt_fetch f;
    mt_fetch_init(&f, "t", tid, 0, 0, 5000);
    kp_fetch_response resp;
    produce_later(200, 0);
    int64_t t0 = mt_now_ms();
    mt_call(&c, KP_FETCH_KEY, 16, &f.req, &resp);
    int64_t took = mt_now_ms() - t0;
    pthread_join(producer, NULL);
    ck_assert_msg(took >= 150 && took < 3000, "took %lld ms", (long long)took);
    ck_assert_int_eq(mt_count_records(resp.responses[0].partitions[0].records, 0), 3);
    mt_close(&c);
}
END_TEST

START_TEST(test_fetch_waits_for_min_bytes)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    mt_fetch f;
    mt_fetch_init(&f, "t", tid, 0, 0, 600);
    f.req.min_bytes = 1 << 20; /* more than will come */
    kp_fetch_response resp;
    produce_later(100, 0);
    int64_t t0 = mt_now_ms();
    mt_call(&c, KP_FETCH_KEY, 16, &f.req, &resp);
    pthread_join(producer, NULL);
    ck_assert_int_ge(mt_now_ms() - t0, 590);
    ck_assert_int_eq(mt_count_records(resp.responses[0].partitions[0].records, 0), 3);
    mt_close(&c);
}
END_TEST

/* A parked fetch mutes its connection: the Metadata sent behind it is
 * answered after the fetch, in order. */
START_TEST(test_a_waiting_fetch_holds_back_the_requests_behind_it)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    mt_fetch f;
    mt_fetch_init(&f, "t", tid, 0, 0, 300);
    kp_metadata_request md;
    kp_metadata_request_init(&md);
    md.n_topics = -1;
    int64_t t0 = mt_now_ms();
    int32_t c1 = mt_send(&c, KP_FETCH_KEY, 16, &f.req);
    int32_t c2 = mt_send(&c, KP_METADATA_KEY, 12, &md);
    kp_fetch_response fr;
    kp_metadata_response mr;
    ck_assert_int_eq(mt_recv(&c, KP_FETCH_KEY, 16, &fr), c1);
    ck_assert_int_eq(mt_recv(&c, KP_METADATA_KEY, 12, &mr), c2);
    ck_assert_int_ge(mt_now_ms() - t0, 290);
    mt_close(&c);
}
END_TEST

/* An error in any partition answers at once. */
START_TEST(test_a_fetch_with_an_error_does_not_wait)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    mt_fetch f;
    mt_fetch_init(&f, "t", tid, 1, 0, 5000); /* partition 1 is broker 2's */
    kp_fetch_response resp;
    int64_t t0 = mt_now_ms();
    mt_call(&c, KP_FETCH_KEY, 16, &f.req, &resp);
    ck_assert_int_lt(mt_now_ms() - t0, 1000);
    ck_assert_int_eq(resp.responses[0].partitions[0].error_code, KFK_ERR_NOT_LEADER_OR_FOLLOWER);
    mt_close(&c);
}
END_TEST

START_TEST(test_a_leader_move_wakes_a_waiting_fetch)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    mt_fetch f;
    mt_fetch_init(&f, "t", tid, 0, 0, 5000);
    int64_t t0 = mt_now_ms();
    int32_t cid = mt_send(&c, KP_FETCH_KEY, 16, &f.req);
    nanosleep(&(struct timespec){0, 100 * 1000000}, NULL);
    ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "t", 0, 2), 0);
    kp_fetch_response resp;
    ck_assert_int_eq(mt_recv(&c, KP_FETCH_KEY, 16, &resp), cid);
    ck_assert_int_lt(mt_now_ms() - t0, 2000);
    const kp_fetch_response_partition_data *pd = &resp.responses[0].partitions[0];
    ck_assert_int_eq(pd->error_code, KFK_ERR_NOT_LEADER_OR_FOLLOWER);
    ck_assert_int_eq(pd->current_leader.leader_id, 2);
    ck_assert_int_eq(pd->current_leader.leader_epoch, 1);
    ck_assert_int_eq(resp.n_node_endpoints, 1);
    ck_assert_int_eq(resp.node_endpoints[0].node_id, 2);
    ck_assert_int_eq(resp.node_endpoints[0].port, kfk_mock_broker_port(mc, 2));
    mt_close(&c);
}
END_TEST

/* A Fetch v16 of t-0 at offset naming last_epoch (-1: none), at once. */
static const kp_fetch_response_partition_data *fetch_at(mt_conn *c, int64_t offset,
                                                        int32_t current_epoch, int32_t last_epoch)
{
    static kp_fetch_response resp;
    mt_fetch f;
    mt_fetch_init(&f, "t", tid, 0, offset, 0);
    f.part.current_leader_epoch = current_epoch;
    f.part.last_fetched_epoch = last_epoch;
    mt_call(c, KP_FETCH_KEY, 16, &f.req, &resp);
    return &resp.responses[0].partitions[0];
}

/* KIP-320: epoch 0 wrote 0-2 and 3-5, epoch 1 (a leader move) 6-8; an
 * unclean election truncates at 6 (epoch 2), which writes 6-7 anew. A
 * Fetch naming the epoch of the last records it got learns where the log
 * diverged from them, as Kafka's Partition.readRecords answers. */
START_TEST(test_a_fetch_after_a_truncation_gets_the_diverging_epoch)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kbuf buf = {0};
    ck_assert_int_eq(mt_produce(&c, "t", 0, mt_batch(&buf, 3, 1000, -1, -1, -1))->error_code, 0);
    ck_assert_int_eq(mt_produce(&c, "t", 0, mt_batch(&buf, 3, 1000, -1, -1, -1))->error_code, 0);
    mt_close(&c);
    ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "t", 0, 2), 0);
    mt_open(&c, mc, 2);
    ck_assert_int_eq(mt_produce(&c, "t", 0, mt_batch(&buf, 3, 1000, -1, -1, -1))->error_code, 0);
    /* Truncations go where a batch starts, within the log. */
    ck_assert_int_eq(kfk_mock_partition_truncate(mc, "t", 0, 4), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_mock_partition_truncate(mc, "t", 0, 10), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_mock_partition_truncate(mc, "t", 0, 6), 0);
    ck_assert_int_eq(mt_produce(&c, "t", 0, mt_batch(&buf, 2, 1000, -1, -1, -1))->error_code, 0);
    kbuf_free(&buf);

    /* Read up to 9 under epoch 1: epoch 0 is the last at or below it, and
     * it ends at 6. */
    const kp_fetch_response_partition_data *pd = fetch_at(&c, 9, 2, 1);
    ck_assert_int_eq(pd->error_code, 0);
    ck_assert_int_eq(pd->diverging_epoch.epoch, 0);
    ck_assert_int_eq(pd->diverging_epoch.end_offset, 6);
    ck_assert_uint_eq(pd->records.len, 0);
    ck_assert_int_eq(pd->high_watermark, 8);
    /* From 6 after epoch 0 the log agrees: the records of epoch 2. */
    pd = fetch_at(&c, 6, 2, 0);
    ck_assert_int_eq(pd->error_code, 0);
    ck_assert_int_eq(pd->diverging_epoch.epoch, -1);
    ck_assert_int_eq(mt_count_records(pd->records, 6), 2);
    /* Within epoch 0 (it ends at 6, past 4) nothing diverged either. */
    pd = fetch_at(&c, 4, 2, 0);
    ck_assert_int_eq(pd->diverging_epoch.epoch, -1);
    ck_assert_int_eq(mt_count_records(pd->records, 4), 4); /* from the batch holding 4 */
    /* The current epoch ends at the log end; one above it is unknown. */
    pd = fetch_at(&c, 8, 2, 2);
    ck_assert_int_eq(pd->error_code, 0);
    ck_assert_int_eq(pd->diverging_epoch.epoch, -1);
    ck_assert_int_eq(fetch_at(&c, 8, 2, 3)->error_code, KFK_ERR_OFFSET_OUT_OF_RANGE);
    /* Without a last fetched epoch: the offset's range alone. */
    ck_assert_int_eq(fetch_at(&c, 9, 2, -1)->error_code, KFK_ERR_OFFSET_OUT_OF_RANGE);
    mt_close(&c);
}
END_TEST

/* ------------------------------------------------------------- sessions */

typedef struct one_part {
    kp_fetch_request req;
    kp_fetch_request_fetch_topic topic;
    kp_fetch_request_fetch_partition part;
} one_part;

/* A session fetch of partition t-0 (n 1) or of nothing new (n 0). */
static void session_req(one_part *f, int32_t session_id, int32_t epoch, int n)
{
    kp_fetch_request_init(&f->req);
    kp_fetch_request_fetch_topic_init(&f->topic);
    kp_fetch_request_fetch_partition_init(&f->part);
    f->part.partition = 0;
    f->part.partition_max_bytes = 1 << 20;
    f->topic.topic_id = tid;
    f->topic.partitions = &f->part;
    f->topic.n_partitions = 1;
    f->req.topics = &f->topic;
    f->req.n_topics = n;
    f->req.session_id = session_id;
    f->req.session_epoch = epoch;
    f->req.max_wait_ms = 0;
}

START_TEST(test_fetch_sessions_answer_incrementally)
{
    mt_conn c, p;
    mt_open(&c, mc, 1);
    mt_open(&p, mc, 1);
    kbuf b = {0};
    one_part f;
    kp_fetch_response resp;
    session_req(&f, 0, 0, 1); /* open */
    mt_call(&c, KP_FETCH_KEY, 17, &f.req, &resp);
    ck_assert_int_eq(resp.error_code, 0);
    int32_t sid = resp.session_id;
    ck_assert_int_gt(sid, 0);
    ck_assert_int_eq(resp.n_responses, 1); /* a full response */

    session_req(&f, sid, 1, 0); /* nothing new */
    mt_call(&c, KP_FETCH_KEY, 17, &f.req, &resp);
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_eq(resp.session_id, sid);
    ck_assert_int_eq(resp.n_responses, 0);

    ck_assert_int_eq(mt_produce(&p, "t", 0, mt_batch(&b, 4, 0, -1, -1, -1))->error_code, 0);
    session_req(&f, sid, 2, 0); /* the session remembers partition 0 at offset 0 */
    mt_call(&c, KP_FETCH_KEY, 17, &f.req, &resp);
    ck_assert_int_eq(resp.n_responses, 1);
    ck_assert_int_eq(resp.responses[0].partitions[0].high_watermark, 4);
    ck_assert_int_eq(mt_count_records(resp.responses[0].partitions[0].records, 0), 4);

    session_req(&f, sid, 3, 1); /* moves on to offset 4: HW unchanged, nothing */
    f.part.fetch_offset = 4;
    mt_call(&c, KP_FETCH_KEY, 17, &f.req, &resp);
    ck_assert_int_eq(resp.n_responses, 0);

    session_req(&f, sid, 3, 0); /* a stale epoch */
    mt_call(&c, KP_FETCH_KEY, 17, &f.req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_INVALID_FETCH_SESSION_EPOCH);
    ck_assert_int_eq(resp.n_responses, 0);
    session_req(&f, sid + 1000, 1, 0);
    mt_call(&c, KP_FETCH_KEY, 17, &f.req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_FETCH_SESSION_ID_NOT_FOUND);

    session_req(&f, sid, -1, 1); /* close: a full fetch without a session */
    mt_call(&c, KP_FETCH_KEY, 17, &f.req, &resp);
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_eq(resp.session_id, 0);
    ck_assert_int_eq(resp.n_responses, 1);
    session_req(&f, sid, 4, 0);
    mt_call(&c, KP_FETCH_KEY, 17, &f.req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_FETCH_SESSION_ID_NOT_FOUND);
    kbuf_free(&b);
    mt_close(&p);
    mt_close(&c);
}
END_TEST

START_TEST(test_fetch_session_forgets_partitions_and_closes_when_empty)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "u", 1, 1), 0); /* u-0 on broker 1 */
    kuuid uid = mt_topic_id(mc, "u");
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_fetch_request req;
    kp_fetch_request_init(&req);
    kp_fetch_request_fetch_topic t[2];
    kp_fetch_request_fetch_partition p[2];
    for (int i = 0; i < 2; i++) {
        kp_fetch_request_fetch_topic_init(&t[i]);
        kp_fetch_request_fetch_partition_init(&p[i]);
        p[i].partition_max_bytes = 1000;
        t[i].partitions = &p[i];
        t[i].n_partitions = 1;
    }
    t[0].topic_id = tid;
    t[1].topic_id = uid;
    req.topics = t;
    req.n_topics = 2;
    req.session_epoch = 0;
    kp_fetch_response resp;
    mt_call(&c, KP_FETCH_KEY, 16, &req, &resp);
    ck_assert_int_eq(resp.n_responses, 2);
    int32_t sid = resp.session_id;

    /* Forget t-0; an error on u-0 (a fenced epoch) must then show. */
    kp_fetch_request_forgotten_topic fg;
    kp_fetch_request_forgotten_topic_init(&fg);
    int32_t zero = 0;
    fg.topic_id = tid;
    fg.partitions = &zero;
    fg.n_partitions = 1;
    p[1].current_leader_epoch = 7;
    req.topics = &t[1];
    req.n_topics = 1;
    req.forgotten_topics_data = &fg;
    req.n_forgotten_topics_data = 1;
    req.session_id = sid;
    req.session_epoch = 1;
    mt_call(&c, KP_FETCH_KEY, 16, &req, &resp);
    ck_assert_int_eq(resp.n_responses, 1);
    ck_assert(!memcmp(resp.responses[0].topic_id.b, uid.b, 16));
    ck_assert_int_eq(resp.responses[0].partitions[0].error_code, KFK_ERR_UNKNOWN_LEADER_EPOCH);

    /* Forgetting the last partition closes the session: sessionless answer. */
    fg.topic_id = uid;
    req.topics = NULL;
    req.n_topics = 0;
    req.session_epoch = 2;
    mt_call(&c, KP_FETCH_KEY, 16, &req, &resp);
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_eq(resp.session_id, 0);
    ck_assert_int_eq(resp.n_responses, 0);
    req.n_forgotten_topics_data = 0;
    req.session_epoch = 3;
    mt_call(&c, KP_FETCH_KEY, 16, &req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_FETCH_SESSION_ID_NOT_FOUND);
    mt_close(&c);
}
END_TEST

/* Partitions that got records move to the back of the session, so with a
 * response too small for both, the two take turns. */
START_TEST(test_fetch_session_rotates_partitions_that_got_data)
{
    ck_assert_int_eq(kfk_mock_topic_create(mc, "u", 1, 1), 0);
    kuuid uid = mt_topic_id(mc, "u");
    mt_conn c;
    mt_open(&c, mc, 1);
    kbuf b = {0};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(mt_produce(&c, "t", 0, mt_batch(&b, 5, 0, -1, -1, -1))->error_code, 0);
        ck_assert_int_eq(mt_produce(&c, "u", 0, mt_batch(&b, 5, 0, -1, -1, -1))->error_code, 0);
    }
    kp_fetch_request req;
    kp_fetch_request_init(&req);
    kp_fetch_request_fetch_topic t[2];
    kp_fetch_request_fetch_partition p[2];
    for (int i = 0; i < 2; i++) {
        kp_fetch_request_fetch_topic_init(&t[i]);
        kp_fetch_request_fetch_partition_init(&p[i]);
        p[i].partition_max_bytes = 1 << 20;
        t[i].partitions = &p[i];
        t[i].n_partitions = 1;
    }
    t[0].topic_id = tid;
    t[1].topic_id = uid;
    req.topics = t;
    req.n_topics = 2;
    req.max_bytes = 1; /* one batch per response */
    req.session_epoch = 0;
    kp_fetch_response resp;
    mt_call(&c, KP_FETCH_KEY, 16, &req, &resp);
    ck_assert_int_eq(resp.n_responses, 2);
    ck_assert(!memcmp(resp.responses[0].topic_id.b, tid.b, 16));
    ck_assert_uint_gt(resp.responses[0].partitions[0].records.len, 0);
    ck_assert_uint_eq(resp.responses[1].partitions[0].records.len, 0);
    req.session_id = resp.session_id;
    for (int32_t epoch = 1; epoch <= 4; epoch++) {
        req.session_epoch = epoch;
        req.n_topics = 0; /* nothing changes on our side: offsets stay */
        mt_call(&c, KP_FETCH_KEY, 16, &req, &resp);
        ck_assert_int_ge(resp.n_responses, 1);
        kuuid want = epoch % 2 ? uid : tid; /* whoever had to wait goes first */
        ck_assert(!memcmp(resp.responses[0].topic_id.b, want.b, 16));
        ck_assert_uint_gt(resp.responses[0].partitions[0].records.len, 0);
    }
    kbuf_free(&b);
    mt_close(&c);
}
END_TEST

static Suite *mock_fetch_suite(void)
{
    Suite *s = suite_create("mock_fetch");
    TCase *tc = tcase_create("fetch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_empty_fetch_waits_max_wait_ms);
    tcase_add_test(tc, test_fetch_returns_when_data_arrives);
    tcase_add_test(tc, test_fetch_waits_for_min_bytes);
    tcase_add_test(tc, test_a_waiting_fetch_holds_back_the_requests_behind_it);
    tcase_add_test(tc, test_a_fetch_with_an_error_does_not_wait);
    tcase_add_test(tc, test_a_leader_move_wakes_a_waiting_fetch);
    tcase_add_test(tc, test_a_fetch_after_a_truncation_gets_the_diverging_epoch);
    tcase_add_test(tc, test_fetch_sessions_answer_incrementally);
    tcase_add_test(tc, test_fetch_session_forgets_partitions_and_closes_when_empty);
    tcase_add_test(tc, test_fetch_session_rotates_partitions_that_got_data);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(mock_fetch_suite());
}
