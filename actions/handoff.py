"""Handoff to a person: queue the conversation in the CRM and pause the assistant.

ConversationPaused makes Rasa stop predicting for this sender; the agent console
(a later issue) claims the Handoff row and sends ConversationResumed when it hands back.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import crm
from actions.forms import reset_form_slots
from crm_store.services import handoffs

log = logging.getLogger(__name__)


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "unknown"
        reason = "asked for a person" if intent == "request_human" else f"offered after: {intent}"
        try:
            handoff = handoffs.request_handoff(crm(), tracker.sender_id, reason, datetime.utcnow())
        except SQLAlchemyError:
            log.exception("handoff failed", extra={"sender_id": tracker.sender_id})
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return []
        log.info("handoff queued", extra={"handoff_id": handoff.id, "conversation_id": handoff.conversation_id})
        dispatcher.utter_message(response="utter_handoff")
        return [*reset_form_slots(), ConversationPaused()]
