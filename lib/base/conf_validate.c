/* kconf_validate: the rules that span properties, checked when a client is
 * created. They follow what the Java client's ProducerConfig,
 * ConsumerConfig and KafkaProducer constructors enforce, so a
 * configuration that works in Java works here (kfk-only properties
 * aside), and one that Java rejects is rejected for the same reason. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"

static const char *client_name(kconf_client c)
{
    return c == KCONF_PRODUCER ? "producer" : c == KCONF_CONSUMER ? "consumer" : "admin client";
}

/* "a producer", "a consumer and admin" ...: who a property is for. */
static const char *clients_text(unsigned mask)
{
    switch (mask) {
    case KCONF_PRODUCER:
        return "producer";
    case KCONF_CONSUMER:
        return "consumer";
    case KCONF_ADMIN:
        return "admin";
    case KCONF_PRODUCER | KCONF_ADMIN:
        return "producer and admin";
    case KCONF_CONSUMER | KCONF_ADMIN:
        return "consumer and admin";
    case KCONF_PRODUCER | KCONF_CONSUMER:
        return "producer and consumer";
    }
    return "client";
}

/* Replaces id's value with text's (text comes from the table, or from a
 * value already checked); only allocation can fail. */
static kfk_err replace(kfk_conf *conf, kconf_id id, const char *text)
{
    const kconf_prop *p = kconf_prop_of(id);
    kconf_value v;
    memset(&v, 0, sizeof(v));
    kfk_err err = kconf_parse(p, text, &v, NULL, 0);
    if (err) {
        kconf_value_free(p, &v);
        return err;
    }
    kconf_value_free(p, &conf->vals[id]);
    conf->vals[id] = v;
    return KFK_OK;
}

static kfk_err apply_client_defaults(kfk_conf *conf, kconf_client client)
{
    int slot = client == KCONF_PRODUCER ? 0 : client == KCONF_CONSUMER ? 1 : 2;
    for (int id = 0; id < KCONF__COUNT; id++) {
        const char *def = kconf_prop_of((kconf_id)id)->client_def[slot];
        if (def && !conf->set[id]) {
            kfk_err err = replace(conf, (kconf_id)id, def);
            if (err) return err;
        }
    }
    return KFK_OK;
}

/* A backoff or timeout ceiling below its base means "no growth". */
static void raise_to(kfk_conf *conf, kconf_id max_id, kconf_id base_id)
{
    if (conf->vals[max_id].i < conf->vals[base_id].i) conf->vals[max_id].i = conf->vals[base_id].i;
}

/* ScramLoginModule's tokenauth option goes to sasl.scram.tokenauth (Java
 * logs in with a delegation token when it is "true", in any case). */
static kfk_err take_jaas_tokenauth(kfk_conf *conf, const char *jaas, char *errstr, size_t errlen)
{
    char *v;
    if (kconf_jaas_option(jaas, "tokenauth", &v)) return KFK_ERR_NO_MEMORY;
    if (!v) return KFK_OK;
    bool on = strcasecmp(v, "true") == 0;
    free(v);
    if (conf->set[KCONF_SASL_SCRAM_TOKENAUTH] && kconf_bool(conf, KCONF_SASL_SCRAM_TOKENAUTH) != on)
        return kconf_error(errstr, errlen,
                           "sasl.jaas.config's tokenauth and sasl.scram.tokenauth disagree: set "
                           "one of them");
    conf->vals[KCONF_SASL_SCRAM_TOKENAUTH].i = on;
    return KFK_OK;
}

/* Moves the username and password options of sasl.jaas.config into
 * sasl.username and sasl.password, so the SASL code reads one place. */
