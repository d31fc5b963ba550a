"""What the agent console reads: a customer's CRM profile, notes, canned replies, search,
the manager overview and the conversation export. Frozen views only (canned replies: canned.py)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from crm_store.db import UnitOfWork
from crm_store.models import (
    CannedReply,
    ChannelIdentity,
    Conversation,
    ConversationLabel,
    ConversationNote,
    Customer,
    Deal,
    Handoff,
    Message,
    Order,
    Return,
    Ticket,
)
from crm_store.services import audit
from crm_store.services.tickets import ticket_number


@dataclass(frozen=True)
class Row:
    """One line of a profile list: a label, a status and a date."""

    label: str
    status: str
    at: datetime | None
    link: str | None = None


@dataclass(frozen=True)
class Identity:
    """A customer's id on one channel; web chat ids are 32 characters, so the console shows a short one."""

    channel: str
    external_id: str
    name: str | None = None

    @property
    def short_id(self) -> str:
        return self.external_id if len(self.external_id) <= 12 else self.external_id[:8] + "…"

    def __str__(self) -> str:
        return f"{self.channel}: {self.external_id}" + (f" ({self.name})" if self.name else "")


@dataclass(frozen=True)
class Profile:
    customer_id: int | None
    name: str
    email: str | None
    phone: str | None
    identities: tuple[Identity, ...] = ()
    orders: tuple[Row, ...] = ()
    tickets: tuple[Row, ...] = ()
    returns: tuple[Row, ...] = ()
    deals: tuple[Row, ...] = ()
    conversations: tuple[Row, ...] = ()


def profile_for_conversation(uow: UnitOfWork, conversation_id: int) -> Profile:
    with uow:
        conv = uow.conversations.get(conversation_id)
        customer_id = conv.customer_id if conv else None
    return (
        profile_of_customer(uow, customer_id, conversation_id)
        if customer_id
        else Profile(None, "unknown customer", None, None)
    )


def profile_of_customer(uow: UnitOfWork, customer_id: int, conversation_id: int | None = None) -> Profile:
    """A customer's CRM profile; its conversation list leaves out `conversation_id` (the open one)."""
    with uow:
        customer = uow.customers.get(customer_id)
        if customer is None:
            return Profile(None, "unknown customer", None, None)
        s = uow.session
        orders = s.scalars(
            select(Order).where(Order.customer_id == customer.id).order_by(Order.placed_at.desc()).limit(10)
        ).all()
        tickets = s.scalars(
            select(Ticket).where(Ticket.customer_id == customer.id).order_by(Ticket.created_at.desc()).limit(10)
        ).all()
        returns = s.scalars(
            select(Return).where(Return.customer_id == customer.id).order_by(Return.created_at.desc()).limit(10)
        ).all()
        deals = s.scalars(
            select(Deal).where(Deal.customer_id == customer.id).order_by(Deal.created_at.desc()).limit(10)
        ).all()
        convs = s.scalars(
            select(Conversation)
            .where(Conversation.customer_id == customer.id)
            .order_by(Conversation.started_at.desc())
            .limit(10)
        ).all()
        handoff_of = dict(
            s.execute(
                select(Handoff.conversation_id, func.max(Handoff.id))
                .where(Handoff.conversation_id.in_([c.id for c in convs]))
                .group_by(Handoff.conversation_id)
            ).all()
        )
        return Profile(
            customer.id,
            customer.name,
            customer.email,
            customer.phone,
            _identities(customer.identities),
            tuple(Row(o.number, o.status, o.placed_at) for o in orders),
            tuple(
                Row(f"{ticket_number(t.id)} {t.subject}", f"{t.status} ({t.priority})", t.created_at) for t in tickets
            ),
            tuple(Row(f"{r.number} {r.item}", r.status, r.created_at) for r in returns),
            tuple(Row(d.title, d.stage, d.created_at) for d in deals),
            tuple(
                Row(
                    f"{c.channel or 'chat'} #{c.id}{' (handed off)' if c.id in handoff_of else ''}",
                    c.status,
                    c.started_at,
                    f"/conversations/{c.id}",
                )
                for c in convs
                if c.id != conversation_id
            ),
        )


def _identities(rows: list[ChannelIdentity]) -> tuple[Identity, ...]:
    """Each channel identity once, by its id on that channel (a display name can repeat)."""
    seen: dict[tuple[str, str], str | None] = {}
    for i in rows:
        seen.setdefault((i.channel, i.external_id), i.display_name)
    return tuple(
        Identity(channel, external_id, name if name and name != external_id else None)
        for (channel, external_id), name in sorted(seen.items())
    )


@dataclass(frozen=True)
class Canned:
    id: int
    title: str
    body: str


