"""The spool between Rasa and the CRM: never blocks Rasa, loses nothing, one writer per spool."""

from __future__ import annotations

import asyncio

import json
import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from bot.ingest_cli import heartbeat_check
from bot.rasa.broker import CrmEventBroker, EventSink
from crm_store.db import UnitOfWork, make_engine
from crm_store.settings import PROJECT_ROOT, reset_settings_cache
from crm_store.ingestion.spool import STATUS, SpoolBusy, read_status
from tests.support.events import unique_sender, user_uttered
from tests.support.queries import messages_of
from bot.local_stack import eventually

DOWN_URL = "postgresql://postgres@127.0.0.1:1/test"


def _sink(factory, tmp_path, retry=0.2) -> EventSink:  # type: ignore[no-untyped-def]
    sink = EventSink(factory, tmp_path / "var", retry_seconds=retry, max_backoff=0.5)
    sink.start()
    return sink


def test_publish_does_not_wait_for_a_locked_database_and_the_worker_says_it_is_retrying(
    engine, uow_factory, tmp_path, monkeypatch
):
    monkeypatch.setattr("crm_store.ingestion.events.LOCK_WAIT_SECONDS", 1.0)  # 5 s in production, under STALE_SECONDS
    sender = unique_sender()
    sink = _sink(uow_factory, tmp_path)
    healthy = heartbeat_check(tmp_path / "var", STATUS, max_age=4.0)  # stricter than the supervisor's 10 s
    blocker = engine.connect()
    tx = blocker.begin()
    if engine.dialect.name == "sqlite":
        blocker.exec_driver_sql("INSERT INTO segments (name, created_at) VALUES ('lock', '2026-01-01')")
    else:
        # Writers wait; plain reads (ours below) still work.
        blocker.execute(text("LOCK TABLE messages IN EXCLUSIVE MODE"))
    try:
        started = time.perf_counter()
        sink.put(user_uttered(sender, "hello", intent="greet"))
        took = time.perf_counter() - started
        # A lock held for long must not make the worker go silent (the supervisor would restart Rasa):
        # it gives up waiting after LOCK_WAIT_SECONDS and reports "retrying" while it backs off.
        status = eventually(
            lambda: (st := read_status(sink.spool_path.parent)).get("state") == "retrying" and st, timeout=10
        )
        time.sleep(2.5)
        assert healthy(SimpleNamespace(pid=os.getpid())) is None, "the worker kept reporting while it waited"
        assert status and "lock" in status["last_error"].lower(), status
        assert messages_of(engine, sender) == []
        assert sink.pending() == 1
    finally:
        tx.rollback()
        blocker.close()

    assert took < 0.05
    assert sink.wait_idle(20)
    assert len(messages_of(engine, sender)) == 1
    sink.stop()


def test_events_survive_a_database_outage_in_order(engine, uow_factory, tmp_path):
    sender = unique_sender()
    down = make_engine(DOWN_URL)
    current = {"factory": lambda: UnitOfWork(down)}
    sink = _sink(lambda: current["factory"](), tmp_path)
    t = time.time()

    sink.put(user_uttered(sender, "first", intent="greet", ts=t))
    sink.put(user_uttered(sender, "second", intent="greet", ts=t + 1))
    time.sleep(1.5)
    assert [e["text"] for e in _spooled(sink)] == ["first", "second"]
    assert read_status(sink.spool_path.parent)["state"] == "retrying"

    current["factory"] = uow_factory

    assert sink.wait_idle(20)
    assert [m["text"] for m in messages_of(engine, sender)] == ["first", "second"]
    assert read_status(sink.spool_path.parent)["queued"] == 0
    sink.stop()


def test_an_event_that_cannot_be_ingested_is_kept_not_dropped(uow_factory, tmp_path):
    sink = _sink(uow_factory, tmp_path)

    sink.put({"event": "user", "text": "no sender"})

    assert sink.wait_idle(10)
    kept = [json.loads(line) for line in sink.dead_path.read_text().splitlines()]
    assert [k["event"] for k in kept] == [{"event": "user", "text": "no sender"}]
    assert kept[0]["error"].startswith("MalformedEvent")
    sink.stop()


_WRITER = """
import sys, time
from pathlib import Path
from crm_store.db import UnitOfWork, make_engine
from crm_store.ingestion.spool import EventSink
from tests.support.events import user_uttered
var, url, schema, sender, count = sys.argv[1:]
crm = make_engine(url, connect_args={"options": f"-csearch_path={schema}"}) if schema else make_engine(url)
sink = EventSink(lambda: UnitOfWork(crm), Path(var), retry_seconds=0.2)
sink.start()
for i in range(int(count)):
    sink.put(user_uttered(sender, f"message {i}", intent="greet", ts=1_800_000_000 + i))
print("accepted", flush=True)
time.sleep(600)
"""


def test_events_accepted_before_a_kill_reach_the_crm_after_restart(engine, uow_factory, tmp_path):
    sender = unique_sender()
    var = tmp_path / "var"
    url = engine.url.render_as_string(hide_password=False)
    schema = ""
    blocker = engine.connect()
    tx = blocker.begin()
    if engine.dialect.name == "sqlite":
        blocker.exec_driver_sql("INSERT INTO segments (name, created_at) VALUES ('lock', '2026-01-01')")
    else:
        schema = blocker.execute(text("SELECT current_schema()")).scalar_one()
        blocker.execute(text("LOCK TABLE conversations IN EXCLUSIVE MODE"))
    try:  # the CRM database is locked while Rasa accepts 30 events, then Rasa is killed
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(var), url, schema, sender, "30"],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout.readline().strip() == "accepted"
            time.sleep(0.5)
        finally:
            os.kill(writer.pid, signal.SIGKILL)
            writer.wait()
    finally:
        tx.rollback()
        blocker.close()

    sink = EventSink(uow_factory, var, retry_seconds=0.2)
    sink.start()

    assert sink.wait_idle(30)
    sink.stop()
    assert [m["text"] for m in messages_of(engine, sender)] == [f"message {i}" for i in range(30)]