static kfk_err take_jaas_credentials(kfk_conf *conf, char *errstr, size_t errlen)
{
    const char *jaas = conf->vals[KCONF_SASL_JAAS_CONFIG].s;
    if (!jaas) return KFK_OK;
    if (conf->vals[KCONF_SASL_USERNAME].s || conf->vals[KCONF_SASL_PASSWORD].s)
        return kconf_error(errstr, errlen,
                           "set either sasl.jaas.config or sasl.username and sasl.password, "
                           "not both");
    char *user, *pass;
    if (kconf_jaas_option(jaas, "username", &user) || kconf_jaas_option(jaas, "password", &pass)) {
        free(user);
        return KFK_ERR_NO_MEMORY;
    }
    conf->vals[KCONF_SASL_USERNAME].s = user;
    conf->vals[KCONF_SASL_PASSWORD].s = pass;
    return take_jaas_tokenauth(conf, jaas, errstr, errlen);
}

static bool has(const kfk_conf *conf, kconf_id id)
{
    return conf->vals[id].s != NULL;
}

/* Settings that only make sense together, or not together. */
static kfk_err check_tls_pairs(const kfk_conf *conf, char *errstr, size_t errlen)
{
    if (has(conf, KCONF_SSL_CERTIFICATE_LOCATION) != has(conf, KCONF_SSL_KEY_LOCATION))
        return kconf_error(errstr, errlen,
                           "ssl.certificate.location and ssl.key.location go together: set both "
                           "or neither");
    if (has(conf, KCONF_SSL_KEYSTORE_CERTIFICATE_CHAIN) != has(conf, KCONF_SSL_KEYSTORE_KEY))
        return kconf_error(errstr, errlen,
                           "ssl.keystore.certificate.chain and ssl.keystore.key go together: set "
                           "both or neither");
    int identities = has(conf, KCONF_SSL_KEYSTORE_LOCATION) +
                     has(conf, KCONF_SSL_KEYSTORE_CERTIFICATE_CHAIN) +
                     has(conf, KCONF_SSL_CERTIFICATE_LOCATION);
    if (identities > 1)
        return kconf_error(errstr, errlen,
                           "set one of ssl.keystore.location, ssl.keystore.certificate.chain and "
                           "ssl.certificate.location, not several");
    if (has(conf, KCONF_SSL_CA_LOCATION) && has(conf, KCONF_SSL_TRUSTSTORE_LOCATION))
        return kconf_error(errstr, errlen,
                           "ssl.ca.location is another name for ssl.truststore.location: set one");
    return KFK_OK;
}

/* A TLS or SASL setting on a connection that has no TLS or no SASL would
 * be ignored, and leave the application believing it is in effect. */
static kfk_err check_unused(const kfk_conf *conf, bool tls, bool sasl, char *errstr,
                            size_t errlen)
{
    static const kconf_id tls_only[] = {
        KCONF_SSL_TRUSTSTORE_LOCATION,  KCONF_SSL_TRUSTSTORE_CERTIFICATES,
        KCONF_SSL_KEYSTORE_LOCATION,    KCONF_SSL_KEYSTORE_CERTIFICATE_CHAIN,
        KCONF_SSL_CA_LOCATION,          KCONF_SSL_CERTIFICATE_LOCATION,
        KCONF_SSL_CRL_LOCATION,
    };
    static const kconf_id sasl_only[] = {KCONF_SASL_USERNAME, KCONF_SASL_JAAS_CONFIG,
                                         KCONF_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL};
    const char *proto = kconf_prop_of(KCONF_SECURITY_PROTOCOL)
                            ->values[conf->vals[KCONF_SECURITY_PROTOCOL].spelling]
                            .name;
    for (size_t i = 0; !tls && i < sizeof(tls_only) / sizeof(tls_only[0]); i++)
        if (conf->set[tls_only[i]] && has(conf, tls_only[i]))
            return kconf_error(errstr, errlen,
                               "%s is set, but security.protocol=%s uses no TLS (SSL or "
                               "SASL_SSL do)",
                               kconf_prop_of(tls_only[i])->name, proto);
    for (size_t i = 0; !sasl && i < sizeof(sasl_only) / sizeof(sasl_only[0]); i++)
        if (conf->set[sasl_only[i]] && has(conf, sasl_only[i]))
            return kconf_error(errstr, errlen,
                               "%s is set, but security.protocol=%s uses no SASL "
                               "(SASL_PLAINTEXT or SASL_SSL do)",
                               kconf_prop_of(sasl_only[i])->name, proto);
    return KFK_OK;
}

