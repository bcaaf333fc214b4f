/* The fetcher: one per broker, a ksource on that broker's connection, so
 * it runs on the I/O thread that owns the connection. It keeps one Fetch
 * in flight covering every fetchable partition the broker leads (or is
 * the KIP-392 preferred read replica of), builds it as a KIP-227
 * incremental request when a session is open, and decodes the answer on
 * the I/O thread into chunks that poll hands out. A new Fetch goes out as
 * soon as the previous one is answered (the connection pulls again after
 * each response), unless the consumer holds fetch.queue.max.bytes of
 * fetched data (queued, or in messages not yet released): the release
 * that brings it under kicks the fetchers. */
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/err.h"
#include "base/time.h"
#include "consumer/consumer_int.h"

static void backoff_over(ktimer *t)
{
    kfetcher *f = container_of(t, kfetcher, backoff);
    if (f->attached) kconn_kick(f->b->conn);
}

kfetcher *kfetcher_new(kfk_consumer *c, kbroker *b)
{
    kfetcher *f = calloc(1, sizeof(*f));
    if (!f) return NULL;
    f->c = c;
    f->b = b;
    f->pool = kchunk_pool_new(); /* NULL: chunks use malloc alone */
    ktimer_init(&f->backoff, backoff_over);
    return f;
}

void kfetcher_free(kfetcher *f)
{
    if (!f) return;
    ksess_free(&f->sess);
    kchunk_pool_unref(f->pool); /* chunks still out keep it */
    free(f->topics);
    free(f->parts);
    free(f->forgotten);
    free(f->forgotten_ids);
    free(f->mine);
    if (f->b) kbroker_unref(f->b);
    free(f);
}

/* --- building a Fetch ------------------------------------------------------------ */

static int grow(void **p, int *cap, int need, size_t size)
{
    if (need <= *cap) return 0;
    int n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *np = realloc(*p, (size_t)n * size);
    if (!np) return -1;
    *p = np;
    *cap = n;
    return 0;
}

/* Whether f's broker is where p is fetched from (its leader, or its
 * KIP-392 preferred replica); *epoch gets p's leader epoch. */
static bool routed_here(kfetcher *f, kcpart *p, int32_t *epoch)
{
    kmeta *m = kclient_meta(f->c->client);
    /* The version is read before the leader: a change in between bumps it
     * again, and the next request reads the leader anew. */
    uint64_t ver = atomic_load(&m->version) + 1;
    if (p->leader_ver != ver) {
        if (kmeta_leader(m, p->topic, p->partition, &p->leader, &p->leader_epoch)) p->leader = -1;
        p->leader_ver = ver;
    }
    if (p->leader < 0) return false;
    *epoch = p->leader_epoch;
    int32_t target = p->preferred >= 0 ? p->preferred : p->leader;
    return target == f->b->id;
}

/* Whether f should fetch p now; *epoch gets p's leader epoch. */
static bool fetchable(kfetcher *f, kcpart *p, int32_t *epoch)
{
    if (!p->assigned || p->paused || p->state != KCP_FETCHING) return false;
    return routed_here(f, p, epoch);
}

/* Brings f->mine up to date (c->lock held); -1 when out of memory. */
static int update_mine(kfetcher *f)
{
    kfk_consumer *c = f->c;
    /* Read before the leaders: a change meanwhile bumps it again. */
    uint64_t ver = atomic_load(&kclient_meta(c->client)->version) + 1;
    if (f->mine_meta == ver && f->mine_route == c->route_gen) return 0;
    f->n_mine = 0;
    f->mine_meta = 0;
    for (int i = 0; i < c->n_parts; i++) {
        kcpart *p = c->parts[i];
        int32_t epoch;
        if (!p->assigned || !routed_here(f, p, &epoch)) continue;
        if (grow((void **)&f->mine, &f->cap_mine, f->n_mine + 1, sizeof(*f->mine))) return -1;
        f->mine[f->n_mine++] = p;
    }
    f->mine_meta = ver;
    f->mine_route = c->route_gen;
    return 0;
}

static void learn_topic_id(kfk_consumer *c, kcpart *p)
{
    kmeta_topic *t = kmeta_topic_get(kclient_meta(c->client), p->topic);
    if (t) {
        p->topic_id = t->id;
        kmeta_topic_unref(t);
    }
}

/* Appends p to the request's topics (the assignment is sorted by topic,
 * so a topic's partitions come together). */
