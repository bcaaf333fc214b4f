/* ListOffsets: earliest (-2), latest (-1: the high watermark, or the last
 * stable offset for read_committed), max timestamp (-3, v7+), earliest
 * local (-4, v8+), the tiered-storage ones (-5 v9+, -6 v11+: nothing tiered,
 * so no offset), and the first record at or after a timestamp. As Kafka
 * 4.3 does, a timestamp lookup answers with a record's own offset and
 * timestamp, so it reads the records of the one batch it lands in. */
#include <string.h>

#include "mock/mock.h"
#include "proto/batch.h"
#include "proto/gen/list_offsets.h"

#define EARLIEST (-2)
#define LATEST (-1)
#define MAX_TIMESTAMP (-3)
#define EARLIEST_LOCAL (-4)
#define LATEST_TIERED (-5)
#define EARLIEST_PENDING_UPLOAD (-6)

typedef kp_list_offsets_response_list_offsets_partition_response lo_result;

/* The first record of batch b at or after offset from with a timestamp
 * >= ts (any, ts < 0 never reaching here); false when it has none or
 * cannot be read. Records below the log start (a DeleteRecords inside
 * the batch) are gone, as for Kafka's lookup from logStartOffset. */
static bool first_record_at(const mock_batch *b, int64_t from, int64_t ts, lo_result *res)
{
    kreader r = kreader_of(b->buf->data, b->buf->len);
    kbatch batch;
    if (kbatch_parse_header(&r, &batch)) return false;
    kbuf scratch = {0};
    kbatch_read_opts opts = {.start_offset = 0};
    krecord_iter it;
    krecord rec;
    bool found = false;
    if (!krecord_iter_init(&it, &batch, &opts, &scratch)) {
        while (!found && krecord_iter_next(&it, &rec)) {
            if (rec.timestamp < ts || rec.offset < from) continue;
            res->offset = rec.offset;
            res->timestamp = rec.timestamp;
            res->leader_epoch = mock_batch_epoch(b);
            found = true;
        }
    }
    kbuf_free(&scratch);
    return found;
}

static void by_timestamp(const mock_log *log, int64_t ts, lo_result *res)
{
    for (size_t i = log->head; i < log->n; i++)
        if (log->b[i].max_timestamp >= ts &&
            first_record_at(&log->b[i], log->log_start_offset, ts, res))
            return;
}

/* KIP-734: the record with the largest timestamp (the first such). */
static void max_timestamp(const mock_log *log, lo_result *res)
{
    const mock_batch *best = NULL;
    for (size_t i = log->head; i < log->n; i++)
        if (!best || log->b[i].max_timestamp > best->max_timestamp) best = &log->b[i];
    if (best) first_record_at(best, log->log_start_offset, best->max_timestamp, res);
}

/* Which sentinels a version may use; others are UNSUPPORTED_VERSION. */
static bool sentinel_ok(int64_t ts, int16_t version)
{
    switch (ts) {
    case EARLIEST:
    case LATEST:
        return true;
    case MAX_TIMESTAMP:
        return version >= 7;
    case EARLIEST_LOCAL:
        return version >= 8;
    case LATEST_TIERED:
        return version >= 9;
    case EARLIEST_PENDING_UPLOAD:
        return version >= 11;
    default:
        return ts >= 0;
    }
}

static int16_t lookup(mock_req *req, mock_partition *p, int64_t ts, int8_t isolation,
                      lo_result *res)
{
    if (!sentinel_ok(ts, req->version)) return KFK_ERR_UNSUPPORTED_VERSION;
    const mock_log *log = &p->log;
    switch (ts) {
    case EARLIEST:
    case EARLIEST_LOCAL:
        res->offset = log->log_start_offset;
        /* Kafka's: the earliest epoch of its leader epoch cache, which
         * starts where the log does; here the first kept batch's. */
        res->leader_epoch =
            log->head < log->n ? mock_batch_epoch(&log->b[log->head]) : p->leader_epoch;
        break;
    case LATEST:
        res->offset = isolation == 1 ? mock_partition_lso(p) : log->end_offset;
        res->leader_epoch = p->leader_epoch;
        break;
    case MAX_TIMESTAMP:
        max_timestamp(log, res);
        break;
    case LATEST_TIERED:
    case EARLIEST_PENDING_UPLOAD:
        break; /* nothing is tiered */
    default:
        by_timestamp(log, ts, res);
        break;
    }
    return 0;
}

static int16_t check_partition(mock_req *req, mock_partition *p, int32_t current_leader_epoch)
{
    if (!p) return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (p->leader != req->broker->id) return KFK_ERR_NOT_LEADER_OR_FOLLOWER;
    if (current_leader_epoch >= 0 && current_leader_epoch < p->leader_epoch)
        return KFK_ERR_FENCED_LEADER_EPOCH;
    if (current_leader_epoch > p->leader_epoch) return KFK_ERR_UNKNOWN_LEADER_EPOCH;
    return 0;
}

static void list_one(mock_req *req, mock_topic *t, int8_t isolation,
                     const kp_list_offsets_request_list_offsets_partition *rp, lo_result *res)
{
    kp_list_offsets_response_list_offsets_partition_response_init(res);
    res->partition_index = rp->partition_index;
    mock_partition *p = mock_partition_find(t, rp->partition_index);
    res->error_code =
        req->inject ? (int16_t)req->inject : check_partition(req, p, rp->current_leader_epoch);
    if (!res->error_code) res->error_code = lookup(req, p, rp->timestamp, isolation, res);
    if (req->version < 4) res->leader_epoch = -1; /* not in the response before v4 */
}

int mock_handle_list_offsets(mock_req *req)
{
    kp_list_offsets_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    int32_t n = r.n_topics > 0 ? r.n_topics : 0;
    kp_list_offsets_response_list_offsets_topic_response *topics =
        karena_alloc(req->arena, (size_t)n * sizeof(*topics));
    if (!topics) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        const kp_list_offsets_request_list_offsets_topic *rt = &r.topics[i];
        mock_topic *t = mock_topic_find(req->mc, rt->name);
        int32_t np = rt->n_partitions > 0 ? rt->n_partitions : 0;
        kp_list_offsets_response_list_offsets_topic_response_init(&topics[i]);
        topics[i].name = rt->name;
        topics[i].n_partitions = np;
        topics[i].partitions = karena_alloc(req->arena, (size_t)np * sizeof(lo_result));
        if (!topics[i].partitions) return MOCK_CLOSE;
        for (int32_t k = 0; k < np; k++)
            list_one(req, t, r.isolation_level, &rt->partitions[k], &topics[i].partitions[k]);
    }
    kp_list_offsets_response resp;
    kp_list_offsets_response_init(&resp);
    resp.topics = topics;
    resp.n_topics = n;
    return mock_respond(req, &resp);
}
