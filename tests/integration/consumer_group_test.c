/* Consumer groups end to end, once per group protocol variant:
 * classic with the range assignor (eager), classic with cooperative-sticky
 * (KIP-429), and group.protocol=consumer (KIP-848). Three members share a
 * 12-partition topic; then one closes and one is killed with SIGKILL (it
 * runs in a forked child process, so it never sends LeaveGroup), and the
 * test checks at each step that:
 *   - every partition is assigned to exactly one member (as each member's
 *     rebalance callbacks tell it, and as kfk_consumer_assignment says);
 *   - the closed member's partitions move to the others at once, the
 *     killed member's after its session times out (classic:
 *     session.timeout.ms=6000, the broker's minimum by default; consumer:
 *     the broker's group.consumer.session.timeout.ms, 10 s on the shared
 *     test broker, 45 s by default);
 *   - with a synchronous commit after each processed batch and in the
 *     REVOKED callback, every record is processed exactly once across the
 *     rebalances (offsets tracked per partition), although the closing
 *     member still holds fetched records it never polled, and the killed
 *     one dies in the middle of its work (it processes slowly): only what
 *     it processed in its last, uncommitted batch may come again (from
 *     its last commit, at-least-once), nothing may be missing;
 *   - cooperative-sticky and KIP-848 never revoke a partition that stays:
 *     once the three members are settled, the survivors see no REVOKED
 *     (against the mock's KIP-848 assignor, which is not sticky, only no
 *     partition revoked and given back); the eager range assignor revokes
 *     the whole assignment instead.
 * Runs against the mock (tests/run-integration's mockd) and real Kafka. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#define PHASE 1200 /* records per phase: 100 per partition */
#define NPHASES 3
#define PER_PART (NPHASES * PHASE / NPARTS)
#define SETTLE_MS 90000 /* rebalances, and a killed member's session timeout */

typedef enum variant { V_RANGE, V_COOPERATIVE, V_CONSUMER, N_VARIANTS } variant;
static const char *const variant_names[N_VARIANTS] = {"classic/range", "classic/cooperative-sticky",
                                                      "consumer"};

/* --- configuration, usable in the forked child too (no ck_assert) ------------------ */

