/* Fetch, between handlers_fetch.c (choosing what to answer and when),
 * fetch_session.c (KIP-227 sessions) and fetch_write.c (the response bytes,
 * with stored batches referenced rather than copied). Loop thread,
 * mc->lock held. */
#ifndef KFK_MOCK_FETCH_H
#define KFK_MOCK_FETCH_H

#include "mock/mock.h"

/* One partition a fetch asks for. */
typedef struct mock_fetch_part {
    kslice topic;   /* below v13 */
    kuuid topic_id; /* v13+ */
    int32_t partition;
    int32_t current_leader_epoch;
    int32_t last_fetched_epoch; /* KIP-320, v12+; -1: none */
    int64_t fetch_offset;
    int32_t max_bytes;
} mock_fetch_part;

/* One partition of the response. */
typedef struct mock_fetch_result {
    const mock_fetch_part *req;
    int16_t error;
    int64_t high_watermark, last_stable_offset, log_start_offset;
    int32_t leader_id, leader_epoch; /* KIP-951 hint when leader_id >= 0 */
    int32_t preferred_read_replica;  /* KIP-392; -1: none */
    int32_t diverging_epoch;         /* KIP-320, with no records; -1: none */
    int64_t diverging_end_offset;
    bool aborted_list;               /* read_committed: a list (maybe empty), else null */
    const mock_aborted_txn *aborted; /* its entries (arena copies) */
    size_t n_aborted;
    mock_seg *segs;                  /* records: stored batches (ref) to send */
    size_t n_segs;
    size_t records_len;
} mock_fetch_result;

/* The response, ready to write. */
typedef struct mock_fetch_reply {
    int16_t version;
    int32_t correlation_id;
    int16_t error;
    int32_t session_id;
    mock_fetch_result *results;
    int32_t n_results;
    int32_t hint_ids[KFK_MOCK_MAX_BROKERS]; /* node endpoints to add (v16+) */
    int32_t n_hints;
} mock_fetch_reply;

/* Writes the response frame into o: head bytes plus segments for the
 * records (small batches are copied into head). Returns 0 or
 * KFK_ERR_NO_MEMORY. */
int mock_fetch_write(mock_cluster *mc, mock_out *o, const mock_fetch_reply *reply);

/* ------------------------------------------------------------- sessions */

/* A fetch's view of its session: the partitions to consider (the whole
 * session for an incremental fetch) and how to answer. */
typedef struct mock_fetch_view {
    mock_fetch_part *parts;
    int32_t n_parts;
    int32_t session_id;    /* to answer with; 0: no session */
    int32_t session_epoch; /* the session's epoch when parts were taken */
    int16_t error;         /* FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH */
    bool incremental;      /* answer only partitions with news */
} mock_fetch_view;

/* A view of the request's own partitions, in its order, touching no
 * session. Returns 0 or KFK_ERR_NO_MEMORY. */
int mock_fetch_request_parts(const void *fetch_request, karena *a, mock_fetch_view *view);
/* Applies the request's session fields to the broker's session cache and
 * fills view (parts allocated from a). Returns 0 or KFK_ERR_NO_MEMORY. */
int mock_fetch_session_begin(mock_broker *b, const void *fetch_request, int16_t version, karena *a,
                             mock_fetch_view *view);
/* Whether an incremental session must include this result, given what it
 * last sent for the partition; records what it sends now. */
bool mock_fetch_session_include(mock_broker *b, const mock_fetch_view *view,
                                const mock_fetch_result *r);
/* After answering: partitions that returned records go to the back of the
 * session's order, so the others get the response's room next time. */
void mock_fetch_session_rotate(mock_broker *b, const mock_fetch_view *view,
                               const mock_fetch_reply *reply);

#endif
