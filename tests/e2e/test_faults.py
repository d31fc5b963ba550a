"""Faults on the running system (`crmbot run`): each turn is answered honestly and the counts stay whole."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest
from sqlalchemy import func, select

from crm_store.models import Conversation
from bot.rasa.guards import ACTION_FAILED, TRY_AGAIN
from crm_store.settings import PROJECT_ROOT
from tests.e2e.test_order_status import customer_with_order, texts
from tests.support.events import unique_sender
from tests.support.queries import messages_of
from bot.local_stack import Stack, eventually

pytestmark = pytest.mark.e2e


def tracker_texts(stack: Stack, sender: str) -> list[str]:
    with sqlite3.connect(stack.env["VAR_DIR"] + "/tracker.db") as conn:
        rows = conn.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,))
        return [json.loads(data)["text"] for (data,) in rows]


def conversations_of(stack: Stack, sender: str) -> int:
    with stack.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(Conversation).where(Conversation.sender_id == sender)
        ).scalar_one()


def test_a_turn_the_tracker_store_cannot_load_or_save_gets_an_honest_reply_and_nothing_half_done(stack: Stack):
    sender = unique_sender("outage")
    before = stack.say(sender, "hello")
    assert texts(before)
    locker = sqlite3.connect(stack.env["VAR_DIR"] + "/tracker.db", timeout=30, isolation_level=None)

    locker.execute("BEGIN EXCLUSIVE")  # the tracker store is unavailable for this turn
    try:
        during = stack.say(sender, "I want to know where my order is")
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    after = stack.say(sender, "hello")

    assert during == [{"recipient_id": sender, "text": TRY_AGAIN}]
    assert texts(after) and TRY_AGAIN not in texts(after)
    assert tracker_texts(stack, sender) == ["hello", "hello"]
    rows = crm_rows_once_settled(stack, sender, inbound=2, outbound=len(before) + len(after))
    assert [r["text"] for r in rows if r["direction"] == "in"] == ["hello", "hello"]
    assert [r["text"] for r in rows if r["direction"] == "out"] == [r["text"] for r in before + after], (
        "every reply the customer got is in the CRM once; the apology of the lost turn is not a turn"
    )
    assert conversations_of(stack, sender) == 1, "the outage did not split the CRM conversation"


def action_server_pid(stack: Stack) -> int:
    port = stack.env["ACTION_PORT"]
    out = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return int(out.split("pid=")[1].split(",")[0])


def test_a_failed_action_call_is_retried_then_apologised_for(stack: Stack):
    sender, number = customer_with_order(stack)
    health = f"http://127.0.0.1:{stack.env['ACTION_PORT']}/health"

    os.kill(action_server_pid(stack), signal.SIGKILL)  # the supervisor restarts it, but not in 0.3 s
    replies = stack.say(sender, f"where is my order {number}?")

    assert ACTION_FAILED in texts(replies), replies
    assert eventually(lambda: _answers(health), timeout=180), stack.log()  # back for the next tests
    assert "action server crashed (exit code -9); restarting it" in stack.log_path.read_text(errors="replace"), (
        stack.log()
    )
    again = stack.say(sender, f"where is my order {number}?")
    assert f"Order {number} (" in texts(again) and ") is shipped" in texts(again)
    rows = crm_rows_once_settled(stack, sender, inbound=2, outbound=len(replies) + len(again))
    assert [r["text"] for r in rows if r["direction"] == "out"] == [r["text"] for r in replies + again], (
        "the apology and the later answer are in the CRM, each once"
    )


def crm_rows_once_settled(stack: Stack, sender: str, inbound: int, outbound: int) -> list[dict]:
    """The sender's CRM messages once ingestion has caught up, checked to be exactly these counts."""

    def counts() -> tuple[int, int]:
        rows = messages_of(stack.engine, sender)
        return sum(r["direction"] == "in" for r in rows), sum(r["direction"] == "out" for r in rows)

    eventually(lambda: all(got >= want for got, want in zip(counts(), (inbound, outbound))), timeout=30)
    time.sleep(0.5)  # anything extra (a duplicate) would have arrived with the rest
    assert counts() == (inbound, outbound), stack.log()
    return messages_of(stack.engine, sender)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def test_ingest_status_reports_the_running_worker_as_healthy(stack: Stack):
    sender = unique_sender("status")
    stack.say(sender, "hello")
    eventually(lambda: messages_of(stack.engine, sender))

    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ingest", "status", "--json"],
        cwd=PROJECT_ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    report = json.loads(result.stdout)
    assert result.returncode == 0, report
    assert report["healthy"] and report["spool"]["state"] == "running"
    assert report["spool"]["queued"] == 0 and report["spool"]["last_stored_at"]
