"""Segment sizes and the customers who moved between segments, as they were in the period.

`segment_memberships` holds each customer's *current* segment only (a move overwrites the row
and its assigned_at), so it cannot say how big a segment was at a past date. `segment_changes`
can: the segmentation job logs every assignment and move there (from, to, when), so a customer's
segment at time t is the target of their last change before t. A customer with no change rows
(memberships older than the log) counts by their membership's assigned_at.

When no customer was in any segment at the period's end (the job first ran after it, e.g. last
week's digest computed today and segmentation ran this morning), the sizes at the period's end
are all zero, which reads as "no customers": the digest then shows the current sizes, marked
with when the job computed them (`SegmentSizes.as_of`). None = segments not computed yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from analytics.digest.periods import Period
from crm_store.models import Customer, Segment, SegmentChange, SegmentMembership


@dataclass(frozen=True)
class SegmentRow:
    name: str
    size: int
    previous: int | None  # members when the period began; None when that is not known (see as_of)


@dataclass(frozen=True)
class SegmentSizes:
    rows: list[SegmentRow]
    # None: the sizes at the period's end. A time: no segment had members then; these are the
    # current sizes, computed by the segmentation job at that time.
    as_of: datetime | None = None


@dataclass(frozen=True)
class Move:
    customer: str
    from_segment: str | None  # None: the customer was in no segment before
    to_segment: str


def segment_sizes(session: Session, period: Period) -> SegmentSizes | None:
    segments = session.execute(select(Segment.id, Segment.name, Segment.active).order_by(Segment.name)).all()
    if not segments:
        return None
    at_end = sizes_at(session, period.end)
    if not any(at_end.values()):
        return _current_sizes(session, segments)
    at_start = sizes_at(session, period.start)
    rows = [
        SegmentRow(name, at_end.get(sid, 0), at_start.get(sid, 0))
        for sid, name, active in segments
        if active or at_end.get(sid) or at_start.get(sid)
    ]  # a retired segment shows while it had members
    rows.sort(key=lambda r: -r.size)
    return SegmentSizes(rows)


def sizes_at(session: Session, at: datetime) -> dict[int, int]:
    """Segment id -> number of customers in it at `at` (exclusive)."""
    sizes: dict[int, int] = {}

    def add(rows) -> None:  # type: ignore[no-untyped-def]
        for segment_id, n in rows:
            if segment_id is not None:
                sizes[segment_id] = sizes.get(segment_id, 0) + int(n)

    logged_before = select(SegmentChange.customer_id).where(SegmentChange.changed_at < at)
    # Changes are appended run after run, so the highest id is a customer's latest change.
    last_before = (
        select(func.max(SegmentChange.id).label("id"))
        .where(SegmentChange.changed_at < at)
        .group_by(SegmentChange.customer_id)
        .subquery()
    )
    add(
        session.execute(
            select(SegmentChange.to_segment_id, func.count())
            .join(last_before, SegmentChange.id == last_before.c.id)
            .group_by(SegmentChange.to_segment_id)
        )
    )
    # First logged after `at` only: the change says where they were before it (a membership the
    # log does not go back to), or None (they had no segment yet).
    first_after = (
        select(func.min(SegmentChange.id).label("id"))
        .where(SegmentChange.changed_at >= at, SegmentChange.customer_id.not_in(logged_before))
        .group_by(SegmentChange.customer_id)
        .subquery()
    )
    add(
        session.execute(
            select(SegmentChange.from_segment_id, func.count())
            .join(first_after, SegmentChange.id == first_after.c.id)
            .group_by(SegmentChange.from_segment_id)
        )
    )
    unlogged = ~exists().where(SegmentChange.customer_id == SegmentMembership.customer_id)
    add(
        session.execute(
            select(SegmentMembership.segment_id, func.count())
            .where(SegmentMembership.assigned_at < at, unlogged)
            .group_by(SegmentMembership.segment_id)
        )
    )
    return sizes


def _current_sizes(session: Session, segments: list) -> SegmentSizes | None:  # type: ignore[type-arg]
    counts = dict(
        session.execute(select(SegmentMembership.segment_id, func.count()).group_by(SegmentMembership.segment_id)).all()
    )
    if not counts:
        return SegmentSizes([SegmentRow(name, 0, 0) for _sid, name, active in segments if active])  # truly empty
    computed = session.scalar(select(func.max(Segment.updated_at)).where(Segment.active.is_(True))) or session.scalar(
        select(func.max(SegmentMembership.assigned_at))
    )
    rows = [
        SegmentRow(name, int(counts.get(sid, 0)), None) for sid, name, active in segments if active or counts.get(sid)
    ]
    rows.sort(key=lambda r: -r.size)
    return SegmentSizes(rows, as_of=computed)


def moves(session: Session, period: Period, limit: int) -> list[Move]:
    """Customers who changed segment in the period (latest first), with the segment they left."""
    names = dict(session.execute(select(Segment.id, Segment.name)).all())
    logged = session.execute(
        select(Customer.name, SegmentChange.from_segment_id, SegmentChange.to_segment_id)
        .join(Customer, Customer.id == SegmentChange.customer_id)
        .where(
            SegmentChange.changed_at >= period.start,
            SegmentChange.changed_at < period.end,
            SegmentChange.to_segment_id.is_not(None),
        )
        .order_by(SegmentChange.changed_at.desc(), SegmentChange.id.desc())
        .limit(limit)
    ).all()
    out = [Move(customer, names.get(before) if before else None, names.get(to, "?")) for customer, before, to in logged]
    if len(out) < limit:  # memberships the log does not cover: their row says where they came from
        unlogged = ~exists().where(SegmentChange.customer_id == SegmentMembership.customer_id)
        rows = session.execute(
            select(Customer.name, SegmentMembership.previous_segment_id, SegmentMembership.segment_id)
            .join(Customer, Customer.id == SegmentMembership.customer_id)
            .where(SegmentMembership.assigned_at >= period.start, SegmentMembership.assigned_at < period.end, unlogged)
            .order_by(SegmentMembership.assigned_at.desc(), SegmentMembership.id)
            .limit(limit - len(out))
        ).all()
        out += [
            Move(customer, names.get(before) if before else None, names.get(to, "?")) for customer, before, to in rows
        ]
    return out
