"""Login help: the standard answer first; when the reset email did not come, a person sends a new link."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, customer_id
from crm_store.services import tickets


class ActionAccountHelp(Action):
    def name(self) -> str:
        return "action_account_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(response="utter_account_help")
        return [SlotSet("requested_info", "ticket:account_help")]


class ActionResendReset(Action):
    """The reset email did not arrive: repeating "use Forgot password" would not help, so our team
    sends a new link by hand (a high-priority ticket), and the customer is told what to check meanwhile."""

    def name(self) -> str:
        return "action_resend_reset"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        with crm_or_apology(dispatcher, tracker, "reset resend") as crm_down:
            uow = crm()
            ticket = tickets.open_ticket(
                uow,
                customer_id(uow, tracker),
                "Password reset email not received",
                datetime.utcnow(),
                description=tracker.latest_message.get("text") or "",
                priority="high",
                sender_id=tracker.sender_id,
            )
        if crm_down:
            return []
        dispatcher.utter_message(response="utter_reset_resent", ticket_id=ticket.number)
        return [SlotSet("requested_info", None)]
