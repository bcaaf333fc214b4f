/* Raw transactional requests for wire-level tests: see ktxn_wire.h. */
#include "ktxn_wire.h"

#include <check.h>

bool ktw_busy(int16_t err)
{
    return err == KFK_ERR_CONCURRENT_TRANSACTIONS || err == KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS;
}

int16_t ktw_init_producer_id(mt_conn *c, int16_t v, const char *txn, int32_t timeout_ms,
                             ktw_pid *out)
{
    kp_init_producer_id_request req;
    kp_init_producer_id_request_init(&req);
    req.transactional_id = kwire_cstr(txn);
    req.transaction_timeout_ms = timeout_ms;
    kp_init_producer_id_response resp;
    mt_call(c, KP_INIT_PRODUCER_ID_KEY, v, &req, &resp);
    if (out) *out = (ktw_pid){resp.producer_id, resp.producer_epoch};
    return resp.error_code;
}

void ktw_add_partitions(mt_conn *c, int16_t v, const char *txn, ktw_pid pe, const char *topic,
                        const int32_t *parts, int n, int16_t *errs)
{
    kp_add_partitions_to_txn_request req;
    kp_add_partitions_to_txn_request_init(&req);
    kp_add_partitions_to_txn_request_add_partitions_to_txn_topic t;
    kp_add_partitions_to_txn_request_add_partitions_to_txn_topic_init(&t);
    t.name = kwire_cstr(topic);
    t.partitions = (int32_t *)parts;
    t.n_partitions = n;
    req.v3_and_below_transactional_id = kwire_cstr(txn);
    req.v3_and_below_producer_id = pe.id;
    req.v3_and_below_producer_epoch = pe.epoch;
    req.v3_and_below_topics = &t;
    req.n_v3_and_below_topics = 1;
    kp_add_partitions_to_txn_response resp;
    mt_call(c, KP_ADD_PARTITIONS_TO_TXN_KEY, v, &req, &resp);
    ck_assert_int_eq(resp.n_results_by_topic_v3_and_below, 1);
    const kp_add_partitions_to_txn_response_add_partitions_to_txn_topic_result *tr =
        &resp.results_by_topic_v3_and_below[0];
    ck_assert_int_eq(tr->n_results_by_partition, n);
    for (int i = 0; i < n; i++) { /* Kafka answers in its own order */
        errs[i] = -1;
        for (int k = 0; k < n; k++)
            if (tr->results_by_partition[k].partition_index == parts[i])
                errs[i] = tr->results_by_partition[k].partition_error_code;
    }
}

int16_t ktw_add_offsets(mt_conn *c, const char *txn, ktw_pid pe, const char *group)
{
    kp_add_offsets_to_txn_request req;
    kp_add_offsets_to_txn_request_init(&req);
    req.transactional_id = kwire_cstr(txn);
    req.producer_id = pe.id;
    req.producer_epoch = pe.epoch;
    req.group_id = kwire_cstr(group);
    kp_add_offsets_to_txn_response resp;
    mt_call(c, KP_ADD_OFFSETS_TO_TXN_KEY, 3, &req, &resp);
    return resp.error_code;
}

int16_t ktw_end_txn(mt_conn *c, int16_t v, const char *txn, ktw_pid pe, bool commit, ktw_pid *out)
{
    kp_end_txn_request req;
    kp_end_txn_request_init(&req);
    req.transactional_id = kwire_cstr(txn);
    req.producer_id = pe.id;
    req.producer_epoch = pe.epoch;
    req.committed = commit;
    kp_end_txn_response resp;
    mt_call(c, KP_END_TXN_KEY, v, &req, &resp);
    if (out) *out = (ktw_pid){resp.producer_id, resp.producer_epoch};
    return resp.error_code;
}

