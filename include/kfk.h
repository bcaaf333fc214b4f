/* kfk: a C11 client library for Apache Kafka.
 *
 * The whole public API is this one header (with kfk_observe.h, statistics
 * read on demand and interceptors, and kfk_admin.h, the admin client's
 * part, which it includes). Handles are opaque; every
 * function says who owns the pointers it takes and returns, what it returns
 * on error, whether it blocks, and which threads may call it.
 *
 * fork(): a child process may create and use handles of its own. The
 * parent's handles are the parent's: their threads did not come along,
 * so in the child kfk_produce, the flushes, polls and closes refuse them
 * at once (KFK_ERR_STATE, -1, NULL or 0) and destroy returns without
 * touching them; the parent's handles go on working in the parent.
 *
 * Memory: kfk allocates with malloc and frees what it allocated itself;
 * what it returns has its own destroy or release call, and nothing is
 * freed with libc's free(). There are no allocator hooks: the libraries kfk
 * uses (OpenSSL, zlib, zstd, lz4, cyrus-sasl, the resolver) allocate with
 * malloc themselves, so hooks would govern only part of the memory, and
 * an interposed malloc (jemalloc, tcmalloc) governs all of it. */
#ifndef KFK_H
#define KFK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define KFK_API __attribute__((visibility("default")))
#else
#define KFK_API
#endif

#define KFK_VERSION_MAJOR 0
#define KFK_VERSION_MINOR 1
#define KFK_VERSION_PATCH 0
/* The same version as text, "MAJOR.MINOR.PATCH". */
#define KFK_VERSION_STR                                                                            \
    KFK_STRINGIFY_(KFK_VERSION_MAJOR)                                                              \
    "." KFK_STRINGIFY_(KFK_VERSION_MINOR) "." KFK_STRINGIFY_(KFK_VERSION_PATCH)
#define KFK_STRINGIFY_(x) KFK_STRINGIFY2_(x)
#define KFK_STRINGIFY2_(x) #x

/* The library's version as MAJOR*10000 + MINOR*100 + PATCH; compare with the
 * KFK_VERSION_* macros to detect a header/library mismatch. Any thread. */
KFK_API int kfk_version(void);
/* The library's version as text ("0.1.0"); a static string. Any thread. */
KFK_API const char *kfk_version_str(void);

/* --- errors (kfk_err) ---------------------------------------------------- */
/* Every fallible call returns a kfk_err. 0 is success. Values >= -1 other
 * than 0 are the Kafka protocol's own error codes, as a broker returns them
 * (-1 is the protocol's UNKNOWN_SERVER_ERROR). Client-side errors are
 * -100 and below. kfk_err_str() names any of them. */
typedef enum kfk_err {
    KFK_OK = 0,

    /* client-side errors */
    KFK_ERR_NO_MEMORY = -100,         /* an allocation failed */
    KFK_ERR_INVALID_ARG = -101,       /* a caller passed a bad argument */
    KFK_ERR_MALFORMED = -102,         /* bytes from the network do not parse */
    KFK_ERR_CRC = -103,               /* a record batch failed its CRC check */
    KFK_ERR_COMPRESSION = -104,       /* compressing or decompressing failed */
    KFK_ERR_UNSUPPORTED = -105,       /* a feature, codec or format we lack */
    KFK_ERR_TOO_LARGE = -106,         /* data exceeds a configured limit */
    KFK_ERR_TIMED_OUT = -107,         /* the operation's deadline passed */
    KFK_ERR_TRANSPORT = -108,         /* connection failed or closed */
    KFK_ERR_NO_COMMON_VERSION = -109, /* no API version both sides speak */
    KFK_ERR_STATE = -110,             /* the call is not valid in this state */
    KFK_ERR_CONFIG = -111,            /* a configuration value is invalid */
    KFK_ERR_QUEUE_FULL = -112,        /* the producer's buffer is full */
    KFK_ERR_PURGED = -113,            /* a record was purged before it was sent */
    KFK_ERR_DESTROYED = -114,         /* the handle is being destroyed */
    KFK_ERR_FATAL = -115,             /* the handle hit a fatal error; destroy it */
    KFK_ERR_NO_BROKERS = -116,        /* no broker could be reached */
    KFK_ERR_AUTH = -117,              /* authentication (SASL) failed */
    KFK_ERR_TLS = -118,               /* the TLS handshake or a certificate failed */
    KFK_ERR_RESOLVE = -119,           /* a broker's host name did not resolve */
    KFK_ERR_PARTITION_EOF = -120,     /* the consumer reached a partition's end */
    KFK_ERR_NO_OFFSET = -121,         /* no committed offset and no reset policy */
    KFK_ERR_TXN_ABORTED = -122,       /* the record's transaction was aborted first */

    /* broker errors: the Kafka protocol's codes as of Apache Kafka 4.3
     * (org.apache.kafka.common.protocol.Errors); kfk_err_str() describes
     * them. */
    KFK_ERR_UNKNOWN_SERVER_ERROR = -1,
    KFK_ERR_OFFSET_OUT_OF_RANGE = 1,
    KFK_ERR_CORRUPT_MESSAGE = 2,
    KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION = 3,
    KFK_ERR_INVALID_FETCH_SIZE = 4,
    KFK_ERR_LEADER_NOT_AVAILABLE = 5,
    KFK_ERR_NOT_LEADER_OR_FOLLOWER = 6,
    KFK_ERR_REQUEST_TIMED_OUT = 7,
    KFK_ERR_BROKER_NOT_AVAILABLE = 8,
    KFK_ERR_REPLICA_NOT_AVAILABLE = 9,
    KFK_ERR_MESSAGE_TOO_LARGE = 10,
    KFK_ERR_STALE_CONTROLLER_EPOCH = 11,
    KFK_ERR_OFFSET_METADATA_TOO_LARGE = 12,
    KFK_ERR_NETWORK_EXCEPTION = 13,
    KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS = 14,
    KFK_ERR_COORDINATOR_NOT_AVAILABLE = 15,
    KFK_ERR_NOT_COORDINATOR = 16,
    KFK_ERR_INVALID_TOPIC_EXCEPTION = 17,
    KFK_ERR_RECORD_LIST_TOO_LARGE = 18,
    KFK_ERR_NOT_ENOUGH_REPLICAS = 19,
    KFK_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20,
    KFK_ERR_INVALID_REQUIRED_ACKS = 21,
    KFK_ERR_ILLEGAL_GENERATION = 22,
    KFK_ERR_INCONSISTENT_GROUP_PROTOCOL = 23,
    KFK_ERR_INVALID_GROUP_ID = 24,
    KFK_ERR_UNKNOWN_MEMBER_ID = 25,
    KFK_ERR_INVALID_SESSION_TIMEOUT = 26,
    KFK_ERR_REBALANCE_IN_PROGRESS = 27,
    KFK_ERR_INVALID_COMMIT_OFFSET_SIZE = 28,
    KFK_ERR_TOPIC_AUTHORIZATION_FAILED = 29,
    KFK_ERR_GROUP_AUTHORIZATION_FAILED = 30,
    KFK_ERR_CLUSTER_AUTHORIZATION_FAILED = 31,
    KFK_ERR_INVALID_TIMESTAMP = 32,
    KFK_ERR_UNSUPPORTED_SASL_MECHANISM = 33,
    KFK_ERR_ILLEGAL_SASL_STATE = 34,
    KFK_ERR_UNSUPPORTED_VERSION = 35,
    KFK_ERR_TOPIC_ALREADY_EXISTS = 36,
    KFK_ERR_INVALID_PARTITIONS = 37,
    KFK_ERR_INVALID_REPLICATION_FACTOR = 38,
    KFK_ERR_INVALID_REPLICA_ASSIGNMENT = 39,
    KFK_ERR_INVALID_CONFIG = 40,
    KFK_ERR_NOT_CONTROLLER = 41,
    KFK_ERR_INVALID_REQUEST = 42,
    KFK_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT = 43,
    KFK_ERR_POLICY_VIOLATION = 44,
    KFK_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER = 45,
    KFK_ERR_DUPLICATE_SEQUENCE_NUMBER = 46,
    KFK_ERR_INVALID_PRODUCER_EPOCH = 47,
    KFK_ERR_INVALID_TXN_STATE = 48,
    KFK_ERR_INVALID_PRODUCER_ID_MAPPING = 49,
    KFK_ERR_INVALID_TRANSACTION_TIMEOUT = 50,
    KFK_ERR_CONCURRENT_TRANSACTIONS = 51,
    KFK_ERR_TRANSACTION_COORDINATOR_FENCED = 52,
    KFK_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53,
    KFK_ERR_SECURITY_DISABLED = 54,
    KFK_ERR_OPERATION_NOT_ATTEMPTED = 55,
    KFK_ERR_KAFKA_STORAGE_ERROR = 56,
    KFK_ERR_LOG_DIR_NOT_FOUND = 57,
    KFK_ERR_SASL_AUTHENTICATION_FAILED = 58,
    KFK_ERR_UNKNOWN_PRODUCER_ID = 59,
    KFK_ERR_REASSIGNMENT_IN_PROGRESS = 60,
    KFK_ERR_DELEGATION_TOKEN_AUTH_DISABLED = 61,
    KFK_ERR_DELEGATION_TOKEN_NOT_FOUND = 62,
    KFK_ERR_DELEGATION_TOKEN_OWNER_MISMATCH = 63,
    KFK_ERR_DELEGATION_TOKEN_REQUEST_NOT_ALLOWED = 64,
    KFK_ERR_DELEGATION_TOKEN_AUTHORIZATION_FAILED = 65,
    KFK_ERR_DELEGATION_TOKEN_EXPIRED = 66,
    KFK_ERR_INVALID_PRINCIPAL_TYPE = 67,
    KFK_ERR_NON_EMPTY_GROUP = 68,
    KFK_ERR_GROUP_ID_NOT_FOUND = 69,
    KFK_ERR_FETCH_SESSION_ID_NOT_FOUND = 70,
    KFK_ERR_INVALID_FETCH_SESSION_EPOCH = 71,
    KFK_ERR_LISTENER_NOT_FOUND = 72,
    KFK_ERR_TOPIC_DELETION_DISABLED = 73,
    KFK_ERR_FENCED_LEADER_EPOCH = 74,
    KFK_ERR_UNKNOWN_LEADER_EPOCH = 75,
    KFK_ERR_UNSUPPORTED_COMPRESSION_TYPE = 76,
    KFK_ERR_STALE_BROKER_EPOCH = 77,
    KFK_ERR_OFFSET_NOT_AVAILABLE = 78,
    KFK_ERR_MEMBER_ID_REQUIRED = 79,
    KFK_ERR_PREFERRED_LEADER_NOT_AVAILABLE = 80,
    KFK_ERR_GROUP_MAX_SIZE_REACHED = 81,
    KFK_ERR_FENCED_INSTANCE_ID = 82,
    KFK_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE = 83,
    KFK_ERR_ELECTION_NOT_NEEDED = 84,
    KFK_ERR_NO_REASSIGNMENT_IN_PROGRESS = 85,
    KFK_ERR_GROUP_SUBSCRIBED_TO_TOPIC = 86,
    KFK_ERR_INVALID_RECORD = 87,
    KFK_ERR_UNSTABLE_OFFSET_COMMIT = 88,
    KFK_ERR_THROTTLING_QUOTA_EXCEEDED = 89,
    KFK_ERR_PRODUCER_FENCED = 90,
    KFK_ERR_RESOURCE_NOT_FOUND = 91,
    KFK_ERR_DUPLICATE_RESOURCE = 92,
    KFK_ERR_UNACCEPTABLE_CREDENTIAL = 93,
    KFK_ERR_INCONSISTENT_VOTER_SET = 94,
    KFK_ERR_INVALID_UPDATE_VERSION = 95,
    KFK_ERR_FEATURE_UPDATE_FAILED = 96,
    KFK_ERR_PRINCIPAL_DESERIALIZATION_FAILURE = 97,
    KFK_ERR_SNAPSHOT_NOT_FOUND = 98,
    KFK_ERR_POSITION_OUT_OF_RANGE = 99,
    KFK_ERR_UNKNOWN_TOPIC_ID = 100,
    KFK_ERR_DUPLICATE_BROKER_REGISTRATION = 101,
    KFK_ERR_BROKER_ID_NOT_REGISTERED = 102,
    KFK_ERR_INCONSISTENT_TOPIC_ID = 103,
    KFK_ERR_INCONSISTENT_CLUSTER_ID = 104,
    KFK_ERR_TRANSACTIONAL_ID_NOT_FOUND = 105,
    KFK_ERR_FETCH_SESSION_TOPIC_ID_ERROR = 106,
    KFK_ERR_INELIGIBLE_REPLICA = 107,
    KFK_ERR_NEW_LEADER_ELECTED = 108,
    KFK_ERR_OFFSET_MOVED_TO_TIERED_STORAGE = 109,
    KFK_ERR_FENCED_MEMBER_EPOCH = 110,
    KFK_ERR_UNRELEASED_INSTANCE_ID = 111,
    KFK_ERR_UNSUPPORTED_ASSIGNOR = 112,
    KFK_ERR_STALE_MEMBER_EPOCH = 113,
    KFK_ERR_MISMATCHED_ENDPOINT_TYPE = 114,
    KFK_ERR_UNSUPPORTED_ENDPOINT_TYPE = 115,
    KFK_ERR_UNKNOWN_CONTROLLER_ID = 116,
    KFK_ERR_UNKNOWN_SUBSCRIPTION_ID = 117,
    KFK_ERR_TELEMETRY_TOO_LARGE = 118,
    KFK_ERR_INVALID_REGISTRATION = 119,
    KFK_ERR_TRANSACTION_ABORTABLE = 120,
    KFK_ERR_INVALID_RECORD_STATE = 121,
    KFK_ERR_SHARE_SESSION_NOT_FOUND = 122,
    KFK_ERR_INVALID_SHARE_SESSION_EPOCH = 123,
    KFK_ERR_FENCED_STATE_EPOCH = 124,
    KFK_ERR_INVALID_VOTER_KEY = 125,
    KFK_ERR_DUPLICATE_VOTER = 126,
    KFK_ERR_VOTER_NOT_FOUND = 127,
    KFK_ERR_INVALID_REGULAR_EXPRESSION = 128,
    KFK_ERR_REBOOTSTRAP_REQUIRED = 129,
    KFK_ERR_STREAMS_INVALID_TOPOLOGY = 130,
    KFK_ERR_STREAMS_INVALID_TOPOLOGY_EPOCH = 131,
    KFK_ERR_STREAMS_TOPOLOGY_FENCED = 132,
    KFK_ERR_SHARE_SESSION_LIMIT_REACHED = 133,
    KFK_ERR_GROUP_DELETION_FAILED = 134,
    KFK_ERR_STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED = 135,
    KFK_ERR_CONTROLLER_ID_NOT_REGISTERED = 136,
} kfk_err;

