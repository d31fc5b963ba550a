"""The CRM half of the conversation judge on a real database: what a conversation starts from,
and records or order changes nobody asked for."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.engine import Engine

from bot.conversation_crm import allowed_after, arrange, check_crm, unasked_writes
from crm_store.db import UnitOfWork
from crm_store.seed import seed
from crm_store.services import orders, tickets

GIVEN = {
    "orders": [{"status": "paid", "items": ["yoga mat"]}, {"status": "shipped", "items": ["cotton t-shirt"]}],
    "tickets": [{"subject": "Parcel arrived damaged"}],
}


def _setup(engine: Engine):  # type: ignore[no-untyped-def]
    seed(UnitOfWork(engine), size=0)
    given = arrange(engine, GIVEN, "rest", "conv-test", seed="same")
    return given


def test_a_ticket_nobody_stated_is_an_unasked_write_once_stated_it_is_not(engine: Engine):
    given = _setup(engine)
    allowed = dict(given.counts)
    assert allowed["ticket"] == 1
    assert unasked_writes(engine, given, "rest", "conv-test", allowed, set()) == []

    tickets.open_ticket(
        UnitOfWork(engine), given.customer_id, "the customer only said they would wait", datetime.utcnow()
    )
    problems = unasked_writes(engine, given, "rest", "conv-test", allowed, set())
    assert len(problems) == 1 and problems[0][0].startswith("unasked write: 2 ticket record(s)")
    assert problems[0][1] == ("ticket", 2)

    stated = allowed_after({"ticket": {"count": 2}}, allowed, given.counts)
    assert unasked_writes(engine, given, "rest", "conv-test", stated, set()) == []
    either = allowed_after({"ticket": {"count": [1, 2]}}, allowed, given.counts)
    assert either["ticket"] == 2
    assert check_crm(engine, {"ticket": {"count": [1, 2]}}, given, "rest", "conv-test") == []
    assert check_crm(engine, {"ticket": {"count": [0, 1]}}, given, "rest", "conv-test") == [
        "2 ticket record(s), expected [0, 1]"
    ]


def test_an_order_change_nobody_checked_is_an_unasked_write(engine: Engine):
    given = _setup(engine)
    orders.cancel(UnitOfWork(engine), given.values["order1"], given.customer_id, datetime.utcnow())
    problems = [p for p, _ in unasked_writes(engine, given, "rest", "conv-test", dict(given.counts), set())]
    assert problems == ["unasked write: order1 changed to cancelled, 'Torstrasse 1, 10119 Berlin'"]
    assert unasked_writes(engine, given, "rest", "conv-test", dict(given.counts), {"order1"}) == []
    assert (
        check_crm(
            engine, {"order1": {"status": "cancelled"}, "order2": {"unchanged": True}}, given, "rest", "conv-test"
        )
        == []
    )


def test_field_checks_are_whole_words(engine: Engine):
    given = _setup(engine)
    tickets.open_ticket(
        UnitOfWork(engine),
        given.customer_id,
        "Order arrived late",
        datetime.utcnow(),
        order_number=given.values["order2"],
    )
    assert (
        check_crm(
            engine,
            {"ticket": {"subject_contains": "late", "order": given.values["order2"]}},
            given,
            "rest",
            "conv-test",
        )
        == []
    )
    assert check_crm(engine, {"ticket": {"subject_contains": "rive"}}, given, "rest", "conv-test") == [
        "ticket: subject='Order arrived late' lacks 'rive'"
    ]


def test_a_handoff_is_unasked_unless_the_customer_asked_or_the_fallback_rule_made_it(engine: Engine):
    from crm_store.models import Conversation, Handoff

    given = _setup(engine)
    now = datetime.utcnow()
    with UnitOfWork(engine) as uow:
        conversation = Conversation(
            sender_id="conv-test", channel="rest", customer_id=given.customer_id, started_at=now, last_event_at=now
        )
        uow.session.add(conversation)
        uow.session.flush()
        for trigger in ("request_human", "fallback"):
            uow.session.add(
                Handoff(conversation_id=conversation.id, status="queued", requested_at=now, trigger=trigger)
            )
        uow.commit()
    assert unasked_writes(engine, given, "rest", "conv-test", dict(given.counts), set()) == []

    with UnitOfWork(engine) as uow:
        uow.session.add(
            Handoff(
                conversation_id=conversation.id,
                status="queued",
                requested_at=now,
                trigger="complaint",
                reason="complaint in strong words",
            )
        )
        uow.commit()
    problems = unasked_writes(engine, given, "rest", "conv-test", dict(given.counts), set())
    assert [kind for _, kind in problems] == [("handoff", 1)]


def test_given_returns_and_a_ticket_on_an_order(engine: Engine):
    from sqlalchemy import select

    from crm_store.models import Order, Return, Ticket

    seed(UnitOfWork(engine), size=0)
    spec = {
        "orders": [{"status": "delivered", "items": ["yoga mat", "cotton t-shirt"]}, {"status": "returned"}],
        "tickets": [{"subject": "Parcel arrived damaged", "order": 2, "status": "in_progress"}],
        "returns": [
            {"order": 1, "item": "cotton t-shirt", "status": "refunded", "reason": "too small"},
            {"order": 2, "status": "received", "kind": "exchange"},
        ],
    }
    given = arrange(engine, spec, "rest", "conv-returns", seed="returns")
    assert given.counts["return"] == 2 and given.counts["ticket"] == 1
    with engine.connect() as conn:
        rows = conn.execute(
            select(Return.number, Return.item, Return.status, Return.kind, Return.refund_amount, Order.number)
            .join(Order, Return.order_id == Order.id)
            .order_by(Return.id)
        ).all()
        ticket_order = conn.scalar(select(Order.number).join(Ticket, Ticket.order_id == Order.id))
    assert [r[0] for r in rows] == [given.values["return1"], given.values["return2"]]
    assert [(r[1], r[2], r[3], r[5]) for r in rows] == [
        ("cotton t-shirt", "refunded", "return", given.values["order1"]),
        ("yoga mat", "received", "exchange", given.values["order2"]),
    ]
    assert Decimal(str(rows[0][4])).quantize(Decimal("0.01")) == Decimal("19.90")
    assert ticket_order == given.values["order2"]
    assert (
        check_crm(
            engine,
            {"return": {"count": 2, "status": "received", "order": given.values["order2"]}},
            given,
            "rest",
            "conv-returns",
        )
        == []
    )
