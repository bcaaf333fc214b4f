/* Listing topics and describing the cluster, into a kfk_metadata: one
 * arena holds every string and array, so it is freed at once. */
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "admin/metadata_int.h"
#include "proto/arena.h"
#include "proto/gen/describe_cluster.h"
#include "proto/gen/metadata.h"

/* --- building (on the I/O thread that got the answer) ------------------------------ */

const char *kmd_dup_slice(karena *a, kslice s)
{
    if (!s.ptr) return NULL;
    char *p = karena_alloc(a, s.len + 1);
    if (p) {
        memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
    }
    return p;
}

const int32_t *kmd_dup_ints(karena *a, const int32_t *v, int32_t n, size_t *out_n)
{
    *out_n = n > 0 ? (size_t)n : 0;
    int32_t *p = karena_alloc(a, *out_n * sizeof(int32_t));
    if (p && *out_n) memcpy(p, v, *out_n * sizeof(int32_t));
    return p;
}

static int cmp_broker(const void *x, const void *y)
{
    const md_broker *a = x, *b = y;
    return (a->id > b->id) - (a->id < b->id);
}

static int cmp_topic(const void *x, const void *y)
{
    return strcmp(((const md_topic *)x)->name, ((const md_topic *)y)->name);
}

static int cmp_partition(const void *x, const void *y)
{
    const md_partition *a = x, *b = y;
    return (a->id > b->id) - (a->id < b->id);
}

/* qsort's array may not be NULL, even with nothing in it. */
static void sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1) qsort(v, n, size, cmp);
}

void kmd_sort(kfk_metadata *md)
{
    sort(md->brokers, md->n_brokers, sizeof(md_broker), cmp_broker);
    sort(md->topics, md->n_topics, sizeof(md_topic), cmp_topic);
    for (size_t t = 0; t < md->n_topics; t++)
        sort(md->topics[t].partitions, md->topics[t].n_partitions, sizeof(md_partition),
             cmp_partition);
}

kfk_metadata *kmd_new(void)
{
    kfk_metadata *md = calloc(1, sizeof(*md));
    if (md) {
        md->controller_id = -1;
        md->cluster_authorized_ops = KMD_NO_OPS;
    }
    return md;
}

static int fill_topic(karena *a, md_topic *t,
                      const kp_metadata_response_topic *rt)
{
    t->name = kmd_dup_slice(a, rt->name.ptr ? rt->name : KWIRE_EMPTY);
    t->err = (kfk_err)rt->error_code;
    t->internal = rt->is_internal;
    t->authorized_ops = rt->topic_authorized_operations;
    static const kuuid zero;
    t->has_id = memcmp(&rt->topic_id, &zero, sizeof(zero)) != 0;
    memcpy(t->id, rt->topic_id.b, 16);
    t->n_partitions = rt->n_partitions > 0 ? (size_t)rt->n_partitions : 0;
    t->partitions = karena_alloc(a, t->n_partitions * sizeof(md_partition));
    if (!t->name || !t->partitions) return -1;
    for (size_t p = 0; p < t->n_partitions; p++) {
        const kp_metadata_response_partition *rp = &rt->partitions[p];
        md_partition *mp = &t->partitions[p];
        mp->id = rp->partition_index;
        mp->leader = rp->leader_id;
        mp->leader_epoch = rp->leader_epoch;
        mp->err = (kfk_err)rp->error_code;
        mp->replicas = kmd_dup_ints(a, rp->replica_nodes, rp->n_replica_nodes, &mp->n_replicas);
        mp->isr = kmd_dup_ints(a, rp->isr_nodes, rp->n_isr_nodes, &mp->n_isr);
        mp->offline = kmd_dup_ints(a, rp->offline_replicas, rp->n_offline_replicas, &mp->n_offline);
        mp->elr = mp->last_known_elr = NULL; /* Metadata does not report them */
        mp->n_elr = mp->n_last_known_elr = 0;
        if (!mp->replicas || !mp->isr || !mp->offline) return -1;
    }
    return 0;
}

