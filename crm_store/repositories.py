"""Repositories: named, typed access to tables inside one unit of work's session."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store import models

T = TypeVar("T")


class Repository(Generic[T]):
    def __init__(self, session: Session, model: type[T]) -> None:
        self.session = session
        self.model = model

    def get(self, id_: int) -> T | None:
        return self.session.get(self.model, id_)

    def add(self, row: T) -> T:
        self.session.add(row)
        self.session.flush()
        return row

    def one_by(self, **criteria: Any) -> T | None:
        stmt = select(self.model).filter_by(**criteria).limit(1)
        return self.session.scalars(stmt).first()

    def all_by(self, **criteria: Any) -> list[T]:
        return list(self.session.scalars(select(self.model).filter_by(**criteria)))


class Repositories:
    def __init__(self, session: Session) -> None:
        self.customers = Repository(session, models.Customer)
        self.identities = Repository(session, models.ChannelIdentity)
        self.conversations = Repository(session, models.Conversation)
        self.messages = Repository(session, models.Message)
        self.products = Repository(session, models.Product)
        self.orders = Repository(session, models.Order)
        self.tickets = Repository(session, models.Ticket)
        self.returns = Repository(session, models.Return)
        self.deals = Repository(session, models.Deal)
        self.handoffs = Repository(session, models.Handoff)
        self.segments = Repository(session, models.Segment)
        self.flags = Repository(session, models.Flag)
