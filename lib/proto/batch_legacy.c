/* Reading legacy message sets (magic 0 and 1), which brokers before 0.11
 * wrote and old segments may still hold. An entry is
 *   offset int64, size int32, crc uint32 (CRC-32 of magic..end), magic int8,
 *   attributes int8 (codec bits 0-2; v1: bit 3 LOG_APPEND_TIME),
 *   v1 only: timestamp int64, key (int32 length, -1 null), value (likewise).
 * A compressed entry is a wrapper whose value is a compressed message set
 * of inner entries. In v1 the inner offsets are relative (0..n-1) and the
 * wrapper carries the absolute offset of the last one; in v0 they are
 * absolute. Decode only: kfk never writes these. */
#include "proto/batch.h"

#include <zlib.h>

#define LEGACY_MIN_SIZE 14
#define LEGACY_CODEC_MASK 0x07
#define LEGACY_ATTR_LOG_APPEND_TIME 0x08

typedef struct legacy_msg {
    int64_t offset;
    int32_t size;
    uint32_t crc;
    int8_t magic;
    uint8_t attributes;
    int64_t timestamp;
    kslice crc_span; /* magic..end */
    kslice key;      /* ptr NULL: null */
    kslice value;
} legacy_msg;

static bool read_bytes32(kreader *r, kslice *out)
{
    int32_t n = kread_i32(r);
    if (r->err || n < -1) return kreader_fail(r);
    if (n == -1) {
        *out = (kslice){NULL, 0};
        return true;
    }
    const uint8_t *p = kreader_take(r, (size_t)n);
    *out = (kslice){p, (size_t)n};
    return p != NULL;
}

/* Parses one entry at r; the message must fill its size field exactly. */
static kfk_err parse_msg(kreader *r, legacy_msg *m)
{
    m->offset = kread_i64(r);
    m->size = kread_i32(r);
    if (r->err || m->size < LEGACY_MIN_SIZE || (size_t)m->size > kreader_left(r))
        return kreader_fail(r), KFK_ERR_MALFORMED;
    const uint8_t *body = kreader_take(r, (size_t)m->size);
    kreader b = kreader_of(body, (size_t)m->size);
    m->crc = kread_u32(&b);
    m->crc_span = (kslice){b.p, (size_t)m->size - 4};
    m->magic = kread_i8(&b);
    m->attributes = kread_u8(&b);
    if (m->magic != 0 && m->magic != 1) return kreader_fail(r), KFK_ERR_MALFORMED;
    m->timestamp = m->magic == 1 ? kread_i64(&b) : KBATCH_NO_TIMESTAMP;
    if (!read_bytes32(&b, &m->key) || !read_bytes32(&b, &m->value) || kreader_left(&b) != 0)
        return kreader_fail(r), KFK_ERR_MALFORMED;
    /* zstd (4) never existed for these formats; 5-7 are not codecs at all. */
    if ((m->attributes & LEGACY_CODEC_MASK) > KCODEC_LZ4) return kreader_fail(r), KFK_ERR_MALFORMED;
    return KFK_OK;
}

static int8_t msg_timestamp_type(const legacy_msg *m)
{
    if (m->magic == 0) return KTS_NONE;
    return (m->attributes & LEGACY_ATTR_LOG_APPEND_TIME) ? KTS_LOG_APPEND_TIME : KTS_CREATE_TIME;
}

kfk_err kbatch_parse_legacy(kreader *r, kbatch *out)
{
    const uint8_t *start = r->p;
    legacy_msg m;
    kfk_err err = parse_msg(r, &m);
    if (err) return err;
    kcodec codec = (kcodec)(m.attributes & LEGACY_CODEC_MASK);
    if (codec != KCODEC_NONE && !m.value.ptr) return kreader_fail(r), KFK_ERR_MALFORMED;
    *out = (kbatch){
        .base_offset = m.offset,
        .last_offset = m.offset,
        .length = m.size,
        .partition_leader_epoch = -1,
        .magic = m.magic,
        .crc = m.crc,
        .attributes = m.attributes,
        .base_timestamp = m.timestamp,
        .max_timestamp = m.timestamp,
        .producer_id = KBATCH_NO_PRODUCER_ID,
        .producer_epoch = -1,
        .base_sequence = KBATCH_NO_SEQUENCE,
        .record_count = codec == KCODEC_NONE ? 1 : -1,
        .codec = codec,
        .timestamp_type = msg_timestamp_type(&m),
        .crc_span = m.crc_span,
        .records = {start, (size_t)(r->p - start)},
    };
    return KFK_OK;
}

