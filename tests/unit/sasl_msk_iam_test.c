/* AWS_MSK_IAM: the client message for fixed inputs, with signatures
 * computed independently (a Python one-off with hmac/hashlib building the
 * canonical request by hand); region parsing; the environment; the
 * broker's answer. */
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "sasl/json.h"
#include "sasl/msk_iam.h"

#define HOST "b-1.mycluster.abc123.c2.kafka.us-east-1.amazonaws.com"

static kmsk_params fixed_params(void)
{
    return (kmsk_params){
        .access_key = "AKIDEXAMPLE",
        .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        .host = HOST,
        .user_agent = "kfk-test/1.0",
        .time_s = 1700000000, /* 2023-11-14T22:13:20Z */
    };
}

static char *payload_str(const kmsk_params *p)
{
    kbuf b = {0};
    ck_assert_int_eq(kmsk_payload(p, &b), KFK_OK);
    ck_assert_int_eq(kbuf_append(&b, "", 1), 0);
    size_t n;
    return (char *)kbuf_take(&b, &n);
}

/* The member's string value, decoded, or NULL when absent. */
static char *member(const char *json, const char *key)
{
    kjson_value v;
    ck_assert_int_eq(kjson_object_get(json, strlen(json), key, &v), KFK_OK);
    if (v.type == KJSON_NONE) return NULL;
    kbuf b = {0};
    ck_assert_int_eq(kjson_string(&v, &b), KFK_OK);
    ck_assert_int_eq(kbuf_append(&b, "", 1), 0);
    size_t n;
    return (char *)kbuf_take(&b, &n);
}

