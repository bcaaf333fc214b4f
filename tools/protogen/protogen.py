#!/usr/bin/env python3
"""protogen: kfk's Kafka protocol code generator.

Usage: protogen.py SCHEMA_DIR OUT_DIR

Reads every SCHEMA_DIR/*.kfs file (the DSL is described in
tools/protogen/README.md) and writes, into OUT_DIR:
  <file>.h, <file>.c   message structs and init/size/encode/decode, per file
  api_table.c          the API table and dispatch by API key
  all.h                includes every generated header
  fill_test.inc        test fixtures: fill any message with pseudo-random
                       values (included by the unit tests only)
Output depends only on the input: files are sorted, nothing is timestamped.
Python 3.11 standard library only.
"""

import os
import re
import sys

MAX_COL = 100
C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
    "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
    "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
    "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
    "true", "false",
}
# Locals and parameters of generated functions; fields may not use them.
RESERVED = {"s", "v", "w", "r", "a", "n", "i", "g", "t", "flex"}

FIXED = {"bool": 1, "int8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4,
         "int64": 8, "float64": 8, "uuid": 16}
VARIABLE = {"string", "bytes", "records"}
PRIMS = set(FIXED) | VARIABLE
CTYPE = {"bool": "bool", "int8": "int8_t", "int16": "int16_t", "uint16": "uint16_t",
         "int32": "int32_t", "uint32": "uint32_t", "int64": "int64_t",
         "float64": "double", "uuid": "kuuid", "string": "kslice", "bytes": "kslice",
         "records": "kslice"}
WRITE = {"bool": "kw_bool", "int8": "kw_i8", "int16": "kw_i16", "uint16": "kw_u16",
         "int32": "kw_i32", "uint32": "kw_u32", "int64": "kw_i64", "float64": "kw_f64"}
READ = {"bool": "kr_bool", "int8": "kread_i8", "int16": "kread_i16", "uint16": "kread_u16",
        "int32": "kread_i32", "uint32": "kread_u32", "int64": "kread_i64",
        "float64": "kr_f64"}
ARRAY_ELEMS = {"int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64", "uuid": "uuid",
               "string": "str"}
INT_RANGE = {"int8": (-2**7, 2**7 - 1), "int16": (-2**15, 2**15 - 1), "uint16": (0, 2**16 - 1),
             "int32": (-2**31, 2**31 - 1), "uint32": (0, 2**32 - 1),
             "int64": (-2**63, 2**63 - 1)}


class SchemaError(Exception):
    pass


# --- versions ---------------------------------------------------------------

class Range:
    """Inclusive version range; hi None is open-ended; lo None is empty."""

    def __init__(self, lo, hi):
        if lo is not None and hi is not None and hi < lo:
            lo = hi = None
        self.lo, self.hi = lo, hi

    @staticmethod
    def parse(text):
        m = re.fullmatch(r"(\d+)(\+|-(\d+))?", text)
        if text == "none":
            return Range(None, None)
        if not m:
            raise SchemaError("bad version range %r" % text)
        lo = int(m.group(1))
        if m.group(2) == "+":
            return Range(lo, None)
        if m.group(3) is not None:
            return Range(lo, int(m.group(3)))
        return Range(lo, lo)

    @staticmethod
    def is_range(text):
        return re.fullmatch(r"\d+(\+|-\d+)?", text) is not None

    def empty(self):
        return self.lo is None

    def __and__(self, other):
        if self.empty() or other.empty():
            return Range(None, None)
        his = [h for h in (self.hi, other.hi) if h is not None]
        return Range(max(self.lo, other.lo), min(his) if his else None)

    def __eq__(self, other):
        return (self.lo, self.hi) == (other.lo, other.hi)

    def covers(self, other):
        return (self & other) == other

    def contains(self, v):
        return not self.empty() and self.lo <= v and (self.hi is None or v <= self.hi)

    def __str__(self):
        if self.empty():
            return "none"
        if self.hi is None:
            return "%d+" % self.lo
        return "%d" % self.lo if self.lo == self.hi else "%d-%d" % (self.lo, self.hi)


def cond(field_range, scope):
    """C condition on v for field_range, given v is already within scope.
    Returns None when always true and "0" when never."""
    r = field_range & scope
    if r.empty():
        return "0"
    if r == scope:
        return None
    parts = []
    if r.lo > scope.lo:
        parts.append("v >= %d" % r.lo)
    if r.hi is not None and (scope.hi is None or r.hi < scope.hi):
        parts.append("v <= %d" % r.hi)
    if len(parts) == 2 and r.lo == r.hi:
        return "v == %d" % r.lo
    return " && ".join(parts)


def cond_value(field_range, scope):
    """cond() as an int-valued C expression ("0", "1" or a comparison)."""
    c = cond(field_range, scope)
    return "1" if c is None else c


def negate(c):
    for op, neg in ((">=", "<"), ("<=", ">"), ("==", "!=")):
        m = re.fullmatch(r"v %s (\d+)" % op, c)
        if m:
            return "v %s %s" % (neg, m.group(1))
    return "!(%s)" % c


def and_cond(*conds):
    parts = [c for c in conds if c is not None]
    if "0" in parts:
        return "0"
    if not parts:
        return None
    return " && ".join("(%s)" % p if "||" in p else p for p in parts)


# --- model ------------------------------------------------------------------

