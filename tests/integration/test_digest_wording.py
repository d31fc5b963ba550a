"""What the digest says in words a manager reads: handoff reasons in the customer's words."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from analytics.digest import build_digest, last_complete, render_html, render_text
from crm_store.models import Conversation, Customer, Handoff, Message

NOW = datetime(2026, 11, 18, 7, 30)
DAY = last_complete("day", NOW)
# What actions/common.py stores: the trigger, the order, the intents asked and the actions tried.
STORED = "asked for a person; order A-10423; asked: complaint; tried: create return, verify code, deactivate loop"


def _chat(s, customer: Customer, at: datetime, said: list[str], reason: str | None, after: list[str] = ()) -> None:  # type: ignore[no-untyped-def]
    conv = Conversation(
        sender_id=uuid.uuid4().hex[:12],
        channel="webchat",
        customer_id=customer.id,
        started_at=at,
        last_event_at=at,
        paused=False,
        status="open",
    )
    s.add(conv)
    s.flush()
    for text in said:
        at += timedelta(seconds=30)
        s.add(Message(conversation_id=conv.id, event_key=uuid.uuid4().hex * 2, direction="in", text=text, sent_at=at))
    s.add(Handoff(conversation_id=conv.id, reason=reason, status="resolved", requested_at=at + timedelta(seconds=5)))
    for text in after:  # said to the agent, not why the customer came
        at += timedelta(minutes=5)
        s.add(Message(conversation_id=conv.id, event_key=uuid.uuid4().hex * 2, direction="in", text=text, sent_at=at))


def test_handoff_reasons_are_the_customers_words_not_action_names(uow_factory):
    uow = uow_factory()
    with uow:
        s = uow.session
        customer = Customer(
            name="Planted Customer",
            email=f"{uuid.uuid4().hex[:8]}@example.com",
            created_at=DAY.start - timedelta(days=9),
        )
        s.add(customer)
        s.flush()
        for hour in (9, 14):
            _chat(
                s,
                customer,
                DAY.start + timedelta(hours=hour),
                ["hi", "my parcel arrived damaged, order A-10423", "I want to talk to a person"],
                STORED,
                after=["thanks, the new one is on its way then"],
            )
        _chat(
            s,
            customer,
            DAY.start + timedelta(hours=16),
            ["the discount code does not work at checkout"],
            "fallback; tried: apply voucher",
        )
        _chat(s, customer, DAY.start - timedelta(hours=3), ["I was charged twice"], "complaint")  # the day before
        uow.commit()

    digest = build_digest(uow_factory(), DAY, NOW)

    assert digest.handoff_reasons == [
        ("parcel arrived damaged (order A-10423); asked for a person", 2),
        ("the discount code does not work at checkout; fallback", 1),
    ]
    for page in (render_html(digest), render_text(digest)):
        assert "parcel arrived damaged (order A-10423); asked for a person" in page
        assert "tried:" not in page and "create return" not in page and "apply voucher" not in page
