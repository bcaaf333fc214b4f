/* A consumer group while the node that coordinates it is killed (-9) and
 * restarted (tests/chaos/run starts a 3-node cluster, or names one), with
 * either group protocol. Two members consume a topic that is written all
 * along, committing synchronously after each poll. Then every record
 * written has been consumed; a record consumed twice was covered by a
 * commit that failed (at least once, as Java's consumer: the records of a
 * failed commit may come again to the member their partition moves to);
 * each commit failure is one the API documents as passing, never fatal;
 * and error_cb heard nothing. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/kclus.h"
#include "../common/kcoord.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kwire_client.h"

#define N_PARTS 6
#define CHUNK 1000     /* records written at a time */
#define BEFORE_MS 3000 /* consuming before the kill */
#define DOWN_MS 6000   /* the coordinator's node stays down this long */
#define AFTER_MS 5000  /* writing goes on this long after the restart returned */
#define CATCH_UP_MS 120000
#define MAX_RECORDS 1000000
#define BATCH 500

static atomic_uchar seen[MAX_RECORDS];    /* times each record was consumed */
static atomic_uchar at_risk[MAX_RECORDS]; /* a commit covering it failed */
static atomic_int distinct;               /* records consumed at least once */
static atomic_int error_cbs;
static atomic_bool stop;

/* Nothing here is for error_cb: no fatal error, no refused connection,
 * never all brokers down (kfk_error_cb). */
static void on_error(void *opaque, void *handle, kfk_err err, const char *reason)
{
    (void)opaque;
    (void)handle;
    fprintf(stderr, "error_cb: %s: %s\n", kfk_err_name(err), reason);
    atomic_fetch_add(&error_cbs, 1);
}

/* The failures a synchronous commit may pass on while the coordinator
 * moves or the group rebalances (kfk_consumer_commit). */
static bool passing(kfk_err e)
{
    return e == KFK_ERR_TIMED_OUT || e == KFK_ERR_REBALANCE_IN_PROGRESS ||
           e == KFK_ERR_ILLEGAL_GENERATION || e == KFK_ERR_UNKNOWN_MEMBER_ID ||
           e == KFK_ERR_STALE_MEMBER_EPOCH || e == KFK_ERR_COORDINATOR_NOT_AVAILABLE ||
           e == KFK_ERR_NOT_COORDINATOR || e == KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS;
}

typedef struct member {
    pthread_t thread;
    kfk_consumer *c;
    int consumed, commits, failed;
    kfk_err unexpected; /* a commit failure not in passing() */
} member;

static void *member_main(void *arg)
{
    member *m = arg;
    kfk_message *msgs[BATCH];
    int ids[BATCH];
    while (!atomic_load(&stop)) {
        size_t n = kfk_consumer_poll_batch(m->c, msgs, BATCH, 100), k = 0;
        for (size_t i = 0; i < n; i++) {
            int id = kfk_message_error(msgs[i]) ? -1 : kclus_record_id(msgs[i]);
            kfk_message_release(msgs[i]);
            if (id < 0 || id >= MAX_RECORDS) continue;
            if (atomic_fetch_add(&seen[id], 1) == 0) atomic_fetch_add(&distinct, 1);
            ids[k++] = id;
        }
        if (!k) continue;
        m->consumed += (int)k;
        m->commits++;
        kfk_err e = kfk_consumer_commit(m->c, NULL, false);
        if (!e) continue;
        m->failed++;
        if (!passing(e)) m->unexpected = e;
        for (size_t j = 0; j < k; j++)
            atomic_store(&at_risk[ids[j]], 1);
    }
    return NULL;
}

static kfk_consumer *member_new(const char *group, const char *topic, const char *protocol)
{
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "group.protocol", protocol);
    kclus_set(conf, "enable.auto.commit", "false");
    kclus_set(conf, "auto.offset.reset", "earliest");
    kfk_conf_set_error_cb(conf, on_error, NULL);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    const char *topics[] = {topic};
    ck_assert_int_eq(kfk_consumer_subscribe(c, topics, 1), KFK_OK);
    return c;
}

/* The fault, on its own thread while records are written and consumed. */
typedef struct chaos {
    pthread_t thread;
    const char *group;
    int32_t node; /* the coordinator killed */
    bool failed;
    atomic_bool done;
    int64_t done_ms;
} chaos;

