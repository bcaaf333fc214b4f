/* A network partition between the client and one broker of a real 3-node
 * cluster (tests/chaos/run starts it with tools/kafka start --proxied),
 * while that broker stays healthy in the cluster and so keeps leading its
 * partitions. The client is bootstrapped on the proxied listeners' front
 * ports only, where a TCP proxy in this test (kproxy) forwards to the
 * brokers; the brokers advertise those front ports, so every connection
 * of the client goes through the proxy. An idempotent producer writes at
 * a steady pace and a group member consumes and commits; the proxy
 * blackholes one node for PARTITION_MS (nothing flows either way, nothing
 * is closed, new connections are accepted and never forwarded), then
 * heals. The node is the group's coordinator in some runs, not in others.
 *
 * What must hold: while partitioned, the partitions other nodes lead keep
 * being written (delivery reports) and read; kfk notices the dead node
 * within request.timeout.ms, logs the lost connection and connects again
 * (the proxy counts the new connections), and tells error_cb nothing (one
 * broker out of reach is no error for it, kfk_error_cb); after healing,
 * every record gets exactly one successful report (the partition is
 * shorter than delivery.timeout.ms) at the offset its order in its
 * partition gives, and the member reads every record once, in order, and
 * commits all of them. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/kcoord.h"
#include "../common/kproxy.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kwire_client.h"

#define N_PARTS 6
#define RATE 2000          /* records per second, paced */
#define BEFORE_MS 5000     /* producing before the partition */
#define PARTITION_MS 20000 /* the node is cut off this long */
#define AFTER_MS 5000      /* producing after healing */
#define REQUEST_TIMEOUT_MS 4000
#define SETTLE_MS 2000    /* after a switch, what was already on its way has landed */
#define RECOVER_MS 120000 /* bound on delivering and consuming everything after healing */
#define MAX_RECORDS 200000
#define BATCH 500

/* --- the proxied cluster ------------------------------------------------------- */

static int n_nodes;
static int front[KPROXY_MAX_ROUTES], back[KPROXY_MAX_ROUTES];
static char front_bootstrap[KPROXY_MAX_ROUTES * 24];

/* The proxied= line of the cluster's start output (KFK_CHAOS_DIR/endpoints). */
static void read_proxied_map(void)
{
    const char *dir = getenv("KFK_CHAOS_DIR");
    char path[512], line[1024];
    snprintf(path, sizeof(path), "%s/endpoints", dir);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s: is a cluster running in %s?", path, dir);
    bool found = false;
    while (!found && fgets(line, sizeof(line), f))
        found = !strncmp(line, "proxied=", 8);
    fclose(f);
    ck_assert_msg(found,
                  "the cluster in %s has no proxied listeners (no proxied= line in %s): start it "
                  "with `tools/kafka start --brokers 3 --proxied --dir %s`",
                  dir, path, dir);
    n_nodes = kproxy_parse(line + 8, front, back, KPROXY_MAX_ROUTES);
    ck_assert_msg(n_nodes == 3, "%s: bad proxied= line (3 nodes expected): %s", path, line);
    front_bootstrap[0] = '\0';
    for (int i = 0; i < n_nodes; i++) {
        size_t len = strlen(front_bootstrap);
        snprintf(front_bootstrap + len, sizeof(front_bootstrap) - len, "%s127.0.0.1:%d",
                 i ? "," : "", front[i]);
    }
}

/* --- what the user saw: error_cb and the log ---------------------------------- */

typedef struct seen_log {
    pthread_mutex_t lock;
    char victim[32]; /* "127.0.0.1:F/" of the partitioned node */
    int victim_lost; /* warnings: its connection lost to a request timeout */
    int others_lost; /* warnings: another node's connection lost */
    int error_cbs;
    char first_error[256];
} seen_log;

