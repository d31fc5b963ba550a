"""Scale-out ingestion: consume Rasa's events from RabbitMQ into the CRM (`crmbot ingest`).

A message is acknowledged only after its event is committed (or recognised as
a duplicate), so a crash or a database outage leaves it on the queue; while the
database is down the same message is retried with backoff, in order. A message
that can never be stored (undecodable, or a data error) is rejected without
requeue, and RabbitMQ moves it to `<queue>.dead`; the next one goes on.
The consumer's heartbeat is in var/ingest-consumer.json for the supervisor.

One active consumer per queue: every `crmbot run` of a scale-out deployment starts
one, but ingestion relies on a sender's events arriving in order (a session opens
before its messages land in it), and two consumers sharing a queue interleave
them: the load bench (bench/scale_out.py) saw one session become two CRM
conversations. On PostgreSQL the active consumer holds a session advisory lock
named after the queue; the others wait in "standby" and take over within seconds
when its connection goes (a crash releases the lock with it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable

import aio_pika
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from crm_store.db import UnitOfWork
from crm_store.ingestion.events import describe, ingest, is_temporary
from crm_store.ingestion.rabbit import Topology
from crm_store.retry import RetryStopped, doubling, retry_async

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
CONSUMER_STATUS = "ingest-consumer.json"
STANDBY_POLL = 2.0  # seconds between a standby consumer's tries for the lock
LOCK_CHECK = 5.0  # seconds between the active consumer's checks that its lock connection lives


async def consume(
    url: str,
    topology: Topology,
    uow_factory: Callable[[], UnitOfWork],
    stop: asyncio.Event,
    status_dir: Path | None = None,
) -> int:
    """Ingest until `stop` is set; returns how many new rows were stored."""
    # Not connect_robust: its silent reconnect loop stopped the heartbeat, and the supervisor took
    # the wait for a hang. A lost connection now ends consume(); `crmbot ingest` waits and comes back.
    connection = await aio_pika.connect(url)
    state = _Status(status_dir)
    active = ActiveConsumerLock(uow_factory().engine, topology.queue)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=20)
        _exchange, queue, _dead = await topology.declare(channel)
        loop = asyncio.get_running_loop()
        # One message at a time, in queue order: a conversation's events depend on
        # the ones before them (the session opens before its messages land in it).
        while not stop.is_set():
            state.standby = not await loop.run_in_executor(None, active.hold)
            state.beat()
            if state.standby:
                await _wait(stop, STANDBY_POLL)
                continue
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                await asyncio.sleep(0.2)
                continue
            await _handle(loop, message, uow_factory, stop, state)
    finally:
        active.release()
        state.beat(force=True, running=False)
        await connection.close()
    return state.stored


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass


class ActiveConsumerLock:
    """The right to consume a queue, for one consumer per CRM database: a PostgreSQL session advisory
    lock on a connection of its own. On other databases (SQLite: one machine) every consumer has it."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = f"crmbot ingest {name}"
        self._conn: Connection | None = None
        self._checked = 0.0

    def hold(self) -> bool:
        """True while this consumer may consume: takes the lock if free, checks it now and then."""
        if self.engine.dialect.name != "postgresql":
            return True
        now = time.monotonic()
        if self._conn is not None and now - self._checked < LOCK_CHECK:
            return True
        self._checked = now
        try:
            if self._conn is not None:
                self._conn.execute(text("SELECT 1"))
                return True
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if conn.execute(text("SELECT pg_try_advisory_lock(hashtext(:name))"), {"name": self.name}).scalar_one():
                self._conn = conn
                log.info("this consumer is the active one for its queue")
                return True
            conn.close()
            return False
        except Exception as exc:  # noqa: BLE001 - a lost connection means a lost lock: stand by, try again
            log.warning("consumer lock lost; standing by", extra={"error": describe(exc)})
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            # Invalidate rather than return to the pool: a pooled connection would keep holding the lock.
            self._conn.invalidate()
            self._conn.close()
            self._conn = None


async def _handle(
    loop: asyncio.AbstractEventLoop,
    message: Any,
    uow_factory: Callable[[], UnitOfWork],
    stop: asyncio.Event,
    state: _Status,
) -> None:
    try:
        event = json.loads(message.body)
    except ValueError as exc:
        log.warning("undecodable message sent to the dead-letter queue", extra={"error": describe(exc)})
        await message.reject(requeue=False)
        state.dead += 1
        return

    async def store() -> bool:
        new = await loop.run_in_executor(None, ingest, uow_factory(), event)
        await message.ack()  # inside the retry: ingestion is idempotent, so storing again is safe
        return new

    def failed(exc: BaseException, _attempt: int, wait: float) -> None:
        if state.retrying_since is None:
            state.retrying_since = time.time()
        state.last_error = describe(exc)
        state.beat()
        log.warning("database unavailable; retrying", extra={"retry_in": wait})

    try:
        new = await retry_async(store, is_temporary, delay=doubling(0.5, MAX_BACKOFF), on_retry=failed, stop=stop)
    except RetryStopped:
        await message.nack(requeue=True)
        return
    except Exception as exc:  # noqa: BLE001 - not temporary: dead-letter this one event
        log.warning("event cannot be stored; sent to the dead-letter queue", extra={"error": describe(exc)})
        await message.reject(requeue=False)
        state.dead += 1
        return
    state.stored += int(new)
    state.last_stored_at = time.time()
    state.retrying_since = None


class _Status:
    def __init__(self, directory: Path | None) -> None:
        self.path = directory / CONSUMER_STATUS if directory else None
        self.stored = 0
        self.dead = 0
        self.last_stored_at: float | None = None
        self.retrying_since: float | None = None
        self.last_error: str | None = None
        self.standby = False
        self._last = 0.0

    def beat(self, force: bool = False, running: bool = True) -> None:
        now = time.time()
        if self.path is None or (not force and now - self._last < 1.0):
            return
        self._last = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "heartbeat": now,
                    "state": self._state(running),
                    "stored": self.stored,
                    "dead_letters": self.dead,
                    "last_stored_at": self.last_stored_at,
                    "retrying_since": self.retrying_since,
                    "last_error": self.last_error if self.retrying_since else None,
                }
            )
        )
        os.replace(tmp, self.path)

    def _state(self, running: bool) -> str:
        if not running:
            return "stopped"
        return "retrying" if self.retrying_since else "standby" if self.standby else "running"


def read_consumer_status(var_path: Path) -> dict[str, Any]:
    try:
        status = json.loads((var_path / CONSUMER_STATUS).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    status["heartbeat_age"] = time.time() - status["heartbeat"] if status.get("heartbeat") else None
    return status


async def queue_depths(url: str, topology: Topology) -> dict[str, int]:
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        _exchange, queue, dead = await topology.declare(channel)
        return {"queued": queue.declaration_result.message_count, "dead_letters": dead.declaration_result.message_count}
    finally:
        await connection.close()
