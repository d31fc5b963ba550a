"""Support tickets: opened from complaints and problems in chat, listed for their customer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.errors import UnknownCustomer
from crm_store.models import Order, Ticket
from crm_store.services import ticket_rules
from crm_store.services.conversations import conversation_for_sender

OPEN_STATUSES = ("open", "in_progress", "waiting")


@dataclass(frozen=True)
class TicketView:
    id: int
    number: str
    subject: str
    priority: str
    status: str
    status_since: datetime
    created_at: datetime


def ticket_number(ticket_id: int) -> str:
    return f"T-{ticket_id:05d}"


def priority_for(text: str) -> str:
    """The one priority rule (crm_store/services/ticket_rules.py): an angry tone, damage or a double charge is high."""
    return ticket_rules.priority_for(text)


def subject_from(text: str, fallback: str, limit: int = 120) -> str:
    """The first sentence of the customer's message, shortened, as the ticket subject."""
    first = re.split(r"(?<=[.!?])\s+", (text or "").strip(), maxsplit=1)[0].strip()
    if not first or first.startswith("/"):
        return fallback
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def open_ticket(
    uow: UnitOfWork,
    customer_id: int,
    subject: str,
    now: datetime,
    description: str | None = None,
    priority: str = "normal",
    order_number: str | None = None,
    sender_id: str | None = None,
) -> TicketView:
    with uow:
        if uow.customers.get(customer_id) is None:
            raise UnknownCustomer(customer_id)
        order = uow.orders.one_by(number=order_number) if order_number else None
        ticket = uow.tickets.add(
            Ticket(
                customer_id=customer_id,
                conversation_id=conversation_for_sender(uow, sender_id, now) if sender_id else None,
                order_id=order.id if isinstance(order, Order) and order.customer_id == customer_id else None,
                subject=subject[:200],
                description=description,
                priority=priority,
                status=stages.INITIAL["ticket"],
                stage_entered_at=now,
                created_at=now,
            )
        )
        stages.record_stage(uow.session, "ticket", ticket.id, ticket.status, now, note="opened in chat")
        uow.commit()
        return _view(ticket)


def open_tickets(uow: UnitOfWork, customer_id: int, limit: int = 5) -> list[TicketView]:
    """The customer's tickets that are not resolved, newest first."""
    with uow:
        rows = uow.session.scalars(
            select(Ticket)
            .where(Ticket.customer_id == customer_id, Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(limit)
        )
        return [_view(t) for t in rows]


def _view(row: Ticket) -> TicketView:
    return TicketView(
        row.id, ticket_number(row.id), row.subject, row.priority, row.status, row.stage_entered_at, row.created_at
    )
