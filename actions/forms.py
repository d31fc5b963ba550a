"""What the form validators share: failure counting, early exits, leaving a form.

Two failed answers in one form hand the customer to a person (the counter lives in the
`failed_attempts` slot and is reset whenever a form ends; HandoffFormValidation acts on it).
A message that is not an answer (another request, closing words, a stray "yes") is recognised
before any slot is validated (actions/interruptions.py): the form is left, steps aside for a
question, or asks again, and no failure is counted.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from sqlalchemy.exc import SQLAlchemyError

from actions import interruptions
from actions.common import crm, crm_or_apology, customer_id, run_action, session_events
from actions.form_slots import FORM_SLOTS, reset_form_slots
from actions.handover import hand_over
from actions.locales import language_of, phrase
from crm_store.values.addresses import parse_address
from actions.resolving import ASKS_FOR_LIST, FORM_PURPOSES, correction_number, resolve, say_taken
from actions.problems import reason_category
from crm_store.services import ticket_rules
from actions.values import order_number, parse_rating
from crm_store.errors import OrderNotFound
from nlu.follow_ups import WHEN_BACK
from crm_store.services import customers, orders
from crm_store.values import normalize_email, normalize_order_id, normalize_phone

MAX_FAILURES = 2
# What a form is in the customer's words, for "OK, I'll leave the return for now".
FORM_TOPICS = {
    "cancel_order_form": "cancellation",
    "return_form": "return",
    "address_form": "address change",
    "lead_form": "business inquiry",
    "feedback_form": "feedback",
}
# Something typed as an order number that is not one ("AB-12", "A-1042", "#123456").
_ORDER_ATTEMPT = re.compile(r"(?<![\w@.])(?:[A-Za-z]{1,3}\s?-?\s?|#\s?)?\d{2,9}(?![\w@.])")
_ORDER_WORDS = re.compile(r"\b(?:order|number|no\.?|nr\.?|#)\b", re.IGNORECASE)


def _intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def reject(
    dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, response: str, **kwargs: Any
) -> dict[str, Any]:
    """Say what was wrong and count it; the second failure hands over (HandoffFormValidation).

    A message that was another request ("thanks", a confident question) is not a failed answer.
    """
    failures = int(tracker.get_slot("failed_attempts") or 0) + interruptions.meant_as_answer(*_intent(tracker))
    dispatcher.utter_message(response=response, **kwargs)
    return {slot: None, "failed_attempts": float(failures)}


def _words(tracker: Tracker) -> list[str]:
    return (tracker.latest_message.get("text") or "").split()


def _entity(tracker: Tracker, name: str) -> bool:
    return next(tracker.get_latest_entity_values(name), None) is not None


def _short(tracker: Tracker, most: int) -> bool:
    """A name or a company: a few words, no question, no order number."""
    text = tracker.latest_message.get("text") or ""
    return 0 < len(text.split()) <= most and "?" not in text and not _entity(tracker, "order_id")


def _rating(tracker: Tracker) -> bool:
    return parse_rating(tracker.latest_message.get("text") or "") is not None


# How a message is recognised as a value for each slot, whatever the classifier said about it. Slots
# not listed (and values these miss) are weighed by intent alone (actions/interruptions.py).
_FITS = {
    "order_id": lambda t: _entity(t, "order_id") and len(_words(t)) <= 4,
    "item": lambda t: _entity(t, "product"),
    "reason": lambda t: reason_category(t.latest_message.get("text") or "") != "other",
    "address": lambda t: parse_address(t.latest_message.get("text") or "") is not None,
    "confirmed": lambda t: yes_or_no(None, t.latest_message.get("text") or "") is not None and len(_words(t)) <= 3,
    "confirm_cancel": lambda t: yes_or_no(None, t.latest_message.get("text") or "") is not None and len(_words(t)) <= 3,
    "contact_name": lambda t: _short(t, 4),
    "company": lambda t: _short(t, 5),
    "email": lambda t: _entity(t, "email") or bool(normalize_email(t.latest_message.get("text") or "")),
    "phone": lambda t: _entity(t, "phone") or bool(normalize_phone(t.latest_message.get("text") or "")),
    "volume": lambda t: bool(re.search(r"\d", t.latest_message.get("text") or "")) and len(_words(t)) <= 8,
    "rating": _rating,
    "feedback_comment": lambda t: True,
}


def _just_asked(tracker: Tracker, form: str) -> bool:
    """The validator runs on the customer's reply to the form's question (not on a resume after
    another action answered a question, nor when the form starts)."""
    if (tracker.active_loop or {}).get("name") != form or not tracker.get_slot("requested_slot"):
        return False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in (form, "action_extract_slots", "action_listen"):
            return False
    return False


def _before_this_message(tracker: Tracker, slot: str) -> Any:
    """A slot's value before the latest message's extraction set it."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def _interrupt(kind: str, form: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """The events for a message that is not an answer (see actions/interruptions.py).

    LEAVE and ASIDE reject the form's turn (ActionExecutionRejected: the form is not recorded as
    having run), so the rules in nlu/rules/ see the message as the customer's latest request; LEAVE
    also ends the form first, so those are the rules outside any form.
    """
    slot = tracker.get_slot("requested_slot")
    if kind == interruptions.REASK:
        return [SlotSet(slot, None)]  # the form asks its question again
    if kind == interruptions.ASIDE:
        undo = [SlotSet(s, _before_this_message(tracker, s)) for s in tracker.slots_to_validate()]
        return [ActionExecutionRejected(form), *undo]
    # What the form collected is forgotten; an order or product the new message names stays in focus.
    left = [ActionExecutionRejected(form), *reset_form_slots(), SlotSet("requested_slot", None), ActiveLoop(None)]
    if kind == interruptions.STOP:
        # Nothing else in the message to handle: say so and wait ("no" to "anything else?" closes).
        dispatcher.utter_message(response="utter_form_stopped")
        return [*left, SlotSet("requested_info", "anything_else"), FollowupAction("action_listen")]
    if _intent(tracker)[0] in interruptions.OWN_INTENTS.get(form, ()):
        # The form's own request again ("no wait, return the headphones instead") starts it afresh.
        # Rasa predicts no action just rejected, so the form is named as the follow-up.
        return [*left, FollowupAction(form)]
    if form in FORM_TOPICS:
        dispatcher.utter_message(response="utter_form_left", topic=FORM_TOPICS[form])
    return left


def acknowledge_waiting(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict] | None:
    """ "OK, I'll wait a few more days" (whatever the classifier made of it): nothing to open, the way
    back is said; None for any other message."""
    if not ticket_rules.only_waiting(tracker.latest_message.get("text") or ""):
        return None
    dispatcher.utter_message(text=phrase("waiting_then", language_of(tracker)))
    return [SlotSet("requested_info", "anything_else")]


_RECORD = re.compile(r"\b([TDR])-\d{5}\b")


def answer_when_back(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict] | None:
    """ "When will someone get back to me?" after a ticket, a business enquiry or a return was opened in
    this conversation: when, from the newest of them; None for any other message (or none opened)."""
    if not WHEN_BACK.search(tracker.latest_message.get("text") or ""):
        return None
    for event in reversed(session_events(tracker)):
        if event.get("event") != "bot":
            continue
        found = _RECORD.findall(event.get("text") or "")
        number = _RECORD.search(event.get("text") or "")
        if not found or number is None:
            continue
        record = number.group(0)
        key = {"D": "when_back_deal", "T": "when_back_ticket"}.get(found[0], "when_back_return")
        dispatcher.utter_message(text=phrase(key, language_of(tracker), record=record))
        return [SlotSet("requested_info", "anything_else")]
    return None


class HandoffFormValidation:
    """Mixin before FormValidationAction: a message that is not an answer leaves the form, steps
    aside or asks again (actions/interruptions.py); the second failed answer ends the form and
    queues a person.

    Not an Action itself, so the action server does not try to register it.
    """

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        form = self.name().removeprefix("validate_")  # type: ignore[attr-defined]
        text = tracker.latest_message.get("text") or ""
        opening_email = (
            tracker.get_slot("requested_slot") is None
            and "order_id" in FORM_SLOTS.get(form, ())
            and next(tracker.get_latest_entity_values("email"), None)
            and not next(tracker.get_latest_entity_values("order_id"), None)
        )
        if (
            (tracker.get_slot("requested_slot") == "order_id" and normalize_email(text)) or opening_email
        ) and not known_customer(tracker):
            # "hi, my email is …, where is my order?" opens with it: the code goes there at once.
            # A visitor answers "which order?" with their email: a code goes there, and the request
            # goes on once it is typed (actions/verification.py).
            return [
                *run_action("action_link_account", dispatcher, tracker, domain),
                SlotSet("order_id", None),
                SlotSet("requested_slot", None),
            ]
        if tracker.get_slot("requested_slot") and ticket_rules.only_waiting(text):
            # "hmm ok, I'll wait then" to "which order?": no answer to the question, and nothing to do.
            return [
                *(acknowledge_waiting(dispatcher, tracker) or []),
                *reset_form_slots(),
                SlotSet("requested_slot", None),
            ]
        if _just_asked(tracker, form) and not (
            "order_id" in FORM_SLOTS.get(form, ()) and correction_number(tracker, form)
        ):
            slot = tracker.get_slot("requested_slot")
            fits = slot in _FITS and _FITS[slot](tracker)
            kind = interruptions.interruption(
                form, slot, *_intent(tracker), tracker.latest_message.get("text") or "", fits
            )
            if kind:
                return _interrupt(kind, form, dispatcher, tracker)
        events = await super().run(dispatcher, tracker, domain)  # type: ignore[misc]
        if correction_number(tracker, form) and "order_id" in FORM_SLOTS.get(form, ()):
            kept = [e.get("value") for e in events if e.get("event") == "slot" and e.get("name") == "order_id"]
            if kept and kept[-1]:
                events += [SlotSet(s, None) for s in _ORDER_DEPENDENT if s in FORM_SLOTS[form]]
        failures = [e.get("value") for e in events if e.get("event") == "slot" and e.get("name") == "failed_attempts"]
        if not failures or (failures[-1] or 0) < MAX_FAILURES:
            return events
        return [
            *events,
            SlotSet("requested_slot", None),
            *hand_over(dispatcher, tracker, "form", f"two failed answers in {form.replace('_', ' ')}"),
        ]


def give_up(slot: str) -> dict[str, Any]:
    """End the form early (Rasa stops a form whose validator clears requested_slot)."""
    return {slot: None, "requested_slot": None}


def looks_like_bad_order_number(text: str) -> bool:
    """A reply that tries to be an order number and is not one (so we can say what the format is)."""
    text = (text or "").strip()
    if normalize_order_id(text) or len(text) > 40:
        return False
    attempt = _ORDER_ATTEMPT.search(text)
    leftover = _ORDER_ATTEMPT.sub("", text)
    return bool(attempt) and len(_ORDER_WORDS.sub("", leftover).strip(" .,:;!?-")) <= 12


# Inside a longer message: something written as an order number that is not one ("where is AB-12",
# "check A-1042"). Ticket, return, deal and refund numbers (T-, R-, D-, F-) are not attempts.
_ORDER_ATTEMPT_IN_TEXT = re.compile(
    r"(?<![\w@.-])(?![TRDFtrdf]-\d)(?:[A-Za-z]{1,2}-\d{1,9}|[Aa]\d{3,9}|#\s?\d{1,9})(?![\w@.-])"
)


def bad_order_number_in(text: str) -> str | None:
    """An order-number attempt in a message that does not read as a valid order number."""
    for match in _ORDER_ATTEMPT_IN_TEXT.finditer(text or ""):
        if not normalize_order_id(match.group(0)):
            return match.group(0)
    return None


class OrderIdExtraction:
    """Form validators mix this in: a malformed order number is answered with the expected format,
    and an order this chat asked about but may not see yet stays the order in focus."""

    async def extract_order_id(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        form = self.name().removeprefix("validate_")  # type: ignore[attr-defined]
        corrected = correction_number(tracker, form)
        if (
            corrected
            and tracker.get_slot("order_id")
            and corrected != slot_before_this_turn(tracker, "order_id")
            and tracker.get_slot("requested_slot") not in (None, "order_id")
        ):
            # "no, I meant 10424" while we ask about A-10423: the new order replaces it and what was
            # asked about the old one is asked again.
            return {"order_id": corrected}
        if next(tracker.get_latest_entity_values("order_id"), None):
            return {}
        unverified = tracker.get_slot("unverified_order")
        if tracker.get_slot("requested_slot") is None and not tracker.get_slot("order_id") and unverified:
            # "where is A-10423?" (not linked yet) ... "when will it arrive?": still A-10423, whose
            # look-up then repeats the linking step instead of asking "which order?".
            return {"order_id": unverified}
        if tracker.get_slot("order_id"):
            return {}
        text = tracker.latest_message.get("text") or ""
        if correction_number(tracker, form):
            return {"order_id": correction_number(tracker, form)}
        asked = tracker.get_slot("requested_slot")
        if asked is None and bad_order_number_in(text):  # the opening message: "where is order AB-12"
            return {"order_id": f"invalid:{bad_order_number_in(text)}"}
        if asked == "order_id" and looks_like_bad_order_number(text):
            return {"order_id": f"invalid:{text}"}
        if form == "order_status_form" and asked is None and ASKS_FOR_LIST.search(text):
            return {}  # "show me my orders": all of them are listed (action_ask_order_id), none taken
        if asked in (None, "order_id"):
            # No number: "the second one", "the lamp", or the request alone may fit exactly one order.
            found = self._resolved(dispatcher, tracker)
            if found:
                return {"order_id": found}
        return {}

    def _resolved(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> str | None:
        """The one order of this customer's that the message (or the request alone) fits, said aloud."""
        form = self.name().removeprefix("validate_")  # type: ignore[attr-defined]
        found = resolve(tracker, FORM_PURPOSES.get(form, "status"))
        if found is None or not found.chosen:
            return None
        say_taken(dispatcher, tracker, found)
        return found.chosen


