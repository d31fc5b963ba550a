"""Who will buy, as the scheduled propensity job left it: one customer's score, the customers
most likely to order, and the valuable ones at risk of not coming back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, case, cast, func, select

from crm_store.db import UnitOfWork
from crm_store.models import Customer, Order, PurchasePropensity
from crm_store.sql import SALE, counted_orders

AT_RISK_BELOW = 0.3
LIKELY_FROM = 0.7  # a score from which a customer counts as likely to buy


@dataclass(frozen=True)
class PropensityView:
    customer_id: int
    name: str
    score: float
    as_of: datetime
    orders: int
    spent: float
    last_order: datetime | None


def propensity_of(uow: UnitOfWork, customer_id: int) -> PropensityView | None:
    rows = _rows(uow, PurchasePropensity.customer_id == customer_id, None, 1)
    return rows[0] if rows else None


def likely_to_buy(uow: UnitOfWork, limit: int = 20) -> list[PropensityView]:
    return _rows(uow, None, PurchasePropensity.score.desc(), limit)


def _bought():  # type: ignore[no-untyped-def]
    """Per customer: sales (a credit note is no order), net spend, last purchase."""
    return (
        select(
            Order.customer_id,
            # a credit note is no order: it only comes off the spend
            func.sum(case((Order.kind == SALE, 1), else_=0)).label("n"),
            func.sum(cast(Order.total, Float)).label("spent"),
            func.max(case((Order.kind == SALE, Order.placed_at))).label("last"),
        )
        .where(counted_orders())
        .group_by(Order.customer_id)
        .subquery()
    )


def count_likely_and_at_risk(uow: UnitOfWork) -> tuple[int, int, int]:
    """(scored, likely to buy, at risk) among the stored scores, as the two lists count them."""
    p = PurchasePropensity
    bought = _bought()
    with uow:
        s = uow.session
        scored = s.scalar(select(func.count()).select_from(p)) or 0
        likely = s.scalar(select(func.count()).select_from(p).where(p.score >= LIKELY_FROM)) or 0
        risky = (
            s.scalar(
                select(func.count())
                .select_from(p)
                .join(bought, bought.c.customer_id == p.customer_id)
                .where(p.score < AT_RISK_BELOW, bought.c.n >= 2)
            )
            or 0
        )
    return int(scored), int(likely), int(risky)


def at_risk(uow: UnitOfWork, limit: int = 20) -> list[PropensityView]:
    """Customers who bought more than once and now score below AT_RISK_BELOW, most spent first."""
    return _rows(uow, PurchasePropensity.score < AT_RISK_BELOW, "spent", limit, min_orders=2)


def _rows(uow: UnitOfWork, where, order, limit: int, min_orders: int = 0) -> list[PropensityView]:  # type: ignore[no-untyped-def]
    p = PurchasePropensity
    bought = _bought()
    stmt = (
        select(p.customer_id, Customer.name, p.score, p.as_of, bought.c.n, bought.c.spent, bought.c.last)
        .join(Customer, Customer.id == p.customer_id)
        .outerjoin(bought, bought.c.customer_id == p.customer_id)
    )
    if where is not None:
        stmt = stmt.where(where)
    if min_orders:
        stmt = stmt.where(bought.c.n >= min_orders)
    stmt = stmt.order_by(
        bought.c.spent.desc() if order == "spent" else order if order is not None else p.id, p.customer_id
    )
    with uow:
        return [
            PropensityView(r[0], r[1], float(r[2]), r[3], int(r[4] or 0), float(r[5] or 0.0), r[6])
            for r in uow.session.execute(stmt.limit(limit)).all()
        ]
