"""Handoff to a person: queue the conversation in the CRM and pause the assistant.

ConversationPaused makes Rasa stop predicting for this sender; the agent console claims the
Handoff row and, when it hands back, sends ConversationResumed and runs `csat_form`.
Triggers: request_human (rules), the second failed fallback (`action_default_fallback`), the
second failed answer in a form (`actions.forms.HandoffFormValidation`), a complaint in strong
words (`actions/tickets.py`) and a payment problem asked about again after the help
(nlu/rules/handoff.yml). Outside business hours the CRM opens a ticket instead and the
assistant carries on; the customer is told so once. The queueing itself is
`actions.handover.hand_over`, which the skills and forms call too.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import interruptions
from actions.common import crm, run_action
from actions.feedback import parse_rating
from actions.forms import _just_asked, answer_when_back
from actions.handover import hand_over
from actions.locales import language_of, phrase
from actions.pending_code import code_expected
from actions.orders import ActionCheckOrder
from actions.problems import escalation_cue

from crm_store.services import handoffs, ticket_rules
from crm_store.values.codes import find_code

log = logging.getLogger(__name__)

_NOT_A_RATING = interruptions.TASKS | interruptions.QUESTIONS | {"greet", "request_human", "escalate"}
TRIGGERS = {
    "request_human": "asked for a person",
    "payment_problem": "payment problem not solved",
    "complaint": "complaint in strong words",
    "nlu_fallback": "the assistant did not understand twice",
}


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "unknown"
        text = tracker.latest_message.get("text") or ""
        when = answer_when_back(dispatcher, tracker)  # "when will someone call me?" after a lead: no handoff
        if when is not None:
            return when
        if intent == "escalate" and next(tracker.get_latest_entity_values("order_id"), None):
            if not escalation_cue(text):
                # "Where the hell is A-10423": annoyed, but a concrete question comes first.
                return ActionCheckOrder().run(dispatcher, tracker, domain)
        if intent == "escalate":
            rule = escalation_cue(text) or ticket_rules.handoff_rule(text)
            if rule is None:
                # Annoyed, or "I'll wait then": not a request for a person, and no rule says so.
                waiting = ticket_rules.only_waiting(text)
                dispatcher.utter_message(
                    text=phrase("patience_thanks" if waiting else "offer_person", language_of(tracker))
                )
                return [SlotSet("requested_info", "anything_else" if waiting else "handoff")]
            return hand_over(dispatcher, tracker, "request_human", rule)
        if intent == "affirm" and tracker.get_slot("requested_info") == "handoff":
            return hand_over(dispatcher, tracker, "request_human", "asked for a person (accepted the offer)")
        trigger = intent if intent in TRIGGERS else "request_human"
        return hand_over(dispatcher, tracker, trigger, TRIGGERS.get(intent, f"offered after: {intent}"))


class ActionDefaultFallback(Action):
    """The end of the two-stage fallback (understood nothing twice): a person takes over."""

    def name(self) -> str:
        return "action_default_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = tracker.latest_message.get("text") or ""
        if code_expected(tracker) and find_code(text) and len(text.split()) <= 10:
            # "ok I got it, it's 459 550 thanks" right after the code was sent: the code, not a third miss.
            return run_action("action_verify_code", dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_fallback_handoff")
        return hand_over(dispatcher, tracker, "fallback", TRIGGERS["nlu_fallback"])


class ValidateCsatForm(FormValidationAction):
    """The 1-5 rating asked after an agent handed back; anything else ends the question.

    A greeting, question or request instead of a rating leaves the form without a word about
    the rating (ActionExecutionRejected, as actions.forms does for another task), so the rules
    answer it as the customer's first message back with the assistant.
    """

    def name(self) -> str:
        return "validate_csat_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent = tracker.latest_message.get("intent") or {}
        # The console starts this form after the hand-back, when the latest message is still the
        # customer's last one to the agent ("hello? where is my order?"): only a reply to the
        # rating question itself can end the question.
        if (
            _just_asked(tracker, "csat_form")
            and parse_rating(tracker.latest_message.get("text") or "") is None
            and intent.get("name") in _NOT_A_RATING
            and float(intent.get("confidence") or 0.0) >= interruptions.SWITCH_CONFIDENCE
        ):
            return [
                ActionExecutionRejected("csat_form"),
                SlotSet("csat", None),
                SlotSet("requested_slot", None),
                ActiveLoop(None),
            ]
        return await super().run(dispatcher, tracker, domain)

    def validate_csat(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        rating = parse_rating(str(value or ""))
        if rating is None:
            dispatcher.utter_message(response="utter_csat_skipped")
            return {"csat": None, "requested_slot": None}
        return {"csat": float(rating)}


class ActionSaveCsat(Action):
    def name(self) -> str:
        return "action_save_csat"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        rating = tracker.get_slot("csat")
        if rating is None:
            return []
        try:
            if handoffs.record_csat(crm(), tracker.sender_id, int(rating), datetime.utcnow()) is None:
                log.warning("a rating with no resolved handoff to store it on", extra={"sender_id": tracker.sender_id})
        except SQLAlchemyError:
            log.exception("csat not stored", extra={"sender_id": tracker.sender_id})
        dispatcher.utter_message(response="utter_csat_thanks" if rating >= 4 else "utter_csat_sorry")
        return [SlotSet("csat", None)]
