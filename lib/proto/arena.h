/* A bump allocator for decoded protocol messages.
 *
 * Decoding a response allocates its arrays from one arena; the strings and
 * byte fields point into the input buffer instead (zero-copy). Freeing the
 * arena releases the whole message at once, and resetting it keeps the
 * largest block (unless it is over 256 KiB) for the next message, so a
 * connection that decodes one response after another stops calling malloc
 * once it has warmed up.
 *
 * Not thread-safe: an arena belongs to one thread at a time. */
#ifndef KFK_PROTO_ARENA_H
#define KFK_PROTO_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct karena_block karena_block;

typedef struct karena {
    karena_block *blocks; /* newest first */
    uint8_t *p;           /* free space in the newest block */
    uint8_t *end;
    size_t next_size; /* size of the next block to allocate */
} karena;

/* A zeroed karena is valid and empty; KARENA_INIT spells that. */
#define KARENA_INIT {NULL, NULL, NULL, 0}

#define KARENA_ALIGN _Alignof(max_align_t)

/* Slow path of karena_alloc: adds a block. */
void *karena_alloc_block(karena *a, size_t n);

/* Returns n bytes (not zeroed) aligned for any type, valid until the arena
 * is reset or freed; NULL when memory is exhausted. n == 0 gives a valid
 * unique pointer. */
static inline void *karena_alloc(karena *a, size_t n)
{
    /* n | 1: even an empty allocation takes room, so pointers stay unique. */
    size_t need = ((n | 1) + KARENA_ALIGN - 1) & ~(size_t)(KARENA_ALIGN - 1);
    if (need > n && a->p && (size_t)(a->end - a->p) >= need) {
        void *r = a->p;
        a->p += need;
        return r;
    }
    return karena_alloc_block(a, n);
}

/* Releases every allocation but keeps the newest block for reuse, unless
 * it is over 256 KiB. */
void karena_reset(karena *a);

/* Releases everything; a is left empty and may be used again. */
void karena_free(karena *a);

#endif
