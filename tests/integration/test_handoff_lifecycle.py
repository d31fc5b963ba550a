"""The handoff lifecycle on SQLite and PostgreSQL: atomic claim, out-of-hours ticket, CSAT,
the measured expected wait."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from crm_store.business_hours import BusinessHours
from crm_store.models import Conversation, Customer, Handoff, Message, StageHistory, Ticket
from crm_store.services import console_users, handoff_queue, handoffs

NOW = datetime(2026, 12, 1, 10, 0)  # a Tuesday
WEEKDAYS = BusinessHours.parse("mon-fri 09:00-18:00", "Europe/Berlin", "2026-12-25")


def a_chat(uow_factory, texts=("my parcel never came", "I want a person")) -> str:
    """A web chat conversation of a named customer with a few messages, as ingestion stores them."""
    sender = f"w-{uuid.uuid4().hex[:10]}"
    uow = uow_factory()
    with uow:
        customer = uow.customers.add(Customer(name="Grace Hopper", created_at=NOW))
        conv = uow.conversations.add(
            Conversation(
                sender_id=sender,
                channel="webchat",
                customer_id=customer.id,
                opened_by_event=uuid.uuid4().hex,
                started_at=NOW - timedelta(minutes=5),
                last_event_at=NOW,
            )
        )
        for i, text in enumerate(texts):
            uow.messages.add(
                Message(
                    conversation_id=conv.id,
                    event_key=uuid.uuid4().hex,
                    direction="in",
                    text=text,
                    sent_at=NOW - timedelta(minutes=4 - i),
                )
            )
        uow.commit()
    return sender


def test_two_agents_claim_at_once_and_exactly_one_wins(uow_factory):
    handoff = handoffs.request_handoff(uow_factory(), a_chat(uow_factory), "asked for a person", NOW)
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def claim(agent: str) -> None:
        start.wait()
        try:
            results[agent] = handoffs.claim_handoff(uow_factory(), handoff.id, agent, NOW + timedelta(minutes=1))
        except handoffs.AlreadyClaimed as exc:
            results[agent] = exc

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("ana", "ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    winners = [a for a, r in results.items() if isinstance(r, handoffs.HandoffView)]
    losers = [r for r in results.values() if isinstance(r, handoffs.AlreadyClaimed)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].agent == winners[0] and winners[0] in str(losers[0])
    row = handoffs.get_handoff(uow_factory(), handoff.id)
    assert (row.status, row.agent) == ("claimed", winners[0])
    uow = uow_factory()
    with uow:
        stages = uow.session.scalars(
            select(StageHistory.stage).where(StageHistory.process == "handoff", StageHistory.process_id == handoff.id)
        ).all()
    assert stages == ["queued", "claimed"]


def test_only_the_claiming_agent_or_a_manager_resolves(uow_factory):
    handoff = handoffs.request_handoff(uow_factory(), a_chat(uow_factory), "asked for a person", NOW)
    handoffs.claim_handoff(uow_factory(), handoff.id, "ana", NOW)

    with pytest.raises(handoffs.NotYours):
        handoffs.resolve_handoff(uow_factory(), handoff.id, "ben", NOW)
    moved = handoffs.transfer_handoff(uow_factory(), handoff.id, "max", "ben", NOW, manager=True)
    done = handoffs.resolve_handoff(uow_factory(), handoff.id, "ben", NOW + timedelta(minutes=3))

    assert moved.agent == "ben" and (done.status, done.closed_at) == ("resolved", NOW + timedelta(minutes=3))


def test_out_of_hours_request_becomes_one_ticket_with_the_transcript(uow_factory):
    sender = a_chat(uow_factory)
    saturday = datetime(2026, 12, 5, 12, 0)

    first = handoffs.request_handoff(uow_factory(), sender, "asked for a person", saturday, calendar=WEEKDAYS)
    again = handoffs.request_handoff(
        uow_factory(), sender, "asked for a person", saturday + timedelta(minutes=2), calendar=WEEKDAYS
    )

    assert (first.status, first.repeated, again.id, again.repeated) == ("ticket", False, first.id, True)
    assert first.returned_at == saturday  # never paused: the assistant carries on
    uow = uow_factory()
    with uow:
        ticket = uow.session.get(Ticket, first.ticket_id)
        assert (
            "customer: my parcel never came" in ticket.description and "customer: I want a person" in ticket.description
        )
        assert ticket.conversation_id == first.conversation_id
        assert uow.session.scalar(select(Customer.name).where(Customer.id == ticket.customer_id)) == "Grace Hopper"
        assert (
            len(uow.session.scalars(select(Ticket).where(Ticket.conversation_id == first.conversation_id)).all()) == 1
        )


def test_calendar_holidays_and_time_zone():
    assert WEEKDAYS.is_open(datetime(2026, 12, 1, 8, 30))  # 09:30 in Berlin
    assert not WEEKDAYS.is_open(datetime(2026, 12, 1, 17, 30))  # 18:30 in Berlin
    assert not WEEKDAYS.is_open(datetime(2026, 12, 25, 10, 0))  # a holiday, a Friday
    assert not WEEKDAYS.is_open(datetime(2026, 12, 6, 10, 0))  # Sunday


def test_csat_is_stored_on_the_resolved_handoff(uow_factory):
    sender = a_chat(uow_factory)
    handoff = handoffs.request_handoff(uow_factory(), sender, "asked for a person", NOW)
    assert handoffs.record_csat(uow_factory(), sender, 4, NOW) is None  # nothing resolved yet
    handoffs.claim_handoff(uow_factory(), handoff.id, "ana", NOW)
    handoffs.resolve_handoff(uow_factory(), handoff.id, "ana", NOW + timedelta(minutes=5))

    rated = handoffs.record_csat(uow_factory(), sender, 4, NOW + timedelta(minutes=6))

    assert rated == handoff.id
    assert handoffs.get_handoff(uow_factory(), handoff.id).csat == 4
    assert handoffs.record_csat(uow_factory(), sender, 2, NOW + timedelta(minutes=7)) is None  # rated once


def test_expected_wait_comes_from_the_queue_and_recent_first_responses(uow_factory):
    uow = uow_factory()
    with uow:  # an earlier queue than this test's: keep it out of the way
        for row in uow.session.scalars(select(Handoff).where(Handoff.status == "queued")):
            row.status = "cancelled"
        uow.commit()
    console_users.add_user(uow_factory(), f"ana-{uuid.uuid4().hex[:6]}", "agent", "secret-password", NOW)
    user = console_users.list_users(uow_factory())[-1]
    console_users.touch(uow_factory(), user.id, NOW)
    # Two earlier handoffs answered after 4 and 8 minutes: median 6.
    for minutes in (4, 8):
        old = handoffs.request_handoff(uow_factory(), a_chat(uow_factory), "asked", NOW - timedelta(hours=1))
        handoffs.claim_handoff(uow_factory(), old.id, "ana", NOW - timedelta(hours=1) + timedelta(minutes=minutes))
        handoffs.resolve_handoff(uow_factory(), old.id, "ana", NOW - timedelta(minutes=30))
    first = handoffs.request_handoff(uow_factory(), a_chat(uow_factory), "asked", NOW)
    second = handoffs.request_handoff(uow_factory(), a_chat(uow_factory), "asked", NOW + timedelta(seconds=5))

    wait = handoff_queue.expected_wait(uow_factory(), second.id, NOW + timedelta(seconds=10))

    assert (wait.position, wait.agents_online, wait.minutes) == (2, 1, 12)
    text = handoff_queue.describe_wait(wait, 5)
    assert "number 2" in text and "about 6 minutes" in text and "about 12 minutes" in text
    handoffs.escalate_handoff(uow_factory(), second.id, NOW + timedelta(minutes=11))
    assert handoff_queue.queued_order(uow_factory())[:2] == [second.id, first.id]


def test_a_handoff_in_a_sessions_first_turn_keeps_the_transcript_whole(uow_factory):
    """Rasa publishes a turn's events when the turn ends, after the handoff action ran."""
    from crm_store.ingestion.events import ingest
    from crm_store.models import utc_from_timestamp
    from tests.support.events import bot_uttered, session_started, unique_sender, user_uttered

    sender, t0 = unique_sender("w"), 1_780_000_000.0
    for event in (session_started(sender, t0), user_uttered(sender, "hi", "greet", channel="webchat", ts=t0 + 1)):
        ingest(uow_factory(), event)  # an earlier session of the same customer
    t1 = t0 + 7200

    handoff = handoffs.request_handoff(
        uow_factory(),
        sender,
        "asked for a person",
        utc_from_timestamp(t1 + 2),
        session_started_at=utc_from_timestamp(t1),
    )
    new_session = session_started(sender, t1)
    for event in (
        new_session,
        user_uttered(sender, "I want a person", "request_human", channel="webchat", ts=t1 + 1),
        bot_uttered(sender, "I'm handing you over", ts=t1 + 2),
        new_session,
    ):  # the last one: a replay
        ingest(uow_factory(), event)

    uow = uow_factory()
    with uow:
        conversations = uow.session.scalars(
            select(Conversation.id).where(Conversation.sender_id == sender).order_by(Conversation.started_at)
        ).all()
        assert len(conversations) == 2
        texts = uow.session.scalars(
            select(Message.text).where(Message.conversation_id == handoff.conversation_id).order_by(Message.id)
        ).all()
    assert handoff.conversation_id == conversations[1]
    assert texts == ["I want a person", "I'm handing you over"]
