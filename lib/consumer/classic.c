/* The classic group protocol's state machine, on kfk-bg:
 *
 *   IDLE --subscribe--> [REVOKING] --revoke_done--> JOINING --JoinGroup-->
 *   SYNCING --SyncGroup--> STABLE --Heartbeat: REBALANCE_IN_PROGRESS,
 *   subscription or partition count changed--> [REVOKING] --> JOINING ...
 *
 * Eager assignors give everything up (REVOKED, then revoke_done) before
 * each JoinGroup; under the cooperative protocol (KIP-429, when every
 * assignor of partition.assignment.strategy is cooperative, as Java
 * decides) a member keeps its partitions while rejoining, gives up only
 * what the new assignment takes away, and rejoins once more when it gave
 * up anything so the partitions can move on. UNKNOWN_MEMBER_ID and
 * ILLEGAL_GENERATION lose the partitions (LOST) and join anew;
 * FENCED_INSTANCE_ID and the like are fatal. Static members (KIP-345,
 * group.instance.id) do not send LeaveGroup, as in Java.
 *
 * kcall completions copy what they need on their I/O thread and post a
 * task; all state changes happen here. The data the calls need is in
 * classic_join.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/err.h"
#include "base/time.h"
#include "consumer/classic_int.h"

static void start_join(classic *cl);
static void go_sync(classic *cl);

#define LOG(cl, lvl, ...) klog(kclient_log((cl)->g->client), lvl, "group", __VA_ARGS__)

static kloop *bg(classic *cl)
{
    return kclient_bg_loop(cl->g->client);
}

/* kcall checks: coordinator errors retry inside the call (it looks the
 * coordinator up again); every other answer goes to the state machine. */
static kfk_err join_check(kcall *call, void *resp)
{
    (void)call;
    kfk_err e = ((kp_join_group_response *)resp)->error_code;
    return kcoordinator_error(e) ? e : KFK_OK;
}

static kfk_err sync_check(kcall *call, void *resp)
{
    (void)call;
    kfk_err e = ((kp_sync_group_response *)resp)->error_code;
    return kcoordinator_error(e) ? e : KFK_OK;
}

static kfk_err hb_check(kcall *call, void *resp)
{
    (void)call;
    kfk_err e = ((kp_heartbeat_response *)resp)->error_code;
    return kcoordinator_error(e) ? e : KFK_OK;
}

static kfk_err leave_check(kcall *call, void *resp)
{
    (void)call;
    kfk_err e = ((kp_leave_group_response *)resp)->error_code;
    return kcoordinator_error(e) ? e : KFK_OK;
}

static void coordinator_call(classic *cl, kcall *call, int timeout_ms)
{
    call->route = KROUTE_COORDINATOR;
    call->coord_type = 0;
    call->coord_key = cl->g->group_id;
    call->deadline_ns = kclient_deadline(timeout_ms);
    kcall_start(cl->g->client, call);
}

static void post(classic *cl, ktask *t)
{
    /* Fails only while the client is being destroyed: nothing to do then. */
    (void)kloop_post(bg(cl), t);
}

/* --- member state ----------------------------------------------------------------------- */

/* Requests in flight (JoinGroup, SyncGroup, LeaveGroup, and their
 * retries) point at the member id: a replaced one is kept until destroy.
 * Member ids change a few times in a member's life. */
static void set_member_id(classic *cl, const char *id)
{
    if (!id) id = "";
    if (strcmp(id, cl->member_id) == 0) return;
    char *c = strdup(id);
    char **old = realloc(cl->old_ids, (size_t)(cl->n_old_ids + 1) * sizeof(*old));
    if (!c || !old) {
        free(c);
        if (old) cl->old_ids = old;
        return;
    }
    cl->old_ids = old;
    cl->old_ids[cl->n_old_ids++] = cl->member_id;
    cl->member_id = c;
}

/* Forgets the generation (and the member id when forget_id): the next
 * JoinGroup starts over. */
static void reset_member(classic *cl, bool forget_id)
{
    cl->generation = -1;
    cl->leader = false;
    if (forget_id) set_member_id(cl, "");
    kgroup_set_member(cl->g, cl->member_id, -1);
}

static ktplist copy_list(const ktplist *l)
{
    ktplist c = {0};
    for (int i = 0; i < l->n; i++)
        if (ktplist_add(&c, l->v[i].topic, l->v[i].partition)) break;
    return c;
}

