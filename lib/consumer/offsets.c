/* Finding where to fetch from: ListOffsets for partitions whose position
 * is unknown (a new assignment without an offset, OFFSET_OUT_OF_RANGE
 * with auto.offset.reset earliest/latest/by_duration, a seek to the
 * beginning, the end or a timestamp). One call per partition, routed to
 * its leader by kcall, which retries through leader moves. */
#include <stdlib.h>

#include "base/err.h"
#include "base/time.h"
#include "client/leaders.h"
#include "consumer/consumer_int.h"

bool koffsets_reset_by_policy(kfk_consumer *c, kcpart *p)
{
    switch (c->reset_policy) {
    case KCONF_RESET_EARLIEST:
        p->reset_ts = KOFFSET_EARLIEST;
        break;
    case KCONF_RESET_LATEST:
        p->reset_ts = KOFFSET_LATEST;
        break;
    case KCONF_RESET_BY_DURATION: /* KIP-1106: the first record younger than that */
        p->reset_ts = ktime_wall_ms() - kconf_arg(kclient_conf(c->client), KCONF_AUTO_OFFSET_RESET);
        break;
    default:
        return false;
    }
    p->state = KCP_NEED_RESET;
    atomic_store(&c->reset_wanted, true);
    return true;
}

/* kcall: retry what the partition's error says may succeed later. */
static kfk_err check_list_offsets(kcall *call, void *resp)
{
    (void)call;
    const kp_list_offsets_response *r = resp;
    if (r->n_topics < 1 || r->topics[0].n_partitions < 1) return KFK_ERR_MALFORMED;
    return r->topics[0].partitions[0].error_code;
}

/* Takes the answer in (c->lock held); true when fetching may start. */
static bool take_offset(kfk_consumer *c, kcpart *p, kfk_err err, const kp_list_offsets_response *r,
                        bool *again)
{
    int64_t off = -1;
    int32_t epoch = -1;
    if (!err && r && r->n_topics > 0 && r->topics[0].n_partitions > 0) {
        off = r->topics[0].partitions[0].offset;
        epoch = r->topics[0].partitions[0].leader_epoch;
    } else if (!err)
        err = KFK_ERR_MALFORMED;
    if (!err && off < 0 && p->reset_ts >= 0) {
        p->reset_ts = KOFFSET_LATEST; /* no record that new: the end */
        p->state = KCP_NEED_RESET;
        *again = true;
        return false;
    }
    if (!err && off >= 0) {
        p->position = off;
        p->last_epoch = -1;
        atomic_store(&p->consumed, off);
        /* Java's too: a commit before any message carries the epoch of
         * the offset's record, as the leader gave it (v4+; else -1). */
        atomic_store(&p->consumed_epoch, epoch);
        p->eof_at = -1;
        p->state = KCP_FETCHING;
        return true;
    }
    if (err == KFK_ERR_DESTROYED) return false;
    /* Out of time or a lasting error: tell the application, and try again
     * when it polls next (a leader may come back). */
    kchunk *ch = kchunk_error(p, atomic_load(&p->gen), KFK_OFFSET_INVALID, err);
    if (ch) kconsumer_enqueue(c, ch);
    p->state = KCP_NEED_RESET;
    atomic_store(&c->reset_wanted, true);
    return false;
}

static void list_offsets_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kcpart *p = call->opaque;
    kfk_consumer *c = p->consumer;
    bool kick = false, again = false;
    pthread_mutex_lock(&c->lock);
    p->call_busy = false;
    if (p->assigned && p->state == KCP_RESETTING && p->call_gen == atomic_load(&p->gen))
        kick = take_offset(c, p, err, resp, &again);
    else if (p->assigned && p->state == KCP_NEED_RESET)
        again = true; /* a seek came meanwhile */
    pthread_mutex_unlock(&c->lock);
    if (kick) kconsumer_kick_all(c);
    if (again && err != KFK_ERR_DESTROYED) koffsets_start_resets(c);
}

/* Fills p's ListOffsets call (c->lock held). */
static void prepare_call(kfk_consumer *c, kcpart *p)
{
    kp_list_offsets_request_init(&p->lo_req);
    kp_list_offsets_request_list_offsets_topic_init(&p->lo_topic);
    kp_list_offsets_request_list_offsets_partition_init(&p->lo_part);
    p->lo_part.partition_index = p->partition;
    p->lo_part.timestamp = p->reset_ts;
    p->lo_topic.name = kwire_cstr(p->topic);
    p->lo_topic.partitions = &p->lo_part;
    p->lo_topic.n_partitions = 1;
    p->lo_req.replica_id = -1;
    p->lo_req.isolation_level = c->isolation;
    p->lo_req.topics = &p->lo_topic;
    p->lo_req.n_topics = 1;
    p->lo_req.timeout_ms = (int32_t)c->request_timeout_ms;
    kcall_init(&p->call, &kp_list_offsets_client, &p->lo_req, list_offsets_done, p);
    p->call.min_version = KP_LIST_OFFSETS_MIN_VERSION;
    p->call.route = KROUTE_LEADER;
    p->call.topic = p->topic;
    p->call.partition = p->partition;
    p->call.check = check_list_offsets;
    p->call.deadline_ns = kclient_deadline((int)c->request_timeout_ms);
    p->call_gen = atomic_load(&p->gen);
    p->call_busy = true;
    p->state = KCP_RESETTING;
}

