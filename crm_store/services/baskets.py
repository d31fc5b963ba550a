"""Which products sell together, as the scheduled basket job left it (the console, the digest
and the assistant's product answer read it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.models import BasketRule, Product


@dataclass(frozen=True)
class RuleView:
    antecedent: tuple[str, ...]  # product names
    consequent: tuple[str, ...]
    support: float
    confidence: float
    lift: float
    orders: int


def _names(uow: UnitOfWork, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(uow.session.execute(select(Product.id, Product.name).where(Product.id.in_(ids))).all())


def top_rules(uow: UnitOfWork, limit: int = 10) -> list[RuleView]:
    """The strongest rules (by lift, then confidence)."""
    with uow:
        rows = uow.session.scalars(
            select(BasketRule)
            .order_by(BasketRule.lift.desc(), BasketRule.confidence.desc(), BasketRule.id)
            .limit(limit)
        ).all()
        names = _names(uow, {i for r in rows for i in [*r.antecedent, *r.consequent]})
        return [
            RuleView(
                tuple(names.get(i, f"#{i}") for i in r.antecedent),
                tuple(names.get(i, f"#{i}") for i in r.consequent),
                r.support,
                r.confidence,
                r.lift,
                r.orders,
            )
            for r in rows
        ]


def often_bought_with(uow: UnitOfWork, product_id: int, limit: int = 3) -> list[RuleView]:
    """Products bought with this one alone, strongest first (one product per rule)."""
    with uow:
        rows = uow.session.scalars(
            select(BasketRule)
            .where(BasketRule.antecedent_key == str(product_id))
            .order_by(BasketRule.confidence.desc(), BasketRule.lift.desc(), BasketRule.id)
        ).all()
        rows = [r for r in rows if len(r.consequent) == 1][:limit]
        names = _names(uow, {product_id, *(r.consequent[0] for r in rows)})
        return [
            RuleView(
                (names.get(product_id, ""),),
                (names.get(r.consequent[0], f"#{r.consequent[0]}"),),
                r.support,
                r.confidence,
                r.lift,
                r.orders,
            )
            for r in rows
        ]
