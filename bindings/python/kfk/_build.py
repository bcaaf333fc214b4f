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
int64_t kfk_producer_outstanding(const kfk_producer *producer);
kfk_err kfk_producer_flush(kfk_producer *producer, int timeout_ms);
kfk_err kfk_producer_purge(kfk_producer *producer);
void kfk_producer_destroy(kfk_producer *producer);
kfk_err kfk_producer_stats_json(kfk_producer *producer, char *buf, size_t *len);
kfk_err kfk_producer_stats_prometheus(kfk_producer *producer, char *buf, size_t *len);

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
kfk_err kfk_consumer_stats_json(kfk_consumer *c, char *buf, size_t *len);
kfk_err kfk_consumer_stats_prometheus(kfk_consumer *c, char *buf, size_t *len);

kfk_err kfk_message_header(const kfk_message *m, size_t i, const char **name, size_t *name_len,
                           const void **value, size_t *value_len);
void kfk_message_release(kfk_message *m);
const char *kfk_message_topic(const kfk_message *m);
const void *kfk_message_key(const kfk_message *m, size_t *len);
const void *kfk_message_value(const kfk_message *m, size_t *len);
size_t kfk_message_header_count(const kfk_message *m);
int32_t kfk_message_leader_epoch(const kfk_message *m);

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
kfk_err kfk_admin_stats_json(kfk_admin *admin, char *buf, size_t *len);
kfk_err kfk_admin_stats_prometheus(kfk_admin *admin, char *buf, size_t *len);
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
typedef struct kfkpy_ev {
    int kind;
    int code;
    char *facility;
    char *text;
} kfkpy_ev;

typedef struct kfkpy_h {
    uintptr_t *dr_opaque;
    int64_t *dr_offset;
    int64_t *dr_timestamp;
    int32_t *dr_partition;
    int32_t *dr_err;
    size_t n_dr;
    size_t dr_next;
    ...;
} kfkpy_h;

kfkpy_h *kfkpy_h_new(void *py_handle);
void kfkpy_h_free(kfkpy_h *h);
void kfkpy_conf_hooks(kfk_conf *conf, kfkpy_h *h, int dr, int errors, int logs, int rebalance,
                      int commit);
void kfkpy_conf_stats(kfk_conf *conf, kfkpy_h *h);
kfk_err kfkpy_conf_interceptor(kfk_conf *conf, kfkpy_h *h, int ack, int commit);
size_t kfkpy_events_take(kfkpy_h *h, kfkpy_ev **out);
void kfkpy_events_free(kfkpy_ev *evs, size_t n);
kfk_err kfkpy_produce(kfk_producer *p, const char *topic, int32_t partition, const char *key,
                      size_t key_len, const char *value, size_t value_len, int64_t timestamp_ms,
                      const kfk_header *headers, size_t n_headers, uintptr_t opaque);
kfk_err kfkpy_produce_value(kfk_producer *p, const char *topic, int32_t partition,
                            const char *value, size_t value_len, uintptr_t opaque);
typedef struct kfkpy_cols {
    kfk_message **m;
    int32_t *topic_idx;
    const char *topics[16];
    size_t n_topics;
    int64_t *key_start;
    int64_t *key_end;
    int64_t *value_start;
    int64_t *value_end;
    int64_t *offset;
    int64_t *timestamp;
    int32_t *partition;
    int32_t *err;
    int32_t *ts_type;
    size_t n_keys;
    size_t n_null_values;
    char *data;
    size_t data_len;
    kfk_message **batch;
    ...;
} kfkpy_cols;
kfkpy_cols *kfkpy_cols_new(size_t max);
void kfkpy_cols_free(kfkpy_cols *c);
size_t kfkpy_poll_cols(kfk_consumer *c, kfkpy_cols *out, size_t max, int timeout_ms);
void kfkpy_release_all(kfk_message **msgs, size_t n);

extern "Python" void kfkpy_on_rebalance(void *py_handle, int event,
                                          const kfk_partition_list *parts);
extern "Python" void kfkpy_on_commit(void *py_handle, int err,
                                       const kfk_partition_list *offsets);
extern "Python" void kfkpy_icpt_ack(void *py_handle, const char *topic, int32_t partition,
                                    int64_t offset, int64_t timestamp, int err, uintptr_t opaque);
extern "Python" void kfkpy_icpt_commit(void *py_handle, int err,
                                       const kfk_partition_list *offsets);
"""

SOURCE = r"""
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <kfk.h>
#include <kfk_mock.h>
#include "_kfkpy.h"



static void kfkpy_on_rebalance(void *py_handle, int event, const kfk_partition_list *parts);
static void kfkpy_on_commit(void *py_handle, int err, const kfk_partition_list *offsets);
static void kfkpy_icpt_ack(void *py_handle, const char *topic, int32_t partition, int64_t offset,
                           int64_t timestamp, int err, uintptr_t opaque);
