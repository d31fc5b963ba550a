"""Handoffs: a conversation queued for a person; the agent console claims and resolves it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.models import Conversation, Handoff
from crm_store.services.conversations import conversation_for_sender

OPEN_STATUSES = ("queued", "claimed")


@dataclass(frozen=True)
class HandoffView:
    id: int
    conversation_id: int
    status: str
    reason: str | None
    requested_at: datetime


def request_handoff(uow: UnitOfWork, sender_id: str, reason: str, now: datetime) -> HandoffView:
    """Queue the sender's conversation for a person; asking twice keeps the one open handoff."""
    with uow:
        conversation_id = conversation_for_sender(uow, sender_id, now)
        existing = uow.session.scalars(
            select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.status.in_(OPEN_STATUSES)).limit(1)
        ).first()
        handoff = existing or uow.handoffs.add(
            Handoff(conversation_id=conversation_id, reason=reason[:200], status="queued", requested_at=now)
        )
        uow.commit()
        return _view(handoff)


def handoffs_of(uow: UnitOfWork, sender_id: str) -> list[HandoffView]:
    with uow:
        rows = uow.session.scalars(
            select(Handoff)
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .where(Conversation.sender_id == sender_id)
            .order_by(Handoff.requested_at, Handoff.id)
        )
        return [_view(h) for h in rows]


def _view(row: Handoff) -> HandoffView:
    return HandoffView(row.id, row.conversation_id, row.status, row.reason, row.requested_at)
