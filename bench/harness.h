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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kfk.h"
#include "kfk_mock.h"

/* The spawned client writes its result struct here. */
#define BENCH_RESULT_FD 3

/* -S: the CA file both clients trust, and TLS on; NULL: plaintext. */
extern const char *bench_tls_ca;

/* The cluster a benchmark runs against: with *bootstrap set, that one
 * (*mc NULL); else an in-process mock of 1 broker with CRC checks off,
 * *bootstrap its address. Returns 0, or the exit status after saying why
 * on stderr: 2 for -S without -b (the mock has no TLS), 1 when the mock
 * does not start. */
int bench_cluster(const char **bootstrap, kfk_mock_cluster **mc);

int64_t bench_now_ns(void);
/* User + system CPU of the whole process (every thread of the client). */
int64_t bench_cpu_ns(void);
/* The process's peak RSS (VmHWM) in KiB, -1 if unknown. Not ru_maxrss:
 * exec records the spawning parent's peak there (posix_spawn's child
 * shares its memory until exec); VmHWM is this program image's own. */
long bench_peak_rss_kb(void);
/* The process's resident memory now (VmRSS) in KiB, -1 if unknown. */
long bench_rss_kb(void);

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
/* The same in thousandths: 999 is p99.9. */
int64_t bench_permille(int64_t *v, size_t n, int pm);
/* The median of n values (the mean of the middle two for an even n), -1
 * for none. Sorts v. */
double bench_median(double *v, int n);
/* BENCH_RUNS, else dflt: how many runs each client gets per case (1 to
 * max). */
int bench_runs(int dflt, int max);
/* The environment variable name as a count from min to max, else dflt. */
int bench_env_count(const char *name, int dflt, int min, int max);

/* len bytes of text-like values (words from a small vocabulary, about 3:1
 * for the codecs), malloc'd; NULL when out of memory. */
char *bench_text_pool(size_t len);

/* Fills topic with n records of size bytes (text from bench_text_pool) with
 * kfk's producer: acks=all, linger.ms 5, batch.size 16 KiB, codec. 0
 * once every record is delivered, else -1 (said on stderr). */
int bench_load_topic(const char *bootstrap, const char *topic, long n, int size, const char *codec);

/* --- producing: the producer benchmarks' clients ------------------------- */

/* The values the producer benchmarks send: bench_values_init() makes a
 * pool of text (bench_text_pool), -1 when out of memory; bench_value(i,
 * size) is record i's value, size bytes (at most 512 KiB) starting at a
 * varying place in the pool's first half. */
int bench_values_init(void);
const char *bench_value(long i, int size);

/* Receives each record's delivery report: i is the index given to
 * bench_kfk_produce or bench_rdk_produce (-1: the warm-up record), failed
 * whether the client reported an error. Runs on the thread that polls. */
typedef void(bench_dr_fn)(intptr_t i, bool failed);

/* The producer settings both clients get from every producer benchmark:
 * bootstrap.servers, acks=all, enable.idempotence=true (kfk's default,
 * not librdkafka's), for librdkafka socket.nagle.disable=true (kfk sets
 * TCP_NODELAY), and TLS under -S. */
kfk_conf *bench_kfk_producer_conf(const char *bootstrap);
rd_kafka_conf_t *bench_rdk_producer_conf(const char *bootstrap);
/* A producer from conf (taken) whose delivery reports go to dr; exits(1)
 * saying why when there is none. One producer per process: the reports'
 * target is the process's (each client runs in a process of its own). */
kfk_producer *bench_kfk_producer(kfk_conf *conf, bench_dr_fn *dr);
rd_kafka_t *bench_rdk_producer(rd_kafka_conf_t *conf, bench_dr_fn *dr);
/* Produces len bytes of value (copied; no key, the client's partitioner)
 * to topic, as record i of bench_dr_fn, polling for 1 ms at a time while
 * the client's queue is full. The client's error when it refused the
 * record (no report follows then). */
kfk_err bench_kfk_produce(kfk_producer *p, const char *topic, const void *value, size_t len,
                          intptr_t i);
rd_kafka_resp_err_t bench_rdk_produce(rd_kafka_t *rk, const char *topic, const void *value,
                                      size_t len, intptr_t i);
/* Produces one record of size bytes (record -1) and flushes, for up to
 * 30 s: metadata, connections and the producer id before the clock
 * starts. */
void bench_kfk_warm_up(kfk_producer *p, const char *topic, int size);
void bench_rdk_warm_up(rd_kafka_t *rk, const char *topic, int size);

#endif
