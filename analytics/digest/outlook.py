"""What the analytics page shows beside the period's numbers: the next four weeks' sales, who is
likely to buy or at risk, and what sells together, from the jobs' latest stored runs.

Unlike the period's numbers these are not a record of the period: each comes with the as-of of
the run it is from, and only runs made by the time the digest is built (`now`) are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_store.db import UnitOfWork
from crm_store.models import BasketRule, PurchasePropensity, SalesForecast
from crm_store.services.baskets import RuleView, top_rules
from crm_store.services.propensity import (
    AT_RISK_BELOW,
    LIKELY_FROM,
    PropensityView,
    at_risk,
    count_likely_and_at_risk,
    likely_to_buy,
)


@dataclass(frozen=True)
class Outlook:
    forecast_as_of: datetime | None
    next_four_weeks: tuple[float, float, float] | None  # revenue, lower, upper (80 % interval)
    propensity_as_of: datetime | None
    likely: int  # customers scoring >= LIKELY_FROM
    scored: int
    likely_top: list[PropensityView]
    at_risk: int  # bought at least twice, now below AT_RISK_BELOW
    at_risk_top: list[PropensityView]
    rules_as_of: datetime | None
    rules: list[RuleView]

    @property
    def empty(self) -> bool:
        return self.forecast_as_of is None and self.propensity_as_of is None and self.rules_as_of is None


def _as_of(s: Session, column, now: datetime) -> datetime | None:  # type: ignore[no-untyped-def]
    value = s.scalar(select(func.max(column)))
    return value if value is not None and value <= now else None


def outlook(uow: UnitOfWork, now: datetime, top_n: int = 3) -> Outlook:
    with uow:
        s = uow.session
        f_at = _as_of(s, SalesForecast.as_of, now)
        four = (
            s.execute(
                select(SalesForecast.revenue, SalesForecast.lower, SalesForecast.upper).where(
                    SalesForecast.kind == "4 weeks"
                )
            ).first()
            if f_at
            else None
        )
        p_at = _as_of(s, PurchasePropensity.as_of, now)
        scored = likely = risky = 0
        top: list[PropensityView] = []
        risky_top: list[PropensityView] = []
        if p_at:
            scored, likely, risky = count_likely_and_at_risk(uow)
            top = [v for v in likely_to_buy(uow, top_n) if v.score >= LIKELY_FROM]
            risky_top = at_risk(uow, top_n)
        r_at = _as_of(s, BasketRule.as_of, now)
        rules = top_rules(uow, top_n) if r_at else []
    return Outlook(
        f_at,
        (float(four[0]), float(four[1]), float(four[2])) if four else None,
        p_at,
        likely,
        scored,
        top,
        risky,
        risky_top,
        r_at,
        rules,
    )


__all__ = ["AT_RISK_BELOW", "LIKELY_FROM", "Outlook", "outlook"]
