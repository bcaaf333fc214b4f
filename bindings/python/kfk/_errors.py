"""KafkaError and KafkaException: kfk's error codes with their names."""
from typing import Optional

from ._kfk import ffi, lib


def _name(code: int) -> str:
    return ffi.string(lib.kfk_err_name(code)).decode()


def _text(code: int) -> str:
    return ffi.string(lib.kfk_err_str(code)).decode()


# Retriable broker errors (Kafka's RetriableException subclasses) and
# client-side ones a retry may fix.
_RETRIABLE = {-107, -108, -112, -116, -119, 5, 6, 7, 8, 13, 14, 15, 16, 19, 20, 74, 75}


class KafkaError:
    """An error from kfk: code() is the kfk_err value (negative: the client's,
    positive: the broker's Kafka error code), name() its name as in kfk.h
    without KFK_ERR_ ("NOT_LEADER_OR_FOLLOWER", "TIMED_OUT"), str() the
    reason."""

    __slots__ = ("_code", "_reason", "_fatal")

    def __init__(self, code: int, reason: Optional[str] = None, fatal: bool = False):
        self._code = int(code)
        self._reason = reason or _text(self._code)
        self._fatal = fatal

    def code(self) -> int:
        return self._code

    def name(self) -> str:
        return _name(self._code)

    def str(self) -> str:
        return self._reason

    def fatal(self) -> bool:
        return self._fatal or self._code == -115

    def retriable(self) -> bool:
        return self._code in _RETRIABLE

    def __str__(self) -> str:
        return self._reason

    def __repr__(self) -> str:
        return "KafkaError{code=%s,val=%d,str=%r}" % (self.name(), self._code, self._reason)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, KafkaError):
            return self._code == other._code
        if isinstance(other, int):
            return self._code == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._code)


class KafkaException(Exception):
    """Raised by a failed call; args[0] is the KafkaError."""

    def __init__(self, error, reason: Optional[str] = None):
        if not isinstance(error, KafkaError):
            error = KafkaError(error, reason)
        super().__init__(error)

    @property
    def error(self) -> KafkaError:
        return self.args[0]

    def __str__(self) -> str:
        e = self.args[0]
        return "%s: %s" % (e.name(), e.str())


def _err_names():
    names = {}
    for code in list(range(-122, -99)) + list(range(-1, 134)):
        n = _name(code)
        if n != "UNKNOWN" and code != 0:
            names[n] = code
    return names


for _n, _c in _err_names().items():
    setattr(KafkaError, _n, _c)
KafkaError.NO_ERROR = 0


def check(code: int, last_error: Optional[str] = None) -> None:
    if code:
        raise KafkaException(KafkaError(code, last_error or None))
