/* kfk_mock: an in-process mock Kafka cluster, for tests, examples and
 * benchmarks that should run without a JVM.
 *
 * kfk_mock_cluster_new(n) starts brokers 1..n, each listening on its own
 * ephemeral 127.0.0.1 port, all served by one background thread running one
 * epoll loop. Clients (kfk itself, kcat, librdkafka, the Java client) talk
 * to it over real loopback sockets with the Kafka protocol: ApiVersions,
 * Metadata, CreateTopics, DeleteTopics, CreatePartitions, Produce, Fetch,
 * ListOffsets, FindCoordinator, InitProducerId, the classic group protocol
 * (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, DescribeGroups, ListGroups),
 * transactions (InitProducerId with a transactional id, AddPartitionsToTxn,
 * AddOffsetsToTxn, EndTxn, TxnOffsetCommit; see "transactions" below),
 * KIP-848's ConsumerGroupHeartbeat (its SubscribedTopicRegex matched with
 * POSIX extended regexes, plus RE2's \d \D \w \W \s \S and a leading
 * (?i); other RE2/J syntax is not understood), OffsetCommit and
 * OffsetFetch, and KIP-932's share groups (ShareGroupHeartbeat,
 * ShareGroupDescribe, ShareFetch, ShareAcknowledge, Describe/Alter/
 * DeleteShareGroupOffsets; see "share groups" below). It keeps record batches in memory, bounded by a retention
 * size, and groups with their committed offsets; a group lives on the
 * broker FindCoordinator names for it (a hash of the group id over the
 * live brokers), the others answer NOT_COORDINATOR.
 *
 * The control functions below set up topics and inject faults (errors,
 * latency, dropped connections, brokers going down, leaders moving).
 *
 * Security: kfk_mock_cluster_new_secure gives every broker's listener one
 * security protocol, as a Kafka listener has: SSL (TLSv1.2 and 1.3 with
 * OpenSSL, optionally requiring client certificates), SASL_PLAINTEXT or
 * SASL_SSL. SASL serves SaslHandshake v0-1 and SaslAuthenticate v0-2 with
 * PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (RFC 5802/7677, credentials kept
 * salted) and OAUTHBEARER with unsecured JWTs (alg "none", as Kafka's
 * unsecured validator), and KIP-368 re-authentication with a session
 * lifetime. Before a connection has authenticated it may send only
 * ApiVersions, SaslHandshake and SaslAuthenticate; anything else closes
 * it, as Kafka does, and so does a failed authentication once its error
 * response is out. Metadata keeps advertising 127.0.0.1:port; plaintext
 * clusters (kfk_mock_cluster_new) neither serve nor advertise the SASL
 * APIs.
 *
 * Threads: every function may be called from any thread, concurrently with
 * the loop and with each other, except kfk_mock_cluster_destroy, which must
 * be the last call on a cluster. Functions whose effect the loop carries
 * out (drop_connections, set_down, partition_set_leader) wait for it to
 * have done so, so that a client's next connect, read or request sees the
 * effect; that wait is one loop iteration. Nothing else blocks beyond a
 * mutex. The mock calls no user code.
 *
 * Versions: each API is served from kfk's lowest version of it up to its
 * newest stable one (what kfk itself implements), narrowed per API by
 * kfk_mock_set_api_version_range. ApiVersions advertises exactly those.
 * A request for any other API, or outside the range, gets its connection
 * closed, as Kafka closes it.
 *
 * Errors: kfk_err values (kfk.h); KFK_ERR_INVALID_ARG for a null cluster,
 * an unknown broker id or a bad argument; Kafka error codes where the mock
 * applies the broker's own rule (kfk_mock_topic_create). */
#ifndef KFK_MOCK_H
#define KFK_MOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kfk.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kfk_mock_cluster kfk_mock_cluster;

/* The most brokers a mock cluster has. */
#define KFK_MOCK_MAX_BROKERS 64

/* Starts a cluster of n_brokers (1..KFK_MOCK_MAX_BROKERS) brokers with ids
 * 1..n_brokers and its loop thread. The caller owns the result and frees it
 * with kfk_mock_cluster_destroy. Returns NULL when n_brokers is out of
 * range or sockets, memory or the thread cannot be had. */
KFK_API kfk_mock_cluster *kfk_mock_cluster_new(int n_brokers);

