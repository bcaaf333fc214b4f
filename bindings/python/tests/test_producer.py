import threading

import pytest

import kfk
from conftest import REAL, unique, wait_for

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def consume_all(bootstrap, topic, n, partitions=None, **conf):
    c = kfk.Consumer(dict({"bootstrap.servers": bootstrap}, **conf))
    try:
        parts = partitions if partitions is not None else [0]
        c.assign([kfk.TopicPartition(topic, p, kfk.OFFSET_BEGINNING) for p in parts])
        out = []
        deadline = 600
        while len(out) < n and deadline:
            for m in c.consume(500, 0.2):
                assert m.error() is None, m.error()
                out.append(m)
            deadline -= 1
        return out
    finally:
        c.close()


@pytest.mark.parametrize("codec", CODECS)
def test_every_codec_round_trips_with_keys_headers_and_timestamps(bootstrap, topic_factory,
                                                                   codec):
    topic = topic_factory(1, "codec")
    reports = {}
    p = kfk.Producer({"bootstrap.servers": bootstrap, "compression.type": codec,
                      "linger.ms": 20})
    n = 2000

    def dr(err, msg):
        assert err is None, err
        reports[msg.key()] = reports.get(msg.key(), 0) + 1

    ts0 = 1_700_000_000_000
    for i in range(n):
        p.produce(topic, value=(b"value-%d-" % i) * 5, key=b"k%d" % i, partition=0,
                  headers=[("i", str(i).encode()), ("null", None)], timestamp=ts0 + i,
                  on_delivery=dr)
    assert p.flush(60) == 0
    assert len(reports) == n and set(reports.values()) == {1}
    msgs = consume_all(bootstrap, topic, n)
    assert len(msgs) == n
    for i, m in enumerate(msgs):
        assert m.offset() == i
        assert m.key() == b"k%d" % i
        assert m.value() == (b"value-%d-" % i) * 5
        assert bytes(m.value_view()) == m.value()
        assert m.headers() == [("i", str(i).encode()), ("null", None)]
        assert m.timestamp() == (kfk.TIMESTAMP_CREATE_TIME, ts0 + i)
        assert m.topic() == topic and m.partition() == 0
    p.close()


def test_each_record_gets_exactly_one_report_with_its_offset(bootstrap, topic_factory):
    topic = topic_factory(3, "dr")
    seen = []
    p = kfk.Producer({"bootstrap.servers": bootstrap,
                      "on_delivery": lambda e, m: seen.append((e, m.topic(), m.partition(),
                                                               m.offset(), m.value()))})
    n = 5000
    for i in range(n):
        p.produce(topic, b"%d" % i)
        if i % 1000 == 0:
            p.poll(0)
    assert p.flush(60) == 0
    assert len(seen) == n
    assert sorted(int(s[4]) for s in seen) == list(range(n))
    assert all(s[0] is None and s[1] == topic for s in seen)
    per_part = {}
    for s in seen:
        per_part.setdefault(s[2], []).append(s[3])
    for offs in per_part.values():
        assert sorted(offs) == list(range(len(offs)))
    assert len(p) == 0
    p.close()


def test_zero_copy_view_outlives_the_message_object(bootstrap, topic_factory):
    topic = topic_factory(1, "view")
    p = kfk.Producer({"bootstrap.servers": bootstrap})
    p.produce(topic, b"x" * 1000, partition=0)
    p.flush(30)
    m = consume_all(bootstrap, topic, 1)[0]
    v = m.value_view()
    del m
    import gc
    gc.collect()
    assert v.tobytes() == b"x" * 1000 and v.readonly


def test_invalid_topic_name_is_refused_with_its_code(bootstrap):
    p = kfk.Producer({"bootstrap.servers": bootstrap, "on_delivery": lambda e, m: None})
    for _ in range(2):  # the second goes through the C fast path
        with pytest.raises(kfk.KafkaException) as ei:
            p.produce("bad topic name!", b"v")
        e = ei.value.args[0]
        assert e.code() == kfk.KafkaError.INVALID_TOPIC_EXCEPTION == 17
        assert e.name() == "INVALID_TOPIC_EXCEPTION"
    assert len(p) == 0  # no report will come for either
    p.close()


