"""Change the shipping address of an order that has not shipped yet."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.account import fresh_code_needed
from actions.common import crm, crm_or_apology, customer_id
from actions.locales import language_of, phrase
from actions.resolving import resolve, say_taken
from actions.forms import (
    HandoffFormValidation,
    OrderIdExtraction,
    emoji_only,
    own_order,
    reject,
    reset_form_slots,
    slot_before_this_turn,
    yes_or_no,
)
from crm_store import stages
from crm_store.errors import CrmError
from crm_store.services import orders
from crm_store.values.addresses import parse_address


def confirmation(
    slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, on_no: dict[str, Any]
) -> dict:
    """The yes/no after a read-back: 'no' applies `on_no` (re-ask what was wrong), anything else asks again."""
    said = tracker.latest_message.get("text") or ""
    # The slot mapping turns any affirm into "yes"; an emoji alone is judged on itself.
    answer = yes_or_no(
        (tracker.latest_message.get("intent") or {}).get("name"), said if emoji_only(said) else str(value or "")
    )
    if answer == "no":
        return {slot: None, **on_no}
    if answer is None:
        return reject(dispatcher, tracker, slot, "utter_please_confirm")
    return {slot: "yes"}


def _postcode_only(value: Any, text: str) -> bool:
    """Whether the "order number" read from the message is only the postcode of the address in it."""
    address = parse_address(text)
    candidate = value[0] if isinstance(value, list) and value else value
    digits = re.sub(r"\D", "", str(candidate or ""))
    if not address or digits.lstrip("0") != address.postcode.lstrip("0"):
        return False
    return not re.search(rf"(?i)(?:\ba-?|#|\border\s*(?:no\.?|number)?\s*)0*{address.postcode}\b", text)


class ValidateAddressForm(HandoffFormValidation, OrderIdExtraction, FormValidationAction):
    def name(self) -> str:
        return "validate_address_form"

    def validate_order_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        earlier = slot_before_this_turn(tracker, "order_id")
        if earlier and tracker.get_slot("requested_slot") in ("address", "confirmed"):
            # "Lindenweg 12, 50667 Koeln" answers "what's the new address?": its postcode is no order number.
            return {"order_id": earlier}
        text = tracker.latest_message.get("text") or ""
        if _postcode_only(value, text):
            # "send it to Kastanienallee 14, 10435 Berlin": 10435 is the postcode, not an order number;
            # the order is the one the rest of the message (or the request alone) fits.
            found = resolve(tracker, "address", text.replace(str(parse_address(text).postcode), " "))  # type: ignore[union-attr]
            if found is None or not found.chosen:
                return {"order_id": None}
            say_taken(dispatcher, tracker, found)
            value = found.chosen
        order = own_order(value, dispatcher, tracker)
        if isinstance(order, dict):
            return order
        if order.status not in stages.ADDRESS_CHANGEABLE_STATUSES:
            hint = " The carrier's tracking page may let you redirect the parcel." if order.status == "shipped" else ""
            dispatcher.utter_message(
                response="utter_cannot_change_address", order_id=order.number, status=order.status, hint=hint
            )
            return {"order_id": order.number, "requested_slot": None}
        return {"order_id": order.number}

    async def extract_address(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        # An address already in the message ("change A-10424 to Torstrasse 5, 10119 Berlin") is taken, not asked for.
        if tracker.get_slot("address"):
            return {}
        found = parse_address(tracker.latest_message.get("text") or "")
        # Asked for the address, a message that parses as one is the answer whatever the classifier
        # made of it ("Lindenallee 7, 50968 Köln" read as a contact question); other answers are
        # taken as typed (the slot's from_text mapping) and checked by validate_address.
        return {"address": str(found)} if found else {}

    def validate_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        return confirmation("confirmed", value, dispatcher, tracker, on_no={"address": None})

    def validate_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        found = parse_address(str(value or ""))
        if found:
            return {"address": str(found)}
        address = " ".join(str(value or "").split())
        # A street line needs a house number and a few words; a one-word answer is not an address.
        if (
            not 10 <= len(address) <= 300
            or not re.search(r"\d", address)
            or len(re.findall(r"[^\W\d_]{2,}", address)) < 2
        ):
            return reject(dispatcher, tracker, "address", "utter_address_invalid")
        return {"address": address}


class ActionChangeAddress(Action):
    def name(self) -> str:
        return "action_change_address"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        number, address = tracker.get_slot("order_id"), tracker.get_slot("address")
        if number and address and tracker.get_slot("confirmed") == "yes":
            try:
                with crm_or_apology(dispatcher, tracker, "address change"):
                    uow = crm()
                    owner = customer_id(uow, tracker)
                    if fresh_code_needed(dispatcher, tracker, owner):  # a chat linked by code confirms again
                        return reset_form_slots()
                    order = orders.change_address(uow, number, owner, address, datetime.utcnow())
                    dispatcher.utter_message(response="utter_address_changed", order_id=order.number, address=address)
            except CrmError as exc:
                dispatcher.utter_message(text=phrase("crm_refused", language_of(tracker), reason=str(exc)))
        return reset_form_slots()
