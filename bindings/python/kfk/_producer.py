"""Producer: confluent-kafka's Producer over kfk_producer."""
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import _conf
from ._errors import KafkaError, KafkaException
from ._handle import Hooks, deadline_of, slice_ms
from ._kfk import ffi, lib
from ._observe import Stats, interceptors_of, stats_document
from ._types import Message, sent_message

NULL = ffi.NULL
_produce = lib.kfkpy_produce
_unpack = ffi.unpack
from ._speedups import produce_value as _produce_value
from ._speedups import serve as _serve_reports
from ._speedups import add_pending as _add_pending
from ._speedups import discard as _discard
from ._speedups import drop_pending as _drop_pending
from ._speedups import bind_produce as _bind_produce
from ._speedups import pending_get as _pending_get

Headers = Union[Dict[str, Any], List[Tuple[str, Any]], None]


@ffi.def_extern()
def kfkpy_icpt_ack(py_handle, topic, partition, offset, timestamp, err, opaque):
    ffi.from_handle(py_handle)._on_ack(topic, partition, offset, timestamp, err, opaque)


def _bytes(v, what):
    if v is None:
        return NULL, 0
    if isinstance(v, bytes):
        return v, len(v)
    if isinstance(v, str):
        b = v.encode()
        return b, len(b)
    try:
        b = ffi.from_buffer(v)
    except TypeError:
        raise TypeError("%s must be bytes, str or a buffer, not %s" % (what, type(v).__name__))
    return b, len(b)


def _check_int(v, what, bits):
    if not isinstance(v, int):
        raise TypeError("%s must be an int, not %s" % (what, type(v).__name__))
    if not -(1 << (bits - 1)) <= v < 1 << (bits - 1):
        raise OverflowError("%s %d is outside int%d" % (what, v, bits))


