/* Error codes: what kfk.h declares publicly (kfk_err_str, kfk_err_name)
 * plus what the rest of the library needs to decide how to react. */
#ifndef KFK_BASE_ERR_H
#define KFK_BASE_ERR_H

#include <stddef.h>

#include "kfk.h"

/* 1 when a request that failed with err may succeed if sent again (the
 * broker's view may change: leader moved, coordinator loading, timeout),
 * 0 when repeating it is pointless. Broker codes follow the Java client's
 * RetriableException classification. Unknown codes are not retriable. */
int kerr_retriable(kfk_err err);

/* 1 for a code a broker can send (the Kafka protocol's own codes). */
static inline int kerr_is_broker(kfk_err err)
{
    return err >= -1 && err != KFK_OK;
}

/* One row of the error table. */
typedef struct kerr_info {
    kfk_err code;
    const char *name; /* "NOT_LEADER_OR_FOLLOWER" */
    const char *str;  /* "NOT_LEADER_OR_FOLLOWER: <description>" */
    int retriable;
} kerr_info;

/* The whole table, sorted by code; *n gets its length. For tests and
 * tools that list every code. */
const kerr_info *kerr_table(size_t *n);

/* The row for err, or NULL when kfk does not know the code. */
const kerr_info *kerr_lookup(kfk_err err);

#endif