/* The security of a cluster's listeners, for kfk_mock_cluster_new_secure.
 * Strings are NUL-terminated; new_secure copies what it needs.
 *
 * Growth: reserved is room for fields a later version adds, without an
 * ABI break; a zero in a later field will mean its default. Initialize
 * the struct so the words are zero (kfk_mock_security sec = {.protocol =
 * ...}, or memset): kfk_mock_cluster_new_secure refuses one whose
 * reserved words are not all zero, so that they can be given meaning
 * later. */
typedef struct kfk_mock_security {
    const char *protocol;        /* "PLAINTEXT" (NULL too), "SSL", "SASL_PLAINTEXT", "SASL_SSL" */
    const char *cert_pem;        /* SSL listeners: the server certificate chain, PEM text */
    const char *key_pem;         /* its private key, PEM text (unencrypted) */
    const char *client_ca_pem;   /* non-NULL: TLS requires a client certificate this CA signed */
    const char *sasl_mechanisms; /* comma list of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512,
                                    OAUTHBEARER; NULL: all four */
    int session_lifetime_ms;     /* > 0: KIP-368 session lifetime (connections.max.reauth.ms) */
    void *reserved[4];           /* zero */
} kfk_mock_security;

/* As kfk_mock_cluster_new, with every broker listening with sec's security
 * protocol (sec NULL: PLAINTEXT). TLS listeners present cert_pem and
 * key_pem and, with client_ca_pem, refuse the handshake of a client
 * without a certificate that CA signed (mTLS; the connection's principal
 * is then "User:" and the subject in RFC 2253 form, "User:CN=kfk-client").
 * SASL listeners enable sasl_mechanisms, answer a SaslHandshake for
 * another one with UNSUPPORTED_SASL_MECHANISM (and close), and know the
 * users added with kfk_mock_user_add; OAUTHBEARER takes any unexpired
 * unsecured JWT ("sub" is the principal). With session_lifetime_ms > 0,
 * SaslAuthenticate v1+ answers carry it (for OAUTHBEARER at most the
 * token's remaining lifetime), and a connection whose session has expired
 * is closed when it sends any request but SaslHandshake and
 * SaslAuthenticate; re-authenticating (same mechanism and principal)
 * starts a new session. sec and its strings stay the caller's. Returns
 * NULL as kfk_mock_cluster_new does, and also for an unknown protocol or
 * mechanism, a TLS protocol without cert_pem and key_pem, PEM text
 * OpenSSL cannot load, a key that does not match the certificate,
 * client_ca_pem on a protocol without TLS, or reserved words that are not
 * all zero. */
KFK_API kfk_mock_cluster *kfk_mock_cluster_new_secure(int n_brokers, const kfk_mock_security *sec);

/* Stops the loop thread, closes every listener and client connection
 * (clients see their connections close) and frees everything. Requests in
 * flight get no answer. Blocks until the thread has exited (one loop
 * iteration). mc may be NULL. No other call on mc may run concurrently or
 * follow. */
KFK_API void kfk_mock_cluster_destroy(kfk_mock_cluster *mc);

/* "127.0.0.1:P1,127.0.0.1:P2,..." in broker id order; owned by mc, valid
 * until destroy. */
KFK_API const char *kfk_mock_cluster_bootstrap(const kfk_mock_cluster *mc);

/* The port broker_id listens on (also while down: it comes back up on the
 * same port), or -1 for an unknown broker. */
KFK_API int kfk_mock_broker_port(const kfk_mock_cluster *mc, int32_t broker_id);

/* ----------------------------------------------------------------- topics */

/* Creates a topic as CreateTopics would: partitions > 0 (-1: the default,
 * 1), replication_factor 1..n_brokers (-1: the default, min(n_brokers, 3)).
 * Leaders are spread round-robin over the brokers, replicas follow their
 * leader. name is copied. Returns KFK_OK, KFK_ERR_INVALID_TOPIC_EXCEPTION,
 * KFK_ERR_TOPIC_ALREADY_EXISTS, KFK_ERR_INVALID_PARTITIONS,
 * KFK_ERR_INVALID_REPLICATION_FACTOR or KFK_ERR_NO_MEMORY. */
KFK_API kfk_err kfk_mock_topic_create(kfk_mock_cluster *mc, const char *name, int32_t partitions,
                                      int16_t replication_factor);

