/* Offset commits: OffsetCommit to the group coordinator, one at a time in
 * the order they were made (so a later commit never lands before an
 * earlier one), each carrying the member id and generation (or member
 * epoch) of the moment it is sent, and group.instance.id; one made before
 * the member lost its partitions fails unsent after it. Sync commits
 * wait for their answer; async and auto commits report through a COMMIT
 * event that poll turns into the commit callback. */
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/err.h"
#include "base/time.h"
#include "consumer/group_int.h"

static void commit_free(kcommit *cm)
{
    if (!cm) return;
    ktplist_free(&cm->offsets);
    free(cm->member_id);
    free(cm->topics);
    free(cm->parts);
    free(cm->order);
    free(cm);
}

/* The positions of assigned partitions that moved since their last
 * commit (c->lock taken here). */
static int collect_consumed(kfk_consumer *c, kcommit *cm)
{
    int err = 0;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < c->n_parts && !err; i++) {
        kcpart *p = c->parts[i];
        int64_t pos = atomic_load(&p->consumed);
        if (pos < 0 || pos == p->committed_pos) continue;
        /* The position's epoch: that of the batch the last message polled
         * came in (kfk_message_leader_epoch), as Java commits it. */
        ktp tp = {.topic = p->topic,
                  .partition = p->partition,
                  .offset = pos,
                  .leader_epoch = atomic_load(&p->consumed_epoch)};
        err = ktplist_add_tp(&cm->offsets, &tp);
    }
    pthread_mutex_unlock(&c->lock);
    return err;
}

static void commit_retry_fired(ktimer *t);

static kfk_err commit_make(kgroup *g, const kfk_partition_list *list, bool sync, bool retry_stale,
                           int64_t timeout_ms)
{
    kgroup_core *k = g->core;
    kcommit *cm = calloc(1, sizeof(*cm));
    if (!cm) return KFK_ERR_NO_MEMORY;
    cm->g = g;
    cm->sync = sync;
    cm->retry_stale = retry_stale;
    cm->timeout_ms = timeout_ms;
    ktimer_init(&cm->retry_timer, commit_retry_fired);
    int err = 0;
    if (list) {
        err = ktplist_add_all(&cm->offsets, list->v, (size_t)list->n);
        for (int i = 0; i < cm->offsets.n; i++)
            cm->offsets.v[i].err = KFK_OK;
    } else {
        err = collect_consumed(g->consumer, cm);
    }
    if (err) {
        commit_free(cm);
        return KFK_ERR_NO_MEMORY;
    }
    if (cm->offsets.n == 0) { /* nothing to commit: done at once */
        commit_free(cm);
        return KFK_OK;
    }
    pthread_mutex_lock(&k->lock);
    kfk_err fatal = k->fatal;
    cm->losses = k->losses;
    if (!fatal) {
        if (k->c_tail)
            k->c_tail->next = cm;
        else
            k->c_head = cm;
        k->c_tail = cm;
    }
    pthread_mutex_unlock(&k->lock);
    if (fatal) {
        commit_free(cm);
        return fatal;
    }
    kgroup_want(g, KG_WANT_COMMIT);
    if (!sync) return KFK_OK;
    int64_t deadline = ktime_mono_ns() + timeout_ms * 1000000;
    pthread_mutex_lock(&k->lock);
    while (!cm->done && ktime_mono_ns() < deadline) {
        struct timespec ts = {deadline / 1000000000, deadline % 1000000000};
        pthread_cond_timedwait(&k->cond, &k->lock, &ts);
    }
    kfk_err res = cm->done ? cm->err : KFK_ERR_TIMED_OUT;
    bool mine = cm->done;
    if (!mine) cm->abandoned = true; /* the completion frees it */
    pthread_mutex_unlock(&k->lock);
    /* A commit given up at the deadline is the completion's: no hook. */
    if (mine && g->consumer->n_icpt) kcicpt_on_commit(g->consumer, res, &cm->offsets);
    if (mine) commit_free(cm);
    return res;
}

