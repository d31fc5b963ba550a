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
    owner: str  # who the flag says should act (a desk or an agent), never the customer
    age_days: float
    overdue: float | None = None  # time in stage / its threshold: 2.0 is twice as long as allowed
    search: str = ""  # what the console's search finds the record by


def _open_at(end: datetime):  # type: ignore[no-untyped-def]
    return (Flag.raised_at < end) & (Flag.cleared_at.is_(None) | (Flag.cleared_at >= end))


def stalled_processes(session: Session, now: datetime, limit: int) -> list[StalledRow] | None:
    """Flags open at `now` (a digest passes its period's end), most overdue first: how far past
    its threshold, then how long."""
    if not session.scalar(select(func.count()).select_from(Flag).where(Flag.raised_at < now)):
        return None
    flags = session.scalars(select(Flag).where(_open_at(now)).order_by(Flag.raised_at, Flag.id)).all()
    rows = [_row(session, flag, now) for flag in flags]
    rows.sort(key=lambda r: (-(r.overdue or 0.0), -r.age_days))
    return rows[:limit]


def open_flag_count(session: Session, now: datetime | None = None) -> int:
    where = Flag.cleared_at.is_(None) if now is None else _open_at(now)
    return int(session.scalar(select(func.count()).select_from(Flag).where(where)) or 0)


def _row(session: Session, flag: Flag, now: datetime) -> StalledRow:
    table = _TABLES.get(flag.process)
    row = session.get(table, flag.process_id) if table is not None else None
    # The flag's own stage and start: the row may have moved on since the period ended.
    since = flag.stage_entered_at or flag.raised_at
    stage, what, owner, search = flag.stage or "?", f"{flag.process} #{flag.process_id}", flag.owner, ""
    if row is not None:
        if isinstance(row, Order):
            what, search = f"order {row.number}", row.number
        elif isinstance(row, Return):
            what, search = f"return {row.number}: {row.item}", row.number
        elif isinstance(row, Ticket):
            what = f"ticket #{row.id}: {row.subject}"
            owner = owner or _agent(session, row.conversation_id)
        elif isinstance(row, Deal):
            what = f"deal: {row.title}"
        if not search and row.customer_id:
            customer = session.get(Customer, row.customer_id)
            search = (customer.email or "") if customer else ""
    age = max(0.0, (now - since).total_seconds() / 86400)
    overdue = age * 24 / flag.threshold_hours if flag.threshold_hours else None
    return StalledRow(
        flag.process,
        what,
        stage.replace("_", " "),
        flag.reason or flag.kind,
        owner or "unassigned",
        age,
        overdue,
        search,
    )


def _agent(session: Session, conversation_id: int | None) -> str | None:
    if conversation_id is None:
        return None
    return session.scalars(
        select(Handoff.agent)
        .where(Handoff.conversation_id == conversation_id, Handoff.agent.is_not(None))
        .order_by(Handoff.requested_at.desc())
        .limit(1)
    ).first()
