/* Inside lib/codec only: the per-codec entry points codec.c dispatches to,
 * the per-thread context cache, and the bounded output sink the streaming
 * decoders share. */
#ifndef KFK_CODEC_CODEC_INT_H
#define KFK_CODEC_CODEC_INT_H

#include "codec/codec.h"

/* Levels arrive resolved: never KCODEC_LEVEL_DEFAULT, always valid. */
kfk_err kcodec_gzip_compress(int level, const uint8_t *in, size_t len, kbuf *out);
kfk_err kcodec_gzip_decompress(const uint8_t *in, size_t len, kbuf *out, size_t max_out);
kfk_err kcodec_snappy_compress(const uint8_t *in, size_t len, kbuf *out);
kfk_err kcodec_snappy_decompress(const uint8_t *in, size_t len, kbuf *out, size_t max_out);
kfk_err kcodec_lz4_compress(int level, const uint8_t *in, size_t len, kbuf *out);
kfk_err kcodec_lz4_decompress(const uint8_t *in, size_t len, kbuf *out, size_t max_out);
kfk_err kcodec_zstd_compress(int level, const uint8_t *in, size_t len, kbuf *out);
kfk_err kcodec_zstd_decompress(const uint8_t *in, size_t len, kbuf *out, size_t max_out);

/* --- per-thread contexts (thread_ctx.c) --------------------------------- */
/* Library contexts cost an allocation of tens of KiB to MiBs and their
 * set-up, far more than compressing one small batch, so each thread keeps
 * one of each and reuses it. Per thread rather than a locked pool: the I/O
 * threads that compress and the threads that decompress never contend, and
 * a context's memory stays with the thread that warms it. They are freed at
 * thread exit through a pthread key destructor. */
typedef enum kcodec_ctx_slot {
    KCODEC_CTX_DEFLATE,
    KCODEC_CTX_INFLATE,
    KCODEC_CTX_LZ4_COMPRESS,
    KCODEC_CTX_LZ4_DECOMPRESS,
    KCODEC_CTX_ZSTD_COMPRESS,
    KCODEC_CTX_ZSTD_DECOMPRESS,
    KCODEC_CTX_COUNT
} kcodec_ctx_slot;

/* Returns the calling thread's context in slot, making it with create() on
 * first use; destroy() frees it at thread exit. NULL when create() fails
 * or the thread-exit hook cannot be installed. The caller resets it before
 * use: a context may hold the state of a call that failed half-way. */
void *kcodec_thread_ctx(kcodec_ctx_slot slot, void *(*create)(void), void (*destroy)(void *));

/* Frees the calling thread's context in slot, if any; the next
 * kcodec_thread_ctx() makes a new one. For a library whose reset does not
 * clear all state after a failure. */
void kcodec_thread_ctx_drop(kcodec_ctx_slot slot);

/* --- bounded output ----------------------------------------------------- */
/* Streaming decoders write straight into out's spare capacity. A sink
 * hands them room in steps, never more than max_out + 1 bytes in all: a
 * decoder that fills that extra byte has proven the output too large
 * without us ever allocating much past the limit. */
typedef struct ksink {
    kbuf *out;
    size_t base;  /* out->len on entry, restored on error */
    size_t limit; /* max_out + 1 (saturating) */
} ksink;

static inline ksink ksink_of(kbuf *out, size_t max_out)
{
    ksink s = {out, out->len, max_out == SIZE_MAX ? SIZE_MAX : max_out + 1};
    return s;
}

static inline size_t ksink_produced(const ksink *s) { return s->out->len - s->base; }

/* Bytes the sink may still take before the limit. */
static inline size_t ksink_left(const ksink *s) { return s->limit - ksink_produced(s); }

/* Points *dst at free space in out and sets *room (> 0) to its size: at
 * least min(want, what the limit leaves) bytes, growing out when needed.
 * Returns KFK_OK, KFK_ERR_TOO_LARGE once max_out bytes are exceeded, or
 * KFK_ERR_NO_MEMORY. */
kfk_err ksink_room(ksink *s, size_t want, uint8_t **dst, size_t *room);

/* Ends a decode: on success checks the limit, on error restores out->len. */
static inline kfk_err ksink_finish(ksink *s, kfk_err err)
{
    if (!err && ksink_produced(s) >= s->limit)
        err = KFK_ERR_TOO_LARGE;
    if (err)
        s->out->len = s->base;
    return err;
}

#endif