static void lose_all(classic *cl)
{
    ktplist all = copy_list(kgroup_owned(cl->g));
    kgroup_lost(cl->g, &all);
    ktplist_free(&all);
}

static void fatal(classic *cl, kfk_err err, const char *what)
{
    char why[160];
    snprintf(why, sizeof(why), "%s: %s", what, kfk_err_str(err));
    cl->state = CS_FATAL;
    kloop_timer_disarm(bg(cl), &cl->hb_timer);
    kloop_timer_disarm(bg(cl), &cl->join_timer);
    lose_all(cl);
    kgroup_fatal(cl->g, err, why);
}

/* Errors after which joining again cannot help. */
static bool fatal_error(kfk_err e)
{
    switch (e) {
    case KFK_ERR_FENCED_INSTANCE_ID:
    case KFK_ERR_GROUP_AUTHORIZATION_FAILED:
    case KFK_ERR_INVALID_SESSION_TIMEOUT:
    case KFK_ERR_INCONSISTENT_GROUP_PROTOCOL:
    case KFK_ERR_GROUP_MAX_SIZE_REACHED:
    case KFK_ERR_INVALID_GROUP_ID:
    case KFK_ERR_UNSUPPORTED_VERSION:
    case KFK_ERR_UNRELEASED_INSTANCE_ID:
    case KFK_ERR_NO_COMMON_VERSION:
        return true;
    default:
        return false;
    }
}

static void arm_join_timer(classic *cl, int64_t ms)
{
    kloop_timer_arm(bg(cl), &cl->join_timer, ktime_mono_ns() + ms * 1000000);
}

/* Coordinator moves, timeouts, lost connections (the client's own codes,
 * -100 and below): tried again quietly. */
static bool quietly_retried(kfk_err e)
{
    return e <= KFK_ERR_NO_MEMORY || kerr_retriable(e) || e == KFK_ERR_REBALANCE_IN_PROGRESS;
}

/* A JoinGroup or SyncGroup error that is neither retriable nor fatal nor
 * handled by name (UNKNOWN_SERVER_ERROR, INVALID_REQUEST, ...). Java's
 * poll throws it and its next poll tries again. Here poll hands it out
 * (topic "", partition -1) and error_cb hears it, once for each run of
 * one error, and the member joins again after a backoff that doubles up
 * to retry.backoff.max.ms: a broker that keeps refusing is neither
 * hammered nor silent. */
static void unexpected_error(classic *cl, kfk_err e, const char *api)
{
    kgroup *g = cl->g;
    if (e != cl->odd_err) {
        cl->odd_err = e;
        kclient_error(g->client, e, "group \"%s\": %s failed: %s; joining again", g->group_id, api,
                      kfk_err_str(e));
        kconsumer_post_error(g->consumer, e);
    }
    int64_t ms = g->retry_backoff_ms;
    for (int i = 0; i < cl->odd_runs && ms < g->retry_backoff_max_ms; i++)
        ms *= 2;
    if (ms > g->retry_backoff_max_ms) ms = g->retry_backoff_max_ms;
    if (cl->odd_runs < 30) cl->odd_runs++;
    cl->state = CS_JOINING;
    arm_join_timer(cl, ms);
}

/* --- rejoining ------------------------------------------------------------------------------- */

/* What to give up before joining: everything (eager), or what the
 * subscription no longer covers (cooperative, as Java's onJoinPrepare). */
static ktplist to_give_up(classic *cl)
{
    const ktplist *owned = kgroup_owned(cl->g);
    if (cl->eager) return copy_list(owned);
    const ktplist *topics = kgroup_topics(cl->g);
    ktplist out = {0};
    for (int i = 0; i < owned->n; i++) {
        bool kept = false;
        for (int k = 0; k < topics->n && !kept; k++)
            kept = strcmp(topics->v[k].topic, owned->v[i].topic) == 0;
        if (!kept) ktplist_add(&out, owned->v[i].topic, owned->v[i].partition);
    }
    return out;
}