/* Deletes a topic and its data. KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION when it
 * does not exist. */
KFK_API kfk_err kfk_mock_topic_delete(kfk_mock_cluster *mc, const char *name);

/* Reads a partition's log start offset and high watermark (either pointer
 * may be NULL). KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION for a partition that
 * does not exist. */
KFK_API kfk_err kfk_mock_partition_offsets(kfk_mock_cluster *mc, const char *topic,
                                           int32_t partition, int64_t *log_start_offset,
                                           int64_t *high_watermark);

/* Moves a partition's leadership to broker_id (which becomes a replica if
 * it was not one) and bumps the leader epoch. Requests for the partition
 * to the old leader then get NOT_LEADER_OR_FOLLOWER, with the new leader
 * and its endpoint as KIP-951 hints where the response has room for them
 * (Produce v10+, Fetch v12+/v16+), and fetches parked on the old leader
 * return at once. */
KFK_API kfk_err kfk_mock_partition_set_leader(kfk_mock_cluster *mc, const char *topic,
                                              int32_t partition, int32_t broker_id);

/* Truncates a partition's log at offset (where a batch starts, or the
 * end) and bumps the leader epoch, as an unclean leader election does
 * when the new leader had less of the log: records from offset on are
 * gone, and a consumer that fetched them learns it from its next Fetch
 * (KIP-320: v12+ with the last fetched epoch gets the diverging epoch).
 * KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION, or KFK_ERR_INVALID_ARG for an
 * offset outside the log or inside a batch. */
KFK_API kfk_err kfk_mock_partition_truncate(kfk_mock_cluster *mc, const char *topic,
                                            int32_t partition, int64_t offset);

/* Puts broker_id in rack (copied; NULL or "": none; at most 63 bytes), for
 * KIP-392 fetch from follower as Kafka's RackAwareReplicaSelector does it:
 * a partition's leader asked by a consumer whose client.rack (Fetch v11+)
 * is a rack the leader is not in, but another live replica is, answers
 * with that replica as the preferred read replica and no records, and
 * that replica serves the consumer's fetches. Metadata does not list
 * racks. */
KFK_API kfk_err kfk_mock_broker_set_rack(kfk_mock_cluster *mc, int32_t broker_id, const char *rack);

/* Lets Metadata requests with allow_auto_topic_creation create unknown
 * topics with `partitions` partitions (Kafka's auto.create.topics.enable,
 * off by default in the mock). */
KFK_API kfk_err kfk_mock_set_auto_create_topics(kfk_mock_cluster *mc, bool enable,
                                                int32_t partitions);

/* Bounds the bytes of record batches the whole cluster keeps (default
 * 256 MiB). Past it, an append drops the oldest batches of the partition
 * it appends to, advancing that partition's log start offset as retention
 * would; the newest batch of a partition is always kept. */
KFK_API kfk_err kfk_mock_set_retention_bytes(kfk_mock_cluster *mc, size_t bytes);

/* Whether Produce checks each batch's CRC (default true). Off, the mock
 * does no work proportional to the data it stores, for throughput runs. */
KFK_API kfk_err kfk_mock_set_check_crcs(kfk_mock_cluster *mc, bool check);

/* The next InitProducerId without a transactional id hands out its new
 * producer id at epoch instead of 0 (Kafka always starts at 0), once;
 * later ones start at 0 again. For tests that must reach an exhausted
 * epoch (Short.MAX_VALUE, 32767) without 32767 bumps. KFK_ERR_INVALID_ARG
 * for a negative epoch. */
KFK_API kfk_err kfk_mock_set_next_producer_epoch(kfk_mock_cluster *mc, int16_t epoch);

/* ----------------------------------------------------------- transactions */

/* A transactional id lives on the broker FindCoordinator (key type 1)
 * names for it, a hash of the id over the live brokers; the others answer
 * NOT_COORDINATOR. InitProducerId gives it a stable producer id and bumps
 * the epoch on every call, fencing older producers (PRODUCER_FENCED, or
 * INVALID_PRODUCER_EPOCH for clients too old to know it), and aborts an
 * open transaction of the old producer (answering CONCURRENT_TRANSACTIONS
 * once, which clients retry). A transaction open longer than its
 * transaction_timeout_ms is aborted by the coordinator with a bumped
 * epoch. Ending one writes COMMIT or ABORT control batches into all its
 * partitions at once; a partition's last stable offset is the first
 * offset of its oldest open transaction, and read_committed Fetch and
 * ListOffsets stop there, Fetch listing the aborted transactions of the
 * range. TxnOffsetCommit offsets become committed with the transaction;
 * OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT while
 * they are pending. */

