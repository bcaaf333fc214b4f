/* A blocking connection to one broker (the mock's or real Kafka's) that
 * sends requests encoded by lib/proto and decodes the answers, plus
 * builders for the requests the wire-level suites send again and again
 * (unit tests against the mock, integration tests against any cluster).
 * Everything is static inline: each suite is its own binary. */
#ifndef KFK_TESTS_MT_CONN_H
#define KFK_TESTS_MT_CONN_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/time.h"
#include "kfk_mock.h"
#include "ktest.h"
#include "proto/api.h"
#include "proto/arena.h"
#include "proto/batch.h"
#include "proto/gen/all.h"

#define MT_TIMEOUT_MS 10000

typedef struct mt_conn {
    int fd;
    int32_t next_cid;
    kbuf frame;
    kbuf resp; /* the last response frame; decoded slices point into it */
    karena arena;
} mt_conn;

/* Connects to 127.0.0.1:port; -1 when refused. */
static inline int mt_dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {MT_TIMEOUT_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Connects to a broker; false when it refuses. */
static inline bool mt_try_open(mt_conn *c, kfk_mock_cluster *mc, int32_t broker_id)
{
    memset(c, 0, sizeof(*c));
    c->fd = mt_dial(kfk_mock_broker_port(mc, broker_id));
    return c->fd >= 0;
}

static inline void mt_open(mt_conn *c, kfk_mock_cluster *mc, int32_t broker_id)
{
    ck_assert_msg(mt_try_open(c, mc, broker_id), "cannot connect to broker %d", broker_id);
}

static inline void mt_close(mt_conn *c)
{
    if (c->fd >= 0) close(c->fd);
    kbuf_free(&c->frame);
    kbuf_free(&c->resp);
    karena_free(&c->arena);
    c->fd = -1;
}

static inline int mt_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static inline int mt_read_all(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Sends one request; returns its correlation id, or -1 when the socket
 * is closed. */
static inline int32_t mt_try_send(mt_conn *c, int16_t key, int16_t version, const void *req)
{
    int32_t cid = ++c->next_cid;
    kbuf_reset(&c->frame);
    int rc = kproto_write_request(&c->frame, key, version, cid, kwire_cstr("mock-test"), req);
    ck_assert_msg(rc == 0, "encode api %d v%d: %s", key, version, kfk_err_str(rc));
    return mt_write_all(c->fd, c->frame.data, c->frame.len) ? -1 : cid;
}

static inline int32_t mt_send(mt_conn *c, int16_t key, int16_t version, const void *req)
{
    int32_t cid = mt_try_send(c, key, version, req);
    ck_assert_int_ge(cid, 0);
    return cid;
}

/* Reads one response frame into c->resp; -1 on EOF, error or timeout. */
static inline int mt_recv_frame(mt_conn *c)
{
    uint8_t hdr[4];
    if (mt_read_all(c->fd, hdr, 4)) return -1;
    uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    kbuf_reset(&c->resp);
    uint8_t *p = kbuf_extend(&c->resp, n);
    return p ? mt_read_all(c->fd, p, n) : -1;
}

/* Reads the response to (key, version) and decodes it into resp; returns
 * its correlation id, or -1 when the connection closed. The whole frame
 * must decode with nothing left over. */
static inline int32_t mt_recv(mt_conn *c, int16_t key, int16_t version, void *resp)
{
    if (mt_recv_frame(c)) return -1;
    kreader r = kreader_of(c->resp.data, c->resp.len);
    kp_response_header h;
    ck_assert_int_eq(kproto_read_response_header(&r, key, version, &h), 0);
    int rc = kproto_response_decode(key, version, resp, &r, &c->arena);
    ck_assert_msg(rc == 0, "decode api %d v%d: %s", key, version, kfk_err_str(rc));
    ck_assert_msg(kreader_left(&r) == 0, "api %d v%d: %zu bytes left", key, version,
                  kreader_left(&r));
    return h.correlation_id;
}

/* A round trip; fails the test when the connection closes. */
static inline void mt_call(mt_conn *c, int16_t key, int16_t version, const void *req, void *resp)
{
    karena_reset(&c->arena);
    int32_t cid = mt_send(c, key, version, req);
    ck_assert_msg(mt_recv(c, key, version, resp) == cid, "api %d v%d: no answer", key, version);
}

/* A round trip that may fail (the broker closed the connection): 0 or -1. */
static inline int mt_try_call(mt_conn *c, int16_t key, int16_t version, const void *req, void *resp)
{
    karena_reset(&c->arena);
    int32_t cid = mt_try_send(c, key, version, req);
    return cid >= 0 && mt_recv(c, key, version, resp) == cid ? 0 : -1;
}

/* The newest version of API key the broker serves, capped at want; -1
 * when it serves none or does not answer. Asks ApiVersions v0, which
 * every broker answers, so that helpers speak to old brokers too. */
static inline int16_t mt_api_version(mt_conn *c, int16_t key, int16_t want)
{
    kp_api_versions_request req;
    kp_api_versions_request_init(&req);
    kp_api_versions_response resp;
    if (mt_try_call(c, KP_API_VERSIONS_KEY, 0, &req, &resp) || resp.error_code) return -1;
    for (int32_t i = 0; i < resp.n_api_keys; i++)
        if (resp.api_keys[i].api_key == key)
            return resp.api_keys[i].max_version < want ? resp.api_keys[i].max_version : want;
    return -1;
}

/* True when the broker closed the connection (EOF or reset) within
 * timeout_ms, having sent nothing. */
static inline bool mt_closed(mt_conn *c, int timeout_ms)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    uint8_t b;
    return recv(c->fd, &b, 1, 0) <= 0;
}

static inline int64_t mt_now_ms(void)
{
    return ktime_mono_ms();
}

/* The mock broker that coordinates group, found with FindCoordinator v4
 * through broker 1; fails the test unless one answers. */
static inline int32_t mt_group_coordinator(kfk_mock_cluster *mc, const char *group)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_find_coordinator_request req;
    kp_find_coordinator_request_init(&req);
    kslice key = kwire_cstr(group);
    req.coordinator_keys = &key;
    req.n_coordinator_keys = 1;
    kp_find_coordinator_response resp;
    mt_call(&c, KP_FIND_COORDINATOR_KEY, 4, &req, &resp);
    ck_assert_int_eq(resp.n_coordinators, 1);
    ck_assert_int_eq(resp.coordinators[0].error_code, 0);
    int32_t id = resp.coordinators[0].node_id;
    ck_assert_int_eq(resp.coordinators[0].port, kfk_mock_broker_port(mc, id));
    mt_close(&c);
    return id;
}

