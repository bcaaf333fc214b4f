/* ShareFetch (KIP-932) in the mock (sessions: share_session.c).
 *
 *  - A share session is one member's fetch context on one broker, keyed by
 *    (group, member, broker). Epoch 0 opens it (replacing the member's
 *    session there, whose records go back) and may not carry
 *    acknowledgements (INVALID_REQUEST); each later request carries the
 *    next epoch (1, 2, ... wrapping to 1): a session that does not exist is
 *    SHARE_SESSION_NOT_FOUND, another epoch INVALID_SHARE_SESSION_EPOCH.
 *    Epoch -1 acknowledges, then closes the session and releases what it
 *    still holds; it fetches nothing. ShareAcknowledge never opens one.
 *  - The session's partitions are those its requests named, less the
 *    forgotten ones. A fetch acquires (share_partition.c), from those this
 *    broker leads, up to max_records records in all (0: none, the fetch
 *    only acknowledges), and answers with the whole batches holding them
 *    and the acquired ranges with their delivery counts. Partitions the broker does not lead answer
 *    NOT_LEADER_OR_FOLLOWER with the leader and its endpoint.
 *  - Acknowledgements are checked batch by batch against what the session
 *    holds: a record it did not acquire (or whose lock passed) makes the
 *    partition's acknowledge error INVALID_RECORD_STATE, and none of that
 *    batch applies.
 *  - The group must exist as a share group (GROUP_ID_NOT_FOUND; Kafka
 *    fails each partition instead); membership is not checked, as a
 *    partition leader in Kafka does not check it.
 *  - Epoch -1 answers only for the partitions it acknowledged.
 *  - IsRenewAck (v2, KIP-1222) marks a request carrying renewals: it may
 *    not fetch (max_bytes, min_bytes, max_records and max_wait_ms all 0,
 *    else INVALID_REQUEST, as Kafka answers).
 *  - A fetch that acquired nothing and carried no acknowledgements waits
 *    up to max_wait_ms for records (share_wait.c); min_bytes is not
 *    looked at: one record is enough.
 * Loop thread, mc->lock held. */
#include <stdlib.h>
#include <string.h>

#include "mock/share.h"
#include "proto/gen/share_fetch.h"

/* The whole batches holding offsets [first, last], copied into the arena. */
static int records_of(mock_req *req, const mock_partition *p, int64_t first, int64_t last,
                      kslice *out)
{
    const mock_log *log = &p->log;
    size_t from = mock_log_find(log, first), to = from;
    size_t len = 0;
    while (to < log->n && log->b[to].base_offset <= last)
        len += log->b[to++].buf->len;
    uint8_t *buf = karena_alloc(req->arena, len ? len : 1);
    if (!buf) return -1;
    size_t off = 0;
    for (size_t i = from; i < to; i++) {
        memcpy(buf + off, log->b[i].buf->data, log->b[i].buf->len);
        off += log->b[i].buf->len;
    }
    *out = (kslice){buf, len};
    return 0;
}

/* --- answers -------------------------------------------------------------------- */

/* A response partition with its topic, before they are grouped by topic. */
typedef struct entry {
    kuuid topic_id;
    kp_share_fetch_response_partition_data d;
} entry;

typedef struct answer {
    entry *v;
    int32_t n, cap;
    int32_t leaders[8]; /* for node endpoints */
    int32_t n_leaders;
} answer;

static entry *entry_find(answer *a, const kuuid *id, int32_t partition)
{
    for (int32_t i = 0; i < a->n; i++)
        if (a->v[i].d.partition_index == partition && !memcmp(a->v[i].topic_id.b, id->b, 16))
            return &a->v[i];
    return NULL;
}

static entry *entry_add(answer *a, const kuuid *id, int32_t partition)
{
    entry *e = entry_find(a, id, partition);
    if (e || a->n == a->cap) return e;
    e = &a->v[a->n++];
    e->topic_id = *id;
    kp_share_fetch_response_partition_data_init(&e->d);
    e->d.partition_index = partition;
    e->d.records = KWIRE_EMPTY; /* not nullable */
    e->d.current_leader.leader_id = -1;
    e->d.current_leader.leader_epoch = -1;
    return e;
}

