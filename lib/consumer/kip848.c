/* The KIP-848 consumer group protocol (group.protocol=consumer).
 *
 * The member sends ConsumerGroupHeartbeat to the group coordinator: the
 * first with epoch 0 (join) and every field, then one every
 * heartbeat_interval_ms (the broker's figure) carrying only the fields
 * that changed. The broker runs the assignor (group.remote.assignor) and
 * answers with this member's target assignment whenever it changes, as
 * topic ids and partitions. The member reconciles: it resolves the ids to
 * names with the metadata cache, revokes what it owns and the target
 * lacks (commit and REVOKED callback through the core), acknowledges by
 * sending the partitions it owns in the next heartbeat, and takes the new
 * ones. A partition another member still owns is not in this member's
 * target until that member has let it go: the broker orders the moves
 * with member epochs, so the client never waits for anyone.
 *
 * FENCED_MEMBER_EPOCH and UNKNOWN_MEMBER_ID mean the broker dropped the
 * member (session timeout, missed revocation): its partitions are LOST and
 * it rejoins with epoch 0, keeping its member id (KIP-1082: from v1 the
 * client makes its own id, a UUID). Leaving sends epoch -1, or -2 for a
 * static member (group.instance.id) so that it keeps its assignment for
 * session.timeout.ms.
 *
 * Threads: everything runs on kfk-bg except the heartbeat's completion,
 * which copies the answer into k->ans on its I/O thread and posts
 * answer_task. One heartbeat is in flight at a time; k->ans and the
 * request body belong to the call while k->inflight. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/err.h"
#include "base/time.h"
#include "client/client.h"
#include "consumer/group.h"
#include "consumer/kip848.h"

typedef enum k848_state {
    S_IDLE,    /* not a member: nothing subscribed yet, or left */
    S_JOINING, /* the next heartbeat joins: epoch 0 and every field */
    S_MEMBER,  /* in the group: heartbeats every interval, reconciles */
    S_LEAVING, /* the leave heartbeat is due or in flight */
    S_STALE,   /* left after max.poll.interval.ms; subscription_changed rejoins */
    S_FATAL,   /* stopped by an error the application has to see */
} k848_state;

/* A heartbeat's outcome, copied out of the response on the I/O thread. */
typedef struct k848_answer {
    kfk_err err;  /* of the call: transport, timeout, ... */
    int16_t code; /* the response's error code */
    char *message;
    char *member_id;
    int32_t epoch, interval_ms;
    bool has_target;
    k848_target target;
} k848_answer;

/* A topic name and its id, remembered from resolving targets so that the
 * owned partitions can be sent by id even if the cache has lost them. */
typedef struct k848_id {
    char *name;
    kuuid id;
} k848_id;

typedef struct k848 {
    kgroup *g;
    kclient *client;
    kloop *bg;
    k848_state state;
    char *member_id;
    int32_t epoch;
    int32_t interval_ms;
    bool ever_sent;   /* a heartbeat went out since the last leave: the broker may know us */
    bool stale_leave; /* the leave in progress is for max.poll.interval.ms */
    bool rejoin;      /* subscription_changed during a stale leave */
    int32_t leave_epoch;
    int backoff_n; /* heartbeats failed in a row */

    /* the heartbeat in flight (or the last one) */
    kcall call;
    bool inflight;
    bool inflight_leave;
    bool send_now; /* send as soon as none is in flight */
    kp_consumer_group_heartbeat_request req;
    karena req_arena; /* the request's arrays */
    ktask answer_task;
    k848_answer ans;
    ktimer hb_timer;      /* the next regular heartbeat, or a retry */
    ktimer resolve_timer; /* resolve a target's unknown topic ids again */

    k848_sent sent;
    uint64_t owned_ver;

    /* reconciliation */
    k848_target target;
    bool target_pending; /* the target has parts not reconciled yet */
    bool first_target;   /* the next reconciliation is the first since joining */
    bool target_new;     /* ASSIGNED not yet run for this target (even if it adds nothing) */
    bool revoking;       /* kgroup_revoke called, revoke_done not yet */
    ktplist revoking_parts;

    k848_id *ids;
    int n_ids, cap_ids;
    kmeta_topic *lookup_ref; /* keeps the last looked-up name alive */
} k848;

#define K848_BACKOFF_MAX_MS 1000

