/* KIP-227 incremental fetch sessions, per broker, as Kafka's FetchManager
 * runs them:
 *   session 0, epoch -1   a full fetch without a session (session_id 0 back)
 *   session 0, epoch 0    a full fetch that opens a session (its id back)
 *   session S, epoch -1   closes S, then as (0, -1)
 *   session S, epoch 0    closes S, then as (0, 0)
 *   session S, epoch E>0  incremental: E must be S's next epoch; the
 *                         request's partitions are added or updated, the
 *                         forgotten ones removed, and the response carries
 *                         only partitions with news (records, an error, a
 *                         changed high watermark, LSO or log start offset);
 *                         one that leaves S empty closes it and is
 *                         answered sessionless (session_id 0).
 * An unknown S is FETCH_SESSION_ID_NOT_FOUND, a wrong E
 * INVALID_FETCH_SESSION_EPOCH. A broker keeps up to MAX_SESSIONS sessions
 * and evicts the least recently used. mc->lock held. */
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "mock/fetch.h"
#include "proto/gen/fetch.h"

#define MAX_SESSIONS 1000

typedef struct sess_part {
    char *topic; /* below v13; NULL for v13+ sessions */
    size_t topic_len;
    kuuid topic_id;
    int32_t partition;
    int32_t current_leader_epoch;
    int32_t last_fetched_epoch;
    int64_t fetch_offset;
    int32_t max_bytes;
    int64_t sent_hw, sent_lso, sent_log_start; /* what the client last heard */
} sess_part;

struct mock_fetch_session {
    mock_fetch_session *next;
    int32_t id;
    int32_t epoch; /* the next one expected */
    sess_part *parts;
    int32_t n, cap;
    int64_t used_ns;
};

/* ------------------------------------------------------------ partitions */

static void part_from_request(mock_fetch_part *out, const kp_fetch_request_fetch_topic *t,
                              const kp_fetch_request_fetch_partition *p)
{
    out->topic = t->topic;
    out->topic_id = t->topic_id;
    out->partition = p->partition;
    out->current_leader_epoch = p->current_leader_epoch;
    out->last_fetched_epoch = p->last_fetched_epoch;
    out->fetch_offset = p->fetch_offset;
    out->max_bytes = p->partition_max_bytes;
}

static int parts_from_request(const kp_fetch_request *r, karena *a, mock_fetch_view *view)
{
    int32_t n = 0;
    for (int32_t i = 0; i < r->n_topics; i++)
        n += r->topics[i].n_partitions > 0 ? r->topics[i].n_partitions : 0;
    view->parts = karena_alloc(a, (size_t)(n ? n : 1) * sizeof(*view->parts));
    if (!view->parts) return KFK_ERR_NO_MEMORY;
    view->n_parts = 0;
    for (int32_t i = 0; i < r->n_topics; i++)
        for (int32_t k = 0; k < r->topics[i].n_partitions; k++)
            part_from_request(&view->parts[view->n_parts++], &r->topics[i],
                              &r->topics[i].partitions[k]);
    return 0;
}

static bool same_part(const sess_part *sp, const mock_fetch_part *fp, bool by_id)
{
    if (sp->partition != fp->partition) return false;
    if (by_id) return !memcmp(sp->topic_id.b, fp->topic_id.b, 16);
    return sp->topic && fp->topic.len == sp->topic_len &&
           !memcmp(sp->topic, fp->topic.ptr, sp->topic_len);
}

static int32_t sess_find(const mock_fetch_session *s, const mock_fetch_part *fp, bool by_id)
{
    for (int32_t i = 0; i < s->n; i++)
        if (same_part(&s->parts[i], fp, by_id)) return i;
    return -1;
}

static int sess_put(mock_fetch_session *s, const mock_fetch_part *fp, bool by_id)
{
    int32_t i = sess_find(s, fp, by_id);
    if (i < 0) {
        if (s->n == s->cap) {
            int32_t cap = s->cap ? s->cap * 2 : 16;
            sess_part *p = realloc(s->parts, (size_t)cap * sizeof(*p));
            if (!p) return KFK_ERR_NO_MEMORY;
            s->parts = p;
            s->cap = cap;
        }
        sess_part *sp = &s->parts[s->n];
        memset(sp, 0, sizeof(*sp));
        if (!by_id && !(sp->topic = strndup((const char *)fp->topic.ptr, fp->topic.len)))
            return KFK_ERR_NO_MEMORY;
        sp->topic_len = fp->topic.len;
        sp->topic_id = fp->topic_id;
        sp->partition = fp->partition;
        sp->sent_hw = sp->sent_lso = sp->sent_log_start = -1;
        i = s->n++;
    }
    s->parts[i].current_leader_epoch = fp->current_leader_epoch;
    s->parts[i].last_fetched_epoch = fp->last_fetched_epoch;
    s->parts[i].fetch_offset = fp->fetch_offset;
    s->parts[i].max_bytes = fp->max_bytes;
    return 0;
}

