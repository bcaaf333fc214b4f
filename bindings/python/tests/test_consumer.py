import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import kfk
from conftest import unique, wait_for

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
C_CONSUMER = os.path.join(os.environ.get("KFK_BUILD_DIR", os.path.join(ROOT, "build")),
                          "examples", "consumer")


def produce(bootstrap, topic, n, partition=-1, prefix=b"r"):
    p = kfk.Producer({"bootstrap.servers": bootstrap})
    for i in range(n):
        p.produce(topic, prefix + b"%d" % i, key=b"%d" % i, partition=partition)
    assert p.flush(60) == 0
    p.close()


def group_conf(bootstrap, group, **kw):
    return dict({"bootstrap.servers": bootstrap, "group.id": group,
                 "auto.offset.reset": "earliest", "session.timeout.ms": 10000,
                 "heartbeat.interval.ms": 500}, **kw)


def test_assign_seek_position_pause_resume(bootstrap, topic_factory):
    topic = topic_factory(1, "seek")
    produce(bootstrap, topic, 100, partition=0)
    c = kfk.Consumer({"bootstrap.servers": bootstrap})
    tp = kfk.TopicPartition(topic, 0, 10)
    c.assign([tp])
    assert [(x.topic, x.partition) for x in c.assignment()] == [(topic, 0)]
    m = c.poll(30)
    assert m is not None and m.error() is None and m.offset() == 10
    assert c.position([kfk.TopicPartition(topic, 0)])[0].offset == 11
    c.seek(kfk.TopicPartition(topic, 0, 50))
    m = wait_for(lambda: c.poll(0.2), "a message after the seek")
    assert m.offset() == 50
    c.pause([kfk.TopicPartition(topic, 0)])
    assert c.poll(0.5) is None
    c.resume([kfk.TopicPartition(topic, 0)])
    m = c.poll(30)
    assert m is not None and m.offset() == 51
    assert c.get_watermark_offsets(kfk.TopicPartition(topic, 0), 30) == (0, 100)
    with pytest.raises(kfk.KafkaException) as ei:
        c.seek(kfk.TopicPartition(topic, 7, 0))
    assert ei.value.args[0].name() == "UNKNOWN_TOPIC_OR_PARTITION"
    c.close()


def test_commit_and_committed(bootstrap, topic_factory):
    topic = topic_factory(2, "commit")
    group = unique("g-commit")
    produce(bootstrap, topic, 20, partition=1)
    commits = []
    c = kfk.Consumer(group_conf(bootstrap, group, **{"enable.auto.commit": False},
                                on_commit=lambda e, ps: commits.append((e, ps))))
    c.assign([kfk.TopicPartition(topic, 1, kfk.OFFSET_BEGINNING)])
    msgs = []
    wait_for(lambda: msgs.extend(c.consume(20, 0.2)) or len(msgs) >= 5, "messages")
    c.commit(message=msgs[4], asynchronous=False)
    got = c.committed([kfk.TopicPartition(topic, 1)], timeout=30)
    assert got[0].offset == 5
    c.commit(offsets=[kfk.TopicPartition(topic, 1, 7, metadata="md")], asynchronous=True)
    wait_for(lambda: c.poll(0.1) is not None or commits, "the commit callback")
    assert commits[0][0] is None and commits[0][1][0].offset == 7
    got = c.committed([kfk.TopicPartition(topic, 1)], timeout=30)
    assert got[0].offset == 7 and got[0].metadata == "md"
    c.close()


def run_members(consumers, n, stop):
    """Polls every consumer on its own thread until stop is set; returns
    what each got."""
    got = [[] for _ in consumers]
    errors = []

    def loop(i, c):
        try:
            while not stop.is_set():
                for m in c.consume(100, 0.2):
                    assert m.error() is None, m.error()
                    got[i].append((m.partition(), m.offset()))
        except BaseException as e:
            errors.append(e)

    ts = [threading.Thread(target=loop, args=(i, c)) for i, c in enumerate(consumers)]
    for t in ts:
        t.start()
    return got, errors, ts


