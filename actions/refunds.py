"""Refund status: where the customer's money is, from returns, refunds and the order's payments.

"Where is my money?" is answered for the order in focus when there is one (a refunded payment, a
refund on its way, a cancelled or returned order whose refund follows), else from every return
and refund on record; with nothing on record and orders to ask about, the assistant asks which.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import crm, crm_or_apology, customer_id, day, focused_order
from actions.forms import order_not_on_account
from actions.locales import day as locale_day
from actions.locales import (
    language_of,
    money,
    payment_method,
    phrase,
    refund_arrival,
    refund_state_word,
    return_state_word,
    status_word,
)
from actions.locales import order_summary as locale_summary
from crm_store.errors import OrderNotFound
from crm_store.services import orders, payments, returns
from crm_store.settings import get_settings

_STATE = {
    "requested": "being reviewed",
    "approved": "approved, waiting for the parcel to reach us",
    "received": "item received, the refund follows within 5 working days",
    "refunded": "refunded",
    "rejected": "not approved (we've emailed you why)",
}
_RETURN_OR_REFUND = re.compile(r"(?<![\w-])[RF]-\d{5}(?![\w-])")
_REFUND_STATE = {"requested": "on its way", "processing": "being paid out", "paid": "paid out"}


def refund_line(refund: payments.RefundView, language: str = "en") -> str:
    """A refund, its state and when the money is on the customer's account."""
    settings = get_settings()
    paid_on = (
        next((at.date() for stage, at in refund.timeline if stage == "paid"), None) if refund.status == "paid" else None
    )
    arrival = refund_arrival(
        None,
        paid_on,
        refund.expected_by.date() if refund.expected_by else None,
        settings.refund_processing_days,
        settings.refund_bank_days,
        language,
    )
    if language == "en":
        line = (
            f"- refund {refund.number} of {refund.amount:.2f} EUR for order {refund.order_number} ({refund.reason}): "
            f"{_REFUND_STATE.get(refund.status, refund.status)}"
        )
    else:
        line = phrase(
            "refund_line",
            language,
            number=refund.number,
            amount=money(refund.amount, language),
            order=refund.order_number,
            reason=refund.reason,
            state=refund_state_word(refund.status, language),
        )
    return line + (f"; {arrival}" if arrival else "")


def return_line(ret: returns.ReturnView, language: str = "en") -> str:
    """A return and, once the item is back with us, when the money reaches the customer's account."""
    settings = get_settings()
    arrival = (
        refund_arrival(
            ret.status_since.date(), None, None, settings.refund_processing_days, settings.refund_bank_days, language
        )
        if ret.status == "received"
        else None
    )
    if language != "en":
        if ret.status == "received":
            state = (
                phrase("item_received_on", language, date=locale_day(ret.status_since, language), arrival=arrival)
                if arrival
                else phrase("return_received", language, date=locale_day(ret.status_since, language))
            )
        else:
            state = return_state_word(ret.status, language)
        if ret.status == "refunded" and ret.refund_amount:
            state += f", {money(ret.refund_amount, language)}"
        if ret.status != "received":
            state += phrase("since", language, date=locale_day(ret.status_since, language))
        return phrase("return_line", language, number=ret.number, item=ret.item, order=ret.order_number, state=state)
    state = _STATE.get(ret.status, ret.status)
    if ret.status == "received":
        state = f"item received on {day(ret.status_since)}; {arrival}"
    return (
        f"- {ret.number} ({ret.item}, order {ret.order_number}): {state}"
        + (f", {ret.refund_amount} EUR" if ret.status == "refunded" and ret.refund_amount else "")
        + ("" if ret.status == "received" else f" (since {day(ret.status_since)})")
    )


def money_back(order: orders.OrderView, language: str = "en") -> str:
    """One sentence on the refund of an order (empty when no money is due back)."""
    try:
        paid = payments.payments_of(crm(), order.number, order.customer_id)
        refunds = [r for r in payments.refunds_of(crm(), order.customer_id, limit=50) if r.order_number == order.number]
    except (SQLAlchemyError, OrderNotFound):
        return ""
    if refunds:
        return " " + " ".join(refund_line(r, language).removeprefix("- ").capitalize() + "." for r in refunds)
    refunded = [p for p in paid if p.status == "refunded"]
    if refunded:
        amount = sum((p.amount for p in refunded), start=type(refunded[0].amount)(0))
        return " " + phrase(
            "refund_issued",
            language,
            amount=f"{amount:.2f} EUR" if language == "en" else money(amount, language),
            method=payment_method(refunded[0].method, language) if language != "en" else refunded[0].method,
            bank_days=get_settings().refund_bank_days,
        )
    captured = [p for p in paid if p.status == "captured"]
    if order.status in ("cancelled", "returned") and captured:
        due = order.status_since + timedelta(days=payments.REFUND_DAYS)
        return " " + phrase(
            "refund_due_by",
            language,
            amount=f"{order.total:.2f} EUR" if language == "en" else money(order.total, language),
            method=payment_method(captured[0].method, language) if language != "en" else captured[0].method,
            days=5,
            date=day(due) if language == "en" else locale_day(due, language),
        )
    return ""


class ActionRefundStatus(Action):
    def name(self) -> str:
        return "action_refund_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        number = focused_order(tracker)
        with crm_or_apology(dispatcher, tracker, "refund look-up") as crm_down:
            uow = crm()
            owner = customer_id(uow, tracker)
            if number:
                try:
                    order = orders.lookup(crm(), number, owner)
                except OrderNotFound:
                    return order_not_on_account(dispatcher, tracker, number)
                language = language_of(tracker)
                due = order.status in ("cancelled", "returned")
                about = money_back(order, language) or (
                    " " + phrase("refund_on_its_way", language)
                    if due
                    else " " + phrase("no_refund_due", language, status=status_word(order.status, language))
                )
                dispatcher.utter_message(
                    response="utter_refund_for_order",
                    order_id=order.number,
                    status=order.status if language == "en" else status_word(order.status, language),
                    refund=about.strip(),
                    contents=f"{', '.join(order.items)}; {order.total:.2f} EUR"
                    if language == "en"
                    else locale_summary(tuple(order.items), order.total, language),
                )
                return [SlotSet("order_id", order.number), SlotSet("requested_info", None)]
            rows = returns.returns_of(crm(), owner)
            refunds = payments.refunds_of(crm(), owner)
            mine = orders.orders_of(crm(), owner)
        if crm_down:
            return []
        named = set(_RETURN_OR_REFUND.findall((tracker.latest_message.get("text") or "").upper()))
        if named & ({r.number for r in rows} | {r.number for r in refunds}):
            # "where's my refund for R-00012?": that one, not the whole list.
            rows, refunds = [r for r in rows if r.number in named], [r for r in refunds if r.number in named]
        language = language_of(tracker)
        lines = [return_line(r, language) for r in rows] + [refund_line(r, language) for r in refunds]
        lines += [
            phrase("order_refund_line", language, order=o.number, text=money_back(o, language).strip())
            for o in mine
            if o.status in ("cancelled", "returned") and not any(o.number in line for line in lines) and money_back(o)
        ]
        if lines:
            dispatcher.utter_message(response="utter_refund_status", returns="\n".join(lines))
            return [SlotSet("requested_info", None)]
        if mine:
            dispatcher.utter_message(response="utter_ask_order_id_refund")
            return [SlotSet("requested_info", "order:refund")]
        dispatcher.utter_message(response="utter_no_returns")
        return []
