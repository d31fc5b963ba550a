"""The scale-out profile on the machine's real RabbitMQ and Redis."""
from __future__ import annotations

import asyncio
import json
import socket
import uuid

import pytest
from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.lock_store import RedisLockStore

from crm_store.consumer import consume
from crm_store.rasa_stores import CrmLockStore
from crm_store.settings import reset_settings_cache
from tests.support.db import require_service
from tests.support.events import recorded_stream, unique_sender, user_uttered
from tests.support.queries import messages_of, row_counts


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def publish_all(queue: str, events: list[dict]) -> None:
    broker = PikaEventBroker("localhost", "guest", "guest", queues=[queue], exchange_name=f"ex-{queue}")
    await broker.connect()
    for event in events:
        broker.publish(event)
    await asyncio.sleep(0.5)  # Rasa's publish schedules the send on the loop
    await broker.close()


async def consume_until(queue: str, uow_factory, dead_letter, done, seconds: float = 20) -> int:  # type: ignore[no-untyped-def]
    stop = asyncio.Event()

    async def watch() -> None:
        for _ in range(int(seconds * 10)):
            if done():
                break
            await asyncio.sleep(0.1)
        stop.set()

    watcher = asyncio.create_task(watch())
    stored = await consume("amqp://guest:guest@127.0.0.1:5672/", queue, uow_factory, dead_letter, stop, exchange_name=f"ex-{queue}")
    await watcher
    return stored


async def test_events_published_by_rasa_reach_the_crm_once(uow_factory, engine, tmp_path):
    require_service(reachable(5672), "RabbitMQ at 127.0.0.1:5672")
    queue = f"crm-test-{uuid.uuid4().hex[:8]}"
    stream = recorded_stream()
    expected_messages = sum(1 for e in stream if e["event"] in ("user", "bot"))
    expected_events = sum(1 for e in stream if e["event"] not in ("user", "bot", "session_started")
                          and e.get("name") != "action_session_start")
    await consume_until(queue, uow_factory, tmp_path / "dead.jsonl", lambda: True)  # declares and binds the queue

    await publish_all(queue, stream + stream)  # delivered twice, as after a redelivery
    await consume_until(queue, uow_factory, tmp_path / "dead.jsonl",
                        lambda: row_counts(engine)["conversation_events"] >= expected_events)
    first = row_counts(engine)
    await publish_all(queue, stream)
    await consume_until(queue, uow_factory, tmp_path / "dead.jsonl", lambda: False, seconds=3)

    assert first["messages"] == expected_messages and first["conversation_events"] == expected_events
    assert row_counts(engine) == first


async def test_undecodable_message_goes_to_the_dead_letter_file(uow_factory, engine, tmp_path):
    require_service(reachable(5672), "RabbitMQ at 127.0.0.1:5672")
    queue = f"crm-test-{uuid.uuid4().hex[:8]}"
    sender = unique_sender()
    dead = tmp_path / "dead.jsonl"
    await consume_until(queue, uow_factory, dead, lambda: True)

    await publish_all(queue, [{"event": "user"}, user_uttered(sender, "hello", intent="greet")])
    await consume_until(queue, uow_factory, dead, lambda: len(messages_of(engine, sender)) == 1)

    assert len(messages_of(engine, sender)) == 1
    assert json.loads(dead.read_text())["event"] == {"event": "user"}


def test_lock_store_uses_redis_when_configured(monkeypatch):
    require_service(reachable(6379), "Redis at 127.0.0.1:6379")
    monkeypatch.setenv("LOCK_STORE_URL", "redis://127.0.0.1:6379/3")
    reset_settings_cache()
    try:
        store = CrmLockStore()
        conversation = unique_sender()
        ticket = store.issue_ticket(conversation)
        other = RedisLockStore(host="127.0.0.1", port=6379, db=3, key_prefix="crmbot")

        assert isinstance(store, RedisLockStore)
        assert other.get_lock(conversation).last_issued == ticket
        store.delete_lock(conversation)
    finally:
        reset_settings_cache()


def test_lock_store_is_in_memory_by_default(monkeypatch):
    monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    reset_settings_cache()
    try:
        from rasa.core.lock_store import InMemoryLockStore

        assert isinstance(CrmLockStore(), InMemoryLockStore)
    finally:
        reset_settings_cache()
