/* Share sessions, ShareFetch and ShareAcknowledge (KIP-932) in the mock.
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
 *    forgotten ones. A fetch acquires, from each of them this broker leads,
 *    up to max_records records (share_partition.c) and answers with the
 *    whole batches holding them and the acquired ranges with their
 *    delivery counts. Partitions the broker does not lead answer
 *    NOT_LEADER_OR_FOLLOWER with the leader and its endpoint.
 *  - Acknowledgements are checked batch by batch against what the session
 *    holds: a record it did not acquire (or whose lock passed) makes the
 *    partition's acknowledge error INVALID_RECORD_STATE, and none of that
 *    batch applies.
 *  - The member must be in the share group (UNKNOWN_MEMBER_ID otherwise).
 *  - ShareFetch answers at once, also when nothing was acquired: it does
 *    not wait max_wait_ms for records.
 * Loop thread, mc->lock held. */
#include <stdlib.h>
#include <string.h>

#include "mock/share.h"
#include "proto/gen/share_acknowledge.h"
#include "proto/gen/share_fetch.h"

/* --- sessions ------------------------------------------------------------------- */

static void session_free(mock_share_session *s)
{
    free(s->member_id);
    free(s->tps);
    free(s);
}

static mock_share_session *session_find(mock_share_group *sg, kslice member_id, int32_t broker_id)
{
    for (size_t i = 0; i < sg->n_sessions; i++) {
        mock_share_session *s = sg->sessions[i];
        if (s->broker_id == broker_id && strlen(s->member_id) == member_id.len &&
            memcmp(s->member_id, member_id.ptr, member_id.len) == 0)
            return s;
    }
    return NULL;
}

static void session_close(mock_cluster *mc, mock_share_group *sg, mock_share_session *s)
{
    mock_share_release_owner(mc, sg, s->id);
    for (size_t i = 0; i < sg->n_sessions; i++)
        if (sg->sessions[i] == s) {
            sg->sessions[i] = sg->sessions[--sg->n_sessions];
            break;
        }
    session_free(s);
}

static mock_share_session *session_open(mock_cluster *mc, mock_share_group *sg, kslice member_id,
                                        int32_t broker_id)
{
    if (sg->n_sessions == sg->cap_sessions) {
        size_t c = sg->cap_sessions ? 2 * sg->cap_sessions : 4;
        mock_share_session **v = realloc(sg->sessions, c * sizeof(*v));
        if (!v) return NULL;
        sg->sessions = v;
        sg->cap_sessions = c;
    }
    mock_share_session *s = calloc(1, sizeof(*s));
    if (!s || !(s->member_id = mock_strdup_slice(member_id))) {
        free(s);
        return NULL;
    }
    s->id = mc->next_share_session_id++;
    s->broker_id = broker_id;
    s->next_epoch = 1;
    sg->sessions[sg->n_sessions++] = s;
    return s;
}

void mock_share_member_gone(mock_cluster *mc, mock_group *g, const char *member_id)
{
    mock_share_group *sg = mock_share_group_of(g);
    if (!sg) return;
    for (size_t i = sg->n_sessions; i-- > 0;)
        if (strcmp(sg->sessions[i]->member_id, member_id) == 0)
            session_close(mc, sg, sg->sessions[i]);
}

static bool session_has(const mock_share_session *s, const kuuid *id, int32_t partition)
{
    for (int32_t i = 0; i < s->n_tps; i++)
        if (s->tps[i].partition == partition && !memcmp(s->tps[i].topic_id.b, id->b, 16))
            return true;
    return false;
}

static int session_add(mock_share_session *s, const kuuid *id, int32_t partition)
{
    if (session_has(s, id, partition)) return 0;
    if (s->n_tps == s->cap_tps) {
        int32_t c = s->cap_tps ? 2 * s->cap_tps : 8;
        mock_share_tp *v = realloc(s->tps, (size_t)c * sizeof(*v));
        if (!v) return -1;
        s->tps = v;
        s->cap_tps = c;
    }
    s->tps[s->n_tps++] = (mock_share_tp){*id, partition};
    return 0;
}

static void session_forget(mock_share_session *s, const kuuid *id, int32_t partition)
{
    for (int32_t i = 0; i < s->n_tps; i++)
        if (s->tps[i].partition == partition && !memcmp(s->tps[i].topic_id.b, id->b, 16)) {
            s->tps[i] = s->tps[--s->n_tps];
            return;
        }
}

/* The session epoch that follows e. */
static int32_t epoch_next(int32_t e)
{
    return e == INT32_MAX ? 1 : e + 1;
}

/* The group and member a request names, or its error. */
static kfk_err member_check(mock_req *req, kslice group_id, kslice member_id, mock_share_group **sg)
{
    if (!group_id.len || !member_id.len) return KFK_ERR_INVALID_REQUEST;
    mock_group *g = mock_group_find(req->mc, group_id);
    if (!g || g->type != MOCK_GROUP_SHARE || !mock_group_member_find(g, member_id))
        return KFK_ERR_UNKNOWN_MEMBER_ID;
    *sg = mock_share_group_of(g);
    return *sg ? KFK_OK : KFK_ERR_NO_MEMORY;
}

