/* The property table: every configuration property kfk has, one row each,
 * indexed by kconf_id. Pure data; conf.c reads it, tools/confdoc prints it
 * as docs/CONFIGURATION.md, conf_test checks it.
 *
 * Names, defaults and ranges follow the Java client of Apache Kafka 4.3
 * (ProducerConfig, ConsumerConfig, AdminClientConfig) wherever Java has
 * the property; rows flagged KCONF_F_KFK are kfk's own. Where Java accepts
 * nonsense that its brokers then reject (a negative session timeout), the
 * range here is tighter. The docs are ours.
 *
 * To add a property: add its id to kconf_id in conf.h, a row here, and run
 * `make docs`. */
#include <stdint.h>
#include <string.h>

#include "base/conf.h"

#define I32MAX INT32_MAX
#define I64MAX INT64_MAX

#define P KCONF_PRODUCER
#define C KCONF_CONSUMER
#define A KCONF_ADMIN

/* The rows are laid out by hand, one property per block. */
/* clang-format off */

/* --- enum spellings ------------------------------------------------------ */

static const kconf_enum_val dns_lookup_values[] = {
    {"use_all_dns_ips", KCONF_DNS_USE_ALL_IPS, false,
     "try every address a broker's name resolves to, in turn"},
    {"resolve_canonical_bootstrap_servers_only", KCONF_DNS_RESOLVE_CANONICAL_BOOTSTRAP, false,
     "expand each bootstrap name to its canonical names first (for Kerberos behind aliases)"},
    {NULL},
};

static const kconf_enum_val recovery_values[] = {
    {"rebootstrap", KCONF_RECOVERY_REBOOTSTRAP, false,
     "start again from bootstrap.servers when no known broker answers"},
    {"none", KCONF_RECOVERY_NONE, false, "keep trying the brokers last seen in metadata"},
    {NULL},
};

static const kconf_enum_val share_ack_mode_values[] = {
    {"implicit", KCONF_SHARE_ACK_IMPLICIT, false,
     "the next poll, commit or close accepts the records handed out and not acknowledged"},
    {"explicit", KCONF_SHARE_ACK_EXPLICIT, false,
     "the application acknowledges every record before it polls again"},
    {NULL},
};

static const kconf_enum_val log_level_values[] = {
    {"emerg", KFK_LOG_EMERG},     {"alert", KFK_LOG_ALERT},    {"crit", KFK_LOG_CRIT},
    {"err", KFK_LOG_ERR},         {"warning", KFK_LOG_WARNING}, {"notice", KFK_LOG_NOTICE},
    {"info", KFK_LOG_INFO},       {"debug", KFK_LOG_DEBUG},     {"0", KFK_LOG_EMERG, true},
    {"1", KFK_LOG_ALERT, true},   {"2", KFK_LOG_CRIT, true},    {"3", KFK_LOG_ERR, true},
    {"4", KFK_LOG_WARNING, true}, {"5", KFK_LOG_NOTICE, true},  {"6", KFK_LOG_INFO, true},
    {"7", KFK_LOG_DEBUG, true},   {"error", KFK_LOG_ERR, true}, {"warn", KFK_LOG_WARNING, true},
    {NULL},
};

static const kconf_enum_val security_protocol_values[] = {
    {"PLAINTEXT", KCONF_SECURITY_PLAINTEXT},
    {"SSL", KCONF_SECURITY_SSL},
    {"SASL_PLAINTEXT", KCONF_SECURITY_SASL_PLAINTEXT},
    {"SASL_SSL", KCONF_SECURITY_SASL_SSL},
    {NULL},
};

static const kconf_enum_val store_type_values[] = {
    {"", KCONF_STORE_AUTO, false, "PEM or PKCS12, as the file's first bytes show"},
    {"PEM", KCONF_STORE_PEM},
    {"PKCS12", KCONF_STORE_PKCS12},
    {NULL},
};

/* Java takes any string and treats "" as "no check"; kfk knows these. */
static const kconf_enum_val endpoint_id_values[] = {
    {"https", KCONF_ENDPOINT_ID_HTTPS, false,
     "check that the broker's certificate names the host kfk connected to"},
    {"none", KCONF_ENDPOINT_ID_NONE, false, "skip the host name check"},
    {"", KCONF_ENDPOINT_ID_NONE, true},
    {NULL},
};

static const kconf_enum_val tls_version_values[] = {
    {"TLSv1.2", KCONF_TLS_1_2},
    {"TLSv1.3", KCONF_TLS_1_3},
    {NULL},
};

static const kconf_enum_val acks_values[] = {
    {"all", KCONF_ACKS_ALL, false, "the leader waits for every in-sync replica"},
    {"-1", KCONF_ACKS_ALL, false, "the same as all"},
    {"0", KCONF_ACKS_NONE, false, "no acknowledgement: the broker sends no response"},
    {"1", KCONF_ACKS_LEADER, false, "the leader acknowledges once it has written the batch"},
    {NULL},
};

static const kconf_enum_val compression_values[] = {
    {"none", KCONF_COMPRESSION_NONE},
    {"gzip", KCONF_COMPRESSION_GZIP},
    {"snappy", KCONF_COMPRESSION_SNAPPY},
    {"lz4", KCONF_COMPRESSION_LZ4},
    {"zstd", KCONF_COMPRESSION_ZSTD},
    {NULL},
};

static const kconf_enum_val partitioner_values[] = {
    {"default", KCONF_PARTITIONER_DEFAULT, false,
     "as the Java client: murmur2 of the key; keyless records stick to one partition until "
     "its batch is sent (KIP-480, KIP-794)"},
    {"murmur2", KCONF_PARTITIONER_MURMUR2, false,
     "murmur2 of the key; keyless records hash as an empty key"},
    {"murmur2_random", KCONF_PARTITIONER_MURMUR2_RANDOM, false,
     "murmur2 of the key; each keyless record goes to a random partition (librdkafka's "
     "default)"},
    {"consistent", KCONF_PARTITIONER_CONSISTENT, false,
     "CRC32 of the key; keyless records hash as an empty key"},
    {"consistent_random", KCONF_PARTITIONER_CONSISTENT_RANDOM, false,
     "CRC32 of the key; each keyless record goes to a random partition"},
    {"random", KCONF_PARTITIONER_RANDOM, false, "a random partition per record, key or not"},
    {"round_robin", KCONF_PARTITIONER_ROUND_ROBIN, false,
     "each record to the next partition in turn, key or not"},
    {NULL},
};

static const kconf_enum_val group_protocol_values[] = {
    {"classic", KCONF_GROUP_PROTOCOL_CLASSIC, false,
     "JoinGroup/SyncGroup; members assign partitions (partition.assignment.strategy)"},
    {"consumer", KCONF_GROUP_PROTOCOL_CONSUMER, false,
     "KIP-848: the broker assigns partitions (group.remote.assignor)"},
    {NULL},
};

/* The Java class names are accepted so a Java consumer's settings carry
 * over; they are the same assignors on the wire. */