def test_a_closed_producer_refuses_records(bootstrap, topic_factory):
    topic = topic_factory(1, "closed")
    p = kfk.Producer({"bootstrap.servers": bootstrap})
    produce = p.produce
    produce(topic, b"v")
    p.close()
    with pytest.raises(RuntimeError):
        produce(topic, b"v")
    with pytest.raises(RuntimeError):
        p.produce(topic, b"v", key=b"k")


def test_keyword_arguments_reach_the_record(bootstrap, topic_factory):
    topic = topic_factory(2, "kw")
    got = []
    p = kfk.Producer({"bootstrap.servers": bootstrap})
    p.produce(topic, b"a", partition=1, callback=lambda e, m: got.append(("cb", m.partition())))
    p.produce(topic=topic, value=b"b", partition=1,
              on_delivery=lambda e, m: got.append(("od", m.partition(), m.value())))
    p.produce(topic, "text", partition=0, on_delivery=lambda e, m: got.append(("s", m.value())))
    with pytest.raises(TypeError):
        p.produce(topic, b"x", bogus=1)
    assert p.flush(30) == 0
    assert sorted(got, key=str) == sorted([("cb", 1), ("od", 1, b"b"), ("s", "text")], key=str)
    p.close()


def test_record_over_max_request_size_is_refused(bootstrap, topic_factory):
    topic = topic_factory(1, "big")
    p = kfk.Producer({"bootstrap.servers": bootstrap, "max.request.size": 2000})
    with pytest.raises(kfk.KafkaException) as ei:
        p.produce(topic, b"x" * 5000, partition=0)
    assert ei.value.args[0].name() == "TOO_LARGE"
    assert "max.request.size" in str(ei.value)
    p.close()


@pytest.mark.parametrize("prop,value", [("linger.sm", "5"), ("acks", "fast"),
                                        ("batch.size", "-3")])
def test_bad_config_is_refused_naming_the_property(bootstrap, prop, value):
    with pytest.raises(kfk.KafkaException) as ei:
        kfk.Producer({"bootstrap.servers": bootstrap, prop: value})
    assert ei.value.args[0].code() == kfk.KafkaError.CONFIG
    assert prop in str(ei.value)


@pytest.mark.parametrize("blocking", [True, False])
def test_purge_fails_queued_records_with_purged(bootstrap, topic_factory, blocking):
    topic = topic_factory(1, "purge")
    errs = []
    p = kfk.Producer({"bootstrap.servers": bootstrap, "linger.ms": 60000,
                      "on_delivery": lambda e, m: errs.append(e)})
    for i in range(10):
        p.produce(topic, b"v", partition=0)
    p.purge(blocking=blocking)
    wait_for(lambda: p.poll(0.1) >= 0 and len(errs) == 10, "purge reports")
    assert {e.name() for e in errs} == {"PURGED"}
    assert p.flush(10) == 0
    p.close()


def test_purge_refuses_in_flight_and_honours_in_queue_false(bootstrap, topic_factory):
    topic = topic_factory(1, "purge-args")
    errs = []
    p = kfk.Producer({"bootstrap.servers": bootstrap, "linger.ms": 60000,
                      "on_delivery": lambda e, m: errs.append(e)})
    for i in range(10):
        p.produce(topic, b"v", partition=0)
    for kw in ({}, {"in_queue": False}, {"blocking": False}):
        with pytest.raises(ValueError, match="in_flight=True"):
            p.purge(in_flight=True, **kw)
    p.purge(in_queue=False)
    p.purge(in_queue=False, in_flight=False, blocking=False)
    assert p.flush(30) == 0
    assert errs == [None] * 10  # nothing was purged
    p.close()


def test_len_counts_every_record_until_its_report_is_served(bootstrap, topic_factory):
    topic = topic_factory(1, "len")
    seen = []

    def dr(err, msg):
        seen.append(err)
        if len(seen) == 1:
            raise RuntimeError("first report")

    p = kfk.Producer({"bootstrap.servers": bootstrap, "linger.ms": 60000})
    assert len(p) == 0
    for i in range(4):
        p.produce(topic, b"v", partition=0)  # no callback at all
        p.produce(topic, b"v", key=b"k", partition=0)  # through cffi, no callback
    for i in range(3):
        p.produce(topic, b"v", partition=0, on_delivery=dr)
    assert len(p) == 11
    p.purge()
    assert len(p) == 11  # purged, with the reports waiting
    with pytest.raises(RuntimeError, match="first report"):
        wait_for(lambda: p.poll(0.1) >= 0 and seen, "the first report")
    assert len(p) == 2  # two collected and not yet served
    wait_for(lambda: p.poll(0.1) >= 0 and len(seen) == 3, "every report")
    assert len(p) == 0
    p.close()
    assert len(p) == 0


