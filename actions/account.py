"""Account linking, re-confirmation and data erasure, each proven with a one-time code.

The code goes to the email on record (crm_store.code_delivery); the customer types it
here and `action_verify_code` finishes whatever it was asked for.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import crm, crm_unavailable, customer_id
from actions.orders import answer_status
from crm_store.code_delivery import DeliveryFailed, deliver_code
from crm_store.errors import CrmError, VerificationFailed
from crm_store.services import linking, orders, tickets
from crm_store.settings import get_settings
from crm_store.values import normalize_email
from crm_store.values.references import order_numbers

_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def _chat(tracker: Tracker) -> tuple[str, str]:
    return tracker.get_latest_input_channel() or "rest", tracker.sender_id


def send_code(dispatcher: CollectingDispatcher, tracker: Tracker, purpose: str, response: str, **ask: Any) -> bool:
    """Ask for a code and tell the customer; False when none was sent.

    For "link" the reply is the same whether or not anything matched; for the other
    purposes the chat already is the customer, so a missing email on record is said plainly.
    """
    channel, sender = _chat(tracker)
    settings = get_settings()
    try:
        to_send = linking.request_code(crm(), channel, sender, datetime.utcnow(), settings.link_attempts_per_hour,
                                       purpose=purpose, **ask)
        if to_send is None and purpose != "link":
            dispatcher.utter_message(response="utter_code_no_email")
            return False
        if to_send is not None:
            deliver_code(settings, to_send.email, to_send.code, purpose)
    except linking.TooManyRequests:
        dispatcher.utter_message(response="utter_code_too_many")
        return False
    except DeliveryFailed:
        dispatcher.utter_message(response="utter_code_not_sent")
        return False
    dispatcher.utter_message(response=response, order_id=ask.get("order_number"))
    return True


def fresh_code_needed(dispatcher: CollectingDispatcher, tracker: Tracker, owner: int) -> bool:
    """Before cancelling or changing an address on a chat linked by code: ask for a fresh code."""
    channel, sender = _chat(tracker)
    if not linking.needs_fresh_code(crm(), channel, sender, owner, datetime.utcnow()):
        return False
    send_code(dispatcher, tracker, "reauth", "utter_reauth_needed", customer_id=owner)
    return True


class ActionLinkAccount(Action):
    """The customer sent the email of an order we could not show them: send a code there."""

    def name(self) -> str:
        return "action_link_account"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        number = tracker.get_slot("unverified_order")
        email = next(tracker.get_latest_entity_values("email"), None) or normalize_email(tracker.latest_message.get("text") or "")
        if not number or not email:
            dispatcher.utter_message(response="utter_default")
            return []
        try:
            # The same reply whether or not the order or the email exists.
            send_code(dispatcher, tracker, "link", "utter_link_code_sent", order_number=number, email=email)
        except SQLAlchemyError:
            crm_unavailable(dispatcher, tracker, "link code")
        return []


class ActionVerifyCode(Action):
    def name(self) -> str:
        return "action_verify_code"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        found = _CODE.search(tracker.latest_message.get("text") or "")
        if not found and order_numbers(tracker.latest_message.get("text") or ""):
            # The classifier sees digits: a bare order number read as a code is a plain answer.
            from actions.answers import ActionAnswer  # actions.answers imports this module

            return ActionAnswer().run(dispatcher, tracker, domain)
        if not found:
            dispatcher.utter_message(response="utter_code_wrong")
            return []
        channel, sender = _chat(tracker)
        now = datetime.utcnow()
        try:
            uow = crm()
            purpose, owner = linking.verify_code(uow, channel, sender, found.group(1), now)
            if purpose == "link":
                dispatcher.utter_message(response="utter_account_linked")
                number = tracker.get_slot("unverified_order")
                if number:
                    try:
                        answer_status(dispatcher, orders.lookup(uow, number, owner))
                        # Now it is theirs, it is the order in focus ("when will it arrive?", "return it").
                        return [SlotSet("unverified_order", None), SlotSet("order_id", number)]
                    except CrmError:
                        pass
                return [SlotSet("unverified_order", None)]
            if purpose == "forget":
                ticket = tickets.open_ticket(uow, owner, "Delete my personal data (GDPR request, verified by code)", now,
                                             description="Run `crmbot customer forget` after checking open orders and returns.",
                                             priority="high", sender_id=sender)
                dispatcher.utter_message(response="utter_forget_requested", ticket=ticket.number)
                return []
            dispatcher.utter_message(response="utter_reauth_ok")
        except VerificationFailed:
            dispatcher.utter_message(response="utter_code_wrong")
        except SQLAlchemyError:
            crm_unavailable(dispatcher, tracker, "code check")
        return []


class ActionRequestErasure(Action):
    """"Delete my data": a code to the email on record, then a ticket for the team."""

    def name(self) -> str:
        return "action_request_erasure"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        try:
            uow = crm()
            send_code(dispatcher, tracker, "forget", "utter_forget_code_sent", customer_id=customer_id(uow, tracker))
        except SQLAlchemyError:
            crm_unavailable(dispatcher, tracker, "erasure request")
        return []


class ActionUnlinkAccount(Action):
    def name(self) -> str:
        return "action_unlink_account"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        channel, sender = _chat(tracker)
        try:
            linking.unlink(crm(), channel, sender, datetime.utcnow())
            dispatcher.utter_message(response="utter_unlinked")
        except SQLAlchemyError:
            crm_unavailable(dispatcher, tracker, "unlink")
        return [SlotSet("unverified_order", None)]
