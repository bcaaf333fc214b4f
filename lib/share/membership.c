/* Share group membership (KIP-932) over ShareGroupHeartbeat, on kfk-bg.
 *
 * As in KIP-848's consumer protocol the member names itself (a random
 * UUID, k848_member_id), joins with epoch 0, heartbeats with the epoch
 * the coordinator gave at the interval it gave, and leaves with -1. A
 * share group has no revocation step: the assignment in an answer is the
 * member's from then on, and several members may share a partition.
 * UNKNOWN_MEMBER_ID and FENCED_MEMBER_EPOCH make it join again with
 * epoch 0 under the same id; errors that cannot clear (no share groups
 * on the cluster, authorization) stop it and reach poll.
 *
 * The request goes out as a kcall to the group coordinator; the answer is
 * copied on the I/O thread and handled on kfk-bg, which owns the timer.
 * State is under sc->lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/kip848.h"
#include "share/share_int.h"

#define HB_BACKOFF_MAX_MS 1000

static void send_heartbeat(kfk_share_consumer *sc);

static void arm(kfk_share_consumer *sc, int64_t ms)
{
    if (kloop_timer_arm(sc->bg, &sc->hb_timer, ktime_mono_ns() + ms * KTIME_NS_PER_MS) < 0)
        klog(kclient_log(sc->client), KFK_LOG_ERR, "share", "%s: cannot arm a timer", sc->group_id);
}

static void hb_timer_fn(ktimer *t)
{
    kfk_share_consumer *sc = container_of(t, kfk_share_consumer, hb_timer);
    pthread_mutex_lock(&sc->lock);
    send_heartbeat(sc);
    pthread_mutex_unlock(&sc->lock);
}

static void hb_task_fn(ktask *t)
{
    kfk_share_consumer *sc = container_of(t, kfk_share_consumer, hb_task);
    pthread_mutex_lock(&sc->lock);
    sc->hb_task_posted = false;
    send_heartbeat(sc);
    pthread_mutex_unlock(&sc->lock);
}

void kshare_hb_kick(kfk_share_consumer *sc)
{
    if (sc->hb_task_posted) return;
    sc->hb_task.fn = hb_task_fn;
    if (kloop_post(sc->bg, &sc->hb_task) == 0) sc->hb_task_posted = true;
}

static void retry_later(kfk_share_consumer *sc)
{
    int64_t ms = sc->retry_backoff_ms > 0 ? sc->retry_backoff_ms : 100;
    for (int i = 0; i < sc->hb_failures && ms < HB_BACKOFF_MAX_MS; i++)
        ms *= 2;
    if (ms > HB_BACKOFF_MAX_MS) ms = HB_BACKOFF_MAX_MS;
    sc->hb_failures++;
    arm(sc, ms);
}

/* --- partitions ------------------------------------------------------------------- */

kshare_part *kshare_part_get(kfk_share_consumer *sc, const kuuid *id, int32_t partition)
{
    for (int i = 0; i < sc->n_parts; i++) {
        kshare_part *p = sc->parts[i];
        if (p->cp.partition == partition && !memcmp(p->topic_id.b, id->b, 16)) return p;
    }
    if (sc->n_parts == sc->cap_parts) {
        int cap = sc->cap_parts ? 2 * sc->cap_parts : 16;
        kshare_part **v = realloc(sc->parts, (size_t)cap * sizeof(*v));
        if (!v) return NULL;
        sc->parts = v;
        sc->cap_parts = cap;
    }
    kshare_part *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->cp.partition = partition;
    p->cp.last_epoch = -1;
    p->cp.leader = -1;
    p->topic_id = *id;
    p->node = -1;
    sc->parts[sc->n_parts++] = p;
    return p;
}

