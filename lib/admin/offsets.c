/* Offsets and records: ListOffsets and DeleteRecords for any set of
 * partitions, one request per leader at a time (client/leaders.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin_int.h"
#include "base/time.h"
#include "client/leaders.h"
#include "proto/gen/delete_records.h"
#include "proto/gen/list_offsets.h"

static const char *spec_name(int64_t spec)
{
    switch (spec) {
    case KFK_OFFSET_MAX_TIMESTAMP:
        return "KFK_OFFSET_MAX_TIMESTAMP";
    case KFK_OFFSET_EARLIEST_LOCAL:
        return "KFK_OFFSET_EARLIEST_LOCAL";
    case KFK_OFFSET_LATEST_TIERED:
        return "KFK_OFFSET_LATEST_TIERED";
    case KFK_OFFSET_END:
        return "KFK_OFFSET_END";
    case KFK_OFFSET_BEGINNING:
        return "KFK_OFFSET_BEGINNING";
    default:
        return "a timestamp";
    }
}

/* Ends fn with err: the last error names the first entry that failed. */
static kfk_err parts_end(kfk_admin *a, const char *fn, kfk_err err, const kadmin_opts *o,
                         const kfk_partition_list *parts, int16_t api_key)
{
    bool per_entry =
        err != KFK_ERR_INVALID_ARG && err != KFK_ERR_NO_MEMORY && err != KFK_ERR_DESTROYED;
    for (int i = 0; per_entry && parts && i < parts->n; i++) {
        const ktp *e = &parts->v[i];
        if (!e->err) continue;
        char why[160] = "";
        if (e->err == KFK_ERR_UNSUPPORTED_VERSION && api_key == KP_LIST_OFFSETS_KEY)
            snprintf(why, sizeof(why),
                     "; %s needs ListOffsets v%d, which its leader does not serve",
                     spec_name(e->offset), klist_offsets_version_for(e->offset, false));
        else if (e->err == KFK_ERR_TIMED_OUT)
            snprintf(why, sizeof(why), "; no answer within timeout_ms (%d ms)", o->timeout_ms);
        kclient_error_set(a->client, "%s: \"%.200s\" partition %d: %s%s", fn, e->topic,
                          (int)e->partition, kfk_err_str(e->err), why);
        return kclient_error_end(a->client, err);
    }
    return kadmin_end(a, fn, err, o->timeout_ms, NULL);
}

/* The first failed entry's error, else KFK_OK. */
static kfk_err parts_status(const kfk_partition_list *parts)
{
    for (int i = 0; i < parts->n; i++)
        if (parts->v[i].err) return parts->v[i].err;
    return KFK_OK;
}

kfk_err kfk_admin_list_offsets(kfk_admin *admin, kfk_partition_list *parts,
                               const kfk_admin_options *options)
{
    static const char fn[] = "kfk_admin_list_offsets";
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, KFK_ADMIN_READ_COMMITTED, &o);
    if (!err && !parts) err = kadmin_invalid(admin, fn, "parts is NULL");
    for (int i = 0; !err && i < parts->n; i++) {
        if (klist_offsets_version_for(parts->v[i].offset, false) >= 0) continue;
        char what[400];
        snprintf(what, sizeof(what),
                 "entry %d (\"%.200s\" partition %d): offset %lld is neither a timestamp nor "
                 "a KFK_OFFSET_* spec",
                 i, parts->v[i].topic, (int)parts->v[i].partition, (long long)parts->v[i].offset);
        err = kadmin_invalid(admin, fn, what);
    }
    if (!err) {
        bool committed = o.flags & KFK_ADMIN_READ_COMMITTED;
        err = kclient_list_offsets(admin->client, parts->v, (size_t)parts->n, committed,
                                   o.deadline_ns);
        if (!err) err = parts_status(parts);
    }
    return parts_end(admin, fn, err, &o, parts, KP_LIST_OFFSETS_KEY);
}

/* --- DeleteRecords ------------------------------------------------------------------- */

