/* kfk's share consumer and the Apache Kafka Java client's KafkaShareConsumer
 * in one share group (KIP-932; real Kafka only): they split the records of
 * a 2-partition topic, each getting some, and between them process every
 * record exactly once, accepting each. The Java member is
 * tools/golden/JavaShareConsumer.java, compiled with javac against the
 * broker's jars (tools/kafka fetch) into $BUILD/java; it prints each
 * record it accepted as PARTITION:OFFSET:VALUE. Records are produced in
 * waves while both are members until each has had some (which member a
 * partition's records go to is the broker's choice), then the rest is
 * drained. The group starts at the log's start
 * (share.auto.offset.reset=earliest), so no record is produced before the
 * group can see it. A missing JDK or missing jars fail the test. */
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
#include "kjava.h"
#include "kwire_client.h"

#define TIMEOUT_MS 40000 /* a deadline: 10 s with 5 s heartbeats on a loaded machine */
#define MAX_IDS 4000

/* --- the Java member ------------------------------------------------------------------------ */

typedef struct java {
    pid_t pid;
    int out, in; /* its stdout, its stdin */
    char buf[4096];
    size_t n;
    bool eof;
} java;

static void java_start(java *j, const char *group, const char *topic)
{
    int out[2], in[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
    const char *cp = kjava_classpath();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(in[0], STDIN_FILENO);
        execlp("java", "java", "-cp", cp, "-Dlog4j2.level=WARN", "JavaShareConsumer",
               ktest_bootstrap(), group, topic, "30000", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(in[0]);
    *j = (java){.pid = pid, .out = out[0], .in = in[1]};
    /* Our end of its stdin must not hold up the write of "stop". */
    signal(SIGPIPE, SIG_IGN);
}

typedef struct tally {
    int seen[MAX_IDS];
    int kfk, java;
    bool polled;
} tally;

/* One line of the Java member: "polled" (its first poll returned: it has
 * asked to join), or a record it accepted. Other lines (the client's log)
 * are shown and skipped. */
static void java_line(tally *t, const char *line)
{
    int part, id;
    long long off;
    if (strcmp(line, "polled") == 0) {
        t->polled = true;
        return;
    }
    if (sscanf(line, "%d:%lld:%d", &part, &off, &id) != 3) {
        fprintf(stderr, "java: %s\n", line);
        return;
    }
    ck_assert_msg(id >= 0 && id < MAX_IDS, "java got record id %d", id);
    ck_assert_msg(part == id % 2, "java got record %d from partition %d", id, part);
    t->seen[id]++;
    t->java++;
}

/* Reads what the Java member printed, waiting up to timeout_ms for
 * something; sets j->eof when it closed its stdout (it exited). */
static void java_read(java *j, tally *t, int timeout_ms)
{
    struct pollfd p = {j->out, POLLIN, 0};
    if (j->eof || poll(&p, 1, timeout_ms) <= 0) return;
    ssize_t got = read(j->out, j->buf + j->n, sizeof(j->buf) - 1 - j->n);
    if (got <= 0) {
        ck_assert_msg(got == 0 || errno == EINTR, "reading java: %s", strerror(errno));
        j->eof = got == 0;
        return;
    }
    j->n += (size_t)got;
    j->buf[j->n] = '\0';
    char *start = j->buf, *nl;
    while ((nl = strchr(start, '\n'))) {
        *nl = '\0';
        java_line(t, start);
        start = nl + 1;
    }
    j->n -= (size_t)(start - j->buf);
    memmove(j->buf, start, j->n);
    ck_assert_msg(j->n < sizeof(j->buf) - 1, "a java line without end");
}

/* Tells the Java member to stop and waits for it to exit 0, reading what
 * it prints until then. */
static void java_stop(java *j, tally *t)
{
    ck_assert_int_eq(write(j->in, "stop\n", 5), 5);
    int64_t end = kclus_now_ms() + TIMEOUT_MS;
    while (!j->eof) {
        int64_t left = end - kclus_now_ms();
        ck_assert_msg(left > 0, "JavaShareConsumer did not exit within %d ms", TIMEOUT_MS);
        java_read(j, t, (int)left);
    }
    int st;
    ck_assert_int_eq(waitpid(j->pid, &st, 0), j->pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "JavaShareConsumer ended with %d", st);
    close(j->out);
    close(j->in);
}

/* --- the test ------------------------------------------------------------------------------- */

/* Takes what sc has, accepting it at the next poll (implicit mode). */
static void drain(kfk_share_consumer *sc, tally *t, int timeout_ms)
{
    kfk_message *m;
    while ((m = kfk_share_consumer_poll(sc, timeout_ms))) {
        ck_assert_int_eq(kfk_message_error(m), KFK_OK);
        int id = kclus_record_id(m);
        ck_assert_msg(id >= 0 && id < MAX_IDS, "kfk got record id %d", id);
        ck_assert_msg(kfk_message_partition(m) == id % 2, "kfk got record %d from partition %d", id,
                      (int)kfk_message_partition(m));
        t->seen[id]++;
        t->kfk++;
        kfk_message_release(m);
    }
    kfk_err err = kfk_share_consumer_poll_error(sc);
    ck_assert_msg(err == KFK_OK, "poll: %s: %s", kfk_err_name(err),
                  kfk_share_consumer_last_error(sc));
}

static int distinct(const tally *t, int produced)
{
    int n = 0;
    for (int id = 0; id < produced; id++)
        n += t->seen[id] > 0;
    return n;
}

START_TEST(test_kfk_and_java_split_a_share_group_s_records)
{
    enum { PARTS = 2, WAVE = 10 };
    char topic[128], group[160];
    ktest_unique_topic(topic, sizeof(topic), "sharejava");
    snprintf(group, sizeof(group), "%s-g", topic);
    kjava_build("JavaShareConsumer");
    kclus_create_topic(NULL, topic, PARTS, -1);
    kclus_set_group_configs(NULL, group,
                            (const char *const[]){"share.auto.offset.reset", "earliest", NULL});

    /* Java first: its JVM takes a while to start, and a member that joins
     * after the other was given both partitions gets one only when the
     * other heartbeats again (group.share.heartbeat.interval.ms: 5 s by
     * default, 500 ms as tools/kafka starts brokers). */
    int64_t t0 = kclus_now_ms(), end = t0 + TIMEOUT_MS;
    static java j;
    java_start(&j, group, topic);
    tally *t = calloc(1, sizeof(*t));
    while (!t->polled) {
        ck_assert_msg(kclus_now_ms() < end, "JavaShareConsumer did not poll in time");
        ck_assert_msg(!j.eof, "JavaShareConsumer exited early");
        java_read(&j, t, 200);
    }
    int64_t polled_ms = kclus_now_ms() - t0;
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "max.poll.records", "10");
    char err[256];
    kfk_share_consumer *sc = kfk_share_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(sc, "kfk_share_consumer_new: %s", err);
    const char *topics[] = {topic};
    ck_assert_int_eq(kfk_share_consumer_subscribe(sc, topics, 1), KFK_OK);

    /* Waves until each member had records, then the rest. */
    int produced = 0, waves = 0;
    while (!(t->kfk && t->java) || distinct(t, produced) < produced) {
        ck_assert_msg(kclus_now_ms() < end, "kfk got %d, java %d (%s); %d of %d records", t->kfk,
                      t->java, t->polled ? "polled" : "not polled", distinct(t, produced),
                      produced);
        ck_assert_msg(!j.eof, "JavaShareConsumer exited early");
        if (!(t->kfk && t->java) && produced + WAVE <= MAX_IDS) {
            kclus_produce(NULL, topic, PARTS, produced, WAVE);
            produced += WAVE;
            waves++;
        }
        drain(sc, t, 100);
        java_read(&j, t, 100);
    }
    int64_t done_ms = kclus_now_ms() - t0;
    ck_assert_int_eq(kfk_share_consumer_commit_sync(sc, TIMEOUT_MS), KFK_OK);
    java_stop(&j, t);
    int64_t stopped_ms = kclus_now_ms() - t0;
    /* Nothing comes again: every record was accepted. */
    drain(sc, t, 300);
    for (int id = 0; id < produced; id++)
        ck_assert_msg(t->seen[id] == 1, "record %d processed %d times", id, t->seen[id]);
    ck_assert_int_eq(kfk_share_consumer_close(sc, TIMEOUT_MS), KFK_OK);
    kfk_share_consumer_destroy(sc);
    printf("NOTE: share kfk+java: %d records in %d waves; kfk got %d, java %d; java polled at "
           "%lld ms, all records in at %lld, java gone at %lld, done at %lld ms\n",
           produced, waves, t->kfk, t->java, (long long)polled_ms, (long long)done_ms,
           (long long)stopped_ms, (long long)(kclus_now_ms() - t0));
    free(t);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *share_java_suite(void)
{
    Suite *s = suite_create("share_java");
    TCase *tc = tcase_create("java");
    /* javac on first use, a JVM start and two joins. */
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_kfk_and_java_split_a_share_group_s_records);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    if (kclus_is_mock()) {
        printf("SKIP: real Kafka only (interoperation with the Java client's share consumer)\n");
        return KTEST_SKIP;
    }
    return ktest_run(share_java_suite());
}
