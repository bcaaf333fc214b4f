/* The consumer handle: life cycle, manual assignment, poll, seek, pause
 * and position. Fetching is in fetcher.c, offset lookups in offsets.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/time.h"
#include "consumer/consumer_int.h"
#include "consumer/group.h"

static void read_conf(kfk_consumer *c)
{
    const kfk_conf *conf = kclient_conf(c->client);
    c->min_bytes = (int32_t)kconf_i64(conf, KCONF_FETCH_MIN_BYTES);
    c->max_bytes = (int32_t)kconf_i64(conf, KCONF_FETCH_MAX_BYTES);
    c->max_wait_ms = (int32_t)kconf_i64(conf, KCONF_FETCH_MAX_WAIT_MS);
    c->part_max_bytes = (int32_t)kconf_i64(conf, KCONF_MAX_PARTITION_FETCH_BYTES);
    c->max_poll_records = (size_t)kconf_i64(conf, KCONF_MAX_POLL_RECORDS);
    c->icpt = conf->icpt;
    c->n_icpt = conf->n_icpt;
    c->isolation = (int8_t)kconf_int(conf, KCONF_ISOLATION_LEVEL);
    c->check_crcs = kconf_bool(conf, KCONF_CHECK_CRCS);
    c->reset_policy = kconf_int(conf, KCONF_AUTO_OFFSET_RESET);
    c->request_timeout_ms = kconf_i64(conf, KCONF_REQUEST_TIMEOUT_MS);
    c->retry_backoff_ms = kconf_i64(conf, KCONF_RETRY_BACKOFF_MS);
    const char *rack = kconf_str(conf, KCONF_CLIENT_RACK);
    c->rack = rack[0] ? strdup(rack) : NULL;
}

static void meta_changed(void *opaque);
static void conn_refused(void *opaque, kfk_err err);

const char *kfk_consumer_last_error(const kfk_consumer *c)
{
    return c ? kclient_last_error(c->client) : "";
}

kfk_consumer *kfk_consumer_new(kfk_conf *conf, char *errstr, size_t errlen)
{
    kfk_consumer *c = calloc(1, sizeof(*c));
    if (!c) {
        if (errstr && errlen) snprintf(errstr, errlen, "out of memory");
        kfk_conf_destroy(conf);
        return NULL;
    }
    c->client = kclient_new(conf, KCONF_CONSUMER, c, errstr, errlen);
    if (!c->client) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->poll_lock, NULL);
    pthread_mutex_init(&c->sync_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cond, &ca);
    pthread_condattr_destroy(&ca);
    read_conf(c);
    c->held = kheld_new(c, (size_t)kconf_i64(conf, KCONF_FETCH_QUEUE_MAX_BYTES));
    if (!c->held) {
        if (errstr && errlen) snprintf(errstr, errlen, "out of memory");
        kfk_consumer_destroy(c);
        return NULL;
    }
    c->conn_err_part.consumer = c;
    c->conn_err_part.partition = -1;
    atomic_init(&c->conn_err_part.gen, 0);
    atomic_init(&c->conn_err_part.consumed, KFK_OFFSET_INVALID);
    if (!(c->conn_err_part.topic = strdup(""))) {
        snprintf(errstr, errlen, "out of memory");
        kfk_consumer_destroy(c);
        return NULL;
    }
    kclient_set_meta_watch(c->client, meta_changed, c);
    kclient_set_error_watch(c->client, conn_refused, c);
    if (kgroup_create(c, &c->group, errstr, errlen)) {
        kfk_consumer_destroy(c);
        return NULL;
    }
    return c;
}

/* --- helpers the other files use ------------------------------------------------ */

kheld *kheld_new(kfk_consumer *c, size_t max)
{
    kheld *h = calloc(1, sizeof(*h));
    if (!h) return NULL;
    atomic_init(&h->refs, 1);
    h->max = max;
    h->c = c;
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

static void kheld_unref(kheld *h)
{
    if (atomic_fetch_sub(&h->refs, 1) != 1) return;
    pthread_mutex_destroy(&h->lock);
    free(h);
}

void kheld_release(kheld *h)
{
    if (!h) return;
    pthread_mutex_lock(&h->lock);
    h->c = NULL;
    pthread_mutex_unlock(&h->lock);
    kheld_unref(h);
}

bool kheld_full(const kheld *h)
{
    return atomic_load_explicit(&h->bytes, memory_order_relaxed) >= h->max;
}

/* A count that falls below the bound lets the fetchers it held back go. */
void kheld_drop(kheld *h, size_t bytes)
{
    size_t before = atomic_fetch_sub(&h->bytes, bytes);
    if (before >= h->max && before - bytes < h->max) {
        pthread_mutex_lock(&h->lock);
        if (h->c) kconsumer_kick_all(h->c);
        pthread_mutex_unlock(&h->lock);
    }
    kheld_unref(h);
}

void kconsumer_enqueue(kfk_consumer *c, kchunk *ch)
{
    ch->next = NULL;
    if (c->tail)
        c->tail->next = ch;
    else
        c->head = ch;
    c->tail = ch;
    if (!ch->held && ch->bytes) {
        ch->held = c->held;
        atomic_fetch_add(&c->held->refs, 1);
        atomic_fetch_add(&c->held->bytes, ch->bytes);
    }
    kwakefd_signal(&c->wake);
    pthread_cond_signal(&c->cond);
}

void kconsumer_kick_all(kfk_consumer *c)
{
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < c->n_fetchers && !c->closing; i++) /* destroy drops f->b */
        if (!c->fetchers[i]->replaced) kconn_kick(c->fetchers[i]->b->conn);
    pthread_mutex_unlock(&c->lock);
}

