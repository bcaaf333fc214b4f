/* The properties with a syntax of their own: bootstrap.servers,
 * auto.offset.reset's by_duration: and sasl.jaas.config. */
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

/* --- bootstrap.servers ------------------------------------------------------ */

START_TEST(test_bootstrap_accepts_host_port_lists)
{
    const char *good[] = {
        "localhost:9092",
        "a:1, b.example.com:65535 ,c_d:9093",
        "[::1]:9092",
        "[fe80::1%eth0]:9092",
        "::1:9092", /* Java splits a bare IPv6 address at its last colon */
        "PLAINTEXT://broker:9092",
        "SASL_SSL://10.0.0.1:9094",
    };
    kfk_conf *c = kfk_conf_new();
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(set(c, "bootstrap.servers", good[i]) == KFK_OK, "%s: %s", good[i], err);
    ck_assert_str_eq(kconf_str(c, KCONF_BOOTSTRAP_SERVERS), "SASL_SSL://10.0.0.1:9094");
    ck_assert_int_eq(set(c, "bootstrap.servers", " a:1 , b:2 "), KFK_OK);
    ck_assert_str_eq(kconf_str(c, KCONF_BOOTSTRAP_SERVERS), "a:1,b:2");
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_bootstrap_rejects_what_is_not_an_address)
{
    const char *bad[][2] = {
        {"localhost", "localhost"},
        {"a:1,b", "b"},
        {"host:", "host:"},
        {":9092", ":9092"},
        {"host:0", "host:0"},
        {"host:65536", "host:65536"},
        {"host:12x", "host:12x"},
        {"[::1:9092", "[::1:9092"},
        {"[]:1", "[]:1"},
        {"ho st:1", "ho st:1"},
        {"host:123456", "host:123456"},
    };
    kfk_conf *c = kfk_conf_new();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[256];
        snprintf(want, sizeof(want),
                 "invalid value \"%s\" for \"bootstrap.servers\": \"%s\" is not host:port with a "
                 "port from 1 to 65535",
                 bad[i][0], bad[i][1]);
        ck_assert_int_eq(set(c, "bootstrap.servers", bad[i][0]), KFK_ERR_CONFIG);
        ck_assert_str_eq(err, want);
    }
    ck_assert_int_eq(set(c, "bootstrap.servers", "a:1,,b:2"), KFK_ERR_CONFIG);
    ck_assert_str_eq(err, "invalid value \"a:1,,b:2\" for \"bootstrap.servers\": empty list entry");
    ck_assert_str_eq(kconf_str(c, KCONF_BOOTSTRAP_SERVERS), "");
    kfk_conf_destroy(c);
}
END_TEST

/* --- auto.offset.reset by_duration: ------------------------------------------ */

START_TEST(test_offset_reset_by_duration_reads_iso_durations)
{
    /* The spellings Java 4.3.1 accepts (checked against ConsumerConfig). */
    static const struct {
        const char *text;
        int64_t ms;
    } good[] = {
        {"by_duration:P1D", 86400000},  {"by_duration:pt1h", 3600000},
        {"by_duration:PT1.5S", 1500},   {"by_duration:P1DT2H3M4.005S", 93784005},
        {"by_duration:PT0S", 0},        {"by_duration:+PT1S", 1000},
        {"by_duration:PT0.0001S", 0},   {"by_duration:PT1,5S", 1500},
        {"by_duration:PT90M", 5400000}, {"by_duration:PT1.S", 1000},
    };
    kfk_conf *c = kfk_conf_new();
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_msg(set(c, "auto.offset.reset", good[i].text) == KFK_OK, "%s: %s", good[i].text,
                      err);
        ck_assert_int_eq(kconf_int(c, KCONF_AUTO_OFFSET_RESET), KCONF_RESET_BY_DURATION);
        ck_assert_int_eq(kconf_arg(c, KCONF_AUTO_OFFSET_RESET), good[i].ms);
        char buf[64];
        size_t len = sizeof(buf);
        ck_assert_int_eq(kfk_conf_get(c, "auto.offset.reset", buf, &len), KFK_OK);
        ck_assert_str_eq(buf, good[i].text);
    }
    /* Back to a plain value, the text and argument go. */
    ck_assert_int_eq(set(c, "auto.offset.reset", "earliest"), KFK_OK);
    ck_assert_int_eq(kconf_int(c, KCONF_AUTO_OFFSET_RESET), KCONF_RESET_EARLIEST);
    kfk_conf_destroy(c);
}
END_TEST

START_TEST(test_offset_reset_rejects_bad_durations)
{
    /* Java 4.3.1 rejects each of these too. */
    const char *bad[] = {
        "by_duration:PT-1S",
        "by_duration:-PT1S",
        "by_duration:P1W",
        "by_duration:",
        "by_duration:P",
        "by_duration:PT",
        "by_duration:P-1D",
        "by_duration:P1H",
        "by_duration:PT1D",
        "by_duration:PT1S2M",
        "by_duration:PT1.1234567890S",
        "by_duration:P99999999999999999D",
        "by_duration:P1DT",
    };
    kfk_conf *c = kfk_conf_new();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[256];
        snprintf(want, sizeof(want),
                 "invalid value \"%s\" for \"auto.offset.reset\": by_duration: takes a "
                 "non-negative ISO-8601 duration such as P1DT12H or PT30M",
                 bad[i]);
        ck_assert_int_eq(set(c, "auto.offset.reset", bad[i]), KFK_ERR_CONFIG);
        ck_assert_str_eq(err, want);
    }
    /* The prefix is case-sensitive, as in Java. */
    ck_assert_int_eq(set(c, "auto.offset.reset", "BY_DURATION:PT1S"), KFK_ERR_CONFIG);
    ck_assert_str_eq(err, "invalid value \"BY_DURATION:PT1S\" for \"auto.offset.reset\": expected "
                          "one of latest, earliest, none, by_duration:PnDTnHnMn.nS");
    ck_assert_int_eq(set(c, "auto.offset.reset", "by_duration:PnDTnHnMn.nS"), KFK_ERR_CONFIG);
    ck_assert_int_eq(kconf_int(c, KCONF_AUTO_OFFSET_RESET), KCONF_RESET_LATEST);
    kfk_conf_destroy(c);
}
END_TEST

