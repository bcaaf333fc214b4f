/* Reading v2 record batches. Every length is checked against the bytes
 * that are left before anything is taken, records are slices of the input
 * (or of the one decompression buffer), and nothing is allocated here
 * except by the decompressor, which is capped. */
#include "proto/batch.h"

#include <zlib.h>

#include "base/crc32c.h"

#define V2_MIN_LENGTH (KBATCH_HEADER_SIZE - KBATCH_LOG_OVERHEAD) /* 49 */
#define V0_MIN_SIZE 14 /* crc, magic, attributes, key and value lengths */
#define V1_MIN_SIZE 22 /* the same plus a timestamp */

kfk_err kbatch_peek(const uint8_t *p, size_t avail, size_t *entry_len, bool *complete)
{
    *complete = false;
    *entry_len = 0;
    if (avail < KBATCH_LOG_OVERHEAD) return KFK_OK;
    kreader r = kreader_of(p + 8, 4);
    int32_t length = kread_i32(&r);
    if (length < V0_MIN_SIZE) return KFK_ERR_MALFORMED;
    *entry_len = KBATCH_LOG_OVERHEAD + (size_t)length;
    if (avail <= 16) return KFK_OK; /* the magic byte is not here yet */
    int8_t magic = (int8_t)p[16];
    int32_t min = magic == 2 ? V2_MIN_LENGTH : magic == 1 ? V1_MIN_SIZE : V0_MIN_SIZE;
    if (magic < 0 || magic > 2 || length < min) return KFK_ERR_MALFORMED;
    *complete = avail >= *entry_len;
    return KFK_OK;
}

static void set_attributes(kbatch *b)
{
    uint16_t a = b->attributes;
    b->codec = (kcodec)(a & KBATCH_ATTR_CODEC_MASK);
    b->timestamp_type = (a & KBATCH_ATTR_LOG_APPEND_TIME) ? KTS_LOG_APPEND_TIME : KTS_CREATE_TIME;
    b->transactional = (a & KBATCH_ATTR_TRANSACTIONAL) != 0;
    b->control = (a & KBATCH_ATTR_CONTROL) != 0;
    b->has_delete_horizon = (a & KBATCH_ATTR_DELETE_HORIZON) != 0;
}

static void read_header_fields(kreader *h, kbatch *b)
{
    b->base_offset = kread_i64(h);
    b->length = kread_i32(h);
    b->partition_leader_epoch = kread_i32(h);
    b->magic = kread_i8(h);
    b->crc = kread_u32(h);
    b->attributes = kread_u16(h);
    b->last_offset_delta = kread_i32(h);
    b->base_timestamp = kread_i64(h);
    b->max_timestamp = kread_i64(h);
    b->producer_id = kread_i64(h);
    b->producer_epoch = kread_i16(h);
    b->base_sequence = kread_i32(h);
    b->record_count = kread_i32(h);
}

kfk_err kbatch_parse_header(kreader *r, kbatch *out)
{
    const uint8_t *start = r->p;
    size_t left = kreader_left(r);
    if (r->err || left < KBATCH_HEADER_SIZE) {
        kreader_fail(r);
        return KFK_ERR_MALFORMED;
    }
    kreader h = kreader_of(start, KBATCH_HEADER_SIZE);
    read_header_fields(&h, out);
    if (out->magic != 2 || out->length < V2_MIN_LENGTH ||
        (size_t)out->length > left - KBATCH_LOG_OVERHEAD || out->record_count < 0) {
        kreader_fail(r);
        return KFK_ERR_MALFORMED;
    }
    size_t total = KBATCH_LOG_OVERHEAD + (size_t)out->length;
    kreader_take(r, total);
    set_attributes(out);
    out->last_offset = (int64_t)((uint64_t)out->base_offset + (uint64_t)out->last_offset_delta);
    out->crc_span = (kslice){start + KBATCH_CRC_START, total - KBATCH_CRC_START};
    out->records = (kslice){start + KBATCH_HEADER_SIZE, total - KBATCH_HEADER_SIZE};
    if (out->codec > KCODEC_ZSTD) {
        kreader_fail(r);
        return KFK_ERR_UNSUPPORTED;
    }
    return KFK_OK;
}

kfk_err kbatch_verify_crc(const kbatch *b)
{
    uint32_t crc;
    if (b->magic == 2)
        crc = kcrc32c(0, b->crc_span.ptr, b->crc_span.len);
    else
        crc = (uint32_t)crc32(0, b->crc_span.ptr, (uInt)b->crc_span.len);
    return crc == b->crc ? KFK_OK : KFK_ERR_CRC;
}

