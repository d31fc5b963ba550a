"""A customer's behavioural segment, as the scheduled segmentation left it (for the
assistant's handoff priority, the console's profile and the digest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.models import Segment, SegmentMembership


@dataclass(frozen=True)
class SegmentView:
    name: str
    description: str | None
    since: datetime
    previous: str | None


def segment_of(uow: UnitOfWork, customer_id: int) -> SegmentView | None:
    """The customer's current segment, or None before the first segmentation run."""
    with uow:
        row = uow.session.execute(
            select(
                Segment.name, Segment.description, SegmentMembership.assigned_at, SegmentMembership.previous_segment_id
            )
            .join(Segment, Segment.id == SegmentMembership.segment_id)
            .where(SegmentMembership.customer_id == customer_id, Segment.active.is_(True))
            .order_by(SegmentMembership.assigned_at.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        previous = uow.session.get(Segment, row.previous_segment_id) if row.previous_segment_id else None
        return SegmentView(row.name, row.description, row.assigned_at, previous.name if previous else None)
