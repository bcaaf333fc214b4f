/* Writing v2 record batches: records go into the batch buffer once, in wire
 * form, when they are appended; finish only fills in the header (and, with a
 * codec, compresses the records section once). */
#include "proto/batch.h"

#include "base/crc32c.h"

#define ALLOWED_FLAGS                                                                              \
    (KBATCH_ATTR_TRANSACTIONAL | KBATCH_ATTR_CONTROL | KBATCH_ATTR_LOG_APPEND_TIME)

/* Header field offsets inside a v2 batch. */
enum {
    OFF_BASE_OFFSET = 0,
    OFF_LENGTH = 8,
    OFF_LEADER_EPOCH = 12,
    OFF_MAGIC = 16,
    OFF_CRC = 17,
    OFF_ATTRIBUTES = 21,
    OFF_LAST_OFFSET_DELTA = 23,
    OFF_BASE_TIMESTAMP = 27,
    OFF_MAX_TIMESTAMP = 35,
    OFF_PRODUCER_ID = 43,
    OFF_PRODUCER_EPOCH = 51,
    OFF_BASE_SEQUENCE = 53,
    OFF_RECORD_COUNT = 57,
};

/* A nullable byte string: varint length (-1 for null) and the bytes. */
static size_t nullable_size(kslice s)
{
    return s.ptr ? kvarint32_size((int32_t)s.len) + s.len : 1;
}

static size_t headers_size(const krecord_header *h, size_t n)
{
    size_t sz = kvarint32_size((int32_t)n);
    for (size_t i = 0; i < n; i++)
        sz += kvarint32_size((int32_t)h[i].key.len) + h[i].key.len + nullable_size(h[i].value);
    return sz;
}

/* Size of a record after its length prefix. */
static size_t record_body_size(int32_t offset_delta, int64_t ts_delta, kslice key, kslice value,
                               const krecord_header *h, size_t n)
{
    return 1 + kvarint64_size(ts_delta) + kvarint32_size(offset_delta) + nullable_size(key) +
           nullable_size(value) + headers_size(h, n);
}

size_t kbatch_record_size(int32_t offset_delta, int64_t timestamp_delta, kslice key, kslice value,
                          const krecord_header *headers, size_t n_headers)
{
    size_t body = record_body_size(offset_delta, timestamp_delta, key, value, headers, n_headers);
    return kvarint32_size((int32_t)body) + body;
}

static size_t put_varint32(uint8_t *p, int32_t v)
{
    return kput_uvarint(p, kzigzag_enc32(v));
}

static size_t put_nullable(uint8_t *p, kslice s)
{
    if (!s.ptr) return put_varint32(p, -1);
    size_t n = put_varint32(p, (int32_t)s.len);
    if (s.len) memcpy(p + n, s.ptr, s.len);
    return n + s.len;
}

static size_t put_record(uint8_t *p, size_t body, int32_t offset_delta, int64_t ts_delta,
                         kslice key, kslice value, const krecord_header *h, size_t n)
{
    uint8_t *q = p;
    q += put_varint32(q, (int32_t)body);
    *q++ = 0; /* record attributes: unused */
    q += kput_uvarint(q, kzigzag_enc64(ts_delta));
    q += put_varint32(q, offset_delta);
    q += put_nullable(q, key);
    q += put_nullable(q, value);
    q += put_varint32(q, (int32_t)n);
    for (size_t i = 0; i < n; i++) {
        q += put_nullable(q, h[i].key);
        q += put_nullable(q, h[i].value);
    }
    return (size_t)(q - p);
}

/* Every length must fit the protocol's int32; a header key is never null. */
static bool record_args_ok(kslice key, kslice value, const krecord_header *h, size_t n)
{
    if (key.len > INT32_MAX || value.len > INT32_MAX || n > INT32_MAX || (n && !h)) return false;
    if ((!key.ptr && key.len) || (!value.ptr && value.len)) return false;
    for (size_t i = 0; i < n; i++) {
        if (h[i].key.len > INT32_MAX || h[i].value.len > INT32_MAX) return false;
        if ((!h[i].key.ptr && h[i].key.len) || (!h[i].value.ptr && h[i].value.len)) return false;
    }
    return true;
}

