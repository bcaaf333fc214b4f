/* The Kafka protocol's composite encodings, shared by the generated message
 * code in lib/proto/gen: strings, bytes and arrays in their classic
 * (int16/int32 length) and compact (unsigned varint length + 1) forms,
 * nullability, UUIDs and tagged-field sections.
 *
 * Conventions of every generated message:
 *  - strings, bytes and records are kslices; ptr NULL means null. Decoding
 *    is zero-copy: slices point into the decoded input, which must outlive
 *    the message.
 *  - an array is a pointer plus an int32_t count named n_<field>; count -1
 *    means null. Decoded arrays live in a karena.
 *  - encoding is two passes: an exact size, one reservation, then writes
 *    into reserved space through a kwriter that cannot run out of room.
 *
 * `flex` arguments say whether the version in use is a flexible one
 * (compact encodings); `nullable` whether the field may be null in it. */
#ifndef KFK_PROTO_WIRE_H
#define KFK_PROTO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "base/rw.h"
#include "kfk.h"
#include "proto/arena.h"

/* A UUID as its 16 wire bytes (big-endian most significant half first). */
typedef struct kuuid {
    uint8_t b[16];
} kuuid;

static inline bool kuuid_is_zero(const kuuid *u)
{
    static const kuuid zero;
    return memcmp(u->b, zero.b, 16) == 0;
}

/* A non-null empty string, the default of non-nullable string fields. */
#define KWIRE_EMPTY ((kslice){(const uint8_t *)"", 0})

/* A kslice viewing a NUL-terminated string (without the NUL); NULL gives
 * a null slice. */
static inline kslice kwire_cstr(const char *s)
{
    kslice r = {(const uint8_t *)s, s ? strlen(s) : 0};
    return r;
}

