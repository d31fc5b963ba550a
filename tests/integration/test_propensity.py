"""Purchase propensity: a customer who surely buys scores high, a lapsed one-timer low, and the
same data as of the same date gives the same scores whatever came later."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from analytics.jobs import get_job, run_job
from crm_store.db import UnitOfWork
from crm_store.models import Customer, Order, PurchasePropensity
from crm_store.services.propensity import at_risk, likely_to_buy, propensity_of
from crm_store.settings import Settings

AS_OF = datetime(2026, 11, 30)


def plant(engine) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    """weekly: an order every week for 400 days; lapsed: 2-4 orders, the last 150+ days ago;
    one-time: a single order 200-400 days ago."""
    rng = random.Random(4)
    groups: dict[str, list[int]] = {"weekly": [], "lapsed": [], "one-time": []}
    rows = []
    with engine.begin() as conn:
        for kind, n in (("weekly", 40), ("lapsed", 60), ("one-time", 100)):
            for _ in range(n):
                cid = conn.execute(
                    insert(Customer).values(
                        name=f"{kind} {uuid.uuid4().hex[:4]}", created_at=AS_OF - timedelta(days=420)
                    )
                ).inserted_primary_key[0]
                groups[kind].append(cid)
                if kind == "weekly":
                    days = list(range(rng.randint(1, 6), 400, 7))
                elif kind == "lapsed":
                    last = rng.randint(150, 250)
                    days = [last + 20 * i for i in range(rng.randint(2, 4))]
                else:
                    days = [rng.randint(200, 400)]
                rows += [
                    {
                        "number": f"P-{uuid.uuid4().hex[:12]}",
                        "customer_id": cid,
                        "status": "delivered",
                        "placed_at": AS_OF - timedelta(days=d),
                        "stage_entered_at": AS_OF - timedelta(days=d),
                        "total": 50 if kind != "lapsed" else 400,
                    }
                    for d in days
                ]
        rows.append({**rows[0], "number": "P-anonymous", "customer_id": None})  # a sale with no customer
        conn.execute(insert(Order), rows)
    return groups


def scores(engine) -> dict[int, float]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return dict(conn.execute(select(PurchasePropensity.customer_id, PurchasePropensity.score)).all())


def test_a_weekly_buyer_surely_buys_and_a_one_timer_does_not(engine):
    groups = plant(engine)

    result = run_job(get_job("score_propensity"), Settings(), engine, AS_OF)

    assert result.status == "ok", result.error
    got = scores(engine)
    assert min(got[c] for c in groups["weekly"]) >= 0.8
    assert max(got[c] for c in groups["one-time"]) <= 0.3
    assert result.summary["validation"]["auc"]["gradient boosting"] >= 0.9
    top = likely_to_buy(UnitOfWork(engine), 10)
    assert {v.customer_id for v in top} <= set(groups["weekly"]) and top[0].as_of == AS_OF
    risky = at_risk(UnitOfWork(engine), 5)
    assert risky and {v.customer_id for v in risky} <= set(groups["lapsed"]) and all(v.orders >= 2 for v in risky)
    assert propensity_of(UnitOfWork(engine), groups["weekly"][0]).score == got[groups["weekly"][0]]


def test_the_same_as_of_gives_the_same_scores_after_later_orders(engine):
    groups = plant(engine)
    run_job(get_job("score_propensity"), Settings(), engine, AS_OF)
    first = scores(engine)
    with engine.begin() as conn:  # a one-timer comes back after the as-of
        conn.execute(
            insert(Order).values(
                number="P-later",
                customer_id=groups["one-time"][0],
                status="delivered",
                placed_at=AS_OF + timedelta(days=3),
                stage_entered_at=AS_OF + timedelta(days=3),
                total=9,
            )
        )

    run_job(get_job("score_propensity"), Settings(), engine, AS_OF)

    assert scores(engine) == first
