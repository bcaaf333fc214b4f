/* OAUTHBEARER: the client's initial message and its extension rules, the
 * broker's error answer, the JWT claim reader (with hostile tokens) and the
 * unsecured token builder, whose expected tokens were made with Python's
 * base64 module from the claims JSON written out by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/conf.h"
#include "sasl/json.h"
#include "sasl/oauthbearer.h"

/* --- the client's initial message ------------------------------------------ */

static void expect_first(const char *token, const koauth_ext *ext, size_t n, const char *want,
                         size_t want_len)
{
    kbuf b = {0};
    ck_assert_int_eq(koauth_client_first(token, ext, n, &b), KFK_OK);
    ck_assert_uint_eq(b.len, want_len);
    ck_assert(memcmp(b.data, want, want_len) == 0);
    kbuf_free(&b);
}

START_TEST(test_client_first_without_extensions)
{
    static const char want[] = "n,,\x01"
                               "auth=Bearer eyJ.eyJ.\x01\x01";
    expect_first("eyJ.eyJ.", NULL, 0, want, sizeof(want) - 1);
}
END_TEST

START_TEST(test_client_first_with_extensions_in_order)
{
    koauth_ext ext[] = {{"traceId", "123"}, {"logicalCluster", "lkc-1 x\t"}};
    static const char want[] = "n,,\x01"
                               "auth=Bearer tok-_.~+/==\x01"
                               "traceId=123\x01"
                               "logicalCluster=lkc-1 x\t\x01\x01";
    expect_first("tok-_.~+/==", ext, 2, want, sizeof(want) - 1);
}
END_TEST

