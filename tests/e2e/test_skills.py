"""The assistant's skills end to end: REST channel -> Rasa -> actions -> CRM rows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.models import (
    ChannelIdentity,
    Conversation,
    Customer,
    Deal,
    Feedback,
    Handoff,
    Order,
    OrderItem,
    Product,
    Return,
    StageHistory,
    Ticket,
)
from tests.support.events import unique_sender
from bot.local_stack import Stack, eventually

pytestmark = pytest.mark.e2e


def texts(replies: list[dict]) -> str:
    return " ".join(r.get("text", "") for r in replies)


def customer(stack: Stack, status: str | None = None) -> tuple[str, int, str | None]:
    """A new REST customer, optionally owning one order (one yoga mat) in `status`."""
    sender = unique_sender("skill")
    placed = datetime.utcnow() - timedelta(days=6)
    uow = UnitOfWork(stack.engine)
    with uow:
        person = uow.customers.add(Customer(name="Test Person", created_at=placed))
        uow.identities.add(
            ChannelIdentity(customer_id=person.id, channel="rest", external_id=sender, created_at=placed)
        )
        number = None
        if status:
            number = f"A-{random.randint(20000, 99999)}"
            mat = uow.session.scalars(select(Product).where(Product.name == "yoga mat")).one()
            order = uow.orders.add(
                Order(
                    number=number,
                    customer_id=person.id,
                    status="pending",
                    stage_entered_at=placed,
                    placed_at=placed,
                    total=Decimal("29.90"),
                    shipping_address="Torstrasse 1, 10119 Berlin",
                )
            )
            uow.session.add(OrderItem(order_id=order.id, product_id=mat.id, quantity=1, unit_price=Decimal("29.90")))
            flow = ["paid", "packed", "shipped", "delivered"]
            for step, stage in enumerate(flow[: flow.index(status) + 1]):
                stages.move(uow.session, "order", order, stage, placed + timedelta(days=step + 1))
        uow.commit()
        return sender, person.id, number


def rows(stack: Stack, stmt):  # type: ignore[no-untyped-def]
    with stack.engine.connect() as conn:
        return conn.execute(stmt).all()


def test_cancel_asks_first_then_cancels_and_writes_history(stack: Stack):
    sender, _, number = customer(stack, "paid")

    ask = texts(stack.say(sender, f"please cancel my order {number}"))
    done = texts(stack.say(sender, "yes"))

    # Read back with what a cancellation takes back: the items and the amount.
    assert f"Order {number} (1 x yoga mat, 29.90 EUR) can still be cancelled" in ask, stack.log()
    assert f"order {number} (1 x yoga mat, 29.90 EUR) is cancelled" in done
    (status,) = rows(stack, select(Order.status).where(Order.number == number))[0]
    history = rows(
        stack,
        select(StageHistory.stage)
        .join(Order, Order.id == StageHistory.process_id)
        .where(StageHistory.process == "order", Order.number == number)
        .order_by(StageHistory.id),
    )
    assert status == "cancelled" and history[-1][0] == "cancelled"


def test_a_shipped_order_is_not_cancelled(stack: Stack):
    sender, _, number = customer(stack, "shipped")

    reply = texts(stack.say(sender, f"cancel order {number}"))

    assert f"Order {number} is already shipped" in reply
    assert rows(stack, select(Order.status).where(Order.number == number))[0][0] == "shipped"


def test_complaint_opens_a_high_priority_ticket_with_its_number(stack: Stack):
    sender, customer_id, _ = customer(stack)

    reply = texts(stack.say(sender, "I want to make a complaint, this is unacceptable, your service is terrible"))

    tickets = rows(stack, select(Ticket.id, Ticket.priority, Ticket.status).where(Ticket.customer_id == customer_id))
    assert len(tickets) == 1, reply
    ticket_id, priority, status = tickets[0]
    assert (priority, status) == ("high", "open")
    assert f"T-{ticket_id:05d}" in reply
    # Strong words: a person takes over at once, and the assistant stays silent.
    assert "handing you over to a person" in reply
    assert stack.say(sender, "what is the status of my ticket") == []
    handoffs = eventually(
        lambda: rows(
            stack,
            select(Handoff.status, Handoff.trigger)
            .join(Conversation, Conversation.id == Handoff.conversation_id)
            .where(Conversation.sender_id == sender),
        )
    )
    assert handoffs == [("queued", "complaint")]


def test_return_form_creates_a_return_with_a_number(stack: Stack):
    sender, customer_id, number = customer(stack, "delivered")

    # Their only delivered order is taken without asking (and named); its only item needs no question.
    why = texts(stack.say(sender, "I want to return an item"))
    again = texts(stack.say(sender, number))  # the number typed anyway is no reason
    check = texts(stack.say(sender, "it is the wrong size"))
    before = rows(stack, select(Return.id).where(Return.customer_id == customer_id))
    reply = texts(stack.say(sender, "yes"))

    assert f"I've taken order {number} (1 x yoga mat" in why and "Why are you returning it?" in why
    assert "Why are you returning it?" in again and "reason:" not in again
    assert f"return of the yoga mat from order {number}, reason: wrong size (it is the wrong size)" in check
    assert before == []
    returned = rows(
        stack, select(Return.number, Return.item, Return.reason, Return.status).where(Return.customer_id == customer_id)
    )
    assert len(returned) == 1, reply
    ret_number, item, reason, status = returned[0]
    assert (item, status) == ("yoga mat", "requested") and "wrong size" in reason
    assert ret_number in reply and ret_number.startswith("R-")


def test_stop_leaves_a_form_and_nothing_is_created(stack: Stack):
    sender, customer_id, number = customer(stack, "delivered")

    stack.say(sender, f"I want to return something from order {number}")
    stopped = texts(stack.say(sender, "never mind"))
    after = texts(stack.say(sender, "hello"))

    assert "stopped" in stopped
    assert "Hi" in after
    assert rows(stack, select(Return.id).where(Return.customer_id == customer_id)) == []


def test_lead_form_creates_a_deal_in_stage_new(stack: Stack):
    sender, _, _ = customer(stack)
    company = f"Rossi Supplies {random.randint(1000, 9999)}"

    stack.say(sender, "we are a company and would like to buy in bulk")
    stack.say(sender, "Maria Rossi")
    stack.say(sender, company)
    stack.say(sender, "maria@rossi.example")
    stack.say(sender, "+49 30 5550123")
    check = texts(stack.say(sender, "about 500 units a month"))
    reply = texts(stack.say(sender, "yes"))

    assert f"Maria Rossi from {company}, email maria@rossi.example" in check

    deals = rows(stack, select(Deal.id, Deal.stage, Deal.email, Deal.volume).where(Deal.company == company))
    assert len(deals) == 1, reply
    deal_id, stage, email, volume = deals[0]
    assert (stage, email, volume) == ("new", "maria@rossi.example", "about 500 units a month")
    assert f"D-{deal_id:05d}" in reply


def test_address_change_before_shipping(stack: Stack):
    sender, _, number = customer(stack, "paid")

    stack.say(sender, f"I need to change the delivery address of order {number}")
    check = texts(stack.say(sender, "ok the new address is Invalidenstrasse 12, 10115 Berlin"))
    before = rows(stack, select(Order.shipping_address).where(Order.number == number))[0][0]
    reply = texts(stack.say(sender, "yes"))

    assert f"change the delivery address of order {number} to Invalidenstrasse 12, 10115 Berlin" in check
    assert before == "Torstrasse 1, 10119 Berlin"
    assert "Invalidenstrasse 12, 10115 Berlin" in reply
    assert (
        rows(stack, select(Order.shipping_address).where(Order.number == number))[0][0]
        == "Invalidenstrasse 12, 10115 Berlin"
    )


def test_feedback_is_stored(stack: Stack):
    sender, customer_id, _ = customer(stack)

    stack.say(sender, "I'd like to leave some feedback")
    stack.say(sender, "4")
    reply = texts(stack.say(sender, "quick and friendly"))

    assert "Thank you" in reply
    assert rows(stack, select(Feedback.rating, Feedback.comment).where(Feedback.customer_id == customer_id)) == [
        (4, "quick and friendly")
    ]


def test_product_info_comes_from_the_catalogue(stack: Stack):
    sender, _, _ = customer(stack)

    reply = texts(stack.say(sender, "how much are the earbuds?"))

    (price,) = rows(stack, select(Product.price).where(Product.name == "wireless earbuds"))[0]
    assert "wireless earbuds" in reply and f"{Decimal(price):.2f} EUR" in reply


def test_asking_for_a_person_queues_a_handoff_and_pauses_the_assistant(stack: Stack):
    sender, _, _ = customer(stack)

    reply = texts(stack.say(sender, "I want to talk to a human"))
    later = stack.say(sender, "hello?")

    assert "person" in reply
    assert later == []
    handoffs = eventually(
        lambda: rows(
            stack,
            select(Handoff.status)
            .join(Conversation, Conversation.id == Handoff.conversation_id)
            .where(Conversation.sender_id == sender),
        )
    )
    assert handoffs == [("queued",)]
