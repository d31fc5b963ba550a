"""Which order the customer means, through the real actions and a real CRM (SQLite and PostgreSQL).

The actions read the CRM through `crm()`; here it is pointed at the test database, nothing else
is replaced.
"""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.models import ChannelIdentity, Customer, Order, OrderItem, Product
from crm_store.services.order_resolver import resolve_order

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text("utf-8"))
NOW = datetime.utcnow()


@pytest.fixture
def chat(uow_factory, monkeypatch):  # type: ignore[no-untyped-def]
    """A REST chat linked to a customer; the actions' CRM is the test database."""
    import actions.answers
    import actions.forms
    import actions.orders
    import actions.resolving

    for module in (actions.answers, actions.forms, actions.orders, actions.resolving):
        monkeypatch.setattr(module, "crm", uow_factory)
    sender = f"resolve-{uuid.uuid4().hex[:8]}"
    uow = uow_factory()
    with uow:
        person = uow.customers.add(Customer(name="Test Person", email=f"{sender}@example.com", created_at=NOW - timedelta(days=90)))
        uow.identities.add(ChannelIdentity(customer_id=person.id, channel="rest", external_id=sender, created_at=NOW))
        uow.commit()
        return sender, person.id


def an_order(uow_factory, customer_id: int, status: str, product: str, days_ago: int) -> str:  # type: ignore[no-untyped-def]
    number = f"A-{uuid.uuid4().int % 90000 + 10000}"
    placed = NOW - timedelta(days=days_ago)
    uow: UnitOfWork = uow_factory()
    with uow:
        item = uow.products.add(Product(sku=f"SKU-{uuid.uuid4().hex[:8]}", name=product, price=Decimal("20.00"), stock=3))
        order = uow.orders.add(Order(number=number, customer_id=customer_id, status="pending", stage_entered_at=placed,
                                     placed_at=placed, total=Decimal("20.00"), shipping_address="Torstrasse 1, 10119 Berlin"))
        uow.session.add(OrderItem(order_id=order.id, product_id=item.id, quantity=1, unit_price=Decimal("20.00")))
        flow = ["paid", "packed", "shipped", "delivered"]
        for step, stage in enumerate(flow[: flow.index(status) + 1] if status in flow else []):
            stages.move(uow.session, "order", order, stage, placed + timedelta(hours=step + 1))
        uow.commit()
    return number


def tracker(sender: str, text: str, slots: dict | None = None, events: list | None = None, form: str | None = None,
            entities: list | None = None, intent: str = "inform") -> Tracker:
    return Tracker(sender, {**(slots or {})}, {"text": text, "intent": {"name": intent, "confidence": 0.9},
                                               "entities": entities or []},
                   [*(events or []), {"event": "user", "text": text}], False, None,
                   {"name": form} if form else {}, "action_listen")


def replies(dispatcher: CollectingDispatcher) -> str:
    return " ".join(str(m.get("text") or m.get("response") or "") for m in dispatcher.messages)


def slot(events: list[dict], name: str):  # type: ignore[no-untyped-def]
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]
    return values[-1] if values else "unset"


def test_the_service_picks_by_item_words_over_the_customers_own_orders(uow_factory, chat):
    _, owner = chat
    lamp = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    an_order(uow_factory, owner, "delivered", "yoga mat", 20)

    found = resolve_order(uow_factory(), owner, "where's the lamp I ordered?", NOW.date())

    assert (found.chosen, found.how) == (lamp, "item")


def test_a_status_question_takes_the_only_order_on_its_way_and_says_which(uow_factory, chat):
    from actions.orders import ValidateOrderStatusForm

    sender, owner = chat
    lamp = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    an_order(uow_factory, owner, "delivered", "yoga mat", 20)
    dispatcher = CollectingDispatcher()

    events = asyncio.run(ValidateOrderStatusForm().run(dispatcher, tracker(sender, "where is my order?", form="order_status_form",
                                                                           intent="order_status"), DOMAIN))

    assert slot(events, "order_id") == lamp
    assert f"order {lamp} (1 x desk lamp" in replies(dispatcher)


def test_which_order_offers_the_fitting_orders_as_buttons(uow_factory, chat):
    from actions.resolving import ActionAskOrderId

    sender, owner = chat
    lamp = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    chair = an_order(uow_factory, owner, "paid", "office chair", 1)
    mat = an_order(uow_factory, owner, "delivered", "yoga mat", 20)
    dispatcher = CollectingDispatcher()

    ActionAskOrderId().run(dispatcher, tracker(sender, "where is my order?", form="order_status_form"), DOMAIN)

    buttons = [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]
    assert buttons == [f'/inform{{"order_id":"{chair}"}}', f'/inform{{"order_id":"{lamp}"}}']
    assert mat not in replies(dispatcher)


def test_the_second_one_is_counted_over_the_list_just_shown(uow_factory, chat):
    from actions.answers import ActionAnswer

    sender, owner = chat
    lamp = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    chair = an_order(uow_factory, owner, "paid", "office chair", 1)
    shown = {"event": "bot", "text": "Which order is it about?",
             "data": {"buttons": [{"title": chair, "payload": "x"}, {"title": lamp, "payload": "y"}]}}
    dispatcher = CollectingDispatcher()

    events = ActionAnswer().run(dispatcher, tracker(sender, "the second one", {"requested_info": "order:status"}, [shown]), DOMAIN)

    assert slot(events, "order_id") == lamp
    assert f"Order {lamp}" in replies(dispatcher) or any(m.get("order_id") == lamp for m in dispatcher.messages)


def test_a_corrected_number_is_an_order_not_a_wrong_code(uow_factory, chat):
    from actions.account import ActionVerifyCode

    sender, owner = chat
    first = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    second = an_order(uow_factory, owner, "paid", "office chair", 1)
    dispatcher = CollectingDispatcher()
    digits = second.removeprefix("A-")

    events = ActionVerifyCode().run(dispatcher, tracker(sender, f"no sorry, I meant {digits}", {"order_id": first},
                                                        intent="give_code"), DOMAIN)

    assert "utter_code_wrong" not in replies(dispatcher)
    assert slot(events, "order_id") == second
    assert any(m.get("response") == "utter_order_status" and m.get("order_id") == second for m in dispatcher.messages)


def test_a_correction_while_confirming_a_cancellation_replaces_the_order_and_asks_again(uow_factory, chat):
    from actions.cancel import ValidateCancelOrderForm

    sender, owner = chat
    first = an_order(uow_factory, owner, "paid", "desk lamp", 3)
    second = an_order(uow_factory, owner, "paid", "office chair", 1)
    asked = [{"event": "slot", "name": "requested_slot", "value": "confirm_cancel"},
             {"event": "action", "name": "cancel_order_form"}]
    dispatcher = CollectingDispatcher()

    events = asyncio.run(ValidateCancelOrderForm().run(
        dispatcher, tracker(sender, f"no, I meant {second}", {"order_id": first, "requested_slot": "confirm_cancel"}, asked,
                            form="cancel_order_form", intent="deny"), DOMAIN))

    assert slot(events, "order_id") == second
    assert slot(events, "confirm_cancel") is None
    assert first not in {e.get("value") for e in events if e.get("name") == "order_id"}
