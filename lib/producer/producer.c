/* The producer handle: creation, kfk_produce, topics and their
 * partitions, housekeeping, and the end of a producer's life. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/container_of.h"
#include "base/err.h"
#include "base/time.h"
#include "base/topic_name.h"
#include "producer/fastclock.h"
#include "producer/producer_int.h"
#include "producer/txn.h"

#define KPROD_HEADERS_ON_STACK 16

void kfk_conf_set_dr_cb(kfk_conf *conf, kfk_dr_cb *cb, void *opaque)
{
    if (!conf) return;
    kconf_set_cb(conf, KCONF_DR_CB, (kconf_fn)cb, opaque);
}

void kfk_conf_set_partitioner_cb(kfk_conf *conf, kfk_partitioner_cb *cb, void *opaque)
{
    if (!conf) return;
    kconf_set_cb(conf, KCONF_PARTITIONER_CB, (kconf_fn)cb, opaque);
}

/* --- topics ---------------------------------------------------------------------- */

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* topics_lock held (read or write). */
static kptopic *topic_find(kfk_producer *p, const char *name)
{
    if (!p->cap_topics) return NULL;
    size_t mask = p->cap_topics - 1;
    for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
        kptopic *t = p->topics[i];
        if (!t || !strcmp(t->name, name)) return t;
    }
}

/* topics_lock held for writing. */
static int topic_insert(kfk_producer *p, kptopic *t)
{
    if ((p->n_topics + 1) * 2 > p->cap_topics) {
        size_t cap = p->cap_topics ? p->cap_topics * 2 : 16;
        kptopic **v = calloc(cap, sizeof(*v));
        if (!v) return -1;
        for (size_t i = 0; i < p->cap_topics; i++) {
            if (!p->topics[i]) continue;
            size_t j = name_hash(p->topics[i]->name) & (cap - 1);
            while (v[j])
                j = (j + 1) & (cap - 1);
            v[j] = p->topics[i];
        }
        free(p->topics);
        p->topics = v;
        p->cap_topics = cap;
    }
    size_t j = name_hash(t->name) & (p->cap_topics - 1);
    while (p->topics[j])
        j = (j + 1) & (p->cap_topics - 1);
    p->topics[j] = t;
    p->n_topics++;
    return 0;
}

static void topic_free(kptopic *t)
{
    kpart_array *a = atomic_load(&t->parts);
    if (a) {
        for (int32_t i = 0; i < a->n; i++) {
            pthread_mutex_destroy(&a->parts[i]->lock);
            free(a->parts[i]->unacked);
            free(a->parts[i]);
        }
    }
    while (a) {
        kpart_array *older = a->older;
        free(a->parts);
        free(a);
        a = older;
    }
    for (kavail *v = atomic_load(&t->avail); v;) {
        kavail *older = v->older;
        free(v);
        v = older;
    }
    kpartitioner_destroy(&t->partitioner);
    free(t->name);
    free(t);
}

static kptopic *topic_new(kfk_producer *p, const char *name)
{
    kptopic *t = calloc(1, sizeof(*t));
    if (!t || !(t->name = strdup(name))) {
        free(t);
        return NULL;
    }
    int kind = p->partitioner_cb ? KPARTITIONER_CALLBACK : p->partitioner_kind;
    uint64_t seed = (uint64_t)ktime_mono_ns() ^ (uintptr_t)t;
    if (kpartitioner_init(&t->partitioner, kind, kconf_bool(p->conf, KCONF_PARTITIONER_IGNORE_KEYS),
                          kconf_i64(p->conf, KCONF_BATCH_SIZE), p->partitioner_cb,
                          p->partitioner_opaque, seed) != KFK_OK) {
        free(t->name);
        free(t);
        return NULL;
    }
    atomic_init(&t->used_ms, ktime_mono_ms());
    return t;
}

/* Grows t's partitions to n (they never shrink). Callers serialize on
 * topics_lock held for writing. */
static kfk_err topic_grow(kfk_producer *p, kptopic *t, int32_t n)
{
    kpart_array *old = atomic_load(&t->parts);
    int32_t have = old ? old->n : 0;
    if (n <= have) return KFK_OK;
    kpart_array *a = calloc(1, sizeof(*a));
    kpart **v = a ? calloc((size_t)n, sizeof(*v)) : NULL;
    if (!v) {
        free(a);
        return KFK_ERR_NO_MEMORY;
    }
    if (have) memcpy(v, old->parts, (size_t)have * sizeof(*v));
    for (int32_t i = have; i < n; i++) {
        kpart *pp = calloc(1, sizeof(*pp));
        kaccum_batch **unacked = pp ? calloc(KPROD_MAX_UNACKED, sizeof(*unacked)) : NULL;
        if (!unacked || !(pp->ap = kaccum_part_new(p->accum, pp))) {
            free(unacked);
            free(pp);
            for (int32_t j = have; j < i; j++) {
                free(v[j]->unacked);
                free(v[j]); /* their kaccum_parts go with the accumulator */
            }
            free(v);
            free(a);
            return KFK_ERR_NO_MEMORY;
        }
        pp->unacked = unacked;
        pp->cap_unacked = KPROD_MAX_UNACKED;
        pp->topic = t;
        pp->id = i;
        pp->pid = -1;
        pp->epoch = -1;
        pthread_mutex_init(&pp->lock, NULL);
        atomic_init(&pp->drain_ms, ktime_mono_ms());
        v[i] = pp;
    }
    a->n = n;
    a->parts = v;
    a->older = old;
    atomic_store(&t->parts, a);
    atomic_fetch_add(&p->topics_version, 1);
    return KFK_OK;
}

