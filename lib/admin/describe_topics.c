/* Describing topics with DescribeTopicPartitions (KIP-966): the answer
 * comes in pages of at most PAGE_PARTITIONS partitions, the next asked for
 * with the cursor the last one returned, so a cluster with many
 * partitions is described without one huge response; a topic can span
 * two pages. Brokers before 3.8 lack the API: Metadata answers instead. */
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "admin/metadata_int.h"
#include "proto/gen/describe_topic_partitions.h"

#define PAGE_PARTITIONS 2000

/* Topics and partitions gathered page by page, in plain growable arrays
 * (strings and id arrays already in the metadata's arena). */
typedef struct acc_topic {
    md_topic t;
    size_t cap;
} acc_topic;

typedef struct dtp_op {
    kfk_metadata *md;
    acc_topic *topics;
    size_t n, cap;
    bool with_ops;
    kfk_err err;
    /* the cursor for the next page, copied out of the answer */
    bool more;
    char *next_topic;
    int32_t next_partition;
    kadmin_wait w;
    kcall call;
} dtp_op;

static acc_topic *topic_for(dtp_op *op, kslice name)
{
    /* A topic that spans pages comes last on one page, first on the next. */
    if (op->n) {
        acc_topic *last = &op->topics[op->n - 1];
        if (strlen(last->t.name) == name.len && memcmp(last->t.name, name.ptr, name.len) == 0)
            return last;
    }
    if (op->n == op->cap) {
        size_t cap = op->cap ? op->cap * 2 : 16;
        acc_topic *v = realloc(op->topics, cap * sizeof(*v));
        if (!v) return NULL;
        op->topics = v;
        op->cap = cap;
    }
    acc_topic *t = &op->topics[op->n];
    memset(t, 0, sizeof(*t));
    if (!(t->t.name = kmd_dup_slice(&op->md->arena, name.ptr ? name : KWIRE_EMPTY))) return NULL;
    op->n++;
    return t;
}

static int add_partition(dtp_op *op, acc_topic *t,
                         const kp_describe_topic_partitions_response_partition *rp)
{
    if (t->t.n_partitions == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        md_partition *v = realloc(t->t.partitions, cap * sizeof(*v));
        if (!v) return -1;
        t->t.partitions = v;
        t->cap = cap;
    }
    karena *a = &op->md->arena;
    md_partition *p = &t->t.partitions[t->t.n_partitions++];
    *p = (md_partition){.id = rp->partition_index,
                        .leader = rp->leader_id,
                        .leader_epoch = rp->leader_epoch,
                        .err = (kfk_err)rp->error_code};
    p->replicas = kmd_dup_ints(a, rp->replica_nodes, rp->n_replica_nodes, &p->n_replicas);
    p->isr = kmd_dup_ints(a, rp->isr_nodes, rp->n_isr_nodes, &p->n_isr);
    p->offline = kmd_dup_ints(a, rp->offline_replicas, rp->n_offline_replicas, &p->n_offline);
    bool ok = p->replicas && p->isr && p->offline;
    if (ok && rp->n_eligible_leader_replicas >= 0)
        ok = (p->elr = kmd_dup_ints(a, rp->eligible_leader_replicas, rp->n_eligible_leader_replicas,
                                    &p->n_elr)) != NULL;
    if (ok && rp->n_last_known_elr >= 0)
        ok = (p->last_known_elr = kmd_dup_ints(a, rp->last_known_elr, rp->n_last_known_elr,
                                               &p->n_last_known_elr)) != NULL;
    return ok ? 0 : -1;
}

static int take_page(dtp_op *op, const kp_describe_topic_partitions_response *r)
{
    for (int32_t i = 0; i < r->n_topics; i++) {
        const kp_describe_topic_partitions_response_topic *rt = &r->topics[i];
        acc_topic *t = topic_for(op, rt->name);
        if (!t) return -1;
        t->t.err = (kfk_err)rt->error_code;
        t->t.internal = rt->is_internal;
        static const kuuid zero;
        t->t.has_id = memcmp(&rt->topic_id, &zero, sizeof(zero)) != 0;
        memcpy(t->t.id, rt->topic_id.b, 16);
        t->t.authorized_ops = op->with_ops ? rt->topic_authorized_operations : KMD_NO_OPS;
        for (int32_t k = 0; k < rt->n_partitions; k++)
            if (add_partition(op, t, &rt->partitions[k]) < 0) return -1;
    }
    free(op->next_topic);
    op->next_topic = NULL;
    op->more = r->next_cursor != NULL;
    if (op->more) {
        kslice nt = r->next_cursor->topic_name;
        if (!(op->next_topic = strndup((const char *)nt.ptr, nt.len))) return -1;
        op->next_partition = r->next_cursor->partition_index;
    }
    return 0;
}

