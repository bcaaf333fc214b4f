/* Partition reassignments: starting or cancelling them
 * (AlterPartitionReassignments) and listing those in progress
 * (ListPartitionReassignments), one request to the controller each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "base/partition_list.h"
#include "base/time.h"
#include "proto/arena.h"
#include "proto/gen/alter_partition_reassignments.h"
#include "proto/gen/list_partition_reassignments.h"

typedef kp_alter_partition_reassignments_request_reassignable_topic ar_topic;
typedef kp_alter_partition_reassignments_request_reassignable_partition ar_part;
typedef kp_list_partition_reassignments_request_list_partition_reassignments_topics lr_topic;

typedef struct reassign_op {
    kfk_partition_list *parts;  /* alter: entries get their errors */
    kfk_reassignment_list *out; /* list */
    kfk_err err;                /* the whole request's failure */
    kadmin_wait w;
    kcall call;
    union {
        kp_alter_partition_reassignments_request alter;
        kp_list_partition_reassignments_request list;
    } body;
} reassign_op;

typedef struct reassignment {
    const char *topic;
    int32_t partition;
    const int32_t *replicas, *adding, *removing;
    size_t n_replicas, n_adding, n_removing;
} reassignment;

struct kfk_reassignment_list {
    karena arena;
    reassignment *v;
    size_t n;
};

static int32_t left_ms(const kadmin_opts *o)
{
    int64_t ms = (o->deadline_ns - ktime_mono_ns()) / KTIME_NS_PER_MS;
    return (int32_t)(ms < 1 ? 1 : ms > INT32_MAX ? INT32_MAX : ms);
}

/* The index in parts of each entry's topic's first entry (the topics'
 * order); the number of topics goes to *nt. NULL when out of memory. */
static size_t *topic_of(const kfk_partition_list *parts, size_t *nt)
{
    size_t n = (size_t)parts->n;
    size_t *first = calloc(n ? n : 1, sizeof(*first));
    if (!first) return NULL;
    *nt = 0;
    for (size_t i = 0; i < n; i++) {
        first[i] = i;
        for (size_t k = 0; k < i; k++)
            if (strcmp(parts->v[k].topic, parts->v[i].topic) == 0) {
                first[i] = first[k];
                break;
            }
        if (first[i] == i) ++*nt;
    }
    return first;
}

static void run(kfk_admin *a, reassign_op *op, const kproto_client *api, kcall_done_fn *done,
                const kadmin_opts *o)
{
    kadmin_wait_init(&op->w);
    kcall_init(&op->call, api, &op->body, done, op);
    op->call.route = KROUTE_CONTROLLER;
    op->call.deadline_ns = o->deadline_ns;
    kadmin_run(a, &op->call, &op->w);
    kadmin_wait_destroy(&op->w);
}

/* --- alter ------------------------------------------------------------------------- */

/* Fills op's request from parts and the replicas; -1 when out of memory.
 * *topics and *ps are the caller's to free. */
static int build_alter(reassign_op *op, const int32_t *const *replicas, const size_t *n_replicas,
                       ar_topic **topics, ar_part **ps)
{
    const kfk_partition_list *parts = op->parts;
    size_t nt = 0, n = (size_t)parts->n;
    size_t *first = topic_of(parts, &nt);
    ar_topic *t = *topics = calloc(nt ? nt : 1, sizeof(*t));
    ar_part *p = *ps = calloc(n ? n : 1, sizeof(*p));
    if (!first || !t || !p) {
        free(first);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (first[i] != i) continue;
        kp_alter_partition_reassignments_request_reassignable_topic_init(&t[k]);
        t[k].name = kwire_cstr(parts->v[i].topic);
        t[k].partitions = p;
        for (size_t j = i; j < n; j++) {
            if (first[j] != i) continue;
            kp_alter_partition_reassignments_request_reassignable_partition_init(p);
            p->partition_index = parts->v[j].partition;
            bool cancel = !replicas || !replicas[j];
            /* The request is only encoded: the replicas stay unchanged. */
            p->replicas = cancel ? NULL : (int32_t *)replicas[j];
            p->n_replicas = cancel ? -1 : (int32_t)n_replicas[j];
            p++;
            t[k].n_partitions++;
        }
        k++;
    }
    free(first);
    op->body.alter.topics = t;
    op->body.alter.n_topics = (int32_t)nt;
    return 0;
}

