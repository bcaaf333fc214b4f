/* The transaction coordinator's state: transactional ids with their
 * producer id and epoch, the partitions and groups of the open
 * transaction, its pending offsets, its timeout, and ending it by writing
 * control batches (Kafka's end-transaction markers) into the partitions'
 * logs, as TransactionCoordinator and the WriteTxnMarkers it sends to the
 * partition leaders do. The markers go out at once, or after the delay
 * kfk_mock_set_txn_marker_delay sets, the transaction meanwhile in
 * PrepareCommit/PrepareAbort. mc->lock held. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/time.h"
#include "mock/groups.h"
#include "mock/txn.h"
#include "proto/batch.h"

/* ----------------------------------------------------------- registry */

mock_txn *mock_txn_find(mock_cluster *mc, kslice id)
{
    for (size_t i = 0; i < mc->n_txns; i++)
        if (kwire_eq(kwire_cstr(mc->txns[i]->transactional_id), id)) return mc->txns[i];
    return NULL;
}

static void on_timeout(mock_cluster *mc, mock_timer *timer);

mock_txn *mock_txn_add(mock_cluster *mc, kslice id)
{
    if (mc->n_txns == mc->cap_txns) {
        size_t cap = mc->cap_txns ? mc->cap_txns * 2 : 16;
        mock_txn **v = realloc(mc->txns, cap * sizeof(*v));
        if (!v) return NULL;
        mc->txns = v;
        mc->cap_txns = cap;
    }
    mock_txn *t = calloc(1, sizeof(*t));
    if (!t || !(t->transactional_id = mock_strdup_slice(id))) {
        free(t);
        return NULL;
    }
    t->mc = mc;
    t->producer_id = mc->next_producer_id++;
    t->prev_producer_id = -1;
    t->epoch = t->last_epoch = -1;
    t->start_ms = -1;
    t->state = MOCK_TXN_EMPTY;
    t->timer.fn = on_timeout;
    mc->txns[mc->n_txns++] = t;
    return t;
}

/* Forgets the open transaction's partitions, groups and offsets. */
static void txn_clear(mock_txn *t)
{
    for (size_t i = 0; i < t->n_parts; i++)
        free(t->parts[i].topic);
    for (size_t i = 0; i < t->n_groups; i++)
        free(t->groups[i]);
    for (size_t i = 0; i < t->n_offsets; i++) {
        free(t->offsets[i].group);
        free(t->offsets[i].topic);
        free(t->offsets[i].metadata);
    }
    t->n_parts = t->n_groups = t->n_offsets = 0;
}

void mock_txns_free(mock_cluster *mc)
{
    for (size_t i = 0; i < mc->n_txns; i++) {
        mock_txn *t = mc->txns[i];
        txn_clear(t);
        free(t->parts);
        free(t->groups);
        free(t->offsets);
        free(t->transactional_id);
        free(t);
    }
    free(mc->txns);
    mc->txns = NULL;
    mc->n_txns = mc->cap_txns = 0;
}

kfk_err mock_txn_check_producer(const mock_txn *t, int64_t producer_id, int16_t epoch)
{
    if (!t || t->producer_id != producer_id) return KFK_ERR_INVALID_PRODUCER_ID_MAPPING;
    if (t->epoch != epoch) return KFK_ERR_PRODUCER_FENCED;
    return KFK_OK;
}

/* ------------------------------------------------------------ contents */

bool mock_txn_has_partition(const mock_txn *t, kslice topic, int32_t partition)
{
    for (size_t i = 0; i < t->n_parts; i++)
        if (t->parts[i].partition == partition && kwire_eq(kwire_cstr(t->parts[i].topic), topic))
            return true;
    return false;
}

bool mock_txn_has_group(const mock_txn *t, kslice group)
{
    for (size_t i = 0; i < t->n_groups; i++)
        if (kwire_eq(kwire_cstr(t->groups[i]), group)) return true;
    return false;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 0;
    size_t c = *cap ? *cap * 2 : 4;
    void *p = realloc(*v, c * size);
    if (!p) return -1;
    *v = p;
    *cap = c;
    return 0;
}

/* The first thing added opens the transaction and starts its clock. */
static void begin(mock_txn *t)
{
    if (t->state == MOCK_TXN_ONGOING) return;
    t->state = MOCK_TXN_ONGOING;
    t->start_ms = ktime_wall_ms();
    int64_t deadline = ktime_mono_ns() + (int64_t)t->timeout_ms * 1000000;
    mock_timer_start(t->mc, &t->timer, deadline); /* no memory: no timeout, nothing worse */
}

kfk_err mock_txn_add_partition(mock_txn *t, kslice topic, int32_t partition)
{
    if (!mock_txn_has_partition(t, topic, partition)) {
        if (grow((void **)&t->parts, &t->cap_parts, t->n_parts, sizeof(*t->parts)))
            return KFK_ERR_NO_MEMORY;
        char *name = mock_strdup_slice(topic);
        if (!name) return KFK_ERR_NO_MEMORY;
        t->parts[t->n_parts++] = (mock_txn_tp){name, partition};
    }
    begin(t);
    return KFK_OK;
}