static void rejoin(classic *cl, const char *why)
{
    switch (cl->state) {
    case CS_FATAL:
    case CS_REVOKING: /* the join that follows will carry the news */
        return;
    case CS_LEAVING:
    case CS_JOINING:
    case CS_SYNCING:
        cl->rejoin = true;
        return;
    case CS_IDLE:
    case CS_STABLE:
        break;
    }
    /* KIP-429: partitions being given up stay out of every assignment
     * until the application let go of them; revoke_done rejoins. */
    if (cl->after == AR_JOIN) return;
    LOG(cl, KFK_LOG_INFO, "group \"%s\": joining (%s)", cl->g->group_id, why);
    cl->join_reason = why; /* JoinGroup v8+ tells the coordinator (KIP-800) */
    cl->rejoin = false;
    ktplist give = to_give_up(cl);
    if (give.n > 0) {
        cl->state = CS_REVOKING;
        cl->after = AR_JOIN;
        kgroup_revoke(cl->g, &give);
        ktplist_free(&give);
        return;
    }
    ktplist_free(&give);
    start_join(cl);
}

/* --- JoinGroup ------------------------------------------------------------------------------- */

/* What JoinGroup and SyncGroup answers share: the coordinator forgot this
 * member or its generation (the partitions are lost: join afresh), the
 * client is going away, or a fatal error. False for anything else. */
static bool membership_error(classic *cl, kfk_err e, const char *api)
{
    switch (e) {
    case KFK_ERR_UNKNOWN_MEMBER_ID:
    case KFK_ERR_ILLEGAL_GENERATION:
        lose_all(cl);
        reset_member(cl, e == KFK_ERR_UNKNOWN_MEMBER_ID);
        start_join(cl);
        return true;
    case KFK_ERR_DESTROYED:
        return true;
    default:
        if (!fatal_error(e)) return false;
        fatal(cl, e, api);
        return true;
    }
}

static void join_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    classic *cl = call->opaque;
    const kp_join_group_response *r = resp;
    if (!err && r) err = r->error_code;
    if (r && (!err || err == KFK_ERR_MEMBER_ID_REQUIRED)) {
        kfk_err cerr = classic_copy_join(cl, r);
        if (cerr) err = cerr;
    }
    cl->join_err = err;
    post(cl, &cl->join_task);
}

static void start_join(classic *cl)
{
    kloop_timer_disarm(bg(cl), &cl->join_timer);
    /* Heartbeats go on while the application gives partitions up (as
     * Java's do until JoinGroup), so a slow REVOKED callback keeps the
     * session; JoinGroup itself stands for one. */
    kloop_timer_disarm(bg(cl), &cl->hb_timer);
    cl->state = CS_JOINING;
    /* One in flight: send anew once it answers (a SyncGroup's body points
     * into the last JoinGroup's answer, which a new one replaces). */
    if (cl->join_busy || cl->sync_busy) {
        cl->rejoin = true;
        return;
    }
    if (classic_build_join(cl)) {
        fatal(cl, KFK_ERR_NO_MEMORY, "building JoinGroup");
        return;
    }
    cl->join_req.reason = kwire_cstr(cl->join_reason ? cl->join_reason : "joining");
    cl->join_busy = true;
    cl->rejoin = false;
    cl->leader_waits = 0;
    kgroup *g = cl->g;
    kcall_init(&cl->join_call, &kp_join_group_client, &cl->join_req, join_done, cl);
    cl->join_call.min_version = 4; /* KIP-394 member ids; every broker since 2.2 */
    cl->join_call.check = join_check;
    /* The coordinator holds JoinGroup until every member joined, up to the
     * rebalance timeout (max.poll.interval.ms), as Java allows for. */
    cl->join_call.attempt_timeout_ms = (int64_t)g->max_poll_interval_ms + 5000;
    coordinator_call(cl, &cl->join_call, g->max_poll_interval_ms + 5000 + g->request_timeout_ms);
}