void koffsets_start_resets(kfk_consumer *c)
{
    atomic_store(&c->reset_wanted, false);
    for (;;) {
        kcpart *p = NULL;
        pthread_mutex_lock(&c->lock);
        for (int i = 0; i < c->n_parts && !c->closing; i++) {
            kcpart *q = c->parts[i];
            if (q->state == KCP_NEED_RESET && !q->call_busy) {
                p = q;
                prepare_call(c, p);
                break;
            }
        }
        pthread_mutex_unlock(&c->lock);
        if (!p) return;
        kcall_start(c->client, &p->call);
    }
}

/* --- lookups for the application ------------------------------------------------------ */

/* timeout_ms as the lookups take it: negative is default.api.timeout.ms. */
static int64_t lookup_deadline(kfk_consumer *c, int timeout_ms)
{
    if (timeout_ms < 0)
        timeout_ms = (int)kconf_i64(kclient_conf(c->client), KCONF_DEFAULT_API_TIMEOUT_MS);
    return kclient_deadline(timeout_ms);
}

/* The error of the first entry of v that failed, with the last error
 * naming it; KFK_OK when none did. */
static kfk_err first_failed(kfk_consumer *c, const char *fn, const ktp *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!v[i].err) continue;
        kclient_error_set(c->client, "%s: \"%.200s\" partition %d: %s", fn, v[i].topic,
                          (int)v[i].partition, kfk_err_str(v[i].err));
        return v[i].err;
    }
    return KFK_OK;
}

static kfk_err query_watermarks(kfk_consumer *c, const char *topic, int32_t partition, int64_t *low,
                                int64_t *high, int timeout_ms)
{
    static const char fn[] = "kfk_consumer_query_watermarks";
    if (!topic || !topic[0] || partition < 0 || !low || !high) {
        kclient_error_set(c->client, "%s: %s", fn,
                          !topic || !topic[0] ? "topic is NULL or empty"
                          : partition < 0     ? "partition is negative"
                                              : "low or high is NULL");
        return KFK_ERR_INVALID_ARG;
    }
    ktp v[2] = {
        {.topic = topic, .partition = partition, .offset = KFK_OFFSET_BEGINNING},
        {.topic = topic, .partition = partition, .offset = KFK_OFFSET_END},
    };
    kfk_err err =
        kclient_list_offsets(c->client, v, 2, c->isolation == 1, lookup_deadline(c, timeout_ms));
    if (!err) err = first_failed(c, fn, v, 2);
    if (!err) {
        *low = v[0].offset;
        *high = v[1].offset;
    }
    return err;
}

kfk_err kfk_consumer_query_watermarks(kfk_consumer *c, const char *topic, int32_t partition,
                                      int64_t *low, int64_t *high, int timeout_ms)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    return kclient_error_end(c->client,
                             query_watermarks(c, topic, partition, low, high, timeout_ms));
}

static kfk_err offsets_for_times(kfk_consumer *c, kfk_partition_list *parts, int timeout_ms)
{
    static const char fn[] = "kfk_consumer_offsets_for_times";
    if (!parts) {
        kclient_error_set(c->client, "%s: parts is NULL", fn);
        return KFK_ERR_INVALID_ARG;
    }
    for (int i = 0; i < parts->n; i++) {
        if (klist_offsets_version_for(parts->v[i].offset, false) >= 0) continue;
        kclient_error_set(c->client,
                          "%s: entry %d (\"%.200s\" partition %d): offset %lld is neither a "
                          "timestamp nor a KFK_OFFSET_* spec",
                          fn, i, parts->v[i].topic, (int)parts->v[i].partition,
                          (long long)parts->v[i].offset);
        return KFK_ERR_INVALID_ARG;
    }
    kfk_err err = kclient_list_offsets(c->client, parts->v, (size_t)parts->n, c->isolation == 1,
                                       lookup_deadline(c, timeout_ms));
    return err ? err : first_failed(c, fn, parts->v, (size_t)parts->n);
}

kfk_err kfk_consumer_offsets_for_times(kfk_consumer *c, kfk_partition_list *parts, int timeout_ms)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    return kclient_error_end(c->client, offsets_for_times(c, parts, timeout_ms));
}
