"""Turning a confluent-style config dict into a kfk_conf."""
from typing import Any, Callable, Dict, Optional, Tuple

from ._errors import KafkaError, KafkaException
from ._kfk import ffi, lib

# Keys that are Python objects, not kfk properties.
PY_KEYS = ("on_delivery", "error_cb", "logger", "on_commit", "on_assign", "on_revoke",
           "on_lost", "stats_cb", "interceptors")


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def build(config: Dict[str, Any]) -> Tuple[Any, Dict[str, Any]]:
    """A new kfk_conf (owned by the caller until a constructor takes it)
    and the Python-side keys. A bad property raises KafkaException
    (CONFIG) with kfk's message, which names the property."""
    if not isinstance(config, dict):
        raise TypeError("config must be a dict")
    conf = lib.kfk_conf_new()
    if conf == ffi.NULL:
        raise MemoryError()
    py = {}
    errbuf = ffi.new("char[512]")
    try:
        for k, v in config.items():
            if k in PY_KEYS:
                py[k] = v
                continue
            if v is None:
                continue
            err = lib.kfk_conf_set(conf, k.encode(), _text(v).encode(), errbuf, 512)
            if err:
                raise KafkaException(KafkaError(err, ffi.string(errbuf).decode()))
    except BaseException:
        lib.kfk_conf_destroy(conf)
        raise
    return conf, py


def errbuf():
    return ffi.new("char[1024]")