static int add_partition(kfetcher *f, int *n_topics, int *n_parts, kcpart *p, int32_t epoch)
{
    kfk_consumer *c = f->c;
    if (grow((void **)&f->parts, &f->cap_parts, *n_parts + 1, sizeof(*f->parts)) ||
        grow((void **)&f->topics, &f->cap_topics, *n_topics + 1, sizeof(*f->topics)))
        return -1;
    kp_fetch_request_fetch_topic *t = *n_topics ? &f->topics[*n_topics - 1] : NULL;
    if (!t || t->topic.len != strlen(p->topic) || memcmp(t->topic.ptr, p->topic, t->topic.len)) {
        t = &f->topics[(*n_topics)++];
        kp_fetch_request_fetch_topic_init(t);
        t->topic = kwire_cstr(p->topic);
        t->topic_id = p->topic_id;
        t->partitions = (void *)(intptr_t)*n_parts; /* an index until fixed up */
    }
    t->n_partitions++;
    kp_fetch_request_fetch_partition *fp = &f->parts[(*n_parts)++];
    kp_fetch_request_fetch_partition_init(fp);
    fp->partition = p->partition;
    fp->current_leader_epoch = epoch;
    fp->fetch_offset = p->position;
    fp->last_fetched_epoch = p->last_epoch;
    fp->partition_max_bytes = c->part_max_bytes;
    return 0;
}

static int add_forgotten(kfetcher *f, int *n_topics, int *n_ids, const kcpart *p)
{
    if (grow((void **)&f->forgotten_ids, &f->cap_forgotten, *n_ids + 1, sizeof(int32_t))) return -1;
    if (grow((void **)&f->forgotten, &f->cap_forgotten_topics, *n_topics + 1,
             sizeof(*f->forgotten)))
        return -1;
    kp_fetch_request_forgotten_topic *t = *n_topics ? &f->forgotten[*n_topics - 1] : NULL;
    if (!t || t->topic.len != strlen(p->topic) || memcmp(t->topic.ptr, p->topic, t->topic.len)) {
        t = &f->forgotten[(*n_topics)++];
        kp_fetch_request_forgotten_topic_init(t);
        t->topic = kwire_cstr(p->topic);
        t->topic_id = p->topic_id;
        t->partitions = (void *)(intptr_t)*n_ids;
    }
    t->n_partitions++;
    f->forgotten_ids[(*n_ids)++] = p->partition;
    return 0;
}

/* Whether a kept entry of s other than e is for e's topic and partition. */
static bool kept_elsewhere(const kfetch_session *s, const ksess_entry *e)
{
    for (int i = 0; i < s->n; i++) {
        const kcpart *q = s->e[i].part;
        if (&s->e[i] != e && s->e[i].keep && q->partition == e->part->partition &&
            strcmp(q->topic, e->part->topic) == 0)
            return true;
    }
    return false;
}

/* Partitions the session holds that are no longer fetched here: forgotten
 * (incremental) or just dropped (full). An entry whose partition came back
 * as a new kcpart (an eager rebalance revoked and reassigned it between
 * two requests) is dropped without forgetting: the request adds that
 * partition, and a broker applies the forgotten list after the added one,
 * so forgetting it too would leave it out of the broker's session while
 * the client believes it is in. */
static int prune_session(kfetcher *f, bool full, int *n_forgotten)
{
    int n_ids = 0, k = 0;
    kfetch_session *s = &f->sess;
    for (int i = 0; i < s->n; i++) {
        if (s->e[i].keep) {
            s->e[k++] = s->e[i];
            continue;
        }
        if (!full && !kept_elsewhere(s, &s->e[i]) &&
            add_forgotten(f, n_forgotten, &n_ids, s->e[i].part))
            return -1;
    }
    s->n = k;
    for (int i = 0; i < *n_forgotten; i++)
        f->forgotten[i].partitions = f->forgotten_ids + (intptr_t)f->forgotten[i].partitions;
    return 0;
}

/* Fills f->body (c->lock held). Returns the number of partitions the
 * request fetches (the session's, for an incremental one), or -1 when
 * there is nothing to send. */
