/* The configuration store behind kfk_conf. One table (conf_table.c) lists
 * every property: its Java-compatible name, type, default, range or
 * allowed values, the clients it applies to and a line of documentation.
 * docs/CONFIGURATION.md is generated from that table by tools/confdoc.
 *
 * Values are parsed and checked when they are set and stored typed, one
 * slot per property, so the library reads them by id in O(1):
 *     int64_t linger_ms = kconf_i64(conf, KCONF_LINGER_MS);
 * Checks that span several properties (enable.idempotence needs acks=all)
 * run once, when a client is created, in kconf_validate().
 *
 * Threads: a kfk_conf is not locked. One thread at a time may use it;
 * once a client owns it, it is read-only and any thread may read it. */
#ifndef KFK_BASE_CONF_H
#define KFK_BASE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/log.h"
#include "kfk.h"

/* Property ids: one per row of the table, in table order. conf_table.c
 * fills its rows by these ids, and conf_test checks that none is missing. */
typedef enum kconf_id {
    /* every client */
    KCONF_BOOTSTRAP_SERVERS,
    KCONF_CLIENT_ID,
    KCONF_CLIENT_DNS_LOOKUP,
    KCONF_REQUEST_TIMEOUT_MS,
    KCONF_DEFAULT_API_TIMEOUT_MS,
    KCONF_RETRIES,
    KCONF_RETRY_BACKOFF_MS,
    KCONF_RETRY_BACKOFF_MAX_MS,
    KCONF_RECONNECT_BACKOFF_MS,
    KCONF_RECONNECT_BACKOFF_MAX_MS,
    KCONF_SOCKET_CONNECTION_SETUP_TIMEOUT_MS,
    KCONF_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS,
    KCONF_CONNECTIONS_MAX_IDLE_MS,
    KCONF_SEND_BUFFER_BYTES,
    KCONF_RECEIVE_BUFFER_BYTES,
    KCONF_MAX_IN_FLIGHT,
    KCONF_METADATA_MAX_AGE_MS,
    KCONF_METADATA_MAX_IDLE_MS,
    KCONF_METADATA_RECOVERY_STRATEGY,
    KCONF_METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS,
    KCONF_IO_THREADS,
    KCONF_LOG_LEVEL,
    KCONF_LOG_CB,
    KCONF_ERROR_CB,
    KCONF_THROTTLE_CB,
    /* statistics (producer and consumer) */
    KCONF_STATISTICS_INTERVAL_MS,
    KCONF_STATS_CB,
    /* security */
    KCONF_SECURITY_PROTOCOL,
    KCONF_SASL_MECHANISM,
    KCONF_SASL_USERNAME,
    KCONF_SASL_PASSWORD,
    KCONF_SASL_JAAS_CONFIG,
    KCONF_SASL_SCRAM_TOKENAUTH,
    KCONF_SASL_KERBEROS_SERVICE_NAME,
    KCONF_SASL_KERBEROS_KINIT_CMD,
    KCONF_SASL_KERBEROS_MIN_TIME_BEFORE_RELOGIN,
    KCONF_SASL_KERBEROS_KEYTAB,
    KCONF_SASL_KERBEROS_PRINCIPAL,
    KCONF_SASL_LOGIN_REFRESH_WINDOW_FACTOR,
    KCONF_SASL_LOGIN_REFRESH_WINDOW_JITTER,
    KCONF_SASL_LOGIN_REFRESH_MIN_PERIOD_SECONDS,
    KCONF_SASL_LOGIN_REFRESH_BUFFER_SECONDS,
    KCONF_SASL_MECHANISM_CB,
    KCONF_SASL_OAUTHBEARER_TOKEN_CB,
    KCONF_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL,
    KCONF_SASL_OAUTHBEARER_CLIENT_ID,
    KCONF_SASL_OAUTHBEARER_CLIENT_SECRET,
    KCONF_SASL_OAUTHBEARER_SCOPE,
    KCONF_SASL_OAUTHBEARER_SCOPE_CLAIM_NAME,
    KCONF_SASL_OAUTHBEARER_SUB_CLAIM_NAME,
    KCONF_SASL_OAUTHBEARER_HEADER_URLENCODE,
    KCONF_SASL_LOGIN_CONNECT_TIMEOUT_MS,
    KCONF_SASL_LOGIN_READ_TIMEOUT_MS,
    KCONF_SASL_LOGIN_RETRY_BACKOFF_MS,
    KCONF_SASL_LOGIN_RETRY_BACKOFF_MAX_MS,
    KCONF_SSL_TRUSTSTORE_LOCATION,
    KCONF_SSL_TRUSTSTORE_TYPE,
    KCONF_SSL_TRUSTSTORE_PASSWORD,
    KCONF_SSL_TRUSTSTORE_CERTIFICATES,
    KCONF_SSL_KEYSTORE_LOCATION,
    KCONF_SSL_KEYSTORE_TYPE,
    KCONF_SSL_KEYSTORE_PASSWORD,
    KCONF_SSL_KEYSTORE_CERTIFICATE_CHAIN,
    KCONF_SSL_KEYSTORE_KEY,
    KCONF_SSL_CA_LOCATION,
    KCONF_SSL_CERTIFICATE_LOCATION,
    KCONF_SSL_KEY_LOCATION,
    KCONF_SSL_KEY_PASSWORD,
    KCONF_SSL_CRL_LOCATION,
    KCONF_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM,
    KCONF_SSL_PROTOCOL,
    KCONF_SSL_ENABLED_PROTOCOLS,
    KCONF_SSL_CIPHER_SUITES,
    KCONF_SSL_CERT_VERIFY_CB,
    /* producer */
    KCONF_ACKS,
    KCONF_LINGER_MS,
    KCONF_BATCH_SIZE,
    KCONF_BUFFER_MEMORY,
    KCONF_MAX_BLOCK_MS,
    KCONF_MAX_REQUEST_SIZE,
    KCONF_COMPRESSION_TYPE,
    KCONF_COMPRESSION_LEVEL,
    KCONF_COMPRESSION_GZIP_LEVEL,
    KCONF_COMPRESSION_LZ4_LEVEL,
    KCONF_COMPRESSION_ZSTD_LEVEL,
    KCONF_DELIVERY_TIMEOUT_MS,
    KCONF_ENABLE_IDEMPOTENCE,
    KCONF_TRANSACTIONAL_ID,
    KCONF_TRANSACTION_TIMEOUT_MS,
    KCONF_PARTITIONER,
    KCONF_PARTITIONER_IGNORE_KEYS,
    KCONF_PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE,
    KCONF_PARTITIONER_AVAILABILITY_TIMEOUT_MS,
    KCONF_PARTITIONER_CB,
    KCONF_DR_CB,
    /* consumer */
    KCONF_CLIENT_RACK,
    KCONF_GROUP_ID,
    KCONF_GROUP_INSTANCE_ID,
    KCONF_GROUP_PROTOCOL,
    KCONF_GROUP_REMOTE_ASSIGNOR,
    KCONF_PARTITION_ASSIGNMENT_STRATEGY,
    KCONF_SESSION_TIMEOUT_MS,
    KCONF_HEARTBEAT_INTERVAL_MS,
    KCONF_MAX_POLL_INTERVAL_MS,
    KCONF_MAX_POLL_RECORDS,
    KCONF_ENABLE_AUTO_COMMIT,
    KCONF_AUTO_COMMIT_INTERVAL_MS,
    KCONF_AUTO_OFFSET_RESET,
    KCONF_FETCH_MIN_BYTES,
    KCONF_FETCH_MAX_BYTES,
    KCONF_FETCH_MAX_WAIT_MS,
    KCONF_MAX_PARTITION_FETCH_BYTES,
    KCONF_FETCH_QUEUE_MAX_BYTES,
    KCONF_ISOLATION_LEVEL,
    KCONF_CHECK_CRCS,
    KCONF_EXCLUDE_INTERNAL_TOPICS,
    KCONF_ALLOW_AUTO_CREATE_TOPICS,
    KCONF_REBALANCE_CB,
    KCONF_COMMIT_CB,
    /* share consumer */
    KCONF_SHARE_ACKNOWLEDGEMENT_MODE,
    KCONF_SHARE_ACK_CB,
    KCONF__COUNT
} kconf_id;

