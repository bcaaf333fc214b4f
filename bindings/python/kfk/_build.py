"""Builds kfk._kfk, the cffi extension over libkfk and libkfk_mock.

API mode: a small C module is compiled against kfk.h, so calls go through
compiled stubs (no libffi call frames) and the hot paths (produce, poll
with its delivery reports, batch consume) cross into C once per call or
per batch instead of once per field.

libkfk is found with pkg-config (kfk, kfk_mock); KFK_BUILD_DIR=/path/to/
kfk/build uses an in-tree build instead (headers from its ../include).
"""
import os
import shlex
import subprocess

from cffi import FFI

CDEF = r"""
typedef int... kfk_err;
typedef int... kfk_log_level;
typedef int... kfk_timestamp_type;
typedef int... kfk_config_resource_type;
typedef int... kfk_config_source;
typedef int... kfk_group_type;
typedef int... kfk_group_state;

typedef struct kfk_conf kfk_conf;
typedef struct kfk_producer kfk_producer;
typedef struct kfk_consumer kfk_consumer;
typedef struct kfk_message kfk_message;
typedef struct kfk_partition_list kfk_partition_list;
typedef struct kfk_admin kfk_admin;
typedef struct kfk_admin_result kfk_admin_result;
typedef struct kfk_new_topic kfk_new_topic;
typedef struct kfk_metadata kfk_metadata;
typedef struct kfk_config_resource kfk_config_resource;
typedef struct kfk_mock_cluster kfk_mock_cluster;

typedef struct kfk_header {
    const char *name;
    const void *value;
    size_t value_len;
    size_t name_len;
} kfk_header;

typedef struct kfk_admin_options {
    int timeout_ms;
    unsigned flags;
    ...;
} kfk_admin_options;

typedef struct kfk_config_entry {
    const char *name;
    const char *value;
    kfk_config_source source;
    bool read_only;
    bool sensitive;
    bool is_default;
    ...;
} kfk_config_entry;

typedef struct kfk_group_filter {
    const kfk_group_state *states;
    size_t n_states;
    const kfk_group_type *types;
    size_t n_types;
    ...;
} kfk_group_filter;

#define KFK_ADMIN_VALIDATE_ONLY ...
#define KFK_ADMIN_READ_COMMITTED ...

int kfk_version(void);
const char *kfk_version_str(void);
const char *kfk_err_str(kfk_err err);
const char *kfk_err_name(kfk_err err);

kfk_conf *kfk_conf_new(void);
kfk_err kfk_conf_set(kfk_conf *conf, const char *name, const char *value, char *errstr,
                     size_t errlen);
kfk_err kfk_conf_get(const kfk_conf *conf, const char *name, char *buf, size_t *len);
void kfk_conf_destroy(kfk_conf *conf);

kfk_producer *kfk_producer_new(kfk_conf *conf, char *errstr, size_t errlen);
const char *kfk_producer_last_error(const kfk_producer *producer);
int kfk_producer_poll(kfk_producer *producer, int timeout_ms);
int kfk_producer_wakeup_fd(kfk_producer *producer);
kfk_err kfk_producer_flush(kfk_producer *producer, int timeout_ms);
kfk_err kfk_producer_purge(kfk_producer *producer);
void kfk_producer_destroy(kfk_producer *producer);

kfk_consumer *kfk_consumer_new(kfk_conf *conf, char *errstr, size_t errlen);
const char *kfk_consumer_last_error(const kfk_consumer *c);
kfk_err kfk_consumer_assign(kfk_consumer *c, const kfk_partition_list *list);
kfk_err kfk_consumer_unassign(kfk_consumer *c);
kfk_partition_list *kfk_consumer_assignment(kfk_consumer *c);
kfk_err kfk_consumer_subscribe(kfk_consumer *c, const char *const *topics, size_t n);
kfk_err kfk_consumer_unsubscribe(kfk_consumer *c);
kfk_err kfk_consumer_incremental_assign(kfk_consumer *c, const kfk_partition_list *list);
kfk_err kfk_consumer_incremental_unassign(kfk_consumer *c, const kfk_partition_list *list);
kfk_err kfk_consumer_commit(kfk_consumer *c, const kfk_partition_list *list, bool async);
kfk_err kfk_consumer_committed(kfk_consumer *c, kfk_partition_list *list, int timeout_ms);
size_t kfk_consumer_member_id(kfk_consumer *c, char *buf, size_t size);
int kfk_consumer_wakeup_fd(kfk_consumer *c);
void kfk_consumer_report_eof(kfk_consumer *c, bool enable);
kfk_err kfk_consumer_seek(kfk_consumer *c, const char *topic, int32_t partition, int64_t offset);
kfk_err kfk_consumer_position(kfk_consumer *c, const char *topic, int32_t partition,
                              int64_t *offset);
kfk_err kfk_consumer_query_watermarks(kfk_consumer *c, const char *topic, int32_t partition,
                                      int64_t *low, int64_t *high, int timeout_ms);
kfk_err kfk_consumer_pause(kfk_consumer *c, const char *topic, int32_t partition);
kfk_err kfk_consumer_resume(kfk_consumer *c, const char *topic, int32_t partition);
kfk_err kfk_consumer_close(kfk_consumer *c, int timeout_ms);
void kfk_consumer_destroy(kfk_consumer *c);

kfk_err kfk_message_header(const kfk_message *m, size_t i, const char **name, size_t *name_len,
                           const void **value, size_t *value_len);
void kfk_message_release(kfk_message *m);

kfk_partition_list *kfk_partition_list_new(size_t size_hint);
void kfk_partition_list_destroy(kfk_partition_list *list);
kfk_err kfk_partition_list_add(kfk_partition_list *list, const char *topic, int32_t partition);
size_t kfk_partition_list_count(const kfk_partition_list *list);
const char *kfk_partition_list_topic(const kfk_partition_list *list, size_t i);
int32_t kfk_partition_list_partition(const kfk_partition_list *list, size_t i);
int64_t kfk_partition_list_offset(const kfk_partition_list *list, size_t i);
kfk_err kfk_partition_list_set_offset(kfk_partition_list *list, size_t i, int64_t offset);
const char *kfk_partition_list_metadata(const kfk_partition_list *list, size_t i);
kfk_err kfk_partition_list_set_metadata(kfk_partition_list *list, size_t i, const char *md);
int32_t kfk_partition_list_leader_epoch(const kfk_partition_list *list, size_t i);
kfk_err kfk_partition_list_set_leader_epoch(kfk_partition_list *list, size_t i, int32_t epoch);
kfk_err kfk_partition_list_error(const kfk_partition_list *list, size_t i);
int64_t kfk_partition_list_timestamp(const kfk_partition_list *list, size_t i);

kfk_admin *kfk_admin_new(kfk_conf *conf, char *errstr, size_t errlen);
const char *kfk_admin_last_error(const kfk_admin *admin);
void kfk_admin_destroy(kfk_admin *admin);
kfk_new_topic *kfk_new_topic_new(const char *name, int32_t partitions, int16_t replication_factor);
kfk_err kfk_new_topic_set_config(kfk_new_topic *topic, const char *name, const char *value);
void kfk_new_topic_destroy(kfk_new_topic *topic);
kfk_err kfk_admin_create_topics(kfk_admin *admin, kfk_new_topic *const *topics, size_t n,
                                const kfk_admin_options *options, kfk_admin_result **result);
kfk_err kfk_admin_delete_topics(kfk_admin *admin, const char *const *names, size_t n,
                                const kfk_admin_options *options, kfk_admin_result **result);
kfk_err kfk_admin_list_topics(kfk_admin *admin, const char *const *names, size_t n,
                              const kfk_admin_options *options, kfk_metadata **out);
kfk_err kfk_admin_describe_cluster(kfk_admin *admin, const kfk_admin_options *options,
                                   kfk_metadata **out);
size_t kfk_admin_result_count(const kfk_admin_result *result);
const char *kfk_admin_result_name(const kfk_admin_result *result, size_t i);
kfk_err kfk_admin_result_error(const kfk_admin_result *result, size_t i);
const char *kfk_admin_result_message(const kfk_admin_result *result, size_t i);
void kfk_admin_result_destroy(kfk_admin_result *result);

const char *kfk_metadata_cluster_id(const kfk_metadata *md);
int32_t kfk_metadata_controller_id(const kfk_metadata *md);
size_t kfk_metadata_broker_count(const kfk_metadata *md);
int32_t kfk_metadata_broker_id(const kfk_metadata *md, size_t b);
const char *kfk_metadata_broker_host(const kfk_metadata *md, size_t b);
int kfk_metadata_broker_port(const kfk_metadata *md, size_t b);
const char *kfk_metadata_broker_rack(const kfk_metadata *md, size_t b);
size_t kfk_metadata_topic_count(const kfk_metadata *md);
const char *kfk_metadata_topic_name(const kfk_metadata *md, size_t t);
kfk_err kfk_metadata_topic_error(const kfk_metadata *md, size_t t);
bool kfk_metadata_topic_is_internal(const kfk_metadata *md, size_t t);
size_t kfk_metadata_partition_count(const kfk_metadata *md, size_t t);
int32_t kfk_metadata_partition_id(const kfk_metadata *md, size_t t, size_t p);
int32_t kfk_metadata_partition_leader(const kfk_metadata *md, size_t t, size_t p);
kfk_err kfk_metadata_partition_error(const kfk_metadata *md, size_t t, size_t p);
const int32_t *kfk_metadata_partition_replicas(const kfk_metadata *md, size_t t, size_t p,
                                               size_t *n);
const int32_t *kfk_metadata_partition_isr(const kfk_metadata *md, size_t t, size_t p, size_t *n);
void kfk_metadata_destroy(kfk_metadata *md);

kfk_config_resource *kfk_config_resource_new(kfk_config_resource_type type, const char *name);
kfk_err kfk_config_resource_add(kfk_config_resource *res, const char *name, int op,
                                const char *value);
void kfk_config_resource_destroy(kfk_config_resource *res);
kfk_err kfk_admin_describe_configs(kfk_admin *admin, kfk_config_resource *const *resources,
                                   size_t n, const kfk_admin_options *options,
                                   kfk_admin_result **result);
kfk_err kfk_admin_incremental_alter_configs(kfk_admin *admin,
                                            kfk_config_resource *const *resources, size_t n,
                                            const kfk_admin_options *options,
                                            kfk_admin_result **result);
size_t kfk_admin_result_config_count(const kfk_admin_result *result, size_t i);
const kfk_config_entry *kfk_admin_result_config(const kfk_admin_result *result, size_t i,
                                                size_t j);
kfk_err kfk_admin_list_offsets(kfk_admin *admin, kfk_partition_list *parts,
                               const kfk_admin_options *options);
kfk_err kfk_admin_list_groups(kfk_admin *admin, const kfk_group_filter *filter,
                              const kfk_admin_options *options, kfk_admin_result **result);
kfk_err kfk_admin_describe_groups(kfk_admin *admin, const char *const *group_ids, size_t n,
                                  const kfk_admin_options *options, kfk_admin_result **result);
kfk_err kfk_admin_delete_groups(kfk_admin *admin, const char *const *group_ids, size_t n,
                                const kfk_admin_options *options, kfk_admin_result **result);
const char *kfk_group_type_name(kfk_group_type type);
const char *kfk_group_state_name(kfk_group_state state);
kfk_group_type kfk_admin_result_group_type(const kfk_admin_result *result, size_t i);
kfk_group_state kfk_admin_result_group_state(const kfk_admin_result *result, size_t i);
const char *kfk_admin_result_group_protocol_type(const kfk_admin_result *result, size_t i);
int32_t kfk_admin_result_group_coordinator(const kfk_admin_result *result, size_t i);
const char *kfk_admin_result_group_protocol(const kfk_admin_result *result, size_t i);
size_t kfk_admin_result_group_member_count(const kfk_admin_result *result, size_t i);
const char *kfk_admin_result_group_member_id(const kfk_admin_result *result, size_t i, size_t j);
const char *kfk_admin_result_group_member_client_id(const kfk_admin_result *result, size_t i,
                                                    size_t j);
const char *kfk_admin_result_group_member_host(const kfk_admin_result *result, size_t i, size_t j);
const kfk_partition_list *kfk_admin_result_group_member_assignment(const kfk_admin_result *result,
                                                                  size_t i, size_t j);
kfk_err kfk_admin_list_group_offsets(kfk_admin *admin, const char *group_id,
                                     const kfk_partition_list *parts,
                                     const kfk_admin_options *options, kfk_partition_list **out);
kfk_err kfk_admin_alter_group_offsets(kfk_admin *admin, const char *group_id,
                                      kfk_partition_list *offsets,
                                      const kfk_admin_options *options);

kfk_mock_cluster *kfk_mock_cluster_new(int n_brokers);
void kfk_mock_cluster_destroy(kfk_mock_cluster *mc);
const char *kfk_mock_cluster_bootstrap(const kfk_mock_cluster *mc);
kfk_err kfk_mock_topic_create(kfk_mock_cluster *mc, const char *name, int32_t partitions,
                              int16_t replication_factor);
kfk_err kfk_mock_topic_delete(kfk_mock_cluster *mc, const char *name);
kfk_err kfk_mock_partition_offsets(kfk_mock_cluster *mc, const char *topic, int32_t partition,
                                   int64_t *log_start, int64_t *high_watermark);
kfk_err kfk_mock_push_errors(kfk_mock_cluster *mc, int16_t api_key, size_t n, kfk_err err);
void kfk_mock_clear_errors(kfk_mock_cluster *mc);
kfk_err kfk_mock_broker_set_down(kfk_mock_cluster *mc, int32_t broker_id, bool down);
kfk_err kfk_mock_broker_set_rtt(kfk_mock_cluster *mc, int32_t broker_id, int rtt_ms);
kfk_err kfk_mock_set_auto_create_topics(kfk_mock_cluster *mc, bool enable, int32_t partitions);

/* The binding's own C side (below). */
typedef struct kfkpy_dr {
    uintptr_t opaque;
    int64_t offset;
    int64_t timestamp;
    int32_t partition;
    int32_t err;
} kfkpy_dr;

typedef struct kfkpy_ev {
    int kind;
    int code;
    char *facility;
    char *text;
} kfkpy_ev;

typedef struct kfkpy_msg {
    kfk_message *m;
    const char *topic;
    const char *key;
    const char *value;
    size_t key_len;
    size_t value_len;
    int64_t offset;
    int64_t timestamp;
    int32_t partition;
    int32_t err;
    int32_t ts_type;
    int32_t leader_epoch;
    int32_t has_key;
    int32_t has_value;
    size_t n_headers;
} kfkpy_msg;

typedef struct kfkpy_h {
    kfkpy_dr *drs;
    size_t n_dr;
    ...;
} kfkpy_h;

kfkpy_h *kfkpy_h_new(void *py_handle);
void kfkpy_h_free(kfkpy_h *h);
void kfkpy_conf_hooks(kfk_conf *conf, kfkpy_h *h, int dr, int errors, int logs, int rebalance,
                      int commit);
size_t kfkpy_events_take(kfkpy_h *h, kfkpy_ev **out);
void kfkpy_events_free(kfkpy_ev *evs, size_t n);
kfk_err kfkpy_produce(kfk_producer *p, const char *topic, int32_t partition, const char *key,
                      size_t key_len, const char *value, size_t value_len, int64_t timestamp_ms,
                      const kfk_header *headers, size_t n_headers, uintptr_t opaque);
size_t kfkpy_poll_batch(kfk_consumer *c, kfk_message **tmp, kfkpy_msg *out, size_t max,
                        int timeout_ms);
void kfkpy_release_all(kfkpy_msg *msgs, size_t n);

extern "Python" void kfkpy_on_rebalance(void *py_handle, int event,
                                          const kfk_partition_list *parts);
extern "Python" void kfkpy_on_commit(void *py_handle, int err,
                                       const kfk_partition_list *offsets);
"""