kfk_err kgroup_commit(kgroup *g, const kfk_partition_list *list, bool sync, int64_t timeout_ms)
{
    return commit_make(g, list, sync, false, timeout_ms);
}

kfk_err kgroup_commit_before_revoke(kgroup *g, int64_t timeout_ms)
{
    return commit_make(g, NULL, true, true, timeout_ms);
}

/* --- the request ------------------------------------------------------------------------ */

/* Coordinator errors retry inside the call (kcall re-looks the
 * coordinator up); the rest go to commit_done. */
static kfk_err commit_check(kcall *call, void *resp)
{
    (void)call;
    const kp_offset_commit_response *r = resp;
    for (int i = 0; i < r->n_topics; i++)
        for (int j = 0; j < r->topics[i].n_partitions; j++) {
            kfk_err e = r->topics[i].partitions[j].error_code;
            if (kcoordinator_error(e) || e == KFK_ERR_REQUEST_TIMED_OUT) return e;
        }
    return KFK_OK;
}

static void commit_finish(ktask *t);

/* Every entry's result: err. */
static void set_errors(kcommit *cm, kfk_err err)
{
    for (int i = 0; i < cm->offsets.n; i++)
        cm->offsets.v[i].err = err;
}

static bool is_entry(const ktp *tp, kslice topic, int32_t partition)
{
    return tp->partition == partition && strlen(tp->topic) == topic.len &&
           memcmp(tp->topic, topic.ptr, topic.len) == 0;
}

/* The entry the answer for topic/partition is about: the one sent at
 * position *pos when the answer follows the request's order (brokers
 * answer in it), else found by name. -1: none. */
static int entry_for(const kcommit *cm, int *pos, kslice topic, int32_t partition)
{
    const ktplist *o = &cm->offsets;
    if (*pos < o->n && is_entry(&o->v[cm->order[*pos]], topic, partition))
        return cm->order[(*pos)++];
    for (int i = 0; i < o->n; i++)
        if (is_entry(&o->v[i], topic, partition)) return i;
    return -1;
}

static void commit_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kcommit *cm = call->opaque;
    const kp_offset_commit_response *r = resp;
    set_errors(cm, err);
    int pos = 0;
    for (int i = 0; !err && r && i < r->n_topics; i++)
        for (int j = 0; j < r->topics[i].n_partitions; j++) {
            const kp_offset_commit_response_partition *a = &r->topics[i].partitions[j];
            int e = entry_for(cm, &pos, r->topics[i].name, a->partition_index);
            if (e >= 0) cm->offsets.v[e].err = a->error_code;
        }
    for (int i = 0; !err && i < cm->offsets.n; i++)
        err = cm->offsets.v[i].err;
    cm->err = err;
    cm->task.fn = commit_finish;
    if (kloop_post(kclient_bg_loop(cm->g->client), &cm->task))
        cm->err = KFK_ERR_DESTROYED; /* stays queued; kgroup_commits_free frees it */
}

