"""Stalled processes for the digest, read from the `flags` the analytics jobs raise.

None means the flags job has never run here ("not computed yet"); an empty list means
it ran and nothing is stalled.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_store.models import Customer, Deal, Flag, Handoff, Order, Return, Ticket

_TABLES = {"order": Order, "ticket": Ticket, "return": Return, "deal": Deal}


@dataclass(frozen=True)
class StalledRow:
    process: str
    what: str  # "ticket #12: Parcel arrived damaged"
    stage: str
    reason: str
    owner: str
    age_days: float


def stalled_processes(session: Session, now: datetime, limit: int) -> list[StalledRow] | None:
    if not session.scalar(select(func.count()).select_from(Flag)):
        return None
    flags = session.scalars(select(Flag).where(Flag.cleared_at.is_(None)).order_by(Flag.raised_at, Flag.id)).all()
    rows = [_row(session, flag, now) for flag in flags]
    rows.sort(key=lambda r: -r.age_days)
    return rows[:limit]


def open_flag_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Flag).where(Flag.cleared_at.is_(None))) or 0)


def _row(session: Session, flag: Flag, now: datetime) -> StalledRow:
    table = _TABLES.get(flag.process)
    row = session.get(table, flag.process_id) if table is not None else None
    since = flag.raised_at
    stage, what, owner = "?", f"{flag.process} #{flag.process_id}", "unassigned"
    if row is not None:
        since = row.stage_entered_at or since
        stage = getattr(row, "stage", None) or getattr(row, "status", "?")
        if isinstance(row, Order):
            what = f"order {row.number}"
        elif isinstance(row, Return):
            what = f"return {row.number}: {row.item}"
        elif isinstance(row, Ticket):
            what = f"ticket #{row.id}: {row.subject}"
            owner = _agent(session, row.conversation_id) or owner
        elif isinstance(row, Deal):
            what = f"deal: {row.title}"
        customer = session.get(Customer, row.customer_id) if row.customer_id else None
        if owner == "unassigned" and customer is not None:
            owner = f"customer {customer.name}"
    age = max(0.0, (now - since).total_seconds() / 86400)
    return StalledRow(flag.process, what, stage.replace("_", " "), flag.reason or flag.kind, owner, age)


def _agent(session: Session, conversation_id: int | None) -> str | None:
    if conversation_id is None:
        return None
    return session.scalars(
        select(Handoff.agent).where(Handoff.conversation_id == conversation_id, Handoff.agent.is_not(None))
        .order_by(Handoff.requested_at.desc()).limit(1)
    ).first()