/* Describes err as "NAME: description" (e.g. "NOT_LEADER_OR_FOLLOWER: ...").
 * Never NULL: a code kfk does not know gives "unknown error N". The string
 * is static, or for unknown codes lives in a thread-local buffer that the
 * calling thread's next such call overwrites. Any thread; never blocks. */
KFK_API const char *kfk_err_str(kfk_err err);

/* Last-error texts. Each handle (kfk_producer, kfk_consumer, kfk_admin)
 * keeps, for each thread that calls it, the reason the thread's last
 * failed call on it failed, read with kfk_producer_last_error,
 * kfk_consumer_last_error or kfk_admin_last_error, as sqlite3_errmsg: a
 * sentence naming the function and what was wrong, e.g.
 *     kfk_produce: rec->topic is NULL
 *     kfk_produce: the record is 1048700 bytes in its batch, over
 *         max.request.size (1048576) or buffer.memory (8388608)
 *     kfk_consumer_seek: partition 7 of topic "t" is not assigned
 * or, where kfk has nothing more specific, kfk_err_str() of the error.
 * A call that succeeds leaves the text as it was, so read it right after
 * the failure, on the same thread (as errno). "" when no call of this
 * thread on the handle has failed, and for a NULL handle (a call given a
 * NULL handle returns KFK_ERR_INVALID_ARG and records nothing). The text
 * is thread-local and kfk's: valid until the thread's next kfk call that
 * fails, never changed by other threads. A thread keeps the texts of the
 * last four handles that failed on it. */

/* The bare name of err, as in the enum without its KFK_ERR_ prefix
 * ("NOT_LEADER_OR_FOLLOWER", "OK" for KFK_OK), or "UNKNOWN" for a code kfk
 * does not know. A static string. Any thread; never blocks. */
KFK_API const char *kfk_err_name(kfk_err err);

/* --- logging --------------------------------------------------------------- */
/* Log levels, numbered as syslog(3) numbers them: lower is more severe. */
typedef enum kfk_log_level {
    KFK_LOG_EMERG = 0,
    KFK_LOG_ALERT = 1,
    KFK_LOG_CRIT = 2,
    KFK_LOG_ERR = 3,
    KFK_LOG_WARNING = 4,
    KFK_LOG_NOTICE = 5,
    KFK_LOG_INFO = 6,
    KFK_LOG_DEBUG = 7,
} kfk_log_level;

/* Callbacks and their handle. A callback that reports an event of a
 * handle receives that handle right after its opaque pointer: typed where
 * only one kind of handle has the event (kfk_dr_cb: the kfk_producer;
 * kfk_rebalance_cb, kfk_commit_cb: the kfk_consumer), and as void *
 * where any kind may (kfk_log_cb, kfk_error_cb, kfk_throttle_cb): a
 * kfk_conf can make a producer, a consumer or an admin client, so the
 * callback is told the kfk_producer *, kfk_consumer * or kfk_admin * the
 * application created from that conf, and the application knows which
 * kind it made. The handle may be passed before its constructor has
 * returned (a log line from its start); do not call kfk on it from the
 * callback unless the callback's comment allows it. Callbacks that
 * compute something for kfk (kfk_partitioner_cb, kfk_ssl_cert_verify_cb,
 * kfk_oauthbearer_token_cb, kfk_sasl_mechanism) take only their inputs. */

/* Receives one log line. handle is the kfk_producer, kfk_consumer or
 * kfk_admin that logged (as void *: see above), or NULL for a line logged
 * before any handle exists (while a configuration is checked). facility
 * names the part of kfk that logged ("broker", "metadata", ...); message
 * has no trailing newline. Both strings are kfk's and valid only during
 * the call. The callback may run on any kfk thread, several at once, and
 * must not call back into kfk on the handle that logged. Without a
 * callback, kfk writes timestamped lines to stderr. */
typedef void(kfk_log_cb)(void *opaque, void *handle, kfk_log_level level, const char *facility,
                         const char *message);

/* --- configuration ---------------------------------------------------------- */
/* A kfk_conf holds the properties a client is created with: Java-compatible
 * names and values ("bootstrap.servers", "linger.ms", "acks" = "all"),
 * plus callbacks. docs/CONFIGURATION.md lists every property with its
 * type, default and allowed values. Values are checked when set; rules
 * that span properties (enable.idempotence needs acks=all) are checked
 * when a client is created from the conf.
 *
 * Threads: a kfk_conf is not locked; use each from one thread at a time.
 * Different kfk_conf objects are independent. */
typedef struct kfk_conf kfk_conf;

/* A new configuration with every property at its default. The caller owns
 * it: pass it to a client constructor (which takes it) or free it with
 * kfk_conf_destroy(). NULL when out of memory. Never blocks. */
KFK_API kfk_conf *kfk_conf_new(void);

/* Sets property name to value, given as text as in a Java properties file:
 * numbers in decimal, booleans as true/false (any case), lists
 * comma-separated; surrounding spaces are ignored except in passwords.
 * value NULL restores the default. Both strings are only read; kfk keeps
 * a copy. On failure conf is unchanged and, if errstr is not NULL and
 * errlen > 0, errstr gets a NUL-terminated message naming the property,
 * the value and what is allowed, e.g.
 *     invalid value "fast" for "acks": expected one of all, -1, 0, 1
 *     unknown property "linger.sm"; did you mean "linger.ms"?
 * (password values are never quoted). Returns KFK_OK; KFK_ERR_CONFIG for
 * an unknown name, a bad or out-of-range value, or a callback property
 * (set those with their kfk_conf_set_*_cb()); KFK_ERR_INVALID_ARG when
 * conf or name is NULL; KFK_ERR_NO_MEMORY. Never blocks. */
KFK_API kfk_err kfk_conf_set(kfk_conf *conf, const char *name, const char *value, char *errstr,
                             size_t errlen);

