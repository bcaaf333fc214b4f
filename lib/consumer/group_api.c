/* The public consumer-group functions of kfk.h: subscribe, unsubscribe,
 * commit, committed, member id, the callback setters; and what polls and
 * close do for the group (callbacks, auto commit, leaving). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/regex.h"
#include "base/time.h"
#include "consumer/group_int.h"

void kfk_conf_set_rebalance_cb(kfk_conf *conf, kfk_rebalance_cb *cb, void *opaque)
{
    if (!conf) return;
    kconf_set_cb(conf, KCONF_REBALANCE_CB, (kconf_fn)cb, opaque);
}

void kfk_conf_set_commit_cb(kfk_conf *conf, kfk_commit_cb *cb, void *opaque)
{
    if (!conf) return;
    kconf_set_cb(conf, KCONF_COMMIT_CB, (kconf_fn)cb, opaque);
}

/* The group whose callbacks this thread is running, so that a callback
 * that polls or commits does not serve events recursively. */
static _Thread_local kgroup *serving;

/* --- events ------------------------------------------------------------------------------- */

static void run_rebalance_cb(kgroup *g, kfk_rebalance_event type, const ktplist *parts)
{
    kgroup_core *k = g->core;
    if (!k->rebalance_cb) return;
    k->rebalance_cb(k->rebalance_opaque, g->consumer, type, parts);
}

static void run_event(kgroup *g, kgev *ev)
{
    kgroup_core *k = g->core;
    switch (ev->type) {
    case KGEV_ASSIGNED:
    case KGEV_LOST:
        run_rebalance_cb(g, (kfk_rebalance_event)ev->type, &ev->parts);
        break;
    case KGEV_REVOKED: {
        /* As Java's onJoinPrepare: commit what was consumed, then let the
         * application see the partitions go, then let go of them. */
        if (k->auto_commit) kgroup_commit_before_revoke(g, k->api_timeout_ms);
        /* Java checks after that commit: when the generation the
         * revocation was asked in is gone since (the commit or a heartbeat
         * reset it), the partitions are lost. */
        pthread_mutex_lock(&k->lock);
        bool gone = ev->generation >= 0 && k->generation < 0;
        pthread_mutex_unlock(&k->lock);
        run_rebalance_cb(g, gone ? KFK_REBALANCE_LOST : KFK_REBALANCE_REVOKED, &ev->parts);
        kconsumer_remove(g->consumer, ev->parts.v, (size_t)ev->parts.n, true);
        pthread_mutex_lock(&k->lock);
        bool done = --k->revokes_pending == 0;
        pthread_mutex_unlock(&k->lock);
        if (done) kgroup_want(g, KG_WANT_REVOKE_DONE);
        break;
    }
    case KGEV_COMMIT:
        if (g->consumer->n_icpt) kcicpt_on_commit(g->consumer, ev->err, &ev->parts);
        if (k->commit_cb) k->commit_cb(k->commit_opaque, g->consumer, ev->err, &ev->parts);
        break;
    }
}

/* Runs the queued events in order, on this application thread. */
static void serve(kgroup *g)
{
    kgroup_core *k = g->core;
    kfk_consumer *c = g->consumer;
    if (serving == g) return;
    pthread_mutex_lock(&k->serve_lock);
    serving = g;
    pthread_mutex_lock(&c->lock);
    c->group_wake = false; /* events queued from now on wake polls again */
    pthread_mutex_unlock(&c->lock);
    for (;;) {
        pthread_mutex_lock(&k->lock);
        kgev *ev = k->ev_head;
        if (ev) {
            k->ev_head = ev->next;
            if (!k->ev_head) k->ev_tail = NULL;
            atomic_fetch_sub(&k->n_events, 1);
        }
        pthread_mutex_unlock(&k->lock);
        if (!ev) break;
        run_event(g, ev);
        kgev_free(ev);
    }
    serving = NULL;
    pthread_mutex_unlock(&k->serve_lock);
}