/* ------------------------------------------------------------- builders */

/* A batch of n records "k<i>"/"v<i>" with timestamps ts0 + i, written into
 * buf (reset first); the batch's bytes are returned. */
static inline kslice mt_batch(kbuf *buf, int n, int64_t ts0, int64_t pid, int16_t epoch,
                              int32_t seq)
{
    kbuf_reset(buf);
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, buf, 0, ts0, pid, epoch, seq, 0, 0), 0);
    for (int i = 0; i < n; i++) {
        char k[16], v[32];
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        ck_assert_int_eq(kbatch_writer_append(&w, ts0 + i, kwire_cstr(k), kwire_cstr(v), NULL, 0),
                         0);
    }
    kslice out;
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &out), 0);
    return out;
}

/* A Produce request of one batch (records) to one partition, as
 * transactional id txn (NULL: none), to send as it is or to change first.
 * The request points into the struct: do not copy it. */
typedef struct mt_produce_req {
    kp_produce_request req;
    kp_produce_request_topic_produce_data td;
    kp_produce_request_partition_produce_data pd;
} mt_produce_req;

static inline void mt_produce_req_init(mt_produce_req *p, const char *txn, const char *topic,
                                       kuuid id, int32_t partition, kslice records, int16_t acks)
{
    kp_produce_request_init(&p->req);
    kp_produce_request_topic_produce_data_init(&p->td);
    kp_produce_request_partition_produce_data_init(&p->pd);
    p->pd.index = partition;
    p->pd.records = records;
    p->td.name = kwire_cstr(topic);
    p->td.topic_id = id;
    p->td.partition_data = &p->pd;
    p->td.n_partition_data = 1;
    p->req.transactional_id = kwire_cstr(txn);
    p->req.acks = acks;
    p->req.timeout_ms = 5000;
    p->req.topic_data = &p->td;
    p->req.n_topic_data = 1;
}

/* Produce of one batch to one partition, as transactional id txn (NULL:
 * none); returns the partition response (in c->arena) and fills *resp_out
 * when not NULL. */
static inline const kp_produce_response_partition_produce_response *
mt_produce_v(mt_conn *c, int16_t version, const char *txn, const char *topic, kuuid id,
             int32_t partition, kslice records, int16_t acks, kp_produce_response *resp_out)
{
    static kp_produce_response resp;
    mt_produce_req p;
    mt_produce_req_init(&p, txn, topic, id, partition, records, acks);
    mt_call(c, KP_PRODUCE_KEY, version, &p.req, &resp);
    ck_assert_int_eq(resp.n_responses, 1);
    ck_assert_int_eq(resp.responses[0].n_partition_responses, 1);
    if (resp_out) *resp_out = resp;
    return &resp.responses[0].partition_responses[0];
}

