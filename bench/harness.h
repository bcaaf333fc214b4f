/* The side-by-side benchmarks' common parts: clocks and the process's own
 * CPU and peak memory, configuration that exits on a bad setting, the
 * TLS both clients share, topics, and running one client in a fresh
 * process of its own (this binary again, spawned) whose result comes back
 * on BENCH_RESULT_FD.
 *
 * A benchmark, never a test: nothing here asserts a figure. */
#ifndef KFK_BENCH_HARNESS_H
#define KFK_BENCH_HARNESS_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "kfk.h"
#include "kfk_mock.h"

/* The spawned client writes its result struct here. */
#define BENCH_RESULT_FD 3

/* -S: the CA file both clients trust, and TLS on; NULL: plaintext. */
extern const char *bench_tls_ca;

int64_t bench_now_ns(void);
/* User + system CPU of the whole process (every thread of the client). */
int64_t bench_cpu_ns(void);
/* The process's peak RSS (VmHWM) in KiB, -1 if unknown. Not ru_maxrss:
 * exec records the spawning parent's peak there (posix_spawn's child
 * shares its memory until exec); VmHWM is this program image's own. */
long bench_peak_rss_kb(void);

/* Set one property or exit(1) saying which and why. */
void bench_kset(kfk_conf *conf, const char *name, const char *value);
void bench_rset(rd_kafka_conf_t *conf, const char *name, const char *value);
/* A kfk conf with bootstrap.servers and, under -S, TLS: every kfk client
 * of a run starts from it. */
kfk_conf *bench_kfk_conf(const char *bootstrap);
/* TLS for a librdkafka conf under -S; nothing otherwise. */
void bench_rdk_tls(rd_kafka_conf_t *conf);

/* Creates topic `name` of `partitions` partitions: on mc when there is
 * one, else through kfk's admin at bootstrap (the broker's default
 * replication factor). */
void bench_make_topic(kfk_mock_cluster *mc, const char *bootstrap, const char *name,
                      int partitions);
/* Deletes it (frees the mock's memory, the broker's disk). */
void bench_drop_topic(const char *bootstrap, const char *name);

/* This binary's path, for bench_spawn; -1 if /proc/self/exe is unreadable. */
int bench_self_path(char *buf, size_t len);
/* Runs argv (argv[0] is the binary, the list ends with NULL) in a new
 * process and reads len bytes of result from its BENCH_RESULT_FD. 0 when
 * the whole result came and the child exited 0, -1 otherwise. */
int bench_spawn(char *const argv[], void *result, size_t len);
/* In the child: writes the result to BENCH_RESULT_FD; 0 or 1, an exit
 * status. */
int bench_write_result(const void *result, size_t len);

/* Sorts v and returns its pct-th percentile (nearest rank below), -1 for
 * an empty v. */
int64_t bench_percentile(int64_t *v, size_t n, int pct);

/* len bytes of text-like values (words from a small vocabulary, about 3:1
 * for the codecs), malloc'd; NULL when out of memory. */
char *bench_text_pool(size_t len);

#endif
