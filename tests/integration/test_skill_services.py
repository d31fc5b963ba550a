"""The services behind the assistant's skills, on SQLite and PostgreSQL (uow_factory)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_store import stages
from crm_store.errors import InvalidTransition, OrderNotFound
from crm_store.models import (
    Conversation,
    Customer,
    Feedback,
    Handoff,
    Order,
    OrderItem,
    Product,
    StageHistory,
)
from crm_store.services import deals, feedback, handoffs, products, returns, tickets

NOW = datetime(2026, 3, 2, 10, 0, 0)


def a_customer(uow_factory) -> int:  # type: ignore[no-untyped-def]
    uow = uow_factory()
    with uow:
        customer = uow.customers.add(Customer(name="Test Person", created_at=NOW - timedelta(days=30)))
        uow.commit()
        return customer.id


def a_product(uow_factory, name: str, stock: int = 5, price: str = "49.90") -> int:  # type: ignore[no-untyped-def]
    uow = uow_factory()
    with uow:
        product = uow.products.add(
            Product(
                sku=f"SKU-{uuid.uuid4().hex[:8]}",
                name=name,
                price=Decimal(price),
                stock=stock,
                description=f"Our {name}.",
            )
        )
        uow.commit()
        return product.id


def an_order(uow_factory, customer_id: int, status: str, product_names: tuple[str, ...]) -> str:  # type: ignore[no-untyped-def]
    number = f"A-{uuid.uuid4().int % 90000 + 10000}"
    ids = [a_product(uow_factory, name) for name in product_names]
    uow = uow_factory()
    with uow:
        order = uow.orders.add(
            Order(
                number=number,
                customer_id=customer_id,
                status="pending",
                stage_entered_at=NOW - timedelta(days=9),
                placed_at=NOW - timedelta(days=9),
                total=Decimal("49.90"),
            )
        )
        for pid in ids:
            uow.session.add(OrderItem(order_id=order.id, product_id=pid, quantity=1, unit_price=Decimal("49.90")))
        flow = ["paid", "packed", "shipped", "delivered"]
        for step, stage in enumerate(flow[: flow.index(status) + 1] if status in flow else []):
            stages.move(uow.session, "order", order, stage, NOW - timedelta(days=8 - step))
        uow.commit()
    return number


# ------------------------------------------------------------------ tickets


@pytest.mark.parametrize(
    "text, expected",
    [
        ("This is UNACCEPTABLE, I am furious!!", "high"),
        ("the parcel arrived damaged", "high"),
        ("you charged me twice for one order", "high"),
        ("the delivery was a bit late", "normal"),
    ],
)
def test_priority_follows_anger_damage_and_double_charges(text, expected):
    assert tickets.priority_for(text) == expected


def test_complaint_ticket_is_opened_with_priority_history_and_conversation(uow_factory):
    customer_id = a_customer(uow_factory)
    sender = f"t-{uuid.uuid4().hex[:8]}"

    ticket = tickets.open_ticket(
        uow_factory(),
        customer_id,
        "Parcel arrived damaged",
        NOW,
        description="it is broken",
        priority="high",
        sender_id=sender,
    )

    assert ticket.number == f"T-{ticket.id:05d}" and ticket.priority == "high" and ticket.status == "open"
    uow = uow_factory()
    with uow:
        row = uow.tickets.get(ticket.id)
        assert row.customer_id == customer_id and row.conversation_id is not None
        history = uow.session.scalars(
            select(StageHistory.stage).where(StageHistory.process == "ticket", StageHistory.process_id == ticket.id)
        ).all()
    assert history == ["open"]


def test_open_tickets_lists_only_the_customers_unresolved_tickets(uow_factory):
    mine, other = a_customer(uow_factory), a_customer(uow_factory)
    first = tickets.open_ticket(uow_factory(), mine, "Late delivery", NOW)
    solved = tickets.open_ticket(uow_factory(), mine, "Invoice needed", NOW + timedelta(minutes=1))
    tickets.open_ticket(uow_factory(), other, "Someone else's", NOW)
    uow = uow_factory()
    with uow:
        stages.move(uow.session, "ticket", uow.tickets.get(solved.id), "resolved", NOW + timedelta(hours=1))
        uow.commit()

    listed = tickets.open_tickets(uow_factory(), mine)

    assert [t.id for t in listed] == [first.id]


def test_subject_is_the_first_sentence_and_button_payloads_fall_back():
    assert tickets.subject_from("My parcel is late. Also the box was wet.", "Complaint") == "My parcel is late."
    assert tickets.subject_from("/affirm", "Payment problem") == "Payment problem"


# ------------------------------------------------------------------ returns


def test_return_gets_a_number_and_matches_a_fuzzy_item(uow_factory):
    customer_id = a_customer(uow_factory)
    number = an_order(uow_factory, customer_id, "delivered", ("wireless earbuds", "yoga mat"))

    ret = returns.open_return(uow_factory(), customer_id, number, "the earbuds", "arrived broken", NOW)

    assert ret.number == f"R-{ret.id:05d}" and ret.item == "wireless earbuds" and ret.status == "requested"
    assert [r.number for r in returns.returns_of(uow_factory(), customer_id)] == [ret.number]
    uow = uow_factory()
    with uow:
        stage = uow.session.scalars(
            select(StageHistory.stage).where(StageHistory.process == "return", StageHistory.process_id == ret.id)
        ).all()
    assert stage == ["requested"]


def test_return_refuses_unshipped_foreign_orders_and_unknown_items(uow_factory):
    customer_id, other = a_customer(uow_factory), a_customer(uow_factory)
    paid = an_order(uow_factory, customer_id, "paid", ("desk lamp",))
    delivered = an_order(uow_factory, customer_id, "delivered", ("desk lamp",))
    foreign = an_order(uow_factory, other, "delivered", ("desk lamp",))

    with pytest.raises(InvalidTransition):
        returns.returnable_items(uow_factory(), paid, customer_id)
    with pytest.raises(OrderNotFound):
        returns.returnable_items(uow_factory(), foreign, customer_id)
    with pytest.raises(returns.ItemNotInOrder):
        returns.open_return(uow_factory(), customer_id, delivered, "running shoes", "too small", NOW)
    assert returns.returnable_items(uow_factory(), delivered, customer_id) == ("desk lamp",)


# ------------------------------------------------------------------ products


def test_product_lookup_is_fuzzy(uow_factory):
    a_product(uow_factory, "wireless earbuds", stock=0)
    a_product(uow_factory, "mechanical keyboard", stock=12, price="79.00")

    earbuds = products.find_product(uow_factory(), "do you have earbuds")
    keyboard = products.find_product(uow_factory(), "mechanical keybord")

    assert earbuds is not None and earbuds.name == "wireless earbuds" and earbuds.stock == 0
    assert keyboard is not None and keyboard.price == Decimal("79.00")
    assert products.find_product(uow_factory(), "a pony") is None


# ------------------------------------------------------------------ deals


def test_lead_becomes_a_deal_in_stage_new(uow_factory):
    lead = deals.Lead(
        "Maria Rossi", "Rossi Office Supplies", "maria@rossi.example", "+49305550123", "500 units a month"
    )

    deal = deals.create_lead(uow_factory(), lead, NOW)

    assert deal.stage == "new" and deal.number == f"D-{deal.id:05d}"
    uow = uow_factory()
    with uow:
        row = uow.deals.get(deal.id)
        assert (row.company, row.email, row.volume) == (
            "Rossi Office Supplies",
            "maria@rossi.example",
            "500 units a month",
        )
        assert uow.session.scalars(
            select(StageHistory.stage).where(StageHistory.process == "deal", StageHistory.process_id == deal.id)
        ).all() == ["new"]


# ------------------------------------------------------------------ feedback


def test_feedback_is_stored_and_summarised(uow_factory):
    customer_id = a_customer(uow_factory)

    first = feedback.save_feedback(uow_factory(), customer_id, 5, "quick and friendly", NOW)
    feedback.save_feedback(uow_factory(), customer_id, 2, "", NOW)

    uow = uow_factory()
    with uow:
        row = uow.session.get(Feedback, first)
        assert (row.rating, row.comment) == (5, "quick and friendly")
    assert feedback.summary(uow_factory()) == feedback.FeedbackSummary(2, 3.5)
    with pytest.raises(feedback.InvalidRating):
        feedback.save_feedback(uow_factory(), customer_id, 6, None, NOW)


# ------------------------------------------------------------------ handoffs


def test_handoff_is_queued_once_on_the_senders_conversation(uow_factory):
    sender = f"t-{uuid.uuid4().hex[:8]}"
    uow = uow_factory()
    with uow:
        conversation = uow.conversations.add(
            Conversation(
                sender_id=sender, channel="rest", opened_by_event=uuid.uuid4().hex, started_at=NOW, last_event_at=NOW
            )
        )
        uow.commit()

    first = handoffs.request_handoff(uow_factory(), sender, "asked for a person", NOW)
    again = handoffs.request_handoff(uow_factory(), sender, "asked for a person", NOW + timedelta(minutes=1))

    assert first == again
    assert (first.conversation_id, first.status) == (conversation.id, "queued")
    assert [h.id for h in handoffs.handoffs_of(uow_factory(), sender)] == [first.id]


def test_handoff_before_ingestion_opens_the_conversation(uow_factory):
    sender = f"t-{uuid.uuid4().hex[:8]}"

    handoff = handoffs.request_handoff(uow_factory(), sender, "asked for a person", NOW)

    uow = uow_factory()
    with uow:
        assert uow.conversations.get(handoff.conversation_id).sender_id == sender
        assert uow.session.get(Handoff, handoff.id).status == "queued"