SOURCE = r"""
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <kfk.h>
#include <kfk_mock.h>

typedef struct kfkpy_dr {
    uintptr_t opaque;
    int64_t offset;
    int64_t timestamp;
    int32_t partition;
    int32_t err;
} kfkpy_dr;

typedef struct kfkpy_ev {
    int kind; /* 1: error, 2: log */
    int code; /* the kfk_err, or the log level */
    char *facility;
    char *text;
} kfkpy_ev;

typedef struct kfkpy_msg {
    kfk_message *m;
    const char *topic;
    const char *key;
    const char *value;
    size_t key_len;
    size_t value_len;
    int64_t offset;
    int64_t timestamp;
    int32_t partition;
    int32_t err;
    int32_t ts_type;
    int32_t leader_epoch;
    int32_t has_key;
    int32_t has_value;
    size_t n_headers;
} kfkpy_msg;

/* Per handle: delivery reports collected during one poll (the polling
 * thread only, so no lock), and error and log events from kfk's threads
 * (under lock) that Python takes on its polling thread, so that no kfk
 * thread ever waits for the GIL. */
typedef struct kfkpy_h {
    kfkpy_dr *drs;
    size_t n_dr;
    size_t cap_dr;
    pthread_mutex_t lock; /* protects evs, n_ev, cap_ev */
    kfkpy_ev *evs;
    size_t n_ev, cap_ev;
    void *py_handle;
} kfkpy_h;

static void kfkpy_on_rebalance(void *py_handle, int event, const kfk_partition_list *parts);
static void kfkpy_on_commit(void *py_handle, int err, const kfk_partition_list *offsets);

static kfkpy_h *kfkpy_h_new(void *py_handle)
{
    kfkpy_h *h = calloc(1, sizeof(*h));
    if (!h) return NULL;
    pthread_mutex_init(&h->lock, NULL);
    h->py_handle = py_handle;
    return h;
}

static void kfkpy_events_free(kfkpy_ev *evs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(evs[i].facility);
        free(evs[i].text);
    }
    free(evs);
}

static void kfkpy_h_free(kfkpy_h *h)
{
    if (!h) return;
    kfkpy_events_free(h->evs, h->n_ev);
    free(h->drs);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static void dr_cb(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)p;
    kfkpy_h *h = opaque;
    if (h->n_dr == h->cap_dr) {
        size_t cap = h->cap_dr ? h->cap_dr * 2 : 1024;
        kfkpy_dr *d = realloc(h->drs, cap * sizeof(*d));
        if (!d) return; /* the report is lost; Python sees fewer */
        h->drs = d;
        h->cap_dr = cap;
    }
    h->drs[h->n_dr++] = (kfkpy_dr){.opaque = (uintptr_t)r->opaque,
                                   .offset = r->offset,
                                   .timestamp = r->timestamp_ms,
                                   .partition = r->partition,
                                   .err = r->err};
}

static void push_event(kfkpy_h *h, int kind, int code, const char *facility, const char *text)
{
    pthread_mutex_lock(&h->lock);
    if (h->n_ev == h->cap_ev && h->n_ev < 100000) {
        size_t cap = h->cap_ev ? h->cap_ev * 2 : 16;
        kfkpy_ev *e = realloc(h->evs, cap * sizeof(*e));
        if (e) {
            h->evs = e;
            h->cap_ev = cap;
        }
    }
    if (h->n_ev < h->cap_ev)
        h->evs[h->n_ev++] = (kfkpy_ev){kind, code, facility ? strdup(facility) : NULL,
                                       text ? strdup(text) : NULL};
    pthread_mutex_unlock(&h->lock);
}

static void error_cb(void *opaque, void *handle, kfk_err err, const char *reason)
{
    (void)handle;
    push_event(opaque, 1, err, NULL, reason);
}

static void log_cb(void *opaque, void *handle, kfk_log_level level, const char *facility,
                   const char *message)
{
    (void)handle;
    push_event(opaque, 2, level, facility, message);
}

static void rebalance_cb(void *opaque, kfk_consumer *c, kfk_rebalance_event event,
                         const kfk_partition_list *parts)
{
    (void)c;
    kfkpy_on_rebalance(((kfkpy_h *)opaque)->py_handle, (int)event, parts);
}

static void commit_cb(void *opaque, kfk_consumer *c, kfk_err err, const kfk_partition_list *offs)
{
    (void)c;
    kfkpy_on_commit(((kfkpy_h *)opaque)->py_handle, (int)err, offs);
}

static void kfkpy_conf_hooks(kfk_conf *conf, kfkpy_h *h, int dr, int errors, int logs,
                             int rebalance, int commit)
{
    if (dr) kfk_conf_set_dr_cb(conf, dr_cb, h);
    if (errors) kfk_conf_set_error_cb(conf, error_cb, h);
    if (logs) kfk_conf_set_log_cb(conf, log_cb, h);
    if (rebalance) kfk_conf_set_rebalance_cb(conf, rebalance_cb, h);
    if (commit) kfk_conf_set_commit_cb(conf, commit_cb, h);
}

static size_t kfkpy_events_take(kfkpy_h *h, kfkpy_ev **out)
{
    pthread_mutex_lock(&h->lock);
    size_t n = h->n_ev;
    *out = h->evs;
    h->evs = NULL;
    h->n_ev = h->cap_ev = 0;
    pthread_mutex_unlock(&h->lock);
    return n;
}

static kfk_err kfkpy_produce(kfk_producer *p, const char *topic, int32_t partition,
                             const char *key, size_t key_len, const char *value, size_t value_len,
                             int64_t timestamp_ms, const kfk_header *headers, size_t n_headers,
                             uintptr_t opaque)
{
    kfk_record rec = {.topic = topic,
                      .partition = partition,
                      .key = key,
                      .key_len = key_len,
                      .value = value,
                      .value_len = value_len,
                      .headers = headers,
                      .n_headers = n_headers,
                      .timestamp_ms = timestamp_ms};
    return kfk_produce(p, &rec, (void *)opaque);
}

/* One poll for up to max messages, each read out in one go, so that
 * Python crosses into C once per batch rather than once per field. */
static size_t kfkpy_poll_batch(kfk_consumer *c, kfk_message **tmp, kfkpy_msg *out, size_t max,
                               int timeout_ms)
{
    size_t n = kfk_consumer_poll_batch(c, tmp, max, timeout_ms);
    for (size_t i = 0; i < n; i++) {
        kfk_message *m = tmp[i];
        kfkpy_msg *o = &out[i];
        kfk_timestamp_type tt;
        o->m = m;
        o->topic = kfk_message_topic(m);
        o->key = kfk_message_key(m, &o->key_len);
        o->value = kfk_message_value(m, &o->value_len);
        o->has_key = o->key != NULL;
        o->has_value = o->value != NULL;
        o->offset = kfk_message_offset(m);
        o->timestamp = kfk_message_timestamp(m, &tt);
        o->ts_type = (int32_t)tt;
        o->partition = kfk_message_partition(m);
        o->err = kfk_message_error(m);
        o->leader_epoch = kfk_message_leader_epoch(m);
        o->n_headers = kfk_message_header_count(m);
    }
    return n;
}

static void kfkpy_release_all(kfkpy_msg *msgs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        kfk_message_release(msgs[i].m);
        msgs[i].m = NULL;
    }
}
"""


def _pkg_config(*args):
    out = subprocess.check_output(["pkg-config", *args, "kfk", "kfk_mock"], text=True)
    return shlex.split(out)


def _build_flags():
    build = os.environ.get("KFK_BUILD_DIR")
    if build:
        build = os.path.abspath(build)
        inc = os.path.join(os.path.dirname(build), "include")
        return dict(
            include_dirs=[inc],
            library_dirs=[build],
            runtime_library_dirs=[build],
            libraries=["kfk", "kfk_mock"],
        )
    cflags, libs = _pkg_config("--cflags"), _pkg_config("--libs")
    flags = dict(include_dirs=[], library_dirs=[], libraries=[], runtime_library_dirs=[])
    for f in cflags:
        if f.startswith("-I"):
            flags["include_dirs"].append(f[2:])
    for f in libs:
        if f.startswith("-L"):
            flags["library_dirs"].append(f[2:])
            flags["runtime_library_dirs"].append(f[2:])
        elif f.startswith("-l"):
            flags["libraries"].append(f[2:])
    return flags


ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source(
    "kfk._kfk",
    SOURCE,
    extra_compile_args=["-O2", "-std=gnu11"],
    **_build_flags(),
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
