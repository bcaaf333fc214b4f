/* What an idle producer costs: CPU time and wake-ups of the whole process
 * while a producer that has written one record sits idle for a while.
 * Not a test (timings are not tests); a measuring tool for the producer's
 * housekeeping (see bench/RESULTS.md).
 *
 * Usage: build/bench/producer_idle [bootstrap] [seconds]
 *   bootstrap  a real broker (default: an in-process 1-broker mock; its
 *              own thread's CPU is then counted too, so prefer a broker)
 *   seconds    how long to stay idle (default 10)
 * Prints: idle_s=N cpu_ms=N (user+system of the process) vol_ctxsw=N
 * (voluntary context switches: wake-ups of any thread). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kfk.h"
#include "kfk_mock.h"

static double cpu_ms(const struct rusage *u)
{
    return (double)(u->ru_utime.tv_sec + u->ru_stime.tv_sec) * 1e3 +
           (double)(u->ru_utime.tv_usec + u->ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv)
{
    const char *bootstrap = argc > 1 && strcmp(argv[1], "-") ? argv[1] : NULL;
    int seconds = argc > 2 ? atoi(argv[2]) : 10;
    kfk_mock_cluster *mc = NULL;
    if (!bootstrap) {
        mc = kfk_mock_cluster_new(1);
        if (!mc || kfk_mock_topic_create(mc, "idle", 1, 1) != KFK_OK) return 1;
        bootstrap = kfk_mock_cluster_bootstrap(mc);
    }
    char err[512];
    kfk_conf *conf = kfk_conf_new();
    if (kfk_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) != KFK_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    if (!p) {
        fprintf(stderr, "kfk_producer_new: %s\n", err);
        return 1;
    }
    kfk_record rec = {.topic = "idle", .partition = KFK_PARTITION_ANY, .value = "x", .value_len = 1};
    kfk_err e = kfk_produce(p, &rec, NULL);
    if (e == KFK_OK) e = kfk_producer_flush(p, 30000);
    if (e != KFK_OK) {
        fprintf(stderr, "produce: %s\n", kfk_err_str(e));
        return 1;
    }
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    struct timespec ts = {seconds, 0};
    while (nanosleep(&ts, &ts) != 0) {
    }
    getrusage(RUSAGE_SELF, &after);
    printf("idle_s=%d cpu_ms=%.1f vol_ctxsw=%ld\n", seconds, cpu_ms(&after) - cpu_ms(&before),
           after.ru_nvcsw - before.ru_nvcsw);
    kfk_producer_destroy(p);
    kfk_mock_cluster_destroy(mc);
    return 0;
}
