/* Exactly-once copying under kills, on a real 3-node cluster
 * (tests/chaos/run): examples/eos copies n_records records of an input
 * topic to an output topic in transactions, while
 *   (a) the copying process is killed with kill -9 three times, each time
 *       started again (it goes on from the group's committed offsets, and
 *       its transactional.id fences what the dead one left open), and
 *   (b) the node that is the transaction coordinator of its
 *       transactional.id is killed with kill -9 and started again.
 * Then the output topic read with read_committed must hold every input
 * record exactly once, each output partition its input partition's records
 * in input order: nothing lost, nothing duplicated. */
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/kclus.h"
#include "../common/kcommitted.h"
#include "../common/kcoord.h"
#include "../common/kplist.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kwire_client.h"

#define N_PARTS 4
#define DOWN_MS 5000    /* the coordinator's node stays down this long */
#define STALL_MS 120000 /* no progress for this long fails the test */

extern char **environ;

/* Records to copy: KFK_CHAOS_EOS_RECORDS, else 1,000,000. */
static int n_records;
static char in[128], out[128], group[160];

static pid_t eos_start(void)
{
    char path[512];
    const char *build = getenv("BUILD");
    snprintf(path, sizeof(path), "%s/examples/eos", build ? build : "build");
    char *argv[] = {path,
                    "-b",
                    (char *)ktest_bootstrap(),
                    "-i",
                    in,
                    "-o",
                    out,
                    "-g",
                    group,
                    "-n",
                    "5000",
                    "-X",
                    "session.timeout.ms=6000",
                    "-X",
                    "group.protocol=classic",
                    NULL};
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, path, NULL, NULL, argv, environ), 0);
    return pid;
}

/* Records the group has committed for the input topic, all partitions. */
static int64_t committed(void)
{
    int64_t sum = 0;
    for (int p = 0; p < N_PARTS; p++) {
        int64_t off;
        kcommitted_epoch(ktest_bootstrap(), group, in, p, &off);
        if (off > 0) sum += off;
    }
    return sum;
}

/* Waits until the group committed at least n records. */
static void await_progress(int64_t n)
{
    int64_t last = -1, since = kclus_now_ms();
    for (int64_t now; (now = committed()) < n; kclus_nap(200)) {
        if (now != last) since = kclus_now_ms();
        last = now;
        ck_assert_msg(kclus_now_ms() - since < STALL_MS, "no progress for %d s at %lld of %lld",
                      STALL_MS / 1000, (long long)now, (long long)n);
    }
}

/* The node of the transaction coordinator of the copier's id. */
static int32_t txn_coordinator(void)
{
    char id[200];
    snprintf(id, sizeof(id), "%s-eos", group);
    mt_conn c;
    int32_t node = -1;
    kcoord_open(&c, NULL, 1, id, &node);
    mt_close(&c);
    return node;
}

static void load_input(void)
{
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "linger.ms", "20");
    char err[256];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    for (int i = 0; i < n_records; i++) {
        char v[16];
        int len = snprintf(v, sizeof(v), "%d", i);
        kfk_record r = {
            .topic = in, .partition = i % N_PARTS, .value = v, .value_len = (size_t)len};
        ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_OK);
    }
    ck_assert_int_eq(kfk_producer_close(p, 120000), KFK_OK);
}

/* Reads the output with read_committed: partition p must hold p, p + 4,
 * p + 8, ... once each, in that order, and nothing after them: the read
 * goes on to each partition's end (the copier has exited, so its last
 * transaction is committed and the end is final). */
static void check_output(void)
{
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "isolation.level", "read_committed");
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    kfk_consumer_report_eof(c, true);
    ck_assert_int_eq(kpl_assign(c, out, N_PARTS, KFK_OFFSET_BEGINNING), KFK_OK);
    int64_t next[N_PARTS];
    bool at_end[N_PARTS] = {false};
    for (int p = 0; p < N_PARTS; p++)
        next[p] = p;
    int64_t got = 0, deadline = kclus_now_ms() + STALL_MS;
    int ends = 0;
    kfk_message *msgs[1024];
    while (got < n_records || ends < N_PARTS) {
        ck_assert_msg(kclus_now_ms() < deadline, "read %lld of %d, %d partitions to their end",
                      (long long)got, n_records, ends);
        size_t n = kfk_consumer_poll_batch(c, msgs, 1024, 200);
        for (size_t i = 0; i < n; i++) {
            int p = kfk_message_partition(msgs[i]);
            kfk_err e = kfk_message_error(msgs[i]);
            if (e == KFK_ERR_PARTITION_EOF) {
                /* an end seen before the partition's last record is not its end */
                if (!at_end[p] && next[p] >= n_records) {
                    at_end[p] = true;
                    ends++;
                }
                kfk_message_release(msgs[i]);
                continue;
            }
            ck_assert_int_eq(e, KFK_OK);
            size_t len;
            const char *v = kfk_message_value(msgs[i], &len);
            long long x = strtoll(v, NULL, 10);
            ck_assert_msg(x == next[p], "partition %d: record %lld where %lld was due (%s)", p, x,
                          (long long)next[p],
                          x < next[p]      ? "a duplicate"
                          : x >= n_records ? "one too many"
                                           : "records lost");
            next[p] += N_PARTS;
            got++;
            kfk_message_release(msgs[i]);
        }
    }
    kfk_consumer_destroy(c);
}

START_TEST(test_copies_exactly_once_through_kills)
{
    ktest_unique_topic(in, sizeof(in), "eos-in");
    ktest_unique_topic(out, sizeof(out), "eos-out");
    snprintf(group, sizeof(group), "%s-g", in);
    kclus_create_topic(NULL, in, N_PARTS, 3);
    kclus_create_topic(NULL, out, N_PARTS, 3);
    load_input();
    pid_t pid = eos_start();
    int kills = 0;
    for (int k = 1; k <= 3; k++) { /* (a) the copier dies three times */
        await_progress((int64_t)n_records * k / 8);
        ck_assert_int_eq(kill(pid, SIGKILL), 0);
        waitpid(pid, NULL, 0);
        kills++;
        pid = eos_start();
    }
    await_progress((int64_t)n_records / 2); /* (b) then its coordinator's node */
    int32_t node = txn_coordinator();
    fprintf(stderr, "NOTE: eos_restart: killing node %d, the transaction coordinator\n", node);
    ck_assert_int_eq(kclus_kafka("kill", node), 0);
    struct timespec down = {DOWN_MS / 1000, 0};
    nanosleep(&down, NULL); /* the fault lasts this long: not a synchronisation */
    ck_assert_int_eq(kclus_kafka("restart", node), 0);
    await_progress(n_records);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    int status;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "eos: status %d", status);
    check_output();
    fprintf(stderr,
            "NOTE: eos_restart: %d records copied exactly once through %d kills of the copier "
            "and one of the coordinator's node; 0 lost, 0 duplicated\n",
            n_records, kills);
    kclus_delete_topic(NULL, in);
    kclus_delete_topic(NULL, out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("eos_restart");
    TCase *tc = tcase_create("eos");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_copies_exactly_once_through_kills);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *n = getenv("KFK_CHAOS_EOS_RECORDS");
    n_records = n ? atoi(n) : 1000000;
    if (n_records < 1000) n_records = 1000;
    return ktest_run(suite());
}
