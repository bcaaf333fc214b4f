/* A classic consumer group of two kfk members and two kafka-python members
 * (tests/integration/consumer_mixed.py, kafka-python 3.0.12 from
 * tests/requirements.txt), all with the range assignor: whichever member
 * leads, the Java-compatible assignor name and wire format let them agree.
 * Run twice: the python members join first (one of them leads and assigns
 * to kfk), then the kfk members first (a kfk member leads: the first to
 * join stays the leader through later rebalances).
 * Checks that the four members share the 12 partitions exactly once, each
 * with a range of 3 consecutive ones (what RangeAssignor gives 4 members),
 * and that the records produced afterwards are each consumed exactly once,
 * by the member that owns the partition. Real Kafka and the mock. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kmember.h"
#include "kwire_client.h"

#define NPARTS 12
#define RECORDS 1200
#define N_KFK 2
#define N_PY 2
#define MEMBERS (N_KFK + N_PY)
#define SETTLE_MS 60000

typedef struct member {
    int id;
    kmember k; /* kfk members */
    pid_t pid; /* python members: the process, its pipes */
    int from, to;
    char buf[8192];
    size_t len;
    bool owned[NPARTS]; /* python members: as they report */
} member;

typedef struct world {
    member m[MEMBERS];
    int seen[NPARTS][RECORDS / NPARTS];
    int processed;
    const char *topic;
} world;

/* Whether member i owns partition p, as its callbacks or reports said. */
static bool owns(const world *w, int i, int p)
{
    if (i < N_KFK) return kmember_part_of(&w->m[i].k.st, w->topic, p).owned;
    return w->m[i].owned[p];
}

static void record(world *w, int who, int p, long long off, long long id)
{
    ck_assert_msg(p >= 0 && p < NPARTS && off >= 0 && off < RECORDS / NPARTS,
                  "member %d: %d/%lld out of range", who, p, off);
    ck_assert_msg(owns(w, who, p), "member %d: a record of partition %d it does not own", who, p);
    ck_assert_msg(id == off * NPARTS + p, "member %d: %d/%lld holds record %lld", who, p, off, id);
    ck_assert_msg(w->seen[p][off] == 0, "member %d: %d/%lld consumed twice", who, p, off);
    w->seen[p][off]++;
    w->processed++;
}

static void set_owned(member *m, int p, bool on, char what)
{
    ck_assert(p >= 0 && p < NPARTS);
    ck_assert_msg(m->owned[p] != on, "member %d: %c of partition %d", m->id, what, p);
    m->owned[p] = on;
}

/* --- kfk members -------------------------------------------------------------------- */

/* Commits before the partitions move; every partition is the topic's. */
static void on_rebalance(kmember *k, kfk_rebalance_event ev, const kfk_partition_list *parts)
{
    member *m = k->o.opaque;
    for (size_t i = 0; i < kfk_partition_list_count(parts); i++) {
        int32_t p = kfk_partition_list_partition(parts, i);
        ck_assert_msg(p >= 0 && p < NPARTS, "member %d: partition %d", m->id, p);
    }
    if (ev == KFK_REBALANCE_REVOKED) {
        kfk_err e = kfk_consumer_commit(k->c, NULL, 0);
        ck_assert_msg(e == KFK_OK, "member %d: commit on revoke: %s", m->id, kfk_err_str(e));
    }
}

static void kfk_member_start(member *m, const char *group, const char *topic)
{
    static const char *const kv[][2] = {
        {"group.protocol", "classic"},     {"partition.assignment.strategy", "range"},
        {"auto.offset.reset", "earliest"}, {"enable.auto.commit", "false"},
        {"fetch.max.wait.ms", "100"},      {NULL},
    };
    kmember_start(&m->k, kmember_conf(NULL, group, kv, NULL),
                  &(kmember_opts){.topic = topic, .on_rebalance = on_rebalance, .opaque = m});
}

static void kfk_member_drain(world *w, member *m)
{
    kfk_message *msgs[64];
    size_t n = kfk_consumer_poll_batch(m->k.c, msgs, 64, 20);
    kmember_check(&m->k);
    for (size_t i = 0; i < n; i++) {
        kfk_err e = kfk_message_error(msgs[i]);
        ck_assert_msg(e == KFK_OK, "member %d: poll: %s", m->id, kfk_err_str(e));
        record(w, m->id, kfk_message_partition(msgs[i]), kfk_message_offset(msgs[i]),
               kclus_record_id(msgs[i]));
        kfk_message_release(msgs[i]);
    }
    if (n) {
        kfk_err e = kfk_consumer_commit(m->k.c, NULL, 0);
        ck_assert_msg(e == KFK_OK, "member %d: commit: %s", m->id, kfk_err_str(e));
    }
}

