/* Soak: an idempotent producer and a two-member consumer group run for
 * KFK_SOAK_MINUTES (default 30) against a real 3-node cluster (make soak:
 * tests/chaos/run starts it), while every KFK_SOAK_KILL_S seconds
 * (default 120) one node after another is killed (-9) and, 10 s later,
 * started again. The process's RSS, open file descriptors and threads are
 * sampled every 10 s. At the end:
 *   - every record produced was reported exactly once, successfully;
 *   - every record produced was consumed (at least once: the group
 *     auto-commits, so a rebalance may hand some out again);
 *   - nothing grew: the highest RSS, fd and thread counts of the last
 *     quarter are at most those of the first quarter after warm-up, plus a
 *     small slack (20% + 8 MiB of RSS, 8 fds, no thread). */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kwire_client.h"

#define N_PARTS 6
#define RATE 5000 /* records per second, paced */
#define DOWN_MS 10000
#define SAMPLE_MS 10000
#define BATCH 1000

static int minutes, kill_s;
static int max_records;
static atomic_uchar *reported, *consumed;
static atomic_int report_errors, consumed_distinct;
static atomic_bool stop_consuming, stop_faults;
static _Atomic int64_t part_next[N_PARTS]; /* per partition: after the highest offset consumed */
static char topic[128];

typedef struct sample {
    int64_t at_ms;
    long rss_kb;
    int fds, threads;
} sample;

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
        fclose(f);
    }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void on_report(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)opaque;
    (void)p;
    int id = (int)(intptr_t)r->opaque;
    if (atomic_fetch_add(&reported[id], 1) != 0 || r->err) atomic_fetch_add(&report_errors, 1);
    if (r->err) fprintf(stderr, "soak: record %d: %s\n", id, kfk_err_str(r->err));
}

static void *member_main(void *arg)
{
    kfk_consumer *c = arg;
    kfk_message *msgs[BATCH];
    while (!atomic_load(&stop_consuming)) {
        size_t n = kfk_consumer_poll_batch(c, msgs, BATCH, 200);
        for (size_t i = 0; i < n; i++) {
            int id = kfk_message_error(msgs[i]) ? -1 : kclus_record_id(msgs[i]);
            if (id >= 0 && id < max_records && atomic_fetch_add(&consumed[id], 1) == 0)
                atomic_fetch_add(&consumed_distinct, 1);
            int32_t part = kfk_message_partition(msgs[i]);
            int64_t next = kfk_message_offset(msgs[i]) + 1;
            if (id >= 0 && part >= 0 && part < N_PARTS && next > atomic_load(&part_next[part]))
                atomic_store(&part_next[part], next);
            kfk_message_release(msgs[i]);
        }
    }
    return NULL;
}

/* Kills node 1, 2, 3, 1, ... every kill_s seconds, each back after
 * DOWN_MS. A failed restart is the test's failure. */
static atomic_bool fault_failed;
static atomic_int kills;

static void *faults_main(void *arg)
{
    (void)arg;
    for (int node = 1; !atomic_load(&stop_faults); node = node % 3 + 1) {
        for (int64_t t = 0; t < (int64_t)kill_s * 1000 && !atomic_load(&stop_faults); t += 200)
            kclus_nap(200); /* the schedule: not a synchronisation */
        if (atomic_load(&stop_faults)) break;
        if (kclus_kafka("kill", node)) atomic_store(&fault_failed, true);
        kclus_nap(DOWN_MS);
        if (kclus_kafka("restart", node)) atomic_store(&fault_failed, true);
        atomic_fetch_add(&kills, 1);
    }
    return NULL;
}

static kfk_consumer *member_new(const char *group)
{
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "group.id", group);
    kclus_set(conf, "auto.offset.reset", "earliest");
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    const char *topics[] = {topic};
    ck_assert_int_eq(kfk_consumer_subscribe(c, topics, 1), KFK_OK);
    return c;
}

static void produce_one(kfk_producer *p, int id)
{
    kfk_err e;
    while ((e = kclus_produce_one(p, topic, N_PARTS, id, (void *)(intptr_t)id)) ==
           KFK_ERR_QUEUE_FULL)
        kfk_producer_poll(p, 100);
    ck_assert_msg(e == KFK_OK, "produce %d: %s", id, kfk_err_str(e));
}

/* The highest of each measure over samples [from, to). */
static sample peak(const sample *s, int from, int to)
{
    sample m = {0};
    for (int i = from; i < to; i++) {
        if (s[i].rss_kb > m.rss_kb) m.rss_kb = s[i].rss_kb;
        if (s[i].fds > m.fds) m.fds = s[i].fds;
        if (s[i].threads > m.threads) m.threads = s[i].threads;
    }
    return m;
}

