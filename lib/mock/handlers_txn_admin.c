/* The transaction APIs an admin client uses, as a Kafka broker serves
 * them:
 *  - ListTransactions: each broker lists the transactional ids it
 *    coordinates, filtered by state, producer id, running time (v1+) and
 *    an id pattern (v2+); a state filter it does not know is echoed in
 *    unknown_state_filters;
 *  - DescribeProducers: the leader's producer state of each partition:
 *    epoch, last sequence and timestamp, and the first offset of an open
 *    transaction; NOT_LEADER_OR_FOLLOWER elsewhere;
 *  - WriteTxnMarkers: writes the markers the request names, as a
 *    coordinator's would be; a marker older than the producer's epoch on
 *    that partition is INVALID_PRODUCER_EPOCH.
 * Loop thread, mc->lock held. */
#include <string.h>

#include "base/regex.h"
#include "base/time.h"
#include "mock/mock.h"
#include "mock/txn.h"
#include "proto/gen/all.h"

/* --- ListTransactions ------------------------------------------------------------ */

static bool state_known(kslice s)
{
    for (int st = MOCK_TXN_EMPTY; st <= MOCK_TXN_COMPLETE_ABORT; st++) {
        const char *name = mock_txn_state_name((mock_txn_state)st);
        if (strlen(name) == s.len && memcmp(name, s.ptr, s.len) == 0) return true;
    }
    return s.len == 4 && memcmp(s.ptr, "Dead", 4) == 0;
}

static bool listed(const mock_txn *t, const kp_list_transactions_request *r, const regex_t *re)
{
    const char *state = mock_txn_state_name(t->state);
    bool ok = r->n_state_filters == 0;
    for (int32_t i = 0; !ok && i < r->n_state_filters; i++)
        ok = strlen(state) == r->state_filters[i].len &&
             memcmp(state, r->state_filters[i].ptr, r->state_filters[i].len) == 0;
    bool pid_ok = r->n_producer_id_filters == 0;
    for (int32_t i = 0; !pid_ok && i < r->n_producer_id_filters; i++)
        pid_ok = r->producer_id_filters[i] == t->producer_id;
    /* Kafka's duration filter: running (Ongoing) for longer than it. */
    bool dur_ok = r->duration_filter < 0 || (t->state == MOCK_TXN_ONGOING &&
                                             ktime_wall_ms() - t->start_ms >= r->duration_filter);
    bool id_ok = !re || regexec(re, t->transactional_id, 0, NULL, 0) == 0;
    return ok && pid_ok && dur_ok && id_ok;
}

int mock_handle_list_transactions(mock_req *req)
{
    kp_list_transactions_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_list_transactions_response resp;
    kp_list_transactions_response_init(&resp);
    mock_cluster *mc = req->mc;
    resp.transaction_states =
        karena_alloc(req->arena, (mc->n_txns + 1) * sizeof(*resp.transaction_states));
    resp.unknown_state_filters =
        karena_alloc(req->arena, ((size_t)r.n_state_filters + 1) * sizeof(kslice));
    if (!resp.transaction_states || !resp.unknown_state_filters) return MOCK_CLOSE;
    for (int32_t i = 0; i < r.n_state_filters; i++)
        if (!state_known(r.state_filters[i]))
            resp.unknown_state_filters[resp.n_unknown_state_filters++] = r.state_filters[i];
    regex_t re;
    bool have_re = r.transactional_id_pattern.ptr != NULL;
    if (have_re && kregex_compile(&re, (const char *)r.transactional_id_pattern.ptr,
                                  r.transactional_id_pattern.len, true) != KREGEX_OK) {
        resp.error_code = KFK_ERR_INVALID_REQUEST;
        return mock_respond(req, &resp);
    }
    resp.error_code = (int16_t)req->inject;
    for (size_t i = 0; !req->inject && i < mc->n_txns; i++) {
        const mock_txn *t = mc->txns[i];
        kslice id = kwire_cstr(t->transactional_id);
        if (mock_coordinator(mc, 1, id) != req->broker->id || !listed(t, &r, have_re ? &re : NULL))
            continue;
        kp_list_transactions_response_transaction_state *st =
            &resp.transaction_states[resp.n_transaction_states++];
        kp_list_transactions_response_transaction_state_init(st);
        st->transactional_id = id;
        st->producer_id = t->producer_id;
        st->transaction_state = kwire_cstr(mock_txn_state_name(t->state));
    }
    if (have_re) regfree(&re);
    return mock_respond(req, &resp);
}

/* --- DescribeProducers ------------------------------------------------------------ */

