#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/err.h"

/* The enum as the public header spells it, read from include/kfk.h at run
 * time so a code added to one place and not the other fails here. */
typedef struct header_code {
    char name[64]; /* without the KFK_ / KFK_ERR_ prefix */
    int code;
} header_code;

static size_t parse_header_codes(header_code *out, size_t max)
{
    char *text = ktest_read_file("include/kfk.h", NULL);
    ck_assert_msg(text, "cannot read include/kfk.h; tests run from the repo root");
    char *begin = strstr(text, "typedef enum kfk_err {");
    char *end = begin ? strstr(begin, "} kfk_err;") : NULL;
    ck_assert_msg(begin && end, "kfk_err enum not found in include/kfk.h");
    *end = '\0';

    size_t n = 0;
    for (char *line = strtok(begin, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64];
        int code;
        if (sscanf(line, " KFK_%63[A-Z0-9_] = %d", name, &code) != 2) continue;
        ck_assert_uint_lt(n, max);
        const char *bare = strncmp(name, "ERR_", 4) == 0 ? name + 4 : name;
        snprintf(out[n].name, sizeof(out[n].name), "%s", bare);
        out[n++].code = code;
    }
    free(text);
    return n;
}

START_TEST(test_every_header_code_is_in_the_table_under_its_name)
{
    header_code codes[512];
    size_t n = parse_header_codes(codes, 512), table_len;
    kerr_table(&table_len);
    ck_assert_uint_gt(n, 100);
    for (size_t i = 0; i < n; i++) {
        const kerr_info *e = kerr_lookup((kfk_err)codes[i].code);
        ck_assert_msg(e, "%s = %d is missing from the table", codes[i].name, codes[i].code);
        ck_assert_str_eq(e->name, codes[i].name);
        ck_assert_str_eq(kfk_err_name((kfk_err)codes[i].code), codes[i].name);
    }
    /* Codes are unique in the table (next test), so equal counts mean the
     * table holds nothing the header lacks. */
    ck_assert_uint_eq(n, table_len);
}
END_TEST

START_TEST(test_table_is_sorted_by_code_without_duplicates)
{
    size_t n;
    const kerr_info *t = kerr_table(&n);
    for (size_t i = 1; i < n; i++)
        ck_assert_msg(t[i - 1].code < t[i].code, "%s (%d) not before %s (%d)", t[i - 1].name,
                      t[i - 1].code, t[i].name, t[i].code);
}
END_TEST

START_TEST(test_protocol_codes_run_without_gaps_to_the_highest)
{
    for (int code = -1; code <= 136; code++)
        ck_assert_msg(kerr_lookup((kfk_err)code), "Kafka code %d missing", code);
    ck_assert_ptr_null(kerr_lookup((kfk_err)137));
    size_t n;
    const kerr_info *t = kerr_table(&n);
    ck_assert_int_eq(t[n - 1].code, KFK_ERR_CONTROLLER_ID_NOT_REGISTERED);
    ck_assert_int_eq(KFK_ERR_CONTROLLER_ID_NOT_REGISTERED, 136);
}
END_TEST

START_TEST(test_err_str_is_name_colon_description)
{
    size_t n;
    const kerr_info *t = kerr_table(&n);
    for (size_t i = 0; i < n; i++) {
        const char *s = kfk_err_str(t[i].code);
        size_t name_len = strlen(t[i].name);
        ck_assert_ptr_eq(s, t[i].str);
        ck_assert_int_eq(strncmp(s, t[i].name, name_len), 0);
        ck_assert_int_eq(strncmp(s + name_len, ": ", 2), 0);
        ck_assert_uint_gt(strlen(s + name_len + 2), 5);
    }
    ck_assert_str_eq(kfk_err_str(KFK_ERR_NOT_LEADER_OR_FOLLOWER),
                     "NOT_LEADER_OR_FOLLOWER: this broker is not the partition's leader, "
                     "or not one of its replicas");
}
END_TEST

