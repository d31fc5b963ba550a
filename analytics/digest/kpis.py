"""KPI queries for one period: plain numbers from the CRM tables, portable SQL (SQLite and PostgreSQL).

Rates are None when their denominator is zero: an empty period says "no data", never divides by zero.
Medians are taken in Python so both databases give the same answer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlalchemy import Float, and_, cast, func, select
from sqlalchemy.orm import Session

from analytics.digest.periods import Period
from crm_store.models import (
    Conversation,
    Feedback,
    Handoff,
    Message,
    Order,
    Return,
    StageHistory,
    Ticket,
)
from crm_store.services.handoff_reasons import describe
from crm_store.sql import SALE, counted_orders

FALLBACK_INTENT = "nlu_fallback"
REASON_MESSAGES = (
    10  # the customer's last messages before a handoff that its plain reason is read from, as in the console
)
CLOSED_STAGES = {
    "order": ("delivered", "cancelled", "returned"),
    "return": ("refunded", "rejected"),
    "ticket": ("resolved",),
}

# name -> (label, unit); unit "n" counts, "%" rates (0..1), "min" minutes, "/5" ratings.
KPIS: dict[str, tuple[str, str]] = {
    "conversations": ("Conversations", "n"),
    "messages": ("Messages", "n"),
    "containment": ("Resolved by the assistant", "%"),
    "fallback_rate": ("Fallback rate", "%"),
    "handoff_rate": ("Handoff rate", "%"),
    "handoffs": ("Handoffs", "n"),
    "first_response_min": ("Median first response", "min"),
    "resolution_min": ("Median resolution", "min"),
    "csat": ("CSAT", "/5"),
    "ratings": ("Ratings given", "n"),
    "revenue": ("Revenue", "money"),
    "aov": ("Average order value", "money"),
    "orders_opened": ("Orders placed", "n"),
    "orders_closed": ("Orders closed", "n"),
    "returns_opened": ("Returns opened", "n"),
    "returns_closed": ("Returns closed", "n"),
    "tickets_opened": ("Tickets opened", "n"),
    "tickets_closed": ("Tickets closed", "n"),
}


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    conversations: int
    messages: int


def _count(session: Session, stmt) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(stmt) or 0)


def _in(column, period: Period):  # type: ignore[no-untyped-def]
    return and_(column >= period.start, column < period.end)


def by_channel(session: Session, period: Period) -> list[ChannelRow]:
    """Conversations started and messages sent in the period, per channel (None -> "unknown")."""
    conv = dict(
        session.execute(
            select(Conversation.channel, func.count())
            .where(_in(Conversation.started_at, period))
            .group_by(Conversation.channel)
        ).all()
    )
    msgs = dict(
        session.execute(
            select(Conversation.channel, func.count())
            .select_from(Message)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(_in(Message.sent_at, period))
            .group_by(Conversation.channel)
        ).all()
    )
    channels = sorted(set(conv) | set(msgs), key=lambda c: (-(conv.get(c) or 0), str(c)))
    return [ChannelRow(c or "unknown", int(conv.get(c) or 0), int(msgs.get(c) or 0)) for c in channels]


@dataclass(frozen=True)
class LanguageRow:
    language: str  # ISO 639-1 code, or "unknown"
    conversations: int


def by_language(session: Session, period: Period) -> list[LanguageRow]:
    """Conversations started in the period, per language: the language most of the customer's
    messages in it were written in (messages.language; ties go to the earlier message's), and
    "unknown" when none was long enough to tell. Most conversations first."""
    started = session.scalars(select(Conversation.id).where(_in(Conversation.started_at, period))).all()
    votes: dict[int, Counter[str]] = {}
    rows = session.execute(
        select(Message.conversation_id, Message.language)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(_in(Conversation.started_at, period), Message.direction == "in", Message.language.is_not(None))
        .order_by(Message.sent_at, Message.id)
    ).all()
    for conversation_id, language in rows:
        votes.setdefault(conversation_id, Counter())[str(language)] += 1
    counts: Counter[str] = Counter()
    for conversation_id in started:
        languages = votes.get(conversation_id)
        counts[languages.most_common(1)[0][0] if languages else "unknown"] += 1
    return [LanguageRow(code, n) for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def core_kpis(session: Session, period: Period) -> dict[str, float | None]:
    """Every number in KPIS for one period."""
    k: dict[str, float | None] = {}
    conv_ids = select(Conversation.id).where(_in(Conversation.started_at, period))
    conversations = _count(session, select(func.count()).select_from(conv_ids.subquery()))
    k["conversations"] = conversations
    k["messages"] = _count(session, select(func.count()).select_from(Message).where(_in(Message.sent_at, period)))

    inbound = select(func.count()).select_from(Message).where(Message.direction == "in", _in(Message.sent_at, period))
    n_in = _count(session, inbound)
    n_fallback = _count(session, inbound.where(Message.intent == FALLBACK_INTENT))
    k["fallback_rate"] = n_fallback / n_in if n_in else None

    handed = set(session.scalars(select(Handoff.conversation_id).where(Handoff.conversation_id.in_(conv_ids))))
    k["handoffs"] = _count(session, select(func.count()).select_from(Handoff).where(_in(Handoff.requested_at, period)))
    k["handoff_rate"] = len(handed) / conversations if conversations else None
    k["containment"] = _containment(session, conv_ids, handed, conversations)

    claimed = session.execute(
        select(Handoff.requested_at, Handoff.claimed_at).where(
            Handoff.claimed_at.is_not(None), _in(Handoff.claimed_at, period)
        )
    ).all()
    k["first_response_min"] = _median_minutes(claimed)
    closed = session.execute(
        select(Handoff.requested_at, Handoff.closed_at).where(
            Handoff.closed_at.is_not(None), Handoff.status == "resolved", _in(Handoff.closed_at, period)
        )
    ).all()
    k["resolution_min"] = _median_minutes(closed)
    # Two places hold ratings: the feedback form, and the question after an agent hands back.
    ratings = list(session.scalars(select(Feedback.rating).where(_in(Feedback.created_at, period))))
    ratings += session.scalars(select(Handoff.csat).where(Handoff.csat.is_not(None), _in(Handoff.csat_at, period)))
    k["ratings"] = len(ratings)
    k["csat"] = sum(ratings) / len(ratings) if ratings else None

    # A credit note (an imported cancellation, negative total) is no order placed: it takes money
    # back, so revenue is net of the period's credit notes (not the mirror of an order cancelled by
    # its status: that order is no sale already), and orders placed count sales only.
    k["orders_opened"] = _count(
        session, select(func.count()).select_from(Order).where(_in(Order.placed_at, period), Order.kind == SALE)
    )
    # An order cancelled before the period ended is no sale; one cancelled later stays in this
    # period's revenue, so a finished period's figure never changes.
    cancelled = select(StageHistory.process_id).where(
        StageHistory.process == "order", StageHistory.stage == "cancelled", StageHistory.entered_at < period.end
    )
    sold = session.execute(
        select(func.count(), func.sum(cast(Order.total, Float))).where(
            _in(Order.placed_at, period), Order.id.not_in(cancelled), Order.kind == SALE
        )
    ).one()
    credited = session.scalar(
        select(func.sum(cast(Order.total, Float))).where(
            _in(Order.placed_at, period), Order.kind != SALE, counted_orders()
        )
    )
    k["revenue"] = float(sold[1] or 0.0) + float(credited or 0.0)
    # Net revenue over the sales: an order a credit note cancels later the same week (an export's
    # "C" invoice leaves the order itself as it was) must not inflate the average.
    k["aov"] = k["revenue"] / sold[0] if sold[0] else None
    k["returns_opened"] = _count(
        session, select(func.count()).select_from(Return).where(_in(Return.created_at, period))
    )
    k["tickets_opened"] = _count(
        session, select(func.count()).select_from(Ticket).where(_in(Ticket.created_at, period))
    )
    for process, stages in CLOSED_STAGES.items():
        k[f"{process}s_closed"] = _count(
            session,
            select(func.count())
            .select_from(StageHistory)
            .where(
                StageHistory.process == process, StageHistory.stage.in_(stages), _in(StageHistory.entered_at, period)
            ),
        )
    return k


def _containment(session: Session, conv_ids, handed: set[int], conversations: int) -> float | None:  # type: ignore[no-untyped-def]
    """Share of the period's conversations that no person joined and whose last customer message
    the assistant understood (not a fallback)."""
    if not conversations:
        return None
    last_in = (
        select(Message.conversation_id, func.max(Message.id).label("last_id"))
        .where(Message.direction == "in", Message.conversation_id.in_(conv_ids))
        .group_by(Message.conversation_id)
        .subquery()
    )
    unresolved = set(
        session.scalars(
            select(last_in.c.conversation_id)
            .join(Message, Message.id == last_in.c.last_id)
            .where(Message.intent == FALLBACK_INTENT)
        )
    )
    return (conversations - len(handed | unresolved)) / conversations


def _median_minutes(pairs: list[tuple[datetime, datetime]]) -> float | None:
    spans = [(b - a).total_seconds() / 60 for a, b in pairs if a is not None and b is not None and b >= a]
    return median(spans) if spans else None


def handoff_reasons(session: Session, period: Period, limit: int = 5) -> list[tuple[str, int]]:
    """The period's handoffs in the customer's own words, the line the agents' queue shows
    ("parcel arrived damaged (order A-10423); asked for a person"), the commonest first.

    The stored reason names the intents and actions the assistant tried, which means nothing to
    a manager; the words come from what the customer wrote before the handoff."""
    handoffs = session.execute(
        select(Handoff.conversation_id, Handoff.requested_at, Handoff.reason).where(_in(Handoff.requested_at, period))
    ).all()
    if not handoffs:
        return []
    said: dict[int, list[tuple[datetime, str | None]]] = {}
    for conv, at, text in session.execute(
        select(Message.conversation_id, Message.sent_at, Message.text)
        .where(
            Message.conversation_id.in_({h.conversation_id for h in handoffs}),
            Message.direction == "in",
            Message.sent_at < period.end,
        )
        .order_by(Message.sent_at.desc(), Message.id.desc())
    ):
        said.setdefault(conv, []).append((at, text))
    counts = Counter(
        describe(
            [text for at, text in said.get(h.conversation_id, []) if at <= h.requested_at][:REASON_MESSAGES], h.reason
        )
        for h in handoffs
    )
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
