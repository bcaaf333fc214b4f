/* A group's committed offsets: reading them (OffsetFetch), setting them
 * (OffsetCommit as a member of no generation, as Java's admin does) and
 * deleting them (OffsetDelete), each one request to the group's
 * coordinator. Topics go by name: OffsetFetch v1-7 and OffsetCommit v2-9
 * (v8+ batches groups and v10 names topics by id, which adds nothing for
 * one group). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/groups_int.h"
#include "base/err.h"
#include "proto/gen/offset_commit.h"
#include "proto/gen/offset_delete.h"
#include "proto/gen/offset_fetch.h"

/* --- OffsetFetch ------------------------------------------------------------------------ */

static kfk_err fetch_check(kcall *call, void *resp)
{
    (void)call;
    const kp_offset_fetch_response *r = resp;
    if (r->error_code) return r->error_code;
    for (int i = 0; i < r->n_topics; i++)
        for (int j = 0; j < r->topics[i].n_partitions; j++) {
            kfk_err e = r->topics[i].partitions[j].error_code;
            if (e && kerr_retriable(e)) return e; /* UNSTABLE_OFFSET_COMMIT too */
        }
    return KFK_OK;
}

static void fetch_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kagroup_offs *op = call->opaque;
    const kp_offset_fetch_response *r = resp;
    if (!err) err = r->error_code;
    for (int t = 0; !err && t < r->n_topics; t++)
        for (int p = 0; !err && p < r->topics[t].n_partitions; p++) {
            const kp_offset_fetch_response_partition *x = &r->topics[t].partitions[p];
            ktp *e = kagroup_entry_for(op, r->topics[t].name, x->partition_index);
            if (!e) {
                if (op->all) err = KFK_ERR_NO_MEMORY;
                continue;
            }
            e->err = (kfk_err)x->error_code;
            e->offset = x->committed_offset < 0 ? KFK_OFFSET_INVALID : x->committed_offset;
            e->leader_epoch = x->committed_leader_epoch;
            char *md = x->metadata.ptr ? kagroup_strdup(x->metadata) : NULL;
            if ((x->metadata.ptr && !md) ||
                ktplist_set_metadata(op->parts, (int)(e - op->parts->v), md) < 0)
                err = KFK_ERR_NO_MEMORY;
            free(md);
        }
    op->err = err;
    kadmin_wait_done(&op->w);
}

static kfk_err fetch(kfk_admin *a, const char *group_id, ktplist *parts, bool all,
                     const kadmin_opts *o)
{
    kagroup_split s;
    kagroup_offs op = {.parts = parts, .all = all};
    if (kagroup_split_init(&s, parts, sizeof(kp_offset_fetch_request_topic), sizeof(int32_t)) ==
        0) {
        kp_offset_fetch_request_topic *topics = s.topics;
        int32_t *idx = s.parts;
        kp_offset_fetch_request body;
        kp_offset_fetch_request_init(&body);
        body.group_id = kwire_cstr(group_id);
        body.require_stable = o->flags & KFK_ADMIN_REQUIRE_STABLE;
        body.topics = all ? NULL : topics;
        body.n_topics = all ? -1 : s.n_runs;
        for (int r = 0; r < s.n_runs; r++) {
            kp_offset_fetch_request_topic_init(&topics[r]);
            topics[r].name = kwire_cstr(s.runs[r].topic);
            topics[r].partition_indexes = &idx[s.runs[r].start];
            topics[r].n_partition_indexes = s.runs[r].n;
            for (int i = s.runs[r].start; i < s.runs[r].start + s.runs[r].n; i++)
                idx[i] = s.sorted.v[i].partition;
        }
        kcall_init(&op.call, &kp_offset_fetch_client, &body, fetch_done, &op);
        op.call.check = fetch_check;
        /* every partition: v2+; stable offsets (KIP-447): v7+ */
        op.call.min_version = body.require_stable ? 7 : all ? 2 : 1;
        op.call.max_version = 7;
        kagroup_offs_run(a, &op, group_id, o->deadline_ns);
    } else {
        op.err = KFK_ERR_NO_MEMORY;
    }
    kagroup_split_free(&s);
    if (!op.err && all) ktplist_sort(parts);
    return op.err;
}

