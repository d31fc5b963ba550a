"""A locked CRM slows only the customers whose actions need it: the real action server, a real
SQLite write lock held by another connection, a real PostgreSQL table lock."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from sqlalchemy import text

from crm_store.db import make_engine, migrate
from crm_store.settings import PROJECT_ROOT
from tests.support.db import POSTGRES_URL, postgres_available, postgres_schema
from tests.support.webchat_server import free_port

TOKEN = "action-secret-for-tests"
DB_SECONDS, REPLY_SECONDS = 3, 6


@contextmanager
def action_server(database_url: str, folder: Path, **extra: str) -> Iterator[str]:
    port = free_port()
    log = folder / "actions.log"
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "ACTION_PORT": str(port),
        "ACTION_SERVER_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "ACTION_DB_SECONDS": str(DB_SECONDS),
        "ACTION_REPLY_SECONDS": str(REPLY_SECONDS),
        "PYTHONWARNINGS": "ignore",
        **extra,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.action_server"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"action server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def call(action: str, slots: dict | None = None) -> dict:
    sender = f"t-{uuid.uuid4().hex[:10]}"
    tracker = {
        "sender_id": sender,
        "slots": slots or {},
        "latest_message": {"text": "my parcel never came", "intent": {}},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": tracker,
        "domain": {"responses": {}},
        "version": "3.6.21",
    }


async def locked_then_free(url: str) -> tuple[bool, float, dict, float]:
    """Start an action that needs the locked CRM, then one that does not; (was the first still
    waiting when the second answered, the second's seconds, the first's reply, the first's seconds)."""
    headers = {"X-Action-Token": TOKEN}
    async with httpx.AsyncClient(base_url=url, timeout=60, headers=headers) as client:
        started = time.monotonic()
        needs_crm = asyncio.create_task(
            client.post("/webhook", json=call("action_parcel_missing", {"order_id": "A-12345"}))
        )
        await asyncio.sleep(0.5)  # let it reach the lock first
        t0 = time.monotonic()
        free = await client.post("/webhook", json=call("action_leave_form"))
        free_seconds = time.monotonic() - t0
        assert free.status_code == 200 and free.json()["responses"][0]["response"] == "utter_form_stopped"
        waiting = not needs_crm.done()
        first = await needs_crm
        return waiting, free_seconds, first.json(), time.monotonic() - started


def assert_only_the_crm_customer_waited(result: tuple[bool, float, dict, float]) -> None:
    waiting, free_seconds, first, first_seconds = result
    assert waiting, "the action that needs no CRM answered only after the locked one"
    assert free_seconds < DB_SECONDS
    # The locked one gives up after its statement bound and says so, within its reply budget.
    replies = [r.get("response") or r.get("text") for r in first["responses"]]
    assert replies == ["utter_crm_unavailable"]
    assert first_seconds < REPLY_SECONDS + 3


def test_a_sqlite_write_lock_held_elsewhere_slows_only_the_action_that_needs_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    migrate(make_engine(url))
    holder = sqlite3.connect(tmp_path / "crm.db", isolation_level=None)
    with action_server(url, tmp_path) as server:
        holder.execute("BEGIN IMMEDIATE")  # another process's write transaction
        try:
            result = asyncio.run(locked_then_free(server))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert_only_the_crm_customer_waited(result)


def test_a_postgres_table_lock_slows_only_the_action_that_needs_it(tmp_path):
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable")
    with postgres_schema() as (engine, schema):
        migrate(engine)
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        with action_server(url, tmp_path) as server, engine.connect() as holder:
            holder.execute(text("BEGIN"))
            holder.execute(text("LOCK TABLE channel_identities, customers IN ACCESS EXCLUSIVE MODE"))
            try:
                result = asyncio.run(locked_then_free(server))
            finally:
                holder.rollback()
    assert_only_the_crm_customer_waited(result)


def test_an_action_past_its_reply_budget_answers_that_it_is_taking_long(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    migrate(make_engine(url))
    holder = sqlite3.connect(tmp_path / "crm.db", isolation_level=None)
    # The database would let it wait 30 s; the customer hears back after 2.
    with action_server(url, tmp_path, ACTION_DB_SECONDS="30", ACTION_REPLY_SECONDS="2") as server:
        holder.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            reply = httpx.post(
                f"{server}/webhook",
                json=call("action_parcel_missing", {"order_id": "A-12345"}),
                headers={"X-Action-Token": TOKEN},
                timeout=60,
            )
            seconds = time.monotonic() - started
        finally:
            holder.execute("ROLLBACK")
            holder.close()

    assert reply.status_code == 200 and reply.json()["events"] == []
    assert "taking longer than it should" in reply.json()["responses"][0]["text"]
    assert seconds < 10
