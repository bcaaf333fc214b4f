/* AWS Signature Version 4 against AWS's published test suite
 * (tests/data/sigv4, see the README there): each NAME.req is parsed, signed
 * with the suite's credentials, and the canonical request, string to sign
 * and Authorization value are compared byte for byte with NAME.creq,
 * NAME.sts and NAME.authz. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "sasl/sigv4.h"

#define DIR "tests/data/sigv4/"
#define MAX_ITEMS 32

static const ksigv4_creds suite_creds = {
    .access_key = "AKIDEXAMPLE",
    .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
/* 2015-08-30T12:36:00Z */
static const ksigv4_scope suite_scope = {"us-east-1", "service", 1440938160};

/* A .req file taken apart: the request line, headers (a folded line is one
 * more value of the header above it), and the body after a blank line. */
typedef struct parsed_req {
    char *text;
    char *path;
    ksigv4_param query[MAX_ITEMS];
    ksigv4_header headers[MAX_ITEMS];
    ksigv4_request req;
} parsed_req;

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static void percent_decode(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (s[0] == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
            *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

static void parse_query(parsed_req *p, char *q)
{
    while (q && *q) {
        char *amp = strchr(q, '&');
        if (amp) *amp = '\0';
        char *eq = strchr(q, '=');
        if (eq) *eq = '\0';
        percent_decode(q);
        if (eq) percent_decode(eq + 1);
        ck_assert_uint_lt(p->req.query_count, MAX_ITEMS);
        p->query[p->req.query_count++] = (ksigv4_param){q, eq ? eq + 1 : ""};
        q = amp ? amp + 1 : NULL;
    }
}

static void parse_req(parsed_req *p, const char *path)
{
    memset(p, 0, sizeof(*p));
    p->text = ktest_read_file(path, NULL);
    ck_assert_msg(p->text != NULL, "cannot read %s", path);
    char *line = p->text, *next = strchr(line, '\n');
    if (next) *next++ = '\0';
    /* "METHOD target HTTP/1.1"; the target may hold spaces. */
    char *sp1 = strchr(line, ' '), *sp2 = strrchr(line, ' ');
    ck_assert(sp1 && sp2 && sp2 > sp1);
    *sp1 = *sp2 = '\0';
    p->req.method = line;
    char *target = sp1 + 1, *qm = strchr(target, '?');
    if (qm) *qm = '\0';
    p->req.path = target;
    parse_query(p, qm ? qm + 1 : NULL);
    p->req.query = p->query;
    while ((line = next) != NULL) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (*line == '\0') break;
        ck_assert_uint_lt(p->req.header_count, MAX_ITEMS);
        if (*line == ' ' || *line == '\t') {
            ck_assert_uint_gt(p->req.header_count, 0);
            const char *name = p->headers[p->req.header_count - 1].name;
            p->headers[p->req.header_count++] = (ksigv4_header){name, line};
            continue;
        }
        char *colon = strchr(line, ':');
        ck_assert(colon);
        *colon = '\0';
        p->headers[p->req.header_count++] = (ksigv4_header){line, colon + 1};
    }
    p->req.headers = p->headers;
    if (line) {
        p->req.payload = next ? next : "";
        p->req.payload_len = next ? strlen(next) : 0;
    }
}

static void expect_file(const char *dir, const char *name, const char *ext, const char *got)
{
    char path[512];
    snprintf(path, sizeof(path), DIR "%s%s/%s.%s", dir, name, name, ext);
    char *want = ktest_read_file(path, NULL);
    ck_assert_msg(want != NULL, "cannot read %s", path);
    ck_assert_msg(strcmp(want, got) == 0, "%s: want\n%s\ngot\n%s", path, want, got);
    free(want);
}

/* Signs DIR/dir/name/name.req and checks the three outputs. */
static void check_case(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), DIR "%s%s/%s.req", dir, name, name);
    parsed_req p;
    parse_req(&p, path);
    ksigv4_signed s;
    ck_assert_int_eq(ksigv4_sign_header(&p.req, &suite_creds, &suite_scope, &s), KFK_OK);
    expect_file(dir, name, "creq", s.canonical_request);
    expect_file(dir, name, "sts", s.string_to_sign);
    expect_file(dir, name, "authz", s.authorization);
    ck_assert_ptr_null(s.query);
    ksigv4_signed_free(&s);
    free(p.text);
}

