/* Record batch compression codecs, as Kafka defines them in the batch
 * attributes (bits 0-2). Each is the real library from Debian: zlib, snappy,
 * lz4, zstd.
 *
 * Threads: every function may be called from any thread at once. The
 * costly library contexts (z_stream, LZ4F and ZSTD contexts) are cached
 * per thread and freed when the thread exits (see kcodec_thread_cleanup). */
#ifndef KFK_CODEC_CODEC_H
#define KFK_CODEC_CODEC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "codec/bufpool.h"
#include "kfk.h"

typedef enum kcodec {
    KCODEC_NONE = 0,
    KCODEC_GZIP = 1,
    KCODEC_SNAPPY = 2,
    KCODEC_LZ4 = 3,
    KCODEC_ZSTD = 4,
} kcodec;

/* The codec's Kafka name ("gzip"...), or NULL for an unknown value. */
const char *kcodec_name(kcodec c);

/* Looks up a compression.type name ("none", "gzip", "snappy", "lz4",
 * "zstd"; exact, lower case as Kafka spells them). Returns true and sets *c,
 * or false for an unknown name. */
bool kcodec_from_name(const char *name, kcodec *c);

/* Compresses in[0..len) and appends the result to out, in the framing the
 * Java client writes (gzip stream; xerial-framed snappy; LZ4 frame; zstd
 * frame). level < 0 means the codec's default; zstd's negative (fast)
 * levels therefore need kcodec_compress_level(). Returns KFK_OK,
 * KFK_ERR_UNSUPPORTED for an unknown codec, KFK_ERR_INVALID_ARG for a level
 * kcodec_level_valid() rejects, KFK_ERR_NO_MEMORY, or KFK_ERR_COMPRESSION.
 * On error out->len is as it was. */
kfk_err kcodec_compress(kcodec c, int level, const uint8_t *in, size_t len, kbuf *out);

/* kcodec_compress() with the level taken literally: any value
 * kcodec_level_valid() accepts, or KCODEC_LEVEL_DEFAULT. */
#define KCODEC_LEVEL_DEFAULT INT_MIN
kfk_err kcodec_compress_level(kcodec c, int level, const uint8_t *in, size_t len, kbuf *out);

/* Decompresses in[0..len) and appends to out. Accepts every framing a
 * Kafka producer may write for that codec (snappy: xerial or raw). Never
 * lets out grow by more than max_out bytes (a decompression-bomb guard):
 * returns KFK_ERR_TOO_LARGE past it. Corrupt or truncated input returns
 * KFK_ERR_COMPRESSION, never crashes. On error out->len is as it was. */
kfk_err kcodec_decompress(kcodec c, const uint8_t *in, size_t len, kbuf *out, size_t max_out);

/* kcodec_decompress() into a buffer taken from pool. On success *out is
 * that buffer, holding the bytes: the caller owns it and hands it back with
 * kbufpool_put(). On error *out is zeroed and the buffer is back in the
 * pool. *out's previous contents are overwritten, not freed. */
kfk_err kcodec_decompress_pooled(kbufpool *pool, kcodec c, const uint8_t *in, size_t len,
                                 size_t max_out, kbuf *out);

/* LZ4 for legacy v0 message sets only. Kafka before 0.10 (message format
 * v0) computed the LZ4 frame header checksum over the magic number as well
 * as the descriptor (KAFKA-3160), and the Java client still writes and reads
 * v0 LZ4 that way; this decoder ignores the header checksum byte, as the
 * Java client does for v0. Otherwise as kcodec_decompress(KCODEC_LZ4, ...).
 * v1 and v2 batches must use kcodec_decompress(), which checks it. */
kfk_err kcodec_lz4_decompress_legacy(const uint8_t *in, size_t len, kbuf *out, size_t max_out);

/* compression.level (KIP-390), as the Java client defines it:
 *   gzip    1..9, or -1 (zlib's default, 6); default -1
 *   lz4     1..17; default 9 (the fast compressor; other levels LZ4 HC,
 *           where liblz4, like lz4-java, treats levels above 12 as 12)
 *   zstd    -131072..22 (negative: fast levels; 0: zstd's default); default 3
 *   snappy, none: no levels; every value is accepted and ignored.
 * kcodec_level_valid() says whether kcodec_compress_level() takes level
 * (KCODEC_LEVEL_DEFAULT always, for a known codec); false for an unknown
 * codec. kcodec_level_range() gives the bounds and default and returns
 * false for codecs without levels. */
bool kcodec_level_valid(kcodec c, int level);
bool kcodec_level_range(kcodec c, int *min_level, int *max_level, int *default_level);

/* Frees the calling thread's cached codec contexts now rather than at
 * thread exit. Optional: for the main thread in leak checkers, or a thread
 * that is done compressing for a long while. */
void kcodec_thread_cleanup(void);

#endif
