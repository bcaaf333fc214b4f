"""Test fixtures: C that fills any message with seeded values
(lib/proto/gen/fill_test.inc, included by the unit tests only)."""

from cmsg import BANNER_ALL, CTYPE, Ctx, and_cond, block, cond, emit_body, flex_expr, \
    init_name, n_acc

# --- test fixtures ----------------------------------------------------------

FILL_PRELUDE = """\
/* Test fixtures: kpfill_request/kpfill_response/kpfill_header set every
 * field a version has to a value drawn from a seeded generator, so tests
 * can round-trip every message at every version. Included by unit tests
 * only; arrays come from the kfill's arena. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "proto/arena.h"
#include "proto/gen/all.h"

typedef struct kfill {
    uint64_t state;
    karena *a;
    int oom; /* set when the arena ran out */
} kfill;

static inline uint64_t kfill_next(kfill *g)
{
    uint64_t z = (g->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static inline int kfill_pick(kfill *g, int n) { return (int)(kfill_next(g) % (uint64_t)n); }

/* Integers: small, boundary or any 64 bits; callers narrow. */
static inline uint64_t kfill_int(kfill *g)
{
    switch (kfill_pick(g, 4)) {
    case 0: return (uint64_t)kfill_pick(g, 3) - 1;
    case 1: return (uint64_t)kfill_pick(g, 300);
    default: return kfill_next(g);
    }
}

static inline double kfill_f64(kfill *g) { return (double)(int32_t)kfill_int(g) / 8.0; }

/* ASCII text, so that Java reads and writes it back unchanged; lengths
 * cover empty, one-byte and two-byte compact length prefixes. */
static const char kfill_text[] =
    "kfk-topic.0_KFK-partition-leader-epoch.1_the-quick-brown-fox-jumps-over-"
    "the-lazy-dog.2_0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQR"
    "STUVWXYZ.3_kafka-protocol-strings-of-many-lengths-to-cross-varint-edges";

static inline kslice kfill_str(kfill *g, int nullable)
{
    static const size_t lens[] = {0, 1, 3, 9, 126, 127, 200};
    if (nullable && kfill_pick(g, 4) == 0)
        return (kslice){NULL, 0};
    size_t len = lens[kfill_pick(g, 7)];
    size_t off = (size_t)kfill_pick(g, (int)(sizeof(kfill_text) - 1 - len) + 1);
    return (kslice){(const uint8_t *)kfill_text + off, len};
}

static inline kslice kfill_bytes(kfill *g, int nullable)
{
    static const uint8_t bytes[300] = {0, 1, 2, 0xff, 0x80, 0x7f, 0xfe, 0x10};
    static const size_t lens[] = {0, 1, 5, 127, 128, 300};
    if (nullable && kfill_pick(g, 4) == 0)
        return (kslice){NULL, 0};
    size_t len = lens[kfill_pick(g, 6)];
    return (kslice){bytes + (300 - len), len};
}

static inline void kfill_uuid(kfill *g, kuuid *u)
{
    uint64_t hi = kfill_next(g), lo = kfill_next(g);
    for (int i = 0; i < 8; i++) {
        u->b[i] = (uint8_t)(hi >> (56 - 8 * i));
        u->b[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
}

/* Room for 0..2 elements (or null: *n = -1); NULL when none. */
static inline void *kfill_array(kfill *g, int32_t *n, size_t elem, int nullable)
{
    if (nullable && kfill_pick(g, 4) == 0) {
        *n = -1;
        return NULL;
    }
    *n = kfill_pick(g, 3);
    if (*n == 0)
        return NULL;
    void *p = karena_alloc(g->a, (size_t)*n * elem);
    if (!p) {
        g->oom = 1;
        *n = 0;
    }
    return p;
}

static inline void *kfill_struct(kfill *g, size_t size, int nullable)
{
    if (nullable && kfill_pick(g, 3) == 0)
        return NULL;
    void *p = karena_alloc(g->a, size);
    if (!p)
        g->oom = 1;
    return p;
}
"""