static seen_log seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void on_log(void *opaque, void *handle, kfk_log_level level, const char *facility,
                   const char *msg)
{
    (void)opaque;
    (void)handle;
    if (getenv("KFK_TEST_DEBUG") || level <= KFK_LOG_WARNING)
        fprintf(stderr, "%lld %d %s: %s\n", (long long)kclus_now_ms(), (int)level, facility, msg);
    if (level > KFK_LOG_WARNING || !strstr(msg, "connection lost")) return;
    pthread_mutex_lock(&seen.lock);
    if (!strncmp(msg, seen.victim, strlen(seen.victim)) && strstr(msg, "timed out"))
        seen.victim_lost++;
    else if (strncmp(msg, seen.victim, strlen(seen.victim)))
        seen.others_lost++;
    pthread_mutex_unlock(&seen.lock);
}

static void on_error(void *opaque, void *handle, kfk_err err, const char *reason)
{
    (void)opaque;
    (void)handle;
    fprintf(stderr, "error_cb: %s: %s\n", kfk_err_name(err), reason);
    pthread_mutex_lock(&seen.lock);
    if (!seen.error_cbs++)
        snprintf(seen.first_error, sizeof(seen.first_error), "%s: %s", kfk_err_name(err), reason);
    pthread_mutex_unlock(&seen.lock);
}

static kfk_conf *client_conf(void)
{
    kfk_conf *conf = kclus_conf(front_bootstrap);
    kclus_set(conf, "request.timeout.ms", "4000");
    kfk_conf_set_log_cb(conf, on_log, NULL);
    kfk_conf_set_error_cb(conf, on_error, NULL);
    return conf;
}

/* --- the scenario's shared state -------------------------------------------------- */

typedef struct report {
    atomic_int times;
    kfk_err err;
    int32_t partition;
    int64_t offset;
    int64_t at_ms;
} report;

typedef struct run {
    const char *topic;
    int32_t victim;                  /* node id */
    bool led[N_PARTS];               /* partitions the victim leads */
    _Atomic int64_t cut_ms, heal_ms; /* when the partition began and ended */
    int healed_at;                   /* records produced by then */
    report *reports;
    /* the member */
    pthread_t thread;
    kfk_consumer *c;
    atomic_bool stop;
    atomic_int consumed;
    int64_t next_id[N_PARTS];  /* the record each partition must hand out next */
    atomic_int bad_id;         /* first out of order or duplicate: -1 none */
    int bad_partition;
    int consumed_while_cut[N_PARTS];
    bool may_rewind;               /* the partition outlasts the group's session */
    int64_t committed_ok[N_PARTS]; /* the highest offset committed before the cut */
    int64_t read_to[N_PARTS];      /* the first record not read yet */
    int read_again;                /* records handed out again after a rewind */
    int commits, commits_failed;
    kfk_err commit_err; /* the first failure */
} run;

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    run *rn = opaque;
    report *x = &rn->reports[(intptr_t)r->opaque];
    x->err = r->err;
    x->partition = r->partition;
    x->offset = r->offset;
    x->at_ms = kclus_now_ms();
    atomic_fetch_add(&x->times, 1);
}

static void on_commit(void *opaque, kfk_consumer *c, kfk_err err, const kfk_partition_list *offsets)
{
    (void)c;
    run *rn = opaque;
    rn->commits++;
    /* Commits asked for during the partition may land after the member
     * joined again and fetched its positions: only those answered before
     * the cut bound where a rejoined member may resume. */
    for (size_t i = 0; !atomic_load(&rn->cut_ms) && i < kfk_partition_list_count(offsets); i++) {
        int32_t p = kfk_partition_list_partition(offsets, i);
        int64_t o = kfk_partition_list_offset(offsets, i);
        if (!kfk_partition_list_error(offsets, i) && p >= 0 && p < N_PARTS &&
            o > rn->committed_ok[p])
            rn->committed_ok[p] = o;
    }
    if (!err) return;
    if (!rn->commits_failed++) rn->commit_err = err;
}

/* --- the member ---------------------------------------------------------------- */

/* Checks one message: record i lives in partition i % N_PARTS, at offset
 * i / N_PARTS, and each partition's records come once and in order. */