/* Which clients a property applies to (a bitmask), and the client a
 * kconf_validate() call prepares the configuration for (one bit). */
typedef enum kconf_client {
    KCONF_PRODUCER = 1,
    KCONF_CONSUMER = 2,
    KCONF_ADMIN = 4,
    KCONF_ALL = 7,
} kconf_client;

typedef enum kconf_type {
    KCONF_T_STRING,
    KCONF_T_PASSWORD, /* a string that is never printed: reads back "[hidden]" */
    KCONF_T_BOOL,     /* true or false, any case (as Java accepts them) */
    KCONF_T_INT,      /* a whole number, range in the table */
    KCONF_T_LONG,     /* a whole number that may exceed 32 bits */
    KCONF_T_DOUBLE,   /* a decimal number, range in the table */
    KCONF_T_ENUM,     /* one of the table's spellings; stored as its value */
    KCONF_T_LIST,     /* comma-separated; entries checked against the spellings if any */
    KCONF_T_MS,       /* a duration in milliseconds */
    KCONF_T_BYTES,    /* a size in bytes */
    KCONF_T_CALLBACK, /* a function pointer and its opaque, set by a kfk_conf_set_*_cb() */
} kconf_type;

/* Row flags. */
enum {
    KCONF_F_ICASE = 1 << 0,        /* enum and list spellings match in any case */
    KCONF_F_NONEMPTY = 1 << 1,     /* a string that, once set, must not be empty */
    KCONF_F_KFK = 1 << 2,          /* kfk's own property; the Java client lacks it */
    KCONF_F_OR_MINUS_ONE = 1 << 3, /* a number where -1 is allowed outside [min, max] */
    KCONF_F_OPTIONAL = 1 << 4,     /* a number with no default: "" or NULL leaves it unset */
};

