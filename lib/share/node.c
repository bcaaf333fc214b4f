/* One leader's share session (KIP-932): ShareFetch and ShareAcknowledge,
 * one request in flight at a time so that session epochs go out in
 * order (0 opens the session, then 1, 2, ...; -1 closes it).
 *
 * A request names the partitions the session gains, those with
 * acknowledgements to carry, and (incremental requests) forgets those the
 * member no longer fetches from this leader. The calls are kcalls to the
 * broker; they complete on its I/O thread, where the answer is applied
 * under sc->lock. A failed request or a session error loses the session:
 * the broker released its records (or will, at their lock timeout), the
 * acknowledgements it carried are reported failed, and the next request
 * opens a new session. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "share/share_int.h"

/* One partition of a request being built. */
typedef struct entry {
    kshare_part *p;
    bool want; /* the session keeps it (else forgotten after the acks) */
} entry;

static int32_t epoch_next(int32_t e)
{
    return e == INT32_MAX ? 1 : e + 1;
}

static kshare_node *node_get(kfk_share_consumer *sc, int32_t id)
{
    for (int i = 0; i < sc->n_nodes; i++)
        if (sc->nodes[i]->broker_id == id) return sc->nodes[i];
    if (sc->n_nodes == sc->cap_nodes) {
        int cap = sc->cap_nodes ? 2 * sc->cap_nodes : 4;
        kshare_node **v = realloc(sc->nodes, (size_t)cap * sizeof(*v));
        if (!v) return NULL;
        sc->nodes = v;
        sc->cap_nodes = cap;
    }
    kshare_node *n = calloc(1, sizeof(*n));
    if (!n) return NULL;
    n->sc = sc;
    n->broker_id = id;
    sc->nodes[sc->n_nodes++] = n;
    return n;
}

void kshare_node_free(kshare_node *n)
{
    if (!n) return;
    for (int i = 0; i < n->n_sent; i++)
        kshare_acks_free(&n->sent[i].acks);
    free(n->sent);
    free(n->sess);
    free(n->adding);
    free(n->forgetting);
    karena_free(&n->arena);
    free(n);
}