static void sess_remove_at(mock_fetch_session *s, int32_t i)
{
    free(s->parts[i].topic);
    memmove(&s->parts[i], &s->parts[i + 1], (size_t)(s->n - i - 1) * sizeof(*s->parts));
    s->n--;
}

static void sess_forget(mock_fetch_session *s, const kp_fetch_request *r, bool by_id)
{
    for (int32_t i = 0; i < r->n_forgotten_topics_data; i++) {
        const kp_fetch_request_forgotten_topic *ft = &r->forgotten_topics_data[i];
        for (int32_t k = 0; k < ft->n_partitions; k++) {
            mock_fetch_part fp = {
                .topic = ft->topic, .topic_id = ft->topic_id, .partition = ft->partitions[k]};
            int32_t at = sess_find(s, &fp, by_id);
            if (at >= 0) sess_remove_at(s, at);
        }
    }
}

/* The session's partitions, copied into the arena (topic names too: the
 * session may change while a fetch waits). */
static int view_from_session(const mock_fetch_session *s, karena *a, mock_fetch_view *view)
{
    view->parts = karena_alloc(a, (size_t)(s->n ? s->n : 1) * sizeof(*view->parts));
    if (!view->parts) return KFK_ERR_NO_MEMORY;
    for (int32_t i = 0; i < s->n; i++) {
        const sess_part *sp = &s->parts[i];
        mock_fetch_part *fp = &view->parts[i];
        fp->topic = (kslice){NULL, 0};
        if (sp->topic) {
            char *name = karena_alloc(a, sp->topic_len);
            if (!name) return KFK_ERR_NO_MEMORY;
            memcpy(name, sp->topic, sp->topic_len);
            fp->topic = (kslice){(const uint8_t *)name, sp->topic_len};
        }
        fp->topic_id = sp->topic_id;
        fp->partition = sp->partition;
        fp->current_leader_epoch = sp->current_leader_epoch;
        fp->last_fetched_epoch = sp->last_fetched_epoch;
        fp->fetch_offset = sp->fetch_offset;
        fp->max_bytes = sp->max_bytes;
    }
    view->n_parts = s->n;
    return 0;
}

int mock_fetch_request_parts(const void *fetch_request, karena *a, mock_fetch_view *view)
{
    memset(view, 0, sizeof(*view));
    return parts_from_request(fetch_request, a, view);
}

/* -------------------------------------------------------------- sessions */

static mock_fetch_session **sess_slot(mock_broker *b, int32_t id)
{
    for (mock_fetch_session **pp = &b->sessions; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) return pp;
    return NULL;
}

static void sess_free(mock_fetch_session *s)
{
    for (int32_t i = 0; i < s->n; i++)
        free(s->parts[i].topic);
    free(s->parts);
    free(s);
}

static void sess_close(mock_broker *b, int32_t id)
{
    mock_fetch_session **pp = sess_slot(b, id);
    if (!pp) return;
    mock_fetch_session *s = *pp;
    *pp = s->next;
    sess_free(s);
    b->n_sessions--;
}

static void evict_lru(mock_broker *b)
{
    mock_fetch_session *old = b->sessions;
    for (mock_fetch_session *s = b->sessions; s; s = s->next)
        if (s->used_ns < old->used_ns) old = s;
    if (old) sess_close(b, old->id);
}

/* A new session holding the request's partitions; NULL without memory. */
static mock_fetch_session *sess_open(mock_broker *b, const mock_fetch_view *req_parts, bool by_id)
{
    if (b->n_sessions >= MAX_SESSIONS) evict_lru(b);
    mock_fetch_session *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    for (int32_t i = 0; i < req_parts->n_parts; i++)
        if (sess_put(s, &req_parts->parts[i], by_id)) {
            sess_free(s);
            return NULL;
        }
    mock_cluster *mc = b->mc;
    s->id = mc->next_session_id++;
    if (mc->next_session_id <= 0) mc->next_session_id = 1;
    s->epoch = 1;
    s->used_ns = ktime_mono_ns();
    s->next = b->sessions;
    b->sessions = s;
    b->n_sessions++;
    return s;
}