/* Publishes the partitions of mt that have a leader, when they changed. */
static void topic_sync_avail(kfk_producer *p, kptopic *t, const kmeta_topic *mt)
{
    kavail *v = malloc(sizeof(*v) + ((size_t)mt->n_partitions + 1) * sizeof(int32_t));
    if (!v) return;
    v->n = 0;
    for (int32_t i = 0; i < mt->n_partitions; i++)
        if (mt->partitions[i].leader >= 0) v->ids[v->n++] = i;
    pthread_rwlock_wrlock(&p->topics_lock);
    kavail *cur = atomic_load(&t->avail);
    if (cur && cur->n == v->n && !memcmp(cur->ids, v->ids, (size_t)v->n * sizeof(int32_t))) {
        free(v);
    } else {
        v->older = cur;
        atomic_store(&t->avail, v);
    }
    pthread_rwlock_unlock(&p->topics_lock);
}

/* Takes in what the metadata cache knows of t. Returns KFK_OK once t has
 * partitions, else the topic's error or KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION. */
static kfk_err topic_sync(kfk_producer *p, kptopic *t)
{
    kmeta_topic *mt = kmeta_topic_get(kclient_meta(p->client), t->name);
    int32_t n = mt ? mt->n_partitions : 0;
    kfk_err terr = mt && mt->err ? mt->err : KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (mt) {
        topic_sync_avail(p, t, mt);
        kmeta_topic_unref(mt);
    }
    kpart_array *a = atomic_load(&t->parts);
    if (n > (a ? a->n : 0)) {
        pthread_rwlock_wrlock(&p->topics_lock);
        kfk_err err = topic_grow(p, t, n);
        pthread_rwlock_unlock(&p->topics_lock);
        if (err) return err;
    }
    return atomic_load(&t->parts) ? KFK_OK : terr;
}

/* Java's waitOnMetadata: waits up to max.block.ms (0: not at all) for
 * metadata naming t with more than `need` partitions, asking for it.
 * KFK_ERR_TIMED_OUT when it did not come (Java: "Topic X not present in
 * metadata after N ms"; logged once per topic until it comes), else
 * KFK_OK, KFK_ERR_DESTROYED, KFK_ERR_NO_MEMORY or the topic's own
 * metadata error (e.g. TOPIC_AUTHORIZATION_FAILED). */
static kfk_err await_metadata(kfk_producer *p, kptopic *t, int32_t need)
{
    int64_t deadline = ktime_mono_ms() + p->max_block_ms;
    kfk_err err;
    for (;;) {
        err = topic_sync(p, t);
        kpart_array *a = atomic_load(&t->parts);
        if (err == KFK_OK && a->n > need) {
            atomic_store(&t->missing_logged, false);
            return KFK_OK;
        }
        /* A topic the client may not use, or a bad name, will not come
         * by waiting (Java throws from waitOnMetadata at once); a fresh
         * answer is asked for all the same, so that a call after an ACL
         * change sees it, as Java's next send does. */
        if (err == KFK_ERR_NO_MEMORY) return err;
        if (err && !kerr_retriable(err)) {
            kclient_refresh(p->client, "producer: topic metadata after an error");
            return err;
        }
        int64_t left = deadline - ktime_mono_ms();
        if (left <= 0 || atomic_load(&p->closing)) break;
        kclient_refresh(p->client, "producer: topic metadata");
        kfk_err w = kclient_refresh_wait(p->client, (int)(left < INT32_MAX ? left : INT32_MAX));
        if (w == KFK_ERR_DESTROYED || w == KFK_ERR_AUTH || w == KFK_ERR_TLS) return w;
    }
    if (err != KFK_OK && err != KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION &&
        err != KFK_ERR_LEADER_NOT_AVAILABLE)
        return err;
    /* The metadata asked for above keeps coming: a later call may pass. */
    kclient_refresh(p->client, "producer: topic metadata");
    if (!atomic_exchange(&t->missing_logged, true)) {
        if (err)
            klog(kclient_log(p->client), KFK_LOG_WARNING, "producer",
                 "topic %s not present in metadata after %lld ms (max.block.ms): "
                 "kfk_produce returns KFK_ERR_TIMED_OUT until it is",
                 t->name, (long long)p->max_block_ms);
        else
            klog(kclient_log(p->client), KFK_LOG_WARNING, "producer",
                 "partition %d of topic %s with %d partitions not present in metadata after "
                 "%lld ms (max.block.ms): kfk_produce returns KFK_ERR_TIMED_OUT",
                 need, t->name, atomic_load(&t->parts)->n, (long long)p->max_block_ms);
    }
    return KFK_ERR_TIMED_OUT;
}

/* Each thread remembers the last topic it produced to: most threads write
 * to one topic, and a string compare is cheaper than hash, lock, probe.
 * Topics live as long as their producer; serial keeps a new producer at
 * a freed one's address from reading the old one's entry. */
static _Thread_local struct {
    uint64_t serial;
    kptopic *topic;
} last_topic;

static atomic_uint_fast64_t producer_serials;

/* The topic named name with its partitions, waiting for metadata up to
 * max.block.ms the first time. */
static kfk_err topic_get(kfk_producer *p, const char *name, kptopic **out)
{
    if (last_topic.serial == p->serial && !strcmp(last_topic.topic->name, name)) {
        *out = last_topic.topic;
        return KFK_OK;
    }
    pthread_rwlock_rdlock(&p->topics_lock);
    kptopic *t = topic_find(p, name);
    pthread_rwlock_unlock(&p->topics_lock);
    if (t && atomic_load(&t->parts)) {
        last_topic.serial = p->serial;
        last_topic.topic = t;
        *out = t;
        return KFK_OK;
    }
    if (!t) {
        /* A name no broker takes would only wait out max.block.ms (and
         * each one would be kept): refuse it before asking. */
        char why[128];
        if (ktopic_name_check(name, strlen(name), why, sizeof(why))) {
            klog(kclient_log(p->client), KFK_LOG_DEBUG, "producer", "%s", why);
            return KFK_ERR_INVALID_TOPIC_EXCEPTION;
        }
        pthread_rwlock_wrlock(&p->topics_lock);
        if (!(t = topic_find(p, name))) {
            t = topic_new(p, name);
            if (!t || topic_insert(p, t) < 0) {
                pthread_rwlock_unlock(&p->topics_lock);
                if (t) topic_free(t);
                return KFK_ERR_NO_MEMORY;
            }
            kclient_want_topics(p->client, &name, 1);
        }
        pthread_rwlock_unlock(&p->topics_lock);
    }
    *out = t;
    return await_metadata(p, t, 0);
}