/* Finds the session for a request of epoch epoch (0 opens one): its error
 * in *err, else the session (NULL for epoch 0 until it opens). */
static kfk_err session_for(mock_req *req, mock_share_group *sg, kslice member_id, int32_t epoch,
                           mock_share_session **out)
{
    *out = session_find(sg, member_id, req->broker->id);
    if (epoch == 0) return KFK_OK;
    if (!*out) return KFK_ERR_SHARE_SESSION_NOT_FOUND;
    if (epoch != -1 && epoch != (*out)->next_epoch) return KFK_ERR_INVALID_SHARE_SESSION_EPOCH;
    return KFK_OK;
}

/* --- partitions ----------------------------------------------------------------- */

/* The partition a request names and its share-partition, or the error to
 * answer for it (unknown topic id or partition, another leader). */
static kfk_err locate(mock_req *req, mock_share_group *sg, const kuuid *id, int32_t partition,
                      mock_partition **p, mock_share_part **sp)
{
    mock_topic *t = mock_topic_find_id(req->mc, id);
    if (!t) return KFK_ERR_UNKNOWN_TOPIC_ID;
    *p = mock_partition_find(t, partition);
    if (!*p) return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if ((*p)->leader != req->broker->id) return KFK_ERR_NOT_LEADER_OR_FOLLOWER;
    *sp = mock_share_part_get(req->mc, sg, *p);
    return *sp ? KFK_OK : KFK_ERR_NO_MEMORY;
}

/* Checks, then applies, each acknowledgement batch of one partition; the
 * first error found (a failing batch applies nothing). Batches carry the
 * same fields in ShareFetch and ShareAcknowledge. */
static kfk_err acknowledge(mock_cluster *mc, mock_share_part *sp, int32_t owner,
                           const kp_share_fetch_request_acknowledgement_batch *b, int32_t n,
                           bool renew_ok)
{
    kfk_err first = KFK_OK;
    for (int32_t i = 0; i < n; i++) {
        kfk_err err =
            mock_share_ack_check(mc, sp, owner, b[i].first_offset, b[i].last_offset,
                                 b[i].acknowledge_types, b[i].n_acknowledge_types, renew_ok);
        if (!err)
            mock_share_ack_apply(mc, sp, b[i].first_offset, b[i].last_offset,
                                 b[i].acknowledge_types, b[i].n_acknowledge_types);
        else if (!first)
            first = err;
    }
    return first;
}

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

/* The acknowledgement batches of the two APIs have the same layout. */
_Static_assert(sizeof(kp_share_fetch_request_acknowledgement_batch) ==
                   sizeof(kp_share_acknowledge_request_acknowledgement_batch),
               "acknowledgement batches differ");

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
            if (!closing && session_add(s, &t->topic_id, fp->partition_index)) return -1;
            entry *e = entry_add(a, &t->topic_id, fp->partition_index);
            if (!e) continue;
            mock_partition *p = NULL;
            mock_share_part *sp = NULL;
            kfk_err err = locate(req, sg, &t->topic_id, fp->partition_index, &p, &sp);
            if (err == KFK_ERR_NO_MEMORY) return -1;
            if (err) {
                entry_error(a, e, err, p);
                continue;
            }
            if (fp->n_acknowledgement_batches)
                e->d.acknowledge_error_code =
                    (int16_t)acknowledge(req->mc, sp, s->id, fp->acknowledgement_batches,
                                         fp->n_acknowledgement_batches, req->version >= 2);
        }
    }
    for (int32_t i = 0; i < r->n_forgotten_topics_data; i++)
        for (int32_t k = 0; k < r->forgotten_topics_data[i].n_partitions; k++)
            session_forget(s, &r->forgotten_topics_data[i].topic_id,
                           r->forgotten_topics_data[i].partitions[k]);
    return 0;
}

/* Acquires records from the session's partitions, within max_records. */
static int fetch_acquire(mock_req *req, const kp_share_fetch_request *r, mock_share_group *sg,
                         mock_share_session *s, answer *a)
{
    int32_t budget = r->max_records > 0 ? r->max_records : INT32_MAX;
    for (int32_t i = 0; i < s->n_tps && budget > 0; i++) {
        const mock_share_tp *tp = &s->tps[i];
        mock_partition *p = NULL;
        mock_share_part *sp = NULL;
        kfk_err err = locate(req, sg, &tp->topic_id, tp->partition, &p, &sp);
        if (err == KFK_ERR_NO_MEMORY) return -1;
        if (err) continue; /* answered for the request's own partitions */
        kp_share_fetch_response_acquired_records *acq;
        int32_t n_acq;
        int got = mock_share_acquire(req->mc, sp, p, s->id, budget, req->arena, &acq, &n_acq);
        if (got < 0) return -1;
        if (!got) continue;
        budget -= got;
        entry *e = entry_add(a, &tp->topic_id, tp->partition);
        if (!e) continue;
        e->d.acquired_records = acq;
        e->d.n_acquired_records = n_acq;
        if (records_of(req, p, acq[0].first_offset, acq[n_acq - 1].last_offset, &e->d.records))
            return -1;
    }
    return 0;
}

