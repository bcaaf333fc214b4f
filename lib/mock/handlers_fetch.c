/* Fetch: which partitions answer with what, the response size limits as
 * Kafka's ReplicaManager applies them, and long polls. A fetch that finds
 * fewer than min_bytes and no error parks on its broker (its connection
 * reads nothing more meanwhile) until an append or a leadership change
 * wakes it with enough data, or its max_wait_ms timer fires.
 *
 * KIP-392 fetch from follower, as Kafka does with
 * replica.selector.class=RackAwareReplicaSelector, for brokers given a rack
 * (kfk_mock_broker_set_rack): a leader asked by a consumer in rack R (Fetch
 * v11+ rack_id) answers a partition with a replica in R, when it is not in
 * R itself, with that replica as preferred_read_replica and no records;
 * that replica then serves the consumer's fetches up to the high watermark
 * (every mock replica is in sync). Other non-leaders still answer
 * NOT_LEADER_OR_FOLLOWER, as before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/time.h"
#include "mock/fetch.h"
#include "proto/gen/fetch.h"

/* A fetch being answered, now or after waiting. */
typedef struct fetch_ctx {
    int16_t version;
    int32_t correlation_id;
    int32_t max_wait_ms, min_bytes, max_bytes;
    int8_t isolation_level;
    kslice rack; /* the consumer's rack (v11+); points into the request */
    mock_fetch_view view;
} fetch_ctx;

struct mock_fetch_wait {
    mock_fetch_wait *next; /* in the broker's list */
    mock_broker *broker;
    mock_conn *conn;
    mock_timer timer; /* max_wait_ms */
    fetch_ctx ctx;    /* points into the connection's arena and input */
};

/* ------------------------------------------------- KIP-392 replica selection */

static bool in_rack(const mock_broker *b, kslice rack)
{
    return b && !b->down && b->rack[0] && rack.len == strlen(b->rack) &&
           !memcmp(rack.ptr, b->rack, rack.len);
}

/* The replica the leader b sends the consumer to, or -1 (b is not the
 * leader, the consumer names no rack, or b is in its rack, or no replica
 * is). */
static int32_t preferred_replica(mock_broker *b, const fetch_ctx *ctx, const mock_partition *p)
{
    if (ctx->version < 11 || !ctx->rack.len || p->leader != b->id || in_rack(b, ctx->rack))
        return -1;
    for (int32_t i = 0; i < p->n_replicas; i++)
        if (p->replicas[i] != b->id && in_rack(mock_broker_get(b->mc, p->replicas[i]), ctx->rack))
            return p->replicas[i];
    return -1;
}

/* A follower serves a consumer in its own rack. */
static bool serves_as_follower(mock_broker *b, const fetch_ctx *ctx, const mock_partition *p)
{
    if (ctx->version < 11 || !in_rack(b, ctx->rack)) return false;
    for (int32_t i = 0; i < p->n_replicas; i++)
        if (p->replicas[i] == b->id) return true;
    return false;
}

kfk_err kfk_mock_broker_set_rack(kfk_mock_cluster *mc, int32_t broker_id, const char *rack)
{
    if (!mc) return KFK_ERR_INVALID_ARG;
    if (rack && strlen(rack) >= sizeof(mc->brokers[0].rack)) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mock_broker *b = mock_broker_get(mc, broker_id);
    if (b) snprintf(b->rack, sizeof(b->rack), "%s", rack ? rack : "");
    pthread_mutex_unlock(&mc->lock);
    return b ? KFK_OK : KFK_ERR_INVALID_ARG;
}

/* ----------------------------------------------------------- evaluation */

/* Where epoch ends in p's log, as Kafka's leader epoch cache says it
 * (endOffsetFor): the current epoch at the log end; an older one at the
 * start of the next epoch, named by the largest epoch at or below it (the
 * cache is made of the batches' epochs here; Kafka's also knows epochs
 * that wrote nothing). *epoch -1 for an epoch above the current one. */
