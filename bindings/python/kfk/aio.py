"""asyncio over kfk: AIOProducer and AIOConsumer wait on kfk's wake-up
descriptors (kfk_producer_wakeup_fd, kfk_consumer_wakeup_fd) with
loop.add_reader, so nothing polls on a timer and no thread is used: the
loop wakes when delivery reports or messages are ready, and polls with
timeout 0."""
import asyncio
from typing import Any, Dict, List, Optional

from ._consumer import Consumer
from ._errors import KafkaException
from ._producer import Producer
from ._types import Message


class AIOProducer:
    """await produce(...) returns the delivered Message, or raises
    KafkaException with the delivery error."""

    def __init__(self, config: Dict[str, Any], loop: Optional[asyncio.AbstractEventLoop] = None):
        self._loop = loop or asyncio.get_running_loop()
        self._p = Producer(config)
        self._fd = self._p.wakeup_fd()
        if self._fd < 0:
            raise OSError("no wake-up descriptor")
        self._waiters: List[asyncio.Future] = []
        self._loop.add_reader(self._fd, self._on_ready)

    def _on_ready(self) -> None:
        self._p.poll(0)
        waiters, self._waiters = self._waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)

    def produce_nowait(self, topic: str, value: Any = None, key: Any = None,
                       **kwargs: Any) -> "asyncio.Future[Message]":
        """Queues the record and returns a future of its delivery."""
        fut = self._loop.create_future()

        def done(err, msg):
            if fut.done():
                return
            if err is not None:
                fut.set_exception(KafkaException(err))
            else:
                fut.set_result(msg)

        self._p.produce(topic, value, key, on_delivery=done, **kwargs)
        return fut

    async def produce(self, topic: str, value: Any = None, key: Any = None,
                      **kwargs: Any) -> Message:
        return await self.produce_nowait(topic, value, key, **kwargs)

    async def flush(self) -> None:
        """Sends what is queued now and waits until every record produced
        so far has its report."""
        self._p.flush(0)
        while len(self._p):
            w = self._loop.create_future()
            self._waiters.append(w)
            await w

    async def close(self) -> None:
        await self.flush()
        self._loop.remove_reader(self._fd)
        self._p.close(0)

    @property
    def producer(self) -> Producer:
        return self._p


class AIOConsumer:
    """await poll() / consume(n) wait on the consumer's wake-up descriptor."""

    def __init__(self, config: Dict[str, Any], loop: Optional[asyncio.AbstractEventLoop] = None):
        self._loop = loop or asyncio.get_running_loop()
        self._c = Consumer(config)
        self._fd = self._c.wakeup_fd()
        if self._fd < 0:
            raise OSError("no wake-up descriptor")

    def __getattr__(self, name: str) -> Any:
        # subscribe, assign, commit, seek, ...: the Consumer's, non-blocking
        return getattr(self._c, name)

    async def _readable(self) -> None:
        fut = self._loop.create_future()
        self._loop.add_reader(self._fd, lambda: fut.done() or fut.set_result(None))
        try:
            await fut
        finally:
            self._loop.remove_reader(self._fd)

    async def consume(self, num_messages: int = 1,
                      timeout: Optional[float] = None) -> List[Message]:
        async def wait() -> List[Message]:
            while True:
                msgs = self._c.consume(num_messages, 0)
                if msgs or self._c._closed:
                    return msgs
                await self._readable()

        if timeout is None:
            return await wait()
        try:
            return await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            return []

    async def poll(self, timeout: Optional[float] = None) -> Optional[Message]:
        msgs = await self.consume(1, timeout)
        return msgs[0] if msgs else None

    async def close(self) -> None:
        self._c.close()

    @property
    def consumer(self) -> Consumer:
        return self._c
