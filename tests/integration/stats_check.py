"""Checks a kfk statistics document (stats_test.c's half).

Usage: stats_check.py producer|consumer|admin JSON_FILE N [PROM_FILE]
JSON_FILE holds one document per line: every document a stats_cb
delivered, in order, or one that an on-demand call rendered. Each must be
valid JSON. The last one must show the figures that producing or
consuming N records into a fresh topic leaves. With several, their
histogram windows (each stats_cb document closes one) must add up: the
batches' records to N for a producer, some round trips in all. With
PROM_FILE, parses the Prometheus text and checks that it tells the same.
Exits non-zero, with the reason, on the first mismatch.
"""
import json
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def fail(why):
    print("stats_check: " + why, file=sys.stderr)
    sys.exit(1)


def check_brokers(doc, need_rtt):
    brokers = doc["brokers"]
    if not brokers:
        fail("no broker entries")
    for name, b in brokers.items():
        for k in ("name", "nodeid", "state", "stateage", "outbuf_cnt", "waitresp_cnt", "tx",
                  "txbytes", "txerrs", "rx", "rxbytes", "rxerrs", "connects", "disconnects",
                  "rtt", "throttle"):
            if k not in b:
                fail("broker %s lacks %s" % (name, k))
        for h in ("rtt", "throttle"):
            if "cnt" not in b[h]:
                fail("broker %s %s lacks cnt" % (name, h))
    for name, b in brokers.items():
        r = b["rtt"]
        if r["cnt"] and not r["max"] >= r["p50"] >= r["min"]:
            fail("broker %s rtt %r" % (name, r))
    if need_rtt and not any(b["rtt"]["cnt"] > 0 for b in brokers.values()):
        fail("no broker with rtt cnt > 0")
    if not any(b["state"] == "UP" for b in brokers.values()):
        fail("no broker UP")
    # The totals keep what connections no longer listed carried (the
    # bootstrap entries, brokers that left).
    if doc["tx"] < sum(b["tx"] for b in brokers.values()) or doc["tx"] < 1:
        fail("tx %d is under the brokers' sum" % doc["tx"])


def parts_of(doc):
    if len(doc["topics"]) != 1:
        fail("expected one topic, got %s" % list(doc["topics"]))
    topic = next(iter(doc["topics"].values()))
    return topic, topic["partitions"]


def check_producer(doc, n):
    if doc["type"] != "producer":
        fail("type %r" % doc["type"])
    if doc["txmsgs"] != n:
        fail("txmsgs %d, expected %d" % (doc["txmsgs"], n))
    if doc["msg_cnt"] != 0:
        fail("msg_cnt %d after flush" % doc["msg_cnt"])
    topic, parts = parts_of(doc)
    if sum(p["txmsgs"] for p in parts.values()) != n:
        fail("partitions' txmsgs do not add up to %d" % n)
    for k, p in parts.items():
        if p["msgq_cnt"] != 0 or p["xmit_msgq_cnt"] != 0:
            fail("partition %s still queues records: %r" % (k, p))
        if p["leader"] < 0:
            fail("partition %s has no leader" % k)
    if not 0 < topic["compression_ratio"] <= 1.5:
        fail("compression_ratio %r" % topic["compression_ratio"])


def check_consumer(doc, n):
    if doc["type"] != "consumer":
        fail("type %r" % doc["type"])
    if doc["rxmsgs"] < n:
        fail("rxmsgs %d < %d" % (doc["rxmsgs"], n))
    topic, parts = parts_of(doc)
    if sum(p["app_offset"] for p in parts.values()) != n:
        fail("app_offsets add up to %d, expected %d" %
             (sum(p["app_offset"] for p in parts.values()), n))
    for k, p in parts.items():
        if p["consumer_lag"] != 0 or p["hi_offset"] != p["app_offset"]:
            fail("partition %s lags: %r" % (k, p))
        if p["fetch_state"] != "active":
            fail("partition %s fetch_state %r" % (k, p["fetch_state"]))
    g = doc.get("cgrp")
    if not g or g["state"] != "up" or g["assignment_size"] != len(parts) or g["rebalance_cnt"] < 1:
        fail("cgrp %r" % g)


def parse_prom(path):
    samples = {}
    typed = set()
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("# TYPE "):
            name = line.split()[2]
            if name in typed:
                fail("metric family %s typed twice" % name)
            typed.add(name)
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        if not m:
            fail("not a sample line: %r" % line)
        labels = {}
        rest = m.group(3) or ""
        while rest:
            lm = LABEL.match(rest)
            if not lm:
                fail("bad labels in %r" % line)
            labels[lm.group(1)] = lm.group(2)
            rest = rest[lm.end():]
        samples.setdefault(m.group(1), []).append((labels, float(m.group(4))))
    return samples


def check_prom(kind, path, n):
    s = parse_prom(path)
    if kind == "admin":
        pass
    elif kind == "producer":
        total = s.get("kafka_producer_record_send_total")
        if not total or total[0][1] != n:
            fail("kafka_producer_record_send_total %r" % total)
        per = s.get("kafka_producer_topic_record_send_total", [])
        if sum(v for _, v in per) != n or not all("partition" in l for l, _ in per):
            fail("kafka_producer_topic_record_send_total %r" % per)
    else:
        total = s.get("kafka_consumer_records_consumed_total")
        if not total or total[0][1] < n:
            fail("kafka_consumer_records_consumed_total %r" % total)
        if not s.get("kafka_consumer_coordinator_assigned_partitions"):
            fail("no kafka_consumer_coordinator_assigned_partitions")
    prefix = "kafka_%s_" % kind
    req = s.get(prefix + "node_request_total")
    if not req or not all("broker" in l and "node_id" in l for l, _ in req):
        fail("%snode_request_total %r" % (prefix, req))
    if not any(v > 0 for _, v in s.get(prefix + "node_request_latency_seconds_count", [])):
        fail("no request latency counted")


def check_windows(kind, docs, n):
    """Each stats_cb document closes the windows of rtt, throttle,
    batchsize and batchcnt: over all of them, each value counts once."""
    if len(docs) < 2:
        return
    rtts = sum(b["rtt"]["cnt"] for d in docs for b in d["brokers"].values())
    if rtts <= 0:
        fail("no round trip in any document's window")
    if kind == "producer":
        records = sum(t["batchcnt"]["sum"] for d in docs for t in d["topics"].values())
        if records != n:
            fail("the documents' batchcnt windows add up to %d records, expected %d" % (records, n))
        last = docs[-1]["topics"]
        if any(t["batchcnt"]["cnt"] for t in last.values()):
            fail("the last window, after the flush, holds batches: %r" % last)


def main():
    kind, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(path, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()]
    if not docs:
        fail("no document")
    doc = docs[-1]
    check_windows(kind, docs, n)
    check_brokers(doc, len(docs) == 1 and kind == "admin")
    if kind == "admin":
        if doc["type"] != "admin" or doc["topics"] or "cgrp" in doc:
            fail("admin document %r" % doc)
    else:
        (check_producer if kind == "producer" else check_consumer)(doc, n)
    if len(sys.argv) > 4:
        check_prom(kind, sys.argv[4], n)
    print("stats_check: %s document ok" % kind)


main()
