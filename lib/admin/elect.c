/* Leader elections: one ElectLeaders request to the controller for the
 * partitions of a list (grouped by topic), or for every partition. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "base/partition_list.h"
#include "base/time.h"
#include "proto/gen/elect_leaders.h"

typedef struct elect_op {
    kfk_partition_list *parts; /* the caller's list, or the one built from the answer */
    bool all;                  /* every partition: parts is built from the answer */
    kfk_err err;               /* the whole request's failure */
    kadmin_wait w;
    kcall call;
    kp_elect_leaders_request body;
} elect_op;

/* Groups the entries of parts by topic into r; -1 when out of memory.
 * The arrays go to *topics and *ids, which the caller frees. */
static int build(const kfk_partition_list *parts, kp_elect_leaders_request *r,
                 kp_elect_leaders_request_topic_partitions **topics, int32_t **ids)
{
    size_t n = (size_t)parts->n;
    kp_elect_leaders_request_topic_partitions *t = calloc(n ? n : 1, sizeof(*t));
    int32_t *p = calloc(n ? n : 1, sizeof(*p));
    *topics = t;
    *ids = p;
    if (!t || !p) return -1;
    int32_t nt = 0;
    bool *done = calloc(n ? n : 1, sizeof(*done));
    if (!done) return -1;
    for (size_t i = 0; i < n; i++) {
        if (done[i]) continue;
        kp_elect_leaders_request_topic_partitions_init(&t[nt]);
        t[nt].topic = kwire_cstr(parts->v[i].topic);
        t[nt].partitions = p;
        for (size_t k = i; k < n; k++) {
            if (done[k] || strcmp(parts->v[k].topic, parts->v[i].topic) != 0) continue;
            done[k] = true;
            *p++ = parts->v[k].partition;
            t[nt].n_partitions++;
        }
        nt++;
    }
    free(done);
    r->topic_partitions = t;
    r->n_topic_partitions = nt;
    return 0;
}

/* Sets the error of topic/partition in op's list (adding the entry when
 * the call is for every partition); -1 when out of memory. */
static int take_one(elect_op *op, kslice topic, int32_t partition, kfk_err err)
{
    char name[256];
    if (topic.len >= sizeof(name)) return 0; /* no topic name is this long */
    memcpy(name, topic.ptr, topic.len);
    name[topic.len] = '\0';
    int i = ktplist_find(op->parts, name, partition);
    if (i < 0 && op->all) {
        if (ktplist_add(op->parts, name, partition)) return -1;
        i = op->parts->n - 1;
    }
    if (i >= 0) op->parts->v[i].err = err;
    return 0;
}

/* On an I/O thread: records the answer, or the request's failure. */
static void elect_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    elect_op *op = call->opaque;
    const kp_elect_leaders_response *r = resp;
    if (!err && r && r->error_code) err = (kfk_err)r->error_code;
    op->err = err;
    for (int32_t t = 0; !err && r && t < r->n_replica_election_results; t++) {
        const kp_elect_leaders_response_replica_election_result *x =
            &r->replica_election_results[t];
        for (int32_t k = 0; !op->err && k < x->n_partition_result; k++)
            if (take_one(op, x->topic, x->partition_result[k].partition_id,
                         (kfk_err)x->partition_result[k].error_code))
                op->err = KFK_ERR_NO_MEMORY;
    }
    kadmin_wait_done(&op->w);
}

static kfk_err run(kfk_admin *a, elect_op *op, kfk_election_type type, const kadmin_opts *o)
{
    kp_elect_leaders_request_topic_partitions *topics = NULL;
    int32_t *ids = NULL;
    kp_elect_leaders_request_init(&op->body);
    op->body.election_type = (int8_t)type;
    op->body.n_topic_partitions = -1; /* null: every partition */
    if (!op->all && build(op->parts, &op->body, &topics, &ids)) {
        free(topics);
        free(ids);
        return KFK_ERR_NO_MEMORY;
    }
    int64_t left_ms = (o->deadline_ns - ktime_mono_ns()) / KTIME_NS_PER_MS;
    op->body.timeout_ms = (int32_t)(left_ms < 1 ? 1 : left_ms > INT32_MAX ? INT32_MAX : left_ms);
    kadmin_wait_init(&op->w);
    kcall_init(&op->call, &kp_elect_leaders_client, &op->body, elect_done, op);
    op->call.route = KROUTE_CONTROLLER;
    op->call.deadline_ns = o->deadline_ns;
    op->call.min_version = type == KFK_ELECTION_PREFERRED ? 0 : 1; /* v0 is preferred only */
    kadmin_run(a, &op->call, &op->w);
    kadmin_wait_destroy(&op->w);
    free(topics);
    free(ids);
    if (op->err == KFK_ERR_NO_MEMORY) return op->err;
    for (int i = 0; op->err && i < op->parts->n; i++)
        op->parts->v[i].err = op->err;
    return KFK_OK;
}

/* Ends the call: the last error names the first entry that failed. */
static kfk_err elect_end(kfk_admin *a, const char *fn, kfk_err err, const kadmin_opts *o,
                         const kfk_partition_list *parts)
{
    for (int i = 0; !err && parts && i < parts->n; i++) {
        const ktp *e = &parts->v[i];
        if (!e->err || e->err == KFK_ERR_ELECTION_NOT_NEEDED) continue;
        kclient_error_set(a->client, "%s: \"%.200s\" partition %d: %s", fn, e->topic,
                          (int)e->partition, kfk_err_str(e->err));
        return kclient_error_end(a->client, e->err);
    }
    return kadmin_end(a, fn, err, o->timeout_ms, NULL);
}

const char *kfk_election_type_name(kfk_election_type type)
{
    switch (type) {
    case KFK_ELECTION_PREFERRED:
        return "PREFERRED";
    case KFK_ELECTION_UNCLEAN:
        return "UNCLEAN";
    default:
        return "UNKNOWN";
    }
}

kfk_err kfk_admin_elect_leaders(kfk_admin *admin, kfk_election_type type, kfk_partition_list *parts,
                                const kfk_admin_options *options, kfk_partition_list **all)
{
    static const char fn[] = "kfk_admin_elect_leaders";
    if (all) *all = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (err) return kclient_error_end(admin->client, err);
    if (type != KFK_ELECTION_PREFERRED && type != KFK_ELECTION_UNCLEAN)
        return kadmin_invalid(admin, fn, "type is not KFK_ELECTION_PREFERRED or _UNCLEAN");
    if (!parts && !all) return kadmin_invalid(admin, fn, "parts and all are both NULL");
    if ((err = kadmin_parts_ok(admin, fn, parts))) return err;
    elect_op op = {.parts = parts, .all = !parts};
    if (op.all && !(op.parts = kfk_partition_list_new(0))) return KFK_ERR_NO_MEMORY;
    for (int i = 0; i < op.parts->n; i++)
        op.parts->v[i].err = KFK_ERR_TIMED_OUT; /* until answered */
    if (op.parts->n || op.all) err = run(admin, &op, type, &o);
    if (err == KFK_OK && op.err && op.all) err = op.err; /* no entries to carry it */
    if (op.all && err) {
        kfk_partition_list_destroy(op.parts);
        op.parts = NULL;
    }
    if (op.all) *all = op.parts;
    return elect_end(admin, fn, err, &o, op.parts);
}