/* The finalized transaction.version (KIP-890) the brokers advertise in
 * ApiVersions: 2 (the default, as a new Kafka 4.3 cluster) lets a
 * transactional Produce v12+ add its partition to the transaction
 * implicitly, and TxnOffsetCommit v5+ its group; with 0 or 1 such a
 * Produce to a partition not added with AddPartitionsToTxn fails with
 * INVALID_TXN_STATE (TRANSACTION_ABORTABLE from v11), as does such a
 * TxnOffsetCommit without AddOffsetsToTxn. EndTxn v5 follows
 * transaction version 2 either way (it bumps the epoch), as Kafka decides
 * by the request's version. KFK_ERR_INVALID_ARG outside 0..2. */
KFK_API kfk_err kfk_mock_set_transaction_version(kfk_mock_cluster *mc, int16_t version);

/* The largest transaction_timeout_ms InitProducerId accepts
 * (transaction.max.timeout.ms, default 900000); above it, or not
 * positive, is INVALID_TRANSACTION_TIMEOUT. KFK_ERR_INVALID_ARG for
 * max_ms <= 0. */
KFK_API kfk_err kfk_mock_set_transaction_max_timeout(kfk_mock_cluster *mc, int max_ms);

/* Delays the markers of every transaction end (EndTxn, and the
 * coordinator's own aborts) by delay_ms (0, the default: none), as
 * WriteTxnMarkers to slow partition leaders would: meanwhile the
 * transaction is PrepareCommit/PrepareAbort, its partitions' last stable
 * offsets stay where they were, and the coordinator answers
 * InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn and the same
 * EndTxn again with CONCURRENT_TRANSACTIONS (TxnOffsetCommit too; a
 * transactional Produce gets NOT_ENOUGH_REPLICAS, Kafka's translation
 * for producers). Applies to ends that start after the call.
 * KFK_ERR_INVALID_ARG for a negative delay. */
KFK_API kfk_err kfk_mock_set_txn_marker_delay(kfk_mock_cluster *mc, int delay_ms);

/* Sets the most partitions one DescribeTopicPartitions answer describes
 * (Kafka's max.request.partition.size.limit, 2000 by default); a client
 * asks for the rest with the cursor the answer ends with. Returns
 * KFK_ERR_INVALID_ARG for a NULL mc or a limit < 1. */
KFK_API kfk_err kfk_mock_set_partition_page_limit(kfk_mock_cluster *mc, int32_t limit);

/* The broker that is the transaction coordinator of transactional_id now,
 * or -1 (a bad argument, or every broker down). Take it down with
 * kfk_mock_broker_set_down to make the coordinator unavailable: the
 * transaction state survives and moves to another broker, as
 * __transaction_state's partition leadership would. */
KFK_API int32_t kfk_mock_txn_coordinator(kfk_mock_cluster *mc, const char *transactional_id);

/* ----------------------------------------------------------------- groups */

/* The session timeouts classic JoinGroup accepts, as the broker's
 * group.min.session.timeout.ms and group.max.session.timeout.ms (default
 * 6000 and 1800000); outside them JoinGroup fails with
 * INVALID_SESSION_TIMEOUT. Lower the minimum for tests with short
 * sessions. KFK_ERR_INVALID_ARG unless 0 < min_ms <= max_ms. */
KFK_API kfk_err kfk_mock_set_group_session_timeouts(kfk_mock_cluster *mc, int min_ms, int max_ms);

/* The session timeout and heartbeat interval of KIP-848 consumer groups
 * (group.consumer.session.timeout.ms, default 45000, and
 * group.consumer.heartbeat.interval.ms, default 5000). KFK_ERR_INVALID_ARG
 * unless 0 < heartbeat_ms < session_ms. */
KFK_API kfk_err kfk_mock_set_consumer_group_timeouts(kfk_mock_cluster *mc, int session_ms,
                                                     int heartbeat_ms);

/* ---------------------------------------------------- share groups (KIP-932) */

