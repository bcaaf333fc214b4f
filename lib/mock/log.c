/* A partition's log: stored batches in offset order, in an array whose
 * front moves up as retention drops the oldest ones (and is compacted when
 * half of it is dead). Lookups by offset are binary searches, and each
 * batch knows how many bytes came before it, so "bytes from offset X to the
 * end" costs one search. */
#include <stdlib.h>
#include <string.h>

#include "mock/mock.h"

static int log_reserve(mock_log *log)
{
    if (log->head && log->head >= log->n / 2) {
        memmove(log->b, log->b + log->head, (log->n - log->head) * sizeof(*log->b));
        log->n -= log->head;
        log->head = 0;
    }
    if (log->n < log->cap) return 0;
    size_t cap = log->cap ? log->cap * 2 : 16;
    mock_batch *b = realloc(log->b, cap * sizeof(*b));
    if (!b) return KFK_ERR_NO_MEMORY;
    log->b = b;
    log->cap = cap;
    return 0;
}

int mock_log_append(mock_log *log, krbuf *buf, int64_t base_offset, int64_t last_offset,
                    int64_t max_timestamp)
{
    if (log_reserve(log)) return KFK_ERR_NO_MEMORY;
    mock_batch *b = &log->b[log->n++];
    b->buf = buf;
    b->base_offset = base_offset;
    b->last_offset = last_offset;
    b->max_timestamp = max_timestamp;
    b->pos = log->end_pos;
    log->end_pos += (int64_t)buf->len;
    log->end_offset = last_offset + 1;
    log->bytes += buf->len;
    return 0;
}

size_t mock_log_find(const mock_log *log, int64_t offset)
{
    size_t lo = log->head, hi = log->n; /* first batch whose last offset >= offset */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (log->b[mid].last_offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int64_t mock_log_bytes_from(const mock_log *log, int64_t offset)
{
    size_t i = mock_log_find(log, offset);
    return i < log->n ? log->end_pos - log->b[i].pos : 0;
}

int64_t mock_log_bytes_between(const mock_log *log, int64_t from, int64_t to)
{
    size_t i = mock_log_find(log, from), j = mock_log_find(log, to);
    int64_t end = j < log->n ? log->b[j].pos : log->end_pos;
    return i < j ? end - log->b[i].pos : 0;
}

size_t mock_log_truncate(mock_log *log, int64_t offset)
{
    size_t dropped = 0;
    while (log->n > log->head && log->b[log->n - 1].base_offset >= offset) {
        mock_batch *b = &log->b[--log->n];
        dropped += b->buf->len;
        log->end_pos = b->pos; /* the next append goes where it was */
        krbuf_unref(b->buf);
    }
    log->bytes -= dropped;
    log->end_offset = offset;
    return dropped;
}

size_t mock_log_drop_oldest(mock_log *log)
{
    if (log->head == log->n) return 0;
    mock_batch *b = &log->b[log->head++];
    size_t len = b->buf->len;
    krbuf_unref(b->buf);
    log->bytes -= len;
    log->log_start_offset = log->head < log->n ? log->b[log->head].base_offset : log->end_offset;
    return len;
}

void mock_log_delete_before(mock_log *log, int64_t offset)
{
    if (offset <= log->log_start_offset) return;
    while (log->head < log->n && log->b[log->head].last_offset < offset)
        mock_log_drop_oldest(log);
    log->log_start_offset = offset;
}

void mock_log_free(mock_log *log)
{
    for (size_t i = log->head; i < log->n; i++)
        krbuf_unref(log->b[i].buf);
    free(log->b);
    memset(log, 0, sizeof(*log));
}
