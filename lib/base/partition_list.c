/* Partition lists (base/partition_list.h): the library's ktplist and the
 * public kfk_partition_list functions of kfk.h, which are the same type
 * behind an opaque pointer. */
#include "base/partition_list.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* --- the library's lists ------------------------------------------------------------ */

static int grow(ktplist *l, int want)
{
    if (want <= l->cap) return 0;
    if (want > INT_MAX / 2) return -1;
    int cap = l->cap ? l->cap : 8;
    while (cap < want)
        cap *= 2;
    ktp *v = realloc(l->v, (size_t)cap * sizeof(*v));
    if (!v) return -1;
    l->v = v;
    l->cap = cap;
    return 0;
}

int ktplist_add(ktplist *l, const char *topic, int32_t partition)
{
    if (grow(l, l->n + 1)) return -1;
    char *t = strdup(topic);
    if (!t) return -1;
    l->v[l->n++] = (ktp){.topic = t,
                         .partition = partition,
                         .offset = KFK_OFFSET_INVALID,
                         .leader_epoch = -1,
                         .err = KFK_OK,
                         .timestamp = -1};
    return 0;
}

int ktplist_add_tp(ktplist *l, const ktp *in)
{
    ktp src = *in; /* in may point into l->v, which may move */
    const ktp *tp = &src;
    char *md = tp->metadata ? strdup(tp->metadata) : NULL;
    if ((tp->metadata && !md) || ktplist_add(l, tp->topic, tp->partition)) {
        free(md);
        return -1;
    }
    ktp *e = &l->v[l->n - 1];
    e->offset = tp->offset;
    e->metadata = md;
    e->leader_epoch = tp->leader_epoch;
    e->err = tp->err;
    e->timestamp = tp->timestamp;
    e->has_end = tp->has_end;
    e->end_offset = tp->end_offset;
    e->lag = tp->lag;
    return 0;
}

int ktplist_add_all(ktplist *l, const ktp *v, size_t n)
{
    if (n > (size_t)(INT_MAX / 2) || grow(l, l->n + (int)n)) return -1;
    for (size_t i = 0; i < n; i++)
        if (ktplist_add_tp(l, &v[i])) return -1;
    return 0;
}

int ktplist_find(const ktplist *l, const char *topic, int32_t partition)
{
    for (int i = 0; i < l->n; i++)
        if (l->v[i].partition == partition && strcmp(l->v[i].topic, topic) == 0) return i;
    return -1;
}

bool ktplist_has(const ktplist *l, const char *topic, int32_t partition)
{
    return ktplist_find(l, topic, partition) >= 0;
}

int ktplist_set_metadata(ktplist *l, int i, const char *md)
{
    char *copy = md ? strdup(md) : NULL;
    if (md && !copy) return -1;
    free((char *)l->v[i].metadata);
    l->v[i].metadata = copy;
    return 0;
}

static void entry_free(ktp *tp)
{
    free((char *)tp->topic);
    free((char *)tp->metadata);
}

bool ktplist_remove(ktplist *l, const char *topic, int32_t partition)
{
    int i = ktplist_find(l, topic, partition);
    if (i < 0) return false;
    entry_free(&l->v[i]);
    memmove(&l->v[i], &l->v[i + 1], (size_t)(l->n - i - 1) * sizeof(l->v[0]));
    l->n--;
    return true;
}

void ktplist_clear(ktplist *l)
{
    for (int i = 0; i < l->n; i++)
        entry_free(&l->v[i]);
    l->n = 0;
}

void ktplist_free(ktplist *l)
{
    ktplist_clear(l);
    free(l->v);
    *l = (ktplist){0};
}

int ktp_cmp(const void *a, const void *b)
{
    const ktp *x = a, *y = b;
    int r = strcmp(x->topic, y->topic);
    return r ? r : (x->partition > y->partition) - (x->partition < y->partition);
}

void ktplist_sort(ktplist *l)
{
    if (l->n > 1) qsort(l->v, (size_t)l->n, sizeof(l->v[0]), ktp_cmp);
}

static int by_tp(const void *a, const void *b)
{
    return ktp_cmp(*(const ktp *const *)a, *(const ktp *const *)b);
}

kfk_err ktp_check_unique(const ktp *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!v[i].topic || v[i].partition < 0) return KFK_ERR_INVALID_ARG;
    if (n < 2) return KFK_OK;
    const ktp **s = malloc(n * sizeof(*s));
    if (!s) return KFK_ERR_NO_MEMORY;
    for (size_t i = 0; i < n; i++)
        s[i] = &v[i];
    qsort(s, n, sizeof(*s), by_tp);
    kfk_err err = KFK_OK;
    for (size_t i = 1; i < n && !err; i++)
        if (ktp_cmp(s[i - 1], s[i]) == 0) err = KFK_ERR_INVALID_ARG;
    free(s);
    return err;
}