kcpart *kconsumer_find(kfk_consumer *c, const char *topic, int32_t partition)
{
    for (int i = 0; i < c->n_parts; i++)
        if (c->parts[i]->partition == partition && strcmp(c->parts[i]->topic, topic) == 0)
            return c->parts[i];
    return NULL;
}

void kconsumer_detached(kfetcher *f)
{
    kfk_consumer *c = f->c;
    pthread_mutex_lock(&c->lock);
    if (f->close_detach) c->detach_left--;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

static int push_ptr(void ***arr, int *n, int *cap, void *p)
{
    if (*n == *cap) {
        int ncap = *cap ? *cap * 2 : 8;
        void **na = realloc(*arr, (size_t)ncap * sizeof(*na));
        if (!na) return -1;
        *arr = na;
        *cap = ncap;
    }
    (*arr)[(*n)++] = p;
    return 0;
}

/* Detaches the fetchers of brokers that left the registry (c->lock
 * held), so their connections can retire; they are freed at destroy. */
static void retire_departed(kfk_consumer *c, kbroker **bs, int n)
{
    for (int k = 0; k < c->n_fetchers; k++) {
        kfetcher *f = c->fetchers[k];
        bool known = false;
        for (int i = 0; i < n && !known; i++)
            known = bs[i] == f->b;
        if (known || f->replaced || c->closing) continue;
        f->replaced = true;
        kfetcher_detach(f);
    }
}

/* A fetcher per broker the registry knows; a replaced broker's fetcher
 * is detached (kept until destroy) and a new one attached. Any thread;
 * sync_lock keeps a slower caller from applying an older broker list
 * over a newer one. */
static void sync_fetchers(kfk_consumer *c)
{
    pthread_mutex_lock(&c->sync_lock);
    uint64_t v = kclient_brokers_version(c->client);
    kbroker **bs = NULL;
    int n = v == c->brokers_version ? -1 : kclient_brokers(c->client, &bs);
    if (n < 0) {
        pthread_mutex_unlock(&c->sync_lock);
        return;
    }
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < n; i++) {
        kbroker *b = bs[i];
        kfetcher *have = NULL;
        for (int k = 0; k < c->n_fetchers; k++)
            if (!c->fetchers[k]->replaced && c->fetchers[k]->b->id == b->id) have = c->fetchers[k];
        if (b->id < 0 || (have && have->b == b) || c->closing) {
            kbroker_unref(b);
            continue;
        }
        if (have) {
            have->replaced = true;
            kfetcher_detach(have);
        }
        kfetcher *f = kfetcher_new(c, b);
        if (!f || push_ptr((void ***)&c->fetchers, &c->n_fetchers, &c->cap_fetchers, f)) {
            if (f)
                kfetcher_free(f);
            else
                kbroker_unref(b);
            continue;
        }
        kfetcher_attach(f);
    }
    if (!c->closing) {
        retire_departed(c, bs, n);
        c->brokers_version = v;
    }
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_unlock(&c->sync_lock);
    free(bs);
}

/* Starts offset lookups and follows broker and metadata changes. Any
 * thread: polls, kfk-bg after a metadata refresh (meta_changed), an I/O
 * thread whose Fetch answer named a new endpoint (kconsumer_changed), so
 * that nothing waits for a poll to look. */
static void maintain(kfk_consumer *c)
{
    if (atomic_load(&c->reset_wanted)) koffsets_start_resets(c);
    sync_fetchers(c);
    uint64_t mv = atomic_load(&kclient_meta(c->client)->version);
    /* Polls and kfk-bg (taking an assignment) both get here. */
    if (mv != atomic_exchange(&c->meta_version, mv)) kconsumer_kick_all(c);
}

void kconsumer_changed(kfk_consumer *c)
{
    maintain(c);
}

void kconsumer_post_error(kfk_consumer *c, kfk_err err)
{
    if (atomic_exchange(&c->conn_err_queued, true)) return;
    pthread_mutex_lock(&c->lock);
    kchunk *ch = c->closing ? NULL : kchunk_error(&c->conn_err_part, 0, KFK_OFFSET_INVALID, err);
    if (ch)
        kconsumer_enqueue(c, ch);
    else
        atomic_store(&c->conn_err_queued, false);
    pthread_mutex_unlock(&c->lock);
}

