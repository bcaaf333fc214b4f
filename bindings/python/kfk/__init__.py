"""kfk: Python binding of the kfk Kafka client library (libkfk), with the
API confluent-kafka-python users know."""
from ._consumer import Consumer
from ._errors import KafkaError, KafkaException
from ._kfk import ffi as _ffi
from ._kfk import lib as _lib
from ._producer import Producer
from ._types import (OFFSET_BEGINNING, OFFSET_END, OFFSET_INVALID, TIMESTAMP_CREATE_TIME,
                     TIMESTAMP_LOG_APPEND_TIME, TIMESTAMP_NOT_AVAILABLE, Message, TopicPartition)


def libversion():
    """(text, number) of the libkfk in use."""
    return (_ffi.string(_lib.kfk_version_str()).decode(), _lib.kfk_version())


__version__ = "0.1.0"
__all__ = ["Consumer", "KafkaError", "KafkaException", "Message", "Producer", "TopicPartition",
           "OFFSET_BEGINNING", "OFFSET_END", "OFFSET_INVALID", "TIMESTAMP_CREATE_TIME",
           "TIMESTAMP_LOG_APPEND_TIME", "TIMESTAMP_NOT_AVAILABLE", "libversion"]
