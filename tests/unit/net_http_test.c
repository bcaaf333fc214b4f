/* The token endpoint's HTTP: URL splitting, and the response parser on
 * well-formed answers (Content-Length, chunked, to the close, split at
 * every byte) and on the ambiguous or oversized ones it must refuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "net/http.h"

static int parse(const char *s, bool eof, khttp_response *r)
{
    char why[160];
    return khttp_parse_response(s, strlen(s), eof, r, why, sizeof(why));
}

START_TEST(test_url_parts_and_defaults)
{
    khttp_url u;
    char why[160];
    ck_assert_int_eq(khttp_url_parse("https://idp.example/oauth2/token?x=1", &u, why, 160), 0);
    ck_assert(u.tls);
    ck_assert_str_eq(u.host, "idp.example");
    ck_assert_int_eq(u.port, 443);
    ck_assert_str_eq(u.target, "/oauth2/token?x=1");
    ck_assert_int_eq(khttp_url_parse("http://[::1]:8080", &u, why, 160), 0);
    ck_assert(!u.tls);
    ck_assert_str_eq(u.host, "::1");
    ck_assert_int_eq(u.port, 8080);
    ck_assert_str_eq(u.target, "/");
    ck_assert_int_eq(khttp_url_parse("HTTP://h:80?q", &u, why, 160), 0);
    ck_assert_str_eq(u.target, "/?q");
}
END_TEST

START_TEST(test_url_refusals)
{
    static const char *bad[] = {
        "ftp://h/",      "https://user:pw@h/", "https://h:0/",  "https://h:65536/",
        "https://h:x/",  "https:///path",      "https://h/a b", "https://h/#frag",
        "https://[::1/", "https://[::1]x/",    "https://h:/",   "h/token",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        khttp_url u;
        char why[160] = "";
        ck_assert_msg(khttp_url_parse(bad[i], &u, why, sizeof(why)) == KFK_ERR_CONFIG, "%s",
                      bad[i]);
        ck_assert(strstr(why, "sasl.oauthbearer.token.endpoint.url") != NULL);
        ck_assert(strstr(why, "pw") == NULL);
    }
}
END_TEST

START_TEST(test_content_length_answer_at_every_split)
{
    static const char a[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "content-length: 11\r\n\r\n{\"a\":\"bc\"}\nTRAILING";
    size_t full = strlen(a) - strlen("TRAILING");
    for (size_t k = 0; k < full; k++) {
        khttp_response r;
        char why[160];
        ck_assert_int_eq(khttp_parse_response(a, k, false, &r, why, sizeof(why)), KHTTP_MORE);
        ck_assert_int_eq(khttp_parse_response(a, k, true, &r, why, sizeof(why)), KHTTP_BAD);
    }
    khttp_response r;
    ck_assert_int_eq(parse(a, false, &r), KHTTP_DONE);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.reason, "OK");
    ck_assert_uint_eq(r.body.len, 11);
    ck_assert_str_eq((char *)r.body.data, "{\"a\":\"bc\"}\n");
    khttp_response_free(&r);
}
END_TEST

START_TEST(test_chunked_answer_with_extensions_and_trailers)
{
    static const char a[] = "HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: Chunked\r\n\r\n"
                            "4;ext=1\r\n{\"er\r\nA\r\nror\":\"x\"}\n\r\n0\r\nX-Trailer: y\r\n\r\n";
    khttp_response r;
    ck_assert_int_eq(parse(a, false, &r), KHTTP_DONE);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(r.reason, "Unauthorized");
    ck_assert_str_eq((char *)r.body.data, "{\"error\":\"x\"}\n");
    khttp_response_free(&r);
    char cut[sizeof(a)];
    memcpy(cut, a, sizeof(a) - 3);
    cut[sizeof(a) - 3] = '\0';
    ck_assert_int_eq(parse(cut, false, &r), KHTTP_MORE);
}
END_TEST

START_TEST(test_body_to_the_close_and_empty_statuses)
{
    khttp_response r;
    ck_assert_int_eq(parse("HTTP/1.0 500 Oops\r\n\r\nsome text", false, &r), KHTTP_MORE);
    ck_assert_int_eq(parse("HTTP/1.0 500 Oops\r\n\r\nsome text", true, &r), KHTTP_DONE);
    ck_assert_str_eq((char *)r.body.data, "some text");
    khttp_response_free(&r);
    ck_assert_int_eq(parse("HTTP/1.1 204 No Content\r\n\r\n", false, &r), KHTTP_DONE);
    ck_assert_uint_eq(r.body.len, 0);
    khttp_response_free(&r);
    ck_assert_int_eq(parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, &r), KHTTP_DONE);
    ck_assert_str_eq(r.reason, "");
    khttp_response_free(&r);
}
END_TEST

START_TEST(test_ambiguous_and_hostile_answers_refused)
{
    static const char *bad[] = {
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        khttp_response r;
        ck_assert_msg(parse(bad[i], false, &r) == KHTTP_BAD, "%zu", i);
    }
}
END_TEST

START_TEST(test_size_caps)
{
    size_t n = KHTTP_MAX_HEADER_BYTES + 100;
    char *a = malloc(n + 1);
    int h = sprintf(a, "HTTP/1.1 200 OK\r\nX: ");
    memset(a + h, 'a', n - (size_t)h);
    a[n] = '\0';
    khttp_response r;
    ck_assert_int_eq(parse(a, false, &r), KHTTP_BAD);
    free(a);
    n = KHTTP_MAX_RESPONSE_BYTES + 100;
    a = malloc(n + 1);
    h = sprintf(a, "HTTP/1.1 200 OK\r\n\r\n");
    memset(a + h, 'b', n - (size_t)h);
    a[n] = '\0';
    ck_assert_int_eq(parse(a, false, &r), KHTTP_BAD);
    free(a);
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("net_http");
    TCase *tc = tcase_create("http");
    tcase_add_test(tc, test_url_parts_and_defaults);
    tcase_add_test(tc, test_url_refusals);
    tcase_add_test(tc, test_content_length_answer_at_every_split);
    tcase_add_test(tc, test_chunked_answer_with_extensions_and_trailers);
    tcase_add_test(tc, test_body_to_the_close_and_empty_statuses);
    tcase_add_test(tc, test_ambiguous_and_hostile_answers_refused);
    tcase_add_test(tc, test_size_caps);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(http_suite());
}