def _embedded_crm(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Settings of an embedded deployment in tmp_path, and its migrated CRM."""
    from crm_store.db import engine_for, migrate

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'crm.db'}")
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    reset_settings_cache()
    engine = engine_for(f"sqlite:///{tmp_path / 'crm.db'}")
    migrate(engine)
    return engine


def test_a_spool_has_one_writer_whatever_the_model_reloads(tmp_path, monkeypatch):
    sender = unique_sender()
    monkeypatch.setenv("INGEST_WORKER", "thread")  # the worker inside Rasa, which a reload must not double
    engine = _embedded_crm(tmp_path, monkeypatch)

    try:
        first = asyncio.run(CrmEventBroker.from_endpoint_config(None))
        reloaded = asyncio.run(CrmEventBroker.from_endpoint_config(None))  # what PUT /model does
        first.publish(user_uttered(sender, "before the reload", intent="greet", ts=1_800_000_000))
        reloaded.publish(user_uttered(sender, "after the reload", intent="greet", ts=1_800_000_001))
        with pytest.raises(SpoolBusy):
            EventSink(None, tmp_path / "var", deliver=lambda e: True).start()

        assert first.sink is reloaded.sink
        assert reloaded.sink.wait_idle(20)
        assert [m["text"] for m in messages_of(engine, sender)] == ["before the reload", "after the reload"]
    finally:
        first.sink.stop()
        reset_settings_cache()


def test_with_the_default_separate_worker_a_reload_keeps_one_appender(tmp_path, monkeypatch):
    """INGEST_WORKER=process (the default): a reloaded model appends through the same writer, a sink that
    would deliver beside it (INGEST_WORKER=thread) is refused, and the one deliverer stores both events in
    order. (Other Rasa processes of the same server may append too: tests/integration/test_rasa_workers.py.)"""
    sender = unique_sender()
    monkeypatch.delenv("INGEST_WORKER", raising=False)
    monkeypatch.delenv("EVENT_BROKER_URL", raising=False)
    engine = _embedded_crm(tmp_path, monkeypatch)
    from crm_store.ingestion.sinks import build_sink
    from crm_store.settings import get_settings

    deliverer = build_sink(get_settings(), "reader")  # what `crmbot ingest spool` runs
    try:
        first = asyncio.run(CrmEventBroker.from_endpoint_config(None))
        reloaded = asyncio.run(CrmEventBroker.from_endpoint_config(None))  # what PUT /model does
        first.publish(user_uttered(sender, "before the reload", intent="greet", ts=1_800_000_000))
        reloaded.publish(user_uttered(sender, "after the reload", intent="greet", ts=1_800_000_001))
        with pytest.raises(SpoolBusy):
            EventSink(None, tmp_path / "var", deliver=lambda e: True).start()
        deliverer.start()

        assert get_settings().ingest_worker == "process" and first.sink is reloaded.sink and first.sink.role == "writer"
        assert eventually(
            lambda: [m["text"] for m in messages_of(engine, sender)] == ["before the reload", "after the reload"], 20
        )
    finally:
        first.sink.stop()
        deliverer.stop()
        reset_settings_cache()


def _spooled(sink: EventSink) -> list[dict]:
    if not sink.spool_path.exists():
        return []
    return [json.loads(line) for line in sink.spool_path.read_text().splitlines() if line.strip()]


def test_a_separate_spool_worker_delivers_in_order_what_rasa_only_appends(tmp_path):
    """INGEST_WORKER=process: Rasa's sink appends; `crmbot ingest spool` delivers, empties the spool, reports."""
    sender = unique_sender()
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    from crm_store.db import migrate

    engine = make_engine(url)
    migrate(engine)
    var = tmp_path / "var"
    rasa = EventSink(None, var, role="writer")
    rasa.start()
    env = {
        **{k: v for k, v in os.environ.items() if k != "EVENT_BROKER_URL"},
        "DATABASE_URL": url,
        "VAR_DIR": str(var),
        "INGEST_WORKER": "process",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "ingest", "spool"], cwd=PROJECT_ROOT, env=env)
    try:
        for i in range(40):
            rasa.put(user_uttered(sender, f"message {i}", intent="greet", ts=1_800_000_000 + i))
            if i == 20:
                time.sleep(1.0)  # the worker may empty the spool between two appends
        deadline = time.monotonic() + 60
        while len(messages_of(engine, sender)) < 40 and time.monotonic() < deadline:
            time.sleep(0.2)
        while rasa.spool_path.stat().st_size and time.monotonic() < deadline:
            time.sleep(0.2)

        assert [m["text"] for m in messages_of(engine, sender)] == [f"message {i}" for i in range(40)]
        assert rasa.spool_path.stat().st_size == 0
        status = read_status(var)
        assert (status["pid"], status["state"], status["queued"]) == (worker.pid, "running", 0)
        with pytest.raises(SpoolBusy):  # one deliverer per spool
            EventSink(None, var, deliver=lambda e: True, role="reader").start()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        rasa.stop()
        engine.dispose()
    assert read_status(var)["state"] == "stopped"