static void alter_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    reassign_op *op = call->opaque;
    const kp_alter_partition_reassignments_response *r = resp;
    if (!err && r && r->error_code) err = (kfk_err)r->error_code;
    op->err = err;
    for (int32_t t = 0; !err && r && t < r->n_responses; t++) {
        const kp_alter_partition_reassignments_response_reassignable_topic_response *x =
            &r->responses[t];
        char name[256];
        if (x->name.len >= sizeof(name)) continue; /* no topic name is this long */
        memcpy(name, x->name.ptr, x->name.len);
        name[x->name.len] = '\0';
        for (int32_t k = 0; k < x->n_partitions; k++) {
            int i = ktplist_find(op->parts, name, x->partitions[k].partition_index);
            if (i >= 0) op->parts->v[i].err = (kfk_err)x->partitions[k].error_code;
        }
    }
    kadmin_wait_done(&op->w);
}

/* Ends fn: the last error names the first entry that failed. */
static kfk_err parts_end(kfk_admin *a, const char *fn, kfk_err err, const kadmin_opts *o,
                         const kfk_partition_list *parts)
{
    for (int i = 0; !err && i < parts->n; i++) {
        const ktp *e = &parts->v[i];
        if (!e->err) continue;
        kclient_error_set(a->client, "%s: \"%.200s\" partition %d: %s", fn, e->topic,
                          (int)e->partition, kfk_err_str(e->err));
        return kclient_error_end(a->client, e->err);
    }
    return kadmin_end(a, fn, err, o->timeout_ms, NULL);
}

kfk_err kfk_admin_alter_partition_reassignments(kfk_admin *admin, kfk_partition_list *parts,
                                                const int32_t *const *replicas,
                                                const size_t *n_replicas,
                                                const kfk_admin_options *options)
{
    static const char fn[] = "kfk_admin_alter_partition_reassignments";
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (err) return kclient_error_end(admin->client, err);
    if (!parts) return kadmin_invalid(admin, fn, "parts is NULL");
    if (replicas && !n_replicas) return kadmin_invalid(admin, fn, "n_replicas is NULL");
    if ((err = kadmin_parts_ok(admin, fn, parts))) return err;
    for (int i = 0; replicas && i < parts->n; i++)
        if (replicas[i] && (n_replicas[i] == 0 || n_replicas[i] > INT16_MAX)) {
            char what[80];
            snprintf(what, sizeof(what), "n_replicas[%d] is 0 or above 32767", i);
            return kadmin_invalid(admin, fn, what);
        }
    for (int i = 0; i < parts->n; i++)
        parts->v[i].err = KFK_ERR_TIMED_OUT; /* until answered */
    if (!parts->n) return kadmin_end(admin, fn, KFK_OK, o.timeout_ms, NULL);
    reassign_op op = {.parts = parts};
    kp_alter_partition_reassignments_request_init(&op.body.alter);
    op.body.alter.timeout_ms = left_ms(&o);
    ar_topic *topics = NULL;
    ar_part *ps = NULL;
    if (build_alter(&op, replicas, n_replicas, &topics, &ps)) {
        err = KFK_ERR_NO_MEMORY;
    } else {
        run(admin, &op, &kp_alter_partition_reassignments_client, alter_done, &o);
        for (int i = 0; op.err && i < parts->n; i++)
            parts->v[i].err = op.err;
    }
    free(topics);
    free(ps);
    return parts_end(admin, fn, err, &o, parts);
}

/* --- list -------------------------------------------------------------------------- */

static const int32_t *copy_ids(karena *a, const int32_t *v, int32_t n, size_t *out_n, bool *oom)
{
    size_t count = n > 0 ? (size_t)n : 0;
    int32_t *c = karena_alloc(a, count * sizeof(*c));
    if (!c) {
        *oom = true;
        return NULL;
    }
    if (count) memcpy(c, v, count * sizeof(*c));
    *out_n = count;
    return c;
}

static kfk_err take_list(kfk_reassignment_list *l,
                         const kp_list_partition_reassignments_response *r)
{
    size_t n = 0;
    for (int32_t t = 0; t < r->n_topics; t++)
        n += r->topics[t].n_partitions > 0 ? (size_t)r->topics[t].n_partitions : 0;
    l->v = karena_alloc(&l->arena, n * sizeof(*l->v));
    if (!l->v) return KFK_ERR_NO_MEMORY;
    bool oom = false;
    for (int32_t t = 0; t < r->n_topics; t++) {
        const kp_list_partition_reassignments_response_ongoing_topic_reassignment *x =
            &r->topics[t];
        char *name = karena_alloc(&l->arena, x->name.len + 1);
        if (!name) return KFK_ERR_NO_MEMORY;
        memcpy(name, x->name.ptr, x->name.len);
        name[x->name.len] = '\0';
        for (int32_t k = 0; k < x->n_partitions; k++) {
            const kp_list_partition_reassignments_response_ongoing_partition_reassignment *p =
                &x->partitions[k];
            reassignment *e = &l->v[l->n++];
            memset(e, 0, sizeof(*e));
            e->topic = name;
            e->partition = p->partition_index;
            e->replicas = copy_ids(&l->arena, p->replicas, p->n_replicas, &e->n_replicas, &oom);
            e->adding =
                copy_ids(&l->arena, p->adding_replicas, p->n_adding_replicas, &e->n_adding, &oom);
            e->removing = copy_ids(&l->arena, p->removing_replicas, p->n_removing_replicas,
                                   &e->n_removing, &oom);
        }
    }
    return oom ? KFK_ERR_NO_MEMORY : KFK_OK;
}

