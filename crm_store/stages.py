"""Process state machines: which stage may follow which, per process kind."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from crm_store.errors import InvalidTransition
from crm_store.models import StageHistory

TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "order": {
        "pending": ("paid", "cancelled"),
        "paid": ("packed", "cancelled"),
        "packed": ("shipped", "cancelled"),
        "shipped": ("delivered", "returned"),
        "delivered": ("returned",),
        "cancelled": (),
        "returned": (),
    },
    "ticket": {
        "open": ("in_progress", "waiting", "resolved"),
        "in_progress": ("waiting", "resolved"),
        "waiting": ("in_progress", "resolved"),
        "resolved": ("open",),
    },
    "return": {
        "requested": ("approved", "rejected"),
        "approved": ("received",),
        "received": ("refunded",),
        "refunded": (),
        "rejected": (),
    },
    "refund": {
        "requested": ("processing", "paid"),
        "processing": ("paid",),
        "paid": (),
    },
    "deal": {
        "new": ("qualified", "lost"),
        "qualified": ("proposal", "lost"),
        "proposal": ("won", "lost"),
        "won": (),
        "lost": (),
    },
    # A conversation is with the assistant ("bot") until a handoff queues it. claimed -> claimed
    # is a transfer, claimed -> queued a release. Every end state hands the conversation back to
    # the assistant: that is written to stage_history as stage "bot" (with returned_at on the
    # row), while the row's status keeps the outcome (resolved, expired, ticket, cancelled).
    "handoff": {
        "queued": ("claimed", "expired", "ticket", "cancelled"),
        "claimed": ("claimed", "queued", "resolved"),
        "resolved": ("bot",),
        "expired": ("bot",),
        "ticket": ("bot",),
        "cancelled": ("bot",),
        "bot": (),
    },
}
INITIAL = {
    "order": "pending",
    "ticket": "open",
    "return": "requested",
    "deal": "new",
    "handoff": "queued",
    "refund": "requested",
}
CANCELLABLE_ORDER_STATUSES = ("pending", "paid", "packed")
ADDRESS_CHANGEABLE_STATUSES = ("pending", "paid", "packed")


def can_move(process: str, current: str, target: str) -> bool:
    return target in TRANSITIONS[process].get(current, ())


def record_stage(
    session: Session, process: str, process_id: int, stage: str, at: datetime, note: str | None = None
) -> None:
    session.add(StageHistory(process=process, process_id=process_id, stage=stage, entered_at=at, note=note))


def move(session: Session, process: str, row: object, target: str, at: datetime, note: str | None = None) -> None:
    """Move a process row (with .id, a stage column and stage_entered_at) and write its history."""
    column = "stage" if process == "deal" else "status"
    current = getattr(row, column)
    if not can_move(process, current, target):
        raise InvalidTransition(
            f"A {process} that is {current.replace('_', ' ')} cannot become {target.replace('_', ' ')}."
        )
    setattr(row, column, target)
    row.stage_entered_at = at  # type: ignore[attr-defined]
    record_stage(session, process, row.id, target, at, note)  # type: ignore[attr-defined]