void kgroup_poll(kgroup *g)
{
    if (!g) return;
    kgroup_core *k = g->core;
    int64_t now = ktime_mono_ns();
    atomic_store(&k->last_poll_ns, now);
    if (serving == g) return;
    /* The common case, a poll with nothing for the group to do, takes no
     * lock. */
    uint64_t mv = atomic_load(&kclient_meta(g->client)->version);
    if (atomic_load(&k->n_events) == 0 && !atomic_load(&k->poll_left) &&
        !(k->auto_commit && now >= atomic_load(&k->next_auto_commit_ns)) &&
        mv == atomic_load(&k->meta_seen))
        return;
    pthread_mutex_lock(&k->lock);
    bool subscribed = k->subscribed && !k->closing;
    bool rejoin = k->poll_left && subscribed;
    if (rejoin) k->poll_left = false;
    bool commit = k->auto_commit && !k->closing && now >= k->next_auto_commit_ns;
    if (commit) k->next_auto_commit_ns = now + k->auto_commit_ms * 1000000;
    pthread_mutex_unlock(&k->lock);
    unsigned want = rejoin ? KG_WANT_REJOIN : 0;
    if (mv != atomic_exchange(&k->meta_seen, mv) && subscribed)
        want |= KG_WANT_SUB; /* a regex may match new topics */
    if (want) kgroup_want(g, want);
    /* Java commits in poll what earlier polls returned: the application
     * has processed it by the time it polls again. */
    if (commit) kgroup_commit(g, NULL, false, k->api_timeout_ms);
    serve(g);
}

/* --- subscribe -------------------------------------------------------------------------------- */

/* KFK_OK when c may subscribe: a group, not closing, no manual
 * assignment; else the reason, for fn, goes to the last error. */
static kfk_err may_subscribe(kfk_consumer *c, const char *fn)
{
    if (!c->group) {
        kclient_error_set(c->client, "%s: the consumer has no group.id", fn);
        return KFK_ERR_CONFIG;
    }
    if (atomic_load(&c->closing)) {
        kclient_error_set(c->client, "%s: the consumer is closed", fn);
        return KFK_ERR_STATE;
    }
    if (kgroup_subscribed(c->group)) return KFK_OK;
    pthread_mutex_lock(&c->lock);
    int n = c->n_parts;
    pthread_mutex_unlock(&c->lock);
    if (n) kclient_error_set(c->client, "%s: partitions are assigned by hand; unassign first", fn);
    return n ? KFK_ERR_STATE : KFK_OK;
}

/* KFK_OK when topics holds n names; else the reason goes to the last
 * error. */
static kfk_err check_names(kfk_consumer *c, const char *const *topics, size_t n)
{
    if (n && !topics) {
        kclient_error_set(c->client, "kfk_consumer_subscribe: topics is NULL with n %zu", n);
        return KFK_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < n; i++)
        if (!topics[i] || !topics[i][0]) {
            kclient_error_set(c->client, "kfk_consumer_subscribe: topics[%zu] is %s", i,
                              topics[i] ? "empty" : "NULL");
            return KFK_ERR_INVALID_ARG;
        }
    return KFK_OK;
}

static kfk_err subscribe(kfk_consumer *c, const char *const *topics, size_t n);

kfk_err kfk_consumer_subscribe(kfk_consumer *c, const char *const *topics, size_t n)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    kfk_err err = check_names(c, topics, n);
    if (!err && n == 0 && !c->group)
        err = may_subscribe(c, "kfk_consumer_subscribe");
    else if (!err && n == 0)
        err = kfk_consumer_unsubscribe(c);
    else if (!err)
        err = subscribe(c, topics, n);
    return kclient_error_end(c->client, err);
}