static void epoch_end(const mock_partition *p, int32_t epoch, int32_t *floor, int64_t *end)
{
    const mock_log *log = &p->log;
    *floor = -1;
    *end = -1;
    if (epoch > p->leader_epoch) return;
    *floor = epoch;
    *end = log->end_offset; /* the current epoch starts at the end until it writes */
    if (epoch == p->leader_epoch) return;
    /* Epochs only grow along the log: search the first batch of a later one. */
    size_t lo = log->head, hi = log->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mock_batch_epoch(&log->b[mid]) > epoch)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo < log->n) *end = log->b[lo].base_offset;
    if (lo > log->head) *floor = mock_batch_epoch(&log->b[lo - 1]);
}

/* KIP-320, as Kafka's Partition.readRecords checks a fetch that names the
 * epoch of the last records it got: when the log has no such epoch, or it
 * ends before the fetch offset, the answer is that epoch's end (no
 * records) so the fetcher can truncate. *div_epoch -1: no divergence. */
static int16_t check_divergence(const mock_partition *p, const mock_fetch_part *fp,
                                int32_t *div_epoch, int64_t *div_end)
{
    int32_t floor;
    int64_t end;
    epoch_end(p, fp->last_fetched_epoch, &floor, &end);
    if (floor < 0) return KFK_ERR_OFFSET_OUT_OF_RANGE;
    if (floor < fp->last_fetched_epoch || end < fp->fetch_offset) {
        *div_epoch = floor;
        *div_end = end;
    }
    return 0;
}

/* The partition a request part names and whether this broker may serve
 * it; sets the KIP-951 hint on NOT_LEADER_OR_FOLLOWER and the diverging
 * epoch (KIP-320). */
static int16_t part_check(mock_broker *b, const fetch_ctx *ctx, const mock_fetch_part *fp,
                          mock_partition **pp, mock_fetch_result *res)
{
    mock_cluster *mc = b->mc;
    int16_t version = ctx->version;
    mock_topic *t =
        version >= 13 ? mock_topic_find_id(mc, &fp->topic_id) : mock_topic_find(mc, fp->topic);
    if (!t) return version >= 13 ? KFK_ERR_UNKNOWN_TOPIC_ID : KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    mock_partition *p = *pp = mock_partition_find(t, fp->partition);
    if (!p) return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (p->leader != b->id && !serves_as_follower(b, ctx, p)) {
        if (res && version >= 12 && p->leader >= 0) {
            res->leader_id = p->leader;
            res->leader_epoch = p->leader_epoch;
        }
        return KFK_ERR_NOT_LEADER_OR_FOLLOWER;
    }
    if (fp->current_leader_epoch >= 0 && fp->current_leader_epoch < p->leader_epoch)
        return KFK_ERR_FENCED_LEADER_EPOCH;
    if (fp->current_leader_epoch > p->leader_epoch) return KFK_ERR_UNKNOWN_LEADER_EPOCH;
    if (version >= 12 && fp->last_fetched_epoch >= 0) { /* before the offset's range */
        int16_t err = check_divergence(p, fp, &res->diverging_epoch, &res->diverging_end_offset);
        if (err || res->diverging_epoch >= 0) return err;
    }
    if (fp->fetch_offset < p->log.log_start_offset || fp->fetch_offset > p->log.end_offset)
        return KFK_ERR_OFFSET_OUT_OF_RANGE;
    return 0;
}

/* Whether to answer now: an error, or min_bytes readable (Kafka's
 * DelayedFetch counts each partition up to its max bytes, and for
 * read_committed only up to the last stable offset). */
static bool fetch_ready(mock_broker *b, const fetch_ctx *ctx)
{
    if (ctx->max_wait_ms <= 0 || ctx->view.error || ctx->view.n_parts == 0) return true;
    int64_t readable = 0;
    for (int32_t i = 0; i < ctx->view.n_parts; i++) {
        const mock_fetch_part *fp = &ctx->view.parts[i];
        mock_partition *p = NULL;
        mock_fetch_result r = {.diverging_epoch = -1};
        if (part_check(b, ctx, fp, &p, &r) || r.diverging_epoch >= 0 ||
            preferred_replica(b, ctx, p) >= 0)
            return true;
        int64_t n = ctx->isolation_level == 1
                        ? mock_log_bytes_between(&p->log, fp->fetch_offset, mock_partition_lso(p))
                        : mock_log_bytes_from(&p->log, fp->fetch_offset);
        readable += n < fp->max_bytes ? n : fp->max_bytes;
    }
    return readable >= ctx->min_bytes;
}