/* --- sasl.jaas.config ------------------------------------------------------------ */

START_TEST(test_jaas_line_is_checked_and_hidden)
{
    const char *line = "org.apache.kafka.common.security.plain.PlainLoginModule required "
                       "username=\"alice\" password=\"p@ss \\\"word\\\"\";";
    kfk_conf *c = kfk_conf_new();
    ck_assert_int_eq(set(c, "sasl.jaas.config", line), KFK_OK);
    char buf[64];
    size_t len = sizeof(buf);
    ck_assert_int_eq(kfk_conf_get(c, "sasl.jaas.config", buf, &len), KFK_OK);
    ck_assert_str_eq(buf, "[hidden]");

    char *user, *pass, *none;
    ck_assert_int_eq(kconf_jaas_option(line, "username", &user), KFK_OK);
    ck_assert_int_eq(kconf_jaas_option(line, "password", &pass), KFK_OK);
    ck_assert_int_eq(kconf_jaas_option(line, "serviceName", &none), KFK_OK);
    ck_assert_str_eq(user, "alice");
    ck_assert_str_eq(pass, "p@ss \"word\"");
    ck_assert_ptr_null(none);
    free(user);
    free(pass);

    /* Bare words, any-case flags and blank text (unset) are fine too. */
    ck_assert_int_eq(set(c, "sasl.jaas.config",
                         "  org.apache.kafka.common.security.scram.ScramLoginModule REQUIRED\n"
                         "    username=bob password=x1 ;  "),
                     KFK_OK);
    ck_assert_int_eq(set(c, "sasl.jaas.config", "   "), KFK_OK);
    ck_assert_str_eq(kconf_str(c, KCONF_SASL_JAAS_CONFIG), "");
    kfk_conf_destroy(c);
}
END_TEST

/* Collects "key=value;" for each option kconf_jaas_foreach reports. */
static kfk_err collect_option(void *arg, const char *key, const char *value)
{
    char *out = arg;
    size_t n = strlen(out);
    snprintf(out + n, 256 - n, "%s=%s;", key, value);
    return strcmp(key, "stop") == 0 ? KFK_ERR_INVALID_ARG : KFK_OK;
}

START_TEST(test_jaas_foreach_visits_every_option_in_order)
{
    char seen[256] = "";
    const char *line = "M required b=\"x \\\"y\\\"\" a=1 b=2;";
    ck_assert_int_eq(kconf_jaas_foreach(line, collect_option, seen), KFK_OK);
    ck_assert_str_eq(seen, "b=x \"y\";a=1;b=2;");
    seen[0] = '\0';
    ck_assert_int_eq(kconf_jaas_foreach("M required a=1 stop=1 c=3;", collect_option, seen),
                     KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(seen, "a=1;stop=1;");
    seen[0] = '\0';
    ck_assert_int_eq(kconf_jaas_foreach("M required a=1 b;", collect_option, seen), KFK_ERR_CONFIG);
}
END_TEST

START_TEST(test_bad_jaas_lines_never_echo_secrets)
{
    static const struct {
        const char *line, *why;
    } bad[] = {
        {"=", "expected a login module class name"},
        {"Module", "expected required, requisite, sufficient or optional after the login module"},
        {"Module mandatory password=\"topsecret\";",
         "expected required, requisite, sufficient or optional after the login module"},
        {"Module required password=\"topsecret\"", "expected option=value or a closing \";\""},
        {"Module required password \"topsecret\";", "expected \"=\" after option \"password\""},
        {"Module required password=;", "expected a value for option \"password\""},
        {"Module required password=\"topsecret;", "unterminated quote in option \"password\""},
        {"Module required password=\"topsecret\"; Other required;",
         "kfk takes one login module, but more follows the \";\""},
    };
    kfk_conf *c = kfk_conf_new();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[256];
        snprintf(want, sizeof(want), "invalid value for \"sasl.jaas.config\": %s", bad[i].why);
        ck_assert_int_eq(set(c, "sasl.jaas.config", bad[i].line), KFK_ERR_CONFIG);
        ck_assert_str_eq(err, want);
        ck_assert_ptr_null(strstr(err, "topsecret"));
    }
    kfk_conf_destroy(c);
}
END_TEST

static Suite *conf_syntax_suite(void)
{
    Suite *s = suite_create("conf_syntax");
    TCase *tc = tcase_create("syntax");
    tcase_add_test(tc, test_bootstrap_accepts_host_port_lists);
    tcase_add_test(tc, test_bootstrap_rejects_what_is_not_an_address);
    tcase_add_test(tc, test_offset_reset_by_duration_reads_iso_durations);
    tcase_add_test(tc, test_offset_reset_rejects_bad_durations);
    tcase_add_test(tc, test_jaas_line_is_checked_and_hidden);
    tcase_add_test(tc, test_jaas_foreach_visits_every_option_in_order);
    tcase_add_test(tc, test_bad_jaas_lines_never_echo_secrets);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(conf_syntax_suite());
}
