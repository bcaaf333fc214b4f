"""Statistics read on demand, and interceptors: the Python objects of the
config's "interceptors" list, called around produce, poll and commit."""
import json
import logging
from typing import Any, Callable, Dict, List, Optional, Sequence

from ._errors import KafkaError, KafkaException
from ._kfk import ffi

HOOKS = ("on_send", "on_acknowledgement", "on_consume", "on_commit")

_TOO_LARGE = -106
# The first buffer for a document; it grows to what the last one needed.
_FIRST_SIZE = 16384


class StatsReader:
    """Reads a handle's statistics through one of kfk's *_stats_json /
    *_stats_prometheus functions: *len in is the buffer's size, out the
    size the text needs (with its NUL); too small gives TOO_LARGE and the
    call is made again with that size and room to spare, since the
    figures move between calls."""

    __slots__ = ("fn", "size")

    def __init__(self, fn: Callable):
        self.fn = fn
        self.size = _FIRST_SIZE

    def read(self, handle) -> str:
        n = ffi.new("size_t *")
        for _ in range(16):
            buf = ffi.new("char[]", self.size)
            n[0] = self.size
            err = self.fn(handle, buf, n)
            if err == 0:
                return ffi.unpack(buf, n[0] - 1).decode("utf-8", "replace")
            if err != _TOO_LARGE:
                raise KafkaException(KafkaError(err))
            self.size = n[0] + n[0] // 4 + 1024
        raise KafkaException(KafkaError(_TOO_LARGE, "statistics: the document kept growing"))


class Stats:
    """stats(), stats_json() and stats_prometheus() of a producer or a
    consumer (see docs/STATS.md for their fields and metric names)."""

    def __init__(self, json_fn: Callable, prom_fn: Callable):
        self._json = StatsReader(json_fn)
        self._prom = StatsReader(prom_fn)

    def json(self, handle) -> str:
        return self._json.read(handle)

    def prometheus(self, handle) -> str:
        return self._prom.read(handle)


def stats_callback(py: Dict[str, Any]) -> Optional[Callable[[str], Any]]:
    cb = py.get("stats_cb")
    if cb is not None and not callable(cb):
        raise TypeError("stats_cb must be callable (it takes the JSON document, a str)")
    return cb


def stats_document(text: str) -> Dict[str, Any]:
    return json.loads(text)


class Interceptors:
    """The hooks of the config's interceptors, each list in the order the
    objects were given. A hook that raises is logged (warning, with the
    traceback) and otherwise ignored, as kfk ignores a C hook's error and
    Java an interceptor's exception: the record or commit goes on."""

    def __init__(self, objs: Any, logger: Optional[logging.Logger]):
        if isinstance(objs, (str, bytes, dict)) or not isinstance(objs, Sequence):
            raise TypeError("interceptors must be a list of objects with on_send, "
                            "on_acknowledgement, on_consume or on_commit methods, not %s"
                            % type(objs).__name__)
        self.logger = logger or logging.getLogger("kfk")
        self.hooks: Dict[str, List[Callable]] = {h: [] for h in HOOKS}
        for i, o in enumerate(objs):
            found = False
            for h in HOOKS:
                f = getattr(o, h, None)
                if f is None:
                    continue
                if not callable(f):
                    raise TypeError("interceptors[%d]: %s is not callable" % (i, h))
                self.hooks[h].append(f)
                found = True
            if not found:
                raise TypeError("interceptors[%d] (%s) has none of on_send, on_acknowledgement, "
                                "on_consume, on_commit" % (i, type(o).__name__))
        self.send = self.hooks["on_send"]
        self.ack = self.hooks["on_acknowledgement"]
        self.consume = self.hooks["on_consume"]
        self.commit = self.hooks["on_commit"]

    def run(self, hooks: List[Callable], name: str, *args: Any) -> None:
        for f in hooks:
            try:
                f(*args)
            except Exception:
                self.logger.warning("interceptor: %s raised (ignored)", name, exc_info=True)


def interceptors_of(py: Dict[str, Any]) -> Optional[Interceptors]:
    objs = py.get("interceptors")
    if objs is None:
        return None
    ic = Interceptors(objs, py.get("logger"))
    return ic if any(ic.hooks.values()) else None  # an empty list: nothing to call
