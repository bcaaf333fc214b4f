/* kfk's SASL mechanisms as lib/net drives them, through the
 * kfk_sasl_mechanism interface: the bytes each sends, when each is done,
 * and what each refuses. (The SCRAM, OAUTHBEARER and AWS_MSK_IAM message
 * formats have suites of their own.) */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ktest.h"
#include "sasl/ksasl.h"

static ksasl *sasl_for(const char *mech, const char *const *kv)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512] = "";
    ck_assert_int_eq(kfk_conf_set(conf, "sasl.mechanism", mech, err, sizeof(err)), KFK_OK);
    for (; kv && kv[0]; kv += 2)
        ck_assert_msg(kfk_conf_set(conf, kv[0], kv[1], err, sizeof(err)) == KFK_OK, "%s", err);
    ksasl *s = ksasl_new(conf, err, sizeof(err));
    ck_assert_msg(s != NULL, "%s", err);
    kfk_conf_destroy(conf);
    return s;
}

typedef struct run {
    const kfk_sasl_mechanism *m;
    void *state;
    const unsigned char *out; /* the mechanism's until its next step or end */
    size_t out_len;
    bool done;
    char why[256];
} run;

static kfk_err step(run *r, const char *in, size_t in_len)
{
    r->out = NULL;
    r->out_len = 0;
    return r->m->step(r->m->opaque, r->state, (const unsigned char *)in, in_len, &r->out,
                      &r->out_len, &r->done, r->why, sizeof(r->why));
}

static void begin(run *r, ksasl *s, const char *host)
{
    *r = (run){.m = ksasl_mechanism(s)};
    ck_assert_int_eq(r->m->start(r->m->opaque, host, &r->state, r->why, sizeof(r->why)), KFK_OK);
}

static void end(run *r)
{
    r->m->end(r->m->opaque, r->state);
}

START_TEST(test_plain_sends_the_credentials_once)
{
    ksasl *s = sasl_for(
        "plain", (const char *const[]){"sasl.username", "alice", "sasl.password", "secret", NULL});
    ck_assert_str_eq(ksasl_mechanism(s)->name, "PLAIN");
    run r;
    begin(&r, s, "broker");
    ck_assert_int_eq(step(&r, NULL, 0), KFK_OK);
    ck_assert(!r.done);
    ck_assert_uint_eq(r.out_len, 13);
    ck_assert(memcmp(r.out, "\0alice\0secret", 13) == 0);
    ck_assert_int_eq(step(&r, "", 0), KFK_OK);
    ck_assert(r.done);
    end(&r);
    ksasl_free(s);
}
END_TEST

START_TEST(test_oauthbearer_sends_an_unsecured_token_and_reads_a_refusal)
{
    ksasl *s = sasl_for("OAUTHBEARER",
                        (const char *const[]){"sasl.jaas.config",
                                              "org.apache.kafka.common.security.oauthbearer."
                                              "OAuthBearerLoginModule required "
                                              "unsecuredLoginStringClaim_sub=\"alice\" "
                                              "unsecuredLoginExtension_traceId=\"t1\";",
                                              NULL});
    run r;
    begin(&r, s, "broker");
    ck_assert_int_eq(step(&r, NULL, 0), KFK_OK);
    ck_assert(!r.done);
    char *msg = strndup((const char *)r.out, r.out_len);
    ck_assert_msg(strncmp(msg, "n,,\001auth=Bearer eyJhbGciOiJub25lIn0.", 35) == 0, "%s", msg);
    ck_assert_msg(strstr(msg, ".\001traceId=t1\001\001") != NULL, "%s", msg);
    free(msg);
    const char *refusal = "{\"status\":\"invalid_token\"}";
    ck_assert_int_eq(step(&r, refusal, strlen(refusal)), KFK_ERR_AUTH);
    ck_assert_msg(strstr(r.why, "the broker refused the token: ") && strstr(r.why, "invalid_token"),
                  "%s", r.why);
    end(&r);
    /* An empty answer: the broker took the token. */
    begin(&r, s, "broker");
    ck_assert_int_eq(step(&r, NULL, 0), KFK_OK);
    ck_assert_int_eq(step(&r, "", 0), KFK_OK);
    ck_assert(r.done);
    end(&r);
    ksasl_free(s);
}
END_TEST

START_TEST(test_aws_msk_iam_signs_for_the_brokers_host)
{
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    ksasl *s = sasl_for("AWS_MSK_IAM", NULL);
    run r;
    begin(&r, s, "b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com");
    ck_assert_int_eq(step(&r, NULL, 0), KFK_OK);
    char *msg = strndup((const char *)r.out, r.out_len);
    ck_assert_msg(strstr(msg, "\"host\":\"b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com\""),
                  "%s", msg);
    ck_assert_msg(strstr(msg, "\"x-amz-credential\":\"AKIDEXAMPLE/") &&
                      strstr(msg, "/eu-west-1/kafka-cluster/aws4_request\""),
                  "%s", msg);
    ck_assert_msg(!strstr(msg, "wJalrXUtnFEMI"), "the secret key went out: %s", msg);
    free(msg);
    const char *answer = "{\"version\":\"2020_10_22\",\"request-id\":\"abc\"}";
    ck_assert_int_eq(step(&r, answer, strlen(answer)), KFK_OK);
    ck_assert(r.done);
    end(&r);

    /* No region in the environment or the host name. */
    begin(&r, s, "127.0.0.1");
    ck_assert_int_eq(step(&r, NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(r.why,
                     "no AWS region: set AWS_REGION, or connect by the broker's MSK host name");
    end(&r);
    ksasl_free(s);

    unsetenv("AWS_SECRET_ACCESS_KEY");
    kfk_conf *conf = kfk_conf_new();
    kfk_conf_set(conf, "sasl.mechanism", "AWS_MSK_IAM", NULL, 0);
    char err[256] = "";
    ck_assert_ptr_null(ksasl_new(conf, err, sizeof(err)));
    ck_assert_msg(strstr(err, "sasl.mechanism=AWS_MSK_IAM needs AWS credentials"), "%s", err);
    kfk_conf_destroy(conf);
}
END_TEST

static Suite *sasl_mechanisms_suite(void)
{
    Suite *s = suite_create("sasl_mechanisms");
    TCase *tc = tcase_create("builtin");
    tcase_add_test(tc, test_plain_sends_the_credentials_once);
    tcase_add_test(tc, test_oauthbearer_sends_an_unsecured_token_and_reads_a_refusal);
    tcase_add_test(tc, test_aws_msk_iam_signs_for_the_brokers_host);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(sasl_mechanisms_suite());
}
