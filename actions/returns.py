"""Returns: the form collects order, item and reason; the action opens the return."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import crm, crm_unavailable, customer_id
from actions.forms import HandoffFormValidation, give_up, order_number, reject, reset_form_slots
from crm_store.errors import CrmError, InvalidTransition, OrderNotFound
from crm_store.services import returns

def _items(tracker: Tracker, number: str) -> tuple[str, ...]:
    uow = crm()
    return returns.returnable_items(uow, number, customer_id(uow, tracker))


class ValidateReturnForm(HandoffFormValidation, FormValidationAction):
    def name(self) -> str:
        return "validate_return_form"

    async def extract_item(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        # A product named in the message that started the form ("return the earbuds") counts.
        product = tracker.get_slot("product")
        return {"item": product} if product and not tracker.get_slot("item") else {}

    def validate_order_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        number = order_number(value)
        if number is None:
            return reject(dispatcher, tracker, "order_id", "utter_order_id_invalid")
        try:
            items = _items(tracker, number)
        except OrderNotFound:
            return reject(dispatcher, tracker, "order_id", "utter_order_not_found", order_id=number)
        except InvalidTransition as exc:
            dispatcher.utter_message(response="utter_cannot_return", reason=str(exc))
            return give_up("order_id")
        except SQLAlchemyError:
            crm_unavailable(dispatcher, tracker, "return look-up")
            return give_up("order_id")
        item = tracker.get_slot("item")
        matched = returns.match_item(items, item) if item else None
        return {"order_id": number, "item": matched, "product": None}

    def validate_item(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        number = tracker.get_slot("order_id")
        if not number:  # checked against the order once we know it
            return {"item": value}
        items = _items(tracker, number)
        matched = returns.match_item(items, str(value))
        if matched is None:
            answer = reject(dispatcher, tracker, "item", "utter_item_not_in_order", order_id=number, items=", ".join(items))
            return {**answer, "product": None}
        return {"item": matched, "product": None}

    def validate_reason(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        reason = " ".join(value) if isinstance(value, list) else str(value or "").strip()
        if len(reason) < 3:
            return reject(dispatcher, tracker, "reason", "utter_reason_too_short")
        return {"reason": reason}


class ActionCreateReturn(Action):
    def name(self) -> str:
        return "action_create_return"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        number, item, reason = (tracker.get_slot(s) for s in ("order_id", "item", "reason"))
        if number and item and reason:
            try:
                uow = crm()
                ret = returns.open_return(uow, customer_id(uow, tracker), number, item, reason, datetime.utcnow())
                dispatcher.utter_message(response="utter_return_created", return_id=ret.number, item=ret.item, order_id=number)
            except CrmError as exc:
                dispatcher.utter_message(text=str(exc))
            except SQLAlchemyError:
                crm_unavailable(dispatcher, tracker, "return")
        return reset_form_slots()
