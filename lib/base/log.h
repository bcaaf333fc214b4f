/* Logging. Every handle owns a klogger (the user's kfk_log_cb, its opaque
 * pointer and a level threshold); code logs through klog(), which skips
 * formatting and even argument evaluation when the level is filtered. */
#ifndef KFK_BASE_LOG_H
#define KFK_BASE_LOG_H

#include "kfk.h"

typedef struct klogger {
    kfk_log_cb *cb; /* NULL: klog_stderr */
    void *opaque;   /* passed to cb */
    void *handle;   /* the public handle logging, passed to cb; NULL: none */
    int level;      /* messages with a level above this are dropped */
} klogger;

/* The level a NULL logger uses, for code that runs before any handle exists. */
#define KLOG_DEFAULT_LEVEL KFK_LOG_WARNING

/* Set a logger up; cb may be NULL for the stderr default. Configure a logger
 * before other threads can see it: the fields are read without locks. */
static inline void klogger_init(klogger *lg, kfk_log_cb *cb, void *opaque, int level)
{
    lg->cb = cb;
    lg->opaque = opaque;
    lg->handle = NULL;
    lg->level = level;
}

/* True when a message at level would be delivered. lg may be NULL. */
static inline int klog_enabled(const klogger *lg, int level)
{
    return level <= (lg ? lg->level : KLOG_DEFAULT_LEVEL);
}

/* Logs a printf-style message through lg (NULL: stderr at the default
 * level) under facility fac, e.g.
 *     klog(lg, KFK_LOG_WARNING, "broker", "%s: connect failed: %s", name, why);
 * The arguments are evaluated only when the level passes the threshold.
 * Any thread; the callback runs on the calling thread. */
#define klog(lg, level, fac, ...)                                                                  \
    do {                                                                                           \
        const klogger *klog_lg_ = (lg);                                                            \
        int klog_level_ = (level);                                                                 \
        if (klog_enabled(klog_lg_, klog_level_))                                                   \
            klog_emit(klog_lg_, klog_level_, fac, __VA_ARGS__);                                    \
    } while (0)

/* Formats and delivers unconditionally; call through klog(). Messages longer
 * than KLOG_LINE_MAX - 1 bytes are cut short. */
#define KLOG_LINE_MAX 1024
void klog_emit(const klogger *lg, int level, const char *fac, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The default callback: one line on stderr,
 * "2025-01-31T12:34:56.789Z WARNING kfk [broker] message". */
void klog_stderr(void *opaque, void *handle, kfk_log_level level, const char *facility,
                 const char *message);

/* "EMERG" .. "DEBUG"; "LEVEL?" out of range. */
const char *klog_level_name(int level);

#endif
