/* Consumer groups: the state and type names, the result accessors, and
 * the machinery the group calls share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin/groups_int.h"

static const char *const type_names[] = {"unknown", "classic", "consumer", "share", "streams"};
static const char *const state_names[] = {
    "Unknown", "PreparingRebalance", "CompletingRebalance", "Stable",  "Dead",
    "Empty",   "Assigning",          "Reconciling",         "NotReady"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *kfk_group_type_name(kfk_group_type type)
{
    return (unsigned)type < COUNT(type_names) ? type_names[type] : type_names[0];
}

const char *kfk_group_state_name(kfk_group_state state)
{
    return (unsigned)state < COUNT(state_names) ? state_names[state] : state_names[0];
}

static int parse(kslice s, const char *const *names, size_t n)
{
    for (size_t i = 1; s.ptr && i < n; i++)
        if (strlen(names[i]) == s.len && strncasecmp(names[i], (const char *)s.ptr, s.len) == 0)
            return (int)i;
    return 0;
}

kfk_group_type kagroup_type_parse(kslice s)
{
    return (kfk_group_type)parse(s, type_names, COUNT(type_names));
}

kfk_group_state kagroup_state_parse(kslice s)
{
    return (kfk_group_state)parse(s, state_names, COUNT(state_names));
}

char *kagroup_strdup(kslice s)
{
    return s.ptr ? strndup((const char *)s.ptr, s.len) : strdup("");
}

void kagroup_head_free(void *detail)
{
    kagroup_head *h = detail;
    free(h->protocol_type);
    free(h);
}

void kagroup_desc_free(void *detail)
{
    kagroup_desc *d = detail;
    for (size_t m = 0; m < d->n_members; m++) {
        kagroup_member *x = &d->members[m];
        free(x->member_id);
        free(x->instance_id);
        free(x->client_id);
        free(x->host);
        ktplist_free(&x->assignment);
        ktplist_free(&x->target);
    }
    free(d->members);
    free(d->protocol);
    free(d->head.protocol_type);
    free(d);
}

/* --- running calls at once ---------------------------------------------------------- */

void kagroup_fan_run(kfk_admin *a, kagroup_fan *f, kcall *const *calls, size_t n)
{
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    f->pending = n;
    int32_t retries = kadmin_retries(a);
    for (size_t i = 0; i < n; i++) {
        calls[i]->no_retry |= retries == 0;
        calls[i]->max_retries = retries;
        kcall_start(a->client, calls[i]);
    }
    /* Each call completes, at its deadline at the latest. */
    pthread_mutex_lock(&f->lock);
    while (f->pending)
        pthread_cond_wait(&f->cond, &f->lock);
    pthread_mutex_unlock(&f->lock);
    pthread_cond_destroy(&f->cond);
    pthread_mutex_destroy(&f->lock);
}

