/* The metadata refresh, run on kfk-bg: periodic (metadata.max.age.ms),
 * on demand (kclient_refresh: coalesced, at most one in flight, no sooner
 * than the retry backoff after the previous unless it asks for topics
 * the previous did not), retried with backoff while it fails. The answer
 * is applied on the I/O thread that received it; kfk-bg then routes
 * parked calls again and plans the next refresh. */
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/time.h"
#include "client/client_int.h"
#include "net/backoff.h"

static void request_refresh(kclient *c);

static void trigger_task(ktask *t)
{
    kclient *c = container_of(t, kclient, refresh.trigger_task);
    atomic_store(&c->refresh.trigger_queued, false);
    request_refresh(c);
}

static void timer_fired(ktimer *t)
{
    kclient *c = container_of(t, kclient, refresh.timer);
    request_refresh(c);
}

/* Runs on kfk-bg after the refresh call completed. */
static void done_task(ktask *t)
{
    kclient *c = container_of(t, kclient, refresh.done_task);
    krefresh *r = &c->refresh;
    r->running = false;
    pthread_mutex_lock(&c->lock);
    r->finished = r->started;
    r->last_result = r->result;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    int64_t now = ktime_mono_ns();
    if (r->result) {
        r->failures++;
        klog(&c->log, r->failures == 1 ? KFK_LOG_WARNING : KFK_LOG_DEBUG, "metadata",
             "metadata refresh failed (%u in a row): %s", r->failures, kfk_err_str(r->result));
        if (c->rebootstrap_ms >= 0 && now - r->last_ok_ns >= c->rebootstrap_ms * KTIME_NS_PER_MS) {
            kclient_rebootstrap(c);
            r->last_ok_ns = now; /* give the bootstrap list its own full period */
        }
    } else {
        r->failures = 0;
        r->last_ok_ns = now;
        kclient_meta_watch_fn *watch = atomic_load(&r->watch); /* then its opaque */
        if (watch) watch(atomic_load(&r->watch_opaque));
    }
    kcall_reroute_parked(c);
    if (r->again || r->result) {
        r->again = false;
        request_refresh(c);
        return;
    }
    kloop_timer_arm(c->bg, &r->timer, r->last_start_ns + c->metadata_max_age_ms * KTIME_NS_PER_MS);
}

static void call_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kclient *c = call->opaque;
    krefresh *r = &c->refresh;
    if (!err) kclient_metadata_apply(c, resp, r->all_topics);
    r->result = err;
    if (kloop_post(c->bg, &r->done_task) < 0) { /* shutting down */
        pthread_mutex_lock(&c->lock);
        r->finished = r->started;
        pthread_cond_broadcast(&c->cond);
        pthread_mutex_unlock(&c->lock);
    }
}

/* Fills the request from the want set (lock held). */
static int build_request(kclient *c)
{
    krefresh *r = &c->refresh;
    kp_metadata_request_init(&r->body);
    r->body.allow_auto_topic_creation = c->auto_create_topics;
    r->all_topics = c->want_all;
    r->asked_gen = c->want_gen;
    if (c->want_all) {
        r->body.n_topics = -1; /* null: every topic */
        return 0;
    }
    if (c->n_want > r->n_topics_cap) {
        void *v = realloc(r->topics, (size_t)c->n_want * sizeof(*r->topics));
        if (!v) return -1;
        r->topics = v;
        r->n_topics_cap = c->n_want;
    }
    /* The names stay valid: the want set only grows while the client
     * lives. An empty list asks for brokers and the controller only. */
    for (int i = 0; i < c->n_want; i++) {
        kp_metadata_request_topic_init(&r->topics[i]);
        r->topics[i].name = kwire_cstr(c->want[i]);
    }
    r->body.topics = r->topics;
    r->body.n_topics = c->n_want;
    return 0;
}

static void begin(kclient *c)
{
    krefresh *r = &c->refresh;
    pthread_mutex_lock(&c->lock);
    int rc = build_request(c);
    if (rc == 0) r->started++;
    pthread_mutex_unlock(&c->lock);
    if (rc < 0) {
        klog(&c->log, KFK_LOG_WARNING, "metadata", "out of memory building a refresh");
        return;
    }
    int64_t now = ktime_mono_ns();
    kloop_timer_disarm(c->bg, &r->timer);
    r->running = true;
    r->last_start_ns = now;
    kcall_init(&r->call, &kp_metadata_client, &r->body, call_done, c);
    r->call.deadline_ns = now + c->request_timeout_ms * KTIME_NS_PER_MS;
    kcall_start(c, &r->call);
}

/* Whether topics were wanted since the last request was built. */
static bool want_grew(kclient *c)
{
    pthread_mutex_lock(&c->lock);
    bool grew = c->want_gen != c->refresh.asked_gen;
    pthread_mutex_unlock(&c->lock);
    return grew;
}

/* bg: a refresh now, or as soon as the backoff allows. The backoff paces
 * asking again for what was just asked; topics never asked for go at once
 * (as Java's metadata does for new topics), or a consumer assigned just
 * after its first refresh went out would wait the backoff for its
 * partitions. A failing refresh is paced all the same. */