START_TEST(test_client_first_rejects_bad_tokens_and_extensions)
{
    kbuf b = {0};
    ck_assert_int_eq(kbuf_append(&b, "x", 1), 0);
    static const char *const bad_tokens[] = {"", "a b", "a\x01", "=abc", "ab=c", "a,b"};
    for (size_t i = 0; i < sizeof(bad_tokens) / sizeof(bad_tokens[0]); i++)
        ck_assert_int_eq(koauth_client_first(bad_tokens[i], NULL, 0, &b), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(koauth_client_first(NULL, NULL, 0, &b), KFK_ERR_INVALID_ARG);
    static const koauth_ext bad_ext[][2] = {
        {{"auth", "x"}, {"k", "v"}},     {{"a1", "x"}, {"k", "v"}},    {{"", "x"}, {"k", "v"}},
        {{"k", ""}, {"j", "v"}},         {{"k", "a\x01"}, {"j", "v"}}, {{"k", "\x7f"}, {"j", "v"}},
        {{"k", "\xc3\xa9"}, {"j", "v"}}, {{"k", "v"}, {"k", "w"}},     {{"k", NULL}, {"j", "v"}},
    };
    for (size_t i = 0; i < sizeof(bad_ext) / sizeof(bad_ext[0]); i++)
        ck_assert_msg(koauth_client_first("t", bad_ext[i], 2, &b) == KFK_ERR_INVALID_ARG,
                      "case %zu", i);
    ck_assert_uint_eq(b.len, 1); /* untouched */
    ck_assert_int_eq(koauth_ext_check("Auth", "x"), KFK_OK);
    ck_assert_int_eq(koauth_ext_check("auth", "x"), KFK_ERR_INVALID_ARG);
    kbuf_free(&b);
}
END_TEST

/* --- the broker's error answer --------------------------------------------- */

static void expect_reason(const char *answer, kfk_err want_err, const char *want)
{
    char reason[160];
    ck_assert_int_eq(koauth_error_reason(answer, strlen(answer), reason, sizeof(reason)), want_err);
    ck_assert_str_eq(reason, want);
}

START_TEST(test_error_reason_from_broker_answers)
{
    expect_reason("{\"status\":\"invalid_token\"}", KFK_OK, "invalid_token");
    /* The layout Kafka's broker writes. */
    expect_reason("{\"status\":\"insufficient_scope\", \"scope\":\"[read, write]\"}", KFK_OK,
                  "insufficient_scope (scope: [read, write])");
    expect_reason("{\"status\":\"invalid_token\",\"scope\":\"a\",\"openid-configuration\":"
                  "\"https://idp/.well-known/openid-configuration\"}",
                  KFK_OK,
                  "invalid_token (scope: a) (openid-configuration: "
                  "https://idp/.well-known/openid-configuration)");
    expect_reason("{\"status\":\"bad\\n\\u0007\\u00e9\"}", KFK_OK, "bad????");
}
END_TEST

START_TEST(test_error_reason_survives_hostile_answers)
{
    expect_reason("", KFK_ERR_MALFORMED, "malformed OAUTHBEARER error answer from the broker");
    expect_reason(
        "{\"status\":\"invalid_token\"", KFK_ERR_MALFORMED,
        "malformed OAUTHBEARER error answer from the broker: {\"status\":\"invalid_token\"");
    expect_reason("{\"status\":7}", KFK_ERR_MALFORMED,
                  "malformed OAUTHBEARER error answer from the broker: {\"status\":7}");
    expect_reason("{\"scope\":\"x\"}", KFK_ERR_MALFORMED,
                  "malformed OAUTHBEARER error answer from the broker: {\"scope\":\"x\"}");
    expect_reason("{\"status\":\"\"}", KFK_ERR_MALFORMED,
                  "malformed OAUTHBEARER error answer from the broker: {\"status\":\"\"}");
    expect_reason("\x01\x02\n", KFK_ERR_MALFORMED,
                  "malformed OAUTHBEARER error answer from the broker: ???");
    /* A broker that does not escape a quote in the scope list. */
    expect_reason("{\"status\":\"invalid_token\", \"scope\":\"a\"b\"}", KFK_ERR_MALFORMED,
                  "malformed OAUTHBEARER error answer from the broker: {\"status\":"
                  "\"invalid_token\", \"scope\":\"a\"b\"}");

    /* Deep nesting, a long answer, no room, no buffer. */
    char deep[4096];
    memset(deep, '[', sizeof(deep));
    memcpy(deep, "{\"a\":", 5);
    char reason[16];
    ck_assert_int_eq(koauth_error_reason(deep, sizeof(deep), reason, sizeof(reason)),
                     KFK_ERR_MALFORMED);
    ck_assert_uint_eq(strlen(reason), sizeof(reason) - 1);
    const char ok[] = "{\"status\":\"invalid_token\"}";
    ck_assert_int_eq(koauth_error_reason(ok, strlen(ok), reason, 4), KFK_OK);
    ck_assert_str_eq(reason, "inv");
    ck_assert_int_eq(koauth_error_reason(ok, strlen(ok), NULL, 0), KFK_OK);
    ck_assert_int_eq(koauth_error_reason(NULL, 0, reason, sizeof(reason)), KFK_ERR_MALFORMED);
    /* Bytes after the length given are not read. */
    ck_assert_int_eq(koauth_error_reason(ok, strlen(ok) - 1, reason, sizeof(reason)),
                     KFK_ERR_MALFORMED);
}
END_TEST

/* --- reading a JWT --------------------------------------------------------- */

#define HEADER_NONE "eyJhbGciOiJub25lIn0"
/* {"exp":1.700000060123E9,"iat":1.7E9,"sub":"bob"}: how Java's unsecured
 * login writes its doubles. */
#define JAVA_TOKEN HEADER_NONE ".eyJleHAiOjEuNzAwMDAwMDYwMTIzRTksImlhdCI6MS43RTksInN1YiI6ImJvYiJ9."

START_TEST(test_jwt_claims_read_java_style_numbers)
{
    koauth_claims c;
    ck_assert_int_eq(koauth_jwt_claims(JAVA_TOKEN, strlen(JAVA_TOKEN), NULL, &c), KFK_OK);
    ck_assert(c.has_exp && c.has_iat);
    ck_assert_int_eq(c.exp_ms, 1700000060123LL);
    ck_assert_int_eq(c.iat_ms, 1700000000000LL);
    ck_assert_str_eq(c.principal, "bob");
    koauth_claims_free(&c);
    /* Another principal claim name: absent here. */
    ck_assert_int_eq(koauth_jwt_claims(JAVA_TOKEN, strlen(JAVA_TOKEN), "user", &c), KFK_OK);
    ck_assert_ptr_null(c.principal);
    koauth_claims_free(&c);
}
END_TEST

/* base64url of s, no padding, into out. */
static void b64url(const char *s, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < n) v |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)s[i + 2];
        out[o++] = abc[v >> 18];
        out[o++] = abc[v >> 12 & 63];
        if (i + 1 < n) out[o++] = abc[v >> 6 & 63];
        if (i + 2 < n) out[o++] = abc[v & 63];
    }
    out[o] = '\0';
}

