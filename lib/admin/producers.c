/* The producers active on partitions (DescribeProducers) and aborting a
 * hanging transaction (WriteTxnMarkers), both at the partition's leader:
 * the tools an operator uses when a transaction holds back the last
 * stable offset and its producer is gone. */
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "admin/metadata_int.h"
#include "base/partition_list.h"
#include "proto/gen/describe_producers.h"
#include "proto/gen/write_txn_markers.h"

typedef struct producers_detail {
    int32_t partition;
    size_t n;
    kfk_producer_state *v;
} producers_detail;

static void producers_detail_free(void *p)
{
    producers_detail *d = p;
    free(d->v);
    free(d);
}

/* A partition's leader may have moved: the kcall retries these after a
 * metadata refresh. Other per-partition errors are the answer. */
static bool leader_moved(kfk_err err)
{
    return err == KFK_ERR_NOT_LEADER_OR_FOLLOWER || err == KFK_ERR_REPLICA_NOT_AVAILABLE ||
           err == KFK_ERR_BROKER_NOT_AVAILABLE || err == KFK_ERR_LEADER_NOT_AVAILABLE;
}

/* Whether topic's partition exists in md, a fresh Metadata answer: a
 * call routed to the leader of a partition that does not exist would
 * wait for one until its deadline. Java's admin fails such a partition at
 * once with UNKNOWN_TOPIC_OR_PARTITION too. */