static int push(kshare_part ***v, int *n, int *cap, kshare_part *p)
{
    if (*n == *cap) {
        int c = *cap ? 2 * *cap : 8;
        kshare_part **nv = realloc(*v, (size_t)c * sizeof(*nv));
        if (!nv) return -1;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = p;
    return 0;
}

static bool has(kshare_part *const *v, int n, const kshare_part *p)
{
    for (int i = 0; i < n; i++)
        if (v[i] == p) return true;
    return false;
}

static void drop(kshare_part **v, int *n, const kshare_part *p)
{
    for (int i = 0; i < *n; i++)
        if (v[i] == p) {
            v[i] = v[--*n];
            return;
        }
}

/* The leader fetching p goes to, or -1 (not assigned, no name or no
 * leader known yet). */
static int32_t leader_of(kfk_share_consumer *sc, const kshare_part *p)
{
    if (!p->assigned || !p->cp.topic) return -1;
    int32_t leader = -1, epoch = -1;
    if (kmeta_leader(kclient_meta(sc->client), p->cp.topic, p->cp.partition, &leader, &epoch))
        return -1;
    return leader;
}

/* --- building ---------------------------------------------------------------------- */

/* The partitions a request to n carries: with close, only those with
 * acknowledgements; else also those the session should gain. */
static int collect(kfk_share_consumer *sc, kshare_node *n, bool close, entry **out, int *count)
{
    entry *v = calloc((size_t)sc->n_parts + 1, sizeof(*v));
    if (!v) return -1;
    int k = 0;
    for (int i = 0; i < sc->n_parts; i++) {
        kshare_part *p = sc->parts[i];
        bool want = !close && leader_of(sc, p) == n->broker_id;
        bool acks = p->acks.n > 0 && p->node == n->broker_id;
        bool in_sess = has(n->sess, n->n_sess, p);
        if (acks || (want && (!in_sess || n->epoch == 0))) v[k++] = (entry){p, want};
    }
    *out = v;
    *count = k;
    return 0;
}

/* Moves p's acknowledgements into the request in flight; returns its
 * batches (NULL, *nb 0: none). */
static kp_share_fetch_request_acknowledgement_batch *take_acks(kshare_node *n, kshare_part *p,
                                                               int32_t *nb)
{
    *nb = 0;
    if (!p->acks.n) return NULL;
    if (n->n_sent == n->cap_sent) {
        int cap = n->cap_sent ? 2 * n->cap_sent : 8;
        kshare_sent *v = realloc(n->sent, (size_t)cap * sizeof(*v));
        if (!v) return NULL;
        n->sent = v;
        n->cap_sent = cap;
    }
    kshare_acks_sort(&p->acks);
    kp_share_fetch_request_acknowledgement_batch *b = kshare_acks_batches(&p->acks, &n->arena, nb);
    if (!b) return NULL;
    n->sent[n->n_sent++] = (kshare_sent){p, p->acks};
    p->acks = (kshare_acks){0};
    return b;
}

/* Fills the ShareFetch-shaped topics of the request from e[0..k). */
static int build_topics(kshare_node *n, entry *e, int k, kp_share_fetch_request_fetch_topic **out,
                        int32_t *n_out)
{
    kp_share_fetch_request_fetch_topic *t =
        karena_alloc(&n->arena, (size_t)(k ? k : 1) * sizeof(*t));
    if (!t) return -1;
    int32_t nt = 0;
    for (int i = 0; i < k; i++) {
        kshare_part *p = e[i].p;
        kp_share_fetch_request_fetch_topic *tt = NULL;
        for (int32_t j = 0; j < nt && !tt; j++)
            if (!memcmp(t[j].topic_id.b, p->topic_id.b, 16)) tt = &t[j];
        if (!tt) {
            tt = &t[nt++];
            kp_share_fetch_request_fetch_topic_init(tt);
            tt->topic_id = p->topic_id;
            tt->partitions = karena_alloc(&n->arena, (size_t)k * sizeof(*tt->partitions));
            if (!tt->partitions) return -1;
        }
        kp_share_fetch_request_fetch_partition *fp = &tt->partitions[tt->n_partitions++];
        kp_share_fetch_request_fetch_partition_init(fp);
        fp->partition_index = p->cp.partition;
        if (p->acks.n &&
            !(fp->acknowledgement_batches = take_acks(n, p, &fp->n_acknowledgement_batches)))
            return -1;
        if (!e[i].want && push(&n->forgetting, &n->n_forgetting, &n->cap_forgetting, p)) return -1;
        if (e[i].want && !has(n->sess, n->n_sess, p) &&
            push(&n->adding, &n->n_adding, &n->cap_adding, p))
            return -1;
    }
    *out = t;
    *n_out = nt;
    return 0;
}

/* The session's partitions that are no longer fetched here. */
static int build_forgotten(kfk_share_consumer *sc, kshare_node *n, kp_share_fetch_request *r)
{
    for (int i = 0; i < n->n_sess; i++) {
        kshare_part *p = n->sess[i];
        if (leader_of(sc, p) == n->broker_id || has(n->forgetting, n->n_forgetting, p)) continue;
        if (push(&n->forgetting, &n->n_forgetting, &n->cap_forgetting, p)) return -1;
    }
    if (!n->n_forgetting) return 0;
    r->forgotten_topics_data =
        karena_alloc(&n->arena, (size_t)n->n_forgetting * sizeof(*r->forgotten_topics_data));
    if (!r->forgotten_topics_data) return -1;
    for (int i = 0; i < n->n_forgetting; i++) {
        kshare_part *p = n->forgetting[i];
        kp_share_fetch_request_forgotten_topic *ft = NULL;
        for (int32_t j = 0; j < r->n_forgotten_topics_data && !ft; j++)
            if (!memcmp(r->forgotten_topics_data[j].topic_id.b, p->topic_id.b, 16))
                ft = &r->forgotten_topics_data[j];
        if (!ft) {
            ft = &r->forgotten_topics_data[r->n_forgotten_topics_data++];
            kp_share_fetch_request_forgotten_topic_init(ft);
            ft->topic_id = p->topic_id;
            ft->partitions = karena_alloc(&n->arena, (size_t)n->n_forgetting * sizeof(int32_t));
            if (!ft->partitions) return -1;
        }
        ft->partitions[ft->n_partitions++] = p->cp.partition;
    }
    return 0;
}

static void reset_request(kshare_node *n)
{
    karena_reset(&n->arena);
    n->n_sent = 0;
    n->n_adding = 0;
    n->n_forgetting = 0;
}

/* Puts back what a request that could not be built took. */
static void unbuild(kshare_node *n)
{
    for (int i = 0; i < n->n_sent; i++) {
        kshare_part *p = n->sent[i].part;
        for (int j = 0; j < n->sent[i].acks.n; j++)
            kshare_acks_add(&p->acks, n->sent[i].acks.v[j].offset, n->sent[i].acks.v[j].type);
        kshare_acks_free(&n->sent[i].acks);
    }
    reset_request(n);
}

/* --- answers ---------------------------------------------------------------------------- */

static kshare_part *part_of(kfk_share_consumer *sc, const kuuid *id, int32_t partition)
{
    for (int i = 0; i < sc->n_parts; i++) {
        kshare_part *p = sc->parts[i];
        if (p->cp.partition == partition && !memcmp(p->topic_id.b, id->b, 16)) return p;
    }
    return NULL;
}

/* Reports the acknowledgements the request carried for p (all when p is
 * NULL) with err. */
static void report(kshare_node *n, const kshare_part *p, kfk_err err)
{
    for (int i = 0; i < n->n_sent; i++)
        if (!p || n->sent[i].part == p)
            kshare_done_queue(n->sc, n->sent[i].part, &n->sent[i].acks, err);
}

static void lose_session(kshare_node *n, kfk_err err)
{
    report(n, NULL, err);
    n->epoch = 0;
    n->n_sess = 0;
    n->last = err;
}

static void session_moved_on(kshare_node *n)
{
    for (int i = 0; i < n->n_adding; i++)
        if (!has(n->sess, n->n_sess, n->adding[i]))
            push(&n->sess, &n->n_sess, &n->cap_sess, n->adding[i]);
    for (int i = 0; i < n->n_forgetting; i++)
        drop(n->sess, &n->n_sess, n->forgetting[i]);
    n->epoch = epoch_next(n->epoch);
}

static bool leader_moved(int16_t code)
{
    return code == KFK_ERR_NOT_LEADER_OR_FOLLOWER || code == KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION ||
           code == KFK_ERR_UNKNOWN_TOPIC_ID || code == KFK_ERR_FENCED_LEADER_EPOCH ||
           code == KFK_ERR_LEADER_NOT_AVAILABLE;
}

static bool has_sent(const kshare_node *n, const kshare_part *p)
{
    for (int i = 0; i < n->n_sent; i++)
        if (n->sent[i].part == p && n->sent[i].acks.n) return true;
    return false;
}

static void fetch_partition(kshare_node *n, kshare_part *p,
                            const kp_share_fetch_response_partition_data *pd, krbuf *frame)
{
    kfk_share_consumer *sc = n->sc;
    if (has_sent(n, p)) report(n, p, (kfk_err)pd->acknowledge_error_code);
    if (pd->error_code) {
        if (leader_moved(pd->error_code)) kclient_refresh(sc->client, "share fetch: leader moved");
        klog(kclient_log(sc->client), KFK_LOG_DEBUG, "share", "%s: %s [%d]: %s", sc->group_id,
             p->cp.topic ? p->cp.topic : "?", (int)p->cp.partition,
             kfk_err_name((kfk_err)pd->error_code));
        return;
    }
    p->node = n->broker_id;
    kfk_err err = kshare_records_take(sc, p, pd, frame);
    if (err)
        klog(kclient_log(sc->client), KFK_LOG_WARNING, "share", "%s: %s [%d]: records: %s",
             sc->group_id, p->cp.topic, (int)p->cp.partition, kfk_err_name(err));
}

/* The lock duration of an answer (ShareFetch; ShareAcknowledge from v2,
 * 0 before): the group's share.record.lock.duration.ms. */
static void note_lock_timeout(kfk_share_consumer *sc, int32_t ms)
{
    if (ms > 0) atomic_store_explicit(&sc->lock_timeout_ms, ms, memory_order_relaxed);
}

static void fetch_answered(kshare_node *n, const kp_share_fetch_response *r, krbuf *frame)
{
    kfk_share_consumer *sc = n->sc;
    session_moved_on(n);
    note_lock_timeout(sc, r->acquisition_lock_timeout_ms);
    for (int32_t i = 0; i < r->n_responses; i++) {
        const kp_share_fetch_response_share_fetchable_topic_response *t = &r->responses[i];
        for (int32_t k = 0; k < t->n_partitions; k++) {
            kshare_part *p = part_of(sc, &t->topic_id, t->partitions[k].partition_index);
            if (p) fetch_partition(n, p, &t->partitions[k], frame);
        }
    }
    report(n, NULL, KFK_OK); /* the rest went through */
}

static void ack_answered(kshare_node *n, const kp_share_acknowledge_response *r)
{
    kfk_share_consumer *sc = n->sc;
    if (n->ack.share_session_epoch == -1) {
        n->closed = true;
        n->n_sess = 0;
    } else {
        n->epoch = epoch_next(n->epoch);
    }
    note_lock_timeout(sc, r->acquisition_lock_timeout_ms);
    for (int32_t i = 0; i < r->n_responses; i++) {
        const kp_share_acknowledge_response_share_acknowledge_topic_response *t = &r->responses[i];
        for (int32_t k = 0; k < t->n_partitions; k++) {
            const kp_share_acknowledge_response_partition_data *pd = &t->partitions[k];
            kshare_part *p = part_of(sc, &t->topic_id, pd->partition_index);
            if (p) report(n, p, (kfk_err)pd->error_code);
            if (leader_moved(pd->error_code))
                kclient_refresh(sc->client, "share ack: leader moved");
        }
    }
    report(n, NULL, KFK_OK);
}

/* I/O thread (or kfk-bg on a timeout, or kclient_destroy). */
static void node_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kshare_node *n = call->opaque;
    kfk_share_consumer *sc = n->sc;
    bool is_fetch = call->api == &kp_share_fetch_client;
    pthread_mutex_lock(&sc->lock);
    int16_t code = 0;
    if (resp)
        code = is_fetch ? ((const kp_share_fetch_response *)resp)->error_code
                        : ((const kp_share_acknowledge_response *)resp)->error_code;
    if (!err && code) err = (kfk_err)code;
    if (err) {
        klog(kclient_log(sc->client),
             err == KFK_ERR_UNSUPPORTED_VERSION ? KFK_LOG_ERR : KFK_LOG_DEBUG, "share",
             "%s: %s to broker %d: %s", sc->group_id, is_fetch ? "ShareFetch" : "ShareAcknowledge",
             (int)n->broker_id, kfk_err_name(err));
        lose_session(n, err);
        /* A broker that fails (down, or refusing the session) is not
         * asked again at once by every poll. */
        int64_t ms = sc->retry_backoff_ms > 0 ? sc->retry_backoff_ms : 100;
        n->backoff_until_ns = ktime_mono_ns() + ms * KTIME_NS_PER_MS;
        if (!is_fetch && n->ack.share_session_epoch == -1) n->closed = true;
    } else if (is_fetch) {
        fetch_answered(n, resp, call->req.frame);
        n->last = KFK_OK;
        n->version = call->version;
    } else {
        ack_answered(n, resp);
        n->last = KFK_OK;
    }
    reset_request(n);
    n->busy = false;
    pthread_cond_broadcast(&sc->cond);
    pthread_mutex_unlock(&sc->lock);
}

