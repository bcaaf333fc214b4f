#include "net/timer.h"

#include <stdlib.h>

static void place(ktimer_heap *h, size_t i, ktimer *t)
{
    h->v[i] = t;
    t->heap_pos = i + 1;
}

static void sift_up(ktimer_heap *h, size_t i)
{
    ktimer *t = h->v[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->v[parent]->deadline_ns <= t->deadline_ns) break;
        place(h, i, h->v[parent]);
        i = parent;
    }
    place(h, i, t);
}

static void sift_down(ktimer_heap *h, size_t i)
{
    ktimer *t = h->v[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->n) break;
        if (child + 1 < h->n && h->v[child + 1]->deadline_ns < h->v[child]->deadline_ns) child++;
        if (t->deadline_ns <= h->v[child]->deadline_ns) break;
        place(h, i, h->v[child]);
        i = child;
    }
    place(h, i, t);
}

int ktimer_heap_arm(ktimer_heap *h, ktimer *t, int64_t deadline_ns)
{
    if (ktimer_armed(t)) {
        int64_t old = t->deadline_ns;
        t->deadline_ns = deadline_ns;
        if (deadline_ns < old)
            sift_up(h, t->heap_pos - 1);
        else
            sift_down(h, t->heap_pos - 1);
        return 0;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        ktimer **v = realloc(h->v, cap * sizeof(*v));
        if (!v) return -1;
        h->v = v;
        h->cap = cap;
    }
    t->deadline_ns = deadline_ns;
    place(h, h->n++, t);
    sift_up(h, h->n - 1);
    return 0;
}

void ktimer_heap_disarm(ktimer_heap *h, ktimer *t)
{
    if (!ktimer_armed(t)) return;
    size_t i = t->heap_pos - 1;
    t->heap_pos = KTIMER_IDLE;
    ktimer *last = h->v[--h->n];
    if (last == t) return;
    /* The last timer fills the hole; it may belong above or below it. */
    place(h, i, last);
    if (i > 0 && h->v[(i - 1) / 2]->deadline_ns > last->deadline_ns)
        sift_up(h, i);
    else
        sift_down(h, i);
}

ktimer *ktimer_heap_pop_due(ktimer_heap *h, int64_t now_ns)
{
    ktimer *t = ktimer_heap_peek(h);
    if (!t || t->deadline_ns > now_ns) return NULL;
    ktimer_heap_disarm(h, t);
    return t;
}

void ktimer_heap_free(ktimer_heap *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}