/* kfk's mechanisms that authenticate with sasl.username and
 * sasl.password, unless the application registered its own of the name. */
static kfk_err check_sasl_credentials(const kfk_conf *conf, char *errstr, size_t errlen)
{
    static const char *const with_password[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
    const char *mech = kconf_str(conf, KCONF_SASL_MECHANISM);
    void *opaque;
    kconf_cb(conf, KCONF_SASL_MECHANISM_CB, &opaque);
    const kfk_sasl_mechanism *app = opaque;
    if (app && strcasecmp(app->name, mech) == 0) return KFK_OK;
    for (size_t i = 0; i < sizeof(with_password) / sizeof(with_password[0]); i++)
        if (strcasecmp(mech, with_password[i]) == 0 &&
            (!has(conf, KCONF_SASL_USERNAME) || !has(conf, KCONF_SASL_PASSWORD)))
            return kconf_error(errstr, errlen,
                               "sasl.mechanism=%s needs sasl.username and sasl.password (or "
                               "sasl.jaas.config)",
                               with_password[i]);
    return KFK_OK;
}

/* A delegation token logs in through kfk's SCRAM only: anywhere else
 * sasl.scram.tokenauth would be ignored. */
static kfk_err check_tokenauth(const kfk_conf *conf, bool sasl, char *errstr, size_t errlen)
{
    if (!kconf_bool(conf, KCONF_SASL_SCRAM_TOKENAUTH)) return KFK_OK;
    const char *mech = kconf_str(conf, KCONF_SASL_MECHANISM);
    void *opaque;
    kconf_cb(conf, KCONF_SASL_MECHANISM_CB, &opaque);
    const kfk_sasl_mechanism *app = opaque;
    bool scram = strcasecmp(mech, "SCRAM-SHA-256") == 0 || strcasecmp(mech, "SCRAM-SHA-512") == 0;
    if (!sasl || !scram || (app && strcasecmp(app->name, mech) == 0))
        return kconf_error(errstr, errlen,
                           "sasl.scram.tokenauth (or tokenauth in sasl.jaas.config) is for kfk's "
                           "SCRAM-SHA-256 and SCRAM-SHA-512 over SASL_PLAINTEXT or SASL_SSL, not "
                           "sasl.mechanism=%s with security.protocol=%s",
                           mech,
                           kconf_prop_of(KCONF_SECURITY_PROTOCOL)
                               ->values[conf->vals[KCONF_SECURITY_PROTOCOL].spelling]
                               .name);
    return KFK_OK;
}

/* sasl.mechanism=GSSAPI, and no application mechanism of that name. */
static bool uses_kfk_gssapi(const kfk_conf *conf)
{
    const char *mech = kconf_str(conf, KCONF_SASL_MECHANISM);
    void *opaque;
    kconf_cb(conf, KCONF_SASL_MECHANISM_CB, &opaque);
    const kfk_sasl_mechanism *app = opaque;
    if (app && strcasecmp(app->name, mech) == 0) return false;
    return strcasecmp(mech, "GSSAPI") == 0;
}

static kfk_err check_security(kfk_conf *conf, char *errstr, size_t errlen)
{
    int proto = kconf_int(conf, KCONF_SECURITY_PROTOCOL);
    bool sasl = proto == KCONF_SECURITY_SASL_PLAINTEXT || proto == KCONF_SECURITY_SASL_SSL;
    bool tls = proto == KCONF_SECURITY_SSL || proto == KCONF_SECURITY_SASL_SSL;
    kfk_err err = take_jaas_credentials(conf, errstr, errlen);
    if (!err) err = check_tls_pairs(conf, errstr, errlen);
    if (!err) err = check_unused(conf, tls, sasl, errstr, errlen);
    if (!err && sasl) err = check_sasl_credentials(conf, errstr, errlen);
    if (!err) err = check_tokenauth(conf, sasl, errstr, errlen);
    if (!err) err = kconf_resolve_kerberos(conf, sasl && uses_kfk_gssapi(conf), errstr, errlen);
    if (!err && sasl) err = kconf_check_oidc(conf, errstr, errlen);
    return err;
}

/* compression.level goes to the level property of the selected codec. */
static kfk_err resolve_compression_level(kfk_conf *conf, char *errstr, size_t errlen)
{
    if (!kconf_has_value(conf, KCONF_COMPRESSION_LEVEL)) return KFK_OK;
    int64_t level = kconf_i64(conf, KCONF_COMPRESSION_LEVEL);
    kconf_id target;
    switch (kconf_int(conf, KCONF_COMPRESSION_TYPE)) {
    case KCONF_COMPRESSION_GZIP:
        target = KCONF_COMPRESSION_GZIP_LEVEL;
        break;
    case KCONF_COMPRESSION_LZ4:
        target = KCONF_COMPRESSION_LZ4_LEVEL;
        break;
    case KCONF_COMPRESSION_ZSTD:
        target = KCONF_COMPRESSION_ZSTD_LEVEL;
        break;
    default:
        return kconf_error(errstr, errlen,
                           "compression.level needs compression.type gzip, lz4 or zstd");
    }
    const kconf_prop *p = kconf_prop_of(target);
    bool minus_one = level == -1 && (p->flags & KCONF_F_OR_MINUS_ONE);
    if ((level < p->min || level > p->max) && !minus_one) {
        char allowed[64];
        kconf_allowed(p, allowed, sizeof(allowed));
        const kconf_prop *type = kconf_prop_of(KCONF_COMPRESSION_TYPE);
        return kconf_error(errstr, errlen, "compression.level for %s must be %s, got %lld",
                           type->values[conf->vals[KCONF_COMPRESSION_TYPE].spelling].name, allowed,
                           (long long)level);
    }
    if (conf->set[target] && conf->vals[target].i != level)
        return kconf_error(errstr, errlen, "compression.level and %s disagree: set one of them",
                           p->name);
    conf->vals[target].i = level;
    return KFK_OK;
}

/* Java's rules for enable.idempotence and transactional.id. Set by the
 * application, idempotence is a demand that conflicting settings fail;
 * left at its default it yields to acks=0/1 and retries=0. */
static kfk_err resolve_idempotence(kfk_conf *conf, const klogger *lg, char *errstr, size_t errlen)
{
    bool explicit_idem = conf->set[KCONF_ENABLE_IDEMPOTENCE];
    bool idem = kconf_bool(conf, KCONF_ENABLE_IDEMPOTENCE);
    bool acks_all = kconf_int(conf, KCONF_ACKS) == KCONF_ACKS_ALL;
    bool no_retries = kconf_i64(conf, KCONF_RETRIES) == 0;
    int64_t in_flight = kconf_i64(conf, KCONF_MAX_IN_FLIGHT);
    if (idem && in_flight > 5)
        return kconf_error(errstr, errlen,
                           "an idempotent producer allows at most 5 requests in flight, but "
                           "max.in.flight.requests.per.connection is %lld (or set "
                           "enable.idempotence=false)",
                           (long long)in_flight);
    if (idem && explicit_idem && !acks_all)
        return kconf_error(errstr, errlen, "enable.idempotence=true needs acks=all");
    if (idem && explicit_idem && no_retries)
        return kconf_error(errstr, errlen, "enable.idempotence=true needs retries > 0");
    if (idem && !explicit_idem && (!acks_all || no_retries)) {
        idem = false;
        conf->vals[KCONF_ENABLE_IDEMPOTENCE].i = 0;
        klog(lg, KFK_LOG_INFO, "conf", "idempotence is off: %s",
             no_retries ? "retries=0" : "acks is not all");
    }
    if (!idem && conf->vals[KCONF_TRANSACTIONAL_ID].s)
        return kconf_error(errstr, errlen,
                           "transactional.id needs idempotence: enable.idempotence, acks=all and "
                           "retries > 0");
    return KFK_OK;
}

/* KafkaProducer's rule: a record must be allowed to linger and wait for
 * one response within its delivery timeout. */
static kfk_err resolve_delivery_timeout(kfk_conf *conf, const klogger *lg, char *errstr,
                                        size_t errlen)
{
    int64_t need = kconf_i64(conf, KCONF_LINGER_MS);
    if (__builtin_add_overflow(need, kconf_i64(conf, KCONF_REQUEST_TIMEOUT_MS), &need) ||
        need > INT32_MAX)
        need = INT32_MAX;
    int64_t have = kconf_i64(conf, KCONF_DELIVERY_TIMEOUT_MS);
    if (have >= need) return KFK_OK;
    if (conf->set[KCONF_DELIVERY_TIMEOUT_MS])
        return kconf_error(errstr, errlen,
                           "delivery.timeout.ms (%lld) must be at least linger.ms + "
                           "request.timeout.ms (%lld)",
                           (long long)have, (long long)need);
    conf->vals[KCONF_DELIVERY_TIMEOUT_MS].i = need;
    klog(lg, KFK_LOG_WARNING, "conf",
         "delivery.timeout.ms raised to linger.ms + request.timeout.ms = %lld", (long long)need);
    return KFK_OK;
}

/* partitioner.availability.timeout.ms steers the built-in partitioner's
 * adaptive draws; with another partitioner Java ignores it, kfk says so. */
static kfk_err check_availability_timeout(const kfk_conf *conf, char *errstr, size_t errlen)
{
    if (kconf_i64(conf, KCONF_PARTITIONER_AVAILABILITY_TIMEOUT_MS) == 0) return KFK_OK;
    void *opaque;
    bool adaptive = kconf_int(conf, KCONF_PARTITIONER) == KCONF_PARTITIONER_DEFAULT &&
                    !kconf_cb(conf, KCONF_PARTITIONER_CB, &opaque) &&
                    kconf_bool(conf, KCONF_PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE);
    if (adaptive) return KFK_OK;
    return kconf_error(errstr, errlen,
                       "partitioner.availability.timeout.ms works only with the default "
                       "partitioner, no partitioner callback and "
                       "partitioner.adaptive.partitioning.enable=true: set it to 0 or use those");
}

static kfk_err check_producer(kfk_conf *conf, const klogger *lg, char *errstr, size_t errlen)
{
    kfk_err err = resolve_compression_level(conf, errstr, errlen);
    if (!err) err = resolve_idempotence(conf, lg, errstr, errlen);
    if (!err) err = resolve_delivery_timeout(conf, lg, errstr, errlen);
    if (!err) err = check_availability_timeout(conf, errstr, errlen);
    return err;
}

/* A property that the chosen group protocol leaves to the other side. */
static kfk_err refuse_with_protocol(const kfk_conf *conf, kconf_id id, const char *protocol,
                                    const char *why, char *errstr, size_t errlen)
{
    if (!conf->set[id]) return KFK_OK;
    return kconf_error(errstr, errlen, "%s cannot be set with group.protocol=%s: %s",
                       kconf_prop_of(id)->name, protocol, why);
}

static kfk_err check_consumer(kfk_conf *conf, const klogger *lg, char *errstr, size_t errlen)
{
    bool has_group = conf->vals[KCONF_GROUP_ID].s != NULL;
    if (!has_group) {
        if (conf->set[KCONF_ENABLE_AUTO_COMMIT] && kconf_bool(conf, KCONF_ENABLE_AUTO_COMMIT))
            return kconf_error(errstr, errlen, "enable.auto.commit=true needs a group.id");
        conf->vals[KCONF_ENABLE_AUTO_COMMIT].i = 0;
    }
    kfk_err err;
    if (kconf_int(conf, KCONF_GROUP_PROTOCOL) == KCONF_GROUP_PROTOCOL_CONSUMER) {
        static const char bs[] = "the broker decides it (KIP-848)";
        if ((err = refuse_with_protocol(conf, KCONF_PARTITION_ASSIGNMENT_STRATEGY, "consumer",
                                        "the broker assigns partitions; see "
                                        "group.remote.assignor",
                                        errstr, errlen)) ||
            (err = refuse_with_protocol(conf, KCONF_SESSION_TIMEOUT_MS, "consumer", bs, errstr,
                                        errlen)) ||
            (err = refuse_with_protocol(conf, KCONF_HEARTBEAT_INTERVAL_MS, "consumer", bs, errstr,
                                        errlen)))
            return err;
        return KFK_OK;
    }
    if ((err = refuse_with_protocol(conf, KCONF_GROUP_REMOTE_ASSIGNOR, "classic",
                                    "it needs group.protocol=consumer", errstr, errlen)))
        return err;
    if (has_group && conf->vals[KCONF_PARTITION_ASSIGNMENT_STRATEGY].n_items == 0)
        return kconf_error(errstr, errlen, "partition.assignment.strategy names no assignor");
    if (kconf_i64(conf, KCONF_HEARTBEAT_INTERVAL_MS) >= kconf_i64(conf, KCONF_SESSION_TIMEOUT_MS))
        klog(lg, KFK_LOG_WARNING, "conf",
             "heartbeat.interval.ms (%lld) is not below session.timeout.ms (%lld): the member "
             "will be dropped between heartbeats",
             (long long)kconf_i64(conf, KCONF_HEARTBEAT_INTERVAL_MS),
             (long long)kconf_i64(conf, KCONF_SESSION_TIMEOUT_MS));
    return KFK_OK;
}

kfk_err kconf_validate(kfk_conf *conf, kconf_client client, char *errstr, size_t errlen)
{
    if (errstr && errlen > 0) errstr[0] = '\0';
    klogger lg;
    kconf_logger(conf, &lg);

    kfk_err err = apply_client_defaults(conf, client);
    if (err) return err;
    if (!conf->vals[KCONF_BOOTSTRAP_SERVERS].s)
        return kconf_error(errstr, errlen,
                           "bootstrap.servers is required: set it to host:port of one or more "
                           "brokers");
    raise_to(conf, KCONF_RETRY_BACKOFF_MAX_MS, KCONF_RETRY_BACKOFF_MS);
    raise_to(conf, KCONF_RECONNECT_BACKOFF_MAX_MS, KCONF_RECONNECT_BACKOFF_MS);
    raise_to(conf, KCONF_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS,
             KCONF_SOCKET_CONNECTION_SETUP_TIMEOUT_MS);
    if ((err = check_security(conf, errstr, errlen))) return err;
    if (client == KCONF_PRODUCER && (err = check_producer(conf, &lg, errstr, errlen))) return err;
    if (client == KCONF_CONSUMER && (err = check_consumer(conf, &lg, errstr, errlen))) return err;

    for (int id = 0; id < KCONF__COUNT; id++) {
        const kconf_prop *p = kconf_prop_of((kconf_id)id);
        if (conf->set[id] && !(p->clients & client))
            klog(&lg, KFK_LOG_WARNING, "conf", "%s is a %s property; a %s ignores it", p->name,
                 clients_text(p->clients), client_name(client));
    }
    return KFK_OK;
}
