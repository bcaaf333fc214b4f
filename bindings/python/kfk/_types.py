"""Message and TopicPartition, and partition lists both ways."""
from typing import Any, List, Optional, Sequence, Tuple

from ._errors import KafkaError
from ._kfk import ffi, lib

OFFSET_BEGINNING = -2
OFFSET_END = -1
OFFSET_INVALID = -1001
OFFSET_STORED = -1000

TIMESTAMP_NOT_AVAILABLE = 0
TIMESTAMP_CREATE_TIME = 1
TIMESTAMP_LOG_APPEND_TIME = 2


class TopicPartition:
    """A topic and partition with an offset, commit metadata, a leader
    epoch and a per-partition error (as confluent-kafka's)."""

    __slots__ = ("topic", "partition", "offset", "metadata", "leader_epoch", "error")

    def __init__(self, topic: str, partition: int = -1, offset: int = OFFSET_INVALID,
                 metadata: Optional[str] = None, leader_epoch: Optional[int] = None):
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.metadata = metadata
        self.leader_epoch = leader_epoch
        self.error: Optional[KafkaError] = None

    def __repr__(self) -> str:
        return "TopicPartition{topic=%s,partition=%d,offset=%d,error=%s}" % (
            self.topic, self.partition, self.offset, self.error)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TopicPartition):
            return NotImplemented
        return (self.topic, self.partition) == (other.topic, other.partition)

    def __lt__(self, other: "TopicPartition") -> bool:
        return (self.topic, self.partition) < (other.topic, other.partition)

    def __hash__(self) -> int:
        return hash((self.topic, self.partition))


def to_c(parts: Sequence[TopicPartition], offsets: bool = True):
    """A new kfk_partition_list (freed with the returned cdata)."""
    lst = ffi.gc(lib.kfk_partition_list_new(len(parts)), lib.kfk_partition_list_destroy)
    for i, tp in enumerate(parts):
        if not isinstance(tp, TopicPartition):
            raise TypeError("expected TopicPartition, got %r" % (tp,))
        err = lib.kfk_partition_list_add(lst, tp.topic.encode(), tp.partition)
        if err:
            raise ValueError("bad partition %r" % (tp,))
        if offsets and tp.offset != OFFSET_INVALID:
            lib.kfk_partition_list_set_offset(lst, i, tp.offset)
        if tp.metadata is not None:
            lib.kfk_partition_list_set_metadata(lst, i, tp.metadata.encode())
        if tp.leader_epoch is not None:
            lib.kfk_partition_list_set_leader_epoch(lst, i, tp.leader_epoch)
    return lst


def from_c(lst) -> List[TopicPartition]:
    out = []
    if lst == ffi.NULL:
        return out
    for i in range(lib.kfk_partition_list_count(lst)):
        tp = TopicPartition(ffi.string(lib.kfk_partition_list_topic(lst, i)).decode(),
                            lib.kfk_partition_list_partition(lst, i),
                            lib.kfk_partition_list_offset(lst, i))
        md = lib.kfk_partition_list_metadata(lst, i)
        if md != ffi.NULL:
            tp.metadata = ffi.string(md).decode()
        ep = lib.kfk_partition_list_leader_epoch(lst, i)
        tp.leader_epoch = ep if ep >= 0 else None
        e = lib.kfk_partition_list_error(lst, i)
        if e:
            tp.error = KafkaError(e)
        out.append(tp)
    return out


class _Batch:
    """The kfk messages of one poll: released together when the last
    Message made from them is gone."""

    __slots__ = ("msgs", "n", "__weakref__")

    def __init__(self, msgs, n):
        self.msgs = msgs
        self.n = n

    def __del__(self):
        if self.n:
            lib.kfkpy_release_all(self.msgs, self.n)
            self.n = 0


_ts_types = {-1: TIMESTAMP_NOT_AVAILABLE, 0: TIMESTAMP_CREATE_TIME, 1: TIMESTAMP_LOG_APPEND_TIME}


