/* Partitioners; see partitioner.h for which does what and why. */
#include "producer/partitioner.h"

#include <stdlib.h>
#include <zlib.h>

#include "base/conf.h"
#include "base/murmur2.h"

kfk_err kpartitioner_init(kpartitioner *p, int kind, bool ignore_keys, int64_t batch_size,
                          kfk_partitioner_cb *cb, void *cb_opaque, uint64_t seed)
{
    if (kind == KPARTITIONER_CALLBACK
            ? !cb
            : kind < KCONF_PARTITIONER_DEFAULT || kind > KCONF_PARTITIONER_ROUND_ROBIN)
        return KFK_ERR_INVALID_ARG;
    if (batch_size < 0 || batch_size > INT32_MAX)
        return KFK_ERR_INVALID_ARG; /* batch.size is an int */
    p->kind = kind;
    p->ignore_keys = ignore_keys;
    p->sticky_bytes = batch_size;
    p->cb = cb;
    p->cb_opaque = cb_opaque;
    atomic_init(&p->rng, seed);
    atomic_init(&p->round_robin, 0);
    atomic_init(&p->sticky, 0);
    pthread_mutex_init(&p->load_lock, NULL);
    p->load_n = p->load_cap = 0;
    p->load_ids = p->load_cumw = NULL;
    return KFK_OK;
}

void kpartitioner_destroy(kpartitioner *p)
{
    pthread_mutex_destroy(&p->load_lock);
    free(p->load_ids);
    free(p->load_cumw);
}

static bool load_grow(kpartitioner *p, int32_t n)
{
    if (n <= p->load_cap) return true;
    int32_t *ids = realloc(p->load_ids, (size_t)n * sizeof(*ids));
    if (ids) p->load_ids = ids;
    int32_t *cumw = ids ? realloc(p->load_cumw, (size_t)n * sizeof(*cumw)) : NULL;
    if (cumw) p->load_cumw = cumw;
    if (!cumw) return false;
    p->load_cap = n;
    return true;
}

kfk_err kpartitioner_set_load(kpartitioner *p, const int32_t *partitions,
                              const int32_t *queue_sizes, int32_t n, int32_t partition_count)
{
    if (n < 0) return KFK_ERR_INVALID_ARG;
    int32_t max = 0;
    bool all_equal = true;
    for (int32_t i = 0; i < n; i++) {
        if (queue_sizes[i] < 0 || partitions[i] < 0) return KFK_ERR_INVALID_ARG;
        if (queue_sizes[i] > max) max = queue_sizes[i];
        if (queue_sizes[i] != queue_sizes[0]) all_equal = false;
    }
    pthread_mutex_lock(&p->load_lock);
    kfk_err err = KFK_OK;
    if (n == 0 || (all_equal && n == partition_count)) {
        p->load_n = 0;
    } else if (!load_grow(p, n)) {
        err = KFK_ERR_NO_MEMORY;
    } else {
        /* Java's updatePartitionLoadStats: weight = longest + 1 - queue, so
         * every listed partition keeps a chance, folded into a cumulative
         * table for a binary search. The sum stays within int64 easily. */
        int64_t sum = 0;
        for (int32_t i = 0; i < n; i++) {
            sum += (int64_t)max + 1 - queue_sizes[i];
            p->load_ids[i] = partitions[i];
            p->load_cumw[i] = sum > INT32_MAX ? INT32_MAX : (int32_t)sum;
        }
        p->load_n = n;
    }
    pthread_mutex_unlock(&p->load_lock);
    return err;
}

/* A draw from the load table, load_lock held: the first entry whose
 * cumulative weight exceeds a random number below the total. */
static int32_t pick_weighted(kpartitioner *p)
{
    uint64_t r = kpartitioner_random(p) % (uint64_t)p->load_cumw[p->load_n - 1];
    int32_t lo = 0, hi = p->load_n - 1;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if ((uint64_t)p->load_cumw[mid] > r)
            hi = mid;
        else
            lo = mid + 1;
    }
    return p->load_ids[lo];
}

/* splitmix64: one atomic add per number, so threads share the stream
 * without a lock and a fixed seed gives a repeatable sequence. */
