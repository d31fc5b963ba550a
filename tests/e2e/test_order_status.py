"""Channel -> Rasa -> action -> CRM store, through the REST channel of a running `crmbot run`."""

from __future__ import annotations

import re

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.models import ChannelIdentity, Customer, Order
from tests.support.events import unique_sender
from tests.support.queries import messages_of
from bot.local_stack import Stack, eventually

pytestmark = pytest.mark.e2e


def customer_with_order(
    stack: Stack, status: str = "shipped", channel: str = "rest", sender: str | None = None
) -> tuple[str, str]:
    """A new customer known on `channel`, owning one order; returns (sender, order number)."""
    sender = sender or unique_sender("e2e")
    number = f"A-{random.randint(20000, 99999)}"
    placed = datetime.utcnow() - timedelta(days=4)
    uow = UnitOfWork(stack.engine)
    with uow:
        customer = uow.customers.add(Customer(name="Test Person", created_at=placed))
        uow.identities.add(
            ChannelIdentity(customer_id=customer.id, channel=channel, external_id=sender, created_at=placed)
        )
        order = uow.orders.add(
            Order(
                number=number,
                customer_id=customer.id,
                status="pending",
                stage_entered_at=placed,
                placed_at=placed,
                total=Decimal("49.90"),
            )
        )
        for step, stage in enumerate(["paid", "packed", "shipped"][: ["paid", "packed", "shipped"].index(status) + 1]):
            stages.move(uow.session, "order", order, stage, placed + timedelta(days=step + 1))
        uow.commit()
    return sender, number


def texts(replies: list[dict]) -> str:
    return " ".join(r.get("text", "") for r in replies)


def test_where_is_my_order_answers_from_the_crm_and_logs_the_conversation(stack: Stack):
    sender, number = customer_with_order(stack)

    replies = stack.say(sender, f"where is my order {number}?")

    answer = texts(replies)
    shipped_on = datetime.utcnow() - timedelta(days=1)
    assert f"Order {number} (" in answer and ") is shipped" in answer, stack.log()  # "(items; total)" between
    assert f"{shipped_on.day} {shipped_on:%b %Y}" in answer
    rows = eventually(
        lambda: (
            [r for r in messages_of(stack.engine, sender) if r["direction"] == "out"]
            and messages_of(stack.engine, sender)
        )
    )
    user = [r for r in rows if r["direction"] == "in"]
    bot = [r for r in rows if r["direction"] == "out"]
    assert user[0]["text"] == f"where is my order {number}?"
    assert user[0]["intent"] == "order_status" and 0.4 < user[0]["confidence"] <= 1.0
    assert any(b["action"] == "action_check_order" and number in b["text"] for b in bot)
    assert {r["channel"] for r in rows} == {"rest"}


def test_order_number_is_asked_for_when_missing(stack: Stack):
    sender, number = customer_with_order(stack, status="paid")
    other = f"A-{random.randint(20000, 99999)}"
    with UnitOfWork(stack.engine) as uow:  # a second order on its way: "my order" could be either
        mine = uow.orders.one_by(number=number)
        uow.orders.add(
            Order(
                number=other,
                customer_id=mine.customer_id,
                status="paid",
                stage_entered_at=mine.placed_at,
                placed_at=mine.placed_at - timedelta(days=1),
                total=Decimal("19.90"),
            )
        )
        uow.commit()

    first = stack.say(sender, "can you check the status of my order please")
    second = stack.say(sender, number)

    assert "A-10423" in texts(first)  # the prompt shows the format
    buttons = [b["payload"] for r in first for b in r.get("buttons") or []]
    assert any(number in b for b in buttons) and any(other in b for b in buttons), first  # both offered
    assert f"Order {number} (" in texts(second) and ") is paid" in texts(second)


def test_the_only_order_is_taken_without_asking_and_named(stack: Stack):
    sender, number = customer_with_order(stack, status="paid")

    reply = texts(stack.say(sender, "can you check the status of my order please"))

    assert f"I've taken order {number}" in reply and f"Order {number} (" in reply and ") is paid" in reply


