"""Answers to short questions about what the assistant just did (nlu/follow_ups.py says which one;
nlu/components/follow_up_policy.py routes the message here). Each answer is what docs/shop.md promises,
with the numbers from the settings; a follow-up on an order's status or a warranty claim goes to the
skill that owns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, customer_id, focused_order, run_action, session_events
from actions.forms import answer_when_back
from actions.locales import language_of, phrase
from actions.tickets import answer_warranty
from crm_store.services import shop_answers, tickets
from crm_store.settings import get_settings
from nlu.follow_ups import History, follow_up


def history(tracker: Tracker) -> History:
    """The session's messages before the latest one, as nlu/follow_ups.py reads them."""
    said: list[tuple[str, str]] = [
        (str(e["event"]), e.get("text") or "") for e in session_events(tracker) if e.get("event") in ("user", "bot")
    ]
    if said and said[-1][0] == "user":
        said.pop()
    return said


def _answers() -> dict[str, str]:
    settings = get_settings()
    processing, bank = settings.refund_processing_days, settings.refund_bank_days
    tracking = (
        "On the carrier's tracking page (the tracking link of your order) you can pick another delivery day "
        "or have the parcel sent to a pickup point instead."
    )
    return {
        "erasure:how_long": "Our team completes the deletion within 30 days and confirms it by email.",
        "erasure:orders_kept": "Orders we must keep for tax law stay on file, but without your name or contact "
        "details; everything else is deleted.",
        "parcel_missing:not_found": "If the carrier can't find the parcel, we send you a replacement or refund you, "
        "whichever you prefer.",
        "parcel_missing:when": "You'll hear from our team within one working day.",
        "delivery_attempt:again": "If they miss you again, after the last attempt the parcel waits at a pickup "
        "point (a post office or parcel locker); the tracking page shows which one and until when. " + tracking,
        "delivery_attempt:was_home": "I'm sorry, that's really frustrating. The carrier tries again, usually on the "
        "next working day. " + tracking + " If you'd like our team to raise the missed deliveries with the carrier, "
        "I can open a ticket.",
        "delivery_attempt:reschedule": "Yes: you can reschedule the delivery yourself. " + tracking,
        "delivery_attempt:where": tracking + " After the last attempt it also shows the pickup point (post office "
        "or parcel locker) where the parcel waits.",
        "delivery_attempt:wait": "Alright: the carrier tries again, usually on the next working day, and the "
        "tracking page shows the next attempt.",
        "return:cost": "No, returns are free: the prepaid DHL return label costs you nothing.",
        "return:new_item": "We send the new one as soon as yours is on its way back to us, so once you've dropped "
        "off the parcel it's on its way.",
        "return:refund": f"Once the item reaches us, the refund is issued within {processing} working days to your "
        f"original payment method; your bank may need up to {bank} more working days to show it.",
        "return:label": "We email you the prepaid return label within one working day.",
        "return:drop_off": "Stick the label on the parcel and drop it at any DHL Packstation or post office within "
        "14 days.",
        "refund:when": f"The refund goes back to your card or PayPal within {processing} working days; your bank "
        f"may need up to {bank} more working days to show it.",
        "payment:charged_no_order": f"Money taken without an order comes back automatically within {processing} "
        "working days; you don't need to do anything.",
        "cancelled:refund": "If you had already paid, the money goes back to your original payment method within "
        "5 working days of the cancellation.",
        "promo:make_one": "Sorry, I really can't: discount codes can't be created or handed out in the chat, not even "
        "small ones. Current offers are on our website.",
        "reservation:sold_out": "If it sells out, it's usually back in stock within two weeks.",
        "invoice:vat": shop_answers.VAT_ANSWER,
        "return:keep_rest": "Alright: only the item in the return goes back, the rest stays with you.",
        "payment:will_try": "Good luck! If it still doesn't work, let me know and I'll open a ticket for our "
        "payments team.",
        "warranty:claim": "Great: you can send the photo right here in the chat, or reply to our email with it.",
        "lead:prices": "Prices and discounts for bulk orders are agreed with our business team: they go through "
        "them with you when they contact you, within one working day.",
        "invoice:self_service": "You'll find every invoice in your account under Account > Orders, and it also "
        "comes with your order confirmation email.",
    }


# Answers composed in the customer's language (actions/phrasebook.py).
_PHRASED = {
    "late:what_now": "follow_up_late_what_now",
    "ticket:need_from_me": "follow_up_ticket_need",
    "address_locked:insist": "follow_up_address_locked",
    "cancel_locked:insist": "follow_up_cancel_locked",
}

_RESPONSES = {
    "payment_methods:payment_methods": "utter_faq/payment_methods",
    "opening_hours:contact": "utter_faq/contact",
}


class ActionFollowUp(Action):
    def name(self) -> str:
        return "action_follow_up"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        key = follow_up(tracker.latest_message.get("text") or "", history(tracker)) or ""
        if key == "code:code":
            return run_action("action_verify_code", dispatcher, tracker, domain)
        if key == "status:status":
            return run_action("action_check_order", dispatcher, tracker, domain)
        if key == "parcel_missing:claim":
            # "checked with the neighbours, nothing": the claim already runs; its number again, no second ticket.
            return run_action("action_parcel_missing", dispatcher, tracker, domain)
        if key in ("reset_offer:by_hand", "login_help:not_received"):
            # "checked spam too, nothing" / "send me one manually" to the new link offered: our team sends it.
            return run_action("action_resend_reset", dispatcher, tracker, domain)
        if key == "promo_failed:check":
            return _check_code(dispatcher, tracker)
        if key in ("rating:rating", "anything_else:rating"):
            return run_action("action_answer", dispatcher, tracker, domain)
        if key == "record:when_back":
            when = answer_when_back(dispatcher, tracker)
            if when is not None:
                return when
        if key == "warranty:claim":
            claimed = answer_warranty(dispatcher, tracker)
            if claimed is not None:
                return claimed
        if key in _PHRASED:
            dispatcher.utter_message(text=phrase(_PHRASED[key], language_of(tracker)))
            return [SlotSet("requested_info", None)]
        if key in _RESPONSES:
            dispatcher.utter_message(response=_RESPONSES[key])
            return []
        answer = _answers().get(key)
        if answer is None:
            dispatcher.utter_message(response="utter_anything_else")
            return [SlotSet("requested_info", "anything_else")]
        dispatcher.utter_message(text=answer)
        return [SlotSet("requested_info", None)]


def _check_code(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
    """Yes to "our team can check the code": one ticket, with the order in focus and the customer's words."""
    said = [e.get("text") or "" for e in session_events(tracker) if e.get("event") == "user"]
    with crm_or_apology(dispatcher, tracker, "discount code ticket") as crm_down:
        uow = crm()
        ticket = tickets.open_ticket(
            crm(),
            customer_id(uow, tracker),
            "Discount code did not work",
            datetime.utcnow(),
            description=" / ".join(t for t in said[-2:] if t),
            priority="normal",
            order_number=focused_order(tracker),
            sender_id=tracker.sender_id,
        )
    if crm_down:
        return []
    dispatcher.utter_message(text=phrase("code_ticket_opened", language_of(tracker), ticket=ticket.number))
    return [SlotSet("requested_info", None), SlotSet("ticket_id", ticket.number)]