/* Sets a partition's error, with the leader to go to when it moved. */
static void entry_error(answer *a, entry *e, kfk_err err, const mock_partition *p)
{
    e->d.error_code = (int16_t)err;
    if (err != KFK_ERR_NOT_LEADER_OR_FOLLOWER || !p || p->leader < 0) return;
    e->d.current_leader.leader_id = p->leader;
    e->d.current_leader.leader_epoch = p->leader_epoch;
    for (int32_t i = 0; i < a->n_leaders; i++)
        if (a->leaders[i] == p->leader) return;
    if (a->n_leaders < (int32_t)(sizeof(a->leaders) / sizeof(a->leaders[0])))
        a->leaders[a->n_leaders++] = p->leader;
}

/* Groups the answer's partitions by topic into resp. */
static int fetch_answer(mock_req *req, answer *a, kp_share_fetch_response *resp)
{
    resp->responses =
        karena_alloc(req->arena, (size_t)(a->n ? a->n : 1) * sizeof(*resp->responses));
    kp_share_fetch_response_partition_data *parts =
        karena_alloc(req->arena, (size_t)(a->n ? a->n : 1) * sizeof(*parts));
    resp->node_endpoints = karena_alloc(req->arena, sizeof(*resp->node_endpoints) * 8);
    if (!resp->responses || !parts || !resp->node_endpoints) return -1;
    int32_t used = 0;
    for (int32_t i = 0; i < a->n; i++) {
        bool seen = false;
        for (int32_t k = 0; k < i && !seen; k++)
            seen = !memcmp(a->v[k].topic_id.b, a->v[i].topic_id.b, 16);
        if (seen) continue;
        kp_share_fetch_response_share_fetchable_topic_response *t =
            &resp->responses[resp->n_responses++];
        kp_share_fetch_response_share_fetchable_topic_response_init(t);
        t->topic_id = a->v[i].topic_id;
        t->partitions = parts + used;
        for (int32_t k = i; k < a->n; k++)
            if (!memcmp(a->v[k].topic_id.b, t->topic_id.b, 16))
                t->partitions[t->n_partitions++] = a->v[k].d;
        used += t->n_partitions;
    }
    for (int32_t i = 0; i < a->n_leaders; i++) {
        kp_share_fetch_response_node_endpoint *ep = &resp->node_endpoints[resp->n_node_endpoints++];
        kp_share_fetch_response_node_endpoint_init(ep);
        mock_broker *b = mock_broker_get(req->mc, a->leaders[i]);
        ep->node_id = a->leaders[i];
        ep->host = kwire_cstr("127.0.0.1");
        ep->port = b ? b->port : -1;
        ep->rack = b && b->rack[0] ? kwire_cstr(b->rack) : (kslice){NULL, 0};
    }
    return 0;
}

/* --- ShareFetch ----------------------------------------------------------------- */

static bool has_acks(const kp_share_fetch_request *r)
{
    for (int32_t i = 0; i < r->n_topics; i++)
        for (int32_t k = 0; k < r->topics[i].n_partitions; k++)
            if (r->topics[i].partitions[k].n_acknowledgement_batches) return true;
    return false;
}

/* The request's partitions: joined to the session (unless it closes),
 * their acknowledgements applied. */
static int fetch_requested(mock_req *req, const kp_share_fetch_request *r, mock_share_group *sg,
                           mock_share_session *s, answer *a)
{
    bool closing = r->share_session_epoch == -1;
    for (int32_t i = 0; i < r->n_topics; i++) {
        const kp_share_fetch_request_fetch_topic *t = &r->topics[i];
        for (int32_t k = 0; k < t->n_partitions; k++) {
            const kp_share_fetch_request_fetch_partition *fp = &t->partitions[k];
            if (!closing && mock_share_session_add(s, &t->topic_id, fp->partition_index)) return -1;
            if (closing && !fp->n_acknowledgement_batches) continue;
            entry *e = entry_add(a, &t->topic_id, fp->partition_index);
            if (!e) continue;
            mock_partition *p = NULL;
            mock_share_part *sp = NULL;
            kfk_err err = mock_share_locate(req, sg, &t->topic_id, fp->partition_index, &p, &sp);
            if (err == KFK_ERR_NO_MEMORY) return -1;
            if (err) {
                entry_error(a, e, err, p);
                continue;
            }
            if (fp->n_acknowledgement_batches)
                e->d.acknowledge_error_code = (int16_t)mock_share_acknowledge(
                    req->mc, sp, s->id, fp->acknowledgement_batches, fp->n_acknowledgement_batches,
                    req->version >= 2, mock_share_lock_ms(req->mc, sg));
        }
    }
    for (int32_t i = 0; i < r->n_forgotten_topics_data; i++)
        for (int32_t k = 0; k < r->forgotten_topics_data[i].n_partitions; k++)
            mock_share_session_forget(s, &r->forgotten_topics_data[i].topic_id,
                                      r->forgotten_topics_data[i].partitions[k]);
    return 0;
}