static void join_finish(ktask *t)
{
    classic *cl = container_of(t, classic, join_task);
    cl->join_busy = false;
    if (cl->state != CS_JOINING) return; /* left meanwhile */
    kfk_err e = cl->join_err;
    join_result *j = &cl->join_res;
    if (cl->rejoin) { /* the subscription changed while it was in flight */
        /* Join again as the member the coordinator knows now: a broker
         * before KIP-394 (or a static member's first join) admits a member
         * without MEMBER_ID_REQUIRED, and a join with no id would leave
         * that one behind until its session ends. */
        if ((e == KFK_OK || e == KFK_ERR_MEMBER_ID_REQUIRED) && j->member_id.len)
            set_member_id(cl, (const char *)j->member_id.ptr);
        start_join(cl);
        return;
    }
    switch (e) {
    case KFK_OK:
        set_member_id(cl, (const char *)j->member_id.ptr);
        cl->generation = j->generation;
        free(cl->protocol);
        cl->protocol = strdup((const char *)j->protocol.ptr);
        cl->leader = strcmp((const char *)j->leader.ptr, cl->member_id) == 0;
        kgroup_set_member(cl->g, cl->member_id, cl->generation);
        LOG(cl, KFK_LOG_INFO, "group \"%s\": joined generation %d as %s%s, assignor %s",
            cl->g->group_id, (int)cl->generation, cl->member_id, cl->leader ? " (leader)" : "",
            cl->protocol ? cl->protocol : "?");
        cl->state = CS_SYNCING;
        go_sync(cl);
        return;
    case KFK_ERR_MEMBER_ID_REQUIRED: /* KIP-394: join again with the id given */
        set_member_id(cl, (const char *)j->member_id.ptr);
        start_join(cl);
        return;
    default:
        if (membership_error(cl, e, "JoinGroup")) return;
        if (!quietly_retried(e)) {
            unexpected_error(cl, e, "JoinGroup");
            return;
        }
        LOG(cl, KFK_LOG_INFO, "group \"%s\": JoinGroup: %s; retrying", cl->g->group_id,
            kfk_err_str(e));
        arm_join_timer(cl, cl->g->retry_backoff_ms);
    }
}

/* --- SyncGroup ------------------------------------------------------------------------------- */

static void sync_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    classic *cl = call->opaque;
    const kp_sync_group_response *r = resp;
    if (!err && r) err = r->error_code;
    kbuf_reset(&cl->sync_res);
    if (!err && r->assignment.len &&
        kbuf_append(&cl->sync_res, r->assignment.ptr, r->assignment.len))
        err = KFK_ERR_NO_MEMORY;
    cl->sync_err = err;
    post(cl, &cl->sync_task);
}

static void go_sync(classic *cl)
{
    if (cl->sync_busy) { /* the last generation's answer is still coming */
        arm_join_timer(cl, cl->g->retry_backoff_ms);
        return;
    }
    kgroup *g = cl->g;
    for (int i = 0; i < cl->n_sync_bufs; i++)
        kbuf_free(&cl->sync_bufs[i]);
    free(cl->sync_bufs);
    free(cl->sync_assign);
    cl->sync_bufs = NULL;
    cl->sync_assign = NULL;
    cl->n_sync_bufs = 0;
    kp_sync_group_request *q = &cl->sync_req;
    kp_sync_group_request_init(q);
    q->group_id = kwire_cstr(g->group_id);
    q->generation_id = cl->generation;
    q->member_id = kwire_cstr(cl->member_id);
    q->group_instance_id = g->instance_id ? kwire_cstr(g->instance_id) : (kslice){0};
    q->protocol_type = kwire_cstr(KC_PROTOCOL_TYPE);
    q->protocol_name = kwire_cstr(cl->protocol ? cl->protocol : "");
    if (cl->leader && !cl->join_res.skip_assignment) {
        int r = classic_leader_assign(cl);
        if (r == 0) return; /* waiting for metadata: join_timer comes back here */
        if (r != 1) {
            fatal(cl, (kfk_err)r, "assigning partitions as the group leader");
            return;
        }
    }
    cl->sync_busy = true;
    kcall_init(&cl->sync_call, &kp_sync_group_client, q, sync_done, cl);
    cl->sync_call.check = sync_check;
    cl->sync_call.attempt_timeout_ms = (int64_t)g->max_poll_interval_ms + 5000;
    coordinator_call(cl, &cl->sync_call, g->max_poll_interval_ms + 5000 + g->request_timeout_ms);
}

static void hb_arm(classic *cl, int64_t ms);

