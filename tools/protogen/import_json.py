#!/usr/bin/env python3
"""One-time importer: Apache Kafka JSON message specs -> kfk schema DSL (.kfs).

Usage: import_json.py KAFKA_CLIENTS_JAR_OR_DIR OUT_DIR

Reads common/message/*.json from a kafka-clients jar (or a directory that
holds them), picks every request whose listeners include "broker" together
with its response, plus the request and response headers, and writes one
.kfs file per API into OUT_DIR (see tools/protogen/README.md for the DSL).

It carries facts only: names, types, versions, tags, defaults. The committed
.kfs files are the source of truth; run this again only to pick up a new
Kafka release, and review the diff by hand.
"""

import json
import os
import re
import sys
import zipfile

PRIMITIVES = {"bool", "int8", "int16", "uint16", "int32", "uint32", "int64",
              "float64", "string", "bytes", "records", "uuid"}

# Facts the JSON files do not carry; they live in Java code (ApiKeys,
# ApiMessageType). ApiVersions answers with a v0 response header even in
# flexible versions, so that a client that sent a version the broker does
# not know can still parse the error.
RESPONSE_HEADER_V0 = {18}


def snake(name):
    """CamelCase to snake_case the way Kafka's own schemas spell field names
    (so "Enable2Pc" is "enable2_pc")."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


class Range:
    """An inclusive version range; hi None means open-ended, empty if lo is None."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    @staticmethod
    def parse(text):
        text = text.strip()
        if text == "none":
            return Range(None, None)
        if text.endswith("+"):
            return Range(int(text[:-1]), None)
        if "-" in text:
            lo, hi = text.split("-")
            return Range(int(lo), int(hi))
        return Range(int(text), int(text))

    def empty(self):
        return self.lo is None

    def intersect(self, other):
        if self.empty() or other.empty():
            return Range(None, None)
        lo = max(self.lo, other.lo)
        if self.hi is None:
            hi = other.hi
        elif other.hi is None:
            hi = self.hi
        else:
            hi = min(self.hi, other.hi)
        if hi is not None and hi < lo:
            return Range(None, None)
        return Range(lo, hi)

    def covers(self, other):
        return self.intersect(other) == other

    def __eq__(self, other):
        return (self.lo, self.hi) == (other.lo, other.hi)

    def __str__(self):
        if self.empty():
            return "none"
        if self.hi is None:
            return "%d+" % self.lo
        if self.hi == self.lo:
            return "%d" % self.lo
        return "%d-%d" % (self.lo, self.hi)


def load_specs(src):
    specs = {}
    if os.path.isdir(src):
        base = os.path.join(src, "common", "message")
        if not os.path.isdir(base):
            base = src
        items = [(n, open(os.path.join(base, n), encoding="utf-8").read())
                 for n in sorted(os.listdir(base)) if n.endswith(".json")]
    else:
        with zipfile.ZipFile(src) as z:
            items = [(os.path.basename(n), z.read(n).decode("utf-8"))
                     for n in sorted(z.namelist())
                     if n.startswith("common/message/") and n.endswith(".json")]
    for name, text in items:
        lines = [l for l in text.splitlines() if not l.lstrip().startswith("//")]
        spec = json.loads("\n".join(lines))
        specs[spec["name"]] = spec
    return specs


def implicit_default(ftype):
    if ftype in ("bool",):
        return "false"
    if ftype in ("int8", "int16", "uint16", "int32", "uint32", "int64"):
        return "0"
    if ftype == "float64":
        return "0.0"
    return ""


def convert_default(f, ftype, is_array):
    d = f.get("default")
    if d is None:
        return None
    d = str(d)
    if d == "null":
        return "null"
    if is_array or ftype not in PRIMITIVES:
        if d != "":
            raise SystemExit("%s: unsupported default %r" % (f["name"], d))
        return None
    if ftype == "bool":
        d = d.lower()
    if ftype in ("int8", "int16", "uint16", "int32", "uint32", "int64"):
        base = 16 if d.lower().startswith("0x") else 10
        if int(d, base) == 0:
            return None
    if d == implicit_default(ftype):
        return None
    if ftype in ("string",):
        return '"%s"' % d
    if ftype == "uuid" or ftype in ("bytes", "records"):
        raise SystemExit("%s: unsupported default %r" % (f["name"], d))
    return d