/* One spelling of an enum value. Several spellings may share a value
 * (acks "all" and "-1"); an alias is accepted but left out of error
 * messages and the documentation's list of allowed values. */
typedef struct kconf_enum_val {
    const char *name;
    int value;
    bool alias;
    const char *doc; /* optional: what this value means, for the docs */
} kconf_enum_val;

/* A callback as stored: its reader casts it back to its real type. */
typedef void (*kconf_fn)(void);

/* The longest list of enum values a property may hold. */
#define KCONF_LIST_MAX 8

/* A property's stored value. Which fields are used depends on the type. */
typedef struct kconf_value {
    int64_t i;                     /* int, long, ms, bytes, bool (0/1), enum value */
    int64_t arg;                   /* auto.offset.reset by_duration: the duration in ms */
    double d;                      /* double */
    char *s;                       /* string, password, list, and enum text when it has an argument;
                                    * owned, NULL for "" */
    int32_t spelling;              /* enum: index of the spelling that was set, for kfk_conf_get */
    bool null;                     /* KCONF_F_OPTIONAL number with no value */
    uint8_t n_items;               /* enum-checked list: how many values */
    uint8_t items[KCONF_LIST_MAX]; /* enum-checked list: the values, in order */
    kconf_fn fn;                   /* callback: the function */
    void *opaque;                  /* callback: the application's pointer */
} kconf_value;

typedef struct kconf_prop kconf_prop;

/* A parser for a property whose syntax the generic types cannot express.
 * Parses text into out (freshly zeroed; allocations become out's) and
 * returns KFK_OK, or KFK_ERR_CONFIG with a message, or KFK_ERR_NO_MEMORY. */
typedef kfk_err(kconf_parse_fn)(const kconf_prop *p, const char *text, kconf_value *out,
                                char *errstr, size_t errlen);

