"""Order status: the form asks for the number, the action answers from the CRM."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import crm, crm_or_apology, customer_id, day, ran_before, run_action
from actions.forms import HandoffFormValidation, OrderIdExtraction, order_number
from actions.handover import hand_over
from actions.locales import OTHER_LANGUAGES, language_of, order_fields, phrase, status_word, warranty_route
from actions.locales import day as locale_day
from actions.locales import full_day as locale_full_day
from actions.problems import escalation_cue, item_problem
from actions.refunds import money_back
from actions.forms import answer_when_back
from actions.tickets import LATE_OFFER, WARRANTY, ActionOpenTicket
from actions.pending_code import code_expected
from crm_store.errors import InvalidOrderNumber, OrderNotFound
from crm_store.services import orders, shipments, shop_answers
from crm_store.settings import get_settings

_CODE_KINDS = (shop_answers.PROMO, shop_answers.PROMO_FAILED)


class ActionCheckOrder(Action):
    def name(self) -> str:
        return "action_check_order"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        when = answer_when_back(dispatcher, tracker)  # "how long till I hear back?" right after a ticket
        if when is not None:
            return when
        if shop_answers.everyday_request(tracker.latest_message.get("text") or "") in _CODE_KINDS:
            # "can you add my code SPRING10 to yesterday's order?": about a discount code, not the status.
            return run_action("action_out_of_scope", dispatcher, tracker, domain)
        number = tracker.get_slot("order_id")
        if tracker.get_slot("requested_info") == "details:complaint":
            # We asked "what happened, and which order?": this answer, order number and all, is the complaint.
            return ActionOpenTicket().run(dispatcher, tracker, domain)
        try:
            with crm_or_apology(dispatcher, tracker, "order look-up") as crm_down:
                uow = crm()
                order = orders.lookup(uow, number or "", customer_id(uow, tracker))
                text = tracker.latest_message.get("text") or ""
                if order.status == "delivered" and item_problem(text) and not escalation_cue(text):
                    # "the pan in A-10423 arrived cracked": not a status question; say sorry and offer the remedies.
                    warranty = offer_remedy(dispatcher, order, item_problem(text) or "", text, language_of(tracker))
                    return [SlotSet("requested_info", f"{WARRANTY}{order.number}" if warranty else None)]
                if _follow_up_on_delivery(tracker, text):
                    answer_delivery(dispatcher, order, language_of(tracker))
                    return [SlotSet("requested_info", None)]
                answer_status(dispatcher, order)
                # "I wrote to you about this before … where is it": the answer, and a person as well.
                cue = escalation_cue(tracker.latest_message.get("text") or "")
                if cue:
                    return [SlotSet("requested_info", None), *hand_over(dispatcher, tracker, "request_human", cue)]
                # Past its expected day, the answer offers a ticket to chase the carrier: the yes opens it.
                # The order stays in focus for "when will it arrive?", "cancel it".
                return [SlotSet("requested_info", LATE_OFFER if is_late(order) else None)]
        except (OrderNotFound, InvalidOrderNumber):
            if not number and (tracker.get_slot("unverified_order") or code_expected(tracker)):
                return [SlotSet("requested_info", None)]  # the way to prove the order was just said
            if number:
                # Not on this chat's account. One reply whether or not the order exists (a stranger must
                # not learn which numbers do); if it is theirs, a code to its email links this chat.
                dispatcher.utter_message(response="utter_order_needs_verification", order_id=number)
                return [SlotSet("order_id", None), SlotSet("unverified_order", number)]
            dispatcher.utter_message(response="utter_order_not_found", order_id=number)
            return [SlotSet("order_id", None)]
        if crm_down:
            return []


def is_late(order: orders.OrderView) -> bool:
    """Shipped, past its expected day, and no failed delivery attempt to explain it."""
    if order.status != "shipped":
        return False
    try:
        parcel = shipments.shipment_of(crm(), order.number, order.customer_id)
    except SQLAlchemyError:
        return False
    return bool(parcel and parcel.eta and parcel.eta.date() < datetime.utcnow().date() and not parcel.delivery_attempts)


# "when will it arrive?", "how long until I get it?", "where can I track it?": the delivery, not the status.
_WHEN = re.compile(r"\b(when|how (?:long|many days|soon)|eta|arriv\w*|get here|track\w*|expect\w*)\b", re.I)


def _follow_up_on_delivery(tracker: Tracker, text: str) -> bool:
    """A question about the delivery of the order whose status was just given (not named again)."""
    named = order_number(list(tracker.get_latest_entity_values("order_id"))) or order_number(text)
    return bool(_WHEN.search(text)) and not named and ran_before(tracker, "action_check_order") > 0


def answer_delivery(dispatcher: CollectingDispatcher, order: orders.OrderView, language: str = "en") -> None:
    """Carrier, ETA and tracking only: the status paragraph was already said in this chat."""
    parcel = parcel_details(order, language).strip()
    if not parcel:
        if order.status == "pending":
            parcel = phrase("ships_after_payment", language)
        elif order.status == "delivered":
            parcel = phrase("delivered_on", language, date=_day(order.status_since, language))
        else:
            parcel = phrase("no_delivery_on_the_way", language, status=status_word(order.status, language))
    dispatcher.utter_message(response="utter_order_delivery", order_id=order.number, details=parcel)


def _day(value: datetime, language: str) -> str:
    return day(value) if language == "en" else locale_day(value, language)


def _shipment(order: orders.OrderView) -> shipments.ShipmentView | None:
    try:
        return shipments.shipment_of(crm(), order.number, order.customer_id)
    except SQLAlchemyError:
        return None


def parcel_details(
    order: orders.OrderView, language: str = "en", parcel: shipments.ShipmentView | None | bool = False
) -> str:
    """Carrier, ETA, tracking link, failed attempts and proof of delivery, from the order's shipment
    (looked up unless given), in the customer's language."""
    if parcel is False:
        parcel = _shipment(order)
    assert not isinstance(parcel, bool)
    if parcel is None:
        if order.status in ("paid", "packed"):
            return " " + phrase("not_left_yet", language)
        return (
            " " + phrase("tracking_code", language, code=order.tracking_code)
            if order.tracking_code and order.status == "shipped"
            else ""
        )
    text = ""
    if order.status == "shipped":
        text += " " + (
            phrase("left_us_on", language, date=_day(parcel.dispatched_at, language), carrier=parcel.carrier)
            if parcel.dispatched_at
            else phrase("with_carrier", language, carrier=parcel.carrier)
        )
        if parcel.eta and parcel.eta.date() < datetime.utcnow().date() and parcel.delivery_attempts:
            text += " " + phrase("was_due_on", language, date=_day(parcel.eta, language))
        elif parcel.eta and parcel.eta.date() < datetime.utcnow().date():
            # Past its date: say so and say sorry, instead of a cheerful "should arrive by" in the past.
            text += " " + phrase("late_sorry", language, date=_day(parcel.eta, language), carrier=parcel.carrier)
        elif parcel.eta:
            when = f"{parcel.eta:%A}, {day(parcel.eta)}" if language == "en" else locale_full_day(parcel.eta, language)
            text += " " + phrase("arrives_by", language, date=when)
        else:
            text += "."
        if parcel.delivery_attempts:
            # A failed delivery: what happens next and what the customer can choose, from the carrier's page.
            attempts = parcel.delivery_attempts
            text += " " + phrase(
                "failed_attempts",
                language,
                carrier=parcel.carrier,
                attempts=attempts,
                s="s" if attempts > 1 else "",
            )
    elif order.status == "delivered" and parcel.delivered_at:
        text += " " + phrase(
            "carrier_delivered_on", language, carrier=parcel.carrier, date=_day(parcel.delivered_at, language)
        )
        text += f" ({parcel.proof_of_delivery})." if parcel.proof_of_delivery else "."
    if parcel.tracking_url and order.status == "shipped":
        text += " " + phrase("track_here", language, url=parcel.tracking_url)
    elif parcel.tracking_code and order.status == "shipped":
        text += " " + phrase("tracking_code", language, code=parcel.tracking_code)
    return text