static void page_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    dtp_op *op = call->opaque;
    op->err = err;
    if (!err && take_page(op, resp) < 0) op->err = KFK_ERR_NO_MEMORY;
    kadmin_wait_done(&op->w);
}

/* Moves the gathered topics into the arena, as kfk_metadata keeps them. */
static int finish(dtp_op *op)
{
    kfk_metadata *md = op->md;
    md->topics = karena_alloc(&md->arena, (op->n ? op->n : 1) * sizeof(md_topic));
    if (!md->topics) return -1;
    for (size_t i = 0; i < op->n; i++) {
        md_topic *t = &md->topics[i];
        *t = op->topics[i].t;
        size_t bytes = t->n_partitions * sizeof(md_partition);
        t->partitions = karena_alloc(&md->arena, bytes ? bytes : 1);
        if (!t->partitions) return -1;
        if (bytes) memcpy(t->partitions, op->topics[i].t.partitions, bytes);
    }
    md->n_topics = op->n;
    kmd_sort(md);
    return 0;
}

/* Pages through DescribeTopicPartitions for names (NULL: every topic). */
static kfk_err pages(kfk_admin *a, const char *const *names, size_t n, const kadmin_opts *o,
                     dtp_op *op)
{
    kp_describe_topic_partitions_request_topic_request *t = calloc(n + 1, sizeof(*t));
    if (!t) return KFK_ERR_NO_MEMORY;
    for (size_t i = 0; names && i < n; i++)
        t[i] = (kp_describe_topic_partitions_request_topic_request){.name = kwire_cstr(names[i])};
    kp_describe_topic_partitions_request body;
    kp_describe_topic_partitions_request_init(&body);
    body.topics = t;
    body.n_topics = names ? (int32_t)n : 0; /* none: every topic */
    body.response_partition_limit = PAGE_PARTITIONS;
    kp_describe_topic_partitions_request_cursor cursor;
    kadmin_wait_init(&op->w);
    do {
        if (op->more) {
            kp_describe_topic_partitions_request_cursor_init(&cursor);
            cursor.topic_name = kwire_cstr(op->next_topic);
            cursor.partition_index = op->next_partition;
            body.cursor = &cursor;
        }
        kcall_init(&op->call, &kp_describe_topic_partitions_client, &body, page_done, op);
        op->call.deadline_ns = o->deadline_ns;
        kadmin_run(a, &op->call, &op->w);
    } while (!op->err && op->more);
    kadmin_wait_destroy(&op->w);
    free(t);
    return op->err;
}

static kfk_err describe_topics(kfk_admin *a, const char *const *names, size_t n,
                               const kadmin_opts *o, kfk_metadata **out)
{
    dtp_op op = {.with_ops = o->flags & KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS};
    if (!(op.md = kmd_new())) return KFK_ERR_NO_MEMORY;
    if (names && n == 0) { /* none named: nothing to ask (an empty list would mean all) */
        *out = op.md;
        return KFK_OK;
    }
    kfk_err err = pages(a, names, n, o, &op);
    if (!err && finish(&op) < 0) err = KFK_ERR_NO_MEMORY;
    for (size_t i = 0; i < op.n; i++)
        free(op.topics[i].t.partitions);
    free(op.topics);
    free(op.next_topic);
    if (err) {
        kfk_metadata_destroy(op.md);
        if (err == KFK_ERR_UNSUPPORTED_VERSION) /* before Kafka 3.8 */
            return kadmin_metadata_call(a, names, n, o->deadline_ns, op.with_ops, out);
        return err;
    }
    *out = op.md;
    return KFK_OK;
}

kfk_err kfk_admin_describe_topics(kfk_admin *admin, const char *const *names, size_t n,
                                  const kfk_admin_options *options, kfk_metadata **out)
{
    static const char fn[] = "kfk_admin_describe_topics";
    if (out) *out = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err =
        kadmin_opts_check(admin, fn, options, KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS, &o);
    if (!err && !out) err = kadmin_invalid(admin, fn, "out is NULL");
    if (!err && !names && n) err = kadmin_invalid(admin, fn, "names is NULL with n > 0");
    for (size_t i = 0; !err && names && i < n; i++)
        if (!names[i] || !*names[i])
            err = kadmin_invalid(admin, fn, "an entry of names is NULL or empty");
    if (!err) err = describe_topics(admin, names, n, &o, out);
    /* Like the other calls on named items: the first topic that failed. */
    for (size_t t = 0; !err && t < kfk_metadata_topic_count(*out); t++)
        if ((err = kfk_metadata_topic_error(*out, t)))
            kclient_error_set(admin->client, "%s: topic \"%.200s\": %s", fn,
                              kfk_metadata_topic_name(*out, t), kfk_err_str(err));
    return err && out && *out ? kclient_error_end(admin->client, err)
                              : kadmin_end(admin, fn, err, o.timeout_ms, NULL);
}
