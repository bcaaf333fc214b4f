/* A share consumer lost while it holds records (KIP-932), against a
 * cluster (KFK_TEST_BOOTSTRAP: the mock, then real Kafka).
 *
 * A child process (this binary again, run with --hold) joins the share
 * group, is handed the first record of the batch its ShareFetch acquired
 * (max.poll.records 5, batches of 5 records: the batch is 5 records), says
 * which through a pipe and waits, acknowledging nothing. The test then
 * kills it (SIGKILL) or freezes it (SIGSTOP: its connections stay open, it
 * sends nothing more). Two share consumers of the same group in the test
 * process must get every record of the topic: the lost member's batch
 * with delivery count 2, the others with count 1, and, accepting each,
 * process every record exactly once. Records come back when their
 * acquisition lock passes; Kafka 4.3.1 also gives a member's records back
 * at once when its connection closes, so only the frozen member shows the
 * lock at work there. The group's share.record.lock.duration.ms is set to
 * 2 s and its share.auto.offset.reset to earliest with
 * IncrementalAlterConfigs before anyone joins (a broker allows a lock this
 * short only with group.share.min.record.lock.duration.ms <= 2000, which
 * tools/kafka sets). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "kclus.h"
#include "kfk.h"

#define TIMEOUT_MS 25000
#define LOCK_MS "2000"

/* --- the child: hold records, then wait to be killed ----------------------------------------- */

static int hold_fail(const char *what, const char *why)
{
    fprintf(stderr, "share_consumer_kill_test --hold: %s: %s\n", what, why);
    return 2;
}

/* Runs in the exec'd child, outside Check: no ck_assert here. Writes
 * "held ID DELIVERY_COUNT\n" to stdout for the first record it is handed,
 * then sleeps until killed (or its stdin closes). */
static int hold_main(const char *group, const char *topic)
{
    char err[256];
    kfk_conf *conf = kfk_conf_new();
    const char *bootstrap = getenv("KFK_TEST_BOOTSTRAP");
    if (!conf || !bootstrap) return hold_fail("setup", "no KFK_TEST_BOOTSTRAP");
    const char *kv[][2] = {{"bootstrap.servers", bootstrap},
                           {"group.id", group},
                           {"share.acknowledgement.mode", "explicit"},
                           {"max.poll.records", "5"}};
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        if (kfk_conf_set(conf, kv[i][0], kv[i][1], err, sizeof(err)) != KFK_OK)
            return hold_fail(kv[i][0], err);
    kfk_share_consumer *sc = kfk_share_consumer_new(conf, err, sizeof(err));
    if (!sc) return hold_fail("kfk_share_consumer_new", err);
    const char *topics[] = {topic};
    if (kfk_share_consumer_subscribe(sc, topics, 1) != KFK_OK)
        return hold_fail("subscribe", kfk_share_consumer_last_error(sc));
    kfk_message *m = NULL;
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    while (!m && kclus_now_ms() < end) {
        m = kfk_share_consumer_poll(sc, 500);
        if (!m && kfk_share_consumer_poll_error(sc) != KFK_OK)
            return hold_fail("poll", kfk_share_consumer_last_error(sc));
    }
    if (!m) return hold_fail("poll", "no record came");
    if (kfk_message_error(m) != KFK_OK)
        return hold_fail("record", kfk_err_str(kfk_message_error(m)));
    printf("held %d %d\n", kclus_record_id(m), (int)kfk_message_delivery_count(m));
    fflush(stdout);
    /* Neither acknowledged nor closed: what it acquired stays locked to
     * it until the kill (or the test going away closes stdin). */
    for (;;) {
        char c;
        ssize_t r = read(STDIN_FILENO, &c, 1);
        if (r == 0 || (r < 0 && errno != EINTR)) return 0;
    }
}

/* --- the test ------------------------------------------------------------------------------- */

static const char *self_exe;

typedef struct child {
    pid_t pid;
    int out; /* its stdout */
    int in;  /* its stdin */
} child;

