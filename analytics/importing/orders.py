"""`crmbot import orders FILE`: a shop's order export (one row per order, or per order line) into the CRM.

The file is read and cleaned whole (lines.py: duplicates, cancellations, adjustments, flags), then
written in bulk: first the customers and products it needs (one transaction), then the orders with
their lines, adjustments and stage history in batches of whole orders, one transaction each. An
order number already in the CRM is left alone, so a re-import adds nothing and a run that was
stopped finishes with the same command.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection

from analytics.importing import columns
from analytics.importing.bulk import (
    allocate_ids,
    cents,
    decimal_text,
    insert_frame,
    when,
)
from analytics.importing.columns import ADJUSTMENT_SKUS
from analytics.importing.columnvalues import customer_columns
from analytics.importing.heap import collect_young, young_collections_only
from analytics.importing.history import stage_history, stage_note
from analytics.importing.lines import Cleaned, Rules, clean_orders
from analytics.importing.report import ImportInterrupted, ImportReport
from analytics.importing.sheet import Sheet, read_sheet
from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.models import ChannelIdentity, Customer, Order, Product

log = logging.getLogger(__name__)
STATUSES = tuple(stages.TRANSITIONS["order"])
EXTERNAL_ID = "external_id"  # the identity kind of a shop's own customer number


def import_orders(
    uow_factory: Callable[[], UnitOfWork],
    path: Path,
    now: datetime,
    region: str = "DE",
    batch_size: int = 50_000,
    max_amount: int = 100_000,
    overrides: dict[str, str] | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    skip_anonymous: bool = False,
    adjustment_skus: frozenset[str] | None = None,
    total: Callable[[int], None] | None = None,
) -> ImportReport:
    """batch_size: order lines per transaction (an order is never split)."""
    with young_collections_only():
        return _import_orders(
            uow_factory,
            path,
            now,
            region,
            batch_size,
            max_amount,
            overrides,
            dry_run,
            progress,
            skip_anonymous,
            adjustment_skus,
            total,
        )


def _import_orders(
    uow_factory: Callable[[], UnitOfWork],
    path: Path,
    now: datetime,
    region: str,
    batch_size: int,
    max_amount: int,
    overrides: dict[str, str] | None,
    dry_run: bool,
    progress: Callable[[int], None] | None,
    skip_anonymous: bool,
    adjustment_skus: frozenset[str] | None,
    total: Callable[[int], None] | None,
) -> ImportReport:
    clock = time.perf_counter()
    sheet = read_sheet(path)
    mapping = columns.detect("orders", sheet.header, overrides)
    report = ImportReport("orders", sheet.name, uuid.uuid4().hex[:12], dry_run, mapping)
    report.seconds["read"] = time.perf_counter() - clock
    if total:
        total(len(sheet.frame))
    cleaned = clean_sheet(sheet, mapping, now, region, max_amount, skip_anonymous, adjustment_skus)
    del sheet
    report.rows = cleaned.table[0][1]
    report.table, report.bad, report.flagged, report.checks = (
        cleaned.table,
        cleaned.bad,
        cleaned.flagged,
        cleaned.checks,
    )
    report.notes.append(stage_note(cleaned.dated_stages, mapping))
    report.missing.update(cleaned.missing)
    orders = cleaned.orders
    report.seconds["clean"] = time.perf_counter() - clock - report.seconds["read"]
    clock = time.perf_counter()
    try:
        uow = uow_factory()
        with uow:
            conn = uow.session.connection()
            known = dict(conn.execute(select(Order.number, Order.id)).all())
            todo = orders[~orders["number"].isin(known)].reset_index(drop=True)
            report.unchanged = len(orders) - len(todo)
            customer_ids, new_customers = _customers(conn, todo, now, write=not dry_run)
            product_ids, new_products = _products(conn, cleaned.products, write=not dry_run)
            report.table.append(("customers new to the CRM", new_customers, "created (external id, email or phone)"))
            report.table.append(("products new to the CRM", new_products, "created by SKU"))
            if not dry_run:
                uow.commit()
        report.seconds["customers and products"] = time.perf_counter() - clock
        clock = time.perf_counter()
        if dry_run:
            report.created = len(todo)
            return report
        todo["customer_id"] = todo["key"].map(customer_ids)
        history = stage_history(todo, cleaned.dated_stages)
        items = cleaned.items[cleaned.items["number"].isin(todo["number"])]
        adjustments = cleaned.adjustments[cleaned.adjustments["number"].isin(todo["number"])]
        for batch in _batches(todo, batch_size):
            uow = uow_factory()
            with uow:
                conn = uow.session.connection()
                _write(conn, batch, items, adjustments, history, product_ids, known, report.file)
                uow.commit()
            report.created += len(batch)
            collect_young()
            if progress:
                progress(int(batch["lines"].sum()))
        report.seconds["orders"] = time.perf_counter() - clock
    except Exception as exc:
        raise ImportInterrupted(report, exc) from exc
    log.info(
        "orders imported", extra={"run_id": report.run_id, "orders": report.created, "unchanged": report.unchanged}
    )
    return report


def clean_sheet(
    sheet: Sheet,
    mapping: dict[str, str],
    now: datetime,
    region: str = "DE",
    max_amount: int = 100_000,
    skip_anonymous: bool = False,
    adjustment_skus: frozenset[str] | None = None,
) -> Cleaned:
    """The export cleaned as the import cleans it (lines.py), nothing written: also what the retail benches
    build their frames from (tables.py)."""
    rules = Rules(
        pd.Timestamp(now),
        max_amount,
        adjustment_skus or ADJUSTMENT_SKUS,
        skip_anonymous=skip_anonymous,
        statuses=STATUSES,
    )
    return clean_orders(sheet.frame, sheet.header, mapping, rules, customer_columns(sheet.frame, mapping, region))


def _batches(todo: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    cut = (todo["lines"].cumsum() - 1) // max(size, 1)
    return [part for _, part in todo.groupby(cut, sort=True)]


def _write(
    conn: Connection,
    batch: pd.DataFrame,
    items: pd.DataFrame,
    adjustments: pd.DataFrame,
    history: pd.DataFrame,
    product_ids: dict[str, int],
    known: dict[str, int],
    file: str,
) -> None:
    ids = allocate_ids(conn, "orders", len(batch))
    known.update(zip(batch["number"], ids))
    credit = batch["credit_for"].map(known)
    rows = pd.DataFrame(
        {
            "id": ids,
            "number": batch["number"].to_numpy(),
            "customer_id": batch["customer_id"].astype("Int64").to_numpy(),
            "status": batch["status"].to_numpy(),
            "stage_entered_at": when(batch["placed_at"], conn).to_numpy(),  # replaced below by the current stage's date
            "placed_at": when(batch["placed_at"], conn).to_numpy(),
            "total": decimal_text(cents(batch["total_e4"]) * 100, 2).to_numpy(),
            "kind": batch["kind"].to_numpy(),
            "credit_for_order_id": credit.astype("Int64").to_numpy(),
            "country": batch["country"].replace("", None).to_numpy(),
        }
    )
    hist = history[history["number"].isin(batch["number"])]
    current = hist.merge(batch[["number", "status"]], left_on=["number", "stage"], right_on=["number", "status"])
    entered = current.groupby("number")["entered_at"].max()
    rows["stage_entered_at"] = when(batch["number"].map(entered).fillna(batch["placed_at"]), conn).to_numpy()
    insert_frame(conn, "orders", rows)
    lines = items[items["number"].isin(batch["number"])]
    insert_frame(
        conn,
        "order_items",
        pd.DataFrame(
            {
                "order_id": lines["number"].map(known).to_numpy(),
                "product_id": lines["sku"].map(product_ids).to_numpy(),
                "quantity": lines["quantity"].to_numpy(),
                "unit_price": decimal_text(lines["price_e4"], 4).to_numpy(),
            }
        ),
    )
    adj = adjustments[adjustments["number"].isin(batch["number"])]
    insert_frame(
        conn,
        "order_adjustments",
        pd.DataFrame(
            {
                "order_id": adj["number"].map(known).to_numpy(),
                "code": adj["code"].to_numpy(),
                "description": adj["description"].replace("", None).to_numpy(),
                "quantity": adj["quantity"].to_numpy(),
                "amount": decimal_text(adj["amount_e4"], 2).to_numpy(),
            }
        ),
    )
    note = f"imported from {file}"
    insert_frame(
        conn,
        "stage_history",
        pd.DataFrame(
            {
                "process": "order",
                "process_id": hist["number"].map(known).to_numpy(),
                "stage": hist["stage"].to_numpy(),
                "entered_at": when(hist["entered_at"], conn).to_numpy(),
                "note": hist["note"].map(lambda n: f"{note}; {n}" if n else note).to_numpy(),
            }
        ),
    )


def _customers(conn: Connection, todo: pd.DataFrame, now: datetime, write: bool) -> tuple[dict[str, int], int]:
    """{customer key: customer id} for every key of the orders to import, making the customers not yet known."""
    wanted = todo[todo["key"] != ""].drop_duplicates("key")
    if wanted.empty:
        return {}, 0
    by: dict[str, dict[str, int]] = {"external_id": {}, "email": {}, "phone": {}}
    for cid, email, phone in conn.execute(select(Customer.id, Customer.email, Customer.phone)):
        if email:
            by["email"].setdefault(email.lower(), cid)
        if phone:
            by["phone"].setdefault(phone, cid)
    for cid, channel, external in conn.execute(
        select(ChannelIdentity.customer_id, ChannelIdentity.channel, ChannelIdentity.external_id).where(
            ChannelIdentity.channel.in_(tuple(by))
        )
    ):
        by[channel].setdefault(external if channel != "email" else external.lower(), cid)
    found: dict[str, int] = {}
    new: list[dict] = []
    identities: list[dict] = []
    for key, ext, email, phone, country, placed in wanted[
        ["key", "ext", "email", "phone", "country", "placed_at"]
    ].itertuples(index=False):
        cid = (
            (ext and by["external_id"].get(ext))
            or (email and by["email"].get(email))
            or (phone and by["phone"].get(phone))
        )
        if not cid:
            cid = -len(new) - 1  # a placeholder until ids are allocated
            new.append(
                {
                    "name": f"Customer {ext}" if ext else (email.split("@")[0] if email else phone),
                    "email": email or None,
                    "phone": phone or None,
                    "created_at": placed,
                    "country": country or None,
                }
            )
            for kind, value in (("email", email), ("phone", phone)):
                if value:
                    by[kind][value] = cid
        if ext and ext not in by["external_id"]:
            identities.append({"customer_id": cid, "channel": EXTERNAL_ID, "external_id": ext, "created_at": now})
            by["external_id"][ext] = cid
        found[key] = cid
    if write and new:
        ids = allocate_ids(conn, "customers", len(new))
        real = {-(i + 1): ids[i] for i in range(len(new))}
        frame = pd.DataFrame(new)
        frame.insert(0, "id", ids)
        frame["created_at"] = when(frame["created_at"], conn)
        insert_frame(conn, "customers", frame)
        found = {k: real.get(v, v) for k, v in found.items()}
        for identity in identities:
            identity["customer_id"] = real.get(identity["customer_id"], identity["customer_id"])
    if write and identities:
        frame = pd.DataFrame(identities)
        frame["created_at"] = when(frame["created_at"], conn)
        insert_frame(conn, "channel_identities", frame)
    return found, len(new)


def _products(conn: Connection, products: pd.DataFrame, write: bool) -> tuple[dict[str, int], int]:
    known = dict(conn.execute(select(Product.sku, Product.id)).all())
    new = products[~products["sku"].isin(known)]
    if write and not new.empty:
        ids = allocate_ids(conn, "products", len(new))
        insert_frame(
            conn,
            "products",
            pd.DataFrame(
                {
                    "id": ids,
                    "sku": new["sku"].to_numpy(),
                    "name": new["name"].str.slice(0, 200).to_numpy(),
                    "price": decimal_text(new["price_e4"], 2).to_numpy(),
                    "stock": 0,
                }
            ),
        )
        known.update(zip(new["sku"], ids))
    return known, len(new)
