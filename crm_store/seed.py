"""Demo data: customers, products, orders, tickets, returns and deals with plausible histories.

Deterministic for a given seed and size. The demo customer (identity `demo` on the
REST and cmdline channels, the sender `crmbot chat` uses) always owns A-10423 (shipped),
A-10424 (paid, still cancellable) and A-10425 (delivered).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker
from sqlalchemy import func, select

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.models import (
    ChannelIdentity,
    Customer,
    Deal,
    Order,
    OrderItem,
    Payment,
    Product,
    Refund,
    Return,
    Shipment,
    StageHistory,
    Ticket,
)
from crm_store.services.shipments import tracking_url

CATALOGUE = [
    ("wireless earbuds", "audio", "49.90"),
    ("bluetooth speaker", "audio", "59.00"),
    ("over-ear headphones", "audio", "89.00"),
    ("usb-c charger", "electronics", "19.90"),
    ("usb-c cable", "electronics", "9.90"),
    ("power bank", "electronics", "34.90"),
    ("phone case", "electronics", "14.90"),
    ("laptop sleeve", "electronics", "24.90"),
    ("wireless mouse", "electronics", "22.00"),
    ("mechanical keyboard", "electronics", "79.00"),
    ("smart watch", "electronics", "129.00"),
    ("desk lamp", "home", "39.90"),
    ("coffee grinder", "home", "44.90"),
    ("french press", "home", "27.50"),
    ("water bottle", "home", "16.90"),
    ("scented candle", "home", "12.90"),
    ("bath towel set", "home", "34.00"),
    ("cotton bed sheets", "home", "59.90"),
    ("throw blanket", "home", "42.00"),
    ("cast iron pan", "home", "36.90"),
    ("yoga mat", "sport", "29.90"),
    ("running shoes", "sport", "94.90"),
    ("resistance bands", "sport", "18.90"),
    ("backpack", "sport", "54.90"),
    ("rain jacket", "clothing", "79.90"),
    ("wool sweater", "clothing", "64.90"),
    ("cotton t-shirt", "clothing", "19.90"),
    ("denim jeans", "clothing", "69.90"),
    ("winter gloves", "clothing", "24.90"),
    ("sunglasses", "clothing", "39.00"),
]
ORDER_FLOW = ["pending", "paid", "packed", "shipped", "delivered"]
TICKET_SUBJECTS = [
    "Parcel arrived damaged",
    "Wrong item delivered",
    "Invoice needed",
    "Payment charged twice",
    "Cannot log in",
    "Late delivery",
    "Missing item in parcel",
    "Discount code not working",
]
RETURN_REASONS = ["wrong size", "arrived damaged", "not as described", "changed my mind", "defective"]


@dataclass(frozen=True)
class SeedResult:
    customers: int
    products: int
    orders: int
    tickets: int
    returns: int
    deals: int
    shipments: int = 0
    payments: int = 0


def is_empty(uow: UnitOfWork) -> bool:
    with uow:
        return uow.session.scalar(select(func.count()).select_from(Customer)) == 0


def seed(uow: UnitOfWork, size: int = 50, seed: int = 42, now: datetime | None = None) -> SeedResult:
    """Fill an empty CRM; `size` is the number of customers besides the demo customer."""
    now = now or datetime.utcnow().replace(microsecond=0)
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    with uow:
        s = uow.session
        products = [
            Product(
                sku=f"SKU-{i:04d}",
                name=name,
                category=cat,
                price=Decimal(price),
                stock=rng.choice([0, 3, 12, 40, 150]),
                description=f"Our {name}: {fake.sentence(nb_words=10)}",
            )
            for i, (name, cat, price) in enumerate(CATALOGUE, start=1)
        ]
        s.add_all(products)
        demo = Customer(
            name="Alex Demo",
            email="alex.demo@example.com",
            phone="+49 30 5550100",
            address="Torstrasse 1, 10119 Berlin",
            created_at=now - timedelta(days=400),
        )
        s.add(demo)
        s.flush()
        for channel in ("rest", "cmdline"):
            s.add(
                ChannelIdentity(
                    customer_id=demo.id,
                    channel=channel,
                    external_id="demo",
                    display_name="Alex Demo",
                    created_at=demo.created_at,
                )
            )
        counts = {"orders": 0, "tickets": 0, "returns": 0, "deals": 0}
        demo_orders = [("A-10423", "shipped", 6), ("A-10424", "paid", 1), ("A-10425", "delivered", 30)]
        for number, status, days_ago in demo_orders:
            _order(s, rng, products, demo, number, status, now - timedelta(days=days_ago), now)
            counts["orders"] += 1
        next_number = 10500
        for _ in range(size):
            created = now - timedelta(days=rng.randint(5, 720))
            customer = Customer(
                name=fake.name(),
                email=f"{fake.unique.user_name()}@{fake.free_email_domain()}",
                phone=fake.phone_number(),
                address=fake.address().replace("\n", ", "),
                created_at=created,
            )
            s.add(customer)
            s.flush()
            for _ in range(rng.choices([0, 1, 2, 3, 5], weights=[2, 4, 3, 2, 1])[0]):
                placed = created + timedelta(days=rng.randint(0, max(1, (now - created).days)))
                status = _status_for_age(rng, (now - placed).days)
                order = _order(s, rng, products, customer, f"A-{next_number}", status, placed, now)
                next_number += 1
                counts["orders"] += 1
                if status == "delivered" and rng.random() < 0.15:
                    _return(s, rng, customer, order, counts["returns"] + 1, now)
                    counts["returns"] += 1
            if rng.random() < 0.3:
                _ticket(s, rng, customer, now)
                counts["tickets"] += 1
            if rng.random() < 0.1:
                _deal(s, rng, fake, customer, now)
                counts["deals"] += 1
        # A separate random stream, so the rows above stay what they were before shipments existed.
        shipped, paid = _money_and_parcels(s, random.Random(seed + 1), now)
        uow.commit()
        return SeedResult(
            size + 1,
            len(products),
            counts["orders"],
            counts["tickets"],
            counts["returns"],
            counts["deals"],
            shipped,
            paid,
        )


# The demo orders: A-10423 on its way (arrives in two days), A-10424 paid and charged twice,
# A-10425 delivered to the front door 30 days ago.
_DEMO_PARCELS: dict[str, dict[str, Any]] = {"A-10423": {"eta_days": 2}, "A-10425": {"proof": "left at the front door"}}
_DEMO_DUPLICATES = {"A-10424"}
_PROOFS = ["handed to the recipient", "left at the front door", "signed for by a neighbour", "left in the parcel box"]


def _money_and_parcels(s, rng: random.Random, now: datetime) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Payments for every paid order and a shipment for every one that left the warehouse."""
    shipments = payments = 0
    for order in s.scalars(select(Order).order_by(Order.id)):
        if order.status == "pending":
            if rng.random() < 0.3:
                s.add(
                    Payment(
                        order_id=order.id,
                        method="card",
                        amount=order.total,
                        status="failed",
                        reference=f"PAY-{rng.randint(10**7, 10**8 - 1)}",
                        created_at=order.placed_at,
                    )
                )
                payments += 1
            continue
        method = rng.choice(["card", "card", "paypal"])
        first = Payment(
            order_id=order.id,
            method=method,
            amount=order.total,
            status="captured",
            reference=f"PAY-{rng.randint(10**7, 10**8 - 1)}",
            created_at=order.placed_at + timedelta(minutes=2),
        )
        s.add(first)
        s.flush()
        payments += 1
        if order.number in _DEMO_DUPLICATES or (order.number not in ("A-10423", "A-10425") and rng.random() < 0.03):
            s.add(
                Payment(
                    order_id=order.id,
                    method=method,
                    amount=order.total,
                    status="captured",
                    duplicate_of=first.id,
                    reference=f"PAY-{rng.randint(10**7, 10**8 - 1)}",
                    created_at=order.placed_at + timedelta(minutes=3),
                )
            )
            payments += 1
        if order.status in ("cancelled", "returned"):
            first.status = "refunded"
            refund = Refund(
                order_id=order.id,
                payment_id=first.id,
                amount=order.total,
                reason=f"order {order.status}",
                status="paid",
                stage_entered_at=order.stage_entered_at,
                created_at=order.stage_entered_at,
                expected_by=order.stage_entered_at + timedelta(days=7),
            )
            s.add(refund)
            s.flush()
            stages.record_stage(s, "refund", refund.id, "requested", order.stage_entered_at)
            stages.record_stage(
                s, "refund", refund.id, "paid", order.stage_entered_at + timedelta(days=rng.randint(2, 5))
            )
        if order.status in ("shipped", "delivered", "returned"):
            shipments += 1
            s.add(_shipment(rng, order, now, _stage_times(s, order)))
    return shipments, payments