def status_details(order: orders.OrderView, language: str, parcel: shipments.ShipmentView | None) -> str:
    """What the status means for the customer, the parcel and any money due back."""
    said = parcel_details(order, language, parcel)
    # "DHL delivered it on 10 Nov" says it already; with the generic sentence too the reply read
    # "is delivered (since 10 Nov …). It has been delivered. DHL delivered it on 10 Nov".
    meaning = "" if order.status == "delivered" and said else phrase(f"status_{order.status}", language)
    details = meaning + said
    if order.status in ("cancelled", "returned"):
        details += money_back(order, language)
    return details.strip()


def answer_status(dispatcher: CollectingDispatcher, order: orders.OrderView) -> None:
    """The status in every language's words: the conversation's language picks its variation."""
    parcel = _shipment(order)
    dispatcher.utter_message(
        response="utter_order_status",
        order_id=order.number,
        contents=f"{', '.join(order.items)}; {order.total:.2f} EUR" if order.items else f"{order.total:.2f} EUR",
        status=order.status,
        status_date=day(order.status_since),
        placed_date=day(order.placed_at),
        details=status_details(order, "en", parcel),
        **order_fields(order),
        **{f"details_{code}": status_details(order, code, parcel) for code in OTHER_LANGUAGES},
    )


# The English reply names the problem; the German, French and Spanish ones say "something is wrong with".
_SOME_PROBLEM = "has a problem"
_PROBLEM_WORDS = {
    "wrong size": "is the wrong size",
    "damaged": "arrived damaged",
    "defective": "doesn't work properly",
    "missing part": "is missing a part",
    "wrong item": "isn't what you ordered",
    "not as described": "isn't as described",
}


