/* The mock's logs: Produce (validation, offsets, acks=0, idempotence as
 * Kafka's ProducerStateManager judges it), Fetch of exactly the stored
 * batches, ListOffsets in all its forms, retention and pipelining. */
#include "mt_conn.h"

static kfk_mock_cluster *mc;
static kbuf buf;

static void setup(void)
{
    mc = kfk_mock_cluster_new(1);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 1), 0);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
    kbuf_free(&buf);
}

/* Fetches partition p of "t" from offset at version v. */
static const kp_fetch_response_partition_data *fetch(mt_conn *c, int16_t v, int32_t p,
                                                     int64_t offset, int32_t max_bytes)
{
    static kp_fetch_response resp;
    mt_fetch f;
    mt_fetch_init(&f, "t", mt_topic_id(mc, "t"), p, offset, 0);
    f.part.partition_max_bytes = max_bytes;
    mt_call(c, KP_FETCH_KEY, v, &f.req, &resp);
    ck_assert_int_eq(resp.n_responses, 1);
    ck_assert_int_eq(resp.responses[0].n_partitions, 1);
    return &resp.responses[0].partitions[0];
}

START_TEST(test_produce_assigns_offsets_and_fetch_returns_the_batches)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kbuf want = {0};
    size_t first_len = 0;
    for (int i = 0; i < 3; i++) {
        kslice b = mt_batch(&buf, 2 + i, 1000 * i, -1, -1, -1);
        if (i == 0) first_len = b.len;
        const kp_produce_response_partition_produce_response *r = mt_produce(&c, "t", 1, b);
        ck_assert_int_eq(r->error_code, 0);
        ck_assert_int_eq(r->base_offset, i == 0 ? 0 : i == 1 ? 2 : 5);
        ck_assert_int_eq(r->log_start_offset, 0);
        ck_assert_int_eq(r->log_append_time_ms, -1);
        size_t at = want.len;
        kbuf_append(&want, b.ptr, b.len);
        kbatch_set_base_offset(want.data + at, r->base_offset);
        kbatch_set_partition_leader_epoch(want.data + at, 0);
    }
    const kp_fetch_response_partition_data *pd = fetch(&c, 16, 1, 0, 1 << 20);
    ck_assert_int_eq(pd->error_code, 0);
    ck_assert_int_eq(pd->high_watermark, 9);
    ck_assert_int_eq(pd->last_stable_offset, 9);
    ck_assert_int_eq(pd->log_start_offset, 0);
    ck_assert_ptr_null(pd->aborted_transactions); /* read_uncommitted */
    ck_assert_uint_eq(pd->records.len, want.len); /* the very bytes, offsets filled in */
    ck_assert(!memcmp(pd->records.ptr, want.data, want.len));
    ck_assert_int_eq(mt_count_records(pd->records, 0), 9);
    pd = fetch(&c, 16, 1, 3, 1 << 20); /* mid-batch: from the batch holding 3 */
    ck_assert_uint_eq(pd->records.len, want.len - first_len);
    pd = fetch(&c, 16, 1, 9, 1 << 20);
    ck_assert_int_eq(pd->error_code, 0);
    ck_assert_uint_eq(pd->records.len, 0);
    ck_assert_int_eq(fetch(&c, 16, 1, 10, 1 << 20)->error_code, KFK_ERR_OFFSET_OUT_OF_RANGE);
    int64_t start, hw;
    ck_assert_int_eq(kfk_mock_partition_offsets(mc, "t", 1, &start, &hw), 0);
    ck_assert_int_eq(start, 0);
    ck_assert_int_eq(hw, 9);
    kbuf_free(&want);
    mt_close(&c);
}
END_TEST

