"""What the agent workspace needs beside the queue: counts for the navigation, an agent's own
chats with what is unread, and which chat comes next."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from crm_store.db import UnitOfWork
from crm_store.models import Handoff, Message
from crm_store.services.handoff_queue import queued_order


@dataclass(frozen=True)
class Counts:
    waiting: int  # queued for anyone
    mine: int  # claimed by this agent
    unread: int  # customer messages in this agent's chats since the agent last wrote (or took it)


def unread_by_handoff(uow: UnitOfWork, agent: str) -> dict[int, int]:
    """For each chat the agent holds: the customer's messages since the agent last wrote in it."""
    with uow:
        mine = uow.session.execute(
            select(Handoff.id, Handoff.conversation_id, Handoff.claimed_at)
            .where(Handoff.status == "claimed", Handoff.agent == agent)
        ).all()
        unread = {}
        for handoff_id, conversation_id, claimed_at in mine:
            last_out = uow.session.scalar(
                select(func.max(Message.id)).where(Message.conversation_id == conversation_id, Message.direction == "out",
                                                   Message.author == "agent"))
            since = select(func.count(Message.id)).where(Message.conversation_id == conversation_id, Message.direction == "in")
            since = since.where(Message.id > last_out) if last_out else since.where(Message.sent_at >= claimed_at)
            unread[handoff_id] = int(uow.session.scalar(since) or 0)
        return unread


def counts(uow: UnitOfWork, agent: str) -> Counts:
    waiting = len(queued_order(uow))
    unread = unread_by_handoff(uow, agent)
    return Counts(waiting, len(unread), sum(unread.values()))


def next_chat(uow: UnitOfWork, agent: str, leaving: int | None = None) -> int | None:
    """The chat to open after `leaving`: the next one waiting in the queue, else the agent's own
    chat with the most unread messages, else none."""
    waiting = [h for h in queued_order(uow) if h != leaving]
    if waiting:
        return waiting[0]
    unread = {h: n for h, n in unread_by_handoff(uow, agent).items() if h != leaving}
    return max(unread, key=lambda h: (unread[h], -h)) if unread else None


def latest_handoff(uow: UnitOfWork, conversation_id: int) -> int | None:
    with uow:
        return uow.session.scalar(select(func.max(Handoff.id)).where(Handoff.conversation_id == conversation_id))