kfk_err kbatch_writer_begin(kbatch_writer *w, kbuf *buf, int64_t base_offset,
                            int64_t base_timestamp, int64_t producer_id, int16_t producer_epoch,
                            int32_t base_sequence, uint16_t flags, size_t max_bytes)
{
    if (flags & ~ALLOWED_FLAGS) return KFK_ERR_INVALID_ARG;
    size_t start = buf->len;
    uint8_t *hdr = kbuf_extend(buf, KBATCH_HEADER_SIZE);
    if (!hdr) return KFK_ERR_NO_MEMORY;
    memset(hdr, 0, KBATCH_HEADER_SIZE);
    *w = (kbatch_writer){
        .buf = buf,
        .start = start,
        .max_bytes = max_bytes,
        .base_offset = base_offset,
        .base_timestamp = base_timestamp,
        .max_timestamp = KBATCH_NO_TIMESTAMP,
        .producer_id = producer_id,
        .producer_epoch = producer_epoch,
        .base_sequence = base_sequence,
        .flags = flags,
    };
    return KFK_OK;
}

/* The common record, without headers and at most 2^28 bytes: the same
 * bytes as put_record writes, in a few straight-line steps, since most
 * of a small record's cost is here. KFK_ERR_UNSUPPORTED when the general
 * path must take it. */
static kfk_err append_plain(kbatch_writer *w, int64_t timestamp, kslice key, kslice value)
{
    if (key.len >= (1u << 28) || value.len >= (1u << 28) || (!key.ptr && key.len) ||
        (!value.ptr && value.len))
        return KFK_ERR_UNSUPPORTED;
    int64_t ts_delta = (int64_t)((uint64_t)timestamp - (uint64_t)w->base_timestamp);
    uint64_t ts_zz = kzigzag_enc64(ts_delta);
    uint32_t off_zz = kzigzag_enc32(w->count);
    uint32_t key_zz = key.ptr ? kzigzag_enc32((int32_t)key.len) : 1; /* -1: null */
    uint32_t val_zz = value.ptr ? kzigzag_enc32((int32_t)value.len) : 1;
    size_t body = 2 + kuvarint_size(ts_zz) + kuvarint_size(off_zz) + kuvarint_size(key_zz) +
                  (key.ptr ? key.len : 0) + kuvarint_size(val_zz) + (value.ptr ? value.len : 0);
    size_t total = kuvarint_size(kzigzag_enc32((int32_t)body)) + body;
    if (w->count > 0 && w->max_bytes && kbatch_writer_size(w) + total > w->max_bytes)
        return KFK_ERR_TOO_LARGE;
    if (kbuf_reserve(w->buf, total)) return KFK_ERR_NO_MEMORY;
    uint8_t *q = w->buf->data + w->buf->len;
    q += kput_uvarint(q, kzigzag_enc32((int32_t)body));
    *q++ = 0; /* record attributes: unused */
    q += kput_uvarint(q, ts_zz);
    q += kput_uvarint(q, off_zz);
    q += kput_uvarint(q, key_zz);
    if (key.len) memcpy(q, key.ptr, key.len);
    q += key.len;
    q += kput_uvarint(q, val_zz);
    if (value.len) memcpy(q, value.ptr, value.len);
    q += value.len;
    *q++ = 0; /* no headers */
    w->buf->len += total;
    if (w->count == 0 || timestamp > w->max_timestamp) w->max_timestamp = timestamp;
    w->count++;
    return KFK_OK;
}

