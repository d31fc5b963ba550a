"""The handoff queue as customers and agents see it: order, positions and an honest wait.

The expected wait is measured, not a constant: the median time recent handoffs waited
for their first agent response, times the customer's place in the queue, divided by the
agents online. With no recent handoffs to go by, we say we cannot estimate it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from crm_store.db import UnitOfWork
from crm_store.models import ChannelIdentity, Conversation, Customer, Handoff, Message
from crm_store.services.console_users import agents_online

RECENT = timedelta(days=7)
RECENT_COUNT = 20
_PRIORITY = case((Handoff.priority == "high", 0), else_=1)


@dataclass(frozen=True)
class WaitEstimate:
    position: int  # 1 = next in line; 0 = not queued
    minutes: int | None  # None: no recent handoffs to estimate from
    agents_online: int
    recent_median_minutes: float | None


@dataclass(frozen=True)
class QueueItem:
    handoff_id: int
    conversation_id: int
    status: str
    priority: str
    reason: str | None
    trigger: str | None
    agent: str | None
    requested_at: datetime
    claimed_at: datetime | None
    customer_id: int | None
    customer_name: str
    channel: str | None
    last_message: str | None
    escalated: bool
    # The language of the customer's latest message that had enough words to tell
    language: str | None = None


def queued_order(uow: UnitOfWork) -> list[int]:
    """Ids of queued handoffs, next in line first: high priority, then longest waiting."""
    with uow:
        return list(
            uow.session.scalars(
                select(Handoff.id)
                .where(Handoff.status == "queued")
                .order_by(_PRIORITY, Handoff.requested_at, Handoff.id)
            )
        )


def position(uow: UnitOfWork, handoff_id: int) -> int:
    order = queued_order(uow)
    return order.index(handoff_id) + 1 if handoff_id in order else 0


def recent_first_responses(uow: UnitOfWork, now: datetime) -> list[float]:
    """Minutes from request to the first agent reply (or the claim) of the latest handoffs."""
    with uow:
        rows = uow.session.execute(
            select(Handoff.requested_at, func.coalesce(Handoff.first_response_at, Handoff.claimed_at))
            .where(Handoff.claimed_at.is_not(None), Handoff.claimed_at >= now - RECENT)
            .order_by(Handoff.claimed_at.desc())
            .limit(RECENT_COUNT)
        ).all()
        return [max((answered - asked).total_seconds(), 0) / 60 for asked, answered in rows if answered]


def expected_wait(uow: UnitOfWork, handoff_id: int, now: datetime) -> WaitEstimate:
    place = position(uow, handoff_id)
    online = agents_online(uow, now)
    recent = recent_first_responses(uow, now)
    if not recent or place == 0:
        return WaitEstimate(place, None, online, statistics.median(recent) if recent else None)
    median = statistics.median(recent)
    minutes = max(1, math.ceil(median * place / max(online, 1)))
    return WaitEstimate(place, minutes, online, median)


def describe_wait(wait: WaitEstimate, no_agent_minutes: int) -> str:
    """The sentence the customer reads about their place and wait."""
    place = "You're next in the queue." if wait.position == 1 else f"You're number {wait.position} in the queue."
    if wait.agents_online == 0:
        return (
            f"{place} Nobody from the team is at the console right now: if nobody takes your chat within "
            f"{no_agent_minutes} minutes, I'll open a ticket with this conversation so the team answers by email, "
            "and you can carry on with me."
        )
    if wait.minutes is None:
        return f"{place} I can't estimate the wait yet, as there are no recent chats to go by."
    recent = max(1, round(wait.recent_median_minutes or 0))
    return (
        f"{place} Recent chats were answered after about {recent} minute{'s' if recent != 1 else ''}, "
        f"so the expected wait is about {wait.minutes} minute{'s' if wait.minutes != 1 else ''}."
    )


def written_while_queued(uow: UnitOfWork, handoff_id: int, message_ids: list[int]) -> set[int]:
    """Of these customer messages, those written since the handoff last entered the queue. After a
    release, what the customer wrote while an agent had the chat was read by that agent: it is not
    a message waiting for the next person, and the queue does not acknowledge it."""
    if not message_ids:
        return set()
    with uow:
        h = uow.session.get(Handoff, handoff_id)
        if h is None:
            return set()
        since = h.stage_entered_at or h.requested_at
        return set(uow.session.scalars(select(Message.id).where(Message.id.in_(message_ids), Message.sent_at >= since)))


def queue(uow: UnitOfWork, statuses: tuple[str, ...] = ("queued", "claimed")) -> list[QueueItem]:
    """Open handoffs for the console: queued ones in queue order, then claimed ones."""
    with uow:
        last = (
            select(Message.text)
            .where(Message.conversation_id == Handoff.conversation_id, Message.direction == "in")
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(1)
            .correlate(Handoff)
            .scalar_subquery()
        )
        language = (
            select(Message.language)
            .where(
                Message.conversation_id == Handoff.conversation_id,
                Message.direction == "in",
                Message.language.is_not(None),
            )
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(1)
            .correlate(Handoff)
            .scalar_subquery()
        )
        rows = uow.session.execute(
            select(
                Handoff,
                Conversation.customer_id,
                Conversation.channel,
                Customer.name,
                ChannelIdentity.display_name,
                last,
                language,
            )
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .outerjoin(Customer, Conversation.customer_id == Customer.id)
            .outerjoin(ChannelIdentity, Conversation.identity_id == ChannelIdentity.id)
            .where(Handoff.status.in_(statuses))
            .order_by(case((Handoff.status == "queued", 0), else_=1), _PRIORITY, Handoff.requested_at, Handoff.id)
        ).all()
        return [
            QueueItem(
                h.id,
                h.conversation_id,
                h.status,
                h.priority or "normal",
                h.reason,
                h.trigger,
                h.agent,
                h.requested_at,
                h.claimed_at,
                customer_id,
                name or display or "unknown customer",
                channel,
                text,
                h.escalated_at is not None,
                lang,
            )
            for h, customer_id, channel, name, display, text, lang in rows
        ]


def queue_signature(uow: UnitOfWork) -> tuple:
    """Changes whenever the queue does (for the console's live updates)."""
    with uow:
        return tuple(
            uow.session.execute(
                select(Handoff.id, Handoff.status, Handoff.agent, Handoff.priority)
                .where(Handoff.status.in_(("queued", "claimed")))
                .order_by(Handoff.id)
            ).all()
        )