class Field:
    def __init__(self, name, elem, is_array, versions, where):
        self.name = name
        self.elem = elem              # primitive name or struct name
        self.is_array = is_array
        self.versions = versions      # as written, before scoping
        self.nullable_all = False     # written with "?"
        self.nullable = Range(None, None)
        self.tag = None
        self.ignorable = False
        self.noflex = False
        self.default = None           # DSL text, or None for the implicit one
        self.children = []            # inline struct fields
        self.struct = None            # resolved Struct for struct types
        self.where = where
        # Scoped in resolve():
        self.eff = None               # versions within the owning struct's scope
        self.eff_nullable = None

    @property
    def is_struct(self):
        return self.elem not in PRIMS

    @property
    def pointer(self):
        """A struct field that may be null is a pointer; others are embedded."""
        return self.is_struct and not self.is_array and self.nullable_any

    @property
    def nullable_any(self):
        return self.nullable_all or not self.nullable.empty()


class Struct:
    def __init__(self, name, fields, msg, common=False):
        self.name = name
        self.fields = fields
        self.msg = msg
        self.common = common
        self.scope = None
        self.ctype = None
        self.sname = None             # prefix of the file's static functions
        self.uses = 0


class Message:
    def __init__(self, kind, name, versions, flexible, api, where):
        self.kind = kind              # "request", "response" or "header"
        self.name = name              # "produce_request", "request_header"
        self.versions = versions
        self.flexible = flexible
        self.api = api
        self.root = Struct(name, [], self)
        self.commons = {}
        self.structs = []             # every struct, dependencies first
        self.where = where

    @property
    def ctype(self):
        return "kp_" + self.name


class Api:
    def __init__(self, key, name, camel, versions, flexible):
        self.key = key
        self.name = name
        self.camel = camel
        self.versions = versions
        self.flexible = flexible
        self.unstable = None
        self.response_header_v0 = False
        self.request = None
        self.response = None


class SchemaFile:
    def __init__(self, path):
        self.path = path
        self.base = os.path.splitext(os.path.basename(path))[0]
        self.api = None
        self.messages = []


# --- parsing ----------------------------------------------------------------

def tokenize(line):
    return re.findall(r'"[^"]*"|\S+', line)