def test_numbers_outside_their_c_types_are_refused(bootstrap, topic_factory):
    topic = topic_factory(1, "p32")
    p = kfk.Producer({"bootstrap.servers": bootstrap})
    p.produce(topic, b"v", partition=0)
    for kw in ({}, {"key": b"k"}):
        for partition in (2 ** 31, 2 ** 32, -2 ** 40):
            with pytest.raises((OverflowError, ValueError), match="partition"):
                p.produce(topic, b"v", partition=partition, **kw)
        with pytest.raises(OverflowError):
            p.produce(topic, b"v", timestamp=2 ** 70, **kw)
    assert p.flush(30) == 0
    assert len(p) == 0
    p.close()


def test_delivery_callback_runs_on_the_polling_thread(bootstrap, topic_factory):
    topic = topic_factory(1, "thread")
    threads = set()
    p = kfk.Producer({"bootstrap.servers": bootstrap})
    for i in range(100):
        p.produce(topic, b"v", on_delivery=lambda e, m: threads.add(threading.get_ident()))

    def flusher():
        p.flush(30)
        threads.add(("flusher", threading.get_ident()))

    t = threading.Thread(target=flusher)
    t.start()
    t.join()
    ids = {x for x in threads if not isinstance(x, tuple)}
    flusher_id = [x[1] for x in threads if isinstance(x, tuple)][0]
    assert ids == {flusher_id}
    p.close()


def test_error_callback_hears_of_unreachable_brokers():
    errs = []
    p = kfk.Producer({"bootstrap.servers": "127.0.0.1:1", "error_cb": errs.append,
                      "reconnect.backoff.ms": 10})
    wait_for(lambda: p.poll(0.1) >= 0 and errs, "an error callback")
    assert errs[0].name() == "NO_BROKERS"
    p.close(0)


def test_logger_gets_kfk_log_lines_on_the_polling_thread(bootstrap):
    import logging

    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append((threading.get_ident(), record.levelno, record.getMessage()))

    log = logging.getLogger(unique("kfk-log"))
    log.setLevel(logging.DEBUG)
    log.addHandler(Keep())
    log.propagate = False
    p = kfk.Producer({"bootstrap.servers": bootstrap, "logger": log, "log.level": "debug"})
    wait_for(lambda: p.poll(0.1) >= 0 and lines, "a log line")
    assert {t for t, _, _ in lines} == {threading.get_ident()}
    assert any(lvl == logging.DEBUG for _, lvl, _ in lines)
    p.close()


def test_a_producer_dropped_without_close_gives_back_its_records(bootstrap, topic_factory):
    import gc
    import weakref

    topic = topic_factory(1, "drop")

    class Callback:
        def __call__(self, err, msg):
            pass

    p = kfk.Producer({"bootstrap.servers": bootstrap, "linger.ms": 60000})
    cb, cb2 = Callback(), Callback()
    refs = [weakref.ref(cb), weakref.ref(cb2)]
    p.produce(topic, b"v", key=b"k", on_delivery=cb)  # through cffi
    p.produce(topic, b"v", on_delivery=cb2)  # through the C fast path
    assert len(p) == 2
    del p, cb, cb2
    gc.collect()
    assert [r() for r in refs] == [None, None]  # the pending entries let go


def test_threads_producing_and_polling_at_once_get_one_report_each(bootstrap, topic_factory):
    topic = topic_factory(3, "mt")
    seen = []
    lock = threading.Lock()

    def dr(err, msg):
        assert err is None
        with lock:
            seen.append(msg.value())

    p = kfk.Producer({"bootstrap.servers": bootstrap, "on_delivery": dr})
    stop = threading.Event()

    def work(t):
        for i in range(3000):
            p.produce(topic, b"%d-%d" % (t, i))
            if i % 100 == 0:
                p.poll(0)

    def poller():
        while not stop.is_set():
            p.poll(0.05)

    ts = [threading.Thread(target=work, args=(t,)) for t in range(3)]
    pt = threading.Thread(target=poller)
    pt.start()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert p.flush(60) == 0
    stop.set()
    pt.join()
    assert len(seen) == 9000 and len(set(seen)) == 9000
    p.close()