static void start(kfk_share_consumer *sc, kshare_node *n, const kproto_client *api, void *body,
                  int64_t timeout_ms, int16_t min_version)
{
    kcall *c = &n->call;
    kcall_init(c, api, body, node_done, n);
    if (min_version > 0) c->min_version = min_version;
    c->route = KROUTE_BROKER;
    c->broker_id = n->broker_id;
    c->no_retry = true;
    c->deadline_ns = kclient_deadline((int)timeout_ms);
    if (api == &kp_share_fetch_client) {
        c->req_flags = KREQ_F_KEEP_FRAME;
        c->attempt_timeout_ms = sc->request_timeout_ms + sc->max_wait_ms;
    }
    n->busy = true;
    kcall_start(sc->client, c);
}

static void fetch_node(kfk_share_consumer *sc, kshare_node *n)
{
    entry *e = NULL;
    int k = 0;
    if (collect(sc, n, false, &e, &k)) return;
    kp_share_fetch_request *r = &n->fetch;
    kp_share_fetch_request_init(r);
    reset_request(n);
    if (n->epoch == 0) {
        /* A new session: acknowledgements of the old one cannot go in it
         * (its records went back to the broker). */
        for (int i = 0; i < k; i++)
            if (e[i].p->acks.n && e[i].p->node == n->broker_id) {
                kshare_done_queue(sc, e[i].p, &e[i].p->acks, KFK_ERR_SHARE_SESSION_NOT_FOUND);
            }
        int w = 0;
        for (int i = 0; i < k; i++)
            if (e[i].want) e[w++] = e[i];
        k = w;
    }
    if (build_topics(n, e, k, &r->topics, &r->n_topics) ||
        (n->epoch > 0 && build_forgotten(sc, n, r))) {
        free(e);
        unbuild(n);
        return;
    }
    free(e);
    if (n->epoch == 0 && !r->n_topics) return; /* nothing to open a session for */
    if (n->epoch > 0 && !n->n_sess && !n->n_adding && !r->n_topics) return;
    r->group_id = kwire_cstr(sc->group_id);
    r->member_id = kwire_cstr(sc->member_id);
    r->share_session_epoch = n->epoch;
    r->max_wait_ms = sc->max_wait_ms;
    r->min_bytes = sc->min_bytes;
    r->max_bytes = sc->max_bytes;
    r->max_records = sc->max_records;
    r->batch_size = sc->max_records;
    start(sc, n, &kp_share_fetch_client, r, sc->request_timeout_ms + sc->max_wait_ms, 0);
}