static child hold_start(const char *group, const char *topic)
{
    int out[2], in[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(in[0], STDIN_FILENO);
        execl(self_exe, self_exe, "--hold", group, topic, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(in[0]);
    return (child){pid, out[0], in[1]};
}

/* Reads the child's "held ID COUNT" line, within TIMEOUT_MS. */
static void hold_await(child *c, int *id, int *count)
{
    char line[64];
    size_t n = 0;
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    while (!memchr(line, '\n', n)) {
        int64_t left = end - kclus_now_ms();
        ck_assert_msg(left > 0, "the child said nothing within %d ms", TIMEOUT_MS);
        struct pollfd p = {c->out, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0) continue;
        ssize_t got = read(c->out, line + n, sizeof(line) - 1 - n);
        ck_assert_msg(got > 0, "the child exited before holding a record (see its stderr)");
        n += (size_t)got;
        ck_assert_uint_lt(n, sizeof(line) - 1);
    }
    line[n] = '\0';
    ck_assert_msg(sscanf(line, "held %d %d", id, count) == 2, "child said: %s", line);
}

static void hold_kill(child *c)
{
    ck_assert_int_eq(kill(c->pid, SIGKILL), 0);
    int st;
    ck_assert_int_eq(waitpid(c->pid, &st, 0), c->pid);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the child ended otherwise: %d", st);
    close(c->out);
    close(c->in);
}

/* Freezes the child: its connections stay open, it sends nothing more. */
static void hold_stop(child *c)
{
    ck_assert_int_eq(kill(c->pid, SIGSTOP), 0);
    int st;
    ck_assert_int_eq(waitpid(c->pid, &st, WUNTRACED), c->pid);
    ck_assert_msg(WIFSTOPPED(st), "the child did not stop: %d", st);
}

static kfk_share_consumer *member_new(const char *group, const char *topic)
{
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "max.poll.records", "5");
    char err[256];
    kfk_share_consumer *sc = kfk_share_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(sc, "kfk_share_consumer_new: %s", err);
    const char *topics[] = {topic};
    ck_assert_int_eq(kfk_share_consumer_subscribe(sc, topics, 1), KFK_OK);
    return sc;
}

typedef struct tally {
    int n;
    int seen[64];  /* times each record came */
    int count[64]; /* its delivery count, when it came */
    int redelivered;
    int64_t first_redelivery_ms; /* since the child said what it held */
} tally;

/* Takes what sc has (implicit mode accepts each at the next poll). */
static void drain(kfk_share_consumer *sc, tally *t, int64_t killed_ms, int timeout_ms)
{
    kfk_message *m;
    while ((m = kfk_share_consumer_poll(sc, timeout_ms))) {
        ck_assert_int_eq(kfk_message_error(m), KFK_OK);
        int id = kclus_record_id(m), dc = kfk_message_delivery_count(m);
        ck_assert_msg(id >= 0 && id < t->n, "record id %d", id);
        ck_assert_msg(dc == 1 || dc == 2, "record %d with delivery count %d", id, dc);
        t->seen[id]++;
        t->count[id] = dc;
        if (dc == 2 && t->redelivered++ == 0) t->first_redelivery_ms = kclus_now_ms() - killed_ms;
        kfk_message_release(m);
    }
    kfk_err err = kfk_share_consumer_poll_error(sc);
    ck_assert_msg(err == KFK_OK, "poll: %s: %s", kfk_err_name(err),
                  kfk_share_consumer_last_error(sc));
}

/* _i 0: the child is killed (SIGKILL) at once; Kafka may give its records
 * back as its connections close. _i 1: it is frozen (SIGSTOP), its
 * connections open, and killed only at the end: its records can come
 * back only when their lock passes. */
START_TEST(test_records_of_a_killed_member_come_again_to_the_others)
{
    enum { N = 40, BATCH = 5, MEMBERS = 2 };
    bool frozen = _i == 1;
    char topic[128], group[160];
    ktest_unique_topic(topic, sizeof(topic), frozen ? "sharestop" : "sharekill");
    snprintf(group, sizeof(group), "%s-g", topic);
    kclus_create_topic(NULL, topic, 1, -1);
    kclus_set_group_configs(NULL, group,
                            (const char *const[]){"share.record.lock.duration.ms", LOCK_MS,
                                                  "share.auto.offset.reset", "earliest", NULL});
    /* Small batches: a share fetch acquires whole batches. */
    for (int i = 0; i < N; i += BATCH)
        kclus_produce(NULL, topic, 1, i, BATCH);

    /* The others join now, in the background, and fetch nothing until
     * the child is out of the way. */
    int64_t t0 = kclus_now_ms();
    kfk_share_consumer *scs[MEMBERS];
    for (int i = 0; i < MEMBERS; i++)
        scs[i] = member_new(group, topic);
    child c = hold_start(group, topic);
    int held, held_count;
    hold_await(&c, &held, &held_count);
    int64_t held_ms = kclus_now_ms();
    ck_assert_msg(held >= 0 && held < N, "the child held record %d", held);
    ck_assert_int_eq(held_count, 1);
    if (frozen)
        hold_stop(&c);
    else
        hold_kill(&c);

    tally t = {.n = N};
    int distinct = 0;
    int64_t end = held_ms + TIMEOUT_MS;
    while (distinct < N) {
        ck_assert_msg(kclus_now_ms() < end, "%d of %d records came back; record %d %s", distinct, N,
                      held, t.seen[held] ? "did" : "did not");
        for (int i = 0; i < MEMBERS; i++)
            drain(scs[i], &t, held_ms, 50);
        distinct = 0;
        for (int id = 0; id < N; id++)
            distinct += t.seen[id] > 0;
    }
    for (int i = 0; i < MEMBERS; i++)
        ck_assert_int_eq(kfk_share_consumer_commit_sync(scs[i], TIMEOUT_MS), KFK_OK);
    for (int id = 0; id < N; id++)
        ck_assert_msg(t.seen[id] == 1, "record %d processed %d times", id, t.seen[id]);
    /* Its batch came again, and nothing else did. */
    for (int id = 0; id < N; id++) {
        int want = id / BATCH == held / BATCH ? 2 : 1;
        ck_assert_msg(t.count[id] == want,
                      "record %d came with delivery count %d (the lost member "
                      "was handed record %d)",
                      id, t.count[id], held);
    }
    /* The frozen member's records waited for their lock (2 s from when it
     * acquired them, just before it said so). */
    if (frozen)
        ck_assert_msg(t.first_redelivery_ms >= 1000, "a held record came back after %lld ms",
                      (long long)t.first_redelivery_ms);
    /* Nothing comes again: every record was accepted (a record released
     * by mistake would be back within the 2 s lock at the latest). */
    for (int i = 0; i < MEMBERS; i++)
        drain(scs[i], &t, held_ms, 300);
    for (int id = 0; id < N; id++)
        ck_assert_msg(t.seen[id] == 1, "record %d came again", id);
    if (frozen) hold_kill(&c);
    for (int i = 0; i < MEMBERS; i++) {
        ck_assert_int_eq(kfk_share_consumer_close(scs[i], TIMEOUT_MS), KFK_OK);
        kfk_share_consumer_destroy(scs[i]);
    }
    printf("NOTE: share %s: %d records, %d came again (the lost member's), the first %lld ms "
           "after it went; it held a record %lld ms after joining\n",
           frozen ? "SIGSTOP" : "SIGKILL", N, t.redelivered, (long long)t.first_redelivery_ms,
           (long long)(held_ms - t0));
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *share_kill_suite(void)
{
    Suite *s = suite_create("share_consumer_kill");
    TCase *tc = tcase_create("kill");
    tcase_set_timeout(tc, 90);
    tcase_add_loop_test(tc, test_records_of_a_killed_member_come_again_to_the_others, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--hold") == 0) return hold_main(argv[2], argv[3]);
    self_exe = "/proc/self/exe";
    return ktest_run(share_kill_suite());
}
