/* The mock cluster's group registry: consumer groups of both protocols and
 * their committed offsets, shared by the group handlers (handlers_group.c:
 * the classic JoinGroup/SyncGroup/Heartbeat/LeaveGroup protocol,
 * DescribeGroups, ListGroups; handlers_offset_commit.c: OffsetCommit and
 * OffsetFetch; handlers_consumer_group.c: the KIP-848 ConsumerGroupHeartbeat).
 *
 * Groups are cluster-wide state in mc->groups. The broker a group belongs
 * to is mock_coordinator(mc, 0, group_id), the same answer FindCoordinator
 * gives; group requests to any other broker get NOT_COORDINATOR (check with
 * mock_group_coordinator_check). When the coordinator goes down the next
 * live broker takes over the same state, as a new __consumer_offsets
 * leader would load it.
 *
 * Threads: loop thread with mc->lock held, like everything in lib/mock;
 * control functions (kfk_mock_group_*) take the lock and never touch
 * timers or connections.
 *
 * How a KIP-848 handler plugs in (handlers_consumer_group.c):
 *  - mock_group_coordinator_check(req, group_id) first;
 *  - mock_group_get(mc, group_id, MOCK_GROUP_CONSUMER, &err) finds or
 *    creates the group (an empty classic group, one holding offsets only,
 *    converts; a classic group with members gives
 *    GROUP_ID_NOT_FOUND);
 *  - mock_group_member_find / mock_group_member_add (member id chosen by
 *    the client since KIP-1082; mock_group_member_id_new makes one when it
 *    is empty) / mock_group_member_remove;
 *  - a consumer member's fields are the block marked "consumer (KIP-848)"
 *    below: member_epoch (what OffsetCommit/OffsetFetch compare the
 *    request's generation_id_or_member_epoch / member_epoch with),
 *    subscribed_topic_names / subscribed_topic_regex, server_assignor,
 *    rack_id, assigned (the partitions the member owns at member_epoch,
 *    by topic id, each with the epoch it was assigned at: OffsetCommit
 *    accepts a lagging epoch only for these and from that epoch on,
 *    KIP-1251), pending_revocation, state, last_heartbeat_ns;
 *    group-level: group_epoch, assignment_epoch, state (EMPTY, ASSIGNING,
 *    RECONCILING, STABLE);
 *  - session expiry: set m->on_expire and call mock_group_member_touch(mc,
 *    m) on every heartbeat; when session_timeout_ms passes without one the
 *    loop calls m->on_expire(mc, m), which should remove the member
 *    (mock_group_member_remove) and bump the group epoch;
 *  - extra per-member or per-group state: the ext pointers, freed with
 *    ext_free when the member or group goes;
 *  - mock_group_consumer_session_ms / heartbeat_ms: the broker's
 *    group.consumer.session.timeout.ms and heartbeat.interval.ms
 *    (kfk_mock_set_consumer_group_timeouts). */
#ifndef KFK_MOCK_GROUPS_H
#define KFK_MOCK_GROUPS_H

#include "mock/mock.h"
#include "proto/gen/incremental_alter_configs.h"

typedef enum mock_group_type {
    MOCK_GROUP_CLASSIC,  /* JoinGroup/SyncGroup; also simple (offsets only) groups */
    MOCK_GROUP_CONSUMER, /* KIP-848 ConsumerGroupHeartbeat */
    MOCK_GROUP_SHARE,    /* KIP-932 ShareGroupHeartbeat (share.h) */
} mock_group_type;

typedef enum mock_group_state {
    MOCK_GROUP_EMPTY,
    MOCK_GROUP_PREPARING_REBALANCE,  /* classic */
    MOCK_GROUP_COMPLETING_REBALANCE, /* classic */
    MOCK_GROUP_ASSIGNING,            /* consumer */
    MOCK_GROUP_RECONCILING,          /* consumer */
    MOCK_GROUP_STABLE,
    MOCK_GROUP_DEAD,
} mock_group_state;

/* Kafka's name of a state for a group type ("Empty", "PreparingRebalance",
 * ...; DescribeGroups and ListGroups use them). */
const char *mock_group_state_name(mock_group_state s);

/* A KIP-848 member's reconciliation state (ConsumerGroupMember.MemberState). */
typedef enum mock_member_state {
    MOCK_MEMBER_STABLE,
    MOCK_MEMBER_UNREVOKED_PARTITIONS,
    MOCK_MEMBER_UNRELEASED_PARTITIONS,
} mock_member_state;