def strip_comment(line):
    """line without a # comment (a # inside "quotes" is text)."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return line[:i].rstrip()
    return line.rstrip()


def parse_version_opts(toks, i, where, allowed):
    opts = {}
    while i < len(toks):
        key = toks[i]
        if key not in allowed or i + 1 >= len(toks):
            raise SchemaError("%s: unexpected %r" % (where, key))
        if key in ("response-header", "unstable"):
            opts[key] = int(toks[i + 1])
        elif key == "flexible":
            opts[key] = Range.parse(toks[i + 1])
        elif key == "versions":
            opts[key] = Range.parse(toks[i + 1])
        i += 2
    return opts


def parse_field(toks, where):
    if len(toks) < 2:
        raise SchemaError("%s: a field needs a name and a type" % where)
    name, typ = toks[0], toks[1]
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise SchemaError("%s: bad field name %r" % (where, name))
    m = re.fullmatch(r"(\[\])?([a-z][a-z0-9_]*)(\?)?", typ)
    if not m:
        raise SchemaError("%s: bad type %r" % (where, typ))
    i = 2
    versions = Range(0, None)
    if i < len(toks) and Range.is_range(toks[i]):
        versions = Range.parse(toks[i])
        i += 1
    f = Field(name, m.group(2), bool(m.group(1)), versions, where)
    f.nullable_all = bool(m.group(3))
    while i < len(toks):
        t = toks[i]
        if t == "nullable" and i + 1 < len(toks):
            f.nullable = Range.parse(toks[i + 1])
            i += 2
        elif t == "tag" and i + 1 < len(toks):
            f.tag = int(toks[i + 1])
            i += 2
        elif t == "ignorable":
            f.ignorable = True
            i += 1
        elif t == "flexible" and i + 1 < len(toks) and toks[i + 1] == "none":
            f.noflex = True
            i += 2
        elif t == "=" and i + 1 < len(toks):
            f.default = toks[i + 1]
            i += 2
        else:
            raise SchemaError("%s: unexpected %r" % (where, t))
    return f


def parse_file(path):
    sf = SchemaFile(path)
    msg = None          # message that field lines go to
    target = None       # list that depth-1 field lines go to
    stack = []          # stack[d] = last field at depth d+1
    with open(path, encoding="utf-8") as fp:
        lines = fp.read().splitlines()
    for lineno, raw in enumerate(lines, 1):
        where = "%s:%d" % (path, lineno)
        line = strip_comment(raw)
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent % 2 or "\t" in line:
            raise SchemaError("%s: indent with two spaces per level" % where)
        depth = indent // 2
        toks = tokenize(line)
        if depth == 0:
            kw = toks[0]
            if kw == "api":
                if sf.api or len(toks) < 3:
                    raise SchemaError("%s: one api line per file: api KEY NAME ..." % where)
                key, name = int(toks[1]), toks[2]
                i = 3
                camel = "".join(p[:1].upper() + p[1:] for p in name.split("_"))
                if i < len(toks) and toks[i].startswith('"'):
                    camel = toks[i].strip('"')
                    i += 1
                opts = parse_version_opts(toks, i, where, {"versions", "flexible", "unstable",
                                                           "response-header"})
                if "versions" not in opts:
                    raise SchemaError("%s: api needs versions" % where)
                api = Api(key, name, camel, opts["versions"],
                          opts.get("flexible", Range(None, None)))
                if opts.get("response-header", 0) != 0:
                    raise SchemaError("%s: only response-header 0 is supported" % where)
                api.response_header_v0 = "response-header" in opts
                api.unstable = opts.get("unstable")
                sf.api = api
                msg = None
            elif kw in ("request", "response") and len(toks) == 1:
                if not sf.api:
                    raise SchemaError("%s: %s before the api line" % (where, kw))
                msg = Message(kw, "%s_%s" % (sf.api.name, kw), sf.api.versions,
                              sf.api.flexible, sf.api, where)
                setattr(sf.api, kw, msg)
                sf.messages.append(msg)
                target = msg.root.fields
            elif kw == "header" and len(toks) >= 2:
                opts = parse_version_opts(toks, 2, where, {"versions", "flexible"})
                msg = Message("header", "%s_header" % toks[1], opts["versions"],
                              opts.get("flexible", Range(None, None)), None, where)
                sf.messages.append(msg)
                target = msg.root.fields
            elif kw == "struct" and len(toks) == 2:
                if not msg:
                    raise SchemaError("%s: struct outside a message" % where)
                if toks[1] in msg.commons:
                    raise SchemaError("%s: struct %s defined twice" % (where, toks[1]))
                st = Struct(toks[1], [], msg, common=True)
                msg.commons[toks[1]] = st
                target = st.fields
            else:
                raise SchemaError("%s: expected api, header, request, response or struct"
                                  % where)
            stack = []
            continue
        if target is None:
            raise SchemaError("%s: field outside a message" % where)
        f = parse_field(toks, where)
        if depth == 1:
            target.append(f)
        else:
            if depth - 1 > len(stack):
                raise SchemaError("%s: indented too far" % where)
            parent = stack[depth - 2]
            if parent.elem in PRIMS:
                raise SchemaError("%s: %s is not a struct" % (where, parent.name))
            parent.children.append(f)
        del stack[depth - 1:]
        stack.append(f)
    return sf


# --- resolution -------------------------------------------------------------

def resolve_message(msg):
    if msg.versions.empty() or msg.versions.hi is None:
        raise SchemaError("%s: versions must be a closed range" % msg.where)
    structs = {}

    def define(st, scope):
        st.scope = scope
        st.ctype = msg.ctype if st is msg.root else "%s_%s" % (msg.ctype, st.name)
        prefix = msg.name if msg.kind == "header" else msg.kind
        st.sname = prefix if st is msg.root else "%s_%s" % (prefix, st.name)
        if st is not msg.root:
            if st.name in ("init", "size", "encode", "decode"):
                raise SchemaError("%s: struct name %s is taken by a function"
                                  % (msg.where, st.name))
            if st.name in structs:
                raise SchemaError("%s: struct %s defined twice" % (msg.where, st.name))
            structs[st.name] = st
        names = set()
        for f in st.fields:
            if f.name in names:
                raise SchemaError("%s: duplicate field %s" % (f.where, f.name))
            names.add(f.name)
            if f.name in C_KEYWORDS or f.name in RESERVED:
                raise SchemaError("%s: %s is a C keyword or a name the generated code uses"
                                  % (f.where, f.name))
            if f.is_array and "n_" + f.name in names | {g.name for g in st.fields}:
                raise SchemaError("%s: n_%s collides with a field" % (f.where, f.name))
            f.eff = f.versions & scope
            if f.eff.empty():
                raise SchemaError("%s: %s is in none of the versions" % (f.where, f.name))
            f.eff_nullable = f.eff if f.nullable_all else (f.nullable & f.eff)
            if f.tag is not None and msg.flexible.empty():
                raise SchemaError("%s: tagged field in a message without flexible versions"
                                  % f.where)
            if f.tag is not None and not (msg.flexible.covers(f.eff)):
                raise SchemaError("%s: tagged versions must be flexible" % f.where)
            if f.noflex and (f.is_array or f.elem != "string"):
                raise SchemaError("%s: flexible none is for strings only" % f.where)
            if f.elem == "records" and (f.is_array or f.tag is not None):
                raise SchemaError("%s: records cannot be an array or tagged" % f.where)
            if f.is_array and not f.is_struct and f.elem not in ARRAY_ELEMS:
                raise SchemaError("%s: arrays of %s are not supported" % (f.where, f.elem))
            if f.is_struct and f.children:
                child = Struct(f.elem, f.children, msg)
                define(child, f.eff)
                f.struct = child
            elif f.children:
                raise SchemaError("%s: %s cannot have fields" % (f.where, f.elem))
            check_default(f)
        tags = [f.tag for f in st.fields if f.tag is not None]
        if len(tags) != len(set(tags)):
            raise SchemaError("%s: duplicate tag in struct %s" % (msg.where, st.name))

    define(msg.root, msg.versions)
    for st in msg.commons.values():
        define(st, msg.versions)
    all_structs = [msg.root] + list(structs.values())
    for st in all_structs:
        for f in st.fields:
            if f.is_struct and f.struct is None:
                if f.elem not in msg.commons:
                    raise SchemaError("%s: unknown struct %s" % (f.where, f.elem))
                f.struct = msg.commons[f.elem]
            if f.is_struct:
                f.struct.uses += 1
                if f.nullable_any and not f.is_array and f.default not in (None, "null"):
                    raise SchemaError("%s: a nullable struct defaults to null" % f.where)
                if f.nullable_any and not f.is_array and f.default is None:
                    f.default = "null"
    # Order: a struct after everything it embeds or points to.
    order, seen = [], set()

    def visit(st):
        if st.name in seen and st is not msg.root:
            return
        seen.add(st.name)
        for f in st.fields:
            if f.is_struct:
                visit(f.struct)
        order.append(st)

    visit(msg.root)
    for st in msg.commons.values():
        if st.uses == 0:
            raise SchemaError("%s: struct %s is never used" % (msg.where, st.name))
    msg.structs = order


def check_default(f):
    d = f.default
    if d is None:
        return
    if d == "null":
        if not f.nullable_any:
            raise SchemaError("%s: default null on a field that is never nullable" % f.where)
        return
    if f.is_array or f.is_struct:
        raise SchemaError("%s: arrays and structs default to empty or null" % f.where)
    if f.elem == "bool":
        if d not in ("true", "false"):
            raise SchemaError("%s: bad bool default %r" % (f.where, d))
    elif f.elem in INT_RANGE:
        try:
            val = int(d, 0)
        except ValueError:
            raise SchemaError("%s: bad integer default %r" % (f.where, d))
        lo, hi = INT_RANGE[f.elem]
        if not lo <= val <= hi:
            raise SchemaError("%s: default %s out of range" % (f.where, d))
    elif f.elem == "float64":
        float(d)
    elif f.elem == "string":
        if not (d.startswith('"') and d.endswith('"')):
            raise SchemaError("%s: string defaults are quoted" % f.where)
    else:
        raise SchemaError("%s: %s fields take no default" % (f.where, f.elem))


# --- C expressions ----------------------------------------------------------

def c_int(elem, text):
    val = int(text, 0)
    if elem == "int64":
        if val == -2**63:
            return "INT64_MIN"
        if val == 2**63 - 1:
            return "INT64_MAX"
        return "INT64_C(%d)" % val
    if elem == "int32" and val == -2**31:
        return "INT32_MIN"
    if elem == "int32" and val == 2**31 - 1:
        return "INT32_MAX"
    if elem == "uint32":
        return "%dU" % val
    return "%d" % val


def default_c(f):
    """The C value of f's default for scalars and slices, or None if zero."""
    d = f.default
    if f.is_array or f.is_struct:
        return None
    if f.elem in ("string", "bytes"):
        if d == "null":
            return None
        if d is None or d == '""':
            return "KWIRE_EMPTY"
        return "kwire_cstr(%s)" % d
    if f.elem in ("records", "uuid"):
        return None
    if d is None or d == "null":
        return None
    if f.elem == "bool":
        return "true" if d == "true" else None
    if f.elem == "float64":
        return None if float(d) == 0.0 else repr(float(d))
    return None if int(d, 0) == 0 else c_int(f.elem, d)


