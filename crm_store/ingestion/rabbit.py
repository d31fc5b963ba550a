"""RabbitMQ for the scale-out profile: one deployment's exchange and queues, and a confirmed publisher.

Names come from settings (EVENT_EXCHANGE, EVENT_QUEUE), so deployments sharing a
vhost do not read each other's conversations; the vhost in EVENT_BROKER_URL is
kept. The queue dead-letters what the consumer rejects into `<queue>.dead`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

import aio_pika
from aiormq import spec
from aiormq.exceptions import ChannelPreconditionFailed

from crm_store.errors import CrmError
from crm_store.retry import retry_async

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Topology:
    exchange: str
    queue: str

    @property
    def dead_queue(self) -> str:
        return f"{self.queue}.dead"

    async def declare(self, channel: aio_pika.abc.AbstractChannel) -> tuple[Any, Any, Any]:
        """Exchange -> durable queue -> (rejected) dead queue; idempotent."""
        exchange = await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.FANOUT, durable=True)
        dead = await channel.declare_queue(self.dead_queue, durable=True)
        try:
            queue = await channel.declare_queue(
                self.queue,
                durable=True,
                arguments={
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": self.dead_queue,
                },
            )
        except ChannelPreconditionFailed:
            raise CrmError(
                f"RabbitMQ queue {self.queue!r} exists without a dead-letter queue (made by an older "
                "version); drain and delete it, or set EVENT_QUEUE to a new name"
            ) from None
        await queue.bind(exchange, "")
        return exchange, queue, dead

    async def remove(self, url: str) -> None:
        """Delete the queue, its dead-letter queue and the exchange (a deployment taken down)."""
        connection = await aio_pika.connect(url)
        async with connection:
            channel = await connection.channel()
            for name in (self.queue, self.dead_queue):
                await channel.queue_delete(name)
            await channel.exchange_delete(self.exchange)


def topology_from(settings: Any) -> Topology:
    return Topology(settings.resolved_event_exchange, settings.event_queue)


def event_message(event: dict) -> aio_pika.Message:
    return aio_pika.Message(
        json.dumps(event, default=str).encode("ascii"),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


class ConfirmedPublisher:
    """Publishes one event at a time and returns only once RabbitMQ confirmed it.

    Callable from any thread (the spool's worker calls it): the connection lives
    on an event loop in a thread of its own. Any failure raises; the spool keeps
    the event and tries again.
    """

    def __init__(self, url: str, topology: Topology, timeout: float = 10.0) -> None:
        self.url = url
        self.topology = topology
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="crm-publisher", daemon=True)
        self._thread.start()
        self._connection: Any = None
        self._exchange: Any = None

    def __call__(self, event: dict) -> bool:
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(self._publish(event), self.timeout), self._loop)
        future.result()
        return True

    def batch(self, events: list[dict]) -> list[bool]:
        """Publish several events at once and wait for all their confirms (a retry may repeat some)."""
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(self._publish(*events), self.timeout), self._loop)
        future.result()
        return [True] * len(events)

    async def _publish(self, *events: dict) -> None:
        async def once() -> None:
            try:
                if self._exchange is None:
                    await self._connect()
                # A nack or a returned (unroutable) message raises; only Basic.Ack comes back.
                confirmations = await asyncio.gather(
                    *(self._exchange.publish(event_message(event), routing_key="", mandatory=True) for event in events)
                )
                for confirmation in confirmations:
                    if not isinstance(confirmation, spec.Basic.Ack):
                        raise ConnectionError(f"RabbitMQ did not confirm the event ({type(confirmation).__name__})")
            except Exception:
                await self._drop()
                raise

        # A connection that went stale while idle gets one fresh try, at once (the spool retries the rest).
        await retry_async(once, lambda exc: isinstance(exc, Exception), attempts=2, delay=lambda _exc, _attempt: 0.0)

    async def _connect(self) -> None:
        self._connection = await aio_pika.connect(self.url, timeout=self.timeout)
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        self._exchange, _queue, _dead = await self.topology.declare(channel)
        log.info(
            "publishing events to RabbitMQ", extra={"exchange": self.topology.exchange, "queue": self.topology.queue}
        )

    async def _drop(self) -> None:
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # noqa: BLE001 - it is already broken; we only let go of it
                pass

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._drop(), self._loop).result(self.timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(self.timeout)


async def replay_dead(url: str, topology: Topology) -> int:
    """Move every message of the dead queue back onto the exchange (confirmed); returns how many."""
    connection = await aio_pika.connect(url)
    moved = 0
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange, _queue, dead = await topology.declare(channel)
        while True:
            message = await dead.get(no_ack=False, fail=False)
            if message is None:
                return moved
            await exchange.publish(
                aio_pika.Message(
                    message.body, content_type=message.content_type, delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                ),
                routing_key="",
            )
            await message.ack()
            moved += 1
    finally:
        await connection.close()
