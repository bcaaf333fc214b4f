/* The bytes of a Fetch response, written by hand rather than by the
 * generated encoder so that stored batches go out by reference (sendmsg
 * gathers them) instead of being copied into the response. Batches under
 * COPY_BELOW bytes are copied anyway: a syscall's iovec slot costs more
 * than copying them. Versions 4-18; tests decode the output with the
 * generated decoder at every version. */
#include <string.h>

#include "mock/fetch.h"
#include "proto/gen/fetch.h"

#define COPY_BELOW 4096

typedef struct writer {
    mock_out *o;
    kbuf *h;          /* o->head */
    size_t seg_start; /* head bytes not yet made a segment start here */
    bool flex;
    int err;
} writer;

static void w_raw(writer *w, const void *p, size_t n)
{
    if (!w->err && kbuf_append(w->h, p, n)) w->err = KFK_ERR_NO_MEMORY;
}
static void w_i16(writer *w, int16_t v)
{
    if (!w->err && kwrite_i16(w->h, v)) w->err = KFK_ERR_NO_MEMORY;
}
static void w_i32(writer *w, int32_t v)
{
    if (!w->err && kwrite_i32(w->h, v)) w->err = KFK_ERR_NO_MEMORY;
}
static void w_i64(writer *w, int64_t v)
{
    if (!w->err && kwrite_i64(w->h, v)) w->err = KFK_ERR_NO_MEMORY;
}
static void w_uvarint(writer *w, uint64_t v)
{
    if (!w->err && kwrite_uvarint(w->h, v)) w->err = KFK_ERR_NO_MEMORY;
}

/* An array's length; n < 0 is null. */
static void w_array_len(writer *w, int32_t n)
{
    if (w->flex)
        w_uvarint(w, n < 0 ? 0 : (uint64_t)n + 1);
    else
        w_i32(w, n);
}

static void w_str(writer *w, kslice s)
{
    if (w->flex)
        w_uvarint(w, s.ptr ? (uint64_t)s.len + 1 : 0);
    else
        w_i16(w, s.ptr ? (int16_t)s.len : -1);
    if (s.ptr) w_raw(w, s.ptr, s.len);
}

static void w_no_tags(writer *w)
{
    if (w->flex) w_uvarint(w, 0);
}

/* Ends the current run of head bytes as a segment. */
static void w_cut(writer *w)
{
    size_t n = w->h->len - w->seg_start;
    if (!w->err && n && mock_out_seg(w->o, NULL, w->seg_start, n)) w->err = KFK_ERR_NO_MEMORY;
    w->seg_start = w->h->len;
}

static void w_records(writer *w, const mock_fetch_result *r)
{
    if (w->flex)
        w_uvarint(w, (uint64_t)r->records_len + 1);
    else
        w_i32(w, (int32_t)r->records_len);
    for (size_t i = 0; i < r->n_segs && !w->err; i++) {
        const mock_seg *s = &r->segs[i];
        if (s->len < COPY_BELOW) {
            w_raw(w, s->ref->data + s->off, s->len);
            continue;
        }
        w_cut(w);
        if (!w->err && mock_out_seg(w->o, s->ref, s->off, s->len)) w->err = KFK_ERR_NO_MEMORY;
    }
}

/* read_committed: the aborted transactions of the records sent. */
static void w_aborted(writer *w, const mock_fetch_result *r)
{
    if (!r->aborted_list) {
        w_array_len(w, -1);
        return;
    }
    w_array_len(w, (int32_t)r->n_aborted);
    for (size_t i = 0; i < r->n_aborted; i++) {
        w_i64(w, r->aborted[i].producer_id);
        w_i64(w, r->aborted[i].first_offset);
        w_no_tags(w);
    }
}