def _stage_times(s, order: Order) -> dict[str, datetime]:  # type: ignore[no-untyped-def]
    rows = s.execute(
        select(StageHistory.stage, StageHistory.entered_at).where(
            StageHistory.process == "order", StageHistory.process_id == order.id
        )
    )
    return {stage: at for stage, at in rows}


def _shipment(rng: random.Random, order: Order, now: datetime, stage_times: dict[str, datetime]) -> Shipment:
    """The parcel of a shipped, delivered or returned order, dated by the order's own stages, so a
    customer is never told "shipped since 2 Dec" and "it left us on 1 Dec" about one order."""
    demo = _DEMO_PARCELS.get(order.number, {})
    code = order.tracking_code or f"DHL{rng.randint(10**9, 10**10 - 1)}"
    dispatched = stage_times["shipped"]
    if order.status == "shipped":
        eta = now + timedelta(days=demo.get("eta_days", rng.randint(1, 3)))
        return Shipment(
            order_id=order.id,
            carrier="DHL",
            tracking_code=code,
            tracking_url=tracking_url("DHL", code),
            status="in_transit",
            dispatched_at=dispatched,
            eta=eta.replace(hour=18, minute=0, second=0),
            delivery_attempts=0,
        )
    delivered = stage_times["delivered"]
    return Shipment(
        order_id=order.id,
        carrier="DHL",
        tracking_code=code,
        tracking_url=tracking_url("DHL", code),
        status="delivered",
        dispatched_at=dispatched,
        eta=delivered,
        delivered_at=delivered,
        delivery_attempts=rng.choice([0, 0, 0, 1]),
        proof_of_delivery=demo.get("proof", rng.choice(_PROOFS)),
    )


