#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "base/time.h"

const char *klog_level_name(int level)
{
    static const char *const names[] = {"EMERG",   "ALERT",  "CRIT", "ERR",
                                        "WARNING", "NOTICE", "INFO", "DEBUG"};
    if (level < 0 || level >= (int)(sizeof(names) / sizeof(names[0]))) return "LEVEL?";
    return names[level];
}

/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 chars plus NUL) into out. */
static void format_utc_ms(char out[32], int64_t wall_ms)
{
    time_t secs = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(wall_ms % 1000));
}

void klog_stderr(void *opaque, void *handle, kfk_log_level level, const char *facility,
                 const char *message)
{
    (void)opaque, (void)handle;
    char ts[32];
    format_utc_ms(ts, ktime_wall_ms());
    /* One fprintf per line: stdio's stream lock keeps lines from different
     * threads whole. */
    fprintf(stderr, "%s %s kfk [%s] %s\n", ts, klog_level_name(level), facility, message);
}

void klog_emit(const klogger *lg, int level, const char *fac, const char *fmt, ...)
{
    char line[KLOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);

    kfk_log_cb *cb = lg && lg->cb ? lg->cb : klog_stderr;
    cb(lg ? lg->opaque : NULL, lg ? lg->handle : NULL, (kfk_log_level)level, fac ? fac : "", line);
}