/* Names the assigned partitions whose topic the metadata knows now. */
static void resolve(kfk_share_consumer *sc, bool refresh)
{
    bool missing = false;
    for (int i = 0; i < sc->n_parts; i++) {
        kshare_part *p = sc->parts[i];
        if (!p->assigned || p->cp.topic) continue;
        kmeta_topic *t = kmeta_topic_by_id(kclient_meta(sc->client), &p->topic_id);
        if (t) p->cp.topic = strdup(t->name);
        if (t) kmeta_topic_unref(t);
        if (!p->cp.topic) missing = true;
    }
    if (missing && refresh) kclient_refresh(sc->client, "share group: assigned topic ids unknown");
}

static void unassign_all(kfk_share_consumer *sc)
{
    for (int i = 0; i < sc->n_parts; i++)
        sc->parts[i]->assigned = false;
}

static void apply_assignment(kfk_share_consumer *sc,
                             const kp_share_group_heartbeat_response_assignment *a)
{
    unassign_all(sc);
    for (int32_t i = 0; i < a->n_topic_partitions; i++) {
        const kp_share_group_heartbeat_response_topic_partitions *t = &a->topic_partitions[i];
        for (int32_t k = 0; k < t->n_partitions; k++) {
            kshare_part *p = kshare_part_get(sc, &t->topic_id, t->partitions[k]);
            if (p) p->assigned = true;
        }
    }
    resolve(sc, true);
    if (klog_enabled(kclient_log(sc->client), KFK_LOG_DEBUG)) {
        char parts[256] = "";
        size_t len = 0;
        for (int i = 0; i < sc->n_parts && len < sizeof(parts) - 16; i++)
            if (sc->parts[i]->assigned)
                len += (size_t)snprintf(parts + len, sizeof(parts) - len, " %s[%d]",
                                        sc->parts[i]->cp.topic ? sc->parts[i]->cp.topic : "?",
                                        (int)sc->parts[i]->cp.partition);
        klog(kclient_log(sc->client), KFK_LOG_DEBUG, "share", "%s: member %s epoch %d assigned%s",
             sc->group_id, sc->member_id, (int)sc->epoch, parts);
    }
}

/* --- the request --------------------------------------------------------------------- */

static kfk_err hb_check(kcall *call, void *resp)
{
    (void)call;
    const kp_share_group_heartbeat_response *r = resp;
    return kcoordinator_error(r->error_code) ? (kfk_err)r->error_code : KFK_OK;
}

static kslice arena_str(karena *a, const char *s, size_t len)
{
    char *p = karena_alloc(a, len + 1);
    if (!p) return (kslice){0};
    memcpy(p, s, len);
    p[len] = '\0';
    return (kslice){(const uint8_t *)p, len};
}

/* Copies the answer into sc->ans (its arrays in ans_arena). */
static void copy_answer(kfk_share_consumer *sc, const kp_share_group_heartbeat_response *r)
{
    karena *a = &sc->ans_arena;
    karena_reset(a);
    sc->ans = *r;
    sc->ans.assignment = NULL;
    sc->ans.member_id = (kslice){0};
    sc->ans.error_message = (kslice){0};
    if (r->error_message.ptr)
        sc->ans.error_message =
            arena_str(a, (const char *)r->error_message.ptr, r->error_message.len);
    sc->ans_has_assignment = r->assignment != NULL;
    if (!r->assignment) return;
    kp_share_group_heartbeat_response_assignment *as = karena_alloc(a, sizeof(*as));
    int32_t nt = r->assignment->n_topic_partitions;
    kp_share_group_heartbeat_response_topic_partitions *tp =
        as ? karena_alloc(a, (size_t)(nt > 0 ? nt : 1) * sizeof(*tp)) : NULL;
    if (!tp) {
        sc->ans_has_assignment = false;
        return;
    }
    for (int32_t i = 0; i < nt; i++) {
        const kp_share_group_heartbeat_response_topic_partitions *s =
            &r->assignment->topic_partitions[i];
        tp[i] = *s;
        tp[i].partitions = karena_alloc(a, (size_t)(s->n_partitions + 1) * sizeof(int32_t));
        if (!tp[i].partitions) {
            sc->ans_has_assignment = false;
            return;
        }
        memcpy(tp[i].partitions, s->partitions, (size_t)s->n_partitions * sizeof(int32_t));
    }
    as->topic_partitions = tp;
    as->n_topic_partitions = nt;
    sc->ans.assignment = as;
}