typedef kp_delete_records_request_delete_records_topic dr_topic;
typedef kp_delete_records_request_delete_records_partition dr_part;

static void *dr_build(kleader_run *run, kleader_group *g)
{
    karena *a = &g->arena;
    kp_delete_records_request *r = karena_alloc(a, sizeof(*r));
    dr_topic *t = karena_alloc(a, g->n * sizeof(*t));
    dr_part *p = karena_alloc(a, g->n * sizeof(*p));
    if (!r || !t || !p) return NULL;
    kp_delete_records_request_init(r);
    int64_t left_ms = (run->deadline_ns - ktime_mono_ns()) / KTIME_NS_PER_MS;
    r->timeout_ms = left_ms > INT32_MAX ? INT32_MAX : left_ms < 0 ? 0 : (int32_t)left_ms;
    r->topics = t;
    /* The group's entries come sorted by topic. */
    for (size_t k = 0; k < g->n; k++) {
        const ktp *e = &run->v[g->idx[k]];
        if (!r->n_topics || strcmp(run->v[g->idx[k - 1]].topic, e->topic) != 0) {
            dr_topic *nt = &t[r->n_topics++];
            kp_delete_records_request_delete_records_topic_init(nt);
            nt->name = kwire_cstr(e->topic);
            nt->partitions = &p[k];
        }
        kp_delete_records_request_delete_records_partition_init(&p[k]);
        p[k].partition_index = e->partition;
        p[k].offset = e->offset; /* KFK_OFFSET_END is Kafka's -1: the high watermark */
        t[r->n_topics - 1].n_partitions++;
    }
    return r;
}

static void dr_take(kleader_run *run, kleader_group *g, const void *resp, int16_t version)
{
    (void)version;
    const kp_delete_records_response *r = resp;
    for (int32_t i = 0; i < r->n_topics; i++) {
        const kp_delete_records_response_delete_records_topic_result *t = &r->topics[i];
        for (int32_t k = 0; k < t->n_partitions; k++) {
            const kp_delete_records_response_delete_records_partition_result *a = &t->partitions[k];
            for (size_t j = 0; j < g->n; j++) {
                ktp *e = &run->v[g->idx[j]];
                if (e->partition != a->partition_index || e->err != KFK_ERR_MALFORMED ||
                    strlen(e->topic) != t->name.len ||
                    memcmp(e->topic, t->name.ptr, t->name.len) != 0)
                    continue;
                e->err = (kfk_err)a->error_code;
                if (!e->err) e->offset = a->low_watermark;
                break;
            }
        }
    }
}

static const kleader_ops dr_ops = {
    .api = &kp_delete_records_client,
    .build = dr_build,
    .take = dr_take,
};

kfk_err kfk_admin_delete_records(kfk_admin *admin, kfk_partition_list *parts,
                                 const kfk_admin_options *options)
{
    static const char fn[] = "kfk_admin_delete_records";
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !parts) err = kadmin_invalid(admin, fn, "parts is NULL");
    for (int i = 0; !err && i < parts->n; i++) {
        const ktp *e = &parts->v[i];
        if (e->offset >= 0 || e->offset == KFK_OFFSET_END) continue;
        char what[400];
        snprintf(what, sizeof(what),
                 "entry %d (\"%.200s\" partition %d): offset %lld is neither an offset nor "
                 "KFK_OFFSET_END",
                 i, e->topic, (int)e->partition, (long long)e->offset);
        err = kadmin_invalid(admin, fn, what);
    }
    if (!err) err = kadmin_parts_ok(admin, fn, parts);
    if (!err) {
        kleader_run run = {.client = admin->client,
                           .ops = &dr_ops,
                           .v = parts->v,
                           .n = (size_t)parts->n,
                           .deadline_ns = o.deadline_ns};
        err = kleader_run_all(&run);
        if (!err) err = parts_status(parts);
    }
    return parts_end(admin, fn, err, &o, parts, KP_DELETE_RECORDS_KEY);
}
