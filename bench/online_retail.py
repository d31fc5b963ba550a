"""The UCI Online Retail export as CRM-shaped frames, for the analytics benchmarks.

The frames are built by the order import's own cleaning, in the package
(analytics/importing/tables.py): the same frames analytics/frames.py reads back from a CRM after
`crmbot import orders` of the file, so the benchmarks run the pure analytics functions the
scheduled jobs run on what the import would store, without a database:

    customers: id, created_at (their first order)
    orders:    id, number, customer_id (NaN where the export has none), placed_at, total, kind
               (sales not cancelled, and credit notes: a cancellation is its own negative row)
    lines:     order_id, product_id, quantity, unit_price (sales only)
    products:  id, sku, name

The cleaning rules are the import's (docs/import.md): exact duplicate lines dropped; write-offs
(negative unit price), stock corrections (negative quantity at price 0 with no C prefix) and
impossible dates held back; 'C' invoices become credit notes with negative totals, linked to the
order they cancel where one is found; postage, fees and manual lines are adjustments, counted in
the order total but not products. Lines with no CustomerID stay for basket and sales work
(orders.customer_id NaN); customer-level work (segments, propensity) drops them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from analytics.frames import customer_orders
from analytics.importing.tables import export_frames

IMPORTED_ON = datetime(2026, 12, 7)  # the import's "now": no order of the file is in the future


@dataclass(frozen=True)
class RetailFrames:
    customers: pd.DataFrame
    orders: pd.DataFrame
    lines: pd.DataFrame
    products: pd.DataFrame
    counts: dict[str, int]  # the import's cleaning table: what each rule found
    load_s: float

    def known_orders(self) -> pd.DataFrame:
        return customer_orders(self.orders)


def load(path: str) -> RetailFrames:
    frames = export_frames(Path(path), IMPORTED_ON)
    counts = {what: n for what, n, _done in frames.table}
    counts.update(orders=len(frames.orders), customers=len(frames.customers), products=len(frames.products))
    return RetailFrames(frames.customers, frames.orders, frames.lines, frames.products, counts, frames.seconds)