/* Reads a token made of a header and claims JSON, and a signature. */
static kfk_err read_token(const char *header, const char *claims, const char *sig, koauth_claims *c)
{
    char tok[8192], h[2048], p[4096];
    b64url(header, h);
    b64url(claims, p);
    snprintf(tok, sizeof(tok), "%s.%s.%s", h, p, sig);
    return koauth_jwt_claims(tok, strlen(tok), NULL, c);
}

START_TEST(test_jwt_claims_of_a_signed_token)
{
    koauth_claims c;
    ck_assert_int_eq(read_token("{\"alg\":\"RS256\",\"kid\":\"k1\"}",
                                "{\"sub\":\"svc\\u00e9\\ud83d\\ude00\",\"exp\":1700003600,"
                                "\"aud\":[\"kafka\"],\"nested\":{\"a\":[1,{\"b\":null}]}}",
                                "c2lnbmF0dXJl", &c),
                     KFK_OK);
    ck_assert(c.has_exp && !c.has_iat);
    ck_assert_int_eq(c.exp_ms, 1700003600000LL);
    ck_assert_str_eq(c.principal, "svc\xc3\xa9\xf0\x9f\x98\x80");
    koauth_claims_free(&c);
    /* Padding on a part is tolerated. */
    const char padded[] = HEADER_NONE "=.eyJzdWIiOiJhIn0=.";
    ck_assert_int_eq(koauth_jwt_claims(padded, strlen(padded), NULL, &c), KFK_OK);
    ck_assert_str_eq(c.principal, "a");
    koauth_claims_free(&c);
}
END_TEST

START_TEST(test_jwt_claims_reject_hostile_tokens)
{
    static const char *const bad[] = {
        "",
        "abc",
        HEADER_NONE ".eyJzdWIiOiJhIn0",         /* two parts */
        HEADER_NONE ".eyJzdWIiOiJhIn0..",       /* four parts */
        HEADER_NONE ".eyJzdWIiOiJhIn0.a+b",     /* standard base64 in the signature */
        HEADER_NONE ".eyJzdWIiOiJhIn0+.",       /* standard base64 in the claims */
        HEADER_NONE ".eyJzdWIiOiJhIn0=x.",      /* padding inside */
        HEADER_NONE ".e.",                      /* one char of a group */
        HEADER_NONE "..",                       /* no claims */
        ".eyJzdWIiOiJhIn0.",                    /* no header */
        "eyJ.eyJzdWIiOiJhIn0.",                 /* header not JSON */
        HEADER_NONE ".WyJhIl0.",                /* claims an array: ["a"] */
        HEADER_NONE ".eyJzdWIiOjF9.",           /* {"sub":1} */
        HEADER_NONE ".eyJleHAiOiIxIn0.",        /* {"exp":"1"} */
        HEADER_NONE ".eyJleHAiOjFlMzAwfQ.",     /* {"exp":1e300} */
        HEADER_NONE ".eyJzdWIiOiJcdTAwMDAifQ.", /* {"sub":"\u0000"} */
        HEADER_NONE ".eyJzdWIiOiJhIn0h.",       /* {"sub":"a"} and a stray "!" */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        koauth_claims c;
        ck_assert_msg(koauth_jwt_claims(bad[i], strlen(bad[i]), NULL, &c) == KFK_ERR_MALFORMED,
                      "case %zu: %s", i, bad[i]);
        ck_assert_ptr_null(c.principal);
    }
    koauth_claims c;
    ck_assert_int_eq(koauth_jwt_claims(NULL, 0, NULL, &c), KFK_ERR_MALFORMED);
    /* Nesting past the limit, and a claims part cut off mid-way. */
    char deep[200];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    memcpy(deep, "{\"a\":", 5);
    ck_assert_int_eq(read_token("{}", deep, "", &c), KFK_ERR_MALFORMED);
    ck_assert_int_eq(koauth_jwt_claims(JAVA_TOKEN, strlen(JAVA_TOKEN) - 5, NULL, &c),
                     KFK_ERR_MALFORMED);
    ck_assert_int_eq(read_token("{}", "{\"exp\":-5,\"iat\":0.0001}", "", &c), KFK_OK);
    ck_assert_int_eq(c.exp_ms, -5000);
    ck_assert_int_eq(c.iat_ms, 0);
    koauth_claims_free(&c);
    ck_assert_int_eq(read_token("{}", "{\"exp\":9223372036854775}", "", &c), KFK_OK);
    ck_assert_int_eq(read_token("{}", "{\"exp\":9223372036854776}", "", &c), KFK_ERR_MALFORMED);
    ck_assert_int_eq(read_token("{\"\":1}", "{\"\":\"\",\"sub\":\"a\"}", "", &c), KFK_OK);
    koauth_claims_free(&c);
    ck_assert_int_eq(read_token("{}", "{\"exp\":1.5e-400}", "", &c), KFK_OK);
    ck_assert_int_eq(c.exp_ms, 0);
}
END_TEST