static void kfkpy_icpt_commit(void *py_handle, int err, const kfk_partition_list *offsets);

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
    free(h->dr_opaque);
    free(h->dr_offset);
    free(h->dr_timestamp);
    free(h->dr_partition);
    free(h->dr_err);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static int dr_grow(kfkpy_h *h)
{
    size_t cap = h->cap_dr ? h->cap_dr * 2 : 4096;
    void *a = realloc(h->dr_opaque, cap * sizeof(uintptr_t));
    if (a) h->dr_opaque = a;
    void *b = realloc(h->dr_offset, cap * sizeof(int64_t));
    if (b) h->dr_offset = b;
    void *c = realloc(h->dr_timestamp, cap * sizeof(int64_t));
    if (c) h->dr_timestamp = c;
    void *d = realloc(h->dr_partition, cap * sizeof(int32_t));
    if (d) h->dr_partition = d;
    void *e = realloc(h->dr_err, cap * sizeof(int32_t));
    if (e) h->dr_err = e;
    if (!a || !b || !c || !d || !e) return -1;
    h->cap_dr = cap;
    return 0;
}

static void dr_cb(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)p;
    kfkpy_h *h = opaque;
    if (h->n_dr == h->cap_dr && dr_grow(h)) return; /* lost; Python sees fewer */
    size_t i = h->n_dr++;
    h->dr_opaque[i] = (uintptr_t)r->opaque;
    h->dr_offset[i] = r->offset;
    h->dr_timestamp[i] = r->timestamp_ms;
    h->dr_partition[i] = r->partition;
    h->dr_err[i] = r->err;
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

/* Statistics documents join the error and log events (kind 3): the
 * polling thread serves them after its poll, with the GIL, as it serves
 * those; kfk's text is only valid during the call, hence the copy. */
static void stats_cb(void *opaque, void *handle, const char *json, size_t json_len)
{
    (void)handle, (void)json_len;
    push_event(opaque, 3, 0, NULL, json);
}

static void kfkpy_conf_stats(kfk_conf *conf, kfkpy_h *h)
{
    kfk_conf_set_stats_cb(conf, stats_cb, h);
}

/* The Python interceptors behind one kfk interceptor. on_send and
 * on_consume run in Python around kfk_produce and the poll (the record
 * and the messages are Python objects there already); the hooks here are
 * the ones only kfk knows when to call: acknowledgements (served reports,
 * and records kfk_produce refused) and commits (sync, async and auto).
 * Both run on the application's thread; the Python side logs and drops
 * what a hook raises, so they always return KFK_OK. */
static kfk_err icpt_ack(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)p;
    kfkpy_icpt_ack(((kfkpy_h *)opaque)->py_handle, r->topic, r->partition, r->offset,
                   r->timestamp_ms, (int)r->err, (uintptr_t)r->opaque);
    return KFK_OK;
}

static kfk_err icpt_commit(void *opaque, kfk_consumer *c, kfk_err err,
                           const kfk_partition_list *offs)
{
    (void)c;
    kfkpy_icpt_commit(((kfkpy_h *)opaque)->py_handle, (int)err, offs);
    return KFK_OK;
}