int kprod_all_parts(kfk_producer *p, kpart ***out)
{
    pthread_rwlock_rdlock(&p->topics_lock);
    size_t n = 0;
    for (size_t i = 0; i < p->cap_topics; i++) {
        kpart_array *a = p->topics[i] ? atomic_load(&p->topics[i]->parts) : NULL;
        n += a ? (size_t)a->n : 0;
    }
    kpart **v = malloc((n ? n : 1) * sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; v && i < p->cap_topics; i++) {
        kpart_array *a = p->topics[i] ? atomic_load(&p->topics[i]->parts) : NULL;
        for (int32_t j = 0; a && j < a->n && k < n; j++)
            v[k++] = a->parts[j];
    }
    pthread_rwlock_unlock(&p->topics_lock);
    *out = v;
    return v ? (int)k : -1;
}

/* Calls fn for every partition's accumulator queue, topics_lock held
 * for reading. */
static void each_part(kfk_producer *p, void (*fn)(kfk_producer *, kaccum_part *, void *), void *arg)
{
    pthread_rwlock_rdlock(&p->topics_lock);
    for (size_t i = 0; i < p->cap_topics; i++) {
        kpart_array *a = p->topics[i] ? atomic_load(&p->topics[i]->parts) : NULL;
        for (int32_t j = 0; a && j < a->n; j++)
            fn(p, a->parts[j]->ap, arg);
    }
    pthread_rwlock_unlock(&p->topics_lock);
}

static void purge_one(kfk_producer *p, kaccum_part *ap, void *out)
{
    kaccum_purge(p->accum, &ap, 1, out);
}

void kprod_purge_parts(kfk_producer *p, kaccum_list *out)
{
    each_part(p, purge_one, out);
}

typedef struct {
    int64_t now_ms, oldest;
    kaccum_list *out;
} expire_arg;

static void expire_one(kfk_producer *p, kaccum_part *ap, void *arg)
{
    expire_arg *e = arg;
    kaccum_expire(p->accum, &ap, 1, e->now_ms, p->delivery_timeout_ms, e->out);
    int64_t oldest = kaccum_oldest_ms(p->accum, &ap, 1);
    if (oldest < e->oldest) e->oldest = oldest;
}

void kprod_expire_parts(kfk_producer *p, int64_t now_ms, kaccum_list *out, int64_t *oldest)
{
    expire_arg e = {.now_ms = now_ms, .oldest = INT64_MAX, .out = out};
    each_part(p, expire_one, &e);
    *oldest = e.oldest;
}

uint64_t kprod_routing_version(kfk_producer *p)
{
    return atomic_load(&kclient_meta(p->client)->version) * 1000003u +
           atomic_load(&p->topics_version);
}

/* --- producing ------------------------------------------------------------------- */

static kfk_err choose_partition(kptopic *t, const kpart_array *a, const kfk_record *rec,
                                int32_t *part, bool *sticky)
{
    *sticky = false;
    if (rec->partition != KFK_PARTITION_ANY) {
        if (rec->partition < 0 || rec->partition >= a->n) return KFK_ERR_INVALID_ARG;
        *part = rec->partition;
        return KFK_OK;
    }
    const kavail *v = atomic_load(&t->avail);
    kpart_topic pt = {.topic = t->name, .partition_count = a->n};
    if (v && v->n < a->n) { /* partitions without a leader get no keyless records */
        pt.available = v->ids;
        pt.n_available = v->n;
    }
    kslice key = {rec->key, rec->key_len};
    return kpartitioner_choose(&t->partitioner, &pt, key, part, sticky);
}

static kfk_err append(kfk_producer *p, kptopic *t, kpart *pp, const kfk_record *rec,
                      const krecord_header *hdrs, void *opaque, bool sticky)
{
    /* In ns until the end: rounding each clock to ms first could put a
     * timestamp 2 ms before the wall clock. */
    int64_t now_ns = kfc_now_ns(), now_ms = now_ns / KTIME_NS_PER_MS;
    kaccum_rec ar = {
        .timestamp = rec->timestamp_ms ? rec->timestamp_ms
                                       : (now_ns + atomic_load_explicit(&p->wall_offset_ns,
                                                                        memory_order_relaxed)) /
                                             KTIME_NS_PER_MS,
        .key = {rec->key, rec->key_len},
        .value = {rec->value, rec->value_len},
        .headers = hdrs,
        .n_headers = rec->n_headers,
        .opaque = opaque,
        .reports_served = kdr_served_elsewhere,
        .waiting = kprod_waking_senders,
        .reports_ctx = p,
    };
    kaccum_appended res;
    if (atomic_fetch_add(&p->outstanding, 1) == 0) /* busy again (idle.c) */
        atomic_fetch_add_explicit(&p->busy_spells, 1, memory_order_relaxed);
    kfk_err err = kaccum_append(p->accum, pp->ap, &ar, now_ms, &res);
    if (err) {
        atomic_fetch_sub(&p->outstanding, 1);
        return err;
    }
    if (sticky) kpartitioner_appended(&t->partitioner, pp->id, res.bytes, res.batch_full);
    if (res.new_batch) {
        atomic_store_explicit(&t->used_ms, now_ms, memory_order_relaxed);
        /* Once per batch: the wall clock may have been stepped. */
        atomic_store_explicit(&p->wall_offset_ns, ktime_wall_offset_ns(), memory_order_relaxed);
        kprod_expiry_note(p, now_ms);
    }
    if (res.ready)
        ksender_kick_part(p, pp);
    else if (res.new_batch)
        ksender_kick_new_batch(
            p, pp, now_ms > INT64_MAX - p->linger_ms ? INT64_MAX : now_ms + p->linger_ms);
    return KFK_OK;
}

