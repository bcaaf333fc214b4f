/* Iterating the `records` bytes of a Fetch partition response: a sequence
 * of v2 batches and legacy entries, in any mix, whose last one the broker
 * may have cut short. */
#include "proto/batch.h"

void krecords_iter_init(krecords_iter *it, const void *blob, size_t len,
                        const kbatch_read_opts *opts, kbuf *scratch)
{
    *it = (krecords_iter){
        .r = kreader_of(blob, len),
        .opts = *opts,
        .scratch = scratch,
    };
}

static bool stop(krecords_iter *it, kfk_err err)
{
    it->err = err;
    it->in_batch = it->have_batch = false;
    kreader_fail(&it->r);
    return false;
}

/* Parses the next entry into it->batch; false at the end or on error. */
static bool parse_next(krecords_iter *it)
{
    size_t avail = kreader_left(&it->r), entry_len;
    bool complete;
    if (it->err || avail == 0) return false;
    kfk_err err = kbatch_peek(it->r.p, avail, &entry_len, &complete);
    if (err) return stop(it, err);
    if (!complete) {
        /* A Fetch response may end inside a batch: not an error. */
        it->truncated = true;
        it->r.p = it->r.end;
        return false;
    }
    const uint8_t *p = kreader_take(&it->r, entry_len);
    kreader entry = kreader_of(p, entry_len);
    int8_t magic = (int8_t)p[16]; /* at the same place in every format */
    err = magic == 2 ? kbatch_parse_header(&entry, &it->batch)
                     : kbatch_parse_legacy(&entry, &it->batch);
    if (!err && it->opts.check_crcs) err = kbatch_verify_crc(&it->batch);
    return err ? stop(it, err) : true;
}

bool krecords_iter_next_batch(krecords_iter *it, const kbatch **batch)
{
    it->in_batch = it->have_batch = false;
    if (!parse_next(it)) return false;
    it->have_batch = true;
    *batch = &it->batch;
    return true;
}

bool krecords_iter_next_record(krecords_iter *it, krecord *rec)
{
    if (!it->in_batch) {
        if (!it->have_batch) return false;
        it->have_batch = false;
        kfk_err err = krecord_iter_init(&it->recs, &it->batch, &it->opts, it->scratch);
        if (err) return stop(it, err);
        it->in_batch = true;
    }
    if (krecord_iter_next(&it->recs, rec)) return true;
    it->in_batch = false;
    return it->recs.err ? stop(it, it->recs.err) : false;
}

/* Batches wholly below the fetch offset are skipped without decompressing.
 * A legacy wrapper's offset is not trusted for that: producers sent 0 there
 * (kafka-python, old librdkafka), and Java reads such sets by inner offsets. */
static bool below_start(const krecords_iter *it, const kbatch *b)
{
    if (b->magic < 2 && b->codec != KCODEC_NONE) return false;
    return b->last_offset < it->opts.start_offset;
}

bool krecords_iter_next(krecords_iter *it, krecord *rec, const kbatch **batch)
{
    for (;;) {
        if ((it->in_batch || it->have_batch) && krecords_iter_next_record(it, rec)) {
            if (batch) *batch = &it->batch;
            return true;
        }
        if (it->err) return false;
        const kbatch *b;
        do {
            if (!krecords_iter_next_batch(it, &b)) return false;
        } while (below_start(it, b));
    }
}