uint64_t kpartitioner_random(kpartitioner *p)
{
    uint64_t z = atomic_fetch_add_explicit(&p->rng, 0x9e3779b97f4a7c15ull, memory_order_relaxed) +
                 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int32_t kpartition_murmur2(kslice key, int32_t partition_count)
{
    return kmurmur2_partition(key.ptr, key.len, partition_count);
}

int32_t kpartition_consistent(kslice key, int32_t partition_count)
{
    /* zlib's crc32 takes a uInt length: fold longer keys in pieces. */
    uLong crc = crc32(0L, Z_NULL, 0);
    const uint8_t *at = key.ptr;
    for (size_t left = key.len; left > 0;) {
        uInt n = left > 0x40000000u ? 0x40000000u : (uInt)left;
        crc = crc32(crc, at, n);
        at += n;
        left -= n;
    }
    return (int32_t)((uint32_t)crc % (uint32_t)partition_count);
}

/* Index n of the available partitions, or of all when none are listed. */
static int32_t pick_available(const kpart_topic *t, uint64_t n)
{
    if (t->available && t->n_available > 0) return t->available[n % (uint64_t)t->n_available];
    return (int32_t)(n % (uint64_t)t->partition_count);
}

static int32_t pick_random(kpartitioner *p, const kpart_topic *t)
{
    return pick_available(t, kpartitioner_random(p));
}

/* The current sticky partition, choosing one when there is none. Racing
 * threads may both draw a partition; the compare-and-swap lets one win and
 * the others use its choice, so all records see one sticky partition. */
/* A new sticky partition: weighted by the load table when there is one. */
static int32_t pick_sticky(kpartitioner *p, const kpart_topic *t)
{
    pthread_mutex_lock(&p->load_lock);
    int32_t pick = p->load_n > 0 ? pick_weighted(p) : pick_random(p, t);
    pthread_mutex_unlock(&p->load_lock);
    /* A table from before the topic shrank (it never does in Kafka, but a
     * caller may pass a stale count) must not send records out of range. */
    return pick >= 0 && pick < t->partition_count ? pick : pick_random(p, t);
}

static int32_t sticky_partition(kpartitioner *p, const kpart_topic *t)
{
    uint64_t s = atomic_load_explicit(&p->sticky, memory_order_acquire);
    while (true) {
        int32_t cur = (int32_t)(s >> 32) - 1;
        if (cur >= 0 && cur < t->partition_count) return cur;
        int32_t pick = pick_sticky(p, t);
        uint64_t next = (uint64_t)(uint32_t)(pick + 1) << 32;
        if (atomic_compare_exchange_weak_explicit(&p->sticky, &s, next, memory_order_acq_rel,
                                                  memory_order_acquire))
            return pick;
    }
}

void kpartitioner_appended(kpartitioner *p, int32_t partition, size_t bytes, bool batch_full)
{
    uint64_t s = atomic_load_explicit(&p->sticky, memory_order_acquire);
    while (true) {
        if ((int32_t)(s >> 32) - 1 != partition) return; /* someone switched already */
        uint64_t produced = (s & 0xffffffffu) + bytes;
        if (produced > 0xffffffffu) produced = 0xffffffffu;
        uint64_t next;
        /* Java's BuiltInPartitioner.updatePartitionInfo: switch once a batch
         * worth has gone here and no half-filled batch would be left behind,
         * or at twice that whatever the batch (KIP-794). */
        if ((int64_t)produced >= 2 * p->sticky_bytes ||
            ((int64_t)produced >= p->sticky_bytes && batch_full))
            next = 0;
        else
            next = (s & 0xffffffff00000000ull) | produced;
        if (atomic_compare_exchange_weak_explicit(&p->sticky, &s, next, memory_order_acq_rel,
                                                  memory_order_acquire))
            return;
    }
}

static kfk_err choose_by_callback(kpartitioner *p, const kpart_topic *t, kslice key,
                                  int32_t *partition)
{
    int32_t got = p->cb(p->cb_opaque, t->topic, key.ptr, key.len, t->partition_count);
    if (got < 0 || got >= t->partition_count) return KFK_ERR_INVALID_ARG;
    *partition = got;
    return KFK_OK;
}

kfk_err kpartitioner_choose(kpartitioner *p, const kpart_topic *t, kslice key, int32_t *partition,
                            bool *sticky)
{
    if (t->partition_count < 1) return KFK_ERR_INVALID_ARG;
    bool keyed = key.ptr != NULL;
    *sticky = false;
    switch (p->kind) {
    case KCONF_PARTITIONER_DEFAULT:
        if (keyed && !p->ignore_keys) {
            *partition = kpartition_murmur2(key, t->partition_count);
        } else {
            *partition = sticky_partition(p, t);
            *sticky = true;
        }
        return KFK_OK;
    case KCONF_PARTITIONER_MURMUR2:
        *partition = kpartition_murmur2(key, t->partition_count);
        return KFK_OK;
    case KCONF_PARTITIONER_MURMUR2_RANDOM:
        *partition = keyed ? kpartition_murmur2(key, t->partition_count) : pick_random(p, t);
        return KFK_OK;
    case KCONF_PARTITIONER_CONSISTENT:
        *partition = kpartition_consistent(key, t->partition_count);
        return KFK_OK;
    case KCONF_PARTITIONER_CONSISTENT_RANDOM:
        /* librdkafka's consistent_random treats an empty key as no key
         * (its murmur2_random hashes it): tools/golden/rdkafka_partitions.c
         * shows both. */
        *partition =
            key.len > 0 ? kpartition_consistent(key, t->partition_count) : pick_random(p, t);
        return KFK_OK;
    case KCONF_PARTITIONER_RANDOM:
        *partition = pick_random(p, t);
        return KFK_OK;
    case KCONF_PARTITIONER_ROUND_ROBIN:
        *partition =
            pick_available(t, atomic_fetch_add_explicit(&p->round_robin, 1, memory_order_relaxed));
        return KFK_OK;
    case KPARTITIONER_CALLBACK:
        return choose_by_callback(p, t, key, partition);
    }
    return KFK_ERR_INVALID_ARG;
}