/* A varint length then that many bytes; -1 is null, other negatives fail. */
static bool read_nullable(kreader *r, kslice *out)
{
    int32_t n = kread_varint32(r);
    if (r->err || n < -1) return kreader_fail(r);
    if (n == -1) {
        *out = (kslice){NULL, 0};
        return true;
    }
    const uint8_t *p = kreader_take(r, (size_t)n);
    *out = (kslice){p, (size_t)n};
    return p != NULL;
}

/* The record loop reads through a bare pointer and end instead of a
 * kreader, with the one- and two-byte varints inline: the fields of a
 * record are mostly that short (a 100-byte value's length takes two), and
 * the generic reader's checked loop and stores cost more than the rest of
 * the parse. Longer varints go through the generic reader. */
static inline bool get_uvarint(const uint8_t **pp, const uint8_t *end, int max_bytes,
                               uint64_t *v)
{
    const uint8_t *p = *pp;
    if (p < end && p[0] < 0x80) {
        *v = p[0];
        *pp = p + 1;
        return true;
    }
    if (end - p >= 2 && p[1] < 0x80) {
        *v = (p[0] & 0x7fu) | (uint32_t)p[1] << 7;
        *pp = p + 2;
        return true;
    }
    kreader r = kreader_of(p, (size_t)(end - p));
    *v = kread_uvarint_n(&r, max_bytes);
    *pp = r.p;
    return !r.err;
}

static inline bool get_varint32(const uint8_t **pp, const uint8_t *end, int32_t *out)
{
    uint64_t v;
    if (!get_uvarint(pp, end, 5, &v)) return false;
    *out = kzigzag_dec32((uint32_t)v);
    return true;
}

static inline bool get_varint64(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    uint64_t v;
    if (!get_uvarint(pp, end, 10, &v)) return false;
    *out = kzigzag_dec64(v);
    return true;
}

/* A nullable byte string: length -1 is null (ptr NULL), others must fit. */
static inline bool get_nullable(const uint8_t **pp, const uint8_t *end, kslice *out)
{
    int32_t n;
    if (!get_varint32(pp, end, &n) || n < -1) return false;
    if (n == -1) {
        *out = (kslice){NULL, 0};
        return true;
    }
    if ((size_t)n > (size_t)(end - *pp)) return false;
    *out = (kslice){*pp, (size_t)n};
    *pp += n;
    return true;
}

/* Walks n headers to prove they lie exactly inside the record, so that
 * krecord_header_next never meets a bad one. */
static bool skip_headers(kreader *r, int32_t n)
{
    kslice s;
    for (int32_t i = 0; i < n; i++) {
        int32_t klen = kread_varint32(r);
        if (r->err || klen < 0 || !kreader_take(r, (size_t)klen) || !read_nullable(r, &s))
            return kreader_fail(r);
    }
    return true;
}

static int16_t control_type_of(kslice key)
{
    if (!key.ptr || key.len < 4) return KCONTROL_UNKNOWN;
    kreader r = kreader_of(key.ptr, key.len);
    int16_t version = kread_i16(&r);
    int16_t type = kread_i16(&r);
    return version < 0 ? KCONTROL_UNKNOWN : type;
}

/* Parses the record body p[0..end) (its length prefix already read) into
 * rec; the body must end exactly at end. */
static bool parse_record_body(krecord_iter *it, const uint8_t *p, const uint8_t *end,
                              krecord *rec)
{
    if (p == end) return false;
    p++; /* record attributes: unused */
    int64_t ts_delta;
    int32_t offset_delta, n_headers;
    if (!get_varint64(&p, end, &ts_delta) || !get_varint32(&p, end, &offset_delta) ||
        !get_nullable(&p, end, &rec->key) || !get_nullable(&p, end, &rec->value) ||
        !get_varint32(&p, end, &n_headers) || n_headers < 0)
        return false;
    const uint8_t *headers = p;
    if (n_headers) {
        kreader b = kreader_of(p, (size_t)(end - p));
        if (!skip_headers(&b, n_headers)) return false;
        p = b.p;
    }
    if (p != end) return false;
    rec->headers = (kslice){headers, (size_t)(p - headers)};
    rec->header_count = n_headers;
    rec->offset = (int64_t)((uint64_t)it->base_offset + (uint64_t)(int64_t)offset_delta);
    rec->timestamp_type = it->timestamp_type;
    rec->timestamp = it->timestamp_type == KTS_LOG_APPEND_TIME
                         ? it->append_time
                         : (int64_t)((uint64_t)it->base_timestamp + (uint64_t)ts_delta);
    rec->control = it->control;
    rec->control_type = it->control ? control_type_of(rec->key) : KCONTROL_UNKNOWN;
    return true;
}

