/* The share consumer's public calls (kfk_share.h): creation, subscribe,
 * poll with implicit or explicit acknowledgement, acknowledge, commits,
 * wake-up and close. The application's thread drives fetching: a poll
 * that finds no record queued starts a ShareFetch on each leader with
 * none in flight (node.c) and waits for records, so records are acquired
 * only while the application polls, and the acknowledgements made since
 * the last poll travel with those fetches. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/time.h"
#include "share/share_int.h"

/* The calling thread's last poll error, per consumer: a poll returning
 * NULL says why here (a thread polls one share consumer at a time). */
static _Thread_local kfk_err poll_err;

static void read_conf(kfk_share_consumer *sc, const kfk_conf *conf)
{
    sc->explicit_mode =
        kconf_int(conf, KCONF_SHARE_ACKNOWLEDGEMENT_MODE) == KCONF_SHARE_ACK_EXPLICIT;
    sc->max_wait_ms = (int32_t)kconf_i64(conf, KCONF_FETCH_MAX_WAIT_MS);
    sc->min_bytes = (int32_t)kconf_i64(conf, KCONF_FETCH_MIN_BYTES);
    sc->max_bytes = (int32_t)kconf_i64(conf, KCONF_FETCH_MAX_BYTES);
    sc->max_records = (int32_t)kconf_i64(conf, KCONF_MAX_POLL_RECORDS);
    atomic_init(&sc->lock_timeout_ms, -1);
    sc->check_crcs = kconf_bool(conf, KCONF_CHECK_CRCS);
    sc->request_timeout_ms = kconf_i64(conf, KCONF_REQUEST_TIMEOUT_MS);
    sc->retry_backoff_ms = kconf_i64(conf, KCONF_RETRY_BACKOFF_MS);
    const char *rack = kconf_str(conf, KCONF_CLIENT_RACK);
    sc->rack = *rack ? strdup(rack) : NULL;
    void *opaque = NULL;
    sc->ack_cb = (kfk_share_ack_cb *)kconf_cb(conf, KCONF_SHARE_ACK_CB, &opaque);
    sc->ack_opaque = opaque;
}

void kfk_conf_set_share_ack_cb(kfk_conf *conf, kfk_share_ack_cb *cb, void *opaque)
{
    if (conf) kconf_set_cb(conf, KCONF_SHARE_ACK_CB, (kconf_fn)cb, opaque);
}

/* Consumer properties a share group has no use for; set, they are
 * refused (as Java's KafkaShareConsumer refuses them), not ignored. */
static const kconf_id refused[] = {
    KCONF_GROUP_INSTANCE_ID,
    KCONF_GROUP_PROTOCOL,
    KCONF_GROUP_REMOTE_ASSIGNOR,
    KCONF_PARTITION_ASSIGNMENT_STRATEGY,
    KCONF_SESSION_TIMEOUT_MS,
    KCONF_HEARTBEAT_INTERVAL_MS,
    KCONF_ENABLE_AUTO_COMMIT,
    KCONF_AUTO_COMMIT_INTERVAL_MS,
    KCONF_AUTO_OFFSET_RESET,
    KCONF_ISOLATION_LEVEL,
    KCONF_REBALANCE_CB,
    KCONF_COMMIT_CB,
    /* not served by the share consumer yet */
    KCONF_STATS_CB,
    KCONF_STATISTICS_INTERVAL_MS,
    KCONF_MAX_POLL_INTERVAL_MS,
    KCONF_FETCH_QUEUE_MAX_BYTES,
    KCONF_MAX_PARTITION_FETCH_BYTES,
};

static bool conf_refused(const kfk_conf *conf, char *errstr, size_t errlen)
{
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        if (kconf_is_set(conf, refused[i])) {
            if (errstr && errlen)
                snprintf(errstr, errlen, "%s does not apply to a share consumer",
                         kconf_prop_of(refused[i])->name);
            return true;
        }
    if (conf->n_icpt) {
        if (errstr && errlen)
            snprintf(errstr, errlen, "interceptors do not apply to a share consumer yet");
        return true;
    }
    return false;
}