static int incremental(mock_broker *b, const kp_fetch_request *r, bool by_id, karena *a,
                       mock_fetch_view *view)
{
    mock_fetch_session **pp = sess_slot(b, r->session_id);
    if (!pp) {
        view->error = KFK_ERR_FETCH_SESSION_ID_NOT_FOUND;
        return 0;
    }
    mock_fetch_session *s = *pp;
    if (r->session_epoch != s->epoch) {
        view->error = KFK_ERR_INVALID_FETCH_SESSION_EPOCH;
        return 0;
    }
    mock_fetch_view req_parts;
    if (parts_from_request(r, a, &req_parts)) return KFK_ERR_NO_MEMORY;
    for (int32_t i = 0; i < req_parts.n_parts; i++)
        if (sess_put(s, &req_parts.parts[i], by_id)) return KFK_ERR_NO_MEMORY;
    sess_forget(s, r, by_id);
    if (s->n == 0) { /* Kafka closes a session left empty and answers sessionless */
        sess_close(b, s->id);
        return parts_from_request(r, a, view);
    }
    s->epoch = s->epoch == INT32_MAX ? 1 : s->epoch + 1;
    s->used_ns = ktime_mono_ns();
    view->session_id = s->id;
    view->session_epoch = s->epoch;
    view->incremental = true;
    return view_from_session(s, a, view);
}

int mock_fetch_session_begin(mock_broker *b, const void *fetch_request, int16_t version, karena *a,
                             mock_fetch_view *view)
{
    const kp_fetch_request *r = fetch_request;
    memset(view, 0, sizeof(*view));
    bool by_id = version >= 13;
    if (version < 7 || (r->session_id == 0 && r->session_epoch == -1))
        return parts_from_request(r, a, view);
    if (r->session_epoch > 0) return incremental(b, r, by_id, a, view);
    if (r->session_id != 0) sess_close(b, r->session_id);
    if (parts_from_request(r, a, view)) return KFK_ERR_NO_MEMORY;
    if (r->session_epoch != 0) return 0; /* -1: closed, no new session */
    mock_fetch_session *s = sess_open(b, view, by_id);
    view->session_id = s ? s->id : 0; /* no room: answer sessionless */
    view->session_epoch = s ? s->epoch : 0;
    return 0;
}

/* The session part of a view's part i: by position while the session
 * is as the fetch saw it (the usual case: no search), else by search. */
static sess_part *part_for(mock_fetch_session *s, const mock_fetch_view *view,
                           const mock_fetch_part *fp)
{
    int32_t i = (int32_t)(fp - view->parts);
    if (s->epoch == view->session_epoch && s->n == view->n_parts) return &s->parts[i];
    i = sess_find(s, fp, s->n && !s->parts[0].topic);
    return i < 0 ? NULL : &s->parts[i];
}

bool mock_fetch_session_include(mock_broker *b, const mock_fetch_view *view,
                                const mock_fetch_result *r)
{
    mock_fetch_session **pp = sess_slot(b, view->session_id);
    sess_part *sp = pp ? part_for(*pp, view, r->req) : NULL;
    if (!sp) return true;
    bool news = r->records_len > 0 || r->error != 0 || r->preferred_read_replica >= 0 ||
                r->diverging_epoch >= 0 ||
                sp->sent_hw != r->high_watermark || sp->sent_lso != r->last_stable_offset ||
                sp->sent_log_start != r->log_start_offset;
    /* After an error Kafka forgets what it sent, so the next success goes out. */
    sp->sent_hw = r->error ? -1 : r->high_watermark;
    sp->sent_lso = r->error ? -1 : r->last_stable_offset;
    sp->sent_log_start = r->error ? -1 : r->log_start_offset;
    return news;
}

void mock_fetch_session_rotate(mock_broker *b, const mock_fetch_view *view,
                               const mock_fetch_reply *reply)
{
    mock_fetch_session **pp = sess_slot(b, view->session_id);
    if (!pp) return;
    mock_fetch_session *s = *pp;
    for (int32_t k = 0; k < reply->n_results; k++) { /* mark, then move the marked back */
        const mock_fetch_result *r = &reply->results[k];
        sess_part *sp = r->records_len ? part_for(s, view, r->req) : NULL;
        if (sp) sp->partition = -1 - sp->partition;
    }
    sess_part *moved = malloc((size_t)(s->n ? s->n : 1) * sizeof(*moved));
    if (!moved) { /* keep the order; only unmark */
        for (int32_t i = 0; i < s->n; i++)
            if (s->parts[i].partition < 0) s->parts[i].partition = -1 - s->parts[i].partition;
        return;
    }
    int32_t kept = 0, n_moved = 0;
    for (int32_t i = 0; i < s->n; i++) {
        sess_part sp = s->parts[i];
        if (sp.partition < 0) {
            sp.partition = -1 - sp.partition;
            moved[n_moved++] = sp;
        } else {
            s->parts[kept++] = sp;
        }
    }
    memcpy(&s->parts[kept], moved, (size_t)n_moved * sizeof(*moved));
    free(moved);
}

void mock_fetch_sessions_free(mock_broker *b)
{
    while (b->sessions) {
        mock_fetch_session *s = b->sessions;
        b->sessions = s->next;
        sess_free(s);
    }
    b->n_sessions = 0;
}
