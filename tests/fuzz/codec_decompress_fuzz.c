/* libFuzzer target for lib/codec. The first byte picks what to do with the
 * rest:
 *   0..4  kcodec_decompress with that codec (none, gzip, snappy, lz4, zstd)
 *   5     kcodec_lz4_decompress_legacy
 *   6, 7  compress the rest with codec (byte >> 3) % 4 + 1 and check that it
 *         decompresses to the same bytes
 * Decompression runs with max_out 1 MiB and must keep the error rules of
 * codec.h: only OK, COMPRESSION or TOO_LARGE, out untouched on error, never
 * more than max_out appended. */
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

#define MAX_OUT (1u << 20)

static void check(int ok)
{
    if (!ok)
        abort();
}

static void decompress_one(int which, const uint8_t *in, size_t len)
{
    kbuf out = {0};
    check(kbuf_append(&out, "pre", 3) == 0);
    kfk_err err = which == 5 ? kcodec_lz4_decompress_legacy(in, len, &out, MAX_OUT)
                             : kcodec_decompress((kcodec)which, in, len, &out, MAX_OUT);
    check(err == KFK_OK || err == KFK_ERR_COMPRESSION || err == KFK_ERR_TOO_LARGE);
    check(err ? out.len == 3 : out.len - 3 <= MAX_OUT);
    check(memcmp(out.data, "pre", 3) == 0);
    kbuf_free(&out);
}

static void roundtrip(kcodec c, const uint8_t *in, size_t len)
{
    kbuf z = {0}, back = {0};
    check(kcodec_compress(c, -1, in, len, &z) == KFK_OK);
    check(kcodec_decompress(c, z.data, z.len, &back, len) == KFK_OK);
    check(back.len == len && (len == 0 || memcmp(back.data, in, len) == 0));
    kbuf_free(&z);
    kbuf_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t sel = data[0];
    int which = sel & 7;
    if (which < 6)
        decompress_one(which, data + 1, size - 1);
    else
        roundtrip((kcodec)((sel >> 3) % 4 + 1), data + 1, size - 1);
    return 0;
}
