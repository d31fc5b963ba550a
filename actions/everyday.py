"""Everyday requests the classifier files as out of scope: a copy of an invoice, price match, discount
codes. Each is answered from the shop's configuration (crm_store/services/shop_answers.py) or the
CRM; anything else gets the out-of-scope answer as before."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.account import ActionVerifyCode
from actions.common import crm, crm_or_apology, customer_id, last_turn_action, run_action, session_events
from actions.handover import hand_over
from actions.leads import details_in
from actions.forms import bad_order_number_in, order_not_on_account, order_number, visitor_email
from actions.problems import asks_for_person, fault_without_request
from actions.products import exchange_instead
from actions.resolving import ask_for_order, order_in_focus
from actions.pending_code import code_expected
from actions.locales import SERVED_LANGUAGES, language_of, phrase
from crm_store.errors import CrmError, OrderNotFound
from crm_store.services import orders, products, shop_answers, ticket_rules, tickets
from crm_store.settings import get_settings
from crm_store.values.codes import find_code


def _self_service_given(tracker: Tracker, number: str) -> bool:
    """Whether this session already told the customer where the invoice of `number` is."""
    return any(
        e.get("event") == "bot"
        and any(phrase("self_service_marker", code) in (e.get("text") or "") for code in SERVED_LANGUAGES)
        and number in (e.get("text") or "")
        for e in session_events(tracker)
    )


_ENGLISH_ANSWERS = {
    "price_match": shop_answers.price_match_answer,
    "promo": shop_answers.promo_answer,
    "promo_failed": lambda _policy: shop_answers.promo_failed_answer(),
    "vat": lambda _policy: shop_answers.VAT_ANSWER,
}


def everyday_answer(kind: str, policy: str, language: str) -> str:
    """The shop's own policy text when it configured one (written in its words), else our answer in the
    customer's language."""
    if language == "en" or policy.strip():
        return _ENGLISH_ANSWERS[kind](policy)
    return phrase(f"answer_{kind}", language)


def reservation_answer(product: str | None, stock: int | None, language: str) -> str:
    if language == "en":
        return shop_answers.reservation_answer(product, stock)
    now = ""
    if product and stock:
        now = " " + phrase("reserve_in_stock", language, product=product, n=stock)
    elif product:
        now = " " + phrase("reserve_out_of_stock", language, product=product)
    return phrase("answer_reserve", language, now=now)


