/* The kfk_metadata that list, describe topics and describe cluster
 * return: one arena holds every string and array, so it is freed at
 * once. Shared by describe.c (Metadata, DescribeCluster, the accessors)
 * and describe_topics.c (DescribeTopicPartitions). */
#ifndef KFK_ADMIN_METADATA_INT_H
#define KFK_ADMIN_METADATA_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "admin/admin_int.h"
#include "kfk.h"
#include "proto/arena.h"
#include "proto/wire.h"

/* Authorized operations the broker did not report (Kafka's sentinel). */
#define KMD_NO_OPS INT32_MIN

typedef struct md_broker {
    int32_t id;
    int port;
    const char *host;
    const char *rack;
} md_broker;

typedef struct md_partition {
    int32_t id, leader, leader_epoch;
    kfk_err err;
    const int32_t *replicas, *isr, *offline;
    size_t n_replicas, n_isr, n_offline;
    const int32_t *elr, *last_known_elr; /* KIP-966; NULL: not reported */
    size_t n_elr, n_last_known_elr;
} md_partition;

typedef struct md_topic {
    const char *name;
    kfk_err err;
    bool internal;
    bool has_id;
    uint8_t id[16];
    int32_t authorized_ops; /* KMD_NO_OPS: not reported */
    md_partition *partitions;
    size_t n_partitions;
} md_topic;

struct kfk_metadata {
    karena arena;
    const char *cluster_id;
    int32_t controller_id;
    int32_t cluster_authorized_ops; /* KMD_NO_OPS: not reported */
    md_broker *brokers;
    size_t n_brokers;
    md_topic *topics;
    size_t n_topics;
};

/* A NUL-terminated copy of s in a; NULL for a null s or when out of memory. */
const char *kmd_dup_slice(karena *a, kslice s);
/* A copy of the n ints of v in a (n < 0 counts as 0); *out_n gets the
 * count. NULL when out of memory. */
const int32_t *kmd_dup_ints(karena *a, const int32_t *v, int32_t n, size_t *out_n);
/* A new, empty kfk_metadata: no controller, nothing authorized reported. */
kfk_metadata *kmd_new(void);
/* Metadata for names (NULL: every topic) into *out; with_ops asks for
 * the topics' authorized operations. The answer also updates the
 * client's cache. */
kfk_err kadmin_metadata_call(kfk_admin *a, const char *const *names, size_t n, int64_t deadline_ns,
                             bool with_ops, kfk_metadata **out);
/* Orders brokers by id, topics by name and each topic's partitions by id. */
void kmd_sort(kfk_metadata *md);

#endif
