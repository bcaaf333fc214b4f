/* The group core: its creation and the choice of protocol, the work
 * kfk-bg does for it, what a protocol calls (group.h), and the rebalance
 * events handed to the application's polls. The public functions are in
 * group_api.c, commits in group_commit.c, committed offsets in
 * group_fetch.c. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/time.h"
#include "consumer/assignor.h"
#include "consumer/group_int.h"

#define CORE(g) ((g)->core)

/* --- events -------------------------------------------------------------------------- */

kgev *kgev_new(kgev_type type, kfk_err err, const ktp *v, size_t n)
{
    kgev *ev = calloc(1, sizeof(*ev));
    if (!ev) return NULL;
    ev->type = type;
    ev->err = err;
    if (ktplist_add_all(&ev->parts, v, n)) {
        kgev_free(ev);
        return NULL;
    }
    return ev;
}

void kgev_free(kgev *ev)
{
    if (!ev) return;
    ktplist_free(&ev->parts);
    free(ev);
}

void kgroup_queue_event(kgroup *g, kgev *ev)
{
    kgroup_core *k = CORE(g);
    pthread_mutex_lock(&k->lock);
    if (k->ev_tail)
        k->ev_tail->next = ev;
    else
        k->ev_head = ev;
    k->ev_tail = ev;
    atomic_fetch_add(&k->n_events, 1);
    if (ev->type == KGEV_REVOKED) k->revokes_pending++;
    if (ev->type != KGEV_COMMIT) kgroup_stats_event(k, ev->type);
    pthread_mutex_unlock(&k->lock);
    kconsumer_wake(g->consumer);
}

/* --- work on kfk-bg ------------------------------------------------------------------- */

typedef struct match_ctx {
    kgroup_core *k;
    ktplist *out;
    int err;
} match_ctx;

static void match_topic(void *opaque, kmeta_topic *t)
{
    match_ctx *m = opaque;
    if (m->err || (t->internal && m->k->exclude_internal) || t->err) return;
    if (regexec(&m->k->regex, t->name, 0, NULL, 0) == 0) m->err = ktplist_add(m->out, t->name, -1);
}

/* Recomputes the topic list from the subscription (and the metadata, for
 * a regex); true when it changed. */
static bool update_topics(kgroup *g)
{
    kgroup_core *k = CORE(g);
    ktplist nt = {0};
    int err = 0;
    pthread_mutex_lock(&k->lock);
    if (k->subscribed && k->have_regex && k->regex_compiled) {
        match_ctx m = {k, &nt, 0};
        kmeta_each(kclient_meta(g->client), match_topic, &m);
        err = m.err;
    } else if (k->subscribed) {
        for (int i = 0; i < k->sub_names.n && !err; i++)
            err = ktplist_add(&nt, k->sub_names.v[i].topic, -1);
    }
    char *regex = k->subscribed && k->have_regex ? strdup(k->regex_src) : NULL;
    pthread_mutex_unlock(&k->lock);
    if (err) {
        klog(kclient_log(g->client), KFK_LOG_ERR, "group", "out of memory matching topics");
        ktplist_free(&nt);
        free(regex);
        return false;
    }
    ktplist_sort(&nt);
    bool same = nt.n == k->topics.n;
    for (int i = 0; same && i < nt.n; i++)
        same = strcmp(nt.v[i].topic, k->topics.v[i].topic) == 0;
    /* KIP-848 sends the regex itself: a new one is a change even when it
     * matches the same topics here (or none yet). */
    if (!regex || !k->topics_regex)
        same = same && regex == k->topics_regex;
    else
        same = same && strcmp(regex, k->topics_regex) == 0;
    free(k->topics_regex);
    k->topics_regex = regex;
    if (same) {
        ktplist_free(&nt);
        return false;
    }
    ktplist_free(&k->topics);
    k->topics = nt;
    if (k->topics.n) {
        const char **names = malloc((size_t)k->topics.n * sizeof(*names));
        for (int i = 0; names && i < k->topics.n; i++)
            names[i] = k->topics.v[i].topic;
        if (names) kclient_want_topics(g->client, names, (size_t)k->topics.n);
        free(names);
    }
    return true;
}

