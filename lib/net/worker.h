/* A thread for calls that may block, run on behalf of a loop. The I/O
 * threads never block (one serves many brokers), so work that can (a
 * SASL mechanism asking a Kerberos KDC for a ticket, say) is handed to a
 * worker; its outcome comes back to the loop that asked, as a task. The
 * thread starts with the first piece of work, so clients that never need
 * it never create it. Work runs one piece at a time, in submission order.
 *
 * A piece of work belongs to whoever submitted it until its done callback
 * runs; cancelling it (kworker_cancel) makes sure done never runs, and
 * discard then frees it on whichever thread holds it last: the loop's,
 * the worker's after run returns, or the one calling kworker_free. */
#ifndef KFK_NET_WORKER_H
#define KFK_NET_WORKER_H

#include <stdbool.h>

#include "net/loop.h"

typedef struct kworker kworker;
typedef struct kwork kwork;

struct kwork {
    ktask task; /* the loop runs it */
    /* Worker thread: the call that may block. */
    void (*run)(kwork *w);
    /* Loop thread, after run, unless cancelled: takes the work over. */
    void (*done)(kwork *w);
    /* Cancelled work: frees what the work holds, w included. Any thread,
     * never while run or done runs. */
    void (*discard)(kwork *w);
    /* The worker's own, from kworker_submit on. */
    kwork *next;
    kloop *loop;
    int stage;      /* under the worker's lock */
    bool cancelled; /* under the worker's lock */
};

/* A worker with no thread yet; name is the thread's. NULL when out of
 * memory. Any thread. */
kworker *kworker_new(const char *name);

/* Stops and joins the thread, waiting for the work it is running, and
 * frees w. Cancel every piece of work first (work still queued or posted
 * is discarded). Any thread but one of the loops the work is for. */
void kworker_free(kworker *w);

/* Queues work (run, done and discard set) to run on the worker, with done
 * posted to loop. Returns 0, or -1 when the thread cannot start (work
 * stays the caller's). Call from loop's thread. */
int kworker_submit(kworker *w, kwork *work, kloop *loop);

/* Makes sure done never runs for work; discard frees it now or later.
 * Call from the work's loop thread, before done ran. */
void kworker_cancel(kworker *w, kwork *work);

#endif
