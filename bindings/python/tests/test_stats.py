"""Statistics: stats_cb at statistics.interval.ms while polling, and
stats() / stats_json() / stats_prometheus() read on demand (docs/STATS.md)."""
import json
import re

import pytest

import kfk
from conftest import unique, wait_for

TOP_LEVEL = ("name", "client_id", "type", "ts", "time", "age", "replyq", "tx", "tx_bytes", "rx",
             "rx_bytes", "brokers", "topics")
N = 200


def samples(text):
    """{metric name: [(labels dict, value)]} of a Prometheus exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', line)
        assert m, "not a sample line: %r" % line
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        out.setdefault(m.group(1), []).append((labels, float(m.group(3))))
    return out


def poll_until(client, cond, what):
    def step():
        client.poll(0.1)
        return cond()
    return wait_for(step, what)


def produce_n(p, topic, n=N):
    for i in range(n):
        p.produce(topic, b"value-%d" % i, partition=0)
    assert p.flush(60) == 0


def test_producer_stats_cb_and_counters(bootstrap, topic_factory):
    topic = topic_factory(1, "pstats")
    docs = []
    p = kfk.Producer({"bootstrap.servers": bootstrap, "client.id": "pystats",
                      "statistics.interval.ms": 100, "stats_cb": docs.append})
    produce_n(p, topic)
    # A document written after every record was acknowledged shows them all.
    poll_until(p, lambda: any(json.loads(d)["txmsgs"] == N for d in docs),
               "a statistics document with %d records sent" % N)
    d = json.loads(docs[-1])
    for f in TOP_LEVEL + ("msg_cnt", "msg_size", "msg_size_max", "txmsgs", "txmsg_bytes"):
        assert f in d, f
    assert d["type"] == "producer" and d["client_id"] == "pystats"
    assert d["name"].startswith("pystats#producer-")
    assert d["tx"] > 0 and d["rx"] > 0 and d["brokers"]
    n_docs = len(docs)
    poll_until(p, lambda: len(docs) >= n_docs + 2, "two more documents")

    s = p.stats()
    assert s["type"] == "producer" and s["txmsgs"] == N and s["msg_cnt"] == 0
    assert s["txmsg_bytes"] > 0
    part = s["topics"][topic]["partitions"]["0"]
    assert part["txmsgs"] == N and part["partition"] == 0
    assert json.loads(p.stats_json())["name"] == s["name"]
    p.close()
    with pytest.raises(RuntimeError):
        p.stats()


def test_producer_stats_prometheus(bootstrap, topic_factory):
    topic = topic_factory(1, "pprom")
    p = kfk.Producer({"bootstrap.servers": bootstrap, "client.id": "pyprom"})
    produce_n(p, topic)
    text = p.stats_prometheus()
    assert "# TYPE kafka_producer_record_send_total counter" in text
    sm = samples(text)
    assert sm["kafka_producer_record_send_total"] == [({"client_id": "pyprom"}, N)]
    assert sm["kafka_producer_outstanding_records"][0][1] == 0
    assert sm["kafka_producer_buffer_total_bytes"][0][1] > 0
    ours = [v for lb, v in sm["kafka_producer_topic_record_send_total"]
            if lb["topic"] == topic and lb["partition"] == "0"]
    assert ours == [N]
    assert sum(v for _, v in sm["kafka_producer_node_request_total"]) > 0
    assert all("broker" in lb and "node_id" in lb for lb, _ in sm["kafka_producer_node_request_total"])
    p.close()


def test_consumer_stats_cb_and_prometheus(bootstrap, topic_factory):
    topic = topic_factory(1, "cstats")
    p = kfk.Producer({"bootstrap.servers": bootstrap})
    produce_n(p, topic)
    p.close()
    docs = []
    group = unique("g-stats")
    c = kfk.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": "pycs",
                      "enable.auto.commit": False, "statistics.interval.ms": 100,
                      "stats_cb": docs.append})
    c.assign([kfk.TopicPartition(topic, 0, kfk.OFFSET_BEGINNING)])
    got = []
    wait_for(lambda: got.extend(c.consume(100, 0.2)) or len(got) >= N, "the records")
    assert len(got) == N
    poll_until(c, lambda: any(json.loads(d).get("rxmsgs") == N for d in docs),
               "a statistics document with %d records received" % N)
    d = json.loads(docs[-1])
    for f in TOP_LEVEL + ("rxmsgs", "rxmsg_bytes"):
        assert f in d, f
    assert d["type"] == "consumer" and d["name"].startswith("pycs#consumer-")
    s = c.stats()
    part = s["topics"][topic]["partitions"]["0"]
    assert s["rxmsgs"] == N and part["rxmsgs"] == N and part["app_offset"] == N
    assert part["consumer_lag"] == 0 and part["hi_offset"] == N
    sm = samples(c.stats_prometheus())
    assert sm["kafka_consumer_records_consumed_total"] == [({"client_id": "pycs"}, N)]
    lag = [v for lb, v in sm["kafka_consumer_records_lag"] if lb["topic"] == topic]
    pos = [v for lb, v in sm["kafka_consumer_topic_position"] if lb["topic"] == topic]
    assert lag == [0] and pos == [N]
    c.close()
    with pytest.raises(RuntimeError):
        c.stats_prometheus()


def test_stats_cb_exception_comes_out_of_poll(bootstrap):
    seen = []

    def cb(doc):
        seen.append(doc)
        if len(seen) == 1:
            raise ValueError("from stats_cb")

    p = kfk.Producer({"bootstrap.servers": bootstrap, "statistics.interval.ms": 50,
                      "stats_cb": cb})
    with pytest.raises(ValueError, match="from stats_cb"):
        wait_for(lambda: p.poll(0.1) is None, "the exception")
    # The documents after it keep coming.
    poll_until(p, lambda: len(seen) >= 3, "more documents")
    p.close()


def test_stats_cb_needs_an_interval_and_the_interval_a_callback(bootstrap):
    docs = []
    # A callback without statistics.interval.ms (0: never) gets nothing...
    p = kfk.Producer({"bootstrap.servers": bootstrap, "stats_cb": docs.append})
    # ...an interval without a callback is accepted and does nothing...
    q = kfk.Producer({"bootstrap.servers": bootstrap, "statistics.interval.ms": 10})
    for _ in range(5):
        p.poll(0.1)
        q.poll(0.1)
    assert docs == []
    # ...and the figures are there on demand either way.
    assert p.stats()["type"] == "producer" and q.stats()["type"] == "producer"
    p.close()
    q.close()


def test_stats_cb_must_be_callable(bootstrap):
    with pytest.raises(TypeError, match="stats_cb"):
        kfk.Producer({"bootstrap.servers": bootstrap, "stats_cb": "no"})
    with pytest.raises(kfk.KafkaException, match="statistics.interval.ms"):
        kfk.Consumer({"bootstrap.servers": bootstrap, "statistics.interval.ms": "soon"})


def test_admin_stats(bootstrap):
    from kfk.admin import AdminClient
    a = AdminClient({"bootstrap.servers": bootstrap, "client.id": "pyadm"})
    a.list_topics(timeout=30)
    s = a.stats()
    assert s["type"] == "admin" and s["name"].startswith("pyadm#admin-") and s["brokers"]
    # The one request went on the bootstrap connection, which the broker
    # list no longer shows: the totals keep it.
    assert s["tx"] >= 1 and s["rx"] >= 1 and s["rx_bytes"] > 0
    sm = samples(a.stats_prometheus())
    assert sm["kafka_admin_node_request_total"]
    assert all(lb["client_id"] == "pyadm" and "broker" in lb
               for lb, _ in sm["kafka_admin_node_request_total"])
    a.close()
    with pytest.raises(RuntimeError):
        a.stats()


def test_aio_idle_clients_get_documents(bootstrap):
    # kfk's wake-up descriptors also wake for a due document: an idle
    # AIOProducer delivers them, and so does an AIOConsumer awaiting poll.
    import asyncio
    from kfk.aio import AIOConsumer, AIOProducer

    async def main():
        got = {"producer": asyncio.Event(), "consumer": asyncio.Event()}
        counts = {"producer": 0, "consumer": 0}

        def on_stats(kind):
            def cb(doc):
                assert json.loads(doc)["type"] == kind
                counts[kind] += 1
                if counts[kind] >= 2:
                    got[kind].set()
            return cb

        common = {"bootstrap.servers": bootstrap, "statistics.interval.ms": 100}
        p = AIOProducer(dict(common, stats_cb=on_stats("producer")))
        await asyncio.wait_for(got["producer"].wait(), 30)
        await p.close()
        c = AIOConsumer(dict(common, stats_cb=on_stats("consumer")))
        poller = asyncio.ensure_future(c.poll())  # nothing assigned: it only waits
        await asyncio.wait_for(got["consumer"].wait(), 30)
        assert not poller.done()
        poller.cancel()
        await c.close()

    asyncio.run(main())
