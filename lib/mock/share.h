/* Share groups (KIP-932) in the mock: membership and assignment
 * (share_group.c: ShareGroupHeartbeat), per share-partition record state
 * (share_partition.c), share sessions (share_session.c), ShareFetch
 * (share_fetch.c, waiting in share_wait.c), ShareAcknowledge
 * (share_acknowledge.c), ShareGroupDescribe (share_describe.c), the
 * share-group offset admin APIs (share_offsets.c) and the cluster's share
 * settings (share_conf.c).
 *
 * A share group is a mock_group of type MOCK_GROUP_SHARE in the group
 * registry (groups.h); its ext is a mock_share_group holding the state of
 * each share-partition the group has touched and the share sessions of its
 * members. Kafka keeps share-partition state at each partition's leader
 * and sessions per broker; the mock keeps both cluster-wide, sessions
 * keyed by (member, broker).
 *
 * Loop thread or a control function, mc->lock held. */
#ifndef KFK_MOCK_SHARE_H
#define KFK_MOCK_SHARE_H

#include "mock/groups.h"
#include "mock/mock.h"
#include "proto/gen/share_fetch.h"

/* Acknowledge types of ShareFetch and ShareAcknowledge batches. */
#define MOCK_SHARE_ACK_GAP 0
#define MOCK_SHARE_ACK_ACCEPT 1
#define MOCK_SHARE_ACK_RELEASE 2
#define MOCK_SHARE_ACK_REJECT 3
#define MOCK_SHARE_ACK_RENEW 4 /* KIP-1222, versions 2+ */

/* group.share.partition.max.record.locks: records in flight per
 * share-partition, beyond which nothing more is acquired. */
#define MOCK_SHARE_MAX_IN_FLIGHT 2000

typedef enum mock_share_rec_state {
    MOCK_SHARE_AVAILABLE,
    MOCK_SHARE_ACQUIRED,
    MOCK_SHARE_ACKNOWLEDGED,
    MOCK_SHARE_ARCHIVED,
} mock_share_rec_state;

/* One in-flight record: offset start_offset + its index. */
typedef struct mock_share_rec {
    uint8_t state;          /* mock_share_rec_state */
    int16_t delivery_count; /* times acquired */
    int32_t owner;          /* the session that acquired it; 0: none */
    int64_t lock_deadline_ns;
} mock_share_rec;

/* A share-partition: one group's view of one topic partition. Offsets
 * below start_offset (the share-partition start offset) are done; recs
 * covers [start_offset, start_offset + n_recs), the rest is not yet read. */
typedef struct mock_share_part {
    kuuid topic_id;
    int32_t partition;
    int64_t start_offset;
    mock_share_rec *recs;
    int64_t n_recs, cap_recs;
} mock_share_part;

/* A partition of a share session, by topic id. */
typedef struct mock_share_tp {
    kuuid topic_id;
    int32_t partition;
} mock_share_tp;

/* A share session: one member's ShareFetch context on one broker. */
typedef struct mock_share_session {
    int32_t id; /* unique in the cluster; owner of the records it acquired */
    char *member_id;
    int32_t broker_id;
    int32_t next_epoch; /* what the next request must carry */
    mock_share_tp *tps;
    int32_t n_tps, cap_tps;
} mock_share_session;

typedef struct mock_share_group {
    mock_group *group; /* the group this is the ext of */
    mock_share_part **parts;
    size_t n_parts, cap_parts;
    mock_share_session **sessions;
    size_t n_sessions, cap_sessions;
} mock_share_group;

/* The share state of g (created on first use); NULL when out of memory. */
mock_share_group *mock_share_group_of(mock_group *g);
/* The group's share.record.lock.duration.ms: its group config, else the
 * cluster's. */
int32_t mock_share_lock_ms(mock_cluster *mc, const mock_share_group *sg);

/* share_partition.c --------------------------------------------------- */

/* The share-partition of (topic id, partition) in sg, created when
 * missing with its start offset at the log's start (earliest) or end
 * (latest), as share.auto.offset.reset says; NULL when out of memory. */
mock_share_part *mock_share_part_get(mock_cluster *mc, mock_share_group *sg,
                                     const mock_partition *p);
mock_share_part *mock_share_part_find(mock_share_group *sg, const kuuid *topic_id,
                                      int32_t partition);
/* Acquires up to max_records available records of sp (max_records <= 0:
 * no limit but the in-flight cap) for session owner, after releasing the
 * records whose acquisition lock passed. Appends the acquired offsets as
 * ranges of one delivery count to *out (kp_share_fetch_response
 * acquired records, from arena a); returns how many records were
 * acquired, or -1 when out of memory. */
int mock_share_acquire(mock_cluster *mc, mock_share_part *sp, const mock_partition *p,
                       int32_t owner, int32_t max_records, int32_t lock_ms, karena *a,
                       kp_share_fetch_response_acquired_records **out, int32_t *n_out);
/* Checks that every offset of [first, last] is acquired by owner and
 * types (n_types 1: one for the whole range, else one per offset) are
 * acknowledge types the version allows: KFK_OK, INVALID_RECORD_STATE or
 * INVALID_REQUEST. Changes nothing. */
kfk_err mock_share_ack_check(mock_cluster *mc, mock_share_part *sp, int32_t owner, int64_t first,
                             int64_t last, const int8_t *types, int32_t n_types, bool renew_ok);
/* Applies a checked acknowledgement batch (RENEW: locked for lock_ms
 * more). */