/* --- the unsecured token --------------------------------------------------- */

#define NOW_MS 1700000000123LL

static kfk_err unsecured(const koauth_option *o, size_t n, koauth_unsecured *u, char *err,
                         size_t errlen)
{
    return koauth_unsecured_token(o, n, NOW_MS, u, err, errlen);
}

/* The claims JSON inside a token, decoded with the reader's own checks. */
static char *claims_of(const char *token)
{
    const char *p = strchr(token, '.') + 1, *e = strchr(p, '.');
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = calloc(1, (size_t)(e - p) + 1);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; p < e; p++) {
        acc = acc << 6 | (unsigned)(strchr(abc, *p) - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)(acc >> bits & 0xff);
        }
    }
    return out;
}

START_TEST(test_unsecured_token_matches_hand_made_one)
{
    koauth_option o[] = {
        {"unsecuredLoginStringClaim_sub", "alice"},
        {"unsecuredLoginListClaim_scope", "|read|write"},
        {"unsecuredLoginLifetimeSeconds", "60"},
        {"unsecuredLoginNumberClaim_n", " 42 "},
        {"unsecuredLoginStringClaim_q", "a\"b\\c"},
        {"unrelatedOption", "x"},
        {"unsecuredLoginExtension_traceId", "123"},
    };
    koauth_unsecured u;
    char err[200] = "";
    ck_assert_int_eq(unsecured(o, 7, &u, err, sizeof(err)), KFK_OK);
    ck_assert_str_eq(u.token, HEADER_NONE
                     ".eyJleHAiOjE3MDAwMDAwNjAuMTIzLCJpYXQiOjE3MDAwMDAwMDAuM"
                     "TIzLCJzdWIiOiJhbGljZSIsInNjb3BlIjpbInJlYWQiLCJ3cml0ZSJdLCJuIjo0Miwic"
                     "SI6ImFcImJcXGMifQ.");
    ck_assert_str_eq(u.principal, "alice");
    ck_assert_int_eq(u.iat_ms, NOW_MS);
    ck_assert_int_eq(u.exp_ms, NOW_MS + 60000);
    ck_assert_uint_eq(u.ext_count, 1);
    ck_assert_str_eq(u.ext[0].key, "traceId");
    ck_assert_str_eq(u.ext[0].value, "123");
    /* The reader agrees with the builder. */
    koauth_claims c;
    ck_assert_int_eq(koauth_jwt_claims(u.token, strlen(u.token), NULL, &c), KFK_OK);
    ck_assert_int_eq(c.exp_ms, u.exp_ms);
    ck_assert_int_eq(c.iat_ms, NOW_MS);
    ck_assert_str_eq(c.principal, "alice");
    koauth_claims_free(&c);
    koauth_unsecured_free(&u);
}
END_TEST

