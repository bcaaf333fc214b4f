/* Raw transactional requests over an mt_conn, for the wire-level suites
 * that drive a transaction coordinator by hand (against the mock and real
 * Kafka alike): InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn,
 * TxnOffsetCommit and EndTxn, one request each, returning the error the
 * coordinator answered; retrying is the caller's choice. Also the
 * transactional batches those suites produce and the check of the marker
 * an EndTxn writes. */
#ifndef KFK_TESTS_KTXN_WIRE_H
#define KFK_TESTS_KTXN_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "mt_conn.h"

/* A producer id and its epoch. */
typedef struct ktw_pid {
    int64_t id;
    int16_t epoch;
} ktw_pid;

/* The coordinator is busy with an earlier request (an end whose markers
 * still go out, or a log still loading): the same request may succeed
 * later. */
bool ktw_busy(int16_t err);

/* InitProducerId for txn at version v; the new id and epoch in *out (may be
 * NULL). */
int16_t ktw_init_producer_id(mt_conn *c, int16_t v, const char *txn, int32_t timeout_ms,
                             ktw_pid *out);

/* AddPartitionsToTxn (v0-3) of topic's partitions parts[0..n); the error of
 * parts[i] in errs[i], -1 when the answer left it out. */
void ktw_add_partitions(mt_conn *c, int16_t v, const char *txn, ktw_pid pe, const char *topic,
                        const int32_t *parts, int n, int16_t *errs);

/* AddOffsetsToTxn v3 of group. */
int16_t ktw_add_offsets(mt_conn *c, const char *txn, ktw_pid pe, const char *group);

/* EndTxn at version v; from v5 the id and epoch to go on with in *out (may
 * be NULL). */
int16_t ktw_end_txn(mt_conn *c, int16_t v, const char *txn, ktw_pid pe, bool commit, ktw_pid *out);

/* One offset committed in a transaction: partition of topic, for group as
 * member (generation -1 and member "" from outside the group; instance may
 * be NULL). */
typedef struct ktw_offset {
    const char *txn;
    const char *group;
    const char *member;
    const char *instance;
    int32_t generation;
    const char *topic;
    kuuid topic_id; /* what version 6 and later send instead of topic */
    int32_t partition;
    int64_t offset;
} ktw_offset;

/* TxnOffsetCommit of o at version v to the group coordinator c; the
 * partition's error. */
int16_t ktw_txn_offset_commit(mt_conn *c, int16_t v, ktw_pid pe, const ktw_offset *o);

/* A transactional Produce (acks all) of records to partition of topic at
 * version v; the partition's error, and its base offset in *base (may be
 * NULL). */
int16_t ktw_produce(mt_conn *c, int16_t v, const char *txn, const char *topic, int32_t partition,
                    kslice records, int64_t *base);

/* ListOffsets v7 for the latest offset of partition of topic with
 * isolation (0: the high watermark, 1: the last stable offset); fails the
 * test on an error. */
int64_t ktw_list_latest(mt_conn *c, const char *topic, int32_t partition, int8_t isolation);

/* The transaction.version the broker's ApiVersions (v3) lists as
 * finalized; 0 when it lists none. */
int16_t ktw_transaction_version(mt_conn *c);

/* A transactional batch of n records "k"/"v" of pe from sequence seq, the
 * i-th with timestamp ts0 + i * ts_step, written into buf (reset first);
 * the batch's bytes are returned. */
kslice ktw_batch(kbuf *buf, int n, ktw_pid pe, int32_t seq, int64_t ts0, int64_t ts_step);

/* The first batch of pd must be a control batch of pe at offset whose
 * marker is a commit (or an abort); its record count in *records and its
 * marker's value length in *value_len (either may be NULL). */
void ktw_expect_marker(const kp_fetch_response_partition_data *pd, int64_t offset, ktw_pid pe,
                       bool commit, int32_t *records, size_t *value_len);

#endif
