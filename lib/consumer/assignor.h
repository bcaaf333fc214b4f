/* Partition assignors of the classic group protocol (protocol type
 * "consumer"): the group leader runs one over every member's subscription
 * and sends each member its share in SyncGroup.
 *
 * The four of Java's client, with Java's protocol names so a group mixing
 * kfk, Java and kafka-python members agrees on one: "range",
 * "roundrobin", "sticky" (eager) and "cooperative-sticky" (KIP-429).
 * Range and roundrobin give exactly Java's assignments, range also with
 * racks (members' rack_id, partitions' replica racks); the sticky pair
 * give assignments with the properties Java's promise (each subscribed
 * partition to exactly one subscriber, balanced, sticky, and, for
 * cooperative-sticky, no partition handed to a new owner in the round its
 * old owner gives it up; partitions placed anew prefer members in a rack
 * with a replica), not necessarily Java's exact choice.
 *
 * Use by the group coordinator:
 *   JoinGroup:  kc_assignor_metadata(assignor, &state, &buf) for each
 *               assignor in partition.assignment.strategy, in order.
 *   Leader:     kc_leader_topics() says which topics' metadata it needs;
 *               kc_leader_assign() over JoinGroup's member list gives the
 *               SyncGroup assignment bytes (or, by hand: decode each
 *               member's metadata with kc_subscription_decode into a
 *               kc_member, assignor->assign(), kc_assignment_encode).
 *   Member:     kc_assignment_decode on SyncGroup's assignment, then
 *               kc_assignment_diff against what it owns: revoke, add.
 * Everything is deterministic: the same input gives the same output.
 * Any thread; nothing blocks; no global state. */
#ifndef KFK_CONSUMER_ASSIGNOR_H
#define KFK_CONSUMER_ASSIGNOR_H

#include "consumer/protocol.h"

typedef enum kc_rebalance_protocol {
    KC_REBALANCE_EAGER,       /* members give up everything before joining */
    KC_REBALANCE_COOPERATIVE, /* KIP-429: members keep what they keep */
} kc_rebalance_protocol;

/* One member as the leader sees it: JoinGroup's member id and group
 * instance id (ptr NULL for a dynamic member) and its decoded metadata. */
typedef struct kc_member {
    kslice member_id;
    kslice group_instance_id;
    kp_consumer_protocol_subscription sub;
} kc_member;

/* A topic's partition count from the leader's metadata. Subscribed topics
 * missing here (or with no partitions) are left unassigned, as Java does;
 * a topic listed twice counts with its larger count. */
typedef struct kc_topic {
    kslice name;
    int32_t partitions;
    /* Optional, for rack-aware range (KIP-881): replica_racks[p] lists the
     * racks of partition p's replicas (repeats allowed); NULL: unknown. */
    const struct kc_replica_racks *replica_racks;
} kc_topic;

typedef struct kc_replica_racks {
    const kslice *racks;
    int32_t n;
} kc_replica_racks;

/* What a member says about itself when joining. `owned`: partitions it
 * holds now (empty after an eager revocation); `previous`: its last
 * assignment, held or not (the "sticky" assignor's user data carries it);
 * `generation`: of that assignment, -1 if none; rack_id.ptr NULL: none. */
typedef struct kc_member_state {
    const kslice *topics;
    int32_t n_topics;
    const kp_consumer_protocol_subscription_topic_partition *owned;
    int32_t n_owned;
    const kp_consumer_protocol_subscription_topic_partition *previous;
    int32_t n_previous;
    int32_t generation;
    kslice rack_id;
} kc_member_state;