/* kfk-bg, after a metadata refresh: assigned topics may have names and
 * leaders now, which a waiting poll should act on. */
static void meta_changed(void *opaque)
{
    kfk_share_consumer *sc = opaque;
    pthread_mutex_lock(&sc->lock);
    kshare_resolve(sc);
    pthread_cond_broadcast(&sc->cond);
    pthread_mutex_unlock(&sc->lock);
}

kfk_share_consumer *kfk_share_consumer_new(kfk_conf *conf, char *errstr, size_t errlen)
{
    if (!conf) {
        if (errstr && errlen) snprintf(errstr, errlen, "conf is NULL");
        return NULL;
    }
    if (conf_refused(conf, errstr, errlen)) {
        kfk_conf_destroy(conf);
        return NULL;
    }
    const char *group = kconf_str(conf, KCONF_GROUP_ID);
    if (!*group) {
        if (errstr && errlen) snprintf(errstr, errlen, "a share consumer needs group.id");
        kfk_conf_destroy(conf);
        return NULL;
    }
    kfk_share_consumer *sc = calloc(1, sizeof(*sc));
    char *gid = sc ? strdup(group) : NULL;
    if (!gid) {
        if (errstr && errlen) snprintf(errstr, errlen, "out of memory");
        free(sc);
        kfk_conf_destroy(conf);
        return NULL;
    }
    sc->group_id = gid;
    pthread_mutex_init(&sc->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sc->cond, &ca);
    pthread_condattr_destroy(&ca);
    kshare_membership_init(sc);
    sc->client = kclient_new(conf, KCONF_CONSUMER, sc, errstr, errlen);
    if (!sc->client) {
        kshare_membership_free(sc);
        pthread_mutex_destroy(&sc->lock);
        pthread_cond_destroy(&sc->cond);
        free(sc->group_id);
        free(sc);
        return NULL;
    }
    read_conf(sc, kclient_conf(sc->client));
    sc->bg = kclient_bg_loop(sc->client);
    kclient_set_meta_watch(sc->client, meta_changed, sc);
    return sc;
}

const char *kfk_share_consumer_last_error(const kfk_share_consumer *sc)
{
    return sc ? kclient_last_error(sc->client) : "";
}

kfk_err kfk_share_consumer_poll_error(const kfk_share_consumer *sc)
{
    return sc ? poll_err : KFK_ERR_INVALID_ARG;
}

/* --- subscription --------------------------------------------------------------------- */

static void free_topics(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

kfk_err kfk_share_consumer_subscribe(kfk_share_consumer *sc, const char *const *topics, size_t n)
{
    if (!sc || (n && !topics)) return KFK_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++)
        if (!topics[i] || !*topics[i]) {
            kclient_error_set(sc->client, "topic %zu is NULL or empty", i);
            return KFK_ERR_INVALID_ARG;
        }
    char **v = n ? calloc(n, sizeof(*v)) : NULL;
    if (n && !v) return kclient_error_end(sc->client, KFK_ERR_NO_MEMORY);
    for (size_t i = 0; i < n; i++)
        if (!(v[i] = strdup(topics[i]))) {
            free_topics(v, n);
            return kclient_error_end(sc->client, KFK_ERR_NO_MEMORY);
        }
    pthread_mutex_lock(&sc->lock);
    if (sc->closed) {
        pthread_mutex_unlock(&sc->lock);
        free_topics(v, n);
        kclient_error_set(sc->client, "the share consumer is closed");
        return KFK_ERR_STATE;
    }
    if (sc->n_topics)
        kclient_unwant_topics(sc->client, (const char *const *)sc->topics, sc->n_topics);
    free_topics(sc->topics, sc->n_topics);
    sc->topics = v;
    sc->n_topics = n;
    if (n) kclient_want_topics(sc->client, (const char *const *)v, n);
    sc->group_err = KFK_OK;
    if (n && (sc->state == KSHARE_IDLE)) {
        sc->state = KSHARE_JOINING;
        sc->epoch = 0;
    } else if (!n && (sc->state == KSHARE_JOINING || sc->state == KSHARE_MEMBER)) {
        sc->state = KSHARE_LEAVING;
    }
    kshare_hb_kick(sc);
    pthread_mutex_unlock(&sc->lock);
    return KFK_OK;
}