static const kconf_enum_val assignor_values[] = {
    {"range", KCONF_ASSIGNOR_RANGE, false, "consecutive ranges of each topic's partitions"},
    {"roundrobin", KCONF_ASSIGNOR_ROUNDROBIN, false, "all partitions dealt out in turn"},
    {"sticky", KCONF_ASSIGNOR_STICKY, false, "balanced, keeping as much of the last assignment"},
    {"cooperative-sticky", KCONF_ASSIGNOR_COOPERATIVE_STICKY, false,
     "sticky, rebalancing incrementally: partitions that stay are never revoked"},
    {"org.apache.kafka.clients.consumer.RangeAssignor", KCONF_ASSIGNOR_RANGE, true},
    {"org.apache.kafka.clients.consumer.RoundRobinAssignor", KCONF_ASSIGNOR_ROUNDROBIN, true},
    {"org.apache.kafka.clients.consumer.StickyAssignor", KCONF_ASSIGNOR_STICKY, true},
    {"org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
     KCONF_ASSIGNOR_COOPERATIVE_STICKY, true},
    {NULL},
};

/* by_duration:<ISO-8601> is parsed by kconf_parse_offset_reset; its row
 * here names it in messages and docs, and never matches as text. */
static const kconf_enum_val offset_reset_values[] = {
    {"latest", KCONF_RESET_LATEST, false, "the partition's end: only records produced from now"},
    {"earliest", KCONF_RESET_EARLIEST, false, "the partition's start"},
    {"none", KCONF_RESET_NONE, false, "no reset: the application gets KFK_ERR_NO_OFFSET"},
    {"by_duration:PnDTnHnMn.nS", KCONF_RESET_BY_DURATION, false,
     "the first record no older than the ISO-8601 duration, e.g. by_duration:P1DT12H"},
    {NULL},
};

static const kconf_enum_val isolation_values[] = {
    {"read_uncommitted", KCONF_READ_UNCOMMITTED, false,
     "every record, including those of open and aborted transactions"},
    {"read_committed", KCONF_READ_COMMITTED, false,
     "only committed records; stops at the first open transaction"},
    {NULL},
};

/* --- the table ------------------------------------------------------------ */

