"""One-time codes for account linking, re-confirmation and erasure, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_store.errors import VerificationFailed
from crm_store.models import AuditEntry, ChannelIdentity, Conversation, Customer, LinkCode, Order
from crm_store.services import linking
from crm_store.services.customers import resolve_identity

NOW = datetime(2026, 3, 2, 10, 0, 0)


@pytest.fixture
def owner(uow_factory):  # type: ignore[no-untyped-def]
    """(customer id, order number, email) of a customer with one order."""
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    number = f"A-{uuid.uuid4().int % 90000 + 10000}"
    uow = uow_factory()
    with uow:
        customer = uow.customers.add(Customer(name="Owner", email=email, created_at=NOW - timedelta(days=30)))
        uow.orders.add(
            Order(
                number=number,
                customer_id=customer.id,
                status="paid",
                stage_entered_at=NOW,
                placed_at=NOW,
                total=Decimal("10.00"),
            )
        )
        uow.commit()
        return customer.id, number, email


def visitor(uow_factory) -> str:  # type: ignore[no-untyped-def]
    """A web chat that has written before: its own placeholder customer and a conversation."""
    sender = uuid.uuid4().hex
    uow = uow_factory()
    with uow:
        identity = resolve_identity(uow, "webchat", sender, NOW)
        uow.session.add(
            Conversation(
                sender_id=sender, channel="webchat", customer_id=identity.customer_id, started_at=NOW, last_event_at=NOW
            )
        )
        uow.commit()
    return sender


def ask(uow_factory, sender: str, number: str, email: str, now: datetime = NOW, limit: int = 5):  # type: ignore[no-untyped-def]
    return linking.request_code(uow_factory(), "webchat", sender, now, limit, order_number=number, email=email)


def test_the_right_order_and_email_get_a_code_stored_only_as_a_hash(uow_factory, owner):
    customer_id, number, email = owner
    sender = visitor(uow_factory)

    sent = ask(uow_factory, sender, number, email.upper())

    assert sent is not None and sent.email == email and sent.customer_id == customer_id
    assert len(sent.code) == 6 and sent.code.isdigit()
    uow = uow_factory()
    with uow:
        [row] = uow.session.scalars(select(LinkCode).where(LinkCode.external_id == sender)).all()
        assert row.code_hash and sent.code not in row.code_hash and row.code_hash.startswith("$argon2")
        assert row.expires_at == NOW + timedelta(minutes=10)


@pytest.mark.parametrize("number_kind, email_kind", [("right", "wrong"), ("missing", "right"), ("missing", "wrong")])
def test_a_wrong_order_or_email_gets_no_code_but_the_request_is_counted(uow_factory, owner, number_kind, email_kind):
    _, number, email = owner
    sender = visitor(uow_factory)

    sent = ask(
        uow_factory,
        sender,
        number if number_kind == "right" else "A-00001",
        email if email_kind == "right" else "someone@example.com",
    )

    assert sent is None
    uow = uow_factory()
    with uow:
        [row] = uow.session.scalars(select(LinkCode).where(LinkCode.external_id == sender)).all()
        assert row.customer_id is None and row.code_hash is None
    with pytest.raises(VerificationFailed):
        linking.verify_code(uow_factory(), "webchat", sender, "123456", NOW)


def test_the_right_code_links_the_chat_and_its_conversations(uow_factory, owner):
    customer_id, number, email = owner
    sender = visitor(uow_factory)
    sent = ask(uow_factory, sender, number, email)

    purpose, linked = linking.verify_code(uow_factory(), "webchat", sender, sent.code, NOW + timedelta(minutes=2))

    assert (purpose, linked) == ("link", customer_id)
    uow = uow_factory()
    with uow:
        identity = uow.session.scalars(select(ChannelIdentity).where(ChannelIdentity.external_id == sender)).one()
        conversation = uow.session.scalars(select(Conversation).where(Conversation.sender_id == sender)).one()
        audit = uow.session.scalars(select(AuditEntry).where(AuditEntry.subject_id == customer_id)).all()
        assert identity.customer_id == customer_id and conversation.customer_id == customer_id
        assert [a.action for a in audit] == ["code_link"]
    with pytest.raises(VerificationFailed):  # a code works once
        linking.verify_code(uow_factory(), "webchat", sender, sent.code, NOW + timedelta(minutes=3))


def test_five_wrong_tries_burn_the_code(uow_factory, owner):
    _, number, email = owner
    sender = visitor(uow_factory)
    sent = ask(uow_factory, sender, number, email)
    wrong = f"{(int(sent.code) + 1) % 10**6:06d}"

    for _ in range(5):
        with pytest.raises(VerificationFailed):
            linking.verify_code(uow_factory(), "webchat", sender, wrong, NOW)
    with pytest.raises(VerificationFailed):
        linking.verify_code(uow_factory(), "webchat", sender, sent.code, NOW)


def test_four_wrong_tries_still_leave_the_fifth(uow_factory, owner):
    customer_id, number, email = owner
    sender = visitor(uow_factory)
    sent = ask(uow_factory, sender, number, email)

    for _ in range(4):
        with pytest.raises(VerificationFailed):
            linking.verify_code(uow_factory(), "webchat", sender, "000000" if sent.code != "000000" else "111111", NOW)

    assert linking.verify_code(uow_factory(), "webchat", sender, sent.code, NOW)[1] == customer_id


def test_a_code_expires_after_ten_minutes(uow_factory, owner):
    _, number, email = owner
    sender = visitor(uow_factory)
    sent = ask(uow_factory, sender, number, email)

    with pytest.raises(VerificationFailed):
        linking.verify_code(uow_factory(), "webchat", sender, sent.code, NOW + timedelta(minutes=10, seconds=1))


def test_requests_are_limited_per_chat_whatever_the_email(uow_factory, owner):
    _, number, email = owner
    guesser, prober = visitor(uow_factory), visitor(uow_factory)
    for i in range(3):
        ask(uow_factory, guesser, number, "wrong@example.com", NOW + timedelta(minutes=i), limit=3)
        ask(uow_factory, prober, number, email, NOW + timedelta(minutes=i), limit=3)

    # The fourth request says the same whether the email was right or wrong.
    for sender, tried in (
        (guesser, email),
        (guesser, "wrong@example.com"),
        (prober, email),
        (prober, "wrong@example.com"),
    ):
        with pytest.raises(linking.TooManyRequests):
            ask(uow_factory, sender, number, tried, NOW + timedelta(minutes=5), limit=3)
    assert ask(uow_factory, guesser, number, email, NOW + timedelta(minutes=61), limit=3) is not None


def test_strangers_asking_for_the_owners_codes_cannot_lock_the_owner_out(uow_factory, owner):
    _, number, email = owner
    for stranger in [visitor(uow_factory) for _ in range(4)]:
        for i in range(3):
            ask(uow_factory, stranger, number, email, NOW + timedelta(minutes=i), limit=3)

    owners_chat = visitor(uow_factory)
    sent = ask(uow_factory, owners_chat, number, email, NOW + timedelta(minutes=5), limit=3)

    assert sent is not None and sent.email == email


def test_code_requests_are_counted_per_network_address():
    from rasa_sdk import Tracker

    from actions.account import CHATS_PER_ADDRESS, network_allows
    from crm_store.rate_limits import Limiter

    def chat(network: str | None) -> Tracker:
        metadata = {"network": network} if network else {}
        return Tracker(uuid.uuid4().hex, {}, {"text": "me@example.com", "metadata": metadata}, [], False, None, {}, "")

    limiter, office = Limiter(), uuid.uuid4().hex[:24]
    allowed = [network_allows(limiter, chat(office), 2) for _ in range(2 * CHATS_PER_ADDRESS + 1)]

    assert allowed == [True] * (2 * CHATS_PER_ADDRESS) + [False]
    assert network_allows(limiter, chat(uuid.uuid4().hex[:24]), 2)  # another address
    assert network_allows(limiter, chat(None), 2)  # Telegram: no address, the per-chat limit applies
    # CODES_PER_IP_PER_HOUR sets the address's own limit (a test suite's hundred customers share one address).
    lab = uuid.uuid4().hex[:24]
    assert [network_allows(limiter, chat(lab), 2, per_address=3) for _ in range(4)] == [True, True, True, False]


def test_only_the_newest_code_of_a_chat_works(uow_factory, owner):
    _, number, email = owner
    sender = visitor(uow_factory)
    first = ask(uow_factory, sender, number, email)
    second = ask(uow_factory, sender, number, email, NOW + timedelta(minutes=1))

    if first.code != second.code:
        with pytest.raises(VerificationFailed):
            linking.verify_code(uow_factory(), "webchat", sender, first.code, NOW + timedelta(minutes=2))
    assert linking.verify_code(uow_factory(), "webchat", sender, second.code, NOW + timedelta(minutes=2))[0] == "link"


def test_a_linked_chat_must_confirm_again_once_its_code_is_stale(uow_factory, owner):
    customer_id, number, email = owner
    sender = visitor(uow_factory)
    sent = ask(uow_factory, sender, number, email)
    linking.verify_code(uow_factory(), "webchat", sender, sent.code, NOW)

    assert linking.needs_fresh_code(uow_factory(), "webchat", sender, customer_id, NOW + timedelta(minutes=5)) is False
    assert linking.needs_fresh_code(uow_factory(), "webchat", sender, customer_id, NOW + timedelta(minutes=11)) is True
    assert linking.needs_fresh_code(uow_factory(), "webchat", uuid.uuid4().hex, customer_id, NOW) is False

    again = linking.request_code(
        uow_factory(), "webchat", sender, NOW + timedelta(minutes=12), 5, purpose="reauth", customer_id=customer_id
    )
    assert linking.verify_code(uow_factory(), "webchat", sender, again.code, NOW + timedelta(minutes=13)) == (
        "reauth",
        customer_id,
    )
    assert linking.needs_fresh_code(uow_factory(), "webchat", sender, customer_id, NOW + timedelta(minutes=14)) is False


def test_unlinking_gives_the_chat_a_customer_of_its_own(uow_factory, owner):
    customer_id, number, email = owner
    sender = visitor(uow_factory)
    sent = ask(uow_factory, sender, number, email)
    linking.verify_code(uow_factory(), "webchat", sender, sent.code, NOW)

    assert linking.unlink(uow_factory(), "webchat", sender, NOW) == customer_id

    uow = uow_factory()
    with uow:
        identity = uow.session.scalars(select(ChannelIdentity).where(ChannelIdentity.external_id == sender)).one()
        assert identity.customer_id != customer_id
