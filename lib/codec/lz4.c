/* LZ4 frames (the lz4 frame format, magic 0x184D2204) through liblz4's
 * LZ4F API, as Kafka's Lz4BlockOutputStream writes them: 64 KiB blocks
 * (BD 0x40), independent blocks, no block or content checksum, no content
 * size (FLG 0x60); blocks that do not shrink are stored raw. Header
 * checksum: see kcodec_lz4_decompress_legacy() in codec.h. */
#define LZ4F_STATIC_LINKING_ONLY /* LZ4F_getErrorCode */
#include <lz4frame.h>

#include "codec/codec_int.h"

#define LZ4_JAVA_DEFAULT_LEVEL 9

static void *cctx_new(void)
{
    LZ4F_cctx *c;
    return LZ4F_isError(LZ4F_createCompressionContext(&c, LZ4F_VERSION)) ? NULL : c;
}

static void cctx_free(void *c) { LZ4F_freeCompressionContext(c); }

static void *dctx_new(void)
{
    LZ4F_dctx *d;
    return LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)) ? NULL : d;
}

static void dctx_free(void *d) { LZ4F_freeDecompressionContext(d); }

static kfk_err lz4_error(size_t rc)
{
    return LZ4F_getErrorCode(rc) == LZ4F_ERROR_allocation_failed ? KFK_ERR_NO_MEMORY
                                                                   : KFK_ERR_COMPRESSION;
}

kfk_err kcodec_lz4_compress(int level, const uint8_t *in, size_t len, kbuf *out)
{
    LZ4F_cctx *cctx = kcodec_thread_ctx(KCODEC_CTX_LZ4_COMPRESS, cctx_new, cctx_free);
    if (!cctx)
        return KFK_ERR_NO_MEMORY;
    LZ4F_preferences_t prefs = LZ4F_INIT_PREFERENCES;
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    /* The Java client runs lz4-java's fast compressor at its default level
     * 9 and LZ4 HC at any other; LZ4F runs the fast one at level 0 and HC
     * from 3 up (1 and 2 also run the fast one here, where lz4-java would
     * use HC's weakest setting: same format, a little less compression). */
    prefs.compressionLevel = level == LZ4_JAVA_DEFAULT_LEVEL ? 0 : level;
    prefs.autoFlush = 1; /* compress straight from in, no staging copy */

    size_t base = out->len;
    size_t bound = LZ4F_compressFrameBound(len, &prefs);
    if (kbuf_reserve(out, bound))
        return KFK_ERR_NO_MEMORY;
    uint8_t *dst = out->data + out->len;
    size_t cap = out->cap - out->len, pos = 0;
    size_t rc = LZ4F_compressBegin(cctx, dst, cap, &prefs);
    if (!LZ4F_isError(rc)) {
        pos += rc;
        rc = len ? LZ4F_compressUpdate(cctx, dst + pos, cap - pos, in, len, NULL) : 0;
    }
    if (!LZ4F_isError(rc)) {
        pos += rc;
        rc = LZ4F_compressEnd(cctx, dst + pos, cap - pos, NULL);
    }
    if (LZ4F_isError(rc)) {
        out->len = base;
        return lz4_error(rc);
    }
    out->len += pos + rc;
    return KFK_OK;
}

/* Feeds in[0..len) through dctx into the sink, across as many frames as
 * follow each other. Returns with the frame state in *hint: 0 when the last
 * frame ended, else the decoder still wants input. */
static kfk_err decode(LZ4F_dctx *dctx, const uint8_t *in, size_t len, ksink *sink, size_t *hint)
{
    for (;;) {
        uint8_t *dst;
        size_t room;
        /* A block's worth of room lets LZ4F decode in place, skipping its
         * own staging buffer. */
        kfk_err err = ksink_room(sink, 64 * 1024, &dst, &room);
        if (err)
            return err;
        size_t src_n = len, dst_n = room;
        size_t rc = LZ4F_decompress(dctx, dst, &dst_n, in, &src_n, NULL);
        if (LZ4F_isError(rc))
            return lz4_error(rc);
        sink->out->len += dst_n;
        in += src_n;
        len -= src_n;
        *hint = rc;
        /* Done with this input when it is all eaten and the decoder has no
         * more output for us (it filled less than the room given). */
        if (len == 0 && (rc == 0 || dst_n < room))
            return KFK_OK;
        if (src_n == 0 && dst_n == 0)
            return KFK_ERR_COMPRESSION; /* no progress: cannot happen, never spin */
    }
}

/* liblz4 1.9.4's LZ4F_resetDecompressionContext leaves the remaining
 * content size of a frame that failed (or was cut short) in place, and the
 * next frame without a content size then fails with frameSize_wrong
 * (fixed upstream after 1.9.4). So a context that saw any failure is
 * thrown away rather than reset. */