def test_unknown_or_foreign_order_gets_a_helpful_answer(stack: Stack):
    sender, _ = customer_with_order(stack)
    _, someone_elses = customer_with_order(stack)

    unknown = texts(stack.say(sender, "where is my order A-00001?"))
    foreign = texts(stack.say(sender, f"where is order {someone_elses}"))

    # One reply whether or not the order exists: a stranger learns nothing about which numbers do.
    assert unknown.replace("A-00001", "X") == foreign.replace(someone_elses, "X")
    assert "send me the email address" in foreign and "one-time code" in foreign
    assert "shipped" not in foreign


def test_first_contact_creates_a_customer_identity(stack: Stack):
    sender = unique_sender("new")

    replies = stack.say(sender, "hello")

    assert texts(replies)
    with stack.engine.connect() as conn:
        identity = eventually(
            lambda: conn.execute(
                select(ChannelIdentity.customer_id).where(
                    ChannelIdentity.channel == "rest", ChannelIdentity.external_id == sender
                )
            ).first()
        )
    assert identity is not None
    greeting = eventually(lambda: [r for r in messages_of(stack.engine, sender) if r["direction"] == "in"])
    assert greeting[0]["intent"] == "greet"


def test_a_new_chat_proves_an_order_with_a_code_sent_to_its_email_and_gets_linked(stack: Stack):
    owner_sender, number = customer_with_order(stack)
    email = f"{owner_sender}@example.com"
    with stack.engine.begin() as conn:
        conn.execute(
            Customer.__table__.update()
            .where(
                Customer.id
                == select(ChannelIdentity.customer_id)
                .where(ChannelIdentity.external_id == owner_sender)
                .scalar_subquery()
            )
            .values(email=email)
        )
    visitor = unique_sender("visitor")

    asked = texts(stack.say(visitor, f"where is my order {number}"))
    wrong_email = texts(stack.say(visitor, "my email is someone.else@example.com"))
    right_email = texts(stack.say(visitor, f"it's {owner_sender.upper()}@example.com"))
    code = eventually(lambda: demo_code(stack, email))
    wrong_code = texts(stack.say(visitor, f"the code is {(int(code) + 1) % 10**6:06d}"))
    right_code = texts(stack.say(visitor, code))

    assert "can't show order" in asked and "shipped" not in asked
    # The same answer for a wrong and a right email: the email is not a password any more.
    assert wrong_email == right_email and "6-digit code" in right_email and "shipped" not in right_email
    assert "isn't right" in wrong_code and "shipped" not in wrong_code
    assert (
        "now linked to your account" in right_code
        and f"Order {number} (" in right_code
        and ") is shipped" in right_code
    )
    with stack.engine.connect() as conn:
        linked = (
            conn.execute(
                select(ChannelIdentity.customer_id).where(ChannelIdentity.external_id.in_([owner_sender, visitor]))
            )
            .scalars()
            .all()
        )
    assert len(linked) == 2 and len(set(linked)) == 1


def test_a_wrong_email_never_links_however_often_it_is_tried(stack: Stack):
    _, number = customer_with_order(stack)
    visitor = unique_sender("guesser")
    stack.say(visitor, f"where is my order {number}")

    replies = [texts(stack.say(visitor, f"guess{i}@example.com")) for i in range(6)]
    codes = [texts(stack.say(visitor, f"{i:06d}")) for i in range(3)]

    assert "too many codes" in replies[-1]
    assert not [r for r in replies + codes if "linked to your account" in r or "shipped" in r]


def demo_code(stack: Stack, email: str) -> str | None:
    """The last one-time code `crmbot run` printed for `email` (LINK_CODE_DELIVERY=console)."""
    masked = f"{email[0]}***@{email.split('@')[1]}"
    found = re.findall(r"one-time code (\d{6}) for " + re.escape(masked), stack.log_path.read_text(errors="replace"))
    return found[-1] if found else None