static void arm_poll_timer(kgroup *g)
{
    kgroup_core *k = CORE(g);
    int64_t at = atomic_load(&k->last_poll_ns) + (int64_t)g->max_poll_interval_ms * 1000000;
    kloop_timer_arm(kclient_bg_loop(g->client), &k->poll_timer, at);
}

static void poll_timer_fired(ktimer *t)
{
    kgroup_core *k = container_of(t, kgroup_core, poll_timer);
    kgroup *g = k->g;
    int64_t idle = ktime_mono_ns() - atomic_load(&k->last_poll_ns);
    if (idle < (int64_t)g->max_poll_interval_ms * 1000000) {
        arm_poll_timer(g);
        return;
    }
    pthread_mutex_lock(&k->lock);
    bool act = k->subscribed && !k->closing && !k->poll_left;
    if (act) k->poll_left = true;
    pthread_mutex_unlock(&k->lock);
    if (!act) return;
    klog(kclient_log(g->client), KFK_LOG_WARNING, "group",
         "no poll for max.poll.interval.ms (%d ms): leaving group \"%s\"",
         (int)g->max_poll_interval_ms, g->group_id);
    g->proto->poll_timeout(g);
}

static void retry_timer_fired(ktimer *t)
{
    kgroup_core *k = container_of(t, kgroup_core, retry_timer);
    kgroup_fetch_committed(k->g);
}

static void bg_run(ktask *t)
{
    kgroup_core *k = container_of(t, kgroup_core, task);
    kgroup *g = k->g;
    pthread_mutex_lock(&k->lock);
    unsigned w = k->wants;
    k->wants = 0;
    k->task_posted = false;
    bool subscribed = k->subscribed, closing = k->closing;
    pthread_mutex_unlock(&k->lock);
    if (w & KG_WANT_LEAVE) {
        ktplist_clear(&k->owned); /* whatever the protocol did, the core let go */
        kloop_timer_disarm(kclient_bg_loop(g->client), &k->poll_timer);
        g->proto->leave(g);
        k->rejoin_pending = !closing;
    }
    if (w & (KG_WANT_SUB | KG_WANT_REJOIN)) {
        bool changed = update_topics(g);
        /* After an unsubscribe, a subscribe to the same topics changes
         * nothing here (the two may even meet in one run): the leave
         * still needs a rejoin. */
        if (subscribed && (changed || k->rejoin_pending || (w & KG_WANT_REJOIN))) {
            k->rejoin_pending = false;
            arm_poll_timer(g);
            g->proto->subscription_changed(g);
        }
    }
    if (w & KG_WANT_POLL_TIMEOUT) g->proto->poll_timeout(g);
    if (w & KG_WANT_REVOKE_DONE) g->proto->revoke_done(g);
    if (w & KG_WANT_COMMITTED) kgroup_fetch_committed(g);
    if (w & KG_WANT_COMMIT) kgroup_commit_next(g);
}

void kgroup_want(kgroup *g, unsigned bits)
{
    kgroup_core *k = CORE(g);
    pthread_mutex_lock(&k->lock);
    k->wants |= bits;
    bool post = !k->task_posted;
    k->task_posted = true;
    pthread_mutex_unlock(&k->lock);
    if (post && kloop_post(kclient_bg_loop(g->client), &k->task)) {
        pthread_mutex_lock(&k->lock); /* stopping: the work is moot */
        k->task_posted = false;
        pthread_mutex_unlock(&k->lock);
    }
}

/* --- what protocols call ---------------------------------------------------------------- */

void kgroup_set_member(kgroup *g, const char *member_id, int32_t generation)
{
    kgroup_core *k = CORE(g);
    char *id = strdup(member_id ? member_id : "");
    /* Generations and member epochs of a member in the group are
     * positive; 0 and below mean joining or gone. */
    char *md_id = generation > 0 && id ? strdup(id) : NULL;
    pthread_mutex_lock(&k->lock);
    if (id) {
        free(k->member_id);
        k->member_id = id;
    }
    if ((generation > 0) != (k->generation > 0)) k->state_since_ns = ktime_mono_ns();
    k->generation = generation;
    if (md_id) {
        free(k->md_member_id);
        k->md_member_id = md_id;
        k->md_generation = generation;
    }
    pthread_mutex_unlock(&k->lock);
}