def default_cmp(f, acc):
    """C expressions (is default, is not default) for f reached as acc."""
    if f.is_array:
        d = -1 if f.default == "null" else 0
        return "%s == %d" % (n_acc(acc, f), d), "%s != %d" % (n_acc(acc, f), d)
    if f.is_struct:
        if f.pointer:
            return "%s == NULL" % acc, "%s != NULL" % acc
        e = "%s_is_default(&%s)" % (f.struct.sname, acc)
        return e, "!" + e
    if f.elem in ("string", "bytes", "records"):
        d = f.default if f.elem != "records" else "null"
        if d == "null":
            return "%s.ptr == NULL" % acc, "%s.ptr != NULL" % acc
        if d is None or d == '""':
            return ("(%s.ptr != NULL && %s.len == 0)" % (acc, acc),
                    "(%s.ptr == NULL || %s.len != 0)" % (acc, acc))
        e = "kwire_eq(%s, kwire_cstr(%s))" % (acc, d)
        return e, "!" + e
    if f.elem == "uuid":
        e = "kuuid_is_zero(&%s)" % acc
        return e, "!" + e
    if f.elem == "bool":
        if f.default == "true":
            return acc, "!" + acc
        return "!" + acc, acc
    val = default_c(f) or "0"
    return "%s == %s" % (acc, val), "%s != %s" % (acc, val)


def nondefault(f, acc):
    return default_cmp(f, acc)[1]


def n_acc(acc, f):
    """Accessor of an array field's count, given the array's accessor."""
    head, _, _ = acc.rpartition(f.name)
    return head + "n_" + f.name


class Ctx:
    """What a field's code depends on: its struct, the field's flexibility
    and nullability as C expressions."""

    def __init__(self, st, flex_expr):
        self.st = st
        # "0" or "1" when the struct's versions settle it, else the name of
        # a local that emit_body() defines.
        self.flex_value = flex_expr
        self.flex = flex_expr if flex_expr in ("0", "1") else "flex"

    def nullable(self, f):
        return cond_value(f.eff_nullable, f.eff) if not f.eff_nullable.empty() else "0"


def flex_expr(st):
    msg = st.msg
    if msg.flexible.empty():
        return "0"
    return cond_value(msg.flexible, st.scope).replace(" ", " ")


# --- code writing helpers ---------------------------------------------------

def wrap(line):
    """Wraps a long call or declaration after commas: aligned with the open
    parenthesis when that fits, else on lines indented one level deeper."""
    if len(line) <= MAX_COL:
        return [line]
    open_at = line.find("(")
    if open_at < 0:
        return [line]
    indent = len(line) - len(line.lstrip(" "))
    head, args = line[:open_at + 1], line[open_at + 1:]
    aligned = split_args(head, args, " " * (open_at + 1))
    if all(len(l) <= MAX_COL for l in aligned):
        return aligned
    return [head] + split_args(" " * (indent + 4), args, " " * (indent + 4))