def fill_field_lines(f, acc, ctx):
    nul = ctx.nullable(f)
    if f.is_array:
        cnt = n_acc(acc, f)
        lines = ["%s = kfill_array(g, &%s, sizeof(*%s), %s);" % (acc, cnt, acc, nul)]
        if f.is_struct:
            lines += ["for (int32_t i = 0; i < %s; i++)" % cnt,
                      "    fill_%s(&%s[i], v, g);" % (f.struct.ctype, acc)]
        else:
            lines += ["for (int32_t i = 0; i < %s; i++)" % cnt,
                      "    " + fill_scalar(f.elem, "%s[i]" % acc, "0")]
        return lines
    if f.is_struct:
        if f.pointer:
            return ["%s = kfill_struct(g, sizeof(*%s), %s);" % (acc, acc, nul),
                    "if (%s)" % acc,
                    "    fill_%s(%s, v, g);" % (f.struct.ctype, acc)]
        return ["fill_%s(&%s, v, g);" % (f.struct.ctype, acc)]
    return [fill_scalar(f.elem, acc, nul)]


def fill_scalar(elem, acc, nul):
    if elem == "string":
        return "%s = kfill_str(g, %s);" % (acc, nul)
    if elem in ("bytes", "records"):
        return "%s = kfill_bytes(g, %s);" % (acc, nul)
    if elem == "uuid":
        return "kfill_uuid(g, &%s);" % acc
    if elem == "bool":
        return "%s = kfill_pick(g, 2);" % acc
    if elem == "float64":
        return "%s = kfill_f64(g);" % acc
    return "%s = (%s)kfill_int(g);" % (acc, CTYPE[elem])


def gen_fill_structs(structs, out, storage):
    out.add()
    for st in structs:
        out.add("%s void fill_%s(%s *s, int v, kfill *g);" % (storage, st.ctype, st.ctype))
    for st in structs:
        ctx = Ctx(st, flex_expr(st))
        out.add()
        out.add("%s void fill_%s(%s *s, int v, kfill *g)" % (storage, st.ctype, st.ctype))
        out.add("{")
        body = ["%s(s);" % init_name(st)]
        for f in st.fields:
            c = cond(f.eff, st.scope)
            if c == "0":
                continue
            lines = fill_field_lines(f, "s->" + f.name, ctx)
            if f.tag is not None:
                c = and_cond(c, "kfill_pick(g, 2)")
            body.extend(block(c, lines, 0))
        emit_body(out, body, ctx, st, extra_unused=("g",))
        out.add("}")


def gen_fill(files, out):
    out.add(BANNER_ALL)
    out.add(FILL_PRELUDE.rstrip("\n"))
    structs = [st for sf in files for msg in sf.messages if msg.kind != "data"
               for st in msg.structs]
    gen_fill_structs(structs, out, "static")
    apis = sorted((sf.api for sf in files if sf.api), key=lambda a: a.key)
    for kind in ("request", "response"):
        out.add()
        out.add("static inline void kpfill_%s(int16_t key, int16_t v, void *m, kfill *g)" % kind)
        out.add("{")
        out.add("switch (key) {", 1)
        for a in apis:
            out.add("case %d: fill_kp_%s_%s(m, v, g); break;" % (a.key, a.name, kind), 1)
        out.add("}", 1)
        out.add("}")
    headers = [msg for sf in files for msg in sf.messages if msg.kind == "header"]
    out.add()
    out.add("/* kind: 0 request header, 1 response header. */")
    out.add("static inline void kpfill_header(int kind, int16_t v, void *m, kfill *g)")
    out.add("{")
    for i, msg in enumerate(sorted(headers, key=lambda m: m.name)):
        kind = 0 if msg.name == "request_header" else 1
        out.add("if (kind == %d)" % kind, 1)
        out.add("fill_%s(m, v, g);" % msg.ctype, 2)
    out.add("}")


DATA_PRELUDE = """\
/* Test fixtures for the data messages (those outside any API, such as
 * ConsumerProtocolSubscription): fill_<type>(m, v, g) as in fill_test.inc,
 * which this includes (include one or the other, not both). Static inline,
 * so a test may use a few. */
#include "proto/gen/fill_test.inc"
"""


def gen_fill_data(files, out):
    out.add(BANNER_ALL)
    out.add(DATA_PRELUDE.rstrip("\n"))
    for sf in files:
        if any(msg.kind == "data" for msg in sf.messages):
            out.add('#include "proto/gen/%s.h"' % sf.base)
    structs = [st for sf in files for msg in sf.messages if msg.kind == "data"
               for st in msg.structs]
    gen_fill_structs(structs, out, "static inline")