static int build_request(kfetcher *f, int16_t *max_version)
{
    kfk_consumer *c = f->c;
    bool full = f->sess.id == 0;
    if (full) f->sess.n = 0;
    for (int i = 0; i < f->sess.n; i++)
        f->sess.e[i].keep = false;
    int n_topics = 0, n_parts = 0, n_forgotten = 0;
    *max_version = -1;
    if (update_mine(f)) return -1;
    for (int i = 0; i < f->n_mine; i++) {
        kcpart *p = f->mine[i];
        int32_t epoch;
        if (!fetchable(f, p, &epoch)) continue;
        if (kuuid_is_zero(&p->topic_id)) learn_topic_id(c, p);
        if (kuuid_is_zero(&p->topic_id)) *max_version = 12; /* v13+ names topics by id */
        unsigned gen = atomic_load(&p->gen);
        if ((full || ksess_changed(&f->sess, p, p->position, epoch, p->last_epoch)) &&
            add_partition(f, &n_topics, &n_parts, p, epoch))
            return -1;
        if (ksess_put(&f->sess, p, p->position, epoch, p->last_epoch, gen)) return -1;
    }
    if (prune_session(f, full, &n_forgotten)) return -1;
    if (f->sess.n == 0 && n_forgotten == 0) {
        /* Nothing to fetch: let the broker's session expire on its own. */
        ksess_reset(&f->sess);
        return -1;
    }
    for (int i = 0; i < n_topics; i++)
        f->topics[i].partitions = f->parts + (intptr_t)f->topics[i].partitions;
    kp_fetch_request *r = &f->body;
    kp_fetch_request_init(r);
    r->max_wait_ms = c->max_wait_ms;
    r->min_bytes = c->min_bytes;
    r->max_bytes = c->max_bytes;
    r->isolation_level = c->isolation;
    r->session_id = f->sess.id;
    r->session_epoch = f->sess.epoch;
    r->topics = f->topics;
    r->n_topics = n_topics;
    r->forgotten_topics_data = f->forgotten;
    r->n_forgotten_topics_data = n_forgotten;
    r->rack_id = c->rack ? kwire_cstr(c->rack) : KWIRE_EMPTY;
    f->requests++;
    if (full) f->full_requests++;
    return f->sess.n;
}

static void fetch_done(kreq *req, kfk_err err, void *resp, karena *arena);

static void fetcher_pull(ksource *s, kconn *conn, int room)
{
    kfetcher *f = (kfetcher *)s;
    kfk_consumer *c = f->c;
    if (f->inflight || room < 1) return;
    if (f->backoff_until_ns && kloop_now(kconn_loop(conn)) < f->backoff_until_ns) return;
    pthread_mutex_lock(&c->lock);
    int16_t max_version = -1;
    int n = -1;
    if (!c->closing && !f->detached && !kheld_full(c->held)) n = build_request(f, &max_version);
    pthread_mutex_unlock(&c->lock);
    if (n < 0) return;
    int64_t deadline =
        ktime_mono_ns() + ((int64_t)c->max_wait_ms + c->request_timeout_ms) * 1000000;
    kreq_init(&f->req, &kp_fetch_client, &f->body, deadline, fetch_done, f);
    f->req.flags = KREQ_F_KEEP_FRAME;
    f->req.min_version = KP_FETCH_MIN_VERSION;
    f->req.max_version = max_version;
    f->inflight = true;
    kconn_send(conn, &f->req);
}

/* --- taking in a response ---------------------------------------------------------- */

static ksess_entry *entry_for(kfetcher *f, const kp_fetch_response_fetchable_topic_response *t,
                              int32_t partition, bool by_id)
{
    for (int i = 0; i < f->sess.n; i++) {
        ksess_entry *e = &f->sess.e[i];
        if (e->part->partition != partition) continue;
        if (by_id ? memcmp(t->topic_id.b, e->part->topic_id.b, 16) == 0
                  : kwire_eq(t->topic, kwire_cstr(e->part->topic)))
            return e;
    }
    return NULL;
}

/* Whether p is still at what the request asked for (c->lock held). */
static bool still_wanted(const kcpart *p, const ksess_entry *e)
{
    return p->assigned && p->state == KCP_FETCHING && atomic_load(&p->gen) == e->gen &&
           p->position == e->offset;
}

static void queue_eof(kfk_consumer *c, kcpart *p, unsigned gen)
{
    if (!c->report_eof || p->position < p->high_watermark || p->eof_at == p->position) return;
    kchunk *ch = kchunk_error(p, gen, p->position, KFK_ERR_PARTITION_EOF);
    if (!ch) return;
    p->eof_at = p->position;
    kconsumer_enqueue(c, ch);
}

