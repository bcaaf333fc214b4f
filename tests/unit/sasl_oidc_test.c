/* The client_credentials messages: the form body and Basic header (values
 * worked out by hand and with Python's base64), and the endpoint's
 * answers, good, refused and malformed, with tokens checked as Java's
 * login checks them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "sasl/oidc.h"

#define NOW_MS 1700000000000LL

/* base64url of {"alg":"none"} */
#define HDR "eyJhbGciOiJub25lIn0"

static const koidc_claim_names names = {"sub", "scope"};

/* An unsigned JWT with claims json, made here so the test reads plainly. */
static char *jwt(const char *claims)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(claims);
    char *out = malloc(strlen(HDR) + 2 + n * 2 + 8);
    char *o = out + sprintf(out, HDR ".");
    const unsigned char *p = (const unsigned char *)claims;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        *o++ = tbl[v >> 18 & 63];
        *o++ = tbl[v >> 12 & 63];
        if (i + 1 < n) *o++ = tbl[v >> 6 & 63];
        if (i + 2 < n) *o++ = tbl[v & 63];
    }
    strcpy(o, ".c2ln");
    return out;
}

START_TEST(test_form_body_encodes_scope)
{
    kbuf b = {0};
    ck_assert_int_eq(koidc_form_body(NULL, &b), KFK_OK);
    ck_assert_int_eq(kbuf_append(&b, "", 1), 0);
    ck_assert_str_eq((char *)b.data, "grant_type=client_credentials");
    kbuf_reset(&b);
    ck_assert_int_eq(koidc_form_body("kafka read&write=ü", &b), KFK_OK);
    ck_assert_int_eq(kbuf_append(&b, "", 1), 0);
    ck_assert_str_eq((char *)b.data,
                     "grant_type=client_credentials&scope=kafka+read%26write%3D%C3%BC");
    kbuf_free(&b);
}
END_TEST

START_TEST(test_basic_auth_plain_and_urlencoded)
{
    kbuf b = {0};
    ck_assert_int_eq(koidc_basic_auth("kfk-client", "s3cr:t", false, &b), KFK_OK);
    /* base64("kfk-client:s3cr:t") */
    ck_assert_str_eq((char *)b.data, "Basic a2ZrLWNsaWVudDpzM2NyOnQ=");
    kbuf_free(&b);
    ck_assert_int_eq(koidc_basic_auth("a b", "c:d", true, &b), KFK_OK);
    /* base64("a+b:c%3Ad") */
    ck_assert_str_eq((char *)b.data, "Basic YStiOmMlM0Fk");
    kbuf_free(&b);
}
END_TEST

static kfk_err answer(int status, const char *body, koidc_token *t, char *why, size_t n)
{
    return koidc_read_answer(status, status == 200 ? "OK" : "Unauthorized", body, strlen(body),
                             &names, NOW_MS, t, why, n);
}

START_TEST(test_good_answer_takes_the_sooner_expiry)
{
    char *tok = jwt("{\"sub\":\"svc\",\"exp\":1700003600,\"iat\":1700000000,\"scope\":[\"a\"]}");
    char body[1024], why[256] = "";
    koidc_token t;
    snprintf(body, sizeof(body), "{\"access_token\":\"%s\",\"token_type\":\"Bearer\"}", tok);
    ck_assert_int_eq(answer(200, body, &t, why, sizeof(why)), KFK_OK);
    ck_assert_str_eq(t.token, tok);
    ck_assert_str_eq(t.principal, "svc");
    ck_assert_int_eq(t.expiry_ms, 1700003600000LL);
    koidc_token_free(&t);
    snprintf(body, sizeof(body), "{\"access_token\":\"%s\",\"expires_in\":5}", tok);
    ck_assert_int_eq(answer(200, body, &t, why, sizeof(why)), KFK_OK);
    ck_assert_int_eq(t.expiry_ms, NOW_MS + 5000);
    koidc_token_free(&t);
    snprintf(body, sizeof(body), "{\"access_token\":\"%s\",\"expires_in\":\"7\"}", tok);
    ck_assert_int_eq(answer(200, body, &t, why, sizeof(why)), KFK_OK);
    ck_assert_int_eq(t.expiry_ms, NOW_MS + 7000);
    koidc_token_free(&t);
    /* A lifetime of 0 (or less) says nothing usable: the exp claim rules. */
    snprintf(body, sizeof(body), "{\"access_token\":\"%s\",\"expires_in\":0}", tok);
    ck_assert_int_eq(answer(200, body, &t, why, sizeof(why)), KFK_OK);
    ck_assert_int_eq(t.expiry_ms, 1700003600000LL);
    koidc_token_free(&t);
    snprintf(body, sizeof(body), "{\"access_token\":\"%s\",\"expires_in\":-3}", tok);
    ck_assert_int_eq(answer(200, body, &t, why, sizeof(why)), KFK_OK);
    ck_assert_int_eq(t.expiry_ms, 1700003600000LL);
    koidc_token_free(&t);
    free(tok);
}
END_TEST

