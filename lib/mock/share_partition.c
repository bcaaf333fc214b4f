/* Share-partition record state (KIP-932): which records of a partition a
 * share group has delivered, to whom, how often, and until when the
 * acquiring member holds them.
 *
 *  - A record is AVAILABLE, ACQUIRED (by one session, until its
 *    acquisition lock deadline), ACKNOWLEDGED or ARCHIVED. Acquiring
 *    counts a delivery.
 *  - A RELEASE, a lock that times out, or the owner's session closing
 *    makes an acquired record AVAILABLE again, unless it was already
 *    delivered group.share.delivery.count.limit times: then it is
 *    ARCHIVED and never delivered again. REJECT archives at once, ACCEPT
 *    (and GAP) acknowledge, RENEW restarts the lock.
 *  - The start offset moves past a head of records that are done, so the
 *    window of in-flight records stays short; control records (transaction
 *    markers) are archived when read, as the broker never hands them out.
 * Locks time out lazily: every acquisition, acknowledgement check and
 * describe looks at the deadlines first.
 * Loop thread, mc->lock held. */
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "mock/share.h"
#include "proto/gen/share_fetch.h"

mock_share_part *mock_share_part_find(mock_share_group *sg, const kuuid *topic_id,
                                      int32_t partition)
{
    for (size_t i = 0; i < sg->n_parts; i++) {
        mock_share_part *sp = sg->parts[i];
        if (sp->partition == partition && memcmp(sp->topic_id.b, topic_id->b, 16) == 0) return sp;
    }
    return NULL;
}

mock_share_part *mock_share_part_get(mock_cluster *mc, mock_share_group *sg,
                                     const mock_partition *p)
{
    mock_share_part *sp = mock_share_part_find(sg, &p->topic->id, p->index);
    if (sp) return sp;
    if (sg->n_parts == sg->cap_parts) {
        size_t c = sg->cap_parts ? 2 * sg->cap_parts : 8;
        mock_share_part **v = realloc(sg->parts, c * sizeof(*v));
        if (!v) return NULL;
        sg->parts = v;
        sg->cap_parts = c;
    }
    sp = calloc(1, sizeof(*sp));
    if (!sp) return NULL;
    sp->topic_id = p->topic->id;
    sp->partition = p->index;
    bool earliest = mock_group_conf_share_earliest(mc, kwire_cstr(sg->group->group_id));
    sp->start_offset = earliest ? p->log.log_start_offset : p->log.end_offset;
    sg->parts[sg->n_parts++] = sp;
    return sp;
}

/* A record given back: available again, or archived past the limit. */
static void rec_release(mock_cluster *mc, mock_share_rec *r)
{
    r->state =
        r->delivery_count >= mc->share.delivery_limit ? MOCK_SHARE_ARCHIVED : MOCK_SHARE_AVAILABLE;
    r->owner = 0;
    r->lock_deadline_ns = 0;
}

static void expire_locks(mock_cluster *mc, mock_share_part *sp)
{
    int64_t now = ktime_mono_ns();
    for (int64_t i = 0; i < sp->n_recs; i++) {
        mock_share_rec *r = &sp->recs[i];
        if (r->state == MOCK_SHARE_ACQUIRED && r->lock_deadline_ns <= now) rec_release(mc, r);
    }
}

/* Drops the head of records that are done (and what the log no longer
 * holds), moving the start offset. */
static void advance_start(mock_share_part *sp, const mock_partition *p)
{
    int64_t k = 0;
    int64_t log_start = p->log.log_start_offset;
    while (k < sp->n_recs &&
           (sp->recs[k].state == MOCK_SHARE_ACKNOWLEDGED ||
            sp->recs[k].state == MOCK_SHARE_ARCHIVED || sp->start_offset + k < log_start))
        k++;
    if (k) {
        memmove(sp->recs, sp->recs + k, (size_t)(sp->n_recs - k) * sizeof(*sp->recs));
        sp->n_recs -= k;
        sp->start_offset += k;
    }
    if (sp->n_recs == 0 && sp->start_offset < log_start) sp->start_offset = log_start;
}

static bool batch_is_control(const mock_batch *b)
{
    const uint8_t *p = b->buf->data + 21; /* the batch's attributes */
    return ((p[0] << 8 | p[1]) & 0x20) != 0;
}