static inline bool kwire_eq(kslice a, kslice b)
{
    if (!a.ptr || !b.ptr)
        return a.ptr == b.ptr;
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* The longest string the protocol carries (Java's limit, in bytes). */
#define KWIRE_MAX_STRING 0x7fff

/* --- sizes ---------------------------------------------------------------- */

static inline size_t kw_str_size(kslice s, int flex)
{
    if (flex)
        return s.ptr ? kuvarint_size((uint64_t)s.len + 1) + s.len : 1;
    return 2 + (s.ptr ? s.len : 0);
}

static inline size_t kw_bytes_size(kslice s, int flex)
{
    if (flex)
        return s.ptr ? kuvarint_size((uint64_t)s.len + 1) + s.len : 1;
    return 4 + (s.ptr ? s.len : 0);
}

/* The length prefix of an array of n elements (n < 0: null). */
static inline size_t kw_array_len_size(int32_t n, int flex)
{
    if (flex)
        return n >= 0 ? kuvarint_size((uint64_t)n + 1) : 1;
    return 4;
}

/* An array of fixed-size elements, prefix included. */
static inline size_t kw_fixed_array_size(int32_t n, size_t elem, int flex)
{
    return kw_array_len_size(n, flex) + (n > 0 ? (size_t)n * elem : 0);
}

size_t kw_str_array_size(const kslice *p, int32_t n, int flex);

/* The bytes a tagged field takes: tag, length, value. */
static inline size_t kw_tag_size(uint32_t tag, size_t value_len)
{
    return kuvarint_size(tag) + kuvarint_size(value_len) + value_len;
}

/* --- writing into reserved space ------------------------------------------ */

typedef struct kwriter {
    uint8_t *p;
    int err; /* the first kfk_err a write hit, or 0 */
    struct kgather *gather; /* the output's, when it gathers */
    uint8_t *base;          /* the output's data, for kgather_ext.at */
    size_t gathered;        /* bytes of fields left out of the reserved space */
} kwriter;

/* Byte fields a gathering encode left where they are: the sender writes
 * each one right before the output byte at `at` (scatter-gather), so that
 * record batches reach the socket without a copy into the output. */
typedef struct kgather_ext {
    size_t at;
    kslice s;
} kgather_ext;

typedef struct kgather {
    kgather_ext *v;
    size_t n, cap;
    size_t min;     /* fields at least this long are gathered; 0: none */
    uint64_t total; /* bytes ever gathered, for frame lengths */
} kgather;

void kgather_free(kgather *g);

/* Reserves exactly n bytes at the end of out and points w at them.
 * Returns 0 or KFK_ERR_NO_MEMORY. */
int kwriter_begin(kwriter *w, kbuf *out, size_t n);
/* Ends an encoding begun with kwriter_begin: on success the n bytes become
 * part of out; on error out is left as it was. Returns 0 or w's error. */
int kwriter_end(kwriter *w, kbuf *out, size_t n);

static inline void kw_fail(kwriter *w, int err)
{
    if (!w->err)
        w->err = err;
}

static inline void kw_u8(kwriter *w, uint8_t v) { *w->p++ = v; }
static inline void kw_i8(kwriter *w, int8_t v) { *w->p++ = (uint8_t)v; }
static inline void kw_bool(kwriter *w, bool v) { *w->p++ = v ? 1 : 0; }
static inline void kw_u16(kwriter *w, uint16_t v) { w->p += kput_u16(w->p, v); }
static inline void kw_i16(kwriter *w, int16_t v) { w->p += kput_u16(w->p, (uint16_t)v); }
static inline void kw_u32(kwriter *w, uint32_t v) { w->p += kput_u32(w->p, v); }
static inline void kw_i32(kwriter *w, int32_t v) { w->p += kput_u32(w->p, (uint32_t)v); }
static inline void kw_i64(kwriter *w, int64_t v) { w->p += kput_u64(w->p, (uint64_t)v); }
static inline void kw_uvarint(kwriter *w, uint64_t v) { w->p += kput_uvarint(w->p, v); }
static inline void kw_f64(kwriter *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    w->p += kput_u64(w->p, bits);
}
static inline void kw_uuid(kwriter *w, const kuuid *u)
{
    memcpy(w->p, u->b, 16);
    w->p += 16;
}
static inline void kw_raw(kwriter *w, const void *p, size_t n)
{
    if (n)
        memcpy(w->p, p, n);
    w->p += n;
}

/* kw_raw for a byte field's bytes: left in place when the output gathers
 * and the field is long enough. */
void kw_field_bytes(kwriter *w, kslice s);

/* Each of these fails w with KFK_ERR_INVALID_ARG (writing nothing) for a
 * null where the version has no null, a string over KWIRE_MAX_STRING bytes
 * or an array count below -1. */
void kw_str(kwriter *w, kslice s, int flex, int nullable);
void kw_bytes(kwriter *w, kslice s, int flex, int nullable);
void kw_array_len(kwriter *w, int32_t n, int flex, int nullable);
void kw_i8_array(kwriter *w, const int8_t *p, int32_t n, int flex, int nullable);
void kw_i16_array(kwriter *w, const int16_t *p, int32_t n, int flex, int nullable);
void kw_i32_array(kwriter *w, const int32_t *p, int32_t n, int flex, int nullable);
void kw_i64_array(kwriter *w, const int64_t *p, int32_t n, int flex, int nullable);
void kw_uuid_array(kwriter *w, const kuuid *p, int32_t n, int flex, int nullable);
void kw_str_array(kwriter *w, const kslice *p, int32_t n, int flex, int nullable);

/* The presence byte of a struct field that is nullable in this version
 * (-1 null, 1 present); returns whether the struct itself follows. */
static inline bool kw_struct_marker(kwriter *w, const void *p, int nullable)
{
    if (nullable)
        kw_i8(w, p ? 1 : -1);
    else if (!p)
        kw_fail(w, KFK_ERR_INVALID_ARG);
    return p != NULL;
}

/* Starts a tagged field: its tag and the length of its value. */
static inline void kw_tag(kwriter *w, uint32_t tag, size_t value_len)
{
    kw_uvarint(w, tag);
    kw_uvarint(w, value_len);
}

/* --- reading ---------------------------------------------------------------
 * Readers follow kreader's sticky error: a failure empties r and sets
 * r->err (1 for malformed input, KFK_ERR_NO_MEMORY when the arena could not
 * grow); the decoded fields are then unspecified. */

static inline void kr_oom(kreader *r)
{
    r->err = KFK_ERR_NO_MEMORY;
    r->p = r->end;
}

/* kfk_err for a finished decode: 0, KFK_ERR_MALFORMED or KFK_ERR_NO_MEMORY. */
static inline int kr_result(const kreader *r)
{
    if (!r->err)
        return 0;
    return r->err == KFK_ERR_NO_MEMORY ? KFK_ERR_NO_MEMORY : KFK_ERR_MALFORMED;
}

static inline bool kr_bool(kreader *r) { return kread_u8(r) != 0; }
static inline double kr_f64(kreader *r)
{
    uint64_t bits = kread_u64(r);
    double v;
    memcpy(&v, &bits, 8);
    return v;
}
static inline void kr_uuid(kreader *r, kuuid *u)
{
    const uint8_t *p = kreader_take(r, 16);
    if (p)
        memcpy(u->b, p, 16);
}

void kr_str(kreader *r, kslice *out, int flex, int nullable);
void kr_bytes(kreader *r, kslice *out, int flex, int nullable);

/* Reads an array's length into *n (-1: null) and returns room for its
 * elements from a (NULL when *n <= 0). min_wire is the fewest bytes one
 * element takes on the wire: a count the remaining input cannot hold fails
 * r before anything is allocated. */
void *kr_array(kreader *r, karena *a, int32_t *n, size_t elem_size, size_t min_wire, int flex,
               int nullable);
void kr_i8_array(kreader *r, karena *a, int8_t **p, int32_t *n, int flex, int nullable);
void kr_i16_array(kreader *r, karena *a, int16_t **p, int32_t *n, int flex, int nullable);
void kr_i32_array(kreader *r, karena *a, int32_t **p, int32_t *n, int flex, int nullable);
void kr_i64_array(kreader *r, karena *a, int64_t **p, int32_t *n, int flex, int nullable);
void kr_uuid_array(kreader *r, karena *a, kuuid **p, int32_t *n, int flex, int nullable);
void kr_str_array(kreader *r, karena *a, kslice **p, int32_t *n, int flex, int nullable);

/* Room for a struct that the wire says is present; NULL (and r failed on
 * exhaustion) otherwise. With nullable, reads the presence byte first. */
void *kr_struct(kreader *r, karena *a, size_t size, int nullable);
/* The same for a tagged struct field, whose null marker is a varint. */
void *kr_tagged_struct(kreader *r, karena *a, size_t size, int nullable);

/* Tagged-field sections. kr_tag reads one field's header and returns a
 * reader over just its value, which r skips; kr_tag_done carries a failure
 * of that reader back to r. kr_skip_tags skips a section without looking. */
kreader kr_tag(kreader *r, uint32_t *tag);
static inline void kr_tag_done(kreader *r, const kreader *t)
{
    if (t->err && !r->err) {
        r->err = t->err;
        r->p = r->end;
    }
}
void kr_skip_tags(kreader *r);

#endif