static void take(run *rn, const kfk_message *m, int64_t now)
{
    int id = kclus_record_id(m);
    int32_t p = kfk_message_partition(m);
    if (p < 0 || p >= N_PARTS || id < 0) return;
    int64_t offset = kfk_message_offset(m);
    /* A member the group fenced resumes from the committed offset: what
     * it read past its last successful commit comes again, nothing that
     * was committed before the partition. */
    if (rn->may_rewind && id < rn->next_id[p] && offset >= rn->committed_ok[p]) rn->next_id[p] = id;
    bool ok = id == rn->next_id[p] && offset == id / N_PARTS;
    if (!ok && atomic_load(&rn->bad_id) < 0) {
        atomic_store(&rn->bad_id, id);
        rn->bad_partition = p;
        fprintf(stderr,
                "partition %d: record %d at offset %lld, expected record %lld (committed: "
                "%lld)\n",
                p, id, (long long)offset, (long long)rn->next_id[p],
                (long long)rn->committed_ok[p]);
    }
    if (id >= rn->next_id[p]) rn->next_id[p] = id + N_PARTS;
    int64_t cut = atomic_load(&rn->cut_ms);
    if (cut && !atomic_load(&rn->heal_ms) && now >= cut + REQUEST_TIMEOUT_MS + SETTLE_MS)
        rn->consumed_while_cut[p]++;
    if (id < rn->read_to[p]) {
        rn->read_again++;
        return;
    }
    rn->read_to[p] = id + N_PARTS;
    atomic_fetch_add(&rn->consumed, 1);
}

static void *member_main(void *arg)
{
    run *rn = arg;
    kfk_message *msgs[BATCH];
    while (!atomic_load(&rn->stop)) {
        size_t n = kfk_consumer_poll_batch(rn->c, msgs, BATCH, 100);
        int64_t now = kclus_now_ms();
        for (size_t i = 0; i < n; i++) {
            if (!kfk_message_error(msgs[i])) take(rn, msgs[i], now);
            kfk_message_release(msgs[i]);
        }
        if (n) kfk_consumer_commit(rn->c, NULL, true);
    }
    return NULL;
}

static void member_start(run *rn, const char *group, const char *protocol)
{
    kfk_conf *conf = client_conf();
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "group.protocol", protocol);
    kclus_set(conf, "enable.auto.commit", "false");
    kclus_set(conf, "auto.offset.reset", "earliest");
    /* The session outlasts the partition (classic: the member keeps its
     * partitions); the consumer protocol's is the broker's
     * group.consumer.session.timeout.ms, 10 s with tools/kafka: the group
     * fences the member while the partition lasts and it joins again. */
    if (!strcmp(protocol, "classic")) kclus_set(conf, "session.timeout.ms", "45000");
    rn->may_rewind = strcmp(protocol, "classic") != 0;
    kfk_conf_set_commit_cb(conf, on_commit, rn);
    char err[256];
    rn->c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(rn->c != NULL, "%s", err);
    const char *topics[] = {rn->topic};
    ck_assert_int_eq(kfk_consumer_subscribe(rn->c, topics, 1), KFK_OK);
    ck_assert_int_eq(pthread_create(&rn->thread, NULL, member_main, rn), 0);
}

/* Stops the member's thread, then commits until a commit succeeds and
 * checks that the group's offsets cover every record. */
static void member_finish(run *rn, int n)
{
    atomic_store(&rn->stop, true);
    pthread_join(rn->thread, NULL);
    kfk_err e = KFK_ERR_TIMED_OUT;
    int64_t deadline = kclus_now_ms() + RECOVER_MS;
    while (e && kclus_now_ms() < deadline) {
        e = kfk_consumer_commit(rn->c, NULL, false);
        if (e) kclus_nap(200);
    }
    ck_assert_msg(e == KFK_OK, "the final commit failed: %s", kfk_err_name(e));
    kfk_partition_list *l = kfk_partition_list_new(N_PARTS);
    for (int32_t p = 0; p < N_PARTS; p++)
        kfk_partition_list_add(l, rn->topic, p);
    ck_assert_int_eq(kfk_consumer_committed(rn->c, l, 30000), KFK_OK);
    for (int32_t p = 0; p < N_PARTS; p++) {
        int64_t want = (n - p + N_PARTS - 1) / N_PARTS; /* records of partition p */
        ck_assert_msg(kfk_partition_list_offset(l, (size_t)p) == want,
                      "partition %d: committed %lld, %lld records", p,
                      (long long)kfk_partition_list_offset(l, (size_t)p), (long long)want);
    }
    kfk_partition_list_destroy(l);
    kfk_consumer_close(rn->c, 30000);
    kfk_consumer_destroy(rn->c);
}

