"""The digest says what the analytics page says: next four weeks' sales, who is likely to buy or
at risk, what sells together, each with the date of the run it comes from, and never a run made
after the digest was built."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import insert

from analytics.digest import build_digest, last_complete, render_html, render_text
from crm_store.db import UnitOfWork
from crm_store.models import BasketRule, Customer, Order, Product, PurchasePropensity, SalesForecast

NOW = datetime(2026, 11, 30, 7, 0)
WEEK = last_complete("week", NOW)
RUN = datetime(2026, 11, 30, 3, 45)  # the jobs' run that morning


def plant(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        people = {}
        for name, orders, score in (("Ada Keen", 6, 0.93), ("Ben Sure", 3, 0.81), ("Cy Gone", 4, 0.12)):
            cid = conn.execute(
                insert(Customer).values(name=name, created_at=NOW - timedelta(days=300))
            ).inserted_primary_key[0]
            people[name] = cid
            for i in range(orders):
                at = NOW - timedelta(days=200 - 20 * i)
                conn.execute(
                    insert(Order).values(
                        number=f"O-{uuid.uuid4().hex[:10]}",
                        customer_id=cid,
                        status="delivered",
                        stage_entered_at=at,
                        placed_at=at,
                        total=100 if name == "Cy Gone" else 20,
                    )
                )
            conn.execute(insert(PurchasePropensity).values(customer_id=cid, score=score, horizon_days=90, as_of=RUN))
        conn.execute(
            insert(SalesForecast).values(
                kind="4 weeks", period_start=NOW, revenue=12000.0, lower=9000.0, upper=15500.0, as_of=RUN
            )
        )
        mug, tea = (
            conn.execute(
                insert(Product).values(sku=f"{n}-{uuid.uuid4().hex[:6]}", name=n, price=5, stock=1)
            ).inserted_primary_key[0]
            for n in ("Blue mug", "Green tea")
        )
        conn.execute(
            insert(BasketRule).values(
                antecedent_key=str(mug),
                consequent_key=str(tea),
                antecedent=[mug],
                consequent=[tea],
                support=0.05,
                confidence=0.6,
                lift=3.0,
                orders=30,
                as_of=RUN,
            )
        )


def test_the_digest_carries_the_forecast_the_likely_buyers_and_the_rules(engine):
    plant(engine)

    digest = build_digest(UnitOfWork(engine), WEEK, NOW, currency="GBP")
    text_, html = render_text(digest), render_html(digest)

    assert (
        "Sales in the next four weeks: £12,000.00 (80% interval £9,000.00 to £15,500.00; forecast of 30 Nov 2026)"
        in text_
    )
    assert (
        "Likely to buy in the next 90 days: 2 of 3 customers (scores of 30 Nov 2026), most likely Ada Keen (93%), Ben Sure (81%)"
        in text_
    )
    assert "At risk of not coming back (bought twice or more, now under 30%): 1, biggest spenders Cy Gone" in text_
    assert "Bought together: Blue mug -> Green tea (lift 3.0, 60% of 30 orders)" in text_
    assert "Blue mug + " not in text_ and "£12,000.00" in html and "Blue mug → Green tea" in html


def test_runs_after_the_digest_was_built_are_not_shown(engine):
    plant(engine)

    before = render_text(build_digest(UnitOfWork(engine), WEEK, RUN - timedelta(hours=1)))

    assert "Not computed yet (the forecast_sales, score_propensity and mine_basket_rules jobs have not run)." in before
    assert "Ada Keen" not in before and "Green tea" not in before
