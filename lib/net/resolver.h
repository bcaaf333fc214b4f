/* Host name resolution off the I/O threads. getaddrinfo() may block for
 * seconds on DNS; one resolver thread per client does the lookups and
 * hands each result back to the loop that asked, as a task. The thread
 * starts with the first lookup, so clients that only see numeric
 * addresses never create it.
 *
 * A lookup belongs to the connection that started it until its callback
 * runs; closing the connection cancels it (kresolver_cancel), after which
 * the callback never runs, whatever stage the lookup was in. */
#ifndef KFK_NET_RESOLVER_H
#define KFK_NET_RESOLVER_H

#include "base/log.h"
#include "net/loop.h"
#include "net/sock.h"

typedef struct kresolver kresolver;
typedef struct kresolve_job kresolve_job;

/* Receives a lookup's outcome on the loop thread: gai_err 0 and the
 * addresses, or an EAI_* code. The job is freed after the call. */
typedef void kresolve_fn(void *opaque, int gai_err, const kaddrs *addrs);

/* A resolver with no thread yet. NULL when out of memory. Any thread. */
kresolver *kresolver_new(const klogger *log);

/* Stops and joins the thread (waiting for a lookup in progress) and frees
 * r. Cancel every lookup first. Any thread but a loop's that has lookups. */
void kresolver_free(kresolver *r);

/* Starts resolving host:port; fn(opaque, ...) runs later as a task on
 * loop. Returns the job (a handle for kresolver_cancel), or NULL when the
 * thread cannot start or memory is out. Call from loop's thread. */
kresolve_job *kresolver_lookup(kresolver *r, const char *host, int port, kloop *loop,
                               kresolve_fn *fn, void *opaque);

/* Makes sure fn of job never runs, and frees what it can now (the rest
 * is freed by whichever thread holds the job). Call from the job's loop
 * thread, before the callback ran. */
void kresolver_cancel(kresolver *r, kresolve_job *job);

#endif
