"""Verification that keeps the request: what happens after a code.

After a link code, the request that needed it (the last request in the session: a status, a
cancellation, a return, erasure …) goes on where it stopped instead of always showing an order
status. Whether a code is expected at all is actions/pending_code.py, which the skills use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import run_action, session_events
from actions.locales import language_of, phrase
from actions.delivery import ActionParcelMissing
from actions.orders import answer_status
from actions.problems import problems_in
from actions.refunds import ActionRefundStatus
from actions.resolving import ask_which, resolve, say_taken
from actions.tickets import ActionTicketStatus
from crm_store.db import UnitOfWork
from crm_store.services import orders, shop_answers, tickets

# Requests that may have to wait for a code, and the form that carries each on.
REQUESTS = (
    "order_status",
    "cancel_order",
    "return_item",
    "exchange_item",
    "change_address",
    "refund_status",
    "delete_my_data",
    "parcel_missing",
    "ticket_status",
    "payment_problem",
)
FORMS = {
    "cancel_order": "cancel_order_form",
    "return_item": "return_form",
    "exchange_item": "return_form",
    "change_address": "address_form",
}


def interrupted_request(tracker: Tracker) -> tuple[str | None, str]:
    """(intent, text) of the last request in this session before the code, or (None, "")."""
    for event in reversed(session_events(tracker)):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent in REQUESTS:
            return intent, event.get("text") or ""
    return None, ""


def open_erasure_ticket(uow: UnitOfWork, owner: int, sender: str, now: datetime) -> str:
    ticket = tickets.open_ticket(
        uow,
        owner,
        "Delete my personal data (GDPR request, verified by code)",
        now,
        description="Run `crmbot customer forget` after checking open orders and returns.",
        priority="high",
        sender_id=sender,
    )
    return ticket.number


def continue_after_link(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: dict[str, Any],
    uow: UnitOfWork,
    owner: int,
    number: str | None,
) -> list[dict] | None:
    """Carry on the request the code interrupted; None when it was an order status (the caller shows it)."""
    intent, text = interrupted_request(tracker)
    now = datetime.utcnow()
    if intent == "delete_my_data":
        # The code just proved who this is: no second code for the erasure itself.
        dispatcher.utter_message(
            response="utter_forget_requested", ticket=open_erasure_ticket(uow, owner, tracker.sender_id, now)
        )
        return [SlotSet("unverified_order", None), SlotSet("requested_info", None)]
    if intent in FORMS:
        if number:
            language = language_of(tracker)
            topic = phrase(f"topic_{intent}", language)
            dispatcher.utter_message(text=phrase("now_the_form", language, topic=topic, number=number))
        return [SlotSet("unverified_order", None), SlotSet("order_id", number), FollowupAction(FORMS[intent])]
    if intent in ("refund_status", "parcel_missing", "ticket_status"):
        action: Action = {
            "refund_status": ActionRefundStatus,
            "parcel_missing": ActionParcelMissing,
            "ticket_status": ActionTicketStatus,
        }[intent]()
        tracker.slots.update({"order_id": number})
        return [
            SlotSet("unverified_order", None),
            SlotSet("order_id", number),
            *action.run(dispatcher, tracker, domain),
        ]
    if intent == "payment_problem" and number and "double_charge" in {kind for kind, _ in problems_in(text)}:
        # "you took money twice for A-…" before the code: the duplicate is checked (and refunded) now.
        tracker.slots.update({"order_id": number, "requested_info": "order:payment"})
        return [
            SlotSet("unverified_order", None),
            SlotSet("order_id", number),
            *run_action("action_payment_problem", dispatcher, tracker, domain),
        ]
    if shop_answers.everyday_request(text) == shop_answers.INVOICE:
        # "I need a receipt for my speaker", whatever it was read as: the invoice, now the orders are theirs.
        tracker.slots.update({"order_id": number})
        return [
            SlotSet("unverified_order", None),
            SlotSet("order_id", number),
            *run_action("action_invoice_copy", dispatcher, tracker, domain),
        ]
    if number is None:
        # A status asked with no number (the email-only flow): which order, over the now linked account.
        found = resolve(tracker, "status", text=text)
        if found is not None and found.chosen:
            say_taken(dispatcher, tracker, found)
            answer_status(dispatcher, orders.lookup(uow, found.chosen, owner))
            return [SlotSet("unverified_order", None), SlotSet("order_id", found.chosen)]
        if intent == "order_status" and ask_which(dispatcher, tracker, "status"):
            return [SlotSet("unverified_order", None), SlotSet("requested_info", "order:status")]
    return None