static void send_heartbeat(k848 *k);
static void reconcile(k848 *k);

static k848 *of(kgroup *g)
{
    return g->proto_state;
}

static const klogger *lg(k848 *k)
{
    return kclient_log(k->client);
}

/* --- timers ---------------------------------------------------------------------- */

static void arm(k848 *k, ktimer *t, int64_t ms)
{
    if (kloop_timer_arm(k->bg, t, ktime_mono_ns() + ms * KTIME_NS_PER_MS) < 0)
        klog(lg(k), KFK_LOG_ERR, "kip848", "%s: cannot arm a timer: out of memory", k->g->group_id);
}

static void hb_timer_fn(ktimer *t)
{
    k848 *k = container_of(t, k848, hb_timer);
    if (k->state == S_JOINING || k->state == S_MEMBER) send_heartbeat(k);
}

static void resolve_timer_fn(ktimer *t)
{
    k848 *k = container_of(t, k848, resolve_timer);
    reconcile(k);
}

/* After a failed heartbeat: exponential from retry.backoff.ms. */
static void retry_later(k848 *k)
{
    int64_t ms = k->g->retry_backoff_ms > 0 ? k->g->retry_backoff_ms : 100;
    for (int i = 0; i < k->backoff_n && ms < K848_BACKOFF_MAX_MS; i++)
        ms *= 2;
    if (ms > K848_BACKOFF_MAX_MS) ms = K848_BACKOFF_MAX_MS;
    k->backoff_n++;
    arm(k, &k->hb_timer, ms);
}

/* --- topic ids ------------------------------------------------------------------- */

static void remember_id(k848 *k, const char *name, const kuuid *id)
{
    for (int i = 0; i < k->n_ids; i++)
        if (strcmp(k->ids[i].name, name) == 0) {
            k->ids[i].id = *id; /* a topic re-created under the same name */
            return;
        }
    if (k->n_ids == k->cap_ids) {
        int cap = k->cap_ids ? 2 * k->cap_ids : 8;
        k848_id *v = realloc(k->ids, (size_t)cap * sizeof(*v));
        if (!v) return; /* only a cache: the metadata is asked instead */
        k->ids = v;
        k->cap_ids = cap;
    }
    char *dup = strdup(name);
    if (!dup) return;
    k->ids[k->n_ids++] = (k848_id){dup, *id};
}

static bool id_of(k848 *k, const char *name, kuuid *out)
{
    for (int i = 0; i < k->n_ids; i++)
        if (strcmp(k->ids[i].name, name) == 0) {
            *out = k->ids[i].id;
            return true;
        }
    kmeta_topic *t = kmeta_topic_get(kclient_meta(k->client), name);
    if (!t) return false;
    *out = t->id;
    kmeta_topic_unref(t);
    return !kuuid_is_zero(out);
}

static const char *lookup(void *opaque, const kuuid *id)
{
    k848 *k = opaque;
    if (k->lookup_ref) kmeta_topic_unref(k->lookup_ref);
    k->lookup_ref = kmeta_topic_by_id(kclient_meta(k->client), id);
    if (!k->lookup_ref) return NULL;
    remember_id(k, k->lookup_ref->name, id);
    return k->lookup_ref->name;
}

/* --- building the heartbeat -------------------------------------------------------- */

static bool subscribed(const kgroup *g)
{
    return kgroup_regex(g) != NULL || kgroup_topics(g)->n > 0;
}

static k848_sub current_sub(k848 *k)
{
    const char *regex = kgroup_regex(k->g);
    return (k848_sub){regex ? NULL : kgroup_topics(k->g), regex, k->owned_ver};
}