static void sync_finish(ktask *t)
{
    classic *cl = container_of(t, classic, sync_task);
    cl->sync_busy = false;
    if (cl->state != CS_SYNCING) {
        if (cl->state == CS_JOINING && cl->rejoin && !cl->join_busy) start_join(cl);
        return;
    }
    kfk_err e = cl->sync_err;
    switch (e) {
    case KFK_OK: {
        int r = classic_take_assignment(cl);
        cl->state = CS_STABLE;
        cl->odd_err = KFK_OK;
        cl->odd_runs = 0;
        hb_arm(cl, cl->g->heartbeat_interval_ms);
        if (r < 0) {
            LOG(cl, KFK_LOG_WARNING, "group \"%s\": assignment unreadable; rejoining",
                cl->g->group_id);
            rejoin(cl, "unreadable assignment");
        } else if (r == 1) {
            cl->after = AR_JOIN; /* KIP-429: once the revocation is done */
        } else if (cl->rejoin) {
            rejoin(cl, "the subscription changed during the rebalance");
        }
        return;
    }
    case KFK_ERR_REBALANCE_IN_PROGRESS:
        start_join(cl);
        return;
    default:
        if (membership_error(cl, e, "SyncGroup")) return;
        if (!quietly_retried(e)) {
            unexpected_error(cl, e, "SyncGroup");
            return;
        }
        LOG(cl, KFK_LOG_INFO, "group \"%s\": SyncGroup: %s; joining again", cl->g->group_id,
            kfk_err_str(e));
        cl->state = CS_JOINING;
        arm_join_timer(cl, cl->g->retry_backoff_ms);
    }
}

static void join_timer_fired(ktimer *t)
{
    classic *cl = container_of(t, classic, join_timer);
    if (cl->state == CS_JOINING && !cl->join_busy)
        start_join(cl);
    else if (cl->state == CS_SYNCING && !cl->sync_busy)
        go_sync(cl);
}

/* --- Heartbeat ---------------------------------------------------------------------------------
 */

static void hb_arm(classic *cl, int64_t ms)
{
    kloop_timer_arm(bg(cl), &cl->hb_timer, ktime_mono_ns() + ms * 1000000);
}

static void hb_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    classic *cl = call->opaque;
    const kp_heartbeat_response *r = resp;
    cl->hb_err = !err && r ? r->error_code : err;
    post(cl, &cl->hb_task);
}

static bool heartbeating(const classic *cl)
{
    return (cl->state == CS_STABLE || cl->state == CS_REVOKING) && cl->generation >= 0;
}

static void hb_fired(ktimer *t)
{
    classic *cl = container_of(t, classic, hb_timer);
    kgroup *g = cl->g;
    if (!heartbeating(cl)) return;
    /* Java's leader rejoins when a topic it assigned changed partitions. */
    uint64_t mv = atomic_load(&kclient_meta(g->client)->version);
    if (cl->leader && cl->state == CS_STABLE && mv != cl->snap_meta_version) {
        cl->snap_meta_version = mv;
        if (classic_snapshot_changed(cl)) {
            rejoin(cl, "partitions of a subscribed topic changed");
            return;
        }
    }
    if (cl->hb_busy) {
        hb_arm(cl, g->heartbeat_interval_ms);
        return;
    }
    kp_heartbeat_request *q = &cl->hb_req;
    kp_heartbeat_request_init(q);
    q->group_id = kwire_cstr(g->group_id);
    q->generation_id = cl->generation;
    /* Its own copy: a rejoin may replace the member id while it is out. */
    free(cl->hb_member_id);
    if (!(cl->hb_member_id = strdup(cl->member_id))) {
        hb_arm(cl, g->retry_backoff_ms);
        return;
    }
    q->member_id = kwire_cstr(cl->hb_member_id);
    q->group_instance_id = g->instance_id ? kwire_cstr(g->instance_id) : (kslice){0};
    cl->hb_busy = true;
    kcall_init(&cl->hb_call, &kp_heartbeat_client, q, hb_done, cl);
    cl->hb_call.check = hb_check;
    coordinator_call(cl, &cl->hb_call,
                     g->heartbeat_interval_ms > g->request_timeout_ms ? g->heartbeat_interval_ms
                                                                      : g->request_timeout_ms);
}

static void hb_finish(ktask *t)
{
    classic *cl = container_of(t, classic, hb_task);
    cl->hb_busy = false;
    /* An answer for an older generation says nothing about this one. */
    if (!heartbeating(cl) || cl->hb_req.generation_id != cl->generation) return;
    kfk_err e = cl->hb_err;
    switch (e) {
    case KFK_OK:
        hb_arm(cl, cl->g->heartbeat_interval_ms);
        return;
    case KFK_ERR_REBALANCE_IN_PROGRESS:
        if (cl->state == CS_STABLE) rejoin(cl, "the group is rebalancing");
        /* still heartbeating while a revocation runs before the join */
        if (heartbeating(cl)) hb_arm(cl, cl->g->heartbeat_interval_ms);
        return;
    case KFK_ERR_UNKNOWN_MEMBER_ID:
    case KFK_ERR_ILLEGAL_GENERATION:
        LOG(cl, KFK_LOG_INFO, "group \"%s\": %s; partitions lost, joining again", cl->g->group_id,
            kfk_err_name(e));
        lose_all(cl);
        reset_member(cl, e == KFK_ERR_UNKNOWN_MEMBER_ID);
        if (cl->state == CS_STABLE) rejoin(cl, kfk_err_name(e));
        return;
    case KFK_ERR_DESTROYED:
        return;
    default:
        if (fatal_error(e)) {
            fatal(cl, e, "Heartbeat");
            return;
        }
        hb_arm(cl, cl->g->retry_backoff_ms);
    }
}