# A yes given about the order in focus; a corrected order number asks for it again.
_ORDER_DEPENDENT = ("confirmed", "confirm_cancel")


_YES = re.compile(
    r"^\W*(y|ya|yes+|yeah|yep|yup|sure|ok(ay)?|correct|right|do it|go ahead|please do|confirm(ed)?|👍|✅|👌)\b",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\W*(n|no+|nope|nah|don'?t|do not|wrong|incorrect|not (that|right)|cancel that|👎|❌)\b", re.IGNORECASE
)


_YES_EMOJI, _NO_EMOJI = ("👍", "✅", "👌", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿"), ("👎", "❌")


def emoji_only(text: str) -> bool:
    """No letters or digits at all ("🙂", "😂😂", "🤔"): punctuation and pictures only."""
    stripped = (text or "").strip()
    return bool(stripped) and not any(ch.isalnum() for ch in stripped)


def yes_or_no(intent: str | None, text: str) -> str | None:
    """'yes' / 'no' for a confirmation answer, from the intent or, failing that, the words or emoji.

    An emoji alone is yes or no only when it is a thumbs-up / tick or thumbs-down / cross: a smile
    or a laugh is no consent, whatever the classifier made of it.
    """
    if emoji_only(text):
        emojis = (text or "").strip()
        return "yes" if emojis in _YES_EMOJI else "no" if emojis in _NO_EMOJI else None
    if (
        intent == "affirm"
        or (intent != "deny" and _YES.match(text or ""))
        or (text or "").strip() in ("👍", "✅", "👌")
    ):
        return "yes"
    if intent in ("deny", "stop") or _NO.match(text or "") or (text or "").strip() in ("👎", "❌"):
        return "no"
    return None


def own_order(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> orders.OrderView | dict[str, Any]:
    """The customer's order named by a form answer, or the slot update that re-asks or gives up."""
    number = order_number(value)
    if number is None:
        return reject(dispatcher, tracker, "order_id", "utter_order_id_invalid")
    try:
        with crm_or_apology(dispatcher, tracker, "order look-up") as crm_down:
            uow = crm()
            return orders.lookup(uow, number, customer_id(uow, tracker))
    except OrderNotFound:
        return order_not_found(dispatcher, tracker, number)
    if crm_down:
        return give_up("order_id")


def slot_before_this_turn(tracker: Tracker, slot: str) -> Any:
    """The value `slot` had before the latest customer message (its extraction may have overwritten it)."""
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    return next(
        (e.get("value") for e in reversed(events[:last_user]) if e.get("event") == "slot" and e.get("name") == slot),
        None,
    )


def order_not_found(dispatcher: CollectingDispatcher, tracker: Tracker, number: str) -> dict[str, Any]:
    """An order number the customer's account does not have. A chat nobody is linked to yet (a new
    web visitor: no email on record) and the order this chat still has to link (unverified_order) get
    the linking step, as "where is my order …" does, and end the form; a known customer is asked again."""
    if number == tracker.get_slot("unverified_order") or not known_customer(tracker):
        dispatcher.utter_message(response="utter_order_needs_verification", order_id=number)
        return {"order_id": None, "requested_slot": None, "unverified_order": number}
    return reject(dispatcher, tracker, "order_id", "utter_order_not_found", order_id=number)


def order_not_on_account(dispatcher: CollectingDispatcher, tracker: Tracker, number: str) -> list[dict[str, Any]]:
    """The same answer outside a form (a double charge, a refund, a missing parcel), as events."""
    if number == tracker.get_slot("unverified_order") or not known_customer(tracker):
        dispatcher.utter_message(response="utter_order_needs_verification", order_id=number)
        return [SlotSet("order_id", None), SlotSet("unverified_order", number)]
    dispatcher.utter_message(response="utter_order_not_found", order_id=number)
    return [SlotSet("order_id", None)]


def known_customer(tracker: Tracker) -> bool:
    """Whether this chat belongs to a customer with an email on record (a visitor's has none)."""
    try:
        uow = crm()
        return bool(customers.profile(crm(), customer_id(uow, tracker)).email)
    except SQLAlchemyError:
        return True  # the usual "couldn't find it" then; the look-up itself just worked


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def visitor_email(tracker: Tracker) -> str | None:
    """The email in the latest message ("hi, my email is …, where is my order?") when this chat is a
    visitor's: what proves who they are, whatever the rest of the message was read as."""
    found = next(tracker.get_latest_entity_values("email"), None) or next(
        (normalize_email(m.group(0)) for m in _EMAIL.finditer(tracker.latest_message.get("text") or "")), None
    )
    return found if found and not known_customer(tracker) else None


def last_user_text(tracker: Tracker, intents: tuple[str, ...]) -> str:
    """Text of the latest user message with one of `intents` (a button click has none)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and (event.get("parse_data") or {}).get("intent", {}).get("name") in intents:
            return event.get("text") or ""
    return tracker.latest_message.get("text") or ""


class ActionLeaveForm(Action):
    """After action_deactivate_loop on "stop": forget the half-filled form."""

    def name(self) -> str:
        return "action_leave_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(response="utter_form_stopped")
        return reset_form_slots()
