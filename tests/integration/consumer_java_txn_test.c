/* The consumer reads what the Apache Kafka Java client wrote in
 * transactions (real Kafka only): tools/golden/JavaProducer.java, with
 * "txn", writes the golden records (tools/golden/golden.py's rule) 0-24 in
 * a committed transaction and 25-49 in an aborted one to partition 0, in
 * every codec. A read_uncommitted consumer must hand back all 50, a
 * read_committed one exactly 0-24, each intact and at its offset, and
 * neither the COMMIT nor the ABORT marker. The producer is compiled with
 * javac against the broker's jars (tools/kafka fetch) into $BUILD/java;
 * a missing JDK or missing jars fail the test (tools/deps installs the JDK). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kclus.h"
#include "kfk.h"
#include "kjava.h"
#include "kplist.h"
#include "kwire_client.h"

#define TIMEOUT_MS 30000
#define N_RECORDS 50
#define N_COMMITTED 25
/* The log: records 0-24 at offsets 0-24, COMMIT at 25, records 25-49 at
 * 26-50, ABORT at 51. */
#define LOG_END 52

static const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};

/* --- the record rule (tools/golden/golden.py) ------------------------------------------------ */

static const char *rule_key(int i, char *buf, size_t *len)
{
    if (i % 7 == 0) return NULL;
    *len = (size_t)snprintf(buf, 16, "k-%d", i);
    return buf;
}

static const unsigned char *rule_value(int i, unsigned char *buf, size_t *len)
{
    *len = 0;
    if (i == 13) return NULL;
    if (i == 5) return buf;
    uint32_t s = (uint32_t)(i + 1) * 2654435761u;
    *len = (size_t)(i * 37) % 200 + 1;
    for (size_t j = 0; j < *len; j++) {
        s = s * 1664525u + 1013904223u;
        buf[j] = j % 3 == 0 ? (unsigned char)(s >> 24) : (unsigned char)('a' + (i + (int)j) % 26);
    }
    return buf;
}

static int64_t rule_timestamp(int i)
{
    return 1700000000000LL + 1000LL * i - (i % 10 == 9 ? 5000 : 0);
}

static void assert_bytes(const char *what, int i, const void *got, size_t got_len, const void *want,
                         size_t want_len)
{
    if (!want) {
        ck_assert_msg(got == NULL, "%s of record %d: want null, got %zu bytes", what, i, got_len);
        return;
    }
    ck_assert_msg(got != NULL, "%s of record %d: want %zu bytes, got null", what, i, want_len);
    ck_assert_msg(got_len == want_len && !memcmp(got, want, got_len),
                  "%s of record %d: want %zu bytes, got %zu differing", what, i, want_len, got_len);
}

/* Checks m against record i of the rule: key, value, timestamp, headers
 * ("h<h>" = "v<i>.<h>", null when (i + h) % 5 == 0; i % 4 of them). */
static void check_record(const kfk_message *m, int i)
{
    char key_buf[16], hval_buf[32];
    unsigned char value_buf[256];
    size_t want_len = 0, len;
    const void *want = rule_key(i, key_buf, &want_len);
    const void *got = kfk_message_key(m, &len);
    assert_bytes("key", i, got, len, want, want_len);
    want = rule_value(i, value_buf, &want_len);
    got = kfk_message_value(m, &len);
    assert_bytes("value", i, got, len, want, want_len);
    kfk_timestamp_type type = KFK_TIMESTAMP_NONE;
    ck_assert_int_eq(kfk_message_timestamp(m, &type), rule_timestamp(i));
    ck_assert_int_eq(type, KFK_TIMESTAMP_CREATE_TIME);
    ck_assert_uint_eq(kfk_message_header_count(m), (size_t)(i % 4));
    for (int h = 0; h < i % 4; h++) {
        const char *name;
        size_t nl, vl;
        const void *v;
        ck_assert_int_eq(kfk_message_header(m, (size_t)h, &name, &nl, &v, &vl), KFK_OK);
        char wname[8];
        int wnl = snprintf(wname, sizeof(wname), "h%d", h);
        assert_bytes("header name", i, name, nl, wname, (size_t)wnl);
        int hl = snprintf(hval_buf, sizeof(hval_buf), "v%d.%d", i, h);
        assert_bytes("header value", i, v, vl, (i + h) % 5 == 0 ? NULL : hval_buf, (size_t)hl);
    }
}

