#include "shim.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "_cgo_export.h"

gokfk_pstate *gokfk_pstate_new(void) {
    gokfk_pstate *st = calloc(1, sizeof(*st));
    if (st) {
        pthread_mutex_init(&st->mu, NULL);
        st->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
    return st;
}

void gokfk_pstate_free(gokfk_pstate *st) {
    if (!st)
        return;
    pthread_mutex_destroy(&st->mu);
    if (st->stop_fd >= 0) close(st->stop_fd);
    free(st->drs);
    free(st->out);
    free(st);
}

/* Runs on the thread that polls or flushes; a report that cannot be kept
 * for lack of memory would leave its record waiting forever, so the array
 * grows by doubling and an allocation failure aborts as Go does. */
static void dr_cb(void *opaque, kfk_producer *p, const kfk_delivery_report *r) {
    (void)p;
    gokfk_pstate *st = opaque;
    pthread_mutex_lock(&st->mu);
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 1024;
        gokfk_dr *d = realloc(st->drs, cap * sizeof(*d));
        if (!d)
            abort();
        st->drs = d;
        st->cap = cap;
    }
    gokfk_dr *d = &st->drs[st->n++];
    d->id = (uint64_t)(uintptr_t)r->opaque;
    d->offset = r->offset;
    d->timestamp_ms = r->timestamp_ms;
    d->partition = r->partition;
    d->err = r->err;
    pthread_mutex_unlock(&st->mu);
}

void gokfk_conf_set_dr(kfk_conf *conf, gokfk_pstate *st) { kfk_conf_set_dr_cb(conf, dr_cb, st); }

size_t gokfk_take_reports(gokfk_pstate *st, gokfk_dr **out) {
    pthread_mutex_lock(&st->mu);
    size_t n = st->n;
    if (n > 0) {
        /* The array handed out last time is done with: it fills next. */
        gokfk_dr *full = st->drs;
        size_t full_cap = st->cap;
        st->drs = st->out;
        st->cap = st->out_cap;
        st->n = 0;
        st->out = full;
        st->out_cap = full_cap;
    }
    pthread_mutex_unlock(&st->mu);
    *out = st->out;
    return n;
}

size_t gokfk_producer_poll(kfk_producer *p, gokfk_pstate *st, int timeout_ms, gokfk_dr **out) {
    pthread_mutex_lock(&st->mu);
    size_t waiting = st->n;
    pthread_mutex_unlock(&st->mu);
    kfk_producer_poll(p, waiting ? 0 : timeout_ms);
    return gokfk_take_reports(st, out);
}

/* Close must not wait out the report goroutine's wait (up to 100 ms)
 * after the last report: it stops the wait instead. */
void gokfk_producer_wait(kfk_producer *p, gokfk_pstate *st, int timeout_ms)
{
    int kfd = kfk_producer_wakeup_fd(p);
    if (kfd < 0 || st->stop_fd < 0) {
        kfk_producer_poll(p, timeout_ms);
        return;
    }
    struct pollfd fds[2] = {{.fd = kfd, .events = POLLIN}, {.fd = st->stop_fd, .events = POLLIN}};
    poll(fds, 2, timeout_ms);
}

void gokfk_pstate_stop(gokfk_pstate *st)
{
    if (st->stop_fd >= 0) eventfd_write(st->stop_fd, 1);
}

enum { MAX_STACK_HEADERS = 32 };

/* Decodes n headers at h into hs. */
static void decode_headers(const uint8_t *h, kfk_header *hs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t nlen;
        int64_t vlen;
        memcpy(&nlen, h, sizeof(nlen));
        h += sizeof(nlen);
        hs[i].name = (const char *)h;
        hs[i].name_len = nlen;
        h += nlen;
        memcpy(&vlen, h, sizeof(vlen));
        h += sizeof(vlen);
        hs[i].value = vlen < 0 ? NULL : h;
        hs[i].value_len = vlen < 0 ? 0 : (size_t)vlen;
        if (vlen > 0)
            h += vlen;
    }
}

/* kfk_header takes name_len 0 as NUL-terminated: an empty name must point
 * at a NUL. */
static const char empty_name[1] = "";

/* A record's topic, NUL-terminated: consecutive records of one topic
 * share the encoder's bytes, so the copy is made once for them. */
typedef struct topic_name {
    int64_t off;
    int32_t len;
    char name[256];
} topic_name;

static int topic_set(topic_name *t, const uint8_t *buf, const gokfk_prec *r) {
    if (r->topic_len <= 0 || r->topic_len >= (int32_t)sizeof(t->name))
        return -1;
    if (t->len != r->topic_len || t->off != r->topic_off) {
        memcpy(t->name, buf + r->topic_off, (size_t)r->topic_len);
        t->name[r->topic_len] = '\0';
        t->off = r->topic_off;
        t->len = r->topic_len;
    }
    return 0;
}

