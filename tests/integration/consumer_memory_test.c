/* A consumer's memory stays bounded by fetch.queue.max.bytes while it
 * reads a lot (KFK_TEST_BOOTSTRAP: the mock, then real Kafka). The test
 * writes KFK_TEST_MEMORY_MB (default 1024; 128 in a sanitizer build,
 * where the bound is not asserted) MiB of incompressible 64 KiB records,
 * then a process of its own (this binary again, so its peak RSS is the
 * consumer's alone) reads them all back, in order, while its
 * application keeps the last KEPT messages polled (8 MiB of values, and
 * the fetched data they point into) until newer ones replace them. That
 * process's peak RSS must stay under fetch.queue.max.bytes (32 MiB), plus
 * one answer per broker that may come past it (fetch.max.bytes 8 MiB
 * each), plus OVERHEAD_MB for everything else (code, libraries, threads,
 * buffers). */
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "../common/ktest.h"
#include "kclus.h"
#include "kfk.h"
#include "kwire_client.h"

#define NPARTS 3
#define VALUE_BYTES (64 * 1024)
#define KEPT 128
#define QUEUE_MB 32
#define FETCH_MB 8
#define OVERHEAD_MB 48
#define POOL_BYTES (1 << 20)

extern char **environ;

/* A sanitizer's allocator keeps freed memory in quarantine and adds shadow
 * memory: RSS then says nothing about kfk's bound, which only the
 * uninstrumented builds assert (the records are checked in every build). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* Incompressible bytes: record i's value is a slice of this, its number
 * in the first 8 bytes. */
static uint8_t pool[POOL_BYTES + VALUE_BYTES];

static void pool_fill(void)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < sizeof(pool); i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pool[i] = (uint8_t)x;
    }
}

static const uint8_t *value_of(int64_t i, uint8_t *buf)
{
    memcpy(buf, pool + (size_t)(i * 4099) % POOL_BYTES, VALUE_BYTES);
    memcpy(buf, &i, sizeof(i));
    return buf;
}

static void produce_all(const char *topic, int64_t n)
{
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "linger.ms", "5");
    char err[256];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    static uint8_t buf[VALUE_BYTES];
    for (int64_t i = 0; i < n; i++) {
        kfk_record r = {.topic = topic,
                        .partition = (int32_t)(i % NPARTS),
                        .value = value_of(i, buf),
                        .value_len = VALUE_BYTES};
        kfk_err e;
        while ((e = kfk_produce(p, &r, NULL)) == KFK_ERR_QUEUE_FULL)
            kfk_producer_poll(p, 100);
        ck_assert_msg(e == KFK_OK, "produce %lld: %s", (long long)i, kfk_err_str(e));
    }
    ck_assert_int_eq(kfk_producer_flush(p, 300000), KFK_OK);
    kfk_producer_destroy(p);
}

/* The consuming process: reads records 0..n-1 back (record i at offset
 * i / NPARTS of partition i % NPARTS), checking each value. Exit 0 when
 * all came intact, else 1 with the reason on stderr. */
