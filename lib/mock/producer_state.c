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

kfk_err mock_producer_update(mock_partition *p, int64_t producer_id, int16_t epoch,
                             int32_t first_seq, int32_t last_seq, int64_t first_offset,
                             int64_t last_offset, int64_t timestamp)
{
    mock_producer *e = find(p, producer_id);
    if (!e) {
        if (p->n_producers == p->cap_producers) {
            size_t cap = p->cap_producers ? p->cap_producers * 2 : 4;
            mock_producer *ps = realloc(p->producers, cap * sizeof(*ps));
            if (!ps) return KFK_ERR_NO_MEMORY;
            p->producers = ps;
            p->cap_producers = cap;
        }
        e = &p->producers[p->n_producers++];
        memset(e, 0, sizeof(*e));
        e->producer_id = producer_id;
        e->epoch = -1;
    }
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

void mock_producers_free(mock_partition *p)
{
    free(p->producers);
    p->producers = NULL;
    p->n_producers = p->cap_producers = 0;
}