def _status_for_age(rng: random.Random, age_days: int) -> str:
    if age_days > 10:
        return rng.choices(["delivered", "cancelled", "returned"], weights=[85, 10, 5])[0]
    return ORDER_FLOW[min(len(ORDER_FLOW) - 1, age_days // 2 + rng.randint(0, 1))]


def _order(s, rng, products, customer, number, status, placed, now) -> Order:  # type: ignore[no-untyped-def]
    picks = rng.sample(products, rng.randint(1, 3))
    items = [OrderItem(product=p, quantity=rng.randint(1, 2), unit_price=p.price) for p in picks]
    order = Order(
        number=number,
        customer_id=customer.id,
        status="pending",
        stage_entered_at=placed,
        placed_at=placed,
        total=sum((i.unit_price * i.quantity for i in items), Decimal("0")),
        shipping_address=customer.address,
        items=items,
    )
    s.add(order)
    s.flush()
    stages.record_stage(s, "order", order.id, "pending", placed)
    if status in ORDER_FLOW:
        path = ORDER_FLOW[1 : ORDER_FLOW.index(status) + 1]
    else:  # cancelled before shipping, returned after delivery
        path = ["paid", "cancelled"] if status == "cancelled" else ORDER_FLOW[1:] + ["returned"]
    at = placed
    for stage in path:
        at = min(now, at + timedelta(hours=rng.randint(2, 40)))
        stages.move(s, "order", order, stage, at)
    if order.status in ("shipped", "delivered", "returned"):
        order.tracking_code = f"DHL{rng.randint(10**9, 10**10 - 1)}"
    return order


def _ticket(s, rng, customer, now) -> None:  # type: ignore[no-untyped-def]
    created = now - timedelta(days=rng.randint(0, 30), hours=rng.randint(0, 23))
    ticket = Ticket(
        customer_id=customer.id,
        subject=rng.choice(TICKET_SUBJECTS),
        priority=rng.choice(["low", "normal", "normal", "high"]),
        status="open",
        stage_entered_at=created,
        created_at=created,
    )
    s.add(ticket)
    s.flush()
    stages.record_stage(s, "ticket", ticket.id, "open", created)
    for stage in rng.choice([[], ["in_progress"], ["in_progress", "resolved"], ["waiting"]]):
        created = min(now, created + timedelta(hours=rng.randint(1, 72)))
        stages.move(s, "ticket", ticket, stage, created)


def _return(s, rng, customer, order, seq, now) -> None:  # type: ignore[no-untyped-def]
    created = min(now, order.stage_entered_at + timedelta(days=rng.randint(1, 10)))
    ret = Return(
        number=f"R-{seq:05d}",
        customer_id=customer.id,
        order_id=order.id,
        item=order.items[0].product.name,
        reason=rng.choice(RETURN_REASONS),
        status="requested",
        stage_entered_at=created,
        created_at=created,
    )
    s.add(ret)
    s.flush()
    stages.record_stage(s, "return", ret.id, "requested", created)
    for stage in rng.choice([[], ["approved"], ["approved", "received", "refunded"]]):
        created = min(now, created + timedelta(days=rng.randint(1, 5)))
        stages.move(s, "return", ret, stage, created)
    if ret.status == "refunded":
        ret.refund_amount = order.items[0].unit_price


def _deal(s, rng, fake, customer, now) -> None:  # type: ignore[no-untyped-def]
    created = now - timedelta(days=rng.randint(0, 60))
    company = fake.company()
    deal = Deal(
        customer_id=customer.id,
        title=f"Bulk order for {company}",
        contact_name=customer.name,
        company=company,
        email=customer.email,
        phone=customer.phone,
        volume=f"{rng.choice([50, 100, 250, 1000])} units",
        value=Decimal(rng.randint(20, 400) * 50),
        stage="new",
        stage_entered_at=created,
        created_at=created,
    )
    s.add(deal)
    s.flush()
    stages.record_stage(s, "deal", deal.id, "new", created)
    for stage in rng.choice([[], ["qualified"], ["qualified", "proposal"], ["qualified", "proposal", "won"], ["lost"]]):
        created = min(now, created + timedelta(days=rng.randint(1, 10)))
        stages.move(s, "deal", deal, stage, created)
