/* kfk CLI: what kfk perf measures and how it prints it: a latency
 * histogram (1% buckets), rates and client CPU per record. */
#ifndef KFK_CLI_PERF_STATS_H
#define KFK_CLI_PERF_STATS_H

#include "cli.h"

#define PERF_BUCKETS 2400 /* ln(1e10 us) * 100 */

typedef struct perf_hist {
    uint64_t counts[PERF_BUCKETS];
    uint64_t n;
} perf_hist;

void perf_hist_add(perf_hist *h, int64_t us);
/* The q-quantile (0..1) in ms; 0 when empty. */
double perf_hist_ms(const perf_hist *h, double q);

typedef struct perf_report {
    bool json, final;
    const char *what; /* "produce" or "consume" */
    int64_t records, bytes, errors;
    double secs;
    const perf_hist *latency;
    double cpu_secs;
} perf_report;

void perf_print(const perf_report *r);
/* Process CPU time (user + system), seconds. */
double perf_cpu_secs(void);

#endif
