/* kfk's admin client: the part of the public API that manages a
 * cluster (topics, configs, offsets and records, groups, ACLs, users,
 * quotas, transactions, features and the metadata quorum). The calls on
 * groups are in kfk_admin_groups.h, those on ACLs, SCRAM credentials,
 * delegation tokens and quotas in kfk_admin_security.h; this file
 * includes both.
 *
 * Include <kfk.h>, which includes this file; it is a file of its own only
 * so that each header stays readable. Everything said at the top of
 * kfk.h (ownership, blocking, threads, fork, memory) holds here too. */
#ifndef KFK_ADMIN_H
#define KFK_ADMIN_H

#include "kfk.h" /* its types; kfk.h includes this file at its end */

#ifdef __cplusplus
extern "C" {
#endif

/* --- admin client ------------------------------------------------------------ */
/* A kfk_admin manages the cluster: topics, configs, groups, offsets and
 * the rest of what Kafka's Admin API serves. Every call is synchronous: it
 * blocks the calling thread until the brokers answered or the call's
 * timeout passed, retrying on its own what may succeed when tried again
 * (a lost connection, a controller or coordinator that moved, a throttled
 * request) until then. Calls may run on many threads at once on one
 * kfk_admin.
 *
 * Every call has the same shape:
 *
 *     kfk_err kfk_admin_<operation>(kfk_admin *admin, <what to act on>,
 *                                   const kfk_admin_options *options,
 *                                   <where the answer goes>);
 *
 * options may be NULL for the defaults (see kfk_admin_options below).
 *
 * Answers come in one of two shapes:
 *   - Calls on partitions take a kfk_partition_list and fill each entry's
 *     offset, leader epoch, timestamp and error in place; calls that find
 *     partitions (a group's committed offsets) return a new list.
 *   - Calls on named things (topics, config resources, groups, ACL
 *     filters, users) return a kfk_admin_result with one entry per item,
 *     in the order given (or as found, for calls that list): the item's
 *     name, its kfk_err (a broker's code such as
 *     KFK_ERR_TOPIC_ALREADY_EXISTS, or KFK_ERR_TIMED_OUT when no answer
 *     came in time) and the broker's message, if it sent one; what else
 *     an operation reports per item is read with the accessors its comment
 *     names, by entry index.
 * Either way one item's failure does not stop the others. Such a call
 * returns KFK_OK when every item succeeded, else the error of the first
 * item that failed, and the answer is there either way, except when the
 * return is KFK_ERR_INVALID_ARG, KFK_ERR_NO_MEMORY, KFK_ERR_DESTROYED or
 * a failure of the whole request (an *out is then NULL). The caller owns
 * a returned kfk_admin_result and frees it with kfk_admin_result_destroy();
 * kfk_admin_last_error names the first item that failed and the broker's
 * message about it. */
typedef struct kfk_admin kfk_admin;
typedef struct kfk_admin_result kfk_admin_result;
typedef struct kfk_new_topic kfk_new_topic;
typedef struct kfk_new_partitions kfk_new_partitions;
typedef struct kfk_metadata kfk_metadata;
typedef struct kfk_partition_list kfk_partition_list;

/* Flags of kfk_admin_options.flags. An operation that has no use for a
 * flag refuses it (KFK_ERR_INVALID_ARG, and kfk_admin_last_error names
 * the flag), so that no setting is silently ignored. */
#define KFK_ADMIN_VALIDATE_ONLY 0x1u                 /* check the request, change nothing */
#define KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS 0x2u /* describe: the caller's ACL rights */
#define KFK_ADMIN_INCLUDE_SYNONYMS 0x4u      /* describe configs: where each value comes from */
#define KFK_ADMIN_INCLUDE_DOCUMENTATION 0x8u /* describe configs: each config's documentation */
#define KFK_ADMIN_READ_COMMITTED 0x10u       /* list offsets: the last stable offset, not the end */
#define KFK_ADMIN_REQUIRE_STABLE 0x20u /* group offsets: wait for pending transactional commits */

/* How an admin call runs; NULL means all defaults. Initialize it so the
 * words left unset are zero (kfk_admin_options o = {.timeout_ms = 5000}):
 * zero always means the default, and calls refuse options whose reserved
 * words are not zero (KFK_ERR_INVALID_ARG), so that later versions can
 * give them meaning without an ABI break. */
typedef struct kfk_admin_options {
    /* The whole call's time, retries included, in milliseconds; 0: the
     * default.api.timeout.ms property (60 s); negative is refused. */
    int timeout_ms;
    unsigned flags;    /* KFK_ADMIN_*, as the operation allows */
    void *reserved[4]; /* zero */
} kfk_admin_options;

/* A new admin client for the brokers in conf's bootstrap.servers. Takes
 * conf in every case (on failure it is destroyed too). Starts the
 * client's threads and begins connecting in the background; returns at
 * once (but the first OAUTHBEARER token callback, and kinit for GSSAPI
 * with a key tab, run first and may wait for their server). NULL on a bad
 * configuration (errstr, if not NULL and errlen > 0,
 * gets a message naming the property) or when threads or memory cannot
 * be had. Any thread. */
KFK_API kfk_admin *kfk_admin_new(kfk_conf *conf, char *errstr, size_t errlen);

/* Why the calling thread's last failed call on admin failed (see
 * "Last-error texts" above); "" for none or a NULL admin. */
KFK_API const char *kfk_admin_last_error(const kfk_admin *admin);

/* The admin client's statistics, as kfk_producer_stats_json and
 * kfk_producer_stats_prometheus give a producer's (see "statistics" in
 * kfk.h for the buffer protocol, errors and threads): its connections
 * only (the "brokers" of docs/STATS.md; Prometheus names start
 * kafka_admin_). There is no stats_cb for an admin client: it has no
 * poll to deliver one from. */
KFK_API kfk_err kfk_admin_stats_json(kfk_admin *admin, char *buf, size_t *len);
KFK_API kfk_err kfk_admin_stats_prometheus(kfk_admin *admin, char *buf, size_t *len);

/* Closes the connections, stops the threads and frees admin. Calls still
 * running on other threads return KFK_ERR_DESTROYED. Blocks until the
 * threads have stopped (up to a DNS lookup in progress). NULL is a no-op.
 * Call once, from a thread of the application. */
KFK_API void kfk_admin_destroy(kfk_admin *admin);

/* A topic to create: name (copied), partitions and replication_factor,
 * either -1 for the broker's default (num.partitions,
 * default.replication.factor). The caller owns it and frees it with
 * kfk_new_topic_destroy(). NULL when name is NULL or memory runs out.
 * Never blocks. */
KFK_API kfk_new_topic *kfk_new_topic_new(const char *name, int32_t partitions,
                                         int16_t replication_factor);

/* Sets a topic config for the new topic ("cleanup.policy" = "compact",
 * "retention.ms" = "3600000"); both strings are copied; the broker checks
 * them. Returns KFK_OK, KFK_ERR_INVALID_ARG for a NULL argument,
 * KFK_ERR_NO_MEMORY. Never blocks. */
KFK_API kfk_err kfk_new_topic_set_config(kfk_new_topic *topic, const char *name, const char *value);

/* Places partition (0, 1, ...) of the new topic on brokers (the n ids
 * are copied; the first is the preferred leader), instead of letting the
 * controller choose. The topic must have been made with partitions and
 * replication_factor -1 (Kafka takes an assignment only in their place):
 * it then gets one partition per partition assigned, which must be 0 to
 * count - 1, each with the same number of replicas; the broker checks
 * that (KFK_ERR_INVALID_REPLICA_ASSIGNMENT, INVALID_REQUEST). Assigning a
 * partition again replaces its brokers. Returns KFK_OK, KFK_ERR_INVALID_ARG
 * (NULL topic or brokers, partition < 0, n 0 or above 32767, partitions or
 * replication factor not -1), KFK_ERR_NO_MEMORY. Never blocks. */
KFK_API kfk_err kfk_new_topic_set_replica_assignment(kfk_new_topic *topic, int32_t partition,
                                                     const int32_t *brokers, size_t n);

/* Frees topic; NULL is a no-op. */
KFK_API void kfk_new_topic_destroy(kfk_new_topic *topic);

/* Creates n topics (CreateTopics, API key 19, v2-7, sent to the
 * controller). The topics stay the caller's. Flags:
 * KFK_ADMIN_VALIDATE_ONLY. Blocks for at most the call's timeout; returns
 * as described above (KFK_ERR_INVALID_ARG: NULL admin, topics or result,
 * or a NULL entry). Success means the controller created the topic (or,
 * with VALIDATE_ONLY, would); brokers learn of it a moment later. Each
 * entry that succeeded carries the configs the topic got (all of them,
 * defaults included; brokers 2.4+, CreateTopics v5), read like described
 * configs with kfk_admin_result_config_count and kfk_admin_result_config
 * (resource type TOPIC; no config types, documentation or synonyms);
 * none for a failed entry or an older broker. Any application thread. */
KFK_API kfk_err kfk_admin_create_topics(kfk_admin *admin, kfk_new_topic *const *topics, size_t n,
                                        const kfk_admin_options *options,
                                        kfk_admin_result **result);

/* Deletes the n topics named in names (strings stay the caller's), with
 * their data. No flags. Blocks for at most the call's timeout; returns as
 * described above. Any application thread. */
KFK_API kfk_err kfk_admin_delete_topics(kfk_admin *admin, const char *const *names, size_t n,
                                        const kfk_admin_options *options,
                                        kfk_admin_result **result);

/* Deletes the n topics whose ids (16 bytes each, as kfk_metadata_topic_id
 * gives them; the bytes stay the caller's) are in ids, with their data
 * (DeleteTopics, API key 20, v6, to the controller; brokers 2.8+, else
 * KFK_ERR_UNSUPPORTED_VERSION for the whole call). Entry i is named by the
 * topic's name as the broker returns it, or by ids[i] in 32 lowercase hex
 * digits when the broker gave none (KFK_ERR_UNKNOWN_TOPIC_ID). No flags.
 * KFK_ERR_INVALID_ARG also for a NULL or all-zero id. Blocks for at most
 * the call's timeout; returns as described above. Any application
 * thread. */
KFK_API kfk_err kfk_admin_delete_topics_by_id(kfk_admin *admin, const uint8_t *const *ids, size_t n,
                                              const kfk_admin_options *options,
                                              kfk_admin_result **result);

/* Grows topic names[i] to total_counts[i] partitions (partitions are
 * never removed; CreatePartitions, API key 37, v0-3, to the controller,
 * which places them; see kfk_admin_create_partitions_assigned). Flags:
 * KFK_ADMIN_VALIDATE_ONLY. Blocks for at most the call's timeout; returns
 * as described above. Any application thread. */
KFK_API kfk_err kfk_admin_create_partitions(kfk_admin *admin, const char *const *names,
                                            const int32_t *total_counts, size_t n,
                                            const kfk_admin_options *options,
                                            kfk_admin_result **result);

/* A topic to grow to total_count partitions (topic copied), for
 * kfk_admin_create_partitions_assigned. The caller owns it and frees it
 * with kfk_new_partitions_destroy(). NULL when topic is NULL,
 * total_count < 1, or memory runs out. Never blocks. */
KFK_API kfk_new_partitions *kfk_new_partitions_new(const char *topic, int32_t total_count);

/* Places the next new partition (the first call: the first partition the
 * topic gets) on brokers (the n ids are copied; the first is the
 * preferred leader). Without any, the controller places them; with some,
 * there must be one per new partition, each with the topic's replication
 * factor (the broker checks: KFK_ERR_INVALID_REPLICA_ASSIGNMENT,
 * INVALID_REQUEST). Returns KFK_OK, KFK_ERR_INVALID_ARG (NULL np or
 * brokers, n 0 or above 32767), KFK_ERR_NO_MEMORY. Never blocks. */
KFK_API kfk_err kfk_new_partitions_add_assignment(kfk_new_partitions *np, const int32_t *brokers,
                                                  size_t n);

/* Frees np; NULL is a no-op. */
KFK_API void kfk_new_partitions_destroy(kfk_new_partitions *np);

/* kfk_admin_create_partitions for the n topics of parts (which stay the
 * caller's), placing the new partitions as each one says
 * (CreatePartitions, API key 37, v0-3, to the controller). Entry i is
 * parts[i]'s topic. Flags: KFK_ADMIN_VALIDATE_ONLY. Blocks for at most
 * the call's timeout; returns as described above (KFK_ERR_INVALID_ARG
 * also for a NULL parts or entry). Any application thread. */
KFK_API kfk_err kfk_admin_create_partitions_assigned(kfk_admin *admin,
                                                     kfk_new_partitions *const *parts, size_t n,
                                                     const kfk_admin_options *options,
                                                     kfk_admin_result **result);

/* Which leader an election picks (ElectLeaders' electionType). */
typedef enum kfk_election_type {
    KFK_ELECTION_PREFERRED = 0, /* the first replica, if it is in sync */
    KFK_ELECTION_UNCLEAN = 1,   /* any live replica when none in sync is (data may be lost) */
} kfk_election_type;

/* "PREFERRED", "UNCLEAN", or "UNKNOWN". Never NULL. */
KFK_API const char *kfk_election_type_name(kfk_election_type type);

/* Elects leaders (ElectLeaders, API key 43, v0-2, to the controller; v1+
 * for KFK_ELECTION_UNCLEAN, brokers 2.4+): for each partition of parts,
 * whose entries get their error, or, when parts is NULL, for every
 * partition that needs an election, and *all (required then) gets a new
 * list of those partitions with their errors, which the caller frees with
 * kfk_partition_list_destroy (NULL on failure; all may be NULL when parts
 * is given). An entry's error: KFK_OK (elected),
 * KFK_ERR_ELECTION_NOT_NEEDED (the partition already has the leader the
 * election would pick), KFK_ERR_PREFERRED_LEADER_NOT_AVAILABLE,
 * KFK_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION,
 * KFK_ERR_TOPIC_AUTHORIZATION_FAILED, or the request's failure
 * (KFK_ERR_CLUSTER_AUTHORIZATION_FAILED, KFK_ERR_TIMED_OUT, ...). No flags.
 * Returns KFK_OK when every entry was elected or needed no election, else
 * the first other entry's error (kfk_admin_last_error names it), or
 * KFK_ERR_INVALID_ARG (NULL admin, both parts and all NULL, a bad type, a
 * partition listed twice or negative), KFK_ERR_NO_MEMORY,
 * KFK_ERR_DESTROYED. Blocks for at most the call's timeout. Any
 * application thread. Java: Admin.electLeaders; librdkafka:
 * rd_kafka_ElectLeaders. */
KFK_API kfk_err kfk_admin_elect_leaders(kfk_admin *admin, kfk_election_type type,
                                        kfk_partition_list *parts, const kfk_admin_options *options,
                                        kfk_partition_list **all);

/* Moves the replicas of partitions (AlterPartitionReassignments, API key
 * 45, v0-1, to the controller; brokers 2.4+): entry i of parts gets
 * replicas[i] (n_replicas[i] broker ids, the first the preferred leader)
 * as its new replica set, or, when replicas[i] is NULL (or replicas is
 * NULL: for every entry), its reassignment in progress is cancelled. The
 * arrays stay the caller's. The broker starts the move and answers; the
 * data is copied afterwards (kfk_admin_list_partition_reassignments
 * shows the moves in progress). Each entry gets its error: KFK_OK,
 * KFK_ERR_NO_REASSIGNMENT_IN_PROGRESS (a cancel with none),
 * KFK_ERR_INVALID_REPLICA_ASSIGNMENT, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION,
 * or the request's failure (KFK_ERR_CLUSTER_AUTHORIZATION_FAILED,
 * KFK_ERR_TIMED_OUT, ...). No flags. Returns KFK_OK when every entry
 * succeeded, else the first failed entry's error (kfk_admin_last_error
 * names it), or KFK_ERR_INVALID_ARG (NULL admin or parts, replicas
 * without n_replicas, a count of 0 or above 32767, a partition listed
 * twice or negative; nothing is sent), KFK_ERR_NO_MEMORY,
 * KFK_ERR_DESTROYED. Blocks for at most the call's timeout. Any
 * application thread. Java: Admin.alterPartitionReassignments;
 * librdkafka: none. */
KFK_API kfk_err kfk_admin_alter_partition_reassignments(kfk_admin *admin, kfk_partition_list *parts,
                                                        const int32_t *const *replicas,
                                                        const size_t *n_replicas,
                                                        const kfk_admin_options *options);

/* Partition reassignments in progress, as
 * kfk_admin_list_partition_reassignments returns them; read with the
 * accessors below, freed with kfk_reassignment_list_destroy. */
typedef struct kfk_reassignment_list kfk_reassignment_list;

/* Lists the reassignments in progress (ListPartitionReassignments, API
 * key 46, v0, to the controller; brokers 2.4+) of the partitions of parts
 * (those without one are left out), or of every partition when parts is
 * NULL. *out gets the list (empty when none is in progress), which the
 * caller frees; NULL on failure. No flags. Returns KFK_OK, the broker's
 * error (KFK_ERR_CLUSTER_AUTHORIZATION_FAILED, ...), KFK_ERR_TIMED_OUT,
 * KFK_ERR_INVALID_ARG (NULL admin or out, a partition listed twice or
 * negative), KFK_ERR_NO_MEMORY, KFK_ERR_DESTROYED. Blocks for at most the
 * call's timeout. Any application thread. Java:
 * Admin.listPartitionReassignments; librdkafka: none. */
KFK_API kfk_err kfk_admin_list_partition_reassignments(kfk_admin *admin,
                                                       const kfk_partition_list *parts,
                                                       const kfk_admin_options *options,
                                                       kfk_reassignment_list **out);

/* The number of reassignments of l (0 for NULL). */
KFK_API size_t kfk_reassignment_list_count(const kfk_reassignment_list *l);
/* Reassignment i's topic (valid until l is destroyed) and partition;
 * NULL and -1 when i is out of range. */
KFK_API const char *kfk_reassignment_list_topic(const kfk_reassignment_list *l, size_t i);
KFK_API int32_t kfk_reassignment_list_partition(const kfk_reassignment_list *l, size_t i);
/* Reassignment i's replicas now (the old and new ones together), those
 * being added and those being removed: arrays of *n broker ids, valid
 * until l is destroyed; NULL and *n 0 when i is out of range. n may be
 * NULL. */
KFK_API const int32_t *kfk_reassignment_list_replicas(const kfk_reassignment_list *l, size_t i,
                                                      size_t *n);
KFK_API const int32_t *kfk_reassignment_list_adding(const kfk_reassignment_list *l, size_t i,
                                                    size_t *n);
KFK_API const int32_t *kfk_reassignment_list_removing(const kfk_reassignment_list *l, size_t i,
                                                      size_t *n);
/* Frees l; NULL is a no-op. */
KFK_API void kfk_reassignment_list_destroy(kfk_reassignment_list *l);

/* A replica in a log directory, as kfk_admin_describe_log_dirs reports
 * it; owned by the kfk_log_dirs it came from. Later versions may add
 * members at the end only. */
typedef struct kfk_log_dir_replica {
    const char *topic;
    int32_t partition;
    int64_t size;       /* bytes on disk */
    int64_t offset_lag; /* how far its log end is behind the partition's (for a future
                           replica: behind the current one) */
    bool is_future;     /* being moved into this directory */
} kfk_log_dir_replica;

/* The log directories of the cluster's brokers, as
 * kfk_admin_describe_log_dirs returns them: one entry per directory of
 * each broker, sorted by broker id, then path, read with the accessors
 * below, freed with kfk_log_dirs_destroy. */
typedef struct kfk_log_dirs kfk_log_dirs;

/* Describes the log directories of every broker (DescribeLogDirs, API key
 * 35, v0-4, to each broker at once): with the replicas of the partitions
 * of parts each holds, or of every partition when parts is NULL. A
 * directory that is offline has its error (KFK_ERR_KAFKA_STORAGE_ERROR);
 * a broker that did not answer has one entry with path NULL and the
 * failure. No flags. Returns KFK_OK when every broker answered, else the
 * first broker's failure with *out set all the same (the last error
 * names the broker); KFK_ERR_TIMED_OUT with *out NULL when no broker
 * list came; KFK_ERR_INVALID_ARG (NULL admin or out, a partition listed
 * twice or negative), KFK_ERR_NO_MEMORY, KFK_ERR_DESTROYED with *out NULL.
 * The caller frees *out. Blocks for at most the call's timeout. Any
 * application thread. Java: Admin.describeLogDirs (and
 * describeReplicaLogDirs); librdkafka: none. */
KFK_API kfk_err kfk_admin_describe_log_dirs(kfk_admin *admin, const kfk_partition_list *parts,
                                            const kfk_admin_options *options, kfk_log_dirs **out);

/* The number of directories of d (0 for NULL). */
KFK_API size_t kfk_log_dirs_count(const kfk_log_dirs *d);
/* Directory i's broker (-1 when i is out of range) and path (NULL when i
 * is out of range or the broker did not answer; valid until d is
 * destroyed). */
KFK_API int32_t kfk_log_dirs_broker(const kfk_log_dirs *d, size_t i);
KFK_API const char *kfk_log_dirs_path(const kfk_log_dirs *d, size_t i);
/* Directory i's error: KFK_OK, its own, or its broker's failure;
 * KFK_ERR_INVALID_ARG when i is out of range. */
KFK_API kfk_err kfk_log_dirs_error(const kfk_log_dirs *d, size_t i);
/* Directory i's volume size and free bytes; -1 when unknown (brokers
 * before 3.3, DescribeLogDirs v4) or i is out of range. */
KFK_API int64_t kfk_log_dirs_total_bytes(const kfk_log_dirs *d, size_t i);
KFK_API int64_t kfk_log_dirs_usable_bytes(const kfk_log_dirs *d, size_t i);
/* The number of replicas of directory i, and replica j of it (NULL when
 * out of range; valid until d is destroyed). */
KFK_API size_t kfk_log_dirs_replica_count(const kfk_log_dirs *d, size_t i);
KFK_API const kfk_log_dir_replica *kfk_log_dirs_replica(const kfk_log_dirs *d, size_t i, size_t j);
/* Frees d; NULL is a no-op. */
KFK_API void kfk_log_dirs_destroy(kfk_log_dirs *d);

/* One replica to move, for kfk_admin_alter_replica_log_dirs: the replica
 * of topic/partition on broker goes to log directory path (absolute, one
 * of that broker's log.dirs, as kfk_log_dirs_path names them). Initialize
 * it so that unset words are zero (kfk_replica_log_dir m = {.topic = ...});
 * reserved must stay zero, so that later versions can add fields. */
typedef struct kfk_replica_log_dir {
    const char *topic;
    int32_t partition;
    int32_t broker;
    const char *path;
    void *reserved[4]; /* zero */
} kfk_replica_log_dir;

/* Moves the n replicas moves[0..n-1] between the log directories of their
 * brokers (AlterReplicaLogDirs, API key 34, v1-2, one request to each
 * broker named, all at once; brokers 1.1+). The broker starts copying
 * the replica into the directory (kfk_admin_describe_log_dirs shows it
 * there as a future replica until the copy has caught up, then as the
 * replica) and answers; a move to the directory the replica is in
 * already succeeds. The result has one entry per move, in order, named
 * "topic-partition@broker", with its error: KFK_OK,
 * KFK_ERR_LOG_DIR_NOT_FOUND (no such directory on that broker),
 * KFK_ERR_REPLICA_NOT_AVAILABLE (the broker has no replica of that
 * partition; it keeps the directory for when it gets one),
 * KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION (no such partition),
 * KFK_ERR_KAFKA_STORAGE_ERROR
 * (the directory or replica is offline), or the request's failure
 * (KFK_ERR_CLUSTER_AUTHORIZATION_FAILED, KFK_ERR_TIMED_OUT for a broker
 * that did not answer, ...). The moves and their strings stay the
 * caller's. No flags. Returns KFK_OK when every move succeeded, else the
 * first failed entry's error (kfk_admin_last_error names it), or
 * KFK_ERR_INVALID_ARG (NULL admin or result, moves NULL with n > 0, a NULL
 * move, one without topic or path, a negative partition or broker,
 * reserved not zero, the same replica twice; nothing is sent),
 * KFK_ERR_NO_MEMORY, KFK_ERR_DESTROYED, with *result NULL. The caller
 * frees *result. Blocks for at most the call's timeout. Any application
 * thread. Java: Admin.alterReplicaLogDirs; librdkafka: none. */
KFK_API kfk_err kfk_admin_alter_replica_log_dirs(kfk_admin *admin,
                                                 const kfk_replica_log_dir *const *moves, size_t n,
                                                 const kfk_admin_options *options,
                                                 kfk_admin_result **result);

/* The number of entries of a result (0 for NULL). */
KFK_API size_t kfk_admin_result_count(const kfk_admin_result *result);
/* Entry i's name: the topic, config resource, group, transactional id,
 * user, ... it is about, as each operation says; NULL when i is out of
 * range (and for the entries an operation documents as nameless). Valid
 * until the result is destroyed. */
KFK_API const char *kfk_admin_result_name(const kfk_admin_result *result, size_t i);
/* Entry i's outcome: KFK_OK or the item's error; KFK_ERR_INVALID_ARG
 * when i is out of range. */
KFK_API kfk_err kfk_admin_result_error(const kfk_admin_result *result, size_t i);
/* The broker's message about entry i, or NULL when it sent none. Valid
 * until the result is destroyed. */
KFK_API const char *kfk_admin_result_message(const kfk_admin_result *result, size_t i);
/* Frees result; NULL is a no-op. */
KFK_API void kfk_admin_result_destroy(kfk_admin_result *result);

/* Describes topics: the n named ones, or every topic when names is NULL
 * (internal topics such as __consumer_offsets included), with their
 * partitions, leaders, replicas and ISR, and the cluster's brokers,
 * controller and id, as the brokers know them now (Metadata, API key 3).
 * A topic that does not exist is listed with
 * KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION. Topics come sorted by name,
 * partitions by id. Flags: KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS (the
 * topics'). Blocks for at most the call's timeout. Returns KFK_OK with *out set (the caller frees
 * it with kfk_metadata_destroy), or KFK_ERR_TIMED_OUT, KFK_ERR_DESTROYED, KFK_ERR_INVALID_ARG,
 * KFK_ERR_NO_MEMORY or a broker's error, with *out NULL. Any application thread. */
KFK_API kfk_err kfk_admin_list_topics(kfk_admin *admin, const char *const *names, size_t n,
                                      const kfk_admin_options *options, kfk_metadata **out);

/* Describes topics as kfk_admin_list_topics does, with what KIP-966
 * adds: each partition's eligible leader replicas and last known ones,
 * using DescribeTopicPartitions (API key 75, v0; Kafka 3.8+), in pages of
 * at most 2000 partitions, so describing every topic of a large cluster
 * needs no single huge answer; Metadata on older brokers. *out has no
 * brokers (kfk_admin_describe_cluster gives them). names NULL: every
 * topic the caller may describe. Flags:
 * KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS. Returns KFK_OK when every
 * named topic was found, else the first failed topic's error (by name
 * order; KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION, ...) with *out set all the
 * same; or KFK_ERR_TIMED_OUT, KFK_ERR_DESTROYED, KFK_ERR_INVALID_ARG,
 * KFK_ERR_NO_MEMORY with *out NULL. Any application thread. */
KFK_API kfk_err kfk_admin_describe_topics(kfk_admin *admin, const char *const *names, size_t n,
                                          const kfk_admin_options *options, kfk_metadata **out);

/* Describes the cluster: its id, its controller and its brokers, with
 * DescribeCluster (API key 60; Metadata on brokers older than 2.8); *out
 * has no topics. Flags: KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS (the
 * cluster's). Returns and blocks as kfk_admin_list_topics. */
KFK_API kfk_err kfk_admin_describe_cluster(kfk_admin *admin, const kfk_admin_options *options,
                                           kfk_metadata **out);

/* Reading a kfk_metadata. Indexes out of range give 0, -1 or NULL.
 * Strings and arrays are valid until kfk_metadata_destroy. A kfk_metadata
 * is immutable: any thread may read it. */
KFK_API const char *kfk_metadata_cluster_id(const kfk_metadata *md); /* NULL: unknown */
KFK_API int32_t kfk_metadata_controller_id(const kfk_metadata *md);  /* -1: unknown */
KFK_API size_t kfk_metadata_broker_count(const kfk_metadata *md);
/* Brokers come sorted by id. */
KFK_API int32_t kfk_metadata_broker_id(const kfk_metadata *md, size_t b);
KFK_API const char *kfk_metadata_broker_host(const kfk_metadata *md, size_t b);
KFK_API int kfk_metadata_broker_port(const kfk_metadata *md, size_t b);
KFK_API const char *kfk_metadata_broker_rack(const kfk_metadata *md, size_t b); /* NULL: none */
KFK_API size_t kfk_metadata_topic_count(const kfk_metadata *md);
KFK_API const char *kfk_metadata_topic_name(const kfk_metadata *md, size_t t);
KFK_API kfk_err kfk_metadata_topic_error(const kfk_metadata *md, size_t t);
/* true for Kafka's own topics (__consumer_offsets, ...). */
KFK_API bool kfk_metadata_topic_is_internal(const kfk_metadata *md, size_t t);
/* The topic's 16-byte id, or NULL when the broker sent none. */
KFK_API const uint8_t *kfk_metadata_topic_id(const kfk_metadata *md, size_t t);
KFK_API size_t kfk_metadata_partition_count(const kfk_metadata *md, size_t t);
KFK_API int32_t kfk_metadata_partition_id(const kfk_metadata *md, size_t t, size_t p);
/* The leader's broker id; -1 while the partition has none. */
KFK_API int32_t kfk_metadata_partition_leader(const kfk_metadata *md, size_t t, size_t p);
KFK_API int32_t kfk_metadata_partition_leader_epoch(const kfk_metadata *md, size_t t, size_t p);
KFK_API kfk_err kfk_metadata_partition_error(const kfk_metadata *md, size_t t, size_t p);
/* The replicas (or the in-sync replicas) by broker id; *n gets the count. */
KFK_API const int32_t *kfk_metadata_partition_replicas(const kfk_metadata *md, size_t t, size_t p,
                                                       size_t *n);
KFK_API const int32_t *kfk_metadata_partition_isr(const kfk_metadata *md, size_t t, size_t p,
                                                  size_t *n);
/* The partition's replicas that are offline (their log directory
 * failed); n 0 when none. */
KFK_API const int32_t *kfk_metadata_partition_offline_replicas(const kfk_metadata *md, size_t t,
                                                               size_t p, size_t *n);
/* KIP-966, from kfk_admin_describe_topics on brokers that have it: the
 * replicas eligible to become leader though not in the ISR, and the last
 * ones known before the partition lost them all. NULL (n 0) when the
 * broker did not report them (Metadata never does). */
KFK_API const int32_t *kfk_metadata_partition_eligible_leaders(const kfk_metadata *md, size_t t,
                                                               size_t p, size_t *n);
KFK_API const int32_t *kfk_metadata_partition_last_known_eligible_leaders(const kfk_metadata *md,
                                                                          size_t t, size_t p,
                                                                          size_t *n);
/* The operations the caller may perform on the cluster, or on topic t,
 * as a bit set: bit k set means the ACL operation with code k (READ 3,
 * WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9,
 * DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12, ...) is
 * allowed. INT32_MIN when not asked for (KFK_ADMIN_INCLUDE_AUTHORIZED_
 * OPERATIONS) or not reported. */
KFK_API int32_t kfk_metadata_cluster_authorized_operations(const kfk_metadata *md);
KFK_API int32_t kfk_metadata_topic_authorized_operations(const kfk_metadata *md, size_t t);
/* Frees md; NULL is a no-op. */
KFK_API void kfk_metadata_destroy(kfk_metadata *md);
/* --- admin: configs ----------------------------------------------------------- */
/* Reading and changing the configs of topics, brokers, broker loggers,
 * client-metrics subscriptions and groups. A config resource is named by
 * its type (Kafka's ConfigResource.Type values) and its name: a topic's
 * name, a broker's numeric id ("1"; "" for the cluster-wide broker
 * defaults), a group id, a client-metrics subscription name. Calls on
 * BROKER and BROKER_LOGGER resources go to that broker, the others to any
 * broker (as the Java admin client does); one request per broker, sent at
 * once. The result has one entry per resource, in the order given, named
 * by the resource's name. */
typedef enum kfk_config_resource_type {
    KFK_CONFIG_RESOURCE_UNKNOWN = 0,
    KFK_CONFIG_RESOURCE_TOPIC = 2,
    KFK_CONFIG_RESOURCE_BROKER = 4,
    KFK_CONFIG_RESOURCE_BROKER_LOGGER = 8,
    KFK_CONFIG_RESOURCE_CLIENT_METRICS = 16,
    KFK_CONFIG_RESOURCE_GROUP = 32,
} kfk_config_resource_type;

/* "TOPIC", "BROKER", "BROKER_LOGGER", "CLIENT_METRICS", "GROUP", or
 * "UNKNOWN" for any other value. Static storage. */
KFK_API const char *kfk_config_resource_type_name(kfk_config_resource_type type);

/* Where a config's value comes from (the protocol's ConfigSource; names
 * as Java's ConfigEntry.ConfigSource). */
typedef enum kfk_config_source {
    KFK_CONFIG_SOURCE_UNKNOWN = 0,
    KFK_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG = 1,          /* set on the topic */
    KFK_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG = 2,         /* set on this broker at run time */
    KFK_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG = 3, /* set for all brokers at run time */
    KFK_CONFIG_SOURCE_STATIC_BROKER_CONFIG = 4,          /* the broker's properties file */
    KFK_CONFIG_SOURCE_DEFAULT_CONFIG = 5,                /* Kafka's default */
    KFK_CONFIG_SOURCE_DYNAMIC_BROKER_LOGGER_CONFIG = 6,
    KFK_CONFIG_SOURCE_DYNAMIC_CLIENT_METRICS_CONFIG = 7,
    KFK_CONFIG_SOURCE_DYNAMIC_GROUP_CONFIG = 8,
} kfk_config_source;

/* The enumerator's name without its prefix ("DEFAULT_CONFIG"); "UNKNOWN"
 * for other values. Static storage. */
KFK_API const char *kfk_config_source_name(kfk_config_source source);

/* A config's data type (the protocol's ConfigType). */
typedef enum kfk_config_type {
    KFK_CONFIG_TYPE_UNKNOWN = 0,
    KFK_CONFIG_TYPE_BOOLEAN = 1,
    KFK_CONFIG_TYPE_STRING = 2,
    KFK_CONFIG_TYPE_INT = 3,
    KFK_CONFIG_TYPE_SHORT = 4,
    KFK_CONFIG_TYPE_LONG = 5,
    KFK_CONFIG_TYPE_DOUBLE = 6,
    KFK_CONFIG_TYPE_LIST = 7,
    KFK_CONFIG_TYPE_CLASS = 8,
    KFK_CONFIG_TYPE_PASSWORD = 9,
} kfk_config_type;

/* "BOOLEAN", "STRING", ...; "UNKNOWN" for other values. Static storage. */
KFK_API const char *kfk_config_type_name(kfk_config_type type);

/* How kfk_admin_incremental_alter_configs changes one config (the
 * protocol's values, as Java's AlterConfigOp.OpType). */
typedef enum kfk_alter_config_op {
    KFK_ALTER_CONFIG_SET = 0,      /* set the value */
    KFK_ALTER_CONFIG_DELETE = 1,   /* remove it: back to the inherited or default value */
    KFK_ALTER_CONFIG_APPEND = 2,   /* add value's items to a list config */
    KFK_ALTER_CONFIG_SUBTRACT = 3, /* remove value's items from a list config */
} kfk_alter_config_op;

/* A config resource and, for the calls that change configs, what to
 * change. Built by the caller, who frees it with
 * kfk_config_resource_destroy; calls only read it, so one may be passed
 * to several calls, from several threads once built. */
typedef struct kfk_config_resource kfk_config_resource;

/* A resource of type named name (copied). NULL when type is not one of
 * the kfk_config_resource_type values above other than UNKNOWN, name is
 * NULL, or memory runs out. Never blocks. */
KFK_API kfk_config_resource *kfk_config_resource_new(kfk_config_resource_type type,
                                                     const char *name);

/* Adds a change of config name (copied) by op with value (copied; NULL is
 * allowed, and ignored, for KFK_ALTER_CONFIG_DELETE only). For
 * kfk_admin_describe_configs the names added, if any, are the configs to
 * describe (op and value do not matter); kfk_admin_alter_configs takes
 * KFK_ALTER_CONFIG_SET entries only. Returns KFK_OK, KFK_ERR_INVALID_ARG
 * (NULL res or name, op not a kfk_alter_config_op, NULL value for an op
 * other than DELETE) or KFK_ERR_NO_MEMORY. Never blocks. */
KFK_API kfk_err kfk_config_resource_add(kfk_config_resource *res, const char *name,
                                        kfk_alter_config_op op, const char *value);

/* Frees res; NULL is a no-op. */
KFK_API void kfk_config_resource_destroy(kfk_config_resource *res);

/* One config of a described resource, read through
 * kfk_admin_result_config. Owned by the result; valid until it is
 * destroyed. Later versions may add members at the end only. */
typedef struct kfk_config_entry {
    const char *name;
    const char *value; /* NULL: sensitive (a password), or unset */
    kfk_config_source source;
    kfk_config_type type; /* KFK_CONFIG_TYPE_UNKNOWN from brokers before 2.6 */
    bool read_only;       /* cannot be changed at run time */
    bool sensitive;       /* the value is hidden */
    bool is_default;      /* source is KFK_CONFIG_SOURCE_DEFAULT_CONFIG (as Java's isDefault) */
    size_t synonym_count; /* 0 unless KFK_ADMIN_INCLUDE_SYNONYMS */
    const char *documentation; /* NULL unless KFK_ADMIN_INCLUDE_DOCUMENTATION (brokers 2.6+) */
} kfk_config_entry;

/* A synonym of a config: a config whose value it would take, the one in
 * effect first, read through kfk_admin_result_config_synonym. Owned by
 * the result. Later versions may add members at the end only. */
typedef struct kfk_config_synonym {
    const char *name;  /* "log.retention.ms" for the topic config "retention.ms" */
    const char *value; /* NULL: sensitive or unset */
    kfk_config_source source;
} kfk_config_synonym;

/* Describes the configs of the n resources (DescribeConfigs, API key 32,
 * v1-4): all their configs, or those named with kfk_config_resource_add.
 * The resources stay the caller's. Flags: KFK_ADMIN_INCLUDE_SYNONYMS,
 * KFK_ADMIN_INCLUDE_DOCUMENTATION. Each entry's configs are read with
 * kfk_admin_result_config_count and kfk_admin_result_config. A topic that
 * does not exist gets KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION. Blocks for at
 * most the call's timeout; returns as described at the top of this
 * section (KFK_ERR_INVALID_ARG: NULL admin, resources or result, a NULL
 * entry, a BROKER or BROKER_LOGGER resource whose name is not a broker
 * id). Any application thread. */
KFK_API kfk_err kfk_admin_describe_configs(kfk_admin *admin, kfk_config_resource *const *resources,
                                           size_t n, const kfk_admin_options *options,
                                           kfk_admin_result **result);

/* Changes the configs of the n resources as their kfk_config_resource_add
 * entries say, leaving the others as they are (IncrementalAlterConfigs,
 * API key 44, v0-1). Each resource changes as a whole or not at all: an
 * invalid value or unknown config name fails that resource
 * (KFK_ERR_INVALID_CONFIG, with the broker's message), a topic that does
 * not exist gets KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION. Flags:
 * KFK_ADMIN_VALIDATE_ONLY. Blocks and returns as
 * kfk_admin_describe_configs (KFK_ERR_INVALID_ARG also for a resource
 * without entries). */
KFK_API kfk_err kfk_admin_incremental_alter_configs(kfk_admin *admin,
                                                    kfk_config_resource *const *resources, size_t n,
                                                    const kfk_admin_options *options,
                                                    kfk_admin_result **result);

/* Replaces the configs of the n resources (AlterConfigs, API key 33,
 * v0-2; Java's deprecated alterConfigs): each resource's dynamic configs
 * become exactly its KFK_ALTER_CONFIG_SET entries, so every config set
 * before and not named again reverts to its default. Prefer
 * kfk_admin_incremental_alter_configs, which changes only what it names;
 * this call is for brokers before 2.3. Entries with another op are
 * refused (KFK_ERR_INVALID_ARG). Flags: KFK_ADMIN_VALIDATE_ONLY. Blocks
 * and returns as kfk_admin_describe_configs. */
KFK_API kfk_err kfk_admin_alter_configs(kfk_admin *admin, kfk_config_resource *const *resources,
                                        size_t n, const kfk_admin_options *options,
                                        kfk_admin_result **result);

/* Lists the config resources the cluster has (ListConfigResources, API
 * key 74, v0-1; Kafka 4.1+, v0 being 3.7's ListClientMetricsResources)
 * of the n_types types in types, or of the broker's default set when
 * n_types is 0 (types may then be NULL). A broker that only has v0
 * serves KFK_CONFIG_RESOURCE_CLIENT_METRICS alone; other types then give
 * KFK_ERR_UNSUPPORTED_VERSION. No flags. On KFK_OK *result has one entry
 * per resource found (its name; its type through
 * kfk_admin_result_config_resource_type). Blocks for at most the call's
 * timeout; a failure is the whole request's (*result NULL). Any
 * application thread. */
KFK_API kfk_err kfk_admin_list_config_resources(kfk_admin *admin,
                                                const kfk_config_resource_type *types,
                                                size_t n_types, const kfk_admin_options *options,
                                                kfk_admin_result **result);

/* The type of the resource of entry i of a result of the calls above;
 * KFK_CONFIG_RESOURCE_UNKNOWN for an index out of range or another
 * call's result. */
KFK_API kfk_config_resource_type
kfk_admin_result_config_resource_type(const kfk_admin_result *result, size_t i);
/* The number of configs entry i of a kfk_admin_describe_configs result
 * has; 0 for an index out of range or another call's result. */
KFK_API size_t kfk_admin_result_config_count(const kfk_admin_result *result, size_t i);
/* Config j of entry i, in the broker's order; NULL when out of range. */
KFK_API const kfk_config_entry *kfk_admin_result_config(const kfk_admin_result *result, size_t i,
                                                        size_t j);
/* Synonym k of config j of entry i, the one in effect first; NULL when
 * out of range. */
KFK_API const kfk_config_synonym *kfk_admin_result_config_synonym(const kfk_admin_result *result,
                                                                  size_t i, size_t j, size_t k);
/* --- offsets and records ---------------------------------------------------- */
/* Partition lists (and the KFK_OFFSET_* specs) are described with the
 * consumer below. */
typedef struct kfk_partition_list kfk_partition_list;

/* Looks up offsets of the partitions of parts (the caller's; filled in
 * place), with ListOffsets (API key 2, v1 up to v11: the newest version
 * both sides serve), one request per partition leader, all leaders at
 * once. Each entry's offset says what to find:
 *   KFK_OFFSET_BEGINNING       the log start offset (the earliest record);
 *   KFK_OFFSET_END             the end: the high watermark (the offset the
 *                              next record gets), or with
 *                              KFK_ADMIN_READ_COMMITTED the last stable
 *                              offset (below the first record of a
 *                              transaction still open);
 *   KFK_OFFSET_MAX_TIMESTAMP   the record with the largest timestamp
 *                              (v7+, Kafka 3.0; KIP-734);
 *   KFK_OFFSET_EARLIEST_LOCAL  the first offset on the leader's disk, which
 *                              is the log start without tiered storage
 *                              (v8+, Kafka 3.5; KIP-405);
 *   KFK_OFFSET_LATEST_TIERED   the last offset in tiered storage, -1 when
 *                              none is (v9+, Kafka 3.8; KIP-1005);
 *   a timestamp >= 0           (ms since the epoch) the first record whose
 *                              timestamp is at or after it; offset -1 when
 *                              every record is older, as Kafka answers.
 * Out, for each entry that succeeded: offset, leader epoch (-1 when
 * unknown), timestamp (that of the record found; -1 for
 * BEGINNING/END/the tiered specs) and error KFK_OK. An entry that failed
 * keeps its offset (the spec) and gets its own error; the others go on:
 * KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION (fresh metadata has no such topic or
 * partition), KFK_ERR_UNSUPPORTED_VERSION (its leader is too old for the
 * spec; entries with other specs are asked again without it),
 * KFK_ERR_TOPIC_AUTHORIZATION_FAILED, a retriable error that lasted until
 * the timeout (NOT_LEADER_OR_FOLLOWER, ...), or KFK_ERR_TIMED_OUT.
 * NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH and LEADER_NOT_AVAILABLE
 * refresh the leaders and ask again, as Java's admin does. The same
 * partition may be listed more than once (with different specs): each
 * entry is answered. Flags: KFK_ADMIN_READ_COMMITTED (isolation level 1).
 * Returns KFK_OK when every entry succeeded, else the first failed
 * entry's error (kfk_admin_last_error names it and, for
 * UNSUPPORTED_VERSION, the version its spec needs), or
 * KFK_ERR_INVALID_ARG (NULL admin or parts, an offset below
 * KFK_OFFSET_LATEST_TIERED; nothing is sent), KFK_ERR_NO_MEMORY,
 * KFK_ERR_DESTROYED. An empty list returns KFK_OK at once. Blocks for at
 * most the call's timeout. Any application thread. Java:
 * Admin.listOffsets; librdkafka: rd_kafka_ListOffsets. */
KFK_API kfk_err kfk_admin_list_offsets(kfk_admin *admin, kfk_partition_list *parts,
                                       const kfk_admin_options *options);

/* Deletes the records of each partition of parts before the entry's
 * offset (DeleteRecords, API key 21, v0-v2, one request per leader, all
 * at once): the partition's log start offset rises to it and the records
 * below are no longer fetched (a consumer asking for them gets
 * KFK_ERR_OFFSET_OUT_OF_RANGE, or auto.offset.reset applies).
 * KFK_OFFSET_END deletes everything up to the high watermark, as Java's
 * RecordsToDelete.beforeOffset(-1). Out, for each entry that succeeded:
 * offset = the partition's new low watermark (log start; never lowered:
 * an offset below it changes nothing) and error KFK_OK; an entry that
 * failed keeps its offset and gets its own error, the others go on:
 * KFK_ERR_OFFSET_OUT_OF_RANGE (beyond the high watermark),
 * KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION, KFK_ERR_POLICY_VIOLATION (a
 * compacted topic), KFK_ERR_TOPIC_AUTHORIZATION_FAILED, a retriable error
 * that lasted until the timeout, KFK_ERR_TIMED_OUT. No flags. Returns as
 * kfk_admin_list_offsets, and KFK_ERR_INVALID_ARG for an offset that is
 * negative but not KFK_OFFSET_END, or a partition listed twice. Blocks
 * for at most the call's timeout. Any application thread. Java:
 * Admin.deleteRecords; librdkafka: rd_kafka_DeleteRecords. */
KFK_API kfk_err kfk_admin_delete_records(kfk_admin *admin, kfk_partition_list *parts,
                                         const kfk_admin_options *options);

/* --- end of offsets and records ------------------------------------------------ */

/* --- admin: transactions and producers ------------------------------------------ */
/* Transactions seen from outside their producer, for operators (as Java
 * Admin's listTransactions, describeTransactions, describeProducers and
 * abortTransaction, and Kafka's kafka-transactions.sh). Calls follow the
 * admin pattern above ("admin client"). */

/* Which transactions kfk_admin_list_transactions lists; NULL for all.
 * Zero-initialize it (reserved must be zero). */
typedef struct kfk_transaction_filter {
    /* Only transactions in one of these states: "Empty", "Ongoing",
     * "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort",
     * "Dead", "PrepareEpochFence" (another name is refused). */
    const char *const *states;
    size_t n_states;
    const int64_t *producer_ids; /* only these producers */
    size_t n_producer_ids;
    /* Only transactions running for at least this long (ListTransactions
     * v1+, Kafka 3.8); 0: any. */
    int64_t min_duration_ms;
    /* Only transactional ids matching this Java regular expression
     * (ListTransactions v2+, Kafka 4.1); NULL: any. */
    const char *transactional_id_pattern;
    void *reserved[4]; /* zero */
} kfk_transaction_filter;

/* Lists the transactions every transaction coordinator of the cluster
 * knows (ListTransactions, API key 66, v0-2, sent to each broker at
 * once): one entry per transactional id, with its state
 * (kfk_admin_result_transaction_state), producer id and coordinator
 * (kfk_admin_result_transaction_coordinator); epoch, timeout and start
 * time are not listed (-1). A broker that fails (a coordinator still
 * loading is asked again until the call's time is up) is an entry with
 * no name, its error and its broker id as the coordinator, after the
 * transactions; the call then returns that error. A filter the broker's
 * version lacks fails with KFK_ERR_UNSUPPORTED_VERSION. No flags. Any
 * application thread. */
KFK_API kfk_err kfk_admin_list_transactions(kfk_admin *admin, const kfk_transaction_filter *filter,
                                            const kfk_admin_options *options,
                                            kfk_admin_result **result);

/* Describes the n transactions ids names (DescribeTransactions, API key
 * 65, v0, at each id's coordinator, all at once): one entry per id, in
 * order, with KFK_ERR_TRANSACTIONAL_ID_NOT_FOUND for an id no coordinator
 * knows, else its state, producer id and epoch, timeout, start time (-1
 * while no transaction runs), coordinator and the partitions in the
 * transaction. No flags. Returns as described for the admin client. Any
 * application thread. */
KFK_API kfk_err kfk_admin_describe_transactions(kfk_admin *admin, const char *const *ids, size_t n,
                                                const kfk_admin_options *options,
                                                kfk_admin_result **result);

/* Reading entry i of a list or describe transactions result; none (an
 * index out of range, another operation's result, a failed entry): NULL
 * or -1. */
KFK_API const char *kfk_admin_result_transaction_state(const kfk_admin_result *result, size_t i);
KFK_API int64_t kfk_admin_result_transaction_producer_id(const kfk_admin_result *result, size_t i);
KFK_API int16_t kfk_admin_result_transaction_producer_epoch(const kfk_admin_result *result,
                                                            size_t i);
KFK_API int32_t kfk_admin_result_transaction_timeout_ms(const kfk_admin_result *result, size_t i);
/* Milliseconds since the epoch when the running transaction began. */
KFK_API int64_t kfk_admin_result_transaction_start_ms(const kfk_admin_result *result, size_t i);
/* The broker id of the transaction's coordinator. */
KFK_API int32_t kfk_admin_result_transaction_coordinator(const kfk_admin_result *result, size_t i);
/* The partitions in the transaction (describe only; owned by the result,
 * valid until it is destroyed; offsets unset). */
KFK_API const kfk_partition_list *
kfk_admin_result_transaction_partitions(const kfk_admin_result *result, size_t i);

/* A producer active on a partition, as its leader reports it. kfk makes
 * it and the application reads it through the pointer it is given:
 * fields may be added at its end. */
typedef struct kfk_producer_state {
    int64_t producer_id;
    int32_t producer_epoch;
    int32_t last_sequence;     /* -1: none */
    int64_t last_timestamp_ms; /* -1: none */
    int32_t coordinator_epoch; /* -1: none */
    /* The first offset of its open transaction; -1: none open. */
    int64_t current_transaction_start_offset;
} kfk_producer_state;

/* Describes the producers active on each partition of partitions
 * (DescribeProducers, API key 61, v0, at each partition's leader, all at
 * once): one entry per partition, in order, named by its topic
 * (kfk_admin_result_producers_partition gives the partition), with the partition's
 * error (KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION ...) and its producers. No
 * flags. Returns as described for the admin client. Any application
 * thread. */
KFK_API kfk_err kfk_admin_describe_producers(kfk_admin *admin, const kfk_partition_list *partitions,
                                             const kfk_admin_options *options,
                                             kfk_admin_result **result);
/* Entry i's partition; none: -1. */
KFK_API int32_t kfk_admin_result_producers_partition(const kfk_admin_result *result, size_t i);
/* The number of producers of entry i, and producer j of them (valid until
 * the result is destroyed); none: 0, NULL. */
KFK_API size_t kfk_admin_result_producer_count(const kfk_admin_result *result, size_t i);
KFK_API const kfk_producer_state *kfk_admin_result_producer(const kfk_admin_result *result,
                                                            size_t i, size_t j);

/* A hanging transaction to abort on one partition: the values
 * kfk_admin_describe_producers reports for its producer there. Zero-
 * initialize it (reserved must be zero). */
typedef struct kfk_abort_transaction_spec {
    const char *topic;
    int32_t partition;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t coordinator_epoch;
    void *reserved[4]; /* zero */
} kfk_abort_transaction_spec;

/* Aborts the transaction spec names on its partition by writing an abort
 * marker there (WriteTxnMarkers, API key 27, v1-2, at the partition's
 * leader), as a coordinator would: for a transaction whose coordinator
 * lost track of it, which holds back the partition's last stable offset
 * (read_committed consumers stop there). Needs the ClusterAction right on
 * the cluster. Never use it on a transaction its producer may still
 * complete. No flags. Returns KFK_OK, KFK_ERR_INVALID_ARG, a broker's
 * error (KFK_ERR_INVALID_PRODUCER_EPOCH for a stale epoch,
 * KFK_ERR_CLUSTER_AUTHORIZATION_FAILED, ...) or KFK_ERR_TIMED_OUT. Blocks
 * for at most the call's timeout. Any application thread. */
KFK_API kfk_err kfk_admin_abort_transaction(kfk_admin *admin,
                                            const kfk_abort_transaction_spec *spec,
                                            const kfk_admin_options *options);
/* --- end of admin: transactions and producers ----------------------------------- */

/* --- admin: the cluster's features and quorum ------------------------------------ */
/* The cluster's feature levels (KIP-584: metadata.version,
 * transaction.version, group.version, ...) and its KRaft metadata quorum
 * (KIP-595), as Java Admin's describeFeatures, updateFeatures and
 * describeMetadataQuorum. Calls follow the admin pattern ("admin
 * client"). */

/* Describes the features of the cluster as a broker knows them
 * (ApiVersions, API key 18, v3+): one entry per feature the broker
 * supports or the cluster has finalized, with the finalized level
 * (kfk_admin_result_feature_finalized_level; 0 when not finalized), the
 * range this broker supports (-1 when it does not) and the epoch of the
 * finalized set. No flags. Returns KFK_OK or the call's error (*result
 * NULL). Any application thread. */
KFK_API kfk_err kfk_admin_describe_features(kfk_admin *admin, const kfk_admin_options *options,
                                            kfk_admin_result **result);
KFK_API int16_t kfk_admin_result_feature_finalized_level(const kfk_admin_result *result, size_t i);
KFK_API int16_t kfk_admin_result_feature_supported_min(const kfk_admin_result *result, size_t i);
KFK_API int16_t kfk_admin_result_feature_supported_max(const kfk_admin_result *result, size_t i);
KFK_API int64_t kfk_admin_result_features_epoch(const kfk_admin_result *result, size_t i);

/* How a feature's level may change (UpdateFeatures' upgrade types). */
typedef enum kfk_feature_upgrade_type {
    KFK_FEATURE_UPGRADE = 1,          /* only up */
    KFK_FEATURE_SAFE_DOWNGRADE = 2,   /* down, when no metadata is lost */
    KFK_FEATURE_UNSAFE_DOWNGRADE = 3, /* down, even losing metadata */
} kfk_feature_upgrade_type;

/* A change of one feature's finalized level; 0 removes the feature.
 * Zero-initialize it (reserved must be zero). */
typedef struct kfk_feature_update {
    const char *feature;
    int16_t max_version_level;
    kfk_feature_upgrade_type upgrade_type;
    void *reserved[4]; /* zero */
} kfk_feature_update;

/* Changes the n features' finalized levels (UpdateFeatures, API key 57,
 * v0-2, at the controller): one entry per update, in order, with the
 * controller's verdict (KFK_ERR_INVALID_UPDATE_VERSION for a level the
 * brokers cannot run or a downgrade not allowed, ...; from v2 on the
 * controller answers for all of them at once, so every entry carries
 * that answer). Flags: KFK_ADMIN_VALIDATE_ONLY. Returns as described for
 * the admin client. Any application thread. */
KFK_API kfk_err kfk_admin_update_features(kfk_admin *admin, const kfk_feature_update *updates,
                                          size_t n, const kfk_admin_options *options,
                                          kfk_admin_result **result);

/* A replica of the metadata quorum, as the active controller sees it.
 * kfk makes it and the application reads it through the pointer it is
 * given: fields may be added at its end. */
typedef struct kfk_replica_state {
    int32_t replica_id;
    int64_t log_end_offset;
    int64_t last_fetch_ms;     /* -1: unknown */
    int64_t last_caught_up_ms; /* -1: unknown */
    /* The id of the replica's metadata log directory (KIP-853), which
     * kfk_admin_remove_raft_voter and kfk_admin_add_raft_voter name it
     * by; all zero when unknown (DescribeQuorum before v2, Kafka 3.9). */
    uint8_t directory_id[16];
} kfk_replica_state;

/* An endpoint of a KRaft controller: a listener's name ("CONTROLLER"),
 * host and port (1-65535). As an input, zero-initialize it (reserved must
 * be zero); as an output, kfk makes it and the application reads it
 * through the pointer it is given. */
typedef struct kfk_raft_voter_endpoint {
    const char *name;
    const char *host;
    int port;
    void *reserved[4]; /* zero */
} kfk_raft_voter_endpoint;

/* Describes the KRaft metadata quorum (DescribeQuorum, API key 55, v0-2,
 * which a broker forwards to the active controller): one entry,
 * "__cluster_metadata", with the leader, its epoch, the high watermark,
 * the voters and observers and (v2+) the endpoints of the controllers
 * the leader knows. No flags. Returns KFK_OK or an error
 * (*result NULL unless the entry itself failed). Any application
 * thread. */
KFK_API kfk_err kfk_admin_describe_quorum(kfk_admin *admin, const kfk_admin_options *options,
                                          kfk_admin_result **result);
KFK_API int32_t kfk_admin_result_quorum_leader_id(const kfk_admin_result *result, size_t i);
KFK_API int32_t kfk_admin_result_quorum_leader_epoch(const kfk_admin_result *result, size_t i);
KFK_API int64_t kfk_admin_result_quorum_high_watermark(const kfk_admin_result *result, size_t i);
/* The number of voters (voters true) or observers (false) of entry i, and
 * replica j of them (valid until the result is destroyed); none: 0, NULL. */
KFK_API size_t kfk_admin_result_quorum_replica_count(const kfk_admin_result *result, size_t i,
                                                     bool voters);
KFK_API const kfk_replica_state *kfk_admin_result_quorum_replica(const kfk_admin_result *result,
                                                                 size_t i, bool voters, size_t j);
/* The number of endpoints of controller node_id in entry i, and endpoint
 * k of them (valid until the result is destroyed), as the leader knows
 * them (DescribeQuorum v2+, Kafka 3.9+; a voter's endpoints are the ones
 * kfk_admin_add_raft_voter needs); none: 0, NULL. */
KFK_API size_t kfk_admin_result_quorum_endpoint_count(const kfk_admin_result *result, size_t i,
                                                      int32_t node_id);
KFK_API const kfk_raft_voter_endpoint *
kfk_admin_result_quorum_endpoint(const kfk_admin_result *result, size_t i, int32_t node_id,
                                 size_t k);
/* --- end of admin: the cluster's features and quorum ----------------------------- */

/* --- admin: the quorum's voters and the brokers' registrations ------------------- */
/* Changing the KRaft controller quorum (KIP-853: a dynamic quorum,
 * kraft.version 1) and removing a broker's registration (KIP-631), as
 * Java Admin's addRaftVoter, removeRaftVoter and unregisterBroker. Each
 * acts on one thing and returns its kfk_err only: on failure
 * kfk_admin_last_error names the voter or broker, the error and the
 * broker's message. A broker forwards these requests to the active
 * controller; they need the Alter right on the cluster. Calls follow the
 * admin pattern ("admin client"); none takes flags. */

/* Makes controller voter_id, whose metadata log directory has the 16-byte
 * id directory_id, a voter of the metadata quorum (AddRaftVoter, API key
 * 80, v0-1). endpoints[0..n) are where the other controllers reach it
 * (the quorum's controller listener must be among them). The controller
 * must already run and follow the quorum as an observer, caught up with
 * the leader. cluster_id (NULL: not checked) makes the controller refuse
 * the request unless it is the cluster's id. The call returns once the
 * new voter set is committed. Returns KFK_OK, KFK_ERR_INVALID_ARG, or the
 * controller's error: KFK_ERR_DUPLICATE_VOTER (voter_id already votes),
 * KFK_ERR_REQUEST_TIMED_OUT (another change of the voters is still being
 * committed, the new voter lags or did not answer: try again later),
 * KFK_ERR_UNSUPPORTED_VERSION (a static quorum, kraft.version 0),
 * KFK_ERR_INVALID_REQUEST, KFK_ERR_INCONSISTENT_CLUSTER_ID,
 * KFK_ERR_CLUSTER_AUTHORIZATION_FAILED; or KFK_ERR_TIMED_OUT,
 * KFK_ERR_DESTROYED. Blocks for at most the call's timeout. Any
 * application thread. */
KFK_API kfk_err kfk_admin_add_raft_voter(kfk_admin *admin, const char *cluster_id, int32_t voter_id,
                                         const uint8_t directory_id[16],
                                         const kfk_raft_voter_endpoint *endpoints, size_t n,
                                         const kfk_admin_options *options);

/* Removes voter voter_id, with metadata log directory directory_id (as
 * kfk_admin_describe_quorum reports it), from the voters of the metadata
 * quorum (RemoveRaftVoter, API key 81, v0). The controller keeps running
 * and follows the quorum as an observer; a leader removed resigns once
 * the change is committed. cluster_id as for
 * kfk_admin_add_raft_voter. The call returns once the new voter set is
 * committed. Returns KFK_OK, KFK_ERR_INVALID_ARG, or the controller's
 * error: KFK_ERR_VOTER_NOT_FOUND (no voter with that id and directory),
 * KFK_ERR_REQUEST_TIMED_OUT (another change of the voters is still being
 * committed: try again later), KFK_ERR_UNSUPPORTED_VERSION,
 * KFK_ERR_INCONSISTENT_CLUSTER_ID, KFK_ERR_CLUSTER_AUTHORIZATION_FAILED;
 * or KFK_ERR_TIMED_OUT, KFK_ERR_DESTROYED. Blocks for at most the call's
 * timeout. Any application thread. */
KFK_API kfk_err kfk_admin_remove_raft_voter(kfk_admin *admin, const char *cluster_id,
                                            int32_t voter_id, const uint8_t directory_id[16],
                                            const kfk_admin_options *options);

/* Removes broker broker_id's registration from the cluster metadata
 * (UnregisterBroker, API key 64, v0), as for a broker that is gone for
 * good: it leaves the brokers kfk_admin_describe_cluster lists, and the
 * partitions' in-sync replicas and leaders. A broker still running is not
 * stopped: its heartbeats are refused until it restarts and registers
 * again. REQUEST_TIMED_OUT is tried again, as in Java. Returns KFK_OK,
 * KFK_ERR_INVALID_ARG, or the controller's error:
 * KFK_ERR_BROKER_ID_NOT_REGISTERED (no such broker),
 * KFK_ERR_CLUSTER_AUTHORIZATION_FAILED; or KFK_ERR_TIMED_OUT,
 * KFK_ERR_DESTROYED. Blocks for at most the call's timeout. Any
 * application thread. */
KFK_API kfk_err kfk_admin_unregister_broker(kfk_admin *admin, int32_t broker_id,
                                            const kfk_admin_options *options);
/* --- end of admin: the quorum's voters and the brokers' registrations ------------ */

#ifdef __cplusplus
}
#endif

/* The admin client's calls on groups, and on security and quotas. */
#include "kfk_admin_groups.h"
#include "kfk_admin_security.h"

#endif