/* Closing: close has revoked everything itself, and serves no more. */
static bool closing(kgroup_core *k)
{
    pthread_mutex_lock(&k->lock);
    bool c = k->closing;
    pthread_mutex_unlock(&k->lock);
    return c;
}

void kgroup_revoke(kgroup *g, const ktplist *parts)
{
    kgroup_core *k = CORE(g);
    if (!parts || parts->n == 0) {
        kgroup_want(g, KG_WANT_REVOKE_DONE);
        return;
    }
    for (int i = 0; i < parts->n; i++)
        ktplist_remove(&k->owned, parts->v[i].topic, parts->v[i].partition);
    kconsumer_stop(g->consumer, parts->v, (size_t)parts->n);
    kgev *ev = closing(k) ? NULL : kgev_new(KGEV_REVOKED, KFK_OK, parts->v, (size_t)parts->n);
    if (!ev) { /* closing, or no memory: no callback, but the protocol goes on */
        kconsumer_remove(g->consumer, parts->v, (size_t)parts->n, true);
        kgroup_want(g, KG_WANT_REVOKE_DONE);
        return;
    }
    pthread_mutex_lock(&k->lock);
    ev->generation = k->generation;
    pthread_mutex_unlock(&k->lock);
    kgroup_queue_event(g, ev);
}

void kgroup_lost(kgroup *g, const ktplist *parts)
{
    kgroup_core *k = CORE(g);
    if (!parts || parts->n == 0) return;
    pthread_mutex_lock(&k->lock);
    k->losses++;
    pthread_mutex_unlock(&k->lock);
    for (int i = 0; i < parts->n; i++)
        ktplist_remove(&k->owned, parts->v[i].topic, parts->v[i].partition);
    kconsumer_remove(g->consumer, parts->v, (size_t)parts->n, false);
    kgev *ev = closing(k) ? NULL : kgev_new(KGEV_LOST, KFK_OK, parts->v, (size_t)parts->n);
    if (ev) kgroup_queue_event(g, ev);
}

void kgroup_assign(kgroup *g, const ktplist *parts)
{
    kgroup_core *k = CORE(g);
    pthread_mutex_lock(&k->lock);
    bool ignore = !k->subscribed || k->closing;
    pthread_mutex_unlock(&k->lock);
    if (ignore) return; /* an answer that crossed an unsubscribe or close */
    ktp *v = calloc(parts->n ? (size_t)parts->n : 1, sizeof(*v));
    if (!v) {
        kgroup_fatal(g, KFK_ERR_NO_MEMORY, "out of memory taking an assignment");
        return;
    }
    for (int i = 0; i < parts->n; i++) {
        v[i] = (ktp){.topic = parts->v[i].topic,
                     .partition = parts->v[i].partition,
                     .offset = KOFFSET_COMMITTED};
        if (!ktplist_has(&k->owned, v[i].topic, v[i].partition) &&
            ktplist_add(&k->owned, v[i].topic, v[i].partition))
            klog(kclient_log(g->client), KFK_LOG_ERR, "group", "out of memory");
    }
    ktplist_sort(&k->owned);
    kfk_err err = kconsumer_add(g->consumer, v, (size_t)parts->n);
    free(v);
    if (err && err != KFK_ERR_STATE) kgroup_fatal(g, err, "cannot take the assignment");
    /* Every completed rebalance is reported, an empty one too, as Java's
     * onJoinComplete and its KIP-848 reconciliation call
     * onPartitionsAssigned. */
    kgev *ev = kgev_new(KGEV_ASSIGNED, KFK_OK, parts->v, (size_t)parts->n);
    if (ev) kgroup_queue_event(g, ev);
    kgroup_fetch_committed(g);
}

const ktplist *kgroup_owned(const kgroup *g)
{
    return &g->core->owned;
}

const ktplist *kgroup_topics(const kgroup *g)
{
    return &g->core->topics;
}

const char *kgroup_regex(const kgroup *g)
{
    return g->core->topics_regex;
}

