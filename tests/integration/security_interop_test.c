/* kfk and kafka-python (security_interop.py) over SASL_SSL with SCRAM,
 * against the cluster under test: what kfk writes kafka-python reads, and
 * the other way round, with both SCRAM mechanisms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ksec.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kplist.h"

#define N 5000

static const char *const mechs[] = {"SCRAM-SHA-256", "SCRAM-SHA-512"};

static void python(const char *cmd, const char *mech, const char *topic, char **out)
{
    char line[2048];
    snprintf(line, sizeof(line),
             "python3 tests/integration/security_interop.py %s '%s' '%s' %s '%s' '%s' '%s' %d", cmd,
             ksec_bootstrap(KSEC_SASL_SSL), ksec_file("ca.pem"), mech, KSEC_USER, KSEC_PASSWORD,
             topic, N);
    FILE *f = popen(line, "r");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    int st = pclose(f);
    ck_assert_msg(st == 0, "%s: exit %d", line, st);
    if (out)
        *out = buf;
    else
        free(buf);
}

START_TEST(test_kafka_python_reads_what_kfk_wrote)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "sec-interop-out");
    ksec_create_topic(KSEC_SASL_SSL, topic, 1);
    /* kfk writes "0".."N-1"; the round trip also reads them back with kfk. */
    ksec_roundtrip(ksec_conf(KSEC_SASL_SSL, mechs[_i]), ksec_conf(KSEC_SASL_SSL, mechs[_i]), topic,
                   1, N);
    char *text;
    python("consume", mechs[_i], topic, &text);
    char *save = NULL;
    int i = 0;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save), i++)
        ck_assert_int_eq(atoi(l), i); /* one partition: in order */
    ck_assert_int_eq(i, N);
    free(text);
}
END_TEST

START_TEST(test_kfk_reads_what_kafka_python_wrote)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "sec-interop-in");
    ksec_create_topic(KSEC_SASL_SSL, topic, 1);
    python("produce", mechs[_i], topic, NULL);
    char err[512];
    kfk_consumer *c = kfk_consumer_new(ksec_conf(KSEC_SASL_SSL, mechs[_i]), err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_int_eq(kpl_assign_one(c, topic, 0, KFK_OFFSET_BEGINNING), KFK_OK);
    int next = 0;
    int64_t deadline = kclus_now_ms() + 60000;
    while (next < N && kclus_now_ms() < deadline) {
        kfk_message *m = kfk_consumer_poll(c, 500);
        if (!m) continue;
        ck_assert_msg(kfk_message_error(m) == KFK_OK, "%s", kfk_err_name(kfk_message_error(m)));
        ck_assert_int_eq(kclus_record_id(m), next);
        next++;
        kfk_message_release(m);
    }
    ck_assert_int_eq(next, N);
    kfk_consumer_destroy(c);
}
END_TEST

static Suite *security_interop_suite(void)
{
    Suite *s = suite_create("security_interop");
    TCase *tc = tcase_create("scram");
    tcase_add_checked_fixture(tc, ksec_setup, ksec_teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_loop_test(tc, test_kafka_python_reads_what_kfk_wrote, 0, 2);
    tcase_add_loop_test(tc, test_kfk_reads_what_kafka_python_wrote, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *why = NULL;
    if (!ksec_available(&why)) {
        printf("SKIP: security_interop: %s\n", why);
        return KTEST_SKIP;
    }
    if (system("python3 -c 'import kafka' >/dev/null 2>&1") != 0) {
        printf("SKIP: python3 with kafka-python (tests/requirements.txt) missing\n");
        return KTEST_SKIP;
    }
    return ktest_run(security_interop_suite());
}
