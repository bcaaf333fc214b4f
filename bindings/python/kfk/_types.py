"""Message and TopicPartition, and partition lists both ways."""
from itertools import repeat
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
        n, self.n = self.n, 0
        if n:
            lib.kfkpy_release_all(self.msgs, n)


_ts_types = {-1: TIMESTAMP_NOT_AVAILABLE, 0: TIMESTAMP_CREATE_TIME, 1: TIMESTAMP_LOG_APPEND_TIME}
_unpack = ffi.unpack

# Fields of a Message, a tuple: both kinds share the first eight.
_TOPIC, _KEY, _VALUE, _OWNER, _PARTITION, _OFFSET, _TS, _ERR, _TS_TYPE, _INDEX = range(10)


class Message(tuple):
    """A consumed record (or an event carrying an error), or in a delivery
    callback the record that was produced. key() and value() return bytes;
    key_view() and value_view() return zero-copy, read-only memoryviews
    over the fetched data, which keep it alive while they live. A consumed
    message holds the fetched data of its poll until every message of that
    poll is gone, and that data counts against fetch.queue.max.bytes
    (64 MiB by default): a program that keeps messages past it stops
    getting new ones. Keep key() or value() bytes for long, not messages.

    A tuple, so that a poll's messages are built from columns in C loops
    (map over zip) rather than one Python call per field: (topic, key,
    value, owner, partition, offset, timestamp, error code), plus
    (timestamp type, index in the poll) for a consumed one, whose owner is
    its poll's batch; a delivered one's owner is its callback."""

    __slots__ = ()

    def topic(self) -> Optional[str]:
        return self[0]

    def partition(self) -> Optional[int]:
        return self[4]

    def offset(self) -> Optional[int]:
        return self[5]

    def key(self) -> Optional[bytes]:
        return self[1]

    def value(self) -> Optional[bytes]:
        return self[2]

    def __len__(self) -> int:
        v = self[2]
        return 0 if v is None else len(v)

    def timestamp(self) -> Tuple[int, int]:
        if tuple.__len__(self) > _TS_TYPE:
            return (_ts_types.get(self[_TS_TYPE], 0), self[_TS])
        return (TIMESTAMP_CREATE_TIME, self[_TS])

    def error(self) -> Optional[KafkaError]:
        e = self[7]
        return KafkaError(e) if e else None

    def _kfk_message(self):
        if tuple.__len__(self) <= _INDEX:
            return None
        return self[_OWNER].msgs[self[_INDEX]]

    def headers(self) -> Optional[List[Tuple[str, Optional[bytes]]]]:
        m = self._kfk_message()
        if m is None:
            owner = self[_OWNER]
            return owner.headers() if type(owner) is _Sent else None
        n = lib.kfk_message_header_count(m)
        if not n:
            return None
        name = ffi.new("const char **")
        nlen = ffi.new("size_t *")
        val = ffi.new("const void **")
        vlen = ffi.new("size_t *")
        out = []
        for i in range(n):
            lib.kfk_message_header(m, i, name, nlen, val, vlen)
            v = None if val[0] == ffi.NULL else _unpack(ffi.cast("char *", val[0]), vlen[0])
            out.append((_unpack(name[0], nlen[0]).decode("utf-8", "replace"), v))
        return out

    def leader_epoch(self) -> Optional[int]:
        m = self._kfk_message()
        e = -1 if m is None else lib.kfk_message_leader_epoch(m)
        return None if e < 0 else e

    def key_view(self) -> Optional[memoryview]:
        return self._view(True)

    def value_view(self) -> Optional[memoryview]:
        return self._view(False)

    def _view(self, key: bool) -> Optional[memoryview]:
        m = self._kfk_message()
        if m is None:
            b = self[1] if key else self[2]
            return None if b is None else memoryview(b)
        n = ffi.new("size_t *")
        p = lib.kfk_message_key(m, n) if key else lib.kfk_message_value(m, n)
        return None if p == ffi.NULL else _view(self, p, n[0])

    def __repr__(self) -> str:
        return "Message{topic=%s,partition=%s,offset=%s,error=%s}" % (
            self.topic(), self.partition(), self.offset(), self.error())

    # a tuple's equality would compare contents; messages are distinct
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__


class _Sent:
    """The owner of a Message handed to an interceptor's on_send: the
    record's headers, as produce() encoded them."""

    __slots__ = ("hdrs",)

    def __init__(self, hdrs):
        self.hdrs = hdrs

    def headers(self) -> Optional[List[Tuple[str, Optional[bytes]]]]:
        if not self.hdrs:
            return None
        return [(n.decode("utf-8", "replace"), v) for n, v in self.hdrs]


def sent_message(topic, key, value, partition, timestamp, hdrs) -> Message:
    """The Message an interceptor's on_send gets: the record as given to
    produce(), with no offset yet."""
    return Message((topic, key, value, _Sent(hdrs), partition, None, timestamp, 0))


def _view(msg, ptr, n) -> memoryview:
    # The cdata made here carries a destructor closing over msg, and the
    # buffer keeps the cdata: the memoryview keeps msg, and so kfk's bytes,
    # alive.
    keeper = ffi.gc(ffi.cast("char *", ptr), lambda _p, _m=msg: None)
    return memoryview(ffi.buffer(keeper, n)).toreadonly()


def messages_from_cols(cols, n: int) -> List[Message]:
    """The Messages of a kfkpy_poll_cols that returned n."""
    batch = _Batch(cols.batch, n)
    data = _unpack(cols.data, cols.data_len)
    get = data.__getitem__
    values = list(map(get, map(slice, _unpack(cols.value_start, n),
                               _unpack(cols.value_end, n))))
    if cols.n_null_values:
        for i, st in enumerate(_unpack(cols.value_start, n)):
            if st < 0:
                values[i] = None
    if cols.n_keys == 0:
        keys = repeat(None, n)
    else:
        ks = _unpack(cols.key_start, n)
        keys = list(map(get, map(slice, ks, _unpack(cols.key_end, n))))
        if cols.n_keys != n:
            for i, st in enumerate(ks):
                if st < 0:
                    keys[i] = None
    names = [ffi.string(cols.topics[j]).decode() for j in range(cols.n_topics)]
    if len(names) == 1:
        topics = repeat(names[0], n)
    else:
        idx = _unpack(cols.topic_idx, n)
        topics = [names[j] if j >= 0 else ffi.string(lib.kfk_message_topic(batch.msgs[i])).decode()
                  for i, j in enumerate(idx)]
    return list(map(Message, zip(topics, keys, values, repeat(batch, n),
                                 _unpack(cols.partition, n), _unpack(cols.offset, n),
                                 _unpack(cols.timestamp, n), _unpack(cols.err, n),
                                 _unpack(cols.ts_type, n), range(n))))
