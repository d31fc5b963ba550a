"""Orders: look-up for a customer, cancellation, address change."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.errors import InvalidOrderNumber, InvalidTransition, OrderNotFound
from crm_store.models import Order, StageHistory

_ORDER_NUMBER = re.compile(r"^\s*(?:[Aa]\s*-?\s*|#\s*)?(\d{5})\s*$")


@dataclass(frozen=True)
class OrderView:
    id: int
    number: str
    customer_id: int
    status: str
    status_since: datetime
    placed_at: datetime
    total: Decimal
    items: tuple[str, ...]
    tracking_code: str | None
    shipping_address: str | None


def canonical_number(text: str) -> str:
    """'A-10423', 'a10423', '#10423', '10423' -> 'A-10423'."""
    match = _ORDER_NUMBER.match(text or "")
    if not match:
        raise InvalidOrderNumber(text)
    return f"A-{match.group(1)}"


def lookup(uow: UnitOfWork, number: str, customer_id: int) -> OrderView:
    """The customer's own order; someone else's order is reported as not found."""
    canonical = canonical_number(number)
    with uow:
        order = _own_order(uow, canonical, customer_id)
        return _view(order)


def orders_of(uow: UnitOfWork, customer_id: int, limit: int = 5) -> list[OrderView]:
    with uow:
        rows = uow.session.scalars(
            select(Order).where(Order.customer_id == customer_id).order_by(Order.placed_at.desc()).limit(limit)
        )
        return [_view(o) for o in rows]


def cancel(uow: UnitOfWork, number: str, customer_id: int, now: datetime) -> OrderView:
    canonical = canonical_number(number)
    with uow:
        order = _own_order(uow, canonical, customer_id)
        if order.status not in stages.CANCELLABLE_ORDER_STATUSES:
            raise InvalidTransition(f"Order {canonical} is already {order.status} and can no longer be cancelled.")
        stages.move(uow.session, "order", order, "cancelled", now, note="cancelled by the customer in chat")
        uow.commit()
        return _view(order)


def change_address(uow: UnitOfWork, number: str, customer_id: int, address: str, now: datetime) -> OrderView:
    canonical = canonical_number(number)
    with uow:
        order = _own_order(uow, canonical, customer_id)
        if order.status not in stages.ADDRESS_CHANGEABLE_STATUSES:
            raise InvalidTransition(f"Order {canonical} is already {order.status}; its address can no longer change.")
        order.shipping_address = address
        stages.record_stage(uow.session, "order", order.id, order.status, now, note="shipping address changed")
        uow.commit()
        return _view(order)


def history(uow: UnitOfWork, number: str, customer_id: int) -> list[tuple[str, datetime]]:
    canonical = canonical_number(number)
    with uow:
        order = _own_order(uow, canonical, customer_id)
        rows = uow.session.scalars(
            select(StageHistory)
            .where(StageHistory.process == "order", StageHistory.process_id == order.id)
            .order_by(StageHistory.entered_at, StageHistory.id)
        )
        return [(r.stage, r.entered_at) for r in rows]


def _own_order(uow: UnitOfWork, canonical: str, customer_id: int) -> Order:
    order = uow.orders.one_by(number=canonical)
    if order is None or order.customer_id != customer_id:
        raise OrderNotFound(canonical)
    return order


def _view(order: Order) -> OrderView:
    return OrderView(
        id=order.id,
        number=order.number,
        customer_id=order.customer_id,
        status=order.status,
        status_since=order.stage_entered_at,
        placed_at=order.placed_at,
        total=order.total,
        items=tuple(f"{i.quantity} x {i.product.name}" for i in order.items),
        tracking_code=order.tracking_code,
        shipping_address=order.shipping_address,
    )


def exists(uow: UnitOfWork, number: str) -> bool:
    """Whether any customer has this order (to offer verification, never to show it)."""
    with uow:
        return uow.orders.one_by(number=canonical_number(number)) is not None