/* The record's checks that need no metadata; sets the reason. */
static kfk_err check_record(kfk_producer *p, const kfk_record *rec)
{
    const kclient *c = p->client;
    if (!rec) return kclient_error_set(c, "kfk_produce: rec is NULL"), KFK_ERR_INVALID_ARG;
    if (!rec->topic)
        return kclient_error_set(c, "kfk_produce: rec->topic is NULL"), KFK_ERR_INVALID_ARG;
    if (rec->n_headers && !rec->headers) {
        kclient_error_set(c, "kfk_produce: rec->headers is NULL with rec->n_headers %zu",
                          rec->n_headers);
        return KFK_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < rec->n_headers; i++)
        if (!rec->headers[i].name) {
            kclient_error_set(c, "kfk_produce: rec->headers[%zu].name is NULL", i);
            return KFK_ERR_INVALID_ARG;
        }
    /* Reserved for later fields: refused unless zero, so they can get a meaning. */
    _Static_assert(sizeof(rec->reserved) == 4 * sizeof(void *), "check every reserved word");
    if (rec->reserved[0] || rec->reserved[1] || rec->reserved[2] || rec->reserved[3]) {
        kclient_error_set(c, "kfk_produce: rec->reserved is not all zero (initialize the "
                             "record, e.g. kfk_record rec = {.topic = ...})");
        return KFK_ERR_INVALID_ARG;
    }
    if (rec->partition < 0 && rec->partition != KFK_PARTITION_ANY) {
        kclient_error_set(c,
                          "kfk_produce: rec->partition %d is neither a partition nor "
                          "KFK_PARTITION_ANY",
                          (int)rec->partition);
        return KFK_ERR_INVALID_ARG;
    }
    if (atomic_load(&p->closing))
        return kclient_error_set(c, "kfk_produce: the producer is closing"), KFK_ERR_DESTROYED;
    if (kclient_forked(c)) {
        kclient_error_set(c, "kfk_produce: the producer belongs to the parent process");
        return KFK_ERR_STATE;
    }
    return KFK_OK;
}

/* A record kfk_produce refused after the interceptors' on_send: their
 * on_acknowledgement gets the error, as Java's onSendError (no report
 * follows, so this is its only acknowledgement). */
static void kicpt_refused(kfk_producer *p, const kfk_record *rec, void *opaque, kfk_err err)
{
    kfk_delivery_report r = {.topic = rec->topic,
                             .partition = rec->partition,
                             .offset = -1,
                             .timestamp_ms = rec->timestamp_ms,
                             .err = err,
                             .opaque = opaque};
    kicpt_on_ack(p, &r);
}

/* Why the topic or its partition is not to be had, into the last error. */
static void explain_topic(kfk_producer *p, const kfk_record *rec, kfk_err err)
{
    const kclient *c = p->client;
    if (err == KFK_ERR_INVALID_TOPIC_EXCEPTION)
        kclient_error_set(c, "kfk_produce: \"%.200s\" is not a valid topic name", rec->topic);
    else if (err == KFK_ERR_TIMED_OUT)
        kclient_error_set(c,
                          "kfk_produce: topic \"%.200s\" not present in metadata after %lld ms "
                          "(max.block.ms)",
                          rec->topic, (long long)p->max_block_ms);
    else if (err != KFK_ERR_NO_MEMORY)
        kclient_error_set(c, "kfk_produce: topic \"%.200s\": %s", rec->topic, kfk_err_str(err));
}

/* Why the partition is not to be had, into the last error. */
static void explain_partition(kfk_producer *p, kptopic *t, const kfk_record *rec, kfk_err err)
{
    if (err != KFK_ERR_TIMED_OUT) {
        explain_topic(p, rec, err);
        return;
    }
    kclient_error_set(p->client,
                      "kfk_produce: partition %d of topic \"%.200s\" is out of range: "
                      "the topic has %d partitions (waited %lld ms, max.block.ms)",
                      (int)rec->partition, t->name, atomic_load(&t->parts)->n,
                      (long long)p->max_block_ms);
}

/* Why the record does not fit, into the last error. */
static void explain_append(kfk_producer *p, const kfk_record *rec, const krecord_header *hdrs,
                           kfk_err err)
{
    const kclient *c = p->client;
    int64_t mem = kconf_i64(p->conf, KCONF_BUFFER_MEMORY);
    if (err == KFK_ERR_TOO_LARGE) {
        size_t size =
            KBATCH_HEADER_SIZE + kbatch_record_size(0, 0, (kslice){rec->key, rec->key_len},
                                                    (kslice){rec->value, rec->value_len}, hdrs,
                                                    rec->n_headers);
        kclient_error_set(c,
                          "kfk_produce: the record is %zu bytes in its batch, over "
                          "max.request.size (%zu) or buffer.memory (%lld)",
                          size, p->max_request_bytes, (long long)mem);
    } else if (err == KFK_ERR_QUEUE_FULL) {
        int64_t reports = kaccum_report_bytes(p->accum);
        if (reports > 0)
            kclient_error_set(c,
                              "kfk_produce: buffer.memory (%lld bytes) is full, %lld bytes of "
                              "it delivery reports waiting for kfk_producer_poll: poll, then "
                              "produce again",
                              (long long)mem, (long long)reports);
        else
            kclient_error_set(c,
                              "kfk_produce: buffer.memory (%lld bytes) stayed full for "
                              "max.block.ms (%lld ms)",
                              (long long)mem, (long long)p->max_block_ms);
    } else if (err == KFK_ERR_DESTROYED) {
        kclient_error_set(c, "kfk_produce: the producer is closing");
    }
}