/* --- the producer and the partition's schedule ---------------------------------- */

static void produce(kfk_producer *p, const char *topic, int i)
{
    kfk_err err = kclus_produce_one(p, topic, N_PARTS, i, (void *)(intptr_t)i);
    ck_assert_msg(err == KFK_OK, "produce %d: %s", i, kfk_err_str(err));
}

/* Produces at RATE until AFTER_MS after healing, cutting the victim off
 * BEFORE_MS in and healing PARTITION_MS later. Returns the records
 * produced; *accepted_while_cut gets the connections the proxy accepted
 * for the victim while it was cut off. */
static int produce_through_partition(run *rn, kfk_producer *p, kproxy *px, int *accepted_while_cut)
{
    int route = rn->victim - 1, n = 0, accepted_at_cut = 0;
    int64_t start = kclus_now_ms();
    for (;;) {
        int64_t t = kclus_now_ms();
        if (!atomic_load(&rn->cut_ms) && t - start >= BEFORE_MS) {
            accepted_at_cut = kproxy_accepted(px, route);
            kproxy_set_mode(px, route, KPROXY_BLACKHOLE);
            atomic_store(&rn->cut_ms, kclus_now_ms());
            fprintf(stderr, "NOTE: partition: node %d cut off at record %d\n", rn->victim, n);
        }
        if (atomic_load(&rn->cut_ms) && !atomic_load(&rn->heal_ms) &&
            t - atomic_load(&rn->cut_ms) >= PARTITION_MS) {
            *accepted_while_cut = kproxy_accepted(px, route) - accepted_at_cut;
            kproxy_set_mode(px, route, KPROXY_PASS);
            atomic_store(&rn->heal_ms, kclus_now_ms());
            rn->healed_at = n;
            fprintf(stderr, "NOTE: partition: node %d healed at record %d\n", rn->victim, n);
        }
        if (atomic_load(&rn->heal_ms) && t - atomic_load(&rn->heal_ms) >= AFTER_MS) break;
        int64_t due = (t - start + 1) * RATE / 1000;
        for (; n < due && n < MAX_RECORDS; n++)
            produce(p, rn->topic, n);
        kfk_producer_poll(p, 0);
        kclus_nap(1);
    }
    return n;
}

/* Every record reported once, successfully, at offset i / N_PARTS of
 * partition i % N_PARTS; while the victim was cut off, the partitions it
 * does not lead were written and the ones it leads were not. Prints the
 * time from healing to the first report of the victim's partitions. */
static void check_reports(const run *rn, int n)
{
    int64_t cut = atomic_load(&rn->cut_ms), heal = atomic_load(&rn->heal_ms);
    int64_t window_from = cut + REQUEST_TIMEOUT_MS + SETTLE_MS, first_after = 0, backlog = 0;
    int while_cut[N_PARTS] = {0};
    for (int i = 0; i < n; i++) {
        const report *x = &rn->reports[i];
        ck_assert_msg(atomic_load(&x->times) == 1, "record %d: %d reports", i,
                      atomic_load(&x->times));
        ck_assert_msg(x->err == KFK_OK, "record %d: %s", i, kfk_err_name(x->err));
        ck_assert_msg(x->partition == i % N_PARTS && x->offset == i / N_PARTS,
                      "record %d reported at %d/%lld, expected %d/%d", i, x->partition,
                      (long long)x->offset, i % N_PARTS, i / N_PARTS);
        int p = i % N_PARTS;
        if (x->at_ms >= window_from && x->at_ms < heal) while_cut[p]++;
        if (rn->led[p] && x->at_ms >= heal && (!first_after || x->at_ms < first_after))
            first_after = x->at_ms;
        if (i < rn->healed_at && x->at_ms > backlog) backlog = x->at_ms;
        ck_assert_msg(!rn->led[p] || x->at_ms < cut + SETTLE_MS || x->at_ms >= heal,
                      "record %d of partition %d (led by the cut-off node %d) delivered %lld ms "
                      "into the partition: the proxy did not cut it off",
                      i, p, rn->victim, (long long)(x->at_ms - cut));
    }
    for (int p = 0; p < N_PARTS; p++)
        ck_assert_msg(rn->led[p] || while_cut[p] > 0,
                      "partition %d (not led by node %d) had no delivery report in the last %d ms "
                      "of the partition",
                      p, rn->victim, (int)(heal - window_from));
    fprintf(stderr,
            "NOTE: partition: %d records; node %d cut off %lld ms; its partitions' first report "
            "%lld ms after healing, the last of those produced before healing %lld ms after it\n",
            n, rn->victim, (long long)(heal - cut), (long long)(first_after - heal),
            (long long)(backlog - heal));
}

