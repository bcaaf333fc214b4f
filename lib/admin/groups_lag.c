/* A group's lag: its committed offsets (kfk_admin_list_group_offsets)
 * and each partition's end offset (ListOffsets, latest, one request per
 * leader as kfk_admin_list_offsets sends it), end - committed. */
#include <stdlib.h>
#include <string.h>

#include "admin/groups_int.h"
#include "client/leaders.h"

/* --- end offsets ------------------------------------------------------------------------ */

/* Fills end_offset (or err) of the n entries of v: the high watermark, or
 * the last stable offset when read_committed, through the offsets
 * calls' per-leader ListOffsets (a partition that no longer exists fails
 * alone at once). */
static kfk_err end_offsets(kfk_admin *a, ktp *v, size_t n, bool read_committed, int64_t deadline)
{
    ktp *spec = calloc(n ? n : 1, sizeof(*spec));
    if (!spec) return KFK_ERR_NO_MEMORY;
    for (size_t i = 0; i < n; i++)
        spec[i] = (ktp){.topic = v[i].topic,
                        .partition = v[i].partition,
                        .offset = KFK_OFFSET_END,
                        .leader_epoch = -1,
                        .timestamp = -1};
    kfk_err err = kclient_list_offsets(a->client, spec, n, read_committed, deadline);
    for (size_t i = 0; !err && i < n; i++) {
        v[i].err = spec[i].err;
        v[i].has_end = !spec[i].err && spec[i].offset >= 0;
        v[i].end_offset = v[i].has_end ? spec[i].offset : -1;
    }
    free(spec);
    return err;
}

/* --- the call ----------------------------------------------------------------------------- */

kfk_err kfk_admin_group_lag(kfk_admin *admin, const char *group_id,
                            const kfk_admin_options *options, kfk_partition_list **out)
{
    static const char fn[] = "kfk_admin_group_lag";
    if (out) *out = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
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
    if (!err)
        err = end_offsets(admin, todo.v, (size_t)todo.n, o.flags & KFK_ADMIN_READ_COMMITTED,
                          o.deadline_ns);
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