typedef struct kc_assignor kc_assignor;
struct kc_assignor {
    const char *name; /* the JoinGroup protocol name */
    kc_rebalance_protocol rebalance;
    /* Appends this member's subscription user data to out; NULL when the
     * assignor sends none. Returns 0 or KFK_ERR_NO_MEMORY. */
    int (*user_data)(const kc_member_state *st, kbuf *out);
    /* Fills out[0..n_members): out[i] is members[i]'s assignment, topics
     * in name order, partitions ascending, arrays from a (the caller frees
     * a; out[i] also points at topic names in members and topics). Returns
     * 0, KFK_ERR_NO_MEMORY or KFK_ERR_INVALID_ARG (two members with one
     * id, or over 2^30 partitions); out is unspecified on error. */
    int (*assign)(const kc_member *members, int32_t n_members, const kc_topic *topics,
                  int32_t n_topics, kp_consumer_protocol_assignment *out, karena *a);
};

/* A member as JoinGroup's response lists it to the leader. */
typedef struct kc_join_member {
    kslice member_id;
    kslice group_instance_id; /* ptr NULL: dynamic member */
    kslice metadata;          /* the framed subscription it sent */
} kc_join_member;

/* The leader's whole step: decodes every member's metadata, runs as over
 * them and the topics, and appends each member's framed assignment to
 * out[i] (the caller's kbufs, which it frees). Each assignment is written
 * at the member's subscription version (at most KC_ASSIGNMENT_VERSION): the
 * layouts are the same, and an old member then sees a version it knows.
 * A member whose metadata does not decode subscribes to nothing and gets
 * an empty assignment rather than failing the group (Java's leader would
 * fail the rebalance). Returns 0, KFK_ERR_NO_MEMORY or KFK_ERR_INVALID_ARG;
 * on error the out[i] contents are unspecified. */
int kc_leader_assign(const kc_assignor *as, const kc_join_member *members, int32_t n_members,
                     const kc_topic *topics, int32_t n_topics, kbuf *out);

/* The topics any member subscribes to, sorted and distinct, into *topics
 * (from a; the names point into the members' metadata): what the leader
 * needs partition counts for before kc_leader_assign. Metadata that does
 * not decode adds nothing. Returns 0, KFK_ERR_NO_MEMORY or
 * KFK_ERR_INVALID_ARG. */
int kc_leader_topics(const kc_join_member *members, int32_t n_members, karena *a, kslice **topics,
                     int32_t *n_topics);

/* What changes for a member when its assignment arrives: revoked is what
 * it owned and is not assigned now, added what is assigned and it did not
 * own; each grouped by topic, topics and partitions ascending. */
typedef struct kc_assignment_change {
    kp_consumer_protocol_subscription_topic_partition *revoked;
    int32_t n_revoked;
    kp_consumer_protocol_subscription_topic_partition *added;
    int32_t n_added;
} kc_assignment_change;

/* Fills *out (arrays from a; topic names point into assigned and owned).
 * Under the cooperative protocol a member that revoked anything rejoins
 * at once, so what it gave up can move on (KIP-429). Returns 0 or
 * KFK_ERR_NO_MEMORY. */
int kc_assignment_diff(const kp_consumer_protocol_assignment *assigned,
                       const kp_consumer_protocol_subscription_topic_partition *owned,
                       int32_t n_owned, karena *a, kc_assignment_change *out);

extern const kc_assignor kc_assignor_range;
extern const kc_assignor kc_assignor_roundrobin;
extern const kc_assignor kc_assignor_sticky;
extern const kc_assignor kc_assignor_cooperative_sticky;

/* The assignor with this protocol name; NULL when there is none. */
const kc_assignor *kc_assignor_find(const char *name);

/* The assignor for a partition.assignment.strategy value of the config
 * store (KCONF_ASSIGNOR_*, which also covers Java's class names); NULL for
 * any other value. */
const kc_assignor *kc_assignor_for_conf(int value);

/* Appends the framed subscription (KC_SUBSCRIPTION_VERSION) for this member
 * under this assignor: JoinGroup's protocol metadata. Canonical, as Java
 * writes it: topics sorted, owned (and previous) partitions grouped by
 * sorted topic, ascending, without repeats; so the same state gives the
 * same bytes in any order. Returns 0, KFK_ERR_NO_MEMORY or
 * KFK_ERR_INVALID_ARG; out unchanged on error. */
int kc_assignor_metadata(const kc_assignor *as, const kc_member_state *st, kbuf *out);

#endif
