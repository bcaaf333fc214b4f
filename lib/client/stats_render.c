/* Renders a kstats_doc as JSON (the stats_cb's document; field names as
 * librdkafka's STATISTICS.md has them, so dashboards built for it carry
 * over) and as Prometheus text exposition format 0.0.4 (names after the
 * Java client's metrics). docs/STATS.md lists both. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client/stats.h"

/* Where text goes; a failed allocation sticks, and is reported once at the
 * end, so the writers need not check every append. */
typedef struct wr {
    kbuf *b;
    bool oom;
    int depth;
    bool first[16]; /* per open object: nothing written in it yet */
} wr;

static void put(wr *w, const char *s, size_t n)
{
    if (!w->oom && kbuf_append(w->b, s, n)) w->oom = true;
}

static void puts_(wr *w, const char *s)
{
    put(w, s, strlen(s));
}

static void putf(wr *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(wr *w, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) return;
    put(w, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), 0 when
 * the bytes there are not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (!len || s[0] > 0xF4 || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (len == 3 && s[0] == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
    if (len == 3 && s[0] == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
    if (len == 4 && s[0] == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
    if (len == 4 && s[0] == 0xF4 && s[1] >= 0x90) return 0; /* past U+10FFFF */
    return len;
}

/* s as a JSON string: quotes, backslashes and control bytes escaped,
 * bytes that are not UTF-8 replaced by U+FFFD, so the document always
 * parses whatever client.id the application chose. */
static void json_str(wr *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    put(w, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char ch = p[i];
        if (ch == '"' || ch == '\\') {
            char e[2] = {'\\', (char)ch};
            put(w, e, 2);
            i++;
        } else if (ch < 0x20 || ch == 0x7F) {
            putf(w, "\\u%04x", ch);
            i++;
        } else if (ch < 0x80) {
            put(w, (const char *)p + i, 1);
            i++;
        } else {
            size_t len = utf8_len(p + i, n - i);
            if (len) {
                put(w, (const char *)p + i, len);
                i += len;
            } else {
                puts_(w, "\\ufffd");
                i++;
            }
        }
    }
    put(w, "\"", 1);
}

/* --- JSON structure ------------------------------------------------------------- */

static void key(wr *w, const char *k)
{
    if (!w->first[w->depth]) put(w, ",", 1);
    w->first[w->depth] = false;
    json_str(w, k);
    put(w, ":", 1);
}

static void open_obj(wr *w, const char *k)
{
    if (k) key(w, k);
    put(w, "{", 1);
    if (w->depth + 1 < (int)(sizeof(w->first) / sizeof(w->first[0]))) w->depth++;
    w->first[w->depth] = true;
}

static void close_obj(wr *w)
{
    put(w, "}", 1);
    if (w->depth > 0) w->depth--;
}

static void j_int(wr *w, const char *k, int64_t v)
{
    if (v == KSTATS_NONE) return;
    key(w, k);
    putf(w, "%" PRId64, v);
}

static void j_str(wr *w, const char *k, const char *v)
{
    if (!v) return;
    key(w, k);
    json_str(w, v);
}

static void j_hist(wr *w, const char *k, const khist_view *h)
{
    open_obj(w, k);
    j_int(w, "min", h->min);
    j_int(w, "max", h->max);
    j_int(w, "avg", h->avg);
    j_int(w, "sum", h->sum);
    j_int(w, "cnt", h->cnt);
    j_int(w, "p50", h->p50);
    j_int(w, "p75", h->p75);
    j_int(w, "p90", h->p90);
    j_int(w, "p95", h->p95);
    j_int(w, "p99", h->p99);
    j_int(w, "p99_99", h->p99_99);
    close_obj(w);
}

/* --- the fields ----------------------------------------------------------------- */

typedef struct field {
    const char *json; /* librdkafka's name */
    const char *prom; /* after the producer's or consumer's prefix */
    const char *type; /* "counter" or "gauge" */
    const char *help;
} field;

static const field top_fields[KST__COUNT] = {
    [KST_REPLYQ] = {"replyq", "replyq", "gauge",
                    "Events waiting for the application's poll (delivery reports or fetched "
                    "message batches)."},
    [KST_MSG_CNT] = {"msg_cnt", "outstanding_records", "gauge",
                     "Records produced and not yet reported delivered or failed."},
    [KST_MSG_SIZE] = {"msg_size", "buffer_used_bytes", "gauge",
                      "Bytes of buffer.memory held by batches not yet released."},
    [KST_MSG_MAX] = {"msg_max", "max_records", "gauge", "The most records kfk queues."},
    [KST_MSG_SIZE_MAX] = {"msg_size_max", "buffer_total_bytes", "gauge",
                          "buffer.memory: the most bytes batches may hold."},
    [KST_TXMSGS] = {"txmsgs", "record_send_total", "counter", "Records the brokers acknowledged."},
    [KST_TXMSG_BYTES] = {"txmsg_bytes", "byte_total", "counter",
                         "Bytes of the batches the brokers acknowledged (uncompressed)."},
    [KST_RXMSGS] = {"rxmsgs", "records_consumed_total", "counter",
                    "Records fetched for the application."},
    [KST_RXMSG_BYTES] = {"rxmsg_bytes", "bytes_consumed_total", "counter",
                         "Bytes of record data fetched for the application."},
};

static const field part_fields[KSP__COUNT] = {
    [KSP_LEADER] = {"leader", "topic_partition_leader", "gauge",
                    "Node id of the partition's leader; -1: none known."},
    [KSP_MSGQ_CNT] = {"msgq_cnt", "topic_record_queue_count", "gauge",
                      "Records in the accumulator, not yet taken for sending."},
    [KSP_MSGQ_BYTES] = {"msgq_bytes", "topic_record_queue_bytes", "gauge",
                        "Bytes of those records, in their batches."},
    [KSP_XMIT_MSGQ_CNT] = {"xmit_msgq_cnt", "topic_record_inflight_count", "gauge",
                           "Records taken for sending and not yet acknowledged."},
    [KSP_XMIT_MSGQ_BYTES] = {"xmit_msgq_bytes", "topic_record_inflight_bytes", "gauge",
                             "Bytes of those records, in their batches."},
    [KSP_TXMSGS] = {"txmsgs", "topic_record_send_total", "counter",
                    "Records the partition's leader acknowledged."},
    [KSP_TXBYTES] = {"txbytes", "topic_byte_total", "counter",
                     "Bytes of the batches acknowledged (uncompressed)."},
    [KSP_RXMSGS] = {"rxmsgs", "topic_records_consumed_total", "counter",
                    "Records fetched for the application."},
    [KSP_RXBYTES] = {"rxbytes", "topic_bytes_consumed_total", "counter",
                     "Bytes of record data fetched for the application."},
    [KSP_FETCHQ_CNT] = {"fetchq_cnt", "topic_fetch_queue_records", "gauge",
                        "Records fetched and waiting for the application's poll."},
    [KSP_FETCHQ_SIZE] = {"fetchq_size", "topic_fetch_queue_bytes", "gauge",
                         "Bytes those records hold."},
    [KSP_APP_OFFSET] = {"app_offset", "topic_position", "gauge",
                        "The offset after the last record poll handed out (position)."},
    [KSP_COMMITTED_OFFSET] = {"committed_offset", "topic_committed_offset", "gauge",
                              "The last offset committed or read from the group."},
    [KSP_CONSUMER_LAG] = {"consumer_lag", "records_lag", "gauge",
                          "High watermark (last stable offset with read_committed) minus "
                          "position."},
    [KSP_HI_OFFSET] = {"hi_offset", "topic_high_watermark", "gauge",
                       "The high watermark (last stable offset with read_committed) the last "
                       "fetch saw."},
    [KSP_LO_OFFSET] = {"lo_offset", "topic_log_start_offset", "gauge",
                       "The log start offset the last fetch saw."},
};

/* --- JSON ------------------------------------------------------------------------- */

static void json_broker(wr *w, const kstats_broker *b)
{
    open_obj(w, b->name);
    j_str(w, "name", b->name);
    j_int(w, "nodeid", b->nodeid);
    j_str(w, "source", b->source);
    j_str(w, "state", b->state);
    j_int(w, "stateage", b->stateage_us);
    j_int(w, "outbuf_cnt", b->outbuf_cnt);
    j_int(w, "waitresp_cnt", b->waitresp_cnt);
    j_int(w, "tx", b->tx);
    j_int(w, "txbytes", b->txbytes);
    j_int(w, "txerrs", b->txerrs);
    j_int(w, "rx", b->rx);
    j_int(w, "rxbytes", b->rxbytes);
    j_int(w, "rxerrs", b->rxerrs);
    j_int(w, "connects", b->connects);
    j_int(w, "disconnects", b->disconnects);
    j_hist(w, "rtt", &b->rtt);
    j_hist(w, "throttle", &b->throttle);
    close_obj(w);
}

static void json_topic(wr *w, const kstats_topic *t)
{
    open_obj(w, t->name);
    j_str(w, "topic", t->name);
    if (t->batches) {
        j_hist(w, "batchsize", &t->batchsize);
        j_hist(w, "batchcnt", &t->batchcnt);
        if (t->uncompressed_bytes > 0) {
            key(w, "compression_ratio");
            putf(w, "%.4f", (double)t->compressed_bytes / (double)t->uncompressed_bytes);
        }
    }
    open_obj(w, "partitions");
    for (int i = 0; i < t->n_parts; i++) {
        const kstats_part *p = &t->parts[i];
        char k[16];
        snprintf(k, sizeof(k), "%d", (int)p->partition);
        open_obj(w, k);
        j_int(w, "partition", p->partition);
        j_str(w, "fetch_state", p->fetch_state);
        for (int f = 0; f < KSP__COUNT; f++)
            j_int(w, part_fields[f].json, p->f[f]);
        close_obj(w);
    }
    close_obj(w);
    close_obj(w);
}

static kfk_err finish(wr *w)
{
    if (!w->oom && kbuf_reserve(w->b, 1)) w->oom = true;
    if (w->oom) return KFK_ERR_NO_MEMORY;
    w->b->data[w->b->len] = '\0';
    return KFK_OK;
}

kfk_err kstats_json(const kstats_doc *d, kbuf *out)
{
    wr w = {.b = out, .first = {true}};
    open_obj(&w, NULL);
    j_str(&w, "name", d->name);
    j_str(&w, "client_id", d->client_id);
    j_str(&w, "type", d->type);
    j_int(&w, "ts", d->ts_us);
    j_int(&w, "time", d->time_s);
    j_int(&w, "age", d->age_us);
    for (int i = 0; i < KST__COUNT; i++)
        j_int(&w, top_fields[i].json, d->top[i]);
    int64_t tx = d->gone[KSTATS_GONE_TX], txb = d->gone[KSTATS_GONE_TX_BYTES],
            rx = d->gone[KSTATS_GONE_RX], rxb = d->gone[KSTATS_GONE_RX_BYTES];
    for (int i = 0; i < d->n_brokers; i++) {
        tx += d->brokers[i].tx;
        txb += d->brokers[i].txbytes;
        rx += d->brokers[i].rx;
        rxb += d->brokers[i].rxbytes;
    }
    j_int(&w, "tx", tx);
    j_int(&w, "tx_bytes", txb);
    j_int(&w, "rx", rx);
    j_int(&w, "rx_bytes", rxb);
    open_obj(&w, "brokers");
    for (int i = 0; i < d->n_brokers; i++)
        json_broker(&w, &d->brokers[i]);
    close_obj(&w);
    open_obj(&w, "topics");
    for (int i = 0; i < d->n_topics; i++)
        json_topic(&w, &d->topics[i]);
    close_obj(&w);
    if (d->have_cgrp) {
        const kstats_cgrp *g = &d->cgrp;
        open_obj(&w, "cgrp");
        j_str(&w, "state", g->state);
        j_int(&w, "stateage", g->stateage_ms);
        j_int(&w, "rebalance_age", g->rebalance_age_ms);
        j_int(&w, "rebalance_cnt", g->rebalance_cnt);
        j_str(&w, "rebalance_reason", g->rebalance_reason);
        j_int(&w, "assignment_size", g->assignment_size);
        close_obj(&w);
    }
    close_obj(&w);
    return finish(&w);
}

/* --- Prometheus ------------------------------------------------------------------- */

/* A label value: backslash, quote and newline escaped, as the format
 * asks. */
static void prom_label(wr *w, const char *name, const char *v, bool comma)
{
    if (comma) put(w, ",", 1);
    puts_(w, name);
    put(w, "=\"", 2);
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            put(w, "\\", 1), put(w, p, 1);
        else if (*p == '\n')
            put(w, "\\n", 2);
        else
            put(w, p, 1);
    }
    put(w, "\"", 1);
}

static void prom_head(wr *w, const char *prefix, const char *name, const char *type,
                      const char *help)
{
    putf(w, "# HELP %s_%s ", prefix, name);
    puts_(w, help);
    putf(w, "\n# TYPE %s_%s %s\n", prefix, name, type);
}

/* Starts a sample line: name{client_id="..."; the caller adds labels,
 * then prom_value. */
static void prom_start(wr *w, const char *prefix, const char *name, const char *suffix,
                       const kstats_doc *d)
{
    putf(w, "%s_%s%s{", prefix, name, suffix ? suffix : "");
    prom_label(w, "client_id", d->client_id, false);
}

static void prom_value(wr *w, int64_t v)
{
    putf(w, "} %" PRId64 "\n", v);
}

static void prom_broker_labels(wr *w, const kstats_broker *b)
{
    char id[16];
    snprintf(id, sizeof(id), "%d", (int)b->nodeid);
    prom_label(w, "broker", b->name, true);
    prom_label(w, "node_id", id, true);
}

typedef struct broker_metric {
    const char *name, *type, *help;
    size_t off; /* of an int64_t in kstats_broker */
} broker_metric;

#define BM(n, t, h, f)                                                                             \
    {                                                                                              \
        n, t, h, offsetof(kstats_broker, f)                                                        \
    }
static const broker_metric broker_metrics[] = {
    BM("node_request_total", "counter", "Requests sent to the broker.", tx),
    BM("node_outgoing_byte_total", "counter", "Bytes sent to the broker.", txbytes),
    BM("node_request_error_total", "counter", "Sends to the broker that failed.", txerrs),
    BM("node_response_total", "counter", "Responses read from the broker.", rx),
    BM("node_incoming_byte_total", "counter", "Bytes read from the broker.", rxbytes),
    BM("node_response_error_total", "counter",
       "Reads that failed, responses that did not decode or match.", rxerrs),
    BM("node_connection_creation_total", "counter", "Connections made ready.", connects),
    BM("node_connection_close_total", "counter", "Ready connections lost or closed.", disconnects),
    BM("node_outbuf_requests", "gauge", "Requests waiting to be sent.", outbuf_cnt),
    BM("node_waitresp_requests", "gauge", "Requests sent and waiting for a response.",
       waitresp_cnt),
};

/* A histogram as a Prometheus summary (quantiles, _sum, _count) in
 * seconds from unit_per_s units, plus Java's _avg and _max in ms. */
static void prom_hist(wr *w, const kstats_doc *d, const char *prefix, const char *name,
                      const char *java, const char *help, size_t off, double unit_per_s)
{
    char summary[96];
    snprintf(summary, sizeof(summary), "%s_seconds", name);
    prom_head(w, prefix, summary, "summary", help);
    static const struct {
        const char *q;
        size_t off;
    } qs[] = {{"0.5", offsetof(khist_view, p50)},
              {"0.95", offsetof(khist_view, p95)},
              {"0.99", offsetof(khist_view, p99)}};
    for (int i = 0; i < d->n_brokers; i++) {
        const khist_view *h = (const khist_view *)((const char *)&d->brokers[i] + off);
        for (size_t q = 0; q < sizeof(qs) / sizeof(qs[0]); q++) {
            prom_start(w, prefix, summary, NULL, d);
            prom_broker_labels(w, &d->brokers[i]);
            prom_label(w, "quantile", qs[q].q, true);
            putf(w, "} %.6f\n",
                 (double)*(const int64_t *)((const char *)h + qs[q].off) / unit_per_s);
        }
        prom_start(w, prefix, summary, "_sum", d);
        prom_broker_labels(w, &d->brokers[i]);
        putf(w, "} %.6f\n", (double)h->sum / unit_per_s);
        prom_start(w, prefix, summary, "_count", d);
        prom_broker_labels(w, &d->brokers[i]);
        prom_value(w, h->cnt);
    }
    for (int k = 0; k < 2; k++) {
        char nm[96];
        snprintf(nm, sizeof(nm), "%s_%s", java, k ? "max" : "avg");
        prom_head(w, prefix, nm, "gauge", k ? "The largest, in ms." : "The mean, in ms.");
        for (int i = 0; i < d->n_brokers; i++) {
            const khist_view *h = (const khist_view *)((const char *)&d->brokers[i] + off);
            prom_start(w, prefix, nm, NULL, d);
            prom_broker_labels(w, &d->brokers[i]);
            putf(w, "} %.3f\n", (double)(k ? h->max : h->avg) * 1000.0 / unit_per_s);
        }
    }
}

static void prom_brokers(wr *w, const kstats_doc *d, const char *prefix)
{
    if (!d->n_brokers) return;
    for (size_t m = 0; m < sizeof(broker_metrics) / sizeof(broker_metrics[0]); m++) {
        const broker_metric *bm = &broker_metrics[m];
        prom_head(w, prefix, bm->name, bm->type, bm->help);
        for (int i = 0; i < d->n_brokers; i++) {
            prom_start(w, prefix, bm->name, NULL, d);
            prom_broker_labels(w, &d->brokers[i]);
            prom_value(w, *(const int64_t *)((const char *)&d->brokers[i] + bm->off));
        }
    }
    prom_head(w, prefix, "node_state", "gauge",
              "1 for the connection's state (UP: ready; see docs/STATS.md).");
    for (int i = 0; i < d->n_brokers; i++) {
        prom_start(w, prefix, "node_state", NULL, d);
        prom_broker_labels(w, &d->brokers[i]);
        prom_label(w, "state", d->brokers[i].state, true);
        prom_value(w, 1);
    }
    const char *throttle = !strcmp(d->type, "producer")   ? "node_produce_throttle_time"
                           : !strcmp(d->type, "consumer") ? "node_fetch_throttle_time"
                                                          : "node_throttle_time";
    prom_hist(w, d, prefix, "node_request_latency", "node_request_latency",
              "Round trip: request encoded to response read.", offsetof(kstats_broker, rtt_all),
              1e6);
    prom_hist(w, d, prefix, "node_throttle_time", throttle,
              "throttle_time_ms the broker's responses asked for (KIP-219).",
              offsetof(kstats_broker, throttle_all), 1e3);
}

static void prom_topic_labels(wr *w, const char *topic, const kstats_part *p)
{
    prom_label(w, "topic", topic, true);
    if (p) {
        char id[16];
        snprintf(id, sizeof(id), "%d", (int)p->partition);
        prom_label(w, "partition", id, true);
    }
}

static void prom_parts(wr *w, const kstats_doc *d, const char *prefix)
{
    for (int f = 0; f < KSP__COUNT; f++) {
        bool any = false;
        for (int t = 0; t < d->n_topics; t++) {
            const kstats_topic *tp = &d->topics[t];
            for (int i = 0; i < tp->n_parts; i++) {
                if (tp->parts[i].f[f] == KSTATS_NONE) continue;
                if (!any)
                    prom_head(w, prefix, part_fields[f].prom, part_fields[f].type,
                              part_fields[f].help);
                any = true;
                prom_start(w, prefix, part_fields[f].prom, NULL, d);
                prom_topic_labels(w, tp->name, &tp->parts[i]);
                prom_value(w, tp->parts[i].f[f]);
            }
        }
    }
}

static void prom_topics(wr *w, const kstats_doc *d, const char *prefix)
{
    static const struct {
        const char *name, *help;
        size_t hist, field;
    } tm[] = {
        {"topic_batch_size_avg", "Mean bytes of the batches sent (uncompressed).",
         offsetof(kstats_topic, batchsize_all), offsetof(khist_view, avg)},
        {"topic_batch_size_max", "Largest batch sent, in bytes (uncompressed).",
         offsetof(kstats_topic, batchsize_all), offsetof(khist_view, max)},
        {"topic_batch_record_count_avg", "Mean records per batch sent.",
         offsetof(kstats_topic, batchcnt_all), offsetof(khist_view, avg)},
        {"topic_batch_record_count_max", "Most records in a batch sent.",
         offsetof(kstats_topic, batchcnt_all), offsetof(khist_view, max)},
    };
    bool any = false;
    for (int t = 0; t < d->n_topics; t++)
        any |= d->topics[t].batches;
    if (!any) return;
    for (size_t m = 0; m < sizeof(tm) / sizeof(tm[0]); m++) {
        prom_head(w, prefix, tm[m].name, "gauge", tm[m].help);
        for (int t = 0; t < d->n_topics; t++) {
            const kstats_topic *tp = &d->topics[t];
            if (!tp->batches) continue;
            const khist_view *h = (const khist_view *)((const char *)tp + tm[m].hist);
            prom_start(w, prefix, tm[m].name, NULL, d);
            prom_topic_labels(w, tp->name, NULL);
            prom_value(w, *(const int64_t *)((const char *)h + tm[m].field));
        }
    }
    prom_head(w, prefix, "topic_compression_rate", "gauge",
              "Bytes sent over bytes before compression, for the topic's batches.");
    for (int t = 0; t < d->n_topics; t++) {
        const kstats_topic *tp = &d->topics[t];
        if (!tp->batches || tp->uncompressed_bytes <= 0) continue;
        prom_start(w, prefix, "topic_compression_rate", NULL, d);
        prom_topic_labels(w, tp->name, NULL);
        putf(w, "} %.4f\n", (double)tp->compressed_bytes / (double)tp->uncompressed_bytes);
    }
}

static void prom_cgrp(wr *w, const kstats_doc *d)
{
    if (!d->have_cgrp) return;
    const kstats_cgrp *g = &d->cgrp;
    const char *pre = "kafka_consumer_coordinator";
    prom_head(w, pre, "rebalance_total", "counter", "Assignments the group gave this member.");
    prom_start(w, pre, "rebalance_total", NULL, d);
    prom_value(w, g->rebalance_cnt);
    prom_head(w, pre, "assigned_partitions", "gauge", "Partitions assigned to this member.");
    prom_start(w, pre, "assigned_partitions", NULL, d);
    prom_value(w, g->assignment_size);
    if (g->rebalance_age_ms != KSTATS_NONE) {
        prom_head(w, pre, "last_rebalance_seconds_ago", "gauge",
                  "Seconds since the assignment last changed.");
        prom_start(w, pre, "last_rebalance_seconds_ago", NULL, d);
        prom_value(w, g->rebalance_age_ms / 1000);
    }
    prom_head(w, pre, "state", "gauge", "1 for the member's state: up, joining or left.");
    prom_start(w, pre, "state", NULL, d);
    prom_label(w, "state", g->state, true);
    prom_value(w, 1);
}

kfk_err kstats_prometheus(const kstats_doc *d, kbuf *out)
{
    wr w = {.b = out};
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "kafka_%s", d->type);
    for (int i = 0; i < KST__COUNT; i++) {
        if (d->top[i] == KSTATS_NONE) continue;
        prom_head(&w, prefix, top_fields[i].prom, top_fields[i].type, top_fields[i].help);
        prom_start(&w, prefix, top_fields[i].prom, NULL, d);
        prom_value(&w, d->top[i]);
    }
    prom_brokers(&w, d, prefix);
    prom_topics(&w, d, prefix);
    prom_parts(&w, d, prefix);
    prom_cgrp(&w, d);
    return finish(&w);
}
