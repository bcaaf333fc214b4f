/* The configuration store: the table, defaults, set/get of every type,
 * error messages, typo suggestions, dup and destroy. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/conf.h"

static char err[512];

static kfk_err set(kfk_conf *c, const char *name, const char *value)
{
    err[0] = '\0';
    return kfk_conf_set(c, name, value, err, sizeof(err));
}

/* The property's text, in a buffer that lives until the next call. */
static const char *get(const kfk_conf *c, const char *name)
{
    static char buf[1024];
    size_t len = sizeof(buf);
    kfk_err e = kfk_conf_get(c, name, buf, &len);
    ck_assert_msg(e == KFK_OK, "get %s: %d", name, e);
    return buf;
}

static void assert_rejected(kfk_conf *c, const char *name, const char *value, const char *msg)
{
    ck_assert_int_eq(set(c, name, value), KFK_ERR_CONFIG);
    ck_assert_str_eq(err, msg);
}

/* --- the table ------------------------------------------------------------- */

START_TEST(test_every_id_has_a_complete_row)
{
    size_t n;
    const kconf_prop *t = kconf_table(&n);
    ck_assert_uint_eq(n, KCONF__COUNT);
    for (size_t i = 0; i < n; i++) {
        const kconf_prop *p = &t[i];
        ck_assert_msg(p->name != NULL, "kconf_id %zu has no row", i);
        ck_assert_msg(p->doc && p->doc[0], "%s: no doc", p->name);
        ck_assert_msg(p->clients != 0 && (p->clients & ~KCONF_ALL) == 0, "%s: clients", p->name);
        ck_assert_int_eq(kconf_lookup(p->name), (int)i); /* names are unique */
        if (p->type == KCONF_T_ENUM) ck_assert_msg(p->values != NULL, "%s: values", p->name);
        if (p->type == KCONF_T_CALLBACK) ck_assert_msg(p->setter != NULL, "%s", p->name);
        if (p->type == KCONF_T_DOUBLE) ck_assert(p->dmin <= p->dmax);
        if (p->min || p->max) ck_assert_msg(p->min <= p->max, "%s: range", p->name);
        /* Docs are one line of prose: no newlines, ending in a full stop. */
        ck_assert_msg(!strchr(p->doc, '\n'), "%s: doc has a newline", p->name);
        ck_assert_msg(p->doc[strlen(p->doc) - 1] == '.', "%s: doc has no full stop", p->name);
    }
}
END_TEST

START_TEST(test_every_default_parses_and_round_trips)
{
    size_t n;
    const kconf_prop *t = kconf_table(&n);
    kfk_conf *c = kfk_conf_new();
    ck_assert_ptr_nonnull(c);
    for (size_t i = 0; i < n; i++) {
        const kconf_prop *p = &t[i];
        if (p->type == KCONF_T_CALLBACK) {
            ck_assert_str_eq(get(c, p->name), "");
            continue;
        }
        const char *defs[4] = {p->def, p->client_def[0], p->client_def[1], p->client_def[2]};
        for (int k = 0; k < 4; k++) {
            if (!defs[k]) continue;
            kconf_value v = {0};
            ck_assert_msg(kconf_parse(p, defs[k], &v, err, sizeof(err)) == KFK_OK, "%s: %s",
                          p->name, err);
            kconf_value_free(p, &v);
        }
        /* A fresh conf reads back the table's default text exactly... */
        char text[1024];
        snprintf(text, sizeof(text), "%s", get(c, p->name));
        ck_assert_msg(strcmp(text, p->def ? p->def : "") == 0, "%s: got \"%s\"", p->name, text);
        /* ... which sets again (as the application) and reads back the same. */
        if (p->type == KCONF_T_PASSWORD || ((p->flags & KCONF_F_NONEMPTY) && !text[0])) continue;
        ck_assert_msg(set(c, p->name, text) == KFK_OK, "%s: %s", p->name, err);
        ck_assert_str_eq(get(c, p->name), text);
        ck_assert(kconf_is_set(c, (kconf_id)i));
    }
    kfk_conf_destroy(c);
}
END_TEST

/* The Java client's defaults (Apache Kafka 4.3.1: ProducerConfig,
 * ConsumerConfig and AdminClientConfig configDef(), printed by a throwaway
 * Java program). Every row that is not kfk's own must be listed here. */
