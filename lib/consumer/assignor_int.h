/* What the assignors share: the group as one model with topics sorted by
 * name and every assignable partition numbered, topic by topic, so that
 * "sorted by topic, then partition" is just ascending index. Internal to
 * lib/consumer. */
#ifndef KFK_CONSUMER_ASSIGNOR_INT_H
#define KFK_CONSUMER_ASSIGNOR_INT_H

#include "consumer/assignor.h"

typedef struct kc_group {
    const kc_member *members; /* the caller's, in the caller's order */
    int32_t n_members;
    int32_t *order;      /* member indices in Java's order (kc_member_cmp) */
    int32_t n_topics;    /* topics someone subscribes to that have partitions */
    kslice *topic;       /* their names, ascending */
    kc_topic *meta;      /* the caller's entry for each */
    int32_t *count;      /* partitions per topic */
    int32_t *first;      /* index of each topic's partition 0 */
    int32_t n_parts;     /* partitions over all topics */
    int32_t *part_topic; /* topic of each partition */
    uint8_t *subscribed; /* subscribed[member * n_topics + topic] */
    int32_t *assigned;   /* member of each partition, -1: none yet */
    karena scratch;      /* everything above; freed by kc_group_free */
} kc_group;

/* Builds the model. Returns 0, KFK_ERR_NO_MEMORY, KFK_ERR_INVALID_ARG
 * (duplicate member ids); call kc_group_free either way. */
int kc_group_build(kc_group *g, const kc_member *members, int32_t n_members, const kc_topic *topics,
                   int32_t n_topics);
void kc_group_free(kc_group *g);

/* The topic's index, or -1 when it is not assignable. */
int32_t kc_group_topic(const kc_group *g, kslice name);

static inline int kc_group_subscribed(const kc_group *g, int32_t member, int32_t topic)
{
    return g->subscribed[(size_t)member * (size_t)g->n_topics + (size_t)topic];
}

/* Whether member m names a rack and partition p (an index) has a replica
 * there: a rack-aware assignor's preference (KIP-881). */
static inline int kc_group_rack_local(const kc_group *g, int32_t m, int32_t p)
{
    kslice rack = g->members[m].sub.rack_id;
    const kc_topic *meta = &g->meta[g->part_topic[p]];
    if (!rack.ptr || !meta->replica_racks) return 0;
    const struct kc_replica_racks *r = &meta->replica_racks[p - g->first[g->part_topic[p]]];
    for (int32_t i = 0; i < r->n; i++)
        if (kwire_eq(r->racks[i], rack)) return 1;
    return 0;
}

/* Turns g->assigned into out[0..n_members) with arrays from a. Partitions
 * still at -1 are left out. Returns 0 or KFK_ERR_NO_MEMORY. */
int kc_group_output(const kc_group *g, kp_consumer_protocol_assignment *out, karena *a);

/* --- sets of topic-partitions (tp_set.c) --------------------------------- */

typedef struct kc_tp {
    kslice topic;
    int32_t partition;
} kc_tp;

/* The (topic, partition) pairs of in[], from a; *n gets how many. NULL
 * when out of memory. */
kc_tp *kc_tp_flatten(const kp_consumer_protocol_subscription_topic_partition *in, int32_t n_in,
                     karena *a, int32_t *n);

/* Sorts tps by topic, then partition, drops repeats; returns the count. */
int32_t kc_tp_sort(kc_tp *tps, int32_t n);

/* Sorted tps as one entry per topic, arrays from a. 0 or
 * KFK_ERR_NO_MEMORY. */
int kc_tp_group(const kc_tp *tps, int32_t n, karena *a,
                kp_consumer_protocol_subscription_topic_partition **out, int32_t *n_out);

/* Byte order of names; Java compares UTF-16 units, which agrees for the
 * ASCII that topic names and generated member ids are made of. */
int kc_slice_cmp(kslice x, kslice y);

/* Scratch arrays: n elements of size each from g's arena, zeroed. */
void *kc_group_alloc(kc_group *g, size_t n, size_t size);

#endif
