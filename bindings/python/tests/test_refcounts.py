"""Reference counting of the C paths (_speedups and the cffi module):
once its report was served a record holds nothing, and nothing grows per
record produced, refused, purged or consumed. A leak of one reference or
one object per record shows as N references or N times its size."""
import gc
import sys
import tracemalloc

import kfk
from conftest import wait_for

N = 20000


class Callback:
    def __init__(self):
        self.errs = {}

    def __call__(self, err, msg):
        name = None if err is None else err.name()
        self.errs[name] = self.errs.get(name, 0) + 1


def produce(p, topic, value, key, cb, n):
    for i in range(n):
        if i % 2:
            p.produce(topic, value, partition=0, on_delivery=cb)  # the C fast path
        else:
            p.produce(topic, value, key=key, partition=0, on_delivery=cb)  # through cffi
        if i % 1000 == 999:
            p.poll(0)


def refused(p, topic, value, key, cb, n):
    for i in range(n):
        for k in (None, key):
            try:
                p.produce(topic, value, key=k, partition=-5, on_delivery=cb)
            except kfk.KafkaException:
                pass
            else:
                raise AssertionError("partition -5 was accepted")


class Growth:
    """Traced memory and (debug builds) total references gained inside."""

    def __enter__(self):
        gc.collect()
        self.total = getattr(sys, "gettotalrefcount", None)
        self.refs0 = self.total() if self.total else 0
        tracemalloc.start()
        self.mem0 = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(self, *exc):
        gc.collect()
        self.bytes = tracemalloc.get_traced_memory()[0] - self.mem0
        tracemalloc.stop()
        self.refs = self.total() - self.refs0 if self.total else 0


def test_producing_keeps_no_reference_per_record(bootstrap, topic_factory):
    topic = topic_factory(1, "refs")
    value = bytes(bytearray(b"v" * 100))  # objects of this test alone
    key = bytes(bytearray(b"key"))
    cb = Callback()
    p = kfk.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    queued = kfk.Producer({"bootstrap.servers": bootstrap, "linger.ms": 60000,
                           "batch.size": 4 << 20})
    produce(p, topic, value, key, cb, 100)  # the topic's metadata, caches
    produce(queued, topic, value, key, cb, 100)
    assert p.flush(60) == 0
    queued.purge()
    assert queued.flush(60) == 0
    before = [sys.getrefcount(o) for o in (value, key, cb)]
    with Growth() as g:
        produce(p, topic, value, key, cb, N)
        assert p.flush(60) == 0
        refused(p, topic, value, key, cb, N // 10)
        produce(queued, topic, value, key, cb, N // 4)
        queued.purge()
        assert queued.flush(60) == 0
    assert cb.errs == {None: 100 + N, "PURGED": 100 + N // 4}
    assert [sys.getrefcount(o) for o in (value, key, cb)] == before
    assert g.bytes < N * 4, "%d bytes more after %d records" % (g.bytes, N)
    assert g.refs < N // 10, "%d references more after %d records" % (g.refs, N)
    p.close()
    queued.close()


def test_consuming_keeps_nothing_per_message(bootstrap, topic_factory):
    topic = topic_factory(1, "crefs")
    p = kfk.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(N + 1000):
        p.produce(topic, b"value-%d" % i, key=b"k" if i % 2 else None, partition=0)
    assert p.flush(60) == 0
    p.close()
    c = kfk.Consumer({"bootstrap.servers": bootstrap})
    c.assign([kfk.TopicPartition(topic, 0, kfk.OFFSET_BEGINNING)])

    def consume(n):
        got = 0
        for _ in range(600):
            if got >= n:
                break
            for m in c.consume(min(500, n - got), 0.2):
                assert m.error() is None, m.error()
                m.key(), m.value(), m.headers(), bytes(m.value_view())
                got += 1
        assert got == n

    consume(1000)  # buffers and caches settle
    with Growth() as g:
        consume(N)
    assert g.bytes < N * 4, "%d bytes more after %d messages" % (g.bytes, N)
    assert g.refs < N // 10, "%d references more after %d messages" % (g.refs, N)
    c.close()


class Observer:
    """An interceptor and stats callback that keeps only counts."""

    def __init__(self):
        self.n = {"send": 0, "ack": 0, "consume": 0, "commit": 0, "stats": 0}

    def on_send(self, msg):
        self.n["send"] += 1

    def on_acknowledgement(self, err, msg):
        self.n["ack"] += 1

    def on_consume(self, msgs):
        self.n["consume"] += len(msgs)

    def on_commit(self, err, offsets):
        self.n["commit"] += 1

    def __call__(self, doc):
        self.n["stats"] += 1


def test_observers_keep_nothing_per_record_or_client(bootstrap, topic_factory):
    topic = topic_factory(1, "orefs")
    value = bytes(bytearray(b"o" * 100))
    key = bytes(bytearray(b"okey"))
    obs, cb = Observer(), Callback()
    conf = {"bootstrap.servers": bootstrap, "linger.ms": 5, "interceptors": [obs],
            "stats_cb": obs, "statistics.interval.ms": 50}

    def produce_observed(p, n):
        for i in range(n):
            p.produce(topic, value, key=key if i % 2 else None, partition=0,
                      on_delivery=cb if i % 3 else None)
        assert p.flush(60) == 0

    before = [sys.getrefcount(o) for o in (value, key, cb, obs)]
    p = kfk.Producer(conf)
    produce_observed(p, 100)
    with Growth() as g:
        produce_observed(p, N)
    assert obs.n["send"] == obs.n["ack"] == 100 + N
    assert g.bytes < N * 4, "%d bytes more after %d records" % (g.bytes, N)
    assert g.refs < N // 10, "%d references more after %d records" % (g.refs, N)
    def stats_seen():
        p.poll(0.1)
        return obs.n["stats"]

    wait_for(stats_seen, "a statistics document")
    p.close()
    c = kfk.Consumer(dict(conf, **{"group.id": "g-" + topic, "enable.auto.commit": False}))
    c.assign([kfk.TopicPartition(topic, 0, kfk.OFFSET_BEGINNING)])
    for _ in range(600):
        if obs.n["consume"] >= 100 + N:
            break
        c.consume(500, 0.2)
    c.commit(offsets=[kfk.TopicPartition(topic, 0, 1)], asynchronous=False)
    assert obs.n["consume"] == 100 + N and obs.n["commit"] == 1
    c.close()
    del p, c
    gc.collect()
    assert [sys.getrefcount(o) for o in (value, key, cb, obs)] == before