static const struct {
    const char *name, *java_default;
} java_defaults[] = {
    {"bootstrap.servers", ""}, /* Java: no default (required) */
    {"client.id", ""},         /* Java: "" */
    {"client.dns.lookup", "use_all_dns_ips"},
    {"request.timeout.ms", "30000"},
    {"default.api.timeout.ms", "60000"},
    {"retries", "2147483647"},
    {"retry.backoff.ms", "100"},
    {"retry.backoff.max.ms", "1000"},
    {"reconnect.backoff.ms", "50"},
    {"reconnect.backoff.max.ms", "1000"},
    {"socket.connection.setup.timeout.ms", "10000"},
    {"socket.connection.setup.timeout.max.ms", "30000"},
    {"connections.max.idle.ms", "540000"}, /* admin: 300000, see conf_validate_test */
    {"send.buffer.bytes", "-1"},           /* Java: 131072; kfk leaves sockets to autotuning */
    {"receive.buffer.bytes", "-1"},        /* Java: 65536, 32768 for producers */
    {"max.in.flight.requests.per.connection", "5"},
    {"metadata.max.age.ms", "300000"},
    {"metadata.max.idle.ms", "300000"},
    {"metadata.recovery.strategy", "rebootstrap"},
    {"metadata.recovery.rebootstrap.trigger.ms", "300000"},
    {"security.protocol", "PLAINTEXT"},
    {"sasl.mechanism", "GSSAPI"},
    {"sasl.jaas.config", ""},           /* Java: null */
    {"sasl.kerberos.service.name", ""}, /* Java: null */
    {"sasl.kerberos.kinit.cmd", "/usr/bin/kinit"},
    {"sasl.kerberos.min.time.before.relogin", "60000"},
    {"sasl.login.refresh.window.factor", "0.8"},
    {"sasl.login.refresh.window.jitter", "0.05"},
    {"sasl.login.refresh.min.period.seconds", "60"},
    {"sasl.login.refresh.buffer.seconds", "300"},
    {"sasl.oauthbearer.token.endpoint.url", ""},               /* Java: null */
    {"sasl.oauthbearer.client.credentials.client.id", ""},     /* Java: null */
    {"sasl.oauthbearer.client.credentials.client.secret", ""}, /* Java: null */
    {"sasl.oauthbearer.scope", ""},                            /* Java: null */
    {"sasl.oauthbearer.scope.claim.name", "scope"},
    {"sasl.oauthbearer.sub.claim.name", "sub"},
    {"sasl.oauthbearer.header.urlencode", "false"},
    {"sasl.login.connect.timeout.ms", "10000"}, /* Java: null (the JVM's); kfk bounds it */
    {"sasl.login.read.timeout.ms", "10000"},    /* Java: null (the JVM's); kfk bounds it */
    {"sasl.login.retry.backoff.ms", "100"},
    {"sasl.login.retry.backoff.max.ms", "10000"},
    {"ssl.key.password", ""},            /* Java: null */
    {"ssl.truststore.location", ""},     /* Java: null */
    {"ssl.truststore.password", ""},     /* Java: null */
    {"ssl.truststore.certificates", ""}, /* Java: null */
    {"ssl.truststore.type", ""},         /* Java: JKS, which kfk cannot read; "": PEM or PKCS12 */
    {"ssl.keystore.location", ""},       /* Java: null */
    {"ssl.keystore.password", ""},       /* Java: null */
    {"ssl.keystore.certificate.chain", ""}, /* Java: null */
    {"ssl.keystore.key", ""},               /* Java: null */
    {"ssl.keystore.type", ""},              /* Java: JKS, as for the trust store */
    {"ssl.protocol", "TLSv1.3"},
    {"ssl.endpoint.identification.algorithm", "https"},
    {"ssl.enabled.protocols", "TLSv1.2,TLSv1.3"},
    {"ssl.cipher.suites", ""}, /* Java: [] */
    {"acks", "all"},
    {"linger.ms", "5"}, /* Java 4.x: 5 (KIP-1030) */
    {"batch.size", "16384"},
    {"buffer.memory", "8388608"},
    {"max.block.ms", "60000"},
    {"max.request.size", "1048576"},
    {"compression.type", "none"},
    {"compression.gzip.level", "-1"},
    {"compression.lz4.level", "9"},
    {"compression.zstd.level", "3"},
    {"delivery.timeout.ms", "120000"},
    {"enable.idempotence", "true"},
    {"transactional.id", ""}, /* Java: null */
    {"transaction.timeout.ms", "60000"},
    {"partitioner.ignore.keys", "false"},
    {"partitioner.adaptive.partitioning.enable", "true"},
    {"partitioner.availability.timeout.ms", "0"},
    {"client.rack", ""},
    {"group.id", ""},          /* Java: null */
    {"group.instance.id", ""}, /* Java: null */
    {"group.protocol", "classic"},
    {"group.remote.assignor", ""}, /* Java: null */
    /* Java: [RangeAssignor, CooperativeStickyAssignor] */
    {"partition.assignment.strategy", "range,cooperative-sticky"},
    {"session.timeout.ms", "45000"},
    {"heartbeat.interval.ms", "3000"},
    {"max.poll.interval.ms", "300000"},
    {"max.poll.records", "500"},
    {"enable.auto.commit", "true"},
    {"auto.commit.interval.ms", "5000"},
    {"auto.offset.reset", "latest"},
    {"fetch.min.bytes", "1"},
    {"fetch.max.bytes", "52428800"},
    {"fetch.max.wait.ms", "500"},
    {"max.partition.fetch.bytes", "1048576"},
    {"isolation.level", "read_uncommitted"},
    {"check.crcs", "true"},
    {"exclude.internal.topics", "true"},
    {"allow.auto.create.topics", "true"},
    {"share.acknowledgement.mode", "implicit"}, /* Java: ShareConsumerConfig */
};

