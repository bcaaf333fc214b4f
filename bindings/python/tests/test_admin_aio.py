import asyncio

import pytest

import kfk
from kfk.admin import (AdminClient, ConfigResource, ConsumerGroupTopicPartitions, NewTopic,
                       OffsetSpec)
from conftest import unique, wait_for


def test_topics_create_list_describe_delete(admin):
    name = unique("adm")
    fs = admin.create_topics([NewTopic(name, 3, 1, {"retention.ms": "3600000"})])
    assert fs[name].result() is None
    again = admin.create_topics([NewTopic(name, 3, 1)])
    with pytest.raises(kfk.KafkaException) as ei:
        again[name].result()
    assert ei.value.args[0].name() == "TOPIC_ALREADY_EXISTS"
    md = wait_for(lambda: admin.list_topics(name).topics.get(name), "the topic")
    assert sorted(md.partitions) == [0, 1, 2]
    def retention():
        fs = admin.describe_configs([ConfigResource("topic", name)])
        return list(fs.values())[0].result()["retention.ms"].value

    # Brokers learn of topics and config changes from the controller a
    # moment later.
    wait_for(lambda: retention() == "3600000", "retention.ms 3600000")
    r = ConfigResource(ConfigResource.Type.TOPIC, name, {"retention.ms": "7200000"})
    list(admin.incremental_alter_configs([r]).values())[0].result()
    wait_for(lambda: retention() == "7200000", "retention.ms 7200000")
    cl = admin.describe_cluster().result()
    assert cl.nodes and cl.controller is not None
    assert admin.delete_topics([name])[name].result() is None


def test_list_offsets_and_group_offsets(admin, bootstrap, topic_factory):
    topic = topic_factory(1, "offs")
    p = kfk.Producer({"bootstrap.servers": bootstrap})
    for i in range(10):
        p.produce(topic, b"v", partition=0)
    p.flush(30)
    p.close()
    tp = kfk.TopicPartition(topic, 0)
    res = admin.list_offsets({tp: OffsetSpec.latest()})
    assert res[tp].result().offset == 10
    res = admin.list_offsets({tp: OffsetSpec.earliest()})
    assert res[tp].result().offset == 0
    group = unique("g-adm")
    r = admin.alter_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group, [kfk.TopicPartition(topic, 0, 4)])])
    r[group].result()
    got = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
    tps = got[group].result().topic_partitions
    assert [(t.topic, t.partition, t.offset) for t in tps] == [(topic, 0, 4)]
    listed = admin.list_consumer_groups().result()
    assert group in [g.group_id for g in listed.valid]
    desc = admin.describe_consumer_groups([group])[group].result()
    assert desc.group_id == group and desc.members == []
    assert admin.delete_consumer_groups([group])[group].result() is None
    with pytest.raises(kfk.KafkaException) as ei:
        admin.delete_consumer_groups([group])[group].result()
    assert ei.value.args[0].name() == "GROUP_ID_NOT_FOUND"


def test_asyncio_produce_and_consume_wake_on_kfk_descriptors(bootstrap, topic_factory):
    from kfk.aio import AIOConsumer, AIOProducer
    topic = topic_factory(1, "aio")

    async def main():
        p = AIOProducer({"bootstrap.servers": bootstrap, "linger.ms": 1})
        first = await p.produce(topic, b"first", partition=0)
        assert first.offset() == 0 and first.error() is None
        futs = [p.produce_nowait(topic, b"%d" % i, partition=0) for i in range(99)]
        done = await asyncio.gather(*futs)
        assert [m.offset() for m in done] == list(range(1, 100))
        more = [p.produce_nowait(topic, b"more", partition=0) for i in range(50)]
        await p.flush()
        assert all(f.done() for f in more) and len(p.producer) == 0
        await p.close()
        c = AIOConsumer({"bootstrap.servers": bootstrap})
        c.assign([kfk.TopicPartition(topic, 0, kfk.OFFSET_BEGINNING)])
        got = []
        while len(got) < 150:
            got.extend(await c.consume(50, timeout=60))
        assert [m.offset() for m in got] == list(range(150))
        assert await c.poll(timeout=0.3) is None
        await c.close()

    asyncio.run(main())


def test_mock_cluster_serves_and_reports_watermarks():
    import kfk.mock
    with kfk.mock.Cluster(brokers=1) as mc:
        mc.create_topic("t", partitions=2)
        p = kfk.Producer({"bootstrap.servers": mc.bootstrap_servers()})
        for i in range(5):
            p.produce("t", b"v", partition=1)
        assert p.flush(30) == 0
        p.close()
        assert mc.watermarks("t", 1) == (0, 5)
        with pytest.raises(kfk.KafkaException) as ei:
            mc.create_topic("t")
        assert ei.value.args[0].name() == "TOPIC_ALREADY_EXISTS"


def test_error_codes_and_names():
    e = kfk.KafkaError(kfk.KafkaError.NOT_LEADER_OR_FOLLOWER)
    assert e.code() == 6 and e.name() == "NOT_LEADER_OR_FOLLOWER" and e.retriable()
    assert kfk.KafkaError.TIMED_OUT == -107
    assert str(kfk.KafkaException(e)).startswith("NOT_LEADER_OR_FOLLOWER")