static kfk_err subscribe(kfk_consumer *c, const char *const *topics, size_t n)
{
    kfk_err err = may_subscribe(c, "kfk_consumer_subscribe");
    if (err) return err;
    ktplist names = {0};
    for (size_t i = 0; i < n; i++)
        if (!ktplist_has(&names, topics[i], -1) && ktplist_add(&names, topics[i], -1)) {
            ktplist_free(&names);
            return KFK_ERR_NO_MEMORY;
        }
    ktplist_sort(&names);
    kgroup *g = c->group;
    kgroup_core *k = g->core;
    pthread_mutex_lock(&k->lock);
    ktplist_free(&k->sub_names);
    k->sub_names = names;
    bool had_regex = k->have_regex;
    if (k->regex_compiled) regfree(&k->regex);
    k->have_regex = k->regex_compiled = false;
    free(k->regex_src);
    k->regex_src = NULL;
    k->subscribed = true;
    pthread_mutex_unlock(&k->lock);
    if (had_regex) kclient_want_all_topics(c->client, false);
    kclient_want_topics(c->client, topics, n);
    kclient_refresh(c->client, "subscribe");
    kgroup_want(g, KG_WANT_SUB);
    return KFK_OK;
}

/* The regex compiled for a whole-name match, as Java's
 * Pattern.matcher().matches(), its common syntax translated to POSIX
 * (base/regex.h): KFK_OK, KFK_ERR_INVALID_ARG or KFK_ERR_NO_MEMORY. */
static kfk_err compile_whole(const char *regex, regex_t *re)
{
    int rc = kregex_compile(re, regex, strlen(regex), true);
    if (rc == KREGEX_NO_MEM) return KFK_ERR_NO_MEMORY;
    return rc ? KFK_ERR_INVALID_ARG : KFK_OK;
}

static kfk_err subscribe_pattern(kfk_consumer *c, const char *regex);

kfk_err kfk_consumer_subscribe_pattern(kfk_consumer *c, const char *regex)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    return kclient_error_end(c->client, subscribe_pattern(c, regex));
}

static kfk_err subscribe_pattern(kfk_consumer *c, const char *regex)
{
    if (!regex || !regex[0]) {
        kclient_error_set(c->client, "kfk_consumer_subscribe_pattern: regex is %s",
                          regex ? "empty" : "NULL");
        return KFK_ERR_INVALID_ARG;
    }
    kfk_err err = may_subscribe(c, "kfk_consumer_subscribe_pattern");
    if (err) return err;
    /* Classic: the client matches, so it must understand the regex. The
     * consumer protocol sends it to the broker, which matches with RE2/J
     * and answers INVALID_REGULAR_EXPRESSION for a bad one (a group error
     * from poll), as Java's subscribe(SubscriptionPattern): no POSIX
     * verdict on syntax it does not speak (\d, (?i), ...). */
    bool client_matches = c->group->proto != &kgroup_consumer;
    regex_t re;
    if (client_matches && (err = compile_whole(regex, &re))) {
        if (err == KFK_ERR_INVALID_ARG)
            kclient_error_set(c->client,
                              "kfk_consumer_subscribe_pattern: \"%.200s\" is not a "
                              "regex the classic protocol's client-side matching understands",
                              regex);
        return err;
    }
    char *src = strdup(regex);
    if (!src) {
        if (client_matches) regfree(&re);
        return KFK_ERR_NO_MEMORY;
    }
    kgroup_core *k = c->group->core;
    pthread_mutex_lock(&k->lock);
    ktplist_free(&k->sub_names);
    if (k->regex_compiled) regfree(&k->regex);
    if (client_matches) k->regex = re;
    k->regex_compiled = client_matches;
    k->have_regex = true;
    free(k->regex_src);
    k->regex_src = src;
    k->subscribed = true;
    pthread_mutex_unlock(&k->lock);
    kclient_want_all_topics(c->client, true);
    kclient_refresh(c->client, "subscribe");
    kgroup_want(c->group, KG_WANT_SUB);
    return KFK_OK;
}

/* Auto commit (for at most commit_ms), REVOKED for everything assigned,
 * then drop it all (application thread; unsubscribe and close). */
