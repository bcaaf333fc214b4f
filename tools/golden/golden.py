#!/usr/bin/env python3
"""Golden record batches for kfk's tests: the record rule, kafka-python's
producer, and kafka-python's legacy (v0/v1) message set encoder.

The same rule is written out in tools/golden/rdkafka_producer.c,
tools/golden/JavaProducer.java and tests/unit/batch_golden_test.c; the
README in tests/data/batches/ states it in words. Keep all four in step.

  golden.py create-topic BOOTSTRAP TOPIC     single partition, compression.type=producer
  golden.py produce BOOTSTRAP TOPIC CODEC    the 50 records with kafka-python
  golden.py legacy MAGIC CODEC FIRST OUT     a v0/v1 message set, written without a broker
  golden.py try-legacy BOOTSTRAP TOPIC       what a 4.3 broker does with api_version=(0, 10)
  golden.py version                          kafka-python's version
"""
import struct
import sys

N_RECORDS = 50
TS_BASE = 1700000000000


def key(i):
    return None if i % 7 == 0 else b"k-%d" % i


def value(i):
    if i == 13:
        return None
    if i == 5:
        return b""
    s = ((i + 1) * 2654435761) & 0xFFFFFFFF
    out = bytearray()
    for j in range((i * 37) % 200 + 1):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        out.append(s >> 24 if j % 3 == 0 else ord("a") + (i + j) % 26)
    return bytes(out)


def headers(i, null=None):
    """null: what to send for the rule's null header values. kafka-python's
    send() refuses None there (its encoder would take it), so it sends b""."""
    return [("h%d" % h, null if (i + h) % 5 == 0 else b"v%d.%d" % (i, h)) for h in range(i % 4)]


def timestamp(i):
    return TS_BASE + 1000 * i - (5000 if i % 10 == 9 else 0)


def create_topic(bootstrap, topic):
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, 1, 1, topic_configs={"compression.type": "producer"})])
    finally:
        admin.close()


def produce(bootstrap, topic, codec):
    from kafka import KafkaProducer

    p = KafkaProducer(
        bootstrap_servers=bootstrap,
        compression_type=None if codec == "none" else codec,
        linger_ms=200,
        batch_size=1 << 20,
        acks="all",
    )
    for i in range(N_RECORDS):
        p.send(topic, key=key(i), value=value(i), headers=headers(i, b""), partition=0,
               timestamp_ms=timestamp(i))
    p.flush()
    p.close()


LEGACY_CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3}


def legacy_set(magic, codec, first, n, offset0=0):
    """Records first..first+n-1 as kafka-python's producer would build them,
    with offsets offset0.., and when compressed one wrapper at offset 0."""
    from kafka.record.legacy_records import LegacyRecordBatchBuilder

    b = LegacyRecordBatchBuilder(magic=magic, compression_type=LEGACY_CODECS[codec],
                                 batch_size=1 << 20)
    for k in range(n):
        i = first + k
        if b.append(offset0 + k, timestamp(i), key(i), value(i)) is None:
            raise SystemExit("record %d did not fit" % i)
    return bytes(b.build())


def legacy(magic, codec, base, out):
    """Writes records 0..49 as a legacy message set. base < 0: exactly the
    bytes kafka-python's producer sends (offsets 0..49, or one wrapper at
    offset 0). base >= 0: two sets of 25 with the offsets a broker assigns:
    plain messages get base+i; a v1 wrapper keeps relative inner offsets
    0..24 and gets the absolute offset of its last inner message; a v0
    wrapper holds absolute inner offsets (brokers recompressed v0) and the
    same wrapper offset. The offset field is outside the CRC, so setting it
    leaves kafka-python's bytes otherwise as they were."""
    if base < 0:
        data = legacy_set(magic, codec, 0, N_RECORDS)
    else:
        parts = []
        for first in (0, 25):
            absolute = magic == 0 or codec == "none"
            part = bytearray(legacy_set(magic, codec, first, 25, base + first if absolute else 0))
            if codec != "none":
                struct.pack_into(">q", part, 0, base + first + 24)
            parts.append(bytes(part))
        data = b"".join(parts)
    with open(out, "wb") as f:
        f.write(data)


def try_legacy(bootstrap, topic):
    """Produces with message format v1 and reports what the broker says."""
    from kafka import KafkaProducer

    try:
        p = KafkaProducer(bootstrap_servers=bootstrap, api_version=(0, 10), acks=1,
                          max_block_ms=10000, request_timeout_ms=10000, retries=0)
        f = p.send(topic, key=b"k", value=b"v", partition=0)
        md = f.get(timeout=15)
        print("accepted: offset %d" % md.offset)
        p.close()
    except Exception as e:  # the answer is the point here
        print("refused: %s: %s" % (type(e).__name__, e))


def main(argv):
    cmd = argv[1] if len(argv) > 1 else "help"
    if cmd == "create-topic":
        create_topic(argv[2], argv[3])
    elif cmd == "produce":
        produce(argv[2], argv[3], argv[4])
    elif cmd == "legacy":
        legacy(int(argv[2]), argv[3], int(argv[4]), argv[5])
    elif cmd == "try-legacy":
        try_legacy(argv[2], argv[3])
    elif cmd == "version":
        import kafka

        print(kafka.__version__)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
