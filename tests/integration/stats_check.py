"""Checks a kfk statistics document (stats_test.c's half).

Usage: stats_check.py producer|consumer|admin JSON_FILE N [PROM_FILE]
Parses the JSON document (it must be valid JSON) and asserts the
figures that producing or consuming N records into a fresh topic must
leave; with PROM_FILE, parses the Prometheus text and checks that it
tells the same. Exits non-zero, with the reason, on the first mismatch.
"""
import json
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def fail(why):
    print("stats_check: " + why, file=sys.stderr)
    sys.exit(1)


def check_brokers(doc):
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
    if not any(b["rtt"]["cnt"] > 0 and b["rtt"]["max"] >= b["rtt"]["p50"] >= b["rtt"]["min"]
               for b in brokers.values()):
        fail("no broker with rtt cnt > 0 and min <= p50 <= max")
    if not any(b["state"] == "UP" for b in brokers.values()):
        fail("no broker UP")
    if doc["tx"] != sum(b["tx"] for b in brokers.values()):
        fail("tx is not the brokers' sum")


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
    if topic["batchcnt"]["sum"] != n:
        fail("batchcnt sum %d, expected %d" % (topic["batchcnt"]["sum"], n))
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


def main():
    kind, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    check_brokers(doc)
    if kind == "admin":
        if doc["type"] != "admin" or doc["topics"] or "cgrp" in doc:
            fail("admin document %r" % doc)
    else:
        (check_producer if kind == "producer" else check_consumer)(doc, n)
    if len(sys.argv) > 4:
        check_prom(kind, sys.argv[4], n)
    print("stats_check: %s document ok" % kind)


main()
