"""An order export as the analytics frames, with no database: what analytics/frames.py reads back after
`crmbot import orders` of the same file.

The cleaning is the import's own (orders.clean_sheet, lines.py): duplicates dropped, cancellations as
credit notes with negative totals, adjustments apart from products, write-offs and impossible dates held
back. Ids follow the order the import writes in (orders by date, customers at their first order), and the
rows kept are the ones the loaders keep (crm_store.sql.counted_orders):

    customers: id, created_at (the date of their first order, as the import creates them)
    orders:    id, number, customer_id (NaN when anonymous), placed_at, total (net, in currency), kind
               (sales not cancelled, and the credit notes that count)
    lines:     order_id, product_id, quantity, unit_price (sales only: no credit note's lines)
    products:  id, sku, name
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.importing import columns
from analytics.importing.bulk import cents
from analytics.importing.orders import clean_sheet
from analytics.importing.sheet import read_sheet
from crm_store.sql import NOT_A_SALE, SALE


@dataclass(frozen=True)
class ExportFrames:
    customers: pd.DataFrame
    orders: pd.DataFrame
    lines: pd.DataFrame
    products: pd.DataFrame
    table: list[tuple[str, int, str]]  # the import's cleaning table
    seconds: float


def export_frames(path: Path, now: datetime, region: str = "DE") -> ExportFrames:
    clock = time.perf_counter()
    sheet = read_sheet(path)
    cleaned = clean_sheet(sheet, columns.detect("orders", sheet.header), now, region)
    del sheet
    orders = cleaned.orders  # in the order the import writes them: by date, then number
    order_id = pd.Series(np.arange(1, len(orders) + 1), index=orders["number"].to_numpy())
    known = orders[orders["key"] != ""]
    first = known.drop_duplicates("key")
    customer_id = pd.Series(np.arange(1, len(first) + 1), index=first["key"].to_numpy())
    customers = pd.DataFrame({"id": customer_id.to_numpy(), "created_at": first["placed_at"].to_numpy()})

    sale = orders["kind"] == SALE
    cancelled = orders["status"].isin(NOT_A_SALE)
    gone = orders.loc[sale & cancelled, "number"]
    counted = (sale & ~cancelled) | (~sale & ~orders["credit_for"].isin(gone))
    kept = orders[counted]
    frame = pd.DataFrame(
        {
            "id": order_id[kept["number"]].to_numpy(),
            "number": kept["number"].to_numpy(),
            "customer_id": kept["key"].map(customer_id).astype(float).to_numpy(),
            "placed_at": kept["placed_at"].to_numpy(),
            "total": (cents(kept["total_e4"]) / 100).astype(float).to_numpy(),
            "kind": kept["kind"].to_numpy(),
        }
    )
    sales = set(orders.loc[sale & ~cancelled, "number"])
    items = cleaned.items[cleaned.items["number"].isin(sales)]
    products = cleaned.products.reset_index(drop=True)
    product_id = pd.Series(np.arange(1, len(products) + 1), index=products["sku"].to_numpy())
    lines = pd.DataFrame(
        {
            "order_id": order_id[items["number"]].to_numpy(),
            "product_id": product_id[items["sku"]].to_numpy(),
            "quantity": items["quantity"].to_numpy(),
            "unit_price": (items["price_e4"] / 10_000).to_numpy(),
        }
    )
    return ExportFrames(
        customers,
        frame,
        lines,
        pd.DataFrame({"id": product_id.to_numpy(), "sku": products["sku"], "name": products["name"]}),
        cleaned.table,
        time.perf_counter() - clock,
    )