/* The mock serves share groups: ShareGroupHeartbeat, ShareGroupDescribe,
 * ShareFetch, ShareAcknowledge and the share-group offset APIs, and
 * finalizes share.version 1 as a new Kafka 4.3 cluster does. These set the broker and group
 * configs they follow, for the whole cluster; each may be called at any
 * time from any thread and takes effect from the next request (a lock
 * already held keeps its deadline). Each returns KFK_OK, or
 * KFK_ERR_INVALID_ARG (mc NULL, or a value out of range, changing
 * nothing). */

/* group.share.record.lock.duration.ms (default 30000): how long a member
 * holds records it acquired before they are delivered again. Any ms > 0,
 * so that tests can let a lock pass quickly. */
KFK_API kfk_err kfk_mock_set_share_record_lock_duration(kfk_mock_cluster *mc, int ms);

/* group.share.delivery.count.limit (default 5; 2 to 10, as the broker
 * allows): a record released or timed out after that many deliveries is
 * archived, never delivered again. */
KFK_API kfk_err kfk_mock_set_share_delivery_count_limit(kfk_mock_cluster *mc, int limit);

/* group.share.session.timeout.ms (default 45000) and
 * group.share.heartbeat.interval.ms (default 5000). Needs
 * 0 < heartbeat_ms < session_ms. */
KFK_API kfk_err kfk_mock_set_share_group_timeouts(kfk_mock_cluster *mc, int session_ms,
                                                  int heartbeat_ms);

/* share.auto.offset.reset of every share group: "latest" (the default: a
 * group reads what is produced after it first got a partition) or
 * "earliest" (from the log's start). Applies to partitions a group gets
 * after the call. A group's own share.auto.offset.reset (and
 * share.record.lock.duration.ms), set with IncrementalAlterConfigs on its
 * GROUP resource, takes precedence over these cluster settings. */
KFK_API kfk_err kfk_mock_set_share_auto_offset_reset(kfk_mock_cluster *mc, const char *reset);

/* ------------------------------------------------------- fault injection */

/* The Kafka API keys the mock serves, for the api_key arguments below
 * (their values are the protocol's). KFK_MOCK_API_ANY counts requests of
 * every API in kfk_mock_request_count and kfk_mock_broker_request_count. */
typedef enum kfk_mock_api {
    KFK_MOCK_API_ANY = -1,
    KFK_MOCK_API_PRODUCE = 0,
    KFK_MOCK_API_FETCH = 1,
    KFK_MOCK_API_LIST_OFFSETS = 2,
    KFK_MOCK_API_METADATA = 3,
    KFK_MOCK_API_OFFSET_COMMIT = 8,
    KFK_MOCK_API_OFFSET_FETCH = 9,
    KFK_MOCK_API_FIND_COORDINATOR = 10,
    KFK_MOCK_API_JOIN_GROUP = 11,
    KFK_MOCK_API_HEARTBEAT = 12,
    KFK_MOCK_API_LEAVE_GROUP = 13,
    KFK_MOCK_API_SYNC_GROUP = 14,
    KFK_MOCK_API_DESCRIBE_GROUPS = 15,
    KFK_MOCK_API_LIST_GROUPS = 16,
    KFK_MOCK_API_SASL_HANDSHAKE = 17,
    KFK_MOCK_API_API_VERSIONS = 18,
    KFK_MOCK_API_CREATE_TOPICS = 19,
    KFK_MOCK_API_DELETE_TOPICS = 20,
    KFK_MOCK_API_DELETE_RECORDS = 21,
    KFK_MOCK_API_INIT_PRODUCER_ID = 22,
    KFK_MOCK_API_ADD_PARTITIONS_TO_TXN = 24,
    KFK_MOCK_API_ADD_OFFSETS_TO_TXN = 25,
    KFK_MOCK_API_END_TXN = 26,
    KFK_MOCK_API_WRITE_TXN_MARKERS = 27,
    KFK_MOCK_API_TXN_OFFSET_COMMIT = 28,
    KFK_MOCK_API_DESCRIBE_ACLS = 29,
    KFK_MOCK_API_CREATE_ACLS = 30,
    KFK_MOCK_API_DELETE_ACLS = 31,
    KFK_MOCK_API_DESCRIBE_CONFIGS = 32,
    KFK_MOCK_API_ALTER_CONFIGS = 33,
    KFK_MOCK_API_SASL_AUTHENTICATE = 36,
    KFK_MOCK_API_CREATE_PARTITIONS = 37,
    KFK_MOCK_API_DELETE_GROUPS = 42,
    KFK_MOCK_API_ELECT_LEADERS = 43,
    KFK_MOCK_API_INCREMENTAL_ALTER_CONFIGS = 44,
    KFK_MOCK_API_LIST_PARTITION_REASSIGNMENTS = 46,
    KFK_MOCK_API_OFFSET_DELETE = 47,
    KFK_MOCK_API_DESCRIBE_QUORUM = 55,
    KFK_MOCK_API_UPDATE_FEATURES = 57,
    KFK_MOCK_API_DESCRIBE_CLUSTER = 60,
    KFK_MOCK_API_DESCRIBE_PRODUCERS = 61,
    KFK_MOCK_API_DESCRIBE_TRANSACTIONS = 65,
    KFK_MOCK_API_LIST_TRANSACTIONS = 66,
    KFK_MOCK_API_CONSUMER_GROUP_HEARTBEAT = 68,
    KFK_MOCK_API_CONSUMER_GROUP_DESCRIBE = 69,
    KFK_MOCK_API_LIST_CONFIG_RESOURCES = 74,
    KFK_MOCK_API_DESCRIBE_TOPIC_PARTITIONS = 75,
    KFK_MOCK_API_SHARE_GROUP_HEARTBEAT = 76,
    KFK_MOCK_API_SHARE_GROUP_DESCRIBE = 77,
    KFK_MOCK_API_SHARE_FETCH = 78,
    KFK_MOCK_API_SHARE_ACKNOWLEDGE = 79,
    KFK_MOCK_API_DESCRIBE_SHARE_GROUP_OFFSETS = 90,
    KFK_MOCK_API_ALTER_SHARE_GROUP_OFFSETS = 91,
    KFK_MOCK_API_DELETE_SHARE_GROUP_OFFSETS = 92,
} kfk_mock_api;

