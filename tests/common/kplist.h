/* Partition lists for tests: one-line ways to build a kfk_partition_list
 * and to make the calls that take one. Every helper ck_asserts that its
 * allocations succeed. */
#ifndef KFK_TESTS_KPLIST_H
#define KFK_TESTS_KPLIST_H

#include <stddef.h>
#include <stdint.h>

#include "kfk.h"

/* A new list (the caller destroys it) of topic's partitions 0..n-1, each
 * at offset. */
kfk_partition_list *kpl_range(const char *topic, int32_t n, int64_t offset);
/* A new list with the one entry topic/partition at offset. */
kfk_partition_list *kpl_one(const char *topic, int32_t partition, int64_t offset);
/* Appends topic/partition at offset to l; returns its index. */
size_t kpl_add(kfk_partition_list *l, const char *topic, int32_t partition, int64_t offset);

/* kfk_consumer_assign with topic's partitions 0..n-1 at offset. */
kfk_err kpl_assign(kfk_consumer *c, const char *topic, int32_t n, int64_t offset);
/* kfk_consumer_assign with the one partition at offset. */
kfk_err kpl_assign_one(kfk_consumer *c, const char *topic, int32_t partition, int64_t offset);
/* kfk_consumer_commit of one partition's offset. */
kfk_err kpl_commit(kfk_consumer *c, const char *topic, int32_t partition, int64_t offset,
                   int async);
/* kfk_consumer_committed for one partition: *offset gets what it filled
 * in (KFK_OFFSET_INVALID: none). */
kfk_err kpl_committed(kfk_consumer *c, const char *topic, int32_t partition, int64_t *offset,
                      int timeout_ms);
/* The number of partitions assigned to c now. */
size_t kpl_assigned(kfk_consumer *c);

#endif
