/* The metadata cache: what the client knows of each topic (id, partitions,
 * their leaders with leader epochs, replicas, ISR) and of the cluster
 * (id, controller).
 *
 * A topic's entry is an immutable, refcounted kmeta_topic. Readers take a
 * reference under the cache's mutex and then read without any lock for as
 * long as they like; an update builds a new entry for just the topics it
 * changes and swaps it in (copy on write per topic), so a KIP-951 leader
 * hint for one partition does not copy the whole cache. `version` grows
 * with every change, so a producer or consumer can keep its references
 * and re-read only when it moved.
 *
 * Leader epochs only go forward (KIP-320): a Metadata answer or hint
 * carrying an older epoch for a partition than the cache has (from a
 * broker that lags behind the controller) leaves that partition as it is.
 *
 * Threads: every function may be called from any thread. */
#ifndef KFK_CLIENT_METADATA_H
#define KFK_CLIENT_METADATA_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kfk.h"
#include "proto/gen/metadata.h"

typedef struct kmeta_partition {
    int32_t id;
    int32_t leader;       /* -1: none right now */
    int32_t leader_epoch; /* -1: unknown */
    kfk_err err;
    int32_t n_replicas, n_isr, n_offline;
    const int32_t *replicas, *isr, *offline; /* inside the topic's block */
} kmeta_partition;

typedef struct kmeta_topic {
    atomic_int refcnt;
    const char *name; /* inside the block */
    kuuid id;
    kfk_err err; /* the topic-level error of the last answer */
    bool internal;
    int32_t n_partitions;
    kmeta_partition *partitions; /* by id: partitions[i].id == i */
} kmeta_topic;

/* A topic's partition by id, or NULL. */
static inline const kmeta_partition *kmeta_partition_of(const kmeta_topic *t, int32_t id)
{
    return id >= 0 && id < t->n_partitions ? &t->partitions[id] : NULL;
}

typedef struct kmeta_slot kmeta_slot;

typedef struct kmeta {
    pthread_mutex_t lock; /* protects everything below but version */
    kmeta_slot *slots;    /* open addressing by name hash */
    size_t n_slots, n_topics;
    uint32_t update_gen; /* marks the topics an update listed */
    char *cluster_id;
    int32_t controller_id;
    atomic_uint_fast64_t version;
} kmeta;

void kmeta_init(kmeta *m);
void kmeta_free(kmeta *m);

/* A reference to the topic's entry, or NULL when the cache has none.
 * Release it with kmeta_topic_unref. */
kmeta_topic *kmeta_topic_get(kmeta *m, const char *name);
kmeta_topic *kmeta_topic_ref(kmeta_topic *t);

/* The same by topic id (Produce v13+ and Fetch v13+ name topics by id); a
 * scan of the cache, fine for the rare answers that need it. */
kmeta_topic *kmeta_topic_by_id(kmeta *m, const kuuid *id);
void kmeta_topic_unref(kmeta_topic *t);

/* The leader of topic/partition and its epoch: 0, or -1 when the cache
 * has no leader for it (unknown topic or partition, or none elected). */
int kmeta_leader(kmeta *m, const char *topic, int32_t partition, int32_t *leader, int32_t *epoch);

/* The controller's node id, or -1. */
int32_t kmeta_controller(kmeta *m);

/* A copy of the cluster id (free() it), or NULL. */
char *kmeta_cluster_id(kmeta *m);

/* Takes in a Metadata answer. all_topics says the request asked for every
 * topic: cached topics it does not list are then gone. Topics it lists
 * with an error keep their last partitions (if any) and carry the error.
 * Returns the number of topics whose entry changed, or -1 when out of
 * memory (the cache is then partly updated, never inconsistent). */
int kmeta_update(kmeta *m, const kp_metadata_response *resp, bool all_topics);

/* KIP-951: a Produce or Fetch answer named a partition's new leader.
 * Applies it unless the cache already has a newer epoch. Returns 1 when
 * the cache changed, 0 when not, -1 when out of memory. */
int kmeta_leader_hint(kmeta *m, const char *topic, int32_t partition, int32_t leader,
                      int32_t epoch);

/* Drops a topic (it was deleted). */
void kmeta_forget(kmeta *m, const char *name);

/* Calls fn for every cached topic (with a reference the callee may keep
 * by kmeta_topic_ref), without the lock held. */
void kmeta_each(kmeta *m, void (*fn)(void *opaque, kmeta_topic *t), void *opaque);

#endif
