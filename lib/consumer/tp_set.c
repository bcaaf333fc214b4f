/* Sets of topic-partitions as the consumer protocol lists them: a
 * canonical form (topics and partitions ascending, no repeats) for the
 * metadata, and the difference between what a member owns and what it was
 * just assigned, which drives its rebalance callbacks. */
#include <stdlib.h>

#include "consumer/assignor_int.h"

typedef kp_consumer_protocol_subscription_topic_partition topic_parts;

static int tp_cmp(const void *x, const void *y)
{
    const kc_tp *a = x, *b = y;
    int c = kc_slice_cmp(a->topic, b->topic);
    return c ? c : (a->partition > b->partition) - (a->partition < b->partition);
}

kc_tp *kc_tp_flatten(const topic_parts *in, int32_t n_in, karena *a, int32_t *n)
{
    size_t total = 0;
    for (int32_t i = 0; i < n_in; i++)
        total += in[i].n_partitions > 0 ? (size_t)in[i].n_partitions : 0;
    kc_tp *tps = karena_alloc(a, sizeof(*tps) * total);
    if (!tps) return NULL;
    size_t k = 0;
    for (int32_t i = 0; i < n_in; i++)
        for (int32_t j = 0; j < in[i].n_partitions; j++)
            tps[k++] = (kc_tp){in[i].topic, in[i].partitions[j]};
    *n = (int32_t)k;
    return tps;
}

int32_t kc_tp_sort(kc_tp *tps, int32_t n)
{
    if (n > 1) qsort(tps, (size_t)n, sizeof(*tps), tp_cmp);
    int32_t u = 0;
    for (int32_t i = 0; i < n; i++)
        if (u == 0 || tp_cmp(&tps[u - 1], &tps[i]) != 0) tps[u++] = tps[i];
    return u;
}

int kc_tp_group(const kc_tp *tps, int32_t n, karena *a, topic_parts **out, int32_t *n_out)
{
    int32_t topics = 0;
    int32_t *parts = karena_alloc(a, sizeof(int32_t) * (size_t)n);
    topic_parts *res = karena_alloc(a, sizeof(*res) * (size_t)n);
    if (!parts || !res) return KFK_ERR_NO_MEMORY;
    for (int32_t i = 0; i < n; i++) {
        if (i == 0 || !kwire_eq(tps[i - 1].topic, tps[i].topic)) {
            kp_consumer_protocol_subscription_topic_partition_init(&res[topics]);
            res[topics].topic = tps[i].topic;
            res[topics].partitions = &parts[i];
            topics++;
        }
        parts[i] = tps[i].partition;
        res[topics - 1].n_partitions++;
    }
    *out = res;
    *n_out = topics;
    return 0;
}

/* The assignment's pairs, sorted and distinct; NULL when out of memory. */
static kc_tp *assigned_tps(const kp_consumer_protocol_assignment *m, karena *a, int32_t *n)
{
    size_t total = 0;
    for (int32_t i = 0; i < m->n_assigned_partitions; i++)
        total += m->assigned_partitions[i].n_partitions > 0
                     ? (size_t)m->assigned_partitions[i].n_partitions
                     : 0;
    kc_tp *tps = karena_alloc(a, sizeof(*tps) * total);
    if (!tps) return NULL;
    int32_t k = 0;
    for (int32_t i = 0; i < m->n_assigned_partitions; i++) {
        const kp_consumer_protocol_assignment_topic_partition *tp = &m->assigned_partitions[i];
        for (int32_t j = 0; j < tp->n_partitions; j++)
            tps[k++] = (kc_tp){tp->topic, tp->partitions[j]};
    }
    *n = kc_tp_sort(tps, k);
    return tps;
}

int kc_assignment_diff(const kp_consumer_protocol_assignment *assigned, const topic_parts *owned,
                       int32_t n_owned, karena *a, kc_assignment_change *out)
{
    int32_t n_new = 0, n_old = 0, n_rev = 0, n_add = 0;
    kc_tp *now = assigned_tps(assigned, a, &n_new);
    kc_tp *had = kc_tp_flatten(owned, n_owned, a, &n_old);
    kc_tp *rev = karena_alloc(a, sizeof(kc_tp) * (size_t)n_old);
    kc_tp *add = karena_alloc(a, sizeof(kc_tp) * (size_t)n_new);
    if (!now || !had || !rev || !add) return KFK_ERR_NO_MEMORY;
    n_old = kc_tp_sort(had, n_old);
    /* Merge the two sorted lists; what only one side has is the change. */
    int32_t i = 0, j = 0;
    while (i < n_old || j < n_new) {
        int c = i == n_old ? 1 : j == n_new ? -1 : tp_cmp(&had[i], &now[j]);
        if (c < 0)
            rev[n_rev++] = had[i++];
        else if (c > 0)
            add[n_add++] = now[j++];
        else
            i++, j++;
    }
    int err = kc_tp_group(rev, n_rev, a, &out->revoked, &out->n_revoked);
    return err ? err : kc_tp_group(add, n_add, a, &out->added, &out->n_added);
}
