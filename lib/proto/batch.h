/* Kafka record batches: writing v2 batches at append time (producer, mock
 * broker) and reading the `records` bytes of a Fetch response (v2 batches and
 * legacy v0/v1 message sets) without copying record bytes.
 *
 * Layout of a v2 batch (all integers big-endian; byte offsets on the left):
 *    0 baseOffset int64          27 baseTimestamp int64
 *    8 batchLength int32         35 maxTimestamp int64
 *   12 partitionLeaderEpoch i32  43 producerId int64
 *   16 magic int8 (2)            51 producerEpoch int16
 *   17 crc uint32 (CRC-32C of    53 baseSequence int32
 *      bytes 21..end)            57 recordCount int32
 *   21 attributes int16          61 records (compressed as a whole if a codec is set)
 *   23 lastOffsetDelta int32
 * A record: length varint, attributes int8, timestampDelta varlong,
 * offsetDelta varint, key (varint length, -1 = null), value (likewise),
 * header count varint, headers (key: varint length + bytes; value: varint
 * length, -1 = null, + bytes). Varints here are zigzag-encoded.
 *
 * Null versus empty: wherever a kslice stands for a nullable key or value,
 * ptr == NULL means null and any other ptr (even with len 0) means present.
 *
 * Threads: nothing here has shared state; a writer or iterator is used by
 * one thread at a time, and the bytes it points into must not change
 * meanwhile. Nothing blocks. */
#ifndef KFK_PROTO_BATCH_H
#define KFK_PROTO_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/rw.h"
#include "codec/codec.h"
#include "kfk.h"

#define KBATCH_HEADER_SIZE 61  /* v2 header, baseOffset through recordCount */
#define KBATCH_LOG_OVERHEAD 12 /* baseOffset + length: bytes not in the length */
#define KBATCH_CRC_START 21    /* the CRC covers attributes to the end */

/* v2 attribute bits. */
#define KBATCH_ATTR_CODEC_MASK 0x07
#define KBATCH_ATTR_LOG_APPEND_TIME 0x08
#define KBATCH_ATTR_TRANSACTIONAL 0x10
#define KBATCH_ATTR_CONTROL 0x20
#define KBATCH_ATTR_DELETE_HORIZON 0x40 /* KIP-534: baseTimestamp is the delete horizon */

#define KBATCH_NO_PRODUCER_ID (-1)
#define KBATCH_NO_SEQUENCE (-1)
#define KBATCH_NO_TIMESTAMP (-1)

/* Timestamp types as Kafka numbers them. */
#define KTS_NONE (-1) /* magic 0 messages carry no timestamp */
#define KTS_CREATE_TIME 0
#define KTS_LOG_APPEND_TIME 1

/* Control record types (the int16 in a control record's key). */
typedef enum kcontrol_type {
    KCONTROL_UNKNOWN = -1, /* malformed key, or not a control record */
    KCONTROL_ABORT = 0,
    KCONTROL_COMMIT = 1,
    /* 2..6 are KRaft's own (leader change, snapshots, voters) */
} kcontrol_type;

/* ---------------------------------------------------------------- writing */

/* A record header, for writing and reading. value.ptr == NULL: null value.
 * The key is never null on the wire. */
typedef struct krecord_header {
    kslice key;
    kslice value;
} krecord_header;

/* Writes one v2 batch. Records are written once, in final wire form, into
 * the caller's kbuf as they are appended; finish fills in the header.
 * The writer holds no memory of its own and needs no destroy. */
typedef struct kbatch_writer {
    kbuf *buf; /* the batch starts at buf->data + start */
    size_t start;
    size_t max_bytes; /* append refuses past this (0: no limit) */
    int64_t base_offset;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t count;
    uint16_t flags; /* KBATCH_ATTR_{TRANSACTIONAL,CONTROL,LOG_APPEND_TIME} */
} kbatch_writer;

/* Starts a batch at the end of buf: reserves the 61-byte header there.
 * base_timestamp is what record timestamps are deltas from (the Java client
 * uses the first record's timestamp). producer_id -1, epoch -1, sequence -1
 * for a non-idempotent producer. flags: KBATCH_ATTR_TRANSACTIONAL, _CONTROL,
 * _LOG_APPEND_TIME, or 0. max_bytes bounds the uncompressed batch size that
 * kbatch_writer_append lets grow (batch.size); 0 means no bound.
 * buf stays the caller's; the writer keeps a pointer to it until finish.
 * Returns KFK_OK, KFK_ERR_NO_MEMORY or KFK_ERR_INVALID_ARG (unknown flag). */
