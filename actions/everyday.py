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
from actions.problems import fault_without_request
from actions.products import exchange_instead
from actions.resolving import ask_for_order, order_in_focus
from actions.pending_code import code_expected
from crm_store.errors import CrmError, OrderNotFound
from crm_store.services import orders, products, shop_answers, ticket_rules, tickets
from crm_store.settings import get_settings
from crm_store.values.codes import find_code


_SELF_SERVICE = "under Account > Orders"


def _self_service_given(tracker: Tracker, number: str) -> bool:
    """Whether this session already told the customer where the invoice of `number` is."""
    return any(
        e.get("event") == "bot" and _SELF_SERVICE in (e.get("text") or "") and number in (e.get("text") or "")
        for e in session_events(tracker)
    )


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
        try:
            with crm_or_apology(dispatcher, tracker, "invoice copy") as crm_down:
                uow = crm()
                owner = customer_id(uow, tracker)
                order = orders.lookup(crm(), number, owner)
                link = shop_answers.invoice_link(settings.invoice_url, order.number)
                if link:
                    dispatcher.utter_message(
                        text=f"Here's the invoice for order {order.number} as a PDF (it shows the VAT): {link}"
                    )
                    return [SlotSet("order_id", order.number), SlotSet("requested_info", None)]
                if not _self_service_given(tracker, order.number):
                    # Every invoice is in the account and in the confirmation email: said first, nothing written.
                    dispatcher.utter_message(
                        text=f"The invoice for order {order.number} (with the VAT shown) was emailed with your order "
                        "confirmation, and you can download it any time under Account > Orders. If you can't find "
                        "it there, tell me and I'll ask our team to email you a copy."
                    )
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
            text=f"I've asked our team to email you a copy of the invoice for order {order.number} "
            f"(request {ticket.number}); it usually arrives within one working day."
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
        if kind == shop_answers.INVOICE:
            return ActionInvoiceCopy().run(dispatcher, tracker, domain)
        if kind == shop_answers.INVOICE_FIX:
            # A wrong name or address on an invoice: only the team can reissue it; offered, not forced.
            dispatcher.utter_message(
                text="Sorry about that. Correcting an invoice needs someone from our team. "
                "Shall I put you through to a person?",
                buttons=[
                    {"title": "Yes, a person please", "payload": "/affirm"},
                    {"title": "No, thanks", "payload": "/deny"},
                ],
            )
            return [SlotSet("requested_info", "handoff")]
        if kind == shop_answers.PRICE_MATCH:
            dispatcher.utter_message(text=shop_answers.price_match_answer(settings.price_match_policy))
            return []
        if kind == shop_answers.VAT:
            dispatcher.utter_message(text=shop_answers.VAT_ANSWER)
            return []
        if kind == shop_answers.RESERVE:
            product = None
            with crm_or_apology(dispatcher, tracker, "product look-up") as crm_down:
                product = products.find_product(crm(), text)
            if crm_down:
                return []
            dispatcher.utter_message(
                text=shop_answers.reservation_answer(
                    product.name if product else None, product.stock if product else None
                )
            )
            return [SlotSet("product", product.name)] if product else []
        if kind == shop_answers.PROMO_FAILED:
            dispatcher.utter_message(text=shop_answers.promo_failed_answer())
            return []
        if kind == shop_answers.PROMO:
            dispatcher.utter_message(text=shop_answers.promo_answer(settings.promo_policy))
            return []
        follow_up = _product_follow_up(tracker)
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


def _product_follow_up(tracker: Tracker) -> str | None:
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
