"""Product info and availability, straight from the product table."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.cancel import summary as order_summary
from actions.common import crm, crm_or_apology, customer_id, everyday_instead
from actions.locales import language_of, money, phrase
from actions.problems import reason_category
from actions.resolving import status_of_another_order
from crm_store.values.sizes import parse_size
from crm_store.errors import CrmError
from crm_store.services import baskets, orders, products
from crm_store.services.products import ProductView


def _find(dispatcher: CollectingDispatcher, tracker: Tracker) -> ProductView | None:
    """A product named in this message, else the one in focus ("is *it* in stock?"), else the message's words."""
    named = next(tracker.get_latest_entity_values("product"), None)
    text = tracker.latest_message.get("text") or ""
    with crm_or_apology(dispatcher, tracker, "product look-up") as crm_down:
        found = products.find_product(crm(), named) if named else None
        if found is None:
            # "and resistance bands?" after the yoga mat: a product written out here wins over the one in focus.
            written = products.find_products(crm(), text)
            found = written[0] if len(written) == 1 else None
        if found is None and tracker.get_slot("product"):
            found = products.find_product(crm(), tracker.get_slot("product"))
        if found is None:
            found = products.find_product(crm(), text)
    if crm_down:
        return None
    if found is None:
        dispatcher.utter_message(response="utter_product_not_found")
    return found


def _order_in_focus(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """ "How much did *it* cost?" right after an order was discussed, with no product named or in
    focus, asks what that order cost: answer with its items and total."""
    number = tracker.get_slot("order_id")
    if not number or tracker.get_slot("product") or next(tracker.get_latest_entity_values("product"), None):
        return False
    try:
        with crm_or_apology(dispatcher, tracker, "order look-up") as crm_down:
            uow = crm()
            order = orders.lookup(uow, number, customer_id(uow, tracker))
    except CrmError:  # not this customer's order (or gone): no answer from it
        return False
    if crm_down:
        return True
    dispatcher.utter_message(
        response="utter_order_total", order_id=order.number, summary=order_summary(order, language_of(tracker))
    )
    return True


def often_bought_with(product_id: int) -> list[str]:
    """What the nightly basket rules pair with this product; nothing when the CRM cannot say."""
    try:
        return [r.consequent[0] for r in baskets.often_bought_with(crm(), product_id, 2)]
    except SQLAlchemyError:  # an extra line, never worth failing the product answer for
        return []


_SWAP = re.compile(r"\b(?:swap|exchange|instead|change (?:them|it) for)\b", re.I)


def exchange_instead(tracker: Tracker) -> list[dict] | None:
    """ "The shoes are too small, could I get them in 44 instead?": read as a stock question, but an
    exchange of something they have; the return form takes it (as an exchange). None otherwise."""
    text = tracker.latest_message.get("text") or ""
    if reason_category(text) != "wrong size" or not (parse_size(text) or _SWAP.search(text)):
        return None
    return [SlotSet("return_kind", "swap"), FollowupAction("return_form")]


def _several_named(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[ProductView]:
    """Two or more catalogue products written out in the message; empty otherwise."""
    found: list[ProductView] = []
    with crm_or_apology(dispatcher, tracker, "product look-up") as crm_down:
        found = products.find_products(crm(), tracker.latest_message.get("text") or "")
    return [] if crm_down or len(found) < 2 else found


class ActionProductInfo(Action):
    def name(self) -> str:
        return "action_product_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        answered = everyday_instead(dispatcher, tracker, domain)  # "can you match that price?"
        if answered is not None:
            return answered
        other = status_of_another_order(dispatcher, tracker, domain) or exchange_instead(tracker)
        if other is not None:
            return other
        if _order_in_focus(dispatcher, tracker):
            return []
        several = _several_named(dispatcher, tracker)
        if several:
            # "how much are the power bank and the usb-c charger?": each one, the last stays in focus.
            for each in several:
                self._answer(dispatcher, tracker, each, with_pairs=False)
            return [SlotSet("product", several[-1].name)]
        product = _find(dispatcher, tracker)
        if product:
            self._answer(dispatcher, tracker, product, with_pairs=True)
        return [SlotSet("product", product.name)] if product else []

    @staticmethod
    def _answer(dispatcher: CollectingDispatcher, tracker: Tracker, product: ProductView, with_pairs: bool) -> None:
        language = language_of(tracker)
        stock = phrase("in_stock", language, n=product.stock) if product.stock else phrase("out_of_stock", language)
        dispatcher.utter_message(
            response="utter_product_info",
            product=product.name,
            price=f"{product.price:.2f}",
            price_local=money(product.price, language),
            description=product.description or "",
            stock=stock,
        )
        also = often_bought_with(product.id) if with_pairs else []
        if also:
            dispatcher.utter_message(text=phrase("bought_with", language, items=", ".join(also)))


class ActionProductAvailability(Action):
    def name(self) -> str:
        return "action_product_availability"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        answered = everyday_instead(dispatcher, tracker, domain)
        if answered is not None:
            return answered
        other = status_of_another_order(dispatcher, tracker, domain) or exchange_instead(tracker)
        if other is not None:
            return other
        product = _find(dispatcher, tracker)
        if product and product.stock > 0:
            dispatcher.utter_message(
                response="utter_product_in_stock",
                product=product.name,
                stock=product.stock,
                price=f"{product.price:.2f}",
                price_local=money(product.price, language_of(tracker)),
            )
        elif product:
            dispatcher.utter_message(response="utter_product_out_of_stock", product=product.name)
        return [SlotSet("product", product.name)] if product else []