/* One row of the table. */
struct kconf_prop {
    const char *name; /* Java's name where Java has the property */
    kconf_type type;
    uint8_t clients;              /* kconf_client bits */
    uint8_t flags;                /* KCONF_F_* */
    const char *def;              /* default as text; NULL: no value (optional numbers,
                                   * strings that must not be empty) */
    const char *client_def[3];    /* a producer's, consumer's, admin's default where it
                                   * differs from def, else NULL */
    int64_t min, max;             /* numbers: inclusive range */
    double dmin, dmax;            /* doubles: inclusive range */
    const kconf_enum_val *values; /* enums and checked lists: spellings, NULL-name end */
    kconf_parse_fn *parse;        /* custom syntax, or NULL */
    const char *setter;           /* callbacks: the public function that sets it */
    const char *doc;              /* one line for docs/CONFIGURATION.md */
};

/* An interceptor as kfk_conf_add_interceptor stored it. */
typedef struct kconf_icpt {
    kfk_interceptor ops;
    void *opaque;
} kconf_icpt;

/* Whether the n-th error (from 1) an application's hook returned is to be
 * logged: the first ten, then every thousandth, so a hook failing on
 * every record does not flood the log. */
static inline bool kconf_icpt_log(long n)
{
    return n <= 10 || n % 1000 == 0;
}

/* The store. Internal: the public header keeps it opaque. */
struct kfk_conf {
    kconf_value vals[KCONF__COUNT];
    bool set[KCONF__COUNT]; /* the application set this property */
    int n_icpt;             /* interceptors, in the order added */
    kconf_icpt icpt[KFK_INTERCEPTORS_MAX];
};

/* --- enum values, as the typed getters return them ---------------------- */

enum { KCONF_ACKS_ALL = -1, KCONF_ACKS_NONE = 0, KCONF_ACKS_LEADER = 1 };
/* Kafka's codec ids, as record batch attributes carry them (= kcodec). */
enum {
    KCONF_COMPRESSION_NONE = 0,
    KCONF_COMPRESSION_GZIP = 1,
    KCONF_COMPRESSION_SNAPPY = 2,
    KCONF_COMPRESSION_LZ4 = 3,
    KCONF_COMPRESSION_ZSTD = 4,
};
enum {
    KCONF_SECURITY_PLAINTEXT,
    KCONF_SECURITY_SSL,
    KCONF_SECURITY_SASL_PLAINTEXT,
    KCONF_SECURITY_SASL_SSL,
};
enum { KCONF_STORE_AUTO, KCONF_STORE_PEM, KCONF_STORE_PKCS12 };
enum { KCONF_ENDPOINT_ID_NONE, KCONF_ENDPOINT_ID_HTTPS };
enum { KCONF_TLS_1_2, KCONF_TLS_1_3 };
enum { KCONF_DNS_USE_ALL_IPS, KCONF_DNS_RESOLVE_CANONICAL_BOOTSTRAP };
enum { KCONF_RECOVERY_NONE, KCONF_RECOVERY_REBOOTSTRAP };
enum {
    KCONF_PARTITIONER_DEFAULT,
    KCONF_PARTITIONER_MURMUR2,
    KCONF_PARTITIONER_MURMUR2_RANDOM,
    KCONF_PARTITIONER_CONSISTENT,
    KCONF_PARTITIONER_CONSISTENT_RANDOM,
    KCONF_PARTITIONER_RANDOM,
    KCONF_PARTITIONER_ROUND_ROBIN,
};
enum { KCONF_GROUP_PROTOCOL_CLASSIC, KCONF_GROUP_PROTOCOL_CONSUMER };
enum { KCONF_SHARE_ACK_IMPLICIT, KCONF_SHARE_ACK_EXPLICIT };
enum {
    KCONF_ASSIGNOR_RANGE,
    KCONF_ASSIGNOR_ROUNDROBIN,
    KCONF_ASSIGNOR_STICKY,
    KCONF_ASSIGNOR_COOPERATIVE_STICKY,
};
/* auto.offset.reset; BY_DURATION's duration is kconf_arg(). */
enum {
    KCONF_RESET_LATEST,
    KCONF_RESET_EARLIEST,
    KCONF_RESET_NONE,
    KCONF_RESET_BY_DURATION,
};
/* The wire values of FetchRequest's IsolationLevel. */
enum { KCONF_READ_UNCOMMITTED = 0, KCONF_READ_COMMITTED = 1 };