/* --- OffsetCommit's errors ----------------------------------------------------------------------
 */

/* As Java's OffsetCommitResponseHandler: REBALANCE_IN_PROGRESS asks for a
 * rejoin; ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID for a generation that
 * is still this member's lose the partitions and rejoin at once (not at
 * the next heartbeat), or, when the member has moved on to a rebalance
 * meanwhile, fail as REBALANCE_IN_PROGRESS; FENCED_INSTANCE_ID for the
 * current generation is fatal. */
static kfk_err classic_commit_failed(kgroup *g, kfk_err err, int32_t generation)
{
    classic *cl = classic_of(g);
    bool same = generation == cl->generation; /* Java: generationUnchanged */
    bool rebalancing =
        cl->state == CS_REVOKING || cl->state == CS_JOINING || cl->state == CS_SYNCING;
    switch (err) {
    case KFK_ERR_REBALANCE_IN_PROGRESS:
        if (cl->state == CS_STABLE) rejoin(cl, "offset commit: the group is rebalancing");
        return err;
    case KFK_ERR_UNKNOWN_MEMBER_ID:
    case KFK_ERR_ILLEGAL_GENERATION:
        if (!same && rebalancing) return KFK_ERR_REBALANCE_IN_PROGRESS;
        if (cl->state == CS_FATAL || cl->state == CS_IDLE || cl->state == CS_LEAVING) return err;
        LOG(cl, KFK_LOG_WARNING,
            "group \"%s\": commit failed (%s): the group has rebalanced and the "
            "partitions may belong to another member; partitions lost, joining again",
            g->group_id, kfk_err_name(err));
        lose_all(cl);
        /* Java keeps the member id on ILLEGAL_GENERATION: it may still be valid. */
        reset_member(cl, err == KFK_ERR_UNKNOWN_MEMBER_ID);
        if (cl->state == CS_STABLE)
            rejoin(cl, kfk_err_name(err));
        else if (cl->state == CS_JOINING || cl->state == CS_SYNCING)
            start_join(cl);
        return err;
    case KFK_ERR_FENCED_INSTANCE_ID:
        if (same && cl->state != CS_FATAL) {
            fatal(cl, err, "OffsetCommit");
            return err;
        }
        /* An older generation's commit: the instance id has moved on. */
        return rebalancing ? KFK_ERR_REBALANCE_IN_PROGRESS : KFK_ERR_ILLEGAL_GENERATION;
    default:
        return err;
    }
}

/* As Java's sendOffsetCommitRequest, which commits for a subscription
 * only in a generation of its own: a member that lost its generation
 * (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, max.poll.interval.ms) fails the
 * commit unsent, REBALANCE_IN_PROGRESS while it is joining again, else
 * UNKNOWN_MEMBER_ID (Java: CommitFailedException). Sent, it would carry
 * generation -1, which the coordinator of an empty group takes. */
static kfk_err classic_commit_gate(kgroup *g)
{
    classic *cl = classic_of(g);
    if (cl->generation >= 0 || cl->state == CS_FATAL) return KFK_OK;
    switch (cl->state) {
    case CS_REVOKING:
    case CS_JOINING:
    case CS_SYNCING:
        return KFK_ERR_REBALANCE_IN_PROGRESS;
    default:
        return KFK_ERR_UNKNOWN_MEMBER_ID;
    }
}

/* --- leaving -----------------------------------------------------------------------------------
 */

static void finish_leave(classic *cl)
{
    if (cl->state != CS_FATAL) cl->state = CS_IDLE;
    reset_member(cl, true);
    kgroup_left(cl->g);
    if (cl->rejoin) rejoin(cl, "subscribed again");
}

static void leave_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)err;
    (void)resp;
    (void)arena;
    classic *cl = call->opaque;
    post(cl, &cl->leave_task);
}

