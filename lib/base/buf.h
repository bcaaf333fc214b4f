/* Byte buffers: a growable buffer with one owner (kbuf), a refcounted
 * immutable buffer that many slices may share (krbuf), and plain slices. */
#ifndef KFK_BASE_BUF_H
#define KFK_BASE_BUF_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct kgather;

/* A growable byte buffer. Zero-initialised is a valid empty buffer. */
typedef struct kbuf {
    uint8_t *data;
    size_t len;
    size_t cap;
    /* Set while a protocol encode may leave long byte fields out of data
     * and note them here instead (proto/wire.h); NULL otherwise. */
    struct kgather *gather;
} kbuf;

/* A view of bytes owned by someone else. */
typedef struct kslice {
    const uint8_t *ptr;
    size_t len;
} kslice;

/* Grows b so that at least `extra` more bytes fit. Returns 0, or -1 when
 * memory is exhausted (b is then unchanged). */
int kbuf_grow(kbuf *b, size_t extra);

static inline int kbuf_reserve(kbuf *b, size_t extra)
{
    return b->cap - b->len >= extra ? 0 : kbuf_grow(b, extra);
}

static inline int kbuf_append(kbuf *b, const void *p, size_t n)
{
    if (kbuf_reserve(b, n)) return -1;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

/* Returns a pointer to n fresh bytes at the end of b (len grows by n), or
 * NULL when memory is exhausted. */
static inline uint8_t *kbuf_extend(kbuf *b, size_t n)
{
    if (kbuf_reserve(b, n)) return NULL;
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

static inline void kbuf_reset(kbuf *b)
{
    b->len = 0;
}
void kbuf_free(kbuf *b);

/* Detaches the bytes: the caller owns the returned pointer (free()), b is
 * left empty. */
uint8_t *kbuf_take(kbuf *b, size_t *len);

/* A refcounted, immutable-after-fill buffer. Messages handed to users point
 * into one of these and keep it alive by holding a reference. */
typedef struct krbuf {
    atomic_int refcnt;
    size_t len;
    uint8_t data[];
} krbuf;

/* Allocates a buffer of len bytes with refcount 1, or NULL. */
krbuf *krbuf_new(size_t len);
/* Takes over kbuf's bytes (one copy-free realloc at most), leaving b empty. */
krbuf *krbuf_from_kbuf(kbuf *b);
static inline krbuf *krbuf_ref(krbuf *rb)
{
    atomic_fetch_add_explicit(&rb->refcnt, 1, memory_order_relaxed);
    return rb;
}
void krbuf_unref(krbuf *rb);

#endif
