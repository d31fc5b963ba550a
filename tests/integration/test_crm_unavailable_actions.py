"""Actions whose CRM database cannot be reached: the customer is told, the failure is logged with the
sender id, and each action returns the events it chose for that case.

The database is a real PostgreSQL URL on a port nobody listens on (connection refused), not a mock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from actions.common import crm, crm_or_apology
from crm_store.errors import OrderNotFound
from crm_store.settings import reset_settings_cache
from tests.support.events import unique_sender
from tests.support.webchat_server import free_port

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def crm_gone(monkeypatch) -> Iterator[str]:
    """DATABASE_URL on a closed local port: every connection attempt is refused at once."""
    monkeypatch.setenv("DATABASE_URL", f"postgresql://crm@127.0.0.1:{free_port()}/crm")
    reset_settings_cache()
    yield
    reset_settings_cache()


def tracker_for(sender: str, slots: dict | None = None, text_: str = "hello") -> dict:
    return {
        "sender_id": sender,
        "slots": slots or {},
        "latest_message": {"text": text_, "intent": {"name": "greet"}, "entities": []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
        "latest_input_channel": "rest",
    }


@pytest.fixture
def run_action(crm_gone) -> Callable[..., dict]:
    """An action as the action server runs it (rasa-sdk's executor)."""
    executor = ActionExecutor()
    executor.register_package("actions")

    def run(name: str, sender: str, **tracker: object) -> dict:
        call = {
            "next_action": name,
            "sender_id": sender,
            "tracker": tracker_for(sender, **tracker),  # type: ignore[arg-type]
            "domain": {"responses": {}},
            "version": "3.6.21",
        }
        return asyncio.run(executor.run(call)) or {}

    return run


def _failures(caplog: pytest.LogCaptureFixture, sender: str) -> list[tuple[str, type | None]]:
    return [
        (r.getMessage(), r.exc_info[0] if r.exc_info else None)
        for r in caplog.records
        if getattr(r, "sender_id", None) == sender and r.levelno >= logging.ERROR
    ]


def test_the_block_apologises_logs_and_skips_the_rest_of_its_crm_work(crm_gone, caplog):
    sender = unique_sender()
    dispatcher = CollectingDispatcher()
    tracker = Tracker.from_dict(tracker_for(sender))
    reached = []
    with caplog.at_level(logging.INFO), crm_or_apology(dispatcher, tracker, "order look-up") as crm_down:
        with crm() as uow:
            uow.session.execute(text("SELECT 1"))
        reached.append("after the query")

    assert crm_down, "the block knows the CRM failed"
    assert reached == [], "nothing after the failing statement ran"
    assert [m.get("response") for m in dispatcher.messages] == ["utter_crm_unavailable"]
    assert _failures(caplog, sender) == [("order look-up failed", OperationalError)]


def test_a_block_that_worked_says_nothing_and_the_crms_own_refusals_pass_through(crm_gone):
    dispatcher = CollectingDispatcher()
    tracker = Tracker.from_dict(tracker_for(unique_sender()))
    with crm_or_apology(dispatcher, tracker, "nothing") as crm_down:
        pass
    assert not crm_down and dispatcher.messages == []

    with pytest.raises(OrderNotFound), crm_or_apology(dispatcher, tracker, "order look-up"):
        raise OrderNotFound("A-1")
    assert dispatcher.messages == [], "a refusal is the action's to answer, not an outage"


@pytest.mark.parametrize(
    ("action", "tracker", "replies", "events"),
    [
        (
            "action_resend_reset",
            {"slots": {"requested_info": "ticket:reset_not_received"}, "text_": "yes please"},
            ["utter_crm_unavailable"],
            [],
        ),
        ("action_ticket_status", {"text_": "any news on my ticket"}, ["utter_crm_unavailable"], []),
        ("action_unlink_account", {}, ["utter_crm_unavailable"], [("unverified_order", None)]),
        (
            "action_check_order",
            {"slots": {"order_id": "A-10423"}, "text_": "where is my order"},
            ["utter_crm_unavailable"],
            [],
        ),
        ("action_default_fallback", {}, ["utter_fallback_handoff", "utter_handoff_unavailable"], []),
    ],
)
def test_an_action_with_the_crm_gone_tells_the_customer_and_returns_its_events(
    run_action, caplog, action, tracker, replies, events
):
    sender = unique_sender()
    with caplog.at_level(logging.INFO):
        result = run_action(action, sender, **tracker)
    assert [r.get("response") for r in result.get("responses", [])] == replies
    assert [(e["name"], e["value"]) for e in result.get("events", [])] == events
    failures = _failures(caplog, sender)
    assert len(failures) == 1 and failures[0][1] is OperationalError, failures


def test_a_form_ending_with_the_crm_gone_still_clears_the_form(run_action, caplog):
    sender = unique_sender()
    with caplog.at_level(logging.INFO):
        result = run_action("action_save_feedback", sender, slots={"rating": 5, "feedback_comment": "great"})
    assert [r.get("response") for r in result.get("responses", [])] == ["utter_crm_unavailable"]
    cleared = {e["name"]: e["value"] for e in result.get("events", [])}
    assert cleared["rating"] is None and cleared["feedback_comment"] is None and cleared["failed_attempts"] == 0
    assert _failures(caplog, sender) == [("feedback failed", OperationalError)]
