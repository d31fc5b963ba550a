"""Tickets: a complaint or a problem opens one; ticket status lists the open ones."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import crm, crm_unavailable, customer_id, day, focused_order
from actions.forms import last_user_text, order_number
from actions.handoff import hand_over
from crm_store.services import tickets
from actions.problems import is_frustrated, problems_in

log = logging.getLogger(__name__)

_TOPICS = {"complaint": "Complaint", "payment_problem": "Payment problem", "account_help": "Account problem"}


class ActionOpenTicket(Action):
    def name(self) -> str:
        return "action_open_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        latest = (tracker.latest_message.get("intent") or {}).get("name")
        # The message itself, unless it is only the "yes" to a ticket offered after an earlier message.
        text = tracker.latest_message.get("text") or "" if latest in (*_TOPICS, "nlu_fallback") else last_user_text(tracker, tuple(_TOPICS))
        topic = next((e["parse_data"]["intent"]["name"] for e in reversed(tracker.events) if e.get("event") == "user"
                      and e["parse_data"]["intent"].get("name") in _TOPICS), "complaint")
        priority = tickets.priority_for(text)
        number = focused_order(tracker)
        problems = problems_in(text)
        try:
            uow = crm()
            owner = customer_id(uow, tracker)
            if len(problems) > 1:
                return self._each_problem(dispatcher, tracker, owner, text, problems, number)
            ticket = tickets.open_ticket(crm(), owner, tickets.subject_from(text, _TOPICS[topic]),
                                         datetime.utcnow(), description=text, priority=priority,
                                         order_number=number, sender_id=tracker.sender_id)
        except SQLAlchemyError:
            crm_unavailable(dispatcher, tracker, "ticket")
            return []
        log.info("ticket opened", extra={"ticket_id": ticket.id, "priority": priority})
        if topic == "complaint" and priority == "high":
            # A complaint in strong words does not wait for the ticket queue: a person takes over now.
            dispatcher.utter_message(response="utter_ticket_opened", ticket_id=ticket.number)
            return [SlotSet("order_id", None), *hand_over(dispatcher, tracker, "complaint", "complaint in strong words")]
        response = "utter_ticket_opened_urgent" if priority == "high" else "utter_ticket_opened"
        dispatcher.utter_message(response=response, ticket_id=ticket.number)
        return [SlotSet("requested_info", None)]

    @staticmethod
    def _each_problem(dispatcher: CollectingDispatcher, tracker: Tracker, owner: int, text: str,
                      problems: list[tuple[str, str]], number: str | None) -> list[dict]:
        """A message with several problems: acknowledge it whole, then one ticket per problem."""
        lines = []
        for kind, title in problems:
            ticket = tickets.open_ticket(crm(), owner, title + (f" ({number})" if number else ""), datetime.utcnow(),
                                         description=text, priority="high" if kind in ("damaged", "double_charge") else
                                         tickets.priority_for(text), order_number=number, sender_id=tracker.sender_id)
            lines.append(f"- {title.lower()}: ticket {ticket.number}")
        sorry = "I'm really sorry, that's a lot going wrong at once. " if is_frustrated(text) else "I'm sorry about this. "
        dispatcher.utter_message(response="utter_several_problems", sorry=sorry, count=len(problems), problems="\n".join(lines))
        return [SlotSet("requested_info", None)]


class ActionTicketStatus(Action):
    def name(self) -> str:
        return "action_ticket_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        try:
            uow = crm()
            rows = tickets.open_tickets(uow, customer_id(uow, tracker))
        except SQLAlchemyError:
            crm_unavailable(dispatcher, tracker, "ticket look-up")
            return []
        if not rows:
            dispatcher.utter_message(response="utter_no_open_tickets")
            return []
        lines = [f"- {t.number} \"{t.subject}\": {t.status.replace('_', ' ')} since {day(t.status_since)}"
                 f"{' (high priority)' if t.priority == 'high' else ''}" for t in rows]
        dispatcher.utter_message(response="utter_ticket_status", tickets="\n".join(lines))
        return []