class ActionInvoiceCopy(Action):
    """A copy of an order's invoice: the download link the shop configured, else the team emails one."""

    def name(self) -> str:
        return "action_invoice_copy"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        number = order_in_focus(dispatcher, tracker, "invoice")
        if not number:
            ask_for_order(dispatcher, tracker, "invoice", "utter_ask_order_id")
            return [SlotSet("requested_info", "order:invoice")]
        settings = get_settings()
        language = language_of(tracker)
        try:
            with crm_or_apology(dispatcher, tracker, "invoice copy") as crm_down:
                uow = crm()
                owner = customer_id(uow, tracker)
                order = orders.lookup(crm(), number, owner)
                link = shop_answers.invoice_link(settings.invoice_url, order.number)
                if link:
                    dispatcher.utter_message(text=phrase("invoice_link", language, number=order.number, link=link))
                    return [SlotSet("order_id", order.number), SlotSet("requested_info", None)]
                if not _self_service_given(tracker, order.number):
                    # Every invoice is in the account and in the confirmation email: said first, nothing written.
                    dispatcher.utter_message(text=phrase("invoice_self_service", language, number=order.number))
                    return [SlotSet("order_id", order.number), SlotSet("requested_info", None)]
                # Asked again after the self-service answer: the team emails a copy.
                ticket = tickets.open_ticket(
                    crm(),
                    owner,
                    f"Invoice copy ({order.number})",
                    datetime.utcnow(),
                    description="The customer asked in chat for a copy of the invoice.",
                    order_number=order.number,
                    sender_id=tracker.sender_id,
                )
        except OrderNotFound:
            return order_not_on_account(dispatcher, tracker, number)
        except CrmError:
            dispatcher.utter_message(response="utter_order_id_invalid")
            return []
        if crm_down:
            return []
        dispatcher.utter_message(
            text=phrase("invoice_copy_requested", language, number=order.number, ticket=ticket.number)
        )
        return [SlotSet("order_id", order.number), SlotSet("requested_info", None)]


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = tracker.latest_message.get("text") or ""
        if code_expected(tracker) and find_code(text):
            # Six digits typed with a space ("117 023") may read as nothing the classifier knows;
            # while a code is expected they are the code.
            return ActionVerifyCode().run(dispatcher, tracker, domain)
        answered = what_it_plainly_is(dispatcher, tracker, domain)
        if answered is not None:
            return answered
        kind = shop_answers.everyday_request(text)
        settings = get_settings()
        language = language_of(tracker)
        if kind == shop_answers.INVOICE:
            return ActionInvoiceCopy().run(dispatcher, tracker, domain)
        if kind == shop_answers.INVOICE_FIX:
            # A wrong name or address on an invoice: only the team can reissue it; offered, not forced.
            dispatcher.utter_message(
                text=phrase("invoice_fix", language),
                buttons=[
                    {"title": phrase("yes_a_person", language), "payload": "/affirm"},
                    {"title": phrase("no_thanks", language), "payload": "/deny"},
                ],
            )
            return [SlotSet("requested_info", "handoff")]
        if kind == shop_answers.PRICE_MATCH:
            dispatcher.utter_message(text=everyday_answer("price_match", settings.price_match_policy, language))
            return []
        if kind == shop_answers.VAT:
            dispatcher.utter_message(text=everyday_answer("vat", "", language))
            return []
        if kind == shop_answers.RESERVE:
            product = None
            with crm_or_apology(dispatcher, tracker, "product look-up") as crm_down:
                product = products.find_product(crm(), text)
            if crm_down:
                return []
            dispatcher.utter_message(
                text=reservation_answer(product.name if product else None, product.stock if product else None, language)
            )
            return [SlotSet("product", product.name)] if product else []
        if kind == shop_answers.PROMO_FAILED:
            dispatcher.utter_message(text=everyday_answer("promo_failed", "", language))
            return []
        if kind == shop_answers.PROMO:
            dispatcher.utter_message(text=everyday_answer("promo", settings.promo_policy, language))
            return []
        follow_up = product_follow_up(tracker)
        if follow_up:
            # "and resistance bands?" right after a product answer: the same question about this one.
            return run_action(follow_up, dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_out_of_scope")
        return []


def what_it_plainly_is(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict] | None:
    """A message the classifier could not place (out of scope, or unsure) that plainly is one of ours:
    swearing or strong anger (a person), a business enquiry with its details, an order number too short
    to be one ("can you check A-1042"), a visitor's email with a request, a faulty or incomplete item told
    calmly, "where is my sweater", an exchange for another size. None for anything else."""
    text = tracker.latest_message.get("text") or ""
    rule = ticket_rules.anger_reason(text)
    if rule:
        # "where the hell is my stuff": whatever else it meant, swearing and strong anger reach a person.
        return hand_over(dispatcher, tracker, "escalate", rule)
    if asks_for_person(text):
        # "no that's not what I asked, put me through to customer service": asked for in so many words.
        return hand_over(dispatcher, tracker, "request_human", "asked for a person")
    if len(details_in(text)) >= 3 and "email" in details_in(text):
        # A company, an email and a phone the classifier could not place: a business enquiry.
        return [FollowupAction("lead_form")]
    if bad_order_number_in(text) and not order_number(text):
        # Whatever the rest meant, the number is the problem: say what an order number looks like.
        dispatcher.utter_message(response="utter_order_id_invalid")
        return [SlotSet("requested_info", "order:status")]
    if visitor_email(tracker):
        # "hi, my email is …, where's my order?": the code to that email first, the request after it.
        return run_action("action_answer", dispatcher, tracker, domain)
    if fault_without_request(text):
        return run_action("action_offer_remedy", dispatcher, tracker, domain)
    if _WHERE_IS_MINE.search(text) and not _NOT_AN_ORDER.search(text):
        # "this bot is so annoying. just tell me where my sweater is": the status of that order.
        return [FollowupAction("order_status_form")]
    # "the shoes are a bit small, could I get them in 43 instead?": an exchange of something they have.
    return exchange_instead(tracker)


_WHERE_IS_MINE = re.compile(
    r"\bwhere(?:'s|s| is| are|'re)?\s+(?:my|the)\b|\bwhen (?:is|does|will) my \w+ (?:arrive|come)", re.I
)
_NOT_AN_ORDER = re.compile(r"\b(?:refund|money|ticket|complaint|return|code|invoice|receipt|email)\b", re.I)


_PRODUCT_ACTIONS = ("action_product_availability", "action_product_info")


def product_follow_up(tracker: Tracker) -> str | None:
    """The product action the last turn ran, when this short message names a catalogue product."""
    text = tracker.latest_message.get("text") or ""
    if len(text.split()) > 6:
        return None
    try:
        found = products.find_product(crm(), text)
    except SQLAlchemyError:  # no follow-up answer is worth failing the reply for
        return None
    if found is None or not re.search(rf"(?<![\w-]){re.escape(found.name.lower())}(?![\w-])", text.lower()):
        return None  # the whole catalogue name, not a guess from one word
    return last_turn_action(tracker, _PRODUCT_ACTIONS)