/* The last inner offset of a decompressed v1 message set, which the
 * wrapper's offset maps to. False when the set is empty or malformed. */
static bool last_inner_offset(kreader r, int64_t *last)
{
    bool any = false;
    while (kreader_left(&r) > 0) {
        int64_t offset = kread_i64(&r);
        int32_t size = kread_i32(&r);
        if (r.err || size < LEGACY_MIN_SIZE || !kreader_take(&r, (size_t)size)) return false;
        *last = offset;
        any = true;
    }
    return any;
}

static kfk_err decompress_wrapper(const legacy_msg *w, size_t max_bytes, kbuf *scratch)
{
    if (!scratch) return KFK_ERR_INVALID_ARG;
    kbuf_reset(scratch);
    kcodec codec = (kcodec)(w->attributes & LEGACY_CODEC_MASK);
    /* KAFKA-3160: v0 LZ4 frames carry a header checksum computed wrongly. */
    if (codec == KCODEC_LZ4 && w->magic == 0)
        return kcodec_lz4_decompress_legacy(w->value.ptr, w->value.len, scratch, max_bytes);
    return kcodec_decompress(codec, w->value.ptr, w->value.len, scratch, max_bytes);
}

kfk_err klegacy_iter_init(krecord_iter *it, const kbatch *b, size_t max_bytes, kbuf *scratch)
{
    it->r = kreader_of(b->records.ptr, b->records.len);
    if (b->codec == KCODEC_NONE) return KFK_OK; /* the entry itself is the one record */
    legacy_msg w;
    kreader r = it->r;
    kfk_err err = parse_msg(&r, &w);
    if (!err) err = decompress_wrapper(&w, max_bytes, scratch);
    if (err) return err;
    it->r = kreader_of(scratch->data, scratch->len);
    it->legacy_wrapper = true;
    it->timestamp_type = msg_timestamp_type(&w);
    it->append_time = w.timestamp;
    int64_t last;
    if (!last_inner_offset(it->r, &last)) return KFK_ERR_MALFORMED;
    if (w.magic == 0) return KFK_OK; /* inner offsets are absolute */
    /* Some librdkafka versions sent wrapper offset 0; brokers then
     * assigned nothing and the inner offsets are the offsets. */
    if (w.offset == 0)
        it->legacy_base = 0;
    else if (w.offset < last)
        return KFK_ERR_MALFORMED;
    else
        it->legacy_base = w.offset - last;
    return KFK_OK;
}

static bool fail_iter(krecord_iter *it, kfk_err err)
{
    it->err = err;
    kreader_fail(&it->r);
    return false;
}

static void set_timestamp(const krecord_iter *it, const legacy_msg *m, krecord *rec)
{
    if (m->magic == 0) {
        rec->timestamp = KBATCH_NO_TIMESTAMP;
        rec->timestamp_type = KTS_NONE;
    } else if (it->legacy_wrapper) {
        /* Inner v1 messages take the wrapper's type; LOG_APPEND_TIME also
         * means the wrapper's timestamp, which the broker set. */
        rec->timestamp_type = it->timestamp_type;
        rec->timestamp = it->timestamp_type == KTS_LOG_APPEND_TIME ? it->append_time : m->timestamp;
    } else {
        rec->timestamp = m->timestamp;
        rec->timestamp_type = msg_timestamp_type(m);
    }
}

bool klegacy_iter_next(krecord_iter *it, krecord *rec)
{
    while (kreader_left(&it->r) > 0) {
        legacy_msg m;
        if (parse_msg(&it->r, &m)) return fail_iter(it, KFK_ERR_MALFORMED);
        if (it->legacy_wrapper && (m.attributes & LEGACY_CODEC_MASK) != KCODEC_NONE)
            return fail_iter(it, KFK_ERR_MALFORMED); /* wrappers do not nest */
        /* The outer message's CRC is the batch's; inner ones are checked here. */
        if (it->legacy_wrapper && it->check_crcs &&
            (uint32_t)crc32(0, m.crc_span.ptr, (uInt)m.crc_span.len) != m.crc)
            return fail_iter(it, KFK_ERR_CRC);
        rec->offset = it->legacy_base >= 0
                          ? (int64_t)((uint64_t)it->legacy_base + (uint64_t)m.offset)
                          : m.offset;
        if (rec->offset < it->start_offset) continue;
        set_timestamp(it, &m, rec);
        rec->key = m.key;
        rec->value = m.value;
        rec->headers = (kslice){NULL, 0};
        rec->header_count = 0;
        rec->control = false;
        rec->control_type = KCONTROL_UNKNOWN;
        return true;
    }
    return false;
}