static kfk_err produce_one(kfk_producer *p, const uint8_t *buf, const gokfk_prec *r,
                           const char *topic, int hooked)
{
    kfk_header stack_hs[MAX_STACK_HEADERS];
    kfk_header *hs = stack_hs;
    if (r->n_headers > MAX_STACK_HEADERS) {
        hs = malloc((size_t)r->n_headers * sizeof(*hs));
        if (!hs)
            return KFK_ERR_NO_MEMORY;
    }
    if (r->n_headers > 0) {
        decode_headers(buf + r->hdr_off, hs, (size_t)r->n_headers);
        for (int32_t i = 0; i < r->n_headers; i++)
            if (hs[i].name_len == 0)
                hs[i].name = empty_name;
    }
    kfk_record rec = {
        .topic = topic,
        .partition = r->partition,
        .key = r->key_len < 0 ? NULL : buf + r->key_off,
        .key_len = r->key_len < 0 ? 0 : (size_t)r->key_len,
        .value = r->val_len < 0 ? NULL : buf + r->val_off,
        .value_len = r->val_len < 0 ? 0 : (size_t)r->val_len,
        .headers = r->n_headers > 0 ? hs : NULL,
        .n_headers = r->n_headers > 0 ? (size_t)r->n_headers : 0,
        .timestamp_ms = r->timestamp_ms,
    };
    kfk_err err;
    if (hooked) {
        /* A hook may produce too: the outer record is restored after. */
        uint64_t outer = gokfk_set_producing(r->id);
        err = kfk_produce(p, &rec, (void *)(uintptr_t)r->id);
        gokfk_set_producing(outer);
    } else {
        err = kfk_produce(p, &rec, (void *)(uintptr_t)r->id);
    }
    if (hs != stack_hs)
        free(hs);
    return err;
}

size_t gokfk_produce_batch(kfk_producer *p, const uint8_t *buf, const gokfk_prec *recs, size_t n,
                           int hooked, kfk_err *err, char *errbuf, size_t errlen)
{
    topic_name topic = {.len = -1};
    for (size_t i = 0; i < n; i++) {
        const gokfk_prec *r = &recs[i];
        kfk_err e = topic_set(&topic, buf, r) < 0 ? KFK_ERR_INVALID_TOPIC_EXCEPTION
                                                  : produce_one(p, buf, r, topic.name, hooked);
        if (e != KFK_OK) {
            *err = e;
            /* topic_set refuses an empty or overlong topic before kfk sees
             * it, so kfk's last-error text would be stale. */
            const char *why = r->topic_len <= 0    ? "kfk_produce: the topic name is empty"
                              : r->topic_len >= 256 ? "kfk_produce: the topic name is over 249 bytes"
                                                    : kfk_producer_last_error(p);
            snprintf(errbuf, errlen, "%s", why);
            return i;
        }
    }
    return n;
}

gokfk_cstate *gokfk_cstate_new(void) { return calloc(1, sizeof(gokfk_cstate)); }

/* Releases the messages a poll holds. */
static void release_held(gokfk_cstate *st)
{
    for (size_t i = 0; i < st->n; i++)
        kfk_message_release(st->tmp[i]);
    st->n = 0;
}

void gokfk_cstate_free(gokfk_cstate *st) {
    if (!st)
        return;
    release_held(st);
    free(st->msgs);
    free(st->tmp);
    free(st);
}

/* Reserves len bytes of the poll's buffer; returns their offset. */
static int64_t reserve(gokfk_cstate *st, size_t len)
{
    int64_t off = (int64_t)st->len;
    st->len += len;
    return off;
}

/* The topic of the message laid out last: messages of one partition's
 * fetch share its string, so a pointer compare usually settles it. */
typedef struct last_topic {
    const char *name;
    int64_t off;
    int32_t len;
} last_topic;

/* Lays m out after the bytes reserved so far; a topic repeating the
 * previous message's shares its bytes. */
