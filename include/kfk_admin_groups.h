/* kfk's admin client: consumer, share and streams groups: listing, describing, deleting, their
 * committed offsets and lag.
 *
 * Include <kfk.h>, which includes this file through kfk_admin.h; it is a
 * file of its own only so that each header stays readable. Everything
 * said at the top of kfk.h and kfk_admin.h holds here too. */
#ifndef KFK_ADMIN_GROUPS_H
#define KFK_ADMIN_GROUPS_H

#include "kfk_admin.h" /* its types; kfk_admin.h includes this file at its end */

#ifdef __cplusplus
extern "C" {
#endif

/* --- consumer groups ------------------------------------------------------------ */
/* A group's type (ListGroups v5+, KIP-848): which protocol its members
 * speak. Kafka names them by string; kfk_group_type_name gives that name
 * ("classic", "consumer", "share", "streams"; "unknown"). */
typedef enum kfk_group_type {
    KFK_GROUP_TYPE_UNKNOWN = 0, /* a type this library does not know, or none sent */
    KFK_GROUP_TYPE_CLASSIC,     /* JoinGroup/SyncGroup (and groups holding offsets only) */
    KFK_GROUP_TYPE_CONSUMER,    /* KIP-848 ConsumerGroupHeartbeat */
    KFK_GROUP_TYPE_SHARE,       /* KIP-932 share groups */
    KFK_GROUP_TYPE_STREAMS,     /* KIP-1071 streams groups */
} kfk_group_type;

/* A group's state, as the coordinator names it (kfk_group_state_name:
 * "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead",
 * "Assigning", "Reconciling", "NotReady"; "Unknown"). Classic groups are
 * Empty, PreparingRebalance, CompletingRebalance, Stable or Dead; KIP-848
 * groups Empty, Assigning, Reconciling, Stable or Dead. */
typedef enum kfk_group_state {
    KFK_GROUP_STATE_UNKNOWN = 0,
    KFK_GROUP_STATE_PREPARING_REBALANCE,
    KFK_GROUP_STATE_COMPLETING_REBALANCE,
    KFK_GROUP_STATE_STABLE,
    KFK_GROUP_STATE_DEAD,
    KFK_GROUP_STATE_EMPTY,
    KFK_GROUP_STATE_ASSIGNING,
    KFK_GROUP_STATE_RECONCILING,
    KFK_GROUP_STATE_NOT_READY,
} kfk_group_state;

/* The names Kafka uses; "unknown" / "Unknown" for a value out of range.
 * Static strings; any thread. */
KFK_API const char *kfk_group_type_name(kfk_group_type type);
KFK_API const char *kfk_group_state_name(kfk_group_state state);

/* Which groups kfk_admin_list_groups lists: those in one of the n_states
 * states AND of one of the n_types types; an empty array (n 0) takes
 * every state or type. The arrays stay the caller's. Initialize it so
 * unset words are zero (kfk_group_filter f = {.types = t, .n_types = 1});
 * reserved must be zero. */
typedef struct kfk_group_filter {
    const kfk_group_state *states;
    size_t n_states;
    const kfk_group_type *types;
    size_t n_types;
    void *reserved[4]; /* zero */
} kfk_group_filter;

/* Lists the groups of the cluster (ListGroups, API key 16, v0-v5): one
 * request to every broker, all at once (each broker lists the groups it
 * coordinates), answers merged. filter may be NULL for every group. A
 * state filter needs v4+ (Kafka 2.6), a type filter v5+ (Kafka 3.8 /
 * 4.0): a broker that cannot filter fails with
 * KFK_ERR_UNSUPPORTED_VERSION rather than list too much. No flags.
 *
 * *result has one entry per group (name: the group id; error KFK_OK) in
 * no set order, read with kfk_admin_result_group_type, _state,
 * _protocol_type and _coordinator; then one entry per broker that failed
 * (name NULL, the broker's error, kfk_admin_result_group_coordinator: its
 * id). Returns KFK_OK when every broker answered, else the first failed
 * broker's error with *result still listing what the others answered
 * (kfk_admin_last_error names the broker); KFK_ERR_INVALID_ARG,
 * KFK_ERR_NO_MEMORY, KFK_ERR_DESTROYED or a failure to learn the brokers
 * leave *result NULL. Blocks for at most the call's timeout. Any
 * application thread. */
KFK_API kfk_err kfk_admin_list_groups(kfk_admin *admin, const kfk_group_filter *filter,
                                      const kfk_admin_options *options, kfk_admin_result **result);

/* Describes the n groups of group_ids (strings stay the caller's), each
 * asked of its coordinator: ConsumerGroupDescribe (API key 69, v0-v1)
 * first, then DescribeGroups (API key 15, v0-v6) for a group that turns
 * out to be classic (GROUP_ID_NOT_FOUND from ConsumerGroupDescribe) or a
 * broker without KIP-848, as the Java admin client does. Flags:
 * KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS. A group that does not exist
 * fails alone with KFK_ERR_GROUP_ID_NOT_FOUND (also from brokers before
 * DescribeGroups v6, which call it Dead). Read the entries with
 * kfk_admin_result_group_* below. One request per group, all at once.
 * Returns as described in the admin client's preface; blocks for at most
 * the call's timeout. Any application thread. */
KFK_API kfk_err kfk_admin_describe_groups(kfk_admin *admin, const char *const *group_ids, size_t n,
                                          const kfk_admin_options *options,
                                          kfk_admin_result **result);

/* Deletes the n groups of group_ids (DeleteGroups, API key 42, v0-v2, to
 * each group's coordinator), with their committed offsets. Per group:
 * KFK_OK, KFK_ERR_NON_EMPTY_GROUP while it has members,
 * KFK_ERR_GROUP_ID_NOT_FOUND when there is no such group, or another
 * broker error. No flags. One request per group, all at once. Returns as
 * described in the admin client's preface; blocks for at most the call's
 * timeout. Any application thread. */
KFK_API kfk_err kfk_admin_delete_groups(kfk_admin *admin, const char *const *group_ids, size_t n,
                                        const kfk_admin_options *options,
                                        kfk_admin_result **result);

/* Describes the n share groups (KIP-932) of group_ids (strings stay the
 * caller's) with ShareGroupDescribe (API key 77, v1; Kafka 4.1+), each
 * asked of its coordinator, one request per group, all at once. Flags:
 * KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS. A group that does not exist,
 * or is not a share group, fails alone with KFK_ERR_GROUP_ID_NOT_FOUND; a
 * broker that serves no share groups (share.version not finalized, or
 * before Kafka 4.1) gives KFK_ERR_UNSUPPORTED_VERSION. The entries are
 * read with the kfk_admin_result_group_* accessors below as (D) entries:
 * type SHARE, protocol type "share", protocol the assignor ("simple"),
 * the group and assignment epochs, and per member its id, client id,
 * host, epoch and assignment (no instance id, no target assignment).
 * Returns as described in the admin client's preface; blocks for at most
 * the call's timeout. Any application thread. Java:
 * Admin.describeShareGroups; librdkafka: none. */
KFK_API kfk_err kfk_admin_describe_share_groups(kfk_admin *admin, const char *const *group_ids,
                                                size_t n, const kfk_admin_options *options,
                                                kfk_admin_result **result);

/* Reading the entries of kfk_admin_list_groups (L) and
 * kfk_admin_describe_groups (D) results. Another result, or an index out
 * of range, gives UNKNOWN, NULL or -1. Strings and lists are valid until
 * the result is destroyed. */
/* L, D: the group's type; D says CLASSIC or CONSUMER (SHARE for
 * kfk_admin_describe_share_groups, STREAMS for
 * kfk_admin_describe_streams_groups). */
KFK_API kfk_group_type kfk_admin_result_group_type(const kfk_admin_result *result, size_t i);
/* L, D: its state. */
KFK_API kfk_group_state kfk_admin_result_group_state(const kfk_admin_result *result, size_t i);
/* L, D: its protocol type ("consumer", "connect", "" for a group that
 * holds offsets only...). */
KFK_API const char *kfk_admin_result_group_protocol_type(const kfk_admin_result *result, size_t i);
/* L: the broker that listed it (or that failed); D: the coordinator that
 * described it. -1: unknown. */
KFK_API int32_t kfk_admin_result_group_coordinator(const kfk_admin_result *result, size_t i);
/* D: the classic group's protocol (its assignor, "range"...) while
 * Stable, else ""; a KIP-848 group's server-side assignor ("uniform"). */
KFK_API const char *kfk_admin_result_group_protocol(const kfk_admin_result *result, size_t i);
/* D: a KIP-848 group's epoch and assignment epoch; -1 for classic groups. */
KFK_API int32_t kfk_admin_result_group_epoch(const kfk_admin_result *result, size_t i);
KFK_API int32_t kfk_admin_result_group_assignment_epoch(const kfk_admin_result *result, size_t i);
/* D: with KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS, what the caller may do
 * with the group: bit n set for ACL operation code n (3 READ, 6 DELETE,
 * 8 DESCRIBE); -1 when not asked for or not sent. */
KFK_API int64_t kfk_admin_result_group_authorized_operations(const kfk_admin_result *result,
                                                             size_t i);
/* D: the group's members, m from 0 to the count - 1. */
KFK_API size_t kfk_admin_result_group_member_count(const kfk_admin_result *result, size_t i);
KFK_API const char *kfk_admin_result_group_member_id(const kfk_admin_result *result, size_t i,
                                                     size_t m);
/* NULL: a dynamic member (no group.instance.id). */
KFK_API const char *kfk_admin_result_group_member_instance_id(const kfk_admin_result *result,
                                                              size_t i, size_t m);
KFK_API const char *kfk_admin_result_group_member_client_id(const kfk_admin_result *result,
                                                            size_t i, size_t m);
KFK_API const char *kfk_admin_result_group_member_host(const kfk_admin_result *result, size_t i,
                                                       size_t m);
/* The partitions the member owns (offsets KFK_OFFSET_INVALID), owned by
 * the result. For a classic group they are decoded from its assignment
 * when the protocol type is "consumer" (else, and before the group is
 * Stable, empty). */
KFK_API const kfk_partition_list *
kfk_admin_result_group_member_assignment(const kfk_admin_result *result, size_t i, size_t m);
/* KIP-848: the partitions the group means the member to own once it
 * caught up; NULL for classic groups. */
KFK_API const kfk_partition_list *
kfk_admin_result_group_member_target_assignment(const kfk_admin_result *result, size_t i, size_t m);
/* KIP-848: the member's epoch; -1 for classic groups. */
KFK_API int32_t kfk_admin_result_group_member_epoch(const kfk_admin_result *result, size_t i,
                                                    size_t m);

/* --- streams groups (KIP-1071) --- */

/* Describes the n streams groups of group_ids (strings stay the caller's)
 * with StreamsGroupDescribe (API key 89, v0; Kafka 4.1+, where the broker
 * serves streams groups: group.coordinator.rebalance.protocols holding
 * "streams" and streams.version finalized, Kafka 4.2's defaults), each
 * asked of its group coordinator, one request per group, all at once.
 * Flags: KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS. A group that does not
 * exist, or is not a streams group, fails alone with
 * KFK_ERR_GROUP_ID_NOT_FOUND; a broker without the API gives
 * KFK_ERR_UNSUPPORTED_VERSION. The kfk_admin_result_group_* accessors
 * read each entry as a (D) entry: type STREAMS, protocol type "streams",
 * protocol "", state (NotReady while source topics are missing), the
 * group and assignment epochs, authorized operations, and per member its
 * id, instance id, client id, host and epoch (no partition assignment:
 * streams members own tasks). The topology and the members' streams
 * fields are read with kfk_admin_result_streams_group_* below. Returns as
 * described in the admin client's preface; blocks for at most the call's
 * timeout. Any application thread. Java: Admin.describeStreamsGroups;
 * librdkafka: none. */
KFK_API kfk_err kfk_admin_describe_streams_groups(kfk_admin *admin, const char *const *group_ids,
                                                  size_t n, const kfk_admin_options *options,
                                                  kfk_admin_result **result);

/* An internal topic of a subtopology (a changelog or a repartition
 * source), as the group's topology declares it. Owned by the result;
 * later versions may add members at the end only. */
typedef struct kfk_streams_topic_info {
    const char *name;
    int32_t partitions;         /* 0: as many as the source topics */
    int16_t replication_factor; /* 0: the broker's default */
    /* The topic configs the topology asks for: names and values, n_configs each. */
    const char *const *config_names;
    const char *const *config_values;
    size_t n_configs;
} kfk_streams_topic_info;

/* A subtopology of a streams group's topology: the topics it reads and the
 * repartition topics it writes. Its internal topics are read with
 * kfk_streams_subtopology_changelog_topic and _repartition_source_topic.
 * Owned by the result; later versions may add members at the end only. */
typedef struct kfk_streams_subtopology {
    const char *id;
    const char *const *source_topics; /* n_source_topics names */
    size_t n_source_topics;
    const char *const *repartition_sink_topics;
    size_t n_repartition_sink_topics;
    size_t n_state_changelog_topics;
    size_t n_repartition_source_topics;
} kfk_streams_subtopology;

/* The tasks a member holds or is to hold. */
typedef enum kfk_streams_task_type {
    KFK_STREAMS_TASK_ACTIVE = 0,
    KFK_STREAMS_TASK_STANDBY = 1,
    KFK_STREAMS_TASK_WARMUP = 2,
} kfk_streams_task_type;

/* A member of a streams group. Its tasks are read with
 * kfk_streams_member_task*. Owned by the result; later versions may add
 * members at the end only. */
typedef struct kfk_streams_member {
    const char *member_id;
    const char *instance_id; /* NULL: none */
    const char *rack_id;     /* NULL: none */
    const char *client_id;
    const char *client_host;
    int32_t member_epoch;
    int32_t topology_epoch;    /* of the topology it runs */
    const char *process_id;    /* the Streams instance it belongs to */
    const char *endpoint_host; /* application.server; NULL: none */
    uint16_t endpoint_port;
    const char *const *client_tag_keys; /* n_client_tags each */
    const char *const *client_tag_values;
    size_t n_client_tags;
    bool is_classic; /* a classic member of a group being upgraded */
} kfk_streams_member;

/* The accessors of kfk_admin_describe_streams_groups results. Another
 * kind of result, an index out of range or a NULL pointer gives -1, 0 or
 * NULL. Everything returned is valid until the result is destroyed. */
/* Entry i's topology epoch; -1 when the group has no topology yet. */
KFK_API int32_t kfk_admin_result_streams_group_topology_epoch(const kfk_admin_result *result,
                                                              size_t i);
/* Entry i's subtopologies, s from 0 to the count - 1. */
KFK_API size_t kfk_admin_result_streams_group_subtopology_count(const kfk_admin_result *result,
                                                                size_t i);
KFK_API const kfk_streams_subtopology *
kfk_admin_result_streams_group_subtopology(const kfk_admin_result *result, size_t i, size_t s);
/* Subtopology s's changelog topics (j below s->n_state_changelog_topics)
 * and repartition source topics (j below s->n_repartition_source_topics). */
KFK_API const kfk_streams_topic_info *
kfk_streams_subtopology_changelog_topic(const kfk_streams_subtopology *s, size_t j);
KFK_API const kfk_streams_topic_info *
kfk_streams_subtopology_repartition_source_topic(const kfk_streams_subtopology *s, size_t j);
/* Member m of entry i (m below kfk_admin_result_group_member_count). */
KFK_API const kfk_streams_member *
kfk_admin_result_streams_group_member(const kfk_admin_result *result, size_t i, size_t m);
/* The tasks of type the member holds (target false: its assignment) or is
 * to hold (true: its target assignment): their count, and task set j's
 * subtopology id with its *n partitions in *partitions (either may be
 * NULL). */
KFK_API size_t kfk_streams_member_task_count(const kfk_streams_member *m, bool target,
                                             kfk_streams_task_type type);
KFK_API const char *kfk_streams_member_task(const kfk_streams_member *m, bool target,
                                            kfk_streams_task_type type, size_t j,
                                            const int32_t **partitions, size_t *n);
/* The offsets the member reported for its tasks (end false: the task
 * offsets; true: the end offsets of its changelogs): their count, and
 * entry j's offset (-1 out of range) with its subtopology id and
 * partition (either may be NULL). */
KFK_API size_t kfk_streams_member_task_offset_count(const kfk_streams_member *m, bool end);
KFK_API int64_t kfk_streams_member_task_offset(const kfk_streams_member *m, bool end, size_t j,
                                               const char **subtopology, int32_t *partition);
/* A group's committed offsets (OffsetFetch, API key 9, v1-v7, to the
 * group's coordinator): for the partitions of parts (the list stays the
 * caller's), or for every partition the group committed when parts is
 * NULL. Flags: KFK_ADMIN_REQUIRE_STABLE (KIP-447: wait while a
 * transaction that commits offsets for the group is open; v7+, Kafka 2.5).
 * *out gets a new list (the caller frees it with
 * kfk_partition_list_destroy): parts' entries in their order, or every
 * committed partition sorted by topic and partition, each with its
 * committed offset (KFK_OFFSET_INVALID: none), leader epoch (-1: none),
 * metadata and error. Returns KFK_OK when every entry has its answer,
 * else the first entry's error (the list is there); a group-level error
 * (GROUP_AUTHORIZATION_FAILED...), KFK_ERR_INVALID_ARG, _NO_MEMORY,
 * _TIMED_OUT, _DESTROYED leave *out NULL. Blocks for at most the call's
 * timeout. Any application thread. */
KFK_API kfk_err kfk_admin_list_group_offsets(kfk_admin *admin, const char *group_id,
                                             const kfk_partition_list *parts,
                                             const kfk_admin_options *options,
                                             kfk_partition_list **out);

/* Sets the group's committed offsets to those of offsets (each entry's
 * offset >= 0, its leader epoch and metadata), with OffsetCommit (API key
 * 8, v2-v9) as no member of no generation, as Java's
 * alterConsumerGroupOffsets does: the coordinator takes it only while the
 * group has no members (else every entry fails, UNKNOWN_MEMBER_ID for an
 * active classic group, STALE_MEMBER_EPOCH / UNKNOWN_MEMBER_ID for a
 * KIP-848 one). Each entry's error is filled in place. No flags. Returns
 * KFK_OK or the first failed entry's error; KFK_ERR_INVALID_ARG for a
 * NULL or empty group_id, a NULL list, an entry without an offset or a
 * partition named twice. Blocks for at most the call's timeout. Any
 * application thread. */
KFK_API kfk_err kfk_admin_alter_group_offsets(kfk_admin *admin, const char *group_id,
                                              kfk_partition_list *offsets,
                                              const kfk_admin_options *options);

/* Deletes the group's committed offsets of the partitions of parts
 * (OffsetDelete, API key 47, v0). Per entry, in place: KFK_OK (also when
 * nothing was committed), KFK_ERR_GROUP_SUBSCRIBED_TO_TOPIC while a member
 * consumes the topic, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION; a group-level
 * error (KFK_ERR_GROUP_ID_NOT_FOUND...) goes to every entry. No flags.
 * Returns as kfk_admin_alter_group_offsets. */
KFK_API kfk_err kfk_admin_delete_group_offsets(kfk_admin *admin, const char *group_id,
                                               kfk_partition_list *parts,
                                               const kfk_admin_options *options);
/* A group's lag per partition, as kafka-consumer-groups --describe shows
 * it: the committed offsets of every partition the group committed
 * (OffsetFetch, as kfk_admin_list_group_offsets) and each one's end
 * offset (ListOffsets, API key 2, v1+, latest, one request per partition
 * to its leader). Flags: KFK_ADMIN_READ_COMMITTED (the end is the last
 * stable offset, not the high watermark; Java's tool uses the high
 * watermark, the default here), KFK_ADMIN_REQUIRE_STABLE (as for
 * kfk_admin_list_group_offsets). *out gets a new list (the caller frees
 * it) sorted by topic and partition: offset = committed,
 * kfk_partition_list_end_offset = the end, kfk_partition_list_lag = end -
 * committed (0 when the committed offset is past the end; -1 with the
 * entry's error when its end could not be had). Returns KFK_OK, the
 * first failed entry's error (the list is there), or with *out NULL as
 * kfk_admin_list_group_offsets. Blocks for at most the call's timeout.
 * Any application thread. */
KFK_API kfk_err kfk_admin_group_lag(kfk_admin *admin, const char *group_id,
                                    const kfk_admin_options *options, kfk_partition_list **out);
/* A share group's (KIP-932) start offsets (DescribeShareGroupOffsets, API
 * key 90, v0-v1, to the group's coordinator): where the group's share
 * consumers resume each partition. For the partitions of parts (the list
 * stays the caller's), or for every partition the group has a start
 * offset for when parts is NULL. No flags. *out gets a new list (the
 * caller frees it with kfk_partition_list_destroy): parts' entries in
 * their order, or every partition sorted by topic and partition, each
 * with its start offset (KFK_OFFSET_INVALID: none), leader epoch (-1:
 * none), error, and from v1 (Kafka 4.2+) its lag
 * (kfk_partition_list_lag: the records not yet consumed; -1 when the
 * broker sent none; kfk_partition_list_end_offset stays -1). Returns
 * KFK_OK when every entry has its answer, else the first entry's error
 * (the list is there); a group that does not exist gives an empty list
 * (Kafka's answer). A group-level error (..._AUTHORIZATION_FAILED,
 * KFK_ERR_UNSUPPORTED_VERSION from a broker
 * without share groups), KFK_ERR_INVALID_ARG, _NO_MEMORY, _TIMED_OUT,
 * _DESTROYED leave *out NULL. Blocks for at most the call's timeout. Any
 * application thread. Java: Admin.listShareGroupOffsets; librdkafka:
 * none. */
KFK_API kfk_err kfk_admin_list_share_group_offsets(kfk_admin *admin, const char *group_id,
                                                   const kfk_partition_list *parts,
                                                   const kfk_admin_options *options,
                                                   kfk_partition_list **out);

/* Sets a share group's start offsets to those of offsets (each entry's
 * offset >= 0) with AlterShareGroupOffsets (API key 91, v0, to the
 * group's coordinator); the coordinator takes them only while the group
 * has no members. Each entry's error is filled in place; a group-level
 * error (KFK_ERR_NON_EMPTY_GROUP while members are in, ...) goes to every
 * entry. No flags. Returns KFK_OK or the first failed entry's error;
 * KFK_ERR_INVALID_ARG for a NULL or empty group_id, a NULL list, an entry
 * without an offset or a partition named twice. Blocks for at most the
 * call's timeout. Any application thread. Java:
 * Admin.alterShareGroupOffsets; librdkafka: none. */
KFK_API kfk_err kfk_admin_alter_share_group_offsets(kfk_admin *admin, const char *group_id,
                                                    kfk_partition_list *offsets,
                                                    const kfk_admin_options *options);

/* Deletes a share group's start offsets of the n topics (whole topics:
 * the share-group state has no per-partition delete) with
 * DeleteShareGroupOffsets (API key 92, v0, to the group's coordinator);
 * the group must have no members. *result has one entry per topic (name:
 * the topic; its error; no detail): KFK_OK, or the topic's error
 * (KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION...); a group-level error
 * (KFK_ERR_NON_EMPTY_GROUP, KFK_ERR_GROUP_ID_NOT_FOUND...) goes to every
 * entry. No flags. Returns as described in the admin client's preface;
 * KFK_ERR_INVALID_ARG for a NULL or empty group_id, no topics, or a topic
 * NULL, empty or named twice. Blocks for at most the call's timeout. Any
 * application thread. Java: Admin.deleteShareGroupOffsets; librdkafka:
 * none. */
KFK_API kfk_err kfk_admin_delete_share_group_offsets(kfk_admin *admin, const char *group_id,
                                                     const char *const *topics, size_t n,
                                                     const kfk_admin_options *options,
                                                     kfk_admin_result **result);
/* --- end of consumer groups ------------------------------------------------------ */

#ifdef __cplusplus
}
#endif
#endif