/* kclient_set_error_watch: an I/O thread, when TLS or authentication
 * refused a connection. poll hands it out as an error message, as Java's
 * poll throws the AuthenticationException. */
static void conn_refused(void *opaque, kfk_err err)
{
    kconsumer_post_error(opaque, err);
}

/* kclient_set_meta_watch: kfk-bg, after each successful refresh. */
/* Whether an assigned partition that is due for fetching has no broker
 * to fetch from: its leader unknown, or a broker that left the cluster
 * (fenced after a crash, its leadership moving). */
static bool leaderless(kfk_consumer *c)
{
    kmeta *m = kclient_meta(c->client);
    bool none = false;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < c->n_parts && !none; i++) {
        kcpart *p = c->parts[i];
        if (!p->assigned || p->paused || p->state != KCP_FETCHING) continue;
        int32_t leader, epoch;
        kbroker *b = NULL;
        if (kmeta_leader(m, p->topic, p->partition, &leader, &epoch) == 0 && leader >= 0)
            b = kclient_broker(c->client, leader);
        none = b == NULL;
        if (b) kbroker_unref(b);
    }
    pthread_mutex_unlock(&c->lock);
    return none;
}

/* kfk-bg, after each metadata refresh. A partition fetched from nowhere
 * would wait for metadata.max.age.ms: metadata is asked again at once
 * (kclient paces refreshes by retry.backoff.ms), as Java's fetcher does
 * for a partition without an available leader. */
static void meta_changed(void *opaque)
{
    kfk_consumer *c = opaque;
    maintain(c);
    if (leaderless(c))
        kclient_refresh(c->client, "a partition to fetch has no leader in the cluster");
}

/* --- assignment -------------------------------------------------------------------- */

/* Sets where p starts (c->lock held): an offset, or a lookup. */
static void apply_offset(kfk_consumer *c, kcpart *p, int64_t offset)
{
    atomic_fetch_add(&p->gen, 1);
    p->eof_at = -1;
    kcpart_set_preferred(c, p, -1);
    p->last_epoch = -1; /* a seek leaves the epoch history behind */
    atomic_store(&p->consumed_epoch, -1);
    if (offset >= 0) {
        p->position = offset;
        atomic_store(&p->consumed, offset);
        p->state = KCP_FETCHING;
        return;
    }
    atomic_store(&p->consumed, KFK_OFFSET_INVALID);
    if (offset == KOFFSET_COMMITTED && c->group) {
        p->state = KCP_NEED_COMMITTED; /* group.c looks it up */
    } else if (offset == KFK_OFFSET_BEGINNING || offset == KFK_OFFSET_END) {
        p->reset_ts = offset == KFK_OFFSET_BEGINNING ? KOFFSET_EARLIEST : KOFFSET_LATEST;
        p->state = KCP_NEED_RESET;
        atomic_store(&c->reset_wanted, true);
    } else if (offset <= -1000 && offset != KFK_OFFSET_INVALID) {
        p->reset_ts = -offset - 1000; /* a timestamp, from seek_to_timestamp */
        p->state = KCP_NEED_RESET;
        atomic_store(&c->reset_wanted, true);
    } else if (!koffsets_reset_by_policy(c, p)) {
        p->state = KCP_FAILED;
        kchunk *ch = kchunk_error(p, atomic_load(&p->gen), KFK_OFFSET_INVALID, KFK_ERR_NO_OFFSET);
        if (ch) kconsumer_enqueue(c, ch);
    }
}

void kconsumer_start_at(kfk_consumer *c, kcpart *p, int64_t offset)
{
    apply_offset(c, p, offset);
}

static kcpart *part_new(kfk_consumer *c, const ktp *tp)
{
    kcpart *p = calloc(1, sizeof(*p));
    if (!p || !(p->topic = strdup(tp->topic))) {
        free(p);
        return NULL;
    }
    p->consumer = c;
    p->partition = tp->partition;
    p->preferred = -1;
    p->eof_at = -1;
    p->last_epoch = -1;
    p->committed_pos = KFK_OFFSET_INVALID;
    p->log_start = -1;
    atomic_init(&p->gen, 0);
    atomic_init(&p->consumed, KFK_OFFSET_INVALID);
    atomic_init(&p->consumed_epoch, -1);
    return p;
}