void mock_share_ack_apply(mock_cluster *mc, mock_share_part *sp, int64_t first, int64_t last,
                          const int8_t *types, int32_t n_types, int32_t lock_ms);
/* The partition a request names and its share-partition: KFK_OK, or
 * UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER
 * (*p set) or NO_MEMORY. */
kfk_err mock_share_locate(mock_req *req, mock_share_group *sg, const kuuid *topic_id,
                          int32_t partition, mock_partition **p, mock_share_part **sp);
/* Checks, then applies, each acknowledgement batch of one partition
 * (ShareFetch's and ShareAcknowledge's batches share a layout); returns
 * the first error (a failing batch applies nothing). */
kfk_err mock_share_acknowledge(mock_cluster *mc, mock_share_part *sp, int32_t owner,
                               const kp_share_fetch_request_acknowledgement_batch *b, int32_t n,
                               bool renew_ok, int32_t lock_ms);
/* AlterShareGroupOffsets: sp starts over at start_offset, nothing in
 * flight. */
void mock_share_part_reset(mock_share_part *sp, int64_t start_offset);
/* DeleteShareGroupOffsets: forgets sp (freed). */
void mock_share_part_remove(mock_share_group *sg, mock_share_part *sp);
/* Records from the start offset to the high watermark not yet
 * acknowledged or archived (DescribeShareGroupOffsets v1's lag). */
int64_t mock_share_lag(const mock_share_part *sp, const mock_partition *p);
/* Whether sp has a record to acquire now (or cannot tell: out of memory),
 * after releasing the records whose lock passed. */
bool mock_share_available(mock_cluster *mc, mock_share_part *sp, const mock_partition *p);
/* Releases every record owner holds in sg (its session closed or its
 * member left): they become available again, or archived past the
 * delivery count limit. */
void mock_share_release_owner(mock_cluster *mc, mock_share_group *sg, int32_t owner);

/* share_session.c ----------------------------------------------------- */

/* member_id's session on broker_id in sg; NULL when none. */
mock_share_session *mock_share_session_find(mock_share_group *sg, kslice member_id,
                                            int32_t broker_id);
/* A new session (next epoch 1) with no partitions; NULL when out of
 * memory. */
mock_share_session *mock_share_session_open(mock_cluster *mc, mock_share_group *sg,
                                            kslice member_id, int32_t broker_id);
/* Removes and frees s, releasing the records it holds. */
void mock_share_session_close(mock_cluster *mc, mock_share_group *sg, mock_share_session *s);
/* Adds a partition to s (0, or -1 when out of memory) or forgets one. */
int mock_share_session_add(mock_share_session *s, const kuuid *topic_id, int32_t partition);
void mock_share_session_forget(mock_share_session *s, const kuuid *topic_id, int32_t partition);
/* The session epoch that follows e: 1, 2, ... wrapping to 1. */
int32_t mock_share_epoch_next(int32_t e);
/* Member member_id left g: its sessions close and their records go back. */
void mock_share_member_gone(mock_cluster *mc, mock_group *g, const char *member_id);

/* The share group of a ShareFetch or ShareAcknowledge: KFK_OK and *sg,
 * INVALID_REQUEST (empty ids) or GROUP_ID_NOT_FOUND (Kafka answers that
 * case with errors per partition). Membership is not checked, as Kafka
 * does not. */
kfk_err mock_share_group_check(mock_req *req, kslice group_id, kslice member_id,
                               mock_share_group **sg);
/* The session for a request of epoch epoch on req's broker: KFK_OK with
 * *out (NULL for epoch 0 without one), SHARE_SESSION_NOT_FOUND or
 * INVALID_SHARE_SESSION_EPOCH. */
kfk_err mock_share_session_for(mock_req *req, mock_share_group *sg, kslice member_id, int32_t epoch,
                               mock_share_session **out);

/* share_fetch.c, share_acknowledge.c ---------------------------------- */

/* Answers a ShareFetch that waited: acquires from session session_id of
 * member_id in group_id on req's broker (SHARE_SESSION_NOT_FOUND when it
 * is gone). MOCK_DONE or MOCK_CLOSE. */
int mock_share_fetch_answer(mock_req *req, kslice group_id, kslice member_id, int32_t session_id,
                            int32_t max_records);
/* Whether a waiting ShareFetch of that session can be answered: a
 * partition of the session led by b has an available record, or the
 * session is gone. */
bool mock_share_fetch_ready(mock_broker *b, kslice group_id, kslice member_id, int32_t session_id);

/* share_wait.c -------------------------------------------------------- */

/* Parks req (a ShareFetch that acquired nothing) for up to max_wait_ms
 * after it arrived: MOCK_PARKED, or -1 when out of memory (answer it
 * now). */
int mock_share_park(mock_req *req, kslice group_id, kslice member_id, int32_t session_id,
                    int32_t max_records, int32_t max_wait_ms);
/* Records may have become available (released, session closed): have the
 * loop re-check every broker's waiting ShareFetches. */
void mock_share_waits_poke(mock_cluster *mc);

mock_handler mock_handle_share_group_heartbeat, mock_handle_share_group_describe,
    mock_handle_share_fetch, mock_handle_share_acknowledge;
/* share_offsets.c */
mock_handler mock_handle_describe_share_group_offsets, mock_handle_alter_share_group_offsets,
    mock_handle_delete_share_group_offsets;

#endif
