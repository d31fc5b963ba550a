"""Conversations as the CRM sees them: transcripts for the widget and the console."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.ingestion.cleaning import clean_sender
from crm_store.db import UnitOfWork
from crm_store.models import Conversation, Message
from crm_store.sql import insert_ignoring_conflict


@dataclass(frozen=True)
class MessageView:
    direction: str  # "in" | "out"
    text: str
    created_at: datetime
    buttons: list[dict] = field(default_factory=list)
    intent: str | None = None
    confidence: float | None = None
    author: str | None = None  # None: the customer ("in") or the assistant ("out"); "agent" | "handoff"
    author_name: str | None = None
    id: int | None = None
    # A customer message's language as detected (ISO 639-1); None when too short to tell.
    language: str | None = None


def recent_messages(uow: UnitOfWork, channel: str, external_id: str, limit: int = 50) -> list[MessageView]:
    """The last `limit` messages of this sender on this channel, oldest first."""
    with uow:
        stmt = (
            select(Message)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(Conversation.sender_id == external_id, Conversation.channel == channel)
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(limit)
        )
        rows = list(uow.session.scalars(stmt))
        return [_view(m) for m in reversed(rows)]


def transcript(uow: UnitOfWork, conversation_id: int) -> list[MessageView]:
    with uow:
        stmt = select(Message).where(Message.conversation_id == conversation_id).order_by(Message.sent_at, Message.id)
        return [_view(m) for m in uow.session.scalars(stmt)]


def _view(m: Message) -> MessageView:
    return MessageView(
        direction=m.direction,
        text=m.text or "",
        created_at=m.sent_at,
        buttons=list(m.buttons or []),
        intent=m.intent,
        confidence=m.confidence,
        author=m.author,
        author_name=m.author_name,
        id=m.id,
        language=m.language,
    )


@dataclass(frozen=True)
class Reachable:
    conversation_id: int
    sender_id: str
    channel: str


PUSH_CHANNELS = ("telegram", "webchat")


def reachable_conversation(uow: UnitOfWork, customer_id: int) -> Reachable | None:
    """The customer's most recent conversation on a channel we can write to unprompted."""
    with uow:
        stmt = (
            select(Conversation)
            .where(Conversation.customer_id == customer_id, Conversation.channel.in_(PUSH_CHANNELS))
            .order_by(Conversation.last_event_at.desc(), Conversation.id.desc())
            .limit(1)
        )
        row = uow.session.scalars(stmt).first()
        return Reachable(row.id, row.sender_id, row.channel) if row else None


def conversation_at(uow: UnitOfWork, sender: str, at: datetime, key: str) -> Conversation:
    """The sender's session that was open at `at`, inside an open unit of work.

    A sender with no conversation yet gets one, keyed by `key` (the first event's key, or
    the action's own when an action gets there before the broker), so a replay finds it.
    """
    session = uow.session
    sender = clean_sender(sender)  # the same storable id ingestion uses
    stmt = (
        select(Conversation)
        .where(Conversation.sender_id == sender, Conversation.started_at <= at)
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(1)
    )
    conversation = session.scalars(stmt).first()
    if conversation is None:
        # An event older than every session we know (or no session at all): use the earliest one.
        stmt = select(Conversation).where(Conversation.sender_id == sender).order_by(Conversation.started_at).limit(1)
        conversation = session.scalars(stmt).first()
    if conversation is None:
        insert_open_conversation(session, sender, at, key)
        conversation = session.scalars(select(Conversation).where(Conversation.opened_by_event == key)).one()
    return conversation


ACTION_KEY_PREFIX = "action:"


def conversation_for_sender(
    uow: UnitOfWork, sender_id: str, now: datetime, session_started_at: datetime | None = None
) -> int:
    """The sender's current CRM conversation; opened here the way ingestion would if the broker lags.

    Rasa publishes a turn's events only when the turn ends, so an action in the first turn of a
    session runs before the CRM has heard of that session. Given the tracker's session start
    (`session_started_at`), such an action opens the new session's row itself instead of
    writing into the previous session's; ingestion adopts that row (adopt_action_conversation).
    """
    key = ACTION_KEY_PREFIX + hashlib.sha256(f"action:{sender_id}:{now.isoformat()}".encode()).hexdigest()[:57]
    if session_started_at is not None:
        current = uow.session.scalars(
            select(Conversation)
            .where(Conversation.sender_id == sender_id, Conversation.started_at <= now)
            .order_by(Conversation.started_at.desc(), Conversation.id.desc())
            .limit(1)
        ).first()
        if current is None or current.started_at < session_started_at:
            return _open(uow, sender_id, session_started_at, key)
    return conversation_at(uow, sender_id, now, key).id


def insert_open_conversation(session: Session, sender: str, at: datetime, key: str) -> bool:
    """Open the sender's conversation row keyed by `key` (the event or action that opened it).

    True when this call inserted it; a second writer with the same key inserts nothing.
    """
    return insert_ignoring_conflict(
        session,
        Conversation,
        {
            "sender_id": sender,
            "opened_by_event": key,
            "started_at": at,
            "last_event_at": at,
            "paused": False,
            "status": "open",
        },
        key=["opened_by_event"],
    )


def _open(uow: UnitOfWork, sender: str, at: datetime, key: str) -> int:
    insert_open_conversation(uow.session, sender, at, key)
    return uow.session.scalars(select(Conversation.id).where(Conversation.opened_by_event == key)).one()


def adopt_action_conversation(uow: UnitOfWork, sender: str, at: datetime, key: str) -> bool:
    """A session_started that an action got ahead of: that action's row becomes the session's.

    Ingestion is ordered, so a row an action opened at or after this session's start belongs to
    this session; taking over its key keeps a replayed session_started from adopting anything.
    """
    row = uow.session.scalars(
        select(Conversation)
        .where(
            Conversation.sender_id == sender,
            Conversation.started_at >= at,
            Conversation.opened_by_event.like(f"{ACTION_KEY_PREFIX}%"),
        )
        .order_by(Conversation.started_at, Conversation.id)
        .limit(1)
    ).first()
    if row is None:
        return False
    row.opened_by_event, row.started_at = key, at
    return True
