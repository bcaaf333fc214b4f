/* What a group has committed for a partition, as the broker stored it,
 * read with raw requests (not through the client under test): the offset
 * and the leader epoch. For tests against the mock and real Kafka
 * alike. */
#ifndef KFK_TESTS_KCOMMITTED_H
#define KFK_TESTS_KCOMMITTED_H

#include <stdint.h>

#include "kfk.h"

/* Asks bootstrap (a "host:port,..." list) for the group's coordinator
 * (FindCoordinator v4) and that coordinator for the partition's committed
 * offset (OffsetFetch v8), retrying while the group's coordinator moves or
 * loads, for at most 30 s. *offset gets the offset (-1: none); returns the
 * committed leader epoch (-1: none). ck_asserts on failure. */
int32_t kcommitted_epoch(const char *bootstrap, const char *group, const char *topic,
                         int32_t partition, int64_t *offset);

/* Commits c's positions synchronously, then asserts that the group holds
 * offset with leader epoch for partition 0 of topic. */
void kcommitted_check(kfk_consumer *c, const char *bootstrap, const char *group,
                      const char *topic, int64_t offset, int32_t epoch);

#endif
