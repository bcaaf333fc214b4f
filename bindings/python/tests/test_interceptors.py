"""Interceptors: on_send and on_acknowledgement around produce, on_consume
and on_commit around poll and commit; a hook that raises is logged and
ignored."""
import logging

import pytest

import kfk
from conftest import unique, wait_for

N = 300


class Recorder:
    def __init__(self, order=None):
        self.sent, self.acked, self.consumed, self.commits = [], [], [], []
        self.order = order

    def on_send(self, msg):
        self.sent.append(msg)
        if self.order is not None:
            self.order.append(("send", msg.value()))

    def on_acknowledgement(self, err, msg):
        self.acked.append((err, msg))
        if self.order is not None:
            self.order.append(("ack", msg.value()))

    def on_consume(self, msgs):
        self.consumed.extend(msgs)

    def on_commit(self, err, offsets):
        self.commits.append((err, offsets))


class Raising:
    def __init__(self):
        self.calls = 0

    def _raise(self, *args):
        self.calls += 1
        raise RuntimeError("interceptor failure")

    on_send = on_acknowledgement = on_consume = on_commit = _raise


def test_producer_hooks_see_every_record_once(bootstrap, topic_factory):
    topic = topic_factory(2, "icpt")
    order = []
    rec = Recorder(order)
    delivered = []

    def dr(err, msg):
        order.append(("dr", msg.value()))
        delivered.append((err, msg))

    p = kfk.Producer({"bootstrap.servers": bootstrap, "interceptors": [rec], "linger.ms": 5})
    assert type(p.produce).__name__ == "method"  # the Python path, where on_send runs
    for i in range(N):
        if i % 3 == 0:  # value only: the C fast path without interceptors
            p.produce(topic, b"v%d" % i, partition=i % 2)
        elif i % 3 == 1:
            p.produce(topic, b"v%d" % i, key=b"k%d" % i, headers=[("h", b"%d" % i)],
                      on_delivery=dr)
        else:
            p.produce(topic, value=b"v%d" % i, partition=1, callback=dr)
    assert p.flush(60) == 0
    assert len(rec.sent) == N and len(rec.acked) == N
    assert sorted(m.value() for m in rec.sent) == sorted(b"v%d" % i for i in range(N))
    assert rec.sent[1].key() == b"k1" and rec.sent[1].headers() == [("h", b"1")]
    assert rec.sent[0].partition() == 0 and rec.sent[0].offset() is None
    assert rec.sent[1].partition() == -1 and rec.sent[0].topic() == topic
    # Every record acknowledged once, with an offset, and its key and value.
    assert all(err is None for err, _ in rec.acked)
    assert sorted(m.value() for _, m in rec.acked) == sorted(m.value() for m in rec.sent)
    offsets = sorted((m.partition(), m.offset()) for _, m in rec.acked)
    assert len(set(offsets)) == N and all(o >= 0 for _, o in offsets)
    by_value = {m.value(): m for _, m in rec.acked}
    assert by_value[b"v1"].key() == b"k1" and by_value[b"v1"].topic() == topic
    # The acknowledgement comes before the delivery callback.
    assert len(delivered) == N - (N + 2) // 3
    for _, m in delivered:
        assert order.index(("ack", m.value())) < order.index(("dr", m.value()))
        assert (m.partition(), m.offset()) == (by_value[m.value()].partition(),
                                               by_value[m.value()].offset())
    p.close()


def test_refused_record_is_acknowledged_with_its_error(bootstrap, topic_factory):
    topic = topic_factory(1, "icptref")
    rec = Recorder()
    p = kfk.Producer({"bootstrap.servers": bootstrap, "interceptors": [rec]})
    p.produce(topic, b"ok", partition=0)  # the topic's metadata
    assert p.flush(60) == 0
    with pytest.raises(kfk.KafkaException):
        p.produce(topic, b"refused", partition=-5)
    assert [m.value() for m in rec.sent] == [b"ok", b"refused"]
    err, msg = rec.acked[-1]
    assert len(rec.acked) == 2 and msg.value() == b"refused"
    assert err is not None and err.code() != 0 and msg.offset() == -1
    assert p.flush(60) == 0 and len(rec.acked) == 2  # no report follows
    p.close()


