"""Feedback: a 1-5 rating and a comment, stored in the CRM."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, customer_id
from actions.forms import HandoffFormValidation, reject, reset_form_slots
from actions.values import parse_rating
from crm_store.services import feedback

_NOTHING = {"no", "nope", "nothing", "no comment", "none", "n/a", "-", "no thanks", "that's all", "nothing else"}


class ValidateFeedbackForm(HandoffFormValidation, FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_form"

    def validate_rating(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        rating = parse_rating(str(value[0] if isinstance(value, list) else value))
        if rating is None:
            return reject(dispatcher, tracker, "rating", "utter_rating_invalid")
        return {"rating": float(rating)}

    def validate_feedback_comment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
        comment = " ".join(str(value or "").split())
        return {"feedback_comment": "" if comment.lower().strip(".! ") in _NOTHING else comment[:4000]}


class ActionSaveFeedback(Action):
    def name(self) -> str:
        return "action_save_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        rating, comment = tracker.get_slot("rating"), tracker.get_slot("feedback_comment")
        if rating is not None:
            with crm_or_apology(dispatcher, tracker, "feedback"):
                uow = crm()
                feedback.save_feedback(
                    uow, customer_id(uow, tracker), int(rating), comment, datetime.utcnow(), tracker.sender_id
                )
                dispatcher.utter_message(response="utter_feedback_thanks" if rating >= 4 else "utter_feedback_sorry")
        return reset_form_slots()
