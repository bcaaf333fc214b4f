/* DeleteRecords: raises a partition's log start offset, as Kafka's
 * deleteRecords does: whole batches below it are dropped, Fetch below it
 * is OFFSET_OUT_OF_RANGE and ListOffsets earliest answers it. Loop
 * thread, mc->lock held. */
#include <string.h>

#include "mock/mock.h"
#include "proto/gen/delete_records.h"

typedef kp_delete_records_response_delete_records_partition_result dr_result;

/* Kafka refuses to delete from a topic whose cleanup.policy lacks delete. */
static bool deletable(const mock_topic *t)
{
    for (int32_t i = 0; i < t->n_configs; i++)
        if (strcmp(t->configs[i].name, "cleanup.policy") == 0)
            return !t->configs[i].value || strstr(t->configs[i].value, "delete") != NULL;
    return true;
}

static int16_t delete_before(mock_req *req, mock_topic *t, mock_partition *p, int64_t offset)
{
    if (!p) return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (p->leader != req->broker->id) return KFK_ERR_NOT_LEADER_OR_FOLLOWER;
    if (!deletable(t)) return KFK_ERR_POLICY_VIOLATION;
    mock_log *log = &p->log;
    if (offset == -1) offset = log->end_offset; /* the high watermark */
    if (offset < 0 || offset > log->end_offset) return KFK_ERR_OFFSET_OUT_OF_RANGE;
    mock_log_delete_before(log, offset);
    return 0;
}

static void delete_one(mock_req *req, mock_topic *t,
                       const kp_delete_records_request_delete_records_partition *rp, dr_result *res)
{
    kp_delete_records_response_delete_records_partition_result_init(res);
    res->partition_index = rp->partition_index;
    res->low_watermark = -1;
    mock_partition *p = t ? mock_partition_find(t, rp->partition_index) : NULL;
    res->error_code = req->inject ? (int16_t)req->inject : delete_before(req, t, p, rp->offset);
    if (!res->error_code) res->low_watermark = p->log.log_start_offset;
}

int mock_handle_delete_records(mock_req *req)
{
    kp_delete_records_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    int32_t n = r.n_topics > 0 ? r.n_topics : 0;
    kp_delete_records_response_delete_records_topic_result *topics =
        karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*topics));
    if (!topics) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        const kp_delete_records_request_delete_records_topic *rt = &r.topics[i];
        mock_topic *t = mock_topic_find(req->mc, rt->name);
        int32_t np = rt->n_partitions > 0 ? rt->n_partitions : 0;
        kp_delete_records_response_delete_records_topic_result_init(&topics[i]);
        topics[i].name = rt->name;
        topics[i].n_partitions = np;
        topics[i].partitions = karena_alloc(req->arena, (size_t)(np ? np : 1) * sizeof(dr_result));
        if (!topics[i].partitions) return MOCK_CLOSE;
        for (int32_t k = 0; k < np; k++)
            delete_one(req, t, &rt->partitions[k], &topics[i].partitions[k]);
    }
    kp_delete_records_response resp;
    kp_delete_records_response_init(&resp);
    resp.topics = topics;
    resp.n_topics = n;
    return mock_respond(req, &resp);
}
