"""Writes N records to TOPIC with kafka-python's KafkaProducer in CODEC and
prints what it sent, one line per record, in the order sent:
    partition TAB timestamp_ms TAB key TAB value TAB headers
bytes as "x" + hex ("x" alone is empty), "-" for None; headers as
name=value pairs (name and value encoded the same way), comma-separated,
"" for none. The records vary: keys (some None), values (some None, some
empty, some a few KiB), 0-3 headers (some with an empty value), explicit
partitions and timestamps TS0 + i. For consumer_interop_test.
Usage: consumer_interop.py BOOTSTRAP TOPIC CODEC N TS0 PARTITIONS"""
import random
import sys

from kafka import KafkaProducer


def enc(b):
    return "-" if b is None else "x" + b.hex()


def record(rng, i, parts):
    key = None if i % 7 == 3 else f"key-{i}-{rng.randrange(10**6)}".encode()
    if i % 11 == 5 and key is not None:  # kafka-python refuses both None
        value = None
    elif i % 13 == 6:
        value = b""
    elif i % 10 == 0:  # a few KiB, half compressible
        n = rng.randrange(2048, 6144)
        value = bytes(rng.randrange(256) for _ in range(n // 2)) + b"z" * (n - n // 2)
    else:
        value = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 120)))
    headers = []
    for h in range(i % 4):
        # kafka-python 3.0.12 refuses None header values (kcat writes them)
        hv = (b"" if h == 1 and i % 8 in (2, 3)
              else f"hv{i}.{h}".encode() + bytes([rng.randrange(256)]))
        headers.append((f"h{h}-{i % 5}", hv))
    return rng.randrange(parts), key, value, headers


def main():
    bootstrap, topic, codec, n, ts0, parts = sys.argv[1:7]
    n, ts0, parts = int(n), int(ts0), int(parts)
    rng = random.Random(f"{topic}/{codec}")
    p = KafkaProducer(bootstrap_servers=bootstrap.split(","),
                      compression_type=None if codec == "none" else codec,
                      max_in_flight_requests_per_connection=1, acks="all", linger_ms=5)
    futures, lines = [], []
    for i in range(n):
        part, key, value, headers = record(rng, i, parts)
        futures.append(p.send(topic, key=key, value=value, headers=headers, partition=part,
                              timestamp_ms=ts0 + i))
        hs = ",".join(f"{enc(k.encode())}={enc(v)}" for k, v in headers)
        lines.append(f"{part}\t{ts0 + i}\t{enc(key)}\t{enc(value)}\t{hs}")
    p.flush(timeout=30)
    for f in futures:
        f.get(timeout=30)  # raises if a record failed
    p.close()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
