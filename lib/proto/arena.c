#include "proto/arena.h"

#include <stdlib.h>

struct karena_block {
    karena_block *next;
    size_t size; /* usable bytes after the header */
    _Alignas(max_align_t) uint8_t data[];
};

/* The first block is small: most responses (ApiVersions aside) decode into
 * a few hundred bytes of arrays. Blocks double up to a cap so that a huge
 * Metadata response does not reserve a huge tail. */
enum { ARENA_FIRST_BLOCK = 2048, ARENA_MAX_BLOCK = 1 << 20 };

/* A reset keeps a block up to this size: a rare huge message (the
 * metadata of thousands of partitions) leaves no megabyte behind on its
 * connection for good, while the usual ones still reuse their block. */
enum { ARENA_KEEP_MAX = 256 << 10 };

void *karena_alloc_block(karena *a, size_t n)
{
    size_t need = ((n | 1) + KARENA_ALIGN - 1) & ~(size_t)(KARENA_ALIGN - 1);
    if (need <= n || need > SIZE_MAX - sizeof(karena_block))
        return NULL;
    size_t size = a->next_size ? a->next_size : ARENA_FIRST_BLOCK;
    if (size < need)
        size = need;
    karena_block *b = malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->size = size;
    b->next = a->blocks;
    a->blocks = b;
    a->p = b->data + need;
    a->end = b->data + size;
    if (a->next_size < ARENA_MAX_BLOCK)
        a->next_size = a->next_size ? a->next_size * 2 : ARENA_FIRST_BLOCK * 2;
    return b->data;
}

void karena_reset(karena *a)
{
    karena_block *keep = a->blocks;
    if (!keep)
        return;
    if (keep->size > ARENA_KEEP_MAX) {
        karena_free(a);
        return;
    }
    for (karena_block *b = keep->next, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    keep->next = NULL;
    a->p = keep->data;
    a->end = keep->data + keep->size;
}

void karena_free(karena *a)
{
    for (karena_block *b = a->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    a->blocks = NULL;
    a->p = a->end = NULL;
    a->next_size = 0;
}
