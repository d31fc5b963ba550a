"""Plain answers outside a form: "A-10423", "yes", "no, keep it", "5", "👍", "that's all".

The assistant remembers what it last asked outside a form in the `requested_info` slot:
  order:<purpose>   "which order?"          -> a number runs <purpose> for that order
  ticket:<topic>    "shall I open a ticket?" -> yes opens it, no leaves it
  handoff           "shall I get a person?"  -> yes hands off
  rating            "how would you rate us?" -> a digit (or stars) is stored as feedback
  anything_else     "anything else?"         -> no / that's all closes politely
With nothing asked, a bare order number is looked up and a bare yes / no gets a sensible turn.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import crm, crm_or_apology, customer_id, session_events
from actions.delivery import ActionParcelMissing, looked_already
from actions.everyday import ActionInvoiceCopy
from actions.faults import ActionOfferRemedy
from actions.forms import emoji_only, looks_like_bad_order_number, order_number, yes_or_no
from actions.handoff import ActionHandoff
from actions.leads import details_in
from actions.locales import language_of, phrase
from actions.account import ActionLinkAccount, ActionVerifyCode
from actions.orders import ActionCheckOrder
from actions.payments import ActionPaymentProblem
from actions.products import ActionProductInfo
from actions.values import rating_and_comment
from actions.resolving import ask_which, correction_number, resolve, say_taken, status_of_another_order
from actions.pending_code import code_expected
from actions.refunds import ActionRefundStatus
from actions.forms import answer_when_back
from actions.tickets import (
    OFFERS,
    ActionOpenTicket,
    ActionTicketStatus,
    acknowledge_waiting,
    after_ticket_list,
    answer_warranty,
    offer_ticket,
)
from crm_store.services import customers, feedback
from crm_store.values.codes import find_code, is_only_code
from crm_store.values import normalize_email

_PURPOSES = {
    "status": ActionCheckOrder,
    "parcel_missing": ActionParcelMissing,
    "payment": ActionPaymentProblem,
    "refund": ActionRefundStatus,
    "invoice": ActionInvoiceCopy,
    "remedy": ActionOfferRemedy,
}
_CLOSING = re.compile(
    r"\b(that'?s (?:all|it|everything)|nothing(?: else)?|all good|no(?:pe)?,? thanks?|i'?m good|bye)\b", re.I
)


def _short_enough_for_a_code(text: str) -> bool:
    """A message short enough to be a code said in a sentence ("ok I got it, it's 197502 thanks")."""
    return len(text.split()) <= 10


def _answered_before(tracker: Tracker) -> bool:
    """Whether the assistant already answered something in this session (more than a greeting)."""
    replies = [e for e in session_events(tracker) if e.get("event") == "bot"]
    return any(not (e.get("text") or "").rstrip().endswith("?") for e in replies)


def _rating(text: str) -> tuple[int, str | None] | None:
    """The rating (and the comment after it) in an answer to "how would you rate us?"."""
    stripped = (text or "").strip()
    if stripped in ("👍", "😊", "🙂"):
        return None
    return rating_and_comment(stripped)


# "5" or "4 - quick, but the colour was wrong" right after "anything else?": a rating, unasked but plain.
_UNASKED_RATING = re.compile(r"^\s*[1-5]\s*(?:/\s*5|stars?)?\s*(?:$|[-\u2013\u2014:,]\s*\D)", re.I)


def _run(
    action: Action, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], **slots: Any
) -> list[dict]:
    """Run another action's skill on this turn, with `slots` as it should see them."""
    tracker.slots.update(slots)
    return [*[SlotSet(k, v) for k, v in slots.items()], *action.run(dispatcher, tracker, domain)]


