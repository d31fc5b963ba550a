"""Which order the customer means, for every skill: the glue between the tracker and
crm_store/services/order_resolver.py.

The list "just shown" is read back from the assistant's last message that named two or more
orders (in its text or its buttons), so "the second one" needs no slot of its own.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import interruptions
from actions.common import crm, customer_id, focused_order, last_turn_action, run_action
from crm_store.errors import CrmError
from actions.handover import hand_over
from actions.locales import day, language_of, money, phrase, status_word
from crm_store.services import orders, ticket_rules
from crm_store.services.order_resolver import Resolution, resolve_order
from crm_store.values.order_ids import find_order_ids
from crm_store.values.references import is_correction, order_numbers

log = logging.getLogger(__name__)

FORM_PURPOSES = {
    "order_status_form": "status",
    "cancel_order_form": "cancel",
    "return_form": "return",
    "address_form": "address",
}
# Said when an order is taken without its number having been written, so the customer can object
# (actions/locales.py words it in the conversation's language).
_TAKEN = {"only": "taken_only", "implied": "taken_implied", "same": "taken_same"}


def shown_orders(tracker: Tracker) -> tuple[str, ...]:
    """Order numbers, in order, of the assistant's last message that listed two or more."""
    for event in reversed(list(tracker.events)):
        if event.get("event") != "bot":
            continue
        data = event.get("data") or {}
        parts = [event.get("text") or ""] + [
            f"{b.get('title', '')} {b.get('payload', '')}" for b in data.get("buttons") or []
        ]
        numbers = tuple(dict.fromkeys(v for part in parts for _, _, v in find_order_ids(part)))
        if len(numbers) >= 2:
            return numbers
    return ()


def correction_number(tracker: Tracker, form: str | None = None) -> str | None:
    """The order number in "no, I meant 10424" (a bare number counts here, as it does not elsewhere).

    Inside `form`, a message that is clearly another task ("actually I'd rather cancel my other order
    A-57616" in a return) is that task, not a corrected number for this form.
    """
    text = tracker.latest_message.get("text") or ""
    if not is_correction(text):
        return None
    intent = tracker.latest_message.get("intent") or {}
    if (
        form
        and intent.get("name") in interruptions.TASKS
        and intent.get("name") not in interruptions.OWN_INTENTS.get(form, ())
        and float(intent.get("confidence") or 0.0) >= interruptions.SWITCH_CONFIDENCE
    ):
        return None
    numbers = order_numbers(text)
    return numbers[0] if numbers else None


def resolve(tracker: Tracker, purpose: str, text: str | None = None) -> Resolution | None:
    """The order the latest message (or `text`) means, over this chat's customer's orders; None
    when the CRM cannot be read (the caller then asks as it always did)."""
    said = tracker.latest_message.get("text") or "" if text is None else text
    if said.startswith("/"):
        return None  # a button payload carries its own entities
    try:
        uow = crm()
        return resolve_order(
            uow,
            customer_id(uow, tracker),
            said,
            datetime.utcnow().date(),
            purpose,
            shown_orders(tracker),
            tracker.get_slot("order_id"),
        )
    except SQLAlchemyError:
        log.warning("order resolution skipped: CRM unavailable", extra={"sender_id": tracker.sender_id})
        return None


def _after_status_answer(tracker: Tracker) -> bool:
    """Whether the assistant's last turn answered an order's status."""
    return last_turn_action(tracker, ("action_check_order",)) is not None


