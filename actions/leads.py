"""Business inquiries: the lead form collects a contact and becomes a deal in stage "new"."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, customer_id, everyday_instead
from actions.address import confirmation
from actions.forms import HandoffFormValidation, reject, reset_form_slots
from actions.locales import language_of, phrase
from crm_store.services import deals
from crm_store.values import normalize_email, normalize_phone, parse_quantity
from crm_store.values.people import parse_company, parse_person_name
from nlu.follow_ups import WHEN_BACK

log = logging.getLogger(__name__)

_PHONE_LIKE = re.compile(r"^\+?[\d\s()./-]{7,22}$")
# Details given all at once ("company is Bohnenhaus, email …, phone …, about 40 presses a quarter").
_EMAIL_IN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_IN = re.compile(r"(?<![\w@])\+?\d[\d ()/.-]{5,20}\d(?![\w@])")
_COMPANY_SUFFIX = r"(?:GmbH|AG|KG|UG|Ltd|Inc|LLC|BV|B\.V\.|NV|SA|SAS|SARL|SL|Srl|S\.r\.l\.|s\.r\.o\.|Oy|AB|SpA|Solutions|Systems|Labs|Group)"
_COMPANY_IN = re.compile(
    r"\b(?:(?:company|studio|shop|store|firm|business|cafe|gym|agency|practice|restaurant|hotel)(?: name)? is|company:|"
    r"we are|we're|i'm from|i am from|i work (?:at|for)|(?:purchasing|procurement|buying|working) (?:at|for)|on behalf of)\s+"
    r"(?:a |an |the )?(?:[a-z]+ )?\(?([A-Z][\w&'.-]*(?:\s+(?:[A-Z][\w&'.-]*|GmbH|AG|Ltd|Inc|LLC|&))*)"
    r"|\(([A-Z][\w&'.-]*(?:\s+[A-Z][\w&'.-]*)*)\)"
    # "Tom Keller, Keller IT Solutions, t.keller@…": a name that ends like a company's
    r"|(?:^|[,.;]\s*)([A-Z][\w&'.-]*(?:\s+[A-Z][\w&'.-]*)*\s+" + _COMPANY_SUFFIX + r")(?=[\s,.;]|$)"
)
_NAME_IN = re.compile(
    r"\b(?i:my name is|my name's|i'm|i am|this is)\s+([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+){0,2})"
    r"(?:\s+(?i:from|at|with|of)\s+([A-Z][\w&'.-]*(?:\s+(?:[A-Z][\w&'.-]*|" + _COMPANY_SUFFIX + r"|&))*))?"
)
_NAME_HERE = re.compile(r"\b([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+){1,2})\s+(?i:here)\b()")
_VOLUME_IN = re.compile(
    r"(?:\b(?:about|around|roughly|approx\.?|some|maybe)\s+)?\b\d[\d,.]*\s+(?!\d)[a-z][a-z -]{1,40}?"
    r"(?:\s+(?:a|per|every|each)\s+(?:month|week|year|quarter)|(?=[,.;!?]|$|\s+(?:and\s+\d|contact|email|phone|call)))"
    r"(?:\s+and\s+\d[\d,.]*\s+[a-z][a-z -]{1,40}?(?=[,.;!?]|$|\s+(?:contact|email|phone|call)))?",
    re.I,
)


def details_in(text: str) -> dict[str, str]:
    """Company, email, phone and volume found in one message (each only when it is clearly there)."""
    found: dict[str, str] = {}
    email = _EMAIL_IN.search(text or "")
    if email and normalize_email(email.group(0)):
        found["email"] = normalize_email(email.group(0)) or ""
    rest = _EMAIL_IN.sub(" ", text or "")
    for match in _PHONE_IN.finditer(rest):
        digits = re.sub(r"\D", "", match.group(0))
        if 7 <= len(digits) <= 15 and (
            normalize_phone(match.group(0).strip()) or _PHONE_LIKE.match(match.group(0).strip())
        ):
            found["phone"] = normalize_phone(match.group(0).strip()) or match.group(0).strip()
            rest = rest.replace(match.group(0), " ")
            break
    company = _COMPANY_IN.search(rest)
    if company:
        # up to the end of its sentence ("Lumen Labs BV. We'd like ..." -> "Lumen Labs BV")
        named = company.group(1) or company.group(2) or company.group(3)
        found["company"] = _company(re.split(r"(?<=\w\w)[.;]\s", named)[0])
    name = _NAME_IN.search(rest) or _NAME_HERE.search(rest)
    if name and parse_person_name(name.group(1)):
        found["contact_name"] = parse_person_name(name.group(1)) or ""
        if name.group(2) and "company" not in found:  # "I'm Jana Novak from Bohnenhaus GmbH"
            found["company"] = _company(re.split(r"(?<=\w\w)[.;]\s", name.group(2))[0])
    elif "company" in found:
        # "Tom Keller, Keller IT Solutions, ...": the person named right before their company
        before = re.search(r"([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+){1,2})\s*,\s*" + re.escape(found["company"]), rest)
        if before and parse_person_name(before.group(1)):
            found["contact_name"] = parse_person_name(before.group(1)) or ""
    volume = _VOLUME_IN.search(rest)
    if volume:
        found["volume"] = " ".join(volume.group(0).split())
    return found


def _company(named: str) -> str:
    """A company name without the punctuation around it; a dotted legal form keeps its dot ("s.r.o.")."""
    named = named.strip(" ,;")
    return named if re.search(r"\.\w\.$", named) else named.rstrip(" .")


_NUMBER_WORDS = re.compile(r"\b(dozens?|hundreds?|thousands?|million|k)\b", re.IGNORECASE)


def _text(value: Any) -> str:
    return " ".join(str(v) for v in value) if isinstance(value, list) else " ".join(str(value or "").split())


def _unfilled(tracker: Tracker, details: dict[str, str]) -> dict[str, str]:
    """Details found in the message for slots still empty (several values in one message fill several slots)."""
    return {slot: value for slot, value in details.items() if value and not tracker.get_slot(slot)}


_DETAILS = ("contact_name", "company", "email", "phone", "volume")
# Events after which the form is not simply going on (left, stepped aside, handed over, restarted).
_NOT_GOING_ON = ("action_execution_rejected", "active_loop", "followup", "pause")


def _since_form_started(tracker: Tracker) -> list[dict[str, Any]]:
    """The events since the lead form last started (the whole session if it has not)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "session_started" or (
            event.get("event") == "active_loop" and event.get("name") == "lead_form"
        ):
            return events[index + 1 :]
    return events


