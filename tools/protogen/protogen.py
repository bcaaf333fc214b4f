#!/usr/bin/env python3
"""protogen: kfk's Kafka protocol code generator.

Usage: protogen.py SCHEMA_DIR OUT_DIR

Reads every SCHEMA_DIR/*.kfs file (the DSL is described in
tools/protogen/README.md) and writes, into OUT_DIR:
  <file>.h, <file>.c   message structs and init/size/encode/decode, per file
  api_table.c          the API table and dispatch by API key
  api_client.h, .c     per API, the client's view of it (kp_<api>_client:
                       its request encoder and response decoder), so a
                       link keeps only the APIs its callers name
  all.h                includes every generated header
  fill_test.inc        test fixtures: fill any message with pseudo-random
                       values (included by the unit tests only)
  fill_data_test.inc   the same for data messages (`message` blocks)
Output depends only on the input: files are sorted, nothing is timestamped.
Python 3.11 standard library only. Modules: schema.py (the DSL and its
model), cmsg.py (C for one message), fill.py (test fixtures), this file
(whole files, the API table, main).
"""

import os
import re
import sys

from cmsg import BANNER, BANNER_ALL, Code, Ctx, flex_expr, gen_init, gen_is_default, gen_read, \
    gen_size, gen_struct_decl, gen_tag_helpers, gen_write, init_name
from fill import gen_fill, gen_fill_data
from schema import SchemaError, load

# --- files ------------------------------------------------------------------


HEADER_DOC = """\
/* For each message M below (and each struct S nested in one):
 *   M_init(m)         sets every field to its default. Call it before
 *                     filling a message to encode; S_init likewise for the
 *                     elements of arrays you build.
 *   M_size(m, v)      the exact number of bytes M_encode appends; 0 when v
 *                     is not a version of M.
 *   M_encode(m, v, out)  appends m encoded at version v to out; m and
 *                     everything it points to stay the caller's. Returns 0,
 *                     KFK_ERR_UNSUPPORTED_VERSION (v out of range, or a
 *                     field v lacks is set to other than its default and
 *                     is not ignorable), KFK_ERR_INVALID_ARG (null where v
 *                     has no null, string over 32767 bytes, count < -1) or
 *                     KFK_ERR_NO_MEMORY; out is unchanged on error.
 *   M_decode(m, v, r, a) reads one M from r into m. Strings and bytes
 *                     point into r's buffer, arrays are allocated from a:
 *                     both must outlive m. Unknown tagged fields are
 *                     skipped. Returns 0, KFK_ERR_UNSUPPORTED_VERSION,
 *                     KFK_ERR_MALFORMED or KFK_ERR_NO_MEMORY (m's contents
 *                     are then unspecified; freeing a releases them); r is
 *                     left after the message.
 * Any thread; none of them blocks. */"""


def c_guard(base):
    return "KFK_PROTO_GEN_%s_H" % base.upper()


def gen_header(sf, out):
    out.add(BANNER % os.path.basename(sf.path))
    out.add("#ifndef %s" % c_guard(sf.base))
    out.add("#define %s" % c_guard(sf.base))
    out.add()
    out.add('#include "proto/wire.h"')
    out.add()
    api = sf.api
    if api:
        fl = "flexible %s" % api.flexible if not api.flexible.empty() else "never flexible"
        out.add("/* %s: API key %d, versions %s, %s%s. */"
                % (api.camel, api.key, api.versions, fl,
                   ", v%d+ unstable" % api.unstable if api.unstable is not None else ""))
        up = api.name.upper()
        out.add("#define KP_%s_KEY %d" % (up, api.key))
        out.add("#define KP_%s_MIN_VERSION %d" % (up, api.versions.lo))
        out.add("#define KP_%s_MAX_VERSION %d" % (up, api.versions.hi))
        out.add()
    for msg in sf.messages:
        if msg.kind == "data":
            fl = "flexible %s" % msg.flexible if not msg.flexible.empty() else "never flexible"
            out.add("/* %s: a data message, versions %s, %s. */"
                    % (msg.name, msg.versions, fl))
            up = msg.name.upper()
            out.add("#define KP_%s_MIN_VERSION %d" % (up, msg.versions.lo))
            out.add("#define KP_%s_MAX_VERSION %d" % (up, msg.versions.hi))
            out.add()
    out.add(HEADER_DOC)
    out.add()
    for msg in sf.messages:
        for st in msg.structs:
            out.add("typedef struct %s %s;" % (st.ctype, st.ctype))
    for msg in sf.messages:
        for st in msg.structs:
            out.add()
            gen_struct_decl(st, out)
    for msg in sf.messages:
        out.add()
        t = msg.ctype
        out.add("void %s_init(%s *m);" % (t, t))
        out.add("size_t %s_size(const %s *m, int16_t version);" % (t, t))
        out.add("int %s_encode(const %s *m, int16_t version, kbuf *out);" % (t, t))
        out.add("int %s_decode(%s *m, int16_t version, kreader *r, karena *a);" % (t, t))
        for st in msg.structs:
            if st is not msg.root:
                out.add("void %s(%s *s);" % (init_name(st), st.ctype))
    out.add()
    out.add("#endif")