def split_args(first, args, pad):
    out, cur = [], first
    parts = args.split(", ")
    for i, part in enumerate(parts):
        piece = part + ("," if i < len(parts) - 1 else "")
        if cur.strip() and cur != first and len(cur) + 1 + len(piece) > MAX_COL:
            out.append(cur)
            cur = pad + piece
        elif cur == first or cur.endswith("("):
            cur = cur + piece
        else:
            cur = cur + " " + piece
    out.append(cur)
    return out


class Code:
    def __init__(self):
        self.lines = []

    def add(self, text="", indent=0):
        for line in text.split("\n") if text else [""]:
            if line:
                self.lines.extend(wrap("    " * indent + line))
            else:
                self.lines.append("")

    def text(self):
        return "\n".join(self.lines) + "\n"


def block(cond_text, body, indent, else_body=None):
    """Lines for `if (cond) body [else else_body]`, braces only when needed."""
    out = []
    pad = "    " * indent
    if cond_text is None:
        return [pad + l for l in body]
    one = len(body) == 1 and not else_body and "\n" not in body[0]
    if one:
        out.append("%sif (%s)" % (pad, cond_text))
        out.append("%s    %s" % (pad, body[0]))
        return out
    out.append("%sif (%s) {" % (pad, cond_text))
    out.extend("%s    %s" % (pad, l) for l in body)
    if else_body:
        out.append("%s} else {" % pad)
        out.extend("%s    %s" % (pad, l) for l in else_body)
    out.append("%s}" % pad)
    return out


# --- per-field code ---------------------------------------------------------

def fixed_size(f):
    """Wire size of f when fixed (not tagged), else None."""
    if f.is_array or f.is_struct or f.elem in VARIABLE:
        return None
    return FIXED[f.elem]


def size_lines(f, acc, ctx, flex):
    """Statements adding f's encoded size (untagged form) to n."""
    nul = ctx.nullable(f)
    if f.is_array:
        cnt = n_acc(acc, f)
        if f.is_struct:
            return ["n += kw_array_len_size(%s, %s);" % (cnt, flex),
                    "for (int32_t i = 0; i < %s; i++)" % cnt,
                    "    n += %s_size(&%s[i], v);" % (f.struct.sname, acc)]
        if f.elem == "string":
            return ["n += kw_str_array_size(%s, %s, %s);" % (acc, cnt, flex)]
        return ["n += kw_fixed_array_size(%s, %d, %s);" % (cnt, FIXED[f.elem], flex)]
    if f.is_struct:
        if f.pointer:
            marker = {"0": "", "1": "1 + "}.get(nul, "(%s ? 1 : 0) + " % nul)
            return ["n += %s(%s ? %s_size(%s, v) : 0);" % (marker, acc, f.struct.sname, acc)]
        return ["n += %s_size(&%s, v);" % (f.struct.sname, acc)]
    if f.elem == "string":
        return ["n += kw_str_size(%s, %s);" % (acc, ("0" if f.noflex else flex))]
    if f.elem in ("bytes", "records"):
        return ["n += kw_bytes_size(%s, %s);" % (acc, flex)]
    return ["n += %d;" % FIXED[f.elem]]


def write_lines(f, acc, ctx, flex, w="w"):
    nul = ctx.nullable(f)
    if f.is_array:
        cnt = n_acc(acc, f)
        if f.is_struct:
            return ["kw_array_len(%s, %s, %s, %s);" % (w, cnt, flex, nul),
                    "for (int32_t i = 0; i < %s; i++)" % cnt,
                    "    %s_write(%s, &%s[i], v);" % (f.struct.sname, w, acc)]
        return ["kw_%s_array(%s, %s, %s, %s, %s);"
                % (ARRAY_ELEMS[f.elem], w, acc, cnt, flex, nul)]
    if f.is_struct:
        if f.pointer:
            return ["if (kw_struct_marker(%s, %s, %s))" % (w, acc, nul),
                    "    %s_write(%s, %s, v);" % (f.struct.sname, w, acc)]
        return ["%s_write(%s, &%s, v);" % (f.struct.sname, w, acc)]
    if f.elem == "string":
        return ["kw_str(%s, %s, %s, %s);" % (w, acc, ("0" if f.noflex else flex), nul)]
    if f.elem in ("bytes", "records"):
        return ["kw_bytes(%s, %s, %s, %s);" % (w, acc, flex, nul)]
    if f.elem == "uuid":
        return ["kw_uuid(%s, &%s);" % (w, acc)]
    return ["%s(%s, %s);" % (WRITE[f.elem], w, acc)]


def read_lines(f, acc, ctx, flex, r="r", tagged=False):
    nul = ctx.nullable(f)
    if f.is_array:
        cnt = n_acc(acc, f)
        if f.is_struct:
            return ["%s = kr_array(%s, a, &%s, sizeof(*%s), %d, %s, %s);"
                    % (acc, r, cnt, acc, min_wire(f.struct), flex, nul),
                    "for (int32_t i = 0; i < %s; i++)" % cnt,
                    "    %s_read(%s, &%s[i], v, a);" % (f.struct.sname, r, acc)]
        return ["kr_%s_array(%s, a, &%s, &%s, %s, %s);"
                % (ARRAY_ELEMS[f.elem], r, acc, cnt, flex, nul)]
    if f.is_struct:
        if f.pointer:
            fn = "kr_tagged_struct" if tagged else "kr_struct"
            return ["%s = %s(%s, a, sizeof(*%s), %s);" % (acc, fn, r, acc, nul),
                    "if (%s)" % acc,
                    "    %s_read(%s, %s, v, a);" % (f.struct.sname, r, acc)]
        return ["%s_read(%s, &%s, v, a);" % (f.struct.sname, r, acc)]
    if f.elem == "string":
        return ["kr_str(%s, &%s, %s, %s);" % (r, acc, ("0" if f.noflex else flex), nul)]
    if f.elem in ("bytes", "records"):
        return ["kr_bytes(%s, &%s, %s, %s);" % (r, acc, flex, nul)]
    if f.elem == "uuid":
        return ["kr_uuid(%s, &%s);" % (r, acc)]
    return ["%s = %s(%s);" % (acc, READ[f.elem], r)]