START_TEST(test_known_codes_have_kafka_values_and_retriability)
{
    ck_assert_int_eq(KFK_ERR_UNKNOWN_SERVER_ERROR, -1);
    ck_assert_int_eq(KFK_ERR_OFFSET_OUT_OF_RANGE, 1);
    ck_assert_int_eq(KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION, 3);
    ck_assert_int_eq(KFK_ERR_NOT_LEADER_OR_FOLLOWER, 6);
    ck_assert_int_eq(KFK_ERR_TOPIC_AUTHORIZATION_FAILED, 29);
    ck_assert_int_eq(KFK_ERR_UNSUPPORTED_VERSION, 35);
    ck_assert_int_eq(KFK_ERR_PRODUCER_FENCED, 90);

    ck_assert(kerr_retriable(KFK_ERR_NOT_LEADER_OR_FOLLOWER));
    ck_assert(kerr_retriable(KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION));
    ck_assert(kerr_retriable(KFK_ERR_CORRUPT_MESSAGE));
    ck_assert(kerr_retriable(KFK_ERR_SHARE_SESSION_LIMIT_REACHED));
    ck_assert(!kerr_retriable(KFK_ERR_OFFSET_OUT_OF_RANGE));
    ck_assert(!kerr_retriable(KFK_ERR_TOPIC_AUTHORIZATION_FAILED));
    ck_assert(!kerr_retriable(KFK_ERR_UNKNOWN_SERVER_ERROR));
    ck_assert(!kerr_retriable(KFK_ERR_REBALANCE_IN_PROGRESS));
    ck_assert(!kerr_retriable(KFK_OK));
}
END_TEST

START_TEST(test_client_codes_are_below_minus_100_and_not_broker_codes)
{
    size_t n;
    const kerr_info *t = kerr_table(&n);
    for (size_t i = 0; i < n; i++) {
        int c = t[i].code;
        ck_assert(c <= -100 || c >= -1);
        ck_assert_int_eq(kerr_is_broker(t[i].code), c >= -1 && c != 0);
    }
    ck_assert(kerr_retriable(KFK_ERR_TRANSPORT));
    ck_assert(!kerr_retriable(KFK_ERR_INVALID_ARG));
}
END_TEST

START_TEST(test_ok_is_named_ok)
{
    ck_assert_str_eq(kfk_err_name(KFK_OK), "OK");
    ck_assert_str_eq(kfk_err_str(KFK_OK), "OK: success");
}
END_TEST

START_TEST(test_unknown_code_gives_generic_text_never_null)
{
    ck_assert_str_eq(kfk_err_str((kfk_err)1000), "unknown error 1000");
    ck_assert_str_eq(kfk_err_str((kfk_err)-99), "unknown error -99");
    ck_assert_str_eq(kfk_err_str((kfk_err)-2147483647 - 1), "unknown error -2147483648");
    ck_assert_str_eq(kfk_err_name((kfk_err)9999), "UNKNOWN");
    ck_assert(!kerr_retriable((kfk_err)9999));
    ck_assert_ptr_null(kerr_lookup((kfk_err)-2));
}
END_TEST

/* Returns non-NULL when this thread's text for an unknown code is its own
 * and stays right, whatever the main thread's buffer (arg) holds. */
static void *describe_unknown(void *main_text)
{
    const char *s = kfk_err_str((kfk_err)1000);
    for (int i = 0; i < 1000; i++)
        kfk_err_str((kfk_err)1000);
    return s != main_text && strcmp(s, "unknown error 1000") == 0 ? (void *)s : NULL;
}

START_TEST(test_unknown_code_text_is_per_thread)
{
    const char *mine = kfk_err_str((kfk_err)2000);
    pthread_t t;
    void *ok;
    ck_assert_int_eq(pthread_create(&t, NULL, describe_unknown, (void *)mine), 0);
    ck_assert_int_eq(pthread_join(t, &ok), 0);
    ck_assert_ptr_nonnull(ok);
    ck_assert_str_eq(mine, "unknown error 2000");
}
END_TEST

static Suite *err_suite(void)
{
    Suite *s = suite_create("base_err");
    TCase *tc = tcase_create("err");
    tcase_add_test(tc, test_every_header_code_is_in_the_table_under_its_name);
    tcase_add_test(tc, test_table_is_sorted_by_code_without_duplicates);
    tcase_add_test(tc, test_protocol_codes_run_without_gaps_to_the_highest);
    tcase_add_test(tc, test_err_str_is_name_colon_description);
    tcase_add_test(tc, test_known_codes_have_kafka_values_and_retriability);
    tcase_add_test(tc, test_client_codes_are_below_minus_100_and_not_broker_codes);
    tcase_add_test(tc, test_ok_is_named_ok);
    tcase_add_test(tc, test_unknown_code_gives_generic_text_never_null);
    tcase_add_test(tc, test_unknown_code_text_is_per_thread);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(err_suite());
}