static kfk_err decode_failed(kfk_err err, ksink *sink)
{
    kcodec_thread_ctx_drop(KCODEC_CTX_LZ4_DECOMPRESS);
    return ksink_finish(sink, err);
}

static kfk_err finish_frames(LZ4F_dctx *dctx, const uint8_t *in, size_t len, ksink *sink)
{
    size_t hint = 1;
    kfk_err err = decode(dctx, in, len, sink, &hint);
    if (!err && hint != 0)
        err = KFK_ERR_COMPRESSION; /* truncated: the frame's end mark is missing */
    if (!err && ksink_produced(sink) >= sink->limit)
        err = KFK_ERR_TOO_LARGE;
    return err ? decode_failed(err, sink) : KFK_OK;
}

kfk_err kcodec_lz4_decompress(const uint8_t *in, size_t len, kbuf *out, size_t max_out)
{
    if (len == 0)
        return KFK_ERR_COMPRESSION;
    LZ4F_dctx *dctx = kcodec_thread_ctx(KCODEC_CTX_LZ4_DECOMPRESS, dctx_new, dctx_free);
    if (!dctx)
        return KFK_ERR_NO_MEMORY;
    LZ4F_resetDecompressionContext(dctx);
    ksink sink = ksink_of(out, max_out);
    return finish_frames(dctx, in, len, &sink);
}

/* --- legacy (v0) header checksum ----------------------------------------- */

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Rebuilds the frame header in[0..*hdr_len) with a correct checksum byte
 * into fixed[]. liblz4 does not export its xxHash, so LZ4F_compressBegin
 * writes the same descriptor for us, checksum included; a descriptor it
 * would not write identically is refused. */
static kfk_err fix_header(const uint8_t *in, size_t len, uint8_t fixed[LZ4F_HEADER_SIZE_MAX],
                          size_t *hdr_len)
{
    if (len < 7 || get_le32(in) != 0x184D2204)
        return KFK_ERR_COMPRESSION;
    uint8_t flg = in[4], bd = in[5];
    size_t n = 7 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0);
    /* Version 01, reserved bits clear, a block size 4..7: anything else
     * is refused here, before LZ4F_compressBegin (liblz4 1.9.4 allocates
     * from an unchecked block size id). */
    unsigned block_size_id = (bd >> 4) & 7;
    if (len < n || (flg >> 6) != 1 || (flg & 0x02) || (bd & 0x8f) || block_size_id < 4)
        return KFK_ERR_COMPRESSION;

    LZ4F_preferences_t prefs = LZ4F_INIT_PREFERENCES;
    prefs.frameInfo.blockSizeID = (LZ4F_blockSizeID_t)block_size_id;
    prefs.frameInfo.blockMode = flg & 0x20 ? LZ4F_blockIndependent : LZ4F_blockLinked;
    prefs.frameInfo.blockChecksumFlag = flg & 0x10 ? LZ4F_blockChecksumEnabled : 0;
    prefs.frameInfo.contentChecksumFlag = flg & 0x04 ? LZ4F_contentChecksumEnabled : 0;
    const uint8_t *p = in + 6;
    if (flg & 0x08) {
        prefs.frameInfo.contentSize = get_le32(p) | (unsigned long long)get_le32(p + 4) << 32;
        p += 8;
    }
    if (flg & 0x01)
        prefs.frameInfo.dictID = get_le32(p);

    LZ4F_cctx *cctx = kcodec_thread_ctx(KCODEC_CTX_LZ4_COMPRESS, cctx_new, cctx_free);
    if (!cctx)
        return KFK_ERR_NO_MEMORY;
    size_t rc = LZ4F_compressBegin(cctx, fixed, LZ4F_HEADER_SIZE_MAX, &prefs);
    if (LZ4F_isError(rc) || rc != n || memcmp(fixed, in, n - 1) != 0)
        return KFK_ERR_COMPRESSION;
    *hdr_len = n;
    return KFK_OK;
}

kfk_err kcodec_lz4_decompress_legacy(const uint8_t *in, size_t len, kbuf *out, size_t max_out)
{
    uint8_t hdr[LZ4F_HEADER_SIZE_MAX];
    size_t hdr_len;
    kfk_err err = fix_header(in, len, hdr, &hdr_len);
    if (err)
        return err;
    LZ4F_dctx *dctx = kcodec_thread_ctx(KCODEC_CTX_LZ4_DECOMPRESS, dctx_new, dctx_free);
    if (!dctx)
        return KFK_ERR_NO_MEMORY;
    LZ4F_resetDecompressionContext(dctx);
    ksink sink = ksink_of(out, max_out);
    size_t hint;
    err = decode(dctx, hdr, hdr_len, &sink, &hint);
    if (err)
        return decode_failed(err, &sink);
    return finish_frames(dctx, in + hdr_len, len - hdr_len, &sink);
}