/* Grows the window of in-flight records up to the high watermark (at most
 * the in-flight cap), archiving control records. */
static int extend_window(mock_share_part *sp, const mock_partition *p)
{
    int64_t want = p->log.end_offset - sp->start_offset;
    if (want > MOCK_SHARE_MAX_IN_FLIGHT) want = MOCK_SHARE_MAX_IN_FLIGHT;
    if (want <= sp->n_recs) return 0;
    if (want > sp->cap_recs) {
        mock_share_rec *v = realloc(sp->recs, (size_t)want * sizeof(*v));
        if (!v) return -1;
        sp->recs = v;
        sp->cap_recs = want;
    }
    int64_t first = sp->start_offset + sp->n_recs;
    memset(sp->recs + sp->n_recs, 0, (size_t)(want - sp->n_recs) * sizeof(*sp->recs));
    sp->n_recs = want;
    const mock_log *log = &p->log;
    for (size_t i = mock_log_find(log, first); i < log->n; i++) {
        const mock_batch *b = &log->b[i];
        if (b->base_offset >= sp->start_offset + sp->n_recs) break;
        if (!batch_is_control(b)) continue;
        for (int64_t o = b->base_offset; o <= b->last_offset; o++)
            if (o >= first && o < sp->start_offset + sp->n_recs)
                sp->recs[o - sp->start_offset].state = MOCK_SHARE_ARCHIVED;
    }
    return 0;
}

