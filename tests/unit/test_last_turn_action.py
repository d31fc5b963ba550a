"""last_turn_action: what the assistant did in its last turn, the context follow-ups read ("and the shoes?")."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import last_turn_action


def tracker(*events: tuple[str, str]) -> Tracker:
    rasa_events = [
        {"event": kind, "name": name} if kind == "action" else {"event": kind, "text": name} for kind, name in events
    ]
    return Tracker("s", {}, {"text": "and the shoes?"}, rasa_events, False, None, {}, "action_listen")


def test_the_action_of_the_previous_turn_is_found():
    t = tracker(
        ("user", "where is A-1"),
        ("action", "action_check_order"),
        ("action", "action_listen"),
        ("user", "and the shoes?"),
    )
    assert last_turn_action(t, ("action_check_order",)) == "action_check_order"
    assert last_turn_action(t, ("action_ticket_status", "action_check_order")) == "action_check_order"
    assert last_turn_action(t, ("action_ticket_status",)) is None


def test_an_action_two_turns_back_is_no_context():
    t = tracker(
        ("user", "where is A-1"),
        ("action", "action_check_order"),
        ("user", "thanks"),
        ("action", "utter_welcome"),
        ("user", "and the shoes?"),
    )
    assert last_turn_action(t, ("action_check_order",)) is None
    assert last_turn_action(t, ("utter_welcome",)) == "utter_welcome"


def test_an_action_run_for_the_current_message_is_not_the_last_turn():
    t = tracker(("user", "and the shoes?"), ("action", "action_check_order"))
    assert last_turn_action(t, ("action_check_order",)) is None