static bool ack_node(kfk_share_consumer *sc, kshare_node *n, bool close);

/* Whether a partition whose records n handed out has a renewal pending. */
static bool renew_pending(const kfk_share_consumer *sc, const kshare_node *n)
{
    for (int i = 0; i < sc->n_parts; i++)
        if (sc->parts[i]->acks.renews && sc->parts[i]->node == n->broker_id) return true;
    return false;
}

int64_t kshare_fetch_all(kfk_share_consumer *sc)
{
    for (int i = 0; i < sc->n_parts; i++) {
        int32_t leader = leader_of(sc, sc->parts[i]);
        if (leader >= 0) node_get(sc, leader);
    }
    int64_t now = ktime_mono_ns(), wake = INT64_MAX;
    for (int i = 0; i < sc->n_nodes; i++) {
        kshare_node *n = sc->nodes[i];
        if (n->busy || n->closed) continue;
        if (n->backoff_until_ns > now) {
            if (n->backoff_until_ns < wake) wake = n->backoff_until_ns;
            continue;
        }
        /* Renewals go alone: a ShareFetch carrying them may not fetch
         * (KIP-1222), and a renewal is due before the lock passes. */
        if (!renew_pending(sc, n) || !ack_node(sc, n, false)) fetch_node(sc, n);
    }
    return wake;
}