/* Reads property name back as text into buf: *len is buf's size going in
 * and, coming out, the size the text needs including its NUL. Values come
 * back normalized (trimmed; lists as "a,b"); a password reads "[hidden]"
 * when set and "" when not, so a dumped configuration leaks no secret; a
 * callback reads "[set]" or "". Returns KFK_OK; KFK_ERR_TOO_LARGE when buf
 * is NULL or too small (nothing written; call again with *len bytes);
 * KFK_ERR_CONFIG for an unknown name; KFK_ERR_INVALID_ARG for NULL conf,
 * name or len. Never blocks. */
KFK_API kfk_err kfk_conf_get(const kfk_conf *conf, const char *name, char *buf, size_t *len);

/* A deep copy of conf (callbacks and their opaque pointers are copied as
 * pointers), owned by the caller; NULL when conf is NULL or memory runs
 * out. Never blocks. */
KFK_API kfk_conf *kfk_conf_dup(const kfk_conf *conf);

/* Frees conf and everything it holds, wiping password bytes first. NULL
 * is a no-op. Do not destroy a conf a client has taken. */
KFK_API void kfk_conf_destroy(kfk_conf *conf);

/* Sets the log callback (see kfk_log_cb) and the opaque pointer passed to
 * it; cb NULL restores the stderr default. opaque stays the caller's and
 * must outlive every client created from conf. log.level filters what
 * reaches cb. Never blocks. */
KFK_API void kfk_conf_set_log_cb(kfk_conf *conf, kfk_log_cb *cb, void *opaque);

/* Called when a client hits an error the application must hear of:
 *  - a fatal error, at most once per client: one after which it can no
 *    longer do its work (an idempotent producer fenced by a newer
 *    instance, say) and should be destroyed;
 *  - a broker connection refused by TLS (KFK_ERR_TLS: a certificate that
 *    does not verify, a host name mismatch, a failed handshake) or by
 *    authentication (KFK_ERR_AUTH: a wrong password, a mechanism the
 *    broker lacks), each time it happens. These are not fatal: the client
 *    tries again after reconnect.backoff.ms, and calls that need the
 *    broker fail with the same error instead of waiting out their timeout;
 *  - every broker the client tried failing, none reachable
 *    (KFK_ERR_NO_BROKERS, librdkafka's ALL_BROKERS_DOWN): once per
 *    outage, again only after a broker was reachable in between. Not
 *    fatal: the client keeps trying, and calls wait as long as their
 *    timeouts allow;
 *  - a topic the client asked for that its principal may not use
 *    (KFK_ERR_TOPIC_AUTHORIZATION_FAILED, the reason naming the topic),
 *    once each time it becomes so; the calls that need it fail with the
 *    same error and each asks for fresh metadata, so an ACL granted later
 *    takes effect on a later call;
 *  - a consumer group's JoinGroup or SyncGroup (group.protocol=classic)
 *    refused with an error kfk has no plan for (UNKNOWN_SERVER_ERROR,
 *    INVALID_REQUEST, ...), once for a run of the same error. Not fatal:
 *    poll hands it out too, and the member joins again after a backoff
 *    that doubles from retry.backoff.ms up to retry.backoff.max.ms;
 *  - an OAUTHBEARER token refresh that failed (the token callback's error,
 *    or the token endpoint's: KFK_ERR_AUTH, KFK_ERR_TRANSPORT, KFK_ERR_TLS,
 *    KFK_ERR_MALFORMED), each time: kfk tries again, and the token it has
 *    serves until it expires, so no call fails for it.
 * handle is the client (kfk_producer *, kfk_consumer * or kfk_admin *,
 * as void *: see "Callbacks and their handle").
 * err says which (KFK_ERR_TLS, KFK_ERR_AUTH and KFK_ERR_NO_BROKERS are
 * never fatal; a refresh's reason starts "OAUTHBEARER"); reason is a
 * message valid only during the call, never holding a secret. Runs on one
 * of the client's threads with no kfk lock held; it
 * must not destroy the client or block. */
typedef void(kfk_error_cb)(void *opaque, void *handle, kfk_err err, const char *reason);

/* Sets the error callback (see kfk_error_cb); cb NULL: errors are only
 * logged. opaque stays the caller's and must outlive every client
 * created from conf. Never blocks. */
KFK_API void kfk_conf_set_error_cb(kfk_conf *conf, kfk_error_cb *cb, void *opaque);

/* Called each time a broker's answer says the client is over a quota
 * (KIP-219): kfk then sends that broker nothing new for throttle_ms (> 0),
 * as the broker asked. handle is the client that was throttled (as void *,
 * as for kfk_error_cb). broker is its "host:port/id" name, broker_id its
 * node id (negative for a bootstrap entry); both valid only during the
 * call. Runs on one of the client's I/O threads with no kfk lock held: it
 * must be quick and must not call kfk. */
typedef void(kfk_throttle_cb)(void *opaque, void *handle, const char *broker, int32_t broker_id,
                              int throttle_ms);

/* Sets the throttle callback (see kfk_throttle_cb); cb NULL: throttling
 * is only logged (debug). opaque must outlive every client created from
 * conf. Never blocks. */
KFK_API void kfk_conf_set_throttle_cb(kfk_conf *conf, kfk_throttle_cb *cb, void *opaque);

/* Receives the client's statistics every statistics.interval.ms: json is
 * one JSON object (NUL-terminated, json_len bytes without the NUL) whose
 * fields docs/STATS.md lists (close to librdkafka's, so its dashboards
 * carry over; as there, its histograms cover the time since the previous
 * document). handle is the kfk_producer * or kfk_consumer * (as void *,
 * as for kfk_error_cb). json is kfk's, valid only during the call: copy
 * what you keep. Runs on the application's thread inside
 * kfk_producer_poll / kfk_producer_flush or kfk_consumer_poll /
 * kfk_consumer_poll_batch, as delivery reports and rebalances do, with no
 * kfk lock held; a poll that waits wakes up when a document is due, and
 * so does the handle's wake-up fd (kfk_producer_wakeup_fd,
 * kfk_consumer_wakeup_fd), so an application that polls gets one per
 * interval. It may call kfk (the
 * *_stats_json functions too) but not poll or destroy that handle, and
 * should not block: the poll it runs in waits for it. */
typedef void(kfk_stats_cb)(void *opaque, void *handle, const char *json, size_t json_len);

/* Sets the statistics callback (see kfk_stats_cb); cb NULL: none.
 * statistics.interval.ms (default 0: never) says how often it runs; the
 * interval without a callback, or a callback without an interval, does
 * nothing. Producers and consumers only. opaque must outlive every
 * client created from conf. Never blocks. */
KFK_API void kfk_conf_set_stats_cb(kfk_conf *conf, kfk_stats_cb *cb, void *opaque);

/* --- security: TLS and SASL ------------------------------------------------ */

/* Checks one certificate of a broker's chain during a TLS handshake,
 * after OpenSSL has: called for each certificate from the root down to
 * the broker's own (depth 0). preverify_ok is OpenSSL's verdict (1: the
 * certificate verified; false: it did not). der is the certificate in DER,
 * valid during the call; broker is "host:port/node". Return true to accept
 * the certificate (even one OpenSSL refused), false to refuse it: the
 * handshake fails with KFK_ERR_TLS and errstr (up to errlen bytes) as the
 * reason. Runs on an I/O thread during the handshake: it must not block
 * or call kfk. */
typedef bool(kfk_ssl_cert_verify_cb)(void *opaque, const char *broker, int depth, bool preverify_ok,
                                     const unsigned char *der, size_t der_len, char *errstr,
                                     size_t errlen);

/* Sets the certificate verify callback (see kfk_ssl_cert_verify_cb); cb
 * NULL: OpenSSL's verdict stands. opaque must outlive every client created
 * from conf. Never blocks. */
KFK_API void kfk_conf_set_ssl_cert_verify_cb(kfk_conf *conf, kfk_ssl_cert_verify_cb *cb,
                                             void *opaque);

/* A SASL mechanism the application supplies, for a mechanism kfk lacks.
 * Name it in sasl.mechanism after kfk_conf_set_sasl_mechanism. For each
 * authentication (a new connection, or a KIP-368 re-authentication of a
 * live one) kfk sends SaslHandshake with name, then calls start, then
 * step until it reports done, sending each message the mechanism makes
 * in a SaslAuthenticate request and handing it the broker's answer.
 * The callbacks of one authentication never run at the same time. They
 * run on an I/O thread and must not block, unless may_block is set. An
 * error from a callback fails the connection with KFK_ERR_AUTH and its
 * errstr as the reason. */
typedef struct kfk_sasl_mechanism {
    /* The mechanism's SASL name, as the broker lists it ("AWS_MSK_IAM"). */
    const char *name;
    /* Begins one authentication with the broker at host (the name
     * kfk connected to). *state gets the mechanism's own state for it,
     * handed to step and end. */
    kfk_err (*start)(void *opaque, const char *host, void **state, char *errstr, size_t errlen);
    /* One round. in is the broker's last answer (NULL and 0 in the first
     * round). Either sets *done to true (authenticated: nothing more to
     * send) or points *out at the next message to send, *out_len bytes
     * (an empty message may be NULL with length 0). The message stays the
     * mechanism's: it must remain valid until the next call of step or
     * end for this state; kfk copies it before that and never frees it. */
    kfk_err (*step)(void *opaque, void *state, const unsigned char *in, size_t in_len,
                    const unsigned char **out, size_t *out_len, bool *done, char *errstr,
                    size_t errlen);
    /* Ends the authentication, successful or not; frees state. */
    void (*end)(void *opaque, void *state);
    void *opaque;
    /* true: start and step may block (a round trip to a Kerberos KDC,
     * say). kfk then calls them on a thread of the client's own, one
     * call at a time for all its connections, while the I/O threads go
     * on serving other brokers; the connection waits at most
     * socket.connection.setup.timeout.ms for each call. end may then also
     * run on that thread, or, for a connection closed while a call was
     * running, once the call returns; it must not block. false: every
     * callback runs on an I/O thread. */
    bool may_block;
    /* Room for fields a later version adds, without an ABI break (a zero
     * in a later field will mean its default); must be zero:
     * kfk_conf_set_sasl_mechanism refuses mech otherwise, so that the
     * words can be given meaning later. Initialize the struct with a
     * designated initializer (or memset) and they are. */
    void *reserved[4];
} kfk_sasl_mechanism;

/* Makes mech available to clients created from conf; sasl.mechanism picks
 * it by name (one of kfk's own names replaces kfk's mechanism). mech and
 * what it points to are the caller's and must outlive every client
 * created from conf. KFK_ERR_INVALID_ARG for a NULL conf, a NULL,
 * nameless or incomplete mech, or one whose reserved words are not all
 * zero. Never blocks. */
