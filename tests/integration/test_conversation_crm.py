"""The CRM half of the conversation judge on a real database: what a conversation starts from,
and records or order changes nobody asked for."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from bot.conversation_crm import allowed_after, arrange, check_crm, unasked_writes
from crm_store.db import UnitOfWork
from crm_store.seed import seed
from crm_store.services import orders, tickets

GIVEN = {"orders": [{"status": "paid", "items": ["yoga mat"]}, {"status": "shipped", "items": ["cotton t-shirt"]}],
         "tickets": [{"subject": "Parcel arrived damaged"}]}


def _setup(engine: Engine):  # type: ignore[no-untyped-def]
    seed(UnitOfWork(engine), size=0)
    given = arrange(engine, GIVEN, "rest", "conv-test", seed="same")
    return given


def test_a_ticket_nobody_stated_is_an_unasked_write_once_stated_it_is_not(engine: Engine):
    given = _setup(engine)
    allowed = dict(given.counts)
    assert allowed["ticket"] == 1
    assert unasked_writes(engine, given, "rest", "conv-test", allowed, set()) == []

    tickets.open_ticket(UnitOfWork(engine), given.customer_id, "the customer only said they would wait", datetime.utcnow())
    problems = unasked_writes(engine, given, "rest", "conv-test", allowed, set())
    assert len(problems) == 1 and problems[0][0].startswith("unasked write: 2 ticket record(s)")
    assert problems[0][1] == ("ticket", 2)

    stated = allowed_after({"ticket": {"count": 2}}, allowed, given.counts)
    assert unasked_writes(engine, given, "rest", "conv-test", stated, set()) == []
    either = allowed_after({"ticket": {"count": [1, 2]}}, allowed, given.counts)
    assert either["ticket"] == 2
    assert check_crm(engine, {"ticket": {"count": [1, 2]}}, given, "rest", "conv-test") == []
    assert check_crm(engine, {"ticket": {"count": [0, 1]}}, given, "rest", "conv-test") == [
        "2 ticket record(s), expected [0, 1]"]


def test_an_order_change_nobody_checked_is_an_unasked_write(engine: Engine):
    given = _setup(engine)
    orders.cancel(UnitOfWork(engine), given.values["order1"], given.customer_id, datetime.utcnow())
    problems = [p for p, _ in unasked_writes(engine, given, "rest", "conv-test", dict(given.counts), set())]
    assert problems == ["unasked write: order1 changed to cancelled, 'Torstrasse 1, 10119 Berlin'"]
    assert unasked_writes(engine, given, "rest", "conv-test", dict(given.counts), {"order1"}) == []
    assert check_crm(engine, {"order1": {"status": "cancelled"}, "order2": {"unchanged": True}}, given, "rest", "conv-test") == []


def test_field_checks_are_whole_words(engine: Engine):
    given = _setup(engine)
    tickets.open_ticket(UnitOfWork(engine), given.customer_id, "Order arrived late", datetime.utcnow(),
                        order_number=given.values["order2"])
    assert check_crm(engine, {"ticket": {"subject_contains": "late", "order": given.values["order2"]}}, given, "rest",
                     "conv-test") == []
    assert check_crm(engine, {"ticket": {"subject_contains": "rive"}}, given, "rest", "conv-test") == [
        "ticket: subject='Order arrived late' lacks 'rive'"]


def test_a_handoff_is_unasked_unless_the_customer_asked_or_the_fallback_rule_made_it(engine: Engine):
    from crm_store.models import Conversation, Handoff

    given = _setup(engine)
    now = datetime.utcnow()
    with UnitOfWork(engine) as uow:
        conversation = Conversation(sender_id="conv-test", channel="rest", customer_id=given.customer_id, started_at=now,
                                    last_event_at=now)
        uow.session.add(conversation)
        uow.session.flush()
        for trigger in ("request_human", "fallback"):
            uow.session.add(Handoff(conversation_id=conversation.id, status="queued", requested_at=now, trigger=trigger))
        uow.commit()
    assert unasked_writes(engine, given, "rest", "conv-test", dict(given.counts), set()) == []

    with UnitOfWork(engine) as uow:
        uow.session.add(Handoff(conversation_id=conversation.id, status="queued", requested_at=now, trigger="complaint",
                                reason="complaint in strong words"))
        uow.commit()
    problems = unasked_writes(engine, given, "rest", "conv-test", dict(given.counts), set())
    assert [kind for _, kind in problems] == [("handoff", 1)]
