/* Committed offsets: OffsetFetch for the partitions the group assigns
 * (their positions start there, else where auto.offset.reset says) and
 * for kfk_consumer_committed. Topics by name (v1-7; v8+ batch groups and
 * v10 names topics by id, which the consumer does not need). */
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/err.h"
#include "base/time.h"
#include "consumer/group_int.h"

static void ofetch_free(kofetch *f)
{
    if (!f) return;
    ktplist_free(&f->parts);
    free(f->topics);
    free(f->indexes);
    free(f);
}

/* A partition error worth asking again for: the call retries it. */
static kfk_err ofetch_check(kcall *call, void *resp)
{
    (void)call;
    const kp_offset_fetch_response *r = resp;
    if (r->error_code) return r->error_code;
    for (int i = 0; i < r->n_topics; i++)
        for (int j = 0; j < r->topics[i].n_partitions; j++) {
            kfk_err e = r->topics[i].partitions[j].error_code;
            if (e && kerr_retriable(e)) return e;
        }
    return KFK_OK;
}

/* The answer for topic/partition, or NULL. */
static const kp_offset_fetch_response_partition *answer_for(const kp_offset_fetch_response *r,
                                                            const char *topic, int32_t partition)
{
    size_t tl = strlen(topic);
    for (int i = 0; r && i < r->n_topics; i++) {
        const kp_offset_fetch_response_topic *t = &r->topics[i];
        if (t->name.len != tl || memcmp(t->name.ptr, topic, tl) != 0) continue;
        for (int j = 0; j < t->n_partitions; j++)
            if (t->partitions[j].partition_index == partition) return &t->partitions[j];
    }
    return NULL;
}

/* KIP-447: a read_committed consumer asks for stable offsets. While a
 * transaction that commits offsets for the group is open, the coordinator
 * answers UNSTABLE_OFFSET_COMMIT for them, which the call retries with
 * backoff (as Java's consumer does) until the transaction ends: starting
 * from the offsets committed before it would read again what the
 * transaction consumed. read_uncommitted sees uncommitted records anyway,
 * and takes the offsets as they are. */
static bool wants_stable(const kgroup *g)
{
    return g->consumer->isolation == KCONF_READ_COMMITTED &&
           !atomic_load(&g->core->stable_unsupported);
}

/* A coordinator older than OffsetFetch v7 (Kafka 2.5) cannot be asked for
 * stable offsets: the request does not encode (UNSUPPORTED_VERSION). As
 * Java's consumer does by default, the fetches that follow ask without,
 * with a warning, rather than never start; they ask again once a
 * coordinator answers at v7+ (upgraded, or moved). Notes what f's answer
 * says. Any thread. */
static void note_stable_support(kgroup *g, const kofetch *f, kfk_err err)
{
    kgroup_core *k = g->core;
    if (err == KFK_ERR_UNSUPPORTED_VERSION && f->req.require_stable) {
        if (!atomic_exchange(&k->stable_unsupported, true))
            klog(kclient_log(g->client), KFK_LOG_WARNING, "group",
                 "group \"%s\": the coordinator has no OffsetFetch v7: read_committed cannot "
                 "wait for the offsets of open transactions (KIP-447)",
                 g->group_id);
    } else if (!err && f->call.version >= 7) {
        atomic_store(&k->stable_unsupported, false);
    }
}

/* Fills the request from f->parts (sorted). -1 when out of memory. */
static int ofetch_build(kgroup *g, kofetch *f)
{
    int n = f->parts.n;
    f->topics = calloc((size_t)n, sizeof(*f->topics));
    f->indexes = calloc((size_t)n, sizeof(*f->indexes));
    if (!f->topics || !f->indexes) return -1;
    kp_offset_fetch_request_init(&f->req);
    f->req.group_id = kwire_cstr(g->group_id);
    f->req.topics = f->topics;
    f->req.require_stable = wants_stable(g);
    for (int i = 0; i < n; i++) {
        const ktp *tp = &f->parts.v[i];
        if (i == 0 || strcmp(tp->topic, f->parts.v[i - 1].topic) != 0) {
            kp_offset_fetch_request_topic *t = &f->topics[f->req.n_topics++];
            kp_offset_fetch_request_topic_init(t);
            t->name = kwire_cstr(tp->topic);
            t->partition_indexes = &f->indexes[i];
        }
        f->indexes[i] = tp->partition;
        f->topics[f->req.n_topics - 1].n_partition_indexes++;
    }
    return 0;
}