START_TEST(test_fetch_limits_follow_kafka)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    size_t batch_len = 0;
    for (int i = 0; i < 4; i++) {
        kslice b = mt_batch(&buf, 10, 0, -1, -1, -1);
        batch_len = b.len;
        ck_assert_int_eq(mt_produce(&c, "t", 0, b)->error_code, 0);
    }
    /* A first batch larger than the limit still comes whole (KIP-74). */
    const kp_fetch_response_partition_data *pd = fetch(&c, 16, 0, 0, 10);
    ck_assert_uint_eq(pd->records.len, batch_len);
    ck_assert_uint_eq(fetch(&c, 16, 0, 0, 0)->records.len, batch_len);
    /* Past the first, the limit cuts a batch short, as a log slice does. */
    pd = fetch(&c, 16, 0, 0, (int32_t)(batch_len + 20));
    ck_assert_uint_eq(pd->records.len, batch_len + 20);
    ck_assert_int_eq(mt_count_records(pd->records, 0), 10);
    pd = fetch(&c, 16, 0, 0, (int32_t)(2 * batch_len));
    ck_assert_int_eq(mt_count_records(pd->records, 0), 20);

    /* max_bytes spans partitions: the second gets what is left. */
    ck_assert_int_eq(mt_produce(&c, "t", 1, mt_batch(&buf, 10, 0, -1, -1, -1))->error_code, 0);
    kp_fetch_request req;
    kp_fetch_request_init(&req);
    kp_fetch_request_fetch_topic ft;
    kp_fetch_request_fetch_topic_init(&ft);
    kp_fetch_request_fetch_partition fp[2];
    for (int i = 0; i < 2; i++) {
        kp_fetch_request_fetch_partition_init(&fp[i]);
        fp[i].partition = i;
        fp[i].partition_max_bytes = 1 << 20;
    }
    ft.topic = kwire_cstr("t");
    ft.partitions = fp;
    ft.n_partitions = 2;
    req.topics = &ft;
    req.n_topics = 1;
    req.max_bytes = (int32_t)(batch_len * 3 / 2);
    kp_fetch_response resp;
    mt_call(&c, KP_FETCH_KEY, 12, &req, &resp);
    ck_assert_uint_eq(resp.responses[0].partitions[0].records.len, batch_len * 3 / 2);
    ck_assert_uint_eq(resp.responses[0].partitions[1].records.len, 0);
    req.max_bytes = 1; /* the first partition still gets one batch, the next nothing */
    mt_call(&c, KP_FETCH_KEY, 12, &req, &resp);
    ck_assert_uint_eq(resp.responses[0].partitions[0].records.len, batch_len);
    ck_assert_uint_eq(resp.responses[0].partitions[1].records.len, 0);
    mt_close(&c);
}
END_TEST

/* Our hand-written Fetch encoder against the generated decoder, at every
 * version, with records, errors and large (referenced) batches. */
START_TEST(test_fetch_responses_decode_at_every_version)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kbuf big = {0};
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &big, 0, 0, -1, -1, -1, 0, 0), 0);
    char value[1000];
    memset(value, 'x', sizeof(value));
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(kbatch_writer_append(&w, i, kwire_cstr("k"),
                                              (kslice){(const uint8_t *)value, sizeof(value)}, NULL,
                                              0),
                         0);
    kslice b;
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &b), 0);
    ck_assert_int_eq(mt_produce(&c, "t", 0, b)->error_code, 0);
    ck_assert_int_eq(mt_produce(&c, "t", 0, mt_batch(&buf, 3, 0, -1, -1, -1))->error_code, 0);
    for (int16_t v = KP_FETCH_MIN_VERSION; v <= KP_FETCH_MAX_VERSION; v++) {
        const kp_fetch_response_partition_data *pd = fetch(&c, v, 0, 0, 1 << 20);
        ck_assert_int_eq(pd->error_code, 0);
        ck_assert_int_eq(pd->high_watermark, 23);
        ck_assert_int_eq(mt_count_records(pd->records, 0), 23);
        ck_assert_int_eq(fetch(&c, v, 5, 0, 100)->error_code, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    }
    kbuf_free(&big);
    mt_close(&c);
}
END_TEST

