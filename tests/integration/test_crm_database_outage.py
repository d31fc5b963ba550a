"""The CRM's PostgreSQL goes away under the spool worker and under the action server, and comes back.

The server is a private one (tests/support/private_postgres.py) that the test really stops,
with the worker's pooled connections open, not a wrong URL swapped in.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import time
from typing import Callable, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.ingest_cli import ingest_status
from crm_store.db import UnitOfWork, make_engine, migrate
from crm_store.models import Conversation, Message
from crm_store.settings import Settings, reset_settings_cache
from crm_store.ingestion.spool import EventSink, read_status
from tests.support.db import in_ci
from tests.support.events import unique_sender, user_uttered
from tests.support.private_postgres import PrivatePostgres, postgres_bin
from tests.support.queries import messages_of, row_counts
from bot.local_stack import eventually

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        reason = "PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed"
        if in_ci():
            pytest.fail(f"{reason}, and CI must run this test")
        pytest.skip(reason)
    server = PrivatePostgres(bin_dir).init()
    try:
        engine = make_engine(server.url)
        migrate(engine)
        engine.dispose()
        yield server
    finally:
        server.remove()


def texts_in_arrival_order(engine: Engine, sender: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(Message.text).join(Conversation).where(Conversation.sender_id == sender).order_by(Message.id)
            ).scalars()
        )


def status_of(var: str, url: str) -> dict:
    """`crmbot ingest status --json` (its command function, without a new interpreter)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = ingest_status(Settings(database_url=url, var_dir=var), argparse.Namespace(json=True))
    return {"exit": code, **json.loads(out.getvalue())}


def test_events_wait_in_the_spool_while_postgres_is_gone_and_all_arrive_in_order(private_pg, tmp_path):
    sender = unique_sender()
    engine = make_engine(private_pg.url)
    var = tmp_path / "var"
    sink = EventSink(lambda: UnitOfWork(engine), var, retry_seconds=0.2, max_backoff=0.5)
    sink.start()
    texts = [f"message {i}" for i in range(30)]
    try:
        for i in range(5):  # the worker is connected and has stored these
            sink.put(user_uttered(sender, texts[i], intent="greet", ts=1_800_000_000 + i))
        assert sink.wait_idle(20)
        before = row_counts(engine)

        private_pg.stop()  # every pooled connection dies with the server
        slowest = 0.0
        for i in range(5, 30):
            started = time.perf_counter()
            sink.put(user_uttered(sender, texts[i], intent="greet", ts=1_800_000_000 + i))
            slowest = max(slowest, time.perf_counter() - started)
        assert eventually(lambda: read_status(var).get("state") == "retrying", timeout=20)
        while_down = status_of(str(var), private_pg.url)  # what the operator sees meanwhile
        pending_while_down = sink.pending()

        private_pg.start()
        assert sink.wait_idle(30), "the worker did not catch up once PostgreSQL was back"
        after = status_of(str(var), private_pg.url)
    finally:
        sink.stop()

    assert slowest < 0.05, "Rasa's publish never waits for the database"
    assert pending_while_down == 25, "every event accepted during the outage waited in the spool"
    assert while_down["exit"] == 1 and any("retrying" in p for p in while_down["problems"]), while_down
    assert while_down["spool"]["queued"] == 25
    assert [m["text"] for m in messages_of(engine, sender)] == texts, "all 30 arrived, none twice"
    assert texts_in_arrival_order(engine, sender) == texts, "and were stored in the order Rasa accepted them"
    counts = row_counts(engine)
    assert counts["messages"] - before["messages"] == 25
    assert after["exit"] == 0 and after["spool"]["state"] == "running" and after["spool"]["queued"] == 0, after
    engine.dispose()


@pytest.fixture
def run_action(private_pg, monkeypatch) -> Callable[[dict], dict]:
    """Actions as the action server runs them (rasa-sdk's executor), on the private CRM."""
    from rasa_sdk.executor import ActionExecutor

    monkeypatch.setenv("DATABASE_URL", private_pg.url)
    reset_settings_cache()
    executor = ActionExecutor()
    executor.register_package("actions")
    yield lambda call: asyncio.run(executor.run(call)) or {}
    reset_settings_cache()


def check_order(run_action: Callable[[dict], dict], sender: str) -> list[str]:
    """What Rasa sends the action server for "where is my order A-10423?" once the form has the number."""
    tracker = {
        "sender_id": sender,
        "slots": {"order_id": "A-10423"},
        "latest_message": {"text": "where is my order"},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "order_form",
        "latest_input_channel": "rest",
    }
    call = {
        "next_action": "action_check_order",
        "sender_id": sender,
        "tracker": tracker,
        "domain": {"responses": {}},
        "version": "3.6.21",
    }
    return [r.get("response") for r in run_action(call).get("responses", [])]


def test_an_action_with_the_crm_gone_says_so_and_works_again_once_it_is_back(private_pg, run_action):
    sender = unique_sender()
    engine = make_engine(private_pg.url)
    assert check_order(run_action, sender) == ["utter_order_needs_verification"]
    counts = row_counts(engine)

    private_pg.stop()
    try:
        during = check_order(run_action, unique_sender())
    finally:
        private_pg.start()
    after = check_order(run_action, sender)

    assert during == ["utter_crm_unavailable"], "an honest answer, not an exception and an empty reply"
    assert after == ["utter_order_needs_verification"], "the engine's pool recovered by itself"
    assert row_counts(engine) == counts, "nothing half-written for the customer of the outage"
    engine.dispose()