static int by_topic_partition(const void *a, const void *b)
{
    const kcpart *x = *(kcpart *const *)a, *y = *(kcpart *const *)b;
    int r = strcmp(x->topic, y->topic);
    return r ? r : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Builds the new assignment array from the n entries of v (c->lock
 * held). */
static kfk_err reassign(kfk_consumer *c, const ktp *v, size_t n)
{
    kcpart **np = calloc(n ? n : 1, sizeof(*np));
    if (!np) return KFK_ERR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) {
        const ktp *tp = &v[i];
        kcpart *p = kconsumer_find(c, tp->topic, tp->partition);
        bool fresh = !p;
        if (fresh && !(p = part_new(c, tp))) {
            for (size_t k = 0; k < i; k++)
                if (!np[k]->assigned) free(np[k]->topic), free(np[k]);
            free(np);
            return KFK_ERR_NO_MEMORY;
        }
        np[i] = p;
    }
    for (int i = 0; i < c->n_parts; i++) {
        kcpart *p = c->parts[i];
        bool kept = false;
        for (size_t k = 0; k < n && !kept; k++)
            kept = np[k] == p;
        if (kept) continue;
        p->assigned = false;
        atomic_fetch_add(&p->gen, 1);
        if (push_ptr((void ***)&c->retired, &c->n_retired, &c->cap_retired, p)) {
            /* Leak rather than free what a call may still point at. */
        }
    }
    for (size_t i = 0; i < n; i++) {
        kcpart *p = np[i];
        int64_t off = v[i].offset;
        if (!p->assigned) {
            p->assigned = true;
            apply_offset(c, p, off);
        } else if (off != KFK_OFFSET_INVALID) {
            apply_offset(c, p, off);
        }
    }
    qsort(np, n, sizeof(*np), by_topic_partition);
    free(c->parts);
    c->parts = np;
    c->n_parts = (int)n;
    c->route_gen++;
    c->cap_parts = (int)n;
    return KFK_OK;
}

/* The entries of list (NULL: none), and KFK_OK when none comes twice. */
/* The entries of list, in *v and *n; KFK_OK when none names a partition
 * twice, else the reason, for fn, goes to c's last error. */
static kfk_err check_list(kfk_consumer *c, const char *fn, const kfk_partition_list *list,
                          const ktp **v, size_t *n)
{
    *v = list ? list->v : NULL;
    *n = list ? (size_t)list->n : 0;
    kfk_err err = ktp_check_unique(*v, *n);
    if (err == KFK_ERR_INVALID_ARG)
        kclient_error_set(c->client, "%s: the list names a partition twice", fn);
    return err;
}

static void after_assign(kfk_consumer *c, const ktp *v, size_t n, bool app);

/* Assigning by hand needs a consumer neither subscribed nor closed. */
static kfk_err check_manual(kfk_consumer *c, const char *fn)
{
    if (kgroup_subscribed(c->group)) {
        kclient_error_set(c->client, "%s: the consumer is subscribed; unsubscribe first", fn);
        return KFK_ERR_STATE;
    }
    if (atomic_load(&c->closing)) {
        kclient_error_set(c->client, "%s: the consumer is closed", fn);
        return KFK_ERR_STATE;
    }
    return KFK_OK;
}

static kfk_err assign(kfk_consumer *c, const kfk_partition_list *list)
{
    const ktp *v;
    size_t n;
    kfk_err err = check_list(c, "kfk_consumer_assign", list, &v, &n);
    if (!err) err = check_manual(c, "kfk_consumer_assign");
    if (err) return err;
    pthread_mutex_lock(&c->lock);
    err = c->closing ? KFK_ERR_STATE : reassign(c, v, n);
    pthread_mutex_unlock(&c->lock);
    if (err) return err;
    after_assign(c, v, n, true);
    return KFK_OK;
}

kfk_err kfk_consumer_assign(kfk_consumer *c, const kfk_partition_list *list)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    return kclient_error_end(c->client, assign(c, list));
}

/* Metadata for new partitions, and fetching (no lock held). */
static void after_assign(kfk_consumer *c, const ktp *v, size_t n, bool app)
{
    for (size_t i = 0; i < n; i++)
        kclient_want_topics(c->client, &v[i].topic, 1);
    if (n) kclient_refresh(c->client, "assign");
    if (app) {
        maintain(c);
    } else {
        maintain(c); /* kfk-bg: offset lookups, fetchers for new leaders */
    }
    kconsumer_kick_all(c);
}

/* The current assignment, each kept where it is, plus room for extra
 * (c->lock held); NULL when out of memory. */
static ktp *current_list(kfk_consumer *c, size_t extra)
{
    size_t n = (size_t)c->n_parts;
    ktp *v = calloc(n + extra ? n + extra : 1, sizeof(*v));
    for (size_t i = 0; v && i < n; i++)
        v[i] = (ktp){.topic = c->parts[i]->topic,
                     .partition = c->parts[i]->partition,
                     .offset = KFK_OFFSET_INVALID};
    return v;
}