static int push_range(karena *a, kp_share_fetch_response_acquired_records **v, int32_t *n,
                      int32_t *cap, int64_t offset, int16_t count)
{
    if (*n) {
        kp_share_fetch_response_acquired_records *last = &(*v)[*n - 1];
        if (last->last_offset + 1 == offset && last->delivery_count == count) {
            last->last_offset = offset;
            return 0;
        }
    }
    if (*n == *cap) {
        int32_t c = *cap ? 2 * *cap : 8;
        kp_share_fetch_response_acquired_records *nv = karena_alloc(a, (size_t)c * sizeof(*nv));
        if (!nv) return -1;
        if (*n) memcpy(nv, *v, (size_t)*n * sizeof(*nv));
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = (kp_share_fetch_response_acquired_records){offset, offset, count};
    return 0;
}

int mock_share_acquire(mock_cluster *mc, mock_share_part *sp, const mock_partition *p,
                       int32_t owner, int32_t max_records, int32_t lock_ms, karena *a,
                       kp_share_fetch_response_acquired_records **out, int32_t *n_out)
{
    expire_locks(mc, sp);
    advance_start(sp, p);
    if (extend_window(sp, p)) return -1;
    int64_t deadline = ktime_mono_ns() + (int64_t)lock_ms * 1000000;
    int32_t got = 0, cap = 0;
    *out = NULL;
    *n_out = 0;
    for (int64_t i = 0; i < sp->n_recs && (max_records <= 0 || got < max_records); i++) {
        mock_share_rec *r = &sp->recs[i];
        if (r->state != MOCK_SHARE_AVAILABLE) continue;
        r->state = MOCK_SHARE_ACQUIRED;
        r->delivery_count++;
        r->owner = owner;
        r->lock_deadline_ns = deadline;
        if (push_range(a, out, n_out, &cap, sp->start_offset + i, r->delivery_count)) return -1;
        got++;
    }
    return got;
}

bool mock_share_available(mock_cluster *mc, mock_share_part *sp, const mock_partition *p)
{
    expire_locks(mc, sp);
    advance_start(sp, p);
    if (extend_window(sp, p)) return true;
    for (int64_t i = 0; i < sp->n_recs; i++)
        if (sp->recs[i].state == MOCK_SHARE_AVAILABLE) return true;
    return false;
}

static int8_t type_at(const int8_t *types, int32_t n_types, int64_t i)
{
    return n_types == 1 ? types[0] : types[i];
}

kfk_err mock_share_ack_check(mock_cluster *mc, mock_share_part *sp, int32_t owner, int64_t first,
                             int64_t last, const int8_t *types, int32_t n_types, bool renew_ok)
{
    if (first > last || n_types < 1 || (n_types != 1 && n_types != last - first + 1))
        return KFK_ERR_INVALID_REQUEST;
    int8_t max_type = renew_ok ? MOCK_SHARE_ACK_RENEW : MOCK_SHARE_ACK_REJECT;
    for (int32_t i = 0; i < n_types; i++)
        if (types[i] < MOCK_SHARE_ACK_GAP || types[i] > max_type) return KFK_ERR_INVALID_REQUEST;
    expire_locks(mc, sp);
    for (int64_t o = first; o <= last; o++) {
        int64_t i = o - sp->start_offset;
        if (i < 0 || i >= sp->n_recs) return KFK_ERR_INVALID_RECORD_STATE;
        const mock_share_rec *r = &sp->recs[i];
        if (r->state != MOCK_SHARE_ACQUIRED || r->owner != owner)
            return KFK_ERR_INVALID_RECORD_STATE;
    }
    return KFK_OK;
}

void mock_share_ack_apply(mock_cluster *mc, mock_share_part *sp, int64_t first, int64_t last,
                          const int8_t *types, int32_t n_types, int32_t lock_ms)
{
    int64_t deadline = ktime_mono_ns() + (int64_t)lock_ms * 1000000;
    for (int64_t o = first; o <= last; o++) {
        mock_share_rec *r = &sp->recs[o - sp->start_offset];
        switch (type_at(types, n_types, o - first)) {
        case MOCK_SHARE_ACK_GAP:
        case MOCK_SHARE_ACK_ACCEPT:
            r->state = MOCK_SHARE_ACKNOWLEDGED;
            r->owner = 0;
            break;
        case MOCK_SHARE_ACK_RELEASE:
            rec_release(mc, r);
            break;
        case MOCK_SHARE_ACK_REJECT:
            r->state = MOCK_SHARE_ARCHIVED;
            r->owner = 0;
            break;
        case MOCK_SHARE_ACK_RENEW:
            r->lock_deadline_ns = deadline;
            break;
        }
    }
}

void mock_share_release_owner(mock_cluster *mc, mock_share_group *sg, int32_t owner)
{
    for (size_t i = 0; i < sg->n_parts; i++) {
        mock_share_part *sp = sg->parts[i];
        for (int64_t k = 0; k < sp->n_recs; k++)
            if (sp->recs[k].state == MOCK_SHARE_ACQUIRED && sp->recs[k].owner == owner)
                rec_release(mc, &sp->recs[k]);
    }
}

/* The partition a request names and its share-partition, or the error to
 * answer for it (unknown topic id or partition, another leader). */
kfk_err mock_share_locate(mock_req *req, mock_share_group *sg, const kuuid *id, int32_t partition,
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
kfk_err mock_share_acknowledge(mock_cluster *mc, mock_share_part *sp, int32_t owner,
                               const kp_share_fetch_request_acknowledgement_batch *b, int32_t n,
                               bool renew_ok, int32_t lock_ms)
{
    kfk_err first = KFK_OK;
    for (int32_t i = 0; i < n; i++) {
        kfk_err err =
            mock_share_ack_check(mc, sp, owner, b[i].first_offset, b[i].last_offset,
                                 b[i].acknowledge_types, b[i].n_acknowledge_types, renew_ok);
        if (!err) {
            mock_share_ack_apply(mc, sp, b[i].first_offset, b[i].last_offset,
                                 b[i].acknowledge_types, b[i].n_acknowledge_types, lock_ms);
            mock_share_waits_poke(mc);
        } else if (!first)
            first = err;
    }
    return first;
}

void mock_share_part_reset(mock_share_part *sp, int64_t start_offset)
{
    sp->start_offset = start_offset;
    sp->n_recs = 0;
}

void mock_share_part_remove(mock_share_group *sg, mock_share_part *sp)
{
    for (size_t i = 0; i < sg->n_parts; i++)
        if (sg->parts[i] == sp) {
            sg->parts[i] = sg->parts[--sg->n_parts];
            break;
        }
    free(sp->recs);
    free(sp);
}

int64_t mock_share_lag(const mock_share_part *sp, const mock_partition *p)
{
    int64_t lag = p->log.end_offset - sp->start_offset;
    for (int64_t i = 0; i < sp->n_recs; i++)
        if (sp->recs[i].state == MOCK_SHARE_ACKNOWLEDGED ||
            sp->recs[i].state == MOCK_SHARE_ARCHIVED)
            lag--;
    return lag < 0 ? 0 : lag;
}