static const kconf_prop table[KCONF__COUNT] = {
    /* every client: connections and retries */
    [KCONF_BOOTSTRAP_SERVERS] = {
        .name = "bootstrap.servers", .type = KCONF_T_LIST, .clients = KCONF_ALL, .def = "",
        .parse = kconf_parse_bootstrap,
        .doc = "Brokers to ask for the cluster's metadata first, as host:port,... ([v6]:port "
               "for IPv6); required. A few suffice: kfk learns the rest."},
    [KCONF_CLIENT_ID] = {
        .name = "client.id", .type = KCONF_T_STRING, .clients = KCONF_ALL, .def = "",
        .doc = "A name for this client that brokers log and use for quotas."},
    [KCONF_CLIENT_DNS_LOOKUP] = {
        .name = "client.dns.lookup", .type = KCONF_T_ENUM, .clients = KCONF_ALL,
        .def = "use_all_dns_ips", .values = dns_lookup_values,
        .doc = "How broker host names become addresses. use_all_dns_ips tries each address "
               "in turn; resolve_canonical_bootstrap_servers_only replaces each bootstrap name "
               "by the reverse-DNS names of its addresses when the client is made (the lookups "
               "block there), so Kerberos tickets name the brokers' own hosts."},
    [KCONF_REQUEST_TIMEOUT_MS] = {
        .name = "request.timeout.ms", .type = KCONF_T_MS, .clients = KCONF_ALL, .def = "30000",
        .min = 0, .max = I32MAX,
        .doc = "How long to wait for a broker's response to one request before giving up on it "
               "(and retrying it, if the operation's deadline allows)."},
    [KCONF_DEFAULT_API_TIMEOUT_MS] = {
        .name = "default.api.timeout.ms", .type = KCONF_T_MS, .clients = C | A, .def = "60000",
        .min = 0, .max = I32MAX,
        .doc = "The deadline of a blocking call that takes no timeout of its own."},
    [KCONF_RETRIES] = {
        .name = "retries", .type = KCONF_T_INT, .clients = P | A, .def = "2147483647",
        .min = 0, .max = I32MAX,
        .doc = "How many times a request that failed with a retriable error is sent again: "
               "a producer's batch, an admin request (and a topic the controller asks to "
               "retry); past it the record or call fails with the broker's error. 0 never "
               "retries, which an idempotent producer cannot do. Prefer bounding retries by time with "
               "delivery.timeout.ms (producer) or the call's timeout (admin)."},
    [KCONF_RETRY_BACKOFF_MS] = {
        .name = "retry.backoff.ms", .type = KCONF_T_MS, .clients = KCONF_ALL, .def = "100",
        .min = 0, .max = I64MAX,
        .doc = "The wait before the first retry of a failed request; it doubles with each "
               "further attempt, with jitter, up to retry.backoff.max.ms."},
    [KCONF_RETRY_BACKOFF_MAX_MS] = {
        .name = "retry.backoff.max.ms", .type = KCONF_T_MS, .clients = KCONF_ALL,
        .def = "1000", .min = 0, .max = I64MAX,
        .doc = "The longest wait between retries (raised to retry.backoff.ms if lower)."},
    [KCONF_RECONNECT_BACKOFF_MS] = {
        .name = "reconnect.backoff.ms", .type = KCONF_T_MS, .clients = KCONF_ALL, .def = "50",
        .min = 0, .max = I64MAX,
        .doc = "The wait before reconnecting to a broker; it doubles, with jitter, after each "
               "failed attempt, up to reconnect.backoff.max.ms."},
    [KCONF_RECONNECT_BACKOFF_MAX_MS] = {
        .name = "reconnect.backoff.max.ms", .type = KCONF_T_MS, .clients = KCONF_ALL,
        .def = "1000", .min = 0, .max = I64MAX,
        .doc = "The longest wait between reconnects (raised to reconnect.backoff.ms if lower)."},
    [KCONF_SOCKET_CONNECTION_SETUP_TIMEOUT_MS] = {
        .name = "socket.connection.setup.timeout.ms", .type = KCONF_T_MS, .clients = KCONF_ALL,
        .def = "10000", .min = 0, .max = I64MAX,
        .doc = "How long a new connection may take to be established before kfk closes it; "
               "doubles on consecutive failures up to socket.connection.setup.timeout.max.ms."},
    [KCONF_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS] = {
        .name = "socket.connection.setup.timeout.max.ms", .type = KCONF_T_MS,
        .clients = KCONF_ALL, .def = "30000", .min = 0, .max = I64MAX,
        .doc = "The cap on the connection setup timeout."},
    [KCONF_CONNECTIONS_MAX_IDLE_MS] = {
        .name = "connections.max.idle.ms", .type = KCONF_T_MS, .clients = KCONF_ALL,
        .def = "540000", .client_def = {[2] = "300000"}, .min = -1, .max = I64MAX,
        .doc = "Close a connection that has carried no request for this long; -1 keeps idle "
               "connections open."},
    [KCONF_SEND_BUFFER_BYTES] = {
        .name = "send.buffer.bytes", .type = KCONF_T_BYTES, .clients = KCONF_ALL,
        .def = "-1", .min = -1, .max = I32MAX,
        .doc = "The socket send buffer (SO_SNDBUF); -1 leaves it to the operating system, "
               "which sizes it to the connection (Linux autotuning; a set size turns that off). "
               "Java's default is 131072."},
    [KCONF_RECEIVE_BUFFER_BYTES] = {
        .name = "receive.buffer.bytes", .type = KCONF_T_BYTES, .clients = KCONF_ALL,
        .def = "-1", .min = -1, .max = I32MAX,
        .doc = "The socket receive buffer (SO_RCVBUF); -1 leaves it to the operating system, "
               "which sizes it to the connection (Linux autotuning; a set size turns that off: "
               "64 KiB costs the consumer ~60% more CPU per 1 KiB message). Java's default is "
               "65536 (32768 for producers)."},
    [KCONF_MAX_IN_FLIGHT] = {
        .name = "max.in.flight.requests.per.connection", .type = KCONF_T_INT,
        .clients = KCONF_ALL, .def = "5", .min = 1, .max = I32MAX,
        .doc = "How many requests may await a response on one connection. An idempotent "
               "producer allows at most 5 and keeps each partition's order across retries."},
    [KCONF_METADATA_MAX_AGE_MS] = {
        .name = "metadata.max.age.ms", .type = KCONF_T_MS, .clients = KCONF_ALL,
        .def = "300000", .min = 0, .max = I64MAX,
        .doc = "Refresh the cluster metadata at least this often, even when nothing suggests "
               "it changed."},
    [KCONF_METADATA_MAX_IDLE_MS] = {
        .name = "metadata.max.idle.ms", .type = KCONF_T_MS, .clients = P, .def = "300000",
        .min = 5000, .max = I64MAX,
        .doc = "Stop refreshing the metadata of a topic the producer has not written to for "
               "this long (checked at each metadata refresh); its next record asks again."},
    [KCONF_METADATA_RECOVERY_STRATEGY] = {
        .name = "metadata.recovery.strategy", .type = KCONF_T_ENUM, .clients = KCONF_ALL,
        .flags = KCONF_F_ICASE, .def = "rebootstrap", .values = recovery_values,
        .doc = "What to do when none of the known brokers can be reached (KIP-899)."},
    [KCONF_METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS] = {
        .name = "metadata.recovery.rebootstrap.trigger.ms", .type = KCONF_T_MS,
        .clients = KCONF_ALL, .def = "300000", .min = 0, .max = I64MAX,
        .doc = "With rebootstrap, how long metadata may go without a successful refresh before "
               "kfk starts again from bootstrap.servers."},
    [KCONF_IO_THREADS] = {
        .name = "io.threads", .type = KCONF_T_INT, .clients = KCONF_ALL, .flags = KCONF_F_KFK,
        .def = "0", .min = 0, .max = 1024,
        .doc = "How many I/O threads serve the broker connections; each connection stays on "
               "one thread. 0: one per broker, at most one per CPU core."},
    [KCONF_LOG_LEVEL] = {
        .name = "log.level", .type = KCONF_T_ENUM, .clients = KCONF_ALL,
        .flags = KCONF_F_ICASE | KCONF_F_KFK, .def = "info", .values = log_level_values,
        .doc = "The least severe log level passed to the log callback (syslog names or 0-7)."},
    [KCONF_LOG_CB] = {
        .name = "log_cb", .type = KCONF_T_CALLBACK, .clients = KCONF_ALL, .flags = KCONF_F_KFK,
        .def = "", .setter = "kfk_conf_set_log_cb",
        .doc = "Receives log lines; without it kfk writes them to stderr."},
    [KCONF_ERROR_CB] = {
        .name = "error_cb", .type = KCONF_T_CALLBACK, .clients = KCONF_ALL, .flags = KCONF_F_KFK,
        .def = "", .setter = "kfk_conf_set_error_cb",
        .doc = "Told of fatal errors (once), of brokers refusing TLS or authentication, and of "
               "all brokers being down (once per outage)."},
    [KCONF_THROTTLE_CB] = {
        .name = "throttle_cb", .type = KCONF_T_CALLBACK, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "", .setter = "kfk_conf_set_throttle_cb",
        .doc = "Told each time a broker throttles the client for a quota (KIP-219), with "
               "how long."},
    [KCONF_STATISTICS_INTERVAL_MS] = {
        .name = "statistics.interval.ms", .type = KCONF_T_MS, .clients = P | C,
        .flags = KCONF_F_KFK, .def = "0",
        .min = 0, .max = 86400000,
        .doc = "How often stats_cb gets a JSON statistics document (docs/STATS.md), from the "
               "application's poll (which wakes for it); 0: never. The counters behind it are "
               "kept either way, at a few adds per request or batch, and can be read at any "
               "time with kfk_producer_stats_json and the like."},
    [KCONF_STATS_CB] = {
        .name = "stats_cb", .type = KCONF_T_CALLBACK, .clients = P | C, .flags = KCONF_F_KFK,
        .def = "", .setter = "kfk_conf_set_stats_cb",
        .doc = "Receives the statistics document every statistics.interval.ms, on the thread "
               "that polls."},

    /* every client: security */
    [KCONF_SECURITY_PROTOCOL] = {
        .name = "security.protocol", .type = KCONF_T_ENUM, .clients = KCONF_ALL,
        .flags = KCONF_F_ICASE, .def = "PLAINTEXT", .values = security_protocol_values,
        .doc = "How to talk to brokers: in the clear or over TLS, with or without SASL "
               "authentication."},
    [KCONF_SASL_MECHANISM] = {
        .name = "sasl.mechanism", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .flags = KCONF_F_NONEMPTY, .def = "GSSAPI",
        .doc = "The SASL mechanism for SASL_PLAINTEXT and SASL_SSL: GSSAPI (Kerberos, through "
               "cyrus-sasl), PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, AWS_MSK_IAM "
               "(credentials from the AWS_* "
               "environment variables), or one given to kfk_conf_set_sasl_mechanism."},
    [KCONF_SASL_USERNAME] = {
        .name = "sasl.username", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "",
        .doc = "The user name for PLAIN and SCRAM (or set sasl.jaas.config)."},
    [KCONF_SASL_PASSWORD] = {
        .name = "sasl.password", .type = KCONF_T_PASSWORD, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "",
        .doc = "The password for PLAIN and SCRAM (or set sasl.jaas.config)."},
    [KCONF_SASL_JAAS_CONFIG] = {
        .name = "sasl.jaas.config", .type = KCONF_T_PASSWORD, .clients = KCONF_ALL, .def = "",
        .parse = kconf_parse_jaas,
        .doc = "A Java JAAS line, accepted so Java settings carry over: kfk reads the username "
               "and password options (PlainLoginModule, ScramLoginModule), ScramLoginModule's "
               "tokenauth (see sasl.scram.tokenauth) and, for "
               "OAUTHBEARER without a token callback, OAuthBearerLoginModule's unsecuredLogin* "
               "options, and for GSSAPI Krb5LoginModule's useKeyTab, keyTab, principal and "
               "serviceName; it ignores the rest. Set this or sasl.username and sasl.password, not "
               "both."},
    [KCONF_SASL_SCRAM_TOKENAUTH] = {
        .name = "sasl.scram.tokenauth", .type = KCONF_T_BOOL, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "false",
        .doc = "SCRAM-SHA-256 or SCRAM-SHA-512 with a delegation token (KIP-48): sasl.username "
               "is the token's id and sasl.password its HMAC in base64, and the login says so "
               "(the tokenauth=true extension). ScramLoginModule's tokenauth=\"true\" in "
               "sasl.jaas.config sets it too, as in Java. Refused with another mechanism."},
    [KCONF_SASL_KERBEROS_SERVICE_NAME] = {
        .name = "sasl.kerberos.service.name", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .def = "",
        .doc = "GSSAPI: the service part of the brokers' Kerberos principal (kafka in "
               "kafka/broker.example.com@REALM). Unset: sasl.jaas.config's serviceName, else "
               "kafka."},
    [KCONF_SASL_KERBEROS_KINIT_CMD] = {
        .name = "sasl.kerberos.kinit.cmd", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .flags = KCONF_F_NONEMPTY, .def = "/usr/bin/kinit",
        .doc = "GSSAPI with a key tab: the kinit program kfk runs to log in from the key tab "
               "(Java's meaning), or, when the value holds a space, a whole shell command with "
               "%{sasl.kerberos.keytab} and %{sasl.kerberos.principal} replaced (librdkafka's)."},
    [KCONF_SASL_KERBEROS_MIN_TIME_BEFORE_RELOGIN] = {
        .name = "sasl.kerberos.min.time.before.relogin", .type = KCONF_T_INT,
        .clients = KCONF_ALL, .def = "60000", .min = 0, .max = I32MAX,
        .doc = "GSSAPI with a key tab: run kinit again this many milliseconds after the last "
               "run; 0: only when the client is created."},
    [KCONF_SASL_KERBEROS_KEYTAB] = {
        .name = "sasl.kerberos.keytab", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "",
        .doc = "GSSAPI: the key tab kfk logs in from with kinit, into the ticket cache "
               "(KRB5CCNAME); unset: the ticket cache must hold a ticket already. Java sets it "
               "in sasl.jaas.config (useKeyTab=true keyTab=...), which kfk reads too "
               "(librdkafka's name)."},
    [KCONF_SASL_KERBEROS_PRINCIPAL] = {
        .name = "sasl.kerberos.principal", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "",
        .doc = "GSSAPI with a key tab: the client's principal (kfk-client@EXAMPLE.COM); or "
               "sasl.jaas.config's principal option (librdkafka's name)."},
    [KCONF_SASL_LOGIN_REFRESH_WINDOW_FACTOR] = {
        .name = "sasl.login.refresh.window.factor", .type = KCONF_T_DOUBLE,
        .clients = KCONF_ALL, .def = "0.8", .dmin = 0.5, .dmax = 1.0,
        .doc = "OAUTHBEARER: refresh the token once this fraction of its lifetime has passed."},
    [KCONF_SASL_LOGIN_REFRESH_WINDOW_JITTER] = {
        .name = "sasl.login.refresh.window.jitter", .type = KCONF_T_DOUBLE,
        .clients = KCONF_ALL, .def = "0.05", .dmin = 0.0, .dmax = 0.25,
        .doc = "OAUTHBEARER: a random share of the token's lifetime, up to this fraction, added "
               "to the refresh time."},
    [KCONF_SASL_LOGIN_REFRESH_MIN_PERIOD_SECONDS] = {
        .name = "sasl.login.refresh.min.period.seconds", .type = KCONF_T_INT,
        .clients = KCONF_ALL, .def = "60", .min = 0, .max = 900,
        .doc = "OAUTHBEARER: the least time between two token refreshes, in seconds."},
    [KCONF_SASL_LOGIN_REFRESH_BUFFER_SECONDS] = {
        .name = "sasl.login.refresh.buffer.seconds", .type = KCONF_T_INT,
        .clients = KCONF_ALL, .def = "300", .min = 0, .max = 3600,
        .doc = "OAUTHBEARER: refresh at least this many seconds before the token expires."},
    [KCONF_SASL_MECHANISM_CB] = {
        .name = "sasl_mechanism", .type = KCONF_T_CALLBACK, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "", .setter = "kfk_conf_set_sasl_mechanism",
        .doc = "A SASL mechanism the application supplies; sasl.mechanism names it."},
    [KCONF_SASL_OAUTHBEARER_TOKEN_CB] = {
        .name = "oauthbearer_token_cb", .type = KCONF_T_CALLBACK, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "", .setter = "kfk_conf_set_oauthbearer_token_cb",
        .doc = "Supplies OAUTHBEARER tokens in place of the unsecured JWT of sasl.jaas.config."},
    [KCONF_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL] = {
        .name = "sasl.oauthbearer.token.endpoint.url", .type = KCONF_T_STRING,
        .clients = KCONF_ALL, .def = "",
        .doc = "OAUTHBEARER: the identity provider's token endpoint (https:// or http://); kfk "
               "fetches tokens from it with the OAuth 2 client_credentials grant and refreshes "
               "them before they expire. A file:// URL names a file holding the token (a JWT), "
               "read again at each refresh."},
    [KCONF_SASL_OAUTHBEARER_CLIENT_ID] = {
        .name = "sasl.oauthbearer.client.credentials.client.id", .type = KCONF_T_STRING,
        .clients = KCONF_ALL, .def = "",
        .doc = "OAUTHBEARER with a token endpoint: the client id, sent with the secret in an "
               "HTTP Basic Authorization header (or the clientId option of sasl.jaas.config)."},
    [KCONF_SASL_OAUTHBEARER_CLIENT_SECRET] = {
        .name = "sasl.oauthbearer.client.credentials.client.secret", .type = KCONF_T_PASSWORD,
        .clients = KCONF_ALL, .def = "",
        .doc = "OAUTHBEARER with a token endpoint: the client secret (or the clientSecret "
               "option of sasl.jaas.config)."},
    [KCONF_SASL_OAUTHBEARER_SCOPE] = {
        .name = "sasl.oauthbearer.scope", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .def = "",
        .doc = "OAUTHBEARER with a token endpoint: the scope to ask for (or the scope option of "
               "sasl.jaas.config); unset, none is sent."},
    [KCONF_SASL_OAUTHBEARER_SCOPE_CLAIM_NAME] = {
        .name = "sasl.oauthbearer.scope.claim.name", .type = KCONF_T_STRING,
        .clients = KCONF_ALL, .flags = KCONF_F_NONEMPTY, .def = "scope",
        .doc = "OAUTHBEARER with a token endpoint: the JWT claim that holds the scope; a token "
               "whose claim of this name is neither a string nor a list of strings is refused."},
    [KCONF_SASL_OAUTHBEARER_SUB_CLAIM_NAME] = {
        .name = "sasl.oauthbearer.sub.claim.name", .type = KCONF_T_STRING,
        .clients = KCONF_ALL, .flags = KCONF_F_NONEMPTY, .def = "sub",
        .doc = "OAUTHBEARER with a token endpoint: the JWT claim that names the principal; a "
               "token without it is refused."},
    [KCONF_SASL_OAUTHBEARER_HEADER_URLENCODE] = {
        .name = "sasl.oauthbearer.header.urlencode", .type = KCONF_T_BOOL,
        .clients = KCONF_ALL, .def = "false",
        .doc = "OAUTHBEARER with a token endpoint: URL-encode the client id and secret before "
               "the Basic Authorization header encodes them, as RFC 6749 2.3.1 says."},
    [KCONF_SASL_LOGIN_CONNECT_TIMEOUT_MS] = {
        .name = "sasl.login.connect.timeout.ms", .type = KCONF_T_MS, .clients = KCONF_ALL,
        .def = "10000", .min = 1, .max = I32MAX,
        .doc = "OAUTHBEARER with a token endpoint: the longest wait to connect to it (and "
               "finish TLS). Java has no default (the JVM's); kfk bounds it."},
    [KCONF_SASL_LOGIN_READ_TIMEOUT_MS] = {
        .name = "sasl.login.read.timeout.ms", .type = KCONF_T_MS, .clients = KCONF_ALL,
        .def = "10000", .min = 1, .max = I32MAX,
        .doc = "OAUTHBEARER with a token endpoint: the longest wait for its whole answer once "
               "the request is sent. Java has no default (the JVM's); kfk bounds it."},
    [KCONF_SASL_LOGIN_RETRY_BACKOFF_MS] = {
        .name = "sasl.login.retry.backoff.ms", .type = KCONF_T_MS, .clients = KCONF_ALL,
        .def = "100", .min = 0, .max = I32MAX,
        .doc = "OAUTHBEARER with a token endpoint: the wait before asking it again after a "
               "failure it may recover from (no answer, a 5xx); it doubles up to "
               "sasl.login.retry.backoff.max.ms, and when the wait would pass that the fetch "
               "fails."},
    [KCONF_SASL_LOGIN_RETRY_BACKOFF_MAX_MS] = {
        .name = "sasl.login.retry.backoff.max.ms", .type = KCONF_T_MS, .clients = KCONF_ALL,
        .def = "10000", .min = 0, .max = I32MAX,
        .doc = "OAUTHBEARER with a token endpoint: the longest wait between two attempts."},
    [KCONF_SSL_TRUSTSTORE_LOCATION] = {
        .name = "ssl.truststore.location", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .def = "",
        .doc = "The CA certificates brokers are verified with: a PEM file, a directory of PEM "
               "files, or a PKCS#12 store. Unset (and no ssl.truststore.certificates): the "
               "system's CA store."},
    [KCONF_SSL_TRUSTSTORE_TYPE] = {
        .name = "ssl.truststore.type", .type = KCONF_T_ENUM, .clients = KCONF_ALL,
        .flags = KCONF_F_ICASE, .def = "", .values = store_type_values,
        .doc = "The format of ssl.truststore.location (Java's JKS is not read: convert it to "
               "PKCS12 with keytool)."},
    [KCONF_SSL_TRUSTSTORE_PASSWORD] = {
        .name = "ssl.truststore.password", .type = KCONF_T_PASSWORD, .clients = KCONF_ALL,
        .def = "", .doc = "The password of a PKCS#12 ssl.truststore.location."},
    [KCONF_SSL_TRUSTSTORE_CERTIFICATES] = {
        .name = "ssl.truststore.certificates", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .def = "", .doc = "CA certificates as PEM text, in place of or besides a file."},
    [KCONF_SSL_KEYSTORE_LOCATION] = {
        .name = "ssl.keystore.location", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .def = "",
        .doc = "This client's certificate and key for TLS client authentication: a PEM file "
               "holding the key and the chain, or a PKCS#12 store."},
    [KCONF_SSL_KEYSTORE_TYPE] = {
        .name = "ssl.keystore.type", .type = KCONF_T_ENUM, .clients = KCONF_ALL,
        .flags = KCONF_F_ICASE, .def = "", .values = store_type_values,
        .doc = "The format of ssl.keystore.location (JKS is not read: convert it to PKCS12)."},
    [KCONF_SSL_KEYSTORE_PASSWORD] = {
        .name = "ssl.keystore.password", .type = KCONF_T_PASSWORD, .clients = KCONF_ALL,
        .def = "", .doc = "The password of a PKCS#12 ssl.keystore.location."},
    [KCONF_SSL_KEYSTORE_CERTIFICATE_CHAIN] = {
        .name = "ssl.keystore.certificate.chain", .type = KCONF_T_STRING,
        .clients = KCONF_ALL, .def = "",
        .doc = "This client's certificate chain as PEM text; goes with ssl.keystore.key."},
    [KCONF_SSL_KEYSTORE_KEY] = {
        .name = "ssl.keystore.key", .type = KCONF_T_PASSWORD, .clients = KCONF_ALL, .def = "",
        .doc = "This client's private key as PEM text (encrypted with ssl.key.password, if "
               "it is)."},
    [KCONF_SSL_CA_LOCATION] = {
        .name = "ssl.ca.location", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "",
        .doc = "librdkafka's name for a PEM ssl.truststore.location (file or directory)."},
    [KCONF_SSL_CERTIFICATE_LOCATION] = {
        .name = "ssl.certificate.location", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "",
        .doc = "This client's certificate (PEM, may hold the chain) for TLS client "
               "authentication, with its key in ssl.key.location (librdkafka's names)."},
    [KCONF_SSL_KEY_LOCATION] = {
        .name = "ssl.key.location", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "",
        .doc = "The private key (PEM) of ssl.certificate.location."},
    [KCONF_SSL_KEY_PASSWORD] = {
        .name = "ssl.key.password", .type = KCONF_T_PASSWORD, .clients = KCONF_ALL, .def = "",
        .doc = "The passphrase of an encrypted PEM private key."},
    [KCONF_SSL_CRL_LOCATION] = {
        .name = "ssl.crl.location", .type = KCONF_T_STRING, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "",
        .doc = "A PEM file of certificate revocation lists; when set, every certificate of a "
               "broker's chain is checked against them."},
    [KCONF_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM] = {
        .name = "ssl.endpoint.identification.algorithm", .type = KCONF_T_ENUM,
        .clients = KCONF_ALL, .flags = KCONF_F_ICASE, .def = "https",
        .values = endpoint_id_values,
        .doc = "Whether TLS checks the broker's host name against its certificate (\"\", as "
               "Java spells it, means none)."},
    [KCONF_SSL_PROTOCOL] = {
        .name = "ssl.protocol", .type = KCONF_T_ENUM, .clients = KCONF_ALL,
        .flags = KCONF_F_ICASE, .def = "TLSv1.3", .values = tls_version_values,
        .doc = "The newest TLS version kfk may negotiate."},
    [KCONF_SSL_ENABLED_PROTOCOLS] = {
        .name = "ssl.enabled.protocols", .type = KCONF_T_LIST, .clients = KCONF_ALL,
        .flags = KCONF_F_ICASE, .def = "TLSv1.2,TLSv1.3", .values = tls_version_values,
        .doc = "The TLS versions kfk may negotiate."},
    [KCONF_SSL_CIPHER_SUITES] = {
        .name = "ssl.cipher.suites", .type = KCONF_T_LIST, .clients = KCONF_ALL, .def = "",
        .doc = "Cipher suites to allow, by IANA name (as Java takes them) or OpenSSL name; "
               "empty: OpenSSL's defaults."},
    [KCONF_SSL_CERT_VERIFY_CB] = {
        .name = "ssl_cert_verify_cb", .type = KCONF_T_CALLBACK, .clients = KCONF_ALL,
        .flags = KCONF_F_KFK, .def = "", .setter = "kfk_conf_set_ssl_cert_verify_cb",
        .doc = "Checks each certificate of a broker's chain after OpenSSL has."},

    /* producer */
    [KCONF_ACKS] = {
        .name = "acks", .type = KCONF_T_ENUM, .clients = P, .def = "all",
        .values = acks_values,
        .doc = "How many replicas must have a batch before the broker acknowledges it."},
    [KCONF_LINGER_MS] = {
        .name = "linger.ms", .type = KCONF_T_MS, .clients = P, .def = "5", .min = 0,
        .max = I64MAX,
        .doc = "How long a partition's batch may wait for more records before it is sent; a "
               "full batch goes at once."},
    [KCONF_BATCH_SIZE] = {
        .name = "batch.size", .type = KCONF_T_BYTES, .clients = P, .def = "16384", .min = 0,
        .max = I32MAX,
        .doc = "The size at which a partition's batch is full and sent. A record larger than "
               "this gets a batch of its own; 0 sends every record alone. While a partition's "
               "earlier batches wait for the sender (max.in.flight.requests.per.connection "
               "requests are out) or its last batch is not yet acknowledged, or a transaction "
               "waits for the previous one's markers, its open batch keeps filling past this "
               "size (and goes at linger.ms), up to "
               "max.request.size or 1 MiB (the broker's default message.max.bytes), whichever is "
               "lower, as librdkafka and franz-go size batches: fewer, larger "
               "batches once the sender can take them, within buffer.memory. A topic whose "
               "max.message.bytes is lower refuses such a batch (MESSAGE_TOO_LARGE): kfk then "
               "splits it and sends the halves, as Java splits a refused batch, and that "
               "partition's batches stay within batch.size from then on. A batch's buffer "
               "starts at 1 KiB (or its first record) and grows by half as records come, so "
               "partitions that get few records hold little memory, and buffer.memory counts "
               "what each buffer holds (Java counts batch.size for every open batch). A "
               "batch that cannot grow within buffer.memory is sent as it is. A batch "
               "opened while its "
               "partition is backed up starts at the size the partition's last batch grew "
               "to, when buffer.memory has room for it."},
    [KCONF_BUFFER_MEMORY] = {
        .name = "buffer.memory", .type = KCONF_T_BYTES, .clients = P, .def = "8388608",
        .min = 0, .max = I64MAX,
        .doc = "The most memory records may take while they wait to be sent and acknowledged; "
               "past it kfk_produce blocks up to max.block.ms. The default is 8 MiB where "
               "Java's is 32 MiB: a producer writing faster than the brokers take its records "
               "fills the whole buffer, and a 32 MiB queue no longer fits a processor's cache "
               "(on a 32 MiB L3, 100 B records: about 40% more CPU per record and 4 times the "
               "latency for the same throughput). kfk needs less because batches grow to "
               "1 MiB while a partition is backed up, so fewer bytes keep the brokers busy, "
               "and buffer.memory counts what batches hold rather than batch.size for each "
               "(see batch.size). Set it higher for a burst to wait out a broker that is away "
               "longer, or for requests over a link of high latency."},
    [KCONF_MAX_BLOCK_MS] = {
        .name = "max.block.ms", .type = KCONF_T_MS, .clients = P, .def = "60000", .min = 0,
        .max = I64MAX,
        .doc = "How long kfk_produce may block for buffer space or the topic's metadata; 0 "
               "returns KFK_ERR_QUEUE_FULL at once."},
    [KCONF_MAX_REQUEST_SIZE] = {
        .name = "max.request.size", .type = KCONF_T_BYTES, .clients = P, .def = "1048576",
        .min = 0, .max = I32MAX,
        .doc = "The largest produce request, and so the largest record, kfk sends."},
    [KCONF_COMPRESSION_TYPE] = {
        .name = "compression.type", .type = KCONF_T_ENUM, .clients = P, .def = "none",
        .values = compression_values,
        .doc = "The codec batches are compressed with (on the I/O threads)."},
    [KCONF_COMPRESSION_LEVEL] = {
        .name = "compression.level", .type = KCONF_T_INT, .clients = P,
        .flags = KCONF_F_KFK | KCONF_F_OPTIONAL, .def = NULL, .min = -131072, .max = 22,
        .doc = "A level for whichever codec compression.type selects, checked against that "
               "codec's range; unset: compression.gzip.level, compression.lz4.level or "
               "compression.zstd.level applies."},
    [KCONF_COMPRESSION_GZIP_LEVEL] = {
        .name = "compression.gzip.level", .type = KCONF_T_INT, .clients = P,
        .flags = KCONF_F_OR_MINUS_ONE, .def = "-1", .min = 1, .max = 9,
        .doc = "The gzip level; -1 is zlib's default (6)."},
    [KCONF_COMPRESSION_LZ4_LEVEL] = {
        .name = "compression.lz4.level", .type = KCONF_T_INT, .clients = P, .def = "9",
        .min = 1, .max = 17,
        .doc = "The lz4 level (KIP-390)."},
    [KCONF_COMPRESSION_ZSTD_LEVEL] = {
        .name = "compression.zstd.level", .type = KCONF_T_INT, .clients = P, .def = "3",
        .min = -131072, .max = 22,
        .doc = "The zstd level; negative levels trade ratio for speed (KIP-390)."},
    [KCONF_DELIVERY_TIMEOUT_MS] = {
        .name = "delivery.timeout.ms", .type = KCONF_T_MS, .clients = P, .def = "120000",
        .min = 0, .max = I32MAX,
        .doc = "The deadline of a record from kfk_produce to its delivery report, retries "
               "included. Must be at least linger.ms + request.timeout.ms."},
    [KCONF_ENABLE_IDEMPOTENCE] = {
        .name = "enable.idempotence", .type = KCONF_T_BOOL, .clients = P, .def = "true",
        .doc = "Write each record exactly once and in order per partition, even across "
               "retries; needs acks=all, retries > 0 and at most 5 requests in flight. Left at "
               "its default, acks=0/1 or retries=0 turn it off."},
    [KCONF_TRANSACTIONAL_ID] = {
        .name = "transactional.id", .type = KCONF_T_STRING, .clients = P,
        .flags = KCONF_F_NONEMPTY, .def = NULL,
        .doc = "Makes the producer transactional under this id (Java's meaning): "
               "kfk_producer_init_transactions and the other transaction calls of kfk.h "
               "apply, records go only inside transactions, and a newer producer with the "
               "same id fences this one. Needs idempotence."},
    [KCONF_TRANSACTION_TIMEOUT_MS] = {
        .name = "transaction.timeout.ms", .type = KCONF_T_MS, .clients = P, .def = "60000",
        .min = 1, .max = I32MAX,
        .doc = "How long a transaction may stay open before the coordinator aborts it; the "
               "broker caps it at transaction.max.timeout.ms."},
    [KCONF_PARTITIONER] = {
        .name = "partitioner", .type = KCONF_T_ENUM, .clients = P, .flags = KCONF_F_KFK,
        .def = "default", .values = partitioner_values,
        .doc = "How a record without an explicit partition gets one (kfk's stand-in for "
               "Java's partitioner.class)."},
    [KCONF_PARTITIONER_IGNORE_KEYS] = {
        .name = "partitioner.ignore.keys", .type = KCONF_T_BOOL, .clients = P,
        .def = "false",
        .doc = "With the default partitioner, place keyed records as if they had no key."},
    [KCONF_PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE] = {
        .name = "partitioner.adaptive.partitioning.enable", .type = KCONF_T_BOOL,
        .clients = P, .def = "true",
        .doc = "With the default partitioner, send keyless records less often to partitions "
               "whose brokers are slow (KIP-794)."},
    [KCONF_PARTITIONER_AVAILABILITY_TIMEOUT_MS] = {
        .name = "partitioner.availability.timeout.ms", .type = KCONF_T_MS, .clients = P,
        .def = "0", .min = 0, .max = I64MAX,
        .doc = "With adaptive partitioning, skip a partition for keyless records while its "
               "batches have waited this long past linger.ms with none sent; 0 never skips. "
               "Refused with another partitioner or with adaptive partitioning off."},
    [KCONF_PARTITIONER_CB] = {
        .name = "partitioner_cb", .type = KCONF_T_CALLBACK, .clients = P, .flags = KCONF_F_KFK,
        .def = "", .setter = "kfk_conf_set_partitioner_cb",
        .doc = "Chooses the partition of records produced with KFK_PARTITION_ANY, in place of "
               "the partitioner property."},
    [KCONF_DR_CB] = {
        .name = "dr_cb", .type = KCONF_T_CALLBACK, .clients = P, .flags = KCONF_F_KFK,
        .def = "", .setter = "kfk_conf_set_dr_cb",
        .doc = "Receives each record's delivery report from kfk_producer_poll."},

    /* consumer */
    [KCONF_CLIENT_RACK] = {
        .name = "client.rack", .type = KCONF_T_STRING, .clients = C, .def = "",
        .doc = "The rack or zone the consumer runs in, so it can fetch from a replica in the "
               "same rack (KIP-392)."},
    [KCONF_GROUP_ID] = {
        .name = "group.id", .type = KCONF_T_STRING, .clients = C, .def = "",
        .doc = "The consumer group to join; needed to subscribe and to commit offsets."},
    [KCONF_GROUP_INSTANCE_ID] = {
        .name = "group.instance.id", .type = KCONF_T_STRING, .clients = C,
        .flags = KCONF_F_NONEMPTY, .def = NULL,
        .doc = "Makes the member static (KIP-345): a restart within session.timeout.ms keeps "
               "its partitions without a rebalance. Unique within the group."},
    [KCONF_GROUP_PROTOCOL] = {
        .name = "group.protocol", .type = KCONF_T_ENUM, .clients = C, .flags = KCONF_F_ICASE,
        .def = "classic", .values = group_protocol_values,
        .doc = "Which consumer group protocol to use: classic (JoinGroup and SyncGroup, "
               "client-side assignors; every broker) or consumer (KIP-848, the broker assigns; "
               "Kafka 4.0 and later). Against a cluster that does not serve consumer, polls "
               "return KFK_ERR_UNSUPPORTED, naming ConsumerGroupHeartbeat; there is no fallback, "
               "as in Java."},
    [KCONF_GROUP_REMOTE_ASSIGNOR] = {
        .name = "group.remote.assignor", .type = KCONF_T_STRING, .clients = C, .def = "",
        .doc = "With group.protocol=consumer, the broker-side assignor to ask for (\"uniform\", "
               "\"range\"); empty: the broker's default."},
    [KCONF_PARTITION_ASSIGNMENT_STRATEGY] = {
        .name = "partition.assignment.strategy", .type = KCONF_T_LIST, .clients = C,
        .def = "range,cooperative-sticky", .values = assignor_values,
        .doc = "With group.protocol=classic, the assignors this member supports, preferred "
               "first; Java's class names are accepted too."},
    [KCONF_SESSION_TIMEOUT_MS] = {
        .name = "session.timeout.ms", .type = KCONF_T_MS, .clients = C, .def = "45000",
        .min = 1, .max = I32MAX,
        .doc = "With group.protocol=classic, how long the coordinator waits for a heartbeat "
               "before it drops the member."},
    [KCONF_HEARTBEAT_INTERVAL_MS] = {
        .name = "heartbeat.interval.ms", .type = KCONF_T_MS, .clients = C, .def = "3000",
        .min = 1, .max = I32MAX,
        .doc = "With group.protocol=classic, the time between heartbeats; keep it well under "
               "session.timeout.ms."},
    [KCONF_MAX_POLL_INTERVAL_MS] = {
        .name = "max.poll.interval.ms", .type = KCONF_T_MS, .clients = C, .def = "300000",
        .min = 1, .max = I32MAX,
        .doc = "If the application does not poll for this long, the member leaves the group "
               "so its partitions move to others."},
    [KCONF_MAX_POLL_RECORDS] = {
        .name = "max.poll.records", .type = KCONF_T_INT, .clients = C, .def = "500", .min = 1,
        .max = I32MAX,
        .doc = "The most messages one kfk_consumer_poll_batch hands out, whatever its max "
               "argument."},
    [KCONF_ENABLE_AUTO_COMMIT] = {
        .name = "enable.auto.commit", .type = KCONF_T_BOOL, .clients = C, .def = "true",
        .doc = "Commit the positions of polled records in the background every "
               "auto.commit.interval.ms, and on close. Off without a group.id."},
    [KCONF_AUTO_COMMIT_INTERVAL_MS] = {
        .name = "auto.commit.interval.ms", .type = KCONF_T_MS, .clients = C, .def = "5000",
        .min = 0, .max = I32MAX,
        .doc = "How often auto commit runs."},
    [KCONF_AUTO_OFFSET_RESET] = {
        .name = "auto.offset.reset", .type = KCONF_T_ENUM, .clients = C, .def = "latest",
        .values = offset_reset_values, .parse = kconf_parse_offset_reset,
        .doc = "Where to start in a partition with no committed offset, or whose offset is out "
               "of range."},
    [KCONF_FETCH_MIN_BYTES] = {
        .name = "fetch.min.bytes", .type = KCONF_T_BYTES, .clients = C, .def = "1", .min = 0,
        .max = I32MAX,
        .doc = "A broker answers a fetch once it has this much data, or after "
               "fetch.max.wait.ms."},
    [KCONF_FETCH_MAX_BYTES] = {
        .name = "fetch.max.bytes", .type = KCONF_T_BYTES, .clients = C, .def = "52428800",
        .min = 0, .max = I32MAX,
        .doc = "The most data one fetch response should carry (a larger first batch still "
               "comes whole)."},
    [KCONF_FETCH_MAX_WAIT_MS] = {
        .name = "fetch.max.wait.ms", .type = KCONF_T_MS, .clients = C, .def = "500", .min = 0,
        .max = I32MAX,
        .doc = "How long a broker may hold a fetch waiting for fetch.min.bytes."},
    [KCONF_MAX_PARTITION_FETCH_BYTES] = {
        .name = "max.partition.fetch.bytes", .type = KCONF_T_BYTES, .clients = C,
        .def = "1048576", .min = 0, .max = I32MAX,
        .doc = "The most data per partition in one fetch response (a larger first batch still "
               "comes whole)."},
    [KCONF_FETCH_QUEUE_MAX_BYTES] = {
        .name = "fetch.queue.max.bytes", .type = KCONF_T_BYTES, .clients = C,
        .flags = KCONF_F_KFK, .def = "67108864", .min = 1, .max = I64MAX,
        .doc = "The most fetched data the consumer holds, over all partitions: queued for poll, "
               "and in messages poll handed out that the application has not released yet "
               "(a message holds the fetched data it points into). Fetching pauses while this "
               "much is held, until releases bring it under; when polls have had nothing to "
               "return for 3 s because of it, a warning (facility fetch) says so, once."},
    [KCONF_ISOLATION_LEVEL] = {
        .name = "isolation.level", .type = KCONF_T_ENUM, .clients = C,
        .def = "read_uncommitted", .values = isolation_values,
        .doc = "Which transactional records the consumer sees. read_committed also waits for "
               "the offsets an open transaction commits for the group before it starts from "
               "them."},
    [KCONF_CHECK_CRCS] = {
        .name = "check.crcs", .type = KCONF_T_BOOL, .clients = C, .def = "true",
        .doc = "Verify the CRC32C of each fetched record batch."},
    [KCONF_EXCLUDE_INTERNAL_TOPICS] = {
        .name = "exclude.internal.topics", .type = KCONF_T_BOOL, .clients = C, .def = "true",
        .doc = "Keep internal topics (the offsets and transaction state topics) out of regex "
               "subscriptions."},
    [KCONF_ALLOW_AUTO_CREATE_TOPICS] = {
        .name = "allow.auto.create.topics", .type = KCONF_T_BOOL, .clients = C, .def = "true",
        .doc = "Let subscribing to a missing topic create it, where the broker allows "
               "auto.create.topics.enable."},
    [KCONF_REBALANCE_CB] = {
        .name = "rebalance_cb", .type = KCONF_T_CALLBACK, .clients = C, .flags = KCONF_F_KFK,
        .def = "", .setter = "kfk_conf_set_rebalance_cb",
        .doc = "Told of partitions assigned, revoked or lost by the group, from "
               "kfk_consumer_poll."},
    [KCONF_COMMIT_CB] = {
        .name = "commit_cb", .type = KCONF_T_CALLBACK, .clients = C, .flags = KCONF_F_KFK,
        .def = "", .setter = "kfk_conf_set_commit_cb",
        .doc = "Receives the result of each async and auto commit, from kfk_consumer_poll."},
    [KCONF_SHARE_ACKNOWLEDGEMENT_MODE] = {
        .name = "share.acknowledgement.mode", .type = KCONF_T_ENUM, .clients = C,
        .flags = KCONF_F_ICASE, .def = "implicit", .values = share_ack_mode_values,
        .doc = "For a share consumer (kfk_share_consumer_new, KIP-932): how records are "
               "acknowledged. explicit makes a poll fail with KFK_ERR_STATE while records "
               "handed out are not acknowledged."},
    [KCONF_SHARE_ACK_CB] = {
        .name = "share_ack_cb", .type = KCONF_T_CALLBACK, .clients = C, .flags = KCONF_F_KFK,
        .def = "", .setter = "kfk_conf_set_share_ack_cb",
        .doc = "For a share consumer: told the outcome of its acknowledgements per partition, "
               "from its poll, commit and close."},
};

