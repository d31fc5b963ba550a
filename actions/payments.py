"""Payment problems: a duplicate charge is checked against the payments and refunded; a second
payment problem in one conversation goes to a person."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import crm, crm_unavailable, customer_id, day, focused_order, handoff_summary, session_events
from actions.handoff import ActionHandoff
from crm_store.errors import OrderNotFound
from crm_store.services import payments
from actions.problems import problems_in


def escalate(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], why: str) -> list[dict]:
    """Hand off with a summary for the agent (in the `handoff_summary` slot action_handoff may read)."""
    summary = SlotSet("handoff_summary", handoff_summary(tracker, why))
    tracker.slots["handoff_summary"] = summary["value"]
    return [summary, *ActionHandoff().run(dispatcher, tracker, domain)]


class ActionPaymentProblem(Action):
    def name(self) -> str:
        return "action_payment_problem"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = tracker.latest_message.get("text") or ""
        earlier = [e for e in session_events(tracker) if e.get("event") == "action" and e.get("name") == self.name()]
        if earlier and (tracker.latest_message.get("intent") or {}).get("name") == "payment_problem":
            # Already answered once and the customer is back with it: a person should look.
            return escalate(dispatcher, tracker, domain, "payment problem raised again after the standard answer")
        duplicate = any(kind == "double_charge" for kind, _ in problems_in(text)) or tracker.get_slot("requested_info") == "order:payment"
        if not duplicate:
            dispatcher.utter_message(response="utter_payment_help")
            return [SlotSet("requested_info", "ticket:payment_problem")]
        number = focused_order(tracker)
        if not number:
            dispatcher.utter_message(response="utter_ask_order_id_charge")
            return [SlotSet("requested_info", "order:payment")]
        try:
            uow = crm()
            owner = customer_id(uow, tracker)
            charges = [p for p in payments.payments_of(uow, number, owner) if p.status == "captured"]
            refunds = payments.refund_duplicate_charges(crm(), number, owner, datetime.utcnow())
        except OrderNotFound:
            dispatcher.utter_message(response="utter_order_not_found", order_id=number)
            return [SlotSet("order_id", None), SlotSet("requested_info", None)]
        except SQLAlchemyError:
            crm_unavailable(dispatcher, tracker, "payment check")
            return []
        if not refunds:
            amount = f"{charges[0].amount:.2f} EUR" if charges else "no charge"
            dispatcher.utter_message(response="utter_no_duplicate_charge", order_id=number, amount=amount)
            return [SlotSet("order_id", number), SlotSet("requested_info", "ticket:payment_problem")]
        refund = refunds[-1]
        dispatcher.utter_message(response="utter_duplicate_refunded", order_id=number, amount=f"{refund.amount:.2f}",
                                 refund_id=refund.number, expected=day(refund.expected_by) if refund.expected_by else "5 working days")
        return [SlotSet("order_id", number), SlotSet("requested_info", None)]
