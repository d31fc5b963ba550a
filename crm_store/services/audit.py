"""The audit log: who saw or changed whose personal data, and when.

The console records an agent opening a transcript or profile; the CLI records exports
and erasures; the assistant records account links. Rows are never updated or deleted
(an erasure keeps its own audit rows: they name ids, not people).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.models import AuditEntry


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: int | None
    detail: dict[str, Any] | None


def record(
    uow: UnitOfWork,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: int | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> int:
    """Write one audit row and commit (inside an outer `with uow:` this commits that work too)."""
    with uow:
        entry = AuditEntry(
            at=now,
            actor=actor[:100],
            action=action[:40],
            subject_type=subject_type[:40],
            subject_id=subject_id,
            detail=detail,
        )
        uow.session.add(entry)
        uow.session.flush()
        uow.commit()
        return entry.id


def entries_for(uow: UnitOfWork, subject_type: str, subject_id: int, limit: int = 200) -> list[AuditView]:
    """The audit trail of one subject, newest first."""
    with uow:
        rows = uow.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
        return [_view(r) for r in rows]


def recent(uow: UnitOfWork, limit: int = 100, actor: str | None = None) -> list[AuditView]:
    with uow:
        stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        if actor:
            stmt = stmt.where(AuditEntry.actor == actor)
        return [_view(r) for r in uow.session.scalars(stmt)]


def _view(row: AuditEntry) -> AuditView:
    return AuditView(row.id, row.at, row.actor, row.action, row.subject_type, row.subject_id, row.detail)
