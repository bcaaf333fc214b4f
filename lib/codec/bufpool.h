/* A small thread-safe pool of kbufs, so that the consume path does not
 * malloc and free a large decompression buffer per record batch: take a
 * buffer, decompress into it, hand it back when its records are consumed.
 *
 * The pool keeps at most max_idle buffers and none whose capacity exceeds
 * max_buf_bytes (those are freed on return), so idle memory stays under
 * max_idle * max_buf_bytes. Any thread may call any function except
 * kbufpool_destroy, which must not race with the others. */
#ifndef KFK_CODEC_BUFPOOL_H
#define KFK_CODEC_BUFPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

typedef struct kbufpool kbufpool;

/* Returns a new pool, or NULL when memory is exhausted. */
kbufpool *kbufpool_new(size_t max_idle, size_t max_buf_bytes);

/* Frees the pool and its idle buffers. Buffers on loan stay their
 * borrower's to kbuf_free (they must not be put back afterwards). */
void kbufpool_destroy(kbufpool *pool);

/* Sets *b to an empty buffer (len 0) with at least min_cap bytes of
 * capacity: an idle one when there is one, else a fresh one. *b's previous
 * contents are overwritten, not freed. Returns 0, or -1 when memory is
 * exhausted (*b is then an empty zero buffer). */
int kbufpool_get(kbufpool *pool, size_t min_cap, kbuf *b);

/* Gives b's memory back to the pool (or frees it, when the pool is full or
 * the buffer too big) and leaves *b zeroed. A zeroed b is a no-op. */
void kbufpool_put(kbufpool *pool, kbuf *b);

typedef struct kbufpool_stats {
    size_t idle;        /* buffers waiting in the pool */
    size_t idle_bytes;  /* their capacity, added up */
    uint64_t hits;      /* gets served from the pool */
    uint64_t misses;    /* gets that had to allocate */
} kbufpool_stats;

void kbufpool_get_stats(kbufpool *pool, kbufpool_stats *st);

#endif