static void expect_member(const char *json, const char *key, const char *want)
{
    char *got = member(json, key);
    ck_assert_msg(got != NULL, "no member %s in %s", key, json);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(test_payload_fields_for_fixed_inputs)
{
    kmsk_params p = fixed_params();
    char *json = payload_str(&p);
    expect_member(json, "version", "2020_10_22");
    expect_member(json, "host", HOST);
    expect_member(json, "user-agent", "kfk-test/1.0");
    expect_member(json, "action", "kafka-cluster:Connect");
    expect_member(json, "x-amz-algorithm", "AWS4-HMAC-SHA256");
    expect_member(json, "x-amz-credential",
                  "AKIDEXAMPLE/20231114/us-east-1/kafka-cluster/aws4_request");
    expect_member(json, "x-amz-date", "20231114T221320Z");
    expect_member(json, "x-amz-signedheaders", "host");
    expect_member(json, "x-amz-expires", "900");
    expect_member(json, "x-amz-signature",
                  "9e14112d2ca7ed50a108e91bf6de603454f6d4459f05240e27da475e8747b08b");
    ck_assert_ptr_null(member(json, "x-amz-security-token"));
    /* Exactly those ten members, nothing else. */
    ck_assert_str_eq(
        json, "{\"version\":\"2020_10_22\",\"host\":\"" HOST "\",\"user-agent\":\"kfk-test/1.0\","
              "\"action\":\"kafka-cluster:Connect\",\"x-amz-algorithm\":\"AWS4-HMAC-SHA256\","
              "\"x-amz-credential\":\"AKIDEXAMPLE/20231114/us-east-1/kafka-cluster/aws4_request\","
              "\"x-amz-date\":\"20231114T221320Z\",\"x-amz-signedheaders\":\"host\","
              "\"x-amz-expires\":\"900\",\"x-amz-signature\":"
              "\"9e14112d2ca7ed50a108e91bf6de603454f6d4459f05240e27da475e8747b08b\"}");
    free(json);
}
END_TEST

START_TEST(test_session_token_is_sent_and_signed)
{
    kmsk_params p = fixed_params();
    p.session_token = "IQoJb3JpZ2luX2VjE+/token==";
    char *json = payload_str(&p);
    expect_member(json, "x-amz-security-token", "IQoJb3JpZ2luX2VjE+/token==");
    expect_member(json, "x-amz-signature",
                  "8d51f6b8e7b2fc0f2b6c5e5e51a42cfa25664f30abd92d6b227175fac3d7f557");
    free(json);
}
END_TEST

START_TEST(test_explicit_region_and_expiry_win)
{
    kmsk_params p = fixed_params();
    p.region = "eu-west-3";
    p.expires_s = 300;
    char *json = payload_str(&p);
    expect_member(json, "x-amz-credential",
                  "AKIDEXAMPLE/20231114/eu-west-3/kafka-cluster/aws4_request");
    expect_member(json, "x-amz-expires", "300");
    free(json);
}
END_TEST

START_TEST(test_default_user_agent_names_kfk)
{
    kmsk_params p = fixed_params();
    p.user_agent = NULL;
    char *json = payload_str(&p);
    char *ua = member(json, "user-agent");
    ck_assert_str_eq(ua, "kfk/" KFK_VERSION_STR);
    free(ua);
    free(json);
}
END_TEST

START_TEST(test_user_agent_is_json_escaped)
{
    kmsk_params p = fixed_params();
    p.user_agent = "a\"b\\c\nd\x01\xc3\xa9";
    char *json = payload_str(&p);
    ck_assert_ptr_nonnull(strstr(json, "\"user-agent\":\"a\\\"b\\\\c\\nd\\u0001\xc3\xa9\","));
    expect_member(json, "user-agent", "a\"b\\c\nd\x01\xc3\xa9");
    free(json);
}
END_TEST

START_TEST(test_payload_rejects_missing_inputs)
{
    kbuf b = {0};
    kmsk_params p = fixed_params();
    p.access_key = "";
    ck_assert_int_eq(kmsk_payload(&p, &b), KFK_ERR_INVALID_ARG);
    p = fixed_params();
    p.secret_key = NULL;
    ck_assert_int_eq(kmsk_payload(&p, &b), KFK_ERR_INVALID_ARG);
    p = fixed_params();
    p.host = "broker.example.com:9098";
    ck_assert_int_eq(kmsk_payload(&p, &b), KFK_ERR_INVALID_ARG);
    p.host = "broker.example.com"; /* no region in it, none given */
    ck_assert_int_eq(kmsk_payload(&p, &b), KFK_ERR_INVALID_ARG);
    p.region = "us-east-1";
    ck_assert_int_eq(kmsk_payload(&p, &b), KFK_OK);
    ck_assert_uint_gt(b.len, 0);
    kbuf_free(&b);
}
END_TEST

static const struct {
    const char *host, *region;
} region_cases[] = {
    {"b-1.cluster.abc123.c2.kafka.us-east-1.amazonaws.com", "us-east-1"},
    {"boot-xxx.c1.kafka-serverless.eu-west-1.amazonaws.com", "eu-west-1"},
    {"B-2.Cluster.ABC.C3.Kafka.AP-SOUTHEAST-2.AmazonAWS.com", "ap-southeast-2"},
    {"b-1.c.x.c1.kafka.cn-north-1.amazonaws.com.cn", "cn-north-1"},
    {"b-3.c.x.c1.kafka.us-gov-west-1.amazonaws.com", "us-gov-west-1"},
    {"b-1.c.x.c1.kafka.il-central-1.amazonaws.com.", "il-central-1"},
    {"vpce-0a.kafka.eu-central-2.vpce.amazonaws.com", NULL}, /* "vpce" is not a region */
    {"broker.example.com", NULL},
    {"us-east-1.example.com", NULL},
    {"kafka.amazonaws.com", NULL},
    {"b-1.kafka.us-east-x.amazonaws.com", NULL},
    {"b-1.kafka.us--1.amazonaws.com", NULL},
    {"b-1.kafka.us-east-1.amazonawsx.com", NULL},
    {".amazonaws", NULL},
    {"", NULL},
};

START_TEST(test_region_from_host)
{
    char r[KMSK_REGION_MAX];
    kfk_err err = kmsk_region_from_host(region_cases[_i].host, r);
    if (region_cases[_i].region) {
        ck_assert_msg(err == KFK_OK, "%s", region_cases[_i].host);
        ck_assert_str_eq(r, region_cases[_i].region);
    } else {
        ck_assert_msg(err == KFK_ERR_INVALID_ARG, "%s gave %s", region_cases[_i].host, r);
    }
}
END_TEST

START_TEST(test_region_from_overlong_host)
{
    char host[400], r[KMSK_REGION_MAX];
    memset(host, 'a', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    ck_assert_int_eq(kmsk_region_from_host(host, r), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kmsk_region_from_host(NULL, r), KFK_ERR_INVALID_ARG);
}
END_TEST

/* A fake environment: NULL-terminated name/value pairs. */
static const char *fake_getenv(void *arg, const char *name)
{
    for (const char *const *e = arg; *e; e += 2)
        if (strcmp(e[0], name) == 0) return e[1];
    return NULL;
}

START_TEST(test_env_reads_the_standard_variables)
{
    const char *env[] = {"AWS_ACCESS_KEY_ID",
                         " AKID\n",
                         "AWS_SECRET_ACCESS_KEY",
                         "s3cret",
                         "AWS_SESSION_TOKEN",
                         "tok",
                         "AWS_DEFAULT_REGION",
                         "eu-west-1",
                         "AWS_REGION",
                         "us-west-2",
                         NULL};
    kmsk_env e;
    ck_assert_int_eq(kmsk_env_read(fake_getenv, env, &e), KFK_OK);
    ck_assert_str_eq(e.access_key, "AKID");
    ck_assert_str_eq(e.secret_key, "s3cret");
    ck_assert_str_eq(e.session_token, "tok");
    ck_assert_str_eq(e.region, "us-west-2"); /* AWS_REGION before AWS_DEFAULT_REGION */
    kmsk_env_free(&e);
}
END_TEST

START_TEST(test_env_region_falls_back_and_token_is_optional)
{
    const char *env[] = {"AWS_ACCESS_KEY_ID",
                         "AKID",
                         "AWS_SECRET_ACCESS_KEY",
                         "s",
                         "AWS_REGION",
                         "  ",
                         "AWS_DEFAULT_REGION",
                         "eu-west-1",
                         NULL};
    kmsk_env e;
    ck_assert_int_eq(kmsk_env_read(fake_getenv, env, &e), KFK_OK);
    ck_assert_ptr_null(e.session_token);
    ck_assert_str_eq(e.region, "eu-west-1");
    kmsk_env_free(&e);
}
END_TEST

START_TEST(test_env_without_both_keys_is_a_config_error)
{
    const char *only_id[] = {"AWS_ACCESS_KEY_ID", "AKID", NULL};
    const char *blank_secret[] = {"AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "", NULL};
    const char *none[] = {NULL};
    kmsk_env e;
    ck_assert_int_eq(kmsk_env_read(fake_getenv, only_id, &e), KFK_ERR_CONFIG);
    ck_assert_ptr_null(e.access_key);
    ck_assert_int_eq(kmsk_env_read(fake_getenv, blank_secret, &e), KFK_ERR_CONFIG);
    ck_assert_int_eq(kmsk_env_read(fake_getenv, none, &e), KFK_ERR_CONFIG);
}
END_TEST

START_TEST(test_response_gives_request_id)
{
    const char ok[] = "{\"version\":\"2020_10_22\",\"request-id\":\"a1b2-c3\"}";
    char id[64];
    ck_assert_int_eq(kmsk_parse_response(ok, strlen(ok), id, sizeof(id)), KFK_OK);
    ck_assert_str_eq(id, "a1b2-c3");
    char small[4];
    ck_assert_int_eq(kmsk_parse_response(ok, strlen(ok), small, sizeof(small)), KFK_OK);
    ck_assert_str_eq(small, "a1b");
    const char ctl[] = "{\"request-id\":\"x\\ny\",\"version\":\"2020_10_22\"}";
    ck_assert_int_eq(kmsk_parse_response(ctl, strlen(ctl), id, sizeof(id)), KFK_OK);
    ck_assert_str_eq(id, "x?y");
}
END_TEST

START_TEST(test_response_rejects_bad_answers)
{
    static const char *const bad[] = {
        "",
        "{",
        "{\"version\":\"2020_10_22\"}",
        "{\"version\":\"2021_01_01\",\"request-id\":\"x\"}",
        "{\"version\":2020,\"request-id\":\"x\"}",
        "{\"version\":\"2020_10_22\",\"request-id\":7}",
        "[\"version\",\"2020_10_22\"]",
        "{\"version\":\"2020_10_22\",\"request-id\":\"x\"} trailing",
    };
    char id[16];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(kmsk_parse_response(bad[i], strlen(bad[i]), id, sizeof(id)) ==
                          KFK_ERR_MALFORMED,
                      "%s", bad[i]);
}
END_TEST

static Suite *msk_iam_suite(void)
{
    Suite *s = suite_create("sasl_msk_iam");
    TCase *tc = tcase_create("msk_iam");
    tcase_add_test(tc, test_payload_fields_for_fixed_inputs);
    tcase_add_test(tc, test_session_token_is_sent_and_signed);
    tcase_add_test(tc, test_explicit_region_and_expiry_win);
    tcase_add_test(tc, test_default_user_agent_names_kfk);
    tcase_add_test(tc, test_user_agent_is_json_escaped);
    tcase_add_test(tc, test_payload_rejects_missing_inputs);
    tcase_add_loop_test(tc, test_region_from_host, 0,
                        sizeof(region_cases) / sizeof(region_cases[0]));
    tcase_add_test(tc, test_region_from_overlong_host);
    tcase_add_test(tc, test_env_reads_the_standard_variables);
    tcase_add_test(tc, test_env_region_falls_back_and_token_is_optional);
    tcase_add_test(tc, test_env_without_both_keys_is_a_config_error);
    tcase_add_test(tc, test_response_gives_request_id);
    tcase_add_test(tc, test_response_rejects_bad_answers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(msk_iam_suite());
}
