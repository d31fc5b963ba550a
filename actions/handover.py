"""Handing the conversation to a person: queue it (or open a ticket out of hours) and pause the assistant.

The skills, the forms (two failed answers) and `action_handoff` all hand over through `hand_over`;
the actions that decide when live in actions/handoff.py.
"""

from __future__ import annotations

import logging
from datetime import datetime

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, handoff_summary
from actions.form_slots import reset_form_slots
from actions.locales import language_of, opening_hours, opening_time
from crm_store.models import utc_from_timestamp
from crm_store.services import handoff_queue, handoffs
from crm_store.settings import get_settings

log = logging.getLogger(__name__)


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, trigger: str, reason: str) -> list[dict]:
    """Queue (or ticket) the conversation, tell the customer what happens next; the events to return."""
    settings, now = get_settings(), datetime.utcnow()
    # The agent reads why, which order, what was asked and what the assistant already tried.
    reason = tracker.get_slot("handoff_summary") or handoff_summary(tracker, reason)
    with crm_or_apology(dispatcher, tracker, "handoff", "utter_handoff_unavailable") as crm_down:
        handoff = handoffs.request_handoff(
            crm(),
            tracker.sender_id,
            reason,
            now,
            trigger=trigger,
            calendar=settings.calendar,
            channel=tracker.get_latest_input_channel(),
            session_started_at=session_start(tracker),
        )
        wait = handoff_queue.expected_wait(crm(), handoff.id, now) if handoff.status == "queued" else None
    if crm_down:
        return []
    log.info("handoff requested", extra={"handoff_id": handoff.id, "status": handoff.status, "trigger": trigger})
    if handoff.status == "ticket":
        opening, language = settings.calendar.next_opening(now), language_of(tracker)
        dispatcher.utter_message(
            response="utter_handoff_ticket_exists" if handoff.repeated else "utter_handoff_out_of_hours",
            ticket_id=handoff.ticket_number,
            hours=opening_hours(settings.calendar, language),
            opening=opening_time(opening, language),
        )
        return []
    if handoff.status == "claimed":
        dispatcher.utter_message(response="utter_handoff_claimed", agent=handoff.agent)
    else:
        assert wait is not None  # an open handoff that is not claimed is queued, and its wait was estimated
        dispatcher.utter_message(
            response="utter_handoff",
            wait=handoff_queue.describe_wait(wait, settings.handoff_no_agent_minutes, language_of(tracker)),
        )
    return [*reset_form_slots(), SlotSet("handoff_summary", None), ConversationPaused()]


def session_start(tracker: Tracker) -> datetime | None:
    """When this Rasa session started: the CRM may not have heard of it yet (see conversation_for_sender)."""
    ts = next((e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "session_started"), None)
    return utc_from_timestamp(float(ts)) if isinstance(ts, (int, float)) else None
