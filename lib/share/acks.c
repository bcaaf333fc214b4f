/* Acknowledgements: the per-partition lists the application's calls
 * fill, their batches on the wire (runs of consecutive offsets, one type
 * for the run when all agree, else one per offset, as KIP-932 allows),
 * and the outcomes the acknowledgement callback reports. */
#include <stdlib.h>
#include <string.h>

#include "share/share_int.h"

int kshare_acks_add(kshare_acks *a, int64_t offset, int8_t type)
{
    if (a->n == a->cap) {
        int cap = a->cap ? 2 * a->cap : 16;
        kshare_ack *v = realloc(a->v, (size_t)cap * sizeof(*v));
        if (!v) return -1;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = (kshare_ack){offset, type};
    if (type == KFK_SHARE_ACK_RENEW) a->renews++;
    return 0;
}

int kshare_acks_set(kshare_acks *a, int64_t offset, int8_t type)
{
    for (int i = 0; a->renews && i < a->n; i++)
        if (a->v[i].offset == offset && a->v[i].type == KFK_SHARE_ACK_RENEW) {
            a->renews--;
            a->v[i] = a->v[--a->n];
            break;
        }
    return kshare_acks_add(a, offset, type);
}

static int ack_cmp(const void *x, const void *y)
{
    const kshare_ack *a = x, *b = y;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

void kshare_acks_sort(kshare_acks *a)
{
    /* Polls hand a partition's records out in offset order, so the list
     * is nearly always sorted already: checking is linear, while qsort
     * on a fetch's worth (thousands) was the poll thread's largest cost. */
    int i = 1;
    while (i < a->n && a->v[i].offset >= a->v[i - 1].offset)
        i++;
    if (i < a->n) qsort(a->v, (size_t)a->n, sizeof(*a->v), ack_cmp);
}

void kshare_acks_free(kshare_acks *a)
{
    free(a->v);
    *a = (kshare_acks){0};
}

/* The end (exclusive) of the run of consecutive offsets starting at i. */
static int run_end(const kshare_acks *a, int i)
{
    int j = i + 1;
    while (j < a->n && a->v[j].offset == a->v[j - 1].offset + 1)
        j++;
    return j;
}

kp_share_fetch_request_acknowledgement_batch *kshare_acks_batches(const kshare_acks *a,
                                                                  karena *arena, int32_t *n)
{
    *n = 0;
    int runs = 0;
    for (int i = 0; i < a->n; i = run_end(a, i))
        runs++;
    if (!runs) return NULL;
    kp_share_fetch_request_acknowledgement_batch *v =
        karena_alloc(arena, (size_t)runs * sizeof(*v));
    if (!v) return NULL;
    for (int i = 0, k = 0; i < a->n; i = run_end(a, i), k++) {
        int j = run_end(a, i);
        bool same = true;
        for (int x = i + 1; x < j; x++)
            same = same && a->v[x].type == a->v[i].type;
        int32_t nt = same ? 1 : j - i;
        int8_t *types = karena_alloc(arena, (size_t)nt);
        if (!types) return NULL;
        for (int x = 0; x < nt; x++)
            types[x] = a->v[i + x].type;
        v[k] = (kp_share_fetch_request_acknowledgement_batch){
            .first_offset = a->v[i].offset,
            .last_offset = a->v[j - 1].offset,
            .acknowledge_types = types,
            .n_acknowledge_types = nt,
        };
    }
    *n = runs;
    return v;
}

/* --- outcomes ------------------------------------------------------------------ */

void kshare_done_queue(kfk_share_consumer *sc, kshare_part *p, kshare_acks *a, kfk_err err)
{
    /* GAP acknowledgements are kfk's own bookkeeping: not reported. Kept
     * without a callback too, for commit_sync's answer. */
    int n = 0;
    for (int i = 0; i < a->n; i++)
        if (a->v[i].type != KSHARE_ACK_GAP) n++;
    if (!n) {
        kshare_acks_free(a);
        return;
    }
    kshare_done *d = calloc(1, sizeof(*d));
    int64_t *offsets = d ? malloc((size_t)n * sizeof(*offsets)) : NULL;
    if (!offsets) {
        free(d);
        kshare_acks_free(a);
        klog(kclient_log(sc->client), KFK_LOG_ERR, "share",
             "%s: out of memory reporting acknowledgements", sc->group_id);
        return;
    }
    size_t k = 0;
    for (int i = 0; i < a->n; i++)
        if (a->v[i].type != KSHARE_ACK_GAP) offsets[k++] = a->v[i].offset;
    kshare_acks_free(a);
    *d = (kshare_done){.part = p, .err = err, .offsets = offsets, .n = k};
    if (sc->done_tail)
        sc->done_tail->next = d;
    else
        sc->done_head = d;
    sc->done_tail = d;
    kwakefd_signal(&sc->wake);
    pthread_cond_broadcast(&sc->cond);
}

kfk_err kshare_done_serve(kfk_share_consumer *sc)
{
    kfk_err first = KFK_OK;
    while (sc->done_head) {
        kshare_done *d = sc->done_head;
        sc->done_head = d->next;
        if (!sc->done_head) sc->done_tail = NULL;
        if (!first && d->err) first = d->err;
        if (sc->ack_cb) {
            pthread_mutex_unlock(&sc->lock);
            sc->ack_cb(sc->ack_opaque, sc, d->part->cp.topic, d->part->cp.partition, d->offsets,
                       d->n, d->err);
            pthread_mutex_lock(&sc->lock);
        }
        free(d->offsets);
        free(d);
    }
    return first;
}