static void *chaos_main(void *arg)
{
    chaos *c = arg;
    kclus_nap(BEFORE_MS); /* the fault's schedule: not a synchronisation */
    mt_conn conn;
    kcoord_open(&conn, NULL, 0, c->group, &c->node);
    mt_close(&conn);
    fprintf(stderr, "NOTE: group_coordinator: killing node %d, the coordinator of %s\n", c->node,
            c->group);
    c->failed |= kclus_kafka("kill", c->node) != 0;
    kclus_nap(DOWN_MS);
    c->failed |= kclus_kafka("restart", c->node) != 0;
    c->done_ms = kclus_now_ms();
    atomic_store(&c->done, true);
    return NULL;
}

static void consume_through_a_coordinator_kill(const char *protocol)
{
    char topic[128], group[160];
    ktest_unique_topic(topic, sizeof(topic), "coord-kill");
    snprintf(group, sizeof(group), "%s-%s", topic, protocol);
    kclus_create_topic(NULL, topic, N_PARTS, 3);
    member m[2] = {{0}, {0}};
    for (int i = 0; i < 2; i++) {
        m[i].c = member_new(group, topic, protocol);
        ck_assert_int_eq(pthread_create(&m[i].thread, NULL, member_main, &m[i]), 0);
    }
    chaos ch = {.group = group};
    ck_assert_int_eq(pthread_create(&ch.thread, NULL, chaos_main, &ch), 0);
    int n = 0;
    while (!(atomic_load(&ch.done) && kclus_now_ms() - ch.done_ms >= AFTER_MS) &&
           n + CHUNK <= MAX_RECORDS) {
        kclus_produce(NULL, topic, N_PARTS, n, CHUNK);
        n += CHUNK;
        kclus_nap(50);
    }
    pthread_join(ch.thread, NULL);
    ck_assert_msg(!ch.failed, "tools/kafka kill or restart %d failed", ch.node);
    int64_t deadline = kclus_now_ms() + CATCH_UP_MS;
    while (atomic_load(&distinct) < n && kclus_now_ms() < deadline)
        kclus_nap(200);
    atomic_store(&stop, true);
    for (int i = 0; i < 2; i++) {
        pthread_join(m[i].thread, NULL);
        kfk_consumer_close(m[i].c, 30000);
        kfk_consumer_destroy(m[i].c);
    }
    int twice = 0, lost = 0, dup_unexplained = -1;
    for (int i = 0; i < n; i++) {
        int times = atomic_load(&seen[i]);
        if (!times) lost++;
        if (times > 1) twice++;
        if (times > 1 && !atomic_load(&at_risk[i]) && dup_unexplained < 0) dup_unexplained = i;
    }
    fprintf(stderr,
            "NOTE: group_coordinator (%s): %d records, members consumed %d and %d with %d and %d "
            "commits (%d and %d failed); %d consumed twice\n",
            protocol, n, m[0].consumed, m[1].consumed, m[0].commits, m[1].commits, m[0].failed,
            m[1].failed, twice);
    ck_assert_msg(lost == 0, "%d of %d records never consumed", lost, n);
    ck_assert_msg(dup_unexplained < 0,
                  "record %d consumed twice, though every commit covering it "
                  "succeeded",
                  dup_unexplained);
    for (int i = 0; i < 2; i++)
        ck_assert_msg(!m[i].unexpected, "member %d: a commit failed with %s", i,
                      kfk_err_name(m[i].unexpected));
    ck_assert_int_eq(atomic_load(&error_cbs), 0);
    ck_assert(m[0].consumed > 0 && m[1].consumed > 0); /* both members had partitions */
    kclus_delete_topic(NULL, topic);
}

static void reset(void)
{
    memset(seen, 0, sizeof(seen));
    memset(at_risk, 0, sizeof(at_risk));
    atomic_store(&distinct, 0);
    atomic_store(&error_cbs, 0);
    atomic_store(&stop, false);
}

START_TEST(test_classic_group_consumes_through_a_coordinator_kill)
{
    reset();
    consume_through_a_coordinator_kill("classic");
}
END_TEST

START_TEST(test_consumer_protocol_group_consumes_through_a_coordinator_kill)
{
    reset();
    consume_through_a_coordinator_kill("consumer");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("group_coordinator");
    TCase *tc = tcase_create("kill");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_classic_group_consumes_through_a_coordinator_kill);
    tcase_add_test(tc, test_consumer_protocol_group_consumes_through_a_coordinator_kill);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return kclus_chaos_main(suite);
}
