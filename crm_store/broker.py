"""The in-process Rasa event broker: every tracker event goes to CRM ingestion.

`publish` only puts the event on a queue, so Rasa's event loop never waits for
the database. One worker thread ingests in order. While the database is down,
events go to a spool file under var/ (in order) and are replayed once it is
back; events that cannot be ingested at all go to a dead-letter file. Nothing
accepted is dropped silently.
"""
from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any, Callable

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig
from crm_store.db import UnitOfWork, unit_of_work
from crm_store.ingestion import describe, ingest, is_temporary
from crm_store.settings import get_settings

log = logging.getLogger(__name__)

_STOP = object()


class EventSink:
    """Ordered, non-blocking, durable hand-over of events to ingestion."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        spool_dir: Path,
        retry_seconds: float = 2.0,
        ingest_fn: Callable[[UnitOfWork, dict], bool] = ingest,
    ) -> None:
        self._uow_factory = uow_factory
        self._ingest = ingest_fn
        self._queue: queue.Queue[Any] = queue.Queue()
        self._retry_seconds = retry_seconds
        spool_dir.mkdir(parents=True, exist_ok=True)
        self.spool_path = spool_dir / "ingest-spool.jsonl"
        self.dead_path = spool_dir / "ingest-dead.jsonl"
        self._thread = threading.Thread(target=self._run, name="crm-ingestion", daemon=True)
        self._idle = threading.Event()
        self.stored = 0

    def start(self) -> None:
        self._thread.start()

    def put(self, event: dict) -> None:
        self._idle.clear()
        self._queue.put(event)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued event is handled (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0 and not self.spool_path.exists():
                return True
            time.sleep(0.02)
        return False

    def stop(self, timeout: float = 10.0) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout)

    # -- worker thread ------------------------------------------------------
    def _run(self) -> None:
        self._drain_spool()
        while True:
            try:
                item = self._queue.get(timeout=self._retry_seconds)
            except queue.Empty:
                self._drain_spool()
                continue
            try:
                if item is _STOP:
                    return
                if self.spool_path.exists() and not self._drain_spool():
                    self._append(self.spool_path, item)  # keep order behind older spooled events
                    continue
                if not self._handle(item):
                    self._append(self.spool_path, item)
            finally:
                self._queue.task_done()

    def _handle(self, event: dict) -> bool:
        """True when the event is done with (stored, duplicate or dead-lettered)."""
        try:
            if self._ingest(self._uow_factory(), event):
                self.stored += 1
            return True
        except Exception as exc:  # noqa: BLE001 - sorted below: retry later, or dead-letter this one event
            if is_temporary(exc):
                log.warning("database unavailable; event spooled for retry", extra={"error": type(exc).__name__})
                return False
            log.warning("event cannot be stored; kept in the dead letters", extra={"error": type(exc).__name__})
            self._append(self.dead_path, dead_letter(event, exc))
            return True

    def _drain_spool(self) -> bool:
        """Replay spooled events in order; True when the spool is empty afterwards."""
        if not self.spool_path.exists():
            return True
        lines = self.spool_path.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                self._append(self.dead_path, {"error": describe(exc), "raw": line})
                continue
            if not self._handle(event):
                remaining = "\n".join(lines[index:]) + "\n"
                self.spool_path.write_text(remaining, encoding="utf-8")
                return False
        self.spool_path.unlink()
        log.info("spooled events replayed", extra={"events": len(lines)})
        return True

    def _append(self, path: Path, event: Any) -> None:
        self._append_raw(path, json.dumps(event, default=str))

    @staticmethod
    def _append_raw(path: Path, line: str) -> None:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def dead_letter(event: Any, exc: BaseException) -> dict[str, Any]:
    """What the dead letters keep: the event as received and why it could not be stored."""
    return {"error": describe(exc), "failed_at": time.time(), "event": event}


class CrmEventBroker(EventBroker):
    """Configured in endpoints.yml as `type: crm_store.broker.CrmEventBroker`."""

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig | None, event_loop: asyncio.AbstractEventLoop | None = None
    ) -> EventBroker:
        settings = get_settings()
        if settings.event_broker_url:
            return await _rabbitmq_broker(settings.event_broker_url, settings.event_queue, event_loop)
        sink = EventSink(lambda: unit_of_work(settings), settings.var_path)
        sink.start()
        log.info("CRM ingestion started in-process")
        return cls(sink)

    def publish(self, event: dict[str, Any]) -> None:
        self.sink.put(event)

    def is_ready(self) -> bool:
        return True

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.sink.stop)


async def _rabbitmq_broker(url: str, queue: str, loop: asyncio.AbstractEventLoop | None) -> EventBroker:
    """Scale-out profile: Rasa's own Pika broker; `crmbot ingest` consumes the queue."""
    from urllib.parse import urlsplit

    from rasa.core.brokers.pika import PikaEventBroker

    parts = urlsplit(url)
    broker = PikaEventBroker(
        host=parts.hostname or "localhost",
        username=parts.username or "guest",
        password=parts.password or "guest",
        port=parts.port or 5672,
        queues=[queue],
        event_loop=loop,
        connection_attempts=3,
        retry_delay_in_seconds=2,
    )
    await broker.connect()
    log.info("events go to RabbitMQ", extra={"queue": queue})
    return broker