static const char *const top_cases[] = {
    "get-header-key-duplicate",
    "get-header-value-multiline",
    "get-header-value-order",
    "get-header-value-trim",
    "get-unreserved",
    "get-utf8",
    "get-vanilla",
    "get-vanilla-empty-query-key",
    "get-vanilla-query",
    "get-vanilla-query-order-key",
    "get-vanilla-query-order-key-case",
    "get-vanilla-query-order-value",
    "get-vanilla-query-unreserved",
    "get-vanilla-utf8-query",
    "post-header-key-case",
    "post-header-key-sort",
    "post-header-value-case",
    "post-vanilla",
    "post-vanilla-empty-query-value",
    "post-vanilla-query",
    "post-x-www-form-urlencoded",
    "post-x-www-form-urlencoded-parameters",
};

static const char *const normalize_cases[] = {
    "get-relative",        "get-relative-relative",   "get-slash",
    "get-slash-dot-slash", "get-slash-pointless-dot", "get-slashes",
    "get-space",
};

static const char *const sts_cases[] = {"post-sts-header-after", "post-sts-header-before"};

START_TEST(test_suite_requests)
{
    check_case("", top_cases[_i]);
}
END_TEST

START_TEST(test_suite_normalize_path)
{
    check_case("normalize-path/", normalize_cases[_i]);
}
END_TEST

/* post-sts-header-before signs X-Amz-Security-Token as a header (it is in
 * the .req); post-sts-header-after adds it after signing, so the signature
 * is that of the plain request. */
START_TEST(test_suite_session_token)
{
    check_case("post-sts-token/", sts_cases[_i]);
}
END_TEST

/* AWS's S3 documentation example of a presigned URL ("Authenticating
 * Requests: Using Query Parameters"): GET /test.txt on examplebucket,
 * 2013-05-24T00:00:00Z, valid 86400 s, UNSIGNED-PAYLOAD. */