void kgroup_left(kgroup *g)
{
    kgroup_core *k = CORE(g);
    pthread_mutex_lock(&k->lock);
    k->leaving = false;
    k->left = true;
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
}

void kgroup_fatal(kgroup *g, kfk_err err, const char *why)
{
    kgroup_core *k = CORE(g);
    kfk_consumer *c = g->consumer;
    pthread_mutex_lock(&k->lock);
    bool first = !k->fatal;
    if (first) k->fatal = err;
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
    if (!first) return;
    kclient_fatal(g->client, err, "group \"%s\": %s", g->group_id, why);
    /* Polls hand the error out as a message with an empty topic. */
    pthread_mutex_lock(&c->lock);
    kchunk *ch = kchunk_error(&k->err_part, 0, KFK_OFFSET_INVALID, err);
    if (ch) kconsumer_enqueue(c, ch);
    pthread_mutex_unlock(&c->lock);
}

/* --- creation --------------------------------------------------------------------------- */

/* THE place that picks the protocol for group.protocol. NULL with a
 * reason when the protocol is not available. */
static const kgroup_proto *select_proto(const kfk_conf *conf, const char **why)
{
    switch (kconf_int(conf, KCONF_GROUP_PROTOCOL)) {
    case KCONF_GROUP_PROTOCOL_CLASSIC:
        return &kgroup_classic;
    case KCONF_GROUP_PROTOCOL_CONSUMER:
        return &kgroup_consumer; /* KIP-848, kip848.c */
    default:
        *why = "unknown group.protocol";
        return NULL;
    }
}

static char *dup_or_null(const char *s)
{
    return s && s[0] ? strdup(s) : NULL;
}

static int read_strategies(kgroup *g, const kfk_conf *conf)
{
    size_t n;
    const uint8_t *items = kconf_items(conf, KCONF_PARTITION_ASSIGNMENT_STRATEGY, &n);
    g->strategies = calloc(n ? n : 1, sizeof(*g->strategies));
    if (!g->strategies) return -1;
    for (size_t i = 0; i < n; i++) {
        const kc_assignor *as = kc_assignor_for_conf(items[i]);
        if (!as) continue;
        bool dup = false;
        for (int j = 0; j < g->n_strategies && !dup; j++)
            dup = strcmp(g->strategies[j], as->name) == 0;
        if (dup) continue;
        if (!(g->strategies[g->n_strategies] = strdup(as->name))) return -1;
        g->n_strategies++;
    }
    return 0;
}

static void read_group_conf(kgroup *g, kgroup_core *k, const kfk_conf *conf)
{
    g->session_timeout_ms = (int32_t)kconf_i64(conf, KCONF_SESSION_TIMEOUT_MS);
    g->heartbeat_interval_ms = (int32_t)kconf_i64(conf, KCONF_HEARTBEAT_INTERVAL_MS);
    g->max_poll_interval_ms = (int32_t)kconf_i64(conf, KCONF_MAX_POLL_INTERVAL_MS);
    g->request_timeout_ms = (int32_t)kconf_i64(conf, KCONF_REQUEST_TIMEOUT_MS);
    g->retry_backoff_ms = (int32_t)kconf_i64(conf, KCONF_RETRY_BACKOFF_MS);
    g->retry_backoff_max_ms = (int32_t)kconf_i64(conf, KCONF_RETRY_BACKOFF_MAX_MS);
    k->auto_commit = kconf_bool(conf, KCONF_ENABLE_AUTO_COMMIT);
    k->auto_commit_ms = kconf_i64(conf, KCONF_AUTO_COMMIT_INTERVAL_MS);
    k->api_timeout_ms = kconf_i64(conf, KCONF_DEFAULT_API_TIMEOUT_MS);
    k->exclude_internal = kconf_bool(conf, KCONF_EXCLUDE_INTERNAL_TOPICS);
    void *op;
    k->rebalance_cb = (kfk_rebalance_cb *)kconf_cb(conf, KCONF_REBALANCE_CB, &op);
    k->rebalance_opaque = op;
    k->commit_cb = (kfk_commit_cb *)kconf_cb(conf, KCONF_COMMIT_CB, &op);
    k->commit_opaque = op;
}

