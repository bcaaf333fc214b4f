/* kregex_compile: Java topic regexes matched as Java matches them. */
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/regex.h"

/* Whether Java's Pattern.matches(regex, name) is true. The expected
 * column was checked with java.util.regex (OpenJDK 17) on these pairs. */
static const struct {
    const char *regex, *name;
    bool match;
} cases[] = {
    {"orders-\\d+", "orders-12", true},
    {"orders-\\d+", "orders-x", false},
    {"orders-\\d+", "orders-d", false}, /* POSIX alone reads \d as d */
    {"orders-\\d+", "xorders-1", false}, /* the whole name, not a part */
    {"orders.*", "orders", true},
    {"orders", "orders-1", false},
    {"\\w+\\.events", "app_1.events", true},
    {"\\w+\\.events", "app-1.events", false},
    {"\\w+\\.events", "app_1xevents", false},
    {"a\\Wb", "a-b", true},
    {"a\\Wb", "a_b", false},
    {"x\\D", "xa", true},
    {"x\\D", "x1", false},
    {"x\\s?y", "xy", true},
    {"x\\Sy", "x.y", true},
    {"(?i)Orders-[a-z]+", "ORDERS-abc", true},
    {"(?i)Orders-[a-z]+", "orders-ABC", true},
    {"Orders", "orders", false},
    {"(?:eu|us)-clicks", "eu-clicks", true},
    {"(?:eu|us)-clicks", "ap-clicks", false},
    {"t[\\d_]+", "t1_2", true},
    {"t[\\d_]+", "t1a", false},
    {"t[^\\d]", "tx", true},
    {"t[^\\d]", "t5", false},
    {"t[\\w\\-]+", "t-a_b", true},
    {"t[\\w\\-]+", "t.a", false},
    {"t[a\\-c]", "t-", true},
    {"t[a\\-c]", "tb", false}, /* a literal -, not the range a-c */
    {"t[\\.]x", "t.x", true},
    {"t[\\.]x", "tax", false},
    {"a\\.b", "a.b", true},
    {"a\\.b", "axb", false},
    {"a.*?b", "axxb", true},
    {"[]a]+", "]a", true},
    {"t-(1|2)+", "t-1212", true},
};

START_TEST(test_matches_as_java_does)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        regex_t re;
        int rc = kregex_compile(&re, cases[i].regex, strlen(cases[i].regex), true);
        ck_assert_msg(rc == KREGEX_OK, "%s: %d", cases[i].regex, rc);
        bool m = regexec(&re, cases[i].name, 0, NULL, 0) == 0;
        regfree(&re);
        ck_assert_msg(m == cases[i].match, "%s on %s: %d, Java says %d", cases[i].regex,
                      cases[i].name, m, cases[i].match);
    }
}
END_TEST

/* Syntax outside the subset is refused, not read as something else. */
START_TEST(test_refuses_what_it_cannot_translate)
{
    static const char *const bad[] = {
        "a\\bb",    /* a word boundary, not "b" */
        "\\p{L}+",  /* a Unicode class */
        "(a)\\1",   /* a back reference */
        "\\Qa.b\\E", /* a quoted run */
        "t[\\D]",   /* a negated class in brackets */
        "t[\\]]",   /* ] in brackets: no topic has one */
        "abc\\",    /* a trailing backslash */
        "(",        /* not a regex in any syntax */
        "t[ab",     /* an open bracket */
        "(?<n>a)",  /* a named group */
        "a(?i)b",   /* a flag not at the start */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        regex_t re;
        int rc = kregex_compile(&re, bad[i], strlen(bad[i]), true);
        if (rc == KREGEX_OK) regfree(&re);
        ck_assert_msg(rc == KREGEX_BAD, "%s compiled", bad[i]);
    }
}
END_TEST

/* len bounds the regex: the bytes after it are not read, and a NUL
 * inside it (a wire string may hold one) is refused. */
START_TEST(test_reads_only_len_bytes)
{
    regex_t re;
    const char src[] = "ab\\d+GARBAGE(";
    ck_assert_int_eq(kregex_compile(&re, src, 5, true), KREGEX_OK);
    ck_assert_int_eq(regexec(&re, "ab12", 0, NULL, 0), 0);
    ck_assert_int_ne(regexec(&re, "ab12GARBAGE", 0, NULL, 0), 0);
    regfree(&re);
    ck_assert_int_eq(kregex_compile(&re, "a\0b", 3, true), KREGEX_BAD);
}
END_TEST

/* Without whole, a part of the name is enough (the broker's check of a
 * regex's syntax compiles it so). */
START_TEST(test_partial_match_when_not_whole)
{
    regex_t re;
    ck_assert_int_eq(kregex_compile(&re, "\\d", 2, false), KREGEX_OK);
    ck_assert_int_eq(regexec(&re, "abc1def", 0, NULL, 0), 0);
    ck_assert_int_ne(regexec(&re, "abcdef", 0, NULL, 0), 0);
    regfree(&re);
}
END_TEST

static Suite *regex_suite(void)
{
    Suite *s = suite_create("base_regex");
    TCase *tc = tcase_create("regex");
    tcase_add_test(tc, test_matches_as_java_does);
    tcase_add_test(tc, test_refuses_what_it_cannot_translate);
    tcase_add_test(tc, test_reads_only_len_bytes);
    tcase_add_test(tc, test_partial_match_when_not_whole);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(regex_suite());
}
