"""Business inquiries: the lead form collects a contact and becomes a deal in stage "new"."""
from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import crm, crm_unavailable, customer_id
from actions.address import confirmation
from actions.forms import HandoffFormValidation, reject, reset_form_slots
from crm_store.services import deals
from crm_store.values import normalize_email, normalize_phone, parse_quantity

log = logging.getLogger(__name__)

_PHONE_LIKE = re.compile(r"^\+?[\d\s()./-]{7,22}$")
_NUMBER_WORDS = re.compile(r"\b(dozens?|hundreds?|thousands?|million|k)\b", re.IGNORECASE)


def _text(value: Any) -> str:
    return " ".join(str(v) for v in value) if isinstance(value, list) else " ".join(str(value or "").split())


class ValidateLeadForm(HandoffFormValidation, FormValidationAction):
    def name(self) -> str:
        return "validate_lead_form"

    def validate_contact_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        name = _text(value)
        if not 2 <= len(name) <= 100 or re.search(r"[\d@]", name):
            return reject(dispatcher, tracker, "contact_name", "utter_contact_name_invalid")
        return {"contact_name": name}

    def validate_company(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        company = _text(value)
        if not 2 <= len(company) <= 150:
            return reject(dispatcher, tracker, "company", "utter_company_invalid")
        return {"company": company}

    def validate_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        email = normalize_email(_text(value))
        return {"email": email} if email else reject(dispatcher, tracker, "email", "utter_email_invalid")

    def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        raw = _text(value)
        digits = re.sub(r"\D", "", raw)
        # Numbers phonenumbers does not know (new ranges, test numbers) still pass if they look like one.
        phone = normalize_phone(raw) or (raw if _PHONE_LIKE.match(raw) and 7 <= len(digits) <= 15 else None)
        return {"phone": phone} if phone else reject(dispatcher, tracker, "phone", "utter_phone_invalid")

    def validate_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        # "no" asks again from the name on; what the customer corrects replaces the old value.
        return confirmation("confirmed", value, dispatcher, tracker,
                            on_no={"contact_name": None, "company": None, "email": None, "phone": None, "volume": None})

    def validate_volume(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        volume = _text(value)
        if not (parse_quantity(volume) or re.search(r"\d", volume) or _NUMBER_WORDS.search(volume)) or len(volume) > 100:
            return reject(dispatcher, tracker, "volume", "utter_volume_invalid")
        return {"volume": volume}


class ActionCreateLead(Action):
    def name(self) -> str:
        return "action_create_lead"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        values = {s: tracker.get_slot(s) for s in ("contact_name", "company", "email", "phone", "volume")}
        if all(values.values()) and tracker.get_slot("confirmed") == "yes":
            try:
                uow = crm()
                deal = deals.create_lead(uow, deals.Lead(**values), datetime.utcnow(), customer_id(uow, tracker))
                log.info("lead captured", extra={"deal_id": deal.id})
                dispatcher.utter_message(response="utter_lead_created", deal_id=deal.number, **values)
            except SQLAlchemyError:
                crm_unavailable(dispatcher, tracker, "lead")
        return reset_form_slots()
