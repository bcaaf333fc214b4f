"""What producers, consumers and admin clients share: the C-side hooks,
and error and log events handed over on the polling thread."""
import logging
import time
from typing import Any, Dict, Optional

from ._errors import KafkaError
from ._kfk import ffi, lib
from ._observe import stats_callback

# syslog levels to logging levels
_LEVELS = {0: logging.CRITICAL, 1: logging.CRITICAL, 2: logging.CRITICAL, 3: logging.ERROR,
           4: logging.WARNING, 5: logging.INFO, 6: logging.INFO, 7: logging.DEBUG}

# Poll slices: a blocking call waits at most this long in C between
# checks for signals, so Ctrl-C interrupts it.
SLICE_MS = 200


def deadline_of(timeout: Optional[float]) -> Optional[float]:
    """The monotonic time a call given timeout seconds ends at; None (no
    end) for a timeout of None or below 0."""
    return None if timeout is None or timeout < 0 else time.monotonic() + timeout


def slice_ms(deadline: Optional[float]) -> int:
    """How long the next wait in C may be: SLICE_MS, or what is left
    before deadline (rounded up to whole ms, 0 once it has passed)."""
    if deadline is None:
        return SLICE_MS
    return max(0, min(SLICE_MS, int((deadline - time.monotonic()) * 1000 + 0.999)))


class Hooks:
    def __init__(self, owner: Any, py: Dict[str, Any]):
        self.error_cb = py.get("error_cb")
        self.logger = py.get("logger")
        self.stats_cb = stats_callback(py)
        self.handle = ffi.new_handle(owner)
        self.h = ffi.gc(lib.kfkpy_h_new(self.handle), lib.kfkpy_h_free)
        if self.h == ffi.NULL:
            raise MemoryError()

    def install(self, conf, dr: bool = False, rebalance: bool = False, commit: bool = False):
        lib.kfkpy_conf_hooks(conf, self.h, int(dr), 1, int(self.logger is not None),
                             int(rebalance), int(commit))
        if self.stats_cb is not None:
            lib.kfkpy_conf_stats(conf, self.h)

    def serve_events(self) -> None:
        out = ffi.new("kfkpy_ev **")
        n = lib.kfkpy_events_take(self.h, out)
        if not n:
            return
        evs = out[0]
        try:
            items = []
            for i in range(n):
                e = evs[i]
                text = ffi.string(e.text).decode("utf-8", "replace") if e.text else ""
                fac = ffi.string(e.facility).decode() if e.facility else ""
                items.append((e.kind, e.code, fac, text))
        finally:
            lib.kfkpy_events_free(evs, n)
        # Every event is served; the first exception a callback raised is
        # raised again once they all have been.
        raised = None
        for kind, code, fac, text in items:
            try:
                if kind == 1:
                    if self.error_cb is not None:
                        self.error_cb(KafkaError(code, text))
                elif kind == 3:
                    if self.stats_cb is not None:
                        self.stats_cb(text)
                elif self.logger is not None:
                    self.logger.log(_LEVELS.get(code, logging.INFO), "%s: %s", fac, text)
            except BaseException as e:
                if raised is None:
                    raised = e
        if raised is not None:
            raise raised