/* --- reading values (O(1); the id's type must match) -------------------- */

/* int, long, ms, bytes, enum (its value) and bool (0 or 1). */
static inline int64_t kconf_i64(const kfk_conf *c, kconf_id id)
{
    return c->vals[id].i;
}
/* The same, for properties whose range fits an int. */
static inline int kconf_int(const kfk_conf *c, kconf_id id)
{
    return (int)c->vals[id].i;
}
static inline bool kconf_bool(const kfk_conf *c, kconf_id id)
{
    return c->vals[id].i != 0;
}
static inline double kconf_double(const kfk_conf *c, kconf_id id)
{
    return c->vals[id].d;
}
/* A string, password or list as text (lists: "a,b", no spaces); never
 * NULL: "" when empty. Valid until the property is next set. */
static inline const char *kconf_str(const kfk_conf *c, kconf_id id)
{
    return c->vals[id].s ? c->vals[id].s : "";
}
/* An enum-checked list's values, in the order given; *n gets the count. */
static inline const uint8_t *kconf_items(const kfk_conf *c, kconf_id id, size_t *n)
{
    *n = c->vals[id].n_items;
    return c->vals[id].items;
}
/* The argument of an enum value that carries one (by_duration:). */
static inline int64_t kconf_arg(const kfk_conf *c, kconf_id id)
{
    return c->vals[id].arg;
}
/* False for a KCONF_F_OPTIONAL number with no value. */
static inline bool kconf_has_value(const kfk_conf *c, kconf_id id)
{
    return !c->vals[id].null;
}
/* True when the application set the property (even to its default). */
static inline bool kconf_is_set(const kfk_conf *c, kconf_id id)
{
    return c->set[id];
}

/* A callback and its opaque; fn is NULL when none was set. */
static inline kconf_fn kconf_cb(const kfk_conf *c, kconf_id id, void **opaque)
{
    *opaque = c->vals[id].opaque;
    return c->vals[id].fn;
}

/* Stores a callback: the kfk_conf_set_*_cb() functions call this. */
void kconf_set_cb(kfk_conf *conf, kconf_id id, kconf_fn fn, void *opaque);

/* A logger from the configuration's log_cb and log.level. */
void kconf_logger(const kfk_conf *conf, klogger *lg);

/* --- client creation ---------------------------------------------------- */

/* Prepares conf for one client (KCONF_PRODUCER, _CONSUMER or _ADMIN) and
 * checks the rules that span properties, as the Java client does when it
 * is constructed: applies that client's own defaults to properties the
 * application did not set, derives what Java derives (an implicitly
 * enabled idempotence is switched off by acks=0/1 or retries=0; an unset
 * delivery.timeout.ms grows to linger.ms + request.timeout.ms; without a
 * group.id auto commit is off), copies compression.level to the selected
 * codec's level and the JAAS username and password to sasl.username and
 * sasl.password, and logs a warning for each property the application set
 * that this client ignores. Call once, on the client's own conf, before
 * any other thread sees it. Returns KFK_OK, or KFK_ERR_CONFIG with a
 * message in errstr (which may be NULL when errlen is 0). */
kfk_err kconf_validate(kfk_conf *conf, kconf_client client, char *errstr, size_t errlen);

/* --- the table, for the store itself, tools and tests ------------------- */

/* The table, indexed by kconf_id; *n gets KCONF__COUNT. */
const kconf_prop *kconf_table(size_t *n);

/* The row for id. */
const kconf_prop *kconf_prop_of(kconf_id id);

/* The id of the property called name (exact match), or -1. */
int kconf_lookup(const char *name);

/* What kfk knows about a name that is not one of its properties: a Java
 * client property kfk lacks (use NULL, why says what to do instead), or a
 * librdkafka name (use names the kfk property, why adds a note or NULL). */
typedef struct kconf_hint_row {
    const char *name;
    const char *use;
    const char *why;
} kconf_hint_row;

/* The hint for name, or NULL. */
const kconf_hint_row *kconf_hint(const char *name);

