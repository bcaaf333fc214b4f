/* Partition requests by leader (client/leaders.h): rounds of one request
 * per leader, sent at once, with a metadata refresh between rounds when
 * an answer said the cache was stale. */
#include "client/leaders.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/time.h"
#include "proto/gen/metadata.h"

/* Per-entry errors after which the next round looks the leader up again. */
static bool leader_moved(kfk_err err)
{
    switch (err) {
    case KFK_ERR_NOT_LEADER_OR_FOLLOWER:
    case KFK_ERR_UNKNOWN_LEADER_EPOCH:
    case KFK_ERR_FENCED_LEADER_EPOCH:
    case KFK_ERR_LEADER_NOT_AVAILABLE:
    case KFK_ERR_REPLICA_NOT_AVAILABLE:
    case KFK_ERR_KAFKA_STORAGE_ERROR:
    case KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION:
    case KFK_ERR_TRANSPORT:
        return true;
    default:
        return false;
    }
}

static bool slice_is(kslice s, const char *c)
{
    size_t n = strlen(c);
    return s.len == n && memcmp(s.ptr, c, n) == 0;
}

/* --- waiting for a round ----------------------------------------------------------- */

static void answered(kleader_run *run)
{
    pthread_mutex_lock(&run->lock);
    run->waiting--;
    pthread_cond_signal(&run->cond);
    pthread_mutex_unlock(&run->lock);
}

static void wait_round(kleader_run *run)
{
    pthread_mutex_lock(&run->lock);
    while (run->waiting)
        pthread_cond_wait(&run->cond, &run->lock);
    pthread_mutex_unlock(&run->lock);
}

/* --- metadata ------------------------------------------------------------------------ */

typedef struct md_call {
    kcall call;
    kleader_run *run;
    kfk_err err;
} md_call;

static void md_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    md_call *m = call->opaque;
    m->err = err;
    if (!err) kclient_metadata_apply(m->run->client, resp, false);
    answered(m->run);
}

/* Asks any broker about the topics of the open entries; the answer goes
 * into the cache. */
static kfk_err refresh(kleader_run *run)
{
    kp_metadata_request_topic *t = calloc(run->n, sizeof(*t));
    if (!t) return KFK_ERR_NO_MEMORY;
    int32_t nt = 0;
    for (size_t i = 0; i < run->n; i++) {
        if (run->done[i]) continue;
        bool seen = false;
        for (int32_t k = 0; k < nt && !seen; k++)
            seen = slice_is(t[k].name, run->v[i].topic);
        if (seen) continue;
        kp_metadata_request_topic_init(&t[nt]);
        t[nt++].name = kwire_cstr(run->v[i].topic);
    }
    kp_metadata_request body;
    kp_metadata_request_init(&body);
    body.allow_auto_topic_creation = false;
    body.topics = t;
    body.n_topics = nt;
    md_call m = {.run = run};
    kcall_init(&m.call, &kp_metadata_client, &body, md_done, &m);
    m.call.deadline_ns = run->deadline_ns;
    run->waiting = 1;
    kcall_start(run->client, &m.call);
    wait_round(run);
    free(t);
    return m.err;
}

/* Entry i's leader from the cache, or -1. fresh: the cache was just
 * refreshed for it, so a topic or partition it lacks does not exist. */
static int32_t leader_of(kleader_run *run, size_t i, bool fresh)
{
    ktp *e = &run->v[i];
    kmeta_topic *t = kmeta_topic_get(kclient_meta(run->client), e->topic);
    int32_t leader = -1;
    kfk_err err = KFK_OK;
    if (!t) {
        err = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if (t->err &&
               (t->err == KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION || !kerr_retriable(t->err))) {
        err = t->err;
    } else {
        const kmeta_partition *p = kmeta_partition_of(t, e->partition);
        if (!p)
            err = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        else if (p->leader < 0)
            e->err = KFK_ERR_LEADER_NOT_AVAILABLE; /* stays open */
        else
            leader = p->leader;
    }
    if (t) kmeta_topic_unref(t);
    if (err && fresh) {
        e->err = err;
        run->done[i] = true;
    } else if (leader < 0) {
        run->stale = true; /* the next round asks for it */
    }
    return leader;
}

/* --- one round -------------------------------------------------------------------------- */

static void group_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kleader_group *g = call->opaque;
    g->err = err;
    if (!err) g->run->ops->take(g->run, g, resp, call->version);
    answered(g->run);
}