/* --- the Java producer ----------------------------------------------------------------------- */

static void java_produce(const char *topic, const char *codec)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "java -cp '%s' -Dlog4j2.level=WARN JavaProducer '%s' '%s' %s txn >&2",
             kjava_classpath(), ktest_bootstrap(), topic, codec);
    int st = system(cmd);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    ck_assert_msg(rc == 0, "%s: exit %d", cmd, rc);
}

/* --- consuming ------------------------------------------------------------------------------- */

/* Reads partition 0 from the beginning until the end at LOG_END (the
 * ABORT marker is written after the producer's abort returns, so an
 * earlier end may come first): records 0..n-1, each at its offset. */
static void consume(const char *topic, const char *isolation, int n)
{
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "isolation.level", isolation);
    kclus_set(conf, "fetch.max.wait.ms", "100");
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    kfk_consumer_report_eof(c, true);
    ck_assert_int_eq(kpl_assign_one(c, topic, 0, KFK_OFFSET_BEGINNING), KFK_OK);
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS, end = -1;
    int got = 0;
    while (end < LOG_END) {
        int64_t left = deadline - ktime_mono_ms();
        kfk_message *m = kfk_consumer_poll(c, left > 0 ? (int)left : 0);
        ck_assert_msg(m != NULL, "%s %s: %d records, end %lld, within %d ms", topic, isolation, got,
                      (long long)end, TIMEOUT_MS);
        kfk_err e = kfk_message_error(m);
        int64_t off = kfk_message_offset(m);
        if (e == KFK_ERR_PARTITION_EOF) {
            end = off;
            ck_assert_msg(end <= LOG_END, "%s: end %lld past the log", isolation, (long long)end);
            kfk_message_release(m);
            continue;
        }
        ck_assert_msg(e == KFK_OK, "%s: %s", isolation, kfk_err_str(e));
        ck_assert_msg(got < n, "%s: a record at offset %lld after the %d expected", isolation,
                      (long long)off, n);
        ck_assert_int_eq(kfk_message_offset(m), got < N_COMMITTED ? got : got + 1);
        check_record(m, got);
        got++;
        kfk_message_release(m);
    }
    ck_assert_msg(got == n, "%s: %d records, want %d", isolation, got, n);
    kfk_consumer_destroy(c);
}

START_TEST(test_reads_java_transactions)
{
    const char *codec = codecs[_i];
    char topic[128], what[32];
    snprintf(what, sizeof(what), "java-txn-%s", codec);
    ktest_unique_topic(topic, sizeof(topic), what);
    kjava_build("JavaProducer");
    /* The rule's timestamps are of 2023: without retention.ms=-1, the
     * broker's periodic time-based retention check would delete them
     * whenever it came in the middle of the test. */
    static const char *const keep[] = {"retention.ms", "-1", NULL};
    kclus_create_topic_with(NULL, topic, 1, -1, keep);
    java_produce(topic, codec);
    /* read_uncommitted first: its end at LOG_END means the ABORT marker
     * is in the log, so read_committed must skip 25-49 by it. */
    consume(topic, "read_uncommitted", N_RECORDS);
    consume(topic, "read_committed", N_COMMITTED);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *java_txn_suite(void)
{
    Suite *s = suite_create("consumer_java_txn");
    TCase *tc = tcase_create("java_txn");
    /* A JVM start, a fetch on first use and two consumers per codec. */
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_reads_java_transactions, 0, 5);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    if (kclus_is_mock()) {
        printf("SKIP: real Kafka only (the log its own transaction coordinator writes)\n");
        return KTEST_SKIP;
    }
    return ktest_run(java_txn_suite());
}