static bool fail_iter(krecord_iter *it, kfk_err err)
{
    it->err = err;
    it->left = 0;
    kreader_fail(&it->r);
    return false;
}

static bool next_record_v2(krecord_iter *it, krecord *rec)
{
    for (;;) {
        if (it->left == 0) {
            /* Bytes past the declared count mean a corrupt batch. */
            if (kreader_left(&it->r) != 0) return fail_iter(it, KFK_ERR_MALFORMED);
            return false;
        }
        const uint8_t *p = it->r.p, *end = it->r.end;
        int32_t len;
        if (it->r.err || !get_varint32(&p, end, &len) || len < 0 || (size_t)len > (size_t)(end - p))
            return fail_iter(it, KFK_ERR_MALFORMED);
        it->r.p = p + len;
        it->left--;
        if (!parse_record_body(it, p, p + len, rec)) return fail_iter(it, KFK_ERR_MALFORMED);
        if (rec->offset >= it->start_offset) return true;
    }
}

static kfk_err decompress_into(kcodec codec, kslice in, size_t max_bytes, kbuf *scratch)
{
    if (!scratch) return KFK_ERR_INVALID_ARG;
    kbuf_reset(scratch);
    return kcodec_decompress(codec, in.ptr, in.len, scratch, max_bytes);
}

kfk_err krecord_iter_init(krecord_iter *it, const kbatch *b, const kbatch_read_opts *opts,
                          kbuf *scratch)
{
    size_t max_bytes = opts->max_bytes ? opts->max_bytes : KBATCH_DEFAULT_MAX_BYTES;
    *it = (krecord_iter){
        .start_offset = opts->start_offset,
        .check_crcs = opts->check_crcs,
        .base_offset = b->base_offset,
        .base_timestamp = b->base_timestamp,
        .append_time = b->max_timestamp,
        .legacy_base = -1,
        .left = b->record_count,
        .magic = b->magic,
        .timestamp_type = b->timestamp_type,
        .control = b->control,
    };
    kfk_err err = KFK_OK;
    if (b->magic < 2)
        err = klegacy_iter_init(it, b, max_bytes, scratch);
    else if (b->record_count < 0)
        err = KFK_ERR_MALFORMED;
    else if (b->codec == KCODEC_NONE)
        it->r = kreader_of(b->records.ptr, b->records.len);
    else if (!(err = decompress_into(b->codec, b->records, max_bytes, scratch)))
        it->r = kreader_of(scratch->data, scratch->len);
    if (err) fail_iter(it, err);
    return err;
}

bool krecord_iter_next(krecord_iter *it, krecord *rec)
{
    if (it->err) return false;
    return it->magic < 2 ? klegacy_iter_next(it, rec) : next_record_v2(it, rec);
}

bool krecord_header_next(krecord_header_iter *it, krecord_header *h)
{
    if (it->left <= 0) return false;
    int32_t klen = kread_varint32(&it->r);
    const uint8_t *k = klen >= 0 ? kreader_take(&it->r, (size_t)klen) : NULL;
    if (!k || !read_nullable(&it->r, &h->value)) {
        it->left = 0;
        return false;
    }
    h->key = (kslice){k, (size_t)klen};
    it->left--;
    return true;
}

kfk_err kcontrol_parse(const krecord *rec, kcontrol *out)
{
    if (!rec->key.ptr || rec->key.len < 4) return KFK_ERR_MALFORMED;
    kreader k = kreader_of(rec->key.ptr, rec->key.len);
    out->key_version = kread_i16(&k);
    out->type = (kcontrol_type)kread_i16(&k);
    out->value_version = -1;
    out->coordinator_epoch = -1;
    if (out->key_version < 0) return KFK_ERR_MALFORMED;
    if (out->type != KCONTROL_ABORT && out->type != KCONTROL_COMMIT) return KFK_OK;
    if (!rec->value.ptr || rec->value.len < 6) return KFK_ERR_MALFORMED;
    kreader v = kreader_of(rec->value.ptr, rec->value.len);
    out->value_version = kread_i16(&v);
    out->coordinator_epoch = kread_i32(&v);
    return out->value_version < 0 ? KFK_ERR_MALFORMED : KFK_OK;
}