static void w_partition(writer *w, int16_t version, const mock_fetch_result *r)
{
    w_i32(w, r->req->partition);
    w_i16(w, r->error);
    w_i64(w, r->high_watermark);
    w_i64(w, r->last_stable_offset);
    if (version >= 5) w_i64(w, r->log_start_offset);
    w_aborted(w, r);
    if (version >= 11) w_i32(w, r->preferred_read_replica);
    w_records(w, r);
    if (!w->flex) return;
    w_uvarint(w, (uint64_t)(r->diverging_epoch >= 0) + (r->leader_id >= 0)); /* tagged fields */
    if (r->diverging_epoch >= 0) { /* KIP-320 (v12+, only flexible versions) */
        w_uvarint(w, 0);  /* diverging_epoch */
        w_uvarint(w, 13); /* its size: int32, int64 and empty tags */
        w_i32(w, r->diverging_epoch);
        w_i64(w, r->diverging_end_offset);
        w_uvarint(w, 0);
    }
    if (r->leader_id < 0) return; /* no KIP-951 hint */
    w_uvarint(w, 1); /* current_leader */
    w_uvarint(w, 9); /* its size: two int32s and empty tags */
    w_i32(w, r->leader_id);
    w_i32(w, r->leader_epoch);
    w_uvarint(w, 0);
}

/* Topics: runs of consecutive results for the same topic. */
static bool same_topic(int16_t version, const mock_fetch_result *a, const mock_fetch_result *b)
{
    if (version >= 13) return !memcmp(a->req->topic_id.b, b->req->topic_id.b, 16);
    return kwire_eq(a->req->topic, b->req->topic);
}

static void w_topics(writer *w, const mock_fetch_reply *reply)
{
    int32_t n_topics = 0;
    for (int32_t i = 0; i < reply->n_results; i++)
        n_topics +=
            i == 0 || !same_topic(reply->version, &reply->results[i - 1], &reply->results[i]);
    w_array_len(w, n_topics);
    for (int32_t i = 0; i < reply->n_results;) {
        int32_t k = i + 1;
        while (k < reply->n_results &&
               same_topic(reply->version, &reply->results[i], &reply->results[k]))
            k++;
        const mock_fetch_part *fp = reply->results[i].req;
        if (reply->version >= 13)
            w_raw(w, fp->topic_id.b, 16);
        else
            w_str(w, fp->topic);
        w_array_len(w, k - i);
        for (int32_t j = i; j < k; j++)
            w_partition(w, reply->version, &reply->results[j]);
        w_no_tags(w);
        i = k;
    }
}

/* KIP-951: where the leaders named in current_leader live (v16+). */
static void w_node_endpoints(writer *w, mock_cluster *mc, const mock_fetch_reply *reply)
{
    if (reply->version < 16 || reply->n_hints == 0) {
        w_no_tags(w);
        return;
    }
    kbuf *head = w->h;
    kbuf tmp = {0};
    w->h = &tmp; /* the tag's size comes first: write its value aside */
    w_array_len(w, reply->n_hints);
    for (int32_t i = 0; i < reply->n_hints; i++) {
        w_i32(w, reply->hint_ids[i]);
        w_str(w, kwire_cstr("127.0.0.1"));
        w_i32(w, mock_broker_get(mc, reply->hint_ids[i])->port);
        w_uvarint(w, 0); /* rack: null */
        w_uvarint(w, 0);
    }
    w->h = head;
    w_uvarint(w, 1);
    w_uvarint(w, 0);
    w_uvarint(w, tmp.len);
    w_raw(w, tmp.data, tmp.len);
    kbuf_free(&tmp);
}

int mock_fetch_write(mock_cluster *mc, mock_out *o, const mock_fetch_reply *reply)
{
    writer w = {.o = o, .h = &o->head, .flex = reply->version >= 12};
    w_i32(&w, 0); /* frame size, set below */
    w_i32(&w, reply->correlation_id);
    w_no_tags(&w); /* response header v1 */
    w_i32(&w, 0);  /* throttle_time_ms */
    if (reply->version >= 7) {
        w_i16(&w, reply->error);
        w_i32(&w, reply->session_id);
    }
    w_topics(&w, reply);
    w_node_endpoints(&w, mc, reply);
    w_cut(&w);
    if (w.err) return w.err;
    kput_u32(o->head.data, (uint32_t)(o->len - 4));
    return 0;
}
