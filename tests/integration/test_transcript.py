"""CRM transcript defects: one conversation row per session, a clarified message
stored once, tickets of an unlinked chat moved to the customer it proves to be."""

from __future__ import annotations

import copy
import time
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from crm_store.ingestion.events import ingest
from crm_store.models import ChannelIdentity, Conversation, Customer, Order, Ticket
from crm_store.services import linking, tickets
from tests.support.events import bot_uttered, session_started, unique_sender, user_uttered
from tests.support.queries import messages_of


def test_a_ticket_in_the_first_turn_does_not_split_the_transcript(uow_factory, engine):  # type: ignore[no-untyped-def]
    sender, t = unique_sender(), time.time()
    person = _customer(uow_factory, sender)
    # The action server opens the ticket while the broker is still behind with this session's events.
    ticket = tickets.open_ticket(
        uow_factory(), person, "Parcel arrived damaged", datetime.utcfromtimestamp(t + 2), sender_id=sender
    )
    for event in [
        session_started(sender, t),
        user_uttered(sender, "my parcel arrived damaged", intent="complaint", ts=t + 1),
        bot_uttered(sender, f"I've opened ticket {ticket.number}", ts=t + 3),
    ]:
        ingest(uow_factory(), event)

    with engine.connect() as conn:
        conversations = conn.execute(select(Conversation.id).where(Conversation.sender_id == sender)).scalars().all()
        ticket_conversation = conn.execute(select(Ticket.conversation_id).where(Ticket.id == ticket.id)).scalar_one()
    assert len(conversations) == 1
    assert ticket_conversation == conversations[0]
    assert [m["direction"] for m in messages_of(engine, sender)] == ["in", "out"]


def test_a_message_the_fallback_re_reads_is_stored_once_with_its_confirmed_intent(uow_factory, engine):  # type: ignore[no-untyped-def]
    sender, t = unique_sender(), time.time()
    clicked = user_uttered(sender, "/order_status", intent="order_status", ts=t + 1)
    clarification = copy.deepcopy(clicked)  # what action_two_stage_fallback re-sends: same message, new time
    clarification["timestamp"] = t + 2
    clarification["parse_data"]["intent"]["confidence"] = 1.0
    for event in [session_started(sender, t), clicked, clarification]:
        ingest(uow_factory(), event)

    assert [(m["direction"], m["text"]) for m in messages_of(engine, sender)] == [("in", "/order_status")]


def test_tickets_of_an_unlinked_chat_move_to_the_customer_it_proves_to_be(uow_factory, engine):  # type: ignore[no-untyped-def]
    sender, now = unique_sender(), datetime.utcnow()
    owner, number, email = _owner_with_order(uow_factory)
    ingest(uow_factory(), user_uttered(sender, "my parcel is damaged", intent="complaint", channel="webchat"))
    with engine.connect() as conn:
        placeholder = conn.execute(
            select(ChannelIdentity.customer_id).where(ChannelIdentity.external_id == sender)
        ).scalar_one()
    ticket = tickets.open_ticket(uow_factory(), placeholder, "Parcel arrived damaged", now, sender_id=sender)

    sent = linking.request_code(
        uow_factory(), "webchat", sender, now, limit_per_hour=5, order_number=number, email=email
    )
    linking.verify_code(uow_factory(), "webchat", sender, sent.code, now)

    with engine.connect() as conn:
        assert conn.execute(select(Ticket.customer_id).where(Ticket.id == ticket.id)).scalar_one() == owner


def _customer(uow_factory, sender: str) -> int:  # type: ignore[no-untyped-def]
    uow = uow_factory()
    with uow:
        person = uow.customers.add(Customer(name="Test Person", created_at=datetime.utcnow()))
        uow.identities.add(
            ChannelIdentity(customer_id=person.id, channel="rest", external_id=sender, created_at=datetime.utcnow())
        )
        uow.commit()
        return person.id


def _owner_with_order(uow_factory) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    import uuid

    uow = uow_factory()
    with uow:
        email = f"owner-{uuid.uuid4().hex[:6]}@example.com"
        person = uow.customers.add(Customer(name="Owner", email=email, created_at=datetime.utcnow()))
        number = f"A-{uuid.uuid4().int % 90000 + 10000}"
        uow.orders.add(
            Order(
                number=number,
                customer_id=person.id,
                status="paid",
                stage_entered_at=datetime.utcnow(),
                placed_at=datetime.utcnow() - timedelta(days=1),
                total=Decimal("10.00"),
            )
        )
        uow.commit()
    return person.id, number, email