def version_check(msg):
    return "version < %d || version > %d" % (msg.versions.lo, msg.versions.hi)


def gen_source(sf, out):
    out.add(BANNER % os.path.basename(sf.path))
    out.add('#include "proto/gen/%s.h"' % sf.base)
    out.add()
    # Structs come dependencies first, so no function needs a prototype.
    body = Code()
    for msg in sf.messages:
        for st in msg.structs:
            ctx = Ctx(st, flex_expr(st))
            body.add()
            body.add("/* --- %s %s */" % (st.ctype, "-" * max(0, 80 - len(st.ctype))))
            body.add()
            gen_init(st, body)
            body.add()
            gen_tag_helpers(st, ctx, body)
            gen_size(st, ctx, body)
            body.add()
            gen_write(st, ctx, body)
            body.add()
            gen_read(st, ctx, body)
        gen_entry_points(msg, body)
    # Comparisons with the default exist only for structs that need them.
    structs = {st.sname: st for msg in sf.messages for st in msg.structs}
    needed, todo = [], set(re.findall(r"(\w+)_is_default\(", body.text()))
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.append(name)
        tmp = Code()
        gen_is_default(structs[name], tmp)
        todo |= set(re.findall(r"(\w+)_is_default\(&", tmp.text())) - set(needed)
    order = [st for msg in sf.messages for st in msg.structs if st.sname in needed]
    for st in order:
        out.add("static bool %s_is_default(const %s *s);" % (st.sname, st.ctype))
    for st in order:
        out.add()
        gen_is_default(st, out)
    out.lines.extend(body.lines)


def gen_entry_points(msg, out):
    t = msg.ctype
    s = msg.root.sname
    out.add()
    out.add("size_t %s_size(const %s *m, int16_t version)" % (t, t))
    out.add("{")
    out.add("return %s ? 0 : %s_size(m, version);" % (version_check(msg), s), 1)
    out.add("}")
    out.add()
    out.add("int %s_encode(const %s *m, int16_t version, kbuf *out)" % (t, t))
    out.add("{")
    out.add("if (%s)" % version_check(msg), 1)
    out.add("return KFK_ERR_UNSUPPORTED_VERSION;", 2)
    out.add("size_t n = %s_size(m, version);" % s, 1)
    out.add("kwriter w;", 1)
    out.add("if (kwriter_begin(&w, out, n))", 1)
    out.add("return KFK_ERR_NO_MEMORY;", 2)
    out.add("%s_write(&w, m, version);" % s, 1)
    out.add("return kwriter_end(&w, out, n);", 1)
    out.add("}")
    out.add()
    out.add("int %s_decode(%s *m, int16_t version, kreader *r, karena *a)" % (t, t))
    out.add("{")
    out.add("if (%s)" % version_check(msg), 1)
    out.add("return KFK_ERR_UNSUPPORTED_VERSION;", 2)
    out.add("%s_read(r, m, version, a);" % s, 1)
    out.add("return kr_result(r);", 1)
    out.add("}")