START_TEST(test_fetch_by_topic_id_from_v13)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    ck_assert_int_eq(mt_produce(&c, "t", 0, mt_batch(&buf, 2, 0, -1, -1, -1))->error_code, 0);
    kp_fetch_response resp;
    mt_fetch f;
    kuuid other;
    ktest_fill(other.b, 16, 3);
    mt_fetch_init(&f, "ignored", mt_topic_id(mc, "t"), 0, 0, 0);
    mt_call(&c, KP_FETCH_KEY, 13, &f.req, &resp);
    ck_assert_int_eq(resp.responses[0].partitions[0].error_code, 0);
    ck_assert(!memcmp(resp.responses[0].topic_id.b, f.topic.topic_id.b, 16));
    f.topic.topic_id = other;
    mt_call(&c, KP_FETCH_KEY, 13, &f.req, &resp);
    ck_assert_int_eq(resp.responses[0].partitions[0].error_code, KFK_ERR_UNKNOWN_TOPIC_ID);
    f.part.current_leader_epoch = 5; /* newer than the leader's */
    f.topic.topic_id = mt_topic_id(mc, "t");
    mt_call(&c, KP_FETCH_KEY, 13, &f.req, &resp);
    ck_assert_int_eq(resp.responses[0].partitions[0].error_code, KFK_ERR_UNKNOWN_LEADER_EPOCH);
    mt_close(&c);
}
END_TEST

/* ------------------------------------------------------------ validation */

START_TEST(test_produce_rejects_what_kafka_rejects)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kslice b = mt_batch(&buf, 3, 0, -1, -1, -1);
    uint8_t *p = buf.data;
    p[b.len - 1] ^= 1; /* CRC mismatch */
    ck_assert_int_eq(mt_produce(&c, "t", 0, b)->error_code, KFK_ERR_CORRUPT_MESSAGE);
    ck_assert_int_eq(kfk_mock_set_check_crcs(mc, false), 0); /* fast mode stores it */
    ck_assert_int_eq(mt_produce(&c, "t", 0, b)->error_code, 0);
    kfk_mock_set_check_crcs(mc, true);

    b = mt_batch(&buf, 3, 0, -1, -1, -1);
    kbuf two = {0};
    kbuf_append(&two, b.ptr, b.len);
    kbuf_append(&two, b.ptr, b.len);
    ck_assert_int_eq(mt_produce(&c, "t", 0, (kslice){two.data, two.len})->error_code,
                     KFK_ERR_INVALID_RECORD);
    kbuf_free(&two);
    ck_assert_int_eq(mt_produce(&c, "t", 0, (kslice){buf.data, 0})->error_code,
                     KFK_ERR_INVALID_RECORD);
    /* Transactional batches (control ones are) need a transactional id. */
    kbuf_reset(&buf);
    ck_assert_int_eq(kbatch_write_control(&buf, 0, 0, 5, 0, KCONTROL_COMMIT, 0), 0);
    ck_assert_int_eq(mt_produce(&c, "t", 0, (kslice){buf.data, buf.len})->error_code,
                     KFK_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    /* LogValidator's errors come with the log start offset. */
    const kp_produce_response_partition_produce_response *r =
        mt_produce(&c, "t", 0, mt_batch(&buf, 1, 0, 5, 0, -3));
    ck_assert_int_eq(r->error_code, KFK_ERR_INVALID_RECORD);
    ck_assert_int_eq(r->log_start_offset, 0);
    b = mt_batch(&buf, 3, 0, -1, -1, -1);
    buf.data[16] = 1; /* magic 1 */
    ck_assert_int_eq(mt_produce(&c, "t", 0, b)->error_code, KFK_ERR_INVALID_RECORD);
    ck_assert_int_eq(mt_produce(&c, "t", 7, mt_batch(&buf, 1, 0, -1, -1, -1))->error_code,
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(mt_produce(&c, "u", 0, mt_batch(&buf, 1, 0, -1, -1, -1))->error_code,
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kuuid junk;
    ktest_fill(junk.b, 16, 1);
    ck_assert_int_eq(
        mt_produce_v(&c, 13, NULL, "t", junk, 0, mt_batch(&buf, 1, 0, -1, -1, -1), -1, NULL)
            ->error_code,
        KFK_ERR_UNKNOWN_TOPIC_ID);
    ck_assert_int_eq(
        mt_produce_v(&c, 12, NULL, "t", junk, 0, mt_batch(&buf, 1, 0, -1, -1, -1), 2, NULL)
            ->error_code,
        KFK_ERR_INVALID_REQUIRED_ACKS);

    /* One batch over message.max.bytes. */
    kbatch_writer w;
    kbuf_reset(&buf);
    static uint8_t big[1 << 20];
    ck_assert_int_eq(kbatch_writer_begin(&w, &buf, 0, 0, -1, -1, -1, 0, 0), 0);
    ck_assert_int_eq(
        kbatch_writer_append(&w, 0, (kslice){NULL, 0}, (kslice){big, sizeof(big)}, NULL, 0), 0);
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &b), 0);
    ck_assert_int_eq(mt_produce(&c, "t", 0, b)->error_code, KFK_ERR_MESSAGE_TOO_LARGE);
    int64_t hw;
    kfk_mock_partition_offsets(mc, "t", 0, NULL, &hw);
    ck_assert_int_eq(hw, 3); /* only the fast-mode batch got in */
    /* Kafka cannot read a null records field: it drops the connection. */
    kuuid zero = {{0}};
    mt_produce_req null_records;
    mt_produce_req_init(&null_records, NULL, "t", zero, 0, (kslice){NULL, 0}, -1);
    mt_send(&c, KP_PRODUCE_KEY, 12, &null_records.req);
    ck_assert(mt_closed(&c, MT_TIMEOUT_MS));
    mt_close(&c);
}
END_TEST

