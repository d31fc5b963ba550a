"""Account linking, re-confirmation and data erasure, each proven with a one-time code.

The code goes to the email on record (crm_store.code_delivery); the customer types it
here and `action_verify_code` finishes whatever it was asked for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, customer_id, run_action
from actions.orders import answer_status
from actions.locales import language_of, phrase
from actions.pending_code import code_expected
from actions.verification import continue_after_link, open_erasure_ticket
from crm_store.code_delivery import DeliveryFailed, deliver_code
from crm_store.errors import CrmError, VerificationFailed
from crm_store.rate_limits import Limiter, limiter_for
from crm_store.services import customers, linking, orders
from crm_store.settings import get_settings
from crm_store.values import normalize_email
from crm_store.values.codes import find_code
from crm_store.values.references import order_numbers

# Several people can share one address (an office, a mobile carrier): it gets a few chats' worth.
CHATS_PER_ADDRESS = 4


def _chat(tracker: Tracker) -> tuple[str, str]:
    return tracker.get_latest_input_channel() or "rest", tracker.sender_id


def send_code(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    purpose: str,
    response: str | None,
    text: str | None = None,
    **ask: Any,
) -> bool:
    """Ask for a code and tell the customer; False when none was sent.

    For "link" the reply is the same whether or not anything matched; for the other
    purposes the chat already is the customer, so a missing email on record is said plainly.
    """
    channel, sender = _chat(tracker)
    settings = get_settings()
    if not network_allows(
        limiter_for(settings), tracker, settings.link_attempts_per_hour, settings.codes_per_ip_per_hour
    ):
        dispatcher.utter_message(response="utter_code_too_many")
        return False
    try:
        to_send = linking.request_code(
            crm(), channel, sender, datetime.utcnow(), settings.link_attempts_per_hour, purpose=purpose, **ask
        )
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
    if response:
        dispatcher.utter_message(response=response, order_id=ask.get("order_number"))
    else:
        dispatcher.utter_message(text=text)
    return True


def network_allows(limiter: Limiter, tracker: Tracker, per_chat_per_hour: int, per_address: int | None = None) -> bool:
    """Count this code request against the network address the channel saw (a keyed hash in the
    message's metadata; Telegram has none); False when that address asked too often this hour
    (`per_address` times, by default a few chats' worth)."""
    network = (tracker.latest_message.get("metadata") or {}).get("network")
    if not isinstance(network, str) or not network:
        return True
    limit = per_address if per_address is not None else per_chat_per_hour * CHATS_PER_ADDRESS
    return limiter.hit(f"code:{network}", limit, 3600)


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
        email = next(tracker.get_latest_entity_values("email"), None) or normalize_email(
            tracker.latest_message.get("text") or ""
        )
        if not email:
            dispatcher.utter_message(response="utter_default")
            return []
        with crm_or_apology(dispatcher, tracker, "link code"):
            # The same reply whether or not the order or the email exists.
            if number:
                send_code(dispatcher, tracker, "link", "utter_link_code_sent", order_number=number, email=email)
            else:
                send_code(
                    dispatcher,
                    tracker,
                    "link",
                    None,
                    email=email,
                    text=phrase("email_code_sent", language_of(tracker), email=email),
                )
        return []


class ActionVerifyCode(Action):
    def name(self) -> str:
        return "action_verify_code"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = tracker.latest_message.get("text") or ""
        found = find_code(text) if code_expected(tracker) else None
        if not found and (order_numbers(text) or not code_expected(tracker)):
            # The classifier sees digits: an order number (or digits when no code was sent) is a plain answer.
            return run_action("action_answer", dispatcher, tracker, domain)
        if not found:
            dispatcher.utter_message(response="utter_code_wrong")
            return []
        channel, sender = _chat(tracker)
        now = datetime.utcnow()
        try:
            with crm_or_apology(dispatcher, tracker, "code check"):
                uow = crm()
                purpose, owner = linking.verify_code(uow, channel, sender, found, now)
                if purpose == "link":
                    dispatcher.utter_message(response="utter_account_linked")
                    number = tracker.get_slot("unverified_order")
                    carried = continue_after_link(dispatcher, tracker, domain, uow, owner, number)
                    if carried is not None:
                        return carried
                    if number:
                        try:
                            answer_status(dispatcher, orders.lookup(uow, number, owner))
                            # Now it is theirs, it is the order in focus ("when will it arrive?", "return it").
                            return [SlotSet("unverified_order", None), SlotSet("order_id", number)]
                        except CrmError:
                            pass
                    return [SlotSet("unverified_order", None)]
                if purpose == "forget":
                    dispatcher.utter_message(
                        response="utter_forget_requested", ticket=open_erasure_ticket(uow, owner, sender, now)
                    )
                    return []
                dispatcher.utter_message(response="utter_reauth_ok")
        except VerificationFailed:
            dispatcher.utter_message(response="utter_code_wrong")
        return []


class ActionRequestErasure(Action):
    """ "Delete my data": a code to the email on record, then a ticket for the team."""

    def name(self) -> str:
        return "action_request_erasure"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        with crm_or_apology(dispatcher, tracker, "erasure request"):
            uow = crm()
            owner = customer_id(uow, tracker)
            if not customers.profile(crm(), owner).email:
                # A visitor's chat has no email on record: the account's email, then a code there,
                # and the erasure goes on once the code proved it is theirs.
                dispatcher.utter_message(text=phrase("erasure_needs_email", language_of(tracker)))
                return [SlotSet("requested_info", "email:delete_my_data")]
            send_code(dispatcher, tracker, "forget", "utter_forget_code_sent", customer_id=owner)
        return []


class ActionUnlinkAccount(Action):
    def name(self) -> str:
        return "action_unlink_account"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        channel, sender = _chat(tracker)
        with crm_or_apology(dispatcher, tracker, "unlink"):
            linking.unlink(crm(), channel, sender, datetime.utcnow())
            dispatcher.utter_message(response="utter_unlinked")
        return [SlotSet("unverified_order", None)]