/* A partition by topic id, as KIP-848 assignments name them. */
typedef struct mock_group_tp {
    kuuid topic_id;
    int32_t partition;
    /* In assigned/pending_revocation: the member epoch it was assigned at
     * (KIP-1251: a commit with an older epoch than the member's is taken
     * for the partition only from this epoch on); 0 when not kept. */
    int32_t assigned_epoch;
} mock_group_tp;

/* A classic member's protocol: name and metadata bytes (owned). */
typedef struct mock_group_protocol {
    char *name;
    uint8_t *metadata;
    size_t metadata_len;
} mock_group_protocol;

/* A request kept unanswered (JoinGroup, SyncGroup): its connection is
 * parked until the answer goes out. A member whose connection closed
 * meanwhile still counts as waiting (waiting, conn NULL), as Kafka
 * completes the request and loses the answer. */
typedef struct mock_group_park {
    bool waiting;
    mock_conn *conn; /* NULL once closed */
    int16_t version;
    int32_t correlation_id;
} mock_group_park;

struct mock_group_member {
    mock_group *group;
    char *member_id;
    char *instance_id; /* group.instance.id (KIP-345); NULL: dynamic member */
    char *client_id;
    char *client_host;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    int64_t last_heartbeat_ns;
    mock_timer session_timer; /* armed by mock_group_member_touch */
    void (*on_expire)(mock_cluster *mc, mock_group_member *m);

    /* classic */
    bool pending;  /* got MEMBER_ID_REQUIRED (KIP-394), has not joined yet */
    bool sync_due; /* has not sent SyncGroup for this generation yet */
    char *protocol_type;
    mock_group_protocol *protocols;
    int32_t n_protocols;
    uint8_t *assignment; /* from the leader's SyncGroup */
    size_t assignment_len;
    mock_group_park join, sync;

    /* consumer (KIP-848) */
    int32_t member_epoch;
    int32_t previous_member_epoch;
    char **subscribed_topic_names;
    int32_t n_subscribed_topic_names;
    char *subscribed_topic_regex; /* NULL: none */
    char *server_assignor;        /* NULL: the broker's default */
    char *rack_id;
    mock_group_tp *assigned; /* owned at member_epoch */
    int32_t n_assigned;
    mock_group_tp *pending_revocation;
    int32_t n_pending_revocation;
    mock_member_state state;

    void *ext; /* the protocol handler's own state */
    void (*ext_free)(void *ext);
};

/* A committed offset. */
typedef struct mock_group_offset {
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch; /* -1: none */
    char *metadata;       /* NULL: null */
    size_t metadata_len;
    int64_t commit_ms;
} mock_group_offset;

struct mock_group {
    char *group_id;
    mock_group_type type;
    mock_group_state state;
    mock_group_member **members;
    size_t n_members, cap_members;

    /* classic */
    int32_t generation_id;
    char *protocol_type;   /* NULL: none yet */
    char *protocol_name;   /* NULL: none selected */
    char *leader_id;       /* member id; NULL: none */
    mock_timer join_timer; /* rebalance timeout of PreparingRebalance */
    mock_timer sync_timer; /* rebalance timeout for the generation's SyncGroups */
    int32_t sync_generation;

    /* consumer (KIP-848) */
    int32_t group_epoch;
    int32_t assignment_epoch;

    mock_group_offset *offsets;
    size_t n_offsets, cap_offsets;

    void *ext;
    void (*ext_free)(void *ext);
};

/* A NUL-terminated copy of s (NULL ptr: ""); NULL when out of memory. */
char *mock_strdup_slice(kslice s);

void mock_groups_init(mock_groups *gs);
void mock_groups_free(mock_cluster *mc);

/* Group configs (group_conf.c): what IncrementalAlterConfigs set on a
 * GROUP resource, kept by group id whether or not the group exists (as
 * Kafka keeps them in its metadata). The mock serves the share group's
 * share.record.lock.duration.ms and share.auto.offset.reset; a group
 * without them gets the cluster's (kfk_mock_set_share_*). */
