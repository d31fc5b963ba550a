"""Dialect-aware helpers the services share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from crm_store.models import Order

# Orders in these states never became a sale.
NOT_A_SALE = ("cancelled", "canceled")
SALE = "order"  # orders.kind of a sale; a credit note ("credit_note", negative total) takes money back


def counted_orders() -> ColumnElement[bool]:
    """The orders rows that count for a customer's orders and spend: sales not cancelled, and
    credit notes, except the mirror of an order cancelled by its status (that order is left out
    already). The sum of their totals is the net revenue whichever way a shop recorded a
    cancellation; counting orders or the last purchase, read only kind == SALE among them."""
    cancelled = aliased(Order)
    gone = select(cancelled.id).where(cancelled.status.in_(NOT_A_SALE))
    return or_(
        and_(Order.kind == SALE, Order.status.not_in(NOT_A_SALE)),
        and_(
            Order.kind != SALE,
            or_(Order.credit_for_order_id.is_(None), Order.credit_for_order_id.not_in(gone)),
        ),
    )


def insert_ignoring_conflict(session: Session, model: Any, values: dict[str, Any], key: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when a row was inserted.

    The unique key decides, not a look-up first, so two writers racing on the
    same key still leave exactly one row.
    """
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(model.__table__).values(**values).on_conflict_do_nothing(index_elements=key)
    result = session.execute(stmt)
    return bool(result.rowcount)