static void ans_task_fn(ktask *t);

/* I/O thread (or kfk-bg, or kclient_destroy). */
static void hb_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kfk_share_consumer *sc = call->opaque;
    pthread_mutex_lock(&sc->lock);
    sc->ans_err = err;
    kp_share_group_heartbeat_response_init(&sc->ans);
    sc->ans_has_assignment = false;
    if (resp) copy_answer(sc, resp);
    sc->ans_task.fn = ans_task_fn;
    if (kloop_post(sc->bg, &sc->ans_task) < 0) {
        sc->hb_inflight = false; /* destroying */
        pthread_cond_broadcast(&sc->cond);
    }
    pthread_mutex_unlock(&sc->lock);
}

static int build(kfk_share_consumer *sc, bool leave)
{
    karena_reset(&sc->hb_arena);
    kp_share_group_heartbeat_request *r = &sc->hb_req;
    kp_share_group_heartbeat_request_init(r);
    r->group_id = kwire_cstr(sc->group_id);
    r->member_id = kwire_cstr(sc->member_id);
    r->member_epoch = leave ? K848_LEAVE_EPOCH : sc->epoch;
    if (leave) return 0;
    if (sc->rack) r->rack_id = kwire_cstr(sc->rack);
    r->subscribed_topic_names =
        karena_alloc(&sc->hb_arena, (sc->n_topics ? sc->n_topics : 1) * sizeof(kslice));
    if (!r->subscribed_topic_names) return -1;
    r->n_subscribed_topic_names = 0; /* init makes it null (-1) */
    for (size_t i = 0; i < sc->n_topics; i++) {
        kslice s = arena_str(&sc->hb_arena, sc->topics[i], strlen(sc->topics[i]));
        if (!s.ptr) return -1;
        r->subscribed_topic_names[r->n_subscribed_topic_names++] = s;
    }
    return 0;
}

/* Sends the heartbeat the state asks for (kfk-bg, lock held). */
static void send_heartbeat(kfk_share_consumer *sc)
{
    if (sc->hb_inflight) {
        sc->hb_again = true;
        return;
    }
    sc->hb_again = false;
    kloop_timer_disarm(sc->bg, &sc->hb_timer);
    bool leave = sc->state == KSHARE_LEAVING;
    if (sc->state != KSHARE_JOINING && sc->state != KSHARE_MEMBER && !leave) return;
    if (build(sc, leave)) {
        retry_later(sc);
        return;
    }
    kcall *c = &sc->hb_call;
    kcall_init(c, &kp_share_group_heartbeat_client, &sc->hb_req, hb_done, sc);
    c->route = KROUTE_COORDINATOR;
    c->coord_type = 0;
    c->coord_key = sc->group_id;
    c->check = hb_check;
    c->deadline_ns = kclient_deadline((int)sc->request_timeout_ms);
    sc->hb_inflight = true;
    sc->hb_leave = leave;
    kcall_start(sc->client, c);
}

/* --- answers ------------------------------------------------------------------------------ */

static void stop(kfk_share_consumer *sc, kfk_err err, const char *why)
{
    sc->group_err = err;
    free(sc->group_err_msg);
    sc->group_err_msg = strdup(why);
    sc->state = KSHARE_IDLE;
    sc->epoch = 0;
    unassign_all(sc);
    klog(kclient_log(sc->client), KFK_LOG_ERR, "share", "%s: %s", sc->group_id, why);
    kwakefd_signal(&sc->wake);
    pthread_cond_broadcast(&sc->cond);
}