kfk_err kbatch_writer_begin(kbatch_writer *w, kbuf *buf, int64_t base_offset,
                            int64_t base_timestamp, int64_t producer_id, int16_t producer_epoch,
                            int32_t base_sequence, uint16_t flags, size_t max_bytes);

/* Appends one record. key/value: ptr NULL = null. headers: n_headers of
 * them (may be NULL when 0). Nothing is allocated beyond growing buf.
 * Returns KFK_OK; KFK_ERR_TOO_LARGE when the record would take the batch
 * past max_bytes (nothing written; the first record is always taken);
 * KFK_ERR_INVALID_ARG for a length over INT32_MAX or a batch of INT32_MAX
 * records; KFK_ERR_NO_MEMORY. */
kfk_err kbatch_writer_append(kbatch_writer *w, int64_t timestamp, kslice key, kslice value,
                             const krecord_header *headers, size_t n_headers);

/* Bytes the batch takes so far, uncompressed, header included. */
static inline size_t kbatch_writer_size(const kbatch_writer *w)
{
    return w->buf->len - w->start;
}

static inline int32_t kbatch_writer_count(const kbatch_writer *w)
{
    return w->count;
}

/* Bytes one record would add to a batch (length prefix included); an
 * accumulator can use it to decide before it appends. */
size_t kbatch_record_size(int32_t offset_delta, int64_t timestamp_delta, kslice key, kslice value,
                          const krecord_header *headers, size_t n_headers);

/* Seals the batch: fills in length, lastOffsetDelta, maxTimestamp, count,
 * attributes and CRC. With KCODEC_NONE the batch stays where it was written
 * (in the writer's buf; out is unused and may be NULL). With a codec, the
 * header and the compressed records are appended to out (level < 0: the
 * codec's default) and the writer's buf keeps the uncompressed copy, which
 * the caller may then reset. *batch is set to the finished bytes, which
 * live in buf or out respectively. An empty batch is KFK_ERR_STATE.
 * Other errors: KFK_ERR_UNSUPPORTED (not a codec), KFK_ERR_INVALID_ARG (a
 * codec but no separate out), those of kcodec_compress, KFK_ERR_TOO_LARGE
 * (over 2 GiB); on error out is as it was and the batch may be finished
 * again. */
kfk_err kbatch_writer_finish(kbatch_writer *w, kcodec codec, int level, kbuf *out, kslice *batch);

/* Rewrites producer id, epoch and base sequence of a finished v2 batch in
 * place and recomputes its CRC (KIP-360: after an epoch bump, retried
 * batches keep their records and get new producer fields). Returns KFK_OK,
 * or KFK_ERR_MALFORMED when p[0..len) is not one whole v2 batch. */
kfk_err kbatch_set_producer(uint8_t *p, size_t len, int64_t producer_id, int16_t producer_epoch,
                            int32_t base_sequence);

/* What a broker does to a batch for a topic with LogAppendTime: sets the
 * timestamp type bit and maxTimestamp to its clock, and recomputes the CRC.
 * Returns KFK_OK or KFK_ERR_MALFORMED as kbatch_set_producer. */
kfk_err kbatch_set_log_append_time(uint8_t *p, size_t len, int64_t timestamp);

/* Fields outside the CRC, which a broker assigns; p must hold at least a
 * v2 header (the caller checked). */
void kbatch_set_base_offset(uint8_t *p, int64_t base_offset);
void kbatch_set_partition_leader_epoch(uint8_t *p, int32_t epoch);

/* Appends a whole control batch of one record to out: a transaction marker
 * (type KCONTROL_COMMIT or KCONTROL_ABORT, EndTxnMarker value version 0 with
 * coordinator_epoch), transactional and control bits set, no sequence.
 * Returns KFK_OK, KFK_ERR_INVALID_ARG for another type, KFK_ERR_NO_MEMORY. */
kfk_err kbatch_write_control(kbuf *out, int64_t base_offset, int64_t timestamp, int64_t producer_id,
                             int16_t producer_epoch, kcontrol_type type, int32_t coordinator_epoch);

/* ---------------------------------------------------------------- reading */

