"""What the form validators share: failure counting, early exits, leaving a form.

Two failed answers in one form hand the customer to a person (the counter lives in the
`failed_attempts` slot and is reset whenever a form ends; HandoffFormValidation acts on it).
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from sqlalchemy.exc import SQLAlchemyError

from actions.common import crm, crm_unavailable, customer_id
from crm_store.errors import OrderNotFound
from crm_store.services import orders
from crm_store.values import normalize_order_id

FORM_SLOTS = {
    "order_status_form": ("order_id",),
    "cancel_order_form": ("order_id", "confirm_cancel"),
    "return_form": ("order_id", "item", "reason", "confirmed"),
    "address_form": ("order_id", "address", "confirmed"),
    "lead_form": ("contact_name", "company", "email", "phone", "volume", "confirmed"),
    "feedback_form": ("rating", "feedback_comment"),
}
# The order and product being discussed stay in focus after a form ("when will *it* arrive?")
# until the customer names another; everything else a form collected is forgotten.
FOCUS_SLOTS = ("order_id", "product")
_HELPER_SLOTS = ("order_summary", "return_kind", "requested_info")
ALL_FORM_SLOTS = tuple(sorted(({s for slots in FORM_SLOTS.values() for s in slots} | set(_HELPER_SLOTS)) - set(FOCUS_SLOTS)))
MAX_FAILURES = 2
# Something typed as an order number that is not one ("AB-12", "A-1042", "#123456").
_ORDER_ATTEMPT = re.compile(r"(?<![\w@.])(?:[A-Za-z]{1,3}\s?-?\s?|#\s?)?\d{2,9}(?![\w@.])")
_ORDER_WORDS = re.compile(r"\b(?:order|number|no\.?|nr\.?|#)\b", re.IGNORECASE)


def reject(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, response: str, **kwargs: Any) -> dict[str, Any]:
    """Say what was wrong and count it; the second failure hands over (HandoffFormValidation)."""
    failures = int(tracker.get_slot("failed_attempts") or 0) + 1
    dispatcher.utter_message(response=response, **kwargs)
    return {slot: None, "failed_attempts": float(failures)}


class HandoffFormValidation:
    """Mixin before FormValidationAction: the second failed answer ends the form and queues a person.

    Not an Action itself, so the action server does not try to register it.
    """

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)  # type: ignore[misc]
        failures = [e.get("value") for e in events if e.get("event") == "slot" and e.get("name") == "failed_attempts"]
        if not failures or (failures[-1] or 0) < MAX_FAILURES:
            return events
        from actions.handoff import hand_over  # actions.handoff imports this module

        form = self.name().removeprefix("validate_")  # type: ignore[attr-defined]
        return [*events, SlotSet("requested_slot", None),
                *hand_over(dispatcher, tracker, "form", f"two failed answers in {form.replace('_', ' ')}")]


def give_up(slot: str) -> dict[str, Any]:
    """End the form early (Rasa stops a form whose validator clears requested_slot)."""
    return {slot: None, "requested_slot": None}


def reset_form_slots() -> list[dict[str, Any]]:
    return [SlotSet(s, None) for s in ALL_FORM_SLOTS] + [SlotSet("failed_attempts", 0.0)]


def looks_like_bad_order_number(text: str) -> bool:
    """A reply that tries to be an order number and is not one (so we can say what the format is)."""
    text = (text or "").strip()
    if normalize_order_id(text) or len(text) > 40:
        return False
    attempt = _ORDER_ATTEMPT.search(text)
    leftover = _ORDER_ATTEMPT.sub("", text)
    return bool(attempt) and len(_ORDER_WORDS.sub("", leftover).strip(" .,:;!?-")) <= 12


# Inside a longer message: something written as an order number that is not one ("where is AB-12",
# "check A-1042"). Ticket, return, deal and refund numbers (T-, R-, D-, F-) are not attempts.
_ORDER_ATTEMPT_IN_TEXT = re.compile(r"(?<![\w@.-])(?![TRDFtrdf]-\d)(?:[A-Za-z]{1,2}-\d{1,9}|[Aa]\d{3,9}|#\s?\d{1,9})(?![\w@.-])")


def bad_order_number_in(text: str) -> str | None:
    """An order-number attempt in a message that does not read as a valid order number."""
    for match in _ORDER_ATTEMPT_IN_TEXT.finditer(text or ""):
        if not normalize_order_id(match.group(0)):
            return match.group(0)
    return None


class OrderIdExtraction:
    """Form validators mix this in: a malformed order number is answered with the expected format."""

    async def extract_order_id(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        if next(tracker.get_latest_entity_values("order_id"), None) or tracker.get_slot("order_id"):
            return {}
        text = tracker.latest_message.get("text") or ""
        if tracker.get_slot("requested_slot") is None:  # the opening message: "where is order AB-12"
            bad = bad_order_number_in(text)
            return {"order_id": f"invalid:{bad}"} if bad else {}
        if tracker.get_slot("requested_slot") != "order_id":
            return {}
        return {"order_id": f"invalid:{text}"} if looks_like_bad_order_number(text) else {}


_YES = re.compile(r"^\W*(y|ya|yes+|yeah|yep|yup|sure|ok(ay)?|correct|right|do it|go ahead|please do|confirm(ed)?|👍|✅|👌)\b", re.IGNORECASE)
_NO = re.compile(r"^\W*(n|no+|nope|nah|don'?t|do not|wrong|incorrect|not (that|right)|cancel that|👎|❌)\b", re.IGNORECASE)


def yes_or_no(intent: str | None, text: str) -> str | None:
    """'yes' / 'no' for a confirmation answer, from the intent or, failing that, the words or emoji."""
    if intent == "affirm" or (intent != "deny" and _YES.match(text or "")) or (text or "").strip() in ("👍", "✅", "👌"):
        return "yes"
    if intent in ("deny", "stop") or _NO.match(text or "") or (text or "").strip() in ("👎", "❌"):
        return "no"
    return None


def order_number(value: Any) -> str | None:
    """The first candidate that reads as an order number (entities may come as a list)."""
    for candidate in value if isinstance(value, list) else [value]:
        number = normalize_order_id(str(candidate or ""))
        if number:
            return number
    return None


def own_order(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> orders.OrderView | dict[str, Any]:
    """The customer's order named by a form answer, or the slot update that re-asks or gives up."""
    number = order_number(value)
    if number is None:
        return reject(dispatcher, tracker, "order_id", "utter_order_id_invalid")
    try:
        uow = crm()
        return orders.lookup(uow, number, customer_id(uow, tracker))
    except OrderNotFound:
        return reject(dispatcher, tracker, "order_id", "utter_order_not_found", order_id=number)
    except SQLAlchemyError:
        crm_unavailable(dispatcher, tracker, "order look-up")
        return give_up("order_id")


def slot_before_this_turn(tracker: Tracker, slot: str) -> Any:
    """The value `slot` had before the latest customer message (its extraction may have overwritten it)."""
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    return next((e.get("value") for e in reversed(events[:last_user]) if e.get("event") == "slot" and e.get("name") == slot), None)


def last_user_text(tracker: Tracker, intents: tuple[str, ...]) -> str:
    """Text of the latest user message with one of `intents` (a button click has none)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and (event.get("parse_data") or {}).get("intent", {}).get("name") in intents:
            return event.get("text") or ""
    return tracker.latest_message.get("text") or ""


class ActionLeaveForm(Action):
    """After action_deactivate_loop on "stop": forget the half-filled form."""

    def name(self) -> str:
        return "action_leave_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(response="utter_form_stopped")
        return reset_form_slots()
