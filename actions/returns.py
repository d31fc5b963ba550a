"""Returns: the form collects order, item and reason; the action opens the return."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, customer_id
from actions.locales import language_of, phrase, warranty_route
from actions.address import confirmation
from actions.forms import (
    HandoffFormValidation,
    OrderIdExtraction,
    give_up,
    order_not_found,
    order_number,
    reject,
    reset_form_slots,
    slot_before_this_turn,
    yes_or_no,
)
from crm_store.errors import CrmError, InvalidTransition, OrderNotFound
from crm_store.services import orders, returns
from crm_store.settings import get_settings
from sqlalchemy.exc import SQLAlchemyError
from crm_store.values import normalize_order_id
from crm_store.values.sizes import parse_size
from actions.problems import exchange_kind, item_problem, reason_category
from actions.forms import answer_when_back
from actions.tickets import WARRANTY, answer_warranty, warranty_order


_REQUEST = re.compile(
    r"\b(return|send (?:it |them )?back|refund|exchange|swap|replace|money back|order|a-\d{5})\b", re.I
)
_GREETING = re.compile(r"^\s*(hi|hello|hey|hiya|good (?:morning|afternoon|evening))\b[\s,!.]*$", re.I)


def reason_clause(text: str) -> str | None:
    """The part of an opening message that says why ("…, they hurt my ears after an hour"), if any."""
    clauses = [
        c.strip(" .!?")
        for c in re.split(r"[,;.!?]|\b(?:because|as|since|but|coz|cause)\b", text or "")
        if c and c.strip(" .!?")
    ]
    why = [c for c in clauses if not _REQUEST.search(c) and not _GREETING.match(c) and len(c.split()) >= 3]
    return why[-1] if why else None


def reason_with_category(text: str) -> str:
    """'wrong size (it's too small for me)': the category we act on and the customer's own words."""
    words = " ".join(text.split())
    category = reason_category(words)
    if category == "other" or words.lower() == category:
        return words
    return f"{category} ({words[:200]})"


def _items(tracker: Tracker, number: str) -> tuple[str, ...]:
    uow = crm()
    return returns.returnable_items(uow, number, customer_id(uow, tracker))


_HOW_TO_SEND = re.compile(
    r"^\W*(?:so |and |ok )?(?:how|where|what)\b.*\b(?:send|post|ship|return|drop|label|pack)", re.I
)


_FAULTS = ("defective", "damaged", "missing part")


def _warranty_route(tracker: Tracker, number: str) -> str | None:
    """The warranty route when the item has a fault and the order was delivered before the return window."""
    said = " ".join(str(v) for v in (tracker.get_slot("reason"), tracker.latest_message.get("text")) if v)
    if item_problem(said) not in _FAULTS:
        return None
    try:
        uow = crm()
        order = orders.lookup(uow, number, customer_id(uow, tracker))
    except (CrmError, SQLAlchemyError):
        return None
    if order.status != "delivered":
        return None
    settings = get_settings()
    return warranty_route(
        order.status_since,
        datetime.utcnow(),
        settings.return_window_days,
        settings.warranty_months,
        language_of(tracker),
    )


class ValidateReturnForm(HandoffFormValidation, OrderIdExtraction, FormValidationAction):
    def name(self) -> str:
        return "validate_return_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        if tracker.get_slot("requested_slot") is None:
            claimed = answer_warranty(dispatcher, tracker)  # "ok, open the warranty claim" read as a return
            if claimed is None:
                claimed = answer_when_back(dispatcher, tracker)  # "when do u get back to me" read as a return
            if claimed is not None:
                return [*claimed, SlotSet("requested_slot", None)]
        opened = tracker.get_slot("return_id")
        text = tracker.latest_message.get("text") or ""
        if (
            opened
            and tracker.get_slot("requested_slot") is None
            and _HOW_TO_SEND.search(text)
            and not next(tracker.get_latest_entity_values("order_id"), None)
        ):
            # "How do I send them back?" right after we opened the return: how, not a second return.
            dispatcher.utter_message(response="utter_return_how", return_id=opened)
            return [SlotSet("requested_slot", None)]
        return await super().run(dispatcher, tracker, domain)

    async def extract_item(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        # A product named in the message that started the form ("return the earbuds") counts.
        # So does the product in focus when the form starts ("how much is the lamp?" ... "return it").
        product = next(tracker.get_latest_entity_values("product"), None)
        if product is None and tracker.get_slot("requested_slot") is None:
            product = tracker.get_slot("product")
        return {"item": product} if product and not tracker.get_slot("item") else {}

    async def extract_reason(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        # "I want to return the shoes, they're too small": the reason is in the opening message,
        # named by its category or said in a clause of its own ("…, they hurt my ears").
        if tracker.get_slot("reason") or tracker.get_slot("requested_slot") in (
            "reason",
            "confirmed",
            "item",
            "order_id",
        ):
            return {}
        text = tracker.latest_message.get("text") or ""
        if reason_category(text) != "other":
            return {"reason": text}
        clause = reason_clause(text)
        return {"reason": clause} if clause else {}

    def validate_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        return confirmation("confirmed", value, dispatcher, tracker, on_no={"reason": None, "item": None})

    def validate_order_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        number = order_number(value)
        if number is None:
            return reject(dispatcher, tracker, "order_id", "utter_order_id_invalid")
        try:
            with crm_or_apology(dispatcher, tracker, "return look-up") as crm_down:
                items = _items(tracker, number)
        except OrderNotFound:
            return order_not_found(dispatcher, tracker, number)
        except InvalidTransition as exc:
            dispatcher.utter_message(response="utter_cannot_return", reason=str(exc))
            return {"order_id": number, "requested_slot": None}
        if crm_down:
            return give_up("order_id")
        warranty = _warranty_route(tracker, number)
        if warranty:
            # A fault found after the return window: a warranty claim (a ticket), not a return.
            dispatcher.utter_message(text=phrase("warranty_offer", language_of(tracker), warranty=warranty))
            return {
                **{slot: None for slot in ("item", "reason", "confirmed")},
                "order_id": number,
                "requested_slot": None,
                "requested_info": f"{WARRANTY}{number}",
            }
        item = tracker.get_slot("item")
        matched = returns.match_item(items, item) if item else None
        if matched is None and len(items) == 1:
            matched = items[0]  # one item in the order: nothing to ask
        return {"order_id": number, "item": matched}

    def validate_item(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        number = tracker.get_slot("order_id")
        if not number:  # checked against the order once we know it
            return {"item": value}
        try:
            with crm_or_apology(dispatcher, tracker, "return look-up") as crm_down:
                items = _items(tracker, number)
        except InvalidTransition as exc:  # the order named meanwhile cannot be returned (not shipped yet)
            dispatcher.utter_message(response="utter_cannot_return", reason=str(exc))
            return {"item": None, "requested_slot": None}
        except OrderNotFound:
            return order_not_found(dispatcher, tracker, number)
        if crm_down:
            return give_up("item")
        matched = returns.match_item(items, str(value))
        if matched is None:
            return reject(
                dispatcher, tracker, "item", "utter_item_not_in_order", order_id=number, items=", ".join(items)
            )
        said = tracker.latest_message.get("text") or ""
        if not tracker.get_slot("reason") and reason_category(said) != "other":
            # "the gloves, i just don't like them": the item asked for, and the reason with it.
            return {"item": matched, "reason": reason_clause(said) or said}
        return {"item": matched}

    def validate_reason(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        reason = " ".join(value) if isinstance(value, list) else str(value or "").strip()
        said = (tracker.latest_message.get("text") or "").strip()
        asked = tracker.get_slot("requested_slot")
        if asked == "reason" and normalize_order_id(said):
            return {"reason": None}  # the order number typed again is no reason: the question stands
        if asked == "reason" and said and not said.startswith("/"):
            if _bare_yes_or_no(tracker):
                # "yes" / "hmm no" is no reason, and no failed answer either: the question did not ask
                # for yes or no. action_ask_reason asks it again in other words, with choices.
                return {"reason": None}
            reason = said  # the customer's own words, not only the phrase the entity extractor saw
        elif (
            asked is None
            and said
            and not said.startswith("/")
            and reason.lower() in said.lower()
            and len(reason) < len(said)
        ):
            # Opening message: keep the customer's words around the reason phrase ("too small … swap for a 43").
            reason = said
        if len(reason) < 3:
            return reject(dispatcher, tracker, "reason", "utter_reason_too_short")
        kind = tracker.get_slot("return_kind") or "return"
        if kind == "swap":  # asked for an exchange_item: another size / colour, or the same item intact?
            kind = exchange_kind(f"{reason} {tracker.latest_message.get('text') or ''}")
        # The category goes with the reason in English only: the read-back shows the reason as written.
        english = language_of(tracker) == "en"
        return {"reason": reason_with_category(reason) if english else reason, "return_kind": kind}


def _bare_yes_or_no(tracker: Tracker) -> bool:
    said = (tracker.latest_message.get("text") or "").strip()
    return bool(yes_or_no((tracker.latest_message.get("intent") or {}).get("name"), said)) and len(said.split()) <= 3


class ActionAskReason(Action):
    """ "Why are you returning it?"; after a bare "yes" or "no" to it, the same question in other
    words with the usual reasons as buttons (the first wording evidently did not land)."""

    def name(self) -> str:
        return "action_ask_reason"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if slot_before_this_turn(tracker, "requested_slot") == "reason" and _bare_yes_or_no(tracker):
            dispatcher.utter_message(response="utter_ask_reason_choices")
        else:
            dispatcher.utter_message(response="utter_ask_reason")
        return []


class ActionCreateReturn(Action):
    def name(self) -> str:
        return "action_create_return"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        number, item, reason = (tracker.get_slot(s) for s in ("order_id", "item", "reason"))
        kind = {"swap": "exchange", None: "return"}.get(
            tracker.get_slot("return_kind"), tracker.get_slot("return_kind")
        )
        if number and item and reason and tracker.get_slot("confirmed") == "yes":
            # An exchange stores the size wanted ("size 43"), not the sentence it was asked in.
            wanted = (
                None
                if kind == "return"
                else ("the same item, intact and complete" if kind == "replacement" else parse_size(reason) or reason)
            )
            try:
                with crm_or_apology(dispatcher, tracker, "return"):
                    uow = crm()
                    ret = returns.open_return(
                        uow,
                        customer_id(uow, tracker),
                        number,
                        item,
                        reason,
                        datetime.utcnow(),
                        kind=kind,
                        wanted=wanted,
                    )
                    response = "utter_return_created" if kind == "return" else "utter_exchange_created"
                    dispatcher.utter_message(
                        response=response, return_id=ret.number, item=ret.item, order_id=number, return_kind=kind
                    )
                    return [*reset_form_slots(), SlotSet("return_id", ret.number)]
            except CrmError as exc:
                dispatcher.utter_message(text=phrase("crm_refused", language_of(tracker), reason=str(exc)))
        if warranty_order(tracker):  # the form ended on the warranty route: its yes is still to come
            return [*reset_form_slots(), SlotSet("requested_info", tracker.get_slot("requested_info"))]
        return reset_form_slots()