KFK_API kfk_err kfk_conf_set_sasl_mechanism(kfk_conf *conf, const kfk_sasl_mechanism *mech);

/* Supplies OAUTHBEARER tokens, in place of kfk's own (the unsecured JWT
 * of sasl.jaas.config; with sasl.oauthbearer.token.endpoint.url, kfk's
 * OIDC client_credentials fetch, the client is refused: set one). Writes a token (a JWT, without
 * "Bearer ") of at most token_size - 1 bytes and a NUL into token, and
 * when it expires into *expiry_ms (milliseconds since the Unix epoch);
 * returns KFK_OK, or an error with its reason in errstr. Runs on the
 * client's background thread, first when the client starts and again
 * before each token expires (sasl.login.refresh.*); it may block (an HTTP
 * request, say) but delays other background work while it does. */
typedef kfk_err(kfk_oauthbearer_token_cb)(void *opaque, char *token, size_t token_size,
                                          int64_t *expiry_ms, char *errstr, size_t errlen);

/* Sets the token callback (see kfk_oauthbearer_token_cb); cb NULL: kfk's
 * own. opaque must outlive every client created from conf. Never blocks. */
KFK_API void kfk_conf_set_oauthbearer_token_cb(kfk_conf *conf, kfk_oauthbearer_token_cb *cb,
                                               void *opaque);

/* --- producer: records and partitioners ---------------------------------- */

/* As a record's partition: let the configured partitioner choose. */
#define KFK_PARTITION_ANY (-1)

/* A partitioner of the application's own, for "partitioner" callbacks.
 * Called on the thread that produces the record, with no kfk lock held;
 * it may run on many threads at once, so it must be thread-safe. topic
 * and key are valid only during the call; key is NULL for a null key
 * (key_len 0) and may be non-NULL with key_len 0 for an empty key.
 * partition_count is at least 1. Must return a partition in
 * [0, partition_count); any other value fails the record with
 * KFK_ERR_INVALID_ARG. Must not block for long: the producing call waits. */
typedef int32_t(kfk_partitioner_cb)(void *opaque, const char *topic, const void *key,
                                    size_t key_len, int32_t partition_count);

/* Sets the partitioner callback (see kfk_partitioner_cb) and its opaque
 * pointer; it then chooses for every record produced with
 * KFK_PARTITION_ANY, whatever "partitioner" says. cb NULL removes it.
 * opaque stays the caller's and must outlive the producer. Never blocks. */
KFK_API void kfk_conf_set_partitioner_cb(kfk_conf *conf, kfk_partitioner_cb *cb, void *opaque);
/* --- end of producer: records and partitioners --------------------------- */

/* --- producer ----------------------------------------------------------------- */
/* A kfk_producer writes records to topics. kfk_produce() copies a record
 * into its partition's batch and returns; kfk I/O threads send batches
 * when linger.ms passes or batch.size fills, retrying what may succeed
 * again until delivery.timeout.ms. Every record accepted by kfk_produce()
 * gets exactly one delivery report, served to the dr_cb callback by
 * kfk_producer_poll() (or flush, close, destroy) on the application's
 * thread: with its offset on success, else with why it failed
 * (KFK_ERR_TIMED_OUT at delivery.timeout.ms, KFK_ERR_PURGED,
 * KFK_ERR_DESTROYED, or a broker's error). With enable.idempotence (the
 * default) each record is written once and in order per partition.
 *
 * Threads: kfk_produce() may be called from any number of threads at
 * once. poll, flush and purge may be called from any application thread;
 * callbacks run on the thread that polls, never with a kfk lock held, and
 * may call kfk_produce(). close and destroy: once, from an application
 * thread that is not running a kfk callback. */
typedef struct kfk_producer kfk_producer;

/* A record header: a name and a value (value NULL: a null value). The
 * name is name_len bytes, or with name_len 0 NUL-terminated (strlen), so
 * a name read from a consumed message (kfk_message_header: a pointer and
 * a length) can be produced again as it is.
 *
 * Frozen: the struct will never change. Records carry arrays of headers,
 * so its size is part of the ABI, and a Kafka header is a key and a value,
 * nothing more. */
typedef struct kfk_header {
    const char *name;
    const void *value;
    size_t value_len;
    size_t name_len; /* 0: name is NUL-terminated */
} kfk_header;

/* A record to produce. Every pointer stays the caller's; kfk_produce
 * copies what it needs before it returns.
 *
 * Growth: reserved is room for fields a later version adds, without an
 * ABI break; a zero in a later field will mean its default. Initialize
 * every record so the words are zero (kfk_record rec = {.topic = ...},
 * or memset): kfk_produce refuses a record whose reserved words are not
 * all zero with KFK_ERR_INVALID_ARG, so that they can be given meaning
 * later. */
typedef struct kfk_record {
    const char *topic;         /* required */
    int32_t partition;         /* a partition, or KFK_PARTITION_ANY */
    const void *key;           /* NULL: a null key */
    size_t key_len;
    const void *value;         /* NULL: a null value (a tombstone) */
    size_t value_len;
    const kfk_header *headers; /* n_headers entries, or NULL */
    size_t n_headers;
    int64_t timestamp_ms;      /* CreateTime in ms since the epoch; 0: now */
    void *reserved[4];         /* zero */
} kfk_record;

/* One record's delivery report. topic is valid only during the callback.
 *
 * Growth: kfk makes every report and the application only reads it,
 * through the pointer kfk_dr_cb gets, so a later version may append
 * fields. Never build one, and do not rely on sizeof(kfk_delivery_report). */
typedef struct kfk_delivery_report {
    const char *topic;
    int32_t partition;    /* the partition it went (or was meant) to */
    int64_t offset;       /* its offset; -1 on error or with acks=0 */
    int64_t timestamp_ms; /* CreateTime, or the broker's LogAppendTime */
    kfk_err err;          /* KFK_OK, or why the record was not written */
    void *opaque;         /* the pointer given to kfk_produce */
} kfk_delivery_report;

/* Receives delivery reports of producer on the thread calling
 * kfk_producer_poll (or flush, close, destroy); report is valid only
 * during the call. The callback may call kfk_produce on producer. */
typedef void(kfk_dr_cb)(void *opaque, kfk_producer *producer, const kfk_delivery_report *report);

/* Sets the delivery report callback and the opaque pointer passed to it
 * (cb NULL: none; reports are then dropped, unless interceptors want
 * them: see kfk_conf_add_interceptor). opaque stays the caller's
 * and must outlive every producer created from conf. Never blocks. */
KFK_API void kfk_conf_set_dr_cb(kfk_conf *conf, kfk_dr_cb *cb, void *opaque);

/* A new producer for conf's bootstrap.servers. Takes conf in every case
 * (on failure it is destroyed too). Starts the client's threads, connects
 * in the background and, with idempotence, asks for a producer id; returns
 * at once (but the first OAUTHBEARER token callback, and kinit for GSSAPI
 * with a key tab, run first and may wait for their server). NULL on a bad
 * configuration (errstr, if not NULL and errlen > 0,
 * gets a message naming the property) or when threads or memory cannot be
 * had. Any thread. */
KFK_API kfk_producer *kfk_producer_new(kfk_conf *conf, char *errstr, size_t errlen);

/* Queues a copy of rec for its topic and partition; opaque comes back in
 * the record's delivery report. Returns KFK_OK (a report will follow), or,
 * with no report to follow: KFK_ERR_INVALID_ARG (NULL producer, record or
 * topic, a negative partition other than KFK_PARTITION_ANY),
 * KFK_ERR_INVALID_TOPIC_EXCEPTION at once for a name Kafka never takes
 * (empty, ".", "..", over 249 bytes, or a byte outside [a-zA-Z0-9._-]),
 * KFK_ERR_TOO_LARGE (over max.request.size or buffer.memory),
 * KFK_ERR_QUEUE_FULL (buffer.memory stayed full for max.block.ms; at
 * once when delivery reports waiting for kfk_producer_poll fill it and no
 * other thread polls: only a poll frees them, and this thread cannot
 * poll while it waits. When another thread is in kfk_producer_poll or
 * flush, or was the last to poll, kfk_produce waits for it up to
 * max.block.ms. See kfk_producer_buffered_bytes),
 * KFK_ERR_TIMED_OUT (the topic, or the record's partition, was not in the
 * metadata within max.block.ms), the topic's metadata error (e.g.
 * KFK_ERR_TOPIC_AUTHORIZATION_FAILED), KFK_ERR_AUTH or KFK_ERR_TLS (while
 * waiting for the topic's metadata, the broker refused the connection:
 * the reason went to error_cb and the log), KFK_ERR_DESTROYED (closing),
 * KFK_ERR_NO_MEMORY. Blocks only while a topic or partition is missing
 * from the metadata (the first record to a topic waits for it) or while
 * buffer memory is short, each up to max.block.ms.
 * max.block.ms = 0 never blocks, as in Java: the first kfk_produce to a
 * topic whose metadata has not arrived yet fails with KFK_ERR_TIMED_OUT
 * (Java: "Topic X not present in metadata after 0 ms"; the producer logs
 * that warning once per topic) and asks for the metadata, so a later call
 * succeeds once it came; a full buffer gives KFK_ERR_QUEUE_FULL at once.
 * Any thread, many at once. */
KFK_API kfk_err kfk_produce(kfk_producer *producer, const kfk_record *rec, void *opaque);

/* Why the calling thread's last failed call on producer failed (see
 * "Last-error texts" above); "" for none or a NULL producer. */
KFK_API const char *kfk_producer_last_error(const kfk_producer *producer);

/* Serves delivery reports waiting, calling dr_cb for each, waiting up to
 * timeout_ms (-1: no limit, 0: not at all) for the first. Returns how many
 * were served (0 on timeout), -1 for a NULL producer. Application
 * threads; not from within a callback of this producer. */
KFK_API int kfk_producer_poll(kfk_producer *producer, int timeout_ms);

/* How many records kfk_produce accepted whose delivery report has not
 * been served yet: records queued in batches, in flight, and reports
 * waiting for kfk_producer_poll (a record counts until dr_cb returned
 * for it and the reports served with it; without a dr_cb, until the
 * broker's answer came). kfk_producer_flush
 * waits for it to reach 0. -1 for a NULL producer. Any thread; never
 * blocks (one atomic read); records produced or served meanwhile move it
 * as it returns. */
KFK_API int64_t kfk_producer_outstanding(const kfk_producer *producer);

