"""Returns of delivered items and the state of their refunds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.errors import CrmError, InvalidTransition, OrderNotFound
from crm_store.models import Order, Return
from crm_store.services.orders import canonical_number
from crm_store.services.products import best_match

RETURNABLE_ORDER_STATUSES = ("shipped", "delivered")


class ItemNotInOrder(CrmError):
    def __init__(self, order_number: str, item: str) -> None:
        super().__init__(f"Order {order_number} has no item like {item!r}.")
        self.order_number = order_number


@dataclass(frozen=True)
class ReturnView:
    id: int
    number: str
    order_number: str
    item: str
    reason: str
    status: str
    status_since: datetime
    refund_amount: Decimal | None
    kind: str = "return"
    wanted: str | None = None


KINDS = ("return", "exchange", "replacement")


def return_number(return_id: int) -> str:
    return f"R-{return_id:05d}"


def returnable_items(uow: UnitOfWork, order_number: str, customer_id: int) -> tuple[str, ...]:
    """Product names of the customer's own order, if it can still be returned."""
    canonical = canonical_number(order_number)
    with uow:
        order = _returnable_order(uow, canonical, customer_id)
        return tuple(i.product.name for i in order.items)


def match_item(items: tuple[str, ...], text: str) -> str | None:
    """The order item the customer means ("the earbuds", "earbud", "the 2nd one" is not supported)."""
    if len(items) == 1 and (text or "").strip().lower() in {"it", "that", "this", "the item", "everything", "all"}:
        return items[0]
    return best_match(items, text)


def open_return(
    uow: UnitOfWork,
    customer_id: int,
    order_number: str,
    item: str,
    reason: str,
    now: datetime,
    kind: str = "return",
    wanted: str | None = None,
) -> ReturnView:
    """A return (money back), exchange (another size or colour) or replacement (a damaged or incomplete item)."""
    if kind not in KINDS:
        raise CrmError(f"{kind!r} is not a kind of return.")
    canonical = canonical_number(order_number)
    with uow:
        order = _returnable_order(uow, canonical, customer_id)
        name = match_item(tuple(i.product.name for i in order.items), item)
        if name is None:
            raise ItemNotInOrder(canonical, item)
        # The number derives from the id, so insert under a unique placeholder first.
        ret = uow.returns.add(
            Return(
                number=f"P-{uuid.uuid4().hex[:12]}",
                customer_id=customer_id,
                order_id=order.id,
                item=name,
                reason=reason[:2000],
                status=stages.INITIAL["return"],
                stage_entered_at=now,
                created_at=now,
                kind=kind,
                wanted=wanted[:2000] if wanted else None,
            )
        )
        ret.number = return_number(ret.id)
        stages.record_stage(uow.session, "return", ret.id, ret.status, now, note="requested in chat")
        uow.commit()
        return _view(ret, order.number)


def returns_of(uow: UnitOfWork, customer_id: int, limit: int = 5) -> list[ReturnView]:
    with uow:
        rows = uow.session.execute(
            select(Return, Order.number)
            .join(Order, Return.order_id == Order.id)
            .where(Return.customer_id == customer_id)
            .order_by(Return.created_at.desc(), Return.id.desc())
            .limit(limit)
        )
        return [_view(ret, number) for ret, number in rows]


def _returnable_order(uow: UnitOfWork, canonical: str, customer_id: int) -> Order:
    order = uow.orders.one_by(number=canonical)
    if order is None or order.customer_id != customer_id:
        raise OrderNotFound(canonical)
    if order.status not in RETURNABLE_ORDER_STATUSES:
        raise InvalidTransition(
            f"Order {canonical} is {order.status}; only shipped or delivered orders can be returned."
        )
    return order


def _view(row: Return, order_number: str) -> ReturnView:
    amount = Decimal(row.refund_amount) if row.refund_amount is not None else None
    return ReturnView(
        row.id,
        row.number,
        order_number,
        row.item,
        row.reason,
        row.status,
        row.stage_entered_at,
        amount,
        row.kind or "return",
        row.wanted,
    )