static int consume_main(const char *topic, int64_t n)
{
    /* Outside a Check test: no ck_* (kclus_conf) here. */
    kfk_conf *conf = kfk_conf_new();
    char q[32], f[32], err[256];
    snprintf(q, sizeof(q), "%d", QUEUE_MB << 20);
    snprintf(f, sizeof(f), "%d", FETCH_MB << 20);
    if (kfk_conf_set(conf, "bootstrap.servers", ktest_bootstrap(), err, sizeof(err)) ||
        kfk_conf_set(conf, "fetch.queue.max.bytes", q, err, sizeof(err)) ||
        kfk_conf_set(conf, "fetch.max.bytes", f, err, sizeof(err))) {
        fprintf(stderr, "consumer: %s\n", err);
        return 1;
    }
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    kfk_partition_list *l = kfk_partition_list_new(NPARTS);
    for (int32_t p = 0; l && p < NPARTS; p++)
        if (kfk_partition_list_add(l, topic, p) ||
            kfk_partition_list_set_offset(l, (size_t)p, KFK_OFFSET_BEGINNING))
            return 1;
    kfk_err ae = c && l ? kfk_consumer_assign(c, l) : KFK_ERR_NO_MEMORY;
    kfk_partition_list_destroy(l);
    if (!c || ae) {
        fprintf(stderr, "consumer: %s\n", c ? "assign failed" : err);
        return 1;
    }
    kfk_message *kept[KEPT] = {0};
    static uint8_t buf[VALUE_BYTES];
    int64_t next[NPARTS] = {0}, got = 0;
    for (int idle_ms = 0; got < n && idle_ms < 60000;) {
        kfk_message *m = kfk_consumer_poll(c, 500);
        if (!m || kfk_message_error(m)) {
            idle_ms += m ? 0 : 500;
            kfk_message_release(m);
            continue;
        }
        idle_ms = 0;
        int32_t p = kfk_message_partition(m);
        int64_t i = kfk_message_offset(m) * NPARTS + p;
        size_t len;
        const void *val = kfk_message_value(m, &len);
        if (kfk_message_offset(m) != next[p] || len != VALUE_BYTES ||
            memcmp(val, value_of(i, buf), VALUE_BYTES)) {
            int64_t holds = -1;
            if (len >= sizeof(holds)) memcpy(&holds, val, sizeof(holds));
            fprintf(stderr,
                    "consumer: partition %d offset %lld (%zu bytes, record %lld) is not "
                    "record %lld, or offset %lld was due\n",
                    (int)p, (long long)kfk_message_offset(m), len, (long long)holds, (long long)i,
                    (long long)next[p]);
            return 1;
        }
        next[p]++;
        kfk_message_release(kept[got % KEPT]); /* the application keeps the last KEPT */
        kept[got++ % KEPT] = m;
    }
    for (int k = 0; k < KEPT; k++)
        kfk_message_release(kept[k]);
    kfk_consumer_destroy(c);
    if (got < n) fprintf(stderr, "consumer: %lld of %lld records\n", (long long)got, (long long)n);
    return got == n ? 0 : 1;
}

START_TEST(test_peak_rss_stays_under_the_queue_bound)
{
    const char *mb_env = getenv("KFK_TEST_MEMORY_MB");
    int64_t mb = mb_env ? atoll(mb_env) : SANITIZED ? 128 : 1024;
    int64_t n = (mb << 20) / VALUE_BYTES;
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "memory");
    kclus_create_topic(NULL, topic, NPARTS, 1);
    produce_all(topic, n);

    char self[4096], count[32];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    ck_assert(len > 0);
    self[len] = '\0';
    snprintf(count, sizeof(count), "%lld", (long long)n);
    char *argv[] = {self, "consume", topic, count, NULL};
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, self, NULL, NULL, argv, environ), 0);
    int status;
    struct rusage ru;
    ck_assert_int_eq(wait4(pid, &status, 0, &ru), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the consumer failed (%d)",
                  status);
    long peak_mb = ru.ru_maxrss / 1024, bound = QUEUE_MB + NPARTS * FETCH_MB + OVERHEAD_MB;
    fprintf(stderr,
            "NOTE: consumer memory: %lld MiB read keeping the last %d messages; peak RSS %ld "
            "MiB (bound %ld: queue %d + %d answers of %d + %d%s)\n",
            (long long)mb, KEPT, peak_mb, bound, QUEUE_MB, NPARTS, FETCH_MB, OVERHEAD_MB,
            SANITIZED ? "; a sanitizer build: not asserted" : "");
    ck_assert_msg(SANITIZED || peak_mb <= bound, "peak RSS %ld MiB over %ld", peak_mb, bound);
    kclus_delete_topic(NULL, topic);
}
END_TEST

int main(int argc, char **argv)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    pool_fill();
    if (argc == 4 && !strcmp(argv[1], "consume")) return consume_main(argv[2], atoll(argv[3]));
    Suite *s = suite_create("consumer_memory");
    TCase *tc = tcase_create("memory");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_peak_rss_stays_under_the_queue_bound);
    suite_add_tcase(s, tc);
    return ktest_run(s);
}