def tag_len_expr(f, acc, ctx):
    """C expression for the length of tagged field f's value, or None when a
    helper function is needed (arrays of structs)."""
    nul = ctx.nullable(f)
    if f.is_array:
        cnt = n_acc(acc, f)
        if f.is_struct:
            return None
        if f.elem == "string":
            return "kw_str_array_size(%s, %s, 1)" % (acc, cnt)
        return "kw_fixed_array_size(%s, %d, 1)" % (cnt, FIXED[f.elem])
    if f.is_struct:
        if f.pointer:
            marker = {"0": "", "1": "1 + "}.get(nul, "(%s ? 1 : 0) + " % nul)
            return "%s%s_size(%s, v)" % (marker, f.struct.sname, acc)
        return "%s_size(&%s, v)" % (f.struct.sname, acc)
    if f.elem == "string":
        return "kw_str_size(%s, 1)" % acc
    if f.elem == "bytes":
        return "kw_bytes_size(%s, 1)" % acc
    return "%d" % FIXED[f.elem]


def min_wire(st):
    """Fewest bytes one st takes on the wire in any version of its scope."""
    msg = st.msg
    hi = st.scope.hi if st.scope.hi is not None else msg.versions.hi
    best = None
    for v in range(st.scope.lo, hi + 1):
        best_v = struct_min_at(st, v)
        best = best_v if best is None else min(best, best_v)
    return max(best or 0, 1)


def struct_min_at(st, v):
    flex = st.msg.flexible.contains(v)
    n = 1 if flex else 0
    for f in st.fields:
        if not f.eff.contains(v) or f.tag is not None:
            continue
        nul = f.eff_nullable.contains(v)
        if f.is_array:
            n += 1 if flex else 4
        elif f.is_struct:
            n += 1 if (f.pointer and nul) else struct_min_at(f.struct, v)
        elif f.elem == "string":
            n += 1 if (flex and not f.noflex) else 2
        elif f.elem in ("bytes", "records"):
            n += 1 if flex else 4
        else:
            n += FIXED[f.elem]
    return n


# --- per-struct functions ---------------------------------------------------

def regular_fields(st):
    return [f for f in st.fields if f.tag is None]


def tagged_fields(st):
    return sorted((f for f in st.fields if f.tag is not None), key=lambda f: f.tag)


def shown_versions(f):
    """f's versions as a reader wants them: cut to its struct's versions,
    still open-ended when the schema says "N+"."""
    hi = None if f.versions.hi is None and f.eff.hi == f.msg_hi else f.eff.hi
    return Range(f.eff.lo, hi)


def gen_struct_decl(st, out):
    out.add("struct %s {" % st.ctype)
    rows = []
    for f in st.fields:
        notes = []
        f.msg_hi = st.msg.versions.hi
        if f.eff != st.scope:
            notes.append("v%s" % shown_versions(f))
        if not f.eff_nullable.empty():
            notes.append("nullable" if f.eff_nullable == f.eff else
                         "nullable v%s" % Range(f.eff_nullable.lo, shown_versions(f).hi
                                               if f.eff_nullable.hi == f.eff.hi
                                               else f.eff_nullable.hi))
        if f.tag is not None:
            notes.append("tag %d" % f.tag)
        if f.default not in (None, "null", '""'):
            notes.append("default %s" % f.default)
        note = "/* %s */" % ", ".join(notes) if notes else ""
        if f.is_array:
            elem = f.struct.ctype if f.is_struct else CTYPE[f.elem]
            rows.append(("%s *%s;" % (elem, f.name), note))
            rows.append(("int32_t n_%s;" % f.name, ""))
        elif f.is_struct:
            ptr = "*" if f.pointer else ""
            rows.append(("%s %s%s;" % (f.struct.ctype, ptr, f.name), note))
        else:
            rows.append(("%s %s;" % (CTYPE[f.elem], f.name), note))
    if not rows:
        rows.append(("char unused;", "/* no fields */"))
    width = max(len(d) for d, n in rows if n) if any(n for d, n in rows) else 0
    for decl, note in rows:
        if note and 4 + width + 1 + len(note) <= MAX_COL:
            out.add("%s %s" % (decl.ljust(width), note), 1)
        elif note:
            out.add("%s %s" % (decl, note), 1)
        else:
            out.add(decl, 1)
    out.add("};")


def init_name(st):
    return "%s_init" % st.ctype


def gen_init(st, out):
    out.add("void %s(%s *s)" % (init_name(st), st.ctype))
    out.add("{")
    out.add("memset(s, 0, sizeof(*s));", 1)
    for f in st.fields:
        acc = "s->" + f.name
        if f.is_array:
            if f.default == "null":
                out.add("%s = -1;" % n_acc(acc, f), 1)
        elif f.is_struct:
            if not f.pointer:
                out.add("%s(&%s);" % (init_name(f.struct), acc), 1)
        else:
            val = default_c(f)
            if val is not None:
                out.add("%s = %s;" % (acc, val), 1)
    out.add("}")


