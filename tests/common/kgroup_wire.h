/* A classic consumer-group member driven by raw requests over its own
 * mt_conn to the group coordinator, for the wire-level group suites
 * (against the mock and real Kafka alike): JoinGroup and SyncGroup sent and
 * read separately (an answer may park until other members act), and
 * Heartbeat. What the answers say is kept in the member. */
#ifndef KFK_TESTS_KGROUP_WIRE_H
#define KFK_TESTS_KGROUP_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "mt_conn.h"

#define KGM_MAX_MEMBERS 8

typedef struct kgm {
    mt_conn c;
    const char *group;
    const char *instance; /* group.instance.id; NULL: dynamic */
    char id[256];
    int32_t generation;
    char leader[256];
    bool is_leader;
    bool skip_assignment;
    char protocol[64];
    int32_t n_members; /* in the last JoinGroup answer; the leader's only */
    char member_ids[KGM_MAX_MEMBERS][256];
    char metadata[KGM_MAX_MEMBERS][64];
    char assignment[64]; /* from the last SyncGroup answer */
} kgm;

/* Copies s into dst as a C string, cut to cap - 1 bytes. */
void kgm_copy_slice(char *dst, size_t cap, kslice s);

/* Sends a JoinGroup at version v offering protocols (names,
 * comma-separated, up to KGM_MAX_MEMBERS), the metadata of each
 * "<name>@<tag>" (tag NULL: "md"). */
void kgm_join_send(kgm *m, int16_t v, const char *protocols, const char *tag, int32_t session_ms,
                   int32_t rebalance_ms);

/* Reads the JoinGroup answer and keeps what it says (a member id even
 * with an error); its error. */
int kgm_join_recv(kgm *m, int16_t v);

/* Sends a SyncGroup at version v for protocol, giving assignments[i] to
 * to[i] (a leader's; a follower sends n = 0). */
void kgm_sync_send(kgm *m, int16_t v, const char *protocol, kgm **to, const char **assignments,
                   int n);

/* Reads the SyncGroup answer and keeps the assignment; its error. A
 * successful answer must name want_protocol, unless that is NULL. */
int kgm_sync_recv(kgm *m, int16_t v, const char *want_protocol);

/* A Heartbeat at version v over c as member id of group in generation
 * gen; its error. */
int kgm_heartbeat_as(mt_conn *c, int16_t v, const char *group, int32_t gen, const char *id,
                     const char *instance);

/* m's own Heartbeat. */
int kgm_heartbeat(kgm *m, int16_t v);

/* Heartbeats (20 ms apart) until the answer is want, for up to
 * timeout_ms; whether it came. A rebalance another connection started
 * shows within a while on a broker that serves connections concurrently. */
bool kgm_heartbeat_until(kgm *m, int16_t v, int want, int timeout_ms);

#endif
