/* Bounds-checked reading and appending of the primitive encodings the Kafka
 * protocol is made of: big-endian integers and (zigzag) varints.
 *
 * A kreader never reads past its end: on a short or malformed input it sets
 * `err` and every later read returns 0, so decoders can read a whole
 * structure and check `err` once at the end. */
#ifndef KFK_BASE_RW_H
#define KFK_BASE_RW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"

typedef struct kreader {
    const uint8_t *p;
    const uint8_t *end;
    int err; /* nonzero once any read failed */
} kreader;

/* A reader over p[0..len). p may be NULL when len is 0 (an empty kbuf's
 * data is): NULL + 0 is undefined behaviour, so such a reader gets a real
 * address instead; NULL with a length is a failed reader. */
static inline kreader kreader_of(const void *p, size_t len)
{
    static const uint8_t empty[1];
    if (!p) {
        kreader none = {empty, empty, len != 0};
        return none;
    }
    kreader r = {(const uint8_t *)p, (const uint8_t *)p + len, 0};
    return r;
}

static inline size_t kreader_left(const kreader *r)
{
    return (size_t)(r->end - r->p);
}

/* Marks r failed and empties it; returns 0 so callers can `return kreader_fail(r)`. */
static inline int kreader_fail(kreader *r)
{
    r->err = 1;
    r->p = r->end;
    return 0;
}

/* Returns a pointer to the next n bytes and skips them, or NULL (and fails r). */
static inline const uint8_t *kreader_take(kreader *r, size_t n)
{
    if (kreader_left(r) < n) {
        kreader_fail(r);
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

static inline uint8_t kread_u8(kreader *r)
{
    const uint8_t *p = kreader_take(r, 1);
    return p ? p[0] : 0;
}

static inline uint16_t kread_u16(kreader *r)
{
    const uint8_t *p = kreader_take(r, 2);
    return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

static inline uint32_t kread_u32(kreader *r)
{
    const uint8_t *p = kreader_take(r, 4);
    return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3] : 0;
}

static inline uint64_t kread_u64(kreader *r)
{
    uint64_t hi = kread_u32(r);
    return (hi << 32) | kread_u32(r);
}

static inline int8_t kread_i8(kreader *r)
{
    return (int8_t)kread_u8(r);
}
static inline int16_t kread_i16(kreader *r)
{
    return (int16_t)kread_u16(r);
}
static inline int32_t kread_i32(kreader *r)
{
    return (int32_t)kread_u32(r);
}
static inline int64_t kread_i64(kreader *r)
{
    return (int64_t)kread_u64(r);
}

/* Unsigned LEB128 varint of at most 5 bytes (32 bits) / 10 bytes (64 bits). */
static inline uint64_t kread_uvarint_n(kreader *r, int max_bytes)
{
    uint64_t v = 0;
    for (int i = 0, shift = 0; i < max_bytes; i++, shift += 7) {
        if (r->p >= r->end) return kreader_fail(r);
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    return kreader_fail(r); /* too long */
}

static inline uint32_t kread_uvarint32(kreader *r)
{
    return (uint32_t)kread_uvarint_n(r, 5);
}
static inline uint64_t kread_uvarint64(kreader *r)
{
    return kread_uvarint_n(r, 10);
}

static inline int32_t kzigzag_dec32(uint32_t v)
{
    return (int32_t)(v >> 1) ^ -(int32_t)(v & 1);
}
static inline int64_t kzigzag_dec64(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}
static inline uint32_t kzigzag_enc32(int32_t v)
{
    return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
}
static inline uint64_t kzigzag_enc64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int32_t kread_varint32(kreader *r)
{
    return kzigzag_dec32(kread_uvarint32(r));
}
static inline int64_t kread_varint64(kreader *r)
{
    return kzigzag_dec64(kread_uvarint64(r));
}

/* Encoded sizes. */
static inline size_t kuvarint_size(uint64_t v)
{
    /* A byte per started 7 bits, without a loop: (9 * bits + 64) / 64
     * is ceil(bits / 7) for the 1..64 significant bits v can have. */
    unsigned bits = 64u - (unsigned)__builtin_clzll(v | 1);
    return (bits * 9u + 64u) / 64u;
}
static inline size_t kvarint32_size(int32_t v)
{
    return kuvarint_size(kzigzag_enc32(v));
}
static inline size_t kvarint64_size(int64_t v)
{
    return kuvarint_size(kzigzag_enc64(v));
}

/* Raw stores into memory the caller has reserved; each returns the byte count. */
static inline size_t kput_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}
static inline size_t kput_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return 4;
}
static inline size_t kput_u64(uint8_t *p, uint64_t v)
{
    kput_u32(p, (uint32_t)(v >> 32));
    kput_u32(p + 4, (uint32_t)v);
    return 8;
}
static inline size_t kput_uvarint(uint8_t *p, uint64_t v)
{
    if (v < 0x80) { /* most lengths and deltas */
        p[0] = (uint8_t)v;
        return 1;
    }
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Appending to a kbuf. Each returns 0, or -1 when memory is exhausted. */
static inline int kwrite_u8(kbuf *b, uint8_t v)
{
    return kbuf_append(b, &v, 1);
}
static inline int kwrite_u16(kbuf *b, uint16_t v)
{
    uint8_t *p = kbuf_extend(b, 2);
    return p ? (kput_u16(p, v), 0) : -1;
}
static inline int kwrite_u32(kbuf *b, uint32_t v)
{
    uint8_t *p = kbuf_extend(b, 4);
    return p ? (kput_u32(p, v), 0) : -1;
}
static inline int kwrite_u64(kbuf *b, uint64_t v)
{
    uint8_t *p = kbuf_extend(b, 8);
    return p ? (kput_u64(p, v), 0) : -1;
}
static inline int kwrite_i8(kbuf *b, int8_t v)
{
    return kwrite_u8(b, (uint8_t)v);
}
static inline int kwrite_i16(kbuf *b, int16_t v)
{
    return kwrite_u16(b, (uint16_t)v);
}
static inline int kwrite_i32(kbuf *b, int32_t v)
{
    return kwrite_u32(b, (uint32_t)v);
}
static inline int kwrite_i64(kbuf *b, int64_t v)
{
    return kwrite_u64(b, (uint64_t)v);
}
static inline int kwrite_uvarint(kbuf *b, uint64_t v)
{
    if (kbuf_reserve(b, 10)) return -1;
    b->len += kput_uvarint(b->data + b->len, v);
    return 0;
}
static inline int kwrite_varint32(kbuf *b, int32_t v)
{
    return kwrite_uvarint(b, kzigzag_enc32(v));
}
static inline int kwrite_varint64(kbuf *b, int64_t v)
{
    return kwrite_uvarint(b, kzigzag_enc64(v));
}

#endif
