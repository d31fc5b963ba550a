from __future__ import annotations

import json
import time

from sqlalchemy import text

from crm_store.broker import EventSink
from crm_store.db import UnitOfWork, make_engine
from tests.support.events import unique_sender, user_uttered
from tests.support.queries import messages_of


def _sink(factory, tmp_path, retry=0.2) -> EventSink:  # type: ignore[no-untyped-def]
    sink = EventSink(factory, tmp_path / "var", retry_seconds=retry)
    sink.start()
    return sink


def test_publish_does_not_wait_for_a_locked_database(engine, uow_factory, tmp_path):
    sender = unique_sender()
    sink = _sink(uow_factory, tmp_path)
    blocker = engine.connect()
    tx = blocker.begin()
    if engine.dialect.name == "sqlite":
        blocker.exec_driver_sql("INSERT INTO segments (name, created_at) VALUES ('lock', '2026-01-01')")
    else:
        blocker.execute(text("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE"))
    try:
        started = time.perf_counter()
        sink.put(user_uttered(sender, "hello", intent="greet"))
        took = time.perf_counter() - started
        time.sleep(0.3)
        assert messages_of_safely(engine, sender) == 0
    finally:
        tx.rollback()
        blocker.close()

    assert took < 0.05
    assert sink.wait_idle(20)
    assert len(messages_of(engine, sender)) == 1
    sink.stop()


def messages_of_safely(engine, sender) -> int:  # type: ignore[no-untyped-def]
    # Reading never blocks on SQLite WAL or PostgreSQL MVCC... except PG's ACCESS EXCLUSIVE lock.
    if engine.dialect.name == "postgresql":
        return 0
    return len(messages_of(engine, sender))


def test_events_survive_a_database_outage_in_order(engine, uow_factory, tmp_path):
    sender = unique_sender()
    down = make_engine("postgresql://postgres@127.0.0.1:1/test")
    current = {"factory": lambda: UnitOfWork(down)}
    sink = _sink(lambda: current["factory"](), tmp_path)
    t = time.time()

    sink.put(user_uttered(sender, "first", intent="greet", ts=t))
    sink.put(user_uttered(sender, "second", intent="greet", ts=t + 1))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(_spooled(sink)) < 2:
        time.sleep(0.05)
    assert [e["text"] for e in _spooled(sink)] == ["first", "second"]

    current["factory"] = uow_factory

    assert sink.wait_idle(20)
    assert [m["text"] for m in messages_of(engine, sender)] == ["first", "second"]
    assert not sink.spool_path.exists()
    sink.stop()


def test_an_event_that_cannot_be_ingested_is_kept_not_dropped(uow_factory, tmp_path):
    sink = _sink(uow_factory, tmp_path)

    sink.put({"event": "user", "text": "no sender"})

    assert sink.wait_idle(10)
    kept = [json.loads(line) for line in sink.dead_path.read_text().splitlines()]
    assert [k["event"] for k in kept] == [{"event": "user", "text": "no sender"}]
    assert kept[0]["error"].startswith("MalformedEvent")
    sink.stop()


def _spooled(sink: EventSink) -> list[dict]:
    if not sink.spool_path.exists():
        return []
    return [json.loads(line) for line in sink.spool_path.read_text().splitlines() if line.strip()]