static void revoke_everything(kgroup *g, int64_t commit_ms)
{
    kgroup_core *k = g->core;
    if (k->auto_commit) kgroup_commit(g, NULL, true, commit_ms);
    kfk_partition_list *all = kfk_consumer_assignment(g->consumer);
    if (all && all->n > 0) {
        for (int i = 0; i < all->n; i++)
            all->v[i].offset = KFK_OFFSET_INVALID; /* as in every rebalance callback */
        pthread_mutex_lock(&k->lock);
        bool lost = k->fatal != KFK_OK || k->generation < 0;
        pthread_mutex_unlock(&k->lock);
        serving = g;
        run_rebalance_cb(g, lost ? KFK_REBALANCE_LOST : KFK_REBALANCE_REVOKED, all);
        serving = NULL;
        kconsumer_remove(g->consumer, all->v, (size_t)all->n, false);
    }
    kfk_partition_list_destroy(all);
}

/* Asks the protocol to leave and waits for it until deadline (ns). */
static void leave_and_wait(kgroup *g, int64_t deadline)
{
    kgroup_core *k = g->core;
    pthread_mutex_lock(&k->lock);
    k->leaving = true;
    k->left = false;
    pthread_mutex_unlock(&k->lock);
    kgroup_want(g, KG_WANT_LEAVE);
    pthread_mutex_lock(&k->lock);
    while (!k->left && ktime_mono_ns() < deadline) {
        struct timespec ts = {deadline / 1000000000, deadline % 1000000000};
        pthread_cond_timedwait(&k->cond, &k->lock, &ts);
    }
    pthread_mutex_unlock(&k->lock);
}

kfk_err kfk_consumer_unsubscribe(kfk_consumer *c)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    kgroup *g = c->group;
    if (!g || !kgroup_subscribed(g)) return KFK_OK;
    kgroup_core *k = g->core;
    serve(g); /* what the protocol queued before */
    pthread_mutex_lock(&k->lock);
    bool had_regex = k->have_regex;
    k->subscribed = false;
    ktplist_free(&k->sub_names);
    if (k->regex_compiled) regfree(&k->regex);
    k->have_regex = k->regex_compiled = false;
    free(k->regex_src);
    k->regex_src = NULL;
    pthread_mutex_unlock(&k->lock);
    if (had_regex) kclient_want_all_topics(c->client, false);
    revoke_everything(g, k->api_timeout_ms);
    kgroup_want(g, KG_WANT_LEAVE | KG_WANT_SUB);
    return KFK_OK;
}

kfk_err kfk_consumer_subscription(kfk_consumer *c, char ***out, size_t *n)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    if (!out || !n) {
        kclient_error_set(c->client, "kfk_consumer_subscription: %s is NULL", !out ? "out" : "n");
        return kclient_error_end(c->client, KFK_ERR_INVALID_ARG);
    }
    *out = NULL;
    *n = 0;
    if (!c->group) return KFK_OK;
    kgroup_core *k = c->group->core;
    kfk_err err = KFK_OK;
    pthread_mutex_lock(&k->lock);
    size_t cnt = !k->subscribed ? 0 : k->have_regex ? 1 : (size_t)k->sub_names.n;
    char **v = calloc(cnt ? cnt : 1, sizeof(*v));
    for (size_t i = 0; v && i < cnt && !err; i++) {
        v[i] = strdup(k->have_regex ? k->regex_src : k->sub_names.v[i].topic);
        if (!v[i]) err = KFK_ERR_NO_MEMORY;
    }
    pthread_mutex_unlock(&k->lock);
    if (!v || err) {
        kfk_topic_names_free(v, cnt);
        return kclient_error_end(c->client, KFK_ERR_NO_MEMORY);
    }
    *out = v;
    *n = cnt;
    return KFK_OK;
}