static void describe_partition(mock_req *req, mock_topic *t, int32_t index,
                               kp_describe_producers_response_partition_response *out)
{
    kp_describe_producers_response_partition_response_init(out);
    out->partition_index = index;
    mock_partition *p = t ? mock_partition_find(t, index) : NULL;
    if (!p) {
        out->error_code = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    if (p->leader != req->broker->id) {
        out->error_code = KFK_ERR_NOT_LEADER_OR_FOLLOWER;
        return;
    }
    out->active_producers =
        karena_alloc(req->arena, (p->n_producers + 1) * sizeof(*out->active_producers));
    if (!out->active_producers) {
        out->error_code = KFK_ERR_UNKNOWN_SERVER_ERROR;
        return;
    }
    for (size_t i = 0; i < p->n_producers; i++) {
        const mock_producer *e = &p->producers[i];
        kp_describe_producers_response_producer_state *s = &out->active_producers[i];
        kp_describe_producers_response_producer_state_init(s);
        s->producer_id = e->producer_id;
        s->producer_epoch = e->epoch;
        if (e->n_batches) {
            s->last_sequence = e->batches[e->n_batches - 1].last_seq;
            s->last_timestamp = e->batches[e->n_batches - 1].timestamp;
        }
        s->coordinator_epoch = -1;
        s->current_txn_start_offset = e->txn_first_offset;
    }
    out->n_active_producers = (int32_t)p->n_producers;
}

int mock_handle_describe_producers(mock_req *req)
{
    kp_describe_producers_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_describe_producers_response resp;
    kp_describe_producers_response_init(&resp);
    resp.topics = karena_alloc(req->arena, ((size_t)r.n_topics + 1) * sizeof(*resp.topics));
    if (!resp.topics) return MOCK_CLOSE;
    for (int32_t i = 0; i < r.n_topics; i++) {
        const kp_describe_producers_request_topic_request *rt = &r.topics[i];
        kp_describe_producers_response_topic_response *ot = &resp.topics[i];
        kp_describe_producers_response_topic_response_init(ot);
        ot->name = rt->name;
        ot->partitions = karena_alloc(req->arena, ((size_t)rt->n_partition_indexes + 1) *
                                                      sizeof(*ot->partitions));
        if (!ot->partitions) return MOCK_CLOSE;
        mock_topic *t = mock_topic_find(req->mc, rt->name);
        for (int32_t k = 0; k < rt->n_partition_indexes; k++)
            describe_partition(req, t, rt->partition_indexes[k], &ot->partitions[k]);
        ot->n_partitions = rt->n_partition_indexes;
    }
    resp.n_topics = r.n_topics;
    return mock_respond(req, &resp);
}

/* --- WriteTxnMarkers ----------------------------------------------------------------- */

static int16_t write_one(mock_req *req, const kp_write_txn_markers_request_writable_txn_marker *m,
                         kslice topic, int32_t index)
{
    mock_topic *t = mock_topic_find(req->mc, topic);
    mock_partition *p = t ? mock_partition_find(t, index) : NULL;
    if (!p) return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (p->leader != req->broker->id) return KFK_ERR_NOT_LEADER_OR_FOLLOWER;
    for (size_t i = 0; i < p->n_producers; i++)
        if (p->producers[i].producer_id == m->producer_id &&
            p->producers[i].epoch > m->producer_epoch)
            return KFK_ERR_INVALID_PRODUCER_EPOCH;
    return (int16_t)mock_txn_write_marker(req->mc, topic, index, m->producer_id, m->producer_epoch,
                                          m->transaction_result);
}

int mock_handle_write_txn_markers(mock_req *req)
{
    kp_write_txn_markers_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_write_txn_markers_response resp;
    kp_write_txn_markers_response_init(&resp);
    resp.markers = karena_alloc(req->arena, ((size_t)r.n_markers + 1) * sizeof(*resp.markers));
    if (!resp.markers) return MOCK_CLOSE;
    for (int32_t i = 0; i < r.n_markers; i++) {
        const kp_write_txn_markers_request_writable_txn_marker *m = &r.markers[i];
        kp_write_txn_markers_response_writable_txn_marker_result *om = &resp.markers[i];
        kp_write_txn_markers_response_writable_txn_marker_result_init(om);
        om->producer_id = m->producer_id;
        om->topics = karena_alloc(req->arena, ((size_t)m->n_topics + 1) * sizeof(*om->topics));
        if (!om->topics) return MOCK_CLOSE;
        for (int32_t k = 0; k < m->n_topics; k++) {
            const kp_write_txn_markers_request_writable_txn_marker_topic *mt = &m->topics[k];
            kp_write_txn_markers_response_writable_txn_marker_topic_result *ot = &om->topics[k];
            kp_write_txn_markers_response_writable_txn_marker_topic_result_init(ot);
            ot->name = mt->name;
            ot->partitions = karena_alloc(req->arena, ((size_t)mt->n_partition_indexes + 1) *
                                                          sizeof(*ot->partitions));
            if (!ot->partitions) return MOCK_CLOSE;
            for (int32_t j = 0; j < mt->n_partition_indexes; j++) {
                ot->partitions[j].partition_index = mt->partition_indexes[j];
                ot->partitions[j].error_code =
                    req->inject ? (int16_t)req->inject
                                : write_one(req, m, mt->name, mt->partition_indexes[j]);
            }
            ot->n_partitions = mt->n_partition_indexes;
        }
        om->n_topics = m->n_topics;
    }
    resp.n_markers = r.n_markers;
    return mock_respond(req, &resp);
}
