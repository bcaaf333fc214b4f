/* Cluster helpers for the consumer integration tests: topics on the
 * cluster under test, numbered records produced with kfk's producer, and
 * waiting between checks. Each helper ck_asserts on failure, so call them
 * from a Check test (not from a forked child of one). bootstrap NULL
 * means the cluster in KFK_TEST_BOOTSTRAP. */
#ifndef KFK_TESTS_KCLUS_H
#define KFK_TESTS_KCLUS_H

#include <stdbool.h>
#include <stdint.h>

#include <check.h>

#include "kfk.h"

#define KCLUS_TIMEOUT_MS 30000

/* Whether the cluster under test is the mock (KFK_TEST_MOCK=1). */
bool kclus_is_mock(void);

/* A configuration with bootstrap.servers set (and log.level=debug when
 * KFK_TEST_DEBUG is set). The caller owns it. */
kfk_conf *kclus_conf(const char *bootstrap);

/* An admin client of the cluster, asserting that there is one. */
kfk_admin *kclus_admin(const char *bootstrap);

/* Sets name=value on conf, asserting that it is accepted. */
void kclus_set(kfk_conf *conf, const char *name, const char *value);

/* Creates a topic (rf -1: the broker's default) and waits until every
 * partition has a leader. */
void kclus_create_topic(const char *bootstrap, const char *name, int32_t partitions, int16_t rf);
/* The same with topic configs: configs holds name, value, name, value, ...
 * and ends with NULL. */
void kclus_create_topic_with(const char *bootstrap, const char *name, int32_t partitions,
                             int16_t rf, const char *const *configs);

/* Sets a group's configs (IncrementalAlterConfigs SET on the GROUP
 * resource, e.g. share.auto.offset.reset): configs holds name, value,
 * name, value, ... and ends with NULL. Asserts that they are accepted. */
void kclus_set_group_configs(const char *bootstrap, const char *group, const char *const *configs);

/* Deletes a topic; errors are ignored (the test is over). */
void kclus_delete_topic(const char *bootstrap, const char *name);

/* Produces records first..first+n-1: record i goes to partition
 * i % partitions with key "k<i>" and value "<i>", and waits until all are
 * delivered. */
void kclus_produce(const char *bootstrap, const char *topic, int32_t partitions, int first, int n);
/* Queues record i as kclus_produce writes it (partition i % partitions,
 * key "k<i>", value "<i>") with opaque; kfk_produce's result. */
kfk_err kclus_produce_one(kfk_producer *p, const char *topic, int32_t partitions, int i,
                          void *opaque);

/* The record number in a message's value (as kclus_produce writes it),
 * or -1. */
int kclus_record_id(const kfk_message *m);

/* Partition p of topic as metadata reports it: false (and -1 in both)
 * when metadata has no such partition; else *leader (-1: none yet) and its
 * leader *epoch. */
bool kclus_partition_leader(const char *bootstrap, const char *topic, int32_t p, int32_t *leader,
                            int32_t *epoch);

/* A pause between two checks of a condition that has a deadline, or the
 * length of a fault (its schedule, not a synchronisation). */
void kclus_nap(int ms);

/* tools/kafka CMD NODE (kill, restart, pause, resume) on the cluster of
 * KFK_CHAOS_DIR, as the chaos tests and the soak break it; its exit
 * status (0: done). */
int kclus_kafka(const char *cmd, int node);

/* main() of a test that breaks the cluster: runs make's suite, or skips
 * (KTEST_SKIP) unless tests/chaos/run set KFK_TEST_BOOTSTRAP and
 * KFK_CHAOS_DIR. */
int kclus_chaos_main(Suite *(*make)(void));

/* Milliseconds on the monotonic clock. */
int64_t kclus_now_ms(void);

#endif
