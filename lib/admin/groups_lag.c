/* A group's lag: its committed offsets (kfk_admin_list_group_offsets)
 * and each partition's end offset (ListOffsets, latest), end - committed.
 *
 * The end offsets come from a minimal latest-offset fetch below: one
 * ListOffsets per partition, routed to its leader by the kcall (which
 * also follows a leader that moved), all at once. It stands alone so it
 * can give way to a shared per-leader ListOffsets of the offsets
 * calls. */
#include <stdlib.h>
#include <string.h>

#include "admin/groups_int.h"
#include "base/err.h"
#include "base/time.h"
#include "proto/gen/list_offsets.h"

/* --- latest offsets, one request per partition ------------------------------------------ */

typedef struct end_call {
    kcall call;
    kagroup_fan *fan;
    ktp *tp; /* end_offset and err filled here */
    kp_list_offsets_request body;
    kp_list_offsets_request_list_offsets_topic topic;
    kp_list_offsets_request_list_offsets_partition part;
} end_call;

static const kp_list_offsets_response_list_offsets_partition_response *
answer_of(const kp_list_offsets_response *r)
{
    return r->n_topics > 0 && r->topics[0].n_partitions > 0 ? &r->topics[0].partitions[0] : NULL;
}

static kfk_err end_check(kcall *call, void *resp)
{
    (void)call;
    const kp_list_offsets_response_list_offsets_partition_response *a = answer_of(resp);
    kfk_err err = a ? (kfk_err)a->error_code : KFK_ERR_MALFORMED;
    return err && kerr_retriable(err) ? err : KFK_OK;
}

static void end_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    end_call *ec = (end_call *)call;
    const kp_list_offsets_response_list_offsets_partition_response *a =
        err ? NULL : answer_of(resp);
    if (!err && !a) err = KFK_ERR_MALFORMED;
    if (!err) err = (kfk_err)a->error_code;
    ec->tp->err = err;
    ec->tp->has_end = !err && a->offset >= 0;
    ec->tp->end_offset = a && !err ? a->offset : -1;
    kagroup_fan_done(ec->fan);
}

/* Metadata for the topics of the n entries of v (sorted), so that the
 * calls can be routed to their leaders: kfk_admin_list_topics gives what
 * it learns to the client's cache. */
static kfk_err learn_leaders(kfk_admin *a, const ktp *v, size_t n, int timeout_ms)
{
    const char **names = calloc(n ? n : 1, sizeof(*names));
    if (!names) return KFK_ERR_NO_MEMORY;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(v[i].topic, v[i - 1].topic) != 0) names[k++] = v[i].topic;
    kfk_metadata *md = NULL;
    kfk_err err =
        k ? kfk_admin_list_topics(a, names, k, &(kfk_admin_options){.timeout_ms = timeout_ms}, &md)
          : KFK_OK;
    kfk_metadata_destroy(md);
    free(names);
    return err;
}

/* Fills end_offset (or err) of the n entries of v: the high watermark, or
 * the last stable offset when read_committed. */
