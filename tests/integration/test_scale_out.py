"""The scale-out profile on the machine's real RabbitMQ and Redis: spool -> confirmed publish -> queue -> CRM."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import aio_pika
import pytest
from rasa.core.lock_store import RedisLockStore

from crm_store.ingestion.consumer import CONSUMER_STATUS, consume, read_consumer_status
from crm_store.db import UnitOfWork, make_engine
from crm_store.ingestion.rabbit import ConfirmedPublisher, Topology
from bot.rasa.stores import CrmLockStore
from crm_store.settings import PROJECT_ROOT, reset_settings_cache
from crm_store.ingestion.spool import EventSink
from tests.support.db import migrated, require_service
from tests.support.events import recorded_stream, unique_sender, user_uttered
from tests.support.queries import messages_of, row_counts
from bot.local_stack import eventually
from tests.support.tcp_proxy import TcpProxy

RABBIT = "amqp://guest:guest@127.0.0.1:5672/"


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def topology() -> Topology:
    require_service(reachable(5672), "RabbitMQ at 127.0.0.1:5672")
    name = f"crm-test-{uuid.uuid4().hex[:8]}"
    topology = Topology(f"{name}.events", name)
    yield topology
    asyncio.run(topology.remove(RABBIT))


def publishing_sink(tmp_path, url: str, topology: Topology) -> EventSink:  # type: ignore[no-untyped-def]
    """What Rasa runs in the scale-out profile (crm_store.ingestion.sinks.sink_for)."""
    publisher = ConfirmedPublisher(url, topology)
    sink = EventSink(
        None,
        tmp_path / "var",
        retry_seconds=0.2,
        max_backoff=0.5,
        deliver=publisher,
        deliver_batch=publisher.batch,
        temporary=lambda exc: True,
        destination="rabbitmq",
    )
    sink.start()
    return sink


async def consume_until(topology: Topology, uow_factory, done, seconds: float = 20, url: str = RABBIT) -> int:  # type: ignore[no-untyped-def]
    stop = asyncio.Event()

    async def watch() -> None:
        for _ in range(int(seconds * 10)):
            if done():
                break
            await asyncio.sleep(0.1)
        stop.set()

    watcher = asyncio.create_task(watch())
    stored = await consume(url, topology, uow_factory, stop)
    await watcher
    return stored


async def dead_queue_bodies(topology: Topology) -> list[bytes]:
    connection = await aio_pika.connect(RABBIT)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(topology.dead_queue, durable=True)
        bodies = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            bodies.append(message.body)
        return bodies


async def test_events_published_by_rasa_reach_the_crm_once(uow_factory, engine, tmp_path, topology):
    stream = recorded_stream()
    expected_messages = sum(1 for e in stream if e["event"] in ("user", "bot"))
    expected_events = sum(
        1
        for e in stream
        if e["event"] not in ("user", "bot", "session_started") and e.get("name") != "action_session_start"
    )
    sink = publishing_sink(tmp_path, RABBIT, topology)

    for event in stream + stream:  # delivered twice, as after a redelivery
        sink.put(event)
    assert sink.wait_idle(30)
    await consume_until(topology, uow_factory, lambda: row_counts(engine)["conversation_events"] >= expected_events)
    first = row_counts(engine)
    for event in stream:
        sink.put(event)
    assert sink.wait_idle(30)
    sink.stop()
    await consume_until(topology, uow_factory, lambda: False, seconds=3)

    assert first["messages"] == expected_messages and first["conversation_events"] == expected_events
    assert row_counts(engine) == first


async def test_undecodable_and_poison_messages_go_to_the_dead_letter_queue_and_the_next_goes_on(
    uow_factory, engine, topology
):
    sender = unique_sender()
    poison = user_uttered(sender, "from the far future", ts=1e300)
    connection = await aio_pika.connect(RABBIT)
    async with connection:
        channel = await connection.channel()
        exchange, _queue, _dead = await topology.declare(channel)
        for body in (b"\xff\xfe{not json", aio_pika.Message(b"").body):
            await exchange.publish(aio_pika.Message(body), routing_key="")
    publisher = ConfirmedPublisher(RABBIT, topology)
    publisher(poison)
    publisher(user_uttered(sender, "hello", intent="greet", ts=1_800_000_000))
    publisher.close()

    await consume_until(topology, uow_factory, lambda: len(messages_of(engine, sender)) == 1)

    assert [m["text"] for m in messages_of(engine, sender)] == ["hello"]
    dead = await dead_queue_bodies(topology)
    assert dead[:2] == [b"\xff\xfe{not json", b""] and len(dead) == 3 and b"far future" in dead[2]


async def test_rabbitmq_down_for_a_while_loses_nothing(uow_factory, engine, tmp_path, topology):
    sender = unique_sender()
    proxy = TcpProxy(5672).up()
    sink = publishing_sink(tmp_path, f"amqp://guest:guest@127.0.0.1:{proxy.port}/", topology)
    try:
        sink.put(user_uttered(sender, "message 0", intent="greet", ts=1_800_000_000))
        assert sink.wait_idle(20)
        proxy.down()
        for i in range(1, 40):
            sink.put(user_uttered(sender, f"message {i}", intent="greet", ts=1_800_000_000 + i))
        time.sleep(3)
        assert sink.pending() == 39, "the broker is gone: every event waits in the spool"
        proxy.up()
        assert sink.wait_idle(30)
    finally:
        sink.stop()
        proxy.close()

    await consume_until(topology, uow_factory, lambda: len(messages_of(engine, sender)) == 40)

    assert [m["text"] for m in messages_of(engine, sender)] == [f"message {i}" for i in range(40)]


_CONSUMER = """
import asyncio, sys
from pathlib import Path
from crm_store.ingestion.consumer import CONSUMER_STATUS, consume
from crm_store.db import UnitOfWork, make_engine
from crm_store.db import UnitOfWork, make_engine
from crm_store.ingestion.rabbit import Topology
import crm_store.ingestion.events
crm_store.ingestion.events.LOCK_WAIT_SECONDS = 0.5  # 5 s in production; the test need not wait that long
url, db, exchange, queue, status_dir = sys.argv[1:]
crm = make_engine(db)
asyncio.run(consume(url, Topology(exchange, queue), lambda: UnitOfWork(crm), asyncio.Event(), Path(status_dir)))
"""


async def test_an_ingest_consumer_killed_while_it_holds_an_event_loses_nothing(tmp_path, topology):
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = migrated(make_engine(db))
    sender = unique_sender()
    texts = [f"message {i}" for i in range(10)]
    publisher = ConfirmedPublisher(RABBIT, topology)
    for i, text in enumerate(texts):
        publisher(user_uttered(sender, text, intent="greet", ts=1_800_000_000 + i))
    publisher.close()
    status = tmp_path / CONSUMER_STATUS
    blocker = engine.connect()
    tx = blocker.begin()
    blocker.exec_driver_sql("INSERT INTO segments (name, created_at) VALUES ('lock', '2026-01-01')")
    try:  # the CRM is locked: the consumer takes the first event and retries it, unacknowledged
        consumer = subprocess.Popen(
            [sys.executable, "-c", _CONSUMER, RABBIT, db, topology.exchange, topology.queue, str(tmp_path)],
            cwd=PROJECT_ROOT,
        )
        try:
            holding = eventually(
                lambda: status.exists() and json.loads(status.read_text() or "{}").get("retrying_since"), timeout=60
            )
        finally:
            os.kill(consumer.pid, signal.SIGKILL)
            consumer.wait()
    finally:
        tx.rollback()
        blocker.close()

    await consume_until(topology, lambda: UnitOfWork(engine), lambda: len(messages_of(engine, sender)) == 10)

    assert holding, "the consumer never got to the locked CRM"
    assert [m["text"] for m in messages_of(engine, sender)] == texts, "the held event came back to the queue"
    assert row_counts(engine)["messages"] == 10
    assert await dead_queue_bodies(topology) == []
    engine.dispose()


async def _status_is(directory, state: str, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds * 10)):
        if read_consumer_status(directory).get("state") == state:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"consumer in {directory} never reached {state!r}: {read_consumer_status(directory)}")


async def test_two_consumers_of_one_queue_take_turns_instead_of_interleaving(uow_factory, engine, tmp_path, topology):
    """Each `crmbot run` of a scale-out deployment starts a consumer: one is active, the other waits and takes over."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the active-consumer lock lives in PostgreSQL (an SQLite CRM means one machine)")
    sender = unique_sender()
    stops = {"first": asyncio.Event(), "second": asyncio.Event()}
    first = asyncio.create_task(consume(RABBIT, topology, uow_factory, stops["first"], tmp_path / "first"))
    await _status_is(tmp_path / "first", "running")
    second = asyncio.create_task(consume(RABBIT, topology, uow_factory, stops["second"], tmp_path / "second"))
    await _status_is(tmp_path / "second", "standby")
    publisher = ConfirmedPublisher(RABBIT, topology)
    for i in range(20):
        publisher(user_uttered(sender, f"message {i}", intent="greet", ts=1_800_000_000 + i))
    for _ in range(300):
        if len(messages_of(engine, sender)) == 20:
            break
        await asyncio.sleep(0.1)

    stops["first"].set()
    assert await first == 20
    await _status_is(tmp_path / "second", "running")
    for i in range(20, 25):
        publisher(user_uttered(sender, f"message {i}", intent="greet", ts=1_800_000_000 + i))
    publisher.close()
    for _ in range(300):
        if len(messages_of(engine, sender)) == 25:
            break
        await asyncio.sleep(0.1)
    stops["second"].set()

    assert await second == 5
    assert [m["text"] for m in messages_of(engine, sender)] == [f"message {i}" for i in range(25)]