def close(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
    """Goodbye, and a rating question once per session if the customer has not rated us yet."""
    offered = any(
        e.get("event") == "slot" and e.get("name") == "requested_info" and e.get("value") == "rating"
        for e in session_events(tracker)
    )
    if offered or any(
        e.get("event") == "action" and e.get("name") == "action_save_feedback" for e in session_events(tracker)
    ):
        dispatcher.utter_message(response="utter_goodbye")
        return [SlotSet("requested_info", None)]
    dispatcher.utter_message(response="utter_goodbye_rate")
    return [SlotSet("requested_info", "rating")]


# "ok", "fine" to "shall I open a ticket?": heard, but no clear yes to a write (docs/shop.md: a ticket only
# when the customer asks or agrees), so asked once more; "ok ty" with nothing asked is thanks.
_ONLY_ACK = re.compile(r"^\W*(?:ok(?:ay)?|k+|fine|alright|all right|cool|i see|got it|understood|noted)\W*$", re.I)
_THANKS = re.compile(r"\b(?:thanks?|thank you|thx|ty|tyvm|cheers|ta|danke|merci|gracias|grazie)\b", re.I)


def only_thanks(text: str) -> bool:
    """A short message that thanks and asks nothing ("fine thx", "grazie!", "ok ty")."""
    return bool(_THANKS.search(text or "")) and len((text or "").split()) <= 4 and "?" not in (text or "")


_KEEP_IT = re.compile(r"\b(?:keep (?:it|them|the order)|leave it|as it is|stays?)\b", re.I)
_ABOUT_DELIVERY = re.compile(r"\b(when|arriv\w*|coming|get here|track\w*|deliver\w*|ship\w*|status)\b", re.I)


def _has_email(tracker: Tracker) -> bool:
    """Whether this chat's customer has an email on record (a new visitor's has none)."""
    try:
        uow = crm()
        return bool(customers.profile(crm(), customer_id(uow, tracker)).email)
    except SQLAlchemyError:
        return True  # the plain answer then, as before


class ActionAnswer(Action):
    def name(self) -> str:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        asked = tracker.get_slot("requested_info") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        number = (
            order_number(list(tracker.get_latest_entity_values("order_id")))
            or order_number(text)
            or correction_number(tracker)
        )
        email = next(tracker.get_latest_entity_values("email"), None) or normalize_email(text)
        answer = yes_or_no(intent, text)

        if email and len(details_in(text)) >= 3 and not asked.startswith("email:"):
            # "bulk order 500 cables. Tom Keller, Keller IT, t.keller@…, +41 …": a business enquiry, no code.
            return [FollowupAction("lead_form")]
        if email and (tracker.get_slot("unverified_order") or asked.startswith("email:") or not _has_email(tracker)):
            # The email of an order we could not show, or a visitor's email alone: a code goes there.
            return ActionLinkAccount().run(dispatcher, tracker, domain)
        if code_expected(tracker) and (
            is_only_code(text) or (find_code(text) and not number and _short_enough_for_a_code(text))
        ):
            # "123456", "123 456", "123-456", "ok got it: 439034" right after we sent a code (linking, erasure,
            # a fresh check), whichever intent the classifier guessed for them; six digits at any other time
            # are no code.
            return ActionVerifyCode().run(dispatcher, tracker, domain)
        claimed = answer_warranty(dispatcher, tracker)
        if claimed is not None:
            return claimed
        when = answer_when_back(dispatcher, tracker)
        if when is not None:
            return when
        waiting = acknowledge_waiting(dispatcher, tracker)  # "ok then I'll wait and see": not a yes to a ticket
        if waiting is not None:
            return waiting
        if asked in OFFERS and looked_already(text):
            # "checked, nothing there" to the claim or the link offered: whatever yes / no it read as, a yes.
            return ActionOpenTicket().run(dispatcher, tracker, domain)
        if asked == "details:complaint" and text.strip() and not answer:
            return ActionOpenTicket().run(dispatcher, tracker, domain)
        rated = _rating(text)
        if rated is not None and (
            asked == "rating" or (asked == "anything_else" and _UNASKED_RATING.match(text) and not number)
        ):
            return self._rate(dispatcher, tracker, *rated)
        if number:
            purpose = asked.split(":", 1)[1] if asked.startswith("order:") else "status"
            # requested_info stays as it is for the skill that asked; each skill clears it when done.
            return _run(_PURPOSES.get(purpose, ActionCheckOrder)(), dispatcher, tracker, domain, order_id=number)
        if after_ticket_list(tracker) and not number and not answer and not _CLOSING.search(text):
            # "the lamp one, what is happening?" right after the list of tickets: that ticket's news.
            return ActionTicketStatus().run(dispatcher, tracker, domain)
        other = status_of_another_order(dispatcher, tracker, domain)  # "and the shoes?" after a status
        if other is not None:
            return other
        if next(tracker.get_latest_entity_values("product"), None):
            # "and the over-ear headphones?" after a product question: the same question about this one.
            return ActionProductInfo().run(dispatcher, tracker, domain)
        if tracker.get_slot("order_id") and _ABOUT_DELIVERY.search(text):
            # "and when is it coming?" with an order in focus.
            return ActionCheckOrder().run(dispatcher, tracker, domain)
        if looks_like_bad_order_number(text):
            dispatcher.utter_message(response="utter_order_id_invalid")
            return []
        if asked.startswith("ticket:") and answer:
            if answer == "no":
                dispatcher.utter_message(response="utter_anything_else")
                return [SlotSet("requested_info", "anything_else")]
            if _ONLY_ACK.match(text):
                offer_ticket(dispatcher, tracker, "ticket_offer_again")
                return []  # the offer stays open: a yes now opens it
            return [SlotSet("requested_info", None), *ActionOpenTicket().run(dispatcher, tracker, domain)]
        if asked == "handoff" and answer == "yes":
            return ActionHandoff().run(dispatcher, tracker, domain)
        if answer == "no" and _KEEP_IT.search(text) and not _CLOSING.search(text):
            # "nah leave it, I'll keep it": nothing changes, and that is what they want to hear.
            dispatcher.utter_message(text=phrase("nothing_changes", language_of(tracker)))
            return [SlotSet("requested_info", "anything_else")]
        if (
            intent == "goodbye"
            or _CLOSING.search(text)
            or (answer == "no" and asked in ("", "anything_else", "handoff", "rating"))
        ):
            return close(dispatcher, tracker)
        if only_thanks(text) and asked in ("", "anything_else"):
            # "ok ty", "cool thanks" read as a yes: thanks, answered as thanks.
            dispatcher.utter_message(response="utter_you_are_welcome")
            return [SlotSet("requested_info", "anything_else")]
        if (answer == "yes" or (intent == "affirm" and not emoji_only(text))) and not asked.startswith("order:"):
            if asked in ("", "anything_else") and _answered_before(tracker):
                # "annoying but ok", "ok good" after an answer: taken as said, not as a fresh start.
                dispatcher.utter_message(text=phrase("understood", language_of(tracker)))
                return [SlotSet("requested_info", "anything_else")]
            # A yes that answers no question is a fresh start; after "which order?" it is not.
            dispatcher.utter_message(response="utter_how_can_i_help")
            return [SlotSet("requested_info", None)]
        if asked.startswith("order:"):
            return self._which_order(dispatcher, tracker, domain, asked.split(":", 1)[1])
        dispatcher.utter_message(response="utter_what_about_it")
        return [SlotSet("requested_info", None)]

    @staticmethod
    def _which_order(
        dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], purpose: str
    ) -> list[dict]:
        """After "which order?": "the second one", "the one from March 3", "the headphones" name it too."""
        found = resolve(tracker, purpose)
        if found is not None and found.chosen:
            say_taken(dispatcher, tracker, found)
            return _run(_PURPOSES.get(purpose, ActionCheckOrder)(), dispatcher, tracker, domain, order_id=found.chosen)
        if not ask_which(dispatcher, tracker, purpose):
            dispatcher.utter_message(response="utter_ask_order_id")
        return []

    @staticmethod
    def _rate(dispatcher: CollectingDispatcher, tracker: Tracker, rating: int, comment: str | None) -> list[dict]:
        with crm_or_apology(dispatcher, tracker, "feedback") as crm_down:
            uow = crm()
            feedback.save_feedback(
                uow, customer_id(uow, tracker), rating, comment, datetime.utcnow(), tracker.sender_id
            )
        if crm_down:
            return []
        dispatcher.utter_message(response="utter_feedback_thanks" if rating >= 4 else "utter_feedback_sorry")
        return [SlotSet("requested_info", None)]


class ActionClose(Action):
    """Goodbye / "that's all": close politely and offer the rating once."""

    def name(self) -> str:
        return "action_close"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        return close(dispatcher, tracker)


class ActionWelcome(Action):
    """Thanks: "you're welcome, anything else?", and a "no" after it closes."""

    def name(self) -> str:
        return "action_welcome"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if _CLOSING.search(tracker.latest_message.get("text") or ""):
            return close(dispatcher, tracker)
        waiting = acknowledge_waiting(dispatcher, tracker)  # "meh, ok, I'll wait a couple more days then"
        if waiting is not None:
            return waiting
        dispatcher.utter_message(response="utter_you_are_welcome")
        return [SlotSet("requested_info", "anything_else")]