static kfk_err end_offsets(kfk_admin *a, ktp *v, size_t n, bool read_committed, int timeout_ms,
                           int64_t deadline)
{
    end_call *calls = calloc(n ? n : 1, sizeof(*calls));
    kcall **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
    if (!calls || !ptrs) {
        free(calls), free(ptrs);
        return KFK_ERR_NO_MEMORY;
    }
    kfk_err err = learn_leaders(a, v, n, timeout_ms);
    if (err) {
        free(calls), free(ptrs);
        return err;
    }
    kagroup_fan fan;
    for (size_t i = 0; i < n; i++) {
        end_call *ec = &calls[i];
        ec->fan = &fan;
        ec->tp = &v[i];
        kp_list_offsets_request_list_offsets_partition_init(&ec->part);
        ec->part.partition_index = v[i].partition;
        ec->part.timestamp = -1; /* latest */
        kp_list_offsets_request_list_offsets_topic_init(&ec->topic);
        ec->topic.name = kwire_cstr(v[i].topic);
        ec->topic.partitions = &ec->part;
        ec->topic.n_partitions = 1;
        kp_list_offsets_request_init(&ec->body);
        ec->body.replica_id = -1;
        ec->body.isolation_level = read_committed ? 1 : 0;
        ec->body.topics = &ec->topic;
        ec->body.n_topics = 1;
        ec->body.timeout_ms = timeout_ms;
        kcall_init(&ec->call, &kp_list_offsets_client, &ec->body, end_done, NULL);
        ec->call.route = KROUTE_LEADER;
        ec->call.topic = v[i].topic;
        ec->call.partition = v[i].partition;
        ec->call.check = end_check;
        ec->call.deadline_ns = deadline;
        ec->call.min_version = read_committed ? 2 : 1; /* isolation: v2+ */
        ptrs[i] = &ec->call;
    }
    if (n) kagroup_fan_run(a, &fan, ptrs, n);
    free(calls), free(ptrs);
    return KFK_OK;
}

/* --- the call ----------------------------------------------------------------------------- */

kfk_err kfk_admin_group_lag(kfk_admin *admin, const char *group_id,
                            const kfk_admin_options *options, kfk_partition_list **out)
{
    static const char fn[] = "kfk_admin_group_lag";
    if (out) *out = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o;
    kfk_err err = kadmin_opts_check(admin, fn, options,
                                    KFK_ADMIN_READ_COMMITTED | KFK_ADMIN_REQUIRE_STABLE, &o);
    if (!err && !out) err = kadmin_invalid(admin, fn, "out is NULL");
    if (!err && (!group_id || !group_id[0]))
        err = kadmin_invalid(admin, fn, "group_id is NULL or empty");
    if (err) return kclient_error_end(admin->client, err);
    kfk_partition_list *l = NULL;
    kfk_admin_options fetch_opts = {.timeout_ms = o.timeout_ms,
                                    .flags = o.flags & KFK_ADMIN_REQUIRE_STABLE};
    err = kfk_admin_list_group_offsets(admin, group_id, NULL, &fetch_opts, &l);
    if (!l) return err; /* the last error names the group already */
    err = KFK_OK;
    /* The partitions the fetch failed for keep their error and no end. */
    ktplist todo = {0};
    for (int i = 0; i < l->n; i++)
        if (!l->v[i].err && ktplist_add_tp(&todo, &l->v[i]) < 0) err = KFK_ERR_NO_MEMORY;
    int64_t left_ms = (o.deadline_ns - ktime_mono_ns()) / KTIME_NS_PER_MS;
    if (!err)
        err = end_offsets(admin, todo.v, (size_t)todo.n, o.flags & KFK_ADMIN_READ_COMMITTED,
                          (int)(left_ms > 0 ? left_ms : 1), o.deadline_ns);
    for (int i = 0; !err && i < todo.n; i++) {
        ktp *e = &l->v[ktplist_find(l, todo.v[i].topic, todo.v[i].partition)];
        e->err = todo.v[i].err;
        e->has_end = todo.v[i].has_end;
        e->end_offset = todo.v[i].end_offset;
        e->lag = -1;
        if (e->has_end && e->offset >= 0)
            e->lag = e->end_offset > e->offset ? e->end_offset - e->offset : 0;
    }
    ktplist_free(&todo);
    if (err) {
        kfk_partition_list_destroy(l);
        return kadmin_end(admin, fn, err, o.timeout_ms, NULL);
    }
    *out = l;
    for (int i = 0; i < l->n; i++)
        if (l->v[i].err) {
            kclient_error_set(admin->client, "%s: group \"%.200s\": %.200s [%d]: %s", fn, group_id,
                              l->v[i].topic, l->v[i].partition, kfk_err_str(l->v[i].err));
            return kclient_error_end(admin->client, l->v[i].err);
        }
    return kadmin_end(admin, fn, KFK_OK, o.timeout_ms, NULL);
}