/* Acquires records from the session's partitions, within max_records;
 * the number acquired, or -1 when out of memory. */
static int fetch_acquire(mock_req *req, int32_t max_records, mock_share_group *sg,
                         mock_share_session *s, answer *a)
{
    int32_t budget = max_records, total = 0; /* 0: acknowledging only */
    for (int32_t i = 0; i < s->n_tps && budget > 0; i++) {
        const mock_share_tp *tp = &s->tps[i];
        mock_partition *p = NULL;
        mock_share_part *sp = NULL;
        kfk_err err = mock_share_locate(req, sg, &tp->topic_id, tp->partition, &p, &sp);
        if (err == KFK_ERR_NO_MEMORY) return -1;
        if (err) {
            /* The partition moved or went since the session took it. */
            entry *e = entry_add(a, &tp->topic_id, tp->partition);
            if (!e) return -1;
            entry_error(a, e, err, p);
            continue;
        }
        kp_share_fetch_response_acquired_records *acq;
        int32_t n_acq;
        int got = mock_share_acquire(req->mc, sp, p, s->id, budget, mock_share_lock_ms(req->mc, sg),
                                     req->arena, &acq, &n_acq);
        if (got < 0) return -1;
        if (!got) continue;
        entry *e = entry_add(a, &tp->topic_id, tp->partition);
        if (!e) return -1; /* a.cap counts every session partition */
        budget -= got;
        total += got;
        e->d.acquired_records = acq;
        e->d.n_acquired_records = n_acq;
        if (records_of(req, p, acq[0].first_offset, acq[n_acq - 1].last_offset, &e->d.records))
            return -1;
    }
    return total;
}

static kfk_err fetch_session(mock_req *req, const kp_share_fetch_request *r, mock_share_group *sg,
                             mock_share_session **s)
{
    int32_t epoch = r->share_session_epoch;
    if (epoch == 0 && has_acks(r)) return KFK_ERR_INVALID_REQUEST;
    kfk_err err = mock_share_session_for(req, sg, r->member_id, epoch, s);
    if (err) return err;
    if (epoch == 0) {
        if (*s) mock_share_session_close(req->mc, sg, *s);
        *s = mock_share_session_open(req->mc, sg, r->member_id, req->broker->id);
        if (!*s) return KFK_ERR_NO_MEMORY;
    } else if (epoch != -1) {
        (*s)->next_epoch = mock_share_epoch_next(epoch);
    }
    return KFK_OK;
}

/* A fetch waits when it acquired nothing and has nothing else to say:
 * no acknowledgements, no partition errors. */
static bool may_wait(const kp_share_fetch_request *r, const answer *a, int acquired)
{
    if (acquired || r->max_wait_ms <= 0 || r->max_records <= 0 || r->share_session_epoch == -1 ||
        has_acks(r))
        return false;
    for (int32_t i = 0; i < a->n; i++)
        if (a->v[i].d.error_code) return false;
    return true;
}

/* KIP-1222: a ShareFetch carrying renewals (IsRenewAck) only
 * acknowledges; Kafka refuses one that asks for records or waits. */
static bool renew_fetches(const mock_req *req, const kp_share_fetch_request *r)
{
    return req->version >= 2 && r->is_renew_ack &&
           (r->max_bytes || r->min_bytes || r->max_records || r->max_wait_ms);
}