static void ofetch_start(kgroup *g, kofetch *f, kcall_done_fn *done, int64_t timeout_ms)
{
    kcall_init(&f->call, &kp_offset_fetch_client, &f->req, done, f);
    f->call.min_version = KP_OFFSET_FETCH_MIN_VERSION;
    f->call.max_version = 7;
    f->call.route = KROUTE_COORDINATOR;
    f->call.coord_type = 0;
    f->call.coord_key = g->group_id;
    f->call.check = ofetch_check;
    f->call.deadline_ns = kclient_deadline((int)timeout_ms);
    kcall_start(g->client, &f->call);
}

/* --- for the assignment ------------------------------------------------------------------ */

/* Starts positions where the group committed them (c->lock taken here);
 * false when some partition has to ask again. */
static bool take_committed(kgroup *g, kofetch *f, kfk_err err, const kp_offset_fetch_response *r)
{
    kfk_consumer *c = g->consumer;
    bool again = false;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < f->parts.n; i++) {
        kcpart *p = kconsumer_find(c, f->parts.v[i].topic, f->parts.v[i].partition);
        if (!p) continue;
        p->committed_busy = false;
        if (!p->assigned || p->state != KCP_NEED_COMMITTED) continue;
        const kp_offset_fetch_response_partition *a =
            err ? NULL : answer_for(r, p->topic, p->partition);
        if (!a || a->error_code) {
            again = true;
            continue;
        }
        p->committed_pos = a->committed_offset >= 0 ? a->committed_offset : KFK_OFFSET_INVALID;
        kconsumer_start_at(c, p,
                           a->committed_offset >= 0 ? a->committed_offset : KFK_OFFSET_INVALID);
        /* Until something is polled, a commit of this position keeps the
         * epoch it was committed with. */
        if (a->committed_offset >= 0) atomic_store(&p->consumed_epoch, a->committed_leader_epoch);
    }
    pthread_mutex_unlock(&c->lock);
    return !again;
}

static void assign_fetch_finish(ktask *t)
{
    kofetch *f = container_of(t, kofetch, task);
    kgroup *g = f->g;
    kgroup_core *k = g->core;
    if (f->err == KFK_ERR_GROUP_AUTHORIZATION_FAILED) { /* asking again cannot help */
        kgroup_fatal(g, f->err, "fetching committed offsets");
        ofetch_free(f);
        return;
    }
    if (f->err && f->err != KFK_ERR_DESTROYED)
        klog(kclient_log(g->client), KFK_LOG_WARNING, "group",
             "committed offsets of group \"%s\": %s; retrying", g->group_id, kfk_err_str(f->err));
    if (!f->done) { /* some partitions must ask again, after a backoff */
        int64_t at = ktime_mono_ns() + (int64_t)g->retry_backoff_ms * 1000000;
        kloop_timer_arm(kclient_bg_loop(g->client), &k->retry_timer, at);
    }
    ofetch_free(f);
}

static void assign_fetch_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kofetch *f = call->opaque;
    kgroup *g = f->g;
    f->err = err;
    f->done = take_committed(g, f, err, resp); /* a refused one is asked again */
    note_stable_support(g, f, err);
    kfk_consumer *c = g->consumer;
    if (atomic_load(&c->reset_wanted)) koffsets_start_resets(c);
    kconsumer_kick_all(c);
    f->task.fn = assign_fetch_finish;
    if (err == KFK_ERR_DESTROYED || kloop_post(kclient_bg_loop(g->client), &f->task))
        ofetch_free(f);
}

void kgroup_fetch_committed(kgroup *g)
{
    kfk_consumer *c = g->consumer;
    kofetch *f = calloc(1, sizeof(*f));
    if (!f) return;
    f->g = g;
    f->for_assign = true;
    int err = 0;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < c->n_parts && !err; i++) {
        kcpart *p = c->parts[i];
        if (p->state != KCP_NEED_COMMITTED || p->committed_busy) continue;
        err = ktplist_add(&f->parts, p->topic, p->partition);
        if (!err) p->committed_busy = true;
    }
    pthread_mutex_unlock(&c->lock);
    if (!err && f->parts.n) err = ofetch_build(g, f);
    if (err || f->parts.n == 0) {
        take_committed(g, f, KFK_ERR_NO_MEMORY, NULL); /* clears busy */
        ofetch_free(f);
        return;
    }
    ofetch_start(g, f, assign_fetch_done, g->core->api_timeout_ms);
}

/* --- kfk_consumer_committed ----------------------------------------------------------------- */

/* Copies the answers into f->parts: offsets, metadata, epochs, errors.
 * Returns err, or KFK_ERR_NO_MEMORY. */
