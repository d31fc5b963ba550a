"""Codes over the whole system: "delete my data", and cancelling on a chat linked long ago."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from crm_store.models import ChannelIdentity, Customer, LinkCode, Order, Ticket
from tests.e2e.test_order_status import customer_with_order, demo_code, texts
from tests.support.events import unique_sender
from bot.local_stack import Stack, eventually

pytestmark = pytest.mark.e2e


def with_email(stack: Stack, sender: str) -> str:
    email = f"{sender}@example.com"
    with stack.engine.begin() as conn:
        conn.execute(
            update(Customer)
            .where(
                Customer.id
                == select(ChannelIdentity.customer_id).where(ChannelIdentity.external_id == sender).scalar_subquery()
            )
            .values(email=email)
        )
    return email


def test_delete_my_data_is_confirmed_by_code_and_becomes_a_ticket(stack: Stack):
    sender, _ = customer_with_order(stack)
    email = with_email(stack, sender)

    asked = texts(stack.say(sender, "please delete my personal data"))
    code = eventually(lambda: demo_code(stack, email))
    confirmed = texts(stack.say(sender, code))

    assert "6-digit code" in asked
    assert "within 30 days" in confirmed and "T-" in confirmed
    with stack.engine.connect() as conn:
        subjects = (
            conn.execute(
                select(Ticket.subject)
                .join(ChannelIdentity, ChannelIdentity.customer_id == Ticket.customer_id)
                .where(ChannelIdentity.external_id == sender)
            )
            .scalars()
            .all()
        )
    assert subjects == ["Delete my personal data (GDPR request, verified by code)"]


def test_cancel_on_a_chat_linked_long_ago_asks_for_a_fresh_code(stack: Stack):
    owner, number = customer_with_order(stack, status="paid")
    email = with_email(stack, owner)
    visitor = unique_sender("linked")
    stack.say(visitor, f"where is my order {number}")
    stack.say(visitor, email)
    linked = texts(stack.say(visitor, eventually(lambda: demo_code(stack, email))))
    with stack.engine.begin() as conn:  # the link was made an hour ago
        conn.execute(
            update(LinkCode)
            .where(LinkCode.external_id == visitor)
            .values(used_at=datetime.utcnow() - timedelta(hours=1))
        )

    first = texts(stack.say(visitor, f"please cancel my order {number}"))
    asked = texts(stack.say(visitor, "yes"))

    assert "now linked" in linked and f"Order {number} (" in first and "can still be cancelled" in first
    assert "sent a 6-digit code" in asked and "cancelled" not in asked
    with stack.engine.connect() as conn:
        assert conn.execute(select(Order.status).where(Order.number == number)).scalar() == "paid"