static kfk_err add_parts(kfk_consumer *c, const ktp *add, size_t n, bool app)
{
    pthread_mutex_lock(&c->lock);
    kfk_err err = KFK_ERR_STATE;
    if (!c->closing) {
        ktp *v = current_list(c, n);
        size_t k = (size_t)c->n_parts;
        err = v ? KFK_OK : KFK_ERR_NO_MEMORY;
        for (size_t i = 0; v && i < n; i++) {
            kcpart *p = kconsumer_find(c, add[i].topic, add[i].partition);
            if (!p) {
                v[k++] = add[i];
            } else if (p->revoking) { /* given back before the app let go of it */
                p->revoking = false;
                p->paused = false;
            }
        }
        if (v) err = reassign(c, v, k);
        free(v);
    }
    pthread_mutex_unlock(&c->lock);
    if (!err) after_assign(c, add, n, app);
    return err;
}

kfk_err kconsumer_remove(kfk_consumer *c, const ktp *rm, size_t n, bool only_revoking)
{
    pthread_mutex_lock(&c->lock);
    ktp *v = current_list(c, 0);
    size_t k = 0;
    for (int i = 0; v && i < c->n_parts; i++) {
        kcpart *p = c->parts[i];
        bool drop = false;
        for (size_t j = 0; j < n && !drop; j++)
            drop = rm[j].partition == p->partition && strcmp(rm[j].topic, p->topic) == 0;
        if (drop && only_revoking && !p->revoking) drop = false;
        if (!drop) v[k++] = v[i];
    }
    kfk_err err = v ? reassign(c, v, k) : KFK_ERR_NO_MEMORY;
    free(v);
    pthread_mutex_unlock(&c->lock);
    kconsumer_kick_all(c); /* fetch sessions forget them */
    return err;
}

kfk_err kconsumer_add(kfk_consumer *c, const ktp *add, size_t n)
{
    return add_parts(c, add, n, false);
}

void kconsumer_stop(kfk_consumer *c, const ktp *v, size_t n)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < n; i++) {
        kcpart *p = kconsumer_find(c, v[i].topic, v[i].partition);
        if (!p) continue;
        p->revoking = true;
        if (!p->paused) {
            atomic_fetch_add(&p->gen, 1); /* what was fetched but not polled goes */
            if (p->state == KCP_FETCHING) p->position = atomic_load(&p->consumed);
            p->last_epoch = -1;
            p->eof_at = -1;
            p->paused = true;
        }
    }
    pthread_mutex_unlock(&c->lock);
    kconsumer_kick_all(c);
}

void kconsumer_wake(kfk_consumer *c)
{
    pthread_mutex_lock(&c->lock);
    c->group_wake = true;
    kwakefd_signal(&c->wake);
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

kfk_err kfk_consumer_incremental_assign(kfk_consumer *c, const kfk_partition_list *list)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    const ktp *v;
    size_t n;
    kfk_err err = check_list(c, "kfk_consumer_incremental_assign", list, &v, &n);
    if (!err && kgroup_subscribed(c->group))
        err = check_manual(c, "kfk_consumer_incremental_assign");
    if (!err) err = add_parts(c, v, n, true);
    return kclient_error_end(c->client, err);
}

kfk_err kfk_consumer_incremental_unassign(kfk_consumer *c, const kfk_partition_list *list)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    const ktp *v;
    size_t n;
    kfk_err err = check_list(c, "kfk_consumer_incremental_unassign", list, &v, &n);
    if (!err) err = check_manual(c, "kfk_consumer_incremental_unassign");
    if (!err) err = kconsumer_remove(c, v, n, false);
    return kclient_error_end(c->client, err);
}

kfk_err kfk_consumer_unassign(kfk_consumer *c)
{
    return kfk_consumer_assign(c, NULL);
}