/* Every hint, for the docs; *n gets the count. */
const kconf_hint_row *kconf_hints(size_t *n);

/* The closest property name to name within an edit distance of 3
 * (insertions, deletions, substitutions, adjacent swaps; any case), or
 * NULL. Callbacks are never suggested. */
const char *kconf_suggest(const char *name);

/* Damerau-Levenshtein distance (optimal string alignment) between a and b,
 * ignoring ASCII case, capped: anything above cap returns cap + 1. */
int kconf_distance(const char *a, const char *b, int cap);

/* The type's name for docs and messages: "int", "duration (ms)", ... */
const char *kconf_type_name(kconf_type t);

/* What p accepts, as text for messages and docs: "one of all, -1, 0, 1",
 * "between 1 and 9, or -1", "at least 0", "true or false", or "" when any
 * value goes. Returns the length snprintf would have written. */
int kconf_allowed(const kconf_prop *p, char *buf, size_t len);

/* Parses text as p's value into out, which the caller zeroes first and
 * later frees with kconf_value_free(). Returns KFK_OK, KFK_ERR_CONFIG with a
 * message, or KFK_ERR_NO_MEMORY. */
kfk_err kconf_parse(const kconf_prop *p, const char *text, kconf_value *out, char *errstr,
                    size_t errlen);

/* Writes v as p's text, the way kfk_conf_get reads it back (passwords:
 * "[hidden]" when set). Returns the length snprintf would have written. */
int kconf_format(const kconf_prop *p, const kconf_value *v, char *buf, size_t len);

/* Frees what v owns (wiping password bytes first) and zeroes it. */
void kconf_value_free(const kconf_prop *p, kconf_value *v);

/* kconf_parse() for text already trimmed, by p's type alone: what custom
 * parsers call for the part of the syntax that is generic. */
kfk_err kconf_parse_generic(const kconf_prop *p, const char *text, kconf_value *out, char *errstr,
                            size_t errlen);

/* Custom parsers used by the table (conf_special.c). */
kconf_parse_fn kconf_parse_bootstrap;
kconf_parse_fn kconf_parse_offset_reset;
kconf_parse_fn kconf_parse_jaas;

/* Reads option key (e.g. "username") from a JAAS line that
 * kconf_parse_jaas accepted, into a malloc'd string at *out (NULL when the
 * option is absent). Returns KFK_OK or KFK_ERR_NO_MEMORY. */
kfk_err kconf_jaas_option(const char *jaas, const char *key, char **out);

/* Calls fn(arg, key, value) for each option of a JAAS line, in order
 * (repeats included), with NUL-terminated copies that live for the call;
 * a quoted value comes with its escapes undone. Stops at the first error
 * fn returns and returns it; else KFK_OK, KFK_ERR_CONFIG for a line
 * kconf_parse_jaas would refuse, or KFK_ERR_NO_MEMORY. */
typedef kfk_err kconf_jaas_option_fn(void *arg, const char *key, const char *value);
kfk_err kconf_jaas_foreach(const char *jaas, kconf_jaas_option_fn *fn, void *arg);

/* The OAUTHBEARER token endpoint settings (conf_oidc.c): moves the
 * clientId, clientSecret and scope options of sasl.jaas.config into their
 * properties and refuses settings the endpoint login would not use.
 * Returns KFK_OK, KFK_ERR_CONFIG naming the property, KFK_ERR_NO_MEMORY. */
kfk_err kconf_check_oidc(kfk_conf *conf, char *errstr, size_t errlen);

/* GSSAPI's settings (conf_kerberos.c), part of kconf_validate: with
 * gssapi (SASL with kfk's GSSAPI), moves sasl.jaas.config's
 * Krb5LoginModule options into the sasl.kerberos.* properties and checks
 * they fit together; without, refuses any sasl.kerberos.* setting. */
kfk_err kconf_resolve_kerberos(kfk_conf *conf, bool gssapi, char *errstr, size_t errlen);

/* Formats into errstr (if errlen > 0) and returns KFK_ERR_CONFIG. */
kfk_err kconf_error(char *errstr, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
