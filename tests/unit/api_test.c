/* The public API as a whole: the version, what the headers may contain,
 * NULL handles, the last-error texts and the rule that nothing kfk hands
 * out is freed with free(). */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "kfk.h"
#include "kfk_mock.h"

START_TEST(test_version_str_is_built_from_the_numbers)
{
    char want[32];
    snprintf(want, sizeof(want), "%d.%d.%d", KFK_VERSION_MAJOR, KFK_VERSION_MINOR,
             KFK_VERSION_PATCH);
    ck_assert_str_eq(KFK_VERSION_STR, want);
    ck_assert_str_eq(kfk_version_str(), want);
    ck_assert_int_eq(kfk_version(),
                     KFK_VERSION_MAJOR * 10000 + KFK_VERSION_MINOR * 100 + KFK_VERSION_PATCH);
}
END_TEST

/* Public headers speak of the API only: no markers for tools, no paths
 * into the sources. */
static void check_header_text(const char *path)
{
    char *text = ktest_read_file(path, NULL);
    ck_assert_msg(text, "cannot read %s; tests run from the repo root", path);
    regex_t re;
    ck_assert_int_eq(regcomp(&re, "@[A-Z_]+@|lib/[a-z_/]+|[a-z_]+\\.c\\b", REG_EXTENDED), 0);
    regmatch_t m;
    int found = regexec(&re, text, 1, &m, 0) == 0;
    ck_assert_msg(!found, "%s: \"%.*s\"", path, found ? (int)(m.rm_eo - m.rm_so) : 0,
                  found ? text + m.rm_so : "");
    regfree(&re);
    free(text);
}

START_TEST(test_public_headers_hold_no_markers_or_source_paths)
{
    check_header_text("include/kfk.h");
    check_header_text("include/kfk_mock.h");
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, test_version_str_is_built_from_the_numbers);
    tcase_add_test(tc, test_public_headers_hold_no_markers_or_source_paths);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(api_suite());
}
