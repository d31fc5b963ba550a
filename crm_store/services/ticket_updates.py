"""The latest update a customer may read on their ticket ("any news?").

An update is what the team did or told the customer after the ticket was opened: a stage change
with a note (in progress, waiting, resolved) or a message an agent sent in the ticket's
conversation. Internal conversation notes are never updates: the customer does not see them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.models import Message, StageHistory, Ticket
from crm_store.services.tickets import OPEN_STATUSES, ticket_number

_TICKET = re.compile(r"(?<![\w-])[Tt]-?(\d{5})(?![\w-])")


@dataclass(frozen=True)
class TicketUpdate:
    ticket: str
    status: str
    at: datetime
    text: str  # what changed, in words for the customer (English)
    # What changed as values, for the customer's language: the stage moved to (and its note), or
    # what an agent wrote.
    stage: str | None = None
    note: str | None = None
    said: str | None = None


def ticket_numbers(text: str) -> list[str]:
    """'T-00012', 't00012' -> 'T-00012' (never 't-shirt': five digits are required)."""
    return [f"T-{m.group(1)}" for m in _TICKET.finditer(text or "")]


def latest_update(uow: UnitOfWork, customer_id: int, number: str | None = None) -> TicketUpdate | None:
    """The newest update on the customer's ticket `number`, or on their most recently active open ticket."""
    with uow:
        query = select(Ticket).where(Ticket.customer_id == customer_id)
        if number:
            query = query.where(Ticket.id == int(number.removeprefix("T-")))
        else:
            query = query.where(Ticket.status.in_(OPEN_STATUSES))
        rows = list(uow.session.scalars(query.order_by(Ticket.stage_entered_at.desc(), Ticket.id.desc()).limit(5)))
        updates = [u for u in (_newest(uow, t) for t in rows) if u]
        if not updates:
            return None
        return max(updates, key=lambda u: u.at)


def _newest(uow: UnitOfWork, ticket: Ticket) -> TicketUpdate | None:
    number = ticket_number(ticket.id)
    stage = uow.session.scalars(
        select(StageHistory)
        .where(
            StageHistory.process == "ticket",
            StageHistory.process_id == ticket.id,
            StageHistory.entered_at > ticket.created_at,
        )
        .order_by(StageHistory.entered_at.desc(), StageHistory.id.desc())
        .limit(1)
    ).first()
    said = None
    if ticket.conversation_id is not None:
        said = uow.session.scalars(
            select(Message)
            .where(
                Message.conversation_id == ticket.conversation_id,
                Message.direction == "out",
                Message.author == "agent",
                Message.sent_at > ticket.created_at,
            )
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(1)
        ).first()
    options = []
    if stage is not None:
        words = f'the ticket moved to "{stage.stage.replace("_", " ")}"' + (f": {stage.note}" if stage.note else "")
        options.append(
            TicketUpdate(number, ticket.status, stage.entered_at, words, stage=stage.stage, note=stage.note or None)
        )
    if said is not None and said.text:
        options.append(
            TicketUpdate(number, ticket.status, said.sent_at, f'our team wrote: "{said.text}"', said=said.text)
        )
    return max(options, key=lambda u: u.at) if options else None