int16_t ktw_txn_offset_commit(mt_conn *c, int16_t v, ktw_pid pe, const ktw_offset *o)
{
    kp_txn_offset_commit_request req;
    kp_txn_offset_commit_request_init(&req);
    kp_txn_offset_commit_request_topic t;
    kp_txn_offset_commit_request_topic_init(&t);
    kp_txn_offset_commit_request_partition p;
    kp_txn_offset_commit_request_partition_init(&p);
    p.partition_index = o->partition;
    p.committed_offset = o->offset;
    if (v >= 6)
        t.topic_id = o->topic_id;
    else
        t.name = kwire_cstr(o->topic);
    t.partitions = &p;
    t.n_partitions = 1;
    req.transactional_id = kwire_cstr(o->txn);
    req.group_id = kwire_cstr(o->group);
    req.producer_id = pe.id;
    req.producer_epoch = pe.epoch;
    req.generation_id_or_member_epoch = o->generation;
    req.member_id = kwire_cstr(o->member);
    if (o->instance) req.group_instance_id = kwire_cstr(o->instance);
    req.topics = &t;
    req.n_topics = 1;
    kp_txn_offset_commit_response resp;
    mt_call(c, KP_TXN_OFFSET_COMMIT_KEY, v, &req, &resp);
    ck_assert_int_eq(resp.n_topics, 1);
    ck_assert_int_eq(resp.topics[0].n_partitions, 1);
    return resp.topics[0].partitions[0].error_code;
}

int16_t ktw_produce(mt_conn *c, int16_t v, const char *txn, const char *topic, int32_t partition,
                    kslice records, int64_t *base)
{
    kuuid no_id = {{0}};
    const kp_produce_response_partition_produce_response *r =
        mt_produce_v(c, v, txn, topic, no_id, partition, records, -1, NULL);
    if (base) *base = r->base_offset;
    return r->error_code;
}

int64_t ktw_list_latest(mt_conn *c, const char *topic, int32_t partition, int8_t isolation)
{
    const kp_list_offsets_response_list_offsets_partition_response *p =
        mt_list_offsets(c, 7, topic, partition, -1, isolation);
    ck_assert_int_eq(p->error_code, 0);
    return p->offset;
}

int16_t ktw_transaction_version(mt_conn *c)
{
    kp_api_versions_request req;
    kp_api_versions_request_init(&req);
    req.client_software_name = kwire_cstr("kfk-test");
    req.client_software_version = kwire_cstr("0.1.0");
    kp_api_versions_response resp;
    mt_call(c, KP_API_VERSIONS_KEY, 3, &req, &resp);
    for (int32_t i = 0; i < resp.n_finalized_features; i++)
        if (kwire_eq(resp.finalized_features[i].name, kwire_cstr("transaction.version")))
            return resp.finalized_features[i].max_version_level;
    return 0;
}

kslice ktw_batch(kbuf *buf, int n, ktw_pid pe, int32_t seq, int64_t ts0, int64_t ts_step)
{
    kbuf_reset(buf);
    kbatch_writer w;
    ck_assert_int_eq(
        kbatch_writer_begin(&w, buf, 0, ts0, pe.id, pe.epoch, seq, KBATCH_ATTR_TRANSACTIONAL, 0),
        0);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(
            kbatch_writer_append(&w, ts0 + i * ts_step, kwire_cstr("k"), kwire_cstr("v"), NULL, 0),
            0);
    kslice out;
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &out), 0);
    return out;
}

void ktw_expect_marker(const kp_fetch_response_partition_data *pd, int64_t offset, ktw_pid pe,
                       bool commit, int32_t *records, size_t *value_len)
{
    kreader r = kreader_of(pd->records.ptr, pd->records.len);
    kbatch b;
    ck_assert_int_eq(kbatch_parse_header(&r, &b), 0);
    ck_assert_int_eq(b.base_offset, offset);
    ck_assert(b.control && b.transactional);
    ck_assert_int_eq(b.producer_id, pe.id);
    ck_assert_int_eq(b.producer_epoch, pe.epoch);
    kbuf scratch = {0};
    kbatch_read_opts opts = {.start_offset = 0, .check_crcs = true};
    krecord_iter it;
    krecord rec;
    ck_assert_int_eq(krecord_iter_init(&it, &b, &opts, &scratch), 0);
    ck_assert(krecord_iter_next(&it, &rec));
    ck_assert_uint_eq(rec.key.len, 4); /* version 0, type */
    ck_assert_int_eq(rec.key.ptr[3], commit ? 1 : 0);
    if (records) *records = b.record_count;
    if (value_len) *value_len = rec.value.len;
    kbuf_free(&scratch);
}
