"""Tickets: a complaint or a problem opens one; ticket status lists the open ones."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm, crm_or_apology, customer_id, day, focused_order, last_turn_action, run_action
from actions.forms import acknowledge_waiting, last_user_text
from actions.handover import hand_over
from actions.locales import day as locale_day
from actions.locales import language_of, phrase, ticket_status_word
from crm_store.services import ticket_rules as rules
from crm_store.services import ticket_updates, tickets
from actions.problems import escalation_cue, fault_without_request, is_frustrated, problems_in, reason_category

log = logging.getLogger(__name__)

_TOPICS = {"complaint": "Complaint", "payment_problem": "Payment problem", "account_help": "Account problem"}


# "Any update on my complaint?" and "please open a ticket" share their words with the other intent;
# the question asked decides, so a misread intent still gets the right skill.
_ASKS_UPDATE = re.compile(
    r"\b(?:any|an?)\s+(?:update|news|progress)\b|\banything (?:new|happened)\b|\bheard back\b|"
    r"\bstatus of (?:my|the) (?:ticket|complaint|case)\b",
    re.I,
)
_ASKS_NEW_TICKET = re.compile(
    r"\b(?:open|create|raise|file|log|make|start|submit)\s+(?:a |an |me a )?(?:new )?(?:ticket|complaint|case)\b", re.I
)
# What is left of "i want to make a complaint" once the request itself is taken out: nothing to act on.
_REQUEST_WORDS = re.compile(
    r"\b(?:hi|hello|hey|i|i'?d|i'?m|want|wanna|would|like|to|make|file|log|open|raise|submit|lodge|a|an|the|new|formal|"
    r"complaint|complain|ticket|case|please|pls|can|could|you|u|me|need|have|got|something|about|there|is|it|this|one|just|do)\b",
    re.I,
)
_RETURN_WORDS = re.compile(r"\b(?:return|send (?:it|them|\w+) back|exchange|swap|refund|money back)\b", re.I)
_NO_FAULT = ("wrong size", "changed my mind")
# requested_info after the warranty route was offered for an order ("warranty:A-10423"): a yes, or
# "open the claim", opens the warranty ticket for that order; "what do you need?" is answered.
WARRANTY = "warranty:"
# (German, French and Spanish after the English: the route is offered in the customer's language.)
_CLAIM = re.compile(
    r"\b(?:yes|yeah|yep|ya|ok(?:ay)?|sure|please|pls|claim|warranty|go ahead|do it|open|"
    r"ja|jep|gerne|bitte|garantie|anlegen|oui|ouais|volontiers|ouvrez|sí|si|vale|claro|garantía|ábrela|abrela)\b",
    re.I,
)
_NOT_NOW = re.compile(
    r"^\W*(?:no|nope|nah|not now|never ?mind|forget it|nein|nee|nicht jetzt|non|pas maintenant|ahora no)\b", re.I
)
_WHAT_NEEDED = re.compile(
    r"\b(?:what|which)\b.*\b(?:need|send|want)\b|\bhow does (?:it|that) work\b|"
    r"\bwas (?:braucht|brauchen)\b|\bqu'est-ce qu'il (?:vous )?faut\b|\bde quoi avez-vous besoin\b|"
    r"\bqu[ée] (?:necesita|necesitan|necesitáis)\b",
    re.I,
)


def warranty_order(tracker: Tracker) -> str | None:
    """The order the warranty route was just offered for, if any."""
    asked = tracker.get_slot("requested_info") or ""
    return asked[len(WARRANTY) :] or None if asked.startswith(WARRANTY) else None


def answer_warranty(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict] | None:
    """The customer's answer to the warranty route: the claim opened, what we need, or nothing; None
    when no warranty route is pending or the message is about something else."""
    number = warranty_order(tracker)
    text = tracker.latest_message.get("text") or ""
    if not number:
        return None
    if _NOT_NOW.search(text):
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("requested_info", "anything_else")]
    if _WHAT_NEEDED.search(text) and not re.search(r"\b(?:open|go ahead|do it|anlegen|ouvrez|ábrela)\b", text, re.I):
        dispatcher.utter_message(text=phrase("warranty_what_needed", language_of(tracker), number=number))
        return []
    if not _CLAIM.search(text):
        return None
    with crm_or_apology(dispatcher, tracker, "warranty claim") as crm_down:
        uow = crm()
        ticket = tickets.open_ticket(
            crm(),
            customer_id(uow, tracker),
            f"Warranty claim ({number})",
            datetime.utcnow(),
            description=last_user_text(tracker, ("return_item", "exchange_item", "complaint")) or text,
            priority="normal",
            order_number=number,
            sender_id=tracker.sender_id,
        )
    if crm_down:
        return []
    dispatcher.utter_message(text=phrase("warranty_opened", language_of(tracker), ticket=ticket.number, number=number))
    return [SlotSet("requested_info", None), SlotSet("ticket_id", ticket.number), SlotSet("order_id", number)]


DETAILS = "details:complaint"  # requested_info: "what happened?" after a complaint with no details
LATE_OFFER = "ticket:late_delivery"  # requested_info after a late parcel's status (actions/orders.py)
# Claims other skills offered with "shall I …?" (requested_info): the yes goes back to the skill that offered it.
OFFERS = {"ticket:parcel_missing": "action_parcel_missing", "ticket:reset_not_received": "action_resend_reset"}


def offer_ticket(dispatcher: CollectingDispatcher, tracker: Tracker, sentence: str = "offer_ticket") -> None:
    """Offer to pass the problem to the team as a ticket, with yes / no buttons; nothing is written yet."""
    language = language_of(tracker)
    dispatcher.utter_message(
        text=phrase(sentence, language),
        buttons=[
            {"title": phrase("offer_ticket_yes", language), "payload": "/affirm"},
            {"title": phrase("no_thanks", language), "payload": "/deny"},
        ],
    )


def asks_for_new_ticket(text: str) -> bool:
    return bool(_ASKS_NEW_TICKET.search(text or ""))


class ActionOpenTicket(Action):
    def name(self) -> str:
        return "action_open_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        claimed = answer_warranty(dispatcher, tracker)
        if claimed is not None:
            return claimed
        latest = (tracker.latest_message.get("intent") or {}).get("name")
        asked = tracker.get_slot("requested_info") or ""
        if asked in OFFERS and not problems_in(tracker.latest_message.get("text") or ""):
            # "yes" / "please do something" to the missing-parcel claim or the new reset link offered.
            return run_action(OFFERS[asked], dispatcher, tracker, domain)
        # The message itself, unless it is only the "yes" to a ticket offered after an earlier message
        # (after a late parcel's status: the question that got that answer).
        text = (
            tracker.latest_message.get("text") or ""
            if latest in (*_TOPICS, "nlu_fallback", "ticket_status") or asked == DETAILS
            else last_user_text(tracker, ("order_status", *_TOPICS) if asked == LATE_OFFER else tuple(_TOPICS))
        )
        if asked == DETAILS:  # the answer to "what happened / which order?" goes with what was said before it
            said = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
            text = " ".join(t for t in said[-2:] if t and not t.startswith("/"))
        topic = next(
            (
                e["parse_data"]["intent"]["name"]
                for e in reversed(tracker.events)
                if e.get("event") == "user" and e["parse_data"]["intent"].get("name") in _TOPICS
            ),
            "complaint",
        )
        number = focused_order(tracker)
        # The yes to a late parcel's offer is about the late parcel, however the question was worded.
        problems = problems_in(text) or ([("late", "Late delivery")] if asked == LATE_OFFER else [])
        if latest == "complaint" and _ASKS_UPDATE.search(text) and not asks_for_new_ticket(text):
            return ActionTicketStatus().run(dispatcher, tracker, domain)
        if after_ticket_list(tracker) and not problems and not asks_for_new_ticket(text):
            # "the lamp one, what is happening?" right after the list of tickets: that ticket's news.
            return ActionTicketStatus().run(dispatcher, tracker, domain)
        if (
            latest == "complaint"
            and asked != DETAILS
            and not next(tracker.get_latest_entity_values("order_id"), None)
            and len(_REQUEST_WORDS.sub(" ", re.sub(r"[^\w' ]", " ", text)).split()) < 2
        ):
            dispatcher.utter_message(response="utter_ask_complaint_details")
            return [SlotSet("requested_info", DETAILS)]
        if not asks_for_new_ticket(text):
            waiting = acknowledge_waiting(dispatcher, tracker)
            if waiting is not None:
                return waiting
        earlier = tracker.get_slot("ticket_id")
        if (
            earlier
            and (latest == "complaint" or (latest == "affirm" and topic == "complaint"))
            and not asks_for_new_ticket(text)
            and not problems
            and not next(tracker.get_latest_entity_values("order_id"), None)
        ):
            # "Just log the complaint please" right after we did: the same complaint, not a second ticket.
            dispatcher.utter_message(response="utter_ticket_already_open", ticket_id=earlier)
            return [SlotSet("requested_info", None)]
        cue = escalation_cue(text)
        kinds = [kind for kind, _ in problems]
        if latest == "complaint" and asked != DETAILS and fault_without_request(text):
            # "the speaker doesn't charge", "no cable in the box", told calmly: sorry and the remedies first.
            return run_action("action_offer_remedy", dispatcher, tracker, domain)
        if latest == "complaint" and not kinds and _RETURN_WORDS.search(text) and reason_category(text) in _NO_FAULT:
            # "These shoes are too small, I want to send them back": a return, not a complaint about us.
            return [SlotSet("requested_info", None), FollowupAction("return_form")]
        if (
            latest == "complaint"
            and asked != DETAILS
            and not cue
            and not rules.asks_for_a_ticket(text)
            and not rules.opened_by_rule(kinds)
            and rules.tone(text) != rules.ANGRY
        ):
            # Annoyed, or a late parcel mentioned, but nothing asked for: offer, do not write.
            offer_ticket(dispatcher, tracker)
            return [SlotSet("requested_info", "ticket:complaint")]
        if cue and latest == "complaint":
            # "I've written to you before" / "get me a human": a person takes it from here; the handoff
            # carries the summary, and any ticket already open stays the one ticket.
            return hand_over(dispatcher, tracker, "complaint", cue)
        priority = tickets.priority_for(text)
        with crm_or_apology(dispatcher, tracker, "ticket") as crm_down:
            uow = crm()
            owner = customer_id(uow, tracker)
            if len(problems) > 1:
                return self._each_problem(dispatcher, tracker, owner, text, problems, number)
            ticket = tickets.open_ticket(
                crm(),
                owner,
                rules.subject_for(_TOPICS[topic], kinds, number),
                datetime.utcnow(),
                description=text,
                priority=priority,
                order_number=number,
                sender_id=tracker.sender_id,
            )
        if crm_down:
            return []
        log.info("ticket opened", extra={"ticket_id": ticket.id, "priority": priority})
        cue = cue or (rules.anger_reason(text) if topic == "complaint" else None)
        if cue:
            # Anger or a request for a person does not wait for the ticket queue: a person takes over now.
            # (Damage alone raises the priority, not the handoff.)
            dispatcher.utter_message(response="utter_ticket_opened", ticket_id=ticket.number)
            return [SlotSet("ticket_id", ticket.number), *hand_over(dispatcher, tracker, "complaint", cue)]
        response = "utter_ticket_opened_urgent" if priority == "high" else "utter_ticket_opened"
        dispatcher.utter_message(response=response, ticket_id=ticket.number)
        return [SlotSet("requested_info", None), SlotSet("ticket_id", ticket.number)]

    @staticmethod
    def _each_problem(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        owner: int,
        text: str,
        problems: list[tuple[str, str]],
        number: str | None,
    ) -> list[dict]:
        """A message with several problems: acknowledge it whole, then one ticket per problem."""
        language = language_of(tracker)
        lines = []
        for kind, title in problems:
            ticket = tickets.open_ticket(
                crm(),
                owner,
                title + (f" ({number})" if number else ""),
                datetime.utcnow(),
                description=text,
                priority="high" if kind in ("damaged", "double_charge") else tickets.priority_for(text),
                order_number=number,
                sender_id=tracker.sender_id,
            )
            # The subject stays English for the team; the customer reads the problem in their language.
            lines.append(
                phrase("problem_line", language, title=phrase(f"problem_{kind}", language), number=ticket.number)
            )
        sorry = phrase("sorry_a_lot" if is_frustrated(text) else "sorry", language)
        dispatcher.utter_message(
            response="utter_several_problems", sorry=sorry, count=len(problems), problems="\n".join(lines)
        )
        return [SlotSet("requested_info", None)]


_TICKET_WORDS = re.compile(
    r"\b(?:tickets?|complaints?|cases?|claims?|requests?|reported|issue|problem|support)\b", re.I
)


def update_words(news: ticket_updates.TicketUpdate, language: str) -> str:
    """What changed on a ticket, in the customer's language (an agent's own words stay as written)."""
    if language == "en" or not (news.stage or news.said):
        return news.text
    if news.said:
        return phrase("update_wrote", language, said=news.said)
    moved = phrase("update_moved", language, stage=ticket_status_word(str(news.stage), language))
    return moved + (f": {news.note}" if news.note else "")


_WORD = re.compile(r"[^\W\d_]{4,}")
_NOT_TOPIC = {
    "ticket",
    "tickets",
    "what",
    "happening",
    "news",
    "with",
    "that",
    "this",
    "about",
    "status",
    "update",
    "there",
}


def ticket_about(text: str, rows: list) -> Any:
    """The one open ticket whose subject shares a word with the message ("the lamp one"), else None."""
    words = {w.lower() for w in _WORD.findall(text or "")} - _NOT_TOPIC
    hits = [t for t in rows if words & {w.lower() for w in _WORD.findall(t.subject or "")}]
    return hits[0] if len(hits) == 1 else None


def after_ticket_list(tracker: Tracker) -> bool:
    """Whether the assistant's last turn listed the customer's tickets."""
    return last_turn_action(tracker, ("action_ticket_status",)) is not None


class ActionTicketStatus(Action):
    def name(self) -> str:
        return "action_ticket_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if asks_for_new_ticket(tracker.latest_message.get("text") or ""):
            return ActionOpenTicket().run(dispatcher, tracker, domain)
        named = ticket_updates.ticket_numbers(tracker.latest_message.get("text") or "")
        with crm_or_apology(dispatcher, tracker, "ticket look-up") as crm_down:
            uow = crm()
            owner = customer_id(uow, tracker)
            rows = tickets.open_tickets(crm(), owner)
            news = ticket_updates.latest_update(crm(), owner, named[0] if named else None)
        if crm_down:
            return []
        if not named and len(rows) > 1:
            about = ticket_about(tracker.latest_message.get("text") or "", rows)
            if about is not None:
                # "the lamp one, what is happening?": that ticket alone, with its latest update.
                rows = [about]
                with crm_or_apology(dispatcher, tracker, "ticket look-up") as crm_down:
                    news = ticket_updates.latest_update(crm(), owner, about.number)
                if crm_down:
                    return []
        if not rows and news is None:
            if not named and not _TICKET_WORDS.search(tracker.latest_message.get("text") or ""):
                # A bare "status?" with no ticket to report: the customer's order is what it is about.
                return [FollowupAction("order_status_form")]
            dispatcher.utter_message(response="utter_no_open_tickets")
            return []
        if rows:
            language = language_of(tracker)
            lines = [
                phrase(
                    "ticket_line",
                    language,
                    number=t.number,
                    subject=t.subject,
                    status=ticket_status_word(t.status, language),
                    since=day(t.status_since) if language == "en" else locale_day(t.status_since, language),
                )
                + (phrase("high_priority", language) if t.priority == "high" else "")
                for t in rows
            ]
            dispatcher.utter_message(response="utter_ticket_status", tickets="\n".join(lines))
        # "Any news?": the latest thing the team did or wrote, not only the status.
        language = language_of(tracker)
        dispatcher.utter_message(
            text=phrase(
                "latest_update",
                language,
                ticket=news.ticket,
                date=day(news.at) if language == "en" else locale_day(news.at, language),
                text=update_words(news, language),
            )
            if news
            else phrase("no_ticket_update", language)
        )
        return []
