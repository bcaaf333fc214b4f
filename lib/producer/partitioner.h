/* Partitioners: which partition of a topic a record goes to when the
 * application leaves it to kfk (KFK_PARTITION_ANY). One kpartitioner per
 * topic: the sticky and round-robin state is per topic, as in the Java
 * client.
 *
 * The kinds (the "partitioner" property, KCONF_PARTITIONER_*):
 *   default            Java's: keyed records go to
 *                      (murmur2(key) & 0x7fffffff) % partition_count, over
 *                      all partitions, available or not (a key must not
 *                      move when a leader is down); keyless records (and
 *                      all records with partitioner.ignore.keys) are sticky:
 *                      see below.
 *   murmur2            murmur2 as above for every record; a null key hashes
 *                      as an empty one (librdkafka's murmur2).
 *   murmur2_random     murmur2 for keyed records (an empty key too), a
 *                      random partition for keyless ones (librdkafka's
 *                      murmur2_random).
 *   consistent         IEEE CRC-32 (zlib's crc32) of the key % count; a null
 *                      key hashes as an empty one, so lands on partition 0
 *                      (librdkafka's consistent).
 *   consistent_random  CRC-32 for keyed records, random for keyless ones
 *                      and (as in librdkafka) for an empty key.
 *   random             a random partition per record.
 *   round_robin        the next partition in turn per record, keys ignored
 *                      (Java's RoundRobinPartitioner).
 *   a user callback    kfk_partitioner_cb; its answer is range-checked.
 * "Random" choices and round-robin use the available partitions (those
 * with a leader) when the caller lists any, else all partitions.
 *
 * Sticky partitioning (KIP-480, refined by KIP-794's uniform sticky
 * partitioner): keyless records all go to one partition until about
 * batch.size bytes have been produced to it, then a new partition is
 * picked at random among the available ones. As in Java's
 * BuiltInPartitioner, the switch waits for the partition's open batch to
 * be full (the accumulator reports that) so batches are not cut short, but
 * never past 2 * batch.size bytes.
 *
 * Adaptive partitioning (KIP-794, partitioner.adaptive.partitioning.
 * enable): the sender may publish how many batches wait in each
 * partition's queue (kpartitioner_set_load). The next sticky partition is
 * then drawn with weight (longest queue + 1 - its queue), so partitions
 * whose brokers keep up get more; with no table, or all queues equal
 * across all partitions, the draw is uniform over the available ones.
 * This is Java's BuiltInPartitioner; what the sender leaves out of the
 * table (partitioner.availability.timeout.ms) is its business.
 *
 * Threads: any number of threads may call choose and appended on one
 * kpartitioner at once; the per-record state is a few atomics. A sticky
 * switch (once per batch) and kpartitioner_set_load take a mutex that
 * guards the load table. The user callback is called with no lock held. */
#ifndef KFK_PRODUCER_PARTITIONER_H
#define KFK_PRODUCER_PARTITIONER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "kfk.h"

/* The user-callback kind; the others are the KCONF_PARTITIONER_* values. */
#define KPARTITIONER_CALLBACK 100

typedef struct kpartitioner {
    int kind; /* KCONF_PARTITIONER_* or KPARTITIONER_CALLBACK */
    bool ignore_keys;
    int64_t sticky_bytes; /* batch.size: bytes before a sticky switch */
    kfk_partitioner_cb *cb;
    void *cb_opaque;
    _Atomic uint64_t rng;         /* splitmix64 state: a shared, seedable stream */
    _Atomic uint32_t round_robin; /* the next round-robin turn */
    /* The sticky partition + 1 in the high 32 bits (0: none chosen yet) and
     * the bytes produced to it since it was chosen in the low 32 bits, so
     * one compare-and-swap moves both. */
    _Atomic uint64_t sticky;
    pthread_mutex_t load_lock; /* protects the four fields below */
    int32_t load_n;            /* entries in the table; 0: no table, uniform */
    int32_t load_cap;
    int32_t *load_ids;  /* partition of each entry */
    int32_t *load_cumw; /* cumulative weights: entry i covers [cumw[i-1], cumw[i]) */
} kpartitioner;

/* What a choice needs to know about the topic. */
typedef struct kpart_topic {
    const char *topic;        /* for the user callback */
    int32_t partition_count;  /* at least 1 */
    const int32_t *available; /* partitions with a leader, or NULL */
    int32_t n_available;      /* 0: treat all as available */
} kpart_topic;

/* Sets p up. kind: a KCONF_PARTITIONER_* value, or KPARTITIONER_CALLBACK
 * with cb (opaque passed to it; both stay the caller's). batch_size:
 * batch.size, the sticky switch threshold. seed: the random stream's
 * start (tests pass a fixed one; the producer a random one).
 * Returns KFK_OK or KFK_ERR_INVALID_ARG (unknown kind, callback kind
 * without cb, batch_size outside [0, INT32_MAX]); then there is nothing
 * to destroy. */
kfk_err kpartitioner_init(kpartitioner *p, int kind, bool ignore_keys, int64_t batch_size,
                          kfk_partitioner_cb *cb, void *cb_opaque, uint64_t seed);

/* Frees the load table. No call may be running on p. */
void kpartitioner_destroy(kpartitioner *p);

/* Publishes the queue lengths (batches waiting) of the partitions keyless
 * records may go to: partitions[i] has queue_sizes[i] (>= 0). n 0 (or all
 * queues equal and n == partition_count) drops the table: uniform draws.
 * The arrays stay the caller's. Returns KFK_OK, KFK_ERR_INVALID_ARG (a
 * negative size, partition or n), or KFK_ERR_NO_MEMORY (the old table stays). Any
 * thread; takes the load mutex briefly. */
kfk_err kpartitioner_set_load(kpartitioner *p, const int32_t *partitions,
                              const int32_t *queue_sizes, int32_t n, int32_t partition_count);

/* Chooses the partition for a record with key (ptr NULL: null key).
 * Sets *partition and *sticky (true when the choice was the sticky one:
 * the caller then reports the record's bytes with kpartitioner_appended).
 * Returns KFK_OK, or KFK_ERR_INVALID_ARG when partition_count < 1 or the
 * user callback returned a partition out of range. Never blocks (beyond
 * the user callback). */
kfk_err kpartitioner_choose(kpartitioner *p, const kpart_topic *t, kslice key, int32_t *partition,
                            bool *sticky);

/* Tells the sticky state that bytes were appended to partition for a
 * sticky choice. batch_full: whether the partition has no unfilled open
 * batch left after the append (so switching now leaves no short batch
 * behind; Java's enableSwitch). Switches when the bytes reach batch.size
 * and batch_full, or 2 * batch.size regardless: the next choose picks a
 * new partition. A report for a partition that is no longer the sticky
 * one (another thread switched first) is ignored. */
void kpartitioner_appended(kpartitioner *p, int32_t partition, size_t bytes, bool batch_full);

/* The next value of p's random stream (exposed for tests). */
uint64_t kpartitioner_random(kpartitioner *p);

/* The hash partitioners on their own, for tests and for callers that know
 * the kind: Java/librdkafka murmur2 and librdkafka consistent (CRC-32). */
int32_t kpartition_murmur2(kslice key, int32_t partition_count);
int32_t kpartition_consistent(kslice key, int32_t partition_count);

#endif