static kfk_err fetch_session(mock_req *req, const kp_share_fetch_request *r, mock_share_group *sg,
                             mock_share_session **s)
{
    int32_t epoch = r->share_session_epoch;
    if (epoch == 0 && has_acks(r)) return KFK_ERR_INVALID_REQUEST;
    kfk_err err = session_for(req, sg, r->member_id, epoch, s);
    if (err) return err;
    if (epoch == 0) {
        if (*s) session_close(req->mc, sg, *s);
        *s = session_open(req->mc, sg, r->member_id, req->broker->id);
        if (!*s) return KFK_ERR_NO_MEMORY;
    } else if (epoch != -1) {
        (*s)->next_epoch = epoch_next(epoch);
    }
    return KFK_OK;
}

int mock_handle_share_fetch(mock_req *req)
{
    kp_share_fetch_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_share_fetch_response resp;
    kp_share_fetch_response_init(&resp);
    resp.acquisition_lock_timeout_ms = req->mc->share.lock_ms;
    mock_share_group *sg = NULL;
    mock_share_session *s = NULL;
    kfk_err err = req->inject ? req->inject : member_check(req, r.group_id, r.member_id, &sg);
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
    if (r.share_session_epoch == -1)
        session_close(req->mc, sg, s);
    else if (fetch_acquire(req, &r, sg, s, &a))
        return MOCK_CLOSE;
    if (fetch_answer(req, &a, &resp)) return MOCK_CLOSE;
    return mock_respond(req, &resp);
}

/* --- ShareAcknowledge ----------------------------------------------------------- */

static int ack_partitions(mock_req *req, const kp_share_acknowledge_request *r,
                          mock_share_group *sg, mock_share_session *s,
                          kp_share_acknowledge_response *resp)
{
    int32_t n = r->n_topics > 0 ? r->n_topics : 0;
    resp->responses = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp->responses));
    if (!resp->responses) return -1;
    for (int32_t i = 0; i < n; i++) {
        const kp_share_acknowledge_request_acknowledge_topic *t = &r->topics[i];
        kp_share_acknowledge_response_share_acknowledge_topic_response *rt =
            &resp->responses[resp->n_responses++];
        kp_share_acknowledge_response_share_acknowledge_topic_response_init(rt);
        rt->topic_id = t->topic_id;
        int32_t np = t->n_partitions > 0 ? t->n_partitions : 0;
        rt->partitions = karena_alloc(req->arena, (size_t)(np ? np : 1) * sizeof(*rt->partitions));
        if (!rt->partitions) return -1;
        for (int32_t k = 0; k < np; k++) {
            const kp_share_acknowledge_request_acknowledge_partition *ap = &t->partitions[k];
            kp_share_acknowledge_response_partition_data *d = &rt->partitions[rt->n_partitions++];
            kp_share_acknowledge_response_partition_data_init(d);
            d->partition_index = ap->partition_index;
            d->current_leader.leader_id = -1;
            d->current_leader.leader_epoch = -1;
            mock_partition *p = NULL;
            mock_share_part *sp = NULL;
            kfk_err err = locate(req, sg, &t->topic_id, ap->partition_index, &p, &sp);
            if (err == KFK_ERR_NO_MEMORY) return -1;
            if (err == KFK_ERR_NOT_LEADER_OR_FOLLOWER && p && p->leader >= 0) {
                d->current_leader.leader_id = p->leader;
                d->current_leader.leader_epoch = p->leader_epoch;
            }
            if (!err)
                err = acknowledge(req->mc, sp, s->id,
                                  (const kp_share_fetch_request_acknowledgement_batch *)
                                      ap->acknowledgement_batches,
                                  ap->n_acknowledgement_batches, req->version >= 2);
            d->error_code = (int16_t)err;
        }
    }
    return 0;
}

int mock_handle_share_acknowledge(mock_req *req)
{
    kp_share_acknowledge_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_share_acknowledge_response resp;
    kp_share_acknowledge_response_init(&resp);
    if (req->version >= 2) resp.acquisition_lock_timeout_ms = req->mc->share.lock_ms;
    mock_share_group *sg = NULL;
    mock_share_session *s = NULL;
    int32_t epoch = r.share_session_epoch;
    kfk_err err = req->inject ? req->inject : member_check(req, r.group_id, r.member_id, &sg);
    /* Acknowledging needs a session: epoch 0 would open one. */
    if (!err && epoch == 0) err = KFK_ERR_INVALID_SHARE_SESSION_EPOCH;
    if (!err) err = session_for(req, sg, r.member_id, epoch, &s);
    if (err) {
        resp.error_code = (int16_t)err;
        return mock_respond(req, &resp);
    }
    if (epoch != -1) s->next_epoch = epoch_next(epoch);
    if (ack_partitions(req, &r, sg, s, &resp)) return MOCK_CLOSE;
    if (epoch == -1) session_close(req->mc, sg, s);
    return mock_respond(req, &resp);
}