/* --- OffsetCommit ----------------------------------------------------------------------- */

static void commit_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kagroup_offs *op = call->opaque;
    const kp_offset_commit_response *r = resp;
    for (int t = 0; !err && t < r->n_topics; t++)
        for (int p = 0; p < r->topics[t].n_partitions; p++) {
            ktp *e = kagroup_entry_for(op, r->topics[t].name,
                                       r->topics[t].partitions[p].partition_index);
            if (e) e->err = (kfk_err)r->topics[t].partitions[p].error_code;
        }
    op->err = err;
    kadmin_wait_done(&op->w);
}

static kfk_err commit_check(kcall *call, void *resp)
{
    (void)call;
    const kp_offset_commit_response *r = resp;
    for (int i = 0; i < r->n_topics; i++)
        for (int j = 0; j < r->topics[i].n_partitions; j++) {
            kfk_err e = r->topics[i].partitions[j].error_code;
            if (kcoordinator_error(e)) return e;
        }
    return KFK_OK;
}

static kfk_err commit(kfk_admin *a, const char *group_id, ktplist *parts, const kadmin_opts *o)
{
    kagroup_split s;
    kagroup_offs op = {.parts = parts};
    if (kagroup_split_init(&s, parts, sizeof(kp_offset_commit_request_topic),
                           sizeof(kp_offset_commit_request_partition)) == 0) {
        kp_offset_commit_request_topic *topics = s.topics;
        kp_offset_commit_request_partition *ps = s.parts;
        kp_offset_commit_request body;
        kp_offset_commit_request_init(&body);
        body.group_id = kwire_cstr(group_id);
        body.generation_id_or_member_epoch = -1; /* no member: the group must be empty */
        body.member_id = KWIRE_EMPTY;
        body.topics = topics;
        body.n_topics = s.n_runs;
        for (int r = 0; r < s.n_runs; r++) {
            kp_offset_commit_request_topic_init(&topics[r]);
            topics[r].name = kwire_cstr(s.runs[r].topic);
            topics[r].partitions = &ps[s.runs[r].start];
            topics[r].n_partitions = s.runs[r].n;
            for (int i = s.runs[r].start; i < s.runs[r].start + s.runs[r].n; i++) {
                const ktp *e = &s.sorted.v[i];
                kp_offset_commit_request_partition_init(&ps[i]);
                ps[i].partition_index = e->partition;
                ps[i].committed_offset = e->offset;
                ps[i].committed_leader_epoch = e->leader_epoch;
                ps[i].committed_metadata = e->metadata ? kwire_cstr(e->metadata) : KWIRE_EMPTY;
            }
        }
        kcall_init(&op.call, &kp_offset_commit_client, &body, commit_done, &op);
        op.call.check = commit_check;
        op.call.min_version = 2;
        op.call.max_version = 9;
        kagroup_offs_run(a, &op, group_id, o->deadline_ns);
    } else {
        op.err = KFK_ERR_NO_MEMORY;
    }
    kagroup_split_free(&s);
    return op.err;
}

/* --- OffsetDelete ----------------------------------------------------------------------- */

static kfk_err delete_check(kcall *call, void *resp)
{
    (void)call;
    kfk_err err = ((const kp_offset_delete_response *)resp)->error_code;
    return kcoordinator_error(err) ? err : KFK_OK;
}

static void delete_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    kagroup_offs *op = call->opaque;
    const kp_offset_delete_response *r = resp;
    if (!err) err = r->error_code;
    for (int t = 0; !err && t < r->n_topics; t++)
        for (int p = 0; p < r->topics[t].n_partitions; p++) {
            ktp *e = kagroup_entry_for(op, r->topics[t].name,
                                       r->topics[t].partitions[p].partition_index);
            if (e) e->err = (kfk_err)r->topics[t].partitions[p].error_code;
        }
    op->err = err;
    kadmin_wait_done(&op->w);
}

