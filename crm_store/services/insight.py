"""What the console's analytics page shows, read from what the scheduled jobs stored:
segments (sizes, profiles, moves, members), stalled flags by urgency, basket rules,
who will buy, and the sales forecast. Frozen views only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Float, case, cast, func, select

from crm_store.db import UnitOfWork
from crm_store.models import (
    Customer,
    Flag,
    Order,
    SalesForecast,
    Segment,
    SegmentChange,
    SegmentMembership,
)
from crm_store.sql import SALE, counted_orders

STALLED = "stalled"


@dataclass(frozen=True)
class SegmentRow:
    id: int
    name: str
    size: int
    share: float
    description: str
    joined_7d: int  # customers who moved into it in the last 7 days
    left_7d: int


@dataclass(frozen=True)
class MemberRow:
    customer_id: int
    name: str
    email: str | None
    orders: int
    spent: float
    last_order: datetime | None


@dataclass(frozen=True)
class StalledFlag:
    process: str
    process_id: int
    stage: str
    reason: str
    owner: str
    age_hours: float
    overdue: float | None  # time in stage / threshold
    customer_id: int | None
    customer_email: str | None


@dataclass(frozen=True)
class ForecastRow:
    kind: str
    period_start: datetime
    revenue: float
    lower: float
    upper: float
    as_of: datetime


def segments(uow: UnitOfWork, now: datetime) -> list[SegmentRow]:
    since = now - timedelta(days=7)
    with uow:
        s = uow.session
        rows = s.execute(
            select(Segment.id, Segment.name, Segment.size, Segment.description)
            .where(Segment.active.is_(True))
            .order_by(Segment.size.desc(), Segment.id)
        ).all()
        joined = dict(
            s.execute(
                select(SegmentChange.to_segment_id, func.count())
                .where(SegmentChange.changed_at >= since)
                .group_by(SegmentChange.to_segment_id)
            ).all()
        )
        left = dict(
            s.execute(
                select(SegmentChange.from_segment_id, func.count())
                .where(SegmentChange.changed_at >= since)
                .group_by(SegmentChange.from_segment_id)
            ).all()
        )
    total = sum(r.size or 0 for r in rows) or 1
    return [
        SegmentRow(
            r.id,
            r.name,
            int(r.size or 0),
            (r.size or 0) / total,
            r.description or "",
            int(joined.get(r.id, 0)),
            int(left.get(r.id, 0)),
        )
        for r in rows
    ]


def segment_members(uow: UnitOfWork, segment_id: int, limit: int = 100) -> tuple[str, list[MemberRow]] | None:
    """The segment's name and its customers, biggest spenders first."""
    bought = (
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
    with uow:
        s = uow.session
        name = s.scalar(select(Segment.name).where(Segment.id == segment_id))
        if name is None:
            return None
        rows = s.execute(
            select(Customer.id, Customer.name, Customer.email, bought.c.n, bought.c.spent, bought.c.last)
            .join(SegmentMembership, SegmentMembership.customer_id == Customer.id)
            .outerjoin(bought, bought.c.customer_id == Customer.id)
            .where(SegmentMembership.segment_id == segment_id)
            .order_by(func.coalesce(bought.c.spent, 0).desc(), Customer.id)
            .limit(limit)
        ).all()
    return name, [MemberRow(r[0], r[1], r[2], int(r[3] or 0), float(r[4] or 0.0), r[5]) for r in rows]


def stalled(uow: UnitOfWork, now: datetime, limit: int = 50) -> list[StalledFlag]:
    """Open stalled flags, most overdue first (time in stage against its threshold)."""
    with uow:
        s = uow.session
        rows = s.execute(
            select(Flag, Customer.email)
            .outerjoin(Customer, Customer.id == Flag.customer_id)
            .where(Flag.kind == STALLED, Flag.cleared_at.is_(None))
        ).all()
        out = []
        for flag, email in rows:
            since = flag.stage_entered_at or flag.raised_at
            hours = max(0.0, (now - since).total_seconds() / 3600)
            out.append(
                StalledFlag(
                    flag.process,
                    flag.process_id,
                    (flag.stage or "?").replace("_", " "),
                    flag.reason or "",
                    flag.owner or "unassigned",
                    hours,
                    hours / flag.threshold_hours if flag.threshold_hours else None,
                    flag.customer_id,
                    email,
                )
            )
    out.sort(key=lambda f: (-(f.overdue or 0.0), -f.age_hours))
    return out[:limit]


def customer_flags(uow: UnitOfWork, customer_id: int) -> list[str]:
    """The customer's open flags in a few words each, for the profile."""
    with uow:
        flags = uow.session.scalars(
            select(Flag).where(Flag.customer_id == customer_id, Flag.cleared_at.is_(None)).order_by(Flag.raised_at)
        ).all()
        return [f"{f.process} {f.stage or ''}: {f.reason or f.kind}".strip() for f in flags]


def forecast(uow: UnitOfWork) -> list[ForecastRow]:
    with uow:
        rows = uow.session.scalars(
            select(SalesForecast).order_by(SalesForecast.kind.desc(), SalesForecast.period_start)
        ).all()
        return [ForecastRow(r.kind, r.period_start, r.revenue, r.lower, r.upper, r.as_of) for r in rows]


def weekly_revenue(uow: UnitOfWork, weeks_before: datetime, until: datetime) -> list[tuple[datetime, float]]:
    """Revenue per Monday-to-Sunday week in [weeks_before, until), for the chart beside the forecast:
    net of credit notes, as the forecast job counts it."""
    with uow:
        rows = uow.session.execute(
            select(Order.placed_at, cast(Order.total, Float)).where(
                Order.placed_at >= weeks_before, Order.placed_at < until, counted_orders()
            )
        ).all()
    sums: dict[datetime, float] = {}
    for at, total in rows:
        monday = (at - timedelta(days=at.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        sums[monday] = sums.get(monday, 0.0) + float(total or 0.0)
    return sorted(sums.items())
