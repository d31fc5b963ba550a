"""Cancel an order: the form asks for the order and a yes/no, the action cancels."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.account import fresh_code_needed
from actions.common import crm, crm_or_apology, customer_id, focused_order
from actions.forms import HandoffFormValidation, OrderIdExtraction, own_order, reset_form_slots
from actions.locales import language_of, order_summary, phrase
from crm_store import stages
from crm_store.errors import CrmError
from crm_store.services import orders

# "cancel it", "cancel that", "call it off": with nothing running, what is cancelled is the order in focus.
_CANCEL = re.compile(r"\b(cancel\w*|call (?:it|that|this) off|scrap|void)\b", re.I)

_RETURN_HINT = ' Once it has arrived, you can return it instead: just say "I want to return an item".'


def summary(order: orders.OrderView, language: str = "en") -> str:
    """'1 x yoga mat, 29.90 EUR': what a cancellation takes back, read to the customer first."""
    return order_summary(tuple(order.items), order.total, language)


class ValidateCancelOrderForm(HandoffFormValidation, OrderIdExtraction, FormValidationAction):
    def name(self) -> str:
        return "validate_cancel_order_form"

    def validate_order_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        order = own_order(value, dispatcher, tracker)
        if isinstance(order, dict):
            return order
        if order.status not in stages.CANCELLABLE_ORDER_STATUSES:
            hint = _RETURN_HINT if order.status in ("shipped", "delivered") else ""
            dispatcher.utter_message(
                response="utter_cannot_cancel", order_id=order.number, status=order.status, hint=hint
            )
            # The form ends, and the order stays in focus ("then how do I return it?").
            return {"order_id": order.number, "requested_slot": None}
        return {"order_id": order.number, "order_summary": summary(order, language_of(tracker))}


class ActionCancelOrder(Action):
    def name(self) -> str:
        return "action_cancel_order"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        number, answer = tracker.get_slot("order_id"), tracker.get_slot("confirm_cancel")
        if answer == "no":
            dispatcher.utter_message(response="utter_cancel_kept", order_id=number)
        elif answer == "yes" and number:
            try:
                with crm_or_apology(dispatcher, tracker, "order cancel"):
                    uow = crm()
                    owner = customer_id(uow, tracker)
                    if fresh_code_needed(dispatcher, tracker, owner):  # a chat linked by code confirms again
                        return reset_form_slots()
                    order = orders.cancel(uow, number, owner, now=datetime.utcnow())
                    dispatcher.utter_message(
                        response="utter_order_cancelled",
                        order_id=order.number,
                        order_summary=summary(order, language_of(tracker)),
                    )
            except CrmError as exc:  # e.g. it shipped while we were talking
                dispatcher.utter_message(text=phrase("crm_refused", language_of(tracker), reason=str(exc)))
        return reset_form_slots()


class ActionStrayStop(Action):
    """ "stop" / "cancel it" when no form is running.

    Read as stop by the classifier ("cancel that" leaves a form), but with no form to leave and an
    order in focus ("where is A-10424?" ... "cancel it") it asks to cancel that order: the
    cancellation starts with its read-back, which asks before anything is written.
    """

    def name(self) -> str:
        return "action_stray_stop"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = tracker.latest_message.get("text") or ""
        if not tracker.active_loop_name and focused_order(tracker) and _CANCEL.search(text):
            return [FollowupAction("cancel_order_form")]
        dispatcher.utter_message(response="utter_anything_else")
        return []