START_TEST(test_refusals_quote_the_endpoint_and_say_whether_to_retry)
{
    koidc_token t;
    char why[256];
    ck_assert_int_eq(answer(401,
                            "{\"error\":\"invalid_client\",\"error_description\":\"Bad\\u0007 "
                            "secret\"}",
                            &t, why, sizeof(why)),
                     KFK_ERR_AUTH);
    ck_assert_str_eq(why, "the token endpoint answered HTTP 401 Unauthorized: invalid_client "
                          "(Bad? secret)");
    ck_assert(t.token == NULL);
    ck_assert_int_eq(answer(400, "not json", &t, why, sizeof(why)), KFK_ERR_AUTH);
    ck_assert_int_eq(answer(503, "", &t, why, sizeof(why)), KFK_ERR_TRANSPORT);
    ck_assert_int_eq(answer(429, "", &t, why, sizeof(why)), KFK_ERR_TRANSPORT);
    ck_assert_int_eq(answer(501, "", &t, why, sizeof(why)), KFK_ERR_AUTH);
}
END_TEST

START_TEST(test_malformed_answers_and_tokens)
{
    static const char *claims[] = {
        "{\"exp\":1700003600}",                            /* no sub */
        "{\"sub\":\"  \",\"exp\":1700003600}",             /* blank sub */
        "{\"sub\":\"s\"}",                                 /* no exp */
        "{\"sub\":\"s\",\"exp\":\"1700003600\"}",          /* exp a string */
        "{\"sub\":\"s\",\"exp\":1600000000}",              /* expired */
        "{\"sub\":\"s\",\"exp\":1700003600,\"scope\":1}",  /* scope a number */
        "{\"sub\":\"s\",\"exp\":1700003600,\"iat\":true}", /* iat not a number */
        "[1]",                                             /* not an object */
    };
    char body[1024], why[256];
    koidc_token t;
    for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
        char *tok = jwt(claims[i]);
        snprintf(body, sizeof(body), "{\"access_token\":\"%s\"}", tok);
        ck_assert_msg(answer(200, body, &t, why, sizeof(why)) == KFK_ERR_MALFORMED, "%s",
                      claims[i]);
        ck_assert(strstr(why, tok) == NULL);
        free(tok);
    }
    static const char *bodies[] = {"",
                                   "{",
                                   "{\"access_token\":1}",
                                   "{\"access_token\":\"\"}",
                                   "{\"access_token\":\"abc\"}",
                                   "[\"access_token\"]",
                                   "{\"access_token\":\"a.b.c\"}"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        ck_assert_msg(answer(200, bodies[i], &t, why, sizeof(why)) == KFK_ERR_MALFORMED, "%s",
                      bodies[i]);
}
END_TEST

START_TEST(test_custom_claim_names)
{
    koidc_claim_names custom = {"client_id", "scp"};
    char *tok = jwt("{\"client_id\":\"app\",\"exp\":1700003600,\"scope\":7,\"scp\":\"x y\"}");
    koidc_token t;
    char why[256];
    ck_assert_int_eq(koidc_check_token(tok, strlen(tok), &custom, NOW_MS, &t, why, sizeof(why)),
                     KFK_OK);
    ck_assert_str_eq(t.principal, "app");
    koidc_token_free(&t);
    ck_assert_int_eq(koidc_check_token(tok, strlen(tok), &names, NOW_MS, &t, why, sizeof(why)),
                     KFK_ERR_MALFORMED);
    ck_assert(strstr(why, "\"sub\"") != NULL);
    free(tok);
}
END_TEST

static Suite *oidc_suite(void)
{
    Suite *s = suite_create("sasl_oidc");
    TCase *tc = tcase_create("oidc");
    tcase_add_test(tc, test_form_body_encodes_scope);
    tcase_add_test(tc, test_basic_auth_plain_and_urlencoded);
    tcase_add_test(tc, test_good_answer_takes_the_sooner_expiry);
    tcase_add_test(tc, test_refusals_quote_the_endpoint_and_say_whether_to_retry);
    tcase_add_test(tc, test_malformed_answers_and_tokens);
    tcase_add_test(tc, test_custom_claim_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(oidc_suite());
}
