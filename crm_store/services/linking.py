"""Proving a chat belongs to a customer: one-time codes sent to the email on record.

A code has six digits, lives ten minutes, allows five tries and is stored as an
argon2 hash. Asking for one gives the same answer whether or not the order or
email exists (`request_code` returns the code only for the caller to deliver).
Requests are limited per chat here (LINK_ATTEMPTS_PER_HOUR) and per network address by
the caller; never per customer, since a count that only a matching email raises would tell
a stranger the email is right, and would let anyone block the owner's linking.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import func, or_, select

from crm_store.db import UnitOfWork
from crm_store.errors import CrmError, VerificationFailed
from crm_store.models import ChannelIdentity, Conversation, Customer, LinkCode
from crm_store.services import audit

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
# After a link, cancelling or changing an address needs a code used this recently.
FRESH_FOR = timedelta(minutes=10)
PURPOSES = ("link", "reauth", "forget")
# Cheap enough for a chat turn; a six-digit code is short, the try limit is what protects it.
_hasher = PasswordHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1)


class TooManyRequests(CrmError):
    def __init__(self) -> None:
        super().__init__("Too many codes were asked for; please wait an hour or ask for a person.")


@dataclass(frozen=True)
class CodeToSend:
    code: str
    email: str
    customer_id: int


def request_code(
    uow: UnitOfWork,
    channel: str,
    external_id: str,
    now: datetime,
    limit_per_hour: int,
    purpose: str = "link",
    order_number: str | None = None,
    email: str | None = None,
    customer_id: int | None = None,
) -> CodeToSend | None:
    """Record a code request; return the code to send, or None when nothing matched.

    purpose "link": the customer who placed `order_number`, if `email` is theirs; with no order
    number, the customer whose email it is.
    purpose "reauth" / "forget": `customer_id`, the customer this chat already is.
    """
    assert purpose in PURPOSES
    with uow:
        session = uow.session
        owner = _owner(uow, purpose, order_number, email, customer_id)
        since = now - timedelta(hours=1)
        by_chat = session.scalar(
            select(func.count(LinkCode.id)).where(
                LinkCode.channel == channel, LinkCode.external_id == external_id, LinkCode.created_at > since
            )
        )
        if by_chat >= limit_per_hour:
            raise TooManyRequests()
        # Older codes of this chat stop working: only the newest is valid.
        for old in session.scalars(
            select(LinkCode).where(
                LinkCode.channel == channel, LinkCode.external_id == external_id, LinkCode.used_at.is_(None)
            )
        ):
            old.expires_at = min(old.expires_at, now)
        code = f"{secrets.randbelow(10**6):06d}"
        session.add(
            LinkCode(
                channel=channel,
                external_id=external_id,
                customer_id=owner.id if owner else None,
                purpose=purpose,
                order_number=order_number,
                code_hash=_hasher.hash(code) if owner else None,
                attempts=0,
                created_at=now,
                expires_at=now + CODE_TTL,
            )
        )
        uow.commit()
        return CodeToSend(code, owner.email, owner.id) if owner else None


def verify_code(uow: UnitOfWork, channel: str, external_id: str, code: str, now: datetime) -> tuple[str, int]:
    """(purpose, customer id) of this chat's pending code if `code` is right; links the chat for "link".

    Raises VerificationFailed without saying whether a code, the order or the email existed.
    """
    with uow:
        session = uow.session
        pending = session.scalars(
            select(LinkCode)
            .where(
                LinkCode.channel == channel,
                LinkCode.external_id == external_id,
                LinkCode.used_at.is_(None),
                LinkCode.expires_at > now,
            )
            .order_by(LinkCode.created_at.desc(), LinkCode.id.desc())
            .limit(1)
        ).first()
        if pending is None or pending.attempts >= MAX_TRIES:
            raise VerificationFailed("That code is not valid (any more). Ask me for a new one.")
        pending.attempts += 1
        if pending.code_hash is None or not _matches(pending.code_hash, code.strip()):
            if pending.attempts >= MAX_TRIES:
                pending.expires_at = now
            uow.commit()
            raise VerificationFailed("That code is not right.")
        pending.used_at = now
        if pending.purpose == "link":
            _link(uow, channel, external_id, pending.customer_id, now)
        uow.commit()
        audit.record(
            uow,
            f"customer:{pending.customer_id}",
            f"code_{pending.purpose}",
            "customer",
            pending.customer_id,
            now,
            {"channel": channel},
        )
        return pending.purpose, pending.customer_id


def needs_fresh_code(uow: UnitOfWork, channel: str, external_id: str, customer_id: int, now: datetime) -> bool:
    """True for a chat linked to this customer by a code (a new chat or channel of theirs)
    when no code was used on it within FRESH_FOR: cancelling or changing an address asks again."""
    with uow:
        used = list(
            uow.session.scalars(
                select(LinkCode.used_at).where(
                    LinkCode.channel == channel,
                    LinkCode.external_id == external_id,
                    LinkCode.customer_id == customer_id,
                    LinkCode.used_at.is_not(None),
                )
            )
        )
        if not used:
            return False
        return max(used) < now - FRESH_FOR


def unlink(uow: UnitOfWork, channel: str, external_id: str, now: datetime) -> int | None:
    """Give this chat a fresh customer of its own; returns the customer it was linked to."""
    with uow:
        identity = uow.session.scalars(
            select(ChannelIdentity).where(
                ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
            )
        ).first()
        if identity is None:
            return None
        previous = identity.customer_id
        customer = Customer(name=f"{channel} customer {external_id[:12]}", created_at=now)
        uow.session.add(customer)
        uow.session.flush()
        identity.customer_id = customer.id
        uow.commit()
        audit.record(uow, f"customer:{previous}", "unlink", "customer", previous, now, {"channel": channel})
        return previous


def _owner(
    uow: UnitOfWork, purpose: str, order_number: str | None, email: str | None, customer_id: int | None
) -> Customer | None:
    if purpose == "link" and not order_number and email:
        # An email alone (a visitor with no order number at hand): the customer it belongs to, if any.
        return uow.session.scalars(
            select(Customer).where(func.lower(Customer.email) == email.strip().lower()).order_by(Customer.id)
        ).first()
    if purpose == "link":
        order = uow.orders.one_by(number=order_number) if order_number else None
        owner = uow.customers.get(order.customer_id) if order else None
        if owner is None or not owner.email or not email or owner.email.strip().lower() != email.strip().lower():
            return None
        return owner
    owner = uow.customers.get(customer_id) if customer_id else None
    return owner if owner is not None and owner.email else None


def _matches(code_hash: str, code: str) -> bool:
    try:
        return _hasher.verify(code_hash, code)
    except VerificationError:
        return False


def _link(uow: UnitOfWork, channel: str, external_id: str, customer_id: int, now: datetime) -> None:
    session = uow.session
    identity = session.scalars(
        select(ChannelIdentity).where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    ).first()
    if identity is None:
        session.add(ChannelIdentity(customer_id=customer_id, channel=channel, external_id=external_id, created_at=now))
    else:
        placeholder, identity.customer_id = identity.customer_id, customer_id
        if placeholder != customer_id:
            # What the chat did before it proved who it is (tickets, returns, leads) moves too.
            from crm_store.services.customers import adopt_placeholder

            session.flush()
            adopt_placeholder(uow, placeholder, customer_id)
    for conversation in session.scalars(
        select(Conversation).where(
            Conversation.sender_id == external_id, or_(Conversation.channel == channel, Conversation.channel.is_(None))
        )
    ):
        conversation.customer_id = customer_id