void kagroup_fan_done(kagroup_fan *f)
{
    pthread_mutex_lock(&f->lock);
    if (--f->pending == 0) pthread_cond_signal(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

/* --- arguments and the last error --------------------------------------------------- */

kfk_err kagroup_ids_ok(kfk_admin *a, const char *fn, const char *const *ids, size_t n,
                       kfk_admin_result **result)
{
    if (!result) return kadmin_invalid(a, fn, "result is NULL");
    if (!ids && n) return kadmin_invalid(a, fn, "group_ids is NULL with n > 0");
    for (size_t i = 0; i < n; i++)
        if (!ids[i] || !ids[i][0]) {
            char what[64];
            snprintf(what, sizeof(what), "group_ids[%zu] is %s", i, ids[i] ? "empty" : "NULL");
            return kadmin_invalid(a, fn, what);
        }
    return KFK_OK;
}

kfk_err kagroup_end(kfk_admin *a, const char *fn, kfk_err err, int timeout_ms,
                    const kfk_admin_result *res)
{
    for (size_t i = 0; err && res && i < res->n; i++) {
        const kadmin_entry *e = &res->e[i];
        if (!e->err) continue;
        const char *tail = e->msg ? "; the broker says: " : "";
        const char *msg = e->msg ? e->msg : "";
        if (e->name) {
            kclient_error_set(a->client, "%s: group \"%.200s\": %s%s%.200s", fn, e->name,
                              kfk_err_str(e->err), tail, msg);
        } else {
            const kagroup_head *h = e->detail;
            kclient_error_set(a->client, "%s: broker %d: %s%s%.200s", fn, h ? h->coordinator : -1,
                              kfk_err_str(e->err), tail, msg);
        }
        return kclient_error_end(a->client, err);
    }
    return kadmin_end(a, fn, err, timeout_ms, NULL);
}

/* --- one request about a group's offsets ------------------------------------------ */

/* The runs of sorted list l (one per topic) in *out (the caller frees
 * it); how many, or -1 when out of memory. */
static int runs_of(const ktplist *l, kagroup_run **out)
{
    kagroup_run *r = calloc((size_t)(l->n ? l->n : 1), sizeof(*r));
    if (!(*out = r)) return -1;
    int k = 0;
    for (int i = 0; i < l->n; i++) {
        if (i == 0 || strcmp(l->v[i].topic, l->v[i - 1].topic) != 0)
            r[k++] = (kagroup_run){l->v[i].topic, i, 0};
        r[k - 1].n++;
    }
    return k;
}

int kagroup_split_init(kagroup_split *s, const ktplist *l, size_t topic_size, size_t part_size)
{
    size_t n = (size_t)(l->n ? l->n : 1);
    *s = (kagroup_split){.topics = calloc(n, topic_size), .parts = calloc(n, part_size)};
    if (!s->topics || !s->parts || ktplist_add_all(&s->sorted, l->v, (size_t)l->n) != 0) return -1;
    ktplist_sort(&s->sorted);
    s->n_runs = runs_of(&s->sorted, &s->runs);
    return s->n_runs < 0 ? -1 : 0;
}

void kagroup_split_free(kagroup_split *s)
{
    ktplist_free(&s->sorted);
    free(s->runs), free(s->topics), free(s->parts);
}

/* Entry topic/partition of op->parts gets err (and, for a list of every
 * partition, is added first). */
ktp *kagroup_entry_for(kagroup_offs *op, kslice topic, int32_t partition)
{
    char *name = kagroup_strdup(topic);
    if (!name) return NULL;
    int i = ktplist_find(op->parts, name, partition);
    if (i < 0 && op->all && ktplist_add(op->parts, name, partition) == 0) i = op->parts->n - 1;
    free(name);
    return i >= 0 ? &op->parts->v[i] : NULL;
}

/* The first failed entry's error, else KFK_OK. */
kfk_err kagroup_first_error(const ktplist *l)
{
    for (int i = 0; i < l->n; i++)
        if (l->v[i].err) return l->v[i].err;
    return KFK_OK;
}

void kagroup_set_all(ktplist *l, kfk_err err)
{
    for (int i = 0; i < l->n; i++)
        l->v[i].err = err;
}

/* Runs op->call to group_id's coordinator; op->err gets the outcome. */
void kagroup_offs_run(kfk_admin *a, kagroup_offs *op, const char *group_id, int64_t deadline)
{
    kadmin_wait_init(&op->w);
    op->call.route = KROUTE_COORDINATOR;
    op->call.coord_type = 0;
    op->call.coord_key = group_id;
    op->call.deadline_ns = deadline;
    kadmin_run(a, &op->call, &op->w);
    kadmin_wait_destroy(&op->w);
}

/* Names the first failed entry of l in the last error, else as kadmin_end. */
kfk_err kagroup_parts_end(kfk_admin *a, const char *fn, kfk_err err, int timeout_ms,
                          const char *group, const ktplist *l)
{
    for (int i = 0; err && l && i < l->n; i++) {
        if (!l->v[i].err) continue;
        kclient_error_set(a->client, "%s: group \"%.200s\": %.200s [%d]: %s", fn, group,
                          l->v[i].topic, l->v[i].partition, kfk_err_str(l->v[i].err));
        return kclient_error_end(a->client, err);
    }
    if (err && group && err != KFK_ERR_INVALID_ARG && err != KFK_ERR_TIMED_OUT &&
        err != KFK_ERR_NO_MEMORY) {
        kclient_error_set(a->client, "%s: group \"%.200s\": %s", fn, group, kfk_err_str(err));
        return kclient_error_end(a->client, err);
    }
    return kadmin_end(a, fn, err, timeout_ms, NULL);
}

/* Checks a call's group id and partitions (parts may be NULL when
 * may_be_null); offsets: each entry's offset must be >= 0. */
kfk_err kagroup_offsets_args_ok(kfk_admin *a, const char *fn, const char *group_id,
                                const kfk_partition_list *parts, bool may_be_null, bool offsets)
{
    if (!group_id || !group_id[0]) return kadmin_invalid(a, fn, "group_id is NULL or empty");
    if (!parts) return may_be_null ? KFK_OK : kadmin_invalid(a, fn, "the partition list is NULL");
    kfk_err err = kadmin_parts_ok(a, fn, parts);
    if (err) return err;
    for (int i = 0; offsets && i < parts->n; i++)
        if (parts->v[i].offset < 0) {
            char what[128];
            snprintf(what, sizeof(what), "entry %d has no offset to set (%lld)", i,
                     (long long)parts->v[i].offset);
            return kadmin_invalid(a, fn, what);
        }
    return KFK_OK;
}

/* --- accessors ------------------------------------------------------------------------ */

/* A streams group's description starts with a kagroup_desc, so the
 * accessors below read it too. */
static const kagroup_desc *desc_at(const kfk_admin_result *r, size_t i)
{
    const kagroup_desc *d = kadmin_result_detail(r, i, KADMIN_KIND_GROUP_DESCRIPTIONS);
    return d ? d : kadmin_result_detail(r, i, KADMIN_KIND_STREAMS_GROUP_DESCRIPTIONS);
}

static const kagroup_head *head_at(const kfk_admin_result *r, size_t i)
{
    const kagroup_head *h = kadmin_result_detail(r, i, KADMIN_KIND_GROUPS);
    const kagroup_desc *d = h ? NULL : desc_at(r, i);
    return h ? h : d ? &d->head : NULL;
}

static const kagroup_member *member_at(const kfk_admin_result *r, size_t i, size_t m)
{
    const kagroup_desc *d = desc_at(r, i);
    return d && m < d->n_members ? &d->members[m] : NULL;
}

kfk_group_type kfk_admin_result_group_type(const kfk_admin_result *result, size_t i)
{
    const kagroup_head *h = head_at(result, i);
    return h ? h->type : KFK_GROUP_TYPE_UNKNOWN;
}

kfk_group_state kfk_admin_result_group_state(const kfk_admin_result *result, size_t i)
{
    const kagroup_head *h = head_at(result, i);
    return h ? h->state : KFK_GROUP_STATE_UNKNOWN;
}

const char *kfk_admin_result_group_protocol_type(const kfk_admin_result *result, size_t i)
{
    const kagroup_head *h = head_at(result, i);
    return h ? h->protocol_type : NULL;
}

int32_t kfk_admin_result_group_coordinator(const kfk_admin_result *result, size_t i)
{
    const kagroup_head *h = head_at(result, i);
    return h ? h->coordinator : -1;
}

const char *kfk_admin_result_group_protocol(const kfk_admin_result *result, size_t i)
{
    const kagroup_desc *d = desc_at(result, i);
    return d ? d->protocol : NULL;
}

int32_t kfk_admin_result_group_epoch(const kfk_admin_result *result, size_t i)
{
    const kagroup_desc *d = desc_at(result, i);
    return d ? d->group_epoch : -1;
}

int32_t kfk_admin_result_group_assignment_epoch(const kfk_admin_result *result, size_t i)
{
    const kagroup_desc *d = desc_at(result, i);
    return d ? d->assignment_epoch : -1;
}

int64_t kfk_admin_result_group_authorized_operations(const kfk_admin_result *result, size_t i)
{
    const kagroup_desc *d = desc_at(result, i);
    return d ? d->authorized_operations : -1;
}

size_t kfk_admin_result_group_member_count(const kfk_admin_result *result, size_t i)
{
    const kagroup_desc *d = desc_at(result, i);
    return d ? d->n_members : 0;
}

const char *kfk_admin_result_group_member_id(const kfk_admin_result *result, size_t i, size_t m)
{
    const kagroup_member *x = member_at(result, i, m);
    return x ? x->member_id : NULL;
}

const char *kfk_admin_result_group_member_instance_id(const kfk_admin_result *result, size_t i,
                                                      size_t m)
{
    const kagroup_member *x = member_at(result, i, m);
    return x ? x->instance_id : NULL;
}

const char *kfk_admin_result_group_member_client_id(const kfk_admin_result *result, size_t i,
                                                    size_t m)
{
    const kagroup_member *x = member_at(result, i, m);
    return x ? x->client_id : NULL;
}

const char *kfk_admin_result_group_member_host(const kfk_admin_result *result, size_t i, size_t m)
{
    const kagroup_member *x = member_at(result, i, m);
    return x ? x->host : NULL;
}

const kfk_partition_list *kfk_admin_result_group_member_assignment(const kfk_admin_result *result,
                                                                   size_t i, size_t m)
{
    const kagroup_member *x = member_at(result, i, m);
    return x ? &x->assignment : NULL;
}

const kfk_partition_list *
kfk_admin_result_group_member_target_assignment(const kfk_admin_result *result, size_t i, size_t m)
{
    const kagroup_member *x = member_at(result, i, m);
    return x && x->has_target ? &x->target : NULL;
}

int32_t kfk_admin_result_group_member_epoch(const kfk_admin_result *result, size_t i, size_t m)
{
    const kagroup_member *x = member_at(result, i, m);
    return x ? x->epoch : -1;
}
