"""Delivery problems: "it says delivered but nothing came" is checked against the carrier's record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, customer_id, day
from actions.forms import order_not_on_account
from actions.orders import answer_status
from actions.resolving import ask_for_order, order_in_focus
from crm_store.errors import OrderNotFound
from crm_store.services import orders, shipments, tickets


class ActionParcelMissing(Action):
    def name(self) -> str:
        return "action_parcel_missing"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        number = order_in_focus(dispatcher, tracker, "parcel_missing")
        if not number:
            ask_for_order(dispatcher, tracker, "parcel_missing", "utter_ask_order_id")
            return [SlotSet("requested_info", "order:parcel_missing")]
        try:
            with crm_or_apology(dispatcher, tracker, "missing parcel") as crm_down:
                uow = crm()
                owner = customer_id(uow, tracker)
                order = orders.lookup(uow, number, owner)
                parcel = shipments.shipment_of(crm(), number, owner)
                if order.status != "delivered" or parcel is None or parcel.delivered_at is None:
                    answer_status(dispatcher, order)  # not delivered yet: where it is and when it comes
                    return [SlotSet("order_id", order.number), SlotSet("requested_info", None)]
                proof = f"{parcel.carrier} recorded it as delivered on {day(parcel.delivered_at)}" + (
                    f", {parcel.proof_of_delivery}" if parcel.proof_of_delivery else ""
                )
                subject = f"Parcel not received: {order.number}"
                claim = next((t for t in tickets.open_tickets(crm(), owner) if t.subject == subject), None)
                if claim is not None:
                    # "Checked with the neighbours, still nothing": the claim already runs; no second ticket.
                    dispatcher.utter_message(
                        response="utter_parcel_claim_open",
                        order_id=order.number,
                        ticket_id=claim.number,
                        carrier=parcel.carrier,
                    )
                    return [SlotSet("order_id", order.number), SlotSet("requested_info", None)]
                ticket = tickets.open_ticket(
                    crm(),
                    owner,
                    subject,
                    datetime.utcnow(),
                    description=f"Customer says the parcel never arrived. {proof}. Customer's words: "
                    f"{tracker.latest_message.get('text') or ''}",
                    priority="high",
                    order_number=order.number,
                    sender_id=tracker.sender_id,
                )
        except OrderNotFound:
            return order_not_on_account(dispatcher, tracker, number)
        if crm_down:
            return []
        dispatcher.utter_message(
            response="utter_parcel_missing", order_id=order.number, proof=proof, ticket_id=ticket.number
        )
        return [SlotSet("order_id", order.number), SlotSet("requested_info", None)]