static int layout_message(gokfk_cstate *st, const kfk_message *m, gokfk_msg *out, last_topic *last)
{
    const char *topic = kfk_message_topic(m);
    if (topic && last->name && (topic == last->name || strcmp(last->name, topic) == 0)) {
        out->topic_off = last->off;
        out->topic_len = last->len;
    } else {
        size_t tlen = topic ? strlen(topic) : 0;
        out->topic_len = (int32_t)tlen;
        out->topic_off = reserve(st, tlen);
        *last = (last_topic){topic, out->topic_off, out->topic_len};
    }
    kfk_timestamp_type tt = KFK_TIMESTAMP_NONE;
    out->err = kfk_message_error(m);
    out->partition = kfk_message_partition(m);
    out->offset = kfk_message_offset(m);
    out->leader_epoch = kfk_message_leader_epoch(m);
    out->timestamp_ms = kfk_message_timestamp(m, &tt);
    out->ts_type = tt;
    size_t len = 0;
    const void *k = kfk_message_key(m, &len);
    out->key_len = k ? (int64_t)len : -1;
    out->key_off = reserve(st, k ? len : 0);
    const void *v = kfk_message_value(m, &len);
    out->val_len = v ? (int64_t)len : -1;
    out->val_off = reserve(st, v ? len : 0);
    size_t nh = kfk_message_header_count(m);
    out->n_headers = (int32_t)nh;
    out->hdr_off = (int64_t)st->len;
    for (size_t i = 0; i < nh; i++) {
        const char *name;
        size_t nlen, vlen;
        const void *val;
        if (kfk_message_header(m, i, &name, &nlen, &val, &vlen) != KFK_OK)
            return -1;
        reserve(st, sizeof(uint32_t) + nlen + sizeof(int64_t) + (val ? vlen : 0));
    }
    return 0;
}

size_t gokfk_consumer_poll(kfk_consumer *c, gokfk_cstate *st, size_t max, int timeout_ms) {
    release_held(st); /* a poll whose copy never came */
    if (max > st->mcap) {
        gokfk_msg *msgs = realloc(st->msgs, max * sizeof(*msgs));
        if (msgs)
            st->msgs = msgs;
        kfk_message **tmp = realloc(st->tmp, max * sizeof(*tmp));
        if (tmp)
            st->tmp = tmp;
        if (!msgs || !tmp)
            return (size_t)-1;
        st->mcap = max;
    }
    st->len = 0;
    st->n = kfk_consumer_poll_batch(c, st->tmp, max, timeout_ms);
    last_topic last = {0};
    for (size_t i = 0; i < st->n; i++) {
        if (layout_message(st, st->tmp[i], &st->msgs[i], &last) < 0) {
            release_held(st);
            return (size_t)-1;
        }
    }
    return st->n;
}

static uint8_t *put(uint8_t *to, const void *p, size_t len)
{
    if (len) memcpy(to, p, len);
    return to + len;
}

void gokfk_consumer_copy(gokfk_cstate *st, uint8_t *buf)
{
    int64_t topic_done = -1;
    for (size_t i = 0; buf && i < st->n; i++) {
        const kfk_message *m = st->tmp[i];
        const gokfk_msg *g = &st->msgs[i];
        if (g->topic_off != topic_done && g->topic_len > 0) {
            put(buf + g->topic_off, kfk_message_topic(m), (size_t)g->topic_len);
            topic_done = g->topic_off;
        }
        size_t len;
        if (g->key_len > 0) put(buf + g->key_off, kfk_message_key(m, &len), (size_t)g->key_len);
        if (g->val_len > 0) put(buf + g->val_off, kfk_message_value(m, &len), (size_t)g->val_len);
        uint8_t *h = buf + g->hdr_off;
        for (int32_t j = 0; j < g->n_headers; j++) {
            const char *name;
            size_t nlen, vlen;
            const void *val;
            /* layout_message read every header: this cannot fail */
            kfk_message_header(m, (size_t)j, &name, &nlen, &val, &vlen);
            uint32_t n32 = (uint32_t)nlen;
            int64_t v64 = val ? (int64_t)vlen : -1;
            h = put(h, &n32, sizeof(n32));
            h = put(h, name, nlen);
            h = put(h, &v64, sizeof(v64));
            h = put(h, val, val ? vlen : 0);
        }
    }
    release_held(st);
}

static void rebalance_cb(void *opaque, kfk_consumer *c, kfk_rebalance_event event,
                         const kfk_partition_list *parts) {
    (void)c;
    gokfkRebalance((uintptr_t)opaque, (int)event, (kfk_partition_list *)parts);
}

static void commit_cb(void *opaque, kfk_consumer *c, kfk_err err,
                      const kfk_partition_list *offsets) {
    (void)c;
    gokfkCommit((uintptr_t)opaque, (int)err, (kfk_partition_list *)offsets);
}

static void error_cb(void *opaque, void *handle, kfk_err err, const char *reason) {
    (void)handle;
    gokfkError((uintptr_t)opaque, (int)err, (char *)reason);
}

void gokfk_conf_set_rebalance(kfk_conf *conf, uintptr_t handle) {
    kfk_conf_set_rebalance_cb(conf, rebalance_cb, (void *)handle);
}

void gokfk_conf_set_commit(kfk_conf *conf, uintptr_t handle) {
    kfk_conf_set_commit_cb(conf, commit_cb, (void *)handle);
}

void gokfk_conf_set_error(kfk_conf *conf, uintptr_t handle) {
    kfk_conf_set_error_cb(conf, error_cb, (void *)handle);
}