/* clang-format on */

const kconf_prop *kconf_table(size_t *n)
{
    *n = KCONF__COUNT;
    return table;
}

const kconf_prop *kconf_prop_of(kconf_id id)
{
    return &table[id];
}

/* --- names kfk does not have --------------------------------------------- */

/* clang-format off */
#define NO_CLASSES "kfk loads no Java classes"
#define NO_METRICS "kfk has no Java metrics reporters"
/* clang-format on */

static const kconf_hint_row hints[] = {
    /* Java client properties without a kfk counterpart */
    {"key.serializer", NULL, "kfk records are bytes: serialize in the application"},
    {"value.serializer", NULL, "kfk records are bytes: serialize in the application"},
    {"key.deserializer", NULL, "kfk hands out bytes: deserialize in the application"},
    {"value.deserializer", NULL, "kfk hands out bytes: deserialize in the application"},
    {"partitioner.class", NULL, "pick a built-in with \"partitioner\""},
    {"interceptor.classes", NULL, NO_CLASSES},
    {"config.providers", NULL, NO_CLASSES},
    {"sasl.login.class", NULL, NO_CLASSES},
    {"sasl.login.callback.handler.class", NULL, NO_CLASSES},
    {"sasl.client.callback.handler.class", NULL, NO_CLASSES},
    {"ssl.engine.factory.class", NULL, NO_CLASSES},
    {"metric.reporters", NULL, NO_METRICS},
    {"metrics.num.samples", NULL, NO_METRICS},
    {"metrics.sample.window.ms", NULL, NO_METRICS},
    {"metrics.recording.level", NULL, NO_METRICS},
    /* librdkafka names */
    {"metadata.broker.list", "bootstrap.servers", NULL},
    {"queue.buffering.max.ms", "linger.ms", NULL},
    {"queue.buffering.max.kbytes", "buffer.memory", "in bytes"},
    {"queue.buffering.max.messages", "buffer.memory", "a bound in bytes"},
    {"batch.num.messages", "batch.size", "a bound in bytes"},
    {"message.max.bytes", "max.request.size", NULL},
    {"compression.codec", "compression.type", NULL},
    {"request.required.acks", "acks", NULL},
    {"message.timeout.ms", "delivery.timeout.ms", NULL},
    {"socket.timeout.ms", "request.timeout.ms", NULL},
    {"topic.metadata.refresh.interval.ms", "metadata.max.age.ms", NULL},
    {"queued.max.messages.kbytes", "fetch.queue.max.bytes", "in bytes"},
    {"fetch.wait.max.ms", "fetch.max.wait.ms", NULL},
    {"fetch.message.max.bytes", "max.partition.fetch.bytes", NULL},
    {"sasl.mechanisms", "sasl.mechanism", NULL},
    {"sasl.oauthbearer.method", "sasl.oauthbearer.token.endpoint.url",
     "setting the endpoint is what turns on kfk's OIDC login"},
    {"sasl.oauthbearer.client.id", "sasl.oauthbearer.client.credentials.client.id", NULL},
    {"sasl.oauthbearer.client.secret", "sasl.oauthbearer.client.credentials.client.secret", NULL},
    {"ssl.ca.pem", "ssl.truststore.certificates", NULL},
    {"ssl.certificate.pem", "ssl.keystore.certificate.chain", NULL},
    {"ssl.key.pem", "ssl.keystore.key", NULL},
    {"socket.send.buffer.bytes", "send.buffer.bytes", NULL},
    {"socket.receive.buffer.bytes", "receive.buffer.bytes", NULL},
    {"log_level", "log.level", NULL},
    {"debug", "log.level", "log.level=debug"},
    {NULL},
};

const kconf_hint_row *kconf_hints(size_t *n)
{
    *n = sizeof(hints) / sizeof(hints[0]) - 1;
    return hints;
}

const kconf_hint_row *kconf_hint(const char *name)
{
    for (const kconf_hint_row *h = hints; h->name; h++)
        if (strcmp(h->name, name) == 0) return h;
    return NULL;
}
