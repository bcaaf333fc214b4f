/* Snappy in the xerial framing that the Java client writes (snappy-java's
 * SnappyOutputStream), and the bare snappy block some other clients write.
 *
 * xerial framing, all integers big-endian:
 *   magic    0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
 *   int32    version (1)
 *   int32    minimum compatible version (1)
 *   then blocks: int32 compressed length, that many bytes of raw snappy,
 *   each block holding at most 32 KiB of input (SnappyOutputStream's
 *   DEFAULT_BLOCK_SIZE since snappy-java 1.1.x).
 * An empty input is the header alone. */
#include <snappy-c.h>

#include "base/rw.h"
#include "codec/codec_int.h"

#define XERIAL_BLOCK_SIZE (32 * 1024)
#define XERIAL_HEADER_SIZE 16

static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};

kfk_err kcodec_snappy_compress(const uint8_t *in, size_t len, kbuf *out)
{
    size_t base = out->len;
    size_t nblocks = len / XERIAL_BLOCK_SIZE + 1;
    size_t block_max = snappy_max_compressed_length(XERIAL_BLOCK_SIZE);
    if (kbuf_reserve(out, XERIAL_HEADER_SIZE + nblocks * (4 + block_max)))
        return KFK_ERR_NO_MEMORY;
    kbuf_append(out, xerial_magic, sizeof(xerial_magic));
    kwrite_u32(out, 1); /* version */
    kwrite_u32(out, 1); /* minimum compatible version */
    for (size_t off = 0; off < len; off += XERIAL_BLOCK_SIZE) {
        size_t n = len - off < XERIAL_BLOCK_SIZE ? len - off : XERIAL_BLOCK_SIZE;
        uint8_t *lenp = out->data + out->len;
        size_t clen = out->cap - out->len - 4;
        if (snappy_compress((const char *)in + off, n, (char *)lenp + 4, &clen) != SNAPPY_OK) {
            out->len = base;
            return KFK_ERR_COMPRESSION;
        }
        kput_u32(lenp, (uint32_t)clen);
        out->len += 4 + clen;
    }
    return KFK_OK;
}

/* Appends one raw snappy block. snappy_uncompress is hardened against
 * corrupt input (it bounds every copy by both buffers and reports
 * SNAPPY_INVALID_INPUT), so a separate snappy_validate_compressed_buffer
 * pass would only repeat that work. */
static kfk_err raw_block(const uint8_t *p, size_t n, ksink *sink)
{
    size_t ulen;
    if (snappy_uncompressed_length((const char *)p, n, &ulen) != SNAPPY_OK)
        return KFK_ERR_COMPRESSION;
    /* ulen is a claim from the input: check it before allocating, and
     * call it too large only when the block is otherwise sound. */
    if (ulen >= ksink_left(sink))
        return snappy_validate_compressed_buffer((const char *)p, n) == SNAPPY_OK
                   ? KFK_ERR_TOO_LARGE
                   : KFK_ERR_COMPRESSION;
    uint8_t *dst;
    size_t room;
    kfk_err err = ksink_room(sink, ulen, &dst, &room);
    if (err)
        return err;
    size_t got = ulen;
    if (snappy_uncompress((const char *)p, n, (char *)dst, &got) != SNAPPY_OK || got != ulen)
        return KFK_ERR_COMPRESSION;
    sink->out->len += ulen;
    return KFK_OK;
}

static bool is_xerial_header(const uint8_t *p, size_t n)
{
    return n >= XERIAL_HEADER_SIZE && memcmp(p, xerial_magic, sizeof(xerial_magic)) == 0;
}

/* Steps r over the next block of a xerial stream and returns it, or NULL
 * at the end of the input and (with *err set) on a bad block length.
 * SnappyInputStream also reads xerial streams written back to back, so a
 * second header where a block length would be is skipped. The versions in
 * headers are not checked: snappy-java writes 1 and 1 and only rejects a
 * version below 1, which would change nothing about the block layout. */
static const uint8_t *next_block(kreader *r, uint32_t *n, kfk_err *err)
{
    while (is_xerial_header(r->p, kreader_left(r)))
        kreader_take(r, XERIAL_HEADER_SIZE);
    if (!kreader_left(r))
        return NULL;
    *n = kread_u32(r);
    const uint8_t *block = *n ? kreader_take(r, *n) : NULL;
    if (!block)
        *err = KFK_ERR_COMPRESSION; /* truncated, or an empty block */
    return block;
}

/* Too much output: sound blocks that decode to more than max_out, or a
 * corrupt stream whose lengths merely claim so. */
static kfk_err too_large_or_corrupt(kreader r)
{
    const uint8_t *block;
    uint32_t n;
    kfk_err err = KFK_OK;
    while ((block = next_block(&r, &n, &err)))
        if (snappy_validate_compressed_buffer((const char *)block, n) != SNAPPY_OK)
            return KFK_ERR_COMPRESSION;
    return err ? err : KFK_ERR_TOO_LARGE;
}

static kfk_err xerial_blocks(const uint8_t *in, size_t len, ksink *sink)
{
    kreader start = kreader_of(in + XERIAL_HEADER_SIZE, len - XERIAL_HEADER_SIZE);
    const uint8_t *block;
    uint32_t n;
    kfk_err err = KFK_OK;

    /* First the block headers alone: they say how much output is coming,
     * so max_out is enforced before any work and out grows only once. */
    kreader r = start;
    size_t total = 0, left = ksink_left(sink);
    while ((block = next_block(&r, &n, &err))) {
        size_t ulen;
        if (snappy_uncompressed_length((const char *)block, n, &ulen) != SNAPPY_OK)
            return KFK_ERR_COMPRESSION;
        if (ulen >= left - total)
            return too_large_or_corrupt(start);
        total += ulen;
    }
    if (err)
        return err;
    uint8_t *dst;
    size_t room;
    if (total && (err = ksink_room(sink, total, &dst, &room)))
        return err;

    r = start;
    while ((block = next_block(&r, &n, &err)))
        if ((err = raw_block(block, n, sink)))
            return err;
    return err;
}

kfk_err kcodec_snappy_decompress(const uint8_t *in, size_t len, kbuf *out, size_t max_out)
{
    if (len == 0)
        return KFK_ERR_COMPRESSION;
    ksink sink = ksink_of(out, max_out);
    /* Like SnappyInputStream: the xerial magic and a full header, or else
     * the whole input is one raw block (as librdkafka and others write). */
    kfk_err err = is_xerial_header(in, len) ? xerial_blocks(in, len, &sink)
                                            : raw_block(in, len, &sink);
    return ksink_finish(&sink, err);
}
