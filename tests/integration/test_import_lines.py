"""A real shop's line-level export (a sample of the UCI Online Retail file) through `crmbot import orders`."""

from __future__ import annotations

import gzip
import re
import shutil
import signal
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from analytics.importing import ImportInterrupted, import_orders
from crm_store.db import make_engine, migrate
from tests.integration.test_cli import PROJECT_ROOT, crmbot
from tests.support.db import (
    POSTGRES_URL,
    postgres_available,
    postgres_schema,
    require_service,
)

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "online_retail_sample.csv"
NOW = datetime(2026, 12, 7)


def pandas_net_by_customer(path: Path) -> dict[str, Decimal]:
    """The check, computed apart from the importer: exact duplicate lines dropped; stock corrections (a negative
    quantity at price 0 on an invoice without the C prefix) left out; each invoice's total rounded to cents;
    cancellations counted negative; summed per CustomerID."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False).drop_duplicates()
    qty, price = df["Quantity"].astype(int), df["UnitPrice"].map(Decimal)
    correction = (qty < 0) & (price == 0) & ~df["InvoiceNo"].str.startswith("C")
    df = df[~correction].assign(amount=[q * p for q, p in zip(qty[~correction], price[~correction])])
    df = df[df["CustomerID"] != ""]
    invoices = df.groupby(["CustomerID", "InvoiceNo"])["amount"].sum().map(lambda a: a.quantize(Decimal("0.01")))
    return {c: sum(v, Decimal(0)) for c, v in invoices.groupby(level=0)}


def net_by_customer(engine) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.external_id, SUM(o.total) FROM orders o JOIN channel_identities i "
                "ON i.customer_id = o.customer_id AND i.channel = 'external_id' GROUP BY i.external_id"
            )
        ).all()
    return {ext: Decimal(str(total)).quantize(Decimal("0.01")) for ext, total in rows}


def scalar(engine, sql: str, **params):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crm.db'}"
        return
    require_service(postgres_available(), "PostgreSQL at 127.0.0.1:5432")
    with postgres_schema() as (_engine, schema):
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def test_a_real_export_is_imported_net_with_its_defects_reported(database_url):
    dry = crmbot("import", "orders", str(SAMPLE), "--dry-run", DATABASE_URL=database_url)
    real = crmbot("import", "orders", str(SAMPLE), DATABASE_URL=database_url)
    again = crmbot("import", "orders", str(SAMPLE), DATABASE_URL=database_url)

    assert dry.returncode == 0, dry.stderr
    assert re.search(r"exact duplicate lines +1  dropped", dry.stdout)
    assert "(dry run: nothing was written)" in dry.stdout
    assert real.returncode == 0, real.stderr
    assert "line 271: quantity -10 at price 0 with no cancellation mark: a stock correction, not a sale" in real.stdout
    assert "no payment, shipping or delivery dates" in real.stdout
    engine = make_engine(database_url)
    try:
        # Every customer's net revenue is what pandas computes from the cleaned file; 12346 bought for 77,183.60
        # and cancelled all of it.
        assert net_by_customer(engine) == pandas_net_by_customer(SAMPLE)
        assert net_by_customer(engine)["12346"] == Decimal("0.00")
        assert (
            scalar(
                engine,
                "SELECT o.number FROM orders c JOIN orders o ON o.id = c.credit_for_order_id "
                "WHERE c.number = 'C541433'",
            )
            == "541431"
        )
        assert scalar(engine, "SELECT kind FROM orders WHERE number = 'C541433'") == "credit_note"
        # The duplicated line of 536530 is stored once: 536530 has 23 lines in the file, one of them a repeat.
        assert (
            scalar(
                engine,
                "SELECT COUNT(*) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.number = '536530'",
            )
            == 22
        )
        # Postage is an adjustment of 536370, not a product.
        assert scalar(engine, "SELECT COUNT(*) FROM products WHERE sku = 'POST'") == 0
        assert scalar(
            engine,
            "SELECT a.amount FROM order_adjustments a JOIN orders o ON o.id = a.order_id "
            "WHERE o.number = '536370' AND a.code = 'POST'",
        ) == Decimal("54.00")
        # The lines with no customer are an anonymous order whose items still count for products.
        assert scalar(engine, "SELECT customer_id FROM orders WHERE number = '536596'") is None
        assert (
            scalar(
                engine,
                "SELECT COUNT(*) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.number = '536596'",
            )
            == 6
        )
        assert scalar(engine, "SELECT COUNT(*) FROM orders WHERE number IN ('536589', '536764')") == 0
        assert (
            scalar(
                engine,
                "SELECT country FROM customers c JOIN channel_identities i ON i.customer_id = c.id "
                "WHERE i.external_id = '12583'",
            )
            == "France"
        )
        stages = scalar(
            engine,
            "SELECT COUNT(*) FROM stage_history h JOIN orders o ON o.id = h.process_id "
            "AND h.process = 'order' WHERE o.number = '536365' AND h.stage IN ('pending', 'delivered')",
        )
        assert stages == 2
        orders = scalar(engine, "SELECT COUNT(*) FROM orders")
    finally:
        engine.dispose()
    assert (
        again.returncode == 0
        and "imported 0 new orders" in again.stdout
        and f"{orders} already in the CRM" in again.stdout
    )
    flagged = crmbot("job", "run", "flag_stalled", DATABASE_URL=database_url)
    funnel = crmbot("report", "stalled", DATABASE_URL=database_url)
    assert flagged.returncode == 0 and "0 rows touched" in flagged.stdout  # every imported order is in a final stage
    assert "order    pending 29 " in funnel.stdout and "→ delivered 29 " in funnel.stdout
    assert "29 of these orders were imported from a file with no date for their final stage" in funnel.stdout


def test_an_import_killed_halfway_is_finished_by_the_same_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    migrate(make_engine(url))
    # A separate process that is SIGKILLed right after its first batch of orders was committed.
    script = (
        "import os, signal, sys; from datetime import datetime; from pathlib import Path\n"
        "from crm_store.db import UnitOfWork, make_engine\n"
        "from analytics.importing import import_orders\n"
        f"engine = make_engine({url!r})\n"
        "import_orders(lambda: UnitOfWork(engine), Path(sys.argv[1]), datetime(2026, 12, 7), batch_size=60,\n"
        "              progress=lambda n: os.kill(os.getpid(), signal.SIGKILL))\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script, str(SAMPLE)], check=False, cwd=PROJECT_ROOT, capture_output=True, timeout=120
    )
    engine = make_engine(url)
    part = scalar(engine, "SELECT COUNT(*) FROM orders")

    finished = crmbot("import", "orders", str(SAMPLE), "--batch-size", "60", DATABASE_URL=url)

    assert killed.returncode == -signal.SIGKILL
    assert 0 < part < 34
    assert finished.returncode == 0, finished.stderr
    assert f"imported {34 - part} new orders" in finished.stdout and f"{part} already in the CRM" in finished.stdout
    assert net_by_customer(engine) == pandas_net_by_customer(SAMPLE)
    assert (
        scalar(engine, "SELECT COUNT(*) FROM order_items") == 288 - 1 - 2 - 2
    )  # less a duplicate, 2 corrections, 2 adjustments
    engine.dispose()


def test_a_failure_mid_import_leaves_whole_orders_only(uow_factory):
    calls = []

    def power_cut(n: int) -> None:
        calls.append(n)
        if len(calls) == 2:
            raise OSError("power cut")

    with pytest.raises(ImportInterrupted, match="orders are imported") as stopped:
        import_orders(uow_factory, SAMPLE, NOW, batch_size=60, progress=power_cut)

    engine = uow_factory().engine
    done = stopped.value.report.created
    assert done == scalar(engine, "SELECT COUNT(*) FROM orders") > 0
    # Each order that is in holds all its lines: its total equals the sum of its items and adjustments.
    assert (
        scalar(
            engine,
            """SELECT COUNT(*) FROM orders o WHERE ABS(o.total
        - COALESCE((SELECT SUM(i.quantity * i.unit_price) FROM order_items i WHERE i.order_id = o.id), 0)
        - COALESCE((SELECT SUM(a.amount) FROM order_adjustments a WHERE a.order_id = o.id), 0)) > 0.006""",
        )
        == 0
    )
    rest = import_orders(uow_factory, SAMPLE, NOW, batch_size=60)
    assert (rest.unchanged, rest.created) == (done, 34 - done)


def _xlsx(source: Path, target: Path, formula_at: tuple[int, str] | None = None) -> None:
    from openpyxl import Workbook

    df = pd.read_csv(source, dtype=str, keep_default_na=False)
    book = Workbook()
    sheet = book.active
    sheet.append(list(df.columns))
    for i, row in enumerate(df.itertuples(index=False), start=2):
        sheet.append(
            [
                row.InvoiceNo,
                row.StockCode,
                row.Description,
                int(row.Quantity),
                datetime.strptime(row.InvoiceDate, "%Y-%m-%d %H:%M:%S"),
                float(row.UnitPrice),
                int(row.CustomerID) if row.CustomerID else None,
                row.Country,
            ]
        )
        if formula_at and formula_at[0] == i:
            sheet.cell(row=i, column=4, value=formula_at[1])
    book.save(target)


def test_xlsx_and_csv_gz_import_the_same_as_the_csv(uow_factory, tmp_path):
    gz = tmp_path / "sample.csv.gz"
    with SAMPLE.open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    xlsx = tmp_path / "sample.xlsx"
    _xlsx(SAMPLE, xlsx)

    from_gz = import_orders(uow_factory, gz, NOW)
    engine = uow_factory().engine
    net = net_by_customer(engine)
    from_xlsx = import_orders(uow_factory, xlsx, NOW)

    assert from_gz.created == 34 and net == pandas_net_by_customer(SAMPLE)
    assert (from_xlsx.created, from_xlsx.unchanged, from_xlsx.bad) == (0, 34, [])  # the same orders, found again
    assert [row for row in from_xlsx.table if row[0] == "exact duplicate lines"] == [
        ("exact duplicate lines", 1, "dropped")
    ]


def _lines() -> list[str]:
    return SAMPLE.read_text(encoding="utf-8").splitlines()


def test_malformed_rows_get_clear_errors_and_their_orders_stay_out_whole(uow_factory, tmp_path):
    lines = _lines()
    # Line 2 (536365): an extra value; line 10 (536366): a 10,000-character description; line 12 (536367): a
    # stray Windows-1252 byte in a UTF-8 file.
    lines[1] = lines[1] + ",extra"
    lines[4] = lines[4].replace("KNITTED UNION FLAG", "CAFÉ CRÈME")  # the file is UTF-8 ...
    fields = lines[9].split(",")
    fields[2] = "X" * 10_000
    lines[9] = ",".join(fields)
    path = tmp_path / "broken.csv"
    data = "\n".join(lines).encode("utf-8")
    marker = lines[11].encode("utf-8")
    data = data.replace(marker, marker.replace(b"United Kingdom", b"Royaume-Uni \xe9"))  # ... but for one Latin-1 byte
    path.write_bytes(data + b"\n")

    report = import_orders(uow_factory, path, NOW)

    assert report.bad == [
        (2, "9 values for 8 columns (an unquoted delimiter?)"),
        (10, "'Description' holds 10,000 characters (at most 1,000)"),
        (12, "'Country' holds bytes that are not UTF-8 text"),
    ]
    engine = uow_factory().engine
    assert scalar(engine, "SELECT COUNT(*) FROM orders WHERE number IN ('536365', '536366', '536367')") == 0
    assert report.created == 34 - 3
    assert (
        scalar(
            engine,
            "SELECT COUNT(*) FROM customers c JOIN channel_identities i ON i.customer_id = c.id "
            "WHERE i.external_id = '12583' AND c.country = 'France'",
        )
        == 1
    )


def test_a_formula_cell_is_a_row_error(uow_factory, tmp_path):
    xlsx = tmp_path / "with_formula.xlsx"
    _xlsx(SAMPLE, xlsx, formula_at=(3, "=D2*2"))

    report = import_orders(uow_factory, xlsx, NOW)

    assert report.bad == [(3, "'Quantity' holds a formula (=D2*2), not a value: export values")]
    assert scalar(uow_factory().engine, "SELECT COUNT(*) FROM orders WHERE number = '536365'") == 0


def test_a_utf16_file_is_refused_with_a_reason_and_writes_nothing(uow_factory, tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-16")

    with pytest.raises(Exception, match="is not plain text \\(UTF-16 or a binary file\\?\\)"):
        import_orders(uow_factory, path, NOW)

    assert scalar(uow_factory().engine, "SELECT COUNT(*) FROM orders") == 0


def test_lines_with_no_customer_can_be_left_out(uow_factory):
    report = import_orders(uow_factory, SAMPLE, NOW, skip_anonymous=True)

    assert ("lines with no customer", 6, "skipped (--skip-anonymous)") in report.table
    assert report.created == 33
    assert scalar(uow_factory().engine, "SELECT COUNT(*) FROM orders WHERE customer_id IS NULL") == 0


def test_the_benches_frames_are_what_the_loaders_read_after_the_import(tmp_path):
    # The retail benches build their frames from the file with the import's own cleaning (tables.py):
    # they must be the frames the analytics jobs read from a CRM the same file was imported into.
    from analytics.frames import load_customers, load_lines, load_orders, load_products
    from analytics.importing.tables import export_frames
    from crm_store.db import UnitOfWork

    engine = make_engine(f"sqlite:///{tmp_path / 'crm.db'}")
    migrate(engine)
    import_orders(lambda: UnitOfWork(engine), SAMPLE, NOW)
    with engine.connect() as conn:
        stored = {
            "customers": load_customers(conn, NOW),
            "orders": load_orders(conn, NOW),
            "lines": load_lines(conn, NOW),
            "products": load_products(conn),
        }

    frames = export_frames(SAMPLE, NOW)

    def rows(frame: pd.DataFrame) -> list[tuple]:
        return sorted(
            tuple(None if pd.isna(v) else round(v, 4) if isinstance(v, float) else v for v in row)
            for row in frame.itertuples(index=False)
        )

    for name, frame in stored.items():
        built = getattr(frames, name)[list(frame.columns)]
        assert rows(built) == rows(frame), name
    assert len(stored["orders"]) > 30 and (stored["orders"]["kind"] == "credit_note").any()
    assert stored["orders"]["customer_id"].isna().any() and len(stored["lines"]) > 200