kfk_partition_list *kfk_consumer_assignment(kfk_consumer *c)
{
    if (!c) return NULL;
    pthread_mutex_lock(&c->lock);
    kfk_partition_list *l = kfk_partition_list_new((size_t)c->n_parts);
    for (int i = 0; l && i < c->n_parts; i++) {
        if (ktplist_add(l, c->parts[i]->topic, c->parts[i]->partition)) {
            kfk_partition_list_destroy(l);
            l = NULL;
        } else {
            l->v[i].offset = atomic_load(&c->parts[i]->consumed);
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (!l) kclient_error_end(c->client, KFK_ERR_NO_MEMORY);
    return l;
}

/* --- poll -------------------------------------------------------------------------- */

/* The message at ch->pos starts a run of another leader epoch: the
 * position takes it (commits carry it), and the next run is due. */
static void run_starts(kchunk *ch)
{
    atomic_store_explicit(&ch->part->consumed_epoch, ch->runs[ch->next_run].epoch,
                          memory_order_relaxed);
    ch->next_run++;
    ch->run_at = ch->next_run < ch->n_runs ? ch->runs[ch->next_run].from : INT_MAX;
}

/* The next message of the current chunk (poll_lock held), or NULL. */
static kfk_message *next_message(kfk_consumer *c)
{
    while (c->cur) {
        kchunk *ch = c->cur;
        kfk_message *m = NULL;
        if (ch->pos < ch->n &&
            atomic_load_explicit(&ch->part->gen, memory_order_acquire) == ch->gen) {
            if (ch->pos == ch->run_at) run_starts(ch);
            m = &ch->msgs[ch->pos++];
            atomic_fetch_add_explicit(&ch->refs, 1, memory_order_relaxed);
            if (m->err == KFK_OK)
                atomic_store_explicit(&ch->part->consumed, m->offset + 1, memory_order_relaxed);
        } else {
            ch->pos = ch->n; /* a seek, pause or unassign dropped the rest */
        }
        if (ch->pos == ch->n) {
            c->cur = NULL;
            kchunk_unref(ch);
        }
        if (m) return m;
    }
    return NULL;
}

/* Pops the next chunk into c->cur without waiting (poll_lock held). */
static bool pop_chunk(kfk_consumer *c)
{
    pthread_mutex_lock(&c->lock);
    kchunk *ch = c->closing ? NULL : c->head;
    if (ch) {
        c->head = ch->next;
        if (!c->head) c->tail = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (ch && ch->part == &c->conn_err_part) atomic_store(&c->conn_err_queued, false);
    c->cur = ch;
    return ch != NULL;
}

/* Waits until a chunk is queued, the consumer closes or deadline_ns
 * passes, without poll_lock, so that other threads may poll meanwhile. */
static void wait_for_chunk(kfk_consumer *c, int64_t deadline_ns)
{
    pthread_mutex_lock(&c->lock);
    if (!c->head && !c->closing && !c->group_wake && deadline_ns > ktime_mono_ns()) {
        struct timespec ts = {deadline_ns / 1000000000, deadline_ns % 1000000000};
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    pthread_mutex_unlock(&c->lock);
}

/* Nothing to poll while fetching is held back means every held byte is in
 * messages the application has not released: it starves itself, which
 * looks like an idle topic. Warned once per spell that lasts
 * KHELD_STARVED_NS (a batch briefly kept is no fault). Called by a poll
 * that returned nothing, with poll_lock and c->lock held. */
#define KHELD_STARVED_NS (3 * 1000000000LL)
static void held_check(kfk_consumer *c, bool starved)
{
    if (!starved) {
        if (c->starved_warned)
            klog(kclient_log(c->client), KFK_LOG_INFO, "fetch",
                 "fetching resumed: the application released messages");
        c->starved_since = 0;
        c->starved_warned = false;
        return;
    }
    int64_t now = ktime_mono_ns();
    if (!c->starved_since) c->starved_since = now;
    if (c->starved_warned || now - c->starved_since < KHELD_STARVED_NS) return;
    c->starved_warned = true;
    klog(kclient_log(c->client), KFK_LOG_WARNING, "fetch",
         "poll has had nothing to return for %lld s: messages the application has not "
         "released (kfk_message_release) hold %zu bytes, fetch.queue.max.bytes (%zu), so "
         "fetching waits; release messages sooner or raise fetch.queue.max.bytes",
         (long long)((now - c->starved_since) / 1000000000), atomic_load(&c->held->bytes),
         c->held->max);
}

size_t kfk_consumer_poll_batch(kfk_consumer *c, kfk_message **msgs, size_t max, int timeout_ms)
{
    if (!c || !msgs || !max || kclient_forked(c->client)) return 0;
    if (max > c->max_poll_records) max = c->max_poll_records;
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : ktime_mono_ns() + (int64_t)timeout_ms * 1000000;
    size_t n = 0;
    if (atomic_load(&c->closing)) return 0;
    kgroup_poll(c->group); /* callbacks, auto commit: before taking messages */
    maintain(c);
    pthread_mutex_lock(&c->poll_lock);
    for (;;) {
        kfk_message *m;
        while (n < max && !c->closing && (m = next_message(c)))
            msgs[n++] = m;
        if (n == max || pop_chunk(c)) {
            if (n == max) break;
            continue;
        }
        int64_t now = ktime_mono_ns();
        if (n || now >= deadline || c->closing) break;
        pthread_mutex_unlock(&c->poll_lock);
        /* Whoever makes work for the consumer does it or wakes us (group
         * events); no timer looks for it. */
        wait_for_chunk(c, kconsumer_stats_wake(c, deadline));
        kconsumer_stats_tick(c);
        kgroup_poll(c->group);
        maintain(c);
        pthread_mutex_lock(&c->poll_lock);
    }
    /* Quiet until new work comes, unless this poll left some behind. */
    pthread_mutex_lock(&c->lock);
    if (!c->cur && !c->head && !c->group_wake && !c->closing) kwakefd_clear(&c->wake);
    if (!n || c->starved_since) held_check(c, !n && !c->cur && !c->head && kheld_full(c->held));
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_unlock(&c->poll_lock);
    kconsumer_stats_tick(c);
    if (c->n_icpt && n) kcicpt_on_consume(c, msgs, n);
    return n;
}

/* kfk-bg: a statistics document is due, which a poll delivers. */
static void stats_wake(void *opaque)
{
    kfk_consumer *c = opaque;
    pthread_mutex_lock(&c->lock);
    kwakefd_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

int kfk_consumer_wakeup_fd(kfk_consumer *c)
{
    if (!c || kclient_forked(c->client)) return -1;
    pthread_mutex_lock(&c->lock);
    bool made = !c->wake.open;
    int fd = kwakefd_get(&c->wake, c->head || c->group_wake || c->closing);
    pthread_mutex_unlock(&c->lock);
    if (made && fd >= 0) kclient_stats_wake_on(c->client, stats_wake, c);
    return fd;
}

kfk_message *kfk_consumer_poll(kfk_consumer *c, int timeout_ms)
{
    kfk_message *m = NULL;
    return kfk_consumer_poll_batch(c, &m, 1, timeout_ms) ? m : NULL;
}

void kfk_consumer_report_eof(kfk_consumer *c, bool enable)
{
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->report_eof = enable;
    pthread_mutex_unlock(&c->lock);
}

/* --- seek, position, pause ------------------------------------------------------------ */

/* An assigned partition for fn, or NULL with the reason in the last
 * error and *err set (c->lock held). */
static kcpart *find_for(kfk_consumer *c, const char *fn, const char *topic, int32_t partition,
                        kfk_err *err)
{
    if (!topic) {
        kclient_error_set(c->client, "%s: topic is NULL", fn);
        *err = KFK_ERR_INVALID_ARG;
        return NULL;
    }
    kcpart *p = kconsumer_find(c, topic, partition);
    if (!p) {
        kclient_error_set(c->client, "%s: partition %d of topic \"%.200s\" is not assigned", fn,
                          (int)partition, topic);
        *err = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    return p;
}

static kfk_err seek_raw(kfk_consumer *c, const char *fn, const char *topic, int32_t partition,
                        int64_t offset)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    kfk_err err = KFK_OK;
    pthread_mutex_lock(&c->lock);
    kcpart *p = find_for(c, fn, topic, partition, &err);
    if (p) apply_offset(c, p, offset);
    pthread_mutex_unlock(&c->lock);
    if (!p) return kclient_error_end(c->client, err);
    maintain(c);
    kconsumer_kick_all(c);
    return kclient_error_end(c->client, KFK_OK);
}

kfk_err kfk_consumer_seek(kfk_consumer *c, const char *topic, int32_t partition, int64_t offset)
{
    if (c && offset < 0 && offset != KFK_OFFSET_BEGINNING && offset != KFK_OFFSET_END) {
        kclient_error_set(c->client,
                          "kfk_consumer_seek: offset %lld is neither an offset nor "
                          "KFK_OFFSET_BEGINNING or KFK_OFFSET_END",
                          (long long)offset);
        return kclient_error_end(c->client, KFK_ERR_INVALID_ARG);
    }
    return seek_raw(c, "kfk_consumer_seek", topic, partition, offset);
}

kfk_err kfk_consumer_seek_to_beginning(kfk_consumer *c, const char *topic, int32_t partition)
{
    return seek_raw(c, "kfk_consumer_seek_to_beginning", topic, partition, KFK_OFFSET_BEGINNING);
}

kfk_err kfk_consumer_seek_to_end(kfk_consumer *c, const char *topic, int32_t partition)
{
    return seek_raw(c, "kfk_consumer_seek_to_end", topic, partition, KFK_OFFSET_END);
}

kfk_err kfk_consumer_seek_to_timestamp(kfk_consumer *c, const char *topic, int32_t partition,
                                       int64_t timestamp_ms)
{
    if (c && (timestamp_ms < 0 || timestamp_ms > INT64_MAX / 2)) {
        kclient_error_set(c->client,
                          "kfk_consumer_seek_to_timestamp: timestamp_ms %lld is out "
                          "of range",
                          (long long)timestamp_ms);
        return kclient_error_end(c->client, KFK_ERR_INVALID_ARG);
    }
    /* see apply_offset */
    return seek_raw(c, "kfk_consumer_seek_to_timestamp", topic, partition, -timestamp_ms - 1000);
}

kfk_err kfk_consumer_position(kfk_consumer *c, const char *topic, int32_t partition,
                              int64_t *offset)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    kfk_err err = KFK_OK;
    if (!offset) {
        kclient_error_set(c->client, "kfk_consumer_position: offset is NULL");
        return kclient_error_end(c->client, KFK_ERR_INVALID_ARG);
    }
    pthread_mutex_lock(&c->lock);
    kcpart *p = find_for(c, "kfk_consumer_position", topic, partition, &err);
    if (p) *offset = atomic_load(&p->consumed);
    pthread_mutex_unlock(&c->lock);
    return kclient_error_end(c->client, err);
}

static kfk_err set_paused(kfk_consumer *c, const char *topic, int32_t partition, bool paused)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    kfk_err err = KFK_OK;
    pthread_mutex_lock(&c->lock);
    kcpart *p =
        find_for(c, paused ? "kfk_consumer_pause" : "kfk_consumer_resume", topic, partition, &err);
    if (p && paused && !p->paused) {
        /* Drop what was fetched but not handed out; resume refetches it. */
        atomic_fetch_add(&p->gen, 1);
        if (p->state == KCP_FETCHING) p->position = atomic_load(&p->consumed);
        p->last_epoch = -1; /* that of a batch past the rewound position */
        p->eof_at = -1;
    }
    if (p) p->paused = paused;
    pthread_mutex_unlock(&c->lock);
    if (p) kconsumer_kick_all(c);
    return kclient_error_end(c->client, err);
}

kfk_err kfk_consumer_pause(kfk_consumer *c, const char *topic, int32_t partition)
{
    return set_paused(c, topic, partition, true);
}

kfk_err kfk_consumer_resume(kfk_consumer *c, const char *topic, int32_t partition)
{
    return set_paused(c, topic, partition, false);
}

/* --- close and destroy ------------------------------------------------------------------ */

static kfk_err close_consumer(kfk_consumer *c, int timeout_ms);

kfk_err kfk_consumer_close(kfk_consumer *c, int timeout_ms)
{
    if (!c) return KFK_ERR_INVALID_ARG;
    if (kclient_forked(c->client)) {
        kclient_error_set(c->client, "kfk_consumer_close: the consumer belongs to the parent "
                                     "process");
        return kclient_error_end(c->client, KFK_ERR_STATE);
    }
    kfk_err err = close_consumer(c, timeout_ms < 0 ? KFK_CONSUMER_CLOSE_TIMEOUT_MS : timeout_ms);
    if (err == KFK_ERR_TIMED_OUT)
        kclient_error_set(c->client,
                          "kfk_consumer_close: the group's commit or leave was still "
                          "unanswered after %d ms; the consumer is closed all the same",
                          timeout_ms < 0 ? KFK_CONSUMER_CLOSE_TIMEOUT_MS : timeout_ms);
    return kclient_error_end(c->client, err);
}

static kfk_err close_consumer(kfk_consumer *c, int timeout_ms)
{
    kfk_err err = KFK_OK;
    if (!atomic_load(&c->closing)) /* commit, revoke, leave */
        err = kgroup_close(c->group, timeout_ms);
    kclient_set_meta_watch(c->client, NULL, NULL); /* one running still sees closing */
    kclient_set_error_watch(c->client, NULL, NULL);
    pthread_mutex_lock(&c->lock);
    if (c->closing) {
        pthread_mutex_unlock(&c->lock);
        return KFK_OK;
    }
    c->closing = true;
    kwakefd_signal(&c->wake);
    pthread_cond_broadcast(&c->cond);
    for (int i = 0; i < c->n_fetchers; i++) {
        kfetcher *f = c->fetchers[i];
        if (f->replaced) continue;
        f->close_detach = true;
        c->detach_left++;
        kfetcher_detach(f);
    }
    while (c->detach_left > 0)
        pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
    return err;
}

static void free_part(kcpart *p)
{
    free(p->topic);
    free(p);
}

void kfk_consumer_destroy(kfk_consumer *c)
{
    if (!c || kclient_forked(c->client)) return; /* the parent's: left alone */
    kfk_consumer_close(c, KFK_CONSUMER_CLOSE_TIMEOUT_MS);
    kheld_release(c->held); /* messages still out no longer wake anything */
    /* Broker references go before the client: its registry must be there
     * for their connections to retire. */
    for (int i = 0; i < c->n_fetchers; i++) {
        if (c->fetchers[i]->b) kbroker_unref(c->fetchers[i]->b);
        c->fetchers[i]->b = NULL;
    }
    if (c->client) kclient_destroy(c->client); /* completes fetches and calls in flight */
    kgroup_destroy(c->group);
    for (int i = 0; i < c->n_fetchers; i++)
        kfetcher_free(c->fetchers[i]);
    free(c->fetchers);
    if (c->cur) kchunk_unref(c->cur);
    for (kchunk *ch = c->head, *next; ch; ch = next) {
        next = ch->next;
        kchunk_unref(ch);
    }
    for (int i = 0; i < c->n_parts; i++)
        free_part(c->parts[i]);
    for (int i = 0; i < c->n_retired; i++)
        free_part(c->retired[i]);
    free(c->parts);
    free(c->retired);
    free(c->rack);
    free(c->conn_err_part.topic);
    kwakefd_close(&c->wake);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->poll_lock);
    pthread_mutex_destroy(&c->sync_lock);
    free(c);
}