static void leave_finish(ktask *t)
{
    classic *cl = container_of(t, classic, leave_task);
    cl->leave_busy = false;
    finish_leave(cl);
}

static void classic_leave(kgroup *g)
{
    classic *cl = classic_of(g);
    kloop_timer_disarm(bg(cl), &cl->hb_timer);
    kloop_timer_disarm(bg(cl), &cl->join_timer);
    cl->rejoin = false;
    cl->after = AR_NOTHING;
    bool dynamic = g->instance_id == NULL; /* KIP-345: static members stay */
    if (!dynamic || !cl->member_id[0] || cl->state == CS_FATAL || cl->leave_busy) {
        if (!cl->leave_busy) finish_leave(cl);
        return;
    }
    LOG(cl, KFK_LOG_INFO, "group \"%s\": leaving as %s", g->group_id, cl->member_id);
    cl->state = CS_LEAVING;
    cl->leave_busy = true;
    kp_leave_group_request_init(&cl->leave_req);
    kp_leave_group_request_member_identity_init(&cl->leave_member);
    cl->leave_member.member_id = kwire_cstr(cl->member_id);
    cl->leave_member.reason = kwire_cstr("the consumer is leaving the group");
    cl->leave_req.group_id = kwire_cstr(g->group_id);
    cl->leave_req.members = &cl->leave_member;
    cl->leave_req.n_members = 1;
    kcall_init(&cl->leave_call, &kp_leave_group_client, &cl->leave_req, leave_done, cl);
    cl->leave_call.min_version = 3; /* batch form (KIP-345); every broker since 2.4 */
    cl->leave_call.check = leave_check;
    coordinator_call(cl, &cl->leave_call, g->request_timeout_ms);
}

/* --- the protocol's entries
 * ----------------------------------------------------------------------- */

static void classic_subscription_changed(kgroup *g)
{
    rejoin(classic_of(g), "subscription changed");
}

static void classic_revoke_done(kgroup *g)
{
    classic *cl = classic_of(g);
    if (cl->after != AR_JOIN) return;
    cl->after = AR_NOTHING;
    if (cl->state == CS_REVOKING)
        start_join(cl);
    else if (cl->state == CS_STABLE)
        rejoin(cl, "partitions given up (cooperative)");
}

static void classic_poll_timeout(kgroup *g)
{
    classic *cl = classic_of(g);
    lose_all(cl); /* as Java: the generation is gone, so are the partitions */
    classic_leave(g);
}

static int classic_init(kgroup *g)
{
    classic *cl = calloc(1, sizeof(*cl));
    if (!cl || !(cl->member_id = strdup(""))) {
        free(cl);
        return -1;
    }
    cl->g = g;
    cl->generation = -1;
    cl->previous_generation = -1;
    cl->eager = false;
    for (int i = 0; i < g->n_strategies; i++) {
        const kc_assignor *as = kc_assignor_find(g->strategies[i]);
        if (as && as->rebalance == KC_REBALANCE_EAGER) cl->eager = true;
    }
    cl->join_task.fn = join_finish;
    cl->sync_task.fn = sync_finish;
    cl->hb_task.fn = hb_finish;
    cl->leave_task.fn = leave_finish;
    ktimer_init(&cl->join_timer, join_timer_fired);
    ktimer_init(&cl->hb_timer, hb_fired);
    g->proto_state = cl;
    return 0;
}

static void classic_destroy(kgroup *g)
{
    classic *cl = classic_of(g);
    if (!cl) return;
    classic_free_requests(cl);
    karena_free(&cl->join_arena);
    kbuf_free(&cl->sync_res);
    ktplist_free(&cl->previous);
    classic_snapshot_free(cl);
    free(cl->member_id);
    for (int i = 0; i < cl->n_old_ids; i++)
        free(cl->old_ids[i]);
    free(cl->old_ids);
    free(cl->hb_member_id);
    free(cl->protocol);
    free(cl);
    g->proto_state = NULL;
}

const kgroup_proto kgroup_classic = {
    .name = "classic",
    .init = classic_init,
    .subscription_changed = classic_subscription_changed,
    .revoke_done = classic_revoke_done,
    .leave = classic_leave,
    .poll_timeout = classic_poll_timeout,
    .destroy = classic_destroy,
    .commit_failed = classic_commit_failed,
    .commit_gate = classic_commit_gate,
    .stale_commit_err = KFK_ERR_ILLEGAL_GENERATION,
};