/* Bytes of buffer.memory counted now: the batches of records not yet
 * done (each reserves batch.size, or its first record when larger) plus
 * the report data of done records whose delivery reports wait for
 * kfk_producer_poll (their opaques and timestamps, about 16 bytes a
 * record and a small header per batch; counted until served, so an
 * application that polls slowly is held to buffer.memory rather than
 * growing a queue). It stays within buffer.memory but for the report
 * data of batches that were open when others' reports filled it. -1 for
 * a NULL producer. Any thread; takes a short lock. */
KFK_API int64_t kfk_producer_buffered_bytes(const kfk_producer *producer);

/* A file descriptor that is readable while delivery reports wait for
 * kfk_producer_poll, for an event loop (epoll, poll, an asyncio loop's
 * add_reader) that must not block in kfk_producer_poll. It becomes
 * readable when a report is queued, or a statistics document is due
 * (kfk_stats_cb), and stops being readable when a poll (or flush) takes
 * the waiting reports; wake, call kfk_producer_poll(p, 0), wait again.
 * Made on the first call (later calls return the same one); it is kfk's:
 * never read, write or close it. Valid until the producer is destroyed.
 * Returns -1 for a NULL producer or when no descriptor can be had
 * (EMFILE). Any thread; never blocks. Linux: an eventfd. */
KFK_API int kfk_producer_wakeup_fd(kfk_producer *producer);

/* Sends every queued record now (without waiting for linger.ms) and waits
 * up to timeout_ms (-1: no limit) until each has had its delivery report,
 * serving reports as poll does. Returns KFK_OK, KFK_ERR_TIMED_OUT when
 * records were still outstanding at the deadline, KFK_ERR_INVALID_ARG for
 * a NULL producer. A timeout logs what the first partitions still holding
 * records wait for: a warning when timeout_ms was a second or more (or
 * -1), debug below (short flushes in a loop time out routinely).
 * Application threads. */
KFK_API kfk_err kfk_producer_flush(kfk_producer *producer, int timeout_ms);

/* Fails every record not yet sent with KFK_ERR_PURGED (their reports
 * follow on the next poll); records already sent are left to complete.
 * Returns KFK_OK or KFK_ERR_INVALID_ARG. Never blocks beyond short locks.
 * Application threads. */
KFK_API kfk_err kfk_producer_purge(kfk_producer *producer);

/* Flushes for up to timeout_ms, then destroys the producer as
 * kfk_producer_destroy does (records still outstanding get
 * KFK_ERR_DESTROYED); a transactional producer first aborts a transaction
 * still open, as Java's close does. Returns what the flush returned. NULL is a no-op
 * returning KFK_ERR_INVALID_ARG. Call once, from an application thread;
 * the handle is gone afterwards. */
KFK_API kfk_err kfk_producer_close(kfk_producer *producer, int timeout_ms);

/* Destroys the producer without waiting: records not yet delivered get
 * KFK_ERR_DESTROYED reports, served to dr_cb on this thread before it
 * returns; then the connections close, the threads stop and everything is
 * freed. Blocks only while the threads stop. NULL is a no-op. Call once,
 * from an application thread. */
KFK_API void kfk_producer_destroy(kfk_producer *producer);
/* --- end of producer ------------------------------------------------------------ */

/* --- consumer ------------------------------------------------------------------ */
/* A kfk_consumer reads records from partitions the application assigns
 * (kfk_consumer_assign), or that its consumer group assigns it
 * (kfk_consumer_subscribe, below). Fetching
 * runs on kfk's I/O threads, ahead of the application; kfk_consumer_poll
 * hands out what was fetched, in offset order per partition.
 *
 * Messages point into the fetched (and, for compressed batches,
 * decompressed) bytes without copying. Each message keeps those bytes
 * alive until kfk_message_release: release messages in any order, from any
 * thread, also after kfk_consumer_destroy. fetch.queue.max.bytes bounds
 * the fetched data a consumer holds, queued or in messages not yet
 * released (checked before each Fetch, so one answer per broker may go
 * past it): an application that keeps messages past that stops getting
 * new ones until it releases some. The bytes a message holds are those of
 * the fetch it came in, so copy out what must be kept for long.
 *
 * Threads: every function may be called from any application thread
 * (never from a kfk callback). Polls from several threads at once are
 * serialised. */
typedef struct kfk_consumer kfk_consumer;
typedef struct kfk_message kfk_message;

/* How a message's timestamp was set: by the producer or by the broker. */
typedef enum kfk_timestamp_type {
    KFK_TIMESTAMP_NONE = -1, /* old message format: no timestamp */
    KFK_TIMESTAMP_CREATE_TIME = 0,
    KFK_TIMESTAMP_LOG_APPEND_TIME = 1,
} kfk_timestamp_type;

/* Offsets with a meaning, for partition lists and seeks. */
#define KFK_OFFSET_BEGINNING (-2)  /* the partition's log start */
#define KFK_OFFSET_END (-1)        /* the partition's end (the next record) */
#define KFK_OFFSET_INVALID (-1001) /* none: auto.offset.reset decides */
/* Offset specs that only offset lookups take (kfk_admin_list_offsets). */
#define KFK_OFFSET_MAX_TIMESTAMP (-3)  /* the record with the largest timestamp (KIP-734) */
#define KFK_OFFSET_EARLIEST_LOCAL (-4) /* the first offset on the leader's disk (KIP-405) */
#define KFK_OFFSET_LATEST_TIERED (-5)  /* the last offset in tiered storage (KIP-1005) */

/* --- partition lists ------------------------------------------------------------ */
/* A kfk_partition_list is the one shape in which partitions cross the
 * API, in both directions: assignments, commits, committed offsets, the
 * rebalance and commit callbacks, offsets sent with a transaction. Each
 * entry is a topic and partition with the values an operation reads or
 * fills: an offset, commit metadata, a leader epoch, a timestamp, a
 * per-partition result. The type is opaque and read through functions,
 * so entries can gain fields without changing the ABI.
 *
 * Ownership: a list owns everything in it. Topic names and metadata are
 * copied in; a string read out stays valid until that entry's value is
 * set again or the list is destroyed. A function that takes a list reads
 * it during the call only, unless it says it fills it. Lists handed to
 * callbacks are kfk's, valid during the call.
 *
 * Order and repeats: entries keep the order they were added in, and the
 * same partition may be added more than once (adding is O(1); a check
 * would make building a list O(n^2)). kfk_partition_list_find finds the
 * first; the calls that take a list say what they do with repeats.
 *
 * A NULL list, or an index >= kfk_partition_list_count: a getter returns
 * the value its comment calls "none", a setter returns
 * KFK_ERR_INVALID_ARG and changes nothing.
 *
 * Threads: a list has no lock of its own. Any thread may use it; several
 * threads may read it at once, but a thread that changes it (or a call
 * that fills it) must be the only one using it then. */
typedef struct kfk_partition_list kfk_partition_list;

/* A new empty list with room for size_hint entries (0: the default; more
 * grow it as needed). The caller owns it and frees it with
 * kfk_partition_list_destroy. NULL when out of memory. */
KFK_API kfk_partition_list *kfk_partition_list_new(size_t size_hint);
/* Frees list and its strings; NULL is a no-op. */
KFK_API void kfk_partition_list_destroy(kfk_partition_list *list);
/* A new list with copies of every entry of list (all fields), which the
 * caller owns. NULL for a NULL list or when out of memory. */
KFK_API kfk_partition_list *kfk_partition_list_copy(const kfk_partition_list *list);

/* Appends topic (copied) and partition, with offset KFK_OFFSET_INVALID, no
 * metadata, leader epoch -1, timestamp -1 and error KFK_OK; its index is
 * kfk_partition_list_count(list) - 1. Returns KFK_OK, KFK_ERR_INVALID_ARG
 * (a NULL list, a NULL or empty topic, a negative partition) or
 * KFK_ERR_NO_MEMORY (the list is unchanged). */
KFK_API kfk_err kfk_partition_list_add(kfk_partition_list *list, const char *topic,
                                       int32_t partition);
/* The number of entries; none: 0. */
KFK_API size_t kfk_partition_list_count(const kfk_partition_list *list);
/* The index of the first entry for topic and partition; -1 when there is
 * none (also for a NULL list or topic). O(count). */
KFK_API int64_t kfk_partition_list_find(const kfk_partition_list *list, const char *topic,
                                        int32_t partition);

/* Entry i's topic (owned by the list); none: NULL. */
KFK_API const char *kfk_partition_list_topic(const kfk_partition_list *list, size_t i);
/* Entry i's partition; none: -1. */
KFK_API int32_t kfk_partition_list_partition(const kfk_partition_list *list, size_t i);
/* Entry i's offset: an offset, KFK_OFFSET_BEGINNING, _END or _INVALID;
 * none: KFK_OFFSET_INVALID. */
KFK_API int64_t kfk_partition_list_offset(const kfk_partition_list *list, size_t i);
KFK_API kfk_err kfk_partition_list_set_offset(kfk_partition_list *list, size_t i, int64_t offset);
/* Entry i's commit metadata, stored with a committed offset (owned by the
 * list); none, or no metadata: NULL. */
KFK_API const char *kfk_partition_list_metadata(const kfk_partition_list *list, size_t i);
/* Sets entry i's metadata to a copy of metadata (NULL: none), freeing
 * the old string. Returns KFK_OK, KFK_ERR_INVALID_ARG, or
 * KFK_ERR_NO_MEMORY (the entry keeps its old value). */
KFK_API kfk_err kfk_partition_list_set_metadata(kfk_partition_list *list, size_t i,
                                                const char *metadata);
/* Entry i's leader epoch (KIP-320): the epoch of the leader that wrote
 * the record before the offset, committed with it so that a consumer
 * starting there can detect log truncation; -1 when unknown (a negative
 * epoch is stored as -1); none: -1. */
KFK_API int32_t kfk_partition_list_leader_epoch(const kfk_partition_list *list, size_t i);
KFK_API kfk_err kfk_partition_list_set_leader_epoch(kfk_partition_list *list, size_t i,
                                                    int32_t epoch);
/* Entry i's own result where an operation reports one per partition (the
 * commit callback, kfk_consumer_committed), else KFK_OK; none:
 * KFK_ERR_INVALID_ARG. */
KFK_API kfk_err kfk_partition_list_error(const kfk_partition_list *list, size_t i);
/* Entry i's timestamp in milliseconds since the epoch, where an offset
 * lookup fills one (kfk_admin_list_offsets, kfk_consumer_offsets_for_times:
 * the timestamp of the record at the offset found); -1 when there is none
 * (a negative timestamp is stored as -1); none: -1. */
