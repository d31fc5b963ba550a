"""The thin loader: CRM tables as pandas frames, as they stood at an as-of date.

The analytics functions (baskets, propensity, forecast, features_from_frames) are pure pandas
over these frames, so the benchmarks can build the same frames from a CSV export.

    customers: id, created_at
    orders:    id, number, customer_id, placed_at, total, kind   (cancelled sales left out;
               kind "order" or "credit_note", a credit note's total negative: see crm_store.sql.counted_orders)
    lines:     order_id, product_id, quantity, unit_price   (sales only: no credit note's lines)
    products:  id, sku, name
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Float, cast, select
from sqlalchemy.engine import Connection

from crm_store.models import Customer, Order, OrderItem, Product
from crm_store.sql import NOT_A_SALE, SALE, counted_orders


def sales(orders: pd.DataFrame) -> pd.DataFrame:
    """The orders that are sales: a credit note is no purchase (it counts only in net spend)."""
    return orders if "kind" not in orders.columns else orders[orders["kind"] == SALE]


def customer_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """The orders with a customer (an anonymous order has none), customer_id as an integer."""
    return orders[orders["customer_id"].notna()].astype({"customer_id": "int64"})


def _frame(conn: Connection, stmt, columns: list[str]) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return pd.DataFrame(conn.execute(stmt).all(), columns=columns)


def load_customers(conn: Connection, as_of: datetime) -> pd.DataFrame:
    frame = _frame(
        conn, select(Customer.id, Customer.created_at).where(Customer.created_at <= as_of), ["id", "created_at"]
    )
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame


def load_orders(conn: Connection, as_of: datetime) -> pd.DataFrame:
    stmt = select(
        Order.id, Order.number, Order.customer_id, Order.placed_at, cast(Order.total, Float), Order.kind
    ).where(Order.placed_at <= as_of, counted_orders())
    frame = _frame(conn, stmt, ["id", "number", "customer_id", "placed_at", "total", "kind"])
    frame["placed_at"] = pd.to_datetime(frame["placed_at"])
    frame["total"] = frame["total"].astype(float)
    return frame


def load_lines(conn: Connection, as_of: datetime) -> pd.DataFrame:
    stmt = (
        select(OrderItem.order_id, OrderItem.product_id, OrderItem.quantity, cast(OrderItem.unit_price, Float))
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.placed_at <= as_of, Order.status.not_in(NOT_A_SALE), Order.kind == SALE)
    )
    frame = _frame(conn, stmt, ["order_id", "product_id", "quantity", "unit_price"])
    frame["unit_price"] = frame["unit_price"].astype(float)
    return frame


def load_products(conn: Connection) -> pd.DataFrame:
    return _frame(conn, select(Product.id, Product.sku, Product.name), ["id", "sku", "name"])
