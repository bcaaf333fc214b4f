#include "base/buf.h"

#include <stdlib.h>

int kbuf_grow(kbuf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len) return -1;
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

void kbuf_free(kbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

uint8_t *kbuf_take(kbuf *b, size_t *len)
{
    uint8_t *p = b->data;
    *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

krbuf *krbuf_new(size_t len)
{
    krbuf *rb = malloc(sizeof(*rb) + len);
    if (!rb) return NULL;
    atomic_init(&rb->refcnt, 1);
    rb->len = len;
    return rb;
}

krbuf *krbuf_from_kbuf(kbuf *b)
{
    /* The header sits in front of the bytes, so a move costs one copy; kept
     * simple until a profile says the consume path needs better. */
    krbuf *rb = krbuf_new(b->len);
    if (!rb) return NULL;
    if (b->len) memcpy(rb->data, b->data, b->len);
    kbuf_free(b);
    return rb;
}

void krbuf_unref(krbuf *rb)
{
    if (rb && atomic_fetch_sub_explicit(&rb->refcnt, 1, memory_order_acq_rel) == 1) free(rb);
}