static kfk_err produce(kfk_producer *p, const kfk_record *rec, void *opaque)
{
    kfk_err err = check_record(p, rec);
    if (err) return err;
    kptopic *t;
    if ((err = topic_get(p, rec->topic, &t))) return explain_topic(p, rec, err), err;
    kprod_topic_wake(p, t);
    const kpart_array *a = atomic_load(&t->parts);
    /* A partition the metadata does not show yet: the topic may have
     * grown; Java waits for it up to max.block.ms too. */
    if (rec->partition != KFK_PARTITION_ANY && rec->partition >= a->n) {
        if ((err = await_metadata(p, t, rec->partition)))
            return explain_partition(p, t, rec, err), err;
        a = atomic_load(&t->parts);
    }
    int32_t part;
    bool sticky;
    if ((err = choose_partition(t, a, rec, &part, &sticky))) {
        kclient_error_set(p->client,
                          "kfk_produce: the partitioner chose no partition of the %d "
                          "of topic \"%.200s\"",
                          a->n, t->name);
        return err;
    }
    if (p->txn && (err = ktxn_record(p, a->parts[part]))) {
        if (err == KFK_ERR_STATE)
            kclient_error_set(p->client,
                              "kfk_produce: a transactional producer produces inside a "
                              "transaction only, and not after a failed record until the "
                              "transaction is aborted");
        return err;
    }

    krecord_header stack[KPROD_HEADERS_ON_STACK], *hdrs = stack;
    if (rec->n_headers > KPROD_HEADERS_ON_STACK && !(hdrs = malloc(rec->n_headers * sizeof(*hdrs))))
        return KFK_ERR_NO_MEMORY;
    for (size_t i = 0; i < rec->n_headers; i++) {
        const kfk_header *h = &rec->headers[i];
        hdrs[i].key =
            (kslice){(const uint8_t *)h->name, h->name_len ? h->name_len : strlen(h->name)};
        hdrs[i].value = (kslice){h->value, h->value ? h->value_len : 0};
    }
    if ((err = append(p, t, a->parts[part], rec, hdrs, opaque, sticky)))
        explain_append(p, rec, hdrs, err);
    if (hdrs != stack) free(hdrs);
    return err;
}

kfk_err kfk_produce(kfk_producer *p, const kfk_record *rec, void *opaque)
{
    if (!p) return KFK_ERR_INVALID_ARG;
    /* Interceptors cost kfk_produce one predicted branch (and one more
     * on an error), and leave produce as it is. */
    bool hooked = __builtin_expect(p->n_icpt != 0, 0) && rec;
    if (hooked) kicpt_on_send(p, rec);
    kfk_err err = produce(p, rec, opaque);
    if (__builtin_expect(err != KFK_OK, 0) && hooked) kicpt_refused(p, rec, opaque, err);
    return kclient_error_end(p->client, err);
}

const char *kfk_producer_last_error(const kfk_producer *p)
{
    return p ? kclient_last_error(p->client) : "";
}

/* --- housekeeping: on events, never on a polling timer ---------------------------------
 *
 * Re-routing: after every metadata refresh (kclient_set_meta_watch, on
 * kfk-bg) partition arrays grow, keyless-record availability follows the
 * leaders, and the leaders of partitions with queued batches are woken; a
 * queued partition still without a leader asks for another refresh, which
 * kclient paces by retry.backoff.ms. Expiry: one kfk-bg timer armed for
 * the earliest delivery.timeout.ms deadline of a queued batch (noted when
 * a batch opens or is put back for a retry). KIP-794 queue lengths go to
 * the partitioners from the senders' pulls, at most every
 * KPROD_LOAD_MS. The wall clock offset for CreateTime is read again when
 * a batch opens. An idle producer does nothing. */

/* Grows partition arrays after metadata moved, wakes the leaders of
 * partitions with queued batches (a moved leader, a retry waiting for a
 * new one) and asks for metadata when some have none. kfk-bg. */
static void on_metadata(void *opaque)
{
    kfk_producer *p = opaque;
    if (atomic_load(&p->closing)) return;
    uint64_t mv = atomic_load(&kclient_meta(p->client)->version);
    if (mv != p->meta_seen) {
        p->meta_seen = mv;
        pthread_rwlock_rdlock(&p->topics_lock);
        size_t n = p->cap_topics;
        kptopic **ts = malloc((n ? n : 1) * sizeof(*ts));
        if (ts && n) memcpy(ts, p->topics, n * sizeof(*ts));
        pthread_rwlock_unlock(&p->topics_lock);
        for (size_t i = 0; ts && i < n; i++)
            if (ts[i]) topic_sync(p, ts[i]);
        free(ts);
    }
    kprod_drop_idle_topics(p, ktime_mono_ms());
    ksender_retire_departed(p);
    kpart **parts;
    int n = kprod_all_parts(p, &parts);
    for (int i = 0; i < n; i++)
        if (kaccum_part_queued(parts[i]->ap) > 0) ksender_kick_part(p, parts[i]);
    free(parts);
}

/* partitioner.availability.timeout.ms (Java's NodeLatencyStats): a
 * partition whose oldest batch has been due to go (linger.ms after its
 * first record) for longer than the timeout, with nothing of it sent
 * meanwhile, has a leader that cannot take its records; keyless records
 * skip it until a batch leaves. */
