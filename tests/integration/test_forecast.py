"""Sales forecast: a planted growing weekly series is forecast inside its interval, beats the
mean baseline in the backtest, and is the same as of the same date after later orders."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from analytics.forecast import backtest, next_weeks, weekly_sales
from analytics.jobs import get_job, run_job
from crm_store.models import Customer, Order, SalesForecast
from crm_store.settings import Settings

AS_OF = datetime(2026, 11, 30, 6, 0)  # a Monday morning: the week before has ended


def planted_orders(weeks: int = 40, seed: int = 2) -> pd.DataFrame:
    """One order a day; a week's revenue is 1000 + 50 per week since the start, give or take 5 %."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 11, 30) - timedelta(weeks=weeks)
    rows = []
    for w in range(weeks):
        level = 1000 + 50 * w
        for d in range(7):
            rows.append(
                {
                    "customer_id": 1,
                    "placed_at": start + timedelta(weeks=w, days=d, hours=10),
                    "total": level / 7 * rng.uniform(0.95, 1.05),
                }
            )
    return pd.DataFrame(rows)


def test_a_growing_series_is_forecast_mostly_within_its_interval_and_beats_the_baselines():
    orders = planted_orders(44)
    history = weekly_sales(
        orders[orders["placed_at"] < datetime(2026, 11, 30) - timedelta(weeks=4)], AS_OF - timedelta(weeks=4)
    )
    truth = weekly_sales(orders, AS_OF).iloc[-4:]

    ahead = next_weeks(history, 4)
    check = backtest(weekly_sales(orders, AS_OF), horizon=4, origins=8)

    assert list(ahead["period_start"]) == list(truth.index)
    inside = (ahead["lower"].to_numpy() <= truth.to_numpy()) & (truth.to_numpy() <= ahead["upper"].to_numpy())
    assert inside.sum() >= 3  # an 80 % interval: most weeks, not necessarily every one
    assert np.abs(ahead["revenue"].to_numpy() - truth.to_numpy()).max() < 0.05 * truth.max()
    assert check.mase["ETS"] < check.mase["mean"] and check.mase["ETS"] < check.mase["seasonal naive"]


def _store(engine, orders: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        cid = conn.execute(insert(Customer).values(name="x", created_at=datetime(2025, 1, 1))).inserted_primary_key[0]
        conn.execute(
            insert(Order),
            [
                {
                    "number": f"F-{uuid.uuid4().hex[:12]}",
                    "customer_id": cid,
                    "status": "delivered",
                    "placed_at": r.placed_at,
                    "stage_entered_at": r.placed_at,
                    "total": round(r.total, 2),
                }
                for r in orders.itertuples()
            ],
        )


def test_the_job_stores_the_weeks_ahead_and_is_the_same_as_of_the_same_date(engine):
    _store(engine, planted_orders(30))
    first = run_job(get_job("forecast_sales"), Settings(), engine, AS_OF)
    with engine.connect() as conn:
        stored = conn.execute(
            select(SalesForecast.kind, SalesForecast.period_start, SalesForecast.revenue).order_by(
                SalesForecast.kind, SalesForecast.period_start
            )
        ).all()
    _store(engine, pd.DataFrame([{"placed_at": AS_OF + timedelta(hours=2), "total": 99999.0}]))  # after the as-of

    again = run_job(get_job("forecast_sales"), Settings(), engine, AS_OF)

    assert first.status == "ok", first.error
    weeks = [r for r in stored if r.kind == "week"]
    assert len(weeks) == 8 and weeks[0].period_start == datetime(2026, 11, 30)
    assert 1000 + 50 * 30 - 200 < weeks[0].revenue < 1000 + 50 * 30 + 200
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(SalesForecast.kind, SalesForecast.period_start, SalesForecast.revenue).order_by(
                    SalesForecast.kind, SalesForecast.period_start
                )
            ).all()
            == stored
        )
    assert again.summary["next_4_weeks"] == first.summary["next_4_weeks"]