/* The batches from the one holding offset, up to limit bytes; the last
 * may be cut short as Kafka's segment slice cuts it, the first is whole
 * when min_one (KIP-74: a batch larger than the limits still goes out). */
static int select_records(const mock_log *log, int64_t offset, int64_t end, int64_t limit,
                          bool min_one, karena *a, mock_fetch_result *res)
{
    size_t first = mock_log_find(log, offset), i = first;
    int64_t total = 0;
    for (; i < log->n && log->b[i].base_offset < end; i++) {
        int64_t len = (int64_t)log->b[i].buf->len;
        if (total + len <= limit || (min_one && i == first)) {
            total += len;
            continue;
        }
        if (total < limit) { /* the part that fits */
            total = limit;
            i++;
        }
        break;
    }
    res->n_segs = i - first;
    res->records_len = (size_t)total;
    if (!res->n_segs) return 0;
    res->segs = karena_alloc(a, res->n_segs * sizeof(*res->segs));
    if (!res->segs) return KFK_ERR_NO_MEMORY;
    int64_t left = total;
    for (size_t k = 0; k < res->n_segs; k++) {
        krbuf *buf = log->b[first + k].buf;
        size_t len = (int64_t)buf->len < left ? buf->len : (size_t)left;
        res->segs[k] = (mock_seg){buf, 0, len};
        left -= (int64_t)len;
    }
    return 0;
}

/* Kafka's collectAbortedTransactions: those that end at or after the
 * fetch offset and begin before the end of what is sent. */
static int collect_aborted(const mock_partition *p, int64_t from, int64_t upto, karena *a,
                           mock_fetch_result *res)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_aborted; i++)
        n += p->aborted[i].last_offset >= from && p->aborted[i].first_offset < upto;
    if (!n) return 0;
    mock_aborted_txn *v = karena_alloc(a, n * sizeof(*v));
    if (!v) return KFK_ERR_NO_MEMORY;
    res->aborted = v;
    for (size_t i = 0; i < p->n_aborted; i++)
        if (p->aborted[i].last_offset >= from && p->aborted[i].first_offset < upto)
            v[res->n_aborted++] = p->aborted[i];
    return 0;
}

/* The offset after the last batch select_records chose. */
static int64_t records_end(const mock_log *log, int64_t offset, const mock_fetch_result *res)
{
    if (!res->n_segs) return offset;
    size_t last = mock_log_find(log, offset) + res->n_segs - 1;
    return log->b[last].last_offset + 1;
}

static int fill_result(mock_broker *b, const fetch_ctx *ctx, const mock_fetch_part *fp,
                       int64_t *room, bool *min_one, karena *a, mock_fetch_result *res)
{
    memset(res, 0, sizeof(*res));
    res->req = fp;
    res->leader_id = -1;
    res->preferred_read_replica = -1;
    res->diverging_epoch = -1;
    res->high_watermark = res->last_stable_offset = res->log_start_offset = -1;
    mock_partition *p = NULL;
    res->error = part_check(b, ctx, fp, &p, res);
    /* Kafka answers partitions it cannot find with an empty aborted list,
     * and those whose log it read with a null one (read_uncommitted). */
    res->aborted_list =
        res->error == KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION || res->error == KFK_ERR_UNKNOWN_TOPIC_ID;
    if (res->error) return 0;
    res->high_watermark = p->log.end_offset;
    res->last_stable_offset = mock_partition_lso(p);
    res->log_start_offset = p->log.log_start_offset;
    res->aborted_list = ctx->isolation_level == 1;
    if (res->diverging_epoch >= 0) return 0; /* no records with it */
    res->preferred_read_replica = preferred_replica(b, ctx, p);
    if (res->preferred_read_replica >= 0) return 0; /* Kafka sends no records with it */
    int64_t end = ctx->isolation_level == 1 ? res->last_stable_offset : res->high_watermark;
    int64_t limit = fp->max_bytes < *room ? fp->max_bytes : *room;
    if (limit < 0) limit = 0;
    if (select_records(&p->log, fp->fetch_offset, end, limit, *min_one, a, res))
        return KFK_ERR_NO_MEMORY;
    if (ctx->isolation_level == 1 &&
        collect_aborted(p, fp->fetch_offset, records_end(&p->log, fp->fetch_offset, res), a, res))
        return KFK_ERR_NO_MEMORY;
    *room -= (int64_t)res->records_len;
    if (res->records_len) *min_one = false;
    return 0;
}