def test_deployments_sharing_a_vhost_keep_apart_and_the_vhost_is_kept(tmp_path):
    require_service(reachable(5672), "RabbitMQ at 127.0.0.1:5672")
    require_service(bool(shutil.which("rabbitmqctl")), "rabbitmqctl to create a vhost")
    vhost = f"crm-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, timeout=60)
    try:
        subprocess.run(
            ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True, timeout=60
        )
        url = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
        shop_a, shop_b = Topology("shop-a.events", "shop-a"), Topology("shop-b.events", "shop-b")
        ConfirmedPublisher(url, shop_a)({"sender_id": "a", "event": "user", "timestamp": 1.0})
        ConfirmedPublisher(url, shop_b)({"sender_id": "b", "event": "user", "timestamp": 1.0})

        listing = subprocess.run(
            ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "messages"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        depths = dict(
            line.split() for line in listing.strip().splitlines() if line.strip() and not line.startswith("name")
        )
        assert depths == {"shop-a": "1", "shop-a.dead": "0", "shop-b": "1", "shop-b.dead": "0"}
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], timeout=60)


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


def _two_servers_take_turns(store_class: type, conversation: str, turns: int = 15) -> tuple[int, int, list[int]]:
    """Two 'Rasa servers' (own store, own thread and loop) each take `turns` messages of one sender at once.

    Returns (most turns inside the lock at one moment, LockErrors, order in which tickets were served).
    """
    from rasa.core.lock_store import LockError

    inside, most, errors, served = [0], [0], [0], []
    guard = threading.Lock()

    async def turn(store: RedisLockStore) -> None:
        try:
            async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.02) as lock:
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                    served.append(lock.now_serving)
                await asyncio.sleep(0.01)  # the turn's work
                with guard:
                    inside[0] -= 1
        except LockError:
            with guard:
                errors[0] += 1

    async def server() -> None:
        store = store_class(host="127.0.0.1", port=6379, db=3, key_prefix="crmbot-test")
        await asyncio.gather(*(turn(store) for _ in range(turns)))

    threads = [threading.Thread(target=lambda: asyncio.run(server())) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return most[0], errors[0], served


def test_two_servers_take_one_senders_messages_one_at_a_time():
    require_service(reachable(6379), "Redis at 127.0.0.1:6379")
    from bot.rasa.stores import AtomicRedisLockStore

    most, errors, served = _two_servers_take_turns(AtomicRedisLockStore, unique_sender())

    assert (most, errors, len(served)) == (1, 0, 30)
    assert served == sorted(served), "tickets are served in the order they were issued"
