"""Receipt photos: read by OCR, confirmed by the customer, attached in the CRM.

A photo (intent send_photo) is read off the event loop; the customer sees what was
read with yes / no buttons. Yes attaches it to the return, payment ticket or order
the conversation is about; no asks which field is wrong and takes the right value
(receipt_correction_form). A form the photo interrupted is put aside and resumed.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, customer_id
from actions.forms import order_number
from actions.locales import day_and_month, language_of, money, phrase
from crm_store.errors import CrmError
from crm_store.ocr import ImageRejected, OcrOptions, UnreadableImage, read_receipt_async
from crm_store.services import receipts
from crm_store.settings import get_settings
from crm_store.values import parse_amount, parse_date, parse_number
from crm_store.values.currencies import SYMBOLS

log = logging.getLogger(__name__)

_LABELS = {"order_number": "order number", "date": "date", "total": "total"}
_EXAMPLES = {
    "order_number": "It looks like A-10423.",
    "date": "For example 12 March 2026 or 12.03.2026.",
    "total": "For example 89.90.",
}
_FIELD_WORDS = {
    "order_number": ("order", "number"),
    "date": ("date", "day", "when"),
    "total": ("total", "amount", "price", "sum", "paid"),
}
_FIGURE = re.compile(r"\d[\d.,']*")
_RECEIPT_SLOTS = ("receipt_id", "receipt_context", "receipt_resume", "receipt_field", "receipt_value")


def latest_photo_path(tracker: Tracker) -> str | None:
    """The stored image of the latest message, as its channel recorded it (relative to VAR_DIR)."""
    metadata = tracker.latest_message.get("metadata") or {}
    for item in metadata.get("attachments") or []:
        if isinstance(item, dict) and isinstance(item.get("path"), str) and item["path"]:
            return item["path"]
    return None


def stored_file(var_path: Path, relative: str, sender_id: str) -> Path | None:
    """The upload a channel stored for this sender (var/uploads/<channel>/<sender>/...), else None.

    Channels file uploads by sender, so a conversation can only ever read its own
    photos, whatever a path in the metadata claims.
    """
    candidate = (var_path / relative).resolve()
    uploads = (var_path / "uploads").resolve()
    try:
        channel_dir, sender_dir = candidate.relative_to(uploads).parts[:2]
    except ValueError:
        return None
    if sender_dir != sender_id or not channel_dir or not candidate.is_file():
        return None
    return candidate


def context_of(tracker: Tracker) -> str | None:
    """What the conversation is about right now: a return, a payment problem, or nothing."""
    if tracker.active_loop_name == "return_form":
        return "return"
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "session_started":
            break
        if kind == "action" and event.get("name") in ("action_create_return", "return_form"):
            return "return"
        if kind == "action" and event.get("name") == "utter_payment_help":
            return "payment"
    return None


def session_start(tracker: Tracker) -> datetime:
    for event in reversed(tracker.events):
        if event.get("event") == "session_started" and event.get("timestamp"):
            return datetime.utcfromtimestamp(float(event["timestamp"]))
    return datetime.utcnow() - timedelta(days=1)


def summary(view: receipts.ReadingView, today: date | None = None, language: str = "en") -> str:
    """'order A-10423 from 12 March, total €89.90' ('Bestellung A-10423 vom 12. März, Summe 89,90 €')."""
    today = today or date.today()
    text = (
        phrase("receipt_order", language, number=view.order_number)
        if view.order_number
        else phrase("a_receipt", language)
    )
    if view.date:
        day = date.fromisoformat(view.date)
        text += " " + phrase("receipt_from", language, date=day_and_month(day, language, day.year != today.year))
    if view.total is not None:
        symbol = SYMBOLS.get(view.currency or "")
        if language != "en" and view.currency:
            amount = money(view.total, language, view.currency)
        else:
            amount = f"{symbol}{view.total:.2f}" if symbol else f"{view.total:.2f} {view.currency or ''}".strip()
        text += phrase("receipt_total", language, money=amount)
    return text


def _resume(form: str | None) -> list[dict[str, Any]]:
    return [FollowupAction(form)] if form else []


class ActionReadReceipt(Action):
    def name(self) -> str:
        return "action_read_receipt"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        form = tracker.active_loop_name
        settings = get_settings()
        relative = latest_photo_path(tracker)
        path = stored_file(settings.var_path, relative, tracker.sender_id) if relative else None
        if path is None:
            dispatcher.utter_message(response="utter_receipt_no_image")
            return _resume(form)
        try:
            reading = await read_receipt_async(path, OcrOptions.from_settings(settings))
        except ImageRejected as exc:
            dispatcher.utter_message(response="utter_receipt_rejected", reason=str(exc))
            return _resume(form)
        except UnreadableImage:
            reading = None
        if reading is None or not reading.fields.readable:
            log.info("receipt unreadable", extra={"sender_id": tracker.sender_id})
            dispatcher.utter_message(response="utter_receipt_unreadable")
            return _resume(form)
        with crm_or_apology(dispatcher, tracker, "receipt reading") as crm_down:
            uow = crm()
            view = receipts.record_reading(
                uow,
                customer_id(uow, tracker),
                tracker.sender_id,
                relative or "",
                reading.text,
                reading.fields,
                datetime.utcnow(),
            )
        if crm_down:
            return _resume(form)
        log.info(
            "receipt read",
            extra={
                "sender_id": tracker.sender_id,
                "reading_id": view.id,
                "fields": list(reading.fields.found),
                "seconds": round(reading.seconds, 2),
            },
        )
        dispatcher.utter_message(response="utter_receipt_read", summary=summary(view, language=language_of(tracker)))
        events = [
            SlotSet("receipt_id", str(view.id)),
            SlotSet("receipt_context", context_of(tracker)),
            SlotSet("receipt_resume", form),
        ]
        if form:  # put the form aside: its free-text slots would take the "yes" as an answer
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events


class ActionConfirmReceipt(Action):
    def name(self) -> str:
        return "action_confirm_receipt"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        reading_id, form = tracker.get_slot("receipt_id"), tracker.get_slot("receipt_resume")
        events = [SlotSet(slot, None) for slot in _RECEIPT_SLOTS]
        if not reading_id:
            dispatcher.utter_message(response="utter_receipt_nothing_pending")
            return events + _resume(form)
        try:
            with crm_or_apology(dispatcher, tracker, "receipt confirmation") as crm_down:
                uow = crm()
                view = receipts.confirm_reading(
                    uow,
                    int(reading_id),
                    customer_id(uow, tracker),
                    tracker.get_slot("receipt_context"),
                    session_start(tracker),
                    datetime.utcnow(),
                )
        except CrmError:
            dispatcher.utter_message(response="utter_receipt_nothing_pending")
            return events + _resume(form)
        if crm_down:
            return events + _resume(form)
        log.info(
            "receipt confirmed",
            extra={"reading_id": view.id, "attached_to": view.process, "attached_id": view.process_id},
        )
        response = {
            "return": "utter_receipt_attached_return",
            "ticket": "utter_receipt_attached_ticket",
            "order": "utter_receipt_attached_order",
        }.get(view.process or "", "utter_receipt_kept")
        dispatcher.utter_message(
            response=response, summary=summary(view, language=language_of(tracker)), number=view.process_number
        )
        if form and view.order_number and not tracker.get_slot("order_id"):
            events.append(SlotSet("order_id", view.order_number))  # the form need not ask for it
        return events + _resume(form)


class ValidateReceiptCorrectionForm(FormValidationAction):
    def name(self) -> str:
        return "validate_receipt_correction_form"

    async def extract_receipt_field(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        if tracker.get_slot("requested_slot") != "receipt_field" or tracker.get_slot("receipt_field"):
            return {}
        words = (tracker.latest_message.get("text") or "").lower()
        for field, keys in _FIELD_WORDS.items():
            if any(key in words for key in keys):
                return {"receipt_field": field}
        return {}

    def validate_receipt_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
        if not tracker.get_slot("receipt_id"):
            dispatcher.utter_message(response="utter_receipt_nothing_pending")
            return {"receipt_field": None, "requested_slot": None}
        return {"receipt_field": value if value in _LABELS else None}

    def validate_receipt_value(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
        field = tracker.get_slot("receipt_field")
        parsed = parse_value(field, str(value or ""))
        if parsed is None:
            dispatcher.utter_message(
                response="utter_receipt_value_invalid",
                label=_LABELS.get(field, "value"),
                example=_EXAMPLES.get(field, ""),
            )
        return {"receipt_value": parsed}


def parse_value(field: str | None, text: str) -> str | None:
    """A corrected value through the project's one parser for its kind."""
    if field == "order_number":
        return order_number(text.strip())
    if field == "date":
        return parse_date(text)
    if field == "total":
        amount = parse_amount(text)
        if amount:
            return amount[0]
        figures = _FIGURE.findall(text)  # "it was 21.50": the figure without a currency
        number = parse_number(figures[-1]) if figures else None
        return str(number) if number is not None else None
    return None


class ActionAskReceiptValue(Action):
    def name(self) -> str:
        return "action_ask_receipt_value"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(
            response="utter_ask_receipt_value", label=_LABELS.get(tracker.get_slot("receipt_field"), "value")
        )
        return []


class ActionCorrectReceipt(Action):
    def name(self) -> str:
        return "action_correct_receipt"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        reading_id, field, value = (tracker.get_slot(s) for s in ("receipt_id", "receipt_field", "receipt_value"))
        events = [SlotSet("receipt_field", None), SlotSet("receipt_value", None)]
        if not (reading_id and field and value):
            return events
        try:
            with crm_or_apology(dispatcher, tracker, "receipt correction") as crm_down:
                uow = crm()
                view = receipts.correct_reading(uow, int(reading_id), customer_id(uow, tracker), field, value)
        except CrmError:
            dispatcher.utter_message(response="utter_receipt_nothing_pending")
            return events
        if crm_down:
            return events
        dispatcher.utter_message(response="utter_receipt_read", summary=summary(view, language=language_of(tracker)))
        return events