/* --- python members ------------------------------------------------------------------- */

static void py_member_start(member *m, const char *group, const char *topic)
{
    int up[2], down[2];
    ck_assert_int_eq(pipe2(up, O_CLOEXEC), 0); /* no other child inherits them */
    ck_assert_int_eq(pipe2(down, O_CLOEXEC), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(down[0], 0);
        dup2(up[1], 1);
        close(up[0]);
        close(up[1]);
        close(down[0]);
        close(down[1]);
        execlp("python3", "python3", "tests/integration/consumer_mixed.py",
               getenv("KFK_TEST_BOOTSTRAP"), topic, group, (char *)NULL);
        _exit(127);
    }
    close(up[1]);
    close(down[0]);
    m->pid = pid;
    m->from = up[0];
    m->to = down[1];
    fcntl(m->from, F_SETFL, O_NONBLOCK);
}

/* Lets it join the group. */
static void py_member_go(member *m)
{
    ck_assert_int_eq(write(m->to, "go\n", 3), 3);
}

static void py_line(world *w, member *m, char *line)
{
    char *end;
    if (line[0] == 'A' || line[0] == 'R') {
        for (char *s = line + 1;; s = end) {
            long p = strtol(s, &end, 10);
            if (end == s) break;
            set_owned(m, (int)p, line[0] == 'A', line[0]);
        }
        return;
    }
    long long p, off, id;
    ck_assert_msg(line[0] == 'M' && sscanf(line + 1, "%lld %lld %lld", &p, &off, &id) == 3,
                  "python member %d: %s", m->id, line);
    record(w, m->id, (int)p, off, id);
}

static void py_member_read(world *w, member *m)
{
    for (;;) {
        ssize_t n = read(m->from, m->buf + m->len, sizeof(m->buf) - m->len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n == 0) {
            int status;
            pid_t done = waitpid(m->pid, &status, WNOHANG);
            ck_assert_msg(done != m->pid, "python member %d exited (status %d); stderr above",
                          m->id, status);
            return;
        }
        ck_assert_int_gt(n, 0);
        m->len += (size_t)n;
        m->buf[m->len] = '\0';
        char *start = m->buf, *nl;
        while ((nl = strchr(start, '\n'))) {
            *nl = '\0';
            py_line(w, m, start);
            start = nl + 1;
        }
        m->len -= (size_t)(start - m->buf);
        memmove(m->buf, start, m->len);
    }
}

/* Closes its stdin: it leaves the group and exits. */
static void py_member_stop(member *m)
{
    close(m->to);
    int64_t deadline = kclus_now_ms() + 30000;
    int status = 0;
    while (waitpid(m->pid, &status, WNOHANG) == 0) {
        if (kclus_now_ms() > deadline) {
            kill(m->pid, SIGKILL);
            waitpid(m->pid, &status, 0);
            ck_abort_msg("python member %d did not exit", m->id);
        }
        kclus_nap(50);
    }
    close(m->from);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "python member %d: status %d",
                  m->id, status);
}

/* --- the test ----------------------------------------------------------------------------- */

static void poll_all(world *w)
{
    for (int i = 0; i < MEMBERS; i++) {
        if (i >= N_KFK)
            py_member_read(w, &w->m[i]);
        else if (w->m[i].k.c) /* started */
            kfk_member_drain(w, &w->m[i]);
    }
}

/* Every partition has one owner, among members [lo, hi), and each of
 * them a range of NPARTS / (hi - lo) consecutive partitions. */
static bool range_shared(const world *w, int lo, int hi)
{
    for (int p = 0; p < NPARTS; p++) {
        int owners = 0;
        for (int i = 0; i < MEMBERS; i++)
            owners += owns(w, i, p);
        if (owners != 1) return false;
    }
    for (int i = lo; i < hi; i++) {
        int first = -1, n = 0;
        for (int p = 0; p < NPARTS; p++)
            if (owns(w, i, p)) {
                if (first < 0) first = p;
                if (p != first + n) return false; /* not consecutive */
                n++;
            }
        if (n != NPARTS / (hi - lo)) return false;
    }
    return true;
}

