/* Produce: batch-level validation (one v2 batch per partition, its size,
 * CRC, record count and attributes, as Kafka's ProduceRequest and
 * LogValidator check them, in Kafka's order and with its error codes),
 * idempotent sequence rules, and appending a copy with its offsets
 * assigned. Nothing here looks at single records,
 * so storing costs one copy and, unless turned off, one CRC pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock.h"
#include "mock/txn.h"
#include "proto/batch.h"
#include "proto/gen/all.h"

typedef kp_produce_request_topic_produce_data pr_topic;
typedef kp_produce_request_partition_produce_data pr_part;
typedef kp_produce_response_topic_produce_response ps_topic;
typedef kp_produce_response_partition_produce_response ps_part;

/* What one request's leader hints need: the brokers to describe. */
typedef struct hints {
    int32_t ids[KFK_MOCK_MAX_BROKERS];
    int32_t n;
} hints;

static void hint_add(hints *h, int32_t id)
{
    if (id < 0) return;
    for (int32_t i = 0; i < h->n; i++)
        if (h->ids[i] == id) return;
    h->ids[h->n++] = id;
}

/* Kafka's DefaultRecordBatch.incrementSequence: sequences wrap at INT32_MAX. */
static int32_t last_sequence(int32_t base, int32_t delta)
{
    if (base > INT32_MAX - delta) return delta - (INT32_MAX - base) - 1;
    return base + delta;
}

/* ProduceRequest.validateRecords: one v2 batch, whole, per partition
 * (INVALID_RECORD). Kafka checks this before anything else about the
 * partition but whether it exists. */
static kfk_err check_shape(kslice records, kbatch *b)
{
    size_t len = 0;
    bool complete = false;
    if (records.len < KBATCH_LOG_OVERHEAD + 5) return KFK_ERR_INVALID_RECORD; /* no batch */
    if (kbatch_peek(records.ptr, records.len, &len, &complete) || !complete)
        return KFK_ERR_CORRUPT_MESSAGE;
    if (records.ptr[16] != 2 || len != records.len) return KFK_ERR_INVALID_RECORD;
    kreader r = kreader_of(records.ptr, records.len);
    return kbatch_parse_header(&r, b) ? KFK_ERR_CORRUPT_MESSAGE : KFK_OK;
}

/* What the log checks on append (size, CRC, then LogValidator's batch
 * rules); *in_log tells the latter, which Kafka answers with the log
 * start offset. */
/* The largest batch t takes: its max.message.bytes, else the broker's
 * message.max.bytes. */
static size_t max_message_bytes(const mock_topic *t)
{
    for (int32_t i = 0; i < t->n_configs; i++)
        if (strcmp(t->configs[i].name, "max.message.bytes") == 0 && t->configs[i].value)
            return (size_t)strtoull(t->configs[i].value, NULL, 10);
    return MOCK_MAX_MESSAGE_BYTES;
}

static kfk_err check_batch(mock_cluster *mc, const mock_topic *t, const kbatch *b, size_t len,
                           bool *in_log)
{
    if (len > max_message_bytes(t)) return KFK_ERR_MESSAGE_TOO_LARGE;
    if (mc->check_crcs && kbatch_verify_crc(b)) return KFK_ERR_CORRUPT_MESSAGE;
    *in_log = true;
    if (b->record_count <= 0 || b->last_offset_delta < 0 ||
        (int64_t)b->last_offset_delta + 1 != b->record_count)
        return KFK_ERR_INVALID_RECORD;             /* offset range and count disagree */
    if (b->control) return KFK_ERR_INVALID_RECORD; /* clients write no control batches */
    if (b->producer_id >= 0 && b->base_sequence < 0) return KFK_ERR_INVALID_RECORD;
    *in_log = false;
    return KFK_OK;
}