def status_of_another_order(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list | None:
    """ "And the shoes?" right after an order's status: the status of the customer's order with that item;
    None when the message names no other order of theirs."""
    focus = tracker.get_slot("order_id")
    if not focus or not _after_status_answer(tracker):
        return None
    found = resolve(tracker, "status")
    if found is None or not found.chosen or found.how != "item" or found.chosen == focus:
        return None
    say_taken(dispatcher, tracker, found)
    tracker.slots["order_id"] = found.chosen
    return [SlotSet("order_id", found.chosen), *run_action("action_check_order", dispatcher, tracker, domain)]


def summary(view: orders.OrderView, language: str = "en") -> str:
    what = ", ".join(view.items) if view.items else money(view.total, language)
    return phrase("order_choice", language, what=what, date=day(view.placed_at, language))


def say_taken(dispatcher: CollectingDispatcher, tracker: Tracker, found: Resolution) -> None:
    """One line naming the order taken, unless the customer wrote its number."""
    if not found.chosen or found.how == "number":
        return
    try:
        uow = crm()
        view = orders.lookup(uow, found.chosen, customer_id(uow, tracker))
    except (SQLAlchemyError, CrmError):  # a missing summary must not stop the skill
        log.warning("order summary unavailable", extra={"sender_id": tracker.sender_id})
        return
    language = language_of(tracker)
    dispatcher.utter_message(
        text=phrase(_TAKEN.get(found.how, "taken"), language, number=found.chosen, what=summary(view, language))
    )


def order_buttons(tracker: Tracker, numbers: tuple[str, ...]) -> list[dict[str, str]]:
    """One button per order, its number and what is in it; clicking it names the order."""
    try:
        uow = crm()
        owner = customer_id(uow, tracker)
        views = {v.number: v for v in orders.orders_of(crm(), owner, 20)}
    except SQLAlchemyError:
        views = {}
    language = language_of(tracker)
    return [
        {
            "title": f"{n} ({summary(views[n], language)})" if n in views else n,
            "payload": f'/inform{{"order_id":"{n}"}}',
        }
        for n in numbers
    ]


def ask_which(dispatcher: CollectingDispatcher, tracker: Tracker, purpose: str) -> bool:
    """Offer the customer's fitting orders as buttons; False when there is nothing to offer."""
    found = resolve(tracker, purpose, text="")
    if found is None:
        return False
    numbers = found.candidates or ((found.chosen,) if found.chosen else ())
    if not numbers:
        return False
    dispatcher.utter_message(
        text=phrase("which_order", language_of(tracker)),
        buttons=order_buttons(tracker, numbers),
    )
    return True


# "show me my orders", "list my orders", "what about my orders?": all of them, not "which one?".
# Also "alle meine Bestellungen", "toutes mes commandes", "todos mis pedidos".
ASKS_FOR_LIST = re.compile(
    r"\b(?:list|show|see|all)\b.{0,20}\borders\b|\b(?:my|the|both|two|three) orders\b|\borders (?:with you|i have)\b"
    r"|\b(?:meine|alle|beide[n]?) bestellungen\b|\b(?:mes|toutes les|les deux) commandes\b"
    r"|\b(?:mis|todos los|los dos) pedidos\b",
    re.I,
)
_STATUS_WORDS = {
    "pending": "not paid yet",
    "paid": "paid, not shipped yet",
    "packed": "packed, leaving our warehouse shortly",
    "shipped": "shipped, on its way",
    "delivered": "delivered",
    "cancelled": "cancelled",
    "returned": "returned",
}


def list_orders(dispatcher: CollectingDispatcher, tracker: Tracker, limit: int = 10) -> bool:
    """The customer's orders, newest first, each with what is in it and where it stands; False when
    there are fewer than two (the usual question or answer then)."""
    try:
        uow = crm()
        views = orders.orders_of(crm(), customer_id(uow, tracker), limit)
    except SQLAlchemyError:
        return False
    if len(views) < 2:
        return False
    language = language_of(tracker)
    lines = [
        phrase(
            "orders_list_line",
            language,
            number=v.number,
            summary=summary(v, language),
            status=_STATUS_WORDS.get(v.status, v.status) if language == "en" else status_word(v.status, language),
        )
        for v in views
    ]
    dispatcher.utter_message(
        text=phrase("orders_list", language, lines="\n".join(lines)),
        buttons=order_buttons(tracker, tuple(v.number for v in views)),
    )
    return True


def _asked_before_this_message(tracker: Tracker) -> Any:
    """What the form asked before the latest customer message (None: the message opened the form)."""
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    return next(
        (
            e.get("value")
            for e in reversed(events[:last_user])
            if e.get("event") == "slot" and e.get("name") == "requested_slot"
        ),
        None,
    )


class ActionAskOrderId(Action):
    """The forms' "which order?": the customer's own orders that fit the request as buttons, else the plain question."""

    def name(self) -> str:
        return "action_ask_order_id"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        purpose = FORM_PURPOSES.get((tracker.active_loop or {}).get("name") or "", "status")
        rule = ticket_rules.anger_reason(tracker.latest_message.get("text") or "")
        if rule and _asked_before_this_message(tracker) != "order_id":
            # "Where the hell is my stuff, this is f… ridiculous" with no order to take: not "which
            # order?" but the stated rule for swearing and strong anger, a person.
            return [*hand_over(dispatcher, tracker, "escalate", rule), ActiveLoop(None)]
        if purpose == "status" and ASKS_FOR_LIST.search(tracker.latest_message.get("text") or ""):
            if list_orders(dispatcher, tracker):
                return []
        if not ask_which(dispatcher, tracker, purpose):
            dispatcher.utter_message(response="utter_ask_order_id")
        return []


def order_in_focus(dispatcher: CollectingDispatcher, tracker: Tracker, purpose: str) -> str | None:
    """The order named or in focus; else the one order of the customer's the request fits (said aloud)."""
    number = focused_order(tracker)
    if number:
        return number
    found = resolve(tracker, purpose)
    if found is None or not found.chosen:
        return None
    say_taken(dispatcher, tracker, found)
    return found.chosen


def ask_for_order(dispatcher: CollectingDispatcher, tracker: Tracker, purpose: str, response: str) -> None:
    """ "Which order?": the fitting orders as buttons when the customer has any, else `response`."""
    if not ask_which(dispatcher, tracker, purpose):
        dispatcher.utter_message(response=response)
