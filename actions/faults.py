"""A faulty, damaged or incomplete item described calmly, with nothing asked for ("my speaker doesn't
charge", "there was no cable in the box"): sorry, and what we can do for the delivered order it came in
(a replacement, a return, or past the return window the warranty route). Nothing is written until the
customer chooses (docs/shop.md: a ticket only when asked for or agreed to)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, customer_id, session_events
from actions.forms import last_user_text
from actions.locales import language_of, phrase
from actions.orders import item_named, offer_remedy
from actions.problems import item_problem
from actions.resolving import order_in_focus, resolve, say_taken
from actions.tickets import WARRANTY, offer_ticket
from crm_store.errors import InvalidOrderNumber, OrderNotFound
from crm_store.services import orders

# requested_info after "which order was it in?": the number answers it here (actions/answers.py).
WHICH_ORDER = "order:remedy"
_SAID_WITH = ("complaint", "out_of_scope", "nlu_fallback", "return_item", "exchange_item")


def _replaced_in_this_session(tracker: Tracker, number: str) -> bool:
    """Whether this session already opened a replacement or exchange for an item of order `number`."""
    return any(
        e.get("event") == "bot"
        and re.search(
            rf"\bI've opened (?:replacement|exchange) R-\d{{5}} for .* from order {re.escape(number)}\b",
            e.get("text") or "",
        )
        for e in session_events(tracker)
    )


def _order_with_product(dispatcher: CollectingDispatcher, tracker: Tracker) -> str | None:
    """The one delivered order with the product named ("bought the grinder last year": the words around
    the product, a date that is no order date among them, do not rule it out)."""
    product = next(tracker.get_latest_entity_values("product"), None)
    found = resolve(tracker, "return", text=str(product)) if product else None
    if found is None or not found.chosen:
        return None
    say_taken(dispatcher, tracker, found)
    return found.chosen


class ActionOfferRemedy(Action):
    def name(self) -> str:
        return "action_offer_remedy"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = tracker.latest_message.get("text") or ""
        if not item_problem(text):  # the answer to "which order?": the problem was said before it
            text = last_user_text(tracker, _SAID_WITH) or text
        number = order_in_focus(dispatcher, tracker, "return") or _order_with_product(dispatcher, tracker)
        order = None
        if number:
            try:
                with crm_or_apology(dispatcher, tracker, "order look-up") as crm_down:
                    uow = crm()
                    order = orders.lookup(uow, number, customer_id(uow, tracker))
            except (OrderNotFound, InvalidOrderNumber):
                dispatcher.utter_message(response="utter_order_needs_verification", order_id=number)
                return [SlotSet("order_id", None), SlotSet("unverified_order", number)]
            if crm_down:
                return []
        if order is not None and order.status == "delivered" and _replaced_in_this_session(tracker, order.number):
            # "and the candle from the same parcel is broken too" right after a replacement from that order:
            # the same remedy for this item, read back before it is opened.
            return [
                SlotSet("order_id", order.number),
                SlotSet("item", item_named(order, text)),  # this item, never the one replaced before
                SlotSet("reason", None),
                SlotSet("confirmed", None),
                SlotSet("return_kind", "swap"),
                FollowupAction("return_form"),
            ]
        if order is not None and order.status == "delivered":
            warranty = offer_remedy(dispatcher, order, item_problem(text) or "", text, language_of(tracker))
            # Past the return window, the yes (or "open the claim") opens the warranty claim.
            return [
                SlotSet("order_id", order.number),
                SlotSet("requested_info", f"{WARRANTY}{order.number}" if warranty else None),
            ]
        if order is not None:
            # Not delivered yet, so no item to replace: the problem goes to our team if the customer wants.
            offer_ticket(dispatcher, tracker)
            return [SlotSet("order_id", order.number), SlotSet("requested_info", "ticket:complaint")]
        dispatcher.utter_message(text=phrase("fault_which_order", language_of(tracker)))
        return [SlotSet("requested_info", WHICH_ORDER)]