static bool stalled(kfk_producer *p, kpart *pp, int64_t now_ms)
{
    if (!p->avail_timeout_ms || kaccum_part_queued(pp->ap) == 0) return false;
    int64_t since = atomic_load_explicit(&pp->drain_ms, memory_order_relaxed);
    if (now_ms - since <= p->avail_timeout_ms) return false;
    int64_t oldest = kaccum_part_oldest_ms(pp->ap);
    if (oldest == INT64_MAX) return false;
    return now_ms - (oldest + p->linger_ms) > p->avail_timeout_ms;
}

/* KIP-794: tells each topic's partitioner how many batches wait per
 * available partition, so keyless records go less to slow brokers, and
 * none to stalled ones. */
static void publish_load(kfk_producer *p, int64_t now_ms)
{
    pthread_rwlock_rdlock(&p->topics_lock);
    for (size_t i = 0; i < p->cap_topics; i++) {
        kptopic *t = p->topics[i];
        kpart_array *a = t ? atomic_load(&t->parts) : NULL;
        const kavail *v = a ? atomic_load(&t->avail) : NULL;
        if (!v || !v->n) continue;
        int32_t ids[256], sizes[256], n = 0;
        for (int32_t j = 0; j < v->n && n < 256; j++) {
            if (v->ids[j] >= a->n || stalled(p, a->parts[v->ids[j]], now_ms)) continue;
            ids[n] = v->ids[j];
            sizes[n++] = kaccum_part_queued(a->parts[v->ids[j]]->ap);
        }
        kpartitioner_set_load(&t->partitioner, ids, sizes, n, a->n);
    }
    pthread_rwlock_unlock(&p->topics_lock);
}

void kprod_publish_load(kfk_producer *p, int64_t now_ms)
{
    if (!p->adaptive) return;
    int64_t last = atomic_load_explicit(&p->load_at_ms, memory_order_relaxed);
    if (now_ms - last < KPROD_LOAD_MS ||
        !atomic_compare_exchange_strong(&p->load_at_ms, &last, now_ms))
        return;
    publish_load(p, now_ms);
}

void kprod_expiry_note(kfk_producer *p, int64_t created_ms)
{
    int64_t at = created_ms > INT64_MAX - p->delivery_timeout_ms
                     ? INT64_MAX - 1
                     : created_ms + p->delivery_timeout_ms;
    int64_t cur = atomic_load(&p->expiry_at_ms);
    while (at < cur) {
        if (atomic_compare_exchange_weak(&p->expiry_at_ms, &cur, at)) {
            if (!atomic_exchange(&p->expiry_posted, true))
                kloop_post(kclient_bg_loop(p->client), &p->expiry_arm_task);
            return;
        }
    }
}

static void expiry_arm(ktask *t)
{
    kfk_producer *p = container_of(t, kfk_producer, expiry_arm_task);
    atomic_store(&p->expiry_posted, false);
    int64_t at = atomic_load(&p->expiry_at_ms);
    if (!p->expiry_stopped && at != INT64_MAX)
        kloop_timer_arm(kclient_bg_loop(p->client), &p->expiry_timer, at * KTIME_NS_PER_MS);
}

static void on_expiry(ktimer *tm)
{
    kfk_producer *p = container_of(tm, kfk_producer, expiry_timer);
    if (p->expiry_stopped) return;
    /* Cleared before looking: a batch opening meanwhile notes itself
     * again, one opened before is seen by the scan. */
    atomic_store(&p->expiry_at_ms, INT64_MAX);
    int64_t oldest = kdr_expire(p);
    if (oldest != INT64_MAX) kprod_expiry_note(p, oldest);
}

static void expiry_stop(ktask *t)
{
    kfk_producer *p = container_of(t, kfk_producer, expiry_stop_task);
    kloop_timer_disarm(kclient_bg_loop(p->client), &p->expiry_timer);
    kprod_quiet_stop(p);
    pthread_mutex_lock(&p->senders_lock);
    p->expiry_stopped = true;
    pthread_cond_broadcast(&p->senders_cond);
    pthread_mutex_unlock(&p->senders_lock);
}

/* --- life cycle ------------------------------------------------------------------ */

static void read_conf(kfk_producer *p, const kfk_conf *c)
{
    p->acks = (int16_t)kconf_int(c, KCONF_ACKS);
    p->idempotent = kconf_bool(c, KCONF_ENABLE_IDEMPOTENCE);
    p->max_in_flight = kconf_int(c, KCONF_MAX_IN_FLIGHT);
    if (p->max_in_flight > KPROD_MAX_UNACKED) p->max_in_flight = KPROD_MAX_UNACKED;
    if (p->max_in_flight < 1) p->max_in_flight = 1;
    p->codec = (kcodec)kconf_int(c, KCONF_COMPRESSION_TYPE);
    p->codec_level = -1;
    if (p->codec == KCODEC_GZIP) p->codec_level = kconf_int(c, KCONF_COMPRESSION_GZIP_LEVEL);
    if (p->codec == KCODEC_LZ4) p->codec_level = kconf_int(c, KCONF_COMPRESSION_LZ4_LEVEL);
    if (p->codec == KCODEC_ZSTD) p->codec_level = kconf_int(c, KCONF_COMPRESSION_ZSTD_LEVEL);
    p->delivery_timeout_ms = kconf_i64(c, KCONF_DELIVERY_TIMEOUT_MS);
    p->request_timeout_ms = kconf_i64(c, KCONF_REQUEST_TIMEOUT_MS);
    p->retry_backoff_ms = kconf_i64(c, KCONF_RETRY_BACKOFF_MS);
    p->max_retries = (int32_t)kconf_i64(c, KCONF_RETRIES);
    p->max_block_ms = kconf_i64(c, KCONF_MAX_BLOCK_MS);
    p->max_idle_ms = kconf_i64(c, KCONF_METADATA_MAX_IDLE_MS);
    p->max_request_bytes = (size_t)kconf_i64(c, KCONF_MAX_REQUEST_SIZE);
    p->partitioner_kind = kconf_int(c, KCONF_PARTITIONER);
    p->adaptive = p->partitioner_kind == KCONF_PARTITIONER_DEFAULT &&
                  kconf_bool(c, KCONF_PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE);
    p->avail_timeout_ms = kconf_i64(c, KCONF_PARTITIONER_AVAILABILITY_TIMEOUT_MS);
    p->linger_ms = kconf_i64(c, KCONF_LINGER_MS);
    void *o;
    p->partitioner_cb = (kfk_partitioner_cb *)kconf_cb(c, KCONF_PARTITIONER_CB, &o);
    p->partitioner_opaque = o;
    p->dr_cb = (kfk_dr_cb *)kconf_cb(c, KCONF_DR_CB, &o);
    p->dr_opaque = o;
    p->icpt = c->icpt;
    p->n_icpt = c->n_icpt;
}