/* --- kfk.h ------------------------------------------------------------------------------ */

/* Entry i of l, or NULL when l is NULL or i out of range. */
static ktp *entry(const kfk_partition_list *l, size_t i)
{
    return l && i < (size_t)l->n ? &l->v[i] : NULL;
}

kfk_partition_list *kfk_partition_list_new(size_t size_hint)
{
    kfk_partition_list *l = calloc(1, sizeof(*l));
    if (!l) return NULL;
    if (size_hint > 1024 * 1024) size_hint = 1024 * 1024; /* a hint, not a promise */
    if (size_hint && grow(l, (int)size_hint)) {
        free(l);
        return NULL;
    }
    return l;
}

void kfk_partition_list_destroy(kfk_partition_list *list)
{
    if (!list) return;
    ktplist_free(list);
    free(list);
}

kfk_partition_list *kfk_partition_list_copy(const kfk_partition_list *list)
{
    if (!list) return NULL;
    kfk_partition_list *l = kfk_partition_list_new((size_t)list->n);
    if (l && ktplist_add_all(l, list->v, (size_t)list->n)) {
        kfk_partition_list_destroy(l);
        return NULL;
    }
    return l;
}

kfk_err kfk_partition_list_add(kfk_partition_list *list, const char *topic, int32_t partition)
{
    if (!list || !topic || !topic[0] || partition < 0) return KFK_ERR_INVALID_ARG;
    return ktplist_add(list, topic, partition) ? KFK_ERR_NO_MEMORY : KFK_OK;
}

size_t kfk_partition_list_count(const kfk_partition_list *list)
{
    return list ? (size_t)list->n : 0;
}

int64_t kfk_partition_list_find(const kfk_partition_list *list, const char *topic,
                                int32_t partition)
{
    return list && topic ? ktplist_find(list, topic, partition) : -1;
}

const char *kfk_partition_list_topic(const kfk_partition_list *list, size_t i)
{
    const ktp *e = entry(list, i);
    return e ? e->topic : NULL;
}

int32_t kfk_partition_list_partition(const kfk_partition_list *list, size_t i)
{
    const ktp *e = entry(list, i);
    return e ? e->partition : -1;
}

int64_t kfk_partition_list_offset(const kfk_partition_list *list, size_t i)
{
    const ktp *e = entry(list, i);
    return e ? e->offset : KFK_OFFSET_INVALID;
}

kfk_err kfk_partition_list_set_offset(kfk_partition_list *list, size_t i, int64_t offset)
{
    ktp *e = entry(list, i);
    if (!e) return KFK_ERR_INVALID_ARG;
    e->offset = offset;
    return KFK_OK;
}

const char *kfk_partition_list_metadata(const kfk_partition_list *list, size_t i)
{
    const ktp *e = entry(list, i);
    return e ? e->metadata : NULL;
}

kfk_err kfk_partition_list_set_metadata(kfk_partition_list *list, size_t i, const char *metadata)
{
    if (!entry(list, i)) return KFK_ERR_INVALID_ARG;
    return ktplist_set_metadata(list, (int)i, metadata) ? KFK_ERR_NO_MEMORY : KFK_OK;
}

int32_t kfk_partition_list_leader_epoch(const kfk_partition_list *list, size_t i)
{
    const ktp *e = entry(list, i);
    return e ? e->leader_epoch : -1;
}

kfk_err kfk_partition_list_set_leader_epoch(kfk_partition_list *list, size_t i, int32_t epoch)
{
    ktp *e = entry(list, i);
    if (!e) return KFK_ERR_INVALID_ARG;
    e->leader_epoch = epoch < 0 ? -1 : epoch;
    return KFK_OK;
}

int64_t kfk_partition_list_end_offset(const kfk_partition_list *list, size_t i)
{
    const ktp *e = entry(list, i);
    return e && e->has_end ? e->end_offset : -1;
}

int64_t kfk_partition_list_lag(const kfk_partition_list *list, size_t i)
{
    const ktp *e = entry(list, i);
    return e && e->has_end ? e->lag : -1;
}

kfk_err kfk_partition_list_error(const kfk_partition_list *list, size_t i)
{
    const ktp *e = entry(list, i);
    return e ? e->err : KFK_ERR_INVALID_ARG;
}

int64_t kfk_partition_list_timestamp(const kfk_partition_list *list, size_t i)
{
    const ktp *e = entry(list, i);
    return e ? e->timestamp : -1;
}

kfk_err kfk_partition_list_set_timestamp(kfk_partition_list *list, size_t i, int64_t timestamp)
{
    ktp *e = entry(list, i);
    if (!e) return KFK_ERR_INVALID_ARG;
    e->timestamp = timestamp < 0 ? -1 : timestamp;
    return KFK_OK;
}