static void list_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    reassign_op *op = call->opaque;
    const kp_list_partition_reassignments_response *r = resp;
    if (!err && r && r->error_code) err = (kfk_err)r->error_code;
    if (!err && r) err = take_list(op->out, r);
    op->err = err;
    kadmin_wait_done(&op->w);
}

/* Fills op's request for the partitions of parts; -1 when out of memory. */
static int build_list(reassign_op *op, const kfk_partition_list *parts, lr_topic **topics,
                      int32_t **ids)
{
    size_t nt = 0, n = (size_t)parts->n;
    size_t *first = topic_of(parts, &nt);
    lr_topic *t = *topics = calloc(nt ? nt : 1, sizeof(*t));
    int32_t *p = *ids = calloc(n ? n : 1, sizeof(*p));
    if (!first || !t || !p) {
        free(first);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (first[i] != i) continue;
        kp_list_partition_reassignments_request_list_partition_reassignments_topics_init(&t[k]);
        t[k].name = kwire_cstr(parts->v[i].topic);
        t[k].partition_indexes = p;
        for (size_t j = i; j < n; j++)
            if (first[j] == i) {
                *p++ = parts->v[j].partition;
                t[k].n_partition_indexes++;
            }
        k++;
    }
    free(first);
    op->body.list.topics = t;
    op->body.list.n_topics = (int32_t)nt;
    return 0;
}

kfk_err kfk_admin_list_partition_reassignments(kfk_admin *admin, const kfk_partition_list *parts,
                                               const kfk_admin_options *options,
                                               kfk_reassignment_list **out)
{
    static const char fn[] = "kfk_admin_list_partition_reassignments";
    if (out) *out = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (err) return kclient_error_end(admin->client, err);
    if (!out) return kadmin_invalid(admin, fn, "out is NULL");
    if ((err = kadmin_parts_ok(admin, fn, parts))) return err;
    reassign_op op = {.out = calloc(1, sizeof(kfk_reassignment_list))};
    if (!op.out) return kclient_error_end(admin->client, KFK_ERR_NO_MEMORY);
    kp_list_partition_reassignments_request_init(&op.body.list);
    op.body.list.timeout_ms = left_ms(&o);
    op.body.list.n_topics = -1; /* null: every partition */
    lr_topic *topics = NULL;
    int32_t *ids = NULL;
    if (parts && build_list(&op, parts, &topics, &ids)) {
        err = KFK_ERR_NO_MEMORY;
    } else {
        run(admin, &op, &kp_list_partition_reassignments_client, list_done, &o);
        err = op.err;
    }
    free(topics);
    free(ids);
    if (err)
        kfk_reassignment_list_destroy(op.out);
    else
        *out = op.out;
    return kadmin_end(admin, fn, err, o.timeout_ms, NULL);
}

size_t kfk_reassignment_list_count(const kfk_reassignment_list *l)
{
    return l ? l->n : 0;
}

static const reassignment *at(const kfk_reassignment_list *l, size_t i)
{
    return l && i < l->n ? &l->v[i] : NULL;
}

const char *kfk_reassignment_list_topic(const kfk_reassignment_list *l, size_t i)
{
    const reassignment *e = at(l, i);
    return e ? e->topic : NULL;
}

int32_t kfk_reassignment_list_partition(const kfk_reassignment_list *l, size_t i)
{
    const reassignment *e = at(l, i);
    return e ? e->partition : -1;
}

const int32_t *kfk_reassignment_list_replicas(const kfk_reassignment_list *l, size_t i, size_t *n)
{
    const reassignment *e = at(l, i);
    if (n) *n = e ? e->n_replicas : 0;
    return e ? e->replicas : NULL;
}

const int32_t *kfk_reassignment_list_adding(const kfk_reassignment_list *l, size_t i, size_t *n)
{
    const reassignment *e = at(l, i);
    if (n) *n = e ? e->n_adding : 0;
    return e ? e->adding : NULL;
}

const int32_t *kfk_reassignment_list_removing(const kfk_reassignment_list *l, size_t i, size_t *n)
{
    const reassignment *e = at(l, i);
    if (n) *n = e ? e->n_removing : 0;
    return e ? e->removing : NULL;
}

void kfk_reassignment_list_destroy(kfk_reassignment_list *l)
{
    if (!l) return;
    karena_free(&l->arena);
    free(l);
}