kfk_err mock_txn_add_group(mock_txn *t, kslice group)
{
    if (!mock_txn_has_group(t, group)) {
        if (grow((void **)&t->groups, &t->cap_groups, t->n_groups, sizeof(*t->groups)))
            return KFK_ERR_NO_MEMORY;
        char *name = mock_strdup_slice(group);
        if (!name) return KFK_ERR_NO_MEMORY;
        t->groups[t->n_groups++] = name;
    }
    begin(t);
    return KFK_OK;
}

static mock_txn_offset *offset_find(const mock_txn *t, kslice group, kslice topic,
                                    int32_t partition)
{
    for (size_t i = 0; i < t->n_offsets; i++) {
        mock_txn_offset *o = &t->offsets[i];
        if (o->partition == partition && kwire_eq(kwire_cstr(o->topic), topic) &&
            kwire_eq(kwire_cstr(o->group), group))
            return o;
    }
    return NULL;
}

kfk_err mock_txn_add_offset(mock_txn *t, kslice group, kslice topic, int32_t partition,
                            int64_t offset, int32_t leader_epoch, kslice metadata)
{
    char *meta = NULL;
    if (metadata.ptr && !(meta = mock_strdup_slice(metadata))) return KFK_ERR_NO_MEMORY;
    mock_txn_offset *o = offset_find(t, group, topic, partition);
    if (!o) {
        char *g = mock_strdup_slice(group), *tp = mock_strdup_slice(topic);
        if (!g || !tp ||
            grow((void **)&t->offsets, &t->cap_offsets, t->n_offsets, sizeof(*t->offsets))) {
            free(g);
            free(tp);
            free(meta);
            return KFK_ERR_NO_MEMORY;
        }
        o = &t->offsets[t->n_offsets++];
        *o = (mock_txn_offset){.group = g, .topic = tp, .partition = partition};
    }
    free(o->metadata);
    o->offset = offset;
    o->leader_epoch = leader_epoch;
    o->metadata = meta;
    o->metadata_len = metadata.len;
    return KFK_OK;
}

bool mock_txn_offset_pending(mock_cluster *mc, kslice group, kslice topic, int32_t partition)
{
    for (size_t i = 0; i < mc->n_txns; i++)
        if (mc->txns[i]->state == MOCK_TXN_ONGOING &&
            offset_find(mc->txns[i], group, topic, partition))
            return true;
    return false;
}

/* --------------------------------------------------------------- ending */

/* The control batch Kafka's EndTransactionMarker makes: one record whose
 * key is (version 0, type 0 abort / 1 commit) and whose value is
 * (version 0, coordinator epoch), in a transactional control batch with
 * no sequence. */
static krbuf *marker_batch(int64_t producer_id, int16_t epoch, bool commit)
{
    uint8_t key[4] = {0, 0, 0, commit ? 1 : 0};
    uint8_t value[6] = {0}; /* version 0, coordinator epoch 0 */
    kbuf buf = {0};
    kbatch_writer w;
    kslice out;
    krbuf *copy = NULL;
    if (!kbatch_writer_begin(&w, &buf, 0, ktime_wall_ms(), producer_id, epoch, KBATCH_NO_SEQUENCE,
                             KBATCH_ATTR_TRANSACTIONAL | KBATCH_ATTR_CONTROL, 0) &&
        !kbatch_writer_append(&w, ktime_wall_ms(), (kslice){key, sizeof(key)},
                              (kslice){value, sizeof(value)}, NULL, 0) &&
        !kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &out) && (copy = krbuf_new(out.len)))
        memcpy(copy->data, out.ptr, out.len);
    kbuf_free(&buf);
    return copy;
}

kfk_err mock_txn_write_marker(mock_cluster *mc, kslice topic, int32_t partition,
                              int64_t producer_id, int16_t epoch, bool commit)
{
    mock_topic *t = mock_topic_find(mc, topic);
    mock_partition *p = t ? mock_partition_find(t, partition) : NULL;
    if (!p) return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    krbuf *b = marker_batch(producer_id, epoch, commit);
    int64_t base;
    if (!b) return KFK_ERR_NO_MEMORY;
    if (mock_partition_append(mc, p, b, &base)) {
        krbuf_unref(b);
        return KFK_ERR_NO_MEMORY;
    }
    return mock_producer_txn_marker(p, producer_id, epoch, commit, base);
}

static void apply_offsets(mock_txn *t)
{
    for (size_t i = 0; i < t->n_offsets; i++) {
        const mock_txn_offset *o = &t->offsets[i];
        kfk_err err;
        mock_group *g = mock_group_get(t->mc, kwire_cstr(o->group), MOCK_GROUP_CLASSIC, &err);
        if (!g) g = mock_group_find(t->mc, kwire_cstr(o->group)); /* a KIP-848 group */
        if (!g) continue;
        kslice meta = {(const uint8_t *)o->metadata, o->metadata_len};
        mock_group_offset_set(g, kwire_cstr(o->topic), o->partition, o->offset, o->leader_epoch,
                              meta);
    }
}

/* Writes the markers prepared by mock_txn_end: PrepareX becomes
 * CompleteX. */
