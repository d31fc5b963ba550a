"""Segment sizes and the customers who moved between segments, from `segments` and
`segment_memberships` (written by the segmentation job). None = not computed yet."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics.digest.periods import Period
from crm_store.models import Customer, Segment, SegmentMembership


@dataclass(frozen=True)
class SegmentRow:
    name: str
    size: int
    previous: int  # members assigned before the period began


@dataclass(frozen=True)
class Move:
    customer: str
    from_segment: str | None  # None: the customer was in no segment before
    to_segment: str


def segment_sizes(session: Session, period: Period) -> list[SegmentRow] | None:
    if not session.scalar(select(func.count()).select_from(Segment)):
        return None
    rows = []
    for seg in session.scalars(select(Segment).order_by(Segment.name)):
        size = session.scalar(select(func.count()).select_from(SegmentMembership).where(
            SegmentMembership.segment_id == seg.id, SegmentMembership.assigned_at < period.end)) or 0
        before = session.scalar(select(func.count()).select_from(SegmentMembership).where(
            SegmentMembership.segment_id == seg.id, SegmentMembership.assigned_at < period.start)) or 0
        rows.append(SegmentRow(seg.name, int(size), int(before)))
    rows.sort(key=lambda r: -r.size)
    return rows


def moves(session: Session, period: Period, limit: int) -> list[Move]:
    """Customers assigned to a segment in the period, with the segment they were in before (if any)."""
    names = dict(session.execute(select(Segment.id, Segment.name)).all())
    joined = session.execute(
        select(SegmentMembership.customer_id, SegmentMembership.segment_id, Customer.name)
        .join(Customer, Customer.id == SegmentMembership.customer_id)
        .where(SegmentMembership.assigned_at >= period.start, SegmentMembership.assigned_at < period.end)
        .order_by(SegmentMembership.assigned_at.desc(), SegmentMembership.id).limit(limit)
    ).all()
    out = []
    for customer_id, segment_id, customer in joined:
        before = session.scalars(
            select(SegmentMembership.segment_id).where(
                SegmentMembership.customer_id == customer_id, SegmentMembership.segment_id != segment_id,
                SegmentMembership.assigned_at < period.start,
            ).order_by(SegmentMembership.assigned_at.desc()).limit(1)
        ).first()
        out.append(Move(customer, names.get(before) if before else None, names.get(segment_id, "?")))
    return out