static kaccum *accum_new(const kfk_conf *c)
{
    kaccum_conf ac = {
        .batch_size = kconf_i64(c, KCONF_BATCH_SIZE),
        .linger_ms = kconf_i64(c, KCONF_LINGER_MS),
        .buffer_memory = kconf_i64(c, KCONF_BUFFER_MEMORY),
        .max_block_ms = kconf_i64(c, KCONF_MAX_BLOCK_MS),
        .max_record_bytes = kconf_i64(c, KCONF_MAX_REQUEST_SIZE),
        .grow = true,
    };
    return kaccum_new(&ac);
}

static void init_locks(kfk_producer *p)
{
    pthread_rwlock_init(&p->topics_lock, NULL);
    pthread_mutex_init(&p->senders_lock, NULL);
    pthread_mutex_init(&p->idle_lock, NULL);
    pthread_cond_init(&p->senders_cond, NULL);
    pthread_mutex_init(&p->dr_lock, NULL);
    /* delivery.c waits on it with monotonic deadlines */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->dr_cond, &ca);
    pthread_condattr_destroy(&ca);
}

kfk_producer *kfk_producer_new(kfk_conf *conf, char *errstr, size_t errlen)
{
    kfk_producer *p = calloc(1, sizeof(*p));
    if (!p) {
        if (errstr && errlen) snprintf(errstr, errlen, "out of memory");
        kfk_conf_destroy(conf);
        return NULL;
    }
    if (!(p->client = kclient_new(conf, KCONF_PRODUCER, p, errstr, errlen))) {
        free(p);
        return NULL;
    }
    p->conf = kclient_conf(p->client);
    read_conf(p, p->conf);
    if (!(p->accum = accum_new(p->conf))) {
        if (errstr && errlen) snprintf(errstr, errlen, "invalid batch.size or buffer.memory");
        kclient_destroy(p->client);
        free(p);
        return NULL;
    }
    init_locks(p);
    p->serial = atomic_fetch_add(&producer_serials, 1) + 1;
    atomic_init(&p->wall_offset_ns, ktime_wall_offset_ns());
    atomic_init(&p->producer_id, p->idempotent ? -1 : -1);
    atomic_init(&p->producer_epoch, -1);
    atomic_init(&p->expiry_at_ms, INT64_MAX);
    atomic_init(&p->load_at_ms, INT64_MIN / 2);
    ktimer_init(&p->expiry_timer, on_expiry);
    p->expiry_arm_task.fn = expiry_arm;
    p->expiry_stop_task.fn = expiry_stop;
    kprod_quiet_init(p);
    p->meta_seen = UINT64_MAX;
    kclient_set_meta_watch(p->client, on_metadata, p);
    const char *txn_id = kconf_str(p->conf, KCONF_TRANSACTIONAL_ID);
    if (txn_id && *txn_id) {
        if (ktxn_new(p)) { /* its InitProducerId waits for init_transactions */
            if (errstr && errlen) snprintf(errstr, errlen, "out of memory");
            kfk_producer_destroy(p);
            return NULL;
        }
    } else if (p->idempotent) {
        kidem_start(p);
    }
    return p;
}

kfk_err kfk_producer_purge(kfk_producer *p)
{
    if (!p) return KFK_ERR_INVALID_ARG;
    kaccum_list l = {0};
    kprod_purge_parts(p, &l);
    kfk_err why = atomic_load(&p->closing) ? KFK_ERR_DESTROYED : KFK_ERR_PURGED;
    for (kaccum_batch *b; (b = kaccum_list_pop(&l));)
        kdr_batch_abandon(p, b, why);
    return KFK_OK;
}

/* After a flush ran out of time: what the first few partitions still
 * holding records wait for, so a stall can be told from a slow broker. A
 * warning after a flush given KPROD_FLUSH_WARN_MS or more; below that a
 * timeout is routine (the bindings flush in short slices, an event loop
 * flushes with 0), and the lines are debug. */
