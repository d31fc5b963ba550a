"""Handoffs: a conversation queued for a person, claimed, resolved and handed back.

The state machine is `stages.TRANSITIONS["handoff"]`; every function here refuses what it
does not allow (InvalidTransition), so no caller (console, watchdog, action) can skip a step.
Claim, transfer and release are one conditional UPDATE each: with two agents clicking at once
the database lets exactly one row change, and the other is told who took it.
Each end state (resolved, expired, ticket, cancelled) leaves `returned_at` empty until the
conversation is really back with the assistant (ConversationResumed sent, see
bot/console/monitor.py); `mark_returned` then writes stage "bot".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from crm_store import stages
from crm_store.business_hours import BusinessHours
from crm_store.db import UnitOfWork
from crm_store.errors import CrmError, InvalidTransition
from crm_store.models import Conversation, Handoff, Message, Ticket
from crm_store.services.conversations import conversation_for_sender
from crm_store.services.customers import resolve_identity
from crm_store.services.tickets import ticket_number

OPEN_STATUSES = ("queued", "claimed")
END_STATUSES = ("resolved", "expired", "ticket", "cancelled")


class UnknownHandoff(CrmError):
    def __init__(self, handoff_id: int) -> None:
        super().__init__(f"There is no handoff {handoff_id}.")


class AlreadyClaimed(CrmError):
    def __init__(self, agent: str | None) -> None:
        super().__init__(f"{agent or 'Another agent'} has already taken this conversation.")
        self.agent = agent


class NotYours(CrmError):
    def __init__(self, agent: str | None) -> None:
        super().__init__(f"This conversation is with {agent or 'nobody'}; only they (or a manager) can do that.")
        self.agent = agent


@dataclass(frozen=True)
class HandoffView:
    id: int
    conversation_id: int
    status: str
    reason: str | None
    requested_at: datetime
    priority: str = "normal"
    agent: str | None = None
    trigger: str | None = None
    claimed_at: datetime | None = None
    closed_at: datetime | None = None
    ticket_id: int | None = None
    csat: int | None = None
    returned_at: datetime | None = None
    repeated: bool = False  # an out-of-hours request that found its ticket already open

    @property
    def ticket_number(self) -> str | None:
        return ticket_number(self.ticket_id) if self.ticket_id else None


def request_handoff(
    uow: UnitOfWork,
    sender_id: str,
    reason: str,
    now: datetime,
    trigger: str = "request_human",
    calendar: BusinessHours | None = None,
    channel: str | None = None,
    session_started_at: datetime | None = None,
) -> HandoffView:
    """Queue the sender's conversation for a person; asking twice keeps the one open handoff.

    Outside business hours the handoff goes straight to a ticket with the transcript, and the
    conversation stays with the assistant; asking again in that conversation finds that ticket.
    """
    with uow:
        conversation_id = conversation_for_sender(uow, sender_id, now, session_started_at)
        latest = uow.session.scalars(
            select(Handoff).where(Handoff.conversation_id == conversation_id).order_by(Handoff.id.desc()).limit(1)
        ).first()
        if latest is not None and latest.status in OPEN_STATUSES:
            return _view(latest)
        closed = calendar is not None and not calendar.is_open(now)
        if closed and latest is not None and latest.status == "ticket":
            return _view(latest, repeated=True)
        handoff = uow.handoffs.add(
            Handoff(
                conversation_id=conversation_id,
                reason=reason[:200],
                status=stages.INITIAL["handoff"],
                trigger=trigger,
                priority="normal",
                requested_at=now,
                stage_entered_at=now,
            )
        )
        stages.record_stage(uow.session, "handoff", handoff.id, handoff.status, now, note=trigger)
        if closed:
            _to_ticket(uow, handoff, now, "outside business hours", channel)
            # The conversation was never paused: it is already back with the assistant.
            _return(uow, handoff, now)
        uow.commit()
        return _view(handoff)


def get_handoff(uow: UnitOfWork, handoff_id: int) -> HandoffView:
    with uow:
        return _view(_get(uow, handoff_id))


def claim_handoff(uow: UnitOfWork, handoff_id: int, agent: str, now: datetime) -> HandoffView:
    """Exactly one of several agents claiming at once wins; the others get AlreadyClaimed(who)."""
    for attempt in range(3):
        try:
            with uow:
                changed = uow.session.execute(
                    update(Handoff)
                    .where(Handoff.id == handoff_id, Handoff.status == "queued")
                    .values(status="claimed", agent=agent, claimed_at=now, stage_entered_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if changed != 1:
                    row = _get(uow, handoff_id)
                    if row.status == "claimed":
                        raise AlreadyClaimed(row.agent)
                    _refuse(row.status, "claimed")
                stages.record_stage(uow.session, "handoff", handoff_id, "claimed", now, note=f"claimed by {agent}")
                uow.commit()
                return _view(_get(uow, handoff_id))
        except OperationalError:
            # SQLite: a writer that lost the race on a stale snapshot gets "database is locked";
            # the retry reads the winner's row and reports who took it.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def transfer_handoff(
    uow: UnitOfWork, handoff_id: int, by: str, to_agent: str, now: datetime, manager: bool = False
) -> HandoffView:
    return _move_claimed(
        uow, handoff_id, by, manager, now, "claimed", {"agent": to_agent}, f"transferred by {by} to {to_agent}"
    )


def release_handoff(uow: UnitOfWork, handoff_id: int, by: str, now: datetime, manager: bool = False) -> HandoffView:
    return _move_claimed(
        uow, handoff_id, by, manager, now, "queued", {"agent": None, "claimed_at": None}, f"released by {by}"
    )


def resolve_handoff(uow: UnitOfWork, handoff_id: int, by: str, now: datetime, manager: bool = False) -> HandoffView:
    return _move_claimed(uow, handoff_id, by, manager, now, "resolved", {"closed_at": now}, f"resolved by {by}")


def cancel_handoff(uow: UnitOfWork, handoff_id: int, now: datetime) -> HandoffView:
    """The customer no longer needs a person (only while still queued)."""
    with uow:
        row = _get(uow, handoff_id)
        _move_queued(uow, row, "cancelled", now, "cancelled by the customer")
        row.closed_at = now
        uow.commit()
        return _view(row)


def expire_handoff(
    uow: UnitOfWork, handoff_id: int, now: datetime, why: str, channel: str | None = None
) -> HandoffView:
    """Nobody took it in time: a ticket with the transcript, status expired."""
    with uow:
        row = _get(uow, handoff_id)
        _to_ticket(uow, row, now, why, channel, status="expired")
        uow.commit()
        return _view(row)


def ticket_handoff(
    uow: UnitOfWork, handoff_id: int, now: datetime, why: str, channel: str | None = None
) -> HandoffView:
    with uow:
        row = _get(uow, handoff_id)
        _to_ticket(uow, row, now, why, channel)
        uow.commit()
        return _view(row)


def escalate_handoff(uow: UnitOfWork, handoff_id: int, now: datetime) -> HandoffView:
    """Priority up; the row keeps its place in the state machine (still queued)."""
    with uow:
        row = _get(uow, handoff_id)
        if row.status != "queued":
            _refuse(row.status, "escalated")
        row.priority, row.escalated_at = "high", now
        uow.commit()
        return _view(row)


def mark_returned(uow: UnitOfWork, handoff_id: int, now: datetime) -> HandoffView:
    """The conversation is back with the assistant (ConversationResumed went out)."""
    with uow:
        row = _get(uow, handoff_id)
        if row.returned_at is not None:
            return _view(row)
        _return(uow, row, now)
        uow.commit()
        return _view(row)


def note_first_response(uow: UnitOfWork, handoff_id: int, now: datetime) -> None:
    with uow:
        row = _get(uow, handoff_id)
        if row.first_response_at is None:
            row.first_response_at = now
            uow.commit()


@dataclass(frozen=True)
class PendingReturn:
    """An ended handoff whose conversation still waits for ConversationResumed."""

    handoff: HandoffView
    sender_id: str
    channel: str | None


def customer_language(uow: UnitOfWork, conversation_id: int) -> str | None:
    """The language of the customer's latest message that had one (short ones like "ok" have none):
    the one the handoff service speaks to them in. Asked only when it has something to say."""
    with uow:
        return uow.session.scalar(
            select(Message.language)
            .where(Message.conversation_id == conversation_id, Message.direction == "in", Message.language.is_not(None))
            .order_by(Message.id.desc())
            .limit(1)
        )


def pending_returns(uow: UnitOfWork) -> list[PendingReturn]:
    with uow:
        rows = uow.session.execute(
            select(Handoff, Conversation.sender_id, Conversation.channel)
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .where(Handoff.status.in_(END_STATUSES), Handoff.returned_at.is_(None))
            .order_by(Handoff.id)
        ).all()
        return [PendingReturn(_view(h), sender, channel) for h, sender, channel in rows]


@dataclass(frozen=True)
class QueuedChat:
    """A queued handoff with the customer messages that arrived since the monitor last looked."""

    handoff: HandoffView
    sender_id: str
    channel: str | None
    new_messages: tuple[tuple[int, str, str | None], ...]  # (message id, text, intent)
    last_notice_at: datetime
    escalated_at: datetime | None


def queued_chats(uow: UnitOfWork) -> list[QueuedChat]:
    with uow:
        rows = uow.session.execute(
            select(Handoff, Conversation.sender_id, Conversation.channel)
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .where(Handoff.status == "queued")
            .order_by(Handoff.id)
        ).all()
        chats = []
        for h, sender, channel in rows:
            new = uow.session.execute(
                select(Message.id, Message.text, Message.intent)
                .where(
                    Message.conversation_id == h.conversation_id,
                    Message.direction == "in",
                    Message.id > (h.seen_message_id or 0),
                    Message.sent_at > h.requested_at,
                )
                .order_by(Message.id)
            ).all()
            chats.append(
                QueuedChat(
                    _view(h),
                    sender,
                    channel,
                    tuple((i, t or "", n) for i, t, n in new),
                    h.last_notice_at or h.requested_at,
                    h.escalated_at,
                )
            )
        return chats


def note_monitor(
    uow: UnitOfWork, handoff_id: int, seen_message_id: int | None = None, notice_at: datetime | None = None
) -> None:
    """Remember what the queue monitor has read and when it last told the customer something."""
    with uow:
        row = _get(uow, handoff_id)
        if seen_message_id is not None:
            row.seen_message_id = max(seen_message_id, row.seen_message_id or 0)
        if notice_at is not None:
            row.last_notice_at = notice_at
        uow.commit()


def record_csat(uow: UnitOfWork, sender_id: str, rating: int, now: datetime) -> int | None:
    """Store a 1-5 rating on the sender's latest resolved handoff without one; its id, or None."""
    if not 1 <= rating <= 5:
        raise CrmError(f"A rating is from 1 to 5, not {rating}.")
    with uow:
        row = uow.session.scalars(
            select(Handoff)
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .where(Conversation.sender_id == sender_id, Handoff.status == "resolved", Handoff.csat.is_(None))
            .order_by(Handoff.closed_at.desc(), Handoff.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        row.csat, row.csat_at = rating, now
        uow.commit()
        return row.id


def open_handoff_of(uow: UnitOfWork, conversation_id: int) -> HandoffView | None:
    with uow:
        row = uow.session.scalars(
            select(Handoff)
            .where(Handoff.conversation_id == conversation_id, Handoff.status.in_(OPEN_STATUSES))
            .order_by(Handoff.id.desc())
            .limit(1)
        ).first()
        return _view(row) if row else None


def handoffs_of(uow: UnitOfWork, sender_id: str) -> list[HandoffView]:
    with uow:
        rows = uow.session.scalars(
            select(Handoff)
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .where(Conversation.sender_id == sender_id)
            .order_by(Handoff.requested_at, Handoff.id)
        )
        return [_view(h) for h in rows]


def transcript_text(uow: UnitOfWork, conversation_id: int) -> str:
    """The conversation as plain text, for the ticket a handoff turns into."""
    rows = uow.session.scalars(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.sent_at, Message.id)
    )
    lines = []
    for m in rows:
        who = "customer" if m.direction == "in" else (f"agent {m.author_name}" if m.author == "agent" else "assistant")
        lines.append(f"[{m.sent_at:%Y-%m-%d %H:%M:%S}] {who}: {m.text or ''}")
    return "\n".join(lines) or "(no messages)"


# -- inside an open unit of work ------------------------------------------------------------


def _get(uow: UnitOfWork, handoff_id: int) -> Handoff:
    row = uow.handoffs.get(handoff_id)
    if row is None:
        raise UnknownHandoff(handoff_id)
    return row


def _refuse(current: str, target: str) -> None:
    raise InvalidTransition(f"A handoff that is {current} cannot become {target}.")


def _move_claimed(
    uow: UnitOfWork, handoff_id: int, by: str, manager: bool, now: datetime, target: str, values: dict, note: str
) -> HandoffView:
    with uow:
        row = _get(uow, handoff_id)
        if not stages.can_move("handoff", row.status, target):
            _refuse(row.status, target)
        if row.agent != by and not manager:
            raise NotYours(row.agent)
        changed = uow.session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.status == "claimed", Handoff.agent == row.agent)
            .values(status=target, stage_entered_at=now, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise AlreadyClaimed(None)
        stages.record_stage(uow.session, "handoff", handoff_id, target, now, note=note)
        uow.commit()
        uow.session.refresh(row)
        return _view(row)


def _move_queued(uow: UnitOfWork, row: Handoff, target: str, now: datetime, note: str) -> None:
    """queued -> target, conditional on the row still being queued (an agent may claim it meanwhile)."""
    if not stages.can_move("handoff", row.status, target):
        _refuse(row.status, target)
    changed = uow.session.execute(
        update(Handoff)
        .where(Handoff.id == row.id, Handoff.status == "queued")
        .values(status=target, stage_entered_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        uow.session.refresh(row)
        raise (
            AlreadyClaimed(row.agent)
            if row.status == "claimed"
            else InvalidTransition(f"A handoff that is {row.status} cannot become {target}.")
        )
    row.status, row.stage_entered_at = target, now
    stages.record_stage(uow.session, "handoff", row.id, target, now, note=note)


def _to_ticket(
    uow: UnitOfWork, row: Handoff, now: datetime, why: str, channel: str | None, status: str = "ticket"
) -> None:
    _move_queued(uow, row, status, now, why)
    conversation = uow.conversations.get(row.conversation_id)
    customer_id = conversation.customer_id
    if customer_id is None:  # the broker has not stored the first message yet
        customer_id = resolve_identity(
            uow, channel or conversation.channel or "rest", conversation.sender_id, now
        ).customer_id
    ticket = uow.tickets.add(
        Ticket(
            customer_id=customer_id,
            conversation_id=row.conversation_id,
            subject=f"Chat for the team ({why}): {row.reason or 'asked for a person'}"[:200],
            description=transcript_text(uow, row.conversation_id),
            priority=row.priority or "normal",
            status=stages.INITIAL["ticket"],
            stage_entered_at=now,
            created_at=now,
        )
    )
    stages.record_stage(uow.session, "ticket", ticket.id, ticket.status, now, note=f"from handoff {row.id}")
    row.ticket_id, row.closed_at = ticket.id, now


def _return(uow: UnitOfWork, row: Handoff, now: datetime) -> None:
    if not stages.can_move("handoff", row.status, "bot"):
        _refuse(row.status, "handed back to the assistant")
    row.returned_at = now
    stages.record_stage(uow.session, "handoff", row.id, "bot", now, note=f"back to the assistant after {row.status}")


def _view(row: Handoff, repeated: bool = False) -> HandoffView:
    return HandoffView(
        row.id,
        row.conversation_id,
        row.status,
        row.reason,
        row.requested_at,
        row.priority or "normal",
        row.agent,
        row.trigger,
        row.claimed_at,
        row.closed_at,
        row.ticket_id,
        row.csat,
        row.returned_at,
        repeated,
    )
