"""First stage of the two-stage fallback: suggest the likeliest skills as buttons.

Overrides Rasa's action_default_ask_affirmation (which offers one intent by its raw
name). Rasa's action_two_stage_fallback calls it, then asks to rephrase, then runs
action_default_fallback (utter_default, which offers a person).
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswer
from actions.problems import problems_in
from actions.tickets import ActionOpenTicket
from nlu.extraction import normalize_email, normalize_order_id

# Only skills a button can start without more words; faq needs the question itself.
TITLES = {
    "order_status": "Where is my order?",
    "cancel_order": "Cancel an order",
    "return_item": "Return an item",
    "refund_status": "Where is my refund?",
    "ticket_status": "Status of my ticket",
    "change_address": "Change my delivery address",
    "product_info": "Product information",
    "product_availability": "Is a product in stock?",
    "payment_problem": "A problem with a payment",
    "account_help": "Help with my account",
    "complaint": "Make a complaint",
    "request_human": "Talk to a person",
    "give_feedback": "Give feedback",
    "business_inquiry": "Business / bulk orders",
}
MAX_SUGGESTIONS = 3
DEFAULT_SUGGESTIONS = ("order_status", "return_item", "request_human")


class ActionDefaultAskAffirmation(Action):
    def name(self) -> str:
        return "action_default_ask_affirmation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        # A long message naming several problems is often unsure between complaint, return and order
        # status: it is still clear what went wrong, so each problem gets its ticket instead of a menu.
        if len(problems_in(tracker.latest_message.get("text") or "")) > 1:
            return ActionOpenTicket().run(dispatcher, tracker, domain)
        # A bare one-time code, order number or email the classifier could not place (it sees the
        # digits) is a plain answer to what was asked: no menu of skills for it.
        text = (tracker.latest_message.get("text") or "").strip()
        if re.fullmatch(r"\d{6}", text) or normalize_order_id(text) or normalize_email(text):
            return ActionAnswer().run(dispatcher, tracker, domain)
        ranking = tracker.latest_message.get("intent_ranking") or []
        top = [r["name"] for r in ranking if r.get("name") in TITLES][:MAX_SUGGESTIONS]
        top = top or list(DEFAULT_SUGGESTIONS)  # nothing plausible: offer the common skills
        buttons = [{"title": TITLES[name], "payload": f"/{name}"} for name in top]
        buttons.append({"title": "Something else", "payload": "/out_of_scope"})
        dispatcher.utter_message(response="utter_ask_affirmation", buttons=buttons)
        return []