static kfk_err partition_exists(const kfk_metadata *md, const char *topic, int32_t partition)
{
    for (size_t t = 0; t < kfk_metadata_topic_count(md); t++) {
        if (strcmp(kfk_metadata_topic_name(md, t), topic) != 0) continue;
        if (kfk_metadata_topic_error(md, t)) return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        for (size_t p = 0; p < kfk_metadata_partition_count(md, t); p++)
            if (kfk_metadata_partition_id(md, t, p) == partition) return KFK_OK;
    }
    return KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

/* One Metadata request for the n topics (its answer also updates the
 * client's cache, so the calls that follow route to current leaders). */
static kfk_err fresh_metadata(kfk_admin *a, const char *const *topics, size_t n,
                              const kadmin_opts *o, kfk_metadata **md)
{
    return kadmin_metadata_call(a, topics, n, o->deadline_ns, false, md);
}

/* One call per partition, each to its leader, all at once. */
typedef struct part_call {
    kcall call;
    const char *topic;
    int32_t partition;
    kfk_err err;
    kslice msg; /* DescribeProducers: copied into the result */
    producers_detail *detail;
    union {
        struct {
            kp_describe_producers_request body;
            kp_describe_producers_request_topic_request topic_req;
        } dp;
        struct {
            kp_write_txn_markers_request body;
            kp_write_txn_markers_request_writable_txn_marker marker;
            kp_write_txn_markers_request_writable_txn_marker_topic topic_req;
        } wtm;
    } u;
    kfk_admin_result *res; /* DescribeProducers */
    size_t i;
    kadmin_wait *w;
    pthread_mutex_t *lock;
    int *left;
} part_call;

static void part_finish(part_call *pc)
{
    pthread_mutex_lock(pc->lock);
    bool last = --*pc->left == 0;
    pthread_mutex_unlock(pc->lock);
    if (last) kadmin_wait_done(pc->w);
}

/* Starts the n prepared calls and waits for all of them. */
static void run_parts(kfk_admin *a, part_call *pcs, size_t n, const kadmin_opts *o)
{
    kadmin_wait w;
    kadmin_wait_init(&w);
    pthread_mutex_t lock;
    pthread_mutex_init(&lock, NULL);
    int left = (int)n;
    int32_t retries = kadmin_retries(a);
    for (size_t i = 0; i < n; i++) {
        pcs[i].w = &w;
        pcs[i].lock = &lock;
        pcs[i].left = &left;
        pcs[i].call.route = KROUTE_LEADER;
        pcs[i].call.topic = pcs[i].topic;
        pcs[i].call.partition = pcs[i].partition;
        pcs[i].call.deadline_ns = o->deadline_ns;
        pcs[i].call.no_retry = retries == 0;
        pcs[i].call.max_retries = retries;
    }
    for (size_t i = 0; i < n; i++)
        kcall_start(a->client, &pcs[i].call);
    pthread_mutex_lock(&w.lock);
    while (n && !w.done)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    kadmin_wait_destroy(&w);
    pthread_mutex_destroy(&lock);
}

/* --- DescribeProducers ------------------------------------------------------------- */

static const kp_describe_producers_response_partition_response *dp_partition(const void *resp)
{
    const kp_describe_producers_response *r = resp;
    if (r->n_topics != 1 || r->topics[0].n_partitions != 1) return NULL;
    return &r->topics[0].partitions[0];
}

static kfk_err dp_check(kcall *call, void *resp)
{
    (void)call;
    const kp_describe_producers_response_partition_response *p = dp_partition(resp);
    if (!p) return KFK_ERR_MALFORMED;
    return leader_moved((kfk_err)p->error_code) ? (kfk_err)p->error_code : KFK_OK;
}

static void dp_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    part_call *pc = call->opaque;
    const kp_describe_producers_response_partition_response *p = resp ? dp_partition(resp) : NULL;
    kslice msg = {0};
    if (!err && p) {
        err = (kfk_err)p->error_code;
        msg = p->error_message;
    }
    producers_detail *d = calloc(1, sizeof(*d));
    if (d) {
        d->partition = pc->partition;
        size_t n = !err && p ? (size_t)p->n_active_producers : 0;
        d->v = calloc(n ? n : 1, sizeof(*d->v));
        for (size_t k = 0; d->v && k < n; k++) {
            const kp_describe_producers_response_producer_state *s = &p->active_producers[k];
            d->v[k] = (kfk_producer_state){
                .producer_id = s->producer_id,
                .producer_epoch = s->producer_epoch,
                .last_sequence = s->last_sequence,
                .last_timestamp_ms = s->last_timestamp,
                .coordinator_epoch = s->coordinator_epoch,
                .current_transaction_start_offset = s->current_txn_start_offset,
            };
        }
        d->n = d->v ? n : 0;
    }
    if (!d || !d->v) {
        if (d) producers_detail_free(d);
        d = NULL;
        err = KFK_ERR_NO_MEMORY;
    }
    pc->res->e[pc->i].detail = d;
    kadmin_result_set(pc->res, pc->i, err, msg);
    part_finish(pc);
}

static kfk_err check_parts(kfk_admin *a, const char *fn, const kfk_partition_list *parts)
{
    if (!parts) return kadmin_invalid(a, fn, "partitions is NULL");
    for (int i = 0; i < parts->n; i++)
        if (parts->v[i].partition < 0) return kadmin_invalid(a, fn, "a partition is negative");
    return KFK_OK;
}

/* Prepares pc to describe the producers of entry i of res. */
static void dp_prepare(part_call *pc, const ktp *tp, kfk_admin_result *res, size_t i)
{
    pc->topic = tp->topic;
    pc->partition = tp->partition;
    pc->res = res;
    pc->i = i;
    kp_describe_producers_request_init(&pc->u.dp.body);
    pc->u.dp.topic_req =
        (kp_describe_producers_request_topic_request){.name = kwire_cstr(pc->topic),
                                                      .partition_indexes = &pc->partition,
                                                      .n_partition_indexes = 1};
    pc->u.dp.body.topics = &pc->u.dp.topic_req;
    pc->u.dp.body.n_topics = 1;
    kcall_init(&pc->call, &kp_describe_producers_client, &pc->u.dp.body, dp_done, pc);
    pc->call.check = dp_check;
}

