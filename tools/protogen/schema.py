"""The .kfs schema DSL (tools/protogen/README.md): parsing and checking it
into a model of APIs, messages, structs and fields, with each field's
versions resolved against the struct that holds it."""

import os
import re

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
        if text == "none":
            return Range(None, None)
        m = re.fullmatch(r"(\d+)(\+|-(\d+))?", text)
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
        self.kind = kind              # "request", "response", "header" or "data"
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
            elif kw == "message" and len(toks) >= 2:
                # A "data" message outside any API (Kafka's "type": "data"
                # specs, e.g. ConsumerProtocolSubscription): no header, no
                # API key; whoever embeds it frames and versions it.
                if not re.fullmatch(r"[a-z][a-z0-9_]*", toks[1]):
                    raise SchemaError("%s: bad message name %r" % (where, toks[1]))
                opts = parse_version_opts(toks, 2, where, {"versions", "flexible"})
                if "versions" not in opts or "flexible" not in opts:
                    raise SchemaError("%s: message needs versions and flexible" % where)
                msg = Message("data", toks[1], opts["versions"], opts["flexible"], None, where)
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
                raise SchemaError("%s: expected api, header, message, request, response or "
                                  "struct" % where)
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

    ctypes = {}

    def short_name(name):
        # Kafka names nested structs after their message (MetadataResponseTopic
        # in MetadataResponse); the C type already carries the message's name,
        # so kp_metadata_response_topic, not ..._metadata_response_topic.
        lead = msg.name + "_"
        short = name[len(lead):] if name.startswith(lead) and len(name) > len(lead) else name
        return name if short in ("init", "size", "encode", "decode") else short

    def define(st, scope):
        st.scope = scope
        st.ctype = msg.ctype if st is msg.root else "%s_%s" % (msg.ctype, short_name(st.name))
        if st.ctype in ctypes and ctypes[st.ctype] is not st:
            raise SchemaError("%s: structs %s and %s would both be %s"
                              % (msg.where, ctypes[st.ctype].name, st.name, st.ctype))
        ctypes[st.ctype] = st
        prefix = msg.kind if msg.kind in ("request", "response") else msg.name
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


def load(schema_dir):
    files = []
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".kfs"):
            files.append(parse_file(os.path.join(schema_dir, name)))
    keys, names = {}, {}
    for sf in files:
        for msg in sf.messages:
            if msg.name in names:
                raise SchemaError("%s: message %s also in %s" % (msg.where, msg.name,
                                                                 names[msg.name]))
            names[msg.name] = sf.path
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
