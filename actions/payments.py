"""Payment problems: a duplicate charge is checked against the payments and refunded; a second
payment problem in one conversation goes to a person."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import (
    crm,
    crm_or_apology,
    customer_id,
    day,
    everyday_instead,
    focused_order,
    handoff_summary,
    session_events,
)
from actions.forms import order_not_on_account, order_number
from actions.locales import day as locale_day
from actions.locales import language_of, money, phrase
from actions.handoff import ActionHandoff
from actions.orders import answer_status
from actions.resolving import ask_for_order, order_in_focus
from actions.tickets import DETAILS, ActionOpenTicket
from crm_store.errors import OrderNotFound
from crm_store.services import orders, payments
from actions.problems import escalation_cue, problems_in


def escalate(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], why: str) -> list[dict]:
    """Hand off with a summary for the agent (in the `handoff_summary` slot action_handoff may read)."""
    summary = SlotSet("handoff_summary", handoff_summary(tracker, why))
    tracker.slots["handoff_summary"] = summary["value"]
    return [summary, *ActionHandoff().run(dispatcher, tracker, domain)]


_ABOUT_MONEY = re.compile(
    r"\b(pay\w*|card|paypal|klarna|charged? (?:me|twice|double)|charged|bill\w*|invoice|refund\w*|money|bank|checkout|"
    r"declined|transaction|statement|eur|€)",
    re.I,
)


class ActionPaymentProblem(Action):
    @staticmethod
    def _faulty_product(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if focused_order(tracker):
            return ActionOpenTicket().run(dispatcher, tracker, domain)
        dispatcher.utter_message(
            response="utter_ask_order_of_product", product=next(tracker.get_latest_entity_values("product"))
        )
        return [SlotSet("requested_info", DETAILS)]

    @staticmethod
    def _charged_twice(tracker: Tracker, named: list[str]) -> str | None:
        """Of the orders named in the message, the one with a duplicate capture on record."""
        try:
            uow = crm()
            owner = customer_id(uow, tracker)
            for number in named:
                try:
                    if any(p.duplicate_of for p in payments.payments_of(crm(), number, owner)):
                        return number
                except OrderNotFound:
                    continue
        except SQLAlchemyError:
            return None
        return None

    @staticmethod
    def _status(dispatcher: CollectingDispatcher, tracker: Tracker, number: str) -> None:
        try:
            uow = crm()
            answer_status(dispatcher, orders.lookup(uow, number, customer_id(uow, tracker)))
        except (OrderNotFound, SQLAlchemyError):
            pass

    def name(self) -> str:
        return "action_payment_problem"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = tracker.latest_message.get("text") or ""
        if not problems_in(text):
            answered = everyday_instead(dispatcher, tracker, domain)  # "can I get the invoice for ..."
            if answered is not None:
                return answered
        if next(tracker.get_latest_entity_values("product"), None) and not _ABOUT_MONEY.search(text):
            # "my power bank doesn't charge": a faulty product, not a payment.
            return self._faulty_product(dispatcher, tracker, domain)
        earlier = [e for e in session_events(tracker) if e.get("event") == "action" and e.get("name") == self.name()]
        duplicate = (
            any(kind == "double_charge" for kind, _ in problems_in(text))
            or tracker.get_slot("requested_info") == "order:payment"
        )
        if earlier and not duplicate and (tracker.latest_message.get("intent") or {}).get("name") == "payment_problem":
            # Already answered once and the customer is back with it: a person should look.
            # (A double charge asked about again is checked again: its refund is on record.)
            return escalate(dispatcher, tracker, domain, "payment problem raised again after the standard answer")
        if not duplicate:
            dispatcher.utter_message(response="utter_payment_help")
            return [SlotSet("requested_info", "ticket:payment_problem")]
        named = [n for n in (order_number(v) for v in tracker.get_latest_entity_values("order_id")) if n]
        number = self._charged_twice(tracker, named) or order_in_focus(dispatcher, tracker, "payment")
        for other in dict.fromkeys(n for n in named if n != number):
            # "first A-1 is late, second A-2 was charged twice": each order named gets its answer.
            self._status(dispatcher, tracker, other)
        if not number:
            ask_for_order(dispatcher, tracker, "payment", "utter_ask_order_id_charge")
            return [SlotSet("requested_info", "order:payment")]
        try:
            with crm_or_apology(dispatcher, tracker, "payment check") as crm_down:
                uow = crm()
                owner = customer_id(uow, tracker)
                charges = [p for p in payments.payments_of(uow, number, owner) if p.status == "captured"]
                refunds = payments.refund_duplicate_charges(crm(), number, owner, datetime.utcnow())
        except OrderNotFound:
            return [*order_not_on_account(dispatcher, tracker, number), SlotSet("requested_info", None)]
        if crm_down:
            return []
        language = language_of(tracker)
        if not refunds:
            amount = money(charges[0].amount, language) if charges else phrase("no_charge", language)
            dispatcher.utter_message(response="utter_no_duplicate_charge", order_id=number, amount=amount)
            return [SlotSet("order_id", number), SlotSet("requested_info", "ticket:payment_problem")]
        refund = refunds[-1]
        dispatcher.utter_message(
            response="utter_duplicate_refunded",
            order_id=number,
            amount=f"{refund.amount:.2f}",
            amount_local=money(refund.amount, language),
            refund_id=refund.number,
            # The date, and the shop's promise it comes from (docs/shop.md: "within 5 working days").
            expected=phrase(
                "expected_within",
                language,
                date=day(refund.expected_by) if language == "en" else locale_day(refund.expected_by, language),
            )
            if refund.expected_by
            else phrase("within_5_days", language),
        )
        cue = escalation_cue(text)
        if cue:  # the refund is done, and the customer also asked for a person or writes again
            return [SlotSet("order_id", number), *escalate(dispatcher, tracker, domain, cue)]
        return [SlotSet("order_id", number), SlotSet("requested_info", None)]