/* KIP-320: the log diverged from what we fetched (an unclean leader
 * election truncated it): go back to where the logs agree, dropping what
 * was fetched past it but not yet polled. */
static void take_divergence(kfetcher *f, ksess_entry *e, const kp_fetch_response_partition_data *pd)
{
    kfk_consumer *c = f->c;
    kcpart *p = e->part;
    pthread_mutex_lock(&c->lock);
    if (still_wanted(p, e)) {
        int64_t end = pd->diverging_epoch.end_offset;
        p->last_epoch = pd->diverging_epoch.epoch;
        if (end < p->position) {
            atomic_fetch_add(&p->gen, 1);
            p->position = end;
            if (atomic_load(&p->consumed) > end) { /* the position goes back too (Java's) */
                atomic_store(&p->consumed_epoch, pd->diverging_epoch.epoch);
                atomic_store(&p->consumed, end);
            }
        }
    }
    pthread_mutex_unlock(&c->lock);
}

static void take_data(kfetcher *f, ksess_entry *e, const kp_fetch_response_partition_data *pd,
                      krbuf *frame)
{
    kfk_consumer *c = f->c;
    kcpart *p = e->part;
    if (pd->diverging_epoch.epoch >= 0 && pd->diverging_epoch.end_offset >= 0) {
        take_divergence(f, e, pd);
        return;
    }
    kdecode_opts o = {.fetch_offset = e->offset,
                      .read_committed = c->isolation == KCONF_READ_COMMITTED,
                      .check_crcs = c->check_crcs,
                      .last_epoch = -1,
                      .pool = f->pool};
    kchunk *ch = NULL;
    int64_t next;
    kfk_err err = kchunk_decode(p, e->gen, pd, frame, &o, &ch, &next);
    pthread_mutex_lock(&c->lock);
    if (!still_wanted(p, e)) {
        pthread_mutex_unlock(&c->lock);
        if (ch) kchunk_unref(ch);
        return;
    }
    p->high_watermark = c->isolation == KCONF_READ_COMMITTED && pd->last_stable_offset >= 0
                            ? pd->last_stable_offset
                            : pd->high_watermark;
    kcpart_stats_fetched(p, pd, err ? NULL : ch);
    if (pd->preferred_read_replica >= 0 && pd->preferred_read_replica != p->preferred)
        kcpart_set_preferred(c, p, pd->preferred_read_replica); /* KIP-392: fetch there next */
    if (err) {
        /* Data the application cannot have (a bad CRC, a record over
         * max.partition.fetch.bytes): say so and stop until a seek. */
        p->state = KCP_FAILED;
        kchunk *ec = kchunk_error(p, e->gen, e->offset, err);
        if (ec) kconsumer_enqueue(c, ec);
    } else {
        if (ch) kconsumer_enqueue(c, ch);
        p->position = next;
        if (o.last_epoch >= 0) p->last_epoch = o.last_epoch;
        queue_eof(c, p, e->gen);
    }
    pthread_mutex_unlock(&c->lock);
}

static void take_out_of_range(kfetcher *f, ksess_entry *e)
{
    kfk_consumer *c = f->c;
    kcpart *p = e->part;
    pthread_mutex_lock(&c->lock);
    kcpart_set_preferred(c, p, -1); /* KIP-392: a follower may lag; ask the leader */
    if (still_wanted(p, e) && !koffsets_reset_by_policy(c, p)) {
        p->state = KCP_FAILED;
        kchunk *ch = kchunk_error(p, e->gen, e->offset, KFK_ERR_OFFSET_OUT_OF_RANGE);
        if (ch) kconsumer_enqueue(c, ch);
    }
    pthread_mutex_unlock(&c->lock);
}

static void take_partition(kfetcher *f, ksess_entry *e, const kp_fetch_response_partition_data *pd,
                           krbuf *frame, bool *resets)
{
    switch ((kfk_err)pd->error_code) {
    case KFK_OK:
        take_data(f, e, pd, frame);
        break;
    case KFK_ERR_OFFSET_OUT_OF_RANGE:
        take_out_of_range(f, e);
        *resets = true;
        break;
    default:
        /* Leadership and metadata errors: kclient_fetch_hints moved the
         * partition or asked for a refresh; a preferred replica that
         * failed is dropped for the leader (KIP-392). */
        klog(kclient_log(f->c->client), KFK_LOG_DEBUG, "fetch",
             "%s [%d] at %lld from broker %d: %s", e->part->topic, e->part->partition,
             (long long)e->offset, f->b->id, kfk_err_name((kfk_err)pd->error_code));
        pthread_mutex_lock(&f->c->lock);
        kcpart_set_preferred(f->c, e->part, -1);
        pthread_mutex_unlock(&f->c->lock);
        break;
    }
}

