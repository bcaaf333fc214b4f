/* Statistics: the figures of one client at one time (a kstats_doc),
 * gathered on the thread that asks for them, and rendered as JSON (the
 * stats_cb's document, close to librdkafka's) or as Prometheus text.
 *
 * Who gathers what, and why it is safe:
 *   - brokers (kstats_add_brokers, here): each connection's kconn_stats,
 *     atomics its I/O thread writes, read while a kbroker reference (from
 *     kclient_brokers) keeps the connection alive;
 *   - topics and partitions: the producer (lib/producer/stats.c) and the
 *     consumer (lib/consumer/stats.c) fill them from their own state,
 *     under the locks that guard it, or from atomics;
 *   - the document is the caller's: rendering touches nothing shared.
 * A field that kfk cannot know is left at KSTATS_NONE and omitted from
 * both renderings; docs/STATS.md says which.
 *
 * The interval (statistics.interval.ms) is kept here too: kstats_due()
 * says whether a poll should deliver a document now, and claims it, so
 * two threads polling the same handle do not both deliver one. */
#ifndef KFK_CLIENT_STATS_H
#define KFK_CLIENT_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/hist.h"
#include "kfk.h"

typedef struct kclient kclient;
typedef struct kconn kconn;

/* A field kfk does not know: left out of the rendering. */
#define KSTATS_NONE INT64_MIN

/* Top-level figures beyond the fixed ones (name, client_id, type, ts,
 * time, age) and the broker sums (tx, tx_bytes, rx, rx_bytes). */
typedef enum kstats_top {
    KST_REPLYQ,
    KST_MSG_CNT,
    KST_MSG_SIZE,
    KST_MSG_MAX,
    KST_MSG_SIZE_MAX,
    KST_TXMSGS,
    KST_TXMSG_BYTES,
    KST_RXMSGS,
    KST_RXMSG_BYTES,
    KST__COUNT
} kstats_top;

/* A partition's figures. */
typedef enum kstats_pfield {
    KSP_LEADER,
    KSP_MSGQ_CNT,
    KSP_MSGQ_BYTES,
    KSP_XMIT_MSGQ_CNT,
    KSP_XMIT_MSGQ_BYTES,
    KSP_TXMSGS,
    KSP_TXBYTES,
    KSP_RXMSGS,
    KSP_RXBYTES,
    KSP_FETCHQ_CNT,
    KSP_FETCHQ_SIZE,
    KSP_APP_OFFSET,
    KSP_COMMITTED_OFFSET,
    KSP_CONSUMER_LAG,
    KSP_HI_OFFSET,
    KSP_LO_OFFSET,
    KSP__COUNT
} kstats_pfield;

typedef struct kstats_broker {
    char name[96]; /* "host:port/id", as the logs name it */
    int32_t nodeid;
    const char *source; /* "learned", "configured" (bootstrap), "logical" (coordinator) */
    const char *state;  /* "UP" (READY) or the connection state's name */
    int64_t stateage_us;
    int64_t outbuf_cnt, waitresp_cnt;
    int64_t tx, txbytes, txerrs, rx, rxbytes, rxerrs, connects, disconnects;
    khist_view rtt, throttle;         /* since the last stats_cb document */
    khist_view rtt_all, throttle_all; /* over the connection's life */
} kstats_broker;

typedef struct kstats_part {
    int32_t partition;
    const char *fetch_state; /* consumer only; NULL: omitted */
    int64_t f[KSP__COUNT];   /* KSTATS_NONE: omitted */
} kstats_part;

typedef struct kstats_topic {
    char *name;                     /* owned */
    bool batches;                   /* producer: batchsize, batchcnt, compression_ratio apply */
    khist_view batchsize, batchcnt; /* since the last stats_cb document */
    khist_view batchsize_all, batchcnt_all;       /* over the producer's life */
    int64_t uncompressed_bytes, compressed_bytes; /* of the batches sent */
    kstats_part *parts;
    int n_parts, cap_parts;
} kstats_topic;

typedef struct kstats_cgrp {
    const char *state;        /* "up", "joining", "left" */
    int64_t stateage_ms;      /* KSTATS_NONE: omitted */
    int64_t rebalance_age_ms; /* since the last assignment change; KSTATS_NONE: none yet */
    int64_t rebalance_cnt;
    const char *rebalance_reason; /* "" before the first */
    int64_t assignment_size;
} kstats_cgrp;

/* kstats_doc.gone: what connections no longer listed carried. */
enum {
    KSTATS_GONE_TX,
    KSTATS_GONE_TX_BYTES,
    KSTATS_GONE_RX,
    KSTATS_GONE_RX_BYTES,
    KSTATS_GONE__COUNT
};

typedef struct kstats_doc {
    const char *type;      /* "producer" or "consumer" */
    char name[128];        /* client.id#type-serial */
    const char *client_id; /* the conf's; lives as long as the client */
    int64_t ts_us;         /* monotonic clock */
    int64_t time_s;        /* wall clock */
    int64_t age_us;        /* since the client was made */
    int64_t top[KST__COUNT];
    kstats_broker *brokers;
    int n_brokers;
    int64_t gone[KSTATS_GONE__COUNT]; /* added to the brokers' sums in the totals */
    kstats_topic *topics;
    int n_topics, cap_topics;
    bool have_cgrp;
    kstats_cgrp cgrp;
} kstats_doc;

/* Sets d up for c (name, type, times; every top field KSTATS_NONE) and
 * adds c's brokers. close_windows: the document is a stats_cb's, which
 * empties the histograms' windows (kwhist). Returns KFK_OK or
 * KFK_ERR_NO_MEMORY (d is then still safe to free). */
kfk_err kstats_doc_init(kstats_doc *d, kclient *c, bool close_windows);
/* conn's broker left the registry: its requests and bytes so far stay in
 * the client's totals. Any thread. */
void kstats_conn_gone(kclient *c, kconn *conn);
void kstats_doc_free(kstats_doc *d);
/* The topic called name in d, added when missing; NULL when out of
 * memory. */
kstats_topic *kstats_topic_get(kstats_doc *d, const char *name);
/* A new partition of t with every field KSTATS_NONE; NULL when out of
 * memory. */
kstats_part *kstats_part_add(kstats_topic *t, int32_t partition);

/* Renders d into out (appended, NUL-terminated, the NUL not counted in
 * out->len). Returns KFK_OK or KFK_ERR_NO_MEMORY. */
kfk_err kstats_json(const kstats_doc *d, kbuf *out);
kfk_err kstats_prometheus(const kstats_doc *d, kbuf *out);

/* Copies text (text->len bytes and a NUL) to the caller's buf as the
 * public *_stats_* functions promise. */
kfk_err kstats_copy_out(const kbuf *text, char *buf, size_t *len);

/* --- the interval ------------------------------------------------------------ */

typedef struct kstats_timer {
    int64_t interval_ns;    /* 0: off */
    _Atomic int64_t due_ns; /* the next document's time (monotonic) */
    kfk_stats_cb *cb;
    void *opaque;
} kstats_timer;

/* From statistics.interval.ms and stats_cb: off unless both are set. */
void kstats_timer_init(kstats_timer *t, const kfk_conf *conf);
/* Whether a document is due at now_ns; when it is, the caller has
 * claimed it (the next one is due an interval later) and must deliver
 * it. Any thread; one relaxed load when none is due. */
bool kstats_due(kstats_timer *t, int64_t now_ns);
/* The deadline a poll waiting until deadline_ns should wake at instead,
 * so as to deliver the next document in time. */
int64_t kstats_wake_ns(const kstats_timer *t, int64_t deadline_ns);

#endif