def test_group_of_three_python_consumers_splits_the_partitions(bootstrap, topic_factory):
    topic = topic_factory(6, "grp")
    group = unique("g3")
    assigned = [set() for _ in range(3)]
    revoked = []

    def on_assign(i):
        return lambda c, ps: assigned[i].update((p.topic, p.partition) for p in ps)

    def on_revoke(i):
        def f(c, ps):
            revoked.append(i)
            assigned[i].difference_update((p.topic, p.partition) for p in ps)
        return f

    consumers = [kfk.Consumer(group_conf(bootstrap, group)) for _ in range(3)]
    for i, c in enumerate(consumers):
        c.subscribe([topic], on_assign=on_assign(i), on_revoke=on_revoke(i))
    stop = threading.Event()
    got, errors, ts = run_members(consumers, 0, stop)
    try:
        wait_for(lambda: all(len(a) == 2 for a in assigned) and
                 set().union(*assigned) == {(topic, p) for p in range(6)},
                 "every member with two partitions", timeout=90)
        produce(bootstrap, topic, 600)
        wait_for(lambda: sum(len(g) for g in got) >= 600, "600 records", timeout=90)
    finally:
        stop.set()
        for t in ts:
            t.join()
    assert not errors, errors
    everything = [x for g in got for x in g]
    assert len(everything) == len(set(everything)) == 600
    for i, g in enumerate(got):
        assert {(topic, p) for p, _ in g} <= assigned[i]
    for c in consumers:
        c.close()


def test_mixed_group_with_a_c_consumer(bootstrap, topic_factory):
    if not os.access(C_CONSUMER, os.X_OK):
        pytest.fail("%s is not built (make)" % C_CONSUMER)
    topic = topic_factory(4, "mixed")
    group = unique("gmix")
    proc = subprocess.Popen(["stdbuf", "-oL", C_CONSUMER, "-b", bootstrap, "-G", group, "-o", "beginning", "-v",
                             "-X", "session.timeout.ms=10000", "-X", "heartbeat.interval.ms=500",
                             topic], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    c_got = []

    def reader():
        for line in proc.stdout:
            f = line.decode().rstrip("\n").split("\t")
            c_got.append((int(f[0]), int(f[1])))

    rt = threading.Thread(target=reader)
    rt.start()
    assigned = set()
    c = kfk.Consumer(group_conf(bootstrap, group))
    c.subscribe([topic], on_assign=lambda _c, ps: assigned.update(p.partition for p in ps),
                on_revoke=lambda _c, ps: assigned.difference_update(p.partition for p in ps))
    py_got = []
    try:
        # Both members in: the Python one holds some of the partitions, not all.
        wait_for(lambda: py_got.extend((m.partition(), m.offset()) for m in c.consume(10, 0.2))
                 or (0 < len(assigned) < 4), "a two-member group", timeout=90)
        produce(bootstrap, topic, 400)
        wait_for(lambda: py_got.extend((m.partition(), m.offset()) for m in c.consume(100, 0.2))
                 or len(set(py_got) | set(c_got)) >= 400, "400 records", timeout=90)
    finally:
        c.close()
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        rt.join()
        proc.stdout.close()
    assert len(set(py_got) | set(c_got)) == 400
    assert py_got and c_got
    assert {p for p, _ in py_got}.isdisjoint({p for p, _ in c_got})


def test_unknown_group_property_value_is_refused(bootstrap):
    with pytest.raises(kfk.KafkaException) as ei:
        kfk.Consumer({"bootstrap.servers": bootstrap, "auto.offset.reset": "sometimes"})
    assert "auto.offset.reset" in str(ei.value)


def test_ctrl_c_interrupts_a_blocking_poll(bootstrap):
    code = ("import kfk,sys\n"
            "c=kfk.Consumer({'bootstrap.servers': %r})\n"
            "try:\n"
            "    print('ready', flush=True)\n"
            "    c.poll()\n"
            "except KeyboardInterrupt:\n"
            "    print('interrupted', flush=True)\n" % bootstrap)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdout.readline() == b"ready\n"

    def main_thread_waits():
        with open("/proc/%d/stat" % proc.pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "S"

    wait_for(main_thread_waits, "the child blocked in poll")
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert out == b"interrupted\n"
