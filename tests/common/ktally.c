/* Delivery-report tallies for producer tests: see ktally.h. */
#include "ktally.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

void ktally_init(ktally *t, int n)
{
    memset(t, 0, sizeof(*t));
    t->n = n;
    t->times = calloc((size_t)n, sizeof(*t->times));
    t->partition = calloc((size_t)n, sizeof(*t->partition));
    t->offset = calloc((size_t)n, sizeof(*t->offset));
    t->err = calloc((size_t)n, sizeof(*t->err));
    ck_assert(t->times && t->partition && t->offset && t->err);
}

void ktally_free(ktally *t)
{
    free(t->times);
    free(t->partition);
    free(t->offset);
    free(t->err);
}

ktally *ktally_new(int n)
{
    ktally *t = malloc(sizeof(*t));
    ck_assert_ptr_nonnull(t);
    ktally_init(t, n);
    return t;
}

void ktally_destroy(ktally *t)
{
    ktally_free(t);
    free(t);
}

void ktally_on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    ktally *t = opaque;
    int i = (int)(intptr_t)r->opaque - 1;
    ck_assert(i >= 0 && i < t->n);
    atomic_fetch_add(&t->times[i], 1);
    t->partition[i] = r->partition;
    t->offset[i] = r->offset;
    t->err[i] = r->err;
    atomic_fetch_add(&t->reports, 1);
}