static kfk_err copy_answers(kofetch *f, kfk_err err, const kp_offset_fetch_response *r)
{
    for (int i = 0; !err && i < f->parts.n; i++) {
        ktp *tp = &f->parts.v[i];
        const kp_offset_fetch_response_partition *a = answer_for(r, tp->topic, tp->partition);
        tp->err = !a ? KFK_ERR_MALFORMED : a->error_code;
        if (tp->err) continue;
        tp->offset = a->committed_offset >= 0 ? a->committed_offset : KFK_OFFSET_INVALID;
        tp->leader_epoch = a->committed_leader_epoch >= 0 ? a->committed_leader_epoch : -1;
        if (a->metadata.ptr &&
            !(tp->metadata = strndup((const char *)a->metadata.ptr, a->metadata.len)))
            err = KFK_ERR_NO_MEMORY;
    }
    return err;
}

static void committed_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kofetch *f = call->opaque;
    kgroup_core *k = f->g->core;
    note_stable_support(f->g, f, err);
    err = copy_answers(f, err, resp);
    pthread_mutex_lock(&k->lock);
    f->err = err;
    f->done = true;
    bool free_it = f->abandoned;
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
    if (free_it) ofetch_free(f);
}

/* Fills each entry of list from f's answers (f->parts is sorted and has
 * each partition once). Returns the first partition's error, or
 * KFK_ERR_NO_MEMORY. */
static kfk_err give_results(const kofetch *f, kfk_partition_list *list)
{
    kfk_err first = KFK_OK;
    for (int i = 0; i < list->n; i++) {
        ktp *tp = &list->v[i];
        const ktp key = {.topic = tp->topic, .partition = tp->partition};
        const ktp *r = bsearch(&key, f->parts.v, (size_t)f->parts.n, sizeof(key), ktp_cmp);
        tp->err = r ? r->err : KFK_ERR_MALFORMED;
        if (!tp->err) {
            if (ktplist_set_metadata(list, i, r->metadata)) tp->err = KFK_ERR_NO_MEMORY;
            tp->offset = r->offset;
            tp->leader_epoch = r->leader_epoch;
        }
        if (!first) first = tp->err;
    }
    return first;
}

/* One OffsetFetch for the partitions of list, waited for until deadline
 * (ns); *stable gets whether it asked for stable offsets. */
static kfk_err committed_once(kgroup *g, kfk_partition_list *list, int64_t deadline, bool *stable)
{
    kgroup_core *k = g->core;
    kofetch *f = calloc(1, sizeof(*f));
    if (!f) return KFK_ERR_NO_MEMORY;
    f->g = g;
    int err = 0;
    for (int i = 0; i < list->n && !err; i++)
        if (!ktplist_has(&f->parts, list->v[i].topic, list->v[i].partition))
            err = ktplist_add(&f->parts, list->v[i].topic, list->v[i].partition);
    ktplist_sort(&f->parts);
    if (err || ofetch_build(g, f)) {
        ofetch_free(f);
        return KFK_ERR_NO_MEMORY;
    }
    *stable = f->req.require_stable;
    int64_t left_ns = deadline - ktime_mono_ns();
    ofetch_start(g, f, committed_done, left_ns > 0 ? left_ns / 1000000 : 0);
    pthread_mutex_lock(&k->lock);
    while (!f->done && ktime_mono_ns() < deadline) {
        struct timespec ts = {deadline / 1000000000, deadline % 1000000000};
        pthread_cond_timedwait(&k->cond, &k->lock, &ts);
    }
    bool done = f->done;
    if (!done) f->abandoned = true;
    kfk_err res = done ? f->err : KFK_ERR_TIMED_OUT;
    pthread_mutex_unlock(&k->lock);
    if (done && !res) {
        res = give_results(f, list);
    } else {
        for (int i = 0; i < list->n; i++) /* the whole request failed */
            list->v[i].err = res;
    }
    if (done) ofetch_free(f);
    return res;
}

kfk_err kgroup_committed(kgroup *g, kfk_partition_list *list, int timeout_ms)
{
    if (timeout_ms < 0) timeout_ms = (int)g->core->api_timeout_ms;
    int64_t deadline = ktime_mono_ns() + (int64_t)timeout_ms * 1000000;
    bool stable;
    kfk_err err = committed_once(g, list, deadline, &stable);
    if (err == KFK_ERR_UNSUPPORTED_VERSION && stable) /* see note_stable_support */
        err = committed_once(g, list, deadline, &stable);
    return err;
}
