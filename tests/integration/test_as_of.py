"""As-of runs: the same data and the same as-of give the same answer, whatever happened later."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from analytics.asof import BadAsOf, parse_as_of
from analytics.features import customer_features
from crm_store.models import Customer
from tests.integration.test_segmentation import (
    NOW,
    buy_like_a_loyal_customer,
    memberships,
    plant,
    run,
)


def test_later_data_changes_nothing_as_of_the_same_date(engine):
    groups = plant(engine)
    with engine.connect() as conn:
        before = customer_features(conn, NOW)
    first = run(engine, NOW)
    assigned = memberships(engine)
    # What happens after the as-of: a lapsed customer buys a lot, a new customer signs up.
    buy_like_a_loyal_customer(engine, groups["hibernating"][0], NOW + timedelta(days=30))
    with engine.begin() as conn:
        conn.execute(
            insert(Customer).values(
                name="x", email=f"{uuid.uuid4().hex[:12]}@example.com", created_at=NOW + timedelta(days=2)
            )
        )

    with engine.connect() as conn:
        after = customer_features(conn, NOW)
    again = run(engine, NOW)

    assert after.equals(before)
    assert memberships(engine) == assigned
    assert again.summary["moved"] == 0 and again.summary["segments"] == first.summary["segments"]
    assert again.summary["as_of"] == NOW.isoformat()
    # The same data counted from a later date sees the comeback.
    with engine.connect() as conn:
        later = customer_features(conn, NOW + timedelta(days=31))
    assert later.loc[groups["hibernating"][0], "frequency"] > before.loc[groups["hibernating"][0], "frequency"]
    assert len(later) == len(before) + 1


def test_as_of_parsing():
    assert parse_as_of("2011-12-10") == datetime(2011, 12, 10)
    assert parse_as_of("2011-12-10T06:30") == datetime(2011, 12, 10, 6, 30)
    assert parse_as_of("2011-12-10T07:30+01:00") == datetime(2011, 12, 10, 6, 30)
    assert abs(parse_as_of(None) - datetime.utcnow()) < timedelta(seconds=5)
    with pytest.raises(BadAsOf, match="not a date"):
        parse_as_of("last tuesday")


def test_features_from_frames_match_the_sql_features(engine):
    from analytics.features import features_from_frames
    from analytics.frames import load_customers, load_orders

    plant(engine)
    with engine.connect() as conn:
        sql = customer_features(conn, NOW)
        frames = features_from_frames(load_customers(conn, NOW), load_orders(conn, NOW), NOW)

    columns = ["recency_days", "frequency", "monetary", "tenure_days"]
    assert (frames.loc[sql.index, columns] - sql[columns]).abs().max().max() < 1e-6


def test_credit_notes_come_off_the_spend_but_are_no_orders(engine):
    """A sale, a sale cancelled by its status with the credit note an import mirrors it with, and a
    cancellation invoice for part of the sale: one order, spend net, last purchase the sale's."""
    from analytics.features import features_from_frames
    from analytics.frames import load_customers, load_orders, load_lines
    from crm_store.db import UnitOfWork
    from crm_store.models import Order, OrderItem, Product
    from crm_store.services.insight import weekly_revenue

    def order(conn, cid, days, total, kind="order", status="delivered", credit_for=None):  # type: ignore[no-untyped-def]
        at = NOW - timedelta(days=days)
        return conn.execute(
            insert(Order).values(
                number=f"N-{uuid.uuid4().hex[:10]}",
                customer_id=cid,
                status=status,
                stage_entered_at=at,
                placed_at=at,
                total=total,
                kind=kind,
                credit_for_order_id=credit_for,
            )
        ).inserted_primary_key[0]

    with engine.begin() as conn:
        cid = conn.execute(
            insert(Customer).values(name="Net Spender", created_at=NOW - timedelta(days=200))
        ).inserted_primary_key[0]
        sale = order(conn, cid, 100, 80.0)
        gone = order(conn, cid, 50, 30.0, status="cancelled")
        order(conn, cid, 49, -30.0, kind="credit_note", status="cancelled", credit_for=gone)
        note = order(conn, cid, 10, -20.0, kind="credit_note", status="cancelled", credit_for=sale)
        pid = conn.execute(
            insert(Product).values(sku=f"S-{uuid.uuid4().hex[:6]}", name="Mug", price=20)
        ).inserted_primary_key[0]
        conn.execute(insert(OrderItem).values(order_id=sale, product_id=pid, quantity=4, unit_price=20))
        conn.execute(insert(OrderItem).values(order_id=note, product_id=pid, quantity=-1, unit_price=20))

    with engine.connect() as conn:
        sql = customer_features(conn, NOW).loc[cid]
        orders = load_orders(conn, NOW)
        frames = features_from_frames(load_customers(conn, NOW), orders, NOW).loc[cid]
        lines = load_lines(conn, NOW)

    for got in (sql, frames):
        assert got["frequency"] == 1 and got["monetary"] == 60.0 and got["recency_days"] == 100
    assert sorted(orders.loc[orders["customer_id"] == cid, "kind"]) == ["credit_note", "order"]
    assert note not in set(lines["order_id"])  # a credit note is no basket
    weeks = weekly_revenue(UnitOfWork(engine), NOW - timedelta(days=200), NOW)  # the forecast chart's actuals
    assert sum(v for _, v in weeks) == 60.0
