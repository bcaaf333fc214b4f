#!/usr/bin/env python3
"""Prints the wire layout of every message in the .kfs files at every
version, in the canonical text tools/golden/ProtoVectors.java prints for
Kafka's own schemas (`ProtoVectors schemas`), so the two can be diffed:

  layout.py lib/proto/schema > ours.txt

Lines: KIND KEY VERSION LAYOUT, sorted like the Java output. Request header
v0, which Kafka 4 no longer has, is left out.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schema  # noqa: E402

PRIM = {"bool": "BOOLEAN", "int8": "INT8", "int16": "INT16", "uint16": "UINT16",
        "int32": "INT32", "uint32": "UINT32", "int64": "INT64", "float64": "FLOAT64",
        "uuid": "UUID"}


def field_type(f, v, flex, tagged=False):
    nullable = f.eff_nullable.contains(v)
    compact = flex and not f.noflex
    if f.is_array:
        elem = (struct_layout(f.struct, v, flex) if f.is_struct
                else scalar(f.elem, False, compact))
        return "%s%sARRAY(%s)" % ("COMPACT_" if compact else "", "NULLABLE_" if nullable else "",
                                  elem)
    if f.is_struct:
        body = struct_layout(f.struct, v, flex)
        return "NULLABLE" + body if nullable else body
    return scalar(f.elem, nullable, compact)


def scalar(elem, nullable, compact):
    if elem in PRIM:
        return PRIM[elem]
    name = {"string": "STRING", "bytes": "BYTES", "records": "RECORDS"}[elem]
    return "%s%s%s" % ("COMPACT_" if compact else "", "NULLABLE_" if nullable else "", name)


def struct_layout(st, v, flex):
    parts = []
    for f in st.fields:
        if f.eff.contains(v) and f.tag is None:
            parts.append("%s:%s" % (f.name, field_type(f, v, flex)))
    if flex:
        tags = ["%d=%s:%s" % (f.tag, f.name, field_type(f, v, flex, True))
                for f in sorted(st.fields, key=lambda f: f.tag if f.tag is not None else -1)
                if f.tag is not None and f.eff.contains(v)]
        parts.append("_tagged_fields:TAGS(%s)" % ",".join(tags))
    return "{%s}" % ",".join(parts)


def main(argv):
    files = schema.load(argv[1])
    lines = []
    apis = sorted((sf.api for sf in files if sf.api), key=lambda a: a.key)
    for api in apis:
        for v in range(api.versions.lo, api.versions.hi + 1):
            flex = api.flexible.contains(v)
            for msg in (api.request, api.response):
                lines.append("%s %d %d %s" % (msg.kind, api.key, v,
                                              struct_layout(msg.root, v, flex)))
    for sf in files:
        for msg in sf.messages:
            if msg.kind != "header":
                continue
            for v in range(msg.versions.lo, msg.versions.hi + 1):
                if msg.name == "request_header" and v == 0:
                    continue
                lines.append("%s -1 %d %s" % (msg.name, v,
                                              struct_layout(msg.root, v,
                                                            msg.flexible.contains(v))))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