START_TEST(test_unsecured_defaults_and_custom_claim_names)
{
    koauth_option o[] = {
        {"unsecuredLoginStringClaim_user", "svc"},
        {"unsecuredLoginPrincipalClaimName", "  user "},
        {"unsecuredLoginScopeClaimName", "scp"},
        {"unsecuredLoginStringClaim_scp", "read"},
    };
    koauth_unsecured u;
    ck_assert_int_eq(koauth_unsecured_token(o, 4, 1700000000000LL, &u, NULL, 0), KFK_OK);
    ck_assert_str_eq(u.principal, "svc");
    ck_assert_int_eq(u.exp_ms, 1700000000000LL + 3600000);
    char *claims = claims_of(u.token);
    ck_assert_str_eq(claims, "{\"exp\":1700003600,\"iat\":1700000000,\"user\":\"svc\","
                             "\"scp\":\"read\"}");
    free(claims);
    koauth_unsecured_free(&u);
}
END_TEST

/* Java's String.split rules, element by element. */
START_TEST(test_unsecured_list_claims_split_like_java)
{
    static const struct {
        const char *value, *json;
    } cases[] = {
        {"", "[]"},
        {"|", "[]"},
        {"\xc3\xa9", "[]"},
        {"|a", "[\"a\"]"},
        {",a,b", "[\"a\",\"b\"]"},
        {",a,,b,", "[\"a\",\"\",\"b\",\"\"]"},
        {"|a||", "[\"a\",\"\"]"},
        {"||a", "[\"\",\"a\",\"\"]"},
        {"|||a", "[\"\",\"\",\"a\",\"\"]"},
        {".a.b", "[\"a\",\"b\"]"},
        {"*a*b", "[\"a\",\"b\"]"},
        {"\xc3\xa9x\xc3\xa9y", "[\"x\",\"y\"]"},
        {" a b", "[\"a\",\"b\"]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        koauth_option o[] = {{"unsecuredLoginStringClaim_sub", "s"},
                             {"unsecuredLoginListClaim_l", cases[i].value}};
        koauth_unsecured u;
        ck_assert_int_eq(koauth_unsecured_token(o, 2, 0, &u, NULL, 0), KFK_OK);
        char *claims = claims_of(u.token), want[128];
        snprintf(want, sizeof(want), "{\"exp\":3600,\"iat\":0,\"sub\":\"s\",\"l\":%s}",
                 cases[i].json);
        ck_assert_msg(strcmp(claims, want) == 0, "%s: %s", cases[i].value, claims);
        free(claims);
        koauth_unsecured_free(&u);
    }
}
END_TEST

static void expect_config_error(const koauth_option *o, size_t n, const char *want_in_msg)
{
    koauth_unsecured u;
    char err[256] = "";
    ck_assert_int_eq(unsecured(o, n, &u, err, sizeof(err)), KFK_ERR_CONFIG);
    ck_assert_msg(strstr(err, want_in_msg) != NULL, "message: %s", err);
    ck_assert_ptr_null(strstr(err, "SECRET"));
    ck_assert_ptr_null(u.token);
}