START_TEST(test_kfk_and_kafka_python_share_partitions_by_range)
{
    char topic[128], group[160];
    ktest_unique_topic(topic, sizeof(topic), "mixed");
    snprintf(group, sizeof(group), "%s-g", topic);
    kclus_create_topic(NULL, topic, NPARTS, -1);
    static world w;
    memset(&w, 0, sizeof(w));
    w.topic = topic;
    for (int i = 0; i < MEMBERS; i++)
        w.m[i].id = i;
    /* Fork the python members before kfk starts threads here. */
    for (int i = N_KFK; i < MEMBERS; i++)
        py_member_start(&w.m[i], group, topic);
    int64_t deadline = kclus_now_ms() + SETTLE_MS;
    if (_i == 0) { /* the python members form the group, then kfk joins */
        /* One at a time: the first forms the group alone and leads it
         * through the later rebalances. (consumer_mixed.py has each learn
         * the topic's partitions before it joins: kafka-python 3.0.12
         * loses for good a join its leader starts on new metadata if
         * poll() times out meanwhile.) */
        for (int i = N_KFK; i < MEMBERS; i++) {
            py_member_go(&w.m[i]);
            while (!range_shared(&w, N_KFK, i + 1)) {
                ck_assert_msg(kclus_now_ms() < deadline,
                              "the python members did not share the topic");
                poll_all(&w);
            }
        }
    }
    for (int i = 0; i < N_KFK; i++)
        kfk_member_start(&w.m[i], group, topic);
    if (_i == 1) { /* the kfk members form the group, then python joins */
        while (!range_shared(&w, 0, N_KFK)) {
            ck_assert_msg(kclus_now_ms() < deadline, "the kfk members did not share the topic");
            poll_all(&w);
        }
        for (int i = N_KFK; i < MEMBERS; i++)
            py_member_go(&w.m[i]);
    }
    while (!range_shared(&w, 0, MEMBERS)) {
        if (kclus_now_ms() > deadline) {
            char owners[NPARTS * 2 + 1] = "";
            for (int p = 0; p < NPARTS; p++) {
                char o = '-';
                for (int i = 0; i < MEMBERS; i++)
                    if (owns(&w, i, p)) o = o == '-' ? (char)('0' + i) : '*';
                owners[2 * p] = ' ';
                owners[2 * p + 1] = o;
            }
            ck_abort_msg("no range assignment after %d ms; owners by partition "
                         "(0-%d kfk, %d-%d python):%s",
                         SETTLE_MS, N_KFK - 1, N_KFK, MEMBERS - 1, owners);
        }
        poll_all(&w);
    }

    kclus_produce(NULL, topic, NPARTS, 0, RECORDS);
    deadline = kclus_now_ms() + SETTLE_MS;
    while (w.processed < RECORDS) {
        ck_assert_msg(kclus_now_ms() < deadline, "%d of %d records consumed", w.processed, RECORDS);
        poll_all(&w);
    }
    ck_assert_msg(range_shared(&w, 0, MEMBERS), "the assignment changed while consuming");
    for (int p = 0; p < NPARTS; p++)
        for (int off = 0; off < RECORDS / NPARTS; off++)
            ck_assert_int_eq(w.seen[p][off], 1);

    /* kfk members leave first: the python ones keep polling, so the
     * rebalances their leaving starts complete without the test's help. */
    for (int i = 0; i < N_KFK; i++) {
        kmember_close(&w.m[i].k);
        kmember_destroy(&w.m[i].k);
    }
    for (int i = N_KFK; i < MEMBERS; i++)
        py_member_stop(&w.m[i]);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *mixed_suite(void)
{
    Suite *s = suite_create("consumer_mixed_integration");
    TCase *tc = tcase_create("mixed");
    tcase_set_timeout(tc, 180);
    tcase_add_loop_test(tc, test_kfk_and_kafka_python_share_partitions_by_range, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    if (system("python3 -c 'import kafka' 2>/dev/null") != 0) {
        printf("SKIP: kafka-python is not installed (make deps installs tests/requirements.txt)\n");
        return KTEST_SKIP;
    }
    return ktest_run(mixed_suite());
}