kfk_err kbatch_writer_append(kbatch_writer *w, int64_t timestamp, kslice key, kslice value,
                             const krecord_header *headers, size_t n_headers)
{
    if (w->count == INT32_MAX) return KFK_ERR_INVALID_ARG;
    if (!n_headers) {
        kfk_err err = append_plain(w, timestamp, key, value);
        if (err != KFK_ERR_UNSUPPORTED) return err;
    }
    if (!record_args_ok(key, value, headers, n_headers)) return KFK_ERR_INVALID_ARG;
    /* Unsigned arithmetic: the delta wraps the way Java's long subtraction does. */
    int64_t ts_delta = (int64_t)((uint64_t)timestamp - (uint64_t)w->base_timestamp);
    size_t body = record_body_size(w->count, ts_delta, key, value, headers, n_headers);
    if (body > INT32_MAX) return KFK_ERR_INVALID_ARG;
    size_t total = kvarint32_size((int32_t)body) + body;
    if (w->count > 0 && w->max_bytes && kbatch_writer_size(w) + total > w->max_bytes)
        return KFK_ERR_TOO_LARGE;
    if (kbuf_reserve(w->buf, total)) return KFK_ERR_NO_MEMORY;
    uint8_t *p = w->buf->data + w->buf->len;
    w->buf->len += put_record(p, body, w->count, ts_delta, key, value, headers, n_headers);
    if (w->count == 0 || timestamp > w->max_timestamp) w->max_timestamp = timestamp;
    w->count++;
    return KFK_OK;
}

/* Whether p[0..len) is one whole v2 batch, as far as its header says. */
static bool whole_v2_batch(const uint8_t *p, size_t len)
{
    if (len < KBATCH_HEADER_SIZE || p[OFF_MAGIC] != 2) return false;
    kreader r = kreader_of(p + OFF_LENGTH, 4);
    return (size_t)kread_i32(&r) == len - KBATCH_LOG_OVERHEAD;
}

static void put_crc(uint8_t *p, size_t len)
{
    kput_u32(p + OFF_CRC, kcrc32c(0, p + KBATCH_CRC_START, len - KBATCH_CRC_START));
}

static void put_header(uint8_t *p, const kbatch_writer *w, uint16_t attributes, size_t total)
{
    kput_u64(p + OFF_BASE_OFFSET, (uint64_t)w->base_offset);
    kput_u32(p + OFF_LENGTH, (uint32_t)(total - KBATCH_LOG_OVERHEAD));
    kput_u32(p + OFF_LEADER_EPOCH, (uint32_t)-1);
    p[OFF_MAGIC] = 2;
    kput_u16(p + OFF_ATTRIBUTES, attributes);
    kput_u32(p + OFF_LAST_OFFSET_DELTA, (uint32_t)(w->count - 1));
    kput_u64(p + OFF_BASE_TIMESTAMP, (uint64_t)w->base_timestamp);
    kput_u64(p + OFF_MAX_TIMESTAMP, (uint64_t)w->max_timestamp);
    kput_u64(p + OFF_PRODUCER_ID, (uint64_t)w->producer_id);
    kput_u16(p + OFF_PRODUCER_EPOCH, (uint16_t)w->producer_epoch);
    kput_u32(p + OFF_BASE_SEQUENCE, (uint32_t)w->base_sequence);
    kput_u32(p + OFF_RECORD_COUNT, (uint32_t)w->count);
    put_crc(p, total);
}

/* Header plus compressed records, appended to out. */
static kfk_err finish_compressed(kbatch_writer *w, kcodec codec, int level, kbuf *out,
                                 kslice *batch)
{
    size_t at = out->len;
    if (!kbuf_extend(out, KBATCH_HEADER_SIZE)) return KFK_ERR_NO_MEMORY;
    const uint8_t *recs = w->buf->data + w->start + KBATCH_HEADER_SIZE;
    size_t recs_len = kbatch_writer_size(w) - KBATCH_HEADER_SIZE;
    kfk_err err = kcodec_compress(codec, level, recs, recs_len, out);
    size_t total = out->len - at;
    if (!err && total - KBATCH_LOG_OVERHEAD > INT32_MAX) err = KFK_ERR_TOO_LARGE;
    if (err) {
        out->len = at;
        return err;
    }
    put_header(out->data + at, w, (uint16_t)(w->flags | codec), total);
    *batch = (kslice){out->data + at, total};
    return KFK_OK;
}