/* One batch as found in the input. For a legacy (v0/v1) entry, which is a
 * single message or a compressed wrapper message, the v2-only fields hold
 * their "none" values and base_offset is exact only when uncompressed (a
 * wrapper's inner offsets are known after decompression). */
typedef struct kbatch {
    int64_t base_offset;
    int64_t last_offset;
    int32_t length;                 /* batchLength / message size field */
    int32_t partition_leader_epoch; /* -1 for legacy */
    int8_t magic;
    uint32_t crc; /* as stored */
    uint16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp; /* legacy v1: the message timestamp */
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t record_count; /* legacy: 1 uncompressed, -1 compressed (unknown) */
    kcodec codec;
    int8_t timestamp_type; /* KTS_* */
    bool transactional;
    bool control;
    bool has_delete_horizon; /* then delete horizon = base_timestamp */
    kslice crc_span;         /* the bytes the CRC covers */
    kslice records;          /* v2: records section (maybe compressed);
                                legacy: the whole entry, log overhead included */
} kbatch;

/* Offset the consumer continues from after this batch. A corrupt header
 * can put last_offset at INT64_MAX; that stays put instead of overflowing. */
static inline int64_t kbatch_next_offset(const kbatch *b)
{
    return b->last_offset < INT64_MAX ? b->last_offset + 1 : INT64_MAX;
}

/* Looks at the next entry of a records blob: p[0..avail). Sets *entry_len
 * to its full size (log overhead included) when its length field and magic
 * are visible, and *complete to whether all of it is there. A too-short
 * tail (a Fetch may cut the last batch) is KFK_OK with *complete false.
 * Returns KFK_ERR_MALFORMED for a length below the minimum for the magic,
 * or an unknown magic. */
kfk_err kbatch_peek(const uint8_t *p, size_t avail, size_t *entry_len, bool *complete);

/* Parses one whole v2 batch at r (its header fields, attributes, and the
 * records slice), advancing r past it. Does not check the CRC. Returns
 * KFK_OK, KFK_ERR_MALFORMED (short input, bad length, not magic 2, negative
 * record count) or KFK_ERR_UNSUPPORTED (codec id above 4). On error r is
 * failed. */
kfk_err kbatch_parse_header(kreader *r, kbatch *out);

/* Parses one legacy (v0/v1) entry: offset, size, and the outer message. */
kfk_err kbatch_parse_legacy(kreader *r, kbatch *out);

/* Checks the stored CRC: CRC-32C for v2, CRC-32 (IEEE) for legacy.
 * Returns KFK_OK or KFK_ERR_CRC. */
kfk_err kbatch_verify_crc(const kbatch *b);

/* One record, pointing into the batch (or into its decompression buffer). */
typedef struct krecord {
    int64_t offset;
    int64_t timestamp;     /* LOG_APPEND_TIME batches: their max timestamp */
    int8_t timestamp_type; /* KTS_* */
    bool control;          /* from a control batch: not for the application */
    int16_t control_type;  /* control records: the key's type, else -1 */
    kslice key;            /* ptr NULL: null */
    kslice value;          /* ptr NULL: null */
    kslice headers;        /* the raw header bytes; walk with krecord_header_next */
    int32_t header_count;
} krecord;

typedef struct krecord_header_iter {
    kreader r;
    int32_t left;
} krecord_header_iter;

static inline krecord_header_iter krecord_headers(const krecord *rec)
{
    krecord_header_iter it = {kreader_of(rec->headers.ptr, rec->headers.len), rec->header_count};
    return it;
}

/* Yields the next header into *h (slices into the record). The record
 * iterator has validated the headers, so false means only: no more. */
bool krecord_header_next(krecord_header_iter *it, krecord_header *h);

/* A transaction marker's contents. */
typedef struct kcontrol {
    int16_t key_version;
    kcontrol_type type;
    int16_t value_version; /* -1 when not a marker */
    int32_t coordinator_epoch;
} kcontrol;

/* Parses a control record's key and, for COMMIT/ABORT, its EndTxnMarker
 * value. Versions above 0 are read as version 0 (later versions may only
 * add fields). Returns KFK_OK or KFK_ERR_MALFORMED. */
kfk_err kcontrol_parse(const krecord *rec, kcontrol *out);