/* Fills the request (topics grouped, in name order) from cm->offsets. */
static int commit_build(kgroup *g, kcommit *cm, int32_t generation)
{
    ktplist *o = &cm->offsets;
    int n = o->n;
    /* the entries in request order, by index: cm->order */
    int *idx = cm->order = malloc((size_t)n * sizeof(*idx));
    cm->parts = calloc((size_t)n, sizeof(*cm->parts));
    cm->topics = calloc((size_t)n, sizeof(*cm->topics));
    if (!idx || !cm->parts || !cm->topics) return -1;
    for (int i = 0; i < n; i++) {
        int j = i;
        for (; j > 0; j--) {
            const ktp *a = &o->v[idx[j - 1]], *b = &o->v[i];
            int r = strcmp(a->topic, b->topic);
            if (r < 0 || (r == 0 && a->partition <= b->partition)) break;
            idx[j] = idx[j - 1];
        }
        idx[j] = i;
    }
    kp_offset_commit_request *q = &cm->req;
    kp_offset_commit_request_init(q);
    q->group_id = kwire_cstr(g->group_id);
    q->generation_id_or_member_epoch = generation;
    q->member_id = kwire_cstr(cm->member_id);
    q->group_instance_id = g->instance_id ? kwire_cstr(g->instance_id) : (kslice){0};
    q->topics = cm->topics;
    for (int i = 0; i < n; i++) {
        const ktp *tp = &o->v[idx[i]];
        if (q->n_topics == 0 ||
            strcmp((const char *)cm->topics[q->n_topics - 1].name.ptr, tp->topic) != 0) {
            kp_offset_commit_request_topic *t = &cm->topics[q->n_topics++];
            kp_offset_commit_request_topic_init(t);
            t->name = kwire_cstr(tp->topic);
            t->partitions = &cm->parts[i];
        }
        kp_offset_commit_request_partition *p = &cm->parts[i];
        kp_offset_commit_request_partition_init(p);
        p->partition_index = tp->partition;
        p->committed_offset = tp->offset;
        p->committed_leader_epoch = tp->leader_epoch;
        p->committed_metadata = tp->metadata ? kwire_cstr(tp->metadata) : kwire_cstr("");
        cm->topics[q->n_topics - 1].n_partitions++;
    }
    return 0;
}

/* Sends cm (the head of the queue, marked in flight) with the member id
 * and generation of now. A resend rebuilds the request. */
static void commit_send(kgroup *g, kcommit *cm)
{
    kgroup_core *k = g->core;
    free(cm->member_id);
    free(cm->topics);
    free(cm->parts);
    free(cm->order);
    cm->topics = NULL;
    cm->parts = NULL;
    cm->order = NULL;
    pthread_mutex_lock(&k->lock);
    int32_t generation = cm->generation = k->generation;
    cm->member_id = strdup(k->member_id ? k->member_id : "");
    bool subscribed = k->subscribed, stale = cm->losses != k->losses;
    pthread_mutex_unlock(&k->lock);
    if (!cm->deadline_ns) cm->deadline_ns = kclient_deadline((int)cm->timeout_ms);
    kfk_err gate = stale                                 ? g->proto->stale_commit_err
                   : subscribed && g->proto->commit_gate ? g->proto->commit_gate(g)
                                                         : KFK_OK;
    if (gate) {
        cm->err = gate;
        set_errors(cm, gate);
        cm->gated = true;
        cm->task.fn = commit_finish;
        commit_finish(&cm->task);
        return;
    }
    if (!cm->member_id || commit_build(g, cm, generation)) {
        cm->err = KFK_ERR_NO_MEMORY;
        set_errors(cm, KFK_ERR_NO_MEMORY);
        cm->task.fn = commit_finish;
        commit_finish(&cm->task);
        return;
    }
    kcall_init(&cm->call, &kp_offset_commit_client, &cm->req, commit_done, cm);
    cm->call.min_version = KP_OFFSET_COMMIT_MIN_VERSION;
    cm->call.max_version = 9; /* v10 names topics by id */
    cm->call.route = KROUTE_COORDINATOR;
    cm->call.coord_type = 0;
    cm->call.coord_key = g->group_id;
    cm->call.check = commit_check;
    cm->call.deadline_ns = cm->deadline_ns;
    kcall_start(g->client, &cm->call);
}

void kgroup_commit_next(kgroup *g)
{
    kgroup_core *k = g->core;
    pthread_mutex_lock(&k->lock);
    kcommit *cm = k->c_inflight ? NULL : k->c_head;
    if (cm) k->c_inflight = true;
    pthread_mutex_unlock(&k->lock);
    if (cm) commit_send(g, cm);
}

static void commit_retry_fired(ktimer *t)
{
    kcommit *cm = container_of(t, kcommit, retry_timer);
    commit_send(cm->g, cm);
}