static void core_init_sync(kgroup_core *k)
{
    pthread_mutex_init(&k->lock, NULL);
    pthread_mutex_init(&k->serve_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&k->cond, &ca);
    pthread_condattr_destroy(&ca);
}

int kgroup_create(kfk_consumer *c, kgroup **out, char *errstr, size_t errlen)
{
    *out = NULL;
    const kfk_conf *conf = kclient_conf(c->client);
    const char *gid = kconf_str(conf, KCONF_GROUP_ID);
    if (!gid[0]) return 0;
    const char *why = "out of memory";
    const kgroup_proto *proto = select_proto(conf, &why);
    kgroup *g = proto ? calloc(1, sizeof(*g)) : NULL;
    kgroup_core *k = g ? calloc(1, sizeof(*k)) : NULL;
    if (!k) {
        free(g);
        if (errstr && errlen) snprintf(errstr, errlen, "%s", why);
        return -1;
    }
    g->core = k;
    k->g = g;
    g->consumer = c;
    g->client = c->client;
    g->proto = proto;
    core_init_sync(k);
    ktimer_init(&k->poll_timer, poll_timer_fired);
    ktimer_init(&k->retry_timer, retry_timer_fired);
    k->task.fn = bg_run;
    k->generation = k->md_generation = -1;
    k->state_since_ns = ktime_mono_ns();
    atomic_init(&k->last_poll_ns, ktime_mono_ns());
    k->err_part.consumer = c;
    k->err_part.partition = -1;
    atomic_init(&k->err_part.gen, 0);
    atomic_init(&k->err_part.consumed, KFK_OFFSET_INVALID);
    read_group_conf(g, k, conf);
    g->group_id = strdup(gid);
    g->instance_id = dup_or_null(kconf_str(conf, KCONF_GROUP_INSTANCE_ID));
    g->rack = dup_or_null(kconf_str(conf, KCONF_CLIENT_RACK));
    g->remote_assignor = dup_or_null(kconf_str(conf, KCONF_GROUP_REMOTE_ASSIGNOR));
    k->member_id = strdup("");
    k->md_member_id = strdup("");
    k->err_part.topic = strdup("");
    bool ok = g->group_id && k->member_id && k->md_member_id && k->err_part.topic &&
              !read_strategies(g, conf);
    if (ok && proto == &kgroup_classic && g->n_strategies == 0) {
        why = "partition.assignment.strategy names no assignor";
        ok = false;
    }
    if (ok && proto->init(g)) ok = false;
    if (!ok) {
        if (errstr && errlen) snprintf(errstr, errlen, "%s", why);
        g->proto = NULL; /* nothing to destroy */
        kgroup_destroy(g);
        return -1;
    }
    k->next_auto_commit_ns = ktime_mono_ns() + k->auto_commit_ms * 1000000;
    *out = g;
    return 0;
}

bool kgroup_subscribed(kgroup *g)
{
    if (!g) return false;
    pthread_mutex_lock(&g->core->lock);
    bool s = g->core->subscribed;
    pthread_mutex_unlock(&g->core->lock);
    return s;
}

void kgroup_destroy(kgroup *g)
{
    if (!g) return;
    kgroup_core *k = g->core;
    if (g->proto && g->proto->destroy) g->proto->destroy(g);
    kgroup_commits_free(g);
    for (kgev *ev = k->ev_head, *next; ev; ev = next) {
        next = ev->next;
        kgev_free(ev);
    }
    ktplist_free(&k->sub_names);
    ktplist_free(&k->topics);
    ktplist_free(&k->owned);
    if (k->regex_compiled) regfree(&k->regex);
    free(k->regex_src);
    free(k->topics_regex);
    free(k->member_id);
    free(k->md_member_id);
    free(k->err_part.topic);
    pthread_cond_destroy(&k->cond);
    pthread_mutex_destroy(&k->lock);
    pthread_mutex_destroy(&k->serve_lock);
    for (int i = 0; i < g->n_strategies; i++)
        free(g->strategies[i]);
    free(g->strategies);
    free(g->group_id);
    free(g->instance_id);
    free(g->rack);
    free(g->remote_assignor);
    free(k);
    free(g);
}