static void add_hint(mock_fetch_reply *reply, int32_t id)
{
    for (int32_t i = 0; i < reply->n_hints; i++)
        if (reply->hint_ids[i] == id) return;
    reply->hint_ids[reply->n_hints++] = id;
}

static int build_reply(mock_broker *b, const fetch_ctx *ctx, karena *a, mock_fetch_reply *reply)
{
    memset(reply, 0, sizeof(*reply));
    reply->version = ctx->version;
    reply->correlation_id = ctx->correlation_id;
    reply->error = ctx->view.error;
    reply->session_id = ctx->view.session_id;
    if (ctx->view.error) return 0;
    int32_t n = ctx->view.n_parts;
    reply->results = karena_alloc(a, (size_t)(n ? n : 1) * sizeof(*reply->results));
    if (!reply->results) return KFK_ERR_NO_MEMORY;
    int64_t room = ctx->max_bytes;
    bool min_one = true;
    for (int32_t i = 0; i < n; i++) {
        mock_fetch_result *res = &reply->results[reply->n_results];
        if (fill_result(b, ctx, &ctx->view.parts[i], &room, &min_one, a, res))
            return KFK_ERR_NO_MEMORY;
        bool include = true;
        if (ctx->view.session_id) /* KIP-227: also records what it sends */
            include = mock_fetch_session_include(b, &ctx->view, res) || !ctx->view.incremental;
        if (!include) continue;
        if (res->leader_id >= 0 && ctx->version >= 16) add_hint(reply, res->leader_id);
        reply->n_results++;
    }
    return 0;
}

/* -------------------------------------------------------------- answers */

static int answer(mock_broker *b, mock_conn *c, const fetch_ctx *ctx, karena *a)
{
    mock_fetch_reply reply;
    if (build_reply(b, ctx, a, &reply)) return MOCK_CLOSE;
    mock_req fake = {.broker = b, .recv_ns = ktime_mono_ns()};
    mock_out *o = mock_out_new(&fake);
    if (!o) return MOCK_CLOSE;
    if (mock_fetch_write(b->mc, o, &reply)) {
        mock_out_free(o);
        return MOCK_CLOSE;
    }
    if (ctx->view.session_id) mock_fetch_session_rotate(b, &ctx->view, &reply);
    mock_conn_send(c, o);
    return MOCK_DONE;
}

static void wait_unlink(mock_fetch_wait *w)
{
    for (mock_fetch_wait **pp = &w->broker->waits; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            return;
        }
}

/* Answers a parked fetch and lets its connection go on. */
static void wait_finish(mock_fetch_wait *w)
{
    mock_timer_stop(w->broker->mc, &w->timer);
    mock_conn *c = w->conn;
    int rc = answer(w->broker, c, &w->ctx, mock_conn_arena(c));
    free(w);
    if (rc == MOCK_CLOSE)
        mock_conn_close(c);
    else
        mock_conn_unpark(c);
}

static void on_wait_timer(mock_cluster *mc, mock_timer *t)
{
    (void)mc;
    mock_fetch_wait *w = container_of(t, mock_fetch_wait, timer);
    wait_unlink(w);
    wait_finish(w);
}