static void complete(mock_txn *t)
{
    bool commit = t->state == MOCK_TXN_PREPARE_COMMIT;
    for (size_t i = 0; i < t->n_parts; i++)
        /* A partition deleted meanwhile: Kafka's marker write fails and is dropped. */
        mock_txn_write_marker(t->mc, kwire_cstr(t->parts[i].topic), t->parts[i].partition,
                              t->marker_producer_id, t->marker_epoch, commit);
    if (commit) apply_offsets(t);
    txn_clear(t);
    t->state = commit ? MOCK_TXN_COMPLETE_COMMIT : MOCK_TXN_COMPLETE_ABORT;
}

void mock_txn_end(mock_txn *t, bool commit, int16_t marker_epoch)
{
    mock_timer_stop(t->mc, &t->timer);
    t->state = commit ? MOCK_TXN_PREPARE_COMMIT : MOCK_TXN_PREPARE_ABORT;
    t->marker_producer_id = t->producer_id;
    t->marker_epoch = marker_epoch;
    int32_t delay_ms = t->mc->txn_marker_delay_ms;
    /* Without memory for the timer the markers go out now. */
    if (delay_ms <= 0 ||
        mock_timer_start(t->mc, &t->timer, ktime_mono_ns() + (int64_t)delay_ms * 1000000))
        complete(t);
}

bool mock_txn_preparing(const mock_txn *t)
{
    return t->state == MOCK_TXN_PREPARE_COMMIT || t->state == MOCK_TXN_PREPARE_ABORT;
}

void mock_txn_fence_abort(mock_txn *t)
{
    /* Kafka's prepareFenceProducerEpoch: the bumped epoch goes into the
     * markers, so the old producer's late writes fail too. At the last
     * epoch there is nothing to bump to; the abort uses it as is. */
    if (t->epoch < INT16_MAX) t->epoch++;
    t->last_epoch = -1;
    mock_txn_end(t, false, t->epoch);
}

static void on_timeout(mock_cluster *mc, mock_timer *timer)
{
    (void)mc;
    mock_txn *t = container_of(timer, mock_txn, timer);
    if (t->state == MOCK_TXN_ONGOING)
        mock_txn_fence_abort(t); /* transaction_timeout_ms passed */
    else if (mock_txn_preparing(t))
        complete(t); /* the marker delay passed */
}

/* ---------------------------------------------------- Produce (KIP-890) */

kfk_err mock_txn_verify_produce(mock_req *req, kslice transactional_id, const mock_topic *topic,
                                int32_t partition, int64_t producer_id, int16_t epoch)
{
    mock_txn *t = mock_txn_find(req->mc, transactional_id);
    if (!t || t->producer_id != producer_id) return KFK_ERR_INVALID_PRODUCER_ID_MAPPING;
    /* Produce has no PRODUCER_FENCED: Kafka answers a stale epoch so. */
    if (t->epoch != epoch) return KFK_ERR_INVALID_PRODUCER_EPOCH;
    kslice name = kwire_cstr(topic->name);
    /* The coordinator's CONCURRENT_TRANSACTIONS, as Kafka translates it
     * for producers: a retriable error that refreshes no metadata. */
    if (mock_txn_preparing(t)) return KFK_ERR_NOT_ENOUGH_REPLICAS;
    if (t->state == MOCK_TXN_ONGOING && mock_txn_has_partition(t, name, partition)) return KFK_OK;
    /* Transaction version 2 lets the partition leader add the partition
     * for a producer that says it knows (Produce v12+). */
    if (req->mc->txn_version >= 2 && req->version >= 12)
        return mock_txn_add_partition(t, name, partition) ? KFK_ERR_UNKNOWN_SERVER_ERROR : KFK_OK;
    /* The coordinator's TRANSACTION_ABORTABLE reaches clients that know
     * it (Produce v11+); older ones get INVALID_TXN_STATE. */
    return req->version >= 11 ? KFK_ERR_TRANSACTION_ABORTABLE : KFK_ERR_INVALID_TXN_STATE;
}

/* ------------------------------------------------------------ public API */

kfk_err kfk_mock_set_transaction_version(kfk_mock_cluster *mc, int16_t version)
{
    if (!mc || version < 0 || version > 2) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    if (mc->txn_version != version) mc->features_epoch++;
    mc->txn_version = version;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}

kfk_err kfk_mock_set_txn_marker_delay(kfk_mock_cluster *mc, int delay_ms)
{
    if (!mc || delay_ms < 0) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->txn_marker_delay_ms = delay_ms;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}

kfk_err kfk_mock_set_transaction_max_timeout(kfk_mock_cluster *mc, int max_ms)
{
    if (!mc || max_ms <= 0) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->txn_max_timeout_ms = max_ms;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}

int32_t kfk_mock_txn_coordinator(kfk_mock_cluster *mc, const char *transactional_id)
{
    if (!mc || !transactional_id) return -1;
    pthread_mutex_lock(&mc->lock);
    int32_t id = mock_coordinator(mc, 1, kwire_cstr(transactional_id));
    pthread_mutex_unlock(&mc->lock);
    return id;
}
