"""The one-line summary an agent reads when a conversation is handed to them."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import handoff_summary


def _tracker(intents: list[str], actions: list[str]) -> Tracker:
    events = [{"event": "session_started"}]
    for intent, action in zip(intents, actions):
        events.append({"event": "user", "text": intent, "parse_data": {"intent": {"name": intent}}})
        events.append({"event": "action", "name": action})
    return Tracker("s1", {}, {}, events, False, None, {}, "action_listen")


def test_the_summary_names_why_what_was_asked_and_tried():
    summary = handoff_summary(
        _tracker(["payment_problem", "request_human"], ["action_payment_problem", "action_handoff"]),
        "asked for a person",
    )
    assert summary == ("asked for a person; asked: payment problem, request human; tried: payment problem, handoff")


def test_a_long_summary_ends_on_a_whole_word_within_the_column():
    intents = [f"intent_number_{n}" for n in range(30)]
    actions = [f"action_step_number_{n}" for n in range(30)]
    summary = handoff_summary(_tracker(intents, actions), "asked for a person")
    assert len(summary) <= 200
    assert summary.endswith(" …")
    kept = summary.removesuffix(" …").split(" ")[-1].rstrip(",;")
    assert kept in {"intent", "number", "step", "asked:", "tried:"} or kept.isdigit()
