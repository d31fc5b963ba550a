"""Order status: the form asks for the number, the action answers from the CRM."""
from __future__ import annotations

from typing import Any

from datetime import datetime

from rasa_sdk import Action, FormValidationAction, Tracker

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import crm, crm_unavailable, customer_id, day
from actions.forms import HandoffFormValidation, OrderIdExtraction
from crm_store.errors import InvalidOrderNumber, OrderNotFound
from crm_store.services import orders, shipments

_DETAILS = {
    "pending": "We're waiting for the payment to clear.",
    "paid": "It's paid and will be packed soon.",
    "packed": "It's packed and will leave our warehouse shortly.",
    "shipped": "It's on its way.",
    "delivered": "It has been delivered.",
    "cancelled": "It was cancelled.",
    "returned": "It was returned.",
}


class ActionCheckOrder(Action):
    def name(self) -> str:
        return "action_check_order"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        number = tracker.get_slot("order_id")
        try:
            uow = crm()
            answer_status(dispatcher, orders.lookup(uow, number or "", customer_id(uow, tracker)))
            return [SlotSet("requested_info", None)]  # the order stays in focus for "when will it arrive?", "cancel it"
        except (OrderNotFound, InvalidOrderNumber):
            if number:
                # Not on this chat's account. One reply whether or not the order exists (a stranger must
                # not learn which numbers do); if it is theirs, a code to its email links this chat.
                dispatcher.utter_message(response="utter_order_needs_verification", order_id=number)
                return [SlotSet("order_id", None), SlotSet("unverified_order", number)]
            dispatcher.utter_message(response="utter_order_not_found", order_id=number)
            return [SlotSet("order_id", None)]
        except SQLAlchemyError:
            crm_unavailable(dispatcher, tracker, "order look-up")
            return []


def parcel_details(order: orders.OrderView) -> str:
    """Carrier, ETA, tracking link, failed attempts and proof of delivery, from the order's shipment."""
    try:
        parcel = shipments.shipment_of(crm(), order.number, order.customer_id)
    except SQLAlchemyError:
        parcel = None
    if parcel is None:
        if order.status in ("paid", "packed"):
            return " It hasn't left our warehouse yet; orders usually ship within 1-2 working days."
        return f" Tracking code: {order.tracking_code}." if order.tracking_code and order.status == "shipped" else ""
    text = ""
    if order.status == "shipped":
        text += f" It left us on {day(parcel.dispatched_at)} with {parcel.carrier}" if parcel.dispatched_at else f" It's with {parcel.carrier}"
        text += f" and should arrive by {parcel.eta:%A}, {day(parcel.eta)}." if parcel.eta else "."
        if parcel.delivery_attempts:
            text += f" {parcel.carrier} tried to deliver it {parcel.delivery_attempts} time(s) and will try again."
    elif order.status == "delivered" and parcel.delivered_at:
        text += f" {parcel.carrier} delivered it on {day(parcel.delivered_at)}" + (f" ({parcel.proof_of_delivery})." if parcel.proof_of_delivery else ".")
    if parcel.tracking_url and order.status == "shipped":
        text += f" Track it here: {parcel.tracking_url}"
    elif parcel.tracking_code and order.status == "shipped":
        text += f" Tracking code: {parcel.tracking_code}."
    return text


def answer_status(dispatcher: CollectingDispatcher, order: orders.OrderView) -> None:
    details = _DETAILS.get(order.status, "") + parcel_details(order)
    dispatcher.utter_message(
        response="utter_order_status",
        order_id=order.number,
        status=order.status,
        status_date=day(order.status_since),
        placed_date=day(order.placed_at),
        details=details,
    )


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
