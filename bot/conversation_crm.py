"""The CRM side of a conversation test: the records a conversation starts from (`given`), the
checks of what a turn wrote, and the unasked-write check (no ticket, return, handoff, lead, refund
or feedback row, and no order change, that the conversation did not state).
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.conversation_judge import matches
from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.models import (
    ChannelIdentity,
    Conversation,
    Customer,
    Deal,
    Feedback,
    Handoff,
    Message,
    Order,
    OrderItem,
    Payment,
    Product,
    Refund,
    Return,
    Shipment,
    Ticket,
)
from crm_store.services.shipments import tracking_url

FLOW = ["pending", "paid", "packed", "shipped", "delivered"]
NAMES = ["Jana Novak", "Sam Carter", "Priya Shah", "Lukas Weber", "Emma Brown", "Tom Fischer", "Ana Silva", "Chris Lee"]
# The kinds of record a conversation may only create when it says so.
WRITE_KINDS = ("ticket", "return", "handoff", "deal", "refund", "feedback")
RETURN_FLOW = ["requested", "approved", "received", "refunded"]
# A handoff the customer asked for, or the documented one after two failed tries (whose turn
# already fails on the fallback reply), is never an unasked write.
ASKED_HANDOFF_TRIGGERS = ("request_human", "fallback")
# A request to delete one's personal data is filed as a ticket for the team: the record the customer
# asked for, like a handoff they asked for, so it is never counted as unasked.
ASKED_TICKET_SUBJECTS = ("Delete my personal data",)


@dataclass
class Given:
    customer_id: int
    values: dict[str, str]
    orders: dict[str, dict[str, Any]]  # "order1" -> {"number", "status", "address"}
    counts: dict[str, int] = field(default_factory=dict)  # records of each WRITE_KINDS kind before the first turn


def _number(session: Any, rng: random.Random) -> str:
    while True:
        number = f"A-{rng.randint(20000, 99999)}"
        if session.scalar(select(func.count()).select_from(Order).where(Order.number == number)) == 0:
            return number


def arrange(
    engine: Engine,
    given: dict[str, Any],
    channel: str,
    sender: str,
    now: datetime | None = None,
    seed: str | None = None,
) -> Given:
    """Create the conversation's customer, orders and tickets; link the chat unless it is a visitor.

    With a seed (the suites pass the conversation's file and name) the order numbers, name and
    email are the same on every run: the classifier sees their digits, so a random number could
    make one run pass and the next fail."""
    now = now or datetime.utcnow().replace(microsecond=0)
    rng = random.Random(seed if seed is not None else uuid.uuid4().int)
    uow = UnitOfWork(engine)
    tag = f"{rng.getrandbits(32):08x}"
    name = given.get("name") or rng.choice(NAMES)
    email = given.get("email") or f"{name.split()[0].lower()}.{tag}@example.com"
    with uow:
        s = uow.session
        person = uow.customers.add(
            Customer(name=name, email=email, address="Torstrasse 1, 10119 Berlin", created_at=now - timedelta(days=200))
        )
        if (given.get("customer") or "known") == "known":
            s.add(
                ChannelIdentity(
                    customer_id=person.id, channel=channel, external_id=sender, display_name=name, created_at=now
                )
            )
        values = {"email": email, "name": name, "first_name": name.split()[0]}
        orders: dict[str, dict[str, Any]] = {}
        made: list[Order] = []
        for i, spec in enumerate(given.get("orders") or [], start=1):
            order = _order(s, rng, person.id, spec, now)
            made.append(order)
            values[f"order{i}"] = order.number
            values[f"total{i}"] = f"{Decimal(order.total):.2f}"
            orders[f"order{i}"] = {"number": order.number, "status": order.status, "address": order.shipping_address}
        for i, spec in enumerate(given.get("tickets") or [], start=1):
            created = now - timedelta(days=int(spec.get("days_ago", 3)))
            ticket = Ticket(
                customer_id=person.id,
                subject=spec.get("subject", "Problem with my order"),
                priority=spec.get("priority", "normal"),
                status="open",
                stage_entered_at=created,
                created_at=created,
                order_id=made[int(spec["order"]) - 1].id if spec.get("order") else None,
            )
            s.add(ticket)
            s.flush()
            stages.record_stage(s, "ticket", ticket.id, "open", created)
            if spec.get("status", "open") != "open":
                stages.move(s, "ticket", ticket, spec["status"], created + timedelta(hours=2))
            values[f"ticket{i}"] = f"T-{ticket.id:05d}"
        for i, spec in enumerate(given.get("returns") or [], start=1):
            values[f"return{i}"] = _return(s, person.id, made[int(spec.get("order", 1)) - 1], spec, now)
        uow.commit()
        counts = {kind: 0 for kind in WRITE_KINDS}
        counts["ticket"] = len(given.get("tickets") or [])
        counts["return"] = len(given.get("returns") or [])
        return Given(person.id, values, orders, counts)


def _return(s: Any, customer_id: int, order: Order, spec: dict[str, Any], now: datetime) -> str:
    """An earlier return of one of the given orders, moved along requested -> approved -> received -> refunded."""
    created = now - timedelta(days=int(spec.get("days_ago", 5)))
    item = spec.get("item") or s.scalar(select(Product.name).where(Product.id == order.items[0].product_id))
    ret = Return(
        number=f"P-{uuid.uuid4().hex[:12]}",
        customer_id=customer_id,
        order_id=order.id,
        item=item,
        reason=spec.get("reason", "wrong size"),
        status="requested",
        stage_entered_at=created,
        created_at=created,
        kind=spec.get("kind", "return"),
    )
    s.add(ret)
    s.flush()
    ret.number = f"R-{ret.id:05d}"
    stages.record_stage(s, "return", ret.id, "requested", created)
    target = spec.get("status", "requested")
    path = RETURN_FLOW[1 : RETURN_FLOW.index(target) + 1] if target in RETURN_FLOW else [target]
    for step, at in zip(path, (created + timedelta(days=d) for d in range(1, 10))):
        stages.move(s, "return", ret, step, min(at, now - timedelta(hours=1)))
    if ret.status == "refunded":
        ret.refund_amount = sum(
            (
                Decimal(i.unit_price) * i.quantity
                for i in order.items
                if s.scalar(select(Product.name).where(Product.id == i.product_id)) == item
            ),
            Decimal(0),
        )
    return str(ret.number)


def _order(s: Any, rng: random.Random, customer_id: int, spec: dict[str, Any], now: datetime) -> Order:
    status = spec.get("status", "delivered")
    placed = now - timedelta(days=int(spec.get("days_ago", 6)))
    items = []
    for raw in spec.get("items") or ["yoga mat"]:
        match = re.match(r"^\s*(\d+)\s*x\s*(.+)$", str(raw))
        quantity, name = (int(match[1]), match[2].strip()) if match else (1, str(raw).strip())
        product = s.scalars(select(Product).where(Product.name == name)).first()
        if product is None:
            raise ValueError(f"no product {name!r} in the catalogue")
        items.append(OrderItem(product_id=product.id, quantity=quantity, unit_price=product.price))
    total = sum((Decimal(i.unit_price) * i.quantity for i in items), Decimal("0"))
    order = Order(
        number=_number(s, rng),
        customer_id=customer_id,
        status="pending",
        stage_entered_at=placed,
        placed_at=placed,
        total=total,
        shipping_address="Torstrasse 1, 10119 Berlin",
        items=items,
    )
    s.add(order)
    s.flush()
    stages.record_stage(s, "order", order.id, "pending", placed)
    path = (
        FLOW[1 : FLOW.index(status) + 1]
        if status in FLOW
        else (["paid", "cancelled"] if status == "cancelled" else FLOW[1:] + ["returned"])
    )
    at = placed
    for step in path:
        at = min(now - timedelta(hours=1), at + timedelta(days=1))
        stages.move(s, "order", order, step, at)
    payments = spec.get("payments") or ([] if status == "pending" else ["captured"])
    first = None
    for kind in payments:
        payment = Payment(
            order_id=order.id,
            method="card",
            amount=total,
            status="captured" if kind == "duplicate" else kind,
            duplicate_of=first.id if kind == "duplicate" and first else None,
            created_at=placed + timedelta(minutes=2),
        )
        s.add(payment)
        s.flush()
        first = first or payment
    if order.status in ("shipped", "delivered", "returned"):
        parcel = spec.get("shipment") or {}
        carrier = parcel.get("carrier", "DHL")
        code = f"{carrier}{rng.randint(10**9, 10**10 - 1)}"
        order.tracking_code = code
        dispatched = placed + timedelta(days=3)
        shipment = Shipment(
            order_id=order.id,
            carrier=carrier,
            tracking_code=code,
            tracking_url=tracking_url(carrier, code),
            status="in_transit",
            dispatched_at=dispatched,
            delivery_attempts=int(parcel.get("attempts", 0)),
        )
        if order.status == "shipped":
            shipment.eta = (now + timedelta(days=int(parcel.get("eta_days", 2)))).replace(hour=18, minute=0, second=0)
        else:
            shipment.status, shipment.delivered_at = "delivered", order.stage_entered_at
            shipment.eta = order.stage_entered_at
            shipment.proof_of_delivery = parcel.get("delivered_to", "left at the front door")
        s.add(shipment)
    return order


# ------------------------------------------------------------------ checks


def _customers(conn: Any, given: Given, channel: str, sender: str) -> list[int]:
    """The given customer, and the placeholder customer of an unlinked chat."""
    ids = {given.customer_id}
    ids.update(
        conn.scalars(
            select(ChannelIdentity.customer_id).where(
                ChannelIdentity.channel == channel, ChannelIdentity.external_id == sender
            )
        )
    )
    return sorted(ids)


def _compare(row: dict[str, Any], want: dict[str, Any]) -> list[str]:
    problems = []
    for key, expected in want.items():
        if key == "count":
            continue
        field_name = key.removesuffix("_contains")
        actual = row.get(field_name)
        if key == "phone_contains":  # "+49 30 5551234" is stored as "+49305551234"
            if re.sub(r"\D", "", str(expected)) not in re.sub(r"\D", "", str(actual or "")):
                problems.append(f"{field_name}={actual!r} lacks {expected!r}")
        elif key.endswith("_contains"):
            if not matches(str(actual or ""), expected):
                problems.append(f"{field_name}={actual!r} lacks {expected!r}")
        elif expected is None:
            if actual not in (None, ""):
                problems.append(f"{field_name}={actual!r}, expected empty")
        elif str(actual).lower() != str(expected).lower() and not _same_number(actual, expected):
            problems.append(f"{field_name}={actual!r}, expected {expected!r}")
    return problems


def _same_number(a: Any, b: Any) -> bool:
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except Exception:  # noqa: BLE001 - not numbers, so not equal as numbers
        return False


def _rows(conn: Any, kind: str, customers: list[int], sender: str) -> list[dict[str, Any]]:
    if kind == "ticket":
        stmt = (
            select(
                Ticket.status,
                Ticket.priority,
                Ticket.subject,
                Ticket.description,
                Order.number.label("order"),
                Ticket.customer_id.label("customer"),
            )
            .outerjoin(Order, Ticket.order_id == Order.id)
            .where(Ticket.customer_id.in_(customers))
            .order_by(Ticket.id)
        )
    elif kind == "return":
        stmt = (
            select(
                Return.item,
                Return.reason,
                Return.status,
                Return.kind,
                Return.wanted,
                Order.number.label("order"),
                Return.customer_id.label("customer"),
            )
            .join(Order, Return.order_id == Order.id)
            .where(Return.customer_id.in_(customers))
            .order_by(Return.id)
        )
    elif kind == "handoff":
        stmt = (
            select(Handoff.status, Handoff.reason, Handoff.trigger)
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .where(Conversation.sender_id == sender)
            .order_by(Handoff.id)
        )
    elif kind == "deal":
        stmt = (
            select(Deal.company, Deal.email, Deal.phone, Deal.volume, Deal.stage, Deal.contact_name)
            .where(Deal.customer_id.in_(customers))
            .order_by(Deal.id)
        )
    elif kind == "feedback":
        stmt = (
            select(Feedback.rating, Feedback.comment).where(Feedback.customer_id.in_(customers)).order_by(Feedback.id)
        )
    elif kind == "refund":
        stmt = (
            select(Refund.status, Refund.amount, Refund.reason, Order.number.label("order"))
            .join(Order, Refund.order_id == Order.id)
            .where(Order.customer_id.in_(customers))
            .order_by(Refund.id)
        )
    else:
        raise ValueError(f"unknown CRM check {kind!r}")
    return [dict(r._mapping) for r in conn.execute(stmt)]


def check_crm(engine: Engine, want: dict[str, Any], given: Given, channel: str, sender: str) -> list[str]:
    problems: list[str] = []
    with engine.connect() as conn:
        customers = _customers(conn, given, channel, sender)
        for kind, spec in (want or {}).items():
            spec = spec if isinstance(spec, dict) else {}
            if spec.get("customer") == "given":  # the record must sit on the given customer itself
                spec = {**spec, "customer": given.customer_id}
            if kind in given.orders:
                order = given.orders[kind]
                status, address = conn.execute(
                    select(Order.status, Order.shipping_address).where(Order.number == order["number"])
                ).one()
                row = {"status": status, "address": address}
                if spec.get("unchanged") and (status, address) != (order["status"], order["address"]):
                    problems.append(f"{kind} changed: {status}, {address}")
                problems += [f"{kind}: {p}" for p in _compare(row, {k: v for k, v in spec.items() if k != "unchanged"})]
            elif kind == "linked":
                owner = conn.scalar(
                    select(ChannelIdentity.customer_id).where(
                        ChannelIdentity.channel == channel, ChannelIdentity.external_id == sender
                    )
                )
                if bool(want[kind]) != (owner == given.customer_id):
                    problems.append(f"chat linked to {owner}, expected {given.customer_id}")
            elif kind == "messages":
                conversations = list(conn.scalars(select(Conversation.id).where(Conversation.sender_id == sender)))
                counts = dict(
                    conn.execute(
                        select(Message.direction, func.count())
                        .where(Message.conversation_id.in_(conversations))
                        .group_by(Message.direction)
                    ).all()
                )
                actual = {"in": counts.get("in", 0), "out": counts.get("out", 0), "conversations": len(conversations)}
                problems += [f"messages {k}={actual[k]}, expected {v}" for k, v in spec.items() if actual.get(k) != v]
            else:
                rows = _rows(conn, kind, customers, sender)
                if "count" in spec and len(rows) not in counts_of(spec["count"]):
                    problems.append(f"{len(rows)} {kind} record(s), expected {spec['count']}")
                elif not rows and any(k != "count" for k in spec):
                    problems.append(f"no {kind} record")
                elif rows:
                    problems += [f"{kind}: {p}" for p in _compare(rows[-1], spec)]
    return problems


def counts_of(value: Any) -> list[int]:
    """`count: 1` or `count: [0, 1]` (either is right, e.g. a ticket or a return for a missing part)."""
    return [int(v or 0) for v in value] if isinstance(value, list) else [int(value or 0)]


def allowed_after(turn_crm: dict[str, Any] | None, allowed: dict[str, int], baseline: dict[str, int]) -> dict[str, int]:
    """How many records of each kind the conversation has stated so far, after this turn's `crm`.

    A field check without `count` ("the newest ticket is for order1") allows one record more
    than the conversation started with."""
    allowed = dict(allowed)
    for kind, spec in (turn_crm or {}).items():
        if kind not in WRITE_KINDS or not isinstance(spec, dict):
            continue
        if "count" in spec:
            allowed[kind] = max(allowed[kind], *counts_of(spec["count"]))
        elif spec:
            allowed[kind] = max(allowed[kind], baseline[kind] + 1)
    return allowed


def unasked_writes(
    engine: Engine, given: Given, channel: str, sender: str, allowed: dict[str, int], stated_orders: set[str]
) -> list[tuple[str, tuple[str, int]]]:
    """Records beyond what the conversation stated so far, and order changes it never checked:
    each as (problem, (kind or order key, records now))."""
    problems: list[tuple[str, tuple[str, int]]] = []
    with engine.connect() as conn:
        customers = _customers(conn, given, channel, sender)
        for kind in WRITE_KINDS:
            rows = _rows(conn, kind, customers, sender)
            if kind == "handoff":
                rows = [r for r in rows if r.get("trigger") not in ASKED_HANDOFF_TRIGGERS]
            if kind == "ticket":
                rows = [r for r in rows if not str(r.get("subject") or "").startswith(ASKED_TICKET_SUBJECTS)]
            if len(rows) > allowed[kind]:
                newest = {
                    k: v for k, v in rows[-1].items() if k in ("subject", "item", "reason", "status", "order", "rating")
                }
                problems.append(
                    (
                        f"unasked write: {len(rows)} {kind} record(s), the conversation stated {allowed[kind]} "
                        f"(newest: {newest})",
                        (kind, len(rows)),
                    )
                )
        for key, order in given.orders.items():
            if key in stated_orders:
                continue
            status, address = conn.execute(
                select(Order.status, Order.shipping_address).where(Order.number == order["number"])
            ).one()
            if (status, address) != (order["status"], order["address"]):
                problems.append((f"unasked write: {key} changed to {status}, {address!r}", (key, 0)))
    return problems