static int park(mock_req *req, const fetch_ctx *ctx)
{
    mock_fetch_wait *w = calloc(1, sizeof(*w));
    if (!w) return answer(req->broker, req->conn, ctx, req->arena);
    w->broker = req->broker;
    w->conn = req->conn;
    w->ctx = *ctx;
    w->timer.fn = on_wait_timer;
    if (mock_timer_start(req->mc, &w->timer, req->recv_ns + (int64_t)ctx->max_wait_ms * 1000000)) {
        free(w);
        return answer(req->broker, req->conn, ctx, req->arena);
    }
    w->next = req->broker->waits;
    req->broker->waits = w;
    return MOCK_PARKED;
}

static void wake_broker(mock_broker *b)
{
    mock_fetch_wait *list = b->waits;
    b->waits = NULL; /* answering may park new fetches here */
    while (list) {
        mock_fetch_wait *w = list;
        list = w->next;
        if (fetch_ready(b, &w->ctx)) {
            wait_finish(w);
        } else {
            w->next = b->waits;
            b->waits = w;
        }
    }
}

/* Answering a fetch lets its connection go on, and what it does next (a
 * Produce) may wake other fetches: go round until nothing is left. */
void mock_fetch_wake_all(mock_cluster *mc)
{
    for (bool again = true; again;) {
        again = false;
        for (int i = 0; i < mc->n_brokers; i++) {
            mock_broker *b = &mc->brokers[i];
            if (!b->fetch_wake) continue;
            b->fetch_wake = false;
            again = true;
            wake_broker(b);
            mock_share_wake_broker(b);
        }
    }
}

void mock_fetch_wait_cancel_conn(mock_conn *c)
{
    mock_broker *b = mock_conn_broker(c);
    for (mock_fetch_wait *w = b->waits; w; w = w->next) {
        if (w->conn != c) continue;
        wait_unlink(w);
        mock_timer_stop(b->mc, &w->timer);
        free(w);
        return;
    }
}

/* ------------------------------------------------------------- handler */

static int injected(mock_req *req, const kp_fetch_request *r, fetch_ctx *ctx)
{
    /* Session errors live in the top-level error code; others go into
     * every partition. Sessions are left alone either way. */
    if (req->inject == KFK_ERR_FETCH_SESSION_ID_NOT_FOUND ||
        req->inject == KFK_ERR_INVALID_FETCH_SESSION_EPOCH) {
        ctx->view.error = (int16_t)req->inject;
        return answer(req->broker, req->conn, ctx, req->arena);
    }
    if (mock_fetch_request_parts(r, req->arena, &ctx->view)) return MOCK_CLOSE;
    mock_fetch_reply reply = {.version = req->version, .correlation_id = req->correlation_id};
    int32_t n = ctx->view.n_parts;
    reply.results = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*reply.results));
    if (!reply.results) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        mock_fetch_result *res = &reply.results[reply.n_results++];
        memset(res, 0, sizeof(*res));
        res->req = &ctx->view.parts[i];
        res->error = (int16_t)req->inject;
        res->leader_id = -1;
        res->preferred_read_replica = -1;
        res->high_watermark = res->last_stable_offset = res->log_start_offset = -1;
    }
    mock_out *o = mock_out_new(req);
    if (!o) return MOCK_CLOSE;
    if (mock_fetch_write(req->mc, o, &reply)) {
        mock_out_free(o);
        return MOCK_CLOSE;
    }
    mock_conn_send(req->conn, o);
    return MOCK_DONE;
}

int mock_handle_fetch(mock_req *req)
{
    kp_fetch_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    fetch_ctx ctx = {
        .version = req->version,
        .correlation_id = req->correlation_id,
        .max_wait_ms = r.max_wait_ms,
        .min_bytes = r.min_bytes,
        .max_bytes = r.max_bytes,
        .isolation_level = r.isolation_level,
        .rack = req->version >= 11 ? r.rack_id : (kslice){0},
    };
    if (req->inject) return injected(req, &r, &ctx);
    if (mock_fetch_session_begin(req->broker, &r, req->version, req->arena, &ctx.view))
        return MOCK_CLOSE;
    if (fetch_ready(req->broker, &ctx)) return answer(req->broker, req->conn, &ctx, req->arena);
    return park(req, &ctx);
}
