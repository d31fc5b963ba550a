"""Payments and refunds: what was charged, duplicate charges refunded, and the refund timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.errors import OrderNotFound
from crm_store.models import Order, Payment, Refund, StageHistory
from crm_store.services.orders import canonical_number

# Card and PayPal refunds reach the customer within 5 working days (7 calendar days).
REFUND_DAYS = 7


@dataclass(frozen=True)
class PaymentView:
    id: int
    method: str
    amount: Decimal
    status: str
    duplicate_of: int | None
    created_at: datetime


@dataclass(frozen=True)
class RefundView:
    id: int
    number: str
    order_number: str
    amount: Decimal
    reason: str
    status: str
    expected_by: datetime | None
    timeline: tuple[tuple[str, datetime], ...]


def refund_number(refund_id: int) -> str:
    return f"F-{refund_id:05d}"


def payments_of(uow: UnitOfWork, order_number: str, customer_id: int) -> list[PaymentView]:
    with uow:
        order = _own_order(uow, order_number, customer_id)
        rows = uow.session.scalars(
            select(Payment).where(Payment.order_id == order.id).order_by(Payment.created_at, Payment.id)
        )
        return [PaymentView(p.id, p.method, Decimal(p.amount), p.status, p.duplicate_of, p.created_at) for p in rows]


def refund_duplicate_charges(uow: UnitOfWork, order_number: str, customer_id: int, now: datetime) -> list[RefundView]:
    """Open a refund for every duplicate capture of the order that has none yet; returns all its duplicate refunds."""
    with uow:
        order = _own_order(uow, order_number, customer_id)
        duplicates = list(
            uow.session.scalars(
                select(Payment).where(
                    Payment.order_id == order.id, Payment.duplicate_of.is_not(None), Payment.status == "captured"
                )
            )
        )
        for payment in duplicates:
            if uow.session.scalars(select(Refund.id).where(Refund.payment_id == payment.id)).first() is None:
                refund = Refund(
                    order_id=order.id,
                    payment_id=payment.id,
                    amount=payment.amount,
                    reason="duplicate charge",
                    status=stages.INITIAL["refund"],
                    stage_entered_at=now,
                    created_at=now,
                    expected_by=now + timedelta(days=REFUND_DAYS),
                )
                uow.session.add(refund)
                uow.session.flush()
                stages.record_stage(
                    uow.session, "refund", refund.id, refund.status, now, note="duplicate charge found in chat"
                )
        uow.commit()
        rows = uow.session.scalars(
            select(Refund).where(Refund.order_id == order.id, Refund.payment_id.is_not(None)).order_by(Refund.id)
        )
        return [_refund_view(uow, r, order.number) for r in rows]


def refunds_of(uow: UnitOfWork, customer_id: int, limit: int = 5) -> list[RefundView]:
    with uow:
        rows = uow.session.execute(
            select(Refund, Order.number)
            .join(Order, Refund.order_id == Order.id)
            .where(Order.customer_id == customer_id)
            .order_by(Refund.created_at.desc(), Refund.id.desc())
            .limit(limit)
        ).all()
        return [_refund_view(uow, r, number) for r, number in rows]


def _refund_view(uow: UnitOfWork, row: Refund, number: str) -> RefundView:
    history = uow.session.execute(
        select(StageHistory.stage, StageHistory.entered_at)
        .where(StageHistory.process == "refund", StageHistory.process_id == row.id)
        .order_by(StageHistory.entered_at, StageHistory.id)
    ).all()
    return RefundView(
        row.id,
        refund_number(row.id),
        number,
        Decimal(row.amount),
        row.reason,
        row.status,
        row.expected_by,
        tuple((s, at) for s, at in history),
    )


def _own_order(uow: UnitOfWork, order_number: str, customer_id: int) -> Order:
    canonical = canonical_number(order_number)
    order = uow.orders.one_by(number=canonical)
    if order is None or order.customer_id != customer_id:
        raise OrderNotFound(canonical)
    return order