int32_t mock_group_conf_share_lock_ms(mock_cluster *mc, kslice group_id);
bool mock_group_conf_share_earliest(mock_cluster *mc, kslice group_id);
/* Applies one IncrementalAlterConfigs resource of type GROUP (nothing
 * when validate_only): KFK_OK, or the error and Kafka's message in *msg
 * (from req's arena); a failing resource changes nothing. */
kfk_err mock_group_conf_alter(mock_req *req, kslice group_id,
                              const kp_incremental_alter_configs_request_alterable_config *configs,
                              int32_t n, bool validate_only, kslice *msg);
/* The value in effect of the served group config name (in buf, or
 * static), *set when the group has its own; NULL for another name. */
const char *mock_group_conf_value(mock_cluster *mc, kslice group_id, const char *name, char *buf,
                                  size_t n, bool *set);
void mock_group_confs_free(mock_groups *gs);

/* NOT_COORDINATOR unless req's broker coordinates group_id (0 when it
 * does); INVALID_GROUP_ID for an empty id; COORDINATOR_NOT_AVAILABLE when
 * every broker is down. */
kfk_err mock_group_coordinator_check(mock_req *req, kslice group_id);

mock_group *mock_group_find(mock_cluster *mc, kslice group_id);
/* Finds the group or creates it (Empty, generation/epoch 0) with type. A
 * group of the other type converts while it has no members; with members
 * it gives NULL and *err INCONSISTENT_GROUP_PROTOCOL (classic wanted) or
 * GROUP_ID_NOT_FOUND (consumer wanted). NULL with NO_MEMORY too. */
mock_group *mock_group_get(mock_cluster *mc, kslice group_id, mock_group_type type, kfk_err *err);

/* Removes g from the registry and frees it, members, timers and offsets
 * with it (DeleteGroups; the caller checked it is empty). */
void mock_group_delete(mock_cluster *mc, mock_group *g);

/* A KIP-848 member's target assignment (handlers_consumer_group.c); *n
 * gets its length (0 before the first heartbeat computed one). */
const mock_group_tp *mock_consumer_member_target(const mock_group_member *m, int32_t *n);

/* Forgets g if nothing ever happened in it (no members, offsets or
 * generations): a request that created it failed. */
void mock_group_drop_if_unused(mock_cluster *mc, mock_group *g);

mock_group_member *mock_group_member_find(mock_group *g, kslice member_id);
mock_group_member *mock_group_member_find_instance(mock_group *g, kslice instance_id);
/* Adds a member (all fields zero/NULL, epochs 0) with a copy of
 * member_id. NULL when out of memory. */
mock_group_member *mock_group_member_add(mock_group *g, kslice member_id);
/* Removes and frees m: stops its timer, drops its parked requests
 * unanswered (callers answer them first), frees ext. Not the leader
 * bookkeeping of classic groups: handlers_group.c does that. */
void mock_group_member_remove(mock_cluster *mc, mock_group_member *m);
/* A new member id, "<prefix>-<uuid>" (a bare uuid for an empty prefix),
 * in out (size >= 38 + prefix). */
void mock_group_member_id_new(char *out, size_t out_len, kslice prefix);
/* Records a heartbeat now and re-arms the session timer for
 * session_timeout_ms. Returns 0, or -1 when out of memory. */
int mock_group_member_touch(mock_cluster *mc, mock_group_member *m);

/* The committed offset of (topic, partition), NULL when none. */
mock_group_offset *mock_group_offset_find(mock_group *g, kslice topic, int32_t partition);
/* Forgets committed offset o of g (OffsetDelete). */
void mock_group_offset_remove(mock_group *g, mock_group_offset *o);
/* Stores a commit (metadata NULL ptr: null). KFK_OK or NO_MEMORY. */
kfk_err mock_group_offset_set(mock_group *g, kslice topic, int32_t partition, int64_t offset,
                              int32_t leader_epoch, kslice metadata);

/* Answers a parked request of a group member on connection c (key,
 * version and correlation id as parked) and queues c to resume reading
 * once the loop pass is over. Returns 0, or -1 when encoding failed (c is
 * closed then). */
int mock_group_answer(mock_cluster *mc, mock_group_park *p, int16_t key, const void *resp);
/* Resumes the connections mock_group_answer queued (loop_pass). */
void mock_groups_unpark_all(mock_cluster *mc);
/* Connection c is closing: forget the requests it parked. */
void mock_groups_conn_closed(mock_cluster *mc, mock_conn *c);

#endif