static bool fatal_code(int16_t code)
{
    switch (code) {
    case KFK_ERR_GROUP_AUTHORIZATION_FAILED:
    case KFK_ERR_TOPIC_AUTHORIZATION_FAILED:
    case KFK_ERR_INVALID_REQUEST:
    case KFK_ERR_GROUP_MAX_SIZE_REACHED:
    case KFK_ERR_INCONSISTENT_GROUP_PROTOCOL:
    case KFK_ERR_GROUP_ID_NOT_FOUND:
        return true;
    default:
        return false;
    }
}

static void answered(kfk_share_consumer *sc)
{
    const kp_share_group_heartbeat_response *r = &sc->ans;
    char why[512];
    int16_t code = sc->ans_err ? 0 : r->error_code;
    kfk_err e = code ? (kfk_err)code : sc->ans_err;
    if (e == KFK_ERR_DESTROYED) return;
    /* UNSUPPORTED_VERSION: an answer, or the API not advertised at all */
    if (e == KFK_ERR_UNSUPPORTED_VERSION || e == KFK_ERR_NO_COMMON_VERSION ||
        e == KFK_ERR_UNSUPPORTED) {
        stop(sc, KFK_ERR_UNSUPPORTED,
             "the cluster does not serve share groups (ShareGroupHeartbeat, KIP-932: Kafka 4.0 "
             "and later, with the share.version feature enabled)");
        return;
    }
    if (sc->ans_err) {
        retry_later(sc);
        return;
    }
    if (code == KFK_ERR_UNKNOWN_MEMBER_ID || code == KFK_ERR_FENCED_MEMBER_EPOCH) {
        sc->epoch = 0;
        sc->state = KSHARE_JOINING;
        unassign_all(sc);
        arm(sc, 0);
        return;
    }
    if (fatal_code(code)) {
        snprintf(why, sizeof(why), "ShareGroupHeartbeat: %s%s%.*s", kfk_err_name((kfk_err)code),
                 r->error_message.ptr ? ": " : "", (int)r->error_message.len,
                 r->error_message.ptr ? (const char *)r->error_message.ptr : "");
        stop(sc, (kfk_err)code, why);
        return;
    }
    if (code) {
        retry_later(sc);
        return;
    }
    sc->hb_failures = 0;
    sc->epoch = r->member_epoch;
    sc->state = KSHARE_MEMBER;
    if (r->heartbeat_interval_ms > 0) sc->interval_ms = r->heartbeat_interval_ms;
    if (sc->ans_has_assignment) apply_assignment(sc, r->assignment);
    pthread_cond_broadcast(&sc->cond);
    arm(sc, sc->interval_ms);
}

static void ans_task_fn(ktask *t)
{
    kfk_share_consumer *sc = container_of(t, kfk_share_consumer, ans_task);
    pthread_mutex_lock(&sc->lock);
    sc->hb_inflight = false;
    if (sc->hb_leave) {
        sc->epoch = 0;
        unassign_all(sc);
        sc->state = sc->closed ? KSHARE_LEFT : sc->n_topics ? KSHARE_JOINING : KSHARE_IDLE;
        if (sc->state == KSHARE_JOINING) sc->hb_again = true;
    } else if (sc->state == KSHARE_JOINING || sc->state == KSHARE_MEMBER) {
        answered(sc);
    }
    /* else a leave came while this heartbeat was out: hb_again sends it */
    if (sc->hb_again) send_heartbeat(sc);
    pthread_cond_broadcast(&sc->cond);
    pthread_mutex_unlock(&sc->lock);
}

void kshare_resolve(kfk_share_consumer *sc)
{
    resolve(sc, false);
}

void kshare_membership_init(kfk_share_consumer *sc)
{
    k848_member_id(sc->member_id);
    sc->state = KSHARE_IDLE;
    sc->interval_ms = 5000;
    ktimer_init(&sc->hb_timer, hb_timer_fn);
}

void kshare_membership_free(kfk_share_consumer *sc)
{
    karena_free(&sc->hb_arena);
    karena_free(&sc->ans_arena);
    for (size_t i = 0; i < sc->n_topics; i++)
        free(sc->topics[i]);
    free(sc->topics);
    free(sc->group_err_msg);
}
