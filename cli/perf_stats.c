/* kfk CLI: kfk perf's measurements and report lines. */
#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include "perf_stats.h"

void perf_hist_add(perf_hist *h, int64_t us)
{
    int i = us <= 0 ? 0 : (int)(log((double)us) * 100.0);
    if (i >= PERF_BUCKETS) i = PERF_BUCKETS - 1;
    h->counts[i]++;
    h->n++;
}

double perf_hist_ms(const perf_hist *h, double q)
{
    if (!h->n) return 0;
    uint64_t want = (uint64_t)ceil(q * (double)h->n), seen = 0;
    for (int i = 0; i < PERF_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= want && h->counts[i]) return exp((i + 0.5) / 100.0) / 1000.0;
    }
    return exp(PERF_BUCKETS / 100.0) / 1000.0;
}

double perf_cpu_secs(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void perf_print(const perf_report *r)
{
    double secs = r->secs > 0 ? r->secs : 1e-9;
    double rps = (double)r->records / secs, mbps = (double)r->bytes / secs / 1e6;
    double p50 = perf_hist_ms(r->latency, 0.5), p99 = perf_hist_ms(r->latency, 0.99);
    double p999 = perf_hist_ms(r->latency, 0.999);
    double cpu_us = r->records ? r->cpu_secs * 1e6 / (double)r->records : 0;
    if (r->json) {
        printf("{\"type\":\"%s\",\"final\":%s,\"records\":%lld,\"bytes\":%lld,\"errors\":%lld,"
               "\"seconds\":%.3f,\"records_per_sec\":%.1f,\"mb_per_sec\":%.3f,"
               "\"latency_p50_ms\":%.3f,\"latency_p99_ms\":%.3f,\"latency_p999_ms\":%.3f,"
               "\"cpu_us_per_record\":%.3f}\n",
               r->what, r->final ? "true" : "false", (long long)r->records, (long long)r->bytes,
               (long long)r->errors, r->secs, rps, mbps, p50, p99, p999, cpu_us);
    } else {
        printf("%s%lld records %s, %.1f records/sec (%.2f MB/sec), latency p50 %.2f ms, "
               "p99 %.2f ms, p99.9 %.2f ms, %.2f us CPU/record%s\n",
               r->final ? "total: " : "", (long long)r->records,
               strcmp(r->what, "produce") ? "consumed" : "sent", rps, mbps, p50, p99, p999, cpu_us,
               r->errors ? " (errors)" : "");
    }
    fflush(stdout);
}
