"""Moves partition leaders on a real multi-node cluster, for
consumer_fetch_move_test: puts the wanted broker first in each partition's
replica list (a reassignment that moves no data) and runs a preferred
leader election, then waits until metadata shows the new leaders.
Usage: consumer_leader_move.py BOOTSTRAP TOPIC PARTITION:BROKER...
Exit status 0 when every partition is led by its broker, else 1 with the
reason on stderr."""
import sys
import time

from kafka import TopicPartition
from kafka.admin import KafkaAdminClient


def leaders(admin, topic):
    desc = admin.describe_topics([topic])[0]
    return {p["partition_index"]: (p["leader_id"], p["replica_nodes"]) for p in desc["partitions"]}


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    want = {int(a.split(":")[0]): int(a.split(":")[1]) for a in sys.argv[3:]}
    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), request_timeout_ms=20000)
    now = leaders(admin, topic)
    moves = {}
    for p, b in want.items():
        replicas = now[p][1]
        if b not in replicas:
            print(f"partition {p}: broker {b} is not a replica {replicas}", file=sys.stderr)
            return 1
        moves[TopicPartition(topic, p)] = [b] + [r for r in replicas if r != b]
    errs = admin.alter_partition_reassignments(moves, timeout_ms=20000)
    bad = {tp: e for tp, e in (errs or {}).items() if e is not None}
    if bad:
        print(f"reassignment refused: {bad}", file=sys.stderr)
        return 1
    deadline = time.monotonic() + 60
    while True:
        try:
            admin.elect_leaders(0, {topic: list(want)}, timeout_ms=20000, raise_errors=False)
        except Exception as e:  # an election already under way; the loop retries
            print(f"elect_leaders: {e}", file=sys.stderr)
        now = leaders(admin, topic)
        if all(now[p][0] == b for p, b in want.items()):
            break
        if time.monotonic() > deadline:
            print(f"leaders after 60 s: {now}, wanted {want}", file=sys.stderr)
            return 1
        time.sleep(0.5)
    admin.close()
    return 0


sys.exit(main())