static kfk_err kfkpy_conf_interceptor(kfk_conf *conf, kfkpy_h *h, int ack, int commit)
{
    kfk_interceptor ops = {0};
    if (ack) ops.on_acknowledgement = icpt_ack;
    if (commit) ops.on_commit = icpt_commit;
    if (!ack && !commit) return KFK_OK;
    return kfk_conf_add_interceptor(conf, &ops, h);
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

/* The common case, a value and nothing else: fewer arguments to convert. */
static kfk_err kfkpy_produce_value(kfk_producer *p, const char *topic, int32_t partition,
                                   const char *value, size_t value_len, uintptr_t opaque)
{
    kfk_record rec = {
        .topic = topic, .partition = partition, .value = value, .value_len = value_len};
    return kfk_produce(p, &rec, (void *)opaque);
}

/* One poll for up to max messages, read out as columns (one array per
 * field) with every key and value copied into one buffer, so that Python
 * builds its messages with a few calls per batch instead of a few per
 * message. Topics are numbered: a batch rarely holds more than a few. */
#define KFKPY_MAX_TOPICS 16
typedef struct kfkpy_cols {
    kfk_message **m;
    int32_t *topic_idx;
    const char *topics[KFKPY_MAX_TOPICS];
    size_t n_topics;
    int64_t *key_start;
    int64_t *key_end;
    int64_t *value_start;
    int64_t *value_end;
    int64_t *offset;
    int64_t *timestamp;
    int32_t *partition;
    int32_t *err;
    int32_t *ts_type;
    size_t n_keys;
    size_t n_null_values;
    char *data;
    size_t data_len;
    size_t data_cap;
    size_t max;
    kfk_message **batch; /* the last poll's messages, for Python to own */
} kfkpy_cols;

static void kfkpy_cols_free(kfkpy_cols *c)
{
    if (!c) return;
    free(c->m);
    free(c->topic_idx);
    free(c->key_start);
    free(c->key_end);
    free(c->value_start);
    free(c->value_end);
    free(c->offset);
    free(c->timestamp);
    free(c->partition);
    free(c->err);
    free(c->ts_type);
    free(c->data);
    free(c);
}

static kfkpy_cols *kfkpy_cols_new(size_t max)
{
    kfkpy_cols *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->max = max;
    c->m = calloc(max, sizeof(*c->m));
    c->topic_idx = calloc(max, sizeof(int32_t));
    c->key_start = calloc(max, sizeof(int64_t));
    c->key_end = calloc(max, sizeof(int64_t));
    c->value_start = calloc(max, sizeof(int64_t));
    c->value_end = calloc(max, sizeof(int64_t));
    c->offset = calloc(max, sizeof(int64_t));
    c->timestamp = calloc(max, sizeof(int64_t));
    c->partition = calloc(max, sizeof(int32_t));
    c->err = calloc(max, sizeof(int32_t));
    c->ts_type = calloc(max, sizeof(int32_t));
    if (!c->m || !c->topic_idx || !c->key_start || !c->key_end || !c->value_start ||
        !c->value_end || !c->offset || !c->timestamp || !c->partition || !c->err ||
        !c->ts_type) {
        kfkpy_cols_free(c);
        return NULL;
    }
    return c;
}

/* Appends n bytes to out->data; their start, or -1 when out of memory. */
static int64_t cols_copy(kfkpy_cols *out, const void *p, size_t n)
{
    if (out->data_len + n > out->data_cap) {
        size_t cap = out->data_cap ? out->data_cap : 65536;
        while (cap < out->data_len + n)
            cap *= 2;
        char *d = realloc(out->data, cap);
        if (!d) return -1;
        out->data = d;
        out->data_cap = cap;
    }
    int64_t at = (int64_t)out->data_len;
    if (n) memcpy(out->data + at, p, n);
    out->data_len += n;
    return at;
}

static int32_t cols_topic(kfkpy_cols *out, const char *topic)
{
    for (size_t j = 0; j < out->n_topics; j++)
        if (out->topics[j] == topic || strcmp(out->topics[j], topic) == 0) return (int32_t)j;
    if (out->n_topics == KFKPY_MAX_TOPICS) return -1; /* Python asks the message */
    out->topics[out->n_topics] = topic;
    return (int32_t)out->n_topics++;
}

static size_t kfkpy_poll_cols(kfk_consumer *c, kfkpy_cols *out, size_t max, int timeout_ms)
{
    if (max > out->max) max = out->max;
    size_t n = kfk_consumer_poll_batch(c, out->m, max, timeout_ms);
    out->n_topics = out->n_keys = out->n_null_values = 0;
    out->data_len = 0;
    out->batch = NULL;
    if (n == 0) return 0;
    out->batch = malloc(n * sizeof(*out->batch));
    if (!out->batch) { /* nothing can be handed out */
        for (size_t i = 0; i < n; i++)
            kfk_message_release(out->m[i]);
        return 0;
    }
    memcpy(out->batch, out->m, n * sizeof(*out->batch));
    for (size_t i = 0; i < n; i++) {
        kfk_message *m = out->m[i];
        size_t kl, vl;
        const void *k = kfk_message_key(m, &kl), *v = kfk_message_value(m, &vl);
        kfk_timestamp_type tt;
        out->topic_idx[i] = cols_topic(out, kfk_message_topic(m));
        out->key_start[i] = k ? cols_copy(out, k, kl) : -1;
        out->key_end[i] = out->key_start[i] < 0 ? -1 : out->key_start[i] + (int64_t)kl;
        out->value_start[i] = v ? cols_copy(out, v, vl) : -1;
        out->value_end[i] = out->value_start[i] < 0 ? -1 : out->value_start[i] + (int64_t)vl;
        out->n_keys += k != NULL;
        out->n_null_values += out->value_start[i] < 0;
        out->offset[i] = kfk_message_offset(m);
        out->timestamp[i] = kfk_message_timestamp(m, &tt);
        out->ts_type[i] = (int32_t)tt;
        out->partition[i] = kfk_message_partition(m);
        out->err[i] = kfk_message_error(m);
    }
    return n;
}

static void kfkpy_release_all(kfk_message **msgs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kfk_message_release(msgs[i]);
    free(msgs);
}
"""


def _pkg_config(*args):
    out = subprocess.check_output(["pkg-config", *args, "kfk", "kfk_mock"], text=True)
    return shlex.split(out)


HERE = os.path.dirname(os.path.abspath(__file__))


def build_flags():
    """Compiler and linker arguments for libkfk (also used by setup.py)."""
    build = os.environ.get("KFK_BUILD_DIR")
    if build:
        build = os.path.abspath(build)
        inc = os.path.join(os.path.dirname(build), "include")
        return dict(
            include_dirs=[inc, HERE],
            library_dirs=[build],
            runtime_library_dirs=[build],
            libraries=["kfk", "kfk_mock"],
        )
    cflags, libs = _pkg_config("--cflags"), _pkg_config("--libs")
    flags = dict(include_dirs=[HERE], library_dirs=[], libraries=[], runtime_library_dirs=[])
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
    **build_flags(),
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
