/* Dispatch by codec, names, and the compression.level rules (KIP-390). */
#include <string.h>

#include "codec/codec_int.h"

static const char *const names[] = {
    [KCODEC_NONE] = "none", [KCODEC_GZIP] = "gzip", [KCODEC_SNAPPY] = "snappy",
    [KCODEC_LZ4] = "lz4",   [KCODEC_ZSTD] = "zstd",
};

const char *kcodec_name(kcodec c)
{
    return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : NULL;
}

bool kcodec_from_name(const char *name, kcodec *c)
{
    for (unsigned i = 0; name && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i]) == 0) {
            *c = (kcodec)i;
            return true;
        }
    }
    return false;
}

/* The Java client's bounds (CompressionType in kafka-clients 4.x). gzip's
 * -1 is java.util.zip.Deflater.DEFAULT_COMPRESSION, which zlib reads as 6;
 * Java rejects 0 (no compression) for gzip, and so do we. */
enum {
    GZIP_MIN = 1,
    GZIP_MAX = 9,
    GZIP_DEFAULT = -1,
    LZ4_MIN = 1,
    LZ4_MAX = 17,
    LZ4_DEFAULT = 9,
    ZSTD_MIN = -131072, /* -ZSTD_TARGETLENGTH_MAX, zstd's ZSTD_minCLevel() */
    ZSTD_MAX = 22,
    ZSTD_DEFAULT = 3,
};

bool kcodec_level_range(kcodec c, int *min_level, int *max_level, int *default_level)
{
    int lo, hi, def;
    switch (c) {
    case KCODEC_GZIP:
        lo = GZIP_MIN, hi = GZIP_MAX, def = GZIP_DEFAULT;
        break;
    case KCODEC_LZ4:
        lo = LZ4_MIN, hi = LZ4_MAX, def = LZ4_DEFAULT;
        break;
    case KCODEC_ZSTD:
        lo = ZSTD_MIN, hi = ZSTD_MAX, def = ZSTD_DEFAULT;
        break;
    default:
        return false;
    }
    if (min_level)
        *min_level = lo;
    if (max_level)
        *max_level = hi;
    if (default_level)
        *default_level = def;
    return true;
}

bool kcodec_level_valid(kcodec c, int level)
{
    int lo, hi, def;
    if (!kcodec_name(c))
        return false;
    if (level == KCODEC_LEVEL_DEFAULT || !kcodec_level_range(c, &lo, &hi, &def))
        return true; /* none and snappy ignore the level */
    return (level >= lo && level <= hi) || level == def;
}

kfk_err kcodec_compress_level(kcodec c, int level, const uint8_t *in, size_t len, kbuf *out)
{
    if (!kcodec_name(c))
        return KFK_ERR_UNSUPPORTED;
    if (!kcodec_level_valid(c, level))
        return KFK_ERR_INVALID_ARG;
    if (level == KCODEC_LEVEL_DEFAULT)
        kcodec_level_range(c, NULL, NULL, &level);
    switch (c) {
    case KCODEC_NONE:
        return kbuf_append(out, in, len) ? KFK_ERR_NO_MEMORY : KFK_OK;
    case KCODEC_GZIP:
        return kcodec_gzip_compress(level, in, len, out);
    case KCODEC_SNAPPY:
        return kcodec_snappy_compress(in, len, out);
    case KCODEC_LZ4:
        return kcodec_lz4_compress(level, in, len, out);
    case KCODEC_ZSTD:
        return kcodec_zstd_compress(level, in, len, out);
    }
    return KFK_ERR_UNSUPPORTED;
}

kfk_err kcodec_compress(kcodec c, int level, const uint8_t *in, size_t len, kbuf *out)
{
    return kcodec_compress_level(c, level < 0 ? KCODEC_LEVEL_DEFAULT : level, in, len, out);
}

kfk_err kcodec_decompress(kcodec c, const uint8_t *in, size_t len, kbuf *out, size_t max_out)
{
    switch (c) {
    case KCODEC_NONE:
        if (len > max_out)
            return KFK_ERR_TOO_LARGE;
        return kbuf_append(out, in, len) ? KFK_ERR_NO_MEMORY : KFK_OK;
    case KCODEC_GZIP:
        return kcodec_gzip_decompress(in, len, out, max_out);
    case KCODEC_SNAPPY:
        return kcodec_snappy_decompress(in, len, out, max_out);
    case KCODEC_LZ4:
        return kcodec_lz4_decompress(in, len, out, max_out);
    case KCODEC_ZSTD:
        return kcodec_zstd_decompress(in, len, out, max_out);
    }
    return KFK_ERR_UNSUPPORTED;
}

kfk_err kcodec_decompress_pooled(kbufpool *pool, kcodec c, const uint8_t *in, size_t len,
                                 size_t max_out, kbuf *out)
{
    /* No size hint: each decoder sizes its output better than we could. */
    if (kbufpool_get(pool, 0, out))
        return KFK_ERR_NO_MEMORY;
    kfk_err err = kcodec_decompress(c, in, len, out, max_out);
    if (err)
        kbufpool_put(pool, out);
    return err;
}
