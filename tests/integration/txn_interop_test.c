/* Other clients read kfk's transactions (KFK_TEST_BOOTSTRAP: the mock,
 * then real Kafka): for every codec, a kfk transactional producer writes
 * an aborted transaction (sent, then aborted: its records and ABORT
 * markers are in the log) and a committed one over three partitions;
 * kafka-python (txn_interop.py) and kcat, both with
 * isolation.level=read_committed, must see exactly the committed records. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "../common/ktxn.h"
#include "kfk.h"

#define NP 3
#define N 90

static const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};

/* The topic holds N aborted and N committed records of kfk's. */
static void write_transactions(const char *topic, const char *codec)
{
    char id[192];
    snprintf(id, sizeof(id), "%s-id", topic);
    ktxn_reports rs = {0};
    const char *const settings[] = {"compression.type", codec, "linger.ms", "5", NULL};
    kfk_producer *p = ktxn_producer(NULL, id, &rs, true, settings);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, topic, NP, "aborted", N);
    ck_assert_int_eq(kfk_producer_flush(p, KTXN_TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(kfk_producer_abort_transaction(p, KTXN_TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_OK);
    ktxn_produce(p, topic, NP, "committed", N);
    ck_assert_int_eq(kfk_producer_commit_transaction(p, KTXN_TIMEOUT_MS), KFK_OK);
    ck_assert_int_eq(rs.ok, 2 * N);
    kfk_producer_destroy(p);
}

/* Runs cmd and counts the lines (or words of its one line) it prints. */
static void run(const char *cmd, int *committed, int *aborted)
{
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        int c, a;
        if (sscanf(line, "committed %d aborted %d", &c, &a) == 2) {
            *committed += c;
            *aborted += a;
        } else if (!strncmp(line, "committed-", 10)) {
            (*committed)++;
        } else if (!strncmp(line, "aborted-", 8)) {
            (*aborted)++;
        } else {
            fprintf(stderr, "%s: %s", cmd, line);
        }
    }
    ck_assert_msg(pclose(f) == 0, "%s failed", cmd);
}

START_TEST(test_others_read_committed_transactions)
{
    const char *codec = codecs[_i];
    char what[64], topic[160], cmd[1024];
    snprintf(what, sizeof(what), "txn-interop-%s", codec);
    ktest_unique_topic(topic, sizeof(topic), what);
    kclus_create_topic(NULL, topic, NP, -1);
    write_transactions(topic, codec);
    const char *bs = getenv("KFK_TEST_BOOTSTRAP");
    int c = 0, a = 0;
    snprintf(cmd, sizeof(cmd), "python3 tests/integration/txn_interop.py '%s' '%s'", bs, topic);
    run(cmd, &c, &a);
    ck_assert_msg(c == N && a == 0, "kafka-python read %d committed, %d aborted", c, a);
    c = a = 0;
    snprintf(cmd, sizeof(cmd),
             "kcat -C -b '%s' -t '%s' -X isolation.level=read_committed -o beginning -e -q "
             "-f '%%s\\n'",
             bs, topic);
    run(cmd, &c, &a);
    ck_assert_msg(c == N && a == 0, "kcat read %d committed, %d aborted", c, a);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("txn_interop_integration");
    TCase *tc = tcase_create("interop");
    tcase_set_timeout(tc, 180);
    tcase_add_loop_test(tc, test_others_read_committed_transactions, 0, 5);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