def test_raising_hooks_are_logged_and_lose_nothing(bootstrap, topic_factory, caplog):
    topic = topic_factory(1, "icptraise")
    bad, rec = Raising(), Recorder()
    log = logging.getLogger(unique("icpt-log"))
    p = kfk.Producer({"bootstrap.servers": bootstrap, "interceptors": [bad, rec],
                      "logger": log})
    delivered = []
    with caplog.at_level(logging.WARNING, logger=log.name):
        for i in range(N):
            p.produce(topic, b"r%d" % i, partition=0,
                      on_delivery=lambda err, msg: delivered.append(err))
        assert p.flush(60) == 0
    assert delivered == [None] * N
    assert bad.calls == 2 * N and len(rec.sent) == N and len(rec.acked) == N
    warned = [r for r in caplog.records if r.name == log.name]
    assert len(warned) == 2 * N
    assert {r.getMessage() for r in warned} == {"interceptor: on_send raised (ignored)",
                                               "interceptor: on_acknowledgement raised (ignored)"}
    assert all(r.exc_info and r.exc_info[0] is RuntimeError for r in warned)
    p.close()

    group = unique("g-icptraise")
    bad_c, rec_c = Raising(), Recorder()
    c = kfk.Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                      "enable.auto.commit": False, "interceptors": [bad_c, rec_c]})
    c.assign([kfk.TopicPartition(topic, 0, kfk.OFFSET_BEGINNING)])
    got = []
    with caplog.at_level(logging.WARNING, logger="kfk"):
        wait_for(lambda: got.extend(c.consume(100, 0.2)) or len(got) >= N, "the records")
        c.commit(offsets=[kfk.TopicPartition(topic, 0, N)], asynchronous=False)
    assert [m.value() for m in got] == [b"r%d" % i for i in range(N)]
    assert rec_c.consumed == got and len(rec_c.commits) == 1
    assert c.committed([kfk.TopicPartition(topic, 0)], timeout=30)[0].offset == N
    assert any(r.name == "kfk" and "on_consume" in r.getMessage() for r in caplog.records)
    assert any(r.name == "kfk" and "on_commit" in r.getMessage() for r in caplog.records)
    c.close()


def test_consumer_hooks(bootstrap, topic_factory):
    topic = topic_factory(2, "icptc")
    p = kfk.Producer({"bootstrap.servers": bootstrap})
    for i in range(N):
        p.produce(topic, b"c%d" % i, partition=i % 2)
    assert p.flush(60) == 0
    p.close()
    rec = Recorder()
    commits = []
    group = unique("g-icpt")
    c = kfk.Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                      "enable.auto.commit": False, "auto.offset.reset": "earliest",
                      "interceptors": (rec,),
                      "on_commit": lambda err, ps: commits.append(("cb", err))})
    c.subscribe([topic])
    got = []
    wait_for(lambda: got.extend(c.consume(50, 0.2)) or len(got) >= N, "the records")
    while True:  # anything more would be a duplicate
        more = c.consume(50, 0.3)
        if not more:
            break
        got.extend(more)
    assert len(got) == N and rec.consumed == got
    assert sorted((m.partition(), m.offset()) for m in rec.consumed) == sorted(
        (i % 2, i // 2) for i in range(N))
    # A synchronous commit: the hook has run when commit() returns.
    offs = [kfk.TopicPartition(topic, 0, N // 2), kfk.TopicPartition(topic, 1, N // 2)]
    c.commit(offsets=offs, asynchronous=False)
    assert len(rec.commits) == 1
    err, parts = rec.commits[0]
    assert err is None
    assert sorted((tp.topic, tp.partition, tp.offset) for tp in parts) == [
        (topic, 0, N // 2), (topic, 1, N // 2)]
    assert all(tp.error is None for tp in parts)
    # An asynchronous one: in a poll, before the commit callback.
    c.commit(offsets=[kfk.TopicPartition(topic, 0, 1)], asynchronous=True)
    wait_for(lambda: c.poll(0.1) is None and commits, "the async commit")
    assert len(rec.commits) == 2 and rec.commits[1][1][0].offset == 1
    assert rec.commits[1][0] is None and commits == [("cb", None)]
    c.close()


def test_interceptors_are_checked(bootstrap):
    class Nothing:
        pass

    class NotCallable:
        on_send = 5

    for bad, what in (([Nothing()], "none of"), ("on_send", "must be a list"),
                      ([NotCallable()], "not callable")):
        for make in (kfk.Producer, kfk.Consumer):
            with pytest.raises(TypeError, match="interceptors") as ei:
                make({"bootstrap.servers": bootstrap, "group.id": "g", "interceptors": bad})
            assert what in str(ei.value)
    from kfk.admin import AdminClient
    with pytest.raises(ValueError, match="interceptors"):
        AdminClient({"bootstrap.servers": bootstrap, "interceptors": [Recorder()]})


def test_fast_path_stays_without_interceptors(bootstrap):
    p = kfk.Producer({"bootstrap.servers": bootstrap})
    q = kfk.Producer({"bootstrap.servers": bootstrap, "interceptors": []})
    r = kfk.Producer({"bootstrap.servers": bootstrap, "interceptors": [Recorder()]})
    assert type(p.produce).__name__ == "builtin_function_or_method"
    assert type(q.produce).__name__ == "builtin_function_or_method"
    assert type(r.produce).__name__ == "method"
    for x in (p, q, r):
        x.close()
