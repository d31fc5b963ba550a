"""Login help: the standard answer first; when the reset email did not come, what to check and a new link
by hand offered; our team sends it (a high-priority ticket) once the customer agrees or asks for it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, customer_id
from actions.locales import language_of, phrase
from crm_store.services import ticket_rules, tickets

# requested_info while a new link by hand is offered: the yes to it opens the ticket (actions/answers.py).
RESET_OFFER = "ticket:reset_not_received"
SUBJECT = "Password reset email not received"
# "please send me one manually", "can your team send a new link": the link by hand, asked for in so many words.
_BY_HAND = re.compile(
    r"\b(?:by hand|manually|send (?:me )?(?:a new (?:one|link)|another(?: one| link)?|one yourselves))\b", re.I
)


def wants_link_by_hand(tracker: Tracker, text: str) -> bool:
    return (
        tracker.get_slot("requested_info") == RESET_OFFER
        or ticket_rules.asks_for_a_ticket(text)
        or bool(_BY_HAND.search(text or ""))
    )


class ActionAccountHelp(Action):
    def name(self) -> str:
        return "action_account_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(response="utter_account_help")
        return [SlotSet("requested_info", "ticket:account_help")]


class ActionResendReset(Action):
    """The reset email did not arrive: first what to check (spam, the account's address) and a new link by
    hand offered; on the yes, or asked for in so many words, our team sends it (a high-priority ticket, one
    per customer while it is open)."""

    def name(self) -> str:
        return "action_resend_reset"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        language = language_of(tracker)
        if not wants_link_by_hand(tracker, tracker.latest_message.get("text") or ""):
            # Spam folder, the account's address, the link's 24 hours first; the link by hand is offered.
            dispatcher.utter_message(
                text=phrase("reset_check_first", language),
                buttons=[
                    {"title": phrase("offer_ticket_yes", language), "payload": "/affirm"},
                    {"title": phrase("no_thanks", language), "payload": "/deny"},
                ],
            )
            return [SlotSet("requested_info", RESET_OFFER)]
        with crm_or_apology(dispatcher, tracker, "reset resend") as crm_down:
            uow = crm()
            owner = customer_id(uow, tracker)
            open_one = next((t for t in tickets.open_tickets(crm(), owner) if t.subject == SUBJECT), None)
            if open_one is not None:
                dispatcher.utter_message(text=phrase("reset_ticket_open", language, ticket=open_one.number))
                return [SlotSet("requested_info", None)]
            ticket = tickets.open_ticket(
                crm(),
                owner,
                SUBJECT,
                datetime.utcnow(),
                description=tracker.latest_message.get("text") or "",
                priority="high",
                sender_id=tracker.sender_id,
            )
        if crm_down:
            return []
        dispatcher.utter_message(response="utter_reset_resent", ticket_id=ticket.number)
        return [SlotSet("requested_info", None)]
