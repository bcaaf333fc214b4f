/* gzip (RFC 1952) through zlib, as java.util.zip.GZIPOutputStream writes
 * it for the Java client. */
#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

#include "codec/codec_int.h"

#define GZIP_WINDOW_BITS (15 + 16) /* 32 KiB window, gzip header and trailer */

/* zlib counts in uInt: feed and drain it in pieces of at most this. */
#define ZCHUNK ((size_t)UINT_MAX)

typedef struct deflater {
    z_stream zs;
    int level; /* the level zs is set up for */
} deflater;

static void *deflater_new(void)
{
    deflater *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->level = Z_DEFAULT_COMPRESSION;
    if (deflateInit2(&d->zs, d->level, Z_DEFLATED, GZIP_WINDOW_BITS, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        free(d);
        return NULL;
    }
    return d;
}

static void deflater_free(void *p)
{
    deflater *d = p;
    deflateEnd(&d->zs);
    free(d);
}

static void *inflater_new(void)
{
    z_stream *zs = calloc(1, sizeof(*zs));
    if (zs && inflateInit2(zs, GZIP_WINDOW_BITS) != Z_OK) {
        free(zs);
        return NULL;
    }
    return zs;
}

static void inflater_free(void *p)
{
    inflateEnd(p);
    free(p);
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

kfk_err kcodec_gzip_compress(int level, const uint8_t *in, size_t len, kbuf *out)
{
    deflater *d = kcodec_thread_ctx(KCODEC_CTX_DEFLATE, deflater_new, deflater_free);
    if (!d)
        return KFK_ERR_NO_MEMORY;
    z_stream *zs = &d->zs;
    deflateReset(zs);
    /* Right after a reset deflateParams only records the new level. */
    if (level != d->level) {
        if (deflateParams(zs, level, Z_DEFAULT_STRATEGY) != Z_OK)
            return KFK_ERR_COMPRESSION;
        d->level = level;
    }

    size_t base = out->len;
    uLong bound = deflateBound(zs, len);
    if (kbuf_reserve(out, bound))
        return KFK_ERR_NO_MEMORY;
    size_t in_left = len;
    zs->next_in = (Bytef *)in;
    int rc;
    do {
        if (out->cap == out->len && kbuf_reserve(out, 64 * 1024)) {
            out->len = base;
            return KFK_ERR_NO_MEMORY;
        }
        zs->avail_in = (uInt)min_size(in_left, ZCHUNK);
        in_left -= zs->avail_in;
        zs->next_out = out->data + out->len;
        zs->avail_out = (uInt)min_size(out->cap - out->len, ZCHUNK);
        uInt avail_out = zs->avail_out;
        rc = deflate(zs, in_left ? Z_NO_FLUSH : Z_FINISH);
        out->len += avail_out - zs->avail_out;
        in_left += zs->avail_in;
    } while (rc == Z_OK || (rc == Z_BUF_ERROR && zs->avail_out == 0));
    if (rc != Z_STREAM_END) {
        out->len = base;
        return KFK_ERR_COMPRESSION;
    }
    return KFK_OK;
}

/* Inflates one run of gzip members. zlib checks each member's CRC-32 and
 * length trailer. */
static kfk_err inflate_all(z_stream *zs, const uint8_t *in, size_t len, ksink *sink)
{
    size_t in_left = len;
    zs->next_in = (Bytef *)in;
    /* Deflate tops out near 1032:1; start from a modest guess and double. */
    size_t want = len < SIZE_MAX / 4 ? len * 4 : len;
    for (;;) {
        uint8_t *dst;
        size_t room;
        kfk_err err = ksink_room(sink, want < 4096 ? 4096 : want, &dst, &room);
        if (err)
            return err;
        zs->avail_in = (uInt)min_size(in_left, ZCHUNK);
        in_left -= zs->avail_in;
        zs->next_out = dst;
        zs->avail_out = (uInt)min_size(room, ZCHUNK);
        uInt avail_out = zs->avail_out;
        int rc = inflate(zs, Z_NO_FLUSH);
        size_t produced = avail_out - zs->avail_out;
        sink->out->len += produced;
        in_left += zs->avail_in;
        switch (rc) {
        case Z_STREAM_END:
            if (in_left == 0)
                return KFK_OK;
            /* Another member follows (RFC 1952 2.2); GZIPInputStream reads
             * those too. Anything else after a member is garbage. */
            if (inflateReset(zs) != Z_OK)
                return KFK_ERR_COMPRESSION;
            break;
        case Z_OK:
            break;
        case Z_BUF_ERROR:
            /* No progress: out of input mid-stream (truncated) unless the
             * output space ran out, in which case the next round grows it. */
            if (zs->avail_out != 0)
                return KFK_ERR_COMPRESSION;
            break;
        case Z_MEM_ERROR:
            return KFK_ERR_NO_MEMORY;
        default: /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
            return KFK_ERR_COMPRESSION;
        }
        if (in_left == 0 && zs->avail_out != 0 && rc == Z_OK && produced == 0)
            return KFK_ERR_COMPRESSION; /* all input eaten, stream not ended */
        want = ksink_produced(sink);
    }
}

kfk_err kcodec_gzip_decompress(const uint8_t *in, size_t len, kbuf *out, size_t max_out)
{
    if (len == 0)
        return KFK_ERR_COMPRESSION;
    z_stream *zs = kcodec_thread_ctx(KCODEC_CTX_INFLATE, inflater_new, inflater_free);
    if (!zs)
        return KFK_ERR_NO_MEMORY;
    inflateReset(zs);
    ksink sink = ksink_of(out, max_out);
    return ksink_finish(&sink, inflate_all(zs, in, len, &sink));
}
