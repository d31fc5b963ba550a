"""The score_propensity job: who is likely to order in the next 90 days, per customer, as of
the run; validated first on the last 90 days before the as-of (held out from its training)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine

from analytics.jobs import JobContext, JobSpec, register
from crm_store.models import PurchasePropensity
from crm_store.services.propensity import LIKELY_FROM

log = logging.getLogger(__name__)

MIN_BUYERS = 30


def score_propensity(engine: Engine, as_of: datetime, run_id: int | None = None) -> dict:
    from threadpoolctl import threadpool_limits

    # One OpenMP thread: the job shares two cores with Rasa, and spinning threads on a busy
    # machine made gradient boosting many times slower.
    with threadpool_limits(1):
        return _score(engine, as_of, run_id)


def _score(engine: Engine, as_of: datetime, run_id: int | None) -> dict:
    from analytics.frames import customer_orders, load_customers, load_orders
    from analytics.propensity import HORIZON_DAYS, behaviour_features, fit, validate

    with engine.connect() as conn:
        customers, orders = load_customers(conn, as_of), customer_orders(load_orders(conn, as_of))
    feats = behaviour_features(customers, orders, as_of)
    if len(feats) < MIN_BUYERS:
        return {"skipped": f"fewer than {MIN_BUYERS} customers with an order", "scored": 0}
    summary: dict = {}
    try:
        check = validate(customers, orders, as_of - timedelta(days=HORIZON_DAYS))
        summary["validation"] = {
            "held_out_days": HORIZON_DAYS,
            "customers": check.customers,
            "buyers": check.buyers,
            "auc": check.auc,
            "precision_top_decile": check.precision_top_decile,
        }
    except ValueError as exc:  # too little history before the held-out window to learn from
        summary["validation"] = f"not possible: {exc}"
    model = fit(customers, orders, as_of)
    scores = model.score(feats)
    rows = [
        {
            "customer_id": int(c),
            "score": round(float(s), 4),
            "horizon_days": HORIZON_DAYS,
            "as_of": as_of,
            "run_id": run_id,
        }
        for c, s in scores.items()
    ]
    with engine.begin() as conn:
        conn.execute(delete(PurchasePropensity))
        conn.execute(insert(PurchasePropensity), rows)
    summary.update(
        scored=len(rows),
        expected_buyers=round(float(scores.sum()), 1),
        trained_rows=model.trained_rows,
        likely_to_buy=int((scores >= LIKELY_FROM).sum()),
    )
    return summary


def score_propensity_job(ctx: JobContext) -> int:
    summary = score_propensity(ctx.engine, ctx.now, ctx.run_id)
    ctx.summary.update(summary)
    log.info("propensity scored", extra={"customers": summary["scored"]})
    return int(summary["scored"])


register(
    JobSpec(
        "score_propensity",
        score_propensity_job,
        "45 3 * * *",
        "chance each customer orders in the next 90 days (gradient boosting, validated on the last 90 days)",
    )
)
