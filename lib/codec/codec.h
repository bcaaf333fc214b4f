/* Record batch compression codecs, as Kafka defines them in the batch
 * attributes (bits 0-2). Each is the real library from Debian: zlib, snappy,
 * lz4, zstd. */
#ifndef KFK_CODEC_CODEC_H
#define KFK_CODEC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
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

/* Compresses in[0..len) and appends the result to out, in the framing the
 * Java client writes (gzip stream; xerial-framed snappy; LZ4 frame; zstd
 * frame). level < 0 means the codec's default. Returns KFK_OK,
 * KFK_ERR_UNSUPPORTED for an unknown codec, KFK_ERR_NO_MEMORY, or
 * KFK_ERR_COMPRESSION. On error out->len is as it was. */
kfk_err kcodec_compress(kcodec c, int level, const uint8_t *in, size_t len, kbuf *out);

/* Decompresses in[0..len) and appends to out. Accepts every framing a
 * Kafka producer may write for that codec (snappy: xerial or raw). Never
 * lets out grow by more than max_out bytes (a decompression-bomb guard):
 * returns KFK_ERR_TOO_LARGE past it. Corrupt or truncated input returns
 * KFK_ERR_COMPRESSION, never crashes. On error out->len is as it was. */
kfk_err kcodec_decompress(kcodec c, const uint8_t *in, size_t len, kbuf *out, size_t max_out);

#endif
