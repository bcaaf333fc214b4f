"""Consumer: confluent-kafka's Consumer over kfk_consumer."""
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

from . import _conf
from ._errors import KafkaError, KafkaException
from ._handle import Hooks, deadline_of, slice_ms
from ._kfk import ffi, lib
from ._observe import Stats, interceptors_of, stats_document
from ._types import Message, TopicPartition, from_c, messages_from_cols, to_c

NULL = ffi.NULL
_poll_cols = lib.kfkpy_poll_cols

_ASSIGNED, _REVOKED, _LOST = 1, 2, 3


@ffi.def_extern()
def kfkpy_on_rebalance(py_handle, event, parts):
    c = ffi.from_handle(py_handle)
    c._on_rebalance(event, parts)


@ffi.def_extern()
def kfkpy_on_commit(py_handle, err, offsets):
    c = ffi.from_handle(py_handle)
    c._on_commit_cb(err, offsets)


@ffi.def_extern()
def kfkpy_icpt_commit(py_handle, err, offsets):
    ffi.from_handle(py_handle)._on_icpt_commit(err, offsets)


class Consumer:
    """Consumer(config): kfk's property names, plus on_commit(err,
    partitions), error_cb(err), logger, stats_cb(json_str) and interceptors
    (a list). subscribe() takes on_assign, on_revoke and on_lost callbacks
    (consumer, partitions), run inside poll()/consume() on the calling
    thread.

    stats_cb gets the statistics document (a JSON str, docs/STATS.md) every
    statistics.interval.ms while the application polls; as in kfk, the
    callback without an interval (default 0) or the interval without a
    callback does nothing. An exception it raises comes out of the poll
    that ran it.

    interceptors: objects with any of on_consume(msgs), called in poll()
    and consume() with the list of Messages the call is about to return
    (error events included), and on_commit(err, partitions), called once
    per commit (sync: before commit() returns; async and auto: in a poll,
    before on_commit) with err None or a KafkaError and the
    TopicPartitions tried (each with its own error). Hooks run on the
    application's thread; one that raises is logged (warning, on logger
    or the "kfk" logger) and ignored. on_send and on_acknowledgement are
    a producer's and are not called here."""

    def __init__(self, config: Dict[str, Any], **kwargs: Any):
        config = dict(config, **kwargs)
        conf, py = _conf.build(config)
        try:
            self._icpt = interceptors_of(py)
        except BaseException:
            lib.kfk_conf_destroy(conf)
            raise
        self._icpt_consume = self._icpt.consume if self._icpt else None
        self._on_commit = py.get("on_commit")
        self._hooks = Hooks(self, py)
        self._hooks.install(conf, rebalance=True, commit=True)
        if (self._icpt and self._icpt.commit and
                lib.kfkpy_conf_interceptor(conf, self._hooks.h, 0, 1)):
            lib.kfk_conf_destroy(conf)
            raise KafkaException(KafkaError(-111, "interceptors: kfk refused the interceptor"))
        self._stats = Stats(lib.kfk_consumer_stats_json, lib.kfk_consumer_stats_prometheus)
        errbuf = _conf.errbuf()
        c = lib.kfk_consumer_new(conf, errbuf, 1024)
        if c == NULL:
            raise KafkaException(KafkaError(-111, ffi.string(errbuf).decode()))
        self._c = c
        self._on_assign = self._on_revoke = self._on_lost = None
        self._cb_error: Optional[BaseException] = None
        self._cols = None
        # One poll at a time fills _cols (a callback may poll again inside:
        # its messages are built before the outer poll fills _cols).
        self._cols_lock = threading.RLock()
        self._closed = False

    # --- errors ---------------------------------------------------------
    def _check(self, err: int) -> None:
        if err:
            reason = ffi.string(lib.kfk_consumer_last_error(self._c)).decode() or None
            raise KafkaException(KafkaError(err, reason))

    def _check_open(self):
        if self._closed:
            raise RuntimeError("the consumer is closed")

    # --- callbacks (run inside kfk_consumer_poll, GIL taken by cffi) ----
    def _on_rebalance(self, event, parts):
        cb = {_ASSIGNED: self._on_assign, _REVOKED: self._on_revoke,
              _LOST: self._on_lost or self._on_revoke}.get(event)
        if cb is None or self._cb_error is not None:
            return
        try:
            cb(self, from_c(parts))
        except BaseException as e:  # raised again from poll
            self._cb_error = e

    def _on_commit_cb(self, err, offsets):
        if self._on_commit is None or self._cb_error is not None:
            return
        try:
            self._on_commit(KafkaError(err) if err else None, from_c(offsets))
        except BaseException as e:
            self._cb_error = e

    def _on_icpt_commit(self, err, offsets):
        try:
            self._icpt.run(self._icpt.commit, "on_commit", KafkaError(err) if err else None,
                           from_c(offsets))
        except Exception:
            self._icpt.logger.warning("interceptor: on_commit", exc_info=True)

    def _after_poll(self):
        self._hooks.serve_events()
        if self._cb_error is not None:
            e, self._cb_error = self._cb_error, None
            raise e

    # --- subscription and assignment -------------------------------------
    def subscribe(self, topics: Sequence[str], on_assign: Optional[Callable] = None,
                  on_revoke: Optional[Callable] = None, on_lost: Optional[Callable] = None) -> None:
        self._check_open()
        if isinstance(topics, str):
            raise TypeError("topics must be a list of str")
        names = [ffi.new("char[]", t.encode()) for t in topics]
        arr = ffi.new("const char *[]", names)
        self._on_assign, self._on_revoke, self._on_lost = on_assign, on_revoke, on_lost
        self._check(lib.kfk_consumer_subscribe(self._c, arr, len(names)))

    def unsubscribe(self) -> None:
        self._check_open()
        self._check(lib.kfk_consumer_unsubscribe(self._c))

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        self._check_open()
        self._check(lib.kfk_consumer_assign(self._c, to_c(partitions)))

    def unassign(self) -> None:
        self._check_open()
        self._check(lib.kfk_consumer_unassign(self._c))

    def incremental_assign(self, partitions: Sequence[TopicPartition]) -> None:
        self._check_open()
        self._check(lib.kfk_consumer_incremental_assign(self._c, to_c(partitions)))

    def incremental_unassign(self, partitions: Sequence[TopicPartition]) -> None:
        self._check_open()
        self._check(lib.kfk_consumer_incremental_unassign(self._c, to_c(partitions)))

    def assignment(self) -> List[TopicPartition]:
        self._check_open()
        lst = lib.kfk_consumer_assignment(self._c)
        try:
            return from_c(lst)
        finally:
            lib.kfk_partition_list_destroy(lst)

    def memberid(self) -> str:
        buf = ffi.new("char[256]")
        lib.kfk_consumer_member_id(self._c, buf, 256)
        return ffi.string(buf).decode()

    # --- messages --------------------------------------------------------
    def _poll_some(self, max_n: int, timeout: Optional[float]) -> List[Message]:
        self._check_open()
        deadline = deadline_of(timeout)
        c = self._c
        with self._cols_lock:
            cols = self._cols
            if cols is None or max_n > self._cols_max:
                cols = ffi.gc(lib.kfkpy_cols_new(max(max_n, 64)), lib.kfkpy_cols_free)
                if cols == NULL:
                    raise MemoryError()
                self._cols, self._cols_max = cols, max(max_n, 64)
            while True:
                ms = slice_ms(deadline)
                n = _poll_cols(c, cols, max_n, ms)
                msgs = messages_from_cols(cols, n) if n else None
                if msgs and self._icpt_consume:
                    self._icpt.run(self._icpt_consume, "on_consume", msgs)
                self._after_poll()
                if msgs:
                    return msgs
                if self._closed or ms == 0 or (
                        deadline is not None and time.monotonic() >= deadline):
                    return []

    def poll(self, timeout: Optional[float] = None) -> Optional[Message]:
        """The next message or event, waiting up to timeout seconds (None:
        until one comes); None on timeout. Runs rebalance, commit, error and
        log callbacks on this thread."""
        msgs = self._poll_some(1, timeout)
        return msgs[0] if msgs else None

    def consume(self, num_messages: int = 1, timeout: Optional[float] = None) -> List[Message]:
        """Up to num_messages messages, waiting up to timeout seconds for
        the first (None: until one comes)."""
        if num_messages < 1:
            raise ValueError("num_messages must be at least 1")
        return self._poll_some(num_messages, timeout)

    # --- offsets ---------------------------------------------------------
    def commit(self, message: Optional[Message] = None,
               offsets: Optional[Sequence[TopicPartition]] = None,
               asynchronous: bool = True) -> Optional[List[TopicPartition]]:
        """Commits the current positions, or those after message, or
        offsets. Synchronous commits return the committed partitions."""
        self._check_open()
        if message is not None:
            offsets = [TopicPartition(message.topic(), message.partition(), message.offset() + 1)]
        lst = to_c(offsets) if offsets is not None else NULL
        self._check(lib.kfk_consumer_commit(self._c, lst, bool(asynchronous)))
        if asynchronous:
            return None
        return list(offsets) if offsets is not None else self.assignment()

    def committed(self, partitions: Sequence[TopicPartition],
                  timeout: Optional[float] = None) -> List[TopicPartition]:
        self._check_open()
        lst = to_c(partitions, offsets=False)
        ms = -1 if timeout is None else int(timeout * 1000)
        self._check(lib.kfk_consumer_committed(self._c, lst, ms))
        return from_c(lst)

    def position(self, partitions: Sequence[TopicPartition]) -> List[TopicPartition]:
        self._check_open()
        out = []
        off = ffi.new("int64_t *")
        for tp in partitions:
            r = TopicPartition(tp.topic, tp.partition)
            err = lib.kfk_consumer_position(self._c, tp.topic.encode(), tp.partition, off)
            if err:
                r.error = KafkaError(err)
            else:
                r.offset = off[0]
            out.append(r)
        return out

    def seek(self, partition: TopicPartition) -> None:
        self._check_open()
        self._check(lib.kfk_consumer_seek(self._c, partition.topic.encode(), partition.partition,
                                          partition.offset))

    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        self._check_open()
        for tp in partitions:
            self._check(lib.kfk_consumer_pause(self._c, tp.topic.encode(), tp.partition))

    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        self._check_open()
        for tp in partitions:
            self._check(lib.kfk_consumer_resume(self._c, tp.topic.encode(), tp.partition))

    def get_watermark_offsets(self, partition: TopicPartition, timeout: Optional[float] = None,
                              cached: bool = False):
        self._check_open()
        lo, hi = ffi.new("int64_t *"), ffi.new("int64_t *")
        ms = -1 if timeout is None else int(timeout * 1000)
        self._check(lib.kfk_consumer_query_watermarks(self._c, partition.topic.encode(),
                                                      partition.partition, lo, hi, ms))
        return lo[0], hi[0]

    def report_eof(self, enable: bool = True) -> None:
        lib.kfk_consumer_report_eof(self._c, enable)

    # --- statistics -------------------------------------------------------
    def stats(self) -> Dict[str, Any]:
        """The statistics document (docs/STATS.md) as a dict, read now
        (kfk_consumer_stats_json): name, client_id, type, ts, time, age,
        replyq, rxmsgs, rxmsg_bytes, tx, tx_bytes, rx, rx_bytes, brokers,
        topics, and cgrp with a group.id. Works whatever
        statistics.interval.ms is."""
        return stats_document(self.stats_json())

    def stats_json(self) -> str:
        """The statistics document as kfk renders it (a JSON str)."""
        self._check_open()
        return self._stats.json(self._c)

    def stats_prometheus(self) -> str:
        """The figures in Prometheus text format 0.0.4 (kafka_consumer_*
        metrics, docs/STATS.md), for a /metrics handler."""
        self._check_open()
        return self._stats.prometheus(self._c)

    def wakeup_fd(self) -> int:
        """A descriptor readable while poll has work (kfk.h's
        kfk_consumer_wakeup_fd); for event loops."""
        self._check_open()
        return lib.kfk_consumer_wakeup_fd(self._c)

    def close(self, timeout: Optional[float] = None) -> None:
        """Commits (enable.auto.commit), runs the revoke callback, leaves the
        group and frees the consumer. Messages already returned stay valid."""
        if self._closed:
            return
        ms = -1 if timeout is None else int(timeout * 1000)
        err = lib.kfk_consumer_close(self._c, ms)
        self._closed = True
        lib.kfk_consumer_destroy(self._c)
        self._c = NULL
        self._hooks.serve_events()
        if self._cb_error is not None:
            e, self._cb_error = self._cb_error, None
            raise e
        if err and err != -107:
            raise KafkaException(KafkaError(err))

    def __enter__(self) -> "Consumer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_closed", True) is False:
            self._closed = True
            lib.kfk_consumer_destroy(self._c)