def item_named(order: orders.OrderView, text: str) -> str | None:
    """The order's item the message means: the only one, or the one whose name it uses, whole or in part
    ("the candle is broken too"); None when that is not clear."""
    names = [i.split(" x ", 1)[-1] for i in order.items]
    said = set(re.findall(r"[a-z]{4,}", text.lower()))
    if len(names) == 1:
        return names[0]
    return next((n for n in names if n.lower() in text.lower() or said & set(n.lower().split())), None)


def offer_remedy(
    dispatcher: CollectingDispatcher, order: orders.OrderView, problem: str, text: str, language: str = "en"
) -> bool:
    """Sorry, and what we can do about an item from a delivered order: a replacement, an exchange or a refund;
    past the return window the warranty route (True then: its claim is what the customer's yes opens)."""
    what = item_named(order, text) or "item"
    settings = get_settings()
    warranty = (
        warranty_route(
            order.status_since, datetime.utcnow(), settings.return_window_days, settings.warranty_months, language
        )
        if problem in ("defective", "damaged", "missing part")
        else None
    )
    if warranty:
        # Past the return window a fault is a warranty claim, not a return.
        dispatcher.utter_message(
            text=phrase(
                "warranty_sorry_item",
                language,
                item=what,
                number=order.number,
                problem=_PROBLEM_WORDS.get(problem, _SOME_PROBLEM),
                warranty=warranty,
            )
        )
        return True
    dispatcher.utter_message(
        response="utter_offer_remedy",
        order_id=order.number,
        item=what,
        problem=_PROBLEM_WORDS.get(problem, _SOME_PROBLEM),
    )
    return False


class ValidateOrderStatusForm(HandoffFormValidation, OrderIdExtraction, FormValidationAction):
    def name(self) -> str:
        return "validate_order_status_form"

    def validate_order_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        candidates = value if isinstance(value, list) else [value]
        for candidate in candidates:
            try:
                return {"order_id": orders.canonical_number(str(candidate))}
            except InvalidOrderNumber:
                continue
        dispatcher.utter_message(response="utter_order_id_invalid")
        return {"order_id": None}
