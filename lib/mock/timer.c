/* The loop's timers: a binary min-heap of deadlines. Used for delayed
 * responses (broker rtt) and fetch long-polls; both are few, so the heap
 * stays small. Loop thread only. */
#include <stdlib.h>

#include "mock/mock.h"

static void heap_set(mock_cluster *mc, size_t i, mock_timer *t)
{
    mc->heap[i - 1] = t;
    t->heap_index = i;
}

static bool earlier(const mock_cluster *mc, size_t a, size_t b)
{
    return mc->heap[a - 1]->deadline_ns < mc->heap[b - 1]->deadline_ns;
}

static void swap(mock_cluster *mc, size_t a, size_t b)
{
    mock_timer *ta = mc->heap[a - 1], *tb = mc->heap[b - 1];
    heap_set(mc, a, tb);
    heap_set(mc, b, ta);
}

static void sift_up(mock_cluster *mc, size_t i)
{
    while (i > 1 && earlier(mc, i, i / 2)) {
        swap(mc, i, i / 2);
        i /= 2;
    }
}

static void sift_down(mock_cluster *mc, size_t i)
{
    for (;;) {
        size_t l = 2 * i, r = l + 1, m = i;
        if (l <= mc->heap_n && earlier(mc, l, m)) m = l;
        if (r <= mc->heap_n && earlier(mc, r, m)) m = r;
        if (m == i) return;
        swap(mc, i, m);
        i = m;
    }
}

void mock_timer_stop(mock_cluster *mc, mock_timer *t)
{
    size_t i = t->heap_index;
    if (!i) return;
    t->heap_index = 0;
    mock_timer *last = mc->heap[--mc->heap_n];
    if (i == mc->heap_n + 1) return; /* t was the last one */
    heap_set(mc, i, last);
    sift_up(mc, i);
    sift_down(mc, last->heap_index);
}

int mock_timer_start(mock_cluster *mc, mock_timer *t, int64_t deadline_ns)
{
    mock_timer_stop(mc, t);
    if (mc->heap_n == mc->heap_cap) {
        size_t cap = mc->heap_cap ? mc->heap_cap * 2 : 64;
        mock_timer **h = realloc(mc->heap, cap * sizeof(*h));
        if (!h) return -1;
        mc->heap = h;
        mc->heap_cap = cap;
    }
    t->deadline_ns = deadline_ns;
    heap_set(mc, ++mc->heap_n, t);
    sift_up(mc, mc->heap_n);
    return 0;
}

int mock_timer_wait_ms(mock_cluster *mc, int64_t now_ns)
{
    if (!mc->heap_n) return -1;
    int64_t d = mc->heap[0]->deadline_ns - now_ns;
    if (d <= 0) return 0;
    int64_t ms = (d + 999999) / 1000000;
    return ms > 60000 ? 60000 : (int)ms;
}

void mock_timer_run(mock_cluster *mc, int64_t now_ns)
{
    while (mc->heap_n && mc->heap[0]->deadline_ns <= now_ns) {
        mock_timer *t = mc->heap[0];
        mock_timer_stop(mc, t);
        t->fn(mc, t);
    }
}