static bool any_partition_error(const kp_fetch_response *r)
{
    for (int32_t i = 0; i < r->n_responses; i++)
        for (int32_t j = 0; j < r->responses[i].n_partitions; j++) {
            int16_t ec = r->responses[i].partitions[j].error_code;
            if (ec && ec != KFK_ERR_OFFSET_OUT_OF_RANGE) return true;
        }
    return false;
}

/* Partitions failed (a leader moving, a replica not caught up): wait
 * retry.backoff.ms before this broker's next Fetch instead of spinning on
 * the same error until metadata catches up. */
static void back_off(kfetcher *f)
{
    kloop *l = kconn_loop(f->b->conn);
    f->backoff_until_ns = kloop_now(l) + f->c->retry_backoff_ms * 1000000;
    kloop_timer_arm(l, &f->backoff, f->backoff_until_ns);
}

static void fetch_done(kreq *req, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kfetcher *f = req->opaque;
    kfk_consumer *c = f->c;
    f->inflight = false;
    if (f->detached) return; /* closing, or its broker is gone */
    bool full = f->body.session_id == 0;
    kp_fetch_response *r = resp;
    if (!err && r->error_code) err = r->error_code;
    ksess_answered(&f->sess, r && !err ? r->session_id : 0, err, full);
    if (err) {
        if (err != KFK_ERR_DESTROYED && err != KFK_ERR_FETCH_SESSION_ID_NOT_FOUND &&
            err != KFK_ERR_INVALID_FETCH_SESSION_EPOCH)
            kclient_refresh(c->client, "fetch failed");
        return;
    }
    bool by_id = req->version >= 13, resets = false;
    for (int32_t i = 0; i < r->n_responses; i++) {
        const kp_fetch_response_fetchable_topic_response *t = &r->responses[i];
        for (int32_t j = 0; j < t->n_partitions; j++) {
            ksess_entry *e = entry_for(f, t, t->partitions[j].partition_index, by_id);
            if (e) take_partition(f, e, &t->partitions[j], req->frame, &resets);
        }
    }
    if (any_partition_error(r)) {
        if (kclient_fetch_hints(c->client, r) > 0) kconsumer_kick_all(c);
        kconsumer_changed(c); /* brokers the answer's endpoints added (KIP-951) */
        back_off(f);
    }
    if (resets) koffsets_start_resets(c);
}

/* --- attaching ------------------------------------------------------------------------ */

static void attach_task(ktask *t)
{
    kfetcher *f = container_of(t, kfetcher, task);
    f->src.pull = fetcher_pull;
    kconn_add_source(f->b->conn, &f->src);
    f->attached = true;
    kconn_kick(f->b->conn);
}

void kfetcher_attach(kfetcher *f)
{
    f->task.fn = attach_task;
    kloop_post(kconn_loop(f->b->conn), &f->task);
}

static void detach_task(ktask *t)
{
    kfetcher *f = container_of(t, kfetcher, detach_task);
    if (f->attached) kconn_remove_source(f->b->conn, &f->src);
    if (ktimer_armed(&f->backoff)) kloop_timer_disarm(kconn_loop(f->b->conn), &f->backoff);
    f->attached = false;
    f->detached = true;
    /* A broker that left or was replaced: let its connection retire
     * (a Fetch still in flight on it completes into a detached fetcher,
     * which looks at nothing), and give back the buffers its pool keeps
     * and its session; the small struct stays until destroy. */
    kbroker *gone = NULL;
    pthread_mutex_lock(&f->c->lock);
    if (f->replaced) {
        gone = f->b;
        f->b = NULL;
    }
    pthread_mutex_unlock(&f->c->lock);
    if (gone) {
        kbroker_unref(gone);
        kchunk_pool_unref(f->pool); /* chunks still out keep it */
        f->pool = NULL;
        ksess_free(&f->sess);
    }
    kconsumer_detached(f);
}

void kfetcher_detach(kfetcher *f)
{
    f->detach_task.fn = detach_task;
    if (kloop_post(kconn_loop(f->b->conn), &f->detach_task)) {
        f->detached = true; /* the loop is stopping: nothing pulls any more */
        kconsumer_detached(f);
    }
}
