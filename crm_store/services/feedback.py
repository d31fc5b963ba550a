"""Feedback: a 1-5 rating and an optional comment from the chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from crm_store.db import UnitOfWork
from crm_store.errors import CrmError, UnknownCustomer
from crm_store.models import Feedback
from crm_store.services.conversations import conversation_for_sender


class InvalidRating(CrmError):
    def __init__(self, rating: object) -> None:
        super().__init__(f"A rating is a whole number from 1 to 5, not {rating!r}.")


@dataclass(frozen=True)
class FeedbackSummary:
    count: int
    average: float | None


def save_feedback(
    uow: UnitOfWork, customer_id: int, rating: int, comment: str | None, now: datetime, sender_id: str | None = None
) -> int:
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidRating(rating)
    with uow:
        if uow.customers.get(customer_id) is None:
            raise UnknownCustomer(customer_id)
        row = Feedback(
            customer_id=customer_id,
            conversation_id=conversation_for_sender(uow, sender_id, now) if sender_id else None,
            rating=rating,
            comment=(comment or "").strip()[:4000] or None,
            created_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.commit()
        return row.id


def summary(uow: UnitOfWork, since: datetime | None = None) -> FeedbackSummary:
    with uow:
        stmt = select(func.count(Feedback.id), func.avg(Feedback.rating))
        if since is not None:
            stmt = stmt.where(Feedback.created_at >= since)
        count, average = uow.session.execute(stmt).one()
        return FeedbackSummary(int(count), float(average) if average is not None else None)
