/* read_committed against real Kafka and the mock cluster: a transactional
 * kafka-python producer writes one aborted and one committed transaction;
 * read_committed sees only the committed records, read_uncommitted sees
 * all data records, and neither sees the transaction markers. Fails where
 * python3 lacks kafka-python. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "kfk.h"
#include "kplist.h"
#include "kwire_client.h"

#define TIMEOUT_MS 20000

static const char *simple_script =
    "import sys\n"
    "from kafka import KafkaProducer\n"
    "bs, topic = sys.argv[1], sys.argv[2]\n"
    "p = KafkaProducer(bootstrap_servers=bs, transactional_id='kfk-it-txn-' + topic)\n"
    "p.init_transactions()\n"
    "p.begin_transaction()\n"
    "for i in range(3):\n"
    "    p.send(topic, value=b'aborted-%d' % i, partition=0)\n"
    "p.flush()\n"
    "p.abort_transaction()\n"
    "p.begin_transaction()\n"
    "for i in range(2):\n"
    "    p.send(topic, value=b'committed-%d' % i, partition=0)\n"
    "p.commit_transaction()\n"
    "p.close()\n";

/* Two producers whose transactions interleave in one partition: the
 * aborted one's batches surround the committed one's batch and marker,
 * so a consumer must skip by producer id, not by offset range. */
static const char *interleaved_script =
    "import sys\n"
    "from kafka import KafkaProducer\n"
    "bs, topic = sys.argv[1], sys.argv[2]\n"
    "def producer(name):\n"
    "    p = KafkaProducer(bootstrap_servers=bs, transactional_id=name + topic)\n"
    "    p.init_transactions()\n"
    "    p.begin_transaction()\n"
    "    return p\n"
    "def send(p, v):\n"
    "    p.send(topic, value=v, partition=0)\n"
    "    p.flush()\n"
    "a, b = producer('kfk-it-txn-a-'), producer('kfk-it-txn-b-')\n"
    "send(a, b'a-aborted-0')\n"
    "send(b, b'b-committed-0')\n"
    "send(a, b'a-aborted-1')\n"
    "b.commit_transaction()\n"
    "send(a, b'a-aborted-2')\n"
    "a.abort_transaction()\n"
    "b.begin_transaction()\n"
    "send(b, b'b-committed-1')\n"
    "b.commit_transaction()\n"
    "a.close()\n"
    "b.close()\n";

static bool have_kafka_python(void)
{
    return system("python3 -c 'import kafka' >/dev/null 2>&1") == 0;
}

static kfk_conf *conf_for(void)
{
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", ktest_bootstrap(), NULL, 0), 0);
    return conf;
}

static void create_topic(const char *name)
{
    char err[256];
    kfk_admin *a = kfk_admin_new(conf_for(), err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    kfk_new_topic *t = kfk_new_topic_new(name, 1, -1);
    kfk_admin_result *res;
    kfk_err e =
        kfk_admin_create_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &res);
    ck_assert_msg(e == KFK_OK, "create %s: %s", name, kfk_err_str(e));
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    kfk_admin_destroy(a);
}

static void delete_topic(const char *name)
{
    kfk_admin *a = kfk_admin_new(conf_for(), NULL, 0);
    kfk_admin_result *res;
    kfk_admin_delete_topics(a, &name, 1, &(kfk_admin_options){.timeout_ms = TIMEOUT_MS}, &res);
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}

/* Runs a producer script: python3 - BOOTSTRAP TOPIC. */
static void produce_transactions(const char *topic, const char *script)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "python3 - '%s' '%s'", ktest_bootstrap(), topic);
    FILE *py = popen(cmd, "w");
    ck_assert_ptr_nonnull(py);
    fputs(script, py);
    ck_assert_msg(pclose(py) == 0, "the transactional producer failed");
}

/* Reads the partition to its end and checks the values and, unless
 * offsets is NULL, the offsets; seen (if not NULL) gets the offsets read. */
