/* libFuzzer target for the record batch reader (lib/proto/batch_*.c): the
 * whole Fetch `records` blob iterator, as the consumer runs it on bytes from
 * the network. The first byte picks the options, the rest is the blob:
 *   bit 0     check_crcs
 *   bit 1     start_offset = the next 8 bytes (big-endian), taken off the blob
 *   bits 2-3  max_bytes: 1 MiB, 4 KiB, 64 bytes, 64 KiB
 *   bit 4     walk batch by batch (next_batch/next_record) instead of next()
 * Every yielded slice is read end to end (so ASan sees any bad bound), headers
 * are walked, control records parsed, and the iterator's promises checked:
 * only the documented errors, records at or past start_offset, headers as
 * many as counted, decompression never past max_bytes. */
#include <stdlib.h>
#include <string.h>

#include "proto/batch.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

static volatile uint8_t sink;

static void touch(kslice s)
{
    uint8_t x = 0;
    for (size_t i = 0; i < s.len; i++)
        x ^= s.ptr[i];
    sink ^= x;
}

static void check_record(const krecords_iter *it, const krecord *rec)
{
    check(rec->offset >= it->opts.start_offset);
    touch(rec->key);
    touch(rec->value);
    touch(rec->headers);
    krecord_header_iter hi = krecord_headers(rec);
    krecord_header h;
    int32_t n = 0;
    while (krecord_header_next(&hi, &h)) {
        touch(h.key);
        touch(h.value);
        n++;
    }
    check(n == rec->header_count);
    if (rec->control) {
        kcontrol c;
        kfk_err err = kcontrol_parse(rec, &c);
        check(err == KFK_OK || err == KFK_ERR_MALFORMED);
    }
}

static void check_end(const krecords_iter *it, size_t max_bytes)
{
    kfk_err e = it->err;
    check(e == KFK_OK || e == KFK_ERR_MALFORMED || e == KFK_ERR_CRC || e == KFK_ERR_COMPRESSION ||
          e == KFK_ERR_TOO_LARGE || e == KFK_ERR_UNSUPPORTED);
    check(!it->truncated || e == KFK_OK);
    check(!it->scratch || it->scratch->len <= max_bytes);
}

static void run(const uint8_t *p, size_t n, kbatch_read_opts *opts, bool by_batch)
{
    kbuf scratch = {0};
    krecords_iter it;
    krecords_iter_init(&it, p, n, opts, &scratch);
    krecord rec;
    const kbatch *b;
    if (by_batch) {
        while (krecords_iter_next_batch(&it, &b)) {
            touch(b->records);
            while (krecords_iter_next_record(&it, &rec))
                check_record(&it, &rec);
        }
    } else {
        while (krecords_iter_next(&it, &rec, &b))
            check_record(&it, &rec);
    }
    check_end(&it, opts->max_bytes);
    kbuf_free(&scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t max_bytes[] = {1u << 20, 4096, 64, 1u << 16};
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    data++, size--;
    kbatch_read_opts opts = {.check_crcs = flags & 1, .max_bytes = max_bytes[(flags >> 2) & 3]};
    if (flags & 2) {
        if (size < 8)
            return 0;
        kreader r = kreader_of(data, 8);
        opts.start_offset = kread_i64(&r);
        data += 8, size -= 8;
    }
    run(data, size, &opts, flags & 0x10);
    return 0;
}