kfk_err kfk_share_consumer_unsubscribe(kfk_share_consumer *sc)
{
    return kfk_share_consumer_subscribe(sc, NULL, 0);
}

/* --- acknowledging ------------------------------------------------------------------------ */

/* Moves an acknowledged record's type into its partition's pending
 * acknowledgements. A RENEW keeps the record handed out, unacknowledged
 * again (KIP-1222: the lock restarts, the record stays this member's and
 * still needs its final type); returns whether o stays. */
static bool settle_one(kshare_out *o, int8_t type, kfk_err *err)
{
    if (kshare_acks_set(&o->part->acks, o->offset, type)) *err = KFK_ERR_NO_MEMORY;
    if (type != KFK_SHARE_ACK_RENEW) return false;
    o->type = -1;
    return true;
}

/* Moves the records handed out into their partitions' pending
 * acknowledgements (lock held): implicit mode accepts those the
 * application did not acknowledge; explicit mode refuses while any is
 * unacknowledged (unless force). With only_acked (explicit mode's
 * commits) the unacknowledged stay handed out; with closing, nothing
 * stays: a renewal is pointless then, and unacknowledged records go back
 * (explicit) or are accepted (implicit). */
static kfk_err settle_out(kfk_share_consumer *sc, bool force, bool only_acked, bool closing)
{
    if (sc->explicit_mode && !force) {
        int unacked = 0;
        for (int i = 0; i < sc->n_out; i++)
            if (sc->out[i].type < 0) unacked++;
        if (unacked) {
            kclient_error_set(sc->client,
                              "share.acknowledgement.mode=explicit: %d record%s handed out "
                              "not acknowledged (kfk_share_consumer_acknowledge)",
                              unacked, unacked == 1 ? "" : "s");
            return KFK_ERR_STATE;
        }
    }
    int8_t unacked_type = sc->explicit_mode ? KFK_SHARE_ACK_RELEASE : KFK_SHARE_ACK_ACCEPT;
    kfk_err err = KFK_OK;
    int w = 0;
    for (int i = 0; i < sc->n_out; i++) {
        kshare_out *o = &sc->out[i];
        int8_t type = o->type;
        if (closing && type == KFK_SHARE_ACK_RENEW) type = -1;
        bool stays = type < 0 && only_acked;
        if (!stays) stays = settle_one(o, type >= 0 ? type : unacked_type, &err);
        if (stays) sc->out[w++] = *o;
    }
    sc->n_out = w;
    return err;
}

/* Whether the broker that handed out p's records takes RENEW (lock held);
 * else says why in last_error. */
static bool renew_served(kfk_share_consumer *sc, const kshare_part *p)
{
    int16_t v = kshare_node_version(sc, p->node);
    if (v >= 2) return true;
    kclient_error_set(sc->client,
                      "KFK_SHARE_ACK_RENEW needs ShareFetch and ShareAcknowledge v2 (KIP-1222, "
                      "Kafka 4.2 or later); broker %d serves v%d",
                      (int)p->node, (int)v);
    return false;
}

/* The record m of the out list (lock held), or NULL with the error. */
static kshare_out *out_of(kfk_share_consumer *sc, const kfk_message *m, kfk_err *err)
{
    kshare_part *p = NULL;
    for (int i = 0; i < sc->n_parts && !p; i++)
        if (m->chunk && m->chunk->part == &sc->parts[i]->cp) p = sc->parts[i];
    if (!p) {
        kclient_error_set(sc->client, "the message is not from this share consumer");
        *err = KFK_ERR_INVALID_ARG;
        return NULL;
    }
    for (int i = 0; i < sc->n_out; i++)
        if (sc->out[i].part == p && sc->out[i].offset == m->offset) return &sc->out[i];
    kclient_error_set(sc->client, "%s [%d] offset %lld: its acknowledgement already went", m->topic,
                      (int)m->partition, (long long)m->offset);
    *err = KFK_ERR_STATE;
    return NULL;
}

