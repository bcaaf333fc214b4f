/* codec_compress CODEC [LEVEL] < plain > compressed
 * Compresses stdin with kfk's codec (lib/codec) for tools/golden/codec-vectors,
 * which hands the output to the Java client to decode. */
#include <stdio.h>
#include <stdlib.h>

#include "codec/codec.h"

int main(int argc, char **argv)
{
    kcodec c;
    if (argc < 2 || argc > 3 || !kcodec_from_name(argv[1], &c)) {
        fprintf(stderr, "usage: codec_compress gzip|snappy|lz4|zstd [LEVEL] < in > out\n");
        return 2;
    }
    int level = argc == 3 ? atoi(argv[2]) : KCODEC_LEVEL_DEFAULT;
    kbuf in = {0}, out = {0};
    size_t n;
    do {
        if (kbuf_reserve(&in, 65536))
            return 1;
        n = fread(in.data + in.len, 1, in.cap - in.len, stdin);
        in.len += n;
    } while (n > 0);
    kfk_err err = kcodec_compress_level(c, level, in.data, in.len, &out);
    if (err) {
        fprintf(stderr, "codec_compress: %s: error %d\n", argv[1], err);
        return 1;
    }
    fwrite(out.data, 1, out.len, stdout);
    kbuf_free(&in);
    kbuf_free(&out);
    kcodec_thread_cleanup();
    return ferror(stdout) ? 1 : 0;
}
