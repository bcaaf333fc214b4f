/* kfk's statistics read on demand (JSON and Prometheus text) and its
 * interceptors: what an application uses to watch records and clients.
 *
 * Include <kfk.h>, which includes this file; it is a file of its own only
 * so that each header stays readable. Everything said at the top of kfk.h
 * holds here too. */
#ifndef KFK_OBSERVE_H
#define KFK_OBSERVE_H

#include "kfk.h" /* its types; kfk.h includes this file at its end */

#ifdef __cplusplus
extern "C" {
#endif

/* --- statistics ------------------------------------------------------------------- */
/* The figures behind kfk_stats_cb, read on demand: as a JSON document
 * (the stats_cb's, docs/STATS.md) or as Prometheus text exposition
 * format 0.0.4 (metric names after the Java client's, kafka_producer_*
 * and kafka_consumer_*, with client_id, broker, node_id, topic and
 * partition labels; docs/STATS.md lists them). They work whatever
 * statistics.interval.ms is: counters are kept always (they cost about
 * nothing), and reading them here is the only cost. The JSON's histograms
 * show the window opened by the last stats_cb document (the whole life
 * without a stats_cb); reading them here does not close it. The
 * Prometheus summaries cover the whole life.
 *
 * The text goes into the caller's buffer, as kfk_conf_get does: *len is
 * buf's size going in and, coming out, the size the text needs including
 * its NUL. Returns KFK_OK; KFK_ERR_TOO_LARGE when buf is NULL or too
 * small (nothing written; call again with at least *len bytes, and some
 * room to spare: the figures move between calls, a new broker or
 * partition adds lines); KFK_ERR_INVALID_ARG for a NULL handle or len;
 * KFK_ERR_NO_MEMORY. A caller buffer rather than a string kfk allocates:
 * a scraper can keep one buffer for every scrape, nothing needs a free
 * function, and bindings copy from a buffer they own.
 *
 * Any thread, several at once; never blocks for I/O (takes the locks
 * that guard each partition's figures briefly, as kfk_produce and
 * kfk_consumer_poll do). Not from a forked child (KFK_ERR_STATE). */
KFK_API kfk_err kfk_producer_stats_json(kfk_producer *producer, char *buf, size_t *len);
KFK_API kfk_err kfk_producer_stats_prometheus(kfk_producer *producer, char *buf, size_t *len);
KFK_API kfk_err kfk_consumer_stats_json(kfk_consumer *c, char *buf, size_t *len);
KFK_API kfk_err kfk_consumer_stats_prometheus(kfk_consumer *c, char *buf, size_t *len);

/* --- interceptors --------------------------------------------------------------- */
/* Interceptors see records pass through a client, as Java's
 * interceptor.classes: for metrics, tracing or auditing, not to change
 * records (every pointer they get is const or kfk's: in this C API a
 * record is the application's memory, so no interceptor may rewrite it;
 * an application that wants to change records changes them before
 * kfk_produce or after poll). Each hook is optional (NULL: not called).
 * Several interceptors are called in the order they were added. A hook
 * returns KFK_OK or an error; an error is logged (warning, facility
 * "interceptor") and otherwise ignored, as Java ignores an interceptor's
 * exception: the record or commit goes on as if nothing happened.
 *
 * Threads: every hook runs on an application thread, never on a kfk
 * thread and never with a kfk lock held, like the other callbacks:
 *   on_send             the thread calling kfk_produce, before the record
 *                       is partitioned or copied. Keep it short: it adds
 *                       to every kfk_produce.
 *   on_acknowledgement  where the record's delivery report is served
 *                       (kfk_producer_poll, flush, close, destroy), just
 *                       before dr_cb gets it: once per record accepted by
 *                       kfk_produce, with the same report. Also, on the
 *                       thread calling kfk_produce, once for a record
 *                       kfk_produce refused after on_send (report->err is
 *                       kfk_produce's return value, offset -1, and no
 *                       delivery report follows). Java calls it on its
 *                       I/O thread; here reports are the application's
 *                       to serve, so a slow hook slows the poll, never
 *                       the I/O. With interceptors and no dr_cb, reports
 *                       still queue for kfk_producer_poll, so poll (or
 *                       flush) for the acknowledgements to come.
 *   on_consume          the thread calling kfk_consumer_poll or
 *                       poll_batch, with the n messages it is about to
 *                       return (error messages included), before the
 *                       application sees them.
 *   on_commit           where commit results are served: a synchronous
 *                       kfk_consumer_commit's thread before it returns,
 *                       poll for async and auto commits (before
 *                       commit_cb), once per commit, with the offsets
 *                       tried and the result (each partition's own in
 *                       kfk_partition_list_error). A synchronous commit
 *                       that returned KFK_ERR_TIMED_OUT before its answer
 *                       came gets no hook.
 * A hook may call the client's non-blocking functions; it must not
 * destroy or close the client. opaque, ops's functions and the memory
 * opaque points to stay the caller's and must outlive every client made
 * from the configuration.
 *
 * No interceptor costs nothing: a client without any tests one flag per
 * kfk_produce, poll and commit.
 *
 * Growth: reserved must be NULL; a later version may give those words a
 * meaning. */
typedef struct kfk_interceptor {
    kfk_err (*on_send)(void *opaque, kfk_producer *producer, const kfk_record *rec);
    kfk_err (*on_acknowledgement)(void *opaque, kfk_producer *producer,
                                  const kfk_delivery_report *report);
    kfk_err (*on_consume)(void *opaque, kfk_consumer *consumer, kfk_message *const *msgs, size_t n);
    kfk_err (*on_commit)(void *opaque, kfk_consumer *consumer, kfk_err err,
                         const kfk_partition_list *offsets);
    void (*reserved[4])(void); /* NULL */
} kfk_interceptor;

/* The most interceptors one configuration holds. */
#define KFK_INTERCEPTORS_MAX 16

/* Adds an interceptor to conf, after those added before; *ops is copied
 * (opaque is not: see above). Producers take the producer hooks,
 * consumers the consumer hooks; kfk_conf_dup copies the list. Returns
 * KFK_OK, KFK_ERR_INVALID_ARG (NULL conf or ops, a reserved word not
 * NULL, no hook at all, or KFK_INTERCEPTORS_MAX already added). Never
 * blocks. */
KFK_API kfk_err kfk_conf_add_interceptor(kfk_conf *conf, const kfk_interceptor *ops, void *opaque);
/* --- end of interceptors -------------------------------------------------------- */

#ifdef __cplusplus
}
#endif

#endif
