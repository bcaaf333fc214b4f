"""Prints every record of a topic as partition, offset, key, value,
timestamp and headers (name=value, comma-separated), tab-separated, one
per line, reading with kafka-python: an independent reader for
producer_roundtrip_test. Usage: producer_read.py BOOTSTRAP TOPIC"""
import sys

from kafka import KafkaConsumer, TopicPartition

bootstrap, topic = sys.argv[1], sys.argv[2]
c = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False,
                  consumer_timeout_ms=20000)
tps = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic) or [])]
c.assign(tps)
c.seek_to_beginning(*tps)
ends = c.end_offsets(tps)
left = {tp for tp in tps if ends[tp] > 0}
for m in c:
    hdrs = ",".join(f"{k}={v.decode() if v is not None else ''}" for k, v in m.headers)
    key = m.key.decode() if m.key is not None else ""
    value = m.value.decode() if m.value is not None else ""
    print(f"{m.partition}\t{m.offset}\t{key}\t{value}\t{m.timestamp}\t{hdrs}")
    tp = TopicPartition(topic, m.partition)
    if m.offset + 1 >= ends[tp]:
        left.discard(tp)
    if not left:
        break
c.close()