class Message:
    """A consumed record (or an event carrying an error), or in a delivery
    callback the record that was produced. key() and value() return bytes
    (copies); key_view() and value_view() return zero-copy memoryviews over
    the fetched data, valid while this Message (or the view) lives."""

    __slots__ = ("_b", "_s", "_topic", "_key", "_value", "_partition", "_offset",
                 "_timestamp", "_error", "_headers", "_latency")

    def __init__(self, batch=None, s=None):
        self._b = batch
        self._s = s
        self._topic = None
        self._key = None
        self._value = None
        self._headers = None
        self._error = None
        self._latency = None
        if s is not None:
            self._partition = s.partition
            self._offset = s.offset
            if s.err:
                self._error = KafkaError(s.err)

    # confluent-kafka names
    def topic(self) -> Optional[str]:
        if self._topic is None and self._s is not None:
            self._topic = ffi.string(self._s.topic).decode()
        return self._topic

    def partition(self) -> Optional[int]:
        return self._partition

    def offset(self) -> Optional[int]:
        return self._offset

    def key(self) -> Optional[bytes]:
        s = self._s
        if s is not None:
            return ffi.unpack(s.key, s.key_len) if s.has_key else None
        return self._key

    def value(self) -> Optional[bytes]:
        s = self._s
        if s is not None:
            return ffi.unpack(s.value, s.value_len) if s.has_value else None
        return self._value

    def key_view(self) -> Optional[memoryview]:
        s = self._s
        if s is None:
            return None if self._key is None else memoryview(self._key)
        return _view(self, s.key, s.key_len) if s.has_key else None

    def value_view(self) -> Optional[memoryview]:
        s = self._s
        if s is None:
            return None if self._value is None else memoryview(self._value)
        return _view(self, s.value, s.value_len) if s.has_value else None

    def __len__(self) -> int:
        s = self._s
        if s is not None:
            return s.value_len
        return len(self._value) if self._value is not None else 0

    def timestamp(self) -> Tuple[int, int]:
        s = self._s
        if s is not None:
            return (_ts_types.get(s.ts_type, 0), s.timestamp)
        if self._timestamp is None:
            return (TIMESTAMP_NOT_AVAILABLE, 0)
        return (TIMESTAMP_CREATE_TIME, self._timestamp)

    def leader_epoch(self) -> Optional[int]:
        s = self._s
        if s is None or s.leader_epoch < 0:
            return None
        return s.leader_epoch

    def headers(self) -> Optional[List[Tuple[str, Optional[bytes]]]]:
        if self._headers is not None or self._s is None:
            return self._headers
        n = self._s.n_headers
        if not n:
            return None
        name = ffi.new("const char **")
        nlen = ffi.new("size_t *")
        val = ffi.new("const void **")
        vlen = ffi.new("size_t *")
        out = []
        m = self._s.m
        for i in range(n):
            lib.kfk_message_header(m, i, name, nlen, val, vlen)
            v = None if val[0] == ffi.NULL else ffi.unpack(ffi.cast("char *", val[0]), vlen[0])
            out.append((ffi.unpack(name[0], nlen[0]).decode("utf-8", "replace"), v))
        self._headers = out
        return out

    def error(self) -> Optional[KafkaError]:
        return self._error

    def latency(self) -> Optional[float]:
        return self._latency

    def __repr__(self) -> str:
        return "Message{topic=%s,partition=%s,offset=%s,error=%s}" % (
            self.topic(), self._partition, self._offset, self._error)


def _view(msg, ptr, n) -> memoryview:
    # The cdata made here carries a destructor closing over msg, and the
    # buffer keeps the cdata: the memoryview keeps msg, and so kfk's bytes,
    # alive.
    keeper = ffi.gc(ffi.cast("char *", ptr), lambda _p, _m=msg: None)
    return memoryview(ffi.buffer(keeper, n)).toreadonly()