kfk_err kfk_share_consumer_acknowledge(kfk_share_consumer *sc, const kfk_message *m,
                                       kfk_share_ack_type type)
{
    if (!sc || !m) return KFK_ERR_INVALID_ARG;
    if (type != KFK_SHARE_ACK_ACCEPT && type != KFK_SHARE_ACK_RELEASE &&
        type != KFK_SHARE_ACK_REJECT && type != KFK_SHARE_ACK_RENEW) {
        kclient_error_set(sc->client, "unknown acknowledge type %d", (int)type);
        return KFK_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&sc->lock);
    kfk_err err = KFK_OK;
    kshare_out *o = NULL;
    if (sc->closed) {
        kclient_error_set(sc->client, "the share consumer is closed");
        err = KFK_ERR_STATE;
    } else if ((o = out_of(sc, m, &err))) {
        if (type == KFK_SHARE_ACK_RENEW && !renew_served(sc, o->part))
            err = KFK_ERR_UNSUPPORTED;
        else
            o->type = (int8_t)type;
    }
    pthread_mutex_unlock(&sc->lock);
    return err;
}

/* --- poll --------------------------------------------------------------------------------- */

static int out_add(kfk_share_consumer *sc, kshare_part *p, int64_t offset)
{
    if (sc->n_out == sc->cap_out) {
        int cap = sc->cap_out ? 2 * sc->cap_out : 64;
        kshare_out *v = realloc(sc->out, (size_t)cap * sizeof(*v));
        if (!v) return -1;
        sc->out = v;
        sc->cap_out = cap;
    }
    sc->out[sc->n_out++] = (kshare_out){p, offset, -1};
    return 0;
}

/* The next queued record, handed out (lock held); NULL: none. */
static kfk_message *next_record(kfk_share_consumer *sc)
{
    while (sc->head) {
        kchunk *ch = sc->head;
        if (ch->pos < ch->n) {
            kfk_message *m = &ch->msgs[ch->pos];
            kshare_part *p = container_of(ch->part, kshare_part, cp);
            if (out_add(sc, p, m->offset)) return NULL;
            ch->pos++;
            atomic_fetch_add(&ch->refs, 1);
            return m;
        }
        sc->head = ch->next;
        if (!sc->head) sc->tail = NULL;
        kchunk_unref(ch);
    }
    return NULL;
}

static void wait_until(kfk_share_consumer *sc, int64_t deadline_ns)
{
    if (deadline_ns < 0) {
        pthread_cond_wait(&sc->cond, &sc->lock);
        return;
    }
    struct timespec ts = {.tv_sec = deadline_ns / KTIME_NS_PER_S,
                          .tv_nsec = deadline_ns % KTIME_NS_PER_S};
    pthread_cond_timedwait(&sc->cond, &sc->lock, &ts);
}

/* Why a poll must return NULL now; KFK_OK with *stop false: go on. */
static kfk_err poll_stop(kfk_share_consumer *sc, bool *stop)
{
    *stop = true;
    if (sc->closed) {
        kclient_error_set(sc->client, "the share consumer is closed");
        return KFK_OK;
    }
    if (sc->woken) {
        sc->woken = false;
        return KFK_OK;
    }
    if (sc->group_err) {
        kclient_error_set(sc->client, "%s", sc->group_err_msg ? sc->group_err_msg : "group error");
        return sc->group_err;
    }
    *stop = false;
    return KFK_OK;
}