START_TEST(test_soak)
{
    ktest_unique_topic(topic, sizeof(topic), "soak");
    kclus_create_topic(NULL, topic, N_PARTS, 3);
    char group[160];
    snprintf(group, sizeof(group), "%s-g", topic);
    kfk_conf *pconf = kclus_conf(NULL);
    kfk_conf_set_dr_cb(pconf, on_report, NULL);
    char err[256];
    kfk_producer *p = kfk_producer_new(pconf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    kfk_consumer *c[2] = {member_new(group), member_new(group)};
    pthread_t members[2], faults;
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&members[i], NULL, member_main, c[i]), 0);
    ck_assert_int_eq(pthread_create(&faults, NULL, faults_main, NULL), 0);

    int n_samples = minutes * 60000 / SAMPLE_MS + 2, ns = 0;
    sample *samples = calloc((size_t)n_samples, sizeof(*samples));
    int64_t start = kclus_now_ms(), end = start + (int64_t)minutes * 60000, next_sample = start;
    int n = 0;
    for (int64_t now; (now = kclus_now_ms()) < end && n < max_records;) {
        for (int64_t due = (now - start + 1) * RATE / 1000; n < due && n < max_records; n++)
            produce_one(p, n);
        kfk_producer_poll(p, 0);
        if (now >= next_sample && ns < n_samples) {
            samples[ns++] = (sample){now - start, rss_kb(), ktest_count_dir("/proc/self/fd"),
                                     ktest_count_dir("/proc/self/task")};
            char parts[N_PARTS * 24] = "", *w = parts;
            for (int i = 0; i < N_PARTS; i++)
                w += snprintf(w, sizeof(parts) - (size_t)(w - parts), " %lld",
                              (long long)atomic_load(&part_next[i]));
            fprintf(stderr,
                    "NOTE: soak: %3lld s: %d produced, %d consumed (by partition:%s), "
                    "rss %ld KiB, %d fds, %d threads, %d kills\n",
                    (long long)(now - start) / 1000, n, atomic_load(&consumed_distinct), parts,
                    samples[ns - 1].rss_kb, samples[ns - 1].fds, samples[ns - 1].threads,
                    atomic_load(&kills));
            next_sample += SAMPLE_MS;
        }
        kclus_nap(1);
    }
    atomic_store(&stop_faults, true);
    pthread_join(faults, NULL);
    ck_assert_msg(!atomic_load(&fault_failed), "tools/kafka kill or restart failed");
    ck_assert_int_eq(kfk_producer_flush(p, 300000), KFK_OK);
    kfk_producer_destroy(p);
    int64_t deadline = kclus_now_ms() + 300000;
    while (atomic_load(&consumed_distinct) < n && kclus_now_ms() < deadline)
        kclus_nap(200);
    atomic_store(&stop_consuming, true);
    for (int i = 0; i < 2; i++) {
        pthread_join(members[i], NULL);
        kfk_consumer_close(c[i], 30000);
        kfk_consumer_destroy(c[i]);
    }
    int unreported = 0;
    for (int i = 0; i < n; i++)
        unreported += atomic_load(&reported[i]) == 0;
    /* warm-up: the first eighth; then the first and the last quarter */
    int w = ns / 8, q = (ns - w) / 4;
    ck_assert_msg(q >= 1, "too few samples (%d): run longer", ns);
    sample first = peak(samples, w, w + q), last = peak(samples, ns - q, ns);
    fprintf(stderr,
            "NOTE: soak: %d min, %d records, %d kills; peaks first/last quarter: rss %ld/%ld "
            "KiB, fds %d/%d, threads %d/%d\n",
            minutes, n, atomic_load(&kills), first.rss_kb, last.rss_kb, first.fds, last.fds,
            first.threads, last.threads);
    ck_assert_msg(unreported == 0 && atomic_load(&report_errors) == 0,
                  "%d records without a report, %d failed or reported twice", unreported,
                  atomic_load(&report_errors));
    ck_assert_msg(atomic_load(&consumed_distinct) == n, "%d of %d records consumed",
                  atomic_load(&consumed_distinct), n);
    ck_assert_msg(last.rss_kb <= first.rss_kb * 6 / 5 + 8192, "RSS grew: %ld -> %ld KiB",
                  first.rss_kb, last.rss_kb);
    ck_assert_msg(last.fds <= first.fds + 8, "fds grew: %d -> %d", first.fds, last.fds);
    ck_assert_msg(last.threads <= first.threads, "threads grew: %d -> %d", first.threads,
                  last.threads);
    free(samples);
    kclus_delete_topic(NULL, topic);
}
END_TEST

int main(void)
{
    if (!ktest_bootstrap() || !getenv("KFK_CHAOS_DIR")) {
        printf("SKIP: needs a cluster it may break (make soak, or tests/chaos/run)\n");
        return KTEST_SKIP;
    }
    const char *m = getenv("KFK_SOAK_MINUTES"), *k = getenv("KFK_SOAK_KILL_S");
    minutes = m ? atoi(m) : 30;
    kill_s = k ? atoi(k) : 120;
    if (minutes < 1) minutes = 1;
    if (kill_s < 15) kill_s = 15;
    max_records = minutes * 60 * RATE + RATE;
    reported = calloc((size_t)max_records, 1);
    consumed = calloc((size_t)max_records, 1);
    /* Resident from the start (calloc maps untouched pages), so that the
     * test's own bookkeeping, a byte per record each, is not counted as
     * the client's growth. */
    for (size_t i = 0; i < (size_t)max_records; i += 4096) {
        ((volatile unsigned char *)reported)[i] = 0;
        ((volatile unsigned char *)consumed)[i] = 0;
    }
    Suite *s = suite_create("soak");
    TCase *tc = tcase_create("soak");
    tcase_set_timeout(tc, minutes * 60 + 900);
    tcase_add_test(tc, test_soak);
    suite_add_tcase(s, tc);
    return ktest_run(s);
}