KFK_API int64_t kfk_partition_list_timestamp(const kfk_partition_list *list, size_t i);
KFK_API kfk_err kfk_partition_list_set_timestamp(kfk_partition_list *list, size_t i,
                                                 int64_t timestamp);
/* What kfk_admin_group_lag fills: entry i's end offset (the offset the
 * next record will get) and its lag (end offset - committed offset);
 * -1 when unknown or not filled (other operations leave them -1, and
 * copies keep them). */
KFK_API int64_t kfk_partition_list_end_offset(const kfk_partition_list *list, size_t i);
KFK_API int64_t kfk_partition_list_lag(const kfk_partition_list *list, size_t i);
/* --- end of partition lists ------------------------------------------------------ */

/* A new consumer for the brokers in conf's bootstrap.servers. Takes conf
 * in every case (on failure it is destroyed too). Starts the client's
 * threads and returns at once (but the first OAUTHBEARER token callback,
 * and kinit for GSSAPI with a key tab, run first and may wait for their
 * server). NULL on a bad configuration (errstr, if
 * not NULL and errlen > 0, gets the reason) or when threads or memory
 * cannot be had. Properties that count: fetch.min.bytes,
 * fetch.max.wait.ms, fetch.max.bytes, max.partition.fetch.bytes,
 * fetch.queue.max.bytes, auto.offset.reset, isolation.level, check.crcs,
 * client.rack. */
KFK_API kfk_consumer *kfk_consumer_new(kfk_conf *conf, char *errstr, size_t errlen);

/* Why the calling thread's last failed call on c failed (see "Last-error
 * texts" above); "" for none or a NULL c. */
KFK_API const char *kfk_consumer_last_error(const kfk_consumer *c);

/* Replaces the assignment with the partitions of list (NULL or empty:
 * unassign; read during the call only). Partitions kept from the previous
 * assignment keep their position unless list gives an offset other than
 * KFK_OFFSET_INVALID; new ones start at the given offset, or where
 * auto.offset.reset says. Metadata, leader epochs and errors in list are
 * ignored. Messages of dropped partitions that were fetched but not
 * polled are discarded. Returns KFK_OK, KFK_ERR_INVALID_ARG (a partition
 * listed twice), KFK_ERR_NO_MEMORY, KFK_ERR_STATE after close. Never
 * blocks for I/O. */
KFK_API kfk_err kfk_consumer_assign(kfk_consumer *c, const kfk_partition_list *list);

/* The same as kfk_consumer_assign(c, NULL). */
KFK_API kfk_err kfk_consumer_unassign(kfk_consumer *c);

/* The current assignment as a new list, sorted by topic and partition,
 * with each partition's position as kfk_consumer_position gives it as
 * the offset. The caller owns the list and frees it with
 * kfk_partition_list_destroy. NULL for a NULL c or when out of memory.
 * Never blocks. */
KFK_API kfk_partition_list *kfk_consumer_assignment(kfk_consumer *c);

/* --- consumer groups ------------------------------------------------------------ */
/* With group.id set, a consumer can subscribe instead of assigning: the
 * group (group.protocol classic: JoinGroup/SyncGroup with the assignors of
 * partition.assignment.strategy; consumer: KIP-848, the broker assigns)
 * decides which partitions it reads, and moves them between members as
 * they come and go. Positions start at the group's committed offsets (else
 * auto.offset.reset). Rebalance and commit callbacks run on the thread
 * that calls kfk_consumer_poll (or poll_batch, or close), never on a kfk
 * thread, as the Java client runs its listeners: a callback may call any
 * kfk_consumer function, including a synchronous commit.
 *
 * A group error that ends membership for good (FENCED_INSTANCE_ID: another
 * member took this group.instance.id; GROUP_AUTHORIZATION_FAILED,
 * INCONSISTENT_GROUP_PROTOCOL, ...) also reaches poll as an error message
 * with an empty topic and partition -1, and the error callback; the
 * partitions are lost and commits fail with it from then on.
 * Properties that count: group.id, group.instance.id, group.protocol,
 * partition.assignment.strategy, session.timeout.ms, heartbeat.interval.ms,
 * max.poll.interval.ms (a member that does not poll for that long leaves
 * the group, losing its partitions, and joins again at its next poll),
 * enable.auto.commit, auto.commit.interval.ms (auto commit runs in poll:
 * it commits what earlier polls handed out), default.api.timeout.ms
 * (sync commits, committed(), and close's commit and leave). */

typedef enum kfk_rebalance_event {
    KFK_REBALANCE_ASSIGNED = 1, /* parts were added to this member's assignment */
    KFK_REBALANCE_REVOKED = 2,  /* parts are about to be taken away in an orderly
                                   rebalance: their messages not yet polled are
                                   dropped; commit what was processed now */
    KFK_REBALANCE_LOST = 3,     /* parts were lost without a chance to commit
                                   (session expired, member fenced); another
                                   member may already own them */
} kfk_rebalance_event;

/* Called for each change of the assignment. With the eager assignors
 * (range, roundrobin, sticky) every rebalance revokes the whole assignment
 * and then assigns the new one; with cooperative-sticky and with
 * group.protocol=consumer only the partitions that move are revoked or
 * assigned. As Java's onPartitionsAssigned, ASSIGNED runs once for every
 * completed rebalance (classic) or new target assignment (consumer), with
 * an empty list when this member gained nothing (REVOKED and LOST are not
 * called with an empty list). REVOKED runs before the partitions leave,
 * ASSIGNED after the new ones are in the assignment (their positions may
 * still be unknown). LOST runs where Java calls onPartitionsLost: the
 * session expired, the member was fenced, or a commit found its
 * generation gone (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID: classic).
 * parts is kfk's: it (and its strings) live only during the call; copy
 * it with kfk_partition_list_copy to keep it. Offsets in it are
 * KFK_OFFSET_INVALID. */
typedef void(kfk_rebalance_cb)(void *opaque, kfk_consumer *c, kfk_rebalance_event event,
                               const kfk_partition_list *parts);

/* Sets the rebalance callback and its opaque pointer (cb NULL: none). The
 * assignment changes in the same way with or without it. */
KFK_API void kfk_conf_set_rebalance_cb(kfk_conf *conf, kfk_rebalance_cb *cb, void *opaque);

/* The result of an async commit or an auto commit of c, called from
 * poll: err is KFK_OK or the first error; offsets are what was committed
 * (or tried), with each partition's own result in kfk_partition_list_error
 * (the error of the whole request, when there was one, in every entry).
 * offsets is kfk's and lives only during the call. */
typedef void(kfk_commit_cb)(void *opaque, kfk_consumer *c, kfk_err err,
                            const kfk_partition_list *offsets);

/* Sets the commit callback and its opaque pointer (cb NULL: none). */
KFK_API void kfk_conf_set_commit_cb(kfk_conf *conf, kfk_commit_cb *cb, void *opaque);

/* Subscribes to the n topic names in topics (copied), replacing any
 * earlier subscription; n 0 unsubscribes. Topics that do not exist yet are
 * picked up when they appear. Returns KFK_OK, KFK_ERR_INVALID_ARG (a NULL
 * or empty name), KFK_ERR_CONFIG (no group.id), KFK_ERR_STATE
 * (partitions assigned by hand, or closed), KFK_ERR_NO_MEMORY. Never
 * blocks: the group is joined in the background and the first partitions
 * come through poll. */
KFK_API kfk_err kfk_consumer_subscribe(kfk_consumer *c, const char *const *topics, size_t n);

/* Subscribes to every topic whose whole name matches regex, replacing any
 * earlier subscription.
 *  - group.protocol=classic: the client matches against the cluster's
 *    topics as metadata finds them, internal topics excluded, as Java's
 *    subscribe(Pattern): a topic created later is matched at the next
 *    metadata refresh, at most metadata.max.age.ms later. The syntax is
 *    POSIX extended plus what Java regexes commonly use: \d \D \w \W \s
 *    \S, a leading (?i), (?:...) and escaped punctuation. A regex outside
 *    that (\b, \p{..}, back references, ...) or that does not compile is
 *    KFK_ERR_INVALID_ARG here, rather than being read differently from
 *    Java.
 *  - group.protocol=consumer (KIP-848): the broker matches, with RE2/J
 *    syntax (\d, \w, (?i), ...), as Java's subscribe(SubscriptionPattern).
 *    A topic created later is matched when the broker resolves the regex
 *    again: on a heartbeat after it learns of new topics, no sooner than
 *    10 s after its previous resolution (Kafka 4.x).
 *    The client does not check the regex: one the broker refuses comes
 *    back as KFK_ERR_INVALID_REGULAR_EXPRESSION, a group error that poll
 *    hands out (a message with an empty topic) and the error callback
 *    gets; the member stops, as Java's does.
 * Returns as kfk_consumer_subscribe, and KFK_ERR_INVALID_ARG for a NULL or
 * empty regex. */
KFK_API kfk_err kfk_consumer_subscribe_pattern(kfk_consumer *c, const char *regex);

/* Leaves the subscription: the assignment is revoked (callback) and the
 * member leaves the group. Returns KFK_OK or KFK_ERR_INVALID_ARG. */
KFK_API kfk_err kfk_consumer_unsubscribe(kfk_consumer *c);

/* The current subscription: *out gets n copies of the topic names (or
 * of the one regex), freed with kfk_topic_names_free. */
KFK_API kfk_err kfk_consumer_subscription(kfk_consumer *c, char ***out, size_t *n);
KFK_API void kfk_topic_names_free(char **names, size_t n);

/* Adds the partitions of list to (or removes them from) a manual
 * assignment, keeping the positions of the partitions that stay; list is
 * read during the call only. Returns as kfk_consumer_assign, and
 * KFK_ERR_STATE while subscribed. */
KFK_API kfk_err kfk_consumer_incremental_assign(kfk_consumer *c, const kfk_partition_list *list);
KFK_API kfk_err kfk_consumer_incremental_unassign(kfk_consumer *c, const kfk_partition_list *list);

