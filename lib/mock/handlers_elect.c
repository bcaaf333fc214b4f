/* ElectLeaders and ListPartitionReassignments, as far as the mock cluster
 * has them: its leaders are always the preferred replicas (it moves no
 * leader by itself) and it reassigns nothing, so every election is
 * ELECTION_NOT_NEEDED and no reassignment is ever in progress. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock.h"
#include "proto/gen/all.h"

typedef kp_elect_leaders_response_partition_result el_part;
typedef kp_elect_leaders_response_replica_election_result el_topic;

static kfk_err elect_one(mock_cluster *mc, kslice topic, int32_t partition)
{
    mock_topic *t = mock_topic_find(mc, topic);
    if (!t || partition < 0 || partition >= t->n_parts) return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    const mock_partition *p = t->parts[partition];
    if (p->leader < 0) return KFK_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE;
    return KFK_ERR_ELECTION_NOT_NEEDED;
}

int mock_handle_elect_leaders(mock_req *req)
{
    kp_elect_leaders_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_elect_leaders_response resp;
    kp_elect_leaders_response_init(&resp);
    /* All partitions (null): a controller leaves out those that need no
     * election, here all of them. */
    int32_t nt = r.n_topic_partitions > 0 ? r.n_topic_partitions : 0;
    el_topic *topics = karena_alloc(req->arena, (size_t)nt * sizeof(*topics));
    if (!topics) return MOCK_CLOSE;
    for (int32_t i = 0; i < nt; i++) {
        const kp_elect_leaders_request_topic_partitions *tp = &r.topic_partitions[i];
        int32_t np = tp->n_partitions > 0 ? tp->n_partitions : 0;
        el_part *parts = karena_alloc(req->arena, (size_t)np * sizeof(*parts));
        if (!parts) return MOCK_CLOSE;
        for (int32_t k = 0; k < np; k++) {
            kp_elect_leaders_response_partition_result_init(&parts[k]);
            parts[k].partition_id = tp->partitions[k];
            parts[k].error_code = req->inject
                                      ? (int16_t)req->inject
                                      : (int16_t)elect_one(req->mc, tp->topic, tp->partitions[k]);
            parts[k].error_message = (kslice){NULL, 0};
        }
        kp_elect_leaders_response_replica_election_result_init(&topics[i]);
        topics[i].topic = tp->topic;
        topics[i].partition_result = parts;
        topics[i].n_partition_result = np;
    }
    resp.replica_election_results = topics;
    resp.n_replica_election_results = nt;
    return mock_respond(req, &resp);
}

int mock_handle_list_partition_reassignments(mock_req *req)
{
    kp_list_partition_reassignments_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_list_partition_reassignments_response resp;
    kp_list_partition_reassignments_response_init(&resp);
    resp.error_code = (int16_t)req->inject;
    resp.error_message = (kslice){NULL, 0};
    return mock_respond(req, &resp); /* nothing in progress */
}
