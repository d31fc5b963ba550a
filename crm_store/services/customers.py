"""Customers and their identities on each channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.errors import UnknownCustomer
from crm_store.models import ChannelIdentity, Customer
from crm_store.sql import insert_ignoring_conflict


@dataclass(frozen=True)
class Identity:
    identity_id: int
    customer_id: int
    channel: str
    external_id: str
    display_name: str | None


@dataclass(frozen=True)
class CustomerProfile:
    id: int
    name: str
    email: str | None
    phone: str | None
    identities: tuple[Identity, ...]


def resolve_identity(
    uow: UnitOfWork, channel: str, external_id: str, now: datetime, display_name: str | None = None
) -> Identity:
    """The customer behind (channel, external id); a first contact creates both.

    Called inside an open unit of work (ingestion and actions share it); flushes, does not commit.
    """
    session = uow.session
    assert session is not None
    row = _identity(uow, channel, external_id)
    if row is None:
        with session.begin_nested():
            customer = Customer(name=display_name or f"{channel} customer {external_id[:12]}", created_at=now)
            session.add(customer)
            session.flush()
            inserted = insert_ignoring_conflict(
                session,
                ChannelIdentity,
                {
                    "customer_id": customer.id,
                    "channel": channel,
                    "external_id": external_id,
                    "display_name": display_name,
                    "created_at": now,
                },
                key=["channel", "external_id"],
            )
            if not inserted:  # another writer won the race: drop our placeholder customer
                session.delete(customer)
        row = _identity(uow, channel, external_id)
        assert row is not None
    elif display_name and row.display_name != display_name:
        row.display_name = display_name
    return _view(row)


def find_identity(uow: UnitOfWork, channel: str, external_id: str) -> Identity | None:
    row = _identity(uow, channel, external_id)
    return _view(row) if row else None


def identities_of(uow: UnitOfWork, customer_id: int) -> list[Identity]:
    with uow:
        if uow.customers.get(customer_id) is None:
            raise UnknownCustomer(customer_id)
        rows = uow.session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.customer_id == customer_id).order_by(ChannelIdentity.id)
        )
        return [_view(r) for r in rows]


def profile(uow: UnitOfWork, customer_id: int) -> CustomerProfile:
    with uow:
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise UnknownCustomer(customer_id)
        return CustomerProfile(
            id=customer.id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            identities=tuple(_view(i) for i in customer.identities),
        )


def _identity(uow: UnitOfWork, channel: str, external_id: str) -> ChannelIdentity | None:
    stmt = select(ChannelIdentity).where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    return uow.session.scalars(stmt).first()


def _view(row: ChannelIdentity) -> Identity:
    return Identity(row.id, row.customer_id, row.channel, row.external_id, row.display_name)


def adopt_placeholder(uow: UnitOfWork, placeholder_id: int, owner_id: int) -> None:
    """A chat proved to be `owner_id`: what it did before that (tickets, returns, feedback, leads)
    moves from the placeholder customer its first message created to the real one.

    Only a placeholder (no email, no other identity) gives its records away; inside an open unit of work.
    """
    from sqlalchemy import update

    from crm_store.models import Deal, Feedback, Return, Ticket

    session = uow.session
    placeholder = uow.customers.get(placeholder_id)
    others = session.scalars(select(ChannelIdentity.id).where(ChannelIdentity.customer_id == placeholder_id)).first()
    if placeholder is None or placeholder.email or others is not None:
        return
    for model in (Ticket, Return, Feedback, Deal):
        session.execute(update(model).where(model.customer_id == placeholder_id).values(customer_id=owner_id))