static void expect_seen(const char *topic, const char *isolation, const char *const *values,
                        const int64_t *offsets, int n, int64_t *seen)
{
    kfk_conf *conf = conf_for();
    ck_assert_int_eq(kfk_conf_set(conf, "isolation.level", isolation, NULL, 0), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "fetch.max.wait.ms", "100", NULL, 0), 0);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    kfk_consumer_report_eof(c, true);
    ck_assert_int_eq(kpl_assign_one(c, topic, 0, KFK_OFFSET_BEGINNING), KFK_OK);
    int got = 0;
    for (;;) {
        kfk_message *m = kfk_consumer_poll(c, TIMEOUT_MS);
        ck_assert_msg(m != NULL, "%s: no end after %d records", isolation, got);
        kfk_err e = kfk_message_error(m);
        if (e == KFK_ERR_PARTITION_EOF) {
            kfk_message_release(m);
            break;
        }
        ck_assert_msg(e == KFK_OK, "%s", kfk_err_str(e));
        ck_assert_int_lt(got, n);
        size_t len;
        const char *v = kfk_message_value(m, &len);
        ck_assert_msg(len == strlen(values[got]) && !memcmp(v, values[got], len),
                      "%s: record %d is %.*s", isolation, got, (int)len, v);
        if (offsets) ck_assert_int_eq(kfk_message_offset(m), offsets[got]);
        if (seen) seen[got] = kfk_message_offset(m);
        got++;
        kfk_message_release(m);
    }
    ck_assert_int_eq(got, n);
    kfk_consumer_destroy(c);
}

static void expect(const char *topic, const char *isolation, const char *const *values,
                   const int64_t *offsets, int n)
{
    expect_seen(topic, isolation, values, offsets, n, NULL);
}

START_TEST(test_read_committed_skips_aborted_transactions)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "txn");
    create_topic(topic);
    produce_transactions(topic, simple_script);
    /* Offsets 3 and 6 are the ABORT and COMMIT markers. */
    const char *committed[] = {"committed-0", "committed-1"};
    const int64_t committed_off[] = {4, 5};
    expect(topic, "read_committed", committed, committed_off, 2);
    const char *all[] = {"aborted-0", "aborted-1", "aborted-2", "committed-0", "committed-1"};
    const int64_t all_off[] = {0, 1, 2, 4, 5};
    expect(topic, "read_uncommitted", all, all_off, 5);
    delete_topic(topic);
}
END_TEST

START_TEST(test_read_committed_skips_interleaved_aborted_transactions)
{
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "txn2");
    create_topic(topic);
    produce_transactions(topic, interleaved_script);
    /* Where the markers land depends on when the coordinator writes them
     * (after commit_transaction returns, on a real broker), so the offsets
     * come from the read_uncommitted pass; read_committed must give b's
     * records at those same offsets and none of a's. */
    const char *all[] = {"a-aborted-0", "b-committed-0", "a-aborted-1", "a-aborted-2",
                         "b-committed-1"};
    int64_t all_off[5];
    expect_seen(topic, "read_uncommitted", all, NULL, 5, all_off);
    const char *committed[] = {"b-committed-0", "b-committed-1"};
    const int64_t committed_off[] = {all_off[1], all_off[4]};
    expect(topic, "read_committed", committed, committed_off, 2);
    delete_topic(topic);
}
END_TEST

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    if (!have_kafka_python()) {
        fprintf(stderr, "consumer_txn: kafka-python is missing (make deps installs it)\n");
        return 1;
    }
    Suite *s = suite_create("consumer_txn");
    TCase *tc = tcase_create("kafka");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_read_committed_skips_aborted_transactions);
    tcase_add_test(tc, test_read_committed_skips_interleaved_aborted_transactions);
    suite_add_tcase(s, tc);
    return ktest_run(s);
}
