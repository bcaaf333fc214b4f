/* kfk: a C11 client library for Apache Kafka.
 *
 * The whole public API is this one header. Handles are opaque; every
 * function says who owns the pointers it takes and returns, what it returns
 * on error, whether it blocks, and which threads may call it. */
#ifndef KFK_H
#define KFK_H

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
#define KFK_VERSION_STR "0.1.0"

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
    KFK_ERR_NO_MEMORY = -100,           /* an allocation failed */
    KFK_ERR_INVALID_ARG = -101,         /* a caller passed a bad argument */
    KFK_ERR_MALFORMED = -102,           /* bytes from the network do not parse */
    KFK_ERR_CRC = -103,                 /* a record batch failed its CRC check */
    KFK_ERR_COMPRESSION = -104,         /* compressing or decompressing failed */
    KFK_ERR_UNSUPPORTED = -105,         /* a feature, codec or format we lack */
    KFK_ERR_TOO_LARGE = -106,           /* data exceeds a configured limit */
    KFK_ERR_TIMED_OUT = -107,           /* the operation's deadline passed */
    KFK_ERR_TRANSPORT = -108,           /* connection failed or closed */
    KFK_ERR_NO_COMMON_VERSION = -109,   /* no API version both sides speak */
    KFK_ERR_STATE = -110,               /* the call is not valid in this state */
    KFK_ERR_CONFIG = -111,              /* a configuration value is invalid */
    KFK_ERR_QUEUE_FULL = -112,          /* the producer's buffer is full */
    KFK_ERR_PURGED = -113,              /* a record was purged before it was sent */
    KFK_ERR_DESTROYED = -114,           /* the handle is being destroyed */
    KFK_ERR_FATAL = -115,               /* the handle hit a fatal error; destroy it */
    KFK_ERR_NO_BROKERS = -116,          /* no broker could be reached */
    KFK_ERR_AUTH = -117,                /* authentication (SASL) failed */
    KFK_ERR_TLS = -118,                 /* the TLS handshake or a certificate failed */
    KFK_ERR_RESOLVE = -119,             /* a broker's host name did not resolve */
    KFK_ERR_PARTITION_EOF = -120,       /* the consumer reached a partition's end */
    KFK_ERR_NO_OFFSET = -121,           /* no committed offset and no reset policy */
    /* @CLIENT_ERRORS@ more client-side codes go above this line */

    /* broker errors: the Kafka protocol's codes as of Apache Kafka 4.3
     * (org.apache.kafka.common.protocol.Errors). The descriptions are in
     * lib/base/err.c; kfk_err_str() returns them. */
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
} kfk_err;

/* Describes err as "NAME: description" (e.g. "NOT_LEADER_OR_FOLLOWER: ...").
 * Never NULL: a code kfk does not know gives "unknown error N". The string
 * is static, or for unknown codes lives in a thread-local buffer that the
 * calling thread's next such call overwrites. Any thread; never blocks. */
KFK_API const char *kfk_err_str(kfk_err err);

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

/* Receives one log line. level is a kfk_log_level; facility names the part
 * of kfk that logged ("broker", "metadata", ...); message has no trailing
 * newline. Both strings are kfk's and valid only during the call. The
 * callback may run on any kfk thread, several at once, and must not call
 * back into kfk on the handle that logged. Without a callback, kfk writes
 * timestamped lines to stderr. */
typedef void(kfk_log_cb)(void *opaque, int level, const char *facility, const char *message);

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
/* --- end of producer: records and partitioners --------------------------- */

#ifdef __cplusplus
}
#endif
#endif
