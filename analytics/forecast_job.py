"""The forecast_sales job: weekly revenue for the next eight weeks and the next four weeks
together, each with an 80 % interval, backtested against two baselines in the same run."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine

from analytics.jobs import JobContext, JobSpec, register
from crm_store.models import SalesForecast

log = logging.getLogger(__name__)

HORIZON_WEEKS = 8


def forecast_sales(engine: Engine, as_of: datetime, run_id: int | None = None) -> dict:
    from analytics.forecast import (
        MIN_WEEKS,
        backtest,
        next_four_weeks_total,
        next_weeks,
        weekly_sales,
    )
    from analytics.frames import load_orders

    with engine.connect() as conn:
        series = weekly_sales(load_orders(conn, as_of), as_of)
    if len(series) < MIN_WEEKS:
        return {"skipped": f"{len(series)} complete weeks of sales; a forecast needs {MIN_WEEKS}", "weeks": 0}
    weeks = next_weeks(series, HORIZON_WEEKS)
    total, lo, hi = next_four_weeks_total(series)
    rows = [
        {
            "kind": "week",
            "period_start": r.period_start.to_pydatetime(),
            "revenue": round(float(r.revenue), 2),
            "lower": round(float(r.lower), 2),
            "upper": round(float(r.upper), 2),
            "as_of": as_of,
            "run_id": run_id,
        }
        for r in weeks.itertuples()
    ]
    rows.append(
        {
            "kind": "4 weeks",
            "period_start": weeks["period_start"].iloc[0].to_pydatetime(),
            "revenue": round(total, 2),
            "lower": round(lo, 2),
            "upper": round(hi, 2),
            "as_of": as_of,
            "run_id": run_id,
        }
    )
    with engine.begin() as conn:
        conn.execute(delete(SalesForecast))
        conn.execute(insert(SalesForecast), rows)
    check = backtest(series) if len(series) >= 2 * MIN_WEEKS else None
    return {
        "weeks_of_history": len(series),
        "weeks": HORIZON_WEEKS,
        "next_4_weeks": f"{total:,.0f} (80 % interval {lo:,.0f} – {hi:,.0f})",
        "backtest_mase": {k: round(v, 3) for k, v in check.mase.items()} if check else "too little history",
    }


def forecast_sales_job(ctx: JobContext) -> int:
    summary = forecast_sales(ctx.engine, ctx.now, ctx.run_id)
    ctx.summary.update(summary)
    return int(summary["weeks"])


register(
    JobSpec(
        "forecast_sales",
        forecast_sales_job,
        "0 4 * * 1",
        "weekly sales forecast for the next eight weeks with intervals (ETS), backtested against baselines",
    )
)