static kfk_err describe_producers(kfk_admin *a, const kfk_partition_list *parts,
                                  const kadmin_opts *o, kfk_admin_result *res)
{
    size_t n = (size_t)parts->n, n_run = 0;
    part_call *pcs = calloc(n ? n : 1, sizeof(*pcs));
    if (!pcs) return KFK_ERR_NO_MEMORY;
    const char **topics = calloc(n + 1, sizeof(*topics));
    for (size_t i = 0; topics && i < n; i++)
        topics[i] = parts->v[i].topic;
    kfk_metadata *md = NULL;
    kfk_err err = topics ? fresh_metadata(a, topics, n, o, &md) : KFK_ERR_NO_MEMORY;
    free(topics);
    for (size_t i = 0; !err && i < n; i++) {
        kfk_err perr = partition_exists(md, parts->v[i].topic, parts->v[i].partition);
        if (perr) {
            producers_detail *d = calloc(1, sizeof(*d));
            if (!d) {
                err = KFK_ERR_NO_MEMORY;
                break;
            }
            d->partition = parts->v[i].partition;
            res->e[i].detail = d;
            kadmin_result_set(res, i, perr, (kslice){0});
        } else
            dp_prepare(&pcs[n_run++], &parts->v[i], res, i);
    }
    kfk_metadata_destroy(md);
    if (!err) run_parts(a, pcs, n_run, o);
    free(pcs);
    return err ? err : kadmin_result_status(res);
}

kfk_err kfk_admin_describe_producers(kfk_admin *admin, const kfk_partition_list *partitions,
                                     const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_describe_producers";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err) err = check_parts(admin, fn, partitions);
    if (err) return kclient_error_end(admin->client, err);
    size_t n = (size_t)partitions->n;
    const char **names = calloc(n ? n : 1, sizeof(*names));
    kfk_admin_result *res = NULL;
    for (size_t i = 0; names && i < n; i++)
        names[i] = partitions->v[i].topic;
    if (names) res = kadmin_result_new(names, n);
    free(names);
    if (!res) return kadmin_end(admin, fn, KFK_ERR_NO_MEMORY, o.timeout_ms, NULL);
    res->kind = KADMIN_KIND_PRODUCERS;
    res->detail_free = producers_detail_free;
    err = describe_producers(admin, partitions, &o, res);
    if (err == KFK_ERR_NO_MEMORY || kadmin_result_status(res) != err) { /* the whole call failed */
        kfk_admin_result_destroy(res);
        return kadmin_end(admin, fn, err, o.timeout_ms, NULL);
    }
    *result = res;
    return kadmin_end(admin, fn, err, o.timeout_ms, res);
}

static const producers_detail *producers_at(const kfk_admin_result *r, size_t i)
{
    return kadmin_result_detail(r, i, KADMIN_KIND_PRODUCERS);
}

int32_t kfk_admin_result_producers_partition(const kfk_admin_result *result, size_t i)
{
    const producers_detail *d = producers_at(result, i);
    return d ? d->partition : -1;
}

size_t kfk_admin_result_producer_count(const kfk_admin_result *result, size_t i)
{
    const producers_detail *d = producers_at(result, i);
    return d ? d->n : 0;
}

const kfk_producer_state *kfk_admin_result_producer(const kfk_admin_result *result, size_t i,
                                                    size_t j)
{
    const producers_detail *d = producers_at(result, i);
    return d && j < d->n ? &d->v[j] : NULL;
}

/* --- aborting a transaction ------------------------------------------------------------ */

static kfk_err wtm_partition_err(const void *resp)
{
    const kp_write_txn_markers_response *r = resp;
    if (r->n_markers != 1 || r->markers[0].n_topics != 1 ||
        r->markers[0].topics[0].n_partitions != 1)
        return KFK_ERR_MALFORMED;
    return (kfk_err)r->markers[0].topics[0].partitions[0].error_code;
}