START_TEST(test_presign_matches_aws_s3_example)
{
    ksigv4_header host = {"Host", "examplebucket.s3.amazonaws.com"};
    ksigv4_request req = {.method = "GET",
                          .path = "/test.txt",
                          .raw_path = true,
                          .headers = &host,
                          .header_count = 1,
                          .payload_hash = "UNSIGNED-PAYLOAD"};
    ksigv4_creds creds = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL};
    ksigv4_scope scope = {"us-east-1", "s3", 1369353600};
    ksigv4_signed s;
    ck_assert_int_eq(ksigv4_presign(&req, &creds, &scope, 86400, &s), KFK_OK);
    ck_assert_str_eq(s.canonical_request,
                     "GET\n/test.txt\n"
                     "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F"
                     "20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&"
                     "X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
                     "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
    ck_assert_str_eq(s.string_to_sign, "AWS4-HMAC-SHA256\n20130524T000000Z\n"
                                       "20130524/us-east-1/s3/aws4_request\n"
                                       "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf"
                                       "58ad04");
    ck_assert_str_eq(s.signature,
                     "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    ck_assert_str_eq(s.query, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                              "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&"
                              "X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
                              "X-Amz-SignedHeaders=host&X-Amz-Signature="
                              "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    ck_assert_str_eq(s.credential, "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request");
    ck_assert_str_eq(s.signed_headers, "host");
    ck_assert_ptr_null(s.authorization);
    ksigv4_signed_free(&s);
}
END_TEST

/* With a session token the presigned query carries X-Amz-Security-Token
 * inside the signed canonical query, sorted with the others. */
START_TEST(test_presign_signs_the_session_token)
{
    ksigv4_header host = {"host", "example.com"};
    ksigv4_param action = {"Action", "a:b"};
    ksigv4_request req = {.method = "GET",
                          .path = "/",
                          .query = &action,
                          .query_count = 1,
                          .headers = &host,
                          .header_count = 1};
    ksigv4_creds creds = {"AKID", "secret", "to+k/en="};
    ksigv4_scope scope = {"eu-west-1", "svc", 0};
    ksigv4_signed s;
    ck_assert_int_eq(ksigv4_presign(&req, &creds, &scope, 900, &s), KFK_OK);
    ck_assert_str_eq(s.canonical_request,
                     "GET\n/\nAction=a%3Ab&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                     "AKID%2F19700101%2Feu-west-1%2Fsvc%2Faws4_request&X-Amz-Date=19700101T000000Z&"
                     "X-Amz-Expires=900&X-Amz-Security-Token=to%2Bk%2Fen%3D&"
                     "X-Amz-SignedHeaders=host\nhost:example.com\n\nhost\n" KSIGV4_EMPTY_SHA256);
    size_t n = strlen(s.query);
    ck_assert_uint_gt(n, 64);
    ck_assert_str_eq(s.query + n - 64, s.signature);
    ksigv4_signed_free(&s);
}
END_TEST

START_TEST(test_amz_date_across_eras)
{
    char d[17];
    ck_assert_int_eq(ksigv4_amz_date(0, d), KFK_OK);
    ck_assert_str_eq(d, "19700101T000000Z");
    ck_assert_int_eq(ksigv4_amz_date(951782400, d), KFK_OK); /* leap day of a /400 year */
    ck_assert_str_eq(d, "20000229T000000Z");
    ck_assert_int_eq(ksigv4_amz_date(4107542399LL, d), KFK_OK);
    ck_assert_str_eq(d, "21000228T235959Z");
    ck_assert_int_eq(ksigv4_amz_date(-1, d), KFK_OK);
    ck_assert_str_eq(d, "19691231T235959Z");
    ck_assert_int_eq(ksigv4_amz_date(253402300799LL, d), KFK_OK);
    ck_assert_str_eq(d, "99991231T235959Z");
    ck_assert_int_eq(ksigv4_amz_date(253402300800LL, d), KFK_ERR_INVALID_ARG);
}
END_TEST

/* The AWS documentation's key derivation example (secret
 * wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam). */
START_TEST(test_signing_key_matches_aws_example)
{
    uint8_t key[32];
    ck_assert_int_eq(ksigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                        "us-east-1", "iam", key),
                     KFK_OK);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    ck_assert_str_eq(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}
END_TEST

START_TEST(test_bad_input_is_rejected)
{
    ksigv4_header host = {"host", "h"}, bad = {"ho:st", "h"};
    ksigv4_request req = {.method = "GET", .path = "/", .headers = &host, .header_count = 1};
    ksigv4_creds creds = {"AKID", "secret", NULL};
    ksigv4_scope scope = {"us-east-1", "svc", 0};
    ksigv4_signed s;
    ck_assert_int_eq(ksigv4_presign(&req, &creds, &scope, 0, &s), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(ksigv4_presign(&req, &creds, &scope, 604801, &s), KFK_ERR_INVALID_ARG);
    ksigv4_scope slash = {"us/east", "svc", 0};
    ck_assert_int_eq(ksigv4_sign_header(&req, &creds, &slash, &s), KFK_ERR_INVALID_ARG);
    ksigv4_creds nokey = {"", "secret", NULL};
    ck_assert_int_eq(ksigv4_sign_header(&req, &nokey, &scope, &s), KFK_ERR_INVALID_ARG);
    req.headers = &bad;
    ck_assert_int_eq(ksigv4_sign_header(&req, &creds, &scope, &s), KFK_ERR_INVALID_ARG);
    req.header_count = 0;
    ck_assert_int_eq(ksigv4_sign_header(&req, &creds, &scope, &s), KFK_ERR_INVALID_ARG);
    ksigv4_param amz = {"X-Amz-Date", "x"};
    req.headers = &host;
    req.header_count = 1;
    req.query = &amz;
    req.query_count = 1;
    ck_assert_int_eq(ksigv4_presign(&req, &creds, &scope, 60, &s), KFK_ERR_INVALID_ARG);
}
END_TEST

static Suite *sigv4_suite(void)
{
    Suite *s = suite_create("sasl_sigv4");
    TCase *tc = tcase_create("sigv4");
    tcase_add_loop_test(tc, test_suite_requests, 0, sizeof(top_cases) / sizeof(top_cases[0]));
    tcase_add_loop_test(tc, test_suite_normalize_path, 0,
                        sizeof(normalize_cases) / sizeof(normalize_cases[0]));
    tcase_add_loop_test(tc, test_suite_session_token, 0, sizeof(sts_cases) / sizeof(sts_cases[0]));
    tcase_add_test(tc, test_presign_matches_aws_s3_example);
    tcase_add_test(tc, test_presign_signs_the_session_token);
    tcase_add_test(tc, test_amz_date_across_eras);
    tcase_add_test(tc, test_signing_key_matches_aws_example);
    tcase_add_test(tc, test_bad_input_is_rejected);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(sigv4_suite());
}
