/* A consumer-group (KIP-848) member driven by raw ConsumerGroupHeartbeat
 * requests over its own mt_conn to the group coordinator, subscribed to
 * one topic, for the wire-level suites (against the mock and real Kafka
 * alike). What the answers say is kept in the member. */
#ifndef KFK_TESTS_KCGM_H
#define KFK_TESTS_KCGM_H

#include <stdbool.h>
#include <stdint.h>

#include "mt_conn.h"

typedef struct kcgm {
    mt_conn c;
    const char *group;
    const char *topic;    /* the subscription */
    const char *instance; /* group.instance.id; NULL: dynamic */
    char id[64];
    int32_t epoch;
    kuuid tid;           /* the topic's id: set, or learnt from the first assignment */
    uint32_t assigned;   /* the last assignment the broker sent: a bit a partition */
    bool got;            /* the last answer carried an assignment */
    int32_t interval_ms; /* the heartbeat interval the last answer gave */
} kcgm;

/* What one heartbeat carries. */
typedef struct kcgm_hb {
    int32_t epoch;
    int owned;             /* partitions owned, a bit each; -1: null (unchanged) */
    bool full;             /* the rebalance timeout and the subscription set */
    const char *regex;     /* subscribe by this regex instead of the topic; NULL: null */
    const char *assignor;  /* NULL: null */
    const char *member_id; /* NULL: the member's */
    int32_t rebalance_ms;  /* with full; 0: 30 s */
} kcgm_hb;

/* One ConsumerGroupHeartbeat at version v; its error. On success the
 * member takes its epoch, the heartbeat interval and any assignment (of
 * its topic only) from the answer. */
int16_t kcgm_heartbeat(kcgm *m, int16_t v, const kcgm_hb *o);

#endif
