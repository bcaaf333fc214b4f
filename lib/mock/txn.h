/* The mock's transaction coordinator (txn.c), shared by InitProducerId
 * (handlers_producer_id.c), the transaction APIs (handlers_txn.c),
 * Produce (verification of transactional batches) and OffsetFetch
 * (pending transactional offsets). Loop thread or control functions,
 * mc->lock held.
 *
 * Kafka's coordinator moves a transaction through Ongoing, then
 * PrepareCommit/PrepareAbort while WriteTxnMarkers goes out to the
 * partition leaders, then CompleteCommit/CompleteAbort. The mock writes
 * the markers into its logs itself, at once or after a delay
 * (kfk_mock_set_txn_marker_delay); the coordinator answers
 * CONCURRENT_TRANSACTIONS meanwhile. */
#ifndef KFK_MOCK_TXN_H
#define KFK_MOCK_TXN_H

#include "mock/mock.h"

#define MOCK_MAX_TXN_TIMEOUT_MS 900000 /* transaction.max.timeout.ms */
#define MOCK_EPOCH_EXHAUSTED (INT16_MAX - 1)

/* A partition of the transaction, by name: topics may go away meanwhile. */
typedef struct mock_txn_tp {
    char *topic;
    int32_t partition;
} mock_txn_tp;

/* An offset TxnOffsetCommit left pending until the transaction ends. */
typedef struct mock_txn_offset {
    char *group, *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata; /* NULL: null */
    size_t metadata_len;
} mock_txn_offset;

struct mock_txn {
    mock_cluster *mc;
    char *transactional_id;
    int64_t producer_id;
    int64_t prev_producer_id; /* before an epoch-exhaustion rotation, else -1 */
    int16_t epoch;
    int16_t last_epoch; /* before the last bump, for retries (KIP-360), else -1 */
    int32_t timeout_ms;
    int64_t start_ms; /* wall clock when the open transaction began; -1: none open */
    mock_txn_state state;
    mock_txn_tp *parts;
    size_t n_parts, cap_parts;
    char **groups; /* AddOffsetsToTxn */
    size_t n_groups, cap_groups;
    mock_txn_offset *offsets;
    size_t n_offsets, cap_offsets;
    mock_timer timer;           /* Ongoing: transaction_timeout_ms; Prepare*: the marker delay */
    int64_t marker_producer_id; /* Prepare*: what the markers carry */
    int16_t marker_epoch;
};

mock_txn *mock_txn_find(mock_cluster *mc, kslice transactional_id);
/* The state's name as DescribeTransactions and ListTransactions give it. */
const char *mock_txn_state_name(mock_txn_state s);
/* Writes a COMMIT or ABORT marker of producer_id and epoch into topic's
 * partition (WriteTxnMarkers, and the coordinator's own markers).
 * KFK_OK, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION or KFK_ERR_NO_MEMORY. */
kfk_err mock_txn_write_marker(mock_cluster *mc, kslice topic, int32_t partition,
                              int64_t producer_id, int16_t epoch, bool commit);
/* A new transactional id with a new producer id and no epoch yet; NULL
 * when out of memory. */
mock_txn *mock_txn_add(mock_cluster *mc, kslice transactional_id);
void mock_txns_free(mock_cluster *mc);

/* The coordinator's producer check of AddPartitionsToTxn, AddOffsetsToTxn
 * and EndTxn: INVALID_PRODUCER_ID_MAPPING for an unknown transactional id
 * or another producer id, PRODUCER_FENCED for another epoch, else KFK_OK. */
kfk_err mock_txn_check_producer(const mock_txn *t, int64_t producer_id, int16_t epoch);

bool mock_txn_has_partition(const mock_txn *t, kslice topic, int32_t partition);
bool mock_txn_has_group(const mock_txn *t, kslice group);
/* Adds to the transaction (Empty and Complete* become Ongoing, which
 * starts the timeout). KFK_OK or KFK_ERR_NO_MEMORY. */
kfk_err mock_txn_add_partition(mock_txn *t, kslice topic, int32_t partition);
kfk_err mock_txn_add_group(mock_txn *t, kslice group);
/* Keeps (or replaces) a pending offset commit. */
kfk_err mock_txn_add_offset(mock_txn *t, kslice group, kslice topic, int32_t partition,
                            int64_t offset, int32_t leader_epoch, kslice metadata);

/* Ends the transaction: PrepareCommit/PrepareAbort, then (at once, or
 * after the marker delay) a COMMIT or ABORT marker with the current
 * producer id and marker_epoch in every partition of it that still
 * exists, the pending offsets applied (commit) or dropped, state
 * CompleteCommit/CompleteAbort. */
void mock_txn_end(mock_txn *t, bool commit, int16_t marker_epoch);
/* PrepareCommit or PrepareAbort: markers not written yet. */
bool mock_txn_preparing(const mock_txn *t);
/* The coordinator aborting on its own (a new InitProducerId, a timeout):
 * bumps the epoch, fencing the producer, and aborts with the new one. */
void mock_txn_fence_abort(mock_txn *t);

/* Whether a transaction holds an offset for (group, topic, partition)
 * that it has not committed yet (KIP-447 require_stable). */
bool mock_txn_offset_pending(mock_cluster *mc, kslice group, kslice topic, int32_t partition);

/* Produce's check of a transactional batch (KIP-890): the producer's
 * transaction must include the partition; with transaction version 2 and
 * Produce v12+ a partition not yet in it is added, else the batch fails
 * (TRANSACTION_ABORTABLE, INVALID_TXN_STATE before Produce v11). A stale
 * epoch is INVALID_PRODUCER_EPOCH, another producer id
 * INVALID_PRODUCER_ID_MAPPING. */
kfk_err mock_txn_verify_produce(mock_req *req, kslice transactional_id, const mock_topic *t,
                                int32_t partition, int64_t producer_id, int16_t epoch);

/* ------------------------------------------------- per-partition state */

/* After appending a transactional batch at first_offset: the producer's
 * transaction in p starts there unless it already had. */
kfk_err mock_producer_txn_append(mock_partition *p, int64_t producer_id, int64_t first_offset);
/* After appending a marker at marker_offset: the producer's transaction in
 * p ends (an aborted one goes to the aborted index) and its epoch becomes
 * epoch. KFK_OK or KFK_ERR_NO_MEMORY. */
kfk_err mock_producer_txn_marker(mock_partition *p, int64_t producer_id, int16_t epoch, bool commit,
                                 int64_t marker_offset);

#endif
