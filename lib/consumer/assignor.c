/* The assignor registry, the JoinGroup metadata, and the group model the
 * assignors share (assignor_int.h). */
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "consumer/assignor_int.h"

static const kc_assignor *const all[] = {
    &kc_assignor_range,
    &kc_assignor_roundrobin,
    &kc_assignor_sticky,
    &kc_assignor_cooperative_sticky,
};

const kc_assignor *kc_assignor_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(all[i]->name, name) == 0) return all[i];
    return NULL;
}

/* Decodes every member's subscription from a; *versions gets each one's
 * version on the wire (-1 when it did not decode: it subscribes to
 * nothing). */
static int decode_members(const kc_join_member *jm, int32_t n, kc_member *members,
                          int16_t *versions, karena *a)
{
    for (int32_t i = 0; i < n; i++) {
        kc_member *m = &members[i];
        m->member_id = jm[i].member_id;
        m->group_instance_id = jm[i].group_instance_id;
        int err = kc_subscription_decode(&m->sub, jm[i].metadata, a, &versions[i]);
        if (err == KFK_ERR_NO_MEMORY) return err;
        if (err) {
            kp_consumer_protocol_subscription_init(&m->sub);
            versions[i] = -1;
        }
    }
    return 0;
}

const kc_assignor *kc_assignor_for_conf(int value)
{
    switch (value) {
    case KCONF_ASSIGNOR_RANGE:
        return &kc_assignor_range;
    case KCONF_ASSIGNOR_ROUNDROBIN:
        return &kc_assignor_roundrobin;
    case KCONF_ASSIGNOR_STICKY:
        return &kc_assignor_sticky;
    case KCONF_ASSIGNOR_COOPERATIVE_STICKY:
        return &kc_assignor_cooperative_sticky;
    default:
        return NULL;
    }
}

int kc_leader_assign(const kc_assignor *as, const kc_join_member *jm, int32_t n_members,
                     const kc_topic *topics, int32_t n_topics, kbuf *out)
{
    if (!as || n_members < 0 || (n_members && (!jm || !out))) return KFK_ERR_INVALID_ARG;
    karena a = KARENA_INIT;
    size_t n = (size_t)n_members;
    kc_member *members = karena_alloc(&a, n * sizeof(*members));
    int16_t *versions = karena_alloc(&a, n * sizeof(*versions));
    kp_consumer_protocol_assignment *res = karena_alloc(&a, n * sizeof(*res));
    int err = members && versions && res ? 0 : KFK_ERR_NO_MEMORY;
    if (!err) err = decode_members(jm, n_members, members, versions, &a);
    if (!err) err = as->assign(members, n_members, topics, n_topics, res, &a);
    for (int32_t i = 0; !err && i < n_members; i++) {
        int16_t v = versions[i] < 0 ? 0 : versions[i];
        err = kc_assignment_encode(&res[i], v > KC_ASSIGNMENT_VERSION ? KC_ASSIGNMENT_VERSION : v,
                                   &out[i]);
    }
    karena_free(&a);
    return err;
}

static int slice_qcmp(const void *x, const void *y)
{
    return kc_slice_cmp(*(const kslice *)x, *(const kslice *)y);
}

int kc_leader_topics(const kc_join_member *jm, int32_t n_members, karena *a, kslice **topics,
                     int32_t *n_topics)
{
    if (n_members < 0 || (n_members && !jm) || !a || !topics || !n_topics)
        return KFK_ERR_INVALID_ARG;
    kc_member *members = karena_alloc(a, sizeof(*members) * (size_t)n_members);
    int16_t *versions = karena_alloc(a, sizeof(*versions) * (size_t)n_members);
    if (!members || !versions) return KFK_ERR_NO_MEMORY;
    int err = decode_members(jm, n_members, members, versions, a);
    if (err) return err;
    size_t total = 0;
    for (int32_t i = 0; i < n_members; i++)
        total += (size_t)(members[i].sub.n_topics > 0 ? members[i].sub.n_topics : 0);
    kslice *all_topics = karena_alloc(a, sizeof(kslice) * total);
    if (!all_topics) return KFK_ERR_NO_MEMORY;
    size_t k = 0, u = 0;
    for (int32_t i = 0; i < n_members; i++)
        for (int32_t j = 0; j < members[i].sub.n_topics; j++)
            all_topics[k++] = members[i].sub.topics[j];
    if (k > 1) qsort(all_topics, k, sizeof(kslice), slice_qcmp);
    for (size_t i = 0; i < k; i++)
        if (u == 0 || kc_slice_cmp(all_topics[u - 1], all_topics[i]) != 0)
            all_topics[u++] = all_topics[i];
    *topics = all_topics;
    *n_topics = (int32_t)u;
    return 0;
}