/* The next n requests of API api_key (a kfk_mock_api; to any broker) get
 * err instead of being carried out: the response carries err in every
 * partition-level error field (Produce, Fetch, ListOffsets), in every
 * topic-level one (Metadata, CreateTopics, DeleteTopics, CreatePartitions),
 * in every coordinator's (FindCoordinator v4+), in every group's (DescribeGroups,
 * ConsumerGroupDescribe, DeleteGroups, OffsetFetch v8+), in every partition's (OffsetCommit,
 * OffsetFetch v1), in every partition's (AddPartitionsToTxn v0-3, TxnOffsetCommit), or in the
 * top-level error code (ApiVersions, InitProducerId, AddPartitionsToTxn v4+, AddOffsetsToTxn,
 * EndTxn, FindCoordinator v0-3, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, ListGroups,
 * ConsumerGroupHeartbeat, OffsetFetch v2-7, OffsetDelete; Fetch for the session errors
 * FETCH_SESSION_ID_NOT_FOUND and INVALID_FETCH_SESSION_EPOCH). Two client-side codes act instead of
 * answering: KFK_ERR_TRANSPORT closes the connection, KFK_ERR_TIMED_OUT sends no response at all.
 * Pushes queue up behind earlier ones of the same API. n 0 (or over INT_MAX) or an API the mock
 * does not implement: KFK_ERR_INVALID_ARG. */
KFK_API kfk_err kfk_mock_push_errors(kfk_mock_cluster *mc, int16_t api_key, size_t n, kfk_err err);

/* The same for requests to one broker only; these are used before the
 * cluster-wide ones. */
KFK_API kfk_err kfk_mock_broker_push_errors(kfk_mock_cluster *mc, int32_t broker_id,
                                            int16_t api_key, size_t n, kfk_err err);

/* Forgets every pushed error not yet used. */
KFK_API void kfk_mock_clear_errors(kfk_mock_cluster *mc);

/* Delays every response of broker_id by rtt_ms (0: none) after its request
 * arrived; responses on a connection still go out in order. */
KFK_API kfk_err kfk_mock_broker_set_rtt(kfk_mock_cluster *mc, int32_t broker_id, int rtt_ms);

