/* Idempotent producer state per partition, with the rules of Kafka's
 * ProducerStateManager and ProducerAppendInfo:
 *  - a batch whose epoch and sequence range equal one of the producer's
 *    last 5 batches is a duplicate: it is not appended again and the
 *    client gets success with the original offsets;
 *  - an epoch below the current one is INVALID_PRODUCER_EPOCH (Kafka 2.7+
 *    answers that rather than PRODUCER_FENCED on Produce);
 *  - a new epoch must start at sequence 0 (KIP-360), unless the producer
 *    had no epoch yet;
 *  - otherwise the first sequence must follow the last one (wrapping at
 *    INT32_MAX), else OUT_OF_ORDER_SEQUENCE_NUMBER;
 *  - a producer the partition has no state for may start at any sequence
 *    (its state may have gone with retention), so modern brokers do not
 *    answer UNKNOWN_PRODUCER_ID on Produce.
 * mc->lock held. */
#include <stdlib.h>
#include <string.h>

#include "mock/mock.h"
#include "mock/txn.h"

static mock_producer *find(const mock_partition *p, int64_t producer_id)
{
    for (size_t i = 0; i < p->n_producers; i++)
        if (p->producers[i].producer_id == producer_id) return &p->producers[i];
    return NULL;
}

static bool in_sequence(int32_t last_seq, int32_t next_seq)
{
    return (int64_t)next_seq == (int64_t)last_seq + 1 || (next_seq == 0 && last_seq == INT32_MAX);
}

void mock_producer_check(const mock_partition *p, int64_t producer_id, int16_t epoch,
                         int32_t first_seq, int32_t last_seq, mock_seq_check *out)
{
    memset(out, 0, sizeof(*out));
    const mock_producer *e = find(p, producer_id);
    if (!e || e->epoch < 0) return; /* no state: any sequence goes */
    if (epoch == e->epoch) {
        for (int32_t i = 0; i < e->n_batches; i++) {
            const mock_producer_batch *b = &e->batches[i];
            if (b->first_seq == first_seq && b->last_seq == last_seq) {
                out->duplicate = true;
                out->dup_base_offset = b->first_offset;
                out->dup_timestamp = b->timestamp;
                return;
            }
        }
    }
    if (epoch < e->epoch) {
        out->err = KFK_ERR_INVALID_PRODUCER_EPOCH;
    } else if (epoch != e->epoch) {
        if (first_seq != 0) out->err = KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    } else {
        int32_t last = e->n_batches ? e->batches[e->n_batches - 1].last_seq : -1;
        if (!in_sequence(last, first_seq)) out->err = KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    }
}

/* The producer's entry in p, made (with no epoch yet) when missing. */
static mock_producer *find_or_add(mock_partition *p, int64_t producer_id)
{
    mock_producer *e = find(p, producer_id);
    if (e) return e;
    if (p->n_producers == p->cap_producers) {
        size_t cap = p->cap_producers ? p->cap_producers * 2 : 4;
        mock_producer *ps = realloc(p->producers, cap * sizeof(*ps));
        if (!ps) return NULL;
        p->producers = ps;
        p->cap_producers = cap;
    }
    e = &p->producers[p->n_producers++];
    memset(e, 0, sizeof(*e));
    e->producer_id = producer_id;
    e->epoch = -1;
    e->txn_first_offset = -1;
    return e;
}

kfk_err mock_producer_update(mock_partition *p, int64_t producer_id, int16_t epoch,
                             int32_t first_seq, int32_t last_seq, int64_t first_offset,
                             int64_t last_offset, int64_t timestamp)
{
    mock_producer *e = find_or_add(p, producer_id);
    if (!e) return KFK_ERR_NO_MEMORY;
    if (e->epoch != epoch) { /* a new epoch forgets the old one's batches */
        e->epoch = epoch;
        e->n_batches = 0;
    }
    if (e->n_batches == MOCK_PRODUCER_BATCHES) {
        memmove(&e->batches[0], &e->batches[1],
                (MOCK_PRODUCER_BATCHES - 1) * sizeof(e->batches[0]));
        e->n_batches--;
    }
    e->batches[e->n_batches++] =
        (mock_producer_batch){first_seq, last_seq, first_offset, last_offset, timestamp};
    return KFK_OK;
}

kfk_err mock_producer_txn_append(mock_partition *p, int64_t producer_id, int64_t first_offset)
{
    mock_producer *e = find_or_add(p, producer_id);
    if (!e) return KFK_ERR_NO_MEMORY;
    if (e->txn_first_offset < 0) e->txn_first_offset = first_offset;
    return KFK_OK;
}

static kfk_err aborted_add(mock_partition *p, int64_t producer_id, int64_t first, int64_t last)
{
    if (p->n_aborted == p->cap_aborted) {
        size_t cap = p->cap_aborted ? p->cap_aborted * 2 : 8;
        mock_aborted_txn *v = realloc(p->aborted, cap * sizeof(*v));
        if (!v) return KFK_ERR_NO_MEMORY;
        p->aborted = v;
        p->cap_aborted = cap;
    }
    p->aborted[p->n_aborted++] = (mock_aborted_txn){producer_id, first, last};
    return KFK_OK;
}

/* Forgets aborted transactions retention has dropped entirely. */
static void aborted_prune(mock_partition *p)
{
    size_t keep = 0;
    while (keep < p->n_aborted && p->aborted[keep].last_offset < p->log.log_start_offset)
        keep++;
    if (!keep) return;
    memmove(p->aborted, p->aborted + keep, (p->n_aborted - keep) * sizeof(*p->aborted));
    p->n_aborted -= keep;
}

kfk_err mock_producer_txn_marker(mock_partition *p, int64_t producer_id, int16_t epoch, bool commit,
                                 int64_t marker_offset)
{
    mock_producer *e = find_or_add(p, producer_id);
    if (!e) return KFK_ERR_NO_MEMORY;
    /* A marker of a newer epoch fences the older one here too; the next
     * batch of the new epoch starts at sequence 0. */
    if (e->epoch != epoch) {
        e->epoch = epoch;
        e->n_batches = 0;
    }
    int64_t first = e->txn_first_offset;
    e->txn_first_offset = -1;
    if (commit || first < 0) return KFK_OK;
    kfk_err err = aborted_add(p, producer_id, first, marker_offset);
    aborted_prune(p);
    return err;
}

void mock_producers_truncate(mock_partition *p, int64_t offset)
{
    for (size_t i = 0; i < p->n_producers; i++)
        if (p->producers[i].txn_first_offset >= offset) p->producers[i].txn_first_offset = -1;
    while (p->n_aborted && p->aborted[p->n_aborted - 1].last_offset >= offset)
        p->n_aborted--;
}

int64_t mock_partition_lso(const mock_partition *p)
{
    int64_t lso = p->log.end_offset;
    for (size_t i = 0; i < p->n_producers; i++) {
        int64_t first = p->producers[i].txn_first_offset;
        if (first >= 0 && first < lso) lso = first;
    }
    return lso;
}

void mock_producers_free(mock_partition *p)
{
    free(p->producers);
    p->producers = NULL;
    p->n_producers = p->cap_producers = 0;
    free(p->aborted);
    p->aborted = NULL;
    p->n_aborted = p->cap_aborted = 0;
}