class Producer:
    """Producer(config): config takes kfk's property names (the Java
    client's, as confluent-kafka does) plus on_delivery(err, msg), error_cb(err),
    logger (a logging.Logger), stats_cb(json_str) and interceptors (a list).
    Delivery, error and statistics callbacks run in poll() and flush(), on
    the calling thread.

    stats_cb gets the statistics document (a JSON str, docs/STATS.md) every
    statistics.interval.ms while the application polls; as in kfk, the
    callback without an interval (default 0) or the interval without a
    callback does nothing. An exception it raises comes out of the poll
    or flush that ran it.

    interceptors: objects with any of on_send(msg), called in produce()
    just before the record is queued (a Message: topic(), key(), value(),
    headers() as given, partition() -1 when the partitioner chooses,
    offset() None), and on_acknowledgement(err, msg), called once per
    record where its delivery report is served, before on_delivery (err
    None or a KafkaError; msg a Message with the partition, offset and
    timestamp written), or in produce() for a record kfk refused (offset
    -1; produce() then raises). Hooks run on the application's thread;
    one that raises is logged (warning, on logger or the "kfk" logger) and
    ignored: the record goes on. on_consume and on_commit are a consumer's
    and are not called here."""

    def __init__(self, config: Dict[str, Any], **kwargs: Any):
        config = dict(config, **kwargs)
        conf, py = _conf.build(config)
        try:
            self._icpt = interceptors_of(py)
        except BaseException:
            lib.kfk_conf_destroy(conf)
            raise
        self._icpt_send = self._icpt.send if self._icpt else None
        # With on_acknowledgement every record gets a pending entry, so the
        # hook sees its key and value.
        self._icpt_ack = bool(self._icpt and self._icpt.ack)
        self._dr_default = py.get("on_delivery")
        self._hooks = Hooks(self, py)
        self._hooks.install(conf, dr=True)
        if self._icpt_ack and lib.kfkpy_conf_interceptor(conf, self._hooks.h, 1, 0):
            lib.kfk_conf_destroy(conf)
            raise KafkaException(KafkaError(-111, "interceptors: kfk refused the interceptor"))
        self._h = self._hooks.h
        errbuf = _conf.errbuf()
        p = lib.kfk_producer_new(conf, errbuf, 1024)
        if p == NULL:
            raise KafkaException(KafkaError(-111, ffi.string(errbuf).decode()))
        self._p = p
        self._addr = int(ffi.cast("uintptr_t", p))
        self._h_addr = int(ffi.cast("uintptr_t", self._h))
        self._topics: Dict[str, bytes] = {}
        self._closed = False
        # Reports are collected into self._h by whichever thread polls: one
        # poll (or flush) at a time, with the reports it collected served
        # before the next.
        self._poll_lock = threading.RLock()
        # produce() in C for the common case, falling back to _produce;
        # close() zeroes the address it holds.
        self._addr_box = [self._addr]
        self._stats = Stats(lib.kfk_producer_stats_json, lib.kfk_producer_stats_prometheus)
        if self._icpt is None:
            self.produce = _bind_produce((self._topics, self._addr_box, self._h_addr,
                                          self._dr_default, self._produce, self._raise))
        else:  # the hooks are called from the Python path
            self.produce = self._produce_icpt

    def _check_open(self):
        if self._closed:
            raise RuntimeError("the producer is closed")

    def produce(self, topic: str, value: Any = None, key: Any = None, partition: int = -1,
                on_delivery: Optional[Callable] = None, timestamp: int = 0,
                headers: Headers = None, callback: Optional[Callable] = None) -> None:
        """Queues a record. Raises BufferError when the buffer is full
        (poll or flush, then try again), KafkaException otherwise."""
        # Replaced on each instance by the C version (see __init__).
        self._produce(topic, value, key, partition, on_delivery, timestamp, headers, callback)

    def _produce(self, topic: str, value: Any = None, key: Any = None, partition: int = -1,
                 on_delivery: Optional[Callable] = None, timestamp: int = 0,
                 headers: Headers = None, callback: Optional[Callable] = None) -> None:
        if key is None and not headers and not timestamp and (type(value) is bytes or
                                                              value is None):
            t = self._topics.get(topic) or self._topic_bytes(topic)
            err = _produce_value(self._addr, t, partition, value, self._h_addr, topic,
                                 on_delivery or callback or self._dr_default)
            if err:
                self._raise(err)
            return
        try:
            t = self._topics[topic]
        except KeyError:
            t = self._topic_bytes(topic)
        if type(value) is bytes:
            v, vl = value, len(value)
        else:
            v, vl = _bytes(value, "value")
        if key is None:
            k, kl = NULL, 0
        elif type(key) is bytes:
            k, kl = key, len(key)
        else:
            k, kl = _bytes(key, "key")
        hdrs, keep, bufs = self._headers(headers) if headers else (NULL, (), None)
        _check_int(partition, "partition", 32)
        _check_int(timestamp, "timestamp", 64)
        cb = on_delivery or callback or self._dr_default
        if cb is not None:
            opaque = _add_pending(self._h_addr, topic, key, value, cb)
        else:
            opaque = 0
        self._send(t, partition, k, kl, v, vl, timestamp, hdrs, keep, bufs, opaque)

    def _send(self, t, partition, k, kl, v, vl, timestamp, hdrs, keep, bufs, opaque) -> None:
        """kfk_produce of a record checked and converted; a refused record's
        pending entry goes again. bufs holds the headers' memory until
        kfk has copied it."""
        try:
            err = _produce(self._p, t, partition, k, kl, v, vl, timestamp, hdrs, len(keep), opaque)
        except BaseException:
            if opaque:
                _drop_pending(self._h_addr, opaque)
            raise
        del bufs
        if err:
            if opaque:
                _drop_pending(self._h_addr, opaque)
            self._raise(err)

    def _produce_icpt(self, topic: str, value: Any = None, key: Any = None, partition: int = -1,
                      on_delivery: Optional[Callable] = None, timestamp: int = 0,
                      headers: Headers = None, callback: Optional[Callable] = None) -> None:
        """produce() with interceptors: on_send just before kfk_produce, and
        a pending entry for every record when on_acknowledgement wants it."""
        self._check_open()
        cb = on_delivery or callback or self._dr_default
        try:
            t = self._topics[topic]
        except KeyError:
            t = self._topic_bytes(topic)
        v, vl = _bytes(value, "value")
        k, kl = _bytes(key, "key")
        hdrs, keep, bufs = self._headers(headers) if headers else (NULL, (), None)
        _check_int(partition, "partition", 32)
        _check_int(timestamp, "timestamp", 64)
        if self._icpt_send:
            self._icpt.run(self._icpt_send, "on_send",
                           sent_message(topic, key, value, partition, timestamp, keep))
        opaque = _add_pending(self._h_addr, topic, key, value, cb) if (
            cb is not None or self._icpt_ack) else 0
        self._send(t, partition, k, kl, v, vl, timestamp, hdrs, keep, bufs, opaque)

    def _on_ack(self, topic, partition, offset, timestamp, err, opaque) -> None:
        # Runs inside kfk (poll, flush, close, or produce for a refused
        # record) with the GIL taken by cffi: nothing may escape.
        try:
            entry = _pending_get(opaque)
            if entry is None:
                entry = (ffi.string(topic).decode(), None, None, None)
            msg = Message(entry + (partition, offset, timestamp, err))
            self._icpt.run(self._icpt.ack, "on_acknowledgement",
                           KafkaError(err) if err else None, msg)
        except Exception:
            self._icpt.logger.warning("interceptor: on_acknowledgement", exc_info=True)

    def stats(self) -> Dict[str, Any]:
        """The statistics document (docs/STATS.md) as a dict, read now
        (kfk_producer_stats_json): name, client_id, type, ts, time, age,
        replyq, msg_cnt, msg_size, msg_size_max, txmsgs, txmsg_bytes,
        tx, tx_bytes, rx, rx_bytes, brokers, topics. Works whatever
        statistics.interval.ms is."""
        return stats_document(self.stats_json())

    def stats_json(self) -> str:
        """The statistics document as kfk renders it (a JSON str)."""
        self._check_open()
        return self._stats.json(self._p)

    def stats_prometheus(self) -> str:
        """The figures in Prometheus text format 0.0.4 (kafka_producer_*
        metrics, docs/STATS.md), for a /metrics handler."""
        self._check_open()
        return self._stats.prometheus(self._p)

    def _topic_bytes(self, topic: str) -> bytes:
        if not isinstance(topic, str):
            raise TypeError("topic must be a str")
        t = self._topics[topic] = topic.encode()
        return t

    def _raise(self, err):
        self._check_open()
        reason = ffi.string(lib.kfk_producer_last_error(self._p)).decode() or None
        if err == -112:
            raise BufferError(reason or "the producer's buffer is full")
        raise KafkaException(KafkaError(err, reason))

    @staticmethod
    def _headers(headers: Headers):
        items = headers.items() if isinstance(headers, dict) else headers
        keep = []
        for name, val in items:
            nb = name.encode() if isinstance(name, str) else bytes(name)
            vb = None if val is None else (val.encode() if isinstance(val, str) else bytes(val))
            keep.append((nb, vb))
        arr = ffi.new("kfk_header[]", len(keep))
        bufs = []
        for i, (nb, vb) in enumerate(keep):
            if not nb:
                raise ValueError("a header name must not be empty")
            n = ffi.from_buffer(nb)
            bufs.append(n)
            arr[i].name = n
            arr[i].name_len = len(nb)
            if vb is not None:
                vbuf = ffi.from_buffer(vb)
                bufs.append(vbuf)
                arr[i].value = vbuf
                arr[i].value_len = len(vb)
        return arr, keep, bufs

    def _serve(self) -> int:
        n = 0
        if self._h.n_dr:
            n = _serve_reports(self._h_addr, Message, KafkaError)
        self._hooks.serve_events()
        return n

    def poll(self, timeout: Optional[float] = None) -> int:
        """Serves delivery reports (and error and log events), waiting up to
        timeout seconds (None or negative: until one comes) for the first.
        Returns how many reports were served."""
        self._check_open()
        deadline = deadline_of(timeout)
        while True:
            ms = slice_ms(deadline)
            with self._poll_lock:
                n = lib.kfk_producer_poll(self._p, ms)
                served = self._serve()
            if n or served or (deadline is not None and time.monotonic() >= deadline):
                return n
            if ms == 0:
                return 0

    def flush(self, timeout: Optional[float] = None) -> int:
        """Sends every queued record and waits (up to timeout seconds; None:
        no limit) until each has its delivery report, serving them. Returns
        how many records are still without one (0: all delivered)."""
        self._check_open()
        deadline = deadline_of(timeout)
        while True:
            ms = slice_ms(deadline)
            with self._poll_lock:
                err = lib.kfk_producer_flush(self._p, ms)
                self._serve()
            if err == 0:
                return 0
            if deadline is not None and time.monotonic() >= deadline:
                return len(self)

    def purge(self, in_queue: bool = True, in_flight: bool = False, blocking: bool = True) -> None:
        """Fails records not yet sent with KafkaError PURGED (their reports
        come on the next poll or flush), as kfk_producer_purge does.

        in_queue: True purges the records waiting in the producer's
        batches; False leaves them (with in_flight False the call does
        nothing). in_flight: kfk cannot take back records already sent to
        a broker (their reports come from the broker), so only False is
        accepted (confluent-kafka's default is True: pass in_flight=False);
        True raises ValueError. blocking: either value is accepted, as
        both are honoured: the purge is done when the call returns and it
        waits for nothing but short locks."""
        self._check_open()
        if in_flight:
            raise ValueError("purge: in_flight=True is not supported: kfk cannot purge "
                             "records already sent (their reports come from the broker); "
                             "only in_flight=False is allowed")
        if not in_queue:
            return
        err = lib.kfk_producer_purge(self._p)
        if err:
            self._raise(err)

    def __len__(self) -> int:
        """Records handed to produce() not yet delivered, plus delivery
        reports waiting to be served (kfk_producer_outstanding, and those
        a poll collected but has not served yet); with or without a
        callback. 0 once closed."""
        if self._closed:
            return 0
        # Outstanding first: a report moves from kfk's count to the
        # handle's, so this order may count one twice but never misses one.
        n = lib.kfk_producer_outstanding(self._p)
        return n + self._h.n_dr - self._h.dr_next

    def wakeup_fd(self) -> int:
        """A descriptor readable while delivery reports wait (kfk.h's
        kfk_producer_wakeup_fd); for event loops."""
        self._check_open()
        return lib.kfk_producer_wakeup_fd(self._p)

    def close(self, timeout: Optional[float] = None) -> int:
        """Flushes (up to timeout), then destroys the producer; records
        still outstanding get DESTROYED reports. Returns what flush returned."""
        if self._closed:
            return 0
        left = self.flush(timeout)
        self._closed = True
        with self._poll_lock:
            lib.kfk_producer_destroy(self._p)
            self._serve()
        self._p = NULL
        self._addr = 0
        self._addr_box[0] = 0
        return left

    def __enter__(self) -> "Producer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_closed", True) is False:
            self._closed = True
            self._addr_box[0] = 0
            lib.kfk_producer_destroy(self._p)
            _discard(self._h_addr)