static kfk_metadata *from_metadata(const kp_metadata_response *r)
{
    kfk_metadata *md = kmd_new();
    if (!md) return NULL;
    karena *a = &md->arena;
    md->cluster_id = kmd_dup_slice(a, r->cluster_id);
    md->controller_id = r->controller_id;
    md->n_brokers = r->n_brokers > 0 ? (size_t)r->n_brokers : 0;
    md->brokers = karena_alloc(a, md->n_brokers * sizeof(md_broker));
    md->n_topics = r->n_topics > 0 ? (size_t)r->n_topics : 0;
    md->topics = karena_alloc(a, md->n_topics * sizeof(md_topic));
    bool ok = md->brokers && md->topics;
    for (size_t i = 0; ok && i < md->n_brokers; i++) {
        const kp_metadata_response_broker *b = &r->brokers[i];
        md->brokers[i] =
            (md_broker){b->node_id, b->port, kmd_dup_slice(a, b->host), kmd_dup_slice(a, b->rack)};
        ok = md->brokers[i].host != NULL;
    }
    for (size_t i = 0; ok && i < md->n_topics; i++)
        ok = fill_topic(a, &md->topics[i], &r->topics[i]) == 0;
    if (!ok) {
        kfk_metadata_destroy(md);
        return NULL;
    }
    md->cluster_authorized_ops = r->cluster_authorized_operations;
    kmd_sort(md);
    return md;
}

static kfk_metadata *from_describe_cluster(const kp_describe_cluster_response *r)
{
    kfk_metadata *md = kmd_new();
    if (!md) return NULL;
    karena *a = &md->arena;
    md->cluster_id = kmd_dup_slice(a, r->cluster_id);
    md->controller_id = r->controller_id;
    md->n_brokers = r->n_brokers > 0 ? (size_t)r->n_brokers : 0;
    md->brokers = karena_alloc(a, md->n_brokers * sizeof(md_broker));
    bool ok = md->brokers != NULL;
    for (size_t i = 0; ok && i < md->n_brokers; i++) {
        const kp_describe_cluster_response_describe_cluster_broker *b = &r->brokers[i];
        md->brokers[i] = (md_broker){b->broker_id, b->port, kmd_dup_slice(a, b->host),
                                     kmd_dup_slice(a, b->rack)};
        ok = md->brokers[i].host != NULL;
    }
    if (!ok) {
        kfk_metadata_destroy(md);
        return NULL;
    }
    md->cluster_authorized_ops = r->cluster_authorized_operations;
    kmd_sort(md);
    return md;
}

/* --- the calls ------------------------------------------------------------------------ */

typedef struct describe_op {
    kadmin_wait w;
    kcall call;
    kclient *client;
    bool all_topics;
    kfk_err err;
    kfk_metadata *md;
} describe_op;

static void metadata_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    describe_op *op = call->opaque;
    op->err = err;
    if (!err) {
        /* What the admin learned is news for the client's cache too. */
        kclient_metadata_apply(op->client, resp, op->all_topics);
        op->md = from_metadata(resp);
        if (!op->md) op->err = KFK_ERR_NO_MEMORY;
    }
    kadmin_wait_done(&op->w);
}

/* Metadata for names (NULL: every topic); with_ops asks for the topics'
 * authorized operations, cluster_ops (brokers before 2.8 only) the
 * cluster's. */
static kfk_err metadata_call(kfk_admin *a, const char *const *names, size_t n, int64_t deadline_ns,
                             bool with_ops, bool cluster_ops, kfk_metadata **out)
{
    kp_metadata_request body;
    kp_metadata_request_init(&body);
    body.allow_auto_topic_creation = false;
    body.include_topic_authorized_operations = with_ops;
    body.include_cluster_authorized_operations = cluster_ops;
    kp_metadata_request_topic *t = NULL;
    if (names) {
        t = calloc(n ? n : 1, sizeof(*t));
        if (!t) return KFK_ERR_NO_MEMORY;
        for (size_t i = 0; i < n; i++) {
            kp_metadata_request_topic_init(&t[i]);
            t[i].name = kwire_cstr(names[i]);
        }
        body.topics = t;
        body.n_topics = (int32_t)n;
    } else {
        body.n_topics = -1; /* every topic */
    }
    describe_op op = {.client = a->client, .all_topics = names == NULL};
    kadmin_wait_init(&op.w);
    kcall_init(&op.call, &kp_metadata_client, &body, metadata_done, &op);
    op.call.deadline_ns = deadline_ns;
    kadmin_run(a, &op.call, &op.w);
    kadmin_wait_destroy(&op.w);
    free(t);
    *out = op.md;
    return op.err;
}

kfk_err kadmin_metadata_call(kfk_admin *a, const char *const *names, size_t n, int64_t deadline_ns,
                             bool with_ops, kfk_metadata **out)
{
    return metadata_call(a, names, n, deadline_ns, with_ops, false, out);
}