void kfk_topic_names_free(char **names, size_t n)
{
    if (!names) return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

size_t kfk_consumer_member_id(kfk_consumer *c, char *buf, size_t size)
{
    if (buf && size) buf[0] = '\0';
    if (!c || !c->group) return 0;
    kgroup_core *k = c->group->core;
    pthread_mutex_lock(&k->lock);
    const char *id = k->member_id ? k->member_id : "";
    size_t len = strlen(id);
    if (buf && size) snprintf(buf, size, "%s", id);
    pthread_mutex_unlock(&k->lock);
    return len;
}

/* --- commits ------------------------------------------------------------------------------ */

/* KFK_OK when list may be committed; else the reason goes to the last
 * error. */
static kfk_err check_commit(kfk_consumer *c, const kfk_partition_list *list)
{
    static const char fn[] = "kfk_consumer_commit";
    if (!c->group) {
        kclient_error_set(c->client, "%s: the consumer has no group.id", fn);
        return KFK_ERR_CONFIG;
    }
    if (!list) return KFK_OK;
    kfk_err err = ktp_check_unique(list->v, (size_t)list->n);
    if (err == KFK_ERR_INVALID_ARG)
        kclient_error_set(c->client, "%s: the list names a partition twice", fn);
    if (err) return err;
    for (int i = 0; i < list->n; i++)
        if (list->v[i].offset < 0) {
            kclient_error_set(
                c->client, "%s: entry %d (partition %d of \"%.200s\") has offset %lld", fn, i,
                (int)list->v[i].partition, list->v[i].topic, (long long)list->v[i].offset);
            return KFK_ERR_INVALID_ARG;
        }
    return KFK_OK;
}

kfk_err kfk_consumer_commit(kfk_consumer *c, const kfk_partition_list *list, bool async)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    kfk_err err = check_commit(c, list);
    if (!err) err = kgroup_commit(c->group, list, !async, c->group->core->api_timeout_ms);
    return kclient_error_end(c->client, err);
}

static kfk_err committed(kfk_consumer *c, kfk_partition_list *list, int timeout_ms)
{
    if (!list) {
        kclient_error_set(c->client, "kfk_consumer_committed: list is NULL");
        return KFK_ERR_INVALID_ARG;
    }
    if (!c->group) {
        kclient_error_set(c->client, "kfk_consumer_committed: the consumer has no group.id");
        return KFK_ERR_CONFIG;
    }
    return list->n ? kgroup_committed(c->group, list, timeout_ms) : KFK_OK;
}

kfk_err kfk_consumer_committed(kfk_consumer *c, kfk_partition_list *list, int timeout_ms)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    return kclient_error_end(c->client, committed(c, list, timeout_ms));
}

/* --- close ------------------------------------------------------------------------------------ */

/* The time one step of close may take: what is left until deadline (ns),
 * in ms, never negative, and at most the API timeout as for any call. */
static int64_t left_ms(const kgroup_core *k, int64_t deadline)
{
    int64_t ns = deadline - ktime_mono_ns();
    int64_t ms = ns > 0 ? ns / 1000000 : 0;
    return ms < k->api_timeout_ms ? ms : k->api_timeout_ms;
}

kfk_err kgroup_close(kgroup *g, int64_t timeout_ms)
{
    if (!g) return KFK_OK;
    kgroup_core *k = g->core;
    int64_t deadline = ktime_mono_ns() + timeout_ms * 1000000;
    serve(g);
    bool subscribed = kgroup_subscribed(g);
    if (subscribed) {
        revoke_everything(g, left_ms(k, deadline));
    } else if (k->auto_commit) {
        kgroup_commit(g, NULL, true, left_ms(k, deadline));
    }
    pthread_mutex_lock(&k->lock);
    k->closing = true;
    k->subscribed = false;
    pthread_mutex_unlock(&k->lock);
    if (subscribed) leave_and_wait(g, ktime_mono_ns() + left_ms(k, deadline) * 1000000);
    kgroup_commit_drain(g, left_ms(k, deadline));
    serve(g); /* the callbacks of async commits */
    pthread_mutex_lock(&k->lock);
    bool done = (!subscribed || k->left) && !k->c_head;
    pthread_mutex_unlock(&k->lock);
    return done ? KFK_OK : KFK_ERR_TIMED_OUT;
}
