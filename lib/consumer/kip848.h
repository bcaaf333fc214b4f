/* The KIP-848 protocol's pure parts, apart from its state machine
 * (kip848.c) so that unit tests can drive them without a broker:
 *   - the target assignment as the broker sends it (topic ids and
 *     partitions), resolved to names through a lookup;
 *   - the reconciliation plan: what to revoke first, what to add after;
 *   - which optional heartbeat fields to send: every one when joining or
 *     after a failed heartbeat, else only those that changed (the broker
 *     reads null as "unchanged").
 * Nothing here touches the client or threads. */
#ifndef KFK_CONSUMER_KIP848_H
#define KFK_CONSUMER_KIP848_H

#include <stdbool.h>
#include <stdint.h>

#include "consumer/group.h"
#include "proto/gen/consumer_group_heartbeat.h"

/* Member epochs with a meaning (KIP-848). */
#define K848_JOIN_EPOCH 0
#define K848_LEAVE_EPOCH (-1)
#define K848_LEAVE_STATIC_EPOCH (-2)

/* One topic of a target assignment. */
typedef struct k848_topic {
    kuuid id;
    int32_t *parts;
    int32_t n;
} k848_topic;

/* The assignment the broker wants this member to have (owns its arrays). */
typedef struct k848_target {
    k848_topic *t;
    int32_t n;
} k848_target;

/* Copies a response's assignment into t (replacing what t held).
 * Returns 0 or -1 when out of memory (t is then empty). */
int k848_target_copy(k848_target *t, const kp_consumer_group_heartbeat_response_assignment *a);
void k848_target_free(k848_target *t);
/* Whether a and b assign the same partitions, in whatever order. */
bool k848_target_equal(const k848_target *a, const k848_target *b);

/* A topic id's name, or NULL when the caller's metadata does not know it.
 * The returned string must live until the caller's next call. */
typedef const char *k848_lookup_fn(void *opaque, const kuuid *id);

/* Resolves t into names: out (cleared first) gets every partition whose
 * topic lookup names, sorted by topic then partition. Returns how many
 * topics could not be named (0: all), or -1 when out of memory. */
int k848_resolve(const k848_target *t, k848_lookup_fn *lookup, void *opaque, ktplist *out);

/* The reconciliation plan from owned to target: revoke gets owned minus
 * target, add gets target minus owned (both cleared first). Partitions
 * in both are left alone: KIP-848 only moves what has to move. Returns 0
 * or -1 when out of memory. */
int k848_plan(const ktplist *owned, const ktplist *target, ktplist *revoke, ktplist *add);

/* What the last heartbeat sent of the fields the broker keeps when they
 * are null. */
typedef struct k848_sent {
    bool valid;    /* false: the next heartbeat sends every field */
    char **topics; /* the subscribed names sent, sorted */
    int n_topics;
    char *regex;        /* the regex sent; NULL: none (or cleared) */
    uint64_t owned_ver; /* the version of the owned partitions sent */
} k848_sent;

/* The subscription (and owned partitions) to send now. */
typedef struct k848_sub {
    const ktplist *topics; /* names (partition unused); NULL: none */
    const char *regex;     /* NULL: names */
    uint64_t owned_ver;    /* grows whenever the owned partitions change */
} k848_sub;

/* Which optional fields the next heartbeat carries. */
typedef struct k848_fields {
    bool topics;      /* subscribed_topic_names */
    bool regex;       /* subscribed_topic_regex ("" clears a regex) */
    bool owned;       /* topic_partitions */
    bool join_fields; /* rack, rebalance timeout, assignor */
} k848_fields;

/* Decides the fields: all of them when joining or when s is not valid,
 * else what differs from s. */
k848_fields k848_fields_for(const k848_sent *s, const k848_sub *sub, bool joining);

/* Records that sub's fields f were sent. Returns 0 or -1 when out of
 * memory (s is then invalid, so the next heartbeat sends everything). */
int k848_sent_update(k848_sent *s, const k848_sub *sub, k848_fields f);
void k848_sent_free(k848_sent *s);

/* A KIP-1082 member id: a random UUID in Java's base64url form (22
 * characters and a NUL). */
void k848_member_id(char out[23]);

#endif