/* Converts the ShareFetch-shaped topics into ShareAcknowledge's. */
static int to_ack_topics(kshare_node *n, const kp_share_fetch_request_fetch_topic *t, int32_t nt,
                         kp_share_acknowledge_request *r)
{
    r->topics = karena_alloc(&n->arena, (size_t)(nt ? nt : 1) * sizeof(*r->topics));
    if (!r->topics) return -1;
    for (int32_t i = 0; i < nt; i++) {
        kp_share_acknowledge_request_acknowledge_topic *at = &r->topics[r->n_topics++];
        kp_share_acknowledge_request_acknowledge_topic_init(at);
        at->topic_id = t[i].topic_id;
        at->partitions =
            karena_alloc(&n->arena, (size_t)t[i].n_partitions * sizeof(*at->partitions) + 1);
        if (!at->partitions) return -1;
        for (int32_t k = 0; k < t[i].n_partitions; k++) {
            const kp_share_fetch_request_fetch_partition *fp = &t[i].partitions[k];
            kp_share_acknowledge_request_acknowledge_partition *ap =
                &at->partitions[at->n_partitions++];
            kp_share_acknowledge_request_acknowledge_partition_init(ap);
            ap->partition_index = fp->partition_index;
            ap->n_acknowledgement_batches = fp->n_acknowledgement_batches;
            ap->acknowledgement_batches = karena_alloc(
                &n->arena,
                (size_t)fp->n_acknowledgement_batches * sizeof(*ap->acknowledgement_batches) + 1);
            if (!ap->acknowledgement_batches) return -1;
            for (int32_t b = 0; b < fp->n_acknowledgement_batches; b++) {
                const kp_share_fetch_request_acknowledgement_batch *fb =
                    &fp->acknowledgement_batches[b];
                ap->acknowledgement_batches[b] =
                    (kp_share_acknowledge_request_acknowledgement_batch){
                        .first_offset = fb->first_offset,
                        .last_offset = fb->last_offset,
                        .acknowledge_types = fb->acknowledge_types,
                        .n_acknowledge_types = fb->n_acknowledge_types,
                    };
            }
        }
    }
    return 0;
}

