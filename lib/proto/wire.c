#include "proto/wire.h"

#include <assert.h>
#include <stdlib.h>

/* --- sizes ---------------------------------------------------------------- */

size_t kw_str_array_size(const kslice *p, int32_t n, int flex)
{
    size_t size = kw_array_len_size(n, flex);
    for (int32_t i = 0; i < n; i++)
        size += kw_str_size(p[i], flex);
    return size;
}

/* --- writing -------------------------------------------------------------- */

int kwriter_begin(kwriter *w, kbuf *out, size_t n)
{
    w->err = 0;
    w->gather = out->gather;
    w->gathered = 0;
    if (kbuf_reserve(out, n)) {
        w->p = NULL;
        return KFK_ERR_NO_MEMORY;
    }
    w->p = out->data + out->len;
    w->base = out->data;
    return 0;
}

int kwriter_end(kwriter *w, kbuf *out, size_t n)
{
    if (w->err)
        return w->err;
    /* The size pass and the write pass walk the same fields under the same
     * conditions; a difference is a generator bug. */
    assert(w->p + w->gathered == out->data + out->len + n);
    out->len += n - w->gathered;
    return 0;
}

void kgather_free(kgather *g)
{
    free(g->v);
    g->v = NULL;
    g->n = g->cap = 0;
}

void kw_field_bytes(kwriter *w, kslice s)
{
    kgather *g = w->gather;
    if (!g || !g->min || s.len < g->min) {
        kw_raw(w, s.ptr, s.len);
        return;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        kgather_ext *v = realloc(g->v, cap * sizeof(*v));
        if (!v) { /* copied then, as without gathering */
            kw_raw(w, s.ptr, s.len);
            return;
        }
        g->v = v;
        g->cap = cap;
    }
    g->v[g->n++] = (kgather_ext){(size_t)(w->p - w->base), s};
    g->total += s.len;
    w->gathered += s.len;
}

static bool write_null(kwriter *w, int nullable, int flex, int classic_width)
{
    if (!nullable) {
        kw_fail(w, KFK_ERR_INVALID_ARG);
        return false;
    }
    if (flex)
        kw_u8(w, 0);
    else if (classic_width == 2)
        kw_i16(w, -1);
    else
        kw_i32(w, -1);
    return true;
}

void kw_str(kwriter *w, kslice s, int flex, int nullable)
{
    if (!s.ptr) {
        write_null(w, nullable, flex, 2);
        return;
    }
    if (s.len > KWIRE_MAX_STRING) {
        kw_fail(w, KFK_ERR_INVALID_ARG);
        return;
    }
    if (flex)
        kw_uvarint(w, s.len + 1);
    else
        kw_i16(w, (int16_t)s.len);
    kw_raw(w, s.ptr, s.len);
}

void kw_bytes(kwriter *w, kslice s, int flex, int nullable)
{
    if (!s.ptr) {
        write_null(w, nullable, flex, 4);
        return;
    }
    if (s.len > INT32_MAX - 1) {
        kw_fail(w, KFK_ERR_INVALID_ARG);
        return;
    }
    if (flex)
        kw_uvarint(w, s.len + 1);
    else
        kw_i32(w, (int32_t)s.len);
    kw_field_bytes(w, s);
}

void kw_array_len(kwriter *w, int32_t n, int flex, int nullable)
{
    if (n < -1) {
        kw_fail(w, KFK_ERR_INVALID_ARG);
        return;
    }
    if (n == -1) {
        write_null(w, nullable, flex, 4);
        return;
    }
    if (flex)
        kw_uvarint(w, (uint64_t)n + 1);
    else
        kw_i32(w, n);
}

void kw_i8_array(kwriter *w, const int8_t *p, int32_t n, int flex, int nullable)
{
    kw_array_len(w, n, flex, nullable);
    for (int32_t i = 0; i < n; i++)
        kw_i8(w, p[i]);
}

void kw_i16_array(kwriter *w, const int16_t *p, int32_t n, int flex, int nullable)
{
    kw_array_len(w, n, flex, nullable);
    for (int32_t i = 0; i < n; i++)
        kw_i16(w, p[i]);
}

void kw_i32_array(kwriter *w, const int32_t *p, int32_t n, int flex, int nullable)
{
    kw_array_len(w, n, flex, nullable);
    for (int32_t i = 0; i < n; i++)
        kw_i32(w, p[i]);
}

void kw_i64_array(kwriter *w, const int64_t *p, int32_t n, int flex, int nullable)
{
    kw_array_len(w, n, flex, nullable);
    for (int32_t i = 0; i < n; i++)
        kw_i64(w, p[i]);
}

void kw_uuid_array(kwriter *w, const kuuid *p, int32_t n, int flex, int nullable)
{
    kw_array_len(w, n, flex, nullable);
    for (int32_t i = 0; i < n; i++)
        kw_uuid(w, &p[i]);
}

void kw_str_array(kwriter *w, const kslice *p, int32_t n, int flex, int nullable)
{
    kw_array_len(w, n, flex, nullable);
    for (int32_t i = 0; i < n; i++)
        kw_str(w, p[i], flex, 0); /* elements are never null */
}

/* --- reading -------------------------------------------------------------- */

/* Reads a classic (signed) or compact (varint + 1) length; -1 is null.
 * Returns -2 on a malformed length (r already failed). */