kfk_err kfk_admin_list_topics(kfk_admin *admin, const char *const *names, size_t n,
                              const kfk_admin_options *options, kfk_metadata **out)
{
    static const char fn[] = "kfk_admin_list_topics";
    if (out) *out = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err =
        kadmin_opts_check(admin, fn, options, KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS, &o);
    if (!err && !out) err = kadmin_invalid(admin, fn, "out is NULL");
    for (size_t i = 0; !err && names && i < n; i++)
        if (!names[i]) err = kadmin_invalid(admin, fn, "an entry of names is NULL");
    bool ops = o.flags & KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS;
    if (!err) err = metadata_call(admin, names, n, o.deadline_ns, ops, false, out);
    return kadmin_end(admin, fn, err, o.timeout_ms, NULL);
}

static kfk_err describe_check(kcall *call, void *resp)
{
    (void)call;
    return (kfk_err)((kp_describe_cluster_response *)resp)->error_code;
}

static void describe_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    describe_op *op = call->opaque;
    op->err = err;
    if (!err) {
        op->md = from_describe_cluster(resp);
        if (!op->md) op->err = KFK_ERR_NO_MEMORY;
    }
    kadmin_wait_done(&op->w);
}

static kfk_err describe_cluster(kfk_admin *admin, int64_t deadline_ns, bool ops,
                                kfk_metadata **out);

kfk_err kfk_admin_describe_cluster(kfk_admin *admin, const kfk_admin_options *options,
                                   kfk_metadata **out)
{
    static const char fn[] = "kfk_admin_describe_cluster";
    if (out) *out = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err =
        kadmin_opts_check(admin, fn, options, KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS, &o);
    if (!err && !out) err = kadmin_invalid(admin, fn, "out is NULL");
    bool ops = o.flags & KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS;
    if (!err) err = describe_cluster(admin, o.deadline_ns, ops, out);
    return kadmin_end(admin, fn, err, o.timeout_ms, NULL);
}

static kfk_err describe_cluster(kfk_admin *admin, int64_t deadline_ns, bool ops, kfk_metadata **out)
{
    kp_describe_cluster_request body;
    kp_describe_cluster_request_init(&body);
    body.include_cluster_authorized_operations = ops;
    describe_op op = {.client = admin->client};
    kadmin_wait_init(&op.w);
    kcall_init(&op.call, &kp_describe_cluster_client, &body, describe_done, &op);
    op.call.check = describe_check;
    op.call.deadline_ns = deadline_ns;
    kadmin_run(admin, &op.call, &op.w);
    kadmin_wait_destroy(&op.w);
    if (op.err == KFK_ERR_UNSUPPORTED_VERSION) {
        /* A broker before 2.8 (KIP-700): Metadata names the same things. */
        return metadata_call(admin, (const char *const[]){NULL}, 0, deadline_ns, false, ops, out);
    }
    *out = op.md;
    return op.err;
}

/* --- reading ---------------------------------------------------------------------------- */

static const md_broker *broker_at(const kfk_metadata *md, size_t b)
{
    return md && b < md->n_brokers ? &md->brokers[b] : NULL;
}

static const md_topic *topic_at(const kfk_metadata *md, size_t t)
{
    return md && t < md->n_topics ? &md->topics[t] : NULL;
}

static const md_partition *partition_at(const kfk_metadata *md, size_t t, size_t p)
{
    const md_topic *x = topic_at(md, t);
    return x && p < x->n_partitions ? &x->partitions[p] : NULL;
}

const char *kfk_metadata_cluster_id(const kfk_metadata *md)
{
    return md ? md->cluster_id : NULL;
}

int32_t kfk_metadata_controller_id(const kfk_metadata *md)
{
    return md ? md->controller_id : -1;
}

size_t kfk_metadata_broker_count(const kfk_metadata *md)
{
    return md ? md->n_brokers : 0;
}

int32_t kfk_metadata_broker_id(const kfk_metadata *md, size_t b)
{
    const md_broker *x = broker_at(md, b);
    return x ? x->id : -1;
}

const char *kfk_metadata_broker_host(const kfk_metadata *md, size_t b)
{
    const md_broker *x = broker_at(md, b);
    return x ? x->host : NULL;
}