/* Sends n's acknowledgements (with close, closing the session). Returns
 * whether a request went. */
static bool ack_node(kfk_share_consumer *sc, kshare_node *n, bool close)
{
    if (n->busy || n->closed) return false;
    if (n->epoch == 0) {
        /* No session: nothing to close, and acknowledgements for this
         * broker are of a lost one. */
        for (int i = 0; i < sc->n_parts; i++) {
            kshare_part *p = sc->parts[i];
            if (p->acks.n && p->node == n->broker_id)
                kshare_done_queue(sc, p, &p->acks, KFK_ERR_SHARE_SESSION_NOT_FOUND);
        }
        if (close) n->closed = true;
        return false;
    }
    entry *e = NULL;
    int k = 0;
    if (collect(sc, n, true, &e, &k)) return false;
    reset_request(n);
    kp_share_fetch_request_fetch_topic *t = NULL;
    int32_t nt = 0;
    kp_share_acknowledge_request *r = &n->ack;
    kp_share_acknowledge_request_init(r);
    int rc = build_topics(n, e, k, &t, &nt);
    free(e);
    if (rc || to_ack_topics(n, t, nt, r)) {
        unbuild(n);
        return false;
    }
    if (!close && !r->n_topics) return false;
    r->group_id = kwire_cstr(sc->group_id);
    r->member_id = kwire_cstr(sc->member_id);
    r->share_session_epoch = close ? -1 : n->epoch;
    for (int i = 0; i < n->n_sent; i++)
        r->is_renew_ack = r->is_renew_ack || n->sent[i].acks.renews > 0;
    start(sc, n, &kp_share_acknowledge_client, r, sc->request_timeout_ms, r->is_renew_ack ? 2 : 0);
    return true;
}

int kshare_ack_all(kfk_share_consumer *sc, bool close)
{
    int sent = 0;
    for (int i = 0; i < sc->n_nodes; i++)
        sent += ack_node(sc, sc->nodes[i], close);
    return sent;
}

bool kshare_busy(const kfk_share_consumer *sc)
{
    for (int i = 0; i < sc->n_nodes; i++)
        if (sc->nodes[i]->busy) return true;
    return false;
}

bool kshare_acks_pending(const kfk_share_consumer *sc)
{
    for (int i = 0; i < sc->n_parts; i++)
        if (sc->parts[i]->acks.n) return true;
    return false;
}

void kshare_renew_all(kfk_share_consumer *sc)
{
    for (int i = 0; i < sc->n_nodes; i++)
        if (renew_pending(sc, sc->nodes[i])) ack_node(sc, sc->nodes[i], false);
}

int16_t kshare_node_version(const kfk_share_consumer *sc, int32_t broker_id)
{
    for (int i = 0; i < sc->n_nodes; i++)
        if (sc->nodes[i]->broker_id == broker_id) return sc->nodes[i]->version;
    return 0;
}
