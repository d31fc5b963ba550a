"""The mine_basket_rules job: last year's order lines -> association rules -> basket_rules.

Each run replaces the stored rules with those of the year before its as-of, so the console,
the digest and the assistant read one current set.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from analytics.jobs import JobContext, JobSpec, register
from crm_store.models import BasketRule, Product

log = logging.getLogger(__name__)

WINDOW = timedelta(days=365)


def mine_basket_rules(engine: Engine, as_of: datetime, run_id: int | None = None) -> dict:
    from analytics.baskets import BasketSettings, association_rules, key
    from analytics.frames import load_lines, load_orders

    with engine.connect() as conn:
        orders = load_orders(conn, as_of)
        lines = load_lines(conn, as_of)
    recent = orders.loc[orders["placed_at"] > as_of - WINDOW, "id"]
    lines = lines[lines["order_id"].isin(recent)]
    rules = association_rules(lines, BasketSettings())
    rows = [
        {
            "antecedent_key": key(r.antecedent),
            "consequent_key": key(r.consequent),
            "antecedent": r.antecedent,
            "consequent": r.consequent,
            "support": r.support,
            "confidence": r.confidence,
            "lift": r.lift,
            "orders": int(r.orders),
            "as_of": as_of,
            "run_id": run_id,
        }
        for r in rules.itertuples()
    ]
    with engine.begin() as conn:
        conn.execute(delete(BasketRule))
        if rows:
            conn.execute(insert(BasketRule), rows)
        names = dict(conn.execute(select(Product.id, Product.name)).all())
    top = [
        f"{' + '.join(names.get(i, str(i)) for i in r.antecedent)} -> {' + '.join(names.get(i, str(i)) for i in r.consequent)} "
        f"(lift {r.lift:.1f}, confidence {r.confidence:.0%}, {r.orders} orders)"
        for r in rules.head(3).itertuples()
    ]
    return {"orders": int(recent.size), "order_lines": len(lines), "rules": len(rows), "top_rules": top or "none"}


def mine_basket_rules_job(ctx: JobContext) -> int:
    summary = mine_basket_rules(ctx.engine, ctx.now, ctx.run_id)
    ctx.summary.update(summary)
    log.info("basket rules stored", extra={"rules": summary["rules"]})
    return int(summary["rules"])


register(
    JobSpec(
        "mine_basket_rules",
        mine_basket_rules_job,
        "30 3 * * *",
        "association rules over last year's order lines (which products sell together)",
    )
)