size_t kfk_share_consumer_poll_batch(kfk_share_consumer *sc, kfk_message **msgs, size_t max,
                                     int timeout_ms)
{
    poll_err = KFK_OK;
    if (!sc || !msgs || !max) {
        poll_err = KFK_ERR_INVALID_ARG;
        if (sc) kclient_error_set(sc->client, "poll_batch needs msgs and a max above 0");
        return 0;
    }
    if (max > (size_t)sc->max_records) max = (size_t)sc->max_records;
    /* Read the clock only once the poll has to wait: a poll that finds a
     * record queued (nearly every one, under load) does without. */
    int64_t deadline = timeout_ms < 0 ? -1 : 0;
    size_t n = 0;
    pthread_mutex_lock(&sc->lock);
    kfk_err err = sc->closed ? KFK_OK : settle_out(sc, false, false, false);
    if (!err && !sc->closed) kshare_renew_all(sc); /* now, not when the queue runs dry */
    while (!err && !n) {
        kshare_done_serve(sc);
        bool stop;
        err = poll_stop(sc, &stop);
        if (stop) break;
        /* The rest of a batch is what is queued: no waiting after the first. */
        kfk_message *m;
        while (n < max && (m = next_record(sc)))
            msgs[n++] = m;
        if (n) break;
        kshare_resolve(sc);
        int64_t retry = kshare_fetch_all(sc);
        kwakefd_clear(&sc->wake);
        if (deadline == 0) deadline = kclient_deadline(timeout_ms);
        if (deadline >= 0 && ktime_mono_ns() >= deadline) break;
        int64_t until = deadline;
        if (retry != INT64_MAX && (deadline < 0 || retry < deadline)) until = retry;
        if (!sc->head && !sc->done_head) wait_until(sc, until);
    }
    if (sc->head || sc->done_head) kwakefd_signal(&sc->wake);
    pthread_mutex_unlock(&sc->lock);
    poll_err = err;
    if (err) kclient_error_end(sc->client, err);
    return n;
}

kfk_message *kfk_share_consumer_poll(kfk_share_consumer *sc, int timeout_ms)
{
    kfk_message *m = NULL;
    return kfk_share_consumer_poll_batch(sc, &m, 1, timeout_ms) ? m : NULL;
}

/* --- commits ---------------------------------------------------------------------------------- */

static kfk_err commit(kfk_share_consumer *sc, bool wait, int timeout_ms)
{
    if (!sc) return KFK_ERR_INVALID_ARG;
    int64_t deadline =
        kclient_deadline(timeout_ms < 0 ? KFK_CONSUMER_CLOSE_TIMEOUT_MS : timeout_ms);
    pthread_mutex_lock(&sc->lock);
    if (sc->closed) {
        pthread_mutex_unlock(&sc->lock);
        kclient_error_set(sc->client, "the share consumer is closed");
        return KFK_ERR_STATE;
    }
    /* explicit mode commits what was acknowledged; implicit accepts the rest */
    kfk_err err = settle_out(sc, true, sc->explicit_mode, false);
    kfk_err first = kshare_done_serve(sc);
    /* Each leader's request in flight must answer first: its session's
     * epochs go in order. */
    while (!err && wait && kshare_acks_pending(sc) && ktime_mono_ns() < deadline) {
        kshare_ack_all(sc, false);
        if (!kshare_acks_pending(sc)) break;
        wait_until(sc, deadline);
    }
    if (!wait) kshare_ack_all(sc, false);
    while (!err && wait && kshare_busy(sc) && ktime_mono_ns() < deadline)
        wait_until(sc, deadline);
    if (!err && wait && (kshare_busy(sc) || kshare_acks_pending(sc))) err = KFK_ERR_TIMED_OUT;
    kfk_err served = kshare_done_serve(sc);
    pthread_mutex_unlock(&sc->lock);
    if (!first) first = served;
    if (!err && wait) err = first;
    return err ? kclient_error_end(sc->client, err) : KFK_OK;
}

kfk_err kfk_share_consumer_commit_sync(kfk_share_consumer *sc, int timeout_ms)
{
    return commit(sc, true, timeout_ms);
}

kfk_err kfk_share_consumer_commit_async(kfk_share_consumer *sc)
{
    return commit(sc, false, 0);
}

/* --- wake-up ---------------------------------------------------------------------------------- */

int kfk_share_consumer_acquisition_lock_timeout_ms(const kfk_share_consumer *sc)
{
    return sc ? atomic_load_explicit(&sc->lock_timeout_ms, memory_order_relaxed) : -1;
}

