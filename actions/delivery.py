"""Delivery problems: "it says delivered but nothing came" is checked against the carrier's record.

The proof of delivery and the usual places to look come first, with the missing-parcel claim offered;
the claim (a ticket) is opened once the customer agrees, asks for it, has already looked, or is angry
(docs/shop.md: one ticket per problem, and only when the customer asks for it or agrees to it).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, customer_id, day, session_events
from actions.forms import order_not_on_account
from actions.locales import SERVED_LANGUAGES, language_of, phrase
from actions.orders import answer_status
from actions.resolving import ask_for_order, order_in_focus
from crm_store.errors import OrderNotFound
from crm_store.services import orders, shipments, ticket_rules, tickets

# requested_info while the claim is offered: the yes to it opens the claim (actions/answers.py).
CLAIM_OFFER = "ticket:parcel_missing"
# "I checked, the neighbours don't have it", "not at the door either": the places to look were looked at.
_LOOKED = re.compile(
    r"\b(?:checked|asked|looked|searched)\b"
    r"|\bneighbou?rs?\b.{0,25}\b(?:don'?t|dont|do not|haven'?t|havent|didn'?t|didnt|no|nothing)\b"
    r"|\bno neighbou?rs?\b|\bnot (?:at|by|in front of|outside) (?:the|my) (?:door|front door)\b|\bnowhere\b",
    re.I,
)


def looked_already(text: str) -> bool:
    return bool(_LOOKED.search(text or ""))


def _claim_offered(tracker: Tracker) -> bool:
    """Whether this session already offered the claim (in any of the assistant's languages)."""
    asked = {phrase("parcel_claim_question", language) for language in SERVED_LANGUAGES}
    return any(
        e.get("event") == "bot" and any(q in (e.get("text") or "") for q in asked) for e in session_events(tracker)
    )


def claim_wanted(tracker: Tracker, text: str) -> bool:
    """Open the claim now: it was offered and this is the answer, or it is asked for, or the customer has
    looked already, or is angry."""
    return (
        tracker.get_slot("requested_info") == CLAIM_OFFER
        or ticket_rules.asks_for_a_ticket(text)
        or looked_already(text)
        or ticket_rules.tone(text) == ticket_rules.ANGRY
        or _claim_offered(tracker)
    )


class ActionParcelMissing(Action):
    def name(self) -> str:
        return "action_parcel_missing"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        number = order_in_focus(dispatcher, tracker, "parcel_missing")
        if not number:
            ask_for_order(dispatcher, tracker, "parcel_missing", "utter_ask_order_id")
            return [SlotSet("requested_info", "order:parcel_missing")]
        text = tracker.latest_message.get("text") or ""
        language = language_of(tracker)
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
                if not claim_wanted(tracker, text):
                    # The proof and the places to look first; the claim is offered, not yet opened.
                    dispatcher.utter_message(
                        text=phrase(
                            "parcel_check_first",
                            language,
                            proof=proof,
                            carrier=parcel.carrier,
                            order=order.number,
                            question=phrase("parcel_claim_question", language),
                        ),
                        buttons=[
                            {"title": phrase("parcel_claim_yes", language), "payload": "/affirm"},
                            {"title": phrase("no_thanks", language), "payload": "/deny"},
                        ],
                    )
                    return [SlotSet("order_id", order.number), SlotSet("requested_info", CLAIM_OFFER)]
                said = [e.get("text") or "" for e in session_events(tracker) if e.get("event") == "user"]
                ticket = tickets.open_ticket(
                    crm(),
                    owner,
                    subject,
                    datetime.utcnow(),
                    description=f"Customer says the parcel never arrived. {proof}. Customer's words: "
                    + " / ".join(t for t in said[-3:] if t and not t.startswith("/")),
                    priority="high",
                    order_number=order.number,
                    sender_id=tracker.sender_id,
                )
        except OrderNotFound:
            return order_not_on_account(dispatcher, tracker, number)
        if crm_down:
            return []
        dispatcher.utter_message(
            text=phrase(
                "parcel_claim_opened",
                language,
                proof=proof,
                ticket=ticket.number,
                order=order.number,
                carrier=parcel.carrier,
            )
        )
        return [SlotSet("order_id", order.number), SlotSet("requested_info", None), SlotSet("ticket_id", ticket.number)]