/* Commits offsets to the group: list NULL commits the current position of
 * every assigned partition whose position is known (the next offset poll
 * hands out, also when it came from auto.offset.reset rather than a
 * message, as Java does) and differs from what this consumer last
 * committed for it, with the leader epoch of the last message polled
 * (kfk_message_leader_epoch; before any, that of the committed offset or
 * offset lookup the position came from; after a seek to an offset,
 * none); else the offsets, metadata and leader epochs of list (read
 * during the call only; every offset >= 0, no partition twice, else
 * KFK_ERR_INVALID_ARG). async false
 * waits for the coordinator's answer (at most default.api.timeout.ms) and
 * returns its first error; async true returns at once and reports to the
 * commit callback from a later poll. Commits are sent in the order made.
 * Returns KFK_OK, KFK_ERR_CONFIG (no group.id), KFK_ERR_TIMED_OUT, or a
 * broker error, as Java's commit fails:
 *   KFK_ERR_REBALANCE_IN_PROGRESS: the group is rebalancing (Java's
 *     RebalanceInProgressException); the member rejoins at once; poll to
 *     finish the rebalance, then commit again;
 *   KFK_ERR_ILLEGAL_GENERATION, KFK_ERR_UNKNOWN_MEMBER_ID (classic; Java's
 *     CommitFailedException): the group rebalanced without this member;
 *     its partitions are lost (LOST callback) and it rejoins at once. A
 *     subscribed member without a generation (it left after
 *     max.poll.interval.ms) fails with UNKNOWN_MEMBER_ID without sending,
 *     and with REBALANCE_IN_PROGRESS while it joins again;
 *   KFK_ERR_STALE_MEMBER_EPOCH, KFK_ERR_UNKNOWN_MEMBER_ID
 *     (group.protocol=consumer; Java's CommitFailedException): the commit
 *     carried an epoch the broker no longer takes for those partitions;
 *     the heartbeat decides membership. The auto commit before a
 *     revocation retries STALE_MEMBER_EPOCH with the newest epoch;
 *   KFK_ERR_FENCED_INSTANCE_ID: another member took group.instance.id;
 *     with group.protocol=classic fatal for the consumer when it comes for
 *     the member's current generation (for an older one the commit fails
 *     as ILLEGAL_GENERATION, or REBALANCE_IN_PROGRESS while joining). */
KFK_API kfk_err kfk_consumer_commit(kfk_consumer *c, const kfk_partition_list *list, bool async);

/* Fills each entry of list (the caller's; repeats allowed) in place with
 * the group's committed offset (KFK_OFFSET_INVALID where there is none),
 * a copy of its metadata (NULL where there is none), its leader epoch (-1
 * where unknown) and the partition's own error (KFK_OK). What is filled
 * belongs to list, so calls from several threads at once, each with its
 * own list, do not disturb each other. Entries whose partition failed
 * keep their values, but for the error. With
 * isolation.level=read_committed, offsets that an open transaction has
 * committed for the group are waited for until it ends (KIP-447), as
 * when the group assigns partitions. Waits for the coordinator at most
 * timeout_ms (negative: default.api.timeout.ms). Returns KFK_OK,
 * KFK_ERR_INVALID_ARG (a NULL list), KFK_ERR_CONFIG, KFK_ERR_TIMED_OUT, or
 * the broker's error: that of the request, else the first partition's. */
KFK_API kfk_err kfk_consumer_committed(kfk_consumer *c, kfk_partition_list *list, int timeout_ms);

/* Copies the member id the group coordinator gave this member ("" before
 * the first join, or without group.id) into buf, NUL-terminated and cut to
 * size - 1 bytes, as snprintf does; buf may be NULL when size is 0.
 * Returns the id's full length (call again with a larger buf when it is
 * size or more); 0 for a NULL c. Any thread; never blocks for I/O. */
KFK_API size_t kfk_consumer_member_id(kfk_consumer *c, char *buf, size_t size);

/* The next message, waiting for at most timeout_ms (0: do not wait; < 0:
 * wait until one comes or the consumer closes). Returns NULL on timeout,
 * after close, or for a NULL c. The caller owns the message and releases
 * it with kfk_message_release. A message may carry an error instead of a
 * record (kfk_message_error; topic, partition and offset say where):
 * KFK_ERR_PARTITION_EOF at the partition's end (offset: the end; only
 * when enabled with kfk_consumer_report_eof), KFK_ERR_OFFSET_OUT_OF_RANGE
 * with auto.offset.reset=none (offset: the one asked for; the partition
 * stops until a seek), KFK_ERR_NO_OFFSET for a partition assigned
 * without an offset under auto.offset.reset=none, a failed offset lookup
 * (KFK_ERR_TIMED_OUT, ...; retried on the next poll), or an error
 * decoding the partition's data (KFK_ERR_CRC, KFK_ERR_TOO_LARGE: stops
 * the partition until a seek), or KFK_ERR_TLS / KFK_ERR_AUTH when a
 * broker refused the connection, or the group error error_cb describes
 * for JoinGroup and SyncGroup (topic "", partition -1; the reason went
 * to error_cb and the log; the consumer keeps trying, and one such
 * message waits at a time). Blocks up to timeout_ms. */
KFK_API kfk_message *kfk_consumer_poll(kfk_consumer *c, int timeout_ms);

/* A file descriptor that is readable while kfk_consumer_poll (or
 * poll_batch) has work: messages fetched, rebalance or commit callbacks
 * to run, a statistics document due (kfk_stats_cb), or the consumer
 * closed. A poll that leaves nothing behind makes it unreadable until
 * more work comes; one that returned as many messages as it was asked for
 * may leave some, and the descriptor then stays readable. So: wait until
 * readable, poll with timeout 0 until a poll returns nothing, wait again.
 * Made on the first call (later calls return the same one); it is kfk's:
 * never read, write or close it. Valid until the consumer is destroyed.
 * Returns -1 for a NULL consumer or when no descriptor can be had
 * (EMFILE). Any thread; never blocks. Linux: an eventfd. */
KFK_API int kfk_consumer_wakeup_fd(kfk_consumer *c);

/* Up to max messages (and at most max.poll.records) into msgs[] (the
 * caller's array), waiting at most timeout_ms for the first (as
 * kfk_consumer_poll) and not at all for the rest; returns how many (0 on
 * timeout, after close or for a bad argument). The caller owns each
 * message and releases each. */
KFK_API size_t kfk_consumer_poll_batch(kfk_consumer *c, kfk_message **msgs, size_t max,
                                       int timeout_ms);

/* Whether polls report KFK_ERR_PARTITION_EOF messages when a partition's
 * end is reached (once per time the end is reached). Off by default. */
KFK_API void kfk_consumer_report_eof(kfk_consumer *c, bool enable);

/* Moves an assigned partition's position to offset (an offset,
 * KFK_OFFSET_BEGINNING or KFK_OFFSET_END): messages fetched but not yet
 * polled are discarded and fetching restarts there. Returns KFK_OK,
 * KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION when the partition is not assigned,
 * KFK_ERR_INVALID_ARG. Never blocks; a beginning or end seek looks the
 * offset up in the background (ListOffsets). */
KFK_API kfk_err kfk_consumer_seek(kfk_consumer *c, const char *topic, int32_t partition,
                                  int64_t offset);
KFK_API kfk_err kfk_consumer_seek_to_beginning(kfk_consumer *c, const char *topic,
                                               int32_t partition);
KFK_API kfk_err kfk_consumer_seek_to_end(kfk_consumer *c, const char *topic, int32_t partition);

/* Moves the position to the first message with a timestamp at or after
 * timestamp_ms (ListOffsets by time, in the background); to the end when
 * there is none. Returns as kfk_consumer_seek. */
KFK_API kfk_err kfk_consumer_seek_to_timestamp(kfk_consumer *c, const char *topic,
                                               int32_t partition, int64_t timestamp_ms);

/* The offset of the next message poll will hand out for the partition
 * (the last polled offset + 1), into *offset; KFK_OFFSET_INVALID while not
 * yet known. Returns KFK_OK or KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION. */
KFK_API kfk_err kfk_consumer_position(kfk_consumer *c, const char *topic, int32_t partition,
                                      int64_t *offset);

/* The partition's low watermark (log start offset) into *low and high
 * watermark into *high (with isolation.level=read_committed: the last
 * stable offset, below a transaction still open, as Java's endOffsets),
 * asked of its leader now (ListOffsets, as kfk_admin_list_offsets does;
 * the partition need not be assigned). Waits at most timeout_ms
 * (negative: default.api.timeout.ms). Returns KFK_OK, KFK_ERR_INVALID_ARG
 * (a NULL or empty topic, a negative partition, NULL low or high),
 * KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION, KFK_ERR_TIMED_OUT, or the broker's
 * error; *low and *high are set only on KFK_OK. Blocks. librdkafka:
 * rd_kafka_query_watermark_offsets; Java: beginningOffsets/endOffsets. */
KFK_API kfk_err kfk_consumer_query_watermarks(kfk_consumer *c, const char *topic, int32_t partition,
                                              int64_t *low, int64_t *high, int timeout_ms);

/* For each entry of parts (the caller's; filled in place), whose offset
 * holds a timestamp in ms since the epoch (or any spec
 * kfk_admin_list_offsets takes), the offset of the first record at or
 * after that time, with its timestamp (kfk_partition_list_timestamp) and
 * leader epoch; offset -1 when every record is older (Java's
 * offsetsForTimes gives null there). isolation.level decides whether the
 * lookup stops at the last stable offset. Entries that fail keep their
 * offset and get their own error (kfk_partition_list_error). Waits at
 * most timeout_ms (negative: default.api.timeout.ms). Returns KFK_OK when
 * every entry succeeded, else the first failed entry's error, or
 * KFK_ERR_INVALID_ARG (a NULL parts, an offset below -5). Blocks.
 * librdkafka: rd_kafka_offsets_for_times; Java: offsetsForTimes. */
KFK_API kfk_err kfk_consumer_offsets_for_times(kfk_consumer *c, kfk_partition_list *parts,
                                               int timeout_ms);

/* Stops (pause) or restarts (resume) fetching and handing out a
 * partition's messages; fetched messages not yet polled are dropped and a
 * resumed partition goes on at the first of them. (A poll running on
 * another thread at that moment may still hand out the message it was
 * taking.) Returns KFK_OK, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION or
 * KFK_ERR_INVALID_ARG. Never blocks for I/O. */
KFK_API kfk_err kfk_consumer_pause(kfk_consumer *c, const char *topic, int32_t partition);
KFK_API kfk_err kfk_consumer_resume(kfk_consumer *c, const char *topic, int32_t partition);

/* Stops fetching and wakes polls (which return NULL from then on). A
 * group member first commits its positions (enable.auto.commit), runs the
 * REVOKED callback for its partitions, leaves the group (LeaveGroup; a
 * static member, with group.instance.id, stays so a restart keeps its
 * partitions) and waits for commits in flight, running the pending
 * commit callbacks: each step for at most default.api.timeout.ms, and
 * all of them within timeout_ms together (a negative timeout_ms:
 * KFK_CONSUMER_CLOSE_TIMEOUT_MS, Java's default), so a coordinator that
 * is down costs the timeout, no more. Then blocks until
 * the fetchers have stopped (one round trip of each I/O thread). Messages
 * not yet released stay valid. Returns KFK_OK (also when already closed),
 * KFK_ERR_TIMED_OUT (the leave or a commit was still unanswered at the
 * timeout; the consumer is closed all the same), or KFK_ERR_INVALID_ARG
 * for NULL. */