static void request_refresh(kclient *c)
{
    krefresh *r = &c->refresh;
    if (r->running) {
        r->again = true;
        return;
    }
    if (!r->failures && want_grew(c)) {
        begin(c);
        return;
    }
    int64_t wait_ms = c->retry_backoff_ms;
    if (r->failures) {
        kbackoff b = {c->retry_backoff_ms, c->retry_backoff_max_ms, KBACKOFF_JITTER};
        wait_ms = kbackoff_ms(&b, r->failures - 1);
    }
    int64_t earliest = r->last_start_ns + wait_ms * KTIME_NS_PER_MS;
    if (r->last_start_ns && ktime_mono_ns() < earliest) {
        if (!ktimer_armed(&r->timer) || r->timer.deadline_ns > earliest)
            kloop_timer_arm(c->bg, &r->timer, earliest);
        return;
    }
    begin(c);
}

void kclient_refresh(kclient *c, const char *why)
{
    if (kclient_destroying(c)) return;
    klog(&c->log, KFK_LOG_DEBUG, "metadata", "refresh requested: %s", why);
    krefresh *r = &c->refresh;
    if (!atomic_exchange(&r->trigger_queued, true) && kloop_post(c->bg, &r->trigger_task) < 0)
        atomic_store(&r->trigger_queued, false);
}

void kclient_set_meta_watch(kclient *c, kclient_meta_watch_fn *fn, void *opaque)
{
    atomic_store(&c->refresh.watch, NULL);
    atomic_store(&c->refresh.watch_opaque, opaque);
    atomic_store(&c->refresh.watch, fn);
}

kfk_err kclient_refresh_wait(kclient *c, int timeout_ms)
{
    int64_t deadline = kclient_deadline(timeout_ms);
    pthread_mutex_lock(&c->lock);
    uint64_t target = c->refresh.started + 1;
    pthread_mutex_unlock(&c->lock);
    kclient_refresh(c, "a caller waits for fresh metadata");
    pthread_mutex_lock(&c->lock);
    kfk_err err = KFK_OK;
    while (c->refresh.finished < target) {
        if (kclient_destroying(c)) {
            err = KFK_ERR_DESTROYED;
            break;
        }
        int64_t left = deadline - ktime_mono_ns();
        if (left <= 0) {
            err = KFK_ERR_TIMED_OUT;
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + left;
        ts.tv_sec += ns / KTIME_NS_PER_S;
        ts.tv_nsec = ns % KTIME_NS_PER_S;
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    /* The brokers refused the connection itself: waiting longer will not
     * help, the caller should hear why (Java throws the
     * AuthenticationException from the metadata wait). */
    if (!err && (c->refresh.last_result == KFK_ERR_AUTH || c->refresh.last_result == KFK_ERR_TLS))
        err = c->refresh.last_result;
    pthread_mutex_unlock(&c->lock);
    return err;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds name to the sorted want set (lock held); 1 when it was new. */
static int want_one(kclient *c, const char *name)
{
    if (c->n_want && bsearch(&name, c->want, (size_t)c->n_want, sizeof(char *), cmp_name)) return 0;
    if (c->n_want == c->cap_want) {
        int cap = c->cap_want ? c->cap_want * 2 : 16;
        char **v = realloc(c->want, (size_t)cap * sizeof(*v));
        if (!v) return -1;
        c->want = v;
        c->cap_want = cap;
    }
    char *copy = strdup(name);
    if (!copy) return -1;
    int i = c->n_want;
    while (i > 0 && strcmp(c->want[i - 1], name) > 0) {
        c->want[i] = c->want[i - 1];
        i--;
    }
    c->want[i] = copy;
    c->n_want++;
    c->want_gen++;
    return 1;
}

void kclient_want_topics(kclient *c, const char *const *names, size_t n)
{
    int added = 0;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < n; i++)
        added |= want_one(c, names[i]) > 0;
    pthread_mutex_unlock(&c->lock);
    if (added) kclient_refresh(c, "new topics");
}

void kclient_unwant_topics(kclient *c, const char *const *names, size_t n)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < n; i++) {
        char **hit = c->n_want ? bsearch(&names[i], c->want, (size_t)c->n_want, sizeof(char *),
                                         cmp_name)
                               : NULL;
        if (!hit) continue;
        free(*hit);
        size_t at = (size_t)(hit - c->want);
        memmove(hit, hit + 1, ((size_t)c->n_want - at - 1) * sizeof(char *));
        c->n_want--;
    }
    pthread_mutex_unlock(&c->lock);
}

bool kclient_wants_topic(kclient *c, const char *name)
{
    pthread_mutex_lock(&c->lock);
    bool found = c->n_want && bsearch(&name, c->want, (size_t)c->n_want, sizeof(char *), cmp_name);
    pthread_mutex_unlock(&c->lock);
    return found;
}

void kclient_want_all_topics(kclient *c, bool all)
{
    pthread_mutex_lock(&c->lock);
    bool changed = c->want_all != all;
    c->want_all = all;
    if (changed && all) c->want_gen++;
    pthread_mutex_unlock(&c->lock);
    if (changed) kclient_refresh(c, "every topic wanted");
}

void krefresh_init(kclient *c)
{
    krefresh *r = &c->refresh;
    r->trigger_task.fn = trigger_task;
    r->done_task.fn = done_task;
    ktimer_init(&r->timer, timer_fired);
}

void krefresh_start(kclient *c)
{
    c->refresh.last_ok_ns = ktime_mono_ns(); /* before bg can read it: posted below */
    kclient_refresh(c, "client started");
}

void krefresh_stop(kclient *c)
{
    kloop_timer_disarm(c->bg, &c->refresh.timer);
    pthread_mutex_lock(&c->lock);
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

void krefresh_free(kclient *c)
{
    free(c->refresh.topics);
    c->refresh.topics = NULL;
}