static kfk_conf *member_conf(variant v, const char *group, char *err, size_t errlen)
{
    const char *bootstrap = getenv("KFK_TEST_BOOTSTRAP");
    static const char *const common[][2] = {
        {"auto.offset.reset", "earliest"},
        {"enable.auto.commit", "false"},
        {"fetch.max.wait.ms", "100"},
    };
    kfk_conf *conf = kfk_conf_new();
    if (!conf || !bootstrap) return NULL;
    kfk_err e = kfk_conf_set(conf, "bootstrap.servers", bootstrap, err, errlen);
    if (!e) e = kfk_conf_set(conf, "group.id", group, err, errlen);
    for (size_t i = 0; !e && i < sizeof(common) / sizeof(common[0]); i++)
        e = kfk_conf_set(conf, common[i][0], common[i][1], err, errlen);
    if (!e && getenv("KFK_TEST_DEBUG")) e = kfk_conf_set(conf, "log.level", "debug", err, errlen);
    if (!e && v == V_CONSUMER) e = kfk_conf_set(conf, "group.protocol", "consumer", err, errlen);
    if (!e && v != V_CONSUMER) {
        e = kfk_conf_set(conf, "group.protocol", "classic", err, errlen);
        if (!e)
            e = kfk_conf_set(conf, "partition.assignment.strategy",
                             v == V_RANGE ? "range" : "cooperative-sticky", err, errlen);
        if (!e) e = kfk_conf_set(conf, "session.timeout.ms", "6000", err, errlen);
        if (!e) e = kfk_conf_set(conf, "heartbeat.interval.ms", "500", err, errlen);
    }
    if (e) {
        kfk_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

/* --- what the test saw: processed offsets and who owns what ------------------------ */

#define MEMBERS 3
#define CHILD 2 /* member 2 runs in a child process */

typedef struct member {
    int id;
    kmember k; /* members 0 and 1; k.c NULL once closed */
    const char *topic;
    int got;               /* records processed */
    kmember_state settled; /* the score when the step began */
    int commit_failures;
    kfk_err last_commit_err;
} member;

typedef struct world {
    member m[MEMBERS];
    int seen[NPARTS][PER_PART];        /* times each offset was processed */
    bool may_repeat[NPARTS][PER_PART]; /* the killed child's uncommitted batch */
    int processed;                     /* offsets processed at least once */
    int repeated;
    /* the child */
    pid_t pid;
    int from_child, to_child;
    char line[4096];
    size_t line_len;
    bool child_dead;
    bool child_owned[NPARTS];
    bool child_settled;         /* count its revocations from now on */
    int child_revoked_settled;  /* partitions revoked since settled */
    bool child_revoked[NPARTS]; /* which */
    int uncommitted[64][2]; /* the child's records processed since its last commit */
    int n_uncommitted;
    int child_phase3; /* records of the last phase the child processed */
} world;

/* Whether member i owns partition p, as its callbacks (or the child's
 * reports) said. */
static bool owns(const world *w, int i, int p)
{
    if (i == CHILD) return w->child_owned[p];
    return kmember_part_of(&w->m[i].k.st, w->m[i].topic, p).owned;
}

static void record(world *w, int who, int32_t p, int64_t off, int id)
{
    ck_assert_msg(p >= 0 && p < NPARTS && off >= 0 && off < PER_PART,
                  "member %d: partition %d offset %lld out of range", who, p, (long long)off);
    ck_assert_msg(id == off * NPARTS + p, "member %d: %d/%lld holds record %d", who, p,
                  (long long)off, id);
    ck_assert_msg(w->seen[p][off] == 0 || (w->seen[p][off] == 1 && w->may_repeat[p][off]),
                  "member %d: %d/%lld processed %d times", who, p, (long long)off,
                  w->seen[p][off] + 1);
    w->repeated += w->seen[p][off] > 0;
    w->processed += w->seen[p][off] == 0;
    w->seen[p][off]++;
}

/* Commits what m has processed; a failure is counted (a rebalance may be
 * completing) and the next commit or the REVOKED callback carries it. */
static void commit(member *m)
{
    kfk_err e = kfk_consumer_commit(m->k.c, NULL, 0);
    if (e) {
        m->commit_failures++;
        m->last_commit_err = e;
    }
}

/* Commits before the partitions move; every partition is of the topic. */
static void on_rebalance(kmember *k, kfk_rebalance_event ev, const kfk_partition_list *parts)
{
    member *m = k->o.opaque;
    for (size_t i = 0; i < kfk_partition_list_count(parts); i++)
        ck_assert_str_eq(kfk_partition_list_topic(parts, i), m->topic);
    if (ev == KFK_REBALANCE_REVOKED) {
        kfk_err e = kfk_consumer_commit(k->c, NULL, 0);
        ck_assert_msg(e == KFK_OK, "member %d: commit on revoke: %s", m->id, kfk_err_str(e));
    }
}

/* Polls m once: processes a batch and commits it. */
static void drain(world *w, member *m, int timeout_ms)
{
    kfk_message *msgs[64];
    size_t n = kfk_consumer_poll_batch(m->k.c, msgs, 64, timeout_ms);
    kmember_check(&m->k);
    for (size_t i = 0; i < n; i++) {
        kfk_err e = kfk_message_error(msgs[i]);
        ck_assert_msg(e == KFK_OK, "member %d: poll: %s", m->id, kfk_err_str(e));
        ck_assert_str_eq(kfk_message_topic(msgs[i]), m->topic);
        int32_t p = kfk_message_partition(msgs[i]);
        ck_assert_msg(p >= 0 && p < NPARTS && owns(w, m->id, p),
                      "member %d: a message of partition %d it does not own", m->id, p);
        record(w, m->id, p, kfk_message_offset(msgs[i]), kclus_record_id(msgs[i]));
        kfk_message_release(msgs[i]);
    }
    m->got += (int)n;
    if (n) commit(m);
}

/* --- the child member ------------------------------------------------------------------ */
/* It reports to the parent, one line each: "A p p ...", "R p p ...",
 * "L p p ..." for its rebalance events, "P p offset id" for each record
 * it processed, "C" once the batch of those is committed, "X why" when
 * it fails. */

typedef struct child {
    int out;
    kfk_consumer *c;
} child;

static void say(int fd, const char *line)
{
    size_t len = strlen(line);
    while (len) {
        ssize_t n = write(fd, line, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(3);
        line += n;
        len -= (size_t)n;
    }
}

static void child_rebalance(void *opaque, kfk_consumer *c, kfk_rebalance_event ev,
                            const kfk_partition_list *parts)
{
    child *ch = opaque;
    char line[512];
    if (ev == KFK_REBALANCE_REVOKED) {
        kfk_err e = kfk_consumer_commit(c, NULL, 0);
        if (e) {
            snprintf(line, sizeof(line), "X commit on revoke: %s\n", kfk_err_str(e));
            say(ch->out, line);
        }
    }
    int n = snprintf(line, sizeof(line), "%c",
                     ev == KFK_REBALANCE_ASSIGNED  ? 'A'
                     : ev == KFK_REBALANCE_REVOKED ? 'R'
                                                   : 'L');
    for (size_t i = 0; i < kfk_partition_list_count(parts) && n < 480; i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %d",
                      kfk_partition_list_partition(parts, i));
    snprintf(line + n, sizeof(line) - (size_t)n, "\n");
    say(ch->out, line);
}

/* Consumes until the parent closes its end of the control pipe (or kills
 * it), taking 2 ms of "work" per record so that the kill comes in the
 * middle of its work; reports each batch, then commits it. */
static void child_run(int out, int in, variant v, const char *group, const char *topic)
{
    char err[256], line[128];
    child ch = {.out = out};
    kfk_conf *conf = member_conf(v, group, err, sizeof(err));
    if (!conf) {
        snprintf(line, sizeof(line), "X conf: %.100s\n", err);
        say(out, line);
        _exit(1);
    }
    kfk_conf_set_rebalance_cb(conf, child_rebalance, &ch);
    ch.c = kfk_consumer_new(conf, err, sizeof(err));
    const char *topics[] = {topic};
    if (!ch.c || kfk_consumer_subscribe(ch.c, topics, 1)) {
        say(out, "X cannot subscribe\n");
        _exit(1);
    }
    kfk_message *msgs[16];
    for (;;) {
        struct pollfd pfd = {.fd = in, .events = POLLIN};
        if (poll(&pfd, 1, 0) > 0) break; /* the parent hung up */
        size_t n = kfk_consumer_poll_batch(ch.c, msgs, 16, 50);
        for (size_t i = 0; i < n; i++) {
            kfk_err e = kfk_message_error(msgs[i]);
            if (e) {
                snprintf(line, sizeof(line), "X poll: %s\n", kfk_err_str(e));
                say(out, line);
            }
            poll(NULL, 0, 2); /* the work */
            snprintf(line, sizeof(line), "P %d %lld %d\n", kfk_message_partition(msgs[i]),
                     (long long)kfk_message_offset(msgs[i]), kclus_record_id(msgs[i]));
            say(out, line);
            kfk_message_release(msgs[i]);
        }
        if (!n) continue;
        kfk_err e;
        for (int tries = 0; (e = kfk_consumer_commit(ch.c, NULL, 0)) && tries < 50; tries++)
            poll(NULL, 0, 100); /* a rebalance completing: try again */
        if (e) {
            snprintf(line, sizeof(line), "X commit: %s\n", kfk_err_str(e));
            say(out, line);
        }
        say(out, "C\n");
    }
    kfk_consumer_close(ch.c, -1);
    kfk_consumer_destroy(ch.c);
    _exit(0);
}

static void child_start(world *w, variant v, const char *group, const char *topic)
{
    int up[2], down[2];
    ck_assert_int_eq(pipe2(up, O_CLOEXEC), 0); /* no other child inherits them */
    ck_assert_int_eq(pipe2(down, O_CLOEXEC), 0);
    fflush(NULL);
    /* No kfk handle exists in this process now, so the child starts
     * single-threaded and may use kfk freely. */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        child_run(up[1], down[0], v, group, topic);
    }
    close(up[1]);
    close(down[0]);
    w->pid = pid;
    w->from_child = up[0];
    w->to_child = down[1];
    fcntl(w->from_child, F_SETFL, O_NONBLOCK);
}

static void child_line(world *w, char *line)
{
    char *end;
    switch (line[0]) {
    case 'A':
    case 'R':
    case 'L': {
        bool on = line[0] == 'A';
        for (char *s = line + 1;; s = end) {
            long p = strtol(s, &end, 10);
            if (end == s) break;
            ck_assert(p >= 0 && p < NPARTS);
            ck_assert_msg(w->child_owned[p] != on, "child: %c of partition %ld", line[0], p);
            w->child_owned[p] = on;
            if (line[0] == 'R' && w->child_settled) {
                w->child_revoked[p] = true;
                w->child_revoked_settled++;
            }
        }
        break;
    }
    case 'P': {
        long long p, off, id;
        ck_assert_int_eq(sscanf(line + 1, "%lld %lld %lld", &p, &off, &id), 3);
        ck_assert_msg(p >= 0 && p < NPARTS && w->child_owned[p],
                      "child: a message of partition %lld it does not own", p);
        record(w, CHILD, (int32_t)p, off, (int)id);
        ck_assert_int_lt(w->n_uncommitted, 64);
        w->uncommitted[w->n_uncommitted][0] = (int)p;
        w->uncommitted[w->n_uncommitted++][1] = (int)off;
        w->child_phase3 += off >= 2 * PER_PART / NPHASES;
        break;
    }
    case 'C':
        w->n_uncommitted = 0;
        break;
    default:
        ck_abort_msg("child: %s", line);
    }
}

/* Reads what the child reported so far. */
static void child_read(world *w)
{
    if (w->child_dead) return;
    for (;;) {
        ssize_t n = read(w->from_child, w->line + w->line_len, sizeof(w->line) - w->line_len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        w->line_len += (size_t)n;
        w->line[w->line_len] = '\0';
        char *start = w->line, *nl;
        while ((nl = strchr(start, '\n'))) {
            *nl = '\0';
            child_line(w, start);
            start = nl + 1;
        }
        w->line_len -= (size_t)(start - w->line);
        memmove(w->line, start, w->line_len);
    }
}

static void child_kill(world *w)
{
    ck_assert_int_eq(kill(w->pid, SIGKILL), 0);
    int status;
    ck_assert_int_eq(waitpid(w->pid, &status, 0), w->pid);
    child_read(w);                             /* what it said before it died */
    for (int i = 0; i < w->n_uncommitted; i++) /* maybe committed, maybe not */
        w->may_repeat[w->uncommitted[i][0]][w->uncommitted[i][1]] = true;
    fprintf(stderr, "consumer_group: killed with %d records uncommitted\n", w->n_uncommitted);
    w->child_dead = true;
    close(w->from_child);
    close(w->to_child);
}

/* --- the test ----------------------------------------------------------------------- */

static member *member_start(world *w, int id, variant v, const char *group, const char *topic)
{
    member *m = &w->m[id];
    char err[256];
    kfk_conf *conf = member_conf(v, group, err, sizeof(err));
    ck_assert_msg(conf != NULL, "%s", err);
    kmember_start(&m->k, conf,
                  &(kmember_opts){.topic = topic, .on_rebalance = on_rebalance, .opaque = m});
    return m;
}

/* Whether the members in `alive` own every partition exactly once. */
static bool shared_exactly_once(const world *w, const bool alive[MEMBERS])
{
    for (int p = 0; p < NPARTS; p++) {
        int owners = 0;
        for (int i = 0; i < MEMBERS; i++) {
            if (owns(w, i, p) && !alive[i]) return false;
            owners += owns(w, i, p);
        }
        if (owners != 1) return false;
    }
    return true;
}

/* Polls every live member until the live ones share the partitions
 * exactly once, each has some, and `processed` records have been. */
static void settle(world *w, const bool alive[MEMBERS], int processed, const char *step)
{
    int64_t deadline = kclus_now_ms() + SETTLE_MS;
    for (;;) {
        for (int i = 0; i < MEMBERS; i++)
            if (alive[i] && w->m[i].k.c) drain(w, &w->m[i], 20);
        if (alive[CHILD]) child_read(w);
        bool each_has = true;
        for (int i = 0; i < MEMBERS; i++) {
            int n = 0;
            for (int p = 0; p < NPARTS; p++)
                n += owns(w, i, p);
            if (alive[i] && n == 0) each_has = false;
        }
        if (each_has && shared_exactly_once(w, alive) && w->processed == processed) break;
        if (kclus_now_ms() > deadline) {
            char owners[NPARTS * 2 + 1] = ""; /* a member, - for none, * for several */
            for (int p = 0; p < NPARTS; p++) {
                char o = '-';
                for (int i = 0; i < MEMBERS; i++)
                    if (owns(w, i, p)) o = o == '-' ? (char)('0' + i) : '*';
                owners[2 * p] = ' ';
                owners[2 * p + 1] = o;
            }
            ck_abort_msg("%s: not settled after %d ms: owners by partition:%s; %d of %d "
                         "processed; commit failures %d/%d (%s)",
                         step, SETTLE_MS, owners, w->processed, processed, w->m[0].commit_failures,
                         w->m[1].commit_failures, kfk_err_str(w->m[0].last_commit_err));
        }
    }
    ck_assert_int_eq(w->processed, processed);
}

static void begin_settled(world *w)
{
    for (int i = 0; i < MEMBERS; i++)
        if (i != CHILD) w->m[i].settled = w->m[i].k.st;
    w->child_settled = true;
    w->child_revoked_settled = 0;
    memset(w->child_revoked, 0, sizeof(w->child_revoked));
}

/* The partitions revoked from member id since begin_settled: which, in
 * revoked[], and how many. */
static int revoked_since_settled(const world *w, int id, bool revoked[NPARTS])
{
    if (id == CHILD) {
        memcpy(revoked, w->child_revoked, sizeof(w->child_revoked));
        return w->child_revoked_settled;
    }
    const member *m = &w->m[id];
    int n = 0;
    for (int p = 0; p < NPARTS; p++) {
        int times = kmember_part_of(&m->k.st, m->topic, p).revoked -
                    kmember_part_of(&m->settled, m->topic, p).revoked;
        revoked[p] = times > 0;
        n += times;
    }
    return n;
}

/* Eager range revokes everything at every rebalance. The cooperative
 * protocols revoke nothing that stays: a partition revoked from a member
 * went to another. When a member leaves, a sticky assignor (kfk's
 * cooperative-sticky, the broker's uniform KIP-848 assignor) only adds to
 * the survivors; the mock's KIP-848 assignor is a simple one that is not
 * sticky, so there partitions may move between survivors. */
static void check_revocations(const world *w, variant v, int id, const char *step)
{
    bool revoked[NPARTS];
    int n = revoked_since_settled(w, id, revoked);
    if (v == V_RANGE) {
        ck_assert_msg(n > 0, "%s: eager member %d revoked nothing", step, id);
        return;
    }
    for (int p = 0; p < NPARTS; p++)
        ck_assert_msg(!(revoked[p] && owns(w, id, p)),
                      "%s: member %d had partition %d revoked and got it back", step, id, p);
    if (v == V_CONSUMER && kclus_is_mock()) return;
    ck_assert_msg(n == 0, "%s: member %d had %d partitions revoked", step, id, n);
}

START_TEST(test_three_members_share_close_and_kill)
{
    variant v = (variant)_i;
    fprintf(stderr, "consumer_group: %s\n", variant_names[v]);
    char topic[128], group[128];
    ktest_unique_topic(topic, sizeof(topic), "group");
    ktest_unique_topic(group, sizeof(group), "group-g");
    kclus_create_topic(NULL, topic, NPARTS, -1);
    kclus_produce(NULL, topic, NPARTS, 0, PHASE);

    static world w; /* big; and Check forks each test, so it starts zeroed */
    memset(&w, 0, sizeof(w));
    for (int i = 0; i < MEMBERS; i++) {
        w.m[i].id = i;
        w.m[i].topic = topic;
    }
    child_start(&w, v, group, topic);
    member_start(&w, 0, v, group, topic);
    member_start(&w, 1, v, group, topic);
    bool alive[MEMBERS] = {true, true, true};
    settle(&w, alive, PHASE, "three members");
    kmember_check_assignment(&w.m[0].k);
    kmember_check_assignment(&w.m[1].k);

    /* Member 1 closes after one batch of new records, with more fetched
     * that it never polls: the REVOKED callback commits what it
     * processed, it leaves, and the others go on from there. */
    begin_settled(&w);
    kclus_produce(NULL, topic, NPARTS, PHASE, PHASE);
    int64_t deadline = kclus_now_ms() + SETTLE_MS;
    for (int had = w.m[1].got; w.m[1].got == had;) {
        ck_assert_msg(kclus_now_ms() < deadline, "member 1 got none of the new records");
        drain(&w, &w.m[1], 20);
    }
    ck_assert_int_eq(kfk_consumer_close(w.m[1].k.c, -1), KFK_OK);
    for (int p = 0; p < NPARTS; p++)
        ck_assert_msg(!owns(&w, 1, p), "member 1 still owns %d after close", p);
    kmember_destroy(&w.m[1].k);
    alive[1] = false;
    settle(&w, alive, 2 * PHASE, "after a close");
    kmember_check_assignment(&w.m[0].k);
    check_revocations(&w, v, 0, "after a close");
    check_revocations(&w, v, CHILD, "after a close");

    /* The child is killed in the middle of the new records: its partitions
     * move once its session expires, from its last commit. */
    begin_settled(&w);
    kclus_produce(NULL, topic, NPARTS, 2 * PHASE, PHASE);
    deadline = kclus_now_ms() + SETTLE_MS;
    while (w.child_phase3 < 40) {
        ck_assert_msg(kclus_now_ms() < deadline, "the child got %d of the new records",
                      w.child_phase3);
        drain(&w, &w.m[0], 20);
        child_read(&w);
    }
    child_kill(&w);
    alive[CHILD] = false;
    for (int p = 0; p < NPARTS; p++)
        w.child_owned[p] = false; /* gone; the coordinator will notice */
    int64_t t0 = kclus_now_ms();
    settle(&w, alive, 3 * PHASE, "after a kill");
    int64_t moved_ms = kclus_now_ms() - t0;
    fprintf(stderr,
            "consumer_group: %s: partitions moved %lld ms after the kill; %d records of its "
            "last uncommitted batch processed again\n",
            variant_names[v], (long long)moved_ms, w.repeated);
    /* Not before the session could expire (6 s after the last heartbeat,
     * which was at most 0.5 s before the kill): the child did not leave. */
    if (v != V_CONSUMER)
        ck_assert_msg(moved_ms >= 5000, "partitions moved %lld ms after the kill",
                      (long long)moved_ms);
    kmember_check_assignment(&w.m[0].k);
    check_revocations(&w, v, 0, "after a kill");

    for (int p = 0; p < NPARTS; p++)
        for (int off = 0; off < PER_PART; off++)
            ck_assert_msg(w.seen[p][off] == 1 || (w.seen[p][off] == 2 && w.may_repeat[p][off]),
                          "%d/%d processed %d times", p, off, w.seen[p][off]);
    kmember_close(&w.m[0].k);
    kmember_destroy(&w.m[0].k);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *group_suite(void)
{
    Suite *s = suite_create("consumer_group_integration");
    TCase *tc = tcase_create("group");
    tcase_set_timeout(tc, 360);
    tcase_add_loop_test(tc, test_three_members_share_close_and_kill, 0, N_VARIANTS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(group_suite());
}