static int tp_cmp(const void *a, const void *b)
{
    const ktp *x = *(const ktp *const *)a;
    const ktp *y = *(const ktp *const *)b;
    int c = strcmp(x->topic, y->topic);
    if (c) return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

/* The owned partitions by topic id into the request: what the core owns
 * plus what is being revoked (not released until revoke_done). */
static int put_owned(k848 *k, kp_consumer_group_heartbeat_request *r)
{
    const ktplist *owned = kgroup_owned(k->g);
    int n = owned->n + k->revoking_parts.n;
    r->n_topic_partitions = 0;
    r->topic_partitions =
        karena_alloc(&k->req_arena, (size_t)(n ? n : 1) * sizeof(*r->topic_partitions));
    const ktp **all = karena_alloc(&k->req_arena, (size_t)(n ? n : 1) * sizeof(*all));
    int32_t *parts = karena_alloc(&k->req_arena, (size_t)(n ? n : 1) * sizeof(int32_t));
    if (!r->topic_partitions || !all || !parts) return -1;
    for (int i = 0; i < owned->n; i++)
        all[i] = &owned->v[i];
    for (int i = 0; i < k->revoking_parts.n; i++)
        all[owned->n + i] = &k->revoking_parts.v[i];
    qsort(all, (size_t)n, sizeof(*all), tp_cmp);
    kp_consumer_group_heartbeat_request_topic_partitions *cur = NULL;
    const char *cur_name = NULL;
    for (int i = 0; i < n; i++) {
        if (!cur_name || strcmp(cur_name, all[i]->topic) != 0) {
            kuuid id;
            cur_name = all[i]->topic;
            cur = NULL;
            if (!id_of(k, cur_name, &id)) {
                klog(lg(k), KFK_LOG_WARNING, "kip848", "%s: no topic id for owned topic %s",
                     k->g->group_id, cur_name);
                continue;
            }
            cur = &r->topic_partitions[r->n_topic_partitions++];
            kp_consumer_group_heartbeat_request_topic_partitions_init(cur);
            cur->topic_id = id;
            cur->partitions = parts + i;
        }
        if (cur) cur->partitions[cur->n_partitions++] = all[i]->partition;
    }
    return 0;
}

/* s copied into the request's arena. The request is encoded later, on an
 * I/O thread (after the coordinator lookup, and again on a retry), while
 * kfk-bg may replace the group core's subscription strings: a request
 * pointing into them would send freed memory. */
static int put_str(k848 *k, kslice *out, const char *s)
{
    size_t n = strlen(s);
    char *p = karena_alloc(&k->req_arena, n + 1);
    if (!p) return -1;
    memcpy(p, s, n + 1);
    *out = (kslice){(const uint8_t *)p, n};
    return 0;
}

static int put_topics(k848 *k, kp_consumer_group_heartbeat_request *r, const ktplist *topics)
{
    int n = topics ? topics->n : 0;
    r->subscribed_topic_names = karena_alloc(&k->req_arena, (size_t)(n ? n : 1) * sizeof(kslice));
    if (!r->subscribed_topic_names) return -1;
    for (int i = 0; i < n; i++)
        if (put_str(k, &r->subscribed_topic_names[i], topics->v[i].topic) < 0) return -1;
    r->n_subscribed_topic_names = n;
    return 0;
}

/* Fills k->req for the member's state; -1 when out of memory. */
static int build(k848 *k)
{
    kgroup *g = k->g;
    kp_consumer_group_heartbeat_request *r = &k->req;
    karena_reset(&k->req_arena);
    kp_consumer_group_heartbeat_request_init(r);
    r->group_id = kwire_cstr(g->group_id);
    /* An answer may replace k->member_id (v0 brokers name the member). */
    if (put_str(k, &r->member_id, k->member_id) < 0) return -1;
    r->instance_id = kwire_cstr(g->instance_id);
    if (k->state == S_LEAVING) {
        r->member_epoch = k->leave_epoch;
        return 0;
    }
    bool joining = k->state == S_JOINING;
    r->member_epoch = joining ? K848_JOIN_EPOCH : k->epoch;
    k848_sub sub = current_sub(k);
    k848_fields f = k848_fields_for(&k->sent, &sub, joining);
    if (f.join_fields) {
        r->rack_id = kwire_cstr(g->rack);
        r->rebalance_timeout_ms = g->max_poll_interval_ms;
        r->server_assignor = kwire_cstr(g->remote_assignor);
    }
    if (f.topics && put_topics(k, r, sub.topics) < 0) return -1;
    if (f.regex) {
        r->subscribed_topic_regex = KWIRE_EMPTY;
        if (sub.regex && put_str(k, &r->subscribed_topic_regex, sub.regex) < 0) return -1;
    }
    if (f.owned) {
        /* The broker refuses owned partitions on a join. */
        if (joining) {
            r->n_topic_partitions = 0;
            r->topic_partitions = karena_alloc(&k->req_arena, sizeof(*r->topic_partitions));
            if (!r->topic_partitions) return -1;
        } else if (put_owned(k, r) < 0) {
            return -1;
        }
    }
    if (k848_sent_update(&k->sent, &sub, f) < 0) return -1;
    return 0;
}

/* --- the call ---------------------------------------------------------------------- */

static void answer_clear(k848_answer *a)
{
    free(a->message);
    free(a->member_id);
    k848_target_free(&a->target);
    *a = (k848_answer){0};
}

static char *slice_dup(kslice s)
{
    if (!s.ptr) return NULL;
    char *p = malloc(s.len + 1);
    if (!p) return NULL;
    memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

/* Coordinator moves and loads are retried by the call itself. */
static kfk_err hb_check(kcall *call, void *resp)
{
    (void)call;
    const kp_consumer_group_heartbeat_response *r = resp;
    return kcoordinator_error(r->error_code) ? (kfk_err)r->error_code : KFK_OK;
}

static void answer_task(ktask *t);

/* I/O thread (or kfk-bg, or kclient_destroy): copy, then hop to kfk-bg. */
static void on_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    k848 *k = call->opaque;
    k848_answer *a = &k->ans;
    const kp_consumer_group_heartbeat_response *r = resp;
    a->err = err;
    if (r) {
        a->code = r->error_code;
        a->epoch = r->member_epoch;
        a->interval_ms = r->heartbeat_interval_ms;
        a->message = slice_dup(r->error_message);
        a->member_id = slice_dup(r->member_id);
        if (r->member_id.ptr && !a->member_id) a->err = KFK_ERR_NO_MEMORY;
        if (r->assignment && !r->error_code) {
            a->has_target = true;
            if (k848_target_copy(&a->target, r->assignment) < 0) a->err = KFK_ERR_NO_MEMORY;
        }
    }
    k->answer_task.fn = answer_task;
    if (kloop_post(k->bg, &k->answer_task) < 0) answer_clear(a); /* destroying */
}

static void send_heartbeat(k848 *k)
{
    if (k->inflight) {
        k->send_now = true;
        return;
    }
    k->send_now = false;
    kloop_timer_disarm(k->bg, &k->hb_timer);
    if (build(k) < 0) {
        klog(lg(k), KFK_LOG_ERR, "kip848", "%s: out of memory building a heartbeat",
             k->g->group_id);
        k->sent.valid = false;
        retry_later(k);
        return;
    }
    kcall *c = &k->call;
    kcall_init(c, &kp_consumer_group_heartbeat_client, &k->req, on_done, k);
    c->route = KROUTE_COORDINATOR;
    c->coord_type = 0;
    c->coord_key = k->g->group_id;
    c->check = hb_check;
    c->deadline_ns = kclient_deadline(k->g->request_timeout_ms);
    /* subscribed_topic_regex is v1+ (and v1 is where the client names itself). */
    if (k->req.subscribed_topic_regex.ptr) c->min_version = 1;
    k->inflight = true;
    k->inflight_leave = k->state == S_LEAVING;
    k->ever_sent = true;
    klog(lg(k), KFK_LOG_DEBUG, "kip848", "%s: heartbeat member %s epoch %d", k->g->group_id,
         k->member_id, (int)k->req.member_epoch);
    kcall_start(k->client, c);
}

/* --- states -------------------------------------------------------------------------- */

static void join(k848 *k)
{
    k->state = S_JOINING;
    k->epoch = K848_JOIN_EPOCH;
    k->sent.valid = false;
    k->first_target = true;
    k848_target_free(&k->target);
    k->target_pending = false;
    send_heartbeat(k);
}

/* Drops what the member owns without a chance to commit. */
static void lose_all(k848 *k)
{
    const ktplist *owned = kgroup_owned(k->g);
    if (owned->n) {
        ktplist copy = {0};
        for (int i = 0; i < owned->n; i++)
            if (ktplist_add(&copy, owned->v[i].topic, owned->v[i].partition) < 0) break;
        kgroup_lost(k->g, &copy);
        ktplist_free(&copy);
    }
    ktplist_clear(&k->revoking_parts);
    k848_target_free(&k->target);
    k->target_pending = false;
    k->owned_ver++;
}

static void fenced(k848 *k, int16_t code)
{
    if (k->state == S_JOINING) {
        /* A join cannot be fenced by its epoch; do not spin on a broker
         * that says so anyway. */
        k->sent.valid = false;
        retry_later(k);
        return;
    }
    klog(lg(k), KFK_LOG_INFO, "kip848", "%s: member %s epoch %d fenced (%s): rejoining",
         k->g->group_id, k->member_id, (int)k->epoch, kfk_err_name(code));
    lose_all(k);
    kgroup_set_member(k->g, k->member_id, K848_JOIN_EPOCH);
    join(k);
}

static void fatal(k848 *k, kfk_err err, const char *msg)
{
    char why[256];
    snprintf(why, sizeof(why), "ConsumerGroupHeartbeat: %s%s%s", kfk_err_str(err), msg ? ": " : "",
             msg ? msg : "");
    klog(lg(k), KFK_LOG_ERR, "kip848", "%s: %s", k->g->group_id, why);
    lose_all(k);
    k->state = S_FATAL;
    kloop_timer_disarm(k->bg, &k->hb_timer);
    kgroup_fatal(k->g, err, why);
}

static void begin_leave(k848 *k, int32_t epoch, bool stale)
{
    kloop_timer_disarm(k->bg, &k->hb_timer);
    kloop_timer_disarm(k->bg, &k->resolve_timer);
    k->state = S_LEAVING;
    k->leave_epoch = epoch;
    k->stale_leave = stale;
    k->rejoin = false;
    send_heartbeat(k); /* after the one in flight, if any */
}

static void left(k848 *k)
{
    bool stale = k->stale_leave;
    k->state = stale ? S_STALE : S_IDLE;
    k->epoch = K848_JOIN_EPOCH;
    k->ever_sent = false;
    k->sent.valid = false;
    k848_target_free(&k->target);
    k->target_pending = false;
    if (!stale) kgroup_left(k->g);
    /* Subscribed again while leaving (unsubscribe then subscribe, or a
     * poll after max.poll.interval.ms): join as a new member epoch. */
    if (k->rejoin && subscribed(k->g)) join(k);
}

/* --- reconciliation ---------------------------------------------------------------------- */

static void reconcile(k848 *k)
{
    if (k->revoking || !k->target_pending || k->state != S_MEMBER) return;
    ktplist target = {0}, revoke = {0}, add = {0};
    int unresolved = k848_resolve(&k->target, lookup, k, &target);
    if (unresolved != 0) {
        if (unresolved > 0)
            kclient_refresh(k->client, "KIP-848 target names a topic id not in metadata");
        arm(k, &k->resolve_timer, k->g->retry_backoff_ms > 0 ? k->g->retry_backoff_ms : 100);
        if (unresolved < 0) goto out;
    }
    if (k848_plan(kgroup_owned(k->g), &target, &revoke, &add) < 0) {
        arm(k, &k->resolve_timer, 100);
        goto out;
    }
    if (revoke.n) {
        /* Revoke first; the additions wait for revoke_done. */
        ktplist_free(&k->revoking_parts);
        k->revoking_parts = revoke;
        revoke = (ktplist){0};
        k->revoking = true;
        klog(lg(k), KFK_LOG_DEBUG, "kip848", "%s: revoking %d partitions", k->g->group_id,
             k->revoking_parts.n);
        kgroup_revoke(k->g, &k->revoking_parts);
        goto out;
    }
    /* Java's reconciliation calls onPartitionsAssigned once per new
     * target, also when it adds nothing. */
    if (add.n || k->first_target || k->target_new) {
        kgroup_assign(k->g, &add);
        k->owned_ver++;
    }
    k->first_target = false;
    k->target_new = false;
    if (!unresolved) k->target_pending = false;
    /* Acknowledge at once: the broker bumps the epoch on it. */
    if (k->owned_ver != k->sent.owned_ver) send_heartbeat(k);
out:
    ktplist_free(&target);
    ktplist_free(&revoke);
    ktplist_free(&add);
}

/* --- answers ----------------------------------------------------------------------------- */

static void answered_ok(k848 *k, k848_answer *a)
{
    if (a->member_id && strcmp(a->member_id, k->member_id) != 0) {
        /* v0 brokers make the id; v1 ones echo ours. */
        free(k->member_id);
        k->member_id = a->member_id;
        a->member_id = NULL;
    }
    bool changed = k->state == S_JOINING || a->epoch != k->epoch;
    k->epoch = a->epoch;
    if (a->interval_ms > 0) k->interval_ms = a->interval_ms;
    if (k->state == S_JOINING) {
        k->state = S_MEMBER;
        klog(lg(k), KFK_LOG_INFO, "kip848", "%s: joined as %s epoch %d", k->g->group_id,
             k->member_id, (int)k->epoch);
    }
    if (changed) kgroup_set_member(k->g, k->member_id, k->epoch);
    k->backoff_n = 0;
    arm(k, &k->hb_timer, k->interval_ms);
    if (a->has_target) {
        /* A target like the last one (the broker repeats it after a full
         * heartbeat) is no new rebalance, as Java's LocalAssignment.updateWith. */
        bool same = !k->first_target && k848_target_equal(&k->target, &a->target);
        k848_target_free(&k->target);
        k->target = a->target;
        a->target = (k848_target){0};
        k->target_pending = true;
        if (!same) k->target_new = true;
    }
    reconcile(k);
}

static void answered(k848 *k, k848_answer *a)
{
    kfk_err code = a->code ? (kfk_err)a->code : KFK_OK;
    if (!code && !a->err) {
        answered_ok(k, a);
        return;
    }
    switch (code ? code : a->err) {
    case KFK_ERR_FENCED_MEMBER_EPOCH:
    case KFK_ERR_UNKNOWN_MEMBER_ID:
        fenced(k, (int16_t)code);
        return;
    case KFK_ERR_DESTROYED:
        return;
    case KFK_ERR_UNSUPPORTED_VERSION: /* an answer, or not advertised at all */
    case KFK_ERR_NO_COMMON_VERSION:
        fatal(k, KFK_ERR_UNSUPPORTED,
              "the cluster does not serve ConsumerGroupHeartbeat, which group.protocol=consumer "
              "(KIP-848) needs: it is served from Kafka 4.0 on (a preview before); use "
              "group.protocol=classic with this cluster");
        return;
    case KFK_ERR_GROUP_AUTHORIZATION_FAILED:
    case KFK_ERR_FENCED_INSTANCE_ID:
    case KFK_ERR_UNRELEASED_INSTANCE_ID:
    case KFK_ERR_UNSUPPORTED_ASSIGNOR:
    case KFK_ERR_GROUP_MAX_SIZE_REACHED:
    case KFK_ERR_INVALID_REQUEST:
    case KFK_ERR_INVALID_REGULAR_EXPRESSION:
    case KFK_ERR_INCONSISTENT_GROUP_PROTOCOL:
        fatal(k, code, a->message);
        return;
    default:
        /* Timeouts, lost connections, coordinator moves the call gave up
         * on, TOPIC_AUTHORIZATION_FAILED: try again with every field, as
         * the broker may have missed what this one carried. */
        klog(lg(k), KFK_LOG_WARNING, "kip848", "%s: heartbeat failed: %s%s%s", k->g->group_id,
             kfk_err_name(code ? code : a->err), a->message ? ": " : "",
             a->message ? a->message : "");
        k->sent.valid = false;
        retry_later(k);
        return;
    }
}

static void answer_task(ktask *t)
{
    k848 *k = container_of(t, k848, answer_task);
    /* Take the answer out first: handling it may send the next heartbeat,
     * whose completion writes k->ans on an I/O thread. */
    k848_answer ans = k->ans, *a = &ans;
    k->ans = (k848_answer){0};
    bool was_leave = k->inflight_leave;
    k->inflight = false;
    k->inflight_leave = false;
    if (was_leave) {
        if (a->code || a->err)
            klog(lg(k), KFK_LOG_DEBUG, "kip848", "%s: leave answered %s", k->g->group_id,
                 kfk_err_name(a->code ? a->code : a->err));
        answer_clear(a);
        left(k);
        return;
    }
    if (k->state == S_LEAVING) {
        /* A heartbeat was in flight when leave came: now the leave. */
        if (!a->code && !a->err && a->member_id && strcmp(a->member_id, k->member_id) != 0) {
            free(k->member_id);
            k->member_id = a->member_id;
            a->member_id = NULL;
        }
        answer_clear(a);
        send_heartbeat(k);
        return;
    }
    if (k->state == S_JOINING || k->state == S_MEMBER) answered(k, a);
    answer_clear(a);
    if (k->send_now && (k->state == S_JOINING || k->state == S_MEMBER)) send_heartbeat(k);
}

/* --- the protocol's entries (kfk-bg) -------------------------------------------------------- */

static int p_init(kgroup *g)
{
    k848 *k = calloc(1, sizeof(*k));
    if (!k) return -1;
    k->member_id = malloc(23);
    if (!k->member_id) {
        free(k);
        return -1;
    }
    k848_member_id(k->member_id);
    k->g = g;
    k->client = g->client;
    k->bg = kclient_bg_loop(g->client);
    k->state = S_IDLE;
    k->interval_ms = g->heartbeat_interval_ms > 0 ? g->heartbeat_interval_ms : 3000;
    ktimer_init(&k->hb_timer, hb_timer_fn);
    ktimer_init(&k->resolve_timer, resolve_timer_fn);
    g->proto_state = k;
    return 0;
}

static void p_subscription_changed(kgroup *g)
{
    k848 *k = of(g);
    switch (k->state) {
    case S_IDLE:
    case S_STALE:
        if (subscribed(g)) join(k);
        return;
    case S_LEAVING:
        k->rejoin = subscribed(g);
        return;
    case S_JOINING:
        /* Nothing to join with (the broker refuses an empty join). */
        if (!subscribed(g) && !k->inflight) {
            k->state = S_IDLE;
            kloop_timer_disarm(k->bg, &k->hb_timer);
            return;
        }
        send_heartbeat(k);
        return;
    case S_MEMBER: {
        k848_sub sub = current_sub(k);
        k848_fields f = k848_fields_for(&k->sent, &sub, false);
        if (f.topics || f.regex) send_heartbeat(k);
        /* A topic the target named may have just appeared in metadata. */
        reconcile(k);
        return;
    }
    case S_FATAL:
        return;
    }
}

static void p_revoke_done(kgroup *g)
{
    k848 *k = of(g);
    if (!k->revoking) return;
    k->revoking = false;
    ktplist_clear(&k->revoking_parts);
    k->owned_ver++;
    if (k->state != S_MEMBER) return;
    reconcile(k);
    /* Acknowledge the revocation even when nothing is added. */
    if (k->owned_ver != k->sent.owned_ver) send_heartbeat(k);
}

static void p_leave(kgroup *g)
{
    k848 *k = of(g);
    if (k->state == S_LEAVING && !k->stale_leave) return;
    if (k->state == S_IDLE || k->state == S_STALE || k->state == S_FATAL || !k->ever_sent) {
        kloop_timer_disarm(k->bg, &k->hb_timer);
        kloop_timer_disarm(k->bg, &k->resolve_timer);
        k->state = S_IDLE;
        kgroup_left(g);
        return;
    }
    /* A static member leaves with -2: the broker keeps its assignment
     * for session.timeout.ms so that a restart gets it back. */
    begin_leave(k, g->instance_id ? K848_LEAVE_STATIC_EPOCH : K848_LEAVE_EPOCH, false);
}

static void p_poll_timeout(kgroup *g)
{
    k848 *k = of(g);
    if (k->state != S_MEMBER && k->state != S_JOINING) return;
    klog(lg(k), KFK_LOG_WARNING, "kip848",
         "%s: max.poll.interval.ms passed without a poll: leaving the group", g->group_id);
    lose_all(k);
    if (!k->ever_sent) {
        k->state = S_STALE;
        return;
    }
    /* -1 even for a static member: the point is to let the group move on. */
    begin_leave(k, K848_LEAVE_EPOCH, true);
}

static void p_destroy(kgroup *g)
{
    k848 *k = of(g);
    if (!k) return;
    answer_clear(&k->ans);
    karena_free(&k->req_arena);
    k848_sent_free(&k->sent);
    k848_target_free(&k->target);
    ktplist_free(&k->revoking_parts);
    for (int i = 0; i < k->n_ids; i++)
        free(k->ids[i].name);
    free(k->ids);
    if (k->lookup_ref) kmeta_topic_unref(k->lookup_ref);
    free(k->member_id);
    free(k);
    g->proto_state = NULL;
}

const kgroup_proto kgroup_consumer = {
    .name = "consumer",
    .init = p_init,
    .subscription_changed = p_subscription_changed,
    .revoke_done = p_revoke_done,
    .leave = p_leave,
    .poll_timeout = p_poll_timeout,
    .destroy = p_destroy,
    .stale_commit_err = KFK_ERR_STALE_MEMBER_EPOCH,
};
