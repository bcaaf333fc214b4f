/* The binding's per-handle state, shared by the cffi module (_kfk) and
 * the C fast paths (_speedups). */
#ifndef KFKPY_H
#define KFKPY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kfkpy_ev {
    int kind; /* 1: error, 2: log, 3: statistics (text: the JSON) */
    int code; /* the kfk_err, or the log level */
    char *facility;
    char *text;
} kfkpy_ev;

/* Per handle: delivery reports collected during one poll (the polling
 * thread only, so no lock), a column per field so that Python turns each
 * into a list in one call (ffi.unpack); and error and log events from
 * kfk's threads (under lock) that Python takes on its polling thread, so
 * that no kfk thread ever waits for the GIL. */
typedef struct kfkpy_h {
    uintptr_t *dr_opaque;
    int64_t *dr_offset;
    int64_t *dr_timestamp;
    int32_t *dr_partition;
    int32_t *dr_err;
    size_t n_dr;   /* reports collected */
    size_t dr_next; /* the first not yet served (a callback raised) */
    size_t cap_dr;
    pthread_mutex_t lock; /* protects evs, n_ev, cap_ev */
    kfkpy_ev *evs;
    size_t n_ev, cap_ev;
    void *py_handle;
} kfkpy_h;

#endif