/* Appends a copy of the batch; the stored copy gets its offsets. */
static kfk_err append(mock_req *req, mock_partition *p, const kbatch *b, kslice records,
                      ps_part *out)
{
    int32_t last_seq = last_sequence(b->base_sequence, b->last_offset_delta);
    if (b->producer_id >= 0) {
        mock_seq_check chk;
        mock_producer_check(p, b->producer_id, b->producer_epoch, b->base_sequence, last_seq, &chk);
        if (chk.err) return chk.err;
        if (chk.duplicate) { /* as Kafka: success with the first append's offsets */
            out->base_offset = chk.dup_base_offset;
            out->log_append_time_ms = chk.dup_timestamp;
            out->log_start_offset = p->log.log_start_offset;
            return KFK_OK;
        }
    }
    krbuf *copy = krbuf_new(records.len);
    if (!copy) return KFK_ERR_UNKNOWN_SERVER_ERROR;
    memcpy(copy->data, records.ptr, records.len);
    int64_t base;
    if (mock_partition_append(req->mc, p, copy, &base)) {
        krbuf_unref(copy);
        return KFK_ERR_UNKNOWN_SERVER_ERROR;
    }
    if (b->producer_id >= 0 &&
        mock_producer_update(p, b->producer_id, b->producer_epoch, b->base_sequence, last_seq, base,
                             base + b->last_offset_delta, b->max_timestamp))
        return KFK_ERR_UNKNOWN_SERVER_ERROR;
    if (b->transactional && mock_producer_txn_append(p, b->producer_id, base))
        return KFK_ERR_UNKNOWN_SERVER_ERROR;
    out->base_offset = base;
    out->log_start_offset = p->log.log_start_offset;
    return KFK_OK;
}

/* KIP-890 verification of a transactional batch, before the producer
 * state: a duplicate of an appended batch is still in the transaction. */
static kfk_err verify_txn(mock_req *req, kslice txn_id, mock_topic *t, mock_partition *p,
                          const kbatch *b)
{
    if (!b->transactional) return KFK_OK;
    mock_seq_check chk;
    int32_t last_seq = last_sequence(b->base_sequence, b->last_offset_delta);
    mock_producer_check(p, b->producer_id, b->producer_epoch, b->base_sequence, last_seq, &chk);
    if (chk.duplicate) return KFK_OK;
    return mock_txn_verify_produce(req, txn_id, t, p->index, b->producer_id, b->producer_epoch);
}

static kfk_err check_leader(mock_req *req, mock_partition *p, ps_part *out, hints *h)
{
    if (p->leader == req->broker->id) return KFK_OK;
    if (req->version >= 10) { /* KIP-951 */
        out->current_leader.leader_id = p->leader;
        out->current_leader.leader_epoch = p->leader_epoch;
        hint_add(h, p->leader);
    }
    return KFK_ERR_NOT_LEADER_OR_FOLLOWER;
}

/* In Kafka's order: the partition, the request's shape, acks, leadership,
 * the log's checks, the producer state. */
static void produce_one(mock_req *req, mock_topic *t, kfk_err req_err, bool bad_acks, kslice txn_id,
                        const pr_part *pd, ps_part *out, hints *h)
{
    kp_produce_response_partition_produce_response_init(out);
    out->index = pd->index;
    out->base_offset = -1;
    mock_partition *p = mock_partition_find(t, pd->index);
    kbatch b;
    bool in_log = false;
    kfk_err err = req->inject ? req->inject : req_err;
    if (!err && !p) err = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (!err) err = check_shape(pd->records, &b);
    if (!err && bad_acks) err = KFK_ERR_INVALID_REQUIRED_ACKS;
    if (!err) err = check_leader(req, p, out, h);
    if (!err) err = check_batch(req->mc, t, &b, pd->records.len, &in_log);
    if (!err) err = verify_txn(req, txn_id, t, p, &b);
    if (!err) err = append(req, p, &b, pd->records, out);
    out->error_code = (int16_t)err;
    if (err) {
        /* Kafka reports the log start offset with errors that come from
         * the log itself (validation, sequence and epoch checks). */
        in_log |= err == KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER ||
                  err == KFK_ERR_INVALID_PRODUCER_EPOCH || err == KFK_ERR_UNKNOWN_PRODUCER_ID;
        out->base_offset = -1;
        out->log_append_time_ms = -1;
        out->log_start_offset = in_log ? p->log.log_start_offset : -1;
    }
}