/* Partition p's leader, through the cluster's own listeners. */
static int32_t leader_of(const char *topic, int32_t p)
{
    int32_t leader = -1, epoch;
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    while (!kclus_partition_leader(NULL, topic, p, &leader, &epoch) || leader < 0) {
        ck_assert_msg(kclus_now_ms() < deadline, "%s/%d has no leader", topic, p);
        kclus_nap(200);
    }
    return leader;
}

/* The group's coordinator, found through the cluster's own listeners. */
static int32_t coordinator_of(const char *group)
{
    int32_t node = -1;
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    while (kcoord_find(NULL, 0, group, &node, NULL) != 0) {
        ck_assert_msg(kclus_now_ms() < deadline, "no coordinator for %s", group);
        kclus_nap(200);
    }
    return node;
}

/* Picks the node to cut off: the coordinator or another node that leads
 * some of the topic's partitions. */
static void pick_victim(run *rn, const char *group, bool coordinator)
{
    int32_t coord = coordinator_of(group), leaders[N_PARTS];
    for (int32_t p = 0; p < N_PARTS; p++)
        leaders[p] = leader_of(rn->topic, p);
    rn->victim = -1;
    for (int32_t p = 0; p < N_PARTS && rn->victim < 0; p++)
        if ((leaders[p] == coord) == coordinator) rn->victim = leaders[p];
    ck_assert_msg(rn->victim > 0 && rn->victim <= n_nodes,
                  "no node to cut off: coordinator %d, wanted %s it", coord,
                  coordinator ? "" : "a leader other than");
    int led = 0;
    for (int32_t p = 0; p < N_PARTS; p++)
        led += rn->led[p] = leaders[p] == rn->victim;
    fprintf(stderr, "NOTE: partition: cutting off node %d (leads %d of %d partitions; %s)\n",
            rn->victim, led, N_PARTS,
            coordinator ? "the group's coordinator" : "not the group's coordinator");
    snprintf(seen.victim, sizeof(seen.victim), "127.0.0.1:%d/", front[rn->victim - 1]);
}