static int64_t read_len(kreader *r, int flex, int classic_width)
{
    if (flex) {
        uint32_t v = kread_uvarint32(r);
        return r->err ? -2 : (int64_t)v - 1;
    }
    int64_t v = classic_width == 2 ? kread_i16(r) : kread_i32(r);
    if (r->err)
        return -2;
    return v < 0 ? -1 : v; /* Java reads any negative length as null */
}

static void read_slice(kreader *r, kslice *out, int flex, int nullable, int classic_width,
                       size_t max)
{
    int64_t len = read_len(r, flex, classic_width);
    if (len == -2)
        return;
    if (len == -1) {
        if (!nullable)
            kreader_fail(r);
        out->ptr = NULL;
        out->len = 0;
        return;
    }
    if ((uint64_t)len > max) {
        kreader_fail(r);
        return;
    }
    const uint8_t *p = kreader_take(r, (size_t)len);
    if (p) {
        out->ptr = p;
        out->len = (size_t)len;
    }
}

void kr_str(kreader *r, kslice *out, int flex, int nullable)
{
    read_slice(r, out, flex, nullable, 2, KWIRE_MAX_STRING);
}

void kr_bytes(kreader *r, kslice *out, int flex, int nullable)
{
    read_slice(r, out, flex, nullable, 4, INT32_MAX - 1);
}

void *kr_array(kreader *r, karena *a, int32_t *n, size_t elem_size, size_t min_wire, int flex,
               int nullable)
{
    int64_t len = read_len(r, flex, 4);
    *n = 0;
    if (len == -2)
        return NULL;
    if (len == -1) {
        if (!nullable)
            kreader_fail(r);
        else
            *n = -1;
        return NULL;
    }
    if (min_wire == 0)
        min_wire = 1;
    if ((uint64_t)len > kreader_left(r) / min_wire) {
        kreader_fail(r);
        return NULL;
    }
    if (len == 0)
        return NULL;
    void *p = karena_alloc(a, (size_t)len * elem_size);
    if (!p) {
        kr_oom(r);
        return NULL;
    }
    *n = (int32_t)len;
    return p;
}

void kr_i8_array(kreader *r, karena *a, int8_t **p, int32_t *n, int flex, int nullable)
{
    int8_t *v = kr_array(r, a, n, sizeof(*v), 1, flex, nullable);
    for (int32_t i = 0; i < *n; i++)
        v[i] = kread_i8(r);
    *p = v;
}

void kr_i16_array(kreader *r, karena *a, int16_t **p, int32_t *n, int flex, int nullable)
{
    int16_t *v = kr_array(r, a, n, sizeof(*v), 2, flex, nullable);
    for (int32_t i = 0; i < *n; i++)
        v[i] = kread_i16(r);
    *p = v;
}

void kr_i32_array(kreader *r, karena *a, int32_t **p, int32_t *n, int flex, int nullable)
{
    int32_t *v = kr_array(r, a, n, sizeof(*v), 4, flex, nullable);
    for (int32_t i = 0; i < *n; i++)
        v[i] = kread_i32(r);
    *p = v;
}

void kr_i64_array(kreader *r, karena *a, int64_t **p, int32_t *n, int flex, int nullable)
{
    int64_t *v = kr_array(r, a, n, sizeof(*v), 8, flex, nullable);
    for (int32_t i = 0; i < *n; i++)
        v[i] = kread_i64(r);
    *p = v;
}

void kr_uuid_array(kreader *r, karena *a, kuuid **p, int32_t *n, int flex, int nullable)
{
    kuuid *v = kr_array(r, a, n, sizeof(*v), 16, flex, nullable);
    for (int32_t i = 0; i < *n; i++)
        kr_uuid(r, &v[i]);
    *p = v;
}

void kr_str_array(kreader *r, karena *a, kslice **p, int32_t *n, int flex, int nullable)
{
    kslice *v = kr_array(r, a, n, sizeof(*v), flex ? 1 : 2, flex, nullable);
    for (int32_t i = 0; i < *n; i++) {
        v[i] = KWIRE_EMPTY;
        kr_str(r, &v[i], flex, 0);
    }
    *p = v;
}

static void *alloc_struct(kreader *r, karena *a, size_t size)
{
    if (r->err)
        return NULL;
    void *p = karena_alloc(a, size);
    if (!p)
        kr_oom(r);
    return p;
}

void *kr_struct(kreader *r, karena *a, size_t size, int nullable)
{
    if (nullable && kread_i8(r) < 0)
        return NULL;
    return alloc_struct(r, a, size);
}

void *kr_tagged_struct(kreader *r, karena *a, size_t size, int nullable)
{
    if (nullable && kread_uvarint32(r) == 0)
        return NULL;
    return alloc_struct(r, a, size);
}

kreader kr_tag(kreader *r, uint32_t *tag)
{
    *tag = kread_uvarint32(r);
    uint32_t len = kread_uvarint32(r);
    const uint8_t *p = kreader_take(r, len);
    /* On failure r is empty and failed; so is t, without a NULL base. */
    kreader t = {p ? p : r->p, p ? p + len : r->p, r->err};
    return t;
}

void kr_skip_tags(kreader *r)
{
    uint32_t n = kread_uvarint32(r);
    for (uint32_t i = 0; i < n && !r->err; i++) {
        kread_uvarint32(r); /* tag */
        kreader_take(r, kread_uvarint32(r));
    }
}
