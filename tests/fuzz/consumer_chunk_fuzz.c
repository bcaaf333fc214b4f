/* libFuzzer target for the consumer's chunk decoding (kchunk_decode in
 * lib/consumer/message.c): a Fetch partition's records blob from the
 * network turned into messages, as the fetcher does. The first byte picks
 * the options, the next 8 (big-endian) the fetch offset, the rest is the
 * blob:
 *   bit 0  check_crcs
 *   bit 1  read_committed, with the blob's first batch's producer aborted
 *   bit 2  decode with a chunk pool
 * Every message is read end to end (so ASan sees any bad bound), its
 * offset must be at or past the fetch offset. */
#include <stdlib.h>
#include <string.h>

#include "consumer/consumer_int.h"

static void check(int ok)
{
    if (!ok) abort();
}

static volatile uint8_t sink;

static void touch(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t x = 0;
    for (size_t i = 0; i < n; i++)
        x ^= b[i];
    sink ^= x;
}

static void read_message(const kfk_message *m, int64_t fetch_offset)
{
    size_t len;
    const void *k = kfk_message_key(m, &len);
    if (k) touch(k, len);
    const void *v = kfk_message_value(m, &len);
    if (v) touch(v, len);
    for (size_t h = 0; h < kfk_message_header_count(m); h++) {
        const char *name;
        const void *hv;
        size_t nl, hl;
        check(kfk_message_header(m, h, &name, &nl, &hv, &hl) == KFK_OK);
        touch(name, nl);
        if (hv) touch(hv, hl);
    }
    if (kfk_message_error(m) == KFK_OK) check(kfk_message_offset(m) >= fetch_offset);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9) return 0;
    uint8_t opts = data[0];
    uint64_t raw = 0;
    for (int i = 1; i < 9; i++)
        raw = (raw << 8) | data[i];
    int64_t fetch_offset = (int64_t)(raw >> 1); /* never negative */
    kslice blob = {data + 9, size - 9};
    static kcpart p = {.topic = "fuzz", .partition = 0};
    kp_fetch_response_partition_data pd;
    kp_fetch_response_partition_data_init(&pd);
    pd.records = blob;
    kp_fetch_response_aborted_transaction aborted = {.producer_id = 0, .first_offset = 0};
    if (opts & 2 && blob.len >= 51) {
        uint64_t pid = 0;
        for (int i = 43; i < 51; i++) /* the first batch's producer id */
            pid = (pid << 8) | blob.ptr[i];
        aborted.producer_id = (int64_t)pid;
        pd.aborted_transactions = &aborted;
        pd.n_aborted_transactions = 1;
    }
    kchunk_pool *pool = opts & 4 ? kchunk_pool_new() : NULL;
    krbuf *frame = krbuf_new(1);
    check(frame != NULL);
    kdecode_opts o = {.fetch_offset = fetch_offset,
                      .check_crcs = opts & 1,
                      .read_committed = (opts & 2) != 0,
                      .pool = pool};
    kchunk *ch = NULL;
    int64_t next;
    /* Any error is fine; libFuzzer's malloc limit catches an allocation
     * sized by a header rather than by the bytes. */
    kchunk_decode(&p, 0, &pd, frame, &o, &ch, &next);
    if (ch) {
        for (int i = 0; i < ch->n; i++)
            read_message(&ch->msgs[i], fetch_offset);
        kchunk_unref(ch);
    }
    krbuf_unref(frame);
    if (pool) kchunk_pool_unref(pool);
    return 0;
}