def gen_all_header(files, out):
    out.add(BANNER_ALL)
    out.add("#ifndef KFK_PROTO_GEN_ALL_H")
    out.add("#define KFK_PROTO_GEN_ALL_H")
    out.add()
    for sf in files:
        # Data messages belong to the layers that embed them, not to the
        # protocol layer's view of every API.
        if any(msg.kind != "data" for msg in sf.messages):
            out.add('#include "proto/gen/%s.h"' % sf.base)
    out.add()
    out.add("#endif")


def gen_api_table(files, out):
    apis = sorted((sf.api for sf in files if sf.api), key=lambda a: a.key)
    out.add(BANNER_ALL)
    out.add("#include <stddef.h>")
    out.add()
    out.add('#include "proto/api.h"')
    out.add('#include "proto/gen/all.h"')
    out.add()
    out.add("static const kproto_api apis[] = {")
    for a in apis:
        stable = a.unstable - 1 if a.unstable is not None else a.versions.hi
        flex = a.flexible.lo if not a.flexible.empty() else -1
        throttled = a.response is not None and any(
            f.name == "throttle_time_ms" and not f.is_array for f in a.response.root.fields)
        throttle = ("offsetof(kp_%s_response, throttle_time_ms)" % a.name) if throttled else "-1"
        out.add('{%d, %d, %d, %d, %d, %d, "%s", sizeof(kp_%s_request), sizeof(kp_%s_response), '
                '%s},'
                % (a.key, a.versions.lo, a.versions.hi, stable, flex,
                   1 if a.response_header_v0 else 0, a.camel, a.name, a.name, throttle), 1)
    out.add("};")
    out.add()
    max_key = apis[-1].key
    out.add("/* Position in apis[] + 1 by API key; 0: not an API we speak. */")
    out.add("static const uint8_t by_key[%d] = {" % (max_key + 1))
    idx = {a.key: i + 1 for i, a in enumerate(apis)}
    cells = ["%d" % idx.get(k, 0) for k in range(max_key + 1)]
    for i in range(0, len(cells), 16):
        out.add(", ".join(cells[i:i + 16]) + ",", 1)
    out.add("};")
    out.add()
    out.add("const kproto_api *kproto_api_get(int16_t key)")
    out.add("{")
    out.add("if (key < 0 || key > %d || !by_key[key])" % max_key, 1)
    out.add("return NULL;", 2)
    out.add("return &apis[by_key[key] - 1];", 1)
    out.add("}")
    out.add()
    out.add("const kproto_api *kproto_api_list(size_t *n)")
    out.add("{")
    out.add("*n = sizeof(apis) / sizeof(apis[0]);", 1)
    out.add("return apis;", 1)
    out.add("}")
    for kind in ("request", "response"):
        out.add()
        out.add("int kproto_%s_init(int16_t key, void *m)" % kind)
        out.add("{")
        out.add("switch (key) {", 1)
        for a in apis:
            out.add("case %d: kp_%s_%s_init(m); return 0;" % (a.key, a.name, kind), 1)
        out.add("default: return KFK_ERR_UNSUPPORTED_VERSION;", 1)
        out.add("}", 1)
        out.add("}")
        out.add()
        out.add("size_t kproto_%s_size(int16_t key, int16_t version, const void *m)" % kind)
        out.add("{")
        out.add("switch (key) {", 1)
        for a in apis:
            out.add("case %d: return kp_%s_%s_size(m, version);" % (a.key, a.name, kind), 1)
        out.add("default: return 0;", 1)
        out.add("}", 1)
        out.add("}")
        out.add()
        out.add("int kproto_%s_encode(int16_t key, int16_t version, const void *m, kbuf *out)"
                % kind)
        out.add("{")
        out.add("switch (key) {", 1)
        for a in apis:
            out.add("case %d: return kp_%s_%s_encode(m, version, out);" % (a.key, a.name, kind),
                    1)
        out.add("default: return KFK_ERR_UNSUPPORTED_VERSION;", 1)
        out.add("}", 1)
        out.add("}")
        out.add()
        out.add("int kproto_%s_decode(int16_t key, int16_t version, void *m, kreader *r, "
                "karena *a)" % kind)
        out.add("{")
        out.add("switch (key) {", 1)
        for a in apis:
            out.add("case %d: return kp_%s_%s_decode(m, version, r, a);" % (a.key, a.name, kind),
                    1)
        out.add("default: return KFK_ERR_UNSUPPORTED_VERSION;", 1)
        out.add("}", 1)
        out.add("}")