static inline const kp_produce_response_partition_produce_response *
mt_produce(mt_conn *c, const char *topic, int32_t partition, kslice records)
{
    kuuid zero = {{0}};
    return mt_produce_v(c, 12, NULL, topic, zero, partition, records, -1, NULL);
}

/* Metadata for one topic (NULL: all) at version v. */
static inline void mt_metadata(mt_conn *c, int16_t v, const char *topic, kp_metadata_response *resp)
{
    kp_metadata_request req;
    kp_metadata_request_init(&req);
    kp_metadata_request_topic t;
    kp_metadata_request_topic_init(&t);
    if (topic) {
        t.name = kwire_cstr(topic);
        req.topics = &t;
        req.n_topics = 1;
    } else {
        req.n_topics = v == 0 ? 0 : -1; /* v0 has no null: empty means all */
    }
    req.allow_auto_topic_creation = v < 4; /* v4+ only; before, always on */
    mt_call(c, KP_METADATA_KEY, v, &req, resp);
}

/* The topic id the mock gave a topic. */
static inline kuuid mt_topic_id(kfk_mock_cluster *mc, const char *topic)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_metadata_response resp;
    mt_metadata(&c, 12, topic, &resp);
    ck_assert_int_eq(resp.n_topics, 1);
    ck_assert_int_eq(resp.topics[0].error_code, 0);
    kuuid id = resp.topics[0].topic_id;
    mt_close(&c);
    return id;
}

/* ListOffsets at version v for one partition of topic at timestamp ts (-1
 * latest, -2 earliest) with isolation (0 read_uncommitted, 1
 * read_committed); the partition's answer, valid until the next call. */
static inline const kp_list_offsets_response_list_offsets_partition_response *
mt_list_offsets(mt_conn *c, int16_t v, const char *topic, int32_t partition, int64_t ts,
                int8_t isolation)
{
    static kp_list_offsets_response resp;
    kp_list_offsets_request req;
    kp_list_offsets_request_init(&req);
    kp_list_offsets_request_list_offsets_topic t;
    kp_list_offsets_request_list_offsets_topic_init(&t);
    kp_list_offsets_request_list_offsets_partition p;
    kp_list_offsets_request_list_offsets_partition_init(&p);
    p.partition_index = partition;
    p.timestamp = ts;
    t.name = kwire_cstr(topic);
    t.partitions = &p;
    t.n_partitions = 1;
    req.replica_id = -1;
    req.isolation_level = isolation;
    req.topics = &t;
    req.n_topics = 1;
    mt_call(c, KP_LIST_OFFSETS_KEY, v, &req, &resp);
    return &resp.topics[0].partitions[0];
}

/* A single-partition Fetch request in caller-provided storage. */
typedef struct mt_fetch {
    kp_fetch_request req;
    kp_fetch_request_fetch_topic topic;
    kp_fetch_request_fetch_partition part;
} mt_fetch;

static inline void mt_fetch_init(mt_fetch *f, const char *topic, kuuid id, int32_t partition,
                                 int64_t offset, int32_t max_wait_ms)
{
    kp_fetch_request_init(&f->req);
    kp_fetch_request_fetch_topic_init(&f->topic);
    kp_fetch_request_fetch_partition_init(&f->part);
    f->part.partition = partition;
    f->part.fetch_offset = offset;
    f->part.partition_max_bytes = 1 << 20;
    f->topic.topic = kwire_cstr(topic);
    f->topic.topic_id = id;
    f->topic.partitions = &f->part;
    f->topic.n_partitions = 1;
    f->req.max_wait_ms = max_wait_ms;
    f->req.min_bytes = 1;
    f->req.topics = &f->topic;
    f->req.n_topics = 1;
}

/* The batches of a records blob, counted; offsets checked to run on from
 * first_offset. Returns the number of records. */
static inline int mt_count_records(kslice records, int64_t first_offset)
{
    kbuf scratch = {0};
    kbatch_read_opts opts = {.start_offset = first_offset, .check_crcs = true};
    krecords_iter it;
    krecords_iter_init(&it, records.ptr, records.len, &opts, &scratch);
    krecord rec;
    int n = 0;
    int64_t want = first_offset;
    while (krecords_iter_next(&it, &rec, NULL)) {
        ck_assert_int_eq(rec.offset, want);
        want++;
        n++;
    }
    ck_assert_msg(it.err == KFK_OK, "records: %s", kfk_err_str(it.err));
    kbuf_free(&scratch);
    return n;
}

#endif