START_TEST(test_acks_zero_gets_no_response)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kuuid zero = {{0}};
    mt_produce_req p;
    mt_produce_req_init(&p, NULL, "t", zero, 0, mt_batch(&buf, 5, 0, -1, -1, -1), 0);
    mt_send(&c, KP_PRODUCE_KEY, 12, &p.req);
    /* The next answer on the connection is the Metadata's. */
    kp_metadata_response md;
    mt_metadata(&c, 12, "t", &md);
    ck_assert_int_eq(md.topics[0].error_code, 0);
    int64_t hw;
    kfk_mock_partition_offsets(mc, "t", 0, NULL, &hw);
    ck_assert_int_eq(hw, 5);
    /* An error with acks=0: Kafka closes the connection. */
    p.pd.index = 9;
    mt_send(&c, KP_PRODUCE_KEY, 12, &p.req);
    ck_assert(mt_closed(&c, MT_TIMEOUT_MS));
    mt_close(&c);
    /* Send and hang up at once: the batch still lands. */
    mt_open(&c, mc, 1);
    p.pd.index = 0;
    mt_send(&c, KP_PRODUCE_KEY, 12, &p.req);
    mt_close(&c);
    for (int64_t t0 = mt_now_ms(); hw == 5 && mt_now_ms() - t0 < MT_TIMEOUT_MS;) {
        nanosleep(&(struct timespec){0, 1000000}, NULL); /* until the loop got to it */
        kfk_mock_partition_offsets(mc, "t", 0, NULL, &hw);
    }
    ck_assert_int_eq(hw, 10);
}
END_TEST

START_TEST(test_pipelined_requests_are_answered_in_order)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_metadata_request md;
    kp_metadata_request_init(&md);
    md.n_topics = -1;
    kp_api_versions_request av;
    kp_api_versions_request_init(&av);
    int32_t cids[20];
    for (int i = 0; i < 20; i++)
        cids[i] = i % 2 ? mt_send(&c, KP_METADATA_KEY, 12, &md)
                        : mt_send(&c, KP_API_VERSIONS_KEY, 2, &av);
    for (int i = 0; i < 20; i++) {
        kp_metadata_response mr;
        kp_api_versions_response ar;
        int32_t got = i % 2 ? mt_recv(&c, KP_METADATA_KEY, 12, &mr)
                            : mt_recv(&c, KP_API_VERSIONS_KEY, 2, &ar);
        ck_assert_int_eq(got, cids[i]);
    }
    mt_close(&c);
}
END_TEST

/* ------------------------------------------------------------ idempotence */

static int16_t produce_seq(mt_conn *c, int16_t epoch, int32_t seq, int n, int64_t *base)
{
    const kp_produce_response_partition_produce_response *r =
        mt_produce(c, "t", 0, mt_batch(&buf, n, 500, 4242, epoch, seq));
    *base = r->base_offset;
    return r->error_code;
}

