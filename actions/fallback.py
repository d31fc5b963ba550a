"""First stage of the two-stage fallback: suggest the likeliest skills as buttons.

Overrides Rasa's action_default_ask_affirmation (which offers one intent by its raw
name). Rasa's action_two_stage_fallback calls it, then asks to rephrase, then runs
action_default_fallback (utter_default, which offers a person).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswer, only_thanks
from actions.common import run_action
from actions.everyday import ActionOutOfScope, product_follow_up, what_it_plainly_is
from actions.forms import order_number
from actions.orders import ActionCheckOrder
from actions.problems import problems_in
from actions.forms import answer_when_back
from actions.tickets import (
    ActionOpenTicket,
    acknowledge_waiting,
    answer_warranty,
    asks_for_new_ticket,
)
from actions.locales import language_of
from actions.values import rating_and_comment
from actions.handover import hand_over
from crm_store.services import shop_answers, ticket_rules
from crm_store.values.codes import is_only_code
from crm_store.values import normalize_email, normalize_order_id

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
# The same buttons for a customer who writes German, French or Spanish ("Something else" under out_of_scope).
TITLES_IN = {
    "de": {
        "order_status": "Wo ist meine Bestellung?",
        "cancel_order": "Eine Bestellung stornieren",
        "return_item": "Einen Artikel zurückschicken",
        "refund_status": "Wo bleibt meine Erstattung?",
        "ticket_status": "Stand meines Tickets",
        "change_address": "Lieferadresse ändern",
        "product_info": "Informationen zu einem Produkt",
        "product_availability": "Ist ein Produkt auf Lager?",
        "payment_problem": "Ein Problem mit einer Zahlung",
        "account_help": "Hilfe zu meinem Konto",
        "complaint": "Mich beschweren",
        "request_human": "Mit einem Menschen sprechen",
        "give_feedback": "Feedback geben",
        "business_inquiry": "Geschäftskunden / große Mengen",
        "out_of_scope": "Etwas anderes",
    },
    "fr": {
        "order_status": "Où est ma commande ?",
        "cancel_order": "Annuler une commande",
        "return_item": "Retourner un article",
        "refund_status": "Où en est mon remboursement ?",
        "ticket_status": "Suivi de mon ticket",
        "change_address": "Changer mon adresse de livraison",
        "product_info": "Informations sur un produit",
        "product_availability": "Un produit est-il en stock ?",
        "payment_problem": "Un problème de paiement",
        "account_help": "Aide pour mon compte",
        "complaint": "Faire une réclamation",
        "request_human": "Parler à une personne",
        "give_feedback": "Donner mon avis",
        "business_inquiry": "Professionnels / grandes quantités",
        "out_of_scope": "Autre chose",
    },
    "es": {
        "order_status": "¿Dónde está mi pedido?",
        "cancel_order": "Cancelar un pedido",
        "return_item": "Devolver un artículo",
        "refund_status": "¿Dónde está mi reembolso?",
        "ticket_status": "Estado de mi ticket",
        "change_address": "Cambiar mi dirección de entrega",
        "product_info": "Información de un producto",
        "product_availability": "¿Hay stock de un producto?",
        "payment_problem": "Un problema con un pago",
        "account_help": "Ayuda con mi cuenta",
        "complaint": "Poner una reclamación",
        "request_human": "Hablar con una persona",
        "give_feedback": "Dar mi opinión",
        "business_inquiry": "Empresas / pedidos grandes",
        "out_of_scope": "Otra cosa",
    },
}
MAX_SUGGESTIONS = 3
DEFAULT_SUGGESTIONS = ("order_status", "return_item", "request_human")


class ActionDefaultAskAffirmation(Action):
    def name(self) -> str:
        return "action_default_ask_affirmation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        answered = self._answer(dispatcher, tracker, domain)
        if answered is None:
            return self._suggest(dispatcher, tracker)
        # Answered without a menu: the two-stage fallback has nothing left to ask, so it ends here. Left
        # running, it would read the next message against a suggestion nobody saw ("no" or "put me through
        # to a person" then got "say it in other words", a second unsure message a handoff).
        events = [*answered, ActiveLoop(None)]
        if not any(e.get("event") == "followup" for e in events):
            events.append(FollowupAction("action_listen"))
        return events

    def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict] | None:
        """What the message plainly asks for, done; None when only a menu of skills can help."""
        # A long message naming several problems is often unsure between complaint, return and order
        # status: it is still clear what went wrong, so each problem gets its ticket instead of a menu.
        text = tracker.latest_message.get("text") or ""
        # Answers to what was just said, whatever the classifier made of them: the warranty claim's
        # yes, "I'll wait for them to come again", a rating with its comment.
        for answer in (answer_warranty, answer_when_back, acknowledge_waiting):
            answered = answer(dispatcher, tracker)
            if answered is not None:
                return answered
        rule = ticket_rules.anger_reason(text)
        if rule:
            # "where the hell is my stuff, this is f… ridiculous": whatever else it meant, the stated
            # rule for swearing and strong anger puts a person on it.
            return hand_over(dispatcher, tracker, "escalate", rule)
        if tracker.get_slot("requested_info") == "rating" and rating_and_comment(text):
            return ActionAnswer().run(dispatcher, tracker, domain)
        if only_thanks(text):
            # "grazie!", "fine thx": thanks in any words, answered as thanks.
            dispatcher.utter_message(response="utter_you_are_welcome")
            return [SlotSet("requested_info", "anything_else")]
        if len(problems_in(text)) > 1:
            return ActionOpenTicket().run(dispatcher, tracker, domain)
        # What the message clearly asks for is done instead of offering a menu (a clear next message ends the loop).
        if asks_for_new_ticket(text):
            return ActionOpenTicket().run(dispatcher, tracker, domain)
        # A bare one-time code, order number or email the classifier could not place (it sees the
        # digits) is a plain answer to what was asked: no menu of skills for it.
        if shop_answers.everyday_request(text):
            # "can I get a copy of my invoice?": an everyday request, answered, not a menu.
            return ActionOutOfScope().run(dispatcher, tracker, domain)
        bare = text.strip()
        if is_only_code(bare) or normalize_order_id(bare) or normalize_email(bare):
            return ActionAnswer().run(dispatcher, tracker, domain)
        # "can u check A-1042", "hi, my email is …, where is my order?", "no cable in the box".
        plain = what_it_plainly_is(dispatcher, tracker, domain)
        if plain is not None:
            return plain
        number = order_number(list(tracker.get_latest_entity_values("order_id")))
        if number:
            # "i have a problem with A-10423", "the pan in A-10423 arrived cracked": the order named is the
            # subject; its status (or, for a problem with a delivered item, the remedies) answers it.
            tracker.slots["order_id"] = number
            return [SlotSet("order_id", number), *ActionCheckOrder().run(dispatcher, tracker, domain)]
        follow_up = product_follow_up(tracker)
        if follow_up:
            # "and resistance bands?" right after a price or stock answer: the same question about this one.
            return run_action(follow_up, dispatcher, tracker, domain)
        return None

    def _suggest(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        top = [r["name"] for r in ranking if r.get("name") in TITLES][:MAX_SUGGESTIONS]
        top = top or list(DEFAULT_SUGGESTIONS)  # nothing plausible: offer the common skills
        titles = {**TITLES, "out_of_scope": "Something else", **TITLES_IN.get(language_of(tracker), {})}
        buttons = [{"title": titles[name], "payload": f"/{name}"} for name in [*top, "out_of_scope"]]
        dispatcher.utter_message(response="utter_ask_affirmation", buttons=buttons)
        return []