static kfk_err wtm_check(kcall *call, void *resp)
{
    (void)call;
    kfk_err err = wtm_partition_err(resp);
    return err == KFK_ERR_MALFORMED || leader_moved(err) ? err : KFK_OK;
}

static void wtm_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    part_call *pc = call->opaque;
    pc->err = err ? err : wtm_partition_err(resp);
    part_finish(pc);
}

static kfk_err check_spec(kfk_admin *a, const char *fn, const kfk_abort_transaction_spec *s)
{
    if (!s) return kadmin_invalid(a, fn, "spec is NULL");
    for (size_t i = 0; i < sizeof(s->reserved) / sizeof(s->reserved[0]); i++)
        if (s->reserved[i]) return kadmin_invalid(a, fn, "spec->reserved is not all zero");
    if (!s->topic || !*s->topic) return kadmin_invalid(a, fn, "spec->topic is NULL or empty");
    if (s->partition < 0) return kadmin_invalid(a, fn, "spec->partition is negative");
    if (s->producer_id < 0) return kadmin_invalid(a, fn, "spec->producer_id is negative");
    if (s->producer_epoch < 0) return kadmin_invalid(a, fn, "spec->producer_epoch is negative");
    return KFK_OK;
}

kfk_err kfk_admin_abort_transaction(kfk_admin *admin, const kfk_abort_transaction_spec *spec,
                                    const kfk_admin_options *options)
{
    static const char fn[] = "kfk_admin_abort_transaction";
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err) err = check_spec(admin, fn, spec);
    if (err) return kclient_error_end(admin->client, err);
    kfk_metadata *md = NULL;
    err = fresh_metadata(admin, &spec->topic, 1, &o, &md);
    if (!err) err = partition_exists(md, spec->topic, spec->partition);
    kfk_metadata_destroy(md);
    if (err) {
        if (err != KFK_ERR_TIMED_OUT)
            kclient_error_set(admin->client, "%s: %s [%d]: %s", fn, spec->topic, spec->partition,
                              kfk_err_str(err));
        return err == KFK_ERR_TIMED_OUT ? kadmin_end(admin, fn, err, o.timeout_ms, NULL)
                                        : kclient_error_end(admin->client, err);
    }
    part_call pc = {.topic = spec->topic, .partition = spec->partition};
    pc.u.wtm.topic_req =
        (kp_write_txn_markers_request_writable_txn_marker_topic){.name = kwire_cstr(spec->topic),
                                                                 .partition_indexes = &pc.partition,
                                                                 .n_partition_indexes = 1};
    kp_write_txn_markers_request_init(&pc.u.wtm.body);
    kp_write_txn_markers_request_writable_txn_marker_init(&pc.u.wtm.marker);
    pc.u.wtm.marker.producer_id = spec->producer_id;
    pc.u.wtm.marker.producer_epoch = spec->producer_epoch;
    pc.u.wtm.marker.coordinator_epoch = spec->coordinator_epoch;
    pc.u.wtm.marker.transaction_result = false; /* abort */
    pc.u.wtm.marker.topics = &pc.u.wtm.topic_req;
    pc.u.wtm.marker.n_topics = 1;
    pc.u.wtm.body.markers = &pc.u.wtm.marker;
    pc.u.wtm.body.n_markers = 1;
    kcall_init(&pc.call, &kp_write_txn_markers_client, &pc.u.wtm.body, wtm_done, &pc);
    pc.call.check = wtm_check;
    run_parts(admin, &pc, 1, &o);
    if (pc.err && pc.err != KFK_ERR_TIMED_OUT)
        kclient_error_set(admin->client, "%s: %s [%d]: %s", fn, spec->topic, spec->partition,
                          kfk_err_str(pc.err));
    return pc.err == KFK_ERR_TIMED_OUT ? kadmin_end(admin, fn, pc.err, o.timeout_ms, NULL)
                                       : kclient_error_end(admin->client, pc.err);
}
