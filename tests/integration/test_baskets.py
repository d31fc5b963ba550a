"""Basket rules: a planted pairing with a known lift, found by the pure miner and by the job,
stored, and read back as "often bought with"."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, insert, select

from analytics.baskets import BasketSettings, association_rules
from analytics.jobs import get_job, run_job
from crm_store.db import UnitOfWork
from crm_store.models import BasketRule, Customer, Order, OrderItem, Product
from crm_store.services.baskets import often_bought_with, top_rules
from crm_store.settings import Settings

AS_OF = datetime(2026, 11, 30)


def planted_lines(first_id: int = 1) -> list[tuple[int, list[int]]]:
    """200 orders of products 1..22: A=1 in 50 orders, B=2 in 40, both in 30, so
    confidence(A -> B) = 30/50 = 0.6, confidence(B -> A) = 0.75 and lift = 0.6 / (40/200) = 3.0.
    Every order also holds two random fillers (3..22), so no order is a single product."""
    rng = random.Random(11)
    orders = []
    for i in range(200):
        items = rng.sample(range(3, 23), 2)
        if i < 30:
            items += [1, 2]
        elif i < 50:
            items += [1]
        elif i < 60:
            items += [2]
        orders.append((first_id + i, items))
    return orders


def test_the_planted_pairing_has_its_known_lift():
    lines = pd.DataFrame([(o, p) for o, items in planted_lines() for p in items], columns=["order_id", "product_id"])

    rules = association_rules(lines, BasketSettings(min_support=0.05, min_confidence=0.3, min_lift=1.5))

    ab = rules[(rules["antecedent"].map(tuple) == (1,)) & (rules["consequent"].map(tuple) == (2,))].iloc[0]
    ba = rules[(rules["antecedent"].map(tuple) == (2,)) & (rules["consequent"].map(tuple) == (1,))].iloc[0]
    assert ab["lift"] == pytest.approx(3.0) and ab["confidence"] == pytest.approx(0.6)
    assert ba["confidence"] == pytest.approx(0.75) and ab["support"] == pytest.approx(0.15) and ab["orders"] == 30
    assert not any(3 in a + c for a, c in zip(rules["antecedent"], rules["consequent"]))  # fillers pair with nothing


def test_the_job_stores_the_rules_and_a_product_knows_what_comes_with_it(engine):
    with engine.begin() as conn:
        pids = [
            conn.execute(
                insert(Product).values(sku=f"S{i}-{uuid.uuid4().hex[:6]}", name=f"product {i}", price=5, stock=3)
            ).inserted_primary_key[0]
            for i in range(1, 23)
        ]
        cid = conn.execute(
            insert(Customer).values(name="x", created_at=AS_OF - timedelta(days=400))
        ).inserted_primary_key[0]
        for n, items in planted_lines():
            at = AS_OF - timedelta(days=1 + n % 300)
            oid = conn.execute(
                insert(Order).values(
                    number=f"B-{uuid.uuid4().hex[:10]}",
                    customer_id=cid,
                    status="delivered",
                    stage_entered_at=at,
                    placed_at=at,
                    total=10,
                )
            ).inserted_primary_key[0]
            conn.execute(
                insert(OrderItem),
                [{"order_id": oid, "product_id": pids[p - 1], "quantity": 1, "unit_price": 5} for p in items],
            )
        # An order after the as-of and a cancelled one must not count.
        late = conn.execute(
            insert(Order).values(
                number="B-late",
                customer_id=cid,
                status="delivered",
                stage_entered_at=AS_OF,
                placed_at=AS_OF + timedelta(days=1),
                total=5,
            )
        ).inserted_primary_key[0]
        conn.execute(insert(OrderItem).values(order_id=late, product_id=pids[0], quantity=1, unit_price=5))

    result = run_job(get_job("mine_basket_rules"), Settings(), engine, AS_OF)
    again = run_job(get_job("mine_basket_rules"), Settings(), engine, AS_OF)

    assert result.status == "ok", result.error
    assert result.summary["orders"] == 200
    with_a = often_bought_with(UnitOfWork(engine), pids[0])
    assert [(r.consequent, round(r.lift, 6), round(r.confidence, 6)) for r in with_a][:1] == [
        (("product 2",), 3.0, 0.6)
    ]
    assert top_rules(UnitOfWork(engine), 1)[0].lift == pytest.approx(3.0)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(BasketRule)) == result.rows == again.rows


def test_the_product_answer_mentions_what_is_often_bought_with_it(engine, monkeypatch):
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions import products as product_actions

    with engine.begin() as conn:
        lamp = conn.execute(
            insert(Product).values(sku="L-1", name="desk lamp", price=30, stock=4)
        ).inserted_primary_key[0]
        bulb = conn.execute(insert(Product).values(sku="B-1", name="led bulb", price=5, stock=40)).inserted_primary_key[
            0
        ]
        conn.execute(
            insert(BasketRule).values(
                antecedent_key=str(lamp),
                consequent_key=str(bulb),
                antecedent=[lamp],
                consequent=[bulb],
                support=0.1,
                confidence=0.7,
                lift=4.0,
                orders=20,
                as_of=AS_OF,
            )
        )
    monkeypatch.setattr(product_actions, "crm", lambda: UnitOfWork(engine))
    dispatcher = CollectingDispatcher()
    tracker = Tracker(
        "s1",
        {},
        {"text": "tell me about the desk lamp", "entities": [{"entity": "product", "value": "desk lamp"}]},
        [],
        False,
        None,
        {},
        "action_listen",
    )

    product_actions.ActionProductInfo().run(dispatcher, tracker, {})
    plain = CollectingDispatcher()
    product_actions.ActionProductInfo().run(
        plain,
        Tracker(
            "s2",
            {},
            {"text": "tell me about the led bulb", "entities": [{"entity": "product", "value": "led bulb"}]},
            [],
            False,
            None,
            {},
            "action_listen",
        ),
        {},
    )

    assert [m.get("response") or m.get("text") for m in dispatcher.messages] == [
        "utter_product_info",
        "Customers often buy it with: led bulb.",
    ]
    assert [m.get("response") for m in plain.messages] == ["utter_product_info"]  # no rule from the bulb: nothing extra
