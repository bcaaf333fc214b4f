"""A kafka-python member of a consumer group with the range assignor, for
consumer_mixed_test: it reports on stdout, one line each and flushed,
"A p p ..." / "R p p ..." when partitions are assigned / revoked, and
"M partition offset value" for each record once its offset is committed
(a synchronous commit after each poll). It joins once it reads a line
from stdin, and runs until its stdin reaches its end, then closes
(leaving the group).
Usage: consumer_mixed.py BOOTSTRAP TOPIC GROUP"""
import select
import sys

from kafka import KafkaConsumer
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.coordinator.assignors.range import RangePartitionAssignor


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Listener(ConsumerRebalanceListener):
    """Reports assignment changes. It commits nothing: the main loop commits
    after each poll (and kafka-python 3 forbids blocking calls here)."""

    def on_partitions_revoked(self, revoked):
        say("R " + " ".join(str(tp.partition) for tp in sorted(revoked)))

    def on_partitions_assigned(self, assigned):
        say("A " + " ".join(str(tp.partition) for tp in sorted(assigned)))


def learn_partitions_before_joining(c, topic):
    """Fetches metadata naming the topic after subscribing and before the
    first poll() joins the group, so that the member's first assignment, if
    it leads, is made from the topic's partitions.

    Why: kafka-python 3.0.12 stalls for good in this race. A leader that
    assigned before its metadata named the topic rejoins once the metadata
    arrives (its metadata snapshot changed). poll(timeout_ms=100) may return
    while that JoinGroup/SyncGroup is in flight, leaving the join to finish
    in the background; by then performing the assignment has stored the new
    snapshot, need_rejoin() is False, and the finished join is never taken
    up: the member stays REBALANCING with heartbeats off, never applies its
    assignment, and the coordinator drops it when its session expires. With
    the partitions known before the first join, the snapshot never changes
    (the topic keeps its partitions) and that rejoin never starts. topics()
    always asks the cluster; the metadata listener that takes the snapshot
    runs on the client's IO thread as the answer is applied, before the
    join that the next poll() hands to that thread."""
    while topic not in c.topics():
        pass


def main():
    bootstrap, topic, group = sys.argv[1:4]
    c = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=group,
                      enable_auto_commit=False, auto_offset_reset="earliest",
                      partition_assignment_strategy=[RangePartitionAssignor],
                      session_timeout_ms=10000, heartbeat_interval_ms=1000,
                      fetch_max_wait_ms=100)
    if not sys.stdin.buffer.readline():
        return 0
    c.subscribe([topic], listener=Listener())
    learn_partitions_before_joining(c, topic)
    while True:
        ready, _, _ = select.select([sys.stdin], [], [], 0)
        if ready and not sys.stdin.buffer.read1(4096):
            break
        batches = c.poll(timeout_ms=100)
        if not batches:
            continue
        c.commit()
        for tp, records in sorted(batches.items()):
            for r in records:
                say(f"M {r.partition} {r.offset} {r.value.decode()}")
    c.close()


sys.exit(main())