def details_asked(tracker: Tracker) -> list[str]:
    """The lead details the form has asked for one by one since it started (the read-back not counted)."""
    asked = [
        e.get("value")
        for e in _since_form_started(tracker)
        if e.get("event") == "slot" and e.get("name") == "requested_slot" and e.get("value") in _DETAILS
    ]
    return list(dict.fromkeys(str(a) for a in asked))


def read_back(tracker: Tracker) -> bool:
    """Whether this enquiry was read back to the customer before it was passed on."""
    return any(
        e.get("event") == "slot" and e.get("name") == "requested_slot" and e.get("value") == "confirmed"
        for e in _since_form_started(tracker)
    )


def _taken_as_typed(tracker: Tracker, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A complete enquiry the customer typed themselves (their name included, at most one detail asked
    for) goes to the business team at once, and the reply says what was stored. One put together by
    asking, or without a name, is read back first (ActionAskLeadFormConfirmed)."""
    if any(e.get("event") in _NOT_GOING_ON for e in events) or tracker.get_slot("confirmed"):
        return []
    values = {s: tracker.get_slot(s) for s in _DETAILS}
    for event in events:
        if event.get("event") == "slot" and event.get("name") in values:
            values[event["name"]] = event.get("value")
    if not all(values.values()) or len(details_asked(tracker)) > 1:
        return []
    # The form ends here (no requested slot) and the lead is created next, as after a yes to the read-back.
    return [SlotSet("confirmed", "yes"), SlotSet("requested_slot", None), FollowupAction("action_create_lead")]


class ValidateLeadForm(HandoffFormValidation, FormValidationAction):
    def name(self) -> str:
        return "validate_lead_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if tracker.get_slot("requested_slot") == "confirmed" and WHEN_BACK.search(
            tracker.latest_message.get("text") or ""
        ):
            # "When will someone call me?" at the read-back: answered, and the read-back asked again.
            dispatcher.utter_message(text=phrase("lead_when_back", language_of(tracker)))
            return [SlotSet("confirmed", None)]
        if not tracker.get_slot("requested_slot"):
            # "I need the invoice for my employer", "any discount codes?": read as business talk, but
            # an everyday request; answered, and no contact details asked for.
            answered = everyday_instead(dispatcher, tracker, domain)
            if answered is not None:
                return [*answered, *reset_form_slots(), SlotSet("requested_slot", None)]
        events = await super().run(dispatcher, tracker, domain)
        return [*events, *_taken_as_typed(tracker, events)]

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> list[str]:
        # A customer who sent the business details at once is not held up for a name: the team
        # writes to the email given (and the read-back lets them add a name if they like).
        given = sum(1 for s in ("company", "email", "phone") if tracker.get_slot(s))
        if not tracker.get_slot("contact_name") and given >= 2:
            return [s for s in domain_slots if s != "contact_name"]
        return domain_slots

    async def _extract_detail(self, slot: str, tracker: Tracker) -> dict:
        if tracker.get_slot(slot) or tracker.get_slot("requested_slot") == slot:
            return {}
        value = details_in(tracker.latest_message.get("text") or "").get(slot)
        return {slot: value} if value else {}

    async def extract_contact_name(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        return await self._extract_detail("contact_name", tracker)

    async def extract_company(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        return await self._extract_detail("company", tracker)

    async def extract_email(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        return await self._extract_detail("email", tracker)

    async def extract_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        return await self._extract_detail("phone", tracker)

    async def extract_volume(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        return await self._extract_detail("volume", tracker)

    def validate_contact_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
        said = tracker.latest_message.get("text") or ""
        details = details_in(said)
        # Only the name is stored ("my name is Jana Novak, thanks" -> "Jana Novak"); details given with it fill their slots.
        name = parse_person_name(_text(value)) or details.get("contact_name")
        if name and 2 <= len(name) <= 100:
            return {**_unfilled(tracker, details), "contact_name": name}
        if len(details) >= 2:
            return {
                **_unfilled(tracker, details),
                "contact_name": None,
            }  # the business details, no name: not asked again
        return {
            **_unfilled(tracker, details),
            **reject(dispatcher, tracker, "contact_name", "utter_contact_name_invalid"),
        }

    def validate_company(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        said = tracker.latest_message.get("text") or ""
        company = (
            parse_company(_text(value))
            if tracker.get_slot("requested_slot") == "company"
            else parse_company(_text(value)) or _text(value)
        )
        details = details_in(said)
        if company and 2 <= len(company) <= 150:
            return {**_unfilled(tracker, details), "company": company}
        # An email or phone given instead of the company fills its own slot, never this one.
        return {**_unfilled(tracker, details), **reject(dispatcher, tracker, "company", "utter_company_invalid")}

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
        answer = confirmation(
            "confirmed",
            value,
            dispatcher,
            tracker,
            on_no={"contact_name": None, "company": None, "email": None, "phone": None, "volume": None},
        )
        if "company" in answer:  # the no: say that nothing went anywhere before the details are asked again
            dispatcher.utter_message(text=phrase("lead_not_passed", language_of(tracker)))
        return answer

    def validate_volume(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        volume = _text(value)
        if (
            not (parse_quantity(volume) or re.search(r"\d", volume) or _NUMBER_WORDS.search(volume))
            or len(volume) > 100
        ):
            return reject(dispatcher, tracker, "volume", "utter_volume_invalid")
        return {"volume": volume}


class ActionCreateLead(Action):
    def name(self) -> str:
        return "action_create_lead"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        values = {s: tracker.get_slot(s) for s in ("contact_name", "company", "email", "phone", "volume")}
        values["contact_name"] = values["contact_name"] or ""
        if all(v for k, v in values.items() if k != "contact_name") and tracker.get_slot("confirmed") == "yes":
            with crm_or_apology(dispatcher, tracker, "lead"):
                uow = crm()
                deal = deals.create_lead(uow, deals.Lead(**values), datetime.utcnow(), customer_id(uow, tracker))
                log.info("lead captured", extra={"deal_id": deal.id})
                if not read_back(tracker) and values["contact_name"]:
                    # Taken as typed: what was stored is said here, the customer saw no read-back.
                    dispatcher.utter_message(
                        text=phrase(
                            "lead_taken",
                            language_of(tracker),
                            name=values["contact_name"],
                            deal=deal.number,
                            who=f"{values['contact_name']}, {values['company']}",
                            email=values["email"],
                            phone=values["phone"],
                            volume=values["volume"],
                        )
                    )
                else:
                    dispatcher.utter_message(
                        response="utter_lead_created",
                        deal_id=deal.number,
                        **{**values, "contact_name": values["contact_name"] or values["company"]},
                    )
        return reset_form_slots()


class ActionAskLeadFormConfirmed(Action):
    """The read-back before a lead goes to sales (with or without a contact name)."""

    def name(self) -> str:
        return "action_ask_lead_form_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        name, company, email, phone, volume = (
            tracker.get_slot(s) for s in ("contact_name", "company", "email", "phone", "volume")
        )
        language = language_of(tracker)
        who = phrase("lead_who", language, name=name, company=company) if name else company
        dispatcher.utter_message(
            text=phrase("lead_readback", language, who=who, email=email, phone=phone, volume=volume),
            buttons=[
                {"title": phrase("yes_send_it", language), "payload": "/affirm"},
                {"title": phrase("no", language), "payload": "/deny"},
            ],
        )
        return []