START_TEST(test_idempotent_sequences_follow_the_producer_state_rules)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    int64_t base;
    ck_assert_int_eq(produce_seq(&c, 0, 5, 2, &base), 0); /* unknown producer: any start */
    ck_assert_int_eq(base, 0);
    ck_assert_int_eq(produce_seq(&c, 0, 7, 3, &base), 0);
    ck_assert_int_eq(base, 2);
    /* A retry of either batch is a duplicate: success, first offsets. */
    ck_assert_int_eq(produce_seq(&c, 0, 5, 2, &base), 0);
    ck_assert_int_eq(base, 0);
    ck_assert_int_eq(produce_seq(&c, 0, 7, 3, &base), 0);
    ck_assert_int_eq(base, 2);
    ck_assert_int_eq(produce_seq(&c, 0, 11, 1, &base), KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    ck_assert_int_eq(produce_seq(&c, 0, 7, 2, &base), KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    ck_assert_int_eq(produce_seq(&c, 1, 3, 1, &base), KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    ck_assert_int_eq(produce_seq(&c, 1, 0, 1, &base), 0); /* KIP-360: new epoch from 0 */
    ck_assert_int_eq(base, 5);
    ck_assert_int_eq(produce_seq(&c, 0, 10, 1, &base), KFK_ERR_INVALID_PRODUCER_EPOCH);
    /* Only the last five batches are remembered. */
    for (int i = 1; i <= 5; i++)
        ck_assert_int_eq(produce_seq(&c, 1, i, 1, &base), 0);
    ck_assert_int_eq(produce_seq(&c, 1, 0, 1, &base), KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    ck_assert_int_eq(produce_seq(&c, 1, 2, 1, &base), 0);
    ck_assert_int_eq(base, 7);
    /* Sequences wrap at INT32_MAX. */
    ck_assert_int_eq(produce_seq(&c, 2, 0, 1, &base), 0);
    const kp_produce_response_partition_produce_response *r =
        mt_produce(&c, "t", 0, mt_batch(&buf, 1, 0, 77, 0, INT32_MAX - 1));
    ck_assert_int_eq(r->error_code, 0);
    ck_assert_int_eq(mt_produce(&c, "t", 0, mt_batch(&buf, 2, 0, 77, 0, INT32_MAX))->error_code, 0);
    ck_assert_int_eq(mt_produce(&c, "t", 0, mt_batch(&buf, 1, 0, 77, 0, 1))->error_code, 0);
    mt_close(&c);
}
END_TEST

/* ------------------------------------------------------------ ListOffsets */

static const kp_list_offsets_response_list_offsets_partition_response *
list_offsets(mt_conn *c, int16_t v, int32_t partition, int64_t ts, int8_t isolation)
{
    return mt_list_offsets(c, v, "t", partition, ts, isolation);
}

START_TEST(test_list_offsets_earliest_latest_and_by_time)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    const kp_list_offsets_response_list_offsets_partition_response *r;
    r = list_offsets(&c, 11, 0, -3, 0);
    ck_assert_int_eq(r->offset, -1); /* an empty log has no max timestamp */
    kbuf_reset(&buf);
    kbatch_writer w;
    kslice b;
    static const int64_t ts[] = {100, 300, 200, 250, 150};
    ck_assert_int_eq(kbatch_writer_begin(&w, &buf, 0, 100, -1, -1, -1, 0, 0), 0);
    for (int i = 0; i < 3; i++)
        kbatch_writer_append(&w, ts[i], kwire_cstr("k"), kwire_cstr("v"), NULL, 0);
    kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &b);
    ck_assert_int_eq(mt_produce(&c, "t", 0, b)->error_code, 0);
    ck_assert_int_eq(kbatch_writer_begin(&w, &buf, 0, 250, -1, -1, -1, 0, 0), 0);
    for (int i = 3; i < 5; i++)
        kbatch_writer_append(&w, ts[i], kwire_cstr("k"), kwire_cstr("v"), NULL, 0);
    kbuf lz = {0};
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_LZ4, -1, &lz, &b), 0);
    ck_assert_int_eq(mt_produce(&c, "t", 0, b)->error_code, 0);
    kbuf_free(&lz);

    static const struct {
        int64_t ts, offset, timestamp;
    } cases[] = {{-2, 0, -1},  {-1, 5, -1},   {-3, 1, 300},  {-4, 0, -1},   {-5, -1, -1},
                 {-6, -1, -1}, {200, 1, 300}, {260, 1, 300}, {301, -1, -1}, {0, 0, 100}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = list_offsets(&c, 11, 0, cases[i].ts, 0);
        ck_assert_int_eq(r->error_code, 0);
        ck_assert_msg(r->offset == cases[i].offset && r->timestamp == cases[i].timestamp,
                      "ts %lld: offset %lld ts %lld", (long long)cases[i].ts, (long long)r->offset,
                      (long long)r->timestamp);
    }
    ck_assert_int_eq(list_offsets(&c, 11, 0, 160, 0)->offset, 1);
    ck_assert_int_eq(list_offsets(&c, 11, 0, -1, 1)->offset, 5); /* read_committed: LSO */
    ck_assert_int_eq(list_offsets(&c, 11, 0, -7, 0)->error_code, KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_int_eq(list_offsets(&c, 6, 0, -3, 0)->error_code, KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_int_eq(list_offsets(&c, 1, 0, -1, 0)->offset, 5);
    ck_assert_int_eq(list_offsets(&c, 11, 9, -1, 0)->error_code,
                     KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    mt_close(&c);
}
END_TEST

/* ---------------------------------------------------------------- retention */

START_TEST(test_retention_drops_the_oldest_batches)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    size_t len = mt_batch(&buf, 10, 0, -1, -1, -1).len;
    ck_assert_int_eq(kfk_mock_set_retention_bytes(mc, 3 * len), 0);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(mt_produce(&c, "t", 0, mt_batch(&buf, 10, 0, -1, -1, -1))->error_code, 0);
    int64_t start, hw;
    kfk_mock_partition_offsets(mc, "t", 0, &start, &hw);
    ck_assert_int_eq(start, 70);
    ck_assert_int_eq(hw, 100);
    ck_assert_int_eq(fetch(&c, 12, 0, 0, 1 << 20)->error_code, KFK_ERR_OFFSET_OUT_OF_RANGE);
    const kp_fetch_response_partition_data *pd = fetch(&c, 12, 0, 70, 1 << 20);
    ck_assert_int_eq(pd->log_start_offset, 70);
    ck_assert_int_eq(mt_count_records(pd->records, 70), 30);
    ck_assert_int_eq(list_offsets(&c, 11, 0, -2, 0)->offset, 70);
    /* The newest batch of a partition stays even when it alone is too big. */
    ck_assert_int_eq(kfk_mock_set_retention_bytes(mc, 1), 0);
    ck_assert_int_eq(mt_produce(&c, "t", 0, mt_batch(&buf, 10, 0, -1, -1, -1))->error_code, 0);
    kfk_mock_partition_offsets(mc, "t", 0, &start, &hw);
    ck_assert_int_eq(start, 100);
    ck_assert_int_eq(hw, 110);
    mt_close(&c);
}
END_TEST

static Suite *mock_produce_suite(void)
{
    Suite *s = suite_create("mock_produce");
    TCase *tc = tcase_create("logs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_produce_assigns_offsets_and_fetch_returns_the_batches);
    tcase_add_test(tc, test_fetch_limits_follow_kafka);
    tcase_add_test(tc, test_fetch_responses_decode_at_every_version);
    tcase_add_test(tc, test_fetch_by_topic_id_from_v13);
    tcase_add_test(tc, test_produce_rejects_what_kafka_rejects);
    tcase_add_test(tc, test_acks_zero_gets_no_response);
    tcase_add_test(tc, test_pipelined_requests_are_answered_in_order);
    tcase_add_test(tc, test_idempotent_sequences_follow_the_producer_state_rules);
    tcase_add_test(tc, test_list_offsets_earliest_latest_and_by_time);
    tcase_add_test(tc, test_retention_drops_the_oldest_batches);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(mock_produce_suite());
}