#define KFK_CONSUMER_CLOSE_TIMEOUT_MS 30000
KFK_API kfk_err kfk_consumer_close(kfk_consumer *c, int timeout_ms);

/* Closes c if not yet closed (as kfk_consumer_close with
 * KFK_CONSUMER_CLOSE_TIMEOUT_MS), stops its threads and frees it. NULL is
 * a no-op. Call once, from an application thread, with no poll running. */
KFK_API void kfk_consumer_destroy(kfk_consumer *c);

/* Reading a message (from a poll, not yet released). Strings and bytes
 * point into the fetched data and stay valid until kfk_message_release;
 * the topic is NUL-terminated. A NULL message reads as KFK_ERR_INVALID_ARG,
 * NULL, -1 or 0 (a NULL key or value of length 0). Any thread; never
 * blocks. */
KFK_API kfk_err kfk_message_error(const kfk_message *m);
KFK_API const char *kfk_message_topic(const kfk_message *m);
KFK_API int32_t kfk_message_partition(const kfk_message *m);
KFK_API int64_t kfk_message_offset(const kfk_message *m);
/* The partition leader epoch the record was written under (its batch's
 * partitionLeaderEpoch, KIP-101), as Java's ConsumerRecord.leaderEpoch();
 * -1 when unknown: a record of the old message formats (v0/v1, which have
 * none) or a message carrying an error. Commits of the current positions
 * (kfk_consumer_commit with list NULL, auto commits) carry the epoch of
 * each partition's last message polled. */
KFK_API int32_t kfk_message_leader_epoch(const kfk_message *m);
/* How many times the brokers have delivered the record to a share group's
 * members, this delivery included (KIP-932; kfk_share.h), as Java's
 * ConsumerRecord.deliveryCount(); 0 for a message of a kfk_consumer. */
KFK_API int16_t kfk_message_delivery_count(const kfk_message *m);
/* The timestamp in ms since the epoch; *type (may be NULL) gets its kind. */
KFK_API int64_t kfk_message_timestamp(const kfk_message *m, kfk_timestamp_type *type);
/* Key and value: NULL for a null one (an empty one is not NULL, with
 * length 0); *len (may be NULL) gets the length. */
KFK_API const void *kfk_message_key(const kfk_message *m, size_t *len);
KFK_API const void *kfk_message_value(const kfk_message *m, size_t *len);
KFK_API size_t kfk_message_header_count(const kfk_message *m);
/* Header i: its name (name_len bytes, not NUL-terminated, "" when empty;
 * kfk_header takes it back as name and name_len) and value (NULL for a
 * null value). Returns KFK_OK or KFK_ERR_INVALID_ARG when i is out of range.
 * Walks the headers from the first: O(i). */
KFK_API kfk_err kfk_message_header(const kfk_message *m, size_t i, const char **name,
                                   size_t *name_len, const void **value, size_t *value_len);
/* Gives the message back; NULL is a no-op. Any thread, any order. */
KFK_API void kfk_message_release(kfk_message *m);
/* --- end of consumer -------------------------------------------------------------- */

/* --- transactions -------------------------------------------------------------- */
/* A producer with transactional.id writes in transactions (exactly-once,
 * KIP-98): the records of one transaction, and the consumer offsets sent
 * with it, become visible to read_committed consumers together when it
 * commits, and never when it aborts. A newer producer with the same
 * transactional.id fences the older one for good ("zombie fencing").
 *
 *     kfk_producer_init_transactions(p, 30000);       once
 *     for (;;) {
 *         kfk_producer_begin_transaction(p);
 *         kfk_produce(p, ...);                          any number
 *         kfk_producer_send_offsets_to_transaction(p, offsets, group, 30000);
 *         err = kfk_producer_commit_transaction(p, 30000);
 *         switch (kfk_producer_txn_action(p, err)) { ... }
 *     }
 *
 * kfk_produce on a transactional producer is valid only inside a
 * transaction (else KFK_ERR_STATE); a record that fails makes the
 * transaction abortable, and kfk_produce then returns KFK_ERR_STATE until
 * it is aborted. Records a transaction had not sent when it aborted get
 * KFK_ERR_TXN_ABORTED reports.
 *
 * With a broker whose finalized transaction.version is 2 (KIP-890, the
 * default of a new Kafka 4 cluster) partitions join a transaction through
 * Produce itself and every commit or abort bumps the producer epoch;
 * with an older one kfk adds partitions with AddPartitionsToTxn, batched.
 * The version is read at init_transactions.
 *
 * Every call below returns KFK_OK or an error; what the application does
 * next is kfk_producer_txn_action(p, err), which Java's KIP-1050 classes
 * map to:
 *   KFK_TXN_RETRY  the call timed out or its coordinator could not be
 *                  reached yet (retriable): call the same function again;
 *                  it takes up where the last call stopped (records
 *                  already sent are not sent again);
 *   KFK_TXN_ABORT  the transaction cannot commit (a record or offset
 *                  commit failed, the coordinator aborted it on timeout):
 *                  call kfk_producer_abort_transaction, then go on;
 *   KFK_TXN_FATAL  the producer can do nothing more: fenced by a newer
 *                  producer (KFK_ERR_PRODUCER_FENCED,
 *                  KFK_ERR_INVALID_PRODUCER_EPOCH), not authorized for the
 *                  transactional id, or a broker without transactions.
 *                  error_cb was told; destroy the producer (a new one
 *                  with the same transactional.id fences this one);
 *   KFK_TXN_USAGE  a call not valid in the producer's state, or a bad
 *                  argument (KFK_ERR_STATE, KFK_ERR_INVALID_ARG): nothing
 *                  changed; a bug in the calling program.
 * Transactional calls are for one application thread at a time (the one
 * that drives the transactions); kfk_produce may run on others. */
typedef enum kfk_txn_action {
    KFK_TXN_NONE = 0, /* err was KFK_OK */
    KFK_TXN_RETRY,
    KFK_TXN_ABORT,
    KFK_TXN_FATAL,
    KFK_TXN_USAGE,
} kfk_txn_action;

KFK_API kfk_txn_action kfk_producer_txn_action(kfk_producer *producer, kfk_err err);

/* Gets the producer id and epoch for transactional.id from its
 * transaction coordinator, fencing any older producer with that id and
 * ending (aborting) a transaction it left open. Call once, before the
 * first transaction; waits up to timeout_ms. */
KFK_API kfk_err kfk_producer_init_transactions(kfk_producer *producer, int timeout_ms);

/* Starts a transaction (locally: the coordinator hears of it with its
 * first partition or offsets). */
KFK_API kfk_err kfk_producer_begin_transaction(kfk_producer *producer);

/* What a consumer in a group is at one moment: the group, and the
 * member's generation (a KIP-848 member's epoch), id and instance id, so
 * that offsets committed through a transaction are refused if the member
 * lost its partitions meanwhile (KIP-447). */
typedef struct kfk_consumer_group_metadata kfk_consumer_group_metadata;

/* c's group metadata now (a copy: free it with
 * kfk_consumer_group_metadata_destroy): the generation (classic) or
 * member epoch (KIP-848) and the member id of c's last join, both from
 * the same join; generation -1 and member "" before the first. A member
 * that has lost its place keeps offering them until it joins again, so
 * that the coordinator refuses offsets a transaction commits with them.
 * NULL when c has no group.id, out of memory, or in a process forked
 * after c was made. Any thread; never blocks for I/O. (Java:
 * KafkaConsumer.groupMetadata().) */
KFK_API kfk_consumer_group_metadata *kfk_consumer_get_group_metadata(kfk_consumer *c);
/* Group metadata for group_id without a member (generation -1, member
 * ""): the coordinator then checks no membership, as Java's
 * ConsumerGroupMetadata(groupId). NULL for a NULL or empty group_id, or
 * out of memory. */
KFK_API kfk_consumer_group_metadata *kfk_consumer_group_metadata_new(const char *group_id);
KFK_API const char *kfk_consumer_group_metadata_group_id(const kfk_consumer_group_metadata *md);
KFK_API int32_t kfk_consumer_group_metadata_generation_id(const kfk_consumer_group_metadata *md);
KFK_API const char *kfk_consumer_group_metadata_member_id(const kfk_consumer_group_metadata *md);
/* NULL: the member has no group.instance.id. */
KFK_API const char *
kfk_consumer_group_metadata_group_instance_id(const kfk_consumer_group_metadata *md);
/* NULL is a no-op. */
KFK_API void kfk_consumer_group_metadata_destroy(kfk_consumer_group_metadata *md);

/* Adds offsets (each entry the next offset to consume, >= 0, with its
 * optional metadata and leader epoch; read during the call only; no
 * partition twice, else KFK_ERR_INVALID_ARG) of
 * group's consumer to the transaction: they are committed when it
 * commits. An empty list adds nothing and returns KFK_OK. The
 * coordinator refuses them (the transaction becomes abortable) when the
 * member is no longer in group's generation. Waits up to timeout_ms. */
KFK_API kfk_err kfk_producer_send_offsets_to_transaction(kfk_producer *producer,
                                                         const kfk_partition_list *offsets,
                                                         const kfk_consumer_group_metadata *group,
                                                         int timeout_ms);

/* Sends every record of the transaction (as kfk_producer_flush, serving
 * delivery reports on this thread), then commits it. Fails with the
 * first record's error if any record failed (the transaction is then
 * abortable). Waits up to timeout_ms. */
KFK_API kfk_err kfk_producer_commit_transaction(kfk_producer *producer, int timeout_ms);

/* Fails the transaction's records not yet sent (KFK_ERR_TXN_ABORTED),
 * waits for those in flight, and aborts it. Also the way out of an
 * abortable error. Waits up to timeout_ms. */
KFK_API kfk_err kfk_producer_abort_transaction(kfk_producer *producer, int timeout_ms);
/* --- end of transactions -------------------------------------------------------- */

#ifdef __cplusplus
}
#endif

/* Statistics read on demand, and interceptors. */
#include "kfk_observe.h"
/* The admin client's part of the API. */
#include "kfk_admin.h"
/* The share consumer (KIP-932). */
#include "kfk_share.h"

#endif