/* Java's commit before a revocation resends on STALE_MEMBER_EPOCH while
 * the member has an epoch (its heartbeat brings the new one) and time
 * remains: after retry.backoff.ms, with the epoch of then. True when
 * cm goes out again (it stays at the head of the queue, in flight). */
static bool commit_retry(kgroup *g, kcommit *cm)
{
    kgroup_core *k = g->core;
    if (cm->err != KFK_ERR_STALE_MEMBER_EPOCH || !cm->retry_stale) return false;
    pthread_mutex_lock(&k->lock);
    bool member = k->generation > 0 && !k->fatal && !k->closing;
    pthread_mutex_unlock(&k->lock);
    int64_t at = ktime_mono_ns() + (int64_t)g->retry_backoff_ms * 1000000;
    if (!member || at >= cm->deadline_ns) return false;
    klog(kclient_log(g->client), KFK_LOG_INFO, "group",
         "commit before revocation to group \"%s\": stale member epoch %d; retrying",
         g->group_id, (int)cm->generation);
    return kloop_timer_arm(kclient_bg_loop(g->client), &cm->retry_timer, at) == 0;
}

/* Notes what was committed, so the next commit of positions skips
 * partitions that did not move. */
static void note_committed(kfk_consumer *c, const kcommit *cm)
{
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < cm->offsets.n; i++) {
        kcpart *p = kconsumer_find(c, cm->offsets.v[i].topic, cm->offsets.v[i].partition);
        if (p) p->committed_pos = cm->offsets.v[i].offset;
    }
    pthread_mutex_unlock(&c->lock);
}

static void commit_finish(ktask *t)
{
    kcommit *cm = container_of(t, kcommit, task);
    kgroup *g = cm->g;
    kgroup_core *k = g->core;
    if (cm->err && !cm->gated && commit_retry(g, cm)) return;
    if (cm->err && !cm->gated && cm->err != KFK_ERR_NO_MEMORY && g->proto->commit_failed)
        cm->err = g->proto->commit_failed(g, cm->err, cm->generation);
    if (!cm->err)
        note_committed(g->consumer, cm);
    else
        klog(kclient_log(g->client), KFK_LOG_WARNING, "group", "commit to group \"%s\": %s",
             g->group_id, kfk_err_str(cm->err));
    kgev *ev = NULL;
    if (!cm->sync && (k->commit_cb || g->consumer->n_icpt)) {
        ev = kgev_new(KGEV_COMMIT, cm->err, cm->offsets.v, (size_t)cm->offsets.n);
        if (!ev)
            klog(kclient_log(g->client), KFK_LOG_ERR, "group", "commit callback lost: no memory");
    }
    pthread_mutex_lock(&k->lock);
    k->c_head = cm->next;
    if (!k->c_head) k->c_tail = NULL;
    k->c_inflight = false;
    cm->done = true;
    bool free_it = !cm->sync || cm->abandoned;
    bool more = k->c_head != NULL;
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
    if (free_it) commit_free(cm);
    if (ev) kgroup_queue_event(g, ev);
    if (more) kgroup_commit_next(g);
}

void kgroup_commit_drain(kgroup *g, int64_t timeout_ms)
{
    kgroup_core *k = g->core;
    int64_t deadline = ktime_mono_ns() + timeout_ms * 1000000;
    pthread_mutex_lock(&k->lock);
    while (k->c_head && ktime_mono_ns() < deadline) {
        struct timespec ts = {deadline / 1000000000, deadline % 1000000000};
        pthread_cond_timedwait(&k->cond, &k->lock, &ts);
    }
    pthread_mutex_unlock(&k->lock);
}

void kgroup_commits_free(kgroup *g)
{
    kgroup_core *k = g->core;
    for (kcommit *cm = k->c_head, *next; cm; cm = next) {
        next = cm->next;
        if (!cm->sync || cm->abandoned) commit_free(cm);
    }
    k->c_head = k->c_tail = NULL;
}