void kfk_share_consumer_wakeup(kfk_share_consumer *sc)
{
    if (!sc) return;
    pthread_mutex_lock(&sc->lock);
    sc->woken = true;
    kwakefd_signal(&sc->wake);
    pthread_cond_broadcast(&sc->cond);
    pthread_mutex_unlock(&sc->lock);
}

int kfk_share_consumer_wakeup_fd(kfk_share_consumer *sc)
{
    if (!sc) return -1;
    pthread_mutex_lock(&sc->lock);
    int fd = kwakefd_get(&sc->wake, sc->head || sc->done_head || sc->woken || sc->closed);
    pthread_mutex_unlock(&sc->lock);
    return fd;
}

/* --- close --------------------------------------------------------------------------------------
 */

static void drop_queue(kfk_share_consumer *sc)
{
    while (sc->head) {
        kchunk *ch = sc->head;
        sc->head = ch->next;
        kchunk_unref(ch);
    }
    sc->tail = NULL;
}

kfk_err kfk_share_consumer_close(kfk_share_consumer *sc, int timeout_ms)
{
    if (!sc) return KFK_ERR_INVALID_ARG;
    int64_t deadline =
        kclient_deadline(timeout_ms < 0 ? KFK_CONSUMER_CLOSE_TIMEOUT_MS : timeout_ms);
    pthread_mutex_lock(&sc->lock);
    if (sc->closed) {
        pthread_mutex_unlock(&sc->lock);
        return KFK_OK;
    }
    settle_out(sc, true, false, true);
    /* The records fetched and not handed out go back with the session. */
    drop_queue(sc);
    sc->closed = true;
    kwakefd_signal(&sc->wake);
    pthread_cond_broadcast(&sc->cond);
    /* Sessions close after the requests in flight answer. */
    for (;;) {
        kshare_ack_all(sc, true);
        bool open = false;
        for (int i = 0; i < sc->n_nodes; i++)
            open = open || !sc->nodes[i]->closed || sc->nodes[i]->busy;
        if (!open || ktime_mono_ns() >= deadline) break;
        wait_until(sc, deadline);
    }
    if (sc->state == KSHARE_JOINING || sc->state == KSHARE_MEMBER || sc->hb_inflight) {
        sc->state = KSHARE_LEAVING;
        kshare_hb_kick(sc);
        while (sc->state != KSHARE_LEFT && ktime_mono_ns() < deadline)
            wait_until(sc, deadline);
    }
    kfk_err err = sc->state == KSHARE_LEAVING || kshare_busy(sc) ? KFK_ERR_TIMED_OUT : KFK_OK;
    sc->state = KSHARE_LEFT;
    kshare_done_serve(sc);
    pthread_mutex_unlock(&sc->lock);
    return err ? kclient_error_end(sc->client, err) : KFK_OK;
}

void kfk_share_consumer_destroy(kfk_share_consumer *sc)
{
    if (!sc) return;
    if (!kclient_forked(sc->client)) kfk_share_consumer_close(sc, KFK_CONSUMER_CLOSE_TIMEOUT_MS);
    kclient_destroy(sc->client);
    pthread_mutex_lock(&sc->lock);
    drop_queue(sc);
    while (sc->done_head) {
        kshare_done *d = sc->done_head;
        sc->done_head = d->next;
        free(d->offsets);
        free(d);
    }
    pthread_mutex_unlock(&sc->lock);
    for (int i = 0; i < sc->n_nodes; i++)
        kshare_node_free(sc->nodes[i]);
    free(sc->nodes);
    for (int i = 0; i < sc->n_parts; i++) {
        kshare_acks_free(&sc->parts[i]->acks);
        free(sc->parts[i]->cp.topic);
        free(sc->parts[i]);
    }
    free(sc->parts);
    free(sc->out);
    kshare_membership_free(sc);
    kwakefd_close(&sc->wake);
    pthread_mutex_destroy(&sc->lock);
    pthread_cond_destroy(&sc->cond);
    free(sc->rack);
    free(sc->group_id);
    free(sc);
}