class Emitter:
    def __init__(self):
        self.lines = []
        self.dropped = []

    def fields(self, fields, scope, depth, where):
        rows = []
        for f in fields:
            versions = Range.parse(f["versions"]).intersect(scope)
            if versions.empty():
                self.dropped.append("%s.%s" % (where, f["name"]))
                continue
            t = f["type"]
            is_array = t.startswith("[]")
            elem = t[2:] if is_array else t
            elem_dsl = elem if elem in PRIMITIVES else snake(elem)
            nullable = Range.parse(f.get("nullableVersions", "none")).intersect(versions)
            typ = ("[]" if is_array else "") + elem_dsl
            attrs = []
            if not nullable.empty():
                if nullable == versions:
                    typ += "?"
                else:
                    attrs.append("nullable %s" % nullable)
            if "tag" in f:
                tagged = Range.parse(f["taggedVersions"]).intersect(scope)
                if tagged != versions:
                    raise SystemExit("%s.%s: taggedVersions differ from versions"
                                     % (where, f["name"]))
                attrs.append("tag %d" % f["tag"])
            if "flexibleVersions" in f:
                if f["flexibleVersions"] != "none":
                    raise SystemExit("%s.%s: field flexibleVersions %s unsupported"
                                     % (where, f["name"], f["flexibleVersions"]))
                attrs.append("flexible none")
            if f.get("ignorable"):
                attrs.append("ignorable")
            d = convert_default(f, elem, is_array)
            if d is not None:
                attrs.append("= " + d)
            vtext = "" if versions == scope else str(versions)
            rows.append((snake(f["name"]), typ, vtext, attrs, f, versions))
        if not rows:
            return
        wn = max(len(r[0]) for r in rows)
        wt = max(len(r[1]) for r in rows)
        wv = max(len(r[2]) for r in rows)
        pad = "  " * depth
        for name, typ, vtext, attrs, f, versions in rows:
            cols = [name.ljust(wn), typ.ljust(wt)]
            if wv:
                cols.append(vtext.ljust(wv))
            cols.extend(attrs)
            self.lines.append((pad + "  ".join(cols)).rstrip())
            if "fields" in f:
                self.fields(f["fields"], versions, depth + 1, where + "." + f["name"])

    def message(self, spec, keyword, scope):
        self.lines.append(keyword)
        self.fields(spec.get("fields", []), scope, 1, spec["name"])
        for cs in spec.get("commonStructs", []):
            # A common struct valid from some version on (Kafka 4.4's
            # TopologyDescription, "1+") needs nothing of its own: its
            # fields carry the same versions, written out against the
            # message's scope. Anything else would lose a fact.
            cv = Range.parse(cs["versions"])
            if cv.hi is not None or cv.lo is None:
                raise SystemExit("%s: common struct %s has versions %s"
                                 % (spec["name"], cs["name"], cs["versions"]))
            for f in cs["fields"]:
                fv = Range.parse(f["versions"])
                if fv.lo is None or fv.lo < cv.lo:
                    raise SystemExit("%s: field %s of common struct %s predates it"
                                     % (spec["name"], f["name"], cs["name"]))
            self.lines.append("")
            self.lines.append("struct %s" % snake(cs["name"]))
            self.fields(cs["fields"], scope, 1, spec["name"] + ":" + cs["name"])


def api_file(req, rsp, release):
    api = req["name"][:-len("Request")]
    if rsp["validVersions"] != req["validVersions"]:
        raise SystemExit("%s: request and response versions differ" % api)
    if rsp.get("flexibleVersions") != req.get("flexibleVersions"):
        raise SystemExit("%s: request and response flexible versions differ" % api)
    name = snake(api)
    camel = "".join(p[:1].upper() + p[1:] for p in name.split("_"))
    valid = Range.parse(req["validVersions"])
    flex = Range.parse(req.get("flexibleVersions", "none"))
    # Fields keep their open upper ends ("13+"): only versions below the
    # oldest valid one are cut off.
    scope = Range(valid.lo, None)
    head = ["api %d %s" % (req["apiKey"], name)]
    if camel != api:
        head.append('"%s"' % api)
    head.append("versions %s" % valid)
    head.append("flexible %s" % flex)
    if req.get("latestVersionUnstable"):
        head.append("unstable %d" % valid.hi)
    if req["apiKey"] in RESPONSE_HEADER_V0:
        head.append("response-header 0")
    e = Emitter()
    e.lines.append("# %s (API key %d), from Kafka %s %s.json and %s.json."
                   % (api, req["apiKey"], release, req["name"], rsp["name"]))
    e.lines.append("  ".join(head))
    e.lines.append("")
    e.message(req, "request", scope)
    e.lines.append("")
    e.message(rsp, "response", scope)
    return name + ".kfs", e


def headers_file(specs, release):
    e = Emitter()
    e.lines.append("# Request and response headers, from Kafka %s RequestHeader.json and"
                   % release)
    e.lines.append("# ResponseHeader.json. Request header v0 (no client_id) is kept for")
    e.lines.append("# completeness; no API in the tables uses it.")
    for spec, name in ((specs["RequestHeader"], "request"), (specs["ResponseHeader"], "response")):
        valid = Range.parse(spec["validVersions"])
        if name == "request":
            valid = Range(0, valid.hi)
        flex = Range.parse(spec["flexibleVersions"])
        e.lines.append("")
        e.message(spec, "header %s  versions %s  flexible %s" % (name, valid, flex),
                  Range(valid.lo, None))
    return "headers.kfs", e


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    src, out = argv[1], argv[2]
    m = re.search(r"(\d+\.\d+\.\d+)", os.path.basename(src.rstrip("/")))
    release = m.group(1) if m else "(unknown release)"
    specs = load_specs(src)
    reqs = sorted((s for s in specs.values()
                   if s["type"] == "request" and "broker" in s.get("listeners", [])),
                  key=lambda s: s["apiKey"])
    os.makedirs(out, exist_ok=True)
    files = [headers_file(specs, release)]
    for req in reqs:
        rsp = specs[req["name"][:-len("Request")] + "Response"]
        files.append(api_file(req, rsp, release))
    for fname, e in files:
        with open(os.path.join(out, fname), "w", encoding="utf-8") as fp:
            fp.write("\n".join(e.lines) + "\n")
        for d in e.dropped:
            print("%s: dropped %s (outside the valid versions)" % (fname, d))
    print("wrote %d files (%d APIs) to %s" % (len(files), len(reqs), out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