def canned_replies(uow: UnitOfWork) -> list[Canned]:
    with uow:
        return [
            Canned(c.id, c.title, c.body) for c in uow.session.scalars(select(CannedReply).order_by(CannedReply.title))
        ]


@dataclass(frozen=True)
class Note:
    author: str
    text: str
    created_at: datetime


def add_note(uow: UnitOfWork, conversation_id: int, author: str, text: str, now: datetime) -> None:
    with uow:
        uow.session.add(
            ConversationNote(conversation_id=conversation_id, author=author, text=text[:4000], created_at=now)
        )
        uow.commit()


def notes_of(uow: UnitOfWork, conversation_id: int) -> list[Note]:
    with uow:
        rows = uow.session.scalars(
            select(ConversationNote)
            .where(ConversationNote.conversation_id == conversation_id)
            .order_by(ConversationNote.created_at, ConversationNote.id)
        )
        return [Note(n.author, n.text, n.created_at) for n in rows]


@dataclass(frozen=True)
class Hit:
    handoff_id: int | None
    conversation_id: int
    customer_name: str
    channel: str | None
    snippet: str
    at: datetime


def _matching_customers(query: str):  # type: ignore[no-untyped-def]
    """Customers by name, email, phone, order number, a channel name or their exact id on a channel
    (a shop's own customer number from an import, a Telegram id)."""
    like = f"%{query.lower()}%"
    return or_(
        Customer.id.in_(
            select(Customer.id).where(
                or_(
                    func.lower(Customer.name).like(like),
                    func.lower(Customer.email).like(like),
                    Customer.phone.like(f"%{query}%"),
                )
            )
        ),
        Customer.id.in_(select(Order.customer_id).where(func.lower(Order.number).like(like))),
        Customer.id.in_(
            select(ChannelIdentity.customer_id).where(
                or_(
                    func.lower(ChannelIdentity.display_name).like(like),
                    func.lower(ChannelIdentity.external_id) == query.lower(),
                )
            )
        ),
    )


def search(uow: UnitOfWork, query: str, limit: int = 30) -> list[Hit]:
    """Conversations by customer name, email, phone, order number, external id, message text or label."""
    query = query.strip()
    if len(query) < 2:
        return []
    like = f"%{query.lower()}%"
    with uow:
        s = uow.session
        customers = select(Customer.id).where(_matching_customers(query))
        by_text = select(Message.conversation_id).where(func.lower(Message.text).like(like))
        by_label = select(ConversationLabel.conversation_id).where(ConversationLabel.label.like(like))
        rows = s.execute(
            select(Conversation, Customer.name)
            .outerjoin(Customer, Conversation.customer_id == Customer.id)
            .where(
                or_(
                    Conversation.customer_id.in_(customers), Conversation.id.in_(by_text), Conversation.id.in_(by_label)
                )
            )
            .order_by(Conversation.last_event_at.desc())
            .limit(limit)
        ).all()
        hits = []
        for conv, name in rows:
            handoff_id = s.scalar(select(func.max(Handoff.id)).where(Handoff.conversation_id == conv.id))
            snippet = (
                s.scalar(
                    select(Message.text)
                    .where(Message.conversation_id == conv.id, func.lower(Message.text).like(like))
                    .order_by(Message.id.desc())
                    .limit(1)
                )
                or ""
            )
            hits.append(
                Hit(handoff_id, conv.id, name or "unknown customer", conv.channel, snippet[:160], conv.last_event_at)
            )
        return hits


@dataclass(frozen=True)
class CustomerHit:
    """A customer the search found who never chatted (imported from the shop): opens their profile."""

    customer_id: int
    name: str
    email: str | None
    orders: int


def search_customers(uow: UnitOfWork, query: str, limit: int = 30) -> list[CustomerHit]:
    query = query.strip()
    if len(query) < 2:
        return []
    with uow:
        orders = (
            select(func.count(Order.id)).where(Order.customer_id == Customer.id).correlate(Customer).scalar_subquery()
        )
        rows = uow.session.execute(
            select(Customer.id, Customer.name, Customer.email, orders)
            .where(
                _matching_customers(query),
                ~Customer.id.in_(select(Conversation.customer_id).where(Conversation.customer_id.is_not(None))),
            )
            .order_by(Customer.name, Customer.id)
            .limit(limit)
        ).all()
        return [CustomerHit(cid, name, email, int(n or 0)) for cid, name, email, n in rows]


@dataclass(frozen=True)
class AgentStats:
    agent: str
    active: int
    handled_today: int
    median_first_response_min: float | None
    median_resolution_min: float | None
    csat: float | None


@dataclass(frozen=True)
class Overview:
    waiting: int
    active: int
    handled_today: int
    median_first_response_min: float | None
    median_resolution_min: float | None
    csat: float | None
    csat_count: int
    per_agent: tuple[AgentStats, ...]


