#include "codec/bufpool.h"

#include <pthread.h>
#include <stdlib.h>

struct kbufpool {
    pthread_mutex_t lock; /* protects everything below */
    size_t max_idle;
    size_t max_buf_bytes;
    size_t n_idle;
    uint64_t hits, misses;
    kbuf idle[]; /* a stack: the most recently returned buffer is the warmest */
};

kbufpool *kbufpool_new(size_t max_idle, size_t max_buf_bytes)
{
    if (max_idle > (SIZE_MAX - sizeof(kbufpool)) / sizeof(kbuf))
        return NULL;
    kbufpool *pool = calloc(1, sizeof(*pool) + max_idle * sizeof(kbuf));
    if (!pool)
        return NULL;
    if (pthread_mutex_init(&pool->lock, NULL) != 0) {
        free(pool);
        return NULL;
    }
    pool->max_idle = max_idle;
    pool->max_buf_bytes = max_buf_bytes;
    return pool;
}

void kbufpool_destroy(kbufpool *pool)
{
    if (!pool)
        return;
    for (size_t i = 0; i < pool->n_idle; i++)
        kbuf_free(&pool->idle[i]);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

int kbufpool_get(kbufpool *pool, size_t min_cap, kbuf *b)
{
    kbuf got = {0};
    pthread_mutex_lock(&pool->lock);
    if (pool->n_idle) {
        got = pool->idle[--pool->n_idle];
        pool->hits++;
    } else {
        pool->misses++;
    }
    pthread_mutex_unlock(&pool->lock);
    got.len = 0;
    /* Grow outside the lock: realloc may take a while. */
    if (kbuf_reserve(&got, min_cap)) {
        kbuf_free(&got);
        *b = got;
        return -1;
    }
    *b = got;
    return 0;
}

void kbufpool_put(kbufpool *pool, kbuf *b)
{
    if (!b->data)
        return;
    kbuf keep = *b;
    b->data = NULL;
    b->len = b->cap = 0;
    keep.len = 0;
    if (keep.cap <= pool->max_buf_bytes) {
        pthread_mutex_lock(&pool->lock);
        if (pool->n_idle < pool->max_idle) {
            pool->idle[pool->n_idle++] = keep;
            keep.data = NULL;
        }
        pthread_mutex_unlock(&pool->lock);
    }
    kbuf_free(&keep);
}

void kbufpool_get_stats(kbufpool *pool, kbufpool_stats *st)
{
    pthread_mutex_lock(&pool->lock);
    st->idle = pool->n_idle;
    st->idle_bytes = 0;
    for (size_t i = 0; i < pool->n_idle; i++)
        st->idle_bytes += pool->idle[i].cap;
    st->hits = pool->hits;
    st->misses = pool->misses;
    pthread_mutex_unlock(&pool->lock);
}