static int add_node_endpoints(mock_req *req, const hints *h, kp_produce_response *resp)
{
    if (!h->n) return 0;
    kp_produce_response_node_endpoint *ne = karena_alloc(req->arena, (size_t)h->n * sizeof(*ne));
    if (!ne) return -1;
    for (int32_t i = 0; i < h->n; i++) {
        kp_produce_response_node_endpoint_init(&ne[i]);
        ne[i].node_id = h->ids[i];
        ne[i].host = kwire_cstr("127.0.0.1");
        ne[i].port = mock_broker_get(req->mc, h->ids[i])->port;
    }
    resp->node_endpoints = ne;
    resp->n_node_endpoints = h->n;
    return 0;
}

static mock_topic *resolve(mock_req *req, const pr_topic *td, kfk_err *err)
{
    mock_topic *t = req->version >= 13 ? mock_topic_find_id(req->mc, &td->topic_id)
                                       : mock_topic_find(req->mc, td->name);
    *err = t                    ? KFK_OK
           : req->version >= 13 ? KFK_ERR_UNKNOWN_TOPIC_ID
                                : KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    return t;
}

/* Request-wide checks: Kafka cannot read a null records field (it drops
 * the connection), and transactional batches need a transactional id (no
 * authorizer: any id passes; none fails authorization). */
static int check_request(const kp_produce_request *r, kfk_err *err)
{
    *err = KFK_OK;
    for (int32_t i = 0; i < r->n_topic_data; i++)
        for (int32_t k = 0; k < r->topic_data[i].n_partition_data; k++) {
            kslice rec = r->topic_data[i].partition_data[k].records;
            if (!rec.ptr) return MOCK_CLOSE;
            bool txn = rec.len > 22 && (rec.ptr[22] & KBATCH_ATTR_TRANSACTIONAL);
            if (txn && !r->transactional_id.ptr)
                *err = KFK_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
        }
    return MOCK_DONE;
}

int mock_handle_produce(mock_req *req)
{
    kp_produce_request r;
    kfk_err req_err;
    if (mock_decode(req, &r) || check_request(&r, &req_err)) return MOCK_CLOSE;
    int32_t n = r.n_topic_data > 0 ? r.n_topic_data : 0;
    ps_topic *topics = karena_alloc(req->arena, (size_t)n * sizeof(*topics));
    hints h = {.n = 0};
    if (!topics) return MOCK_CLOSE;
    bool any_err = false, bad_acks = r.acks != 0 && r.acks != 1 && r.acks != -1;
    for (int32_t i = 0; i < n; i++) {
        const pr_topic *td = &r.topic_data[i];
        ps_topic *ts = &topics[i];
        kp_produce_response_topic_produce_response_init(ts);
        ts->name = td->name;
        ts->topic_id = td->topic_id;
        kfk_err terr;
        mock_topic *t = resolve(req, td, &terr);
        int32_t np = td->n_partition_data > 0 ? td->n_partition_data : 0;
        ts->partition_responses = karena_alloc(req->arena, (size_t)np * sizeof(ps_part));
        if (!ts->partition_responses) return MOCK_CLOSE;
        ts->n_partition_responses = np;
        for (int32_t k = 0; k < np; k++) {
            produce_one(req, t, req_err ? req_err : terr, bad_acks, r.transactional_id,
                        &td->partition_data[k], &ts->partition_responses[k], &h);
            any_err |= ts->partition_responses[k].error_code != 0;
        }
    }
    /* acks=0 gets no answer; Kafka closes the connection on an error so
     * that the producer notices something went wrong. */
    if (r.acks == 0) return any_err ? MOCK_CLOSE : MOCK_DONE;
    kp_produce_response resp;
    kp_produce_response_init(&resp);
    resp.responses = topics;
    resp.n_responses = n;
    if (req->version >= 10 && add_node_endpoints(req, &h, &resp)) return MOCK_CLOSE;
    return mock_respond(req, &resp);
}