START_TEST(test_unsecured_config_errors)
{
    koauth_option none[] = {{"unsecuredLoginStringClaim_x", "SECRET"}};
    expect_config_error(none, 1, "principal claim 'sub'");
    koauth_option blank[] = {{"unsecuredLoginStringClaim_sub", " \t"}};
    expect_config_error(blank, 1, "principal claim 'sub'");
    koauth_option list_sub[] = {{"unsecuredLoginListClaim_sub", "|SECRET"}};
    expect_config_error(list_sub, 1, "principal claim 'sub'");
    koauth_option iat[] = {{"unsecuredLoginStringClaim_sub", "a"},
                           {"unsecuredLoginNumberClaim_iat", "1"}};
    expect_config_error(iat, 2, "'iat'");
    koauth_option exp[] = {{"unsecuredLoginStringClaim_sub", "a"},
                           {"unsecuredLoginStringClaim_exp", "1"}};
    expect_config_error(exp, 2, "'exp'");
    static const char *const not_numbers[] = {"NaN", "+1", ".5", "1.", "1e", "0x10", "SECRET", ""};
    for (size_t i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++) {
        koauth_option num[] = {{"unsecuredLoginStringClaim_sub", "a"},
                               {"unsecuredLoginNumberClaim_n", not_numbers[i]}};
        expect_config_error(num, 2, "number claim 'n'");
    }
    koauth_option twice[] = {{"unsecuredLoginStringClaim_sub", "a"},
                             {"unsecuredLoginStringClaim_x", "1"},
                             {"unsecuredLoginNumberClaim_x", "1"}};
    expect_config_error(twice, 3, "claim 'x' is set by two options");
    koauth_option scope[] = {{"unsecuredLoginStringClaim_sub", "a"},
                             {"unsecuredLoginNumberClaim_scope", "1"}};
    expect_config_error(scope, 2, "scope claim 'scope'");
    koauth_option empty_list[] = {{"unsecuredLoginStringClaim_sub", "a"},
                                  {"unsecuredLoginListClaim_l", "|||"}};
    expect_config_error(empty_list, 2, "list claim 'l'");
    static const char *const bad_lifetimes[] = {"", "-1", "1.5", "abc", "99999999999999"};
    for (size_t i = 0; i < sizeof(bad_lifetimes) / sizeof(bad_lifetimes[0]); i++) {
        koauth_option life[] = {{"unsecuredLoginStringClaim_sub", "a"},
                                {"unsecuredLoginLifetimeSeconds", bad_lifetimes[i]}};
        expect_config_error(life, 2, "LifetimeSeconds");
    }
    koauth_option ext[] = {{"unsecuredLoginStringClaim_sub", "a"},
                           {"unsecuredLoginExtension_auth", "x"}};
    expect_config_error(ext, 2, "extension 'auth'");
    koauth_option ext2[] = {{"unsecuredLoginStringClaim_sub", "a"},
                            {"unsecuredLoginExtension_bad1", "x"}};
    expect_config_error(ext2, 2, "extension 'bad1'");
    koauth_unsecured u;
    ck_assert_int_eq(koauth_unsecured_token(ext, 2, -1, &u, NULL, 0), KFK_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_unsecured_repeated_option_counts_once)
{
    koauth_option o[] = {
        {"unsecuredLoginStringClaim_sub", "first"},
        {"unsecuredLoginStringClaim_", "ignored: no claim name"},
        {"unsecuredLoginStringClaim_sub", "last"},
        {"unsecuredLoginExtension_k", "1"},
        {"unsecuredLoginExtension_k", "2"},
    };
    koauth_unsecured u;
    ck_assert_int_eq(koauth_unsecured_token(o, 5, 0, &u, NULL, 0), KFK_OK);
    ck_assert_str_eq(u.principal, "last");
    char *claims = claims_of(u.token);
    ck_assert_str_eq(claims, "{\"exp\":3600,\"iat\":0,\"sub\":\"last\"}");
    free(claims);
    ck_assert_uint_eq(u.ext_count, 1);
    ck_assert_str_eq(u.ext[0].value, "2");
    koauth_unsecured_free(&u);
}
END_TEST

/* The way a client gets the options: from sasl.jaas.config. */
typedef struct option_list {
    koauth_option o[16];
    char *copies[32];
    size_t n, ncopies;
} option_list;

static kfk_err add_option(void *arg, const char *key, const char *value)
{
    option_list *l = arg;
    ck_assert_uint_lt(l->n, 16);
    char *k = strdup(key), *v = strdup(value);
    l->copies[l->ncopies++] = k;
    l->copies[l->ncopies++] = v;
    l->o[l->n++] = (koauth_option){k, v};
    return KFK_OK;
}

START_TEST(test_unsecured_token_from_a_jaas_line)
{
    const char *jaas = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                       "required unsecuredLoginStringClaim_sub=\"thePrincipalName\" "
                       "unsecuredLoginListClaim_scope=\"|scopeValue1|scopeValue2\" "
                       "unsecuredLoginLifetimeSeconds=\"60\" "
                       "unsecuredLoginExtension_traceId=\"123\";";
    option_list l = {0};
    ck_assert_int_eq(kconf_jaas_foreach(jaas, add_option, &l), KFK_OK);
    koauth_unsecured u;
    ck_assert_int_eq(koauth_unsecured_token(l.o, l.n, 0, &u, NULL, 0), KFK_OK);
    char *claims = claims_of(u.token);
    ck_assert_str_eq(claims, "{\"exp\":60,\"iat\":0,\"sub\":\"thePrincipalName\","
                             "\"scope\":[\"scopeValue1\",\"scopeValue2\"]}");
    free(claims);
    kbuf first = {0};
    ck_assert_int_eq(koauth_client_first(u.token, u.ext, u.ext_count, &first), KFK_OK);
    ck_assert_uint_gt(first.len, 4);
    ck_assert(memcmp(first.data + first.len - 14, "\x01traceId=123\x01\x01", 14) == 0);
    kbuf_free(&first);
    koauth_unsecured_free(&u);
    for (size_t i = 0; i < l.ncopies; i++)
        free(l.copies[i]);
}
END_TEST

/* --- the JSON reader's edges ----------------------------------------------- */

START_TEST(test_json_reader_grammar)
{
    static const char *const good[] = {
        "{}",
        " { \"a\" : [ 1 , -0.5e+3 , true , false , null , \"\\\"\\/\" , { } ] } ",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":1,\"a\":2}",
    };
    static const char *const bad[] = {
        "",
        "{",
        "}",
        "[]",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,}",
        "{\"a\":01}",
        "{\"a\":-}",
        "{\"a\":1.}",
        "{\"a\":.1}",
        "{\"a\":+1}",
        "{\"a\":tru}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\x01\"}",
        "{\"a\":1}}",
        "{\"a\":[1,]}",
        "{a:1}",
    };
    kjson_value v;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(kjson_object_get(good[i], strlen(good[i]), "a", &v) == KFK_OK, "%s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(kjson_object_get(bad[i], strlen(bad[i]), "a", &v) == KFK_ERR_MALFORMED, "%s",
                      bad[i]);
    const char *dup = "{\"a\":1,\"a\":2}";
    ck_assert_int_eq(kjson_object_get(dup, strlen(dup), "a", &v), KFK_OK);
    int64_t x;
    ck_assert_int_eq(kjson_number_scaled(&v, 0, &x), KFK_OK);
    ck_assert_int_eq(x, 1); /* the first of repeated members */
    /* An empty member name, looked up by the empty key. */
    const char *empty = "{\"\":7}";
    ck_assert_int_eq(kjson_object_get(empty, strlen(empty), "", &v), KFK_OK);
    ck_assert_int_eq(v.type, KJSON_NUMBER);
    const char *lone = "{\"\\u0061\":\"\\ud800x\"}";
    ck_assert_int_eq(kjson_object_get(lone, strlen(lone), "a", &v), KFK_OK);
    kbuf s = {0};
    ck_assert_int_eq(kjson_string(&v, &s), KFK_OK);
    ck_assert_uint_eq(s.len, 4);
    ck_assert(memcmp(s.data, "\xef\xbf\xbdx", 4) == 0);
    kbuf_free(&s);
}
END_TEST