def gen_is_default(st, out):
    out.add("static bool %s_is_default(const %s *s)" % (st.sname, st.ctype))
    out.add("{")
    terms = [default_cmp(f, "s->" + f.name)[0] for f in st.fields]
    if not terms:
        out.add("(void)s;", 1)
        out.add("return true;", 1)
    else:
        out.add("return " + (" &&\n       ".join(terms)) + ";", 1)
    out.add("}")


def tag_helper_name(st, f):
    return "%s_%s_tag_len" % (st.sname, f.name)


def gen_tag_helpers(st, ctx, out):
    for f in tagged_fields(st):
        if tag_len_expr(f, "s->" + f.name, ctx) is not None:
            continue
        acc = "s->" + f.name
        out.add("static size_t %s(const %s *s, int v)" % (tag_helper_name(st, f), st.ctype))
        out.add("{")
        for l in size_lines(f, acc, ctx, "1"):
            out.add(l.replace("n += kw_array_len_size", "size_t n = kw_array_len_size"), 1)
        out.add("return n;", 1)
        out.add("}")
        out.add()


def tag_len(st, f, ctx):
    e = tag_len_expr(f, "s->" + f.name, ctx)
    return e if e is not None else "%s(s, v)" % tag_helper_name(st, f)


def flexible_scope(st):
    """The versions of st that are flexible: where tagged fields exist."""
    return st.scope & st.msg.flexible


def tag_conditions(st, ctx):
    """(field, C condition that the field is written) per tagged field."""
    out = []
    for f in tagged_fields(st):
        present = cond(f.eff, flexible_scope(st))
        nd = nondefault(f, "s->" + f.name)
        out.append((f, and_cond(present, nd)))
    return out


def group_consecutive(items):
    """items: (cond, lines); merges neighbours with equal conditions."""
    groups = []
    for c, lines in items:
        if groups and groups[-1][0] == c:
            groups[-1][1].extend(lines)
        else:
            groups.append((c, list(lines)))
    return groups


def gen_size(st, ctx, out):
    out.add("static size_t %s_size(const %s *s, int v)" % (st.sname, st.ctype))
    out.add("{")
    body = []
    flex = ctx.flex
    fixed_by_cond = {}
    var_items = []
    for f in regular_fields(st):
        c = cond(f.eff, st.scope)
        if c == "0":
            continue
        k = fixed_size(f)
        if k is not None:
            fixed_by_cond[c] = fixed_by_cond.get(c, 0) + k
        else:
            var_items.append((c, size_lines(f, "s->" + f.name, ctx, flex)))
    base = fixed_by_cond.pop(None, 0)
    tags = tag_conditions(st, ctx)
    if flex == "1" and not tags:
        base += 1  # the empty tagged-field section
    body.append("size_t n = %d;" % base)
    for c, k in fixed_by_cond.items():
        body.extend(block(c, ["n += %d;" % k], 0))
    for c, lines in group_consecutive(var_items):
        body.extend(block(c, lines, 0))
    if flex != "0":
        if not tags:
            if flex != "1":
                body.extend(block("flex", ["n += 1;"], 0))
        else:
            inner = []
            for i, (f, c) in enumerate(tags):
                inner.append("const bool t%d = %s;" % (i, c or "true"))
            inner.append("n += kuvarint_size(%s);" % " + ".join("(uint32_t)t%d" % i
                                                                for i in range(len(tags))))
            for i, (f, c) in enumerate(tags):
                inner.extend(block("t%d" % i, ["n += kw_tag_size(%d, %s);"
                                                % (f.tag, tag_len(st, f, ctx))], 0))
            body.extend(block(None if flex == "1" else "flex", inner, 0))
    body.append("return n;")
    emit_body(out, body, ctx, st, extra_unused=("s",))
    out.add("}")


def emit_body(out, body, ctx, st, extra_unused=()):
    text = "\n".join(body)
    pre = []
    if ctx.flex == "flex" and re.search(r"\bflex\b", text):
        pre.append("const int flex = %s;" % ctx.flex_value)
    all_text = "\n".join(pre) + text
    if not re.search(r"\bv\b", all_text):
        pre.append("(void)v;")
    for name in extra_unused:
        if not re.search(r"\b%s\b" % name, all_text):
            pre.append("(void)%s;" % name)
    for l in pre + body:
        out.add(l, 1)


def absent_check(st, f):
    """Java refuses to write a non-default value in a version that lacks the
    field, unless the field is ignorable."""
    if f.ignorable:
        return None
    return nondefault(f, "s->" + f.name)


