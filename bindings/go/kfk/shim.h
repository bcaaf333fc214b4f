/* C side of the Go binding: the calls Go makes many times a second run
 * here in batches, so that one cgo call moves many records, and the
 * structs crossing into Go hold offsets into one buffer rather than
 * pointers (cgo forbids Go pointers inside memory passed to C). */
#ifndef GOKFK_SHIM_H
#define GOKFK_SHIM_H

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <kfk.h>

/* One record to produce. Every *_off is an offset into the batch's
 * buffer; a length of -1 means a null key or value. Headers at hdr_off
 * are n_headers of: u32 name length, name, i64 value length (-1: null),
 * value. */
typedef struct gokfk_prec {
    int64_t topic_off;
    int64_t key_off;
    int64_t key_len;
    int64_t val_off;
    int64_t val_len;
    int64_t hdr_off;
    int64_t timestamp_ms;
    uint64_t id;
    int32_t topic_len;
    int32_t partition;
    int32_t n_headers;
    int32_t pad;
} gokfk_prec;

/* One delivery report, as the dr callback copies it. */
typedef struct gokfk_dr {
    uint64_t id;
    int64_t offset;
    int64_t timestamp_ms;
    int32_t partition;
    int32_t err;
} gokfk_dr;

/* Reports served by whichever thread polled or flushed, waiting for Go
 * to take them. Two arrays take turns: dr_cb fills drs while Go reads the
 * one the last take handed out (out), so reports cross without a copy.
 * mu protects drs, n and cap; out and out_cap belong to the taker. */
typedef struct gokfk_pstate {
    pthread_mutex_t mu;
    gokfk_dr *drs;
    size_t n, cap;
    gokfk_dr *out;
    size_t out_cap;
    int stop_fd; /* an eventfd gokfk_pstate_stop makes readable; -1: none */
} gokfk_pstate;

gokfk_pstate *gokfk_pstate_new(void);
void gokfk_pstate_free(gokfk_pstate *st);
void gokfk_conf_set_dr(kfk_conf *conf, gokfk_pstate *st);
/* Produces recs[0..n) and returns how many were accepted; on a refusal
 * *err gets its error and errbuf kfk's last-error text for it. hooked:
 * the producer has interceptors, which need to know each record's id
 * (gokfk_set_producing). */
size_t gokfk_produce_batch(kfk_producer *p, const uint8_t *buf, const gokfk_prec *recs, size_t n,
                           int hooked, kfk_err *err, char *errbuf, size_t errlen);
/* Hands every waiting report to the caller: *out points at them until
 * the next take, which reuses that array; one taker at a time. Returns
 * how many. */
size_t gokfk_take_reports(gokfk_pstate *st, gokfk_dr **out);
/* Polls the producer (timeout_ms as kfk_producer_poll) unless reports
 * are already waiting, then takes them as gokfk_take_reports does. */
size_t gokfk_producer_poll(kfk_producer *p, gokfk_pstate *st, int timeout_ms, gokfk_dr **out);
/* Waits up to timeout_ms until reports wait to be served or
 * gokfk_pstate_stop was called, without serving any (it falls back to a
 * kfk_producer_poll when a descriptor is missing). */
void gokfk_producer_wait(kfk_producer *p, gokfk_pstate *st, int timeout_ms);
/* Ends every gokfk_producer_wait, now and later. */
void gokfk_pstate_stop(gokfk_pstate *st);

/* One consumed message, its bytes at the offsets given in the poll's
 * buffer (headers encoded as for gokfk_prec). */
typedef struct gokfk_msg {
    int64_t offset;
    int64_t timestamp_ms;
    int64_t topic_off;
    int64_t key_off;
    int64_t key_len;
    int64_t val_off;
    int64_t val_len;
    int64_t hdr_off;
    int32_t topic_len;
    int32_t partition;
    int32_t n_headers;
    int32_t err;
    int32_t leader_epoch;
    int32_t ts_type;
} gokfk_msg;

/* A consumer's poll state, used by one poll at a time: the messages a
 * poll holds until gokfk_consumer_copy, their layout (msgs) and the size
 * of the buffer that takes their bytes (len). */
typedef struct gokfk_cstate {
    size_t len;
    gokfk_msg *msgs;
    kfk_message **tmp;
    size_t n, mcap;
} gokfk_cstate;

gokfk_cstate *gokfk_cstate_new(void);
void gokfk_cstate_free(gokfk_cstate *st);
/* Polls up to max messages (waiting at most timeout_ms for the first)
 * and lays them out: st->msgs gets where each one's bytes go in a buffer
 * of st->len bytes, which the caller makes (Go memory: the bytes are
 * copied once, straight into the messages Go hands out) and passes to
 * gokfk_consumer_copy. Returns how many; (size_t)-1 when memory ran out
 * or a header could not be read (the messages are lost). */
size_t gokfk_consumer_poll(kfk_consumer *c, gokfk_cstate *st, size_t max, int timeout_ms);
/* Copies the polled messages' bytes into buf (st->len bytes; any
 * pointer when that is 0) as st->msgs lays them out, and releases the
 * messages. */
void gokfk_consumer_copy(gokfk_cstate *st, uint8_t *buf);

/* Callbacks into Go; opaque is a cgo.Handle. */
void gokfk_conf_set_rebalance(kfk_conf *conf, uintptr_t handle);
void gokfk_conf_set_commit(kfk_conf *conf, uintptr_t handle);
void gokfk_conf_set_error(kfk_conf *conf, uintptr_t handle);
/* Statistics documents go to the Go func behind handle. */
void gokfk_conf_set_stats(kfk_conf *conf, uintptr_t handle);

/* Interceptors: one C interceptor per client carries every Go one
 * (handle: the Producer or Consumer). A producer's on_send finds its Go
 * record by the id gokfk_produce_batch is producing on that thread; its
 * on_acknowledgement reaches Go only for a record kfk_produce refused
 * (served reports reach the interceptors from Go's delivery path, which
 * already has them). Returns kfk_conf_add_interceptor's error. */
kfk_err gokfk_conf_add_producer_hooks(kfk_conf *conf, uintptr_t handle, int send, int ack);
kfk_err gokfk_conf_add_consumer_hooks(kfk_conf *conf, uintptr_t handle);
/* Sets the report id of the record being produced on this thread (0:
 * none) and returns the one set before. */
uint64_t gokfk_set_producing(uint64_t id);

#endif
