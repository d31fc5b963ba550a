"""CRM histories with planted answers for the analytics tests: processes that went through
their stages in known times, so the stalled ones and the thresholds are known in advance."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from crm_store import stages
from crm_store.models import (
    ChannelIdentity,
    Conversation,
    ConversationEvent,
    Customer,
    Deal,
    Handoff,
    Order,
    Return,
    Ticket,
)

COLUMN = {"order": "status", "ticket": "status", "return": "status", "deal": "stage"}


def customer(s: Session, now: datetime, days_ago: int = 300) -> Customer:
    c = Customer(
        name="Planted Customer", email=f"{uuid.uuid4().hex[:12]}@example.com", created_at=now - timedelta(days=days_ago)
    )
    s.add(c)
    s.flush()
    return c


def process(
    s: Session, kind: str, owner: Customer, path: list[tuple[str, float]], now: datetime, number: str | None = None
):  # type: ignore[no-untyped-def]
    """A process that entered each stage of `path` [(stage, hours spent there), ...]; the last
    stage is the current one and its hours are how long it has been there until `now`."""
    total = sum(h for _, h in path)
    at = now - timedelta(hours=total)
    first = path[0][0]
    common = {"customer_id": owner.id, "stage_entered_at": at, "created_at": at}
    if kind == "order":
        row = Order(
            number=number or f"A-{uuid.uuid4().int % 10**8}",
            status=first,
            placed_at=at,
            total=Decimal("10"),
            stage_entered_at=at,
            customer_id=owner.id,
        )
    elif kind == "ticket":
        row = Ticket(subject="planted", status=first, **common)
    elif kind == "return":
        order = process(s, "order", owner, [("pending", 1), ("delivered", 1)], at)
        row = Return(
            number=number or f"R-{uuid.uuid4().int % 10**8}",
            order_id=order.id,
            item="mug",
            reason="broken",
            status=first,
            **common,
        )
    else:
        row = Deal(title="planted deal", stage=first, **common)
    s.add(row)
    s.flush()
    stages.record_stage(s, kind, row.id, first, at)
    for (_, spent), (stage, _) in zip(path, path[1:]):
        at = at + timedelta(hours=spent)
        setattr(row, COLUMN[kind], stage)
        row.stage_entered_at = at
        stages.record_stage(s, kind, row.id, stage, at)
    s.flush()
    return row


def conversation(s: Session, owner: Customer | None, now: datetime, channel: str = "webchat") -> Conversation:
    sender = uuid.uuid4().hex
    if owner is not None:
        s.add(ChannelIdentity(customer_id=owner.id, channel=channel, external_id=sender, created_at=now))
    conv = Conversation(
        sender_id=sender,
        channel=channel,
        customer_id=owner.id if owner else None,
        started_at=now - timedelta(days=3),
        last_event_at=now - timedelta(days=3),
        paused=False,
        status="open",
    )
    s.add(conv)
    s.flush()
    return conv


def event(
    s: Session, conv: Conversation, kind: str, name: str | None, at: datetime, payload: dict | None = None
) -> ConversationEvent:
    row = ConversationEvent(
        conversation_id=conv.id, event_key=uuid.uuid4().hex, kind=kind, name=name, payload=payload or {}, occurred_at=at
    )
    s.add(row)
    s.flush()
    return row


def handoff(
    s: Session, conv: Conversation, requested_hours_ago: float, now: datetime, claimed_after: float | None = None
) -> Handoff:
    requested = now - timedelta(hours=requested_hours_ago)
    row = Handoff(
        conversation_id=conv.id,
        reason="planted",
        requested_at=requested,
        status="queued" if claimed_after is None else "claimed",
        claimed_at=None if claimed_after is None else requested + timedelta(hours=claimed_after),
    )
    s.add(row)
    s.flush()
    return row
