"""The order-import bench on a real export (see bench/import.py for how to run it).

The check's cleaning rules, applied with pandas to the raw file, apart from the importer:
  1. exact duplicate lines (every column equal) are dropped;
  2. stock corrections are left out: a negative quantity at unit price 0 on an invoice without the C prefix;
  3. lines with a negative unit price are left out (bad-debt write-offs, no customer in this file);
  4. every other line counts, quantity x unit price, cancellations (C invoices) negative, postage and
     other adjustments included; each invoice's sum is rounded to cents once;
  5. net revenue of a customer = the sum of their invoices.
The CRM side: SUM(orders.total) per customer, credit notes included, found by the customer's
external id.
"""

from __future__ import annotations

import os
import resource
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.import_databases import engine_for, fresh_databases, migrated_engine, run_forked


def pandas_net(path: Path) -> dict[str, Decimal]:
    import pandas as pd

    df = pd.read_csv(path, dtype=str, keep_default_na=False).drop_duplicates()
    qty = df["Quantity"].astype("int64")
    price_e4 = (df["UnitPrice"].astype(float) * 10_000).round().astype("int64")
    keep = (
        ~((qty < 0) & (price_e4 == 0) & ~df["InvoiceNo"].str.startswith("C"))
        & (price_e4 >= 0)
        & (df["CustomerID"] != "")
    )
    df = df[keep].assign(amount=(qty * price_e4)[keep])
    invoices = df.groupby(["CustomerID", "InvoiceNo"])["amount"].sum()
    cents = ((invoices.abs() + 50) // 100) * invoices.map(lambda v: -1 if v < 0 else 1)
    per_customer = cents.groupby(level=0).sum()
    return {c: Decimal(int(v)) / 100 for c, v in per_customer.items()}


def crm_net(engine: Any) -> dict[str, Decimal]:
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.external_id, SUM(o.total) FROM orders o JOIN channel_identities i "
                "ON i.customer_id = o.customer_id AND i.channel = 'external_id' GROUP BY i.external_id"
            )
        ).all()
    return {ext: Decimal(str(total)).quantize(Decimal("0.01")) for ext, total in rows}


def _import(url: str, schema: str | None, path: str, out: Any) -> None:
    from analytics.importing import import_orders
    from crm_store.db import UnitOfWork

    engine = migrated_engine(url, schema)
    cpu0 = time.process_time()
    started = time.perf_counter()
    report = import_orders(lambda: UnitOfWork(engine), Path(path), datetime(2026, 12, 7))
    took, cpu = time.perf_counter() - started, time.process_time() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    again = import_orders(lambda: UnitOfWork(engine), Path(path), datetime(2026, 12, 7))
    again_took = time.perf_counter() - started
    out.send(
        (
            took,
            cpu,
            peak,
            report.rows,
            report.created,
            report.lines(limit=3),
            report.seconds,
            again.created,
            again.unchanged,
            again_took,
            crm_net(engine),
        )
    )
    engine.dispose()


def _baseline(url: str, schema: str | None, path: str, out: Any) -> None:
    import pandas as pd

    engine = engine_for(url, schema)
    started = time.perf_counter()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.to_sql(
        "raw_lines",
        engine,
        index=False,
        chunksize=50_000,
        method="multi" if engine.dialect.name == "postgresql" else None,
    )
    out.send((time.perf_counter() - started, len(df)))
    engine.dispose()


def run_orders_bench(path: Path, databases: tuple[str, ...]) -> int:
    expected = pandas_net(path)
    failed = 0
    for db in databases:
        load_before = os.getloadavg()[0]
        with fresh_databases(db) as (one, two):
            result = run_forked(_import, *one, str(path))
            base = run_forked(_baseline, *two, str(path))
        took, cpu, peak_kb, rows, _created, lines, seconds, again_created, again_unchanged, again_took, net = result
        base_took, base_rows = base
        name = "PostgreSQL" if db == "postgres" else "SQLite"
        print(f"== {name} ==")
        print("\n".join(lines))
        print(
            f"import:   {rows:,} lines in {took:.1f} s = {rows / took:,.0f} lines/s; {cpu:.1f} CPU s; "
            f"peak RSS {peak_kb / 1024:,.0f} MB; phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())
        )
        print(
            f"baseline: pandas read_csv + to_sql of the raw lines, no cleaning: {base_rows / base_took:,.0f} lines/s "
            f"({base_took:.1f} s); the import runs at {rows / took / (base_rows / base_took):.2f}x of it"
        )
        print(f"load average (1 min): {load_before:.1f} before the import, {os.getloadavg()[0]:.1f} after the baseline")
        print(f"re-import: {again_created} new orders, {again_unchanged:,} already in the CRM, in {again_took:.1f} s")
        wrong = {c for c in expected.keys() | net.keys() if expected.get(c) != net.get(c)}
        print(
            f"net revenue per customer: {len(expected) - len(wrong & expected.keys()):,} of {len(expected):,} customers "
            f"equal the pandas computation to the cent; {len(wrong)} differ"
            + (f" (e.g. {sorted(wrong)[:5]})" if wrong else "")
        )
        failed += bool(wrong) or again_created > 0
    return 1 if failed else 0