static Suite *oauthbearer_suite(void)
{
    Suite *s = suite_create("sasl_oauthbearer");
    TCase *tc = tcase_create("oauthbearer");
    tcase_add_test(tc, test_client_first_without_extensions);
    tcase_add_test(tc, test_client_first_with_extensions_in_order);
    tcase_add_test(tc, test_client_first_rejects_bad_tokens_and_extensions);
    tcase_add_test(tc, test_error_reason_from_broker_answers);
    tcase_add_test(tc, test_error_reason_survives_hostile_answers);
    tcase_add_test(tc, test_jwt_claims_read_java_style_numbers);
    tcase_add_test(tc, test_jwt_claims_of_a_signed_token);
    tcase_add_test(tc, test_jwt_claims_reject_hostile_tokens);
    tcase_add_test(tc, test_unsecured_token_matches_hand_made_one);
    tcase_add_test(tc, test_unsecured_defaults_and_custom_claim_names);
    tcase_add_test(tc, test_unsecured_list_claims_split_like_java);
    tcase_add_test(tc, test_unsecured_config_errors);
    tcase_add_test(tc, test_unsecured_repeated_option_counts_once);
    tcase_add_test(tc, test_unsecured_token_from_a_jaas_line);
    tcase_add_test(tc, test_json_reader_grammar);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(oauthbearer_suite());
}
