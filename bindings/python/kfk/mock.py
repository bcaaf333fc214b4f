"""kfk.mock.Cluster: the embedded mock Kafka cluster (libkfk_mock), for
tests of your own; no JVM needed.

    with kfk.mock.Cluster(brokers=3) as mc:
        mc.create_topic("t", partitions=4)
        p = kfk.Producer({"bootstrap.servers": mc.bootstrap_servers()})
"""
from typing import Any, Tuple

from ._errors import check
from ._kfk import ffi, lib


class Cluster:
    def __init__(self, brokers: int = 1):
        mc = lib.kfk_mock_cluster_new(brokers)
        if mc == ffi.NULL:
            raise RuntimeError("cannot start a mock cluster of %d brokers" % brokers)
        self._mc = mc

    def bootstrap_servers(self) -> str:
        return ffi.string(lib.kfk_mock_cluster_bootstrap(self._mc)).decode()

    def create_topic(self, name: str, partitions: int = 1, replication_factor: int = -1) -> None:
        check(lib.kfk_mock_topic_create(self._mc, name.encode(), partitions, replication_factor))

    def delete_topic(self, name: str) -> None:
        check(lib.kfk_mock_topic_delete(self._mc, name.encode()))

    def watermarks(self, topic: str, partition: int) -> Tuple[int, int]:
        """(log start offset, high watermark)."""
        lo, hi = ffi.new("int64_t *"), ffi.new("int64_t *")
        check(lib.kfk_mock_partition_offsets(self._mc, topic.encode(), partition, lo, hi))
        return lo[0], hi[0]

    def push_errors(self, api_key: int, errors: int, count: int = 1) -> None:
        """The next count requests of api_key (a Kafka API key: 0 Produce,
        1 Fetch, ...) fail with the Kafka error code errors."""
        check(lib.kfk_mock_push_errors(self._mc, api_key, count, errors))

    def clear_errors(self) -> None:
        lib.kfk_mock_clear_errors(self._mc)

    def set_broker_down(self, broker_id: int, down: bool = True) -> None:
        check(lib.kfk_mock_broker_set_down(self._mc, broker_id, down))

    def set_rtt(self, broker_id: int, rtt_ms: int) -> None:
        check(lib.kfk_mock_broker_set_rtt(self._mc, broker_id, rtt_ms))

    def set_auto_create_topics(self, enable: bool, partitions: int = 1) -> None:
        check(lib.kfk_mock_set_auto_create_topics(self._mc, enable, partitions))

    def close(self) -> None:
        if self._mc is not None:
            lib.kfk_mock_cluster_destroy(self._mc)
            self._mc = None

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_mc", None) is not None:
            self.close()
