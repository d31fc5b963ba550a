"""What the agent workspace needs beside the queue: counts for the navigation, an agent's own
chats with what is unread, which chat comes next, the agent's away status, and labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from crm_store.db import UnitOfWork
from crm_store.errors import CrmError
from crm_store.models import ConsoleUser, Conversation, ConversationLabel, Handoff, Message
from crm_store.services.handoff_queue import queued_order


@dataclass(frozen=True)
class Counts:
    waiting: int  # queued for anyone
    mine: int  # claimed by this agent
    unread: int  # customer messages in this agent's chats since the agent last wrote (or took it)


def unread_by_handoff(uow: UnitOfWork, agent: str, read_upto: dict[int, int] | None = None) -> dict[int, int]:
    """For each chat the agent holds: the customer's messages since the agent last wrote in it,
    less those the agent's open page already showed (`read_upto`: handoff id -> message id)."""
    with uow:
        mine = uow.session.execute(
            select(Handoff.id, Handoff.conversation_id, Handoff.claimed_at).where(
                Handoff.status == "claimed", Handoff.agent == agent
            )
        ).all()
        unread = {}
        for handoff_id, conversation_id, claimed_at in mine:
            last_out = uow.session.scalar(
                select(func.max(Message.id)).where(
                    Message.conversation_id == conversation_id, Message.direction == "out", Message.author == "agent"
                )
            )
            since = select(func.count(Message.id)).where(
                Message.conversation_id == conversation_id, Message.direction == "in"
            )
            since = since.where(Message.id > last_out) if last_out else since.where(Message.sent_at >= claimed_at)
            if read_upto and read_upto.get(handoff_id):
                since = since.where(Message.id > read_upto[handoff_id])
            unread[handoff_id] = int(uow.session.scalar(since) or 0)
        return unread


def counts(uow: UnitOfWork, agent: str, read_upto: dict[int, int] | None = None) -> Counts:
    waiting = len(queued_order(uow))
    unread = unread_by_handoff(uow, agent, read_upto)
    return Counts(waiting, len(unread), sum(unread.values()))


def next_chat(
    uow: UnitOfWork, agent: str, leaving: int | None = None, read_upto: dict[int, int] | None = None
) -> int | None:
    """The chat to open after `leaving`: the next one waiting in the queue, else the agent's own
    chat with the most unread messages, else none."""
    waiting = [h for h in queued_order(uow) if h != leaving]
    if waiting:
        return waiting[0]
    unread = {h: n for h, n in unread_by_handoff(uow, agent, read_upto).items() if h != leaving}
    return max(unread, key=lambda h: (unread[h], -h)) if unread else None


def latest_handoff(uow: UnitOfWork, conversation_id: int) -> int | None:
    with uow:
        return uow.session.scalar(select(func.max(Handoff.id)).where(Handoff.conversation_id == conversation_id))


def latest_conversation(uow: UnitOfWork, customer_id: int) -> int | None:
    with uow:
        return uow.session.scalar(
            select(Conversation.id)
            .where(Conversation.customer_id == customer_id)
            .order_by(Conversation.last_event_at.desc(), Conversation.id.desc())
            .limit(1)
        )


def set_away(uow: UnitOfWork, username: str, away: bool, now: datetime) -> None:
    """An agent steps away (not counted in the expected wait customers are told) or is back."""
    with uow:
        row = uow.session.scalars(select(ConsoleUser).where(ConsoleUser.username == username)).first()
        if row is None:
            raise CrmError(f"There is no user {username!r}.")
        row.away_since = (row.away_since or now) if away else None
        uow.commit()


def is_away(uow: UnitOfWork, username: str) -> bool:
    with uow:
        return uow.session.scalar(select(ConsoleUser.away_since).where(ConsoleUser.username == username)) is not None


_LABEL = re.compile(r"^[\w][\w \-]{0,39}$")


class UnknownConversation(CrmError):
    def __init__(self, conversation_id: int) -> None:
        super().__init__(f"There is no conversation {conversation_id}.")


def _require_conversation(uow: UnitOfWork, conversation_id: int) -> None:
    if uow.session.get(Conversation, conversation_id) is None:
        raise UnknownConversation(conversation_id)


def add_label(uow: UnitOfWork, conversation_id: int, label: str, by: str, now: datetime) -> str:
    """Tag a conversation; the label is kept lower case, once per conversation."""
    label = " ".join(label.split()).lower()
    if not _LABEL.match(label):
        raise CrmError("A label is 1-40 letters, digits, spaces or dashes.")
    with uow:
        _require_conversation(uow, conversation_id)
        exists = uow.session.scalar(
            select(ConversationLabel.id).where(
                ConversationLabel.conversation_id == conversation_id, ConversationLabel.label == label
            )
        )
        if exists is None:
            uow.session.add(
                ConversationLabel(conversation_id=conversation_id, label=label, added_by=by, created_at=now)
            )
            uow.commit()
    return label


def remove_label(uow: UnitOfWork, conversation_id: int, label: str) -> None:
    with uow:
        _require_conversation(uow, conversation_id)
        for row in uow.session.scalars(
            select(ConversationLabel).where(
                ConversationLabel.conversation_id == conversation_id, ConversationLabel.label == label
            )
        ):
            uow.session.delete(row)
        uow.commit()


def labels_by_conversation(uow: UnitOfWork, conversation_ids: list[int]) -> dict[int, list[str]]:
    if not conversation_ids:
        return {}
    with uow:
        rows = uow.session.execute(
            select(ConversationLabel.conversation_id, ConversationLabel.label)
            .where(ConversationLabel.conversation_id.in_(conversation_ids))
            .order_by(ConversationLabel.label)
        ).all()
    found: dict[int, list[str]] = {}
    for conversation_id, label in rows:
        found.setdefault(conversation_id, []).append(label)
    return found
