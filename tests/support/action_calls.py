"""Calling the real actions against a test CRM: a linked REST chat, orders, and trackers."""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions
from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.models import ChannelIdentity, Customer, Order, OrderItem, Product

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text("utf-8"))
# The action modules (each may open a unit of work through its own `crm` name).
ACTION_MODULES = tuple(f"actions.{m.name}" for m in pkgutil.iter_modules(actions.__path__))


def point_actions_at(monkeypatch: Any, uow_factory: Callable[[], UnitOfWork]) -> None:
    """The actions' CRM is the test database; nothing else is replaced."""
    for name in ACTION_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "crm"):
            monkeypatch.setattr(module, "crm", uow_factory)


def linked_chat(uow_factory: Callable[[], UnitOfWork], email: bool = True) -> tuple[str, int]:
    sender = f"act-{uuid.uuid4().hex[:10]}"
    now = datetime.utcnow()
    uow = uow_factory()
    with uow:
        person = uow.customers.add(
            Customer(
                name="Test Person",
                email=f"{sender}@example.com" if email else None,
                created_at=now - timedelta(days=90),
            )
        )
        uow.identities.add(ChannelIdentity(customer_id=person.id, channel="rest", external_id=sender, created_at=now))
        uow.commit()
        return sender, person.id


def an_order(uow_factory: Callable[[], UnitOfWork], customer_id: int, status: str, product: str, days_ago: int) -> str:
    number = f"A-{uuid.uuid4().int % 90000 + 10000}"
    placed = datetime.utcnow() - timedelta(days=days_ago)
    uow = uow_factory()
    with uow:
        item = uow.products.add(
            Product(sku=f"SKU-{uuid.uuid4().hex[:8]}", name=product, price=Decimal("20.00"), stock=3)
        )
        order = uow.orders.add(
            Order(
                number=number,
                customer_id=customer_id,
                status="pending",
                stage_entered_at=placed,
                placed_at=placed,
                total=Decimal("20.00"),
                shipping_address="Torstrasse 1, 10119 Berlin",
            )
        )
        uow.session.add(OrderItem(order_id=order.id, product_id=item.id, quantity=1, unit_price=Decimal("20.00")))
        flow = ["paid", "packed", "shipped", "delivered"]
        for step, stage in enumerate(flow[: flow.index(status) + 1] if status in flow else []):
            stages.move(uow.session, "order", order, stage, placed + timedelta(hours=step + 1))
        uow.commit()
    return number


def tracker(
    sender: str,
    text: str,
    slots: dict | None = None,
    events: list | None = None,
    form: str | None = None,
    entities: list | None = None,
    intent: str = "inform",
) -> Tracker:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    return Tracker(
        sender,
        {**(slots or {})},
        parse,
        [*(events or []), {"event": "user", "text": text, "parse_data": parse}],
        False,
        None,
        {"name": form} if form else {},
        "action_listen",
    )


def replies(dispatcher: CollectingDispatcher) -> str:
    return " ".join(str(m.get("text") or m.get("response") or "") for m in dispatcher.messages)


def slot(events: list[dict], name: str) -> Any:
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]
    return values[-1] if values else "unset"