/* Quota throttling (KIP-219): every later response of broker_id that has
 * a throttle_time_ms field (Fetch excepted) carries throttle_ms, which
 * tells the client to send nothing more on that connection for so long;
 * 0 stops. The mock still answers at once and does not mute the
 * connection itself. */
KFK_API kfk_err kfk_mock_broker_set_throttle(kfk_mock_cluster *mc, int32_t broker_id,
                                             int throttle_ms);

/* Closes every client connection of broker_id now; new ones are accepted. */
KFK_API kfk_err kfk_mock_broker_drop_connections(kfk_mock_cluster *mc, int32_t broker_id);

/* Takes broker_id down (its connections close, its port refuses new ones,
 * Metadata stops listing it, partitions it leads move to another live
 * replica or have no leader) or brings it back up on the same port.
 * KFK_ERR_TRANSPORT when the port cannot be bound again. */
KFK_API kfk_err kfk_mock_broker_set_down(kfk_mock_cluster *mc, int32_t broker_id, bool down);

/* Narrows the versions of api_key the brokers serve and advertise in
 * ApiVersions to [min_version, max_version] within what the mock
 * implements, to emulate an older broker. A request outside the range gets
 * its connection closed, as Kafka does (ApiVersions: the v0 error
 * response). max_version < 0 stops serving the API altogether.
 * KFK_ERR_INVALID_ARG for an API the mock does not implement or an empty
 * intersection. */
KFK_API kfk_err kfk_mock_set_api_version_range(kfk_mock_cluster *mc, int16_t api_key,
                                               int16_t min_version, int16_t max_version);

/* How many requests of api_key (KFK_MOCK_API_ANY: of any API) the
 * cluster, or one broker, has received since it started or the counts were reset, including those
 * that got injected errors and unsupported versions. -1 for a bad
 * argument. */
KFK_API int64_t kfk_mock_request_count(kfk_mock_cluster *mc, int16_t api_key);
KFK_API int64_t kfk_mock_broker_request_count(kfk_mock_cluster *mc, int32_t broker_id,
                                              int16_t api_key);
KFK_API void kfk_mock_reset_request_counts(kfk_mock_cluster *mc);

/* --------------------------------------------------------------- security */

/* Adds a user (or sets its password again) for mechanism "PLAIN",
 * "SCRAM-SHA-256" or "SCRAM-SHA-512"; users of one mechanism are unknown
 * to the others, as Kafka keeps SCRAM credentials per mechanism. SCRAM
 * users are kept only as salted credentials (a random salt, 4096
 * iterations), never the password. user and password are copied.
 * KFK_ERR_INVALID_ARG for a NULL argument, an empty user or another
 * mechanism; KFK_ERR_NO_MEMORY. Works on any cluster; only SASL listeners
 * use the users. */
KFK_API kfk_err kfk_mock_user_add(kfk_mock_cluster *mc, const char *mechanism, const char *user,
                                  const char *password);

/* The next n TLS handshakes (on any broker) fail: the server aborts each
 * with a handshake_failure alert after the ClientHello and closes the
 * connection. Replaces the count of an earlier call; n 0 forgets the
 * failures not yet used. Nothing on a listener without TLS. */
KFK_API void kfk_mock_fail_handshakes(kfk_mock_cluster *mc, size_t n);

/* The next n SaslAuthenticate requests (on any broker) answer
 * SASL_AUTHENTICATION_FAILED with Kafka's error message for invalid
 * credentials, whatever they carry, and the connection closes as after
 * any failed authentication. Replaces the count of an earlier call; n 0
 * forgets the failures not yet used. */
KFK_API void kfk_mock_fail_authentications(kfk_mock_cluster *mc, size_t n);

/* How many SASL authentications, re-authentications included, have
 * succeeded on the cluster since it started; -1 for a NULL cluster. */
KFK_API int64_t kfk_mock_authentications(kfk_mock_cluster *mc);

/* Copies the principal of the connection that authenticated last (SASL,
 * or the TLS handshake of an SSL listener) into buf, NUL-terminated and
 * truncated to size: "User:alice", "User:CN=kfk-client", or
 * "User:ANONYMOUS" for an SSL listener without client certificates; ""
 * when none has yet. KFK_ERR_INVALID_ARG for a NULL cluster or buffer or
 * size 0. */
KFK_API kfk_err kfk_mock_last_principal(kfk_mock_cluster *mc, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
