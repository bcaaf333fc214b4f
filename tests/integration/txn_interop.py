"""Reads a topic from its beginning to its end with kafka-python and
isolation_level=read_committed, for txn_interop_test, and prints
"committed C aborted A": how many values start with each word.
Usage: txn_interop.py BOOTSTRAP TOPIC"""
import sys

from kafka import KafkaConsumer, TopicPartition


def main():
    bootstrap, topic = sys.argv[1:3]
    c = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False,
                      isolation_level="read_committed", auto_offset_reset="earliest")
    parts = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic))]
    c.assign(parts)
    c.seek_to_beginning()
    ends = c.end_offsets(parts)  # the last stable offsets, read_committed
    counts = {"committed": 0, "aborted": 0}
    while any(c.position(tp) < ends[tp] for tp in parts):
        for records in c.poll(timeout_ms=500).values():
            for r in records:
                word = r.value.decode().split("-")[0]
                counts[word] = counts.get(word, 0) + 1
    c.close()
    print("committed %d aborted %d" % (counts["committed"], counts["aborted"]))


sys.exit(main())