static int16_t min_version(const kleader_run *run, const ktp *e)
{
    return run->ops->min_version ? run->ops->min_version(run, e) : 0;
}

typedef struct slot {
    int32_t leader;
    size_t i;
    const ktp *e;
} slot;

static int slot_cmp(const void *a, const void *b)
{
    const slot *x = a, *y = b;
    if (x->leader != y->leader) return (x->leader > y->leader) - (x->leader < y->leader);
    int r = ktp_cmp(x->e, y->e);
    return r ? r : (x->i > y->i) - (x->i < y->i);
}

/* Groups the open entries that have a leader by leader, into g (room for
 * run->n) with their indexes in idx (room for run->n); a partition's
 * second entry waits for the next round. s has room for run->n. Returns
 * the number of groups. */
static size_t make_groups(kleader_run *run, kleader_group *g, size_t *idx, slot *s, bool fresh)
{
    size_t ns = 0, ng = 0, at = 0;
    for (size_t i = 0; i < run->n; i++) {
        if (run->done[i]) continue;
        int32_t leader = leader_of(run, i, fresh);
        if (leader >= 0) s[ns++] = (slot){leader, i, &run->v[i]};
    }
    if (ns > 1) qsort(s, ns, sizeof(*s), slot_cmp);
    for (size_t k = 0; k < ns; k++) {
        if (!ng || g[ng - 1].leader != s[k].leader)
            g[ng++] = (kleader_group){.leader = s[k].leader, .idx = idx + at, .run = run};
        else if (ktp_cmp(s[k - 1].e, s[k].e) == 0)
            continue; /* the same partition again */
        idx[at++] = s[k].i;
        g[ng - 1].n++;
    }
    return ng;
}

static void start_group(kleader_run *run, kleader_group *g)
{
    int16_t minv = 0;
    for (size_t k = 0; k < g->n; k++) {
        int16_t v = min_version(run, &run->v[g->idx[k]]);
        if (v > minv) minv = v;
        run->v[g->idx[k]].err = KFK_ERR_MALFORMED; /* until the answer names it */
    }
    void *body = run->ops->build(run, g);
    if (!body) {
        g->err = KFK_ERR_NO_MEMORY;
        answered(run);
        return;
    }
    kcall_init(&g->call, run->ops->api, body, group_done, g);
    g->call.route = KROUTE_BROKER;
    g->call.broker_id = g->leader;
    g->call.min_version = minv;
    g->call.deadline_ns = run->deadline_ns;
    g->call.no_retry = true; /* the next round retries, with fresh leaders */
    kcall_start(run->client, &g->call);
}

/* The request of g was refused as a whole. */
static void group_failed(kleader_run *run, kleader_group *g)
{
    int16_t minv = 0;
    for (size_t k = 0; k < g->n; k++) {
        int16_t v = min_version(run, &run->v[g->idx[k]]);
        if (v > minv) minv = v;
    }
    for (size_t k = 0; k < g->n; k++) {
        size_t i = g->idx[k];
        ktp *e = &run->v[i];
        if (g->err == KFK_ERR_UNSUPPORTED_VERSION) {
            /* The leader is older than the newest spec needs, as Java's
             * admin does: those entries fail, the others go again. */
            if (min_version(run, e) == minv) {
                e->err = KFK_ERR_UNSUPPORTED_VERSION;
                run->done[i] = true;
            } else {
                e->err = KFK_ERR_TIMED_OUT;
            }
            continue;
        }
        e->err = g->err;
        if (!kerr_retriable(g->err) || g->err == KFK_ERR_DESTROYED) run->done[i] = true;
        if (leader_moved(g->err) || g->err == KFK_ERR_TIMED_OUT) run->stale = true;
    }
}