int kfk_metadata_broker_port(const kfk_metadata *md, size_t b)
{
    const md_broker *x = broker_at(md, b);
    return x ? x->port : -1;
}

const char *kfk_metadata_broker_rack(const kfk_metadata *md, size_t b)
{
    const md_broker *x = broker_at(md, b);
    return x ? x->rack : NULL;
}

size_t kfk_metadata_topic_count(const kfk_metadata *md)
{
    return md ? md->n_topics : 0;
}

const char *kfk_metadata_topic_name(const kfk_metadata *md, size_t t)
{
    const md_topic *x = topic_at(md, t);
    return x ? x->name : NULL;
}

kfk_err kfk_metadata_topic_error(const kfk_metadata *md, size_t t)
{
    const md_topic *x = topic_at(md, t);
    return x ? x->err : KFK_ERR_INVALID_ARG;
}

bool kfk_metadata_topic_is_internal(const kfk_metadata *md, size_t t)
{
    const md_topic *x = topic_at(md, t);
    return x && x->internal;
}

const uint8_t *kfk_metadata_topic_id(const kfk_metadata *md, size_t t)
{
    const md_topic *x = topic_at(md, t);
    return x && x->has_id ? x->id : NULL;
}

size_t kfk_metadata_partition_count(const kfk_metadata *md, size_t t)
{
    const md_topic *x = topic_at(md, t);
    return x ? x->n_partitions : 0;
}

int32_t kfk_metadata_partition_id(const kfk_metadata *md, size_t t, size_t p)
{
    const md_partition *x = partition_at(md, t, p);
    return x ? x->id : -1;
}

int32_t kfk_metadata_partition_leader(const kfk_metadata *md, size_t t, size_t p)
{
    const md_partition *x = partition_at(md, t, p);
    return x ? x->leader : -1;
}

int32_t kfk_metadata_partition_leader_epoch(const kfk_metadata *md, size_t t, size_t p)
{
    const md_partition *x = partition_at(md, t, p);
    return x ? x->leader_epoch : -1;
}

kfk_err kfk_metadata_partition_error(const kfk_metadata *md, size_t t, size_t p)
{
    const md_partition *x = partition_at(md, t, p);
    return x ? x->err : KFK_ERR_INVALID_ARG;
}

const int32_t *kfk_metadata_partition_replicas(const kfk_metadata *md, size_t t, size_t p,
                                               size_t *n)
{
    const md_partition *x = partition_at(md, t, p);
    if (n) *n = x ? x->n_replicas : 0;
    return x ? x->replicas : NULL;
}

const int32_t *kfk_metadata_partition_isr(const kfk_metadata *md, size_t t, size_t p, size_t *n)
{
    const md_partition *x = partition_at(md, t, p);
    if (n) *n = x ? x->n_isr : 0;
    return x ? x->isr : NULL;
}

static const int32_t *ints_out(const int32_t *v, size_t n, size_t *out_n)
{
    if (out_n) *out_n = v ? n : 0;
    return v;
}

const int32_t *kfk_metadata_partition_offline_replicas(const kfk_metadata *md, size_t t, size_t p,
                                                       size_t *n)
{
    const md_partition *x = partition_at(md, t, p);
    return x ? ints_out(x->offline, x->n_offline, n) : ints_out(NULL, 0, n);
}

const int32_t *kfk_metadata_partition_eligible_leaders(const kfk_metadata *md, size_t t, size_t p,
                                                       size_t *n)
{
    const md_partition *x = partition_at(md, t, p);
    return x ? ints_out(x->elr, x->n_elr, n) : ints_out(NULL, 0, n);
}

const int32_t *kfk_metadata_partition_last_known_eligible_leaders(const kfk_metadata *md, size_t t,
                                                                  size_t p, size_t *n)
{
    const md_partition *x = partition_at(md, t, p);
    return x ? ints_out(x->last_known_elr, x->n_last_known_elr, n) : ints_out(NULL, 0, n);
}

int32_t kfk_metadata_cluster_authorized_operations(const kfk_metadata *md)
{
    return md ? md->cluster_authorized_ops : INT32_MIN;
}

int32_t kfk_metadata_topic_authorized_operations(const kfk_metadata *md, size_t t)
{
    const md_topic *x = topic_at(md, t);
    return x ? x->authorized_ops : INT32_MIN;
}

void kfk_metadata_destroy(kfk_metadata *md)
{
    if (!md) return;
    karena_free(&md->arena);
    free(md);
}