/* What reading needs besides the bytes. */
typedef struct kbatch_read_opts {
    int64_t start_offset; /* records below it are skipped (the fetch offset) */
    size_t max_bytes;     /* cap on one batch's decompressed size; 0: KBATCH_DEFAULT_MAX_BYTES */
    bool check_crcs;      /* check.crcs: verify batch (and legacy message) CRCs */
} kbatch_read_opts;

#define KBATCH_DEFAULT_MAX_BYTES ((size_t)64 << 20)

/* Iterates the records of one batch. Compressed records are decompressed
 * once, into the caller's scratch kbuf (reset first); records point into
 * it, so scratch must outlive them and not be touched meanwhile. */
typedef struct krecord_iter {
    kreader r;            /* records not yet read */
    int64_t start_offset; /* from opts */
    bool check_crcs;      /* from opts */
    int64_t base_offset;
    int64_t base_timestamp;
    int64_t append_time; /* used when LOG_APPEND_TIME */
    int64_t legacy_base; /* v1 wrapper: absolute = relative + legacy_base; -1: absolute */
    int32_t left;        /* v2: records still to come */
    int8_t magic;
    int8_t timestamp_type;
    bool control;
    bool legacy_wrapper; /* reading a wrapper's inner messages */
    kfk_err err;         /* why iteration stopped early; KFK_OK at a clean end */
} krecord_iter;

/* Prepares iteration over b (from kbatch_parse_header or _legacy); the
 * iterator points into b's bytes, not at b. Returns KFK_OK, or the decompression error
 * (KFK_ERR_COMPRESSION, KFK_ERR_TOO_LARGE past opts->max_bytes,
 * KFK_ERR_UNSUPPORTED, KFK_ERR_NO_MEMORY) or KFK_ERR_MALFORMED. */
kfk_err krecord_iter_init(krecord_iter *it, const kbatch *b, const kbatch_read_opts *opts,
                          kbuf *scratch);

/* Yields the next record at or past opts->start_offset. Returns false at
 * the end; then it->err is KFK_OK for a clean end, else why it stopped
 * (KFK_ERR_MALFORMED, KFK_ERR_CRC for a legacy inner message). */
bool krecord_iter_next(krecord_iter *it, krecord *rec);

/* Iterates a whole `records` blob from a Fetch partition response: v2
 * batches and legacy messages in any mix. Stops cleanly at a cut-off last
 * batch (truncated is set). Records point into the blob or into *scratch
 * (one batch's decompressed records at a time: a caller that keeps records
 * of several batches points scratch at a fresh kbuf after each new batch).
 * The blob and scratch stay the caller's. */
typedef struct krecords_iter {
    kreader r; /* at the next batch */
    kbatch_read_opts opts;
    kbuf *scratch;
    kbatch batch; /* the current batch */
    krecord_iter recs;
    bool in_batch;   /* recs is set up for batch */
    bool have_batch; /* batch holds a batch whose records were not begun */
    bool truncated;  /* stopped at an incomplete trailing batch */
    kfk_err err;     /* why iteration stopped early; KFK_OK at a clean end */
} krecords_iter;

void krecords_iter_init(krecords_iter *it, const void *blob, size_t len,
                        const kbatch_read_opts *opts, kbuf *scratch);

/* Moves to the next batch (skipping the current one's remaining records),
 * checks its CRC when opts.check_crcs, and sets *batch (valid until the
 * next call). Returns false at the end; see it->err and it->truncated. */
bool krecords_iter_next_batch(krecords_iter *it, const kbatch **batch);

/* The next record of the current batch (decompressing on the first call),
 * at or past start_offset. False at the batch's end or on error (it->err). */
bool krecords_iter_next_record(krecords_iter *it, krecord *rec);

/* The next record of the whole blob, moving across batches and skipping,
 * without decompressing them, batches wholly below start_offset. *batch
 * (may be NULL) is set to the record's batch. Control records are yielded
 * with rec->control set, so a consumer can track markers and hide them. */
bool krecords_iter_next(krecords_iter *it, krecord *rec, const kbatch **batch);

/* ------------------------------------- between the batch_*.c files only */
/* Legacy (v0/v1) halves of krecord_iter_init/_next (batch_legacy.c). */
kfk_err klegacy_iter_init(krecord_iter *it, const kbatch *b, size_t max_bytes, kbuf *scratch);
bool klegacy_iter_next(krecord_iter *it, krecord *rec);

#endif
