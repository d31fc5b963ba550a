"""Refund status: the customer's returns and where their money is."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import crm, crm_unavailable, customer_id, day
from crm_store.services import returns

_STATE = {
    "requested": "being reviewed",
    "approved": "approved, waiting for the parcel to reach us",
    "received": "item received, the refund follows within 5 working days",
    "refunded": "refunded",
    "rejected": "not approved (we've emailed you why)",
}


class ActionRefundStatus(Action):
    def name(self) -> str:
        return "action_refund_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        try:
            uow = crm()
            rows = returns.returns_of(uow, customer_id(uow, tracker))
        except SQLAlchemyError:
            crm_unavailable(dispatcher, tracker, "refund look-up")
            return []
        if not rows:
            dispatcher.utter_message(response="utter_no_returns")
            return []
        lines = [
            f"- {r.number} ({r.item}, order {r.order_number}): {_STATE.get(r.status, r.status)}"
            + (f", {r.refund_amount} EUR" if r.status == "refunded" and r.refund_amount else "")
            + f" (since {day(r.status_since)})"
            for r in rows
        ]
        dispatcher.utter_message(response="utter_refund_status", returns="\n".join(lines))
        return []
