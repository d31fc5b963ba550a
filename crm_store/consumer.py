"""Scale-out ingestion: consume Rasa's events from RabbitMQ into the CRM (`crmbot ingest`).

A message is acknowledged only after its event is stored (or recognised as a
duplicate), so a crash or a database outage leaves it on the queue; a message
that can never be ingested goes to the dead-letter file and is acknowledged.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Callable

import aio_pika
from crm_store.db import UnitOfWork
from crm_store.ingestion import describe, ingest, is_temporary

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0


async def consume(
    url: str,
    queue_name: str,
    uow_factory: Callable[[], UnitOfWork],
    dead_letter: Path,
    stop: asyncio.Event,
    exchange_name: str = "rasa-exchange",
) -> int:
    """Ingest until `stop` is set; returns how many new rows were stored."""
    connection = await aio_pika.connect_robust(url)
    stored = 0
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=20)
        exchange = await channel.declare_exchange(exchange_name, type=aio_pika.ExchangeType.FANOUT)
        queue = await channel.declare_queue(queue_name, durable=True)
        await queue.bind(exchange, "")
        loop = asyncio.get_running_loop()
        # One message at a time, in queue order: a conversation's events depend on
        # the ones before them (the session opens before its messages land in it).
        while not stop.is_set():
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                await asyncio.sleep(0.2)
                continue
            stored += await _handle(loop, message, uow_factory, dead_letter, stop)
    finally:
        await connection.close()
    return stored


async def _handle(loop, message, uow_factory, dead_letter: Path, stop: asyncio.Event) -> int:  # type: ignore[no-untyped-def]
    try:
        event = json.loads(message.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        _keep(dead_letter, json.dumps({"error": describe(exc), "raw": message.body.decode("utf-8", "replace")}))
        await message.ack()
        return 0
    backoff = 0.5
    while True:
        try:
            new = await loop.run_in_executor(None, ingest, uow_factory(), event)
            await message.ack()
            return int(new)
        except Exception as exc:  # noqa: BLE001 - sorted below: retry, or dead-letter this one event
            if not is_temporary(exc):
                log.warning("event cannot be stored; kept in the dead letters", extra={"error": type(exc).__name__})
                _keep(dead_letter, json.dumps({"error": describe(exc), "failed_at": time.time(), "event": event}, default=str))
                await message.ack()
                return 0
            log.warning("database unavailable; retrying", extra={"retry_in": backoff})
            if stop.is_set():
                await message.nack(requeue=True)
                return 0
            await asyncio.sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)


def _keep(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