START_TEST(test_defaults_equal_the_java_clients)
{
    kfk_conf *c = kfk_conf_new();
    size_t nj = sizeof(java_defaults) / sizeof(java_defaults[0]);
    for (size_t i = 0; i < nj; i++) {
        ck_assert_msg(kconf_lookup(java_defaults[i].name) >= 0, "%s", java_defaults[i].name);
        ck_assert_msg(strcmp(get(c, java_defaults[i].name), java_defaults[i].java_default) == 0,
                      "%s: kfk \"%s\", Java \"%s\"", java_defaults[i].name,
                      get(c, java_defaults[i].name), java_defaults[i].java_default);
    }
    size_t n;
    const kconf_prop *t = kconf_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (t[i].flags & KCONF_F_KFK) continue;
        bool listed = false;
        for (size_t k = 0; k < nj; k++)
            listed |= strcmp(java_defaults[k].name, t[i].name) == 0;
        ck_assert_msg(listed, "%s is a Java property: cite its Java default here", t[i].name);
    }
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_typed_getters_read_the_defaults)
{
    kfk_conf *c = kfk_conf_new();
    ck_assert_int_eq(kconf_i64(c, KCONF_LINGER_MS), 5);
    ck_assert_int_eq(kconf_int(c, KCONF_BATCH_SIZE), 16384);
    ck_assert_int_eq(kconf_int(c, KCONF_ACKS), KCONF_ACKS_ALL);
    ck_assert(kconf_bool(c, KCONF_ENABLE_IDEMPOTENCE));
    ck_assert_int_eq(kconf_int(c, KCONF_COMPRESSION_TYPE), KCONF_COMPRESSION_NONE);
    ck_assert_int_eq(kconf_int(c, KCONF_ISOLATION_LEVEL), KCONF_READ_UNCOMMITTED);
    ck_assert_int_eq(kconf_int(c, KCONF_LOG_LEVEL), KFK_LOG_INFO);
    ck_assert_int_eq(kconf_int(c, KCONF_IO_THREADS), 0);
    ck_assert_double_eq(kconf_double(c, KCONF_SASL_LOGIN_REFRESH_WINDOW_FACTOR), 0.8);
    ck_assert_str_eq(kconf_str(c, KCONF_CLIENT_ID), "");
    ck_assert(!kconf_has_value(c, KCONF_COMPRESSION_LEVEL));
    ck_assert(!kconf_is_set(c, KCONF_LINGER_MS));
    size_t n;
    const uint8_t *items = kconf_items(c, KCONF_PARTITION_ASSIGNMENT_STRATEGY, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(items[0], KCONF_ASSIGNOR_RANGE);
    ck_assert_int_eq(items[1], KCONF_ASSIGNOR_COOPERATIVE_STICKY);
    kfk_conf_destroy(c);
}
END_TEST

/* --- enums ------------------------------------------------------------------- */

START_TEST(test_every_enum_spelling_is_accepted)
{
    size_t n;
    const kconf_prop *t = kconf_table(&n);
    kfk_conf *c = kfk_conf_new();
    for (size_t i = 0; i < n; i++) {
        const kconf_prop *p = &t[i];
        if (!p->values) continue;
        for (const kconf_enum_val *v = p->values; v->name; v++) {
            if (v->value == KCONF_RESET_BY_DURATION && p->parse == kconf_parse_offset_reset)
                continue; /* a template, not a spelling: see conf_syntax_test */
            ck_assert_msg(set(c, p->name, v->name) == KFK_OK, "%s=%s: %s", p->name, v->name, err);
            ck_assert_str_eq(get(c, p->name), v->name);
            if (p->type == KCONF_T_ENUM) {
                ck_assert_int_eq(kconf_i64(c, (kconf_id)i), v->value);
            } else {
                size_t k;
                const uint8_t *items = kconf_items(c, (kconf_id)i, &k);
                ck_assert_uint_eq(k, 1);
                ck_assert_int_eq(items[0], v->value);
            }
            /* Spellings match in any case exactly where the row says so. */
            char upper[128];
            size_t len = strlen(v->name);
            for (size_t k = 0; k <= len; k++)
                upper[k] = (char)toupper((unsigned char)v->name[k]);
            if (strcmp(upper, v->name) == 0) continue;
            kfk_err e = set(c, p->name, upper);
            ck_assert_msg((e == KFK_OK) == !!(p->flags & KCONF_F_ICASE), "%s=%s", p->name, upper);
        }
    }
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_bad_enum_value_names_what_is_allowed)
{
    kfk_conf *c = kfk_conf_new();
    assert_rejected(c, "acks", "fast",
                    "invalid value \"fast\" for \"acks\": expected one of all, -1, 0, 1");
    /* Java matches acks and compression.type exactly... */
    assert_rejected(c, "acks", "ALL",
                    "invalid value \"ALL\" for \"acks\": expected one of all, -1, 0, 1");
    assert_rejected(c, "compression.type", "GZIP",
                    "invalid value \"GZIP\" for \"compression.type\": expected one of none, gzip, "
                    "snappy, lz4, zstd");
    /* ... and security.protocol in any case, reading back as the table spells it. */
    ck_assert_int_eq(set(c, "security.protocol", "sasl_ssl"), KFK_OK);
    ck_assert_str_eq(get(c, "security.protocol"), "SASL_SSL");
    ck_assert_int_eq(kconf_int(c, KCONF_SECURITY_PROTOCOL), KCONF_SECURITY_SASL_SSL);
    /* Aliases work but stay out of the message. */
    ck_assert_int_eq(set(c, "log.level", "7"), KFK_OK);
    ck_assert_int_eq(kconf_int(c, KCONF_LOG_LEVEL), KFK_LOG_DEBUG);
    assert_rejected(c, "log.level", "loud",
                    "invalid value \"loud\" for \"log.level\": expected one of emerg, alert, crit, "
                    "err, warning, notice, info, debug");
    assert_rejected(c, "isolation.level", "",
                    "invalid value \"\" for \"isolation.level\": expected one of "
                    "read_uncommitted, read_committed");
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_acks_spellings_share_values)
{
    kfk_conf *c = kfk_conf_new();
    ck_assert_int_eq(set(c, "acks", "-1"), KFK_OK);
    ck_assert_int_eq(kconf_int(c, KCONF_ACKS), KCONF_ACKS_ALL);
    ck_assert_str_eq(get(c, "acks"), "-1");
    ck_assert_int_eq(set(c, "acks", " 0 "), KFK_OK);
    ck_assert_int_eq(kconf_int(c, KCONF_ACKS), 0);
    ck_assert_str_eq(get(c, "acks"), "0");
    kfk_conf_destroy(c);
}
END_TEST

/* --- numbers ------------------------------------------------------------------ */

static bool is_number(const kconf_prop *p)
{
    return p->type == KCONF_T_INT || p->type == KCONF_T_LONG || p->type == KCONF_T_MS ||
           p->type == KCONF_T_BYTES;
}

START_TEST(test_every_number_is_checked_at_its_bounds)
{
    size_t n;
    const kconf_prop *t = kconf_table(&n);
    kfk_conf *c = kfk_conf_new();
    char text[64], want[256], allowed[128];
    for (size_t i = 0; i < n; i++) {
        const kconf_prop *p = &t[i];
        if (!is_number(p)) continue;
        kconf_allowed(p, allowed, sizeof(allowed));
        snprintf(text, sizeof(text), "%" PRId64, p->min);
        ck_assert_msg(set(c, p->name, text) == KFK_OK, "%s=%s: %s", p->name, text, err);
        ck_assert_int_eq(kconf_i64(c, (kconf_id)i), p->min);
        ck_assert_str_eq(get(c, p->name), text);
        snprintf(text, sizeof(text), "%" PRId64, p->max);
        ck_assert_msg(set(c, p->name, text) == KFK_OK, "%s=%s: %s", p->name, text, err);
        ck_assert_int_eq(kconf_i64(c, (kconf_id)i), p->max);
        if (p->min > INT64_MIN && !(p->min - 1 == -1 && (p->flags & KCONF_F_OR_MINUS_ONE))) {
            snprintf(text, sizeof(text), "%" PRId64, p->min - 1);
            snprintf(want, sizeof(want), "\"%s\" must be %s, got \"%s\"", p->name, allowed, text);
            assert_rejected(c, p->name, text, want);
            ck_assert_int_eq(kconf_i64(c, (kconf_id)i), p->max); /* unchanged */
        }
        if (p->max < INT64_MAX) {
            snprintf(text, sizeof(text), "%" PRId64, p->max + 1);
            snprintf(want, sizeof(want), "\"%s\" must be %s, got \"%s\"", p->name, allowed, text);
            assert_rejected(c, p->name, text, want);
        }
        const char *huge[] = {"99999999999999999999", "-99999999999999999999"};
        for (int k = 0; k < 2; k++) {
            snprintf(want, sizeof(want), "\"%s\" must be %s, got \"%s\"", p->name, allowed,
                     huge[k]);
            assert_rejected(c, p->name, huge[k], want);
        }
    }
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_range_messages_read_well)
{
    kfk_conf *c = kfk_conf_new();
    assert_rejected(c, "batch.size", "-5",
                    "\"batch.size\" must be between 0 and 2147483647, got \"-5\"");
    assert_rejected(c, "linger.ms", "-1", "\"linger.ms\" must be at least 0, got \"-1\"");
    assert_rejected(c, "compression.gzip.level", "0",
                    "\"compression.gzip.level\" must be between 1 and 9, or -1, got \"0\"");
    ck_assert_int_eq(set(c, "compression.gzip.level", "-1"), KFK_OK);
    assert_rejected(c, "request.timeout.ms", "2147483648",
                    "\"request.timeout.ms\" must be between 0 and 2147483647, got "
                    "\"2147483648\"");
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_non_numbers_are_rejected)
{
    kfk_conf *c = kfk_conf_new();
    const char *bad[] = {"abc", "5ms", "1.5", "", " ", "0x10", "1 2", "--1", "+"};
    char want[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* The message quotes the value as kfk read it, trimmed. */
        const char *b = bad[i];
        while (*b == ' ')
            b++;
        snprintf(want, sizeof(want), "invalid value \"%s\" for \"linger.ms\": expected an integer",
                 b);
        assert_rejected(c, "linger.ms", bad[i], want);
    }
    ck_assert_int_eq(set(c, "linger.ms", " 10\t"), KFK_OK);
    ck_assert_int_eq(kconf_i64(c, KCONF_LINGER_MS), 10);
    ck_assert_int_eq(set(c, "linger.ms", "+7"), KFK_OK); /* Java's Long.parseLong takes it */
    ck_assert_str_eq(get(c, "linger.ms"), "7");
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_optional_number_can_be_unset)
{
    kfk_conf *c = kfk_conf_new();
    ck_assert_str_eq(get(c, "compression.level"), "");
    ck_assert_int_eq(set(c, "compression.level", "-5"), KFK_OK);
    ck_assert(kconf_has_value(c, KCONF_COMPRESSION_LEVEL));
    ck_assert_int_eq(kconf_i64(c, KCONF_COMPRESSION_LEVEL), -5);
    ck_assert_int_eq(set(c, "compression.level", ""), KFK_OK);
    ck_assert(!kconf_has_value(c, KCONF_COMPRESSION_LEVEL));
    ck_assert_str_eq(get(c, "compression.level"), "");
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_doubles_parse_and_check_their_range)
{
    kfk_conf *c = kfk_conf_new();
    ck_assert_int_eq(set(c, "sasl.login.refresh.window.factor", "0.5"), KFK_OK);
    ck_assert_int_eq(set(c, "sasl.login.refresh.window.factor", "1"), KFK_OK);
    ck_assert_str_eq(get(c, "sasl.login.refresh.window.factor"), "1");
    ck_assert_int_eq(set(c, "sasl.login.refresh.window.factor", "0.75"), KFK_OK);
    ck_assert_str_eq(get(c, "sasl.login.refresh.window.factor"), "0.75");
    assert_rejected(c, "sasl.login.refresh.window.factor", "0.49",
                    "\"sasl.login.refresh.window.factor\" must be between 0.5 and 1, got \"0.49\"");
    assert_rejected(c, "sasl.login.refresh.window.jitter", "0.26",
                    "\"sasl.login.refresh.window.jitter\" must be between 0 and 0.25, got "
                    "\"0.26\"");
    const char *bad[] = {"nan", "inf", "1e999", "0,6", "x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[160];
        snprintf(want, sizeof(want),
                 "invalid value \"%s\" for \"sasl.login.refresh.window.factor\": expected a "
                 "number",
                 bad[i]);
        assert_rejected(c, "sasl.login.refresh.window.factor", bad[i], want);
    }
    ck_assert_double_eq(kconf_double(c, KCONF_SASL_LOGIN_REFRESH_WINDOW_FACTOR), 0.75);
    kfk_conf_destroy(c);
}
END_TEST

/* --- bools, strings, lists ------------------------------------------------------ */

START_TEST(test_bools_take_javas_spellings_only)
{
    kfk_conf *c = kfk_conf_new();
    ck_assert_int_eq(set(c, "check.crcs", "FALSE"), KFK_OK);
    ck_assert(!kconf_bool(c, KCONF_CHECK_CRCS));
    ck_assert_str_eq(get(c, "check.crcs"), "false");
    ck_assert_int_eq(set(c, "check.crcs", "True"), KFK_OK);
    ck_assert(kconf_bool(c, KCONF_CHECK_CRCS));
    const char *bad[] = {"yes", "1", "0", "on", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[128];
        snprintf(want, sizeof(want),
                 "invalid value \"%s\" for \"enable.idempotence\": expected true or false", bad[i]);
        assert_rejected(c, "enable.idempotence", bad[i], want);
    }
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_strings_are_trimmed_and_nonempty_ones_checked)
{
    kfk_conf *c = kfk_conf_new();
    ck_assert_int_eq(set(c, "client.id", "  my-app \t"), KFK_OK);
    ck_assert_str_eq(get(c, "client.id"), "my-app");
    ck_assert_str_eq(kconf_str(c, KCONF_CLIENT_ID), "my-app");
    ck_assert_int_eq(set(c, "client.id", ""), KFK_OK);
    ck_assert_str_eq(kconf_str(c, KCONF_CLIENT_ID), "");
    assert_rejected(c, "transactional.id", " ",
                    "invalid value \"\" for \"transactional.id\": expected a non-empty string "
                    "(set NULL to unset it)");
    ck_assert_int_eq(set(c, "transactional.id", "tx-1"), KFK_OK);
    ck_assert_int_eq(set(c, "transactional.id", NULL), KFK_OK);
    ck_assert_str_eq(kconf_str(c, KCONF_TRANSACTIONAL_ID), "");
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_lists_are_normalized_and_checked)
{
    kfk_conf *c = kfk_conf_new();
    ck_assert_int_eq(set(c, "partition.assignment.strategy", " sticky , range "), KFK_OK);
    ck_assert_str_eq(get(c, "partition.assignment.strategy"), "sticky,range");
    size_t n;
    const uint8_t *items = kconf_items(c, KCONF_PARTITION_ASSIGNMENT_STRATEGY, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(items[0], KCONF_ASSIGNOR_STICKY);
    ck_assert_int_eq(items[1], KCONF_ASSIGNOR_RANGE);

    ck_assert_int_eq(set(c, "partition.assignment.strategy",
                         "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"),
                     KFK_OK);
    items = kconf_items(c, KCONF_PARTITION_ASSIGNMENT_STRATEGY, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(items[0], KCONF_ASSIGNOR_COOPERATIVE_STICKY);

    assert_rejected(c, "partition.assignment.strategy", "range,foo",
                    "invalid value \"range,foo\" for \"partition.assignment.strategy\": \"foo\" "
                    "is not one of range, roundrobin, sticky, cooperative-sticky");
    assert_rejected(c, "partition.assignment.strategy", "range,,sticky",
                    "invalid value \"range,,sticky\" for \"partition.assignment.strategy\": empty "
                    "list entry");
    assert_rejected(c, "partition.assignment.strategy",
                    "range,org.apache.kafka.clients.consumer.RangeAssignor",
                    "invalid value \"range,org.apache.kafka.clients.consumer.RangeAssignor\" for "
                    "\"partition.assignment.strategy\": "
                    "\"org.apache.kafka.clients.consumer.RangeAssignor\" is listed twice");
    /* A failed set leaves the old list. */
    items = kconf_items(c, KCONF_PARTITION_ASSIGNMENT_STRATEGY, &n);
    ck_assert_uint_eq(n, 1);

    ck_assert_int_eq(set(c, "partition.assignment.strategy", ""), KFK_OK);
    kconf_items(c, KCONF_PARTITION_ASSIGNMENT_STRATEGY, &n);
    ck_assert_uint_eq(n, 0);
    ck_assert_str_eq(get(c, "partition.assignment.strategy"), "");

    ck_assert_int_eq(
        set(c, "ssl.cipher.suites", "TLS_AES_128_GCM_SHA256, ECDHE-RSA-AES128-GCM-SHA256"), KFK_OK);
    ck_assert_str_eq(kconf_str(c, KCONF_SSL_CIPHER_SUITES),
                     "TLS_AES_128_GCM_SHA256,ECDHE-RSA-AES128-GCM-SHA256");
    kfk_conf_destroy(c);
}
END_TEST

/* --- names ---------------------------------------------------------------------- */

START_TEST(test_unknown_name_suggests_the_closest)
{
    kfk_conf *c = kfk_conf_new();
    assert_rejected(c, "linger.sm", "5",
                    "unknown property \"linger.sm\"; did you mean \"linger.ms\"?");
    assert_rejected(c, "bootstrap.server", "x:1",
                    "unknown property \"bootstrap.server\"; did you mean \"bootstrap.servers\"?");
    assert_rejected(c, "Linger.MS", "5",
                    "unknown property \"Linger.MS\"; did you mean \"linger.ms\"?");
    assert_rejected(c, "acsk", "1", "unknown property \"acsk\"; did you mean \"acks\"?");
    assert_rejected(c, "group.idd", "g",
                    "unknown property \"group.idd\"; did you mean \"group.id\"?");
    assert_rejected(c, "totally.unknown.thing", "1", "unknown property \"totally.unknown.thing\"");
    assert_rejected(c, "", "1", "unknown property \"\"");
    /* Callbacks are never suggested. */
    assert_rejected(c, "log_cc", "1", "unknown property \"log_cc\"");
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_java_and_librdkafka_names_get_hints)
{
    kfk_conf *c = kfk_conf_new();
    assert_rejected(
        c, "key.serializer", "x",
        "unknown property \"key.serializer\": a Java client property kfk does not have; "
        "kfk records are bytes: serialize in the application");
    assert_rejected(c, "queue.buffering.max.ms", "5",
                    "unknown property \"queue.buffering.max.ms\"; kfk uses the Java name "
                    "\"linger.ms\"");
    assert_rejected(c, "queued.max.messages.kbytes", "5",
                    "unknown property \"queued.max.messages.kbytes\"; kfk uses the Java name "
                    "\"fetch.queue.max.bytes\" (in bytes)");
    /* No hint names a property kfk has, and every "use" exists. */
    size_t n;
    const kconf_hint_row *h = kconf_hints(&n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(kconf_lookup(h[i].name) < 0, "%s", h[i].name);
        ck_assert(h[i].use || h[i].why);
        if (h[i].use) ck_assert_msg(kconf_lookup(h[i].use) >= 0, "%s", h[i].use);
    }
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_distance_counts_edits_and_swaps)
{
    ck_assert_int_eq(kconf_distance("acks", "acks", 3), 0);
    ck_assert_int_eq(kconf_distance("acks", "acsk", 3), 1);
    ck_assert_int_eq(kconf_distance("ab", "ba", 3), 1);
    ck_assert_int_eq(kconf_distance("kitten", "sitting", 3), 3);
    ck_assert_int_eq(kconf_distance("ACKS", "acks", 3), 0);
    ck_assert_int_eq(kconf_distance("", "abc", 3), 3);
    ck_assert_int_eq(kconf_distance("", "abcd", 3), 4);
    ck_assert_int_eq(kconf_distance("abcdefgh", "zyxwvuts", 3), 4);
}
END_TEST

/* --- passwords and callbacks ------------------------------------------------------ */

START_TEST(test_passwords_read_back_hidden_and_keep_spaces)
{
    kfk_conf *c = kfk_conf_new();
    ck_assert_str_eq(get(c, "sasl.password"), "");
    ck_assert_int_eq(set(c, "sasl.password", " s3cret "), KFK_OK);
    ck_assert_str_eq(get(c, "sasl.password"), "[hidden]");
    ck_assert_str_eq(kconf_str(c, KCONF_SASL_PASSWORD), " s3cret ");
    ck_assert_int_eq(set(c, "sasl.password", NULL), KFK_OK);
    ck_assert_str_eq(get(c, "sasl.password"), "");
    kfk_conf_destroy(c);
}
END_TEST

static void dummy_log(void *opaque, void *handle, kfk_log_level level, const char *facility,
                      const char *message)
{
    (void)handle;
    (void)opaque, (void)level, (void)facility, (void)message;
}

START_TEST(test_callbacks_are_set_by_function_only)
{
    kfk_conf *c = kfk_conf_new();
    assert_rejected(c, "log_cb", "0x1234",
                    "\"log_cb\" is a callback: set it with kfk_conf_set_log_cb()");
    int token;
    kfk_conf_set_log_cb(c, dummy_log, &token);
    ck_assert_str_eq(get(c, "log_cb"), "[set]");
    ck_assert_int_eq(set(c, "log.level", "debug"), KFK_OK);
    klogger lg;
    kconf_logger(c, &lg);
    ck_assert_ptr_eq(lg.cb, dummy_log);
    ck_assert_ptr_eq(lg.opaque, &token);
    ck_assert_int_eq(lg.level, KFK_LOG_DEBUG);
    kfk_conf_set_log_cb(c, NULL, &token);
    kconf_logger(c, &lg);
    ck_assert_ptr_null(lg.cb);
    ck_assert_ptr_null(lg.opaque);
    ck_assert_str_eq(get(c, "log_cb"), "");
    kfk_conf_destroy(c);
}
END_TEST

/* --- the object --------------------------------------------------------------------- */

START_TEST(test_get_reports_the_size_it_needs)
{
    kfk_conf *c = kfk_conf_new();
    size_t len = 0;
    ck_assert_int_eq(kfk_conf_get(c, "acks", NULL, &len), KFK_ERR_TOO_LARGE);
    ck_assert_uint_eq(len, 4); /* "all" and its NUL */
    char buf[4] = "xxx";
    len = 3;
    ck_assert_int_eq(kfk_conf_get(c, "acks", buf, &len), KFK_ERR_TOO_LARGE);
    ck_assert_str_eq(buf, "xxx"); /* nothing written */
    len = 4;
    ck_assert_int_eq(kfk_conf_get(c, "acks", buf, &len), KFK_OK);
    ck_assert_str_eq(buf, "all");
    ck_assert_int_eq(kfk_conf_get(c, "ack", buf, &len), KFK_ERR_CONFIG);
    ck_assert_int_eq(kfk_conf_get(NULL, "acks", buf, &len), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_conf_get(c, "acks", buf, NULL), KFK_ERR_INVALID_ARG);
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_null_arguments_are_refused)
{
    kfk_conf *c = kfk_conf_new();
    ck_assert_int_eq(kfk_conf_set(NULL, "acks", "1", NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_conf_set(c, NULL, "1", NULL, 0), KFK_ERR_INVALID_ARG);
    /* errstr is optional. */
    ck_assert_int_eq(kfk_conf_set(c, "acks", "x", NULL, 0), KFK_ERR_CONFIG);
    /* A short errstr is cut, and stays terminated. */
    char small[8];
    ck_assert_int_eq(kfk_conf_set(c, "acks", "x", small, sizeof(small)), KFK_ERR_CONFIG);
    ck_assert_str_eq(small, "invalid");
    kfk_conf_set_log_cb(NULL, dummy_log, NULL);
    ck_assert_ptr_null(kfk_conf_dup(NULL));
    kfk_conf_destroy(NULL);
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_null_value_restores_the_default)
{
    kfk_conf *c = kfk_conf_new();
    ck_assert_int_eq(set(c, "linger.ms", "100"), KFK_OK);
    ck_assert(kconf_is_set(c, KCONF_LINGER_MS));
    ck_assert_int_eq(set(c, "linger.ms", NULL), KFK_OK);
    ck_assert_int_eq(kconf_i64(c, KCONF_LINGER_MS), 5);
    ck_assert(!kconf_is_set(c, KCONF_LINGER_MS));
    ck_assert_int_eq(set(c, "partition.assignment.strategy", "sticky"), KFK_OK);
    ck_assert_int_eq(set(c, "partition.assignment.strategy", NULL), KFK_OK);
    ck_assert_str_eq(get(c, "partition.assignment.strategy"), "range,cooperative-sticky");
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_dup_is_deep)
{
    kfk_conf *a = kfk_conf_new();
    int token;
    ck_assert_int_eq(set(a, "bootstrap.servers", "h1:9092,h2:9092"), KFK_OK);
    ck_assert_int_eq(set(a, "client.id", "one"), KFK_OK);
    ck_assert_int_eq(set(a, "sasl.password", "pw"), KFK_OK);
    ck_assert_int_eq(set(a, "auto.offset.reset", "by_duration:PT1H"), KFK_OK);
    ck_assert_int_eq(set(a, "partition.assignment.strategy", "roundrobin"), KFK_OK);
    kfk_conf_set_log_cb(a, dummy_log, &token);

    kfk_conf *b = kfk_conf_dup(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(set(a, "client.id", "two"), KFK_OK);
    ck_assert_int_eq(set(a, "bootstrap.servers", "other:1"), KFK_OK);
    kfk_conf_destroy(a); /* b must not share anything a freed */

    ck_assert_str_eq(get(b, "client.id"), "one");
    ck_assert_str_eq(get(b, "bootstrap.servers"), "h1:9092,h2:9092");
    ck_assert_str_eq(kconf_str(b, KCONF_SASL_PASSWORD), "pw");
    ck_assert_str_eq(get(b, "auto.offset.reset"), "by_duration:PT1H");
    ck_assert_int_eq(kconf_arg(b, KCONF_AUTO_OFFSET_RESET), 3600000);
    ck_assert(kconf_is_set(b, KCONF_CLIENT_ID));
    ck_assert(!kconf_is_set(b, KCONF_LINGER_MS));
    size_t n;
    ck_assert_int_eq(kconf_items(b, KCONF_PARTITION_ASSIGNMENT_STRATEGY, &n)[0],
                     KCONF_ASSIGNOR_ROUNDROBIN);
    klogger lg;
    kconf_logger(b, &lg);
    ck_assert_ptr_eq(lg.cb, dummy_log);
    ck_assert_ptr_eq(lg.opaque, &token);
    kfk_conf_destroy(b);
}
END_TEST

/* Sets a string on every string-holding property, then destroys: under
 * ASan/LSan (make SAN=1) any leak fails the run. */
START_TEST(test_destroy_frees_every_value)
{
    size_t n;
    const kconf_prop *t = kconf_table(&n);
    kfk_conf *c = kfk_conf_new();
    for (size_t i = 0; i < n; i++) {
        const kconf_prop *p = &t[i];
        const char *v = p->type == KCONF_T_STRING || p->type == KCONF_T_PASSWORD ? "value" : NULL;
        if (p->parse == kconf_parse_jaas) v = "m required;";
        if (p->parse == kconf_parse_bootstrap) v = "a:1,b:2";
        if (v) ck_assert_msg(set(c, p->name, v) == KFK_OK, "%s: %s", p->name, err);
        if (v) ck_assert_msg(set(c, p->name, v) == KFK_OK, "%s: %s", p->name, err); /* replace */
    }
    kfk_conf *d = kfk_conf_dup(c);
    kfk_conf_destroy(c);
    kfk_conf_destroy(d);
}
END_TEST

static Suite *conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_every_id_has_a_complete_row);
    tcase_add_test(tc, test_every_default_parses_and_round_trips);
    tcase_add_test(tc, test_defaults_equal_the_java_clients);
    tcase_add_test(tc, test_typed_getters_read_the_defaults);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_add_test(tc, test_every_enum_spelling_is_accepted);
    tcase_add_test(tc, test_bad_enum_value_names_what_is_allowed);
    tcase_add_test(tc, test_acks_spellings_share_values);
    tcase_add_test(tc, test_every_number_is_checked_at_its_bounds);
    tcase_add_test(tc, test_range_messages_read_well);
    tcase_add_test(tc, test_non_numbers_are_rejected);
    tcase_add_test(tc, test_optional_number_can_be_unset);
    tcase_add_test(tc, test_doubles_parse_and_check_their_range);
    tcase_add_test(tc, test_bools_take_javas_spellings_only);
    tcase_add_test(tc, test_strings_are_trimmed_and_nonempty_ones_checked);
    tcase_add_test(tc, test_lists_are_normalized_and_checked);
    tcase_add_test(tc, test_passwords_read_back_hidden_and_keep_spaces);
    tcase_add_test(tc, test_callbacks_are_set_by_function_only);
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_add_test(tc, test_unknown_name_suggests_the_closest);
    tcase_add_test(tc, test_java_and_librdkafka_names_get_hints);
    tcase_add_test(tc, test_distance_counts_edits_and_swaps);
    suite_add_tcase(s, tc);

    tc = tcase_create("object");
    tcase_add_test(tc, test_get_reports_the_size_it_needs);
    tcase_add_test(tc, test_null_arguments_are_refused);
    tcase_add_test(tc, test_null_value_restores_the_default);
    tcase_add_test(tc, test_dup_is_deep);
    tcase_add_test(tc, test_destroy_frees_every_value);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(conf_suite());
}