int mock_handle_share_fetch(mock_req *req)
{
    kp_share_fetch_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_share_fetch_response resp;
    kp_share_fetch_response_init(&resp);
    resp.acquisition_lock_timeout_ms = mock_group_conf_share_lock_ms(req->mc, r.group_id);
    mock_share_group *sg = NULL;
    mock_share_session *s = NULL;
    kfk_err err =
        req->inject ? req->inject : mock_share_group_check(req, r.group_id, r.member_id, &sg);
    if (!err && renew_fetches(req, &r)) err = KFK_ERR_INVALID_REQUEST;
    if (!err) err = fetch_session(req, &r, sg, &s);
    if (err) {
        resp.error_code = (int16_t)err;
        return mock_respond(req, &resp);
    }
    answer a = {0};
    for (int32_t i = 0; i < r.n_topics; i++)
        a.cap += r.topics[i].n_partitions;
    a.cap += s->n_tps;
    a.v = karena_alloc(req->arena, (size_t)(a.cap ? a.cap : 1) * sizeof(*a.v));
    if (!a.v || fetch_requested(req, &r, sg, s, &a)) return MOCK_CLOSE;
    int acquired = 0;
    if (r.share_session_epoch == -1)
        mock_share_session_close(req->mc, sg, s);
    else if ((acquired = fetch_acquire(req, r.max_records, sg, s, &a)) < 0)
        return MOCK_CLOSE;
    if (may_wait(&r, &a, acquired) && mock_share_park(req, r.group_id, r.member_id, s->id,
                                                      r.max_records, r.max_wait_ms) == MOCK_PARKED)
        return MOCK_PARKED;
    if (fetch_answer(req, &a, &resp)) return MOCK_CLOSE;
    return mock_respond(req, &resp);
}

/* The session a waiting fetch belongs to, if it is still open. */
static mock_share_session *waiting_session(mock_cluster *mc, int32_t broker_id, kslice group_id,
                                           kslice member_id, int32_t session_id,
                                           mock_share_group **sg)
{
    mock_group *g = mock_group_find(mc, group_id);
    *sg = g && g->type == MOCK_GROUP_SHARE ? mock_share_group_of(g) : NULL;
    mock_share_session *s = *sg ? mock_share_session_find(*sg, member_id, broker_id) : NULL;
    return s && s->id == session_id ? s : NULL;
}

bool mock_share_fetch_ready(mock_broker *b, kslice group_id, kslice member_id, int32_t session_id)
{
    mock_share_group *sg;
    mock_share_session *s = waiting_session(b->mc, b->id, group_id, member_id, session_id, &sg);
    if (!s) return true;
    for (int32_t i = 0; i < s->n_tps; i++) {
        mock_topic *t = mock_topic_find_id(b->mc, &s->tps[i].topic_id);
        mock_partition *p = t ? mock_partition_find(t, s->tps[i].partition) : NULL;
        if (!p || p->leader != b->id) return true; /* answer with the error */
        mock_share_part *sp = mock_share_part_get(b->mc, sg, p);
        if (!sp || mock_share_available(b->mc, sp, p)) return true;
    }
    return false;
}

int mock_share_fetch_answer(mock_req *req, kslice group_id, kslice member_id, int32_t session_id,
                            int32_t max_records)
{
    kp_share_fetch_response resp;
    kp_share_fetch_response_init(&resp);
    resp.acquisition_lock_timeout_ms = mock_group_conf_share_lock_ms(req->mc, group_id);
    mock_share_group *sg;
    mock_share_session *s =
        waiting_session(req->mc, req->broker->id, group_id, member_id, session_id, &sg);
    if (!s) {
        resp.error_code = KFK_ERR_SHARE_SESSION_NOT_FOUND;
        return mock_respond(req, &resp);
    }
    answer a = {.cap = s->n_tps};
    a.v = karena_alloc(req->arena, (size_t)(a.cap ? a.cap : 1) * sizeof(*a.v));
    if (!a.v || fetch_acquire(req, max_records, sg, s, &a) < 0 || fetch_answer(req, &a, &resp))
        return MOCK_CLOSE;
    return mock_respond(req, &resp);
}