def client_apis(files):
    return sorted((sf.api for sf in files if sf.api and sf.api.response is not None),
                  key=lambda a: a.key)


def gen_api_client_header(files, out):
    out.add(BANNER_ALL)
    out.add("#ifndef KFK_PROTO_GEN_API_CLIENT_H")
    out.add("#define KFK_PROTO_GEN_API_CLIENT_H")
    out.add()
    out.add('#include "proto/api.h"')
    out.add()
    for a in client_apis(files):
        out.add("extern const kproto_client kp_%s_client;" % a.name)
    out.add()
    out.add("/* Every descriptor, by key, for the tests that hold each to the dispatch")
    out.add(" * by key; the client never names the list, so its link drops it. */")
    out.add("extern const kproto_client *const kproto_clients[];")
    out.add("extern const size_t kproto_n_clients;")
    out.add()
    out.add("#endif")


def gen_api_client(files, out):
    out.add(BANNER_ALL)
    out.add('#include "proto/gen/all.h"')
    out.add('#include "proto/gen/api_client.h"')
    for a in client_apis(files):
        n = a.name
        out.add()
        out.add("static int %s_encode(const void *m, int16_t version, kbuf *out)" % n)
        out.add("{")
        out.add("return kp_%s_request_encode(m, version, out);" % n, 1)
        out.add("}")
        out.add()
        out.add("static int %s_decode(void *m, int16_t version, kreader *r, karena *a)" % n)
        out.add("{")
        out.add("return kp_%s_response_decode(m, version, r, a);" % n, 1)
        out.add("}")
        out.add()
        out.add("const kproto_client kp_%s_client = {%d, %s_encode, %s_decode};" % (n, a.key, n, n))
    out.add()
    out.add("const kproto_client *const kproto_clients[] = {")
    for a in client_apis(files):
        out.add("&kp_%s_client," % a.name, 1)
    out.add("};")
    out.add()
    out.add("const size_t kproto_n_clients = sizeof(kproto_clients) / sizeof(kproto_clients[0]);")


# --- main -------------------------------------------------------------------

def write_if_changed(path, text):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fp:
            if fp.read() == text:
                return False
    with open(path, "w", encoding="utf-8") as fp:
        fp.write(text)
    return True


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    schema_dir, out_dir = argv[1], argv[2]
    try:
        files = load(schema_dir)
    except SchemaError as e:
        sys.stderr.write("protogen: %s\n" % e)
        return 1
    os.makedirs(out_dir, exist_ok=True)
    outputs = {}
    for sf in files:
        h, c = Code(), Code()
        gen_header(sf, h)
        gen_source(sf, c)
        outputs[sf.base + ".h"] = h.text()
        outputs[sf.base + ".c"] = c.text()
    for name, fn in (("all.h", gen_all_header), ("api_table.c", gen_api_table),
                     ("api_client.h", gen_api_client_header), ("api_client.c", gen_api_client),
                     ("fill_test.inc", gen_fill), ("fill_data_test.inc", gen_fill_data)):
        code = Code()
        fn(files, code)
        outputs[name] = code.text()
    changed = 0
    for name in sorted(outputs):
        changed += write_if_changed(os.path.join(out_dir, name), outputs[name])
    for name in sorted(os.listdir(out_dir)):
        if name not in outputs and re.search(r"\.(h|c|inc)$", name):
            os.remove(os.path.join(out_dir, name))
            changed += 1
    print("protogen: %d files in %s, %d changed" % (len(outputs), out_dir, changed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