#define KPROD_FLUSH_WARN_MS 1000
static void log_unflushed(kfk_producer *p, int timeout_ms)
{
    kfk_log_level level =
        timeout_ms < 0 || timeout_ms >= KPROD_FLUSH_WARN_MS ? KFK_LOG_WARNING : KFK_LOG_DEBUG;
    kpart **parts = NULL;
    int n = kprod_all_parts(p, &parts), told = 0;
    int64_t producer_epoch = atomic_load(&p->producer_epoch);
    for (int i = 0; i < n && told < 4; i++) {
        kpart *pp = parts[i];
        int queued = kaccum_part_queued(pp->ap);
        pthread_mutex_lock(&pp->lock);
        int inflight = pp->inflight, unacked = pp->n_unacked;
        bool held = pp->held, unresolved = pp->unresolved, rewrite = pp->rewrite;
        int16_t epoch = pp->epoch;
        bool active = pp->active_in != NULL;
        pthread_mutex_unlock(&pp->lock);
        if (!queued && !inflight && !unacked) continue;
        int32_t leader = -1, leader_epoch;
        kmeta_leader(kclient_meta(p->client), pp->topic->name, pp->id, &leader, &leader_epoch);
        klog(kclient_log(p->client), level, "producer",
             "flush timed out: %s [%d] holds batches: %d queued, %d in flight, %d unacknowledged; "
             "leader %d; %s%s%s%s, epoch %d (producer's %d)",
             pp->topic->name, pp->id, queued, inflight, unacked, (int)leader,
             active ? "in its sender's active set" : "in no active set",
             held ? ", new batches held" : "", unresolved ? ", a sequence unresolved" : "",
             rewrite ? ", waiting for a renumbering" : "", epoch, (int)producer_epoch);
        told++;
    }
    free(parts);
}

kfk_err kfk_producer_flush(kfk_producer *p, int timeout_ms)
{
    if (!p) return KFK_ERR_INVALID_ARG;
    if (kclient_forked(p->client)) return kclient_error_end(p->client, KFK_ERR_STATE);
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : ktime_mono_ms() + timeout_ms;
    kaccum_flush_begin(p->accum);
    ksender_kick_all(p);
    /* Batches whose leader has no sender yet get one from here too. */
    kpart **parts;
    int n = kprod_all_parts(p, &parts);
    for (int i = 0; i < n; i++)
        if (kaccum_part_queued(parts[i]->ap) > 0) ksender_kick_part(p, parts[i]);
    free(parts);
    kfk_err err = KFK_OK;
    while (atomic_load(&p->outstanding) > 0) {
        int64_t left = deadline - ktime_mono_ms();
        if (left <= 0) {
            err = KFK_ERR_TIMED_OUT;
            kclient_error_set(p->client,
                              "kfk_producer_flush: %lld records still without a "
                              "delivery report after %d ms",
                              (long long)atomic_load(&p->outstanding), timeout_ms);
            log_unflushed(p, timeout_ms);
            break;
        }
        kdr_serve(p, (int)(left < 100 ? left : 100));
        kprod_stats_tick(p);
    }
    kdr_serve(p, 0);
    kaccum_flush_end(p->accum);
    return kclient_error_end(p->client, err);
}

/* kfk-bg: a statistics document is due, which a poll delivers. */
static void stats_wake(void *opaque)
{
    kfk_producer *p = opaque;
    pthread_mutex_lock(&p->dr_lock);
    kwakefd_signal(&p->wake);
    pthread_mutex_unlock(&p->dr_lock);
}

int kfk_producer_wakeup_fd(kfk_producer *p)
{
    if (!p || kclient_forked(p->client)) return -1;
    pthread_mutex_lock(&p->dr_lock);
    bool made = !p->wake.open;
    int fd = kwakefd_get(&p->wake, p->dr_head != NULL);
    pthread_mutex_unlock(&p->dr_lock);
    if (made && fd >= 0) kclient_stats_wake_on(p->client, stats_wake, p);
    return fd;
}

int64_t kfk_producer_outstanding(const kfk_producer *p)
{
    return p ? (int64_t)atomic_load(&p->outstanding) : -1;
}

int64_t kfk_producer_buffered_bytes(const kfk_producer *p)
{
    return p ? kaccum_reserved_bytes(p->accum) : -1;
}

int kfk_producer_poll(kfk_producer *p, int timeout_ms)
{
    if (!p || kclient_forked(p->client)) return -1;
    return kprod_poll(p, timeout_ms);
}

static void producer_free(kfk_producer *p)
{
    for (size_t i = 0; i < p->cap_topics; i++)
        if (p->topics[i]) topic_free(p->topics[i]);
    free(p->topics);
    kaccum_destroy(p->accum);
    pthread_rwlock_destroy(&p->topics_lock);
    pthread_mutex_destroy(&p->senders_lock);
    pthread_mutex_destroy(&p->idle_lock);
    pthread_cond_destroy(&p->senders_cond);
    kwakefd_close(&p->wake);
    pthread_mutex_destroy(&p->dr_lock);
    pthread_cond_destroy(&p->dr_cond);
    free(p);
}

void kfk_producer_destroy(kfk_producer *p)
{
    if (!p || kclient_forked(p->client)) return; /* the parent's: left alone */
    atomic_store(&p->closing, true);
    kaccum_close(p->accum);
    kfk_producer_purge(p);
    kclient_set_meta_watch(p->client, NULL, NULL);
    if (kloop_post(kclient_bg_loop(p->client), &p->expiry_stop_task) == 0) {
        pthread_mutex_lock(&p->senders_lock);
        while (!p->expiry_stopped)
            pthread_cond_wait(&p->senders_cond, &p->senders_lock);
        pthread_mutex_unlock(&p->senders_lock);
    }
    kidem_stop(p);
    ksender_stop_all(p);
    /* In-flight requests complete with KFK_ERR_DESTROYED here. */
    kclient_destroy(p->client);
    kfk_producer_purge(p); /* anything put back for a retry meanwhile */
    while (kdr_serve(p, 0) > 0)
        ;
    ktxn_free(p);
    ksender_free_all(p);
    producer_free(p);
}

kfk_err kfk_producer_close(kfk_producer *p, int timeout_ms)
{
    if (!p) return KFK_ERR_INVALID_ARG;
    if (p->txn) ktxn_close(p, timeout_ms);
    kfk_err err = kfk_producer_flush(p, timeout_ms);
    kfk_producer_destroy(p);
    return err;
}