def overview(uow: UnitOfWork, now: datetime) -> Overview:
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    with uow:
        s = uow.session
        waiting = s.scalar(select(func.count()).select_from(Handoff).where(Handoff.status == "queued")) or 0
        active = s.execute(select(Handoff.agent).where(Handoff.status == "claimed")).scalars().all()
        today = [
            _Times(h)
            for h in s.scalars(select(Handoff).where(Handoff.status == "resolved", Handoff.closed_at >= start))
        ]
        recent = [_Times(h) for h in s.scalars(select(Handoff).where(Handoff.claimed_at >= now - timedelta(days=7)))]
    agents = sorted({h.agent for h in today if h.agent} | {a for a in active if a})

    def stats(rows: list[_Times]) -> tuple[float | None, float | None, float | None, int]:
        first = [
            ((h.first_response_at or h.claimed_at) - h.requested_at).total_seconds() / 60 for h in rows if h.claimed_at
        ]
        done = [
            (h.closed_at - h.requested_at).total_seconds() / 60 for h in rows if h.status == "resolved" and h.closed_at
        ]
        rated = [h.csat for h in rows if h.csat]
        return (_median(first), _median(done), round(sum(rated) / len(rated), 2) if rated else None, len(rated))

    first, done, csat, count = stats(recent)
    per_agent = []
    for agent in agents:
        a_first, a_done, a_csat, _n = stats([h for h in recent if h.agent == agent])
        per_agent.append(
            AgentStats(agent, active.count(agent), sum(1 for h in today if h.agent == agent), a_first, a_done, a_csat)
        )
    return Overview(waiting, len(active), len(today), first, done, csat, count, tuple(per_agent))


def handoffs_for(
    uow: UnitOfWork, what: str, now: datetime, agent: str | None = None
) -> list[tuple[int, str, str | None, datetime]]:
    """The handoffs behind an overview number: (id, status, agent, requested_at)."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    stmt = select(Handoff.id, Handoff.status, Handoff.agent, Handoff.requested_at)
    stmt = {
        "waiting": stmt.where(Handoff.status == "queued"),
        "active": stmt.where(Handoff.status == "claimed"),
        "today": stmt.where(Handoff.status == "resolved", Handoff.closed_at >= start),
        "rated": stmt.where(Handoff.csat.is_not(None), Handoff.claimed_at >= now - timedelta(days=7)),
        "recent": stmt.where(Handoff.claimed_at >= now - timedelta(days=7)),
    }.get(what, stmt.where(Handoff.id < 0))
    if agent:
        stmt = stmt.where(Handoff.agent == agent)
    with uow:
        return [tuple(r) for r in uow.session.execute(stmt.order_by(Handoff.requested_at.desc()).limit(200))]


class _Times:
    """The times of one handoff, read while its session is open."""

    def __init__(self, h: Handoff) -> None:
        self.agent, self.status, self.csat = h.agent, h.status, h.csat
        self.requested_at, self.claimed_at, self.first_response_at, self.closed_at = (
            h.requested_at,
            h.claimed_at,
            h.first_response_at,
            h.closed_at,
        )


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


@dataclass(frozen=True)
class Chat:
    """Where a handoff's customer can be written to."""

    handoff_id: int
    conversation_id: int
    sender_id: str
    channel: str | None


def chat_of(uow: UnitOfWork, handoff_id: int) -> Chat | None:
    with uow:
        row = uow.session.execute(
            select(Handoff.conversation_id, Conversation.sender_id, Conversation.channel)
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .where(Handoff.id == handoff_id)
        ).first()
        return Chat(handoff_id, row[0], row[1], row[2]) if row else None


def messages_after(uow: UnitOfWork, conversation_id: int, after_id: int = 0) -> list:
    """The conversation's messages with an id above `after_id` (MessageView), oldest first."""
    from crm_store.services.conversations import _view

    with uow:
        rows = uow.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.id > after_id)
            .order_by(Message.sent_at, Message.id)
        )
        return [_view(m) for m in rows]


def record_viewed(
    uow: UnitOfWork,
    agent: str,
    action: str,
    handoff_id: int | None,
    conversation_id: int,
    customer_id: int | None,
    now: datetime,
) -> None:
    """An agent opened (action "view") or exported ("export") a handed-off conversation and the
    customer's profile beside it: one audit row, on the customer when the chat is linked to one."""
    subject = ("customer", customer_id) if customer_id is not None else ("conversation", conversation_id)
    audit.record(
        uow,
        f"agent:{agent}",
        action,
        subject[0],
        subject[1],
        now,
        {"handoff_id": handoff_id, "conversation_id": conversation_id},
    )
