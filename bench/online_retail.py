"""The UCI Online Retail export as CRM-shaped frames, for the analytics benchmarks.

The frames have the columns the CRM tables hold (crm_store/models.py), so the benchmarks run
the same pure analytics functions the scheduled jobs run on the database:

    customers: id, created_at (their first purchase)
    orders:    id, number, customer_id (NaN where the export has none), placed_at, total, kind
               (always "order": cancellations are netted into the lines, rule 4)
    lines:     order_id, product_id, quantity, unit_price
    products:  id, sku, name

Cleaning rules, in this order:
  1. drop lines that repeat an earlier line exactly;
  2. drop adjustments, which are not products: StockCode in ADJUSTMENTS;
  3. drop lines with a unit price <= 0 and non-cancellation lines with quantity <= 0
     (stock write-offs);
  4. net cancellations ('C' invoices): a customer's cancelled quantity of a product is taken
     off their purchases of it, latest line first, never below zero; lines netted to zero go,
     and so do invoices left with no line; cancellation invoices themselves are not orders;
  5. order total = sum(quantity * unit price) of its remaining lines.
Lines with no CustomerID stay for basket and sales work (orders.customer_id NaN); customer-level
work (segments, propensity) drops them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

ADJUSTMENTS = ("POST", "M", "m", "BANK CHARGES", "D", "DOT", "AMAZONFEE", "C2", "CRUK", "PADS", "B", "S")


@dataclass(frozen=True)
class RetailFrames:
    customers: pd.DataFrame
    orders: pd.DataFrame
    lines: pd.DataFrame
    products: pd.DataFrame
    counts: dict[str, int]  # what each cleaning rule removed
    load_s: float

    def known_orders(self) -> pd.DataFrame:
        return self.orders[self.orders["customer_id"].notna()].astype({"customer_id": np.int64})


def load(path: str) -> RetailFrames:
    t = time.perf_counter()
    raw = pd.read_csv(
        path,
        dtype={"InvoiceNo": str, "StockCode": str, "Description": str, "CustomerID": "Int64"},
        parse_dates=["InvoiceDate"],
    )
    counts = {"lines read": len(raw)}
    data = raw.drop_duplicates()
    counts["exact duplicates dropped"] = len(raw) - len(data)
    adjust = data["StockCode"].isin(ADJUSTMENTS)
    counts["adjustment lines dropped"] = int(adjust.sum())
    data = data[~adjust]
    cancel = data["InvoiceNo"].str.startswith("C")
    bad = (data["UnitPrice"] <= 0) | (~cancel & (data["Quantity"] <= 0))
    counts["zero-price or write-off lines dropped"] = int(bad.sum())
    data = data[~bad]
    cancel = data["InvoiceNo"].str.startswith("C")
    bought, cancelled = data[~cancel].copy(), data[cancel]
    counts["cancellation lines netted"] = len(cancelled)
    bought = _net(bought, cancelled)
    counts["lines kept"] = len(bought)

    sku = bought["StockCode"].astype("category")
    products = pd.DataFrame({"id": np.arange(len(sku.cat.categories)), "sku": sku.cat.categories})
    names = bought.groupby("StockCode")["Description"].agg(
        lambda s: s.dropna().mode().iat[0] if s.notna().any() else ""
    )
    products["name"] = products["sku"].map(names)
    bought["product_id"] = sku.cat.codes.astype(np.int64)
    bought["order_id"] = bought["InvoiceNo"].astype(np.int64)
    bought["amount"] = bought["Quantity"] * bought["UnitPrice"]
    orders = (
        bought.groupby("order_id")
        .agg(customer_id=("CustomerID", "first"), placed_at=("InvoiceDate", "min"), total=("amount", "sum"))
        .reset_index()
        .rename(columns={"order_id": "id"})
    )
    orders["number"] = orders["id"].astype(str)
    orders["kind"] = "order"
    orders["customer_id"] = orders["customer_id"].astype("float")
    lines = (
        bought[["order_id", "product_id", "Quantity", "UnitPrice"]]
        .rename(columns={"Quantity": "quantity", "UnitPrice": "unit_price"})
        .reset_index(drop=True)
    )
    known = orders[orders["customer_id"].notna()]
    customers = known.groupby("customer_id")["placed_at"].min().reset_index()
    customers.columns = ["id", "created_at"]
    customers["id"] = customers["id"].astype(np.int64)
    counts.update(orders=len(orders), customers=len(customers), products=len(products))
    return RetailFrames(customers, orders, lines, products, counts, time.perf_counter() - t)


def _net(bought: pd.DataFrame, cancelled: pd.DataFrame) -> pd.DataFrame:
    """Take each customer's cancelled quantity of a product off their latest purchase lines of it."""
    key = ["CustomerID", "StockCode"]
    owed = (-cancelled.dropna(subset=["CustomerID"]).groupby(key)["Quantity"].sum()).rename("owed")
    bought = bought.sort_values(["CustomerID", "StockCode", "InvoiceDate"], ascending=[True, True, False])
    bought = bought.join(owed, on=key)
    bought["owed"] = bought["owed"].fillna(0)
    before = bought.groupby(key, dropna=False)["Quantity"].cumsum() - bought["Quantity"]
    take = np.minimum(bought["Quantity"], np.clip(bought["owed"] - before, 0, None))
    bought["Quantity"] = bought["Quantity"] - take
    return bought[bought["Quantity"] > 0].drop(columns="owed").sort_values(["InvoiceDate", "InvoiceNo"])