static kfk_err delete_offsets(kfk_admin *a, const char *group_id, ktplist *parts,
                              const kadmin_opts *o)
{
    kagroup_split s;
    kagroup_offs op = {.parts = parts};
    if (kagroup_split_init(&s, parts, sizeof(kp_offset_delete_request_topic),
                           sizeof(kp_offset_delete_request_partition)) == 0) {
        kp_offset_delete_request_topic *topics = s.topics;
        kp_offset_delete_request_partition *ps = s.parts;
        kp_offset_delete_request body;
        kp_offset_delete_request_init(&body);
        body.group_id = kwire_cstr(group_id);
        body.topics = topics;
        body.n_topics = s.n_runs;
        for (int r = 0; r < s.n_runs; r++) {
            kp_offset_delete_request_topic_init(&topics[r]);
            topics[r].name = kwire_cstr(s.runs[r].topic);
            topics[r].partitions = &ps[s.runs[r].start];
            topics[r].n_partitions = s.runs[r].n;
            for (int i = s.runs[r].start; i < s.runs[r].start + s.runs[r].n; i++)
                ps[i].partition_index = s.sorted.v[i].partition;
        }
        kcall_init(&op.call, &kp_offset_delete_client, &body, delete_done, &op);
        op.call.check = delete_check;
        kagroup_offs_run(a, &op, group_id, o->deadline_ns);
    } else {
        op.err = KFK_ERR_NO_MEMORY;
    }
    kagroup_split_free(&s);
    return op.err;
}

/* --- the public calls --------------------------------------------------------------------- */

kfk_err kfk_admin_list_group_offsets(kfk_admin *admin, const char *group_id,
                                     const kfk_partition_list *parts,
                                     const kfk_admin_options *options, kfk_partition_list **out)
{
    static const char fn[] = "kfk_admin_list_group_offsets";
    if (out) *out = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, KFK_ADMIN_REQUIRE_STABLE, &o);
    if (!err && !out) err = kadmin_invalid(admin, fn, "out is NULL");
    if (!err) err = kagroup_offsets_args_ok(admin, fn, group_id, parts, true, false);
    if (err) return kclient_error_end(admin->client, err);
    ktplist *l = parts ? kfk_partition_list_copy(parts) : kfk_partition_list_new(0);
    if (!l) return kadmin_end(admin, fn, KFK_ERR_NO_MEMORY, o.timeout_ms, NULL);
    for (int i = 0; i < l->n; i++) {
        l->v[i].offset = KFK_OFFSET_INVALID;
        l->v[i].leader_epoch = -1;
        l->v[i].err = KFK_OK;
        ktplist_set_metadata(l, i, NULL);
    }
    err = fetch(admin, group_id, l, parts == NULL, &o);
    if (err) {
        kfk_partition_list_destroy(l);
        return kagroup_parts_end(admin, fn, err, o.timeout_ms, group_id, NULL);
    }
    *out = l;
    return kagroup_parts_end(admin, fn, kagroup_first_error(l), o.timeout_ms, group_id, l);
}

kfk_err kfk_admin_alter_group_offsets(kfk_admin *admin, const char *group_id,
                                      kfk_partition_list *offsets, const kfk_admin_options *options)
{
    static const char fn[] = "kfk_admin_alter_group_offsets";
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err) err = kagroup_offsets_args_ok(admin, fn, group_id, offsets, false, true);
    if (err) return kclient_error_end(admin->client, err);
    kagroup_set_all(offsets, KFK_ERR_TIMED_OUT); /* until answered */
    err = commit(admin, group_id, offsets, &o);
    if (err) kagroup_set_all(offsets, err);
    return kagroup_parts_end(admin, fn, err ? err : kagroup_first_error(offsets), o.timeout_ms,
                             group_id, offsets);
}

kfk_err kfk_admin_delete_group_offsets(kfk_admin *admin, const char *group_id,
                                       kfk_partition_list *parts, const kfk_admin_options *options)
{
    static const char fn[] = "kfk_admin_delete_group_offsets";
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err) err = kagroup_offsets_args_ok(admin, fn, group_id, parts, false, false);
    if (err) return kclient_error_end(admin->client, err);
    kagroup_set_all(parts, KFK_ERR_TIMED_OUT);
    err = delete_offsets(admin, group_id, parts, &o);
    if (err) kagroup_set_all(parts, err);
    return kagroup_parts_end(admin, fn, err ? err : kagroup_first_error(parts), o.timeout_ms,
                             group_id, parts);
}