static void partition_one_node(const char *protocol, bool coordinator)
{
    read_proxied_map();
    int fds_before = ktest_count_dir("/proc/self/fd");
    kproxy *px = kproxy_start(n_nodes, front, back);
    ck_assert_msg(px != NULL, "the proxy did not start");
    char topic[128], group[160];
    ktest_unique_topic(topic, sizeof(topic), "partition");
    snprintf(group, sizeof(group), "%s-%s", topic, protocol);
    kclus_create_topic(NULL, topic, N_PARTS, 3);
    run *rn = calloc(1, sizeof(*rn));
    ck_assert_ptr_nonnull(rn);
    rn->topic = topic;
    rn->bad_id = -1;
    for (int p = 0; p < N_PARTS; p++)
        rn->next_id[p] = rn->read_to[p] = p;
    rn->reports = calloc(MAX_RECORDS, sizeof(*rn->reports));
    ck_assert_ptr_nonnull(rn->reports);
    pick_victim(rn, group, coordinator);

    member_start(rn, group, protocol);
    kfk_conf *conf = client_conf();
    kclus_set(conf, "linger.ms", "5");
    kclus_set(conf, "enable.idempotence", "true");
    kclus_set(conf, "acks", "all");
    kfk_conf_set_dr_cb(conf, on_report, rn);
    char err[256];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    int accepted_while_cut = 0;
    int n = produce_through_partition(rn, p, px, &accepted_while_cut);
    ck_assert_msg(kfk_producer_flush(p, RECOVER_MS) == KFK_OK,
                  "not every record was reported within %d ms of the end", RECOVER_MS);
    kfk_producer_destroy(p);
    check_reports(rn, n);
    int64_t deadline = kclus_now_ms() + RECOVER_MS;
    while (atomic_load(&rn->consumed) < n && atomic_load(&rn->bad_id) < 0 &&
           kclus_now_ms() < deadline)
        kclus_nap(100);
    int64_t consumed_ms = kclus_now_ms() - atomic_load(&rn->heal_ms);
    member_finish(rn, n);
    ck_assert_msg(atomic_load(&rn->bad_id) < 0,
                  "partition %d handed out record %d out of order or twice", rn->bad_partition,
                  atomic_load(&rn->bad_id));
    ck_assert_msg(atomic_load(&rn->consumed) == n, "consumed %d of %d records",
                  atomic_load(&rn->consumed), n);
    for (int q = 0; q < N_PARTS; q++)
        ck_assert_msg(rn->led[q] || rn->consumed_while_cut[q] > 0,
                      "partition %d (not led by node %d) was not read during the partition", q,
                      rn->victim);
    /* kfk noticed the silent node, dropped the connection and dialled
     * again; nothing of it was an error for error_cb. */
    ck_assert_msg(seen.victim_lost > 0, "no warning that %s's connection was lost to a timeout",
                  seen.victim);
    ck_assert_msg(accepted_while_cut > 0, "no new connection to node %d while it was cut off",
                  rn->victim);
    ck_assert_msg(seen.error_cbs == 0, "error_cb was called %d times, first: %s", seen.error_cbs,
                  seen.first_error);
    int through_proxy = 0;
    for (int i = 0; i < n_nodes; i++)
        through_proxy += kproxy_accepted(px, i) > 0;
    ck_assert_msg(through_proxy == n_nodes,
                  "the client reached only %d of %d nodes through the "
                  "proxy",
                  through_proxy, n_nodes);
    fprintf(stderr,
            "NOTE: partition (%s): %d consumed (%d again after a rewind), all %lld ms after "
            "healing; %d commits, %d failed (first: %s); %d connections to node %d while cut off; "
            "lost-connection warnings: %d "
            "for it, %d for others\n",
            protocol, n, rn->read_again, (long long)consumed_ms, rn->commits, rn->commits_failed,
            kfk_err_name(rn->commit_err), accepted_while_cut, rn->victim, seen.victim_lost,
            seen.others_lost);
    kclus_delete_topic(NULL, topic);
    free(rn->reports);
    free(rn);
    kproxy_stop(px);
    ck_assert_int_eq(ktest_count_dir("/proc/self/fd"), fds_before);
}

START_TEST(test_classic_group_and_producer_through_a_partitioned_leader)
{
    partition_one_node("classic", false);
}
END_TEST

START_TEST(test_classic_group_and_producer_through_a_partitioned_coordinator)
{
    partition_one_node("classic", true);
}
END_TEST

START_TEST(test_consumer_protocol_group_through_a_partitioned_coordinator)
{
    partition_one_node("consumer", true);
}
END_TEST

static Suite *suite(void)
{
    /* One case each, so CK_RUN_CASE can pick one. */
    Suite *s = suite_create("partition");
    const struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"leader", test_classic_group_and_producer_through_a_partitioned_leader},
        {"coordinator", test_classic_group_and_producer_through_a_partitioned_coordinator},
        {"consumer_protocol", test_consumer_protocol_group_through_a_partitioned_coordinator},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return kclus_chaos_main(suite);
}