kfk_err kbatch_writer_finish(kbatch_writer *w, kcodec codec, int level, kbuf *out, kslice *batch)
{
    if (w->count == 0) return KFK_ERR_STATE;
    if ((unsigned)codec > KCODEC_ZSTD) return KFK_ERR_UNSUPPORTED;
    if (codec != KCODEC_NONE) {
        if (!out || out == w->buf) return KFK_ERR_INVALID_ARG;
        return finish_compressed(w, codec, level, out, batch);
    }
    size_t total = kbatch_writer_size(w);
    if (total - KBATCH_LOG_OVERHEAD > INT32_MAX) return KFK_ERR_TOO_LARGE;
    put_header(w->buf->data + w->start, w, w->flags, total);
    *batch = (kslice){w->buf->data + w->start, total};
    return KFK_OK;
}

kfk_err kbatch_set_producer(uint8_t *p, size_t len, int64_t producer_id, int16_t producer_epoch,
                            int32_t base_sequence)
{
    if (!whole_v2_batch(p, len)) return KFK_ERR_MALFORMED;
    kput_u64(p + OFF_PRODUCER_ID, (uint64_t)producer_id);
    kput_u16(p + OFF_PRODUCER_EPOCH, (uint16_t)producer_epoch);
    kput_u32(p + OFF_BASE_SEQUENCE, (uint32_t)base_sequence);
    put_crc(p, len);
    return KFK_OK;
}

kfk_err kbatch_set_log_append_time(uint8_t *p, size_t len, int64_t timestamp)
{
    if (!whole_v2_batch(p, len)) return KFK_ERR_MALFORMED;
    p[OFF_ATTRIBUTES + 1] |= KBATCH_ATTR_LOG_APPEND_TIME;
    kput_u64(p + OFF_MAX_TIMESTAMP, (uint64_t)timestamp);
    put_crc(p, len);
    return KFK_OK;
}

void kbatch_set_base_offset(uint8_t *p, int64_t base_offset)
{
    kput_u64(p + OFF_BASE_OFFSET, (uint64_t)base_offset);
}

void kbatch_set_partition_leader_epoch(uint8_t *p, int32_t epoch)
{
    kput_u32(p + OFF_LEADER_EPOCH, (uint32_t)epoch);
}

kfk_err kbatch_write_control(kbuf *out, int64_t base_offset, int64_t timestamp, int64_t producer_id,
                             int16_t producer_epoch, kcontrol_type type, int32_t coordinator_epoch)
{
    if (type != KCONTROL_ABORT && type != KCONTROL_COMMIT) return KFK_ERR_INVALID_ARG;
    uint8_t key[4], value[6];
    kput_u16(key, 0); /* ControlRecordTypeSchema version 0 */
    kput_u16(key + 2, (uint16_t)type);
    kput_u16(value, 0); /* EndTxnMarker version 0 */
    kput_u32(value + 2, (uint32_t)coordinator_epoch);
    size_t at = out->len;
    kbatch_writer w;
    kfk_err err =
        kbatch_writer_begin(&w, out, base_offset, timestamp, producer_id, producer_epoch,
                            KBATCH_NO_SEQUENCE, KBATCH_ATTR_TRANSACTIONAL | KBATCH_ATTR_CONTROL, 0);
    if (!err)
        err = kbatch_writer_append(&w, timestamp, (kslice){key, 4}, (kslice){value, 6}, NULL, 0);
    kslice batch;
    if (!err) err = kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &batch);
    if (err) out->len = at;
    return err;
}
