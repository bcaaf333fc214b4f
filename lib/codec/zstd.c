/* zstd frames through libzstd. We write one frame with its content size;
 * the Java client (zstd-jni's ZstdOutputStream) writes frames without one,
 * so decompression streams unless the input is a single frame that states
 * a size we accept. The decoder keeps libzstd's default window limit
 * (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 2^27 bytes), which every level of the
 * Java client stays within. */
#include <zstd.h>
#include <zstd_errors.h>

#include "codec/codec_int.h"

static void *cctx_new(void) { return ZSTD_createCCtx(); }
static void cctx_free(void *c) { ZSTD_freeCCtx(c); }
static void *dctx_new(void) { return ZSTD_createDCtx(); }
static void dctx_free(void *d) { ZSTD_freeDCtx(d); }

static kfk_err zstd_error(size_t rc)
{
    return ZSTD_getErrorCode(rc) == ZSTD_error_memory_allocation ? KFK_ERR_NO_MEMORY
                                                                  : KFK_ERR_COMPRESSION;
}

kfk_err kcodec_zstd_compress(int level, const uint8_t *in, size_t len, kbuf *out)
{
    ZSTD_CCtx *cctx = kcodec_thread_ctx(KCODEC_CTX_ZSTD_COMPRESS, cctx_new, cctx_free);
    if (!cctx)
        return KFK_ERR_NO_MEMORY;
    size_t bound = ZSTD_compressBound(len);
    if (ZSTD_isError(bound))
        return KFK_ERR_COMPRESSION;
    if (kbuf_reserve(out, bound))
        return KFK_ERR_NO_MEMORY;
    /* ZSTD_compressCCtx resets cctx and applies only level. */
    size_t rc = ZSTD_compressCCtx(cctx, out->data + out->len, bound, in, len, level);
    if (ZSTD_isError(rc))
        return zstd_error(rc);
    out->len += rc;
    return KFK_OK;
}

/* One frame of known size: decode straight into out, no window copies. */
static kfk_err decode_whole(ZSTD_DCtx *dctx, const uint8_t *in, size_t len, size_t size,
                            ksink *sink)
{
    uint8_t *dst;
    size_t room;
    kfk_err err = ksink_room(sink, size, &dst, &room);
    if (err)
        return err;
    size_t rc = ZSTD_decompressDCtx(dctx, dst, size, in, len);
    if (ZSTD_isError(rc))
        return zstd_error(rc);
    if (rc != size)
        return KFK_ERR_COMPRESSION; /* the header lied about the size */
    sink->out->len += rc;
    return KFK_OK;
}

/* Any sequence of frames (and skippable frames), sizes known or not. */
static kfk_err decode_stream(ZSTD_DCtx *dctx, const uint8_t *in, size_t len, size_t want,
                             ksink *sink)
{
    ZSTD_inBuffer ib = {in, len, 0};
    for (;;) {
        uint8_t *dst;
        size_t room;
        kfk_err err = ksink_room(sink, want, &dst, &room);
        if (err)
            return err;
        ZSTD_outBuffer ob = {dst, room, 0};
        size_t in_before = ib.pos;
        size_t rc = ZSTD_decompressStream(dctx, &ob, &ib);
        if (ZSTD_isError(rc))
            return zstd_error(rc);
        sink->out->len += ob.pos;
        if (rc == 0 && ib.pos == ib.size)
            return KFK_OK; /* last frame complete and flushed */
        if (ib.pos == ib.size && ob.pos < ob.size)
            return KFK_ERR_COMPRESSION; /* wants input past the end: truncated */
        if (ob.pos == 0 && ib.pos == in_before)
            return KFK_ERR_COMPRESSION; /* no progress at all: never spin */
        want = ksink_produced(sink); /* out of room: double it */
    }
}

kfk_err kcodec_zstd_decompress(const uint8_t *in, size_t len, kbuf *out, size_t max_out)
{
    if (len == 0)
        return KFK_ERR_COMPRESSION;
    unsigned long long size = ZSTD_getFrameContentSize(in, len);
    if (size == ZSTD_CONTENTSIZE_ERROR)
        return KFK_ERR_COMPRESSION;
    /* A stated size is a claim from the input: refuse it before decoding,
     * as too large when the frame's block structure is whole. */
    if (size != ZSTD_CONTENTSIZE_UNKNOWN && size > max_out)
        return ZSTD_isError(ZSTD_findFrameCompressedSize(in, len)) ? KFK_ERR_COMPRESSION
                                                                   : KFK_ERR_TOO_LARGE;
    ZSTD_DCtx *dctx = kcodec_thread_ctx(KCODEC_CTX_ZSTD_DECOMPRESS, dctx_new, dctx_free);
    if (!dctx)
        return KFK_ERR_NO_MEMORY;
    ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
    ksink sink = ksink_of(out, max_out);
    kfk_err err;
    if (size != ZSTD_CONTENTSIZE_UNKNOWN && ZSTD_findFrameCompressedSize(in, len) == len) {
        err = decode_whole(dctx, in, len, (size_t)size, &sink);
    } else {
        size_t want = size != ZSTD_CONTENTSIZE_UNKNOWN ? (size_t)size
                      : len < SIZE_MAX / 4              ? len * 4
                                                        : len;
        if (want < ZSTD_DStreamOutSize())
            want = ZSTD_DStreamOutSize();
        err = decode_stream(dctx, in, len, want, &sink);
    }
    return ksink_finish(&sink, err);
}