/* --- the group model ---------------------------------------------------- */

int kc_slice_cmp(kslice x, kslice y)
{
    size_t n = x.len < y.len ? x.len : y.len;
    int c = n ? memcmp(x.ptr, y.ptr, n) : 0;
    if (c) return c;
    return x.len < y.len ? -1 : x.len > y.len;
}

void *kc_group_alloc(kc_group *g, size_t n, size_t size)
{
    if (n && size > SIZE_MAX / n) return NULL;
    void *p = karena_alloc(&g->scratch, n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

/* Java's MemberInfo order: static members first, by group instance id,
 * then dynamic members by member id. */
static int member_cmp(const kc_member *x, const kc_member *y)
{
    int xs = x->group_instance_id.ptr != NULL, ys = y->group_instance_id.ptr != NULL;
    if (xs && ys) {
        int c = kc_slice_cmp(x->group_instance_id, y->group_instance_id);
        if (c) return c;
    } else if (xs != ys) {
        return xs ? -1 : 1;
    }
    return kc_slice_cmp(x->member_id, y->member_id);
}

/* Insertion sort, with the members as context (qsort has none, and a
 * global would make assignors unsafe on two threads); groups are small. */
static void sort_order(kc_group *g)
{
    for (int32_t i = 0; i < g->n_members; i++) {
        int32_t v = i, j = i;
        while (j > 0 && member_cmp(&g->members[g->order[j - 1]], &g->members[v]) > 0) {
            g->order[j] = g->order[j - 1];
            j--;
        }
        g->order[j] = v;
    }
}

/* By name, then most partitions first: a topic listed twice keeps its
 * largest count whatever order qsort leaves equal names in. */
static int topic_qcmp(const void *x, const void *y)
{
    const kc_topic *a = x, *b = y;
    int c = kc_slice_cmp(a->name, b->name);
    return c ? c : (a->partitions < b->partitions) - (a->partitions > b->partitions);
}

/* Binary search of name in the first n of sorted topics; -1 if absent. */
static int32_t find_topic(const kc_topic *t, int32_t n, kslice name)
{
    int32_t lo = 0, hi = n;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = kc_slice_cmp(t[mid].name, name);
        if (c == 0) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The topics that have partitions, sorted and without duplicates, and who
 * subscribes to each (sub[member * n + topic]); *n gets their count. */
static kc_topic *candidate_topics(kc_group *g, const kc_topic *topics, int32_t n_topics, int32_t *n,
                                  uint8_t **sub)
{
    kc_topic *t = kc_group_alloc(g, (size_t)n_topics, sizeof(*t));
    int32_t k = 0;
    if (!t) return NULL;
    for (int32_t i = 0; i < n_topics; i++)
        if (topics[i].partitions > 0) t[k++] = topics[i];
    if (k > 1) qsort(t, (size_t)k, sizeof(*t), topic_qcmp);
    int32_t u = 0;
    for (int32_t i = 0; i < k; i++)
        if (u == 0 || kc_slice_cmp(t[u - 1].name, t[i].name) != 0) t[u++] = t[i];
    *sub = kc_group_alloc(g, (size_t)g->n_members * (size_t)u, 1);
    if (!*sub) return NULL;
    for (int32_t m = 0; m < g->n_members; m++) {
        const kp_consumer_protocol_subscription *s = &g->members[m].sub;
        for (int32_t i = 0; i < s->n_topics; i++) {
            int32_t ti = find_topic(t, u, s->topics[i]);
            if (ti >= 0) (*sub)[(size_t)m * (size_t)u + (size_t)ti] = 1;
        }
    }
    *n = u;
    return t;
}

/* Keeps the candidates someone subscribes to: they are what gets assigned. */
static int keep_subscribed(kc_group *g, const kc_topic *t, int32_t n, const uint8_t *sub)
{
    int32_t k = 0;
    uint8_t *used = kc_group_alloc(g, (size_t)n, 1);
    g->topic = kc_group_alloc(g, (size_t)n, sizeof(*g->topic));
    g->meta = kc_group_alloc(g, (size_t)n, sizeof(*g->meta));
    g->count = kc_group_alloc(g, (size_t)n, sizeof(*g->count));
    g->first = kc_group_alloc(g, (size_t)n, sizeof(*g->first));
    if (!used || !g->topic || !g->meta || !g->count || !g->first) return KFK_ERR_NO_MEMORY;
    for (int32_t m = 0; m < g->n_members; m++)
        for (int32_t i = 0; i < n; i++)
            used[i] |= sub[(size_t)m * (size_t)n + (size_t)i];
    int64_t parts = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!used[i]) continue;
        g->topic[k] = t[i].name;
        g->meta[k] = t[i];
        g->count[k] = t[i].partitions;
        g->first[k] = (int32_t)parts;
        parts += t[i].partitions;
        if (parts > INT32_MAX / 2) return KFK_ERR_INVALID_ARG;
        k++;
    }
    g->n_topics = k;
    g->n_parts = (int32_t)parts;
    g->subscribed = kc_group_alloc(g, (size_t)g->n_members * (size_t)k, 1);
    if (!g->subscribed) return KFK_ERR_NO_MEMORY;
    for (int32_t m = 0; m < g->n_members; m++)
        for (int32_t i = 0, j = 0; i < n; i++)
            if (used[i])
                g->subscribed[(size_t)m * (size_t)k + (size_t)j++] =
                    sub[(size_t)m * (size_t)n + (size_t)i];
    return 0;
}

static int number_partitions(kc_group *g)
{
    g->part_topic = kc_group_alloc(g, (size_t)g->n_parts, sizeof(int32_t));
    g->assigned = kc_group_alloc(g, (size_t)g->n_parts, sizeof(int32_t));
    if (!g->part_topic || !g->assigned) return KFK_ERR_NO_MEMORY;
    for (int32_t t = 0; t < g->n_topics; t++)
        for (int32_t p = 0; p < g->count[t]; p++)
            g->part_topic[g->first[t] + p] = t;
    for (int32_t i = 0; i < g->n_parts; i++)
        g->assigned[i] = -1;
    return 0;
}

/* Member ids name members in SyncGroup: two members with one id would
 * make the assignment ambiguous. Static members sort by instance id, so
 * check over a copy sorted by member id. */
static int check_unique_ids(kc_group *g)
{
    kslice *ids = kc_group_alloc(g, (size_t)g->n_members, sizeof(kslice));
    if (!ids) return KFK_ERR_NO_MEMORY;
    for (int32_t i = 0; i < g->n_members; i++)
        ids[i] = g->members[i].member_id;
    if (g->n_members > 1) qsort(ids, (size_t)g->n_members, sizeof(kslice), slice_qcmp);
    for (int32_t i = 1; i < g->n_members; i++)
        if (kc_slice_cmp(ids[i - 1], ids[i]) == 0) return KFK_ERR_INVALID_ARG;
    return 0;
}

int kc_group_build(kc_group *g, const kc_member *members, int32_t n_members, const kc_topic *topics,
                   int32_t n_topics)
{
    memset(g, 0, sizeof(*g));
    if (n_members < 0 || n_topics < 0 || (n_members && !members) || (n_topics && !topics))
        return KFK_ERR_INVALID_ARG;
    g->members = members;
    g->n_members = n_members;
    g->order = kc_group_alloc(g, (size_t)n_members, sizeof(int32_t));
    if (!g->order) return KFK_ERR_NO_MEMORY;
    sort_order(g);
    int err = check_unique_ids(g);
    if (err) return err;
    int32_t n = 0;
    uint8_t *sub = NULL;
    kc_topic *t = candidate_topics(g, topics, n_topics, &n, &sub);
    if (!t) return KFK_ERR_NO_MEMORY;
    err = keep_subscribed(g, t, n, sub);
    return err ? err : number_partitions(g);
}

void kc_group_free(kc_group *g)
{
    karena_free(&g->scratch);
}

int32_t kc_group_topic(const kc_group *g, kslice name)
{
    int32_t lo = 0, hi = g->n_topics;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = kc_slice_cmp(g->topic[mid], name);
        if (c == 0) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* --- output ------------------------------------------------------------- */

/* Per member while writing the output: the topic last seen, partitions
 * counted (pass 1), and the pool its topics' partition arrays share. */
typedef struct out_cursor {
    int32_t last_topic;
    int32_t n_parts;
    int32_t *pool;
} out_cursor;

/* Sizes every member's arrays: partitions come in index order, so each
 * member's topics come one after another. */
static void output_count(const kc_group *g, kp_consumer_protocol_assignment *out, out_cursor *c)
{
    for (int32_t p = 0; p < g->n_parts; p++) {
        int32_t m = g->assigned[p];
        if (m < 0) continue;
        if (c[m].last_topic != g->part_topic[p]) {
            c[m].last_topic = g->part_topic[p];
            out[m].n_assigned_partitions++;
        }
        c[m].n_parts++;
    }
}

static int output_alloc(const kc_group *g, kp_consumer_protocol_assignment *out, out_cursor *c,
                        karena *a)
{
    for (int32_t m = 0; m < g->n_members; m++) {
        kp_consumer_protocol_assignment *o = &out[m];
        o->assigned_partitions =
            karena_alloc(a, sizeof(*o->assigned_partitions) * (size_t)o->n_assigned_partitions);
        c[m].pool = karena_alloc(a, sizeof(int32_t) * (size_t)c[m].n_parts);
        if (!o->assigned_partitions || !c[m].pool) return KFK_ERR_NO_MEMORY;
        o->n_assigned_partitions = 0;
        c[m].last_topic = -1;
    }
    return 0;
}

static void output_fill(const kc_group *g, kp_consumer_protocol_assignment *out, out_cursor *c)
{
    for (int32_t p = 0; p < g->n_parts; p++) {
        int32_t m = g->assigned[p], t = g->part_topic[p];
        if (m < 0) continue;
        kp_consumer_protocol_assignment *o = &out[m];
        if (c[m].last_topic != t) {
            c[m].last_topic = t;
            kp_consumer_protocol_assignment_topic_partition *tp =
                &o->assigned_partitions[o->n_assigned_partitions++];
            kp_consumer_protocol_assignment_topic_partition_init(tp);
            tp->topic = g->topic[t];
            tp->partitions = c[m].pool;
        }
        kp_consumer_protocol_assignment_topic_partition *tp =
            &o->assigned_partitions[o->n_assigned_partitions - 1];
        tp->partitions[tp->n_partitions++] = p - g->first[t];
        c[m].pool++;
    }
}

int kc_group_output(const kc_group *g, kp_consumer_protocol_assignment *out, karena *a)
{
    out_cursor *c = calloc((size_t)g->n_members + 1, sizeof(*c));
    if (!c) return KFK_ERR_NO_MEMORY;
    for (int32_t m = 0; m < g->n_members; m++) {
        kp_consumer_protocol_assignment_init(&out[m]);
        c[m].last_topic = -1;
    }
    output_count(g, out, c);
    int err = output_alloc(g, out, c, a);
    if (!err) output_fill(g, out, c);
    free(c);
    return err;
}