def gen_write(st, ctx, out):
    out.add("static void %s_write(kwriter *w, const %s *s, int v)" % (st.sname, st.ctype))
    out.add("{")
    body = []
    flex = ctx.flex
    items = []
    for f in regular_fields(st):
        c = cond(f.eff, st.scope)
        items.append((c, f))
    # group consecutive fields with the same condition
    groups = []
    for c, f in items:
        if groups and groups[-1][0] == c:
            groups[-1][1].append(f)
        else:
            groups.append((c, [f]))
    for c, fields in groups:
        lines = []
        for f in fields:
            lines.extend(write_lines(f, "s->" + f.name, ctx, flex))
        checks = [absent_check(st, f) for f in fields]
        checks = [x for x in checks if x]
        if c is None:
            body.extend(lines)
        elif c == "0":
            if checks:
                body.extend(block(" ||\n    ".join(checks),
                                  ["kw_fail(w, KFK_ERR_UNSUPPORTED_VERSION);"], 0))
        elif checks:
            body.append("if (%s) {" % c)
            body.extend("    " + l for l in lines)
            body.append("} else if (%s) {" % " ||\n           ".join(checks))
            body.append("    kw_fail(w, KFK_ERR_UNSUPPORTED_VERSION);")
            body.append("}")
        else:
            body.extend(block(c, lines, 0))
    tags = tag_conditions(st, ctx)
    for f in tagged_fields(st):
        c = cond(f.eff, st.scope)
        chk = absent_check(st, f)
        if c is not None and chk:
            body.extend(block("%s && %s" % (negate(c), chk),
                              ["kw_fail(w, KFK_ERR_UNSUPPORTED_VERSION);"], 0))
    if flex != "0":
        if not tags:
            body.extend(block(None if flex == "1" else "flex", ["kw_u8(w, 0);"], 0))
        else:
            inner = []
            for i, (f, c) in enumerate(tags):
                inner.append("const bool t%d = %s;" % (i, c or "true"))
            inner.append("kw_uvarint(w, %s);" % " + ".join("(uint32_t)t%d" % i
                                                          for i in range(len(tags))))
            for i, (f, c) in enumerate(tags):
                acc = "s->" + f.name
                lines = ["kw_tag(w, %d, %s);" % (f.tag, tag_len(st, f, ctx))]
                if f.pointer:
                    nul = ctx.nullable(f)
                    if nul == "1":
                        lines.append("kw_uvarint(w, 1);")
                    elif nul != "0":
                        lines += ["if (%s)" % nul, "    kw_uvarint(w, 1);"]
                    lines.append("%s_write(w, %s, v);" % (f.struct.sname, acc))
                else:
                    lines.extend(write_lines(f, acc, ctx, "1"))
                inner.extend(block("t%d" % i, lines, 0))
            body.extend(block(None if flex == "1" else "flex", inner, 0))
    if not body:
        body.append("(void)w;")
        body.append("(void)s;")
    emit_body(out, body, ctx, st)
    out.add("}")


def gen_read(st, ctx, out):
    out.add("static void %s_read(kreader *r, %s *s, int v, karena *a)" % (st.sname, st.ctype))
    out.add("{")
    body = ["%s(s);" % init_name(st)]
    flex = ctx.flex
    items = []
    for f in regular_fields(st):
        c = cond(f.eff, st.scope)
        if c == "0":
            continue
        items.append((c, read_lines(f, "s->" + f.name, ctx, flex)))
    for c, lines in group_consecutive(items):
        body.extend(block(c, lines, 0))
    tags = tagged_fields(st)
    if flex != "0":
        if not tags:
            body.extend(block(None if flex == "1" else "flex", ["kr_skip_tags(r);"], 0))
        else:
            inner = ["uint32_t ntags = kread_uvarint32(r);",
                     "for (uint32_t ti = 0; ti < ntags && !r->err; ti++) {",
                     "    uint32_t tag;",
                     "    kreader t = kr_tag(r, &tag);",
                     "    switch (tag) {"]
            for f in tags:
                inner.append("    case %d:" % f.tag)
                c = cond(f.eff, flexible_scope(st))
                lines = read_lines(f, "s->" + f.name, ctx, "1", r="&t", tagged=True)
                inner.extend(block(c, lines, 2))
                inner.append("        break;")
            inner += ["    }", "    kr_tag_done(r, &t);", "}"]
            body.extend(block(None if flex == "1" else "flex", inner, 0))
    emit_body(out, body, ctx, st, extra_unused=("a", "r"))
    out.add("}")


# --- files ------------------------------------------------------------------

BANNER = "/* Generated by tools/protogen from lib/proto/schema/%s. Do not edit. */"
BANNER_ALL = "/* Generated by tools/protogen from every file in lib/proto/schema. Do not edit. */"

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
        out.add('{%d, %d, %d, %d, %d, %d, "%s", sizeof(kp_%s_request), sizeof(kp_%s_response)},'
                % (a.key, a.versions.lo, a.versions.hi, stable, flex,
                   1 if a.response_header_v0 else 0, a.camel, a.name, a.name), 1)
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


def gen_fill(files, out):
    out.add(BANNER_ALL)
    out.add(FILL_PRELUDE.rstrip("\n"))
    structs = [st for sf in files for msg in sf.messages for st in msg.structs]
    out.add()
    for st in structs:
        out.add("static void fill_%s(%s *s, int v, kfill *g);" % (st.ctype, st.ctype))
    for st in structs:
        ctx = Ctx(st, flex_expr(st))
        out.add()
        out.add("static void fill_%s(%s *s, int v, kfill *g)" % (st.ctype, st.ctype))
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


# --- main -------------------------------------------------------------------

def load(schema_dir):
    files = []
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".kfs"):
            files.append(parse_file(os.path.join(schema_dir, name)))
    keys = {}
    for sf in files:
        for msg in sf.messages:
            resolve_message(msg)
        if sf.api:
            if sf.api.key in keys:
                raise SchemaError("%s: API key %d also in %s" % (sf.path, sf.api.key,
                                                                 keys[sf.api.key]))
            keys[sf.api.key] = sf.path
            if not sf.api.request or not sf.api.response:
                raise SchemaError("%s: needs a request and a response" % sf.path)
    return files


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
                     ("fill_test.inc", gen_fill)):
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