/* Takes in each entry's answer; true when one asks for a pause before
 * the next round. */
static bool settle(kleader_run *run, kleader_group *g, size_t ng)
{
    bool pause = false;
    for (size_t k = 0; k < ng; k++) {
        karena_free(&g[k].arena); /* the request is done with */
        if (g[k].err) {
            group_failed(run, &g[k]);
            pause |= g[k].err != KFK_ERR_UNSUPPORTED_VERSION;
            continue;
        }
        for (size_t j = 0; j < g[k].n; j++) {
            size_t i = g[k].idx[j];
            kfk_err err = run->v[i].err;
            if (!err || !kerr_retriable(err)) {
                run->done[i] = true;
                continue;
            }
            pause = true;
            if (leader_moved(err)) run->stale = true;
        }
    }
    return pause;
}

static void pause_until(const kleader_run *run, int64_t ms)
{
    int64_t now = ktime_mono_ns(), at = now + ms * KTIME_NS_PER_MS;
    if (at > run->deadline_ns) at = run->deadline_ns;
    if (at <= now) return;
    struct timespec ts = {(time_t)((at - now) / 1000000000), (long)((at - now) % 1000000000)};
    nanosleep(&ts, NULL);
}

static size_t open_count(const kleader_run *run)
{
    size_t n = 0;
    for (size_t i = 0; i < run->n; i++)
        n += !run->done[i];
    return n;
}

static kfk_err rounds(kleader_run *run, kleader_group *g, size_t *idx, slot *s)
{
    int64_t backoff_ms = kconf_i64(kclient_conf(run->client), KCONF_RETRY_BACKOFF_MS);
    while (open_count(run) && ktime_mono_ns() < run->deadline_ns) {
        if (kclient_destroying(run->client)) return KFK_ERR_DESTROYED;
        bool fresh = false, asked = run->stale;
        if (run->stale) {
            kfk_err err = refresh(run);
            if (err == KFK_ERR_NO_MEMORY || err == KFK_ERR_DESTROYED) return err;
            fresh = !err;
            run->stale = !fresh;
        }
        size_t ng = make_groups(run, g, idx, s, fresh);
        if (!ng) {
            /* No leader known for what is open: ask again, after a pause
             * when the metadata was just asked for, answered or not, so a
             * refresh that fails at once is not repeated back to back. */
            if (asked) pause_until(run, backoff_ms);
            run->stale = true;
            continue;
        }
        pthread_mutex_lock(&run->lock);
        run->waiting = ng;
        pthread_mutex_unlock(&run->lock);
        for (size_t k = 0; k < ng; k++)
            start_group(run, &g[k]);
        wait_round(run);
        for (size_t k = 0; k < ng; k++)
            if (g[k].err == KFK_ERR_DESTROYED || g[k].err == KFK_ERR_NO_MEMORY) {
                kfk_err err = g[k].err;
                for (size_t j = 0; j < ng; j++)
                    karena_free(&g[j].arena);
                return err;
            }
        if (settle(run, g, ng)) pause_until(run, backoff_ms);
    }
    return KFK_OK;
}

kfk_err kleader_run_all(kleader_run *run)
{
    run->done = calloc(run->n ? run->n : 1, sizeof(*run->done));
    kleader_group *g = calloc(run->n ? run->n : 1, sizeof(*g));
    size_t *idx = calloc(run->n ? run->n : 1, sizeof(*idx));
    slot *s = calloc(run->n ? run->n : 1, sizeof(*s));
    kfk_err err = KFK_ERR_NO_MEMORY;
    if (run->done && g && idx && s) {
        for (size_t i = 0; i < run->n; i++)
            run->v[i].err = KFK_ERR_TIMED_OUT;
        pthread_mutex_init(&run->lock, NULL);
        pthread_cond_init(&run->cond, NULL);
        run->stale = false;
        err = rounds(run, g, idx, s);
        pthread_cond_destroy(&run->cond);
        pthread_mutex_destroy(&run->lock);
    }
    free(s);
    free(idx);
    free(g);
    free(run->done);
    run->done = NULL;
    return err;
}
